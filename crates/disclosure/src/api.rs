//! 政府信息公开 in the JSON API: the request queue, registering a request that came by letter, in
//! person or by fax, one request with its `actions` and `history`, transitions through
//! `POST /api/v1/disclosure-requests/{id}/actions/{action}`, the agencies' guides, and the annual
//! report's data (so a province can collect every agency's tables).

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::routing::{get, post};
use platform::accounts::{self, OrgUnit};
use platform::calendar::{date_text, today};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::domain::Action;
use crate::report::{self, Written};
use crate::service::{self, ActInput, Disclosure, RequestInput};
use crate::store;

type Ext = Extension<Arc<Disclosure>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("政府信息公开", m, p, s, perm, body, h);
    vec![
        r(
            "get",
            "/api/v1/disclosure-requests",
            "本机关的政府信息公开申请（?state=，?overdue=1 为超期）",
            Some(Perm::DisclosureHandle),
            None,
            get(list),
        )
        .with_query(schema_of::<ListQuery>),
        r(
            "post",
            "/api/v1/disclosure-requests",
            "登记以信函、当面或传真方式提出的申请",
            Some(Perm::DisclosureHandle),
            Some(schema_of::<RequestInput>),
            post(register),
        ),
        r(
            "get",
            "/api/v1/disclosure-requests/{id}",
            "一件申请：状态、答复期限、可执行操作和办理过程（含申请人信息，查看留痕）",
            Some(Perm::DisclosureHandle),
            None,
            get(one),
        ),
        r(
            "post",
            "/api/v1/disclosure-requests/{id}/actions/{action}",
            "对申请执行操作（confirm 确认收到、request_correction 补正、corrected、consult 征求第三方意见、consultation_done、extend 延期、notify_fee、fee_settled、fee_lapsed、correction_lapsed、decide 答复、deliver 送达）",
            Some(Perm::DisclosureHandle),
            Some(schema_of::<ActInput>),
            post(action),
        ),
        r(
            "put",
            "/api/v1/disclosure-requests/{id}/review",
            "登记已答复申请的行政复议或行政诉讼及其结果（计入年度报告表四）",
            Some(Perm::DisclosureHandle),
            Some(schema_of::<service::ReviewInput>),
            axum::routing::put(review),
        ),
        r(
            "get",
            "/api/v1/disclosure-guides/{org}",
            "一个机关的政府信息公开指南（按机构代码）",
            Some(Perm::DisclosureManage),
            None,
            get(guide_get),
        ),
        r(
            "put",
            "/api/v1/disclosure-guides/{org}",
            "保存政府信息公开指南（审核日期记为今天）",
            Some(Perm::DisclosureManage),
            Some(schema_of::<store::Guide>),
            axum::routing::put(guide_put),
        ),
        r(
            "get",
            "/api/v1/disclosure-reports/{org}/{year}",
            "政府信息公开工作年度报告数据：表三（由申请生成）、表二、表四、文字部分和校验结果",
            Some(Perm::DisclosureManage),
            None,
            get(report_get),
        ),
        r(
            "put",
            "/api/v1/disclosure-reports/{org}/{year}",
            "保存年度报告的填报部分；publish 为 true 时发布（表三不平衡时拒绝），false 时撤回",
            Some(Perm::DisclosureManage),
            Some(schema_of::<ReportBody>),
            axum::routing::put(report_put),
        ),
    ]
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ListQuery {
    /// 状态（submitted 待确认收到、received 办理中、correcting 待补正、consulting 征求意见、fee_notified 待缴费、decided 已答复、closed 已办结）
    #[serde(default)]
    state: String,
    /// 1：只看已超期
    #[serde(default)]
    overdue: String,
    /// 页码（每页 100 件）
    #[serde(default)]
    page: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Extension(svc): Ext,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(&staff, &orgs);
    let day = today();
    let today_text = date_text(day);
    let page = platform::web::api::page_of(q.page);
    let filter = store::QueueFilter {
        orgs: mine.as_deref(),
        state: Some(q.state.as_str()).filter(|s| crate::domain::State::parse(s).is_some()),
        due_before: (q.overdue == "1").then_some(today_text.as_str()),
        before: None,
    };
    let (rows, total) = store::queue(&state.db, &filter, 100, (page - 1) * 100).await?;
    let cal = svc.calendar(&state.db).await;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"id": r.id, "no": r.no, "org_id": r.org_id, "state": r.state, "applicant_kind": r.applicant_kind,
                   "applicant": platform::privacy::mask_party(&r.applicant_name, !r.kind().is_person()), "submitted_on": r.submitted_on,
                   "received_on": r.received_on, "due_on": r.due_on, "due": service::due_status(&cal, r, day)})
        })
        .collect();
    Ok(Json(json!({"items": items, "total": total, "page": page})))
}

async fn one_json(state: &AppState, svc: &Disclosure, ctx: &Ctx, staff: &Staff, id: i64) -> Result<Value, AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let r = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::DisclosureHandle, &service::scope(&orgs, r.org_id))?;
    state
        .audit(
            ctx,
            "disclosure.view",
            &format!("disclosure_request:{}", r.no),
            "success",
            "查看公开申请（含申请人信息）",
        )
        .await;
    let cal = svc.calendar(&state.db).await;
    let actions: Vec<&str> = service::available(&r, &cal, today()).into_iter().map(Action::code).collect();
    Ok(json!({"id": r.id, "no": r.no, "state": r.state, "due_on": r.due_on, "actions": actions,
              "history": store::events(&state.db, id).await?, "request": r.opened()}))
}

async fn one(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(one_json(&state, &svc, &ctx, &staff, id).await?))
}

async fn register(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<RequestInput>,
) -> Result<Json<Value>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    match org {
        Some(o) => staff.require(Perm::DisclosureHandle, &service::scope(&orgs, o.id))?,
        None => staff.require_anywhere(Perm::DisclosureHandle)?,
    }
    if input.channel.trim().is_empty() || input.channel.trim() == "online" {
        return Err(AppError::invalid(
            "channel",
            "工作人员登记的申请请注明提出方式：letter 信函、in_person 当面、fax 传真",
        ));
    }
    let receipt = service::register(&state, &input).await?;
    state
        .audit(
            &ctx,
            "disclosure.register",
            &format!("disclosure_request:{}", receipt.no),
            "success",
            "登记政府信息公开申请",
        )
        .await;
    let mut out = one_json(&state, &svc, &ctx, &staff, receipt.id).await?;
    out["query_code"] = json!(receipt.query_code);
    Ok(Json(out))
}

async fn action(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let r = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::DisclosureHandle, &service::scope(&orgs, r.org_id))?;
    let input: ActInput = parse_optional_body(&raw)?;
    let codes: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
    let action = Action::parse(&action)
        .ok_or_else(|| AppError::Conflict(format!("不支持的操作「{action}」，可用：{}", codes.join("、"))))?;
    service::act(&state, &svc, &ctx, &staff, &r, action, &input).await?;
    Ok(Json(one_json(&state, &svc, &ctx, &staff, id).await?))
}

async fn review(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<service::ReviewInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let r = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::record_review(&state, &ctx, &staff, &r, &input).await?;
    Ok(Json(one_json(&state, &svc, &ctx, &staff, id).await?))
}

async fn org_of(state: &AppState, staff: &Staff, code: &str) -> Result<OrgUnit, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = orgs.iter().find(|o| o.code == code).cloned().ok_or(AppError::NotFound)?;
    staff.require(Perm::DisclosureManage, &service::scope(&orgs, org.id))?;
    Ok(org)
}

async fn guide_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let org = org_of(&state, &staff, &code).await?;
    let guide = store::guide(&state.db, org.id).await?;
    Ok(Json(json!({"org": org.code, "name": org.name, "guide": guide})))
}

async fn guide_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(code): Path<String>,
    Json(g): Json<store::Guide>,
) -> Result<Json<Value>, AppError> {
    let org = org_of(&state, &staff, &code).await?;
    let saved = crate::admin::save_guide(&state, &ctx, &staff, &org, g).await?;
    Ok(Json(json!({"org": org.code, "name": org.name, "guide": saved})))
}

fn report_json(rep: &report::Report) -> Value {
    json!({"agency": rep.agency, "year": rep.year, "published": rep.published_at.is_some(), "published_at": rep.published_at,
           "balanced": rep.errors.is_empty(), "errors": rep.errors, "table3": rep.table3, "table3_rows": rep.table3_rows,
           "table3_columns": report::table3_columns(), "table4": rep.table4, "written": rep.written, "fees_yuan": rep.fees_yuan})
}

async fn report_get(
    State(state): State<AppState>,
    staff: Staff,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Json<Value>, AppError> {
    let org = org_of(&state, &staff, &code).await?;
    let rep = report::build(&state.db, org.id, &org.name, year).await?;
    Ok(Json(report_json(&rep)))
}

/// A report's written parts, and whether to publish.
#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ReportBody {
    /// 文字部分：overview 总体情况、proactive 主动公开说明、problems 问题及改进、other 其他事项
    #[serde(default)]
    sections: std::collections::BTreeMap<String, String>,
    /// 表二：各行（rules、normative、licensing、penalty、enforcement、charges）的数字，按列顺序
    #[serde(default)]
    table2: std::collections::BTreeMap<String, Vec<String>>,
    /// 表三手工补录：行代码 → 6 个数字（自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他组织）
    #[serde(default)]
    table3_extra: std::collections::BTreeMap<String, Vec<i64>>,
    /// 表四：行政复议、未经复议直接起诉、复议后起诉，每类 4 个数字（维持、纠正、其他、尚未审结）
    #[serde(default)]
    table4: Vec<Vec<i64>>,
    /// true 发布，false 撤回，省略则只保存
    #[serde(default)]
    publish: Option<bool>,
}

async fn report_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((code, year)): Path<(String, i32)>,
    Json(b): Json<ReportBody>,
) -> Result<Json<Value>, AppError> {
    let org = org_of(&state, &staff, &code).await?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度应在 2000 至 2100 之间"));
    }
    let mut w = Written { sections: b.sections, ..Written::default() };
    w.table2.rows = b.table2;
    for (key, values) in b.table3_extra {
        let row: [i64; 6] =
            values.try_into().map_err(|_| AppError::invalid("table3_extra", format!("表三“{key}”行应有 6 个数字")))?;
        if !crate::domain::Table3::row_keys().contains(&key.as_str()) {
            return Err(AppError::invalid("table3_extra", format!("表三没有“{key}”这一行")));
        }
        w.table3_extra.insert(key, row);
    }
    if !b.table4.is_empty() {
        if b.table4.len() != 3 || b.table4.iter().any(|r| r.len() != 4 || r.iter().any(|v| *v < 0)) {
            return Err(AppError::invalid("table4", "表四应为 3 类、每类 4 个非负整数"));
        }
        for (i, row) in b.table4.iter().enumerate() {
            w.table4.blocks[i].copy_from_slice(row);
        }
    }
    let rep = crate::admin::save_report(&state, &ctx, &staff, &org, year, &w, b.publish).await?;
    Ok(Json(report_json(&rep)))
}
