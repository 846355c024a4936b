//! The proposals demo: one session's 400 items (and, for benchmarks, `--proposals` more) — 260 人大代表建议 and 140 政协委员提案 — spread over
//! the city's units in every state (waiting for 交办, returned, in hand with some overdue, replies
//! waiting for review or rating, reopened, closed), with 会办 opinions, 督办, and published
//! replies on the portal. The demo deputy 王建国 (`daibiao`) has replies waiting for his rating;
//! the science bureau (the demo handler's unit) leads items in every state.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use platform::workflow::{self, Transition};

use super::FLOW;
use super::domain::{self, RESULT_CODES, State};

const DAY: i64 = 86_400;

pub const SUGGESTION_SESSION: &str = "市十六届人大五次会议";
pub const PROPOSAL_SESSION: &str = "市政协十四届五次会议";

/// Topics: title stem, category, the unit key that would lead it (or a district when empty).
const TOPICS: [(&str, &str, &str); 24] = [
    ("加快老旧小区加装电梯", "城乡建设", "zjj"),
    ("完善城市供热计量收费", "城乡建设", "zjj"),
    ("增设中小学课后托管服务", "教育", "jyj"),
    ("缓解中心城区学校周边交通拥堵", "交通出行", "gaj"),
    ("推进社区卫生服务中心家庭医生签约", "医疗卫生", "wjw"),
    ("扩大异地就医直接结算范围", "医疗卫生", "rsj"),
    ("支持高校科技成果在哈转化", "科技创新", "kjj"),
    ("设立中小企业科技创新券", "科技创新", "kjj"),
    ("加强冰雪旅游市场监管", "市场监管", "scj"),
    ("规范预付卡消费管理", "市场监管", "scj"),
    ("提高城乡低保标准", "民生保障", "mzj"),
    ("发展社区嵌入式养老服务", "民生保障", "mzj"),
    ("优化“一网通办”高频事项办理流程", "政务服务", "zwzx"),
    ("推行企业开办“一日办结”", "政务服务", "zwzx"),
    ("稳定高校毕业生就业", "就业社保", "rsj"),
    ("推动重点项目早开工早投产", "经济发展", "fgw"),
    ("加快松花江沿岸生态修复", "生态环境", ""),
    ("治理冬季燃煤散烧污染", "生态环境", ""),
    ("改造农村公路和危桥", "农业农村", ""),
    ("建设智慧农贸市场", "农业农村", ""),
    ("增加中心城区停车泊位", "交通出行", ""),
    ("完善公交线网和夜间公交", "交通出行", ""),
    ("保护中东铁路历史建筑", "文化旅游", ""),
    ("加强社区网格化治理", "社会治理", ""),
];

const DEPUTIES: [&str; 12] = [
    "王建国",
    "李秀兰",
    "张海涛",
    "刘春燕",
    "陈立新",
    "杨晓东",
    "赵红梅",
    "黄志强",
    "周丽娟",
    "吴德明",
    "徐静",
    "孙国庆",
];

const REPLY: &str = "经认真研究，现将办理情况答复如下：\n\
我单位高度重视您提出的建议，专题召开会议研究，并会同相关部门进行了实地调研。\n\
一、已将相关工作纳入本年度重点任务，明确了责任处室和完成时限。\n\
二、下一步将加大资金和政策支持力度，建立工作台账，按季度调度推进，及时向您通报进展。\n\
感谢您对我市工作的关心和支持，欢迎继续提出宝贵意见。";

/// The planned state of the `i`-th item (deterministic, so a rerun builds the same session).
fn planned(i: usize) -> (State, i64) {
    // (state, days since 交办)
    match i % 20 {
        0 => (State::Registered, 0),
        1 => (State::Returned, 4),
        2..=5 => (State::Assigned, 40),
        6 => (State::Assigned, 100),
        7 => (State::Reviewing, 70),
        8..=10 => (State::Replied, 80),
        11 => (State::Reopened, 95),
        _ => (State::Closed, 120),
    }
}

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM office_proposal")).await? > 0 {
        return Ok(Vec::new());
    }
    let Some(szf) = demo.org("szf") else { return Ok(Vec::new()) };
    let orgs = platform::accounts::list_orgs(db).await?;
    let districts: Vec<i64> = orgs
        .iter()
        .filter(|o| o.kind == "government" && o.id != szf && o.parent_id == Some(szf))
        .map(|o| o.id)
        .collect();
    let bureaus: Vec<i64> =
        orgs.iter().filter(|o| o.kind == "bureau" && o.parent_id == Some(szf)).map(|o| o.id).collect();
    if districts.is_empty() || bureaus.is_empty() {
        return Ok(Vec::new());
    }
    let deputy = platform::accounts::user_by_name(db, "daibiao").await?.map(|u| u.id);
    let cal = platform::calendar::load(db).await?;
    let now = platform::db::now();
    let today = platform::calendar::today();
    let mut tx = db.begin().await?;
    let mut published = 0;
    let total = 400 + demo.size("proposals") as usize;
    let mut numbers = [0usize; 2];
    for i in 0..total {
        // The session's own 400 first (260 suggestions, then 140 proposals); generated ones for
        // benchmarks follow, two suggestions to one proposal.
        let suggestion = if i < 400 { i < 260 } else { i % 3 != 0 };
        numbers[usize::from(!suggestion)] += 1;
        let n = numbers[usize::from(!suggestion)];
        let (kind, session) = if suggestion {
            (domain::Kind::Suggestion, SUGGESTION_SESSION)
        } else {
            (domain::Kind::Proposal, PROPOSAL_SESSION)
        };
        let (topic, category, lead_key) = TOPICS[i % TOPICS.len()];
        let district = districts[i % districts.len()];
        let place = orgs.iter().find(|o| o.id == district).map(|o| o.name.replace("哈尔滨市", "")).unwrap_or_default();
        let lead = demo.org(lead_key).unwrap_or(district);
        let title = if lead_key.is_empty() {
            format!("关于{place}{topic}的{}", if suggestion { "建议" } else { "提案" })
        } else {
            format!("关于{topic}的{}", if suggestion { "建议" } else { "提案" })
        };
        let member = if i % 25 == 3 || i == 8 || i == 9 { "王建国" } else { DEPUTIES[i % DEPUTIES.len()] };
        let member_user = if member == "王建国" && suggestion && i < 400 { deputy } else { None };
        let member_name =
            if suggestion { format!("{member}等 {} 名代表", 1 + i % 6) } else { format!("{member}委员") };
        let content = format!(
            "近年来，{place}在{category}方面做了大量工作，群众反映较好，但仍存在一些突出问题：一是投入不足，二是部门协同不够，三是群众参与渠道不多。\n\
             为此建议：{topic}，由主管部门牵头制定年度计划，明确时间表和责任人，并将落实情况向社会公开。"
        );
        let (st, days) = planned(i);
        let assigned_day = today - time::Duration::days(days);
        let complex = i % 37 == 5;
        let (due, return_by) = domain::deadlines(&cal, assigned_day, complex);
        let assigned_at = now - days * DAY;
        let due_on = platform::calendar::date_text(due);
        let due_at = platform::parse_date(&due_on).map(|d| d + DAY);
        let code = RESULT_CODES[[0, 0, 1, 1, 1, 2, 3][i % 7]].0;
        let has_reply = matches!(st, State::Reviewing | State::Replied | State::Closed | State::Reopened);
        let replied_at =
            matches!(st, State::Replied | State::Closed).then_some(assigned_at + (50 + (i as i64 % 40)) * DAY);
        let rating = match st {
            State::Closed => ["satisfied", "satisfied", "basic", "satisfied", "unsatisfied"][i % 5],
            State::Reopened => "unsatisfied",
            _ => "",
        };
        let reopened = i64::from(st == State::Reopened || (st == State::Closed && rating == "unsatisfied"));
        let public = has_reply && i % 3 != 0;
        let pub_at = (public && replied_at.is_some() && i % 2 == 0).then(|| replied_at.unwrap_or(now) + 3 * DAY);
        if pub_at.is_some() {
            published += 1;
        }
        let id = tx
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO office_proposal (kind, session, number, member_name, member_user_id, title, content, category, state, lead_unit_id, complex, complex_reason, \
                     assigned_at, due_on, due_at, return_by, return_reason, result_code, reply, reply_public, replied_by, replied_at, rating, rating_comment, rated_at, reopened, urged, published_at, \
                     created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, '吴静（市政府督查室）', $29, $30) RETURNING id")
                .bind(kind.code())
                .bind(session)
                .bind(format!("第 {n:04} 号"))
                .bind(member_name.as_str())
                .bind(member_user)
                .bind(title.as_str())
                .bind(content)
                .bind(category)
                .bind(st.code())
                .bind((st != State::Registered).then_some(lead))
                .bind(i64::from(complex))
                .bind(if complex { "涉及跨部门资金安排，需列入下年度预算" } else { "" })
                .bind((st != State::Registered).then_some(assigned_at))
                .bind(if st == State::Registered { String::new() } else { due_on.clone() })
                .bind(if st == State::Registered { None } else { due_at })
                .bind(if st == State::Registered { String::new() } else { platform::calendar::date_text(return_by) })
                .bind(if st == State::Returned { "该事项属区级事权，建议交由所在区人民政府办理" } else { "" })
                .bind(if has_reply { code } else { "" })
                .bind(if has_reply { REPLY } else { "" })
                .bind(i64::from(public))
                .bind(if has_reply { "经办人" } else { "" })
                .bind(replied_at)
                .bind(rating)
                .bind(if rating == "unsatisfied" { "答复未提出具体措施和完成时限" } else { "" })
                .bind((!rating.is_empty()).then_some(assigned_at + 90 * DAY))
                .bind(reopened)
                .bind(i64::from(i % 20 == 6))
                .bind(pub_at)
                .bind(now - (days + 10) * DAY)
                .bind(now - (i as i64 % 5) * DAY),
            )
            .await?
            .0;
        let ev =
            |action: &'static str, from: &'static str, to: &'static str, actor: &'static str, comment: &'static str| {
                Transition { action, from, to, step: 0, actor, actor_id: None, comment }
            };
        let office = "吴静（市政府督查室）";
        workflow::record(&mut tx, &FLOW, id, &ev("create", "", "registered", office, ""), now - (days + 10) * DAY)
            .await?;
        if st != State::Registered {
            workflow::record(&mut tx, &FLOW, id, &ev("assign", "registered", "assigned", office, ""), assigned_at)
                .await?;
        }
        if i % 20 == 6 {
            workflow::record(
                &mut tx,
                &FLOW,
                id,
                &ev("urge", "assigned", "assigned", office, "请抓紧办理，按期答复"),
                assigned_at + 95 * DAY,
            )
            .await?;
        }
        if st == State::Returned {
            workflow::record(
                &mut tx,
                &FLOW,
                id,
                &ev("return", "assigned", "returned", "承办单位", "该事项属区级事权，建议交由所在区人民政府办理"),
                assigned_at + 2 * DAY,
            )
            .await?;
        }
        if has_reply {
            workflow::record(
                &mut tx,
                &FLOW,
                id,
                &ev("reply", "assigned", "reviewing", "经办人", ""),
                assigned_at + 45 * DAY,
            )
            .await?;
        }
        if let Some(at) = replied_at {
            workflow::record(&mut tx, &FLOW, id, &ev("approve", "reviewing", "replied", "单位领导", ""), at).await?;
        }
        if st == State::Closed {
            workflow::record(
                &mut tx,
                &FLOW,
                id,
                &ev("rate", "replied", "closed", "代表委员", ""),
                assigned_at + 90 * DAY,
            )
            .await?;
        }
        if let Some(at) = pub_at {
            workflow::record(&mut tx, &FLOW, id, &ev("publish", "closed", "closed", office, ""), at).await?;
        }
        // Some items have 会办 units: the next bureau and, for district items, the city bureau.
        if st != State::Registered && i % 3 == 1 {
            let co = bureaus[(i / 3) % bureaus.len()];
            if co != lead {
                let opinion = (st != State::Assigned || i % 2 == 0)
                    .then_some("我单位同意主办单位的办理意见，将在职责范围内做好配合，落实相关资金和政策。");
                tx.execute(
                    sql("INSERT INTO office_proposal_co_unit (proposal_id, unit_id, opinion, opinion_by, opinion_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id)
                        .bind(co)
                        .bind(opinion.unwrap_or(""))
                        .bind(if opinion.is_some() { "会办单位经办人" } else { "" })
                        .bind(opinion.map(|_| assigned_at + 20 * DAY)),
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(vec![format!(
        "建议提案：{SUGGESTION_SESSION}代表建议 {} 件、{PROPOSAL_SESSION}委员提案 {} 件，各种办理状态；{published} 件答复已在 /jianyi/ 公开；督查室账号 ducha，代表账号 daibiao",
        numbers[0], numbers[1]
    )])
}
