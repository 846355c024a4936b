//! The platform's back-office pages: sign-in, second factor, password, dashboard, accounts, org
//! units, role grants, security policy, system settings, audit log and personal API tokens.
//! Handlers are thin: they call `ops` and render templates; forms keep what the user typed and show
//! each field's error next to it.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde::Deserialize;

use super::extract::{Form, Path, Query};
use super::ops::{self, GrantInput, OrgInput, ProfileInput, UserInput};
use super::{AppError, AppState, Ctx, FieldError, NavItem, Staff, see_other, set_cookie};
use crate::accounts::{self, OrgUnit};
use crate::audit;
use crate::roles::{Perm, ResourceScope, Role, ScopeKind};
use crate::security::{self, SecurityPolicy};

pub const PAGE_SIZE: i64 = 20;

pub fn register_templates(env: &mut minijinja::Environment<'static>) -> Result<(), minijinja::Error> {
    for (name, src) in [
        ("error.html", include_str!("../../templates/error.html")),
        ("portal/plain.html", include_str!("../../templates/portal/plain.html")),
        ("admin/error.html", include_str!("../../templates/admin/error.html")),
        ("admin/macros.html", include_str!("../../templates/admin/macros.html")),
        ("admin/base.html", include_str!("../../templates/admin/base.html")),
        ("admin/login.html", include_str!("../../templates/admin/login.html")),
        ("admin/mfa.html", include_str!("../../templates/admin/mfa.html")),
        ("admin/password.html", include_str!("../../templates/admin/password.html")),
        ("admin/dashboard.html", include_str!("../../templates/admin/dashboard.html")),
        ("admin/users.html", include_str!("../../templates/admin/users.html")),
        ("admin/user_form.html", include_str!("../../templates/admin/user_form.html")),
        ("admin/orgs.html", include_str!("../../templates/admin/orgs.html")),
        ("admin/grants.html", include_str!("../../templates/admin/grants.html")),
        ("admin/user_grants.html", include_str!("../../templates/admin/user_grants.html")),
        ("admin/policy.html", include_str!("../../templates/admin/policy.html")),
        ("admin/settings.html", include_str!("../../templates/admin/settings.html")),
        ("admin/audit.html", include_str!("../../templates/admin/audit.html")),
        ("admin/tokens.html", include_str!("../../templates/admin/tokens.html")),
        ("admin/calendar.html", include_str!("../../templates/admin/calendar.html")),
        ("admin/outbox.html", include_str!("../../templates/admin/outbox.html")),
    ] {
        env.add_template(name, src)?;
    }
    Ok(())
}

pub fn platform_nav() -> Vec<NavItem> {
    vec![
        NavItem { section: "系统管理", href: "/admin/users", label: "账号管理", perm: Some(Perm::UserManage) },
        NavItem { section: "系统管理", href: "/admin/orgs", label: "机构管理", perm: Some(Perm::OrgManage) },
        NavItem {
            section: "系统管理", href: "/admin/settings", label: "系统设置", perm: Some(Perm::SystemSettings)
        },
        NavItem {
            section: "系统管理", href: "/admin/outbox", label: "待发邮件", perm: Some(Perm::SystemSettings)
        },
        NavItem { section: "安全管理", href: "/admin/grants", label: "角色授权", perm: Some(Perm::RoleGrant) },
        NavItem {
            section: "安全管理",
            href: "/admin/security-policy",
            label: "安全策略",
            perm: Some(Perm::SecurityPolicy),
        },
        NavItem { section: "审计管理", href: "/admin/audit", label: "审计日志", perm: Some(Perm::AuditRead) },
    ]
}

/// Routes of the platform back office (wrapped in `staff_layer` by the caller).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login_submit))
        .route("/admin/logout", post(logout))
        .route("/admin/mfa", get(mfa_page).post(mfa_submit))
        .route("/admin/password", get(password_page).post(password_submit))
        .route("/admin", get(dashboard))
        .route("/admin/users", get(users_list))
        .route("/admin/users/new", get(user_new_page).post(user_new_submit))
        .route("/admin/users/{id}", get(user_edit_page).post(user_edit_submit))
        .route("/admin/users/{id}/reset-password", post(user_reset_password))
        .route("/admin/users/{id}/disable", post(user_disable))
        .route("/admin/users/{id}/enable", post(user_enable))
        .route("/admin/orgs", get(orgs_page).post(org_create))
        .route("/admin/orgs/{id}", get(org_edit_page).post(org_update))
        .route("/admin/grants", get(grants_page))
        .route("/admin/grants/{user_id}", get(user_grants_page).post(user_grants_submit))
        .route("/admin/grants/remove/{grant_id}", post(grant_remove))
        .route("/admin/security-policy", get(policy_page).post(policy_submit))
        .route("/admin/settings", get(settings_page).post(settings_submit))
        .route("/admin/outbox", get(outbox_page))
        .route("/admin/outbox/{id}/retry", axum::routing::post(outbox_retry))
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit/verify", post(audit_verify))
        .route("/admin/audit/export.csv", get(audit_export_csv))
        .route("/admin/audit/export.xlsx", get(audit_export_xlsx))
        .route("/admin/tokens", get(tokens_page).post(token_create))
        .route("/admin/calendar", get(calendar_page).post(calendar_submit))
        .route("/admin/tokens/{id}/revoke", post(token_revoke))
}

fn errors_map(errs: &[FieldError]) -> BTreeMap<String, String> {
    errs.iter().map(|e| (e.field.clone(), e.message.clone())).collect()
}

/// Re-renders a form with 422 and the field errors, or passes any other error on.
fn form_error(
    state: &AppState,
    ctx: &Ctx,
    template: &str,
    err: AppError,
    page: impl FnOnce(BTreeMap<String, String>) -> Value,
) -> Response {
    let (status, errors) = match err {
        AppError::Invalid(errs) => (StatusCode::UNPROCESSABLE_ENTITY, errors_map(&errs)),
        AppError::Conflict(msg) => (StatusCode::CONFLICT, BTreeMap::from([("form".to_owned(), msg)])),
        other => return other.into_response(),
    };
    match state.render(ctx, template, page(errors)) {
        Ok(html) => (status, html).into_response(),
        Err(e) => e.into_response(),
    }
}

fn password_rule(p: &SecurityPolicy) -> String {
    format!(
        "至少 {} 个字符，包含小写字母、大写字母、数字、符号中的至少 {} 类，且不含用户名",
        p.password_min_length, p.password_min_classes
    )
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    q: String,
}

fn page_number(s: &Option<String>) -> i64 {
    s.as_deref().and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1 && *p <= 100_000).unwrap_or(1)
}

fn pages_for(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

// ---- sign-in -------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// Only same-site back-office paths are accepted as a post-login destination (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with("/admin") && !next.starts_with("//") && !next.contains("://") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/admin".to_owned()
    }
}

async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Result<Html<String>, AppError> {
    state.render(&ctx, "admin/login.html", context! { next => safe_next(&q.next), username => "" })
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LoginForm>) -> Response {
    match ops::sign_in(&state, &ctx, &f.username, &f.password).await {
        Ok(s) => {
            let to = if s.needs_mfa {
                "/admin/mfa".to_owned()
            } else if s.must_change_password {
                "/admin/password".to_owned()
            } else {
                safe_next(&f.next)
            };
            let mut res = see_other(&to);
            res.headers_mut()
                .append(header::SET_COOKIE, set_cookie(&state, super::SESSION_COOKIE, &s.cookie_secret, None));
            res
        }
        Err(e) => {
            let (status, msg) = match &e {
                AppError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
                AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "用户名或密码错误".to_owned()),
                _ => return e.into_response(),
            };
            match state.render(
                &ctx,
                "admin/login.html",
                context! { next => safe_next(&f.next), username => f.username, error => msg },
            ) {
                Ok(html) => (status, html).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(a) = &ctx.auth
        && let Some(s) = &a.session
    {
        let _ = accounts::delete_session(&state.db, &s.id_hash).await;
        state.audit(&ctx, "auth.logout", "session", "success", "退出登录").await;
    }
    let mut res = see_other("/admin/login");
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, super::SESSION_COOKIE, "", Some(0)));
    res
}

/// The signed-in user before the second factor and password change are done.
fn partial(ctx: &Ctx) -> Result<std::sync::Arc<super::Auth>, AppError> {
    ctx.auth.clone().filter(|a| a.session.is_some()).ok_or(AppError::Unauthorized)
}

async fn mfa_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let auth = partial(&ctx)?;
    if auth.user.totp_enabled {
        return Ok(state
            .render(&ctx, "admin/mfa.html", context! { enrol => false, errors => BTreeMap::<String, String>::new() })?
            .into_response());
    }
    // Enrolment: keep one pending secret per user until confirmed.
    let secret = match &auth.user.totp_secret {
        Some(s) => s.clone(),
        None => {
            let s = security::totp::new_secret();
            accounts::set_totp(&state.db, auth.user.id, Some(&s), false).await?;
            s
        }
    };
    Ok(state
        .render(&ctx, "admin/mfa.html", context! { enrol => true, uri => security::totp::uri(&secret, &auth.user.username), secret => secret, errors => BTreeMap::<String, String>::new() })?
        .into_response())
}

#[derive(Deserialize, Default)]
struct MfaForm {
    #[serde(default)]
    code: String,
}

async fn mfa_submit(State(state): State<AppState>, ctx: Ctx, Form(f): Form<MfaForm>) -> Result<Response, AppError> {
    let auth = partial(&ctx)?;
    let Some(sess) = &auth.session else {
        return Err(AppError::Unauthorized);
    };
    let user = accounts::user_by_id(&state.db, auth.user.id).await?.ok_or(AppError::Unauthorized)?;
    let ok = user.totp_secret.as_deref().is_some_and(|s| security::totp::verify(s, &f.code, crate::db::now() as u64));
    if !ok {
        state.audit(&ctx, "auth.mfa", "session", "failure", "动态口令错误").await;
        let errors = BTreeMap::from([("code".to_owned(), "动态口令不正确或已过期".to_owned())]);
        let secret = user.totp_secret.clone().unwrap_or_default();
        let html = state.render(&ctx, "admin/mfa.html", context! { enrol => !user.totp_enabled, uri => security::totp::uri(&secret, &user.username), secret => secret, errors => errors })?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    if !user.totp_enabled {
        accounts::set_totp(&state.db, user.id, user.totp_secret.as_deref(), true).await?;
    }
    accounts::mark_session_mfa(&state.db, &sess.id_hash).await?;
    state
        .audit(
            &ctx,
            "auth.mfa",
            "session",
            "success",
            if user.totp_enabled { "动态口令验证通过" } else { "绑定动态口令" },
        )
        .await;
    Ok(see_other(if user.must_change_password { "/admin/password" } else { "/admin" }))
}

async fn password_page(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let auth = partial(&ctx)?;
    let p = state.policy().await;
    state.render(&ctx, "admin/password.html", context! { forced => auth.user.must_change_password, rule => password_rule(&p), errors => BTreeMap::<String, String>::new() })
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

async fn password_submit(State(state): State<AppState>, ctx: Ctx, Form(f): Form<PasswordForm>) -> Response {
    let auth = match partial(&ctx) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Some(s) = &auth.session
        && !s.mfa_passed
        && auth.user.totp_enabled
    {
        return AppError::NeedMfa.into_response();
    }
    match ops::change_own_password(&state, &ctx, &auth, &f.current, &f.new_password, &f.confirm).await {
        Ok(()) => see_other("/admin?ok=password"),
        Err(e) => {
            let p = state.policy().await;
            form_error(&state, &ctx, "admin/password.html", e, |errors| {
                context! { forced => auth.user.must_change_password, rule => password_rule(&p), errors => errors }
            })
        }
    }
}

// ---- dashboard -------------------------------------------------------------------------------------

async fn dashboard(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    let mut tiles = Vec::new();
    if staff.holds_anywhere(Perm::UserManage) {
        let n = state.db.count(crate::db::sql("SELECT COUNT(*) FROM app_user")).await?;
        tiles.push(context! { href => "/admin/users", value => n, label => "账号" });
        let n = state.db.count(crate::db::sql("SELECT COUNT(*) FROM org_unit")).await?;
        tiles.push(context! { href => "/admin/orgs", value => n, label => "单位" });
    }
    if staff.holds_anywhere(Perm::AuditRead) {
        let since = crate::db::now() - 86_400;
        let n = state.db.count(crate::db::sql("SELECT COUNT(*) FROM audit_log WHERE at >= $1").bind(since)).await?;
        tiles.push(context! { href => "/admin/audit", value => n, label => "近24小时审计记录" });
        let n = state
            .db
            .count(crate::db::sql("SELECT COUNT(*) FROM audit_log WHERE at >= $1 AND outcome <> 'success'").bind(since))
            .await?;
        tiles.push(context! { href => "/admin/audit?outcome=denied", value => n, label => "近24小时失败或拒绝" });
    }
    // The to-dos grouped by subsystem, in the menu's order.
    let todos = match &ctx.auth {
        Some(a) => state.todos(a).await,
        None => Default::default(),
    };
    let mut todo_sections: Vec<(&str, Vec<&super::Todo>)> = Vec::new();
    for t in todos.iter() {
        match todo_sections.iter_mut().find(|(s, _)| *s == t.section) {
            Some((_, items)) => items.push(t),
            None => todo_sections.push((t.section, vec![t])),
        }
    }
    let todo_sections: Vec<_> = todo_sections
        .into_iter()
        .map(|(name, items)| context! { name, items => items.into_iter().cloned().collect::<Vec<_>>() })
        .collect();
    state.render(&ctx, "admin/dashboard.html", context! { tiles => tiles, todo_sections })
}

// ---- accounts --------------------------------------------------------------------------------------

async fn org_options(state: &AppState) -> Result<(Vec<(String, String)>, Vec<OrgUnit>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut opts = vec![(String::new(), "（无）".to_owned())];
    for (o, depth) in org_tree(&orgs) {
        opts.push((o.code.clone(), format!("{}{}", "　".repeat(depth), o.name)));
    }
    Ok((opts, orgs))
}

/// Orders org units as a depth-first tree with each unit's depth.
pub fn org_tree(orgs: &[OrgUnit]) -> Vec<(&OrgUnit, usize)> {
    fn walk<'a>(orgs: &'a [OrgUnit], parent: Option<i64>, depth: usize, out: &mut Vec<(&'a OrgUnit, usize)>) {
        for o in orgs.iter().filter(|o| o.parent_id == parent) {
            if out.iter().any(|(x, _)| x.id == o.id) {
                continue;
            }
            out.push((o, depth));
            walk(orgs, Some(o.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(orgs, None, 0, &mut out);
    // Units whose parent is missing still show, at the top level.
    for o in orgs {
        if !out.iter().any(|(x, _)| x.id == o.id) {
            out.push((o, 0));
        }
    }
    out
}

async fn users_list(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(n): Query<Notice>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let page = page_number(&n.page);
    let (users, total) = accounts::list_users(&state.db, n.q.trim(), PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let orgs: BTreeMap<String, String> =
        accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.id.to_string(), o.name)).collect();
    state.render(
        &ctx,
        "admin/users.html",
        context! { users => users, orgs => orgs, q => n.q, page => page, pages => pages_for(total) },
    )
}

async fn user_new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let (org_opts, _) = org_options(&state).await?;
    let p = state.policy().await;
    state.render(&ctx, "admin/user_form.html", context! { form => UserInput::default(), org_options => org_opts, rule => password_rule(&p), errors => BTreeMap::<String, String>::new() })
}

async fn user_new_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<UserInput>,
) -> Result<Response, AppError> {
    match ops::create_user(&state, &ctx, &staff, &f).await {
        Ok(u) => Ok(see_other(&format!("/admin/users/{}?ok=created", u.id))),
        Err(e) => {
            let (org_opts, _) = org_options(&state).await?;
            let p = state.policy().await;
            Ok(form_error(&state, &ctx, "admin/user_form.html", e, |errors| {
                context! { form => f, org_options => org_opts, rule => password_rule(&p), errors => errors }
            }))
        }
    }
}

async fn user_edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (org_opts, orgs) = org_options(&state).await?;
    let form = ProfileInput {
        display_name: user.display_name.clone(),
        email: user.email.clone().unwrap_or_default(),
        org_code: user.org_id.and_then(|o| orgs.iter().find(|x| x.id == o)).map(|o| o.code.clone()).unwrap_or_default(),
    };
    state.render(
        &ctx,
        "admin/user_form.html",
        context! { user => user, form => form, org_options => org_opts, errors => BTreeMap::<String, String>::new() },
    )
}

async fn user_edit_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ProfileInput>,
) -> Result<Response, AppError> {
    match ops::update_user(&state, &ctx, &staff, id, &f).await {
        Ok(_) => Ok(see_other(&format!("/admin/users/{id}?ok=saved"))),
        Err(e) => {
            let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
            let (org_opts, _) = org_options(&state).await?;
            Ok(form_error(&state, &ctx, "admin/user_form.html", e, |errors| {
                context! { user => user, form => f, org_options => org_opts, errors => errors }
            }))
        }
    }
}

#[derive(Deserialize, Default)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn user_reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    match ops::reset_password(&state, &ctx, &staff, id, &f.password).await {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}?ok=reset"))),
        Err(e) => {
            let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
            let (org_opts, orgs) = org_options(&state).await?;
            let form = ProfileInput {
                display_name: user.display_name.clone(),
                email: user.email.clone().unwrap_or_default(),
                org_code: user
                    .org_id
                    .and_then(|o| orgs.iter().find(|x| x.id == o))
                    .map(|o| o.code.clone())
                    .unwrap_or_default(),
            };
            Ok(form_error(&state, &ctx, "admin/user_form.html", e, |errors| {
                context! { user => user, form => form, org_options => org_opts, errors => errors }
            }))
        }
    }
}

async fn user_disable(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ops::set_disabled(&state, &ctx, &staff, id, true).await?;
    Ok(see_other(&format!("/admin/users/{id}?ok=disabled")))
}

async fn user_enable(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ops::set_disabled(&state, &ctx, &staff, id, false).await?;
    Ok(see_other(&format!("/admin/users/{id}?ok=enabled")))
}

// ---- org units ---------------------------------------------------------------------------------------

async fn orgs_context(
    state: &AppState,
    form: &OrgInput,
    editing: Option<i64>,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
) -> Result<Value, AppError> {
    let (org_opts, orgs) = org_options(state).await?;
    let tree: Vec<Value> = org_tree(&orgs)
        .into_iter()
        .map(|(o, depth)| {
            let parent_name = o.parent_id.and_then(|p| orgs.iter().find(|x| x.id == p)).map(|p| p.name.clone()).unwrap_or_default();
            let kind_label = ops::ORG_KINDS.iter().find(|(k, _)| *k == o.kind).map_or("其他单位", |(_, l)| l);
            context! { id => o.id, name => o.name.clone(), code => o.code.clone(), depth => depth, parent_name => parent_name, kind_label => kind_label }
        })
        .collect();
    let kinds: Vec<(String, String)> = std::iter::once((String::new(), "请选择".to_owned()))
        .chain(ops::ORG_KINDS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())))
        .collect();
    Ok(
        context! { tree => tree, form => form, editing => editing, org_options => org_opts, kind_options => kinds, errors => errors, notice => notice },
    )
}

async fn orgs_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::OrgManage, &ResourceScope::platform())?;
    let page = orgs_context(&state, &OrgInput::default(), None, BTreeMap::new(), None).await?;
    state.render(&ctx, "admin/orgs.html", page)
}

async fn org_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<OrgInput>,
) -> Result<Response, AppError> {
    match ops::create_org(&state, &ctx, &staff, &f).await {
        Ok(_) => Ok(see_other("/admin/orgs?ok=created")),
        Err(AppError::Invalid(errs)) => {
            let page = orgs_context(&state, &f, None, errors_map(&errs), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, state.render(&ctx, "admin/orgs.html", page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn org_edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::OrgManage, &ResourceScope::platform())?;
    let org = accounts::org_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let parent_code = match org.parent_id {
        Some(p) => accounts::org_by_id(&state.db, p).await?.map(|o| o.code).unwrap_or_default(),
        None => String::new(),
    };
    let form = OrgInput { name: org.name, code: org.code, kind: org.kind, parent_code };
    let page = orgs_context(&state, &form, Some(id), BTreeMap::new(), None).await?;
    state.render(&ctx, "admin/orgs.html", page)
}

async fn org_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<OrgInput>,
) -> Result<Response, AppError> {
    match ops::update_org(&state, &ctx, &staff, id, &f).await {
        Ok(()) => Ok(see_other("/admin/orgs?ok=saved")),
        Err(AppError::Invalid(errs)) => {
            let page = orgs_context(&state, &f, Some(id), errors_map(&errs), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, state.render(&ctx, "admin/orgs.html", page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---- grants ---------------------------------------------------------------------------------------------

fn grant_view(g: &accounts::GrantRow, orgs: &[OrgUnit], names: &ScopeNames) -> Value {
    let label = Role::parse(&g.role).map_or_else(|| g.role.clone(), |r| r.label().to_owned());
    let named = |map: &BTreeMap<i64, String>| {
        map.get(&g.scope_id).cloned().unwrap_or_else(|| format!("#{}（已删除）", g.scope_id))
    };
    let scope = match ScopeKind::parse(&g.scope_kind) {
        Some(ScopeKind::Global) | None => "全平台".to_owned(),
        Some(ScopeKind::Org) => {
            format!(
                "单位：{}",
                orgs.iter().find(|o| o.id == g.scope_id).map_or_else(|| g.scope_id.to_string(), |o| o.name.clone())
            )
        }
        Some(ScopeKind::Site) => format!("站点：{}", named(&names.sites)),
        Some(ScopeKind::Channel) => {
            let c = names.channels.iter().find(|c| c.id == g.scope_id);
            match c {
                Some(c) => format!("栏目：{} / {}", names.sites.get(&c.site_id).map_or("", String::as_str), c.name),
                None => format!("栏目：#{}", g.scope_id),
            }
        }
    };
    context! { id => g.id, label => label, scope => scope, granted_by => g.granted_by.clone(), granted_at => g.granted_at }
}

async fn grants_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(n): Query<Notice>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::RoleGrant, &ResourceScope::platform())?;
    let page = page_number(&n.page);
    let (users, total) = accounts::list_users(&state.db, "", PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let grants = accounts::all_grants(&state.db).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let names = scope_names(&state).await;
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            let gs: Vec<Value> = grants.iter().filter(|g| g.user_id == u.id).map(|g| grant_view(g, &orgs, &names)).collect();
            context! { id => u.id, username => u.username.clone(), display_name => u.display_name.clone(), grants => gs }
        })
        .collect();
    state.render(&ctx, "admin/grants.html", context! { users => rows, page => page, pages => pages_for(total) })
}

async fn user_grants_context(
    state: &AppState,
    user_id: i64,
    form: &GrantInput,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
) -> Result<Value, AppError> {
    let user = accounts::user_by_id(&state.db, user_id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let names = scope_names(state).await;
    let grants: Vec<Value> =
        accounts::grants_of(&state.db, user_id).await?.iter().map(|g| grant_view(g, &orgs, &names)).collect();
    let roles: Vec<(String, String)> = Role::ALL.iter().map(|r| (r.code().to_owned(), r.label().to_owned())).collect();
    // One choice of scope, as a tree by name: the platform, each site with its channels nested
    // under it, and the units by their hierarchy. Values are `kind:id`.
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (site_id, site) in &names.sites {
        let mut options = vec![(format!("site:{site_id}"), format!("整个站点：{site}"))];
        for c in names.channels.iter().filter(|c| c.site_id == *site_id) {
            options.push((format!("channel:{}", c.id), format!("{}栏目：{}", "　".repeat(c.depth + 1), c.name)));
        }
        groups.push((format!("站点「{site}」"), options));
    }
    let units: Vec<(String, String)> = org_tree(&orgs)
        .iter()
        .map(|(o, depth)| (format!("org:{}", o.id), format!("{}{}", "　".repeat(*depth), o.name)))
        .collect();
    if !units.is_empty() {
        groups.push(("单位".to_owned(), units));
    }
    let chosen = match (form.scope_kind.as_str(), form.scope_id) {
        ("global", _) => "global".to_owned(),
        (kind, Some(id)) if !kind.is_empty() => format!("{kind}:{id}"),
        _ => String::new(),
    };
    Ok(context! { user => user, grants => grants, role_options => roles, scope_groups => groups,
    form => context! { role => form.role.clone(), scope => chosen }, errors => errors, notice => notice })
}

/// The names of the sites and channels a grant may name. They belong to the CMS, which may not be
/// installed, so they are read defensively: a missing table yields no names.
#[derive(Default)]
struct ScopeNames {
    sites: BTreeMap<i64, String>,
    /// Every channel in tree order within its site.
    channels: Vec<ChannelNode>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct ChannelRow {
    id: i64,
    site_id: i64,
    parent_id: Option<i64>,
    name: String,
}

/// A channel in its site's tree.
#[derive(Debug, Clone, PartialEq)]
struct ChannelNode {
    id: i64,
    site_id: i64,
    depth: usize,
    name: String,
}

/// Orders channels as their trees read (each followed by its children), per site in the given
/// order; a channel whose parent is missing starts a tree of its own.
fn channel_tree(rows: &[ChannelRow]) -> Vec<ChannelNode> {
    fn walk(rows: &[ChannelRow], site: i64, parent: Option<i64>, depth: usize, out: &mut Vec<ChannelNode>) {
        for r in rows.iter().filter(|r| r.site_id == site && r.parent_id == parent) {
            if out.iter().any(|n| n.id == r.id) {
                continue;
            }
            out.push(ChannelNode { id: r.id, site_id: r.site_id, depth, name: r.name.clone() });
            walk(rows, site, Some(r.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    let mut sites: Vec<i64> = rows.iter().map(|r| r.site_id).collect();
    sites.dedup();
    for site in sites {
        walk(rows, site, None, 0, &mut out);
        for r in rows.iter().filter(|r| r.site_id == site) {
            if !out.iter().any(|n| n.id == r.id) {
                out.push(ChannelNode { id: r.id, site_id: r.site_id, depth: 0, name: r.name.clone() });
                walk(rows, site, Some(r.id), 1, &mut out);
            }
        }
    }
    out
}

async fn scope_names(state: &AppState) -> ScopeNames {
    #[derive(sqlx::FromRow)]
    struct Named {
        id: i64,
        name: String,
    }
    let read = |q: &'static str| async move {
        state
            .db
            .fetch_all::<Named>(crate::db::sql(q))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n.id, n.name))
            .collect()
    };
    let channels: Vec<ChannelRow> = state
        .db
        .fetch_all(crate::db::sql(
            "SELECT id, site_id, parent_id, name FROM channel WHERE archived = FALSE ORDER BY site_id, sort_order, id LIMIT 2000",
        ))
        .await
        .unwrap_or_default();
    ScopeNames { sites: read("SELECT id, name FROM site ORDER BY id").await, channels: channel_tree(&channels) }
}

async fn user_grants_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(user_id): Path<i64>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::RoleGrant, &ResourceScope::platform())?;
    let page = user_grants_context(&state, user_id, &GrantInput::default(), BTreeMap::new(), None).await?;
    state.render(&ctx, "admin/user_grants.html", page)
}

#[derive(Deserialize, Default, Clone)]
struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    scope_kind: String,
    #[serde(default)]
    scope_id: String,
}

async fn user_grants_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(user_id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> Result<Response, AppError> {
    // The tree sends one `kind:id` (or `global`); API-like posts may send the two fields.
    let (scope_kind, scope_id) = match f.scope.split_once(':') {
        Some((kind, id)) => (kind.to_owned(), id.trim().parse().ok()),
        None if !f.scope.is_empty() => (f.scope.clone(), None),
        None => (f.scope_kind.clone(), f.scope_id.trim().parse().ok()),
    };
    let input = GrantInput { role: f.role.clone(), scope_kind, scope_id };
    match ops::grant_role(&state, &ctx, &staff, user_id, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/grants/{user_id}?ok=granted"))),
        Err(AppError::Invalid(errs)) => {
            let page = user_grants_context(&state, user_id, &input, errors_map(&errs), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, state.render(&ctx, "admin/user_grants.html", page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn grant_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(grant_id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require(Perm::RoleGrant, &ResourceScope::platform())?;
    let row: Option<accounts::GrantRow> =
        state.db.fetch_optional(crate::db::sql("SELECT * FROM role_grant WHERE id = $1").bind(grant_id)).await?;
    let row = row.ok_or(AppError::NotFound)?;
    ops::revoke_grant(&state, &ctx, &staff, grant_id).await?;
    Ok(see_other(&format!("/admin/grants/{}?ok=revoked", row.user_id)))
}

// ---- security policy and settings -------------------------------------------------------------------

#[derive(Deserialize, Default, serde::Serialize)]
struct PolicyForm {
    #[serde(default)]
    password_min_length: String,
    #[serde(default)]
    password_min_classes: String,
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    #[serde(default)]
    idle_timeout_minutes: String,
    #[serde(default)]
    audit_retention_days: String,
    #[serde(default)]
    mfa_required_for_admins: Option<String>,
}

impl PolicyForm {
    fn from_policy(p: &SecurityPolicy) -> Self {
        PolicyForm {
            password_min_length: p.password_min_length.to_string(),
            password_min_classes: p.password_min_classes.to_string(),
            lockout_threshold: p.lockout_threshold.to_string(),
            lockout_minutes: p.lockout_minutes.to_string(),
            idle_timeout_minutes: p.idle_timeout_minutes.to_string(),
            audit_retention_days: p.audit_retention_days.to_string(),
            mfa_required_for_admins: p.mfa_required_for_admins.then(|| "true".to_owned()),
        }
    }

    fn parse(&self) -> Result<SecurityPolicy, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut num = |field: &str, v: &str| -> u32 {
            v.trim().parse::<u32>().unwrap_or_else(|_| {
                errs.push(FieldError::new(field, "请输入整数"));
                0
            })
        };
        let p = SecurityPolicy {
            password_min_length: num("password_min_length", &self.password_min_length),
            password_min_classes: num("password_min_classes", &self.password_min_classes),
            lockout_threshold: num("lockout_threshold", &self.lockout_threshold),
            lockout_minutes: num("lockout_minutes", &self.lockout_minutes),
            idle_timeout_minutes: num("idle_timeout_minutes", &self.idle_timeout_minutes),
            audit_retention_days: num("audit_retention_days", &self.audit_retention_days),
            mfa_required_for_admins: self.mfa_required_for_admins.is_some(),
        };
        if errs.is_empty() { Ok(p) } else { Err(errs) }
    }
}

async fn policy_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::SecurityPolicy, &ResourceScope::platform())?;
    let p = state.policy().await;
    state.render(
        &ctx,
        "admin/policy.html",
        context! { form => PolicyForm::from_policy(&p), errors => BTreeMap::<String, String>::new() },
    )
}

async fn policy_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<PolicyForm>,
) -> Result<Response, AppError> {
    staff.require(Perm::SecurityPolicy, &ResourceScope::platform())?;
    let result = match f.parse() {
        Ok(p) => ops::set_policy(&state, &ctx, &staff, &p).await,
        Err(errs) => Err(AppError::Invalid(errs)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/security-policy?ok=saved")),
        Err(e) => {
            Ok(form_error(&state, &ctx, "admin/policy.html", e, |errors| context! { form => f, errors => errors }))
        }
    }
}

#[derive(Deserialize, Default, serde::Serialize)]
struct SettingsForm {
    #[serde(default)]
    platform_name: String,
    #[serde(default)]
    admin_contact: String,
    #[serde(default)]
    upload_max_mb: String,
}

/// Mail not yet delivered: what waits for a retry and what failed for good (subject, attempts,
/// the relay's reason — never the address), with 重新发送 for the failed ones.
async fn outbox_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let rows = crate::outbox::undelivered(&state.db).await?;
    state.render(
        &ctx,
        "admin/outbox.html",
        context! { rows => super::sv(&rows), relay => state.mailer.is_configured() },
    )
}

async fn outbox_retry(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    ops::retry_message(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/outbox?ok=resend"))
}

async fn settings_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let s = ops::load_settings(&state).await;
    let form = SettingsForm {
        platform_name: s.platform_name,
        admin_contact: s.admin_contact,
        upload_max_mb: s.upload_max_mb.to_string(),
    };
    state.render(&ctx, "admin/settings.html", context! { form => form, errors => BTreeMap::<String, String>::new() })
}

async fn settings_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let result = match f.upload_max_mb.trim().parse::<u32>() {
        Ok(mb) => {
            let s = ops::SystemSettings {
                platform_name: f.platform_name.trim().to_owned(),
                admin_contact: f.admin_contact.trim().to_owned(),
                upload_max_mb: mb,
            };
            ops::save_settings(&state, &ctx, &staff, &s).await
        }
        Err(_) => Err(AppError::invalid("upload_max_mb", "请输入整数")),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/settings?ok=saved")),
        Err(e) => {
            Ok(form_error(&state, &ctx, "admin/settings.html", e, |errors| context! { form => f, errors => errors }))
        }
    }
}

// ---- audit log ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default, serde::Serialize, Clone, schemars::JsonSchema)]
pub struct AuditQuery {
    /// 操作人用户名
    #[serde(default)]
    pub username: String,
    /// 操作（如 user.create）
    #[serde(default)]
    pub action: String,
    /// 结果：success 成功、denied 拒绝、failure 失败
    #[serde(default)]
    pub outcome: String,
    /// 起始日期 YYYY-MM-DD
    #[serde(default)]
    #[schemars(regex(pattern = super::api::DATE_OR_EMPTY))]
    pub from: String,
    /// 截止日期 YYYY-MM-DD（含当天）
    #[serde(default)]
    #[schemars(regex(pattern = super::api::DATE_OR_EMPTY))]
    pub to: String,
    /// 页码（不是 1–100000 的数时按第 1 页）
    #[serde(default)]
    pub page: Option<String>,
}

impl AuditQuery {
    /// Dates are Beijing calendar days; `to` includes its whole day.
    pub fn filter(&self) -> Result<audit::Filter, AppError> {
        let date = |s: &str, name: &str| -> Result<Option<i64>, AppError> {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                crate::parse_date(s).map(Some).ok_or_else(|| AppError::invalid(name, "日期格式应为 YYYY-MM-DD"))
            }
        };
        Ok(audit::Filter {
            username: Some(self.username.trim().to_owned()),
            action: Some(self.action.trim().to_owned()),
            outcome: Some(self.outcome.clone()),
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?.map(|d| d + 86_400),
        })
    }
    fn query_string(&self) -> String {
        let mut q = self.clone();
        q.page = None;
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

const EXPORT_LIMIT: i64 = 100_000;

async fn audit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, AppError> {
    audit_render(&state, &ctx, &staff, &q, None).await
}

async fn audit_render(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    q: &AuditQuery,
    verify: Option<Value>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let page = page_number(&q.page);
    let (filter, errors) = match q.filter() {
        Ok(f) => (f, BTreeMap::new()),
        Err(_) => {
            (audit::Filter::default(), BTreeMap::from([("date".to_owned(), "日期格式应为 YYYY-MM-DD".to_owned())]))
        }
    };
    let (entries, total) = audit::search(&state.db, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    state.render(ctx, "admin/audit.html", context! { entries => entries, total => total, f => q, qs => q.query_string(), page => page, pages => pages_for(total), errors => errors, verify => verify })
}

async fn audit_verify(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let report = audit::verify(&state.db, &state.audit_key.key, |_, _| {}).await?;
    let (ok, message) = match &report.first_broken {
        None => (true, format!("校验通过：{} 条记录完整，未发现篡改", report.checked)),
        Some((seq, why)) => (false, format!("校验失败：第 {seq} 条起链条断裂——{why}")),
    };
    state.audit(&ctx, "audit.verify", "audit_log", if ok { "success" } else { "failure" }, message.clone()).await;
    audit_render(&state, &ctx, &staff, &AuditQuery::default(), Some(context! { ok => ok, message => message })).await
}

async fn audit_export(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    q: &AuditQuery,
    format: &str,
) -> Result<Response, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let filter = q.filter()?;
    let (entries, total) = audit::search(&state.db, &filter, EXPORT_LIMIT, 0).await?;
    state
        .audit(
            ctx,
            "audit.export",
            "audit_log",
            "success",
            format!("导出 {format}，{} 条（条件 {}）", entries.len().min(total as usize), q.query_string()),
        )
        .await;
    let (body, ct) = if format == "xlsx" {
        let bytes = tokio::task::spawn_blocking(move || audit::to_xlsx(&entries))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
        (bytes, super::XLSX)
    } else {
        (audit::to_csv(&entries), "text/csv; charset=utf-8")
    };
    let filename = format!("audit-{}.{format}", crate::fmt_date(crate::db::now()));
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response())
}

async fn audit_export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    audit_export(&state, &ctx, &staff, &q, "csv").await
}

async fn audit_export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    audit_export(&state, &ctx, &staff, &q, "xlsx").await
}

// ---- personal API tokens ---------------------------------------------------------------------------------

#[derive(Deserialize, Default, serde::Serialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn tokens_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    let tokens = accounts::tokens_of(&state.db, staff.user.id).await?;
    state.render(
        &ctx,
        "admin/tokens.html",
        context! { tokens => tokens, form => TokenForm::default(), errors => BTreeMap::<String, String>::new() },
    )
}

/// Creates a personal token for the signed-in user; shared with the API.
pub async fn create_token_op(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    name: &str,
) -> Result<(i64, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "请填写 1–60 个字的用途说明"));
    }
    let (id, token) = accounts::create_token(&state.db, staff.user.id, name).await?;
    state.audit(ctx, "token.create", &format!("token:{id}"), "success", format!("生成 API 令牌“{name}”")).await;
    Ok((id, token))
}

/// Revokes one of the user's own tokens; shared with the API.
pub async fn revoke_token_op(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<(), AppError> {
    let tk = accounts::token_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if tk.user_id != staff.user.id {
        return Err(AppError::NotFound);
    }
    accounts::revoke_token(&state.db, id).await?;
    state.audit(ctx, "token.revoke", &format!("token:{id}"), "success", format!("吊销 API 令牌“{}”", tk.name)).await;
    Ok(())
}

async fn token_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    match create_token_op(&state, &ctx, &staff, &f.name).await {
        Ok((_, token)) => {
            let tokens = accounts::tokens_of(&state.db, staff.user.id).await?;
            let html = state.render(&ctx, "admin/tokens.html", context! { tokens => tokens, form => TokenForm::default(), new_token => token, errors => BTreeMap::<String, String>::new() })?;
            // The token is on this page only once; make sure no cache keeps it.
            Ok(([(header::CACHE_CONTROL, "no-store")], html).into_response())
        }
        Err(e) => {
            let tokens = accounts::tokens_of(&state.db, staff.user.id).await?;
            Ok(form_error(
                &state,
                &ctx,
                "admin/tokens.html",
                e,
                |errors| context! { tokens => tokens, form => f, errors => errors },
            ))
        }
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    revoke_token_op(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/tokens?ok=revoked"))
}

crate::template_value!(AuditQuery, PolicyForm, SettingsForm, TokenForm);

// ---- working-day calendar ------------------------------------------------------------------------

async fn calendar_context(
    state: &AppState,
    text: &str,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
) -> Result<Value, AppError> {
    let cal = crate::calendar::load(&state.db).await?;
    let years: Vec<Value> = cal
        .known_years()
        .into_iter()
        .map(|y| {
            let days: Vec<Value> = cal
                .special_days()
                .filter(|(d, _, _)| d.year() == y)
                .map(|(d, kind, name)| {
                    context! { day => d.to_string(), name => name.to_owned(), work => kind == crate::calendar::DayKind::Workday }
                })
                .collect();
            context! { year => y, days => days }
        })
        .collect();
    Ok(context! { years => years, text => text, errors => errors, notice => notice })
}

async fn calendar_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    state.render(&ctx, "admin/calendar.html", calendar_context(&state, "", BTreeMap::new(), None).await?)
}

#[derive(Deserialize, Default)]
struct CalendarForm {
    #[serde(default)]
    lines: String,
}

/// Adds (or corrects) days of a year's holiday schedule.
async fn calendar_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<CalendarForm>,
) -> Result<Response, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let days = match crate::calendar::parse_lines(&f.lines) {
        Ok(d) => d,
        Err(m) => {
            let v = calendar_context(&state, &f.lines, BTreeMap::from([("lines".to_owned(), m)]), None).await?;
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, state.render(&ctx, "admin/calendar.html", v)?).into_response()
            );
        }
    };
    crate::calendar::save(&state.db, &days, &staff.user.username).await?;
    state
        .audit(
            &ctx,
            "calendar.update",
            "calendar",
            "success",
            format!("录入节假日安排 {} 天：{}", days.len(), f.lines.lines().take(40).collect::<Vec<_>>().join("；")),
        )
        .await;
    Ok(see_other("/admin/calendar?ok=saved"))
}

#[cfg(test)]
mod scope_tree_tests {
    use super::*;

    #[test]
    fn channels_nest_under_their_parents_per_site() {
        let r = |id, site_id, parent_id, name: &str| ChannelRow { id, site_id, parent_id, name: name.to_owned() };
        let rows = [
            r(1, 1, None, "政务公开"),
            r(2, 1, None, "互动交流"),
            r(3, 1, Some(1), "政策文件"),
            r(4, 1, Some(3), "市政府文件"),
            r(5, 2, None, "区情概况"),
            // Its parent was archived: it still shows, at the top.
            r(6, 2, Some(99), "旧栏目"),
        ];
        let tree: Vec<(i64, usize)> = channel_tree(&rows).iter().map(|n| (n.id, n.depth)).collect();
        assert_eq!(tree, [(1, 0), (3, 1), (4, 2), (2, 0), (5, 0), (6, 0)]);
    }
}
