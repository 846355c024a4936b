//! Generated disclosure requests of realistic shape for benchmarks: a seeded stream over the past
//! year across the given agencies, older requests mostly answered (each with an outcome of table
//! 三), recent ones open with their due day from the calendar; inserted in multi-row statements.
//! Their history holds only the filing event; the demo's own requests carry full histories.

use platform::calendar::{WorkCalendar, date_text};
use platform::db::{Arg, Db, DbResult, Exec, sql};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::{ApplicantKind, Outcome};

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 8] = ["建国", "秀英", "志强", "丽华", "海涛", "淑珍", "晓东", "雪梅"];
const WHAT: [&str; 6] = [
    "年度部门预算和决算",
    "行政处罚决定书",
    "建设项目环境影响评价批复",
    "专项资金分配明细",
    "行政许可审查材料",
    "规范性文件的制定说明",
];

/// Files `count` requests to `orgs` submitted between `from` and `to` (unix seconds).
pub async fn requests(db: &Db, orgs: &[i64], count: usize, seed: u64, from: i64, to: i64) -> DbResult<usize> {
    if orgs.is_empty() || count == 0 {
        return Ok(0);
    }
    let cal: WorkCalendar = platform::calendar::load(db).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let now = platform::db::now();
    let span = (to - from).max(1);
    let first = db.count(sql("SELECT COALESCE(MAX(id), 0) FROM disclosure_request")).await? as usize;
    let decisions: Vec<Outcome> = Outcome::ALL.to_vec();
    const COLS: &str = "no, query_hash, org_id, applicant_kind, applicant_name, id_type, id_number, applicant_hash, phone, description, \
                        delivery, channel, state, submitted_at, submitted_on, received_on, clock, due_on, outcome, basis, decided_on, delivered_on, updated_at";
    let mut k = 0usize;
    while k < count {
        let mut tx = db.begin().await?;
        for _ in 0..25 {
            if k >= count {
                break;
            }
            let n = 300.min(count - k);
            let mut q = sql(format!("INSERT INTO disclosure_request ({COLS}) VALUES "));
            for j in 0..n {
                let submitted = from + rng.random_range(0..span);
                let day =
                    platform::calendar::date(&platform::fmt_date(submitted)).unwrap_or_else(platform::calendar::today);
                let received = cal.add_workdays(day, 1);
                let age_days = (now - submitted) / 86_400;
                let kind = ApplicantKind::ALL[if rng.random_bool(0.8) { 0 } else { rng.random_range(1..6) }];
                // Older requests are answered; a few stay open past their due day (they show red).
                let open = age_days < 35 || rng.random_range(0..1000) < 3;
                let (state, outcome, decided) = if open {
                    (if age_days < 1 { "submitted" } else { "received" }, None, None)
                } else {
                    let o = decisions[rng.random_range(0..decisions.len())];
                    let decided = cal.add_workdays(received, rng.random_range(3..20));
                    ("closed", Some(o), Some(decided))
                };
                let due = (state == "received").then(|| cal.add_workdays(received, crate::domain::REPLY_WORKDAYS));
                let no = format!("YSQ{}{:06}", date_text(day).replace('-', ""), first + k + j + 1);
                let name = format!(
                    "{}{}",
                    SURNAMES[rng.random_range(0..SURNAMES.len())],
                    GIVEN[rng.random_range(0..GIVEN.len())]
                );
                let clock = if state == "submitted" {
                    "[]".to_owned()
                } else {
                    format!(r#"[{{"kind":"received","day":"{}"}}]"#, date_text(received))
                };
                let args: Vec<Arg> = vec![
                    no.into(),
                    platform::intake::hash_code(&format!("G{}", first + k + j)).into(),
                    orgs[rng.random_range(0..orgs.len())].into(),
                    kind.code().into(),
                    name.into(),
                    if kind.is_person() { "居民身份证" } else { "统一社会信用代码" }.into(),
                    String::new().into(),
                    format!("g{}", rng.random_range(0..20_000)).into(),
                    String::new().into(),
                    format!("{}年{}", 2020 + rng.random_range(0..6), WHAT[rng.random_range(0..WHAT.len())]).into(),
                    "email".into(),
                    "online".into(),
                    state.into(),
                    submitted.into(),
                    date_text(day).into(),
                    (state != "submitted").then(|| date_text(received)).into(),
                    clock.into(),
                    due.map(date_text).into(),
                    outcome.map_or("", Outcome::code).into(),
                    outcome.map_or("", Outcome::basis).into(),
                    decided.map(date_text).into(),
                    decided.map(date_text).into(),
                    submitted.into(),
                ];
                q = q.push_row(j == 0, args);
            }
            tx.execute(q).await?;
            k += n;
        }
        tx.commit().await?;
    }
    db.execute(sql("ANALYZE")).await?;
    Ok(count)
}

const SUBJECTS: [&str; 8] = [
    "科技创新券",
    "中小企业发展专项资金",
    "城市供热",
    "老旧小区改造",
    "农村公路养护",
    "公共租赁住房",
    "职业技能培训补贴",
    "食品安全抽检",
];
const ABBREVIATIONS: [&str; 12] = ["政", "办", "科", "发", "卫", "教", "道", "市", "人", "公", "建", "民"];
const FORMS: [&str; 5] = ["管理办法", "实施细则", "工作方案", "实施意见", "考核办法"];

/// Catalogues `count` generated policy documents over the past `years` years across `orgs` (id and
/// code), with index numbers continuing each agency's sequence per year and the counters left
/// where the numbers end, so cataloguing afterwards continues it. The documents they stand for are
/// not generated (their links lead nowhere); this is for measuring the catalogue pages.
pub async fn items(db: &Db, orgs: &[(i64, String)], count: usize, seed: u64, years: i32) -> DbResult<usize> {
    if orgs.is_empty() || count == 0 {
        return Ok(0);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let this_year = platform::calendar::today().year();
    // Numbers continue from what the agencies have already given.
    let given: Vec<(i64, i64, i64)> =
        db.fetch_all(sql("SELECT org_id, year, last_seq FROM disclosure_index_seq")).await?;
    let mut seqs: std::collections::BTreeMap<(i64, i32), i64> =
        given.into_iter().map(|(o, y, s)| ((o, i32::try_from(y).unwrap_or(0)), s)).collect();
    let first_doc = 100_000_000 + db.count(sql("SELECT COUNT(*) FROM disclosure_item")).await? as usize;
    const COLS: &str = "document_id, org_id, index_no, title, url, topic, genre, issuer, doc_no, written_on, published_on, formed_on, \
                        keywords, summary, validity, invalid_on, year, updated_at, updated_by, late";
    let now = platform::db::now();
    let mut k = 0usize;
    while k < count {
        let mut tx = db.begin().await?;
        for _ in 0..25 {
            if k >= count {
                break;
            }
            let n = 300.min(count - k);
            let mut q = sql(format!("INSERT INTO disclosure_item ({COLS}) VALUES "));
            for j in 0..n {
                let which = rng.random_range(0..orgs.len());
                let (org_id, code) = &orgs[which];
                let year = this_year - rng.random_range(0..years.max(1));
                let seq = seqs.entry((*org_id, year)).or_insert(0);
                *seq += 1;
                let day = format!("{year}-{:02}-{:02}", rng.random_range(1..=12), rng.random_range(1..=28));
                let subject = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
                let form = FORMS[rng.random_range(0..FORMS.len())];
                let topic = crate::domain::TOPICS[rng.random_range(0..crate::domain::TOPICS.len())];
                let repealed = rng.random_range(0..20) == 0;
                let args: Vec<Arg> = vec![
                    i64::try_from(first_doc + k + j).unwrap_or(0).into(),
                    (*org_id).into(),
                    crate::domain::index_number(code, year, *seq).into(),
                    format!("关于印发《{subject}{form}》的通知").into(),
                    format!("/a/{}.html", first_doc + k + j).into(),
                    topic.into(),
                    "通知".into(),
                    "冰城市人民政府办公室".into(),
                    // One 文号 prefix per agency, so a 文号 names one document.
                    format!("冰{}规〔{year}〕{}号", ABBREVIATIONS[which % ABBREVIATIONS.len()], *seq).into(),
                    Some(day.clone()).into(),
                    day.clone().into(),
                    Some(day).into(),
                    subject.into(),
                    format!("为规范{subject}工作，制定本{form}。").into(),
                    if repealed { "repealed" } else { "valid" }.into(),
                    Option::<String>::None.into(),
                    i64::from(year).into(),
                    now.into(),
                    "generate".into(),
                    // Formed and published the same day.
                    false.into(),
                ];
                q = q.push_row(j == 0, args);
            }
            tx.execute(q).await?;
            k += n;
        }
        tx.commit().await?;
    }
    for ((org, year), last) in seqs {
        db.execute(
            sql("INSERT INTO disclosure_index_seq (org_id, year, last_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, year) DO UPDATE SET last_seq = excluded.last_seq")
            .bind(org)
            .bind(i64::from(year))
            .bind(last),
        )
        .await?;
    }
    db.execute(sql("ANALYZE")).await?;
    Ok(count)
}
