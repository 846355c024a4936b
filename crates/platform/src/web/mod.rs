//! HTTP plumbing shared by every subsystem: application state, request context, authentication and
//! CSRF middleware, the error type and its HTML/problem+json rendering, the back-office template
//! environment, metrics.
//!
//! Every request passes `context_layer` (request id, client address, locale, metrics, error pages).
//! Back-office and API routers also pass `staff_layer`, which resolves the session or bearer token,
//! enforces the idle timeout and CSRF, and records an audit entry for every write and every
//! permission denial that the handler did not record itself.

pub mod api;
pub mod encoding;
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod ops;
pub mod pages;
pub mod portal;

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::Value;

pub use error::{AppError, FieldError};

use crate::accounts::{self, Session, User};
use crate::audit::{self, AuditKey, Event};
use crate::db::Db;
use crate::i18n::{self, Lang};
use crate::roles::{Grant, Perm, ResourceScope};
use crate::security::SecurityPolicy;

/// Runtime configuration (from flags and `ZHENGWU_*` environment variables).
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// How many reverse proxies in front of Zhengwu append to `X-Forwarded-For` (0: none, the
    /// header is ignored). The client is the entry the outermost trusted proxy added.
    pub trusted_proxy_hops: u8,
    /// Mark cookies `Secure` (set when Zhengwu is served over HTTPS).
    pub secure_cookies: bool,
    /// Outgoing mail relay, `smtp://host:port` (letters' confirmations, replies, reminders).
    /// Without it mail is logged as not sent.
    pub smtp_url: Option<String>,
    /// The From address of outgoing mail.
    pub mail_from: String,
    /// Client addresses allowed to read `/metrics` (besides a direct loopback request).
    pub metrics_allow: Vec<std::net::IpAddr>,
    /// A bearer token that allows reading `/metrics` from anywhere.
    pub metrics_token: Option<String>,
    /// Whether this node serves the public site; false for a back-office-only (intranet)
    /// deployment, where every public page and public API endpoint answers 404.
    pub public_site: bool,
    /// Count public page views for the access statistics (off only to measure what counting costs).
    pub count_visits: bool,
}

impl Config {
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            trusted_proxy_hops: 1,
            secure_cookies: false,
            smtp_url: None,
            mail_from: "noreply@zhengwu.local".into(),
            metrics_allow: Vec::new(),
            metrics_token: Some("metrics-test-token".into()),
            public_site: true,
            count_visits: true,
        }
    }
}

/// A back-office menu entry contributed by a subsystem; shown to users holding `perm` anywhere.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NavItem {
    pub section: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    #[serde(skip)]
    pub perm: Option<Perm>,
}

/// One figure on a user's workbench: what waits for them, where to go, and which menu entry shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Todo {
    /// The subsystem, as the menu names it (内容管理, 互动交流 …).
    pub section: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    /// Overdue or otherwise pressing (shown in red).
    pub urgent: bool,
    /// The menu entry (its `href`) that shows this count beside it.
    #[serde(skip)]
    pub nav: Option<&'static str>,
}

/// How a subsystem counts what waits for a user (in their scope only).
pub type TodoSource = Arc<
    dyn Fn(
            AppState,
            Arc<Auth>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Todo>, AppError>> + Send>>
        + Send
        + Sync,
>;

/// Paths the platform itself serves; no site may take them.
const PLATFORM_PREFIXES: [&str; 6] = ["/admin", "/api", "/static", "/files", "/healthz", "/metrics"];

/// Each user's to-do counts with the time they were counted.
type TodoCache = std::collections::HashMap<i64, (Instant, Arc<Vec<Todo>>)>;

/// How long a user's to-do counts are reused: the menu shows them on every page, and a count a few
/// seconds old is as good as a fresh one while saving a query per page.
const TODO_TTL: Duration = Duration::from_secs(15);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub audit_key: AuditKey,
    pub templates: minijinja::Environment<'static>,
    pub nav: Vec<NavItem>,
    todo_sources: Vec<TodoSource>,
    todo_cache: std::sync::Mutex<TodoCache>,
    pub metrics: metrics::Metrics,
    pub mailer: crate::mail::Mailer,
    pub sms: crate::sms::Sms,
    /// The public forms' captcha (every node accepts what any node issued; each answer once).
    pub captcha: crate::intake::CaptchaIssuer,
    policy: RwLock<(Instant, SecurityPolicy)>,
    /// Every reserved public path prefix with the name of who owns it.
    reserved: Vec<(&'static str, &'static str)>,
    portal: Option<Arc<dyn portal::Portal>>,
    /// The program's subsystems (routes, jobs, blocks and figures come from here).
    pub modules: crate::module::Modules,
    /// Wakes the outbox worker when a message is queued.
    outbox_wake: Arc<tokio::sync::Notify>,
    /// Public page views counted in memory until the statistics job writes them.
    pub analytics: Arc<crate::analytics::Analytics>,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

const POLICY_TTL: Duration = Duration::from_secs(5);

impl AppState {
    pub fn new(db: Db, config: Config, audit_key: AuditKey, modules: crate::module::Modules) -> anyhow::Result<Self> {
        let mut env = minijinja::Environment::new();
        pages::register_templates(&mut env)?;
        let mut nav = pages::platform_nav();
        let mut todo_sources = vec![crate::outbox::todo_source()];
        let mut reserved: Vec<(&'static str, &'static str)> = PLATFORM_PREFIXES.iter().map(|p| (*p, "平台")).collect();
        let mut portal: Option<Arc<dyn portal::Portal>> = None;
        for m in modules.iter() {
            if let Some(p) = m.clone().portal() {
                anyhow::ensure!(portal.is_none(), "模块「{}」提供了第二个门户框架", m.name());
                portal = Some(p);
            }
            for (name, src) in m.templates() {
                // One namespace for all modules: a second template of the same name would silently
                // replace the first one's page.
                if env.get_template(name).is_ok() {
                    anyhow::bail!("模块「{}」的模板 {name} 与已有模板重名", m.name());
                }
                env.add_template(name, src)?;
            }
            for p in m.prefixes() {
                if let Some((_, owner)) = reserved.iter().find(|(q, _)| *q == p) {
                    anyhow::bail!("模块「{}」的路径 {p} 已由「{owner}」使用", m.name());
                }
                reserved.push((p, m.name()));
            }
            nav.extend(m.nav());
            todo_sources.extend(m.clone().todos());
        }
        // One heading per section: a later module may add to a section an earlier one opened
        // (课件 under 内容管理, 视频点位 under 公众参与); the sort is stable, so order within holds.
        let mut sections: Vec<&str> = Vec::new();
        for n in &nav {
            if !sections.contains(&n.section) {
                sections.push(n.section);
            }
        }
        nav.sort_by_key(|n| sections.iter().position(|s| *s == n.section));
        install_template_helpers(&mut env);
        let mailer = crate::mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_from);
        let sms = crate::sms::Sms::new(&config.data_dir);
        let captcha = crate::intake::CaptchaIssuer::new(&audit_key.key);
        let count_visits = config.count_visits;
        Ok(AppState(Arc::new(Inner {
            db,
            mailer,
            sms,
            captcha,
            config,
            audit_key,
            templates: env,
            nav,
            todo_sources,
            todo_cache: std::sync::Mutex::new(std::collections::HashMap::new()),
            metrics: metrics::Metrics::new(),
            policy: RwLock::new((Instant::now() - POLICY_TTL * 2, SecurityPolicy::default())),
            reserved,
            portal,
            modules,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            analytics: Arc::new(crate::analytics::Analytics::new(count_visits)),
        })))
    }

    /// Starts delivering the outbox (once per process, from inside the runtime).
    pub fn start_outbox(&self) {
        crate::outbox::spawn_worker(self.db.clone(), self.mailer.clone(), self.sms.clone(), self.outbox_wake.clone());
    }

    /// Tells the outbox worker that messages were queued (after the transaction that queued them
    /// committed).
    pub fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }

    /// Queues a mail for delivery through the outbox (retried while the relay is down). Call it
    /// only after the change that asks for it has committed. Without a relay it is only logged.
    pub async fn send_mail(&self, to: &str, subject: &str, body: &str) {
        if !self.mailer.is_configured() {
            tracing::info!(subject, "mail not sent: no SMTP relay configured");
            return;
        }
        match crate::outbox::enqueue(&mut &self.db, crate::outbox::Channel::Mail, to, subject, body, crate::db::now())
            .await
        {
            Ok(()) => self.outbox_wake.notify_one(),
            Err(e) => tracing::error!(error = %e, subject, "mail could not be queued"),
        }
    }

    /// The frame around modules' public pages, if a module provides one.
    pub fn portal(&self) -> Option<&Arc<dyn portal::Portal>> {
        self.portal.as_ref()
    }

    /// Who owns a public path prefix (`/banshi` → 网上办事), if anyone but a site: a site's prefix
    /// must not be one of these, nor lie under one.
    pub fn prefix_owner(&self, prefix: &str) -> Option<&'static str> {
        self.reserved
            .iter()
            .find(|(p, _)| prefix == *p || prefix.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
            .map(|(_, owner)| *owner)
    }

    /// What waits for `auth` across the subsystems (cached for a few seconds per user). A source that
    /// fails is left out and logged: the workbench must not fail with it.
    pub async fn todos(&self, auth: &Arc<Auth>) -> Arc<Vec<Todo>> {
        let uid = auth.user.id;
        if let Ok(cache) = self.todo_cache.lock()
            && let Some((at, t)) = cache.get(&uid)
            && at.elapsed() < TODO_TTL
        {
            return t.clone();
        }
        let mut all = Vec::new();
        for source in &self.todo_sources {
            match source(self.clone(), auth.clone()).await {
                Ok(t) => all.extend(t),
                Err(e) => tracing::warn!(error = %e, "to-do count failed"),
            }
        }
        let all = Arc::new(all);
        if let Ok(mut cache) = self.todo_cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < TODO_TTL);
            cache.insert(uid, (Instant::now(), all.clone()));
        }
        all
    }

    /// The security policy, re-read from the database at most every few seconds so that a change on
    /// one node reaches the others quickly without a query per request.
    pub async fn policy(&self) -> SecurityPolicy {
        if let Ok(g) = self.policy.read()
            && g.0.elapsed() < POLICY_TTL
        {
            return g.1.clone();
        }
        let p = accounts::load_policy(&self.db).await.unwrap_or_default();
        if let Ok(mut g) = self.policy.write() {
            *g = (Instant::now(), p.clone());
        }
        p
    }

    pub fn forget_policy(&self) {
        if let Ok(mut g) = self.policy.write() {
            g.0 = Instant::now() - POLICY_TTL * 2;
        }
    }

    /// Records an audit entry for the current request and marks the request as audited.
    pub async fn audit(&self, ctx: &Ctx, action: &str, target: &str, outcome: &str, summary: impl Into<String>) {
        ctx.audited.store(true, Ordering::Relaxed);
        let (user_id, username) = match &ctx.auth {
            Some(a) => (Some(a.user.id), a.user.username.clone()),
            None => (None, "-".to_owned()),
        };
        self.audit_as(ctx, user_id, &username, action, target, outcome, summary.into()).await;
    }

    /// Records an audit entry that must exist before the answer is shown (reading restricted
    /// personal data): unlike [`AppState::audit`], a failed write is the caller's error.
    pub async fn audit_before_answer(
        &self,
        ctx: &Ctx,
        action: &str,
        target: &str,
        summary: String,
    ) -> Result<(), AppError> {
        ctx.audited.store(true, Ordering::Relaxed);
        let (user_id, username) = match &ctx.auth {
            Some(a) => (Some(a.user.id), a.user.username.clone()),
            None => (None, "-".to_owned()),
        };
        let ev = Event {
            user_id,
            username,
            ip: ctx.ip.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: "success".to_owned(),
            summary,
            request_id: ctx.request_id.clone(),
        };
        audit::record(&self.db, &self.audit_key, ev).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, request_id = %ctx.request_id, "audit write failed; the answer is withheld");
            AppError::Internal("审计记录写入失败，本次查询未执行，请稍后再试".into())
        })
    }

    /// Like [`AppState::audit`] for a user the request is not yet signed in as (sign-in attempts).
    #[allow(clippy::too_many_arguments)]
    pub async fn audit_as(
        &self,
        ctx: &Ctx,
        user_id: Option<i64>,
        username: &str,
        action: &str,
        target: &str,
        outcome: &str,
        summary: String,
    ) {
        ctx.audited.store(true, Ordering::Relaxed);
        let ev = Event {
            user_id,
            username: username.to_owned(),
            ip: ctx.ip.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: outcome.to_owned(),
            summary,
            request_id: ctx.request_id.clone(),
        };
        if let Err(e) = audit::record(&self.db, &self.audit_key, ev).await {
            // An audit write failing is itself an operational alarm, never a silent drop.
            tracing::error!(error = %e, request_id = %ctx.request_id, "audit write failed");
        }
    }

    /// Renders a back-office template with the shell's common context (user, menu, CSRF token,
    /// locale) merged under the page's own values.
    pub fn render(&self, ctx: &Ctx, name: &str, page: Value) -> Result<Html<String>, AppError> {
        let tmpl = self.templates.get_template(name).map_err(|e| AppError::Internal(e.to_string()))?;
        let todos = ctx.todos.as_deref().map_or(&[][..], Vec::as_slice);
        // The page's menu entry: the longest entry the path lies under (网站监测 is /admin/supervision,
        // 访问统计 /admin/supervision/stats).
        let under = |href: &str| {
            ctx.path
                .strip_prefix(href)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || href.ends_with('/'))
        };
        let current = self.nav.iter().map(|n| n.href).filter(|h| under(h)).max_by_key(|h| h.len());
        let nav: Vec<Value> = match &ctx.auth {
            Some(a) => self
                .nav
                .iter()
                .filter(|n| n.perm.is_none_or(|p| a.holds_anywhere(p)))
                .map(|n| {
                    let mine = todos.iter().filter(|t| t.nav == Some(n.href));
                    let count: i64 = mine.clone().map(|t| t.count).sum();
                    let urgent = mine.clone().any(|t| t.urgent && t.count > 0);
                    let current = current == Some(n.href);
                    minijinja::context! { section => n.section, href => n.href, label => n.label, count, urgent, current }
                })
                .collect(),
            None => Vec::new(),
        };
        let me = ctx.auth.as_ref().map(|a| {
            minijinja::context! {
                username => a.user.username.clone(),
                display_name => a.user.display_name.clone(),
                // One role held in several scopes is still one role.
                roles => a.grants.iter().map(|g| g.role.label()).fold(Vec::new(), |mut v, r| {
                    if !v.contains(&r) {
                        v.push(r);
                    }
                    v
                }),
            }
        });
        let base = minijinja::context! {
            lang => ctx.lang.code(),
            csrf => ctx.csrf_token.clone(),
            me => me,
            nav => nav,
            path => ctx.path.clone(),
            flash => ctx.flash,
        };
        tmpl.render(minijinja::context! { ..page, ..base })
            .map(Html)
            .map_err(|e| AppError::Internal(format!("模板 {name} 渲染失败: {e:#}")))
    }
}

/// Any serialisable value as a template value.
pub fn sv<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// HTML auto-escaping of `& < > " '` only. minijinja's default also escapes `/`, which is valid but
/// makes every URL in a page longer and harder to read; `/` needs no escaping in HTML text or in
/// quoted attributes.
pub fn install_html_formatter(env: &mut minijinja::Environment<'static>) {
    env.set_formatter(|out, state, value| {
        if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
            if value.is_undefined() || value.is_none() {
                return Ok(());
            }
            let text = value.to_string();
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped)?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
}

/// Template helpers available to all back-office templates: `t()` for UI text and `datetime`/`date`
/// filters for stored Unix times.
fn install_template_helpers(env: &mut minijinja::Environment<'static>) {
    install_html_formatter(env);
    env.add_function("t", |state: &minijinja::State, text: String, args: minijinja::value::Rest<String>| {
        let lang = state.lookup("lang").and_then(|v| v.as_str().map(str::to_owned));
        let lang = if lang.as_deref() == Some("en") { Lang::En } else { Lang::Zh };
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        i18n::t(lang, &text, &a)
    });
    env.add_filter("datetime", |v: Option<i64>| v.map(crate::fmt_time).unwrap_or_default());
    env.add_filter("audit_action", |v: String| crate::audit::action_label(&v));
    env.add_filter("audit_outcome", |v: String| crate::audit::outcome_label(&v));
    env.add_filter("date", |v: Option<i64>| v.map(crate::fmt_date).unwrap_or_default());
    // Plain text typed by people (letters, replies) shown as paragraphs: one per non-empty line.
    env.add_filter("paragraphs", |v: String| {
        v.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>()
    });
    // A percentage with one decimal, or a dash when there is nothing to divide by.
    env.add_filter("pct", |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%")));
}

/// The signed-in principal for this request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub grants: Vec<Grant>,
    /// The user's org unit and its ancestors.
    pub org_chain: Vec<i64>,
    pub session: Option<Session>,
    pub via_token: bool,
}

impl Auth {
    pub fn can(&self, perm: Perm, scope: &ResourceScope) -> bool {
        crate::roles::allows(&self.grants, perm, scope)
    }

    /// The org units whose cases `perm` lets this user handle (letters, applications, requests):
    /// `None` for a platform-wide grant, otherwise every unit under a unit they hold it on.
    pub fn units_with(&self, perm: Perm, orgs: &[accounts::OrgUnit]) -> Option<Vec<i64>> {
        use crate::roles::ScopeKind;
        let grants: Vec<&Grant> = self.grants.iter().filter(|g| g.role.permissions().contains(&perm)).collect();
        if grants.iter().any(|g| g.scope == ScopeKind::Global) {
            return None;
        }
        let roots: Vec<i64> = grants.iter().filter(|g| g.scope == ScopeKind::Org).map(|g| g.scope_id).collect();
        Some(
            orgs.iter()
                .filter(|o| accounts::org_chain(orgs, o.id).iter().any(|id| roots.contains(id)))
                .map(|o| o.id)
                .collect(),
        )
    }
    pub fn holds_anywhere(&self, perm: Perm) -> bool {
        crate::roles::holds_anywhere(&self.grants, perm)
    }
    /// Server-side permission check; a refusal becomes a 403 that `staff_layer` audits.
    pub fn require(&self, perm: Perm, scope: &ResourceScope) -> Result<(), AppError> {
        if self.can(perm, scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("您没有执行此操作的权限（需要：{}）", perm_label(perm))))
        }
    }
    pub fn require_anywhere(&self, perm: Perm) -> Result<(), AppError> {
        if self.holds_anywhere(perm) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("您没有执行此操作的权限（需要：{}）", perm_label(perm))))
        }
    }
    pub fn is_triad_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_admin_triad())
    }
}

pub fn perm_label(p: Perm) -> &'static str {
    match p {
        Perm::UserManage => "账号管理",
        Perm::OrgManage => "机构管理",
        Perm::SystemSettings => "系统设置",
        Perm::RoleGrant => "角色授权",
        Perm::SecurityPolicy => "安全策略",
        Perm::AuditRead => "审计日志",
        Perm::SiteManage => "站点管理",
        Perm::ChannelManage => "栏目管理",
        Perm::TemplateManage => "模板管理",
        Perm::ArticleEdit => "信息编辑",
        Perm::ArticleReview => "信息审核",
        Perm::ArticlePublish => "信息发布",
        Perm::ContentStats => "发布统计",
        Perm::MailboxManage => "信箱管理",
        Perm::ServiceManage => "事项管理",
        Perm::LetterHandle => "信件办理",
        Perm::ApplicationHandle => "办件办理",
        Perm::DisclosureHandle => "依申请公开办理",
        Perm::DisclosureManage => "政府信息公开管理",
        Perm::ParticipationEdit => "公众参与编辑和审核意见",
        Perm::ParticipationReview => "意见征集审核",
        Perm::OfficeExchange => "公文收发",
        Perm::OfficeSignOff => "公文签发",
        Perm::ProposalManage => "建议提案交办督办",
        Perm::ProposalRate => "建议提案评价",
        Perm::InfoAdopt => "信息采编",
        Perm::DutyManage => "政务值班",
        Perm::DataManage => "数据资源管理",
        Perm::Supervise => "监督考核",
        Perm::ListingModerate => "供求信息审核",
        Perm::LeaderInstruct => "领导批示",
        Perm::PopulationQuery => "人口信息查询",
        Perm::PopulationResolve => "人口信息冲突裁决",
    }
}

/// Per-request facts every handler may need. Built by the middleware; extracted by handlers.
#[derive(Clone)]
pub struct Ctx {
    pub request_id: String,
    pub ip: String,
    pub lang: Lang,
    pub path: String,
    pub auth: Option<Arc<Auth>>,
    /// The token forms must echo back (`_csrf`): the session's token, or the pre-session cookie's.
    pub csrf_token: String,
    /// What waits for the signed-in user (back-office pages): counts beside the menu entries.
    pub todos: Option<Arc<Vec<Todo>>>,
    /// The success message a redirect asked for (`?ok=saved` …), shown at the top of the page.
    pub flash: Option<&'static str>,
    /// How the visitor reads public pages (繁體, 长者模式).
    pub reading: portal::Reading,
    /// The host the request named, when it is a plain host name (links and meta tags of sites
    /// without a configured host); `localhost` otherwise.
    pub host: String,
    audited: Arc<AtomicBool>,
}

impl Ctx {
    pub fn t(&self, text: &str) -> String {
        i18n::t(self.lang, text, &[])
    }
    pub fn username(&self) -> String {
        self.auth.as_ref().map_or_else(|| "-".to_owned(), |a| a.user.username.clone())
    }
    /// Checks the `_csrf` field of a public form (the pre-session token; the back office is
    /// checked by `staff_layer`). A mismatch is a 403 asking to reload the page.
    pub fn require_form_token(&self, token: &str) -> Result<(), AppError> {
        if crate::security::ct_eq(token, &self.csrf_token) {
            Ok(())
        } else {
            Err(AppError::Forbidden("页面已过期，请刷新页面后重新提交".into()))
        }
    }
}

/// `Content-Disposition` for a download under its original (possibly Chinese) file name.
pub fn attachment_disposition(name: &str) -> String {
    let escaped = url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    format!("attachment; filename*=UTF-8''{escaped}")
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.get::<Ctx>().cloned().ok_or_else(|| AppError::Internal("request context missing".into()))
    }
}

/// A signed-in back-office user who has passed every sign-in step (password change, second factor).
pub struct Staff(pub Arc<Auth>);

impl Deref for Staff {
    type Target = Auth;
    fn deref(&self) -> &Auth {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, AppError> {
        let ctx = Ctx::from_request_parts(parts, s).await?;
        let auth = ctx.auth.ok_or(AppError::Unauthorized)?;
        if auth.user.must_change_password {
            return Err(AppError::MustChangePassword);
        }
        if let Some(sess) = &auth.session
            && !sess.mfa_passed
            && parts.extensions.get::<MfaRequired>().is_some()
        {
            return Err(AppError::NeedMfa);
        }
        Ok(Staff(auth))
    }
}

/// Marker inserted by `staff_layer` when this session still owes a second factor.
#[derive(Clone, Copy)]
struct MfaRequired;

pub const SESSION_COOKIE: &str = "zw_session";
pub const PRE_CSRF_COOKIE: &str = "zw_csrf";

/// Reads one cookie from the request headers.
/// An HTTP date (RFC 9110 IMF-fixdate) for `Last-Modified` and friends, from unix seconds.
pub fn http_date(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    httpdate::fmt_http_date(t)
}

/// The host a request is addressed to: its `Host` header (HTTP/1.1) or, failing that, the
/// authority of its URI (HTTP/2 sends `:authority` instead of `Host`).
pub fn request_host<'a>(headers: &'a HeaderMap, uri: &'a axum::http::Uri) -> Option<&'a str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok()).or_else(|| uri.authority().map(|a| a.as_str()))
}

/// The host a request names if it is a plain lower-case host name or address with an optional
/// port (what browsers send), else `localhost`: a forged `Host` cannot put markup or odd bytes into
/// links and meta tags.
pub fn plain_host<'a>(headers: &'a HeaderMap, uri: &'a axum::http::Uri) -> &'a str {
    request_host(headers, uri)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 100
                && h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost")
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Builds a `Set-Cookie` value with the attributes every Zhengwu cookie carries.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client's address from an `X-Forwarded-For` chain behind `hops` trusted proxies. Each proxy
/// appends the address it received the request from, so only the last `hops` entries were written
/// by proxies we trust; everything left of them was written by the client and may be forged. The
/// entry `hops` places from the right is the address the outermost trusted proxy saw.
pub fn forwarded_client(xff: &str, hops: u8) -> Option<std::net::IpAddr> {
    if hops == 0 {
        return None;
    }
    let entries: Vec<&str> = xff.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    let at = entries.len().checked_sub(usize::from(hops))?;
    entries[at].parse().ok()
}

fn client_ip(state: &AppState, req: &Request) -> String {
    client_address(state.config.trusted_proxy_hops, req)
}

/// The client's address: the entry the outermost of `hops` trusted proxies added to
/// `X-Forwarded-For`, else the connection's peer.
pub fn client_address(hops: u8, req: &Request) -> String {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip());
    let forwarded =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    match forwarded_client(&forwarded, hops) {
        Some(ip) => ip.to_string(),
        None => peer.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
    }
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

/// The one success message of the back office: a handler that saved something redirects with
/// `?ok=CODE` and the page shows the message. Only these fixed texts are shown, so a crafted link
/// cannot put words on the page.
pub fn flash_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "已保存",
        "created" => "已创建",
        "uploaded" => "附件已上传",
        "removed" => "已删除",
        "submitted" | "submit" => "已提交审核",
        "approve" => "已审核通过",
        "reject" => "已退回修改",
        "withdraw" => "已撤稿",
        "archive" => "已归档",
        "pushed" => "已推送到栏目",
        "password" => "密码已修改",
        "reset" => "密码已重置，用户下次登录须修改",
        "disabled" => "账号已停用",
        "enabled" => "账号已启用",
        "granted" => "已授予角色",
        "revoked" => "已收回",
        "timeout" => "登录已超时，请重新登录",
        "resend" => "已重新排入发送队列",
        "checked" => "检测完成，今天的结果已保存",
        _ => return None,
    })
}

/// Outermost middleware for every route: request id, locale, client address, metrics, logs, and
/// the conversion of bare error responses into proper pages or problem+json.
pub async fn context_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map_or_else(|| crate::security::random_token(9), str::to_owned);
    let query_lang = query_param(&req, "lang");
    let lang = Lang::pick(
        query_lang.as_deref().or(cookie(req.headers(), "zw_lang")),
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    );
    let pre_csrf = cookie(req.headers(), PRE_CSRF_COOKIE).filter(|v| v.len() >= 16 && v.len() <= 64).map(str::to_owned);
    let needs_pre_csrf = pre_csrf.is_none();
    let (reading, reading_cookies) = portal::Reading::of_request(req.headers(), req.uri().query());
    let ctx = Ctx {
        request_id: request_id.clone(),
        ip: client_ip(&state, &req),
        lang,
        path: req.uri().path().to_owned(),
        auth: None,
        csrf_token: pre_csrf.unwrap_or_else(|| crate::security::random_token(18)),
        todos: None,
        flash: query_param(&req, "ok").as_deref().and_then(flash_text),
        reading,
        host: plain_host(req.headers(), req.uri()).to_owned(),
        audited: Arc::new(AtomicBool::new(false)),
    };
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    // The staff API answers errors as problem documents; other machine interfaces under /api (the
    // CKAN Action API) answer in their own format, as Open311 does.
    let is_api = ctx.path.starts_with("/api/v1/") || ctx.path == "/api/v1";
    let path = ctx.path.clone();
    req.extensions_mut().insert(ctx.clone());
    // Public pages are counted for the access statistics (the cached pages the portal answers
    // before this layer count themselves).
    let counted_headers = (state.analytics.enabled()
        && method == axum::http::Method::GET
        && headers::Area::of_path(&path) == headers::Area::Public
        && !path.starts_with("/static/")
        && !path.starts_with("/files/"))
    .then(|| req.headers().clone());

    let mut res = next.run(req).await;

    // A citizen's own pages (no-store: a case, a subscription's management page) are not
    // statistics, and their addresses may carry a secret.
    if let Some(h) = counted_headers
        && res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
        && !res.headers().get(header::CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"no-store"))
    {
        let facts = res.extensions_mut().remove::<Arc<crate::analytics::PageFacts>>().or_else(|| {
            let site_id = state.portal().and_then(|p| p.site_of(&ctx.host, &path))?;
            Some(Arc::new(crate::analytics::PageFacts { site_id, ..Default::default() }))
        });
        if let Some(f) = facts {
            state.analytics.record(f, &method, res.status().as_u16(), &h, &ctx.host, &path, &ctx.ip);
        }
    }

    if res.status().as_u16() >= 400 {
        res = error::ensure_error_body(&state, &ctx, is_api, res);
    }
    if needs_pre_csrf
        && !is_api
        && res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, PRE_CSRF_COOKIE, &ctx.csrf_token, None));
    }
    if !is_api {
        for c in reading_cookies {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    headers::apply(res.headers_mut(), headers::Area::of_path(&path));
    let elapsed = started.elapsed();
    state.metrics.observe(method.as_str(), &route, res.status().as_u16(), elapsed);
    // The path is logged without its query string: queries can carry personal data.
    tracing::info!(request_id = %request_id, method = %method, path = %path, status = res.status().as_u16(),
        ms = elapsed.as_secs_f64() * 1000.0, "request");
    res
}

/// Middleware for back-office and API routers: authentication, idle timeout, CSRF, and the audit
/// safety net for writes and denials.
pub async fn staff_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(mut ctx) = req.extensions().get::<Ctx>().cloned() else {
        return AppError::Internal("request context missing".into()).into_response();
    };
    let policy = state.policy().await;
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_owned());
    let mut auth: Option<Auth> = None;
    if let Some(token) = bearer {
        match accounts::token_user(&state.db, &token).await {
            Ok(Some((_, user))) if !user.disabled => auth = load_auth(&state, user, None, true).await,
            _ => {
                state.audit_as(&ctx, None, "-", "auth.token", "api", "failure", "无效或已吊销的 API 令牌".into()).await;
                return AppError::Unauthorized.into_response();
            }
        }
    } else if let Some(secret) = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned)
        && let Ok(Some(sess)) = accounts::session_by_secret(&state.db, &secret).await
    {
        let idle = i64::from(policy.idle_timeout_minutes) * 60;
        if crate::db::now() - sess.last_seen_at > idle {
            let _ = accounts::delete_session(&state.db, &sess.id_hash).await;
            if let Ok(Some(u)) = accounts::user_by_id(&state.db, sess.user_id).await {
                state
                    .audit_as(
                        &ctx,
                        Some(u.id),
                        &u.username,
                        "auth.timeout",
                        "session",
                        "success",
                        "空闲超时，会话已结束".into(),
                    )
                    .await;
            }
        } else if let Ok(Some(user)) = accounts::user_by_id(&state.db, sess.user_id).await
            && !user.disabled
        {
            // Touch at most once a minute: the idle clock needs no finer grain.
            if crate::db::now() - sess.last_seen_at > 60 {
                let _ = accounts::touch_session(&state.db, &sess.id_hash).await;
            }
            ctx.csrf_token = sess.csrf_token.clone();
            auth = load_auth(&state, user, Some(sess), false).await;
        }
    }

    // The methods a handler can take that change something; any other method (TRACE …) has no
    // route and gets its 405 from the router.
    let unsafe_method = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let via_token = auth.as_ref().is_some_and(|a| a.via_token);
    if let Some(a) = &auth
        && let Some(sess) = &a.session
        && !sess.mfa_passed
        && (a.user.totp_enabled || (policy.mfa_required_for_admins && a.is_triad_admin()))
    {
        req.extensions_mut().insert(MfaRequired);
    }
    ctx.auth = auth.map(Arc::new);
    if let Some(a) = &ctx.auth
        && *req.method() == Method::GET
        && ctx.path.starts_with("/admin")
        && !a.via_token
    {
        ctx.todos = Some(state.todos(a).await);
    }
    req.extensions_mut().insert(ctx.clone());

    // An API write without credentials carries no authority a forged request could borrow, so the
    // CSRF check does not apply: the handler answers 401 (its `Staff` extractor), or the router 405
    // for a method the path does not have.
    let anonymous_api = ctx.auth.is_none() && ctx.path.starts_with("/api/");
    if unsafe_method && !via_token && !anonymous_api {
        let (r, ok) = check_csrf(&ctx, req).await;
        req = r;
        if !ok && req.extensions().get::<BodyTooLarge>().is_some() {
            return AppError::PayloadTooLarge(format!("提交的内容超过 {} MB，请分次提交", FORM_LIMIT >> 20))
                .into_response();
        }
        if !ok {
            state
                .audit(
                    &ctx,
                    &format!("{} {}", req.method(), ctx.path),
                    &ctx.path,
                    "denied",
                    "CSRF 校验失败（令牌缺失或不符，或跨站请求）",
                )
                .await;
            return AppError::Forbidden("页面已过期或请求来源无法确认，请刷新页面后重试".into()).into_response();
        }
    }

    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| ctx.path.clone(), |m| m.as_str().to_owned());
    let res = next.run(req).await;

    let status = res.status();
    // What this user just did may have changed what waits for them: count afresh on the next page.
    if unsafe_method
        && (status.is_success() || status.is_redirection())
        && let Some(a) = &ctx.auth
        && let Ok(mut cache) = state.todo_cache.lock()
    {
        cache.remove(&a.user.id);
    }
    if !ctx.audited.load(Ordering::Relaxed) {
        let action = format!("{method} {route}");
        if status == StatusCode::FORBIDDEN {
            let detail = res.extensions().get::<error::ErrorInfo>().map(|e| e.detail.clone()).unwrap_or_default();
            state.audit(&ctx, &action, &ctx.path, "denied", detail).await;
        } else if unsafe_method {
            let outcome = if status.is_success() || status.is_redirection() { "success" } else { "failure" };
            state.audit(&ctx, &action, &ctx.path, outcome, format!("HTTP {}", status.as_u16())).await;
        }
    }
    if status.as_u16() >= 400 && ctx.auth.is_some() && ctx.path.starts_with("/admin") {
        // Rendered here, where the signed-in user (and so the menu) is known.
        return error::ensure_error_body(&state, &ctx, false, res);
    }
    res
}

/// A named account's rights outside a request (a command acting as that account): its grants and
/// its org unit's chain, as a request signed in as it would have them.
pub async fn auth_of_user(state: &AppState, user: User) -> Option<Auth> {
    load_auth(state, user, None, false).await
}

async fn load_auth(state: &AppState, user: User, session: Option<Session>, via_token: bool) -> Option<Auth> {
    let grants = accounts::grants_of(&state.db, user.id).await.ok()?.iter().filter_map(|g| g.grant()).collect();
    let org_chain = match user.org_id {
        Some(o) => accounts::org_chain(&accounts::list_orgs(&state.db).await.ok()?, o),
        None => Vec::new(),
    };
    Some(Auth { user, grants, org_chain, session, via_token })
}

/// Checks the request's CSRF token (header `X-CSRF-Token`, or the form field `_csrf` of a
/// urlencoded or multipart body — never the URL, which ends up in logs and Referer headers) and its
/// Origin. A form body is buffered (bounded) and handed back intact; a multipart body only up to
/// its token.
async fn check_csrf(ctx: &Ctx, req: Request) -> (Request, bool) {
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin != "null"
    {
        let host = request_host(req.headers(), req.uri()).unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if !host.is_empty() && origin_host != host {
            return (req, false);
        }
    }
    if let Some(h) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        let ok = crate::security::ct_eq(h, &ctx.csrf_token);
        return (req, ok);
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let is_multipart = content_type.starts_with("multipart/form-data");
    if !is_form && !is_multipart {
        return (req, false);
    }
    let (parts, body) = req.into_parts();
    if is_multipart {
        let (body, token) = multipart_token(&content_type, body).await;
        let ok = token.is_some_and(|t| crate::security::ct_eq(&t, &ctx.csrf_token));
        return (Request::from_parts(parts, body), ok);
    }
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            // Too large to read for its token: the handler's own body limit answers (413).
            let mut req = Request::from_parts(parts, Body::empty());
            req.extensions_mut().insert(BodyTooLarge);
            return (req, false);
        }
    };
    let token = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned());
    let ok = token.is_some_and(|t| crate::security::ct_eq(&t, &ctx.csrf_token));
    (Request::from_parts(parts, Body::from(bytes)), ok)
}

/// How far into a multipart body its `_csrf` field is looked for. Our forms put it first, as a
/// browser sends fields in page order, so an upload of hundreds of megabytes is never buffered
/// to find it: the handler streams the rest.
const MULTIPART_TOKEN_WINDOW: usize = 1 << 20;

/// Reads a multipart body until its `_csrf` field is complete (within the window, or the whole
/// body when shorter) and hands back a body that replays what was read, then the rest.
async fn multipart_token(content_type: &str, body: Body) -> (Body, Option<String>) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read: Vec<u8> = Vec::new();
    let mut token = None;
    let mut ended = false;
    while token.is_none() && read.len() < MULTIPART_TOKEN_WINDOW {
        match stream.next().await {
            Some(Ok(chunk)) => read.extend_from_slice(&chunk),
            Some(Err(_)) => return (Body::empty(), None),
            None => ended = true,
        }
        if read.windows(12).any(|w| w == b"name=\"_csrf\"") {
            token = multipart_field(content_type, axum::body::Bytes::copy_from_slice(&read), "_csrf").await;
        }
        if ended {
            break;
        }
    }
    let read = axum::body::Bytes::from(read);
    let body = if ended {
        Body::from(read)
    } else {
        Body::from_stream(futures_util::stream::once(async move { Ok::<_, axum::Error>(read) }).chain(stream))
    };
    (body, token)
}

/// The largest urlencoded form body read for its token.
const FORM_LIMIT: usize = 4 << 20;

/// Marks a write whose form body was over [`FORM_LIMIT`]: refused as too large, not as forged.
#[derive(Clone, Copy)]
struct BodyTooLarge;

/// One text field of a buffered multipart body.
async fn multipart_field(content_type: &str, bytes: axum::body::Bytes, name: &str) -> Option<String> {
    use tower::{Layer, ServiceExt};
    let req = Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from(bytes)).ok()?;
    // The bytes were read within the token window already; the extractor's own limit does not
    // apply to them.
    let read = tower::service_fn(|req: Request| async move {
        let mut mp = <axum::extract::Multipart as axum::extract::FromRequest<()>>::from_request(req, &()).await.ok();
        let mut found = None;
        if let Some(mp) = mp.as_mut() {
            while let Ok(Some(field)) = mp.next_field().await {
                if field.name() == Some(name) && field.file_name().is_none() {
                    found = field.text().await.ok();
                    break;
                }
            }
        }
        Ok::<_, std::convert::Infallible>(found)
    });
    axum::extract::DefaultBodyLimit::disable().layer(read).oneshot(req).await.ok().flatten()
}

/// A redirect after a successful form post (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// The end of a back-office form post: on success, see `ok_url`; when refused, the page again as
/// `view` renders it with the messages by field (a conflict or rate limit at `field`, the form that
/// was posted) and, kept by `view`, what was typed.
pub async fn after_post<Fut>(
    result: Result<(), AppError>,
    ok_url: &str,
    field: &str,
    view: impl FnOnce(std::collections::BTreeMap<String, String>, StatusCode) -> Fut,
) -> Result<Response, AppError>
where
    Fut: Future<Output = Result<Response, AppError>>,
{
    match result {
        Ok(()) => Ok(see_other(ok_url)),
        Err(e) => {
            let (status, errors) = error::form_errors_at(e, field)?;
            view(errors, status).await
        }
    }
}

/// The MIME type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to save (an export): `filename` is ASCII; `label`, when given, is the name a person
/// sees in their downloads (办事事项.xlsx), sent as the RFC 6266 `filename*`.
pub fn download(filename: &str, label: Option<&str>, content_type: &str, bytes: Vec<u8>) -> Response {
    let mut disposition = format!("attachment; filename=\"{filename}\"");
    if let Some(l) = label {
        let encoded: String = l
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        disposition.push_str(&format!("; filename*=UTF-8''{encoded}"));
    }
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// Assembles the whole application: the platform's pages and API, the modules' back-office routers
/// and API operations (all behind `staff_layer`), their public routers, system endpoints, and the
/// outer layers (context, panics, body limits, timeouts).
pub fn app(state: AppState) -> Router {
    let mut all_api = api::platform_routes();
    let mut admin = Router::new();
    let mut public = Router::new();
    for m in state.modules.iter() {
        all_api.extend(m.clone().api_routes());
        admin = admin.merge(m.clone().admin_routes());
        public = public.merge(m.clone().public_routes());
    }
    if !state.config.public_site {
        public = Router::new();
        all_api.retain(|r| !r.public);
    }
    let (api_router, doc) = api::build(all_api);
    let doc = Arc::new(doc);
    let staff_routes = pages::routes()
        .merge(admin)
        .merge(api_router)
        .layer(axum::middleware::from_fn_with_state(state.clone(), staff_layer));
    Router::new()
        .merge(staff_routes)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let d = doc.clone();
                async move { axum::Json((*d).clone()) }
            }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/static/admin.css", get(admin_css))
        .merge(public)
        .fallback(|| async { AppError::NotFound })
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::extract::DefaultBodyLimit::max(8 << 20))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), context_layer))
        .layer(axum::middleware::from_fn(writes_run_to_completion))
        .with_state(state)
}

/// A write runs to its end even when the browser goes away: a double click aborts the first
/// request, and a handler dropped half-way would leave its one-time submission claimed but never
/// settled, so the second click found no result. Reads are left cancellable (nothing to finish).
async fn writes_run_to_completion(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        return next.run(req).await;
    }
    match tokio::spawn(next.run(req)).await {
        Ok(res) => res,
        Err(e) => AppError::Internal(format!("request task failed: {e}")).into_response(),
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

/// Whether this request may read `/metrics`: the configured token, a configured client address,
/// or a direct request from this machine (no proxy in between, so not a visitor relayed by a local
/// nginx).
fn metrics_allowed(state: &AppState, ctx: &Ctx, req: &Parts) -> bool {
    if let Some(token) = state.config.metrics_token.as_deref().filter(|t| !t.is_empty())
        && let Some(given) = req.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(given) = given.strip_prefix("Bearer ")
        && crate::security::ct_eq(given.trim(), token)
    {
        return true;
    }
    if ctx.ip.parse::<std::net::IpAddr>().is_ok_and(|ip| state.config.metrics_allow.contains(&ip)) {
        return true;
    }
    let direct = !req.headers.contains_key("x-forwarded-for") && !req.headers.contains_key(header::FORWARDED);
    direct && req.extensions.get::<ConnectInfo<SocketAddr>>().is_some_and(|ci| ci.0.ip().is_loopback())
}

async fn metrics_text(State(state): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if !metrics_allowed(&state, &ctx, &parts) {
        return AppError::Forbidden("监控指标只对配置的地址或持有监控令牌的请求开放".into()).into_response();
    }
    let body = state.metrics.render(state.db.pool_stats());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

async fn admin_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/admin.css"),
    )
        .into_response()
}

crate::template_value!(NavItem);
crate::template_value!(Todo);

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_is_the_address_the_trusted_proxy_appended() {
        let ip = |s: &str| Some(s.parse().unwrap());
        // nginx appends the peer it saw; whatever the client wrote stands left of it.
        assert_eq!(forwarded_client("203.0.113.7", 1), ip("203.0.113.7"));
        assert_eq!(forwarded_client("1.1.1.1, 203.0.113.7", 1), ip("203.0.113.7"), "forged entry ignored");
        assert_eq!(forwarded_client("9.9.9.9,8.8.8.8, 203.0.113.7", 1), ip("203.0.113.7"));
        // SLB → nginx → Zhengwu: the SLB wrote the client, nginx wrote the SLB.
        assert_eq!(forwarded_client("6.6.6.6, 203.0.113.7, 10.0.0.2", 2), ip("203.0.113.7"));
        assert_eq!(forwarded_client("203.0.113.7", 2), None, "a chain shorter than the proxies is not trusted");
        assert_eq!(forwarded_client("1.1.1.1, not-an-ip", 1), None);
        assert_eq!(forwarded_client("203.0.113.7", 0), None, "no trusted proxy: the header is ignored");
        assert_eq!(forwarded_client("", 1), None);
        assert_eq!(forwarded_client("2001:db8::1", 1), ip("2001:db8::1"));
    }
}
