//! 互动交流 end to end on the real router and both databases: a citizen writes (captcha,
//! attachment, confirmation mail through SMTP), the office screens and assigns, the handler asks for
//! an extension and replies, the office returns and then approves the reply, publishes it redacted,
//! the writer rates and reopens; illegal moves are refused with 409/403; bad input keeps what was
//! typed; statistics are exact; Open311 files and reads letters without personal data.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, captcha};
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

struct World {
    housing: i64,
    transport: i64,
}

/// Two handling units, a mayor's mailbox created through the back-office form, and the people.
async fn world(app: &TestApp) -> World {
    let city =
        platform::accounts::create_org(&app.db, None, "冰城市人民政府办公室", "BC-OFFICE", "office").await.unwrap();
    let housing =
        platform::accounts::create_org(&app.db, Some(city), "市住房和城乡建设局", "BC-ZJJ", "dept").await.unwrap();
    let transport =
        platform::accounts::create_org(&app.db, Some(city), "市交通运输局", "BC-JTJ", "dept").await.unwrap();
    app.user_with_email(
        "office",
        "office@gov.test",
        &[Grant { role: Role::SiteAdmin, scope: ScopeKind::Global, scope_id: 0 }],
    )
    .await;
    app.user_with_email(
        "zjj",
        "zjj@gov.test",
        &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: housing }],
    )
    .await;
    app.user_with_email(
        "jtj",
        "jtj@gov.test",
        &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: transport }],
    )
    .await;
    app.user("mayor", &[Role::Leader]).await;
    let mut office = app.signed_in("office").await;
    let res = office
        .post_form(
            "/admin/mailboxes/new",
            &[
                ("code", "szxx"),
                ("name", "市长信箱"),
                ("kind", "leader"),
                ("intro", "市长信箱受理市民对全市经济社会发展的意见建议。"),
                ("accept_days", "3"),
                ("reply_days", "15"),
                ("warn_days", "3"),
                ("unit_codes", "BC-ZJJ\nBC-JTJ"),
                ("categories", "城乡建设\n交通出行\n其他"),
                ("publish_replies", "on"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert!(interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().is_some(), "mailbox saved");
    World { housing, transport }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000IHDR";

/// Writes a letter as a citizen; returns (number, query code).
async fn write_letter(app: &TestApp, subject: &str, content: &str, email: &str) -> (String, String) {
    let mut c = app.client();
    let page = c.get("/hudong/szxx/write").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let (token, answer) = captcha(&page.text);
    let csrf = page.csrf().expect("csrf");
    let once = page.hidden("_once").expect("submission token");
    let cat = interaction::store::categories(
        &app.db,
        interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().unwrap().id,
    )
    .await
    .unwrap()[0]
        .id
        .to_string();
    let res = c
        .post_multipart(
            "/hudong/szxx/write",
            &[
                ("_csrf", &csrf),
                ("_once", &once),
                ("name", "王建国"),
                ("phone", "13812345678"),
                ("email", email),
                ("id_number", "11010519491231002X"),
                ("category_id", &cat),
                ("subject", subject),
                ("content", content),
                ("consent_publish", "true"),
                ("anonymous_public", "true"),
                ("captcha_token", &token),
                ("captcha", &answer),
            ],
            &[("attachments", "现场照片.png", PNG)],
        )
        .await;
    // Post, redirect, get: the receipt is a page of its own that a reload does not resubmit.
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(res.location(), "/hudong/szxx/receipt");
    let res = c.get("/hudong/szxx/receipt").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.contains("来信已提交"), "{}", res.text);
    let grab = |label: &str| {
        let i = res.text.find(label).expect(label);
        let rest = &res.text[i..];
        let s = rest.find("<strong>").expect("strong") + 8;
        rest[s..s + rest[s..].find('<').expect("end")].to_owned()
    };
    (grab("信件编号"), grab("查询码"))
}

/// The statistics tally as kept by every write must equal one rebuilt from the letters.
async fn assert_tally_consistent(app: &TestApp) {
    #[derive(sqlx::FromRow, Debug, PartialEq)]
    struct T {
        mailbox_id: i64,
        unit_id: i64,
        day: String,
        received: i64,
        accepted: i64,
        rejected: i64,
        completed: i64,
        completed_on_time: i64,
        handling_workdays: i64,
        rated: i64,
        satisfied: i64,
        basic: i64,
        unsatisfied: i64,
        published: i64,
        in_progress: i64,
    }
    let q = "SELECT * FROM letter_tally WHERE received <> 0 OR accepted <> 0 OR completed <> 0 OR rated <> 0 OR published <> 0 \
             OR in_progress <> 0 OR rejected <> 0 OR handling_workdays <> 0 ORDER BY mailbox_id, unit_id, day";
    let kept: Vec<T> = app.db.fetch_all(platform::db::sql(q)).await.unwrap();
    interaction::store::rebuild_tally(&app.db).await.unwrap();
    let rebuilt: Vec<T> = app.db.fetch_all(platform::db::sql(q)).await.unwrap();
    assert!(!kept.is_empty());
    assert_eq!(kept, rebuilt, "incremental tally differs from the letters");
}

async fn letter_id(app: &TestApp, no: &str) -> i64 {
    interaction::store::letter_by_no(&app.db, no).await.unwrap().expect("letter").id
}

backend_tests! {
    letter_journey => |app: TestApp| async move {
        let w = world(&app).await;
        let content = "幸福里小区东门外的三盏路灯已经一个月不亮了，晚上老人孩子出行很不方便。我叫王建国，电话13812345678，请尽快修复。";
        let (no, code) = write_letter(&app, "幸福里小区路灯不亮", content, "wjg@example.cn").await;
        // The writer is told by mail, with the number and the code.
        let mail = app.mail.wait_for("wjg@example.cn", &no).await;
        assert!(mail.body.contains(&code), "{mail:?}");
        let id = letter_id(&app, &no).await;

        // The office sees the letter masked in the queue, in full on its page (and that view is audited).
        let mut office = app.signed_in("office").await;
        let q = office.get("/admin/letters/office").await;
        assert!(q.text.contains("幸福里小区路灯不亮") && q.text.contains("王**") && q.text.contains("138****5678"), "{}", q.text);
        assert!(!q.text.contains("13812345678"));
        let page = office.get(&format!("/admin/letters/{id}")).await;
        assert!(page.text.contains("13812345678") && page.text.contains("现场照片.png"), "{}", page.text);
        assert!(page.text.contains("<dd>网站写信</dd>"), "the source in words");
        let viewed = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'letter.view' AND username = 'office'")).await.unwrap();
        assert!(viewed >= 1);

        // Screening and assignment through the pages.
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "accept")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!(l.state, "accepted");
        let cal = app.interaction.calendar(&app.db).await;
        let expected_due = interaction::service::date_text(cal.add_workdays(interaction::service::today(), 15));
        assert_eq!(l.due_date.as_deref(), Some(expected_due.as_str()), "15 working days from acceptance");
        // Assigning without a unit keeps the office on the page with the problem named.
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "assign"), ("unit_id", "")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择承办单位"));
        let unit = w.housing.to_string();
        let co = w.transport.to_string();
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "assign"), ("unit_id", &unit), ("co_unit_ids", &co)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        app.mail.wait_for("zjj@gov.test", "新交办信件").await;

        // The leader records an instruction; the handler sees it in the history.
        let mayor = app.token("mayor").await;
        let mut api = app.client();
        let res = api.api("POST", &format!("/api/v1/letters/{id}/actions/instruct"), &mayor, Some(json!({"comment": "请住建局三日内修复并回复群众。"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);

        // The handler's queue; extension asked and approved moves the due date.
        let mut zjj = app.signed_in("zjj").await;
        let hq = zjj.get("/admin/letters").await;
        assert!(hq.text.contains("幸福里小区路灯不亮"), "{}", hq.text);
        let hp = zjj.get(&format!("/admin/letters/{id}")).await;
        assert!(hp.text.contains("请住建局三日内修复并回复群众"), "{}", hp.text);
        let res = zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "request_extension"), ("days", "5"), ("comment", "需协调供电公司更换线路")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "approve_extension")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        let base = platform::calendar::date(&expected_due).unwrap();
        assert_eq!(l.due_date.unwrap(), interaction::service::date_text(cal.add_workdays(base, 5)));
        assert_eq!((l.extended_days, l.extension_days), (5, 0));

        // Reply, returned once by the office, then approved: the writer gets it by mail.
        let reply = "经核查，路灯线路老化导致故障，我局已协调供电公司于本周内更换线路。联系人李明，电话0451-86661234。";
        let res = zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "submit_reply"), ("reply", "已处理。")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "too short");
        assert!(res.text.contains("答复内容至少 10 个字"));
        zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "submit_reply"), ("reply", reply)]).await;
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "return_reply"), ("comment", "请写明完成时间")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert_eq!(interaction::store::letter(&app.db, id).await.unwrap().unwrap().state, "assigned");
        let reply2 = format!("{reply}预计12月5日前完成。");
        zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "submit_reply"), ("reply", &reply2)]).await;
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "approve_reply")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let mail = app.mail.wait_for("wjg@example.cn", "已答复").await;
        assert!(mail.body.contains("预计12月5日前完成"), "{mail:?}");
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!((l.state.as_str(), l.on_time, l.reply_workdays), ("replied", Some(true), Some(0)));

        // Publication hides the personal data automatically (and names the office adds).
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "publish"), ("redact_names", "李明")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let mut public = app.client();
        let list = public.get("/hudong/szxx/").await;
        assert!(list.text.contains("幸福里小区路灯不亮") && list.text.contains("市住房和城乡建设局"), "{}", list.text);
        let p = public.get(&format!("/hudong/letters/{no}")).await;
        assert_eq!(p.status, StatusCode::OK);
        for private in ["王建国", "13812345678", "11010519491231002X", "wjg@example.cn", "86661234", "李明"] {
            assert!(!p.text.contains(private) && !list.text.contains(private), "{private} leaked: {}", p.text);
        }
        assert!(p.text.contains("[电话已隐去]") && p.text.contains("路灯线路老化"), "{}", p.text);
        assert!(p.text.contains("<dd>匿名</dd>"), "the writer asked to stay anonymous");
        // Filters on the public list.
        let none = public.get("/hudong/szxx/?q=%E5%85%AC%E4%BA%A4").await;
        assert!(!none.text.contains("幸福里小区路灯不亮"));
        let some = public.get(&format!("/hudong/szxx/?unit={}", w.housing)).await;
        assert!(some.text.contains("幸福里小区路灯不亮"));

        // The writer looks it up, rates it 不满意 and reopens it once.
        let mut writer = app.client();
        let qp = writer.get("/hudong/query").await;
        let csrf = qp.csrf().unwrap();
        let bad = writer.post_form_raw("/hudong/query", &serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("no", no.as_str()), ("code", "WRONGCODE")]).unwrap()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("查询码不正确"));
        let ok = writer.post_form_raw("/hudong/query", &serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("no", no.as_str()), ("code", code.as_str())]).unwrap()).await;
        assert!(ok.text.contains("预计12月5日前完成") && ok.text.contains("提交评价"), "{}", ok.text);
        assert!(!ok.text.contains("请住建局三日内修复"), "internal instructions are not shown to the writer");
        let act = |action: &'static str, sat: &'static str| {
            serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("no", no.as_str()), ("code", code.as_str()), ("action", action), ("satisfaction", sat), ("comment", "路灯还没修好")]).unwrap()
        };
        let rated = writer.post_form_raw("/hudong/query/act", &act("rate", "unsatisfied")).await;
        assert_eq!((rated.status, rated.location().as_str()), (StatusCode::SEE_OTHER, "/hudong/query/result"), "{}", rated.text);
        let rated = writer.get("/hudong/query/result").await;
        assert!(rated.text.contains("感谢您的评价") && rated.text.contains("申请重新办理"), "{}", rated.text);
        let again = writer.post_form_raw("/hudong/query/act", &act("rate", "satisfied")).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "rated once only");
        let reopened = writer.post_form_raw("/hudong/query/act", &act("reopen", "")).await;
        assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.text);
        assert!(writer.get("/hudong/query/result").await.text.contains("已申请重新办理"));
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!((l.state.as_str(), l.reopened, l.published, l.unit_id), ("assigned", true, false, Some(w.housing)));
        assert!(public.get(&format!("/hudong/letters/{no}")).await.status == StatusCode::NOT_FOUND, "withdrawn from the public site while reopened");

        // Every step is in the history, with who did it.
        let token = app.token("office").await;
        let detail = api.api("GET", &format!("/api/v1/letters/{id}"), &token, None).await.json();
        let actions: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["submit", "accept", "assign", "instruct", "request_extension", "approve_extension", "submit_reply", "return_reply", "submit_reply", "approve_reply", "publish", "rate", "reopen"]);
        assert_eq!(detail["state"], "assigned");
        assert!(detail["actions"].as_array().unwrap().iter().any(|a| a == "reassign"));
        assert_tally_consistent(&app).await;
    };

    illegal_moves_are_refused => |app: TestApp| async move {
        let w = world(&app).await;
        let (no, _) = write_letter(&app, "公交站台破损", "红旗大街公交站台的顶棚破损漏雨，候车的市民很多，请维修。", "").await;
        let id = letter_id(&app, &no).await;
        let office = app.token("office").await;
        let jtj = app.token("jtj").await;
        let zjj = app.token("zjj").await;
        let mut c = app.client();
        // A handler cannot screen, and cannot even open a letter not assigned to the unit.
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/accept"), &jtj, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // Unknown action and a wrong-state action: 409 with the reason.
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/fly"), &office, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/approve_reply"), &office, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.json()["detail"].as_str().unwrap().contains("待受理"), "{}", r.text);
        // A citizen's action is not the office's.
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/rate"), &office, Some(json!({"satisfaction": "satisfied"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        // Reject needs a reason.
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/reject"), &office, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        c.api("POST", &format!("/api/v1/letters/{id}/actions/accept"), &office, None).await;
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/assign"), &office, Some(json!({"unit_id": w.transport}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = c.api("GET", &format!("/api/v1/letters/{id}"), &zjj, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "another unit's handler");
        let r = c.api("GET", &format!("/api/v1/letters/{id}"), &jtj, None).await;
        assert_eq!(r.json()["actions"], json!(["send_back", "request_extension", "submit_reply"]));
        // Extension approval without a request; a second pending request.
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/approve_extension"), &office, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/request_extension"), &jtj, Some(json!({"days": 45, "comment": "x"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "at most 30 days");
        c.api("POST", &format!("/api/v1/letters/{id}/actions/request_extension"), &jtj, Some(json!({"days": 3, "comment": "等待现场勘查"}))).await;
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/request_extension"), &jtj, Some(json!({"days": 3, "comment": "再延"}))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        // Reassigning to a unit outside the mailbox's list.
        let other = platform::accounts::create_org(&app.db, None, "市体育局", "BC-TYJ", "dept").await.unwrap();
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/reassign"), &office, Some(json!({"unit_id": other, "comment": "职能调整"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("不是本信箱的承办单位"), "{}", r.text);
        // Not consented: cannot publish.
        app.db.execute(platform::db::sql("UPDATE letter SET consent_publish = FALSE WHERE id = $1").bind(id)).await.unwrap();
        c.api("POST", &format!("/api/v1/letters/{id}/actions/submit_reply"), &jtj, Some(json!({"reply": "站台顶棚已于本周更换完毕，感谢您的监督。"}))).await;
        c.api("POST", &format!("/api/v1/letters/{id}/actions/approve_reply"), &office, None).await;
        let r = c.api("POST", &format!("/api/v1/letters/{id}/actions/publish"), &office, None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("未同意公开"));
        assert_tally_consistent(&app).await;
        // Denied writes are audited.
        let denied = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE outcome <> 'success'")).await.unwrap();
        assert!(denied >= 2, "{denied}");
    };

    a_solved_captcha_is_accepted_once => |app: TestApp| async move {
        world(&app).await;
        let mut c = app.client();
        let page = c.get("/hudong/szxx/write").await;
        let (token, answer) = captcha(&page.text);
        let csrf = page.csrf().unwrap();
        let mailbox = interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().unwrap().id;
        let cat = interaction::store::categories(&app.db, mailbox).await.unwrap()[0].id.to_string();
        let fields = |subject: &str| {
            vec![("_csrf".to_owned(), csrf.clone()), ("name".into(), "王建国".into()), ("phone".into(), "13812345678".into()), ("category_id".into(), cat.clone()),
                ("subject".into(), subject.to_owned()), ("content".into(), "小区门口的路灯坏了一个多月，晚上出行很不方便。".into()),
                ("captcha_token".into(), token.clone()), ("captcha".into(), answer.clone())]
        };
        let f = fields("路灯损坏");
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(c.post_multipart("/hudong/szxx/write", &f, &[]).await.status, StatusCode::SEE_OTHER);
        // The same solved challenge again (a replaying script, or a second node): refused.
        let f = fields("路灯损坏（再次）");
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let again = c.post_multipart("/hudong/szxx/write", &f, &[]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text.contains("已经用过") && again.text.contains("路灯损坏（再次）"), "{}", again.text);
        let letters = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter")).await.unwrap();
        assert_eq!(letters, 1);
    };

    a_reload_or_a_double_click_files_one_letter => |app: TestApp| async move {
        world(&app).await;
        let mut c = app.client();
        let page = c.get("/hudong/szxx/write").await;
        let (token, answer) = captcha(&page.text);
        let (csrf, once) = (page.csrf().unwrap(), page.hidden("_once").unwrap());
        let mailbox = interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().unwrap().id;
        let cat = interaction::store::categories(&app.db, mailbox).await.unwrap()[0].id.to_string();
        let form = [("_csrf", csrf.as_str()), ("_once", once.as_str()), ("name", "赵丽华"), ("phone", "13912340000"), ("category_id", &cat),
            ("subject", "建议延长社区图书室开放时间"), ("content", "社区图书室晚上六点就关门，上班族下班后无法借书，建议延长到晚上九点。"),
            ("captcha_token", &token), ("captcha", &answer)];
        // The same form sent three times (a double click, then the browser re-sending the POST).
        let mut locations = Vec::new();
        for _ in 0..3 {
            let res = c.post_multipart("/hudong/szxx/write", &form, &[]).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
            locations.push(res.location());
        }
        assert!(locations.iter().all(|l| l == "/hudong/szxx/receipt"), "{locations:?}");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter")).await.unwrap(), 1, "one letter");
        // Reloading the receipt shows the same number and query code and files nothing.
        let first = c.get("/hudong/szxx/receipt").await;
        let again = c.get("/hudong/szxx/receipt").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.text, again.text);
        assert_eq!(first.headers[axum::http::header::CACHE_CONTROL], "no-store");
        let no = app.db.fetch_one::<platform::db::Scalar<String>>(platform::db::sql("SELECT no FROM letter")).await.unwrap().0;
        assert!(first.text.contains(&no), "{}", first.text);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter")).await.unwrap(), 1);
        // Another browser (no submission cookie) sees no receipt and no query code.
        let stranger = app.client().get("/hudong/szxx/receipt").await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
        assert!(stranger.text.contains("回执已过期") && !stranger.text.contains(&no));
        // A form that failed (wrong captcha) may be corrected and sent with the same token.
        let page = c.get("/hudong/szxx/write").await;
        let (token, answer) = captcha(&page.text);
        let once = page.hidden("_once").unwrap();
        let wrong = (answer.parse::<i64>().unwrap() + 1).to_string();
        let mut form = form.to_vec();
        form[1] = ("_once", &once);
        form[5] = ("subject", "建议在公园增设健身器材");
        form[7] = ("captcha_token", &token);
        form[8] = ("captcha", &wrong);
        let failed = c.post_multipart("/hudong/szxx/write", &form, &[]).await;
        assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(failed.hidden("_once").as_deref(), Some(once.as_str()), "the form keeps its token");
        let (token, answer) = captcha(&failed.text);
        form[7] = ("captcha_token", &token);
        form[8] = ("captcha", &answer);
        assert_eq!(c.post_multipart("/hudong/szxx/write", &form, &[]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter")).await.unwrap(), 2);
    };

    bad_input_keeps_what_was_typed => |app: TestApp| async move {
        world(&app).await;
        let mut c = app.client();
        let page = c.get("/hudong/szxx/write").await;
        let csrf = page.csrf().unwrap();
        let (token, answer) = captcha(&page.text);
        let wrong = (answer.parse::<i64>().unwrap() + 1).to_string();
        let res = c
            .post_multipart(
                "/hudong/szxx/write",
                &[("_csrf", &csrf), ("name", "李秀英"), ("phone", "1381234"), ("id_number", "110105194912310021"), ("subject", "关于老旧小区加装电梯的建议"),
                  ("content", "短"), ("captcha_token", &token), ("captcha", &wrong)],
                &[("attachments", "a.exe", b"MZ\x90\x00")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        for msg in ["答案不正确", "联系电话格式不正确", "身份证号码不正确", "至少 10 个字", "请选择信件类别"] {
            assert!(res.text.contains(msg), "missing {msg}");
        }
        assert!(res.text.contains("关于老旧小区加装电梯的建议") && res.text.contains("李秀英"), "typed values kept");
        // Right captcha, wrong attachment type.
        let (token, answer) = captcha(&res.text);
        let cats = interaction::store::categories(&app.db, interaction::store::mailbox_by_code(&app.db, "szxx").await.unwrap().unwrap().id).await.unwrap();
        let cat = cats[0].id.to_string();
        let good = [("_csrf", csrf.as_str()), ("name", "李秀英"), ("phone", "13912345678"), ("category_id", &cat), ("subject", "关于老旧小区加装电梯的建议"),
                    ("content", "我们小区都是六层老楼，老人上下楼困难，希望政府支持加装电梯。"), ("captcha_token", &token), ("captcha", &answer)];
        let res = c.post_multipart("/hudong/szxx/write", &good, &[("attachments", "a.exe", b"MZ\x90\x00")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("类型不允许"));
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter")).await.unwrap(), 0, "nothing stored");
        // A forged form (no CSRF token) is refused.
        let res = app.client().post_multipart("/hudong/szxx/write", &good[1..], &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // Sensitive words flag the letter for screening; it is still stored.
        app.db.execute(platform::db::sql("INSERT INTO setting (key, value, updated_at, updated_by) VALUES ('interaction.sensitive_words', '暴力抗法', 0, 't')")).await.unwrap();
        let content = "小区物业暴力抗法阻挠加装电梯施工，老人上下楼困难，请政府协调。";
        let mut sent = 0;
        for i in 0..6 {
            let page = c.get("/hudong/szxx/write").await;
            let (token, answer) = captcha(&page.text);
            let subject = format!("加装电梯受阻{i}");
            let mut f = good.to_vec();
            f[5] = ("content", content);
            f[4] = ("subject", &subject);
            f[6] = ("captcha_token", &token);
            f[7] = ("captcha", &answer);
            let res = c.post_multipart("/hudong/szxx/write", &f, &[]).await;
            if res.status == StatusCode::SEE_OTHER {
                sent += 1;
                let receipt = c.get(&res.location()).await;
                assert!(receipt.text.contains("需要人工审核"), "{}", receipt.text);
            } else {
                assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
                assert!(res.text.contains("一天内最多提交 5 封") && res.text.contains("加装电梯受阻5"), "message and typed text: {}", res.text);
            }
        }
        assert_eq!(sent, 5, "per-contact limit");
        let flagged = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE flagged_words = '暴力抗法'")).await.unwrap();
        assert_eq!(flagged, 5);
    };
}

backend_tests! {
    statistics_are_exact => |app: TestApp| async move {
        let w = world(&app).await;
        let mut office = app.signed_in("office").await;
        office
            .post_form("/admin/mailboxes/new", &[("code", "kjwd"), ("name", "科技问答"), ("kind", "consult"), ("accept_days", "2"), ("reply_days", "5"), ("warn_days", "1"), ("active", "on")])
            .await;
        let mut boxes = Vec::new();
        for m in interaction::store::mailboxes(&app.db).await.unwrap() {
            let cats = interaction::store::categories(&app.db, m.id).await.unwrap();
            boxes.push((m, cats));
        }
        let today = interaction::service::date_text(interaction::service::today());
        let spec = interaction::generate::Spec {
            count: 3000,
            seed: 7,
            from: platform::parse_date("2025-01-01").unwrap(),
            to: platform::parse_date("2026-01-01").unwrap(),
            today: today.clone(),
        };
        let expected = interaction::generate::generate(&app.db, &boxes, &[w.housing, w.transport], &spec).await.unwrap();
        let token = app.token("office").await;
        let mut c = app.client();
        let s = c.api("GET", "/api/v1/letters/stats?from=2025-01-01&to=2025-12-31", &token, None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.text);
        let s = s.json();
        let mut total_received = 0;
        for (m, _) in &boxes {
            let e = expected.get(&m.id).copied().unwrap_or_default();
            let row = s["by_mailbox"].as_array().unwrap().iter().find(|r| r["name"] == m.name.as_str()).expect("mailbox row");
            let f = &row["figures"];
            for (k, v) in [
                ("received", e.received), ("accepted", e.accepted), ("rejected", e.rejected), ("completed", e.completed),
                ("completed_on_time", e.completed_on_time), ("handling_workdays", e.handling_workdays), ("rated", e.rated),
                ("satisfied", e.satisfied), ("basic", e.basic), ("unsatisfied", e.unsatisfied), ("published", e.published),
                ("overdue_now", e.overdue_now), ("in_progress", e.in_progress),
            ] {
                assert_eq!(f[k].as_i64(), Some(v), "{} {k}", m.name);
            }
            let fig = interaction::domain::figures(e);
            assert_eq!(f["completion_rate"].as_f64(), fig.completion_rate);
            assert_eq!(f["on_time_rate"].as_f64(), fig.on_time_rate);
            assert_eq!(f["satisfaction_rate"].as_f64(), fig.satisfaction_rate);
            total_received += e.received;
        }
        assert_eq!(total_received, 3000);
        assert_eq!(s["total"]["received"].as_i64(), Some(3000));
        let by_unit: i64 = s["by_unit"].as_array().unwrap().iter().map(|r| r["figures"]["received"].as_i64().unwrap()).sum();
        assert_eq!(by_unit, 3000, "every letter in exactly one unit row");
        // The page and the workbook show the same figures.
        let page = office.get("/admin/letters/stats?from=2025-01-01&to=2025-12-31").await;
        assert!(page.text.contains(&format!("<td>{}</td>", expected[&boxes[0].0.id].received)), "{}", page.text);
        let x = office.get("/admin/letters/stats.xlsx?from=2025-01-01&to=2025-12-31").await;
        assert_eq!(x.status, StatusCode::OK);
        assert!(x.bytes.starts_with(b"PK"));
        // A bad period is a named field error, not a 500.
        let bad = office.get("/admin/letters/stats?from=2025-13-01").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("日期格式"));
        // Queues page through large lists ordered by due date; the public list shows only published letters.
        let q = office.get("/admin/letters/office?state=assigned").await;
        assert!(q.text.contains("due-"), "{}", q.text);
        let public = app.client().get("/hudong/szxx/").await;
        assert!(!public.text.contains("13") || !public.text.contains("王建国"));
    };

    open311_files_and_follows_letters => |app: TestApp| async move {
        let w = world(&app).await;
        let mut office = app.signed_in("office").await;
        let page = office.post_form("/admin/mailboxes/keys", &[("name", "12345 市民热线")]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let key = {
            let i = page.text.find("<code>").expect("key shown once") + 6;
            page.text[i..i + page.text[i..].find('<').unwrap()].to_owned()
        };
        let mut c = app.client();
        let d = c.get("/open311/v2/discovery.json").await.json();
        assert_eq!(d["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
        let services = c.get("/open311/v2/services.json").await.json();
        let code = services[0]["service_code"].as_str().unwrap().to_owned();
        assert!(code.starts_with("szxx_"), "{services}");
        assert_eq!(services.as_array().unwrap().len(), 3);
        let xml = c.get("/open311/v2/services.xml").await;
        assert!(xml.text.starts_with("<?xml") && xml.text.contains(&format!("<service_code>{code}</service_code>")), "{}", xml.text);
        let def = c.get(&format!("/open311/v2/services/{code}.json")).await.json();
        assert_eq!(def["service_code"], code.as_str());
        let post = |key: &str, code: &str| {
            serde_urlencoded::to_string([
                ("api_key", key), ("service_code", code), ("first_name", "秀兰"), ("last_name", "赵"), ("phone", "13698765432"), ("email", "zxl@example.cn"),
                ("description", "群力新区第五大道路口信号灯故障，早高峰车辆拥堵严重，请尽快修复。我的电话13698765432。"),
            ])
            .unwrap()
        };
        let bad = c.post_form_raw("/open311/v2/requests.json", &post("not-a-key", &code)).await;
        assert_eq!(bad.status, StatusCode::FORBIDDEN);
        assert_eq!(bad.json()[0]["code"], 403);
        let bad = c.post_form_raw("/open311/v2/requests.json", &post(&key, "nope")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let created = c.post_form_raw("/open311/v2/requests.json", &post(&key, &code)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json()[0]["service_request_id"].as_str().unwrap().to_owned();
        let l = interaction::store::letter_by_no(&app.db, &id).await.unwrap().unwrap();
        assert_eq!((l.writer_name.as_str(), l.source.as_str()), ("赵秀兰", "open311:12345 市民热线"));
        // The public sees nothing of an unpublished request: not by id, not in a list.
        for path in [format!("/open311/v2/requests/{id}.json"), format!("/open311/v2/requests/{id}.xml")] {
            assert_eq!(c.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        for path in [format!("/open311/v2/requests.json?service_request_id={id}"), "/open311/v2/requests.json".to_owned()] {
            let r = c.get(&path).await;
            assert!(!r.text.contains(&id) && !r.text.contains("信号灯"), "{path}: {}", r.text);
        }
        // The key holder follows its own request's status, without its text.
        let own = [format!("/open311/v2/requests/{id}.json?api_key={key}"), format!("/open311/v2/requests.json?service_request_id={id}&api_key={key}"), format!("/open311/v2/requests.json?api_key={key}")];
        for path in &own {
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let v = r.json();
            let one = v.as_array().unwrap().iter().find(|x| x["service_request_id"] == id.as_str()).expect("listed");
            assert_eq!((one["status"].as_str(), one["service_code"].as_str(), one["description"].as_str()), (Some("open"), Some(code.as_str()), Some("")));
            for private in ["赵秀兰", "13698765432", "zxl@example.cn", "信号灯"] {
                assert!(!r.text.contains(private), "{private} in {path}: {}", r.text);
            }
        }
        let xml = c.get(&format!("/open311/v2/requests/{id}.xml?api_key={key}")).await;
        assert!(xml.text.contains(&format!("<service_request_id>{id}</service_request_id>")) && xml.text.contains("<status>open</status>"), "{}", xml.text);
        let closed = c.get(&format!("/open311/v2/requests.json?status=closed&api_key={key}")).await.json();
        assert!(closed.as_array().unwrap().is_empty());
        // Two systems never share a name (a name is what a key may read).
        let dup = office.post_form("/admin/mailboxes/keys", &[("name", "12345 市民热线")]).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.text);
        // Another system's key does not see it.
        let page = office.post_form("/admin/mailboxes/keys", &[("name", "区政务服务 App")]).await;
        let other_key = { let i = page.text.find("<code>").unwrap() + 6; page.text[i..i + page.text[i..].find('<').unwrap()].to_owned() };
        assert_eq!(c.get(&format!("/open311/v2/requests/{id}.json?api_key={other_key}")).await.status, StatusCode::NOT_FOUND);
        // A mailbox written through the API is checked like the form: wrong units and time limits
        // are named, a good one is created and then changed.
        let tok = app.token("office").await;
        let mailbox = |code: &str, reply: i64, units: &[&str]| json!({"code": code, "name": "住房保障咨询", "kind": "consult",
            "accept_days": 2, "reply_days": reply, "warn_days": 1, "unit_codes": units, "categories": ["公租房", "住房补贴"]});
        let bad = c.api("POST", "/api/v1/mailboxes", &tok, Some(mailbox("zfbz", 91, &["NO-SUCH-UNIT"]))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("找不到单位编码「NO-SUCH-UNIT」") && bad.text.contains("答复时限"), "{}", bad.text);
        let mut nowhere = mailbox("zfbz", 10, &["BC-ZJJ"]);
        nowhere["site_id"] = json!(999_999);
        let res = c.api("POST", "/api/v1/mailboxes", &tok, Some(nowhere)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "a missing site is named, not a 500: {}", res.text);
        assert!(res.text.contains("找不到所选的站点"));
        let made = c.api("POST", "/api/v1/mailboxes", &tok, Some(mailbox("zfbz", 10, &["BC-ZJJ"]))).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        let mid = made.json()["id"].as_i64().unwrap();
        let changed = c.api("PUT", &format!("/api/v1/mailboxes/{mid}"), &tok, Some(mailbox("zfbz", 15, &["BC-ZJJ"]))).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
        let m = interaction::store::mailbox(&app.db, mid).await.unwrap().unwrap();
        assert_eq!((m.reply_days, m.units(), m.active), (15, vec![w.housing], true));
        let cats: Vec<String> = interaction::store::categories(&app.db, mid).await.unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(cats, vec!["公租房", "住房补贴"]);
        // The shared settings through the API: stored line by line, read back, audited.
        let set = c.api("PUT", "/api/v1/mailbox-settings", &tok, Some(json!({"sensitive_words": ["代办证件", " "], "reject_reasons": ["属于信访事项，请通过信访渠道反映"]}))).await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        assert_eq!(set.json()["sensitive_words"], json!(["代办证件"]));
        assert!(interaction::service::reject_reasons(&app.db).await.contains(&"属于信访事项，请通过信访渠道反映".to_owned()));
        // The same through the API: a key issued once in the response, listed without it, revoked.
        let tok = app.token("office").await;
        let issued = c.api("POST", "/api/v1/open311-keys", &tok, Some(json!({"name": "市12345热线移动端"}))).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
        let api_key = issued.json()["key"].as_str().unwrap().to_owned();
        let kid = issued.json()["id"].as_i64().unwrap();
        assert_eq!(c.get(&format!("/open311/v2/requests.json?api_key={api_key}")).await.status, StatusCode::OK);
        let listed = c.api("GET", "/api/v1/open311-keys", &tok, None).await;
        assert!(listed.text.contains("市12345热线移动端") && !listed.text.contains(&api_key));
        let dup = c.api("POST", "/api/v1/open311-keys", &tok, Some(json!({"name": "市12345热线移动端"}))).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        let revoked = c.api("POST", &format!("/api/v1/open311-keys/{kid}/actions/revoke"), &tok, None).await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
        let after = c.post_form_raw("/open311/v2/requests.json", &post(&api_key, &code)).await;
        assert_ne!(after.status, StatusCode::CREATED, "a revoked key files nothing");

        // A web letter with personal data written every way people write it: invisible until the
        // office publishes it, then only its redacted public text.
        let text = "举报小区物业乱收费。我叫王建国，身份证 110105 19491231 002X，手机 138-1234-5678，微信号 wxid_wjg1949，家住道里区安静街88号阳光小区5栋2单元1201室。";
        let (no, _) = write_letter(&app, "物业乱收费", text, "").await;
        let lid = letter_id(&app, &no).await;
        // The ID number is sealed at rest and opens for staff.
        // So are the phone and the address (e-mail too, when given), while the contact rate limit
        // still finds the writer's letters through the keyed hash, however the number is spaced.
        #[derive(sqlx::FromRow)]
        struct Raw { id_number: String, phone: String, address: String, phone_hash: String }
        let raw: Raw = app.db.fetch_one(platform::db::sql("SELECT id_number, phone, address, phone_hash FROM letter WHERE id = $1").bind(lid)).await.unwrap();
        for (col, v, clear) in [("id_number", &raw.id_number, "1949"), ("phone", &raw.phone, "1381234"), ("address", &raw.address, "")] {
            assert!(v.is_empty() || (v.starts_with("enc1:") && (clear.is_empty() || !v.contains(clear))), "{col}: {v}");
        }
        assert!(raw.phone.starts_with("enc1:") && raw.phone_hash.len() == 64 && !raw.phone_hash.contains("1381234"));
        let stored = interaction::store::letter(&app.db, lid).await.unwrap().unwrap();
        assert_eq!((stored.id_number.as_str(), stored.phone.as_str()), ("11010519491231002X", "13812345678"));
        let (_, mine) = interaction::store::recent_from(&app.db, "203.0.113.99", "138 1234 5678", "", 0).await.unwrap();
        assert!(mine >= 1, "the writer's letters are found by the hash of the phone");
        // A row written in clear by an older version is sealed once at start, hash included.
        app.db.execute(platform::db::sql("UPDATE letter SET phone = '13900001111', phone_hash = '', address = '道里区安静街88号' WHERE id = $1").bind(lid)).await.unwrap();
        app.db.execute(platform::db::sql("DELETE FROM setting WHERE key LIKE 'sealed.letter:%'")).await.unwrap();
        assert!(platform::sealed::seal_legacy(&app.db, &interaction::store::SEALED).await.unwrap() >= 2);
        let raw: Raw = app.db.fetch_one(platform::db::sql("SELECT id_number, phone, address, phone_hash FROM letter WHERE id = $1").bind(lid)).await.unwrap();
        assert!(raw.phone.starts_with("enc1:") && raw.address.starts_with("enc1:"), "{}", raw.phone);
        assert_eq!(raw.phone_hash, platform::sealed::lookup_hash("13900001111"));
        assert_eq!(interaction::store::letter(&app.db, lid).await.unwrap().unwrap().address.as_str(), "道里区安静街88号");
        assert_eq!(platform::sealed::seal_legacy(&app.db, &interaction::store::SEALED).await.unwrap(), 0, "runs once");
        for path in [format!("/open311/v2/requests/{no}.json"), format!("/open311/v2/requests.json?service_request_id={no}")] {
            let r = c.get(&path).await;
            assert!(!r.text.contains(&no), "{path}: {}", r.text);
        }
        let tok = app.token("office").await;
        let jtj = app.token("jtj").await;
        c.api("POST", &format!("/api/v1/letters/{lid}/actions/accept"), &tok, None).await;
        c.api("POST", &format!("/api/v1/letters/{lid}/actions/assign"), &tok, Some(json!({"unit_id": w.transport}))).await;
        c.api("POST", &format!("/api/v1/letters/{lid}/actions/submit_reply"), &jtj, Some(json!({"reply": "已责成物业公司退还多收费用，请王建国先生拨打 0451-86661234 核对。"}))).await;
        c.api("POST", &format!("/api/v1/letters/{lid}/actions/approve_reply"), &tok, None).await;
        let r = c.api("POST", &format!("/api/v1/letters/{lid}/actions/publish"), &tok, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = c.get(&format!("/open311/v2/requests/{no}.json")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let one = &r.json()[0];
        assert!(one["description"].as_str().unwrap().contains("物业乱收费") && one["description"].as_str().unwrap().contains("道里区安静街"), "{}", r.text);
        for private in ["王建国", "19491231", "002X", "1234-5678", "wxid_wjg1949", "5栋", "1201室", "88号", "86661234"] {
            assert!(!r.text.contains(private), "{private} in {}", r.text);
        }
        let page = c.get(&format!("/hudong/letters/{no}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for private in ["王建国", "19491231", "wxid_wjg1949", "1201室"] {
            assert!(!page.text.contains(private), "{private} on the public letter page");
        }
        let missing = c.get("/open311/v2/requests/0.json").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    };
}

backend_tests! {
    deadlines_warn_remind_and_alarm => |app: TestApp| async move {
        let w = world(&app).await;
        let (no, _) = write_letter(&app, "供暖温度不达标", "入冬以来室内温度一直在16度以下，家中有老人孩子，请督促供热公司整改。", "").await;
        let id = letter_id(&app, &no).await;
        let office = app.token("office").await;
        let mut c = app.client();
        c.api("POST", &format!("/api/v1/letters/{id}/actions/accept"), &office, None).await;
        c.api("POST", &format!("/api/v1/letters/{id}/actions/assign"), &office, Some(json!({"unit_id": w.housing}))).await;
        // Due yesterday: red in the handler's queue and in the reminder mail.
        let cal = app.interaction.calendar(&app.db).await;
        let today = interaction::service::today();
        let yesterday = interaction::service::date_text(today - time::Duration::days(1));
        app.db.execute(platform::db::sql("UPDATE letter SET due_date = $1 WHERE id = $2").bind(yesterday.as_str()).bind(id)).await.unwrap();
        let mut zjj = app.signed_in("zjj").await;
        let q = zjj.get("/admin/letters").await;
        assert!(q.text.contains("due-overdue") && q.text.contains("已超期"), "{}", q.text);
        let sent = interaction::service::send_reminders(&app.state, &app.interaction).await;
        assert_eq!(sent, 1, "one handler with an address in the unit");
        let mail = app.mail.wait_for("zjj@gov.test", "信件办理提醒").await;
        assert!(mail.body.contains(&no) && mail.body.contains("已超期"), "{mail:?}");
        // Due in two working days: yellow.
        let soon = interaction::service::date_text(cal.add_workdays(today, 2));
        app.db.execute(platform::db::sql("UPDATE letter SET due_date = $1 WHERE id = $2").bind(soon.as_str()).bind(id)).await.unwrap();
        let q = zjj.get("/admin/letters").await;
        assert!(q.text.contains("due-warning") && q.text.contains("即将到期"), "{}", q.text);
        // A consultation unanswered for over two months raises the alarm on the office's page.
        let mut office_page = app.signed_in("office").await;
        office_page
            .post_form("/admin/mailboxes/new", &[("code", "jkzx"), ("name", "健康咨询"), ("kind", "consult"), ("accept_days", "1"), ("reply_days", "5"), ("warn_days", "1"), ("active", "on")])
            .await;
        let m = interaction::store::mailbox_by_code(&app.db, "jkzx").await.unwrap().unwrap();
        app.db
            .execute(platform::db::sql("UPDATE letter SET mailbox_id = $1, submitted_at = $2 WHERE id = $3").bind(m.id).bind(platform::db::now() - 70 * 86_400).bind(id))
            .await
            .unwrap();
        let page = office_page.get("/admin/letters/office?state=all").await;
        assert!(page.text.contains("咨询超两个月未答复"), "{}", page.text);
    };
}

backend_tests! {
    every_open_queue_puts_the_longest_overdue_first => |app: TestApp| async move {
        app.load_demo(0, 1500).await;
        let tok = app.token("siteadmin").await;
        let mut c = app.client();
        let mut seen = 0;
        for st in ["submitted", "accepted", "assigned", "reply_review"] {
            let res = c.api("GET", &format!("/api/v1/letters?state={st}"), &tok, None).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let items = res.json()["items"].as_array().cloned().unwrap_or_default();
            let dues: Vec<String> = items.iter().map(|i| i["due"].as_str().unwrap_or_default().to_owned()).collect();
            let mut sorted = dues.clone();
            sorted.sort();
            assert_eq!(dues, sorted, "{st}: oldest deadline first");
            seen += dues.iter().filter(|d| !d.is_empty()).count();
        }
        assert!(seen >= 10, "the demo has open letters with deadlines: {seen}");
    };
}

async fn signed_in_demo(app: &TestApp, username: &str) -> common::Client {
    let mut c = app.client();
    let res = c.login(username, zhengwu::demo::DEMO_PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "login of {username}: {}", res.text);
    c
}

/// The number shown on the workbench tile labelled `label` (`<strong>N</strong><span>label</span>`).
fn tile(html: &str, label: &str) -> i64 {
    let end = html.find(&format!("</strong><span>{label}</span>")).unwrap_or_else(|| panic!("no tile {label}: {html}"));
    let start = html[..end].rfind("<strong>").expect("tile value") + 8;
    html[start..end].trim().parse().expect("a number")
}

backend_tests! {
    workbenches_count_what_waits_and_overdue_means_one_thing => |app: TestApp| async move {
        app.load_demo(30, 1500).await;
        let now = platform::db::now() + 60;
        let future = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE accepted_at > $1 OR replied_at > $1 OR published_at > $1 OR submitted_at > $1").bind(now)).await.unwrap();
        assert_eq!(future, 0, "no generated letter is dated after now");
        // 来信选登 runs by the reply date it shows, newest first, without jumps.
        let list = app.client().get("/hudong/szxx/").await;
        let dates: Vec<&str> = list.text.split(r#"<td data-label="答复日期">"#).skip(1).map(|s| &s[..10]).collect();
        assert!(dates.len() >= 10, "{}", list.text);
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "reply dates out of order: {dates:?}");
        let now_day = platform::calendar::date_text(platform::calendar::today());
        assert!(dates.iter().all(|d| *d <= now_day.as_str()), "{dates:?}");
        let today = platform::calendar::date_text(platform::calendar::today());
        let count = |q: &'static str| {
            let today = today.clone();
            let db = app.db.clone();
            async move { db.count(platform::db::sql(q).bind(today)).await.unwrap() }
        };
        // The letter office (all mailboxes): each step's figure is the number of letters there.
        let mut office = signed_in_demo(&app, "siteadmin").await;
        let home = office.get("/admin").await;
        assert_eq!(home.status, StatusCode::OK);
        let submitted = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE state = 'submitted'")).await.unwrap();
        let accepted = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE state = 'accepted'")).await.unwrap();
        assert_eq!(tile(&home.text, "待受理"), submitted);
        assert_eq!(tile(&home.text, "待交办"), accepted);
        let overdue = count("SELECT COUNT(*) FROM letter WHERE state IN ('submitted','accepted','assigned','reply_review') AND COALESCE(due_date, accept_due) < $1").await;
        assert!(overdue > 0, "the demo has overdue letters");
        assert_eq!(tile(&home.text, "来信已超期"), overdue);
        // The menu shows what waits beside the queue.
        let reviewing = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE state = 'reply_review'")).await.unwrap();
        let waiting = submitted + accepted + reviewing;
        assert!(waiting > 0);
        assert!(home.text.contains(&format!(r#"受理与交办 <span class="count">{waiting}<"#)), "{}", home.text);
        // The same overdue figure on the queue, in the statistics (whole history) and the API.
        let queue = office.get("/admin/letters/office").await;
        assert!(queue.text.contains(&format!("已超期<strong>{overdue}</strong>")), "{}", queue.text);
        let tok = app.token("siteadmin").await;
        let stats = app.client().api("GET", &format!("/api/v1/letters/stats?from=2000-01-01&to={today}"), &tok, None).await;
        assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
        assert_eq!(stats.json()["total"]["overdue_now"].as_i64(), Some(overdue), "{}", stats.text);
        // A handler counts the letters of their own unit only.
        let mut handler = signed_in_demo(&app, "handler").await;
        let home = handler.get("/admin").await;
        let tok = app.token("handler").await;
        let mine = app.client().api("GET", "/api/v1/letters?state=assigned", &tok, None).await.json()["total"].as_i64().unwrap();
        let all = app.db.count(platform::db::sql("SELECT COUNT(*) FROM letter WHERE state = 'assigned'")).await.unwrap();
        assert!(mine < all, "other units have letters too");
        assert_eq!(tile(&home.text, "待办理来信"), mine);
        // A reviewer's 待审核 is what their review page lists.
        let mut reviewer = signed_in_demo(&app, "reviewer_office").await;
        let home = reviewer.get("/admin").await;
        let page = reviewer.get("/admin/cms/review").await;
        assert_eq!(tile(&home.text, "待审核信息"), i64::try_from(page.text.matches(r#"href="/admin/cms/articles/"#).count()).unwrap());
    };
}

backend_tests! {
    a_reply_survives_an_error_and_can_be_kept_as_a_draft => |app: TestApp| async move {
        let w = world(&app).await;
        let (no, _) = write_letter(&app, "小区供暖温度不达标", "入冬以来家里温度只有十四度，多次找物业没有解决，请相关部门督促。", "heat@example.cn").await;
        let id = letter_id(&app, &no).await;
        let mut office = app.signed_in("office").await;
        office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "accept")]).await;
        // A bad choice in another form keeps this one's comment.
        let res = office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "assign"), ("unit_id", ""), ("comment", "请住建局牵头核实")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请住建局牵头核实"), "the comment typed is kept");
        let unit = w.housing.to_string();
        office.post_form(&format!("/admin/letters/{id}/act"), &[("action", "assign"), ("unit_id", &unit)]).await;
        let mut zjj = app.signed_in("zjj").await;
        // Too short a reply: the message, and the reply box still holds what was typed.
        let res = zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "submit_reply"), ("reply", "已处理")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("答复内容至少 10 个字") && res.text.contains(">已处理</textarea>"), "{}", res.text);
        // 保存草稿 keeps a longer text without moving the letter; it comes back on the page.
        let draft = "经核实，该小区换热站循环泵故障，供热公司已于12月2日更换";
        let res = zjj.post_form(&format!("/admin/letters/{id}/draft"), &[("reply", draft)]).await;
        assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, format!("/admin/letters/{id}?done=draft")));
        let page = zjj.get(&res.location()).await;
        assert!(page.text.contains("答复草稿已保存") && page.text.contains(&format!(">{draft}</textarea>")), "{}", page.text);
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!((l.state.as_str(), l.reply.as_str()), ("assigned", ""), "a draft is not a reply");
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'letter.reply_draft'")).await.unwrap();
        assert_eq!(audited, 1, "one draft saved so far");
        // Someone who may not reply cannot write a draft.
        let mut jtj = app.signed_in("jtj").await;
        assert_eq!(jtj.post_form(&format!("/admin/letters/{id}/draft"), &[("reply", "无关单位的草稿")]).await.status, StatusCode::FORBIDDEN);
        // The same through the API: saved, audited, refused to others and when too long.
        let tok = app.token("zjj").await;
        let res = zjj.api("PUT", &format!("/api/v1/letters/{id}/draft"), &tok, Some(json!({"reply": format!("{draft}。")}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(interaction::store::letter(&app.db, id).await.unwrap().unwrap().reply_draft, format!("{draft}。"));
        let long = "很".repeat(20_001);
        assert_eq!(zjj.api("PUT", &format!("/api/v1/letters/{id}/draft"), &tok, Some(json!({"reply": long}))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let jtj_tok = app.token("jtj").await;
        assert_eq!(jtj.api("PUT", &format!("/api/v1/letters/{id}/draft"), &jtj_tok, Some(json!({"reply": "无关"}))).await.status, StatusCode::FORBIDDEN);
        // Submitting the reply clears the draft.
        let full = format!("{draft}，室温已恢复到十八度以上。");
        let res = zjj.post_form(&format!("/admin/letters/{id}/act"), &[("action", "submit_reply"), ("reply", &full)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!((l.state.as_str(), l.reply_draft.as_str()), ("reply_review", ""));
    };
}

backend_tests! {
    a_leader_reads_every_statistics_page_and_instructs_on_any_letter => |app: TestApp| async move {
        app.load_demo(120, 600).await;
        let mut leader = signed_in_demo(&app, "leader").await;
        let home = leader.get("/admin").await;
        for (path, label) in [("/admin/letters/stats", "来信统计"), ("/admin/services/stats", "办件统计"), ("/admin/cms/stats", "发布统计")] {
            assert!(home.text.contains(&format!(r#"href="{path}""#)), "{label} in the leader's menu");
            let page = leader.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        }
        let letters = leader.get("/admin/letters/stats?from=2000-01-01").await;
        assert!(letters.text.contains("市长信箱"), "the leader's mailbox figures");
        // Every demo article belongs to a department.
        let cms_stats = leader.get("/admin/cms/stats?from=2000-01-01").await;
        assert!(!cms_stats.text.contains("未指定部门"), "{}", cms_stats.text);
        // 批示 on a letter that is already closed.
        let closed = app.db.fetch_one::<platform::db::Scalar<i64>>(platform::db::sql(
            "SELECT MIN(l.id) FROM letter l JOIN mailbox m ON m.id = l.mailbox_id WHERE l.state = 'closed' AND m.code = 'szxx'",
        )).await.unwrap().0;
        let tok = app.token("leader").await;
        let res = app.client().api("POST", &format!("/api/v1/letters/{closed}/actions/instruct"), &tok, Some(json!({"comment": "办理结果很好，请各区借鉴。"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["state"], "closed", "an instruction does not move the letter");
    };
}

backend_tests! {
    a_transition_lost_to_a_concurrent_edit_mails_nobody => |app: TestApp| async move {
        let _w = world(&app).await;
        let (no, _) = write_letter(&app, "小区路灯不亮", "和平小区三号楼前的路灯已经一个月不亮了，夜里出行不便，请尽快维修。", "wang.wu@example.cn").await;
        let id = letter_id(&app, &no).await;
        let office = app.token("office").await;
        let queued = |app: &TestApp| {
            let db = app.db.clone();
            async move { db.count(platform::db::sql("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%未予受理%'")).await.unwrap() }
        };
        // Two screeners reject the same letter at the same moment: one wins, the other is told it
        // was handled meanwhile, and exactly one rejection mail is queued.
        let (mut c1, mut c2) = (app.client(), app.client());
        let path = format!("/api/v1/letters/{id}/actions/reject");
        let body = json!({"comment": "属于信访事项，请通过信访渠道反映"});
        let (r1, r2) = tokio::join!(c1.api("POST", &path, &office, Some(body.clone())), c2.api("POST", &path, &office, Some(body.clone())));
        let mut statuses = [r1.status, r2.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", r1.text, r2.text);
        assert_eq!(queued(&app).await, 1);
        app.mail.wait_for("wang.wu@example.cn", "未予受理").await;
        assert_eq!(app.mail.all().iter().filter(|m| m.subject.contains("未予受理")).count(), 1);
    };

    // The workflow kernel: state, event, tally and mail are one transaction. A transition whose
    // last statement fails leaves the letter, its history, the statistics and the outbox as they
    // were; one that commits has its mail in the outbox before `apply` returns (no window in which
    // a crash loses it).
    a_transition_is_all_or_nothing_with_its_mail => |app: TestApp| async move {
        use platform::workflow::{self, Change, Effect, Transition};
        let _w = world(&app).await;
        let (no, _) = write_letter(&app, "公交站牌缺失", "红旗大街公交站的站牌被撞倒后一直没有恢复，乘客不知道线路信息。", "zhao.liu@example.cn").await;
        let id = letter_id(&app, &no).await;
        let l = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        let count = |q: &'static str| {
            let db = app.db.clone();
            async move { db.count(platform::db::sql(q)).await.unwrap() }
        };
        let tally = "SELECT CAST(COALESCE(SUM(rejected), 0) AS BIGINT) FROM letter_tally";
        let (events, outbox, rejected) = (count("SELECT COUNT(*) FROM workflow_event").await, count("SELECT COUNT(*) FROM outbox").await, count(tally).await);
        let t = Transition { action: "reject", from: "submitted", to: "rejected", step: 0, actor: "测试", actor_id: None, comment: "不予受理" };
        let mail = Effect::Mail { to: "zhao.liu@example.cn".into(), subject: "【市长信箱】您的来信未予受理".into(), body: "理由：测试".into() };
        let failing = Change::new(&interaction::store::FLOW, id, l.updated_at, t)
            .tallied(&interaction::store::LetterTally)
            .set("reject_reason", "不予受理")
            .effect(mail.clone())
            // The last statement breaks a NOT NULL constraint.
            .also(platform::db::sql("INSERT INTO letter_tally (mailbox_id, unit_id, day) VALUES (NULL, 0, '2026-01-01')"));
        assert!(workflow::apply(&app.state, failing).await.is_err());
        let after = interaction::store::letter(&app.db, id).await.unwrap().unwrap();
        assert_eq!((after.state.as_str(), after.updated_at), ("submitted", l.updated_at));
        assert_eq!(count("SELECT COUNT(*) FROM workflow_event").await, events, "no event");
        assert_eq!(count("SELECT COUNT(*) FROM outbox").await, outbox, "no mail queued");
        assert_eq!(count(tally).await, rejected, "statistics unchanged");

        let ok = Change::new(&interaction::store::FLOW, id, l.updated_at, t)
            .tallied(&interaction::store::LetterTally)
            .set("reject_reason", "不予受理")
            .effect(mail);
        assert!(workflow::apply(&app.state, ok).await.unwrap());
        assert_eq!(count("SELECT COUNT(*) FROM outbox").await, outbox + 1, "the mail is queued with the commit");
        assert_eq!(count(tally).await, rejected + 1);
        let history = interaction::store::events(&app.db, id).await.unwrap();
        assert_eq!(history.last().map(|e| (e.action.as_str(), e.to_state.as_str(), e.actor.as_str())), Some(("reject", "rejected", "测试")));
        app.mail.wait_for("zhao.liu@example.cn", "未予受理").await;
        // Read at the old version again: the case has moved on, nothing is written.
        let stale = Change::new(&interaction::store::FLOW, id, l.updated_at, Transition { from: "rejected", to: "closed", action: "close", ..t });
        assert!(!workflow::apply(&app.state, stale).await.unwrap());
    };
}
