//! 会议通知 in the back office: the list of one's units' meetings, the notice form, one meeting
//! (the organiser: 发出, 取消, each unit's 回执, 催报, the minutes; an invited unit: its 回执 form),
//! the printable sign-in sheet with phone check-in, and the .ics download.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, after_post, see_other, sv};
use serde::Deserialize;

use super::domain::{self, Reply, State as St};
use super::{MeetingInput, ReplyInput, Seen};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/of_meetings.html", include_str!("../../templates/admin/of_meetings.html")),
        ("admin/of_meeting.html", include_str!("../../templates/admin/of_meeting.html")),
        ("admin/of_meeting_new.html", include_str!("../../templates/admin/of_meeting_new.html")),
        ("admin/of_meeting_signin.html", include_str!("../../templates/admin/of_meeting_signin.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/office/meetings", get(list_page))
        .route("/admin/office/meetings/new", get(new_page).post(create))
        .route("/admin/office/meetings/{id}", get(item_page))
        .route("/admin/office/meetings/{id}/act", post(act))
        .route("/admin/office/meetings/{id}/reply", post(reply))
        .route("/admin/office/meetings/{id}/remind", post(remind))
        .route("/admin/office/meetings/{id}/minutes", post(minutes))
        .route(
            "/admin/office/meetings/{id}/materials",
            post(material_upload)
                .layer(axum::extract::DefaultBodyLimit::max(super::MATERIAL_RULES.max_total_bytes + (1 << 20))),
        )
        .route("/admin/office/meetings/{id}/materials/{mid}", get(material_download))
        .route("/admin/office/meetings/{id}/materials/{mid}/delete", post(material_delete))
        .route("/admin/office/meetings/{id}/signin", get(signin_page).post(check_in))
        .route("/admin/office/meetings/{id}/meeting.ics", get(ics))
}

/// The workbench's count: invitations of one's units still without a 回执.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    if !auth.holds_anywhere(Perm::OfficeExchange) {
        return Ok(Vec::new());
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let q = platform::db::sql(
        "SELECT COUNT(*) FROM office_meeting_unit u JOIN office_meeting m ON m.id = u.meeting_id \
         WHERE u.state = 'pending' AND m.state = 'sent' AND m.starts_at > $1",
    )
    .bind(platform::db::now())
    .and_within("u.unit_id", auth.units_with(Perm::OfficeExchange, &orgs).as_deref());
    Ok(vec![platform::web::Todo {
        section: "协同办公",
        label: "会议通知待回执",
        count: state.db.count(q).await?,
        href: "/admin/office/meetings".into(),
        urgent: true,
        nav: Some("/admin/office/meetings"),
    }])
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 50;

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let rows = super::list(&state, &staff, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let orgs = accounts::list_orgs(&state.db).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| context! { r => sv(r), org => accounts::org_name(&orgs, r.org_id), state_label => St::parse(&r.state).map(|s| s.label()) })
        .collect();
    Ok(state.render(&ctx, "admin/of_meetings.html", context! { rows, next })?.into_response())
}

async fn new_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    form: &MeetingInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = auth.units_with(Perm::OfficeExchange, &orgs);
    let organisers: Vec<(String, String)> = orgs
        .iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect();
    let units: Vec<(String, String)> =
        orgs.iter().filter(|o| o.kind != "division").map(|o| (o.code.clone(), o.name.clone())).collect();
    let page = context! { form => sv(form), errors, organisers, units };
    Ok((status, state.render(ctx, "admin/of_meeting_new.html", page)?).into_response())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let org =
        staff.user.org_id.and_then(|id| orgs.iter().find(|o| o.id == id)).map(|o| o.code.clone()).unwrap_or_default();
    new_view(&state, &ctx, &staff, &MeetingInput { org, ..MeetingInput::default() }, BTreeMap::new(), StatusCode::OK)
        .await
}

/// Reads the notice form (the invited units repeat).
fn input_of(pairs: &[(String, String)]) -> MeetingInput {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    MeetingInput {
        org: get("org"),
        title: get("title"),
        place: get("place"),
        starts_at: get("starts_at"),
        ends_at: get("ends_at"),
        reply_by: get("reply_by"),
        agenda: get("agenda"),
        units: pairs.iter().filter(|(k, v)| k == "units" && !v.is_empty()).map(|(_, v)| v.clone()).collect(),
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let form = input_of(&pairs);
    match super::create(&state, &ctx, &staff, &form).await {
        Ok(id) => Ok(see_other(&format!("/admin/office/meetings/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            new_view(&state, &ctx, &staff, &form, errors, status).await
        }
    }
}

/// What the meeting page's forms send, and keep when refused.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    attending: String,
    #[serde(default)]
    attendees: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    name: String,
}

async fn item_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    form: &ActionForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Seen { m, units, organiser, mine, orgs } = super::visible(state, auth, id).await?;
    let events = platform::workflow::events(&state.db, &super::FLOW, id).await?;
    let now = platform::db::now();
    let row = |u: &super::Invitation| {
        context! {
            u => sv(u), unit => accounts::org_name(&orgs, u.unit_id), reply => u.reply().label(),
            late => u.replied_at.is_some_and(|t| domain::is_late(m.reply_by, t)),
        }
    };
    let counts = Reply::ALL.map(|r| units.iter().filter(|u| u.reply() == r).count());
    let page = context! {
        m => sv(&m), org => accounts::org_name(&orgs, m.org_id), state => m.state().code(), state_label => m.state().label(),
        organiser, units => if organiser { units.iter().map(row).collect::<Vec<_>>() } else { Vec::new() },
        mine => mine.as_ref().map(row), counts => counts.to_vec(),
        may_reply => domain::may_reply(m.state(), m.starts_at, now),
        may_remind => organiser && domain::may_remind(m.state(), m.starts_at, now) && counts[0] > 0,
        may_minutes => organiser && m.state() == St::Sent && now >= m.starts_at,
        materials => sv(super::materials(&state.db, id).await?), may_attach => organiser && m.state() != St::Cancelled,
        history => events.iter().map(|e| context! { at => e.at, actor => e.actor.clone(), action => action_label(&e.action), comment => e.comment.clone() }).collect::<Vec<_>>(),
        form => sv(form), errors,
    };
    Ok((status, state.render(ctx, "admin/of_meeting.html", page)?).into_response())
}

fn action_label(code: &str) -> &str {
    match code {
        "create" => "起草",
        "send" => "发出通知",
        "cancel" => "取消会议",
        "reply" => "回执",
        "remind" => "催报回执",
        "minutes" => "上传纪要",
        other => other,
    }
}

async fn item_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    item_view(&state, &ctx, &staff, id, &ActionForm::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn outcome(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    form: &ActionForm,
    field: &str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    let ok = format!("/admin/office/meetings/{id}?ok=saved");
    after_post(result, &ok, field, |errors, status| item_view(state, ctx, staff, id, form, errors, status)).await
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::act(&state, &ctx, &staff, id, &f.action).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "action", r).await
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let input = ReplyInput { attending: f.attending != "0", attendees: f.attendees.clone(), reason: f.reason.clone() };
    let r = super::reply(&state, &ctx, &staff, id, &input).await;
    outcome(&state, &ctx, &staff, id, &f, "attendees", r).await
}

async fn remind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::remind(&state, &ctx, &staff, id).await.map(drop);
    outcome(&state, &ctx, &staff, id, &ActionForm::default(), "action", r).await
}

async fn minutes(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::set_minutes(&state, &ctx, &staff, id, &f.minutes).await;
    outcome(&state, &ctx, &staff, id, &f, "minutes", r).await
}

/// A material from the organiser's form (multipart).
async fn material_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let (fields, files) = platform::web::extract::read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let r = match files.iter().find(|f| f.field == "material") {
        Some(f) => super::add_material(&state, &ctx, &staff, id, &f.name, &f.bytes).await.map(drop),
        None => Err(AppError::invalid("material", "请选择要上传的会议材料")),
    };
    outcome(&state, &ctx, &staff, id, &ActionForm::default(), "material", r).await
}

async fn material_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, mid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::remove_material(&state, &ctx, &staff, id, mid).await;
    outcome(&state, &ctx, &staff, id, &ActionForm::default(), "material", r).await
}

/// A material, for the organiser and the invited units (each download audited).
async fn material_download(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, mid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let (mat, path) = super::material_file(&state, &staff, id, mid).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
    state.audit(&ctx, "meeting.download", &format!("office_meeting:{id}"), "success", mat.name.clone()).await;
    Ok(platform::web::download(&format!("material-{mid}"), Some(&mat.name), &mat.mime, bytes))
}

/// The sign-in sheet: every attendee of every 回执 with a signature column for paper, and a
/// 签到 button per person for the phone at the door.
async fn signin_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Seen { m, units, organiser, orgs, .. } = super::visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("签到表由召集单位使用".into()));
    }
    let done = super::check_ins(&state.db, id).await?;
    let mut rows = Vec::new();
    for u in units.iter().filter(|u| u.reply() == Reply::Attending) {
        for a in domain::attendees(&u.attendees).unwrap_or_default() {
            let at = done.iter().find(|c| c.unit_id == u.unit_id && c.name == a.name).map(|c| c.at);
            rows.push(context! { unit_id => u.unit_id, code => orgs.iter().find(|o| o.id == u.unit_id).map(|o| o.code.clone()), unit => accounts::org_name(&orgs, u.unit_id), name => a.name, post => a.post, at });
        }
    }
    let walk_ins: Vec<Value> = done
        .iter()
        .filter(|c| {
            !units.iter().any(|u| {
                u.unit_id == c.unit_id && u.attendees.lines().any(|l| l.split(' ').next() == Some(c.name.as_str()))
            })
        })
        .map(|c| context! { unit => accounts::org_name(&orgs, c.unit_id), name => c.name.clone(), at => c.at })
        .collect();
    let open = domain::may_check_in(m.state(), m.starts_at, m.ends_at, platform::db::now());
    let invited: Vec<(String, String)> = units
        .iter()
        .filter_map(|u| orgs.iter().find(|o| o.id == u.unit_id).map(|o| (o.code.clone(), o.name.clone())))
        .collect();
    let page = context! { m => sv(&m), rows, walk_ins, open, signed => done.len(), invited, errors };
    Ok((status, state.render(ctx, "admin/of_meeting_signin.html", page)?).into_response())
}

async fn signin_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    signin_view(&state, &ctx, &staff, id, BTreeMap::new(), StatusCode::OK).await
}

async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let unit = accounts::org_by_code(&state.db, f.unit.trim()).await?;
    let result = match unit {
        Some(u) => super::check_in(&state, &ctx, &staff, id, u.id, &f.name).await,
        None => Err(AppError::invalid("unit", "请选择单位")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/office/meetings/{id}/signin"))),
        Err(AppError::Conflict(m)) => {
            signin_view(&state, &ctx, &staff, id, BTreeMap::from([("name".to_owned(), m)]), StatusCode::CONFLICT).await
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            signin_view(&state, &ctx, &staff, id, errors, status).await
        }
    }
}

async fn ics(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let Seen { m, .. } = super::visible(&state, &staff, id).await?;
    let disposition = format!("attachment; filename=\"meeting-{id}.ics\"");
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        m.ics(),
    )
        .into_response())
}
