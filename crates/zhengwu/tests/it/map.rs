//! 地图服务 end to end on the real router and both databases: a unit's data officer imports the
//! register of points through the import framework (bad coordinates and unsafe links reported
//! row by row); the public map clusters every point exactly once at every zoom, its clusters and
//! controls are links that work without JavaScript, the filter and list agree with the map, a
//! point's page links to what is there, and a re-import moves a point on the map at once.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::{Value, json};

/// The sum of the clusters' counts in a `clusters.json` answer.
fn total(v: &Value) -> u64 {
    v["features"].as_array().unwrap().iter().map(|f| f["properties"]["count"].as_u64().unwrap()).sum()
}

/// The clusters' counts written in a map page's drawing, and its single dots.
fn drawn(page: &str) -> u64 {
    let svg = page.split("<svg class=\"chart map\"").nth(1).unwrap().split("</svg>").next().unwrap();
    let counts: u64 = svg
        .split("font-weight=\"700\" fill=\"#ffffff\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().parse::<u64>().unwrap())
        .sum();
    counts + svg.matches(" r=\"7\" ").count() as u64
}

backend_tests! {
    points_import_and_the_public_map_clusters_filters_and_lists_them => |app: TestApp| async move {
        let org = platform::accounts::create_org(&app.db, None, "冰城市自然资源和规划局", "BC-ZRJ", "bureau").await.unwrap();
        app.user_with_grants("data_zrj", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: org }]).await;
        let token = app.token("data_zrj").await;
        let mut c = app.client();
        let r = c.api("POST", "/api/v1/data-sources", &token, Some(json!({ "name": "公共服务设施点位", "target": "poi", "org": "BC-ZRJ" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let source = r.json()["id"].as_i64().unwrap();

        // 300 points, every 100th with a longitude that lost its first digit, and one unsafe link.
        let mut file = data::demo::poi_csv(300, 100);
        file.push_str("POI900001,测试便民点,便民服务,道里区,安静街 1 号,126.6,45.77,,,javascript:alert(1),\n");
        let report = crate::data::run(&app, &token, source, "点位.csv", file.as_bytes(), false).await;
        assert_eq!(report["state"], "done", "{report}");
        assert_eq!((report["inserted"].as_i64(), report["rejected"].as_i64()), (Some(297), Some(4)), "{report}");
        let rejects = report["rejects"].as_array().unwrap();
        assert_eq!(rejects[0]["row"], 101);
        assert_eq!(rejects[0]["column"], "经度");
        assert!(rejects[0]["reason"].as_str().unwrap().contains("73"), "{}", rejects[0]);
        assert_eq!(rejects[3]["column"], "网址");

        let mut public = app.client();
        // Every point is in exactly one cluster, at every zoom over the whole city.
        for z in [3, 8, 11, 14, 18] {
            let v = public.get(&format!("/shuju/ditu/clusters.json?z={z}&bbox=125,44,131,47")).await;
            assert_eq!(v.status, StatusCode::OK, "{}", v.text);
            let v = v.json();
            assert_eq!(total(&v), 297, "zoom {z}");
            let features = v["features"].as_array().unwrap();
            if z == 3 {
                assert!(features.len() < 5, "{}", features.len());
            }
            if z == 18 {
                assert!(features.len() > 250, "{}", features.len());
                let one = features.iter().find(|f| f["properties"]["count"] == 1).unwrap();
                assert!(one["properties"]["url"].as_str().unwrap().starts_with("/shuju/ditu/"));
            }
        }
        let halls = app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_poi WHERE category = 'banshi'")).await.unwrap();
        assert!(halls > 0);
        let v = public.get("/shuju/ditu/clusters.json?z=10&bbox=125,44,131,47&category=banshi").await.json();
        assert_eq!(total(&v) as i64, halls);
        // Zoomed far out a client asks past the antimeridian and the poles: answered for the world.
        let world = public.get("/shuju/ditu/clusters.json?z=3&bbox=63.3,9.4,189.9,88").await;
        assert_eq!(world.status, StatusCode::OK, "{}", world.text);
        assert_eq!(total(&world.json()), 297);
        for bad in ["z=2&bbox=125,44,131,47", "z=10&bbox=131,44,125,47", "z=10&bbox=1,2,3", "z=x&bbox=125,44,131,47", "z=10&bbox=a,b,c,d"] {
            let r = public.get(&format!("/shuju/ditu/clusters.json?{bad}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(r.json()["error"].as_str().unwrap().chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)), "{bad}");
        }

        // The page: the whole city fits, every point drawn once; the list and the map agree.
        let page = public.get("/shuju/ditu/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(drawn(&page.text), 297);
        assert!(page.text.contains("全市共 297 个") && page.text.contains("共 297 个点位符合条件"), "{}", page.text);
        assert!(page.text.contains("href=\"/shuju/ditu/\""), "the section's navigation names the map");
        // A cluster is a link that zooms in on it; following it shows that part of the city.
        let svg = page.text.split("<svg class=\"chart map\"").nth(1).unwrap();
        let zoom_in = svg.split("<a href=\"").skip(1).map(|s| s.split('"').next().unwrap()).find(|h| h.contains("z=")).unwrap().replace("&amp;", "&");
        let closer = public.get(&zoom_in).await;
        assert_eq!(closer.status, StatusCode::OK, "{zoom_in}");
        assert!(drawn(&closer.text) <= 297);
        for control in ["放大", "缩小", "向北", "向南", "向西", "向东", "显示全部"] {
            assert!(page.text.contains(&format!(">{control}</a>")), "{control}");
        }
        // The filter: by category, by area, by words of the name.
        let schools = app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_poi WHERE category = 'xuexiao'")).await.unwrap();
        let f = public.get("/shuju/ditu/?category=xuexiao").await;
        assert_eq!(drawn(&f.text) as i64, schools);
        assert!(f.text.contains(&format!("共 {schools} 个点位符合条件")));
        let named: data::map::Poi = app.db.fetch_one(platform::db::sql("SELECT * FROM data_poi WHERE category = 'banshi' ORDER BY id LIMIT 1")).await.unwrap();
        let f = public.get(&format!("/shuju/ditu/?q={}", urlencoding(&named.name))).await;
        assert!(f.text.contains("共 1 个点位符合条件"), "{}", named.name);
        assert!(f.text.contains(&format!("href=\"/shuju/ditu/{}\"", named.id)));
        let in_area = app.db.count(platform::db::sql("SELECT COUNT(*) FROM data_poi WHERE area_code = '230103'")).await.unwrap();
        assert!(public.get("/shuju/ditu/?area=230103").await.text.contains(&format!("共 {in_area} 个点位符合条件")));
        // Unknown filter values and a nonsense view fall back to the whole map, never an error.
        let odd = public.get("/shuju/ditu/?category=火星&area=x&z=99&lng=abc&lat=1000&page=-4").await;
        assert_eq!(odd.status, StatusCode::OK);
        assert_eq!(drawn(&odd.text), 297);

        // A point's page: its facts, the link to what is there, its place on a small map.
        let p = public.get(&format!("/shuju/ditu/{}", named.id)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.text.contains(&named.name) && p.text.contains("办事大厅"));
        assert!(p.text.contains("<a href=\"/banshi/\">在本大厅可办理的事项</a>"), "a hall links to its items");
        assert!(p.text.contains("stroke=\"#1f2328\" stroke-width=\"3\"/>"), "the point is ringed");
        assert_eq!(public.get("/shuju/ditu/999999").await.status, StatusCode::NOT_FOUND);

        // A re-import that moves one point: the map shows it at its new place at once.
        let moved = file.replacen(&format!("{},{}", named.lng, named.lat), "129.000000,46.800000", 1);
        assert_ne!(moved, file);
        let again = crate::data::run(&app, &token, source, "点位.csv", moved.as_bytes(), false).await;
        assert_eq!((again["updated"].as_i64(), again["unchanged"].as_i64()), (Some(1), Some(296)), "{again}");
        let there = public.get("/shuju/ditu/clusters.json?z=14&bbox=128.99,46.79,129.01,46.81").await.json();
        assert_eq!(total(&there), 1, "{there}");
        assert_eq!(there["features"][0]["properties"]["id"], named.id);

        // A large run refreshes SQLite's planner statistics of the table it fills as it grows, so
        // statistics taken when the table was small never turn its key lookups into table scans.
        if app.db.kind() == platform::db::Backend::Sqlite {
            app.db.analyze().await.unwrap();
            let big = run_file(&app, &token, source, data::demo::poi_csv(2500, 0)).await;
            assert_eq!(big["inserted"].as_i64(), Some(2203), "{big}");
            let stat: (String,) = app.db.fetch_one(platform::db::sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'data_poi' AND idx LIKE 'sqlite_autoindex_data_poi%'")).await.unwrap();
            let rows: i64 = stat.0.split(' ').next().unwrap().parse().unwrap();
            assert!(rows >= 2000, "{stat:?}");
        }
    };
}

async fn run_file(app: &TestApp, token: &str, source: i64, file: String) -> Value {
    crate::data::run(app, token, source, "点位.csv", file.as_bytes(), false).await
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_owned()
}
