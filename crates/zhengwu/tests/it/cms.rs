//! CMS journeys on the real router and database: an editor writes and submits, the department and
//! office reviewers approve, the article appears on the home page, its channel, the feed and the
//! sitemap at once; withdrawing removes it everywhere. Also: revisions of live articles, illegal
//! transitions, scheduled publication, concurrent edits, sanitising, placements across sites,
//! template overrides, reading variants, conditional requests, attachments, static export, and a
//! second node following the first.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, TestApp};
use platform::roles::Role;
use serde_json::json;

const PW: &str = zhengwu::demo::DEMO_PASSWORD;

async fn demo(app: &TestApp) {
    app.load_demo(60, 200).await;
}

async fn login(app: &TestApp, user: &str) -> Client {
    let mut c = app.client();
    let res = c.login(user, PW).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{user}: {}", res.text);
    c
}

async fn channel_id(app: &TestApp, site: &str, slug: &str) -> i64 {
    let s = cms::store::site_by_code(&app.db, site).await.unwrap().unwrap();
    cms::store::channels_of(&app.db, s.id).await.unwrap().into_iter().find(|c| c.slug == slug).unwrap().id
}

/// Creates an article through the editor form and returns its id.
async fn write_article(c: &mut Client, channel: i64, title: &str, body: &str) -> i64 {
    let res = c
        .post_form(
            "/admin/cms/articles/new",
            &[("channel_id", &channel.to_string()), ("title", title), ("body", body), ("source", "市科技局")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    res.location_path().rsplit('/').next().unwrap().parse().unwrap()
}

async fn act(c: &mut Client, id: i64, action: &str, comment: &str) -> common::TestResponse {
    c.post_form(&format!("/admin/cms/articles/{id}/act"), &[("action", action), ("comment", comment)]).await
}

async fn publish(app: &TestApp, channel: i64, title: &str) -> i64 {
    let mut ed = login(app, "editor").await;
    let id = write_article(&mut ed, channel, title, "<p>为贯彻落实有关部署，现将有关事项通知如下。</p>").await;
    assert_eq!(act(&mut ed, id, "submit", "").await.status, StatusCode::SEE_OTHER);
    let mut dept = login(app, "reviewer_dept").await;
    assert_eq!(act(&mut dept, id, "approve", "同意").await.status, StatusCode::SEE_OTHER);
    let mut office = login(app, "reviewer_office").await;
    assert_eq!(act(&mut office, id, "approve", "同意发布").await.status, StatusCode::SEE_OTHER);
    id
}

backend_tests! {
    a_site_cannot_take_a_modules_prefix => |app: TestApp| async move {
        app.user("siteadmin", &[Role::SiteAdmin]).await;
        let token = app.token("siteadmin").await;
        let mut c = app.client();
        let site = |prefix: &str| json!({"code": "bs", "name": "办事子站", "kind": "department", "site_id_code": "2301000009",
            "path_prefix": prefix, "sponsor": "市政务服务中心", "contact": "0451-12345", "icp": "黑ICP备1号", "psb": "黑公网安备1号",
            "error_link": "/", "description": "", "locale": "zh-CN"});
        // Each module's public prefix, a path under one, and the platform's own are refused by name.
        for (prefix, owner) in [("/banshi", "网上办事"), ("/hudong", "互动交流"), ("/open311", "互动交流"), ("/banshi/x", "网上办事"), ("/search", "内容管理"), ("/files", "平台")] {
            let r = c.api("POST", "/api/v1/sites", &token, Some(site(prefix))).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{prefix}: {}", r.text);
            assert!(r.text.contains(&format!("已由「{owner}」使用")) || r.text.contains("路径前缀应为"), "{prefix}: {}", r.text);
        }
        let r = c.api("POST", "/api/v1/sites", &token, Some(site("/banshiting"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "a prefix that only starts alike is free: {}", r.text);
    };

    // The portal's home page carries blocks other modules feed, chosen per site: the hall's 热门办事事项
    // and 办件公示 totals, the mayor's mailbox's newest published replies with this year's figures.
    // A visitor reaches a published letter in one click from the home page; a site administrator
    // changes the blocks with the site form, and an unknown block is refused by name.
    home_page_shows_the_blocks_its_site_chose => |app: TestApp| async move {
        demo(&app).await;
        let mut public = app.client();
        let home = public.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        for text in ["热门办事事项", "办件公示", "本年受理", "市长信箱选登", "本年来信", "按期办结率", "href=\"/hudong/szxx/\""] {
            assert!(home.text.contains(text), "{text} on the home page");
        }
        // The newest published reply of the mayor's mailbox is linked, and the link leads to it.
        let szxx = interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().unwrap();
        let (latest, _) = interaction::store::public_list(&app.db, Some(szxx.id), &Default::default(), 1, 0).await.unwrap();
        let letter = latest.first().expect("the demo publishes replies");
        let href = format!("/hudong/letters/{}", letter.no);
        assert!(home.text.contains(&href), "{href} on the home page");
        let page = public.get(&href).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(&letter.public_subject));
        // The same modules give their figures to others (supervision reads these): this year's
        // letters as the block counts them.
        let year = platform::calendar::today().year();
        let from = platform::parse_date(&format!("{year}-01-01")).unwrap();
        let hrb_id = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap().id;
        let q = platform::module::FigureQuery { from, to: from + 366 * 86_400, site_id: Some(hrb_id), org_id: None };
        let figures = app.state.modules.figures(&app.state, q).await;
        let received = figures.iter().find(|f| f.key == "letters.received").map(|f| f.value).unwrap_or(0.0);
        assert!(received > 0.0, "{figures:?}");
        assert!(home.text.contains(&format!("<dd>{received}</dd>")), "the block and the figure agree: {received}");
        assert!(figures.iter().any(|f| f.key == "services.received"));
        let all = app.state.modules.figures(&app.state, platform::module::FigureQuery { site_id: None, ..q }).await;
        let every = all.iter().find(|f| f.key == "letters.received").map(|f| f.value).unwrap_or(0.0);
        assert!(every > received, "every site's letters: {every} > {received}");
        // A district site shows its own mailbox, not the mayor's.
        let daoli = public.get("/daoli/").await;
        assert!(daoli.text.contains("区长信箱选登") && !daoli.text.contains("市长信箱选登"), "{}", daoli.text);

        // The site administrator keeps only the hall's popular items.
        let hrb = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let mut admin = login(&app, "siteadmin").await;
        let form = admin.get(&format!("/admin/cms/sites/{}", hrb.id)).await;
        assert!(form.text.contains("name=\"home_blocks\" value=\"letters.answered\" checked"), "the form shows the choice");
        // The site form offers site types (it once offered the channel types, so it could not be saved).
        assert!(form.text.contains("<option value=\"portal\" selected>"), "the site's own type is chosen");
        let path = format!("/admin/cms/sites/{}", hrb.id);
        let mut fields: Vec<(&str, &str)> = vec![
            ("name", &hrb.name), ("kind", &hrb.kind), ("site_id_code", &hrb.site_id_code), ("path_prefix", ""),
            ("sponsor", &hrb.sponsor), ("contact", &hrb.contact), ("icp", &hrb.icp), ("psb", &hrb.psb),
            ("error_link", &hrb.error_link), ("description", &hrb.description),
        ];
        fields.push(("home_blocks", "services.popular"));
        let r = admin.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(cms::store::site(&app.db, hrb.id).await.unwrap().unwrap().home_blocks, "services.popular");
        let home = public.get("/").await;
        assert!(home.text.contains("热门办事事项") && !home.text.contains("本年来信"), "the page follows the choice");
        // An unknown block: refused by name, the form keeps what was typed.
        fields.pop();
        fields.push(("home_blocks", "letters.nonexistent"));
        let r = admin.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("没有名为“letters.nonexistent”的首页模块"), "{}", r.text);
    };

    // 信息发布指标: a department's yearly target, set in the statistics page or through the API,
    // shows beside its published count; a bad year, number or department is named.
    publishing_targets_are_set_by_form_and_api => |app: TestApp| async move {
        demo(&app).await;
        let orgs = platform::accounts::list_orgs(&app.db).await.unwrap();
        let kjj = orgs.iter().find(|o| o.name == "哈尔滨市科学技术局").unwrap().code.clone();
        let mut admin = login(&app, "siteadmin").await;
        let res = admin.post_form("/admin/cms/stats/quota", &[("year", "2026"), ("org_code", &kjj), ("target", "120")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let page = admin.get("/admin/cms/stats?year=2026").await;
        assert!(page.text.contains("<td>120</td>"), "{}", page.text);
        let token = app.token("siteadmin").await;
        let c = &mut admin;
        let res = c.api("PUT", "/api/v1/publishing-quotas", &token, Some(json!({"year": 2026, "org_code": kjj, "target": 150}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(c.get("/admin/cms/stats?year=2026").await.text.contains("<td>150</td>"));
        let bad = c.api("PUT", "/api/v1/publishing-quotas", &token, Some(json!({"year": 1999, "org_code": "NOPE", "target": -1}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("年份不正确"), "{}", bad.text);
        let res = c.post_form("/admin/cms/stats/quota", &[("year", "2026"), ("org_code", &kjj), ("target", "很多")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let editor = app.token("editor").await;
        assert_eq!(c.api("PUT", "/api/v1/publishing-quotas", &editor, Some(json!({"year": 2026, "org_code": kjj, "target": 1}))).await.status, StatusCode::FORBIDDEN);
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'quota.set'")).await.unwrap();
        assert_eq!(audited, 2);
    };

    editor_department_office_publish_then_withdraw_everywhere => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let title = "市科技局召开2026年科技项目网上申报工作部署会";
        let mut public = app.client();
        // Warm the cache with the pages that will change.
        for p in ["/", &format!("/c/{bmdt}/"), &format!("/c/{bmdt}/rss.xml"), "/sitemap.xml"] {
            assert_eq!(public.get(p).await.status, StatusCode::OK, "{p}");
        }
        let mut ed = login(&app, "editor").await;
        let id = write_article(&mut ed, bmdt, title, "<p>会议要求各处室按时完成申报受理。</p>").await;
        assert_eq!(act(&mut ed, id, "submit", "").await.status, StatusCode::SEE_OTHER);
        // The editor cannot approve; the office reviewer cannot skip the department step's reviewer
        // rules, and nothing is public yet.
        assert_eq!(act(&mut ed, id, "approve", "").await.status, StatusCode::FORBIDDEN);
        assert_eq!(public.get(&format!("/a/{id}.html")).await.status, StatusCode::NOT_FOUND);
        let mut dept = login(&app, "reviewer_dept").await;
        let queue = dept.get("/admin/cms/review").await;
        assert!(queue.text.contains(title), "department queue lists it");
        assert_eq!(act(&mut dept, id, "approve", "同意").await.status, StatusCode::SEE_OTHER);
        // The department reviewer holds no site grant: the office step is not theirs.
        assert_eq!(act(&mut dept, id, "approve", "").await.status, StatusCode::FORBIDDEN);
        assert!(!public.get("/").await.text.contains(title));
        let mut office = login(&app, "reviewer_office").await;
        assert!(office.get("/admin/cms/review").await.text.contains(title));
        let res = act(&mut office, id, "approve", "同意发布").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        // Visible at once (the publishing request invalidated exactly these cached pages).
        let started = std::time::Instant::now();
        assert!(public.get("/").await.text.contains(title), "home page");
        assert!(public.get(&format!("/c/{bmdt}/")).await.text.contains(title), "channel list");
        assert!(public.get(&format!("/c/{bmdt}/rss.xml")).await.text.contains(title), "feed");
        assert!(public.get("/sitemap.xml").await.text.contains(&format!("/a/{id}.html")), "sitemap");
        let page = public.get(&format!("/a/{id}.html")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(r#"<meta name="ArticleTitle" content="市科技局召开2026年科技项目网上申报工作部署会">"#));
        assert!(started.elapsed().as_millis() < 1000);
        // The history records every step with who and when.
        let events = cms::store::events(&app.db, id).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["create", "submit", "approve", "approve"]);
        assert_eq!(events[2].actor, "reviewer_dept");
        assert_eq!(events[3].actor, "reviewer_office");
        // Withdrawal needs a reason, then removes it from every page and feed.
        let mut admin = login(&app, "siteadmin").await;
        let res = act(&mut admin, id, "withdraw", "").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("需要填写意见或理由"));
        assert_eq!(act(&mut admin, id, "withdraw", "数据有误，撤回核实").await.status, StatusCode::SEE_OTHER);
        assert_eq!(public.get(&format!("/a/{id}.html")).await.status, StatusCode::NOT_FOUND);
        assert!(!public.get("/").await.text.contains(title));
        assert!(!public.get(&format!("/c/{bmdt}/")).await.text.contains(title));
        assert!(!public.get(&format!("/c/{bmdt}/rss.xml")).await.text.contains(title));
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE target = $1").bind(format!("article:{id}"))).await.unwrap();
        assert!(audited >= 5, "create, submit, approve ×2, withdraw audited: {audited}");
    };

    a_revised_article_stays_live_until_the_revision_is_approved => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let id = publish(&app, bmdt, "原标题：科技成果转化工作推进会召开").await;
        let mut ed = login(&app, "editor").await;
        let form = ed.get(&format!("/admin/cms/articles/{id}/edit")).await;
        let base = form.text.split("name=\"base_revision\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
        let res = ed.post_form(&format!("/admin/cms/articles/{id}/edit"), &[("title", "新标题：科技成果转化工作推进会召开"), ("body", "<p>修改后的正文。</p>"), ("base_revision", &base)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let mut public = app.client();
        let page = public.get(&format!("/a/{id}.html")).await;
        assert!(page.text.contains("原标题") && !page.text.contains("新标题"), "old version stays live during review");
        assert_eq!(act(&mut ed, id, "submit", "").await.status, StatusCode::SEE_OTHER);
        // Reject returns it to the author with the comment.
        let mut dept = login(&app, "reviewer_dept").await;
        assert_eq!(act(&mut dept, id, "reject", "").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(act(&mut dept, id, "reject", "标题请写明会议时间").await.status, StatusCode::SEE_OTHER);
        let mine = ed.get("/admin/cms/articles?mine=1").await;
        assert!(mine.text.contains("已退回"));
        assert!(ed.get(&format!("/admin/cms/articles/{id}")).await.text.contains("标题请写明会议时间"));
        assert!(public.get(&format!("/a/{id}.html")).await.text.contains("原标题"));
        assert_eq!(act(&mut ed, id, "submit", "").await.status, StatusCode::SEE_OTHER);
        assert_eq!(act(&mut dept, id, "approve", "").await.status, StatusCode::SEE_OTHER);
        let mut office = login(&app, "reviewer_office").await;
        assert_eq!(act(&mut office, id, "approve", "").await.status, StatusCode::SEE_OTHER);
        let page = public.get(&format!("/a/{id}.html")).await;
        assert!(page.text.contains("新标题") && page.text.contains("修改后的正文"), "approved revision is live");
        // Compare and restore.
        let revs = cms::store::revisions(&app.db, id).await.unwrap();
        assert_eq!(revs.len(), 2);
        let cmp = ed.get(&format!("/admin/cms/articles/{id}/compare?a={}&b={}", revs[1].id, revs[0].id)).await;
        assert!(cmp.text.contains("原标题") && cmp.text.contains("新标题"));
        let res = ed.post_form(&format!("/admin/cms/articles/{id}/restore/{}", revs[1].id), &[]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(cms::store::revisions(&app.db, id).await.unwrap().len(), 3, "restore adds a revision, history is kept");
        let tok = app.token("editor").await;
        let res = ed.api("POST", &format!("/api/v1/articles/{id}/revisions/{}/actions/restore", revs[0].id), &tok, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(cms::store::revisions(&app.db, id).await.unwrap().len(), 4, "the API restores the same way");
    };

    api_state_machine_refuses_illegal_and_unpermitted_actions => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let ed = app.token("editor").await;
        let dept = app.token("reviewer_dept").await;
        let mut c = app.client();
        let res = c.api("POST", "/api/v1/articles", &ed, Some(json!({"channel_id": bmdt, "title": "", "body": ""}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, vec!["title", "body"]);
        let res = c.api("POST", "/api/v1/articles", &ed, Some(json!({"channel_id": bmdt, "title": "关于开展安全生产检查的通知", "body": "<p>各单位：</p>"}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let id = res.json()["id"].as_i64().unwrap();
        assert_eq!(res.json()["state"], "draft");
        assert_eq!(res.json()["actions"], json!(["save", "submit"]));
        // Approving a draft: the state forbids it (409) for a reviewer; the role forbids it (403) for the editor.
        let res = c.api("POST", &format!("/api/v1/articles/{id}/actions/approve"), &dept, None).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        assert!(res.json()["detail"].as_str().unwrap().contains("不能执行"));
        let res = c.api("POST", &format!("/api/v1/articles/{id}/actions/approve"), &ed, None).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = c.api("POST", &format!("/api/v1/articles/{id}/actions/fly"), &ed, None).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        let res = c.api("POST", &format!("/api/v1/articles/{id}/actions/submit"), &ed, Some(json!({"comment": "请审核"}))).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json()["review_state"], "in_review");
        let res = c.api("GET", &format!("/api/v1/articles/{id}"), &dept, None).await;
        assert_eq!(res.json()["actions"], json!(["approve", "reject"]));
        assert_eq!(res.json()["history"].as_array().unwrap().len(), 2);
        // Another site's editor cannot see or touch it.
        let other = app.token("daoli_editor").await;
        assert_eq!(c.api("GET", &format!("/api/v1/articles/{id}"), &other, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("POST", &format!("/api/v1/articles/{id}/actions/withdraw"), &other, Some(json!({"comment": "x"}))).await.status, StatusCode::FORBIDDEN);
        let q = c.api("GET", "/api/v1/review-queue", &dept, None).await;
        assert!(q.json()["items"].as_array().unwrap().iter().any(|i| i["id"] == id));
    };

    scheduled_publication_runs_when_due => |app: TestApp| async move {
        demo(&app).await;
        let tzgg = channel_id(&app, "hrb", "tzgg").await;
        let mut ed = login(&app, "editor").await;
        let res = ed.post_form("/admin/cms/articles/new", &[("channel_id", &tzgg.to_string()), ("title", "关于元旦放假安排的通知"), ("body", "<p>元旦放假一天。</p>"), ("scheduled_at", "2099-12-31T09:00")]).await;
        let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();
        act(&mut ed, id, "submit", "").await;
        act(&mut login(&app, "reviewer_office").await, id, "approve", "").await;
        act(&mut login(&app, "siteadmin").await, id, "approve", "").await;
        let a = cms::store::article(&app.db, id).await.unwrap().unwrap();
        assert_eq!((a.state.as_str(), a.review_state.as_str()), ("scheduled", "approved"));
        assert_eq!(app.client().get(&format!("/a/{id}.html")).await.status, StatusCode::NOT_FOUND);
        // Not yet due: nothing happens. Due: published, also after a restart (state is in the DB).
        cms::service::run_schedule(&app.state, &app.cms).await;
        assert_eq!(cms::store::article(&app.db, id).await.unwrap().unwrap().state, "scheduled");
        app.db.execute(platform::db::sql("UPDATE article SET scheduled_at = $1 WHERE id = $2").bind(platform::db::now() - 1).bind(id)).await.unwrap();
        cms::service::run_schedule(&app.state, &app.cms).await;
        assert_eq!(cms::store::article(&app.db, id).await.unwrap().unwrap().state, "published");
        assert!(app.client().get(&format!("/c/{tzgg}/")).await.text.contains("关于元旦放假安排的通知"));
    };

    concurrent_edits_warn_and_never_overwrite => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let mut a = login(&app, "editor").await;
        let id = write_article(&mut a, bmdt, "市政务服务中心推进一网通办", "<p>初稿</p>").await;
        let mut b = login(&app, "siteadmin").await;
        let fa = a.get(&format!("/admin/cms/articles/{id}/edit")).await;
        let fb = b.get(&format!("/admin/cms/articles/{id}/edit")).await;
        assert!(fb.text.contains("打开了本信息的编辑页面"), "the second editor is warned");
        let base = |t: &str| t.split("name=\"base_revision\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
        let (ba, bb) = (base(&fa.text), base(&fb.text));
        assert_eq!(a.post_form(&format!("/admin/cms/articles/{id}/edit"), &[("title", "甲的修改"), ("body", "<p>甲</p>"), ("base_revision", &ba)]).await.status, StatusCode::SEE_OTHER);
        let res = b.post_form(&format!("/admin/cms/articles/{id}/edit"), &[("title", "乙的修改"), ("body", "<p>乙</p>"), ("base_revision", &bb)]).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.text.contains("保存了新版本") && res.text.contains("乙的修改"), "warned, and the typed text is kept");
        let latest = cms::store::latest_fields(&app.db, &cms::store::article(&app.db, id).await.unwrap().unwrap()).await.unwrap();
        assert_eq!(latest.title, "甲的修改");
    };

    bodies_are_sanitised_and_reposts_need_a_source => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let mut ed = login(&app, "editor").await;
        let res = ed.post_form("/admin/cms/articles/new", &[("channel_id", &bmdt.to_string()), ("title", "转载稿"), ("body", "<p>正文</p>"), ("is_repost", "true")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("转载的信息必须注明来源") && res.text.contains("value=\"转载稿\""));
        let id = publish(&app, bmdt, "<script>alert(1)</script>标题").await;
        let _ = id;
        let mut ed = login(&app, "editor").await;
        let id2 = write_article(&mut ed, bmdt, "正文安全检查", r#"<p onclick="x()">内容<script>steal()</script><a href="javascript:alert(1)">链接</a></p><p class="MsoNormal" style="mso-x:1">公文<o:p></o:p></p>"#).await;
        let a = cms::store::article(&app.db, id2).await.unwrap().unwrap();
        let f = cms::store::latest_fields(&app.db, &a).await.unwrap();
        assert!(!f.body.contains("script") && !f.body.contains("onclick") && !f.body.contains("javascript") && !f.body.contains("Mso"), "{}", f.body);
        let home = app.client().get("/").await;
        assert!(!home.text.contains("<script>alert(1)</script>") && home.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;标题"), "titles are escaped");
        // A pasted image (data URI) is stored as a file with sized renditions offered via srcset.
        use base64::Engine;
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(1200, 600, image::Rgb([20, 80, 160])).write_to(&mut png, image::ImageFormat::Png).unwrap();
        let data = base64::engine::general_purpose::STANDARD.encode(png.get_ref());
        let mut ed = login(&app, "editor").await;
        let id3 = write_article(&mut ed, bmdt, "图片新闻：松花江畔冰雪季开幕", &format!(r#"<p>开幕式现场。</p><p><img src="data:image/png;base64,{data}" alt="开幕式"></p>"#)).await;
        act(&mut ed, id3, "submit", "").await;
        act(&mut login(&app, "reviewer_dept").await, id3, "approve", "").await;
        act(&mut login(&app, "reviewer_office").await, id3, "approve", "").await;
        let page = app.client().get(&format!("/a/{id3}.html")).await;
        assert!(!page.text.contains("data:image"), "no data URI reaches the page");
        assert!(page.text.contains("srcset=") && page.text.contains("-w320.png 320w") && page.text.contains(" 1200w"), "{}", page.text);
        let small = page.text.split("srcset=\"").nth(1).and_then(|s| s.split(' ').next()).unwrap().to_owned();
        let img = app.client().get(&small).await;
        assert_eq!(img.status, StatusCode::OK);
        assert_eq!(image::load_from_memory(&img.bytes).unwrap().width(), 320);
    };

    placement_on_another_site_and_withdrawal_everywhere => |app: TestApp| async move {
        demo(&app).await;
        let kjj_yw = channel_id(&app, "kjj", "yw").await;
        let hrb_bmdt = channel_id(&app, "hrb", "bmdt").await;
        let id = publish(&app, kjj_yw, "市科技局：高新技术企业认定工作启动").await;
        let mut public = app.client();
        assert!(public.get("/kjj/").await.text.contains("高新技术企业认定工作启动"));
        assert_eq!(public.get(&format!("/a/{id}.html")).await.status, StatusCode::NOT_FOUND, "not on the city portal yet");
        let mut office = login(&app, "reviewer_office").await;
        let _ = &mut office;
        let mut ed = login(&app, "editor").await;
        let res = ed.post_form(&format!("/admin/cms/articles/{id}/place"), &[("channel_id", &hrb_bmdt.to_string())]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert!(public.get(&format!("/c/{hrb_bmdt}/")).await.text.contains("高新技术企业认定工作启动"));
        let on_portal = public.get(&format!("/a/{id}.html")).await;
        assert!(on_portal.text.contains("哈尔滨市人民政府") && on_portal.text.contains("部门动态"), "shown in the portal's own look");
        // Taken back and pushed again through the API.
        let tok = app.token("editor").await;
        let res = ed.api("DELETE", &format!("/api/v1/articles/{id}/placements/{hrb_bmdt}"), &tok, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(!public.get(&format!("/c/{hrb_bmdt}/")).await.text.contains("高新技术企业认定工作启动"));
        let res = ed.api("POST", &format!("/api/v1/articles/{id}/placements"), &tok, Some(json!({"channel_id": hrb_bmdt}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(public.get(&format!("/c/{hrb_bmdt}/")).await.text.contains("高新技术企业认定工作启动"));
        act(&mut login(&app, "siteadmin").await, id, "withdraw", "重复发布").await;
        assert!(!public.get(&format!("/c/{hrb_bmdt}/")).await.text.contains("高新技术企业认定工作启动"));
        assert!(!public.get("/kjj/").await.text.contains("高新技术企业认定工作启动"));
        // A department editor of another site cannot push into the portal.
        let mut dl = login(&app, "daoli_editor").await;
        let res = dl.post_form(&format!("/admin/cms/articles/{id}/place"), &[("channel_id", &hrb_bmdt.to_string())]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    };

    site_template_overrides_are_checked_versioned_and_sandboxed => |app: TestApp| async move {
        demo(&app).await;
        let site = cms::store::site_by_code(&app.db, "kjj").await.unwrap().unwrap();
        let mut admin = login(&app, "siteadmin").await;
        let url = format!("/admin/cms/sites/{}/templates/home.html", site.id);
        let res = admin.post_form(&url, &[("source", "{% extends \"layout.html\" %}\n{% block content %}\n{{ broken( }}\n{% endblock %}"), ("op", "save")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("第 3 行"), "{}", res.text);
        assert!(res.text.contains("broken("), "typed source is kept");
        let runaway = "{% extends \"layout.html\" %}{% block content %}{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}{% endblock %}";
        let res = admin.post_form(&url, &[("source", runaway), ("op", "save")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "runaway loop refused by the fuel limit");
        let good = "{% extends \"layout.html\" %}{% block content %}<h1>科技局首页（定制版）</h1>{% endblock %}";
        let res = admin.post_form(&url, &[("source", good), ("op", "preview")]).await;
        assert!(res.text.contains("科技局首页（定制版）"));
        assert!(!app.client().get("/kjj/").await.text.contains("定制版"), "preview does not publish");
        let res = admin.post_form(&url, &[("source", good), ("op", "save")]).await;
        assert!(res.text.contains("已保存为第 1 版"));
        assert!(app.client().get("/kjj/").await.text.contains("科技局首页（定制版）"));
        assert!(!app.client().get("/").await.text.contains("定制版"), "other sites unaffected");
        // An editor cannot change templates.
        assert_eq!(login(&app, "editor").await.get(&url).await.status, StatusCode::FORBIDDEN);
        // The same through the API: checked before saving, versioned, restorable; editors refused.
        let (tok, ed_tok) = (app.token("siteadmin").await, app.token("editor").await);
        let api = format!("/api/v1/sites/{}/templates/home.html", site.id);
        let mut c = app.client();
        let r = c.api("PUT", &api, &tok, Some(json!({"source": "{% extends \"layout.html\" %}{{ broken( }}"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], "source");
        let second = "{% extends \"layout.html\" %}{% block content %}<h1>科技局首页（第二版）</h1>{% endblock %}";
        let r = c.api("PUT", &api, &tok, Some(json!({"source": second}))).await;
        assert_eq!((r.status, r.json()["version"].as_i64()), (StatusCode::OK, Some(2)), "{}", r.text);
        assert!(app.client().get("/kjj/").await.text.contains("第二版"));
        assert_eq!(c.api("PUT", &api, &ed_tok, Some(json!({"source": second}))).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("PUT", &format!("/api/v1/sites/{}/templates/nope.html", site.id), &tok, Some(json!({"source": second}))).await.status, StatusCode::NOT_FOUND);
        let r = c.api("POST", &format!("{api}/versions/1/actions/restore"), &tok, None).await;
        assert_eq!((r.status, r.json()["version"].as_i64()), (StatusCode::OK, Some(3)), "{}", r.text);
        assert!(app.client().get("/kjj/").await.text.contains("定制版"), "version 1 is back");
        assert_eq!(c.api("POST", &format!("{api}/versions/99/actions/restore"), &tok, None).await.status, StatusCode::NOT_FOUND);
    };

    demo_accounts_are_scoped_and_the_command_line_scopes_grants => |app: TestApp| async move {
        demo(&app).await;
        use platform::roles::{Role, ScopeKind};
        let grants = platform::accounts::all_grants(&app.db).await.unwrap();
        let users = platform::accounts::list_users(&app.db, "", 1000, 0).await.unwrap().0;
        for u in &users {
            for g in grants.iter().filter(|g| g.user_id == u.id).filter_map(|g| g.grant()) {
                // Roles that exist only platform-wide (the three administrators, the 督查室 and
                // deputies, whose reach is decided per item) and the demo's site administrator.
                let may_be_global = g.role.allowed_scopes() == [ScopeKind::Global] || g.role == Role::SiteAdmin;
                assert!(may_be_global || g.scope != ScopeKind::Global, "{} holds a global {:?}", u.username, g.role);
            }
        }
        // The science bureau's handler cannot open a letter of another unit.
        let orgs = platform::accounts::list_orgs(&app.db).await.unwrap();
        let kjj_org = orgs.iter().find(|o| o.name == "哈尔滨市科学技术局").unwrap();
        let (kjj, kjj_code) = (kjj_org.id, kjj_org.code.clone());
        let daoli = orgs.iter().find(|o| o.name == "道里区政府办公室").unwrap().id;
        let other: i64 = app.db.count(platform::db::sql("SELECT MIN(id) FROM letter WHERE unit_id = $1").bind(daoli)).await.unwrap();
        assert!(other > 0, "the demo assigns letters to several units");
        let token = app.token("handler").await;
        let r = app.client().api("GET", &format!("/api/v1/letters/{other}"), &token, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // `zhengwu user create --role … [--scope …]` never makes an accidental global grant.
        let g = zhengwu::cli::grant_for(&app.db, Role::Handler, None, Some(&kjj_code)).await.unwrap();
        assert_eq!((g.scope, g.scope_id), (ScopeKind::Org, kjj));
        assert!(zhengwu::cli::grant_for(&app.db, Role::Handler, None, None).await.unwrap_err().to_string().contains("--scope"));
        let site = cms::store::site_by_code(&app.db, "kjj").await.unwrap().unwrap().id;
        let g = zhengwu::cli::grant_for(&app.db, Role::Editor, Some("site:kjj"), Some(&kjj_code)).await.unwrap();
        assert_eq!((g.scope, g.scope_id), (ScopeKind::Site, site));
        assert_eq!(zhengwu::cli::grant_for(&app.db, Role::Auditor, None, None).await.unwrap().scope, ScopeKind::Global);
        assert!(zhengwu::cli::grant_for(&app.db, Role::Leader, Some("site:nope"), None).await.is_err());
    };

    backup_then_restore_gives_identical_content => |app: TestApp| async move {
        demo(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("zhengwu-backup.db");
        zhengwu::backup::backup(&app.db, &app.state.config, &file).await.unwrap();
        assert!(zhengwu::backup::backup(&app.db, &app.state.config, &file).await.is_err(), "never overwrites a backup");
        let (config, guard) = app.scratch_config().await;
        zhengwu::backup::restore(&config, &file).await.unwrap();
        assert!(zhengwu::backup::restore(&config, &file).await.unwrap_err().to_string().contains("恢复只写入空"), "never restores over data");
        let restored = zhengwu::open_db(&config).await.unwrap();
        #[derive(sqlx::FromRow, PartialEq, Debug)]
        struct Row { id: i64, a: String, b: String }
        let fingerprints = [
            "SELECT id, title AS a, body AS b FROM article ORDER BY id",
            "SELECT id, no AS a, content AS b FROM letter ORDER BY id",
            "SELECT id, username AS a, password_hash AS b FROM app_user ORDER BY id",
            "SELECT seq AS id, action AS a, hash AS b FROM audit_log ORDER BY seq",
            "SELECT id, code AS a, name AS b FROM service_item ORDER BY id",
        ];
        for q in fingerprints {
            let before: Vec<Row> = app.db.fetch_all(platform::db::sql(q)).await.unwrap();
            let after: Vec<Row> = restored.fetch_all(platform::db::sql(q)).await.unwrap();
            assert!(!before.is_empty(), "{q}");
            assert_eq!(before, after, "{q}");
        }
        let report = platform::audit::verify(&restored, &app.state.audit_key.key, |_, _| {}).await.unwrap();
        assert!(report.first_broken.is_none() && report.checked > 0, "the restored audit chain verifies");
        restored.close().await;
        guard.drop_database().await;
    };

    every_page_type_carries_the_security_headers => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let article: i64 = app.db.count(platform::db::sql("SELECT MIN(article_id) FROM placement WHERE channel_id = $1 AND live = TRUE").bind(bmdt)).await.unwrap();
        let mut c = app.client();
        let public = ["/".to_owned(), "/".to_owned(), format!("/c/{bmdt}/"), format!("/a/{article}.html"), "/hudong/".into(), "/hudong/szxx/write".into(), "/banshi/".into(), "/search?q=%E7%A7%91%E6%8A%80".into(), "/no-such-page".into()];
        for p in &public {
            let r = c.get(p).await;
            let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            assert!(h("content-security-policy").contains("script-src 'none'") && h("content-security-policy").contains("frame-ancestors 'self'"), "{p}: {:?}", r.headers);
            assert_eq!((h("x-content-type-options").as_str(), h("x-frame-options").as_str()), ("nosniff", "SAMEORIGIN"), "{p}");
            assert_eq!(h("referrer-policy"), "strict-origin-when-cross-origin", "{p}");
        }
        let mut ed = login(&app, "editor").await;
        for p in ["/admin", "/admin/cms/articles", "/admin/login"] {
            let r = ed.get(p).await;
            let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            assert!(h("content-security-policy").contains("script-src 'self'"), "{p}");
            assert_eq!(h("cache-control"), "no-store", "{p}: personal data stays out of caches");
            assert_eq!(h("x-frame-options"), "SAMEORIGIN", "{p}");
        }
        let token = app.token("editor").await;
        let r = app.client().api("GET", "/api/v1/me", &token, None).await;
        assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
        assert_eq!(r.headers.get("x-frame-options").unwrap(), "DENY");
    };

    forged_host_headers_never_reach_other_visitors_and_cached_pages_set_no_cookies => |app: TestApp| async move {
        demo(&app).await;
        let mut attacker = app.client();
        for path in ["/robots.txt", "/sitemap.xml", "/"] {
            let req = Request::get(path).header(header::HOST, "evil.example").body(Body::empty()).unwrap();
            assert_eq!(attacker.send(req).await.status, StatusCode::OK);
        }
        let mut visitor = app.client();
        for path in ["/robots.txt", "/sitemap.xml", "/"] {
            let page = visitor.get(path).await;
            assert!(!page.text.contains("evil.example"), "{path} carries a forged host");
            assert!(page.text.contains("portal.test"), "{path} names the visitor's host");
        }
        // A Host with markup in it is not echoed anywhere.
        let req = Request::get("/robots.txt").header(header::HOST, "a\"b<c").body(Body::empty()).unwrap();
        let odd = attacker.send(req).await;
        assert!(!odd.text.contains('<') && odd.text.contains("http://localhost/"), "{}", odd.text);
        // The second visitor of a page gets it from the cache: no cookie, so shared caches may keep it.
        app.client().get("/c/2/").await;
        let cached = app.client().get("/c/2/").await;
        assert_eq!(cached.status, StatusCode::OK);
        assert!(cached.headers.get(header::SET_COOKIE).is_none());
        assert!(cached.headers.get(header::ETAG).is_some() && cached.headers.get(header::LAST_MODIFIED).is_some());
    };

    reading_variants_metadata_and_conditional_requests => |app: TestApp| async move {
        demo(&app).await;
        let mut c = app.client();
        let home = c.get("/").await;
        for tag in ["SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnType", "ArticleTitle", "PubDate", "ContentSource", "Keywords", "Author", "Description", "Url"] {
            assert!(home.text.contains(&format!("<meta name=\"{tag}\"")), "{tag}");
        }
        assert!(home.text.contains("主办单位") && home.text.contains("网站标识码：2301000001") && home.text.contains("黑ICP备") && home.text.contains("网站纠错"));
        let etag = home.headers.get(header::ETAG).unwrap().to_str().unwrap().to_owned();
        let req = Request::get("/").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
        assert_eq!(c.send(req).await.status, StatusCode::NOT_MODIFIED);
        let trad = c.get("/?script=hant").await;
        assert!(trad.text.contains("哈爾濱市人民政府") && trad.text.contains("lang=\"zh-TW\""), "traditional view");
        let again = c.get("/c/2/").await;
        assert!(again.text.contains("lang=\"zh-TW\""), "the choice is remembered");
        c.get("/?script=hans").await;
        let elder = c.get("/?elder=1").await;
        assert!(elder.text.contains("class=\"elder\""));
        assert!(c.get("/nothing/here").await.status == StatusCode::NOT_FOUND);
        let robots = c.get("/robots.txt").await;
        assert!(robots.text.contains("Sitemap:") && robots.text.contains("Disallow: /admin"));
    };

    attachments_upload_check_and_count_downloads => |app: TestApp| async move {
        demo(&app).await;
        let bgxz = channel_id(&app, "hrb", "bgxz").await;
        let id = publish(&app, bgxz, "高新技术企业认定申请表").await;
        let mut ed = login(&app, "editor").await;
        let token = ed.csrf().await;
        let path = format!("/admin/cms/articles/{id}/attachments");
        let res = ed.post_multipart(&path, &[("_csrf", &token)], &[("file", "病毒.exe", b"MZ\x90\x00")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("不支持上传 .exe"));
        let res = ed.post_multipart(&path, &[("_csrf", &token)], &[("file", "伪装.pdf", b"<html>")]).await;
        assert!(res.text.contains("不符"));
        let res = ed.post_multipart(&path, &[("_csrf", &token)], &[("file", "申请表.pdf", b"%PDF-1.4\n%demo\n")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let att = cms::store::attachments(&app.db, id).await.unwrap();
        assert_eq!(att.len(), 1);
        let mut public = app.client();
        let page = public.get(&format!("/a/{id}.html")).await;
        assert!(page.text.contains("申请表.pdf"), "listed on the page");
        let dl = public.get(&format!("/files/{}/x", att[0].id)).await;
        assert_eq!(dl.status, StatusCode::OK);
        assert!(dl.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
        assert!(dl.bytes.starts_with(b"%PDF"));
        assert_eq!(cms::store::attachment(&app.db, att[0].id).await.unwrap().unwrap().downloads, 1);
        // The API attaches a file sent as the body, checks it the same way, and deletes it.
        let tok = app.token("editor").await;
        let upload = |name: &str, bytes: &'static [u8]| {
            axum::http::Request::post(format!("/api/v1/articles/{id}/attachments?name={}", urlencoding(name)))
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .body(axum::body::Body::from(bytes))
                .unwrap()
        };
        let r = public.send(upload("伪装.pdf", b"<html>")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("不符"), "{}", r.text);
        let r = public.send(upload("办事指南.pdf", b"%PDF-1.4\n%api\n")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let aid = r.json()["id"].as_i64().unwrap();
        assert!(app.client().get(&format!("/a/{id}.html")).await.text.contains("办事指南.pdf"));
        let r = public.api("DELETE", &format!("/api/v1/attachments/{aid}"), &tok, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(cms::store::attachments(&app.db, id).await.unwrap().len(), 1);
        assert_eq!(public.api("DELETE", &format!("/api/v1/attachments/{aid}"), &tok, None).await.status, StatusCode::NOT_FOUND);
    };

    an_editor_lists_what_they_may_edit_and_a_refusal_keeps_the_menu => |app: TestApp| async move {
        demo(&app).await;
        let sites = |code: &'static str| platform::db::sql("SELECT id FROM site WHERE code = $1").bind(code);
        let daoli = app.db.fetch_one::<platform::db::Scalar<i64>>(sites("daoli")).await.unwrap().0;
        let in_daoli = app.db.count(platform::db::sql("SELECT COUNT(*) FROM article WHERE site_id = $1").bind(daoli)).await.unwrap();
        assert!(in_daoli > 0, "the demo has district articles");
        // 李明 edits the city portal and the science bureau's site: the district's articles are not his.
        let tok = app.token("editor").await;
        let mut api = app.client();
        let mut seen = 0;
        for page in 1..=20 {
            let res = api.api("GET", &format!("/api/v1/articles?page={page}"), &tok, None).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let items = res.json()["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            seen += items.len();
            assert!(items.iter().all(|a| a["site_id"] != daoli), "no district article in the editor's list");
        }
        assert!(seen > 0);
        let total = api.api("GET", "/api/v1/articles", &tok, None).await.json()["total"].as_i64().unwrap();
        let all = app.db.count(platform::db::sql("SELECT COUNT(*) FROM article")).await.unwrap();
        assert!(total > 0 && total <= all - in_daoli, "{total} of {all}");
        // Opening a district article: 403 inside the back-office frame, saying what to do.
        let other = app.db.fetch_one::<platform::db::Scalar<i64>>(platform::db::sql("SELECT MIN(id) FROM article WHERE site_id = $1").bind(daoli)).await.unwrap().0;
        let mut ed = login(&app, "editor").await;
        let page = ed.get(&format!("/admin/cms/articles/{other}")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.text.contains("后台菜单") && page.text.contains("信息管理") && page.text.contains("安全管理员授权"), "{}", page.text);
        // A page that does not exist: 404 in the frame too; signed out, the plain page.
        let missing = ed.get("/admin/cms/articles/99999999").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text.contains("后台菜单") && missing.text.contains("返回工作台"), "{}", missing.text);
    };

    grants_name_their_sites_and_roles_in_words => |app: TestApp| async move {
        demo(&app).await;
        let editor = platform::accounts::user_by_name(&app.db, "editor").await.unwrap().unwrap().id;
        let mut sec = login(&app, "secadmin").await;
        for page in [format!("/admin/grants/{editor}"), "/admin/grants".to_owned()] {
            let res = sec.get(&page).await;
            assert_eq!(res.status, StatusCode::OK, "{page}");
            assert!(res.text.contains("站点：哈尔滨市人民政府") && !res.text.contains("：#"), "{page}: {}", res.text);
        }
        let form = sec.get(&format!("/admin/grants/{editor}")).await;
        assert!(!form.text.contains("（site_admin）") && form.text.contains(">站点管理员<"), "roles without codes: {}", form.text);
    };

    the_cover_is_picked_from_the_bodys_images_without_scripts => |app: TestApp| async move {
        demo(&app).await;
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let mut ed = login(&app, "editor").await;
        // A pasted picture arrives as a data URI; the editor picks it as the cover by its place.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGO4oKCAFTEMLQkAvk5EAfjoixEAAAAASUVORK5CYII=";
        let body = format!(r#"<p>清雪现场。</p><p><img src="https://img.example.gov.cn/a.jpg" alt="远图"><img src="data:image/png;base64,{png}" alt="现场"></p>"#);
        let res = ed
            .post_form(
                "/admin/cms/articles/new",
                &[("channel_id", &bmdt.to_string()), ("title", "我市连夜清雪保障市民出行"), ("body", &body), ("cover", ""), ("cover_pick", "2")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();
        assert!(ed.get(&res.location()).await.text.contains(r#"<p class="notice" role="status">已创建</p>"#));
        assert!(!ed.get(&format!("/admin/cms/articles/{id}?ok=%3Cb%3E")).await.text.contains(r#"class="notice""#), "only fixed messages");
        let a = cms::store::article(&app.db, id).await.unwrap().unwrap();
        let f = cms::store::latest_fields(&app.db, &a).await.unwrap();
        assert!(f.cover.starts_with("/files/inline/") && f.body.contains(&f.cover), "cover {} body {}", f.cover, f.body);
        // Editing offers both images, the chosen one checked; a typed address still works.
        let page = ed.get(&format!("/admin/cms/articles/{id}/edit")).await;
        assert!(page.text.contains("从正文图片中选择封面") && page.text.contains(r#"value="2" checked"#), "{}", page.text);
        assert!(page.text.contains(r#"name="cover_pick" value="1""#));
    };

    staff_preview_their_drafts_attachments_the_public_does_not => |app: TestApp| async move {
        demo(&app).await;
        let bgxz = channel_id(&app, "hrb", "bgxz").await;
        let mut ed = login(&app, "editor").await;
        let id = write_article(&mut ed, bgxz, "科技型中小企业评价申请表（征求意见稿）", "<p>附件见下。</p>").await;
        let token = ed.csrf().await;
        let res = ed.post_multipart(&format!("/admin/cms/articles/{id}/attachments"), &[("_csrf", &token)], &[("file", "申请表.pdf", b"%PDF-1.4\n%draft\n")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        // Saving and uploading say so, in the one message place of the back office.
        assert!(ed.get(&res.location()).await.text.contains(r#"<p class="notice" role="status">附件已上传</p>"#));
        let att = cms::store::attachments(&app.db, id).await.unwrap()[0].id;
        let url = format!("/files/{att}/x");
        // The editor's preview and the reviewers' screen link it: they see it, privately, audited.
        let own = ed.get(&url).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.text);
        assert!(own.bytes.starts_with(b"%PDF"));
        assert_eq!(own.headers[header::CACHE_CONTROL], "private, no-store");
        let mut reviewer = login(&app, "reviewer_office").await;
        assert_eq!(reviewer.get(&url).await.status, StatusCode::OK);
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.preview'")).await.unwrap();
        assert!(audited >= 2, "{audited}");
        assert_eq!(cms::store::attachment(&app.db, att).await.unwrap().unwrap().downloads, 0, "previews are not downloads");
        // Visitors and staff without access to the article get the public 404.
        assert_eq!(app.client().get(&url).await.status, StatusCode::NOT_FOUND);
        let mut other_site = login(&app, "daoli_editor").await;
        assert_eq!(other_site.get(&url).await.status, StatusCode::NOT_FOUND);
    };

    a_second_node_follows_publications_within_a_second => |app: TestApp| async move {
        demo(&app).await;
        // Node A runs its background jobs like a server; node B shares the database and the data
        // directory (file store and search index, read-only on B), with its own cache and jobs.
        platform::module::Module::spawn_jobs(app.cms.clone(), app.state.clone());
        let b = zhengwu::build(app.db.clone(), app.state.config.clone(), app.state.audit_key.clone()).await.unwrap();
        zhengwu::spawn_jobs(&b);
        let mut on_b = common::Client::for_router(b.router.clone());
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let title = "双节期间安全生产工作部署";
        let search = format!("/api/v1/search?q={}", common::urlenc("双节期间安全生产"));
        assert!(!on_b.get(&format!("/c/{bmdt}/")).await.text.contains(title));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let id = publish(&app, bmdt, title).await;
        let started = std::time::Instant::now();
        let (mut page_seen, mut search_seen) = (false, false);
        while !(page_seen && search_seen) {
            page_seen = page_seen || on_b.get(&format!("/c/{bmdt}/")).await.text.contains(title);
            let found = on_b.get(&search).await;
            let items = found.json()["hits"].as_array().cloned();
            assert!(items.is_some(), "{} {}", found.status, found.text);
            search_seen = search_seen || items.unwrap_or_default().iter().any(|h| h["id"] == id);
            assert!(
                started.elapsed().as_millis() < 1000,
                "node B after 1 s: page {page_seen}, search {search_seen}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // A synonym group added on node A answers on node B within a second.
        let token = app.token("siteadmin").await;
        let q = format!("/api/v1/search?q={}", common::urlenc("国庆中秋安全生产"));
        let strict_hit = |r: &serde_json::Value| r["relaxed"] == false && r["hits"].as_array().is_some_and(|h| h.iter().any(|h| h["id"] == id));
        assert!(!strict_hit(&on_b.get(&q).await.json()), "unknown to B before");
        let set = app.client().api("PUT", "/api/v1/search/synonyms", &token, Some(serde_json::json!({"synonyms": ["国庆中秋 双节"]}))).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let started = std::time::Instant::now();
        loop {
            let r = on_b.get(&q).await.json();
            if strict_hit(&r) {
                break;
            }
            assert!(started.elapsed().as_millis() < 1000, "node B after 1 s: {r}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // A session made on node A works on node B (sessions live in the database).
        let mut ed = login(&app, "editor").await;
        let mut ed_on_b = common::Client::for_router(b.router.clone());
        ed_on_b.cookies = ed.cookies.clone();
        let home = ed_on_b.get("/admin/cms/articles").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.text);
        assert!(ed.get("/admin/cms/articles").await.text.contains(title));
        // Node B is restarted while A publishes: the new process serves the current content at
        // once and follows later publications, with no manual step.
        drop(on_b);
        drop(b);
        let second = publish(&app, bmdt, "冬季供暖保障工作会议召开").await;
        let b2 = zhengwu::build(app.db.clone(), app.state.config.clone(), app.state.audit_key.clone()).await.unwrap();
        zhengwu::spawn_jobs(&b2);
        let mut on_b2 = common::Client::for_router(b2.router.clone());
        assert_eq!(on_b2.get(&format!("/a/{second}.html")).await.status, StatusCode::OK);
        on_b2.get(&format!("/c/{bmdt}/")).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let third = publish(&app, bmdt, "城市防汛应急预案修订完成").await;
        let started = std::time::Instant::now();
        while !on_b2.get(&format!("/c/{bmdt}/")).await.text.contains("城市防汛应急预案修订完成") {
            assert!(started.elapsed().as_millis() < 1000, "restarted node B is stale after 1 s");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(third > second);
    };

    cached_pages_are_never_stale_a_second_after_publishing_and_never_torn => |app: TestApp| async move {
        demo(&app).await;
        platform::module::Module::spawn_jobs(app.cms.clone(), app.state.clone());
        let bmdt = channel_id(&app, "hrb", "bmdt").await;
        let id = publish(&app, bmdt, "城市更新行动第0版").await;
        // Readers hammer the article and its list page; the writer revises the title five times.
        // Each revision's approval time is published to the readers, which check every page they
        // get: the title in <title> and <h1> agree (no torn page), and a response to a request
        // sent more than 1 s after an approval returned shows that revision or a later one.
        let latest = std::sync::Arc::new(std::sync::Mutex::new((0u32, None::<std::time::Instant>)));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for r in 0..4 {
            let mut c = app.client();
            let (latest, stop) = (latest.clone(), stop.clone());
            let path = if r % 2 == 0 { format!("/a/{id}.html") } else { format!("/c/{bmdt}/") };
            readers.push(tokio::spawn(async move {
                let mut checked = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (version, approved_at) = *latest.lock().unwrap();
                    let sent = std::time::Instant::now();
                    let page = c.get(&path).await;
                    assert_eq!(page.status, StatusCode::OK);
                    assert!(page.text.trim_end().ends_with("</html>"), "complete page");
                    let seen: Vec<u32> = page
                        .text
                        .match_indices("城市更新行动第")
                        .filter_map(|(i, _)| page.text[i..].chars().nth(7)?.to_digit(10))
                        .collect();
                    assert!(!seen.is_empty(), "{path} shows the article");
                    if path.starts_with("/a/") {
                        assert!(seen.iter().all(|v| *v == seen[0]), "torn page: {seen:?}");
                    }
                    if let Some(at) = approved_at
                        && sent.duration_since(at) > std::time::Duration::from_secs(1)
                    {
                        assert!(seen.iter().all(|v| *v >= version), "{path} stale: {seen:?} after version {version}");
                    }
                    checked += 1;
                    // A cached page is answered without ever waiting; over a socket each request
                    // would yield, so do that here too or the readers starve the writer.
                    tokio::task::yield_now().await;
                }
                checked
            }));
        }
        let mut ed = login(&app, "editor").await;
        let mut dept = login(&app, "reviewer_dept").await;
        let mut office = login(&app, "reviewer_office").await;
        for v in 1..=5u32 {
            let form = ed.get(&format!("/admin/cms/articles/{id}/edit")).await;
            let base = form.text.split("name=\"base_revision\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
            let title = format!("城市更新行动第{v}版");
            let res = ed
                .post_form(
                    &format!("/admin/cms/articles/{id}/edit"),
                    &[("title", &title), ("body", "<p>修订正文。</p>"), ("base_revision", &base)],
                )
                .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
            assert_eq!(act(&mut ed, id, "submit", "").await.status, StatusCode::SEE_OTHER);
            assert_eq!(act(&mut dept, id, "approve", "").await.status, StatusCode::SEE_OTHER);
            assert_eq!(act(&mut office, id, "approve", "").await.status, StatusCode::SEE_OTHER);
            *latest.lock().unwrap() = (v, Some(std::time::Instant::now()));
            tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut total = 0;
        for r in readers {
            total += r.await.expect("reader");
        }
        assert!(total > 100, "readers checked {total} pages");
    };
}

#[tokio::test]
async fn static_export_writes_a_browsable_site() {
    let app = TestApp::new(common::Backend::Sqlite).await;
    demo(&app).await;
    let out = tempfile::tempdir().unwrap();
    let files = app.state.config.data_dir.join("files");
    let report = cms::export::export_site(
        &app.db,
        &files,
        "kjj",
        out.path(),
        "https://www.example.gov.cn/search",
        "https://kjj.example.gov.cn",
        |_, _| {},
    )
    .await
    .unwrap();
    assert!(report.articles > 0 && report.pages > 10, "{report:?}");
    // Every relative link in every page resolves to a file of the export.
    let mut checked = 0;
    for entry in walk(out.path()) {
        if entry.extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(&entry).unwrap();
            for href in html.split("href=\"").skip(1).filter_map(|s| s.split('"').next()) {
                if href.starts_with("http") || href.starts_with('?') || href.starts_with('#') || href.starts_with("/") {
                    assert!(!href.starts_with('/') || href == "/", "absolute link {href} in {}", entry.display());
                    continue;
                }
                // A query (the stylesheet's version) does not change which file is served.
                let file = href.split('?').next().unwrap_or(href);
                let mut target = entry.parent().unwrap().join(percent_decode(file));
                if href.ends_with('/') || href == "./" {
                    target = target.join("index.html");
                }
                assert!(target.exists(), "{href} from {} -> {}", entry.display(), target.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "links checked: {checked}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Web servers decode `%XX` in paths before looking for the file.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn pages_and_assets_are_sent_precompressed_and_assets_are_immutable() {
    use std::io::Read;
    let app = TestApp::new(common::Backend::Sqlite).await;
    demo(&app).await;
    let mut c = app.client();
    let plain = c.get("/").await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none(), "no Accept-Encoding, no compression");
    let get = |path: &str, enc: &str| {
        Request::get(path).header(header::ACCEPT_ENCODING, enc).body(Body::empty()).expect("request")
    };
    let gz = c.send(get("/", "gzip, deflate")).await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz.bytes[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text, plain.text);
    let br = c.send(get("/", "gzip, deflate, br")).await;
    assert_eq!(br.headers[header::CONTENT_ENCODING], "br");
    assert!(
        br.bytes.len() < gz.bytes.len() && gz.bytes.len() * 2 < plain.bytes.len(),
        "compressed well: br {} gz {} plain {}",
        br.bytes.len(),
        gz.bytes.len(),
        plain.bytes.len()
    );
    // The stylesheet link carries the content fingerprint and is cached for a year.
    let href = plain.text.split("href=\"").find(|s| s.contains("site.css?v=")).unwrap().split('"').next().unwrap();
    let css = c.send(get(href, "br")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(css.headers[header::CONTENT_ENCODING], "br");
    let stale = c.get("/static/site.css?v=0000000000").await;
    assert_eq!(stale.headers[header::CACHE_CONTROL], "public, max-age=3600", "an outdated version is not pinned");
}

/// A query value percent-encoded (file names in `?name=`).
fn urlencoding(v: &str) -> String {
    serde_urlencoded::to_string([("v", v)]).unwrap().trim_start_matches("v=").to_owned()
}
