//! The office demo: the city's 69 units (the demo's 13 top-level units plus 56 other departments,
//! districts and counties), two unit groups, and documents in every state — a 特急 notice from the 办公厅 to every
//! unit three days ago with most receipts signed (and checkable), two returned and the rest
//! overdue; the science bureau's call to the districts; one waiting for the science bureau to sign
//! for; one waiting for 签发.

use platform::db::{Exec, Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;

use crate::domain::{self, DocState, Elements, PartDigest, Receipt};
use crate::exchange;

const DAY: i64 = 86_400;

/// The units besides the demo's own, so the city has the 69 units of seed 001.
const MORE_UNITS: [(&str, &str); 56] = [
    ("czj", "哈尔滨市财政局"),
    ("sjj", "哈尔滨市审计局"),
    ("tjj", "哈尔滨市统计局"),
    ("zrzyj", "哈尔滨市自然资源和规划局"),
    ("sthjj", "哈尔滨市生态环境局"),
    ("jtj", "哈尔滨市交通运输局"),
    ("swj", "哈尔滨市水务局"),
    ("nyncj", "哈尔滨市农业农村局"),
    ("swuj", "哈尔滨市商务局"),
    ("whlyj", "哈尔滨市文化广电和旅游局"),
    ("tyjrj", "哈尔滨市退役军人事务局"),
    ("yjglj", "哈尔滨市应急管理局"),
    ("gzw", "哈尔滨市人民政府国有资产监督管理委员会"),
    ("sfj", "哈尔滨市司法局"),
    ("xfj", "哈尔滨市信访局"),
    ("ybj", "哈尔滨市医疗保障局"),
    ("tyj", "哈尔滨市体育局"),
    ("rfb", "哈尔滨市人民防空办公室"),
    ("jgswj", "哈尔滨市机关事务管理局"),
    ("yshjj", "哈尔滨市营商环境建设监督局"),
    ("cgj", "哈尔滨市城市管理局"),
    ("mzzjj", "哈尔滨市民族宗教事务局"),
    ("wsb", "哈尔滨市人民政府外事办公室"),
    ("dag", "哈尔滨市档案馆"),
    ("dfzb", "哈尔滨市地方志办公室"),
    ("gxs", "哈尔滨市供销合作社联合社"),
    ("qxj", "哈尔滨市气象局"),
    ("xfzd", "哈尔滨市消防救援支队"),
    ("swju", "国家税务总局哈尔滨市税务局"),
    ("lyj", "哈尔滨市林业和草原局"),
    ("ldj", "哈尔滨市粮食局"),
    ("zfgjj", "哈尔滨住房公积金管理中心"),
    ("dwq", "哈尔滨市道外区人民政府"),
    ("ngq", "哈尔滨市南岗区人民政府"),
    ("xfq", "哈尔滨市香坊区人民政府"),
    ("pfq", "哈尔滨市平房区人民政府"),
    ("sbq", "哈尔滨市松北区人民政府"),
    ("hlq", "哈尔滨市呼兰区人民政府"),
    ("acq", "哈尔滨市阿城区人民政府"),
    ("scq", "哈尔滨市双城区人民政府"),
    ("ylx", "依兰县人民政府"),
    ("fzx", "方正县人民政府"),
    ("bx", "宾县人民政府"),
    ("byx", "巴彦县人民政府"),
    ("mlx", "木兰县人民政府"),
    ("thx", "通河县人民政府"),
    ("ysx", "延寿县人民政府"),
    ("szs", "尚志市人民政府"),
    ("wcs", "五常市人民政府"),
    ("xqgwh", "哈尔滨新区管理委员会"),
    ("gxq", "哈尔滨高新技术产业开发区管理委员会"),
    ("jkq", "哈尔滨经济技术开发区管理委员会"),
    ("gxj", "哈尔滨市工业和信息化局"),
    ("fgj", "哈尔滨市住房保障和房产管理局"),
    ("zsdcj", "哈尔滨市政务服务数据管理局"),
    ("kafw", "哈尔滨市口岸服务中心"),
];

/// A small but well-formed PDF page, so the demo's parts open in a reader.
fn pdf(title: &str) -> Vec<u8> {
    let text: String = title.chars().filter(char::is_ascii).collect();
    format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% {text} {}\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        title.len()
    )
    .into_bytes()
}

pub async fn load(state: &AppState, demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM office_document")).await? > 0 {
        return Ok(Vec::new());
    }
    let (Some(szf), Some(bgt), Some(kjj)) = (demo.org("szf"), demo.org("bgt"), demo.org("kjj")) else {
        return Ok(Vec::new());
    };
    // 陈市长 signs off for the city's units (the portal grants him the leader role on its site only).
    demo.grant("leader", platform::roles::Role::Leader, platform::roles::ScopeKind::Org, szf).await?;
    let mut all: Vec<i64> = demo.orgs.values().copied().collect();
    let existing = platform::accounts::list_orgs(db).await?;
    for (i, (key, name)) in MORE_UNITS.iter().enumerate() {
        let code = format!("OA{:02}-{}", i + 1, key.to_uppercase());
        let id = match existing.iter().find(|o| o.code == code) {
            Some(o) => o.id,
            None => {
                platform::accounts::create_org(
                    db,
                    Some(szf),
                    name,
                    &code,
                    if name.ends_with("政府") { "government" } else { "bureau" },
                )
                .await?
            }
        };
        all.push(id);
    }
    // Top-level units only (divisions of a bureau receive through their bureau).
    let orgs = platform::accounts::list_orgs(db).await?;
    let top: Vec<i64> = orgs.iter().filter(|o| o.kind != "division" && all.contains(&o.id)).map(|o| o.id).collect();
    let districts: Vec<i64> =
        orgs.iter().filter(|o| top.contains(&o.id) && o.kind == "government" && o.id != szf).map(|o| o.id).collect();
    let bureaus: Vec<i64> = orgs.iter().filter(|o| top.contains(&o.id) && o.kind == "bureau").map(|o| o.id).collect();
    for (name, members) in [("各区、县（市）人民政府", &districts), ("市政府各部门、各直属单位", &bureaus)]
    {
        db.execute(
            sql("INSERT INTO office_unit_group (name, members) VALUES ($1, $2)")
                .bind(name)
                .bind(serde_json::to_string(members)?),
        )
        .await?;
    }
    let now = platform::db::now();
    let files = exchange::files_dir(&state.config.data_dir);
    std::fs::create_dir_all(&files)?;

    let duty = Elements {
        copy_no: "000123".into(),
        secrecy: domain::UNCLASSIFIED.into(),
        urgency: "特急".into(),
        issuer_mark: "哈尔滨市人民政府办公厅文件".into(),
        doc_no: "哈政办发〔2026〕58号".into(),
        signer: "陈市长".into(),
        title: "哈尔滨市人民政府办公厅关于做好2027年元旦春节期间值班工作的通知".into(),
        main_to: "各区、县（市）人民政府，市政府各委、办、局，各直属单位".into(),
        body: "为确保元旦春节期间各项工作平稳有序，现就做好值班工作通知如下：\n一、严格落实领导带班和24小时值班制度。\n二、每日16时前报送值班情况，无事项实行“零报告”。\n三、遇有突发事件，按规定时限报送初报、续报和终报。".into(),
        attachment_note: "1. 元旦春节期间值班安排表\n2. 值班情况日报表".into(),
        sign_org: "哈尔滨市人民政府办公厅".into(),
        written_on: platform::fmt_date(now - 4 * DAY),
        cc: "市委办公厅，市人大常委会办公厅，市政协办公厅".into(),
        printer: "哈尔滨市人民政府办公厅".into(),
        printed_on: platform::fmt_date(now - 3 * DAY),
        ..Elements::default()
    };
    let recipients: Vec<i64> = top.iter().copied().filter(|u| *u != bgt).collect();
    let a = sent_document(state, bgt, &duty, &recipients, now - 3 * DAY).await?;
    // Most units signed within hours; two returned it; the rest are overdue.
    for (i, x) in exchange::deliveries(db, a).await?.iter().enumerate() {
        match i % 12 {
            0 if i > 0 => {
                db.execute(sql("UPDATE office_delivery SET state = 'returned', return_reason = '本单位不属于值班报送范围，请核实' WHERE id = $1").bind(x.id)).await?;
            }
            5 | 11 => {}
            _ => sign(state, x.id, "值班室 文秘", now - 3 * DAY + 1800 + i as i64 * 300).await?,
        }
    }
    let call = Elements {
        secrecy: domain::UNCLASSIFIED.into(),
        issuer_mark: "哈尔滨市科学技术局文件".into(),
        doc_no: "哈科发〔2026〕21号".into(),
        signer: "孙海涛".into(),
        title: "关于组织申报2027年度市级科技计划项目的通知".into(),
        main_to: "各区、县（市）科技主管部门".into(),
        body: "现组织申报2027年度市级科技计划项目，请于2027年1月15日前完成推荐。".into(),
        sign_org: "哈尔滨市科学技术局".into(),
        written_on: platform::fmt_date(now - DAY),
        ..Elements::default()
    };
    let b = sent_document(state, kjj, &call, &districts, now - DAY).await?;
    for x in exchange::deliveries(db, b).await?.iter().take(4) {
        sign(state, x.id, "刘洋", now - DAY + 7200).await?;
    }
    let ask = Elements {
        secrecy: domain::UNCLASSIFIED.into(),
        urgency: "加急".into(),
        issuer_mark: "哈尔滨市人民政府办公厅".into(),
        doc_no: "哈政办函〔2026〕112号".into(),
        title: "关于征求《哈尔滨市科技创新券管理办法（修订稿）》意见的函".into(),
        main_to: "市科学技术局".into(),
        body: "请于5个工作日内反馈书面意见。".into(),
        sign_org: "哈尔滨市人民政府办公厅".into(),
        written_on: platform::fmt_date(now),
        ..Elements::default()
    };
    sent_document(state, bgt, &ask, &[kjj], now - 3600).await?;
    let draft = Elements {
        secrecy: domain::UNCLASSIFIED.into(),
        issuer_mark: "哈尔滨市科学技术局".into(),
        doc_no: "哈科函〔2026〕45号".into(),
        title: "关于报送2026年度科技创新工作总结的函".into(),
        main_to: "市人民政府办公厅".into(),
        sign_org: "哈尔滨市科学技术局".into(),
        ..Elements::default()
    };
    let d = insert(db, kjj, DocState::Pending, &draft, &[bgt], now - 1800, None).await?;
    part(state, d, "body", "哈科函〔2026〕45号.pdf", &pdf(&draft.title)).await?;
    let generated = generate(db, &top, demo.size("office_documents"), now).await?;
    // The deliveries above were written directly: count them as the statistics read them.
    exchange::rebuild_delivery_days(db).await?;
    Ok(vec![
        format!(
            "协同办公：{} 个单位，发文 4 件（1 件待签发），来文签收回执可核验 —— /admin/office/inbox",
            orgs.iter().filter(|o| o.kind != "division").count()
        ),
        format!("协同办公：另生成发文 {generated} 件（基准测试用）"),
    ])
}

/// `n` generated documents over the past year for the benchmark: each from a random unit to 4–16
/// others, most signed for within hours, a few returned, the newest waiting. Written in batches
/// of 200 documents per transaction (within both databases' parameter limits).
async fn generate(db: &platform::db::Db, units: &[i64], n: u32, now: i64) -> anyhow::Result<u32> {
    if n == 0 || units.len() < 2 {
        return Ok(0);
    }
    let titles = [
        "关于做好安全生产工作的通知",
        "关于报送年度工作总结的函",
        "关于召开专题工作会议的通知",
        "关于开展督查检查的通知",
        "关于征求意见的函",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let first: i64 = db.fetch_one::<Scalar<i64>>(sql("SELECT COALESCE(MAX(id), 0) FROM office_document")).await?.0 + 1;
    let mut written = 0u32;
    while written < n {
        let batch = (n - written).min(200);
        let mut tx = db.begin().await?;
        let mut docs = sql(
            "INSERT INTO office_document (id, org_id, state, secrecy, urgency, issuer_mark, doc_no, title, recipients, created_by, created_at, updated_at, sent_at) VALUES ",
        );
        let mut dels = sql(
            "INSERT INTO office_delivery (document_id, unit_id, state, sent_at, signed_by, signed_at, return_reason, updated_at) VALUES ",
        );
        let mut first_del = true;
        for k in 0..batch {
            let i = written + k;
            let id = first + i64::from(i);
            let at = now - 365 * DAY + i64::from(i) * (365 * DAY / i64::from(n));
            let sender = units[(next() % units.len() as u64) as usize];
            let count = 4 + (next() % 13) as usize;
            let mut to: Vec<i64> = Vec::new();
            while to.len() < count.min(units.len() - 1) {
                let u = units[(next() % units.len() as u64) as usize];
                if u != sender && !to.contains(&u) {
                    to.push(u);
                }
            }
            let title = titles[(next() % titles.len() as u64) as usize];
            docs = docs.push_row(
                k == 0,
                [
                    id.into(),
                    sender.into(),
                    "sent".into(),
                    domain::UNCLASSIFIED.into(),
                    "".into(),
                    "哈尔滨市人民政府办公厅".into(),
                    format!("哈政办发〔{}〕{}号", platform::fmt_date(at).get(..4).unwrap_or("2026"), i + 1).into(),
                    title.into(),
                    serde_json::to_string(&to)?.into(),
                    "生成".into(),
                    at.into(),
                    at.into(),
                    at.into(),
                ],
            );
            for u in to {
                let roll = next() % 100;
                let recent = now - at < 3 * DAY;
                let (st, signed_at, reason) = if recent || roll < 3 {
                    ("pending", None, "")
                } else if roll < 5 {
                    ("returned", None, "不属于本单位职责范围")
                } else {
                    ("signed", Some(at + 600 + (next() % 86_400) as i64), "")
                };
                dels = dels.push_row(
                    first_del,
                    [
                        id.into(),
                        u.into(),
                        st.into(),
                        at.into(),
                        if signed_at.is_some() { "文秘" } else { "" }.into(),
                        signed_at.into(),
                        reason.into(),
                        at.into(),
                    ],
                );
                first_del = false;
            }
        }
        tx.execute(docs).await?;
        tx.execute(dels).await?;
        tx.commit().await?;
        written += batch;
    }
    db.resync_identity("office_document").await?;
    Ok(written)
}

async fn insert(
    db: &platform::db::Db,
    org: i64,
    st: DocState,
    e: &Elements,
    recipients: &[i64],
    at: i64,
    sent_at: Option<i64>,
) -> anyhow::Result<i64> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_document (org_id, state, copy_no, secrecy, urgency, issuer_mark, doc_no, signer, title, main_to, body, attachment_note, \
                 sign_org, written_on, cc, printer, printed_on, recipients, created_by, created_at, updated_at, sent_at, signed_off_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, '文秘', $19, $19, $20, $21) RETURNING id")
            .bind(org)
            .bind(st.code())
            .bind(e.copy_no.as_str())
            .bind(e.secrecy.as_str())
            .bind(e.urgency.as_str())
            .bind(e.issuer_mark.as_str())
            .bind(e.doc_no.as_str())
            .bind(e.signer.as_str())
            .bind(e.title.as_str())
            .bind(e.main_to.as_str())
            .bind(e.body.as_str())
            .bind(e.attachment_note.as_str())
            .bind(e.sign_org.as_str())
            .bind(e.written_on.as_str())
            .bind(e.cc.as_str())
            .bind(e.printer.as_str())
            .bind(e.printed_on.as_str())
            .bind(serde_json::to_string(recipients)?)
            .bind(at)
            .bind(sent_at)
            .bind(if sent_at.is_some() { e.signer.as_str() } else { "" }),
        )
        .await?
        .0)
}

async fn part(state: &AppState, doc: i64, kind: &str, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let stored = format!("{doc}-{}", platform::security::random_token(12));
    std::fs::write(exchange::files_dir(&state.config.data_dir).join(&stored), bytes)?;
    state
        .db
        .execute(
            sql("INSERT INTO office_part (document_id, kind, name, stored, size, sha256, sm3) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(doc)
                .bind(kind)
                .bind(name)
                .bind(stored)
                .bind(bytes.len() as i64)
                .bind(domain::sha256_hex(bytes))
                .bind(domain::sm3_hex(bytes)),
        )
        .await?;
    Ok(())
}

/// A document as sent at `at`, with its body and one attachment, and a delivery per recipient.
async fn sent_document(state: &AppState, org: i64, e: &Elements, recipients: &[i64], at: i64) -> anyhow::Result<i64> {
    let db = &state.db;
    let id = insert(db, org, DocState::Sent, e, recipients, at, Some(at)).await?;
    part(state, id, "body", &format!("{}.pdf", e.doc_no), &pdf(&e.title)).await?;
    if !e.attachment_note.is_empty() {
        part(state, id, "attachment", "附件1 值班安排表.pdf", &pdf("duty roster")).await?;
    }
    let mut q = sql("INSERT INTO office_delivery (document_id, unit_id, state, sent_at, updated_at) VALUES ");
    for (i, u) in recipients.iter().enumerate() {
        q = q.push_row(i == 0, [id.into(), (*u).into(), "pending".into(), at.into(), at.into()]);
    }
    db.execute(q).await?;
    Ok(id)
}

/// Signs for a delivery as the service would: the receipt with the digests and its audit entry.
async fn sign(state: &AppState, delivery_id: i64, who: &str, at: i64) -> anyhow::Result<()> {
    let db = &state.db;
    let x = exchange::delivery(db, delivery_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let d = exchange::get(db, x.document_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let parts: Vec<PartDigest> = exchange::parts(db, d.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .iter()
        .map(exchange::Part::digest)
        .collect();
    let unit = platform::accounts::list_orgs(db)
        .await?
        .into_iter()
        .find(|o| o.id == x.unit_id)
        .map(|o| o.name)
        .unwrap_or_default();
    let receipt = Receipt {
        document_id: d.id,
        delivery_id,
        unit,
        signed_by: who.into(),
        signed_at: at,
        elements_sha256: domain::elements_digest(&d.elements()),
        parts,
    };
    let digest = receipt.digest();
    db.execute(
        sql("UPDATE office_delivery SET state = 'signed', signed_by = $1, signed_at = $2, receipt = $3, receipt_digest = $4, updated_at = $2 WHERE id = $5")
            .bind(who)
            .bind(at)
            .bind(serde_json::to_string(&receipt)?)
            .bind(digest.as_str())
            .bind(delivery_id),
    )
    .await?;
    platform::audit::record(
        db,
        &state.audit_key,
        platform::audit::Event {
            user_id: None,
            username: "demo".into(),
            ip: String::new(),
            action: "office.receipt".into(),
            target: format!("office_delivery:{delivery_id}"),
            outcome: "success".into(),
            summary: format!("签收回执 {digest}"),
            request_id: String::new(),
        },
    )
    .await?;
    Ok(())
}
