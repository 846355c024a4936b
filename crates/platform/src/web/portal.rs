//! The portal frame every module's public pages render inside. A module renders only its page's
//! content; the [`Portal`] (implemented by the CMS, which owns sites and their templates) wraps it
//! in the site's own layout — masthead, navigation, search box, 繁體 and 长者模式, footer with the
//! required facts, the government meta tags — so a page under `/hudong/` or `/banshi/` looks and
//! behaves like every other page of the site, including the site's own template edits. Without a
//! portal (a back-office-only deployment) a plain frame is used.

use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderMap, HeaderValue};
use minijinja::Value;

use super::{AppError, AppState, Ctx};
use crate::db::Db;

/// How a visitor reads the public site: simplified or traditional characters, standard or elder
/// view. Chosen with `?script=hant|hans` and `?elder=1|0`, and remembered in cookies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Reading {
    pub traditional: bool,
    pub elder: bool,
}

impl Reading {
    /// A short key for caches.
    pub fn key(self) -> &'static str {
        match (self.traditional, self.elder) {
            (false, false) => "s",
            (true, false) => "t",
            (false, true) => "se",
            (true, true) => "te",
        }
    }

    /// The reading a request asks for, and the cookies that remember a change asked in its query.
    pub fn of_request(headers: &HeaderMap, query: Option<&str>) -> (Reading, Vec<HeaderValue>) {
        let mut r = Reading {
            traditional: super::cookie(headers, "zw_script") == Some("hant"),
            elder: super::cookie(headers, "zw_elder") == Some("1"),
        };
        let mut set = Vec::new();
        for (k, v) in query.map(|q| url::form_urlencoded::parse(q.as_bytes())).into_iter().flatten() {
            let cookie = match (k.as_ref(), v.as_ref()) {
                ("script", "hant") => {
                    r.traditional = true;
                    "zw_script=hant; Path=/; Max-Age=31536000; SameSite=Lax"
                }
                ("script", "hans") => {
                    r.traditional = false;
                    "zw_script=; Path=/; Max-Age=0; SameSite=Lax"
                }
                ("elder", "1") => {
                    r.elder = true;
                    "zw_elder=1; Path=/; Max-Age=31536000; SameSite=Lax"
                }
                ("elder", "0") => {
                    r.elder = false;
                    "zw_elder=; Path=/; Max-Age=0; SameSite=Lax"
                }
                _ => continue,
            };
            set.push(HeaderValue::from_static(cookie));
        }
        (r, set)
    }
}

/// A module's own part of the portal: its name, home and sub-navigation (互动交流: 信箱, 来信查询).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    pub name: &'static str,
    pub root: &'static str,
    pub nav: &'static [(&'static str, &'static str)],
}

/// The portal's own site (the first of the group), where module pages and their search documents
/// belong; `None` before any site exists.
pub async fn portal_site_id(db: &crate::db::Db) -> Option<u64> {
    db.fetch_optional::<crate::db::Scalar<i64>>(crate::db::sql("SELECT id FROM site ORDER BY sort_order, id LIMIT 1"))
        .await
        .ok()
        .flatten()
        .and_then(|s| u64::try_from(s.0).ok())
}

/// This node's own address (`http://127.0.0.1:8080`): a wildcard listen address reads as loopback.
pub fn listen_origin(config: &super::Config) -> String {
    let a = config.listen;
    let ip = if a.ip().is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { a.ip() };
    format!("http://{}", std::net::SocketAddr::new(ip, a.port()))
}

/// Where citizens reach the portal, for links in the mail and texts modules send: the portal
/// site's own host when it has one, else this node's address.
pub async fn public_origin(state: &super::AppState) -> String {
    match group_sites(&state.db).await.ok().and_then(|s| s.into_iter().next()).and_then(|s| s.host) {
        Some(h) if !h.trim().is_empty() => format!("http://{}", h.trim()),
        _ => listen_origin(&state.config),
    }
}

/// A site of the group as the kernel knows it (the CMS owns and edits them): what other modules
/// need to name a site and reach it.
#[derive(Debug, Clone, Default, serde::Serialize, sqlx::FromRow)]
pub struct GroupSite {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// 政府网站标识码, 主办单位, ICP备案号, 公安机关备案号 (what reports name a site by).
    pub site_id_code: String,
    pub sponsor: String,
    pub icp: String,
    pub psb: String,
    /// The unit that runs it (its figures are that unit's).
    pub owner_org_id: Option<i64>,
    /// Its own host name, when it has one.
    pub host: Option<String>,
    /// Its path under the group's address (`/kjj`), empty for the portal.
    pub path_prefix: String,
    /// When it was set up (a yearly duty starts with the first full year).
    pub created_at: i64,
}

/// The group's sites in their order (the first is the portal).
pub async fn group_sites(db: &crate::db::Db) -> crate::db::DbResult<Vec<GroupSite>> {
    db.fetch_all(crate::db::sql("SELECT id, code, name, kind, site_id_code, sponsor, icp, psb, owner_org_id, host, path_prefix, created_at FROM site ORDER BY sort_order, id"))
        .await
}

/// What a citizen's lookup form sends: the case number, its query code and the form token.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    pub no: String,
    #[serde(default)]
    pub code: String,
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

/// What the frame needs to know about one module page besides its content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Frame {
    pub section: &'static Section,
    /// The site the page belongs to (a mailbox's site); the main portal when `None`.
    pub site_id: Option<i64>,
    pub title: String,
    /// The column name in the page's meta tags (the section's name when empty).
    pub column: String,
    /// Breadcrumbs below the section: (link, name); the last one is the page itself.
    pub crumbs: Vec<(String, String)>,
    /// Which entry of the section's navigation is this page's.
    pub nav_current: String,
    /// `<link rel="alternate">` entries for the page head: (address, media type, title) — a
    /// dataset's DCAT-AP document, a feed.
    pub alternates: Vec<(String, String, String)>,
}

impl Frame {
    /// The frame facts a module page's template context carries (`title`, `column_name`, `crumbs`,
    /// `nav_current`, `site_id`), so a handler states them once.
    pub fn from_page(section: &'static Section, page: &Value) -> Frame {
        let text = |k: &str| page.get_attr(k).ok().filter(|v| !v.is_undefined() && !v.is_none()).map(|v| v.to_string());
        let crumbs = page
            .get_attr("crumbs")
            .ok()
            .and_then(|v| v.try_iter().ok().map(|it| it.collect::<Vec<_>>()))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| Some((c.get_item_by_index(0).ok()?.to_string(), c.get_item_by_index(1).ok()?.to_string())))
            .collect();
        Frame {
            section,
            site_id: page.get_attr("site_id").ok().and_then(|v| i64::try_from(v).ok()),
            title: text("title").unwrap_or_else(|| section.name.to_owned()),
            column: text("column_name").unwrap_or_default(),
            crumbs,
            nav_current: text("nav_current").unwrap_or_default(),
            alternates: page
                .get_attr("head_links")
                .ok()
                .and_then(|v| v.try_iter().ok().map(|it| it.collect::<Vec<_>>()))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|l| {
                    Some((
                        l.get_item_by_index(0).ok()?.to_string(),
                        l.get_item_by_index(1).ok()?.to_string(),
                        l.get_item_by_index(2).ok()?.to_string(),
                    ))
                })
                .collect(),
        }
    }
}

/// Wraps a module page's rendered content in a site's layout.
pub trait Portal: Send + Sync {
    fn wrap<'a>(
        &'a self,
        db: &'a Db,
        ctx: &'a Ctx,
        frame: &'a Frame,
        content: String,
    ) -> Pin<Box<dyn Future<Output = Result<String, AppError>> + Send + 'a>>;

    /// The site a public path belongs to (for counting a module's page under its site), from what
    /// the portal already holds in memory; `None` when it does not know yet.
    fn site_of(&self, host: &str, path: &str) -> Option<i64>;

    /// The list channels another module may put a draft into, as (channel id, "站点 › 栏目").
    fn draft_channels<'a>(&'a self, db: &'a Db) -> crate::module::BoxFuture<'a, Result<Vec<(i64, String)>, AppError>>;

    /// Creates a draft article from plain text (paragraphs separated by line breaks) in a channel;
    /// it then goes through that channel's review like any draft. Returns the article id.
    fn create_draft<'a>(&'a self, db: &'a Db, draft: &'a Draft) -> crate::module::BoxFuture<'a, Result<i64, AppError>>;
}

/// A draft another module hands to the portal (an adopted 信息报送 item).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub channel_id: i64,
    pub title: String,
    /// Plain text; the portal makes the paragraphs.
    pub text: String,
    /// 来源, e.g. the reporting unit.
    pub source: String,
    pub org_id: Option<i64>,
    /// Who adopted it (the draft's author in the CMS).
    pub user_id: i64,
}

impl AppState {
    /// Renders a module's public page: its template (content only) inside the portal frame.
    pub async fn public_page(
        &self,
        ctx: &Ctx,
        section: &'static Section,
        name: &str,
        page: Value,
    ) -> Result<String, AppError> {
        let frame = Frame::from_page(section, &page);
        let content = self.render(ctx, name, page)?.0;
        match self.portal() {
            Some(p) => p.wrap(&self.db, ctx, &frame, content).await,
            None => self
                .templates
                .get_template("portal/plain.html")
                .and_then(|t| {
                    t.render(
                        minijinja::context! { frame => super::sv(&frame), content => Value::from_safe_string(content) },
                    )
                })
                .map_err(|e| AppError::Internal(format!("模块页面框架渲染失败: {e:#}"))),
        }
    }

    /// A module's public page as a response; `private` pages (a citizen's own case) are never kept
    /// by shared caches, others for a minute.
    pub async fn public_response(
        &self,
        ctx: &Ctx,
        section: &'static Section,
        name: &str,
        status: axum::http::StatusCode,
        page: Value,
        private: bool,
    ) -> Result<axum::response::Response, AppError> {
        use axum::response::IntoResponse;
        let body = axum::response::Html(self.public_page(ctx, section, name, page).await?);
        let cache = if private { "no-store" } else { "public, max-age=60" };
        Ok((status, [(axum::http::header::CACHE_CONTROL, cache)], body).into_response())
    }

    /// The empty lookup form (number and query code) of a citizen's own case.
    pub async fn lookup_page(
        &self,
        ctx: &Ctx,
        section: &'static Section,
        name: &str,
        title: &str,
    ) -> Result<axum::response::Response, AppError> {
        let page = minijinja::context! {
            title, form => minijinja::context! { no => "" }, errors => std::collections::BTreeMap::<String, String>::new(),
            nav_current => ctx.path.clone(), crumbs => vec![(String::new(), title.to_owned())],
        };
        self.public_response(ctx, section, name, axum::http::StatusCode::OK, page, true).await
    }

    /// The lookup form again after a failed lookup: the number kept, the reason under its field,
    /// the code never echoed.
    pub async fn lookup_again(
        &self,
        ctx: &Ctx,
        section: &'static Section,
        name: &str,
        title: &str,
        no: &str,
        err: AppError,
    ) -> Result<axum::response::Response, AppError> {
        let (status, errors) = super::error::form_errors(err)?;
        let page = minijinja::context! {
            title, form => minijinja::context! { no }, errors, nav_current => ctx.path.clone(),
            crumbs => vec![(String::new(), title.to_owned())],
        };
        self.public_response(ctx, section, name, status, page, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_follows_query_over_cookies() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, HeaderValue::from_static("zw_script=hant; zw_elder=1"));
        let (r, set) = Reading::of_request(&h, None);
        assert_eq!(r, Reading { traditional: true, elder: true });
        assert!(set.is_empty());
        let (r, set) = Reading::of_request(&h, Some("script=hans&elder=0&x=1"));
        assert_eq!(r, Reading::default());
        assert_eq!(set.len(), 2);
        let (r, _) = Reading::of_request(&HeaderMap::new(), Some("elder=1"));
        assert_eq!((r.key(), r.elder, r.traditional), ("se", true, false));
        let (r, set) = Reading::of_request(&HeaderMap::new(), Some("script=x&elder=2"));
        assert_eq!((r, set.len()), (Reading::default(), 0));
    }

    #[test]
    fn frame_facts_come_from_the_page() {
        static S: Section = Section { name: "互动交流", root: "/hudong/", nav: &[("/hudong/", "互动交流")] };
        let page = minijinja::context! { title => "市长信箱", site_id => 3, crumbs => vec![("/hudong/szxx/", "市长信箱")], nav_current => "/hudong/" };
        let f = Frame::from_page(&S, &page);
        assert_eq!(f.title, "市长信箱");
        assert_eq!(f.site_id, Some(3));
        assert_eq!(f.crumbs, vec![("/hudong/szxx/".to_owned(), "市长信箱".to_owned())]);
        assert_eq!(f.nav_current, "/hudong/");
        assert_eq!(f.column, "");
        let f = Frame::from_page(&S, &minijinja::context! { site_id => Value::from(()) });
        assert_eq!((f.title.as_str(), f.site_id), ("互动交流", None));
    }
}
