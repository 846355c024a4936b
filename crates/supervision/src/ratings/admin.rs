//! 效能评价 in the back office (监督考核 permission, scoped to the units a user holds it on): the
//! moderation queue (采纳 / 不予采纳 with a reason), statistics per unit and staff member for a
//! year, and the staff records with their photos.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::OrgUnit;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use super::domain::{Counts, StaffInput};
use super::{Months, StaffMember};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/jd_ratings.html", include_str!("../../templates/admin/jd_ratings.html")),
        ("admin/jd_rated_staff.html", include_str!("../../templates/admin/jd_rated_staff.html")),
        ("admin/jd_rated_person.html", include_str!("../../templates/admin/jd_rated_person.html")),
        ("admin/jd_staff_fields.html", include_str!("../../templates/admin/jd_staff_fields.html")),
        ("public/jd_rate_index.html", include_str!("../../templates/public/jd_rate_index.html")),
        ("public/jd_rate_unit.html", include_str!("../../templates/public/jd_rate_unit.html")),
        ("public/jd_rate_staff.html", include_str!("../../templates/public/jd_rate_staff.html")),
        ("public/jd_rate_sent.html", include_str!("../../templates/public/jd_rate_sent.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/supervision/ratings", get(ratings_page))
        .route("/admin/supervision/ratings/{id}/moderate", post(moderate))
        .route("/admin/supervision/ratings/publish-plain", post(publish_plain))
        .route("/admin/supervision/staff", get(staff_list).post(staff_create))
        .route("/admin/supervision/staff/{id}", get(person_page).post(person_save))
        .route("/admin/supervision/staff/{id}/photo", post(photo_upload).layer(DefaultBodyLimit::max(4 << 20)))
}

/// The units the user manages, for lists and choices.
fn my_units<'a>(staff: &Staff, orgs: &'a [OrgUnit]) -> Vec<&'a OrgUnit> {
    let mine = super::managed_units(staff, orgs);
    orgs.iter().filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id))).collect()
}

fn unit_options(units: &[&OrgUnit]) -> Vec<Value> {
    units.iter().map(|o| context! { id => o.id, name => o.name.clone() }).collect()
}

fn counts_value(c: &Counts) -> Value {
    context! { total => c.total(), satisfied => c.satisfied, basic => c.basic, unsatisfied => c.unsatisfied, rate => c.rate_text() }
}

#[derive(Debug, Default, Deserialize)]
struct YearQuery {
    #[serde(default)]
    year: Option<i32>,
    /// How many the last bulk 采纳 published (shown once after it).
    #[serde(default)]
    published: Option<i64>,
}

fn months_of(year: Option<i32>) -> Months {
    let this = platform::calendar::today().year();
    Months::year(year.filter(|y| (2000..=this).contains(y)).unwrap_or(this))
}

async fn ratings_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let units = my_units(&staff, &orgs);
    let managed = super::managed_units(&staff, &orgs);
    let pending = super::queue(&state.db, managed.as_deref(), 100).await?;
    let pending_total = super::pending_count(&state.db, managed.as_deref()).await?;
    let plain_total = state
        .db
        .count(
            platform::db::sql("SELECT COUNT(*) FROM staff_rating WHERE state = 'pending' AND comment = ''")
                .and_within("org_id", managed.as_deref()),
        )
        .await?;
    let mut queue = Vec::new();
    let names = super::names(&state.db, pending.iter().map(|r| r.staff_id)).await?;
    for r in &pending {
        let person = names.get(&r.staff_id).cloned().unwrap_or_default();
        let unit = orgs.iter().find(|o| o.id == r.org_id).map(|o| o.name.clone()).unwrap_or_default();
        queue.push(context! { r => sv(r), verdict => r.verdict_label(), person, unit });
    }
    let months = months_of(q.year);
    let by_unit = super::counts_by_unit(&state.db, &months).await?;
    let staff_counts = super::staff_counts(&state.db).await?;
    let mut rows: Vec<(Option<i64>, Value)> = units
        .iter()
        .filter(|o| staff_counts.contains_key(&o.id))
        .map(|o| {
            let c = by_unit.get(&o.id).copied().unwrap_or_default();
            (c.rate_permille(), context! { id => o.id, name => o.name.clone(), staff => staff_counts.get(&o.id).copied().unwrap_or(0), counts => counts_value(&c) })
        })
        .collect();
    // Ranked by 满意率, units without ratings last.
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let this = platform::calendar::today().year();
    let page = context! {
        queue, pending_total, plain_total, published => q.published, rows => rows.into_iter().map(|r| r.1).collect::<Vec<_>>(),
        year => months.from[..4].to_owned(), years => (this - 4..=this).rev().collect::<Vec<_>>(),
    };
    Ok(state.render(&ctx, "admin/jd_ratings.html", page)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ModerateForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn moderate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ModerateForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let publish = match f.decision.as_str() {
        "publish" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("未知的处理方式".into())),
    };
    super::moderate(&state, &ctx, &staff, id, publish, &f.reason).await?;
    Ok(see_other(&format!("/admin/supervision/ratings?ok={}", if publish { "approve" } else { "reject" })))
}

async fn publish_plain(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let n = super::publish_plain(&state, &ctx, &staff).await?;
    Ok(see_other(&format!("/admin/supervision/ratings?published={n}")))
}

/// The 待办 of the window: ratings waiting for moderation in the units the user manages.
pub async fn todos(state: &AppState, auth: &platform::web::Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    if !auth.holds_anywhere(Perm::Supervise) {
        return Ok(Vec::new());
    }
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let count = super::pending_count(&state.db, super::managed_units(auth, &orgs).as_deref()).await?;
    Ok(vec![platform::web::Todo {
        section: "监督考核",
        label: "效能评价待审核",
        count,
        href: "/admin/supervision/ratings".into(),
        urgent: false,
        nav: Some("/admin/supervision/ratings"),
    }])
}

#[derive(Debug, Default, Deserialize)]
struct UnitQuery {
    #[serde(default)]
    unit: Option<i64>,
}

async fn staff_list(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<UnitQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let form = StaffInput { org_id: q.unit.unwrap_or(0), active: true, ..StaffInput::default() };
    list_view(&state, &ctx, &staff, q.unit, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn list_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    unit: Option<i64>,
    form: &StaffInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let units = my_units(staff, &orgs);
    let unit = unit.filter(|u| units.iter().any(|o| o.id == *u)).or_else(|| units.first().map(|o| o.id));
    let (people, counts) = match unit {
        Some(u) => (
            super::staff_of(&state.db, u, false).await?,
            super::counts_by_staff(&state.db, u, &Months::this_year()).await?,
        ),
        None => (Vec::new(), Default::default()),
    };
    let people: Vec<Value> = people
        .iter()
        .map(|p| context! { p => sv(p), counts => counts_value(&counts.get(&p.id).copied().unwrap_or_default()) })
        .collect();
    let page = context! { units => unit_options(&units), unit, people, form => sv(form), errors };
    let html = state.render(ctx, "admin/jd_rated_staff.html", page)?;
    Ok((status, html).into_response())
}

/// The staff form's fields (a checkbox is absent when unticked).
fn staff_form(f: &BTreeMap<String, String>) -> StaffInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    StaffInput {
        org_id: get("org_id").trim().parse().unwrap_or(0),
        name: get("name"),
        post: get("post"),
        duties: get("duties"),
        office_phone: get("office_phone"),
        sort_order: get("sort_order").trim().parse().unwrap_or(0),
        active: f.contains_key("active"),
    }
}

async fn staff_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let form = staff_form(&f);
    match super::save_staff(&state, &ctx, &staff, None, &form).await {
        Ok(id) => Ok(see_other(&format!("/admin/supervision/staff/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            list_view(&state, &ctx, &staff, Some(form.org_id), &form, errors, status).await
        }
    }
}

async fn person_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    person: &StaffMember,
    form: &StaffInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let units = my_units(staff, &orgs);
    let months = super::counts_by_month(&state.db, person.id, &Months::this_year()).await?;
    let months: Vec<Value> =
        months.iter().map(|(m, c)| context! { month => m.clone(), counts => counts_value(c) }).collect();
    let page = context! {
        person => sv(person), form => sv(form), errors, units => unit_options(&units), months,
        photo => if person.photo.is_empty() { String::new() } else { format!("/pingjia/photos/{}", person.photo) },
    };
    let html = state.render(ctx, "admin/jd_rated_person.html", page)?;
    Ok((status, html).into_response())
}

/// A staff member the user manages.
async fn managed_person(state: &AppState, staff: &Staff, id: i64) -> Result<StaffMember, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let person = super::staff(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    if super::managed_units(staff, &orgs).is_some_and(|m| !m.contains(&person.org_id)) {
        return Err(AppError::Forbidden("您只能管理本单位及下属单位的工作人员和评价".into()));
    }
    Ok(person)
}

async fn person_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let person = managed_person(&state, &staff, id).await?;
    person_view(&state, &ctx, &staff, &person, &person.input(), BTreeMap::new(), StatusCode::OK).await
}

async fn person_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let person = managed_person(&state, &staff, id).await?;
    let form = staff_form(&f);
    match super::save_staff(&state, &ctx, &staff, Some(id), &form).await {
        Ok(_) => Ok(see_other(&format!("/admin/supervision/staff/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            person_view(&state, &ctx, &staff, &person, &form, errors, status).await
        }
    }
}

async fn photo_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (fields, files) = platform::web::extract::read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let person = managed_person(&state, &staff, id).await?;
    let result = match files.into_iter().find(|f| f.field == "photo" && !f.bytes.is_empty()) {
        Some(f) => super::set_photo(&state, &ctx, &staff, id, &f.name, &f.bytes).await,
        None => Err(AppError::invalid("photo", "请选择照片文件（JPG 或 PNG）")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/supervision/staff/{id}?ok=uploaded"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            person_view(&state, &ctx, &staff, &person, &person.input(), errors, status).await
        }
    }
}
