//! 直播 end to end on both databases, against a real streaming server on a local port: staff add
//! camera points (a wrong address refused with the reason and what was typed kept); the check
//! reads an HLS playlist, an endless HTTP-FLV stream (cut after its first bytes) and a snapshot,
//! and finds a page that is not a stream and a server that went down; the public pages show each
//! point's state, availability, snapshot and a map, and play the stream with the browser's own
//! player under a policy that allows exactly that server; an event's coverage is an interview of
//! the kind 活动直播 whose page carries the image-text stream and the video.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::TestApp;
use platform::roles::{Grant, Role, ScopeKind};
use serde_json::json;

const PLAYLIST: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:1024\n#EXTINF:4.000,\nseg1024.ts\n#EXTINF:4.000,\nseg1025.ts\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9];

/// A streaming server: a live HLS playlist (until `down`), an endless FLV stream, a snapshot and
/// a page that is not a stream.
async fn streaming_server(down: Arc<AtomicBool>) -> String {
    use axum::routing::get;
    let flv = || async {
        let head = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"FLV\x01\x05\0\0\0\x09\0\0\0\0"))
        });
        let tags = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![0x09u8; 4096])), ()))
        });
        ([("content-type", "video/x-flv")], axum::body::Body::from_stream(futures_util::StreamExt::chain(head, tags)))
    };
    let router = axum::Router::new()
        .route(
            "/live/gangqu.m3u8",
            get(move || {
                let down = down.clone();
                async move {
                    if down.load(Ordering::SeqCst) {
                        (StatusCode::SERVICE_UNAVAILABLE, "").into_response()
                    } else {
                        (StatusCode::OK, PLAYLIST).into_response()
                    }
                }
            }),
        )
        .route("/live/jiufeng.flv", get(flv))
        .route("/snap/gangqu.jpg", get(|| async { ([("content-type", "image/jpeg")], JPEG) }))
        .route("/live/notastream.m3u8", get(|| async { "<html>页面不存在</html>" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

async fn world(app: &TestApp) {
    let gov = platform::accounts::create_org(&app.db, None, "冰城市人民政府", "BC-GOV", "government").await.unwrap();
    let bgt =
        platform::accounts::create_org(&app.db, Some(gov), "冰城市人民政府办公厅", "BC-BGT", "bureau").await.unwrap();
    app.user_with_grants("editor", &[Grant { role: Role::Editor, scope: ScopeKind::Org, scope_id: bgt }]).await;
    app.user_with_grants("reviewer", &[Grant { role: Role::Reviewer, scope: ScopeKind::Org, scope_id: gov }]).await;
}

backend_tests! {
    camera_points_are_checked_shown_on_a_map_and_played_and_an_event_is_covered => |app: TestApp| async move {
        world(&app).await;
        let down = Arc::new(AtomicBool::new(false));
        let server = streaming_server(down.clone()).await;
        let ed = app.token("editor").await;
        let mut c = app.client();

        // A reviewer does not keep camera points.
        let mut rv = app.signed_in("reviewer").await;
        assert_eq!(rv.get("/admin/live/points").await.status, StatusCode::FORBIDDEN);

        // The form names each wrong field and keeps what was typed.
        let mut web = app.signed_in("editor").await;
        let csrf = web.csrf().await;
        let hls = format!("{server}/live/gangqu.m3u8");
        let snap = format!("{server}/snap/gangqu.jpg");
        let r = web.post_form("/admin/live/points/new", &[("_csrf", &csrf), ("name", "北仑港区码头"), ("lon", "东经121"), ("lat", "29.9"), ("stream_url", "rtsp://10.0.0.5/live")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("经度应为") && r.text.contains("直播流地址") && r.text.contains("value=\"北仑港区码头\""), "{}", r.text);
        let r = web
            .post_form("/admin/live/points/new", &[("_csrf", &csrf), ("name", "北仑港区码头"), ("area", "新碶街道"), ("lon", "121.8447"), ("lat", "29.9003"), ("stream_url", &hls), ("snapshot_url", &snap), ("published", "on")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let harbour: i64 = r.location_path().trim_start_matches("/admin/live/points/").parse().unwrap();
        // The same through the API: an endless FLV stream, a page that is not a stream, a hidden point.
        let r = c.api("POST", "/api/v1/camera-points", &ed, Some(json!({ "name": "九峰山景区", "lon": "121.95", "lat": "29.86", "stream_url": format!("{server}/live/jiufeng.flv"), "published": true }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let peak = r.json()["point"]["id"].as_i64().unwrap();
        let r = c.api("POST", "/api/v1/camera-points", &ed, Some(json!({ "name": "梅山湾", "stream_url": format!("{server}/live/notastream.m3u8"), "published": true }))).await;
        let bay = r.json()["point"]["id"].as_i64().unwrap();
        let r = c.api("POST", "/api/v1/camera-points", &ed, Some(json!({ "name": "内部监控", "stream_url": hls, "published": false }))).await;
        let hidden = r.json()["point"]["id"].as_i64().unwrap();
        assert_eq!(c.api("POST", "/api/v1/camera-points", &ed, Some(json!({ "name": "梅山湾", "stream_url": hls }))).await.status, StatusCode::UNPROCESSABLE_ENTITY, "one name once");

        // One round checks every point once; a second round right after has nothing due.
        let started = std::time::Instant::now();
        assert_eq!(live::check::run_round(&app.state).await.unwrap(), 4);
        assert!(started.elapsed() < std::time::Duration::from_secs(8), "the endless stream is cut after its first bytes");
        assert_eq!(live::check::run_round(&app.state).await.unwrap(), 0);
        let p = live::store::get(&app.db, harbour).await.unwrap();
        assert_eq!(p.status, "online", "{p:?}");
        assert!(p.snapshot_sha.ends_with(".jpg"), "the snapshot is kept");
        assert_eq!(live::store::get(&app.db, peak).await.unwrap().status, "online");
        let b = live::store::get(&app.db, bay).await.unwrap();
        assert_eq!(b.status, "offline");
        assert!(b.status_detail.contains("不是 HLS 播放列表"), "{}", b.status_detail);

        // The public page: states in words, the snapshot, the map; the hidden point nowhere.
        let page = c.get("/zhibo/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("北仑港区码头") && page.text.contains("在线") && page.text.contains("离线"), "{}", page.text);
        assert!(page.text.contains("（2/3 个在线）") && page.text.contains("近 24 小时可用率 100%"), "{}", page.text);
        assert!(page.text.contains("<svg class=\"chart map\"") && page.text.contains(&format!("href=\"/zhibo/points/{harbour}\"")), "{}", page.text);
        assert!(!page.text.contains("内部监控") && !page.text.contains("<script"));
        assert_eq!(c.get(&format!("/zhibo/points/{hidden}")).await.status, StatusCode::NOT_FOUND);
        let one = c.get(&format!("/zhibo/points/{harbour}")).await;
        assert!(one.text.contains(&format!("<source src=\"{hls}\" type=\"application/vnd.apple.mpegurl\">")), "{}", one.text);
        let csp = one.headers["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains(&format!("media-src 'self' {server};")) && csp.contains("script-src 'none'"), "{csp}");
        let img = c.get(&format!("/zhibo/points/{harbour}/snapshot")).await;
        assert_eq!((img.status, img.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
        assert_eq!(img.bytes.as_slice(), JPEG);

        // The server goes down: the next check says so, and the day's availability halves.
        down.store(true, Ordering::SeqCst);
        let r = c.api("POST", &format!("/api/v1/camera-points/{harbour}/check"), &ed, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["online"], false);
        assert!(r.json()["error"].as_str().unwrap().contains("HTTP 503"), "{}", r.text);
        let list = c.api("GET", "/api/v1/camera-points", &ed, None).await.json();
        let row = list["items"].as_array().unwrap().iter().find(|x| x["point"]["id"] == harbour).unwrap().clone();
        assert_eq!(row["availability_24h"], 50);
        assert!(row["point"]["online_at"].as_i64().is_some(), "the last time it was seen stays");
        let admin = web.get("/admin/live/points").await;
        assert!(admin.text.contains("HTTP 503") && admin.text.contains("2 个点位离线"), "{}", admin.text);

        // Event coverage: an interview of the kind 活动直播 with a video and no guests.
        let at = platform::format_datetime(Some(platform::db::now()));
        let r = c.api("POST", "/api/v1/interviews", &ed, Some(json!({ "org": "BC-BGT", "kind": "coverage", "title": "全民健身运动会气排球决赛", "starts_at": at, "video_url": "rtmp://10.0.0.5/live/paiqiu" }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("video_url"), "{}", r.text);
        let video = format!("{server}/live/gangqu.m3u8");
        let r = c.api("POST", "/api/v1/interviews", &ed, Some(json!({ "org": "BC-BGT", "kind": "coverage", "title": "全民健身运动会气排球决赛", "starts_at": at, "video_url": video }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let ev = r.json()["id"].as_i64().unwrap();
        for a in ["announce", "start"] {
            let r = c.api("POST", &format!("/api/v1/interviews/{ev}/actions/{a}"), &ed, None).await;
            assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.text);
        }
        let r = c.api("POST", &format!("/api/v1/interviews/{ev}/messages"), &ed, Some(json!({ "speaker": "host", "name": "现场记者 李晓东", "body": "第一局道里区队以 21:17 先下一城。" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let page = c.get(&format!("/canyu/interviews/{ev}")).await;
        assert!(page.text.contains("活动直播") && page.text.contains("21:17 先下一城"), "{}", page.text);
        assert!(page.text.contains(&format!("<source src=\"{video}\" type=\"application/vnd.apple.mpegurl\">")), "{}", page.text);
        let csp = page.headers["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains(&format!("media-src 'self' {server};")) && csp.contains("script-src 'sha256-"), "the live stream's script and the video: {csp}");

        // 图文直播: a reporter posts a photo from the console. Without a description, or with a
        // file that is not a picture, it is refused and what was typed stays.
        let png = platform::media::placeholder_picture(64, 36, 5);
        let console = format!("/admin/participation/interviews/{ev}/messages");
        let csrf = web.csrf().await;
        let typed = [("_csrf", csrf.as_str()), ("speaker", "host"), ("name", "现场记者 周雪"), ("body", "场馆外观众排队入场。")];
        let r = web.post_multipart(&console, &typed, &[("photo", "体育馆.png", &png)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("请用一句话说明图片内容") && r.text.contains("场馆外观众排队入场。</textarea>"), "{}", r.text);
        let with_alt = [typed.as_slice(), &[("photo_alt", "市体育馆外排队入场的观众")]].concat();
        let r = web.post_multipart(&console, &with_alt, &[("photo", "体育馆.png", b"GIF89a not a png")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("图片「体育馆.png」的内容与扩展名不符") && r.text.contains("value=\"市体育馆外排队入场的观众\""), "{}", r.text);
        let r = web.post_multipart(&console, &with_alt, &[("photo", "体育馆.png", &png)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // Viewers see it with its description, in the page and in the stream's data.
        let page = c.get(&format!("/canyu/interviews/{ev}")).await;
        let at = page.text.find("src=\"/canyu/interviews/photos/").expect("photo in the stream") + 5;
        let url = page.text[at..].split('"').next().unwrap().to_owned();
        assert!(page.text.contains(&format!("<img class=\"msg-photo\" src=\"{url}\" alt=\"市体育馆外排队入场的观众\" loading=\"lazy\">")), "{}", page.text);
        let wire = c.get(&format!("/api/v1/public/interviews/{ev}/transcript")).await.json();
        let posted = wire["messages"].as_array().unwrap().iter().find(|m| m["photo"] == url.as_str()).expect("the photo travels with the message").clone();
        assert_eq!((posted["photo_alt"].as_str(), posted["body"].as_str()), (Some("市体育馆外排队入场的观众"), Some("场馆外观众排队入场。")));
        let img = c.get(&url).await;
        assert_eq!((img.status, img.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "image/png"));
        assert_eq!(img.bytes, png, "the photo as uploaded");
        // Withdrawn, the photo is no longer served.
        let mid = posted["id"].as_i64().unwrap();
        let r = c.api("PUT", &format!("/api/v1/interview-messages/{mid}"), &ed, Some(json!({ "decision": "delete" }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(c.get(&url).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get("/canyu/interviews/photos/..%2F..%2Fzhengwu.db").await.status, StatusCode::NOT_FOUND);
        let index = c.get("/zhibo/").await;
        assert!(index.text.contains("【直播中】") && index.text.contains(&format!("/canyu/interviews/{ev}")), "{}", index.text);

        // Removing a point takes its history with it.
        assert_eq!(c.api("DELETE", &format!("/api/v1/camera-points/{bay}"), &ed, None).await.status, StatusCode::OK);
        assert_eq!(c.get(&format!("/zhibo/points/{bay}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.db.count(platform::db::sql("SELECT COUNT(*) FROM camera_check WHERE point_id = $1").bind(bay)).await.unwrap(), 0);
        let audit = app.db.count(platform::db::sql("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'camera_point.%'")).await.unwrap();
        assert!(audit >= 6, "every write audited ({audit})");
    };
}
