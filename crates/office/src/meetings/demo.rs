//! The meetings demo: the 办公厅's city-wide meeting next week with most units' 回执 in (the science
//! bureau's still missing, so its clerk sees it on the workbench); the science bureau's own
//! meeting starting an hour after the demo loads (its clerk opens the sign-in sheet and signs
//! people in); last month's meeting with its minutes; and a draft.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use platform::workflow::{self, Transition};

use super::FLOW;

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

struct Planned {
    org: &'static str,
    title: &'static str,
    place: &'static str,
    starts_in: i64,
    hours: i64,
    agenda: &'static str,
    state: &'static str,
    minutes: &'static str,
}

const MEETINGS: [Planned; 4] = [
    Planned {
        org: "bgt",
        title: "全市优化营商环境工作推进会",
        place: "市政府第一会议室（市政府大楼三楼）",
        starts_in: 6 * DAY + 2 * HOUR,
        hours: 2,
        agenda: "一、通报一季度营商环境评价情况\n二、市政务服务中心、市市场监管局作交流发言\n三、市政府领导讲话\n请各单位主要负责同志参加，不得请假；确需请假的报市政府领导批准。",
        state: "sent",
        minutes: "",
    },
    Planned {
        org: "kjj",
        title: "科技创新券兑付工作调度会",
        place: "市科技局三楼会议室",
        starts_in: HOUR,
        hours: 3,
        agenda: "一、各区县汇报创新券兑付进度\n二、研究解决兑付中遇到的问题\n请各区县科技部门分管负责同志参加。",
        state: "sent",
        minutes: "",
    },
    Planned {
        org: "bgt",
        title: "全市冬季安全生产工作会议",
        place: "市政府第二会议室",
        starts_in: -25 * DAY,
        hours: 2,
        agenda: "一、部署冬季安全生产大检查\n二、签订安全生产责任书",
        state: "sent",
        minutes: "会议由市政府副秘书长主持。会议要求：一、12月底前完成对重点企业的全覆盖检查；二、严格落实领导干部带班和24小时值班制度；三、发现重大隐患立即报告。",
    },
    Planned {
        org: "kjj",
        title: "高新技术企业认定培训会",
        place: "市科技局报告厅",
        starts_in: 20 * DAY,
        hours: 3,
        agenda: "一、解读高新技术企业认定管理办法\n二、申报材料常见问题",
        state: "draft",
        minutes: "",
    },
];

const PEOPLE: [&str; 8] = [
    "张伟 局长",
    "李娜 副局长",
    "王强 办公室主任",
    "刘洋 科长",
    "陈静 副主任",
    "杨帆 处长",
    "赵磊 副处长",
    "孙丽 科员",
];

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM office_meeting")).await? > 0 {
        return Ok(Vec::new());
    }
    let (Some(szf), Some(kjj)) = (demo.org("szf"), demo.org("kjj")) else { return Ok(Vec::new()) };
    let orgs = platform::accounts::list_orgs(db).await?;
    let bureaus: Vec<i64> =
        orgs.iter().filter(|o| o.parent_id == Some(szf) && o.kind != "division").map(|o| o.id).collect();
    let districts: Vec<i64> =
        orgs.iter().filter(|o| o.parent_id == Some(szf) && o.kind == "government").map(|o| o.id).collect();
    let now = platform::db::now();
    let mut tx = db.begin().await?;
    let mut n = 0;
    for (k, p) in MEETINGS.iter().enumerate() {
        let Some(org) = demo.org(p.org) else { continue };
        let starts = now + p.starts_in;
        let invited: Vec<i64> =
            if p.org == "kjj" { districts.clone() } else { bureaus.iter().copied().filter(|u| *u != org).collect() };
        let id = tx
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO office_meeting (org_id, title, place, starts_at, ends_at, agenda, reply_by, state, minutes, minutes_at, created_by, created_at, updated_at, sent_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '会务组', $11, $11, $12) RETURNING id")
                .bind(org)
                .bind(p.title)
                .bind(p.place)
                .bind(starts)
                .bind(starts + p.hours * HOUR)
                .bind(p.agenda)
                .bind(starts - if p.starts_in > DAY { 2 * DAY } else { 30 * 60 })
                .bind(p.state)
                .bind(p.minutes)
                .bind((!p.minutes.is_empty()).then_some(starts + DAY))
                .bind(starts.min(now) - 3 * DAY)
                .bind((p.state == "sent").then_some(starts.min(now) - 3 * DAY + HOUR)),
            )
            .await?
            .0;
        let ev = |action: &'static str, from: &'static str, to: &'static str| Transition {
            action,
            from,
            to,
            step: 0,
            actor: "会务组",
            actor_id: None,
            comment: "",
        };
        workflow::record(&mut tx, &FLOW, id, &ev("create", "", "draft"), starts.min(now) - 3 * DAY).await?;
        if p.state == "sent" {
            workflow::record(&mut tx, &FLOW, id, &ev("send", "draft", "sent"), starts.min(now) - 3 * DAY + HOUR)
                .await?;
        }
        for (i, unit) in invited.iter().enumerate() {
            // Most units have answered; the science bureau has not (its clerk has a 回执 to give).
            let (st, attendees, reason) = match (p.state, (i + k) % 6) {
                ("draft", _) => ("pending", String::new(), ""),
                _ if *unit == kjj => ("pending", String::new(), ""),
                (_, 0) => ("pending", String::new(), ""),
                (_, 5) => ("absent", String::new(), "主要负责同志同一时间参加省里会议，已报市政府领导同意"),
                _ => ("attending", format!("{}\n{}", PEOPLE[i % PEOPLE.len()], PEOPLE[(i + 3) % PEOPLE.len()]), ""),
            };
            let replied = st != "pending";
            tx.execute(
                sql("INSERT INTO office_meeting_unit (meeting_id, unit_id, state, attendees, reason, replied_by, replied_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(*unit)
                    .bind(st)
                    .bind(attendees)
                    .bind(reason)
                    .bind(if replied { "单位联络员" } else { "" })
                    .bind(replied.then_some(starts.min(now) - 2 * DAY)),
            )
            .await?;
        }
        n += 1;
    }
    tx.commit().await?;
    Ok(vec![format!(
        "会议通知：{n} 次会议（下周的全市会议待市科技局回执，市科技局的调度会一小时后开始可签到，上月会议有纪要）"
    )])
}
