//! The one interface every subsystem implements. A module says what it adds to the program — its
//! templates, back-office menu, to-do counts, API operations, back-office and public routers, the
//! public path prefixes it owns, its search document kinds, the personal-data columns it seals, its
//! background jobs, its demo data, the home-page blocks it can feed, the subscription topics it
//! announces publications under, and the figures and compliance findings it provides to other modules — and the program, the demo and the test harness iterate one list of modules.
//! Adding a subsystem is its crate plus one line in that list; no feature crate names another.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use serde::Serialize;

use crate::db::Db;
use crate::sealed::SealedColumns;
use crate::web::api::ApiRoute;
use crate::web::portal::Portal;
use crate::web::{AppError, AppState, NavItem, TodoSource};

/// A boxed future borrowing from its caller (what the async parts of [`Module`] return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A document kind a module puts in the site search: how results name it and where a hit leads
/// (`url_prefix` followed by the document's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchKind {
    pub kind: &'static str,
    pub label: &'static str,
    pub url_prefix: &'static str,
}

/// What the demo gives every module: the database, the demo org units by their short keys
/// (`kjj` 市科技局, `scj` 市场监管局 …), the sites by code once the portal has made them, the sizes
/// asked for on the command line, and where uploaded files go.
pub struct DemoSetup {
    pub db: Db,
    pub files_dir: std::path::PathBuf,
    pub orgs: HashMap<&'static str, i64>,
    /// How many generated records of each kind (`articles`, `letters`, `applications` …).
    pub sizes: BTreeMap<&'static str, u32>,
    /// Told how many of the largest batch (articles) are written so far, for a progress bar.
    pub progress: Arc<dyn Fn(u64) + Send + Sync>,
    /// The demo sites by code (`hrb`, `kjj`, `daoli` …), filled by the module that makes them.
    pub sites: std::sync::Mutex<HashMap<String, i64>>,
}

impl DemoSetup {
    pub fn org(&self, key: &str) -> Option<i64> {
        self.orgs.get(key).copied()
    }

    pub fn size(&self, what: &str) -> u32 {
        self.sizes.get(what).copied().unwrap_or(0)
    }

    /// A demo site's id by its code, once the portal module has made it.
    pub fn site(&self, code: &str) -> Option<i64> {
        self.sites.lock().ok()?.get(code).copied()
    }

    /// Grants a demo account a role in a scope (once: a second grant is no error).
    pub async fn grant(
        &self,
        username: &str,
        role: crate::roles::Role,
        scope: crate::roles::ScopeKind,
        scope_id: i64,
    ) -> anyhow::Result<()> {
        let u = crate::accounts::user_by_name(&self.db, username)
            .await?
            .ok_or_else(|| anyhow::anyhow!("演示账号 {username} 不存在"))?;
        match crate::accounts::add_grant(&self.db, u.id, crate::roles::Grant { role, scope, scope_id }, "demo").await {
            Ok(_) | Err(crate::accounts::GrantStoreError::Rule(crate::roles::GrantError::Duplicate)) => Ok(()),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }
}

/// A block a module can put on a site's home page (热门事项, 最新答复); site administrators choose
/// the blocks of each site's home page by their labels.
#[derive(Debug, Clone, Copy)]
pub struct HomeBlockKind {
    /// Stable key, `module.block` (`services.popular`).
    pub key: &'static str,
    /// What administrators choose it by.
    pub label: &'static str,
}

/// A home-page block's content: a heading with its link, a few items and figures. The portal
/// renders every module's block with the same markup.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HomeBlock {
    pub title: String,
    /// Where the heading and the 更多 link lead.
    pub url: String,
    pub items: Vec<BlockItem>,
    pub figures: Vec<BlockFigure>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockItem {
    pub url: String,
    pub text: String,
    /// A date or a short figure shown beside the item.
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockFigure {
    pub label: String,
    pub value: String,
}

/// Which figures are asked for: a period (unix seconds, `from` inclusive, `to` exclusive) and
/// optionally one org unit (with its sub-units) or one site.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FigureQuery {
    pub from: i64,
    pub to: i64,
    pub org_id: Option<i64>,
    pub site_id: Option<i64>,
}

/// One figure a module provides to others (supervision reads on-time rates and ratings, the
/// annual reports read counts) without reading the module's tables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figure {
    /// Stable key, `module.figure` (`letters.received`, `letters.on_time_rate`).
    pub key: &'static str,
    pub label: &'static str,
    pub value: f64,
    /// 件, %, 天 …
    pub unit: &'static str,
}

/// Which published documents are asked for: these ids, or the newest that carry a 文号.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub ids: Vec<i64>,
    /// Only documents with a 文号 (policy documents), newest first.
    pub with_doc_no: bool,
    /// Only documents whose title contains this (解读).
    pub title_contains: String,
    /// Only the document published at this address (its path, or a full URL of the group): a
    /// consultation's final policy named by its link. An address that is no document's finds none.
    pub at: String,
    pub limit: i64,
}

/// A published document another module holds (a CMS article), as the disclosure catalogue and
/// policy interpretations refer to it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Document {
    pub id: i64,
    pub title: String,
    /// Its public address.
    pub url: String,
    pub summary: String,
    pub keywords: String,
    pub doc_no: String,
    /// The issuing unit, when known.
    pub org_id: Option<i64>,
    pub published_at: i64,
}

/// Which content the compliance monitor asks about: one site or the whole group, as of `now`
/// (unix seconds; tests move it).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ComplianceQuery {
    pub site_id: Option<i64>,
    pub now: i64,
}

/// Something a module found wrong (or about to go wrong) in its own content under the national
/// website indicators: one stale column, one letter unanswered for three months, one broken link.
/// The supervision module weighs the findings (veto thresholds, deductions); the module only
/// reports facts, with where each is fixed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Finding {
    /// The indicator it counts towards (`column_stale_news`, `letter_unanswered_3m` …).
    pub indicator: String,
    /// The site it belongs to; `None` when it belongs to the group (counted for the portal).
    pub site_id: Option<i64>,
    /// What it is about (栏目“本地要闻”, 来信 XF2026…), stable from day to day.
    pub subject: String,
    pub detail: String,
    /// Where in the back office it is fixed.
    pub fix_url: String,
    /// A pre-warning: not yet a problem; becomes one soon unless acted on.
    pub warning: bool,
}

/// A subsystem of the program.
pub trait Module: Any + Send + Sync {
    /// Its name as users read it (网上办事): menus, clashes, logs.
    fn name(&self) -> &'static str;

    /// Templates (back office and public content), by unique name across modules.
    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// Back-office menu entries.
    fn nav(&self) -> Vec<NavItem> {
        Vec::new()
    }

    /// How it counts what waits for a user (workbench tiles, counts beside the menu).
    fn todos(self: Arc<Self>) -> Option<TodoSource> {
        None
    }

    /// Public path prefixes its routes own (`/banshi`): no site may take them.
    fn prefixes(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// The frame around every module's public pages (the CMS provides the sites' layouts).
    fn portal(self: Arc<Self>) -> Option<Arc<dyn Portal>> {
        None
    }

    /// Its `/api/v1` operations (behind the staff shell).
    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        Vec::new()
    }

    /// Its back-office pages (behind the staff shell).
    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        Router::new()
    }

    /// Its public pages and endpoints (outside the staff shell).
    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        Router::new()
    }

    /// Its document kinds in the site search.
    fn search_kinds(&self) -> Vec<SearchKind> {
        Vec::new()
    }

    /// Its tables' personal-data columns sealed at rest.
    fn sealed(&self) -> Vec<&'static SealedColumns> {
        Vec::new()
    }

    /// Starts its background work (once per process, inside the runtime).
    fn spawn_jobs(self: Arc<Self>, _state: AppState) {}

    /// Loads its part of the demo; returns lines for the demo's summary.
    fn load_demo<'a>(
        &'a self,
        _state: &'a AppState,
        _demo: &'a DemoSetup,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// The home-page blocks it can feed.
    fn home_blocks(&self) -> Vec<HomeBlockKind> {
        Vec::new()
    }

    /// One of its home-page blocks for a site; `None` when there is nothing to show.
    fn home_block<'a>(
        &'a self,
        _state: &'a AppState,
        _key: &'a str,
        _site_id: i64,
    ) -> BoxFuture<'a, Result<Option<HomeBlock>, AppError>> {
        Box::pin(async { Ok(None) })
    }

    /// The figures it provides to other modules for a period.
    fn figures<'a>(&'a self, _state: &'a AppState, _q: FigureQuery) -> BoxFuture<'a, Result<Vec<Figure>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Its findings under the national website indicators (the compliance monitor asks).
    fn compliance<'a>(
        &'a self,
        _state: &'a AppState,
        _q: ComplianceQuery,
    ) -> BoxFuture<'a, Result<Vec<Finding>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// The topics citizens can subscribe to on a site (its columns, its consultations); it
    /// announces publications under them through [`crate::changes::announce`].
    fn subscription_topics<'a>(
        &'a self,
        _state: &'a AppState,
        _site_id: i64,
    ) -> BoxFuture<'a, Result<Vec<crate::changes::Topic>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Published documents it holds, for other modules to catalogue and link.
    fn documents<'a>(
        &'a self,
        _state: &'a AppState,
        _q: &'a DocumentQuery,
    ) -> BoxFuture<'a, Result<Vec<Document>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Something another module keeps about these documents changed (a link in
    /// [`crate::relations`]): the module holding their pages drops them from its caches, here and
    /// on the other nodes.
    fn documents_changed<'a>(&'a self, _state: &'a AppState, _ids: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The program's modules, in the order their routes and menus are composed.
#[derive(Clone, Default)]
pub struct Modules(Vec<Arc<dyn Module>>);

impl Modules {
    pub fn new(list: Vec<Arc<dyn Module>>) -> Modules {
        Modules(list)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.0.iter()
    }

    /// A module by its type (the test harness and the command line reach a module's own state).
    pub fn get<M: Module>(&self) -> Option<Arc<M>> {
        self.0.iter().find_map(|m| {
            let any: Arc<dyn Any + Send + Sync> = m.clone();
            any.downcast::<M>().ok()
        })
    }

    /// Every home-page block any module offers.
    pub fn home_block_kinds(&self) -> Vec<HomeBlockKind> {
        self.0.iter().flat_map(|m| m.home_blocks()).collect()
    }

    /// The block `key` for a site, from the module offering it.
    pub async fn home_block(&self, state: &AppState, key: &str, site_id: i64) -> Option<HomeBlock> {
        let owner = self.0.iter().find(|m| m.home_blocks().iter().any(|b| b.key == key))?;
        match owner.home_block(state, key, site_id).await {
            Ok(b) => b,
            Err(e) => {
                // A block that fails leaves the home page without it rather than failing the page.
                tracing::warn!(error = %e, block = key, "home-page block failed");
                None
            }
        }
    }

    /// Published documents from every module that holds some.
    pub async fn documents(&self, state: &AppState, q: &DocumentQuery) -> Result<Vec<Document>, AppError> {
        let mut out = Vec::new();
        for m in &self.0 {
            out.extend(m.documents(state, q).await?);
        }
        Ok(out)
    }

    /// Tells every module that what others keep about these documents changed.
    pub async fn documents_changed(&self, state: &AppState, ids: &[i64]) {
        for m in &self.0 {
            m.documents_changed(state, ids).await;
        }
    }

    /// Every topic a citizen can subscribe to on a site, from every module.
    pub async fn subscription_topics(
        &self,
        state: &AppState,
        site_id: i64,
    ) -> Result<Vec<crate::changes::Topic>, AppError> {
        let mut out = Vec::new();
        for m in &self.0 {
            out.extend(m.subscription_topics(state, site_id).await?);
        }
        Ok(out)
    }

    /// Every module's compliance findings; a module that fails is reported as an error, since a
    /// monitor that silently skipped a module would show a site as better than it is.
    pub async fn compliance(&self, state: &AppState, q: ComplianceQuery) -> Result<Vec<Finding>, AppError> {
        let mut out = Vec::new();
        for m in &self.0 {
            out.extend(m.compliance(state, q).await?);
        }
        Ok(out)
    }

    /// Every module's figures for a period; a module that fails is left out and logged.
    pub async fn figures(&self, state: &AppState, q: FigureQuery) -> Vec<Figure> {
        let mut out = Vec::new();
        for m in &self.0 {
            match m.figures(state, q).await {
                Ok(f) => out.extend(f),
                Err(e) => tracing::warn!(error = %e, module = m.name(), "figures failed"),
            }
        }
        out
    }
}
