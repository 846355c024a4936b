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

    visits_are_counted_truly_and_nothing_joins_back_to_an_address => |app: TestApp| async move {
        use axum::body::Body;
        use axum::http::{Request, header};
        use std::collections::{BTreeMap, HashMap, HashSet};
        app.load_demo(40, 10).await;
        let sites = platform::web::portal::group_sites(&app.db).await.unwrap();
        let (portal, district) = (&sites[0], sites.iter().find(|s| s.code == "daoli").unwrap());
        #[derive(sqlx::FromRow)]
        struct Art { id: i64, channel_id: i64 }
        let arts: Vec<Art> = app.db.fetch_all(sql("SELECT a.id, p.channel_id FROM article a JOIN placement p ON p.article_id = a.id \
            AND p.site_id = a.site_id WHERE a.state = 'published' AND a.site_id = $1 AND p.live ORDER BY a.id LIMIT 12").bind(portal.id)).await.unwrap();
        assert!(arts.len() >= 8);
        // The access log: 90 visitors (60 addresses, some sharing one with another browser) over
        // pages of two sites — cached and uncached, a module page, searches — with referrers.
        const UAS: [&str; 3] = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1",
        ];
        let mut paths: Vec<(String, i64, Option<i64>)> = vec![("/".into(), portal.id, None), ("/banshi/".into(), portal.id, None),
            (format!("{}/", district.path_prefix), district.id, None)];
        for a in &arts { paths.push((format!("/a/{}.html", a.id), portal.id, Some(a.channel_id))); }
        let mut rng: u64 = 20261206;
        let mut next = |n: u64| { rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (rng >> 33) % n };
        let mut views: BTreeMap<String, i64> = BTreeMap::new();
        let mut page_visitors: HashMap<String, HashSet<(String, &str)>> = HashMap::new();
        let mut site_visitors: HashMap<i64, HashSet<(String, &str)>> = HashMap::new();
        let mut channel_views: HashMap<i64, i64> = HashMap::new();
        let (mut site_views, mut entries, mut from_baidu, mut phones) = (HashMap::<i64, i64>::new(), 0, 0, 0);
        let mut c = app.client();
        for i in 0..1200 {
            let v = next(90);
            let (ip, ua) = (format!("10.1.{}.{}", v % 60 / 10, v % 60), UAS[(v / 60) as usize % 3]);
            let (path, site, channel) = paths[next(paths.len() as u64) as usize].clone();
            let referer = match next(4) { 0 => Some("https://www.baidu.com/s?wd=%E5%8A%9E%E4%BA%8B"), 1 | 2 => Some("http://portal.test/"), _ => None };
            let mut req = Request::get(&path).header(header::USER_AGENT, ua);
            if let Some(r) = referer { req = req.header(header::REFERER, r); }
            c.ip = ip.clone();
            let res = c.send(req.body(Body::empty()).unwrap()).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            *views.entry(path.clone()).or_default() += 1;
            *site_views.entry(site).or_default() += 1;
            page_visitors.entry(path.clone()).or_default().insert((ip.clone(), ua));
            site_visitors.entry(site).or_default().insert((ip.clone(), ua));
            if let Some(ch) = channel { *channel_views.entry(ch).or_default() += 1; }
            if referer != Some("http://portal.test/") { entries += i64::from(site == portal.id); }
            from_baidu += i64::from(site == portal.id && referer.is_some_and(|r| r.contains("baidu")));
            phones += i64::from(site == portal.id && ua.contains("iPhone"));
            // Crawlers and HEAD requests are no visits.
            if i % 10 == 0 {
                let bot = Request::get(&path).header(header::USER_AGENT, "Mozilla/5.0 (compatible; Baiduspider/2.0)").body(Body::empty()).unwrap();
                assert_eq!(c.send(bot).await.status, StatusCode::OK);
                let head = Request::head(&path).header(header::USER_AGENT, UAS[0]).body(Body::empty()).unwrap();
                c.send(head).await;
            }
        }
        // Two searches, one of them with an ID number that must not be kept.
        c.ip = "10.1.0.1".into();
        for q in ["%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7", "230102199001011234"] {
            let res = c.send(Request::get(format!("/search?q={q}")).header(header::USER_AGENT, UAS[0]).body(Body::empty()).unwrap()).await;
            assert_eq!(res.status, StatusCode::OK);
        }
        *site_views.entry(portal.id).or_default() += 2;
        entries += 2;
        assert!(app.state.analytics.pending() >= 1202, "every view is counted, cached pages too");
        app.state.analytics.flush(&app.db).await.expect("flush");
        let today = platform::calendar::today();
        let period = platform::analytics::Period::Day(today);
        let r = platform::analytics::report(&app.db, portal.id, &period, 100).await.unwrap();
        assert_eq!(r.totals.views, site_views[&portal.id]);
        assert_eq!(r.totals.visitors, site_visitors[&portal.id].len() as i64);
        assert_eq!(r.totals.entries, entries);
        for p in &r.pages {
            if p.path == "/search" { continue; }
            assert_eq!(p.views, views[&p.path], "{}", p.path);
            assert_eq!(p.visitors, page_visitors[&p.path].len() as i64, "{}", p.path);
        }
        assert_eq!(r.pages.iter().filter(|p| p.path != "/search").count(), views.keys().filter(|p| !p.starts_with(&district.path_prefix) || district.path_prefix.is_empty()).count());
        for ch in &r.channels { assert_eq!(ch.views, channel_views[&ch.channel_id], "{}", ch.name); assert!(!ch.name.is_empty()); }
        assert!(r.articles.iter().all(|a| a.article_id.is_some() && !a.title.is_empty()));
        assert_eq!(r.referrers.iter().find(|d| d.value == "baidu.com").map(|d| d.n), Some(from_baidu));
        assert_eq!(r.devices.iter().find(|d| d.value == "phone").map(|d| d.n), Some(phones));
        let terms: Vec<&str> = r.terms.iter().map(|t| t.value.as_str()).collect();
        assert_eq!(terms, vec!["营业执照"]);
        let d = platform::analytics::report(&app.db, district.id, &period, 100).await.unwrap();
        assert_eq!((d.totals.views, d.totals.visitors), (site_views[&district.id], site_visitors[&district.id].len() as i64));
        // The month and the year hold the same figures (one day so far).
        let year = platform::analytics::report(&app.db, portal.id, &platform::analytics::Period::Year(today.year()), 5).await.unwrap();
        assert_eq!((year.totals.views, year.totals.visitors), (r.totals.views, r.totals.visitors));
        assert_eq!(year.slots.iter().map(|s| s.views).sum::<i64>(), r.totals.views);

        // A visitor seen again — through this node or a second one — is not counted twice.
        let second = platform::analytics::Analytics::new(true);
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::USER_AGENT, UAS[0].parse().unwrap());
        h.insert(header::HOST, "portal.test".parse().unwrap());
        let facts = std::sync::Arc::new(platform::analytics::PageFacts { site_id: portal.id, ..Default::default() });
        let seen = site_visitors[&portal.id].iter().find(|(_, ua)| *ua == UAS[0]).unwrap().0.clone();
        second.record(facts.clone(), &axum::http::Method::GET, 200, &h, "portal.test", "/", &seen);
        second.record(facts, &axum::http::Method::GET, 200, &h, "portal.test", "/", "10.200.0.1");
        second.flush(&app.db).await.unwrap();
        let again = platform::analytics::report(&app.db, portal.id, &period, 5).await.unwrap();
        assert_eq!((again.totals.views, again.totals.visitors), (r.totals.views + 2, r.totals.visitors + 1));
        // The node that stored a visitor remembers it and does not offer it again; the second
        // node's new visitor, not yet known here, is found in the database.
        let facts = std::sync::Arc::new(platform::analytics::PageFacts { site_id: portal.id, ..Default::default() });
        app.state.analytics.record(facts.clone(), &axum::http::Method::GET, 200, &h, "portal.test", "/", &seen);
        app.state.analytics.record(facts, &axum::http::Method::GET, 200, &h, "portal.test", "/", "10.200.0.1");
        app.state.analytics.flush(&app.db).await.unwrap();
        let third = platform::analytics::report(&app.db, portal.id, &period, 5).await.unwrap();
        assert_eq!((third.totals.views, third.totals.visitors), (r.totals.views + 4, r.totals.visitors + 1));

        // Nothing stored holds an address or a user agent; once the day is over its salt and
        // visitor hashes are gone.
        for (table, cols) in [("analytics_page", "path || title"), ("analytics_dim", "value"), ("analytics_channel", "name")] {
            let n = scalar(&app, sql(format!("SELECT COUNT(*) FROM {table} WHERE {cols} LIKE '%10.1.%' OR {cols} LIKE '%Mozilla%' OR {cols} LIKE '%10.200.%'"))).await;
            assert_eq!(n, 0, "{table}");
        }
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM analytics_salt")).await, 1);
        // Two days back: within ten minutes after midnight yesterday's salt is still kept.
        let past = platform::calendar::date_text(today.previous_day().and_then(|d| d.previous_day()).unwrap());
        app.db.execute(sql("UPDATE analytics_salt SET day = $1").bind(past.as_str())).await.unwrap();
        app.db.execute(sql("UPDATE analytics_seen SET day = $1").bind(past.as_str())).await.unwrap();
        app.state.analytics.flush(&app.db).await.unwrap();
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM analytics_seen")).await, 0);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM analytics_salt")).await, 0);

        // Who may read the statistics: a district's administrator only the district; an editor nothing.
        app.user_with_grants("daoli_admin", &[Grant { role: Role::SiteAdmin, scope: ScopeKind::Site, scope_id: district.id }]).await;
        let (local, global, editor) = (app.token("daoli_admin").await, app.token("siteadmin").await, app.token("editor").await);
        let g = c.api("GET", "/api/v1/visits?period=", &local, None).await.json();
        assert_eq!(g["sites"].as_array().unwrap().len(), 1);
        assert_eq!(c.api("GET", &format!("/api/v1/visits/sites/{}", portal.id), &local, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("GET", "/api/v1/visits", &editor, None).await.status, StatusCode::FORBIDDEN);
        let one = c.api("GET", &format!("/api/v1/visits/sites/{}?period={}", portal.id, today.year()), &global, None).await.json();
        assert_eq!(one["report"]["totals"]["views"].as_i64(), Some(r.totals.views + 4));
        let bad = c.api("GET", "/api/v1/visits?period=2026-02-30", &global, None).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.text.contains("统计期"), "{}", bad.text);
        let mut admin = login(&app, "siteadmin").await;
        let page = admin.get(&format!("/admin/supervision/stats/sites/{}?period={}", portal.id, today.year())).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("热门文章") && page.text.contains("baidu.com") && page.text.contains("<svg"), "{}", page.text);
        let group = admin.get("/admin/supervision/stats").await;
        assert!(group.text.contains(&district.name));
        let x = admin.get(&format!("/admin/supervision/stats/sites/{}/stats.xlsx?period={}", portal.id, today.year())).await;
        assert_eq!(x.status, StatusCode::OK);
        assert!(x.bytes.starts_with(b"PK"));
    };

    the_annual_report_is_generated_from_data_and_keeps_what_is_typed => |app: TestApp| async move {
        app.load_demo(60, 80).await;
        let sites = platform::web::portal::group_sites(&app.db).await.unwrap();
        let (portal, district) = (&sites[0], sites.iter().find(|s| s.code == "daoli").unwrap());
        let year = platform::calendar::today().year();
        let from = platform::parse_date(&format!("{year}-01-01")).unwrap();
        let to = platform::parse_date(&format!("{}-01-01", year + 1)).unwrap();
        // A hand count of what the portal published this year, and the letters module's own figure.
        let published = scalar(&app, sql("SELECT COUNT(*) FROM placement WHERE live AND site_id = $1 AND pub_at >= $2 AND pub_at < $3").bind(portal.id).bind(from).bind(to)).await;
        assert!(published > 0);
        let figs = app.state.modules.figures(&app.state, platform::module::FigureQuery { from, to, org_id: None, site_id: Some(portal.id) }).await;
        let letters = figs.iter().find(|f| f.key == "letters.received").unwrap().value as i64;
        let mut admin = login(&app, "siteadmin").await;
        let page = admin.get(&format!("/admin/supervision/annual/sites/{}?year={year}", portal.id)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains(&format!("<td>总数（条）</td><td>{published}</td>")), "{}", page.text);
        assert!(page.text.contains(&format!("<td>收到留言数量（条）</td><td>{letters}</td>")), "{}", page.text);
        assert!(page.text.contains(&portal.site_id_code) && page.text.contains("政府门户网站"));
        // Bad input is named field by field and nothing typed is lost.
        let url = format!("/admin/supervision/annual/sites/{}?year={year}", portal.id);
        let bad = admin.post_form(&url, &[("wechat_name", "哈尔滨发布"), ("wechat_posts", "三百"), ("security_drill", "也许"), ("filled_on", "2027-02-30")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("“微信信息发布量”应填写不小于 0 的整数") && bad.text.contains("请选择“是”或“否”") && bad.text.contains("填报日期应写成"), "{}", bad.text);
        assert!(bad.text.contains(r#"value="哈尔滨发布""#) && bad.text.contains(r#"value="三百""#));
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM annual_report")).await, 0);
        let ok = admin.post_form(&url, &[("wechat_name", "哈尔滨发布"), ("wechat_posts", "312"), ("security_drill", "是"), ("head", "王建国"), ("filled_on", "2027-01-20")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
        let page = admin.get(&url).await;
        assert!(page.text.contains("<td>微信信息发布量（条）</td><td>312</td>") && page.text.contains("<td>单位负责人</td><td>王建国</td>"), "{}", page.text);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action = 'annual_report.save'")).await, 1);
        let x = admin.get(&format!("/admin/supervision/annual/sites/{}/report.xlsx?year={year}", portal.id)).await;
        assert_eq!(x.status, StatusCode::OK);
        assert!(x.bytes.starts_with(b"PK"));
        let list = admin.get(&format!("/admin/supervision/annual?year={year}")).await;
        assert!(list.text.contains("已填报") && list.text.contains("未填报"), "{}", list.text);
        // A district's administrator fills in only the district's report.
        app.user_with_grants("daoli_admin", &[Grant { role: Role::SiteAdmin, scope: ScopeKind::Site, scope_id: district.id }]).await;
        let mut local = app.signed_in("daoli_admin").await;
        assert_eq!(local.get(&url).await.status, StatusCode::FORBIDDEN);
        assert_eq!(local.get(&format!("/admin/supervision/annual/sites/{}?year={year}", district.id)).await.status, StatusCode::OK);
        assert_eq!(local.get(&format!("/admin/supervision/annual/sites/{}?year=1900", district.id)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    };
}
