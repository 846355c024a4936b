//! 信息资源共享 (shared data): one import framework that every dataset and register is filled
//! through (CSV in UTF-8 or GBK, XLSX, JSON; saved field mappings; dry runs that report every
//! rejected row; idempotent upserts by key; scheduled runs from a watched folder), the enterprise
//! directory it fills, and the open-data catalogue with versioned resources, DCAT-AP and a
//! read-only CKAN-compatible API, the monitoring time series (动态监测) with rollups, AQI and
//! public charts, the map of points of interest (地图) with server-side clustering, and the
//! restricted population database (人口资源库) it merges departments' files into.
//!
//! Layout: `domain` (pure: code tables, dataset names, schedules, run states), `mapping` (pure:
//! schemas, field mappings, row checking, record digests), `table` (reading files), `import` (runs
//! and their storage), `enterprise` (the directory: import target, pages, search), `catalogue`
//! (datasets, resources, versions, CKAN packages and DCAT), `ckan` (the Action API), `ops`
//! (operations shared by the back office and the API), `population` (its own domain, store, ops
//! and pages), `map` (points, their clustering and pages), `admin`, `api`, `public`, `demo`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod aqi;
pub mod catalogue;
pub mod ckan;
pub mod demo;
pub mod domain;
pub mod enterprise;
pub mod import;
pub mod map;
pub mod mapping;
pub mod monitor;
pub mod ops;
pub mod population;
pub mod public;

/// The module; it holds the search index the directory's name search asks and the map's
/// snapshot of its points.
pub struct Data {
    pub search: Option<Arc<search::SearchIndex>>,
    pub map: map::Cache,
}

impl Data {
    pub fn new(search: Option<Arc<search::SearchIndex>>) -> Arc<Data> {
        Arc::new(Data { search, map: map::Cache::default() })
    }
}

impl platform::module::Module for Data {
    fn name(&self) -> &'static str {
        "信息资源共享"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        let mut t = admin::templates();
        t.extend(population::admin::templates());
        t
    }

    fn nav(&self) -> Vec<NavItem> {
        let item = |href, label| NavItem { section: "信息资源", href, label, perm: Some(Perm::DataManage) };
        vec![
            item("/admin/data/sources", "数据导入"),
            item("/admin/data/datasets", "数据开放"),
            item("/admin/data/stations", "动态监测"),
            NavItem {
                section: "信息资源",
                href: "/admin/data/population",
                label: "人口资源库",
                perm: Some(Perm::PopulationQuery),
            },
            NavItem {
                section: "信息资源",
                href: "/admin/data/population/stats",
                label: "人口统计",
                perm: Some(Perm::PopulationQuery),
            },
        ]
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/shuju"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        let mut r = api::routes();
        r.extend(population::api::routes());
        r
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().merge(population::admin::routes())
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().layer(Extension(self))
    }

    fn search_kinds(&self) -> Vec<platform::module::SearchKind> {
        vec![enterprise::SEARCH_KIND]
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        if let Some(idx) = self.search.clone() {
            enterprise::spawn_indexing(state.db.clone(), idx);
        }
        import::spawn_scheduler(state.db.clone(), state.audit_key.clone());
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }
}
