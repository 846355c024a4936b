//! 部门考核 in the back office: the ranking for a year or quarter with each rule's points, one
//! department's breakdown (figure, rule, points), the workbook, and the rule sheet.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use super::domain::{Kind, RuleInput};
use super::{ASSESSABLE, Period};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/jd_assessment.html", include_str!("../../templates/admin/jd_assessment.html")),
        ("admin/jd_assessment_unit.html", include_str!("../../templates/admin/jd_assessment_unit.html")),
        ("admin/jd_assessment_rules.html", include_str!("../../templates/admin/jd_assessment_rules.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/supervision/assessment", get(ranking))
        .route("/admin/supervision/assessment.xlsx", get(workbook))
        .route("/admin/supervision/assessment/units/{id}", get(unit))
        .route("/admin/supervision/assessment/rules", get(rules_page).post(rule_create))
        .route("/admin/supervision/assessment/rules/{id}", post(rule_save))
        .route("/admin/supervision/assessment/rules/{id}/delete", post(rule_delete))
}

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    year: Option<i32>,
    /// 1–4; empty for the whole year.
    #[serde(default)]
    quarter: Option<String>,
}

impl PeriodQuery {
    pub fn period(&self) -> Result<Period, AppError> {
        let quarter = match self.quarter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) => Some(q.parse::<u8>().map_err(|_| AppError::invalid("quarter", "季度应为 1 到 4"))?),
        };
        Period::new(self.year.unwrap_or_else(|| platform::calendar::today().year()), quarter)
    }
}

fn period_choices(p: &Period) -> Value {
    let this = platform::calendar::today().year();
    context! {
        year => p.year, quarter => p.quarter.map(|q| q.to_string()).unwrap_or_default(), label => p.label(),
        years => (this - 4..=this).rev().collect::<Vec<_>>(),
        query => format!("year={}&quarter={}", p.year, p.quarter.map(|q| q.to_string()).unwrap_or_default()),
    }
}

async fn ranking(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let period = q.period()?;
    let rules = super::rules(&state.db).await?;
    let results = super::run(&state, &staff, period).await?;
    let page = context! {
        period => period_choices(&period), rules => sv(&rules), results => sv(&results),
        total => rules.iter().map(|r| r.points).sum::<f64>(),
    };
    Ok(state.render(&ctx, "admin/jd_assessment.html", page)?.into_response())
}

async fn workbook(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let period = q.period()?;
    let rules = super::rules(&state.db).await?;
    let results = super::run(&state, &staff, period).await?;
    let bytes = super::xlsx(&period, &rules, &results).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("部门考核-{}.xlsx", period.label().replace(' ', ""));
    Ok(platform::web::download(&format!("assessment-{}.xlsx", period.year), Some(&name), platform::web::XLSX, bytes))
}

async fn unit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let period = q.period()?;
    let results = super::run(&state, &staff, period).await?;
    let r = results.into_iter().find(|r| r.org_id == id).ok_or(AppError::NotFound)?;
    let rules = super::rules(&state.db).await?;
    let lines: Vec<Value> = r
        .score
        .lines
        .iter()
        .zip(&rules)
        .map(|(l, rule)| {
            let unit = ASSESSABLE.iter().find(|f| f.0 == rule.figure_key).map_or("", |f| f.2);
            context! {
                l => sv(l), unit, kind => Kind::parse(&rule.kind).map_or("", Kind::label), target => rule.target,
                kind_code => rule.kind.clone(),
            }
        })
        .collect();
    let page = context! { period => period_choices(&period), r => sv(&r), lines };
    Ok(state.render(&ctx, "admin/jd_assessment_unit.html", page)?.into_response())
}

async fn rules_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    form: &BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rules = super::rules(&state.db).await?;
    let can_edit = staff.can(Perm::Supervise, &platform::roles::ResourceScope::platform());
    let page = context! {
        // The new-rule form shows what was typed, as typed (a number that did not parse included).
        rules => sv(&rules), form => sv(form), errors, can_edit,
        figures => ASSESSABLE.iter().map(|f| context! { key => f.0, label => f.1, unit => f.2 }).collect::<Vec<_>>(),
        kinds => Kind::ALL.iter().map(|k| context! { code => k.code(), label => k.label() }).collect::<Vec<_>>(),
        total => rules.iter().map(|r| r.points).sum::<f64>(),
    };
    let html = state.render(ctx, "admin/jd_assessment_rules.html", page)?;
    Ok((status, html).into_response())
}

async fn rules_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let form = BTreeMap::from([("kind".to_owned(), "rate".to_owned()), ("points".to_owned(), "10".to_owned())]);
    rules_view(&state, &ctx, &staff, &form, BTreeMap::new(), StatusCode::OK).await
}

fn rule_form(f: &BTreeMap<String, String>) -> RuleInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let num = |k: &str| get(k).trim().parse::<f64>().unwrap_or(f64::NAN);
    RuleInput {
        figure_key: get("figure_key"),
        label: get("label"),
        kind: get("kind"),
        points: num("points"),
        target: if get("target").trim().is_empty() { 0.0 } else { num("target") },
        sort_order: get("sort_order").trim().parse().unwrap_or(0),
    }
}

async fn rule_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    submit_rule(&state, &ctx, &staff, None, &f).await
}

async fn rule_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    submit_rule(&state, &ctx, &staff, Some(id), &f).await
}

/// Saves a new (`id` None) or changed rule from the form; the sheet again with the errors.
async fn submit_rule(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: Option<i64>,
    f: &BTreeMap<String, String>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let form = rule_form(f);
    match super::save_rule(state, ctx, staff, id, &form).await {
        Ok(_) => Ok(see_other(&format!(
            "/admin/supervision/assessment/rules?ok={}",
            if id.is_some() { "saved" } else { "created" }
        ))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            rules_view(state, ctx, staff, f, errors, status).await
        }
    }
}

async fn rule_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    super::delete_rule(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/supervision/assessment/rules?ok=removed"))
}
