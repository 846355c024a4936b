//! Pure rules of letter handling: the state machine (who may do what in which state), checks of
//! what citizens type (GB 11643 ID numbers, phones, e-mail), deadline colours, redaction of
//! personal data before publication, masking in back-office lists, and the statistics arithmetic.
//! No I/O; every rule is unit-tested here.

use serde::{Deserialize, Serialize};
use time::Date;

use platform::calendar::WorkCalendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Received, waiting for 受理审查.
    Submitted,
    /// 不予受理 (with a reason told to the writer). Terminal.
    Rejected,
    /// 已受理, waiting to be assigned (交办) to a handling unit.
    Accepted,
    /// 办理中 at a handling unit.
    Assigned,
    /// A reply is drafted and waits for the office's review (审核).
    ReplyReview,
    /// 已答复: the reply was sent to the writer.
    Replied,
    /// The letter and its redacted reply are on the public site.
    Published,
    /// 已办结.
    Closed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Submitted,
        State::Rejected,
        State::Accepted,
        State::Assigned,
        State::ReplyReview,
        State::Replied,
        State::Published,
        State::Closed,
    ];
    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Rejected => "rejected",
            State::Accepted => "accepted",
            State::Assigned => "assigned",
            State::ReplyReview => "reply_review",
            State::Replied => "replied",
            State::Published => "published",
            State::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "待受理",
            State::Rejected => "不予受理",
            State::Accepted => "待交办",
            State::Assigned => "办理中",
            State::ReplyReview => "答复待审核",
            State::Replied => "已答复",
            State::Published => "已公开",
            State::Closed => "已办结",
        }
    }
    /// Still owed a reply: the reply deadline runs.
    pub fn is_open(self) -> bool {
        matches!(self, State::Accepted | State::Assigned | State::ReplyReview)
    }
    /// Counted as completed (办结) in statistics: a reply has reached the writer.
    pub fn is_completed(self) -> bool {
        matches!(self, State::Replied | State::Published | State::Closed)
    }
}

/// Who acts. The office (信箱管理/信访办) screens, assigns, reviews and publishes; a handler at the
/// assigned unit drafts the reply; a leader records instructions; the citizen rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Office,
    Handler,
    Leader,
    Citizen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    Assign,
    Reassign,
    SendBack,
    RequestExtension,
    ApproveExtension,
    DenyExtension,
    SubmitReply,
    ApproveReply,
    ReturnReply,
    Publish,
    Unpublish,
    Close,
    Supervise,
    Instruct,
    Rate,
    Reopen,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Accept,
        Action::Reject,
        Action::Assign,
        Action::Reassign,
        Action::SendBack,
        Action::RequestExtension,
        Action::ApproveExtension,
        Action::DenyExtension,
        Action::SubmitReply,
        Action::ApproveReply,
        Action::ReturnReply,
        Action::Publish,
        Action::Unpublish,
        Action::Close,
        Action::Supervise,
        Action::Instruct,
        Action::Rate,
        Action::Reopen,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Assign => "assign",
            Action::Reassign => "reassign",
            Action::SendBack => "send_back",
            Action::RequestExtension => "request_extension",
            Action::ApproveExtension => "approve_extension",
            Action::DenyExtension => "deny_extension",
            Action::SubmitReply => "submit_reply",
            Action::ApproveReply => "approve_reply",
            Action::ReturnReply => "return_reply",
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::Close => "close",
            Action::Supervise => "supervise",
            Action::Instruct => "instruct",
            Action::Rate => "rate",
            Action::Reopen => "reopen",
        }
    }
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Reject => "不予受理",
            Action::Assign => "交办",
            Action::Reassign => "改派",
            Action::SendBack => "退回",
            Action::RequestExtension => "申请延期",
            Action::ApproveExtension => "批准延期",
            Action::DenyExtension => "不批准延期",
            Action::SubmitReply => "提交答复",
            Action::ApproveReply => "审核通过并答复",
            Action::ReturnReply => "退回修改答复",
            Action::Publish => "公开",
            Action::Unpublish => "取消公开",
            Action::Close => "办结",
            Action::Supervise => "督办",
            Action::Instruct => "领导批示",
            Action::Rate => "评价",
            Action::Reopen => "申请重新办理",
        }
    }
    pub fn actor(self) -> Actor {
        match self {
            Action::SendBack | Action::RequestExtension | Action::SubmitReply => Actor::Handler,
            Action::Instruct => Actor::Leader,
            Action::Rate | Action::Reopen => Actor::Citizen,
            _ => Actor::Office,
        }
    }
    /// Actions whose comment is the reason and may not be empty.
    pub fn needs_comment(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::Reassign
                | Action::SendBack
                | Action::RequestExtension
                | Action::DenyExtension
                | Action::ReturnReply
                | Action::Instruct
        )
    }
}

/// The facts about a letter, beyond its state, that decide whether an action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub consent_publish: bool,
    pub mailbox_publishes: bool,
    pub extension_pending: bool,
    pub rated: bool,
    pub unsatisfied: bool,
    pub reopened: bool,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("信件当前状态为「{}」，不能执行「{}」", .0.label(), .1.label())]
    WrongState(State, Action),
    #[error("写信人未同意公开，不能公开")]
    NoConsent,
    #[error("该信箱设置为答复不公开")]
    MailboxPrivate,
    #[error("已有待审批的延期申请")]
    ExtensionPending,
    #[error("没有待审批的延期申请")]
    NoExtensionPending,
    #[error("已经评价过，不能重复评价")]
    AlreadyRated,
    #[error("只有评价为「不满意」后才能申请重新办理")]
    NotUnsatisfied,
    #[error("每封信件只能申请重新办理一次")]
    AlreadyReopened,
    #[error("该信件没有公开")]
    NotPublished,
}

/// The whole transition table: the state after `action` in `state`, or why not. Self-loops
/// (改派, 延期, 督办, 批示, 评价) are transitions too, so they are recorded the same way.
pub fn transition(state: State, action: Action, f: &Facts) -> Result<State, TransitionError> {
    use Action as A;
    use State as S;
    let wrong = || TransitionError::WrongState(state, action);
    match (action, state) {
        (A::Accept, S::Submitted) => Ok(S::Accepted),
        (A::Reject, S::Submitted) => Ok(S::Rejected),
        (A::Assign, S::Accepted) => Ok(S::Assigned),
        (A::Reassign, S::Assigned) => Ok(S::Assigned),
        (A::SendBack, S::Assigned) => Ok(S::Accepted),
        (A::RequestExtension, S::Assigned) => {
            if f.extension_pending {
                Err(TransitionError::ExtensionPending)
            } else {
                Ok(S::Assigned)
            }
        }
        (A::ApproveExtension | A::DenyExtension, S::Assigned | S::ReplyReview) => {
            if f.extension_pending {
                Ok(state)
            } else {
                Err(TransitionError::NoExtensionPending)
            }
        }
        (A::SubmitReply, S::Assigned) => Ok(S::ReplyReview),
        (A::ApproveReply, S::ReplyReview) => Ok(S::Replied),
        (A::ReturnReply, S::ReplyReview) => Ok(S::Assigned),
        (A::Publish, S::Replied) | (A::Publish, S::Closed) if !f.published => {
            if !f.mailbox_publishes {
                Err(TransitionError::MailboxPrivate)
            } else if !f.consent_publish {
                Err(TransitionError::NoConsent)
            } else {
                Ok(if state == S::Closed { S::Closed } else { S::Published })
            }
        }
        (A::Unpublish, S::Published) => Ok(S::Replied),
        (A::Unpublish, S::Closed) => {
            if f.published {
                Ok(S::Closed)
            } else {
                Err(TransitionError::NotPublished)
            }
        }
        (A::Close, S::Replied | S::Published) => Ok(S::Closed),
        (A::Supervise, S::Accepted | S::Assigned | S::ReplyReview) => Ok(state),
        // A leader may write an instruction on any letter, also one answered, closed or refused
        // (批示 on how a case was handled); it never moves the letter.
        (A::Instruct, _) => Ok(state),
        (A::Rate, S::Replied | S::Published | S::Closed) => {
            if f.rated {
                Err(TransitionError::AlreadyRated)
            } else {
                Ok(state)
            }
        }
        (A::Reopen, S::Replied | S::Published | S::Closed) => {
            if f.reopened {
                Err(TransitionError::AlreadyReopened)
            } else if !f.unsatisfied {
                Err(TransitionError::NotUnsatisfied)
            } else {
                Ok(S::Assigned)
            }
        }
        _ => Err(wrong()),
    }
}

/// Actions a given actor could take now (for the buttons and the API's `actions`).
pub fn available(state: State, f: &Facts, actors: &[Actor]) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| actors.contains(&a.actor()) && transition(state, *a, f).is_ok()).collect()
}

/// 满意度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Basic,
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [Satisfaction::Satisfied, Satisfaction::Basic, Satisfaction::Unsatisfied];
    pub fn code(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Basic => "basic",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::Basic => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
        }
    }
}

/// Mailbox kinds (信箱/渠道).
pub const KINDS: [(&str, &str); 4] =
    [("leader", "领导信箱"), ("board", "留言板"), ("complaint", "投诉举报"), ("consult", "咨询")];

pub fn kind_label(code: &str) -> &'static str {
    KINDS.iter().find(|(c, _)| *c == code).map_or("信箱", |(_, l)| l)
}

// ---------------------------------------------------------------------------------------------
// What citizens type

pub use platform::codes::valid_id_number;

pub use platform::codes::valid_phone;

pub use platform::codes::valid_email;

/// A submitted letter as typed, before it is stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LetterInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub consent_publish: bool,
    #[serde(default = "yes")]
    pub anonymous_public: bool,
}

fn yes() -> bool {
    true
}

pub const SUBJECT_MAX: usize = 60;
pub const CONTENT_MAX: usize = 3000;

/// Field-by-field checks; every problem is reported at once, named by field, in Chinese.
pub fn validate(input: &LetterInput, categories: &[i64]) -> Vec<(&'static str, String)> {
    let mut errs = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        errs.push(("name", "请填写姓名".to_owned()));
    } else if name.chars().count() > 30 {
        errs.push(("name", "姓名不能超过 30 个字".to_owned()));
    }
    let phone = input.phone.trim();
    if phone.is_empty() && input.email.trim().is_empty() {
        errs.push(("phone", "请至少填写联系电话或电子邮箱中的一项，以便答复".to_owned()));
    }
    if !phone.is_empty() && !valid_phone(phone) {
        errs.push(("phone", "联系电话格式不正确（手机号 11 位，固定电话请带区号）".to_owned()));
    }
    let email = input.email.trim();
    if !email.is_empty() && !valid_email(email) {
        errs.push(("email", "电子邮箱格式不正确".to_owned()));
    }
    let id = input.id_number.trim();
    if !id.is_empty() && !valid_id_number(id) {
        errs.push(("id_number", "身份证号码不正确（18 位，请核对出生日期和最后一位校验码）".to_owned()));
    }
    if input.address.chars().count() > 100 {
        errs.push(("address", "通讯地址不能超过 100 个字".to_owned()));
    }
    if !categories.is_empty() {
        match input.category_id {
            Some(c) if categories.contains(&c) => {}
            _ => errs.push(("category_id", "请选择信件类别".to_owned())),
        }
    }
    let subject = input.subject.trim();
    if subject.is_empty() {
        errs.push(("subject", "请填写信件标题".to_owned()));
    } else if subject.chars().count() > SUBJECT_MAX {
        errs.push(("subject", format!("信件标题不能超过 {SUBJECT_MAX} 个字")));
    }
    let content = input.content.trim();
    if content.chars().count() < 10 {
        errs.push(("content", "信件内容至少 10 个字，请把诉求写清楚".to_owned()));
    } else if content.chars().count() > CONTENT_MAX {
        errs.push(("content", format!("信件内容不能超过 {CONTENT_MAX} 个字")));
    }
    errs
}

/// What a letter may carry: up to three photos or documents of 5 MB each.
pub const ATTACHMENTS: platform::intake::UploadRules = platform::intake::UploadRules {
    types: platform::intake::PHOTOS_AND_DOCUMENTS,
    max_bytes: 5 << 20,
    max_count: 3,
    max_total_bytes: 15 << 20,
};

/// Sensitive words found in `text` (each once, in list order). Screening flags, never drops.
pub fn sensitive_hits(text: &str, words: &[String]) -> Vec<String> {
    words.iter().filter(|w| !w.is_empty() && text.contains(w.as_str())).cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// Deadlines

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    Normal,
    /// Yellow: due within the mailbox's warning days.
    Warning,
    /// Red: past due.
    Overdue,
}

impl DueStatus {
    pub fn label(self) -> &'static str {
        match self {
            DueStatus::Normal => "正常",
            DueStatus::Warning => "即将到期",
            DueStatus::Overdue => "已超期",
        }
    }
}

/// Working days left on `today` until `due` (negative when overdue) and the colour.
pub fn due_status(cal: &WorkCalendar, today: Date, due: Date, warn_days: u32) -> (i64, DueStatus) {
    let left = cal.workdays_left(today, due);
    let status = if left < 0 {
        DueStatus::Overdue
    } else if left <= i64::from(warn_days) {
        DueStatus::Warning
    } else {
        DueStatus::Normal
    };
    (left, status)
}

/// Consultation messages must be answered well within the national 3-month veto; the alarm rings
/// at 2 months.
pub fn consult_alarm(submitted: Date, today: Date) -> bool {
    today >= platform::calendar::add_months(submitted, 2)
}

// ---------------------------------------------------------------------------------------------
// Personal data

pub use platform::privacy::{mask_contact, mask_name, redact};

// ---------------------------------------------------------------------------------------------
// Statistics

/// Counts over one mailbox / unit / period, as the database aggregates them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub received: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub completed: i64,
    pub completed_on_time: i64,
    pub handling_workdays: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub basic: i64,
    pub unsatisfied: i64,
    pub published: i64,
    pub overdue_now: i64,
    pub in_progress: i64,
}

/// What one letter adds to the statistics of the day it was received, given where it stands now
/// (everything but `overdue_now`, which depends on the day the figures are asked for).
pub fn contribution(
    state: State,
    on_time: Option<bool>,
    reply_workdays: Option<i64>,
    satisfaction: Option<&str>,
    published: bool,
) -> Counts {
    let completed = state.is_completed();
    let sat = satisfaction.and_then(Satisfaction::parse);
    Counts {
        received: 1,
        accepted: i64::from(!matches!(state, State::Submitted | State::Rejected)),
        rejected: i64::from(state == State::Rejected),
        completed: i64::from(completed),
        completed_on_time: i64::from(completed && on_time == Some(true)),
        handling_workdays: if completed { reply_workdays.unwrap_or(0) } else { 0 },
        rated: i64::from(sat.is_some()),
        satisfied: i64::from(sat == Some(Satisfaction::Satisfied)),
        basic: i64::from(sat == Some(Satisfaction::Basic)),
        unsatisfied: i64::from(sat == Some(Satisfaction::Unsatisfied)),
        published: i64::from(published),
        overdue_now: 0,
        in_progress: i64::from(state.is_open()),
    }
}

impl std::ops::Neg for Counts {
    type Output = Counts;
    fn neg(self) -> Counts {
        Counts {
            received: -self.received,
            accepted: -self.accepted,
            rejected: -self.rejected,
            completed: -self.completed,
            completed_on_time: -self.completed_on_time,
            handling_workdays: -self.handling_workdays,
            rated: -self.rated,
            satisfied: -self.satisfied,
            basic: -self.basic,
            unsatisfied: -self.unsatisfied,
            published: -self.published,
            overdue_now: -self.overdue_now,
            in_progress: -self.in_progress,
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.received += c.received;
        self.accepted += c.accepted;
        self.rejected += c.rejected;
        self.completed += c.completed;
        self.completed_on_time += c.completed_on_time;
        self.handling_workdays += c.handling_workdays;
        self.rated += c.rated;
        self.satisfied += c.satisfied;
        self.basic += c.basic;
        self.unsatisfied += c.unsatisfied;
        self.published += c.published;
        self.overdue_now += c.overdue_now;
        self.in_progress += c.in_progress;
    }
}

/// The figures a statistics page shows (rates in per cent, one decimal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    #[serde(flatten)]
    pub counts: Counts,
    /// 办结率 = completed / accepted.
    pub completion_rate: Option<f64>,
    /// 按期办结率 = completed on time / completed.
    pub on_time_rate: Option<f64>,
    /// 平均办理工作日 over completed letters.
    pub avg_workdays: Option<f64>,
    /// 满意率 = (满意 + 基本满意) / rated.
    pub satisfaction_rate: Option<f64>,
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

pub fn figures(c: Counts) -> Figures {
    Figures {
        counts: c,
        completion_rate: pct(c.completed, c.accepted),
        on_time_rate: pct(c.completed_on_time, c.completed),
        avg_workdays: (c.completed > 0)
            .then(|| (c.handling_workdays as f64 * 10.0 / c.completed as f64).round() / 10.0),
        satisfaction_rate: pct(c.satisfied + c.basic, c.rated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts { consent_publish: true, mailbox_publishes: true, ..Facts::default() }
    }

    /// The complete table, written out independently: every (state, action) pair not listed
    /// here must be refused.
    #[test]
    fn transition_table_is_exactly_this() {
        use Action as A;
        use State as S;
        let allowed: &[(S, A, S)] = &[
            (S::Submitted, A::Accept, S::Accepted),
            (S::Submitted, A::Reject, S::Rejected),
            (S::Submitted, A::Instruct, S::Submitted),
            (S::Accepted, A::Assign, S::Assigned),
            (S::Accepted, A::Supervise, S::Accepted),
            (S::Accepted, A::Instruct, S::Accepted),
            (S::Assigned, A::Reassign, S::Assigned),
            (S::Assigned, A::SendBack, S::Accepted),
            (S::Assigned, A::RequestExtension, S::Assigned),
            (S::Assigned, A::SubmitReply, S::ReplyReview),
            (S::Assigned, A::Supervise, S::Assigned),
            (S::Assigned, A::Instruct, S::Assigned),
            (S::ReplyReview, A::ApproveReply, S::Replied),
            (S::ReplyReview, A::ReturnReply, S::Assigned),
            (S::ReplyReview, A::Supervise, S::ReplyReview),
            (S::ReplyReview, A::Instruct, S::ReplyReview),
            (S::Replied, A::Publish, S::Published),
            (S::Replied, A::Close, S::Closed),
            (S::Replied, A::Rate, S::Replied),
            (S::Published, A::Unpublish, S::Replied),
            (S::Published, A::Close, S::Closed),
            (S::Published, A::Rate, S::Published),
            (S::Closed, A::Publish, S::Closed),
            (S::Closed, A::Rate, S::Closed),
            (S::Replied, A::Instruct, S::Replied),
            (S::Published, A::Instruct, S::Published),
            (S::Closed, A::Instruct, S::Closed),
            (S::Rejected, A::Instruct, S::Rejected),
        ];
        let f = facts();
        for s in State::ALL {
            for a in Action::ALL {
                let expected = allowed.iter().find(|(fs, fa, _)| *fs == s && *fa == a).map(|t| t.2);
                let got = transition(s, a, &f).ok();
                assert_eq!(got, expected, "{s:?} --{a:?}-->");
            }
        }
    }

    #[test]
    fn guards_refuse_with_reasons() {
        let mut f = facts();
        f.consent_publish = false;
        assert_eq!(transition(State::Replied, Action::Publish, &f), Err(TransitionError::NoConsent));
        f.consent_publish = true;
        f.mailbox_publishes = false;
        assert_eq!(transition(State::Replied, Action::Publish, &f), Err(TransitionError::MailboxPrivate));
        let mut f = facts();
        f.published = true;
        assert!(transition(State::Closed, Action::Publish, &f).is_err(), "already public");
        assert_eq!(transition(State::Closed, Action::Unpublish, &f), Ok(State::Closed));
        assert_eq!(transition(State::Closed, Action::Unpublish, &facts()), Err(TransitionError::NotPublished));

        let mut f = facts();
        assert_eq!(transition(State::Assigned, Action::ApproveExtension, &f), Err(TransitionError::NoExtensionPending));
        assert_eq!(transition(State::Assigned, Action::DenyExtension, &f), Err(TransitionError::NoExtensionPending));
        f.extension_pending = true;
        assert_eq!(transition(State::Assigned, Action::RequestExtension, &f), Err(TransitionError::ExtensionPending));
        assert_eq!(transition(State::Assigned, Action::ApproveExtension, &f), Ok(State::Assigned));
        assert_eq!(transition(State::ReplyReview, Action::DenyExtension, &f), Ok(State::ReplyReview));

        let mut f = facts();
        assert_eq!(transition(State::Closed, Action::Reopen, &f), Err(TransitionError::NotUnsatisfied));
        f.rated = true;
        assert_eq!(transition(State::Replied, Action::Rate, &f), Err(TransitionError::AlreadyRated));
        f.unsatisfied = true;
        assert_eq!(transition(State::Closed, Action::Reopen, &f), Ok(State::Assigned));
        assert_eq!(transition(State::Published, Action::Reopen, &f), Ok(State::Assigned));
        f.reopened = true;
        assert_eq!(transition(State::Closed, Action::Reopen, &f), Err(TransitionError::AlreadyReopened));
        // The message names both the state and the action.
        let e = transition(State::Closed, Action::Accept, &facts()).unwrap_err().to_string();
        assert!(e.contains("已办结") && e.contains("受理"), "{e}");
    }

    #[test]
    fn each_actor_sees_only_its_actions() {
        let f = facts();
        assert_eq!(available(State::Submitted, &f, &[Actor::Office]), vec![Action::Accept, Action::Reject]);
        assert_eq!(available(State::Submitted, &f, &[Actor::Leader]), vec![Action::Instruct]);
        assert_eq!(
            available(State::Assigned, &f, &[Actor::Handler]),
            vec![Action::SendBack, Action::RequestExtension, Action::SubmitReply]
        );
        assert!(available(State::Rejected, &f, &[Actor::Office, Actor::Handler, Actor::Citizen]).is_empty());
        // A leader may still write an instruction on a refused or closed letter.
        assert_eq!(available(State::Rejected, &f, &[Actor::Leader]), vec![Action::Instruct]);
        assert_eq!(available(State::Closed, &f, &[Actor::Leader]), vec![Action::Instruct]);
        assert_eq!(available(State::Replied, &f, &[Actor::Citizen]), vec![Action::Rate]);
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn phones_and_emails() {
        assert!(valid_phone("13812345678"));
        assert!(valid_phone("010-12345678"));
        assert!(valid_phone("0571 8765 4321"));
        assert!(!valid_phone("12812345678"));
        assert!(!valid_phone("1381234567"));
        assert!(!valid_phone("abc"));
        assert!(!valid_phone(""));
        assert!(valid_email("wang@example.cn"));
        assert!(!valid_email("wang@example"));
        assert!(!valid_email("wang example@x.cn"));
        assert!(!valid_email("@x.cn"));
    }

    #[test]
    fn validation_names_every_bad_field() {
        let bad = LetterInput {
            phone: "123".into(),
            email: "x@".into(),
            id_number: "110105194912310021".into(),
            subject: "路".repeat(61),
            content: "太短".into(),
            ..LetterInput::default()
        };
        let fields: Vec<&str> = validate(&bad, &[1, 2]).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "phone", "email", "id_number", "category_id", "subject", "content"]);
        let good = LetterInput {
            name: "王建国".into(),
            phone: "13812345678".into(),
            category_id: Some(2),
            subject: "小区门前路灯不亮".into(),
            content: "幸福里小区东门外的三盏路灯已经一个月不亮了，晚上出行很不方便。".into(),
            ..LetterInput::default()
        };
        assert!(validate(&good, &[1, 2]).is_empty());
        let no_contact = LetterInput { phone: String::new(), ..good };
        assert_eq!(validate(&no_contact, &[1, 2])[0].0, "phone");
    }

    #[test]
    fn letter_attachments_are_photos_and_documents_of_5_mb() {
        assert!(ATTACHMENTS.check("a.pdf", b"%PDF-1.7").is_ok());
        assert!(ATTACHMENTS.check("a.xlsx", b"PK\x03\x04").unwrap_err().contains("类型不允许"));
        let big = vec![b'%'; (5 << 20) + 1];
        assert!(ATTACHMENTS.check("a.pdf", &big).unwrap_err().contains("5 MB"));
    }

    #[test]
    fn due_colours_follow_working_days() {
        let cal = WorkCalendar::shipped();
        let d = |s| platform::calendar::date(s).unwrap();
        // Due Friday 2026-10-09. National Day is 10-01..10-07; Saturday 10-10 is a make-up workday.
        let due = d("2026-10-09");
        assert_eq!(due_status(&cal, d("2026-09-21"), due, 3).1, DueStatus::Normal);
        // From 09-30 only 10-08 and 10-09 remain working days: the holiday week is not counted.
        let (left, st) = due_status(&cal, d("2026-09-30"), due, 3);
        assert_eq!((left, st), (2, DueStatus::Warning));
        assert_eq!(due_status(&cal, d("2026-09-30"), due, 1).1, DueStatus::Normal);
        assert_eq!(due_status(&cal, due, due, 3), (0, DueStatus::Warning));
        // The make-up Saturday counts: one working day late.
        assert_eq!(due_status(&cal, d("2026-10-10"), due, 3), (-1, DueStatus::Overdue));
        // Sunday 10-11 adds nothing; Monday 10-12 is the second late working day.
        assert_eq!(due_status(&cal, d("2026-10-11"), due, 3).0, -1);
        assert_eq!(due_status(&cal, d("2026-10-12"), due, 0).0, -2);
    }

    #[test]
    fn consultation_alarm_at_two_months() {
        let d = |s| platform::calendar::date(s).unwrap();
        assert!(!consult_alarm(d("2026-01-31"), d("2026-03-27")));
        assert!(consult_alarm(d("2026-01-31"), d("2026-03-31")));
    }

    #[test]
    fn contributions_follow_the_state() {
        let c = contribution(State::Submitted, None, None, None, false);
        assert_eq!((c.received, c.accepted, c.in_progress, c.completed), (1, 0, 0, 0));
        let c = contribution(State::Rejected, None, None, None, false);
        assert_eq!((c.accepted, c.rejected), (0, 1));
        for s in [State::Accepted, State::Assigned, State::ReplyReview] {
            let c = contribution(s, None, None, None, false);
            assert_eq!((c.accepted, c.in_progress, c.completed), (1, 1, 0), "{s:?}");
        }
        for s in [State::Replied, State::Published, State::Closed] {
            let c = contribution(s, Some(true), Some(6), Some("basic"), s == State::Published);
            assert_eq!(
                (c.completed, c.completed_on_time, c.handling_workdays, c.rated, c.basic, c.in_progress),
                (1, 1, 6, 1, 1, 0)
            );
        }
        // A reopened letter keeps its old workdays and rating columns but counts as in progress.
        let c = contribution(State::Assigned, None, Some(6), Some("unsatisfied"), false);
        assert_eq!((c.completed, c.handling_workdays, c.unsatisfied), (0, 0, 1));
        let mut t = contribution(State::Closed, Some(false), Some(20), None, true);
        t += -contribution(State::Closed, Some(false), Some(20), None, true);
        assert_eq!(t, Counts::default());
    }

    #[test]
    fn figures_from_counts() {
        // 省长信箱-like figures: 14,590 received, 3,369 valid, 3,030 completed.
        let c = Counts {
            received: 14_590,
            accepted: 3_369,
            completed: 3_030,
            completed_on_time: 2_909,
            handling_workdays: 3_030 * 6 + 15,
            rated: 1_000,
            satisfied: 800,
            basic: 150,
            unsatisfied: 50,
            published: 265,
            ..Counts::default()
        };
        let f = figures(c);
        assert_eq!(f.completion_rate, Some(89.9));
        assert_eq!(f.on_time_rate, Some(96.0));
        assert_eq!(f.avg_workdays, Some(6.0));
        assert_eq!(f.satisfaction_rate, Some(95.0));
        assert_eq!(figures(Counts::default()).completion_rate, None);
    }
}
