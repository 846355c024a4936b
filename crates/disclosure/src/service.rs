//! Disclosure's operations: filing a request (checked, rate-limited, sealed), the office's actions
//! on it through the workflow kernel (each with its clock event, its notice to the applicant in
//! the outbox and its audit), and the applicant's lookup by receipt number and query code.

use std::sync::Arc;

use platform::accounts::{self, OrgUnit};
use platform::calendar::{CachedCalendar, WorkCalendar, date_text, today};
use platform::db::{Arg, Db};
use platform::intake::{hash_code, query_code};
use platform::roles::{Perm, ResourceScope};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{Change, Effect, Transition};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::domain::{self, Action, ApplicantKind, ClockEvent, Facts, Outcome};
use crate::store::{self, Request};

/// The disclosure subsystem's shared state: the working-day calendar, read once and kept, and the
/// site group's search index, where catalogue items are found beside articles.
pub struct Disclosure {
    calendar: CachedCalendar,
    pub search: Option<Arc<search::SearchIndex>>,
}

impl Disclosure {
    pub fn new(search: Option<Arc<search::SearchIndex>>) -> Arc<Disclosure> {
        Arc::new(Disclosure { calendar: CachedCalendar::default(), search })
    }

    pub async fn calendar(&self, db: &Db) -> Arc<WorkCalendar> {
        self.calendar.get(db).await
    }
}

/// Requests per address per hour and per applicant per day before the form answers 429.
pub const PER_IP_PER_HOUR: i64 = 10;
pub const PER_APPLICANT_PER_DAY: i64 = 5;

pub fn scope(orgs: &[OrgUnit], org_id: i64) -> ResourceScope {
    accounts::org_scope(orgs, org_id)
}

/// Org units whose requests `auth` handles (`None`: all).
pub fn handled_orgs(auth: &Auth, orgs: &[OrgUnit]) -> Option<Vec<i64>> {
    auth.units_with(Perm::DisclosureHandle, orgs)
}

/// How the answer reaches the applicant (the form's 获取信息的方式).
pub const DELIVERY: [(&str, &str); 4] =
    [("paper", "纸质"), ("email", "电子邮件"), ("disc", "光盘"), ("in_person", "当面领取")];
/// How the request arrived.
pub const CHANNELS: [(&str, &str); 4] =
    [("online", "网上申请"), ("letter", "信函"), ("in_person", "当面"), ("fax", "传真")];
/// A natural person's identity documents.
pub const ID_TYPES: [&str; 5] =
    ["居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证"];

pub fn label_of(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

/// A request as the form or the API sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "applicant_kind", "applicant_name", "id_number", "phone", "description", "delivery"]))]
pub struct RequestInput {
    /// 受理机关的机构代码
    #[serde(default)]
    pub org: String,
    /// 申请人类型：person 自然人、business 商业企业、research 科研机构、nonprofit 社会公益组织、legal_service 法律服务机构、other_org 其他组织
    #[serde(default)]
    pub applicant_kind: String,
    /// 姓名或单位名称
    #[serde(default)]
    pub applicant_name: String,
    /// 证件类型（自然人）：居民身份证、护照 …
    #[serde(default)]
    pub id_type: String,
    /// 证件号码（自然人）或统一社会信用代码（法人或其他组织）
    #[serde(default)]
    pub id_number: String,
    /// 联系电话
    #[serde(default)]
    pub phone: String,
    /// 电子邮箱（以电子邮件方式获取时必填）
    #[serde(default)]
    pub email: String,
    /// 通信地址（纸质、光盘方式获取时必填）
    #[serde(default)]
    pub address: String,
    /// 所需政府信息的名称、文号或者便于查询的其他特征性描述
    #[serde(default)]
    pub description: String,
    /// 用途（选填）
    #[serde(default)]
    pub purpose: String,
    /// 获取方式：paper 纸质、email 电子邮件、disc 光盘、in_person 当面领取
    #[serde(default)]
    pub delivery: String,
    /// 提出方式（工作人员登记时填写）：online、letter 信函、in_person 当面、fax 传真
    #[serde(default)]
    pub channel: String,
}

/// Checks a request; returns the agency and the applicant kind, or every problem at once.
pub fn check(input: &RequestInput, orgs: &[OrgUnit]) -> Result<(i64, ApplicantKind), Vec<FieldError>> {
    let mut errs = Vec::new();
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    if org.is_none() {
        errs.push(FieldError::new("org", "请选择受理机关"));
    }
    let kind = ApplicantKind::parse(input.applicant_kind.trim());
    if kind.is_none() {
        errs.push(FieldError::new("applicant_kind", "请选择申请人类型"));
    }
    let name = input.applicant_name.trim();
    if name.is_empty() {
        errs.push(FieldError::new(
            "applicant_name",
            if kind.is_some_and(|k| !k.is_person()) { "请填写单位名称" } else { "请填写申请人姓名" },
        ));
    } else if name.chars().count() > 100 {
        errs.push(FieldError::new("applicant_name", "姓名或单位名称不能超过 100 个字"));
    }
    let id = input.id_number.trim().to_ascii_uppercase();
    match kind {
        Some(k) if !k.is_person() => {
            if id.chars().count() != 18 || platform::codes::check_org_code(&id).is_some() {
                errs.push(FieldError::new("id_number", "统一社会信用代码应为 18 位且校验位正确"));
            }
        }
        _ => {
            let id_type = input.id_type.trim();
            if !ID_TYPES.contains(&id_type) {
                errs.push(FieldError::new("id_type", "请选择证件类型"));
            } else if id_type == "居民身份证" && !platform::codes::valid_id_number(&id) {
                errs.push(FieldError::new("id_number", "身份证号不正确（应为 18 位，出生日期和校验位须正确）"));
            } else if id.is_empty() || id.chars().count() > 30 {
                errs.push(FieldError::new("id_number", "请填写证件号码"));
            }
        }
    }
    if !platform::codes::valid_phone(input.phone.trim()) {
        errs.push(FieldError::new("phone", "联系电话应为手机号或带区号的固定电话"));
    }
    let email = input.email.trim();
    if !email.is_empty() && (!email.contains('@') || !email.contains('.')) {
        errs.push(FieldError::new("email", "电子邮箱格式不正确"));
    }
    let delivery = input.delivery.trim();
    if label_of(&DELIVERY, delivery).is_empty() {
        errs.push(FieldError::new("delivery", "请选择获取信息的方式"));
    } else if delivery == "email" && email.is_empty() {
        errs.push(FieldError::new("email", "以电子邮件方式获取信息，请填写电子邮箱"));
    } else if matches!(delivery, "paper" | "disc") && input.address.trim().is_empty() {
        errs.push(FieldError::new("address", "以纸质或光盘方式获取信息，请填写通信地址"));
    }
    let description = input.description.trim();
    if description.chars().count() < 6 {
        errs.push(FieldError::new(
            "description",
            "请写明所需政府信息的名称、文号或者便于查询的其他特征性描述（至少 6 个字）",
        ));
    } else if description.chars().count() > 2000 {
        errs.push(FieldError::new("description", "所需信息的描述不能超过 2000 个字"));
    }
    if input.purpose.trim().chars().count() > 500 {
        errs.push(FieldError::new("purpose", "用途不能超过 500 个字"));
    }
    let channel = input.channel.trim();
    if !channel.is_empty() && label_of(&CHANNELS, channel).is_empty() {
        errs.push(FieldError::new("channel", "提出方式只能是网上申请、信函、当面或传真"));
    }
    match (org, kind) {
        (Some(o), Some(k)) if errs.is_empty() => Ok((o.id, k)),
        _ => Err(errs),
    }
}

/// What the applicant keeps: the receipt number and the query code (shown once).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub id: i64,
    pub no: String,
    pub query_code: String,
}

/// Files a citizen's request sent online. Rate limits per address and per applicant answer 429.
pub async fn submit(state: &AppState, input: &RequestInput, ip: &str) -> Result<Receipt, AppError> {
    file(state, &RequestInput { channel: "online".into(), ..input.clone() }, ip, true).await
}

/// Registers a request that came by letter, in person or by fax (staff; no rate limit).
pub async fn register(state: &AppState, input: &RequestInput) -> Result<Receipt, AppError> {
    file(state, input, "", false).await
}

async fn file(state: &AppState, input: &RequestInput, ip: &str, limited: bool) -> Result<Receipt, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let (org_id, kind) = check(input, &orgs).map_err(AppError::Invalid)?;
    let id_number = input.id_number.trim().to_ascii_uppercase();
    let now = platform::db::now();
    let (by_ip, by_applicant) = if limited {
        store::recent(&state.db, ip, &platform::sealed::lookup_hash(&id_number), now).await?
    } else {
        (0, 0)
    };
    if by_ip >= PER_IP_PER_HOUR {
        return Err(AppError::TooManyRequests("提交太频繁了，请一小时后再试".into()));
    }
    if by_applicant >= PER_APPLICANT_PER_DAY {
        return Err(AppError::TooManyRequests(format!(
            "同一申请人一天内最多提出 {PER_APPLICANT_PER_DAY} 件申请，请明天再提交"
        )));
    }
    let code = query_code();
    let channel = if input.channel.trim().is_empty() { "online" } else { input.channel.trim() };
    let (id, no) = store::insert(
        &state.db,
        &store::NewRequest {
            org_id,
            applicant_kind: kind,
            applicant_name: input.applicant_name.trim(),
            id_type: if kind.is_person() { input.id_type.trim() } else { "统一社会信用代码" },
            id_number: &id_number,
            phone: input.phone.trim(),
            email: input.email.trim(),
            address: input.address.trim(),
            description: input.description.trim(),
            purpose: input.purpose.trim(),
            delivery: input.delivery.trim(),
            channel,
            query_hash: &hash_code(&code),
            ip,
            at: now,
            day: today(),
        },
    )
    .await?;
    Ok(Receipt { id, no, query_code: code })
}

/// The applicant's own request, by receipt number and query code.
pub async fn find_for_applicant(db: &Db, no: &str, code: &str) -> Result<Request, AppError> {
    match store::by_no(db, no.trim()).await? {
        Some(r) if hash_code(code) == r.query_hash => Ok(r),
        _ => Err(AppError::invalid("code", "申请编号或查询码不正确")),
    }
}

/// What an office action carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActInput {
    /// 说明：补正告知的内容、征求意见的对象、延期的理由和批准人、送达方式等
    #[serde(default)]
    pub comment: String,
    /// 事件发生日期（YYYY-MM-DD，默认今天；如补正材料的收到日期）
    #[serde(default)]
    pub on: String,
    /// 延长的工作日数（extend，1–20）
    #[serde(default)]
    pub days: u32,
    /// 信息处理费金额（元，notify_fee）
    #[serde(default)]
    pub fee_yuan: i64,
    /// 缴费结果（fee_settled）：paid 已缴费、waived 减免
    #[serde(default)]
    pub fee_state: String,
    /// 答复结果代码（decide），见年度报告表三各行
    #[serde(default)]
    pub outcome: String,
    /// 法律依据（decide，默认为该结果的条例条款）
    #[serde(default)]
    pub basis: String,
    /// 告知书正文（decide）
    #[serde(default)]
    pub reply: String,
    /// 重复申请时此前已答复的申请编号
    #[serde(default)]
    pub earlier_no: String,
}

/// The facts the transition rules read, as of `on`.
pub fn facts(r: &Request, cal: &WorkCalendar, on: Date) -> Facts {
    let received = r.received_on.as_deref().and_then(platform::calendar::date);
    Facts {
        corrected_once: r.corrected_once,
        extended_once: r.extended_once,
        workdays_since_receipt: received.map_or(0, |d| cal.workdays_between(d, on)),
    }
}

/// The day an action happened: the one given (not in the future, not before the request's last
/// clock event) or today.
fn action_day(r: &Request, on: &str, today: Date) -> Result<Date, AppError> {
    let on = on.trim();
    if on.is_empty() {
        return Ok(today);
    }
    let day = platform::calendar::date(on).ok_or_else(|| AppError::invalid("on", "日期格式应为 YYYY-MM-DD"))?;
    if day > today {
        return Err(AppError::invalid("on", "日期不能晚于今天"));
    }
    let floor = r
        .clock_events()
        .iter()
        .filter_map(|e| match *e {
            ClockEvent::Extended(_) => None,
            ClockEvent::Received(d)
            | ClockEvent::CorrectionRequested(d)
            | ClockEvent::Corrected(d)
            | ClockEvent::ConsultationStarted(d)
            | ClockEvent::ConsultationEnded(d)
            | ClockEvent::FeeNotified(d)
            | ClockEvent::FeeSettled(d) => Some(d),
        })
        .max()
        .or_else(|| platform::calendar::date(&r.submitted_on));
    if let Some(f) = floor
        && day < f
    {
        return Err(AppError::invalid("on", format!("日期不能早于上一环节的日期 {}", date_text(f))));
    }
    Ok(day)
}

/// The built-in wording of the reply letter; an agency may keep its own in its guide with the
/// same placeholders.
pub const DEFAULT_REPLY_TEMPLATE: &str = "{申请人}：\n\n本机关于 {收到日期} 收到您提出的政府信息公开申请（申请编号 {申请编号}），申请获取“{所需信息}”。\n\n{审查意见}\n\n依据：{依据}。\n\n如对本答复不服，可以自收到本告知书之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。\n\n{机关}\n";

/// The placeholders a reply template may use.
pub const REPLY_PLACEHOLDERS: [&str; 7] =
    ["{申请人}", "{收到日期}", "{申请编号}", "{所需信息}", "{审查意见}", "{依据}", "{机关}"];

/// The reply letter's text for an outcome from the agency's template (the built-in one when
/// empty), which the handler edits before deciding.
pub fn reply_draft(r: &Request, agency: &str, outcome: Outcome, template: &str) -> String {
    let finding = match outcome {
        Outcome::Disclosed => "经审查，您申请获取的政府信息属于公开范围，现予以提供（见附件），请查收。".to_owned(),
        Outcome::PartlyDisclosed => {
            "经审查，您申请获取的政府信息中含有不应当公开的内容，本机关已作区分处理，现提供可以公开的部分。".to_owned()
        }
        Outcome::Withheld(_) => format!("经审查，您申请获取的信息{}，依法不予公开。", outcome.label()),
        Outcome::Unavailable(_) => format!("经审查，{}，无法提供。", outcome.label()),
        Outcome::NotProcessed(_) => format!("经审查，您的申请属于“{}”，本机关不予处理。", outcome.label()),
        Outcome::Other(domain::OtherHandling::CorrectionLapsed) => {
            "您未在补正期限内补正，且无正当理由，本机关不再处理您的政府信息公开申请。".to_owned()
        }
        Outcome::Other(domain::OtherHandling::FeeUnpaid) => {
            "您未在收费通知要求的期限内缴纳信息处理费，本机关不再处理您的政府信息公开申请。".to_owned()
        }
        Outcome::Other(_) => "经审查，本机关对您的申请作如下处理：".to_owned(),
    };
    let template = if template.trim().is_empty() { DEFAULT_REPLY_TEMPLATE } else { template };
    let received = r.received_on.clone().unwrap_or_else(|| r.submitted_on.clone());
    template
        .replace("{申请人}", &r.applicant_name)
        .replace("{收到日期}", &received)
        .replace("{申请编号}", &r.no)
        .replace("{所需信息}", &r.description)
        .replace("{审查意见}", &finding)
        .replace("{依据}", outcome.basis())
        .replace("{机关}", agency)
}

/// Applies an office action. Every action is a transition of the workflow kernel: the row, the
/// event, and the notice to the applicant in the outbox commit together; the action is audited.
pub async fn act(
    state: &AppState,
    svc: &Disclosure,
    ctx: &Ctx,
    auth: &Auth,
    r: &Request,
    action: Action,
    input: &ActInput,
) -> Result<Request, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureHandle, &scope(&orgs, r.org_id))?;
    let cal = svc.calendar(&state.db).await;
    let on = action_day(r, &input.on, today())?;
    let from = r.state();
    let to = domain::transition(from, action, &facts(r, &cal, on)).map_err(|e| AppError::Conflict(e.to_string()))?;
    let comment = input.comment.trim();
    let day = date_text(on);
    let mut set: Vec<(&str, Arg)> = Vec::new();
    let mut clock_event: Option<ClockEvent> = None;
    let mut summary = comment.to_owned();
    let mut notice: Option<String> = None;
    match action {
        Action::Confirm => {
            clock_event = Some(ClockEvent::Received(on));
            set.push(("received_on", day.clone().into()));
        }
        Action::RequestCorrection => {
            if comment.is_empty() {
                return Err(AppError::invalid("comment", "请一次性写明需要补正的事项和合理的补正期限"));
            }
            clock_event = Some(ClockEvent::CorrectionRequested(on));
            set.push(("correction_note", comment.into()));
            set.push(("corrected_once", true.into()));
            notice = Some(format!(
                "您的申请内容不够明确，请按以下要求补正（补正期间不计入答复期限，收到补正后重新计算）：\n{comment}"
            ));
        }
        Action::Corrected => clock_event = Some(ClockEvent::Corrected(on)),
        Action::Consult => {
            if comment.is_empty() {
                return Err(AppError::invalid("comment", "请写明征求意见的第三方或其他机关"));
            }
            clock_event = Some(ClockEvent::ConsultationStarted(on));
            notice = Some(format!(
                "您申请的信息涉及第三方合法权益，本机关已书面征求第三方意见（不超过 {} 个工作日），所需时间不计入答复期限。",
                domain::CONSULTATION_WORKDAYS
            ));
        }
        Action::ConsultationDone => clock_event = Some(ClockEvent::ConsultationEnded(on)),
        Action::Extend => {
            if !(1..=domain::MAX_EXTENSION_WORKDAYS).contains(&input.days) {
                return Err(AppError::invalid("days", "延长期限为 1 至 20 个工作日"));
            }
            if comment.is_empty() {
                return Err(AppError::invalid(
                    "comment",
                    "请写明延期理由和批准人（须经政府信息公开工作机构负责人同意）",
                ));
            }
            clock_event = Some(ClockEvent::Extended(input.days));
            set.push(("extended_once", true.into()));
            summary = format!("延长 {} 个工作日：{comment}", input.days);
        }
        Action::NotifyFee => {
            if !(1..=1_000_000).contains(&input.fee_yuan) {
                return Err(AppError::invalid("fee_yuan", "请填写信息处理费金额（元）"));
            }
            clock_event = Some(ClockEvent::FeeNotified(on));
            set.push(("fee_state", "notified".into()));
            set.push(("fee_yuan", input.fee_yuan.into()));
            summary = format!(
                "信息处理费 {} 元{}",
                input.fee_yuan,
                if comment.is_empty() { String::new() } else { format!("：{comment}") }
            );
            notice = Some(format!(
                "依据《政府信息公开信息处理费管理办法》，您的申请需缴纳信息处理费 {} 元。请自收到通知次日起 20 个工作日内缴纳，逾期未缴纳的视为放弃申请。{comment}",
                input.fee_yuan
            ));
        }
        Action::FeeSettled => {
            let fee_state = input.fee_state.trim();
            if !matches!(fee_state, "paid" | "waived") {
                return Err(AppError::invalid("fee_state", "请选择已缴费或减免"));
            }
            clock_event = Some(ClockEvent::FeeSettled(on));
            set.push(("fee_state", fee_state.into()));
            summary = label_of(&domain::FEE_STATES, fee_state).to_owned();
        }
        Action::CorrectionLapsed | Action::FeeLapsed => {
            let outcome = if action == Action::CorrectionLapsed {
                Outcome::Other(domain::OtherHandling::CorrectionLapsed)
            } else {
                set.push(("fee_state", "lapsed".into()));
                Outcome::Other(domain::OtherHandling::FeeUnpaid)
            };
            let agency = orgs.iter().find(|o| o.id == r.org_id).map(|o| o.name.clone()).unwrap_or_default();
            let template = store::guide(&state.db, r.org_id).await?.map(|g| g.reply_template).unwrap_or_default();
            let reply = reply_draft(r, &agency, outcome, &template);
            set.push(("outcome", outcome.code().into()));
            set.push(("basis", outcome.basis().into()));
            set.push(("reply", reply.clone().into()));
            set.push(("decided_on", day.clone().into()));
            set.push(("due_on", Arg::NullText));
            summary = outcome.label().to_owned();
            notice = Some(reply);
        }
        Action::Decide => {
            let outcome = Outcome::parse(input.outcome.trim())
                .filter(|o| o.is_decision())
                .ok_or_else(|| AppError::invalid("outcome", "请选择答复结果"))?;
            let reply = input.reply.trim();
            if reply.is_empty() {
                return Err(AppError::invalid("reply", "请填写告知书正文"));
            }
            let basis = if input.basis.trim().is_empty() { outcome.basis() } else { input.basis.trim() };
            let mut earlier = String::new();
            if outcome == Outcome::NotProcessed(domain::NotProcessed::Repeat) {
                let no = input.earlier_no.trim();
                match store::by_no(&state.db, no).await? {
                    Some(e) if e.id != r.id && e.decided_on.is_some() => earlier = e.no,
                    _ => return Err(AppError::invalid("earlier_no", "重复申请须填写此前已答复的申请编号")),
                }
            }
            set.push(("outcome", outcome.code().into()));
            set.push(("basis", basis.into()));
            set.push(("reply", reply.into()));
            set.push(("earlier_no", earlier.into()));
            set.push(("decided_on", day.clone().into()));
            set.push(("due_on", Arg::NullText));
            summary = outcome.label().to_owned();
            notice = Some(reply.to_owned());
        }
        Action::Deliver => {
            set.push(("delivered_on", day.clone().into()));
            summary = format!(
                "{}送达{}",
                label_of(&DELIVERY, &r.delivery),
                if comment.is_empty() { String::new() } else { format!("：{comment}") }
            );
        }
    }
    // The clock as the new event leaves it: the due day for queues and overdue lists.
    if let Some(e) = clock_event {
        let mut events = r.clock_events();
        events.push(e);
        let c = domain::clock(&events, &cal);
        set.push(("clock", store::clock_with(r, e).into()));
        set.push(("due_on", c.due.map(date_text).into()));
        match (action, c.due) {
            (Action::Confirm, Some(due)) => {
                notice = Some(format!("您的政府信息公开申请已于 {day} 收到，本机关将于 {} 前答复。", date_text(due)));
            }
            (Action::Corrected | Action::ConsultationDone | Action::FeeSettled, Some(due)) => {
                summary = format!(
                    "{}答复期限至 {}",
                    if summary.is_empty() { String::new() } else { format!("{summary}；") },
                    date_text(due)
                );
            }
            (Action::Extend, Some(due)) => {
                summary = format!("{summary}；答复期限延至 {}", date_text(due));
                notice = Some(format!(
                    "因{comment}，经批准，您的申请答复期限延长 {} 个工作日，至 {}。",
                    input.days,
                    date_text(due)
                ));
            }
            _ => {}
        }
    }
    let actor = auth.user.display_name.clone();
    let transition = Transition {
        action: action.code(),
        from: from.code(),
        to: to.code(),
        step: 0,
        actor: &actor,
        actor_id: Some(auth.user.id),
        comment: &summary,
    };
    let mut change = Change::new(&store::FLOW, r.id, r.updated_at, transition);
    for (column, value) in set {
        change = change.set(column, value);
    }
    let email = platform::sealed::open(&r.email).unwrap_or_default();
    if let Some(text) = notice
        && !email.is_empty()
    {
        change = change.effect(Effect::Mail {
            to: email,
            subject: format!("【政府信息公开】您的申请 {} {}", r.no, to.label()),
            body: text,
        });
    }
    if !platform::workflow::apply(state, change).await? {
        return Err(AppError::Conflict("该申请已被他人处理，请刷新后重试".into()));
    }
    state
        .audit(
            ctx,
            &format!("disclosure.{}", action.code()),
            &format!("disclosure_request:{}", r.no),
            "success",
            summary,
        )
        .await;
    store::get(&state.db, r.id).await?.ok_or(AppError::NotFound)
}

/// A 复议 or 诉讼 against an answered request, as entered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["kind", "result"]))]
pub struct ReviewInput {
    /// reconsideration 行政复议、litigation_direct 未经复议直接起诉、litigation_after 复议后起诉
    #[serde(default)]
    pub kind: String,
    /// upheld 结果维持、corrected 结果纠正、other 其他结果、pending 尚未审结
    #[serde(default)]
    pub result: String,
    /// 说明（案号、决定或判决）
    #[serde(default)]
    pub note: String,
}

/// Records (or updates) the 复议/诉讼 of an answered request; table 四 of the report for the year
/// of entry counts it.
pub async fn record_review(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    r: &Request,
    input: &ReviewInput,
) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureHandle, &scope(&orgs, r.org_id))?;
    let mut errs = Vec::new();
    if label_of(&domain::REVIEW_KINDS, input.kind.trim()).is_empty() {
        errs.push(FieldError::new("kind", "请选择行政复议或行政诉讼"));
    }
    if label_of(&domain::REVIEW_RESULTS, input.result.trim()).is_empty() {
        errs.push(FieldError::new("result", "请选择结果"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if r.decided_on.is_none() {
        return Err(AppError::Conflict("申请答复之后才能登记复议或诉讼".into()));
    }
    state
        .db
        .execute(
            platform::db::sql("UPDATE disclosure_request SET review_kind = $1, review_result = $2, review_on = $3, review_note = $4 WHERE id = $5")
                .bind(input.kind.trim())
                .bind(input.result.trim())
                .bind(date_text(today()))
                .bind(input.note.trim())
                .bind(r.id),
        )
        .await?;
    let summary = format!(
        "{}：{}",
        label_of(&domain::REVIEW_KINDS, input.kind.trim()),
        label_of(&domain::REVIEW_RESULTS, input.result.trim())
    );
    state.audit(ctx, "disclosure.review", &format!("disclosure_request:{}", r.no), "success", summary).await;
    Ok(())
}

/// Due colour of an open request on `today`: working days left and `normal` / `warning` (3 working
/// days or fewer, as in letters and services) / `overdue`; `None` while the clock stands.
pub fn due_status(cal: &WorkCalendar, r: &Request, today: Date) -> Option<(i64, &'static str)> {
    let due = platform::calendar::date(r.due_on.as_deref()?)?;
    if !r.state().is_open() {
        return None;
    }
    let left = cal.workdays_left(today, due);
    Some((
        left,
        if left < 0 {
            "overdue"
        } else if left <= 3 {
            "warning"
        } else {
            "normal"
        },
    ))
}

/// Whether `state` lets `action` through for this request today (the action buttons shown).
pub fn available(r: &Request, cal: &WorkCalendar, today: Date) -> Vec<Action> {
    let f = facts(r, cal, today);
    Action::ALL.into_iter().filter(|a| domain::transition(r.state(), *a, &f).is_ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orgs() -> Vec<OrgUnit> {
        vec![OrgUnit {
            id: 7,
            parent_id: None,
            name: "市科技局".into(),
            code: "kjj".into(),
            kind: "dept".into(),
            sort_order: 0,
        }]
    }

    fn good() -> RequestInput {
        RequestInput {
            org: "kjj".into(),
            applicant_kind: "person".into(),
            applicant_name: "王建国".into(),
            id_type: "居民身份证".into(),
            id_number: "11010519491231002X".into(),
            phone: "13912345678".into(),
            email: String::new(),
            address: "哈尔滨市道里区经纬街 99 号".into(),
            description: "2026 年市级科技计划项目立项清单".into(),
            purpose: String::new(),
            delivery: "paper".into(),
            channel: String::new(),
        }
    }

    fn fields(r: Result<(i64, ApplicantKind), Vec<FieldError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_reply_follows_the_agency_template() {
        let r = Request {
            no: "YSQ20261201000001".into(),
            applicant_name: "王建国".into(),
            submitted_on: "2026-12-01".into(),
            description: "科技计划项目清单".into(),
            ..Request::default()
        };
        let built_in = reply_draft(&r, "市科技局", Outcome::Disclosed, "");
        assert!(
            built_in.starts_with("王建国：")
                && built_in.contains("YSQ20261201000001")
                && built_in.ends_with("市科技局\n")
        );
        let own = reply_draft(&r, "市科技局", Outcome::Disclosed, "{申请人}同志：{审查意见}（{依据}）");
        assert_eq!(
            own,
            "王建国同志：经审查，您申请获取的政府信息属于公开范围，现予以提供（见附件），请查收。（《中华人民共和国政府信息公开条例》第三十六条第（二）项）"
        );
    }

    #[test]
    fn a_complete_request_passes() {
        assert_eq!(check(&good(), &orgs()).ok(), Some((7, ApplicantKind::Person)));
        let firm = RequestInput {
            applicant_kind: "business".into(),
            applicant_name: "哈尔滨冰城示例科技有限公司".into(),
            id_number: "91230100MA1B2C3D4X".into(),
            ..good()
        };
        // A credit code with a wrong check character is refused.
        assert_eq!(fields(check(&firm, &orgs())), vec!["id_number"]);
    }

    #[test]
    fn each_problem_is_named_on_its_field() {
        let bad = RequestInput {
            org: "nope".into(),
            id_number: "110105194912310021".into(),
            phone: "12".into(),
            description: "文件".into(),
            delivery: "email".into(),
            ..good()
        };
        assert_eq!(fields(check(&bad, &orgs())), vec!["org", "id_number", "phone", "email", "description"]);
        let paper_without_address = RequestInput { address: String::new(), ..good() };
        assert_eq!(fields(check(&paper_without_address, &orgs())), vec!["address"]);
        let passport = RequestInput { id_type: "护照".into(), id_number: "E12345678".into(), ..good() };
        assert!(check(&passport, &orgs()).is_ok());
    }
}
