//! The pure rules of 供求信息: the boards and the kinds of listing on each, what a posting must
//! say, the periods a poster may choose, the listing's states and who may move it between them,
//! and how a contact shows before a visitor asks for it. No I/O; tested over every state and
//! action.

use platform::web::error::FieldError;
use serde::{Deserialize, Serialize};

/// The three boards the seed's site ran: 北仑人才网, the agricultural information service and
/// 北仑创业者网 with the new enterprises of 企业之窗.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    Talent,
    Agri,
    Startup,
}

impl Board {
    pub const ALL: [Board; 3] = [Board::Talent, Board::Agri, Board::Startup];

    pub fn code(self) -> &'static str {
        match self {
            Board::Talent => "talent",
            Board::Agri => "agri",
            Board::Startup => "startup",
        }
    }

    pub fn parse(s: &str) -> Option<Board> {
        Self::ALL.into_iter().find(|b| b.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Board::Talent => "人才劳务",
            Board::Agri => "农产品",
            Board::Startup => "创业与新办企业",
        }
    }

    pub fn kinds(self) -> [Kind; 2] {
        match self {
            Board::Talent => [Kind::Hire, Kind::Seek],
            Board::Agri => [Kind::Supply, Kind::Demand],
            Board::Startup => [Kind::Project, Kind::Enterprise],
        }
    }

    /// What the listing's subject is called on this board.
    pub fn subject_label(self) -> &'static str {
        match self {
            Board::Talent => "岗位",
            Board::Agri => "产品",
            Board::Startup => "项目或企业名称",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 招聘: an employer looks for people.
    Hire,
    /// 求职: a person looks for work.
    Seek,
    /// 供应: a grower or trader sells.
    Supply,
    /// 求购: a buyer looks for produce.
    Demand,
    /// 创业项目: a start-up project looking for partners, premises or capital.
    Project,
    /// 新办企业: a newly registered enterprise announces itself.
    Enterprise,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Hire, Kind::Seek, Kind::Supply, Kind::Demand, Kind::Project, Kind::Enterprise];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Hire => "hire",
            Kind::Seek => "seek",
            Kind::Supply => "supply",
            Kind::Demand => "demand",
            Kind::Project => "project",
            Kind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Hire => "招聘",
            Kind::Seek => "求职",
            Kind::Supply => "供应",
            Kind::Demand => "求购",
            Kind::Project => "创业项目",
            Kind::Enterprise => "新办企业",
        }
    }

    pub fn board(self) -> Board {
        match self {
            Kind::Hire | Kind::Seek => Board::Talent,
            Kind::Supply | Kind::Demand => Board::Agri,
            Kind::Project | Kind::Enterprise => Board::Startup,
        }
    }
}

/// Where a listing is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待验证: posted, the contact not yet confirmed with the code sent to it.
    Unverified,
    /// 待审核: confirmed, waiting for a moderator (premoderated boards).
    Pending,
    /// 已发布
    Visible,
    /// 被举报隐藏: reader reports reached the board's threshold, or a moderator took it down for a
    /// look; waits for a moderator.
    Hidden,
    /// 未通过审核
    Rejected,
    /// 已过期: its period ran out; the poster may renew it.
    Expired,
    /// 已撤下 by its poster.
    Withdrawn,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Unverified,
        State::Pending,
        State::Visible,
        State::Hidden,
        State::Rejected,
        State::Expired,
        State::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Unverified => "unverified",
            State::Pending => "pending",
            State::Visible => "visible",
            State::Hidden => "hidden",
            State::Rejected => "rejected",
            State::Expired => "expired",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Unverified => "待验证",
            State::Pending => "待审核",
            State::Visible => "已发布",
            State::Hidden => "隐藏待查",
            State::Rejected => "未通过审核",
            State::Expired => "已过期",
            State::Withdrawn => "已撤下",
        }
    }

    /// Whether it waits in the moderator's queue.
    pub fn needs_moderator(self) -> bool {
        matches!(self, State::Pending | State::Hidden)
    }
}

/// Who acts on a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The poster, with the code sent to the contact or the listing's management code.
    Poster,
    /// A moderator in the back office.
    Moderator,
    /// The clock.
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 验证: the poster enters the code sent to the contact.
    Verify,
    /// 通过: a moderator lets a waiting or hidden listing show.
    Approve,
    /// 不予发布
    Reject,
    /// 下架: a moderator takes a visible listing down for a look.
    Hide,
    /// 到期
    Expire,
    /// 续期: the poster extends a visible or expired listing by a new period.
    Renew,
    /// 撤下: the poster takes the listing off.
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Verify,
        Action::Approve,
        Action::Reject,
        Action::Hide,
        Action::Expire,
        Action::Renew,
        Action::Withdraw,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Hide => "hide",
            Action::Expire => "expire",
            Action::Renew => "renew",
            Action::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Verify => "验证联系方式",
            Action::Approve => "审核通过",
            Action::Reject => "不予发布",
            Action::Hide => "下架待查",
            Action::Expire => "到期",
            Action::Renew => "续期",
            Action::Withdraw => "撤下",
        }
    }

    pub fn actor(self) -> Actor {
        match self {
            Action::Verify | Action::Renew | Action::Withdraw => Actor::Poster,
            Action::Approve | Action::Reject | Action::Hide => Actor::Moderator,
            Action::Expire => Actor::System,
        }
    }

    /// Whether a moderator must say why (shown to the poster).
    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Reject | Action::Hide)
    }
}

/// Why an action cannot be taken now, in the words the user reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("这条信息目前{0}，不能{1}")]
    WrongState(&'static str, &'static str),
    #[error("{0}只能由发布人进行")]
    PosterOnly(&'static str),
    #[error("{0}只能由审核人员进行")]
    ModeratorOnly(&'static str),
    #[error("{0}由系统按期限自动进行")]
    SystemOnly(&'static str),
    #[error("请填写{0}的理由")]
    ReasonRequired(&'static str),
}

/// The state after `action` by `actor` on a listing in `from`, on a board that premoderates or
/// not; or why not. `expired_now` tells whether the listing's period has run out (a renewal of a
/// visible listing keeps it visible; a verification of a listing whose period would already be
/// over cannot happen: periods start at verification).
pub fn next(from: State, action: Action, actor: Actor, premoderated: bool, reason: &str) -> Result<State, Refusal> {
    if action.actor() != actor {
        return Err(match action.actor() {
            Actor::Poster => Refusal::PosterOnly(action.label()),
            Actor::Moderator => Refusal::ModeratorOnly(action.label()),
            Actor::System => Refusal::SystemOnly(action.label()),
        });
    }
    let to = match (from, action) {
        (State::Unverified, Action::Verify) => {
            if premoderated {
                State::Pending
            } else {
                State::Visible
            }
        }
        (State::Pending | State::Hidden, Action::Approve) => State::Visible,
        (State::Pending | State::Hidden | State::Visible, Action::Reject) => State::Rejected,
        (State::Visible, Action::Hide) => State::Hidden,
        (State::Visible, Action::Expire) => State::Expired,
        (State::Visible, Action::Renew) => State::Visible,
        // An expired listing comes back the way a new one would: through the moderator where the
        // board premoderates.
        (State::Expired, Action::Renew) => {
            if premoderated {
                State::Pending
            } else {
                State::Visible
            }
        }
        (State::Unverified | State::Pending | State::Visible | State::Hidden | State::Expired, Action::Withdraw) => {
            State::Withdrawn
        }
        _ => return Err(Refusal::WrongState(from.label(), action.label())),
    };
    if action.needs_reason() && reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired(action.label()));
    }
    Ok(to)
}

/// The actions `actor` may take on a listing in `state` (what buttons and the API's `actions`
/// list show).
pub fn actions(state: State, actor: Actor, premoderated: bool) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| next(state, *a, actor, premoderated, "理由").is_ok()).collect()
}

/// The state after one more reader report: a visible listing hides itself once the reports reach
/// the board's threshold (0: never).
pub fn after_flag(state: State, flags: i64, threshold: i64) -> State {
    if state == State::Visible && platform::intake::flags_hide(flags, threshold) { State::Hidden } else { state }
}

/// Periods a poster may choose, in days (those up to the board's maximum are offered).
pub const PERIODS: [i64; 6] = [7, 15, 30, 60, 90, 180];

pub fn periods(max_days: i64) -> Vec<i64> {
    PERIODS.into_iter().filter(|d| *d <= max_days).collect()
}

/// When a renewal reminder goes out: this many days before the period ends.
pub const REMIND_DAYS_BEFORE: i64 = 3;

/// Reasons a reader may give when reporting a listing.
pub const FLAG_REASONS: [(&str, &str); 4] =
    [("false", "虚假信息"), ("illegal", "违法违规内容"), ("contact", "联系方式无效或骚扰"), ("other", "其他问题")];

pub fn flag_reason_label(code: &str) -> Option<&'static str> {
    FLAG_REASONS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Where the verification code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyBy {
    Sms,
    Mail,
}

impl VerifyBy {
    pub fn code(self) -> &'static str {
        match self {
            VerifyBy::Sms => "sms",
            VerifyBy::Mail => "mail",
        }
    }
    pub fn parse(s: &str) -> Option<VerifyBy> {
        [VerifyBy::Sms, VerifyBy::Mail].into_iter().find(|v| v.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            VerifyBy::Sms => "短信",
            VerifyBy::Mail => "电子邮件",
        }
    }
}

/// A verification code lives this long and allows this many wrong answers.
pub const VERIFY_TTL_SECONDS: i64 = 1800;
pub const VERIFY_MAX_TRIES: i64 = 5;

/// What a poster fills in (as typed; [`check`] reads it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PostInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub area: String,
    /// 元/月, empty: 面议
    #[serde(default)]
    pub pay_min: String,
    #[serde(default)]
    pub pay_max: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    /// sms or mail
    #[serde(default)]
    pub verify_by: String,
    #[serde(default)]
    pub days: String,
}

/// A posting that passed [`check`], trimmed and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub kind: Kind,
    pub title: String,
    pub subject: String,
    pub body: String,
    pub area: String,
    pub pay: Option<(i64, i64)>,
    pub quantity: String,
    pub price: String,
    pub credit_code: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub verify_by: VerifyBy,
    pub days: i64,
}

impl Posting {
    /// Where the code goes: the phone or the mail address.
    pub fn verify_to(&self) -> &str {
        match self.verify_by {
            VerifyBy::Sms => &self.contact_phone,
            VerifyBy::Mail => &self.contact_email,
        }
    }
}

pub const BODY_MAX: usize = 2000;

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

/// Checks a posting on `board` (whose longest period is `max_days`), naming every field that is
/// wrong.
pub fn check(board: Board, max_days: i64, input: &PostInput) -> Result<Posting, Vec<FieldError>> {
    let mut errs = Vec::new();
    let kind = Kind::parse(input.kind.trim()).filter(|k| k.board() == board);
    if kind.is_none() {
        let names: Vec<&str> = board.kinds().iter().map(|k| k.label()).collect();
        errs.push(FieldError::new("kind", format!("请选择信息类别（{}）", names.join("或"))));
    }
    let title = input.title.trim();
    if title.chars().count() < 4 || too_long(title, 60) {
        errs.push(FieldError::new("title", "请填写标题（4 到 60 字）"));
    }
    let subject = input.subject.trim();
    if subject.is_empty() || too_long(subject, 60) {
        errs.push(FieldError::new("subject", format!("请填写{}（60 字以内）", board.subject_label())));
    }
    let body = input.body.trim();
    if body.chars().count() < 10 || too_long(body, BODY_MAX) {
        errs.push(FieldError::new("body", format!("请填写详细说明（10 到 {BODY_MAX} 字）")));
    }
    let area = input.area.trim();
    if area.is_empty() || too_long(area, 30) {
        errs.push(FieldError::new("area", "请填写所在区域（30 字以内，如：新碶街道）"));
    }
    let mut pay = None;
    let mut quantity = String::new();
    let mut price = String::new();
    let mut credit_code = String::new();
    match board {
        Board::Talent => {
            let (lo, hi) = (input.pay_min.trim(), input.pay_max.trim());
            if !(lo.is_empty() && hi.is_empty()) {
                match (lo.parse::<i64>(), hi.parse::<i64>()) {
                    (Ok(lo), Ok(hi)) if (0..=1_000_000).contains(&lo) && lo <= hi && hi <= 1_000_000 => {
                        pay = Some((lo, hi))
                    }
                    _ => errs.push(FieldError::new(
                        "pay_min",
                        "月薪范围请填写两个整数（元/月），下限不大于上限；面议请两项都不填",
                    )),
                }
            }
        }
        Board::Agri => {
            quantity = input.quantity.trim().to_owned();
            price = input.price.trim().to_owned();
            if quantity.is_empty() || too_long(&quantity, 30) {
                errs.push(FieldError::new("quantity", "请填写数量及单位（如：5000 斤）"));
            }
            if too_long(&price, 30) {
                errs.push(FieldError::new("price", "价格不能超过 30 字（如：3.5 元/斤，或不填表示面议）"));
            }
        }
        Board::Startup => {
            let code = input.credit_code.trim().to_ascii_uppercase();
            if !code.is_empty() {
                let first17: String = code.chars().take(17).collect();
                let ok =
                    code.chars().count() == 18 && platform::codes::uscc_check_char(&first17) == code.chars().nth(17);
                if ok {
                    credit_code = code;
                } else {
                    errs.push(FieldError::new("credit_code", "统一社会信用代码应为 18 位且校验位正确"));
                }
            } else if kind == Some(Kind::Enterprise) {
                errs.push(FieldError::new("credit_code", "新办企业请填写统一社会信用代码"));
            }
        }
    }
    let name = input.contact_name.trim();
    if name.is_empty() || too_long(name, 30) {
        errs.push(FieldError::new("contact_name", "请填写联系人（30 字以内）"));
    }
    let phone = input.contact_phone.trim();
    if !phone.is_empty() && !platform::codes::valid_phone(phone) {
        errs.push(FieldError::new("contact_phone", "请填写正确的手机号码或固定电话"));
    }
    let email = input.contact_email.trim();
    if !email.is_empty() && !platform::codes::valid_email(email) {
        errs.push(FieldError::new("contact_email", "电子邮箱格式不正确"));
    }
    let verify_by = VerifyBy::parse(input.verify_by.trim());
    match verify_by {
        None => errs.push(FieldError::new("verify_by", "请选择接收验证码的方式")),
        Some(VerifyBy::Sms) if !platform::codes::valid_mobile(phone) => {
            errs.push(FieldError::new("contact_phone", "选择短信验证时，请填写 11 位手机号码"))
        }
        Some(VerifyBy::Mail) if email.is_empty() => {
            errs.push(FieldError::new("contact_email", "选择邮件验证时，请填写电子邮箱"))
        }
        _ => {}
    }
    let days = input.days.trim().parse::<i64>().ok().filter(|d| periods(max_days).contains(d));
    if days.is_none() {
        let offered: Vec<String> = periods(max_days).iter().map(|d| format!("{d} 天")).collect();
        errs.push(FieldError::new("days", format!("请选择有效期（{}）", offered.join("、"))));
    }
    match (kind, verify_by, days) {
        (Some(kind), Some(verify_by), Some(days)) if errs.is_empty() => Ok(Posting {
            kind,
            title: title.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            area: area.to_owned(),
            pay,
            quantity,
            price,
            credit_code,
            contact_name: name.to_owned(),
            contact_phone: phone.to_owned(),
            contact_email: email.to_owned(),
            verify_by,
            days,
        }),
        _ => Err(errs),
    }
}

/// How pay reads: 6000–8000 元/月, or 面议.
pub fn pay_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) if lo == hi => format!("{lo} 元/月"),
        (Some(lo), Some(hi)) => format!("{lo}–{hi} 元/月"),
        _ => "面议".into(),
    }
}

/// A contact as it shows before a visitor asks: the surname, the phone's first three and last
/// four digits, the mail's first letter and domain.
pub fn masked_contact(name: &str, phone: &str, email: &str) -> (String, String, String) {
    let mail = match email.split_once('@') {
        Some((user, domain)) if !user.is_empty() => {
            format!("{}***@{}", user.chars().next().unwrap_or('*'), domain)
        }
        _ => String::new(),
    };
    (
        platform::privacy::mask_name(name),
        if phone.is_empty() { String::new() } else { platform::sms::Sms::mask(phone) },
        mail,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(board: Board) -> PostInput {
        let kind = board.kinds()[0].code().to_owned();
        PostInput {
            kind,
            title: "招聘数控车床操作工".into(),
            subject: "数控车床操作工".into(),
            body: "要求有两年以上数控车床操作经验，包吃住，月休四天。".into(),
            area: "大碶街道".into(),
            quantity: "5000 斤".into(),
            credit_code: "91330206MA2AEXAMPLE".into(),
            contact_name: "李建国".into(),
            contact_phone: "13805741234".into(),
            verify_by: "sms".into(),
            days: "30".into(),
            ..PostInput::default()
        }
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn every_kind_belongs_to_one_board_that_lists_it() {
        for k in Kind::ALL {
            assert!(k.board().kinds().contains(&k));
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        for b in Board::ALL {
            assert_eq!(Board::parse(b.code()), Some(b));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
    }

    #[test]
    fn a_good_posting_passes_on_each_board() {
        let t = check(Board::Talent, 90, &input(Board::Talent)).unwrap();
        assert_eq!((t.kind, t.days, t.pay), (Kind::Hire, 30, None));
        let mut a = input(Board::Agri);
        a.price = "3.5 元/斤".into();
        let a = check(Board::Agri, 60, &a).unwrap();
        assert_eq!((a.quantity.as_str(), a.price.as_str()), ("5000 斤", "3.5 元/斤"));
        let mut s = input(Board::Startup);
        s.kind = "project".into();
        s.credit_code = String::new();
        assert_eq!(check(Board::Startup, 180, &s).unwrap().kind, Kind::Project);
    }

    #[test]
    fn a_kind_of_another_board_is_refused() {
        let mut i = input(Board::Talent);
        i.kind = "supply".into();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["kind"]);
    }

    #[test]
    fn pay_is_a_range_or_nothing() {
        let mut i = input(Board::Talent);
        i.pay_min = "6000".into();
        i.pay_max = "8000".into();
        assert_eq!(check(Board::Talent, 90, &i).unwrap().pay, Some((6000, 8000)));
        i.pay_max = "5000".into();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["pay_min"]);
        i.pay_max = String::new();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["pay_min"]);
        assert_eq!(pay_text(Some(6000), Some(8000)), "6000–8000 元/月");
        assert_eq!(pay_text(Some(5000), Some(5000)), "5000 元/月");
        assert_eq!(pay_text(None, None), "面议");
    }

    #[test]
    fn produce_needs_a_quantity() {
        let mut i = input(Board::Agri);
        i.quantity = " ".into();
        assert_eq!(fields(check(Board::Agri, 60, &i).unwrap_err()), vec!["quantity"]);
    }

    #[test]
    fn a_new_enterprise_needs_a_valid_credit_code() {
        let mut i = input(Board::Startup);
        i.kind = "enterprise".into();
        i.credit_code = String::new();
        assert_eq!(fields(check(Board::Startup, 180, &i).unwrap_err()), vec!["credit_code"]);
        i.credit_code = "913302061234567890".into();
        let check_char = platform::codes::uscc_check_char("91330206123456789").unwrap();
        let good = format!("91330206123456789{check_char}");
        if good != i.credit_code {
            assert_eq!(fields(check(Board::Startup, 180, &i).unwrap_err()), vec!["credit_code"]);
        }
        i.credit_code = good.to_ascii_lowercase();
        assert_eq!(check(Board::Startup, 180, &i).unwrap().credit_code, good);
    }

    #[test]
    fn the_verification_channel_needs_its_contact() {
        let mut i = input(Board::Talent);
        i.contact_phone = "0574-86781234".into();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["contact_phone"]);
        i.verify_by = "mail".into();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["contact_email"]);
        i.contact_email = "li@example.cn".into();
        let p = check(Board::Talent, 90, &i).unwrap();
        assert_eq!(p.verify_to(), "li@example.cn");
        i.verify_by = String::new();
        assert_eq!(fields(check(Board::Talent, 90, &i).unwrap_err()), vec!["verify_by"]);
    }

    #[test]
    fn periods_stop_at_the_board_maximum() {
        assert_eq!(periods(60), vec![7, 15, 30, 60]);
        let mut i = input(Board::Agri);
        i.days = "90".into();
        assert_eq!(fields(check(Board::Agri, 60, &i).unwrap_err()), vec!["days"]);
    }

    #[test]
    fn every_field_wrong_is_named_once() {
        let e = check(Board::Talent, 90, &PostInput::default()).unwrap_err();
        let f = fields(e);
        for name in ["kind", "title", "subject", "body", "area", "contact_name", "verify_by", "days"] {
            assert_eq!(f.iter().filter(|x| *x == name).count(), 1, "{name}: {f:?}");
        }
    }

    #[test]
    fn the_state_table() {
        use Action::*;
        use State::*;
        let table: &[(State, Action, bool, State)] = &[
            (Unverified, Verify, true, Pending),
            (Unverified, Verify, false, Visible),
            (Pending, Approve, true, Visible),
            (Hidden, Approve, true, Visible),
            (Pending, Reject, true, Rejected),
            (Visible, Reject, false, Rejected),
            (Hidden, Reject, false, Rejected),
            (Visible, Hide, false, Hidden),
            (Visible, Expire, false, Expired),
            (Visible, Renew, true, Visible),
            (Visible, Renew, false, Visible),
            (Expired, Renew, true, Pending),
            (Expired, Renew, false, Visible),
            (Unverified, Withdraw, false, Withdrawn),
            (Pending, Withdraw, false, Withdrawn),
            (Visible, Withdraw, false, Withdrawn),
            (Hidden, Withdraw, false, Withdrawn),
            (Expired, Withdraw, false, Withdrawn),
        ];
        for s in State::ALL {
            for a in Action::ALL {
                for premod in [false, true] {
                    let want = table.iter().find(|(f, x, p, _)| *f == s && *x == a && (*p == premod || !matters(a)));
                    let got = next(s, a, a.actor(), premod, "理由");
                    match want {
                        Some((_, _, _, to)) => assert_eq!(got, Ok(*to), "{s:?} {a:?} premod={premod}"),
                        None => {
                            assert!(matches!(got, Err(Refusal::WrongState(..))), "{s:?} {a:?} premod={premod}: {got:?}")
                        }
                    }
                }
            }
        }
        fn matters(a: Action) -> bool {
            matches!(a, Verify | Renew)
        }
    }

    #[test]
    fn only_the_right_actor_acts() {
        assert_eq!(
            next(State::Pending, Action::Approve, Actor::Poster, true, ""),
            Err(Refusal::ModeratorOnly("审核通过"))
        );
        assert_eq!(next(State::Visible, Action::Renew, Actor::Moderator, true, ""), Err(Refusal::PosterOnly("续期")));
        assert_eq!(next(State::Visible, Action::Expire, Actor::Moderator, true, ""), Err(Refusal::SystemOnly("到期")));
        assert_eq!(actions(State::Pending, Actor::Moderator, true), vec![Action::Approve, Action::Reject]);
        assert_eq!(actions(State::Visible, Actor::Poster, true), vec![Action::Renew, Action::Withdraw]);
        assert!(actions(State::Withdrawn, Actor::Poster, true).is_empty());
    }

    #[test]
    fn a_moderator_says_why_he_refuses_or_hides() {
        assert_eq!(
            next(State::Pending, Action::Reject, Actor::Moderator, true, " "),
            Err(Refusal::ReasonRequired("不予发布"))
        );
        assert_eq!(
            next(State::Visible, Action::Hide, Actor::Moderator, true, ""),
            Err(Refusal::ReasonRequired("下架待查"))
        );
        assert_eq!(next(State::Pending, Action::Approve, Actor::Moderator, true, ""), Ok(State::Visible));
    }

    #[test]
    fn reports_hide_a_visible_listing_at_the_threshold() {
        assert_eq!(after_flag(State::Visible, 2, 3), State::Visible);
        assert_eq!(after_flag(State::Visible, 3, 3), State::Hidden);
        assert_eq!(after_flag(State::Visible, 30, 0), State::Visible);
        assert_eq!(after_flag(State::Pending, 9, 3), State::Pending);
    }

    #[test]
    fn contacts_are_masked_until_asked() {
        let (n, p, m) = masked_contact("李建国", "13805741234", "lijianguo@example.cn");
        assert!(!n.contains("建国"), "{n}");
        assert!(!p.contains("0574"), "{p}");
        assert_eq!(m, "l***@example.cn");
        assert_eq!(masked_contact("王", "", "").2, "");
    }
}
