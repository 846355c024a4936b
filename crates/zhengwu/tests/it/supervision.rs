//! 监督考核 end to end on the real router and both databases: the demo group passes with no veto
//! item; a planted stale column, a letter unanswered for three months, a broken internal link and a
//! 错敏词 each raise exactly their item, and the days-before versions exactly their warning; the
//! monitor's counts equal a hand count; the pre-publication gate blocks a dictionary error in the
//! editor and in the API and shows warnings to the reviewer; pre-warnings reach the SMTP sink once;
//! probes tell a live page from an error and a hang; and who may see and change what.

use crate::common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{Client, TestApp};
use platform::db::{Scalar, sql};
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

const PW: &str = zhengwu::demo::DEMO_PASSWORD;
const DAY: i64 = 86_400;

async fn login(app: &TestApp, user: &str) -> Client {
    let mut c = app.client();
    let res = c.login(user, PW).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{user}: {}", res.text);
    c
}

type Key = (String, String, bool);

async fn findings(app: &TestApp, now: i64) -> (Vec<platform::module::Finding>, supervision::monitor::GroupReport) {
    let r = supervision::monitor::run(&app.state, None, now).await.expect("monitor");
    (r.sites.iter().flat_map(|s| s.findings.clone()).collect(), r)
}

fn keys(f: &[platform::module::Finding]) -> BTreeSet<Key> {
    f.iter().map(|f| (f.indicator.clone(), f.subject.clone(), f.warning)).collect()
}

async fn scalar(app: &TestApp, q: platform::db::Q) -> i64 {
    app.db.fetch_one::<Scalar<i64>>(q).await.unwrap().0
}

backend_tests! {
    planted_problems_raise_exactly_their_items_and_warnings => |app: TestApp| async move {
        app.load_demo(120, 300).await;
        let now = platform::db::now();
        let (before, report) = findings(&app, now).await;
        // The demo group passes: no veto item on any site.
        for s in &report.sites {
            assert_eq!(s.assessment.vetoes_reached(), 0, "{}: {:?}", s.site.name, s.findings.iter().filter(|f| !f.warning).collect::<Vec<_>>());
        }
        // The monitor's counts equal a hand count: letters past their deadline, blank list columns.
        let today = platform::fmt_date(now);
        let overdue = scalar(&app, sql("SELECT COUNT(*) FROM letter WHERE state IN ('submitted','accepted','assigned','reply_review') AND submitted_at >= $1 AND due_date < $2").bind(now - 365 * DAY).bind(today.clone())).await;
        assert_eq!(before.iter().filter(|f| f.indicator == "letter_overdue").count() as i64, overdue);
        let blank = scalar(&app, sql("SELECT COUNT(*) FROM channel c WHERE c.kind = 'list' AND NOT c.archived \
            AND NOT EXISTS (SELECT 1 FROM placement p JOIN channel k ON k.id = p.channel_id WHERE p.live AND p.pub_at <= $1 AND (k.id = c.id OR k.parent_id = c.id))").bind(now)).await;
        assert_eq!(before.iter().filter(|f| f.indicator == "column_blank").count() as i64, blank);

        let portal = platform::web::portal::group_sites(&app.db).await.unwrap()[0].id;
        #[derive(sqlx::FromRow)]
        struct Named { id: i64, name: String }
        let news: Vec<Named> = app.db.fetch_all(sql("SELECT c.id, c.name FROM channel c WHERE c.site_id = $1 AND c.update_class = 'news' AND c.kind = 'list' \
            AND NOT c.archived AND NOT EXISTS (SELECT 1 FROM channel k WHERE k.parent_id = c.id) \
            AND EXISTS (SELECT 1 FROM placement p WHERE p.channel_id = c.id AND p.live) ORDER BY c.id").bind(portal)).await.unwrap();
        assert!(news.len() >= 3, "the demo portal has news columns with content");
        let (stale, nearly) = (&news[0], &news[1]);
        // Every item of one column 20 days old (over the 2 weeks), of another 12 days (warned from day 11).
        app.db.execute(sql("UPDATE placement SET pub_at = $1 WHERE channel_id = $2").bind(now - 20 * DAY).bind(stale.id)).await.unwrap();
        app.db.execute(sql("UPDATE placement SET pub_at = $1 WHERE channel_id = $2").bind(now - 12 * DAY).bind(nearly.id)).await.unwrap();
        // One letter unanswered for 100 days, another for 80 (warned from day 75).
        #[derive(sqlx::FromRow)]
        struct Open { id: i64, no: String }
        let open: Vec<Open> = app.db.fetch_all(sql("SELECT id, no FROM letter WHERE state IN ('assigned','accepted') AND (due_date IS NULL OR due_date >= $1) ORDER BY id LIMIT 2").bind(today.clone())).await.unwrap();
        assert_eq!(open.len(), 2);
        app.db.execute(sql("UPDATE letter SET submitted_at = $1 WHERE id = $2").bind(now - 100 * DAY).bind(open[0].id)).await.unwrap();
        app.db.execute(sql("UPDATE letter SET submitted_at = $1 WHERE id = $2").bind(now - 80 * DAY).bind(open[1].id)).await.unwrap();
        // A broken internal link in one published article, a serious 错敏词 in another.
        let published: Vec<Named> = app.db.fetch_all(sql("SELECT id, title AS name FROM article WHERE state = 'published' AND site_id = $1 ORDER BY id LIMIT 2").bind(portal)).await.unwrap();
        app.db.execute(sql("UPDATE article SET body = body || '<p>详见<a href=\"/a/99999999.html\">原通知</a>。</p>' WHERE id = $1").bind(published[0].id)).await.unwrap();
        app.db.execute(sql("UPDATE article SET body = body || '<p>哈尔滨市人民政俯召开常务会议。</p>' WHERE id = $1").bind(published[1].id)).await.unwrap();

        let (after, report) = findings(&app, now).await;
        let added: Vec<Key> = keys(&after).difference(&keys(&before)).cloned().collect();
        let gone: Vec<Key> = keys(&before).difference(&keys(&after)).cloned().collect();
        assert!(gone.is_empty(), "nothing fixed itself: {gone:?}");
        let expect = |ind: &str, subject: &str, warning: bool| -> bool {
            added.iter().any(|(i, s, w)| i == ind && s.starts_with(subject) && *w == warning)
        };
        assert!(expect("column_stale_news", &format!("栏目“{}”", stale.name), false), "{added:?}");
        assert!(expect("column_stale_news", &format!("栏目“{}”", nearly.name), true), "{added:?}");
        assert!(expect("letter_unanswered_3m", &format!("来信 {}", open[0].no), false), "{added:?}");
        assert!(expect("letter_unanswered_3m", &format!("来信 {}", open[1].no), true), "{added:?}");
        assert!(expect("link_broken_internal", &format!("《{}》→ /a/99999999.html", published[0].name), false), "{added:?}");
        assert!(expect("wording_serious", &format!("《{}》", published[1].name), false), "{added:?}");
        assert_eq!(added.len(), 6, "exactly the planted items: {added:?}");
        let wording = after.iter().find(|f| f.indicator == "wording_serious").unwrap();
        assert!(wording.subject.contains("【哈尔滨市人民政俯】") && wording.detail.contains("应为“哈尔滨市人民政府”"), "{wording:?}");
        assert_eq!(wording.fix_url, format!("/admin/cms/articles/{}/edit", published[1].id));
        // The portal now fails on two veto items; the stale column alone is a deduction.
        let p = report.site(portal).unwrap();
        let reached: Vec<&str> = p.assessment.vetoes.iter().filter(|v| v.reached).map(|v| v.rule.key).collect();
        assert!(reached.contains(&"serious_error") && reached.contains(&"no_response"), "{reached:?}");
        assert_eq!(p.assessment.verdict, supervision::indicators::Verdict::FailVeto);

        // The dashboard shows the site's problems with where each is fixed; the report exports.
        let mut admin = login(&app, "siteadmin").await;
        let page = admin.get(&format!("/admin/supervision/sites/{portal}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("不合格（单项否决）") && page.text.contains(&format!("/admin/letters/{}", open[0].id)), "{}", page.text);
        let group = admin.get("/admin/supervision").await;
        assert!(group.text.contains("互动回应差"), "{}", group.text);
        let xlsx = admin.get(&format!("/admin/supervision/sites/{portal}/report.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"));
        let printable = admin.get(&format!("/admin/supervision/sites/{portal}/report")).await;
        assert!(printable.text.contains("季度政府网站自查报告") && printable.text.contains("哈尔滨市人民政俯"));
        // 立即检测 keeps today's result.
        let run = admin.post_form("/admin/supervision/run", &[]).await;
        assert_eq!(run.status, StatusCode::SEE_OTHER);
        let kept = scalar(&app, sql("SELECT COUNT(*) FROM monitor_result WHERE site_id = $1 AND verdict = 'fail_veto'").bind(portal)).await;
        assert_eq!(kept, 1);
    };

    the_gate_blocks_dictionary_errors_in_the_editor_and_the_api => |app: TestApp| async move {
        app.load_demo(30, 0).await;
        let s = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let bmdt = cms::store::channels_of(&app.db, s.id).await.unwrap().into_iter().find(|c| c.slug == "bmdt").unwrap().id;
        // The API: submitting an article with a serious error is refused with every problem listed.
        let token = app.token("editor").await;
        let mut c = app.client();
        let body = "<p>哈尔滨市人民政俯决定开展专项检查，详见<a href=\"/a/88888888.html\">附件</a>。</p><p><img src=\"/files/inline/none.png\" alt=\"\"></p>";
        let r = c.api("POST", "/api/v1/articles", &token, Some(json!({"channel_id": bmdt, "title": "关于开展专项检查的通知", "summary": "专项检查", "body": body}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let r = c.api("POST", &format!("/api/v1/articles/{id}/actions/submit"), &token, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let errors = r.json()["errors"].clone();
        let messages: Vec<String> = errors.as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_owned()).collect();
        assert!(messages.iter().any(|m| m.contains("“哈尔滨市人民政俯”为严重表述错误") && m.contains("应为“哈尔滨市人民政府”")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("/a/88888888.html") && m.contains("不存在或未发布")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("正文图片文件不存在")), "{messages:?}");
        let state = scalar(&app, sql("SELECT COUNT(*) FROM article WHERE id = $1 AND review_state = 'editing'").bind(id)).await;
        assert_eq!(state, 1, "still a draft: nothing was submitted");
        // The editor: the same refusal on the article page, with the list and the typed comment kept.
        let mut ed = login(&app, "editor").await;
        let page = ed.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", "submit"), ("comment", "请审核")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text.contains("发布前检查未通过") && page.text.contains("哈尔滨市人民政俯") && page.text.contains("请审核"), "{}", page.text);
        // Fixed (a general typo left in): it goes to review, and the reviewer sees the warning.
        let fixed = "<p>哈尔滨市人民政府决定开展专项检查，既使节假日也不停止。</p>";
        let r = c.api("PATCH", &format!("/api/v1/articles/{id}"), &token, Some(json!({"channel_id": bmdt, "title": "关于开展专项检查的通知", "summary": "专项检查", "body": fixed}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/articles/{id}/actions/submit"), &token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut rev = login(&app, "reviewer_dept").await;
        let page = rev.get(&format!("/admin/cms/articles/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("发布前检查") && page.text.contains("“既使”疑似错别字，应为“即使”"), "{}", page.text);
    };

    warnings_are_mailed_once_and_probes_tell_up_from_down => |app: TestApp| async move {
        app.load_demo(30, 0).await;
        let now = platform::db::now();
        let portal = platform::web::portal::group_sites(&app.db).await.unwrap()[0].id;
        // A news column nearly stale: the site's warning address hears of it once a day.
        let chan = scalar(&app, sql("SELECT MIN(c.id) FROM channel c WHERE c.site_id = $1 AND c.update_class = 'news' AND c.kind = 'list' \
            AND NOT EXISTS (SELECT 1 FROM channel k WHERE k.parent_id = c.id) AND EXISTS (SELECT 1 FROM placement p WHERE p.channel_id = c.id AND p.live)").bind(portal)).await;
        app.db.execute(sql("UPDATE placement SET pub_at = $1 WHERE channel_id = $2").bind(now - 13 * DAY).bind(chan)).await.unwrap();
        let token = app.token("siteadmin").await;
        let mut c = app.client();
        let r = c.api("PUT", &format!("/api/v1/monitor/sites/{portal}/settings"), &token, Some(json!({"probe_url": "ftp://x", "warning_email": "不是邮箱"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("探测地址须为 http://") && r.text.contains("预警邮箱格式不正确"), "{}", r.text);
        // A local page that answers, one that fails and one that never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let Ok((mut s, _)) = listener.accept().await else { break };
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    if head.starts_with("GET /hang") {
                        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    } else if head.starts_with("GET /down") {
                        let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                    } else {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                    }
                });
            }
        });
        let up = supervision::probe::fetch(&format!("http://{addr}/"), std::time::Duration::from_secs(2)).await;
        assert!(up.ok && up.status == Some(200), "{up:?}");
        let down = supervision::probe::fetch(&format!("http://{addr}/down"), std::time::Duration::from_secs(2)).await;
        assert!(!down.ok && down.status == Some(503), "{down:?}");
        let hang = supervision::probe::fetch(&format!("http://{addr}/hang"), std::time::Duration::from_millis(300)).await;
        assert!(!hang.ok && hang.status.is_none() && hang.error.contains("秒内无响应"), "{hang:?}");
        let r = c.api("PUT", &format!("/api/v1/monitor/sites/{portal}/settings"), &token, Some(json!({"probe_url": format!("http://{addr}/down"), "warning_email": "wzb@harbin.gov.cn"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let report = supervision::monitor::hourly(&app.state, now).await.unwrap();
        let mail = app.mail.wait_for("wzb@harbin.gov.cn", "网站监测预警").await;
        assert!(mail.body.contains("动态要闻类栏目不更新") && mail.body.contains(&format!("/admin/cms/channels/{chan}")), "{}", mail.body);
        // The failed probe is kept and counted (one day with failures: a deduction, far from the veto).
        assert!(report.site(portal).unwrap().findings.iter().any(|f| f.indicator == "probe_failed"));
        assert!(!report.site(portal).unwrap().findings.iter().any(|f| f.indicator == "site_unreachable"));
        // A second run the same day mails nothing new.
        supervision::monitor::hourly(&app.state, now + 60).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(app.mail.all().iter().filter(|m| m.subject.contains("网站监测预警")).count(), 1);
        // A week of failures makes the veto.
        for h in 0..30 {
            supervision::probe::record(&app.db, portal, "http://x/", now - h * 3600, &supervision::probe::Outcome { status: None, ok: false, millis: 15_000, error: "15 秒内无响应".into() }).await.unwrap();
        }
        let (_, report) = findings(&app, now).await;
        assert!(report.site(portal).unwrap().assessment.vetoes.iter().any(|v| v.rule.key == "unreachable" && v.reached));
    };

    who_may_see_the_monitor_and_edit_the_dictionary => |app: TestApp| async move {
        app.load_demo(20, 0).await;
        let sites = platform::web::portal::group_sites(&app.db).await.unwrap();
        let (portal, district) = (sites[0].id, sites.iter().find(|s| s.code == "daoli").unwrap().id);
        app.user_with_grants("daoli_admin", &[Grant { role: Role::SiteAdmin, scope: ScopeKind::Site, scope_id: district }]).await;
        let (local, global, editor) = (app.token("daoli_admin").await, app.token("siteadmin").await, app.token("editor").await);
        let mut c = app.client();
        // A district's administrator sees only the district.
        let r = c.api("GET", "/api/v1/monitor", &local, None).await;
        assert_eq!(r.status, StatusCode::OK);
        let ids: Vec<i64> = r.json()["sites"].as_array().unwrap().iter().map(|s| s["site_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![district]);
        assert_eq!(c.api("GET", &format!("/api/v1/monitor/sites/{portal}"), &local, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("GET", "/api/v1/monitor", &editor, None).await.status, StatusCode::FORBIDDEN);
        let all = c.api("GET", "/api/v1/monitor", &global, None).await.json();
        assert_eq!(all["sites"].as_array().unwrap().len(), sites.len());
        assert_eq!(c.api("GET", "/api/v1/monitor/sites/999999", &global, None).await.status, StatusCode::NOT_FOUND);
        // Only a global grant changes the dictionary (it applies to every site).
        let w = json!({"wrong": "松花将", "correct": "松花江", "severity": "serious", "note": "地名"});
        assert_eq!(c.api("POST", "/api/v1/wording-rules", &local, Some(w.clone())).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", "/api/v1/wording-rules", &global, Some(w.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let r = c.api("POST", "/api/v1/wording-rules", &global, Some(w)).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("词库中已有“松花将”"), "{}", r.text);
        let r = c.api("POST", "/api/v1/wording-rules", &global, Some(json!({"wrong": "", "severity": "x"}))).await;
        assert!(r.text.contains("请填写错误或敏感的表述") && r.text.contains("请选择错误级别"), "{}", r.text);
        let r = c.api("PUT", &format!("/api/v1/wording-rules/{id}"), &global, Some(json!({"wrong": "松花将", "correct": "松花江", "severity": "general"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // The back office: bulk import keeps existing entries and names bad lines.
        let mut admin = login(&app, "siteadmin").await;
        let page = admin.post_form("/admin/supervision/words/import", &[("lines", "松花将=松花江\n太阳岛岛=太阳岛=严重\n=空"), ("severity", "general")]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("新增 1 条，词库中已有 1 条") && page.text.contains("第 3 行"), "{}", page.text);
        let serious = scalar(&app, sql("SELECT COUNT(*) FROM wording_rule WHERE wrong = '太阳岛岛' AND severity = 'serious'")).await;
        assert_eq!(serious, 1);
        assert_eq!(c.api("DELETE", &format!("/api/v1/wording-rules/{id}"), &global, None).await.status, StatusCode::OK);
        let audited = scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action IN ('wording.save', 'wording.import', 'wording.delete')")).await;
        assert_eq!(audited, 4);
    };
}
