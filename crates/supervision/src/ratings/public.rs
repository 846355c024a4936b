//! The citizen's 机关效能评价窗口 under `/pingjia/`, inside the portal frame and usable without
//! JavaScript: the units with this year's 满意率 and a search for staff by name or post, a unit's
//! staff, a staff member's page (duties, office phone, this year's figures month by month, published
//! comments) with the rating form, the page after rating, and the staff photos.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::{Value, context};
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;

use super::domain::{self, Counts, RatingForm, Verdict};
use super::{Months, Rated, StaffMember};

pub static SECTION: Section =
    Section { name: "效能评价", root: "/pingjia/", nav: &[("/pingjia/", "评价窗口")] };

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pingjia/", get(index))
        .route("/pingjia/units/{id}", get(unit_page))
        .route("/pingjia/staff/{id}", get(staff_page).post(submit))
        .route("/pingjia/sent", get(sent_page))
        .route("/pingjia/photos/{file}", get(photo))
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    status: StatusCode,
    v: Value,
    private: bool,
) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, v, private).await
}

/// How a unit kind is grouped on the index.
fn kind_group(kind: &str) -> (u8, &'static str) {
    match kind {
        "bureau" => (0, "市政府部门"),
        "government" => (1, "区、县（市）政府"),
        _ => (2, "服务窗口和内设机构"),
    }
}

fn counts_value(c: &Counts) -> Value {
    context! { total => c.total(), satisfied => c.satisfied, basic => c.basic, unsatisfied => c.unsatisfied, rate => c.rate_text() }
}

fn staff_value(s: &StaffMember, c: &Counts, unit: &str) -> Value {
    context! {
        id => s.id, name => s.name.clone(), post => s.post.clone(), duties => s.duties.clone(),
        office_phone => s.office_phone.clone(), unit => unit,
        photo => if s.photo.is_empty() { String::new() } else { format!("/pingjia/photos/{}", s.photo) },
        initial => s.name.chars().next().map(String::from).unwrap_or_default(),
        counts => counts_value(c),
    }
}

#[derive(Debug, Default, Deserialize)]
struct IndexQuery {
    #[serde(default)]
    q: String,
}

async fn index(State(state): State<AppState>, ctx: Ctx, Query(q): Query<IndexQuery>) -> Result<Response, AppError> {
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let staff_counts = super::staff_counts(&state.db).await?;
    let year = Months::this_year();
    let by_unit = super::counts_by_unit(&state.db, &year).await?;
    let mut groups: BTreeMap<u8, (&str, Vec<Value>)> = BTreeMap::new();
    let mut all = Counts::default();
    for o in orgs.iter().filter(|o| staff_counts.contains_key(&o.id)) {
        let c = by_unit.get(&o.id).copied().unwrap_or_default();
        all.add(&c);
        let (order, label) = kind_group(&o.kind);
        groups.entry(order).or_insert((label, Vec::new())).1.push(context! {
            id => o.id, name => o.name.clone(), staff => staff_counts.get(&o.id).copied().unwrap_or(0), counts => counts_value(&c),
        });
    }
    let text = q.q.trim().chars().take(20).collect::<String>();
    let found = if text.is_empty() {
        Vec::new()
    } else {
        let names: BTreeMap<i64, &str> = orgs.iter().map(|o| (o.id, o.name.as_str())).collect();
        super::find_staff(&state.db, &text, 50)
            .await?
            .iter()
            .map(|s| staff_value(s, &Counts::default(), names.get(&s.org_id).copied().unwrap_or("")))
            .collect()
    };
    let v = context! {
        title => "机关效能评价", year => year.from[..4].to_owned(), q => text, found,
        groups => groups.into_values().map(|(name, units)| context! { name, units }).collect::<Vec<_>>(),
        all => counts_value(&all), staff_total => staff_counts.values().sum::<i64>(),
        nav_current => "/pingjia/",
    };
    page(&state, &ctx, "public/jd_rate_index.html", StatusCode::OK, v, false).await
}

async fn unit_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let org = platform::accounts::org_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let staff = super::staff_of(&state.db, id, true).await?;
    if staff.is_empty() {
        return Err(AppError::NotFound);
    }
    let year = Months::this_year();
    let counts = super::counts_by_staff(&state.db, id, &year).await?;
    let mut all = Counts::default();
    let list: Vec<Value> = staff
        .iter()
        .map(|s| {
            let c = counts.get(&s.id).copied().unwrap_or_default();
            all.add(&c);
            staff_value(s, &c, &org.name)
        })
        .collect();
    let v = context! {
        title => org.name.clone(), staff => list, all => counts_value(&all), year => year.from[..4].to_owned(),
        nav_current => "/pingjia/", crumbs => vec![("/pingjia/".to_owned(), "机关效能评价".to_owned()), (String::new(), org.name.clone())],
    };
    page(&state, &ctx, "public/jd_rate_unit.html", StatusCode::OK, v, false).await
}

async fn staff_of_path(state: &AppState, id: i64) -> Result<(StaffMember, String), AppError> {
    let s = super::staff(&state.db, id).await?.filter(|s| s.active).ok_or(AppError::NotFound)?;
    let org = platform::accounts::org_by_id(&state.db, s.org_id).await?.ok_or(AppError::NotFound)?;
    Ok((s, org.name))
}

async fn staff_view(
    state: &AppState,
    ctx: &Ctx,
    s: &StaffMember,
    unit: &str,
    form: &RatingForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let year = Months::this_year();
    let months = super::counts_by_month(&state.db, s.id, &year).await?;
    let mut all = Counts::default();
    let rows: Vec<Value> = months
        .iter()
        .map(|(m, c)| {
            all.add(c);
            context! { month => format!("{}年{}月", &m[..4], m[5..].trim_start_matches('0')), counts => counts_value(c) }
        })
        .collect();
    let comments: Vec<Value> = super::published_comments(&state.db, s.id, 20)
        .await?
        .iter()
        .map(|r| context! { verdict => r.verdict_label(), comment => r.comment.clone(), date => platform::fmt_date(r.created_at) })
        .collect();
    let v = context! {
        title => format!("{}（{}）", s.name, unit), person => staff_value(s, &all, unit), months => rows,
        year => year.from[..4].to_owned(), comments,
        verdicts => Verdict::ALL.iter().map(|v| context! { code => v.code().to_string(), label => v.label() }).collect::<Vec<_>>(),
        form => sv(form), errors, comment_max => domain::COMMENT_MAX,
        captcha => sv(state.captcha.issue()), once => intake::submission_token(),
        nav_current => "/pingjia/",
        crumbs => vec![
            ("/pingjia/".to_owned(), "机关效能评价".to_owned()),
            (format!("/pingjia/units/{}", s.org_id), unit.to_owned()),
            (String::new(), s.name.clone()),
        ],
    };
    page(state, ctx, "public/jd_rate_staff.html", status, v, true).await
}

async fn staff_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (s, unit) = staff_of_path(&state, id).await?;
    staff_view(&state, &ctx, &s, &unit, &RatingForm::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let (s, unit) = staff_of_path(&state, id).await?;
    let once =
        match intake::claim(&state.db, "staff_rating", f.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, "/pingjia/sent")),
        };
    let form = RatingForm { verdict: get("verdict"), comment: get("comment") };
    let (voter, cookie) = intake::browser_voter(&state, &headers);
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            (BTreeMap::from([("captcha".to_owned(), e.to_owned())]), StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match domain::check_rating(&form) {
                Err(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
                Ok(rating) => match super::rate(&state, &s, &rating, &voter, &ctx.ip).await {
                    Ok(r) => {
                        once.settle(&state.db, &serde_json::to_value(&r).unwrap_or_default()).await?;
                        let mut res = once.redirect(&state, "/pingjia/sent");
                        if let Some(c) = cookie {
                            res.headers_mut().append(header::SET_COOKIE, c);
                        }
                        return Ok(res);
                    }
                    Err(e) => {
                        let (status, errors) = form_errors(e)?;
                        (errors, status)
                    }
                },
            }
        };
    once.release(&state.db).await?;
    let mut res = staff_view(&state, &ctx, &s, &unit, &form, errors, status).await?;
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

async fn sent_page(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(r) = intake::receipt_of_request(&state.db, "staff_rating", &headers)
        .await?
        .and_then(|v| serde_json::from_value::<Rated>(v).ok())
    else {
        return Ok(platform::web::see_other("/pingjia/"));
    };
    let v = context! {
        title => "评价已提交", staff_id => r.staff_id, staff_name => r.staff_name, verdict => r.verdict,
        nav_current => "/pingjia/",
    };
    page(&state, &ctx, "public/jd_rate_sent.html", StatusCode::OK, v, true).await
}

/// A staff photo. Names are random and change with the photo, so a browser may keep it a year.
async fn photo(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let path = super::photo_path(&state, &file).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
    let mime = if file.ends_with(".png") { "image/png" } else { "image/jpeg" };
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}
