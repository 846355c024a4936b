//! The map's public pages, inside the portal frame and usable without JavaScript: `/shuju/ditu/`
//! (the filter form, a clustered map drawn on the server whose clusters, zoom and pan controls are
//! plain links, a legend by category and the filtered list of points), a point's page, and
//! `/shuju/ditu/clusters.json` (the clusters of a box at a zoom, as GeoJSON, for map clients).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use platform::charts::{ClusterMark, MapFrame};
use platform::web::extract::{Path, Query};
use platform::web::{AppError, AppState, Ctx, sv};
use serde::{Deserialize, Serialize};

use super::cluster::{Bounds, Cluster, MAX_ZOOM, View};
use super::{Selection, Snapshot, category_index};
use crate::domain::{AREAS, POI_CATEGORIES, POI_COLOURS, label};

/// The drawing's size in pixels (it scales to the screen).
const WIDTH: u32 = 720;
const HEIGHT: u32 = 480;
/// Where an empty map looks: the demo city's centre.
const CITY: (f64, f64) = (126.642464, 45.756967);
const PAGE: usize = 20;

/// The page's query: the filter and, once the visitor moves the map, the view.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MapQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub area: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub z: Option<i64>,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub page: Option<i64>,
}

impl MapQuery {
    fn selection(&self) -> Selection {
        Selection {
            name: self.q.trim().chars().take(50).collect(),
            category: category_index(&self.category),
            area: AREAS.iter().position(|(c, _)| *c == self.area).and_then(|i| u8::try_from(i).ok()),
        }
    }

    /// The view asked for, if the query names a valid one.
    fn view(&self) -> Option<View> {
        let z = u8::try_from(self.z?).ok()?;
        let lng: f64 = self.lng.trim().parse().ok()?;
        let lat: f64 = self.lat.trim().parse().ok()?;
        ((-180.0..=180.0).contains(&lng) && (-85.0..=85.0).contains(&lat))
            .then(|| View::new(z, lng, lat, WIDTH, HEIGHT))
    }

    /// This page's address showing `view` (the filter kept).
    fn href(&self, view: Option<&View>) -> String {
        let mut keep = MapQuery {
            q: self.q.clone(),
            category: self.category.clone(),
            area: self.area.clone(),
            ..Default::default()
        };
        if let Some(v) = view {
            let (lng, lat) = v.centre();
            keep.z = Some(i64::from(v.zoom));
            keep.lng = format!("{lng:.6}");
            keep.lat = format!("{lat:.6}");
        }
        format!("/shuju/ditu/?{}#ditu", serde_urlencoded::to_string(&keep).unwrap_or_default())
    }
}

fn category_label(i: u8) -> &'static str {
    POI_CATEGORIES.get(usize::from(i)).map_or("", |c| c.1)
}

fn colour(category: Option<u8>) -> &'static str {
    category.and_then(|c| POI_COLOURS.get(usize::from(c)).copied()).unwrap_or("#1d4f91")
}

/// A cluster as a mark: a place links to its page; a cluster zooms in on itself (by two levels,
/// or to its first place when the map cannot zoom further).
fn mark(snap: &Snapshot, q: &MapQuery, view: &View, c: &Cluster, current: Option<i64>) -> ClusterMark {
    let (x, y) = view.to_px(c.x, c.y);
    let (href, label) = match c.id {
        Some(id) => {
            let name = snap.meta.get(&id).map_or("", |m| &m.name);
            (format!("/shuju/ditu/{id}"), format!("{name}（{}）", c.category.map_or("", category_label)))
        }
        None if view.zoom >= MAX_ZOOM => (format!("/shuju/ditu/{}", c.first), format!("此处 {} 个点位", c.count)),
        None => {
            let target = View { cx: c.x, cy: c.y, ..view.zoomed(2) };
            (q.href(Some(&target)), format!("此处 {} 个点位，放大查看", c.count))
        }
    };
    ClusterMark {
        x,
        y,
        count: c.count,
        colour: colour(c.category),
        href,
        label,
        current: current.is_some() && c.id == current,
    }
}

/// The map of `view` over the selected points, as SVG.
fn draw(
    snap: &Snapshot,
    q: &MapQuery,
    sel: &Selection,
    view: &View,
    title: &str,
    current: Option<i64>,
) -> (String, u32) {
    let b = view.bounds();
    let clusters = snap.index.clusters(b, view.zoom, |p| snap.selects(sel, p));
    let shown = clusters.iter().map(|c| c.count).sum();
    // Smaller marks last, so a place is never hidden under a big cluster.
    let marks: Vec<ClusterMark> = clusters.iter().rev().map(|c| mark(snap, q, view, c, current)).collect();
    let (west, north) = super::cluster::unproject(b.x0, b.y0);
    let (east, south) = super::cluster::unproject(b.x1, b.y1);
    let to_px = |lng: f64, lat: f64| {
        let (x, y) = super::cluster::project(lng, lat);
        view.to_px(x, y)
    };
    let frame = MapFrame {
        width: f64::from(view.width),
        height: f64::from(view.height),
        bounds: (west, east, south, north),
        to_px: &to_px,
        metres_per_px: view.metres_per_px(),
    };
    (platform::charts::clusters(title, &frame, &marks), shown)
}

pub async fn index(
    State(state): State<AppState>,
    Extension(module): Extension<Arc<crate::Data>>,
    ctx: Ctx,
    Query(q): Query<MapQuery>,
) -> Result<Response, AppError> {
    let snap = module.map.get(&state.db).await?;
    let sel = q.selection();
    let view = q.view().unwrap_or_else(|| {
        View::fit(snap.index.points().iter().filter(|p| snap.selects(&sel, p)), WIDTH, HEIGHT, CITY)
    });
    let (map, shown) = draw(&snap, &q, &sel, &view, "兴趣点分布图：数字为该处点位数，点击放大；圆点为单个点位", None);
    let controls: Vec<(String, &str)> = vec![
        (q.href(Some(&view.zoomed(1))), "放大"),
        (q.href(Some(&view.zoomed(-1))), "缩小"),
        (q.href(Some(&view.panned(0.0, -0.5))), "向北"),
        (q.href(Some(&view.panned(0.0, 0.5))), "向南"),
        (q.href(Some(&view.panned(-0.5, 0.0))), "向西"),
        (q.href(Some(&view.panned(0.5, 0.0))), "向东"),
        (q.href(None), "显示全部"),
    ];
    let counts = snap.per_category();
    let categories: Vec<Value> = POI_CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, (code, name))| {
            let only = MapQuery { category: (*code).to_owned(), ..q.clone() };
            context! { code => *code, name => *name, colour => POI_COLOURS[i], count => counts[i], href => only.href(None), current => q.category == *code }
        })
        .collect();
    let ids = snap.selected_ids(&sel);
    let total = ids.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page = usize::try_from(platform::web::api::page_of(q.page)).unwrap_or(1).min(pages);
    let shown_ids = &ids[((page - 1) * PAGE).min(total)..(page * PAGE).min(total)];
    let mut rows = super::by_ids(&state.db, shown_ids).await?;
    rows.sort_by_key(|p| p.id);
    let rows: Vec<Value> = rows
        .iter()
        .map(|p| context! { id => p.id, name => p.name.clone(), category => label(&POI_CATEGORIES, &p.category), area => label(&AREAS, &p.area_code), address => p.address.clone(), phone => p.phone.clone() })
        .collect();
    let (lng, lat) = view.centre();
    let keep = MapQuery { page: None, ..q.clone() };
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_map.html",
            StatusCode::OK,
            context! { title => "地图服务", filter => sv(&q), map => Value::from_safe_string(map), controls, categories,
                areas => AREAS.to_vec(), kinds => POI_CATEGORIES.to_vec(), rows, total, page, pages, shown, zoom => view.zoom,
                centre => format!("{lng:.4}°E，{lat:.4}°N"), all => snap.index.len(),
                pager_base => format!("/shuju/ditu/?{}&", serde_urlencoded::to_string(&keep).unwrap_or_default()),
                nav_current => "/shuju/ditu/", crumbs => vec![(String::new(), "地图服务".to_owned())] },
            false,
        )
        .await
}

pub async fn point_page(
    State(state): State<AppState>,
    Extension(module): Extension<Arc<crate::Data>>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let p = super::by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let snap = module.map.get(&state.db).await?;
    let (lng, lat) = (p.lng.parse::<f64>().unwrap_or(CITY.0), p.lat.parse::<f64>().unwrap_or(CITY.1));
    let view = View::new(15, lng, lat, WIDTH, 320);
    let q = MapQuery::default();
    let (map, _) = draw(&snap, &q, &Selection::default(), &view, &format!("{}及周边点位", p.name), Some(p.id));
    let fields: Vec<(&str, String)> = vec![
        ("类别", label(&POI_CATEGORIES, &p.category).to_owned()),
        ("所在区域", label(&AREAS, &p.area_code).to_owned()),
        ("地址", p.address.clone()),
        ("联系电话", p.phone.clone()),
        ("开放时间", p.hours.clone()),
        ("经纬度", format!("{}°E，{}°N", p.lng, p.lat)),
    ];
    let link_label = if p.category == "banshi" { "在本大厅可办理的事项" } else { "访问其网站" };
    let on_map = q.href(Some(&View::new(16, lng, lat, WIDTH, HEIGHT)));
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_poi.html",
            StatusCode::OK,
            context! { title => p.name.clone(), fields, description => p.description.clone(), url => p.url.clone(), link_label,
                map => Value::from_safe_string(map), on_map, updated => platform::fmt_time(p.updated_at), nav_current => "/shuju/ditu/",
                crumbs => vec![("/shuju/ditu/".to_owned(), "地图服务".to_owned()), (String::new(), p.name.clone())] },
            false,
        )
        .await
}

/// `clusters.json`'s query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClusterQuery {
    /// Read as text so a wrong value is answered in JSON like every other mistake.
    #[serde(default)]
    pub z: String,
    /// west,south,east,north in degrees
    #[serde(default)]
    pub bbox: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub area: String,
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The clusters of a box at a zoom level as a GeoJSON FeatureCollection: each feature a point at
/// the cluster's centroid with `count`, and for a single place its `id`, `name`, `category`.
pub async fn clusters_json(
    State(state): State<AppState>,
    Extension(module): Extension<Arc<crate::Data>>,
    Query(cq): Query<ClusterQuery>,
) -> Result<Response, AppError> {
    let Some(z) = cq.z.trim().parse::<u8>().ok().filter(|z| (super::cluster::MIN_ZOOM..=MAX_ZOOM).contains(z)) else {
        return Ok(bad_request("缩放级别 z 应为 3 至 18 的整数"));
    };
    let b: Vec<f64> = cq.bbox.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let [w, s, e, n] = b[..] else {
        return Ok(bad_request("范围 bbox 应为“西经度,南纬度,东经度,北纬度”四个数（如 126.5,45.6,126.8,45.9）"));
    };
    if !(w < e && s < n) {
        return Ok(bad_request("范围 bbox 无效：应西经度小于东经度、南纬度小于北纬度"));
    }
    // A map zoomed far out asks past the antimeridian and the poles: the world's edge is enough.
    let (w, e) = (w.clamp(-180.0, 180.0), e.clamp(-180.0, 180.0));
    let (s, n) = (s.clamp(-85.06, 85.06), n.clamp(-85.06, 85.06));
    let snap = module.map.get(&state.db).await?;
    let q = MapQuery { q: cq.q, category: cq.category, area: cq.area, ..Default::default() };
    let sel = q.selection();
    let features: Vec<serde_json::Value> = snap
        .index
        .clusters(Bounds::from_degrees(w, s, e, n), z, |p| snap.selects(&sel, p))
        .iter()
        .map(|c| {
            let (lng, lat) = super::cluster::unproject(c.x, c.y);
            let mut props = serde_json::json!({ "count": c.count });
            if let Some(id) = c.id {
                props["id"] = id.into();
                props["name"] = snap.meta.get(&id).map_or("", |m| &m.name).into();
                props["url"] = format!("/shuju/ditu/{id}").into();
            }
            if let Some(cat) = c.category {
                props["category"] = POI_CATEGORIES[usize::from(cat)].0.into();
            }
            serde_json::json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [ (lng * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6 ] }, "properties": props })
        })
        .collect();
    Ok(Json(serde_json::json!({ "type": "FeatureCollection", "features": features })).into_response())
}
