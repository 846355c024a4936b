//! 课件库 for the public under `/kejian/`, in the portal frame and without JavaScript: the
//! categories, a category's items, one item played by the browser's own `<video>` element (with
//! captions when there are some), the video served with range requests from the file store,
//! the poster, captions and handout, and a rating once per browser.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;
use tower::ServiceExt;

use crate::domain;
use crate::store::{self, Course};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/kejian/", get(index))
        .route("/kejian/c/{id}/", get(category))
        .route("/kejian/{id}", get(item))
        .route("/kejian/{id}/video.mp4", get(video))
        .route("/kejian/{id}/captions.vtt", get(captions))
        .route("/kejian/{id}/poster", get(poster))
        .route("/kejian/{id}/handout.pdf", get(handout))
        .route("/kejian/{id}/rate", post(rate))
}

pub static SECTION: Section =
    Section { name: "远程教育课件", root: "/kejian/", nav: &[("/kejian/", "课件分类")] };

fn card(c: &Course, cats: &[store::Category]) -> Value {
    context! {
        id => c.id, title => c.title.clone(), teacher => c.teacher.clone(), duration => domain::clock(c.duration),
        category => cats.iter().find(|x| x.id == c.category_id).map(|x| x.name.clone()).unwrap_or_default(),
        views => c.views, rating => domain::average(c.rating_sum, c.rating_count), poster => !c.poster_sha.is_empty(),
        captions => !c.captions.is_empty(),
    }
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let cats = store::categories(&state.db).await?;
    let latest: Vec<Value> =
        store::list(&state.db, None, true, None, 8).await?.iter().map(|c| card(c, &cats)).collect();
    let total: i64 = cats.iter().map(|c| c.items).sum();
    let page =
        context! { title => "农村远程教育课件库", categories => sv(&cats), latest, total, nav_current => "/kejian/" };
    state.public_response(&ctx, &SECTION, "public/kj_index.html", StatusCode::OK, page, false).await
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 24;

async fn category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let cats = store::categories(&state.db).await?;
    let cat = cats.iter().find(|c| c.id == id).ok_or(AppError::NotFound)?;
    let rows = store::list(&state.db, Some(id), true, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|c| c.id)).flatten();
    let page = context! {
        title => cat.name.clone(), cat => sv(cat), items => rows.iter().map(|c| card(c, &cats)).collect::<Vec<_>>(), next,
        nav_current => "/kejian/", crumbs => vec![("/kejian/".to_owned(), "课件库".to_owned()), (String::new(), cat.name.clone())],
    };
    state.public_response(&ctx, &SECTION, "public/kj_category.html", StatusCode::OK, page, false).await
}

async fn item_view(
    state: &AppState,
    ctx: &Ctx,
    c: &Course,
    notice: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let cats = store::categories(&state.db).await?;
    let cat = cats.iter().find(|x| x.id == c.category_id).map(|x| x.name.clone()).unwrap_or_default();
    let page = context! {
        title => c.title.clone(), c => card(c, &cats), summary => c.summary.clone(), video => !c.video_sha.is_empty(),
        stream => c.stream_url.clone(), hls => platform::media::StreamKind::of(&c.stream_url) == platform::media::StreamKind::Hls, handout => c.handout_name.clone(),
        ratings => c.rating_count, notice,
        nav_current => "/kejian/",
        crumbs => vec![("/kejian/".to_owned(), "课件库".to_owned()), (format!("/kejian/c/{}/", c.category_id), cat), (String::new(), c.title.clone())],
    };
    let mut res = state.public_response(ctx, &SECTION, "public/kj_item.html", status, page, !notice.is_empty()).await?;
    if !c.stream_url.is_empty() {
        // The browser's player loads an external stream from its own server.
        platform::web::headers::set_public_policy(res.headers_mut(), None, &[c.stream_url.as_str()]);
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct RatedQuery {
    #[serde(default)]
    rated: String,
}

async fn item(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<RatedQuery>,
) -> Result<Response, AppError> {
    let c = store::published(&state.db, id).await?;
    store::count_view(&state.db, id).await;
    let notice = match q.rated.as_str() {
        "1" => "感谢您的评分！",
        "0" => "您已经评过分了。",
        _ => "",
    };
    // The rating form's sender is known by the browser's token, set here on a first visit (such
    // a page is then kept by no shared cache).
    let (_, cookie) = platform::intake::browser_voter(&state, &headers);
    let mut res = item_view(&state, &ctx, &c, notice, StatusCode::OK).await?;
    if let Some(v) = cookie {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// A stored file as the browser asks for it: ranges, conditional requests and HEAD answered by
/// tower-http's file service.
async fn serve(path: std::path::PathBuf, content_type: &'static str, req: Request) -> Result<Response, AppError> {
    // Reads of 256 KB (the default is 64 KB): a player's range is one read, not four.
    let res =
        tower_http::services::ServeFile::new_with_mime(&path, &content_type.parse().map_err(|_| AppError::NotFound)?)
            .with_buf_chunk_size(256 << 10)
            .oneshot(req)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    if res.status() == StatusCode::NOT_FOUND {
        return Err(AppError::NotFound);
    }
    let mut res = res.map(axum::body::Body::new);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(res)
}

async fn video(
    State(state): State<AppState>,
    axum::extract::Extension(kw): axum::extract::Extension<std::sync::Arc<crate::Courseware>>,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    let c = store::published(&state.db, id).await?;
    let path = store::file_path(&state.config.data_dir, &c.video_sha, "mp4").ok_or(AppError::NotFound)?;
    if let Some(mut res) = kw.video.range(req.method(), req.headers(), &path, &c.video_sha, "video/mp4").await {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
        return Ok(res);
    }
    serve(path, "video/mp4", req).await
}

async fn poster(State(state): State<AppState>, Path(id): Path<i64>, req: Request) -> Result<Response, AppError> {
    let c = store::published(&state.db, id).await?;
    let path = store::file_path(&state.config.data_dir, &c.poster_sha, "img").ok_or(AppError::NotFound)?;
    let head = std::fs::read(&path).ok().map(|b| b.starts_with(b"\x89PNG")).unwrap_or(false);
    serve(path, if head { "image/png" } else { "image/jpeg" }, req).await
}

async fn handout(State(state): State<AppState>, Path(id): Path<i64>, req: Request) -> Result<Response, AppError> {
    let c = store::published(&state.db, id).await?;
    let path = store::file_path(&state.config.data_dir, &c.handout_sha, "pdf").ok_or(AppError::NotFound)?;
    let mut res = serve(path, "application/pdf", req).await?;
    if let Ok(v) = HeaderValue::from_str(&platform::web::attachment_disposition(&c.handout_name)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

async fn captions(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    let c = store::published(&state.db, id).await?;
    if c.captions.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/vtt; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        c.captions,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct RateForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    stars: String,
}

async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RateForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let c = store::published(&state.db, id).await?;
    let (who, cookie) = platform::intake::voter_or_address(&state, &headers, &ctx.ip);
    let stars = f.stars.trim().parse::<i64>().unwrap_or(0);
    let mut res = match store::rate(&state.db, id, &who, stars).await {
        Ok(added) => platform::web::see_other(&format!("/kejian/{id}?rated={}#rate", u8::from(added))),
        Err(AppError::Invalid(_)) => {
            item_view(&state, &ctx, &c, "请选择 1 到 5 星后再提交评分。", StatusCode::UNPROCESSABLE_ENTITY).await?
        }
        Err(e) => return Err(e),
    };
    if let Some(v) = cookie {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
