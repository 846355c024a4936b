//! 信息资源共享 end to end on the real router and both databases: a unit's data officer saves an
//! import source, uploads the registry's file (UTF-8 and GBK), reads the report of every rejected
//! row, re-imports (only changed rows change), dry-runs (nothing written), and cannot reach another
//! unit's source; a process stopped mid-run leaves the run marked interrupted; the open-data
//! catalogue publishes a directory table (non-public fields refused and never downloaded), keeps
//! every file version, and answers the CKAN Action API in CKAN's envelope; drafts stay hidden.

use crate::common;

use axum::http::StatusCode;
use base64::Engine;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::{Value, json};

/// Two bureaus, each with a data officer (editor role on the unit).
async fn world(app: &TestApp) -> (i64, i64) {
    let scj = platform::accounts::create_org(&app.db, None, "冰城市市场监督管理局", "BC-SCJ", "bureau").await.unwrap();
    let tjj = platform::accounts::create_org(&app.db, None, "冰城市统计局", "BC-TJJ", "bureau").await.unwrap();
    app.user_with_grants("data_scj", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: scj }]).await;
    app.user_with_grants("data_tjj", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: tjj }]).await;
    (scj, tjj)
}

/// The registry's export: `n` enterprises; rows in `bad` get a wrong check character.
fn registry(n: u32, bad: &[u32], renamed: &[u32]) -> String {
    let mut s = String::from("统一社会信用代码,企业名称,行业门类,行政区划,成立日期,注册资本,登记状态,联系电话\n");
    for i in 0..n {
        let mut code = data::demo::credit_code("230102", i);
        if bad.contains(&i) {
            let last = code.pop().unwrap();
            code.push(if last == '1' { '2' } else { '1' });
        }
        let name = if renamed.contains(&i) {
            format!("冰城更名企业{i}有限公司")
        } else {
            format!("冰城测试企业{i}有限公司")
        };
        s.push_str(&format!("{code},{name},制造业,道里区,2020/3/{},500,存续,0451-8600{:04}\n", 1 + i % 28, i));
    }
    s
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Uploads a file to a source and waits for the run's report.
pub(crate) async fn run(app: &TestApp, token: &str, source: i64, name: &str, bytes: &[u8], dry_run: bool) -> Value {
    let mut c = app.client();
    let r = c
        .api(
            "POST",
            &format!("/api/v1/data-sources/{source}/runs"),
            token,
            Some(json!({ "file_name": name, "content_base64": b64(bytes), "dry_run": dry_run })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.json()["run_id"].as_i64().unwrap();
    for _ in 0..200 {
        let report = c.api("GET", &format!("/api/v1/data-runs/{id}"), token, None).await.json();
        if report["state"] != "running" {
            return report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("run {id} did not finish");
}

backend_tests! {
    imports_report_every_bad_row_and_a_reimport_changes_only_changed_rows => |app: TestApp| async move {
        world(&app).await;
        let (scj, tjj) = (app.token("data_scj").await, app.token("data_tjj").await);
        let mut c = app.client();
        // Another unit cannot own the source.
        let r = c.api("POST", "/api/v1/data-sources", &tjj, Some(json!({ "name": "企业登记", "target": "enterprise", "org": "BC-SCJ" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let r = c.api("POST", "/api/v1/data-sources", &scj, Some(json!({ "name": "企业登记", "target": "enterprise", "org": "BC-SCJ", "schedule_days": "1,4", "schedule_time": "2点" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("02:00"), "{}", r.text);
        let r = c.api("POST", "/api/v1/data-sources", &scj, Some(json!({ "name": "市场监管局企业登记数据", "target": "enterprise", "org": "BC-SCJ" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let source = r.json()["id"].as_i64().unwrap();
        // Until a mapping is saved, columns map by their names; this registry's are saved explicitly.
        assert_eq!(r.json()["mapping"], "[]");
        let mapping: Vec<Value> = [
            ("credit_code", "统一社会信用代码"), ("name", "企业名称"), ("industry", "行业门类"), ("area_code", "行政区划"),
            ("registered_on", "成立日期"), ("capital", "注册资本"), ("status", "登记状态"), ("phone", "联系电话"),
        ]
        .iter()
        .map(|(f, c)| json!({ "field": f, "column": c }))
        .collect();
        let r = c.api("PUT", &format!("/api/v1/data-sources/{source}"), &scj, Some(json!({ "name": "市场监管局企业登记数据", "target": "enterprise", "org": "BC-SCJ", "mapping": mapping }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.api("GET", &format!("/api/v1/data-sources/{source}/runs"), &tjj, None).await.status, StatusCode::NOT_FOUND, "another unit's source");

        // 200 rows, 1% bad: the rest are imported, each bad row reported.
        let file = registry(200, &[17, 150], &[]);
        let report = run(&app, &scj, source, "企业.csv", file.as_bytes(), false).await;
        assert_eq!(report["state"], "done", "{report}");
        assert_eq!((report["total"].as_i64(), report["inserted"].as_i64(), report["rejected"].as_i64()), (Some(200), Some(198), Some(2)));
        let rejects = report["rejects"].as_array().unwrap();
        assert_eq!(rejects.len(), 2);
        assert_eq!(rejects[0]["row"], 19, "line 19 holds enterprise 17 (the heading is line 1)");
        assert_eq!(rejects[0]["column"], "统一社会信用代码");
        assert!(rejects[0]["reason"].as_str().unwrap().contains("校验位"));
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_enterprise")).await.unwrap(), 198);
        let stored: (String, String) = {
            let e: data::enterprise::Enterprise = app.db.fetch_one(platform::db::sql("SELECT * FROM data_enterprise WHERE name = '冰城测试企业3有限公司'")).await.unwrap();
            (e.industry, e.registered_on)
        };
        assert_eq!(stored, ("C".to_owned(), "2020-03-04".to_owned()), "labels became codes, dates were normalised");

        // The same file again: nothing changes. Three renamed (and the GBK encoding): three updates.
        let again = run(&app, &scj, source, "企业.csv", file.as_bytes(), false).await;
        assert_eq!((again["inserted"].as_i64(), again["updated"].as_i64(), again["unchanged"].as_i64()), (Some(0), Some(0), Some(198)));
        let changed = registry(200, &[17, 150], &[1, 2, 3]);
        let gbk = data::demo::gbk(&changed);
        let third = run(&app, &scj, source, "企业（GBK）.csv", &gbk, false).await;
        assert_eq!(third["encoding"], "GB18030");
        assert_eq!((third["inserted"].as_i64(), third["updated"].as_i64(), third["unchanged"].as_i64()), (Some(0), Some(3), Some(195)), "{third}");
        // A dry run reports what would change and writes nothing.
        let more = registry(205, &[], &[1, 2, 3]);
        let dry = run(&app, &scj, source, "企业.csv", more.as_bytes(), true).await;
        assert_eq!((dry["inserted"].as_i64(), dry["updated"].as_i64(), dry["dry_run"].as_bool()), (Some(7), Some(0), Some(true)), "{dry}");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_enterprise")).await.unwrap(), 198);
        // A duplicate key in one file, and a file without a required column.
        let dup = format!("{}{}", registry(2, &[], &[]), registry(2, &[], &[]).lines().nth(1).unwrap());
        let d = run(&app, &scj, source, "dup.csv", dup.as_bytes(), true).await;
        assert!(d["rejects"][0]["reason"].as_str().unwrap().contains("重复"), "{d}");
        let f = run(&app, &scj, source, "x.csv", "名称\n甲\n".as_bytes(), false).await;
        assert_eq!(f["state"], "failed");
        assert!(f["message"].as_str().unwrap().contains("统一社会信用代码"), "{f}");
        let r = c.api("POST", &format!("/api/v1/data-sources/{source}/runs"), &scj, Some(json!({ "file_name": "x.xls", "content_base64": b64(b"\xD0\xCF\x11\xE0old excel") }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an old .xls is refused with a message: {}", r.text);
        // The same import from the command line: `zhengwu import --source N FILE` (a dry run here).
        let path = app.state.config.data_dir.join("企业（命令行）.csv");
        std::fs::write(&path, registry(203, &[5], &[])).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zhengwu"));
        cmd.arg("--data-dir").arg(&app.state.config.data_dir);
        if let Some(u) = &app.state.config.database_url {
            cmd.arg("--database-url").arg(u);
        }
        let out = cmd.args(["import", "--source", &source.to_string(), "--dry-run"]).arg(&path).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(stdout.contains("203 行：新增 5，更新 3，未变 194，拒绝 1") && stdout.contains("第 7 行"), "{stdout}");
        // Every run is in the audit chain.
        assert!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action = 'data.import'")).await.unwrap() >= 4);

        // The directory's public page and search filters show public fields only.
        let mut public = app.client();
        let list = public.get("/shuju/qiye/?industry=C&area=230102").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text.contains("共 198 家企业"), "{}", &list.text[..list.text.len().min(3000)]);
        let id: i64 = app.db.fetch_one::<platform::db::Scalar<i64>>(platform::db::sql("SELECT id FROM data_enterprise WHERE name = '冰城更名企业1有限公司'")).await.unwrap().0;
        let page = public.get(&format!("/shuju/qiye/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("冰城更名企业1有限公司") && page.text.contains("制造业") && page.text.contains("道里区"));
        assert!(!page.text.contains("0451-8600"), "the phone is not a public field");
        let by_code = public.get(&format!("/shuju/qiye/?code={}", data::demo::credit_code("230102", 1).to_lowercase())).await;
        assert!(by_code.text.contains("共 1 家企业"));
    };

    a_process_stopped_mid_run_leaves_the_run_interrupted => |app: TestApp| async move {
        let (scj, _) = world(&app).await;
        let now = platform::db::now();
        let source: i64 = app.db.fetch_one::<platform::db::Scalar<i64>>(platform::db::sql("INSERT INTO data_source (org_id, name, target, created_by, created_at, updated_at) VALUES ($1, '源', 'enterprise', 't', $2, $2) RETURNING id").bind(scj).bind(now)).await.unwrap().0;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned();
        for node in [host.as_str(), "another-node"] {
            app.db.execute(platform::db::sql("INSERT INTO data_import_run (source_id, state, dry_run, trigger_kind, file_name, file_sha256, started_at, by_user, node) VALUES ($1, 'running', FALSE, 'upload', 'a.csv', 'x', $2, 't', $3)").bind(source).bind(now).bind(node.to_owned())).await.unwrap();
        }
        assert_eq!(data::import::mark_interrupted(&app.db).await.unwrap(), 1, "only this node's runs");
        let states: Vec<platform::db::Scalar<String>> = app.db.fetch_all(platform::db::sql("SELECT state FROM data_import_run ORDER BY id")).await.unwrap();
        assert_eq!(states.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), vec!["interrupted", "running"]);
    };

    the_catalogue_publishes_datasets_to_the_public_and_to_ckan_clients => |app: TestApp| async move {
        world(&app).await;
        let (scj, tjj) = (app.token("data_scj").await, app.token("data_tjj").await);
        let mut c = app.client();
        let source = c.api("POST", "/api/v1/data-sources", &scj, Some(json!({ "name": "登记", "target": "enterprise", "org": "BC-SCJ" }))).await.json()["id"].as_i64().unwrap();
        let file = registry(30, &[], &[]).replace("行业门类", "所属行业").replace("行政区划", "所在区域").replace("注册资本", "注册资本（万元）");
        assert_eq!(run(&app, &scj, source, "a.csv", file.as_bytes(), false).await["inserted"], 30);

        let meta = json!({ "name": "qiye-minglu", "title": "冰城市企业名录", "notes": "全市登记企业的公开信息", "org": "BC-SCJ", "theme": "市场监管", "keywords": "企业,名录", "licence": "cc-by-4.0", "frequency": "每周两次", "open_condition": "无条件开放" });
        let r = c.api("POST", "/api/v1/datasets", &scj, Some(json!({ "name": "Bad Name", "title": "", "org": "BC-SCJ" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("小写英文字母") && r.text.contains("数据集名称"), "{}", r.text);
        let r = c.api("POST", "/api/v1/datasets", &scj, Some(meta.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let ds = r.json()["id"].as_i64().unwrap();
        assert_eq!(c.api("POST", "/api/v1/datasets", &scj, Some(meta)).await.status, StatusCode::UNPROCESSABLE_ENTITY, "the name is taken");
        assert_eq!(c.api("PUT", &format!("/api/v1/datasets/{ds}"), &tjj, Some(json!({ "name": "x", "title": "y", "org": "BC-TJJ" }))).await.status, StatusCode::NOT_FOUND, "another unit's dataset");
        // Not published without a resource; a non-public field is refused.
        let r = c.api("POST", &format!("/api/v1/datasets/{ds}/actions/publish"), &scj, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = c.api("POST", &format!("/api/v1/datasets/{ds}/resources"), &scj, Some(json!({ "name": "名录", "kind": "table", "table_name": "enterprise", "fields": ["credit_code", "name", "phone"] }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("不是公开字段"), "{}", r.text);
        let r = c.api("POST", &format!("/api/v1/datasets/{ds}/resources"), &scj, Some(json!({ "name": "名录", "kind": "table", "table_name": "enterprise", "fields": ["credit_code", "name", "industry"] }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let table = r.json()["id"].as_i64().unwrap();
        let files = c.api("POST", &format!("/api/v1/datasets/{ds}/resources"), &scj, Some(json!({ "name": "统计表", "kind": "file" }))).await.json()["id"].as_i64().unwrap();
        for (i, body) in ["行业,数量\n制造业,30\n", "行业,数量\n制造业,30\n批发和零售业,12\n"].iter().enumerate() {
            let r = c.api("POST", &format!("/api/v1/data-resources/{files}/versions"), &scj, Some(json!({ "file_name": format!("统计{i}.csv"), "content_base64": b64(body.as_bytes()) }))).await;
            assert_eq!(r.json()["version"], i + 1, "{}", r.text);
        }
        let r = c.api("POST", &format!("/api/v1/data-resources/{files}/versions"), &scj, Some(json!({ "file_name": "x.exe", "content_base64": b64(b"MZ") }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A draft is nowhere public.
        let mut public = app.client();
        assert_eq!(public.get("/shuju/datasets/qiye-minglu").await.status, StatusCode::NOT_FOUND);
        let list = public.get("/api/3/action/package_list").await;
        assert_eq!(list.json(), json!({ "help": "http://portal.test/api/3/action/help_show?name=package_list", "success": true, "result": [] }));
        assert_eq!(public.get(&format!("/shuju/resources/{table}/download")).await.status, StatusCode::NOT_FOUND);

        assert_eq!(c.api("POST", &format!("/api/v1/datasets/{ds}/actions/publish"), &scj, None).await.status, StatusCode::OK);
        let page = public.get("/shuju/datasets/qiye-minglu").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("数据预览") && page.text.contains("冰城测试企业0有限公司") && page.text.contains("第 2 版"), "preview and versions");
        let csv = public.get(&format!("/shuju/resources/{table}/download")).await;
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
        assert!(csv.text.contains("统一社会信用代码,企业名称,所属行业") && csv.text.contains("制造业"), "{}", &csv.text[..200]);
        assert!(!csv.text.contains("0451"), "no phone in the download");
        let v1 = public.get(&format!("/shuju/resources/{files}/versions/1")).await;
        assert_eq!(v1.text, "行业,数量\n制造业,30\n", "the first version stays downloadable");

        // CKAN's envelope and fields.
        let show = public.get("/api/3/action/package_show?id=qiye-minglu").await.json();
        assert_eq!(show["success"], true);
        let p = &show["result"];
        assert_eq!(p["title"], "冰城市企业名录");
        assert_eq!(p["organization"]["title"], "冰城市市场监督管理局");
        assert_eq!(p["num_resources"], 2);
        assert_eq!(p["resources"][1]["version"], 2);
        assert!(p["resources"][1]["hash"].as_str().unwrap().starts_with("sm3:"));
        assert_eq!(p["resources"][0]["downloads"], Value::Null, "CKAN's fields only");
        let search = public.get("/api/3/action/package_search?q=%E4%BC%81%E4%B8%9A&fq=organization:bc-scj&rows=5").await.json();
        assert_eq!(search["result"]["count"], 1);
        let missing = public.get("/api/3/action/package_show?id=nope").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["error"]["__type"], "Not Found Error");
        let bad = public.get("/api/3/action/package_search?rows=abc").await;
        assert_eq!(bad.status, StatusCode::CONFLICT);
        assert_eq!(bad.json()["error"]["__type"], "Validation Error");
        let unknown = public.get("/api/3/action/nothing_here").await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert_eq!(unknown.json()["success"], false);
        let dcat = public.get("/shuju/datasets/qiye-minglu/dcat.jsonld").await;
        assert_eq!(dcat.json()["dct:publisher"]["foaf:name"], "冰城市市场监督管理局");
        // Withdrawn: gone from the public again.
        assert_eq!(c.api("POST", &format!("/api/v1/datasets/{ds}/actions/withdraw"), &scj, None).await.status, StatusCode::OK);
        assert_eq!(public.get("/api/3/action/package_show?id=qiye-minglu").await.status, StatusCode::NOT_FOUND);
        assert!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'data.%'")).await.unwrap() >= 8);
    };
}

/// Sends points to the ingest endpoint with a key.
async fn send_points(app: &TestApp, code: &str, key: &str, body: Value) -> common::TestResponse {
    let req = axum::http::Request::post(format!("/api/monitoring/stations/{code}/points"))
        .header("x-api-key", key)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    app.client().send(req).await
}

backend_tests! {
    monitoring_ingests_with_a_key_keeps_rollups_shows_gaps_and_raises_alarms => |app: TestApp| async move {
        world(&app).await;
        let scj = app.token("data_scj").await;
        let mut c = app.client();
        let r = c.api("POST", "/api/v1/stations", &scj, Some(json!({ "code": "Bad Code", "name": "", "kind": "air", "org": "BC-SCJ", "metrics": "pm25|PM2.5" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("站点代码") && r.text.contains("代码|名称|单位"), "{}", r.text);
        let r = c.api("POST", "/api/v1/stations", &scj, Some(json!({
            "code": "lake", "name": "冰湖水文站", "kind": "water_level", "org": "BC-SCJ", "alarm_email": "duty@bc.invalid",
            "metrics": "level|水位|米|3600|100|120\nstorage|蓄水量|万立方米"
        }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let key = r.json()["key"].as_str().unwrap().to_owned();
        let air = c.api("POST", "/api/v1/stations", &scj, Some(json!({
            "code": "air1", "name": "冰城空气站", "kind": "air", "org": "BC-SCJ",
            "metrics": "pm25|细颗粒物|μg/m³|3600||75\npm10|可吸入颗粒物|μg/m³\nno2|二氧化氮|μg/m³"
        }))).await.json();
        let air_key = air["key"].as_str().unwrap().to_owned();

        // The six hours before the current one, the fourth missing; a wrong key is refused.
        let now = platform::db::now();
        let end = data::monitor::hour_start(now);
        assert_eq!(send_points(&app, "lake", "wrong", json!({ "points": [] })).await.status, StatusCode::UNAUTHORIZED);
        let points: Vec<Value> = (0..6).filter(|h| *h != 3).flat_map(|h| {
            let ts = end - (6 - h) * 3600;
            vec![json!({ "metric": "level", "time": ts, "value": 110.0 + h as f64 }), json!({ "metric": "level", "time": ts + 1800, "value": 111.0 + h as f64 })]
        }).chain([json!({ "metric": "nope", "time": end, "value": 1 }), json!({ "metric": "level", "time": "yesterday", "value": 1 })]).collect();
        let r = send_points(&app, "lake", &key, json!({ "points": points })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let body = r.json();
        assert_eq!(body["accepted"], 10);
        assert_eq!(body["rejected"].as_array().unwrap().len(), 2, "{body}");
        // Re-sending a point replaces it (idempotent), and the hour's rollup follows.
        let r = send_points(&app, "lake", &key, json!({ "metric": "level", "time": end - 6 * 3600, "value": 112.0 })).await;
        assert_eq!(r.json()["accepted"], 1);
        let hour: data::monitor::Rollup = app.db.fetch_one(platform::db::sql("SELECT * FROM data_rollup WHERE metric_id = (SELECT id FROM data_metric WHERE code = 'level') AND period = 'hour' AND start = $1").bind(end - 6 * 3600)).await.unwrap();
        assert_eq!((hour.n, hour.min, hour.max, hour.mean()), (2, 111.0, 112.0, 111.5));
        let days: i64 = app.db.count(platform::db::sql("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM data_rollup WHERE period = 'day' AND metric_id = (SELECT id FROM data_metric WHERE code = 'level')")).await.unwrap();
        assert_eq!(days, 10, "the day rollups count every point once");
        assert_eq!(app.db.count(platform::db::sql("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM data_rollup WHERE period = 'month' AND metric_id = (SELECT id FROM data_metric WHERE code = 'level')")).await.unwrap(), 10);

        // Over the limit: one alarm and one mail to the duty address, not one per point.
        let outbox = app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap();
        let r = send_points(&app, "lake", &key, json!({ "points": [{ "metric": "level", "time": end + 60, "value": 121.5 }] })).await;
        assert_eq!(r.json()["alarms"], 1);
        let r = send_points(&app, "lake", &key, json!({ "points": [{ "metric": "level", "time": end + 120, "value": 122.0 }] })).await;
        assert_eq!(r.json()["alarms"], 0, "still over the limit: no new alarm");
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM outbox")).await.unwrap() - outbox, 1);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_alarm")).await.unwrap(), 1);

        // The public page: a chart with a gap, the table says 无数据 for the missing hour, CSV.
        let mut public = app.client();
        let page = public.get("/shuju/jiance/lake?metric=level&range=day").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("<svg") && page.text.contains("无数据") && page.text.contains("图中断开处即缺测"), "gaps shown");
        let d = page.text.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(d.matches('M').count(), 2, "the line breaks at the missing hour: {d}");
        let csv = public.get("/shuju/jiance/lake/csv?metric=level&range=day").await;
        assert!(csv.text.contains("平均（米）") && csv.text.contains("111.5") && csv.text.contains("无数据"), "{}", csv.text);
        // AQI from the latest hourly values.
        let r = send_points(&app, "air1", &air_key, json!({ "points": [
            { "metric": "pm25", "time": end, "value": 55 }, { "metric": "pm10", "time": end, "value": 60 }, { "metric": "no2", "time": end, "value": 40 }
        ] })).await;
        assert_eq!(r.json()["accepted"], 3);
        let list = public.get("/shuju/jiance/").await;
        assert!(list.text.contains("空气质量指数 <strong>75</strong>") && list.text.contains("首要污染物：细颗粒物（PM2.5）"), "{}", list.text);
        // A new key stops the old one.
        let id: i64 = app.db.fetch_one::<platform::db::Scalar<i64>>(platform::db::sql("SELECT id FROM data_station WHERE code = 'lake'")).await.unwrap().0;
        let fresh = c.api("POST", &format!("/api/v1/stations/{id}/key"), &scj, None).await.json()["key"].as_str().unwrap().to_owned();
        assert_eq!(send_points(&app, "lake", &key, json!({ "points": [] })).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(send_points(&app, "lake", &fresh, json!({ "points": [] })).await.status, StatusCode::OK);
    };
}
