//! 下级网站评估 in the back office: the evaluations with a form for a new one (name, year, the
//! score sheet, the sites), and one evaluation's grid — the monitor's points, a form per site for
//! the evaluators' points, totals and ranks — with 公布.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::Path;
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};

use super::NewEvaluation;
use super::domain::{DEFAULT_SHEET, Source};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/jd_evaluations.html", include_str!("../../templates/admin/jd_evaluations.html")),
        ("admin/jd_evaluation.html", include_str!("../../templates/admin/jd_evaluation.html")),
        ("public/jd_evaluations.html", include_str!("../../templates/public/jd_evaluations.html")),
        ("public/jd_evaluation.html", include_str!("../../templates/public/jd_evaluation.html")),
        ("public/jd_evaluation_site.html", include_str!("../../templates/public/jd_evaluation_site.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/supervision/evaluations", get(list_page).post(create))
        .route("/admin/supervision/evaluations/{id}", get(page))
        .route("/admin/supervision/evaluations/{id}/sites/{site}", post(score))
        .route("/admin/supervision/evaluations/{id}/publish", post(publish))
}

async fn list_view(
    state: &AppState,
    ctx: &Ctx,
    form: &NewEvaluation,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let list = super::list(&state.db, false).await?;
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let sites: Vec<Value> = sites
        .iter()
        .map(|s| context! { code => s.code.clone(), name => s.name.clone(), checked => form.sites.contains(&s.code) })
        .collect();
    let page = context! {
        list => sv(&list), sites, form => sv(form), errors,
        sources => Source::ALL.iter().map(|s| context! { code => s.code(), label => s.label() }).collect::<Vec<_>>(),
    };
    let html = state.render(ctx, "admin/jd_evaluations.html", page)?;
    Ok((status, html).into_response())
}

async fn list_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let year = platform::calendar::today().year();
    let form = NewEvaluation {
        name: format!("{year} 年度政府网站绩效评估"),
        year,
        indicators: DEFAULT_SHEET.to_owned(),
        // Every site below the portal takes part by default.
        sites: sites.iter().skip(1).map(|s| s.code.clone()).collect(),
    };
    list_view(&state, &ctx, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let form = NewEvaluation {
        name: get("name"),
        year: get("year").trim().parse().unwrap_or(0),
        indicators: get("indicators"),
        sites: pairs.iter().filter(|(k, _)| k == "sites").map(|(_, v)| v.clone()).collect(),
    };
    match super::create(&state, &ctx, &staff, &form).await {
        Ok(id) => Ok(see_other(&format!("/admin/supervision/evaluations/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            list_view(&state, &ctx, &form, errors, status).await
        }
    }
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<(i64, String, BTreeMap<usize, String>)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let e = super::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let rows = super::rows(state, &e).await?;
    let sheet = e.sheet();
    let page = context! {
        e => sv(&e), rows => sv(&rows), published => e.published(),
        sheet => sheet.iter().map(|i| context! { label => i.label.clone(), points => i.points, manual => i.source == Source::Manual, source => i.source.code() }).collect::<Vec<_>>(),
        total => sheet.iter().map(|i| i.points).sum::<f64>(),
        error_site_name => error.as_ref().and_then(|e| rows.iter().find(|r| r.site.id == e.0)).map(|r| r.site.name.clone()),
        error_site => error.as_ref().map(|e| e.0), error => error.as_ref().map(|e| e.1.clone()).unwrap_or_default(),
        typed => error.map(|e| e.2.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>()).unwrap_or_default(),
    };
    let html = state.render(ctx, "admin/jd_evaluation.html", page)?;
    Ok((status, html).into_response())
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    view(&state, &ctx, id, None, StatusCode::OK).await
}

async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, site)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let typed: BTreeMap<usize, String> = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("item_").and_then(|i| i.parse().ok()).map(|i| (i, v.clone())))
        .collect();
    match super::score(&state, &ctx, &staff, id, site, &typed).await {
        Ok(()) => Ok(see_other(&format!("/admin/supervision/evaluations/{id}?ok=saved#site-{site}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let msg = errors.into_values().next().unwrap_or_default();
            view(&state, &ctx, id, Some((site, msg, typed)), status).await
        }
    }
}

async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    match super::publish(&state, &ctx, &staff, id).await {
        Ok(()) => Ok(see_other(&format!("/admin/supervision/evaluations/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let msg = errors.into_values().next().unwrap_or_default();
            view(&state, &ctx, id, Some((0, msg, BTreeMap::new())), status).await
        }
    }
}
