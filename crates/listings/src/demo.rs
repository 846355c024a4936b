//! The listings demo: each board with live listings from the city's districts and counties (a
//! 五常 rice grower selling the new harvest, a 平房 factory hiring welders, a 松北 start-up looking
//! for partners), a few waiting for the moderator, one hidden by readers' reports, one expired
//! whose poster can renew it, and one whose poster never confirmed the contact.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use platform::workflow::{self, Transition};

use crate::domain::State;
use crate::service::FLOW;

const DAY: i64 = 86_400;

/// kind, title, subject, area, body, pay (元/月), quantity, price, contact name, phone.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<(i64, i64)>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const LISTINGS: &[Spec] = &[
    (
        "hire",
        "招聘电焊工 8 名，持证上岗",
        "电焊工",
        "平房区",
        "我公司为汽车零部件配套企业，现招聘持证电焊工 8 名，要求两年以上二保焊经验。五险一金，提供宿舍和班车，月休四天。",
        Some((6500, 9000)),
        "",
        "",
        "王经理",
        "13904510001",
    ),
    (
        "hire",
        "冷链物流公司招聘叉车司机",
        "叉车司机",
        "道外区",
        "持叉车操作证，熟悉冷库作业优先。两班倒，夜班另有补贴，包工作餐。",
        Some((5000, 6500)),
        "",
        "",
        "刘主管",
        "13904510002",
    ),
    (
        "hire",
        "社区养老服务中心招聘护理员",
        "养老护理员",
        "南岗区",
        "负责老人日常生活照料，有护理员证书优先，无证书可参加免费培训后上岗。年龄 50 周岁以下，责任心强。",
        Some((4200, 5200)),
        "",
        "",
        "孙女士",
        "13904510003",
    ),
    (
        "hire",
        "大米加工厂招聘季节性装卸工",
        "装卸工",
        "五常市",
        "秋收季节招聘装卸工 20 名，计件工资，日结。要求身体健康，能吃苦耐劳。",
        Some((6000, 8000)),
        "",
        "",
        "张厂长",
        "13904510004",
    ),
    (
        "hire",
        "软件企业招聘 Java 开发工程师",
        "Java 开发工程师",
        "松北区",
        "参与政务服务系统开发，本科及以上学历，熟悉 Spring Boot 和 PostgreSQL。双休，年终奖，可落户。",
        Some((9000, 15000)),
        "",
        "",
        "人事部赵女士",
        "13904510005",
    ),
    (
        "hire",
        "冰雪大世界招聘冬季临时工作人员",
        "冰雪景区服务员",
        "松北区",
        "负责游客引导、检票和设备看护，工作时间 12 月至次年 2 月。提供防寒服和工作餐。",
        None,
        "",
        "",
        "景区人事部",
        "13904510006",
    ),
    (
        "seek",
        "有厨师证，求职中餐厨师岗位",
        "中餐厨师",
        "道里区",
        "本人 38 岁，持中级中式烹调师证，擅长东北菜，曾在饭店工作十年。希望在道里区或南岗区就业。",
        Some((6000, 8000)),
        "",
        "",
        "李师傅",
        "13904510007",
    ),
    (
        "seek",
        "会计专业应届毕业生求职",
        "会计、出纳",
        "香坊区",
        "哈尔滨商业大学会计学专业应届毕业生，已取得初级会计职称，熟练使用财务软件。",
        Some((3500, 5000)),
        "",
        "",
        "陈同学",
        "13904510008",
    ),
    (
        "seek",
        "农民工求职建筑木工",
        "建筑木工",
        "呼兰区",
        "从事建筑木工 15 年，可带班组 6 人，支模、吊顶都能做，希望长期合作。",
        None,
        "",
        "",
        "赵师傅",
        "13904510009",
    ),
    (
        "supply",
        "五常稻花香新米上市，产地直供",
        "五常大米（稻花香2号）",
        "五常市",
        "自家合作社种植，今年新米，真空包装，支持到田间查看和溯源。量大可议价，可发物流。",
        None,
        "50000 斤",
        "7 元/斤",
        "马社长",
        "13904510010",
    ),
    (
        "supply",
        "尚志黑木耳，秋耳厚肉",
        "黑木耳",
        "尚志市",
        "椴木和菌包秋耳，晾晒干燥，无杂质。可提供检测报告，支持小批量试货。",
        None,
        "3000 斤",
        "45 元/斤",
        "于女士",
        "13904510011",
    ),
    (
        "supply",
        "出售鲜食黏玉米，冷冻真空包装",
        "鲜食黏玉米",
        "双城区",
        "今年新采摘黏玉米，蒸煮后真空冷冻，保质期 12 个月，适合商超和电商。",
        None,
        "20 万穗",
        "1.2 元/穗",
        "杨经理",
        "13904510012",
    ),
    (
        "supply",
        "阿城区大豆出售",
        "大豆",
        "阿城区",
        "非转基因大豆，水分 13% 以下，蛋白含量高，适合豆制品加工厂。",
        None,
        "80 吨",
        "面议",
        "周先生",
        "13904510013",
    ),
    (
        "supply",
        "冻梨、冻柿子批发",
        "冻梨、冻柿子",
        "道外区",
        "东北传统冻果，冷库储存，年货季批发，可配送到哈尔滨市区各大市场。",
        None,
        "10 吨",
        "4 元/斤",
        "钱老板",
        "13904510014",
    ),
    (
        "demand",
        "求购优质土豆，长期合作",
        "土豆",
        "香坊区",
        "食品厂常年收购土豆，要求个大、无青皮、无烂薯，淀粉含量高，按月结算。",
        None,
        "每月 100 吨",
        "面议",
        "采购部吴经理",
        "13904510015",
    ),
    (
        "demand",
        "求购榛蘑、松蘑等山野菜",
        "榛蘑、松蘑",
        "南岗区",
        "特产店求购野生榛蘑、松蘑干品，要求无沙无虫，欢迎山区农户联系。",
        None,
        "2000 斤",
        "",
        "郑先生",
        "13904510016",
    ),
    (
        "demand",
        "学校食堂求购新鲜蔬菜",
        "白菜、萝卜、土豆等时令蔬菜",
        "道里区",
        "学校食堂常年采购新鲜蔬菜，需有食品经营许可或合作社资质，每日配送。",
        None,
        "每日 800 斤",
        "按市场价",
        "后勤处冯老师",
        "13904510017",
    ),
    (
        "project",
        "寻找合伙人：冰雪研学旅行项目",
        "冰雪研学旅行",
        "松北区",
        "已与 5 所中小学签订意向协议，寻找有旅行社资质或教育培训经验的合伙人，共同开发冬季研学课程。",
        None,
        "",
        "",
        "林先生",
        "13904510018",
    ),
    (
        "project",
        "大学生创业：农产品直播带货团队招募",
        "农产品直播电商",
        "香坊区",
        "入驻区创业孵化基地，有直播间和仓储，现招募主播、运营各 2 名，可技术入股。",
        None,
        "",
        "",
        "何同学",
        "13904510019",
    ),
    (
        "project",
        "寻求场地：社区托育服务项目",
        "社区托育中心",
        "道里区",
        "拟开办普惠托育机构，寻求 300 平方米左右一楼临街场地，欢迎社区和物业联系合作。",
        None,
        "",
        "",
        "韩女士",
        "13904510020",
    ),
    (
        "enterprise",
        "新办企业：哈尔滨北寒智能装备有限公司",
        "哈尔滨北寒智能装备有限公司",
        "平房区",
        "主营寒地工业机器人研发与系统集成，已完成注册登记，欢迎上下游企业洽谈合作。",
        None,
        "",
        "",
        "曹总",
        "13904510021",
    ),
    (
        "enterprise",
        "新办企业：五常市稻香源农业科技有限公司",
        "五常市稻香源农业科技有限公司",
        "五常市",
        "从事水稻育秧、农机作业和农产品销售，提供代耕代种服务。",
        None,
        "",
        "",
        "许经理",
        "13904510022",
    ),
];

/// Which listings start in which state: the rest are live.
fn state_of(i: usize) -> State {
    match i {
        2 | 16 => State::Pending,
        13 => State::Hidden,
        5 => State::Expired,
        19 => State::Unverified,
        _ => State::Visible,
    }
}

/// A valid 统一社会信用代码 for the n-th demo enterprise.
fn credit_code(n: usize) -> String {
    let first17 = format!("91230100MA{:07}", 1_234_560 + n);
    let check = platform::codes::uscc_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub async fn load(state: &AppState, _demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM listing")).await? > 0 {
        return Ok(Vec::new());
    }
    let now = platform::db::now();
    let mut tx = db.begin().await?;
    for (i, (kind, title, subject, area, body, pay, quantity, price, name, phone)) in LISTINGS.iter().enumerate() {
        let st = state_of(i);
        let board = crate::domain::Kind::parse(kind).map(|k| k.board()).unwrap_or(crate::domain::Board::Talent);
        let created = now - (i as i64 % 9 + 1) * DAY - i as i64 * 3600;
        let days = if board == crate::domain::Board::Agri { 30 } else { 60 };
        let (published, expires) = match st {
            State::Visible | State::Hidden => (Some(created + 600), Some(created + 600 + days * DAY)),
            State::Expired => (Some(now - 40 * DAY), Some(now - 10 * DAY)),
            _ => (None, None),
        };
        let code = if *kind == "enterprise" { credit_code(i) } else { String::new() };
        let id = tx
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO listing (no, board, kind, title, body, area, subject, pay_min, pay_max, quantity, price, credit_code, \
                     contact_name, contact_phone, contact_email, contact_hash, verify_by, verify_hash, verify_sent_at, code_hash, days, \
                     state, expires_at, flags, views, reveals, ip, created_at, published_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', $15, 'sms', $27, $16, $17, $18, $19, $20, $21, $22, $23, \
                     '127.0.0.1', $24, $25, $26) RETURNING id")
                .bind(platform::intake::temporary_number())
                .bind(board.code())
                .bind(*kind)
                .bind(*title)
                .bind(*body)
                .bind(*area)
                .bind(*subject)
                .bind(pay.map(|p| p.0))
                .bind(pay.map(|p| p.1))
                .bind(*quantity)
                .bind(*price)
                .bind(code)
                .bind(platform::sealed::seal(name))
                .bind(platform::sealed::seal(phone))
                .bind(platform::sealed::lookup_hash(phone))
                .bind(created)
                // Every demo listing has the management code ZHENGWU26 (to try renewing one).
                .bind(platform::intake::hash_code("ZHENGWU26"))
                .bind(days)
                .bind(st.code())
                .bind(expires)
                .bind(if st == State::Hidden { 3 } else { 0 })
                .bind((i as i64 * 37) % 180 + 12)
                .bind((i as i64 * 7) % 25)
                .bind(created)
                .bind(published)
                .bind(now - (LISTINGS.len() - i) as i64)
                // An unverified listing still waits for its code (one nobody knows).
                .bind(if st == State::Unverified { platform::intake::hash_code(&platform::security::random_token(8)) } else { String::new() }),
            )
            .await?
            .0;
        platform::intake::assign_number(&mut tx, "listing", id, "GQ", 7).await?;
        let posted = Transition {
            action: "post",
            from: "",
            to: "unverified",
            step: 0,
            actor: "发布人",
            actor_id: None,
            comment: "",
        };
        workflow::record(&mut tx, &FLOW, id, &posted, created).await?;
        if st != State::Unverified {
            let to = if st == State::Pending { "pending" } else { "visible" };
            let t = Transition {
                action: "verify",
                from: "unverified",
                to,
                step: 0,
                actor: "发布人",
                actor_id: None,
                comment: "",
            };
            workflow::record(&mut tx, &FLOW, id, &t, created + 300).await?;
        }
        if st == State::Hidden {
            for (n, reason) in ["false", "false", "contact"].iter().enumerate() {
                tx.execute(
                    sql("INSERT INTO listing_flag (listing_id, voter, reason, at) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(format!("demo-reader-{n}"))
                        .bind(*reason)
                        .bind(now - DAY),
                )
                .await?;
            }
            let t = Transition {
                action: "flagged",
                from: "visible",
                to: "hidden",
                step: 0,
                actor: "读者举报",
                actor_id: None,
                comment: "举报达到 3 次",
            };
            workflow::record(&mut tx, &FLOW, id, &t, now - DAY).await?;
        }
        if st == State::Expired {
            let t = Transition {
                action: "expire",
                from: "visible",
                to: "expired",
                step: 0,
                actor: "系统",
                actor_id: None,
                comment: "",
            };
            workflow::record(&mut tx, &FLOW, id, &t, now - 10 * DAY).await?;
        }
    }
    tx.commit().await?;
    Ok(vec![format!(
        "供求信息：{} 条（/gongqiu/，三个栏目；演示信息的管理码均为 ZHENGWU26；审核在 /admin/listings）",
        LISTINGS.len()
    )])
}
