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

    a_swap_is_asked_by_the_person_on_duty_and_approved_by_the_duty_office => |app: TestApp| async move {
        world(&app).await;
        let (office, kjj, mzj) = (app.token("zongzhiban").await, app.token("zb_kjj").await, app.token("zb_mzj").await);
        let mut c = app.client();
        let day = |n: i64| platform::calendar::date_text(platform::calendar::today() + time::Duration::days(n));
        let r = c.api("POST", "/api/v1/office/duty/roster/rotation", &office, Some(json!({"role": "officer", "people": "张伟 13904510011 zb_kjj\n李娜 13904510012 zb_mzj", "start": day(0), "days": 4}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let people = || {
            let (mut cl, office) = (app.client(), office.clone());
            async move {
                let roster = cl.api("GET", "/api/v1/office/duty/roster", &office, None).await.json();
                roster["shifts"].as_array().unwrap().iter().map(|s| s["person"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(people().await, ["张伟", "李娜", "张伟", "李娜"]);

        // 张伟 asks to trade today for tomorrow; what is wrong is named.
        let ask = |d: &str, with: &str, reason: &str| json!({"role": "officer", "day": d, "with_day": with, "reason": reason});
        let r = c.api("POST", "/api/v1/office/duty/swaps", &kjj, Some(ask(&day(-1), &day(1), "孩子生病需要陪护"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("已经过去的值班不能再调换"), "{}", r.text);
        let r = c.api("POST", "/api/v1/office/duty/swaps", &kjj, Some(ask(&day(0), &day(2), "孩子生病需要陪护"))).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.text.contains("也是张伟值班"), "{}", r.text);
        assert_eq!(c.api("POST", "/api/v1/office/duty/swaps", &mzj, Some(ask(&day(0), &day(1), "临时有事"))).await.status, StatusCode::FORBIDDEN, "not one's own day");
        let r = c.api("POST", "/api/v1/office/duty/swaps", &kjj, Some(ask(&day(0), &day(1), "孩子生病需要陪护"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let first = r.json()["id"].as_i64().unwrap();
        assert_eq!(c.api("POST", "/api/v1/office/duty/swaps", &kjj, Some(ask(&day(0), &day(3), "孩子生病需要陪护"))).await.status, StatusCode::CONFLICT, "one pending request per day");

        // Only the duty office decides; approval trades the two days and texts both.
        assert_eq!(c.api("POST", &format!("/api/v1/office/duty/swaps/{first}/approve"), &mzj, Some(json!({}))).await.status, StatusCode::FORBIDDEN);
        let sms = || app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '【政务值班】调班已同意%' OR body LIKE '【政务值班】调班已同意%'"));
        let before = sms().await.unwrap();
        let r = c.api("POST", &format!("/api/v1/office/duty/swaps/{first}/approve"), &office, Some(json!({"note": "同意"}))).await;
        assert_eq!(r.json()["swap"]["state"], "approved", "{}", r.text);
        assert_eq!(people().await, ["李娜", "张伟", "张伟", "李娜"]);
        assert_eq!(sms().await.unwrap() - before, 2, "both told, through the outbox");
        assert_eq!(c.api("POST", &format!("/api/v1/office/duty/swaps/{first}/reject"), &office, Some(json!({"note": "不同意"}))).await.status, StatusCode::CONFLICT, "decided once");
        let mine = app.db.fetch_all::<platform::db::Scalar<String>>(platform::db::sql("SELECT s.day FROM office_duty_shift s JOIN app_user u ON u.id = s.user_id WHERE u.username = 'zb_kjj' ORDER BY s.day")).await.unwrap();
        assert_eq!(mine.into_iter().map(|d| d.0).collect::<Vec<_>>(), [day(1), day(2)], "张伟's account follows the swap (his calendar feed reads it)");

        // A request the roster has since overtaken is refused; a refusal needs its reason.
        let r = c.api("POST", "/api/v1/office/duty/swaps", &mzj, Some(ask(&day(0), &day(2), "参加培训"))).await;
        let stale = r.json()["id"].as_i64().unwrap();
        c.api("PUT", "/api/v1/office/duty/shifts", &office, Some(json!({"day": day(2), "role": "officer", "person": "孙立军", "phone": "13904510004"}))).await;
        let r = c.api("POST", &format!("/api/v1/office/duty/swaps/{stale}/approve"), &office, Some(json!({}))).await;
        assert!(r.status == StatusCode::CONFLICT && r.text.contains("已失效"), "{}", r.text);
        assert_eq!(c.api("POST", &format!("/api/v1/office/duty/swaps/{stale}/reject"), &office, Some(json!({}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.api("POST", &format!("/api/v1/office/duty/swaps/{stale}/reject"), &office, Some(json!({"note": "该日已另行安排"}))).await;
        assert_eq!(r.json()["swap"]["state"], "rejected", "{}", r.text);

        // The roster page: the person's form and list; the office's buttons.
        let mut web = app.signed_in("zb_mzj").await;
        let page = web.get("/admin/office/duty/roster").await;
        assert!(page.text.contains("调班申请") && page.text.contains("该日已另行安排") && !page.text.contains("value=\"approve\""), "{}", page.text);
        let csrf = web.csrf().await;
        let r = web.post_form("/admin/office/duty/roster/swaps", &[("_csrf", &csrf), ("role", "officer"), ("day", &day(0)), ("with_day", &day(3)), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请写明调班理由") && r.text.contains(&format!("value=\"{}\"", day(3))), "typed days stay: {}", r.text);
        let r = web.post_form("/admin/office/duty/roster/swaps", &[("_csrf", &csrf), ("role", "officer"), ("day", &day(0)), ("with_day", &day(1)), ("reason", "家中有事")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let mut desk = app.signed_in("zongzhiban").await;
        assert!(desk.get("/admin/office/duty/roster").await.text.contains("value=\"approve\""));
        let audits = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'duty.swap_%'")).await.unwrap();
        assert_eq!(audits, 5, "three requests and two decisions");
    };
}
