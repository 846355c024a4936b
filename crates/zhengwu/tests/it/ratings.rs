//! 机关效能评价窗口 end to end on the real router and both databases: an office registers a staff
//! member (a mobile number as office phone refused and what was typed kept), uploads a photo (a
//! fake image refused); a citizen rates without an account — bad input named and kept, a double
//! submission stored once, a second rating in the same month refused — and the rating counts only
//! once a moderator publishes it (a refusal needs a reason; a decided rating cannot be decided
//! again); the public pages show the figures and published comments and nothing that identifies
//! the rater; a unit-scoped supervisor manages only their own units; every write is audited. 部门考核
//! scores departments from those ratings (and the other modules' figures) under the office's rules.

use crate::common;

use axum::http::StatusCode;
use common::{Client, TestApp, TestResponse};
use platform::db::{Scalar, sql};
use platform::roles::{Grant, Role, ScopeKind};

async fn scalar(app: &TestApp, q: platform::db::Q) -> i64 {
    let v: Scalar<i64> = app.db.fetch_one(q).await.unwrap();
    v.0
}

async fn login(app: &TestApp, user: &str) -> Client {
    let mut c = app.client();
    let res = c.login(user, zhengwu::demo::DEMO_PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{user}: {}", res.text);
    c
}

/// Fills the rating form as a browser does and posts it.
async fn rate(c: &mut Client, form: &TestResponse, staff: i64, verdict: &str, comment: &str) -> TestResponse {
    let (token, answer) = common::captcha(&form.text);
    let fields = [
        ("_csrf", form.csrf().unwrap()),
        ("_once", form.hidden("_once").unwrap()),
        ("verdict", verdict.to_owned()),
        ("comment", comment.to_owned()),
        ("captcha_token", token),
        ("captcha", answer),
    ];
    c.post_form_raw(&format!("/pingjia/staff/{staff}"), &serde_urlencoded::to_string(fields).unwrap()).await
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

backend_tests! {
    a_citizen_rates_a_staff_member_once_a_month_and_it_counts_after_moderation => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let zwzx = platform::accounts::org_by_code(&app.db, "11230100012345073L").await.unwrap().unwrap();
        let mut admin = login(&app, "siteadmin").await;

        // The office registers a staff member; a personal mobile number is refused, the rest kept.
        let org = zwzx.id.to_string();
        let mut fields = vec![
            ("org_id", org.as_str()),
            ("name", "刘晓东"),
            ("post", "窗口受理员"),
            ("duties", "负责企业开办事项的咨询和受理。"),
            ("office_phone", "13912345678"),
            ("sort_order", "1"),
            ("active", "1"),
        ];
        let res = admin.post_form("/admin/supervision/staff", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert!(res.text.contains("不要填写个人手机"), "{}", res.text);
        assert!(res.text.contains("负责企业开办事项的咨询和受理。"), "what was typed is kept");
        fields[4] = ("office_phone", "0451-86661234");
        let res = admin.post_form("/admin/supervision/staff", &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();

        // A photo: a text file named .png is refused, a real PNG is served with a long cache.
        let csrf = admin.csrf().await;
        let res = admin
            .post_multipart(&format!("/admin/supervision/staff/{id}/photo"), &[("_csrf", &csrf)], &[("photo", "me.png", b"not an image")])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("照片「me.png」的内容与扩展名不符"), "{}", res.text);
        let res = admin
            .post_multipart(&format!("/admin/supervision/staff/{id}/photo"), &[("_csrf", &csrf)], &[("photo", "me.png", PNG)])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);

        // The public window lists the unit and the person with the photo and office phone.
        let mut citizen = app.client();
        let index = citizen.get("/pingjia/").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(index.text.contains(&format!("/pingjia/units/{}", zwzx.id)), "{}", index.text);
        let found = citizen.get(&format!("/pingjia/?q={}", common::urlenc("晓东"))).await;
        assert!(found.text.contains(&format!("/pingjia/staff/{id}")), "search by name");
        let unit = citizen.get(&format!("/pingjia/units/{}", zwzx.id)).await;
        assert!(unit.text.contains("0451-86661234") && unit.text.contains("刘晓东"));
        let src = unit.text.split("src=\"/pingjia/photos/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let img = citizen.get(&format!("/pingjia/photos/{src}")).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(img.bytes, PNG);
        assert_eq!(img.headers["content-type"], "image/png");
        assert!(img.headers["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(citizen.get("/pingjia/photos/..%2Fzhengwu.db").await.status, StatusCode::NOT_FOUND);

        // Bad input: no verdict, and 不满意 without a reason; both named, the comment kept.
        let form = citizen.get(&format!("/pingjia/staff/{id}")).await;
        let res = rate(&mut citizen, &form, id, "", "很好").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择满意、基本满意或不满意") && res.text.contains(">很好</textarea>"), "{}", res.text);
        let res = rate(&mut citizen, &res, id, "3", "慢").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请写明原因"), "{}", res.text);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM staff_rating")).await, 0);

        // A good rating, submitted twice (a double click): stored once, the receipt page both times.
        let reason = "第一次没有一次性告知所需材料，跑了两趟";
        let form = citizen.get(&format!("/pingjia/staff/{id}")).await;
        let first = rate(&mut citizen, &form, id, "3", reason).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        assert_eq!(first.location_path(), "/pingjia/sent");
        let again = rate(&mut citizen, &form, id, "3", reason).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM staff_rating")).await, 1);
        let sent = citizen.get("/pingjia/sent").await;
        assert!(sent.text.contains("感谢您对刘晓东的评价（不满意）"), "{}", sent.text);

        // The same browser again this month: refused with the reason; nothing stored.
        let form = citizen.get(&format!("/pingjia/staff/{id}")).await;
        let res = rate(&mut citizen, &form, id, "1", "").await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        assert!(res.text.contains("您本月已评价过刘晓东"), "{}", res.text);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM staff_rating")).await, 1);

        // Nothing counts or shows before moderation.
        let page = citizen.get(&format!("/pingjia/staff/{id}")).await;
        assert!(page.text.contains("0 条，满意率 —") && !page.text.contains(reason), "{}", page.text);

        // Another browser rates 满意.
        let mut other = app.client();
        let form = other.get(&format!("/pingjia/staff/{id}")).await;
        assert_eq!(rate(&mut other, &form, id, "1", "").await.status, StatusCode::SEE_OTHER);

        // Moderation: an editor has no 监督考核; a refusal needs a reason; publish counts it.
        let mut editor = login(&app, "editor").await;
        assert_eq!(editor.get("/admin/supervision/ratings").await.status, StatusCode::FORBIDDEN);
        let queue = admin.get("/admin/supervision/ratings").await;
        assert!(queue.text.contains(reason) && queue.text.contains("刘晓东"), "{}", queue.text);
        let ids: Vec<(i64,)> = app.db.fetch_all(sql("SELECT id FROM staff_rating ORDER BY id")).await.unwrap();
        let (complaint, praise) = (ids[0].0, ids[1].0);
        let path = |r: i64| format!("/admin/supervision/ratings/{r}/moderate");
        assert_eq!(editor.post_form(&path(complaint), &[("decision", "publish")]).await.status, StatusCode::FORBIDDEN);
        let res = admin.post_form(&path(praise), &[("decision", "reject"), ("reason", "")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(admin.post_form(&path(complaint), &[("decision", "publish")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(admin.post_form(&path(praise), &[("decision", "publish")]).await.status, StatusCode::SEE_OTHER);
        let res = admin.post_form(&path(praise), &[("decision", "reject"), ("reason", "重复")]).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "a decided rating stays decided");

        // The figures: one 满意 and one 不满意 → 50.0%, on the staff page, the unit and the index.
        let page = citizen.get(&format!("/pingjia/staff/{id}")).await;
        assert!(page.text.contains("2 条，满意率 50.0%"), "{}", page.text);
        assert!(page.text.contains(reason), "the published comment shows");
        let unit = citizen.get(&format!("/pingjia/units/{}", zwzx.id)).await;
        assert!(unit.text.contains("满意 1、基本满意 0、不满意 1，满意率 <strong>50.0%"), "{}", unit.text);
        let (s, b, u): (i64, i64, i64) = app
            .db
            .fetch_one(sql("SELECT satisfied, basic, unsatisfied FROM staff_rating_tally WHERE staff_id = $1").bind(id))
            .await
            .unwrap();
        assert_eq!((s, b, u), (1, 0, 1));
        // The tally equals a count over the ratings after a rebuild.
        supervision::ratings::rebuild_tally(&app.db).await.unwrap();
        let (s2, b2, u2): (i64, i64, i64) = app
            .db
            .fetch_one(sql("SELECT satisfied, basic, unsatisfied FROM staff_rating_tally WHERE staff_id = $1").bind(id))
            .await
            .unwrap();
        assert_eq!((s2, b2, u2), (s, b, u));

        // Nothing about the rater is kept in the clear or shown: the client address is a keyed hash.
        let (voter, ip): (String, String) =
            app.db.fetch_one(sql("SELECT voter, ip_hash FROM staff_rating WHERE id = $1").bind(complaint)).await.unwrap();
        assert!(!ip.contains("10.9.9.9") && ip.len() >= 32 && !page.text.contains(&voter) && !page.text.contains(&ip));

        // The API reads the same figures.
        let token = app.token("siteadmin").await;
        let stats = admin.api("GET", "/api/v1/staff-ratings/stats", &token, None).await.json();
        let row = stats["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == zwzx.id).unwrap().clone();
        assert_eq!((row["total"].as_i64(), row["rate"].as_str()), (Some(2), Some("50.0%")));

        // Every back-office write is audited.
        for action in ["staff.create", "staff.update", "staff_rating.publish"] {
            let n = scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action)).await;
            assert!(n >= 1, "{action} audited");
        }
    };

    a_unit_scoped_supervisor_manages_only_their_units_staff_and_ratings => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let kjj = platform::accounts::org_by_code(&app.db, "112301000123450307").await.unwrap().unwrap();
        let scj = platform::accounts::org_by_code(&app.db, "1123010001234509X7").await.unwrap().unwrap();
        let token = app.token("siteadmin").await;
        let mut api = app.client();
        let mut made = Vec::new();
        for (org, name) in [(kjj.id, "赵静"), (scj.id, "孙强")] {
            let body = serde_json::json!({ "org_id": org, "name": name, "post": "科员", "office_phone": "12345", "active": true });
            let res = api.api("POST", "/api/v1/rated-staff", &token, Some(body)).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            made.push(res.json()["id"].as_i64().unwrap());
        }
        let bad = api.api("POST", "/api/v1/rated-staff", &token, Some(serde_json::json!({ "org_id": 999_999, "name": "某人" }))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

        // 市科技局's supervisor holds 监督考核 (as 领导) on that unit only.
        app.user_with_grants("kjj_jd", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: kjj.id }]).await;
        let mut l = app.signed_in("kjj_jd").await;
        let list = l.get("/admin/supervision/staff").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        assert!(list.text.contains("赵静") && !list.text.contains("孙强"), "{}", list.text);
        assert_eq!(l.get(&format!("/admin/supervision/staff/{}", made[1])).await.status, StatusCode::FORBIDDEN);
        let res = l
            .post_form(&format!("/admin/supervision/staff/{}", made[1]), &[("org_id", &scj.id.to_string()), ("name", "孙强强"), ("active", "1")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = l
            .post_form("/admin/supervision/staff", &[("org_id", &scj.id.to_string()), ("name", "钱多"), ("active", "1")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "cannot add staff to another unit");

        // Ratings of both units; the leader's queue shows only 市科技局's, and cannot decide the other.
        for (staff, who) in [(made[0], "1"), (made[1], "2")] {
            let mut c = app.client();
            let form = c.get(&format!("/pingjia/staff/{staff}")).await;
            assert_eq!(rate(&mut c, &form, staff, who, "").await.status, StatusCode::SEE_OTHER);
        }
        let queue = l.get("/admin/supervision/ratings").await;
        assert!(queue.text.contains("赵静") && !queue.text.contains("孙强"), "{}", queue.text);
        let other: (i64,) = app.db.fetch_one(sql("SELECT id FROM staff_rating WHERE staff_id = $1").bind(made[1])).await.unwrap();
        let res = l.post_form(&format!("/admin/supervision/ratings/{}/moderate", other.0), &[("decision", "publish")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(scalar(&app, sql("SELECT COUNT(*) FROM staff_rating WHERE state = 'pending'")).await, 2);
        // 采纳全部无文字意见的评价 publishes only the leader's unit's.
        let res = l.post_form("/admin/supervision/ratings/publish-plain", &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location_path(), "/admin/supervision/ratings");
        let state_of = |staff: i64| sql("SELECT COUNT(*) FROM staff_rating WHERE state = 'published' AND staff_id = $1").bind(staff);
        assert_eq!((scalar(&app, state_of(made[0])).await, scalar(&app, state_of(made[1])).await), (1, 0));
        let page = l.get("/admin/supervision/ratings?published=1").await;
        assert!(page.text.contains("已批量采纳无文字意见的评价：1"), "{}", page.text);

        // A staff member hidden from the window is gone from the public pages.
        let res = api
            .api("PUT", &format!("/api/v1/rated-staff/{}", made[0]), &token, Some(serde_json::json!({ "org_id": kjj.id, "name": "赵静", "active": false })))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(app.client().get(&format!("/pingjia/staff/{}", made[0])).await.status, StatusCode::NOT_FOUND);
    };
}

/// Publishes `verdicts` for a new staff member of `org` this month, through the public form and
/// the moderation queue as a citizen and an office would.
async fn rated(app: &TestApp, admin: &mut Client, org: i64, name: &str, verdicts: &[&str]) {
    let token = app.token("siteadmin").await;
    let body = serde_json::json!({ "org_id": org, "name": name, "office_phone": "12345", "active": true });
    let res = admin.api("POST", "/api/v1/rated-staff", &token, Some(body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_i64().unwrap();
    for v in verdicts {
        let mut c = app.client();
        let form = c.get(&format!("/pingjia/staff/{id}")).await;
        let comment = if *v == "3" { "窗口排队时间太长" } else { "" };
        assert_eq!(rate(&mut c, &form, id, v, comment).await.status, StatusCode::SEE_OTHER);
    }
    let res = admin.api("POST", "/api/v1/staff-ratings/actions/publish-plain", &token, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let pending: Vec<(i64,)> =
        app.db.fetch_all(sql("SELECT id FROM staff_rating WHERE state = 'pending'")).await.unwrap();
    for (r,) in pending {
        let res = admin
            .api("POST", &format!("/api/v1/staff-ratings/{r}/actions/publish"), &token, Some(serde_json::json!({})))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
}

backend_tests! {
    departments_are_scored_by_the_office_rules_from_the_modules_figures => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let kjj = platform::accounts::org_by_code(&app.db, "112301000123450307").await.unwrap().unwrap();
        let scj = platform::accounts::org_by_code(&app.db, "1123010001234509X7").await.unwrap().unwrap();
        let token = app.token("siteadmin").await;
        let mut admin = login(&app, "siteadmin").await;

        // The sheet: only the staff window's satisfaction (10 points) and letters on time (20).
        let rules = admin.api("GET", "/api/v1/assessment-rules", &token, None).await.json();
        assert_eq!(rules["items"].as_array().unwrap().len(), 7, "every install starts with the 100-point sheet");
        for r in rules["items"].as_array().unwrap() {
            let res = admin.api("DELETE", &format!("/api/v1/assessment-rules/{}", r["id"]), &token, None).await;
            assert_eq!(res.status, StatusCode::OK);
        }
        let bad = serde_json::json!({ "figure_key": "letters.made_up", "label": "编造", "kind": "rate", "points": 10.0 });
        let res = admin.api("POST", "/api/v1/assessment-rules", &token, Some(bad)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择系统提供的取数指标"), "{}", res.text);
        for (key, label, points) in [("ratings.satisfaction_rate", "机关效能评价满意率", 10.0), ("letters.on_time_rate", "来信按期办结率", 20.0)] {
            let body = serde_json::json!({ "figure_key": key, "label": label, "kind": "rate", "points": points, "target": 0.0, "sort_order": 1 });
            assert_eq!(admin.api("POST", "/api/v1/assessment-rules", &token, Some(body)).await.status, StatusCode::CREATED);
        }

        // 市科技局: three 满意 and one 不满意 published → 75 %; no letters, so that rule does not apply.
        rated(&app, &mut admin, kjj.id, "赵静", &["1", "1", "1", "3"]).await;
        let year = platform::calendar::today().year();
        let scores = admin.api("GET", &format!("/api/v1/assessment?year={year}"), &token, None).await.json();
        let of = |org: i64| scores["results"].as_array().unwrap().iter().find(|r| r["org_id"] == org).unwrap().clone();
        let k = of(kjj.id);
        assert_eq!(k["score"]["score"].as_f64(), Some(75.0), "{k}");
        assert_eq!(k["rank"].as_u64(), Some(1));
        let lines = k["score"]["lines"].as_array().unwrap();
        assert_eq!((lines[0]["value"].as_f64(), lines[0]["earned"].as_f64()), (Some(75.0), Some(7.5)));
        assert!(lines[1]["value"].is_null(), "no letters: not applicable");
        let s = of(scj.id);
        assert!(s["score"]["score"].is_null() && s["rank"].is_null(), "nothing applies to 市场监管局: {s}");

        // A rule typed wrongly in the back office is named and kept as typed.
        let res = admin
            .post_form("/admin/supervision/assessment/rules", &[("figure_key", "services.bad"), ("label", "差评"), ("kind", "deduct"), ("points", "十分"), ("target", "1")])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("分值应在 0.5 到 100 之间") && res.text.contains("value=\"十分\""), "{}", res.text);

        // The back office shows the same; the breakdown says why; the workbook downloads.
        let page = admin.get(&format!("/admin/supervision/assessment?year={year}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("哈尔滨市科学技术局") && page.text.contains("75.0"), "{}", page.text);
        let unit = admin.get(&format!("/admin/supervision/assessment/units/{}?year={year}", kjj.id)).await;
        assert!(unit.text.contains("本期无此项工作，不适用") && unit.text.contains("75.0 %"), "{}", unit.text);
        let q3 = admin.get(&format!("/admin/supervision/assessment?year={year}&quarter=9")).await;
        assert_eq!(q3.status, StatusCode::UNPROCESSABLE_ENTITY);
        let x = admin.get(&format!("/admin/supervision/assessment.xlsx?year={year}")).await;
        assert_eq!(x.status, StatusCode::OK);
        assert!(x.bytes.starts_with(b"PK"), "an xlsx workbook");

        // A unit-scoped supervisor sees only their department and cannot change the sheet.
        app.user_with_grants("scj_jd", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: scj.id }]).await;
        let mut scoped = app.signed_in("scj_jd").await;
        let page = scoped.get(&format!("/admin/supervision/assessment?year={year}")).await;
        assert!(page.text.contains("哈尔滨市市场监督管理局") && !page.text.contains("哈尔滨市科学技术局"), "{}", page.text);
        let res = scoped
            .post_form("/admin/supervision/assessment/rules", &[("figure_key", "services.bad"), ("label", "差评"), ("kind", "deduct"), ("points", "10"), ("target", "1")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // They read the sheet in words, not codes.
        let sheet = scoped.get("/admin/supervision/assessment/rules").await;
        assert!(sheet.text.contains("按比率得分") && !sheet.text.contains("<td>rate</td>"), "{}", sheet.text);

        for action in ["assessment_rule.create", "assessment_rule.delete"] {
            let n = scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action)).await;
            assert!(n >= 1, "{action} audited");
        }
    };
}

/// Posts the new-evaluation form (`sites` repeats, as a browser sends checked boxes).
async fn new_evaluation(c: &mut Client, mut fields: Vec<(&'static str, String)>) -> TestResponse {
    let token = c.csrf().await;
    fields.push(("_csrf", token));
    c.post_form_raw("/admin/supervision/evaluations", &serde_urlencoded::to_string(&fields).unwrap()).await
}

backend_tests! {
    an_evaluation_of_the_group_sites_takes_the_monitors_year_and_the_evaluators_points_then_is_published => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let mut admin = login(&app, "siteadmin").await;
        // The monitor keeps today's result of every site.
        assert_eq!(admin.post_form("/admin/supervision/run", &[]).await.status, StatusCode::SEE_OTHER);
        let sites = platform::web::portal::group_sites(&app.db).await.unwrap();
        let (a, b) = (&sites[1], &sites[2]);
        let year = platform::calendar::today().year().to_string();
        let form = |sheet: &'static str| {
            vec![("name", "年度政府网站绩效评估".to_owned()), ("year", year.clone()), ("indicators", sheet.to_owned()), ("sites", a.code.clone()), ("sites", b.code.clone())]
        };
        let res = new_evaluation(&mut admin, form("常态化监测得分|60|监测\n内容|abc|人工")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("第 2 行的分值"), "{}", res.text);
        assert!(res.text.contains("内容|abc|人工"), "the sheet typed is kept");
        let res = new_evaluation(&mut admin, form("常态化监测得分|60|监测\n全年无单项否决|10|否决\n信息发布|30|人工")).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();

        // Not public while being scored; publishing waits for every manual score.
        assert_eq!(app.client().get(&format!("/pinggu/{id}")).await.status, StatusCode::NOT_FOUND);
        let res = admin.post_form(&format!("/admin/supervision/evaluations/{id}/publish"), &[]).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.text.contains(&a.name) && res.text.contains("未评分"), "{}", res.text);

        // The evaluator's points: out of range named and kept; then saved.
        let path = |s: i64| format!("/admin/supervision/evaluations/{id}/sites/{s}");
        let res = admin.post_form(&path(a.id), &[("item_2", "31")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("“信息发布”的得分应在 0 到 30 之间") && res.text.contains("value=\"31\""), "{}", res.text);
        assert_eq!(admin.post_form(&path(a.id), &[("item_2", "28.5")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(admin.post_form(&path(b.id), &[("item_2", "20")]).await.status, StatusCode::SEE_OTHER);

        // The monitor's part is today's score on the sheet's 60 points.
        let monitor: Vec<(i64, f64, i64)> =
            app.db.fetch_all(sql("SELECT site_id, score, vetoes FROM monitor_result")).await.unwrap();
        let auto = |site: i64| {
            let (_, score, vetoes) = monitor.iter().find(|m| m.0 == site).copied().unwrap();
            ((60.0 * score / 100.0 * 10.0).round() / 10.0, if vetoes == 0 { 10.0 } else { 0.0 })
        };
        let res = admin.post_form(&format!("/admin/supervision/evaluations/{id}/publish"), &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let expected_a = auto(a.id).0 + auto(a.id).1 + 28.5;

        // Public: the ranking and each site's sheet; nothing changes afterwards.
        let mut citizen = app.client();
        assert!(citizen.get("/pinggu/").await.text.contains("年度政府网站绩效评估"));
        let ranking = citizen.get(&format!("/pinggu/{id}")).await;
        assert!(ranking.text.contains(&a.name) && ranking.text.contains(&b.name), "{}", ranking.text);
        let sheet = citizen.get(&format!("/pinggu/{id}/sites/{}", a.id)).await;
        let total = format!("总分 <strong>{}</strong>", (expected_a * 10.0).round() / 10.0);
        assert!(sheet.text.contains(&total) && sheet.text.contains("28.5"), "{total}: {}", sheet.text);
        let res = admin.post_form(&path(a.id), &[("item_2", "30")]).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "scores are frozen once published");
        let frozen = scalar(&app, sql("SELECT COUNT(*) FROM site_evaluation_score WHERE evaluation_id = $1").bind(id)).await;
        assert_eq!(frozen, 6, "two sites × three indicators stored");

        // Only a platform-wide supervisor runs evaluations.
        let kjj = platform::accounts::org_by_code(&app.db, "112301000123450307").await.unwrap().unwrap();
        app.user_with_grants("kjj_pg", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: kjj.id }]).await;
        let mut scoped = app.signed_in("kjj_pg").await;
        let res = new_evaluation(&mut scoped, form("常态化监测得分|60|监测")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        for action in ["site_evaluation.create", "site_evaluation.score", "site_evaluation.publish"] {
            assert!(scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action)).await >= 1, "{action}");
        }
    };
}

backend_tests! {
    the_website_annual_report_goes_public_and_its_31_january_duty_is_watched => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let sites = platform::web::portal::group_sites(&app.db).await.unwrap();
        let site = sites[1].clone();
        // The site has existed since before last year.
        let long_ago = platform::parse_date("2024-03-01").unwrap();
        app.db.execute(sql("UPDATE site SET created_at = $1 WHERE id = $2").bind(long_ago).bind(site.id)).await.unwrap();
        let this_year = platform::calendar::today().year();
        let last = this_year - 1;
        let finding = |r: &supervision::monitor::GroupReport| {
            r.site(site.id).unwrap().findings.iter().find(|f| f.indicator == "annual_report_late").cloned()
        };
        // In January a pre-warning; from February a deduction of 5 points.
        let jan = platform::parse_datetime(&format!("{this_year}-01-20 10:00")).unwrap();
        let feb = platform::parse_datetime(&format!("{this_year}-02-01 00:30")).unwrap();
        let r = supervision::monitor::run(&app.state, Some(site.id), jan).await.unwrap();
        let f = finding(&r).expect("a warning in January");
        assert!(f.warning && f.detail.contains("1 月 31 日前"), "{f:?}");
        assert_eq!(f.fix_url, format!("/admin/supervision/annual/sites/{}?year={last}", site.id));
        let r = supervision::monitor::run(&app.state, Some(site.id), feb).await.unwrap();
        let f = finding(&r).expect("a problem from February");
        assert!(!f.warning);
        let d = r.site(site.id).unwrap().assessment.deductions.iter().find(|d| d.indicator.key == "annual_report_late").cloned();
        assert_eq!(d.map(|d| d.points), Some(5.0));
        // A site set up this year owes nothing for last year.
        let fresh = supervision::monitor::run(&app.state, Some(sites[2].id), feb).await.unwrap();
        assert!(fresh.site(sites[2].id).unwrap().findings.iter().all(|f| f.indicator != "annual_report_late"));

        // The office publishes last year's report; the portal shows it; the duty is met.
        let mut admin = login(&app, "siteadmin").await;
        let res = admin.post_form(&format!("/admin/supervision/annual/sites/{}/publish?year={last}", site.id), &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let page = admin.get(&format!("/admin/supervision/annual/sites/{}?year={last}", site.id)).await;
        assert!(page.text.contains(&format!("/nianbao/{}/{last}", site.code)), "{}", page.text);
        let mut citizen = app.client();
        let index = citizen.get("/nianbao/").await;
        assert!(index.text.contains(&format!("{}（{last}年度）", site.name)), "{}", index.text);
        let public = citizen.get(&format!("/nianbao/{}/{last}", site.code)).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.text.contains("网站标识码") || public.text.contains("网站名称"), "{}", public.text);
        assert_eq!(citizen.get(&format!("/nianbao/{}/{this_year}", site.code)).await.status, StatusCode::NOT_FOUND, "not published");
        assert!(finding(&supervision::monitor::run(&app.state, Some(site.id), feb).await.unwrap()).is_none());
        // Publishing again keeps the first date.
        let first: (i64,) = app.db.fetch_one(sql("SELECT published_at FROM annual_report WHERE site_id = $1 AND year = $2").bind(site.id).bind(last)).await.unwrap();
        app.db.execute(sql("UPDATE annual_report SET published_at = published_at - 86400 WHERE site_id = $1").bind(site.id)).await.unwrap();
        let token = app.token("siteadmin").await;
        let res = admin.api("POST", &format!("/api/v1/annual-reports/sites/{}/{last}/actions/publish", site.id), &token, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let again: (i64,) = app.db.fetch_one(sql("SELECT published_at FROM annual_report WHERE site_id = $1 AND year = $2").bind(site.id).bind(last)).await.unwrap();
        assert_eq!(again.0, first.0 - 86_400);
        assert!(scalar(&app, sql("SELECT COUNT(*) FROM audit_log WHERE action = 'annual_report.publish'")).await >= 2);
    };
}
