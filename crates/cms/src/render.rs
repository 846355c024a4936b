//! Rendering of public pages from site templates.
//!
//! Each site has a sandboxed minijinja environment: the default template set compiled into the
//! binary, overlaid with the site's own overrides from the database. Templates cannot reach files or
//! the network (no loader), run under a fuel budget and recursion limit, and auto-escape. Data is
//! prepared before rendering (templates never query), and every page reports the dependency tags
//! of what it showed, which is what the page cache invalidates by.
//!
//! Links are built from a [`Links`] base so the same renderer serves pages (root-relative links)
//! and writes the static export (links relative to each file).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use minijinja::{Environment, Value, context};
use platform::db::{Db, DbResult};
use serde::Serialize;

use crate::domain::{PubState, Validity};
use crate::sanitize;
use crate::store::{self, Article, Channel, ListItem, Site};

pub const DEFAULT_TEMPLATES: [(&str, &str); 11] = [
    ("layout.html", include_str!("../templates/site/layout.html")),
    ("macros.html", include_str!("../templates/site/macros.html")),
    ("home.html", include_str!("../templates/site/home.html")),
    ("channel.html", include_str!("../templates/site/channel.html")),
    ("article.html", include_str!("../templates/site/article.html")),
    ("page.html", include_str!("../templates/site/page.html")),
    ("topic.html", include_str!("../templates/site/topic.html")),
    ("sitemap.html", include_str!("../templates/site/sitemap.html")),
    ("search.html", include_str!("../templates/site/search.html")),
    ("error.html", include_str!("../templates/site/error.html")),
    ("module.html", include_str!("../templates/site/module.html")),
];

pub const PAGE_SIZE: i64 = 20;
/// Template execution budget: enough for any sane page, small enough that a runaway loop in an
/// operator's template stops in milliseconds.
const FUEL: u64 = 2_000_000;

/// Builds a sandboxed environment from the defaults plus `overrides`.
pub fn build_env(overrides: &[(String, String)]) -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(64);
    platform::web::install_html_formatter(&mut env);
    for (name, src) in DEFAULT_TEMPLATES {
        if !overrides.iter().any(|(n, _)| n == name) {
            env.add_template(name, src)?;
        }
    }
    for (name, src) in overrides {
        env.add_template_owned(name.clone(), src.clone())?;
    }
    Ok(env)
}

/// Where links point: the site root, static assets, uploaded files, the search page.
#[derive(Debug, Clone, Serialize)]
pub struct Links {
    pub root: String,
    pub static_root: String,
    pub files_root: String,
    pub search: String,
    /// In an export, the live portal's origin: links to pages outside the exported site (other
    /// sites, internal link channels) point there. Empty when serving.
    pub outside: String,
}

impl Links {
    /// Root-relative links for serving; `prefix` is the site's path prefix ("" or "/kjj").
    pub fn serving(prefix: &str) -> Links {
        let root = format!("{prefix}/");
        Links {
            search: format!("{root}search"),
            root,
            static_root: "/static/".into(),
            files_root: "/files/".into(),
            outside: String::new(),
        }
    }
    /// Links relative to a file `depth` directories below the export root.
    pub fn export(depth: usize, search: &str, outside: &str) -> Links {
        let root = if depth == 0 { "./".to_owned() } else { "../".repeat(depth) };
        Links {
            static_root: format!("{root}static/"),
            files_root: format!("{root}files/"),
            search: search.to_owned(),
            root,
            outside: outside.to_owned(),
        }
    }
    /// A site-absolute path (`/qy/`) as a link from this page.
    pub fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') { format!("{}{path}", self.outside) } else { path.to_owned() }
    }
    pub fn article(&self, id: i64) -> String {
        format!("{}a/{id}.html", self.root)
    }
    pub fn channel(&self, c: &Channel) -> String {
        if c.kind == "link" && !c.link_url.is_empty() {
            self.absolute(&c.link_url)
        } else {
            format!("{}c/{}/", self.root, c.id)
        }
    }
    pub fn channel_page(&self, id: i64, page: i64) -> String {
        if page <= 1 { format!("{}c/{id}/", self.root) } else { format!("{}c/{id}/{page}.html", self.root) }
    }
    pub fn feed(&self, id: i64) -> String {
        format!("{}c/{id}/rss.xml", self.root)
    }
    fn item(&self, it: &ListItem) -> Value {
        let external = !it.link_url.is_empty();
        let validity_label = Validity::parse(&it.validity).filter(|v| *v != Validity::Valid).map(|v| v.label());
        context! {
            id => it.id,
            title => it.title.clone(),
            url => if external { it.link_url.clone() } else { self.article(it.id) },
            external => external,
            date => platform::fmt_date(it.pub_at),
            summary => it.summary.clone(),
            cover => it.cover.clone(),
            pinned => it.pinned,
            doc_number => it.doc_number.clone(),
            validity_label => validity_label,
        }
    }
    fn items(&self, items: &[ListItem]) -> Vec<Value> {
        items.iter().map(|i| self.item(i)).collect()
    }
}

/// A rendered page and the tags it depends on.
pub struct Rendered {
    pub status: u16,
    pub body: String,
    pub tags: Vec<String>,
    /// What the page is, for the access statistics.
    pub facts: platform::analytics::PageFacts,
}

/// Reading variants a visitor can choose.
/// How a visitor reads the site (繁體, 长者模式): one page variant each.
pub use platform::web::portal::Reading as Variant;

/// What a visitor asked the search page for.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub page: i64,
    /// Search the whole site group rather than this site.
    pub all_sites: bool,
    pub by_date: bool,
    pub title_only: bool,
}

/// Queries that found something in the last 90 days, most asked first (did-you-mean candidates
/// beside the dictionary).
async fn successful_queries(db: &Db) -> Vec<String> {
    #[derive(sqlx::FromRow)]
    struct Q {
        q: String,
    }
    let since = platform::db::now() - 90 * 86_400;
    db.fetch_all::<Q>(
        platform::db::sql(
            "SELECT q FROM search_log WHERE hits > 0 AND at >= $1 GROUP BY q ORDER BY COUNT(*) DESC, q LIMIT 500",
        )
        .bind(since),
    )
    .await
    .map(|rows| rows.into_iter().map(|r| r.q).collect())
    .unwrap_or_default()
}

/// The tag of home pages showing module blocks, dropped every [`MODULE_BLOCKS_REFRESH`].
pub const MODULE_BLOCKS_TAG: &str = "blocks";
/// How stale a module block on a cached home page may get.
pub const MODULE_BLOCKS_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// What to render.
#[derive(Debug, Clone)]
pub enum PageReq {
    /// The home page, with the module blocks its site chose (already fetched: they come from
    /// other modules' data, which this crate does not read).
    Home(Vec<platform::module::HomeBlock>),
    Channel {
        id: i64,
        page: i64,
    },
    Article {
        id: i64,
    },
    Sitemap,
    Search(SearchParams),
    NotFound,
}

/// A channel's live list at a glance: how many items (every list page's pager needs it, and
/// counting a large channel's index on each render would cost milliseconds) and its newest items.
struct ChannelLive {
    count: i64,
    recent: Vec<store::RecentItem>,
}

/// What every page of a site needs and what changes only when the site's settings, templates or
/// columns do: kept per site and dropped by [`Renderer::forget_site`] (the `site:ID` change tag,
/// which channel and template edits also carry), so a page render reads only its own rows.
struct SiteData {
    env: Arc<Environment<'static>>,
    channels: Arc<Vec<Channel>>,
}

pub struct Renderer {
    sites: RwLock<HashMap<i64, Arc<SiteData>>>,
    /// Each channel's live item count and newest items (for pagers and related reading), dropped
    /// by that channel's `c:ID` tag.
    live: RwLock<HashMap<i64, Arc<ChannelLive>>>,
    /// Bumped by every `forget_*`; a load that started before a bump is not kept, so data read
    /// just before a change can never outlive it.
    generation: AtomicU64,
    /// Every site of the group (for links between sites), cleared with any site's data.
    all_sites: RwLock<Option<Arc<Vec<Site>>>>,
    s2t: Option<ferrous_opencc::OpenCC>,
    files_dir: std::path::PathBuf,
    /// The search engine for the search page (title matching in the database without it).
    pub search: Option<Arc<search::SearchIndex>>,
    /// The query log's successful queries for did-you-mean, read at most every ten minutes (the
    /// log grows with every search; grouping it per zero-result query would not scale).
    known_queries: RwLock<Option<(std::time::Instant, Arc<Vec<String>>)>>,
}

impl Renderer {
    /// `files_dir` is the upload store, consulted for image renditions.
    pub fn new(files_dir: &std::path::Path) -> Self {
        Renderer {
            sites: RwLock::new(HashMap::new()),
            live: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            all_sites: RwLock::new(None),
            s2t: ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t).ok(),
            files_dir: files_dir.to_path_buf(),
            search: None,
            known_queries: RwLock::new(None),
        }
    }

    /// Successful queries of the last 90 days, most asked first (see [`successful_queries`]).
    async fn known_queries(&self, db: &Db) -> Arc<Vec<String>> {
        const FRESH: std::time::Duration = std::time::Duration::from_secs(600);
        if let Ok(g) = self.known_queries.read()
            && let Some((at, list)) = g.as_ref()
            && at.elapsed() < FRESH
        {
            return list.clone();
        }
        let list = Arc::new(successful_queries(db).await);
        if let Ok(mut g) = self.known_queries.write() {
            *g = Some((std::time::Instant::now(), list.clone()));
        }
        list
    }

    /// Forgets a site's compiled templates, columns and the site list (after a change to any of
    /// them, on any node).
    pub fn forget_site(&self, site_id: i64) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut g) = self.sites.write() {
            g.remove(&site_id);
        }
        if let Ok(mut g) = self.all_sites.write() {
            *g = None;
        }
    }

    /// Forgets a channel's count and recent items (its list changed).
    pub fn forget_channel(&self, channel_id: i64) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut g) = self.live.write() {
            g.remove(&channel_id);
        }
    }

    /// Keeps `value` under `key` unless something was forgotten since `generation` was read.
    fn keep<K: std::hash::Hash + Eq, V>(&self, map: &RwLock<HashMap<K, V>>, generation: u64, key: K, value: V) {
        if let Ok(mut g) = map.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            g.insert(key, value);
        }
    }

    async fn site_data(&self, db: &Db, site_id: i64) -> DbResult<Arc<SiteData>> {
        if let Some(d) = self.sites.read().ok().and_then(|g| g.get(&site_id).cloned()) {
            return Ok(d);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let overrides: Vec<(String, String)> = store::live_templates(db, site_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.name, t.source))
            .collect();
        // A broken override must not take the site down: fall back to the defaults (and log it).
        let env = build_env(&overrides).unwrap_or_else(|e| {
            tracing::error!(site_id, error = %e, "site template override failed to compile; using defaults");
            build_env(&[]).unwrap_or_else(|_| Environment::new())
        });
        let data =
            Arc::new(SiteData { env: Arc::new(env), channels: Arc::new(store::channels_of(db, site_id).await?) });
        self.keep(&self.sites, generation, site_id, data.clone());
        Ok(data)
    }

    async fn all_sites(&self, db: &Db) -> DbResult<Arc<Vec<Site>>> {
        if let Some(s) = self.all_sites.read().ok().and_then(|g| g.clone()) {
            return Ok(s);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let s = Arc::new(store::sites(db).await?);
        if let Ok(mut g) = self.all_sites.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *g = Some(s.clone());
        }
        Ok(s)
    }

    async fn channel_live(&self, db: &Db, channel_id: i64) -> DbResult<Arc<ChannelLive>> {
        if let Some(r) = self.live.read().ok().and_then(|g| g.get(&channel_id).cloned()) {
            return Ok(r);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let live = Arc::new(ChannelLive {
            count: store::channel_count(db, channel_id).await?,
            recent: store::channel_recent(db, channel_id).await?,
        });
        tracing::debug!(channel_id, count = live.count, "channel list loaded");
        self.keep(&self.live, generation, channel_id, live.clone());
        Ok(live)
    }

    /// Converts rendered HTML to traditional characters (tags and attributes are ASCII and pass
    /// through unchanged).
    pub fn to_traditional(&self, html: &str) -> String {
        match &self.s2t {
            Some(c) => c.convert(html),
            None => html.to_owned(),
        }
    }

    /// A renderer with one pre-built environment (template preview before saving).
    pub fn with_env(
        site_id: i64,
        env: Environment<'static>,
        channels: Vec<Channel>,
        files_dir: &std::path::Path,
    ) -> Self {
        Renderer {
            sites: RwLock::new(HashMap::from([(
                site_id,
                Arc::new(SiteData { env: Arc::new(env), channels: Arc::new(channels) }),
            )])),
            live: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            all_sites: RwLock::new(None),
            s2t: None,
            files_dir: files_dir.to_path_buf(),
            search: None,
            known_queries: RwLock::new(None),
        }
    }

    async fn prepare(
        &self,
        db: &Db,
        site: &Site,
        host: &str,
        links: &Links,
        req: &PageReq,
        variant: Variant,
    ) -> DbResult<(Arc<Environment<'static>>, Out, Vec<String>, platform::analytics::PageFacts)> {
        let data = self.site_data(db, site.id).await?;
        let env = data.env.clone();
        let all_sites = self.all_sites(db).await?;
        let mut page = PageBuilder::new(self, site, host, links, &data.channels, &all_sites, variant);
        let out = match req {
            PageReq::Home(blocks) => page.home(db, blocks).await?,
            PageReq::Channel { id, page: n } => page.channel(db, *id, *n).await?,
            PageReq::Article { id } => page.article(db, *id).await?,
            PageReq::Sitemap => page.sitemap(),
            PageReq::Search(p) => page.search(db, self.search.as_deref(), p).await?,
            PageReq::NotFound => page.not_found(),
        };
        let mut facts = page.facts;
        facts.site_id = site.id;
        Ok((env, out, page.tags, facts))
    }

    /// Renders one page of `site`. A failing operator template falls back to the default set's
    /// error page rather than an empty response.
    pub async fn render(
        &self,
        db: &Db,
        site: &Site,
        host: &str,
        links: &Links,
        req: &PageReq,
        variant: Variant,
    ) -> DbResult<Rendered> {
        let (env, (template, ctx, status), tags, facts) = self.prepare(db, site, host, links, req, variant).await?;
        let html = match env.get_template(template).and_then(|t| t.render(&ctx)) {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(site = %site.code, template, error = %format!("{e:#}"), "site template failed");
                let fallback = build_env(&[]).ok();
                let err_ctx =
                    context! { title => "页面暂时无法显示", detail => "页面模板出错，管理员已收到记录。", ..ctx };
                fallback
                    .and_then(|e| e.get_template("error.html").ok().and_then(|t| t.render(err_ctx).ok()))
                    .unwrap_or_default()
            }
        };
        let body = if variant.traditional { self.to_traditional(&html) } else { html };
        Ok(Rendered { status, body, tags, facts })
    }

    /// Renders without fallback, returning the template error (for checking an override).
    pub async fn render_strict(
        &self,
        db: &Db,
        site: &Site,
        host: &str,
        links: &Links,
        req: &PageReq,
    ) -> DbResult<Result<String, minijinja::Error>> {
        let (env, (template, ctx, _), _, _) = self.prepare(db, site, host, links, req, Variant::default()).await?;
        Ok(env.get_template(template).and_then(|t| t.render(ctx)))
    }
}

impl Renderer {
    /// A module's page (a mailbox, the service hall) inside `site`'s layout: the site's own
    /// `module.html` and `layout.html`, its navigation with the column that links to the module
    /// marked current, and the meta tags of a column page.
    pub async fn module_page(
        &self,
        db: &Db,
        site: &Site,
        ctx: &platform::web::Ctx,
        frame: &platform::web::portal::Frame,
        content: String,
    ) -> DbResult<String> {
        let (host, variant, path) = (ctx.host.as_str(), ctx.reading, ctx.path.as_str());
        let data = self.site_data(db, site.id).await?;
        let all_sites = self.all_sites(db).await?;
        let links = Links::serving(&site.path_prefix);
        let page = PageBuilder::new(self, site, host, &links, &data.channels, &all_sites, variant);
        let column = if frame.column.is_empty() { frame.section.name.to_owned() } else { frame.column.clone() };
        let mut meta = page.meta(None, &frame.title, None, path);
        for (k, v) in &mut meta {
            match k.as_str() {
                "ColumnName" => *v = column.clone(),
                "ColumnType" => *v = frame.section.name.to_owned(),
                "Keywords" | "Description" => *v = frame.title.clone(),
                _ => {}
            }
        }
        // 首页 › the section › the page's own crumbs; the last one is the page itself (not a link).
        let mut trail = vec![(frame.section.root.to_owned(), frame.section.name.to_owned())];
        trail.extend(frame.crumbs.iter().filter(|(url, _)| url != frame.section.root).cloned());
        let breadcrumbs: Vec<Value> =
            trail.into_iter().map(|(url, name)| context! { name, url, link_last => false }).collect();
        let ctx = context! {
            title => frame.title.clone(),
            breadcrumbs,
            section => platform::web::sv(frame.section),
            nav_current => frame.nav_current.clone(),
            alternates => frame.alternates.clone(),
            content => Value::from_safe_string(content),
            ..page.base_at("module", meta, path)
        };
        let html = match data.env.get_template("module.html").and_then(|t| t.render(&ctx)) {
            Ok(h) => h,
            Err(e) => {
                // A broken override of the frame must not take the module's pages down.
                tracing::error!(site = %site.code, error = %format!("{e:#}"), "module frame template failed");
                build_env(&[])
                    .ok()
                    .and_then(|env| env.get_template("module.html").ok().and_then(|t| t.render(&ctx).ok()))
                    .unwrap_or_default()
            }
        };
        Ok(if variant.traditional { self.to_traditional(&html) } else { html })
    }
}

struct PageBuilder<'a> {
    renderer: &'a Renderer,
    site: &'a Site,
    host: &'a str,
    links: &'a Links,
    channels: &'a [Channel],
    all_sites: &'a [Site],
    variant: Variant,
    tags: Vec<String>,
    facts: platform::analytics::PageFacts,
}

type Out = (&'static str, Value, u16);

impl<'a> PageBuilder<'a> {
    fn new(
        renderer: &'a Renderer,
        site: &'a Site,
        host: &'a str,
        links: &'a Links,
        channels: &'a [Channel],
        all_sites: &'a [Site],
        variant: Variant,
    ) -> Self {
        let tags = vec![format!("site:{}", site.id), format!("nav:{}", site.id)];
        let facts = platform::analytics::PageFacts::default();
        PageBuilder { renderer, site, host, links, channels, all_sites, variant, tags, facts }
    }

    fn channel_by_id(&self, id: i64) -> Option<&'a Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    fn nav(&self, current: Option<i64>) -> Vec<Value> {
        let chain = current.map(|c| store::channel_chain(self.channels, c)).unwrap_or_default();
        self.channels
            .iter()
            .filter(|c| c.parent_id.is_none() && c.kind != "topic" && !c.archived)
            .take(10)
            .map(
                |c| context! { name => c.name.clone(), url => self.links.channel(c), current => chain.contains(&c.id) },
            )
            .collect()
    }

    fn breadcrumbs(&self, channel_id: i64, link_last: bool) -> Vec<Value> {
        let mut chain = store::channel_chain(self.channels, channel_id);
        chain.reverse();
        chain
            .iter()
            .filter_map(|id| self.channel_by_id(*id))
            .map(|c| context! { name => c.name.clone(), url => self.links.channel(c), link_last => link_last })
            .collect()
    }

    fn site_url(&self, s: &Site) -> String {
        // Within one export only the exported site is reachable; other sites link to their paths.
        if s.id == self.site.id { self.links.root.clone() } else { self.links.absolute(&format!("{}/", s.path_prefix)) }
    }

    fn siblings(&self) -> Vec<Value> {
        let main = self.all_sites.iter().find(|s| s.path_prefix.is_empty());
        let mut out = Vec::new();
        if self.site.path_prefix.is_empty() {
            for s in self.all_sites.iter().filter(|s| s.kind == "audience").take(4) {
                out.push(context! { name => s.name.clone(), url => self.site_url(s) });
            }
        } else if let Some(m) = main {
            out.push(context! { name => "返回主站", url => self.site_url(m) });
        }
        out
    }

    /// Government page metadata (政府网站网页设计规范) — all twelve tags on every page.
    fn meta(
        &self,
        column: Option<&Channel>,
        title: &str,
        article: Option<&Article>,
        url: &str,
    ) -> Vec<(String, String)> {
        let column_name = column.map_or("首页".to_owned(), |c| c.name.clone());
        let column_type = column.map_or("首页".to_owned(), |c| {
            crate::domain::CHANNEL_KINDS
                .iter()
                .find(|(k, _)| *k == c.kind)
                .map_or(c.kind.clone(), |(_, l)| (*l).to_owned())
        });
        let (pub_date, source, keywords, author, description) = match article {
            Some(a) => (
                platform::fmt_time(a.pub_at),
                if a.source.is_empty() { self.site.sponsor.clone() } else { a.source.clone() },
                a.keywords.clone(),
                if a.author.is_empty() { self.site.sponsor.clone() } else { a.author.clone() },
                if a.summary.is_empty() { sanitize::excerpt(&a.body, 120) } else { a.summary.clone() },
            ),
            None => (
                platform::fmt_time(platform::db::now()),
                self.site.sponsor.clone(),
                column.map_or_else(|| self.site.name.clone(), |c| c.name.clone()),
                self.site.sponsor.clone(),
                column.map_or_else(
                    || self.site.description.clone(),
                    |c| {
                        if c.description.is_empty() { c.name.clone() } else { c.description.clone() }
                    },
                ),
            ),
        };
        let domain = self.site.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| self.host.to_owned());
        vec![
            ("SiteName".into(), self.site.name.clone()),
            ("SiteDomain".into(), domain),
            ("SiteIDCode".into(), self.site.site_id_code.clone()),
            ("ColumnName".into(), column_name),
            ("ColumnType".into(), column_type),
            ("ArticleTitle".into(), title.to_owned()),
            ("PubDate".into(), pub_date),
            ("ContentSource".into(), source),
            ("Keywords".into(), keywords),
            ("Author".into(), author),
            ("Description".into(), description),
            ("Url".into(), url.to_owned()),
        ]
    }

    /// The top navigation with the column whose link leads to `path` (a module's page) current.
    fn nav_at(&self, path: &str) -> Vec<Value> {
        self.channels
            .iter()
            .filter(|c| c.parent_id.is_none() && c.kind != "topic" && !c.archived)
            .take(10)
            .map(|c| {
                let url = self.links.channel(c);
                let current =
                    c.kind == "link" && url.len() > 1 && url.starts_with('/') && path.starts_with(url.as_str());
                context! { name => c.name.clone(), url => url, current => current }
            })
            .collect()
    }

    /// The common context of a module page at `path`.
    fn base_at(&self, page_kind: &str, meta: Vec<(String, String)>, path: &str) -> Value {
        context! { nav => self.nav_at(path), ..self.base(page_kind, meta, None) }
    }

    fn base(&self, page_kind: &str, meta: Vec<(String, String)>, current: Option<i64>) -> Value {
        context! {
            site => context! {
                name => self.site.name.clone(), code => self.site.code.clone(), site_id_code => self.site.site_id_code.clone(),
                sponsor => self.site.sponsor.clone(), contact => self.site.contact.clone(), icp => self.site.icp.clone(),
                psb => self.site.psb.clone(), error_link => self.site.error_link.clone(), slogan => self.site.description.clone(),
            },
            root => self.links.root.clone(),
            static => self.links.static_root.clone(),
            asset_version => crate::public::SITE_CSS.fingerprint.clone(),
            search_url => self.links.search.clone(),
            subscribe_url => self.links.absolute(&format!("/dingyue/?site={}", self.site.code)),
            lang => if self.variant.traditional { "zh-TW" } else { "zh-CN" },
            elder => self.variant.elder,
            nav => self.nav(current),
            sibling_sites => self.siblings(),
            meta => meta,
            page_kind => page_kind,
        }
    }

    /// A page of a channel's list; the first pages come from the renderer's memory.
    async fn list_page(&self, db: &Db, channel_id: i64, limit: i64, offset: i64) -> DbResult<Vec<ListItem>> {
        let live = self.renderer.channel_live(db, channel_id).await?;
        let end = usize::try_from(offset + limit).unwrap_or(usize::MAX);
        if end <= live.recent.len() || live.recent.len() as i64 == live.count {
            let start = usize::try_from(offset).unwrap_or(0).min(live.recent.len());
            return Ok(live.recent[start..end.min(live.recent.len())].iter().map(|r| r.item.clone()).collect());
        }
        store::channel_items(db, channel_id, limit, offset).await
    }

    async fn block(&mut self, db: &Db, c: &Channel, n: i64) -> DbResult<Value> {
        self.tags.push(format!("c:{}", c.id));
        let items = self.list_page(db, c.id, n, 0).await?;
        Ok(
            context! { id => c.id, slug => c.slug.clone(), name => c.name.clone(), url => self.links.channel(c), items => self.links.items(&items) },
        )
    }

    async fn home(&mut self, db: &Db, module_blocks: &[platform::module::HomeBlock]) -> DbResult<Out> {
        self.tags.push(format!("home:{}", self.site.id));
        self.facts.title = "首页".into();
        if !module_blocks.is_empty() {
            // Module data changes without telling the portal: such pages are refreshed on a timer.
            self.tags.push(MODULE_BLOCKS_TAG.to_owned());
        }
        let home_channels: Vec<&Channel> =
            self.channels.iter().filter(|c| c.show_on_home && !c.archived && c.kind != "link").collect();
        let mut blocks = HashMap::new();
        let mut ordered = Vec::new();
        let mut headline = None;
        for c in home_channels {
            let b = self.block(db, c, 8).await?;
            if c.slug == "yw" {
                let first = self.list_page(db, c.id, 1, 0).await?;
                headline = first.first().map(|it| self.links.item(it));
            }
            blocks.insert(c.slug.clone(), b.clone());
            ordered.push(b);
        }
        let under = |slug: &str| -> Vec<Value> {
            let parent = self.channels.iter().find(|c| c.slug == slug);
            parent
                .map(|p| {
                    self.channels
                        .iter()
                        .filter(|c| c.parent_id == Some(p.id))
                        .map(|c| context! { name => c.name.clone(), url => self.links.channel(c) })
                        .collect()
                })
                .unwrap_or_default()
        };
        let topics: Vec<Value> = self
            .channels
            .iter()
            .filter(|c| c.kind == "topic")
            .map(|c| context! { name => c.name.clone(), url => self.links.channel(c), description => c.description.clone(), archived => c.archived })
            .collect();
        let url = self.links.root.clone();
        let ctx = context! {
            blocks => blocks, home_blocks => ordered, headline => headline, module_blocks => platform::web::sv(module_blocks),
            quick_links => under("bsfw"), interaction => under("hdjl"), topics => topics,
            quick_url => self.channels.iter().find(|c| c.slug == "bsfw").map(|c| self.links.channel(c)),
            interaction_url => self.channels.iter().find(|c| c.slug == "hdjl").map(|c| self.links.channel(c)),
            ..self.base("home", self.meta(None, &self.site.name.clone(), None, &url), None)
        };
        Ok(("home.html", ctx, 200))
    }

    fn side(&self, c: &Channel) -> (String, Vec<Value>) {
        let parent = c.parent_id.and_then(|p| self.channel_by_id(p));
        let (name, siblings): (String, Vec<&Channel>) = match parent {
            Some(p) => (p.name.clone(), self.channels.iter().filter(|x| x.parent_id == Some(p.id)).collect()),
            None => (c.name.clone(), self.channels.iter().filter(|x| x.parent_id == Some(c.id)).collect()),
        };
        let items = siblings
            .into_iter()
            .map(|x| context! { name => x.name.clone(), url => self.links.channel(x), current => x.id == c.id })
            .collect();
        (name, items)
    }

    fn pager(&self, channel_id: i64, page: i64, total: i64) -> Value {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        context! {
            page => page, pages => pages, total => total,
            prev => (page > 1).then(|| self.links.channel_page(channel_id, page - 1)),
            next => (page < pages).then(|| self.links.channel_page(channel_id, page + 1)),
        }
    }

    async fn channel(&mut self, db: &Db, id: i64, page: i64) -> DbResult<Out> {
        let Some(c) = self.channel_by_id(id) else {
            return Ok(self.not_found());
        };
        self.tags.push(format!("c:{id}"));
        self.facts.channel = Some((id, c.name.as_str().into()));
        self.facts.title = c.name.as_str().into();
        let url = self.links.channel_page(id, page);
        let meta = self.meta(Some(c), &c.name, None, &url);
        match c.kind.as_str() {
            "page" => {
                let ctx = context! { channel => c, breadcrumbs => self.breadcrumbs(id, false), ..self.base("page", meta, Some(id)) };
                Ok(("page.html", ctx, 200))
            }
            "topic" => {
                let children: Vec<&Channel> = self.channels.iter().filter(|x| x.parent_id == Some(id)).collect();
                let mut blocks = Vec::new();
                for ch in children {
                    blocks.push(self.block(db, ch, 8).await?);
                }
                let total = self.renderer.channel_live(db, id).await?.count;
                let items = self.list_page(db, id, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
                let ctx = context! {
                    channel => c, topic_blocks => blocks, items => self.links.items(&items), pager => self.pager(id, page, total),
                    breadcrumbs => self.breadcrumbs(id, false), ..self.base("topic", meta, Some(id))
                };
                Ok(("topic.html", ctx, 200))
            }
            _ => {
                let total = self.renderer.channel_live(db, id).await?.count;
                let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
                if page > pages {
                    return Ok(self.not_found());
                }
                let items = self.list_page(db, id, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
                // A parent column without items of its own shows its sub-columns' newest items.
                let mut child_blocks = Vec::new();
                if total == 0 {
                    let kids: Vec<&Channel> =
                        self.channels.iter().filter(|x| x.parent_id == Some(id) && x.kind != "link").collect();
                    for k in kids {
                        child_blocks.push(self.block(db, k, 6).await?);
                    }
                }
                let (parent_name, children) = self.side(c);
                let ctx = context! {
                    channel => c, items => self.links.items(&items), pager => self.pager(id, page, total),
                    children => children, parent_name => parent_name, feed_url => self.links.feed(id), child_blocks => child_blocks,
                    breadcrumbs => self.breadcrumbs(id, false), ..self.base("channel", meta, Some(id))
                };
                Ok(("channel.html", ctx, 200))
            }
        }
    }

    async fn article(&mut self, db: &Db, id: i64) -> DbResult<Out> {
        self.tags.push(format!("a:{id}"));
        let Some(a) = store::article(db, id).await? else {
            return Ok(self.not_found());
        };
        let state = PubState::parse(&a.state).unwrap_or(PubState::Draft);
        // Served under any site where it is placed (引用/推送), in that site's look.
        let places = store::placements(db, id).await?;
        let here = places.iter().find(|p| p.site_id == self.site.id);
        if !state.is_public() || here.is_none() {
            return Ok(self.not_found());
        }
        let channel_id = here.map_or(a.channel_id, |p| p.channel_id);
        let channel = self.channel_by_id(channel_id);
        self.tags.push(format!("c:{channel_id}"));
        self.facts.channel = channel.map(|c| (c.id, c.name.as_str().into()));
        self.facts.article_id = Some(id);
        self.facts.title = a.title.as_str().into();
        let (prev, next) = store::neighbours(db, channel_id, a.pub_at, a.id).await?;
        // Related reading comes from the article's own channel, whose list this page now follows.
        self.tags.push(format!("c:{}", a.channel_id));
        let live = self.renderer.channel_live(db, a.channel_id).await?;
        let related: Vec<ListItem> =
            crate::domain::related(&live.recent, a.id, &a.keywords, 5).into_iter().cloned().collect();
        let files: Vec<Value> = store::attachments(db, id)
            .await?
            .into_iter()
            .map(|f| {
                context! {
                    filename => f.filename.clone(), downloads => f.downloads, size_label => size_label(f.size),
                    url => format!("{}{}/{}", self.links.files_root, f.id, url_escape(&f.filename)),
                }
            })
            .collect();
        // What other modules link to this document (its interpretations, the policy it explains).
        let relations = platform::relations::of(db, id).await?;
        let url = self.links.article(id);
        let meta = self.meta(channel, &a.title, Some(&a), &url);
        let validity_label = Validity::parse(&a.validity).unwrap_or(Validity::Valid).label();
        let body = rewrite_files(
            &crate::files::add_srcset(&a.body, &self.renderer.files_dir, &self.links.files_root),
            &self.links.files_root,
        );
        let view = context! {
            title => a.title.clone(), subtitle => a.subtitle.clone(), source => a.source.clone(), author => a.author.clone(),
            editor => a.editor.clone(), doc_number => a.doc_number.clone(), body => body, views => a.views,
            validity => a.validity.clone(), validity_label => validity_label, archived => state == PubState::Archived,
            date_time => platform::fmt_time(a.pub_at), date_iso => platform::fmt_date(a.pub_at),
        };
        let ctx = context! {
            article => view, attachments => files, relations => platform::web::sv(&relations),
            prev => prev.as_ref().map(|p| self.links.item(p)), next => next.as_ref().map(|p| self.links.item(p)),
            related => self.links.items(&related),
            breadcrumbs => self.breadcrumbs(channel_id, true), ..self.base("article", meta, Some(channel_id))
        };
        Ok(("article.html", ctx, 200))
    }

    fn sitemap(&mut self) -> Out {
        fn tree(b: &PageBuilder<'_>, parent: Option<i64>) -> Vec<Value> {
            b.channels
                .iter()
                .filter(|c| c.parent_id == parent)
                .map(
                    |c| context! { name => c.name.clone(), url => b.links.channel(c), children => tree(b, Some(c.id)) },
                )
                .collect()
        }
        let url = format!("{}sitemap.html", self.links.root);
        let ctx = context! { tree_nodes => tree(self, None), breadcrumbs => vec![context!{ name => "网站地图", url => url.clone() }], ..self.base("sitemap", self.meta(None, "网站地图", None, &url), None) };
        ("sitemap.html", ctx, 200)
    }

    async fn search(&mut self, db: &Db, engine: Option<&search::SearchIndex>, p: &SearchParams) -> DbResult<Out> {
        let q = p.q.trim();
        let page = p.page.max(1);
        let mut results = Vec::new();
        let mut total = 0i64;
        let mut suggestion = None;
        let (mut relaxed, mut expanded) = (false, Vec::new());
        if !q.is_empty() {
            match engine {
                Some(engine) => {
                    let req = search::SearchRequest {
                        q: q.to_owned(),
                        title_only: p.title_only,
                        site: (!p.all_sites).then_some(self.site.id as u64),
                        sort: if p.by_date { search::Sort::Date } else { search::Sort::Relevance },
                        offset: ((page - 1) * PAGE_SIZE) as usize,
                        limit: PAGE_SIZE as usize,
                        ..Default::default()
                    };
                    match engine.search(&req) {
                        Ok(r) => {
                            total = r.total as i64;
                            relaxed = r.relaxed;
                            expanded = r.expanded;
                            for h in r.hits {
                                // Another module's document (办事指南, 来信选登) opens that module's page.
                                if let Some(k) = engine.kind_link(&h.kind) {
                                    results.push(context! {
                                        url => format!("{}{}", k.url_prefix, h.id), title_html => h.title_html, snippet_html => h.snippet_html,
                                        site_name => k.label, date => platform::fmt_date(h.date), doc_number => h.doc_number, validity_label => None::<&str>,
                                    });
                                    continue;
                                }
                                // Link within this site when the article is placed here.
                                let here = h.sites.contains(&(self.site.id as u64));
                                let site = if here {
                                    Some(self.site)
                                } else {
                                    h.sites.first().and_then(|s| self.all_sites.iter().find(|x| x.id as u64 == *s))
                                };
                                let url = match site {
                                    Some(s) if s.id == self.site.id => self.links.article(h.id as i64),
                                    Some(s) => self.links.absolute(&format!("{}/a/{}.html", s.path_prefix, h.id)),
                                    None => continue,
                                };
                                results.push(context! {
                                    url => url, title_html => h.title_html, snippet_html => h.snippet_html,
                                    site_name => site.map(|s| s.name.clone()).unwrap_or_default(), date => platform::fmt_date(h.date),
                                    doc_number => h.doc_number, validity_label => Validity::parse(&h.validity).filter(|v| *v != Validity::Valid).map(|v| v.label()),
                                });
                            }
                            if total == 0 || relaxed {
                                suggestion = engine.suggest_among(q, &self.renderer.known_queries(db).await);
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "search failed"),
                    }
                }
                None => {
                    let (rows, n) = search_titles(db, q, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
                    total = n;
                    for r in rows {
                        let site_name = self
                            .all_sites
                            .iter()
                            .find(|s| s.id == r.site_id)
                            .map(|s| s.name.clone())
                            .unwrap_or_default();
                        results.push(context! {
                            url => self.links.article(r.id), title_html => highlight(&r.title, q), snippet_html => highlight(&sanitize::excerpt(&r.summary, 120), q),
                            site_name => site_name, date => platform::fmt_date(r.pub_at),
                        });
                    }
                }
            }
            // The query log keeps the words only, never who searched.
            let _ = db
                .execute(
                    platform::db::sql("INSERT INTO search_log (q, hits, at) VALUES ($1, $2, $3)")
                        .bind(q.chars().take(100).collect::<String>())
                        .bind(total)
                        .bind(platform::db::now()),
                )
                .await;
        }
        #[derive(sqlx::FromRow)]
        struct Bet {
            title: String,
            url: String,
        }
        let bets: Vec<Bet> = if q.is_empty() {
            Vec::new()
        } else {
            db.fetch_all(
                platform::db::sql(
                    "SELECT title, url FROM search_bestbet WHERE keyword = $1 ORDER BY sort_order, id LIMIT 5",
                )
                .bind(search::text::normalize(q)),
            )
            .await?
        };
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let mut params = vec![("q", q.to_owned())];
        if p.all_sites {
            params.push(("scope", "all".into()));
        }
        if p.by_date {
            params.push(("sort", "date".into()));
        }
        if p.title_only {
            params.push(("in", "title".into()));
        }
        let qs = |n: i64| {
            let mut v = params.clone();
            v.push(("page", n.to_string()));
            format!(
                "{}?{}",
                self.links.search,
                v.iter().map(|(k, v)| format!("{k}={}", url_escape(v))).collect::<Vec<_>>().join("&")
            )
        };
        let pager = context! {
            page => page, pages => pages, total => total,
            prev => (page > 1).then(|| qs(page - 1)),
            next => (page < pages).then(|| qs(page + 1)),
        };
        let url = self.links.search.clone();
        let ctx = context! {
            suggestion_url => suggestion.as_ref().map(|s| format!("{}?q={}", self.links.search, url_escape(s))),
            query => q, results => results, total => total, pager => pager, suggestion => suggestion,
            relaxed => relaxed, expanded => expanded,
            best_bets => bets.into_iter().map(|b| context! { title => b.title, url => b.url }).collect::<Vec<_>>(),
            all_sites => p.all_sites, by_date => p.by_date, title_only => p.title_only,
            breadcrumbs => vec![context!{ name => "站内搜索", url => url.clone() }],
            ..self.base("search", self.meta(None, "站内搜索", None, &url), None)
        };
        Ok(("search.html", ctx, 200))
    }

    fn error_page(&self, title: &str, detail: &str) -> Out {
        let url = self.links.root.clone();
        let ctx = context! { title => title, detail => detail, ..self.base("error", self.meta(None, title, None, &url), None) };
        ("error.html", ctx, 500)
    }

    fn not_found(&mut self) -> Out {
        let (t, ctx, _) = self.error_page("页面不存在", "您访问的页面不存在、已被撤下或已删除。");
        (t, ctx, 404)
    }
}

#[derive(sqlx::FromRow)]
struct SearchRow {
    id: i64,
    site_id: i64,
    title: String,
    summary: String,
    pub_at: i64,
}

/// Title and summary substring search over live articles. The site-group search engine (tantivy
/// with Chinese segmentation) replaces this when the search module is installed.
async fn search_titles(db: &Db, q: &str, limit: i64, offset: i64) -> DbResult<(Vec<SearchRow>, i64)> {
    let pat = format!("%{}%", q.replace(['%', '_'], ""));
    let total = db
        .count(
            platform::db::sql(
                "SELECT COUNT(*) FROM article WHERE state = 'published' AND (title LIKE $1 OR summary LIKE $1)",
            )
            .bind(&pat),
        )
        .await?;
    let rows = db
        .fetch_all(
            platform::db::sql("SELECT id, site_id, title, summary, pub_at FROM article WHERE state = 'published' AND (title LIKE $1 OR summary LIKE $1) ORDER BY pub_at DESC LIMIT $2 OFFSET $3")
                .bind(&pat)
                .bind(limit)
                .bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Escapes text and wraps occurrences of the query in `<mark>`.
fn highlight(text: &str, q: &str) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    if q.is_empty() {
        return esc(text);
    }
    text.split(q).map(esc).collect::<Vec<_>>().join(&format!("<mark>{}</mark>", esc(q)))
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / 1048576.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Uploaded images inside bodies are stored as `/files/…`; in an export they must point into it.
fn rewrite_files(body: &str, files_root: &str) -> String {
    if files_root == "/files/" { body.to_owned() } else { body.replace("\"/files/", &format!("\"{files_root}")) }
}

use platform::feed::xml_escape;

/// RSS 2.0 feed of a channel's newest 30 items. `base` is the absolute origin (`http://host`).
pub async fn channel_feed(db: &Db, site: &Site, channel: &Channel, links: &Links, base: &str) -> DbResult<String> {
    let items = store::channel_items(db, channel.id, 30, 0).await?;
    let title = format!("{} - {}", channel.name, site.name);
    let link = format!("{base}{}", links.channel(channel));
    let description = if channel.description.is_empty() { &channel.name } else { &channel.description };
    let items: Vec<platform::feed::Item> = items
        .iter()
        .map(|it| platform::feed::Item {
            title: it.title.clone(),
            link: if it.link_url.is_empty() { format!("{base}{}", links.article(it.id)) } else { it.link_url.clone() },
            guid: format!("zhengwu-article-{}", it.id),
            published_at: it.pub_at,
            description: it.summary.clone(),
        })
        .collect();
    Ok(platform::feed::rss(&platform::feed::Channel { title: &title, link: &link, description }, &items))
}

/// sitemaps.org sitemap of a site: home, channels, and the newest live articles (at most 50,000
/// URLs, the protocol's limit per file).
pub async fn sitemap_xml(db: &Db, site: &Site, links: &Links, base: &str) -> DbResult<String> {
    let channels = store::channels_of(db, site.id).await?;
    let items = store::site_items(db, site.id, 50_000 - channels.len() as i64 - 1, 0).await?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    out.push_str(&format!(
        "<url><loc>{}{}</loc><changefreq>hourly</changefreq><priority>1.0</priority></url>\n",
        base,
        xml_escape(&links.root)
    ));
    for c in channels.iter().filter(|c| c.kind != "link") {
        out.push_str(&format!(
            "<url><loc>{}{}</loc><changefreq>daily</changefreq><priority>0.6</priority></url>\n",
            base,
            xml_escape(&links.channel(c))
        ));
    }
    for it in items.iter().filter(|i| i.link_url.is_empty()) {
        out.push_str(&format!(
            "<url><loc>{}{}</loc><lastmod>{}</lastmod><priority>0.5</priority></url>\n",
            base,
            xml_escape(&links.article(it.id)),
            platform::fmt_date(it.pub_at)
        ));
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

/// A fixture context for previewing and test-rendering operator templates before saving.
pub fn fixture_links() -> Links {
    Links::serving("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_templates_compile() {
        let env = build_env(&[]).unwrap();
        for (name, _) in DEFAULT_TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn sandbox_limits_runaway_templates_and_escapes() {
        let env = build_env(&[(
            "home.html".into(),
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}".into(),
        )])
        .unwrap();
        let err = env.get_template("home.html").unwrap().render(context! {}).unwrap_err();
        assert!(format!("{err}").contains("fuel"), "{err}");
        let env = build_env(&[("home.html".into(), "{{ x }}".into())]).unwrap();
        assert_eq!(
            env.get_template("home.html").unwrap().render(context! { x => "<script>" }).unwrap(),
            "&lt;script&gt;"
        );
        // No loader: a template cannot include files from disk.
        let env = build_env(&[("home.html".into(), "{% include '/etc/passwd' %}".into())]).unwrap();
        assert!(env.get_template("home.html").unwrap().render(context! {}).is_err());
    }

    #[test]
    fn export_links_are_relative_to_depth() {
        let l = Links::export(2, "/search", "https://www.example.gov.cn");
        assert_eq!(l.article(5), "../../a/5.html");
        assert_eq!(l.channel_page(3, 2), "../../c/3/2.html");
        assert_eq!(Links::export(0, "/s", "").root, "./");
        assert_eq!(l.absolute("/qy/"), "https://www.example.gov.cn/qy/");
        assert_eq!(Links::serving("/kjj").channel_page(3, 1), "/kjj/c/3/");
    }

    #[test]
    fn highlight_escapes_and_marks() {
        assert_eq!(highlight("<b>营商环境</b>", "营商"), "&lt;b&gt;<mark>营商</mark>环境&lt;/b&gt;");
        assert!(platform::feed::rfc822(0).ends_with("+0800"));
    }
}
