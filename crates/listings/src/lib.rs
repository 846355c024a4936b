//! 供求信息 (supply and demand listings): the boards the seed's district site ran — 人才劳务
//! (招聘/求职), 农产品 (供应/求购), 创业与新办企业 — where citizens and enterprises post without an
//! account through public intake, confirm their contact with a code sent by text or mail, and keep
//! a management code to renew or withdraw; listings are moderated before or after they show (per
//! board), reported by readers, hidden at a threshold, expire after the period chosen with a
//! reminder carrying the renewal link, and show their contact masked until a visitor asks.
//!
//! Layout: `domain` (pure: boards, kinds, the posting check, states and actions, masks), `store`
//! (rows and queries), `service` (operations on the workflow kernel and the clock), `indexing`
//! (the site search), `public` (`/gongqiu/`), `admin` (moderation, boards, statistics), `api`,
//! `blocks` (home-page block and figures), `demo`.

use std::sync::Arc;

use axum::Router;
use platform::roles::{Perm, ResourceScope};
use platform::web::api::ApiRoute;
use platform::web::{AppError, AppState, Auth, NavItem};

pub mod admin;
pub mod api;
pub mod blocks;
pub mod demo;
pub mod domain;
pub mod indexing;
pub mod public;
pub mod service;
pub mod store;

/// Listings belong to the portal: moderators hold the permission on the portal site (or
/// anywhere, on a deployment without one).
pub(crate) async fn require_moderator(state: &AppState, auth: &Auth) -> Result<(), AppError> {
    match platform::web::portal::portal_site_id(&state.db).await {
        Some(site) => auth.require(Perm::ListingModerate, &ResourceScope::site(site as i64)),
        None => auth.require_anywhere(Perm::ListingModerate),
    }
}

/// The module, with the site search it indexes into.
pub struct Listings {
    search: Option<Arc<search::SearchIndex>>,
}

impl Listings {
    pub fn new(search: Option<Arc<search::SearchIndex>>) -> Arc<Listings> {
        Arc::new(Listings { search })
    }
}

impl platform::module::Module for Listings {
    fn name(&self) -> &'static str {
        "供求信息"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        let item = |href, label| NavItem { section: "供求信息", href, label, perm: Some(Perm::ListingModerate) };
        vec![
            item("/admin/listings", "供求信息审核"),
            item("/admin/listings/boards", "栏目规则"),
            item("/admin/listings/stats", "供求信息统计"),
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| Box::pin(async move { admin::todos(&state, &auth).await })))
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/gongqiu"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        api::routes()
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes()
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes()
    }

    fn search_kinds(&self) -> Vec<platform::module::SearchKind> {
        vec![indexing::SEARCH_KIND]
    }

    fn sealed(&self) -> Vec<&'static platform::sealed::SealedColumns> {
        vec![&service::SEALED]
    }

    fn home_blocks(&self) -> Vec<platform::module::HomeBlockKind> {
        blocks::KINDS.to_vec()
    }

    fn home_block<'a>(
        &'a self,
        state: &'a AppState,
        key: &'a str,
        _site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Option<platform::module::HomeBlock>, AppError>> {
        Box::pin(blocks::home_block(&state.db, key))
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, AppError>> {
        Box::pin(blocks::figures(&state.db, q))
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        if let Some(idx) = self.search.clone() {
            indexing::spawn(state.db.clone(), idx);
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Err(e) = service::run_clock(&state, platform::db::now()).await {
                    tracing::warn!(error = %e, "listing clock failed");
                }
            }
        });
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }
}
