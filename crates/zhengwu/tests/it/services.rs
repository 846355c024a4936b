//! 网上办事 end to end on the real router and both databases: an administrator defines an item
//! with its own form in the back office (no code), the guide completeness check flags what is
//! missing, a citizen applies and is checked (GB 11643), the department accepts, asks for 补正
//! (the clock stops), the citizen resubmits (the deadline moves by the paused working days), two
//! review steps pass, the case is completed and rated 非常不满意, which opens a follow-up; an
//! overdue case shows red; illegal moves answer 409/403; the catalogue round-trips through JSON.

use crate::common;

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
    // A second handler of the department: 审批 needs someone other than whoever passed 审核.
    app.user_with_grants("scj_chief", &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: dept }]).await;
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
        ("form", "shop|经营场所|text|是||\nkind|经营项目|select|是|预包装食品销售;热食类食品制售|\nstaff|从业人员数|number|否||\nlicence|营业执照复印件|file|否||".into()),
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
        res.text.contains("不支持") && res.text.contains(r#"<option value="colour" selected>colour</option>"#),
        "kept what was typed: {}",
        res.text
    );
    assert!(res.text.contains(r#"name="form.0.0" value="shop""#), "the lines come back as rows: {}", res.text);
    let item = services::store::item(&app.db, item.id).await.unwrap().unwrap();
    assert_eq!(item.version, 2);
    assert_eq!(item.form().len(), 4);
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
    let once = page.hidden("_once").expect("submission token");
    let (token, answer) = common::captcha(&page.text);
    let res = c
        .post_multipart(
            "/banshi/items/BC-SCJ-101/apply",
            &[
                ("_csrf", &csrf),
                ("_once", &once),
                ("captcha_token", &token),
                ("captcha", &answer),
                ("applicant_kind", "org"),
                ("applicant_name", "冰城味道餐饮有限公司"),
                ("applicant_code", code),
                ("phone", "13812345678"),
                ("email", "shop@example.cn"),
                ("v_shop", "道里区中央大街 88 号"),
                ("v_kind", "热食类食品制售"),
                ("v_staff", "12"),
            ],
            // Every required material has its upload slot.
            &[("mat_0", "营业执照.pdf", b"%PDF-1.4\n%licence\n"), ("mat_1", "申请书.pdf", b"%PDF-1.4\n%form\n")],
        )
        .await;
    // Post, redirect, get: a reload of the receipt does not apply again.
    assert_eq!(
        (res.status, res.location().as_str()),
        (StatusCode::SEE_OTHER, "/banshi/items/BC-SCJ-101/receipt"),
        "{}",
        res.text
    );
    let res = c.get("/banshi/items/BC-SCJ-101/receipt").await;
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
    query_with_files(app, no, code, extra, &[]).await
}

/// The applicant's lookup, or an action on the case (multipart: a 补正 carries materials).
async fn query_with_files(
    app: &TestApp,
    no: &str,
    code: &str,
    extra: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> common::TestResponse {
    let mut c = app.client();
    let csrf = c.get("/banshi/query").await.csrf().unwrap();
    let mut f = vec![("_csrf", csrf.as_str()), ("no", no), ("code", code)];
    f.extend_from_slice(extra);
    let res = if extra.is_empty() {
        c.post_form_raw("/banshi/query", &serde_urlencoded::to_string(&f).unwrap()).await
    } else {
        c.post_multipart("/banshi/query/act", &f, files).await
    };
    if res.status == StatusCode::SEE_OTHER {
        // An action succeeded: the browser follows to the case as it is now.
        assert_eq!(res.location(), "/banshi/query/result");
        return c.get("/banshi/query/result").await;
    }
    res
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
        // The applicant is told by text message too, through the outbox (the default gateway logs
        // it, number masked).
        let sms = app.sms_log_with("已受理").await;
        assert!(sms.contains("138****5678") && !sms.contains("13812345678"), "{sms}");
        // 补正 needs the list of what is missing; then the clock stops.
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "request_correction")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请勾选需要补正的材料"), "{}", res.text);
        // A material that is not the item's is refused, and the handler's text comes back.
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "request_correction"), ("materials", "户口簿"), ("comment", "请补充门牌号")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("「户口簿」不是本事项的申请材料") && res.text.contains(">请补充门牌号</textarea>"), "{}", res.text);
        let res = scj.post_form(&format!("/admin/services/cases/{id}/act"), &[("action", "request_correction"), ("materials", "食品经营许可申请书"), ("comment", "经营场所地址不完整，请补充门牌号和楼层")]).await;
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
        assert!(view.text.contains("请重新上传以下材料：食品经营许可申请书"), "{}", view.text);
        // Just the requested material has an upload slot, and it must be answered.
        assert!(view.text.contains(r#"name="mat_1" type="file" required"#) && !view.text.contains(r#"name="mat_0""#), "{}", view.text);
        let res = query(&app, &no, &code, &[("action", "resubmit"), ("v_shop", "道里区中央大街 88 号 2 楼")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert!(res.text.contains("请上传「食品经营许可申请书」"), "{}", res.text);
        let res = query_with_files(&app, &no, &code, &[("action", "resubmit"), ("v_shop", "道里区中央大街 88 号 2 楼")], &[("mat_1", "申请书（补正）.pdf", b"%PDF-1.4\n%fixed\n")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let files = services::store::files(&app.db, id).await.unwrap();
        assert_eq!(files.iter().map(|f| (f.field.as_str(), f.name.as_str())).collect::<Vec<_>>(),
            [("material:营业执照", "营业执照.pdf"), ("material:食品经营许可申请书", "申请书.pdf"), ("material:食品经营许可申请书", "申请书（补正）.pdf")]);
        let case = scj.get(&format!("/admin/services/cases/{id}")).await;
        assert!(case.text.contains("申请书（补正）.pdf") && case.text.contains("补正</span>"), "{}", case.text);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        assert_eq!(a.state, "reviewing");
        // Accepted two working days ago, paused for those two: 7 working days from today.
        let expected = cal.add_workdays(cal.add_workdays(two_back, 7), cal.workdays_between(two_back, today));
        assert_eq!(a.due_date.as_deref(), Some(platform::calendar::date_text(expected).as_str()));
        assert!(a.form_data.contains("2 楼"));
        // The form values (an address here), phone and code are sealed at rest.
        let raw: (String, String, String) = app.db.fetch_one(platform::db::sql("SELECT form_data, phone, applicant_code FROM application WHERE id = $1").bind(id)).await.unwrap();
        for v in [&raw.0, &raw.1, &raw.2] {
            assert!(v.starts_with("enc1:") && !v.contains("2 楼"), "{v}");
        }

        // Two review steps, then completion; the applicant rates 非常不满意 → a follow-up.
        let token = app.token("scj").await;
        let mut api = app.client();
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &token, Some(json!({"comment": "材料齐全"}))).await;
        assert_eq!(r.json()["state"], "reviewing");
        assert_eq!(r.json()["step"], 1);
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &token, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "not yet decided");
        // 审批 is someone else's: the handler who passed 审核 is refused, a colleague decides.
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &token, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("「审批」须由上一环节以外的人员办理"), "{}", r.text);
        let chief = app.token("scj_chief").await;
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/approve"), &chief, Some(json!({"comment": "同意"}))).await;
        assert_eq!(r.json()["state"], "approved", "{}", r.text);
        let r = api.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &token, Some(json!({"comment": "许可证已寄出，请注意查收"}))).await;
        assert_eq!(r.json()["state"], "completed", "{}", r.text);
        let a = services::store::application(&app.db, id).await.unwrap().unwrap();
        let year = platform::calendar::today().year();
        assert_eq!(a.decision_no, format!("冰市监准字〔{year}〕第0001号"));
        // The citizen's timeline names each step and shows what they are owed.
        let view = query(&app, &no, &code, &[]).await;
        for s in ["审核通过", "审批通过，准予办理", "同意", "许可证已寄出", &a.decision_no] {
            assert!(view.text.contains(s), "timeline lacks {s}: {}", view.text);
        }
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
        assert!(notice.text.contains("准予办理决定书") && notice.text.contains(&a.decision_no), "{}", notice.text);
        // A print button whose one inline script the page's policy names by hash; nothing else runs.
        let csp = notice.headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'sha256-") && !csp.contains("'unsafe-inline'"), "{csp}");
        assert!(notice.text.contains(r#"<button type="button" id="print" class="primary" hidden>"#), "{}", notice.text);
        assert!(notice.text.contains("六十日内向冰城市人民政府申请行政复议") && notice.text.contains("六个月内依法向人民法院提起行政诉讼"), "{}", notice.text);
        let gs = app.client().get("/banshi/gongshi").await;
        assert!(gs.text.contains(&no) && !gs.text.contains(&uscc()) && !gs.text.contains("冰城味道餐饮有限公司"), "{}", gs.text);
        // History in the API.
        let r = api.api("GET", &format!("/api/v1/applications/{id}"), &token, None).await.json();
        let actions: Vec<&str> = r["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["submit", "accept", "request_correction", "resubmit", "approve", "approve", "complete", "rate"]);
        // The statistics kept on every write equal those rebuilt from the applications, and the
        // statistics page shows them.
        let q = "SELECT item_id, org_id, day, received, completed, on_time, workdays, rated, rating_sum, bad FROM application_tally \
                 WHERE received <> 0 OR completed <> 0 OR rated <> 0 ORDER BY item_id, org_id, day";
        #[derive(sqlx::FromRow, PartialEq, Debug)]
        struct T(i64, i64, String, i64, i64, i64, i64, i64, i64, i64);
        let kept: Vec<T> = app.db.fetch_all(platform::db::sql(q)).await.unwrap();
        services::store::rebuild_tally(&app.db).await.unwrap();
        let rebuilt: Vec<T> = app.db.fetch_all(platform::db::sql(q)).await.unwrap();
        assert_eq!(kept, rebuilt);
        assert_eq!((kept[0].3, kept[0].4, kept[0].5, kept[0].7, kept[0].8, kept[0].9), (1, 1, 1, 1, 1, 1), "received, completed, on time, rated, score 1, 差评");
        let mut admin = app.signed_in("admin").await;
        let stats = admin.get("/admin/services/stats").await;
        assert!(stats.text.contains("食品经营许可") && stats.text.contains("1.00"), "{}", stats.text);
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
        // One address filing a stream of applications is stopped, with the form kept.
        let item = services::store::item_by_code(&app.db, "BC-SCJ-101").await.unwrap().unwrap();
        let mut bot = app.client();
        for i in 0..services::service::PER_IP_PER_HOUR {
            app.db
                .execute(
                    platform::db::sql("INSERT INTO application (no, query_hash, item_id, org_id, applicant_kind, applicant_name, applicant_code, state, submitted_at, updated_at, ip) VALUES ($1, 'x', $2, $3, 'org', '某公司', 'x', 'submitted', $4, $4, $5)")
                        .bind(format!("BOT{i}"))
                        .bind(item.id)
                        .bind(item.org_id)
                        .bind(platform::db::now())
                        .bind(bot.ip.clone()),
                )
                .await
                .unwrap();
        }
        let page = bot.get("/banshi/items/BC-SCJ-101/apply").await;
        let (csrf, (token, answer)) = (page.csrf().unwrap(), common::captcha(&page.text));
        let r = bot
            .post_multipart("/banshi/items/BC-SCJ-101/apply", &[("_csrf", &csrf), ("captcha_token", &token), ("captcha", &answer), ("applicant_kind", "org"), ("applicant_name", "冰城味道餐饮有限公司"), ("applicant_code", &uscc()),
                ("phone", "13812345678"), ("v_shop", "中央大街"), ("v_kind", "热食类食品制售")], &[("mat_0", "执照.pdf", b"%PDF-1.4\n"), ("mat_1", "申请书.pdf", b"%PDF-1.4\n")])
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.text.contains("提交太频繁") && r.text.contains("冰城味道餐饮有限公司"), "{}", r.text);
    };

    application_materials_are_checked_by_content_and_field => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        let mut c = app.client();
        let fields = |page: &common::TestResponse| {
            let (token, answer) = common::captcha(&page.text);
            vec![("_csrf".to_owned(), page.csrf().unwrap()), ("_once".into(), page.hidden("_once").unwrap()), ("captcha_token".into(), token), ("captcha".into(), answer),
                ("applicant_kind".into(), "org".into()), ("applicant_name".into(), "冰城味道餐饮有限公司".into()), ("applicant_code".into(), uscc()),
                ("phone".into(), "13812345678".into()), ("v_shop".into(), "道里区中央大街 88 号".into()), ("v_kind".into(), "热食类食品制售".into())]
        };
        let page = c.get("/banshi/items/BC-SCJ-101/apply").await;
        let f = fields(&page);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // HTML dressed as a PDF, and a file under a field the item does not have.
        let res = c.post_multipart("/banshi/items/BC-SCJ-101/apply", &f, &[("v_licence", "report.pdf", b"<html><script>alert(1)</script>"), ("v_extra", "章程.pdf", b"%PDF-1.4\n"), ("mat_9", "多余.pdf", b"%PDF-1.4\n")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert!(res.text.contains("内容与扩展名不符") && res.text.contains("不是本事项要求的材料"), "{}", res.text);
        // Each required material without a file is named at its slot.
        assert!(res.text.contains("请上传「营业执照」") && res.text.contains("请上传「食品经营许可申请书」"), "{}", res.text);
        assert!(res.text.contains(r#"id="e-mat_0""#), "the message sits under its slot: {}", res.text);
        assert!(res.text.contains("冰城味道餐饮有限公司"), "what was typed stays");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM application")).await.unwrap(), 0);
        let page = c.get("/banshi/items/BC-SCJ-101/apply").await;
        let f = fields(&page);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let uploads: &[(&str, &str, &[u8])] = &[("v_licence", "营业执照.pdf", b"%PDF-1.4\n%demo\n"), ("mat_0", "营业执照.pdf", b"%PDF-1.4\n%demo\n"), ("mat_1", "申请书.jpg", b"\xff\xd8\xff\xe0demo")];
        let res = c.post_multipart("/banshi/items/BC-SCJ-101/apply", &f, uploads).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        // A double click (the same form again, with the same files): the same receipt, one case.
        let again = c.post_multipart("/banshi/items/BC-SCJ-101/apply", &f, uploads).await;
        assert_eq!((again.status, again.location()), (StatusCode::SEE_OTHER, res.location()));
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM application")).await.unwrap(), 1, "one application");
        let receipt = c.get(&res.location()).await;
        assert_eq!(receipt.text, c.get(&res.location()).await.text, "a reload shows the same receipt");
        assert_eq!(app.client().get(&res.location()).await.status, StatusCode::NOT_FOUND, "no receipt for another browser");
        let id = app.db.count(platform::db::sql("SELECT MAX(id) FROM application")).await.unwrap();
        let files = services::store::files(&app.db, id).await.unwrap();
        assert_eq!(files.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["licence", "material:营业执照", "material:食品经营许可申请书"]);
        // The staff download is never sniffed into HTML.
        let mut scj = app.signed_in("scj").await;
        let dl = scj.get(&format!("/admin/services/files/{}", files[0].id)).await;
        assert_eq!(dl.status, StatusCode::OK, "{}", dl.text);
        assert_eq!(dl.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(dl.headers.get("cache-control").unwrap(), "private, no-store");
    };

    item_editor_rows_add_remove_and_reorder => |app: TestApp| async move {
        world(&app).await;
        let id = define_item(&app).await;
        let mut admin = app.signed_in("admin").await;
        let page = admin.get(&format!("/admin/services/items/{id}")).await;
        assert!(page.text.contains(r#"name="materials.1.0" value="食品经营许可申请书""#), "{}", page.text);
        assert!(page.text.contains(r#"name="review_steps.1.1" value="是" aria-label="须由他人办理 2" checked"#), "{}", page.text);
        // The editor posts rows; the row buttons change them without saving.
        let mut f: Vec<(String, String)> = item_fields("冰城市政务服务中心二楼")
            .into_iter()
            .filter(|(k, _)| !["materials", "review_steps", "faq"].contains(k))
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        for (k, v) in [
            ("materials.rows", "1"), ("materials.0.0", "营业执照"), ("materials.0.1", "复印件"), ("materials.0.2", "1"), ("materials.0.3", "是"),
            ("materials.1.0", "食品经营许可申请书"), ("materials.1.1", "原件"), ("materials.1.2", "1"),
            ("review_steps.rows", "1"), ("review_steps.0.0", "审核"), ("review_steps.1.0", "审批"), ("review_steps.1.1", "是"),
            ("faq.rows", "1"), ("faq.0.0", "要到现场吗？"), ("faq.0.1", "不需要|全程网办"),
        ] {
            f.push((k.to_owned(), v.to_owned()));
        }
        f.push(("_csrf".to_owned(), admin.csrf().await));
        let post = |extra: &[(&str, &str)]| {
            let mut all = f.clone();
            all.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
            serde_urlencoded::to_string(&all).unwrap()
        };
        let path = format!("/admin/services/items/{id}");
        let up = admin.post_form_raw(&path, &post(&[("op", "up:materials:1")])).await;
        assert_eq!(up.status, StatusCode::OK, "{}", up.text);
        assert!(up.text.contains(r#"name="materials.0.0" value="食品经营许可申请书""#), "{}", up.text);
        let added = admin.post_form_raw(&path, &post(&[("op", "add:faq")])).await;
        assert!(added.text.contains(r#"name="faq.1.0" value="""#), "{}", added.text);
        let item = services::store::item(&app.db, id).await.unwrap().unwrap();
        assert_eq!(item.version, 2, "row buttons save nothing");
        // Saving: the unticked 必需 is optional, the | inside an answer stays in it, and 审批's
        // tick is the item's separation rule.
        let saved = admin.post_form_raw(&path, &post(&[])).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
        let item = services::store::item(&app.db, id).await.unwrap().unwrap();
        let m = item.materials();
        assert_eq!((m[0].required, m[1].required), (true, false));
        assert_eq!(item.faq()[0].a, "不需要｜全程网办");
        assert_eq!((item.review_steps(), item.distinct_steps()), (vec!["审核".to_owned(), "审批".to_owned()], vec!["审批".to_owned()]));
        // Unticking it lets one person decide both steps.
        let mut untick = f.clone();
        untick.retain(|(k, _)| k != "review_steps.1.1");
        let res = admin.post_form_raw(&path, &serde_urlencoded::to_string(&untick).unwrap()).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(services::store::item(&app.db, id).await.unwrap().unwrap().distinct_steps().is_empty());
    };

    hall_tabs_popular_items_and_blank_forms => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        apply(&app, &uscc()).await;
        // The 法人 tab lists the item and counts it among the popular ones; the 个人 tab does not.
        let hall = app.client().get("/banshi/?audience=org").await;
        assert!(hall.text.contains(r#"<a href="/banshi/?audience=org" aria-current="page">法人办事</a>"#), "{}", hall.text);
        let popular = between(&hall.text, "热门事项", "</section>");
        assert!(popular.contains("食品经营许可"), "{popular}");
        let person = app.client().get("/banshi/?audience=person").await;
        assert!(!person.text.contains("食品经营许可") && person.text.contains("按人生事件"), "{}", person.text);
        // The guide draws the process as steps and links the blank sheet when a material names it.
        let guide = app.client().get("/banshi/items/BC-SCJ-101").await;
        assert!(guide.text.contains(r#"<ol class="flow"><li><span>网上申请</span></li>"#), "{}", guide.text);
        let blank = app.client().get("/banshi/items/BC-SCJ-101/blank").await;
        assert_eq!(blank.status, StatusCode::OK);
        assert!(blank.text.contains("食品经营许可申请表") && blank.text.contains("经营场所") && blank.text.contains("□ 热食类食品制售"), "{}", blank.text);
        let example = app.client().get("/banshi/items/BC-SCJ-101/blank?example=1").await;
        assert!(example.text.contains("示范文本") && example.text.contains("预包装食品销售") && !example.text.contains("□ 热食类食品制售"), "{}", example.text);
        // A step that must be someone else's has to be one of the item's steps.
        let mut admin = app.signed_in("admin").await;
        let item = services::store::item_by_code(&app.db, "BC-SCJ-101").await.unwrap().unwrap();
        assert_eq!(item.distinct_steps(), ["审批"], "审批 needs another person by default");
        let mut f = item_fields("冰城市政务服务中心二楼");
        f.push(("distinct_steps", "复核".into()));
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = admin.post_form(&format!("/admin/services/items/{}", item.id), &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("「复核」不是本事项的审查环节"), "{}", res.text);
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
        assert_eq!(item.form().len(), 4, "the form survives the round trip");
        // The API saves items in the same format.
        let token = app.token("admin").await;
        let mut new_item = list[0].clone();
        new_item["code"] = json!("BC-SCJ-102");
        new_item["name"] = json!("食品经营许可变更");
        new_item["place"] = json!("");
        let r = app.client().api("POST", "/api/v1/service-items", &token, Some(new_item)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["missing"], json!(["办理地点"]));
        let mut bad = list[0].clone();
        bad["promised_days"] = json!("30");
        let r = app.client().api("POST", "/api/v1/service-items", &token, Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "promised_days");
        // The spreadsheet export reads back; an edited sheet uploads; a bad one changes nothing.
        let sheet = admin.get("/admin/services/items/export.xlsx").await;
        assert_eq!(sheet.status, StatusCode::OK);
        let mut rows = services::catalogue::read(&sheet.bytes).unwrap();
        assert_eq!(rows.len(), 2);
        rows[0].name = "食品经营许可（Excel 导入）".into();
        let edited = services::catalogue::workbook(&rows).unwrap();
        let csrf = admin.csrf().await;
        let res = admin.post_multipart("/admin/services/items/import.xlsx", &[("_csrf", &csrf)], &[("xlsx", "事项.xlsx", &edited)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let item = services::store::item_by_code(&app.db, "BC-SCJ-101").await.unwrap().unwrap();
        assert_eq!(item.name, "食品经营许可（Excel 导入）");
        rows[1].kind = "不存在的类型".into();
        let bad = services::catalogue::workbook(&rows).unwrap();
        let res = admin.post_multipart("/admin/services/items/import.xlsx", &[("_csrf", &csrf)], &[("xlsx", "事项.xlsx", &bad)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("第 2 个事项") && res.text.contains("请选择事项类型"), "{}", res.text);
        let res = admin.post_multipart("/admin/services/items/import.xlsx", &[("_csrf", &csrf)], &[("xlsx", "事项.pdf", b"%PDF-1.4")]).await;
        assert!(res.text.contains("不是有效的 Excel 工作簿"), "{}", res.text);
        // The same through the API: a JSON list, or the workbook as the body; a bad one changes nothing.
        let r = app.client().api("POST", "/api/v1/service-items/import", &token, Some(json!({"items": [broken[0].clone()]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let xlsx = |bytes: &[u8]| {
            axum::http::Request::post("/api/v1/service-items/import.xlsx")
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::from(bytes.to_vec()))
                .unwrap()
        };
        let r = app.client().send(xlsx(&bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("第 2 个事项"), "{}", r.text);
        rows[1].kind = rows[0].kind.clone();
        rows[1].name = "食品经营许可变更（接口导入）".into();
        let r = app.client().send(xlsx(&services::catalogue::workbook(&rows).unwrap())).await;
        assert_eq!((r.status, r.json()["imported"].as_i64()), (StatusCode::OK, Some(2)), "{}", r.text);
        assert_eq!(services::store::item_by_code(&app.db, "BC-SCJ-102").await.unwrap().unwrap().name, "食品经营许可变更（接口导入）");
        list[0]["name"] = json!("食品经营许可（接口导入）");
        let r = app.client().api("POST", "/api/v1/service-items/import", &token, Some(json!({"items": [list[0].clone()]}))).await;
        assert_eq!((r.status, r.json()["imported"].as_i64()), (StatusCode::OK, Some(1)), "{}", r.text);
        rows[0].name = "食品经营许可（Excel 导入）".into();
        let r = app.client().send(xlsx(&services::catalogue::workbook(&rows).unwrap())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // The public hall finds it by department and audience.
        let hall = app.client().get("/banshi/?audience=org&dept=BC-SCJ").await;
        assert!(hall.text.contains("食品经营许可（Excel 导入）"));
        let none = app.client().get("/banshi/?audience=person&dept=BC-SCJ").await;
        assert!(!none.text.contains("食品经营许可（Excel 导入）"));
    };
}

fn uscc_for(body: &str) -> String {
    const ALPHA: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = body.chars().zip(w).map(|(c, w)| ALPHA.find(c).unwrap_or(0) * w).sum();
    format!("{body}{}", ALPHA.chars().nth((31 - sum % 31) % 31).unwrap())
}

/// Posts a public form on `page` (which carries the CSRF token) and returns the response; the
/// application form is multipart (it takes attachments), the others are plain forms.
async fn public_post(c: &mut common::Client, page: &str, path: &str, fields: &[(&str, &str)]) -> common::TestResponse {
    let shown = c.get(page).await;
    let csrf = shown.csrf().expect("csrf on the page");
    let once = shown.hidden("_once").unwrap_or_default();
    let mut f = vec![("_csrf", csrf.as_str()), ("_once", once.as_str())];
    f.extend_from_slice(fields);
    let res = if path.ends_with("/apply") {
        let files: &[(&str, &str, &[u8])] = if fields.iter().any(|(k, v)| *k == "intent" && *v == "submit") {
            &[("files", "申报书.pdf", b"%PDF-1.7 application")]
        } else {
            &[]
        };
        c.post_multipart(path, &f, files).await
    } else {
        c.post_form_raw(path, &serde_urlencoded::to_string(&f).unwrap()).await
    };
    if res.status == StatusCode::SEE_OTHER && res.location().ends_with("/result") {
        // Saved: the browser follows to the call's page with the result.
        return c.get(&res.location()).await;
    }
    res
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> &'a str {
    let i = text.find(before).unwrap_or_else(|| panic!("{before} not in {text}")) + before.len();
    &text[i..i + text[i..].find(after).unwrap()]
}

backend_tests! {
    project_call_runs_end_to_end => |app: TestApp| async move {
        let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
        platform::accounts::create_org(&app.db, Some(gov), "冰城市科学技术局", "BC-KJJ", "bureau").await.unwrap();
        app.user("admin", &[Role::SiteAdmin]).await;
        app.user("exp1", &[]).await;
        app.user("exp2", &[]).await;
        let mut admin = app.signed_in("admin").await;
        let today = platform::calendar::today();
        let (open, close) = (platform::calendar::date_text(today), platform::calendar::date_text(today + time::Duration::days(10)));
        let csrf = admin.csrf().await;
        // A score sheet that does not add up to 100 is named, and everything typed comes back.
        let bad = admin
            .post_multipart("/admin/services/calls", &[("_csrf", &csrf), ("title", "2027年度冰城市科技计划项目申报"), ("org_code", "BC-KJJ"), ("guide", "支持寒地生物研究。"),
                ("opens_on", &open), ("closes_on", &close), ("sheet", "创新性|40\n可行性|30"), ("publicity_days", "7")], &[])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        // One error pattern: a summary linking to the field, the message under the field.
        assert!(bad.text.contains(r##"id="error-summary""##) && bad.text.contains(r##"<a href="#f-sheet">"##) && bad.text.contains(r#"id="e-sheet""#), "{}", bad.text);
        for kept in ["合计应为 100", r#"value="2027年度冰城市科技计划项目申报""#, "支持寒地生物研究。</textarea>", "可行性|30</textarea>", r#"value="7""#, r#"value="BC-KJJ" selected"#] {
            assert!(bad.text.contains(kept), "{kept}: {}", bad.text);
        }
        let bad = admin.post_form("/admin/services/experts", &[("username", "nobody"), ("org_name", "冰城大学"), ("field", "寒地农业")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("找不到该账号") && bad.text.contains(r#"value="冰城大学""#), "{}", bad.text);
        let res = admin
            .post_multipart(&format!("/admin/services/calls?_csrf={csrf}"), &[("_csrf", &csrf), ("title", "2027年度冰城市科技计划项目申报"), ("org_code", "BC-KJJ"), ("guide", "支持人工智能、寒地生物等领域的应用研究。"),
                ("opens_on", &open), ("closes_on", &close), ("sheet", "创新性|40\n可行性|30\n预期效益|30"), ("publicity_days", "5")],
                &[("files", "申报指南.pdf", b"%PDF-1.7 guide")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let call_id: i64 = res.location().rsplit('/').next().unwrap().parse().unwrap();
        for (u, org) in [("exp1", "冰城大学"), ("exp2", "龙江农业科学研究院")] {
            let r = admin.post_form("/admin/services/experts", &[("username", u), ("org_name", org), ("field", "人工智能")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        }

        // 冰城大学 saves a draft, comes back with its number and code, and submits.
        let page = format!("/banshi/calls/{call_id}");
        let mut uni = app.client();
        let draft = public_post(&mut uni, &page, &format!("/banshi/calls/{call_id}/apply"), &[("org_name", "冰城大学"), ("org_code", &uscc_for("12230100MB1234567")), ("title", "寒地作物病害智能识别"), ("intent", "draft")]).await;
        assert!(draft.text.contains("草稿已保存"), "{}", draft.text);
        let no = between(&draft.text, "申报编号 ", "，").to_owned();
        let code = between(&draft.text, "查询码 ", "，").to_owned();
        let resumed = public_post(&mut uni, "/banshi/calls/", "/banshi/calls/resume", &[("no", &no), ("code", &code)]).await;
        assert!(resumed.text.contains("寒地作物病害智能识别") && resumed.text.contains("已打开草稿"), "{}", resumed.text);
        let short = public_post(&mut uni, &page, &format!("/banshi/calls/{call_id}/apply"), &[("no", &no), ("code", &code), ("org_name", "冰城大学"), ("org_code", &uscc_for("12230100MB1234567")), ("title", "寒地作物病害智能识别"), ("intent", "submit")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "a submission needs every field");
        assert!(short.text.contains("项目摘要至少 20 个字"));
        let sub = public_post(&mut uni, &page, &format!("/banshi/calls/{call_id}/apply"), &[("no", &no), ("code", &code), ("org_name", "冰城大学"), ("org_code", &uscc_for("12230100MB1234567")),
            ("title", "寒地作物病害智能识别"), ("contact", "刘教授"), ("phone", "13900001111"), ("budget", "80"), ("summary", "利用深度学习识别寒地水稻、大豆常见病害，形成手机端识别工具并在示范基地推广。"), ("intent", "submit")]).await;
        assert!(sub.text.contains("申报书已提交"), "{}", sub.text);
        let mut bad = app.client();
        let csrf = bad.get(&page).await.csrf().unwrap();
        let r = bad.post_multipart(&format!("/banshi/calls/{call_id}/apply"), &[("_csrf", &csrf), ("org_name", "某公司"), ("org_code", &uscc_for("91230100MA7654321")), ("title", "测试项目"), ("intent", "draft")], &[("files", "run.exe", b"MZ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("类型不允许") && r.text.contains("测试项目"), "{}", r.text);
        let mut firm = app.client();
        let sub = public_post(&mut firm, &page, &format!("/banshi/calls/{call_id}/apply"), &[("org_name", "冰城智造科技有限公司"), ("org_code", &uscc_for("91230100MA7654321")),
            ("title", "冰雪装备智能运维平台"), ("contact", "王经理"), ("phone", "13800002222"), ("budget", "120"), ("summary", "面向冰雪运动场馆装备建设远程监测与预测性维护平台，降低运维成本。"), ("intent", "submit")]).await;
        assert!(sub.text.contains("申报书已提交"), "{}", sub.text);

        // Screening, then experts: the one from the applicant's own university is refused.
        let apps = services::calls::apps_of(&app.db, call_id).await.unwrap();
        let (a_uni, a_firm) = (apps[0].id, apps[1].id);
        for a in [a_uni, a_firm] {
            let r = admin.post_form(&format!("/admin/services/calls/{call_id}/screen"), &[("application_id", &a.to_string()), ("pass", "1")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
        }
        let experts = services::calls::experts(&app.db).await.unwrap();
        let (e1, e2) = (experts[0].id, experts[1].id);
        let r = admin.post_form(&format!("/admin/services/calls/{call_id}/assign"), &[("application_id", &a_uni.to_string()), ("expert_id", &e1.to_string())]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("利益冲突") && r.text.contains("须回避"), "{}", r.text);
        for (a, e) in [(a_uni, e2), (a_firm, e1), (a_firm, e2)] {
            let r = admin.post_form(&format!("/admin/services/calls/{call_id}/assign"), &[("application_id", &a.to_string()), ("expert_id", &e.to_string())]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        }
        admin.post_form(&format!("/admin/services/calls/{call_id}/state"), &[("to", "review")]).await;

        // Experts see and score only their own assignments, and only their applications' files.
        let asg = services::calls::assignments_of_call(&app.db, call_id).await.unwrap();
        let mut x1 = app.signed_in("exp1").await;
        let mine = x1.get("/admin/services/review").await;
        assert!(mine.text.contains("冰雪装备智能运维平台") && !mine.text.contains("寒地作物病害智能识别"), "{}", mine.text);
        let uni_file = services::calls::files_of(&app.db, call_id, Some(a_uni)).await.unwrap()[0].id;
        let firm_file = services::calls::files_of(&app.db, call_id, Some(a_firm)).await.unwrap()[0].id;
        assert_eq!(x1.get(&format!("/admin/services/calls/files/{uni_file}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(x1.get(&format!("/admin/services/calls/files/{firm_file}")).await.bytes, b"%PDF-1.7 application");
        assert_eq!(app.client().get(&format!("/banshi/calls/files/{firm_file}")).await.status, StatusCode::NOT_FOUND, "applications' files are not public");
        let guide = services::calls::files_of(&app.db, call_id, None).await.unwrap()[0].id;
        assert_eq!(app.client().get(&format!("/banshi/calls/files/{guide}")).await.bytes, b"%PDF-1.7 guide");
        let foreign = asg.iter().find(|a| a.expert_id == e2 && a.application_id == a_uni).unwrap().id;
        let r = x1.post_form(&format!("/admin/services/review/{foreign}"), &[("s0", "40"), ("s1", "30"), ("s2", "30")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let own = asg.iter().find(|a| a.expert_id == e1).unwrap().id;
        let r = x1.post_form(&format!("/admin/services/review/{own}"), &[("s0", "45"), ("s1", "20"), ("s2", "20")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("「创新性」不能超过 40 分"));
        x1.post_form(&format!("/admin/services/review/{own}"), &[("s0", "30"), ("s1", "25"), ("s2", "20"), ("comment", "应用场景明确")]).await;
        let mut x2 = app.signed_in("exp2").await;
        for a in asg.iter().filter(|a| a.expert_id == e2) {
            let s = if a.application_id == a_uni { ["36", "25", "24"] } else { ["32", "26", "22"] };
            let r = x2.post_form(&format!("/admin/services/review/{}", a.id), &[("s0", s[0]), ("s1", s[1]), ("s2", s[2])]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        }

        // Publicity: ranked list, an objection, no final list until it is answered.
        admin.post_form(&format!("/admin/services/calls/{call_id}/state"), &[("to", "publicity")]).await;
        let public = app.client().get(&page).await;
        let (first, second) = (public.text.find("寒地作物病害智能识别").unwrap(), public.text.find("冰雪装备智能运维平台").unwrap());
        assert!(first < second, "85.00 ranks above 77.50: {}", public.text);
        assert!(public.text.contains("85.00") && public.text.contains("77.50"));
        let mut citizen = app.client();
        let shown = citizen.get(&page).await;
        let objection = serde_urlencoded::to_string([("_csrf", shown.csrf().unwrap()), ("_once", shown.hidden("_once").unwrap()),
            ("text", "冰雪装备智能运维平台与该公司去年已立项项目内容重复".into()), ("contact", "13700003333".into())]).unwrap();
        // Sent twice (a double click): one objection, both answered with the same result page.
        for _ in 0..2 {
            let r = citizen.post_form_raw(&format!("/banshi/calls/{call_id}/objection"), &objection).await;
            assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, format!("/banshi/calls/{call_id}/result")), "{}", r.text);
        }
        let obj = citizen.get(&format!("/banshi/calls/{call_id}/result")).await;
        assert!(obj.text.contains("异议已收到"), "{}", obj.text);
        assert_eq!(services::calls::objections(&app.db, call_id).await.unwrap().len(), 1, "one objection");
        let r = admin.post_form(&format!("/admin/services/calls/{call_id}/state"), &[("to", "final")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("1 条异议未答复"));
        let oid = services::calls::objections(&app.db, call_id).await.unwrap()[0].id;
        admin.post_form(&format!("/admin/services/calls/{call_id}/answer"), &[("objection_id", &oid.to_string()), ("answer", "经核查，两项目研究内容不同，异议不成立。")]).await;
        // The API: a stage it may not jump to is refused with the reason; the final list moves through
        // it; the history names every move in order; the admin page shows it in words.
        let tok = app.token("admin").await;
        let r = admin.api("POST", &format!("/api/v1/project-calls/{call_id}/stage"), &tok, Some(json!({"to": "review"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.json()["detail"].as_str().unwrap().contains("当前为「公示中」"), "{}", r.text);
        let listed = admin.api("GET", "/api/v1/project-calls", &tok, None).await;
        assert_eq!(listed.json()["calls"][0]["next_stage"], "final", "{}", listed.text);
        let r = admin.api("POST", &format!("/api/v1/project-calls/{call_id}/stage"), &tok, Some(json!({"to": "final"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.json()["call"]["stage"].as_str(), r.json()["call"]["stage_label"].as_str()), (Some("final"), Some("已公布")));
        let one = admin.api("GET", &format!("/api/v1/project-calls/{call_id}"), &tok, None).await;
        let moves: Vec<(String, String)> = one.json()["history"].as_array().unwrap().iter().map(|e| (e["from"].as_str().unwrap().to_owned(), e["to"].as_str().unwrap().to_owned())).collect();
        assert_eq!(moves, [("open", "review"), ("review", "publicity"), ("publicity", "final")].map(|(a, b)| (a.to_owned(), b.to_owned())));
        let adm = admin.get(&format!("/admin/services/calls/{call_id}")).await;
        assert!(adm.text.contains("阶段记录") && adm.text.contains("<td>公示中</td><td>已公布</td>"), "{}", adm.text);
        let fin = app.client().get(&page).await;
        assert!(fin.text.contains("最终立项名单") && fin.text.contains("异议不成立") && !fin.text.contains("13700003333"), "{}", fin.text);
    };
}

backend_tests! {
    a_project_call_runs_through_the_api => |app: TestApp| async move {
        let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
        platform::accounts::create_org(&app.db, Some(gov), "冰城市科学技术局", "BC-KJJ", "bureau").await.unwrap();
        app.user("admin", &[Role::SiteAdmin]).await;
        app.user("exp1", &[]).await;
        let (tok, exp_tok) = (app.token("admin").await, app.token("exp1").await);
        let mut c = app.client();
        let today = platform::calendar::today();
        let (open, close) = (platform::calendar::date_text(today), platform::calendar::date_text(today + time::Duration::days(10)));
        let call = |sheet: &str| json!({"title": "2027年度冰城市软科学研究项目申报", "org_code": "BC-KJJ", "guide": "围绕营商环境开展研究。",
            "opens_on": open, "closes_on": close, "sheet": sheet, "publicity_days": "5"});
        let r = c.api("POST", "/api/v1/project-calls", &tok, Some(call("创新性|40\n可行性|30"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("sheet") && r.text.contains("100"), "{}", r.text);
        let r = c.api("POST", "/api/v1/project-calls", &tok, Some(call("创新性|50\n可行性|50"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let call_id = r.json()["call"]["id"].as_i64().unwrap();
        assert_eq!(r.json()["call"]["stage"], "open");
        let r = c.api("POST", "/api/v1/experts", &tok, Some(json!({"username": "exp1", "org_name": "冰城大学", "field": "公共管理"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let page = format!("/banshi/calls/{call_id}");
        for (org, code, title) in [("冰城大学", "12230100MB1234567", "优化营商环境评价方法研究"), ("冰城咨询有限公司", "91230100MA7654321", "中小企业融资难点调查")] {
            let mut applicant = app.client();
            let sub = public_post(&mut applicant, &page, &format!("/banshi/calls/{call_id}/apply"), &[("org_name", org), ("org_code", &uscc_for(code)),
                ("title", title), ("contact", "刘老师"), ("phone", "13900001111"), ("budget", "20"), ("summary", "通过问卷和访谈调查本市企业办事体验，提出改进营商环境的具体建议。"), ("intent", "submit")]).await;
            assert!(sub.text.contains("申报书已提交"), "{}", sub.text);
        }
        let apps = services::calls::apps_of(&app.db, call_id).await.unwrap();
        let (a_uni, a_firm) = (apps[0].id, apps[1].id);
        let screen = format!("/api/v1/project-calls/{call_id}/screenings");
        let r = c.api("POST", &screen, &tok, Some(json!({"application_id": a_uni, "pass": false}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a refusal needs its reason: {}", r.text);
        for a in [a_uni, a_firm] {
            let r = c.api("POST", &screen, &tok, Some(json!({"application_id": a, "pass": true}))).await;
            assert_eq!((r.status, r.json()["state"].as_str()), (StatusCode::OK, Some("in_review")), "{}", r.text);
        }
        let r = c.api("POST", &screen, &tok, Some(json!({"application_id": a_uni, "pass": true}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "screened once: {}", r.text);
        let expert = services::calls::experts(&app.db).await.unwrap()[0].id;
        let assign = format!("/api/v1/project-calls/{call_id}/assignments");
        let r = c.api("POST", &assign, &tok, Some(json!({"application_id": a_uni, "expert_id": expert}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("利益冲突"), "{}", r.text);
        let r = c.api("POST", &assign, &tok, Some(json!({"application_id": a_firm, "expert_id": expert}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let own = services::calls::assignments_of_call(&app.db, call_id).await.unwrap()[0].id;
        let scores = format!("/api/v1/expert-assignments/{own}/scores");
        let r = c.api("POST", &scores, &exp_tok, Some(json!({"scores": [40, 45]}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "not before the review stage: {}", r.text);
        c.api("POST", &format!("/api/v1/project-calls/{call_id}/stage"), &tok, Some(json!({"to": "review"}))).await;
        let r = c.api("POST", &scores, &exp_tok, Some(json!({"scores": [40]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("「可行性」"), "the missing criterion is named: {}", r.text);
        let r = c.api("POST", &scores, &tok, Some(json!({"scores": [40, 45]}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "only experts score: {}", r.text);
        let r = c.api("POST", &scores, &exp_tok, Some(json!({"scores": [40, 45], "comment": "调查设计合理"}))).await;
        assert_eq!((r.status, r.json()["total"].as_i64()), (StatusCode::OK, Some(85)), "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/project-calls/{call_id}/objection-answers"), &tok, Some(json!({"objection_id": 999_999, "answer": "经核查异议不成立。"}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action IN ('project_call.create', 'expert.create', 'project_application.screen', 'project_application.assign', 'expert.score')")).await.unwrap();
        assert_eq!(audited, 1 + 1 + 2 + 2 + 1, "every write audited, the refused assignment too");
    };
}

backend_tests! {
    malicious_rating_appeal => |app: TestApp| async move {
        world(&app).await;
        define_item(&app).await;
        let (no, code) = apply(&app, &uscc()).await;
        let id = services::store::application_by_no(&app.db, &no).await.unwrap().unwrap().id;
        let scj = app.token("scj").await;
        let chief = app.token("scj_chief").await;
        let mut c = app.client();
        for (a, who) in [("accept", &scj), ("approve", &scj), ("approve", &chief), ("complete", &scj)] {
            let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/{a}"), who, None).await;
            assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text);
        }
        query(&app, &no, &code, &[("action", "rate"), ("rating", "very_unsatisfied"), ("comment", "差")]).await;
        let rated = |app: &TestApp| {
            let db = app.db.clone();
            async move { db.count(platform::db::sql("SELECT CAST(COALESCE(SUM(rated), 0) AS BIGINT) FROM application_tally")).await.unwrap() }
        };
        assert_eq!(rated(&app).await, 1);
        let mut scj_page = app.signed_in("scj").await;
        let r = scj_page.post_form(&format!("/admin/services/cases/{id}/appeal"), &[("reason", "太短")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = scj_page.post_form(&format!("/admin/services/cases/{id}/appeal"), &[("reason", "申请人提前办结仍给出非常不满意，评价内容与办理无关")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // The department cannot decide its own appeal.
        let r = scj_page.post_form(&format!("/admin/services/cases/{id}/appeal/decide"), &[("uphold", "1"), ("comment", "同意申诉意见")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let mut admin = app.signed_in("admin").await;
        let r = admin.post_form(&format!("/admin/services/cases/{id}/appeal/decide"), &[("uphold", "1"), ("comment", "经核实属恶意差评")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(rated(&app).await, 0, "an upheld appeal takes the rating out of the statistics");
        let fu = services::store::followups(&app.db, None).await.unwrap();
        assert_eq!(fu[0].state, "closed");
        let again = scj_page.post_form(&format!("/admin/services/cases/{id}/appeal"), &[("reason", "再次申诉的理由写得足够长")]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
    };
}

backend_tests! {
    every_open_case_queue_puts_the_longest_overdue_first => |app: TestApp| async move {
        zhengwu::demo::load(
            &app.state,
            zhengwu::demo::Sizes { articles: 0, sites: 0, letters: 0, applications: 600, disclosure_requests: 0, disclosure_items: 0, survey_responses: 0, office_documents: 0, proposals: 0, enterprises: 0, people: 0, pois: 0, monitor_days: 0, visits: 0, subscribers: 0, rated_staff: 0 },
            |_| {},
        )
        .await
        .expect("demo");
        app.user("chuangkou", &[Role::Handler]).await;
        let tok = app.token("chuangkou").await;
        let mut c = app.client();
        let mut seen = 0;
        for st in ["", "submitted", "correction", "reviewing", "approved"] {
            let res = c.api("GET", &format!("/api/v1/applications?state={st}"), &tok, None).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let dues: Vec<String> = res.json()["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i["due_date"].as_str().map(str::to_owned))
                .collect();
            let mut sorted = dues.clone();
            sorted.sort();
            assert_eq!(dues, sorted, "{st:?}: oldest deadline first");
            seen += dues.len();
        }
        assert!(seen >= 10, "the demo has running cases with deadlines: {seen}");
    };
}

backend_tests! {
    a_fee_is_set_charged_paid_at_the_window_and_refunded => |app: TestApp| async move {
        world(&app).await;
        let item = define_item(&app).await;
        // The fee standard: a wrong row named by its number, then two lines.
        let mut admin = app.signed_in("admin").await;
        let r = admin.post_form(&format!("/admin/services/items/{item}/fees"), &[("name", "证照工本费"), ("amount", "十元"), ("basis", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("第 1 行：金额应为") && r.text.contains("第 1 行：请写明收费依据") && r.text.contains("value=\"十元\""), "{}", r.text);
        let r = admin
            .post_form(&format!("/admin/services/items/{item}/fees"), &[
                ("name", "证照工本费"), ("amount", "10"), ("basis", "黑价费〔2019〕12号"),
                ("name", "现场核查费"), ("amount", "25.5"), ("basis", "黑财综〔2020〕8号"),
                ("name", ""), ("amount", ""), ("basis", ""),
            ])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let (no, code) = apply(&app, &uscc()).await;
        let id = services::store::application_by_no(&app.db, &no).await.unwrap().unwrap().id;
        let scj = app.token("scj").await;
        let chief = app.token("scj_chief").await;
        let mzj = app.token("mzj").await;
        let mut c = app.client();
        // Not before acceptance; another department's handler never.
        let r = c.api("POST", &format!("/api/v1/applications/{id}/fee-notice"), &scj, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        c.api("POST", &format!("/api/v1/applications/{id}/actions/accept"), &scj, None).await;
        let r = c.api("POST", &format!("/api/v1/applications/{id}/fee-notice"), &mzj, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // The handler issues the notice on the case page; the applicant is told amount and code.
        let mut web = app.signed_in("scj").await;
        let r = web.post_form(&format!("/admin/services/cases/{id}/fee-notice"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let notice_page = web.get(&r.location_path()).await;
        assert!(notice_page.text.contains("35.50") && notice_page.text.contains("现场核查费") && notice_page.text.contains("待缴费"), "{}", notice_page.text);
        let n: services::fees::Notice = app.db.fetch_one(platform::db::sql("SELECT * FROM fee_notice WHERE application_id = $1").bind(id)).await.unwrap();
        assert_eq!((n.total, n.state.as_str()), (3550, "unpaid"));
        assert!(services::fees::domain::valid_payment_code(&n.payment_code), "{}", n.payment_code);
        app.sms_log_with(&n.payment_code).await;
        let again = web.post_form(&format!("/admin/services/cases/{id}/fee-notice"), &[]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.text.contains("已有待缴或已缴的缴款通知书"), "{}", again.text);
        let q = query(&app, &no, &code, &[]).await;
        assert!(q.text.contains(&n.payment_code) && q.text.contains("35.50 元") && q.text.contains("待缴费"), "{}", q.text);

        // Not completed while unpaid.
        for (a, who) in [("approve", &scj), ("approve", &chief)] {
            let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/{a}"), who, None).await;
            assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text);
        }
        let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &scj, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("尚未缴纳"), "{}", r.text);

        // The cashier: a wrong amount and no method are named; then paid, with a receipt number.
        let r = web.post_form(&format!("/admin/services/fees/{}/act", n.id), &[("action", "pay"), ("received", "35"), ("method", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("实收 35.00 元与应缴 35.50 元不一致") && r.text.contains("请选择收款方式"), "{}", r.text);
        let r = web.post_form(&format!("/admin/services/fees/{}/act", n.id), &[("action", "pay"), ("received", "35.50"), ("method", "qr")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let paid = c.api("GET", &format!("/api/v1/fee-notices/{}", n.id), &scj, None).await.json();
        assert_eq!(paid["state"], "paid");
        assert_eq!(paid["notice"]["receipt_no"], format!("SJ{}", &n.no[2..]));
        assert_eq!(paid["actions"], serde_json::json!(["refund"]));
        let r = c.api("POST", &format!("/api/v1/applications/{id}/actions/complete"), &scj, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // A refund needs a reason; the statistics and the reconciliation count it out.
        let r = c.api("POST", &format!("/api/v1/fee-notices/{}/actions/refund", n.id), &scj, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = c.api("POST", &format!("/api/v1/fee-notices/{}/actions/refund", n.id), &scj, Some(serde_json::json!({ "comment": "现场核查未实施，全额退回" }))).await;
        assert_eq!(r.json()["state"], "refunded", "{}", r.text);
        let stats = c.api("GET", "/api/v1/fee-notices/stats", &scj, None).await.json();
        let lines = stats["items"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "{stats}");
        let check = lines.iter().find(|l| l["name"] == "现场核查费").unwrap();
        assert_eq!((check["collected"].as_str(), check["refunded"].as_str()), (Some("25.50"), Some("25.50")));
        let xlsx = web.get("/admin/services/fees/reconciliation.xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"));
        let q = query(&app, &no, &code, &[]).await;
        assert!(q.text.contains("已退费"), "{}", q.text);
        let history = paid["history"].as_array().unwrap().len();
        assert_eq!(history, 2, "issue and pay recorded");
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action IN ('fee_notice.create', 'fee_notice.pay', 'fee_notice.refund', 'service_item.fees')")).await.unwrap();
        assert_eq!(audited, 4);
    };
}
