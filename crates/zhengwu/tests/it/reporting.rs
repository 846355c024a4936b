//! 信息报送, end to end on the real router and both databases, across three units: the 信息员
//! submit (a thin item is refused and keeps what was typed); another unit cannot read them; the
//! office adopts two into the open 《每日要情》 issue, 印发 it, and the next adoption opens the next
//! number; one goes to the portal as a CMS draft in the chosen channel (the CMS then reviews it);
//! one is declined with a reason; a leader's 批示 reaches the unit; leaders read only adopted
//! items; the monthly ranking follows the office's rules and quotas; 部门考核 reads the figures.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

async fn world(app: &TestApp) -> Vec<i64> {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let mut ids = Vec::new();
    for (code, name, user) in [
        ("BC-KJJ", "冰城市科学技术局", "xxy_kjj"),
        ("BC-MZJ", "冰城市民政局", "xxy_mzj"),
        ("BC-SWJ", "冰城市水务局", "xxy_swj"),
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
    app.user("xinxike", &[Role::OfficeStaff]).await;
    app.user_with_grants("mayor", &[Grant { role: Role::Leader, scope: ScopeKind::Org, scope_id: gov }]).await;
    ids
}

const BODY: &str =
    "12月5日，市科技局组织专家对全市42家高新技术企业开展上门服务，现场解决问题17个，其余问题明确了办结时限。";

fn item(unit: &str, title: &str) -> serde_json::Value {
    json!({ "unit": unit, "title": title, "body": BODY, "category": "工作动态", "urgency": "" })
}

/// A portal site with one list channel, for adoption to the portal.
async fn portal_channel(app: &TestApp) -> i64 {
    let site = cms::store::insert_site(
        &app.db,
        &cms::store::Site {
            code: "bc".into(),
            name: "冰城市人民政府".into(),
            kind: "portal".into(),
            site_id_code: "2301000001".into(),
            template_set: "default".into(),
            locale: "zh-CN".into(),
            sponsor: "冰城市人民政府办公厅".into(),
            contact: "0451-86000000".into(),
            icp: "黑ICP备05012234号".into(),
            psb: "黑公网安备23010002000001号".into(),
            error_link: "/".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cms::store::insert_channel(
        &app.db,
        &cms::store::Channel {
            site_id: site,
            name: "部门动态".into(),
            slug: "bmdt".into(),
            kind: "list".into(),
            update_class: "none".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

backend_tests! {
    items_are_submitted_adopted_issued_instructed_and_scored_across_three_units => |app: TestApp| async move {
        let units = world(&app).await;
        let channel = portal_channel(&app).await;
        let (kjj, mzj, swj) = (app.token("xxy_kjj").await, app.token("xxy_mzj").await, app.token("xxy_swj").await);
        let (office, mayor) = (app.token("xinxike").await, app.token("mayor").await);
        let mut c = app.client();
        // Submitting: a thin item is refused; a unit writes only for itself.
        let r = c.api("POST", "/api/v1/office/reports", &kjj, Some(json!({"unit": "BC-KJJ", "title": "", "body": "太短"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请填写标题") && r.text.contains("正文过短"), "{}", r.text);
        assert_eq!(c.api("POST", "/api/v1/office/reports", &kjj, Some(item("BC-MZJ", "冒名报送"))).await.status, StatusCode::FORBIDDEN);
        let mut ids = Vec::new();
        for (token, unit, title) in [
            (&kjj, "BC-KJJ", "市科技局上门服务高新技术企业"),
            (&kjj, "BC-KJJ", "市科技局首批科技创新券兑付完成"),
            (&mzj, "BC-MZJ", "市民政局发放困难群众取暖补贴"),
            (&mzj, "BC-MZJ", "市民政局推进社区养老服务"),
            (&swj, "BC-SWJ", "市水务局完成松花江堤防巡查"),
        ] {
            let r = c.api("POST", "/api/v1/office/reports", token, Some(item(unit, title))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            ids.push(r.json()["id"].as_i64().unwrap());
        }
        let url = |id: i64| format!("/api/v1/office/reports/{id}");
        assert_eq!(c.api("GET", &url(ids[0]), &mzj, None).await.status, StatusCode::NOT_FOUND, "another unit's item");
        assert_eq!(c.api("GET", &url(ids[0]), &mayor, None).await.status, StatusCode::NOT_FOUND, "leaders read adopted items only");
        assert_eq!(c.api("POST", &format!("{}/adopt", url(ids[0])), &kjj, Some(json!({"level": "daily"}))).await.status, StatusCode::FORBIDDEN);

        // Two into the open 《每日要情》; 印发; the next opens number 2.
        let a = c.api("POST", &format!("{}/adopt", url(ids[0])), &office, Some(json!({"level": "daily"}))).await.json();
        let b = c.api("POST", &format!("{}/adopt", url(ids[2])), &office, Some(json!({"level": "daily", "note": "压缩为两段"}))).await.json();
        assert_eq!(a["issue_id"], b["issue_id"], "one open issue collects the day's adoptions");
        let issue1 = a["issue_id"].as_i64().unwrap();
        let one = c.api("GET", &format!("/api/v1/office/report-issues/{issue1}"), &mayor, None).await.json();
        assert_eq!(one["title"], format!("《每日要情》{}年第1期", platform::calendar::today().year()));
        assert_eq!(one["items"].as_array().unwrap().len(), 2);
        assert_eq!(c.api("POST", &format!("/api/v1/office/report-issues/{issue1}/issue"), &office, None).await.status, StatusCode::OK);
        assert_eq!(c.api("POST", &format!("/api/v1/office/report-issues/{issue1}/issue"), &office, None).await.status, StatusCode::CONFLICT, "issued once");
        let d = c.api("POST", &format!("{}/adopt", url(ids[4])), &office, Some(json!({"level": "daily"}))).await.json();
        let issue2 = d["issue_id"].as_i64().unwrap();
        assert_ne!(issue2, issue1);
        assert!(c.api("GET", &format!("/api/v1/office/report-issues/{issue2}"), &office, None).await.json()["title"].as_str().unwrap().ends_with("第2期"));
        assert_eq!(c.api("POST", &format!("{}/adopt", url(ids[0])), &office, Some(json!({"level": "special"}))).await.status, StatusCode::CONFLICT, "decided once");

        // The portal: a channel is required; the CMS gets a draft with the unit as source.
        let r = c.api("POST", &format!("{}/adopt", url(ids[1])), &office, Some(json!({"level": "portal"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("请选择栏目"));
        let r = c.api("POST", &format!("{}/adopt", url(ids[1])), &office, Some(json!({"level": "portal", "channel": channel}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let article = r.json()["article_id"].as_i64().unwrap();
        let draft = cms::store::article(&app.db, article).await.unwrap().unwrap();
        assert_eq!((draft.channel_id, draft.state.as_str()), (channel, "draft"), "the CMS reviews it before it is published");
        // What the editor opens: the draft's latest revision.
        let fields = cms::store::revisions(&app.db, article).await.unwrap().last().unwrap().fields();
        assert_eq!((fields.title.as_str(), fields.source.as_str()), ("市科技局首批科技创新券兑付完成", "冰城市科学技术局"));
        assert!(fields.body.starts_with("<p>12月5日"), "{}", fields.body);

        // Declined with a reason; a leader's 批示 reaches the unit.
        assert_eq!(c.api("POST", &format!("{}/decline", url(ids[3])), &office, Some(json!({"reason": ""}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c.api("POST", &format!("{}/decline", url(ids[3])), &office, Some(json!({"reason": "与上周报送重复"}))).await.status, StatusCode::OK);
        assert_eq!(c.api("POST", &format!("{}/instructions", url(ids[3])), &mayor, Some(json!({"text": "请研究"}))).await.status, StatusCode::NOT_FOUND, "not adopted");
        let before = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '【领导批示】%'")).await.unwrap();
        let r = c.api("POST", &format!("{}/instructions", url(ids[0])), &mayor, Some(json!({"text": "经验做法很好，请在全市推广。"}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let after = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '【领导批示】%'")).await.unwrap();
        assert_eq!(after - before, 1, "the unit's clerk is told");
        let seen = c.api("GET", &url(ids[0]), &kjj, None).await.json();
        assert_eq!(seen["instructions"][0]["text"], "经验做法很好，请在全市推广。");
        assert_eq!(c.api("POST", &format!("{}/instructions", url(ids[0])), &kjj, Some(json!({"text": "收到"}))).await.status, StatusCode::FORBIDDEN);
        let listed = |v: serde_json::Value| v["items"].as_array().unwrap().len();
        assert_eq!(listed(c.api("GET", "/api/v1/office/reports", &mayor, None).await.json()), 4, "leaders list the adopted");
        assert_eq!(listed(c.api("GET", "/api/v1/office/reports", &mzj, None).await.json()), 2);
        assert_eq!(listed(c.api("GET", "/api/v1/office/reports", &office, None).await.json()), 5);

        // The ranking: 科技局 1+1 submitted, 3 (daily) + 2 (portal) + 10 (批示) = 17.
        let scores = c.api("GET", "/api/v1/office/report-scores", &office, None).await.json();
        let first = &scores["units"][0];
        assert_eq!((first["unit_id"].as_i64(), first["score"].as_f64()), (Some(units[0]), Some(17.0)));
        assert_eq!(scores["units"][1]["score"], 5.0, "民政局: 2 submitted + 3 daily");
        let r = c.api("PUT", "/api/v1/office/report-rules", &office, Some(json!({"instructed": 20}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.api("PUT", "/api/v1/office/report-rules", &office, Some(json!({"daily": 500}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c.api("PUT", "/api/v1/office/report-rules", &kjj, Some(json!({"daily": 5}))).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("PUT", "/api/v1/office/report-quotas/BC-SWJ", &office, Some(json!({"monthly": 4}))).await.status, StatusCode::OK);
        let scores = c.api("GET", "/api/v1/office/report-scores", &office, None).await.json();
        assert_eq!(scores["units"][0]["score"], 27.0);
        let swj_row = scores["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == units[2]).unwrap().clone();
        assert_eq!((swj_row["quota"].as_i64(), swj_row["quota_rate"].as_f64()), (Some(4), Some(25.0)));
        assert_eq!(c.api("GET", "/api/v1/office/report-scores?month=2026-13", &office, None).await.status, StatusCode::UNPROCESSABLE_ENTITY);

        // 部门考核 reads the figures through the provider interface.
        let figures = app
            .state
            .modules
            .figures(&app.state, platform::module::FigureQuery { from: 0, to: i64::MAX, org_id: Some(units[0]), site_id: None })
            .await;
        let get = |k: &str| figures.iter().find(|f| f.key == k).map(|f| f.value);
        assert_eq!((get("office.info_submitted"), get("office.info_adopted"), get("office.info_score")), (Some(2.0), Some(2.0), Some(27.0)));
    };

    the_back_office_forms_keep_what_was_typed => |app: TestApp| async move {
        world(&app).await;
        let mut clerk = app.signed_in("xxy_kjj").await;
        let r = clerk.post_form("/admin/office/reports/new", &[("unit", "BC-KJJ"), ("title", "市科技局开展科技特派员服务"), ("body", "下乡服务"), ("category", "工作动态"), ("urgency", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("正文过短") && r.text.contains("市科技局开展科技特派员服务") && r.text.contains("下乡服务"));
        let r = clerk.post_form("/admin/office/reports/new", &[("unit", "BC-KJJ"), ("title", "市科技局开展科技特派员服务"), ("body", BODY), ("category", "工作动态"), ("urgency", "急")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let id: i64 = r.location_path().rsplit('/').next().unwrap().parse().unwrap();
        let mut office = app.signed_in("xinxike").await;
        assert!(office.get("/admin").await.text.contains("报送信息待采编"));
        let r = office.post_form(&format!("/admin/office/reports/{id}/adopt"), &[("level", "portal"), ("channel", ""), ("note", "请压缩篇幅")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("门户网站采用时请选择栏目") && r.text.contains("请压缩篇幅"));
        let r = office.post_form(&format!("/admin/office/reports/{id}/adopt"), &[("level", "daily"), ("channel", ""), ("note", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = office.get("/admin/office/reports/issues").await;
        assert!(page.text.contains("《每日要情》") && page.text.contains("编辑中"));
        let r = office.post_form("/admin/office/reports/quotas", &[("unit", "BC-KJJ"), ("monthly", "很多")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("整数"));
        let r = office.post_form("/admin/office/reports/rules", &[("submitted", "1"), ("daily", "4"), ("special", "5"), ("portal", "2"), ("instructed", "10")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = office.get("/admin/office/reports/scores").await;
        assert!(page.text.contains("冰城市科学技术局") && page.text.contains("<strong>5.0</strong>"), "1 submitted + 4 daily");
    };
}
