//! 供求信息 end to end on the real router and both databases: a listing posted without an account
//! (bad input kept and named, a double click filed once), its contact verified with the code the
//! SMS gateway carried, premoderated (a moderator of another site refused), found on its board and
//! by the portal search with its contact masked until asked, reminded, expired by the clock and
//! renewed with the management code; on a board without premoderation, readers' reports hide a
//! listing until a moderator looks, and the poster withdraws another.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

const DAY: i64 = 86_400;

fn site(code: &str, name: &str, prefix: &str) -> cms::store::Site {
    cms::store::Site {
        code: code.into(),
        name: name.into(),
        kind: "portal".into(),
        site_id_code: "2301000001".into(),
        path_prefix: prefix.into(),
        template_set: "default".into(),
        locale: "zh-CN".into(),
        sponsor: name.into(),
        contact: "0451-86000000".into(),
        icp: "黑ICP备05001234号".into(),
        psb: "黑公网安备23010002000001号".into(),
        error_link: "/".into(),
        ..Default::default()
    }
}

/// The portal (first site) and a district site; an editor on each.
async fn world(app: &TestApp) -> i64 {
    let portal = cms::store::insert_site(&app.db, &site("hrb", "冰城市人民政府", "")).await.unwrap();
    let district = cms::store::insert_site(&app.db, &site("dl", "道里区人民政府", "/dl")).await.unwrap();
    app.user_with_grants("editor", &[Grant { role: Role::Editor, scope: ScopeKind::Site, scope_id: portal }]).await;
    app.user_with_grants(
        "district_editor",
        &[Grant { role: Role::Editor, scope: ScopeKind::Site, scope_id: district }],
    )
    .await;
    portal
}

/// Sends a public form after reading its page (CSRF, submission token, captcha).
async fn public_post(
    c: &mut common::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (common::TestResponse, String) {
    let p = c.get(page).await;
    assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.text);
    let once = p.hidden("_once").expect("submission token");
    let mut all: Vec<(String, String)> =
        vec![("_csrf".into(), p.csrf().expect("csrf")), ("_once".into(), once.clone())];
    if p.text.contains("captcha_token") {
        let (token, answer) = common::captcha(&p.text);
        all.push(("captcha_token".into(), token));
        all.push(("captcha".into(), answer));
    }
    all.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    (
        c.post_form_raw(action, &serde_urlencoded::to_string(&all).unwrap()).await,
        serde_urlencoded::to_string(&all).unwrap(),
    )
}

/// The newest verification code the SMS gateway carried for listing `no`.
async fn code_for(app: &TestApp, no: &str) -> String {
    let marker = format!("（编号 {no}）的验证码为 ");
    let log = app.sms_log_with(&marker).await;
    let i = log.rfind(&marker).unwrap() + marker.len();
    log[i..i + 6].to_owned()
}

async fn listing(app: &TestApp, no: &str) -> listings::store::Listing {
    listings::store::by_no(&app.db, no).await.unwrap().expect("the listing")
}

const HIRE: &[(&str, &str)] = &[
    ("kind", "hire"),
    ("title", "招聘数控车床操作工 3 名"),
    ("subject", "数控车床操作工"),
    ("area", "平房区"),
    ("body", "要求有两年以上数控车床操作经验，能看懂图纸；五险一金，提供宿舍，月休四天。"),
    ("pay_min", "6000"),
    ("pay_max", "8500"),
    ("contact_name", "王建军"),
    ("contact_phone", "13904511234"),
    ("verify_by", "sms"),
    ("days", "30"),
];

backend_tests! {
    a_listing_is_posted_verified_moderated_found_expired_and_renewed => |app: TestApp| async move {
        world(&app).await;
        let mut c = app.client();
        // Bad input: every wrong field named, what was typed kept, nothing filed.
        let mut bad: Vec<(&str, &str)> = HIRE.to_vec();
        bad.retain(|(k, _)| *k != "title" && *k != "contact_phone");
        bad.push(("pay_max", "5000"));
        let (r, _) = public_post(&mut c, "/gongqiu/talent/post", "/gongqiu/talent/post", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        for msg in ["请填写标题", "月薪范围", "请填写 11 位手机号码"] {
            assert!(r.text.contains(msg), "{msg}: {}", r.text);
        }
        assert!(r.text.contains("value=\"数控车床操作工\"") && r.text.contains("看懂图纸"), "typed text kept");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM listing")).await.unwrap(), 0);

        // A good posting: the receipt shows the number and the management code once.
        let (r, body) = public_post(&mut c, "/gongqiu/talent/post", "/gongqiu/talent/post", HIRE).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(r.location_path(), "/gongqiu/posted");
        // The same form sent again (a double click) files nothing more.
        let again = c.post_form_raw("/gongqiu/talent/post", &body).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM listing")).await.unwrap(), 1);
        let receipt = c.get("/gongqiu/posted").await;
        assert_eq!(receipt.status, StatusCode::OK);
        let no = "GQ0000001";
        assert!(receipt.text.contains(no) && receipt.text.contains("139****1234"), "{}", receipt.text);
        let i = receipt.text.find("管理码</dt><dd><strong>").expect("management code") + "管理码</dt><dd><strong>".len();
        let manage_code = receipt.text[i..i + 10].to_owned();
        let l = listing(&app, no).await;
        assert_eq!(l.state, "unverified");
        // Sealed at rest: the phone is not in the row in clear.
        let raw: platform::db::Scalar<String> =
            app.db.fetch_one(platform::db::sql("SELECT contact_phone FROM listing WHERE no = $1").bind(no)).await.unwrap();
        assert!(!raw.0.contains("13904511234"));

        // A wrong code is refused and counted; the right one sends it to the moderators.
        let code = code_for(&app, no).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = c.post_form("/gongqiu/verify", &[("no", no), ("verify_code", wrong)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("验证码不正确"), "{}", r.text);
        let r = c.post_form("/gongqiu/verify", &[("no", no), ("verify_code", &code)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let shown = c.get(&r.location_path()).await;
        assert!(shown.text.contains("正在等待审核"), "{}", shown.text);
        let l = listing(&app, no).await;
        assert_eq!(l.state, "pending", "the talent board premoderates");
        assert_eq!(c.get(&format!("/gongqiu/l/{}", l.id)).await.status, StatusCode::NOT_FOUND, "not shown before approval");

        // Moderation: a district site's editor may not; the portal's editor sees the contact and decides.
        let other = app.token("district_editor").await;
        let ed = app.token("editor").await;
        let r = c.api("GET", &format!("/api/v1/listings/{}", l.id), &other, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let queue = c.api("GET", "/api/v1/listings", &ed, None).await.json();
        assert_eq!(queue["items"][0]["no"], no);
        assert_eq!(queue["items"][0]["contact"]["phone"], "139****1234", "lists mask the contact");
        let one = c.api("GET", &format!("/api/v1/listings/{}", l.id), &ed, None).await.json();
        assert_eq!(one["contact"]["phone"], "13904511234");
        assert_eq!(one["actions"], json!(["approve", "reject"]));
        let r = c.api("POST", &format!("/api/v1/listings/{}/actions/reject", l.id), &ed, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("理由"), "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/listings/{}/actions/approve", l.id), &ed, None).await;
        assert_eq!(r.json()["state"], "visible", "{}", r.text);
        app.sms_log_with("已审核通过并公开").await;
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'listing.approve'")).await.unwrap();
        assert_eq!(audited, 1);

        // Found on its board, filtered by area, in the feed and by the portal search; the contact masked until asked.
        let board = c.get("/gongqiu/talent/?kind=hire&area=%E5%B9%B3%E6%88%BF%E5%8C%BA").await;
        assert!(board.text.contains("招聘数控车床操作工") && board.text.contains("6000–8500 元/月"), "{}", board.text);
        assert!(!c.get("/gongqiu/talent/?kind=seek").await.text.contains("招聘数控车床操作工"));
        let feed = c.get("/gongqiu/talent/rss.xml").await;
        assert!(feed.text.contains("招聘数控车床操作工") && !feed.text.contains("13904511234"), "{}", feed.text);
        let page = c.get(&format!("/gongqiu/l/{}", l.id)).await;
        assert!(page.text.contains("139****1234") && !page.text.contains("13904511234") && !page.text.contains("王建军"));
        let shown = c.post_form(&format!("/gongqiu/l/{}/contact", l.id), &[]).await;
        assert!(shown.text.contains("13904511234") && shown.text.contains("王建军"), "{}", shown.text);
        assert_eq!(listing(&app, no).await.reveals, 1);
        let idx = app.cms.search.clone().expect("search index");
        let portal = platform::web::portal::portal_site_id(&app.db).await;
        let now = platform::db::now();
        let mut mark = (i64::MIN, 0);
        while let Some(next) = listings::indexing::step(&app.db, &idx, mark, portal, now).await.unwrap() {
            mark = next;
        }
        let hits = c.get(&format!("/search?q={}", common::urlenc("数控车床"))).await;
        assert!(hits.text.contains(&format!("\"/gongqiu/l/{}\"", l.id)), "{}", hits.text);
        assert!(!hits.text.contains("13904511234"));

        // Three days before the end the poster is reminded with the renewal link; at the end it expires.
        let state = &app.state;
        let l = listing(&app, no).await;
        let end = l.expires_at.expect("a period");
        assert!((end - now - 30 * DAY).abs() < 120, "30 days from approval");
        assert_eq!(listings::service::run_clock(state, end - 2 * DAY).await.unwrap(), (0, 1));
        assert_eq!(listings::service::run_clock(state, end - 2 * DAY).await.unwrap(), (0, 0), "reminded once");
        app.sms_log_with(&format!("/gongqiu/manage?no={no}")).await;
        assert_eq!(listings::service::run_clock(state, end + 1).await.unwrap(), (1, 0));
        assert_eq!(listing(&app, no).await.state, "expired");
        assert_eq!(c.get(&format!("/gongqiu/l/{}", l.id)).await.status, StatusCode::NOT_FOUND);
        while let Some(next) = listings::indexing::step(&app.db, &idx, mark, portal, platform::db::now()).await.unwrap() {
            mark = next;
        }
        assert_eq!(idx.count_kind("listing").unwrap(), 0, "an expired listing leaves the search");

        // Renewed with the management code (a wrong one is refused), back through the moderator.
        let r = c.post_form("/gongqiu/manage", &[("no", no), ("code", "WRONGCODE2")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("编号或管理码不正确"));
        let r = c.post_form("/gongqiu/manage", &[("no", no), ("code", &manage_code)]).await;
        assert!(r.text.contains("已过期") && r.text.contains("续期"), "{}", r.text);
        let once = r.hidden("_once").expect("token");
        let r = c.post_form("/gongqiu/manage/act", &[("no", no), ("code", &manage_code), ("action", "renew"), ("days", "60"), ("_once", &once)]).await;
        assert_eq!(r.location_path(), "/gongqiu/manage/done", "{}", r.text);
        assert!(c.get("/gongqiu/manage/done").await.text.contains("经审核后重新公开"));
        assert_eq!(listing(&app, no).await.state, "pending");
        c.api("POST", &format!("/api/v1/listings/{}/actions/approve", l.id), &ed, None).await;
        let l = listing(&app, no).await;
        assert_eq!(l.state, "visible");
        assert!(l.expires_at.unwrap() > platform::db::now() + 59 * DAY);
        let history = c.api("GET", &format!("/api/v1/listings/{}", l.id), &ed, None).await.json();
        let actions: Vec<&str> = history["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["post", "verify", "approve", "expire", "renew", "approve"]);
    };

    readers_reports_hide_a_listing_and_the_poster_withdraws_another => |app: TestApp| async move {
        world(&app).await;
        let ed = app.token("editor").await;
        let mut c = app.client();
        let supply: &[(&str, &str)] = &[
            ("kind", "supply"), ("title", "五常稻花香新米出售"), ("subject", "五常大米"), ("area", "五常市"),
            ("body", "合作社自产新米，真空包装，可发物流，量大从优。"), ("quantity", "20000 斤"), ("price", "6.5 元/斤"),
            ("contact_name", "马晓东"), ("contact_phone", "13904517777"), ("verify_by", "sms"), ("days", "15"),
        ];
        let (r, _) = public_post(&mut c, "/gongqiu/agri/post", "/gongqiu/agri/post", supply).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let code = code_for(&app, "GQ0000001").await;
        c.post_form("/gongqiu/verify", &[("no", "GQ0000001"), ("verify_code", &code)]).await;
        let l = listing(&app, "GQ0000001").await;
        assert_eq!(l.state, "visible", "the produce board shows at once");
        // The board's threshold is 3: two readers (one of them twice) keep it up, a third hides it.
        for (n, ip) in ["10.1.0.1", "10.1.0.2", "10.1.0.2", "10.1.0.3"].iter().enumerate() {
            let mut reader = app.client();
            reader.ip = (*ip).into();
            let r = reader.post_form(&format!("/gongqiu/l/{}/flag", l.id), &[("reason", "false")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "flag {n}: {}", r.text);
        }
        let l = listing(&app, "GQ0000001").await;
        assert_eq!((l.state.as_str(), l.flags), ("hidden", 3));
        assert_eq!(c.get(&format!("/gongqiu/l/{}", l.id)).await.status, StatusCode::NOT_FOUND);
        let one = c.api("GET", &format!("/api/v1/listings/{}", l.id), &ed, None).await.json();
        assert_eq!(one["flags"].as_array().unwrap().len(), 3);
        assert_eq!(one["actions"], json!(["approve", "reject"]));
        // The moderator looks and puts it back.
        let mut web = app.signed_in("editor").await;
        let page = web.get(&format!("/admin/listings/{}", l.id)).await;
        assert!(page.text.contains("虚假信息") && page.text.contains("13904517777"), "{}", page.text);
        let r = web.post_form(&format!("/admin/listings/{}/act", l.id), &[("action", "approve"), ("comment", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(listing(&app, "GQ0000001").await.state, "visible");

        // Board rules: out of range named; premoderation switched on.
        let r = c.api("PUT", "/api/v1/listings/boards/agri", &ed, Some(json!({ "premoderated": true, "hide_threshold": 2, "max_days": 400 }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("max_days"), "{}", r.text);
        let r = c.api("PUT", "/api/v1/listings/boards/agri", &ed, Some(json!({ "premoderated": true, "hide_threshold": 2, "max_days": 60 }))).await;
        assert_eq!(r.json()["board"]["premoderated"], true, "{}", r.text);

        // The poster withdraws it with the management code; it leaves the board.
        let demand: Vec<(&str, &str)> = supply.iter().map(|(k, v)| if *k == "kind" { (*k, "demand") } else { (*k, *v) }).collect();
        let (r, _) = public_post(&mut c, "/gongqiu/agri/post", "/gongqiu/agri/post", &demand).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let receipt = c.get("/gongqiu/posted").await;
        let i = receipt.text.find("管理码</dt><dd><strong>").unwrap() + "管理码</dt><dd><strong>".len();
        let manage_code = receipt.text[i..i + 10].to_owned();
        let r = c.post_form("/gongqiu/manage", &[("no", "GQ0000002"), ("code", &manage_code)]).await;
        let once = r.hidden("_once").expect("token");
        let r = c.post_form("/gongqiu/manage/act", &[("no", "GQ0000002"), ("code", &manage_code), ("action", "withdraw"), ("_once", &once)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(listing(&app, "GQ0000002").await.state, "withdrawn");
        // The statistics count what was posted and published this year.
        let stats = c.api("GET", "/api/v1/listings/stats", &ed, None).await.json();
        assert!(stats["items"].is_array(), "{stats}");
        let agri: Vec<&serde_json::Value> = stats["items"].as_array().unwrap().iter().filter(|r| r["board"] == "agri").collect();
        let posted: i64 = agri.iter().map(|r| r["posted"].as_i64().unwrap()).sum();
        let published: i64 = agri.iter().map(|r| r["published"].as_i64().unwrap()).sum();
        assert_eq!((posted, published), (1, 1), "only the verified one counts as posted: {stats}");
        // The same as a workbook for the annual report.
        let xlsx = app.signed_in("editor").await.get("/admin/listings/stats.xlsx").await;
        assert_eq!((xlsx.status, xlsx.headers["content-type"].to_str().unwrap()), (StatusCode::OK, platform::web::XLSX));
        let mut book = zip::ZipArchive::new(std::io::Cursor::new(xlsx.bytes)).unwrap();
        let mut strings = String::new();
        std::io::Read::read_to_string(&mut book.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
        assert!(strings.contains("农产品") && strings.contains("合计"), "{strings}");
    };
}
