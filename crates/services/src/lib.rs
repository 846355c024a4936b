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
pub mod calls;
pub mod catalogue;
pub mod domain;
pub mod generate;
pub mod indexing;
pub mod public;
pub mod rows;
pub mod service;
pub mod store;

pub use service::Services;

pub fn extension(svc: Arc<Services>) -> platform::web::Extension {
    let todos: platform::web::TodoSource = Arc::new(move |state, auth| {
        let svc = svc.clone();
        Box::pin(async move { admin::todos(&state, &svc, &auth).await })
    });
    platform::web::Extension {
        name: "网上办事",
        prefixes: vec!["/banshi"],
        portal: None,
        todos: Some(todos),
        templates: admin::templates(),
        nav: vec![
            NavItem {
                section: "网上办事",
                href: "/admin/services/cases",
                label: "办件管理",
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
        ],
    }
}

pub fn api_routes(svc: Arc<Services>) -> Vec<ApiRoute> {
    api::routes()
        .into_iter()
        .map(|mut r| {
            r.handler = r.handler.layer(Extension(svc.clone()));
            r
        })
        .collect()
}

pub fn admin_routes(svc: Arc<Services>) -> Router<AppState> {
    admin::routes().merge(calls::admin_routes()).layer(Extension(svc))
}

pub fn public_routes(svc: Arc<Services>) -> Router<AppState> {
    public::routes().merge(calls::public_routes()).layer(Extension(svc))
}
