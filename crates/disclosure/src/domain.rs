//! The rules of disclosure on request (依申请公开), pure:
//!
//! - who applies ([`ApplicantKind`], the columns of the annual report's table 三);
//! - how a request ends ([`Outcome`]: exactly one of the 22 result rows of table 三, each with its
//!   legal basis);
//! - the request's states and actions ([`State`], [`Action`], [`transition`]);
//! - the clock ([`Clock`]): 20 working days from the day of receipt (Art. 33), one extension of
//!   at most 20 working days (Art. 33), one 补正 notice within 7 working days of receipt that
//!   restarts the clock from the corrected request's arrival (Art. 30), third-party consultation
//!   not counted (Art. 32–33) — all on the shared working-day calendar (holidays and 调休);
//! - table 三 of the annual report ([`Table3`]) with its balance 一 + 二 = 三(七) + 四 per column.

use platform::calendar::{Limit, PausableDeadline, WorkCalendar};
use serde::Serialize;
use time::Date;

// ---- applicants -------------------------------------------------------------------------------

/// Who applies: the columns of table 三.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    Person,
    Business,
    Research,
    Nonprofit,
    LegalService,
    OtherOrg,
}

impl ApplicantKind {
    pub const ALL: [ApplicantKind; 6] = [
        ApplicantKind::Person,
        ApplicantKind::Business,
        ApplicantKind::Research,
        ApplicantKind::Nonprofit,
        ApplicantKind::LegalService,
        ApplicantKind::OtherOrg,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ApplicantKind::Person => "person",
            ApplicantKind::Business => "business",
            ApplicantKind::Research => "research",
            ApplicantKind::Nonprofit => "nonprofit",
            ApplicantKind::LegalService => "legal_service",
            ApplicantKind::OtherOrg => "other_org",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicantKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ApplicantKind::Person => "自然人",
            ApplicantKind::Business => "商业企业",
            ApplicantKind::Research => "科研机构",
            ApplicantKind::Nonprofit => "社会公益组织",
            ApplicantKind::LegalService => "法律服务机构",
            ApplicantKind::OtherOrg => "其他组织",
        }
    }

    /// A natural person identifies with an ID number; the others with a 统一社会信用代码.
    pub fn is_person(self) -> bool {
        self == ApplicantKind::Person
    }
}

// ---- outcomes ---------------------------------------------------------------------------------

/// How a request ends: one result row of table 三 (三、本年度办理结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    /// (一) 予以公开
    Disclosed,
    /// (二) 部分公开 (区分处理的，只计这一情形)
    PartlyDisclosed,
    /// (三) 不予公开, reasons 1–8
    Withheld(Withheld),
    /// (四) 无法提供, reasons 1–3
    Unavailable(Unavailable),
    /// (五) 不予处理, reasons 1–5
    NotProcessed(NotProcessed),
    /// (六) 其他处理, reasons 1–3
    Other(OtherHandling),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Withheld {
    StateSecret,
    ForbiddenByLaw,
    Security,
    ThirdParty,
    InternalAffairs,
    ProcessInformation,
    EnforcementFile,
    QueryMatter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unavailable {
    NotHeld,
    NeedsCreating,
    StillUnclear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NotProcessed {
    Petition,
    Repeat,
    Publication,
    Excessive,
    Reconfirmation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OtherHandling {
    CorrectionLapsed,
    FeeUnpaid,
    Other,
}

impl Outcome {
    /// Every outcome, in the order of table 三's rows.
    pub const ALL: [Outcome; 21] = [
        Outcome::Disclosed,
        Outcome::PartlyDisclosed,
        Outcome::Withheld(Withheld::StateSecret),
        Outcome::Withheld(Withheld::ForbiddenByLaw),
        Outcome::Withheld(Withheld::Security),
        Outcome::Withheld(Withheld::ThirdParty),
        Outcome::Withheld(Withheld::InternalAffairs),
        Outcome::Withheld(Withheld::ProcessInformation),
        Outcome::Withheld(Withheld::EnforcementFile),
        Outcome::Withheld(Withheld::QueryMatter),
        Outcome::Unavailable(Unavailable::NotHeld),
        Outcome::Unavailable(Unavailable::NeedsCreating),
        Outcome::Unavailable(Unavailable::StillUnclear),
        Outcome::NotProcessed(NotProcessed::Petition),
        Outcome::NotProcessed(NotProcessed::Repeat),
        Outcome::NotProcessed(NotProcessed::Publication),
        Outcome::NotProcessed(NotProcessed::Excessive),
        Outcome::NotProcessed(NotProcessed::Reconfirmation),
        Outcome::Other(OtherHandling::CorrectionLapsed),
        Outcome::Other(OtherHandling::FeeUnpaid),
        Outcome::Other(OtherHandling::Other),
    ];

    /// The stable code stored with a closed request.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Disclosed => "disclosed",
            Outcome::PartlyDisclosed => "partly_disclosed",
            Outcome::Withheld(w) => match w {
                Withheld::StateSecret => "withheld_state_secret",
                Withheld::ForbiddenByLaw => "withheld_forbidden_by_law",
                Withheld::Security => "withheld_security",
                Withheld::ThirdParty => "withheld_third_party",
                Withheld::InternalAffairs => "withheld_internal_affairs",
                Withheld::ProcessInformation => "withheld_process_information",
                Withheld::EnforcementFile => "withheld_enforcement_file",
                Withheld::QueryMatter => "withheld_query_matter",
            },
            Outcome::Unavailable(u) => match u {
                Unavailable::NotHeld => "unavailable_not_held",
                Unavailable::NeedsCreating => "unavailable_needs_creating",
                Unavailable::StillUnclear => "unavailable_still_unclear",
            },
            Outcome::NotProcessed(n) => match n {
                NotProcessed::Petition => "not_processed_petition",
                NotProcessed::Repeat => "not_processed_repeat",
                NotProcessed::Publication => "not_processed_publication",
                NotProcessed::Excessive => "not_processed_excessive",
                NotProcessed::Reconfirmation => "not_processed_reconfirmation",
            },
            Outcome::Other(o) => match o {
                OtherHandling::CorrectionLapsed => "other_correction_lapsed",
                OtherHandling::FeeUnpaid => "other_fee_unpaid",
                OtherHandling::Other => "other",
            },
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.code() == s)
    }

    /// The row's text in table 三.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Disclosed => "予以公开",
            Outcome::PartlyDisclosed => "部分公开",
            Outcome::Withheld(w) => match w {
                Withheld::StateSecret => "属于国家秘密",
                Withheld::ForbiddenByLaw => "其他法律行政法规禁止公开",
                Withheld::Security => "危及“三安全一稳定”",
                Withheld::ThirdParty => "保护第三方合法权益",
                Withheld::InternalAffairs => "属于三类内部事务信息",
                Withheld::ProcessInformation => "属于四类过程性信息",
                Withheld::EnforcementFile => "属于行政执法案卷",
                Withheld::QueryMatter => "属于行政查询事项",
            },
            Outcome::Unavailable(u) => match u {
                Unavailable::NotHeld => "本机关不掌握相关政府信息",
                Unavailable::NeedsCreating => "没有现成信息需要另行制作",
                Unavailable::StillUnclear => "补正后申请内容仍不明确",
            },
            Outcome::NotProcessed(n) => match n {
                NotProcessed::Petition => "信访举报投诉类申请",
                NotProcessed::Repeat => "重复申请",
                NotProcessed::Publication => "要求提供公开出版物",
                NotProcessed::Excessive => "无正当理由大量反复申请",
                NotProcessed::Reconfirmation => "要求行政机关确认或重新出具已获取信息",
            },
            Outcome::Other(o) => match o {
                OtherHandling::CorrectionLapsed => "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                OtherHandling::FeeUnpaid => "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                OtherHandling::Other => "其他",
            },
        }
    }

    /// The group heading of the row in table 三.
    pub fn group(self) -> &'static str {
        match self {
            Outcome::Disclosed => "（一）予以公开",
            Outcome::PartlyDisclosed => "（二）部分公开",
            Outcome::Withheld(_) => "（三）不予公开",
            Outcome::Unavailable(_) => "（四）无法提供",
            Outcome::NotProcessed(_) => "（五）不予处理",
            Outcome::Other(_) => "（六）其他处理",
        }
    }

    /// The article of the regulation a reply letter cites.
    pub fn basis(self) -> &'static str {
        match self {
            Outcome::Disclosed => "《中华人民共和国政府信息公开条例》第三十六条第（二）项",
            Outcome::PartlyDisclosed => "《中华人民共和国政府信息公开条例》第三十七条",
            Outcome::Withheld(w) => match w {
                Withheld::StateSecret | Withheld::ForbiddenByLaw | Withheld::Security => {
                    "《中华人民共和国政府信息公开条例》第十四条、第三十六条第（三）项"
                }
                Withheld::ThirdParty => "《中华人民共和国政府信息公开条例》第十五条、第三十二条",
                Withheld::InternalAffairs | Withheld::ProcessInformation | Withheld::EnforcementFile => {
                    "《中华人民共和国政府信息公开条例》第十六条"
                }
                Withheld::QueryMatter => "《中华人民共和国政府信息公开条例》第三十六条第（七）项",
            },
            Outcome::Unavailable(u) => match u {
                Unavailable::NotHeld => "《中华人民共和国政府信息公开条例》第三十六条第（四）项、第（五）项",
                Unavailable::NeedsCreating => "《中华人民共和国政府信息公开条例》第三十八条",
                Unavailable::StillUnclear => "《中华人民共和国政府信息公开条例》第三十条",
            },
            Outcome::NotProcessed(n) => match n {
                NotProcessed::Petition | NotProcessed::Publication => "《中华人民共和国政府信息公开条例》第三十九条",
                NotProcessed::Repeat => "《中华人民共和国政府信息公开条例》第三十六条第（六）项",
                NotProcessed::Excessive => "《中华人民共和国政府信息公开条例》第三十五条",
                NotProcessed::Reconfirmation => "《中华人民共和国政府信息公开条例》第三十八条",
            },
            Outcome::Other(o) => match o {
                OtherHandling::CorrectionLapsed => "《中华人民共和国政府信息公开条例》第三十条",
                OtherHandling::FeeUnpaid => "《中华人民共和国政府信息公开条例》第四十二条",
                OtherHandling::Other => "《中华人民共和国政府信息公开条例》",
            },
        }
    }

    /// Outcomes the office chooses in a decision; the two lapses (no 补正, fee unpaid) are reached
    /// by their own actions, never chosen.
    pub fn is_decision(self) -> bool {
        !matches!(self, Outcome::Other(OtherHandling::CorrectionLapsed | OtherHandling::FeeUnpaid))
    }
}

// ---- states and actions -----------------------------------------------------------------------

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Sent online, waiting for the office to confirm receipt (the clock starts on confirmation).
    Submitted,
    /// Received: the clock runs.
    Received,
    /// 补正 asked for: waiting for the applicant; the clock restarts from zero on the corrected request.
    Correcting,
    /// A third party or another agency is consulted: the clock stands still.
    Consulting,
    /// 信息处理费 notified: waiting for payment.
    FeeNotified,
    /// Decided: the reply letter is ready to deliver.
    Decided,
    /// The reply reached the applicant: closed.
    Closed,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Submitted,
        State::Received,
        State::Correcting,
        State::Consulting,
        State::FeeNotified,
        State::Decided,
        State::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Received => "received",
            State::Correcting => "correcting",
            State::Consulting => "consulting",
            State::FeeNotified => "fee_notified",
            State::Decided => "decided",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "待确认收到",
            State::Received => "办理中",
            State::Correcting => "待补正",
            State::Consulting => "征求第三方意见",
            State::FeeNotified => "待缴纳信息处理费",
            State::Decided => "已答复待送达",
            State::Closed => "已办结",
        }
    }

    /// Still with the office (counted as 结转下年度 at a year's end).
    pub fn is_open(self) -> bool {
        !matches!(self, State::Decided | State::Closed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    /// The office confirms receipt (online requests: the receipt date, Art. 31).
    Confirm,
    /// One 补正 notice, within 7 working days of receipt (Art. 30).
    RequestCorrection,
    /// The corrected request arrives: the clock starts again from zero.
    Corrected,
    /// The applicant did not correct in time: closed as 其他处理 1.
    CorrectionLapsed,
    /// Ask a third party or another agency (Art. 32, 34): the clock stops.
    Consult,
    /// Their answer arrived (or 15 working days passed): the clock runs again.
    ConsultationDone,
    /// One extension of at most 20 working days, approved, with a notice to the applicant (Art. 33).
    Extend,
    /// 信息处理费 notice (Art. 42).
    NotifyFee,
    /// Paid or waived: handling continues.
    FeeSettled,
    /// Unpaid in time: closed as 其他处理 2.
    FeeLapsed,
    /// The decision, with one outcome and its reply letter.
    Decide,
    /// The reply was delivered.
    Deliver,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Confirm,
        Action::RequestCorrection,
        Action::Corrected,
        Action::CorrectionLapsed,
        Action::Consult,
        Action::ConsultationDone,
        Action::Extend,
        Action::NotifyFee,
        Action::FeeSettled,
        Action::FeeLapsed,
        Action::Decide,
        Action::Deliver,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::RequestCorrection => "request_correction",
            Action::Corrected => "corrected",
            Action::CorrectionLapsed => "correction_lapsed",
            Action::Consult => "consult",
            Action::ConsultationDone => "consultation_done",
            Action::Extend => "extend",
            Action::NotifyFee => "notify_fee",
            Action::FeeSettled => "fee_settled",
            Action::FeeLapsed => "fee_lapsed",
            Action::Decide => "decide",
            Action::Deliver => "deliver",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Confirm => "确认收到",
            Action::RequestCorrection => "一次性告知补正",
            Action::Corrected => "收到补正",
            Action::CorrectionLapsed => "逾期未补正",
            Action::Consult => "征求第三方意见",
            Action::ConsultationDone => "第三方意见已回复",
            Action::Extend => "延长答复期限",
            Action::NotifyFee => "发出收费通知",
            Action::FeeSettled => "已缴费或免收",
            Action::FeeLapsed => "逾期未缴费",
            Action::Decide => "作出答复",
            Action::Deliver => "送达",
        }
    }
}

/// What the rules need to know about a request besides its state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// A 补正 notice was sent before (only one is allowed).
    pub corrected_once: bool,
    /// An extension was granted before (only one is allowed).
    pub extended_once: bool,
    /// Working days since receipt (the 补正 notice must go within 7).
    pub workdays_since_receipt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("当前状态（{0}）不能执行“{1}”")]
    NotNow(&'static str, &'static str),
    #[error("补正只能一次性告知，本申请已告知过补正")]
    SecondCorrection,
    #[error("补正须在收到申请之日起 7 个工作日内告知，已过 {0} 个工作日")]
    CorrectionTooLate(u32),
    #[error("答复期限只能延长一次")]
    SecondExtension,
}

/// The working days within which a 补正 notice must go (Art. 30).
pub const CORRECTION_NOTICE_WORKDAYS: u32 = 7;
/// The reply limit (Art. 33).
pub const REPLY_WORKDAYS: u32 = 20;
/// The longest extension (Art. 33).
pub const MAX_EXTENSION_WORKDAYS: u32 = 20;
/// How long a consulted third party has (Art. 32).
pub const CONSULTATION_WORKDAYS: u32 = 15;

/// The state after `action`, or why it is not allowed.
pub fn transition(state: State, action: Action, facts: &Facts) -> Result<State, TransitionError> {
    use Action as A;
    use State as S;
    let next = match (state, action) {
        (S::Submitted, A::Confirm) => S::Received,
        (S::Received, A::RequestCorrection) => {
            if facts.corrected_once {
                return Err(TransitionError::SecondCorrection);
            }
            if facts.workdays_since_receipt > CORRECTION_NOTICE_WORKDAYS {
                return Err(TransitionError::CorrectionTooLate(facts.workdays_since_receipt));
            }
            S::Correcting
        }
        (S::Correcting, A::Corrected) => S::Received,
        (S::Correcting, A::CorrectionLapsed) => S::Decided,
        (S::Received, A::Consult) => S::Consulting,
        (S::Consulting, A::ConsultationDone) => S::Received,
        (S::Received | S::Consulting, A::Extend) => {
            if facts.extended_once {
                return Err(TransitionError::SecondExtension);
            }
            state
        }
        (S::Received, A::NotifyFee) => S::FeeNotified,
        (S::FeeNotified, A::FeeSettled) => S::Received,
        (S::FeeNotified, A::FeeLapsed) => S::Decided,
        (S::Received, A::Decide) => S::Decided,
        (S::Decided, A::Deliver) => S::Closed,
        _ => return Err(TransitionError::NotNow(state.label(), action.label())),
    };
    Ok(next)
}

// ---- the clock --------------------------------------------------------------------------------

/// An event that moves the clock, with its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEvent {
    /// Receipt (confirmation for online requests).
    Received(Date),
    /// 补正 notice sent: the clock stops; it will restart from zero.
    CorrectionRequested(Date),
    /// The corrected request arrived: a fresh 20 working days from this day.
    Corrected(Date),
    ConsultationStarted(Date),
    ConsultationEnded(Date),
    /// A 信息处理费 notice: the clock stands until the fee is paid or waived (the reference marks
    /// the rule unconfirmed; counting the wait against the applicant's deadline would be unfair).
    FeeNotified(Date),
    FeeSettled(Date),
    /// An extension of this many working days.
    Extended(u32),
}

/// The clock as the events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// The day the current 20 working days count from (receipt, or the corrected request).
    pub start: Option<Date>,
    /// The reply deadline; `None` while the clock stands (补正 awaited, consultation running).
    pub due: Option<Date>,
    /// The last day for the 补正 notice (7 working days from the first receipt).
    pub correction_notice_by: Option<Date>,
    pub extended_workdays: u32,
}

/// Replays the events on the calendar (holidays and 调休 included).
pub fn clock(events: &[ClockEvent], cal: &WorkCalendar) -> Clock {
    let mut deadline: Option<PausableDeadline> = None;
    let mut correction_notice_by = None;
    let mut waiting_for_correction = false;
    let mut extended = 0;
    for e in events {
        match *e {
            ClockEvent::Received(day) => {
                deadline = Some(PausableDeadline::new(day, Limit::WorkingDays(REPLY_WORKDAYS)));
                correction_notice_by.get_or_insert(cal.add_workdays(day, CORRECTION_NOTICE_WORKDAYS));
            }
            ClockEvent::CorrectionRequested(_) => waiting_for_correction = true,
            ClockEvent::Corrected(day) => {
                waiting_for_correction = false;
                // Counting starts again from zero (Art. 30); an extension granted before stays.
                let mut fresh = PausableDeadline::new(day, Limit::WorkingDays(REPLY_WORKDAYS));
                fresh.extended_workdays = extended;
                deadline = Some(fresh);
            }
            ClockEvent::ConsultationStarted(day) | ClockEvent::FeeNotified(day) => {
                if let Some(d) = deadline.as_mut() {
                    d.pause(day);
                }
            }
            ClockEvent::ConsultationEnded(day) | ClockEvent::FeeSettled(day) => {
                if let Some(d) = deadline.as_mut() {
                    d.resume(day);
                }
            }
            ClockEvent::Extended(n) => {
                extended += n.min(MAX_EXTENSION_WORKDAYS);
                if let Some(d) = deadline.as_mut() {
                    d.extended_workdays = extended;
                }
            }
        }
    }
    Clock {
        start: deadline.as_ref().map(|d| d.start),
        due: if waiting_for_correction { None } else { deadline.as_ref().and_then(|d| d.due(cal)) },
        correction_notice_by,
        extended_workdays: extended,
    }
}

// ---- table 三 of the annual report -------------------------------------------------------------

/// One request as table 三 counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub applicant: ApplicantKind,
    /// The year it was received.
    pub received_year: i32,
    /// Its outcome and the year of the decision, when decided.
    pub decided: Option<(Outcome, i32)>,
}

/// Table 三: rows 一 (new), 二 (carried over), the 21 result rows, 三(七) (total results) and 四
/// (carried into next year); one column per applicant kind (the totals are sums).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table3 {
    pub year: i32,
    pub new: [i64; 6],
    pub carried_in: [i64; 6],
    /// Per outcome in [`Outcome::ALL`] order.
    pub results: Vec<[i64; 6]>,
    pub carried_out: [i64; 6],
}

fn col(k: ApplicantKind) -> usize {
    ApplicantKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

impl Table3 {
    /// Counts requests for `year`: received this year (一), received earlier and still open on
    /// 1 January (二), decided this year (三, one row each), open on 31 December (四).
    pub fn tally(year: i32, requests: &[Counted]) -> Table3 {
        let mut t = Table3::empty(year);
        for r in requests {
            t.count(*r, 1);
        }
        t
    }

    /// A table with every cell zero.
    pub fn empty(year: i32) -> Table3 {
        Table3 { year, new: [0; 6], carried_in: [0; 6], results: vec![[0; 6]; Outcome::ALL.len()], carried_out: [0; 6] }
    }

    /// Counts `n` requests that stand as `r` (the store hands over groups, not a million rows).
    pub fn count(&mut self, r: Counted, n: i64) {
        let year = self.year;
        let c = col(r.applicant);
        let decided_year = r.decided.map(|(_, y)| y);
        if r.received_year > year || decided_year.is_some_and(|y| y < year) {
            return;
        }
        if r.received_year == year {
            self.new[c] += n;
        } else {
            self.carried_in[c] += n;
        }
        match r.decided {
            Some((outcome, y)) if y == year => {
                let row = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
                self.results[row][c] += n;
            }
            _ => self.carried_out[c] += n,
        }
    }

    /// The keys of the table's rows as hand entries name them: `new`, `carried_in`, each outcome's
    /// code, `carried_out`.
    pub fn row_keys() -> Vec<&'static str> {
        let mut keys = vec!["new", "carried_in"];
        keys.extend(Outcome::ALL.iter().map(|o| o.code()));
        keys.push("carried_out");
        keys
    }

    /// Adds a hand-entered row (requests handled on paper before the system, corrections agreed
    /// with the supervising office). An unknown row key is refused.
    pub fn add_row(&mut self, key: &str, values: &[i64; 6]) -> Result<(), String> {
        let target = match key {
            "new" => &mut self.new,
            "carried_in" => &mut self.carried_in,
            "carried_out" => &mut self.carried_out,
            _ => {
                let row = Outcome::ALL
                    .iter()
                    .position(|o| o.code() == key)
                    .ok_or_else(|| format!("表三没有“{key}”这一行"))?;
                &mut self.results[row]
            }
        };
        for (t, v) in target.iter_mut().zip(values) {
            *t += v;
        }
        Ok(())
    }

    /// Row 三(七): the results' total per column.
    pub fn results_total(&self) -> [i64; 6] {
        let mut out = [0; 6];
        for row in &self.results {
            for (o, v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        out
    }

    /// The columns where 一 + 二 ≠ 三(七) + 四, each named with both sides (a hand-entered row can
    /// break the balance; the report shows these as errors and is not published).
    pub fn balance_errors(&self) -> Vec<String> {
        let total = self.results_total();
        ApplicantKind::ALL
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let (left, right) = (self.new[i] + self.carried_in[i], total[i] + self.carried_out[i]);
                (left != right).then(|| format!("“{}”一栏不平衡：一 + 二 = {left}，三（七）+ 四 = {right}", k.label()))
            })
            .collect()
    }
}

// ---- 信息处理费 and table 四 ------------------------------------------------------------------------

/// The 按件 fee per request under 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号), for an
/// applicant's `nth` request in one calendar month: the first 10 are free; the 11th to 30th cost
/// 100 元 each; from the 31st every further 10 requests raise the fee by 100 元 each.
pub fn fee_per_request(nth: u32) -> i64 {
    match nth {
        0..=10 => 0,
        11..=30 => 100,
        n => 100 * (2 + i64::from((n - 31) / 10)),
    }
}

/// Where a fee notice stands.
pub const FEE_STATES: [(&str, &str); 4] =
    [("notified", "已发收费通知"), ("paid", "已缴费"), ("waived", "已减免"), ("lapsed", "逾期未缴费")];

/// Table 四's 15 columns: 行政复议, then 行政诉讼 未经复议直接起诉 and 复议后起诉, each with 结果维持,
/// 结果纠正, 其他结果, 尚未审结 and 总计.
pub const TABLE4_BLOCKS: [&str; 3] = ["行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"];
pub const TABLE4_COLUMNS: [&str; 4] = ["结果维持", "结果纠正", "其他结果", "尚未审结"];

/// The codes of table 四's blocks and results, for a request's 复议/诉讼.
pub const REVIEW_KINDS: [(&str, &str); 3] = [
    ("reconsideration", "行政复议"),
    ("litigation_direct", "行政诉讼（未经复议直接起诉）"),
    ("litigation_after", "行政诉讼（复议后起诉）"),
];
pub const REVIEW_RESULTS: [(&str, &str); 4] =
    [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结")];

/// Table 四 as entered: per block the four result counts; the totals are computed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Table4 {
    pub blocks: [[i64; 4]; 3],
}

impl Table4 {
    /// Counts `n` cases of the review kind and result codes (unknown codes count nowhere).
    pub fn count(&mut self, kind: &str, result: &str, n: i64) {
        let b = REVIEW_KINDS.iter().position(|(c, _)| *c == kind);
        let r = REVIEW_RESULTS.iter().position(|(c, _)| *c == result);
        if let (Some(b), Some(r)) = (b, r) {
            self.blocks[b][r] += n;
        }
    }

    pub fn total(&self, block: usize) -> i64 {
        self.blocks.get(block).map_or(0, |b| b.iter().sum())
    }
}

// ---- the 主动公开 catalogue ------------------------------------------------------------------------

/// 主题分类: the categories of Art. 20 and the local ones of Art. 21 (city and county).
pub const TOPICS: [&str; 20] = [
    "法规规章和规范性文件",
    "机构职能",
    "规划计划",
    "统计信息",
    "行政许可",
    "行政处罚和行政强制",
    "财政预决算",
    "行政事业性收费",
    "政府采购",
    "重大建设项目",
    "社会保障和就业",
    "教育医疗",
    "应急管理",
    "环境保护和安全生产",
    "公务员招考",
    "市政建设和公共服务",
    "土地征收和房屋征收",
    "社会救助",
    "政策解读",
    "其他",
];

/// 体裁分类.
pub const GENRES: [&str; 12] =
    ["通知", "决定", "意见", "办法", "规定", "公告", "通告", "报告", "批复", "函", "纪要", "其他"];

/// The forms of a 政策解读.
pub const INTERPRETATION_FORMS: [&str; 4] = ["文字解读", "图解", "视频解读", "问答"];

/// 有效性.
pub const VALIDITY: [(&str, &str); 3] = [("valid", "有效"), ("invalid", "失效"), ("repealed", "废止")];

/// The index number under the default pattern `<org code>/<year>-<5-digit sequence>` (the
/// de-facto national form, e.g. `000014349/2017-00110`).
pub fn index_number(org_code: &str, year: i32, seq: i64) -> String {
    format!("{org_code}/{year}-{seq:05}")
}

pub use platform::codes::normalise_doc_no;

/// Whether information formed or changed on `formed` and published on `published` missed the
/// 20 working days of Art. 26.
pub fn published_late(cal: &WorkCalendar, formed: Date, published: Date) -> bool {
    published > cal.add_workdays(formed, 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::calendar::date;

    fn d(s: &str) -> Date {
        date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    /// The shipped calendar: in 2026 中秋节 is 25–27 September, 国庆节 1–7 October, with the
    /// 调休 working days Sunday 20 September and Saturday 10 October.
    fn cal() -> WorkCalendar {
        WorkCalendar::shipped()
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
            assert!(!o.label().is_empty() && o.basis().starts_with("《中华人民共和国政府信息公开条例》"));
        }
        let mut codes: Vec<&str> = Outcome::ALL.iter().map(|o| o.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 21);
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        for k in ApplicantKind::ALL {
            assert_eq!(ApplicantKind::parse(k.code()), Some(k));
        }
        // The lapses are reached by their own actions, not chosen as decisions.
        assert_eq!(Outcome::ALL.iter().filter(|o| !o.is_decision()).count(), 2);
    }

    /// The complete table, written out independently: every (state, action) pair not listed here
    /// must be refused.
    #[test]
    fn transition_table_is_exactly_this() {
        use Action as A;
        use State as S;
        let allowed: &[(S, A, S)] = &[
            (S::Submitted, A::Confirm, S::Received),
            (S::Received, A::RequestCorrection, S::Correcting),
            (S::Correcting, A::Corrected, S::Received),
            (S::Correcting, A::CorrectionLapsed, S::Decided),
            (S::Received, A::Consult, S::Consulting),
            (S::Consulting, A::ConsultationDone, S::Received),
            (S::Received, A::Extend, S::Received),
            (S::Consulting, A::Extend, S::Consulting),
            (S::Received, A::NotifyFee, S::FeeNotified),
            (S::FeeNotified, A::FeeSettled, S::Received),
            (S::FeeNotified, A::FeeLapsed, S::Decided),
            (S::Received, A::Decide, S::Decided),
            (S::Decided, A::Deliver, S::Closed),
        ];
        let facts = Facts::default();
        for s in State::ALL {
            for a in Action::ALL {
                let want = allowed.iter().find(|(x, y, _)| *x == s && *y == a).map(|t| t.2);
                match (transition(s, a, &facts), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s:?} {a:?}"),
                    (Err(TransitionError::NotNow(..)), None) => {}
                    (got, want) => panic!("{s:?} {a:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn one_correction_within_seven_workdays_and_one_extension() {
        let once = Facts { corrected_once: true, ..Facts::default() };
        assert_eq!(
            transition(State::Received, Action::RequestCorrection, &once),
            Err(TransitionError::SecondCorrection)
        );
        let late = Facts { workdays_since_receipt: 8, ..Facts::default() };
        assert_eq!(
            transition(State::Received, Action::RequestCorrection, &late),
            Err(TransitionError::CorrectionTooLate(8))
        );
        let on_time = Facts { workdays_since_receipt: 7, ..Facts::default() };
        assert_eq!(transition(State::Received, Action::RequestCorrection, &on_time), Ok(State::Correcting));
        let extended = Facts { extended_once: true, ..Facts::default() };
        assert_eq!(transition(State::Received, Action::Extend, &extended), Err(TransitionError::SecondExtension));
        assert!(
            transition(State::Received, Action::RequestCorrection, &once).unwrap_err().to_string().contains("一次性")
        );
    }

    #[test]
    fn twenty_workdays_across_a_holiday_with_a_make_up_saturday() {
        let cal = cal();
        assert!(cal.is_workday(d("2026-10-10")) && !cal.is_workday(d("2026-09-25")));
        // Received Thursday 24 September 2026. Working days after it: 28, 29, 30 September (3),
        // 8, 9 October (5), Saturday 10 October — the 调休 day (6), 12–16 (11), 19–23 (16),
        // 26–29 October (20).
        let c = clock(&[ClockEvent::Received(d("2026-09-24"))], &cal);
        assert_eq!(c.due, Some(d("2026-10-29")));
        // The 补正 notice is due within 7 working days: 28, 29, 30 September, 8, 9, 10, 12 October.
        assert_eq!(c.correction_notice_by, Some(d("2026-10-12")));
    }

    #[test]
    fn correction_restarts_from_zero_consultation_pauses_and_extension_adds() {
        let cal = cal();
        let mut events = vec![ClockEvent::Received(d("2026-09-24"))];
        // 补正 asked on Tuesday 29 September: no deadline while the applicant corrects.
        events.push(ClockEvent::CorrectionRequested(d("2026-09-29")));
        assert_eq!(clock(&events, &cal).due, None);
        // The corrected request arrives Friday 9 October: a fresh 20 working days from it —
        // 10 (调休 Saturday, 1), 12–16 (6), 19–23 (11), 26–30 (16), 2–5 November (20).
        events.push(ClockEvent::Corrected(d("2026-10-09")));
        let c = clock(&events, &cal);
        assert_eq!((c.start, c.due), (Some(d("2026-10-09")), Some(d("2026-11-05"))));
        // The notice deadline stays counted from the first receipt.
        assert_eq!(c.correction_notice_by, Some(d("2026-10-12")));
        // A third party is consulted from Monday 12 October to Friday 23 October: the 9 working
        // days 13–16 and 19–23 October are not counted (the day consultation starts is).
        events.push(ClockEvent::ConsultationStarted(d("2026-10-12")));
        assert_eq!(clock(&events, &cal).due, None, "the clock stands while consulting");
        events.push(ClockEvent::ConsultationEnded(d("2026-10-23")));
        // 5 November + 9 working days: 6, 9–13, 16–18 November.
        assert_eq!(clock(&events, &cal).due, Some(d("2026-11-18")));
        // One extension of 20 working days: 19–20, 23–27, 30 November, 1–4, 7–11, 14–16 December.
        events.push(ClockEvent::Extended(20));
        let c = clock(&events, &cal);
        assert_eq!((c.due, c.extended_workdays), (Some(d("2026-12-16")), 20));
        // An extension is capped at 20 working days.
        let capped = clock(&[ClockEvent::Received(d("2026-09-24")), ClockEvent::Extended(30)], &cal);
        assert_eq!(capped.extended_workdays, 20);
    }

    fn counted(applicant: ApplicantKind, received_year: i32, decided: Option<(Outcome, i32)>) -> Counted {
        Counted { applicant, received_year, decided }
    }

    #[test]
    fn catalogue_numbers_and_doc_numbers() {
        assert_eq!(index_number("000014349", 2017, 110), "000014349/2017-00110");
        for typed in
            ["哈科规[2024]3号", "哈科规（2024）3号", "哈科规【2024】 3号", "哈科规〔2024〕3号", " 哈科规﹝2024﹞3号"]
        {
            assert_eq!(normalise_doc_no(typed), "哈科规〔2024〕3号", "{typed}");
        }
        let cal = cal();
        // Formed Thursday 24 September 2026: 20 working days end 29 October (see above).
        assert!(!published_late(&cal, d("2026-09-24"), d("2026-10-29")));
        assert!(published_late(&cal, d("2026-09-24"), d("2026-10-30")));
    }

    #[test]
    fn fee_schedule_by_count_per_month() {
        let fees: Vec<i64> = [1, 10, 11, 30, 31, 40, 41, 50, 51].iter().map(|n| fee_per_request(*n)).collect();
        assert_eq!(fees, vec![0, 0, 100, 100, 200, 200, 300, 300, 400]);
    }

    #[test]
    fn hand_rows_add_to_their_cells_and_unknown_rows_are_refused() {
        let mut t = Table3::empty(2026);
        t.add_row("new", &[2, 0, 0, 0, 0, 1]).unwrap();
        t.add_row("withheld_state_secret", &[2, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(t.balance_errors().len(), 1, "the other-org column is one short");
        t.add_row("carried_out", &[0, 0, 0, 0, 0, 1]).unwrap();
        assert!(t.balance_errors().is_empty());
        assert!(t.add_row("no_such_row", &[1; 6]).is_err());
        assert_eq!(Table3::row_keys().len(), 24);
    }

    #[test]
    fn every_outcome_lands_in_exactly_one_cell() {
        for (i, o) in Outcome::ALL.into_iter().enumerate() {
            for k in ApplicantKind::ALL {
                let t = Table3::tally(2026, &[counted(k, 2026, Some((o, 2026)))]);
                let cells: Vec<(usize, usize)> = t
                    .results
                    .iter()
                    .enumerate()
                    .flat_map(|(r, row)| row.iter().enumerate().filter(|(_, v)| **v > 0).map(move |(c, _)| (r, c)))
                    .collect();
                assert_eq!(cells, vec![(i, col(k))], "{o:?} {k:?}");
                assert_eq!(t.results[i][col(k)], 1);
                assert!(t.balance_errors().is_empty());
            }
        }
    }

    #[test]
    fn a_year_balances_with_carried_requests_and_an_unbalanced_row_is_named() {
        use ApplicantKind as K;
        let rows = [
            counted(K::Person, 2025, Some((Outcome::Disclosed, 2026))), // carried in, decided
            counted(K::Person, 2025, None),                             // carried in and out
            counted(K::Business, 2026, Some((Outcome::PartlyDisclosed, 2026))),
            counted(K::Business, 2026, None), // carried out
            counted(K::Research, 2026, Some((Outcome::NotProcessed(NotProcessed::Repeat), 2027))), // decided next year
            counted(K::Person, 2024, Some((Outcome::Disclosed, 2025))), // closed before: not counted
            counted(K::Person, 2027, None),   // not yet received
        ];
        let t = Table3::tally(2026, &rows);
        assert_eq!(t.new, [0, 2, 1, 0, 0, 0]);
        assert_eq!(t.carried_in, [2, 0, 0, 0, 0, 0]);
        assert_eq!(t.results_total(), [1, 1, 0, 0, 0, 0]);
        assert_eq!(t.carried_out, [1, 1, 1, 0, 0, 0]);
        assert!(t.balance_errors().is_empty());
        // A hand-entered result that no request backs breaks the balance of its column.
        let mut planted = t.clone();
        planted.results[0][col(K::Nonprofit)] += 1;
        let errors = planted.balance_errors();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("社会公益组织") && errors[0].contains("一 + 二 = 0") && errors[0].contains("= 1"),
            "{errors:?}"
        );
    }
}
