//! 直播 (seed 002's 动态北仑 video points and the image-text and video coverage of events): the
//! `/zhibo/` page with the events now live and coming — each an interview of the kind 活动直播,
//! so its image-text stream is the participation module's live stream, with the event's video
//! played by the browser's own `<video>` element; the list reaches this page as the kernel's
//! home block `participation.coverage`, so neither crate depends on the other — and the camera points (视频点位), each with its
//! live stream, a snapshot and an availability check every five minutes, as a list and on a map.
//!
//! Layout: `domain` (pure: the point form, stream kinds and their first bytes, snapshots,
//! availability), `store` (rows and operations), `check` (the checks and their schedule),
//! `public` (`/zhibo/`), `admin`, `api`, `demo`.

use std::sync::Arc;

use axum::Router;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod check;
pub mod demo;
pub mod domain;
pub mod public;
pub mod store;

#[derive(Default)]
pub struct Live;

impl Live {
    pub fn new() -> Arc<Live> {
        Arc::new(Live)
    }
}

impl platform::module::Module for Live {
    fn name(&self) -> &'static str {
        "直播"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        vec![NavItem {
            section: "公众参与", href: "/admin/live/points", label: "视频点位", perm: Some(admin::PERM)
        }]
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/zhibo"]
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

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = check::run_round(&state).await {
                    tracing::warn!(error = %e, "camera point checks failed");
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
