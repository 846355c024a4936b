//! 网上办事 in the JSON API: the item catalogue, a department's cases, one case with its
//! `state`, the `actions` the caller may take and the `history`, and transitions through
//! `POST /api/v1/applications/{id}/actions/{action}`.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::routing::{get, post};
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::domain::{self, Action};
use crate::service::{self, ActInput, By, Case, Services};
use crate::store;

type Ext = Extension<Arc<Services>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("网上办事", m, p, s, perm, body, h);
    vec![
        r(
            "get",
            "/api/v1/project-calls",
            "项目申报通知列表（含阶段）",
            Some(Perm::ServiceManage),
            None,
            get(project_calls),
        ),
        r(
            "get",
            "/api/v1/project-calls/{id}",
            "一个申报通知：阶段、可进入的下一阶段和阶段记录",
            Some(Perm::ServiceManage),
            None,
            get(project_call),
        ),
        r(
            "post",
            "/api/v1/project-calls/{id}/stage",
            "推进申报通知到下一阶段（review 评审、publicity 公示、final 公布）",
            Some(Perm::ServiceManage),
            Some(schema_of::<StageBody>),
            post(project_call_stage),
        ),
        r(
            "post",
            "/api/v1/project-calls",
            "发布项目申报通知（附件经后台表单上传）",
            Some(Perm::ServiceManage),
            Some(schema_of::<crate::calls::CallForm>),
            post(project_call_create),
        ),
        r(
            "post",
            "/api/v1/project-calls/{id}/screenings",
            "形式审查一份申报书（不通过须写明理由）",
            Some(Perm::ServiceManage),
            Some(schema_of::<crate::calls::ScreenInput>),
            post(project_call_screen),
        ),
        r(
            "post",
            "/api/v1/project-calls/{id}/assignments",
            "为通过形式审查的申报书分配评审专家（同单位回避）",
            Some(Perm::ServiceManage),
            Some(schema_of::<crate::calls::AssignInput>),
            post(project_call_assign),
        ),
        r(
            "post",
            "/api/v1/project-calls/{id}/objection-answers",
            "答复公示期间的异议",
            Some(Perm::ServiceManage),
            Some(schema_of::<crate::calls::AnswerInput>),
            post(project_call_answer),
        ),
        r(
            "post",
            "/api/v1/experts",
            "把已有账号加入评审专家库",
            Some(Perm::ServiceManage),
            Some(schema_of::<crate::calls::ExpertForm>),
            post(expert_create),
        ),
        r(
            "post",
            "/api/v1/expert-assignments/{id}/scores",
            "评审专家为分配给本人的申报书打分（评审阶段内可修改）",
            None,
            Some(schema_of::<crate::calls::ScoreInput>),
            post(expert_scores),
        ),
        r(
            "get",
            "/api/v1/service-items",
            "办事事项目录（含指南要素完整性）",
            Some(Perm::ServiceManage),
            None,
            get(items),
        ),
        r(
            "post",
            "/api/v1/service-items",
            "新建或按事项编码更新事项（字段同导出格式，清单为逐行文本）",
            Some(Perm::ServiceManage),
            Some(schema_of::<service::ItemForm>),
            post(item_save),
        ),
        r(
            "post",
            "/api/v1/service-items/import",
            "批量导入事项（items 为事项数组，按事项编码新建或更新；先逐项检查，有一项不合格则都不导入）",
            Some(Perm::ServiceManage),
            Some(schema_of::<ImportBody>),
            post(items_import),
        ),
        r(
            "post",
            "/api/v1/service-items/import.xlsx",
            "从 Excel 批量导入事项：请求体为导出格式的 .xlsx 文件（同样全部检查后才导入）",
            Some(Perm::ServiceManage),
            None,
            post(items_import_xlsx).layer(axum::extract::DefaultBodyLimit::max(20 << 20)),
        ),
        r(
            "post",
            "/api/v1/applications/{id}/appeal",
            "对差评提出申诉",
            Some(Perm::ApplicationHandle),
            Some(schema_of::<AppealBody>),
            post(appeal),
        ),
        r(
            "post",
            "/api/v1/applications/{id}/appeal/decide",
            "审核差评申诉（uphold: true 为申诉成立）",
            Some(Perm::ServiceManage),
            Some(schema_of::<DecideBody>),
            post(decide),
        ),
        r(
            "post",
            "/api/v1/service-followups/{id}/close",
            "办结差评回访",
            Some(Perm::ApplicationHandle),
            Some(schema_of::<CloseBody>),
            post(followup_close),
        ),
        r(
            "get",
            "/api/v1/applications",
            "本部门办件（?state=，?overdue=1 为超期办件）",
            Some(Perm::ApplicationHandle),
            None,
            get(cases),
        )
        .with_query(schema_of::<CaseQuery>),
        r(
            "get",
            "/api/v1/applications/{id}",
            "办件详情：状态、可执行操作、办理过程",
            Some(Perm::ApplicationHandle),
            None,
            get(case_get),
        ),
        r(
            "post",
            "/api/v1/applications/{id}/actions/{action}",
            "对办件执行操作（受理、不予受理、补正、审查通过、不予办理、办结）",
            Some(Perm::ApplicationHandle),
            Some(schema_of::<ActInput>),
            post(case_action),
        ),
    ]
}

async fn items(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let list: Vec<Value> = store::items(&state.db, false)
        .await?
        .iter()
        .filter(|i| staff.can(Perm::ServiceManage, &service::item_scope(&orgs, i.org_id)))
        .map(|i| json!({"item": service::ItemForm::from_item(i, &orgs), "id": i.id, "version": i.version, "missing": service::completeness(i, &orgs)}))
        .collect();
    Ok(Json(json!({ "items": list })))
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct CaseQuery {
    /// 状态（submitted 待受理、reviewing 审查中、correction 待补正、completed 办结 …）
    #[serde(default)]
    state: String,
    /// 1：只看已超期
    #[serde(default)]
    overdue: String,
}

async fn cases(
    State(state): State<AppState>,
    Extension(svc): Ext,
    staff: Staff,
    Query(q): Query<CaseQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(&staff, &orgs);
    let day = platform::calendar::today();
    let overdue = (q.overdue == "1").then(|| platform::calendar::date_text(day));
    let (rows, total) = store::queue(
        &state.db,
        mine.as_deref(),
        Some(q.state.as_str()).filter(|s| !s.is_empty()),
        overdue.as_deref(),
        100,
        0,
    )
    .await?;
    let cal = svc.calendar(&state.db).await;
    let list: Vec<Value> = rows
        .iter()
        .map(|a| json!({"id": a.id, "no": a.no, "item_id": a.item_id, "state": a.state, "due_date": a.due_date, "due": service::due_status(&cal, a, day),
                       "applicant": platform::privacy::mask_party(&a.applicant_name, a.applicant_kind == "org")}))
        .collect();
    Ok(Json(json!({"items": list, "total": total})))
}

async fn case_json(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<Value, AppError> {
    let case = Case::load(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ApplicationHandle, &service::item_scope(&orgs, case.app.org_id))?;
    state
        .audit(ctx, "application.view", &format!("application:{}", case.app.no), "success", "查看办件（含申请人信息）")
        .await;
    let steps = u32::try_from(case.item.review_steps().len()).unwrap_or(1);
    let actions: Vec<&str> =
        domain::available(service::position(&case.app), steps, false).into_iter().map(Action::code).collect();
    Ok(json!({"id": case.app.id, "no": case.app.no, "state": case.app.state, "step": case.app.step, "actions": actions,
              "history": store::events(&state.db, id).await?, "application": case.app, "item": {"id": case.item.id, "code": case.item.code, "name": case.item.name}}))
}

async fn case_get(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(case_json(&state, &ctx, &staff, id).await?))
}

async fn case_action(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let input: ActInput = parse_optional_body(&raw)?;
    let codes: Vec<&str> = Action::ALL.iter().filter(|a| !a.by_applicant()).map(|a| a.code()).collect();
    let action = Action::parse(&action)
        .ok_or_else(|| AppError::Conflict(format!("不支持的操作「{action}」，可用：{}", codes.join("、"))))?;
    let case = Case::load(&state.db, id).await?;
    service::act(&state, &svc, &ctx, By::Staff(&staff), &case, action, &input).await?;
    Ok(Json(case_json(&state, &ctx, &staff, id).await?))
}

async fn item_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(f): Json<service::ItemForm>,
) -> Result<Json<Value>, AppError> {
    let existing = store::item_by_code(&state.db, f.code.trim()).await?.map_or(0, |i| i.id);
    let id = service::save_item(&state, &ctx, &staff, existing, &f).await?;
    let item = store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(Json(json!({"id": id, "version": item.version, "missing": service::completeness(&item, &orgs)})))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AppealBody {
    /// 申诉理由
    #[schemars(regex(pattern = r"\S"))]
    reason: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct DecideBody {
    /// 是否维持原评价
    uphold: bool,
    /// 核实意见
    #[schemars(regex(pattern = r"\S"))]
    comment: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct CloseBody {
    /// 整改或回访结果
    #[schemars(regex(pattern = r"\S"))]
    response: String,
}

async fn appeal(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<AppealBody>,
) -> Result<Json<Value>, AppError> {
    let case = Case::load(&state.db, id).await?;
    service::appeal(&state, &ctx, &staff, &case, &b.reason).await?;
    Ok(Json(case_json(&state, &ctx, &staff, id).await?))
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<DecideBody>,
) -> Result<Json<Value>, AppError> {
    let case = Case::load(&state.db, id).await?;
    service::decide_appeal(&state, &ctx, &staff, &case, b.uphold, &b.comment).await?;
    let case = Case::load(&state.db, id).await?;
    Ok(Json(json!({"id": id, "appeal_state": case.app.appeal_state})))
}

async fn followup_close(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<CloseBody>,
) -> Result<Json<Value>, AppError> {
    service::close_followup(&state, &ctx, &staff, id, &b.response).await?;
    Ok(Json(json!({"id": id, "state": "closed"})))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct ImportBody {
    /// 事项（格式同导出的 JSON）
    items: Vec<service::ItemForm>,
}

async fn items_import(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<ImportBody>,
) -> Result<Json<Value>, AppError> {
    let n = b.items.len();
    crate::admin::import(&state, &ctx, &staff, b.items).await?;
    Ok(Json(json!({ "imported": n })))
}

async fn items_import_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let list = crate::catalogue::read(&body).map_err(|m| AppError::invalid("xlsx", m))?;
    let n = list.len();
    crate::admin::import(&state, &ctx, &staff, list).await?;
    Ok(Json(json!({ "imported": n })))
}

// ---- project calls ------------------------------------------------------------------------------

fn call_json(c: &crate::calls::Call) -> Value {
    let stage = c.stage();
    json!({"id": c.id, "title": c.title, "org_id": c.org_id, "opens_on": c.opens_on, "closes_on": c.closes_on,
           "stage": stage.code(), "stage_label": stage.label(), "next_stage": stage.next().map(|n| n.code()),
           "publicity_until": c.publicity_until})
}

async fn project_calls(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let list: Vec<Value> = crate::calls::calls(&state.db)
        .await?
        .iter()
        .filter(|c| staff.require(Perm::ServiceManage, &service::item_scope(&orgs, c.org_id)).is_ok())
        .map(call_json)
        .collect();
    Ok(Json(json!({ "calls": list })))
}

async fn project_call(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    let events: Vec<Value> = crate::calls::call_events(&state.db, id)
        .await?
        .iter()
        .map(|e| json!({"from": e.from_state, "to": e.to_state, "by": e.actor, "at": platform::fmt_time(e.at)}))
        .collect();
    Ok(Json(json!({ "call": call_json(&c), "history": events })))
}

async fn project_call_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<crate::calls::CallForm>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let id = crate::calls::create_call(&state, &ctx, &staff, &b, Vec::new()).await?;
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "call": call_json(&c) }))))
}

async fn project_call_screen(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<crate::calls::ScreenInput>,
) -> Result<Json<Value>, AppError> {
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    crate::calls::screen(&state, &ctx, &c, &b).await?;
    let state_code = if b.pass { "in_review" } else { "screened_out" };
    Ok(Json(json!({ "application_id": b.application_id, "state": state_code })))
}

async fn project_call_assign(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<crate::calls::AssignInput>,
) -> Result<Json<Value>, AppError> {
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    crate::calls::assign(&state, &ctx, &c, &b).await?;
    Ok(Json(json!({ "application_id": b.application_id, "expert_id": b.expert_id, "assigned": true })))
}

async fn project_call_answer(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<crate::calls::AnswerInput>,
) -> Result<Json<Value>, AppError> {
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    crate::calls::answer(&state, &ctx, &staff, &c, &b).await?;
    Ok(Json(json!({ "objection_id": b.objection_id, "answered": true })))
}

async fn expert_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<crate::calls::ExpertForm>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    crate::calls::add_expert(&state, &ctx, &staff, &b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "username": b.username.trim(), "added": true }))))
}

async fn expert_scores(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<crate::calls::ScoreInput>,
) -> Result<Json<Value>, AppError> {
    crate::calls::score(&state, &ctx, &staff, id, &b).await?;
    Ok(Json(json!({ "id": id, "total": b.scores.iter().sum::<u32>() })))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct StageBody {
    /// 要进入的阶段：review、publicity 或 final
    to: String,
}

async fn project_call_stage(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<StageBody>,
) -> Result<Json<Value>, AppError> {
    let c = crate::calls::staff_call(&state, &staff, id).await?;
    let moved = crate::calls::advance(&state, &ctx, &staff, &c, &b.to).await?;
    Ok(Json(json!({ "call": call_json(&moved) })))
}
