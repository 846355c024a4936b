//! `zhengwu demo`: a believable site group from the seeds' world — the Harbin city portal, the
//! science and technology bureau site, the Daoli district site, an enterprise-services sub-site and
//! special topics — with an org tree of real-looking units (valid 统一社会信用代码), one demo
//! account per role, and articles whose text is recombined from sentences of the original
//! requirement reports (`demo/sentences.txt`). `--articles N` scales the corpus for benchmarks;
//! articles are written in bulk, already published, with a history entry each.

use std::collections::HashMap;

use anyhow::Context;
use platform::accounts::{self, NewUser};
use platform::audit::{self, AuditKey, Event};
use platform::db::{Db, Exec, now, sql};
use platform::roles::{Grant, Role, ScopeKind};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

pub const DEMO_PASSWORD: &str = "Zhengwu@2026";

const SENTENCES: &str = include_str!("../demo/sentences.txt");

/// A valid 统一社会信用代码 for an organ of state (登记管理部门 1, 机关 1) in Harbin (230100):
/// the organisation code gets its GB 11714 check character and the whole its GB 32100 one.
pub fn uscc(seq: u32) -> String {
    const ALPHA: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body = format!("{:08}", 1_234_500 + seq);
    let w = [3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = body.chars().zip(w).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let c = match 11 - s % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    };
    let first17 = format!("11230100{body}{c}");
    let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = first17.chars().zip(weights).map(|(ch, w)| ALPHA.find(ch).unwrap_or(0) * w).sum();
    let check = ALPHA.chars().nth((31 - sum % 31) % 31).unwrap_or('0');
    format!("{first17}{check}")
}

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
const TOPICS: [&str; 24] = [
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
                ("zjbc", "走进冰城", "list", "none", "news", "", false, 0),
                ("csgk", "城市概况", "page", "none", "", "zjbc", false, 0),
                ("lsyg", "历史沿革", "page", "none", "", "zjbc", false, 0),
                ("xzqh", "行政区划", "page", "none", "", "zjbc", false, 0),
                ("bsfw", "办事服务", "link", "none", "", "", false, 0),
                ("grbs", "个人办事", "link", "none", "", "bsfw", false, 0),
                ("frbs", "法人办事", "link", "none", "", "bsfw", false, 0),
                ("kjfw", "科技服务", "link", "none", "", "bsfw", false, 0),
                ("bgxz", "表格下载", "list", "none", "form", "bsfw", false, 3),
                ("hdjl", "互动交流", "link", "none", "", "", false, 0),
                ("szxx", "市长信箱选登", "link", "none", "", "hdjl", false, 0),
                ("wyxx", "我要写信", "link", "none", "", "hdjl", false, 0),
                ("lxcx", "来信查询", "link", "none", "", "hdjl", false, 0),
                ("wsdc", "网上调查", "list", "notice", "notice", "hdjl", false, 1),
                ("zxft", "在线访谈", "list", "notice", "news", "hdjl", false, 1),
                ("yjzj", "意见征集", "list", "notice", "notice", "hdjl", false, 1),
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

/// Loads the demo (once: an existing site group is left as it is) and returns the demo accounts.
/// How much generated content the demo gets.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub articles: u32,
    pub letters: u32,
    pub applications: u32,
}

pub async fn load(
    db: &Db,
    key: &AuditKey,
    files_dir: &std::path::Path,
    sizes: Sizes,
    progress: impl Fn(u64),
) -> anyhow::Result<Demo> {
    let Sizes { articles, letters, applications } = sizes;
    let orgs = ensure_orgs(db).await?;
    let accounts_out = ensure_accounts(db, &orgs).await?;
    let created = cms::store::site_by_code(db, "hrb").await?.is_none();
    if created {
        let mut rng = StdRng::seed_from_u64(20_061_018);
        let text = Text::new();
        build_sites(db, &orgs, files_dir, articles, &text, &mut rng, &progress).await?;
        audit::record(
            db,
            key,
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
    }
    // After the sites, so the mailboxes belong to theirs.
    let created_letters = ensure_mailboxes(db, &orgs, letters).await?;
    crate::demo_services::load(db, &orgs, applications).await?;
    Ok(Demo { accounts: accounts_out, created, letters: created_letters })
}

/// The demo's mailboxes (市长信箱, 留言板, 投诉举报, 健康咨询 on the city portal; 科技问答 and 局长信箱
/// on the science bureau's site; 区长信箱 in Daoli) and `letters` generated letters of the past
/// year, when there are no letters yet. Returns how many were generated.
async fn ensure_mailboxes(db: &Db, orgs: &HashMap<&'static str, i64>, letters: u32) -> anyhow::Result<u32> {
    use interaction::store::{self as ix, Mailbox};
    let site =
        |code: &'static str| async move { cms::store::site_by_code(db, code).await.ok().flatten().map(|s| s.id) };
    let (hrb, kjj, daoli) = (site("hrb").await, site("kjj").await, site("daoli").await);
    let unit_list =
        |keys: &[&str]| keys.iter().filter_map(|k| orgs.get(k)).map(i64::to_string).collect::<Vec<_>>().join(",");
    let city_units = unit_list(&["kjj", "fgw", "wjw", "jyj", "zwzx", "dlq"]);
    type BoxSpec<'a> = (Option<i64>, &'a str, &'a str, &'a str, &'a str, i64, i64, String, &'a [&'a str]);
    let specs: Vec<BoxSpec> = vec![
        (
            hrb,
            "szxx",
            "市长信箱",
            "leader",
            "市长信箱是市民与市政府直接沟通的渠道，受理对全市经济社会发展的意见建议和反映的问题。\n来信请如实填写联系方式，涉及个人隐私的内容不会公开。涉法涉诉、信访事项请通过相应渠道反映。",
            3,
            15,
            city_units.clone(),
            &["城乡建设", "交通出行", "教育医疗", "社会保障", "营商环境", "其他"],
        ),
        (
            hrb,
            "bxly",
            "百姓留言板",
            "board",
            "欢迎对政府工作提出意见建议。留言经审核后公开，答复时间为受理后 10 个工作日。",
            2,
            10,
            city_units.clone(),
            &["意见建议", "问题反映"],
        ),
        (
            hrb,
            "tsjb",
            "投诉举报",
            "complaint",
            "受理对行政机关及其工作人员不作为、乱作为和损害营商环境行为的投诉举报。",
            3,
            15,
            city_units.clone(),
            &["行政效能", "营商环境", "其他"],
        ),
        (
            hrb,
            "jkzx",
            "健康咨询",
            "consult",
            "解答医疗服务、医保报销、疫苗接种等健康方面的咨询。",
            1,
            5,
            unit_list(&["wjw"]),
            &["医疗服务", "医保报销", "疾病预防"],
        ),
        (
            kjj,
            "kjwd",
            "科技问答",
            "consult",
            "解答科技计划项目申报、高新技术企业认定、科技成果转化等方面的咨询。",
            1,
            5,
            unit_list(&["kjj-jhc", "kjj-cgc", "kjj-bgs"]),
            &["项目申报", "高企认定", "成果转化"],
        ),
        (
            kjj,
            "jzxx",
            "局长信箱",
            "leader",
            "市科技局局长信箱，受理对科技工作的意见建议。",
            3,
            15,
            unit_list(&["kjj-bgs", "kjj-jhc", "kjj-cgc"]),
            &[],
        ),
        (
            daoli,
            "qzxx",
            "区长信箱",
            "leader",
            "道里区区长信箱，受理群众对全区工作的意见建议和诉求。",
            3,
            15,
            unit_list(&["dlq-bgs"]),
            &["城市管理", "社会事业", "其他"],
        ),
    ];
    let mut boxes = Vec::new();
    for (i, (site_id, code, name, kind, intro, accept, reply, units, cats)) in specs.into_iter().enumerate() {
        let m = match ix::mailbox_by_code(db, code).await? {
            Some(m) => m,
            None => {
                let m = Mailbox {
                    site_id,
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    intro: intro.into(),
                    accept_days: accept,
                    reply_days: reply,
                    warn_days: 3,
                    publish_replies: true,
                    unit_ids: units,
                    active: true,
                    sort_order: i64::try_from(i).unwrap_or(0),
                    ..Mailbox::default()
                };
                let id = ix::save_mailbox(db, &m).await?;
                ix::set_categories(db, id, &cats.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()).await?;
                ix::mailbox(db, id).await?.context("mailbox")?
            }
        };
        let cats = ix::categories(db, m.id).await?;
        boxes.push((m, cats));
    }
    if db.count(sql("SELECT COUNT(*) FROM letter")).await? > 0 || letters == 0 {
        return Ok(0);
    }
    let units: Vec<i64> = ["kjj", "fgw", "wjw", "jyj", "zwzx", "dlq-bgs", "kjj-jhc"]
        .iter()
        .filter_map(|k| orgs.get(k).copied())
        .collect();
    let now = platform::db::now();
    let spec = interaction::generate::Spec {
        count: letters as usize,
        seed: 12_345,
        from: now - 365 * 86_400,
        to: now - 3600,
        today: interaction::service::date_text(interaction::service::today()),
    };
    interaction::generate::generate(db, &boxes, &units, &spec).await?;
    db.resync_identity("letter").await?;
    Ok(letters)
}

/// What `load` did: the demo accounts, and whether the site group was created now (a second run
/// leaves an existing site group as it is).
pub struct Demo {
    pub accounts: Vec<(String, String)>,
    pub created: bool,
    /// Letters generated now (0 when there were letters already).
    pub letters: u32,
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
    let specs: [(&str, &str, &str, Option<Role>, &str); 12] = [
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
        ("leader", "陈市长", "bgt", None, "领导：市政府门户网站的信箱批示、统计"),
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

async fn grant(db: &Db, username: &str, role: Role, scope: ScopeKind, scope_id: i64) -> anyhow::Result<()> {
    let u = accounts::user_by_name(db, username).await?.context("demo user")?;
    match accounts::add_grant(db, u.id, Grant { role, scope, scope_id }, "demo").await {
        Ok(_) | Err(accounts::GrantStoreError::Rule(platform::roles::GrantError::Duplicate)) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

struct Chan {
    id: i64,
    site_id: i64,
    article_kind: &'static str,
    weight: u32,
    dept: Option<i64>,
}

async fn build_sites(
    db: &Db,
    orgs: &HashMap<&'static str, i64>,
    files_dir: &std::path::Path,
    articles: u32,
    text: &Text,
    rng: &mut StdRng,
    progress: &impl Fn(u64),
) -> anyhow::Result<()> {
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
        let site = cms::store::Site {
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
            ..Default::default()
        };
        let site_id = cms::store::insert_site(db, &site).await?;
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
                ("kjj", "xmsb") => "/banshi/calls/".to_owned(),
                (_, "hdjl") => "/hudong/".to_owned(),
                (_, "szxx" | "jzxx" | "qzxx") => format!("/hudong/{slug}/"),
                _ => String::new(),
            };
            let c = cms::store::Channel {
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
            let id = cms::store::insert_channel(db, &c).await?;
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
    grant(db, "editor", Role::Editor, ScopeKind::Site, hrb).await?;
    grant(db, "editor", Role::Editor, ScopeKind::Site, kjj).await?;
    grant(db, "reviewer_dept", Role::Reviewer, ScopeKind::Org, orgs.get("kjj").copied().unwrap_or(0)).await?;
    grant(db, "reviewer_office", Role::Reviewer, ScopeKind::Site, hrb).await?;
    grant(db, "reviewer_office", Role::Reviewer, ScopeKind::Site, kjj).await?;
    grant(db, "daoli_editor", Role::Editor, ScopeKind::Site, daoli).await?;
    // Handlers and leaders are scoped the way a real deployment is: a unit's handler sees only its
    // own unit's letters and applications, the leader only the city portal's mailboxes.
    let org = |code: &str| orgs.get(code).copied().unwrap_or(0);
    grant(db, "handler", Role::Handler, ScopeKind::Org, org("kjj")).await?;
    grant(db, "handler_scj", Role::Handler, ScopeKind::Org, org("scj")).await?;
    grant(db, "handler_daoli", Role::Handler, ScopeKind::Org, org("dlq")).await?;
    grant(db, "handler_daoli", Role::Reviewer, ScopeKind::Org, org("dlq")).await?;
    grant(db, "leader", Role::Leader, ScopeKind::Site, hrb).await?;
    write_articles(db, files_dir, &chans, articles, text, rng, progress).await?;
    db.resync_identity("article").await?;
    // 引用/推送: the city portal adopts the newest science-bureau news into 部门动态.
    let bmdt: Option<i64> = cms::store::channels_of(db, hrb).await?.iter().find(|c| c.slug == "bmdt").map(|c| c.id);
    if let Some(bmdt) = bmdt {
        let kjj_yw = cms::store::channels_of(db, kjj).await?.iter().find(|c| c.slug == "yw").map(|c| c.id).unwrap_or(0);
        for it in cms::store::channel_items(db, kjj_yw, 10, 0).await? {
            db.execute(sql("INSERT INTO placement (article_id, channel_id, site_id, pub_at, pinned, pin_order, live, added_by) VALUES ($1,$2,$3,$4,FALSE,0,TRUE,0)").bind(it.id).bind(bmdt).bind(hrb).bind(it.pub_at)).await?;
        }
    }
    for (org, target) in [("kjj", 600), ("bgt", 1200), ("dlq", 400), ("fgw", 200)] {
        if let Some(o) = orgs.get(org) {
            cms::store::set_quota(db, *o, i64::from(current_year()), target).await?;
        }
    }
    Ok(())
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

/// Writes `n` published articles spread over the channels by weight, newest first in time,
/// in multi-row inserts (fast enough for a million).
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
            let Some(c) = c else { continue };
            // Article i of n is placed i/n of the way back in time, so ids and dates agree.
            let pub_at =
                t_end - (span as f64 * (f64::from(n - i) / f64::from(n.max(1)))) as i64 + rng.random_range(0..3600);
            let title = title(c.article_kind, rng);
            let body = text.body(rng);
            let summary = cms::sanitize::excerpt(&body, 90);
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
            let sha = cms::files::sha256(&bytes);
            cms::store::insert_attachment(
                db,
                &cms::store::NewAttachment {
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
            cms::files::store_attachment(files_dir, &bytes)?;
        }
        written += count;
        progress(u64::from(written));
    }
    Ok(())
}

fn title_stem(id: i64) -> String {
    format!("申请表-{id}")
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
