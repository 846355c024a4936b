//! 建议提案 in the JSON API: the list each caller may see, registration, one item with its 会办
//! units and history, and every step — 交办, 退回, 会办意见, 答复, 审核, 评价, 督办, 公开 — and the
//! statistics per 主办 unit.

use axum::extract::State;
use axum::routing::{delete, get, post};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, CommentBody, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AssignInput, ListFilter, ProposalInput, ReplyInput, Seen};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("建议提案", m, p, s, perm, body, h);
    let office = Some(Perm::ProposalManage);
    let clerk = Some(Perm::OfficeExchange);
    vec![
        r(
            "get",
            "/api/v1/office/proposals",
            "建议提案列表：督查室看全部，承办单位看本单位主办或会办的，代表委员看本人领衔的（?before= 翻页）",
            None,
            None,
            get(list),
        )
        .with_query(schema_of::<ListFilter>),
        r(
            "post",
            "/api/v1/office/proposals",
            "登记一件建议或提案（批量导入时逐条提交）",
            office,
            Some(schema_of::<ProposalInput>),
            post(create),
        ),
        r(
            "post",
            "/api/v1/office/proposals/import",
            "批量登记一次会议的建议或提案（已登记的编号跳过；逐行报告未导入的原因）",
            office,
            Some(schema_of::<super::import::ImportInput>),
            post(import),
        ),
        r("get", "/api/v1/office/proposals/stats", "按主办单位统计（?session= 会议）", office, None, get(stats))
            .with_query(schema_of::<StatsQuery>),
        r(
            "get",
            "/api/v1/office/proposals/{id}",
            "一件建议提案：内容、交办、会办意见、答复、评价和办理过程",
            None,
            None,
            get(one),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/assign",
            "交办：主办单位、会办单位；复杂事项 6 个月须写明理由",
            office,
            Some(schema_of::<AssignInput>),
            post(assign),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/return",
            "主办单位退回（交办后 5 个工作日内，须写明理由）",
            clerk,
            Some(schema_of::<ReasonBody>),
            post(give_back),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/opinion",
            "会办单位送主办单位的会办意见",
            clerk,
            Some(schema_of::<OpinionBody>),
            post(opinion),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/reply",
            "主办单位提交答复（办理结果 A/B/C/D 和答复内容），送单位领导审核",
            clerk,
            Some(schema_of::<ReplyInput>),
            post(reply),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/review/{decision}",
            "单位领导审核答复：approve 通过（答复代表委员）或 send_back 退回修改（须写意见）",
            Some(Perm::OfficeSignOff),
            Some(schema_of::<CommentBody>),
            post(review),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/rate",
            "代表委员评价答复：满意、基本满意或不满意（不满意须写理由，重新办理一次）",
            Some(Perm::ProposalRate),
            Some(schema_of::<RateBody>),
            post(rate),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/urge",
            "督办主办单位",
            office,
            Some(schema_of::<CommentBody>),
            post(urge),
        ),
        r(
            "post",
            "/api/v1/office/proposals/{id}/publication",
            "在门户网站公开答复（仅限已答复且承办单位同意公开的）",
            office,
            None,
            post(publish),
        ),
        r("delete", "/api/v1/office/proposals/{id}/publication", "撤下网站上的答复", office, None, delete(unpublish)),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct StatsQuery {
    /// 会议（空为全部）
    #[serde(default)]
    pub session: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["reason"]))]
pub struct ReasonBody {
    /// 退回理由，说明应由哪个单位办理
    #[serde(default)]
    #[schemars(length(min = 5, max = 1000))]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["text"]))]
pub struct OpinionBody {
    /// 会办意见
    #[serde(default)]
    #[schemars(length(min = 5, max = 5000))]
    pub text: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["rating"]))]
pub struct RateBody {
    /// satisfied 满意，basic 基本满意，unsatisfied 不满意
    #[serde(default)]
    #[schemars(extend("enum" = ["satisfied", "basic", "unsatisfied"]))]
    pub rating: String,
    /// 意见（不满意时必填，至少 5 字）
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub comment: String,
}

fn require_list(staff: &Staff) -> Result<(), AppError> {
    if super::may_list(staff) { Ok(()) } else { staff.require_anywhere(Perm::ProposalManage) }
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListFilter>,
) -> Result<Json<Value>, AppError> {
    require_list(&staff)?;
    let rows = super::list(&state, &staff, &f, 100).await?;
    Ok(Json(json!({ "items": rows })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<ProposalInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    super::require_office(&staff)?;
    let id = super::register(&state, &ctx, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id, "state": "registered" }))))
}

async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<super::import::ImportInput>,
) -> Result<Json<Value>, AppError> {
    let report = super::import::import(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!({ "report": report })))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    require_list(&staff)?;
    let Seen { p, co, standing, .. } = super::visible(&state, &staff, id).await?;
    let history = platform::workflow::events(&state.db, &super::FLOW, id).await?;
    let mut item = serde_json::to_value(&p).unwrap_or_default();
    // The reply is the unit's until its leader approves it.
    if !(standing.office || standing.lead || standing.lead_leader || p.replied_at.is_some() || p.state == "closed")
        && let Some(o) = item.as_object_mut()
    {
        o.insert("reply".into(), json!(""));
        o.insert("result_code".into(), json!(""));
    }
    Ok(Json(json!({ "item": item, "co_units": co, "history": history })))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    Ok(Json(json!({ "units": super::stats(&state.db, &q.session).await? })))
}

async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<AssignInput>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    let to = super::assign(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn give_back(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let to = super::give_back(&state, &ctx, &staff, id, &b.reason).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn opinion(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<OpinionBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::add_opinion(&state, &ctx, &staff, id, &b.text).await?;
    Ok(Json(json!({ "id": id, "saved": true })))
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ReplyInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let to = super::reply(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeSignOff)?;
    let approve = match decision.as_str() {
        "approve" => true,
        "send_back" => false,
        _ => return Err(AppError::NotFound),
    };
    let b: CommentBody = parse_optional_body(&body)?;
    let to = super::review(&state, &ctx, &staff, id, approve, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<RateBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ProposalRate)?;
    let to = super::rate(&state, &ctx, &staff, id, &b.rating, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn urge(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    let b: CommentBody = parse_optional_body(&body)?;
    super::urge(&state, &ctx, &staff, id, &b.comment).await?;
    Ok(Json(json!({ "id": id, "urged": true })))
}

async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::publish(&state, &ctx, &staff, id, true).await?;
    Ok(Json(json!({ "id": id, "published": true })))
}

async fn unpublish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    super::require_office(&staff)?;
    super::publish(&state, &ctx, &staff, id, false).await?;
    Ok(Json(json!({ "id": id, "published": false })))
}
