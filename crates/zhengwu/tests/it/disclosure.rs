//! 政府信息公开 end to end on the real router and both databases: a citizen applies without an
//! account (bad input named and kept, a double submission filed once, the per-applicant limit
//! answering 429 with the form kept), the office takes the request through 补正, a third-party
//! consultation and an extension with the due date asserted at every step across the 2026
//! 中秋/国庆 holiday and its 调休 Saturday, decides and delivers; another department can neither
//! see nor act; the applicant reads the reply by receipt number and query code. The annual report
//! counts each of the 21 outcomes in exactly one cell of table 三, balances, refuses to publish a
//! hand-entered row that breaks the balance, and publishes once it holds.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::{Value, json};

/// Two departments with a handler each, and a site administrator.
async fn world(app: &TestApp) -> (i64, i64) {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let kjj = platform::accounts::create_org(&app.db, Some(gov), "冰城市科学技术局", "BC-KJJ", "bureau").await.unwrap();
    let mzj = platform::accounts::create_org(&app.db, Some(gov), "冰城市民政局", "BC-MZJ", "bureau").await.unwrap();
    app.user("admin", &[Role::SiteAdmin]).await;
    app.user_with_grants("kjj", &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: kjj }]).await;
    app.user_with_grants("mzj", &[Grant { role: Role::Handler, scope: ScopeKind::Org, scope_id: mzj }]).await;
    (kjj, mzj)
}

const ID: &str = "11010519491231002X";

/// Sends the public form; returns the response to the POST.
async fn apply(c: &mut common::Client, fields: &[(&str, &str)]) -> common::TestResponse {
    let page = c.get("/gongkai/apply?org=BC-KJJ").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf().unwrap();
    let once = page.hidden("_once").expect("submission token");
    let (token, answer) = common::captcha(&page.text);
    let mut all: Vec<(&str, &str)> =
        vec![("_csrf", &csrf), ("_once", &once), ("captcha_token", &token), ("captcha", &answer)];
    all.extend_from_slice(fields);
    c.post_form("/gongkai/apply", &all).await
}

fn good_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("org", "BC-KJJ"),
        ("applicant_kind", "person"),
        ("applicant_name", "王建国"),
        ("id_type", "居民身份证"),
        ("id_number", ID),
        ("phone", "13912345678"),
        ("email", "wjg@example.cn"),
        ("address", "冰城市道里区经纬街 99 号"),
        ("description", "2026 年市级科技计划项目立项清单及资助金额"),
        ("delivery", "email"),
    ]
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> common::TestResponse {
    app.client().api("POST", &format!("/api/v1/disclosure-requests/{id}/actions/{action}"), token, Some(body)).await
}

/// Acts and returns the request's due day afterwards (null while the clock stands).
async fn due_after(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Value {
    let res = act(app, token, id, action, body).await;
    assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.text);
    res.json()["due_on"].clone()
}

backend_tests! {
    catalogue_index_numbers_stay_unique_under_concurrency_and_survive_edits => |app: TestApp| async move {
        let (kjj, _) = world(&app).await;
        let docs = common::published_policies(&app, kjj, 8).await;
        let token = app.token("admin").await;
        // Eight documents catalogued at once.
        let mut tasks = Vec::new();
        for id in docs.clone() {
            let mut c = common::Client::for_router(app.router.clone());
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({"document_id": id, "org": "BC-KJJ", "topic": "法规规章和规范性文件", "genre": "通知", "doc_no": format!("冰科规[2026] {}号", id)});
                c.api("POST", "/api/v1/disclosure-items", &token, Some(body)).await
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let res = t.await.unwrap();
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            numbers.push(res.json()["index_no"].as_str().unwrap().to_owned());
        }
        numbers.sort();
        let year = platform::calendar::today().year();
        let expected: Vec<String> = (1..=8).map(|n| format!("BC-KJJ/{year}-{n:05}")).collect();
        assert_eq!(numbers, expected, "one number each, none skipped, none twice");
        // Cataloguing the same document again is refused; an unknown document is named.
        let again = app.client().api("POST", "/api/v1/disclosure-items", &token, Some(json!({"document_id": docs[0], "org": "BC-KJJ", "topic": "其他"}))).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        let missing = app.client().api("POST", "/api/v1/disclosure-items", &token, Some(json!({"document_id": 999_999, "org": "BC-KJJ", "topic": "其他"}))).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.text.contains("没有这篇已发布的信息"));
        // An edit (repealed, with its date) keeps the number; 文号 are stored with 〔〕.
        let list = app.client().api("GET", "/api/v1/disclosure-items", &token, None).await.json();
        let first = &list["items"][0];
        let id = first["id"].as_i64().unwrap();
        let res = app.client().api("PUT", &format!("/api/v1/disclosure-items/{id}"), &token,
            Some(json!({"topic": "其他", "validity": "repealed", "invalid_on": "2026-11-30", "replaced_by": "冰科规〔2026〕20号", "doc_no": first["doc_no"]}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["index_no"], first["index_no"]);
        assert!(first["doc_no"].as_str().unwrap().contains('〔'));
        // Repealed without a date is refused.
        let res = app.client().api("PUT", &format!("/api/v1/disclosure-items/{id}"), &token, Some(json!({"topic": "其他", "validity": "invalid"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The public catalogue filters by 文号 in any bracket style and shows the header block.
        let doc_no = first["doc_no"].as_str().unwrap().replace('〔', "(").replace('〕', ")");
        let page = app.client().get(&format!("/gongkai/catalogue?doc_no={}", common::urlenc(&doc_no))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("共 1 条"), "{}", page.text);
        let item = app.client().get(&format!("/gongkai/items/{id}")).await;
        assert!(item.text.contains(first["index_no"].as_str().unwrap()) && item.text.contains("废止"), "{}", item.text);
        // 政策解读: an interpretation catalogued, linked by its index number; both pages show it.
        let interp = common::published_policies(&app, kjj, 9).await[8];
        app.db.execute(platform::db::sql("UPDATE article SET title = '图解：科技创新券管理办法政策解读', doc_number = '' WHERE id = $1").bind(interp)).await.unwrap();
        let res = app.client().api("POST", "/api/v1/disclosure-items", &token, Some(json!({"document_id": interp, "org": "BC-KJJ", "topic": "政策解读"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let interp_no = res.json()["index_no"].as_str().unwrap().to_owned();
        let interp_id = res.json()["id"].as_i64().unwrap();
        let policy = list["items"][1]["id"].as_i64().unwrap();
        let policy_url = list["items"][1]["url"].as_str().unwrap().to_owned();
        // The policy's own article page, read (and cached) before the link exists.
        let before = app.client().get(&policy_url).await;
        assert_eq!(before.status, StatusCode::OK, "{policy_url}");
        assert!(!before.text.contains("政策与解读"));
        let res = app.client().api("POST", &format!("/api/v1/disclosure-items/{policy}/interpretations"), &token, Some(json!({"index_no": interp_no, "form": "图解"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        // Both articles' own pages now show the link (the cached page was dropped).
        let page = app.client().get(&policy_url).await;
        assert!(page.text.contains("【图解】") && page.text.contains("科技创新券管理办法政策解读"), "{}", page.text);
        let page = app.client().get(&format!("/a/{interp}.html")).await;
        assert!(page.text.contains("【解读的政策文件】") && page.text.contains(&format!("href=\"{policy_url}\"")), "{}", page.text);
        assert_eq!(res.json()["interpretations"][0]["id"], interp_id);
        let again = app.client().api("POST", &format!("/api/v1/disclosure-items/{policy}/interpretations"), &token, Some(json!({"index_no": interp_no, "form": "图解"}))).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let page = app.client().get(&format!("/gongkai/items/{policy}")).await;
        assert!(page.text.contains("【图解】") && page.text.contains("科技创新券管理办法政策解读"), "{}", page.text);
        let page = app.client().get(&format!("/gongkai/items/{interp_id}")).await;
        assert!(page.text.contains("解读的政策文件"), "{}", page.text);
        // A handler does not catalogue.
        let handler = app.token("kjj").await;
        let res = app.client().api("POST", "/api/v1/disclosure-items", &handler, Some(json!({"document_id": docs[1], "org": "BC-KJJ", "topic": "其他"}))).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    };

    disclosure_request_through_correction_consultation_and_extension => |app: TestApp| async move {
        let (_kjj, _) = world(&app).await;
        let mut c = app.client();
        // Bad input: each problem named, what was typed kept, nothing filed.
        let mut bad = good_fields();
        bad.retain(|(k, _)| !matches!(*k, "id_number" | "description"));
        bad.extend([("id_number", "110105194912310021"), ("description", "文件")]);
        let res = apply(&mut c, &bad).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("身份证号不正确") && res.text.contains("特征性描述"), "{}", res.text);
        assert!(res.text.contains("冰城市道里区经纬街 99 号"), "typed values stay");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM disclosure_request")).await.unwrap(), 0);

        // A good request: post, redirect, receipt; the same token again files nothing new.
        let page = c.get("/gongkai/apply?org=BC-KJJ").await;
        let (csrf, once) = (page.csrf().unwrap(), page.hidden("_once").unwrap());
        let (token, answer) = common::captcha(&page.text);
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &csrf), ("_once", &once), ("captcha_token", &token), ("captcha", &answer)];
        fields.extend(good_fields());
        let res = c.post_form("/gongkai/apply", &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert_eq!(res.location(), "/gongkai/apply/receipt");
        let again = c.post_form("/gongkai/apply", &fields).await;
        assert_eq!(again.location(), "/gongkai/apply/receipt");
        let receipt = c.get("/gongkai/apply/receipt").await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM disclosure_request")).await.unwrap(), 1);
        let row = disclosure::store::get(&app.db, 1).await.unwrap().expect("filed");
        let no = row.no.clone();
        assert!(receipt.text.contains(&no), "the receipt names the number");
        let code = {
            let t = &receipt.text;
            let i = t.find("查询码</dt><dd><strong>").expect("query code") + "查询码</dt><dd><strong>".len();
            t[i..i + 10].to_owned()
        };
        // The personal data is sealed at rest and never on the receipt.
        assert!(platform::sealed::is_sealed(&row.id_number) && platform::sealed::is_sealed(&row.phone));
        assert!(!receipt.text.contains(ID));

        // Four more from the same applicant pass; the sixth in a day answers 429 with the form kept.
        for _ in 0..4 {
            let mut c = app.client();
            assert_eq!(apply(&mut c, &good_fields()).await.status, StatusCode::SEE_OTHER);
        }
        let mut c6 = app.client();
        let res = apply(&mut c6, &good_fields()).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text.contains("一天内最多") && res.text.contains("2026 年市级科技计划项目立项清单"), "{}", res.text);

        // The office. The request arrived by post in September (the test moves its filing day).
        app.db
            .execute(platform::db::sql("UPDATE disclosure_request SET submitted_on = '2026-09-23' WHERE id = 1"))
            .await
            .unwrap();
        let kjj = app.token("kjj").await;
        let mzj = app.token("mzj").await;
        // Another department sees nothing and may do nothing.
        let list = app.client().api("GET", "/api/v1/disclosure-requests", &mzj, None).await;
        assert_eq!(list.json()["total"], 0);
        assert_eq!(act(&app, &mzj, 1, "confirm", json!({"on": "2026-09-24"})).await.status, StatusCode::FORBIDDEN);
        // Lists mask the applicant; the full view is audited.
        let list = app.client().api("GET", "/api/v1/disclosure-requests", &kjj, None).await;
        assert_eq!(list.json()["items"][0]["applicant"], "王**");
        assert!(!list.text.contains(ID));

        // Received Thursday 24 September 2026: 20 working days across 中秋/国庆 with the 调休
        // Saturday 10 October end on 29 October.
        assert_eq!(due_after(&app, &kjj, 1, "confirm", json!({"on": "2026-09-24"})).await, "2026-10-29");
        // A 补正 notice needs its content.
        let res = act(&app, &kjj, 1, "request_correction", json!({"on": "2026-09-29"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        // 补正 on 29 September: the clock stands.
        let due = due_after(&app, &kjj, 1, "request_correction", json!({"on": "2026-09-29", "comment": "请写明所需项目清单的年度和项目类别"})).await;
        assert_eq!(due, Value::Null);
        // The corrected request arrives 9 October: 20 fresh working days end 5 November.
        assert_eq!(due_after(&app, &kjj, 1, "corrected", json!({"on": "2026-10-09"})).await, "2026-11-05");
        // Only one 补正 notice.
        assert_eq!(act(&app, &kjj, 1, "request_correction", json!({"on": "2026-10-09", "comment": "再补"})).await.status, StatusCode::CONFLICT);
        // A third party consulted 12–23 October: 9 working days not counted → 18 November.
        assert_eq!(due_after(&app, &kjj, 1, "consult", json!({"on": "2026-10-12", "comment": "书面征求冰城创新科技有限公司意见"})).await, Value::Null);
        assert_eq!(due_after(&app, &kjj, 1, "consultation_done", json!({"on": "2026-10-23"})).await, "2026-11-18");
        // One extension of 20 working days → 16 December; a second is refused.
        assert_eq!(due_after(&app, &kjj, 1, "extend", json!({"on": "2026-10-26", "days": 20, "comment": "涉及项目多需汇总，经科长同意"})).await, "2026-12-16");
        assert_eq!(act(&app, &kjj, 1, "extend", json!({"on": "2026-10-27", "days": 5, "comment": "再延"})).await.status, StatusCode::CONFLICT);
        // A day before the last event, or in the future, is refused.
        let res = act(&app, &kjj, 1, "decide", json!({"on": "2026-10-01", "outcome": "disclosed", "reply": "予以公开"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        // Decided: partly disclosed, with the reply letter; then delivered.
        let reply = "王建国：\n经审查，您申请的信息中含有第三方商业秘密，现提供可以公开的部分。";
        let res = act(&app, &kjj, 1, "decide", json!({"on": "2026-11-20", "outcome": "partly_disclosed", "reply": reply})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["state"], "decided");
        assert_eq!(res.json()["request"]["id_number"], ID, "the full view opens the sealed data");
        let res = act(&app, &kjj, 1, "deliver", json!({"on": "2026-11-23", "comment": "电子邮件送达"})).await;
        assert_eq!(res.json()["state"], "closed");
        let history: Vec<String> = res.json()["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        assert_eq!(history, ["submit", "confirm", "request_correction", "corrected", "consult", "consultation_done", "extend", "decide", "deliver"]);
        let views = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.view'")).await.unwrap();
        assert!(views > 0, "full views are audited");

        // The applicant reads the state and the reply; a wrong code is refused without a hint.
        let mut c = app.client();
        assert_eq!(c.get("/gongkai/query").await.status, StatusCode::OK);
        let res = c.post_form("/gongkai/query", &[("no", &no), ("code", "WRONGCODE2")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("申请编号或查询码不正确"), "{}", res.text);
        let res = c.post_form("/gongkai/query", &[("no", &no), ("code", &code)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(res.text.contains("已办结") && res.text.contains("第三方商业秘密") && res.text.contains("部分公开"), "{}", res.text);
        assert!(res.text.contains("答复期限延至 2026-12-16"), "the applicant sees the extension's new date");
        assert!(!res.text.contains("经科长同意"), "internal approval notes stay inside");
    };

    annual_report_counts_every_outcome_once_and_guards_the_balance => |app: TestApp| async move {
        let (kjj_org, _) = world(&app).await;
        let kjj = app.token("kjj").await;
        let admin = app.token("admin").await;
        // The agency's own reply wording: an unknown placeholder is named; a good template is kept.
        let guide = json!({"office": "冰城市科学技术局办公室", "methods": "网上、信函、当面", "reply_template": "{申请人}同志：{审查意见}{错字}"});
        let res = app.client().api("PUT", "/api/v1/disclosure-guides/BC-KJJ", &admin, Some(guide)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("{错字}"), "{}", res.text);
        let guide = json!({"office": "冰城市科学技术局办公室", "methods": "网上、信函、当面", "reply_template": "{申请人}同志：{审查意见}（{机关}）"});
        assert_eq!(app.client().api("PUT", "/api/v1/disclosure-guides/BC-KJJ", &admin, Some(guide)).await.status, StatusCode::OK);
        let kinds = ["person", "business", "research", "nonprofit", "legal_service", "other_org"];
        let codes = ["91230100MA1B2C3D4", "12230000MB0000002", "51230100MJ0000003", "31230000MD0000004", "91230102MA1C00001"];
        let outcomes: Vec<disclosure::domain::Outcome> = disclosure::domain::Outcome::ALL.to_vec();
        let mut first_no = String::new();
        for (i, o) in outcomes.iter().enumerate() {
            let kind = kinds[i % kinds.len()];
            let id_number = if kind == "person" { ID.to_owned() } else { uscc(codes[i % codes.len()]) };
            let body = json!({"org": "BC-KJJ", "applicant_kind": kind, "applicant_name": format!("申请人{i}"), "id_type": "居民身份证",
                "id_number": id_number, "phone": "0451-86000000", "description": format!("第 {i} 件所需信息的名称"), "delivery": "in_person", "channel": "letter"});
            let res = app.client().api("POST", "/api/v1/disclosure-requests", &kjj, Some(body)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let id = res.json()["id"].as_i64().unwrap();
            let no = res.json()["no"].as_str().unwrap().to_owned();
            assert_eq!(act(&app, &kjj, id, "confirm", json!({})).await.status, StatusCode::OK);
            let res = match o.code() {
                "other_correction_lapsed" => {
                    act(&app, &kjj, id, "request_correction", json!({"comment": "请写明文号"})).await;
                    let res = act(&app, &kjj, id, "correction_lapsed", json!({})).await;
                    let reply = res.json()["request"]["reply"].as_str().unwrap_or_default().to_owned();
                    assert!(reply.ends_with("不再处理您的政府信息公开申请。（冰城市科学技术局）") && reply.contains("同志："), "the agency's template: {reply}");
                    res
                }
                "other_fee_unpaid" => {
                    act(&app, &kjj, id, "notify_fee", json!({"fee_yuan": 200})).await;
                    act(&app, &kjj, id, "fee_lapsed", json!({})).await
                }
                "not_processed_repeat" => {
                    // A repeat must name the earlier answered request.
                    let refused = act(&app, &kjj, id, "decide", json!({"outcome": o.code(), "reply": "重复申请"})).await;
                    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
                    act(&app, &kjj, id, "decide", json!({"outcome": o.code(), "reply": "重复申请", "earlier_no": first_no})).await
                }
                code => act(&app, &kjj, id, "decide", json!({"outcome": code, "reply": format!("答复：{}", o.label())})).await,
            };
            assert_eq!(res.status, StatusCode::OK, "{}: {}", o.code(), res.text);
            if i == 0 {
                first_no = no;
            }
        }
        // One more still open at the year's end: carried into next year.
        let body = json!({"org": "BC-KJJ", "applicant_kind": "person", "applicant_name": "李秀英", "id_type": "护照", "id_number": "E12345678",
            "phone": "13800000000", "description": "本市科技馆建设项目的可行性研究报告", "delivery": "paper", "address": "冰城市南岗区", "channel": "in_person"});
        assert_eq!(app.client().api("POST", "/api/v1/disclosure-requests", &kjj, Some(body)).await.status, StatusCode::OK);

        // A 复议 against the first answer, upheld: table 四 counts it; an open request cannot have one.
        let res = app.client().api("PUT", "/api/v1/disclosure-requests/1/review", &kjj, Some(json!({"kind": "reconsideration", "result": "upheld", "note": "冰府复〔2026〕12号"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let open_one = app.client().api("GET", "/api/v1/disclosure-requests?state=submitted", &kjj, None).await.json()["items"][0]["id"].as_i64().unwrap();
        let res = app.client().api("PUT", &format!("/api/v1/disclosure-requests/{open_one}/review"), &kjj, Some(json!({"kind": "reconsideration", "result": "upheld"}))).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        let year = platform::calendar::today().year();
        let path = format!("/api/v1/disclosure-reports/BC-KJJ/{year}");
        let rep = app.client().api("GET", &path, &admin, None).await.json();
        assert_eq!(rep["balanced"], true, "{rep}");
        let results = rep["table3"]["results"].as_array().unwrap();
        for (i, o) in outcomes.iter().enumerate() {
            let cells: Vec<i64> = results[i].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
            let col = kinds.iter().position(|k| *k == kinds[i % kinds.len()]).unwrap();
            let mut want = vec![0; 6];
            want[col] = 1;
            assert_eq!(cells, want, "{} lands in exactly one cell", o.code());
        }
        assert_eq!(rep["table3"]["new"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum::<i64>(), 22);
        assert_eq!(rep["table3"]["carried_out"][0], 1);
        assert_eq!(rep["table4"]["blocks"][0], json!([1, 0, 0, 0]), "the registered 复议 is counted");
        // Other modules read the counts as figures, for the department with its sub-units.
        let now = platform::db::now();
        let q = platform::module::FigureQuery { from: now - 86_400 * 400, to: now + 86_400 * 2, org_id: Some(kjj_org), site_id: None };
        let figures = app.state.modules.figures(&app.state, q).await;
        let fig = |k: &str| figures.iter().find(|f| f.key == k).map(|f| f.value);
        assert_eq!((fig("disclosure.received"), fig("disclosure.answered")), (Some(22.0), Some(21.0)));

        // A hand-entered row that breaks the balance: shown as an error, publishing refused.
        let res = app.client().api("PUT", &path, &admin, Some(json!({"table3_extra": {"new": [2, 0, 0, 0, 0, 0]}, "publish": true}))).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        assert!(res.text.contains("自然人") && res.text.contains("不平衡"), "{}", res.text);
        let rep = app.client().api("GET", &path, &admin, None).await.json();
        assert_eq!(rep["balanced"], false);
        assert_eq!(rep["published"], false);
        assert_eq!(app.client().get(&format!("/gongkai/reports/BC-KJJ/{year}")).await.status, StatusCode::NOT_FOUND);
        // Completed with where those two went, it balances and publishes.
        let body = json!({"table3_extra": {"new": [2, 0, 0, 0, 0, 0], "disclosed": [2, 0, 0, 0, 0, 0]},
            "sections": {"overview": "本年度依法办理政府信息公开申请。"}, "table4": [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], "publish": true});
        let res = app.client().api("PUT", &path, &admin, Some(body)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["published"], true);
        let page = app.client().get(&format!("/gongkai/reports/BC-KJJ/{year}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("本年度依法办理政府信息公开申请") && page.text.contains("（七）总计"));
        // A handler may not publish reports.
        assert_eq!(app.client().api("GET", &path, &kjj, None).await.status, StatusCode::FORBIDDEN);
        // The report page of the back office and its xlsx export.
        let mut web = app.signed_in("admin").await;
        let page = web.get(&format!("/admin/disclosure/reports/{kjj_org}/{year}")).await;
        assert!(page.text.contains("表三各栏平衡"), "{}", page.text);
        let xlsx = web.get(&format!("/admin/disclosure/reports/{kjj_org}/{year}/report.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.bytes.starts_with(b"PK"), "a zip container");
    };
}

/// A 统一社会信用代码 with its GB 32100 check character.
fn uscc(stem: &str) -> String {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: usize = stem.chars().zip(weights).map(|(c, w)| CHARS.find(c).unwrap() * w).sum();
    format!("{stem}{}", CHARS.chars().nth((31 - sum % 31) % 31).unwrap())
}

/// Who approves a department's news on the demo portal, in order.
const NEWS_REVIEW: &[&str] = &["reviewer_dept", "reviewer_office"];
/// Who approves the portal's policy documents (the 办公厅's columns), in order.
const POLICY_REVIEW: &[&str] = &["reviewer_office", "siteadmin"];

backend_tests! {
    a_bound_column_catalogues_what_its_editors_publish => |app: TestApp| async move {
        app.load_demo(0, 0).await;
        let portal = cms::store::site_by_code(&app.db, "hrb").await.unwrap().unwrap();
        let channels = cms::store::channels_of(&app.db, portal.id).await.unwrap();
        let policy = channels.iter().find(|c| c.slug == "zcwj").unwrap();
        let news = channels.iter().find(|c| c.slug == "bmdt").unwrap();
        let orgs = platform::accounts::list_orgs(&app.db).await.unwrap();
        let bgt = orgs.iter().find(|o| o.name == "哈尔滨市人民政府办公厅").unwrap().clone();
        let admin = app.token("siteadmin").await;
        let items = |doc: i64| {
            let db = app.db.clone();
            async move {
                db.fetch_all::<(String, String, String, String, String)>(
                    platform::db::sql("SELECT index_no, topic, genre, doc_no, updated_by FROM disclosure_item WHERE document_id = $1").bind(doc),
                )
                .await
                .unwrap()
            }
        };
        // The demo bound the portal's 政策文件 to the 办公厅's catalogue: a new policy published
        // there is catalogued by the feed, its 文号 stored with 〔〕, numbered in the agency's sequence.
        let doc = common::publish_article(&app, policy.id, "哈尔滨市人民政府办公厅关于进一步优化营商环境的若干措施", &[("doc_number", "哈政办规(2026)18号")], POLICY_REVIEW).await;
        assert!(items(doc).await.is_empty(), "nothing before the feed passes");
        assert_eq!(disclosure::tree::follow(&app.state).await.unwrap(), 1);
        let got = items(doc).await;
        assert_eq!(got.len(), 1, "{got:?}");
        let (index_no, topic, genre, doc_no, by) = got[0].clone();
        let year = platform::calendar::today().year();
        assert!(index_no.starts_with(&format!("{}/{year}-", bgt.code)), "{index_no}");
        assert_eq!((topic.as_str(), genre.as_str(), doc_no.as_str()), ("法规规章和规范性文件", "通知", "哈政办规〔2026〕18号"));
        assert_eq!(by, disclosure::tree::FEED_AUTHOR);
        // A second pass (or a second node) writes nothing again.
        assert_eq!(disclosure::tree::follow(&app.state).await.unwrap(), 0);

        // An agency's own category, then a second column bound to it through the API.
        let api = |m: &'static str, p: String, body: Option<Value>| {
            let token = admin.clone();
            let mut c = app.client();
            async move { c.api(m, &p, &token, body).await }
        };
        let res = api("POST", "/api/v1/disclosure-topics".into(), Some(json!({"org": bgt.code, "name": "重点民生实事"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let local_id = res.json()["id"].as_i64().unwrap();
        let res = api("POST", "/api/v1/disclosure-topics".into(), Some(json!({"org": bgt.code, "name": "重点民生实事"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("本机关已有这个类目"), "{}", res.text);
        let res = api("POST", "/api/v1/disclosure-topics".into(), Some(json!({"org": bgt.code, "name": "财政预决算"}))).await;
        assert!(res.text.contains("条例规定的类目已有这一项"), "{}", res.text);
        let news_topic = format!("channel:{}", news.id);
        let res = api("POST", "/api/v1/disclosure-bindings".into(), Some(json!({"org": bgt.code, "topic": news_topic, "category": "不存在的类目"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择本机关的主题分类"), "{}", res.text);
        let res = api("POST", "/api/v1/disclosure-bindings".into(), Some(json!({"org": bgt.code, "topic": news_topic, "category": "重点民生实事"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let binding = res.json()["id"].as_i64().unwrap();
        let res = api("POST", "/api/v1/disclosure-bindings".into(), Some(json!({"org": bgt.code, "topic": news_topic, "category": "重点民生实事"}))).await;
        assert!(res.text.contains("这个栏目已绑定到公开目录"), "{}", res.text);
        // A handler manages no catalogue.
        let handler = app.token("handler").await;
        let res = app.client().api("POST", "/api/v1/disclosure-topics", &handler, Some(json!({"org": bgt.code, "name": "其他事项"}))).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        let news_doc = common::publish_article(&app, news.id, "市政府召开重点民生实事推进会", &[], NEWS_REVIEW).await;
        assert_eq!(disclosure::tree::follow(&app.state).await.unwrap(), 1);
        let got = items(news_doc).await;
        assert_eq!(got[0].1, "重点民生实事");
        // The public catalogue offers the agency's category and lists the item under it.
        let page = app.client().get(&format!("/gongkai/catalogue?topic={}", common::urlenc("重点民生实事"))).await;
        assert!(page.text.contains("市政府召开重点民生实事推进会") && page.text.contains("共 1 条"), "{}", page.text);
        // The category is in use: it stays until its items move.
        let res = api("DELETE", format!("/api/v1/disclosure-topics/{local_id}"), None).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        // Unbound, the column's next article is not catalogued; what was catalogued stays.
        let res = api("DELETE", format!("/api/v1/disclosure-bindings/{binding}"), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let later = common::publish_article(&app, news.id, "解除绑定之后发布的动态", &[], NEWS_REVIEW).await;
        assert_eq!(disclosure::tree::follow(&app.state).await.unwrap(), 0);
        assert!(items(later).await.is_empty());
        assert_eq!(items(news_doc).await.len(), 1);

        // Art. 26: an item formed 30 working days before it was published is on the office's list
        // (the flag kept when it is written); formed the same day, it leaves the list.
        let item_id: platform::db::Scalar<i64> = app.db.fetch_one(platform::db::sql("SELECT id FROM disclosure_item WHERE document_id = $1").bind(doc)).await.unwrap();
        let published: platform::db::Scalar<String> = app.db.fetch_one(platform::db::sql("SELECT published_on FROM disclosure_item WHERE id = $1").bind(item_id.0)).await.unwrap();
        let cal = platform::calendar::load(&app.db).await.unwrap();
        let published_day = platform::calendar::date(&published.0).unwrap();
        let formed = (1..200).map(|d| published_day - time::Duration::days(d)).find(|f| cal.add_workdays(*f, 30) <= published_day).unwrap();
        let body = |formed: String| json!({"topic": "法规规章和规范性文件", "doc_no": doc_no, "formed_on": formed});
        let res = api("PUT", format!("/api/v1/disclosure-items/{}", item_id.0), Some(body(platform::calendar::date_text(formed)))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.json()["late"], json!(true));
        let mut web = app.client();
        web.login("siteadmin", zhengwu::demo::DEMO_PASSWORD).await;
        let page = web.get("/admin/disclosure/catalogue").await;
        let late_part = page.text.split("超过 20 个工作日才公开的信息").nth(1).unwrap_or("");
        assert!(late_part.contains("进一步优化营商环境的若干措施"), "{}", page.text);
        let res = api("PUT", format!("/api/v1/disclosure-items/{}", item_id.0), Some(body(published.0.clone()))).await;
        assert_eq!(res.json()["late"], json!(false));
        let page = web.get("/admin/disclosure/catalogue").await;
        assert!(!page.text.contains("超过 20 个工作日才公开的信息"), "{}", page.text);
        let tree = web.get("/admin/disclosure/tree").await;
        assert_eq!(tree.status, StatusCode::OK);
        assert!(tree.text.contains("政策文件") && tree.text.contains("重点民生实事"), "{}", tree.text);
        // The page's forms: a refusal names the field and keeps the choice; a category in use stays.
        let res = web.post_form("/admin/disclosure/tree/bindings", &[("org", bgt.code.as_str()), ("topic", news_topic.as_str()), ("category", "不存在的类目")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("请选择本机关的主题分类") && res.text.contains(&format!("value=\"{news_topic}\" selected")), "{}", res.text);
        let res = web.post_form("/admin/disclosure/tree/topics", &[("org", bgt.code.as_str()), ("name", "招商引资")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let res = web.post_form(&format!("/admin/disclosure/tree/topics/{local_id}/delete"), &[]).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.text.contains("请先把它们改到其他类目"), "{}", res.text);
        assert!(web.get("/admin/disclosure/tree").await.text.contains("招商引资"));
    };

    closed_request_lists_page_by_keyset => |app: TestApp| async move {
        let (kjj, _) = world(&app).await;
        let to = platform::db::now();
        disclosure::generate::requests(&app.db, &[kjj], 400, 7, to - 365 * 86_400, to).await.unwrap();
        let state: platform::db::Scalar<String> = app.db.fetch_one(platform::db::sql(
            "SELECT state FROM disclosure_request WHERE state NOT IN ('submitted','received','correcting','consulting','fee_notified') GROUP BY state ORDER BY COUNT(*) DESC LIMIT 1")).await.unwrap();
        let f = |before| disclosure::store::QueueFilter { orgs: None, state: Some(state.0.as_str()), due_before: None, before };
        let (first, total) = disclosure::store::queue(&app.db, &f(None), 20, 0).await.unwrap();
        assert!(total > 20, "{total}");
        let (by_offset, _) = disclosure::store::queue(&app.db, &f(None), 10, 10).await.unwrap();
        let tenth = &first[9];
        let (by_keyset, _) = disclosure::store::queue(&app.db, &f(Some((tenth.submitted_at, tenth.id))), 10, 0).await.unwrap();
        let ids = |rows: &[disclosure::store::Request]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(&by_keyset), ids(&by_offset), "the keyset page is the next ten");
        assert_eq!(ids(&by_keyset), ids(&first[10..20]));
    };
}
