//! 人口资源库 end to end on the real router and both databases: four departments' files merged by
//! ID number through the import framework (provenance per field, source priority, latest wins,
//! conflicts for an officer), personal values sealed at rest, masked and audited queries with a
//! stated purpose, unmasking only for the granted role, and statistics that never show a cell
//! under the threshold — nor one that its totals would give away.

use crate::common;
use crate::data::run;

use axum::http::StatusCode;
use common::TestApp;
use platform::db::sql;
use platform::roles::Role;
use serde_json::{Value, json};

/// A valid ID number in `area`, born in `year`, with sequence `seq` (odd: 男).
fn id(area: &str, year: u32, seq: u32) -> String {
    let first17 = format!("{area}{year}0315{seq:03}");
    format!("{first17}{}", platform::codes::id_check_char(&first17).unwrap())
}

/// The departments and their people: a data officer, a clerk and an officer.
async fn world(app: &TestApp) -> (String, String, String) {
    for (name, code) in [("冰城市公安局", "BC-GAJ"), ("冰城市民政局", "BC-MZJ"), ("冰城市卫生健康委员会", "BC-WJW")]
    {
        platform::accounts::create_org(&app.db, None, name, code, "bureau").await.unwrap();
    }
    app.user("shuju", &[Role::Editor]).await;
    app.user("chaxun", &[Role::PopulationClerk]).await;
    app.user("hecha", &[Role::PopulationOfficer]).await;
    (app.token("shuju").await, app.token("chaxun").await, app.token("hecha").await)
}

async fn source(app: &TestApp, token: &str, name: &str, org: &str, priority: i64) -> i64 {
    let r = app
        .client()
        .api(
            "POST",
            "/api/v1/data-sources",
            token,
            Some(json!({ "name": name, "target": "population", "org": org, "priority": priority })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

fn purpose() -> Value {
    json!({ "purpose": "assistance", "purpose_note": "低保复核 2026-0312 号" })
}

fn with_purpose(mut v: Value) -> Value {
    v.as_object_mut().unwrap().extend(purpose().as_object().unwrap().clone());
    v
}

backend_tests! {
    departments_merge_by_id_number_with_provenance_rules_and_conflicts => |app: TestApp| async move {
        let (shuju, _, hecha) = world(&app).await;
        let police = source(&app, &shuju, "公安局常住人口", "BC-GAJ", 90).await;
        let welfare = source(&app, &shuju, "民政局救助对象", "BC-MZJ", 40).await;
        let health = source(&app, &shuju, "卫健委计生", "BC-WJW", 50).await;
        let (a, b, c, d) = (id("230102", 1956, 11), id("230103", 1988, 22), id("230104", 2001, 33), id("230102", 1972, 44));
        let good = id("230102", 1990, 55);
        let bad = format!("{}{}", &good[..17], if good.ends_with('1') { '2' } else { '1' });
        let police_file = format!(
            "公民身份号码,姓名,性别,户籍地,户别,婚姻状况,联系电话,现住址,户号\n\
             {a},王建国,男,道里区,家庭户,已婚,13800001111,道里区中央大街 12 号,000101\n\
             {b},李秀英,女,南岗区,家庭户,未婚,13800002222,南岗区学府路 8 号,000102\n\
             {c},张强,男,道外区,集体户,未婚,,道外区靖宇街 3 号,000103\n\
             {bad},赵错号,男,道里区,家庭户,未婚,,,000104\n"
        );
        let r = run(&app, &shuju, police, "常住人口.csv", police_file.as_bytes(), false).await;
        assert_eq!((r["inserted"].as_i64(), r["rejected"].as_i64()), (Some(3), Some(1)), "{r}");
        assert_eq!(r["rejects"][0]["column"], "公民身份号码", "{r}");

        // 民政 spells a name differently (公安 has priority: kept), knows a newer address (latest
        // wins) and a person the police file lacked; its own columns are kept with its part.
        let welfare_file = format!("身份证号码,姓名,现住址,救助类别\n{a},王建囯,道里区安静街 7 号,城市低保\n{d},孙丽,南岗区红军街 1 号,临时救助\n");
        let r = run(&app, &shuju, welfare, "救助对象.csv", welfare_file.as_bytes(), false).await;
        assert_eq!((r["inserted"].as_i64(), r["rejected"].as_i64()), (Some(2), Some(0)), "{r}");
        // 卫健 says B married: 婚姻状况 is decided by an officer, so it waits.
        let health_file = format!("身份证号,姓名,婚姻状况,联系电话\n{b},李秀英,已婚,13900003333\n");
        run(&app, &shuju, health, "计生.csv", health_file.as_bytes(), false).await;

        let person = |key: String| {
            let db = app.db.clone();
            async move {
                db.fetch_one::<data::population::store::Person>(sql(
                    "SELECT id, id_number, name, sex, birth_year, ethnicity, area_code, household_type, marital, education, phone, address, provenance, created_at, updated_at \
                     FROM data_person WHERE id_key = $1",
                ).bind(platform::sealed::lookup_hash(&key)))
                .await
                .unwrap()
            }
        };
        let pa = person(a.clone()).await;
        assert_eq!((pa.name.as_str(), pa.address.as_str()), ("王建国", "道里区安静街 7 号"));
        let prov = pa.provenance();
        assert_eq!(prov["name"].0, police, "the higher-priority source keeps the name");
        assert_eq!(prov["address"].0, welfare, "the latest address wins");
        assert_eq!((pa.birth_year, pa.sex.as_str()), (1956, "1"));
        let pb = person(b.clone()).await;
        assert_eq!((pb.marital.as_str(), pb.phone.as_str()), ("10", "13900003333"), "marital waits; the phone is the latest");
        assert_eq!(app.db.count(sql("SELECT COUNT(*) FROM data_person")).await.unwrap(), 4);

        // Sealed at rest: no name, number, address or department column in clear.
        #[derive(sqlx::FromRow)]
        struct Raw { id_number: String, name: String, address: String }
        let raw: Raw = app.db.fetch_one(sql("SELECT id_number, name, address FROM data_person WHERE id = $1").bind(pa.id)).await.unwrap();
        assert!(platform::sealed::is_sealed(&raw.id_number) && platform::sealed::is_sealed(&raw.name) && platform::sealed::is_sealed(&raw.address));
        let attrs: platform::db::Scalar<String> =
            app.db.fetch_one(sql("SELECT attrs FROM data_person_part WHERE person_id = $1 AND source_id = $2").bind(pa.id).bind(welfare)).await.unwrap();
        assert!(platform::sealed::is_sealed(&attrs.0) && !attrs.0.contains("低保"));
        assert_eq!(data::population::unpack_columns(&attrs.0), r#"["城市低保"]"#);

        // Re-importing the police file changes nothing; one changed row is one update.
        let r = run(&app, &shuju, police, "常住人口.csv", police_file.as_bytes(), false).await;
        assert_eq!((r["inserted"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(0), Some(0), Some(3)), "{r}");
        let changed = police_file.replace("道外区靖宇街 3 号", "道外区南勋街 9 号");
        let r = run(&app, &shuju, police, "常住人口.csv", changed.as_bytes(), false).await;
        assert_eq!((r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(1), Some(2)), "{r}");
        assert_eq!(person(c.clone()).await.address.as_str(), "道外区南勋街 9 号");

        // The officer decides the conflict: the married state is taken, with 卫健 as its source.
        let mut cl = app.client();
        let list = cl.api("GET", "/api/v1/population/conflicts", &hecha, None).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let list = list.json();
        assert_eq!(list["open"], 1, "{list}");
        assert_eq!(list["items"][0]["field"], "marital");
        let cid = list["items"][0]["id"].as_i64().unwrap();
        let shuju_try = cl.api("POST", &format!("/api/v1/population/conflicts/{cid}/actions/accept"), &shuju, None).await;
        assert_eq!(shuju_try.status, StatusCode::FORBIDDEN, "a data officer imports but does not decide");
        let r = cl.api("POST", &format!("/api/v1/population/conflicts/{cid}/actions/accept"), &hecha, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let again = cl.api("POST", &format!("/api/v1/population/conflicts/{cid}/actions/keep"), &hecha, None).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "decided once");
        let pb = person(b.clone()).await;
        assert_eq!(pb.marital.as_str(), "20");
        assert_eq!(pb.provenance()["marital"].0, health);
        assert_eq!(app.db.count(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'population.resolve'")).await.unwrap(), 1);
        // The same health file again raises no new conflict (the value now agrees).
        run(&app, &shuju, health, "计生.csv", health_file.replace("13900003333", "13900004444").as_bytes(), false).await;
        assert_eq!(app.db.count(sql("SELECT COUNT(*) FROM data_person_conflict WHERE state = 'open'")).await.unwrap(), 0);
    };

    queries_are_masked_and_audited_and_statistics_hide_small_cells => |app: TestApp| async move {
        let (shuju, chaxun, hecha) = world(&app).await;
        let police = source(&app, &shuju, "公安局常住人口", "BC-GAJ", 90).await;
        // 道里区 30 people, 南岗区 12, 道外区 2 (too few to show), 平房区 1.
        let mut file = String::from("公民身份号码,姓名,性别,户籍地,户别,电话,现住址\n");
        let mut n = 0;
        for (area, count) in [("230102", 30), ("230103", 12), ("230104", 2), ("230108", 1)] {
            for _ in 0..count {
                n += 1;
                let year = if n % 3 == 0 { 1950 } else { 1990 };
                file.push_str(&format!("{},居民{n},,{area},家庭户,1380000{n:04},冰城市道里区某街 {n} 号\n", id(area, year, n)));
            }
        }
        let r = run(&app, &shuju, police, "常住人口.csv", file.as_bytes(), false).await;
        assert_eq!(r["inserted"], 45, "{r}");
        let target = id("230103", 1990, 31);
        assert!(file.contains(&target));

        let mut c = app.client();
        // No purpose, or no condition: refused, nothing shown.
        let r = c.api("POST", "/api/v1/population/query", &chaxun, Some(json!({ "area_code": "230102" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("查询目的"), "{}", r.text);
        let r = c.api("POST", "/api/v1/population/query", &chaxun, Some(purpose())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("至少填写一个查询条件"), "{}", r.text);
        // A data officer who imports the files cannot query them.
        let r = c.api("POST", "/api/v1/population/query", &shuju, Some(with_purpose(json!({ "area_code": "230102" })))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let audits_before = app.db.count(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'population.query'")).await.unwrap();
        let r = c.api("POST", "/api/v1/population/query", &chaxun, Some(with_purpose(json!({ "id_number": target })))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let found = r.json();
        assert_eq!(found["count"], 1);
        let row = &found["items"][0];
        assert_eq!(row["id_number"].as_str().unwrap(), format!("{}********{}", &target[..6], &target[14..]));
        assert_eq!(row["name"], "居***");
        assert!(!r.text.contains(&target) && !r.text.contains("1380000"), "{}", r.text);
        #[derive(sqlx::FromRow)]
        struct Entry { username: String, summary: String }
        let e: Entry = app.db.fetch_one(sql("SELECT username, summary FROM audit_log WHERE action = 'population.query' ORDER BY seq DESC LIMIT 1")).await.unwrap();
        assert_eq!(e.username, "chaxun");
        assert!(e.summary.contains("社会救助审核：低保复核 2026-0312 号") && e.summary.contains("结果 1 人"), "{}", e.summary);
        assert!(!e.summary.contains(&target) && e.summary.contains("********"), "the audit log masks the number too: {}", e.summary);
        assert_eq!(app.db.count(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'population.query'")).await.unwrap(), audits_before + 1);

        // Paging by area: 50 at a time, every page audited.
        let r = c.api("POST", "/api/v1/population/query", &chaxun, Some(with_purpose(json!({ "area_code": "230102", "sex": "1" })))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.json()["count"].as_i64().unwrap() > 0);

        // The clerk cannot unmask; the officer can, and that is audited with the fields named.
        let pid = row["id"].as_i64().unwrap();
        let view = |token: String, reveal: bool| {
            let mut c = app.client();
            async move {
                let mut body = purpose();
                body["reveal"] = json!(reveal);
                c.api("POST", &format!("/api/v1/population/{pid}/view"), &token, Some(body)).await
            }
        };
        let masked = view(chaxun.clone(), false).await;
        assert_eq!(masked.status, StatusCode::OK, "{}", masked.text);
        assert!(!masked.text.contains(&target) && !masked.text.contains("某街"), "{}", masked.text);
        assert_eq!(view(chaxun.clone(), true).await.status, StatusCode::FORBIDDEN);
        let full = view(hecha.clone(), true).await;
        assert_eq!(full.status, StatusCode::OK, "{}", full.text);
        assert!(full.text.contains(&target) && full.text.contains("某街"), "{}", full.text);
        let e: Entry = app.db.fetch_one(sql("SELECT username, summary FROM audit_log WHERE action = 'population.reveal' ORDER BY seq DESC LIMIT 1")).await.unwrap();
        assert_eq!(e.username, "hecha");
        assert!(e.summary.contains("公民身份号码") && e.summary.contains("现住址") && !e.summary.contains(&target), "{}", e.summary);

        // Statistics by area: 道外区 (2) and 平房区 (1) hidden, and no line with one hidden cell.
        let stats = c.api("GET", "/api/v1/population/statistics?rows=area&purpose=statistics&purpose_note=2026%E5%B9%B4%E7%BB%9F%E8%AE%A1", &chaxun, None).await;
        assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
        let s = stats.json();
        let labels: Vec<&str> = s["rows"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let cell = |name: &str| s["cells"][labels.iter().position(|l| *l == name).unwrap()][0].clone();
        assert_eq!(cell("道里区"), 30);
        assert_eq!(cell("南岗区"), 12);
        assert!(cell("道外区").is_null() && cell("平房区").is_null());
        assert_eq!(s["total"], 45);
        check_no_cell_derivable(&s);
        // Two dimensions: area × age band, with row and column totals.
        let s = c.api("GET", "/api/v1/population/statistics?rows=area&cols=age&purpose=statistics&purpose_note=%E8%80%81%E9%BE%84%E5%B7%A5%E4%BD%9C", &chaxun, None).await.json();
        check_no_cell_derivable(&s);
        let r = c.api("GET", "/api/v1/population/statistics?rows=area&cols=area&purpose=statistics&purpose_note=xx", &chaxun, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.db.count(sql("SELECT COUNT(*) FROM audit_log WHERE action = 'population.statistics'")).await.unwrap(), 2);

        // The back office: the query is a POST (nothing personal in an address); the CSV export is
        // of aggregates only.
        let mut web = app.signed_in("chaxun").await;
        let page = web.post_form("/admin/data/population", &[("purpose", "household"), ("purpose_note", "户籍核查 07 号"), ("id_number", &target)]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("共 1 人"), "{}", page.text);
        assert_eq!(page.text.matches(target.as_str()).count(), 1, "only in the query field as typed, masked in the result");
        let page = web.post_form("/admin/data/population", &[("purpose", ""), ("purpose_note", ""), ("name", "居民3")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text.contains("请选择查询目的") && page.text.contains("value=\"居民3\""), "what was typed stays");
        let csv = web.get("/admin/data/population/stats?rows=area&cols=sex&purpose=statistics&purpose_note=%E5%B9%B4%E6%8A%A5&format=csv").await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        assert!(csv.text.contains("合计") && csv.text.contains("道里区") && !csv.text.contains("2301"), "{}", csv.text);
        let person = web.get(&format!("/admin/data/population/{pid}")).await;
        assert!(person.text.contains("查看个人信息须先说明目的"), "no purpose, no record");
        let hidden = app.client().get("/admin/data/population").await;
        assert_ne!(hidden.status, StatusCode::OK, "signed out");
    };
}

/// No shown entry under the threshold, and no row or column (with its total) with exactly one
/// hidden entry.
fn check_no_cell_derivable(s: &Value) {
    let min = s["threshold"].as_u64().unwrap();
    let cells: Vec<Vec<Option<u64>>> = s["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(Value::as_u64).collect())
        .collect();
    let row_totals: Vec<Option<u64>> = s["row_totals"].as_array().unwrap().iter().map(Value::as_u64).collect();
    let col_totals: Vec<Option<u64>> = s["col_totals"].as_array().unwrap().iter().map(Value::as_u64).collect();
    let total = s["total"].as_u64();
    let shown = cells.iter().flatten().chain(&row_totals).chain(&col_totals).chain(std::iter::once(&total));
    for v in shown.flatten() {
        assert!(*v >= min, "{s}");
    }
    for (r, line) in cells.iter().enumerate() {
        let hidden = line.iter().filter(|v| v.is_none()).count() + usize::from(row_totals[r].is_none());
        assert_ne!(hidden, 1, "row {r}: {s}");
    }
    for c in 0..col_totals.len() {
        let hidden = cells.iter().filter(|l| l[c].is_none()).count() + usize::from(col_totals[c].is_none());
        assert_ne!(hidden, 1, "column {c}: {s}");
    }
}
