//! 文库 end to end on both databases: a folder of DOCX, OFD and PDF files with a mapping is
//! checked by a dry run (nothing written), imported — a missing file, a page posing as a PDF and a
//! bad date named by their lines, a second copy of a file skipped — and imported again with
//! nothing doubled; an editor's import goes to review, a publishing import goes live; the public
//! page browses by category, year, 发文机关 and 文号 however it is typed; the words of an OFD file
//! find its document in the site search.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use std::io::Write;

fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    for (name, text) in parts {
        z.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

async fn world(app: &TestApp) -> i64 {
    let portal = cms::store::insert_site(
        &app.db,
        &cms::store::Site {
            code: "hrb".into(),
            name: "冰城市人民政府".into(),
            kind: "portal".into(),
            template_set: "default".into(),
            locale: "zh-CN".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.user("siteadmin", &[Role::SiteAdmin]).await;
    app.user_with_grants("editor", &[Grant { role: Role::Editor, scope: ScopeKind::Site, scope_id: portal }]).await;
    cms::store::insert_channel(
        &app.db,
        &cms::store::Channel {
            site_id: portal,
            name: "党政文库".into(),
            slug: "wenku".into(),
            kind: "list".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

backend_tests! {
    a_folder_of_documents_is_imported_browsed_and_found => |app: TestApp| async move {
        let lib = world(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let docx = zip_of(&[("word/document.xml", "<w:p><w:r><w:t>进一步优化营商环境的若干措施</w:t></w:r></w:p>".into())]);
        let ofd = zip_of(&[
            ("OFD.xml", "<ofd:OFD/>".into()),
            ("Doc_0/Pages/Page_0/Content.xml", "<ofd:Page><ofd:Content><ofd:Layer><ofd:TextObject ID=\"2\"><ofd:TextCode X=\"0\" Y=\"5\">开展黑土地保护专项行动，推广秸秆覆盖免耕播种</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>".into()),
        ]);
        std::fs::write(dir.path().join("营商环境.docx"), &docx).unwrap();
        std::fs::write(dir.path().join("营商环境-副本.docx"), &docx).unwrap();
        std::fs::write(dir.path().join("黑土地.ofd"), &ofd).unwrap();
        std::fs::write(dir.path().join("报告.pdf"), include_bytes!("../../../doctext/tests/tongzhi.pdf")).unwrap();
        std::fs::write(dir.path().join("假的.pdf"), b"<html>not a pdf</html>").unwrap();
        let mapping = dir.path().join("对照表.csv");
        std::fs::write(&mapping, "\u{feff}文件名,标题,文号,发文机关,成文日期,分类,摘要\n\
            营商环境.docx,关于印发进一步优化营商环境若干措施的通知,哈政规[2024]3号,冰城市人民政府,2024年3月15日,规范性文件,提出 20 条措施\n\
            黑土地.ofd,关于开展黑土地保护专项行动的通知,哈政办发（2023）12号,冰城市人民政府办公厅,2023-06-01,政府办公厅文件,\n\
            报告.pdf,2022年冰城市政府工作报告,,冰城市人民政府,2022/1/10,政府工作报告,\n\
            营商环境-副本.docx,重复的文件,,,2024-03-15,规范性文件,\n\
            缺少.pdf,不存在的文件,,,2024-01-01,其他,\n\
            假的.pdf,冒充的文件,,,2024-01-01,其他,\n\
            报告.pdf,日期有误,,,去年,其他,\n").unwrap();
        let opts = |user: &'static str, dry_run: bool, publish: bool| zhengwu::library::LibraryImport { channel: lib, username: user, mapping: &mapping, dir: dir.path(), dry_run, publish };
        let docs = || app.db.count(platform::db::sql("SELECT COUNT(*) FROM article WHERE channel_id = $1 OR channel_id IN (SELECT id FROM channel WHERE parent_id = $1)").bind(lib));

        // A dry run checks every row and writes nothing.
        let r = zhengwu::library::import(&app.state, &opts("siteadmin", true, true), &|_, _| {}).await.unwrap();
        assert_eq!((r.checked, r.skipped), (4, 0), "{r:?}");
        assert_eq!(docs().await.unwrap(), 0);
        let why: Vec<(u64, String)> = r.rejected.iter().map(|x| (x.line, x.reason.clone())).collect();
        assert_eq!(why.iter().map(|w| w.0).collect::<Vec<_>>(), [6, 7, 8], "{why:?}");
        assert!(why[0].1.contains("没有这个文件") && why[1].1.contains("不符") && why[2].1.contains("成文日期"), "{why:?}");

        // An editor may write but not publish: a publishing import is refused, a plain one goes to review.
        let e = zhengwu::library::import(&app.state, &opts("editor", false, true), &|_, _| {}).await.unwrap_err();
        assert!(e.to_string().contains("不能在栏目“党政文库”直接发布"), "{e}");

        // The site administrator publishes; the copy of a file already imported is skipped.
        let r = zhengwu::library::import(&app.state, &opts("siteadmin", false, true), &|_, _| {}).await.unwrap();
        assert_eq!((r.published, r.in_review, r.skipped, r.rejected.len()), (3, 0, 1, 3), "{r:?}");
        // Again: nothing doubled.
        let r = zhengwu::library::import(&app.state, &opts("siteadmin", false, true), &|_, _| {}).await.unwrap();
        assert_eq!((r.published, r.skipped), (0, 4), "{r:?}");
        assert_eq!(docs().await.unwrap(), 3);
        let news = app.db.count(platform::db::sql("SELECT COUNT(*) FROM publication")).await.unwrap();
        assert_eq!(news, 0, "documents issued long ago are not news: no subscriber is alerted");
        let audit = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'library.import'")).await.unwrap();
        assert_eq!(audit, 2, "each import that wrote is audited");

        // The public library: categories with counts, filters by year, issuer and 文号 as typed.
        let mut c = app.client();
        let page = c.get("/wenku/").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("共收录文件 3 件") && page.text.contains("规范性文件</a> <span class=\"muted\">1 件"), "{}", page.text);
        assert!(page.text.contains("哈政规〔2024〕3号") && page.text.contains("2024-03-15"), "文号 shown normalised: {}", page.text);
        let y = c.get("/wenku/?year=2023").await;
        assert!(y.text.contains("黑土地保护") && !y.text.contains("营商环境若干措施"), "{}", y.text);
        let i = c.get(&format!("/wenku/?issuer={}", common::urlenc("冰城市人民政府"))).await;
        assert!(i.text.contains("营商环境若干措施") && i.text.contains("政府工作报告") && !i.text.contains("黑土地保护专项"), "{}", i.text);
        let n = c.get(&format!("/wenku/?q={}", common::urlenc("哈政办发[2023]12号"))).await;
        assert!(n.text.contains("黑土地保护专项") && !n.text.contains("营商环境若干措施"), "{}", n.text);
        assert_eq!(c.get("/wenku/?c=999999").await.status, StatusCode::NOT_FOUND);

        // The OFD's own words find its document.
        let idx = app.cms.search.clone().expect("search index");
        let ids: std::collections::BTreeSet<i64> = app.db.fetch_all::<platform::db::Scalar<i64>>(platform::db::sql("SELECT id FROM article")).await.unwrap().into_iter().map(|s| s.0).collect();
        cms::indexing::index_articles(&app.db, &idx, &ids).await.unwrap();
        let hits = c.get(&format!("/search?q={}", common::urlenc("秸秆覆盖免耕"))).await;
        assert!(hits.text.contains("找到约 1 条") && hits.text.contains("黑土地保护专项行动的通知</a>"), "{}", hits.text);
        // So do a PDF's (its Chinese set in a CID font).
        let hits = c.get(&format!("/search?q={}", common::urlenc("农村饮水安全"))).await;
        assert!(hits.text.contains("找到约 1 条") && hits.text.contains("政府工作报告</a>"), "{}", hits.text);

        // An editor's import waits for review.
        std::fs::write(dir.path().join("新.docx"), zip_of(&[("word/document.xml", "<w:p><w:r><w:t>冬季供热保障</w:t></w:r></w:p>".into())])).unwrap();
        std::fs::write(&mapping, "文件名,标题,成文日期,分类\n新.docx,关于做好冬季供热保障工作的通知,2026-11-01,政府办公厅文件\n").unwrap();
        let r = zhengwu::library::import(&app.state, &opts("editor", false, false), &|_, _| {}).await.unwrap();
        assert_eq!((r.published, r.in_review), (0, 1), "{r:?}");
        assert!(!c.get("/wenku/").await.text.contains("冬季供热保障"), "not public before review");
    };
}
