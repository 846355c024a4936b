//! 文库 imports from the command line (and the demo): the mapping file read by the data
//! module's reader (CSV in UTF-8 or GBK, XLSX, JSON), the rows checked and the folder's files
//! imported by the CMS's library, as a named account with the right to edit the library.

use std::path::Path;

use anyhow::Context;
use platform::roles::Perm;

use platform::web::AppState;

pub struct LibraryImport<'a> {
    /// The library's channel (a list channel, or a link channel to `/wenku/`).
    pub channel: i64,
    pub username: &'a str,
    pub mapping: &'a Path,
    pub dir: &'a Path,
    pub dry_run: bool,
    /// Publish at once (needs the right to publish in the library) instead of sending for review.
    pub publish: bool,
}

/// Runs an import; the report holds every row left out with its reason.
pub async fn import(
    state: &AppState,
    opts: &LibraryImport<'_>,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> anyhow::Result<cms::library::Report> {
    let db = &state.db;
    let cms = state.modules.get::<cms::Cms>().context("内容管理模块缺失")?;
    let user = platform::accounts::user_by_name(db, opts.username)
        .await?
        .with_context(|| format!("没有账号 {}", opts.username))?;
    let auth = platform::web::auth_of_user(state, user.clone()).await.context("无法读取账号的权限")?;
    let channel =
        cms::store::channel(db, opts.channel).await?.with_context(|| format!("没有编号为 {} 的栏目", opts.channel))?;
    let scope = cms::service::channel_scope(state, &channel).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let perm = if opts.publish { Perm::ArticlePublish } else { Perm::ArticleEdit };
    auth.require(perm, &scope).map_err(|_| {
        anyhow::anyhow!(
            "账号 {} 不能在栏目“{}”{}",
            user.username,
            channel.name,
            if opts.publish { "直接发布" } else { "撰写信息" }
        )
    })?;
    let lib = cms::library::ensure(db, channel.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = opts.mapping.to_owned();
    let table = tokio::task::spawn_blocking(move || tables::open_path(&path)).await?.map_err(anyhow::Error::msg)?;
    let headers = table.headers.clone();
    let (rows, mut rejected) = cms::library::read_rows(&headers, table).map_err(anyhow::Error::msg)?;
    let total = rows.len() as u64;
    let run = cms::library::ImportOptions {
        library: &lib,
        dir: opts.dir,
        user_id: user.id,
        username: &user.username,
        dry_run: opts.dry_run,
        publish: opts.publish,
    };
    let mut report = cms::library::import(state, &cms, &run, rows, &|n| progress(n, total))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    rejected.append(&mut report.rejected);
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    if !opts.dry_run {
        let summary = format!(
            "文库“{}”导入：发布 {}，待审 {}，已有跳过 {}，未导入 {}",
            lib.name,
            report.published,
            report.in_review,
            report.skipped,
            report.rejected.len()
        );
        let ev = platform::audit::Event {
            user_id: Some(user.id),
            username: user.username.clone(),
            ip: "命令行".into(),
            action: "library.import".into(),
            target: format!("channel:{}", channel.id),
            outcome: "success".into(),
            summary,
            request_id: String::new(),
        };
        platform::audit::record(db, &state.audit_key, ev).await?;
    }
    Ok(report)
}

// ---- the demo library ------------------------------------------------------------------------------

/// Category, issuer, 文号 prefix and title patterns of the demo's 党政文库.
const DEMO_KINDS: [(&str, &str, &str, &[&str]); 6] = [
    ("规范性文件", "哈尔滨市人民政府", "哈政规", &["关于印发《哈尔滨市{}管理办法》的通知", "哈尔滨市{}实施细则"]),
    ("政府办公厅文件", "哈尔滨市人民政府办公厅", "哈政办发", &["关于做好{}工作的通知", "关于进一步加强{}的实施意见"]),
    (
        "规划计划",
        "哈尔滨市发展和改革委员会",
        "哈发改规划",
        &["哈尔滨市{}“十四五”规划", "{}三年行动计划（2024—2026年）"],
    ),
    ("工作报告", "哈尔滨市人民政府", "", &["关于{}工作情况的报告", "关于{}工作进展情况的报告"]),
    ("会议纪要", "哈尔滨市人民政府办公厅", "哈政阅", &["市政府常务会议纪要（{}专题）"]),
    ("党建文件", "中共哈尔滨市委办公厅", "哈办发", &["关于深入开展{}的通知", "关于{}的意见"]),
];
const DEMO_TOPICS: [&str; 16] = [
    "城市供热",
    "冰雪旅游",
    "营商环境",
    "老旧小区改造",
    "农村人居环境整治",
    "科技成果转化",
    "城市公园",
    "中小学课后服务",
    "养老服务",
    "黑土地保护",
    "松花江流域水污染防治",
    "数字政府建设",
    "政务公开",
    "安全生产",
    "就业创业",
    "文明城市创建",
];

fn demo_docx(paragraphs: &[String]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("[Content_Types].xml", o)?;
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#)?;
    z.start_file("_rels/.rels", o)?;
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#)?;
    z.start_file("word/document.xml", o)?;
    let body: String = paragraphs.iter().map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>")).collect();
    z.write_all(format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#).as_bytes())?;
    z.finish()?;
    Ok(buf.into_inner())
}

fn demo_ofd(paragraphs: &[String]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("OFD.xml", o)?;
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#)?;
    z.start_file("Doc_0/Document.xml", o)?;
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#)?;
    z.start_file("Doc_0/Pages/Page_0/Content.xml", o)?;
    let objects: String = paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(r#"<ofd:TextObject ID="{}" Boundary="25 {} 160 8" Font="1" Size="4.2"><ofd:TextCode X="0" Y="6">{p}</ofd:TextCode></ofd:TextObject>"#, i + 2, 30 + i * 10)
        })
        .collect();
    z.write_all(format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">{objects}</ofd:Layer></ofd:Content></ofd:Page>"#).as_bytes())?;
    z.finish()?;
    Ok(buf.into_inner())
}

/// A one-page PDF (its text is not read for search: no PDF text extractor yet).
fn demo_pdf(n: usize) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% 文库演示文件 {n}\ntrailer<</Root 1 0 R>>\n%%EOF\n").into_bytes()
}

/// The demo's 党政文库 under 政务公开 on the portal: `n` documents of six kinds from 2015 to 2025,
/// written as files with a mapping and imported the way an office would (published at once), kept
/// by `office` (the general office).
pub async fn demo(state: &AppState, n: usize, office: Option<i64>) -> anyhow::Result<Option<String>> {
    let db = &state.db;
    if db.count(platform::db::sql("SELECT COUNT(*) FROM library")).await? > 0 {
        return Ok(None);
    }
    let Some(portal) = platform::web::portal::portal_site_id(db).await else { return Ok(None) };
    let channels = cms::store::channels_of(db, portal as i64).await?;
    let parent = channels.iter().find(|c| c.slug == "zwgk").map(|c| c.id);
    let root = cms::store::insert_channel(
        db,
        &cms::store::Channel {
            site_id: portal as i64,
            parent_id: parent,
            name: "党政文库".into(),
            slug: "wenku".into(),
            // The column leads to the library page (categories, years, 发文机关, 文号).
            kind: "link".into(),
            link_url: "/wenku/".into(),
            sort_order: 900,
            update_class: "plan".into(),
            // 发布统计 counts the documents under the general office, which keeps the library.
            dept_org_id: office,
            ..Default::default()
        },
    )
    .await?;
    let dir = state.config.data_dir.join("demo-wenku");
    std::fs::create_dir_all(&dir)?;
    let mut csv = String::from("\u{feff}文件名,标题,文号,发文机关,成文日期,分类,摘要\n");
    for i in 0..n {
        let (cat, issuer, prefix, titles) = DEMO_KINDS[i % DEMO_KINDS.len()];
        let topic = DEMO_TOPICS[(i * 7 + i / 6) % DEMO_TOPICS.len()];
        let year = 2015 + (i * 5 % 11) as i32;
        // One government work report a year; the other reports are on single subjects.
        let title = if cat == "工作报告" && i / 6 < 11 {
            format!("{year}年哈尔滨市政府工作报告")
        } else {
            titles[i % titles.len()].replace("{}", topic)
        };
        let doc_no = if prefix.is_empty() { String::new() } else { format!("{prefix}〔{year}〕{}号", i / 6 + 1) };
        let (month, day) = (1 + i % 12, 1 + (i * 3) % 28);
        let summary = format!("{issuer}就{topic}作出部署，明确目标任务、责任分工和保障措施。");
        let paragraphs = vec![
            title.clone(),
            doc_no.clone(),
            format!(
                "各区、县（市）人民政府，市政府各委、办、局：为做好{topic}工作，经市政府同意，现将有关事项通知如下。"
            ),
            format!("一、总体要求。坚持以人民为中心，推进{topic}工作提质增效。"),
            "二、主要任务。各责任单位要按照职责分工抓好落实，按时报送进展情况。".to_owned(),
            format!("{issuer}　{year}年{month}月{day}日"),
        ];
        let (file, bytes) = match i % 3 {
            0 => (format!("{i:04}.docx"), demo_docx(&paragraphs)?),
            1 => (format!("{i:04}.ofd"), demo_ofd(&paragraphs)?),
            _ => (format!("{i:04}.pdf"), demo_pdf(i)),
        };
        std::fs::write(dir.join(&file), bytes)?;
        csv.push_str(&format!("{file},{title},{doc_no},{issuer},{year}年{month}月{day}日,{cat},{summary}\n"));
    }
    let mapping = dir.join("对照表.csv");
    std::fs::write(&mapping, csv)?;
    let opts = LibraryImport {
        channel: root,
        username: "siteadmin",
        mapping: &mapping,
        dir: &dir,
        dry_run: false,
        publish: true,
    };
    let r = import(state, &opts, &|_, _| {}).await?;
    Ok(Some(format!(
        "文库：党政文库 {} 件（DOCX、OFD、PDF 各三分之一，导入 {}，未导入 {}；文件与对照表在 {}）—— /wenku/",
        n,
        r.published,
        r.rejected.len(),
        dir.display()
    )))
}
