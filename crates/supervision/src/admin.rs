//! 监督考核 in the back office: the group dashboard (every site's verdict and score today), one
//! site's page (veto items, deductions, each problem with where it is fixed, pre-warnings, probes,
//! the score history and the monitor settings), the quarterly self-check report (自查报告) as a
//! printable page and xlsx, and the 错敏词 dictionary.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::content_check::RULE_SEVERITIES;
use platform::roles::{Perm, ResourceScope};
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use crate::indicators;
use crate::monitor::{self, SiteReport};
use crate::ops::{self, SettingsInput, WordInput};
use crate::probe;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/jd_group.html", include_str!("../templates/admin/jd_group.html")),
        ("admin/jd_site.html", include_str!("../templates/admin/jd_site.html")),
        ("admin/jd_report.html", include_str!("../templates/admin/jd_report.html")),
        ("admin/jd_words.html", include_str!("../templates/admin/jd_words.html")),
        ("admin/jd_annual.html", include_str!("../templates/admin/jd_annual.html")),
        ("admin/jd_annual_list.html", include_str!("../templates/admin/jd_annual_list.html")),
        ("public/jd_annual_index.html", include_str!("../templates/public/jd_annual_index.html")),
        ("public/jd_annual_report.html", include_str!("../templates/public/jd_annual_report.html")),
        ("admin/jd_stats_period.html", include_str!("../templates/admin/jd_stats_period.html")),
        ("admin/jd_stats_group.html", include_str!("../templates/admin/jd_stats_group.html")),
        ("admin/jd_stats_site.html", include_str!("../templates/admin/jd_stats_site.html")),
        ("admin/jd_subscriptions.html", include_str!("../templates/admin/jd_subscriptions.html")),
        ("public/jd_subscribe.html", include_str!("../templates/public/jd_subscribe.html")),
        ("public/jd_subscribe_message.html", include_str!("../templates/public/jd_subscribe_message.html")),
        ("public/jd_subscribe_manage.html", include_str!("../templates/public/jd_subscribe_manage.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/supervision", get(group_page))
        .route("/admin/supervision/subscriptions", get(crate::subscriptions::admin::page))
        .route("/admin/supervision/run", post(run_now))
        .route("/admin/supervision/sites/{id}", get(site_page))
        .route("/admin/supervision/sites/{id}/settings", post(save_settings))
        .route("/admin/supervision/sites/{id}/report", get(report_page))
        .route("/admin/supervision/sites/{id}/report.xlsx", get(report_xlsx))
        .route("/admin/supervision/words", get(words_page).post(add_word))
        .route("/admin/supervision/words/import", post(import_words))
        .route("/admin/supervision/words/{id}/delete", post(delete_word))
        .route("/admin/supervision/annual", get(crate::annual::list_page))
        .route("/admin/supervision/annual/sites/{id}", get(crate::annual::report_page).post(crate::annual::save_form))
        .route("/admin/supervision/annual/sites/{id}/report.xlsx", get(crate::annual::report_xlsx))
        .route("/admin/supervision/annual/sites/{id}/publish", post(crate::annual::publish_form))
        .route("/admin/supervision/stats", get(crate::stats::group_page))
        .route("/admin/supervision/stats/sites/{id}", get(crate::stats::site_page))
        .route("/admin/supervision/stats/sites/{id}/stats.xlsx", get(crate::stats::site_xlsx))
}

fn finding_rows(s: &SiteReport) -> Vec<Value> {
    s.findings
        .iter()
        .map(|f| {
            let ind = indicators::indicator(&f.indicator);
            context! { label => ind.map_or(f.indicator.as_str(), |i| i.label), category => ind.map_or("", |i| i.category),
                subject => f.subject.clone(), detail => f.detail.clone(), fix_url => f.fix_url.clone(), warning => f.warning,
                veto => !f.warning && indicators::VETOES.iter().any(|v| v.indicators.contains(&f.indicator.as_str())) }
        })
        .collect()
}

fn verdict_class(v: indicators::Verdict) -> &'static str {
    match v {
        indicators::Verdict::Pass => "ok",
        _ => "bad",
    }
}

async fn group_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    let r = ops::report(&state, &staff, None).await?;
    let rows: Vec<Value> = r
        .sites
        .iter()
        .map(|s| {
            let a = &s.assessment;
            context! { id => s.site.id, name => s.site.name.clone(), verdict => a.verdict.label(), class => verdict_class(a.verdict),
                score => format!("{:.1}", a.score), vetoes => a.vetoes_reached(), problems => a.problems, warnings => a.warnings,
                veto_names => a.vetoes.iter().filter(|v| v.reached).map(|v| v.rule.label).collect::<Vec<_>>().join("、") }
        })
        .collect();
    let failing = r.sites.iter().filter(|s| s.assessment.verdict != indicators::Verdict::Pass).count();
    let can_words = staff.can(Perm::Supervise, &ResourceScope::platform());
    state.render(
        &ctx,
        "admin/jd_group.html",
        context! { rows, at => r.at, total => r.sites.len(), failing, can_words,
        vetoes => r.sites.iter().map(|s| s.assessment.vetoes_reached()).sum::<usize>(),
        problems => r.sites.iter().map(|s| s.assessment.problems).sum::<usize>(),
        warnings => r.sites.iter().map(|s| s.assessment.warnings).sum::<usize>() },
    )
}

async fn run_now(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    ops::run_and_store(&state, &ctx, &staff).await?;
    Ok(see_other("/admin/supervision?ok=checked"))
}

async fn site_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    form: Option<&SettingsInput>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let r = ops::report(state, staff, Some(id)).await?;
    let s = r.site(id).ok_or(AppError::NotFound)?;
    let a = &s.assessment;
    let saved = monitor::settings(&state.db).await?.into_iter().find(|x| x.site_id == id).unwrap_or_default();
    let form = form.map_or_else(
        || context! { probe_url => saved.probe_url.clone(), warning_email => saved.warning_email.clone() },
        |f| context! { probe_url => f.probe_url.clone(), warning_email => f.warning_email.clone() },
    );
    let probes = probe::recent(&state.db, id, r.at - 86_400).await?;
    let history = monitor::history(&state.db, id, 30).await?;
    let default_probe = probe::address(&s.site, "", &monitor::group_base(state));
    let page = context! {
        site => sv(&s.site), verdict => a.verdict.label(), class => verdict_class(a.verdict), score => format!("{:.1}", a.score),
        vetoes => a.vetoes.iter().map(|v| context! { label => v.rule.label, rule => v.rule.rule, count => v.count,
            threshold => v.rule.threshold, reached => v.reached, warnings => v.warnings }).collect::<Vec<_>>(),
        deductions => a.deductions.iter().map(|d| context! { label => d.indicator.label, category => d.indicator.category,
            count => d.count, points => format!("{:.1}", d.points), cap => format!("{:.0}", d.indicator.cap) }).collect::<Vec<_>>(),
        findings => finding_rows(s), problems => a.problems, warnings => a.warnings,
        probes => probes.iter().take(48).map(|p| context! { at => platform::fmt_time(p.at), url => p.url.clone(),
            status => p.status, ok => p.ok, millis => p.millis, error => p.error.clone() }).collect::<Vec<_>>(),
        history => history.iter().map(|h| context! { day => h.day.clone(), score => format!("{:.1}", h.score),
            verdict => indicators::Verdict::parse(&h.verdict).map_or("", |v| v.label()), vetoes => h.vetoes,
            problems => h.problems, warnings => h.warnings }).collect::<Vec<_>>(),
        form, errors, default_probe, at => platform::fmt_time(r.at),
    };
    Ok((status, state.render(ctx, "admin/jd_site.html", page)?).into_response())
}

async fn site_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    site_view(&state, &ctx, &staff, id, None, BTreeMap::new(), StatusCode::OK).await
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<SettingsInput>,
) -> Result<Response, AppError> {
    match ops::save_settings(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/supervision/sites/{id}?ok=saved#settings"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            site_view(&state, &ctx, &staff, id, Some(&input), errors, status).await
        }
    }
}

/// The self-check report's rows: every veto item and every indicator with its findings.
fn report_context(s: &SiteReport, at: i64) -> Value {
    let a = &s.assessment;
    let (year, quarter) = quarter_of(at);
    context! {
        site => sv(&s.site), year, quarter, at => platform::fmt_time(at), verdict => a.verdict.label(), score => format!("{:.1}", a.score),
        vetoes => a.vetoes.iter().map(|v| context! { label => v.rule.label, rule => v.rule.rule, count => v.count,
            result => if v.reached { "否决" } else { "通过" } }).collect::<Vec<_>>(),
        deductions => indicators::all().filter(|i| i.points > 0.0)
            .map(|i| { let d = a.deductions.iter().find(|d| d.indicator.key == i.key);
                context! { label => i.label, category => i.category, cap => format!("{:.0}", i.cap),
                    count => d.map_or(0, |d| d.count), points => format!("{:.1}", d.map_or(0.0, |d| d.points)) } })
            .collect::<Vec<_>>(),
        findings => finding_rows(s).into_iter().filter(|f| !f.get_attr("warning").map(|w| w.is_true()).unwrap_or(false)).collect::<Vec<_>>(),
    }
}

fn quarter_of(at: i64) -> (i32, u8) {
    let t = time::OffsetDateTime::from_unix_timestamp(at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    (t.year(), (u8::from(t.month()) - 1) / 3 + 1)
}

async fn report_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let r = ops::report(&state, &staff, Some(id)).await?;
    let s = r.site(id).ok_or(AppError::NotFound)?;
    state.render(&ctx, "admin/jd_report.html", report_context(s, r.at))
}

async fn report_xlsx(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = ops::report(&state, &staff, Some(id)).await?;
    let s = r.site(id).ok_or(AppError::NotFound)?;
    let bytes =
        crate::report::self_check_xlsx(s, r.at).map_err(|e| AppError::Internal(format!("自查报告生成失败：{e}")))?;
    let (year, quarter) = quarter_of(r.at);
    let name = format!("{}-{year}年第{quarter}季度自查报告.xlsx", s.site.name);
    Ok(platform::web::download(&format!("self-check-{year}q{quarter}.xlsx"), Some(&name), platform::web::XLSX, bytes))
}

// ---- 错敏词 -----------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ImportForm {
    lines: String,
    severity: String,
}

async fn words_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    form: &WordInput,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let rules = platform::content_check::word_rules(&state.db).await?;
    let can_edit = staff.can(Perm::Supervise, &ResourceScope::platform());
    let page = context! { rules => sv(&rules), can_edit, form => context! { wrong => form.wrong.clone(), correct => form.correct.clone(),
    severity => if form.severity.is_empty() { "general".to_owned() } else { form.severity.clone() }, note => form.note.clone() },
    severities => RULE_SEVERITIES.to_vec(), errors, notice };
    Ok((status, state.render(ctx, "admin/jd_words.html", page)?).into_response())
}

async fn words_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    words_view(&state, &ctx, &staff, &WordInput::default(), BTreeMap::new(), None, StatusCode::OK).await
}

async fn add_word(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<WordInput>,
) -> Result<Response, AppError> {
    match ops::save_word(&state, &ctx, &staff, None, &input).await {
        Ok(_) => Ok(see_other("/admin/supervision/words?ok=created")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            words_view(&state, &ctx, &staff, &input, errors, None, status).await
        }
    }
}

async fn import_words(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<ImportForm>,
) -> Result<Response, AppError> {
    let severity = if f.severity == "serious" { "serious" } else { "general" };
    let (added, skipped, problems) = ops::import_words(&state, &ctx, &staff, &f.lines, severity).await?;
    let mut notice = format!("新增 {added} 条，词库中已有 {skipped} 条");
    if !problems.is_empty() {
        notice.push_str(&format!("；{} 行有误：{}", problems.len(), problems.join("；")));
    }
    words_view(&state, &ctx, &staff, &WordInput::default(), BTreeMap::new(), Some(notice), StatusCode::OK).await
}

async fn delete_word(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ops::delete_word(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/supervision/words?ok=removed"))
}
