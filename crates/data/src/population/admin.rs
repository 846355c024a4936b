//! 人口资源库 in the back office: the query form (a POST, so no ID number or name travels in an
//! address or a log line), one person's record with provenance and the audited 显示完整信息,
//! statistics with small cells hidden and their CSV export, and the officers' conflict queue.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::context;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use super::domain::AGE_BANDS;
use super::ops::{self, PURPOSES, Purpose};
use super::store::{self, Dimension, Filter};
use super::{FIELDS, HOUSEHOLDS, SEXES};
use crate::domain::AREAS;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/sj_population.html", include_str!("../../templates/admin/sj_population.html")),
        ("admin/sj_person.html", include_str!("../../templates/admin/sj_person.html")),
        ("admin/sj_population_stats.html", include_str!("../../templates/admin/sj_population_stats.html")),
        ("admin/sj_population_conflicts.html", include_str!("../../templates/admin/sj_population_conflicts.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/data/population", get(query_page).post(run_query))
        .route("/admin/data/population/stats", get(stats_page))
        .route("/admin/data/population/conflicts", get(conflicts_page))
        .route("/admin/data/population/conflicts/{id}", post(resolve))
        .route("/admin/data/population/{id}", get(person_page).post(reveal))
}

/// The query form as typed.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
struct QueryForm {
    #[serde(flatten)]
    purpose: Purpose,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    age_band: String,
    #[serde(default)]
    household_type: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    after: String,
}

impl QueryForm {
    fn filter(&self) -> Filter {
        Filter {
            id_number: self.id_number.trim().to_owned(),
            name: self.name.trim().to_owned(),
            area_code: self.area_code.clone(),
            sex: self.sex.clone(),
            age_band: self.age_band.clone(),
            household_type: self.household_type.clone(),
            source: self.source.parse().ok(),
        }
    }
}

fn options(sources: &[(i64, String, i64)]) -> minijinja::Value {
    context! { purposes => PURPOSES.to_vec(), areas => AREAS.to_vec(), sexes => SEXES.to_vec(), households => HOUSEHOLDS.to_vec(),
    bands => AGE_BANDS.iter().map(|b| (b.0, b.1)).collect::<Vec<_>>(), sources => sources.iter().map(|s| (s.0, s.1.clone())).collect::<Vec<_>>(),
    dims => Dimension::ALL.iter().map(|d| (d.code(), d.label())).collect::<Vec<_>>() }
}

async fn render_query(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    form: &QueryForm,
    result: Option<(Vec<ops::PersonRow>, i64)>,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::PopulationQuery)?;
    let sources = store::sources(&state.db).await?;
    let total = store::total(&state.db).await?;
    let (rows, count) = result.map_or((None, 0), |(r, n)| (Some(r), n));
    let next = rows.as_ref().filter(|r| r.len() == 50 && count > 50).and_then(|r| r.last()).map(|p| p.id);
    let can_resolve = staff.holds_anywhere(Perm::PopulationResolve);
    let page = context! { form => sv(form), rows => rows.as_ref().map(sv), count, next, total, errors, opts => options(&sources), can_resolve };
    Ok((status, state.render(ctx, "admin/sj_population.html", page)?).into_response())
}

async fn query_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    render_query(&state, &ctx, &staff, &QueryForm::default(), None, BTreeMap::new(), axum::http::StatusCode::OK).await
}

async fn run_query(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(form): Form<QueryForm>,
) -> Result<Response, AppError> {
    let after = form.after.parse().unwrap_or(0);
    match ops::query(&state, &ctx, &staff, &form.filter(), &form.purpose, after).await {
        Ok(found) => {
            render_query(&state, &ctx, &staff, &form, Some(found), BTreeMap::new(), axum::http::StatusCode::OK).await
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            render_query(&state, &ctx, &staff, &form, None, errors, status).await
        }
    }
}

async fn render_person(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    purpose: &Purpose,
    reveal: bool,
) -> Result<Response, AppError> {
    match ops::view(state, ctx, staff, id, purpose, reveal).await {
        Ok(p) => {
            let page = context! { p => sv(&p), purpose => sv(purpose), purpose_label => PURPOSES.iter().find(|x| x.0 == purpose.purpose).map(|x| x.1) };
            let mut resp = state.render(ctx, "admin/sj_person.html", page)?.into_response();
            // Full values must not linger in caches or the back/forward history.
            resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(resp)
        }
        // Without a stated purpose the record is not shown: the page asks for one.
        Err(e @ AppError::Invalid(_)) => {
            let (status, errors) = form_errors(e)?;
            let page = context! { p => None::<()>, id, purpose => sv(purpose), errors, purposes => PURPOSES.to_vec() };
            Ok((status, state.render(ctx, "admin/sj_person.html", page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn person_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(purpose): Query<Purpose>,
) -> Result<Response, AppError> {
    render_person(&state, &ctx, &staff, id, &purpose, false).await
}

async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(purpose): Form<Purpose>,
) -> Result<Response, AppError> {
    render_person(&state, &ctx, &staff, id, &purpose, true).await
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
struct StatsQuery {
    #[serde(flatten)]
    purpose: Purpose,
    #[serde(default)]
    rows: String,
    #[serde(default)]
    cols: String,
    #[serde(default)]
    format: String,
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::PopulationQuery)?;
    let asked = !q.rows.is_empty();
    let (stats, errors, status) = if asked {
        match ops::statistics(&state, &ctx, &staff, &q.rows, &q.cols, &q.purpose).await {
            Ok(s) => (Some(s), BTreeMap::new(), axum::http::StatusCode::OK),
            Err(e) => {
                let (status, errors) = form_errors(e)?;
                (None, errors, status)
            }
        }
    } else {
        (None, BTreeMap::new(), axum::http::StatusCode::OK)
    };
    if let (Some(s), "csv") = (&stats, q.format.as_str()) {
        let label = format!(
            "人口统计-{}.csv",
            s.cols_by.map_or_else(|| s.rows_by.to_owned(), |c| format!("{}×{c}", s.rows_by))
        );
        return Ok(platform::web::download(
            "population-statistics.csv",
            Some(&label),
            "text/csv; charset=utf-8",
            ops::statistics_csv(s).into_bytes(),
        ));
    }
    let sources = store::sources(&state.db).await?;
    let threshold = ops::threshold(&state).await?;
    let export = stats
        .as_ref()
        .map(|_| serde_urlencoded::to_string(StatsQuery { format: "csv".into(), ..q.clone() }).unwrap_or_default());
    let page =
        context! { q => sv(&q), stats => stats.as_ref().map(sv), errors, opts => options(&sources), threshold, export };
    Ok((status, state.render(&ctx, "admin/sj_population_stats.html", page)?).into_response())
}

async fn conflicts_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::PopulationResolve)?;
    let (list, open) = store::open_conflicts(&state.db, 100).await?;
    let sources = store::sources(&state.db).await?;
    let name = |id: Option<i64>| {
        id.and_then(|id| sources.iter().find(|s| s.0 == id)).map_or_else(String::new, |s| s.1.clone())
    };
    let mut rows = Vec::new();
    for c in &list {
        let Some(p) = store::person(&state.db, c.person_id).await? else { continue };
        let f = FIELDS.iter().find(|f| f.key == c.field);
        let show = |v: &str| f.map_or_else(|| v.to_owned(), |f| crate::enterprise::display(f, v));
        rows.push(context! { c => sv(c), field => f.map(|f| f.label), held => show(p.value(&c.field)), offered => show(&c.offered_value),
        held_by => name(c.held_source_id), offered_by => name(Some(c.offered_source_id)),
        who => super::domain::mask(super::domain::Mask::IdNumber, &p.id_number) });
    }
    if !rows.is_empty() {
        state
            .audit_before_answer(
                &ctx,
                "population.view",
                "data_person_conflict",
                format!("查看人口信息冲突队列（{} 条）", rows.len()),
            )
            .await?;
    }
    Ok(state.render(&ctx, "admin/sj_population_conflicts.html", context! { rows, open })?.into_response())
}

#[derive(Debug, Deserialize)]
struct Decision {
    #[serde(default)]
    decision: String,
}

async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(d): Form<Decision>,
) -> Result<Response, AppError> {
    let accept = match d.decision.as_str() {
        "accept" => true,
        "keep" => false,
        _ => return Err(AppError::BadRequest("请选择采用新值或保留原值".into())),
    };
    ops::resolve(&state, &ctx, &staff, id, accept).await?;
    Ok(see_other("/admin/data/population/conflicts?ok=saved"))
}
