//! 课件库 end to end on both databases: an editor uploads a lesson (a file that is not an MP4 is
//! refused with the reason and the typed title kept), its running time read from the container;
//! the public page plays it with the browser's own `<video>` and captions; the video answers range
//! requests as players make them; the captions' words find it in the portal search; a browser
//! rates it once; an unpublished lesson is nowhere to be seen.

use crate::common;

use axum::http::{Request, StatusCode};
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

async fn world(app: &TestApp) {
    let portal = cms::store::insert_site(
        &app.db,
        &cms::store::Site {
            code: "hrb".into(),
            name: "冰城市人民政府".into(),
            kind: "portal".into(),
            site_id_code: "2301000001".into(),
            template_set: "default".into(),
            locale: "zh-CN".into(),
            sponsor: "冰城市人民政府办公厅".into(),
            contact: "0451-86000000".into(),
            icp: "黑ICP备05001234号".into(),
            psb: "黑公网安备23010002000001号".into(),
            error_link: "/".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.user_with_grants("editor", &[Grant { role: Role::Editor, scope: ScopeKind::Site, scope_id: portal }]).await;
    app.user_with_grants("reviewer", &[Grant { role: Role::Reviewer, scope: ScopeKind::Site, scope_id: portal }]).await;
}

const VTT: &str = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n大棚番茄定植前要施足底肥\n\n2\n00:00:05.500 --> 00:00:09.000\n每亩施腐熟农家肥五千斤\n";

backend_tests! {
    a_lesson_is_uploaded_played_by_ranges_found_by_its_captions_and_rated => |app: TestApp| async move {
        world(&app).await;
        let ed = app.token("editor").await;
        let mut c = app.client();
        let r = c.api("POST", "/api/v1/courseware/categories", &ed, Some(json!({ "name": "蔬菜种植" }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let cat = r.json()["id"].as_i64().unwrap().to_string();
        let r = c.api("POST", "/api/v1/courseware/categories", &ed, Some(json!({ "name": "蔬菜种植" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a name used once");
        // A reviewer does not manage courseware.
        let mut rv = app.signed_in("reviewer").await;
        assert_eq!(rv.get("/admin/courseware").await.status, StatusCode::FORBIDDEN);

        let mut web = app.signed_in("editor").await;
        let csrf = web.csrf().await;
        let fields = [("_csrf", csrf.as_str()), ("category", cat.as_str()), ("title", "大棚番茄栽培技术"), ("teacher", "王树林"), ("summary", "讲解定植、整枝和病害防治"), ("published", "on")];
        // A PDF named .mp4 is refused, and what was typed stays.
        let r = web.post_multipart("/admin/courseware/new", &fields, &[("video", "番茄.mp4", b"%PDF-1.4 not a video")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("不是 MP4 视频文件") && r.text.contains("value=\"大棚番茄栽培技术\""), "{}", r.text);
        // Over the 2 MB an extractor takes by default: the back office reads larger forms whole.
        let clip = courseware::domain::placeholder_mp4(1534, 3 << 20);
        let r = web
            .post_multipart("/admin/courseware/new", &fields, &[("video", "番茄.mp4", &clip), ("captions", "番茄.vtt", VTT.as_bytes())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let id: i64 = r.location_path().trim_start_matches("/admin/courseware/").parse().unwrap();
        let lesson = courseware::store::get(&app.db, id).await.unwrap();
        assert_eq!((lesson.duration, lesson.video_size), (1534, clip.len() as i64), "running time read from the container");
        // The video was written to disk as it arrived and kept under its hash; the refused one
        // left no temporary file.
        let dir = courseware::store::spool_dir(&app.state.config.data_dir);
        let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!names.iter().any(|n| n.ends_with(".part")), "{names:?}");
        assert_eq!(std::fs::read(dir.join(format!("{}.mp4", lesson.video_sha))).unwrap(), clip);

        // The public page: the browser's own player with captions, the running time as people read it.
        let page = c.get(&format!("/kejian/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(&format!("<source src=\"/kejian/{id}/video.mp4\" type=\"video/mp4\">")), "{}", page.text);
        assert!(page.text.contains("kind=\"captions\"") && page.text.contains("25:34"), "{}", page.text);
        assert!(!page.text.contains("<script"), "no player script");
        let vtt = c.get(&format!("/kejian/{id}/captions.vtt")).await;
        assert_eq!(vtt.headers["content-type"], "text/vtt; charset=utf-8");

        // Range requests as a player seeks.
        let ranged = |range: &'static str| Request::get(format!("/kejian/{id}/video.mp4")).header("range", range).body(axum::body::Body::empty()).unwrap();
        let r = c.send(ranged("bytes=0-99")).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers["content-range"], format!("bytes 0-99/{}", clip.len()).as_str());
        assert_eq!(r.bytes, clip[..100]);
        let r = c.send(ranged("bytes=-16")).await;
        assert_eq!((r.status, r.bytes.as_slice()), (StatusCode::PARTIAL_CONTENT, &clip[clip.len() - 16..]));
        let r = c.send(ranged("bytes=999999999-")).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
        let whole = c.get(&format!("/kejian/{id}/video.mp4")).await;
        assert_eq!((whole.status, whole.bytes.len()), (StatusCode::OK, clip.len()));
        assert_eq!(whole.headers["accept-ranges"], "bytes");
        assert_eq!(whole.headers["content-type"], "video/mp4");

        // The captions' words find it.
        let idx = app.cms.search.clone().expect("search index");
        let site = platform::web::portal::portal_site_id(&app.db).await;
        courseware::indexing::step(&app.db, &idx, (i64::MIN, 0), site).await.unwrap();
        let hits = c.get(&format!("/search?q={}", common::urlenc("腐熟农家肥"))).await;
        assert!(hits.text.contains(&format!("\"/kejian/{id}\"")), "{}", hits.text);

        // Rated once per browser.
        let page = c.get(&format!("/kejian/{id}")).await;
        let token = page.csrf().unwrap();
        let r = c.post_form_raw(&format!("/kejian/{id}/rate"), &format!("_csrf={token}&stars=5")).await;
        assert_eq!(r.location(), format!("/kejian/{id}?rated=1#rate"));
        let r = c.post_form_raw(&format!("/kejian/{id}/rate"), &format!("_csrf={token}&stars=1")).await;
        assert_eq!(r.location(), format!("/kejian/{id}?rated=0#rate"));
        let lesson = courseware::store::get(&app.db, id).await.unwrap();
        assert_eq!((lesson.rating_sum, lesson.rating_count), (5, 1));

        // Unpublished: the page, the video and the search hit are gone.
        let r = c.api("PUT", &format!("/api/v1/courseware/{id}"), &ed, Some(json!({ "category": cat, "title": "大棚番茄栽培技术", "published": false }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["course"]["video_size"], clip.len(), "the uploaded video stays");
        assert_eq!(c.get(&format!("/kejian/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get(&format!("/kejian/{id}/video.mp4")).await.status, StatusCode::NOT_FOUND);
        courseware::indexing::step(&app.db, &idx, (i64::MIN, 0), site).await.unwrap();
        assert_eq!(idx.count_kind("course").unwrap(), 0);
        // An external stream needs its running time.
        let r = c.api("POST", "/api/v1/courseware", &ed, Some(json!({ "category": cat, "title": "冬季大棚保温直播课", "stream_url": "https://live.example.cn/nongke/1.m3u8" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("minutes"), "{}", r.text);
        let audited = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'course%'")).await.unwrap();
        assert!(audited >= 3, "{audited}");
    };
}

/// Ranges answered from cached blocks are the file's very bytes, across block edges, at the ends
/// and over several blocks; the cache keeps what it was given room for.
#[tokio::test]
async fn cached_video_blocks_answer_ranges_byte_for_byte() {
    use axum::http::{HeaderMap, HeaderValue, Method};
    use courseware::serve::{BLOCK, BlockCache};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.mp4");
    let len = (2 * BLOCK + BLOCK / 2) as usize;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let cache = BlockCache::new((2 * BLOCK) as usize);
    let b = BLOCK as usize;
    for (range, lo, hi) in [
        (format!("bytes={}-{}", b - 10, b + 9), b - 10, b + 9),
        ("bytes=0-0".to_owned(), 0, 0),
        ("bytes=-7".to_owned(), len - 7, len - 1),
        (format!("bytes={}-", b / 2), b / 2, len - 1),
        (format!("bytes={}-{}", 2 * b - 1, 2 * b), 2 * b - 1, 2 * b),
    ] {
        let mut h = HeaderMap::new();
        h.insert("range", HeaderValue::from_str(&range).unwrap());
        let res = cache.range(&Method::GET, &h, &path, "s", "video/mp4").await.expect(&range);
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.headers()["content-range"], format!("bytes {lo}-{hi}/{len}").as_str(), "{range}");
        let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
        assert!(body[..] == data[lo..=hi], "{range}: the file's own bytes");
    }
    assert!(cache.used() <= (2 * BLOCK) as usize, "within its budget");
    // Conditions and several ranges are left to the file service.
    let mut h = HeaderMap::new();
    h.insert("range", HeaderValue::from_static("bytes=0-1,5-9"));
    assert!(cache.range(&Method::GET, &h, &path, "s", "video/mp4").await.is_none());
    h.insert("range", HeaderValue::from_static("bytes=0-1"));
    h.insert("if-range", HeaderValue::from_static("\"x\""));
    assert!(cache.range(&Method::GET, &h, &path, "s", "video/mp4").await.is_none());
}
