//! Platform operations shared by the back-office pages and the JSON API: each checks the caller's
//! permission on the server, validates input into field errors, writes, and records the audit entry.
//! Pages and API handlers are thin adapters around these.

use serde::Deserialize;

use super::{AppError, AppState, Auth, Ctx, FieldError};
use crate::accounts::{self, NewUser, User};
use crate::roles::{Grant, Perm, ResourceScope, Role, ScopeKind};
use crate::security::{self, SecurityPolicy};

const USERNAME_MAX: usize = 32;

fn check_username(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("请填写用户名".into());
    }
    if name.chars().count() > USERNAME_MAX {
        return Some(format!("用户名不能超过 {USERNAME_MAX} 个字符"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
        return Some("用户名只能包含英文字母、数字、下划线、点和短横线".into());
    }
    None
}

fn check_email(email: &str) -> Option<String> {
    (!crate::codes::valid_email(email)).then(|| "电子邮箱格式不正确".to_owned())
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["username", "display_name", "password"]))]
pub struct UserInput {
    /// 用户名：英文字母、数字、下划线、点和短横线
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{1,32}$"))]
    pub username: String,
    /// 姓名
    #[serde(default)]
    #[schemars(length(min = 1, max = 50), regex(pattern = r"\S"))]
    pub display_name: String,
    /// 电子邮箱（可空）
    #[serde(default)]
    #[schemars(regex(pattern = r"^$|^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"))]
    pub email: String,
    /// Org unit code (统一社会信用代码/组织机构代码); empty for none.
    #[serde(default)]
    pub org_code: String,
    /// Initial password; the user must change it at first sign-in (checked against the security
    /// policy's length and character classes).
    #[serde(default)]
    #[schemars(length(min = 8, max = 128))]
    pub password: String,
}

async fn resolve_org(state: &AppState, code: &str, errs: &mut Vec<FieldError>) -> Option<i64> {
    let code = code.trim();
    if code.is_empty() {
        return None;
    }
    match accounts::org_by_code(&state.db, code).await {
        Ok(Some(o)) => Some(o.id),
        _ => {
            errs.push(FieldError::new("org_code", format!("找不到代码为“{code}”的单位")));
            None
        }
    }
}

pub async fn create_user(state: &AppState, ctx: &Ctx, actor: &Auth, input: &UserInput) -> Result<User, AppError> {
    actor.require(Perm::UserManage, &ResourceScope::platform())?;
    let username = input.username.trim();
    let mut errs = Vec::new();
    if let Some(m) = check_username(username) {
        errs.push(FieldError::new("username", m));
    }
    let display = input.display_name.trim();
    if display.is_empty() {
        errs.push(FieldError::new("display_name", "请填写姓名"));
    } else if display.chars().count() > 50 {
        errs.push(FieldError::new("display_name", "姓名不能超过 50 个字符"));
    }
    let email = input.email.trim();
    if !email.is_empty()
        && let Some(m) = check_email(email)
    {
        errs.push(FieldError::new("email", m));
    }
    let org = resolve_org(state, &input.org_code, &mut errs).await;
    let policy = state.policy().await;
    if let Err(m) = security::check_password(&policy, username, &input.password) {
        errs.push(FieldError::new("password", m));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let hash = hash_blocking(input.password.clone()).await?;
    let id = match accounts::create_user(
        &state.db,
        NewUser {
            username,
            display_name: display,
            email: (!email.is_empty()).then_some(email),
            org_id: org,
            password_hash: hash,
            must_change_password: true,
        },
    )
    .await
    {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::invalid("username", format!("用户名“{username}”已被使用")));
        }
        Err(e) => return Err(e.into()),
    };
    state
        .audit(
            ctx,
            "user.create",
            &format!("user:{username}"),
            "success",
            format!("创建账号 {username}（{display}），首次登录须修改密码"),
        )
        .await;
    accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["display_name"]))]
pub struct ProfileInput {
    /// 姓名
    #[serde(default)]
    #[schemars(length(min = 1, max = 50), regex(pattern = r"\S"))]
    pub display_name: String,
    /// 电子邮箱（可空）
    #[serde(default)]
    #[schemars(regex(pattern = r"^$|^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"))]
    pub email: String,
    /// 所属单位代码（可空）
    #[serde(default)]
    pub org_code: String,
}

pub async fn update_user(
    state: &AppState,
    ctx: &Ctx,
    actor: &Auth,
    id: i64,
    input: &ProfileInput,
) -> Result<User, AppError> {
    actor.require(Perm::UserManage, &ResourceScope::platform())?;
    let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut errs = Vec::new();
    let display = input.display_name.trim();
    if display.is_empty() {
        errs.push(FieldError::new("display_name", "请填写姓名"));
    }
    let email = input.email.trim();
    if !email.is_empty()
        && let Some(m) = check_email(email)
    {
        errs.push(FieldError::new("email", m));
    }
    let org = resolve_org(state, &input.org_code, &mut errs).await;
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    accounts::update_user_profile(&state.db, id, display, (!email.is_empty()).then_some(email), org).await?;
    state
        .audit(
            ctx,
            "user.update",
            &format!("user:{}", user.username),
            "success",
            format!(
                "姓名 {} → {display}；邮箱 {} → {email}",
                user.display_name,
                user.email.clone().unwrap_or_default()
            ),
        )
        .await;
    accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)
}

pub async fn reset_password(
    state: &AppState,
    ctx: &Ctx,
    actor: &Auth,
    id: i64,
    new_password: &str,
) -> Result<(), AppError> {
    actor.require(Perm::UserManage, &ResourceScope::platform())?;
    let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let policy = state.policy().await;
    security::check_password(&policy, &user.username, new_password).map_err(|m| AppError::invalid("password", m))?;
    let hash = hash_blocking(new_password.to_owned()).await?;
    accounts::set_password(&state.db, id, hash, true).await?;
    state
        .audit(ctx, "user.reset_password", &format!("user:{}", user.username), "success", "重置密码，下次登录须修改")
        .await;
    Ok(())
}

pub async fn set_disabled(state: &AppState, ctx: &Ctx, actor: &Auth, id: i64, disabled: bool) -> Result<(), AppError> {
    actor.require(Perm::UserManage, &ResourceScope::platform())?;
    let user = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if user.id == actor.user.id && disabled {
        return Err(AppError::Conflict("不能停用自己的账号".into()));
    }
    accounts::set_disabled(&state.db, id, disabled).await?;
    let (action, what) = if disabled {
        ("user.disable", "停用账号，已结束其会话并吊销令牌")
    } else {
        ("user.enable", "启用账号")
    };
    state.audit(ctx, action, &format!("user:{}", user.username), "success", what).await;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name", "code", "kind"]))]
pub struct OrgInput {
    /// 单位名称
    #[serde(default)]
    #[schemars(regex(pattern = r"\S"))]
    pub name: String,
    /// 统一社会信用代码（18 位，含校验位）或组织机构代码
    #[serde(default)]
    pub code: String,
    /// 单位类型：government 人民政府、bureau 委办局、division 处室/科室、other 其他单位
    #[serde(default)]
    #[schemars(extend("enum" = ["government", "bureau", "division", "other"]))]
    pub kind: String,
    /// Parent org unit code; empty for a top-level unit.
    #[serde(default)]
    pub parent_code: String,
}

pub use crate::codes::check_org_code;

pub const ORG_KINDS: [(&str, &str); 4] =
    [("government", "人民政府"), ("bureau", "委办局"), ("division", "处室/科室"), ("other", "其他单位")];

async fn validate_org(state: &AppState, input: &OrgInput, own_id: Option<i64>) -> Result<Option<i64>, AppError> {
    let mut errs = Vec::new();
    if input.name.trim().is_empty() {
        errs.push(FieldError::new("name", "请填写单位名称"));
    }
    let code = input.code.trim();
    if let Some(m) = check_org_code(code) {
        errs.push(FieldError::new("code", m));
    } else if let Ok(Some(o)) = accounts::org_by_code(&state.db, code).await
        && Some(o.id) != own_id
    {
        errs.push(FieldError::new("code", format!("代码“{code}”已被“{}”使用", o.name)));
    }
    if !ORG_KINDS.iter().any(|(k, _)| *k == input.kind) {
        errs.push(FieldError::new("kind", "请选择单位类型"));
    }
    let parent = resolve_org(state, &input.parent_code, &mut errs).await;
    if let (Some(own), Some(p)) = (own_id, parent) {
        let orgs = accounts::list_orgs(&state.db).await?;
        if accounts::org_chain(&orgs, p).contains(&own) {
            errs.push(FieldError::new("parent_code", "上级单位不能是本单位或其下级单位"));
        }
    }
    if errs.is_empty() { Ok(parent) } else { Err(AppError::Invalid(errs)) }
}

pub async fn create_org(state: &AppState, ctx: &Ctx, actor: &Auth, input: &OrgInput) -> Result<i64, AppError> {
    actor.require(Perm::OrgManage, &ResourceScope::platform())?;
    let parent = validate_org(state, input, None).await?;
    let id = accounts::create_org(&state.db, parent, input.name.trim(), input.code.trim(), &input.kind).await?;
    state
        .audit(
            ctx,
            "org.create",
            &format!("org:{}", input.code.trim()),
            "success",
            format!("新建单位 {}", input.name.trim()),
        )
        .await;
    Ok(id)
}

pub async fn update_org(state: &AppState, ctx: &Ctx, actor: &Auth, id: i64, input: &OrgInput) -> Result<(), AppError> {
    actor.require(Perm::OrgManage, &ResourceScope::platform())?;
    let old = accounts::org_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let parent = validate_org(state, input, Some(id)).await?;
    accounts::update_org(&state.db, id, parent, input.name.trim(), input.code.trim(), &input.kind).await?;
    state
        .audit(
            ctx,
            "org.update",
            &format!("org:{}", old.code),
            "success",
            format!("名称 {} → {}；代码 {} → {}", old.name, input.name.trim(), old.code, input.code.trim()),
        )
        .await;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["role"]))]
pub struct GrantInput {
    /// 角色代码（见 GET /api/v1/me 的 grants）
    #[serde(default)]
    pub role: String,
    /// 授权范围：global 全局、org 单位、site 站点（空为全局）
    #[serde(default)]
    #[schemars(extend("enum" = ["", "global", "org", "site"]))]
    pub scope_kind: String,
    /// 单位或站点的编号
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub scope_id: Option<i64>,
}

pub async fn grant_role(
    state: &AppState,
    ctx: &Ctx,
    actor: &Auth,
    user_id: i64,
    input: &GrantInput,
) -> Result<i64, AppError> {
    actor.require(Perm::RoleGrant, &ResourceScope::platform())?;
    let user = accounts::user_by_id(&state.db, user_id).await?.ok_or(AppError::NotFound)?;
    let role = Role::parse(&input.role).ok_or_else(|| AppError::invalid("role", "请选择角色"))?;
    let scope = ScopeKind::parse(if input.scope_kind.is_empty() { "global" } else { &input.scope_kind })
        .ok_or_else(|| AppError::invalid("scope_kind", "请选择授权范围"))?;
    let g = Grant { role, scope, scope_id: if scope == ScopeKind::Global { 0 } else { input.scope_id.unwrap_or(0) } };
    if scope == ScopeKind::Org && g.scope_id > 0 && accounts::org_by_id(&state.db, g.scope_id).await?.is_none() {
        return Err(AppError::invalid("scope_id", "找不到该单位"));
    }
    match accounts::add_grant(&state.db, user_id, g, &actor.user.username).await {
        Ok(id) => {
            state
                .audit(
                    ctx,
                    "grant.add",
                    &format!("user:{}", user.username),
                    "success",
                    format!("授予 {}（{} {}）", role.label(), scope.label(), g.scope_id),
                )
                .await;
            Ok(id)
        }
        Err(accounts::GrantStoreError::Rule(r)) => {
            state
                .audit(
                    ctx,
                    "grant.add",
                    &format!("user:{}", user.username),
                    "failure",
                    format!("拒绝授予 {}：{r}", role.label()),
                )
                .await;
            Err(AppError::invalid("role", r.to_string()))
        }
        Err(accounts::GrantStoreError::Db(e)) => Err(e.into()),
    }
}

pub async fn revoke_grant(state: &AppState, ctx: &Ctx, actor: &Auth, grant_id: i64) -> Result<(), AppError> {
    actor.require(Perm::RoleGrant, &ResourceScope::platform())?;
    let row = accounts::remove_grant(&state.db, grant_id).await?.ok_or(AppError::NotFound)?;
    let who = accounts::user_by_id(&state.db, row.user_id).await?.map(|u| u.username).unwrap_or_default();
    state
        .audit(
            ctx,
            "grant.remove",
            &format!("user:{who}"),
            "success",
            format!("收回 {}（{} {}）", row.role, row.scope_kind, row.scope_id),
        )
        .await;
    Ok(())
}

pub async fn set_policy(state: &AppState, ctx: &Ctx, actor: &Auth, p: &SecurityPolicy) -> Result<(), AppError> {
    actor.require(Perm::SecurityPolicy, &ResourceScope::platform())?;
    let errs: Vec<FieldError> = p.validate().into_iter().map(|(f, m)| FieldError::new(f, m)).collect();
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let old = state.policy().await;
    accounts::save_policy(&state.db, p, &actor.user.username).await?;
    state.forget_policy();
    state
        .audit(
            ctx,
            "policy.update",
            "security_policy",
            "success",
            format!(
                "{} → {}",
                serde_json::to_string(&old).unwrap_or_default(),
                serde_json::to_string(p).unwrap_or_default()
            ),
        )
        .await;
    Ok(())
}

/// The settings a `sysadmin` manages (not security policy, which is the `secadmin`'s).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(default)]
pub struct SystemSettings {
    /// 平台名称
    #[schemars(length(min = 1, max = 60), regex(pattern = r"\S"))]
    pub platform_name: String,
    /// 系统管理员联系方式
    pub admin_contact: String,
    /// 上传大小上限（MB）
    #[schemars(range(min = 1, max = 1024))]
    pub upload_max_mb: u32,
}

impl Default for SystemSettings {
    fn default() -> Self {
        SystemSettings { platform_name: "政务门户平台".into(), admin_contact: String::new(), upload_max_mb: 50 }
    }
}

/// Puts a failed message (mail or SMS) back in the outbox for another round of attempts.
pub async fn retry_message(state: &AppState, ctx: &Ctx, actor: &Auth, id: i64) -> Result<(), AppError> {
    actor.require(Perm::SystemSettings, &ResourceScope::platform())?;
    if !crate::outbox::retry(&state.db, id).await? {
        return Err(AppError::Conflict("这封邮件不在发送失败状态，无需重新发送".into()));
    }
    state.audit(ctx, "outbox.retry", &format!("outbox:{id}"), "success", "重新发送失败的邮件").await;
    state.outbox_wake.notify_one();
    Ok(())
}

pub async fn load_settings(state: &AppState) -> SystemSettings {
    accounts::get_setting(&state.db, "system")
        .await
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, actor: &Auth, s: &SystemSettings) -> Result<(), AppError> {
    actor.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let mut errs = Vec::new();
    if s.platform_name.trim().is_empty() || s.platform_name.chars().count() > 60 {
        errs.push(FieldError::new("platform_name", "平台名称应为 1–60 个字符"));
    }
    if !(1..=1024).contains(&s.upload_max_mb) {
        errs.push(FieldError::new("upload_max_mb", "上传大小上限应在 1 到 1024 MB 之间"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    accounts::put_setting(&state.db, "system", &serde_json::to_string(s).unwrap_or_default(), &actor.user.username)
        .await?;
    state.audit(ctx, "settings.update", "system", "success", serde_json::to_string(s).unwrap_or_default()).await;
    Ok(())
}

/// Changes the signed-in user's own password (also the forced change at first sign-in).
pub async fn change_own_password(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let mut errs = Vec::new();
    if !verify_blocking(current.to_owned(), auth.user.password_hash.clone()).await {
        errs.push(FieldError::new("current", "当前密码不正确"));
    }
    let policy = state.policy().await;
    if let Err(m) = security::check_password(&policy, &auth.user.username, new) {
        errs.push(FieldError::new("new_password", m));
    } else if new == current {
        errs.push(FieldError::new("new_password", "新密码不能与当前密码相同"));
    }
    if new != confirm {
        errs.push(FieldError::new("confirm", "两次输入的新密码不一致"));
    }
    if !errs.is_empty() {
        state
            .audit(
                ctx,
                "user.change_password",
                &format!("user:{}", auth.user.username),
                "failure",
                "修改密码未通过校验",
            )
            .await;
        return Err(AppError::Invalid(errs));
    }
    let hash = hash_blocking(new.to_owned()).await?;
    accounts::set_password(&state.db, auth.user.id, hash, false).await?;
    if let Some(s) = &auth.session {
        accounts::delete_other_sessions(&state.db, auth.user.id, &s.id_hash).await?;
    }
    state
        .audit(
            ctx,
            "user.change_password",
            &format!("user:{}", auth.user.username),
            "success",
            "本人修改密码，其他会话已结束",
        )
        .await;
    Ok(())
}

pub async fn hash_blocking(pw: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || security::hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn verify_blocking(pw: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || security::verify_password(&pw, &hash)).await.unwrap_or(false)
}

/// Result of a sign-in attempt that passed the password step.
pub struct SignedIn {
    pub cookie_secret: String,
    pub needs_mfa: bool,
    pub must_change_password: bool,
}

/// Verifies a username and password with lockout per account and per address. The message for a
/// wrong username and a wrong password is the same, so accounts cannot be enumerated.
pub async fn sign_in(state: &AppState, ctx: &Ctx, username: &str, password: &str) -> Result<SignedIn, AppError> {
    let policy = state.policy().await;
    let window = i64::from(policy.lockout_minutes) * 60;
    let user_key = format!("user:{}", username.trim().to_lowercase());
    let ip_key = format!("ip:{}", ctx.ip);
    let now = crate::db::now();
    for key in [&user_key, &ip_key] {
        let fails = accounts::recent_failures(&state.db, key, window).await?;
        if let Some(until) = security::locked_until(&policy, &fails, now) {
            let minutes = ((until - now) + 59) / 60;
            state.audit_as(ctx, None, username, "auth.login", key, "denied", "已锁定期间的登录尝试".into()).await;
            return Err(AppError::TooManyRequests(format!("登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试")));
        }
    }
    let user = accounts::user_by_name(&state.db, username.trim()).await?;
    // Verify against a fixed hash when the user is unknown so timing does not reveal which it was.
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| security::hash_password("zhengwu-dummy-password"));
    let hash = user.as_ref().map_or_else(|| DUMMY.clone(), |u| u.password_hash.clone());
    let ok = verify_blocking(password.to_owned(), hash).await && user.as_ref().is_some_and(|u| !u.disabled);
    let Some(user) = user.filter(|_| ok) else {
        accounts::record_failure(&state.db, &user_key).await?;
        accounts::record_failure(&state.db, &ip_key).await?;
        state
            .audit_as(ctx, None, username, "auth.login", "session", "failure", "用户名或密码错误，或账号已停用".into())
            .await;
        for key in [&user_key, &ip_key] {
            let fails = accounts::recent_failures(&state.db, key, window).await?;
            if fails.len() == policy.lockout_threshold as usize {
                state
                    .audit_as(
                        ctx,
                        None,
                        username,
                        "auth.lockout",
                        key,
                        "success",
                        format!("连续失败 {} 次，锁定 {} 分钟", fails.len(), policy.lockout_minutes),
                    )
                    .await;
            }
        }
        return Err(AppError::Unauthorized);
    };
    accounts::clear_failures(&state.db, &user_key).await?;
    let grants: Vec<Grant> = accounts::grants_of(&state.db, user.id).await?.iter().filter_map(|g| g.grant()).collect();
    let is_triad = grants.iter().any(|g| g.role.is_admin_triad());
    let needs_mfa = user.totp_enabled || (policy.mfa_required_for_admins && is_triad);
    let (secret, _) = accounts::create_session(&state.db, user.id, &ctx.ip, !needs_mfa).await?;
    accounts::touch_login(&state.db, user.id).await?;
    state
        .audit_as(
            ctx,
            Some(user.id),
            &user.username,
            "auth.login",
            "session",
            "success",
            if needs_mfa { "密码验证通过，待双因素认证".into() } else { "登录成功".into() },
        )
        .await;
    Ok(SignedIn { cookie_secret: secret, needs_mfa, must_change_password: user.must_change_password })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_codes_are_checked_by_their_national_check_characters() {
        assert_eq!(check_org_code("91110000600037341L"), None);
        assert_eq!(check_org_code("12100000400009880K"), None);
        assert!(check_org_code("91110000600037341M").unwrap_or_default().contains("校验位"));
        assert!(check_org_code("9111000060003734IL").unwrap_or_default().contains("第 17 位"));
        // 组织机构代码 of 国务院办公厅 as used in its 索引号 prefix.
        assert_eq!(check_org_code("000014349"), None);
        assert!(check_org_code("000014348").is_some());
        assert_eq!(check_org_code("KJJ-BGS"), None);
        assert!(check_org_code("科技局").is_some());
    }

    #[test]
    fn usernames_and_emails() {
        assert!(check_username("").is_some());
        assert!(check_username("张三").is_some());
        assert_eq!(check_username("zhang.san-01"), None);
        assert_eq!(check_email("a@b.cn"), None);
        assert!(check_email("a@b").is_some());
    }
}

crate::template_value!(UserInput, ProfileInput, OrgInput, GrantInput, SystemSettings);
