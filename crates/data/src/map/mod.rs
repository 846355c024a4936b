//! 地图 (points of interest): the points departments send through the import framework (target
//! `poi`, keyed by 编号: 办事大厅, 学校, 医院, 景点, 便民服务 …), the in-memory snapshot the map
//! clusters and filters over (rebuilt when the table changes, checked on every request so every
//! node answers the same), and the public pages under `/shuju/ditu/` (`pages`). The geometry and
//! clustering are pure (`cluster`).

pub mod cluster;
pub mod pages;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use platform::db::{Db, DbResult, sql};
use serde::Serialize;

use crate::domain::{AREAS, POI_CATEGORIES};
use crate::import::FlatTable;
use crate::mapping::{FieldSpec, FieldType, Schema};

/// The extent of China's territory in degrees: coordinates outside it are typing errors.
const LNG: FieldType = FieldType::Degrees(73.0, 136.0);
const LAT: FieldType = FieldType::Degrees(3.0, 54.0);

/// A point's fields; each key is its column in `data_poi`. All are public: they describe public
/// places.
pub static FIELDS: [FieldSpec; 11] = [
    FieldSpec {
        key: "code",
        label: "编号",
        ty: FieldType::Text(40),
        required: true,
        public: true,
        aliases: &["点位编号", "ID"],
    },
    FieldSpec {
        key: "name",
        label: "名称",
        ty: FieldType::Text(100),
        required: true,
        public: true,
        aliases: &["点位名称"],
    },
    FieldSpec {
        key: "category",
        label: "类别",
        ty: FieldType::Code(&POI_CATEGORIES),
        required: true,
        public: true,
        aliases: &["分类", "点位类别"],
    },
    FieldSpec {
        key: "area_code",
        label: "所在区域",
        ty: FieldType::Code(&AREAS),
        required: false,
        public: true,
        aliases: &["行政区划", "区县"],
    },
    FieldSpec {
        key: "address",
        label: "地址",
        ty: FieldType::Text(200),
        required: false,
        public: true,
        aliases: &["详细地址"],
    },
    FieldSpec {
        key: "lng", label: "经度", ty: LNG, required: true, public: true, aliases: &["X", "lng", "longitude"]
    },
    FieldSpec {
        key: "lat", label: "纬度", ty: LAT, required: true, public: true, aliases: &["Y", "lat", "latitude"]
    },
    FieldSpec {
        key: "phone",
        label: "联系电话",
        ty: FieldType::Phone,
        required: false,
        public: true,
        aliases: &["电话", "咨询电话"],
    },
    FieldSpec {
        key: "hours",
        label: "开放时间",
        ty: FieldType::Text(100),
        required: false,
        public: true,
        aliases: &["办公时间", "营业时间"],
    },
    FieldSpec {
        key: "url",
        label: "网址",
        ty: FieldType::Link,
        required: false,
        public: true,
        aliases: &["链接", "网站"],
    },
    FieldSpec {
        key: "description",
        label: "简介",
        ty: FieldType::Text(1000),
        required: false,
        public: true,
        aliases: &["说明"],
    },
];

pub static SCHEMA: Schema = Schema { fields: &FIELDS, key: "code", keeps_other_columns: false };

pub static TABLE: FlatTable = FlatTable { table: "data_poi", schema: &SCHEMA };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Poi {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub category: String,
    pub area_code: String,
    pub address: String,
    pub lng: String,
    pub lat: String,
    pub phone: String,
    pub hours: String,
    pub url: String,
    pub description: String,
    pub updated_at: i64,
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Poi>> {
    db.fetch_optional(sql("SELECT * FROM data_poi WHERE id = $1").bind(id)).await
}

pub async fn by_ids(db: &Db, ids: &[i64]) -> DbResult<Vec<Poi>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(sql("SELECT * FROM data_poi WHERE 1=1").and_within("id", Some(ids))).await
}

/// The index of a category code in [`POI_CATEGORIES`].
pub fn category_index(code: &str) -> Option<u8> {
    POI_CATEGORIES.iter().position(|(c, _)| *c == code).and_then(|i| u8::try_from(i).ok())
}

fn area_index(code: &str) -> Option<u8> {
    AREAS.iter().position(|(c, _)| *c == code).and_then(|i| u8::try_from(i).ok())
}

/// What a point is found by besides its place.
#[derive(Debug, Clone)]
pub struct Meta {
    pub name: Box<str>,
    pub area: Option<u8>,
}

/// Which points a visitor asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub name: String,
    pub category: Option<u8>,
    pub area: Option<u8>,
}

/// How the table looked when a snapshot was read: its newest id and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
struct Stamp {
    max_id: Option<i64>,
    max_updated: Option<i64>,
}

/// Every point, projected and sorted for clustering, with the names the filter reads.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub index: cluster::Index,
    pub meta: HashMap<i64, Meta>,
    stamp: Stamp,
    built_at: i64,
}

impl Snapshot {
    /// Whether a point is in the selection.
    pub fn selects(&self, s: &Selection, p: &cluster::Point) -> bool {
        if s.category.is_some_and(|c| c != p.category) {
            return false;
        }
        if s.name.is_empty() && s.area.is_none() {
            return true;
        }
        let Some(m) = self.meta.get(&p.id) else { return false };
        (s.area.is_none() || m.area == s.area) && (s.name.is_empty() || m.name.contains(s.name.as_str()))
    }

    /// The selected points' ids, in id order.
    pub fn selected_ids(&self, s: &Selection) -> Vec<i64> {
        let mut ids: Vec<i64> = self.index.points().iter().filter(|p| self.selects(s, p)).map(|p| p.id).collect();
        ids.sort_unstable();
        ids
    }

    /// How many points each category has.
    pub fn per_category(&self) -> Vec<usize> {
        let mut n = vec![0; POI_CATEGORIES.len()];
        for p in self.index.points() {
            if let Some(c) = n.get_mut(usize::from(p.category)) {
                *c += 1;
            }
        }
        n
    }
}

/// The current snapshot of the points, read again when the table changes.
#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Arc<Snapshot>>>,
    rebuilding: tokio::sync::Mutex<()>,
}

async fn stamp(db: &Db) -> DbResult<Stamp> {
    // Two subqueries, so each is one index lookup (SQLite reads the whole table for a query with
    // two aggregates).
    db.fetch_one(sql(
        "SELECT (SELECT MAX(id) FROM data_poi) AS max_id, (SELECT MAX(updated_at) FROM data_poi) AS max_updated",
    ))
    .await
}

impl Cache {
    /// The snapshot matching the table now.
    pub async fn get(&self, db: &Db) -> DbResult<Arc<Snapshot>> {
        let now = stamp(db).await?;
        // A snapshot read in the same second as the newest change may have missed a later
        // change made in that second; it is read again once.
        let fresh = |s: &Snapshot| s.stamp == now && s.built_at > now.max_updated.unwrap_or(i64::MIN);
        if let Some(s) = self.current.read().ok().and_then(|g| g.clone())
            && fresh(&s)
        {
            return Ok(s);
        }
        let _one_reader = self.rebuilding.lock().await;
        if let Some(s) = self.current.read().ok().and_then(|g| g.clone())
            && fresh(&s)
        {
            return Ok(s);
        }
        let snapshot = Arc::new(load(db, now).await?);
        if let Ok(mut g) = self.current.write() {
            *g = Some(snapshot.clone());
        }
        Ok(snapshot)
    }
}

async fn load(db: &Db, stamp: Stamp) -> DbResult<Snapshot> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        category: String,
        area_code: String,
        lng: String,
        lat: String,
    }
    let built_at = platform::db::now();
    let rows: Vec<Row> = db.fetch_all(sql("SELECT id, name, category, area_code, lng, lat FROM data_poi")).await?;
    let mut points = Vec::with_capacity(rows.len());
    let mut meta = HashMap::with_capacity(rows.len());
    for r in rows {
        let (Ok(lng), Ok(lat), Some(category)) =
            (r.lng.parse::<f64>(), r.lat.parse::<f64>(), category_index(&r.category))
        else {
            continue;
        };
        let (x, y) = cluster::project(lng, lat);
        points.push(cluster::Point { id: r.id, x, y, category });
        meta.insert(r.id, Meta { name: r.name.into_boxed_str(), area: area_index(&r.area_code) });
    }
    Ok(Snapshot { index: cluster::Index::new(points), meta, stamp, built_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Mapping;

    #[test]
    fn rows_are_checked_for_place_category_and_link() {
        let heads: Vec<String> = FIELDS.iter().map(|f| f.label.to_owned()).collect();
        let b = Mapping::guess(&SCHEMA, &heads).bind(&SCHEMA, &heads).unwrap();
        let row = |lng: &str, lat: &str, cat: &str, url: &str| -> Vec<String> {
            [
                "P1",
                "道里区政务服务中心",
                cat,
                "道里区",
                "安静街 1 号",
                lng,
                lat,
                "0451-84610000",
                "工作日 9:00–17:00",
                url,
                "",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
        };
        let ok = b.record(2, &row("126.6166", "45.7701", "办事大厅", "/banshi/")).unwrap();
        assert_eq!(ok.values[2], "banshi");
        assert_eq!(ok.values[3], "230102");
        assert_eq!((ok.values[5].as_str(), ok.values[6].as_str()), ("126.616600", "45.770100"));
        for (lng, lat, cat, url, column) in [
            ("26.6", "45.77", "办事大厅", "", "经度"),
            ("126.6", "95.77", "办事大厅", "", "纬度"),
            ("东经126", "45.77", "办事大厅", "", "经度"),
            ("126.6", "45.77", "火星基地", "", "类别"),
            ("126.6", "45.77", "学校", "javascript:alert(1)", "网址"),
            ("126.6", "45.77", "学校", "//evil.example/", "网址"),
            ("126.6", "45.77", "学校", "/\\evil.example/", "网址"),
            ("126.6", "45.77", "学校", "https://a.example/ x", "网址"),
        ] {
            let r = b.record(3, &row(lng, lat, cat, url)).unwrap_err();
            assert_eq!(r.len(), 1, "{lng} {lat} {cat} {url}");
            assert_eq!(r[0].column, column);
        }
        assert!(b.record(4, &row("126.6", "45.77", "学校", "https://www.hrbedu.gov.cn/")).is_ok());
    }

    #[test]
    fn a_selection_filters_by_category_area_and_name() {
        let p = |id, category| cluster::Point { id, x: 0.5, y: 0.5, category };
        let mut s = Snapshot { index: cluster::Index::new(vec![p(1, 0), p(2, 1), p(3, 1)]), ..Snapshot::default() };
        s.meta.insert(1, Meta { name: "道里区政务服务中心".into(), area: Some(0) });
        s.meta.insert(2, Meta { name: "南岗区第一小学".into(), area: Some(1) });
        s.meta.insert(3, Meta { name: "道里区第三小学".into(), area: Some(0) });
        let sel = |name: &str, category, area| Selection { name: name.into(), category, area };
        assert_eq!(s.selected_ids(&sel("", None, None)), vec![1, 2, 3]);
        assert_eq!(s.selected_ids(&sel("", Some(1), None)), vec![2, 3]);
        assert_eq!(s.selected_ids(&sel("", Some(1), Some(0))), vec![3]);
        assert_eq!(s.selected_ids(&sel("道里", None, None)), vec![1, 3]);
        assert_eq!(s.selected_ids(&sel("小学", None, Some(1))), vec![2]);
        assert_eq!(s.per_category()[..2], [1, 2]);
    }
}
