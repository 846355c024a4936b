//! 课件库 (the rural distance-education courseware library of seed 002's 北仑之窗): categories of
//! practical lessons — growing vegetables and flowers, aquaculture, farm machinery — each an MP4
//! video (checked as a playable container, its running time read from the movie header, served
//! from the file store with range requests) or an external stream, with a poster, WebVTT captions
//! (their words found by the site search) and a PDF handout; views and one rating per browser.
//!
//! Layout: `domain` (pure: MP4 and WebVTT reading, the placeholder clip, checks), `store` (rows,
//! files and operations), `serve` (video ranges from cached blocks), `indexing` (site search), `public` (`/kejian/`), `admin`, `api`, `demo`.

use std::sync::Arc;

use axum::Router;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;
pub mod indexing;
pub mod public;
pub mod serve;
pub mod store;

pub struct Courseware {
    search: Option<Arc<search::SearchIndex>>,
    /// Lesson video in memory, in blocks (see `serve`).
    pub video: serve::BlockCache,
}

/// Memory for lesson video blocks: a few lessons' worth of what players are seeking through.
pub const VIDEO_CACHE_BYTES: usize = 64 << 20;

impl Courseware {
    pub fn new(search: Option<Arc<search::SearchIndex>>) -> Arc<Courseware> {
        Arc::new(Courseware { search, video: serve::BlockCache::new(VIDEO_CACHE_BYTES) })
    }
}

impl platform::module::Module for Courseware {
    fn name(&self) -> &'static str {
        "远程教育课件"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        vec![NavItem {
            section: "内容管理",
            href: "/admin/courseware",
            label: "远程教育课件",
            perm: Some(Perm::ArticleEdit),
        }]
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/kejian"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        api::routes()
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes()
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().layer(axum::extract::Extension(self))
    }

    fn search_kinds(&self) -> Vec<platform::module::SearchKind> {
        vec![indexing::SEARCH_KIND]
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        if let Some(idx) = self.search.clone() {
            indexing::spawn(state.db.clone(), idx);
        }
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }
}
