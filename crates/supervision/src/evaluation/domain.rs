//! The rules of 下级网站评估, without I/O: a score sheet is a list of indicators, each with its
//! points and where its score comes from — the monitor (the year's average daily score, or the
//! days without a 单项否决) or an evaluator's judgement — written one per line as
//! `名称|分值|来源`; a site's total is the sum of its indicators, and sites are ranked by it.

use std::collections::BTreeMap;

/// Where an indicator's score comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// points × the year's average daily monitor score / 100.
    MonitorScore,
    /// full points when no day of the year had a 单项否决, otherwise none.
    NoVeto,
    /// an evaluator's points (0 to the indicator's points).
    Manual,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::MonitorScore, Source::NoVeto, Source::Manual];
    pub fn code(self) -> &'static str {
        match self {
            Source::MonitorScore => "监测",
            Source::NoVeto => "否决",
            Source::Manual => "人工",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::MonitorScore => "常态化监测（全年日均得分折算）",
            Source::NoVeto => "全年无单项否决",
            Source::Manual => "评估人员打分",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        Self::ALL.into_iter().find(|x| x.code() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Indicator {
    pub label: String,
    pub points: f64,
    pub source: Source,
}

/// The sheet a new evaluation starts from (100 points), after the provinces' website evaluation
/// indices: the monitor's part, then what only a person can judge.
pub const DEFAULT_SHEET: &str = "常态化监测得分|40|监测
全年无单项否决|10|否决
信息发布与政策解读|15|人工
办事服务|15|人工
互动交流|10|人工
功能与用户体验|10|人工";

/// Reads a sheet, one indicator a line; errors name the line.
pub fn parse_sheet(text: &str) -> Result<Vec<Indicator>, String> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i + 1;
        let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let [label, points, source] = parts[..] else {
            problems.push(format!("第 {n} 行应为“名称|分值|来源”"));
            continue;
        };
        let label_len = label.chars().count();
        let points = points.parse::<f64>().ok().filter(|p| p.is_finite() && (0.5..=100.0).contains(p));
        let source = Source::parse(source);
        match (label_len, points, source) {
            (0, _, _) | (41.., _, _) => problems.push(format!("第 {n} 行的名称应为 1 到 40 个字")),
            (_, None, _) => problems.push(format!("第 {n} 行的分值应为 0.5 到 100 之间的数")),
            (_, _, None) => problems.push(format!("第 {n} 行的来源应为“监测”“否决”或“人工”")),
            (_, Some(points), Some(source)) => out.push(Indicator { label: label.to_owned(), points, source }),
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("请至少填写一项评估指标".into());
    }
    if problems.is_empty() { Ok(out) } else { Err(problems.join("；")) }
}

/// What the monitor kept for a site over the year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonitorYear {
    /// Days with a stored result.
    pub days: i64,
    pub average_score: f64,
    pub veto_days: i64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// An automatic indicator's points; `None` for a manual one or when the monitor kept nothing.
pub fn auto_points(ind: &Indicator, m: &MonitorYear) -> Option<f64> {
    if m.days == 0 {
        return None;
    }
    match ind.source {
        Source::MonitorScore => Some(round1(ind.points * m.average_score.clamp(0.0, 100.0) / 100.0)),
        Source::NoVeto => Some(if m.veto_days == 0 { ind.points } else { 0.0 }),
        Source::Manual => None,
    }
}

/// Checks an evaluator's points for the sheet's manual indicators (index → text typed).
pub fn check_manual(sheet: &[Indicator], typed: &BTreeMap<usize, String>) -> Result<BTreeMap<usize, f64>, String> {
    let mut out = BTreeMap::new();
    for (i, ind) in sheet.iter().enumerate().filter(|(_, x)| x.source == Source::Manual) {
        let Some(t) = typed.get(&i).map(|t| t.trim()).filter(|t| !t.is_empty()) else { continue };
        match t.parse::<f64>() {
            Ok(p) if p.is_finite() && (0.0..=ind.points).contains(&p) => {
                out.insert(i, round1(p));
            }
            _ => return Err(format!("“{}”的得分应在 0 到 {} 之间", ind.label, ind.points)),
        }
    }
    Ok(out)
}

/// A site's total: the sum of the points it has (missing manual scores count as nothing yet).
pub fn total(points: &[Option<f64>]) -> f64 {
    round1(points.iter().flatten().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sheet_reads_and_is_worth_100() {
        let sheet = parse_sheet(DEFAULT_SHEET).unwrap();
        assert_eq!(sheet.len(), 6);
        assert_eq!(sheet.iter().map(|i| i.points).sum::<f64>(), 100.0);
        assert_eq!(sheet[0].source, Source::MonitorScore);
        assert_eq!(sheet[1].source, Source::NoVeto);
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let e = parse_sheet("好|10|人工\n坏\n|5|人工\n分值|abc|人工\n来源|5|随便\n多|200|人工").unwrap_err();
        for n in ["第 2 行应为", "第 3 行的名称", "第 4 行的分值", "第 5 行的来源", "第 6 行的分值"]
        {
            assert!(e.contains(n), "{n}: {e}");
        }
        assert!(!e.contains("第 1 行"));
        assert!(parse_sheet("  \n").unwrap_err().contains("至少"));
        // Full-width bars are read too.
        assert_eq!(parse_sheet("内容｜20｜人工").unwrap()[0].points, 20.0);
    }

    #[test]
    fn automatic_indicators_come_from_the_monitors_year() {
        let sheet = parse_sheet(DEFAULT_SHEET).unwrap();
        let good = MonitorYear { days: 300, average_score: 92.5, veto_days: 0 };
        assert_eq!(auto_points(&sheet[0], &good), Some(37.0));
        assert_eq!(auto_points(&sheet[1], &good), Some(10.0));
        assert_eq!(auto_points(&sheet[2], &good), None, "manual");
        let vetoed = MonitorYear { veto_days: 1, ..good };
        assert_eq!(auto_points(&sheet[1], &vetoed), Some(0.0));
        assert_eq!(auto_points(&sheet[0], &MonitorYear::default()), None, "nothing kept");
    }

    #[test]
    fn manual_points_stay_within_the_indicator() {
        let sheet = parse_sheet(DEFAULT_SHEET).unwrap();
        let typed = BTreeMap::from([(2, "12.5".to_owned()), (3, "".to_owned()), (0, "99".to_owned())]);
        let ok = check_manual(&sheet, &typed).unwrap();
        assert_eq!(ok, BTreeMap::from([(2, 12.5)]), "automatic ones are not typed; blank is not yet scored");
        let e = check_manual(&sheet, &BTreeMap::from([(4, "11".to_owned())])).unwrap_err();
        assert!(e.contains("互动交流") && e.contains("0 到 10"), "{e}");
        assert!(check_manual(&sheet, &BTreeMap::from([(4, "-1".to_owned())])).is_err());
        assert_eq!(total(&[Some(37.0), Some(10.0), None, Some(12.5)]), 59.5);
    }
}
