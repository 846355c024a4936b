//! 协同办公 (collaborative office), the intranet side: it works in a back-office-only deployment
//! with no public site. 公文交换 — documents between units with 签发, live per-recipient status,
//! 签收 with receipts bound to the digests of what was received (kept in the audit chain), 退文,
//! 催办, 撤回, distribution and handling notes, statistics — and 建议提案办理 (`proposals`: the
//! deputies' suggestions and members' proposals from 交办 to rating, with the public replies under
//! `/jianyi/`), 信息报送 (`reporting`: items adopted into numbered bulletins or the portal, leaders'
//! 批示, monthly scores), 会议通知 (`meetings`: notices, 回执, sign-in, minutes, iCalendar) and 政务值班
//! (`duty`: roster, 零报告, duty log, 初报/续报/终报 with escalation).
//! `calendar` writes the iCalendar documents.
//!
//! Layout: `domain` (pure: states, the GB/T 9704 elements and the sending checks, receipts and their
//! verification, sign-for times), `exchange` (storage and operations on the workflow kernel),
//! `admin` (back office), `api` (JSON API), `demo`; `proposals`, `reporting`, `meetings` and `duty` have the
//! same inside shape.

use std::sync::Arc;

use axum::Router;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod calendar;
pub mod demo;
pub mod domain;
pub mod duty;
pub mod exchange;
pub mod meetings;
pub mod proposals;
pub mod reporting;

/// The module.
#[derive(Default)]
pub struct Office;

impl Office {
    pub fn new() -> Arc<Office> {
        Arc::new(Office)
    }
}

impl platform::module::Module for Office {
    fn name(&self) -> &'static str {
        "协同办公"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        let mut t = admin::templates();
        t.extend(proposals::admin::templates());
        t.extend(proposals::public::templates());
        t.extend(reporting::admin::templates());
        t.extend(meetings::admin::templates());
        t.extend(duty::admin::templates());
        t
    }

    fn nav(&self) -> Vec<NavItem> {
        let item = |href, label, perm| NavItem { section: "协同办公", href, label, perm: Some(perm) };
        vec![
            item("/admin/office/inbox", "收文", Perm::OfficeExchange),
            item("/admin/office/sent", "发文", Perm::OfficeExchange),
            // Leaders 签发 from the same list; they do not draft or receive.
            item("/admin/office/sent", "公文签发", Perm::OfficeSignOff),
            item("/admin/office/stats", "收发文统计", Perm::OfficeExchange),
            item("/admin/office/proposals", "建议提案办理", Perm::ProposalManage),
            item("/admin/office/proposals", "建议提案承办", Perm::OfficeExchange),
            item("/admin/office/proposals", "我的建议提案", Perm::ProposalRate),
            item("/admin/office/proposals/stats", "建议提案统计", Perm::ProposalManage),
            item("/admin/office/meetings", "会议通知", Perm::OfficeExchange),
            item("/admin/office/duty", "政务值班", Perm::OfficeExchange),
            item("/admin/office/duty", "总值班室", Perm::DutyManage),
            item("/admin/office/reports", "信息报送", Perm::OfficeExchange),
            item("/admin/office/reports", "信息采编", Perm::InfoAdopt),
            item("/admin/office/reports/issues", "每日要情", Perm::LeaderInstruct),
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| {
            Box::pin(async move {
                let mut todos = admin::todos(&state, &auth).await?;
                todos.extend(proposals::admin::todos(&state, &auth).await?);
                todos.extend(reporting::admin::todos(&state, &auth).await?);
                todos.extend(meetings::admin::todos(&state, &auth).await?);
                todos.extend(duty::admin::todos(&state, &auth).await?);
                Ok(todos)
            })
        }))
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        let mut r = api::routes();
        r.extend(proposals::api::routes());
        r.extend(reporting::api::routes());
        r.extend(meetings::api::routes());
        r.extend(duty::api::routes());
        r
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes()
            .merge(proposals::admin::routes())
            .merge(reporting::admin::routes())
            .merge(meetings::admin::routes())
            .merge(duty::admin::routes())
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/jianyi"]
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        proposals::public::routes()
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        duty::spawn(state);
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(async move {
            let mut out = reporting::figures(state, q).await?;
            out.extend(proposals::figures(state, q).await?);
            Ok(out)
        })
    }

    fn home_blocks(&self) -> Vec<platform::module::HomeBlockKind> {
        vec![proposals::public::HOME_BLOCK]
    }

    fn home_block<'a>(
        &'a self,
        state: &'a AppState,
        _key: &'a str,
        _site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Option<platform::module::HomeBlock>, platform::web::AppError>> {
        Box::pin(proposals::public::home_block(state))
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(async move {
            let mut lines = demo::load(state, demo).await?;
            lines.extend(proposals::demo::load(state, demo).await?);
            lines.extend(reporting::demo::load(state, demo).await?);
            lines.extend(meetings::demo::load(state, demo).await?);
            lines.extend(duty::demo::load(state, demo).await?);
            Ok(lines)
        })
    }
}
