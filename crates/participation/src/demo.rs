//! Participation's demo, from seed 002's world (车改之我见, parks, transport): a running
//! consultation on a 重大行政决策 with opinions on its paragraphs, a closed one with its published
//! adoption report, a closed survey with 600 responses and an open one, a past interview with its
//! transcript and an announced one collecting questions; the science bureau's 信息员 and reviewer
//! get the participation roles over their bureau.

use platform::db::{Scalar, sql};
use platform::module::DemoSetup;
use platform::roles::{Role, ScopeKind};
use platform::web::AppState;
use platform::workflow;
use rand::{Rng, SeedableRng};

use crate::domain::{self, Anchor, Answer, Answers, Question, QuestionKind, ShowIf};
use crate::survey;

const DAY: i64 = domain::DAY;

const PARK_DRAFT: &str = "第一章 总则
第一条 为加强城市公园的建设和管理，保护和改善生态环境，满足市民游览、休憩和健身需要，根据有关法律法规，结合本市实际，制定本办法。
第二条 本办法适用于本市行政区域内城市公园的规划、建设、保护和管理。
第三条 市住房和城乡建设局是本市城市公园的主管部门，负责本办法的组织实施。各区人民政府负责本辖区内城市公园的管理工作。
第二章 规划和建设
第四条 城市公园的规划应当符合城市总体规划和绿地系统规划，按照服务半径合理布局，逐步实现市民出行 500 米见绿、1000 米见园。
第五条 新建、改建公园应当同步建设无障碍设施、公共厕所和母婴室，并设置适合老年人和儿童的活动场地。
第六条 公园内的建筑物、构筑物不得超过公园陆地面积的百分之五，不得改变公园绿地的使用性质。
第三章 保护和管理
第七条 公园应当全年免费开放。确需收费的，应当依法报价格主管部门批准，并向社会公示。
第八条 公园管理单位应当在每日 6 时至 22 时开放公园；冬季开放时间可以适当调整，并提前公告。
第九条 在公园内开展广场舞等群众性文体活动，应当遵守公园管理规定，音量不得超过规定标准，不得影响他人正常游览休憩。
第十条 禁止在公园内从事下列行为：（一）损毁花草树木；（二）在非指定区域游泳、滑冰、垂钓；（三）擅自设摊经营；（四）携带犬只未束犬链。
第四章 附则
第十一条 本办法自 2027 年 3 月 1 日起施行。";

const CAR_DRAFT: &str = "一、总体要求
按照中央关于公务用车制度改革的部署，坚持社会化、市场化方向，取消一般公务用车，保留必要的执法执勤用车和特种专业技术用车，合理发放公务交通补贴。
二、改革范围
本市各级党政机关、人大机关、政协机关、审判机关、检察机关和各民主党派机关、人民团体、参照公务员法管理的事业单位。
三、公务交通补贴标准
司局级每人每月 1300 元，处级每人每月 800 元，科级及以下每人每月 500 元。补贴随工资按月发放，不得重复发放。
四、车辆处置
取消的公务用车通过公开拍卖等方式处置，处置收入按照政府非税收入和国库集中收缴制度管理，全额上缴国库。
五、保障措施
各单位要严格执行改革方案，不得以各种名义变相保留公务用车，不得借用下属单位和企业车辆。";

fn t0() -> i64 {
    platform::db::now()
}

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM consultation")).await? > 0 {
        return Ok(Vec::new());
    }
    let (Some(zjj), Some(bgt), Some(kjj)) = (demo.org("zjj"), demo.org("bgt"), demo.org("kjj")) else {
        return Ok(Vec::new());
    };
    // 李明 writes the science bureau's participation, 王芳 reviews it; the city's own runs under
    // the site administrator (a city-wide editor grant would also widen their article rights).
    demo.grant("editor", Role::Editor, ScopeKind::Org, kjj).await?;
    demo.grant("reviewer_dept", Role::Reviewer, ScopeKind::Org, kjj).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    let now = t0();

    // A running 重大行政决策 consultation.
    let park = consultation(db, zjj, "《哈尔滨市城市公园管理办法（征求意见稿）》公开征求意见", "major", PARK_DRAFT,
        "为回应市民对公园开放时间、广场舞噪声和无障碍设施的关切，市住房和城乡建设局起草了《哈尔滨市城市公园管理办法（征求意见稿）》。该办法属于重大行政决策事项，现向社会公开征求意见，征求意见期为 30 日。",
        now - 10 * DAY, now + 20 * DAY, "open", false).await?;
    let park_comments: [(usize, &str, &str, &str); 6] = [
        (11, "", "建议夏季把开放时间延长到 23 时，很多上班族晚上才有时间散步。", "王建国"),
        (
            12,
            "音量不得超过规定标准",
            "建议写明具体的分贝数和时段，比如晚 8 点以后不超过 55 分贝，否则难以执法。",
            "李秀英",
        ),
        (7, "母婴室", "母婴室很必要，也建议增加第三卫生间，方便老人和残疾人家属陪同。", ""),
        (10, "", "支持免费开放。收费公园应当公布收支情况。", "张伟"),
        (0, "", "希望公园管理办法能配套出台冬季冰雪活动的安全管理规定。", "刘芳"),
        (13, "携带犬只未束犬链", "建议在大型公园设置宠物活动区，既满足养犬人需要，又减少冲突。", "陈静"),
    ];
    let paras = domain::paragraphs(PARK_DRAFT);
    for (i, (para, quote, body, name)) in park_comments.iter().enumerate() {
        let anchor = if *para == 0 {
            Anchor::default()
        } else {
            Anchor::selection(&paras[para - 1], quote, 0).unwrap_or_default()
        };
        comment(db, park, &anchor, body, name, "visible", now - (9 - i as i64) * DAY, "").await?;
    }
    comment(
        db,
        park,
        &Anchor::default(),
        "公园里的停车场收费太贵，建议公示收费依据。我的电话 13912345678。",
        "赵磊",
        "visible",
        now - DAY,
        "",
    )
    .await?;

    // A closed consultation with its published adoption report (车改之我见).
    let car = consultation(
        db,
        bgt,
        "“车改之我见”——《哈尔滨市公务用车制度改革实施方案（征求意见稿）》征求意见",
        "general",
        CAR_DRAFT,
        "为稳妥推进公务用车制度改革，市政府办公厅起草了实施方案，现公开征求社会各界意见。",
        now - 75 * DAY,
        now - 45 * DAY,
        "reported",
        true,
    )
    .await?;
    let car_opinions: [(usize, &str, &str, &str); 8] = [
        (6, "科级及以下每人每月 500 元", "基层科员下乡多，500 元补贴不够，建议区分城区和县区。", "adopted"),
        (6, "", "建议补贴标准与出行距离挂钩，而不是只按职级。", "partial"),
        (8, "", "取消的车辆拍卖应当全程公开，拍卖结果在网站公示。", "adopted"),
        (10, "", "应当建立公务出行监督举报渠道。", "adopted"),
        (2, "", "建议保留部分机要通信用车。", "not_adopted"),
        (6, "", "补贴应当计入个人所得税。", "not_adopted"),
        (0, "", "支持车改，希望尽快落地。", "adopted"),
        (4, "", "事业单位是否纳入改革范围应当进一步明确。", "partial"),
    ];
    let car_paras = domain::paragraphs(CAR_DRAFT);
    let reasons = [
        ("adopted", "已在实施方案中采纳"),
        ("partial", "已部分吸收，具体标准由配套细则规定"),
        ("not_adopted", "与中央改革方案的规定不一致，未予采纳"),
    ];
    for (i, (para, quote, body, adoption)) in car_opinions.iter().enumerate() {
        let anchor = if *para == 0 {
            Anchor::default()
        } else {
            Anchor::selection(&car_paras[para - 1], quote, 0).unwrap_or_default()
        };
        let id = comment(
            db,
            car,
            &anchor,
            body,
            ["周杰", "吴敏", "", "黄丽", "杨帆", "", "赵磊", "李秀英"][i],
            "visible",
            now - (70 - i as i64 * 3) * DAY,
            "",
        )
        .await?;
        let reason = reasons.iter().find(|r| r.0 == *adoption).map_or("", |r| r.1);
        db.execute(
            sql("UPDATE consultation_comment SET adoption = $1, adoption_reason = $2 WHERE id = $3")
                .bind(*adoption)
                .bind(reason)
                .bind(id),
        )
        .await?;
    }
    db.execute(
        sql("UPDATE consultation SET report_intro = $1, reported_at = $2, final_url = '/gongkai/' WHERE id = $3")
            .bind("征求意见期间，共收到社会各界意见建议 8 条。市政府办公厅逐条研究，对合理的意见建议予以吸收采纳，修改完善后的实施方案已经市政府常务会议审议通过并印发实施。现将意见采纳情况公布如下。")
            .bind(now - 30 * DAY)
            .bind(car),
    )
    .await?;

    // Surveys: one closed with results, one open.
    let travel_q = vec![
        q(QuestionKind::Single, "您是否支持公务用车制度改革？", &["支持", "不支持", "说不清"], true),
        Question {
            show_if: Some(ShowIf { question: 1, option: 1 }),
            min: 1,
            max: 2,
            ..q(
                QuestionKind::Multiple,
                "您认为改革最重要的是哪些方面？（最多选两项）",
                &["补贴标准合理", "车辆处置公开", "加强监督", "保障基层出行"],
                true,
            )
        },
        Question { max: 5, ..q(QuestionKind::Scale, "您对本市政务公开工作的满意程度", &[], true) },
        Question {
            rows: vec!["公交准点".into(), "车厢整洁".into(), "换乘方便".into()],
            ..q(QuestionKind::Matrix, "您对公共交通以下方面的评价", &["满意", "一般", "不满意"], true)
        },
        q(QuestionKind::Ranking, "请按您的关心程度为下列事项排序", &["公交线路", "停车收费", "共享单车"], true),
        q(QuestionKind::Text, "其他意见和建议", &[], false),
    ];
    let closed = survey_row(
        db,
        bgt,
        "公务用车制度改革市民意见调查",
        "调查结果已于征集截止后公布，感谢 600 位市民的参与。",
        &travel_q,
        now - 80 * DAY,
        now - 50 * DAY,
        "closed",
    )
    .await?;
    let s = survey::get(db, closed).await?;
    let total = 600 + i64::from(demo.size("survey_responses"));
    for n in 0..total {
        let a = random_answers(&mut rng, &travel_q);
        survey::store_response(db, &s, &a, &format!("demo-{n}"), "", now - 60 * DAY + n * (30 * DAY / total)).await?;
    }
    let open_q = vec![
        q(QuestionKind::Single, "您平时主要的出行方式", &["公交", "地铁", "自驾", "骑行或步行"], true),
        Question { max: 10, ..q(QuestionKind::Scale, "您对家附近公园的满意度", &[], true) },
        q(QuestionKind::Text, "您希望公园增加哪些设施？", &[], false),
    ];
    survey_row(
        db,
        zjj,
        "城市公园和市民出行方式问卷调查",
        "配合《哈尔滨市城市公园管理办法》的制定，了解市民出行和使用公园的习惯。",
        &open_q,
        now - 5 * DAY,
        now + 25 * DAY,
        "open",
    )
    .await?;
    db.execute(sql("UPDATE consultation SET survey_id = (SELECT MAX(id) FROM survey) WHERE id = $1").bind(park))
        .await?;

    // Interviews: a past one with its transcript, an announced one collecting questions.
    let past = interview_row(db, zjj, "interview", "老旧小区改造进展如何？市住建局局长在线答网友问", now - 20 * DAY,
        r#"[{"name":"刘建民","post":"市住房和城乡建设局局长","role":"guest"},{"name":"马丽","post":"市住建局城市更新处处长","role":"guest"}]"#,
        "ended", "本期访谈介绍了 2026 年全市 126 个老旧小区改造计划的进展，回答了网友关于加装电梯、外墙保温和停车位的 14 个问题，会后补充答复 2 个问题。").await?;
    let lines: [(&str, &str, &str); 8] = [
        ("notice", "", "访谈开始"),
        ("host", "小冰", "各位网友上午好！今天我们邀请到市住建局刘建民局长，谈谈老旧小区改造。"),
        ("guest", "刘建民", "大家好！今年全市计划改造老旧小区 126 个，惠及居民 4.3 万户，目前已开工 118 个。"),
        ("public", "王女士", "我家小区是 1995 年建的六层楼，能加装电梯吗？费用怎么分摊？"),
        (
            "guest",
            "刘建民",
            "符合条件的多层住宅都可以申请加装电梯，市财政每部补贴 20 万元，其余费用由业主按楼层协商分摊。",
        ),
        ("public", "张先生", "改造期间小区停车怎么解决？"),
        ("guest", "马丽", "改造方案会同步挖潜增设停车位，施工期间街道协调周边单位错时共享停车。"),
        ("notice", "", "访谈结束，感谢各位网友的关注和参与"),
    ];
    let mut last_q = None;
    for (i, (speaker, name, body)) in lines.iter().enumerate() {
        let reply = if *speaker == "guest" { last_q } else { None };
        let id = message(db, past, speaker, name, body, reply, "shown", now - 20 * DAY + i as i64 * 300, false).await?;
        if *speaker == "public" {
            last_q = Some(id);
        }
    }
    let unanswered = message(
        db,
        past,
        "public",
        "李先生",
        "外墙保温改造是否包括阳台封闭？",
        None,
        "shown",
        now - 20 * DAY + 2400,
        false,
    )
    .await?;
    message(
        db,
        past,
        "guest",
        "马丽",
        "外墙保温改造不包括阳台封闭，已封闭的阳台将按原样恢复。（访谈后补充答复）",
        Some(unanswered),
        "shown",
        now - 18 * DAY,
        true,
    )
    .await?;
    let upcoming = interview_row(
        db,
        kjj,
        "interview",
        "科技创新券怎么申领？市科技局负责人在线解读",
        now + 5 * DAY,
        r#"[{"name":"孙海涛","post":"市科学技术局副局长","role":"guest"}]"#,
        "announced",
        "",
    )
    .await?;
    message(
        db,
        upcoming,
        "public",
        "赵先生",
        "小微企业第一次申请创新券需要准备哪些材料？",
        None,
        "shown",
        now - DAY,
        false,
    )
    .await?;
    message(db, upcoming, "public", "刘女士", "创新券可以用于购买检测服务吗？", None, "pending", now - 3600, false)
        .await?;

    // Live coverage of an event (活动直播): image-text posts by the reporters on site and a
    // video. The demo's video is one of the courseware clips on this very server, standing in
    // for the streaming server's HLS address a real event would have.
    let video = format!("{}/kejian/1/video.mp4", platform::web::portal::listen_origin(&state.config));
    let coverage =
        interview_row(db, bgt, "coverage", "哈尔滨市第十届全民健身运动会气排球决赛", now - 3600, "[]", "live", "")
            .await?;
    db.execute(sql("UPDATE interview SET video_url = $1, intro = $2 WHERE id = $3")
        .bind(&video)
        .bind("全市 13 个区县市的 24 支代表队经过两周预选赛，道里区队和南岗区队今晚在市体育馆争夺冠军。本页图文直播比赛实况，并提供现场视频。")
        .bind(coverage))
        .await?;
    let posts: [(&str, &str, &str); 6] = [
        ("notice", "", "直播开始"),
        ("host", "现场记者 李晓东", "各位网友晚上好！这里是市体育馆，决赛将于 19:00 开始，场馆内已座无虚席。"),
        ("host", "现场记者 李晓东", "第一局：道里区队凭借发球优势以 21:17 先下一城。"),
        ("guest", "王建国", "（市体育局群体处处长）气排球上手快、运动强度适中，今年全市已有 3 万多人经常参加。"),
        ("host", "现场记者 周雪", "第二局进入白热化，南岗区队连得 5 分，目前 18:16 领先。"),
        ("host", "现场记者 周雪", "南岗区队 21:19 扳回一局，比赛进入决胜局！"),
    ];
    for (i, (speaker, name, body)) in posts.iter().enumerate() {
        let id = message(db, coverage, speaker, name, body, None, "shown", now - 3600 + i as i64 * 420, false).await?;
        // The reporter's first post carries a photo from outside the hall (a generated
        // placeholder: no real photo is in the repository).
        if i == 1 {
            let png = platform::media::placeholder_picture(640, 360, 7);
            let sha = platform::blobs::keep(&state.config.data_dir, crate::interview::PHOTO_AREA, &png, "png")?;
            db.execute(
                sql("UPDATE interview_message SET photo = $1, photo_alt = $2 WHERE id = $3")
                    .bind(format!("{sha}.png"))
                    .bind("雪后的市体育馆一带，楼群和积雪的街道（示意图）")
                    .bind(id),
            )
            .await?;
        }
    }

    // Their histories, as the workflow would have written them.
    // (action, from, to, actor, days ago) for each consultation, matching its period.
    type Steps<'a> = &'a [(&'a str, &'a str, &'a str, &'a str, i64)];
    let author = "李明（信息员）";
    let reviewer = "张伟（办公厅终审）";
    let steps: [(i64, Steps); 2] = [
        (
            park,
            &[
                ("create", "", "draft", author, 13),
                ("submit", "draft", "pending", author, 12),
                ("approve", "pending", "approved", reviewer, 11),
                ("open", "approved", "open", "系统", 10),
            ],
        ),
        (
            car,
            &[
                ("create", "", "draft", author, 78),
                ("submit", "draft", "pending", author, 77),
                ("approve", "pending", "approved", reviewer, 76),
                ("open", "approved", "open", "系统", 75),
                ("close", "open", "closed", "系统", 45),
                ("publish_report", "closed", "reported", author, 30),
            ],
        ),
    ];
    let mut tx = db.begin().await?;
    for (id, events) in steps {
        for (action, from, to, actor, days_ago) in events {
            let t = workflow::Transition { action, from, to, step: 0, actor, actor_id: None, comment: "" };
            workflow::record(&mut tx, &crate::consultation::FLOW, id, &t, now - days_ago * DAY).await?;
        }
    }
    tx.commit().await?;

    Ok(vec![format!(
        "公众参与：意见征集 2 期（1 期征集中，1 期已公布采纳情况），网上调查 2 项（600 份答卷），在线访谈 2 期，活动直播 1 场（/canyu/interviews/{coverage}）—— /canyu/ (consultation {park}, survey {closed}, interview {past})"
    )])
}

fn q(kind: QuestionKind, title: &str, options: &[&str], required: bool) -> Question {
    Question {
        kind,
        title: title.into(),
        options: options.iter().map(|s| (*s).to_owned()).collect(),
        rows: Vec::new(),
        required,
        min: 0,
        max: 0,
        show_if: None,
    }
}

fn random_answers(rng: &mut impl Rng, qs: &[Question]) -> Answers {
    let mut a = Answers::default();
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        if !domain::shown(qs, n, &a) {
            continue;
        }
        // Skewed choices, so the results read like a real survey.
        let pick = |rng: &mut dyn rand::RngCore, k: usize| -> usize {
            let r: f64 = rand::Rng::random(rng);
            ((r * r) * k as f64) as usize + 1
        };
        let ans = match q.kind {
            QuestionKind::Single => Answer::Choices(vec![pick(rng, q.options.len())]),
            QuestionKind::Multiple => {
                let x = pick(rng, q.options.len());
                let y = pick(rng, q.options.len());
                let mut c = vec![x, y];
                c.sort_unstable();
                c.dedup();
                Answer::Choices(c)
            }
            QuestionKind::Scale => Answer::Choices(vec![q.max as usize + 1 - pick(rng, q.max as usize)]),
            QuestionKind::Matrix => Answer::Choices(q.rows.iter().map(|_| pick(rng, q.options.len())).collect()),
            QuestionKind::Ranking => {
                let mut ranks: Vec<usize> = (1..=q.options.len()).collect();
                if rng.random_bool(0.5) {
                    ranks.swap(0, 1);
                }
                if rng.random_bool(0.3) {
                    ranks.reverse();
                }
                Answer::Choices(ranks)
            }
            QuestionKind::Text => {
                if rng.random_bool(0.9) {
                    continue;
                }
                Answer::Text(
                    ["希望补贴标准公开透明", "建议加强对公务出行的监督", "支持改革"][rng.random_range(0..3)].into(),
                )
            }
        };
        a.0.insert(n, ans);
    }
    a
}

#[allow(clippy::too_many_arguments)]
async fn consultation(
    db: &platform::db::Db,
    org: i64,
    title: &str,
    kind: &str,
    draft: &str,
    explanation: &str,
    opens: i64,
    closes: i64,
    st: &str,
    premod: bool,
) -> anyhow::Result<i64> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO consultation (org_id, title, kind, draft, explanation, opens_at, closes_at, premoderated, state, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '李明（信息员）', $10, $10) RETURNING id")
            .bind(org).bind(title).bind(kind).bind(draft).bind(explanation).bind(opens).bind(closes).bind(premod).bind(st).bind(opens - 3 * DAY),
        )
        .await?
        .0)
}

#[allow(clippy::too_many_arguments)]
async fn comment(
    db: &platform::db::Db,
    cid: i64,
    a: &Anchor,
    body: &str,
    name: &str,
    st: &str,
    at: i64,
    contact: &str,
) -> anyhow::Result<i64> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO consultation_comment (consultation_id, anchor, body, author_name, contact, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(cid).bind(serde_json::to_string(a)?).bind(body).bind(name).bind(contact).bind(st).bind(at),
        )
        .await?
        .0)
}

#[allow(clippy::too_many_arguments)]
async fn survey_row(
    db: &platform::db::Db,
    org: i64,
    title: &str,
    intro: &str,
    qs: &[Question],
    opens: i64,
    closes: i64,
    st: &str,
) -> anyhow::Result<i64> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO survey (org_id, title, intro, questions, state, opens_at, closes_at, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '李明（信息员）', $8, $8) RETURNING id")
                .bind(org).bind(title).bind(intro).bind(serde_json::to_string(qs)?).bind(st).bind(opens).bind(closes).bind(opens - DAY),
        )
        .await?
        .0)
}

#[allow(clippy::too_many_arguments)]
async fn interview_row(
    db: &platform::db::Db,
    org: i64,
    kind: &str,
    title: &str,
    starts: i64,
    guests: &str,
    st: &str,
    recap: &str,
) -> anyhow::Result<i64> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO interview (org_id, kind, title, intro, guests, starts_at, state, recap, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '李明（信息员）', $9, $9) RETURNING id")
                .bind(org).bind(kind).bind(title).bind(format!("{title}。欢迎网友踊跃提问。")).bind(guests).bind(starts).bind(st).bind(recap).bind(starts - 7 * DAY),
        )
        .await?
        .0)
}

/// One message of a demo stream, raising the interview's revision as a live change would.
#[allow(clippy::too_many_arguments)]
async fn message(
    db: &platform::db::Db,
    iid: i64,
    speaker: &str,
    name: &str,
    body: &str,
    reply_to: Option<i64>,
    st: &str,
    at: i64,
    followup: bool,
) -> anyhow::Result<i64> {
    let rev = db
        .fetch_one::<Scalar<i64>>(sql("UPDATE interview SET rev = rev + 1 WHERE id = $1 RETURNING rev").bind(iid))
        .await?
        .0;
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO interview_message (interview_id, rev, shown_rev, speaker, name, body, reply_to, state, followup, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id")
            .bind(iid).bind(rev).bind(if st == "shown" { Some(rev) } else { None }).bind(speaker).bind(name).bind(body).bind(reply_to).bind(st).bind(followup).bind(at),
        )
        .await?
        .0)
}
