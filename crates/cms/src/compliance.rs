//! The CMS's part of compliance: the pre-publication gate (发布前检查) that runs the platform's
//! content checks when an article is submitted — with its internal links resolved from the database,
//! no HTTP — and the findings the CMS reports to the compliance monitor: sites missing their
//! required facts, the home page and columns not updated within their class, blank columns, and
//! 错敏词 and broken internal links in what is already published.

use std::collections::HashMap;

use platform::content_check::{self, Dictionary, Problem, Severity};
use platform::db::{Db, DbResult, sql};
use platform::module::{ComplianceQuery, Finding};
use platform::web::{AppError, AppState};

use crate::Cms;
use crate::domain::UPDATE_CLASSES;
use crate::public::{PageReqKey, Target, parse_path, resolve};
use crate::store::{self, Article, Fields, Site};

/// How long before a column's limit it is pre-warned (days), by update class.
const WARN_DAYS: [(&str, i64); 3] = [("news", 3), ("notice", 14), ("plan", 30)];
/// The home page must show a new item within 14 days; warned from the 10th.
const HOME_DAYS: i64 = 14;
const HOME_WARN_DAYS: i64 = 10;
const DAY: i64 = 86_400;

/// What an internal path points at, as far as the CMS can tell without a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathRef {
    Article(i64),
    Channel(i64, i64),
    Attachment(i64),
    Inline(String),
    /// Another module's or the platform's path: not the CMS's to judge.
    Elsewhere,
    /// A page every site has (home, sitemap, search, feeds of the site).
    Fixed,
    Missing,
}

fn classify(state: &AppState, sites: &[Site], path: &str) -> PathRef {
    if let Some(name) = path.strip_prefix("/files/inline/") {
        return PathRef::Inline(name.to_owned());
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        return match rest.split('/').next().and_then(|n| n.parse::<i64>().ok()) {
            Some(id) => PathRef::Attachment(id),
            None => PathRef::Missing,
        };
    }
    // The CMS's own prefixes are judged below; everyone else's are not ours to judge.
    let own = crate::PREFIXES.iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')));
    if !own && state.prefix_owner(path).is_some() {
        return PathRef::Elsewhere;
    }
    let Some((site, rest)) = resolve(sites, "", path) else { return PathRef::Missing };
    match parse_path(rest) {
        Target::Page(PageReqKey::Article(n)) => PathRef::Article(n),
        Target::Page(PageReqKey::Channel(c, _)) | Target::Feed(c) => PathRef::Channel(site.id, c),
        Target::Page(PageReqKey::NotFound) => PathRef::Missing,
        _ => PathRef::Fixed,
    }
}

/// Resolves internal links against the database, remembering what it asked.
pub struct LinkResolver {
    sites: std::sync::Arc<Vec<Site>>,
    pub hosts: Vec<String>,
    channels: HashMap<i64, (i64, bool)>,
    articles: HashMap<i64, bool>,
    attachments: HashMap<i64, bool>,
    files_dir: std::path::PathBuf,
}

impl LinkResolver {
    pub async fn new(state: &AppState, cms: &Cms) -> DbResult<LinkResolver> {
        let sites = cms.sites(&state.db).await?;
        let hosts = sites.iter().filter_map(|s| s.host.clone()).collect();
        let channels =
            store::all_channels(&state.db).await?.into_iter().map(|c| (c.id, (c.site_id, c.archived))).collect();
        Ok(LinkResolver {
            sites,
            hosts,
            channels,
            articles: HashMap::new(),
            attachments: HashMap::new(),
            files_dir: cms.files_dir.clone(),
        })
    }

    /// Why `link` (as written in an article's body) would not open for a visitor; `None` when it
    /// opens or is not ours to check (external addresses, other modules' pages). `own` is the
    /// article the link is in (a link to itself opens once it is published).
    pub async fn broken(&mut self, state: &AppState, link: &str, own: i64) -> DbResult<Option<String>> {
        let hosts: Vec<&str> = self.hosts.iter().map(String::as_str).collect();
        let Some(path) = content_check::internal_path(link, &hosts) else { return Ok(None) };
        Ok(match classify(state, &self.sites, &path) {
            PathRef::Elsewhere | PathRef::Fixed => None,
            PathRef::Missing => Some("本站没有这个页面".into()),
            PathRef::Article(id) if id == own => None,
            PathRef::Article(id) => {
                let live = match self.articles.get(&id) {
                    Some(v) => *v,
                    None => {
                        let v = store::article(&state.db, id).await?.is_some_and(|a| a.state == "published");
                        self.articles.insert(id, v);
                        v
                    }
                };
                (!live).then(|| format!("信息 {id} 不存在或未发布"))
            }
            PathRef::Channel(site, id) => match self.channels.get(&id) {
                Some((s, _)) if *s == site => None,
                _ => Some(format!("栏目 {id} 不存在")),
            },
            PathRef::Attachment(id) => {
                let exists = match self.attachments.get(&id) {
                    Some(v) => *v,
                    None => {
                        let v = store::attachment(&state.db, id).await?.is_some();
                        self.attachments.insert(id, v);
                        v
                    }
                };
                (!exists).then(|| format!("附件 {id} 不存在"))
            }
            PathRef::Inline(name) => crate::files::inline_path(&self.files_dir, &name)
                .is_none_or(|p| !p.exists())
                .then(|| "正文图片文件不存在".to_owned()),
        })
    }
}

/// The gate's problems for an article's latest revision: the content checks and its broken
/// internal links.
pub async fn gate(state: &AppState, cms: &Cms, a: &Article, f: &Fields) -> Result<Vec<Problem>, AppError> {
    let dict = content_check::dictionary(&state.db).await?;
    let mut out =
        content_check::check(&dict, &content_check::Text { title: &f.title, summary: &f.summary, body_html: &f.body });
    let mut resolver = LinkResolver::new(state, cms).await?;
    for link in content_check::links(&f.body) {
        if let Some(reason) = resolver.broken(state, &link, a.id).await? {
            out.push(content_check::broken_link(&link, &reason));
        }
    }
    Ok(out)
}

/// The gate as an error when something must be fixed before submission (422 with every problem).
pub fn blocking_error(problems: &[Problem]) -> Option<AppError> {
    let errs: Vec<platform::web::FieldError> = problems
        .iter()
        .filter(|p| p.severity == Severity::Blocking)
        .map(|p| {
            let m = if p.excerpt.is_empty() { p.message.clone() } else { format!("{}：{}", p.message, p.excerpt) };
            platform::web::FieldError::new(p.field, m)
        })
        .collect();
    (!errs.is_empty()).then_some(AppError::Invalid(errs))
}

// ---- findings for the monitor ---------------------------------------------------------------------

fn finding(indicator: &str, site_id: i64, subject: String, detail: String, fix_url: String, warning: bool) -> Finding {
    Finding { indicator: indicator.to_owned(), site_id: Some(site_id), subject, detail, fix_url, warning }
}

/// The 网站标识码 pattern: 10 digits, or `bm` and 8 digits.
pub fn valid_site_code(code: &str) -> bool {
    let b = code.as_bytes();
    (b.len() == 10 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10 && code.starts_with("bm") && b[2..].iter().all(u8::is_ascii_digit))
}

fn site_facts(s: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let missing = [
        ("网站标识码", !valid_site_code(s.site_id_code.trim())),
        ("主办单位", s.sponsor.trim().is_empty()),
        ("联系方式", s.contact.trim().is_empty()),
        ("ICP备案编号", s.icp.trim().is_empty()),
        ("公安机关备案号", s.psb.trim().is_empty()),
    ];
    for (what, bad) in missing {
        if bad {
            out.push(finding(
                "site_facts_missing",
                s.id,
                format!("{}：{what}", s.name),
                format!("网站页脚缺少或填写了无效的{what}"),
                format!("/admin/cms/sites/{}", s.id),
                false,
            ));
        }
    }
    out
}

#[derive(sqlx::FromRow)]
struct ChannelLatest {
    channel_id: i64,
    latest: i64,
}

/// The newest visible publication time per channel (live placements, not in the future).
async fn channel_latest(db: &Db, now: i64) -> DbResult<HashMap<i64, i64>> {
    let rows: Vec<ChannelLatest> = db
        .fetch_all(
            sql("SELECT channel_id, MAX(pub_at) AS latest FROM placement WHERE live AND pub_at <= $1 GROUP BY channel_id")
                .bind(now),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.channel_id, r.latest)).collect())
}

/// Freshness findings: the home page, each column by its class, blank columns.
async fn freshness(state: &AppState, sites: &[Site], q: ComplianceQuery) -> DbResult<Vec<Finding>> {
    let latest = channel_latest(&state.db, q.now).await?;
    let channels = store::all_channels(&state.db).await?;
    let mut out = Vec::new();
    for site in sites.iter().filter(|s| q.site_id.is_none_or(|id| id == s.id)) {
        let mine: Vec<&store::Channel> = channels.iter().filter(|c| c.site_id == site.id && !c.archived).collect();
        // A column's content includes its sub-columns'.
        let subtree_latest = |root: i64| -> Option<i64> {
            let mut stack = vec![root];
            let mut best = None;
            while let Some(id) = stack.pop() {
                best = best.max(latest.get(&id).copied());
                stack.extend(mine.iter().filter(|c| c.parent_id == Some(id)).map(|c| c.id));
            }
            best
        };
        let home_channels: Vec<i64> = mine.iter().filter(|c| c.show_on_home).map(|c| c.id).collect();
        let home_latest = if home_channels.is_empty() {
            mine.iter().filter_map(|c| latest.get(&c.id).copied()).max()
        } else {
            home_channels.iter().filter_map(|id| subtree_latest(*id)).max()
        };
        let idle_days = |t: Option<i64>| t.map(|t| (q.now - t).max(0) / DAY);
        match idle_days(home_latest) {
            Some(d) if d < HOME_WARN_DAYS => {}
            d => {
                let warning = d.is_some_and(|d| d < HOME_DAYS);
                out.push(finding(
                    "home_stale",
                    site.id,
                    format!("{}首页", site.name),
                    match d {
                        Some(d) if warning => {
                            format!("首页已 {d} 天无新信息，{} 天后达到“首页不更新”否决线", HOME_DAYS - d)
                        }
                        Some(d) => format!("首页已 {d} 天无新信息（要求 {HOME_DAYS} 天内更新）"),
                        None => "首页栏目从未发布信息".into(),
                    },
                    "/admin/cms/articles/new".into(),
                    warning,
                ));
            }
        }
        for c in &mine {
            let fix = format!("/admin/cms/channels/{}", c.id);
            let newest = subtree_latest(c.id);
            if c.kind == "list" && newest.is_none() {
                out.push(finding(
                    "column_blank",
                    site.id,
                    format!("栏目“{}”", c.name),
                    "栏目从未发布信息（空白栏目）".into(),
                    fix.clone(),
                    false,
                ));
                continue;
            }
            let Some((_, _, limit)) = UPDATE_CLASSES.iter().find(|u| u.0 == c.update_class && u.2 > 0) else {
                continue;
            };
            if c.kind == "topic" {
                continue;
            }
            let warn = WARN_DAYS.iter().find(|w| w.0 == c.update_class).map_or(0, |w| w.1);
            let Some(days) = idle_days(newest) else { continue };
            if days > *limit {
                out.push(finding(
                    &format!("column_stale_{}", c.update_class),
                    site.id,
                    format!("栏目“{}”", c.name),
                    format!("已 {days} 天未更新（要求 {limit} 天内）"),
                    fix,
                    false,
                ));
            } else if days > limit - warn {
                out.push(finding(
                    &format!("column_stale_{}", c.update_class),
                    site.id,
                    format!("栏目“{}”", c.name),
                    format!("已 {days} 天未更新，{} 天后超过 {limit} 天的更新要求", limit - days),
                    fix,
                    true,
                ));
            }
        }
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct LiveText {
    id: i64,
    site_id: i64,
    title: String,
    summary: String,
    body: String,
}

/// 错敏词 and broken internal links in published articles, read in batches by id.
async fn published_content(
    state: &AppState,
    cms: &Cms,
    dict: &Dictionary,
    q: ComplianceQuery,
) -> Result<Vec<Finding>, AppError> {
    let mut resolver = LinkResolver::new(state, cms).await?;
    let hosts = resolver.hosts.clone();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    // (address, site, article title, where to fix it) of every external link, for the register.
    let mut external: Vec<(String, i64, String, String)> = Vec::new();
    let mut after = 0i64;
    loop {
        let batch: Vec<LiveText> = state
            .db
            .fetch_all(
                sql("SELECT id, site_id, title, summary, body FROM article WHERE state = 'published' AND id > $1 \
                     AND ($2 = 0 OR site_id = $2) ORDER BY id LIMIT 1000")
                .bind(after)
                .bind(q.site_id.unwrap_or(0)),
            )
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for a in &batch {
            let fix = format!("/admin/cms/articles/{}/edit", a.id);
            let text = content_check::visible_text(&a.body);
            for (field, t) in [("title", a.title.as_str()), ("summary", a.summary.as_str()), ("body", text.as_str())] {
                for p in content_check::wording_problems(dict, field, t) {
                    let serious = p.severity == Severity::Blocking;
                    out.push(finding(
                        if serious { "wording_serious" } else { "wording_general" },
                        a.site_id,
                        format!("《{}》：{}", a.title, p.excerpt),
                        p.message,
                        fix.clone(),
                        false,
                    ));
                }
            }
            for link in content_check::links(&a.body) {
                if let Some(url) = content_check::external_url(&link, &hosts) {
                    external.push((url, a.site_id, a.title.clone(), fix.clone()));
                    continue;
                }
                if let Some(reason) = resolver.broken(state, &link, a.id).await? {
                    out.push(finding(
                        "link_broken_internal",
                        a.site_id,
                        format!("《{}》→ {link}", a.title),
                        reason,
                        fix.clone(),
                        false,
                    ));
                }
            }
        }
    }
    out.extend(external_findings(state, &external, q.now).await?);
    Ok(out)
}

/// Notes the external links in the register (the supervision module checks them) and reports
/// those found broken — after two failures an hour apart — or unverifiable (the server refused
/// the checker; reported apart, without a deduction).
async fn external_findings(
    state: &AppState,
    external: &[(String, i64, String, String)],
    now: i64,
) -> Result<Vec<Finding>, AppError> {
    let mut urls: Vec<String> = external.iter().map(|e| e.0.clone()).collect();
    urls.sort();
    urls.dedup();
    platform::links::note(&state.db, &urls, now).await?;
    let troubled = platform::links::troubled(&state.db, &urls).await?;
    Ok(external
        .iter()
        .filter_map(|(url, site, title, fix)| {
            let s = troubled.get(url)?;
            let indicator = if s.state == "broken" { "link_broken_external" } else { "link_unverifiable" };
            Some(finding(indicator, *site, format!("《{title}》→ {url}"), s.detail.clone(), fix.clone(), false))
        })
        .collect())
}

/// Everything the CMS reports to the compliance monitor.
pub async fn findings(state: &AppState, cms: &Cms, q: ComplianceQuery) -> Result<Vec<Finding>, AppError> {
    let sites = cms.sites(&state.db).await?;
    let mut out: Vec<Finding> =
        sites.iter().filter(|s| q.site_id.is_none_or(|id| id == s.id)).flat_map(site_facts).collect();
    out.extend(freshness(state, &sites, q).await?);
    let dict = content_check::dictionary(&state.db).await?;
    out.extend(published_content(state, cms, &dict, q).await?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_codes() {
        assert!(valid_site_code("2301000001"));
        assert!(valid_site_code("bm07000001"));
        assert!(!valid_site_code("230100000"));
        assert!(!valid_site_code("bm0700000x"));
        assert!(!valid_site_code(""));
    }
}
