//! 协同办公 in the JSON API: drafts, their parts, 送签发 / 签发 / 退回 / 撤回 and 催办; the
//! inbox, 签收 / 退文 with the receipt, notes; the receipt check; statistics.

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, CommentBody, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::domain::{DeliveryState, DocAction};
use crate::exchange::{self, DocumentInput};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("协同办公", m, p, s, perm, body, h);
    let clerk = Some(Perm::OfficeExchange);
    vec![
        r(
            "get",
            "/api/v1/office/documents",
            "本单位的发文（?before= 上一页最后一件的编号）",
            clerk,
            None,
            get(sent_list),
        )
        .with_query(schema_of::<ListQuery>),
        r(
            "post",
            "/api/v1/office/documents",
            "起草公文（GB/T 9704 各要素、收文单位）",
            clerk,
            Some(schema_of::<DocumentInput>),
            post(create),
        ),
        r(
            "get",
            "/api/v1/office/documents/{id}",
            "一份发文：要素、文件摘要、各收文单位的签收情况、过程",
            clerk,
            None,
            get(one),
        ),
        r("put", "/api/v1/office/documents/{id}", "修改草稿", clerk, Some(schema_of::<DocumentInput>), put(update)),
        r(
            "post",
            "/api/v1/office/documents/{id}/parts",
            "上传文件：请求体为文件内容，?kind=body（已签章的 PDF 或 OFD）或 attachment，&name=文件名",
            clerk,
            None,
            post(part_upload),
        )
        .with_query(schema_of::<PartQuery>),
        r(
            "delete",
            "/api/v1/office/documents/{id}/parts/{part}",
            "删除草稿的一个文件",
            clerk,
            None,
            axum::routing::delete(part_delete),
        ),
        r(
            "post",
            "/api/v1/office/documents/{id}/actions/{action}",
            "submit 送签发、recall 撤回（无人签收时）",
            clerk,
            Some(schema_of::<CommentBody>),
            post(act),
        ),
        r(
            "post",
            "/api/v1/office/documents/{id}/sign-off/{decision}",
            "单位领导签发：sign_off 签发并发送、reject 退回修改（须写明意见）",
            Some(Perm::OfficeSignOff),
            Some(schema_of::<CommentBody>),
            post(sign_off),
        ),
        r("post", "/api/v1/office/documents/{id}/remind", "催办尚未签收的单位", clerk, None, post(remind)),
        r(
            "get",
            "/api/v1/office/inbox",
            "本单位的收文（?state=pending|signed|returned|recalled，?before=）",
            clerk,
            None,
            get(inbox),
        )
        .with_query(schema_of::<ListQuery>),
        r(
            "post",
            "/api/v1/office/deliveries/{id}/actions/{decision}",
            "sign 签收（生成签收回执）、return 退文（须写明理由）",
            clerk,
            Some(schema_of::<ReceiveBody>),
            post(receive),
        ),
        r(
            "post",
            "/api/v1/office/deliveries/{id}/notes",
            "签收后分发（forward）或填写办理意见（handle）",
            clerk,
            Some(schema_of::<NoteBody>),
            post(note),
        ),
        r(
            "get",
            "/api/v1/office/deliveries/{id}/receipt",
            "签收回执及其核验结果（文件重新计算摘要并与审计日志比对）",
            clerk,
            None,
            get(receipt),
        ),
        r(
            "get",
            "/api/v1/office/stats",
            "各单位发文、收文、签收、平均签收用时和超时未签收数（?from=&to=）",
            clerk,
            None,
            get(stats),
        )
        .with_query(schema_of::<StatsQuery>),
    ]
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ListQuery {
    /// 收文状态
    #[serde(default)]
    state: String,
    /// 上一页最后一件的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct PartQuery {
    /// body 或 attachment
    #[serde(default)]
    kind: String,
    /// 文件名（含扩展名）
    #[serde(default)]
    name: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ReceiveBody {
    /// 退文理由
    #[serde(default)]
    reason: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["kind", "text"]))]
struct NoteBody {
    /// forward 分发、handle 办理意见
    #[serde(default)]
    kind: String,
    #[serde(default)]
    #[schemars(length(max = 2000))]
    text: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct StatsQuery {
    /// 起始日期 YYYY-MM-DD
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    from: String,
    /// 截止日期 YYYY-MM-DD（含）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    to: String,
}

async fn units(state: &AppState, staff: &Staff) -> Result<Option<Vec<i64>>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(staff.units_with(Perm::OfficeExchange, &orgs))
}

async fn sent_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let rows = exchange::outbox(&state.db, units(&state, &staff).await?.as_deref(), q.before, 100).await?;
    Ok(Json(json!({ "items": rows })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<DocumentInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let id = exchange::create(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!({ "id": id, "state": "draft" })))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let d = exchange::get(&state.db, id).await?;
    exchange::require(&state, &staff, d.org_id).await?;
    let parts = exchange::parts(&state.db, id).await?;
    let deliveries = exchange::deliveries(&state.db, id).await?;
    let history = platform::workflow::events(&state.db, &exchange::FLOW, id).await?;
    Ok(Json(json!({ "document": d, "parts": parts, "deliveries": deliveries, "history": history })))
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<DocumentInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    exchange::update(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn part_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PartQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let part = exchange::add_part(&state, &ctx, &staff, id, &q.kind, &q.name, &body).await?;
    Ok(Json(json!({ "id": part })))
}

async fn part_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, part)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    exchange::remove_part(&state, &ctx, &staff, id, part).await?;
    Ok(Json(json!({ "id": id, "removed": part })))
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let b: CommentBody = parse_optional_body(&body)?;
    let a = DocAction::parse(&action).filter(|a| !a.is_leaders()).ok_or(AppError::NotFound)?;
    let to = exchange::act(&state, &ctx, &staff, id, a, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn sign_off(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeSignOff)?;
    let b: CommentBody = parse_optional_body(&body)?;
    let a = DocAction::parse(&decision).filter(|a| a.is_leaders()).ok_or(AppError::NotFound)?;
    let to = exchange::act(&state, &ctx, &staff, id, a, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn remind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let n = exchange::remind(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "reminded": n })))
}

async fn inbox(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let st = DeliveryState::parse(&q.state).map(|s| s.code()).unwrap_or("");
    let rows = exchange::inbox(&state.db, units(&state, &staff).await?.as_deref(), st, q.before, 100).await?;
    Ok(Json(json!({ "items": rows })))
}

async fn receive(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let b: ReceiveBody = parse_optional_body(&body)?;
    let sign = match decision.as_str() {
        "sign" => true,
        "return" => false,
        _ => return Err(AppError::NotFound),
    };
    let x = exchange::receive(&state, &ctx, &staff, id, sign, &b.reason).await?;
    Ok(Json(json!({ "id": id, "state": x.state, "receipt_digest": x.receipt_digest })))
}

async fn note(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<NoteBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    exchange::add_note(&state, &ctx, &staff, id, &b.kind, &b.text).await?;
    Ok(Json(json!({ "id": id })))
}

async fn receipt(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let x = exchange::delivery(&state.db, id).await?;
    // The receiving unit and the sending unit may both check it.
    let d = exchange::get(&state.db, x.document_id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let ok = [x.unit_id, d.org_id].iter().any(|u| staff.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, *u)));
    if !ok {
        return Err(AppError::Forbidden("您没有查看这份回执的权限".into()));
    }
    let problems = exchange::verify_receipt(&state.db, &state.config.data_dir, id).await?;
    let receipt: Value = serde_json::from_str(&x.receipt).unwrap_or(Value::Null);
    Ok(Json(
        json!({ "delivery": id, "state": x.state, "receipt": receipt, "digest": x.receipt_digest, "valid": problems.is_empty(), "problems": problems }),
    ))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let today = platform::calendar::date_text(platform::calendar::today());
    let from = platform::parse_date(if q.from.is_empty() { "2000-01-01" } else { &q.from })
        .ok_or_else(|| AppError::invalid("from", "日期应写作 2026-01-01"))?;
    let to = platform::parse_date(if q.to.is_empty() { &today } else { &q.to })
        .ok_or_else(|| AppError::invalid("to", "日期应写作 2026-12-31"))?;
    let mine = units(&state, &staff).await?;
    let rows: Vec<exchange::UnitStats> = exchange::stats(&state, from, to + 86_400)
        .await?
        .into_iter()
        .filter(|u| mine.as_ref().is_none_or(|m| m.contains(&u.unit_id)))
        .collect();
    Ok(Json(json!({ "units": rows })))
}
