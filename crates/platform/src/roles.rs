//! Roles, permissions and scoped grants — pure logic, no I/O.
//!
//! Three-administrator separation (等保 三员分立): `sysadmin` manages accounts, org units and system
//! settings; `secadmin` grants roles and sets security policy; `auditor` only reads and exports the
//! audit log. Their permission sets are disjoint and no account may hold two of them
//! ([`check_grant_allowed`]). Business roles are granted with a scope: the whole platform, one site,
//! a channel subtree or an org-unit subtree; [`allows`] decides a permission against a resource's
//! [`ResourceScope`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Sysadmin,
    Secadmin,
    Auditor,
    SiteAdmin,
    Editor,
    Reviewer,
    Handler,
    Leader,
    /// 政府办公厅（室）督查和信息: registers and 交办 the deputies' suggestions and members'
    /// proposals, 督办, publishes replies; adopts the units' 信息报送 items and edits the bulletins;
    /// keeps the duty roster and log.
    OfficeStaff,
    /// 人大代表 / 政协委员: sees and rates only their own suggestions and proposals.
    Deputy,
    /// 人口信息查询员: queries the population database (masked) and its statistics, stating a
    /// purpose each time.
    PopulationClerk,
    /// 人口信息核查员: as the clerk, may see the fields granted to this role in full (each unmasking
    /// audited) and decides the conflicts between departments' values.
    PopulationOfficer,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Sysadmin,
        Role::Secadmin,
        Role::Auditor,
        Role::SiteAdmin,
        Role::Editor,
        Role::Reviewer,
        Role::Handler,
        Role::Leader,
        Role::OfficeStaff,
        Role::Deputy,
        Role::PopulationClerk,
        Role::PopulationOfficer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Sysadmin => "sysadmin",
            Role::Secadmin => "secadmin",
            Role::Auditor => "auditor",
            Role::SiteAdmin => "site_admin",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Handler => "handler",
            Role::Leader => "leader",
            Role::OfficeStaff => "office_staff",
            Role::Deputy => "deputy",
            Role::PopulationClerk => "population_clerk",
            Role::PopulationOfficer => "population_officer",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Chinese name shown in the back office.
    pub fn label(self) -> &'static str {
        match self {
            Role::Sysadmin => "系统管理员",
            Role::Secadmin => "安全管理员",
            Role::Auditor => "审计管理员",
            Role::SiteAdmin => "站点管理员",
            Role::Editor => "信息员（编辑）",
            Role::Reviewer => "审核员",
            Role::Handler => "承办人",
            Role::Leader => "领导",
            Role::OfficeStaff => "办公厅（室）督查信息",
            Role::Deputy => "人大代表 / 政协委员",
            Role::PopulationClerk => "人口信息查询员",
            Role::PopulationOfficer => "人口信息核查员",
        }
    }

    /// One of the three separated administrators.
    pub fn is_admin_triad(self) -> bool {
        matches!(self, Role::Sysadmin | Role::Secadmin | Role::Auditor)
    }

    /// The three administrators act platform-wide; every other role may be scoped.
    pub fn allowed_scopes(self) -> &'static [ScopeKind] {
        // A deputy's reach is their own items, decided per item; the office's is the whole session.
        if self.is_admin_triad()
            || matches!(self, Role::Deputy | Role::OfficeStaff | Role::PopulationClerk | Role::PopulationOfficer)
        {
            &[ScopeKind::Global]
        } else {
            &[ScopeKind::Global, ScopeKind::Site, ScopeKind::Channel, ScopeKind::Org]
        }
    }

    pub fn permissions(self) -> &'static [Perm] {
        use Perm::*;
        match self {
            Role::Sysadmin => &[UserManage, OrgManage, SystemSettings],
            Role::Secadmin => &[RoleGrant, SecurityPolicy],
            Role::Auditor => &[AuditRead],
            Role::SiteAdmin => &[
                SiteManage,
                ChannelManage,
                TemplateManage,
                ArticleEdit,
                ArticleReview,
                ArticlePublish,
                ContentStats,
                MailboxManage,
                ServiceManage,
                DisclosureManage,
                ParticipationEdit,
                ParticipationReview,
                DataManage,
                Supervise,
                ListingModerate,
            ],
            Role::Editor => &[ArticleEdit, ParticipationEdit, DataManage, ListingModerate],
            Role::Reviewer => &[ArticleReview, ArticlePublish, ParticipationReview],
            Role::Handler => &[LetterHandle, ApplicationHandle, DisclosureHandle, OfficeExchange],
            Role::Leader => &[LeaderInstruct, ContentStats, OfficeSignOff, Supervise],
            Role::OfficeStaff => &[ProposalManage, InfoAdopt, DutyManage],
            Role::Deputy => &[ProposalRate],
            Role::PopulationClerk => &[PopulationQuery],
            Role::PopulationOfficer => &[PopulationQuery, PopulationResolve],
        }
    }
}

/// What a route asks for. Every back-office and API route names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perm {
    UserManage,
    OrgManage,
    SystemSettings,
    RoleGrant,
    SecurityPolicy,
    AuditRead,
    SiteManage,
    ChannelManage,
    TemplateManage,
    ArticleEdit,
    ArticleReview,
    ArticlePublish,
    ContentStats,
    MailboxManage,
    ServiceManage,
    LetterHandle,
    ApplicationHandle,
    LeaderInstruct,
    /// 依申请公开: handle requests of one's units.
    DisclosureHandle,
    /// 政府信息公开: guides and annual reports of one's units.
    DisclosureManage,
    /// 公众参与: write consultations, surveys and interviews of one's units, moderate what the
    /// public sends, answer and report adoption.
    ParticipationEdit,
    /// 公众参与: review a consultation before it opens.
    ParticipationReview,
    /// 协同办公: draft and send documents for one's units, sign for and return what they receive.
    OfficeExchange,
    /// 协同办公: 签发 — a unit leader's release of an outgoing document.
    OfficeSignOff,
    /// 建议提案: register a session's items, 交办, 督办, publish replies, statistics (global).
    ProposalManage,
    /// 建议提案: a deputy or member reads and rates the replies to their own items.
    ProposalRate,
    /// 信息报送: adopt or decline the units' items, edit and issue the bulletins, set the scoring
    /// rules and quotas (global).
    InfoAdopt,
    /// 政务值班: the roster, the duty log and emergency events (global).
    DutyManage,
    /// 信息资源共享: import sources and runs, and the open datasets of one's units.
    DataManage,
    /// 监督考核: the compliance monitor of one's sites (the whole group and the 错敏词 dictionary
    /// with a global grant).
    Supervise,
    /// 供求信息: moderate the portal's listings, set the boards' rules, read their statistics
    /// (held on the portal site).
    ListingModerate,
    /// 人口资源库: masked queries and suppressed statistics, each with a stated purpose (global).
    PopulationQuery,
    /// 人口资源库: decide the conflicts between departments' values (global).
    PopulationResolve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Global,
    Site,
    Channel,
    Org,
}

impl ScopeKind {
    pub fn code(self) -> &'static str {
        match self {
            ScopeKind::Global => "global",
            ScopeKind::Site => "site",
            ScopeKind::Channel => "channel",
            ScopeKind::Org => "org",
        }
    }
    pub fn parse(s: &str) -> Option<ScopeKind> {
        [ScopeKind::Global, ScopeKind::Site, ScopeKind::Channel, ScopeKind::Org].into_iter().find(|k| k.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ScopeKind::Global => "全平台",
            ScopeKind::Site => "站点",
            ScopeKind::Channel => "栏目及下级",
            ScopeKind::Org => "单位及下级",
        }
    }
}

/// One role held by a user, with where it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: ScopeKind,
    /// Site, channel or org-unit id; 0 for global.
    pub scope_id: i64,
}

/// Where a resource lives, as far as permission checks care. Channel and org chains list the
/// resource's own node and all its ancestors, so a grant on an ancestor covers the subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceScope {
    pub site: Option<i64>,
    pub channels: Vec<i64>,
    pub orgs: Vec<i64>,
}

impl ResourceScope {
    /// A platform-level resource (users, settings, audit log): only global grants reach it.
    pub fn platform() -> Self {
        Self::default()
    }
    pub fn site(site: i64) -> Self {
        Self { site: Some(site), ..Self::default() }
    }
}

/// Pure decision: does any grant give `perm` on a resource at `scope`?
pub fn allows(grants: &[Grant], perm: Perm, scope: &ResourceScope) -> bool {
    grants.iter().any(|g| {
        g.role.permissions().contains(&perm)
            && match g.scope {
                ScopeKind::Global => true,
                ScopeKind::Site => scope.site == Some(g.scope_id),
                ScopeKind::Channel => scope.channels.contains(&g.scope_id),
                ScopeKind::Org => scope.orgs.contains(&g.scope_id),
            }
    })
}

/// True when the user holds `perm` anywhere (used to show a menu entry or a queue across scopes).
pub fn holds_anywhere(grants: &[Grant], perm: Perm) -> bool {
    grants.iter().any(|g| g.role.permissions().contains(&perm))
}

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("账号已持有{held}角色，三员（系统、安全、审计管理员）不得由同一账号兼任")]
    TriadConflict { held: &'static str },
    #[error("{role}只能在全平台范围授予")]
    ScopeNotAllowed { role: &'static str },
    #[error("该授权已存在")]
    Duplicate,
    #[error("授权范围必须指定具体的站点、栏目或单位")]
    MissingScopeTarget,
}

/// Checks a new grant against what the user already holds.
pub fn check_grant_allowed(existing: &[Grant], new: Grant) -> Result<(), GrantError> {
    if !new.role.allowed_scopes().contains(&new.scope) {
        return Err(GrantError::ScopeNotAllowed { role: new.role.label() });
    }
    if new.scope != ScopeKind::Global && new.scope_id <= 0 {
        return Err(GrantError::MissingScopeTarget);
    }
    if existing.contains(&new) {
        return Err(GrantError::Duplicate);
    }
    if new.role.is_admin_triad()
        && let Some(other) = existing.iter().find(|g| g.role.is_admin_triad() && g.role != new.role)
    {
        return Err(GrantError::TriadConflict { held: other.role.label() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(role: Role, scope: ScopeKind, id: i64) -> Grant {
        Grant { role, scope, scope_id: id }
    }

    #[test]
    fn triad_permission_sets_are_disjoint() {
        let triad = [Role::Sysadmin, Role::Secadmin, Role::Auditor];
        for a in triad {
            for b in triad {
                if a != b {
                    assert!(a.permissions().iter().all(|p| !b.permissions().contains(p)), "{a:?} {b:?}");
                }
            }
        }
        // The separation is the point: none of the three can do another's core work.
        let sys = [g(Role::Sysadmin, ScopeKind::Global, 0)];
        assert!(!allows(&sys, Perm::RoleGrant, &ResourceScope::platform()));
        assert!(!allows(&sys, Perm::AuditRead, &ResourceScope::platform()));
        let sec = [g(Role::Secadmin, ScopeKind::Global, 0)];
        assert!(!allows(&sec, Perm::UserManage, &ResourceScope::platform()));
        assert!(!allows(&sec, Perm::AuditRead, &ResourceScope::platform()));
        let aud = [g(Role::Auditor, ScopeKind::Global, 0)];
        assert!(!allows(&aud, Perm::UserManage, &ResourceScope::platform()));
        assert!(!allows(&aud, Perm::RoleGrant, &ResourceScope::platform()));
    }

    #[test]
    fn every_pair_of_triad_roles_is_refused_on_one_account() {
        let triad = [Role::Sysadmin, Role::Secadmin, Role::Auditor];
        for a in triad {
            for b in triad {
                let res = check_grant_allowed(&[g(a, ScopeKind::Global, 0)], g(b, ScopeKind::Global, 0));
                if a == b {
                    assert_eq!(res, Err(GrantError::Duplicate));
                } else {
                    assert!(matches!(res, Err(GrantError::TriadConflict { .. })), "{a:?}+{b:?}");
                }
            }
        }
    }

    #[test]
    fn triad_roles_only_global_and_scoped_roles_need_a_target() {
        assert!(matches!(
            check_grant_allowed(&[], g(Role::Auditor, ScopeKind::Site, 3)),
            Err(GrantError::ScopeNotAllowed { .. })
        ));
        assert_eq!(check_grant_allowed(&[], g(Role::Editor, ScopeKind::Site, 0)), Err(GrantError::MissingScopeTarget));
        assert_eq!(check_grant_allowed(&[], g(Role::Editor, ScopeKind::Channel, 9)), Ok(()));
        // A business role next to an admin role is not a triad conflict.
        assert_eq!(
            check_grant_allowed(&[g(Role::Sysadmin, ScopeKind::Global, 0)], g(Role::Editor, ScopeKind::Site, 1)),
            Ok(())
        );
    }

    #[test]
    fn scoped_grants_cover_exactly_their_subtree() {
        let editor_site1 = [g(Role::Editor, ScopeKind::Site, 1)];
        assert!(allows(&editor_site1, Perm::ArticleEdit, &ResourceScope::site(1)));
        assert!(!allows(&editor_site1, Perm::ArticleEdit, &ResourceScope::site(2)));
        assert!(!allows(&editor_site1, Perm::ArticleReview, &ResourceScope::site(1)));

        let editor_chan = [g(Role::Editor, ScopeKind::Channel, 10)];
        let in_subtree = ResourceScope { site: Some(1), channels: vec![12, 10, 1], orgs: vec![] };
        let sibling = ResourceScope { site: Some(1), channels: vec![11, 1], orgs: vec![] };
        assert!(allows(&editor_chan, Perm::ArticleEdit, &in_subtree));
        assert!(!allows(&editor_chan, Perm::ArticleEdit, &sibling));

        let reviewer_org = [g(Role::Reviewer, ScopeKind::Org, 5)];
        let dept = ResourceScope { site: Some(1), channels: vec![], orgs: vec![7, 5, 1] };
        assert!(allows(&reviewer_org, Perm::ArticleReview, &dept));
        assert!(!allows(&reviewer_org, Perm::ArticleReview, &ResourceScope::site(1)));
        // Platform resources are reachable only through global grants.
        assert!(!allows(&editor_site1, Perm::ArticleEdit, &ResourceScope::platform()));
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
