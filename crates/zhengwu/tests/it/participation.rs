//! 公众参与 end to end on the real router and both databases: a consultation written, refused for
//! too short a period, reviewed, opened by the clock, commented on a paragraph and on selected
//! words, premoderated, flagged until hidden, edited while open without losing its comments'
//! places, closed, decided in groups and reported; a survey with a display condition answered
//! once per browser, its results hidden until it closes; an interview whose messages posted on
//! node A reach a server-sent-events viewer on node B within a second (edits and withdrawals too),
//! with questions moderated, a transcript and a follow-up answer.

use std::time::{Duration, Instant};

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Two bureaus under a city; an editor and a reviewer for the city, an editor for one bureau.
async fn world(app: &TestApp) -> (i64, i64) {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let zjj =
        platform::accounts::create_org(&app.db, Some(gov), "冰城市住房和城乡建设局", "BC-ZJJ", "bureau").await.unwrap();
    let kjj = platform::accounts::create_org(&app.db, Some(gov), "冰城市科学技术局", "BC-KJJ", "bureau").await.unwrap();
    app.user_with_grants("editor", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: zjj }]).await;
    app.user_with_grants("reviewer", &[Grant { role: Role::Reviewer, scope: ScopeKind::Org, scope_id: gov }]).await;
    app.user_with_grants("kjj_editor", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: kjj }]).await;
    (zjj, kjj)
}

const DRAFT: &str = "第一章 总则\n第一条 为加强城市公园管理，制定本办法。\n第二条 公园应当全年免费开放。\n第三条 在公园内开展广场舞等活动，音量不得超过规定标准。\n第四条 本办法自发布之日起施行。";

fn at(offset_days: i64) -> String {
    platform::format_datetime(Some(platform::db::now() + offset_days * 86_400))
}

/// Sends a public form after reading its page (CSRF, submission token, captcha).
async fn public_post(
    c: &mut common::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> common::TestResponse {
    let p = c.get(page).await;
    assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.text);
    let csrf = p.csrf().expect("csrf");
    let once = p.hidden("_once").expect("submission token");
    let mut all: Vec<(String, String)> = vec![("_csrf".into(), csrf), ("_once".into(), once)];
    if p.text.contains("captcha_token") {
        let (token, answer) = common::captcha(&p.text);
        all.push(("captcha_token".into(), token));
        all.push(("captcha".into(), answer));
    }
    all.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    c.post_form_raw(action, &serde_urlencoded::to_string(&all).unwrap()).await
}

async fn public_consultation(app: &TestApp, id: i64) -> Value {
    let r = app.client().get(&format!("/api/v1/public/consultations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

backend_tests! {
    a_consultation_runs_from_draft_to_adoption_report => |app: TestApp| async move {
        let (zjj, _) = world(&app).await;
        // The final policy the consultation leads to, published on the department's site.
        let final_doc = common::published_policies(&app, zjj, 1).await[0];
        let ed = app.token("editor").await;
        let rv = app.token("reviewer").await;
        let other = app.token("kjj_editor").await;
        let mut c = app.client();
        // A 重大行政决策 for 10 days without a reason: refused, the field named.
        let mut body = json!({ "org": "BC-ZJJ", "title": "《冰城市城市公园管理办法（征求意见稿）》", "kind": "major", "draft": DRAFT,
            "opens_at": at(-1), "closes_at": at(9), "premoderated": true, "hide_threshold": 2 });
        let r = c.api("POST", "/api/v1/consultations", &ed, Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("short_reason") && r.text.contains("30 日"), "{}", r.text);
        // Another bureau's editor cannot write for this one.
        body["short_reason"] = json!("配合春季开园时间安排，征求意见期缩短为 10 日");
        assert_eq!(c.api("POST", "/api/v1/consultations", &other, Some(body.clone())).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", "/api/v1/consultations", &ed, Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        // Not public before review; the editor cannot approve; the reviewer can.
        assert_eq!(app.client().get(&format!("/canyu/consultations/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.api("POST", &format!("/api/v1/consultations/{id}/actions/submit"), &ed, None).await.status, StatusCode::OK);
        assert_eq!(c.api("POST", &format!("/api/v1/consultations/{id}/review/approve"), &ed, None).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/review/return"), &rv, Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a return needs a reason: {}", r.text);
        assert_eq!(c.api("POST", &format!("/api/v1/consultations/{id}/review/approve"), &rv, None).await.status, StatusCode::OK);
        // Its opening time has passed: readers see it open at once, and the clock records it.
        assert_eq!(public_consultation(&app, id).await["state"], "open");
        assert_eq!(participation::consultation::run_clock(&app.state).await.unwrap(), 1);
        let one = c.api("GET", &format!("/api/v1/consultations/{id}"), &ed, None).await.json();
        let actions: Vec<&str> = one["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["create", "submit", "approve", "open"]);

        // A citizen without script comments on paragraph 3 (第二条); premoderated, so not yet shown.
        let page = format!("/canyu/consultations/{id}");
        let action = format!("/canyu/consultations/{id}/comments");
        let mut citizen = app.client();
        let bad = public_post(&mut citizen, &page, &action, &[("para", "3"), ("body", ""), ("name", "王建国")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("请填写您的意见") && bad.text.contains("value=\"王建国\""), "named, kept");
        let ok = public_post(&mut citizen, &page, &action, &[("para", "3"), ("body", "建议明确免费开放的例外情形。"), ("name", "王建国"), ("contact", "13912345678")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
        assert!(ok.location().contains("sent=pending"));
        // With script: the selected words and where they start in paragraph 4.
        let sel = public_post(&mut app.client(), &page, &action, &[("para", "4"), ("quote", "音量不得超过规定标准"), ("offset", "16"), ("body", "请写明分贝数。")]).await;
        assert_eq!(sel.status, StatusCode::SEE_OTHER, "{}", sel.text);
        let wrong = public_post(&mut app.client(), &page, &action, &[("para", "2"), ("quote", "音量不得超过"), ("body", "x")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "a quote from another paragraph");
        assert_eq!(public_consultation(&app, id).await["comments"].as_array().unwrap().len(), 0, "premoderated");
        // The moderator's queue holds both; publishing them shows them under their paragraphs.
        let list = c.api("GET", &format!("/api/v1/consultations/{id}/comments"), &ed, None).await.json();
        let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(list["items"][0]["contact"], "13912345678", "staff see the contact");
        for cid in &ids {
            let r = c.api("PUT", &format!("/api/v1/consultation-comments/{cid}"), &ed, Some(json!({ "decision": "visible" }))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        assert_eq!(c.api("PUT", &format!("/api/v1/consultation-comments/{}", ids[0]), &other, Some(json!({ "decision": "rejected" }))).await.status, StatusCode::FORBIDDEN);
        let pubd = public_consultation(&app, id).await;
        let placed: Vec<i64> = pubd["comments"].as_array().unwrap().iter().map(|x| x["paragraph"].as_i64().unwrap()).collect();
        assert_eq!(placed, [3, 4]);
        assert!(!pubd.to_string().contains("13912345678"), "no contact in public");
        assert_eq!(pubd["comments"][0]["name"], "王**");

        // The editor corrects the draft while open: a paragraph inserted above and another
        // reworded; both comments follow their passages.
        let edited = DRAFT.replace("第一章 总则\n", "第一章 总则\n本办法由市住房和城乡建设局负责解释。\n").replace("为加强城市公园管理", "为加强和规范城市公园管理");
        let mut upd = c.api("GET", &format!("/api/v1/consultations/{id}"), &ed, None).await.json()["consultation"].clone();
        upd["org"] = json!("BC-ZJJ");
        upd["draft"] = json!(edited);
        upd["opens_at"] = json!(platform::format_datetime(upd["opens_at"].as_i64()));
        upd["closes_at"] = json!(platform::format_datetime(upd["closes_at"].as_i64()));
        let r = c.api("PUT", &format!("/api/v1/consultations/{id}"), &ed, Some(upd)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let pubd = public_consultation(&app, id).await;
        let placed: Vec<i64> = pubd["comments"].as_array().unwrap().iter().map(|x| x["paragraph"].as_i64().unwrap()).collect();
        assert_eq!(placed, [4, 5], "comments moved with their paragraphs");
        let html = app.client().get(&page).await.text;
        assert!(html.contains("草案已于"), "the revision is stated");

        // Two readers flag the first comment: at the threshold it hides and waits for a moderator.
        for n in 0..2 {
            let mut reader = app.client();
            reader.ip = format!("10.1.1.{n}");
            let p = reader.get(&page).await;
            let r = reader.post_form_raw(&format!("/canyu/consultations/{id}/comments/{}/flag", ids[0]), &format!("_csrf={}", p.csrf().unwrap())).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
            if n == 0 {
                // A first-time visitor pressing twice is still one flag (the page set its token).
                reader.post_form_raw(&format!("/canyu/consultations/{id}/comments/{}/flag", ids[0]), &format!("_csrf={}", p.csrf().unwrap())).await;
                assert_eq!(public_consultation(&app, id).await["comments"].as_array().unwrap().len(), 2, "one browser, one flag");
            }
        }
        assert_eq!(public_consultation(&app, id).await["comments"].as_array().unwrap().len(), 1);
        let queue = app.signed_in("editor").await.get("/admin/participation/moderation").await;
        assert!(queue.text.contains("建议明确免费开放的例外情形") && queue.text.contains("被举报隐藏"), "{}", queue.text);

        // Closed early; decisions need reasons; the report waits for every opinion.
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/actions/close"), &ed, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/adoption"), &ed, Some(json!({ "comments": [ids[0]], "adoption": "not_adopted" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("reason"), "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/adoption"), &ed, Some(json!({ "comments": [ids[1]], "adoption": "adopted" }))).await;
        assert_eq!(r.json()["updated"], 1);
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/actions/publish_report"), &ed, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("1 条意见"), "{}", r.text);
        c.api("POST", &format!("/api/v1/consultations/{id}/adoption"), &ed, Some(json!({ "comments": [ids[0]], "adoption": "partial", "reason": "节假日等例外情形由公园管理规定另行明确" }))).await;
        // The report names the final policy by its link.
        let final_url = format!("/a/{final_doc}.html");
        assert!(!app.client().get(&final_url).await.text.contains("意见采纳情况"), "read (and cached) before");
        c.api("PUT", &format!("/api/v1/consultations/{id}/report"), &ed, Some(json!({ "intro": "共收到意见 2 条，均已研究处理。", "final_url": final_url }))).await;
        let r = c.api("POST", &format!("/api/v1/consultations/{id}/actions/publish_report"), &ed, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // The policy's own page now links back to how the opinions were taken up.
        let policy_page = app.client().get(&final_url).await.text;
        assert!(policy_page.contains("【意见采纳情况】") && policy_page.contains(&format!("href=\"/canyu/consultations/{id}\"")), "{policy_page}");
        let pubd = public_consultation(&app, id).await;
        assert_eq!(pubd["report"]["opinions"]["received"], 2);
        assert_eq!(pubd["report"]["adoption_rate"], 100.0);
        let html = app.client().get(&page).await.text;
        assert!(html.contains("意见采纳情况") && html.contains("节假日等例外情形由公园管理规定另行明确") && html.contains("查看正式发布的文件"));
        // The spreadsheet of every opinion, audited.
        let x = app.signed_in("editor").await.get(&format!("/admin/participation/consultations/{id}/opinions.xlsx")).await;
        assert_eq!(x.status, StatusCode::OK);
        assert!(x.bytes.starts_with(b"PK"));
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'participation.%'")).await.unwrap();
        assert!(audited >= 10, "{audited}");
        // The annual report's figures.
        let year = platform::parse_date(&format!("{}-01-01", platform::calendar::today().year())).unwrap();
        let figs = app.state.modules.figures(&app.state, platform::module::FigureQuery { from: year - 86_400 * 400, to: platform::db::now() + 1, ..Default::default() }).await;
        let f = |k: &str| figs.iter().find(|f| f.key == k).map(|f| f.value);
        assert_eq!(f("participation.opinions"), Some(2.0));
        assert_eq!(f("participation.results_published"), Some(1.0));
    };

    a_survey_takes_one_answer_per_browser_and_publishes_results_when_it_closes => |app: TestApp| async move {
        world(&app).await;
        let ed = app.token("editor").await;
        let mut c = app.client();
        let questions = json!([
            { "kind": "single", "title": "您是否常去公园？", "options": ["是", "否"], "required": true },
            { "kind": "multiple", "title": "您常在公园做什么？", "options": ["散步", "健身", "带孩子"], "required": true, "min": 1, "max": 2, "show_if": { "question": 1, "option": 1 } },
            { "kind": "scale", "title": "满意度", "max": 5, "required": true },
            { "kind": "text", "title": "建议" }
        ]);
        let bad = c.api("POST", "/api/v1/surveys", &ed, Some(json!({ "org": "BC-ZJJ", "title": "公园使用调查", "questions": [{ "kind": "single", "title": "只有一个选项", "options": ["是"] }], "opens_at": at(-1), "closes_at": at(10) }))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("至少要有两个选项"), "{}", bad.text);
        let r = c.api("POST", "/api/v1/surveys", &ed, Some(json!({ "org": "BC-ZJJ", "title": "公园使用调查", "questions": questions, "opens_at": at(-1), "closes_at": at(10), "per_address_daily": 20 }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        assert_eq!(app.client().get(&format!("/canyu/surveys/{id}")).await.status, StatusCode::NOT_FOUND, "a draft is not public");
        assert_eq!(c.api("POST", &format!("/api/v1/surveys/{id}/actions/publish"), &ed, None).await.status, StatusCode::OK);
        let page = format!("/canyu/surveys/{id}");
        let mut browser = app.client();
        // 是 without question 2's answer: named and kept.
        let r = public_post(&mut browser, &page, &page, &[("q1", "1"), ("q3", "4")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("此题为必答题") && r.text.contains(r#"value="4" checked"#), "{}", r.text);
        let r = public_post(&mut browser, &page, &page, &[("q1", "1"), ("q2", "1"), ("q2", "2"), ("q3", "4"), ("q4", "多设座椅")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // The same browser again: not counted twice.
        let r = public_post(&mut browser, &page, &page, &[("q1", "2"), ("q3", "1")]).await;
        assert!(r.location().contains("sent=again"), "{}", r.location());
        // Another browser answers 否; its answer to the hidden question 2 is dropped.
        let r = public_post(&mut app.client(), &page, &page, &[("q1", "2"), ("q2", "3"), ("q3", "2")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // Results stay hidden until the survey closes.
        assert_eq!(app.client().get(&format!("/api/v1/public/surveys/{id}/results")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.api("POST", &format!("/api/v1/surveys/{id}/actions/close"), &ed, None).await.status, StatusCode::OK);
        let res = app.client().get(&format!("/api/v1/public/surveys/{id}/results")).await.json();
        assert_eq!(res["responses"], 2);
        let counts = |q: usize| res["results"][q]["bars"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).collect::<Vec<_>>();
        assert_eq!(counts(0), [1, 1]);
        assert_eq!(counts(1), [1, 1, 0], "the hidden question's answer was not counted");
        assert_eq!(res["results"][2]["mean"], 3.0);
        let html = app.client().get(&page).await.text;
        assert!(html.contains("<svg class=\"chart\"") && html.contains("<caption>第 1 题结果"), "chart with its table");
        let x = app.signed_in("editor").await.get(&format!("/admin/participation/surveys/{id}/responses.xlsx")).await;
        assert!(x.bytes.starts_with(b"PK"));
    };

    an_interview_message_posted_on_one_node_reaches_a_viewer_on_another_within_a_second => |app: TestApp| async move {
        world(&app).await;
        let ed = app.token("editor").await;
        let mut c = app.client();
        let r = c.api("POST", "/api/v1/interviews", &ed, Some(json!({ "org": "BC-ZJJ", "title": "老旧小区改造在线访谈", "starts_at": at(0), "guests": "刘建民，市住建局局长" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let r = c.api("POST", &format!("/api/v1/interviews/{id}/actions/announce"), &ed, None).await; assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // A question collected before the event waits for the moderator.
        let page = format!("/canyu/interviews/{id}");
        let r = public_post(&mut app.client(), &page, &format!("{page}/questions"), &[("body", "加装电梯怎么申请？我的电话 13800001111"), ("name", "王丽")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let transcript = |app: &TestApp| {
            let mut cl = app.client();
            async move { cl.get(&format!("/api/v1/public/interviews/{id}/transcript")).await.json() }
        };
        assert_eq!(transcript(&app).await["messages"].as_array().unwrap().len(), 0);
        assert_eq!(c.api("POST", &format!("/api/v1/interviews/{id}/actions/start"), &ed, None).await.status, StatusCode::OK);
        let rev = transcript(&app).await["rev"].as_i64().unwrap();

        // Node B shares the database; a viewer connects there.
        let b = zhengwu::build(app.db.clone(), app.state.config.clone(), app.state.audit_key.clone()).await.unwrap();
        let res = b.router.clone().oneshot(Request::get(format!("/canyu/interviews/{id}/live?since={}", rev - 1)).header("x-forwarded-for", "10.2.2.2").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let mut body = res.into_body();
        let mut seen = String::new();
        let mut next = async |want: &str, seen: &mut String| -> Duration {
            let start = Instant::now();
            while !seen.contains(want) {
                let left = Duration::from_secs(1).saturating_sub(start.elapsed());
                match tokio::time::timeout(left, body.frame()).await {
                    Ok(Some(Ok(f))) => {
                        if let Ok(d) = f.into_data() {
                            seen.push_str(&String::from_utf8_lossy(&d));
                        }
                    }
                    other => panic!("{want} did not arrive on node B within 1 s ({:?}); got: {seen}", other.map(|o| o.is_some())),
                }
            }
            start.elapsed()
        };
        // The viewer first catches up from the database (the start notice, written before it
        // connected); from then on it waits on node B's hub.
        next("访谈开始", &mut seen).await;
        // Posted on node A (through the API): node B's viewer has it within a second.
        let r = c.api("POST", &format!("/api/v1/interviews/{id}/messages"), &ed, Some(json!({ "speaker": "host", "name": "小冰", "body": "各位网友好，访谈现在开始。" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let took = next("访谈现在开始", &mut seen).await;
        eprintln!("node A → node B: {took:?}");
        // The moderator approves the question (its personal data redacted for viewers) …
        let all = c.api("GET", &format!("/api/v1/interviews/{id}"), &ed, None).await.json();
        let q = all["messages"].as_array().unwrap().iter().find(|m| m["speaker"] == "public").unwrap()["id"].as_i64().unwrap();
        c.api("PUT", &format!("/api/v1/interview-messages/{q}"), &ed, Some(json!({ "decision": "approve" }))).await;
        next("加装电梯怎么申请", &mut seen).await;
        assert!(!seen.contains("13800001111") && seen.contains(r#""name":"王*""#), "{seen}");
        // … a guest answers it; an edit and a withdrawal reach the viewer too.
        c.api("POST", &format!("/api/v1/interviews/{id}/messages"), &ed, Some(json!({ "speaker": "guest", "name": "刘建民", "body": "向街道提出申请，市财政每部补贴二十万元。", "reply_to": q }))).await;
        next("每部补贴二十万元", &mut seen).await;
        let host_msg = all["messages"].as_array().unwrap().iter().find(|m| m["speaker"] == "notice").unwrap()["id"].as_i64().unwrap();
        c.api("PUT", &format!("/api/v1/interview-messages/{host_msg}"), &ed, Some(json!({ "decision": "edit", "body": "访谈正式开始" }))).await;
        next("访谈正式开始", &mut seen).await;
        let r = c.api("PUT", &format!("/api/v1/interview-messages/{host_msg}"), &ed, Some(json!({ "decision": "delete" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        next(r#""state":"gone""#, &mut seen).await;
        // A late viewer gets everything so far from the page; the transcript has it in order.
        let t = transcript(&app).await;
        let bodies: Vec<&str> = t["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
        assert_eq!(bodies.len(), 3, "{bodies:?}");
        assert!(bodies[0].contains("访谈现在开始") && bodies[1].contains("加装电梯") && bodies[2].contains("二十万元"));
        // After the event only follow-up answers to questions are posted.
        c.api("POST", &format!("/api/v1/interviews/{id}/actions/end"), &ed, None).await;
        let r = c.api("POST", &format!("/api/v1/interviews/{id}/messages"), &ed, Some(json!({ "speaker": "guest", "body": "补充一句" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = app.client().get(&page).await.text;
        assert!(html.contains("文字实录") && !html.contains("我要提问"));
        let year = platform::parse_date(&format!("{}-01-01", platform::calendar::today().year())).unwrap();
        let figs = app.state.modules.figures(&app.state, platform::module::FigureQuery { from: year - 86_400 * 400, to: platform::db::now() + 86_400, ..Default::default() }).await;
        let f = |k: &str| figs.iter().find(|f| f.key == k).map(|f| f.value);
        assert_eq!((f("participation.interviews"), f("participation.questions"), f("participation.answered")), (Some(1.0), Some(1.0), Some(1.0)));
        // The same figures through the API, for the supervision module and the annual report.
        app.user("leader", &[Role::Leader]).await;
        let lt = app.token("leader").await;
        let this_year = platform::calendar::today().year();
        let r = c.api("GET", &format!("/api/v1/figures?year={this_year}"), &lt, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let by_key = |k: &str| r.json()["figures"].as_array().unwrap().iter().find(|f| f["key"] == k).map(|f| f["value"].clone());
        assert_eq!(by_key("participation.questions"), Some(json!(1.0)));
        assert_eq!(c.api("GET", "/api/v1/figures", &ed, None).await.status, StatusCode::FORBIDDEN);
    };
}
