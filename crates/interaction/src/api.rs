//! The letters' JSON API (registered into the platform's `/api/v1`): mailboxes, queues, one
//! letter with its `state`, the `actions` the caller may take and the `history`, transitions
//! through `POST /api/v1/letters/{id}/actions/{action}`, and statistics.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::routing::{get, post, put};
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, parse_optional_body};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::admin::{self, QueueQuery, StatsQuery};
use crate::domain::{self, Action, State as LState};
use crate::service::{self, ActionInput, By, Interaction};
use crate::store;

type Ext = Extension<Arc<Interaction>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("互动交流", m, p, s, perm, body, h);
    vec![
        r("get", "/api/v1/mailboxes", "信箱列表", Some(Perm::MailboxManage), None, get(mailboxes)),
        r(
            "get",
            "/api/v1/mailbox-settings",
            "信箱公共设置：敏感词、不予受理常用理由",
            Some(Perm::MailboxManage),
            None,
            get(settings_get),
        ),
        r(
            "put",
            "/api/v1/mailbox-settings",
            "修改信箱公共设置",
            Some(Perm::MailboxManage),
            Some(platform::web::api::schema_of::<admin::MailboxSettings>),
            put(settings_put),
        ),
        r(
            "post",
            "/api/v1/mailboxes",
            "新建信箱",
            Some(Perm::MailboxManage),
            Some(platform::web::api::schema_of::<admin::MailboxInput>),
            post(mailbox_create),
        ),
        r(
            "put",
            "/api/v1/mailboxes/{id}",
            "修改信箱（时限、承办单位、类别等）",
            Some(Perm::MailboxManage),
            Some(platform::web::api::schema_of::<admin::MailboxInput>),
            put(mailbox_update),
        ),
        r(
            "get",
            "/api/v1/open311-keys",
            "Open311 接入密钥列表（不含密钥本身）",
            Some(Perm::MailboxManage),
            None,
            get(open311_keys),
        ),
        r(
            "post",
            "/api/v1/open311-keys",
            "新建 Open311 接入密钥（密钥只在此次响应中出现一次）",
            Some(Perm::MailboxManage),
            Some(platform::web::api::schema_of::<admin::KeyForm>),
            post(open311_key_create),
        ),
        r(
            "post",
            "/api/v1/open311-keys/{id}/actions/revoke",
            "吊销 Open311 接入密钥",
            Some(Perm::MailboxManage),
            None,
            post(open311_key_revoke),
        ),
        r(
            "get",
            "/api/v1/letters",
            "信件列表（办理人看本单位在办信件，信箱管理员看所管信箱）",
            None,
            None,
            get(letters),
        )
        .with_query(platform::web::api::schema_of::<QueueQuery>),
        r("get", "/api/v1/letters/{id}", "信件详情：状态、可执行操作、办理过程", None, None, get(letter_get)),
        r(
            "put",
            "/api/v1/letters/{id}/draft",
            "保存答复草稿（不推进办理流程）",
            Some(Perm::LetterHandle),
            Some(platform::web::api::schema_of::<admin::DraftForm>),
            put(letter_draft),
        ),
        r(
            "post",
            "/api/v1/letters/{id}/actions/{action}",
            "对信件执行操作（受理、交办、答复、审核、公开、督办、批示……）",
            None,
            Some(platform::web::api::schema_of::<ActionInput>),
            post(letter_action),
        ),
        r("get", "/api/v1/letters/stats", "来信统计（按信箱、按承办单位）", Some(Perm::ContentStats), None, get(stats))
            .with_query(platform::web::api::schema_of::<StatsQuery>),
    ]
}

async fn settings_get(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::MailboxManage, &platform::roles::ResourceScope::platform())?;
    let s = admin::MailboxSettings {
        sensitive_words: service::sensitive_words(&state.db).await,
        reject_reasons: service::reject_reasons(&state.db).await,
    };
    Ok(Json(json!(s)))
}

async fn settings_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(s): Json<admin::MailboxSettings>,
) -> Result<Json<Value>, AppError> {
    admin::save_settings(&state, &ctx, &staff, &s).await?;
    settings_get(State(state), staff).await
}

async fn mailbox_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<admin::MailboxInput>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let id = admin::save_mailbox_input(&state, &ctx, &staff, 0, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

async fn mailbox_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<admin::MailboxInput>,
) -> Result<Json<Value>, AppError> {
    admin::save_mailbox_input(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({"id": id})))
}

async fn open311_keys(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::MailboxManage, &platform::roles::ResourceScope::platform())?;
    Ok(Json(json!({"items": store::open311_keys(&state.db).await?})))
}

async fn open311_key_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(f): Json<admin::KeyForm>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let (id, key) = admin::issue_open311_key(&state, &ctx, &staff, &f.name).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id, "name": f.name.trim(), "key": key}))).into_response())
}

async fn open311_key_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    admin::revoke_open311_key(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({"id": id, "revoked": true})))
}

async fn mailboxes(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::MailboxManage)?;
    let all = store::mailboxes(&state.db).await?;
    let ids = admin::mailboxes_with(&staff, &all, Perm::MailboxManage);
    let mut items = Vec::new();
    for m in all.into_iter().filter(|m| ids.contains(&m.id)) {
        let cats = store::categories(&state.db, m.id).await?;
        items.push(json!({"mailbox": m, "categories": cats}));
    }
    Ok(Json(json!({ "items": items })))
}

async fn letters(
    State(state): State<AppState>,
    Extension(ix): Ext,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Json<Value>, AppError> {
    let all = store::mailboxes(&state.db).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let filter = if staff.holds_anywhere(Perm::MailboxManage) || staff.holds_anywhere(Perm::LeaderInstruct) {
        let mut ids = admin::mailboxes_with(&staff, &all, Perm::MailboxManage);
        ids.extend(admin::mailboxes_with(&staff, &all, Perm::LeaderInstruct));
        store::ListFilter { mailboxes: Some(ids), ..Default::default() }
    } else if staff.holds_anywhere(Perm::LetterHandle) {
        store::ListFilter { units: admin::handler_units(&staff, &orgs), ..Default::default() }
    } else {
        return Err(AppError::Forbidden("您没有办理信件的权限".into()));
    };
    let filter = store::ListFilter {
        state: Some(q.state.clone()).filter(|s| !s.is_empty()),
        mailbox_id: q.mailbox_id,
        q: q.q.clone(),
        ..filter
    };
    let page = platform::web::api::page_of(q.page);
    let (rows, total) = store::list(&state.db, &filter, 50, (page - 1) * 50).await?;
    let boxes: std::collections::BTreeMap<i64, &store::Mailbox> = all.iter().map(|m| (m.id, m)).collect();
    let names = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    let cal = ix.calendar(&state.db).await;
    let today = service::today();
    let items: Vec<Value> = rows
        .iter()
        .map(|l| serde_json::to_value(admin::row(l, &cal, today, &boxes, &names)).unwrap_or(Value::Null))
        .collect();
    Ok(Json(json!({ "items": items, "total": total, "page": page })))
}

async fn letter_json(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<Value, AppError> {
    let on = service::open_for_staff(state, ctx, staff, id).await?;
    let (l, m, orgs) = (&on.letter, &on.mailbox, &on.orgs);
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let actions: Vec<&str> = domain::available(st, &service::facts(l, m), &service::actors(staff, l, m, orgs))
        .into_iter()
        .map(Action::code)
        .collect();
    let history = store::events(&state.db, id).await?;
    let attachments = store::attachments(&state.db, id).await?;
    Ok(json!({
        "id": l.id, "no": l.no, "state": l.state, "state_label": st.label(), "actions": actions, "history": history,
        "letter": l, "mailbox": {"id": m.id, "code": m.code, "name": m.name}, "attachments": attachments,
    }))
}

async fn letter_get(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(letter_json(&state, &ctx, &staff, id).await?))
}

async fn letter_draft(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(f): Json<admin::DraftForm>,
) -> Result<Json<Value>, AppError> {
    let on = service::Opened::load(&state.db, id).await?;
    admin::save_draft(&state, &ctx, &staff, &on, &f.reply).await?;
    Ok(Json(json!({"id": id, "draft_chars": f.reply.trim().chars().count()})))
}

async fn letter_action(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let input: ActionInput = parse_optional_body(&raw)?;
    let on = service::Opened::load(&state.db, id).await?;
    if !service::may_view(&staff, &on.letter, &on.mailbox, &on.orgs) {
        return Err(AppError::Forbidden("您无权处理这封信件".into()));
    }
    let codes: Vec<&str> =
        Action::ALL.iter().filter(|a| a.actor() != domain::Actor::Citizen).map(|a| a.code()).collect();
    let action = Action::parse(&action)
        .filter(|a| a.actor() != domain::Actor::Citizen)
        .ok_or_else(|| AppError::Conflict(format!("不支持的操作「{action}」，可用：{}", codes.join("、"))))?;
    service::act(&state, &ix, &ctx, By::Staff(&staff), &on, action, &input).await?;
    Ok(Json(letter_json(&state, &ctx, &staff, id).await?))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let t = admin::stats_tables(&state, &staff, &q).await?;
    let rows =
        |v: &[(String, domain::Figures)]| v.iter().map(|(n, f)| json!({"name": n, "figures": f})).collect::<Vec<_>>();
    Ok(Json(
        json!({"from": t.from, "to": t.to, "by_mailbox": rows(&t.by_mailbox), "by_unit": rows(&t.by_unit), "total": t.total}),
    ))
}
