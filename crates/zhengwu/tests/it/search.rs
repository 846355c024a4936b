//! Site-group search through the real router: a publication is searchable within a second,
//! a withdrawal disappears, the public page and the JSON API agree, best bets and "did you mean"
//! show, the query log feeds the admin report, and a node reconciles a stale index at start.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use std::time::{Duration, Instant};

const PW: &str = zhengwu::demo::DEMO_PASSWORD;

async fn setup() -> TestApp {
    let app = TestApp::new(common::Backend::Sqlite).await;
    app.load_demo(40, 0).await;
    app
}

async fn publish(app: &TestApp, title: &str, body: &str, doc_number: &str) -> i64 {
    let s = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
    let ch = cms::store::channels_of(&app.db, s.id).await.unwrap().into_iter().find(|c| c.slug == "zcwj").unwrap().id;
    let mut ed = app.client();
    ed.login("editor", PW).await;
    let res = ed
        .post_form(
            "/admin/cms/articles/new",
            &[("channel_id", &ch.to_string()), ("title", title), ("body", body), ("doc_number", doc_number)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();
    ed.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "submit")]).await;
    for who in ["reviewer_office", "siteadmin"] {
        let mut r = app.client();
        r.login(who, PW).await;
        let res = r.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "approve")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{who}: {}", res.text);
    }
    id
}

/// Runs the index job the way the node's background loop does.
async fn settle(app: &TestApp) {
    app.cms.index_queued(&app.db).await;
}

backend_tests! {
    text_of_a_docx_attachment_finds_its_article => |app: TestApp| async move {
        use std::io::Write;
        app.load_demo(20, 0).await;
        let s = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let ch = cms::store::channels_of(&app.db, s.id).await.unwrap().into_iter().find(|c| c.slug == "zcwj").unwrap().id;
        let mut ed = app.client();
        ed.login("editor", PW).await;
        let res = ed.post_form("/admin/cms/articles/new", &[("channel_id", &ch.to_string()), ("title", "关于征集科技项目的通知"), ("body", "<p>详见附件。</p>")]).await;
        let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();
        // A real DOCX: a zip whose word/document.xml holds the text runs.
        let mut docx = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut docx);
            z.start_file("[Content_Types].xml", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b"<Types/>").unwrap();
            z.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all("<w:document><w:body><w:p><w:r><w:t>申报单位须具备寒地黑土保护性耕作</w:t></w:r><w:r><w:t>研究基础</w:t></w:r></w:p></w:body></w:document>".as_bytes()).unwrap();
            z.finish().unwrap();
        }
        let token = ed.csrf().await;
        let path = format!("/admin/cms/articles/{id}/attachments");
        let res = ed.post_multipart(&path, &[("_csrf", &token)], &[("file", "申报指南.docx", docx.get_ref())]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        ed.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "submit")]).await;
        for who in ["reviewer_office", "siteadmin"] {
            let mut r = app.client();
            r.login(who, PW).await;
            r.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "approve")]).await;
        }
        settle(&app).await;
        let api = app.client().get(&format!("/api/v1/search?q={}", urlenc("保护性耕作"))).await.json();
        let ids: Vec<i64> = api["hits"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![id], "{api}");
    };

    published_articles_are_searchable_within_a_second_and_withdrawn_ones_vanish => |app: TestApp| async move {
        app.load_demo(40, 0).await;
        let id = publish(&app, "关于进一步优化营商环境的若干措施", "<p>深入推进放管服改革，全面推行一网通办。</p>", "哈政发〔2026〕9号").await;
        let started = Instant::now();
        settle(&app).await;
        let mut c = app.client();
        let page = c.get(&format!("/search?q={}", urlenc("营商环境"))).await;
        assert!(page.text.contains(&format!("/a/{id}.html")), "found on the search page");
        assert!(page.text.contains("<mark>营商环境</mark>") || page.text.contains("<mark>营商</mark>"), "highlighted");
        assert!(started.elapsed() < Duration::from_secs(1));
        // Any bracket style finds the document number; the API returns the same document.
        let api = c.get(&format!("/api/v1/search?q={}", urlenc("哈政发[2026]9号"))).await.json();
        assert_eq!(api["hits"][0]["id"], id);
        assert_eq!(api["hits"][0]["url"], format!("/a/{id}.html"));
        // Traditional characters.
        let api = c.get(&format!("/api/v1/search?q={}", urlenc("優化營商環境"))).await.json();
        assert!(api["hits"].as_array().unwrap().iter().any(|h| h["id"] == id));
        // Withdrawn: gone.
        let mut admin = app.client();
        admin.login("siteadmin", PW).await;
        admin.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "withdraw"), ("comment", "文件有误")]).await;
        settle(&app).await;
        let api = c.get(&format!("/api/v1/search?q={}", urlenc("营商环境 措施"))).await.json();
        assert!(!api["hits"].as_array().unwrap().iter().any(|h| h["id"] == id), "withdrawn article is not found");
    };
}

use common::urlenc;

#[tokio::test]
async fn best_bets_suggestions_query_log_and_reconciliation() {
    let app = setup().await;
    publish(&app, "哈尔滨市高新技术企业认定管理办法", "<p>认定条件与程序。</p>", "").await;
    settle(&app).await;
    let mut admin = app.client();
    admin.login("siteadmin", PW).await;
    let res = admin
        .post_form(
            "/admin/cms/search/bestbets",
            &[("keyword", "高企认定"), ("title", "高新技术企业认定办事指南"), ("url", "/kjj/")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let bad = admin
        .post_form("/admin/cms/search/bestbets", &[("keyword", "x"), ("title", "y"), ("url", "javascript:alert(1)")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut c = app.client();
    let page = c.get(&format!("/search?q={}", urlenc("高企认定"))).await;
    assert!(page.text.contains("推荐结果") && page.text.contains("高新技术企业认定办事指南"));
    // Did you mean, for a typo of a dictionary word.
    let page = c.get(&format!("/search?q={}", urlenc("营商环竟"))).await;
    assert!(page.text.contains("您是不是要找") && page.text.contains("营商环境"), "{}", page.text);
    // The admin report lists hot and zero-result queries (words only).
    let report = admin.get("/admin/cms/search").await;
    assert!(report.text.contains("营商环竟") && report.text.contains("高企认定"));
    let logged = app.db.count(platform::db::sql("SELECT COUNT(*) FROM search_log")).await.unwrap();
    assert!(logged >= 2);
    // A stale index (an article missing, one extra) is repaired by reconciliation at start.
    let idx = app.cms.search.as_ref().unwrap();
    idx.apply(&[], &["article:1".into()]).unwrap();
    idx.apply(
        &[search::SearchDoc {
            key: "article:999999".into(),
            kind: "article".into(),
            id: 999_999,
            title: "幽灵文档".into(),
            ..Default::default()
        }],
        &[],
    )
    .unwrap();
    let todo = cms::indexing::reconcile(&app.db, idx).await.unwrap();
    assert!(todo.contains(&1) && todo.contains(&999_999));
    cms::indexing::index_articles(&app.db, idx, &todo).await.unwrap();
    let ids = idx.ids_of_kind("article").unwrap();
    assert!(ids.contains(&1) && !ids.contains(&999_999));
    // A full rebuild swaps in a complete index.
    let n = cms::indexing::rebuild(&app.db, idx, |_, _| {}).await.unwrap();
    let public = app
        .db
        .count(platform::db::sql("SELECT COUNT(*) FROM article WHERE state IN ('published', 'archived')"))
        .await
        .unwrap();
    assert_eq!(n as i64, public);
}

/// Kill -9 at any moment never corrupts the index: kill a running `zhengwu reindex` and a serving
/// node while it indexes at start, then check the index opens, answers, and (after the node's
/// start-up reconciliation) matches the database again.
#[test]
fn the_index_survives_kill_9_during_indexing() {
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_zhengwu");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(["--data-dir", &data])
            .args(args)
            .env("ZHENGWU_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
    };
    assert!(run(&["demo", "--articles", "1500"]).success());
    assert!(run(&["reindex"]).success());
    let expected = {
        let idx = search::SearchIndex::open(&dir.path().join("search"), &[]).unwrap();
        idx.count_kind("article").unwrap()
    };
    assert!(expected > 1000);
    // 1. Kill a rebuild part-way: the previous index stays active and whole.
    for delay_ms in [50u64, 200, 400] {
        let mut child = Command::new(bin)
            .args(["--data-dir", &data, "reindex"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let idx = search::SearchIndex::open(&dir.path().join("search"), &[]).unwrap();
        let n = idx.count_kind("article").unwrap();
        assert!(n == expected || n == 0 || n > 1000, "index after kill at {delay_ms} ms: {n}");
        assert_eq!(n, expected, "the active index is the complete previous one or the complete new one");
        let r = idx.search(&search::SearchRequest { q: "工作".into(), limit: 5, ..Default::default() }).unwrap();
        assert!(r.total > 0);
    }
    // 2. Kill a serving node while it re-indexes at start (its index was emptied first).
    let _ = std::fs::remove_dir_all(dir.path().join("search"));
    let port = 20000 + (std::process::id() % 5000) as u16;
    let listen = format!("127.0.0.1:{port}");
    let mut node = Command::new(bin)
        .args(["--data-dir", &data, "serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = node.kill();
    let _ = node.wait();
    {
        let idx = search::SearchIndex::open(&dir.path().join("search"), &[]).unwrap();
        assert!(idx.count_kind("article").unwrap() <= expected, "opens cleanly after the kill");
    }
    // 3. Restarted, the node reconciles with the database by itself.
    let mut node = Command::new(bin)
        .args(["--data-dir", &data, "serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut got = 0;
    while started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(300));
        let total = http_get(port, "/api/v1/search?q=%E5%B7%A5%E4%BD%9C").ok().and_then(|body| {
            body.split("\"total\":")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse::<usize>().ok())
        });
        if let Some(t) = total {
            got = t;
            let indexed = search::SearchIndex::open(&dir.path().join("search"), &[])
                .map(|i| i.count_kind("article").unwrap_or(0))
                .unwrap_or(0);
            if t > 0 && indexed == expected {
                break;
            }
        }
    }
    let _ = node.kill();
    let _ = node.wait();
    assert!(got > 0, "the restarted node answers searches");
    let idx = search::SearchIndex::open(&dir.path().join("search"), &[]).unwrap();
    assert_eq!(idx.count_kind("article").unwrap(), expected, "reconciled with the database");
}

/// A minimal HTTP/1.1 GET over loopback (no client library needed for one request).
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// 办事指南 are in the site group's index: the portal's search box finds a service item and links
/// it to the hall; an unpublished item disappears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_items_are_found_by_the_portal_search() {
    let app = setup().await;
    let idx = app.cms.search.clone().expect("search index");
    let site = cms::store::site_by_code(&app.db, "hrb").await.unwrap().map(|s| s.id as u64);
    let n = services::indexing::sync(&app.db, &idx, site).await.unwrap();
    assert!(n >= 40, "{n}");
    let mut c = app.client();
    let page = c.get(&format!("/search?q={}", common::urlenc("食品经营许可"))).await;
    let item = services::store::item_by_code(&app.db, "230100-SCJ-004").await.unwrap().unwrap();
    let link = format!("/banshi/items/by-id/{}", item.id);
    assert!(page.text.contains(&link) && page.text.contains("办事指南"), "{}", page.text);
    let res = c.get(&link).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, "/banshi/items/230100-SCJ-004".to_owned()));
    app.db
        .execute(platform::db::sql("UPDATE service_item SET published = FALSE WHERE id = $1").bind(item.id))
        .await
        .unwrap();
    services::indexing::sync(&app.db, &idx, site).await.unwrap();
    let page = c.get(&format!("/search?q={}", common::urlenc("食品经营许可"))).await;
    // (Quoted: /by-id/4 is a prefix of /by-id/44.)
    assert!(!page.text.contains(&format!("\"{link}\"")), "unpublished items leave the index");
}

#[tokio::test]
async fn published_letters_are_found_by_the_portal_search() {
    let app = TestApp::new(common::Backend::Sqlite).await;
    app.load_demo(40, 300).await;
    let idx = app.cms.search.clone().expect("search index");
    let site = cms::store::site_by_code(&app.db, "hrb").await.unwrap().map(|s| s.id as u64);
    let mut mark = (i64::MIN, 0);
    while let Some(next) = interaction::indexing::step(&app.db, &idx, mark, site).await.unwrap() {
        mark = next;
    }
    let published: i64 =
        app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE published = TRUE")).await.unwrap();
    assert!(published > 0);
    assert_eq!(idx.count_kind("letter").unwrap() as i64, published, "every published letter, nothing else");
    // A published letter's own words find it; the hit opens its page by number.
    #[derive(sqlx::FromRow)]
    struct L {
        id: i64,
        no: String,
        public_subject: String,
    }
    let l: L = app
        .db
        .fetch_one(platform::db::sql(
            "SELECT id, no, public_subject FROM letter WHERE published = TRUE ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap();
    let mut c = app.client();
    let page = c.get(&format!("/search?q={}", common::urlenc(&l.public_subject))).await;
    let link = format!("/hudong/letters/by-id/{}", l.id);
    assert!(page.text.contains(&link) && page.text.contains("来信选登"), "{}", page.text);
    let res = c.get(&link).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, format!("/hudong/letters/{}", l.no)));
    // Unpublishing takes it out at the next step; an unpublished letter's id leads nowhere.
    app.db.execute(platform::db::sql("UPDATE letter SET published = FALSE, updated_at = (SELECT MAX(updated_at) FROM letter) + 1 WHERE id = $1").bind(l.id)).await.unwrap();
    while let Some(next) = interaction::indexing::step(&app.db, &idx, mark, site).await.unwrap() {
        mark = next;
    }
    assert_eq!(idx.count_kind("letter").unwrap() as i64, published - 1);
    assert_eq!(c.get(&link).await.status, StatusCode::NOT_FOUND);
}

/// The search page says how it understood the query: the synonyms it searched as well, that it
/// fell back to most of the words, and a did-you-mean link; administrators' synonyms apply at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_says_how_the_query_was_understood() {
    let app = setup().await;
    let id =
        publish(&app, "关于公共租赁住房保障资格审核的通知", "<p>符合条件的家庭可申请公共租赁住房保障。</p>", "").await;
    settle(&app).await;
    let mut c = app.client();
    let page = c.get(&format!("/search?q={}", common::urlenc("公租房"))).await;
    assert!(page.text.contains("已同时搜索：公共租赁住房"), "{}", page.text);
    assert!(page.text.contains(&format!("/a/{id}.html")));
    // Nothing holds every word: the page says the results hold most of them.
    let page = c.get(&format!("/search?q={}", common::urlenc("公租房资格审核马拉松"))).await;
    assert!(page.text.contains("没有同时包含全部词语的信息"), "{}", page.text);
    assert!(page.text.contains(&format!("/a/{id}.html")));
    // A synonym group added in the back office answers the next query.
    let before = c.get(&format!("/search?q={}", common::urlenc("廉租保障"))).await;
    assert!(!before.text.contains(&format!("/a/{id}.html")) || before.text.contains("没有同时包含全部词语"));
    let mut admin = app.client();
    admin.login("siteadmin", PW).await;
    let res = admin.post_form("/admin/cms/search/synonyms", &[("synonyms", "廉租保障 公共租赁住房保障")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let after = c.get(&format!("/search?q={}", common::urlenc("廉租保障"))).await;
    assert!(
        after.text.contains(&format!("/a/{id}.html")) && after.text.contains("已同时搜索：公共租赁住房保障"),
        "{}",
        after.text
    );
    let form = admin.get("/admin/cms/search").await;
    assert!(form.text.contains("廉租保障 公共租赁住房保障"));
    // The same through the API; a group of one term is dropped, separators are tidied.
    let token = app.token("siteadmin").await;
    let res = c
        .api(
            "PUT",
            "/api/v1/search/synonyms",
            &token,
            Some(serde_json::json!({"synonyms": ["保障房、公共租赁住房", "孤词"]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["synonyms"], serde_json::json!(["保障房 公共租赁住房"]));
    let got = c.api("GET", "/api/v1/search/synonyms", &token, None).await;
    assert!(got.json()["shipped_groups"].as_u64().unwrap() > 50);
    // Best bets and the dictionary through the API, as the back office sets them.
    let bad = c
        .api(
            "POST",
            "/api/v1/search/best-bets",
            &token,
            Some(serde_json::json!({"keyword": "公租房", "title": "", "url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("请填写标题"), "{}", bad.text);
    let bet = c
        .api(
            "POST",
            "/api/v1/search/best-bets",
            &token,
            Some(serde_json::json!({"keyword": "公租房", "title": "公租房申请入口", "url": "/banshi/"})),
        )
        .await;
    assert_eq!(bet.status, StatusCode::CREATED, "{}", bet.text);
    let page = c.get(&format!("/search?q={}", common::urlenc("公租房"))).await;
    assert!(page.text.contains("公租房申请入口"));
    let id = bet.json()["id"].as_i64().unwrap();
    assert_eq!(c.api("DELETE", &format!("/api/v1/search/best-bets/{id}"), &token, None).await.status, StatusCode::OK);
    assert_eq!(
        c.api("DELETE", &format!("/api/v1/search/best-bets/{id}"), &token, None).await.status,
        StatusCode::NOT_FOUND
    );
    let words = c
        .api("PUT", "/api/v1/search/words", &token, Some(serde_json::json!({"words": ["冰城惠企", "政策找人"]})))
        .await;
    assert_eq!(words.json()["words"], serde_json::json!(["冰城惠企", "政策找人"]));
    assert_eq!(
        c.api("GET", "/api/v1/search/words", &token, None).await.json()["words"],
        serde_json::json!(["冰城惠企", "政策找人"])
    );
    let rebuild = c.api("POST", "/api/v1/search/actions/rebuild", &token, None).await;
    assert_eq!(rebuild.status, StatusCode::OK, "{}", rebuild.text);
    let editor = app.token("editor").await;
    assert_eq!(
        c.api("PUT", "/api/v1/search/synonyms", &editor, Some(serde_json::json!({"synonyms": []}))).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The 主动公开 catalogue is in the site group's index: its 索引号 and its 文号 (typed with other
/// brackets) find the item exactly, and the hit opens the item's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disclosure_items_are_found_by_index_number_and_doc_number() {
    let app = setup().await;
    let idx = app.cms.search.clone().expect("search index");
    let site = cms::store::site_by_code(&app.db, "hrb").await.unwrap().map(|s| s.id as u64);
    let mut mark = (i64::MIN, 0);
    while let Some(next) = disclosure::indexing::step(&app.db, &idx, mark, site).await.unwrap() {
        mark = next;
    }
    assert_eq!(disclosure::indexing::step(&app.db, &idx, mark, site).await.unwrap(), None, "nothing is indexed twice");
    let item: disclosure::catalogue::Item = app
        .db
        .fetch_one(platform::db::sql("SELECT * FROM disclosure_item WHERE doc_no <> '' ORDER BY id LIMIT 1"))
        .await
        .expect("the demo catalogues its policy documents");
    let link = format!("\"/gongkai/items/{}\"", item.id);
    let mut c = app.client();
    let page = c.get(&format!("/search?q={}", common::urlenc(&item.index_no))).await;
    assert!(page.text.contains(&link) && page.text.contains("政府信息公开"), "{}", page.text);
    let typed = item.doc_no.replace('〔', "[").replace('〕', "]");
    let page = c.get(&format!("/search?q={}", common::urlenc(&typed))).await;
    assert!(page.text.contains(&link), "文号 {typed}: {}", page.text);
}
