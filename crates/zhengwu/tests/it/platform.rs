//! Platform behaviour a user or an assessor notices: who may do what (every route, every role),
//! sign-in lockout, CSRF, the tamper-evident audit chain, forced password change, idle timeout,
//! API tokens, problem+json errors, and that no malformed request produces a 500.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Client, PASSWORD, TestApp};
use platform::roles::Role;
use serde_json::json;

const ROLES: [Role; 12] = Role::ALL;

/// Every API operation of every installed subsystem.
fn all_api_routes() -> Vec<platform::web::api::ApiRoute> {
    let mut ops = platform::web::api::platform_routes();
    ops.extend(cms::api::routes());
    ops.extend(disclosure::api::routes());
    ops.extend(disclosure::catalogue::api_routes());
    ops.extend(disclosure::tree::api_routes());
    ops.extend(participation::api::routes());
    ops.extend(office::api::routes());
    ops.extend(data::api::routes());
    ops.extend(supervision::api::routes());
    ops.extend(supervision::ratings::api::routes());
    ops.extend(supervision::assessment::api::routes());
    ops.extend(supervision::evaluation::api::routes());
    ops
}

/// A site with one channel and one draft article, for routes that need ids.
async fn cms_fixture(app: &TestApp) -> (i64, i64) {
    let site = cms::store::insert_site(
        &app.db,
        &cms::store::Site {
            code: "t".into(),
            name: "测试站".into(),
            kind: "portal".into(),
            site_id_code: "2301000001".into(),
            template_set: "default".into(),
            locale: "zh-CN".into(),
            sponsor: "测试".into(),
            contact: "1".into(),
            icp: "1".into(),
            psb: "1".into(),
            error_link: "/".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ch = cms::store::insert_channel(
        &app.db,
        &cms::store::Channel {
            site_id: site,
            name: "通知".into(),
            slug: "tz".into(),
            kind: "list".into(),
            update_class: "none".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let f = cms::store::Fields { title: "测试信息".into(), body: "<p>正文</p>".into(), ..Default::default() };
    let article = cms::store::create_article(&app.db, site, ch, None, &f, 1).await.unwrap();
    (site, article)
}

async fn client_for(app: &TestApp, role: Role) -> Client {
    let name = format!("u_{}", role.code());
    if platform::accounts::user_by_name(&app.db, &name).await.ok().flatten().is_none() {
        app.user(&name, &[role]).await;
    }
    app.signed_in(&name).await
}

fn allowed(status: StatusCode) -> bool {
    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && status != StatusCode::SEE_OTHER
}

/// The expected matrix, written out independently of the code's role table.
fn expected_page(path: &str) -> &'static [Role] {
    use Role::*;
    match path {
        p if p.starts_with("/admin/users")
            || p.starts_with("/admin/orgs")
            || p.starts_with("/admin/settings")
            || p.starts_with("/admin/calendar")
            || p.starts_with("/admin/outbox") =>
        {
            &[Sysadmin]
        }
        p if p.starts_with("/admin/grants") || p.starts_with("/admin/security-policy") => &[Secadmin],
        p if p.starts_with("/admin/audit") => &[Auditor],
        p if p.starts_with("/admin/cms/sites") => &[SiteAdmin],
        // Reviewers open an article to review it; only editors list and write.
        p if p.starts_with("/admin/cms/articles/") && p[20..].chars().all(|c| c.is_ascii_digit()) => {
            &[SiteAdmin, Editor, Reviewer]
        }
        p if p.starts_with("/admin/cms/articles") => &[SiteAdmin, Editor],
        p if p.starts_with("/admin/cms/review") => &[SiteAdmin, Reviewer],
        p if p.starts_with("/admin/cms/stats") => &[SiteAdmin, Leader],
        p if p.starts_with("/admin/cms/search") => &[SiteAdmin],
        _ => &ROLES,
    }
}

fn expected_api(method: &str, path: &str) -> Option<&'static [Role]> {
    use Role::*;
    Some(match (method, path) {
        (_, "/api/v1/me")
        | (_, "/api/v1/search")
        | (_, "/api/v1/tokens")
        | (_, "/api/v1/tokens/{id}/actions/revoke") => &ROLES,
        (_, p) if p.starts_with("/api/v1/users/{id}/grants") || p.starts_with("/api/v1/grants") => &[Secadmin],
        (_, p)
            if p.starts_with("/api/v1/users")
                || p.starts_with("/api/v1/orgs")
                || p == "/api/v1/settings"
                || p == "/api/v1/calendar"
                || p.starts_with("/api/v1/outbox") =>
        {
            &[Sysadmin]
        }
        (_, "/api/v1/security-policy") => &[Secadmin],
        (_, p) if p.starts_with("/api/v1/audit") => &[Auditor],
        (_, p) if p.starts_with("/api/v1/sites") || p.starts_with("/api/v1/channels") => &[SiteAdmin],
        (_, p) if p.starts_with("/api/v1/search/") || p == "/api/v1/publishing-quotas" => &[SiteAdmin],
        ("get", "/api/v1/articles/{id}") => &[SiteAdmin, Editor, Reviewer],
        // The matrix drives the `archive` action, which needs the publishing permission.
        ("post", "/api/v1/articles/{id}/actions/{action}") => &[SiteAdmin, Reviewer],
        (_, p) if p.starts_with("/api/v1/articles") || p.starts_with("/api/v1/attachments") => &[SiteAdmin, Editor],
        (_, "/api/v1/review-queue") => &[SiteAdmin, Reviewer],
        (_, p) if p.starts_with("/api/v1/disclosure-requests") => &[Handler],
        (_, p) if p.starts_with("/api/v1/disclosure-") => &[SiteAdmin],
        (_, p) if p.starts_with("/api/v1/public/") => &ROLES,
        (_, "/api/v1/figures") => &[SiteAdmin, Leader],
        (_, "/api/v1/office/documents/{id}/sign-off/{decision}") => &[Leader],
        // Each reader sees the items that concern them (the rest answer 404).
        ("get", "/api/v1/office/proposals") | ("get", "/api/v1/office/proposals/{id}") => {
            &[Handler, Leader, OfficeStaff, Deputy]
        }
        (_, "/api/v1/office/proposals/{id}/review/{decision}") => &[Leader],
        (_, "/api/v1/office/proposals/{id}/rate") => &[Deputy],
        (_, "/api/v1/office/proposals/{id}/return")
        | (_, "/api/v1/office/proposals/{id}/opinion")
        | (_, "/api/v1/office/proposals/{id}/reply") => &[Handler],
        (_, p) if p.starts_with("/api/v1/office/proposals") => &[OfficeStaff],
        // 政务值班: the duty office keeps the roster, log and events; units report.
        ("get", p) if p.starts_with("/api/v1/office/duty") => &[Handler, OfficeStaff],
        (_, "/api/v1/office/duty/zero-reports") | (_, "/api/v1/office/duty/incidents/{id}/reports") => &[Handler],
        // Anyone on the roster asks for a swap of their own day; the duty office decides.
        ("post", "/api/v1/office/duty/swaps") => &[Handler, OfficeStaff],
        (_, p) if p.starts_with("/api/v1/office/duty") => &[OfficeStaff],
        // 信息报送: units write, the office decides, leaders instruct; each reads what concerns them.
        ("get", p) if p.starts_with("/api/v1/office/report") => &[Handler, Leader, OfficeStaff],
        ("post", "/api/v1/office/reports") => &[Handler],
        (_, "/api/v1/office/reports/{id}/instructions") => &[Leader],
        (_, p) if p.starts_with("/api/v1/office/report") => &[OfficeStaff],
        (_, p) if p.starts_with("/api/v1/office/") => &[Handler],
        (_, p) if p.starts_with("/api/v1/data") || p.starts_with("/api/v1/stations") => &[SiteAdmin, Editor],
        // 人口资源库: clerks and officers query; only officers decide conflicts.
        (_, p) if p.starts_with("/api/v1/population/conflicts") => &[PopulationOfficer],
        (_, p) if p.starts_with("/api/v1/population") => &[PopulationClerk, PopulationOfficer],
        // The SMS gateway's replies come with a system account's token.
        (_, "/api/v1/sms/replies") => &[Sysadmin],
        (_, p)
            if p.starts_with("/api/v1/monitor")
                || p.starts_with("/api/v1/wording-rules")
                || p.starts_with("/api/v1/visits")
                || p.starts_with("/api/v1/annual-reports")
                || p.starts_with("/api/v1/rated-staff")
                || p.starts_with("/api/v1/staff-ratings")
                || p.starts_with("/api/v1/assessment")
                || p.starts_with("/api/v1/site-evaluations") =>
        {
            &[SiteAdmin, Leader]
        }
        // 一口式收费: the fee standard is the catalogue's; notices are the handlers'.
        (_, "/api/v1/service-items/{id}/fees") => &[SiteAdmin],
        (_, p) if p.starts_with("/api/v1/fee-notices") || p == "/api/v1/applications/{id}/fee-notice" => &[Handler],
        // 远程教育课件: the content editors'.
        (_, p) if p.starts_with("/api/v1/courseware") => &[SiteAdmin, Editor],
        // 视频点位: the staff who run interviews and event coverage.
        (_, p) if p.starts_with("/api/v1/camera-points") => &[SiteAdmin, Editor],
        // 供求信息: moderators hold it on the portal (site admins and editors).
        (_, p) if p.starts_with("/api/v1/listings") => &[SiteAdmin, Editor],
        (_, "/api/v1/consultations/{id}/review/{decision}") => &[SiteAdmin, Reviewer],
        (_, p)
            if p.starts_with("/api/v1/consultation")
                || p.starts_with("/api/v1/surveys")
                || p.starts_with("/api/v1/interview") =>
        {
            &[SiteAdmin, Editor]
        }
        _ => return None,
    })
}

/// A module with one template and one prefix, to see clashes refused at start.
struct Probe {
    name: &'static str,
    template: &'static str,
    prefix: &'static str,
}

impl platform::module::Module for Probe {
    fn name(&self) -> &'static str {
        self.name
    }
    fn templates(&self) -> Vec<(&'static str, &'static str)> {
        vec![(self.template, "<p>{{ x }}</p>")]
    }
    fn prefixes(&self) -> Vec<&'static str> {
        vec![self.prefix]
    }
}

backend_tests! {
    modules_cannot_share_a_template_or_a_prefix => |app: TestApp| async move {
        let ext = |name: &'static str, template: &'static str, prefix: &'static str| -> std::sync::Arc<dyn platform::module::Module> {
            std::sync::Arc::new(Probe { name, template, prefix })
        };
        let start = |exts| platform::web::AppState::new(app.db.clone(), app.state.config.clone(), app.state.audit_key.clone(), platform::module::Modules::new(exts));
        assert!(start(vec![ext("甲", "public/a.html", "/jia"), ext("乙", "public/b.html", "/yi")]).is_ok());
        let twice = start(vec![ext("甲", "public/index.html", "/jia"), ext("乙", "public/index.html", "/yi")]).err().expect("duplicate template");
        assert!(twice.to_string().contains("模板 public/index.html 与已有模板重名"), "{twice}");
        let clash = start(vec![ext("甲", "public/a.html", "/jia"), ext("乙", "public/b.html", "/jia")]).err().expect("duplicate prefix");
        assert!(clash.to_string().contains("/jia 已由「甲」使用"), "{clash}");
        let platform_path = start(vec![ext("甲", "public/a.html", "/admin")]).err().expect("platform prefix");
        assert!(platform_path.to_string().contains("已由「平台」使用"), "{platform_path}");
    };

    role_matrix_on_every_platform_route => |app: TestApp| async move {
        let target = app.user("target_user", &[]).await;
        let (site, article) = cms_fixture(&app).await;
        let pages = [
            "/admin", "/admin/tokens", "/admin/password", "/admin/users", "/admin/users/new",
            &format!("/admin/users/{target}"), "/admin/orgs", "/admin/settings", "/admin/grants",
            &format!("/admin/grants/{target}"), "/admin/security-policy", "/admin/audit",
            "/admin/audit/export.csv", "/admin/audit/export.xlsx", "/admin/calendar", "/admin/outbox",
            "/admin/cms/sites", &format!("/admin/cms/sites/{site}"), &format!("/admin/cms/sites/{site}/templates"),
            "/admin/cms/articles", "/admin/cms/articles/new", &format!("/admin/cms/articles/{article}"),
            "/admin/cms/review", "/admin/cms/stats", "/admin/cms/stats/export.xlsx", "/admin/cms/search",
        ];
        for role in ROLES {
            let mut c = client_for(&app, role).await;
            for page in pages {
                let res = c.get(page).await;
                let should = expected_page(page).contains(&role);
                assert_eq!(allowed(res.status), should, "{} GET {page} -> {}", role.code(), res.status);
                assert_ne!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "{page}");
            }
            // Writes through the back office: an empty form is refused either for permission (403)
            // or, when permitted, for validation (422) — never accepted, never a 500.
            for (path, perm_roles) in [
                ("/admin/users/new", &[Role::Sysadmin][..]),
                ("/admin/orgs", &[Role::Sysadmin][..]),
                ("/admin/security-policy", &[Role::Secadmin][..]),
                ("/admin/settings", &[Role::Sysadmin][..]),
            ] {
                let res = c.post_form(path, &[]).await;
                let should = perm_roles.contains(&role);
                assert_eq!(res.status == StatusCode::UNPROCESSABLE_ENTITY, should, "{} POST {path} -> {}", role.code(), res.status);
                if !should {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{} POST {path}", role.code());
                }
            }
        }
        // The API: every registered operation must appear in the expected matrix.
        let ops = all_api_routes();
        for role in ROLES {
            let name = format!("u_{}", role.code());
            let token = app.token(&name).await;
            let mut c = app.client();
            for op in &ops {
                let expected = expected_api(op.method, op.path).unwrap_or_else(|| panic!("{} {} missing from the role matrix", op.method, op.path));
                // Token paths get an id no token has, so the sweep never revokes its own token.
                let id = if op.path.contains("/articles/") {
                    article
                } else if op.path.contains("/sites/") || op.path.contains("/channels/") {
                    site
                } else if op.path.contains("/tokens/") {
                    999_999
                } else {
                    target
                };
                let mut path = op.path.replace("{id}", &id.to_string()).replace("{action}", "archive");
                // Any other id in the path (a revision, a channel) gets one nothing has.
                while let (Some(a), Some(b)) = (path.find('{'), path.find('}')) {
                    path.replace_range(a..=b, "999999");
                }
                let body = if op.body.is_some() { Some(json!({})) } else { None };
                let res = c.api(&op.method.to_uppercase(), &path, &token, body).await;
                assert_eq!(allowed(res.status), expected.contains(&role), "{} {} {path} -> {} {}", role.code(), op.method, res.status, res.text);
                assert_ne!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {}", res.text);
            }
        }
        // Every denial is in the audit log.
        let denied = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'")).await.unwrap();
        assert!(denied > 50, "denials audited: {denied}");
    };

    triad_roles_cannot_be_combined_and_only_secadmin_grants => |app: TestApp| async move {
        let sec = app.user("sec", &[Role::Secadmin]).await;
        let _ = sec;
        let someone = app.user("someone", &[Role::Auditor]).await;
        let mut c = app.signed_in("sec").await;
        let res = c.post_form(&format!("/admin/grants/{someone}"), &[("role", "sysadmin"), ("scope_kind", "global")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("三员"), "{}", res.text);
        assert!(res.text.contains("value=\"sysadmin\" selected"), "form keeps the chosen role");
        let res = c.post_form(&format!("/admin/grants/{someone}"), &[("role", "editor"), ("scope_kind", "site"), ("scope_id", "")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = c.post_form(&format!("/admin/grants/{someone}"), &[("role", "leader"), ("scope_kind", "global")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let grants = platform::accounts::grants_of(&app.db, someone).await.unwrap();
        assert_eq!(grants.iter().map(|g| g.role.as_str()).collect::<Vec<_>>(), vec!["auditor", "leader"]);
        // Scopes are chosen from one tree by name: units indented under their parent.
        let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
        let bureau = platform::accounts::create_org(&app.db, Some(gov), "冰城市民政局", "BC-MZJ", "bureau").await.unwrap();
        let page = c.get(&format!("/admin/grants/{someone}")).await;
        assert!(page.text.contains(&format!(r#"<optgroup label="单位"><option value="org:{gov}">冰城市人民政府</option><option value="org:{bureau}">　冰城市民政局</option>"#)), "{}", page.text);
        let res = c.post_form(&format!("/admin/grants/{someone}"), &[("role", "handler"), ("scope", &format!("org:{bureau}"))]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let page = c.get(&format!("/admin/grants/{someone}")).await;
        assert!(page.text.contains("单位：冰城市民政局"), "the grant reads by name: {}", page.text);
        // A sysadmin cannot grant at all.
        app.user("sys", &[Role::Sysadmin]).await;
        let mut s = app.signed_in("sys").await;
        let res = s.post_form(&format!("/admin/grants/{someone}"), &[("role", "editor"), ("scope_kind", "global")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    };

    lockout_after_five_failures_per_account_and_per_address => |app: TestApp| async move {
        app.user("zhangsan", &[Role::Editor]).await;
        let mut c = app.client();
        for i in 0..5 {
            let res = c.login("zhangsan", "wrong-password").await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            assert!(res.text.contains("用户名或密码错误"));
            assert!(res.text.contains("value=\"zhangsan\""), "username is kept in the form");
        }
        // Now even the right password is refused, from this and from any other address.
        let res = c.login("zhangsan", PASSWORD).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text.contains("分钟后再试"), "{}", res.text);
        let mut other = app.client();
        assert_eq!(other.login("zhangsan", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
        // Per address: five failures on different accounts lock the address for everyone.
        app.user("lisi", &[Role::Editor]).await;
        let mut attacker = app.client();
        for i in 0..5 {
            attacker.login(&format!("nobody{i}"), "x").await;
        }
        assert_eq!(attacker.login("lisi", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(app.client().login("lisi", PASSWORD).await.status, StatusCode::SEE_OTHER);
        let lockouts = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.lockout'")).await.unwrap();
        // zhangsan's account, the first client's address, and the attacker's address.
        assert_eq!(lockouts, 3);
        // Expired failures no longer count.
        app.db.execute(platform::db::sql("UPDATE login_failure SET at = at - 3600")).await.unwrap();
        assert_eq!(app.client().login("zhangsan", PASSWORD).await.status, StatusCode::SEE_OTHER);
    };

    forged_forwarded_for_neither_escapes_nor_causes_lockout => |app: TestApp| async move {
        // Behind one trusted proxy the client is the entry the proxy appended (the rightmost);
        // whatever the client wrote before it is ignored.
        app.user("wangwu", &[Role::Editor]).await;
        app.user("victim", &[Role::Editor]).await;
        let mut attacker = app.client();
        for i in 0..5 {
            attacker.ip = format!("198.51.100.{i}, 10.0.77.7");
            attacker.login(&format!("spray{i}"), "x").await;
        }
        attacker.ip = "203.0.113.99, 10.0.77.7".into();
        assert_eq!(attacker.login("wangwu", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS, "rotating forged addresses do not escape the lockout");
        // Forging the victim's address does not lock the victim out.
        let mut forger = app.client();
        for i in 0..6 {
            forger.ip = "10.0.88.8, 10.0.66.6".into();
            forger.login(&format!("nobody{i}"), "x").await;
        }
        let mut victim = app.client();
        victim.ip = "10.0.88.8".into();
        assert_eq!(victim.login("victim", PASSWORD).await.status, StatusCode::SEE_OTHER);
        // The audit log records the address the proxy saw, never the forged ones.
        let forged = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE ip LIKE '198.51.100.%' OR ip = '203.0.113.99'")).await.unwrap();
        assert_eq!(forged, 0);
        let real = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE ip = '10.0.77.7'")).await.unwrap();
        assert!(real >= 5, "{real}");
    };

    csrf_is_required_on_every_state_changing_form => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        let mut c = app.signed_in("sys").await;
        let form = "name=%E7%A7%91%E6%8A%80%E5%B1%80&code=KJJ&kind=bureau";
        // No token.
        let res = c.post_form_raw("/admin/orgs", form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(res.text.contains("刷新页面"), "{}", res.text);
        // A wrong token.
        let res = c.post_form_raw("/admin/orgs", &format!("{form}&_csrf=forged")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // The right token from another origin.
        let token = c.csrf().await;
        let req = Request::post("/admin/orgs")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from(format!("{form}&_csrf={token}")))
            .unwrap();
        assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM org_unit")).await.unwrap(), 0, "nothing was written");
        // The right token from the same origin works.
        let res = c.post_form_raw("/admin/orgs", &format!("{form}&_csrf={token}")).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM org_unit")).await.unwrap(), 1);
        // Sign-in itself needs the pre-session token.
        let mut anon = app.client();
        let res = anon.post_form_raw("/admin/login", "username=sys&password=Test-Pass-2026").await;
        assert_ne!(res.status, StatusCode::SEE_OTHER);
        // Sign-out is a POST with a token too, so a link cannot sign anyone out.
        let res = c.post_form_raw("/admin/logout", "").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // A multipart body is read only up to its token (our forms send it first), so a large
        // upload is never buffered for the check: the token after a 2 MB file is not looked for;
        // first, it is found in the opening frames of a body sent in 64 KB pieces.
        let multipart = |token_first: bool| {
            let b = "----csrf-window";
            let token_part = format!("--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n");
            let file_part = format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n{}\r\n", "x".repeat(2 << 20));
            let body = if token_first { token_part + &file_part } else { file_part + &token_part } + &format!("--{b}--\r\n");
            let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> =
                body.into_bytes().chunks(64 << 10).map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
            Request::post("/admin/orgs")
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .unwrap()
        };
        let res = c.send(multipart(false)).await;
        assert!(res.status == StatusCode::FORBIDDEN && res.text.contains("刷新页面"), "{} {}", res.status, res.text);
        let res = c.send(multipart(true)).await;
        assert!(!res.text.contains("刷新页面"), "the token is found: {} {}", res.status, res.text);
        let denied = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied' AND summary LIKE 'CSRF%'")).await.unwrap();
        assert!(denied >= 5);
    };

    audit_chain_detects_tampering_and_deletion => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        app.user("aud", &[Role::Auditor]).await;
        let mut c = app.signed_in("sys").await;
        for (name, code) in [("市科技局", "KJJ"), ("市卫健委", "WJW"), ("办公室", "KJJ-BGS")] {
            let res = c.post_form("/admin/orgs", &[("name", name), ("code", code), ("kind", "bureau")]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
        }
        let key = app.state.audit_key.key.clone();
        let ok = platform::audit::verify(&app.db, &key, |_, _| {}).await.unwrap();
        assert!(ok.first_broken.is_none(), "{ok:?}");
        assert!(ok.checked >= 4, "sign-in and three creations are recorded");
        let entries: Vec<platform::audit::Entry> = app.db.fetch_all(platform::db::sql("SELECT * FROM audit_log WHERE action = 'org.create' ORDER BY seq")).await.unwrap();
        assert_eq!(entries.len(), 3);
        assert!(entries[0].summary.contains("市科技局") && entries[0].username == "sys" && entries[0].ip.starts_with("10.0."));
        // The auditor sees the same verdict in the back office.
        let mut a = app.signed_in("aud").await;
        let res = a.post_form("/admin/audit/verify", &[]).await;
        assert!(res.text.contains("校验通过"), "{}", res.text);
        // The log reads in Chinese, and the 操作 filter takes the Chinese words.
        let log = a.get("/admin/audit?action=%E6%9C%BA%E6%9E%84").await;
        assert!(log.text.contains("机构·新建") && log.text.contains(">成功<"), "{}", log.text);
        assert!(log.text.contains("共 3 条"), "机构 finds the three org.create entries: {}", log.text);
        let logins = a.get("/admin/audit?action=%E7%99%BB%E5%BD%95").await;
        assert!(logins.text.contains("登录认证·登录") && !logins.text.contains("机构·新建"), "{}", logins.text);
        // Tamper with one row's content.
        let victim = entries[1].seq;
        app.db.execute(platform::db::sql("UPDATE audit_log SET summary = '新建单位 无' WHERE seq = $1").bind(victim)).await.unwrap();
        let bad = platform::audit::verify(&app.db, &key, |_, _| {}).await.unwrap();
        assert_eq!(bad.first_broken.as_ref().map(|b| b.0), Some(victim), "{bad:?}");
        let res = a.post_form("/admin/audit/verify", &[]).await;
        assert!(res.text.contains(&format!("第 {victim} 条")), "{}", res.text);
        // Restore it, then delete a row instead.
        app.db.execute(platform::db::sql("UPDATE audit_log SET summary = $1 WHERE seq = $2").bind(entries[1].summary.clone()).bind(victim)).await.unwrap();
        assert!(platform::audit::verify(&app.db, &key, |_, _| {}).await.unwrap().first_broken.is_none());
        app.db.execute(platform::db::sql("DELETE FROM audit_log WHERE seq = $1").bind(entries[0].seq)).await.unwrap();
        let bad = platform::audit::verify(&app.db, &key, |_, _| {}).await.unwrap();
        assert_eq!(bad.first_broken.as_ref().map(|b| b.0), Some(entries[0].seq + 1), "{bad:?}");
        // A different key cannot re-sign the chain.
        let other = platform::audit::verify(&app.db, b"another-key-0000000000", |_, _| {}).await.unwrap();
        assert!(other.first_broken.is_some());
    };

    audit_filters_exports_and_retention => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        app.user("aud", &[Role::Auditor]).await;
        let mut s = app.signed_in("sys").await;
        s.post_form("/admin/orgs", &[("name", "市政府"), ("code", "SZF"), ("kind", "government")]).await;
        let mut a = app.signed_in("aud").await;
        let res = a.get("/admin/audit?username=sys&action=org.").await;
        assert!(res.text.contains("org.create") && !res.text.contains("auth.login"), "filter by user and action");
        let csv = a.get("/admin/audit/export.csv?username=sys").await;
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF") && csv.text.contains("市政府"));
        // The export reads in Chinese and keeps the code beside the label.
        let label = platform::audit::action_label("org.create");
        assert!(label != "org.create" && csv.text.contains(&format!("{label},org.create")) && csv.text.contains(",成功,"), "{}", csv.text);
        let xlsx = a.get("/admin/audit/export.xlsx").await;
        assert!(xlsx.bytes.starts_with(b"PK"), "xlsx is a zip");
        let bad = a.get("/admin/audit?from=2026-13-40").await;
        assert_eq!(bad.status, StatusCode::OK);
        assert!(bad.text.contains("YYYY-MM-DD"));
        // Retention: old rows are pruned, the chain still verifies, and the prune is recorded.
        app.db.execute(platform::db::sql("UPDATE audit_log SET at = at - 200 * 86400 WHERE seq <= 2")).await.unwrap();
        // Re-sign the aged rows as if they had been written 200 days ago.
        let key = app.state.audit_key.key.clone();
        let rows: Vec<platform::audit::Entry> = app.db.fetch_all(platform::db::sql("SELECT * FROM audit_log ORDER BY seq")).await.unwrap();
        let mut prev = String::new();
        for mut e in rows {
            e.prev_hash = prev.clone();
            e.hash = platform::audit::entry_mac(&key, &e);
            app.db.execute(platform::db::sql("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3").bind(e.prev_hash.clone()).bind(e.hash.clone()).bind(e.seq)).await.unwrap();
            prev = e.hash;
        }
        app.db.execute(platform::db::sql("UPDATE audit_head SET last_hash = $1").bind(prev)).await.unwrap();
        let n = platform::audit::prune(&app.db, &app.state.audit_key, 184, "test").await.unwrap();
        assert_eq!(n, 2);
        let r = platform::audit::verify(&app.db, &key, |_, _| {}).await.unwrap();
        assert!(r.first_broken.is_none(), "{r:?}");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.prune'")).await.unwrap(), 1);
    };

    initial_password_must_be_changed_and_policy_is_enforced => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        let mut s = app.signed_in("sys").await;
        // Bad input keeps what was typed and names each field.
        let res = s.post_form("/admin/users/new", &[("username", "wang wu"), ("display_name", "王五"), ("email", "bad"), ("password", "short")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("用户名只能包含") && res.text.contains("电子邮箱格式不正确") && res.text.contains("至少需要 10"));
        assert!(res.text.contains("value=\"王五\""), "typed input is kept");
        let res = s.post_form("/admin/users/new", &[("username", "wangwu"), ("display_name", "王五"), ("password", "Kjj-2026-abc")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let dup = s.post_form("/admin/users/new", &[("username", "wangwu"), ("display_name", "王五"), ("password", "Kjj-2026-abc")]).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(dup.text.contains("已被使用"));
        // The new user must change the password before anything else.
        let mut w = app.client();
        let res = w.login("wangwu", "Kjj-2026-abc").await;
        assert_eq!(res.location(), "/admin/password");
        assert_eq!(w.get("/admin").await.location(), "/admin/password");
        let res = w.post_form("/admin/password", &[("current", "Kjj-2026-abc"), ("new_password", "wangwu-New-2026"), ("confirm", "wangwu-New-2026")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("不能包含用户名"));
        let res = w.post_form("/admin/password", &[("current", "Kjj-2026-abc"), ("new_password", "Harbin-Kjj-2027"), ("confirm", "Harbin-Kjj-2027")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert_eq!(w.get("/admin").await.status, StatusCode::OK);
        // A reset by the sysadmin forces another change.
        let id = platform::accounts::user_by_name(&app.db, "wangwu").await.unwrap().unwrap().id;
        let res = s.post_form(&format!("/admin/users/{id}/reset-password"), &[("password", "Reset-Pass-2026")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let mut w2 = app.client();
        assert_eq!(w2.login("wangwu", "Reset-Pass-2026").await.location(), "/admin/password");
    };

    idle_sessions_time_out_and_disabled_users_are_signed_out => |app: TestApp| async move {
        app.user("ed", &[Role::Editor]).await;
        let mut c = app.signed_in("ed").await;
        assert_eq!(c.get("/admin").await.status, StatusCode::OK);
        app.db.execute(platform::db::sql("UPDATE user_session SET last_seen_at = last_seen_at - 31 * 60")).await.unwrap();
        let res = c.get("/admin").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(res.location().starts_with("/admin/login"));
        let mut c = app.signed_in("ed").await;
        let id = platform::accounts::user_by_name(&app.db, "ed").await.unwrap().unwrap().id;
        app.user("sys", &[Role::Sysadmin]).await;
        let mut s = app.signed_in("sys").await;
        assert_eq!(s.post_form(&format!("/admin/users/{id}/disable"), &[]).await.status, StatusCode::SEE_OTHER);
        assert!(c.get("/admin").await.location().starts_with("/admin/login"));
        assert_eq!(app.client().login("ed", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    };

    totp_second_factor_when_required_for_admins => |app: TestApp| async move {
        app.user("sec", &[Role::Secadmin]).await;
        let mut s = app.signed_in("sec").await;
        let res = s.post_form("/admin/security-policy", &[
            ("password_min_length", "10"), ("password_min_classes", "3"), ("lockout_threshold", "5"), ("lockout_minutes", "15"),
            ("idle_timeout_minutes", "30"), ("audit_retention_days", "184"), ("mfa_required_for_admins", "true"),
        ]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        app.state.forget_policy();
        let mut c = app.client();
        let res = c.login("sec", PASSWORD).await;
        assert_eq!(res.location(), "/admin/mfa");
        assert_eq!(c.get("/admin/grants").await.location(), "/admin/mfa");
        let page = c.get("/admin/mfa").await;
        assert!(page.text.contains("otpauth:"), "{}", page.text);
        let secret = platform::accounts::user_by_name(&app.db, "sec").await.unwrap().unwrap().totp_secret.unwrap();
        let res = c.post_form("/admin/mfa", &[("code", "000000")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let code = platform::security::totp::code_at(&secret, platform::db::now() as u64);
        let res = c.post_form("/admin/mfa", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(c.get("/admin/grants").await.status, StatusCode::OK);
        // Non-admin roles are not asked.
        app.user("ed", &[Role::Editor]).await;
        assert_eq!(app.client().login("ed", PASSWORD).await.location(), "/admin");
    };

    api_tokens_and_problem_json => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        let mut c = app.signed_in("sys").await;
        let res = c.post_form("/admin/tokens", &[("name", "12345 热线对接")]).await;
        assert_eq!(res.status, StatusCode::OK);
        let token = res.text.split("<code class=\"token\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
        assert!(token.starts_with("zw_"));
        let mut api = app.client();
        let res = api.api("GET", "/api/v1/me", &token, None).await;
        assert_eq!(res.json()["user"]["username"], "sys");
        assert!(res.json()["user"].get("password_hash").is_none(), "hashes never leave the server");
        // Field errors name the field, in Chinese.
        let res = api.api("POST", "/api/v1/orgs", &token, Some(json!({"name": "", "code": "91110000600037341M", "kind": "x"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
        let fields: Vec<String> = res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, vec!["name", "code", "kind"]);
        assert!(res.text.contains("校验位"));
        // The same fields as an array (serde would take them by position): refused, nothing created.
        let res = api.api("POST", "/api/v1/orgs", &token, Some(json!(["哈尔滨市科学技术局", "000014349", "bureau", null]))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert!(res.text.contains("应为 JSON 对象"), "{}", res.text);
        let res = api.api("POST", "/api/v1/orgs", &token, Some(json!({"name": "哈尔滨市科学技术局", "code": "000014349", "kind": "bureau"}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        // Unknown action on the state-machine endpoint: 409 with a reason.
        let me_id = res.json()["id"].as_i64().unwrap();
        let _ = me_id;
        let res = api.api("POST", "/api/v1/users/1/actions/fly", &token, None).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        // Revoked tokens stop working.
        let tid = platform::accounts::tokens_of(&app.db, 1).await.unwrap()[0].id;
        assert_eq!(c.post_form(&format!("/admin/tokens/{tid}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(api.api("GET", "/api/v1/me", &token, None).await.status, StatusCode::UNAUTHORIZED);
        // Only the hash is stored.
        let stored: Vec<platform::accounts::ApiToken> = app.db.fetch_all(platform::db::sql("SELECT * FROM api_token")).await.unwrap();
        assert!(stored.iter().all(|t| t.token_hash != token && t.token_hash.len() == 64));
    };

    malformed_requests_never_produce_500 => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        let token = app.token("sys").await;
        let mut c = app.signed_in("sys").await;
        let csrf = c.csrf().await;
        let ops = all_api_routes();
        let bodies: Vec<(String, Vec<u8>)> = vec![
            ("application/json".into(), b"{not json".to_vec()),
            ("application/json".into(), vec![0xff, 0xfe, 0x22, 0x7b]),
            ("application/json".into(), b"[1,2,3]".to_vec()),
            ("application/json".into(), br#"{"name": 5, "password_min_length": "x", "scope_id": "abc"}"#.to_vec()),
            ("text/plain".into(), b"hello".to_vec()),
            ("application/json".into(), vec![b'a'; 9 << 20]),
        ];
        for op in &ops {
            for id in ["1", "999999", "abc", "-1", "%FF"] {
                let path = op.path.replace("{id}", id).replace("{action}", "disable");
                for (ct, body) in &bodies {
                    let req = Request::builder().method(op.method.to_uppercase().as_str()).uri(&path)
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, ct.as_str())
                        .body(Body::from(body.clone())).unwrap();
                    let res = c.send(req).await;
                    assert!(res.status.as_u16() < 500, "{} {path} {ct} -> {} {}", op.method, res.status, res.text);
                    if res.status.as_u16() >= 400 {
                        assert_eq!(res.headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("")), Some("application/problem+json"), "{path}");
                    }
                }
            }
        }
        let pages = ["/admin/users/new", "/admin/orgs", "/admin/security-policy", "/admin/settings", "/admin/users/1", "/admin/users/1/reset-password", "/admin/tokens", "/admin/login", "/admin/password"];
        for page in pages {
            for body in [format!("_csrf={csrf}&%FF%FE=%C3%28"), format!("_csrf={csrf}&password_min_length=%00"), format!("_csrf={csrf}&a=b&a=c&username[]=x"), format!("_csrf={csrf}&{}", "x=".repeat(100_000))] {
                let res = c.post_form_raw(page, &body).await;
                assert!(res.status.as_u16() < 500, "POST {page} -> {} {}", res.status, res.text);
            }
        }
        for bad in ["/admin/users/abc", "/admin/users/99999999999999999999", "/admin/orgs/%FF", "/nowhere", "/admin/audit?page=-5&from=x"] {
            let res = c.get(bad).await;
            assert!(res.status.as_u16() < 500, "GET {bad} -> {}", res.status);
            assert!(res.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")), "{bad} has a page");
        }
        let res = app.client().get("/nowhere").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.text.contains("页面不存在"));
    };

    administrators_add_a_new_years_holiday_schedule => |app: TestApp| async move {
        app.user("sys", &[Role::Sysadmin]).await;
        let mut c = app.signed_in("sys").await;
        let page = c.get("/admin/calendar").await;
        assert!(page.text.contains("2026-02-14") && page.text.contains("春节调休"), "shipped years are listed");
        let res = c.post_form("/admin/calendar", &[("lines", "2027-01-01 休 元旦\n2027-01-04 班 调休")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("不是周末") && res.text.contains("2027-01-01 休 元旦"), "message names the line; input kept");
        let res = c.post_form("/admin/calendar", &[("lines", "2027-01-01 休 元旦\n2027-02-06 班 春节调休")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let cal = platform::calendar::load(&app.db).await.unwrap();
        let d = |s: &str| platform::calendar::date(s).unwrap();
        assert!(cal.covers(d("2027-06-01")) && !cal.is_workday(d("2027-01-01")) && cal.is_workday(d("2027-02-06")));
        assert_eq!(cal.add_workdays(d("2026-12-31"), 1), d("2027-01-04"));
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'calendar.update'")).await.unwrap();
        assert_eq!(audited, 1);
    };

    system_endpoints_and_openapi => |app: TestApp| async move {
        let mut c = app.client();
        assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
        c.get("/admin/login").await;
        // Metrics are not for visitors: only with the monitoring token (or from an allowed address).
        assert_eq!(c.get("/metrics").await.status, StatusCode::FORBIDDEN);
        let req = Request::get("/metrics").header(header::AUTHORIZATION, "Bearer wrong").body(Body::empty()).unwrap();
        assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
        let req = Request::get("/metrics").header(header::AUTHORIZATION, "Bearer metrics-test-token").body(Body::empty()).unwrap();
        let m = c.send(req).await;
        assert!(m.text.contains("zhengwu_http_requests_total") && m.text.contains("route=\"/admin/login\""), "{}", m.text);
        assert!(m.text.contains("zhengwu_http_request_duration_seconds_bucket") && m.text.contains("zhengwu_db_pool_connections"));
        let doc = c.get("/api/v1/openapi.json").await.json();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["paths"]["/api/v1/search"]["get"]["security"], json!([]), "the public search needs no token");
        assert!(doc["paths"]["/api/v1/users"]["post"].get("security").is_none(), "writes need the bearer token");
        // A write without credentials is 401 (not the CSRF 403), as the document says.
        let req = Request::post("/api/v1/users").header(header::CONTENT_TYPE, "application/json").body(Body::from("{}")).unwrap();
        assert_eq!(c.send(req).await.status, StatusCode::UNAUTHORIZED);
        // A method no operation has is 405, not 401.
        for method in ["TRACE", "PUT"] {
            let req = Request::builder().method(method).uri("/api/v1/search").body(Body::empty()).unwrap();
            assert_eq!(c.send(req).await.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        }
        // Bodies and queries are described from the handlers' types: fields, limits, enums, and the
        // query parameters (no nulls in a query string).
        let token = &doc["paths"]["/api/v1/tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!((token["required"].clone(), token["properties"]["name"]["maxLength"].clone()), (json!(["name"]), json!(60)), "{token}");
        let policy = &doc["paths"]["/api/v1/security-policy"]["put"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(policy["properties"]["audit_retention_days"]["minimum"], json!(184), "{policy}");
        let site = &doc["paths"]["/api/v1/sites"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert!(site["properties"]["kind"]["enum"].as_array().is_some_and(|k| k.contains(&json!("portal"))), "{site}");
        let audit: Vec<&str> = doc["paths"]["/api/v1/audit"]["get"]["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().unwrap()).collect();
        assert!(["username", "action", "outcome", "from", "to", "page"].iter().all(|n| audit.contains(n)), "{audit:?}");
        let page = doc["paths"]["/api/v1/letters"]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "page").unwrap().clone();
        assert_eq!(page["schema"]["type"], "integer", "{page}");
        app.user("sys", &[Role::Sysadmin]).await;
        let sys = app.token("sys").await;
        // 3.0 is an integer as JSON Schema has it; a page past the end is the first page, never a 500.
        let r = c.api("PUT", "/api/v1/settings", &sys, Some(json!({"platform_name": "政务门户平台", "upload_max_mb": 40.0}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        app.user("hd", &[Role::Handler]).await;
        let hd = app.token("hd").await;
        let r = c.api("GET", "/api/v1/letters?page=9223372036854775806&mailbox_id=-9223372036854775808", &hd, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for status in ["400", "401", "403", "404", "409", "422"] {
            assert!(doc["paths"]["/api/v1/orgs"]["post"]["responses"][status].is_object(), "{status} documented");
        }
        assert!(doc["paths"]["/api/v1/orgs"]["post"]["responses"]["201"].is_object());
        for op in all_api_routes() {
            assert!(doc["paths"][op.path][op.method].is_object(), "{} {} documented", op.method, op.path);
        }
        assert!(c.get("/admin").await.headers.get("x-request-id").is_some());
        // English locale.
        let en = c.get("/admin/login?lang=en").await;
        assert!(en.text.contains("lang=\"en\"") && en.text.contains("Sign in"));
    };
}

#[tokio::test]
async fn schemas_match_between_backends() {
    let Some(url) = common::pg_url() else { return };
    let _ = url;
    let pg = TestApp::new(common::Backend::Postgres).await;
    let lite = TestApp::new(common::Backend::Sqlite).await;
    #[derive(sqlx::FromRow, PartialEq, Eq, PartialOrd, Ord, Debug)]
    struct Col {
        t: String,
        c: String,
    }
    let mut a: Vec<Col> = lite
        .db
        .fetch_all(platform::db::sql("SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"))
        .await
        .unwrap();
    let mut b: Vec<Col> = pg
        .db
        .fetch_all(platform::db::sql("SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'"))
        .await
        .unwrap();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

backend_tests! {
    two_nodes_delivering_the_same_round_send_each_message_once => |app: TestApp| async move {
        use platform::outbox;
        // Queued for later, out of the running worker's reach; two "nodes" deliver at once.
        let later = platform::db::now() + 10_000;
        for i in 0..60 {
            let to = format!("reader{i}@example.com");
            outbox::enqueue(&mut &app.db, outbox::Channel::Mail, &to, "【信息订阅】新信息", "正文", later).await.unwrap();
        }
        let (a, b) = tokio::join!(
            outbox::deliver_due(&app.db, &app.state.mailer, &app.state.sms, later),
            outbox::deliver_due(&app.db, &app.state.mailer, &app.state.sms, later)
        );
        assert_eq!(a.unwrap().sent + b.unwrap().sent, 60, "every message sent by one of them");
        app.mail.wait_for("reader59@example.com", "新信息").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mails = app.mail.all();
        for i in 0..60 {
            let to = format!("reader{i}@example.com");
            assert_eq!(mails.iter().filter(|m| m.to.contains(&to)).count(), 1, "{to} got one mail");
        }
        // A relay failure mid-round leaves the rest due at once, not held by the claim.
        for i in 0..3 {
            outbox::enqueue(&mut &app.db, outbox::Channel::Mail, &format!("late{i}@example.com"), "【信息订阅】另一条", "正文", later).await.unwrap();
        }
        // A text message queued behind them does not wait for the relay.
        outbox::enqueue(&mut &app.db, outbox::Channel::Sms, "13904510000", "短信", "验证码 246810", later).await.unwrap();
        let down = platform::mail::Mailer::new(Some("smtp://127.0.0.1:9"), "noreply@harbin.gov.cn");
        let r = outbox::deliver_due(&app.db, &down, &app.state.sms, later).await.unwrap();
        assert_eq!((r.sent, r.retrying), (1, 1), "the text message went, one mail failed");
        app.sms_log_with("验证码 246810").await;
        let r = outbox::deliver_due(&app.db, &app.state.mailer, &app.state.sms, later).await.unwrap();
        assert_eq!(r.sent, 2, "the two not tried were released");
    };
}

backend_tests! {
    mail_waits_in_the_outbox_while_the_relay_is_down => |app: TestApp| async move {
        use platform::outbox;
        let count = |state: &'static str| {
            let db = app.db.clone();
            async move { db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE state = $1").bind(state)).await.unwrap() }
        };
        // Queued for later, out of the running worker's reach, so this test drives the rounds.
        let later = platform::db::now() + 10_000;
        outbox::enqueue(&mut &app.db, outbox::Channel::Mail, "zhang.san@example.com", "【市长信箱】来信已收到", "您的来信已收到。", later).await.unwrap();
        // The relay is down: the message stays queued with the reason, and no address in it.
        let down = platform::mail::Mailer::new(Some("smtp://127.0.0.1:9"), "noreply@harbin.gov.cn");
        let r = outbox::deliver_due(&app.db, &down, &app.state.sms, later).await.unwrap();
        assert_eq!(r, outbox::Round { sent: 0, retrying: 1, failed: 0 });
        let waiting = outbox::undelivered(&app.db).await.unwrap();
        assert_eq!((waiting.len(), waiting[0].attempts), (1, 1));
        assert!(!waiting[0].last_error.is_empty() && !waiting[0].last_error.contains('@'), "{}", waiting[0].last_error);
        assert!(!waiting[0].recipient.contains("zhang.san"), "the address is sealed at rest");
        // Not due again before its pause is over; then the relay is back and it goes out once.
        assert_eq!(outbox::deliver_due(&app.db, &app.state.mailer, &app.state.sms, later + 1).await.unwrap(), outbox::Round::default());
        let r = outbox::deliver_due(&app.db, &app.state.mailer, &app.state.sms, later + outbox::backoff(1)).await.unwrap();
        assert_eq!(r.sent, 1);
        app.mail.wait_for("zhang.san@example.com", "来信已收到").await;
        assert_eq!((count("sent").await, count("pending").await), (1, 0));
        // A message that keeps failing ends as failed, is listed, and can be sent again.
        outbox::enqueue(&mut &app.db, outbox::Channel::Mail, "li.si@example.com", "【网上办事】申请已提交", "正文", later).await.unwrap();
        app.db.execute(platform::db::sql("UPDATE outbox SET attempts = $1 WHERE state = 'pending'").bind(outbox::MAX_ATTEMPTS - 1)).await.unwrap();
        let r = outbox::deliver_due(&app.db, &down, &app.state.sms, later).await.unwrap();
        assert_eq!(r.failed, 1);
        let failed = outbox::undelivered(&app.db).await.unwrap();
        assert_eq!(failed[0].state, "failed");
        app.user("mailops", &[Role::Sysadmin]).await;
        let mut c = app.signed_in("mailops").await;
        let work = c.get("/admin").await;
        assert!(work.text.contains("发送失败的邮件"), "the workbench shows the failed mail: {}", work.text);
        let page = c.get("/admin/outbox").await;
        assert!(page.text.contains("【网上办事】申请已提交") && page.text.contains("发送失败"), "{}", page.text);
        assert!(!page.text.contains("li.si@example.com"), "addresses are not shown");
        // The API lists it the same way (no address, no body) and a retry that is not due is refused.
        let token = app.token("mailops").await;
        let listed = c.api("GET", "/api/v1/outbox", &token, None).await;
        assert!(listed.text.contains("【网上办事】申请已提交") && !listed.text.contains("li.si@example.com") && !listed.text.contains("正文"), "{}", listed.text);
        let r = c.post_form(&format!("/admin/outbox/{}/retry", failed[0].id), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        app.mail.wait_for("li.si@example.com", "申请已提交").await;
        assert_eq!(count("failed").await, 0);
        let again = c.api("POST", &format!("/api/v1/outbox/{}/actions/retry", failed[0].id), &token, None).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    };
}

backend_tests! {
    a_period_of_a_job_is_claimed_once_across_nodes => |app: TestApp| async move {
        use platform::jobs::claim_period;
        // Four nodes try the same morning at once: exactly one runs it.
        let tries = claim_from_nodes(&app, "interaction.reminders", "2026-12-03").await;
        assert_eq!(tries.iter().filter(|t| **t).count(), 1, "{tries:?}");
        assert!(!claim_period(&app.db, "interaction.reminders", "2026-12-03").await.unwrap(), "a restart does not run it again");
        assert!(claim_period(&app.db, "interaction.reminders", "2026-12-04").await.unwrap(), "the next day is free");
        assert!(claim_period(&app.db, "other.job", "2026-12-03").await.unwrap(), "another job's period is its own");
        assert_eq!(platform::jobs::prune(&app.db, 90).await.unwrap(), 0, "recent claims are kept");
    };
}

async fn claim_from_nodes(app: &TestApp, name: &'static str, period: &'static str) -> Vec<bool> {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move { platform::jobs::claim_period(&db, name, period).await.unwrap() })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Every back-office form post (`POST /admin/…` in any crate's routes) has its API operation, so
/// whatever a person can do in the back office a program can do through `/api/v1`. Posts that only
/// make sense in a browser session say why — a new back-office post without an operation fails
/// this test.
#[tokio::test]
async fn every_back_office_post_has_an_api_operation() {
    // (back-office path, the API operation that does the same, or why there is none)
    enum Api {
        Op(&'static str, &'static str),
        Browser(&'static str),
    }
    use Api::*;
    let table: &[(&str, Api)] = &[
        ("/admin/login", Browser("signing in makes a session; the API uses tokens")),
        ("/admin/logout", Browser("ends the browser session")),
        ("/admin/password", Browser("a person's own password, entered by that person")),
        ("/admin/mfa", Browser("binding an authenticator app is done by its owner")),
        ("/admin/audit/verify", Op("post", "/api/v1/audit/actions/verify")),
        ("/admin/calendar", Op("post", "/api/v1/calendar")),
        ("/admin/orgs", Op("post", "/api/v1/orgs")),
        ("/admin/orgs/{id}", Op("patch", "/api/v1/orgs/{id}")),
        ("/admin/users/new", Op("post", "/api/v1/users")),
        ("/admin/users/{id}", Op("patch", "/api/v1/users/{id}")),
        ("/admin/users/{id}/disable", Op("post", "/api/v1/users/{id}/actions/{action}")),
        ("/admin/users/{id}/enable", Op("post", "/api/v1/users/{id}/actions/{action}")),
        ("/admin/users/{id}/reset-password", Op("post", "/api/v1/users/{id}/actions/{action}")),
        ("/admin/grants/{user_id}", Op("post", "/api/v1/users/{id}/grants")),
        ("/admin/grants/remove/{grant_id}", Op("delete", "/api/v1/grants/{id}")),
        ("/admin/tokens", Op("post", "/api/v1/tokens")),
        ("/admin/tokens/{id}/revoke", Op("post", "/api/v1/tokens/{id}/actions/revoke")),
        ("/admin/settings", Op("put", "/api/v1/settings")),
        ("/admin/security-policy", Op("put", "/api/v1/security-policy")),
        ("/admin/outbox/{id}/retry", Op("post", "/api/v1/outbox/{id}/actions/retry")),
        ("/admin/cms/articles/new", Op("post", "/api/v1/articles")),
        ("/admin/cms/articles/{id}/edit", Op("patch", "/api/v1/articles/{id}")),
        ("/admin/cms/articles/{id}/act", Op("post", "/api/v1/articles/{id}/actions/{action}")),
        ("/admin/cms/articles/{id}/place", Op("post", "/api/v1/articles/{id}/placements")),
        ("/admin/cms/articles/{id}/unplace/{channel}", Op("delete", "/api/v1/articles/{id}/placements/{channel}")),
        ("/admin/cms/articles/{id}/restore/{rev}", Op("post", "/api/v1/articles/{id}/revisions/{rev}/actions/restore")),
        ("/admin/cms/articles/{id}/attachments", Op("post", "/api/v1/articles/{id}/attachments")),
        ("/admin/cms/attachments/{id}/delete", Op("delete", "/api/v1/attachments/{id}")),
        ("/admin/cms/sites", Op("post", "/api/v1/sites")),
        ("/admin/cms/sites/{id}", Op("patch", "/api/v1/sites/{id}")),
        ("/admin/cms/sites/{id}/channels", Op("post", "/api/v1/sites/{id}/channels")),
        ("/admin/cms/channels/{id}", Op("patch", "/api/v1/channels/{id}")),
        ("/admin/cms/sites/{id}/templates/{name}", Op("put", "/api/v1/sites/{id}/templates/{name}")),
        (
            "/admin/cms/sites/{id}/templates/{name}/restore/{version}",
            Op("post", "/api/v1/sites/{id}/templates/{name}/versions/{version}/actions/restore"),
        ),
        ("/admin/cms/search/synonyms", Op("put", "/api/v1/search/synonyms")),
        ("/admin/cms/search/words", Op("put", "/api/v1/search/words")),
        ("/admin/cms/search/bestbets", Op("post", "/api/v1/search/best-bets")),
        ("/admin/cms/search/bestbets/{id}/delete", Op("delete", "/api/v1/search/best-bets/{id}")),
        ("/admin/cms/search/rebuild", Op("post", "/api/v1/search/actions/rebuild")),
        ("/admin/cms/stats/quota", Op("put", "/api/v1/publishing-quotas")),
        ("/admin/letters/{id}/act", Op("post", "/api/v1/letters/{id}/actions/{action}")),
        ("/admin/letters/{id}/draft", Op("put", "/api/v1/letters/{id}/draft")),
        ("/admin/mailboxes/new", Op("post", "/api/v1/mailboxes")),
        ("/admin/mailboxes/{id}", Op("put", "/api/v1/mailboxes/{id}")),
        ("/admin/mailboxes/settings", Op("put", "/api/v1/mailbox-settings")),
        ("/admin/mailboxes/keys", Op("post", "/api/v1/open311-keys")),
        ("/admin/mailboxes/keys/{id}/revoke", Op("post", "/api/v1/open311-keys/{id}/actions/revoke")),
        ("/admin/data/sources", Op("post", "/api/v1/data-sources")),
        ("/admin/data/sources/{id}", Op("put", "/api/v1/data-sources/{id}")),
        ("/admin/data/sources/{id}/runs", Op("post", "/api/v1/data-sources/{id}/runs")),
        ("/admin/data/population", Op("post", "/api/v1/population/query")),
        ("/admin/data/population/{id}", Op("post", "/api/v1/population/{id}/view")),
        ("/admin/data/population/conflicts/{id}", Op("post", "/api/v1/population/conflicts/{id}/actions/{action}")),
        ("/admin/data/datasets/new", Op("post", "/api/v1/datasets")),
        ("/admin/data/datasets/{id}", Op("put", "/api/v1/datasets/{id}")),
        ("/admin/data/datasets/{id}/state", Op("post", "/api/v1/datasets/{id}/actions/{action}")),
        ("/admin/data/datasets/{id}/resources", Op("post", "/api/v1/datasets/{id}/resources")),
        ("/admin/data/resources/{id}/versions", Op("post", "/api/v1/data-resources/{id}/versions")),
        ("/admin/data/stations", Op("post", "/api/v1/stations")),
        ("/admin/data/stations/{id}/key", Op("post", "/api/v1/stations/{id}/key")),
        ("/admin/services/items/new", Op("post", "/api/v1/service-items")),
        // The API saves an item by its code: new or an update of the item with that code.
        ("/admin/services/items/{id}", Op("post", "/api/v1/service-items")),
        ("/admin/services/items/import", Op("post", "/api/v1/service-items/import")),
        ("/admin/services/items/import.xlsx", Op("post", "/api/v1/service-items/import.xlsx")),
        ("/admin/services/cases/{id}/act", Op("post", "/api/v1/applications/{id}/actions/{action}")),
        ("/admin/services/cases/{id}/appeal", Op("post", "/api/v1/applications/{id}/appeal")),
        ("/admin/services/cases/{id}/appeal/decide", Op("post", "/api/v1/applications/{id}/appeal/decide")),
        ("/admin/services/followups/{id}/close", Op("post", "/api/v1/service-followups/{id}/close")),
        ("/admin/services/calls", Op("post", "/api/v1/project-calls")),
        ("/admin/services/calls/{id}/state", Op("post", "/api/v1/project-calls/{id}/stage")),
        ("/admin/services/calls/{id}/screen", Op("post", "/api/v1/project-calls/{id}/screenings")),
        ("/admin/services/calls/{id}/assign", Op("post", "/api/v1/project-calls/{id}/assignments")),
        ("/admin/services/calls/{id}/answer", Op("post", "/api/v1/project-calls/{id}/objection-answers")),
        ("/admin/services/experts", Op("post", "/api/v1/experts")),
        ("/admin/services/review/{id}", Op("post", "/api/v1/expert-assignments/{id}/scores")),
        ("/admin/disclosure/requests/{id}", Op("post", "/api/v1/disclosure-requests/{id}/actions/{action}")),
        ("/admin/disclosure/guides/{org}", Op("put", "/api/v1/disclosure-guides/{org}")),
        ("/admin/disclosure/requests/{id}/review", Op("put", "/api/v1/disclosure-requests/{id}/review")),
        ("/admin/disclosure/catalogue/new", Op("post", "/api/v1/disclosure-items")),
        ("/admin/disclosure/catalogue/{id}", Op("put", "/api/v1/disclosure-items/{id}")),
        (
            "/admin/disclosure/catalogue/{id}/interpretations",
            Op("post", "/api/v1/disclosure-items/{id}/interpretations"),
        ),
        ("/admin/disclosure/reports/{org}/{year}", Op("put", "/api/v1/disclosure-reports/{org}/{year}")),
        ("/admin/disclosure/tree/topics", Op("post", "/api/v1/disclosure-topics")),
        ("/admin/disclosure/tree/topics/{id}/delete", Op("delete", "/api/v1/disclosure-topics/{id}")),
        ("/admin/disclosure/tree/bindings", Op("post", "/api/v1/disclosure-bindings")),
        ("/admin/disclosure/tree/bindings/{id}/delete", Op("delete", "/api/v1/disclosure-bindings/{id}")),
        ("/admin/participation/consultations/new", Op("post", "/api/v1/consultations")),
        ("/admin/participation/consultations/{id}", Op("put", "/api/v1/consultations/{id}")),
        ("/admin/participation/consultations/{id}/act", Op("post", "/api/v1/consultations/{id}/actions/{action}")),
        ("/admin/participation/consultations/{id}/review", Op("post", "/api/v1/consultations/{id}/review/{decision}")),
        ("/admin/participation/consultations/{id}/adoption", Op("post", "/api/v1/consultations/{id}/adoption")),
        ("/admin/participation/consultations/{id}/report", Op("put", "/api/v1/consultations/{id}/report")),
        ("/admin/participation/comments/{id}", Op("put", "/api/v1/consultation-comments/{id}")),
        ("/admin/participation/surveys/new", Op("post", "/api/v1/surveys")),
        ("/admin/participation/surveys/{id}", Op("put", "/api/v1/surveys/{id}")),
        ("/admin/participation/surveys/{id}/act", Op("post", "/api/v1/surveys/{id}/actions/{action}")),
        ("/admin/participation/interviews/new", Op("post", "/api/v1/interviews")),
        ("/admin/participation/interviews/{id}", Op("put", "/api/v1/interviews/{id}")),
        ("/admin/participation/interviews/{id}/act", Op("post", "/api/v1/interviews/{id}/actions/{action}")),
        ("/admin/participation/interviews/{id}/messages", Op("post", "/api/v1/interviews/{id}/messages")),
        ("/admin/participation/messages/{id}", Op("put", "/api/v1/interview-messages/{id}")),
        ("/admin/office/documents/new", Op("post", "/api/v1/office/documents")),
        ("/admin/office/documents/{id}", Op("put", "/api/v1/office/documents/{id}")),
        ("/admin/office/documents/{id}/parts", Op("post", "/api/v1/office/documents/{id}/parts")),
        (
            "/admin/office/documents/{id}/parts/{part}/remove",
            Op("delete", "/api/v1/office/documents/{id}/parts/{part}"),
        ),
        ("/admin/office/documents/{id}/act", Op("post", "/api/v1/office/documents/{id}/actions/{action}")),
        ("/admin/office/documents/{id}/remind", Op("post", "/api/v1/office/documents/{id}/remind")),
        ("/admin/office/deliveries/{id}", Op("post", "/api/v1/office/deliveries/{id}/actions/{decision}")),
        ("/admin/office/deliveries/{id}/notes", Op("post", "/api/v1/office/deliveries/{id}/notes")),
        ("/admin/office/proposals/new", Op("post", "/api/v1/office/proposals")),
        ("/admin/office/proposals/import", Op("post", "/api/v1/office/proposals/import")),
        ("/admin/office/proposals/{id}/assign", Op("post", "/api/v1/office/proposals/{id}/assign")),
        ("/admin/office/proposals/{id}/return", Op("post", "/api/v1/office/proposals/{id}/return")),
        ("/admin/office/proposals/{id}/opinion", Op("post", "/api/v1/office/proposals/{id}/opinion")),
        ("/admin/office/proposals/{id}/reply", Op("post", "/api/v1/office/proposals/{id}/reply")),
        ("/admin/office/proposals/{id}/review", Op("post", "/api/v1/office/proposals/{id}/review/{decision}")),
        ("/admin/office/proposals/{id}/rate", Op("post", "/api/v1/office/proposals/{id}/rate")),
        ("/admin/office/proposals/{id}/urge", Op("post", "/api/v1/office/proposals/{id}/urge")),
        // On and off are one form posting `on`; the API has POST and DELETE.
        ("/admin/office/proposals/{id}/publish", Op("post", "/api/v1/office/proposals/{id}/publication")),
        ("/admin/office/reports/new", Op("post", "/api/v1/office/reports")),
        ("/admin/office/meetings/new", Op("post", "/api/v1/office/meetings")),
        ("/admin/office/duty/zero", Op("post", "/api/v1/office/duty/zero-reports")),
        ("/admin/office/duty/log", Op("post", "/api/v1/office/duty/log")),
        ("/admin/office/duty/incidents", Op("post", "/api/v1/office/duty/incidents")),
        ("/admin/office/duty/incidents/{id}", Op("post", "/api/v1/office/duty/incidents/{id}/reports")),
        ("/admin/office/duty/roster/rotate", Op("post", "/api/v1/office/duty/roster/rotation")),
        ("/admin/office/duty/roster/shift", Op("put", "/api/v1/office/duty/shifts")),
        ("/admin/office/duty/roster/swaps", Op("post", "/api/v1/office/duty/swaps")),
        ("/admin/office/duty/roster/swaps/{id}", Op("post", "/api/v1/office/duty/swaps/{id}/{decision}")),
        ("/admin/listings/{id}/act", Op("post", "/api/v1/listings/{id}/actions/{action}")),
        ("/admin/services/items/{id}/fees", Op("put", "/api/v1/service-items/{id}/fees")),
        ("/admin/courseware/new", Op("post", "/api/v1/courseware")),
        ("/admin/courseware/{id}", Op("put", "/api/v1/courseware/{id}")),
        ("/admin/courseware/categories", Op("post", "/api/v1/courseware/categories")),
        ("/admin/live/points/new", Op("post", "/api/v1/camera-points")),
        ("/admin/live/points/{id}", Op("put", "/api/v1/camera-points/{id}")),
        ("/admin/live/points/{id}/check", Op("post", "/api/v1/camera-points/{id}/check")),
        ("/admin/live/points/{id}/delete", Op("delete", "/api/v1/camera-points/{id}")),
        ("/admin/services/cases/{id}/fee-notice", Op("post", "/api/v1/applications/{id}/fee-notice")),
        ("/admin/services/fees/{id}/act", Op("post", "/api/v1/fee-notices/{id}/actions/{action}")),
        ("/admin/listings/boards/{code}", Op("put", "/api/v1/listings/boards/{code}")),
        ("/admin/office/meetings/{id}/act", Op("post", "/api/v1/office/meetings/{id}/actions/{action}")),
        ("/admin/office/meetings/{id}/reply", Op("post", "/api/v1/office/meetings/{id}/reply")),
        ("/admin/office/meetings/{id}/remind", Op("post", "/api/v1/office/meetings/{id}/remind")),
        ("/admin/office/meetings/{id}/minutes", Op("put", "/api/v1/office/meetings/{id}/minutes")),
        ("/admin/office/meetings/{id}/materials", Op("post", "/api/v1/office/meetings/{id}/materials")),
        (
            "/admin/office/meetings/{id}/materials/{mid}/delete",
            Op("delete", "/api/v1/office/meetings/{id}/materials/{mid}"),
        ),
        ("/admin/office/meetings/{id}/signin", Op("post", "/api/v1/office/meetings/{id}/check-ins")),
        ("/admin/office/reports/{id}/adopt", Op("post", "/api/v1/office/reports/{id}/adopt")),
        ("/admin/office/reports/{id}/decline", Op("post", "/api/v1/office/reports/{id}/decline")),
        ("/admin/office/reports/{id}/instruct", Op("post", "/api/v1/office/reports/{id}/instructions")),
        ("/admin/office/reports/issues/{id}/issue", Op("post", "/api/v1/office/report-issues/{id}/issue")),
        ("/admin/office/reports/rules", Op("put", "/api/v1/office/report-rules")),
        ("/admin/office/reports/quotas", Op("put", "/api/v1/office/report-quotas/{org}")),
        ("/admin/supervision/run", Op("post", "/api/v1/monitor/run")),
        ("/admin/supervision/sites/{id}/settings", Op("put", "/api/v1/monitor/sites/{id}/settings")),
        ("/admin/supervision/words", Op("post", "/api/v1/wording-rules")),
        // A list pasted in the back office is one POST per entry through the API.
        ("/admin/supervision/words/import", Op("post", "/api/v1/wording-rules")),
        ("/admin/supervision/words/{id}/delete", Op("delete", "/api/v1/wording-rules/{id}")),
        ("/admin/supervision/annual/sites/{id}", Op("put", "/api/v1/annual-reports/sites/{id}/{year}")),
        (
            "/admin/supervision/annual/sites/{id}/publish",
            Op("post", "/api/v1/annual-reports/sites/{id}/{year}/actions/publish"),
        ),
        ("/admin/supervision/staff", Op("post", "/api/v1/rated-staff")),
        ("/admin/supervision/staff/{id}", Op("put", "/api/v1/rated-staff/{id}")),
        (
            "/admin/supervision/staff/{id}/photo",
            Browser("a photo is a file chosen in the browser and shown only on the public pages"),
        ),
        ("/admin/supervision/ratings/{id}/moderate", Op("post", "/api/v1/staff-ratings/{id}/actions/{action}")),
        ("/admin/supervision/ratings/publish-plain", Op("post", "/api/v1/staff-ratings/actions/publish-plain")),
        ("/admin/supervision/assessment/rules", Op("post", "/api/v1/assessment-rules")),
        ("/admin/supervision/evaluations", Op("post", "/api/v1/site-evaluations")),
        ("/admin/supervision/evaluations/{id}/sites/{site}", Op("put", "/api/v1/site-evaluations/{id}/sites/{site}")),
        ("/admin/supervision/evaluations/{id}/publish", Op("post", "/api/v1/site-evaluations/{id}/actions/publish")),
        ("/admin/supervision/assessment/rules/{id}", Op("put", "/api/v1/assessment-rules/{id}")),
        ("/admin/supervision/assessment/rules/{id}/delete", Op("delete", "/api/v1/assessment-rules/{id}")),
    ];
    // The back-office posts, read from the routers' source (`.route("/admin/…", … post(…))`).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut posts: Vec<String> = Vec::new();
    let mut stack = vec![root.join("crates")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with("tests") && !p.ends_with("target") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let src = std::fs::read_to_string(&p).unwrap();
                for call in src.split(".route(").skip(1) {
                    let call = call.trim_start();
                    let Some(rest) = call.strip_prefix('"') else { continue };
                    let Some(end) = rest.find('"') else { continue };
                    let path = &rest[..end];
                    // The route's handlers end where the next statement or route begins.
                    let handlers = rest[end..].split(['\n', ';']).take(3).collect::<Vec<_>>().join(" ");
                    if path.starts_with("/admin") && (handlers.contains("post(") || handlers.contains(".post(")) {
                        posts.push(path.to_owned());
                    }
                }
            }
        }
    }
    posts.sort();
    posts.dedup();
    assert!(posts.len() > 40, "the scan found the routers: {posts:?}");
    let app = TestApp::new(common::Backend::Sqlite).await;
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    let mut problems = Vec::new();
    for p in &posts {
        match table.iter().find(|(a, _)| a == p) {
            None => problems
                .push(format!("{p}: a back-office post without an API operation (add one, or say why in this table)")),
            Some((_, Op(method, path))) if doc["paths"][*path].get(*method).is_none() => {
                problems.push(format!("{p}: {} {path} is not in the OpenAPI document", method.to_uppercase()))
            }
            Some(_) => {}
        }
    }
    for (a, _) in table {
        if !posts.iter().any(|p| p == a) {
            problems.push(format!("{a}: listed here but no longer a back-office post (remove the row)"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (a, api) in table {
        if let Browser(why) = api {
            assert!(!why.is_empty(), "{a}: say why it has no API operation");
        }
    }
}

/// The API's surface as a reviewed file: every operation with its summary, whether it needs a
/// token, its parameters and the request body's fields (required ones marked). A change to the API
/// shows up as a change to `snapshots/openapi.txt` in review; run with `UPDATE_SNAPSHOTS=1` to
/// accept it.
#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::new(common::Backend::Sqlite).await;
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    let mut lines = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let public = op.get("security").is_some_and(|s| s == &json!([]));
            let params: Vec<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| format!("{}:{}", p["in"].as_str().unwrap_or(""), p["name"].as_str().unwrap_or("")))
                        .collect()
                })
                .unwrap_or_default();
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let mut fields: Vec<String> = schema["properties"]
                .as_object()
                .map(|p| {
                    p.keys().map(|k| if required.contains(&k.as_str()) { format!("{k}*") } else { k.clone() }).collect()
                })
                .unwrap_or_default();
            fields.sort();
            lines.push(format!(
                "{} {path} | {} | {} | params {} | body {}",
                method.to_uppercase(),
                op["summary"].as_str().unwrap_or(""),
                if public { "public" } else { "token" },
                params.join(","),
                fields.join(",")
            ));
        }
    }
    lines.sort();
    let now = lines.join("\n") + "\n";
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/openapi.txt");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &now).unwrap();
    }
    let kept = std::fs::read_to_string(&file).unwrap_or_default();
    if kept != now {
        let old: std::collections::BTreeSet<&str> = kept.lines().collect();
        let new: std::collections::BTreeSet<&str> = now.lines().collect();
        let gone: Vec<&&str> = old.difference(&new).collect();
        let added: Vec<&&str> = new.difference(&old).collect();
        panic!("the API changed (accept with UPDATE_SNAPSHOTS=1):\n- {gone:#?}\n+ {added:#?}");
    }
}
