//! 政务值班 in the back office: today's duty (who is on duty, the units' 零报告 with the missing ones
//! in red after 16:00, open events with their next deadline, the log and its form), the month's
//! roster with rotation and overrides, one event with its reports, and one's own iCalendar feed.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, after_post, see_other, sv};
use serde::Deserialize;

use super::domain::{Level, Role, Stage};
use super::{IncidentInput, LogInput, ReportInput, RotationInput, ShiftInput};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/of_duty.html", include_str!("../../templates/admin/of_duty.html")),
        ("admin/of_duty_roster.html", include_str!("../../templates/admin/of_duty_roster.html")),
        ("admin/of_duty_incident.html", include_str!("../../templates/admin/of_duty_incident.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/office/duty", get(today_page))
        .route("/admin/office/duty/zero", post(zero))
        .route("/admin/office/duty/log", post(log))
        .route("/admin/office/duty/incidents", post(open))
        .route("/admin/office/duty/incidents/{id}", get(incident_page).post(report))
        .route("/admin/office/duty/roster", get(roster_page))
        .route("/admin/office/duty/roster/rotate", post(rotate))
        .route("/admin/office/duty/roster/shift", post(set_shift))
        .route("/admin/office/duty/my.ics", get(my_ics))
        .route("/admin/office/duty/roster/swaps", post(swap_request))
        .route("/admin/office/duty/roster/swaps/{id}", post(swap_decide))
}

/// The workbench's counts: today's 零报告 not yet given by one's units (urgent after 16:00), and
/// events whose next report is late.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    if !auth.holds_anywhere(Perm::OfficeExchange) && !super::is_office(auth) {
        return Ok(Vec::new());
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let (zero, past_cutoff) = super::zero_status(&state.db, &orgs).await?;
    let mine = if super::is_office(auth) { None } else { auth.units_with(Perm::OfficeExchange, &orgs) };
    let missing = zero.iter().filter(|(u, at)| at.is_none() && mine.as_ref().is_none_or(|m| m.contains(u))).count();
    let now = platform::db::now();
    let late = super::open_incidents(&state.db)
        .await?
        .iter()
        .filter(|i| mine.as_ref().is_none_or(|m| m.contains(&i.unit_id)))
        .filter(|i| i.next_due().is_some_and(|(_, due)| due < now))
        .count();
    let todo = |label: &'static str, count: usize, urgent: bool| platform::web::Todo {
        section: "协同办公",
        label,
        count: count as i64,
        href: "/admin/office/duty".into(),
        urgent,
        nav: Some("/admin/office/duty"),
    };
    Ok(vec![todo("今日零报告未报", missing, past_cutoff), todo("突发事件报告超时", late, true)])
}

fn require_read(staff: &Staff) -> Result<(), AppError> {
    if super::may_read(staff) { Ok(()) } else { staff.require_anywhere(Perm::DutyManage) }
}

/// What the duty page's forms send, and keep when refused.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct DutyForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    occurred_at: String,
}

async fn today_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    form: &DutyForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let day = super::today();
    let orgs = accounts::list_orgs(&state.db).await?;
    let office = super::is_office(auth);
    let mine = auth.units_with(Perm::OfficeExchange, &orgs);
    let (zero, past_cutoff) = super::zero_status(&state.db, &orgs).await?;
    let zero: Vec<Value> = zero
        .iter()
        .filter(|(u, _)| office || mine.as_ref().is_none_or(|m| m.contains(u)))
        .map(|(u, at)| {
            let code = orgs.iter().find(|o| o.id == *u).map(|o| o.code.clone()).unwrap_or_default();
            context! { unit => accounts::org_name(&orgs, *u), code, at, missing => at.is_none() && past_cutoff, mine => mine.as_ref().is_none_or(|m| m.contains(u)) && auth.holds_anywhere(Perm::OfficeExchange) }
        })
        .collect();
    let now = platform::db::now();
    let incidents = if office {
        super::open_incidents(&state.db).await?
    } else {
        super::recent_incidents(&state.db, mine.as_deref()).await?
    };
    let incidents: Vec<Value> = incidents
        .iter()
        .map(|i| {
            let next = i.next_due();
            context! {
                i => sv(i), unit => accounts::org_name(&orgs, i.unit_id), level => i.level().label(),
                next_stage => next.map(|(s, _)| s.label()), due => next.map(|(_, d)| d), late => next.is_some_and(|(_, d)| d < now),
            }
        })
        .collect();
    let shifts = super::shifts(&state.db, &day, &day).await?;
    let on_duty: Vec<Value> = Role::ALL
        .iter()
        .map(|r| context! { role => r.label(), s => shifts.iter().find(|s| s.role == r.code()).map(sv) })
        .collect();
    let log: Vec<Value> = if office {
        super::log_of(&state.db, &day)
            .await?
            .iter()
            .map(|e| context! { e => sv(e), kind => super::kind_label(&e.kind) })
            .collect()
    } else {
        Vec::new()
    };
    let units: Vec<(String, String)> =
        orgs.iter().filter(|o| o.kind != "division").map(|o| (o.code.clone(), o.name.clone())).collect();
    let levels: Vec<(&str, &str)> = Level::ALL.iter().map(|l| (l.code(), l.label())).collect();
    let page = context! {
        day, office, zero, past_cutoff, incidents, on_duty, log, units, levels, form => sv(form), errors,
    };
    Ok((status, state.render(ctx, "admin/of_duty.html", page)?).into_response())
}

async fn today_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    require_read(&staff)?;
    today_view(&state, &ctx, &staff, &DutyForm::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn outcome(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    form: &DutyForm,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    after_post(result, "/admin/office/duty?ok=saved", "form", |errors, status| {
        today_view(state, ctx, staff, form, errors, status)
    })
    .await
}

async fn zero(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<DutyForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::zero_report(&state, &ctx, &staff, &f.unit, &f.note).await;
    outcome(&state, &ctx, &staff, &f, r).await
}

async fn log(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<DutyForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let r = super::log(&state, &ctx, &staff, &LogInput { kind: f.kind.clone(), text: f.text.clone() }).await.map(drop);
    outcome(&state, &ctx, &staff, &f, r).await
}

async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<DutyForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let input = IncidentInput {
        unit: f.unit.clone(),
        title: f.title.clone(),
        level: f.level.clone(),
        occurred_at: f.occurred_at.clone(),
    };
    match super::open_incident(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/office/duty/incidents/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            today_view(&state, &ctx, &staff, &f, errors, status).await
        }
    }
}

async fn incident_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    form: &ReportInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (i, orgs, unit) = super::visible(state, auth, id).await?;
    let reports: Vec<Value> = super::reports(&state.db, id)
        .await?
        .iter()
        .map(|r| context! { r => sv(r), stage => Stage::parse(&r.stage).map(|s| s.label()) })
        .collect();
    let next = i.next_due();
    let stages: Vec<(&str, &str)> = Stage::ALL
        .iter()
        .filter(|s| super::domain::may_report(i.last_report_at.is_some(), i.closed(), **s))
        .map(|s| (s.code(), s.label()))
        .collect();
    let page = context! {
        i => sv(&i), unit_name => accounts::org_name(&orgs, i.unit_id), level => i.level().label(), reports,
        next_stage => next.map(|(s, _)| s.label()), due => next.map(|(_, d)| d), late => next.is_some_and(|(_, d)| d < platform::db::now()),
        may_report => unit && !stages.is_empty(), stages, form => sv(form), errors,
        limits => context! { initial => i.level().initial_minutes(), followup => i.level().followup_minutes() },
    };
    Ok((status, state.render(ctx, "admin/of_duty_incident.html", page)?).into_response())
}

async fn incident_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    incident_view(&state, &ctx, &staff, id, &ReportInput::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ReportInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    match super::report(&state, &ctx, &staff, id, &f).await {
        Ok(()) => Ok(see_other(&format!("/admin/office/duty/incidents/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = platform::web::error::form_errors_at(e, "stage")?;
            incident_view(&state, &ctx, &staff, id, &f, errors, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct MonthQuery {
    #[serde(default)]
    month: String,
}

/// The roster page's forms: a rotation, and one day's override.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct RosterForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    with_day: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

async fn roster_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    month: &str,
    form: &RosterForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let month = if platform::calendar::date(&format!("{month}-01")).is_some() {
        month.to_owned()
    } else {
        super::today()[..7].to_owned()
    };
    let first = platform::calendar::date(&format!("{month}-01")).unwrap_or_else(platform::calendar::today);
    let next = platform::calendar::add_months(first, 1);
    let last = platform::calendar::date_text(next - time::Duration::days(1));
    let shifts = super::shifts(&state.db, &platform::calendar::date_text(first), &last).await?;
    let cal = platform::calendar::load(&state.db).await?;
    let mut days = Vec::new();
    let mut d = first;
    while d < next {
        let text = platform::calendar::date_text(d);
        let pick = |r: Role| shifts.iter().find(|s| s.day == text && s.role == r.code()).map(sv);
        days.push(context! { day => text.clone(), holiday => !cal.is_workday(d), leader => pick(Role::Leader), officer => pick(Role::Officer) });
        d += time::Duration::days(1);
    }
    let prev_month = platform::calendar::date_text(first - time::Duration::days(1))[..7].to_owned();
    let today = super::today();
    let mine = super::upcoming_shifts(&state.db, auth.user.id, 6).await?;
    let swaps: Vec<Value> = super::swaps::list(&state.db, 30)
        .await?
        .iter()
        .map(|x| context! { s => sv(x), state_label => x.state_label(), role_label => x.role_label() })
        .collect();
    let page = context! {
        month, days, office => super::is_office(auth), form => sv(form), errors, today,
        mine => mine.iter().map(|x| context! { day => x.day.clone(), role => x.role.clone(), label => Role::parse(&x.role).map(Role::label) }).collect::<Vec<_>>(),
        swaps,
        next_month => platform::calendar::date_text(next)[..7].to_owned(), prev_month,
        roles => Role::ALL.iter().map(|r| (r.code(), r.label())).collect::<Vec<_>>(),
    };
    Ok((status, state.render(ctx, "admin/of_duty_roster.html", page)?).into_response())
}

async fn roster_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    roster_view(&state, &ctx, &staff, &q.month, &RosterForm::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn rotate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<RosterForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let days = f.days.trim().parse().unwrap_or(0);
    let input = RotationInput { role: f.role.clone(), people: f.people.clone(), start: f.start.clone(), days };
    match super::rotate(&state, &ctx, &staff, &input).await {
        Ok(_) => {
            Ok(see_other(&format!("/admin/office/duty/roster?month={}&ok=saved", f.start.get(..7).unwrap_or_default())))
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            roster_view(&state, &ctx, &staff, f.start.get(..7).unwrap_or_default(), &f, errors, status).await
        }
    }
}

/// A request to trade one's duty day (the roster page's form).
async fn swap_request(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<RosterForm>,
) -> Result<Response, AppError> {
    require_read(&staff)?;
    let input = super::swaps::SwapInput {
        role: f.role.clone(),
        day: f.day.clone(),
        with_day: f.with_day.clone(),
        reason: f.reason.clone(),
    };
    let month = f.day.get(..7).unwrap_or_default().to_owned();
    match super::swaps::request(&state, &ctx, &staff, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/office/duty/roster?month={month}&ok=saved#swaps"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            roster_view(&state, &ctx, &staff, &month, &f, errors, status).await
        }
    }
}

/// The duty office's decision on a request.
async fn swap_decide(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<RosterForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let s = super::swaps::get(&state.db, id).await?;
    let month = s.day.get(..7).unwrap_or_default().to_owned();
    match super::swaps::decide(&state, &ctx, &staff, id, &f.decision, &f.note).await {
        Ok(()) => Ok(see_other(&format!("/admin/office/duty/roster?month={month}&ok=saved#swaps"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            roster_view(&state, &ctx, &staff, &month, &f, errors, status).await
        }
    }
}

async fn set_shift(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<RosterForm>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let input = ShiftInput { person: f.person.clone(), phone: f.phone.clone(), account: f.account.clone() };
    match super::set_shift(&state, &ctx, &staff, &f.day, &f.role, &input).await {
        Ok(()) => {
            Ok(see_other(&format!("/admin/office/duty/roster?month={}&ok=saved", f.day.get(..7).unwrap_or_default())))
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            roster_view(&state, &ctx, &staff, f.day.get(..7).unwrap_or_default(), &f, errors, status).await
        }
    }
}

async fn my_ics(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    require_read(&staff)?;
    let text = super::ics_for(&state.db, staff.user.id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"duty.ics\""),
        ],
        text,
    )
        .into_response())
}
