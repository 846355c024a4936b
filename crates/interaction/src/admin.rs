//! Back-office pages of 互动交流: the handler's queue, the office's screening and assignment queue
//! (also the leaders' view), a letter with its history and the actions the viewer may take, the
//! statistics with xlsx export, and mailbox settings (categories, deadlines, units, sensitive
//! words, 不予受理 reasons, Open311 keys).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Action, State as LState};
use crate::service::{self, ActionInput, By, Interaction};
use crate::store::{self, Letter, Mailbox};

type Ext = Extension<Arc<Interaction>>;

pub(crate) use platform::web::sv;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/letters.html", include_str!("../templates/admin/letters.html")),
        ("admin/letter.html", include_str!("../templates/admin/letter.html")),
        ("admin/letter_stats.html", include_str!("../templates/admin/letter_stats.html")),
        ("admin/mailboxes.html", include_str!("../templates/admin/mailboxes.html")),
        ("admin/mailbox_form.html", include_str!("../templates/admin/mailbox_form.html")),
        ("public/index.html", include_str!("../templates/public/index.html")),
        ("public/mailbox.html", include_str!("../templates/public/mailbox.html")),
        ("public/write.html", include_str!("../templates/public/write.html")),
        ("public/receipt.html", include_str!("../templates/public/receipt.html")),
        ("public/letter.html", include_str!("../templates/public/letter.html")),
        ("public/query.html", include_str!("../templates/public/query.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/letters", get(handler_queue))
        .route("/admin/letters/office", get(office_queue))
        .route("/admin/letters/leader", get(leader_queue))
        .route("/admin/letters/stats", get(stats_page))
        .route("/admin/letters/stats.xlsx", get(stats_xlsx))
        .route("/admin/letters/{id}", get(letter_page))
        .route("/admin/letters/{id}/act", post(letter_act))
        .route("/admin/letters/{id}/draft", post(reply_draft))
        .route("/admin/letters/files/{id}", get(attachment))
        .route("/admin/mailboxes", get(mailboxes_page))
        .route("/admin/mailboxes/settings", post(settings_submit))
        .route("/admin/mailboxes/keys", post(key_create))
        .route("/admin/mailboxes/keys/{id}/revoke", post(key_revoke))
        .route("/admin/mailboxes/new", get(mailbox_new).post(mailbox_create))
        .route("/admin/mailboxes/{id}", get(mailbox_edit).post(mailbox_update))
}

// ---- scopes -------------------------------------------------------------------------------------

/// Units whose letters `auth` handles (see [`Auth::units_with`]).
pub fn handler_units(auth: &Auth, orgs: &[OrgUnit]) -> Option<Vec<i64>> {
    auth.units_with(Perm::LetterHandle, orgs)
}

/// Mailboxes where `auth` holds `perm` (office or leader).
pub fn mailboxes_with(auth: &Auth, all: &[Mailbox], perm: Perm) -> Vec<i64> {
    all.iter().filter(|m| auth.can(perm, &service::mailbox_scope(m))).map(|m| m.id).collect()
}

// ---- queues -------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize, Clone, schemars::JsonSchema)]
pub struct QueueQuery {
    /// 状态（如 submitted 待受理、assigned 办理中、overdue 已超期）
    #[serde(default)]
    pub state: String,
    /// 信箱
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub mailbox_id: Option<i64>,
    /// 信件编号或标题关键词
    #[serde(default)]
    pub q: String,
    /// 页码
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub page: Option<i64>,
}

const PAGE: i64 = 30;

/// A letter as a queue row: masked writer, due date colour, consultation alarm.
pub fn row(
    l: &Letter,
    cal: &platform::calendar::WorkCalendar,
    today: time::Date,
    boxes: &BTreeMap<i64, &Mailbox>,
    units: &BTreeMap<i64, String>,
) -> Value {
    let m = boxes.get(&l.mailbox_id);
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let warn = m.map_or(3, |m| u32::try_from(m.warn_days).unwrap_or(3));
    let (due, status) = if st.is_open() {
        l.due_date.as_deref().and_then(platform::calendar::date).map_or((String::new(), None), |d| {
            let (left, s) = domain::due_status(cal, today, d, warn);
            (service::date_text(d), Some((left, s)))
        })
    } else if st == LState::Submitted {
        platform::calendar::date(&l.accept_due).map_or((String::new(), None), |d| {
            let (left, s) = domain::due_status(cal, today, d, 1);
            (service::date_text(d), Some((left, s)))
        })
    } else {
        (String::new(), None)
    };
    let submitted = platform::calendar::date(&platform::fmt_date(l.submitted_at)).unwrap_or(today);
    let alarm = m.is_some_and(|m| m.kind == "consult")
        && !st.is_completed()
        && st != LState::Rejected
        && domain::consult_alarm(submitted, today);
    context! {
        id => l.id, no => l.no.clone(), subject => l.subject.clone(), state => st.code(), state_label => st.label(),
        mailbox => m.map(|m| m.name.clone()).unwrap_or_default(), writer => domain::mask_name(&l.writer_name),
        phone => domain::mask_contact(&l.phone), submitted_at => l.submitted_at, due,
        due_left => status.map(|s| s.0), due_status => status.map(|s| format!("{:?}", s.1).to_lowercase()),
        due_label => status.map(|s| s.1.label()), unit => l.unit_id.and_then(|u| units.get(&u).cloned()).unwrap_or_default(),
        flagged => l.flagged_words.clone(), extension => l.extension_days, alarm, supervised => l.supervised,
    }
}

async fn unit_names(state: &AppState) -> Result<(Vec<OrgUnit>, BTreeMap<i64, String>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let names = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    Ok((orgs, names))
}

#[allow(clippy::too_many_arguments)]
async fn queue(
    state: &AppState,
    ix: &Interaction,
    ctx: &Ctx,
    title: &str,
    base: &str,
    filter: store::ListFilter,
    q: &QueueQuery,
    tabs: &[(&str, &str)],
    overview: Option<Value>,
) -> Result<Response, AppError> {
    let page = platform::web::api::page_of(q.page);
    let (rows, total) = store::list(&state.db, &filter, PAGE, (page - 1) * PAGE).await?;
    let all = store::mailboxes(&state.db).await?;
    let boxes: BTreeMap<i64, &Mailbox> = all.iter().map(|m| (m.id, m)).collect();
    let (_, units) = unit_names(state).await?;
    let cal = ix.calendar(&state.db).await;
    let today = service::today();
    let items: Vec<Value> = rows.iter().map(|l| row(l, &cal, today, &boxes, &units)).collect();
    let visible: Vec<(i64, String)> = filter
        .mailboxes
        .as_ref()
        .map_or_else(|| all.iter().collect::<Vec<_>>(), |ids| all.iter().filter(|m| ids.contains(&m.id)).collect())
        .into_iter()
        .map(|m| (m.id, m.name.clone()))
        .collect();
    let keep = serde_urlencoded::to_string(QueueQuery { page: None, ..q.clone() }).unwrap_or_default();
    Ok(state
        .render(
            ctx,
            "admin/letters.html",
            context! {
                title, base, items, total, page, pages => (total + PAGE - 1) / PAGE, query => sv(q),
                tabs => tabs.iter().map(|(c, l)| ((*c).to_owned(), (*l).to_owned())).collect::<Vec<_>>(), mailboxes => visible,
                pager_base => format!("{base}?{keep}&"), overview,
            },
        )?
        .into_response())
}

async fn handler_queue(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::LetterHandle)?;
    let (orgs, _) = unit_names(&state).await?;
    let filter = store::ListFilter {
        units: handler_units(&staff, &orgs),
        state: Some(q.state.clone()).filter(|s| !s.is_empty()),
        open: q.state.is_empty(),
        mailbox_id: q.mailbox_id,
        q: q.q.clone(),
        ..Default::default()
    };
    let tabs = [
        ("", "待办（全部在办）"),
        ("assigned", "办理中"),
        ("reply_review", "答复审核中"),
        ("replied", "已答复"),
        ("closed", "已办结"),
    ];
    queue(&state, &ix, &ctx, "来信办理", "/admin/letters", filter, &q, &tabs, None).await
}

async fn office_queue(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    let all = store::mailboxes(&state.db).await?;
    let filter = store::ListFilter {
        mailboxes: Some(mailboxes_with(&staff, &all, Perm::MailboxManage)),
        state: Some(if q.state.is_empty() { "submitted".to_owned() } else { q.state.clone() }).filter(|s| s != "all"),
        mailbox_id: q.mailbox_id,
        q: q.q.clone(),
        ..Default::default()
    };
    let tabs = [
        ("", "待受理"),
        ("accepted", "待交办"),
        ("assigned", "办理中"),
        ("reply_review", "答复待审核"),
        ("replied", "已答复"),
        ("published", "已公开"),
        ("closed", "已办结"),
        ("rejected", "不予受理"),
        ("all", "全部"),
    ];
    let ov = office_overview(&state, &ix, filter.mailboxes.as_deref().unwrap_or(&[]), &all).await?;
    queue(&state, &ix, &ctx, "受理与交办", "/admin/letters/office", filter, &q, &tabs, Some(ov)).await
}

/// The figures at the top of the office's queue: what waits at each step, what is overdue or due
/// within three working days, and consultation letters nearing the national 3-month veto.
async fn office_overview(state: &AppState, ix: &Interaction, ids: &[i64], all: &[Mailbox]) -> Result<Value, AppError> {
    let cal = ix.calendar(&state.db).await;
    let today = service::today();
    let ov = store::overview(
        &state.db,
        store::Within::Mailboxes(ids),
        &service::date_text(today),
        &service::date_text(cal.add_workdays(today, 3)),
    )
    .await?;
    let consult: Vec<i64> = all.iter().filter(|m| m.kind == "consult" && ids.contains(&m.id)).map(|m| m.id).collect();
    let old = store::old_open_letters(&state.db, &consult, platform::db::now() - 59 * 86_400).await?;
    let alarms = old
        .iter()
        .filter(|(_, at)| {
            platform::calendar::date(&platform::fmt_date(*at)).is_some_and(|d| domain::consult_alarm(d, today))
        })
        .count();
    Ok(context! { ..sv(&ov), ..context! { consult_alarms => alarms } })
}

/// The letter office's and the handlers' to-dos on the workbench and beside the menu entries.
pub async fn todos(state: &AppState, ix: &Interaction, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let todo = |label, count, href: String, urgent, nav| platform::web::Todo {
        section: "互动交流",
        label,
        count,
        href,
        urgent,
        nav,
    };
    let cal = ix.calendar(&state.db).await;
    let today = service::today();
    let (day, horizon) = (service::date_text(today), service::date_text(cal.add_workdays(today, 3)));
    let mut out = Vec::new();
    if auth.holds_anywhere(Perm::MailboxManage) {
        let all = store::mailboxes(&state.db).await?;
        let ids = mailboxes_with(auth, &all, Perm::MailboxManage);
        let ov = store::overview(&state.db, store::Within::Mailboxes(&ids), &day, &horizon).await?;
        let office = "/admin/letters/office";
        out.push(todo("待受理", ov.submitted, office.to_owned(), false, Some(office)));
        out.push(todo("待交办", ov.accepted, format!("{office}?state=accepted"), false, Some(office)));
        out.push(todo("答复待审核", ov.reply_review, format!("{office}?state=reply_review"), false, Some(office)));
        out.push(todo("来信已超期", ov.overdue, format!("{office}?state=assigned"), true, None));
        out.push(todo("3 个工作日内到期", ov.due_soon, format!("{office}?state=assigned"), false, None));
    }
    if auth.holds_anywhere(Perm::LetterHandle) {
        let orgs = accounts::list_orgs(&state.db).await?;
        let units = handler_units(auth, &orgs);
        let ov = store::overview(&state.db, store::Within::Units(units.as_deref()), &day, &horizon).await?;
        let mine = "/admin/letters";
        out.push(todo("待办理来信", ov.assigned, mine.to_owned(), false, Some(mine)));
        if !auth.holds_anywhere(Perm::MailboxManage) {
            out.push(todo("来信已超期", ov.overdue, mine.to_owned(), true, None));
            out.push(todo("3 个工作日内到期", ov.due_soon, mine.to_owned(), false, None));
        }
    }
    Ok(out)
}

async fn leader_queue(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::LeaderInstruct)?;
    let all = store::mailboxes(&state.db).await?;
    let filter = store::ListFilter {
        mailboxes: Some(mailboxes_with(&staff, &all, Perm::LeaderInstruct)),
        state: Some(q.state.clone()).filter(|s| !s.is_empty()),
        open: q.state.is_empty(),
        mailbox_id: q.mailbox_id,
        q: q.q.clone(),
        ..Default::default()
    };
    let tabs = [("", "在办"), ("submitted", "待受理"), ("replied", "已答复"), ("closed", "已办结")];
    queue(&state, &ix, &ctx, "领导批示", "/admin/letters/leader", filter, &q, &tabs, None).await
}

// ---- one letter ---------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ActForm {
    action: String,
    #[serde(flatten)]
    input: ActionInput,
}

#[allow(clippy::too_many_arguments)]
async fn letter_view(
    state: &AppState,
    ix: &Interaction,
    ctx: &Ctx,
    staff: &Staff,
    on: &service::Opened,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
    typed: Option<&ActForm>,
) -> Result<Html<String>, AppError> {
    let (l, m, orgs) = (&on.letter, &on.mailbox, on.orgs.as_slice());
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let actors = service::actors(staff, l, m, orgs);
    let actions: Vec<(String, String)> = domain::available(st, &service::facts(l, m), &actors)
        .into_iter()
        .map(|a| (a.code().to_owned(), a.label().to_owned()))
        .collect();
    let events = store::events(&state.db, l.id).await?;
    let instructions: Vec<Value> = events
        .iter()
        .filter(|e| e.action == "instruct")
        .map(|e| context! { at => e.at, actor => e.actor.clone(), text => e.comment.trim_start_matches("批示：").to_owned() })
        .collect();
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            let label = Action::parse(&e.action).map_or("提交来信", |a| a.label());
            context! { at => e.at, label, actor => e.actor.clone(), comment => e.comment.clone(),
            to => LState::parse(&e.to_state).map(|s| s.label()).unwrap_or_default() }
        })
        .collect();
    let all_units: Vec<(i64, String)> = {
        let allowed = m.units();
        orgs.iter().filter(|o| allowed.is_empty() || allowed.contains(&o.id)).map(|o| (o.id, o.name.clone())).collect()
    };
    let names: BTreeMap<i64, String> = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    let co: Vec<String> = l
        .co_unit_ids
        .split(',')
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .filter_map(|u| names.get(&u).cloned())
        .collect();
    let cal = ix.calendar(&state.db).await;
    let boxes = BTreeMap::from([(m.id, m)]);
    let summary = row(l, &cal, service::today(), &boxes, &names);
    let attachments = store::attachments(&state.db, l.id).await?;
    let category = match l.category_id {
        Some(c) => store::categories(&state.db, m.id).await?.into_iter().find(|x| x.id == c).map(|x| x.name),
        None => None,
    };
    let preview = context! {
        subject => domain::redact(&l.subject, &[&l.writer_name]),
        content => domain::redact(&l.content, &[&l.writer_name]),
        reply => domain::redact(&l.reply, &[&l.writer_name]),
    };
    state.render(
        ctx,
        "admin/letter.html",
        context! {
            letter => sv(l), mailbox => sv(m), summary, state_label => st.label(), actions, events, units => all_units,
            unit_name => l.unit_id.and_then(|u| names.get(&u).cloned()), co_units => co, attachments => sv(&attachments),
            category, errors, notice, reasons => service::reject_reasons(&state.db).await, preview, instructions,
            typed_action => typed.map(|t| t.action.clone()), typed => typed.map(|t| sv(&t.input)),
            satisfaction_label => l.satisfaction.as_deref().and_then(domain::Satisfaction::parse).map(|s| s.label()),
        },
    )
}

async fn letter_page(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let on = service::open_for_staff(&state, &ctx, &staff, id).await?;
    let notice = match q.get("done").map(String::as_str) {
        Some("draft") => Some("答复草稿已保存，提交前只有您单位的承办人能看到。".to_owned()),
        done => done.and_then(Action::parse).map(|a| format!("已{}", a.label())),
    };
    Ok(letter_view(&state, &ix, &ctx, &staff, &on, BTreeMap::new(), notice.as_deref(), None).await?.into_response())
}

async fn letter_act(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    let on = service::Opened::load(&state.db, id).await?;
    if !service::may_view(&staff, &on.letter, &on.mailbox, &on.orgs) {
        return Err(AppError::Forbidden("您无权处理这封信件".into()));
    }
    let action = Action::parse(&f.action).ok_or_else(|| AppError::BadRequest(format!("未知的操作「{}」", f.action)))?;
    match service::act(&state, &ix, &ctx, By::Staff(&staff), &on, action, &f.input).await {
        Ok(_) => {
            if action == Action::SubmitReply {
                store::save_reply_draft(&state.db, id, "").await?;
            }
            Ok(see_other(&format!("/admin/letters/{id}?done={}", action.code())))
        }
        Err(e) => {
            // The form comes back open with what was typed, next to the message.
            let (status, errors) = form_errors(e)?;
            let body = letter_view(&state, &ix, &ctx, &staff, &on, errors, None, Some(&f)).await?;
            Ok((status, body).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["reply"]))]
pub struct DraftForm {
    /// 答复草稿（不超过 20000 字）
    #[serde(default)]
    #[schemars(length(max = 20000))]
    pub reply: String,
}

/// Keeps an unfinished reply for whoever may submit it; nothing moves in the workflow.
pub(crate) async fn save_draft(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    on: &service::Opened,
    reply: &str,
) -> Result<(), AppError> {
    let (l, m) = (&on.letter, &on.mailbox);
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let may_reply = domain::available(st, &service::facts(l, m), &service::actors(staff, l, m, &on.orgs))
        .contains(&Action::SubmitReply);
    if !may_reply {
        return Err(AppError::Forbidden("这封信件当前不能由您起草答复".into()));
    }
    if reply.chars().count() > 20_000 {
        return Err(AppError::invalid("reply", "草稿不能超过 20000 个字"));
    }
    store::save_reply_draft(&state.db, l.id, reply.trim()).await?;
    state
        .audit(
            ctx,
            "letter.reply_draft",
            &format!("letter:{}", l.no),
            "success",
            &format!("{} 字", reply.trim().chars().count()),
        )
        .await;
    Ok(())
}

/// 保存草稿 in the letter's page; a draft too long comes back with the text kept.
async fn reply_draft(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<DraftForm>,
) -> Result<Response, AppError> {
    let on = service::Opened::load(&state.db, id).await?;
    match save_draft(&state, &ctx, &staff, &on, &f.reply).await {
        Ok(()) => Ok(see_other(&format!("/admin/letters/{id}?done=draft"))),
        Err(AppError::Invalid(errs)) => {
            let errors: BTreeMap<String, String> = errs.into_iter().map(|e| (e.field, e.message)).collect();
            let typed = ActForm {
                action: Action::SubmitReply.code().to_owned(),
                input: ActionInput { reply: f.reply.clone(), ..Default::default() },
            };
            let body = letter_view(&state, &ix, &ctx, &staff, &on, errors, None, Some(&typed)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn attachment(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let a = store::attachment(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::open_for_staff(&state, &ctx, &staff, a.letter_id).await?;
    let bytes = tokio::fs::read(ix.files_dir.join(&a.stored)).await.map_err(|_| AppError::NotFound)?;
    let disposition = platform::web::attachment_disposition(&a.name);
    Ok((
        [
            (header::CONTENT_TYPE, a.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

// ---- statistics ---------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Serialize, Clone, schemars::JsonSchema)]
pub struct StatsQuery {
    /// 起始日期 YYYY-MM-DD（默认本年 1 月 1 日）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub from: String,
    /// 截止日期 YYYY-MM-DD（默认今天）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub to: String,
}

pub struct StatsTables {
    pub from: String,
    pub to: String,
    pub by_mailbox: Vec<(String, domain::Figures)>,
    pub by_unit: Vec<(String, domain::Figures)>,
    pub total: domain::Figures,
}

/// Statistics for the mailboxes where `auth` is the office, over letters received in the period.
pub async fn stats_tables(state: &AppState, auth: &Auth, q: &StatsQuery) -> Result<StatsTables, AppError> {
    let today = service::today();
    let from = if q.from.trim().is_empty() { format!("{}-01-01", today.year()) } else { q.from.trim().to_owned() };
    let to = if q.to.trim().is_empty() { service::date_text(today) } else { q.to.trim().to_owned() };
    let (Some(f), Some(t)) = (platform::parse_date(&from), platform::parse_date(&to)) else {
        return Err(AppError::invalid("from", "日期格式应为 2026-01-01"));
    };
    if f > t {
        return Err(AppError::invalid("to", "结束日期不能早于开始日期"));
    }
    // The tally is keyed by the canonical form (2026-01-01, not 2026-1-1).
    let (from, to) = (platform::fmt_date(f), platform::fmt_date(t));
    let all = store::mailboxes(&state.db).await?;
    // The office's mailboxes, and those whose figures a leader reads.
    let mut ids = mailboxes_with(auth, &all, Perm::MailboxManage);
    ids.extend(
        mailboxes_with(auth, &all, Perm::ContentStats).into_iter().filter(|m| !ids.contains(m)).collect::<Vec<_>>(),
    );
    let today_text = service::date_text(today);
    let rows = store::counts(&state.db, &from, &to, &ids, &today_text).await?;
    let (_, names) = unit_names(state).await?;
    let mut total = domain::Counts::default();
    let mut per_box: BTreeMap<i64, domain::Counts> = BTreeMap::new();
    let mut per_unit: BTreeMap<i64, domain::Counts> = BTreeMap::new();
    for (m, u, c) in rows {
        *per_box.entry(m).or_default() += c;
        *per_unit.entry(u).or_default() += c;
        total += c;
    }
    let by_mailbox = all
        .iter()
        .filter(|m| ids.contains(&m.id))
        .map(|m| (m.name.clone(), domain::figures(per_box.get(&m.id).copied().unwrap_or_default())))
        .collect();
    let by_unit = per_unit
        .into_iter()
        .map(|(u, c)| {
            (
                if u == 0 {
                    "（未交办）".to_owned()
                } else {
                    names.get(&u).cloned().unwrap_or_else(|| format!("单位 {u}"))
                },
                domain::figures(c),
            )
        })
        .collect();
    Ok(StatsTables { from, to, by_mailbox, by_unit, total: domain::figures(total) })
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let (tables, errors) = match stats_tables(&state, &staff, &q).await {
        Ok(t) => (Some(t), BTreeMap::new()),
        Err(e) => (None, form_errors(e)?.1),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let rows = |v: &[(String, domain::Figures)]| {
        v.iter().map(|(n, f)| context! { name => n.clone(), ..sv(f) }).collect::<Vec<_>>()
    };
    let max = tables.as_ref().map_or(1, |t| t.by_mailbox.iter().map(|x| x.1.counts.received).max().unwrap_or(1).max(1));
    let body = state.render(
        &ctx,
        "admin/letter_stats.html",
        context! {
            query => sv(&q), errors, max,
            from => tables.as_ref().map(|t| t.from.clone()), to => tables.as_ref().map(|t| t.to.clone()),
            by_mailbox => tables.as_ref().map(|t| rows(&t.by_mailbox)), by_unit => tables.as_ref().map(|t| rows(&t.by_unit)),
            total => tables.as_ref().map(|t| sv(t.total)),
            export => format!("/admin/letters/stats.xlsx?{}", serde_urlencoded::to_string(&q).unwrap_or_default()),
        },
    )?;
    Ok((status, body).into_response())
}

async fn stats_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let t = stats_tables(&state, &staff, &q).await?;
    let bytes = stats_workbook(&t).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .audit(&ctx, "letter.stats_export", "letters", "success", format!("导出来信统计 {} 至 {}", t.from, t.to))
        .await;
    Ok(platform::web::download(&format!("letters-{}-{}.xlsx", t.from, t.to), None, platform::web::XLSX, bytes))
}

pub const STATS_HEADERS: [&str; 12] = [
    "名称",
    "收到来信",
    "受理（有效）",
    "不予受理",
    "已办结",
    "办结率%",
    "按期办结",
    "按期办结率%",
    "平均办理工作日",
    "满意率%",
    "公开答复",
    "当前超期",
];

pub fn stats_workbook(t: &StatsTables) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (sheet_name, rows) in [("按信箱", &t.by_mailbox), ("按承办单位", &t.by_unit)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name)?;
        ws.write_string(0, 0, format!("来信办理统计（{} 至 {}）", t.from, t.to))?;
        for (c, h) in STATS_HEADERS.iter().enumerate() {
            ws.write_string_with_format(2, u16::try_from(c).unwrap_or(0), *h, &bold)?;
        }
        let total = ("合计".to_owned(), t.total);
        let all_rows: Vec<&(String, domain::Figures)> = if sheet_name == "按信箱" {
            rows.iter().chain(std::iter::once(&total)).collect()
        } else {
            rows.iter().collect()
        };
        for (r, (name, f)) in (3u32..).zip(all_rows) {
            let c = f.counts;
            ws.write_string(r, 0, name)?;
            let nums = [c.received, c.accepted, c.rejected, c.completed];
            for (i, n) in nums.iter().enumerate() {
                ws.write_number(r, 1 + u16::try_from(i).unwrap_or(0), *n as f64)?;
            }
            let opt = |ws: &mut rust_xlsxwriter::Worksheet,
                       col: u16,
                       v: Option<f64>|
             -> Result<(), rust_xlsxwriter::XlsxError> {
                match v {
                    Some(v) => ws.write_number(r, col, v).map(|_| ()),
                    None => ws.write_string(r, col, "—").map(|_| ()),
                }
            };
            opt(ws, 5, f.completion_rate)?;
            ws.write_number(r, 6, c.completed_on_time as f64)?;
            opt(ws, 7, f.on_time_rate)?;
            opt(ws, 8, f.avg_workdays)?;
            opt(ws, 9, f.satisfaction_rate)?;
            ws.write_number(r, 10, c.published as f64)?;
            ws.write_number(r, 11, c.overdue_now as f64)?;
        }
        ws.set_column_width(0, 24)?;
    }
    wb.save_to_buffer()
}

// ---- mailboxes ----------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Serialize)]
struct SiteRow {
    id: i64,
    name: String,
}

async fn sites(state: &AppState) -> Result<Vec<SiteRow>, AppError> {
    Ok(state.db.fetch_all(platform::db::sql("SELECT id, name FROM site ORDER BY sort_order, id")).await?)
}

async fn mailboxes_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    render_mailboxes(&state, &ctx, &staff, None, q.contains_key("done")).await
}

/// The mailbox list with the platform-wide settings; `new_key` is shown once after creation.
async fn render_mailboxes(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    new_key: Option<String>,
    saved: bool,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    let all = store::mailboxes(&state.db).await?;
    let ids = mailboxes_with(staff, &all, Perm::MailboxManage);
    let boxes: Vec<Value> = all
        .iter()
        .filter(|m| ids.contains(&m.id))
        .map(|m| context! { ..sv(m), ..context! { kind_label => domain::kind_label(&m.kind) } })
        .collect();
    let global = staff.can(Perm::MailboxManage, &platform::roles::ResourceScope::platform());
    let words = service::sensitive_words(&state.db).await.join("\n");
    let reasons = service::reject_reasons(&state.db).await.join("\n");
    let keys = if global { store::open311_keys(&state.db).await? } else { Vec::new() };
    Ok(state
        .render(
            ctx,
            "admin/mailboxes.html",
            context! { mailboxes => boxes, global, words, reasons, keys => sv(&keys),
            new_key, notice => saved.then_some("已保存") },
        )?
        .into_response())
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct MailboxForm {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub site_id: Option<i64>,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub accept_days: String,
    #[serde(default)]
    pub reply_days: String,
    #[serde(default)]
    pub warn_days: String,
    #[serde(default)]
    pub publish_replies: Option<String>,
    #[serde(default)]
    pub active: Option<String>,
    /// Handling units' org codes, one per line or comma-separated.
    #[serde(default)]
    pub unit_codes: String,
    /// Categories, one per line.
    #[serde(default)]
    pub categories: String,
    #[serde(default)]
    pub sort_order: String,
}

fn days(
    v: &str,
    field: &str,
    label: &str,
    errs: &mut Vec<platform::web::FieldError>,
    range: std::ops::RangeInclusive<i64>,
) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errs.push(platform::web::FieldError::new(
                field,
                format!("{label}应为 {} 到 {} 的整数", range.start(), range.end()),
            ));
            0
        }
    }
}

/// Checks a mailbox form; returns the mailbox (id 0 when new) and its category names.
pub fn check_mailbox(f: &MailboxForm, orgs: &[OrgUnit]) -> Result<(Mailbox, Vec<String>), AppError> {
    let mut errs = Vec::new();
    let code = f.code.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errs.push(platform::web::FieldError::new("code", "信箱标识只能由字母、数字和连字符组成，不超过 20 个字符"));
    }
    if f.name.trim().is_empty() || f.name.trim().chars().count() > 30 {
        errs.push(platform::web::FieldError::new("name", "请填写信箱名称（不超过 30 个字）"));
    }
    if !domain::KINDS.iter().any(|(k, _)| *k == f.kind) {
        errs.push(platform::web::FieldError::new("kind", "请选择信箱类型"));
    }
    let accept_days = days(&f.accept_days, "accept_days", "受理时限", &mut errs, 1..=30);
    let reply_days = days(&f.reply_days, "reply_days", "答复时限", &mut errs, 1..=90);
    let warn_days = days(&f.warn_days, "warn_days", "预警天数", &mut errs, 0..=30);
    let mut units = Vec::new();
    for c in f.unit_codes.split(['\n', ',', '，', ' ']).map(str::trim).filter(|c| !c.is_empty()) {
        match orgs.iter().find(|o| o.code == c) {
            Some(o) => units.push(o.id.to_string()),
            None => errs.push(platform::web::FieldError::new("unit_codes", format!("找不到单位编码「{c}」"))),
        }
    }
    let categories: Vec<String> =
        f.categories.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if categories.iter().any(|c| c.chars().count() > 20) {
        errs.push(platform::web::FieldError::new("categories", "每个类别名称不超过 20 个字"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok((
        Mailbox {
            id: 0,
            site_id: f.site_id,
            code,
            name: f.name.trim().to_owned(),
            kind: f.kind.clone(),
            intro: f.intro.trim().to_owned(),
            accept_days,
            reply_days,
            warn_days,
            publish_replies: f.publish_replies.is_some(),
            unit_ids: units.join(","),
            active: f.active.is_some(),
            sort_order: f.sort_order.trim().parse().unwrap_or(0),
        },
        categories,
    ))
}

async fn mailbox_form(
    state: &AppState,
    ctx: &Ctx,
    f: &MailboxForm,
    action: &str,
    errors: BTreeMap<String, String>,
) -> Result<Html<String>, AppError> {
    let sites: Vec<(String, String)> = std::iter::once((String::new(), "（全平台）".to_owned()))
        .chain(sites(state).await?.into_iter().map(|s| (s.id.to_string(), s.name)))
        .collect();
    let kinds: Vec<(String, String)> = domain::KINDS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect();
    state.render(
        ctx,
        "admin/mailbox_form.html",
        context! { form => sv(f), site_id => f.site_id.map(|s| s.to_string()).unwrap_or_default(), sites, kinds, action, errors },
    )
}

async fn mailbox_new(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    let f = MailboxForm {
        accept_days: "3".into(),
        reply_days: "15".into(),
        warn_days: "3".into(),
        publish_replies: Some("on".into()),
        active: Some("on".into()),
        kind: "leader".into(),
        ..Default::default()
    };
    Ok(mailbox_form(&state, &ctx, &f, "/admin/mailboxes/new", BTreeMap::new()).await?.into_response())
}

fn require_scope(staff: &Staff, site_id: Option<i64>) -> Result<(), AppError> {
    staff.require(
        Perm::MailboxManage,
        &site_id.map_or_else(platform::roles::ResourceScope::platform, platform::roles::ResourceScope::site),
    )
}

/// A mailbox as the API writes it (the back-office form carries the same facts as text fields).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["code", "name", "kind", "accept_days", "reply_days"]))]
pub struct MailboxInput {
    /// 所属站点编号（可空：不属于任何站点）
    pub site_id: Option<i64>,
    /// 信箱标识：字母、数字或连字符，不超过 20 个字符（如 szxx）
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,20}$"))]
    pub code: String,
    /// 信箱名称（不超过 30 个字）
    #[schemars(length(max = 30), regex(pattern = r"\S"))]
    pub name: String,
    /// 信箱类型：leader 领导信箱、board 留言板、complaint 投诉举报、consult 咨询
    #[schemars(extend("enum" = ["leader", "board", "complaint", "consult"]))]
    pub kind: String,
    /// 信箱简介
    #[serde(default)]
    pub intro: String,
    /// 受理时限（工作日，1–30）
    #[schemars(range(min = 1, max = 30))]
    pub accept_days: i64,
    /// 答复时限（工作日，1–90）
    #[schemars(range(min = 1, max = 90))]
    pub reply_days: i64,
    /// 到期前几个工作日预警（0–30）
    #[serde(default)]
    #[schemars(range(min = 0, max = 30))]
    pub warn_days: i64,
    /// 是否公开选登答复
    #[serde(default)]
    pub publish_replies: bool,
    /// 是否启用
    #[serde(default = "enabled")]
    pub active: bool,
    /// 承办单位的机构编码
    #[serde(default)]
    pub unit_codes: Vec<String>,
    /// 来信类别（每个不超过 20 个字）
    #[serde(default)]
    pub categories: Vec<String>,
}

fn enabled() -> bool {
    true
}

impl MailboxInput {
    /// The same facts as the form states them, so one check serves both.
    fn as_form(&self) -> MailboxForm {
        MailboxForm {
            site_id: self.site_id,
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            intro: self.intro.clone(),
            accept_days: self.accept_days.to_string(),
            reply_days: self.reply_days.to_string(),
            warn_days: self.warn_days.to_string(),
            publish_replies: self.publish_replies.then(|| "on".to_owned()),
            active: self.active.then(|| "on".to_owned()),
            unit_codes: self.unit_codes.join("\n"),
            categories: self.categories.join("\n"),
            sort_order: String::new(),
        }
    }
}

/// Creates (`id` 0) or updates a mailbox written through the API; returns its id.
pub(crate) async fn save_mailbox_input(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    input: &MailboxInput,
) -> Result<i64, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    save_mailbox(state, ctx, staff, id, &input.as_form()).await
}

async fn save_mailbox(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64, f: &MailboxForm) -> Result<i64, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let (mut m, cats) = check_mailbox(f, &orgs)?;
    require_scope(staff, m.site_id)?;
    if id != 0 {
        let old = store::mailbox(&state.db, id).await?.ok_or(AppError::NotFound)?;
        require_scope(staff, old.site_id)?;
    }
    if let Some(other) = store::mailbox_by_code(&state.db, &m.code).await?
        && other.id != id
    {
        return Err(AppError::invalid("code", format!("信箱标识「{}」已被「{}」使用", m.code, other.name)));
    }
    m.id = id;
    let id = match store::save_mailbox(&state.db, &m).await {
        Ok(id) => id,
        Err(e) if e.is_foreign_key_violation() => return Err(AppError::invalid("site_id", "找不到所选的站点")),
        Err(e) => return Err(e.into()),
    };
    store::set_categories(&state.db, id, &cats).await?;
    state
        .audit(
            ctx,
            if m.id == 0 { "mailbox.create" } else { "mailbox.update" },
            &format!("mailbox:{}", m.code),
            "success",
            m.name.clone(),
        )
        .await;
    Ok(id)
}

async fn mailbox_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<MailboxForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    match save_mailbox(&state, &ctx, &staff, 0, &f).await {
        Ok(_) => Ok(see_other("/admin/mailboxes?done=1")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, mailbox_form(&state, &ctx, &f, "/admin/mailboxes/new", errors).await?).into_response())
        }
    }
}

async fn mailbox_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = store::mailbox(&state.db, id).await?.ok_or(AppError::NotFound)?;
    require_scope(&staff, m.site_id)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let codes: Vec<String> =
        m.units().iter().filter_map(|u| orgs.iter().find(|o| o.id == *u).map(|o| o.code.clone())).collect();
    let cats: Vec<String> = store::categories(&state.db, id).await?.into_iter().map(|c| c.name).collect();
    let f = MailboxForm {
        site_id: m.site_id,
        code: m.code.clone(),
        name: m.name.clone(),
        kind: m.kind.clone(),
        intro: m.intro.clone(),
        accept_days: m.accept_days.to_string(),
        reply_days: m.reply_days.to_string(),
        warn_days: m.warn_days.to_string(),
        publish_replies: m.publish_replies.then(|| "on".to_owned()),
        active: m.active.then(|| "on".to_owned()),
        unit_codes: codes.join("\n"),
        categories: cats.join("\n"),
        sort_order: m.sort_order.to_string(),
    };
    Ok(mailbox_form(&state, &ctx, &f, &format!("/admin/mailboxes/{id}"), BTreeMap::new()).await?.into_response())
}

async fn mailbox_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<MailboxForm>,
) -> Result<Response, AppError> {
    match save_mailbox(&state, &ctx, &staff, id, &f).await {
        Ok(_) => Ok(see_other("/admin/mailboxes?done=1")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, mailbox_form(&state, &ctx, &f, &format!("/admin/mailboxes/{id}"), errors).await?)
                .into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    words: String,
    #[serde(default)]
    reasons: String,
}

/// The mailboxes' shared settings as the API reads and writes them.
#[derive(Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct MailboxSettings {
    /// 敏感词：来信含有这些词时提示受理人员留意（不拦截来信）
    pub sensitive_words: Vec<String>,
    /// 不予受理的常用理由（受理人员可从中选择）
    pub reject_reasons: Vec<String>,
}

/// Stores the sensitive words and the usual rejection reasons (one per line), audited.
pub(crate) async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    s: &MailboxSettings,
) -> Result<(), AppError> {
    staff.require(Perm::MailboxManage, &platform::roles::ResourceScope::platform())?;
    let by = staff.user.username.clone();
    let join = |v: &[String]| v.iter().map(|x| x.trim()).filter(|x| !x.is_empty()).collect::<Vec<_>>().join("\n");
    accounts::put_setting(&state.db, service::SENSITIVE_WORDS_KEY, &join(&s.sensitive_words), &by).await?;
    accounts::put_setting(&state.db, service::REJECT_REASONS_KEY, &join(&s.reject_reasons), &by).await?;
    state.audit(ctx, "mailbox.settings", "interaction", "success", "修改敏感词和不予受理理由").await;
    Ok(())
}

async fn settings_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let lines = |t: &str| t.lines().map(str::to_owned).collect::<Vec<_>>();
    let s = MailboxSettings { sensitive_words: lines(&f.words), reject_reasons: lines(&f.reasons) };
    save_settings(&state, &ctx, &staff, &s).await?;
    Ok(see_other("/admin/mailboxes?done=1"))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name"]))]
pub struct KeyForm {
    /// 接入系统的名称（不超过 40 个字），如“12345 政务服务便民热线”
    #[serde(default)]
    #[schemars(length(max = 40), regex(pattern = r"\S"))]
    pub name: String,
}

/// Issues an Open311 key for a named system; returns (id, key). The key is shown once and only
/// its hash is kept.
pub(crate) async fn issue_open311_key(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    name: &str,
) -> Result<(i64, String), AppError> {
    staff.require(Perm::MailboxManage, &platform::roles::ResourceScope::platform())?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(AppError::invalid("name", "请填写接入系统的名称（不超过 40 个字）"));
    }
    // A key holder reads the status of the requests filed under its name, so two systems must
    // never share one.
    if store::open311_keys(&state.db).await?.iter().any(|k| !k.revoked && k.name == name) {
        return Err(AppError::invalid(
            "name",
            "已有同名的接入系统在用：每个系统用自己的名称（它只能查看以该名称提交的来信）",
        ));
    }
    let key = platform::security::random_token(24);
    let id = store::create_open311_key(&state.db, name, &service::hash_code(&key), &staff.user.username).await?;
    state.audit(ctx, "open311.key_create", &format!("open311:{name}"), "success", "新建 Open311 接入密钥").await;
    Ok((id, key))
}

pub(crate) async fn revoke_open311_key(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<(), AppError> {
    staff.require(Perm::MailboxManage, &platform::roles::ResourceScope::platform())?;
    if store::revoke_open311_key(&state.db, id).await? == 0 {
        return Err(AppError::NotFound);
    }
    state.audit(ctx, "open311.key_revoke", &format!("open311:{id}"), "success", "吊销 Open311 接入密钥").await;
    Ok(())
}

async fn key_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<KeyForm>,
) -> Result<Response, AppError> {
    let (_, key) = issue_open311_key(&state, &ctx, &staff, &f.name).await?;
    // Shown once on this page, never put in a URL (URLs end up in histories and proxy logs).
    render_mailboxes(&state, &ctx, &staff, Some(key), false).await
}

async fn key_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    revoke_open311_key(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/mailboxes?done=1"))
}
