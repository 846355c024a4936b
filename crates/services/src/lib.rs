//! 网上办事 — the service-item catalogue with full guides (办事指南), the public service hall,
//! online applications with receipt numbers and query codes, handling as a state machine with
//! working-day time limits (补正 stops the clock) and 电子监察 colours, 好差评 with follow-ups
//! for 差评, 办件公示, and statistics.
//!
//! Layout: `domain` (pure: guide elements and completeness, forms as data, the state machine,
//! ratings), `store` (SQL), `service` (operations with permissions, time limits, mail, audit),
//! `public` (the hall under `/banshi/`), `admin` (back-office pages), `rows` (pure: the item
//! editor's lists as rows), `api` (JSON API).

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod blocks;
pub mod calls;
pub mod catalogue;
pub mod compliance;
pub mod demo;
pub mod domain;
pub mod fees;
pub mod generate;
pub mod indexing;
pub mod public;
pub mod rows;
pub mod service;
pub mod store;

pub use service::Services;

/// Online services as a module: the catalogue, the hall under `/banshi/`, applications and project
/// calls, service items in the site search, and the services' figures.
impl platform::module::Module for Services {
    fn name(&self) -> &'static str {
        "网上办事"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        let mut t = admin::templates();
        t.extend(fees::admin::templates());
        t
    }

    fn nav(&self) -> Vec<NavItem> {
        vec![
            NavItem {
                section: "网上办事",
                href: "/admin/services/cases",
                label: "办件管理",
                perm: Some(Perm::ApplicationHandle),
            },
            NavItem {
                section: "网上办事",
                href: "/admin/services/fees",
                label: "收费管理",
                perm: Some(Perm::ApplicationHandle),
            },
            NavItem {
                section: "网上办事",
                href: "/admin/services/followups",
                label: "差评回访",
                perm: Some(Perm::ApplicationHandle),
            },
            NavItem {
                section: "网上办事",
                href: "/admin/services/items",
                label: "办事事项",
                perm: Some(Perm::ServiceManage),
            },
            NavItem {
                section: "网上办事",
                href: "/admin/services/stats",
                label: "办件统计",
                perm: Some(Perm::ContentStats),
            },
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| {
            let svc = self.clone();
            Box::pin(async move { admin::todos(&state, &svc, &auth).await })
        }))
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/banshi"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        let mut routes = api::routes();
        routes.extend(fees::api::routes());
        platform::web::api::with_extension(routes, self)
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().merge(calls::admin_routes()).merge(fees::admin::routes()).layer(Extension(self))
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().merge(calls::public_routes()).layer(Extension(self))
    }

    fn search_kinds(&self) -> Vec<platform::module::SearchKind> {
        vec![indexing::SEARCH_KIND]
    }

    fn home_blocks(&self) -> Vec<platform::module::HomeBlockKind> {
        blocks::KINDS.to_vec()
    }

    fn home_block<'a>(
        &'a self,
        state: &'a AppState,
        key: &'a str,
        site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Option<platform::module::HomeBlock>, platform::web::AppError>> {
        Box::pin(blocks::home_block(&state.db, key, site_id))
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(blocks::figures(&state.db, q))
    }

    fn compliance<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::ComplianceQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Finding>, platform::web::AppError>> {
        Box::pin(compliance::findings(state, q))
    }

    fn sealed(&self) -> Vec<&'static platform::sealed::SealedColumns> {
        vec![&store::SEALED_APPLICATION, &calls::SEALED_PROJECT_APP]
    }

    fn load_demo<'a>(
        &'a self,
        _state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(demo))
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        if let Some(idx) = self.search.clone() {
            indexing::spawn(state.db.clone(), idx);
        }
    }
}
