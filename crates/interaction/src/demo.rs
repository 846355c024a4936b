//! The letters' part of the demo: the mailboxes of the demo sites (市长信箱, 百姓留言板, 投诉举报,
//! 健康咨询 on the city portal; 科技问答 and 局长信箱 on the science bureau's site; 区长信箱 in
//! Daoli) and a year of generated letters (`letters`), so queues, published lists and statistics
//! have data.

use anyhow::Context;
use platform::db::sql;
use platform::module::DemoSetup;

/// The mailboxes (once), and the generated letters when there are none yet.
pub async fn load(demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let n = ensure_mailboxes(demo).await?;
    Ok(if n > 0 { vec![format!("已生成 {n} 封演示来信（互动交流：/hudong/）。")] } else { Vec::new() })
}

/// Makes the mailboxes that do not exist yet, then generates `letters` letters of the past year when
/// there are no letters; returns how many were generated.
async fn ensure_mailboxes(demo: &DemoSetup) -> anyhow::Result<u32> {
    use crate::store::{self as ix, Mailbox};
    let (db, orgs, letters) = (&demo.db, &demo.orgs, demo.size("letters"));
    let (hrb, kjj, daoli) = (demo.site("hrb"), demo.site("kjj"), demo.site("daoli"));
    let unit_list =
        |keys: &[&str]| keys.iter().filter_map(|k| orgs.get(k)).map(i64::to_string).collect::<Vec<_>>().join(",");
    let city_units = unit_list(&["kjj", "fgw", "wjw", "jyj", "zwzx", "dlq"]);
    type BoxSpec<'a> = (Option<i64>, &'a str, &'a str, &'a str, &'a str, i64, i64, String, &'a [&'a str]);
    let specs: Vec<BoxSpec> = vec![
        (
            hrb,
            "szxx",
            "市长信箱",
            "leader",
            "市长信箱是市民与市政府直接沟通的渠道，受理对全市经济社会发展的意见建议和反映的问题。\n来信请如实填写联系方式，涉及个人隐私的内容不会公开。涉法涉诉、信访事项请通过相应渠道反映。",
            3,
            15,
            city_units.clone(),
            &["城乡建设", "交通出行", "教育医疗", "社会保障", "营商环境", "其他"],
        ),
        (
            hrb,
            "bxly",
            "百姓留言板",
            "board",
            "欢迎对政府工作提出意见建议。留言经审核后公开，答复时间为受理后 10 个工作日。",
            2,
            10,
            city_units.clone(),
            &["意见建议", "问题反映"],
        ),
        (
            hrb,
            "tsjb",
            "投诉举报",
            "complaint",
            "受理对行政机关及其工作人员不作为、乱作为和损害营商环境行为的投诉举报。",
            3,
            15,
            city_units.clone(),
            &["行政效能", "营商环境", "其他"],
        ),
        (
            hrb,
            "jkzx",
            "健康咨询",
            "consult",
            "解答医疗服务、医保报销、疫苗接种等健康方面的咨询。",
            1,
            5,
            unit_list(&["wjw"]),
            &["医疗服务", "医保报销", "疾病预防"],
        ),
        (
            kjj,
            "kjwd",
            "科技问答",
            "consult",
            "解答科技计划项目申报、高新技术企业认定、科技成果转化等方面的咨询。",
            1,
            5,
            unit_list(&["kjj-jhc", "kjj-cgc", "kjj-bgs"]),
            &["项目申报", "高企认定", "成果转化"],
        ),
        (
            kjj,
            "jzxx",
            "局长信箱",
            "leader",
            "市科技局局长信箱，受理对科技工作的意见建议。",
            3,
            15,
            unit_list(&["kjj-bgs", "kjj-jhc", "kjj-cgc"]),
            &[],
        ),
        (
            daoli,
            "qzxx",
            "区长信箱",
            "leader",
            "道里区区长信箱，受理群众对全区工作的意见建议和诉求。",
            3,
            15,
            unit_list(&["dlq-bgs"]),
            &["城市管理", "社会事业", "其他"],
        ),
    ];
    let mut boxes = Vec::new();
    for (i, (site_id, code, name, kind, intro, accept, reply, units, cats)) in specs.into_iter().enumerate() {
        let m = match ix::mailbox_by_code(db, code).await? {
            Some(m) => m,
            None => {
                let m = Mailbox {
                    site_id,
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    intro: intro.into(),
                    accept_days: accept,
                    reply_days: reply,
                    warn_days: 3,
                    publish_replies: true,
                    unit_ids: units,
                    active: true,
                    sort_order: i64::try_from(i).unwrap_or(0),
                    ..Mailbox::default()
                };
                let id = ix::save_mailbox(db, &m).await?;
                ix::set_categories(db, id, &cats.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()).await?;
                ix::mailbox(db, id).await?.context("mailbox")?
            }
        };
        let cats = ix::categories(db, m.id).await?;
        boxes.push((m, cats));
    }
    if db.count(sql("SELECT COUNT(*) FROM letter")).await? > 0 || letters == 0 {
        return Ok(0);
    }
    let units: Vec<i64> = ["kjj", "fgw", "wjw", "jyj", "zwzx", "dlq-bgs", "kjj-jhc"]
        .iter()
        .filter_map(|k| orgs.get(k).copied())
        .collect();
    let now = platform::db::now();
    let spec = crate::generate::Spec {
        count: letters as usize,
        seed: 12_345,
        from: now - 365 * 86_400,
        to: now - 3600,
        today: crate::service::date_text(crate::service::today()),
    };
    crate::generate::generate(db, &boxes, &units, &spec).await?;
    db.resync_identity("letter").await?;
    Ok(letters)
}
