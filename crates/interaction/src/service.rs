//! Letter operations: submission with its checks (captcha, rate limits, sensitive words,
//! attachments), who may act on a letter, transitions with their side effects (deadlines,
//! redaction, mail to the writer and to handlers), and audit. Pages and the API both call these.

use std::sync::Arc;

use platform::accounts;
use platform::calendar::WorkCalendar;
use platform::db::{Arg, Db, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::{AppError, AppState, Auth, Ctx, FieldError};
use platform::workflow::{self, Change, Effect, Transition};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::domain::{self, Action, Actor, Facts, LetterInput, Satisfaction, State};
use crate::store::{self, Letter, Mailbox};

/// Per-process state of the interaction subsystem.
pub struct Interaction {
    pub files_dir: std::path::PathBuf,
    calendar: platform::calendar::CachedCalendar,
    /// The site group's search index, where published letters are found beside articles.
    pub search: Option<Arc<search::SearchIndex>>,
}

/// Submissions allowed per IP address per hour, and per phone/e-mail per day.
pub const PER_IP_PER_HOUR: i64 = 10;
pub const PER_CONTACT_PER_DAY: i64 = 5;

impl Interaction {
    pub fn new(data_dir: &std::path::Path, search: Option<Arc<search::SearchIndex>>) -> Arc<Interaction> {
        Arc::new(Interaction {
            files_dir: data_dir.join("files").join("letters"),
            calendar: platform::calendar::CachedCalendar::default(),
            search,
        })
    }

    /// The working-day calendar (shipped years plus administrators' additions).
    pub async fn calendar(&self, db: &Db) -> Arc<WorkCalendar> {
        self.calendar.get(db).await
    }
}

pub use platform::calendar::{date_text, today};

fn parse_day(s: &str) -> Option<Date> {
    platform::calendar::date(s)
}

fn day_of(unix: i64) -> Date {
    parse_day(&platform::fmt_date(unix)).unwrap_or_else(today)
}

pub use platform::intake::{hash_code, query_code};

/// What the writer gets back: the letter number and the query code (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub id: i64,
    pub no: String,
    pub query_code: String,
    pub flagged: bool,
}

/// How a letter arrives.
pub struct Submission<'a> {
    pub mailbox: &'a Mailbox,
    pub input: LetterInput,
    pub attachments: Vec<(String, Vec<u8>)>,
    pub ip: &'a str,
    /// `web`, or `open311:<key name>`.
    pub source: String,
}

/// Checks and stores a citizen's letter, and mails the confirmation when an address was given.
pub async fn submit(state: &AppState, ix: &Interaction, s: Submission<'_>) -> Result<Receipt, AppError> {
    let m = s.mailbox;
    if !m.active {
        return Err(AppError::Conflict(format!("「{}」暂停受理来信", m.name)));
    }
    let cats: Vec<i64> = store::categories(&state.db, m.id).await?.iter().map(|c| c.id).collect();
    let mut errs: Vec<FieldError> =
        domain::validate(&s.input, &cats).into_iter().map(|(f, msg)| FieldError::new(f, msg)).collect();
    if let Err(e) = domain::ATTACHMENTS.check_all(s.attachments.iter().map(|(_, b)| b.as_slice())) {
        errs.push(FieldError::new("attachments", e));
    }
    let mut files = Vec::new();
    for (name, bytes) in &s.attachments {
        match domain::ATTACHMENTS.check(name, bytes) {
            Ok(mime) => files.push((name.clone(), bytes, mime)),
            Err(e) => errs.push(FieldError::new("attachments", e)),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = platform::db::now();
    let (by_ip, by_contact) =
        store::recent_from(&state.db, s.ip, s.input.phone.trim(), s.input.email.trim(), now - 86_400).await?;
    let by_ip_hour = if by_ip > 0 {
        state
            .db
            .count(sql("SELECT COUNT(*) FROM letter WHERE ip = $1 AND submitted_at >= $2").bind(s.ip).bind(now - 3600))
            .await?
    } else {
        0
    };
    if s.source == "web" && by_ip_hour >= PER_IP_PER_HOUR {
        return Err(AppError::TooManyRequests("您提交得太频繁了，请一小时后再试".into()));
    }
    if by_contact >= PER_CONTACT_PER_DAY {
        return Err(AppError::TooManyRequests("同一联系电话或邮箱一天内最多提交 5 封来信，请明天再试".into()));
    }
    let words = sensitive_words(&state.db).await;
    let flagged = domain::sensitive_hits(&format!("{} {}", s.input.subject, s.input.content), &words);

    // Attachments are written before the row so a stored letter never points at a missing file.
    let mut stored = Vec::new();
    if !files.is_empty() {
        tokio::fs::create_dir_all(&ix.files_dir).await.map_err(|e| AppError::Internal(e.to_string()))?;
    }
    for (name, bytes, mime) in files {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let file = format!("{}.{ext}", platform::security::random_token(16));
        tokio::fs::write(ix.files_dir.join(&file), bytes).await.map_err(|e| AppError::Internal(e.to_string()))?;
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        stored.push((name.chars().take(100).collect::<String>(), file, size, mime.to_owned()));
    }
    let cal = ix.calendar(&state.db).await;
    let day = today();
    let accept_due = date_text(cal.add_workdays(day, u32::try_from(m.accept_days).unwrap_or(3)));
    let code = query_code();
    let i = &s.input;
    let (id, no) = store::insert_letter(
        &state.db,
        &store::NewLetter {
            mailbox_id: m.id,
            category_id: i.category_id.filter(|_| !cats.is_empty()),
            subject: i.subject.trim(),
            content: i.content.trim(),
            name: i.name.trim(),
            phone: i.phone.trim(),
            email: i.email.trim(),
            id_number: &i.id_number.trim().to_ascii_uppercase(),
            address: i.address.trim(),
            consent_publish: i.consent_publish,
            anonymous_public: i.anonymous_public,
            ip: s.ip,
            flagged_words: &flagged.join("、"),
            source: &s.source,
            query_hash: &hash_code(&code),
            accept_due: &accept_due,
            day: &date_text(day).replace('-', ""),
            at: now,
        },
        &stored,
    )
    .await?;
    if !i.email.trim().is_empty() {
        state.send_mail(
            i.email.trim(),
            &format!("【{}】来信已收到（编号 {no}）", m.name),
            &format!(
                "{}：\n\n您的来信《{}》已收到。\n信件编号：{no}\n查询码：{code}\n\n请妥善保存查询码，凭信件编号和查询码可在网站查询办理进度和答复。我们将在 {} 个工作日内完成受理审查。\n\n{}",
                i.name.trim(),
                i.subject.trim(),
                m.accept_days,
                m.name
            ),
        ).await;
    }
    Ok(Receipt { id, no, query_code: code, flagged: !flagged.is_empty() })
}

pub const SENSITIVE_WORDS_KEY: &str = "interaction.sensitive_words";
pub const REJECT_REASONS_KEY: &str = "interaction.reject_reasons";
pub const DEFAULT_REJECT_REASONS: [&str; 5] = [
    "重复来信",
    "不属于本信箱受理范围",
    "含有侮辱、谩骂等不文明内容",
    "诉求不明确、信息不完整",
    "已进入诉讼、仲裁或信访程序",
];

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

pub async fn sensitive_words(db: &Db) -> Vec<String> {
    lines(&accounts::get_setting(db, SENSITIVE_WORDS_KEY).await.ok().flatten().unwrap_or_default())
}

pub async fn reject_reasons(db: &Db) -> Vec<String> {
    match accounts::get_setting(db, REJECT_REASONS_KEY).await.ok().flatten() {
        Some(t) if !lines(&t).is_empty() => lines(&t),
        _ => DEFAULT_REJECT_REASONS.iter().map(|s| (*s).to_owned()).collect(),
    }
}

// ---- who may act ------------------------------------------------------------------------------

pub fn mailbox_scope(m: &Mailbox) -> ResourceScope {
    m.site_id.map_or_else(ResourceScope::platform, ResourceScope::site)
}

fn unit_scope(orgs: &[accounts::OrgUnit], unit: i64) -> ResourceScope {
    accounts::org_scope(orgs, unit)
}

fn co_units(l: &Letter) -> Vec<i64> {
    l.co_unit_ids.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

/// The roles `auth` plays on this letter.
pub fn actors(auth: &Auth, l: &Letter, m: &Mailbox, orgs: &[accounts::OrgUnit]) -> Vec<Actor> {
    let mut out = Vec::new();
    let scope = mailbox_scope(m);
    if auth.can(Perm::MailboxManage, &scope) {
        out.push(Actor::Office);
    }
    if let Some(u) = l.unit_id
        && auth.can(Perm::LetterHandle, &unit_scope(orgs, u))
    {
        out.push(Actor::Handler);
    }
    if auth.can(Perm::LeaderInstruct, &scope) {
        out.push(Actor::Leader);
    }
    out
}

/// Whether `auth` may open the full letter (with the writer's personal data): the office, the
/// leaders of the mailbox, and handlers of the main or a co-handling unit.
pub fn may_view(auth: &Auth, l: &Letter, m: &Mailbox, orgs: &[accounts::OrgUnit]) -> bool {
    !actors(auth, l, m, orgs).is_empty()
        || co_units(l).iter().any(|u| auth.can(Perm::LetterHandle, &unit_scope(orgs, *u)))
}

pub fn facts(l: &Letter, m: &Mailbox) -> Facts {
    Facts {
        consent_publish: l.consent_publish,
        mailbox_publishes: m.publish_replies,
        extension_pending: l.extension_days > 0,
        rated: l.satisfaction.is_some(),
        unsatisfied: l.satisfaction.as_deref() == Some("unsatisfied"),
        reopened: l.reopened,
        published: l.published,
    }
}

/// A letter with what deciding about it needs: its mailbox and the org tree.
pub struct Opened {
    pub letter: Letter,
    pub mailbox: Mailbox,
    pub orgs: Vec<accounts::OrgUnit>,
}

impl Opened {
    pub async fn load(db: &Db, id: i64) -> Result<Opened, AppError> {
        let letter = store::letter(db, id).await?.ok_or(AppError::NotFound)?;
        let mailbox = store::mailbox(db, letter.mailbox_id).await?.ok_or(AppError::NotFound)?;
        let orgs = accounts::list_orgs(db).await?;
        Ok(Opened { letter, mailbox, orgs })
    }
}

/// Loads a letter with its mailbox for a staff member, refusing (403, audited by the shell) when
/// they have no part in it, and auditing the view of the full record.
pub async fn open_for_staff(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<Opened, AppError> {
    let o = Opened::load(&state.db, id).await?;
    if !may_view(auth, &o.letter, &o.mailbox, &o.orgs) {
        return Err(AppError::Forbidden("您无权查看这封信件".into()));
    }
    state
        .audit(ctx, "letter.view", &format!("letter:{}", o.letter.no), "success", "查看信件全文（含来信人信息）")
        .await;
    Ok(o)
}

// ---- transitions --------------------------------------------------------------------------------

/// What an action may carry besides its comment.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ActionInput {
    /// 意见、理由或批示
    #[serde(default)]
    pub comment: String,
    /// 交办/改派的承办单位
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    #[schemars(range(min = 1))]
    pub unit_id: Option<i64>,
    /// Co-handling units (协办), comma-separated ids.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9, ]*$"))]
    pub co_unit_ids: String,
    /// 答复内容（submit_reply）
    #[serde(default)]
    pub reply: String,
    /// 申请延期的工作日数
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    #[schemars(range(min = 1, max = 30))]
    pub days: Option<i64>,
    #[serde(default)]
    pub public_subject: Option<String>,
    #[serde(default)]
    pub public_content: Option<String>,
    #[serde(default)]
    pub public_reply: Option<String>,
    /// Further names to hide when publishing (one per line or separated by 、).
    #[serde(default)]
    pub redact_names: String,
    /// 满意度（rate）：satisfied 满意、basic 基本满意、unsatisfied 不满意
    #[serde(default)]
    #[schemars(extend("enum" = ["", "satisfied", "basic", "unsatisfied"]))]
    pub satisfaction: String,
}

fn conflict(e: domain::TransitionError) -> AppError {
    AppError::Conflict(e.to_string())
}

/// Who is acting: a staff member, or the writer proven by the query code.
pub enum By<'a> {
    Staff(&'a Auth),
    Writer,
}

/// Performs `action` on letter `l`: checks role and state, applies the side effects, records the
/// transition and audits it. Returns the letter as it is now.
pub async fn act(
    state: &AppState,
    ix: &Interaction,
    ctx: &Ctx,
    by: By<'_>,
    on: &Opened,
    action: Action,
    input: &ActionInput,
) -> Result<Letter, AppError> {
    let (l, m, orgs) = (&on.letter, &on.mailbox, on.orgs.as_slice());
    let roles = match &by {
        By::Staff(a) => actors(a, l, m, orgs),
        By::Writer => vec![Actor::Citizen],
    };
    if !roles.contains(&action.actor()) {
        return Err(AppError::Forbidden(format!("您不能对这封信件执行「{}」", action.label())));
    }
    let from = State::parse(&l.state).ok_or_else(|| AppError::Internal(format!("unknown letter state {}", l.state)))?;
    let to = domain::transition(from, action, &facts(l, m)).map_err(conflict)?;
    let comment = input.comment.trim();
    if action.needs_comment() && comment.is_empty() {
        let what = if action == Action::Instruct { "请填写批示内容" } else { "请填写理由" };
        return Err(AppError::invalid("comment", what));
    }
    if comment.chars().count() > 1000 {
        return Err(AppError::invalid("comment", "意见不能超过 1000 个字"));
    }
    let cal = ix.calendar(&state.db).await;
    let day = today();
    let now = platform::db::now();
    let actor_name = match &by {
        By::Staff(a) => a.user.display_name.clone(),
        By::Writer => "来信人".to_owned(),
    };
    let actor_id = match &by {
        By::Staff(a) => Some(a.user.id),
        By::Writer => None,
    };
    let mut summary = comment.to_owned();
    // Columns the action sets besides the state: (column, value), or assignments written in code.
    let mut set: Vec<(&str, Arg)> = Vec::new();
    let mut exprs: Vec<&str> = Vec::new();
    // Mail and unit notices go to the outbox in the transition's own transaction: a change that
    // loses a race tells nobody anything, and one that commits cannot lose its mail.
    let mut effects: Vec<Effect> = Vec::new();
    let mail_writer = |subject: String, body: String| Effect::Mail { to: l.email.to_string(), subject, body };
    match action {
        Action::Accept => {
            let due = cal.add_workdays(day, u32::try_from(m.reply_days).unwrap_or(15));
            set.push(("accepted_at", now.into()));
            set.push(("due_date", date_text(due).into()));
        }
        Action::Reject => {
            set.push(("reject_reason", comment.into()));
            set.push(("closed_at", now.into()));
            effects.push(mail_writer(
                format!("【{}】您的来信未予受理（编号 {}）", m.name, l.no),
                format!(
                    "{}：\n\n您的来信《{}》经审查不予受理，理由：{comment}。\n\n如有需要，可通过其他渠道反映。\n\n{}",
                    l.writer_name, l.subject, m.name
                ),
            ));
        }
        Action::Assign | Action::Reassign => {
            let unit = input.unit_id.ok_or_else(|| AppError::invalid("unit_id", "请选择承办单位"))?;
            let allowed = m.units();
            let unit_row =
                orgs.iter().find(|o| o.id == unit).ok_or_else(|| AppError::invalid("unit_id", "承办单位不存在"))?;
            if !allowed.is_empty() && !allowed.contains(&unit) {
                return Err(AppError::invalid("unit_id", format!("「{}」不是本信箱的承办单位", unit_row.name)));
            }
            if action == Action::Reassign && l.unit_id == Some(unit) {
                return Err(AppError::invalid("unit_id", "改派的单位与当前承办单位相同"));
            }
            let co: Vec<i64> = input
                .co_unit_ids
                .split([',', '，', ' '])
                .filter_map(|s| s.trim().parse().ok())
                .filter(|u| *u != unit && orgs.iter().any(|o| o.id == *u))
                .collect();
            let co_text = co.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            set.push(("unit_id", unit.into()));
            set.push(("co_unit_ids", co_text.into()));
            summary = format!(
                "承办单位：{}{}",
                unit_row.name,
                if comment.is_empty() { String::new() } else { format!("；{comment}") }
            );
            for u in std::iter::once(unit).chain(co) {
                effects.push(Effect::UnitMail {
                    unit: u,
                    subject: format!("新交办信件：{}", l.subject),
                    body: format!("信件编号 {}，办理期限 {}。", l.no, l.due_date.clone().unwrap_or_default()),
                });
            }
        }
        Action::SendBack => {
            exprs.push("unit_id = NULL, co_unit_ids = ''");
        }
        Action::RequestExtension => {
            let days = input.days.ok_or_else(|| AppError::invalid("days", "请填写延期的工作日数"))?;
            if !(1..=30).contains(&days) {
                return Err(AppError::invalid("days", "延期天数应为 1 到 30 个工作日"));
            }
            set.push(("extension_days", days.into()));
            set.push(("extension_reason", comment.into()));
            summary = format!("申请延期 {days} 个工作日：{comment}");
        }
        Action::ApproveExtension => {
            let base = l.due_date.as_deref().and_then(parse_day).unwrap_or(day);
            let due = cal.add_workdays(base, u32::try_from(l.extension_days).unwrap_or(0));
            set.push(("due_date", date_text(due).into()));
            exprs.push("extended_days = extended_days + extension_days, extension_days = 0");
            summary = format!("批准延期 {} 个工作日，新的办理期限 {}", l.extension_days, date_text(due));
        }
        Action::DenyExtension => {
            exprs.push("extension_days = 0");
        }
        Action::SubmitReply => {
            let reply = input.reply.trim();
            if reply.chars().count() < 10 {
                return Err(AppError::invalid("reply", "答复内容至少 10 个字"));
            }
            if reply.chars().count() > 5000 {
                return Err(AppError::invalid("reply", "答复内容不能超过 5000 个字"));
            }
            set.push(("reply", reply.into()));
            exprs.push("reply_unit_id = unit_id");
        }
        Action::ApproveReply => {
            let accepted = l.accepted_at.map_or(day, day_of);
            let workdays = i64::from(cal.workdays_between(accepted, day));
            let on_time = l.due_date.as_deref().and_then(parse_day).is_none_or(|due| day <= due);
            set.push(("replied_at", now.into()));
            set.push(("reply_workdays", workdays.into()));
            set.push(("on_time", on_time.into()));
            effects.push(mail_writer(
                format!("【{}】您的来信已答复（编号 {}）", m.name, l.no),
                format!("{}：\n\n您的来信《{}》已有答复：\n\n{}\n\n凭信件编号和查询码可在网站查看答复并评价办理结果。\n\n{}", l.writer_name, l.subject, l.reply, m.name),
            ));
        }
        Action::ReturnReply => {}
        Action::Publish => {
            let mut names: Vec<String> = vec![l.writer_name.clone()];
            names.extend(
                input
                    .redact_names
                    .split(['\n', '、', ',', '，'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let pick = |given: &Option<String>, original: &str| {
                given
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map_or_else(|| domain::redact(original, &refs), str::to_owned)
            };
            let (ps, pc, pr) = (
                pick(&input.public_subject, &l.subject),
                pick(&input.public_content, &l.content),
                pick(&input.public_reply, &l.reply),
            );
            // Whatever the office typed by hand still goes through the automatic patterns.
            set.push(("public_subject", domain::redact(&ps, &refs).into()));
            set.push(("public_content", domain::redact(&pc, &refs).into()));
            set.push(("public_reply", domain::redact(&pr, &refs).into()));
            set.push((
                "public_writer",
                if l.anonymous_public { String::new() } else { domain::mask_name(&l.writer_name) }.into(),
            ));
            set.push(("published", true.into()));
            set.push(("published_at", now.into()));
        }
        Action::Unpublish => {
            set.push(("published", false.into()));
        }
        Action::Close => {
            set.push(("closed_at", now.into()));
        }
        Action::Supervise => {
            exprs.push("supervised = supervised + 1");
            if let Some(u) = l.unit_id {
                effects.push(Effect::UnitMail {
                    unit: u,
                    subject: format!("督办：{}", l.subject),
                    body: format!(
                        "信件编号 {}，办理期限 {}。督办意见：{comment}",
                        l.no,
                        l.due_date.clone().unwrap_or_default()
                    ),
                });
            }
        }
        Action::Instruct => {
            summary = format!("批示：{comment}");
            if let Some(u) = l.unit_id {
                effects.push(Effect::UnitMail {
                    unit: u,
                    subject: format!("领导批示：{}", l.subject),
                    body: format!("信件编号 {}。批示：{comment}", l.no),
                });
            }
        }
        Action::Rate => {
            let s = Satisfaction::parse(&input.satisfaction)
                .ok_or_else(|| AppError::invalid("satisfaction", "请选择满意、基本满意或不满意"))?;
            set.push(("satisfaction", s.code().into()));
            set.push(("rating_comment", comment.into()));
            summary =
                format!("{}{}", s.label(), if comment.is_empty() { String::new() } else { format!("：{comment}") });
        }
        Action::Reopen => {
            let due = cal.add_workdays(day, u32::try_from(m.reply_days).unwrap_or(15));
            // The writer rates the new reply; the old rating stays in the history.
            exprs.push("reopened = TRUE, published = FALSE, on_time = NULL, satisfaction = NULL, rating_comment = ''");
            exprs.push("unit_id = COALESCE(unit_id, reply_unit_id)");
            set.push(("due_date", date_text(due).into()));
        }
    }
    let transition = Transition {
        action: action.code(),
        from: &l.state,
        to: to.code(),
        step: 0,
        actor: &actor_name,
        actor_id,
        comment: &summary,
    };
    let mut change = Change::new(&store::FLOW, l.id, l.updated_at, transition).tallied(&store::LetterTally);
    for (column, value) in set {
        change = change.set(column, value);
    }
    for e in exprs {
        change = change.set_expr(e);
    }
    if !workflow::apply(state, change.effects(effects)).await? {
        return Err(AppError::Conflict("信件刚被他人处理过，请刷新后再试".into()));
    }
    state
        .audit(
            ctx,
            &format!("letter.{}", action.code()),
            &format!("letter:{}", l.no),
            "success",
            format!("{}：{}", action.label(), summary),
        )
        .await;
    store::letter(&state.db, l.id).await?.ok_or(AppError::NotFound)
}

/// The writer's view of a letter, found by number and query code (no account).
pub async fn find_for_writer(db: &Db, no: &str, code: &str) -> Result<Letter, AppError> {
    let l = store::letter_by_no(db, no.trim()).await?;
    match l {
        Some(l) if hash_code(code) == l.query_hash => Ok(l),
        _ => Err(AppError::invalid("code", "信件编号或查询码不正确")),
    }
}

/// Daily reminders: each unit's handlers get their due-soon and overdue letters; the office gets
/// the consultation letters approaching the 3-month national veto. Returns mails sent.
pub async fn send_reminders(state: &AppState, ix: &Interaction) -> usize {
    let cal = ix.calendar(&state.db).await;
    let day = today();
    let horizon = date_text(cal.add_workdays(day, 3));
    let Ok(letters) = store::due_soon(&state.db, &horizon).await else { return 0 };
    let mut by_unit: std::collections::BTreeMap<i64, Vec<&Letter>> = Default::default();
    for l in &letters {
        if let Some(u) = l.unit_id {
            by_unit.entry(u).or_default().push(l);
        }
    }
    let mut sent = 0;
    for (unit, list) in by_unit {
        let mut body = String::from("以下信件即将到期或已经超期，请抓紧办理：\n\n");
        for l in &list {
            let due = l.due_date.as_deref().and_then(parse_day).unwrap_or(day);
            let (left, st) = domain::due_status(&cal, day, due, 3);
            let when = if left < 0 {
                format!("已超期 {} 个工作日", -left)
            } else {
                format!("剩余 {left} 个工作日")
            };
            body.push_str(&format!(
                "· {} {}（办理期限 {}，{}，{}）\n",
                l.no,
                l.subject,
                date_text(due),
                st.label(),
                when
            ));
        }
        for email in accounts::handler_emails(&mut &state.db, unit).await.unwrap_or_default() {
            if state
                .mailer
                .deliver(&email, &format!("信件办理提醒：{} 封即将到期或超期", list.len()), &body)
                .await
                .is_ok()
            {
                sent += 1;
            }
        }
    }
    sent
}
