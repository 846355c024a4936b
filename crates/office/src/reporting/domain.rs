//! 信息报送 — pure rules: an item's states (报送 → 采用 or 不采用), the levels it can be adopted at
//! (《每日要情》, 《信息专报》, the portal), what a leader's 批示 needs, and a unit's monthly score
//! from the office's rules and its quota.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Submitted,
    Adopted,
    Declined,
}

impl State {
    pub const ALL: [State; 3] = [State::Submitted, State::Adopted, State::Declined];

    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Adopted => "adopted",
            State::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "待采编",
            State::Adopted => "已采用",
            State::Declined => "未采用",
        }
    }
}

/// Where an adopted item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// 《每日要情》, the daily bulletin to the leaders.
    Daily,
    /// 《信息专报》, a special report on one matter.
    Special,
    /// The portal: a CMS draft that goes through the channel's review.
    Portal,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Daily, Level::Special, Level::Portal];

    pub fn code(self) -> &'static str {
        match self {
            Level::Daily => "daily",
            Level::Special => "special",
            Level::Portal => "portal",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Daily => "《每日要情》",
            Level::Special => "《信息专报》",
            Level::Portal => "门户网站",
        }
    }

    /// A bulletin with numbered issues (the portal has none).
    pub fn is_bulletin(self) -> bool {
        self != Level::Portal
    }
}

/// What the office may do with an item in `state`: adopt or decline only what waits.
pub fn may_decide(state: State) -> bool {
    state == State::Submitted
}

/// A leader's 批示 goes on an adopted item.
pub fn may_instruct(state: State) -> bool {
    state == State::Adopted
}

/// The categories offered to the units.
pub const CATEGORIES: [&str; 6] = ["经济运行", "社会民生", "工作动态", "突发事件", "意见建议", "基层经验"];

/// The urgencies (empty: ordinary).
pub const URGENCIES: [&str; 3] = ["", "急", "特急"];

/// Checks an item before it is submitted.
pub fn check(title: &str, body: &str, category: &str, urgency: &str) -> Vec<(&'static str, &'static str)> {
    let mut errs = Vec::new();
    let t = title.trim().chars().count();
    if t == 0 || t > 100 {
        errs.push(("title", "请填写标题（100 字以内）"));
    }
    let b = body.trim().chars().count();
    if b < 30 {
        errs.push(("body", "正文过短：请写明时间、地点、事件和数据（至少 30 字）"));
    }
    if b > 20_000 {
        errs.push(("body", "正文不能超过 2 万字"));
    }
    if !category.is_empty() && !CATEGORIES.contains(&category) {
        errs.push(("category", "请选择列出的类别"));
    }
    if !URGENCIES.contains(&urgency) {
        errs.push(("urgency", "紧急程度只能是普通、急或特急"));
    }
    errs
}

/// A unit's events in a month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub submitted: i64,
    pub daily: i64,
    pub special: i64,
    pub portal: i64,
    pub instructed: i64,
}

impl Counts {
    pub fn adopted(&self) -> i64 {
        self.daily + self.special + self.portal
    }
}

/// Points per event, as the office sets them (codes as in [`Counts`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Rules {
    pub submitted: f64,
    pub daily: f64,
    pub special: f64,
    pub portal: f64,
    pub instructed: f64,
}

impl Rules {
    pub const CODES: [&'static str; 5] = ["submitted", "daily", "special", "portal", "instructed"];

    pub fn from_pairs(pairs: &[(String, f64)]) -> Rules {
        let get = |c: &str| pairs.iter().find(|(k, _)| k == c).map_or(0.0, |(_, v)| *v);
        Rules {
            submitted: get("submitted"),
            daily: get("daily"),
            special: get("special"),
            portal: get("portal"),
            instructed: get("instructed"),
        }
    }
}

/// The month's score, to one decimal.
pub fn score(c: &Counts, r: &Rules) -> f64 {
    let s = c.submitted as f64 * r.submitted
        + c.daily as f64 * r.daily
        + c.special as f64 * r.special
        + c.portal as f64 * r.portal
        + c.instructed as f64 * r.instructed;
    (s * 10.0).round() / 10.0
}

/// How much of the quota the unit met, in percent (capped at 100; `None` without a quota).
pub fn quota_rate(submitted: i64, quota: i64) -> Option<f64> {
    (quota > 0).then(|| ((submitted as f64 * 1000.0 / quota as f64).round() / 10.0).min(100.0))
}

/// Adoption rate in percent (one decimal; `None` when nothing was submitted).
pub fn adoption_rate(c: &Counts) -> Option<f64> {
    (c.submitted > 0).then(|| (c.adopted() as f64 * 1000.0 / c.submitted as f64).round() / 10.0)
}

/// The title of a bulletin issue: 《每日要情》2026年第35期.
pub fn issue_title(level: Level, year: i64, number: i64) -> String {
    format!("{}{year}年第{number}期", level.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(l));
        }
        assert_eq!(Level::parse("weekly"), None);
        assert!(!Level::Portal.is_bulletin() && Level::Daily.is_bulletin() && Level::Special.is_bulletin());
    }

    #[test]
    fn only_waiting_items_are_decided_and_only_adopted_ones_instructed() {
        for s in State::ALL {
            assert_eq!(may_decide(s), s == State::Submitted);
            assert_eq!(may_instruct(s), s == State::Adopted);
        }
    }

    #[test]
    fn the_score_weighs_each_event_by_its_rule() {
        let rules = Rules::from_pairs(&[
            ("submitted".into(), 1.0),
            ("daily".into(), 3.0),
            ("special".into(), 5.0),
            ("portal".into(), 2.0),
            ("instructed".into(), 10.0),
        ]);
        let c = Counts { submitted: 12, daily: 4, special: 1, portal: 2, instructed: 1 };
        assert_eq!(score(&c, &rules), 12.0 + 12.0 + 5.0 + 4.0 + 10.0);
        assert_eq!(score(&Counts::default(), &rules), 0.0);
        let half = Rules { submitted: 0.5, ..rules };
        assert_eq!(score(&Counts { submitted: 3, ..Counts::default() }, &half), 1.5);
        assert_eq!(adoption_rate(&c), Some(58.3));
        assert_eq!(adoption_rate(&Counts::default()), None);
    }

    #[test]
    fn quotas_cap_at_a_hundred_and_need_a_quota() {
        assert_eq!(quota_rate(3, 4), Some(75.0));
        assert_eq!(quota_rate(9, 4), Some(100.0));
        assert_eq!(quota_rate(1, 3), Some(33.3));
        assert_eq!(quota_rate(5, 0), None);
    }

    #[test]
    fn an_item_needs_a_title_and_substance() {
        let body = "12月5日，市科技局组织专家对全市42家高新技术企业开展上门服务，现场解决问题17个。";
        assert!(check("市科技局上门服务高新技术企业", body, "工作动态", "").is_empty());
        let errs: Vec<_> = check("", "太短", "天气", "很急").into_iter().map(|e| e.0).collect();
        assert_eq!(errs, ["title", "body", "category", "urgency"]);
        assert_eq!(issue_title(Level::Daily, 2026, 35), "《每日要情》2026年第35期");
    }
}
