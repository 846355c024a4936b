//! The duty demo: this month's and next month's roster (four 带班领导 and six 值班员 in turn, the
//! demo office account among the officers), today's 零报告 from most units, a day's log, a closed
//! event with its 初报, 续报 and 终报, and an open 较大 event whose 续报 is due.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use platform::workflow::{self, Transition};

use super::FLOW;

const LEADERS: &str = "刘建华 13904510001\n王志刚 13904510002\n赵雪梅 13904510003\n孙立军 13904510004";
const OFFICERS: &str =
    "吴静 13904510011 ducha\n周明 13904510012\n钱丽 13904510013\n郑浩 13904510014\n冯娟 13904510015\n陈凯 13904510016";

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM office_duty_shift")).await? > 0 {
        return Ok(Vec::new());
    }
    let Some(szf) = demo.org("szf") else { return Ok(Vec::new()) };
    let today = platform::calendar::today();
    let first = time::Date::from_calendar_date(today.year(), today.month(), 1).unwrap_or(today);
    let days = u32::try_from((platform::calendar::add_months(first, 2) - first).whole_days()).unwrap_or(60);
    let now = platform::db::now();
    let ducha = platform::accounts::user_by_name(db, "ducha").await?.map(|u| u.id);
    let mut tx = db.begin().await?;
    for (role, text) in [("leader", LEADERS), ("officer", OFFICERS)] {
        let people = super::domain::people(text).map_err(anyhow::Error::msg)?;
        for i in 0..days {
            let day = first + time::Duration::days(i64::from(i));
            let p = &people[i as usize % people.len()];
            let user = if p.account == "ducha" { ducha } else { None };
            tx.execute(
                sql("INSERT INTO office_duty_shift (day, role, person, phone, user_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, '总值班室', $6)")
                    .bind(platform::calendar::date_text(day))
                    .bind(role)
                    .bind(p.name.as_str())
                    .bind(p.phone.as_str())
                    .bind(user)
                    .bind(now),
            )
            .await?;
        }
    }
    let orgs = platform::accounts::list_orgs(db).await?;
    let units: Vec<i64> =
        orgs.iter().filter(|o| o.parent_id == Some(szf) && o.kind != "division").map(|o| o.id).collect();
    let day = super::today();
    let midnight = platform::parse_date(&day).unwrap_or(now);
    let kjj = demo.org("kjj");
    for (i, u) in units.iter().enumerate() {
        // Most units have reported; the science bureau has not (its clerk sees the button).
        if i % 5 != 0 && Some(*u) != kjj {
            tx.execute(
                sql("INSERT INTO office_duty_zero (unit_id, day, note, reported_by, at) VALUES ($1, $2, '', '单位值班员', $3)")
                    .bind(*u)
                    .bind(day.as_str())
                    .bind((midnight + 8 * 3600 + i as i64 * 300).min(now)),
            )
            .await?;
        }
    }
    for (kind, text, h) in [
        ("handover", "与夜班交接：夜间无突发事件；市供热办报告南岗区一处管网抢修已完成。", 8.5),
        ("call", "09:12 市应急管理局来电：道外区一冷库氨气轻微泄漏，已疏散，无人员伤亡，已通知带班领导。", 9.2),
        ("event", "10:05 已要求道外区政府按较大事件报送初报。", 10.1),
    ] {
        let at = (midnight + (h * 3600.0) as i64).min(now);
        tx.execute(
            sql("INSERT INTO office_duty_log (day, kind, text, recorded_by, at) VALUES ($1, $2, $3, '吴静', $4)")
                .bind(day.as_str())
                .bind(kind)
                .bind(text)
                .bind(at),
        )
        .await?;
    }
    let daowai = orgs.iter().find(|o| o.name.contains("道外区")).map(|o| o.id).or(kjj).unwrap_or(szf);
    let events = [
        ("道外区冷库氨气泄漏", "large", now - 3 * 3600, false),
        ("南岗区供热管网爆裂抢修", "general", now - 5 * 86_400, true),
    ];
    for (title, level, occurred, closed) in events {
        let id = tx
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO office_duty_incident (unit_id, title, level, occurred_at, state, last_report_at, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, '吴静', $4, $7) RETURNING id")
                .bind(daowai)
                .bind(title)
                .bind(level)
                .bind(occurred)
                .bind(if closed { "closed" } else { "open" })
                .bind(occurred + 1500 + if closed { 86_400 } else { 0 })
                .bind(now),
            )
            .await?
            .0;
        let stages: &[(&str, &str, i64)] = if closed {
            &[
                (
                    "initial",
                    "12月1日 06:40 南岗区一处供热主管网爆裂，影响 3 个小区 1,200 户供热，未造成人员伤亡，抢修队伍已到场。",
                    1500,
                ),
                (
                    "followup",
                    "抢修进展：已关闭阀门、开挖作业面，预计 18 时恢复供热；已为受影响的 86 户老人和病人送取暖器。",
                    6 * 3600,
                ),
                (
                    "final",
                    "12月1日 17:30 抢修完成，全部恢复供热，室温 18 度以上。已对同批次管网排查，无其他隐患。",
                    86_400,
                ),
            ]
        } else {
            &[(
                "initial",
                "今日 08:50 道外区一冷库制冷管道阀门老化，发生氨气轻微泄漏，已疏散周边 40 人，无人员伤亡，消防和环保部门已到场处置。",
                1500,
            )]
        };
        let t = |action: &'static str, to: &'static str| Transition {
            action,
            from: "open",
            to,
            step: 0,
            actor: "吴静",
            actor_id: None,
            comment: "",
        };
        workflow::record(&mut tx, &FLOW, id, &t("open", "open"), occurred).await?;
        for (stage, text, after) in stages {
            tx.execute(
                sql("INSERT INTO office_duty_report (incident_id, stage, text, reported_by, at) VALUES ($1, $2, $3, '道外区值班室', $4)")
                    .bind(id)
                    .bind(*stage)
                    .bind(*text)
                    .bind(occurred + after),
            )
            .await?;
            let to = if *stage == "final" { "closed" } else { "open" };
            let action = super::domain::Stage::parse(stage).map_or("initial", |s| s.code());
            workflow::record(&mut tx, &FLOW, id, &t(action, to), occurred + after).await?;
        }
    }
    tx.commit().await?;
    Ok(vec!["政务值班：本月和下月值班表（4 名带班领导、6 名值班员轮值），今日零报告、值班日志，一个已终报和一个待续报的事件".into()])
}
