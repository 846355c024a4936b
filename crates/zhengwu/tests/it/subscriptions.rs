//! 订阅 end to end on the real router, the real SMTP sink and both databases: a citizen subscribes
//! by mail (bad input named and kept; a double submission sends one confirmation), confirms by the
//! link, receives an immediate alert for an article published in the column — with RFC 8058
//! headers — exactly once, and unsubscribes with the one-click POST; an SMS subscriber confirms by
//! code and receives the daily digest once; addresses are sealed and pages with a subscriber's
//! secret are not counted; the office sees counts only.

use crate::common;

use axum::http::StatusCode;
use common::{Client, TestApp};
use platform::db::{Scalar, sql};

const PW: &str = zhengwu::demo::DEMO_PASSWORD;

async fn login(app: &TestApp, user: &str) -> Client {
    let mut c = app.client();
    let res = c.login(user, PW).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{user}: {}", res.text);
    c
}

async fn publish(app: &TestApp, channel: i64, title: &str) -> i64 {
    common::publish_article(app, channel, title, &[], &["reviewer_dept", "reviewer_office"]).await
}

async fn scalar(app: &TestApp, q: platform::db::Q) -> i64 {
    let v: Scalar<i64> = app.db.fetch_one(q).await.unwrap();
    v.0
}

/// The path of the first address in `text` that contains `marker` (mail bodies carry full URLs).
fn path_in(text: &str, marker: &str) -> String {
    let i = text.find(marker).unwrap_or_else(|| panic!("no {marker} in {text}"));
    let end = text[i..].find(|c: char| c.is_whitespace() || c == '>').map_or(text.len(), |e| i + e);
    text[i..end].to_owned()
}

/// Fills the subscription form the way a browser does (topics repeat) and posts it.
async fn subscribe(c: &mut Client, form: &common::TestResponse, fields: &[(&str, &str)]) -> common::TestResponse {
    let (token, answer) = common::captcha(&form.text);
    let mut all: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
    all.push(("_csrf", form.csrf().unwrap()));
    all.push(("_once", form.hidden("_once").unwrap()));
    all.push(("captcha_token", token));
    all.push(("captcha", answer));
    c.post_form_raw("/dingyue/", &serde_urlencoded::to_string(&all).unwrap()).await
}

backend_tests! {
    a_citizen_subscribes_confirms_is_alerted_once_and_leaves_with_one_click => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let portal = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let channels = cms::store::channels_of(&app.db, portal.id).await.unwrap();
        let news = channels.iter().find(|c| c.slug == "bmdt").unwrap();
        let other = channels.iter().find(|c| c.kind == "list" && c.id != news.id).unwrap();
        let topic = format!("channel:{}", news.id);

        let mut citizen = app.client();
        let form = citizen.get("/dingyue/").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text.contains(&news.name) && form.text.contains("新的意见征集"), "{}", form.text);

        // Bad input: each problem named in Chinese, what was typed kept, nothing stored or sent.
        let bad = subscribe(&mut citizen, &form, &[("site", "hrb"), ("via", "mail"), ("email", "zhang@example"), ("frequency", "immediate")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("电子邮箱格式不正确") && bad.text.contains("请至少选择一个订阅内容"), "{}", bad.text);
        assert!(bad.text.contains("value=\"zhang@example\""));
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM subscriber")).await, 0);

        // A good request, sent twice (a double click): one subscriber, one confirmation.
        let fields = [("site", "hrb"), ("via", "mail"), ("email", "zhang@example.com"), ("frequency", "immediate"), ("topics", topic.as_str())];
        let ok = subscribe(&mut citizen, &bad, &fields).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
        let again = subscribe(&mut citizen, &bad, &fields).await;
        assert_eq!(again.location(), "/dingyue/sent");
        let sent = citizen.get("/dingyue/sent").await;
        assert!(sent.text.contains("z***@example.com") && sent.text.contains("请在 7 天内"), "{}", sent.text);
        assert!(!sent.text.contains("zhang@example.com"));
        let confirm = app.mail.wait_for("zhang@example.com", "请确认订阅").await;
        assert!(confirm.body.contains(&news.name), "{}", confirm.body);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.mail.all().iter().filter(|m| m.subject.contains("请确认订阅")).count(), 1);

        // Until confirmed nothing is sent.
        publish(&app, news.id, "关于做好今冬明春供暖保障工作的通知").await;
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 0);

        // The link shows a button (mail scanners open links); pressing it confirms.
        let link = path_in(&confirm.body, "/dingyue/confirm/");
        let page = citizen.get(&link).await;
        assert!(page.text.contains("确认订阅") && page.text.contains("<form"), "{}", page.text);
        assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
        let done = citizen.post_form(&link, &[]).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert!(done.text.contains("订阅成功") && done.text.contains(&news.name), "{}", done.text);

        // A publication in the column reaches the SMTP sink once, with one-click unsubscribing.
        let title = "哈尔滨市2026年冬季城市供热工作方案";
        let id = publish(&app, news.id, title).await;
        publish(&app, other.id, "不在订阅栏目中的信息").await;
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 1);
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 0);
        let alert = app.mail.wait_for("zhang@example.com", title).await;
        assert!(alert.body.contains(&format!("/a/{id}.html")), "{}", alert.body);
        let header = alert.header("list-unsubscribe").expect("List-Unsubscribe");
        assert!(header.starts_with('<') && header.contains("/dingyue/unsubscribe/"), "{header}");
        assert_eq!(alert.header("list-unsubscribe-post"), Some("List-Unsubscribe=One-Click"));
        assert!(alert.body.contains(&path_in(header, "/dingyue/unsubscribe/")));
        assert!(!app.mail.all().iter().any(|m| m.subject.contains("不在订阅栏目中的信息")));

        // A pending change was the old one: the earlier publication is not sent late either.
        let alerts_to_zhang = || app.mail.all().iter().filter(|m| m.to.iter().any(|t| t == "zhang@example.com")).count();
        assert_eq!(alerts_to_zhang(), 2, "confirmation and one alert");

        // RFC 8058: a POST with no cookies and no form token ends the subscription.
        let unsubscribe = path_in(header, "/dingyue/unsubscribe/");
        let mut mail_program = app.client();
        let r = mail_program.post_form_raw(&unsubscribe, "List-Unsubscribe=One-Click").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        publish(&app, news.id, "退订之后发布的信息").await;
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 0);
        let gone = citizen.get(&unsubscribe).await;
        assert!(gone.text.contains("已退订"), "{}", gone.text);
        // A forged token finds nothing.
        // (The last character changed to another one: a token may itself end in 0.)
        let last = if unsubscribe.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &unsubscribe[..unsubscribe.len() - 1]);
        assert_eq!(citizen.get(&forged).await.status, StatusCode::NOT_FOUND);

        // The address is sealed at rest; pages with a subscriber's secret are not counted.
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM subscriber WHERE address LIKE '%example.com%'")).await, 0);
        app.state.analytics.flush(&app.db).await.unwrap();
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM analytics_page WHERE path LIKE '/dingyue/%/%'")).await, 0);
    };

    an_sms_subscriber_confirms_by_code_and_gets_one_daily_digest => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let portal = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let news = cms::store::channels_of(&app.db, portal.id).await.unwrap().into_iter().find(|c| c.slug == "bmdt").unwrap();
        let topic = format!("channel:{}", news.id);
        let mut citizen = app.client();
        let form = citizen.get("/dingyue/?site=hrb").await;
        let r = subscribe(&mut citizen, &form, &[("site", "hrb"), ("via", "sms"), ("phone", "139 1234 5678"), ("frequency", "daily"), ("topics", topic.as_str())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let sent = citizen.get("/dingyue/sent").await;
        assert!(sent.text.contains("139****5678") && sent.text.contains("name=\"code\""), "{}", sent.text);
        let log = app.sms_log_with("订阅确认码").await;
        assert!(!log.contains("13912345678"), "the log masks numbers");
        let code: String = log.split("确认码为 ").nth(1).unwrap().chars().take(6).collect();
        let action = path_in(&sent.text, "/dingyue/sms/").trim_end_matches('"').to_owned();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let w = citizen.post_form(&action, &[("code", wrong)]).await;
        assert_eq!(w.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(w.text.contains("确认码不正确（还可再试 4 次）"), "{}", w.text);
        let ok = citizen.post_form(&action, &[("code", &code)]).await;
        assert!(ok.text.contains("订阅成功") && ok.text.contains("每天 8:00"), "{}", ok.text);
        let manage = path_in(&ok.text, "/dingyue/manage/").trim_end_matches('"').to_owned();

        // Management: an empty choice is refused by name and nothing is lost.
        let m = citizen.get(&manage).await;
        assert!(m.text.contains("139****5678") && m.text.contains(&format!("value=\"{topic}\" checked")), "{}", m.text);
        let e = citizen.post_form(&manage, &[("frequency", "daily")]).await;
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.text.contains("请至少选择一个订阅内容"));
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM subscription")).await, 1);

        // Today's publication goes out in the digest due at 08:00 tomorrow, once.
        let title = "全市冬季供暖热线开通";
        publish(&app, news.id, title).await;
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 0, "daily, not immediate");
        let tomorrow = platform::db::now() + 86_400;
        assert_eq!(supervision::subscriptions::run_digests(&app.state, tomorrow).await.unwrap(), 1);
        assert_eq!(supervision::subscriptions::run_digests(&app.state, tomorrow + 60).await.unwrap(), 0);
        let log = app.sms_log_with(title).await;
        assert!(log.contains("回复TD退订") && log.contains("/dingyue/unsubscribe/"), "{log}");

        // The office sees counts, never the number; an editor does not see the page.
        let mut admin = login(&app, "siteadmin").await;
        let page = admin.get("/admin/supervision/subscriptions").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(&news.name) && !page.text.contains("5678"), "{}", page.text);
        let mut editor = login(&app, "editor").await;
        assert_eq!(editor.get("/admin/supervision/subscriptions").await.status, StatusCode::FORBIDDEN);

        // The gateway passes on replies: chatter is ignored, TD ends the subscription and confirms.
        let gateway = app.token("sysadmin").await;
        let mut g = app.client();
        let reply = |text: &str| serde_json::json!({ "phone": "+8613912345678", "text": text });
        let res = g.api("POST", "/api/v1/sms/replies", &gateway, Some(reply("谢谢"))).await;
        assert_eq!(res.json()["unsubscribed"], 0, "{}", res.text);
        let editor_token = app.token("editor").await;
        assert_eq!(g.api("POST", "/api/v1/sms/replies", &editor_token, Some(reply("TD"))).await.status, StatusCode::FORBIDDEN);
        let res = g.api("POST", "/api/v1/sms/replies", &gateway, Some(reply(" td "))).await;
        assert_eq!(res.json()["unsubscribed"], 1, "{}", res.text);
        app.sms_log_with("您已退订").await;
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM subscriber WHERE state = 'ended' AND ended_how = 'sms-reply'")).await, 1);
        publish(&app, news.id, "退订后的新信息").await;
        assert_eq!(supervision::subscriptions::run_digests(&app.state, tomorrow + 86_400).await.unwrap(), 0);
    };

    a_disclosure_category_subscriber_hears_of_each_new_catalogue_item_once => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let portal = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let news = cms::store::channels_of(&app.db, portal.id).await.unwrap().into_iter().find(|c| c.slug == "bmdt").unwrap();
        let mut citizen = app.client();
        let form = citizen.get("/dingyue/").await;
        assert!(form.text.contains("政府信息公开") && form.text.contains("财政预决算"), "{}", form.text);
        let fields = [("site", "hrb"), ("via", "mail"), ("email", "li@example.com"), ("frequency", "immediate"), ("topics", "disclosure:topic:财政预决算")];
        let ok = subscribe(&mut citizen, &form, &fields).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
        let confirm = app.mail.wait_for("li@example.com", "请确认订阅").await;
        assert!(confirm.body.contains("财政预决算"), "{}", confirm.body);
        let link = path_in(&confirm.body, "/dingyue/confirm/");
        assert_eq!(citizen.post_form(&link, &[]).await.status, StatusCode::OK);

        // Two documents catalogued: one under 财政预决算, one under 政府采购.
        let token = app.token("siteadmin").await;
        let budget = "哈尔滨市2026年市级部门预算公开说明";
        for (title, topic) in [(budget, "财政预决算"), ("哈尔滨市政府采购意向公开", "政府采购")] {
            let doc = publish(&app, news.id, title).await;
            let body = serde_json::json!({ "document_id": doc, "org": "112301000123450307", "topic": topic, "genre": "通知" });
            let res = app.client().api("POST", "/api/v1/disclosure-items", &token, Some(body)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        }
        // Only the item in the subscribed category is sent, once, linking to its catalogue page.
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 1);
        assert_eq!(supervision::subscriptions::run_immediate(&app.state).await.unwrap(), 0);
        let alert = app.mail.wait_for("li@example.com", budget).await;
        assert!(alert.body.contains("/gongkai/items/"), "{}", alert.body);
        assert!(!app.mail.all().iter().any(|m| m.subject.contains("政府采购意向")));
    };
}
