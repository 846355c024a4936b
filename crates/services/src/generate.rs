//! Generated applications of realistic shape for the demo and the benchmark: a seeded stream of
//! cases over a period, across the given items, in every state (older cases mostly settled),
//! with ratings on completed ones; inserted in multi-row statements, then the statistics tally is
//! rebuilt and the planner statistics refreshed.

use platform::calendar::{date_text, load};
use platform::db::{Arg, Db, DbResult, Exec, sql};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::store::{self, Item};

pub struct Spec {
    pub count: usize,
    pub seed: u64,
    pub from: i64,
    pub to: i64,
}

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 8] = ["建国", "秀英", "志强", "丽华", "海涛", "淑珍", "晓东", "雪梅"];
const FIRMS: [&str; 4] = ["冰城", "松江", "北方", "龙江"];
const RATINGS: [&str; 7] =
    ["very_satisfied", "very_satisfied", "satisfied", "satisfied", "basic", "unsatisfied", "very_unsatisfied"];

pub async fn applications(db: &Db, items: &[Item], spec: &Spec) -> DbResult<()> {
    if items.is_empty() || spec.count == 0 {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let cal = load(db).await?;
    let now = platform::db::now();
    let span = (spec.to - spec.from).max(1);
    let first = db.count(sql("SELECT COUNT(*) FROM application")).await? as usize;
    const COLS: &str = "no, query_hash, item_id, org_id, applicant_kind, applicant_name, applicant_code, phone, form_data, state, step, accepted, \
                        submitted_at, accepted_on, due_date, decided_at, completed_at, workdays, rating, decision_note, legal_basis, correction_note, updated_at, on_time";
    let mut k = 0usize;
    while k < spec.count {
        let mut tx = db.begin().await?;
        for _ in 0..25 {
            if k >= spec.count {
                break;
            }
            let n = 400.min(spec.count - k);
            let mut q = sql(format!("INSERT INTO application ({COLS}) VALUES "));
            for j in 0..n {
                let item = &items[rng.random_range(0..items.len())];
                let submitted = spec.from + rng.random_range(0..span);
                let day =
                    platform::calendar::date(&platform::fmt_date(submitted)).unwrap_or_else(platform::calendar::today);
                let age = (now - submitted) / 86_400;
                let roll = rng.random_range(0..100);
                let state = match roll {
                    _ if age < 3 && roll < 50 => "submitted",
                    0..4 => "rejected",
                    4..8 if age < 30 => "correction",
                    8..18 if age < 40 => "reviewing",
                    // A few stragglers stay open past their time limit (they show red).
                    8..9 if rng.random_bool(0.2) => "reviewing",
                    18..22 => "denied",
                    _ => "completed",
                };
                let org = item.audience == "org";
                let name = if org {
                    format!("哈尔滨{}科技有限公司", FIRMS[rng.random_range(0..4)])
                } else {
                    format!("{}{}", SURNAMES[rng.random_range(0..10)], GIVEN[rng.random_range(0..8)])
                };
                let corrected_early = state == "correction" && rng.random_bool(0.5);
                let accepted = !matches!(state, "submitted" | "rejected") && !corrected_early;
                let accepted_on = accepted.then(|| cal.add_workdays(day, 1));
                let due = accepted_on.map(|d| cal.add_workdays(d, u32::try_from(item.promised_days).unwrap_or(1)));
                let workdays: i64 = rng.random_range(0..=item.promised_days + 2);
                let completed_at =
                    (state == "completed").then(|| (submitted + (workdays + 1) * 86_400 * 7 / 5).min(now - 60));
                let rating =
                    (state == "completed" && rng.random_bool(0.7)).then(|| RATINGS[rng.random_range(0..RATINGS.len())]);
                let on_time = completed_at.map(|_| workdays <= item.promised_days);
                let args: Vec<Arg> = vec![
                    format!("BJ{}{:08}", platform::fmt_date(submitted).replace('-', ""), first + k + j + 1).into(),
                    "generated".into(),
                    item.id.into(),
                    item.org_id.into(),
                    (if org { "org" } else { "person" }).into(),
                    name.into(),
                    platform::sealed::seal(if org { "91230100MA1B2C3D4X" } else { "11010519491231002X" }).into(),
                    platform::sealed::seal(&format!("13{:09}", rng.random_range(0..1_000_000_000u64))).into(),
                    platform::sealed::seal("{}").into(),
                    state.into(),
                    0i64.into(),
                    accepted.into(),
                    submitted.into(),
                    accepted_on.map(date_text).into(),
                    (if state == "correction" && accepted { None } else { due.map(date_text) }).into(),
                    (matches!(state, "completed" | "denied")).then_some(submitted + 3 * 86_400).into(),
                    completed_at.into(),
                    completed_at.map(|_| workdays).into(),
                    rating.map(str::to_owned).into(),
                    (match state {
                        "denied" => "申请材料不符合法定条件",
                        "rejected" => "申请事项不属于本机关职权范围",
                        _ => "",
                    })
                    .into(),
                    (if state == "denied" { "《中华人民共和国行政许可法》第三十八条" } else { "" }).into(),
                    (if state == "correction" { "请补充提供加盖公章的申请表原件" } else { "" }).into(),
                    completed_at.unwrap_or(submitted).into(),
                ];
                q = q.push(if j == 0 { "(" } else { ", (" });
                for (i, a) in args.into_iter().enumerate() {
                    if i > 0 {
                        q = q.push(", ");
                    }
                    q = q.push_bind(a);
                }
                // on_time is a nullable boolean, which the shared argument type has no null for.
                q = match on_time {
                    Some(b) => q.push(", ").push_bind(b).push(")"),
                    None => q.push(", NULL)"),
                };
            }
            tx.execute(q).await?;
            k += n;
        }
        tx.commit().await?;
    }
    db.resync_identity("application").await?;
    store::rebuild_tally(db).await?;
    db.analyze().await?;
    Ok(())
}
