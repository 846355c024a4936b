//! 建议提案办理 — pure rules: the states of a deputy's suggestion or a member's proposal, which
//! action moves it where, the time limits (3 calendar months from 交办, 6 for an approved complex
//! item; a unit not responsible returns it within 5 working days), the result codes and what a
//! rating does (不满意 reopens once).

use platform::calendar::{Limit, WorkCalendar};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 人大代表建议
    Suggestion,
    /// 政协委员提案
    Proposal,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Suggestion, Kind::Proposal];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Suggestion => "suggestion",
            Kind::Proposal => "proposal",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Suggestion => "人大代表建议",
            Kind::Proposal => "政协委员提案",
        }
    }

    /// Who writes it.
    pub fn member_label(self) -> &'static str {
        match self {
            Kind::Suggestion => "代表",
            Kind::Proposal => "委员",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 已登记, waiting for 交办.
    Registered,
    /// 已交办: the 主办 unit handles it, 会办 units send opinions.
    Assigned,
    /// 已退回: the unit says it is not responsible; the office assigns it again.
    Returned,
    /// 答复待审核: the reply waits for the unit leader.
    Reviewing,
    /// 已答复: waiting for the deputy's or member's rating.
    Replied,
    /// 重新办理: rated 不满意 once.
    Reopened,
    /// 已办结.
    Closed,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Registered,
        State::Assigned,
        State::Returned,
        State::Reviewing,
        State::Replied,
        State::Reopened,
        State::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Assigned => "assigned",
            State::Returned => "returned",
            State::Reviewing => "reviewing",
            State::Replied => "replied",
            State::Reopened => "reopened",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Registered => "待交办",
            State::Assigned => "办理中",
            State::Returned => "已退回",
            State::Reviewing => "答复待审核",
            State::Replied => "已答复待评价",
            State::Reopened => "重新办理",
            State::Closed => "已办结",
        }
    }

    /// The 主办 unit owes work (a reply, or its leader's review).
    pub fn in_hand(self) -> bool {
        matches!(self, State::Assigned | State::Reopened | State::Reviewing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 交办 (the office)
    Assign,
    /// 退回 (the 主办 unit, within 5 working days)
    Return,
    /// 提交答复 (the 主办 unit's clerk)
    Reply,
    /// 审核通过 (the unit leader): the reply goes to the deputy or member
    Approve,
    /// 退回修改 (the unit leader)
    SendBack,
    /// 评价 (the deputy or member)
    Rate,
}

impl Action {
    pub const ALL: [Action; 6] =
        [Action::Assign, Action::Return, Action::Reply, Action::Approve, Action::SendBack, Action::Rate];

    pub fn code(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Return => "return",
            Action::Reply => "reply",
            Action::Approve => "approve",
            Action::SendBack => "send_back",
            Action::Rate => "rate",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Assign => "交办",
            Action::Return => "退回",
            Action::Reply => "提交答复",
            Action::Approve => "审核通过",
            Action::SendBack => "退回修改",
            Action::Rate => "评价",
        }
    }
}

/// The deputy's or member's verdict on a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Satisfied,
    Basic,
    Unsatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Basic, Rating::Unsatisfied];

    pub fn code(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basic => "basic",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basic => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// The reply's result code and its label (the national classification of 办理结果).
pub const RESULT_CODES: [(&str, &str); 4] =
    [("A", "已解决或采纳"), ("B", "正在解决或列入计划"), ("C", "因条件限制暂时不能解决"), ("D", "留作参考")];

pub fn result_label(code: &str) -> Option<&'static str> {
    RESULT_CODES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// What the case looks like to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    /// Times it has been reopened (at most once).
    pub reopened: i64,
    /// Today is on or before the last day a unit may return it.
    pub within_return_window: bool,
}

/// Where `action` takes the case, or `None` when it is not allowed. A rating's outcome depends on
/// the verdict: see [`after_rating`].
pub fn transition(f: Facts, action: Action, rating: Option<Rating>) -> Option<State> {
    use State::*;
    match (f.state, action) {
        (Registered | Returned, Action::Assign) => Some(Assigned),
        (Assigned, Action::Return) if f.within_return_window => Some(Returned),
        (Assigned | Reopened, Action::Reply) => Some(Reviewing),
        (Reviewing, Action::Approve) => Some(Replied),
        (Reviewing, Action::SendBack) => Some(if f.reopened > 0 { Reopened } else { Assigned }),
        (Replied, Action::Rate) => rating.map(|r| after_rating(r, f.reopened)),
        _ => None,
    }
}

/// 不满意 the first time reopens the case for another round; otherwise the case is closed (a
/// second 不满意 is recorded and closes it — the office follows up outside the system).
pub fn after_rating(r: Rating, reopened: i64) -> State {
    if r == Rating::Unsatisfied && reopened == 0 { State::Reopened } else { State::Closed }
}

/// The handling limit from 交办.
pub fn limit(complex: bool) -> Limit {
    Limit::CalendarMonths(if complex { 6 } else { 3 })
}

/// How long a unit has to return an item that is not its business.
pub const RETURN_LIMIT: Limit = Limit::WorkingDays(5);

/// The reply due date and the last day to return, counted from the day of 交办.
pub fn deadlines(cal: &WorkCalendar, assigned_on: Date, complex: bool) -> (Date, Date) {
    (limit(complex).due(cal, assigned_on), RETURN_LIMIT.due(cal, assigned_on))
}

/// Checks of a reply before it goes to the leader: a result code and a text.
pub fn check_reply(result_code: &str, text: &str) -> Vec<(&'static str, &'static str)> {
    let mut errs = Vec::new();
    if result_label(result_code).is_none() {
        errs.push(("result_code", "请选择办理结果类别（A、B、C 或 D）"));
    }
    let n = text.trim().chars().count();
    if n < 20 {
        errs.push(("reply", "答复内容过短：请写明办理情况、措施和结果（至少 20 字）"));
    }
    if n > 20_000 {
        errs.push(("reply", "答复内容不能超过 2 万字"));
    }
    errs
}

/// One unit's figures as 主办 unit.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct UnitFigures {
    pub count: i64,
    /// Replied (approved) by the due date.
    pub on_time: i64,
    /// Replied at all.
    pub replied: i64,
    pub rated: i64,
    /// 满意 or 基本满意.
    pub satisfied: i64,
    /// A, B, C, D counts.
    pub codes: [i64; 4],
}

impl UnitFigures {
    /// On-time rate over the items whose reply is due or given, in percent (one decimal).
    pub fn on_time_rate(&self, due_or_replied: i64) -> Option<f64> {
        (due_or_replied > 0).then(|| percent(self.on_time, due_or_replied))
    }

    pub fn satisfaction_rate(&self) -> Option<f64> {
        (self.rated > 0).then(|| percent(self.satisfied, self.rated))
    }

    /// A/B/C/D shares of the replied items, in percent.
    pub fn code_shares(&self) -> [f64; 4] {
        let total: i64 = self.codes.iter().sum();
        self.codes.map(|c| if total == 0 { 0.0 } else { percent(c, total) })
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(state: State, reopened: i64, window: bool) -> Facts {
        Facts { state, reopened, within_return_window: window }
    }

    #[test]
    fn codes_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        for r in Rating::ALL {
            assert_eq!(Rating::parse(r.code()), Some(r));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        assert_eq!(State::parse("x"), None);
    }

    /// Every state × action × rating × reopen count × return window, against the table written
    /// out here independently of `transition`.
    #[test]
    fn the_whole_transition_table() {
        use State::*;
        for s in State::ALL {
            for a in Action::ALL {
                for reopened in [0, 1] {
                    for window in [false, true] {
                        for r in [None, Some(Rating::Satisfied), Some(Rating::Basic), Some(Rating::Unsatisfied)] {
                            let want = match (s, a) {
                                (Registered | Returned, Action::Assign) => Some(Assigned),
                                (Assigned, Action::Return) => window.then_some(Returned),
                                (Assigned | Reopened, Action::Reply) => Some(Reviewing),
                                (Reviewing, Action::Approve) => Some(Replied),
                                (Reviewing, Action::SendBack) if reopened == 0 => Some(Assigned),
                                (Reviewing, Action::SendBack) => Some(Reopened),
                                (Replied, Action::Rate) => match r {
                                    None => None,
                                    Some(Rating::Unsatisfied) if reopened == 0 => Some(Reopened),
                                    Some(_) => Some(Closed),
                                },
                                _ => None,
                            };
                            assert_eq!(
                                transition(facts(s, reopened, window), a, r),
                                want,
                                "{s:?} {a:?} reopened={reopened} window={window} {r:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn closed_is_final_and_reopening_happens_once() {
        for a in Action::ALL {
            for r in Rating::ALL {
                assert_eq!(transition(facts(State::Closed, 0, true), a, Some(r)), None);
            }
        }
        assert_eq!(after_rating(Rating::Unsatisfied, 0), State::Reopened);
        assert_eq!(after_rating(Rating::Unsatisfied, 1), State::Closed);
    }

    #[test]
    fn deadlines_count_months_and_working_days() {
        let cal = WorkCalendar::shipped();
        // 交办 on Friday 2026-03-20: three months later is 06-20; five working days end on 03-27.
        let (due, ret) = deadlines(&cal, date!(2026 - 03 - 20), false);
        assert_eq!(due, date!(2026 - 06 - 20));
        assert_eq!(ret, date!(2026 - 03 - 27));
        let (due, _) = deadlines(&cal, date!(2026 - 03 - 20), true);
        assert_eq!(due, date!(2026 - 09 - 20));
        // Month ends clamp: 交办 on 08-31 is due on 11-30.
        assert_eq!(deadlines(&cal, date!(2026 - 08 - 31), false).0, date!(2026 - 11 - 30));
        // The National Day week is not counted and its 调休 Saturday (10-10) is: 交办 on 2026-09-30
        // may be returned until 10-13 (10-08, 10-09, 10-10, 10-12, 10-13).
        assert_eq!(deadlines(&cal, date!(2026 - 09 - 30), false).1, date!(2026 - 10 - 13));
    }

    #[test]
    fn replies_need_a_code_and_substance() {
        assert_eq!(check_reply("A", "经研究，已将该路段纳入今年道路改造计划，并于十月底前完工通车。").len(), 0);
        let errs = check_reply("E", "已办理");
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), ["result_code", "reply"]);
        assert_eq!(result_label("C"), Some("因条件限制暂时不能解决"));
    }

    #[test]
    fn figures_are_percentages_with_one_decimal() {
        let f = UnitFigures { count: 3, on_time: 2, replied: 3, rated: 3, satisfied: 2, codes: [1, 1, 0, 1] };
        assert_eq!(f.on_time_rate(3), Some(66.7));
        assert_eq!(f.on_time_rate(0), None);
        assert_eq!(f.satisfaction_rate(), Some(66.7));
        assert_eq!(f.code_shares(), [33.3, 33.3, 0.0, 33.3]);
        assert_eq!(UnitFigures::default().satisfaction_rate(), None);
        assert_eq!(UnitFigures::default().code_shares(), [0.0; 4]);
    }
}
