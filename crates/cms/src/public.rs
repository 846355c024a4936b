//! The public site: resolves which site a request is for (by host, then by path prefix), serves
//! pages from the page cache or renders them, answers conditional requests with 304, and serves
//! feeds, sitemaps, robots.txt, the stylesheet and attachments (with download counts).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::web::{AppError, AppState};

use crate::Cms;
use crate::cache::Page;
use crate::render::{Links, PageReq, Variant};
use crate::store::{self, Site};
use platform::web::encoding::StaticAsset;

/// What a public path asks for, after the site prefix is removed.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Page(PageReqKey),
    Feed(i64),
    SitemapXml,
    Robots,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PageReqKey {
    Home,
    Channel(i64, i64),
    Article(i64),
    Sitemap,
    Search,
    NotFound,
}

/// Parses the site-relative path (no leading slash).
pub fn parse_path(rest: &str) -> Target {
    let parts: Vec<&str> = rest.split('/').collect();
    let id = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
    let page =
        |s: &str| s.strip_suffix(".html").and_then(|n| n.parse::<i64>().ok()).filter(|n| (2..=100_000).contains(n));
    match parts.as_slice() {
        [""] | ["index.html"] => Target::Page(PageReqKey::Home),
        ["sitemap.html"] => Target::Page(PageReqKey::Sitemap),
        ["sitemap.xml"] => Target::SitemapXml,
        ["robots.txt"] => Target::Robots,
        ["search"] => Target::Page(PageReqKey::Search),
        ["c", c, ""] | ["c", c, "index.html"] if id(c).is_some() => {
            Target::Page(PageReqKey::Channel(id(c).unwrap_or(0), 1))
        }
        ["c", c, "rss.xml"] if id(c).is_some() => Target::Feed(id(c).unwrap_or(0)),
        ["c", c, p] if id(c).is_some() && page(p).is_some() => {
            Target::Page(PageReqKey::Channel(id(c).unwrap_or(0), page(p).unwrap_or(1)))
        }
        ["a", a] => match a.strip_suffix(".html").and_then(id) {
            Some(n) => Target::Page(PageReqKey::Article(n)),
            None => Target::Page(PageReqKey::NotFound),
        },
        _ => Target::Page(PageReqKey::NotFound),
    }
}

/// Finds the site for a request: an exact host match wins; otherwise the first path segment may be
/// a site's prefix; otherwise the main portal (empty prefix).
pub fn resolve<'a>(sites: &'a [Site], host: &str, path: &'a str) -> Option<(&'a Site, &'a str)> {
    let host = host.split(':').next().unwrap_or(host);
    let trimmed = path.trim_start_matches('/');
    if let Some(s) = sites.iter().find(|s| s.host.as_deref().is_some_and(|h| h.split(':').next() == Some(host))) {
        // A host-mapped site may still carry its prefix in links; accept both.
        let rest = if s.path_prefix.is_empty() {
            trimmed
        } else {
            trimmed.strip_prefix(&s.path_prefix[1..]).map_or(trimmed, |r| r.trim_start_matches('/'))
        };
        return Some((s, rest));
    }
    let first = trimmed.split('/').next().unwrap_or("");
    if !first.is_empty()
        && let Some(s) = sites.iter().find(|s| s.path_prefix.len() > 1 && &s.path_prefix[1..] == first)
    {
        let rest = &trimmed[first.len()..];
        return Some((s, rest.strip_prefix('/').unwrap_or(rest)));
    }
    sites.iter().find(|s| s.path_prefix.is_empty()).map(|s| (s, trimmed))
}

/// The page-cache key of a public page. Pages of a site without a configured host name carry the
/// request's host in links (feeds, sitemaps) and metadata, so that host is part of the key: a
/// request with a forged `Host` can never put its host into the page others are served.
fn cache_key(site: &Site, host: &str, rest: &str, variant: Variant) -> String {
    let host = if site.host.as_deref().is_some_and(|h| !h.is_empty()) { "" } else { host };
    format!("{}|{host}|{rest}|{}", site.id, variant.key())
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query.and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

fn respond(page: &Page, headers: &HeaderMap, status: StatusCode) -> Response {
    let not_modified = status == StatusCode::OK
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim().as_bytes() == page.etag.as_bytes()));
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (body, enc) = page.body.for_client(headers);
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        if let Some(v) = enc.header_value() {
            r.headers_mut().insert(header::CONTENT_ENCODING, v);
        }
        r
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(page.content_type));
    h.insert(header::ETAG, page.etag.clone());
    h.insert(header::LAST_MODIFIED, page.last_modified.clone());
    // Browsers and proxies revalidate every time; the ETag makes that a cheap 304.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Encoding"));
    platform::web::headers::apply(h, platform::web::headers::Area::Public);
    res
}

/// The cached-page fast path, applied outermost to the whole router: a GET or HEAD without a query
/// string, routed to the portal's catch-all, whose page is in the cache is answered right here —
/// before the per-request context (request id, locale, pre-CSRF cookie, access log line) is built,
/// none of which a cached public page uses. Everything else passes through untouched. Cached pages
/// carry no cookies, so shared caches in front of the portal may keep them.
#[derive(Clone)]
pub struct CachedPagesLayer {
    cms: Arc<Cms>,
    analytics: Arc<platform::analytics::Analytics>,
    /// Trusted proxies in front (to find the visitor's address for the statistics).
    hops: u8,
}

impl CachedPagesLayer {
    pub fn new(cms: Arc<Cms>, state: &AppState) -> Self {
        CachedPagesLayer { cms, analytics: state.analytics.clone(), hops: state.config.trusted_proxy_hops }
    }
}

impl<S> tower::Layer<S> for CachedPagesLayer {
    type Service = CachedPages<S>;
    fn layer(&self, inner: S) -> CachedPages<S> {
        CachedPages { cms: self.cms.clone(), analytics: self.analytics.clone(), hops: self.hops, inner }
    }
}

#[derive(Clone)]
pub struct CachedPages<S> {
    cms: Arc<Cms>,
    analytics: Arc<platform::analytics::Analytics>,
    hops: u8,
    inner: S,
}

impl<S> tower::Service<axum::extract::Request> for CachedPages<S>
where
    S: tower::Service<axum::extract::Request, Response = Response, Error = std::convert::Infallible>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = CachedOr<S::Future>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        match cached_hit(&self.cms, &self.analytics, self.hops, &req) {
            Some(res) => CachedOr::Hit(Some(res)),
            None => CachedOr::Miss(Box::pin(self.inner.call(req))),
        }
    }
}

/// A cached page ready at once, or the router's own answer.
pub enum CachedOr<F> {
    Hit(Option<Response>),
    Miss(std::pin::Pin<Box<F>>),
}

impl<F: Future<Output = Result<Response, std::convert::Infallible>>> Future for CachedOr<F> {
    type Output = F::Output;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        match self.get_mut() {
            CachedOr::Hit(res) => std::task::Poll::Ready(Ok(res.take().unwrap_or_default())),
            CachedOr::Miss(f) => f.as_mut().poll(cx),
        }
    }
}

fn cached_hit(
    cms: &Cms,
    analytics: &platform::analytics::Analytics,
    hops: u8,
    req: &axum::extract::Request,
) -> Option<Response> {
    use axum::http::Method;
    if !cms.cache.enabled()
        || !(req.method() == Method::GET || req.method() == Method::HEAD)
        || req.uri().query().is_some()
    {
        return None;
    }
    let route = req.extensions().get::<axum::extract::MatchedPath>()?.as_str();
    if route != "/" && route != "/{*path}" {
        return None;
    }
    let sites = cms.sites_cached()?;
    let host = platform::web::plain_host(req.headers(), req.uri());
    let (site, rest) = resolve(&sites, host, req.uri().path())?;
    let (variant, _) = Variant::of_request(req.headers(), None);
    let page = cms.cache.get(&cache_key(site, host, rest, variant))?;
    if let Some(id) = rest.strip_prefix("a/").and_then(|r| r.strip_suffix(".html")).and_then(|n| n.parse().ok()) {
        cms.count_view(id);
    }
    let res = respond(&page, req.headers(), StatusCode::OK);
    if analytics.enabled() && page.content_type.starts_with("text/html") {
        let address = platform::web::client_address(hops, req);
        analytics.record(
            page.facts.clone(),
            req.method(),
            res.status().as_u16(),
            req.headers(),
            host,
            req.uri().path(),
            &address,
        );
    }
    Some(res)
}

pub async fn serve_root(
    state: State<AppState>,
    cms: Extension<Arc<Cms>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: RawQuery,
) -> Response {
    serve_inner(state, cms, uri, headers, String::new(), q).await
}

pub async fn serve_path(
    state: State<AppState>,
    cms: Extension<Arc<Cms>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Path(path): Path<String>,
    q: RawQuery,
) -> Response {
    serve_inner(state, cms, uri, headers, path, q).await
}

async fn serve_inner(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    path: String,
    RawQuery(query): RawQuery,
) -> Response {
    match serve(&state, &cms, &uri, &headers, &path, query.as_deref()).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// The module blocks `site` chose for its home page, in its order; a block with nothing to show
/// is left out.
pub async fn module_blocks(state: &AppState, site: &Site) -> Vec<platform::module::HomeBlock> {
    let mut out = Vec::new();
    for key in site.home_blocks.split_whitespace() {
        if let Some(b) = state.modules.home_block(state, key, site.id).await {
            out.push(b);
        }
    }
    out
}

async fn serve(
    state: &AppState,
    cms: &Cms,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
) -> Result<Response, AppError> {
    let generation = cms.cache.generation();
    let host = platform::web::plain_host(headers, uri).to_owned();
    let sites = cms.sites(&state.db).await?;
    let Some((site, rest)) = resolve(&sites, &host, path) else {
        return Ok((StatusCode::NOT_FOUND, "尚未建立任何站点，请在管理后台新建站点或运行 zhengwu demo").into_response());
    };
    let links = Links::serving(&site.path_prefix);
    let base = format!("http://{host}");
    // The reading cookies a query asks for are set by the platform's context layer.
    let (variant, _) = Variant::of_request(headers, query);
    let target = parse_path(rest);
    let cache_key = match &target {
        Target::Page(PageReqKey::Search) => None,
        _ => Some(cache_key(site, &host, rest, variant)),
    };
    if let Some(k) = &cache_key
        && let Some(page) = cms.cache.get(k)
    {
        if let Target::Page(PageReqKey::Article(id)) = target {
            cms.count_view(id);
        }
        // Only successful pages are cached.
        let mut res = respond(&page, headers, StatusCode::OK);
        res.extensions_mut().insert(page.facts.clone());
        return Ok(res);
    }
    let mut facts = Arc::new(platform::analytics::PageFacts { site_id: site.id, ..Default::default() });
    let (body, content_type, status, tags): (String, &'static str, u16, Vec<String>) = match target {
        Target::Feed(id) => match store::channel(&state.db, id).await?.filter(|c| c.site_id == site.id) {
            Some(c) => (
                crate::render::channel_feed(&state.db, site, &c, &links, &base).await?,
                "application/rss+xml; charset=utf-8",
                200,
                vec![format!("c:{id}"), format!("site:{}", site.id)],
            ),
            None => return Err(AppError::NotFound),
        },
        Target::SitemapXml => (
            crate::render::sitemap_xml(&state.db, site, &links, &base).await?,
            "application/xml; charset=utf-8",
            200,
            vec![format!("sitemap:{}", site.id), format!("nav:{}", site.id), format!("site:{}", site.id)],
        ),
        Target::Robots => {
            let mut txt =
                String::from("User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /api/\nDisallow: /search\n");
            for s in sites.iter() {
                txt.push_str(&format!("Sitemap: {base}{}/sitemap.xml\n", s.path_prefix));
            }
            (txt, "text/plain; charset=utf-8", 200, vec!["site:all".into()])
        }
        Target::Page(key) => {
            let req = match key {
                PageReqKey::Home => PageReq::Home(module_blocks(state, site).await),
                PageReqKey::Channel(id, page) => {
                    if let Some(c) = store::channel(&state.db, id)
                        .await?
                        .filter(|c| c.site_id == site.id && c.kind == "link" && !c.link_url.is_empty())
                    {
                        return Ok((StatusCode::FOUND, [(header::LOCATION, c.link_url)]).into_response());
                    }
                    PageReq::Channel { id, page }
                }
                PageReqKey::Article(id) => {
                    cms.count_view(id);
                    PageReq::Article { id }
                }
                PageReqKey::Sitemap => PageReq::Sitemap,
                PageReqKey::Search => PageReq::Search(crate::render::SearchParams {
                    q: query_param(query, "q").unwrap_or_default().chars().take(100).collect(),
                    page: query_param(query, "page")
                        .and_then(|p| p.parse().ok())
                        .filter(|p: &i64| (1..=500).contains(p))
                        .unwrap_or(1),
                    all_sites: query_param(query, "scope").as_deref() == Some("all"),
                    by_date: query_param(query, "sort").as_deref() == Some("date"),
                    title_only: query_param(query, "in").as_deref() == Some("title"),
                }),
                PageReqKey::NotFound => PageReq::NotFound,
            };
            let search_term = match &req {
                PageReq::Search(p) if p.page == 1 => platform::analytics::search_term(&p.q),
                _ => None,
            };
            let r = cms.renderer.render(&state.db, site, &host, &links, &req, variant).await?;
            facts = Arc::new(platform::analytics::PageFacts { search_term, ..r.facts });
            (r.body, "text/html; charset=utf-8", r.status, r.tags)
        }
    };
    let page = Arc::new(Page::new(body.into_bytes(), content_type, platform::db::now()).with_facts(facts));
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some(k) = cache_key
        && status == StatusCode::OK
    {
        cms.cache.put(k, page.clone(), tags, generation);
    }
    let mut res = respond(&page, headers, status);
    res.extensions_mut().insert(page.facts.clone());
    Ok(res)
}

/// The public stylesheet, precompressed; its fingerprint versions the URL templates link to.
pub static SITE_CSS: std::sync::LazyLock<StaticAsset> =
    std::sync::LazyLock::new(|| StaticAsset::new(include_bytes!("../static/site.css"), "text/css; charset=utf-8"));

/// `site.css?v=FINGERPRINT` (what pages link to) is immutable for a year; a bare or outdated
/// `site.css` is cached for an hour.
pub async fn site_css(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let immutable = q.as_deref().and_then(|q| q.strip_prefix("v=")) == Some(SITE_CSS.fingerprint.as_str());
    SITE_CSS.respond(&headers, immutable)
}

/// Attachment download (counted). Always `attachment` disposition: uploads are never rendered
/// inline from the site's origin.
pub async fn download(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: platform::web::Ctx,
    Path((id, _name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let att = store::attachment(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let article = match att.article_id {
        Some(aid) => store::article(&state.db, aid).await?,
        None => None,
    };
    // Attachments of publicly visible articles are public. Staff who may edit or review the
    // article see the others too (its preview and the review screen link them), privately and
    // audited; everybody else gets the same 404 as for a missing file.
    let public =
        article.as_ref().is_some_and(|a| crate::domain::PubState::parse(&a.state).is_some_and(|s| s.is_public()));
    let mut staff_view = false;
    if !public {
        let Some(a) = &article else { return Err(AppError::NotFound) };
        let Some(auth) = ctx.auth.as_deref() else { return Err(AppError::NotFound) };
        let scope = crate::service::article_scope(&state, a).await?;
        if !(auth.can(platform::roles::Perm::ArticleEdit, &scope)
            || auth.can(platform::roles::Perm::ArticleReview, &scope))
        {
            return Err(AppError::NotFound);
        }
        staff_view = true;
    }
    let bytes = tokio::fs::read(crate::files::attachment_path(&cms.files_dir, &att.sha256))
        .await
        .map_err(|_| AppError::NotFound)?;
    if staff_view {
        state
            .audit(
                &ctx,
                "attachment.preview",
                &format!("attachment:{id}"),
                "success",
                format!("预览未发布信息的附件“{}”", att.filename),
            )
            .await;
    } else {
        store::count_download(&state.db, id).await?;
    }
    let disposition = platform::web::attachment_disposition(&att.filename);
    Ok((
        [
            (header::CONTENT_TYPE, att.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, if staff_view { "private, no-store" } else { "public, max-age=300" }.to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn inline_image(Extension(cms): Extension<Arc<Cms>>, Path(name): Path<String>) -> Result<Response, AppError> {
    let path = crate::files::inline_path(&cms.files_dir, &name).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(path).await.map_err(|_| AppError::NotFound)?;
    let ct = match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "image/webp",
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// The stylesheet of forms, tables and receipts on subsystem pages, on top of `site.css`.
pub async fn portal_forms_css() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/portal-forms.css"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(parse_path(""), Target::Page(PageReqKey::Home));
        assert_eq!(parse_path("c/12/"), Target::Page(PageReqKey::Channel(12, 1)));
        assert_eq!(parse_path("c/12/3.html"), Target::Page(PageReqKey::Channel(12, 3)));
        assert_eq!(parse_path("c/12/1.html"), Target::Page(PageReqKey::NotFound));
        assert_eq!(parse_path("c/12/rss.xml"), Target::Feed(12));
        assert_eq!(parse_path("a/99.html"), Target::Page(PageReqKey::Article(99)));
        assert_eq!(parse_path("a/x.html"), Target::Page(PageReqKey::NotFound));
        assert_eq!(parse_path("../etc/passwd"), Target::Page(PageReqKey::NotFound));
    }

    #[test]
    fn sites_resolve_by_host_then_prefix() {
        let mk = |id, prefix: &str, host: Option<&str>| Site {
            id,
            path_prefix: prefix.into(),
            host: host.map(str::to_owned),
            ..Site::default()
        };
        let sites = vec![mk(1, "", None), mk(2, "/kjj", None), mk(3, "/qy", Some("qy.example.gov.cn"))];
        assert_eq!(resolve(&sites, "portal", "/kjj/c/5/").map(|(s, r)| (s.id, r)), Some((2, "c/5/")));
        assert_eq!(resolve(&sites, "portal", "/kjj").map(|(s, r)| (s.id, r)), Some((2, "")));
        assert_eq!(resolve(&sites, "portal", "/c/5/").map(|(s, r)| (s.id, r)), Some((1, "c/5/")));
        assert_eq!(
            resolve(&sites, "qy.example.gov.cn:8080", "/a/1.html").map(|(s, r)| (s.id, r)),
            Some((3, "a/1.html"))
        );
        assert_eq!(resolve(&sites, "portal", "/kjjx/").map(|(s, r)| (s.id, r)), Some((1, "kjjx/")));
    }
}
