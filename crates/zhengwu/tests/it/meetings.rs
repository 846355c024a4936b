//! 会议通知, end to end on the real router and both databases, across three units: the office's
//! clerk drafts a notice (times out of order are refused, what was typed kept) and sends it — one
//! notice per invited unit in the same transaction; units cannot read a draft or another unit's
//! 回执; one unit returns its attendees, one asks leave with a reason, the third is reminded; the
//! sign-in opens two hours before the start (attendees and a stand-in, a double tap counted
//! once); the minutes; the calendar entry; a cancelled meeting takes no 回执.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

async fn world(app: &TestApp) -> Vec<i64> {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let mut ids = Vec::new();
    for (code, name, user) in [
        ("BC-BGT", "冰城市人民政府办公厅", "hw_bgt"),
        ("BC-KJJ", "冰城市科学技术局", "hw_kjj"),
        ("BC-MZJ", "冰城市民政局", "hw_mzj"),
        ("BC-SWJ", "冰城市水务局", "hw_swj"),
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
    ids
}

fn at(offset: i64) -> String {
    platform::fmt_time(platform::db::now() + offset)
}

fn notice(starts_in: i64) -> serde_json::Value {
    json!({
        "org": "BC-BGT", "title": "全市优化营商环境工作推进会", "place": "市政府第一会议室",
        "starts_at": at(starts_in), "ends_at": at(starts_in + 7200), "reply_by": at(starts_in - 1800),
        "agenda": "一、通报营商环境评价情况\n二、交流发言", "units": ["BC-KJJ", "BC-MZJ", "BC-SWJ"],
    })
}

backend_tests! {
    a_notice_goes_to_three_units_who_reply_sign_in_and_read_the_minutes => |app: TestApp| async move {
        let units = world(&app).await;
        let (bgt, kjj, mzj, swj) = (app.token("hw_bgt").await, app.token("hw_kjj").await, app.token("hw_mzj").await, app.token("hw_swj").await);
        let mut c = app.client();
        let mut bad = notice(86_400);
        bad["ends_at"] = json!(at(3600));
        bad["reply_by"] = json!(at(2 * 86_400));
        let r = c.api("POST", "/api/v1/office/meetings", &bgt, Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("结束时间应晚于开始时间") && r.text.contains("回执截止时间应早于会议开始时间"), "{}", r.text);
        assert_eq!(c.api("POST", "/api/v1/office/meetings", &kjj, Some(notice(86_400))).await.status, StatusCode::FORBIDDEN, "for another unit");
        // Starts in an hour: the sign-in is open, replies still possible.
        let id = c.api("POST", "/api/v1/office/meetings", &bgt, Some(notice(3600))).await.json()["id"].as_i64().unwrap();
        let url = format!("/api/v1/office/meetings/{id}");
        assert_eq!(c.api("GET", &url, &kjj, None).await.status, StatusCode::NOT_FOUND, "a draft is the organiser's");
        let before = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '【会议通知】%'")).await.unwrap();
        let r = c.api("POST", &format!("{url}/actions/send"), &bgt, None).await;
        assert_eq!(r.json()["state"], "sent", "{}", r.text);
        let after = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '【会议通知】%'")).await.unwrap();
        assert_eq!(after - before, 3, "one notice per invited unit, with the sending");
        assert_eq!(c.api("POST", &format!("{url}/actions/send"), &bgt, None).await.status, StatusCode::CONFLICT, "sent once");

        // 回执: attendees, a leave with its reason; a unit reads only its own.
        let r = c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"attending": true, "attendees": ""}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"attending": true, "attendees": "张伟 局长\n李娜 办公室主任"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.api("POST", &format!("{url}/reply"), &mzj, Some(json!({"attending": false}))).await.status, StatusCode::UNPROCESSABLE_ENTITY, "a leave needs its reason");
        c.api("POST", &format!("{url}/reply"), &mzj, Some(json!({"attending": false, "reason": "同一时间参加省民政厅会议"}))).await;
        let mine = c.api("GET", &url, &kjj, None).await.json();
        assert_eq!(mine["units"].as_array().unwrap().len(), 1, "its own 回执 only");
        assert!(mine["ics"].as_str().unwrap().contains("SUMMARY:全市优化营商环境工作推进会"));
        assert_eq!(c.api("POST", &format!("{url}/remind"), &kjj, None).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", &format!("{url}/remind"), &bgt, None).await;
        assert_eq!(r.json()["reminded"], 1, "only the water bureau has not answered");

        // The sign-in: an attendee, a double tap, a stand-in; a unit not invited is refused.
        for name in ["张伟", "张伟"] {
            let r = c.api("POST", &format!("{url}/check-ins"), &bgt, Some(json!({"unit": "BC-KJJ", "name": name}))).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        c.api("POST", &format!("{url}/check-ins"), &bgt, Some(json!({"unit": "BC-SWJ", "name": "周强"}))).await;
        assert_eq!(c.api("POST", &format!("{url}/check-ins"), &bgt, Some(json!({"unit": "BC-GOV", "name": "王五"}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c.api("POST", &format!("{url}/check-ins"), &kjj, Some(json!({"unit": "BC-KJJ", "name": "李娜"}))).await.status, StatusCode::FORBIDDEN);
        let full = c.api("GET", &url, &bgt, None).await.json();
        assert_eq!(full["check_ins"].as_array().unwrap().len(), 2);
        let states: Vec<&str> = full["units"].as_array().unwrap().iter().map(|u| u["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["attending", "absent", "pending"]);
        assert_eq!(full["units"][2]["reminders"], 1);
        assert_eq!(full["units"][0]["unit_id"], units[1]);
        let sheet = app.signed_in("hw_bgt").await.get(&format!("/admin/office/meetings/{id}/signin")).await;
        assert!(sheet.text.contains("李娜") && sheet.text.contains("办公室主任") && sheet.text.contains("（替会）"), "{}", sheet.text);

        // The minutes only once it has started.
        let r = c.api("PUT", &format!("{url}/minutes"), &bgt, Some(json!({"minutes": "会议要求各单位于月底前完成整改任务。"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "not started yet");
        app.db.execute(platform::db::sql("UPDATE office_meeting SET starts_at = starts_at - 7200 WHERE id = $1").bind(id)).await.unwrap();
        let r = c.api("PUT", &format!("{url}/minutes"), &bgt, Some(json!({"minutes": "会议要求各单位于月底前完成整改任务。"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.api("POST", &format!("{url}/reply"), &swj, Some(json!({"attending": true, "attendees": "周强 副局长"}))).await.status, StatusCode::CONFLICT, "started");
        let ics = app.signed_in("hw_kjj").await.get(&format!("/admin/office/meetings/{id}/meeting.ics")).await;
        assert_eq!(ics.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("text/calendar; charset=utf-8"));
        assert!(ics.text.contains("LOCATION:市政府第一会议室"));
    };

    a_cancelled_meeting_takes_no_reply_and_the_form_keeps_what_was_typed => |app: TestApp| async move {
        world(&app).await;
        let (bgt, kjj) = (app.token("hw_bgt").await, app.token("hw_kjj").await);
        let mut c = app.client();
        let id = c.api("POST", "/api/v1/office/meetings", &bgt, Some(notice(3 * 86_400))).await.json()["id"].as_i64().unwrap();
        c.api("POST", &format!("/api/v1/office/meetings/{id}/actions/send"), &bgt, None).await;
        let r = c.api("POST", &format!("/api/v1/office/meetings/{id}/check-ins"), &bgt, Some(json!({"unit": "BC-KJJ", "name": "张伟"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "the sign-in is not open three days ahead");
        assert_eq!(c.api("POST", &format!("/api/v1/office/meetings/{id}/actions/cancel"), &bgt, None).await.json()["state"], "cancelled");
        let r = c.api("POST", &format!("/api/v1/office/meetings/{id}/reply"), &kjj, Some(json!({"attending": true, "attendees": "张伟 局长"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("已取消"));
        let mut clerk = app.signed_in("hw_bgt").await;
        let r = clerk
            .post_form("/admin/office/meetings/new", &[("org", "BC-BGT"), ("title", "防汛工作部署会"), ("place", "市政府第二会议室"), ("starts_at", "2020-01-01T09:00"), ("ends_at", "2020-01-01T11:00"), ("reply_by", "2019-12-31T17:00"), ("units", "BC-SWJ"), ("units", "BC-MZJ"), ("agenda", "一、部署防汛工作")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("开始时间应晚于现在") && r.text.contains("防汛工作部署会") && r.text.contains(r#"<option value="BC-SWJ" selected>"#), "{}", r.text);
    };

    paperless_materials_are_read_only_by_the_organiser_and_invited_units => |app: TestApp| async move {
        world(&app).await;
        let (bgt, kjj, mzj) = (app.token("hw_bgt").await, app.token("hw_kjj").await, app.token("hw_mzj").await);
        let mut c = app.client();
        let mut only_kjj = notice(86_400);
        only_kjj["units"] = json!(["BC-KJJ"]);
        let id = c.api("POST", "/api/v1/office/meetings", &bgt, Some(only_kjj)).await.json()["id"].as_i64().unwrap();
        let url = format!("/api/v1/office/meetings/{id}");

        // The organiser's clerk attaches the agenda from the back office; a file that is not what
        // its name says is refused.
        let pdf = b"%PDF-1.4\n% \xe4\xbc\x9a\xe8\xae\xae\xe8\xae\xae\xe7\xa8\x8b\n%%EOF\n".to_vec();
        let mut web = app.signed_in("hw_bgt").await;
        let csrf = web.csrf().await;
        let form = format!("/admin/office/meetings/{id}/materials");
        let r = web.post_multipart(&form, &[("_csrf", &csrf)], &[("material", "会议议程.pdf", b"<html>not a pdf</html>")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("材料「会议议程.pdf」的内容与扩展名不符"), "{}", r.text);
        let r = web.post_multipart(&form, &[("_csrf", &csrf)], &[("material", "会议议程.pdf", &pdf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // And another through the API, as the request body.
        let raw = |token: &str, name: &str, bytes: &[u8]| {
            axum::http::Request::post(format!("{url}/materials?name={}", common::urlenc(name)))
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
                .header(axum::http::header::CONTENT_TYPE, "application/octet-stream")
                .body(axum::body::Body::from(bytes.to_vec()))
                .unwrap()
        };
        let r = app.client().send(raw(&bgt, "营商环境评价情况.pdf", &pdf)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let second = r.json()["id"].as_i64().unwrap();
        let mats = c.api("GET", &url, &bgt, None).await.json()["materials"].clone();
        assert_eq!(mats.as_array().unwrap().len(), 2, "{mats}");
        let first = mats[0]["id"].as_i64().unwrap();
        assert_eq!(mats[0]["name"], "会议议程.pdf");
        let download = |mid: i64| format!("/admin/office/meetings/{id}/materials/{mid}");

        // Before the notice is sent, the invited unit sees nothing; after, it reads and downloads.
        let mut kjj_web = app.signed_in("hw_kjj").await;
        assert_eq!(kjj_web.get(&download(first)).await.status, StatusCode::NOT_FOUND);
        c.api("POST", &format!("{url}/actions/send"), &bgt, None).await;
        let page = kjj_web.get(&format!("/admin/office/meetings/{id}")).await;
        assert!(page.text.contains("会议议程.pdf") && !page.text.contains("materials/{first}/delete"), "{}", page.text);
        let file = kjj_web.get(&download(first)).await;
        assert_eq!((file.status, file.bytes.clone()), (StatusCode::OK, pdf.clone()));
        assert!(file.headers["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"), "{:?}", file.headers);
        // An invited unit does not attach or remove; a unit not invited does not even see them.
        assert_eq!(app.client().send(raw(&kjj, "自带材料.pdf", &pdf)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("DELETE", &format!("{url}/materials/{first}"), &kjj, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.client().send(raw(&mzj, "自带材料.pdf", &pdf)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.signed_in("hw_mzj").await.get(&download(first)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(kjj_web.get(&format!("/admin/office/meetings/{id}/materials/{second}0")).await.status, StatusCode::NOT_FOUND);

        // The organiser removes one; it is gone for everyone.
        let r = c.api("DELETE", &format!("{url}/materials/{second}"), &bgt, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(kjj_web.get(&download(second)).await.status, StatusCode::NOT_FOUND);
        let audit = |action: &'static str| app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action));
        assert_eq!((audit("meeting.upload").await.unwrap(), audit("meeting.delete").await.unwrap(), audit("meeting.download").await.unwrap()), (2, 1, 1));
    };
}
