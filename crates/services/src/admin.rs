//! Back-office pages of 网上办事: the item catalogue with the guide completeness check, the item
//! editor (guide, form and review steps as data — a new item needs no code), JSON import and
//! export of the catalogue, the department's case list with 电子监察 colours and the overdue
//! list, a case with its actions, 差评 follow-ups, and statistics with xlsx.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::calendar::{date_text, today};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other};
use serde::Deserialize;

use crate::domain::{self, Action, State as AState};
use crate::public::sv;
use crate::rows::{self, RowOp, Rows};
use crate::service::{self, ActInput, By, Case, ItemForm, Services};
use crate::store::{self, Application, Item};

type Ext = Extension<Arc<Services>>;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/bs_items.html", include_str!("../templates/admin/bs_items.html")),
        ("admin/bs_item_form.html", include_str!("../templates/admin/bs_item_form.html")),
        ("admin/bs_cases.html", include_str!("../templates/admin/bs_cases.html")),
        ("admin/bs_case.html", include_str!("../templates/admin/bs_case.html")),
        ("admin/bs_followups.html", include_str!("../templates/admin/bs_followups.html")),
        ("admin/bs_stats.html", include_str!("../templates/admin/bs_stats.html")),
        ("admin/bs_calls.html", include_str!("../templates/admin/bs_calls.html")),
        ("admin/bs_call.html", include_str!("../templates/admin/bs_call.html")),
        ("admin/bs_review.html", include_str!("../templates/admin/bs_review.html")),
        ("public/bs_calls.html", include_str!("../templates/public/bs_calls.html")),
        ("public/bs_call.html", include_str!("../templates/public/bs_call.html")),
        ("public/bs_hall.html", include_str!("../templates/public/bs_hall.html")),
        ("public/bs_item.html", include_str!("../templates/public/bs_item.html")),
        ("public/bs_apply.html", include_str!("../templates/public/bs_apply.html")),
        ("public/bs_receipt.html", include_str!("../templates/public/bs_receipt.html")),
        ("public/bs_query.html", include_str!("../templates/public/bs_query.html")),
        ("public/bs_notice.html", include_str!("../templates/public/bs_notice.html")),
        ("public/bs_blank.html", include_str!("../templates/public/bs_blank.html")),
        ("public/bs_gongshi.html", include_str!("../templates/public/bs_gongshi.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/services/items", get(items_page))
        .route("/admin/services/items/export.json", get(export_json))
        .route("/admin/services/items/import", post(import_json))
        .route("/admin/services/items/export.xlsx", get(export_xlsx))
        .route(
            "/admin/services/items/import.xlsx",
            post(import_xlsx).layer(axum::extract::DefaultBodyLimit::max(10 << 20)),
        )
        .route("/admin/services/items/new", get(item_new).post(item_create))
        .route("/admin/services/items/{id}", get(item_edit).post(item_update))
        .route("/admin/services/cases", get(cases_page))
        .route("/admin/services/cases/{id}", get(case_page))
        .route("/admin/services/cases/{id}/act", post(case_act))
        .route("/admin/services/cases/{id}/appeal", post(case_appeal))
        .route("/admin/services/cases/{id}/appeal/decide", post(case_appeal_decide))
        .route("/admin/services/files/{id}", get(file_download))
        .route("/admin/services/followups", get(followups_page))
        .route("/admin/services/followups/{id}/close", post(followup_close))
        .route("/admin/services/stats", get(stats_page))
        .route("/admin/services/stats.xlsx", get(stats_xlsx))
}

// ---- items --------------------------------------------------------------------------------------

async fn items_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = q.get("done").map(|d| if d == "import" { "已导入" } else { "已保存" });
    render_items(&state, &ctx, &staff, notice, BTreeMap::new(), "").await
}

/// The catalogue page; an import that failed comes back with its error and the pasted text.
async fn render_items(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    notice: Option<&str>,
    errors: BTreeMap<String, String>,
    json: &str,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let items = store::items(&state.db, false).await?;
    let rows: Vec<Value> = items
        .iter()
        .filter(|i| staff.can(Perm::ServiceManage, &service::item_scope(&orgs, i.org_id)))
        .map(|i| {
            context! { id => i.id, code => i.code.clone(), name => i.name.clone(), kind => i.kind.clone(),
            dept => orgs.iter().find(|o| o.id == i.org_id).map(|o| o.name.clone()).unwrap_or_default(),
            missing => service::completeness(i, &orgs), published => i.published, version => i.version, promised_days => i.promised_days }
        })
        .collect();
    let incomplete = rows.iter().filter(|r| r.get_attr("missing").ok().and_then(|m| m.len()).unwrap_or(0) > 0).count();
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let body =
        state.render(ctx, "admin/bs_items.html", context! { items => rows, incomplete, notice, errors, json })?;
    Ok((status, body).into_response())
}

async fn org_options(state: &AppState) -> Result<(Vec<(String, String)>, Vec<OrgUnit>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut o = vec![(String::new(), "请选择".to_owned())];
    for (u, depth) in platform::web::pages::org_tree(&orgs) {
        o.push((u.code.clone(), format!("{}{}", "　".repeat(depth), u.name)));
    }
    Ok((o, orgs))
}

/// The editor's lists as rows: those the editor posted (after a row operation), else from the
/// form's lines (the review steps with their 须由他人办理 ticks from `distinct_steps`).
fn editor_rows(f: &ItemForm, posted: &BTreeMap<&'static str, Rows>) -> Vec<Value> {
    let distinct = f.distinct_step_names().unwrap_or_default();
    rows::LISTS
        .iter()
        .map(|list| {
            let rows = posted.get(list.key).cloned().unwrap_or_else(|| match list.key {
                "materials" => list.rows_of(&f.materials),
                "form" => list.rows_of(&f.form),
                "steps" => list.rows_of(&f.steps),
                "faq" => list.rows_of(&f.faq),
                _ => domain::parse_lines(&f.review_steps)
                    .into_iter()
                    .map(|n| {
                        let tick = if distinct.contains(&n) { "是" } else { "否" };
                        vec![n, tick.to_owned()]
                    })
                    .collect(),
            });
            let columns: Vec<(&str, &str)> = list
                .columns
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let kind = match (list.key, i) {
                        _ if list.checkboxes.contains(&i) => "check",
                        ("form", 2) => "kind",
                        ("materials", 2) => "number",
                        _ => "text",
                    };
                    (*label, kind)
                })
                .collect();
            context! { key => list.key, columns, rows }
        })
        .collect()
}

/// The item form as posted, the rows the editor sent per list, and the row button pressed.
type EditorPost = (ItemForm, BTreeMap<&'static str, Rows>, Option<RowOp>);

/// Reads the item editor's post: the scalar fields, each list from its rows when the editor sent
/// rows (else from its lines, as the API and imports send them), and the row operation a button
/// asked for, already applied to the rows.
fn editor_post(fields: &[(String, String)]) -> Result<EditorPost, AppError> {
    let encoded = serde_urlencoded::to_string(fields).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut f: ItemForm =
        serde_urlencoded::from_str(&encoded).map_err(|_| AppError::BadRequest("表单数据不完整，请重新提交".into()))?;
    let op = fields.iter().find(|(k, _)| k == "op").and_then(|(_, v)| RowOp::parse(v));
    let mut posted = BTreeMap::new();
    for list in rows::LISTS {
        let Some(mut rows) = list.posted(fields) else { continue };
        if let Some(op) = &op {
            op.apply(list, &mut rows);
        }
        match list.key {
            "materials" => f.materials = list.lines_of(&rows),
            "form" => f.form = list.lines_of(&rows),
            "steps" => f.steps = list.lines_of(&rows),
            "faq" => f.faq = list.lines_of(&rows),
            _ => {
                let named: Vec<&Vec<String>> = rows.iter().filter(|r| !r[0].trim().is_empty()).collect();
                f.review_steps = named.iter().map(|r| r[0].trim()).collect::<Vec<_>>().join("\n");
                f.distinct_steps =
                    Some(named.iter().filter(|r| r[1] == "是").map(|r| r[0].trim()).collect::<Vec<_>>().join("、"));
            }
        }
        posted.insert(list.key, rows);
    }
    Ok((f, posted, op))
}

async fn item_form(
    state: &AppState,
    ctx: &Ctx,
    f: &ItemForm,
    action: &str,
    errors: BTreeMap<String, String>,
    versions: Vec<store::Version>,
) -> Result<Html<String>, AppError> {
    item_form_rows(state, ctx, f, &BTreeMap::new(), action, errors, versions).await
}

async fn item_form_rows(
    state: &AppState,
    ctx: &Ctx,
    f: &ItemForm,
    posted: &BTreeMap<&'static str, Rows>,
    action: &str,
    errors: BTreeMap<String, String>,
    versions: Vec<store::Version>,
) -> Result<Html<String>, AppError> {
    let (orgs, _) = org_options(state).await?;
    let kinds: Vec<(String, String)> = std::iter::once((String::new(), "请选择".to_owned()))
        .chain(domain::ITEM_KINDS.iter().map(|k| ((*k).to_owned(), (*k).to_owned())))
        .collect();
    let audiences = vec![
        ("person".to_owned(), "个人".to_owned()),
        ("org".to_owned(), "法人".to_owned()),
        ("both".to_owned(), "个人和法人".to_owned()),
    ];
    state.render(
        ctx,
        "admin/bs_item_form.html",
        context! { form => sv(f), action, errors, orgs, kinds, audiences, versions => sv(&versions), kinds_help => domain::FIELD_KINDS.join("、"), events => domain::LIFE_EVENTS.join("、"),
        lists => editor_rows(f, posted), kind_codes => domain::FIELD_KINDS.to_vec(), field_kinds => domain::FIELD_KINDS.iter().map(|k| (*k, domain::field_kind_label(k))).collect::<Vec<_>>() },
    )
}

async fn item_new(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let f = ItemForm {
        audience: "person".into(),
        legal_days: "20".into(),
        promised_days: "10".into(),
        visits: "0".into(),
        online_depth: "4".into(),
        review_steps: "受理审查\n审核\n审批".into(),
        steps: "网上申请\n窗口预审\n受理\n审查\n决定\n办结送达".into(),
        online: Some("on".into()),
        published: Some("on".into()),
        hours: "工作日 上午 9:00—12:00，下午 13:30—17:00".into(),
        ..ItemForm::default()
    };
    Ok(item_form(&state, &ctx, &f, "/admin/services/items/new", BTreeMap::new(), Vec::new()).await?.into_response())
}

async fn item_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    item_save(&state, &ctx, &staff, 0, &fields).await
}

/// Saves the editor's post, or — when a row button was pressed — shows the form again with the
/// rows changed and nothing saved.
async fn item_save(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    fields: &[(String, String)],
) -> Result<Response, AppError> {
    let action = if id == 0 { "/admin/services/items/new".to_owned() } else { format!("/admin/services/items/{id}") };
    let versions = if id == 0 { Vec::new() } else { store::versions(&state.db, id).await? };
    let (f, posted, op) = editor_post(fields)?;
    if op.is_some() {
        return Ok(item_form_rows(state, ctx, &f, &posted, &action, BTreeMap::new(), versions).await?.into_response());
    }
    match service::save_item(state, ctx, staff, id, &f).await {
        Ok(_) => Ok(see_other("/admin/services/items?done=1")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, item_form_rows(state, ctx, &f, &posted, &action, errors, versions).await?).into_response())
        }
    }
}

async fn item_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let item = store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ServiceManage, &service::item_scope(&orgs, item.org_id))?;
    let versions = store::versions(&state.db, id).await?;
    Ok(item_form(
        &state,
        &ctx,
        &ItemForm::from_item(&item, &orgs),
        &format!("/admin/services/items/{id}"),
        BTreeMap::new(),
        versions,
    )
    .await?
    .into_response())
}

async fn item_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    item_save(&state, &ctx, &staff, id, &fields).await
}

/// The catalogue as JSON: a list of `ItemForm` objects (lists as lines), the same format import
/// takes, so a department can edit its catalogue in bulk and load it back.
async fn export_json(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    let items = exportable(&state, &ctx, &staff, "JSON").await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"service-items.json\""),
        ],
        serde_json::to_string_pretty(&items).unwrap_or_default(),
    )
        .into_response())
}

/// The items the user may manage, as forms; the export is audited.
async fn exportable(state: &AppState, ctx: &Ctx, staff: &Staff, format: &str) -> Result<Vec<ItemForm>, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let items: Vec<ItemForm> = store::items(&state.db, false)
        .await?
        .iter()
        .filter(|i| staff.can(Perm::ServiceManage, &service::item_scope(&orgs, i.org_id)))
        .map(|i| ItemForm::from_item(i, &orgs))
        .collect();
    state
        .audit(ctx, "service_item.export", "items", "success", format!("导出 {} 个事项（{format}）", items.len()))
        .await;
    Ok(items)
}

/// The catalogue as a spreadsheet, which is also the template for a department's import.
async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    let items = exportable(&state, &ctx, &staff, "Excel").await?;
    let bytes = tokio::task::spawn_blocking(move || crate::catalogue::workbook(&items))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(platform::web::download("service-items.xlsx", Some("办事事项.xlsx"), platform::web::XLSX, bytes))
}

/// Loads a catalogue spreadsheet (as exported): every row is checked first, then saved by code.
async fn import_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let result = match uploads.into_iter().find(|u| u.field == "xlsx") {
        None => Err(AppError::invalid("xlsx", "请选择要导入的 Excel 文件")),
        Some(u) => match crate::catalogue::read(&u.bytes) {
            Err(m) => Err(AppError::invalid("xlsx", format!("「{}」：{m}", u.name))),
            Ok(list) => import(&state, &ctx, &staff, list).await.map_err(|e| match e {
                AppError::Invalid(errs) => {
                    AppError::invalid("xlsx", errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"))
                }
                e => e,
            }),
        },
    };
    match result {
        Ok(()) => Ok(see_other("/admin/services/items?done=import")),
        Err(e) => {
            let (_, errors) = form_errors(e)?;
            render_items(&state, &ctx, &staff, None, errors, "").await
        }
    }
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(default)]
    json: String,
}

async fn import_json(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<ImportForm>,
) -> Result<Response, AppError> {
    let parsed: Result<Vec<ItemForm>, AppError> =
        serde_json::from_str(&f.json).map_err(|e| AppError::invalid("json", format!("不是有效的事项 JSON：{e}")));
    let result = match parsed {
        Ok(list) => import(&state, &ctx, &staff, list).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/services/items?done=import")),
        Err(e) => {
            let (_, errors) = form_errors(e)?;
            render_items(&state, &ctx, &staff, None, errors, &f.json).await
        }
    }
}

/// Imports items by code, all or nothing as far as checking goes (the forms and the API).
pub(crate) async fn import(state: &AppState, ctx: &Ctx, staff: &Staff, list: Vec<ItemForm>) -> Result<(), AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    // Check every item first, so a bad one leaves the catalogue as it was.
    let orgs = accounts::list_orgs(&state.db).await?;
    for (n, it) in list.iter().enumerate() {
        if let Err(AppError::Invalid(errs)) = service::check_item(it, &orgs) {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；");
            return Err(AppError::invalid("json", format!("第 {} 个事项（{}）：{msg}", n + 1, it.name)));
        }
    }
    for it in &list {
        let id = store::item_by_code(&state.db, it.code.trim()).await?.map_or(0, |i| i.id);
        service::save_item(state, ctx, staff, id, it).await?;
    }
    Ok(())
}

// ---- cases --------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, serde::Serialize, Clone)]
struct CaseQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    page: Option<i64>,
}

fn case_row(
    a: &Application,
    items: &BTreeMap<i64, &Item>,
    orgs: &[OrgUnit],
    cal: &platform::calendar::WorkCalendar,
    day: time::Date,
) -> Value {
    let due = service::due_status(cal, a, day);
    let step_timer = a.step_started_at.map(|t| (platform::db::now() - t) / 3600);
    context! {
        id => a.id, no => a.no.clone(), item => items.get(&a.item_id).map(|i| i.name.clone()).unwrap_or_default(),
        dept => orgs.iter().find(|o| o.id == a.org_id).map(|o| o.name.clone()).unwrap_or_default(),
        applicant => platform::privacy::mask_party(&a.applicant_name, a.applicant_kind == "org"), submitted_at => a.submitted_at,
        state => AState::parse(&a.state).map(|s| s.label()).unwrap_or_default(), due => a.due_date.clone(),
        due_left => due.map(|d| d.0), due_status => due.map(|d| d.1), step_hours => step_timer,
    }
}

/// A department's to-dos on the workbench and beside the menu entries.
pub async fn todos(
    state: &AppState,
    svc: &Services,
    auth: &platform::web::Auth,
) -> Result<Vec<platform::web::Todo>, AppError> {
    if !auth.holds_anywhere(Perm::ApplicationHandle) {
        return Ok(Vec::new());
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(auth, &orgs);
    let cal = svc.calendar(&state.db).await;
    let day = today();
    let ov =
        store::case_overview(&state.db, mine.as_deref(), &date_text(day), &date_text(cal.add_workdays(day, 3))).await?;
    let followups = store::open_followups(&state.db, mine.as_deref()).await?;
    let cases = "/admin/services/cases";
    let todo = |label, count, href: String, urgent, nav| platform::web::Todo {
        section: "网上办事",
        label,
        count,
        href,
        urgent,
        nav,
    };
    Ok(vec![
        todo("待预审", ov.submitted, format!("{cases}?state=submitted"), false, Some(cases)),
        todo("审查中", ov.reviewing, format!("{cases}?state=reviewing"), false, Some(cases)),
        todo("待办结", ov.approved, format!("{cases}?state=approved"), false, Some(cases)),
        todo("待补正（申请人）", ov.correction, format!("{cases}?state=correction"), false, None),
        todo("办件已超期", ov.overdue, format!("{cases}?overdue=1"), true, None),
        todo("3 个工作日内到期", ov.due_soon, cases.to_owned(), false, None),
        todo("差评待回访", followups, "/admin/services/followups".to_owned(), true, Some("/admin/services/followups")),
    ])
}

async fn cases_page(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<CaseQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(&staff, &orgs);
    let page = platform::web::api::page_of(q.page);
    let day = today();
    let overdue_before = (q.overdue == "1").then(|| date_text(day));
    let st = Some(q.state.as_str()).filter(|s| !s.is_empty());
    let (rows, total) =
        store::queue(&state.db, mine.as_deref(), st, overdue_before.as_deref(), 30, (page - 1) * 30).await?;
    let all_items = store::items(&state.db, false).await?;
    let items: BTreeMap<i64, &Item> = all_items.iter().map(|i| (i.id, i)).collect();
    let cal = svc.calendar(&state.db).await;
    let list: Vec<Value> = rows.iter().map(|a| case_row(a, &items, &orgs, &cal, day)).collect();
    let (_, overdue_total) = store::queue(&state.db, mine.as_deref(), None, Some(&date_text(day)), 1, 0).await?;
    let keep = serde_urlencoded::to_string(CaseQuery { page: None, ..q.clone() }).unwrap_or_default();
    Ok(state
        .render(
            &ctx,
            "admin/bs_cases.html",
            context! { list, total, page, pages => (total + 29) / 30, query => sv(&q), overdue_total, pager_base => format!("/admin/services/cases?{keep}&"),
            tabs => vec![("", "在办（按期限）"), ("submitted", "待预审"), ("correction", "待补正"), ("reviewing", "审查中"), ("approved", "待办结"), ("completed", "已办结"), ("rejected", "不予受理"), ("denied", "不予办理")] },
        )?
        .into_response())
}

async fn open_case(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<Case, AppError> {
    let case = Case::load(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ApplicationHandle, &service::item_scope(&orgs, case.app.org_id))?;
    state
        .audit(ctx, "application.view", &format!("application:{}", case.app.no), "success", "查看办件（含申请人信息）")
        .await;
    Ok(case)
}

async fn case_view(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    case: &Case,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
    typed: Option<&Typed>,
) -> Result<Html<String>, AppError> {
    let (a, item) = (&case.app, &case.item);
    let steps = u32::try_from(item.review_steps().len()).unwrap_or(1);
    let actions: Vec<(&str, &str)> =
        domain::available(service::position(a), steps, false).into_iter().map(|x| (x.code(), x.label())).collect();
    let events = store::events(&state.db, a.id).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| context! { at => e.at, label => Action::parse(&e.action).map_or(match e.action.as_str() { "appeal" => "差评申诉", "appeal_upheld" => "申诉成立", "appeal_dismissed" => "申诉不成立", _ => "提交申请" }, |x| x.label()), actor => e.actor.clone(), comment => e.comment.clone(),
        to => AState::parse(&e.to_state).map(|s| s.label()).unwrap_or_default() })
        .collect();
    let labels: BTreeMap<String, String> = item.form().into_iter().map(|f| (f.name, f.label)).collect();
    // Each file under the material it answers, in the order they came.
    let stored = store::files(&state.db, a.id).await?;
    let files: Vec<Value> = stored
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let material = domain::material_of(&f.field)
                .map(str::to_owned)
                .unwrap_or_else(|| labels.get(&f.field).cloned().unwrap_or_else(|| f.field.clone()));
            // A second file for the same slot came with a 补正.
            let later = stored[..i].iter().any(|e| e.field == f.field);
            context! { id => f.id, name => f.name.clone(), size => f.size, at => f.created_at, material, later }
        })
        .collect();
    let values: Vec<(String, String)> =
        a.values().into_iter().map(|(k, v)| (labels.get(&k).cloned().unwrap_or(k), v)).collect();
    let cal = svc.calendar(&state.db).await;
    let due = service::due_status(&cal, a, today());
    let fee = fee_view(state, case, errors.get("fee").cloned()).await?;
    state.render(
        ctx,
        "admin/bs_case.html",
        context! {
            fee,
            app => sv(a), item => sv(item), state_label => AState::parse(&a.state).map(|s| s.label()).unwrap_or_default(),
            step_name => item.review_steps().get(usize::try_from(a.step).unwrap_or(0)).cloned(), steps => item.review_steps(),
            actions, events, files, values, errors, notice, materials => sv(item.materials()),
            typed_action => typed.map(|t| t.action.clone()), typed_comment => typed.map(|t| t.input.comment.clone()),
            typed_basis => typed.map(|t| t.input.legal_basis.clone()), typed_materials => typed.map(|t| t.input.materials.clone()).unwrap_or_default(),
            distinct => item.distinct_steps(), due_left => due.map(|d| d.0), due_status => due.map(|d| d.1),
            rating_label => a.rating.as_deref().and_then(domain::rating_label),
            can_appeal => a.rating.as_deref().is_some_and(domain::is_bad_rating) && a.appeal_state.is_empty(),
            appeal_label => match a.appeal_state.as_str() { "pending" => "申诉待审核", "upheld" => "申诉成立（不计入评价）", "dismissed" => "申诉不成立", _ => "" },
        },
    )
}

/// The case page again with a refusal shown where it belongs (the fee section's `fee`).
pub async fn case_response(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    case: &Case,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    Ok((status, case_view(state, svc, ctx, case, errors, None, None).await?).into_response())
}

/// The case's fee: the latest notice, or the item's standard and whether one may be issued now.
async fn fee_view(state: &AppState, case: &Case, error: Option<String>) -> Result<Value, AppError> {
    use crate::fees::{self, domain as fd};
    let notices = fees::notices_of(&state.db, case.app.id).await?;
    let latest = notices.first();
    let standard: i64 = fees::fees_of(&state.db, case.item.id).await?.iter().map(|f| f.amount).sum();
    let open = latest.is_some_and(|n| matches!(n.state(), fd::State::Unpaid | fd::State::Paid));
    let may = matches!(AState::parse(&case.app.state), Some(AState::Reviewing | AState::Approved));
    Ok(context! {
        error, label => if latest.is_none() && standard > 0 { "未开具缴款通知书" } else { fd::fee_state_label(latest.map(|n| n.state())) },
        latest => latest.map(|n| context! { id => n.id, no => n.no.clone(), total => fd::yuan(n.total), payment_code => n.payment_code.clone() }),
        standard => (standard > 0).then(|| fd::yuan(standard)), can_issue => standard > 0 && !open && may,
    })
}

async fn case_page(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let case = open_case(&state, &ctx, &staff, id).await?;
    let notice = q.get("done").and_then(|a| Action::parse(a)).map(|a| format!("已{}", a.label()));
    Ok(case_view(&state, &svc, &ctx, &case, BTreeMap::new(), notice, None).await?.into_response())
}

async fn case_act(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let case = Case::load(&state.db, id).await?;
    let code = get("action");
    let action = Action::parse(&code).ok_or_else(|| AppError::BadRequest(format!("未知的操作「{code}」")))?;
    let input = ActInput {
        comment: get("comment"),
        legal_basis: get("legal_basis"),
        // 补正 lists the materials to upload again as repeated checkboxes.
        materials: fields.iter().filter(|(k, _)| k == "materials").map(|(_, v)| v.clone()).collect(),
        ..ActInput::default()
    };
    match service::act(&state, &svc, &ctx, By::Staff(&staff), &case, action, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/services/cases/{id}?done={}", action.code()))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let typed = Typed { action: code, input };
            Ok((status, case_view(&state, &svc, &ctx, &case, errors, None, Some(&typed)).await?).into_response())
        }
    }
}

/// What a handler typed into an action form that was refused, shown again in that form.
struct Typed {
    action: String,
    input: ActInput,
}

#[derive(Deserialize)]
struct AppealForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    uphold: String,
    #[serde(default)]
    comment: String,
}

async fn case_appeal(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<AppealForm>,
) -> Result<Response, AppError> {
    let case = Case::load(&state.db, id).await?;
    match service::appeal(&state, &ctx, &staff, &case, &f.reason).await {
        Ok(()) => Ok(see_other(&format!("/admin/services/cases/{id}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, case_view(&state, &svc, &ctx, &case, errors, None, None).await?).into_response())
        }
    }
}

async fn case_appeal_decide(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<AppealForm>,
) -> Result<Response, AppError> {
    let case = Case::load(&state.db, id).await?;
    match service::decide_appeal(&state, &ctx, &staff, &case, f.uphold == "1", &f.comment).await {
        Ok(()) => Ok(see_other(&format!("/admin/services/cases/{id}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, case_view(&state, &svc, &ctx, &case, errors, None, None).await?).into_response())
        }
    }
}

async fn file_download(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let f = store::file(&state.db, id).await?.ok_or(AppError::NotFound)?;
    open_case(&state, &ctx, &staff, f.application_id).await?;
    let bytes = tokio::fs::read(svc.files_dir.join(&f.stored)).await.map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, platform::web::attachment_disposition(&f.name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

// ---- follow-ups ---------------------------------------------------------------------------------

async fn followups_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(&staff, &orgs);
    let list = store::followups(&state.db, mine.as_deref()).await?;
    let day = date_text(today());
    let rows: Vec<Value> = list
        .iter()
        .map(|f| context! { ..sv(f), ..context! { rating_label => domain::rating_label(&f.rating), overdue => f.state == "open" && f.due_date < day,
        dept => orgs.iter().find(|o| o.id == f.org_id).map(|o| o.name.clone()).unwrap_or_default() } })
        .collect();
    Ok(state.render(&ctx, "admin/bs_followups.html", context! { list => rows })?.into_response())
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    response: String,
}

async fn followup_close(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    service::close_followup(&state, &ctx, &staff, id, &f.response).await?;
    Ok(see_other("/admin/services/followups"))
}

// ---- statistics ---------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, serde::Serialize, Clone, schemars::JsonSchema)]
pub struct StatsQuery {
    /// 起始日期 YYYY-MM-DD（默认本年 1 月 1 日）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub from: String,
    /// 截止日期 YYYY-MM-DD（默认今天）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub to: String,
}

pub struct StatsRow {
    pub name: String,
    pub dept: String,
    pub c: store::ItemCounts,
}

/// Statistics of the departments where `auth` manages services, for applications received in
/// the period.
pub async fn stats_rows(
    state: &AppState,
    auth: &platform::web::Auth,
    q: &StatsQuery,
) -> Result<(String, String, Vec<StatsRow>), AppError> {
    let day = today();
    let from = if q.from.trim().is_empty() { format!("{}-01-01", day.year()) } else { q.from.trim().to_owned() };
    let to = if q.to.trim().is_empty() { date_text(day) } else { q.to.trim().to_owned() };
    let (Some(f), Some(t)) = (platform::parse_date(&from), platform::parse_date(&to)) else {
        return Err(AppError::invalid("from", "日期格式应为 2026-01-01"));
    };
    let items = store::items(&state.db, false).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (from, to) = (platform::fmt_date(f), platform::fmt_date(t));
    let rows = store::item_counts(&state.db, &from, &to)
        .await?
        .into_iter()
        // Those who read the statistics (leaders, site administrators) see every department's
        // aggregate figures, which 办件公示 publishes anyway; a department's service manager its own.
        .filter(|c| {
            auth.holds_anywhere(Perm::ContentStats)
                || auth.can(Perm::ServiceManage, &service::item_scope(&orgs, c.org_id))
        })
        .map(|c| StatsRow {
            name: items.iter().find(|i| i.id == c.item_id).map(|i| i.name.clone()).unwrap_or_default(),
            dept: orgs.iter().find(|o| o.id == c.org_id).map(|o| o.name.clone()).unwrap_or_default(),
            c,
        })
        .collect();
    Ok((from, to, rows))
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let (from, to, rows) = match stats_rows(&state, &staff, &q).await {
        Ok(r) => r,
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            return Ok((status, state.render(&ctx, "admin/bs_stats.html", context! { errors, query => sv(&q) })?)
                .into_response());
        }
    };
    let mut by_dept: BTreeMap<String, store::ItemCounts> = BTreeMap::new();
    for r in &rows {
        let d = by_dept.entry(r.dept.clone()).or_default();
        d.received += r.c.received;
        d.completed += r.c.completed;
        d.on_time += r.c.on_time;
        d.workdays += r.c.workdays;
        d.rated += r.c.rated;
        d.rating_sum += r.c.rating_sum;
        d.bad += r.c.bad;
    }
    let view = |name: &str, c: &store::ItemCounts| {
        context! { name => name.to_owned(), received => c.received, completed => c.completed, on_time_rate => pct(c.on_time, c.completed),
        avg_days => (c.completed > 0).then(|| (c.workdays as f64 * 10.0 / c.completed as f64).round() / 10.0),
        rating => (c.rated > 0).then(|| format!("{:.2}", c.rating_sum as f64 / c.rated as f64)), bad => c.bad }
    };
    let items: Vec<Value> = rows.iter().map(|r| view(&r.name, &r.c)).collect();
    let depts: Vec<Value> = by_dept.iter().map(|(n, c)| view(n, c)).collect();
    let followups = store::followups(&state.db, None).await?;
    let closed = followups.iter().filter(|f| f.state == "closed").count() as i64;
    let max = by_dept.values().map(|c| c.received).max().unwrap_or(1).max(1);
    // Month by month for the year the period ends in.
    let year: i32 = to.get(..4).and_then(|y| y.parse().ok()).unwrap_or_else(|| today().year());
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut months: BTreeMap<String, [i64; 12]> = BTreeMap::new();
    for (org, m, n) in store::monthly_by_org(&state.db, year).await? {
        if !staff.can(Perm::ServiceManage, &service::item_scope(&orgs, org)) {
            continue;
        }
        let name = orgs.iter().find(|o| o.id == org).map(|o| o.name.clone()).unwrap_or_default();
        if let Some(slot) = months.entry(name).or_insert([0; 12]).get_mut(usize::try_from(m - 1).unwrap_or(0)) {
            *slot += n;
        }
    }
    Ok(state
        .render(
            &ctx,
            "admin/bs_stats.html",
            context! { from, to, items, depts, max, query => sv(&q), year, months => months.into_iter().collect::<Vec<_>>(), followup_rate => pct(closed, followups.len() as i64), followups => followups.len(),
            export => format!("/admin/services/stats.xlsx?{}", serde_urlencoded::to_string(&q).unwrap_or_default()) },
        )?
        .into_response())
}

async fn stats_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let (from, to, rows) = stats_rows(&state, &staff, &q).await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    ws.write_string(0, 0, format!("办件统计（{from} 至 {to}）")).map_err(x)?;
    for (c, h) in
        ["事项", "部门", "收件", "办结", "按期办结", "平均办理工作日", "评价数", "平均评分", "差评"].iter().enumerate()
    {
        ws.write_string(2, u16::try_from(c).unwrap_or(0), *h).map_err(x)?;
    }
    for (r, row) in (3u32..).zip(&rows) {
        ws.write_string(r, 0, &row.name).map_err(x)?;
        ws.write_string(r, 1, &row.dept).map_err(x)?;
        ws.write_number(r, 2, row.c.received as f64).map_err(x)?;
        ws.write_number(r, 3, row.c.completed as f64).map_err(x)?;
        ws.write_number(r, 4, row.c.on_time as f64).map_err(x)?;
        if row.c.completed > 0 {
            ws.write_number(r, 5, row.c.workdays as f64 / row.c.completed as f64).map_err(x)?;
        }
        ws.write_number(r, 6, row.c.rated as f64).map_err(x)?;
        if row.c.rated > 0 {
            ws.write_number(r, 7, row.c.rating_sum as f64 / row.c.rated as f64).map_err(x)?;
        }
        ws.write_number(r, 8, row.c.bad as f64).map_err(x)?;
    }
    let bytes = wb.save_to_buffer().map_err(x)?;
    state
        .audit(&ctx, "application.stats_export", "applications", "success", format!("导出办件统计 {from} 至 {to}"))
        .await;
    Ok(platform::web::download(&format!("applications-{from}-{to}.xlsx"), None, platform::web::XLSX, bytes))
}
