//! 网上办事 end to end on the real router and both databases: an administrator defines an item
//! with its own form in the back office (no code), the guide completeness check flags what is
//! missing, a citizen applies and is checked (GB 11643), the department accepts, asks for 补正
//! (the clock stops), the citizen resubmits (the deadline moves by the paused working days), two
//! review steps pass, the case is completed and rated 非常不满意, which opens a follow-up; an
//! overdue case shows red; illegal moves answer 409/403; the catalogue round-trips through JSON.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

async fn world(app: &TestApp) {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let dept =
        platform::accounts::create_org(&app.db, Some(gov), "冰城市市场监督管理局", "BC-SCJ", "bureau").await.unwrap();
    let other = platform::accounts::create_org(&app.db, Some(gov), "冰城市民政局", "BC-MZJ", "bureau").await.unwrap();
    app.user("admin", &[Role::SiteAdmin]).await;
    app.user_with_email("scj", "scj@gov.test", &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: dept }])
        .await;
    app.user_with_email(
        "mzj",
        "mzj@gov.test",
        &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: other }],
    )
    .await;
}

fn item_fields(place: &str) -> Vec<(&'static str, String)> {
    vec![
        ("code", "BC-SCJ-101".into()),
        ("name", "食品经营许可".into()),
        ("kind", "行政许可".into()),
        ("org_code", "BC-SCJ".into()),
        ("audience", "org".into()),
        ("basis", "《中华人民共和国食品安全法》第三十五条".into()),
        ("conditions", "有与经营的食品品种、数量相适应的经营场所。".into()),
        ("materials", "营业执照|复印件|1|是|申请人自备|\n食品经营许可申请书|原件|1|是|申请人自备|".into()),
        ("steps", "网上申请\n受理\n审查\n决定".into()),
        ("legal_days", "20".into()),
        ("promised_days", "7".into()),
        ("place", place.into()),
        ("hours", "工作日 9:00-17:00".into()),
        ("consult_phone", "0451-12345".into()),
        ("form", "shop|经营场所|text|是||\nkind|经营项目|select|是|预包装食品销售;热食类食品制售|\nstaff|从业人员数|number|否||".into()),
        ("review_steps", "审核\n审批".into()),
        ("online", "on".into()),
        ("published", "on".into()),
    ]
}

/// A valid 统一社会信用代码 (GB 32100 check character computed here).
fn uscc() -> String {
    let code = "91230100MA1B2C3D4";
    const ALPHA: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = code.chars().zip(w).map(|(c, w)| ALPHA.find(c).unwrap_or(0) * w).sum();
    format!("{code}{}", ALPHA.chars().nth((31 - sum % 31) % 31).unwrap())
}

async fn define_item(app: &TestApp) -> i64 {
    let mut admin = app.signed_in("admin").await;
    // Without a place the guide is incomplete, and the catalogue says so.
    let f = item_fields("");
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.post_form("/admin/services/items/new", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let list = admin.get("/admin/services/items").await;
    assert!(list.text.contains("办理地点") && list.text.contains("缺少要素"), "{}", list.text);
    let item = services::store::item_by_code(&app.db, "BC-SCJ-101").await.unwrap().unwrap();
    let f = item_fields("冰城市政务服务中心二楼");
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.post_form(&format!("/admin/services/items/{}", item.id), &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    // A bad form definition is refused with the line named, and nothing changes.
    let mut bad = item_fields("x");
    bad[14].1 = "shop|经营场所|colour|是||".into();
    let fields: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.post_form(&format!("/admin/services/items/{}", item.id), &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text.contains("不支持") && res.text.contains("shop|经营场所|colour"),
        "kept what was typed: {}",
        res.text
    );
    let item = services::store::item(&app.db, item.id).await.unwrap().unwrap();
    assert_eq!(item.version, 2);
    assert_eq!(item.form().len(), 3);
    item.id
}

/// Applies through the public hall; returns (receipt number, query code).
async fn apply(app: &TestApp, code: &str) -> (String, String) {
    let mut c = app.client();
    let page = c.get("/banshi/items/BC-SCJ-101/apply").await;
    assert!(
        page.text.contains("经营场所") && page.text.contains("热食类食品制售"),
        "the form comes from the item: {}",
        page.text
    );
    let csrf = page.csrf().unwrap();
    let res = c
        .post_multipart(
            "/banshi/items/BC-SCJ-101/apply",
            &[
                ("_csrf", &csrf),
                ("applicant_kind", "org"),
                ("applicant_name", "冰城味道餐饮有限公司"),
                ("applicant_code", code),
                ("phone", "13812345678"),
                ("email", "shop@example.cn"),
                ("v_shop", "道里区中央大街 88 号"),
                ("v_kind", "热食类食品制售"),
                ("v_staff", "12"),
            ],
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let grab = |label: &str| {
        let i = res.text.find(label).expect(label);
        let rest = &res.text[i..];
        let s = rest.find("<strong>").unwrap() + 8;
        rest[s..s + rest[s..].find('<').unwrap()].to_owned()
    };
    (grab("受理编号"), grab("查询码"))
}

async fn query(app: &TestApp, no: &str, code: &str, extra: &[(&str, &str)]) -> common::TestResponse {
    let mut c = app.client();
    let csrf = c.get("/banshi/query").await.csrf().unwrap();
    let mut f = vec![("_csrf", csrf.as_str()), ("no", no), ("code", code)];
    f.extend_from_slice(extra);
    let path = if extra.is_empty() { "/banshi/query" } else { "/banshi/query/act" };
    c.post_form_raw(path, &serde_urlencoded::to_string(&f).unwrap()).await
}

backend_tests! {
    application_journey => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        // Bad identity and form values are named, and what was typed stays.
        let mut c = app.client();
        let page = c.get("/banshi/items/BC-SCJ-101/apply").await;
        let csrf = page.csrf().unwrap();
        let res = c
            .post_multipart("/banshi/items/BC-SCJ-101/apply", &[("_csrf", &csrf), ("applicant_kind", "org"), ("applicant_name", "冰城味道餐饮有限公司"),
                ("applicant_code", "91230100MA1B2C3D4Z"), ("phone", "138"), ("v_shop", "中央大街"), ("v_kind", "卖菜"), ("v_staff", "十二")], &[])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        for m in ["统一社会信用代码不正确", "联系电话格式不正确", "请从列表中选择经营项目", "从业人员数应为数字"] {
            assert!(res.text.contains(m), "missing {m}");
        }
        assert!(res.text.contains("冰城味道餐饮有限公司") && res.text.contains("中央大街"));

        let (no, code) = apply(&app, &uscc()).await;
        app.mail.wait_for("shop@example.cn", &no).await;
        let id = services::store::application_by_no(&app.db, &no).await.unwrap().unwrap().id;
        let cal = app.services.calendar(&app.db).await;
        let today = platform::calendar::today();

        // The department accepts: the promised 7 working days start.
        let mut scj = app.signed_in("scj").await;
        let list = scj.get("/admin/services/cases?state=submitted").await;
        assert!(list.text.contains(&no) && list.text.contains("冰城味****有限公司"), "{}", list.text);
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "accept")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        assert_eq!(a.due_date.as_deref(), Some(platform::calendar::date_text(cal.add_workdays(today, 7)).as_str()));
        // 补正 needs the list of what is missing; then the clock stops.
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "request_correction")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "request_correction"), ("comment", "经营场所地址不完整，请补充门牌号和楼层")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        assert_eq!((a.state.as_str(), a.due_date.as_deref(), a.paused_on.is_some()), ("correction", None, true));
        app.mail.wait_for_body("shop@example.cn", "门牌号").await;
        // Two paused working days: the applicant resubmits later, the due date moves by two.
        let two_back = {
            let mut d = today;
            let mut n = 0;
            while n < 2 {
                d -= time::Duration::days(1);
                if cal.is_workday(d) { n += 1; }
            }
            d
        };
        app.db
            .execute(platform::db::sql("UPDATE application SET paused_on = $1, accepted_on = $1 WHERE id = $2").bind(platform::calendar::date_text(two_back)).bind(id))
            .await
            .unwrap();
        let view = query(&app, &no, &code, &[]).await;
        assert!(view.text.contains("门牌号") && view.text.contains("补正后重新提交"), "{}", view.text);
        let res = query(&app, &no, &code, &[("action", "resubmit"), ("v_shop", "道里区中央大街 88 号 2 楼")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        assert_eq!(a.state, "reviewing");
        // Accepted two working days ago, paused for those two: 7 working days from today.
        let expected = cal.add_workdays(cal.add_workdays(two_back, 7), cal.workdays_between(two_back, today));
        assert_eq!(a.due_date.as_deref(), Some(platform::calendar::date_text(expected).as_str()));
        assert!(a.form_data.contains("2 楼"));

        // Two review steps, then completion; the applicant rates 非常不满意 → a follow-up.
        let token = app.token("scj").await;
        let mut api = app.client();
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &token, Some(json!({"comment": "材料齐全"}))).await;
        assert_eq!(r.json()["state"], "reviewing");
        assert_eq!(r.json()["step"], 1);
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &token, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "not yet decided");
        api.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &token, None).await;
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &token, None).await;
        assert_eq!(r.json()["state"], "completed", "{}", r.text);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        assert_eq!(a.on_time, Some(true));
        let rated = query(&app, &no, &code, &[("action", "rate"), ("rating", "very_unsatisfied"), ("comment", "等待时间太长")]).await;
        assert!(rated.text.contains("感谢您的评价"), "{}", rated.text);
        let again = query(&app, &no, &code, &[("action", "rate"), ("rating", "satisfied")]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let fu = scj.get("/admin/services/followups").await;
        assert!(fu.text.contains("非常不满意") && fu.text.contains("待回访"), "{}", fu.text);
        let fid = services::store::followups(&app.db, None).await.unwrap()[0].id;
        let res = scj.post_form(&format!("/admin/services/followups/{fid}/close"), &[("response", "已电话回访，优化了预约流程")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        // The printable notice and 办件公示 show no identity numbers.
        let mut c = app.client();
        let csrf = c.get("/banshi/query").await.csrf().unwrap();
        let notice = c.post_form_raw("/banshi/notice", &serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("no", no.as_str()), ("code", code.as_str())]).unwrap()).await;
        assert!(notice.text.contains("准予办理决定书"), "{}", notice.text);
        let gs = app.client().get("/banshi/gongshi").await;
        assert!(gs.text.contains(&no) && !gs.text.contains(&uscc()) && !gs.text.contains("冰城味道餐饮有限公司"), "{}", gs.text);
        // History in the API.
        let r = api.api("GET", &format!("/api/v1/applications/{id}"), &token, None).await.json();
        let actions: Vec<&str> = r["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["submit", "accept", "request_correction", "resubmit", "approve", "approve", "complete", "rate"]);
    };

    overdue_and_refusals => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        let (no, _) = apply(&app, &uscc()).await;
        let id = services::store::application_by_no(&app.db, &no).await.unwrap().unwrap().id;
        let scj = app.token("scj").await;
        let mzj = app.token("mzj").await;
        let mut c = app.client();
        // Another department's handler can neither see nor act.
        assert_eq!(c.api("GET", &format!("/api/v1/applications/{id}"), &mzj, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("POST", &format!("/api/v1/applications/{id}/actions/accept"), &mzj, None).await.status, StatusCode::FORBIDDEN);
        // Wrong-state and applicant-only actions.
        let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &scj, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("待预审"), "{}", r.text);
        assert_eq!(c.api("POST", &format!("/api/v1/applications/{id}/actions/rate"), &scj, Some(json!({"rating": "satisfied"}))).await.status, StatusCode::CONFLICT);
        assert_eq!(c.api("POST", &format!("/api/v1/applications/{id}/actions/deny"), &scj, None).await.status, StatusCode::CONFLICT);
        c.api("POST", &format!("/api/v1/applications/{id}/actions/accept"), &scj, None).await;
        let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/deny"), &scj, Some(json!({"comment": "场所不符合要求"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a denial needs its legal basis");
        // Overdue: red in the department's list and in the overdue list.
        app.db.execute(platform::db::sql("UPDATE application SET due_date = '2026-01-05' WHERE id = $1").bind(id)).await.unwrap();
        let mut page = app.signed_in("scj").await;
        let list = page.get("/admin/services/cases?overdue=1").await;
        assert!(list.text.contains(&no) && list.text.contains("due-overdue") && list.text.contains("超期"), "{}", list.text);
        let r = c.api("GET", "/api/v1/applications?overdue=1", &scj, None).await.json();
        assert_eq!(r["total"], 1);
        let r = c.api("GET", "/api/v1/applications?overdue=1", &mzj, None).await.json();
        assert_eq!(r["total"], 0, "only one's own department");
    };

    catalogue_round_trips_as_json => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        let mut admin = app.signed_in("admin").await;
        let exported = admin.get("/admin/services/items/export.json").await;
        assert_eq!(exported.status, StatusCode::OK);
        let mut list: serde_json::Value = exported.json();
        list[0]["name"] = json!("食品经营许可（新办）");
        let mut broken = list.clone();
        broken[0]["kind"] = json!("不存在的类型");
        let res = admin.post_form("/admin/services/items/import", &[("json", &broken.to_string())]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("事项类型") || res.text.contains("请选择事项类型"), "{}", res.text);
        let res = admin.post_form("/admin/services/items/import", &[("json", &list.to_string())]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let item = services::store::item_by_code(&app.db, "BC-SCJ-101").await.unwrap().unwrap();
        assert_eq!((item.name.as_str(), item.version), ("食品经营许可（新办）", 3));
        assert_eq!(item.form().len(), 3, "the form survives the round trip");
        // The public hall finds it by department and audience.
        let hall = app.client().get("/banshi/?audience=org&dept=BC-SCJ").await;
        assert!(hall.text.contains("食品经营许可（新办）"));
        let none = app.client().get("/banshi/?audience=person&dept=BC-SCJ").await;
        assert!(!none.text.contains("食品经营许可（新办）"));
    };
}
