//! The 信息报送 demo: a month of items from the city's units (about ten a working day), most of
//! them decided — adopted into the numbered 《每日要情》 issues of each working day (issued) and a
//! few 《信息专报》, some declined — with leaders' 批示 on some, today's items still waiting for the
//! office, and a monthly quota of four items for every bureau and district.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use platform::workflow::{self, Transition};

use super::FLOW;
use super::domain::CATEGORIES;

const DAY: i64 = 86_400;

/// (title stem, body) — the unit's name is put in front.
const ITEMS: [(&str, &str); 10] = [
    (
        "开展冬季安全生产大检查",
        "本周组织 6 个检查组对辖区 42 家重点企业开展安全生产检查，排查隐患 37 处，已整改 31 处，其余 6 处限期整改并跟踪复查。",
    ),
    (
        "推进“一网通办”高频事项减环节",
        "梳理高频事项 58 项，精简申请材料 126 件，平均办理时限由 8 个工作日压缩至 3 个工作日，群众满意率 99.2%。",
    ),
    (
        "做好困难群众冬季取暖救助",
        "为 1,286 户低保和特困家庭发放取暖补贴 257 万元，入户走访独居老人 312 人次，确保温暖过冬。",
    ),
    (
        "科技创新券首批兑付完成",
        "首批 87 家中小企业兑付科技创新券 1,320 万元，带动企业研发投入 1.1 亿元，新增技术合同登记 46 项。",
    ),
    (
        "冰雪旅游市场秩序专项整治",
        "联合文旅、公安等部门检查冰雪景区和宾馆 215 家次，查处价格违法案件 9 起，受理并办结游客投诉 64 件。",
    ),
    (
        "重点项目建设进展顺利",
        "全市 126 个重点项目中已开工 118 个，完成年度投资计划的 94.6%，其中 23 个项目已竣工投产。",
    ),
    (
        "扎实做好高校毕业生就业服务",
        "举办专场招聘会 12 场，提供岗位 8,600 个，达成就业意向 2,140 人，发放一次性吸纳就业补贴 186 万元。",
    ),
    ("松花江沿岸生态修复工程完工", "完成江岸生态修复 18.5 公里，新增绿地 46 公顷，水质断面稳定达到Ⅲ类标准。"),
    ("基层网格化治理经验做法", "社区推行“街巷长+网格员”机制，一季度化解矛盾纠纷 213 件，群众诉求办结率 98.7%。"),
    (
        "群众反映集中供热问题的建议",
        "近期群众反映部分老旧小区室温不达标，建议供热企业加强管网巡检，对不达标用户按规定退费。",
    ),
];

fn ev<'a>(
    action: &'static str,
    from: &'static str,
    to: &'static str,
    actor: &'a str,
    comment: &'a str,
) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor, actor_id: None, comment }
}

const LEADERS: [&str; 3] = ["陈市长", "王副市长", "李秘书长"];

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM office_report")).await? > 0 {
        return Ok(Vec::new());
    }
    let Some(szf) = demo.org("szf") else { return Ok(Vec::new()) };
    let orgs = platform::accounts::list_orgs(db).await?;
    let units: Vec<&platform::accounts::OrgUnit> =
        orgs.iter().filter(|o| o.parent_id == Some(szf) && o.kind != "division").take(30).collect();
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let cal = platform::calendar::load(db).await?;
    let today = platform::calendar::today();
    let now = platform::db::now();
    let office = "吴静（市政府办公厅信息科）";
    let mut tx = db.begin().await?;
    for u in &units {
        tx.execute(sql("INSERT INTO office_report_quota (unit_id, monthly) VALUES ($1, $2)").bind(u.id).bind(4))
            .await?;
    }
    let (mut submitted, mut adopted, mut instructed, mut issues) = (0, 0, 0, 0);
    // The working days of the past month, oldest first; today's items wait for the office.
    let days: Vec<time::Date> =
        (0..31).rev().map(|d| today - time::Duration::days(d)).filter(|d| cal.is_workday(*d)).collect();
    let mut daily_number = 0;
    for (di, day) in days.iter().enumerate() {
        let is_today = *day == today;
        let day_start = platform::parse_date(&platform::calendar::date_text(*day)).unwrap_or(now);
        let mut issue_id = None;
        if !is_today {
            daily_number += 1;
            issues += 1;
            issue_id = Some(
                tx.fetch_one::<Scalar<i64>>(
                    sql("INSERT INTO office_report_issue (kind, year, number, created_by, created_at, issued_at, issued_by) VALUES ('daily', $1, $2, $3, $4, $5, $3) RETURNING id")
                        .bind(i64::from(day.year()))
                        .bind(daily_number)
                        .bind(office)
                        .bind(day_start + 9 * 3600)
                        .bind(day_start + 17 * 3600),
                )
                .await?
                .0,
            );
        }
        for k in 0..10usize {
            let n = di * 10 + k;
            let unit = units[(n * 7) % units.len()];
            let (stem, body) = ITEMS[n % ITEMS.len()];
            let title = format!("{}{}", unit.name.replace("哈尔滨市", "").replace("人民政府", ""), stem);
            let at = (day_start + 8 * 3600 + (k as i64) * 1500).min(now - 60);
            // Decided: most adopted into the day's issue, one in five declined; today's wait.
            let (st, level) = match (is_today, n % 5) {
                (true, _) => ("submitted", ""),
                (false, 4) => ("declined", ""),
                (false, 3) if n % 3 == 0 => ("adopted", "portal"),
                _ => ("adopted", "daily"),
            };
            let instr = i64::from(st == "adopted" && n % 9 == 0);
            let id = tx
                .fetch_one::<Scalar<i64>>(
                    sql("INSERT INTO office_report (unit_id, title, body, category, urgency, state, level, issue_id, decision_note, decided_by, decided_at, instructions, submitted_by, submitted_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id")
                    .bind(unit.id)
                    .bind(title.as_str())
                    .bind(format!("{}{}", unit.name, body))
                    .bind(CATEGORIES[n % CATEGORIES.len()])
                    .bind(if n % 13 == 0 { "急" } else { "" })
                    .bind(st)
                    .bind(level)
                    .bind(if level == "daily" { issue_id } else { None })
                    .bind(if st == "declined" { "内容与前期报送重复，请报送新进展" } else { "" })
                    .bind(if st == "submitted" { "" } else { office })
                    .bind((st != "submitted").then_some(at + 3 * 3600))
                    .bind(instr)
                    .bind(format!("{}信息员", unit.name.replace("哈尔滨市", "")))
                    .bind(at),
                )
                .await?
                .0;
            submitted += 1;
            workflow::record(&mut tx, &FLOW, id, &ev("submit", "", "submitted", "信息员", ""), at).await?;
            if st != "submitted" {
                let comment = if st == "declined" {
                    "内容与前期报送重复，请报送新进展"
                } else if level == "portal" {
                    "采用到门户网站"
                } else {
                    "采用到《每日要情》"
                };
                workflow::record(
                    &mut tx,
                    &FLOW,
                    id,
                    &ev(if st == "declined" { "decline" } else { "adopt" }, "submitted", st, office, comment),
                    at + 3 * 3600,
                )
                .await?;
                adopted += i64::from(st == "adopted");
            }
            if instr > 0 {
                let leader = LEADERS[n % LEADERS.len()];
                let text = "请相关部门认真研究，总结经验做法，适时在全市推广。";
                tx.execute(
                    sql("INSERT INTO office_report_instruction (report_id, leader, text, at) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(leader)
                        .bind(text)
                        .bind(at + DAY),
                )
                .await?;
                workflow::record(&mut tx, &FLOW, id, &ev("instruct", "adopted", "adopted", leader, text), at + DAY)
                    .await?;
                instructed += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(vec![format!(
        "信息报送：近一个月 {submitted} 条（采用 {adopted} 条，领导批示 {instructed} 条），《每日要情》{issues} 期；{} 个单位每月报送指标 4 条",
        units.len()
    )])
}
