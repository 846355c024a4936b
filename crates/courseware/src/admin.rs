//! 课件库 in the back office (editors): the items with their category and state, the form that
//! uploads a video (checked as MP4, its duration read), poster, captions and handout or takes an
//! external stream address, and the categories.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::{Value, context};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use crate::domain::{self, CourseInput};
use crate::store;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/kj_list.html", include_str!("../templates/admin/kj_list.html")),
        ("admin/kj_form.html", include_str!("../templates/admin/kj_form.html")),
        ("admin/kj_categories.html", include_str!("../templates/admin/kj_categories.html")),
        ("public/kj_index.html", include_str!("../templates/public/kj_index.html")),
        ("public/kj_category.html", include_str!("../templates/public/kj_category.html")),
        ("public/kj_item.html", include_str!("../templates/public/kj_item.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/courseware", get(list_page))
        .route("/admin/courseware/categories", get(categories_page).post(category_add))
        .route(
            "/admin/courseware/new",
            get(new_page).post(create).layer(DefaultBodyLimit::max(store::VIDEO_MAX_BYTES + (30 << 20))),
        )
        .route(
            "/admin/courseware/{id}",
            get(edit_page).post(update).layer(DefaultBodyLimit::max(store::VIDEO_MAX_BYTES + (30 << 20))),
        )
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    category: Option<i64>,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 50;

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let cats = store::categories(&state.db).await?;
    let rows = store::list(&state.db, q.category, false, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|c| c.id)).flatten();
    let rows: Vec<Value> = rows
        .iter()
        .map(|c| {
            context! { c => sv(c), duration => domain::clock(c.duration),
            category => cats.iter().find(|x| x.id == c.category_id).map(|x| x.name.clone()).unwrap_or_default() }
        })
        .collect();
    let page = context! { rows, next, categories => sv(&cats), category => q.category };
    Ok(state.render(&ctx, "admin/kj_list.html", page)?.into_response())
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &CourseInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let existing = if id > 0 { Some(store::get(&state.db, id).await?) } else { None };
    let page = context! {
        id, form => sv(form), errors, categories => sv(store::categories(&state.db).await?),
        existing => existing.as_ref().map(|c| context! { video => !c.video_sha.is_empty(), size_mb => c.video_size as f64 / 1_048_576.0,
            duration => domain::clock(c.duration), poster => !c.poster_sha.is_empty(), captions => !c.captions.is_empty(),
            handout => c.handout_name.clone(), published => c.published }),
        max_mb => store::VIDEO_MAX_BYTES >> 20,
    };
    Ok((status, state.render(ctx, "admin/kj_form.html", page)?).into_response())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    form_view(&state, &ctx, 0, &CourseInput::default(), BTreeMap::new(), StatusCode::OK).await
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let c = store::get(&state.db, id).await?;
    let form = CourseInput {
        category: c.category_id.to_string(),
        title: c.title,
        summary: c.summary,
        teacher: c.teacher,
        stream_url: c.stream_url.clone(),
        minutes: if c.stream_url.is_empty() { String::new() } else { (c.duration / 60).to_string() },
        published: c.published,
    };
    form_view(&state, &ctx, id, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn save(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64, mp: Multipart) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let dir = store::spool_dir(&state.config.data_dir);
    let spool = platform::web::extract::Spool { dir: &dir, fields: &["video"] };
    let form = platform::web::extract::read_multipart_spooled(mp, Some(spool)).await?;
    let (fields, uploads) = (form.fields, form.files);
    let video = form.spooled.into_iter().find(|f| f.field == "video");
    let csrf = fields.get("_csrf").cloned().unwrap_or_default();
    ctx.require_form_token(&csrf)?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let input = CourseInput {
        category: get("category"),
        title: get("title"),
        summary: get("summary"),
        teacher: get("teacher"),
        stream_url: get("stream_url"),
        minutes: get("minutes"),
        published: get("published") == "on",
    };
    match store::save(state, ctx, staff, id, &input, &uploads, video).await {
        Ok(id) => Ok(see_other(&format!("/admin/courseware/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            form_view(state, ctx, id, &input, errors, status).await
        }
    }
}

async fn create(State(state): State<AppState>, ctx: Ctx, staff: Staff, mp: Multipart) -> Result<Response, AppError> {
    save(&state, &ctx, &staff, 0, mp).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    store::get(&state.db, id).await?;
    save(&state, &ctx, &staff, id, mp).await
}

async fn categories_view(
    state: &AppState,
    ctx: &Ctx,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = context! { categories => sv(store::categories(&state.db).await?), errors };
    Ok((status, state.render(ctx, "admin/kj_categories.html", page)?).into_response())
}

async fn categories_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    categories_view(&state, &ctx, BTreeMap::new(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct CategoryForm {
    /// 分类名称（如：蔬菜种植）
    #[serde(default)]
    pub name: String,
}

async fn category_add(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<CategoryForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    match store::add_category(&state, &ctx, &f.name).await {
        Ok(_) => Ok(see_other("/admin/courseware/categories?ok=saved")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            categories_view(&state, &ctx, errors, status).await
        }
    }
}
