//! The demo's shared data: the market regulator's enterprise registry file (GBK CSV, as their
//! exchange drops it, with a few rows the registry got wrong) imported through the framework from a
//! watched folder scheduled Monday and Thursday 02:00, and an open-data catalogue with a directory
//! table, versioned files and an API; the monitoring stations' history; the departments' files the
//! population database merges; the register of the map's points.

use platform::db::sql;
use platform::module::DemoSetup;
use platform::web::AppState;

use crate::catalogue::{self, DatasetInput, ResourceInput};
use crate::domain::{AREAS, INDUSTRIES};
use crate::import;

/// A small deterministic generator (the demo is the same on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A valid 统一社会信用代码 for enterprise `n` registered in `area`: 9 (工商) 1 (企业), the area
/// code, a 组织机构代码 with its GB 11714 check character, and the GB 32100 check character.
pub fn credit_code(area: &str, n: u32) -> String {
    let body = format!("{:08}", 10_000_000 + n);
    let w = [3u32, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(w).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let c9 = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    };
    let first17 = format!("91{area}{body}{c9}");
    let check = platform::codes::uscc_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

const WORDS: [&str; 24] = [
    "冰城",
    "松江",
    "龙江",
    "北方",
    "金谷",
    "华信",
    "远东",
    "太阳岛",
    "中央",
    "哈工",
    "雪乡",
    "黑土",
    "联创",
    "恒泰",
    "鼎盛",
    "众成",
    "瑞丰",
    "宏达",
    "博远",
    "新源",
    "汇通",
    "安泰",
    "兴华",
    "亚麻",
];
const TRADES: [(&str, &str, &str); 12] = [
    ("C", "机械制造", "通用机械、农业机械的制造和销售"),
    ("C", "食品", "乳制品、粮食加工品的生产和销售"),
    ("A", "农业科技", "农作物种植、农业技术推广服务"),
    ("E", "建筑工程", "房屋建筑工程、市政公用工程施工"),
    ("F", "商贸", "日用百货、五金交电的批发和零售"),
    ("G", "物流", "普通货物道路运输、仓储服务"),
    ("H", "餐饮管理", "餐饮服务、食品销售"),
    ("I", "信息技术", "软件开发、信息系统集成服务"),
    ("M", "科技", "技术开发、技术咨询、技术转让"),
    ("L", "商务咨询", "企业管理咨询、会议及展览服务"),
    ("K", "房地产开发", "房地产开发经营、物业管理"),
    ("R", "文化传媒", "文艺创作、广告设计和制作"),
];
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马"];
const GIVEN: [&str; 12] = ["伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"];
const STREETS: [&str; 8] = ["中央大街", "红军街", "果戈里大街", "学府路", "长江路", "友谊路", "哈平路", "世纪大道"];

/// The registry's export as its exchange writes it: GBK CSV with its own column names.
pub fn registry_csv(count: u32, bad_every: u32) -> Vec<u8> {
    let mut g = Lcg(20_061_106);
    let mut out = String::from(
        "统一社会信用代码,企业名称,企业类型,法定代表人,行业门类,行政区划,成立日期,注册资本,住所,经营范围,登记状态,联系电话\n",
    );
    for n in 0..count {
        let (area, area_name) = *g.pick(&AREAS);
        let (industry, trade, scope) = *g.pick(&TRADES);
        let mut code = credit_code(area, n);
        let name = format!("哈尔滨{}{}{}有限公司", g.pick(&WORDS), g.pick(&WORDS), trade);
        let year = 1995 + (g.next() % 31) as i32;
        let mut date = format!("{year}/{}/{}", 1 + g.next() % 12, 1 + g.next() % 28);
        // A few rows as registries really send them wrong: a mistyped check character, a date
        // that does not exist.
        if bad_every > 0 && n % bad_every == bad_every - 1 {
            if (n / bad_every).is_multiple_of(2) {
                let last = code.pop().unwrap_or('0');
                code.push(if last == '1' { '2' } else { '1' });
            } else {
                date = format!("{year}-02-30");
            }
        }
        let status = if g.next().is_multiple_of(20) { "注销" } else { "存续" };
        let kind = if g.next().is_multiple_of(10) { "股份有限公司" } else { "有限责任公司" };
        out.push_str(&format!(
            "{code},{name},{kind},{}{},{industry},{area},{date},{},{}{}{}号,{scope},{status},0451-8{:07}\n",
            g.pick(&SURNAMES),
            g.pick(&GIVEN),
            [50, 100, 200, 500, 1000, 3000][(g.next() % 6) as usize],
            area_name,
            g.pick(&STREETS),
            1 + g.next() % 300,
            g.next() % 10_000_000,
        ));
    }
    gbk(&out)
}

/// Where each county-level division's points gather (its seat, in degrees) and how many of the
/// city's points it holds (the urban districts most).
const AREA_SEATS: [(f64, f64, u32); 18] = [
    (126.6166, 45.7701, 14),
    (126.6690, 45.7600, 16),
    (126.6490, 45.7920, 12),
    (126.6370, 45.5980, 5),
    (126.5630, 45.8080, 7),
    (126.6800, 45.7240, 10),
    (126.5880, 45.8890, 5),
    (126.9580, 45.5480, 4),
    (126.3120, 45.3830, 4),
    (129.5670, 46.3250, 2),
    (128.8300, 45.8510, 2),
    (127.4660, 45.7450, 3),
    (127.4030, 46.0850, 2),
    (128.0430, 45.9500, 2),
    (128.7460, 45.9900, 2),
    (128.3310, 45.4510, 2),
    (128.0090, 45.2100, 4),
    (127.1670, 44.9320, 4),
];

const NEIGHBOURHOODS: [&str; 16] = [
    "新阳", "兆麟", "尚志", "通江", "工程", "哈西", "先锋", "和平", "奋斗", "花园", "大成", "靖宇", "太平", "黎明",
    "松浦", "建国",
];

const SIGHTS: [&str; 10] = [
    "中央大街",
    "圣索菲亚教堂",
    "太阳岛风景区",
    "防洪纪念塔",
    "哈尔滨极地公园",
    "东北虎林园",
    "伏尔加庄园",
    "金上京历史博物馆",
    "哈尔滨大剧院",
    "龙塔",
];

/// 1–9999 in Chinese numerals, as school names are written (第十七中学, 第一百零二小学); larger
/// numbers (only a benchmark's map has that many schools) in digits.
fn chinese_number(n: u32) -> String {
    if n >= 10_000 {
        return n.to_string();
    }
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    const UNITS: [&str; 4] = ["", "十", "百", "千"];
    let ds: Vec<u32> = n.to_string().chars().filter_map(|c| c.to_digit(10)).collect();
    let mut out = String::new();
    let mut zero = false;
    for (i, d) in ds.iter().enumerate() {
        let place = ds.len() - 1 - i;
        if *d == 0 {
            zero = true;
            continue;
        }
        if zero && !out.is_empty() {
            out.push('零');
        }
        zero = false;
        // 十七, not 一十七, when ten is the leading place.
        if !(*d == 1 && place == 1 && i == 0) {
            out.push(DIGITS[*d as usize]);
        }
        out.push_str(UNITS[place]);
    }
    out
}

/// The city's points of interest as the natural-resources bureau's register exports them (UTF-8
/// CSV): halls, schools, hospitals, sights and everyday services, each near its district's seat;
/// every `bad_every`-th row has a mistyped coordinate, as registers do.
pub fn poi_csv(count: u32, bad_every: u32) -> String {
    let mut g = Lcg(20_060_401);
    let weights: u32 = AREA_SEATS.iter().map(|a| a.2).sum();
    let mut out = String::from("编号,名称,类别,所在区域,地址,经度,纬度,联系电话,开放时间,网址,简介\n");
    let mut serial = [0u32; 9];
    for n in 0..count {
        let mut w = (g.next() % u64::from(weights)) as u32;
        let a = AREA_SEATS
            .iter()
            .position(|s| {
                if w < s.2 {
                    true
                } else {
                    w -= s.2;
                    false
                }
            })
            .unwrap_or(0);
        let (area, area_name) = AREAS[a];
        let (lng0, lat0, _) = AREA_SEATS[a];
        // Roughly normal around the seat (the sum of three uniforms), about 4 km across in town.
        let spread = if a < 9 { 0.035 } else { 0.05 };
        let mut off = || ((g.next() % 10_000 + g.next() % 10_000 + g.next() % 10_000) as f64 / 15_000.0 - 1.0) * spread;
        let (lng, lat) = (lng0 + off() * 1.4, lat0 + off());
        let place = NEIGHBOURHOODS[(g.next() % NEIGHBOURHOODS.len() as u64) as usize];
        let cat = match g.next() % 100 {
            0..=3 => 0,
            4..=23 => 1,
            24..=33 => 2,
            34..=37 => 3,
            38..=67 => 4,
            68..=75 => 5,
            76..=85 => 6,
            86..=92 => 7,
            _ => 8,
        };
        serial[cat] += 1;
        let k = serial[cat];
        let (name, hours, url, about) = match cat {
            0 if k == 1 => (
                "哈尔滨市政务服务中心".to_owned(),
                "工作日 9:00–17:00",
                "/banshi/",
                "市级政务服务事项集中办理，设综合受理窗口和企业开办专区。",
            ),
            0 => (
                format!("{area_name}{place}街道便民服务中心（{k}）"),
                "工作日 8:30–17:00",
                "/banshi/",
                "社保、医保、民政、户籍等事项就近办理。",
            ),
            1 => {
                (format!("{area_name}第{}{}", chinese_number(k), if k % 3 == 0 { "中学" } else { "小学" }), "", "", "")
            }
            2 if k % 4 == 0 => (format!("{area_name}人民医院{}分院", k / 4), "全天", "", "提供门诊、急诊和住院服务。"),
            2 => (
                format!("{area_name}{place}社区卫生服务中心（{k}）"),
                "8:00–17:00",
                "",
                "基本医疗、预防接种和家庭医生签约服务。",
            ),
            3 => (
                if (k as usize) <= SIGHTS.len() {
                    SIGHTS[k as usize - 1].to_owned()
                } else {
                    format!("{area_name}{place}历史街区（{k}）")
                },
                "9:00–17:00",
                "",
                "对公众开放，节假日客流较大，请错峰出行。",
            ),
            4 => {
                let kind = ["社区服务站", "邮政所", "菜市场", "社保服务站", "公共卫生间"][(k % 5) as usize];
                (format!("{place}{kind}（{k}）"), "", "", "")
            }
            5 => (format!("{area_name}{place}公园（{k}）"), "5:00–21:00", "", ""),
            6 => (format!("{place}公交首末站（{k}）"), "5:30–22:00", "", ""),
            7 => (format!("{area_name}{place}全民健身中心（{k}）"), "9:00–21:00", "", ""),
            _ => (format!("{area_name}{place}养老服务中心（{k}）"), "全天", "", "日间照料、助餐和上门服务。"),
        };
        let cat_label = crate::domain::POI_CATEGORIES[cat].1;
        let mut lng_text = format!("{lng:.6}");
        if bad_every > 0 && n % bad_every == bad_every - 1 {
            // A register's typing slip: the longitude lost its first digit.
            lng_text = lng_text[1..].to_owned();
        }
        out.push_str(&format!(
            "POI{:06},{name},{cat_label},{area},{area_name}{place}路{}号,{lng_text},{lat:.6},0451-8{:07},{hours},{url},{about}\n",
            n + 1,
            1 + g.next() % 300,
            g.next() % 10_000_000,
        ));
    }
    out
}

/// The map's points: the register's file imported through its source.
async fn load_map(state: &AppState, demo: &DemoSetup, data_dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let count = demo.size("pois");
    let Some(org) = demo.org("zwzx") else { return Ok(Vec::new()) };
    if count == 0 {
        return Ok(Vec::new());
    }
    let folder = data_dir.join("exchange").join("poi");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("兴趣点登记表.csv"), poi_csv(count, 2000))?;
    let source = watched_source(
        &state.db,
        DemoSource {
            org, name: "全市公共服务设施点位", target: "poi", schedule: ("1", "03:00"), priority: 0
        },
        &crate::mapping::Mapping::default(),
        &folder,
    )
    .await?;
    let Some(r) = import::run_watched(&state.db, &state.audit_key, &source).await.map_err(anyhow::Error::msg)? else {
        return Ok(Vec::new());
    };
    Ok(vec![format!("信息资源：地图兴趣点导入 {} 个（拒绝 {}），地图服务 /shuju/ditu/", r.inserted, r.rejected)])
}

/// A demo import source: whose, what, when it runs by itself.
struct DemoSource {
    org: i64,
    name: &'static str,
    target: &'static str,
    /// Days (1–7, comma-separated) and time; empty when it runs only on demand.
    schedule: (&'static str, &'static str),
    priority: i64,
}

/// Saves a source reading from `folder`.
async fn watched_source(
    db: &platform::db::Db,
    s: DemoSource,
    mapping: &crate::mapping::Mapping,
    folder: &std::path::Path,
) -> anyhow::Result<import::Source> {
    let now = platform::db::now();
    let id: platform::db::Scalar<i64> = db
        .fetch_one(
            sql("INSERT INTO data_source (org_id, name, target, mapping, schedule_days, schedule_time, watch_dir, created_by, created_at, updated_at, priority) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'siteadmin', $8, $8, $9) RETURNING id")
            .bind(s.org)
            .bind(s.name)
            .bind(s.target)
            .bind(serde_json::to_string(mapping)?)
            .bind(s.schedule.0)
            .bind(s.schedule.1)
            .bind(folder.to_string_lossy().into_owned())
            .bind(now)
            .bind(s.priority),
        )
        .await?;
    import::source(db, id.0).await?.ok_or_else(|| anyhow::anyhow!("数据源未保存"))
}

/// Text as the registry's Windows exchange writes it (GBK).
pub fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM data_source")).await? > 0 {
        return Ok(Vec::new());
    }
    let (Some(scj), Some(zwzx)) = (demo.org("scj"), demo.org("zwzx")) else { return Ok(Vec::new()) };
    let orgs = platform::accounts::list_orgs(db).await?;
    let code_of = |id: i64| orgs.iter().find(|o| o.id == id).map(|o| o.code.clone()).unwrap_or_default();
    let data_dir = demo.files_dir.parent().map(std::path::Path::to_path_buf).unwrap_or_default();

    // The registry drops its file into a folder the scheduled runs read.
    let exchange = data_dir.join("exchange").join("scj");
    std::fs::create_dir_all(&exchange)?;
    let count = demo.size("enterprises");
    let file = exchange.join("企业登记信息.csv");
    std::fs::write(&file, registry_csv(count, 1500))?;
    let labels: Vec<String> = crate::enterprise::SCHEMA.fields.iter().map(|f| f.label.to_owned()).collect();
    let mut mapping = crate::mapping::Mapping::guess(&crate::enterprise::SCHEMA, &labels);
    for c in &mut mapping.0 {
        c.column = match c.field.as_str() {
            "industry" => "行业门类".into(),
            "area_code" => "行政区划".into(),
            "capital" => "注册资本".into(),
            _ => c.column.clone(),
        };
    }
    let source = watched_source(
        db,
        DemoSource {
            org: scj,
            name: "市场监管局企业登记数据",
            target: "enterprise",
            schedule: ("1,4", "02:00"),
            priority: 0,
        },
        &mapping,
        &exchange,
    )
    .await?;
    let mut lines = Vec::new();
    if count > 0 {
        let run = import::run_watched(db, &state.audit_key, &source).await.map_err(anyhow::Error::msg)?;
        if let Some(r) = run {
            lines.push(format!(
                "信息资源：企业名录导入 {} 行（新增 {}，拒绝 {}，见数据导入的运行报告）",
                r.total, r.inserted, r.rejected
            ));
        }
    }

    // The open-data catalogue.
    let mk = |name: &str, title: &str, notes: &str, org: i64, theme: &str, keywords: &str, freq: &str| DatasetInput {
        name: name.into(),
        title: title.into(),
        notes: notes.into(),
        org: code_of(org),
        theme: theme.into(),
        keywords: keywords.into(),
        licence: "cc-by-4.0".into(),
        frequency: freq.into(),
        spatial: "230100".into(),
        temporal_from: "2020-01-01".into(),
        temporal_to: String::new(),
        open_condition: "无条件开放".into(),
        contact_name: "数据资源科".into(),
        contact_email: "data@harbin.gov.cn".into(),
    };
    let directory = catalogue::create(
        db,
        &mk("qiye-minglu", "哈尔滨市企业名录", "全市登记企业的公开登记信息：统一社会信用代码、名称、类型、行业、区域、成立日期、注册资本、住所、经营范围和登记状态。每周一、四凌晨从登记机关的数据交换更新。", scj, "市场监管", "企业,市场主体,登记", "每周两次"),
        scj,
    )
    .await?;
    let fields: Vec<String> = crate::enterprise::FIELDS
        .iter()
        .filter(|f| f.public && f.key != "legal_rep")
        .map(|f| f.key.to_owned())
        .collect();
    catalogue::add_resource(
        db,
        directory,
        &ResourceInput {
            name: "企业名录（CSV）".into(),
            description: "下载时生成最新数据".into(),
            kind: "table".into(),
            table_name: "enterprise".into(),
            fields,
            ..Default::default()
        },
    )
    .await?;

    let halls = catalogue::create(
        db,
        &mk(
            "banshi-dating",
            "政务服务大厅分布",
            "市、区两级政务服务大厅和便民服务站的名称、地址、办公时间和咨询电话。",
            zwzx,
            "社保就业",
            "政务服务,大厅,地址",
            "每季度",
        ),
        zwzx,
    )
    .await?;
    let r = catalogue::add_resource(
        db,
        halls,
        &ResourceInput { name: "服务大厅名录".into(), kind: "file".into(), ..Default::default() },
    )
    .await?;
    let res = catalogue::resource(db, r).await?.ok_or_else(|| anyhow::anyhow!("资源未保存"))?;
    let v1 = "名称,地址,办公时间,咨询电话\n哈尔滨市政务服务中心,道里区友谊路 118 号,工作日 9:00-17:00,0451-12345\n道里区政务服务中心,道里区安静街 3 号,工作日 9:00-17:00,0451-84600001\n";
    let v2 = format!(
        "{v1}南岗区政务服务中心,南岗区学府路 82 号,工作日 8:30-17:00,0451-86300001\n松北区政务服务中心,松北区世纪大道 1 号,工作日 8:30-17:00,0451-88100001\n"
    );
    catalogue::add_version(db, &data_dir, &res, "服务大厅名录-2026年第三季度.csv", v1.as_bytes().to_vec(), "siteadmin")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    catalogue::add_version(db, &data_dir, &res, "服务大厅名录-2026年第四季度.csv", v2.into_bytes(), "siteadmin")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let stats = catalogue::create(
        db,
        &mk(
            "qiye-hangye-tongji",
            "各行业新登记企业数量",
            "按国民经济行业门类统计的年度新登记企业数量，由企业名录生成。",
            scj,
            "经济建设",
            "企业,统计,行业",
            "每年",
        ),
        scj,
    )
    .await?;
    let mut csv = String::from("行业门类代码,行业门类,新登记企业数\n");
    for (c, l) in INDUSTRIES.iter().take(19) {
        let n = db.count(sql("SELECT COUNT(*) FROM data_enterprise WHERE industry = $1").bind(*c)).await?;
        csv.push_str(&format!("{c},\"{l}\",{n}\n"));
    }
    let r = catalogue::add_resource(
        db,
        stats,
        &ResourceInput { name: "分行业统计".into(), kind: "file".into(), ..Default::default() },
    )
    .await?;
    let res = catalogue::resource(db, r).await?.ok_or_else(|| anyhow::anyhow!("资源未保存"))?;
    catalogue::add_version(db, &data_dir, &res, "分行业新登记企业数量.csv", csv.into_bytes(), "siteadmin")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let api = catalogue::create(
        db,
        &mk(
            "banshi-shixiang",
            "政务服务事项目录接口",
            "全市政务服务事项的编码、名称、实施主体和办理时限，通过平台的开放接口按需获取。",
            zwzx,
            "社保就业",
            "政务服务,事项,接口",
            "实时",
        ),
        zwzx,
    )
    .await?;
    catalogue::add_resource(
        db,
        api,
        &ResourceInput {
            name: "事项目录接口".into(),
            kind: "api".into(),
            url: "/banshi/".into(),
            format: "HTML".into(),
            ..Default::default()
        },
    )
    .await?;

    // A draft the public does not see.
    catalogue::create(
        db,
        &mk(
            "shipin-choujian",
            "食品安全抽检结果（整理中）",
            "各季度食品安全监督抽检的结果。",
            scj,
            "市场监管",
            "食品安全,抽检",
            "每季度",
        ),
        scj,
    )
    .await?;

    for id in [directory, halls, stats, api] {
        if let Some(d) = catalogue::by_id(db, id).await? {
            catalogue::set_state(db, &d, "published").await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    lines.push(load_monitoring(db, demo, scj).await?);
    lines.extend(load_population(state, demo, &data_dir).await?);
    lines.extend(load_map(state, demo, &data_dir).await?);
    lines.push(
        "信息资源：数据开放目录 5 个数据集（4 个已开放，1 个草稿），CKAN 接口 /api/3/action/package_search".into(),
    );
    Ok(lines)
}

/// A year of hourly readings (or `monitor_days`) for a reservoir, two air stations and a sewage
/// outlet, with the gaps real stations have (a six-hour outage, a day of maintenance).
async fn load_monitoring(db: &platform::db::Db, demo: &DemoSetup, org: i64) -> anyhow::Result<String> {
    use crate::monitor::{self, PointIn, parse_metric};
    let days = i64::from(demo.size("monitor_days"));
    let now = platform::db::now();
    let end = monitor::hour_start(now);
    let hours = days * 24;
    let air: &[&str] = &[
        "pm25|细颗粒物（PM2.5）|μg/m³|3600||75",
        "pm10|可吸入颗粒物（PM10）|μg/m³|3600||150",
        "so2|二氧化硫|μg/m³|3600||150",
        "no2|二氧化氮|μg/m³|3600||80",
        "co|一氧化碳|mg/m³|3600||4",
        "o3|臭氧|μg/m³|3600||200",
    ];
    let stations: [(&str, &str, &str, &str, &[&str]); 4] = [
        (
            "xqy-reservoir",
            "西泉眼水库水文站",
            "water_level",
            "阿城区西泉眼镇",
            &["level|库水位|米|3600|205|214.5", "storage|蓄水量|万立方米|3600"],
        ),
        ("daoli-air", "道里区空气质量监测站", "air", "道里区安静街", air),
        ("songbei-air", "松北区空气质量监测站", "air", "松北区世纪大道", air),
        (
            "wenchang-outfall",
            "文昌污水处理厂排放口",
            "emission",
            "道外区文昌街",
            &["cod|化学需氧量|mg/L|3600||50", "nh3n|氨氮|mg/L|3600||5"],
        ),
    ];
    let mut g = Lcg(19_800_815);
    let mut total = 0usize;
    for (code, name, kind, address, lines) in stations {
        let specs: Vec<_> =
            lines.iter().map(|l| parse_metric(l).map_err(anyhow::Error::msg)).collect::<Result<_, _>>()?;
        monitor::create_station(
            db,
            &monitor::NewStation {
                code,
                name,
                kind,
                org_id: org,
                address,
                alarm_email: "zhiban@harbin.gov.cn",
                metrics: &specs,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let station = monitor::station_by_code(db, code).await?.ok_or_else(|| anyhow::anyhow!("站点未保存"))?;
        let mut points = Vec::new();
        for h in (0..hours).rev() {
            let ts = end - h * 3600;
            // Outages: six hours three days ago at the reservoir, a maintenance day 20 days ago at 道里.
            if (code == "xqy-reservoir" && (72..78).contains(&h)) || (code == "daoli-air" && (480..504).contains(&h)) {
                continue;
            }
            let day_of_year = ((ts + 8 * 3600) / 86_400 % 365) as f64;
            let hour = ((ts + 8 * 3600) / 3600 % 24) as f64;
            // The heating season (November to March) is the smoggy one in Harbin.
            let winter = ((day_of_year - 15.0) / 365.0 * std::f64::consts::TAU).cos().max(0.0);
            let daily = ((hour - 8.0) / 24.0 * std::f64::consts::TAU).cos();
            let season = ((day_of_year - 200.0) / 365.0 * std::f64::consts::TAU).cos();
            for s in &specs {
                let noise = (g.next() % 1000) as f64 / 1000.0 - 0.5;
                let v = match s.code.as_str() {
                    "level" => 209.0 + 2.5 * season + 0.1 * noise,
                    "storage" => 28_000.0 + 9_000.0 * season + 50.0 * noise,
                    "pm25" => (25.0 + 55.0 * winter + 12.0 * daily + 20.0 * noise).max(3.0),
                    "pm10" => (45.0 + 70.0 * winter + 15.0 * daily + 30.0 * noise).max(5.0),
                    "so2" => (8.0 + 30.0 * winter + 6.0 * noise).max(2.0),
                    "no2" => (25.0 + 15.0 * winter + 10.0 * daily + 8.0 * noise).max(3.0),
                    "co" => (0.5 + 1.2 * winter + 0.3 * noise).max(0.1),
                    "o3" => (60.0 + 50.0 * (1.0 - winter) - 30.0 * daily + 20.0 * noise).max(5.0),
                    "cod" => (28.0 + 10.0 * noise).max(5.0),
                    _ => (2.0 + 1.5 * noise).max(0.1),
                };
                points.push(PointIn {
                    metric: s.code.clone(),
                    time: serde_json::json!(ts),
                    value: (v * 100.0).round() / 100.0,
                });
            }
        }
        total += points.len();
        monitor::ingest(db, &station, &points, now).await?;
    }
    Ok(format!("信息资源：动态监测 4 个站点，{days} 天的小时数据 {total} 个（含缺测时段）—— /shuju/jiance/"))
}

/// A valid 公民身份号码 for person `n`: a district of the city, a birth date, a sequence whose
/// parity is the sex, and the GB 11643 check character.
fn id_number(n: u32, g: &mut Lcg) -> String {
    let area = AREAS[(n as usize * 7 + 3) % AREAS.len()].0;
    let year = 1935 + g.next() % 90;
    let month = 1 + g.next() % 12;
    let day = 1 + g.next() % 28;
    let first17 = format!("{area}{year}{month:02}{day:02}{:03}", n % 1000);
    let check = platform::codes::id_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// One department's export for the population database.
pub struct DepartmentFile {
    pub org: &'static str,
    pub name: &'static str,
    pub priority: i64,
    pub folder: &'static str,
    pub file: &'static str,
    pub csv: String,
}

/// The four departments' exports over `people` people: 公安 registers everyone; 卫健, 人社 and 民政
/// know some of them and disagree now and then as real registers do (a 婚姻状况 the household
/// register has not caught up with, a name typed with another character, a newer phone or address),
/// and each sends its own columns besides the shared ones. A few rows carry a mistyped ID number.
pub fn population_files(people: u32) -> Vec<DepartmentFile> {
    let mut g = Lcg(20_261_207);
    let ids: Vec<String> = (0..people).map(|n| id_number(n, &mut g)).collect();
    let name = |g: &mut Lcg| format!("{}{}", g.pick(&SURNAMES), g.pick(&GIVEN));
    let names: Vec<String> = (0..people).map(|_| name(&mut g)).collect();
    let marital = ["未婚", "已婚", "已婚", "已婚", "丧偶", "离婚"];
    let mut police =
        String::from("公民身份号码,姓名,性别,民族,户籍地,户别,婚姻状况,现住址,户号,与户主关系,户籍登记日期\n");
    let mut health = String::from("身份证号,姓名,婚姻状况,联系电话,生育子女数,随访日期,签约家庭医生\n");
    let mut welfare = String::from("身份证号码,姓名,现住址,救助类别,低保证号,核定日期\n");
    let mut insurance = String::from("证件号码,姓名,联系电话,文化程度,参保状态,参保日期,缴费档次\n");
    let education = ["小学", "初中", "高中", "中专", "大专", "大学本科", "研究生"];
    for n in 0..people {
        let i = n as usize;
        let mut id = ids[i].clone();
        if n % 997 == 500 {
            // A mistyped check character: the row is rejected and reported.
            let last = id.pop().unwrap_or('0');
            id.push(if last == '1' { '2' } else { '1' });
        }
        let area = crate::domain::label(&AREAS, &ids[i][..6]);
        let sex = if (ids[i].as_bytes()[16] - b'0') % 2 == 1 { "男" } else { "女" };
        let m = *g.pick(&marital);
        let address = format!(
            "{area}{}{}号{}单元{}室",
            g.pick(&STREETS),
            1 + g.next() % 300,
            1 + g.next() % 6,
            101 + g.next() % 1500
        );
        police.push_str(&format!(
            "{id},{},{sex},{},{area},{},{m},{address},{:09},{},{}\n",
            names[i],
            if n % 19 == 0 { "满族" } else { "汉族" },
            if n % 23 == 0 { "集体户" } else { "家庭户" },
            100_000 + n / 3,
            ["户主", "配偶", "子女"][i % 3],
            format_args!("{}-{:02}-{:02}", 1990 + n % 35, 1 + n % 12, 1 + n % 28),
        ));
        if n % 5 < 2 {
            // 卫健: now and then a marriage the household register does not show yet.
            let m2 = if n % 47 == 0 { if m == "已婚" { "离婚" } else { "已婚" } } else { m };
            health.push_str(&format!(
                "{},{},{m2},1{}{:09},{},{},{}\n",
                ids[i],
                names[i],
                [3, 5, 8][i % 3],
                g.next() % 1_000_000_000,
                g.next() % 3,
                format_args!("2026-{:02}-{:02}", 1 + n % 11, 1 + n % 28),
                if n % 2 == 0 { "是" } else { "否" },
            ));
        }
        if n % 10 == 3 {
            // 民政: a name typed with another character now and then; a newer address.
            let typed = match names[i].chars().next() {
                Some(surname) if n % 30 == 3 => format!("{surname}玮"),
                _ => names[i].clone(),
            };
            welfare.push_str(&format!(
                "{},{typed},{area}{}{}号,{},{}{:06},2026-{:02}-15\n",
                ids[i],
                g.pick(&STREETS),
                1 + g.next() % 300,
                ["城市低保", "农村低保", "特困供养", "临时救助"][i % 4],
                "哈低保",
                n,
                1 + n % 11,
            ));
        }
        if n % 10 >= 7 {
            insurance.push_str(&format!(
                "{},{},1{}{:09},{},{},{},{}\n",
                ids[i],
                names[i],
                [3, 5, 8][i % 3],
                g.next() % 1_000_000_000,
                g.pick(&education),
                if n % 13 == 0 { "暂停缴费" } else { "正常参保" },
                format_args!("{}-{:02}-01", 2010 + n % 16, 1 + n % 12),
                ["一档", "二档", "三档"][i % 3],
            ));
        }
    }
    vec![
        DepartmentFile {
            org: "gaj",
            name: "公安局常住人口（户籍）",
            priority: 90,
            folder: "gaj",
            file: "常住人口.csv",
            csv: police,
        },
        DepartmentFile {
            org: "rsj",
            name: "人社局城乡居民养老保险参保人员",
            priority: 60,
            folder: "rsj",
            file: "参保人员.csv",
            csv: insurance,
        },
        DepartmentFile {
            org: "wjw",
            name: "卫健委计划生育和家庭医生签约",
            priority: 50,
            folder: "wjw",
            file: "计生签约.csv",
            csv: health,
        },
        DepartmentFile {
            org: "mzj",
            name: "民政局社会救助对象",
            priority: 40,
            folder: "mzj",
            file: "救助对象.csv",
            csv: welfare,
        },
    ]
}

/// The population database: each department's file imported through its own source, police first.
async fn load_population(
    state: &AppState,
    demo: &DemoSetup,
    data_dir: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    let people = demo.size("people");
    if people == 0 {
        return Ok(Vec::new());
    }
    let db = &state.db;
    let mut report = Vec::new();
    for f in population_files(people) {
        let Some(org) = demo.org(f.org) else { continue };
        let folder = data_dir.join("exchange").join(f.folder);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join(f.file), f.csv.as_bytes())?;
        let source = watched_source(
            db,
            DemoSource { org, name: f.name, target: "population", schedule: ("", ""), priority: f.priority },
            &crate::mapping::Mapping::default(),
            &folder,
        )
        .await?;
        if let Some(r) = import::run_watched(db, &state.audit_key, &source).await.map_err(anyhow::Error::msg)? {
            report.push(format!("{} {} 行（拒绝 {}）", f.name, r.total, r.rejected));
        }
    }
    let total = crate::population::store::total(db).await?;
    let open = crate::population::store::open_conflicts(db, 1).await?.1;
    Ok(vec![format!(
        "信息资源：人口资源库合并 {total} 人（{}），{open} 处婚姻状况不一致待人工裁决；账号 renkou（核查员）、renkou_cx（查询员）",
        report.join("；")
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_in_school_names() {
        let cases = [
            (1, "一"),
            (10, "十"),
            (17, "十七"),
            (20, "二十"),
            (102, "一百零二"),
            (110, "一百一十"),
            (1005, "一千零五"),
        ];
        for (n, text) in cases {
            assert_eq!(chinese_number(n), text);
        }
    }

    #[test]
    fn generated_credit_codes_are_valid() {
        for n in [0, 1, 99, 12_345, 29_999] {
            let c = credit_code("230102", n);
            assert_eq!(c.len(), 18);
            assert_eq!(platform::codes::check_org_code(&c), None, "{c}");
        }
    }

    #[test]
    fn the_registry_file_is_gbk_with_a_few_bad_rows() {
        let bytes = registry_csv(300, 100);
        assert!(std::str::from_utf8(&bytes).is_err());
        let t = tables::open_bytes("a.csv", bytes).unwrap();
        assert_eq!(t.encoding, "GB18030");
        let labels: Vec<String> = t.headers.clone();
        let mut m = crate::mapping::Mapping::guess(&crate::enterprise::SCHEMA, &labels);
        for c in &mut m.0 {
            if c.field == "capital" {
                c.column = "注册资本".into();
            }
        }
        let b = m.bind(&crate::enterprise::SCHEMA, &labels).unwrap();
        let bad = t.filter(|(row, cells)| b.record(*row, cells.as_ref().unwrap()).is_err()).count();
        assert_eq!(bad, 3);
    }
}
