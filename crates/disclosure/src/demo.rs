//! Disclosure's demo: a guide for every demo agency, 40 open and recent requests in every state
//! (some overdue, one extended), last year's requests with every kind of outcome, and last year's
//! annual reports published from them.

use platform::accounts::OrgUnit;
use platform::calendar::{WorkCalendar, date_text, today};
use platform::db::{Db, Exec, sql};
use platform::module::DemoSetup;
use platform::workflow::{self, Transition};
use time::Date;

use crate::domain::{self, Action, ApplicantKind, ClockEvent, OtherHandling, Outcome, Unavailable, Withheld};
use crate::report::Written;
use crate::store::{self, StoredClockEvent};

/// A guide as an agency would first write it, for the back office to start from.
pub fn default_guide(org: &OrgUnit) -> store::Guide {
    store::Guide {
        org_id: org.id,
        office: format!("{}办公室（政务公开科）", org.name),
        address: "哈尔滨市松北区世纪大道 1 号".into(),
        postcode: "150021".into(),
        phone: "0451-86000000".into(),
        fax: "0451-86000001".into(),
        email: String::new(),
        hours: "工作日 上午 8:30–12:00，下午 13:30–17:00（法定节假日除外）".into(),
        classification: format!(
            "{}主动公开的政府信息按“机构职能、政策文件、政策解读、规划计划、统计信息、行政许可、行政处罚、财政预决算、人事信息、其他”分类编排，在本网站“政府信息公开”栏目发布，并在市档案馆、市图书馆设置查阅点。",
            org.name
        ),
        methods: "1. 网上申请：在本网站“依申请公开”栏目填写申请表提交。\n2. 信函申请：将填写好的申请表邮寄至受理机构，请在信封左下角注明“政府信息公开申请”。\n3. 当面申请：在办公时间到受理机构填写申请表。".into(),
        process: "1. 登记：收到申请当日登记，网上申请于下一个工作日内确认收到。\n2. 审核：申请内容不明确的，自收到申请之日起 7 个工作日内一次性告知补正。\n3. 办理：涉及第三方合法权益的，书面征求第三方意见（所需时间不计入答复期限）。\n4. 答复：自收到申请之日起 20 个工作日内答复；需延长的，经机构负责人同意并告知申请人，延长不超过 20 个工作日。\n5. 归档。".into(),
        fees: "依据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），申请公开政府信息一般不收取费用；申请数量、频次明显超过合理范围的，按件计收信息处理费：同一申请人一个自然月内累计 10 件以下（含）不收费，11–30 件的部分每件 100 元，30 件以上每增加 10 件、每件加收 100 元。".into(),
        reply_template: String::new(),
        reviewed_on: date_text(today()),
        updated_at: platform::db::now(),
        updated_by: "demo".into(),
    }
}

/// The agencies the demo gives guides, and the ones that receive requests.
const GUIDED: [&str; 12] = ["szf", "bgt", "kjj", "fgw", "wjw", "jyj", "dlq", "scj", "rsj", "gaj", "zjj", "mzj"];
const RECEIVING: [&str; 3] = ["kjj", "scj", "dlq"];

/// What people ask each receiving agency for.
fn topics(agency: &str) -> &'static [&'static str] {
    match agency {
        "kjj" => &[
            "上一年度市级科技计划项目立项清单及各项目资助金额",
            "《哈尔滨市科技创新券管理办法》的制定说明和征求意见采纳情况",
            "高新技术企业认定中本公司申报材料的专家评审意见",
            "市级重点实验室年度考核结果及考核指标",
            "科技型中小企业研发费用补助的拨付明细",
        ],
        "scj" => &[
            "第三季度食品安全监督抽检不合格产品名单及处置情况",
            "某超市 2025 年 6 月被行政处罚的决定书",
            "本市电梯维保单位年度检验合格率统计",
            "冰城示例餐饮有限公司食品经营许可的审查材料",
            "药品零售企业飞行检查的检查结果",
        ],
        _ => &[
            "经纬街片区旧城改造项目的房屋征收决定及补偿方案",
            "道里区 2025 年度部门预算和“三公”经费决算",
            "群力第六大道道路拓宽工程的建设工程规划许可证",
            "区内中小学学区划分方案及依据",
            "本人 2019 年城乡居民最低生活保障金的发放记录",
        ],
    }
}

const PEOPLE: [&str; 10] = ["王建国", "李秀英", "张伟", "刘芳", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏"];
const ORGS: [(ApplicantKind, &str, &str); 4] = [
    (ApplicantKind::Business, "哈尔滨松花江商贸有限公司", "91230102MA1C00001"),
    (ApplicantKind::Research, "黑龙江省寒地建筑科学研究院", "12230000MB0000002"),
    (ApplicantKind::Nonprofit, "哈尔滨市绿色家园环保公益协会", "51230100MJ0000003"),
    (ApplicantKind::LegalService, "黑龙江冰城律师事务所", "31230000MD0000004"),
];

/// A GB 11643 ID number for a demo person (valid check character, an invented birth date).
fn id_number(seq: usize) -> String {
    let base = format!("230102{}{:02}{:02}{:03}", 1960 + seq % 40, 1 + seq % 12, 1 + seq % 28, 100 + seq % 900);
    format!("{base}{}", platform::codes::id_check_char(&base).unwrap_or('0'))
}

/// A 统一社会信用代码 with its GB 32100 check character.
fn credit_code(stem: &str) -> String {
    format!("{stem}{}", platform::codes::uscc_check_char(stem).unwrap_or('0'))
}

/// `n` working days before `day`.
fn workdays_before(cal: &WorkCalendar, day: Date, n: u32) -> Date {
    let mut d = day;
    let mut left = n;
    while left > 0 {
        d = d.previous_day().unwrap_or(d);
        if cal.is_workday(d) {
            left -= 1;
        }
    }
    d
}

/// One demo request: who, to whom, what, and the steps it went through (action, working days
/// after submission).
struct Planned {
    agency: &'static str,
    seq: usize,
    submitted: Date,
    steps: Vec<(Action, u32)>,
    outcome: Option<Outcome>,
}

pub async fn load(state: &platform::web::AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &demo.db;
    if db.count(sql("SELECT COUNT(*) FROM disclosure_guide")).await? > 0 {
        return Ok(Vec::new());
    }
    let orgs = platform::accounts::list_orgs(db).await?;
    for key in GUIDED {
        if let Some(o) = demo.org(key).and_then(|id| orgs.iter().find(|o| o.id == id)) {
            store::save_guide(db, &default_guide(o)).await?;
        }
    }
    let cal = platform::calendar::CachedCalendar::default().get(db).await;
    let now = today();
    let mut plans = Vec::new();
    // This year's 40: (state's steps, how many, working days since submission).
    use Action as A;
    // (steps with their working days after submission, how many, age in working days)
    type Batch = (&'static [(Action, u32)], usize, u32);
    let current: [Batch; 10] = [
        (&[], 5, 0),
        (&[(A::Confirm, 1)], 4, 6),
        (&[(A::Confirm, 1)], 3, 24), // overdue
        (&[(A::Confirm, 1)], 2, 18), // due within three working days
        (&[(A::Confirm, 1), (A::Extend, 18)], 1, 26),
        (&[(A::Confirm, 1), (A::RequestCorrection, 3)], 4, 5),
        (&[(A::Confirm, 1), (A::Consult, 4)], 3, 8),
        (&[(A::Confirm, 1), (A::NotifyFee, 3)], 2, 6),
        (&[(A::Confirm, 1), (A::Decide, 12)], 4, 13),
        (&[(A::Confirm, 1), (A::Decide, 14), (A::Deliver, 16)], 12, 30),
    ];
    let decisions: Vec<Outcome> = Outcome::ALL.iter().copied().filter(|o| o.is_decision()).collect();
    let mut seq = 0;
    for (steps, count, age) in current {
        for _ in 0..count {
            seq += 1;
            let outcome = steps.iter().any(|(a, _)| *a == A::Decide).then(|| decisions[seq % 3]);
            plans.push(Planned {
                agency: RECEIVING[seq % 3],
                seq,
                submitted: workdays_before(&cal, now, age + u32::try_from(seq % 3).unwrap_or(0)),
                steps: steps.to_vec(),
                outcome,
            });
        }
    }
    // Last year: every outcome at each receiving agency, a few through 补正, consultation or a
    // fee, two carried into this year.
    let last_year = now.year() - 1;
    let jan = |y: i32, d: u8| Date::from_calendar_date(y, time::Month::January, d).unwrap_or(now);
    let mut all_outcomes = decisions.clone();
    all_outcomes.push(Outcome::Other(OtherHandling::CorrectionLapsed));
    all_outcomes.push(Outcome::Other(OtherHandling::FeeUnpaid));
    for (ai, agency) in RECEIVING.iter().enumerate() {
        for (oi, o) in all_outcomes.iter().enumerate() {
            seq += 1;
            let start = cal.add_workdays(jan(last_year, 5), u32::try_from((oi * 11 + ai * 5) % 220).unwrap_or(0));
            let steps: Vec<(Action, u32)> = match o {
                Outcome::Other(OtherHandling::CorrectionLapsed) => {
                    vec![(A::Confirm, 1), (A::RequestCorrection, 4), (A::CorrectionLapsed, 20), (A::Deliver, 21)]
                }
                Outcome::Other(OtherHandling::FeeUnpaid) => {
                    vec![(A::Confirm, 1), (A::NotifyFee, 5), (A::FeeLapsed, 26), (A::Deliver, 27)]
                }
                Outcome::Unavailable(Unavailable::StillUnclear) => vec![
                    (A::Confirm, 1),
                    (A::RequestCorrection, 3),
                    (A::Corrected, 8),
                    (A::Decide, 20),
                    (A::Deliver, 22),
                ],
                Outcome::Withheld(Withheld::ThirdParty) | Outcome::PartlyDisclosed => vec![
                    (A::Confirm, 1),
                    (A::Consult, 5),
                    (A::ConsultationDone, 15),
                    (A::Extend, 24),
                    (A::Decide, 30),
                    (A::Deliver, 31),
                ],
                _ => vec![(A::Confirm, 1), (A::Decide, 9 + u32::try_from(oi % 8).unwrap_or(0)), (A::Deliver, 20)],
            };
            plans.push(Planned { agency, seq, submitted: start, steps, outcome: Some(*o) });
        }
        // Carried over: received in late December, answered in January.
        for extra in 0..2 {
            seq += 1;
            let start = workdays_before(&cal, jan(now.year(), 1), 3 + extra);
            let steps = vec![(A::Confirm, 1), (A::Decide, 12), (A::Deliver, 13)];
            let o = Some(Outcome::Disclosed).filter(|_| cal.add_workdays(start, 13) <= now);
            if o.is_some() {
                plans.push(Planned { agency, seq, submitted: start, steps, outcome: o });
            }
        }
    }
    let mut filed = 0;
    for p in &plans {
        if p.steps.iter().all(|(_, wd)| cal.add_workdays(p.submitted, *wd) <= now) {
            file(db, demo, &orgs, &cal, p).await?;
            filed += 1;
        }
    }
    // Last year's reports, written and published in January.
    let mut published = 0;
    for agency in RECEIVING {
        let Some(org_id) = demo.org(agency) else { continue };
        let name = orgs.iter().find(|o| o.id == org_id).map(|o| o.name.clone()).unwrap_or_default();
        let mut w = Written::default();
        w.sections.insert(
            "overview".into(),
            format!("{last_year}年，{name}坚持以公开为常态、不公开为例外，围绕优化营商环境和群众关切，主动公开政府信息，依法办理政府信息公开申请，政务公开工作质量持续提升。"),
        );
        w.sections.insert(
            "proactive".into(),
            "全年通过门户网站主动公开政策文件、规划计划、行政许可和行政处罚结果等信息，重要政策文件均同步发布解读。"
                .into(),
        );
        w.sections.insert("problems".into(), "一是政策解读形式还不够丰富，图解、视频解读占比偏低；二是部分栏目更新不够及时。下一步将完善信息发布审核机制，按月检查栏目更新情况。".into());
        w.sections.insert("other".into(), "无其他需要报告的事项。".into());
        for (key, values) in [
            ("rules", vec!["0", "0", "2"]),
            ("normative", vec!["3", "1", "17"]),
            ("licensing", vec!["1268"]),
            ("penalty", vec!["86"]),
            ("enforcement", vec!["4"]),
            ("charges", vec!["0", "", "0"]),
        ] {
            w.table2.rows.insert(key.into(), values.into_iter().map(str::to_owned).collect());
        }
        w.table4.blocks = [[2, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0]];
        store::save_report(
            db,
            &store::ReportRow {
                id: 0,
                org_id,
                year: i64::from(last_year),
                sections: crate::report::json_text(&w.sections),
                table2: crate::report::json_text(&w.table2),
                table3_extra: "{}".into(),
                table4: crate::report::json_text(&w.table4),
                published_at: Some(platform::db::now() - 86_400 * 300),
                updated_at: platform::db::now(),
                updated_by: "demo".into(),
            },
        )
        .await?;
        published += 1;
    }
    let extra = demo.size("disclosure_requests") as usize;
    if extra > 0 {
        let agencies: Vec<i64> = GUIDED.iter().filter_map(|k| demo.org(k)).collect();
        let to = platform::db::now();
        crate::generate::requests(db, &agencies, extra, 20_261_205, to - 365 * 86_400, to).await?;
    }
    let mut catalogued = catalogue(state, demo, &orgs).await?;
    tree(state, demo, &orgs).await?;
    let extra_items = demo.size("disclosure_items") as usize;
    if extra_items > 0 {
        let agencies: Vec<(i64, String)> = GUIDED
            .iter()
            .filter_map(|k| demo.org(k))
            .filter_map(|id| orgs.iter().find(|o| o.id == id).map(|o| (o.id, o.code.clone())))
            .collect();
        catalogued += crate::generate::items(db, &agencies, extra_items, 20_261_206, 8).await?;
    }
    Ok(vec![format!(
        "政府信息公开：{} 个机关的公开指南，{catalogued} 条公开目录，{} 件依申请公开（各种状态和答复结果），{published} 份 {last_year} 年度报告已发布",
        GUIDED.len(),
        filed + extra
    )])
}

/// The 市政府办公厅's own category and the portal's 政策文件 column bound to its catalogue, so what
/// an editor publishes there in the demo is catalogued by itself.
async fn tree(state: &platform::web::AppState, demo: &DemoSetup, orgs: &[OrgUnit]) -> anyhow::Result<()> {
    let (Some(bgt), Some(portal)) = (demo.org("bgt"), platform::web::portal::portal_site_id(&demo.db).await) else {
        return Ok(());
    };
    let Some(org) = orgs.iter().find(|o| o.id == bgt) else { return Ok(()) };
    let now = platform::db::now();
    demo.db
        .execute(
            platform::db::sql("INSERT INTO disclosure_topic (org_id, name, created_at, created_by) VALUES ($1, '优化营商环境', $2, 'demo')")
                .bind(org.id)
                .bind(now),
        )
        .await?;
    let topics = state.modules.subscription_topics(state, portal as i64).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(column) = topics.iter().find(|t| t.key.starts_with("channel:") && t.label == "政策文件") {
        demo.db
            .execute(
                platform::db::sql(
                    "INSERT INTO disclosure_binding (topic, label, site_id, org_id, category, genre, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, '法规规章和规范性文件', '通知', $5, 'demo')",
                )
                .bind(column.key.as_str())
                .bind(column.label.as_str())
                .bind(portal as i64)
                .bind(org.id)
                .bind(now),
            )
            .await?;
    }
    Ok(())
}

/// Catalogues the demo's policy documents (those with a 文号, up to 400): each under its issuing
/// unit (市政府 when it has none), with a topic read from its title, a few repealed or replaced.
async fn catalogue(state: &platform::web::AppState, demo: &DemoSetup, orgs: &[OrgUnit]) -> anyhow::Result<usize> {
    let q = platform::module::DocumentQuery { with_doc_no: true, limit: 400, ..Default::default() };
    let docs = state.modules.documents(state, &q).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let fallback = demo.org("szf");
    let mut n = 0;
    for (i, doc) in docs.iter().enumerate() {
        let Some(org) = doc.org_id.or(fallback).and_then(|id| orgs.iter().find(|o| o.id == id)) else { continue };
        let topic = [
            ("规划", "规划计划"),
            ("统计", "统计信息"),
            ("许可", "行政许可"),
            ("处罚", "行政处罚和行政强制"),
            ("预算", "财政预决算"),
            ("采购", "政府采购"),
            ("就业", "社会保障和就业"),
            ("教育", "教育医疗"),
            ("医疗", "教育医疗"),
            ("应急", "应急管理"),
            ("安全生产", "环境保护和安全生产"),
            ("解读", "政策解读"),
        ]
        .iter()
        .find(|(w, _)| doc.title.contains(w))
        .map_or("法规规章和规范性文件", |(_, t)| t);
        let genre = ["通知", "意见", "办法", "规定", "决定", "公告"]
            .into_iter()
            .find(|g| doc.title.ends_with(g))
            .unwrap_or("通知");
        let published = platform::fmt_date(doc.published_at);
        let repealed = i % 29 == 7;
        let input = crate::catalogue::ItemInput {
            document_id: doc.id,
            org: org.code.clone(),
            topic: topic.into(),
            genre: genre.into(),
            doc_no: doc.doc_no.clone(),
            written_on: published.clone(),
            formed_on: published.clone(),
            keywords: doc.keywords.clone(),
            summary: doc.summary.clone(),
            validity: if repealed { "repealed".into() } else { "valid".into() },
            invalid_on: if repealed { date_text(today()) } else { String::new() },
            replaced_by: if repealed { "新修订的同名文件".into() } else { String::new() },
            ..Default::default()
        };
        if crate::catalogue::insert(&demo.db, org, doc, &input, "demo").await.is_ok() {
            n += 1;
        }
    }
    // 政策解读: each interpretation catalogued and linked to a policy of its unit.
    let q = platform::module::DocumentQuery { title_contains: "解读".into(), limit: 100, ..Default::default() };
    for doc in state.modules.documents(state, &q).await.map_err(|e| anyhow::anyhow!("{e}"))? {
        let Some(org) = doc.org_id.or(fallback).and_then(|id| orgs.iter().find(|o| o.id == id)) else { continue };
        let form = if doc.title.starts_with("图解") {
            "图解"
        } else if doc.title.contains("视频") {
            "视频解读"
        } else {
            "文字解读"
        };
        let input = crate::catalogue::ItemInput {
            document_id: doc.id,
            org: org.code.clone(),
            topic: "政策解读".into(),
            genre: "其他".into(),
            summary: doc.summary.clone(),
            ..Default::default()
        };
        let Ok(item) = crate::catalogue::insert(&demo.db, org, &doc, &input, "demo").await else { continue };
        n += 1;
        // The policy it explains: the unit's newest policy on the same subject (“图解：X政策解读”
        // explains a policy whose title names X); in a small demo without one, the unit's newest
        // policy that has no interpretation yet.
        let subject = doc.title.rsplit('：').next().unwrap_or("").trim_end_matches("政策解读").trim_end_matches("解读");
        const POLICIES: &str = "SELECT id FROM disclosure_item i WHERE org_id = $1 AND topic = '法规规章和规范性文件'";
        let mut policy: Option<platform::db::Scalar<i64>> = None;
        if subject.chars().count() >= 2 {
            let on_subject =
                platform::db::sql(format!("{POLICIES} AND title LIKE $2 ORDER BY published_on DESC LIMIT 1"))
                    .bind(org.id)
                    .bind(format!("%{subject}%"));
            policy = demo.db.fetch_optional(on_subject).await?;
        }
        if policy.is_none() {
            let uninterpreted = platform::db::sql(format!(
                "{POLICIES} AND NOT EXISTS (SELECT 1 FROM disclosure_interpretation l WHERE l.policy_id = i.id) \
                 ORDER BY published_on DESC LIMIT 1"
            ))
            .bind(org.id);
            policy = demo.db.fetch_optional(uninterpreted).await?;
        }
        if let Some(p) = policy {
            crate::catalogue::insert_link(&demo.db, p.0, item.id, form).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(n)
}

/// Files one planned request and walks it through its steps as the office would have.
async fn file(db: &Db, demo: &DemoSetup, orgs: &[OrgUnit], cal: &WorkCalendar, p: &Planned) -> anyhow::Result<()> {
    let Some(org_id) = demo.org(p.agency) else { return Ok(()) };
    let agency = orgs.iter().find(|o| o.id == org_id).map(|o| o.name.clone()).unwrap_or_default();
    let person = !p.seq.is_multiple_of(5);
    let (kind, name, id) = if person {
        (ApplicantKind::Person, PEOPLE[p.seq % PEOPLE.len()].to_owned(), id_number(p.seq))
    } else {
        let (k, n, stem) = ORGS[p.seq % ORGS.len()];
        (k, n.to_owned(), credit_code(stem))
    };
    let topic = topics(p.agency)[p.seq % 5];
    let delivery = ["email", "paper", "in_person", "email", "disc"][p.seq % 5];
    let at = p.submitted.midnight().assume_offset(time::macros::offset!(+8)).unix_timestamp()
        + 9 * 3600
        + (p.seq as i64 % 480) * 60;
    let (id_no, _) = store::insert(
        db,
        &store::NewRequest {
            org_id,
            applicant_kind: kind,
            applicant_name: &name,
            id_type: if person { "居民身份证" } else { "统一社会信用代码" },
            id_number: &id,
            phone: &format!("139{:08}", 10_000_000 + p.seq * 7919 % 89_999_999),
            email: &format!("applicant{}@example.invalid", p.seq),
            address: "哈尔滨市南岗区西大直街 92 号",
            description: topic,
            purpose: if p.seq.is_multiple_of(3) { "用于企业经营决策参考" } else { "" },
            delivery,
            channel: if p.seq.is_multiple_of(7) { "letter" } else { "online" },
            query_hash: &platform::intake::hash_code(&format!("DEMO{:06}", p.seq)),
            ip: "",
            at,
            day: p.submitted,
        },
    )
    .await?;
    let handler = match p.agency {
        "kjj" => "刘洋（科技局承办人）",
        "scj" => "孙丽（市场监管局承办人）",
        _ => "周强（道里区承办人）",
    };
    let mut r = store::get(db, id_no).await?.ok_or_else(|| anyhow::anyhow!("演示申请未写入"))?;
    let mut events: Vec<ClockEvent> = Vec::new();
    let mut tx = db.begin().await?;
    for (action, wd) in &p.steps {
        let day = cal.add_workdays(p.submitted, *wd);
        let from = r.state();
        let facts = domain::Facts {
            corrected_once: r.corrected_once,
            extended_once: r.extended_once,
            workdays_since_receipt: r
                .received_on
                .as_deref()
                .and_then(platform::calendar::date)
                .map_or(0, |d| cal.workdays_between(d, day)),
        };
        let to =
            domain::transition(from, *action, &facts).map_err(|e| anyhow::anyhow!("演示申请的步骤不合规则：{e}"))?;
        let mut comment = String::new();
        match action {
            Action::Confirm => {
                events.push(ClockEvent::Received(day));
                r.received_on = Some(date_text(day));
            }
            Action::RequestCorrection => {
                events.push(ClockEvent::CorrectionRequested(day));
                r.corrected_once = true;
                r.correction_note = "请写明所需信息的具体名称、文号或形成时间，并说明所需信息的范围（年度、区域）。请于收到本告知之日起 15 个工作日内补正。".into();
                comment = r.correction_note.clone();
            }
            Action::Corrected => events.push(ClockEvent::Corrected(day)),
            Action::Consult => {
                events.push(ClockEvent::ConsultationStarted(day));
                comment = "书面征求相关企业意见".into();
            }
            Action::ConsultationDone => events.push(ClockEvent::ConsultationEnded(day)),
            Action::Extend => {
                events.push(ClockEvent::Extended(15));
                r.extended_once = true;
                comment = "信息量大需汇总整理，经政务公开科科长同意延长 15 个工作日".into();
            }
            Action::NotifyFee => {
                events.push(ClockEvent::FeeNotified(day));
                r.fee_state = "notified".into();
                r.fee_yuan = 1200;
                comment = "本月第 22 件申请，按件计收".into();
            }
            Action::FeeSettled => events.push(ClockEvent::FeeSettled(day)),
            Action::FeeLapsed | Action::CorrectionLapsed | Action::Decide => {
                let o = p.outcome.unwrap_or(Outcome::Disclosed);
                if *action == Action::FeeLapsed {
                    r.fee_state = "lapsed".into();
                }
                r.outcome = o.code().into();
                r.basis = o.basis().into();
                r.reply = crate::service::reply_draft(&r, &agency, o, "");
                r.decided_on = Some(date_text(day));
                comment = o.label().into();
            }
            Action::Deliver => {
                r.delivered_on = Some(date_text(day));
                comment = "已按申请人选择的方式送达".into();
            }
        }
        let c = domain::clock(&events, cal);
        r.due_on = if to.is_open() { c.due.map(date_text) } else { None };
        r.state = to.code().into();
        let at = day.midnight().assume_offset(time::macros::offset!(+8)).unix_timestamp() + 10 * 3600;
        let t = Transition {
            action: action.code(),
            from: from.code(),
            to: to.code(),
            step: 0,
            actor: handler,
            actor_id: None,
            comment: &comment,
        };
        workflow::record(&mut tx, &store::FLOW, r.id, &t, at).await?;
    }
    let clock: Vec<StoredClockEvent> = events.into_iter().map(StoredClockEvent::of).collect();
    tx.execute(
        sql("UPDATE disclosure_request SET state = $1, received_on = $2, clock = $3, due_on = $4, correction_note = $5, corrected_once = $6, \
             extended_once = $7, fee_state = $8, fee_yuan = $9, outcome = $10, basis = $11, reply = $12, decided_on = $13, delivered_on = $14 WHERE id = $15")
            .bind(&r.state)
            .bind(r.received_on.clone())
            .bind(serde_json::to_string(&clock).unwrap_or_else(|_| "[]".into()))
            .bind(r.due_on.clone())
            .bind(&r.correction_note)
            .bind(r.corrected_once)
            .bind(r.extended_once)
            .bind(&r.fee_state)
            .bind(r.fee_yuan)
            .bind(&r.outcome)
            .bind(&r.basis)
            .bind(&r.reply)
            .bind(r.decided_on.clone())
            .bind(r.delivered_on.clone())
            .bind(r.id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
