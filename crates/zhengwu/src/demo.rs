//! `zhengwu demo`: the org tree of real-looking units (valid 统一社会信用代码) and one demo account
//! per role, then each module's own part of the demo in the order the modules are composed (the
//! CMS's site group first, so the mailboxes and the hall belong to its sites).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use platform::accounts::{self, NewUser};
use platform::db::Db;
use platform::module::DemoSetup;
use platform::roles::{Grant, Role, ScopeKind};

pub const DEMO_PASSWORD: &str = "Zhengwu@2026";

/// A valid 统一社会信用代码 for an organ of state (登记管理部门 1, 机关 1) in Harbin (230100):
/// the organisation code gets its GB 11714 check character and the whole its GB 32100 one.
pub fn uscc(seq: u32) -> String {
    let body = format!("{:08}", 1_234_500 + seq);
    let w = [3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = body.chars().zip(w).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let c = match 11 - s % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    };
    let first17 = format!("11230100{body}{c}");
    format!("{first17}{}", platform::codes::uscc_check_char(&first17).unwrap_or('0'))
}

/// How much generated content the demo gets.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub articles: u32,
    /// Generated district and department sites besides the demo's own (a large site group).
    pub sites: u32,
    pub letters: u32,
    pub applications: u32,
    /// Generated disclosure requests over the past year, besides the demo's own (benchmarks).
    pub disclosure_requests: u32,
    /// Generated catalogue items over eight years, besides the demo's own (benchmarks).
    pub disclosure_items: u32,
    /// Generated responses to the demo's closed survey, besides its own 600 (benchmarks).
    pub survey_responses: u32,
    /// Generated exchanged documents over the past year (benchmarks).
    pub office_documents: u32,
    /// Generated suggestions and proposals besides the demo session's 400 (benchmarks).
    pub proposals: u32,
    /// Enterprises in the registry file the demo imports (信息资源共享).
    pub enterprises: u32,
    /// People in the departments' files the demo's population database merges (人口资源库).
    pub people: u32,
    /// Points of interest in the register the map imports (地图服务).
    pub pois: u32,
    /// Days of hourly monitoring history (动态监测).
    pub monitor_days: u32,
    /// Page views over the past months replayed into the access statistics (访问统计).
    pub visits: u32,
    /// Confirmed subscribers of the portal's columns (信息订阅).
    pub subscribers: u32,
    /// Staff in the 机关效能评价窗口 across 78 units, with a year of ratings.
    pub rated_staff: u32,
}

/// What `load` did: the demo accounts and what each module reported.
pub struct Demo {
    pub accounts: Vec<(String, String)>,
    pub lines: Vec<String>,
}

/// Loads the demo (once: what exists is left as it is) and returns the demo accounts.
pub async fn load(
    state: &platform::web::AppState,
    sizes: Sizes,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> anyhow::Result<Demo> {
    let db = &state.db;
    let orgs = ensure_orgs(db).await?;
    let accounts = ensure_accounts(db, &orgs).await?;
    let setup = DemoSetup {
        db: db.clone(),
        files_dir: state.config.data_dir.join("files"),
        orgs,
        sizes: BTreeMap::from([
            ("articles", sizes.articles),
            ("sites", sizes.sites),
            ("letters", sizes.letters),
            ("applications", sizes.applications),
            ("disclosure_requests", sizes.disclosure_requests),
            ("disclosure_items", sizes.disclosure_items),
            ("survey_responses", sizes.survey_responses),
            ("office_documents", sizes.office_documents),
            ("proposals", sizes.proposals),
            ("enterprises", sizes.enterprises),
            ("people", sizes.people),
            ("pois", sizes.pois),
            ("monitor_days", sizes.monitor_days),
            ("visits", sizes.visits),
            ("subscribers", sizes.subscribers),
            ("rated_staff", sizes.rated_staff),
        ]),
        progress: Arc::new(progress),
        sites: Default::default(),
    };
    let mut lines = Vec::new();
    for m in state.modules.iter() {
        lines.extend(m.load_demo(state, &setup).await.map_err(|e| e.context(format!("「{}」的演示数据", m.name())))?);
    }
    // The document library is imported from files, as an office would, once the CMS exists; a
    // tenth of the articles (300 with the default 3,000), so a small demo stays quick.
    let documents = (sizes.articles as usize / 10).clamp(6, 300);
    lines.extend(
        crate::library::demo(state, documents, setup.org("bgt")).await.map_err(|e| e.context("文库的演示数据"))?,
    );
    portal_links(db).await?;
    Ok(Demo { accounts, lines })
}

/// Portal columns leading into 直播 and 课件库, made last so no existing column's number changes.
async fn portal_links(db: &Db) -> anyhow::Result<()> {
    let Some(portal) = platform::web::portal::portal_site_id(db).await else { return Ok(()) };
    let channels = cms::store::channels_of(db, portal as i64).await?;
    for (parent, slug, name, url) in
        [("hdjl", "zhibo", "视频直播", "/zhibo/"), ("bsfw", "kejian", "远程教育", "/kejian/")]
    {
        if channels.iter().any(|c| c.slug == slug) {
            continue;
        }
        cms::store::insert_channel(
            db,
            &cms::store::Channel {
                site_id: portal as i64,
                parent_id: channels.iter().find(|c| c.slug == parent).map(|c| c.id),
                name: name.into(),
                slug: slug.into(),
                kind: "link".into(),
                link_url: url.into(),
                sort_order: 900,
                update_class: "none".into(),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

async fn ensure_orgs(db: &Db) -> anyhow::Result<HashMap<&'static str, i64>> {
    let specs: [(&str, &str, &str, Option<&str>, u32); 17] = [
        ("szf", "哈尔滨市人民政府", "government", None, 1),
        ("bgt", "哈尔滨市人民政府办公厅", "bureau", Some("szf"), 2),
        ("kjj", "哈尔滨市科学技术局", "bureau", Some("szf"), 3),
        ("kjj-bgs", "市科技局办公室", "division", Some("kjj"), 0),
        ("kjj-jhc", "市科技局科技计划处", "division", Some("kjj"), 0),
        ("kjj-cgc", "市科技局成果转化处", "division", Some("kjj"), 0),
        ("fgw", "哈尔滨市发展和改革委员会", "bureau", Some("szf"), 4),
        ("wjw", "哈尔滨市卫生健康委员会", "bureau", Some("szf"), 5),
        ("jyj", "哈尔滨市教育局", "bureau", Some("szf"), 6),
        ("zwzx", "哈尔滨市政务服务中心", "bureau", Some("szf"), 7),
        ("dlq", "哈尔滨市道里区人民政府", "government", Some("szf"), 8),
        ("dlq-bgs", "道里区政府办公室", "division", Some("dlq"), 0),
        ("scj", "哈尔滨市市场监督管理局", "bureau", Some("szf"), 9),
        ("rsj", "哈尔滨市人力资源和社会保障局", "bureau", Some("szf"), 10),
        ("gaj", "哈尔滨市公安局", "bureau", Some("szf"), 11),
        ("zjj", "哈尔滨市住房和城乡建设局", "bureau", Some("szf"), 12),
        ("mzj", "哈尔滨市民政局", "bureau", Some("szf"), 13),
    ];
    let mut ids = HashMap::new();
    for (key, name, kind, parent, seq) in specs {
        let code = if seq > 0 { uscc(seq) } else { key.to_uppercase() };
        let id = match accounts::org_by_code(db, &code).await? {
            Some(o) => o.id,
            None => accounts::create_org(db, parent.and_then(|p| ids.get(p).copied()), name, &code, kind).await?,
        };
        ids.insert(key, id);
    }
    Ok(ids)
}

async fn ensure_accounts(db: &Db, orgs: &HashMap<&'static str, i64>) -> anyhow::Result<Vec<(String, String)>> {
    // Site ids are known only after the sites exist; scoped grants are added in `grant_site_roles`.
    let specs: [(&str, &str, &str, Option<Role>, &str); 17] = [
        ("sysadmin", "系统管理员", "bgt", Some(Role::Sysadmin), "系统管理员：账号、机构、系统设置"),
        ("secadmin", "安全管理员", "bgt", Some(Role::Secadmin), "安全管理员：角色授权、安全策略"),
        ("auditor", "审计管理员", "bgt", Some(Role::Auditor), "审计管理员：审计日志"),
        ("siteadmin", "网站管理员", "bgt", Some(Role::SiteAdmin), "站点管理员：全部站点"),
        ("editor", "李明（信息员）", "kjj", None, "编辑：市政府门户网站、市科技局网站"),
        ("reviewer_dept", "王芳（科技局审核）", "kjj", None, "部门审核：市科技局"),
        ("reviewer_office", "张伟（办公厅终审）", "bgt", None, "办公室终审：市政府门户网站、市科技局网站"),
        ("daoli_editor", "赵敏（道里区信息员）", "dlq", None, "编辑：道里区网站"),
        ("handler", "刘洋（科技局承办人）", "kjj", None, "承办人：市科技局的来信和办件"),
        ("handler_scj", "孙丽（市场监管局承办人）", "scj", None, "承办人：市市场监管局的来信和办件"),
        ("handler_daoli", "周强（道里区承办人）", "dlq", None, "承办人：道里区的来信和办件，道里区网站审核"),
        (
            "handler_gaj",
            "赵静（公安局户政窗口）",
            "gaj",
            None,
            "承办人：市公安局的办件和窗口收费（缴款通知书、收款、退费）",
        ),
        ("leader", "陈市长", "bgt", None, "领导：市政府门户网站的信箱批示、统计"),
        (
            "ducha",
            "吴静（市政府督查室）",
            "bgt",
            Some(Role::OfficeStaff),
            "办公厅督查和信息：建议提案的交办、督办和答复公开，信息报送的采编、每日要情和计分",
        ),
        ("daibiao", "王建国（市人大代表）", "", Some(Role::Deputy), "人大代表：查看本人领衔建议的答复并评价"),
        (
            "renkou",
            "郑洁（公安局人口信息核查员）",
            "gaj",
            Some(Role::PopulationOfficer),
            "人口信息核查员：人口资源库查询和统计，显示授权字段的完整信息，裁决部门间的字段冲突",
        ),
        (
            "renkou_cx",
            "黄磊（民政局人口信息查询员）",
            "mzj",
            Some(Role::PopulationClerk),
            "人口信息查询员：人口资源库的遮蔽查询和统计",
        ),
    ];
    let mut out = Vec::new();
    for (username, name, org, role, desc) in specs {
        if accounts::user_by_name(db, username).await?.is_none() {
            let id = accounts::create_user(
                db,
                NewUser {
                    username,
                    display_name: name,
                    email: Some(&format!("{username}@demo.zhengwu.invalid")),
                    org_id: orgs.get(org).copied(),
                    password_hash: platform::security::hash_password(DEMO_PASSWORD),
                    must_change_password: false,
                },
            )
            .await?;
            if let Some(r) = role {
                accounts::add_grant(db, id, Grant { role: r, scope: ScopeKind::Global, scope_id: 0 }, "demo")
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        out.push((username.to_owned(), desc.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_org_codes_pass_the_national_check() {
        for seq in 1..20 {
            let code = super::uscc(seq);
            assert_eq!(platform::web::ops::check_org_code(&code), None, "{code}");
        }
    }
}
