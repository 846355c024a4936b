//! 部门考核 in the JSON API (`/api/v1`): the scores of a year or quarter, and the rule sheet.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Period;
use super::domain::RuleInput;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("监督考核", m, p, s, Some(Perm::Supervise), body, h);
    vec![
        r("get", "/api/v1/assessment", "部门考核：各单位的得分、名次和各项得分", None, routing::get(scores))
            .with_query(schema_of::<PeriodInput>),
        r("get", "/api/v1/assessment-rules", "部门考核规则", None, routing::get(list_rules)),
        r("post", "/api/v1/assessment-rules", "添加考核规则", Some(schema_of::<RuleInput>), routing::post(add_rule)),
        r(
            "put",
            "/api/v1/assessment-rules/{id}",
            "修改考核规则",
            Some(schema_of::<RuleInput>),
            routing::put(save_rule),
        ),
        r("delete", "/api/v1/assessment-rules/{id}", "删除考核规则", None, routing::delete(delete_rule)),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
struct PeriodInput {
    /// 年份（默认今年）
    #[serde(default)]
    #[schemars(range(min = 2000, max = 2100))]
    year: Option<i32>,
    /// 季度 1–4（不填为全年）
    #[serde(default)]
    #[schemars(range(min = 1, max = 4))]
    quarter: Option<u8>,
}

async fn scores(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let period = Period::new(q.year.unwrap_or_else(|| platform::calendar::today().year()), q.quarter)?;
    let results = super::run(&state, &staff, period).await?;
    Ok(Json(json!({ "period": period.label(), "rules": super::rules(&state.db).await?, "results": results })))
}

async fn list_rules(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    Ok(Json(json!({ "items": super::rules(&state.db).await? })))
}

async fn add_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<RuleInput>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let id = super::save_rule(&state, &ctx, &staff, None, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn save_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<RuleInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    super::save_rule(&state, &ctx, &staff, Some(id), &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn delete_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    super::delete_rule(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "id": id, "deleted": true })))
}
