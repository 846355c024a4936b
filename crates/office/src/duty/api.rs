//! 政务值班 in the JSON API: today's duty (roster, 零报告, open events, log), the roster and its
//! rotation and overrides, 调班 requests and their approval, 零报告, the duty log, events and their
//! 初报 / 续报 / 终报.

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{IncidentInput, LogInput, ReportInput, RotationInput, ShiftInput};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("政务值班", m, p, s, perm, body, h);
    let office = Some(Perm::DutyManage);
    vec![
        r(
            "get",
            "/api/v1/office/duty",
            "今日值班：带班领导和值班员、零报告情况、未终报的事件、值班日志",
            None,
            None,
            get(today),
        ),
        r("get", "/api/v1/office/duty/roster", "值班表（?from=&to= 日期）", None, None, get(roster))
            .with_query(schema_of::<RangeQuery>),
        r("get", "/api/v1/office/duty/swaps", "近期调班申请（待审批的在前）", None, None, get(swaps)),
        r(
            "post",
            "/api/v1/office/duty/swaps",
            "申请调班：把自己某天的值班与同岗位另一天的同事对调，由值班室审批",
            None,
            Some(schema_of::<super::swaps::SwapInput>),
            post(swap_request),
        ),
        r(
            "post",
            "/api/v1/office/duty/swaps/{id}/{decision}",
            "审批调班申请：approve 同意（两天的值班人员对调并短信通知二人），reject 不同意（须写明理由）",
            office,
            Some(schema_of::<SwapDecision>),
            post(swap_decide),
        ),
        r(
            "post",
            "/api/v1/office/duty/roster/rotation",
            "按轮值名单排班（覆盖所选日期的该岗位）",
            office,
            Some(schema_of::<RotationInput>),
            post(rotate),
        ),
        r(
            "put",
            "/api/v1/office/duty/shifts",
            "调整某日某岗位的值班人员（换班、替班）",
            office,
            Some(schema_of::<ShiftBody>),
            put(set_shift),
        ),
        r(
            "post",
            "/api/v1/office/duty/zero-reports",
            "单位今日零报告",
            Some(Perm::OfficeExchange),
            Some(schema_of::<ZeroBody>),
            post(zero),
        ),
        r(
            "post",
            "/api/v1/office/duty/log",
            "记一条值班日志（来电、事件、交接班）",
            office,
            Some(schema_of::<LogInput>),
            post(log),
        ),
        r(
            "post",
            "/api/v1/office/duty/incidents",
            "登记突发事件（事发单位、等级、事发时间）",
            office,
            Some(schema_of::<IncidentInput>),
            post(open),
        ),
        r("get", "/api/v1/office/duty/incidents/{id}", "一个事件：各次报告、下一次报告的时限", None, None, get(one)),
        r(
            "post",
            "/api/v1/office/duty/incidents/{id}/reports",
            "事发单位报送初报、续报或终报",
            Some(Perm::OfficeExchange),
            Some(schema_of::<ReportInput>),
            post(report),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RangeQuery {
    /// 起始日期（空为今天）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub from: String,
    /// 截止日期（空为起始日期后 30 天）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub to: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["day", "role", "person"]))]
pub struct ShiftBody {
    /// 日期
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub day: String,
    /// leader（带班领导）或 officer（值班员）
    #[serde(default)]
    #[schemars(extend("enum" = ["leader", "officer"]))]
    pub role: String,
    #[serde(flatten)]
    pub shift: ShiftInput,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["unit"]))]
pub struct ZeroBody {
    /// 报告单位（机构代码）
    #[serde(default)]
    pub unit: String,
    /// 说明（可选）
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub note: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct SwapDecision {
    /// 审批意见（不同意时必填）
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub note: String,
}

async fn swaps(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    Ok(Json(json!({ "items": super::swaps::list(&state.db, 100).await? })))
}

async fn swap_request(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<super::swaps::SwapInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    require_read(&staff)?;
    let id = super::swaps::request(&state, &ctx, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id, "state": "pending" }))))
}

async fn swap_decide(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    Json(body): Json<SwapDecision>,
) -> Result<Json<Value>, AppError> {
    super::swaps::decide(&state, &ctx, &staff, id, &decision, &body.note).await?;
    Ok(Json(json!({ "swap": super::swaps::get(&state.db, id).await? })))
}

fn require_read(staff: &Staff) -> Result<(), AppError> {
    if super::may_read(staff) { Ok(()) } else { staff.require_anywhere(Perm::DutyManage) }
}

async fn today(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let day = super::today();
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let (zero, past_cutoff) = super::zero_status(&state.db, &orgs).await?;
    let office = super::is_office(&staff);
    let mine = staff.units_with(Perm::OfficeExchange, &orgs);
    let zero: Vec<Value> = zero
        .iter()
        .filter(|(u, _)| office || mine.as_ref().is_none_or(|m| m.contains(u)))
        .map(|(u, at)| json!({ "unit_id": u, "unit": platform::accounts::org_name(&orgs, *u), "reported_at": at, "missing": at.is_none() && past_cutoff }))
        .collect();
    let incidents = if office {
        super::open_incidents(&state.db).await?
    } else {
        super::recent_incidents(&state.db, mine.as_deref()).await?
    };
    let incidents: Vec<Value> = incidents
        .iter()
        .map(
            |i| json!({ "incident": i, "next": i.next_due().map(|(s, due)| json!({ "stage": s.code(), "due": due })) }),
        )
        .collect();
    let log = if office { super::log_of(&state.db, &day).await? } else { Vec::new() };
    Ok(Json(
        json!({ "day": day, "shifts": super::shifts(&state.db, &day, &day).await?, "zero_reports": zero, "incidents": incidents, "log": log }),
    ))
}

async fn roster(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    for (field, v) in [("from", &q.from), ("to", &q.to)] {
        if !v.is_empty() && platform::calendar::date(v).is_none() {
            return Err(AppError::invalid(field, "日期应写作 2026-12-01"));
        }
    }
    let from = if q.from.is_empty() { super::today() } else { q.from.clone() };
    let to = if q.to.is_empty() {
        platform::calendar::date(&from)
            .map(|d| platform::calendar::date_text(d + time::Duration::days(30)))
            .unwrap_or_default()
    } else {
        q.to.clone()
    };
    Ok(Json(json!({ "from": from, "to": to, "shifts": super::shifts(&state.db, &from, &to).await? })))
}

async fn rotate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<RotationInput>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    let n = super::rotate(&state, &ctx, &staff, &b).await?;
    Ok(Json(json!({ "days": n })))
}

async fn set_shift(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<ShiftBody>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::set_shift(&state, &ctx, &staff, &b.day, &b.role, &b.shift).await?;
    Ok(Json(json!({ "day": b.day, "role": b.role, "person": b.shift.person.trim() })))
}

async fn zero(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<ZeroBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::zero_report(&state, &ctx, &staff, &b.unit, &b.note).await?;
    Ok(Json(json!({ "unit": b.unit, "day": super::today() })))
}

async fn log(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<LogInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    super::require_office(&staff)?;
    let id = super::log(&state, &ctx, &staff, &b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<IncidentInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    super::require_office(&staff)?;
    let id = super::open_incident(&state, &ctx, &staff, &b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let (i, _, _) = super::visible(&state, &staff, id).await?;
    let next = i.next_due().map(|(s, due)| json!({ "stage": s.code(), "due": due, "late": due < platform::db::now() }));
    Ok(Json(json!({ "incident": i, "next": next, "reports": super::reports(&state.db, id).await? })))
}

async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<ReportInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::report(&state, &ctx, &staff, id, &b).await?;
    let i = super::incident(&state.db, id).await?;
    Ok(Json(json!({ "id": id, "state": i.state })))
}
