//! 数据开放 for the public under `/shuju/`, inside the portal frame and without JavaScript: the
//! catalogue (search by words, theme, unit, keyword), a dataset's page (metadata, resources with
//! every version, a preview of tabular data, its DCAT-AP document advertised in the page head),
//! downloads (counted), the catalogue's DCAT-AP document, and the routes of the enterprise
//! directory's, the monitoring's and the map's pages.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use minijinja::{Value, context};
use platform::accounts;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};

use crate::catalogue::{self, Dataset, Filter, Order, Resource, Version};
use crate::domain::{self, FREQUENCIES, LICENCES, THEMES};

pub static SECTION: Section = Section {
    name: "数据开放",
    root: "/shuju/",
    nav: &[
        ("/shuju/", "数据目录"),
        ("/shuju/qiye/", "企业名录"),
        ("/shuju/jiance/", "动态监测"),
        ("/shuju/ditu/", "地图服务"),
        ("/shuju/api", "开发接口"),
    ],
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/shuju/", get(index))
        .route("/shuju/api", get(api_page))
        .route("/shuju/catalog.jsonld", get(catalogue_jsonld))
        .route("/shuju/datasets/{name}", get(dataset_page))
        .route("/shuju/datasets/{name}/dcat.jsonld", get(dataset_jsonld))
        .route("/shuju/resources/{id}/download", get(download_latest))
        .route("/shuju/resources/{id}/versions/{version}", get(download_version))
        .route("/shuju/qiye/", get(crate::enterprise::public_list))
        .route("/shuju/qiye/{id}", get(crate::enterprise::public_detail))
        .route("/shuju/ditu/", get(crate::map::pages::index))
        .route("/shuju/ditu/clusters.json", get(crate::map::pages::clusters_json))
        .route("/shuju/ditu/{id}", get(crate::map::pages::point_page))
        .route("/shuju/jiance/", get(crate::monitor::index))
        .route("/shuju/jiance/{code}", get(crate::monitor::station_page))
        .route("/shuju/jiance/{code}/csv", get(crate::monitor::station_csv))
        .route(
            "/api/monitoring/stations/{code}/points",
            axum::routing::post(crate::monitor::ingest_endpoint).layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        // CKAN clients call both forms (ckanapi uses the unversioned one).
        .route("/api/3/action/{name}", any(crate::ckan::action))
        .route("/api/action/{name}", any(crate::ckan::action))
}

fn base(state: &AppState, ctx: &Ctx) -> String {
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{}", ctx.host)
}

const PAGE: i64 = 20;

async fn index(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filter>) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let page = platform::web::api::page_of(f.page);
    let (found, total) = catalogue::search(&state.db, &orgs, &f, Order::Modified, (page - 1) * PAGE, PAGE).await?;
    let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
    let res = catalogue::resources_of(&state.db, &ids).await?;
    let rows: Vec<Value> = found
        .iter()
        .map(|d| {
            let formats: Vec<String> = res.get(&d.id).map(|r| r.iter().map(|r| r.format.clone()).filter(|f| !f.is_empty()).collect()).unwrap_or_default();
            context! { name => d.name.clone(), title => d.title.clone(), notes => d.notes.chars().take(120).collect::<String>(),
                org => orgs.iter().find(|o| o.id == d.org_id).map(|o| o.name.clone()), theme => d.theme.clone(),
                updated => platform::fmt_time(d.updated_at).get(..10).unwrap_or_default().to_owned(), downloads => d.downloads, formats }
        })
        .collect();
    let publishers: Vec<(String, String)> = {
        let with: Vec<i64> = state
            .db
            .fetch_all::<platform::db::Scalar<i64>>(platform::db::sql(
                "SELECT DISTINCT org_id FROM data_dataset WHERE state = 'published'",
            ))
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        orgs.iter().filter(|o| with.contains(&o.id)).map(|o| (o.code.clone(), o.name.clone())).collect()
    };
    let enterprises = state.db.count(platform::db::sql("SELECT COUNT(*) FROM data_enterprise")).await?;
    let keep = serde_urlencoded::to_string(Filter { page: None, ..f.clone() }).unwrap_or_default();
    state
        .public_response(
            &ctx,
            &SECTION,
            "public/sj_index.html",
            StatusCode::OK,
            context! { title => "数据开放", rows, total, page, pages => (total + PAGE - 1) / PAGE, filter => sv(&f), themes => THEMES.to_vec(),
                publishers, enterprises, pager_base => format!("/shuju/?{keep}&"), nav_current => "/shuju/",
                head_links => vec![("/shuju/catalog.jsonld", "application/ld+json", "数据目录（DCAT-AP）")] },
            false,
        )
        .await
}

async fn api_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let base = base(&state, &ctx);
    state
        .public_response(
            &ctx,
            &SECTION,
            "public/sj_api.html",
            StatusCode::OK,
            context! { title => "开发接口", base, nav_current => "/shuju/api", crumbs => vec![(String::new(), "开发接口".to_owned())] },
            false,
        )
        .await
}

/// A published dataset by name (drafts and withdrawn ones are not public).
async fn published(state: &AppState, name: &str) -> Result<Dataset, AppError> {
    match catalogue::by_name_or_id(&state.db, name).await? {
        Some(d) if d.is_published() => Ok(d),
        _ => Err(AppError::NotFound),
    }
}

/// A preview of a tabular resource: its heading and first rows.
async fn preview(state: &AppState, r: &Resource, v: Option<&Version>) -> (Vec<String>, Vec<Vec<String>>) {
    const ROWS: usize = 10;
    match (r.kind.as_str(), v) {
        ("table", _) => catalogue::table_rows(&state.db, r, Some(ROWS as i64)).await.unwrap_or_default(),
        ("file", Some(v)) if v.row_count.is_some() => {
            let path = catalogue::files_dir(&state.config.data_dir).join(&v.stored);
            let name = v.file_name.clone();
            tokio::task::spawn_blocking(move || {
                let bytes = std::fs::read(&path).ok()?;
                let t = tables::open_bytes(&name, bytes).ok()?;
                let headers = t.headers.clone();
                Some((headers, t.take(ROWS).filter_map(|(_, r)| r.ok()).collect()))
            })
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
        }
        _ => (Vec::new(), Vec::new()),
    }
}

async fn dataset_page(State(state): State<AppState>, ctx: Ctx, Path(name): Path<String>) -> Result<Response, AppError> {
    let d = published(&state, &name).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let res = catalogue::resources(&state.db, d.id).await?;
    let mut resources = Vec::new();
    for r in &res {
        let versions = catalogue::versions(&state.db, r.id).await?;
        let (headers, rows) = preview(&state, r, versions.first()).await;
        let columns = versions.first().map(Version::columns).unwrap_or_default();
        let fields: Vec<&str> = catalogue::table_fields(&r.table_name)
            .map(|f| f.into_iter().filter(|f| r.fields().iter().any(|k| k == f.key)).map(|f| f.label).collect())
            .unwrap_or_default();
        resources.push(context! { r => sv(r), url => catalogue::resource_url("", r),
            versions => versions.iter().map(|v| context! { v => sv(v), at => platform::fmt_time(v.created_at), size => human_size(v.size) }).collect::<Vec<_>>(),
            headers, rows, columns, fields });
    }
    let licence = LICENCES.iter().find(|l| l.0 == d.licence).map(|l| (l.1, l.2));
    let frequency = FREQUENCIES.iter().find(|f| f.0 == d.frequency).map(|f| f.0);
    let dcat = format!("/shuju/datasets/{}/dcat.jsonld", d.name);
    state
        .public_response(
            &ctx,
            &SECTION,
            "public/sj_dataset.html",
            StatusCode::OK,
            context! { title => d.title.clone(), d => sv(&d), org => orgs.iter().find(|o| o.id == d.org_id).map(|o| o.name.clone()),
                keywords => d.keywords().iter().map(|k| (*k).to_owned()).collect::<Vec<_>>(), licence, frequency, spatial => domain::label(&domain::AREAS, &d.spatial), resources,
                issued => d.issued_at.map(platform::fmt_time), modified => platform::fmt_time(d.updated_at), dcat => dcat.clone(),
                head_links => vec![(dcat, "application/ld+json", "DCAT-AP")], nav_current => "/shuju/",
                crumbs => vec![("/shuju/".to_owned(), "数据目录".to_owned()), (String::new(), "数据集".to_owned())] },
            false,
        )
        .await
}

fn human_size(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn jsonld(v: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        v.to_string(),
    )
        .into_response()
}

async fn dataset_jsonld(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let d = published(&state, &name).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let res = catalogue::resources(&state.db, d.id).await?;
    let latest = catalogue::latest_versions(&state.db, &res.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    Ok(jsonld(catalogue::dcat_dataset(&base(&state, &ctx), &d, &orgs, &res, &latest)))
}

#[derive(Debug, Default, serde::Deserialize)]
struct CataloguePage {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    page: Option<i64>,
}

/// The catalogue in DCAT-AP, 1,000 datasets a page (`?page=`), newest change first.
async fn catalogue_jsonld(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CataloguePage>,
) -> Result<Response, AppError> {
    const N: i64 = 1000;
    let orgs = accounts::list_orgs(&state.db).await?;
    let page = platform::web::api::page_of(q.page);
    let (found, _) =
        catalogue::search(&state.db, &orgs, &Filter::default(), Order::Modified, (page - 1) * N, N).await?;
    let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
    let res = catalogue::resources_of(&state.db, &ids).await?;
    let latest =
        catalogue::latest_versions(&state.db, &res.values().flatten().map(|r| r.id).collect::<Vec<_>>()).await?;
    let base = base(&state, &ctx);
    let empty: Vec<Resource> = Vec::new();
    let entries = found
        .iter()
        .map(|d| catalogue::dcat_entry(&base, d, &orgs, res.get(&d.id).unwrap_or(&empty), &latest))
        .collect();
    Ok(jsonld(catalogue::dcat_catalogue(&base, "政府数据开放目录", entries)))
}

/// A resource of a published dataset.
async fn public_resource(state: &AppState, id: i64) -> Result<Resource, AppError> {
    let r = catalogue::resource(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let d = catalogue::by_id(&state.db, r.dataset_id).await?.ok_or(AppError::NotFound)?;
    if !d.is_published() {
        return Err(AppError::NotFound);
    }
    Ok(r)
}

fn attachment(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = url_escape(name);
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{encoded}")),
            (header::CACHE_CONTROL, "public, max-age=60".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send_version(state: &AppState, r: &Resource, v: &Version) -> Result<Response, AppError> {
    let path = catalogue::files_dir(&state.config.data_dir).join(&v.stored);
    let bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
    catalogue::count_download(&state.db, r).await?;
    Ok(attachment(&v.file_name, platform::intake::mime_for(&v.file_name), bytes))
}

async fn download_latest(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = public_resource(&state, id).await?;
    match r.kind.as_str() {
        "table" => {
            let (headers, rows) = catalogue::table_rows(&state.db, &r, None).await?;
            catalogue::count_download(&state.db, &r).await?;
            Ok(attachment(&format!("{}.csv", r.name), "text/csv; charset=utf-8", catalogue::csv_bytes(&headers, &rows)))
        }
        "api" => Ok(platform::web::see_other(&r.url)),
        _ => {
            let v = catalogue::versions(&state.db, r.id).await?.into_iter().next().ok_or(AppError::NotFound)?;
            send_version(&state, &r, &v).await
        }
    }
}

async fn download_version(
    State(state): State<AppState>,
    Path((id, version)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let r = public_resource(&state, id).await?;
    let versions: BTreeMap<i64, Version> =
        catalogue::versions(&state.db, r.id).await?.into_iter().map(|v| (v.version, v)).collect();
    let v = versions.get(&version).ok_or(AppError::NotFound)?;
    send_version(&state, &r, v).await
}
