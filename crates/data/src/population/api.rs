//! 人口资源库 in the JSON API: queries and a person's record are POSTs (conditions and purposes in
//! the body, never in an address), statistics and the conflict queue — the same operations as the
//! back office, through `ops`, audited the same way.

use axum::extract::State;
use axum::routing;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ops::{self, Purpose};
use super::store::{self, Filter};

pub fn routes() -> Vec<ApiRoute> {
    let q = |m, p, s, body, h| ApiRoute::new("人口资源库", m, p, s, Some(Perm::PopulationQuery), body, h);
    let r = |m, p, s, body, h| ApiRoute::new("人口资源库", m, p, s, Some(Perm::PopulationResolve), body, h);
    vec![
        q(
            "post",
            "/api/v1/population/query",
            "按条件查询人口信息（须说明目的；结果已遮蔽，每页 50 人；每次查询记入审计日志）",
            Some(schema_of::<QueryInput>),
            routing::post(query),
        ),
        q(
            "post",
            "/api/v1/population/{id}/view",
            "查看一个人的信息及字段来源（reveal 为 true 时显示本角色被授权字段的完整内容，记入审计日志）",
            Some(schema_of::<ViewInput>),
            routing::post(view),
        ),
        q(
            "get",
            "/api/v1/population/statistics",
            "人口统计（按一个或两个维度；少于阈值的格及可推算的格为 null）",
            None,
            routing::get(statistics),
        )
        .with_query(schema_of::<StatsInput>),
        r("get", "/api/v1/population/conflicts", "待裁决的字段冲突（最多 100 条）", None, routing::get(conflicts)),
        r(
            "post",
            "/api/v1/population/conflicts/{id}/actions/{action}",
            "裁决冲突：accept 采用新值，keep 保留原值",
            None,
            routing::post(resolve),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["purpose", "purpose_note"]))]
pub struct QueryInput {
    #[serde(flatten)]
    pub purpose: Purpose,
    #[serde(flatten)]
    pub filter: Filter,
    /// 从这个编号之后开始（翻页）
    #[serde(default)]
    pub after: i64,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["purpose", "purpose_note"]))]
pub struct ViewInput {
    #[serde(flatten)]
    pub purpose: Purpose,
    /// 显示本角色被授权字段的完整内容
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct StatsInput {
    #[serde(flatten)]
    pub purpose: Purpose,
    /// 行维度：area、age、sex、household、marital、source
    #[serde(default)]
    pub rows: String,
    /// 列维度（可选，与行维度不同）
    #[serde(default)]
    pub cols: String,
}

async fn query(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<QueryInput>,
) -> Result<Json<Value>, AppError> {
    let (items, count) = ops::query(&state, &ctx, &staff, &input.filter, &input.purpose, input.after).await?;
    let next = (items.len() == 50 && count > 50).then(|| items.last().map(|p| p.id)).flatten();
    Ok(Json(json!({ "count": count, "items": items, "next_after": next })))
}

async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ViewInput>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(ops::view(&state, &ctx, &staff, id, &input.purpose, input.reveal).await?)))
}

async fn statistics(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsInput>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(ops::statistics(&state, &ctx, &staff, &q.rows, &q.cols, &q.purpose).await?)))
}

async fn conflicts(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::PopulationResolve)?;
    let (list, open) = store::open_conflicts(&state.db, 100).await?;
    if !list.is_empty() {
        state
            .audit_before_answer(
                &ctx,
                "population.view",
                "data_person_conflict",
                format!("读取人口信息冲突队列（{} 条）", list.len()),
            )
            .await?;
    }
    Ok(Json(json!({ "open": open, "items": list })))
}

async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, AppError> {
    let accept = match action.as_str() {
        "accept" => true,
        "keep" => false,
        _ => return Err(AppError::NotFound),
    };
    ops::resolve(&state, &ctx, &staff, id, accept).await?;
    Ok(Json(json!({ "ok": true })))
}
