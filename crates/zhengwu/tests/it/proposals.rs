//! 建议提案办理, end to end on the real router and both databases, across three units: the office
//! registers a deputy's suggestion (a repeated number is refused) and 交办 it; the wrong unit
//! returns it within 5 working days (and cannot after); 交办 again with a 会办 unit, whose opinion
//! reaches the 主办 unit; a reply without a result code is refused; the unit leader sends one back
//! and approves the next, which mails the deputy; the deputy rates 不满意 (reopened once), the office
//! 督办, the second 不满意 closes it; the reply is published on the portal and withdrawn; units and
//! deputies the item does not concern cannot read it; statistics per 主办 unit; the back-office
//! forms keep what was typed when refused.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

/// The city and three bureaus, a clerk for each, the science bureau's leader, the office, and
/// two deputies.
async fn world(app: &TestApp) -> Vec<i64> {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let mut ids = Vec::new();
    for (code, name, user) in [
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
    app.user_with_grants("leader_kjj", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: ids[0] }]).await;
    app.user("ducha", &[Role::OfficeStaff]).await;
    app.user_with_email(
        "daibiao",
        "daibiao@bc.invalid",
        &[Grant { role: Role::Deputy, scope: ScopeKind::Global, scope_id: 0 }],
    )
    .await;
    app.user("daibiao2", &[Role::Deputy]).await;
    ids
}

fn suggestion(number: &str) -> serde_json::Value {
    json!({
        "kind": "suggestion", "session": "冰城市十六届人大五次会议", "number": number, "member_name": "王建国等 3 名代表",
        "member_account": "daibiao", "title": "关于设立中小企业科技创新券的建议", "category": "科技创新",
        "content": "建议设立科技创新券，支持中小企业购买检验检测和研发服务。",
    })
}

const REPLY_A: &str = "经研究，我局已会同市财政局制定科技创新券管理办法，今年安排资金两千万元，首批支持企业三百家。";
const REPLY_B: &str = "经进一步研究，创新券将扩大到技术转移服务，实施细则已列入明年一季度工作计划，届时向您专题通报。";

/// Mail queued with this subject (recipients are sealed at rest, so the subject is what a test
/// can read).
async fn outbox_with(app: &TestApp, subject: &str) -> i64 {
    app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject = $1").bind(subject)).await.unwrap()
}

backend_tests! {
    a_suggestion_goes_from_registration_to_a_closed_rating_across_three_units => |app: TestApp| async move {
        let units = world(&app).await;
        let (office, kjj, mzj, swj) =
            (app.token("ducha").await, app.token("clerk_kjj").await, app.token("clerk_mzj").await, app.token("clerk_swj").await);
        let (leader, deputy, other) = (app.token("leader_kjj").await, app.token("daibiao").await, app.token("daibiao2").await);
        let mut c = app.client();
        // Only the office registers; a number is used once per session.
        assert_eq!(c.api("POST", "/api/v1/office/proposals", &kjj, Some(suggestion("第 0001 号"))).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", "/api/v1/office/proposals", &office, Some(suggestion("第 0001 号"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_i64().unwrap();
        let r = c.api("POST", "/api/v1/office/proposals", &office, Some(suggestion("第 0001 号"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("第 0001 号"), "{}", r.text);
        let url = format!("/api/v1/office/proposals/{id}");

        // 交办 to the water bureau by mistake, with the civil affairs bureau to join.
        let r = c.api("POST", &format!("{url}/assign"), &office, Some(json!({"lead": "BC-SWJ", "co": ["BC-MZJ"], "complex": true}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a complex item needs its reason");
        assert!(r.text.contains("理由"));
        let before = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap();
        let r = c.api("POST", &format!("{url}/assign"), &office, Some(json!({"lead": "BC-SWJ", "co": ["BC-MZJ"]}))).await;
        assert_eq!(r.json()["state"], "assigned", "{}", r.text);
        let after = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap();
        assert_eq!(after - before, 2, "the 主办 and the 会办 unit are told in the same transaction");
        let item = c.api("GET", &url, &swj, None).await.json();
        let due = item["item"]["due_on"].as_str().unwrap().to_owned();
        let today = platform::calendar::today();
        assert_eq!(due, platform::calendar::date_text(platform::calendar::add_months(today, 3)), "three months from 交办");
        assert_eq!(c.api("GET", &url, &kjj, None).await.status, StatusCode::NOT_FOUND, "not the science bureau's item yet");
        // The water bureau returns it, with a reason.
        let r = c.api("POST", &format!("{url}/return"), &swj, Some(json!({"reason": "短"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.api("POST", &format!("{url}/return"), &mzj, Some(json!({"reason": "不属本单位职责，应由科技局办理"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a 会办 unit cannot return it: {}", r.text);
        let r = c.api("POST", &format!("{url}/return"), &swj, Some(json!({"reason": "不属本单位职责，应由市科技局办理"}))).await;
        assert_eq!(r.json()["state"], "returned", "{}", r.text);

        // 交办 again: the science bureau leads, civil affairs joins.
        let r = c.api("POST", &format!("{url}/assign"), &office, Some(json!({"lead": "BC-KJJ", "co": ["BC-MZJ", "BC-KJJ"]}))).await;
        assert_eq!(r.json()["state"], "assigned", "{}", r.text);
        assert_eq!(c.api("GET", &url, &swj, None).await.status, StatusCode::NOT_FOUND, "the returning unit no longer sees it");
        let item = c.api("GET", &url, &kjj, None).await.json();
        assert_eq!(item["co_units"].as_array().unwrap().len(), 1, "the lead is not its own 会办 unit");
        // The 会办 opinion reaches the lead; the lead cannot write one.
        assert_eq!(c.api("POST", &format!("{url}/opinion"), &kjj, Some(json!({"text": "本局意见如下"}))).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", &format!("{url}/opinion"), &mzj, Some(json!({"text": "民政局同意将困难企业纳入支持范围，并做好政策衔接。"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let item = c.api("GET", &url, &kjj, None).await.json();
        assert!(item["co_units"][0]["opinion"].as_str().unwrap().contains("民政局同意"));
        assert_eq!(item["co_units"][0]["unit_id"], units[1]);

        // The reply: a result code is required; the leader sends the first back.
        let r = c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"result_code": "E", "reply": "已办理"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("办理结果类别") && r.text.contains("答复内容过短"), "{}", r.text);
        let r = c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"result_code": "A", "reply": REPLY_A, "public": true}))).await;
        assert_eq!(r.json()["state"], "reviewing", "{}", r.text);
        let seen = c.api("GET", &url, &deputy, None).await.json();
        assert_eq!(seen["item"]["reply"], "", "the deputy does not read a reply before the leader approves it");
        assert_eq!(c.api("POST", &format!("{url}/rate"), &deputy, Some(json!({"rating": "satisfied"}))).await.status, StatusCode::CONFLICT);
        assert_eq!(c.api("POST", &format!("{url}/review/approve"), &kjj, None).await.status, StatusCode::FORBIDDEN, "a clerk does not approve");
        let r = c.api("POST", &format!("{url}/review/send_back"), &leader, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "sending back needs a comment");
        let r = c.api("POST", &format!("{url}/review/send_back"), &leader, Some(json!({"comment": "请补充资金安排"}))).await;
        assert_eq!(r.json()["state"], "assigned", "{}", r.text);
        c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"result_code": "A", "reply": REPLY_A, "public": true}))).await;
        let mails = outbox_with(&app, "【答复】关于设立中小企业科技创新券的建议").await;
        let r = c.api("POST", &format!("{url}/review/approve"), &leader, None).await;
        assert_eq!(r.json()["state"], "replied", "{}", r.text);
        assert_eq!(outbox_with(&app, "【答复】关于设立中小企业科技创新券的建议").await, mails + 1, "the deputy is told by mail");

        // Another deputy cannot read or rate it; its deputy rates 不满意 and it reopens once.
        assert_eq!(c.api("GET", &url, &other, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.api("POST", &format!("{url}/rate"), &other, Some(json!({"rating": "satisfied"}))).await.status, StatusCode::NOT_FOUND);
        let r = c.api("POST", &format!("{url}/rate"), &deputy, Some(json!({"rating": "unsatisfied"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "不满意 needs a reason");
        let r = c.api("POST", &format!("{url}/rate"), &deputy, Some(json!({"rating": "unsatisfied", "comment": "没有明确的完成时限"}))).await;
        assert_eq!(r.json()["state"], "reopened", "{}", r.text);
        let r = c.api("POST", &format!("{url}/urge"), &office, Some(json!({"comment": "请于本月底前重新答复"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.api("POST", &format!("{url}/urge"), &kjj, None).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"result_code": "B", "reply": REPLY_B, "public": true}))).await;
        assert_eq!(r.json()["state"], "reviewing", "{}", r.text);
        let r = c.api("POST", &format!("{url}/review/send_back"), &leader, Some(json!({"comment": "再补充"}))).await;
        assert_eq!(r.json()["state"], "reopened", "sent back in the second round stays reopened");
        c.api("POST", &format!("{url}/reply"), &kjj, Some(json!({"result_code": "B", "reply": REPLY_B, "public": true}))).await;
        c.api("POST", &format!("{url}/review/approve"), &leader, None).await;
        let r = c.api("POST", &format!("{url}/rate"), &deputy, Some(json!({"rating": "unsatisfied", "comment": "仍不满意，时限太长"}))).await;
        assert_eq!(r.json()["state"], "closed", "a second 不满意 closes it: {}", r.text);
        assert_eq!(c.api("POST", &format!("{url}/rate"), &deputy, Some(json!({"rating": "satisfied"}))).await.status, StatusCode::CONFLICT);

        // Published on the portal, without the rating; withdrawn again.
        let public = format!("/jianyi/{id}");
        assert_eq!(c.get(&public).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.api("POST", &format!("{url}/publication"), &office, None).await.status, StatusCode::OK);
        let page = c.get(&public).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("关于设立中小企业科技创新券的建议") && page.text.contains("实施细则已列入明年一季度"), "{}", page.text);
        assert!(!page.text.contains("时限太长") && !page.text.contains("不满意"), "the rating stays inside");
        assert!(c.get("/jianyi/?kind=suggestion").await.text.contains(&public));
        assert_eq!(c.api("DELETE", &format!("{url}/publication"), &office, None).await.status, StatusCode::OK);
        assert_eq!(c.get(&public).await.status, StatusCode::NOT_FOUND);

        // The history, the lists and the statistics.
        let item = c.api("GET", &url, &office, None).await.json();
        let actions: Vec<&str> = item["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["create", "assign", "return", "assign", "opinion", "reply", "send_back", "reply", "approve", "rate", "urge", "reply", "send_back", "reply", "approve", "rate", "publish", "unpublish"]
        );
        assert_eq!(item["item"]["reopened"], 1);
        assert_eq!(item["item"]["urged"], 1);
        let ids = |v: serde_json::Value| v["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect::<Vec<_>>();
        assert_eq!(ids(c.api("GET", "/api/v1/office/proposals", &mzj, None).await.json()), [id], "the 会办 unit lists it");
        assert!(ids(c.api("GET", "/api/v1/office/proposals", &swj, None).await.json()).is_empty());
        assert_eq!(ids(c.api("GET", "/api/v1/office/proposals", &deputy, None).await.json()), [id]);
        assert_eq!(ids(c.api("GET", &format!("/api/v1/office/proposals?unit={}", units[0]), &office, None).await.json()), [id]);
        assert!(ids(c.api("GET", &format!("/api/v1/office/proposals?unit={}", units[2]), &office, None).await.json()).is_empty());
        assert!(ids(c.api("GET", "/api/v1/office/proposals", &other, None).await.json()).is_empty());
        let stats = c.api("GET", "/api/v1/office/proposals/stats", &office, None).await.json();
        let unit = &stats["units"][0];
        assert_eq!(unit["unit_id"], units[0]);
        assert_eq!(unit["count"], 1);
        assert_eq!(unit["on_time_rate"], 100.0);
        assert_eq!(unit["satisfaction_rate"], 0.0);
        assert_eq!(unit["code_shares"], json!([0.0, 100.0, 0.0, 0.0]));
        assert_eq!(c.api("GET", "/api/v1/office/proposals/stats", &kjj, None).await.status, StatusCode::FORBIDDEN);
        // 部门考核 reads the same figures through the provider interface.
        let figures = app
            .state
            .modules
            .figures(&app.state, platform::module::FigureQuery { from: 0, to: i64::MAX, org_id: Some(units[0]), site_id: None })
            .await;
        let get = |k: &str| figures.iter().find(|f| f.key == k).map(|f| f.value);
        assert_eq!((get("office.proposal_on_time_rate"), get("office.proposal_satisfaction_rate")), (Some(100.0), Some(0.0)));
        let other = app
            .state
            .modules
            .figures(&app.state, platform::module::FigureQuery { from: 0, to: i64::MAX, org_id: Some(units[2]), site_id: None })
            .await;
        assert!(!other.iter().any(|f| f.key == "office.proposal_on_time_rate"), "a unit without items has no rate");
    };

    a_unit_returns_an_item_only_within_five_working_days => |app: TestApp| async move {
        world(&app).await;
        let (office, swj) = (app.token("ducha").await, app.token("clerk_swj").await);
        let mut c = app.client();
        let id = c.api("POST", "/api/v1/office/proposals", &office, Some(suggestion("第 0002 号"))).await.json()["id"].as_i64().unwrap();
        c.api("POST", &format!("/api/v1/office/proposals/{id}/assign"), &office, Some(json!({"lead": "BC-SWJ"}))).await;
        app.db
            .execute(platform::db::sql("UPDATE office_proposal SET return_by = '2020-01-10' WHERE id = $1").bind(id))
            .await
            .unwrap();
        let r = c.api("POST", &format!("/api/v1/office/proposals/{id}/return"), &swj, Some(json!({"reason": "不属本单位职责，应由市科技局办理"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("已超过退回期限（2020-01-10）"), "{}", r.text);
        // Published only when the unit agreed and the reply is given.
        let r = c.api("POST", &format!("/api/v1/office/proposals/{id}/publication"), &office, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    };

    the_back_office_forms_keep_what_was_typed => |app: TestApp| async move {
        world(&app).await;
        let mut office = app.signed_in("ducha").await;
        let r = office
            .post_form("/admin/office/proposals/new", &[("kind", "proposal"), ("session", "冰城市政协十四届五次会议"), ("number", "第 0009 号"), ("member_name", "李秀兰委员"), ("title", ""), ("content", "建议增设夜间公交线路。")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请填写标题") && r.text.contains("李秀兰委员") && r.text.contains("建议增设夜间公交线路。"), "{}", r.text);
        let r = office
            .post_form("/admin/office/proposals/new", &[("kind", "proposal"), ("session", "冰城市政协十四届五次会议"), ("number", "第 0009 号"), ("member_name", "李秀兰委员"), ("title", "关于完善夜间公交线网的提案"), ("content", "建议增设夜间公交线路。")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let path = r.location_path();
        let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
        // 交办 with two 会办 units chosen in the multiple select; a missing lead keeps the choice.
        let r = office.post_form(&format!("/admin/office/proposals/{id}/assign"), &[("lead", ""), ("co", "BC-MZJ"), ("co", "BC-SWJ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请选择主办单位"));
        assert!(r.text.contains(r#"<option value="BC-SWJ" selected>"#), "the chosen 会办 units stay chosen");
        let r = office.post_form(&format!("/admin/office/proposals/{id}/assign"), &[("lead", "BC-KJJ"), ("co", "BC-MZJ"), ("co", "BC-SWJ")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = office.get(&format!("/admin/office/proposals/{id}")).await;
        assert!(page.text.contains("冰城市民政局") && page.text.contains("冰城市水务局") && page.text.contains("办理中"));
        // The clerk's reply form keeps the text when the code is missing.
        let mut clerk = app.signed_in("clerk_kjj").await;
        let r = clerk.post_form(&format!("/admin/office/proposals/{id}/reply"), &[("reply", REPLY_A)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请选择办理结果类别") && r.text.contains("今年安排资金两千万元"));
        let list = clerk.get("/admin/office/proposals").await;
        assert!(list.text.contains("关于完善夜间公交线网的提案"), "the lead unit's list");
        assert!(clerk.get("/admin").await.text.contains("建议提案待答复"), "the workbench counts it");
    };

    a_sessions_list_is_imported_from_a_spreadsheet_and_a_rerun_skips_what_is_there => |app: TestApp| async move {
        world(&app).await;
        // The list as the 人大 office hands it over: its own headings, one row without 领衔代表,
        // a blank row.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let rows: [[&str; 6]; 5] = [
            ["序号", "建议号", "领衔代表", "案由", "建议内容", "类别"],
            ["1", "0101", "王建华", "关于增设松北至群力公交线路的建议", "松北新区居民到群力上班需换乘两次，建议开通直达线路。", "交通出行"],
            ["2", "0102", "", "关于加快老旧小区加装电梯的建议", "建议简化审批，提高补贴标准。", "城乡建设"],
            ["", "", "", "", "", ""],
            ["4", "0103", "李敏", "关于完善社区养老服务站的建议", "建议每个街道至少建一处日间照料中心。", "民政"],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        let xlsx = book.save_to_buffer().unwrap();
        let session = "冰城市十六届人大五次会议";

        // A unit's clerk cannot import.
        let mut clerk = app.signed_in("clerk_kjj").await;
        let csrf = clerk.csrf().await;
        let r = clerk.post_multipart("/admin/office/proposals/import", &[("_csrf", &csrf), ("kind", "suggestion"), ("session", session)], &[("file", "建议清单.xlsx", &xlsx)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let mut office = app.signed_in("ducha").await;
        let csrf = office.csrf().await;
        let fields = [("_csrf", csrf.as_str()), ("kind", "suggestion"), ("session", session)];
        let r = office.post_multipart("/admin/office/proposals/import", &fields, &[("file", "建议清单.xlsx", &xlsx)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("新登记 2 件，已登记过的 0 件跳过，1 件未导入。"), "{}", r.text);
        assert!(r.text.contains("<td>3</td><td>0102</td><td>请填写领衔代表或委员姓名</td>"), "the refused row by its line: {}", r.text);
        // Run again: nothing doubles.
        let r = office.post_multipart("/admin/office/proposals/import", &fields, &[("file", "建议清单.xlsx", &xlsx)]).await;
        assert!(r.text.contains("新登记 0 件，已登记过的 2 件跳过，1 件未导入。"), "{}", r.text);
        let count = || app.db.count(platform::db::sql("SELECT COUNT(*) FROM office_proposal WHERE session = $1").bind(session));
        assert_eq!(count().await.unwrap(), 2);
        let list = office.get(&format!("/admin/office/proposals?session={}", common::urlenc(session))).await;
        assert!(list.text.contains("关于增设松北至群力公交线路的建议") && list.text.contains("关于完善社区养老服务站的建议"), "{}", list.text);

        // A sheet without the needed columns, or no file: said plainly, what was typed stays.
        let csv = "序号,标题,内容\n1,关于增设公交线路的建议,建议\n".as_bytes();
        let r = office.post_multipart("/admin/office/proposals/import", &fields, &[("file", "清单.csv", csv)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("表格缺少列：“编号”") && r.text.contains(&format!("value=\"{session}\"")), "{}", r.text);
        let r = office.post_multipart("/admin/office/proposals/import", &fields, &[]).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.text.contains("请选择要导入的表格文件"), "{}", r.text);

        // The same through the API (a CPPCC list), with the report as JSON.
        let token = app.token("ducha").await;
        let body = json!({ "kind": "proposal", "session": "市政协十四届五次会议", "items": [
            { "row": 2, "number": "0201", "member_name": "赵立新", "title": "关于完善夜间公交线网的提案" },
            { "row": 3, "number": "0202", "member_name": "孙红", "title": "" },
        ] });
        let r = app.client().api("POST", "/api/v1/office/proposals/import", &token, Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let report = &r.json()["report"];
        assert_eq!((report["created"].as_u64(), report["rejected"][0]["row"].as_u64()), (Some(1), Some(3)), "{report}");
        let audits = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'proposal.import'")).await.unwrap();
        assert_eq!(audits, 3, "each import is audited (besides each registration)");
    };
}
