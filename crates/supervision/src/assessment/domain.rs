//! The rules of 部门考核, without I/O: a rule turns one figure a module provides (an on-time
//! rate, a count of bad ratings, a quota's completion) into points, in one of three ways; a rule
//! whose figure a department does not have (no letters, so no on-time rate) does not apply, and
//! the score is what was earned out of what applied, on a scale of 100, so a department is not
//! marked down for work it did not have.

use std::collections::{BTreeMap, HashMap};

/// How a figure becomes points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A percentage: points × value / 100 (capped at 100 %).
    Rate,
    /// A count or rate against a target: points × value / target, full points at or above it.
    Target,
    /// A count of failings: points − value × `target` (points per failing), never below zero.
    Deduct,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Rate, Kind::Target, Kind::Deduct];
    pub fn code(self) -> &'static str {
        match self {
            Kind::Rate => "rate",
            Kind::Target => "target",
            Kind::Deduct => "deduct",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Rate => "按比率得分",
            Kind::Target => "按目标完成度得分",
            Kind::Deduct => "按次扣分",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// One rule as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct Rule {
    pub id: i64,
    pub figure_key: String,
    pub label: String,
    pub kind: String,
    pub points: f64,
    /// The target (Target) or the points taken per failing (Deduct); unused for Rate.
    pub target: f64,
    pub sort_order: i64,
}

/// One rule's result for one department.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Line {
    pub rule_id: i64,
    pub label: String,
    /// The figure, `None` when the department has none (the rule does not apply).
    pub value: Option<f64>,
    pub earned: f64,
    pub points: f64,
}

/// A department's score: its lines, what it earned of what applied, and the score out of 100.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub lines: Vec<Line>,
    pub earned: f64,
    pub applicable: f64,
    /// Out of 100, one decimal; `None` when no rule applied.
    pub score: Option<f64>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Points one rule gives for a figure.
pub fn points(rule: &Rule, value: f64) -> f64 {
    let p = rule.points.max(0.0);
    let earned = match Kind::parse(&rule.kind) {
        Some(Kind::Rate) => p * value.clamp(0.0, 100.0) / 100.0,
        Some(Kind::Target) if rule.target > 0.0 => p * (value / rule.target).clamp(0.0, 1.0),
        Some(Kind::Target) => p,
        Some(Kind::Deduct) => (p - value.max(0.0) * rule.target.max(0.0)).max(0.0),
        None => 0.0,
    };
    round1(earned)
}

/// Scores one department from its figures (key → value).
pub fn score(rules: &[Rule], figures: &HashMap<String, f64>) -> Score {
    let mut lines = Vec::new();
    let (mut earned, mut applicable) = (0.0, 0.0);
    for r in rules {
        let value = figures.get(&r.figure_key).copied();
        let got = value.map_or(0.0, |v| points(r, v));
        if value.is_some() {
            earned += got;
            applicable += r.points.max(0.0);
        }
        lines.push(Line { rule_id: r.id, label: r.label.clone(), value, earned: got, points: r.points });
    }
    let score = (applicable > 0.0).then(|| round1(earned / applicable * 100.0));
    Score { lines, earned: round1(earned), applicable: round1(applicable), score }
}

/// Ranks (1-based) by score, highest first; equal scores share a rank (1, 2, 2, 4); departments
/// without a score come last without a rank.
pub fn ranks(scores: &[Option<f64>]) -> Vec<Option<usize>> {
    scores.iter().map(|s| s.map(|mine| 1 + scores.iter().filter(|o| o.is_some_and(|x| x > mine)).count())).collect()
}

/// A rule as the office's form sent it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct RuleInput {
    /// 取数指标（如 letters.on_time_rate）
    #[schemars(length(min = 1, max = 60))]
    pub figure_key: String,
    /// 考核项目名称
    #[schemars(length(min = 1, max = 40))]
    pub label: String,
    /// 计分方式：rate 按比率、target 按目标完成度、deduct 按次扣分
    #[schemars(regex(pattern = r"^(rate|target|deduct)$"))]
    pub kind: String,
    /// 分值
    #[schemars(range(min = 0.5, max = 100.0))]
    pub points: f64,
    /// 目标值（按目标完成度）或每次扣分（按次扣分）
    #[schemars(range(min = 0.0, max = 1000000.0))]
    pub target: f64,
    /// 排序
    pub sort_order: i64,
}

/// Checks a rule against the figures modules offer (`known`); errors by field.
pub fn check_rule(input: &RuleInput, known: &[&str]) -> Result<RuleInput, BTreeMap<String, String>> {
    let mut e = BTreeMap::new();
    let mut r = input.clone();
    r.figure_key = r.figure_key.trim().to_owned();
    r.label = r.label.trim().to_owned();
    if !known.contains(&r.figure_key.as_str()) {
        e.insert("figure_key".into(), "请选择系统提供的取数指标".into());
    }
    let len = r.label.chars().count();
    if len == 0 || len > 40 {
        e.insert("label".into(), "请填写考核项目名称（最多 40 字）".into());
    }
    let kind = Kind::parse(&r.kind);
    if kind.is_none() {
        e.insert("kind".into(), "请选择计分方式".into());
    }
    if !(r.points.is_finite() && (0.5..=100.0).contains(&r.points)) {
        e.insert("points".into(), "分值应在 0.5 到 100 之间".into());
    }
    if !(r.target.is_finite() && (0.0..=1_000_000.0).contains(&r.target)) {
        e.insert("target".into(), "目标值应在 0 到 1000000 之间".into());
    } else if kind == Some(Kind::Target) && r.target <= 0.0 {
        e.insert("target".into(), "按目标完成度计分时请填写大于 0 的目标值".into());
    } else if kind == Some(Kind::Deduct) && r.target <= 0.0 {
        e.insert("target".into(), "按次扣分时请填写每次扣多少分".into());
    }
    if e.is_empty() { Ok(r) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, key: &str, kind: Kind, points: f64, target: f64) -> Rule {
        Rule { id, figure_key: key.into(), label: key.into(), kind: kind.code().into(), points, target, sort_order: id }
    }

    #[test]
    fn each_kind_turns_a_figure_into_points() {
        let rate = rule(1, "a", Kind::Rate, 20.0, 0.0);
        assert_eq!(points(&rate, 95.0), 19.0);
        assert_eq!(points(&rate, 120.0), 20.0, "capped at 100 %");
        assert_eq!(points(&rate, -5.0), 0.0);
        let target = rule(2, "b", Kind::Target, 10.0, 200.0);
        assert_eq!(points(&target, 150.0), 7.5);
        assert_eq!(points(&target, 260.0), 10.0, "full points at or above the target");
        let deduct = rule(3, "c", Kind::Deduct, 10.0, 2.0);
        assert_eq!(points(&deduct, 0.0), 10.0);
        assert_eq!(points(&deduct, 3.0), 4.0);
        assert_eq!(points(&deduct, 9.0), 0.0, "never below zero");
        assert_eq!(points(&rule(4, "d", Kind::Rate, 10.0, 0.0), 66.66), 6.7, "one decimal");
    }

    #[test]
    fn a_rule_without_its_figure_does_not_apply_and_the_score_is_out_of_what_applied() {
        let rules = [
            rule(1, "letters.on_time_rate", Kind::Rate, 20.0, 0.0),
            rule(2, "services.bad", Kind::Deduct, 10.0, 1.0),
            rule(3, "disclosure.on_time_rate", Kind::Rate, 10.0, 0.0),
        ];
        let figures = HashMap::from([("letters.on_time_rate".to_owned(), 90.0), ("services.bad".to_owned(), 2.0)]);
        let s = score(&rules, &figures);
        assert_eq!((s.earned, s.applicable), (26.0, 30.0));
        assert_eq!(s.score, Some(86.7));
        assert_eq!(s.lines[2].value, None);
        assert_eq!(s.lines[2].earned, 0.0);
        // Nothing applies: no score rather than zero.
        assert_eq!(score(&rules, &HashMap::new()).score, None);
        // Everything perfect: 100.
        let perfect = HashMap::from([
            ("letters.on_time_rate".to_owned(), 100.0),
            ("services.bad".to_owned(), 0.0),
            ("disclosure.on_time_rate".to_owned(), 100.0),
        ]);
        assert_eq!(score(&rules, &perfect).score, Some(100.0));
    }

    #[test]
    fn equal_scores_share_a_rank_and_unscored_ones_have_none() {
        assert_eq!(
            ranks(&[Some(90.0), Some(95.0), None, Some(90.0), Some(80.0)]),
            [Some(2), Some(1), None, Some(2), Some(4)]
        );
        assert_eq!(ranks(&[]), Vec::<Option<usize>>::new());
    }

    #[test]
    fn a_rule_must_name_a_known_figure_and_fit_its_kind() {
        let known = ["letters.on_time_rate", "services.bad"];
        let ok = RuleInput {
            figure_key: " services.bad ".into(),
            label: "办件差评".into(),
            kind: "deduct".into(),
            points: 10.0,
            target: 1.0,
            sort_order: 5,
        };
        assert_eq!(check_rule(&ok, &known).unwrap().figure_key, "services.bad");
        let e =
            check_rule(&RuleInput { kind: "target".into(), points: 0.0, ..Default::default() }, &known).unwrap_err();
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), ["figure_key", "label", "points", "target"]);
        let e = check_rule(&RuleInput { kind: "deduct".into(), ..ok.clone() }.with_target(0.0), &known).unwrap_err();
        assert!(e["target"].contains("每次扣多少分"));
        let e = check_rule(&RuleInput { kind: "median".into(), ..ok.clone() }, &known).unwrap_err();
        assert!(e.contains_key("kind"));
        let e = check_rule(&RuleInput { points: f64::NAN, ..ok }, &known).unwrap_err();
        assert!(e.contains_key("points"));
    }

    impl RuleInput {
        fn with_target(mut self, t: f64) -> Self {
            self.target = t;
            self
        }
    }
}
