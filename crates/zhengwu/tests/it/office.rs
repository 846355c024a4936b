//! 协同办公, 公文交换, end to end on the real router and both databases, across units: a clerk drafts
//! (a classified document is refused, the body must be a PDF or OFD), the unit leader 签发 — one
//! delivery and one outbox notice per recipient in one transaction — one recipient returns it, one
//! signs for it with a receipt, one is reminded; recall is refused once someone signed; the
//! receipt checks, and fails once a stored part or the title is changed; another unit can read
//! neither the delivery nor the receipt; statistics; sending to 69 units writes 69 deliveries.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::{Value, json};

/// The city office (sender) and three bureaus, a clerk for each, and the office's leader.
async fn world(app: &TestApp) -> Vec<i64> {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let mut ids = Vec::new();
    for (code, name, user) in [
        ("BC-BGT", "冰城市人民政府办公厅", "clerk_bgt"),
        ("BC-KJJ", "冰城市科学技术局", "clerk_kjj"),
        ("BC-MZJ", "冰城市民政局", "clerk_mzj"),
        ("BC-SWJ", "冰城市水务局", "clerk_swj"),
    ] {
        let id = platform::accounts::create_org(&app.db, Some(gov), name, code, "bureau").await.unwrap();
        app.user_with_email(
            user,
            &format!("{user}@bc.invalid"),
            &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: id }],
        )
        .await;
        ids.push(id);
    }
    app.user_with_grants("leader_bgt", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: ids[0] }]).await;
    ids
}

async fn upload(app: &TestApp, token: &str, id: i64, kind: &str, name: &str, bytes: &[u8]) -> common::TestResponse {
    let req = Request::post(format!("/api/v1/office/documents/{id}/parts?kind={kind}&name={}", common::urlenc(name)))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    app.client().send(req).await
}

fn draft(recipients: &[&str]) -> Value {
    json!({
        "org": "BC-BGT", "secrecy": "非涉密", "urgency": "特急", "issuer_mark": "冰城市人民政府办公厅文件",
        "doc_no": "冰政办发[2026] 58号", "title": "关于做好元旦春节期间值班工作的通知", "main_to": "各委、办、局",
        "body": "一、严格落实领导带班制度。", "written_on": "2026-12-03", "recipients": recipients,
    })
}

backend_tests! {
    a_document_travels_to_three_units_with_receipts_that_can_be_checked => |app: TestApp| async move {
        let units = world(&app).await;
        let clerk = app.token("clerk_bgt").await;
        let leader = app.token("leader_bgt").await;
        let (kjj, mzj, swj) = (app.token("clerk_kjj").await, app.token("clerk_mzj").await, app.token("clerk_swj").await);
        let mut c = app.client();
        let r = c.api("POST", "/api/v1/office/documents", &clerk, Some(draft(&["BC-KJJ", "BC-MZJ", "BC-SWJ", "NO-SUCH"]))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown recipient is named: {}", r.text);
        assert!(r.text.contains("NO-SUCH"));
        assert_eq!(c.api("POST", "/api/v1/office/documents", &kjj, Some(draft(&["BC-MZJ"]))).await.status, StatusCode::FORBIDDEN, "another unit's clerk");
        let mut secret = draft(&["BC-KJJ", "BC-MZJ", "BC-SWJ"]);
        secret["secrecy"] = json!("秘密");
        let id = c.api("POST", "/api/v1/office/documents", &clerk, Some(secret)).await.json()["id"].as_i64().unwrap();
        let one = c.api("GET", &format!("/api/v1/office/documents/{id}"), &clerk, None).await.json();
        assert_eq!(one["document"]["doc_no"], "冰政办发〔2026〕58号", "stored with 〔〕");
        // Not sendable: classified, and no body yet.
        let r = c.api("POST", &format!("/api/v1/office/documents/{id}/actions/submit"), &clerk, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("非涉密") && r.text.contains("PDF 或 OFD"), "{}", r.text);
        let mut fixed = draft(&["BC-KJJ", "BC-MZJ", "BC-SWJ"]);
        fixed["secrecy"] = json!("非涉密");
        assert_eq!(c.api("PUT", &format!("/api/v1/office/documents/{id}"), &clerk, Some(fixed)).await.status, StatusCode::OK);
        let r = upload(&app, &clerk, id, "body", "正文.pdf", b"not a pdf").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(upload(&app, &clerk, id, "body", "冰政办发〔2026〕58号.pdf", b"%PDF-1.7 signed body").await.status, StatusCode::OK);
        assert_eq!(upload(&app, &clerk, id, "attachment", "值班表.xlsx", b"PK\x03\x04 table").await.status, StatusCode::OK);
        assert_eq!(c.api("POST", &format!("/api/v1/office/documents/{id}/actions/submit"), &clerk, None).await.status, StatusCode::OK);
        // Only the leader 签发; a rejection needs a reason.
        assert_eq!(c.api("POST", &format!("/api/v1/office/documents/{id}/sign-off/sign_off"), &clerk, None).await.status, StatusCode::FORBIDDEN);
        let outbox_before = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap();
        let r = c.api("POST", &format!("/api/v1/office/documents/{id}/sign-off/sign_off"), &leader, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let one = c.api("GET", &format!("/api/v1/office/documents/{id}"), &clerk, None).await.json();
        assert_eq!(one["deliveries"].as_array().unwrap().len(), 3);
        let outbox_after = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap();
        assert_eq!(outbox_after - outbox_before, 3, "one notice per recipient unit, written with the sending");
        let delivery_of = |unit: i64| one["deliveries"].as_array().unwrap().iter().find(|x| x["unit_id"] == unit).unwrap()["id"].as_i64().unwrap();
        let (to_kjj, to_mzj, to_swj) = (delivery_of(units[1]), delivery_of(units[2]), delivery_of(units[3]));

        // Each recipient sees it in its own inbox only.
        let inbox = c.api("GET", "/api/v1/office/inbox?state=pending", &kjj, None).await.json();
        assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
        assert_eq!(inbox["items"][0]["urgency"], "特急");
        assert_eq!(c.api("POST", &format!("/api/v1/office/deliveries/{to_kjj}/actions/sign"), &mzj, None).await.status, StatusCode::FORBIDDEN);
        // 民政局 returns it (a reason is needed); 科技局 signs for it.
        let r = c.api("POST", &format!("/api/v1/office/deliveries/{to_mzj}/actions/return"), &mzj, Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.api("POST", &format!("/api/v1/office/deliveries/{to_mzj}/actions/return"), &mzj, Some(json!({ "reason": "本局不属于值班报送范围" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/office/deliveries/{to_kjj}/actions/sign"), &kjj, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["receipt_digest"].as_str().unwrap().len(), 64);
        assert_eq!(c.api("POST", &format!("/api/v1/office/deliveries/{to_kjj}/actions/sign"), &kjj, None).await.status, StatusCode::CONFLICT, "signed once");
        // Recall is refused now; the one unit still waiting is reminded.
        let r = c.api("POST", &format!("/api/v1/office/documents/{id}/actions/recall"), &clerk, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("已有单位签收"), "{}", r.text);
        assert_eq!(c.api("POST", &format!("/api/v1/office/documents/{id}/remind"), &clerk, None).await.json()["reminded"], 1);
        // Distribution and handling in the receiving unit.
        for (kind, text) in [("forward", "请值班室按通知要求排班"), ("handle", "已排定元旦春节值班表并报送")] {
            let r = c.api("POST", &format!("/api/v1/office/deliveries/{to_kjj}/notes"), &kjj, Some(json!({ "kind": kind, "text": text }))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        assert_eq!(c.api("POST", &format!("/api/v1/office/deliveries/{to_swj}/notes"), &swj, Some(json!({ "kind": "handle", "text": "x" }))).await.status, StatusCode::CONFLICT, "sign first");

        // The receipt checks — for the receiving and the sending unit, not for others.
        let r = c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &kjj, None).await.json();
        assert_eq!(r["valid"], true, "{r}");
        assert_eq!(r["receipt"]["parts"].as_array().unwrap().len(), 2);
        assert_eq!(c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &clerk, None).await.json()["valid"], true);
        assert_eq!(c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &swj, None).await.status, StatusCode::FORBIDDEN);
        // A stored part changed afterwards: the check names it.
        let stored: String = app.db.fetch_one::<platform::db::Scalar<String>>(platform::db::sql("SELECT stored FROM office_part WHERE document_id = $1 AND kind = 'attachment'").bind(id)).await.unwrap().0;
        let path = office::exchange::files_dir(&app.state.config.data_dir).join(&stored);
        std::fs::write(&path, b"PK\x03\x04 another table").unwrap();
        let r = c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &kjj, None).await.json();
        assert_eq!(r["valid"], false);
        assert!(r["problems"].to_string().contains("值班表.xlsx"), "{r}");
        std::fs::write(&path, b"PK\x03\x04 table").unwrap();
        assert_eq!(c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &kjj, None).await.json()["valid"], true);
        // The same check from the command line: `zhengwu receipt --delivery N` (exit 0, then 1).
        let cli = || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zhengwu"));
            cmd.arg("--data-dir").arg(&app.state.config.data_dir);
            if let Some(u) = &app.state.config.database_url {
                cmd.arg("--database-url").arg(u);
            }
            cmd.args(["receipt", "--delivery", &to_kjj.to_string()]).output().unwrap()
        };
        let out = cli();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("核验通过"), "{out:?}");
        app.db.execute(platform::db::sql("UPDATE office_document SET title = title || '（修订）' WHERE id = $1").bind(id)).await.unwrap();
        assert_eq!(c.api("GET", &format!("/api/v1/office/deliveries/{to_kjj}/receipt"), &kjj, None).await.json()["valid"], false);
        let out = cli();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("公文的版头、主体或版记与签收时不一致"));
        // The receipt is in the audit chain, and the chain still verifies.
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'office.receipt'")).await.unwrap();
        assert_eq!(audited, 1);
        // Statistics: the office sent one; 科技局 signed one; 水务局 waits.
        let s = c.api("GET", "/api/v1/office/stats", &clerk, None).await.json();
        let row = |u: i64| s["units"].as_array().unwrap().iter().find(|x| x["unit_id"] == u).cloned();
        assert_eq!(row(units[0]).unwrap()["sent"], 1);
        let k = c.api("GET", "/api/v1/office/stats", &kjj, None).await.json();
        let kr = k["units"].as_array().unwrap().iter().find(|x| x["unit_id"] == units[1]).cloned().unwrap();
        assert_eq!((kr["received"].as_i64(), kr["signed"].as_i64()), (Some(1), Some(1)));
        assert_eq!(k["units"].as_array().unwrap().len(), 1, "a clerk sees only their units");
        // Those figures come from the per-day counters kept as documents were sent and signed:
        // they equal a recount from the deliveries themselves.
        let counters = || app.db.fetch_all::<(i64, i64, i64, i64, i64)>(platform::db::sql("SELECT unit_id, day, received, signed, signed_seconds FROM office_delivery_day ORDER BY unit_id, day"));
        let kept = counters().await.unwrap();
        assert_eq!(kept.iter().map(|r| r.2).sum::<i64>(), 3, "three deliveries counted when sent: {kept:?}");
        office::exchange::rebuild_delivery_days(&app.db).await.unwrap();
        assert_eq!(counters().await.unwrap(), kept);
        // 水务局 still waits, in time today; sent ten days ago it would be overdue (特急 or not).
        let overdue = |from_days: i64| {
            let state = app.state.clone();
            async move {
                let now = platform::db::now();
                let rows = office::exchange::stats(&state, now - from_days * 86_400, now + 86_400).await.unwrap();
                rows.iter().find(|x| x.unit == "冰城市水务局").map(|x| x.overdue)
            }
        };
        assert_eq!(overdue(1).await, Some(0));
        app.db.execute(platform::db::sql("UPDATE office_delivery SET sent_at = sent_at - 864000 WHERE state = 'pending'")).await.unwrap();
        assert_eq!(overdue(30).await, Some(1));
        // The back office pages render for each side.
        let mut b = app.signed_in("clerk_kjj").await;
        let page = b.get(&format!("/admin/office/deliveries/{to_kjj}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("核验未通过"), "the title was changed after signing");
        let mut s = app.signed_in("clerk_bgt").await;
        let page = s.get(&format!("/admin/office/documents/{id}")).await;
        assert!(page.text.contains("冰城市民政局") && page.text.contains("本局不属于值班报送范围") && page.text.contains("已签收"));
    };

    sending_to_sixty_nine_units_writes_every_delivery_once => |app: TestApp| async move {
        let units = world(&app).await;
        let mut codes = Vec::new();
        for n in 0..66 {
            let code = format!("BC-U{n:02}");
            platform::accounts::create_org(&app.db, Some(units[0]), &format!("冰城市第{n}单位"), &code, "bureau").await.unwrap();
            codes.push(code);
        }
        codes.extend(["BC-KJJ".to_owned(), "BC-MZJ".to_owned(), "BC-SWJ".to_owned()]);
        let clerk = app.token("clerk_bgt").await;
        let leader = app.token("leader_bgt").await;
        let mut c = app.client();
        let id = c.api("POST", "/api/v1/office/documents", &clerk, Some(draft(&codes.iter().map(String::as_str).collect::<Vec<_>>()))).await.json()["id"].as_i64().unwrap();
        upload(&app, &clerk, id, "body", "正文.ofd", b"PK\x03\x04 ofd").await;
        c.api("POST", &format!("/api/v1/office/documents/{id}/actions/submit"), &clerk, None).await;
        let t = std::time::Instant::now();
        let r = c.api("POST", &format!("/api/v1/office/documents/{id}/sign-off/sign_off"), &leader, None).await;
        eprintln!("sent to 69 units in {:?}", t.elapsed());
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // A second 签发 (a double click, a retry) changes nothing.
        assert_eq!(c.api("POST", &format!("/api/v1/office/documents/{id}/sign-off/sign_off"), &leader, None).await.status, StatusCode::CONFLICT);
        let n = app.db.count(platform::db::sql("SELECT COUNT(*) FROM office_delivery WHERE document_id = $1").bind(id)).await.unwrap();
        assert_eq!(n, 69);
        let distinct = app.db.count(platform::db::sql("SELECT COUNT(DISTINCT unit_id) FROM office_delivery WHERE document_id = $1").bind(id)).await.unwrap();
        assert_eq!(distinct, 69);
    };
}

/// An intranet node (`zhengwu serve --no-public`): the back office and the staff API work; the
/// portal, every module's public pages and the public API endpoints answer 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_office_only_node_serves_no_public_route() {
    let app = TestApp::new(common::Backend::Sqlite).await;
    app.load_demo(20, 0).await;
    let mut config = app.state.config.clone();
    config.public_site = false;
    let node = zhengwu::build(app.db.clone(), config, app.state.audit_key.clone()).await.unwrap();
    let mut c = common::Client::for_router(node.router.clone());
    for path in [
        "/",
        "/canyu/",
        "/gongkai/",
        "/hudong/",
        "/banshi/",
        "/api/v1/search?q=科技",
        "/api/v1/public/surveys/1/results",
        "/static/site.css",
    ] {
        assert_eq!(c.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(c.get("/admin/login").await.status, StatusCode::OK);
    let doc = c.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"].get("/api/v1/search").is_none() && doc["paths"].get("/api/v1/office/inbox").is_some());
    // The same database still serves the public site from a public node.
    assert_eq!(app.client().get("/canyu/").await.status, StatusCode::OK);
}
