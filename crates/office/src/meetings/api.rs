//! 会议通知 in the JSON API: the list, a notice (with its iCalendar entry), 发出 / 取消, 回执, 催报,
//! 签到, the minutes and the materials (uploaded as the request body; downloaded in the back office).

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{MeetingInput, ReplyInput, Seen};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("会议通知", m, p, s, Some(Perm::OfficeExchange), body, h);
    vec![
        r("get", "/api/v1/office/meetings", "本单位召集和受邀的会议（?before= 翻页）", None, get(list))
            .with_query(schema_of::<ListQuery>),
        r(
            "post",
            "/api/v1/office/meetings",
            "起草会议通知（时间、地点、议程、回执截止、参会单位）",
            Some(schema_of::<MeetingInput>),
            post(create),
        ),
        r(
            "get",
            "/api/v1/office/meetings/{id}",
            "一次会议：通知、各单位回执、签到、纪要和 iCalendar 日程（ics）",
            None,
            get(one),
        ),
        r("post", "/api/v1/office/meetings/{id}/actions/{action}", "send 发出通知，cancel 取消会议", None, post(act)),
        r(
            "post",
            "/api/v1/office/meetings/{id}/reply",
            "参会单位填报回执（参会人员，或请假理由）",
            Some(schema_of::<ReplyInput>),
            post(reply),
        ),
        r("post", "/api/v1/office/meetings/{id}/remind", "催报未回执的单位", None, post(remind)),
        r(
            "post",
            "/api/v1/office/meetings/{id}/check-ins",
            "签到（会前两小时至会议结束）",
            Some(schema_of::<CheckInBody>),
            post(check_in),
        ),
        r(
            "post",
            "/api/v1/office/meetings/{id}/materials",
            "上传会议材料：请求体为文件内容，?name=文件名（PDF、OFD、Word、Excel 或图片，50 MB 以内）",
            None,
            post(material_upload)
                .layer(axum::extract::DefaultBodyLimit::max(super::MATERIAL_RULES.max_total_bytes + (1 << 20))),
        )
        .with_query(schema_of::<MaterialQuery>),
        r(
            "delete",
            "/api/v1/office/meetings/{id}/materials/{mid}",
            "删除一份会议材料",
            None,
            axum::routing::delete(material_delete),
        ),
        r(
            "put",
            "/api/v1/office/meetings/{id}/minutes",
            "上传会议纪要（会议开始后）",
            Some(schema_of::<MinutesBody>),
            put(minutes),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    /// 翻页：上一页最后一条的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["unit", "name"]))]
pub struct CheckInBody {
    /// 单位（机构代码）
    #[serde(default)]
    pub unit: String,
    /// 姓名
    #[serde(default)]
    #[schemars(length(min = 2, max = 20))]
    pub name: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["minutes"]))]
pub struct MinutesBody {
    /// 会议纪要
    #[serde(default)]
    #[schemars(length(min = 10, max = 50000))]
    pub minutes: String,
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    Ok(Json(json!({ "items": super::list(&state, &staff, q.before, 100).await? })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<MeetingInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let id = super::create(&state, &ctx, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id, "state": "draft" }))))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let Seen { m, units, organiser, mine, .. } = super::visible(&state, &staff, id).await?;
    // An invited unit sees its own 回执; the organiser sees every unit's and the sign-in.
    let units = if organiser { units } else { mine.into_iter().collect() };
    let check_ins = if organiser { super::check_ins(&state.db, id).await? } else { Vec::new() };
    let materials = super::materials(&state.db, id).await?;
    Ok(Json(json!({ "ics": m.ics(), "meeting": m, "units": units, "check_ins": check_ins, "materials": materials })))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name"]))]
pub struct MaterialQuery {
    /// 文件名（含扩展名）
    #[serde(default)]
    pub name: String,
}

async fn material_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<MaterialQuery>,
    body: axum::body::Bytes,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let mid = super::add_material(&state, &ctx, &staff, id, &q.name, &body).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": mid }))))
}

async fn material_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, mid)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::remove_material(&state, &ctx, &staff, id, mid).await?;
    Ok(Json(json!({ "id": id, "removed": mid })))
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let to = super::act(&state, &ctx, &staff, id, &action).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ReplyInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::reply(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id, "replied": true })))
}

async fn remind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let n = super::remind(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "reminded": n })))
}

async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<CheckInBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let unit = platform::accounts::org_by_code(&state.db, b.unit.trim())
        .await?
        .ok_or_else(|| AppError::invalid("unit", format!("单位 {} 不存在", b.unit.trim())))?;
    super::check_in(&state, &ctx, &staff, id, unit.id, &b.name).await?;
    Ok(Json(json!({ "id": id, "checked_in": b.name.trim() })))
}

async fn minutes(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<MinutesBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    super::set_minutes(&state, &ctx, &staff, id, &b.minutes).await?;
    Ok(Json(json!({ "id": id, "saved": true })))
}
