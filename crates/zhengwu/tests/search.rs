//! Site-group search through the real router: a publication is searchable within a second,
//! a withdrawal disappears, the public page and the JSON API agree, best bets and "did you mean"
//! show, the query log feeds the admin report, and a node reconciles a stale index at start.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use std::time::{Duration, Instant};

const PW: &str = zhengwu::demo::DEMO_PASSWORD;

async fn setup() -> TestApp {
    let app = TestApp::new(common::Backend::Sqlite).await;
    zhengwu::demo::load(&app.db, &app.state.audit_key, &app.state.config.data_dir.join("files"), 40, |_| {})
        .await
        .unwrap();
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
    let id: i64 = res.location().rsplit('/').next().unwrap().parse().unwrap();
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
    published_articles_are_searchable_within_a_second_and_withdrawn_ones_vanish => |app: TestApp| async move {
        zhengwu::demo::load(&app.db, &app.state.audit_key, &app.state.config.data_dir.join("files"), 40, |_| {}).await.unwrap();
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

fn urlenc(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

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
