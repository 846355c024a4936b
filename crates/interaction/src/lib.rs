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
pub mod domain;
pub mod generate;
pub mod indexing;
pub mod open311;
pub mod public;
pub mod service;
pub mod store;

pub use service::Interaction;

/// Back-office templates and menu entries; the public templates are registered here too (they
/// render through the same environment, with the site's stylesheet).
pub fn extension(ix: Arc<Interaction>) -> platform::web::Extension {
    let todos: platform::web::TodoSource = Arc::new(move |state, auth| {
        let ix = ix.clone();
        Box::pin(async move { admin::todos(&state, &ix, &auth).await })
    });
    platform::web::Extension {
        name: "互动交流",
        templates: admin::templates(),
        nav: nav(),
        todos: Some(todos),
        prefixes: vec!["/hudong", "/open311"],
        portal: None,
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

pub fn api_routes(ix: Arc<Interaction>) -> Vec<ApiRoute> {
    api::routes()
        .into_iter()
        .map(|mut r| {
            r.handler = r.handler.layer(Extension(ix.clone()));
            r
        })
        .collect()
}

pub fn admin_routes(ix: Arc<Interaction>) -> Router<AppState> {
    admin::routes().layer(Extension(ix))
}

/// Citizens' pages and the Open311 endpoints (both outside the staff shell).
pub fn public_routes(ix: Arc<Interaction>) -> Router<AppState> {
    public::routes().merge(open311::routes()).layer(Extension(ix))
}

/// Daily reminder mail to handlers, run by every node but claimed once per day through a setting
/// written with the day, so several nodes do not send twice.
pub fn spawn_jobs(state: AppState, ix: Arc<Interaction>) {
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
