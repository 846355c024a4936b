//! 信息报送 in the back office: the list (the office all, a unit its own, leaders what was
//! adopted), the submission form, one item with 采用 / 不采用 and the leaders' 批示, the bulletins'
//! issues as printable pages with 印发, and the monthly ranking with the rules and quotas.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, after_post, see_other, sv};
use serde::Deserialize;

use super::domain::{self, Level, State as St};
use super::{AdoptInput, ListFilter, ReportInput};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/of_reports.html", include_str!("../../templates/admin/of_reports.html")),
        ("admin/of_report.html", include_str!("../../templates/admin/of_report.html")),
        ("admin/of_report_new.html", include_str!("../../templates/admin/of_report_new.html")),
        ("admin/of_report_issues.html", include_str!("../../templates/admin/of_report_issues.html")),
        ("admin/of_report_issue.html", include_str!("../../templates/admin/of_report_issue.html")),
        ("admin/of_report_scores.html", include_str!("../../templates/admin/of_report_scores.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/office/reports", get(list_page))
        .route("/admin/office/reports/new", get(new_page).post(submit))
        .route("/admin/office/reports/issues", get(issues_page))
        .route("/admin/office/reports/issues/{id}", get(issue_page))
        .route("/admin/office/reports/issues/{id}/issue", post(issue_out))
        .route("/admin/office/reports/scores", get(scores_page))
        .route("/admin/office/reports/rules", post(set_rules))
        .route("/admin/office/reports/quotas", post(set_quota))
        .route("/admin/office/reports/{id}", get(item_page))
        .route("/admin/office/reports/{id}/adopt", post(adopt))
        .route("/admin/office/reports/{id}/decline", post(decline))
        .route("/admin/office/reports/{id}/instruct", post(instruct))
}

/// The workbench's counts: items waiting for the office.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    if !super::is_office(auth) {
        return Ok(Vec::new());
    }
    let n = state.db.count(platform::db::sql("SELECT COUNT(*) FROM office_report WHERE state = 'submitted'")).await?;
    Ok(vec![platform::web::Todo {
        section: "协同办公",
        label: "报送信息待采编",
        count: n,
        href: "/admin/office/reports?state=submitted".into(),
        urgent: false,
        nav: Some("/admin/office/reports"),
    }])
}

fn require_read(staff: &Staff) -> Result<(), AppError> {
    if super::may_read(staff) { Ok(()) } else { staff.require_anywhere(Perm::InfoAdopt) }
}

const PAGE: i64 = 50;

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(f): Query<ListFilter>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    let rows = super::list(&state, &staff, &f, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let orgs = accounts::list_orgs(&state.db).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                r => sv(r), unit => accounts::org_name(&orgs, r.unit_id),
                state_label => St::parse(&r.state).map(|s| s.label()), level => Level::parse(&r.level).map(|l| l.label()),
            }
        })
        .collect();
    let states: Vec<(&str, &str)> = St::ALL.iter().map(|s| (s.code(), s.label())).collect();
    let page = context! {
        rows, next, states, state => f.state, unit => f.unit, unit_name => f.unit.map(|u| accounts::org_name(&orgs, u)),
        office => super::is_office(&staff),
        clerk => staff.holds_anywhere(Perm::OfficeExchange),
    };
    Ok(state.render(&ctx, "admin/of_reports.html", page)?.into_response())
}

async fn new_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    form: &ReportInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = auth.units_with(Perm::OfficeExchange, &orgs);
    let units: Vec<(String, String)> = orgs
        .iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect();
    let page = context! {
        form => sv(form), errors, units, categories => domain::CATEGORIES.to_vec(), urgencies => domain::URGENCIES.to_vec(),
    };
    Ok((status, state.render(ctx, "admin/of_report_new.html", page)?).into_response())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    // The clerk's own unit first.
    let unit =
        staff.user.org_id.and_then(|id| orgs.iter().find(|o| o.id == id)).map(|o| o.code.clone()).unwrap_or_default();
    let form = ReportInput { unit, category: "工作动态".into(), ..ReportInput::default() };
    new_view(&state, &ctx, &staff, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(form): Form<ReportInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    match super::submit(&state, &ctx, &staff, &form).await {
        Ok(id) => Ok(see_other(&format!("/admin/office/reports/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            new_view(&state, &ctx, &staff, &form, errors, status).await
        }
    }
}

/// What the item's forms send, and keep when a post is refused.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct ActionForm {
    #[serde(default)]
    level: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    channel: Option<i64>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
}

async fn item_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    form: &ActionForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (r, orgs) = super::visible(state, auth, id).await?;
    let instructions = super::instructions(&state.db, id).await?;
    let issue = match r.issue_id {
        Some(i) => Some(super::issue(&state.db, i).await?),
        None => None,
    };
    let office = super::is_office(auth);
    let channels = match (office && domain::may_decide(r.state()), state.portal()) {
        (true, Some(p)) => p.draft_channels(&state.db).await?,
        _ => Vec::new(),
    };
    let levels: Vec<(&str, &str)> = Level::ALL.iter().map(|l| (l.code(), l.label())).collect();
    let page = context! {
        r => sv(&r), unit => accounts::org_name(&orgs, r.unit_id), state => r.state().code(), state_label => r.state().label(),
        level => Level::parse(&r.level).map(|l| l.label()), issue => issue.as_ref().map(|i| context! { id => i.id, title => i.title() }),
        instructions => sv(&instructions), office, levels, channels,
        may_decide => office && domain::may_decide(r.state()),
        may_instruct => auth.holds_anywhere(Perm::LeaderInstruct) && domain::may_instruct(r.state()),
        form => sv(form), errors,
    };
    Ok((status, state.render(ctx, "admin/of_report.html", page)?).into_response())
}

async fn item_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    item_view(&state, &ctx, &staff, id, &ActionForm::default(), BTreeMap::new(), StatusCode::OK).await
}

/// A refused action shows the item again, the message by its field and what was typed kept.
async fn outcome(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    form: &ActionForm,
    field: &str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    let ok = format!("/admin/office/reports/{id}?ok=saved");
    after_post(result, &ok, field, |errors, status| item_view(state, ctx, staff, id, form, errors, status)).await
}

async fn adopt(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let input = AdoptInput { level: f.level.clone(), channel: f.channel, note: f.note.clone() };
    let r = super::adopt(&state, &ctx, &staff, id, &input).await;
    outcome(&state, &ctx, &staff, id, &f, "level", r).await
}

async fn decline(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let r = super::decline(&state, &ctx, &staff, id, &f.reason).await;
    outcome(&state, &ctx, &staff, id, &f, "reason", r).await
}

async fn instruct(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::LeaderInstruct)?;
    let r = super::instruct(&state, &ctx, &staff, id, &f.text).await;
    outcome(&state, &ctx, &staff, id, &f, "text", r).await
}

async fn issues_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    require_read(&staff)?;
    let list: Vec<Value> =
        super::issues(&state.db).await?.iter().map(|i| context! { i => sv(i), title => i.title() }).collect();
    Ok(state
        .render(&ctx, "admin/of_report_issues.html", context! { list, office => super::is_office(&staff) })?
        .into_response())
}

async fn issue_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    let i = super::issue(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let items: Vec<Value> = super::issue_items(&state.db, id)
        .await?
        .iter()
        .map(|r| context! { r => sv(r), unit => accounts::org_name(&orgs, r.unit_id) })
        .collect();
    // The bulletin is edited by the office of the top-level government.
    let editor = orgs.iter().find(|o| o.parent_id.is_none()).map(|o| format!("{}办公厅", o.name)).unwrap_or_default();
    let page = context! { i => sv(&i), title => i.title(), items, editor, office => super::is_office(&staff), errors => BTreeMap::<String, String>::new() };
    Ok(state.render(&ctx, "admin/of_report_issue.html", page)?.into_response())
}

async fn issue_out(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    match super::issue_out(&state, &ctx, &staff, id).await {
        Ok(()) => Ok(see_other(&format!("/admin/office/reports/issues/{id}?ok=saved"))),
        Err(AppError::Conflict(m)) => {
            let i = super::issue(&state.db, id).await?;
            let page = context! { i => sv(&i), title => i.title(), items => Vec::<Value>::new(), office => true, errors => BTreeMap::from([("issue".to_owned(), m)]) };
            Ok((StatusCode::CONFLICT, state.render(&ctx, "admin/of_report_issue.html", page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    #[serde(default)]
    month: String,
}

async fn scores_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    month: &str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (month, from, to) = match super::month_bounds(month) {
        Ok(b) => b,
        Err(_) => super::month_bounds("")?,
    };
    let rows = super::ranking(&state.db, from, to, 1).await?;
    let rules = super::rules(&state.db).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let units: Vec<(String, String)> =
        orgs.iter().filter(|o| o.kind != "division").map(|o| (o.code.clone(), o.name.clone())).collect();
    let page = context! { month, rows => sv(&rows), rules, units, office => super::is_office(auth), errors };
    Ok((status, state.render(ctx, "admin/of_report_scores.html", page)?).into_response())
}

async fn scores_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    scores_view(&state, &ctx, &staff, &q.month, BTreeMap::new(), StatusCode::OK).await
}

async fn set_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let mut points = Vec::new();
    let mut errors = BTreeMap::new();
    for (k, v) in pairs.iter().filter(|(k, _)| domain::Rules::CODES.contains(&k.as_str())) {
        match v.trim().parse::<f64>() {
            Ok(p) => points.push((k.clone(), p)),
            Err(_) => {
                errors.insert("rules".to_owned(), format!("分值“{v}”不是数字"));
            }
        }
    }
    if errors.is_empty() {
        match super::set_rules(&state, &ctx, &staff, &points).await {
            Ok(()) => return Ok(see_other("/admin/office/reports/scores?ok=saved")),
            Err(AppError::Invalid(errs)) => {
                errors.extend(errs.into_iter().map(|e| ("rules".to_owned(), e.message)));
            }
            Err(e) => return Err(e),
        }
    }
    scores_view(&state, &ctx, &staff, "", errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Debug, Default, Deserialize)]
struct QuotaForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    monthly: String,
}

async fn set_quota(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<QuotaForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let result = match f.monthly.trim().parse::<i64>() {
        Ok(n) => super::set_quota(&state, &ctx, &staff, &f.unit, n).await,
        Err(_) => Err(AppError::invalid("monthly", "每月报送指标应是 0 到 1000 之间的整数")),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/office/reports/scores?ok=saved#quota")),
        Err(AppError::Invalid(errs)) => {
            let errors = errs.into_iter().map(|e| ("quota".to_owned(), e.message)).collect();
            scores_view(&state, &ctx, &staff, "", errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
