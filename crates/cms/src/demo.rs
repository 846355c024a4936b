//! The CMS's part of the demo: a believable site group from the seeds' world — the Harbin city
//! portal, the science and technology bureau's site, the Daoli district site, an enterprise-services
//! sub-site and special topics — with articles whose text is recombined from sentences of the
//! original requirement reports (`demo/sentences.txt`). The portal's columns lead into the other
//! modules' pages (the service hall, the mailboxes). Articles are written in bulk, already
//! published, with a history entry each; `articles` scales the corpus for benchmarks.

use std::collections::HashMap;

use platform::audit::{self, Event};
use platform::db::{Db, Exec, now, sql};
use platform::module::DemoSetup;
use platform::roles::{Role, ScopeKind};
use platform::web::AppState;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const SENTENCES: &str = include_str!("../demo/sentences.txt");

struct Text {
    sentences: Vec<&'static str>,
    clauses: Vec<&'static str>,
}

impl Text {
    fn new() -> Self {
        let sentences: Vec<&str> = SENTENCES.lines().filter(|l| !l.is_empty()).collect();
        let clauses = sentences
            .iter()
            .flat_map(|s| s.trim_end_matches('。').split('，'))
            .filter(|c| c.chars().count() >= 4)
            .collect();
        Text { sentences, clauses }
    }

    /// One sentence: an original one, or clauses of several recombined into a new one.
    fn sentence(&self, rng: &mut StdRng) -> String {
        if rng.random_bool(0.4) {
            (*self.sentences.choose(rng).unwrap_or(&"")).to_owned()
        } else {
            let n = rng.random_range(2..=3);
            let parts: Vec<&str> = (0..n).filter_map(|_| self.clauses.choose(rng).copied()).collect();
            format!("{}。", parts.join("，"))
        }
    }

    fn body(&self, rng: &mut StdRng) -> String {
        let paras = rng.random_range(3..=8);
        (0..paras)
            .map(|_| format!("<p>{}</p>", (0..rng.random_range(1..=3)).map(|_| self.sentence(rng)).collect::<String>()))
            .collect()
    }
}

const UNITS: [&str; 10] = [
    "市科技局",
    "市发展改革委",
    "市工业和信息化局",
    "市教育局",
    "市卫生健康委",
    "市市场监管局",
    "市政务服务中心",
    "道里区政府",
    "市财政局",
    "市人力资源社会保障局",
];
const TOPICS: [&str; 26] = [
    "科技项目网上申报",
    "政府信息公开",
    "政府网站建设",
    "电子政务",
    "行政审批制度改革",
    "网上办事",
    "区长信箱办理",
    "企业信息化",
    "科技成果转化",
    "知识产权保护",
    "安全生产",
    "优化营商环境",
    "一网通办",
    "放管服改革",
    "高新技术企业认定",
    "科技型中小企业培育",
    "创新型城市建设",
    "民生实事",
    "防汛抗旱",
    "政务服务好差评",
    "机关效能建设",
    "科普宣传",
    "人才引进",
    "数字政府建设",
    "大众创业万众创新",
    "公共租赁住房保障",
];
const NEWS_VERBS: [&str; 8] = [
    "召开{t}工作会议",
    "部署{t}重点工作",
    "赴基层调研{t}工作",
    "举办{t}专题培训",
    "推进{t}取得新进展",
    "开展{t}专项检查",
    "召开{t}推进会",
    "通报{t}工作情况",
];
const NOTICE_FORMS: [&str; 5] = [
    "关于开展{t}工作的通知",
    "关于做好{t}有关工作的通知",
    "关于{t}的公告",
    "关于征集{t}意见建议的公告",
    "关于公布{t}名单的公示",
];
const POLICY_FORMS: [&str; 4] =
    ["关于印发《{t}实施方案》的通知", "关于进一步加强{t}的意见", "关于{t}的若干措施", "{t}管理办法"];

fn title(kind: &str, rng: &mut StdRng) -> String {
    let t = TOPICS.choose(rng).copied().unwrap_or("电子政务");
    let u = UNITS.choose(rng).copied().unwrap_or("市政府");
    match kind {
        "notice" => format!("{u}{}", NOTICE_FORMS.choose(rng).copied().unwrap_or("").replace("{t}", t)),
        "policy" => format!("哈尔滨市人民政府{}", POLICY_FORMS.choose(rng).copied().unwrap_or("").replace("{t}", t)),
        "interpret" => format!("图解：{t}政策解读"),
        "plan" => format!("{u}{}年度{t}工作计划", rng.random_range(2024..=2026)),
        "form" => format!("{t}申请表"),
        _ => format!("{u}{}", NEWS_VERBS.choose(rng).copied().unwrap_or("").replace("{t}", t)),
    }
}

/// A minimal, valid one-page PDF naming the form, so downloads open in any reader.
fn tiny_pdf(label: &str) -> Vec<u8> {
    let text = label.chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    let content = format!("BT /F1 18 Tf 72 720 Td (Zhengwu demo form {text}) Tj ET");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1).as_bytes(),
    );
    out
}

struct SiteSpec {
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    id_code: &'static str,
    prefix: &'static str,
    sponsor: &'static str,
    contact: &'static str,
    slogan: &'static str,
    owner: &'static str,
}

/// (slug, name, kind, update class, article kind, parent slug, show on home, weight)
type ChanSpec = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, bool, u32);

fn site_specs() -> Vec<(SiteSpec, Vec<ChanSpec>)> {
    vec![
        (
            SiteSpec {
                code: "hrb",
                name: "哈尔滨市人民政府",
                kind: "portal",
                id_code: "2301000001",
                prefix: "",
                sponsor: "哈尔滨市人民政府办公厅",
                contact: "0451-84664012",
                slogan: "面向公众发布政府信息 开展网上公共服务",
                owner: "szf",
            },
            vec![
                ("zwgk", "政务公开", "list", "none", "news", "", false, 0),
                ("yw", "要闻动态", "list", "news", "news", "zwgk", true, 30),
                ("tzgg", "通知公告", "list", "notice", "notice", "zwgk", true, 14),
                ("zcwj", "政策文件", "list", "notice", "policy", "zwgk", true, 10),
                ("zcjd", "政策解读", "list", "notice", "interpret", "zwgk", true, 4),
                ("bmdt", "部门动态", "list", "news", "news", "zwgk", true, 16),
                ("qxdt", "区县动态", "list", "news", "news", "zwgk", true, 10),
                ("rsxx", "人事信息", "list", "plan", "notice", "zwgk", false, 3),
                ("ghjh", "规划计划", "list", "plan", "plan", "zwgk", false, 2),
                ("tjsj", "统计数据", "list", "notice", "notice", "zwgk", false, 3),
                ("czyjs", "财政预决算", "list", "plan", "plan", "zwgk", false, 2),
                ("xxgk", "政府信息公开", "link", "none", "", "zwgk", false, 0),
                ("zjbc", "走进冰城", "list", "none", "news", "", false, 0),
                ("csgk", "城市概况", "page", "none", "", "zjbc", false, 0),
                ("lsyg", "历史沿革", "page", "none", "", "zjbc", false, 0),
                ("xzqh", "行政区划", "page", "none", "", "zjbc", false, 0),
                ("bsfw", "办事服务", "link", "none", "", "", false, 0),
                ("grbs", "个人办事", "link", "none", "", "bsfw", false, 0),
                ("frbs", "法人办事", "link", "none", "", "bsfw", false, 0),
                ("kjfw", "科技服务", "link", "none", "", "bsfw", false, 0),
                ("gqxx", "供求信息", "link", "none", "", "bsfw", false, 0),
                ("bgxz", "表格下载", "list", "none", "form", "bsfw", false, 3),
                ("hdjl", "互动交流", "link", "none", "", "", false, 0),
                ("szxx", "市长信箱选登", "link", "none", "", "hdjl", false, 0),
                ("wyxx", "我要写信", "link", "none", "", "hdjl", false, 0),
                ("lxcx", "来信查询", "link", "none", "", "hdjl", false, 0),
                ("yjzj", "意见征集", "link", "none", "", "hdjl", false, 0),
                ("wsdc", "网上调查", "link", "none", "", "hdjl", false, 0),
                ("zxft", "在线访谈", "link", "none", "", "hdjl", false, 0),
                ("yshj", "优化营商环境", "topic", "none", "news", "", false, 2),
                ("yshj-zc", "政策措施", "list", "none", "policy", "yshj", false, 2),
                ("yshj-dt", "工作动态", "list", "none", "news", "yshj", false, 3),
                ("yshj-al", "典型案例", "list", "none", "news", "yshj", false, 1),
                ("kjz", "第十届科技活动周", "topic", "none", "news", "", false, 1),
                ("kjz-bd", "活动报道", "list", "none", "news", "kjz", false, 2),
                ("kjz-zs", "成果展示", "list", "none", "news", "kjz", false, 1),
            ],
        ),
        (
            SiteSpec {
                code: "kjj",
                name: "哈尔滨市科学技术局",
                kind: "department",
                id_code: "2301000012",
                prefix: "/kjj",
                sponsor: "哈尔滨市科学技术局",
                contact: "0451-86711234",
                slogan: "哈尔滨科技信息网",
                owner: "kjj",
            },
            vec![
                ("yw", "科技要闻", "list", "news", "news", "", true, 14),
                ("tzgg", "通知公告", "list", "notice", "notice", "", true, 8),
                ("zcwj", "政策法规", "list", "notice", "policy", "", true, 5),
                ("kjjh", "科技计划", "list", "notice", "notice", "", true, 5),
                ("cgzh", "成果转化", "list", "news", "news", "", true, 4),
                ("xmgs", "项目公示", "list", "notice", "notice", "", true, 4),
                ("kjwd", "科技问答", "list", "notice", "notice", "", false, 2),
                ("bgxz", "表格下载", "list", "none", "form", "", false, 2),
                ("zlxz", "资料下载", "list", "none", "form", "", false, 1),
                ("jgzn", "机构职能", "page", "none", "", "", false, 0),
                ("ldxx", "领导信息", "page", "none", "", "", false, 0),
                ("rsxx", "人事信息", "list", "plan", "notice", "", false, 1),
                ("bsfw", "办事服务", "link", "none", "", "", false, 0),
                ("xmsb", "项目申报", "link", "none", "", "bsfw", false, 0),
                ("hdjl", "互动交流", "link", "none", "", "", false, 0),
                ("jzxx", "局长信箱选登", "link", "none", "", "hdjl", false, 0),
            ],
        ),
        (
            SiteSpec {
                code: "daoli",
                name: "道里区人民政府",
                kind: "district",
                id_code: "2301020001",
                prefix: "/daoli",
                sponsor: "哈尔滨市道里区人民政府办公室",
                contact: "0451-84611001",
                slogan: "道里区政府门户网站",
                owner: "dlq",
            },
            vec![
                ("yw", "道里要闻", "list", "news", "news", "", true, 12),
                ("tzgg", "通知公告", "list", "notice", "notice", "", true, 6),
                ("zwgk", "政务公开", "list", "none", "news", "", false, 0),
                ("zcwj", "政策文件", "list", "notice", "policy", "zwgk", true, 4),
                ("czxx", "财政信息", "list", "plan", "plan", "zwgk", false, 2),
                ("rsrm", "人事任免", "list", "plan", "notice", "zwgk", false, 1),
                ("jddt", "街道动态", "list", "news", "news", "", true, 8),
                ("msfw", "民生服务", "list", "notice", "notice", "", true, 4),
                ("qzxx", "区长信箱选登", "link", "none", "", "", false, 0),
                ("zjdl", "走进道里", "page", "none", "", "", false, 0),
            ],
        ),
        (
            SiteSpec {
                code: "qy",
                name: "企业服务",
                kind: "audience",
                id_code: "2301000013",
                prefix: "/qy",
                sponsor: "哈尔滨市人民政府办公厅",
                contact: "0451-84664012",
                slogan: "面向企业的一站式服务",
                owner: "szf",
            },
            vec![
                ("zcsd", "政策速递", "list", "news", "policy", "", true, 5),
                ("tzgg", "通知公告", "list", "notice", "notice", "", true, 3),
                ("kbqy", "开办企业", "list", "notice", "notice", "", true, 2),
                ("rzfw", "融资服务", "list", "notice", "news", "", true, 2),
                ("rcfw", "人才服务", "list", "notice", "news", "", true, 2),
                ("bgxz", "表格下载", "list", "none", "form", "", false, 2),
            ],
        ),
    ]
}

/// Districts, counties and the new area of Harbin, and the offices each has, whose combinations
/// name the generated sites of a large group (`zhengwu demo --sites N`, up to 18 × 8).
const GROUP_AREAS: [(&str, &str); 18] = [
    ("道外区", "230104"),
    ("南岗区", "230103"),
    ("香坊区", "230110"),
    ("平房区", "230108"),
    ("松北区", "230109"),
    ("呼兰区", "230111"),
    ("阿城区", "230112"),
    ("双城区", "230113"),
    ("依兰县", "230123"),
    ("方正县", "230124"),
    ("宾县", "230125"),
    ("巴彦县", "230126"),
    ("木兰县", "230127"),
    ("通河县", "230128"),
    ("延寿县", "230129"),
    ("尚志市", "230183"),
    ("五常市", "230184"),
    ("道里区", "230102"),
];
const GROUP_OFFICES: [&str; 8] = [
    "人民政府",
    "教育局",
    "卫生健康局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "农业农村局",
    "应急管理局",
];
/// The columns every generated site has (same shape as [`site_specs`]).
const GROUP_CHANNELS: [ChanSpec; 5] = [
    ("yw", "工作动态", "list", "news", "news", "", true, 3),
    ("tzgg", "通知公告", "list", "notice", "notice", "", true, 2),
    ("zcwj", "政策文件", "list", "notice", "policy", "", true, 1),
    ("gzjh", "工作计划", "list", "plan", "plan", "", false, 1),
    ("jgzn", "机构职能", "page", "none", "", "", false, 0),
];

/// Adds `count` generated district and department sites (the district government first, then its
/// offices, area by area), each with the standard columns, whose list columns join `chans` so the
/// articles spread over the whole group. The demo's own 道里区 site keeps its place: its offices
/// come last and its government is not generated again.
async fn generated_sites(
    db: &Db,
    demo: &DemoSetup,
    count: u32,
    chans: &mut Vec<Chan>,
    text: &Text,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let owner = demo.orgs.get("szf").copied();
    // (area index, area, division code, office index, office), the demo's own 道里区 government left out.
    let mut names: Vec<(usize, &str, &str, usize, &str)> = Vec::new();
    for (a, (area, division)) in GROUP_AREAS.iter().enumerate() {
        for (o, office) in GROUP_OFFICES.iter().enumerate() {
            if !(*area == "道里区" && o == 0) {
                names.push((a, area, division, o, office));
            }
        }
    }
    names.truncate(count as usize);
    for (a, area, division, o, office) in names {
        let n = a * GROUP_OFFICES.len() + o + 1;
        let (kind, sponsor) = if o == 0 {
            ("district", format!("哈尔滨市{area}人民政府办公室"))
        } else {
            ("department", format!("哈尔滨市{area}{office}"))
        };
        let site = crate::store::Site {
            code: format!("fz{n:03}"),
            name: format!("哈尔滨市{area}{office}"),
            kind: kind.into(),
            // 行政区划代码 + a four-digit sequence: ten digits, unique in the group.
            site_id_code: format!("{division}{:04}", o + 1),
            path_prefix: format!("/fz{n:03}"),
            owner_org_id: owner,
            template_set: "default".into(),
            locale: "zh-CN".into(),
            sponsor,
            contact: format!("电话 0451-8{:03}{:04}　地址 哈尔滨市{area}", 600 + a, 1000 + o),
            icp: "黑ICP备05001234号".into(),
            psb: format!("黑公网安备{division}02{:06}号", n),
            error_link: "https://zfwzzc.www.gov.cn/".into(),
            description: format!("{area}{office}网站"),
            ..Default::default()
        };
        let site_id = crate::store::insert_site(db, &site).await?;
        for (i, (slug, name, kind, update, article_kind, _, home, weight)) in GROUP_CHANNELS.into_iter().enumerate() {
            let c = crate::store::Channel {
                site_id,
                name: name.into(),
                slug: slug.into(),
                kind: kind.into(),
                sort_order: i as i64 * 10,
                dept_org_id: owner,
                update_class: update.into(),
                body: if kind == "page" { page_body(slug, text, rng) } else { String::new() },
                show_on_home: home,
                ..Default::default()
            };
            let id = crate::store::insert_channel(db, &c).await?;
            if weight > 0 {
                chans.push(Chan { id, site_id, article_kind, weight, dept: owner });
            }
        }
    }
    Ok(())
}

fn page_body(slug: &str, text: &Text, rng: &mut StdRng) -> String {
    let lead = match slug {
        "csgk" => "<p>哈尔滨是黑龙江省省会，是我国东北北部的政治、经济、文化中心。</p>",
        "lsyg" => "<p>哈尔滨因水而兴，依江而建，素有“冰城”之称。</p>",
        "xzqh" => "<p>全市辖道里、道外、南岗、香坊、平房、松北、呼兰、阿城、双城等区县（市）。</p>",
        "jgzn" => "<p>市科学技术局是市政府工作部门，负责全市科技工作的综合管理。</p>",
        "ldxx" => "<p>局领导分工及联系方式。</p>",
        _ => "<p>本栏目介绍有关情况。</p>",
    };
    format!("{lead}{}", text.body(rng))
}

/// Builds the site group when it does not exist yet; returns the summary lines.
pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    let existed = crate::store::site_by_code(db, "hrb").await?.is_some();
    if !existed {
        create(state, demo).await?;
    }
    let made = crate::store::sites(db).await?;
    if let Ok(mut sites) = demo.sites.lock() {
        sites.extend(made.into_iter().map(|s| (s.code, s.id)));
    }
    Ok(vec![if existed {
        "演示站群已存在，未重复生成（删除数据目录可重新生成）。".to_owned()
    } else {
        format!("演示站群已就绪：{} 篇信息。", demo.size("articles"))
    }])
}

async fn create(state: &AppState, demo: &DemoSetup) -> anyhow::Result<()> {
    let db = &state.db;
    let articles = demo.size("articles");
    let mut rng = StdRng::seed_from_u64(20_061_018);
    let text = Text::new();
    build_sites(db, demo, articles, &text, &mut rng).await?;
    demo_visits(state, demo.size("visits"), &mut rng).await?;
    audit::record(
        db,
        &state.audit_key,
        Event {
            username: "demo".into(),
            ip: "local".into(),
            action: "demo.load".into(),
            target: "demo".into(),
            outcome: "success".into(),
            summary: format!("载入演示站群，{articles} 篇信息"),
            ..Event::default()
        },
    )
    .await?;
    Ok(())
}

struct Chan {
    id: i64,
    site_id: i64,
    article_kind: &'static str,
    weight: u32,
    dept: Option<i64>,
}

async fn build_sites(db: &Db, demo: &DemoSetup, articles: u32, text: &Text, rng: &mut StdRng) -> anyhow::Result<()> {
    let orgs = &demo.orgs;
    let mut chans: Vec<Chan> = Vec::new();
    let mut site_ids = HashMap::new();
    let dept_for = |slug: &str, site: &str| -> Option<i64> {
        match (site, slug) {
            ("hrb", "yw" | "tzgg" | "zcwj" | "zcjd") => orgs.get("bgt").copied(),
            ("kjj", "kjjh" | "xmgs") => orgs.get("kjj-jhc").copied(),
            ("kjj", "cgzh") => orgs.get("kjj-cgc").copied(),
            ("kjj", _) => orgs.get("kjj").copied(),
            ("daoli", _) => orgs.get("dlq").copied(),
            _ => None,
        }
    };
    for (spec, channels) in site_specs() {
        let site = crate::store::Site {
            code: spec.code.into(),
            name: spec.name.into(),
            kind: spec.kind.into(),
            site_id_code: spec.id_code.into(),
            path_prefix: spec.prefix.into(),
            owner_org_id: orgs.get(spec.owner).copied(),
            template_set: "default".into(),
            locale: "zh-CN".into(),
            sponsor: spec.sponsor.into(),
            contact: format!("电话 {}　地址 哈尔滨市松北区世纪大道1号", spec.contact),
            icp: "黑ICP备05001234号".into(),
            psb: "黑公网安备23010002000001号".into(),
            error_link: "https://zfwzzc.www.gov.cn/".into(),
            description: spec.slogan.into(),
            // Blocks other modules feed: the portal shows the hall's and the mailbox's, the
            // department and district sites their own mailbox's replies.
            home_blocks: match spec.code {
                "hrb" => "services.popular services.gongshi letters.answered disclosure.latest participation.latest supervision.ratings supervision.evaluation office.replies listings.latest",
                "kjj" | "daoli" => "letters.answered",
                _ => "",
            }
            .into(),
            ..Default::default()
        };
        let site_id = crate::store::insert_site(db, &site).await?;
        site_ids.insert(spec.code, site_id);
        let mut slug_ids: HashMap<&str, i64> = HashMap::new();
        for (i, (slug, name, kind, update, article_kind, parent, home, weight)) in channels.into_iter().enumerate() {
            // The portal's service and interaction columns lead into those systems: the hall, its
            // 个人/法人 tabs and project calls; the mailboxes and each mailbox's published letters.
            let link_url = match (spec.code, slug) {
                (_, "bsfw") => "/banshi/".to_owned(),
                ("hrb", "grbs") => "/banshi/?audience=person".to_owned(),
                ("hrb", "frbs") => "/banshi/?audience=org".to_owned(),
                ("hrb", "kjfw") => "/kjj/".to_owned(),
                ("hrb", "gqxx") => "/gongqiu/".to_owned(),
                ("kjj", "xmsb") => "/banshi/calls/".to_owned(),
                (_, "hdjl") => "/hudong/".to_owned(),
                (_, "xxgk") => "/gongkai/".to_owned(),
                // 公众参与's columns lead into its consultations, surveys and interviews.
                (_, "yjzj") => "/canyu/consultations/".to_owned(),
                (_, "wsdc") => "/canyu/surveys/".to_owned(),
                (_, "zxft") => "/canyu/interviews/".to_owned(),
                (_, "szxx" | "jzxx" | "qzxx") => format!("/hudong/{slug}/"),
                _ => String::new(),
            };
            let c = crate::store::Channel {
                site_id,
                parent_id: (!parent.is_empty()).then(|| slug_ids.get(parent).copied()).flatten(),
                name: name.into(),
                slug: slug.into(),
                kind: kind.into(),
                sort_order: i as i64 * 10,
                dept_org_id: dept_for(slug, spec.code),
                update_class: update.into(),
                link_url,
                body: if kind == "page" { page_body(slug, text, rng) } else { String::new() },
                description: if kind == "topic" {
                    format!("{name}专题，集中展示相关政策、动态和案例")
                } else {
                    String::new()
                },
                banner: if kind == "topic" { format!("聚焦{name}，推动高质量发展") } else { String::new() },
                archived: slug == "kjz",
                show_on_home: home,
                ..Default::default()
            };
            let id = crate::store::insert_channel(db, &c).await?;
            slug_ids.insert(slug, id);
            if matches!(kind, "list" | "topic") && weight > 0 {
                chans.push(Chan {
                    id,
                    site_id,
                    article_kind: if article_kind.is_empty() { "news" } else { article_kind },
                    weight,
                    // The publishing department (发布统计 groups by it): the column's, else the
                    // site owner's.
                    dept: c.dept_org_id.or_else(|| orgs.get(spec.owner).copied()),
                });
            }
        }
        // 个人办事 links to the enterprise sub-site's first channel once it exists; fix up below.
    }
    // The interaction links of the portal lead to the mailboxes (互动交流).
    if let Some(hrb) = site_ids.get("hrb") {
        for (slug, url) in [("wyxx", "/hudong/szxx/write"), ("lxcx", "/hudong/query")] {
            db.execute(
                sql("UPDATE channel SET link_url = $1 WHERE site_id = $2 AND slug = $3")
                    .bind(url)
                    .bind(*hrb)
                    .bind(slug),
            )
            .await?;
        }
    }
    // Scoped grants for the review demo.
    let hrb = site_ids.get("hrb").copied().unwrap_or(0);
    let kjj = site_ids.get("kjj").copied().unwrap_or(0);
    let daoli = site_ids.get("daoli").copied().unwrap_or(0);
    demo.grant("editor", Role::Editor, ScopeKind::Site, hrb).await?;
    demo.grant("editor", Role::Editor, ScopeKind::Site, kjj).await?;
    demo.grant("reviewer_dept", Role::Reviewer, ScopeKind::Org, orgs.get("kjj").copied().unwrap_or(0)).await?;
    demo.grant("reviewer_office", Role::Reviewer, ScopeKind::Site, hrb).await?;
    demo.grant("reviewer_office", Role::Reviewer, ScopeKind::Site, kjj).await?;
    demo.grant("daoli_editor", Role::Editor, ScopeKind::Site, daoli).await?;
    // Handlers and leaders are scoped the way a real deployment is: a unit's handler sees only its
    // own unit's letters and applications, the leader only the city portal's mailboxes.
    let org = |code: &str| orgs.get(code).copied().unwrap_or(0);
    demo.grant("handler", Role::Handler, ScopeKind::Org, org("kjj")).await?;
    demo.grant("handler_scj", Role::Handler, ScopeKind::Org, org("scj")).await?;
    demo.grant("handler_daoli", Role::Handler, ScopeKind::Org, org("dlq")).await?;
    demo.grant("handler_daoli", Role::Reviewer, ScopeKind::Org, org("dlq")).await?;
    demo.grant("leader", Role::Leader, ScopeKind::Site, hrb).await?;
    generated_sites(db, demo, demo.size("sites"), &mut chans, text, rng).await?;
    write_articles(db, &demo.files_dir, &chans, articles, text, rng, &|n| (demo.progress)(n)).await?;
    db.resync_identity("article").await?;
    // 引用/推送: the city portal adopts the newest science-bureau news into 部门动态.
    let bmdt: Option<i64> = crate::store::channels_of(db, hrb).await?.iter().find(|c| c.slug == "bmdt").map(|c| c.id);
    if let Some(bmdt) = bmdt {
        let kjj_yw =
            crate::store::channels_of(db, kjj).await?.iter().find(|c| c.slug == "yw").map(|c| c.id).unwrap_or(0);
        for it in crate::store::channel_items(db, kjj_yw, 10, 0).await? {
            db.execute(sql("INSERT INTO placement (article_id, channel_id, site_id, pub_at, pinned, pin_order, live, added_by) VALUES ($1,$2,$3,$4,FALSE,0,TRUE,0)").bind(it.id).bind(bmdt).bind(hrb).bind(it.pub_at)).await?;
        }
    }
    for (org, target) in [("kjj", 600), ("bgt", 1200), ("dlq", 400), ("fgw", 200)] {
        if let Some(o) = orgs.get(org) {
            crate::store::set_quota(db, *o, i64::from(platform::current_year()), target).await?;
        }
    }
    Ok(())
}

/// Writes `n` published articles spread over the channels by weight (the newest one to each
/// channel), newest first in time, in multi-row inserts (fast enough for a million).
async fn write_articles(
    db: &Db,
    files_dir: &std::path::Path,
    chans: &[Chan],
    n: u32,
    text: &Text,
    rng: &mut StdRng,
    progress: &impl Fn(u64),
) -> anyhow::Result<()> {
    let total_weight: u32 = chans.iter().map(|c| c.weight).sum();
    let start_id = db.count(sql("SELECT COALESCE(MAX(id), 0) FROM article")).await? + 1;
    let t_end = now() - 3600;
    // Spread over two years, so update-class checks and monthly statistics have history.
    let span = 2 * 365 * 86_400i64;
    const BATCH: u32 = 200;
    let mut written = 0u32;
    while written < n {
        let count = BATCH.min(n - written);
        let mut tx = db.begin().await?;
        let mut art = sql(
            "INSERT INTO article (id, site_id, channel_id, org_id, title, subtitle, source, author, editor, summary, body, keywords, doc_number, validity, pinned, pub_at, state, review_state, created_by, created_at, updated_at, published_at, views) VALUES ",
        );
        let mut pl = sql(
            "INSERT INTO placement (article_id, channel_id, site_id, pub_at, pinned, pin_order, live, added_by) VALUES ",
        );
        let mut ev = sql(
            "INSERT INTO article_event (article_id, revision, action, from_state, to_state, actor, comment, at) VALUES ",
        );
        let mut att: Vec<(i64, String)> = Vec::new();
        for k in 0..count {
            let i = written + k;
            let id = start_id + i64::from(i);
            let mut pick = rng.random_range(0..total_weight.max(1));
            let c = chans.iter().find(|c| {
                if pick < c.weight {
                    true
                } else {
                    pick -= c.weight;
                    false
                }
            });
            // The newest articles go one to each column, a few hours apart (closer in a large
            // group, so all fall within the last week): the demo group is a well-kept one, where
            // every column has something within its update class (the compliance monitor shows no
            // veto item).
            let newest = n - i <= chans.len() as u32;
            let c = if newest { chans.get((n - i - 1) as usize) } else { c };
            let Some(c) = c else { continue };
            // Article i of n is placed i/n of the way back in time, so ids and dates agree.
            let pub_at = if newest {
                t_end - i64::from(n - i) * (3 * 3600).min(7 * 86_400 / chans.len().max(1) as i64)
            } else {
                t_end - (span as f64 * (f64::from(n - i) / f64::from(n.max(1)))) as i64 + rng.random_range(0..3600)
            };
            let title = title(c.article_kind, rng);
            let body = text.body(rng);
            let summary = crate::sanitize::excerpt(&body, 90);
            let doc = if c.article_kind == "policy" {
                format!("哈政发〔{}〕{}号", 2025 + (i % 2), 1 + i % 60)
            } else {
                String::new()
            };
            let validity = if c.article_kind == "policy" && i.is_multiple_of(17) {
                "repealed"
            } else if c.article_kind == "policy" && i.is_multiple_of(23) {
                "modified"
            } else {
                "valid"
            };
            let source = if i.is_multiple_of(9) { "新华社" } else { "本站" };
            let kw = format!("{},{}", TOPICS[(i as usize) % TOPICS.len()], TOPICS[(i as usize * 7) % TOPICS.len()]);
            let pinned = i + 3 >= n && c.article_kind == "news";
            if k > 0 {
                art = art.push(",");
                pl = pl.push(",");
                ev = ev.push(",");
            }
            art = art
                .push("(")
                .push_bind(id)
                .push(",")
                .push_bind(c.site_id)
                .push(",")
                .push_bind(c.id)
                .push(",")
                .push_bind(c.dept)
                .push(",")
                .push_bind(title)
                .push(",'',")
                .push_bind(source)
                .push(",")
                .push_bind(if i.is_multiple_of(3) { "李明" } else { "王静" })
                .push(",")
                .push_bind("张伟")
                .push(",")
                .push_bind(summary)
                .push(",")
                .push_bind(body)
                .push(",")
                .push_bind(kw)
                .push(",")
                .push_bind(doc)
                .push(",")
                .push_bind(validity)
                .push(",")
                .push_bind(pinned)
                .push(",")
                .push_bind(pub_at)
                .push(",'published','approved',0,")
                .push_bind(pub_at - 600)
                .push(",")
                .push_bind(pub_at)
                .push(",")
                .push_bind(pub_at)
                .push(",")
                .push_bind(i64::from(rng.random_range(0..2000u32)))
                .push(")");
            pl = pl
                .push("(")
                .push_bind(id)
                .push(",")
                .push_bind(c.id)
                .push(",")
                .push_bind(c.site_id)
                .push(",")
                .push_bind(pub_at)
                .push(",")
                .push_bind(pinned)
                .push(",0,TRUE,0)");
            ev = ev
                .push("(")
                .push_bind(id)
                .push(",0,'approve','draft/in_review','published/approved','demo','演示数据：审核通过并发布',")
                .push_bind(pub_at)
                .push(")");
            if c.article_kind == "form" {
                att.push((id, format!("{}.pdf", title_stem(id))));
            }
        }
        tx.execute(art).await?;
        tx.execute(pl).await?;
        tx.execute(ev).await?;
        tx.commit().await?;
        for (aid, name) in att {
            let bytes = tiny_pdf(&name);
            let sha = crate::files::sha256(&bytes);
            crate::store::insert_attachment(
                db,
                &crate::store::NewAttachment {
                    article_id: Some(aid),
                    filename: &name,
                    mime: "application/pdf",
                    size: bytes.len() as i64,
                    sha: &sha,
                    user: 0,
                    text: "",
                },
            )
            .await?;
            crate::files::store_attachment(files_dir, &bytes)?;
        }
        written += count;
        progress(u64::from(written));
    }
    Ok(())
}

fn title_stem(id: i64) -> String {
    format!("申请表-{id}")
}

/// Search words citizens type most (the portal's site search).
const SEARCH_TERMS: [&str; 12] = [
    "营业执照",
    "公积金提取",
    "社保卡",
    "落户",
    "不动产登记",
    "医保报销",
    "事业单位招聘",
    "政府工作报告",
    "供暖",
    "低保",
    "新生儿出生",
    "老年证",
];

/// About `views` page views over four months (a year from a million on) replayed through the
/// kernel's counter as an access log would be: the portal busier than the departments together,
/// weekdays busier than weekends, a few articles read far more than the rest, visitors from search
/// engines, WeChat and typed addresses.
async fn demo_visits(state: &AppState, views: u32, rng: &mut StdRng) -> anyhow::Result<()> {
    if views == 0 {
        return Ok(());
    }
    use platform::analytics::{Device, Hit, PageFacts, Referrer};
    use std::sync::Arc;
    #[derive(sqlx::FromRow)]
    struct Page {
        site_id: i64,
        prefix: String,
        channel_id: i64,
        channel: String,
        article_id: i64,
        title: String,
    }
    let db = &state.db;
    let pages: Vec<Page> = db
        .fetch_all(sql(
            "SELECT p.site_id, s.path_prefix AS prefix, p.channel_id, c.name AS channel, a.id AS article_id, a.title \
             FROM placement p JOIN article a ON a.id = p.article_id JOIN channel c ON c.id = p.channel_id \
             JOIN site s ON s.id = p.site_id WHERE p.live ORDER BY p.pub_at DESC LIMIT 3000",
        ))
        .await?;
    let sites = crate::store::sites(db).await?;
    let uas = [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", Device::Desktop),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0", Device::Phone),
        ("Mozilla/5.0 (Linux; Android 14; HUAWEI) Chrome/131.0 Mobile Safari/537.36", Device::Phone),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1", Device::Tablet),
    ];
    let referrers = ["baidu.com", "baidu.com", "baidu.com", "so.com", "sogou.com", "mp.weixin.qq.com", "gov.cn"];
    let today = now() - now().rem_euclid(86_400);
    let days: u32 = if views >= 1_000_000 { 365 } else { 120 };
    // Half the views are the portal's, the rest shared by the other sites; weekends at half.
    let per_day = f64::from(views) / (f64::from(days) * 6.0 / 7.0);
    for day in (0..i64::from(days)).rev() {
        let start = today - day * 86_400;
        let weekday = time::OffsetDateTime::from_unix_timestamp(start).map_or(1, |t| t.weekday().number_from_monday());
        for (i, site) in sites.iter().enumerate() {
            let here: Vec<&Page> = pages.iter().filter(|p| p.site_id == site.id).collect();
            let share = if i == 0 { 0.5 } else { 0.5 / (sites.len().max(2) - 1) as f64 };
            let weekend = if weekday >= 6 { 0.5 } else { 1.0 };
            let n = (per_day * share * weekend * rng.random_range(0.85..1.15)) as u32;
            let facts_home = Arc::new(PageFacts { site_id: site.id, title: "首页".into(), ..Default::default() });
            for _ in 0..n {
                let visitor = rng.random_range(0..n * 2 / 5 + 1);
                let (ua, device) = uas[(visitor % 4) as usize];
                let roll: f64 = rng.random();
                let (path, facts) = if roll < 0.25 || here.is_empty() {
                    (format!("{}/", site.path_prefix), facts_home.clone())
                } else if roll < 0.30 && i == 0 {
                    let term = SEARCH_TERMS[rng.random_range(0..SEARCH_TERMS.len())];
                    let f = PageFacts {
                        site_id: site.id,
                        title: "站内搜索".into(),
                        search_term: Some(term.into()),
                        ..Default::default()
                    };
                    (format!("{}/search", site.path_prefix), Arc::new(f))
                } else {
                    // A few articles are read far more than the rest.
                    let u: f64 = rng.random();
                    let p = here[((u * u * u) * here.len() as f64) as usize % here.len()];
                    let f = PageFacts {
                        site_id: site.id,
                        channel: Some((p.channel_id, p.channel.as_str().into())),
                        article_id: Some(p.article_id),
                        title: p.title.as_str().into(),
                        search_term: None,
                    };
                    (format!("{}/a/{}.html", p.prefix, p.article_id), Arc::new(f))
                };
                let referrer = match rng.random_range(0..20) {
                    0..=7 => Referrer::Internal,
                    8..=10 => Referrer::Direct,
                    _ => Referrer::External(referrers[rng.random_range(0..referrers.len())].into()),
                };
                state.analytics.add(Hit {
                    at: (start + rng.random_range(0..86_400)).min(now()),
                    facts,
                    path,
                    referrer,
                    device,
                    address: format!("demo-{}-{visitor}", site.id),
                    user_agent: ua.len() as u64,
                });
            }
        }
        if day % 5 == 0 {
            state.analytics.flush(db).await?;
        }
    }
    state.analytics.flush(db).await?;
    Ok(())
}
