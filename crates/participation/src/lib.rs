//! 公众参与 (public participation): consultations on drafts (意见征集) with comments on passages,
//! moderation and the 意见采纳情况 report (国务院令第713号); surveys (网上调查) with results as
//! server-rendered charts; online interviews and hearings (在线访谈, 网上听政) with a live,
//! moderated text stream over server-sent events that reaches viewers on every node.
//!
//! Layout: `domain` (pure: periods, states, numbered paragraphs and comment anchors, moderation,
//! adoption, survey questions, answers and results), `consultation`, `survey` and `interview`
//! (storage and operations on the workflow kernel), `live` (the stream between nodes and viewers),
//! `charts` (SVG bars with their numbers as a table), `public` (`/canyu/`), `admin` (back office),
//! `api` (JSON API), `blocks` (home-page blocks and figures), `demo`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod blocks;
pub mod charts;
pub mod consultation;
pub mod demo;
pub mod domain;
pub mod interview;
pub mod live;
pub mod public;
pub mod survey;

/// The checks every participation form shares: the owning unit (by its code) and the title (1–200
/// characters). Errors are added to `errs`; the unit is returned when found.
pub(crate) fn check_owner_and_title<'a>(
    orgs: &'a [platform::accounts::OrgUnit],
    code: &str,
    title: &str,
    unit_label: &str,
    errs: &mut Vec<platform::web::error::FieldError>,
) -> Option<&'a platform::accounts::OrgUnit> {
    use platform::web::error::FieldError;
    let org = orgs.iter().find(|o| o.code == code.trim());
    if org.is_none() {
        errs.push(FieldError::new("org", format!("请选择{unit_label}")));
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errs.push(FieldError::new("title", "请填写标题（200 字以内）"));
    }
    org
}

/// The module: its node's live hub.
#[derive(Default)]
pub struct Participation {
    pub hub: Arc<live::Hub>,
}

impl Participation {
    pub fn new() -> Arc<Participation> {
        Arc::new(Participation::default())
    }
}

impl platform::module::Module for Participation {
    fn name(&self) -> &'static str {
        "公众参与"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        let item = |href, label, perm| NavItem { section: "公众参与", href, label, perm: Some(perm) };
        vec![
            item("/admin/participation/consultations", "意见征集", Perm::ParticipationEdit),
            item("/admin/participation/review", "征集审核", Perm::ParticipationReview),
            item("/admin/participation/moderation", "意见审核", Perm::ParticipationEdit),
            item("/admin/participation/surveys", "网上调查", Perm::ParticipationEdit),
            item("/admin/participation/interviews", "在线访谈", Perm::ParticipationEdit),
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| Box::pin(async move { admin::todos(&state, &auth).await })))
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/canyu"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        platform::web::api::with_extension(api::routes(), self)
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().layer(Extension(self))
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().layer(Extension(self))
    }

    fn subscription_topics<'a>(
        &'a self,
        state: &'a AppState,
        site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::changes::Topic>, platform::web::AppError>> {
        Box::pin(async move {
            let portal = platform::web::portal::portal_site_id(&state.db).await;
            Ok(if portal == Some(site_id as u64) {
                vec![platform::changes::Topic {
                    key: consultation::TOPIC.into(),
                    label: "新的意见征集".into(),
                    group: "公众参与".into(),
                }]
            } else {
                Vec::new()
            })
        })
    }

    fn home_blocks(&self) -> Vec<platform::module::HomeBlockKind> {
        blocks::KINDS.to_vec()
    }

    fn home_block<'a>(
        &'a self,
        state: &'a AppState,
        key: &'a str,
        _site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Option<platform::module::HomeBlock>, platform::web::AppError>> {
        Box::pin(blocks::home_block(&state.db, key))
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(blocks::figures(&state.db, q))
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                tick.tick().await;
                if let Err(e) = consultation::run_clock(&state).await {
                    tracing::warn!(error = %e, "consultation clock failed");
                }
            }
        });
    }

    fn sealed(&self) -> Vec<&'static platform::sealed::SealedColumns> {
        vec![&consultation::SEALED_COMMENT, &interview::SEALED_MESSAGE]
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }
}
