//! 监督考核与合规 (supervision): the live monitor of the national website inspection indicators
//! (国办秘函〔2019〕19号) across the site group. It reads no other module's tables: every module
//! reports its own findings through [`platform::module::Module::compliance`] (the CMS its stale and
//! blank columns, site facts, 错敏词 and broken links; letters their unanswered and overdue cases;
//! the service hall its incomplete guides), the monitor adds its own availability probes, weighs
//! everything under the indicators, keeps a daily result per site and mails pre-warnings. It also
//! owns the 错敏词 dictionary the pre-publication gate and the monitor both read, and shows the access
//! statistics the kernel counts (`stats`), the website annual report (`annual`), citizens'
//! subscriptions to what the sites publish (`subscriptions`, public pages under `/dingyue/`) and
//! the 机关效能评价窗口 where citizens rate the units' staff (`ratings`, under `/pingjia/`), and
//! 部门考核, which scores departments from every module's figures (`assessment`), and 下级网站评估,
//! the yearly evaluation of the group's sites with its public ranking (`evaluation`, `/pinggu/`).
//!
//! Layout: `indicators` (pure: veto rules, deductions, verdict, fix order), `probe` (availability
//! probes), `monitor` (runs, results, warnings, the hourly job), `report` (the self-check
//! workbook), `ops` (operations with permissions and audit), `admin`, `api`, `demo`.

use std::sync::Arc;

use axum::Router;
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod annual;
pub mod api;
pub mod assessment;
pub mod demo;
pub mod evaluation;
pub mod indicators;
pub mod linkcheck;
pub mod monitor;
pub mod ops;
pub mod probe;
pub mod ratings;
pub mod report;
pub mod stats;
pub mod subscriptions;

/// The module (it keeps no state of its own besides the database).
pub struct Supervision;

impl Supervision {
    pub fn new() -> Arc<Supervision> {
        Arc::new(Supervision)
    }
}

impl platform::module::Module for Supervision {
    fn name(&self) -> &'static str {
        "监督考核"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        let mut t = admin::templates();
        t.extend(ratings::admin::templates());
        t.extend(assessment::admin::templates());
        t.extend(evaluation::admin::templates());
        t
    }

    fn nav(&self) -> Vec<NavItem> {
        let item = |href, label| NavItem { section: "监督考核", href, label, perm: Some(Perm::Supervise) };
        vec![
            item("/admin/supervision", "网站监测"),
            item("/admin/supervision/stats", "访问统计"),
            item("/admin/supervision/annual", "年度报表"),
            item("/admin/supervision/subscriptions", "信息订阅"),
            item("/admin/supervision/evaluations", "网站评估"),
            item("/admin/supervision/assessment", "部门考核"),
            item("/admin/supervision/ratings", "效能评价"),
            item("/admin/supervision/words", "错敏词库"),
        ]
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(move |state, auth| Box::pin(async move { ratings::admin::todos(&state, &auth).await })))
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        let mut routes = api::routes();
        routes.extend(ratings::api::routes());
        routes.extend(assessment::api::routes());
        routes.extend(evaluation::api::routes());
        routes
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes()
            .merge(ratings::admin::routes())
            .merge(assessment::admin::routes())
            .merge(evaluation::admin::routes())
    }

    fn prefixes(&self) -> Vec<&'static str> {
        vec!["/dingyue", "/pingjia", "/pinggu", "/nianbao"]
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        subscriptions::public::routes()
            .merge(ratings::public::routes())
            .merge(evaluation::public::routes())
            .merge(annual::public_routes())
    }

    fn sealed(&self) -> Vec<&'static platform::sealed::SealedColumns> {
        vec![&subscriptions::SEALED]
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        monitor::spawn(state.clone());
        subscriptions::spawn(state);
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(ratings::figures(state, q))
    }

    fn home_blocks(&self) -> Vec<platform::module::HomeBlockKind> {
        vec![ratings::HOME_BLOCK, evaluation::HOME_BLOCK]
    }

    fn home_block<'a>(
        &'a self,
        state: &'a AppState,
        key: &'a str,
        _site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Option<platform::module::HomeBlock>, platform::web::AppError>> {
        Box::pin(async move {
            if key == evaluation::HOME_BLOCK.key {
                return evaluation::home_block(state).await;
            }
            ratings::home_block(&state.db, key).await
        })
    }
}
