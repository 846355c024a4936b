//! Storage for the organisation tree, accounts, role grants, sessions, API tokens, sign-in failures
//! and platform settings. Rules live in `roles` and `security`; this module only reads and writes.

use serde::Serialize;

use crate::db::{Db, DbError, DbResult, now, sql};
use crate::roles::{Grant, Role, ScopeKind};
use crate::security::{SecurityPolicy, random_token, sha256_hex};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OrgUnit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub code: String,
    pub kind: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub org_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub last_login_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub scope_kind: String,
    pub scope_id: i64,
    pub granted_by: String,
    pub granted_at: i64,
}

impl GrantRow {
    pub fn grant(&self) -> Option<Grant> {
        Some(Grant {
            role: Role::parse(&self.role)?,
            scope: ScopeKind::parse(&self.scope_kind)?,
            scope_id: self.scope_id,
        })
    }
}

// ---- org units ---------------------------------------------------------------------------------

pub async fn list_orgs(db: &Db) -> DbResult<Vec<OrgUnit>> {
    db.fetch_all(sql("SELECT id, parent_id, name, code, kind, sort_order FROM org_unit ORDER BY sort_order, id")).await
}

pub async fn org_by_code(db: &Db, code: &str) -> DbResult<Option<OrgUnit>> {
    db.fetch_optional(
        sql("SELECT id, parent_id, name, code, kind, sort_order FROM org_unit WHERE code = $1").bind(code),
    )
    .await
}

pub async fn org_by_id(db: &Db, id: i64) -> DbResult<Option<OrgUnit>> {
    db.fetch_optional(sql("SELECT id, parent_id, name, code, kind, sort_order FROM org_unit WHERE id = $1").bind(id))
        .await
}

pub async fn create_org(db: &Db, parent: Option<i64>, name: &str, code: &str, kind: &str) -> DbResult<i64> {
    let sort: i64 = db.count(sql("SELECT COUNT(*) FROM org_unit")).await?;
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let r: Id = db
        .fetch_one(
            sql("INSERT INTO org_unit (parent_id, name, code, kind, sort_order, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
                .bind(parent)
                .bind(name)
                .bind(code)
                .bind(kind)
                .bind(sort)
                .bind(now()),
        )
        .await?;
    Ok(r.0)
}

pub async fn update_org(db: &Db, id: i64, parent: Option<i64>, name: &str, code: &str, kind: &str) -> DbResult<()> {
    let n = db
        .execute(
            sql("UPDATE org_unit SET parent_id = $1, name = $2, code = $3, kind = $4 WHERE id = $5")
                .bind(parent)
                .bind(name)
                .bind(code)
                .bind(kind)
                .bind(id),
        )
        .await?;
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// The org unit and all its ancestors, nearest first (for scoped permission checks).
/// The addresses of the handlers of an org unit (users with the handler role scoped to it, not
/// disabled, with an address): who is told of new assignments and instructions.
pub async fn handler_emails(ex: &mut impl crate::db::Exec, unit: i64) -> DbResult<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct E(String);
    Ok(ex
        .fetch_all::<E>(
            sql("SELECT DISTINCT u.email FROM app_user u JOIN role_grant g ON g.user_id = u.id \
                 WHERE g.role = 'handler' AND g.scope_kind = 'org' AND g.scope_id = $1 AND u.disabled = FALSE \
                 AND u.email IS NOT NULL AND u.email <> ''")
            .bind(unit),
        )
        .await?
        .into_iter()
        .map(|e| e.0)
        .collect())
}

/// An org unit's name from the list (empty for an unknown id), as pages show who owns a record.
pub fn org_name(orgs: &[OrgUnit], id: i64) -> String {
    orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default()
}

/// Where a record owned by org unit `id` sits, for permission checks: the unit and its ancestors
/// (a grant on any of them covers it).
pub fn org_scope(orgs: &[OrgUnit], id: i64) -> crate::roles::ResourceScope {
    crate::roles::ResourceScope { orgs: org_chain(orgs, id), ..crate::roles::ResourceScope::default() }
}

pub fn org_chain(orgs: &[OrgUnit], id: i64) -> Vec<i64> {
    let mut chain = Vec::new();
    let mut cur = Some(id);
    while let Some(c) = cur {
        if chain.contains(&c) {
            break; // a cycle in bad data must not hang the request
        }
        chain.push(c);
        cur = orgs.iter().find(|o| o.id == c).and_then(|o| o.parent_id);
    }
    chain
}

// ---- users ---------------------------------------------------------------------------------------

const USER_COLS: &str = "id, username, display_name, email, org_id, password_hash, must_change_password, disabled, totp_secret, totp_enabled, last_login_at, created_at";

pub async fn user_by_name(db: &Db, username: &str) -> DbResult<Option<User>> {
    db.fetch_optional(sql(format!("SELECT {USER_COLS} FROM app_user WHERE username = $1")).bind(username)).await
}

pub async fn user_by_id(db: &Db, id: i64) -> DbResult<Option<User>> {
    db.fetch_optional(sql(format!("SELECT {USER_COLS} FROM app_user WHERE id = $1")).bind(id)).await
}

pub async fn list_users(db: &Db, query: &str, limit: i64, offset: i64) -> DbResult<(Vec<User>, i64)> {
    let pattern = format!("%{}%", query.replace(['%', '_'], ""));
    let total = db
        .count(sql("SELECT COUNT(*) FROM app_user WHERE username LIKE $1 OR display_name LIKE $1").bind(&pattern))
        .await?;
    let rows = db
        .fetch_all(
            sql(format!(
                "SELECT {USER_COLS} FROM app_user WHERE username LIKE $1 OR display_name LIKE $1 ORDER BY id LIMIT $2 OFFSET $3"
            ))
            .bind(&pattern)
            .bind(limit)
            .bind(offset),
        )
        .await?;
    Ok((rows, total))
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub org_id: Option<i64>,
    pub password_hash: String,
    pub must_change_password: bool,
}

pub async fn create_user(db: &Db, u: NewUser<'_>) -> DbResult<i64> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let r: Result<Id, DbError> = db
        .fetch_one(
            sql("INSERT INTO app_user (username, display_name, email, org_id, password_hash, must_change_password, disabled, totp_enabled, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,FALSE,FALSE,$7) RETURNING id")
            .bind(u.username)
            .bind(u.display_name)
            .bind(u.email)
            .bind(u.org_id)
            .bind(u.password_hash)
            .bind(u.must_change_password)
            .bind(now()),
        )
        .await;
    match r {
        Ok(id) => Ok(id.0),
        Err(e) if e.is_unique_violation() => Err(DbError::Conflict(format!("用户名“{}”已被使用", u.username))),
        Err(e) => Err(e),
    }
}

pub async fn update_user_profile(
    db: &Db,
    id: i64,
    display_name: &str,
    email: Option<&str>,
    org_id: Option<i64>,
) -> DbResult<()> {
    db.execute(
        sql("UPDATE app_user SET display_name = $1, email = $2, org_id = $3 WHERE id = $4")
            .bind(display_name)
            .bind(email)
            .bind(org_id)
            .bind(id),
    )
    .await?;
    Ok(())
}

pub async fn set_password(db: &Db, id: i64, hash: String, must_change: bool) -> DbResult<()> {
    db.execute(
        sql(
            "UPDATE app_user SET password_hash = $1, must_change_password = $2, password_changed_at = $3 WHERE id = $4",
        )
        .bind(hash)
        .bind(must_change)
        .bind(now())
        .bind(id),
    )
    .await?;
    Ok(())
}

pub async fn set_disabled(db: &Db, id: i64, disabled: bool) -> DbResult<()> {
    db.execute(sql("UPDATE app_user SET disabled = $1 WHERE id = $2").bind(disabled).bind(id)).await?;
    if disabled {
        db.execute(sql("DELETE FROM user_session WHERE user_id = $1").bind(id)).await?;
        db.execute(
            sql("UPDATE api_token SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL").bind(now()).bind(id),
        )
        .await?;
    }
    Ok(())
}

pub async fn set_totp(db: &Db, id: i64, secret: Option<&str>, enabled: bool) -> DbResult<()> {
    db.execute(
        sql("UPDATE app_user SET totp_secret = $1, totp_enabled = $2 WHERE id = $3")
            .bind(secret)
            .bind(enabled)
            .bind(id),
    )
    .await?;
    Ok(())
}

pub async fn touch_login(db: &Db, id: i64) -> DbResult<()> {
    db.execute(sql("UPDATE app_user SET last_login_at = $1 WHERE id = $2").bind(now()).bind(id)).await?;
    Ok(())
}

// ---- grants --------------------------------------------------------------------------------------

pub async fn grants_of(db: &Db, user_id: i64) -> DbResult<Vec<GrantRow>> {
    db.fetch_all(sql("SELECT * FROM role_grant WHERE user_id = $1 ORDER BY id").bind(user_id)).await
}

pub async fn all_grants(db: &Db) -> DbResult<Vec<GrantRow>> {
    db.fetch_all(sql("SELECT * FROM role_grant ORDER BY user_id, id")).await
}

/// Adds a grant after checking it against the user's current grants.
pub async fn add_grant(db: &Db, user_id: i64, g: Grant, by: &str) -> Result<i64, GrantStoreError> {
    let existing: Vec<Grant> = grants_of(db, user_id).await?.iter().filter_map(GrantRow::grant).collect();
    crate::roles::check_grant_allowed(&existing, g)?;
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let id: Id = db
        .fetch_one(
            sql("INSERT INTO role_grant (user_id, role, scope_kind, scope_id, granted_by, granted_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
                .bind(user_id)
                .bind(g.role.code())
                .bind(g.scope.code())
                .bind(g.scope_id)
                .bind(by)
                .bind(now()),
        )
        .await?;
    Ok(id.0)
}

#[derive(Debug, thiserror::Error)]
pub enum GrantStoreError {
    #[error(transparent)]
    Rule(#[from] crate::roles::GrantError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub async fn remove_grant(db: &Db, grant_id: i64) -> DbResult<Option<GrantRow>> {
    let row: Option<GrantRow> = db.fetch_optional(sql("SELECT * FROM role_grant WHERE id = $1").bind(grant_id)).await?;
    if row.is_some() {
        db.execute(sql("DELETE FROM role_grant WHERE id = $1").bind(grant_id)).await?;
    }
    Ok(row)
}

// ---- sessions ------------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub mfa_passed: bool,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// Creates a session and returns the cookie secret (only its hash is stored).
pub async fn create_session(db: &Db, user_id: i64, ip: &str, mfa_passed: bool) -> DbResult<(String, Session)> {
    let secret = random_token(32);
    let s = Session {
        id_hash: sha256_hex(&secret),
        user_id,
        csrf_token: random_token(24),
        mfa_passed,
        ip: ip.to_owned(),
        created_at: now(),
        last_seen_at: now(),
    };
    db.execute(
        sql("INSERT INTO user_session (id_hash, user_id, csrf_token, mfa_passed, ip, created_at, last_seen_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(&s.id_hash)
            .bind(s.user_id)
            .bind(&s.csrf_token)
            .bind(s.mfa_passed)
            .bind(&s.ip)
            .bind(s.created_at)
            .bind(s.last_seen_at),
    )
    .await?;
    Ok((secret, s))
}

pub async fn session_by_secret(db: &Db, secret: &str) -> DbResult<Option<Session>> {
    db.fetch_optional(sql("SELECT * FROM user_session WHERE id_hash = $1").bind(sha256_hex(secret))).await
}

pub async fn touch_session(db: &Db, id_hash: &str) -> DbResult<()> {
    db.execute(sql("UPDATE user_session SET last_seen_at = $1 WHERE id_hash = $2").bind(now()).bind(id_hash)).await?;
    Ok(())
}

pub async fn mark_session_mfa(db: &Db, id_hash: &str) -> DbResult<()> {
    db.execute(sql("UPDATE user_session SET mfa_passed = TRUE WHERE id_hash = $1").bind(id_hash)).await?;
    Ok(())
}

pub async fn delete_session(db: &Db, id_hash: &str) -> DbResult<()> {
    db.execute(sql("DELETE FROM user_session WHERE id_hash = $1").bind(id_hash)).await?;
    Ok(())
}

/// Ends other sessions of a user (after a password change).
pub async fn delete_other_sessions(db: &Db, user_id: i64, keep: &str) -> DbResult<()> {
    db.execute(sql("DELETE FROM user_session WHERE user_id = $1 AND id_hash <> $2").bind(user_id).bind(keep)).await?;
    Ok(())
}

pub async fn sweep_sessions(db: &Db, idle_seconds: i64) -> DbResult<u64> {
    db.execute(sql("DELETE FROM user_session WHERE last_seen_at < $1").bind(now() - idle_seconds)).await
}

// ---- sign-in failures ----------------------------------------------------------------------------

pub async fn record_failure(db: &Db, key: &str) -> DbResult<()> {
    db.execute(sql("INSERT INTO login_failure (key, at) VALUES ($1, $2)").bind(key).bind(now())).await?;
    Ok(())
}

pub async fn recent_failures(db: &Db, key: &str, window_seconds: i64) -> DbResult<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct At(i64);
    let rows: Vec<At> = db
        .fetch_all(
            sql("SELECT at FROM login_failure WHERE key = $1 AND at > $2 ORDER BY at")
                .bind(key)
                .bind(now() - window_seconds),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn clear_failures(db: &Db, key: &str) -> DbResult<()> {
    db.execute(sql("DELETE FROM login_failure WHERE key = $1").bind(key)).await?;
    Ok(())
}

// ---- API tokens ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Creates a token and returns (id, the token in clear — shown once).
pub async fn create_token(db: &Db, user_id: i64, name: &str) -> DbResult<(i64, String)> {
    let token = format!("zw_{}", random_token(30));
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    let id: Id = db
        .fetch_one(
            sql("INSERT INTO api_token (user_id, name, token_hash, prefix, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
                .bind(user_id)
                .bind(name)
                .bind(sha256_hex(&token))
                .bind(token.chars().take(8).collect::<String>())
                .bind(now()),
        )
        .await?;
    Ok((id.0, token))
}

pub async fn token_user(db: &Db, token: &str) -> DbResult<Option<(ApiToken, User)>> {
    let t: Option<ApiToken> = db
        .fetch_optional(
            sql("SELECT * FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL").bind(sha256_hex(token)),
        )
        .await?;
    let Some(t) = t else { return Ok(None) };
    let Some(u) = user_by_id(db, t.user_id).await? else {
        return Ok(None);
    };
    // Writing on every call would turn reads into writes; once a minute is enough for "last used".
    if t.last_used_at.is_none_or(|at| now() - at > 60) {
        db.execute(sql("UPDATE api_token SET last_used_at = $1 WHERE id = $2").bind(now()).bind(t.id)).await?;
    }
    Ok(Some((t, u)))
}

pub async fn tokens_of(db: &Db, user_id: i64) -> DbResult<Vec<ApiToken>> {
    db.fetch_all(sql("SELECT * FROM api_token WHERE user_id = $1 ORDER BY id DESC").bind(user_id)).await
}

pub async fn token_by_id(db: &Db, id: i64) -> DbResult<Option<ApiToken>> {
    db.fetch_optional(sql("SELECT * FROM api_token WHERE id = $1").bind(id)).await
}

pub async fn revoke_token(db: &Db, id: i64) -> DbResult<()> {
    db.execute(sql("UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(now()).bind(id))
        .await?;
    Ok(())
}

// ---- settings --------------------------------------------------------------------------------------

pub async fn get_setting(db: &Db, key: &str) -> DbResult<Option<String>> {
    #[derive(sqlx::FromRow)]
    struct V(String);
    Ok(db.fetch_optional::<V>(sql("SELECT value FROM setting WHERE key = $1").bind(key)).await?.map(|v| v.0))
}

pub async fn put_setting(db: &Db, key: &str, value: &str, by: &str) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO setting (key, value, updated_at, updated_by) VALUES ($1,$2,$3,$4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(key)
        .bind(value)
        .bind(now())
        .bind(by),
    )
    .await?;
    Ok(())
}

pub async fn load_policy(db: &Db) -> DbResult<SecurityPolicy> {
    Ok(get_setting(db, "security_policy").await?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
}

pub async fn save_policy(db: &Db, p: &SecurityPolicy, by: &str) -> DbResult<()> {
    put_setting(db, "security_policy", &serde_json::to_string(p).unwrap_or_default(), by).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, parent: Option<i64>) -> OrgUnit {
        OrgUnit { id, parent_id: parent, name: String::new(), code: id.to_string(), kind: String::new(), sort_order: 0 }
    }

    #[test]
    fn org_chain_walks_to_root_and_survives_cycles() {
        let orgs = vec![org(1, None), org(2, Some(1)), org(3, Some(2))];
        assert_eq!(org_chain(&orgs, 3), vec![3, 2, 1]);
        let cyclic = vec![org(1, Some(2)), org(2, Some(1))];
        assert_eq!(org_chain(&cyclic, 1), vec![1, 2]);
    }
}

crate::template_value!(User, OrgUnit, GrantRow, ApiToken);
