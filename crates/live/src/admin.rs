//! 视频点位 in the back office (the participation staff who run 直播): the points with their
//! state, availability and latest snapshot, the form (stream and snapshot addresses, where the
//! point is), a check on demand, removal. Event coverage itself is written as an interview of the
//! kind 活动直播 under 公众参与.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};

use crate::domain::{self, PointInput, StreamKind};
use crate::{check, store};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/zb_points.html", include_str!("../templates/admin/zb_points.html")),
        ("admin/zb_point.html", include_str!("../templates/admin/zb_point.html")),
        ("public/zb_index.html", include_str!("../templates/public/zb_index.html")),
        ("public/zb_point.html", include_str!("../templates/public/zb_point.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/live/points", get(list_page))
        .route("/admin/live/points/new", get(new_page).post(create))
        .route("/admin/live/points/{id}", get(edit_page).post(update))
        .route("/admin/live/points/{id}/check", post(check_now))
        .route("/admin/live/points/{id}/delete", post(delete))
}

/// Who keeps the points: the staff who may write interviews somewhere.
pub const PERM: Perm = Perm::ParticipationEdit;

async fn list_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    let points = store::list(&state.db, false).await?;
    let avail = store::day_availability(&state.db, platform::db::now()).await?;
    let rows: Vec<Value> = points
        .iter()
        .map(|p| {
            context! { p => sv(p), status_label => domain::status_label(&p.status), kind => StreamKind::of(&p.stream_url).label(),
            availability => store::share_of(&avail, p.id) }
        })
        .collect();
    let offline = points.iter().filter(|p| p.status == "offline").count();
    Ok(state.render(&ctx, "admin/zb_points.html", context! { rows, offline })?.into_response())
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &PointInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let existing = if id > 0 { Some(store::get(&state.db, id).await?) } else { None };
    let page = context! {
        id, form => sv(form), errors,
        existing => existing.as_ref().map(|p| context! { p => sv(p), status_label => domain::status_label(&p.status),
            snapshot => (!p.snapshot_sha.is_empty()).then(|| format!("/zhibo/points/{}/snapshot?v={}", p.id, p.snapshot_at.unwrap_or(0))) }),
    };
    Ok((status, state.render(ctx, "admin/zb_point.html", page)?).into_response())
}

fn input_of(f: &BTreeMap<String, String>) -> PointInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    PointInput {
        name: get("name"),
        area: get("area"),
        place: get("place"),
        lon: get("lon"),
        lat: get("lat"),
        stream_url: get("stream_url"),
        snapshot_url: get("snapshot_url"),
        published: get("published") == "on",
        sort_order: get("sort_order"),
    }
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    let form = PointInput { published: true, ..PointInput::default() };
    form_view(&state, &ctx, 0, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    let p = store::get(&state.db, id).await?;
    form_view(&state, &ctx, id, &p.input(), BTreeMap::new(), StatusCode::OK).await
}

async fn save(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    f: &BTreeMap<String, String>,
) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    let input = input_of(f);
    match store::save(state, ctx, staff, id, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/live/points/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            form_view(state, ctx, id, &input, errors, status).await
        }
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    save(&state, &ctx, &staff, 0, &f).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    store::get(&state.db, id).await?;
    save(&state, &ctx, &staff, id, &f).await
}

async fn check_now(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    let r = check::check_point(&state, id).await?;
    state
        .audit(&ctx, "camera_point.check", &format!("camera_point:{id}"), "success", if r.ok { "在线" } else { "离线" })
        .await;
    Ok(see_other(&format!("/admin/live/points/{id}?ok=checked")))
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(PERM)?;
    store::remove(&state, &ctx, id).await?;
    Ok(see_other("/admin/live/points?ok=deleted"))
}
