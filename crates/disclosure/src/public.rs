//! 政府信息公开 for citizens under `/gongkai/`, without JavaScript and inside the portal frame: the
//! agencies' disclosure guides, the request form (captcha, one-time submission, rate limits), the
//! receipt, the status and reply by receipt number and query code, and the published annual
//! reports.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;

use crate::domain::{Action, ApplicantKind, State as RState};
use crate::report;
use crate::service::{self, DELIVERY, ID_TYPES, RequestInput};
use crate::store::{self, Request};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gongkai/", get(index))
        .route("/gongkai/guide/{org}", get(guide_page))
        .route("/gongkai/apply", get(apply_page).post(apply_submit))
        .route("/gongkai/apply/receipt", get(receipt_page))
        .route("/gongkai/query", get(query_page).post(query_submit))
        .route("/gongkai/reports/", get(reports_page))
        .route("/gongkai/reports/{org}/{year}", get(report_page))
}

/// Disclosure's part of the portal.
pub static SECTION: Section = Section {
    name: "政府信息公开",
    root: "/gongkai/",
    nav: &[
        ("/gongkai/", "公开指南"),
        ("/gongkai/catalogue", "公开目录"),
        ("/gongkai/apply", "依申请公开"),
        ("/gongkai/query", "申请查询"),
        ("/gongkai/reports/", "年度报告"),
    ],
};

async fn html(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    status: StatusCode,
    page: Value,
    private: bool,
) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, page, private).await
}

fn org_name(orgs: &[OrgUnit], id: i64) -> String {
    orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default()
}

/// The agencies that accept requests: those with a guide (every agency when none has one yet).
async fn agencies(state: &AppState) -> Result<(Vec<OrgUnit>, Vec<store::Guide>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let guides = store::guides(&state.db).await?;
    let list = if guides.is_empty() {
        orgs.clone()
    } else {
        orgs.iter().filter(|o| guides.iter().any(|g| g.org_id == o.id)).cloned().collect()
    };
    Ok((list, guides))
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let guides: Vec<Value> = store::guides(&state.db)
        .await?
        .iter()
        .filter_map(|g| {
            let o = orgs.iter().find(|o| o.id == g.org_id)?;
            Some(context! { code => o.code.clone(), name => o.name.clone(), office => g.office.clone(), phone => g.phone.clone(), reviewed_on => g.reviewed_on.clone() })
        })
        .collect();
    let reports = report_links(&state, &orgs, None).await?;
    html(
        &state,
        &ctx,
        "public/gk_index.html",
        StatusCode::OK,
        context! { title => "政府信息公开", guides, reports, nav_current => "/gongkai/" },
        false,
    )
    .await
}

async fn report_links(state: &AppState, orgs: &[OrgUnit], org: Option<i64>) -> Result<Vec<Value>, AppError> {
    Ok(store::published_reports(&state.db, org)
        .await?
        .iter()
        .filter_map(|r| {
            let o = orgs.iter().find(|o| o.id == r.org_id)?;
            Some(context! { url => format!("/gongkai/reports/{}/{}", o.code, r.year), agency => o.name.clone(), year => r.year, published_at => r.published_at })
        })
        .collect())
}

async fn org_by_code(state: &AppState, code: &str) -> Result<(OrgUnit, Vec<OrgUnit>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let o = orgs.iter().find(|o| o.code == code).cloned().ok_or(AppError::NotFound)?;
    Ok((o, orgs))
}

async fn guide_page(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let (org, orgs) = org_by_code(&state, &code).await?;
    let guide = store::guide(&state.db, org.id).await?.ok_or(AppError::NotFound)?;
    let reports = report_links(&state, &orgs, Some(org.id)).await?;
    let title = format!("{}政府信息公开指南", org.name);
    html(
        &state,
        &ctx,
        "public/gk_guide.html",
        StatusCode::OK,
        context! { title, org => sv(&org), guide, reports, nav_current => "/gongkai/", crumbs => vec![(String::new(), format!("{}公开指南", org.name))] },
        false,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ApplyQuery {
    #[serde(default)]
    org: String,
}

async fn apply_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ApplyQuery>,
) -> Result<Response, AppError> {
    let input = RequestInput {
        org: q.org,
        applicant_kind: "person".into(),
        id_type: "居民身份证".into(),
        delivery: "email".into(),
        ..RequestInput::default()
    };
    apply_form(&state, &ctx, &input, &intake::submission_token(), BTreeMap::new(), StatusCode::OK).await
}

async fn apply_form(
    state: &AppState,
    ctx: &Ctx,
    input: &RequestInput,
    once: &str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (list, _) = agencies(state).await?;
    let agencies: Vec<(String, String)> = list.iter().map(|o| (o.code.clone(), o.name.clone())).collect();
    let kinds: Vec<(&str, &str)> = ApplicantKind::ALL.iter().map(|k| (k.code(), k.label())).collect();
    html(
        state,
        ctx,
        "public/gk_apply.html",
        status,
        context! {
            title => "政府信息公开申请", form => sv(input), errors, agencies, kinds, id_types => ID_TYPES.to_vec(),
            delivery => DELIVERY.to_vec(), captcha => sv(state.captcha.issue()), once,
            nav_current => "/gongkai/apply", crumbs => vec![(String::new(), "依申请公开".to_owned())],
        },
        true,
    )
    .await
}

async fn apply_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let receipt_url = "/gongkai/apply/receipt";
    let once =
        match intake::claim(&state.db, "disclosure", fields.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, receipt_url)),
        };
    let input = RequestInput {
        org: get("org"),
        applicant_kind: get("applicant_kind"),
        applicant_name: get("applicant_name"),
        id_type: get("id_type"),
        id_number: get("id_number"),
        phone: get("phone"),
        email: get("email"),
        address: get("address"),
        description: get("description"),
        purpose: get("purpose"),
        delivery: get("delivery"),
        channel: String::new(),
    };
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            let orgs = accounts::list_orgs(&state.db).await?;
            let mut errors: BTreeMap<String, String> = BTreeMap::new();
            for e in service::check(&input, &orgs).err().unwrap_or_default() {
                errors.entry(e.field).or_insert(e.message);
            }
            errors.insert("captcha".to_owned(), e.to_owned());
            (errors, StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match service::submit(&state, &input, &ctx.ip).await {
                Ok(receipt) => {
                    let agency = accounts::list_orgs(&state.db)
                        .await?
                        .into_iter()
                        .find(|o| o.code == input.org.trim())
                        .map(|o| o.name)
                        .unwrap_or_default();
                    once.settle(&state.db, &serde_json::json!({ "receipt": receipt, "agency": agency })).await?;
                    return Ok(once.redirect(&state, receipt_url));
                }
                Err(e) => {
                    let (status, errors) = form_errors(e)?;
                    (errors, status)
                }
            }
        };
    once.release(&state.db).await?;
    apply_form(&state, &ctx, &input, &once.token, errors, status).await
}

/// 申请已提交: this browser's latest request (from the submission cookie), as often as it is
/// reloaded within two hours.
async fn receipt_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let stored = intake::receipt_of_request(&state.db, "disclosure", &headers).await?;
    let crumbs = vec![(String::new(), "申请已提交".to_owned())];
    let (status, page) = match stored {
        Some(v) => (
            StatusCode::OK,
            context! { title => "申请已提交", receipt => sv(&v["receipt"]), agency => sv(&v["agency"]), nav_current => "/gongkai/apply", crumbs },
        ),
        None => (
            StatusCode::NOT_FOUND,
            context! { title => "回执已过期", expired => true, nav_current => "/gongkai/apply", crumbs },
        ),
    };
    html(&state, &ctx, "public/gk_receipt.html", status, page, true).await
}

async fn query_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    state.lookup_page(&ctx, &SECTION, "public/gk_query.html", "申请查询").await
}

async fn query_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<platform::web::portal::LookupForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    match service::find_for_applicant(&state.db, &f.no, &f.code).await {
        Ok(r) => applicant_view(&state, &ctx, &r).await,
        Err(e) => state.lookup_again(&ctx, &SECTION, "public/gk_query.html", "申请查询", &f.no, e).await,
    }
}

/// The applicant's view: state, dates, the history as the applicant may read it, the reply.
async fn applicant_view(state: &AppState, ctx: &Ctx, r: &Request) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let events: Vec<Value> = store::events(&state.db, r.id)
        .await?
        .iter()
        .map(|e| {
            let label = Action::parse(&e.action).map_or("提交申请", Action::label);
            // The office's internal notes (who approved an extension) stay inside; the applicant
            // reads what was done and the deadlines it set.
            let text = match Action::parse(&e.action) {
                Some(Action::RequestCorrection) => e.comment.clone(),
                Some(Action::Extend | Action::Corrected | Action::ConsultationDone | Action::FeeSettled) => {
                    e.comment.rsplit_once('；').map(|(_, t)| t.to_owned()).unwrap_or_else(|| {
                        if e.comment.starts_with("答复期限") { e.comment.clone() } else { String::new() }
                    })
                }
                _ => String::new(),
            };
            context! { at => e.at, label, text }
        })
        .collect();
    let st = r.state();
    html(
        state,
        ctx,
        "public/gk_query.html",
        StatusCode::OK,
        context! {
            title => "申请查询", req => sv(r), agency => org_name(&orgs, r.org_id), state_label => st.label(),
            waiting => matches!(st, RState::Correcting | RState::Consulting | RState::FeeNotified),
            outcome => r.outcome().map(|o| o.label()), events,
            nav_current => "/gongkai/query", crumbs => vec![(String::new(), "申请查询".to_owned())],
        },
        true,
    )
    .await
}

async fn reports_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let reports = report_links(&state, &orgs, None).await?;
    html(
        &state,
        &ctx,
        "public/gk_reports.html",
        StatusCode::OK,
        context! { title => "政府信息公开工作年度报告", reports, nav_current => "/gongkai/reports/", crumbs => vec![(String::new(), "年度报告".to_owned())] },
        false,
    )
    .await
}

async fn report_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let (org, _) = org_by_code(&state, &code).await?;
    let rep = report::build(&state.db, org.id, &org.name, year).await?;
    if rep.published_at.is_none() {
        return Err(AppError::NotFound);
    }
    let title = format!("{}{}年政府信息公开工作年度报告", org.name, year);
    html(
        &state,
        &ctx,
        "public/gk_report.html",
        StatusCode::OK,
        context! {
            title, rep => sv(&rep), sections => report::SECTIONS.to_vec(), table2_rows => report::TABLE2_ROWS.to_vec(),
            t3_columns => report::table3_columns(), t4_rows => report::table4_rows(&rep.table4), t4_columns => report::table4_columns(),
            nav_current => "/gongkai/reports/", crumbs => vec![("/gongkai/reports/".to_owned(), "年度报告".to_owned()), (String::new(), format!("{}{}年", org.name, year))],
        },
        false,
    )
    .await
}
