//! The demo's 机关效能评价窗口: 78 units (the city's bureaus and district governments, and the
//! windows of the 政务服务中心 added until there are 78), their staff (2,500 by default) with posts,
//! duties and office phones, and a year of citizens' ratings — most published, this month's
//! latest waiting for moderation — written in bulk and tallied once.

use platform::db::{Arg, Db, sql};
use platform::module::DemoSetup;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::domain::{StaffInput, month_of};

/// How many units the window shows (seed 002: 78 units, 2,500 staff).
pub const UNITS: usize = 78;

/// Windows of the 政务服务中心 added when the demo has fewer units than [`UNITS`].
const CENTRE_WINDOWS: [(&str, &str); 8] = [
    ("ZWZX-ZHSL", "市政务服务中心综合受理窗口"),
    ("ZWZX-SSDJ", "市政务服务中心商事登记窗口"),
    ("ZWZX-TZXM", "市政务服务中心投资项目审批窗口"),
    ("ZWZX-BDC", "市政务服务中心不动产登记窗口"),
    ("ZWZX-SHSW", "市政务服务中心社会事务窗口"),
    ("ZWZX-GJJ", "市政务服务中心公积金窗口"),
    ("ZWZX-SWBL", "市政务服务中心税务办理窗口"),
    ("ZWZX-12345", "市政务服务中心 12345 热线受理台"),
];

const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕",
];
const GIVEN: [&str; 48] = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "玉兰", "萍", "鹏", "晶", "欣", "宇", "博", "婷", "建华", "志强", "海燕", "红梅",
    "春雨", "晓东", "雪", "琳", "昊", "思远", "文静", "立新", "国庆", "卫东", "丹", "颖", "斌",
];
/// (post, duties)
const POSTS: [(&str, &str); 6] = [
    ("窗口受理员", "负责本单位进驻事项的咨询、受理和材料初审，一次性告知需补正的材料。"),
    ("科员", "负责业务办理、群众来电来访接待和办件回访。"),
    ("主任科员", "负责审核办件材料，督办超期事项，处理群众投诉。"),
    ("副科长", "协助科长做好本科室业务审批和窗口服务管理工作。"),
    ("科长", "主持本科室全面工作，负责审批决定和服务质量监督。"),
    ("办公室主任", "负责单位综合协调、政务公开和效能建设工作。"),
];
const PRAISE: [&str; 8] = [
    "办事效率高，一次就办完了",
    "态度热情，讲解耐心细致",
    "材料清单讲得很清楚，没有跑冤枉路",
    "提前下班时间仍帮我办完，很感谢",
    "电话咨询回答得很专业",
    "帮我在网上预约，节省了排队时间",
    "工作认真负责，值得表扬",
    "老人办事不方便，主动上前帮助",
];
const COMPLAINTS: [&str; 4] = [
    "窗口排队时间太长，叫号后等了很久",
    "第一次没有一次性告知所需材料，跑了两趟",
    "电话多次无人接听",
    "解释政策时不够耐心",
];

/// Loads the window once; returns a line for the demo's summary.
pub async fn load(db: &Db, demo: &DemoSetup) -> anyhow::Result<Option<String>> {
    let staff_total = i64::from(demo.size("rated_staff"));
    if staff_total == 0 || db.count(sql("SELECT COUNT(*) FROM rated_staff")).await? > 0 {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(20_020_078);
    let units = units(db, demo).await?;
    let now = platform::db::now();
    let mut staff_ids = Vec::new();
    let per_unit = (staff_total as usize).div_ceil(units.len().max(1));
    let mut made = 0i64;
    for (u, unit) in units.iter().enumerate() {
        for i in 0..per_unit {
            if made >= staff_total {
                break;
            }
            // Leaders are few: one 科长 and one 办公室主任 in each unit, the rest serve at the counter.
            let post = match i {
                0 => POSTS[5],
                1 => POSTS[4],
                2 | 3 => POSTS[3],
                _ => *POSTS[..3].choose(&mut rng).unwrap_or(&POSTS[0]),
            };
            let name =
                format!("{}{}", SURNAMES.choose(&mut rng).unwrap_or(&"王"), GIVEN.choose(&mut rng).unwrap_or(&"伟"));
            let input = StaffInput {
                org_id: *unit,
                name,
                post: post.0.into(),
                duties: post.1.into(),
                office_phone: format!("0451-86{:02}{:04}", 10 + u, 1000 + i),
                sort_order: i as i64,
                active: true,
            };
            staff_ids.push((super::insert_staff(db, &input, now).await?, *unit));
            made += 1;
        }
    }
    let ratings = write_ratings(db, &staff_ids, now, &mut rng).await?;
    super::rebuild_tally(db).await?;
    Ok(Some(format!("机关效能评价窗口：{} 个单位、{} 名工作人员、{} 条群众评价", units.len(), made, ratings)))
}

/// The city's units below the government (its bureaus and district governments) and, until there
/// are [`UNITS`], windows of the 政务服务中心.
async fn units(db: &Db, demo: &DemoSetup) -> anyhow::Result<Vec<i64>> {
    let orgs = platform::accounts::list_orgs(db).await?;
    let mut ids: Vec<i64> = orgs.iter().filter(|o| o.parent_id.is_some()).map(|o| o.id).collect();
    let centre = demo.org("zwzx");
    for (code, name) in CENTRE_WINDOWS {
        if ids.len() >= UNITS {
            break;
        }
        let id = match platform::accounts::org_by_code(db, code).await? {
            Some(o) => o.id,
            None => platform::accounts::create_org(db, centre, name, code, "division").await?,
        };
        ids.push(id);
    }
    ids.truncate(UNITS);
    Ok(ids)
}

/// A year of ratings: a few a month for most staff, mostly 满意; this month's latest pending.
async fn write_ratings(db: &Db, staff: &[(i64, i64)], now: i64, rng: &mut StdRng) -> anyhow::Result<i64> {
    let this_month = month_of(now);
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for (n, (staff_id, org_id)) in staff.iter().enumerate() {
        let count = rng.random_range(0..=24);
        for k in 0..count {
            let at = now - rng.random_range(0..365 * 86_400);
            let month = month_of(at);
            let roll = rng.random_range(0..100);
            let (verdict, comment) = match roll {
                0..3 => (3, (*COMPLAINTS.choose(rng).unwrap_or(&"")).to_owned()),
                3..12 => (2, String::new()),
                12..30 => (1, (*PRAISE.choose(rng).unwrap_or(&"")).to_owned()),
                _ => (1, String::new()),
            };
            let state = if month == this_month && k % 3 == 0 { "pending" } else { "published" };
            let voter = platform::intake::hash_code(&format!("demo-voter-{n}-{k}"));
            rows.push(vec![
                Arg::Int(*staff_id),
                Arg::Int(*org_id),
                Arg::Int(verdict),
                Arg::from(comment),
                Arg::from(state),
                Arg::from(month),
                Arg::from(voter),
                Arg::Int(at),
                Arg::from(if state == "published" { "演示数据" } else { "" }),
            ]);
        }
    }
    let mut tx = db.begin().await?;
    for chunk in rows.chunks(300) {
        let mut q = sql(
            "INSERT INTO staff_rating (staff_id, org_id, verdict, comment, state, month, voter, created_at, moderated_by) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, row.iter().cloned());
        }
        platform::db::Exec::execute(&mut tx, q).await?;
    }
    tx.commit().await?;
    Ok(rows.len() as i64)
}
