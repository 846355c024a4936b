//! 直播 for the public under `/zhibo/`, in the portal frame and without JavaScript: the event
//! coverage now live, coming and past (each an interview of the kind 活动直播, shown on its own
//! page with the interview module's live stream), and the camera points — as a list with their
//! latest snapshot, state and availability of the last day, on a map, and one by one with the
//! browser's own player.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use minijinja::{Value, context};
use platform::charts::{self, MapPoint};
use platform::web::extract::Path;
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};

use crate::domain::{self, StreamKind};
use crate::store::{self, CameraPoint};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/zhibo/", get(index))
        .route("/zhibo/points/{id}", get(point))
        .route("/zhibo/points/{id}/snapshot", get(snapshot))
}

pub static SECTION: Section = Section {
    name: "直播",
    root: "/zhibo/",
    nav: &[("/zhibo/", "直播首页"), ("/zhibo/#points", "视频点位"), ("/canyu/interviews/", "在线访谈")],
};

fn card(p: &CameraPoint, avail: &[(i64, i64, i64)]) -> Value {
    context! {
        id => p.id, name => p.name.clone(), area => p.area.clone(), place => p.place.clone(), status => p.status.clone(),
        status_label => domain::status_label(&p.status), checked_at => p.checked_at, online_at => p.online_at,
        snapshot => (!p.snapshot_sha.is_empty()).then(|| format!("/zhibo/points/{}/snapshot?v={}", p.id, p.snapshot_at.unwrap_or(0))),
        availability => store::share_of(avail, p.id), kind => StreamKind::of(&p.stream_url).label(),
        stream_url => p.stream_url.clone(), status_detail => p.status_detail.clone(),
        mapped => p.lon.is_some() && p.lat.is_some(),
    }
}

/// The map of the points that have coordinates.
pub fn map(points: &[CameraPoint]) -> String {
    let places: Vec<MapPoint> = points
        .iter()
        .filter_map(|p| {
            Some(MapPoint {
                label: p.name.clone(),
                lon: p.lon?,
                lat: p.lat?,
                href: format!("/zhibo/points/{}", p.id),
                up: match p.status.as_str() {
                    "online" => Some(true),
                    "offline" => Some(false),
                    _ => None,
                },
            })
        })
        .collect();
    charts::points("视频点位分布图（绿色在线，红圈离线，灰色尚未检查）", &places)
}

/// The event coverage comes from the module that holds interviews, through the kernel's blocks.
pub const COVERAGE_BLOCK: &str = "participation.coverage";

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let site = platform::web::portal::portal_site_id(&state.db).await.unwrap_or(0) as i64;
    let events = state.modules.home_block(&state, COVERAGE_BLOCK, site).await.map(|b| b.items).unwrap_or_default();
    let points = store::list(&state.db, true).await?;
    let avail = store::day_availability(&state.db, platform::db::now()).await?;
    let cards: Vec<Value> = points.iter().map(|p| card(p, &avail)).collect();
    let online = points.iter().filter(|p| p.status == "online").count();
    let mapped = points.iter().any(|p| p.lon.is_some() && p.lat.is_some());
    let page = context! {
        title => "直播", events => sv(&events), points => cards, online, total => points.len(),
        map => mapped.then(|| map(&points)), nav_current => "/zhibo/",
    };
    state.public_response(&ctx, &SECTION, "public/zb_index.html", StatusCode::OK, page, false).await
}

async fn point(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let p = store::published(&state.db, id).await?;
    let avail = store::day_availability(&state.db, platform::db::now()).await?;
    let page = context! {
        title => p.name.clone(), p => card(&p, &avail), video_type => StreamKind::of(&p.stream_url).mime(),
        lon => p.lon, lat => p.lat, flv => StreamKind::of(&p.stream_url) == StreamKind::Flv,
        nav_current => "/zhibo/",
        crumbs => vec![("/zhibo/".to_owned(), "直播".to_owned()), (String::new(), p.name.clone())],
    };
    let mut res = state.public_response(&ctx, &SECTION, "public/zb_point.html", StatusCode::OK, page, false).await?;
    platform::web::headers::set_public_policy(res.headers_mut(), None, &[p.stream_url.as_str()]);
    Ok(res)
}

/// The latest snapshot (its address changes with each new one, so it may be kept a while).
async fn snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let p = store::published(&state.db, id).await?;
    platform::blobs::picture_response(
        &state.config.data_dir,
        store::AREA,
        &p.snapshot_sha,
        &headers,
        "public, max-age=300",
    )
    .await
    .ok_or(AppError::NotFound)
}
