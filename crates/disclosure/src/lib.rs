//! 政府信息公开 (《中华人民共和国政府信息公开条例》, 国务院令第711号): each agency's disclosure
//! guide, disclosure on request with the regulation's pausable working-day clock, and the annual
//! report (国办公开办函〔2021〕30号) generated from the requests.
//!
//! Layout: `domain` (pure: applicants, the 21 outcomes of table 三, states and actions, the clock,
//! the fee schedule, tables 三 and 四, the catalogue's index numbers and 文号), `store` (SQL), `service` (filing and the office's actions on
//! the workflow kernel), `report` (the annual report from data), `catalogue` (the 主动公开 catalogue: items, pages, API), `tree` (each agency's categories and the columns
//! catalogued automatically), `public` (`/gongkai/`), `admin`
//! (back office), `api` (JSON API), `demo`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod blocks;
pub mod catalogue;
pub mod demo;
pub mod domain;
pub mod generate;
pub mod indexing;
pub mod public;
pub mod report;
pub mod service;
pub mod store;
pub mod tree;

pub use service::Disclosure;

impl platform::module::Module for Disclosure {
    fn name(&self) -> &'static str {
        "政府信息公开"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        vec![
            NavItem {
                section: "政府信息公开",
                href: "/admin/disclosure/requests",
                label: "依申请公开",
                perm: Some(Perm::DisclosureHandle),
            },
            NavItem {
                section: "政府信息公开",
                href: "/admin/disclosure/catalogue",
                label: "公开目录",
                perm: Some(Perm::DisclosureManage),
            },
            NavItem {
                section: "政府信息公开",
                href: "/admin/disclosure/tree",
                label: "目录类目与栏目",
                perm: Some(Perm::DisclosureManage),
            },
            NavItem {
                section: "政府信息公开",
                href: "/admin/disclosure/guides",
                label: "公开指南和年度报告",
                perm: Some(Perm::DisclosureManage),
            },
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| Box::pin(async move { admin::todos(&state, &auth).await })))
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/gongkai"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        let mut routes = api::routes();
        routes.extend(catalogue::api_routes());
        routes.extend(tree::api_routes());
        platform::web::api::with_extension(routes, self)
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().merge(catalogue::admin_routes()).merge(tree::admin_routes()).layer(Extension(self))
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().merge(catalogue::public_routes()).layer(Extension(self))
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

    fn subscription_topics<'a>(
        &'a self,
        state: &'a AppState,
        site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::changes::Topic>, platform::web::AppError>> {
        Box::pin(async move { Ok(catalogue::subscription_topics(state, site_id).await) })
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(async move {
            let cal = self.calendar(&state.db).await;
            blocks::figures(&state.db, &cal, q).await
        })
    }

    fn search_kinds(&self) -> Vec<platform::module::SearchKind> {
        vec![indexing::SEARCH_KIND]
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        if let Some(idx) = self.search.clone() {
            indexing::spawn(state.db.clone(), idx);
        }
        tree::spawn(state);
    }

    fn sealed(&self) -> Vec<&'static platform::sealed::SealedColumns> {
        vec![&store::SEALED_REQUEST]
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }
}
