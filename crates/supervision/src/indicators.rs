//! The national website inspection indicators (国办秘函〔2019〕19号) as rules over findings: which
//! findings make a veto (单项否决) and at what count, what each deduction (扣分) costs and its cap
//! within its weight, and the verdict — any veto fails a site, otherwise a score under 60 does.
//! Pure: the monitor collects the findings, this decides what they mean.

use std::collections::BTreeMap;

use platform::module::Finding;
use serde::Serialize;

/// One indicator a finding counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Indicator {
    pub key: &'static str,
    pub label: &'static str,
    /// The deduction category of the 2019 table it falls under.
    pub category: &'static str,
    /// Points taken per finding (0 when it only counts towards a veto).
    pub points: f64,
    /// The most the indicator may take (its weight).
    pub cap: f64,
}

/// The indicators findings may name. Point values are not published in the 2019 text; these
/// follow the provinces' self-check tables and are the defaults of the score.
pub const INDICATORS: [Indicator; 13] = [
    Indicator {
        key: "site_unreachable", label: "站点无法访问", category: "网站可用性", points: 0.0, cap: 0.0
    },
    Indicator { key: "probe_failed", label: "首页访问失败", category: "网站可用性", points: 0.5, cap: 5.0 },
    Indicator {
        key: "link_broken_internal", label: "站内链接失效", category: "网站可用性", points: 1.0, cap: 5.0
    },
    Indicator { key: "home_stale", label: "首页不更新", category: "信息更新", points: 0.0, cap: 0.0 },
    Indicator {
        key: "column_stale_news",
        label: "动态要闻类栏目不更新（2周）",
        category: "信息更新",
        points: 2.0,
        cap: 10.0,
    },
    Indicator {
        key: "column_stale_notice",
        label: "通知公告、政策文件类栏目不更新（6个月）",
        category: "信息更新",
        points: 2.0,
        cap: 10.0,
    },
    Indicator {
        key: "column_stale_plan",
        label: "人事、规划计划类栏目不更新（1年）",
        category: "信息更新",
        points: 1.0,
        cap: 5.0,
    },
    Indicator { key: "column_blank", label: "空白栏目", category: "信息更新", points: 2.0, cap: 10.0 },
    Indicator {
        key: "site_facts_missing",
        label: "网站标识与备案信息缺失",
        category: "功能设计",
        points: 0.0,
        cap: 0.0,
    },
    Indicator { key: "wording_serious", label: "严重表述错误", category: "信息发布", points: 0.0, cap: 0.0 },
    Indicator { key: "wording_general", label: "一般错别字", category: "信息发布", points: 1.0, cap: 5.0 },
    Indicator {
        key: "letter_unanswered_3m",
        label: "留言超过3个月未答复",
        category: "互动交流",
        points: 0.0,
        cap: 0.0,
    },
    Indicator {
        key: "letter_overdue", label: "留言超期未办结", category: "互动交流", points: 1.0, cap: 10.0
    },
];

/// Indicators beyond the 2019 table, kept apart so the table above stays in its order: service
/// guides (the services module's completeness check), the website annual report, which must be
/// public by 31 January (国办函〔2018〕12号; 5 points, as the provinces' self-check tables weigh it),
/// and external links found broken by the link checker (unverifiable ones are listed, not deducted).
pub const MORE: [Indicator; 4] = [
    Indicator {
        key: "guide_incomplete", label: "办事指南要素缺失", category: "办事服务", points: 1.0, cap: 15.0
    },
    Indicator {
        key: "annual_report_late",
        label: "政府网站工作年度报表未按时公开",
        category: "信息发布",
        points: 5.0,
        cap: 5.0,
    },
    Indicator {
        key: "link_broken_external",
        label: "站外链接、图片或附件失效",
        category: "网站可用性",
        points: 1.0,
        cap: 5.0,
    },
    // Reported apart and not deducted: the other server refused the checker (429/403).
    Indicator {
        key: "link_unverifiable",
        label: "站外链接无法核实（对方网站拒绝检查）",
        category: "网站可用性",
        points: 0.0,
        cap: 0.0,
    },
];

/// Every indicator, the 2019 table first.
pub fn all() -> impl Iterator<Item = &'static Indicator> {
    INDICATORS.iter().chain(MORE.iter())
}

pub fn indicator(key: &str) -> Option<&'static Indicator> {
    all().find(|i| i.key == key)
}

/// A veto item: reached when the findings of its indicators together number at least `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VetoRule {
    pub key: &'static str,
    pub label: &'static str,
    pub indicators: &'static [&'static str],
    pub threshold: usize,
    /// The rule as the inspection text states it.
    pub rule: &'static str,
}

pub const VETOES: [VetoRule; 8] = [
    VetoRule {
        key: "serious_error",
        label: "严重表述错误",
        indicators: &["wording_serious"],
        threshold: 1,
        rule: "出现严重表述错误（错敏词词库中的严重错误）",
    },
    VetoRule {
        key: "unreachable",
        label: "站点无法访问",
        indicators: &["site_unreachable"],
        threshold: 1,
        rule: "近 1 周每天至少 20 次访问首页，超过 15 秒无法访问的次数占 5% 以上",
    },
    VetoRule {
        key: "home_stale",
        label: "首页不更新",
        indicators: &["home_stale"],
        threshold: 1,
        rule: "首页栏目 2 周内无新信息",
    },
    VetoRule {
        key: "columns_stale",
        label: "栏目不更新",
        indicators: &["column_stale_news", "column_stale_notice"],
        threshold: 5,
        rule: "动态要闻类栏目 2 周、通知公告政策文件类栏目 6 个月未更新，累计 5 个以上",
    },
    VetoRule {
        key: "columns_long_stale",
        label: "栏目长期未更新",
        indicators: &["column_stale_plan"],
        threshold: 10,
        rule: "应更新的栏目长期未更新 10 个以上",
    },
    VetoRule {
        key: "columns_blank",
        label: "空白栏目过多",
        indicators: &["column_blank"],
        threshold: 5,
        rule: "空白栏目 5 个以上",
    },
    VetoRule {
        key: "no_response",
        label: "互动回应差",
        indicators: &["letter_unanswered_3m"],
        threshold: 1,
        rule: "近 1 年内有效政务咨询类留言超过 3 个月未答复",
    },
    VetoRule {
        key: "facts_missing",
        label: "网站标识缺失",
        indicators: &["site_facts_missing"],
        threshold: 1,
        rule: "页脚缺少网站标识码、主办单位、联系方式、ICP备案号或公安机关备案号",
    },
];

/// A veto item's state for one site.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VetoState {
    pub rule: VetoRule,
    pub count: usize,
    pub reached: bool,
    /// Pre-warnings towards it (not yet counted).
    pub warnings: usize,
}

/// One deduction line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Deduction {
    pub indicator: Indicator,
    pub count: usize,
    pub points: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    FailVeto,
    FailScore,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::FailVeto => "fail_veto",
            Verdict::FailScore => "fail_score",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "合格",
            Verdict::FailVeto => "不合格（单项否决）",
            Verdict::FailScore => "不合格（得分低于60分）",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Pass, Verdict::FailVeto, Verdict::FailScore].into_iter().find(|v| v.code() == s)
    }
}

/// What one site's findings come to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assessment {
    pub vetoes: Vec<VetoState>,
    pub deductions: Vec<Deduction>,
    /// 100 minus the deductions.
    pub score: f64,
    pub verdict: Verdict,
    pub problems: usize,
    pub warnings: usize,
}

impl Assessment {
    pub fn vetoes_reached(&self) -> usize {
        self.vetoes.iter().filter(|v| v.reached).count()
    }
}

pub const PASS_SCORE: f64 = 60.0;

/// Weighs one site's findings.
pub fn assess(findings: &[Finding]) -> Assessment {
    let mut problems: BTreeMap<&str, usize> = BTreeMap::new();
    let mut warnings: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *if f.warning { &mut warnings } else { &mut problems }.entry(f.indicator.as_str()).or_default() += 1;
    }
    let count = |m: &BTreeMap<&str, usize>, keys: &[&str]| keys.iter().map(|k| m.get(k).copied().unwrap_or(0)).sum();
    let vetoes: Vec<VetoState> = VETOES
        .iter()
        .map(|r| {
            let n: usize = count(&problems, r.indicators);
            VetoState { rule: *r, count: n, reached: n >= r.threshold, warnings: count(&warnings, r.indicators) }
        })
        .collect();
    let deductions: Vec<Deduction> = all()
        .filter(|i| i.points > 0.0)
        .filter_map(|i| {
            let n = problems.get(i.key).copied().unwrap_or(0);
            (n > 0).then(|| Deduction { indicator: *i, count: n, points: (n as f64 * i.points).min(i.cap) })
        })
        .collect();
    let score = (100.0 - deductions.iter().map(|d| d.points).sum::<f64>()).max(0.0);
    let verdict = if vetoes.iter().any(|v| v.reached) {
        Verdict::FailVeto
    } else if score < PASS_SCORE {
        Verdict::FailScore
    } else {
        Verdict::Pass
    };
    Assessment {
        vetoes,
        deductions,
        score,
        verdict,
        problems: problems.values().sum(),
        warnings: warnings.values().sum(),
    }
}

/// Findings ordered the way a maintainer should work through them: those one of which fails the
/// site, then those that fail it together, then by the points fixing one recovers; warnings last.
pub fn fix_order(findings: &mut [Finding]) {
    let weight = |f: &Finding| -> (u8, i64) {
        if f.warning {
            return (3, 0);
        }
        let veto = VETOES.iter().find(|v| v.indicators.contains(&f.indicator.as_str())).map(|v| v.threshold);
        let points = indicator(&f.indicator).map_or(0.0, |i| i.points);
        let class = match veto {
            Some(1) => 0,
            Some(_) => 1,
            None => 2,
        };
        (class, -(points * 100.0) as i64)
    };
    findings.sort_by(|a, b| weight(a).cmp(&weight(b)).then_with(|| a.indicator.cmp(&b.indicator)));
}

/// Whether the share of failed probes reaches the unreachable veto: at least 5% of the probes of
/// the past week, counted only once a day's worth (20) of probes exists.
pub fn unreachable(total: usize, failed: usize) -> bool {
    total >= 20 && failed * 100 >= total * 5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(indicator: &str, warning: bool) -> Finding {
        Finding {
            indicator: indicator.into(),
            site_id: Some(1),
            subject: indicator.to_owned(),
            detail: String::new(),
            fix_url: String::new(),
            warning,
        }
    }

    #[test]
    fn a_clean_site_passes_with_full_marks() {
        let a = assess(&[]);
        assert_eq!(a.score, 100.0);
        assert_eq!(a.verdict, Verdict::Pass);
        assert_eq!(a.vetoes_reached(), 0);
        assert_eq!(a.vetoes.len(), VETOES.len());
    }

    #[test]
    fn single_items_veto_at_their_thresholds() {
        for key in ["wording_serious", "site_unreachable", "home_stale", "letter_unanswered_3m", "site_facts_missing"] {
            let a = assess(&[f(key, false)]);
            assert_eq!(a.verdict, Verdict::FailVeto, "{key}");
            assert_eq!(a.vetoes_reached(), 1, "{key}");
        }
        // Warnings never veto.
        assert_eq!(assess(&[f("home_stale", true)]).verdict, Verdict::Pass);
    }

    #[test]
    fn stale_columns_veto_at_five_across_both_classes() {
        let four: Vec<Finding> = (0..2)
            .map(|_| f("column_stale_news", false))
            .chain((0..2).map(|_| f("column_stale_notice", false)))
            .collect();
        let a = assess(&four);
        assert_eq!(a.verdict, Verdict::Pass);
        assert_eq!(a.score, 92.0);
        let mut five = four.clone();
        five.push(f("column_stale_notice", false));
        let a = assess(&five);
        assert_eq!(a.verdict, Verdict::FailVeto);
        assert_eq!(a.vetoes.iter().find(|v| v.rule.key == "columns_stale").map(|v| v.count), Some(5));
        let blanks: Vec<Finding> = (0..4).map(|_| f("column_blank", false)).collect();
        assert_eq!(assess(&blanks).verdict, Verdict::Pass);
        let plans: Vec<Finding> = (0..10).map(|_| f("column_stale_plan", false)).collect();
        assert_eq!(assess(&plans).verdict, Verdict::FailVeto);
    }

    #[test]
    fn deductions_are_capped_by_weight_and_low_scores_fail() {
        let many: Vec<Finding> = (0..30).map(|_| f("letter_overdue", false)).collect();
        let a = assess(&many);
        assert_eq!(a.deductions[0].points, 10.0, "capped at the weight");
        assert_eq!(a.score, 90.0);
        let mut worse: Vec<Finding> = Vec::new();
        for key in ["letter_overdue", "guide_incomplete", "link_broken_internal", "wording_general", "probe_failed"] {
            worse.extend((0..40).map(|_| f(key, false)));
        }
        worse.extend((0..4).map(|_| f("column_blank", false)));
        worse.extend((0..4).map(|_| f("column_stale_news", false)));
        let a = assess(&worse);
        assert_eq!(a.score, 100.0 - 10.0 - 15.0 - 5.0 - 5.0 - 5.0 - 8.0 - 8.0);
        assert_eq!(a.verdict, Verdict::FailScore, "44 points, no veto");
        worse.extend((0..9).map(|_| f("column_stale_plan", false)));
        worse.extend((0..6).map(|_| f("column_stale_plan", false)));
        let a = assess(&worse);
        assert_eq!(a.verdict, Verdict::FailVeto, "15 long-stale columns");
        let unknown = assess(&[f("made_up", false)]);
        assert_eq!((unknown.score, unknown.problems), (100.0, 1));
    }

    #[test]
    fn fix_order_puts_vetoes_then_points_then_warnings() {
        let mut v = vec![
            f("letter_overdue", true),
            f("wording_general", false),
            f("home_stale", false),
            f("column_blank", false),
        ];
        fix_order(&mut v);
        let keys: Vec<&str> = v.iter().map(|x| x.indicator.as_str()).collect();
        assert_eq!(keys, ["home_stale", "column_blank", "wording_general", "letter_overdue"]);
    }

    #[test]
    fn unreachable_share() {
        assert!(!unreachable(19, 19), "too few probes to judge");
        assert!(!unreachable(140, 6));
        assert!(unreachable(140, 7));
        assert!(unreachable(20, 1));
        assert!(!unreachable(0, 0));
    }
}
