//! 互动交流 — leader mailboxes (市长/区长/局长信箱), message boards, complaints and consultations.
//!
//! Citizens write to a mailbox (信箱/渠道) of a site without an account and get a letter number
//! and a query code; the office screens (受理审查), assigns to handling units (交办), reviews the
//! drafted reply and publishes it redacted; deadlines count working days on the platform calendar;
//! leaders instruct, the office supervises, the writer rates. Open311 GeoReport v2 lets hotline
//! systems and apps file and follow letters.
//!
//! Layout: `domain` (pure rules: state machine, checks, deadlines, redaction, statistics
//! arithmetic), `store` (SQL), `service` (operations with permissions, side effects and audit),
//! `public` (the citizens' pages), `admin` (back-office pages), `api` (JSON API), `open311`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod blocks;
pub mod compliance;
pub mod demo;
pub mod domain;
pub mod generate;
pub mod indexing;
pub mod open311;
pub mod public;
pub mod service;
pub mod store;

pub use service::Interaction;

/// Letters as a module: mailboxes, the citizens' pages under `/hudong/`, Open311, handling queues,
/// published letters in the site search, the daily reminders and the letters' figures.
impl platform::module::Module for Interaction {
    fn name(&self) -> &'static str {
        "互动交流"
    }

    /// Back-office templates; the public templates are registered here too (they render through the
    /// same environment, inside the portal frame).
    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        nav()
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| {
            let ix = self.clone();
            Box::pin(async move { admin::todos(&state, &ix, &auth).await })
        }))
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/hudong", "/open311"]
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        platform::web::api::with_extension(api::routes(), self)
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().layer(Extension(self))
    }

    /// Citizens' pages and the Open311 endpoints (both outside the staff shell).
    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        public::routes().merge(open311::routes()).layer(Extension(self))
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
        vec![&store::SEALED]
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
        spawn_reminders(state, self);
    }
}

fn nav() -> Vec<NavItem> {
    vec![
        NavItem {
            section: "互动交流", href: "/admin/letters", label: "来信办理", perm: Some(Perm::LetterHandle)
        },
        NavItem {
            section: "互动交流",
            href: "/admin/letters/office",
            label: "受理与交办",
            perm: Some(Perm::MailboxManage),
        },
        NavItem {
            section: "互动交流",
            href: "/admin/letters/leader",
            label: "领导批示",
            perm: Some(Perm::LeaderInstruct),
        },
        NavItem {
            section: "互动交流",
            href: "/admin/letters/stats",
            label: "来信统计",
            perm: Some(Perm::ContentStats),
        },
        NavItem {
            section: "互动交流", href: "/admin/mailboxes", label: "信箱设置", perm: Some(Perm::MailboxManage)
        },
    ]
}

/// Daily reminder mail to handlers, run by every node but claimed once per day
/// (`platform::jobs::claim_period`), so several nodes do not send twice.
fn spawn_reminders(state: AppState, ix: Arc<Interaction>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let day = service::date_text(service::today());
            let hour = time::OffsetDateTime::now_utc()
                .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
                .hour();
            if hour < 8 {
                continue;
            }
            // One node per day sends the reminders, however many run this loop.
            let mine = platform::jobs::claim_period(&state.db, "interaction.reminders", &day).await.unwrap_or(false);
            if mine {
                let sent = service::send_reminders(&state, &ix).await;
                tracing::info!(sent, "letter reminders sent");
            }
        }
    });
}
