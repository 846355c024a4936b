//! 视频点位 in the JSON API: the points with their state, one point, creating, changing and
//! removing a point, and a check on demand.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::admin::PERM;
use crate::domain::PointInput;
use crate::{check, store};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("视频点位", m, p, s, Some(PERM), body, h);
    vec![
        r("get", "/api/v1/camera-points", "视频点位列表：地址、位置、状态、近 24 小时可用率", None, get(list)),
        r("post", "/api/v1/camera-points", "新增视频点位", Some(schema_of::<PointInput>), post(create)),
        r("get", "/api/v1/camera-points/{id}", "一个视频点位", None, get(one)),
        r("put", "/api/v1/camera-points/{id}", "修改视频点位", Some(schema_of::<PointInput>), put(update)),
        r("delete", "/api/v1/camera-points/{id}", "删除视频点位（连同检查记录）", None, delete(remove)),
        r("post", "/api/v1/camera-points/{id}/check", "立即检查视频点位：直播流和截图", None, post(check_now)),
    ]
}

async fn list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(PERM)?;
    let points = store::list(&state.db, false).await?;
    let avail = store::day_availability(&state.db, platform::db::now()).await?;
    let items: Vec<Value> =
        points.iter().map(|p| json!({ "point": p, "availability_24h": store::share_of(&avail, p.id) })).collect();
    Ok(Json(json!({ "items": items })))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(PERM)?;
    Ok(Json(json!({ "point": store::get(&state.db, id).await? })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<PointInput>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(PERM)?;
    let id = store::save(&state, &ctx, &staff, 0, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "point": store::get(&state.db, id).await? }))))
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<PointInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(PERM)?;
    store::get(&state.db, id).await?;
    store::save(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "point": store::get(&state.db, id).await? })))
}

async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(PERM)?;
    store::remove(&state, &ctx, id).await?;
    Ok(Json(json!({ "deleted": id })))
}

async fn check_now(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(PERM)?;
    let r = check::check_point(&state, id).await?;
    state
        .audit(&ctx, "camera_point.check", &format!("camera_point:{id}"), "success", if r.ok { "在线" } else { "离线" })
        .await;
    Ok(Json(json!({ "online": r.ok, "millis": r.millis, "error": r.error, "point": store::get(&state.db, id).await? })))
}
