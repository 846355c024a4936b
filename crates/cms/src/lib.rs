//! 内容管理 — the site group CMS and the public portal.
//!
//! Sites (站点) of a site group, each with a channel tree (栏目); articles (信息) with revisions,
//! multi-step review and a publication state kept apart from the review state; placements that
//! show one article in several channels and sites (引用/推送); sandboxed per-site templates;
//! public pages served from an in-memory cache invalidated by dependency tags; feeds, sitemaps and
//! a static export.
//!
//! Layout: `domain` (pure rules, state machine), `sanitize` (body cleaning), `store` (SQL),
//! `service` (operations with permissions and audit), `render` + `cache` + `public` (the public
//! site), `admin` (back-office pages), `api` (JSON API), `export` (static files), `files` (uploads),
//! `stats` (publishing statistics and quotas), `compliance` (the pre-publication gate and the
//! CMS's findings for the compliance monitor).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Extension;
use axum::routing::get;
use platform::db::{Db, DbResult};
use platform::roles::Perm;
use platform::web::api::ApiRoute;
use platform::web::{AppState, NavItem};

pub mod admin;
pub mod api;
pub mod cache;
pub mod compliance;
pub mod demo;
pub mod domain;
pub mod export;
pub mod files;
pub mod indexing;
pub mod library;
pub mod public;
pub mod render;
pub mod sanitize;
pub mod search_admin;
pub mod service;
pub mod stats;
pub mod store;

/// The public path prefixes of every site's pages (columns, articles, search), reserved so no site
/// or module takes them.
pub const PREFIXES: [&str; 4] = ["/c", "/a", "/search", "/wenku"];

/// Called with the tags of every content change (the search index subscribes here).
pub type ChangeHook = Box<dyn Fn(&[&str]) + Send + Sync>;

/// The CMS's per-process state: renderer, page cache, file store, and cached site list.
pub struct Cms {
    pub renderer: render::Renderer,
    pub cache: cache::PageCache,
    pub files_dir: PathBuf,
    pub on_change: ChangeHook,
    /// The site group's search index (absent only if it could not be opened; search then falls
    /// back to title matching in the database).
    pub search: Option<Arc<search::SearchIndex>>,
    index_queue: Mutex<std::collections::BTreeSet<i64>>,
    sites: RwLock<Option<(Instant, Arc<Vec<store::Site>>)>>,
    views: Mutex<std::collections::HashMap<i64, i64>>,
    /// Set when the change feed says administrators changed the search synonyms; the node's loop
    /// reads them again from the database.
    synonyms_changed: std::sync::atomic::AtomicBool,
    /// Whether a rebuild of the search index runs, and whether another was asked for meanwhile.
    rebuild: Arc<(std::sync::atomic::AtomicBool, std::sync::atomic::AtomicBool)>,
}

/// The change-feed tag of a change to the search synonyms (every node reloads them).
pub const SYNONYMS_TAG: &str = "search:synonyms";

/// Page cache size when not configured: enough for the hot pages of a large site group.
pub const DEFAULT_CACHE_BYTES: usize = 128 << 20;

impl Cms {
    pub fn new(
        data_dir: &std::path::Path,
        cache_bytes: usize,
        cache_enabled: bool,
        search: Option<Arc<search::SearchIndex>>,
    ) -> Arc<Cms> {
        let mut renderer = render::Renderer::new(&data_dir.join("files"));
        renderer.search = search.clone();
        Arc::new(Cms {
            renderer,
            search,
            index_queue: Mutex::new(std::collections::BTreeSet::new()),
            cache: cache::PageCache::new(cache_bytes, cache_enabled),
            files_dir: data_dir.join("files"),
            on_change: Box::new(|_| {}),
            sites: RwLock::new(None),
            views: Mutex::new(std::collections::HashMap::new()),
            synonyms_changed: std::sync::atomic::AtomicBool::new(false),
            rebuild: Arc::new(Default::default()),
        })
    }

    /// Rebuilds the search index from the database in the background. Requests made while one runs
    /// are coalesced into one more run after it (two rebuilds at once would each remove the
    /// other's directory when finishing). Searching continues on the current index meanwhile.
    pub fn rebuild_search(&self, db: &Db) {
        use std::sync::atomic::Ordering;
        let Some(idx) = self.search.clone() else { return };
        let flags = self.rebuild.clone();
        flags.1.store(true, Ordering::SeqCst);
        if flags.0.swap(true, Ordering::SeqCst) {
            return;
        }
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                while flags.1.swap(false, Ordering::SeqCst) {
                    match indexing::rebuild(&db, &idx, |_, _| {}).await {
                        Ok(n) => tracing::info!(documents = n, "search index rebuilt"),
                        Err(e) => tracing::error!(error = %e, "search rebuild failed"),
                    }
                }
                flags.0.store(false, Ordering::SeqCst);
                // A request made after the last check saw this run still going and left it to us.
                if !flags.1.load(Ordering::SeqCst) || flags.0.swap(true, Ordering::SeqCst) {
                    break;
                }
            }
        });
    }

    /// All sites, cached briefly (site settings change rarely; a change also clears this).
    pub async fn sites(&self, db: &Db) -> DbResult<Arc<Vec<store::Site>>> {
        if let Ok(g) = self.sites.read()
            && let Some((at, s)) = g.as_ref()
            && at.elapsed() < Duration::from_secs(10)
        {
            return Ok(s.clone());
        }
        let s = Arc::new(store::sites(db).await?);
        if let Ok(mut g) = self.sites.write() {
            *g = Some((Instant::now(), s.clone()));
        }
        Ok(s)
    }

    /// The cached site list if it is fresh, without waiting (the cached-page fast path).
    pub fn sites_cached(&self) -> Option<Arc<Vec<store::Site>>> {
        let g = self.sites.read().ok()?;
        let (at, s) = g.as_ref()?;
        (at.elapsed() < Duration::from_secs(10)).then(|| s.clone())
    }

    fn forget_sites(&self) {
        if let Ok(mut g) = self.sites.write() {
            *g = None;
        }
    }

    /// Queues the articles named by `a:ID` tags for (re)indexing on the next job tick.
    pub fn queue_index(&self, tags: &[&str]) {
        if self.search.is_none() {
            return;
        }
        if let Ok(mut q) = self.index_queue.lock() {
            q.extend(tags.iter().filter_map(|t| t.strip_prefix("a:")).filter_map(|id| id.parse::<i64>().ok()));
        }
    }

    /// Indexes what is queued; returns how many articles.
    pub async fn index_queued(&self, db: &Db) -> usize {
        let Some(idx) = &self.search else { return 0 };
        let ids = match self.index_queue.lock() {
            Ok(mut q) => std::mem::take(&mut *q),
            Err(_) => return 0,
        };
        if ids.is_empty() || !idx.is_writable() {
            let _ = idx.refresh();
            return 0;
        }
        if let Err(e) = indexing::index_articles(db, idx, &ids).await {
            tracing::error!(error = %e, "search indexing failed; will retry");
            if let Ok(mut q) = self.index_queue.lock() {
                q.extend(ids.iter().copied());
            }
            return 0;
        }
        ids.len()
    }

    /// Applies change tags that concern more than cached pages.
    pub fn apply_tags(&self, tags: &[&str]) {
        self.queue_index(tags);
        for t in tags {
            if *t == SYNONYMS_TAG {
                self.synonyms_changed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(id) = t.strip_prefix("c:").and_then(|id| id.parse().ok()) {
                self.renderer.forget_channel(id);
            }
            if let Some(id) = t.strip_prefix("site:") {
                self.forget_sites();
                if let Ok(id) = id.parse() {
                    self.renderer.forget_site(id);
                }
            }
        }
    }

    /// Article views are counted in memory and written in batches, so a busy page costs no write
    /// per visit.
    pub fn count_view(&self, id: i64) {
        if let Ok(mut g) = self.views.lock() {
            *g.entry(id).or_insert(0) += 1;
        }
    }

    async fn flush_views(&self, db: &Db) {
        let pending: Vec<(i64, i64)> = match self.views.lock() {
            Ok(mut g) => g.drain().collect(),
            Err(_) => return,
        };
        for (id, n) in pending {
            let _ = db
                .execute(platform::db::sql("UPDATE article SET views = views + $1 WHERE id = $2").bind(n).bind(id))
                .await;
        }
    }
}

/// The CMS is the portal: module pages render inside the site's own layout, from the cached site
/// list and the site's compiled templates.
impl platform::web::portal::Portal for Cms {
    fn site_of(&self, host: &str, path: &str) -> Option<i64> {
        let g = self.sites.read().ok()?;
        let (_, sites) = g.as_ref()?;
        public::resolve(sites, host, path).map(|(s, _)| s.id)
    }

    fn draft_channels<'a>(
        &'a self,
        db: &'a Db,
    ) -> platform::module::BoxFuture<'a, Result<Vec<(i64, String)>, platform::web::AppError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for site in store::sites(db).await? {
                for c in store::channels_of(db, site.id).await? {
                    if c.kind == "list" {
                        out.push((c.id, format!("{} › {}", site.name, c.name)));
                    }
                }
            }
            Ok(out)
        })
    }

    fn create_draft<'a>(
        &'a self,
        db: &'a Db,
        draft: &'a platform::web::portal::Draft,
    ) -> platform::module::BoxFuture<'a, Result<i64, platform::web::AppError>> {
        Box::pin(async move {
            let channel = store::channel(db, draft.channel_id).await?.ok_or(platform::web::AppError::NotFound)?;
            if channel.kind != "list" {
                return Err(platform::web::AppError::invalid("channel", "请选择可以发布信息的列表栏目"));
            }
            let fields = store::Fields {
                title: draft.title.clone(),
                source: draft.source.clone(),
                body: sanitize::paragraphs_html(&draft.text),
                ..store::Fields::default()
            };
            Ok(store::create_article(db, channel.site_id, channel.id, draft.org_id, &fields, draft.user_id).await?)
        })
    }

    fn wrap<'a>(
        &'a self,
        db: &'a Db,
        ctx: &'a platform::web::Ctx,
        frame: &'a platform::web::portal::Frame,
        content: String,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<String, platform::web::AppError>> + Send + 'a>> {
        Box::pin(async move {
            let sites = self.sites(db).await?;
            let site = frame
                .site_id
                .and_then(|id| sites.iter().find(|s| s.id == id))
                .or_else(|| sites.iter().find(|s| s.path_prefix.is_empty()))
                .or(sites.first());
            // Before any site exists the modules still work, in the default layout.
            let unnamed = store::Site { name: "政务服务门户".into(), ..store::Site::default() };
            let site = site.unwrap_or(&unnamed);
            Ok(self.renderer.module_page(db, site, ctx, frame, content).await?)
        })
    }
}

/// The CMS as a module: sites, channels and articles, and the portal frame every module's public
/// pages render in.
impl platform::module::Module for Cms {
    fn name(&self) -> &'static str {
        "内容管理"
    }

    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        admin::templates()
    }

    fn nav(&self) -> Vec<NavItem> {
        nav()
    }

    fn todos(self: Arc<Self>) -> Option<platform::web::TodoSource> {
        Some(Arc::new(|state, auth| Box::pin(async move { admin::todos(&state, &auth).await })))
    }

    /// The pages every site serves under its own prefix (and the main site at the root).
    fn prefixes(&self) -> Vec<&'static str> {
        PREFIXES.to_vec()
    }

    fn portal(self: Arc<Self>) -> Option<Arc<dyn platform::web::portal::Portal>> {
        Some(self)
    }

    fn api_routes(self: Arc<Self>) -> Vec<ApiRoute> {
        platform::web::api::with_extension(api::routes(), self)
    }

    fn admin_routes(self: Arc<Self>) -> Router<AppState> {
        admin::routes().layer(Extension(self))
    }

    fn public_routes(self: Arc<Self>) -> Router<AppState> {
        Router::new()
            .route("/", get(public::serve_root))
            .route("/static/site.css", get(public::site_css))
            .route("/static/portal-forms.css", get(public::portal_forms_css))
            .route("/files/inline/{name}", get(public::inline_image))
            .route("/wenku/", get(library::page))
            .route("/{*path}", get(public::serve_path))
            .layer(Extension(self))
    }

    fn load_demo<'a>(
        &'a self,
        state: &'a AppState,
        demo: &'a platform::module::DemoSetup,
    ) -> platform::module::BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(demo::load(state, demo))
    }

    fn spawn_jobs(self: Arc<Self>, state: AppState) {
        spawn_jobs(state, self);
    }

    fn compliance<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::ComplianceQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Finding>, platform::web::AppError>> {
        Box::pin(compliance::findings(state, self, q))
    }

    fn figures<'a>(
        &'a self,
        state: &'a AppState,
        q: platform::module::FigureQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Figure>, platform::web::AppError>> {
        Box::pin(async move { Ok(stats::annual_figures(&state.db, q).await?) })
    }

    fn subscription_topics<'a>(
        &'a self,
        state: &'a AppState,
        site_id: i64,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::changes::Topic>, platform::web::AppError>> {
        Box::pin(async move {
            // Columns that list articles; single pages and outside links have no news to send.
            Ok(store::channels_of(&state.db, site_id)
                .await?
                .into_iter()
                .filter(|c| !c.archived && (c.kind == "list" || c.kind == "topic"))
                .map(|c| platform::changes::Topic {
                    key: format!("channel:{}", c.id),
                    label: c.name,
                    group: "栏目".into(),
                })
                .collect())
        })
    }

    fn documents<'a>(
        &'a self,
        state: &'a AppState,
        q: &'a platform::module::DocumentQuery,
    ) -> platform::module::BoxFuture<'a, Result<Vec<platform::module::Document>, platform::web::AppError>> {
        Box::pin(async move { Ok(store::published_documents(&state.db, q).await?) })
    }

    fn documents_changed<'a>(&'a self, state: &'a AppState, ids: &'a [i64]) -> platform::module::BoxFuture<'a, ()> {
        Box::pin(service::announce(state, self, ids.iter().map(|id| format!("a:{id}")).collect()))
    }
}

fn nav() -> Vec<NavItem> {
    vec![
        NavItem {
            section: "内容管理", href: "/admin/cms/articles", label: "信息管理", perm: Some(Perm::ArticleEdit)
        },
        NavItem {
            section: "内容管理", href: "/admin/cms/review", label: "待审核", perm: Some(Perm::ArticleReview)
        },
        NavItem {
            section: "内容管理", href: "/admin/cms/sites", label: "站点与栏目", perm: Some(Perm::ChannelManage)
        },
        NavItem {
            section: "内容管理", href: "/admin/cms/stats", label: "发布统计", perm: Some(Perm::ContentStats)
        },
    ]
}

/// Background work of every node: follow the change feed (cache and template invalidation),
/// publish and take down scheduled articles, write batched view counts.
fn spawn_jobs(state: AppState, cms: Arc<Cms>) {
    tokio::spawn(async move {
        // Start from the current end of the feed: this node's cache is empty anyway.
        cms.cache
            .applied
            .store(store::last_change_id(&state.db).await.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
        // Bring this node's search index in line with the database.
        if let Some(idx) = &cms.search
            && idx.is_writable()
        {
            match indexing::reconcile(&state.db, idx).await {
                Ok(todo) if !todo.is_empty() => {
                    tracing::info!(articles = todo.len(), "search index reconciling with the database");
                    if let Ok(mut q) = cms.index_queue.lock() {
                        q.extend(todo);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "search reconcile failed"),
            }
        }
        let mut tick = tokio::time::interval(cache::POLL);
        let mut last_schedule = Instant::now() - Duration::from_secs(10);
        let mut last_flush = Instant::now();
        let mut last_blocks = Instant::now();
        loop {
            tick.tick().await;
            let hook = |tags: &[&str]| {
                cms.apply_tags(tags);
                (cms.on_change)(tags);
            };
            cache::follow_once(&state.db, &cms.cache, &hook).await;
            cms.index_queued(&state.db).await;
            if cms.synonyms_changed.swap(false, std::sync::atomic::Ordering::Relaxed)
                && let Some(idx) = &cms.search
            {
                idx.set_synonyms(&indexing::extra_synonyms(&state.db).await);
            }
            if last_schedule.elapsed() >= Duration::from_secs(1) {
                last_schedule = Instant::now();
                service::run_schedule(&state, &cms).await;
            }
            if last_blocks.elapsed() >= render::MODULE_BLOCKS_REFRESH {
                // Each node refreshes its own copies; nothing to tell the others.
                last_blocks = Instant::now();
                cms.cache.invalidate(&[render::MODULE_BLOCKS_TAG]);
            }
            if last_flush.elapsed() >= Duration::from_secs(10) {
                last_flush = Instant::now();
                cms.flush_views(&state.db).await;
                let _ = store::prune_changes(&state.db, platform::db::now() - 86_400).await;
            }
        }
    });
}
