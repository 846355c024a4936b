//! 效能评价 in the JSON API (`/api/v1`): the staff of a unit, adding and changing staff records,
//! the moderation queue and its two decisions, and the statistics per unit — the same operations
//! as the back office.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::domain::StaffInput;
use super::{Months, state_label};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("监督考核", m, p, s, Some(Perm::Supervise), body, h);
    vec![
        r("get", "/api/v1/rated-staff", "一个单位接受效能评价的工作人员", None, routing::get(list))
            .with_query(schema_of::<UnitQuery>),
        r(
            "post",
            "/api/v1/rated-staff",
            "登记接受评价的工作人员",
            Some(schema_of::<StaffInput>),
            routing::post(create),
        ),
        r("put", "/api/v1/rated-staff/{id}", "修改工作人员信息", Some(schema_of::<StaffInput>), routing::put(save)),
        r("get", "/api/v1/staff-ratings", "待审核的群众评价（本人管理的单位）", None, routing::get(queue)),
        r(
            "post",
            "/api/v1/staff-ratings/{id}/actions/{action}",
            "审核群众评价：publish 采纳（公开并计入统计），reject 不予采纳（须写原因）",
            Some(schema_of::<ReasonBody>),
            routing::post(moderate),
        ),
        r(
            "post",
            "/api/v1/staff-ratings/actions/publish-plain",
            "采纳全部没有文字意见的待审核评价（本人管理的单位）",
            None,
            routing::post(publish_plain),
        ),
        r("get", "/api/v1/staff-ratings/stats", "各单位的评价数和满意率", None, routing::get(stats))
            .with_query(schema_of::<YearQuery>),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
struct UnitQuery {
    /// 单位 id（不填为本人管理的全部单位）
    #[serde(default)]
    #[schemars(range(min = 1))]
    unit: Option<i64>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
struct YearQuery {
    /// 年份（默认今年）
    #[serde(default)]
    #[schemars(range(min = 2000, max = 2100))]
    year: Option<i32>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
struct ReasonBody {
    /// 不予采纳的原因（不予采纳时必填）
    #[serde(default)]
    #[schemars(length(max = 100))]
    reason: String,
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<UnitQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let managed = super::managed_units(&staff, &orgs);
    let units: Vec<i64> = match q.unit {
        Some(u) if u < 1 => return Err(AppError::invalid("unit", "单位 id 应为正整数")),
        Some(u) if !orgs.iter().any(|o| o.id == u) => return Err(AppError::NotFound),
        Some(u) if managed.as_ref().is_some_and(|m| !m.contains(&u)) => {
            return Err(AppError::Forbidden("您只能查看本单位及下属单位的工作人员".into()));
        }
        Some(u) => vec![u],
        None => orgs.iter().map(|o| o.id).filter(|id| managed.as_ref().is_none_or(|m| m.contains(id))).collect(),
    };
    let year = Months::this_year();
    let mut items: Vec<Value> = Vec::new();
    for unit in units {
        let people = super::staff_of(&state.db, unit, false).await?;
        if people.is_empty() {
            continue;
        }
        let counts = super::counts_by_staff(&state.db, unit, &year).await?;
        items.extend(people.iter().map(|p| {
            let c = counts.get(&p.id).copied().unwrap_or_default();
            json!({ "staff": p, "year": c, "rate": c.rate_text() })
        }));
    }
    Ok(Json(json!({ "items": items })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<StaffInput>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let id = super::save_staff(&state, &ctx, &staff, None, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<StaffInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    super::save_staff(&state, &ctx, &staff, Some(id), &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn queue(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let pending = super::queue(&state.db, super::managed_units(&staff, &orgs).as_deref(), 200).await?;
    let items: Vec<Value> = pending
        .iter()
        .map(|r| json!({ "rating": r, "verdict_label": r.verdict_label(), "state_label": state_label(&r.state) }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn moderate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let publish = match action.as_str() {
        "publish" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound),
    };
    super::moderate(&state, &ctx, &staff, id, publish, &b.reason).await?;
    Ok(Json(json!({ "id": id, "state": if publish { "published" } else { "rejected" } })))
}

async fn publish_plain(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let published = super::publish_plain(&state, &ctx, &staff).await?;
    Ok(Json(json!({ "published": published })))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let managed = super::managed_units(&staff, &orgs);
    let year = q.year.unwrap_or_else(|| platform::calendar::today().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年份应在 2000 到 2100 之间"));
    }
    let by_unit = super::counts_by_unit(&state.db, &Months::year(year)).await?;
    let staff_counts = super::staff_counts(&state.db).await?;
    let units: Vec<Value> = orgs
        .iter()
        .filter(|o| staff_counts.contains_key(&o.id) && managed.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| {
            let c = by_unit.get(&o.id).copied().unwrap_or_default();
            json!({ "unit_id": o.id, "unit": o.name, "staff": staff_counts.get(&o.id), "counts": c, "total": c.total(), "rate": c.rate_text() })
        })
        .collect();
    Ok(Json(json!({ "year": year, "units": units })))
}
