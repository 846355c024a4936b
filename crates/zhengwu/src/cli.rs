//! What the command line asks of accounts that is more than a flag: the scope of a grant given as
//! `--scope org:CODE`, `site:CODE`, `channel:ID` or `global`.

use anyhow::{Context, bail};
use platform::roles::{Grant, Role, ScopeKind};

/// The grant `--role` and `--scope` ask for. Without a scope, the three administrators and site
/// administrators are global and every other role is scoped to the account's own unit: a handler
/// made from the command line must never see every unit's letters by accident.
pub async fn grant_for(
    db: &platform::db::Db,
    role: Role,
    scope: Option<&str>,
    org: Option<&str>,
) -> anyhow::Result<Grant> {
    use platform::accounts;
    let scope = match scope {
        Some(s) => s.to_owned(),
        None if role.is_admin_triad() || role == Role::SiteAdmin => "global".to_owned(),
        None => match org {
            Some(code) => format!("org:{code}"),
            None => bail!("角色 {} 需要授权范围：请用 --scope org:单位代码 或 site:站点代码 指定", role.code()),
        },
    };
    let (kind, target) = scope.split_once(':').unwrap_or((scope.as_str(), ""));
    let (kind, id) = match kind {
        "global" => (ScopeKind::Global, 0),
        "org" => {
            let o = accounts::org_by_code(db, target).await?.with_context(|| format!("没有代码为 {target} 的单位"))?;
            (ScopeKind::Org, o.id)
        }
        "site" => {
            let site =
                cms::store::site_by_code(db, target).await?.with_context(|| format!("没有代码为 {target} 的站点"))?;
            (ScopeKind::Site, site.id)
        }
        "channel" => (ScopeKind::Channel, target.parse().with_context(|| format!("栏目编号 {target} 不是数字"))?),
        other => bail!("未知的授权范围 {other}：可用 global、org:单位代码、site:站点代码、channel:栏目编号"),
    };
    Ok(Grant { role, scope: kind, scope_id: id })
}
