//! 政务值班, end to end on the real router and both databases, across three units: the duty office
//! fills the roster by rotation and overrides a day; units give their 零报告 (once a day, only for
//! themselves) and the rest are listed; the log; an event opened for a unit is reported 初报 →
//! 续报 → 终报 in order; a missed deadline alerts the day's 带班领导 by SMS exactly once; each
//! person's duties as an iCalendar feed.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

async fn world(app: &TestApp) -> Vec<i64> {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let mut ids = Vec::new();
    for (code, name, user) in [
        ("BC-KJJ", "冰城市科学技术局", "zb_kjj"),
        ("BC-MZJ", "冰城市民政局", "zb_mzj"),
        ("BC-DWQ", "冰城市道外区人民政府", "zb_dwq"),
    ] {
        let id = platform::accounts::create_org(&app.db, Some(gov), name, code, "bureau").await.unwrap();
        app.user_with_grants(user, &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: id }]).await;
        ids.push(id);
    }
    app.user("zongzhiban", &[Role::OfficeStaff]).await;
    ids
}

backend_tests! {
    the_roster_zero_reports_and_an_event_reported_in_order_with_one_escalation => |app: TestApp| async move {
        let units = world(&app).await;
        let (office, kjj, mzj, dwq) = (app.token("zongzhiban").await, app.token("zb_kjj").await, app.token("zb_mzj").await, app.token("zb_dwq").await);
        let mut c = app.client();
        let today = platform::calendar::date_text(platform::calendar::today());
        // The roster: three leaders in turn for a week; one day overridden.
        let r = c.api("POST", "/api/v1/office/duty/roster/rotation", &office, Some(json!({"role": "leader", "people": "刘建华 13904510001\n王志刚 13904510002 zongzhiban\n赵雪梅", "start": today, "days": 7}))).await;
        assert_eq!(r.json()["days"], 7, "{}", r.text);
        assert_eq!(c.api("POST", "/api/v1/office/duty/roster/rotation", &office, Some(json!({"role": "leader", "people": "王", "start": today, "days": 7}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c.api("POST", "/api/v1/office/duty/roster/rotation", &kjj, Some(json!({"role": "leader", "people": "张伟", "start": today, "days": 1}))).await.status, StatusCode::FORBIDDEN);
        let roster = c.api("GET", "/api/v1/office/duty/roster", &kjj, None).await.json();
        let names: Vec<&str> = roster["shifts"].as_array().unwrap().iter().map(|s| s["person"].as_str().unwrap()).collect();
        assert_eq!(names, ["刘建华", "王志刚", "赵雪梅", "刘建华", "王志刚", "赵雪梅", "刘建华"]);
        let tomorrow = platform::calendar::date_text(platform::calendar::today() + time::Duration::days(1));
        let r = c.api("PUT", "/api/v1/office/duty/shifts", &office, Some(json!({"day": tomorrow, "role": "leader", "person": "孙立军", "phone": "13904510004"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let roster = c.api("GET", "/api/v1/office/duty/roster", &office, None).await.json();
        assert_eq!(roster["shifts"][1]["person"], "孙立军", "the override replaced 王志刚");

        // 零报告: once a day, for one's own unit.
        assert_eq!(c.api("POST", "/api/v1/office/duty/zero-reports", &kjj, Some(json!({"unit": "BC-MZJ"}))).await.status, StatusCode::FORBIDDEN);
        for _ in 0..2 {
            assert_eq!(c.api("POST", "/api/v1/office/duty/zero-reports", &kjj, Some(json!({"unit": "BC-KJJ"}))).await.status, StatusCode::OK);
        }
        let day = c.api("GET", "/api/v1/office/duty", &office, None).await.json();
        let zero = day["zero_reports"].as_array().unwrap();
        assert_eq!(zero.len(), 3);
        assert!(zero.iter().any(|z| z["unit_id"] == units[0] && !z["reported_at"].is_null()));
        assert_eq!(zero.iter().filter(|z| z["reported_at"].is_null()).count(), 2, "民政局 and 道外区 have not");
        let own = c.api("GET", "/api/v1/office/duty", &mzj, None).await.json();
        assert_eq!(own["zero_reports"].as_array().unwrap().len(), 1, "a unit sees its own");

        // The log.
        let r = c.api("POST", "/api/v1/office/duty/log", &office, Some(json!({"kind": "call", "text": "09:12 市应急管理局来电：道外区冷库氨气轻微泄漏"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(c.api("POST", "/api/v1/office/duty/log", &kjj, Some(json!({"kind": "call", "text": "来电"}))).await.status, StatusCode::FORBIDDEN);

        // An event: 初报 first, then 续报, then 终报 closes it; only the unit reports.
        let occurred = platform::fmt_time(platform::db::now() - 3 * 3600);
        let r = c.api("POST", "/api/v1/office/duty/incidents", &office, Some(json!({"unit": "BC-DWQ", "title": "道外区冷库氨气泄漏", "level": "large", "occurred_at": occurred}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let url = format!("/api/v1/office/duty/incidents/{id}");
        assert_eq!(c.api("GET", &url, &kjj, None).await.status, StatusCode::NOT_FOUND, "another unit's event");
        let r = c.api("POST", &format!("{url}/reports"), &dwq, Some(json!({"stage": "followup", "text": "续报：处置进展顺利，已完成堵漏。"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("请先报送初报"));
        let one = c.api("GET", &url, &office, None).await.json();
        assert_eq!((one["next"]["stage"].as_str(), one["next"]["late"].as_bool()), (Some("initial"), Some(true)), "初报 was due an hour after");

        // The missed 初报 alerts today's 带班领导 once.
        assert_eq!(office::duty::escalate(&app.state).await.unwrap(), 1);
        assert_eq!(office::duty::escalate(&app.state).await.unwrap(), 0, "each deadline once");
        let log = app.sms_log_with("道外区冷库氨气泄漏").await;
        assert!(log.contains("初报已超时"), "{log}");
        let day = c.api("GET", "/api/v1/office/duty", &office, None).await.json();
        assert!(day["log"].as_array().unwrap().iter().any(|e| e["kind"] == "alarm" && e["text"].as_str().unwrap().contains("带班领导刘建华")));

        for (stage, text) in [("initial", "初报：今日凌晨冷库阀门老化发生氨气轻微泄漏，已疏散 40 人，无伤亡。"), ("followup", "续报：已完成堵漏，环境监测正常。"), ("final", "终报：事件处置完毕，已对同类设施排查整改。")] {
            let r = c.api("POST", &format!("{url}/reports"), &dwq, Some(json!({"stage": stage, "text": text}))).await;
            assert_eq!(r.status, StatusCode::OK, "{stage}: {}", r.text);
        }
        assert_eq!(c.api("GET", &url, &dwq, None).await.json()["incident"]["state"], "closed");
        let r = c.api("POST", &format!("{url}/reports"), &dwq, Some(json!({"stage": "followup", "text": "再续报一次内容内容"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "closed");
        assert_eq!(office::duty::escalate(&app.state).await.unwrap(), 0, "nothing due once closed");

        // Duties as a calendar feed: the office account leads on the second, fifth day.
        let ics = app.signed_in("zongzhiban").await.get("/admin/office/duty/my.ics").await;
        assert_eq!(ics.text.matches("BEGIN:VEVENT").count(), 1, "the override took one of its two days: {}", ics.text);
        assert!(ics.text.contains("SUMMARY:政务值班（带班领导）"));
    };

    the_duty_page_keeps_what_was_typed => |app: TestApp| async move {
        world(&app).await;
        let mut office = app.signed_in("zongzhiban").await;
        let r = office.post_form("/admin/office/duty/incidents", &[("unit", "BC-DWQ"), ("title", "道外区冷库氨气泄漏"), ("level", "large"), ("occurred_at", "明天")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("事发时间应写作") && r.text.contains("道外区冷库氨气泄漏"));
        let r = office.post_form("/admin/office/duty/log", &[("kind", "call"), ("text", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut clerk = app.signed_in("zb_mzj").await;
        let page = clerk.get("/admin/office/duty").await;
        assert!(page.text.contains("报告：今日无突发事件"), "the unit's 零报告 button");
        let r = clerk.post_form("/admin/office/duty/zero", &[("unit", "BC-MZJ")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(!clerk.get("/admin/office/duty").await.text.contains("报告：今日无突发事件"));
    };
}
