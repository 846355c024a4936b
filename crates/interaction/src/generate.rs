//! Generated letters of realistic shape and size for the demo site group, the statistics test and
//! the benchmark: a deterministic stream (seeded) of letters spread over a year across mailboxes,
//! categories and handling units, in every state. Returns the figures the statistics must show,
//! computed here independently of SQL, so a test can compare the two exactly.

use std::collections::BTreeMap;

use platform::db::{Arg, Db, DbResult, Exec, sql};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::Counts;
use crate::store::{Category, Mailbox};

const PLACES: [&str; 12] = [
    "幸福里小区",
    "红旗大街",
    "中山路",
    "学府路",
    "松花江沿岸",
    "南岗区哈西",
    "道里区安静街",
    "香坊区和平路",
    "开发区科技园",
    "群力新区",
    "太平镇",
    "新发小区",
];
const ISSUES: [(&str, &str); 12] = [
    ("路灯不亮", "路灯已经很长时间不亮了，夜间出行很不安全，请相关部门尽快维修。"),
    ("供暖温度不达标", "入冬以来室内温度一直在16度以下，家中有老人孩子，请督促供热公司整改。"),
    ("公交线路调整建议", "附近居民多，公交车次太少，早晚高峰等车时间过长，建议加密班次。"),
    ("噪音扰民", "附近工地夜间施工噪音很大，严重影响周边居民休息，请予以查处。"),
    ("老旧小区改造咨询", "想咨询本小区是否列入今年老旧小区改造计划，改造包括哪些内容。"),
    ("占道经营", "人行道被商户长期占用，行人只能走机动车道，存在安全隐患。"),
    ("医保报销咨询", "异地就医的医保报销需要办理哪些手续，在哪里可以办理。"),
    ("学校周边交通拥堵", "上下学时段学校门口车辆乱停，交通拥堵严重，建议增设临时停车位。"),
    ("垃圾清运不及时", "小区垃圾箱经常满溢，清运不及时，气味很大，请环卫部门关注。"),
    ("科技项目申报咨询", "请问今年科技计划项目申报的时间和条件，企业需要准备哪些材料。"),
    ("积水问题", "每逢下雨路口积水严重，车辆行人无法通行，请排查排水管网。"),
    ("企业开办流程咨询", "想了解新办企业在网上办理营业执照和税务登记的流程和时限。"),
];
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马"];
const GIVEN: [&str; 12] =
    ["建国", "秀英", "志强", "丽华", "海涛", "淑珍", "立新", "晓东", "桂兰", "永刚", "雪梅", "宏伟"];
const REPLIES: [&str; 4] = [
    "您反映的问题已收悉。经我单位现场核查，情况属实，已安排专人限期整改，整改完成后将组织复查。感谢您对我市工作的关心和支持。",
    "经核实，该事项已列入今年工作计划，预计年底前完成。具体进展将在政府网站公开，欢迎继续监督。",
    "关于您咨询的问题，答复如下：相关事项可通过政务服务网在线办理，也可到政务服务中心窗口办理，办理时限为5个工作日。",
    "您的建议很有价值，我单位已会同有关部门研究，将在下一步工作中统筹考虑。感谢您的关注。",
];

/// What to generate.
pub struct Spec {
    pub count: usize,
    pub seed: u64,
    /// Letters are spread over `[from, to)` (Unix seconds).
    pub from: i64,
    pub to: i64,
    /// `YYYY-MM-DD` "today" for the overdue figure.
    pub today: String,
}

fn day_text(unix: i64) -> String {
    platform::fmt_date(unix)
}

/// Inserts the letters; returns the expected counts per mailbox for letters received in
/// `[spec.from, spec.to)`.
pub async fn generate(
    db: &Db,
    boxes: &[(Mailbox, Vec<Category>)],
    units: &[i64],
    spec: &Spec,
) -> DbResult<BTreeMap<i64, Counts>> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut expected: BTreeMap<i64, Counts> = BTreeMap::new();
    const COLS: &str = "no, query_hash, mailbox_id, category_id, state, subject, content, writer_name, phone, phone_hash, email, consent_publish, anonymous_public, ip, source, \
                        unit_id, submitted_at, accept_due, accepted_at, due_date, reply, reply_unit_id, replied_at, reply_workdays, on_time, public_subject, \
                        public_content, public_reply, published, published_at, closed_at, satisfaction, updated_at";
    let batch = 400;
    let mut i = 0usize;
    let span = (spec.to - spec.from).max(1);
    let first_no = db.count(sql("SELECT COUNT(*) FROM letter")).await? as usize;
    while i < spec.count {
        let mut tx = db.begin().await?;
        for _ in 0..25 {
            if i >= spec.count {
                break;
            }
            let n = batch.min(spec.count - i);
            let mut q = sql(format!("INSERT INTO letter ({COLS}) VALUES "));
            for k in 0..n {
                let (m, cats) = &boxes[rng.random_range(0..boxes.len())];
                let cat = (!cats.is_empty()).then(|| cats[rng.random_range(0..cats.len())].id);
                let submitted = spec.from + rng.random_range(0..span);
                let mut roll = rng.random_range(0..100);
                // Letters more than a month old are nearly all settled (on-time completion is over
                // 96% in the seeds): only a few stragglers stay unscreened or open, and none past two
                // months — a consultation unanswered for three months is a veto item of the national
                // inspection, which the demo's mailboxes do not earn.
                let age_days = (spec.to - submitted) / 86_400;
                let open_roll = roll < 5 || (13..25).contains(&roll);
                if age_days > 30 && open_roll && (age_days > 60 || rng.random_range(0..100) >= 3) {
                    roll = rng.random_range(25..100);
                }
                let state = match roll {
                    0..5 => "submitted",
                    5..13 => "rejected",
                    13..16 => "accepted",
                    16..23 => "assigned",
                    23..25 => "reply_review",
                    25..55 => "replied",
                    55..65 => "published",
                    _ => "closed",
                };
                let (place, (issue, detail)) =
                    (PLACES[rng.random_range(0..PLACES.len())], ISSUES[rng.random_range(0..ISSUES.len())]);
                let subject = format!("{place}{issue}");
                let content = format!("{place}{detail}");
                let name = format!("{}{}", SURNAMES[rng.random_range(0..12)], GIVEN[rng.random_range(0..12)]);
                let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
                let accepted = !matches!(state, "submitted" | "rejected");
                let assigned = accepted && state != "accepted";
                let completed = matches!(state, "replied" | "published" | "closed");
                let unit = (assigned && !units.is_empty()).then(|| units[rng.random_range(0..units.len())]);
                let now = platform::db::now();
                let accepted_at = accepted.then(|| (submitted + rng.random_range(3600..3 * 86_400)).min(now));
                let due = accepted_at.map(|a| day_text(a + 21 * 86_400));
                let workdays: i64 = rng.random_range(1..=22);
                let on_time = completed.then_some(workdays <= m.reply_days);
                // Never after now: a reply dated in the future would show on the public list.
                let replied_at =
                    completed.then(|| (accepted_at.unwrap_or(submitted) + workdays * 86_400 * 7 / 5).min(now));
                let accept_due = day_text(submitted + 3 * 86_400);
                let consent = rng.random_bool(0.6);
                let published = consent && (state == "published" || (state == "closed" && rng.random_bool(0.3)));
                let satisfaction = if completed && rng.random_bool(0.6) {
                    Some(match rng.random_range(0..10) {
                        0..7 => "satisfied",
                        7..9 => "basic",
                        _ => "unsatisfied",
                    })
                } else {
                    None
                };
                let reply = if completed { REPLIES[rng.random_range(0..REPLIES.len())] } else { "" };
                let no = format!("{}{:07}", day_text(submitted).replace('-', ""), first_no + i + k + 1);
                if submitted >= spec.from && submitted < spec.to {
                    let c = expected.entry(m.id).or_default();
                    c.received += 1;
                    c.accepted += i64::from(accepted);
                    c.rejected += i64::from(state == "rejected");
                    c.completed += i64::from(completed);
                    c.completed_on_time += i64::from(on_time == Some(true));
                    c.handling_workdays += if completed { workdays } else { 0 };
                    c.rated += i64::from(satisfaction.is_some());
                    c.satisfied += i64::from(satisfaction == Some("satisfied"));
                    c.basic += i64::from(satisfaction == Some("basic"));
                    c.unsatisfied += i64::from(satisfaction == Some("unsatisfied"));
                    c.published += i64::from(published);
                    let open = matches!(state, "accepted" | "assigned" | "reply_review");
                    c.in_progress += i64::from(open);
                    // Overdue as everywhere: an open letter whose running deadline (acceptance,
                    // then reply) has passed.
                    let running = if state == "submitted" { Some(accept_due.clone()) } else { due.clone() };
                    c.overdue_now += i64::from(
                        (open || state == "submitted") && running.as_deref().is_some_and(|d| d < spec.today.as_str()),
                    );
                }
                if k > 0 {
                    q = q.push(",");
                }
                let args: Vec<Arg> = vec![
                    no.into(),
                    "generated".into(),
                    m.id.into(),
                    cat.into(),
                    state.into(),
                    subject.clone().into(),
                    content.clone().into(),
                    name.into(),
                    platform::sealed::seal(&phone).into(),
                    platform::sealed::lookup_hash(&phone).into(),
                    "".into(),
                    consent.into(),
                    true.into(),
                    "198.18.0.1".into(),
                    "generated".into(),
                    unit.into(),
                    submitted.into(),
                    accept_due.clone().into(),
                    accepted_at.into(),
                    due.clone().into(),
                    reply.into(),
                    (if completed { unit } else { None }).into(),
                    replied_at.into(),
                    (if completed { Some(workdays) } else { None }).into(),
                ];
                q = q.push("(");
                for (j, a) in args.into_iter().enumerate() {
                    if j > 0 {
                        q = q.push(",");
                    }
                    q = q.push_bind(a);
                }
                // on_time is a nullable boolean, which the shared argument type has no null for.
                q = match on_time {
                    Some(b) => q.push(",").push_bind(b),
                    None => q.push(",NULL"),
                };
                let (ps, pc, pr) = if published {
                    (subject, content, reply.to_owned())
                } else {
                    (String::new(), String::new(), String::new())
                };
                let updated = replied_at.or(accepted_at).unwrap_or(submitted);
                let rest: Vec<Arg> = vec![
                    ps.into(),
                    pc.into(),
                    pr.into(),
                    published.into(),
                    (published.then(|| (replied_at.unwrap_or(submitted) + 86_400).min(now))).into(),
                    ((state == "closed" || state == "rejected").then_some(updated)).into(),
                    satisfaction.into(),
                    updated.into(),
                ];
                for a in rest {
                    q = q.push(",").push_bind(a);
                }
                q = q.push(")");
            }
            tx.execute(q).await?;
            i += n;
        }
        tx.commit().await?;
    }
    crate::store::rebuild_tally(db).await?;
    // Fresh planner statistics after a bulk load (both databases take this statement).
    db.analyze().await?;
    Ok(expected)
}
