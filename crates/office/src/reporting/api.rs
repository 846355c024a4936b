//! 信息报送 in the JSON API: submitting, the lists, one item with its 批示, 采用 / 不采用, 批示, the
//! bulletins' issues and 印发, the scoring rules, quotas and the monthly ranking.

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdoptInput, ListFilter, ReportInput};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("信息报送", m, p, s, perm, body, h);
    let office = Some(Perm::InfoAdopt);
    vec![
        r(
            "get",
            "/api/v1/office/reports",
            "信息列表：信息科看全部，单位看本单位报送的，领导看已采用的（?before= 翻页）",
            None,
            None,
            get(list),
        )
        .with_query(schema_of::<ListFilter>),
        r(
            "post",
            "/api/v1/office/reports",
            "报送一条信息",
            Some(Perm::OfficeExchange),
            Some(schema_of::<ReportInput>),
            post(submit),
        ),
        r("get", "/api/v1/office/reports/{id}", "一条信息：正文、采用情况、领导批示", None, None, get(one)),
        r(
            "post",
            "/api/v1/office/reports/{id}/adopt",
            "采用：每日要情、信息专报或门户网站（选栏目，生成网站草稿）",
            office,
            Some(schema_of::<AdoptInput>),
            post(adopt),
        ),
        r(
            "post",
            "/api/v1/office/reports/{id}/decline",
            "不采用（写明理由）",
            office,
            Some(schema_of::<ReasonBody>),
            post(decline),
        ),
        r(
            "post",
            "/api/v1/office/reports/{id}/instructions",
            "领导批示（反馈报送单位）",
            Some(Perm::LeaderInstruct),
            Some(schema_of::<TextBody>),
            post(instruct),
        ),
        r("get", "/api/v1/office/report-issues", "《每日要情》《信息专报》各期", None, None, get(issues)),
        r("get", "/api/v1/office/report-issues/{id}", "一期的信息", None, None, get(one_issue)),
        r(
            "post",
            "/api/v1/office/report-issues/{id}/issue",
            "印发一期（此后采用的信息编入下一期）",
            office,
            None,
            post(issue_out),
        ),
        r("get", "/api/v1/office/report-scores", "单位信息报送得分排名（?month=2026-12）", None, None, get(scores))
            .with_query(schema_of::<MonthQuery>),
        r(
            "put",
            "/api/v1/office/report-rules",
            "修改计分规则（各项分值 0–100）",
            office,
            Some(schema_of::<RulesBody>),
            put(set_rules),
        ),
        r(
            "put",
            "/api/v1/office/report-quotas/{org}",
            "设定单位每月报送指标（0 为不设）",
            office,
            Some(schema_of::<QuotaBody>),
            put(set_quota),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["reason"]))]
pub struct ReasonBody {
    /// 不采用的理由
    #[serde(default)]
    #[schemars(length(min = 2, max = 500))]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["text"]))]
pub struct TextBody {
    /// 批示内容
    #[serde(default)]
    #[schemars(length(min = 2, max = 2000))]
    pub text: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct MonthQuery {
    /// 月份，如 2026-12（空为本月）
    #[serde(default)]
    #[schemars(regex(pattern = r"^$|^20[0-9]{2}-(0[1-9]|1[0-2])$"))]
    pub month: String,
}

/// Points per event: submitted, daily, special, portal, instructed (each optional).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RulesBody {
    #[schemars(range(min = 0.0, max = 100.0))]
    pub submitted: Option<f64>,
    #[schemars(range(min = 0.0, max = 100.0))]
    pub daily: Option<f64>,
    #[schemars(range(min = 0.0, max = 100.0))]
    pub special: Option<f64>,
    #[schemars(range(min = 0.0, max = 100.0))]
    pub portal: Option<f64>,
    #[schemars(range(min = 0.0, max = 100.0))]
    pub instructed: Option<f64>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["monthly"]))]
pub struct QuotaBody {
    /// 每月报送指标（条）
    #[serde(default)]
    #[schemars(range(min = 0, max = 1000))]
    pub monthly: i64,
}

fn require_read(staff: &Staff) -> Result<(), AppError> {
    if super::may_read(staff) { Ok(()) } else { staff.require_anywhere(Perm::InfoAdopt) }
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListFilter>,
) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    Ok(Json(json!({ "items": super::list(&state, &staff, &f, 100).await? })))
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<ReportInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let id = super::submit(&state, &ctx, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id, "state": "submitted" }))))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let (r, _) = super::visible(&state, &staff, id).await?;
    let instructions = super::instructions(&state.db, id).await?;
    let history = platform::workflow::events(&state.db, &super::FLOW, id).await?;
    Ok(Json(json!({ "item": r, "instructions": instructions, "history": history })))
}

async fn adopt(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<AdoptInput>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::adopt(&state, &ctx, &staff, id, &input).await?;
    let r = super::get(&state.db, id).await?;
    Ok(Json(json!({ "id": id, "state": r.state, "issue_id": r.issue_id, "article_id": r.article_id })))
}

async fn decline(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::decline(&state, &ctx, &staff, id, &b.reason).await?;
    Ok(Json(json!({ "id": id, "state": "declined" })))
}

async fn instruct(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<TextBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::LeaderInstruct)?;
    super::instruct(&state, &ctx, &staff, id, &b.text).await?;
    Ok(Json(json!({ "id": id, "instructed": true })))
}

async fn issues(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let list: Vec<Value> = super::issues(&state.db)
        .await?
        .iter()
        .map(|i| json!({ "id": i.id, "kind": i.kind, "year": i.year, "number": i.number, "title": i.title(), "issued_at": i.issued_at }))
        .collect();
    Ok(Json(json!({ "issues": list })))
}

async fn one_issue(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let i = super::issue(&state.db, id).await?;
    let items = super::issue_items(&state.db, id).await?;
    Ok(Json(json!({ "issue": i, "title": i.title(), "items": items })))
}

async fn issue_out(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::issue_out(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "id": id, "issued": true })))
}

async fn scores(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, AppError> {
    require_read(&staff)?;
    let (month, from, to) = super::month_bounds(&q.month)?;
    Ok(Json(json!({ "month": month, "units": super::ranking(&state.db, from, to, 1).await? })))
}

async fn set_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<RulesBody>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    let points: Vec<(String, f64)> = [
        ("submitted", b.submitted),
        ("daily", b.daily),
        ("special", b.special),
        ("portal", b.portal),
        ("instructed", b.instructed),
    ]
    .into_iter()
    .filter_map(|(c, p)| p.map(|p| (c.to_owned(), p)))
    .collect();
    super::set_rules(&state, &ctx, &staff, &points).await?;
    let rules: Vec<Value> = super::rules(&state.db)
        .await?
        .into_iter()
        .map(|(c, l, p)| json!({ "code": c, "label": l, "points": p }))
        .collect();
    Ok(Json(json!({ "rules": rules })))
}

async fn set_quota(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(org): Path<String>,
    Json(b): Json<QuotaBody>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::set_quota(&state, &ctx, &staff, &org, b.monthly).await?;
    Ok(Json(json!({ "org": org, "monthly": b.monthly })))
}
