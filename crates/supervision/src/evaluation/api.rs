//! 下级网站评估 in the JSON API (`/api/v1`): create an evaluation, read its grid, score a site's
//! manual indicators, publish.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::NewEvaluation;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("监督考核", m, p, s, Some(Perm::Supervise), body, h);
    vec![
        r(
            "post",
            "/api/v1/site-evaluations",
            "新建下级网站评估（评估指标、参评网站）",
            Some(schema_of::<NewEvaluation>),
            routing::post(create),
        ),
        r("get", "/api/v1/site-evaluations/{id}", "一次评估的各网站得分和名次", None, routing::get(grid)),
        r(
            "put",
            "/api/v1/site-evaluations/{id}/sites/{site}",
            "为一个网站的人工评估指标打分（指标序号 → 得分）",
            Some(schema_of::<ScoreInput>),
            routing::put(score),
        ),
        r(
            "post",
            "/api/v1/site-evaluations/{id}/actions/publish",
            "公布评估结果（所有指标须已评分）",
            None,
            routing::post(publish),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
struct ScoreInput {
    /// 指标序号（从 0 起）→ 得分
    #[serde(default)]
    points: BTreeMap<String, f64>,
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<NewEvaluation>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let id = super::create(&state, &ctx, &staff, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn grid(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let e = super::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let rows = super::rows(&state, &e).await?;
    Ok(Json(json!({ "evaluation": e, "indicators": e.sheet(), "rows": rows })))
}

async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, site)): Path<(i64, i64)>,
    Json(b): Json<ScoreInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let mut typed = BTreeMap::new();
    for (k, v) in &b.points {
        let i: usize = k.trim().parse().map_err(|_| AppError::invalid("points", format!("“{k}”不是指标序号")))?;
        typed.insert(i, v.to_string());
    }
    super::score(&state, &ctx, &staff, id, site, &typed).await?;
    Ok(Json(json!({ "id": id, "site_id": site })))
}

async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    super::publish(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "id": id, "state": "published" })))
}
