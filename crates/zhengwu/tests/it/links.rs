//! The external link checker against a local HTTP server (no outside traffic) that answers 200,
//! 404, 429 and not at all: a published article's external links are noted by the CMS, checked
//! by the supervision module, counted broken only after two failures at least an hour apart,
//! 429 reported apart as unverifiable, and a link that works again leaves the monitor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common;

use common::TestApp;
use platform::db::sql;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A tiny HTTP/1.1 server: `/ok` 200, `/gone` 404 (200 once `fixed`), `/busy` 429, `/slow` never
/// answers.
async fn server(fixed: Arc<AtomicBool>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let fixed = fixed.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&buf).lines().next().unwrap_or_default().to_owned();
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                let status = match path.as_str() {
                    "/ok" => "200 OK",
                    "/gone" if fixed.load(Ordering::SeqCst) => "200 OK",
                    "/gone" => "404 Not Found",
                    "/busy" => "429 Too Many Requests",
                    _ => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                };
                let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

fn broken(r: &supervision::monitor::GroupReport, indicator: &str) -> Vec<String> {
    let mut v: Vec<String> = r
        .sites
        .iter()
        .flat_map(|s| s.findings.iter())
        .filter(|f| f.indicator == indicator)
        .map(|f| f.subject.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

backend_tests! {
    external_links_are_broken_only_after_two_failures_an_hour_apart => |app: TestApp| async move {
        app.load_demo(3, 0).await;
        let fixed = Arc::new(AtomicBool::new(false));
        let addr = server(fixed.clone()).await;
        let (id, body): (i64, String) = app
            .db
            .fetch_one(sql("SELECT id, body FROM article WHERE state = 'published' ORDER BY id LIMIT 1"))
            .await
            .unwrap();
        let links: String = ["ok", "gone", "busy", "slow"]
            .iter()
            .map(|p| format!("<p><a href=\"http://{addr}/{p}#top\">参考资料 {p}</a></p>"))
            .collect();
        app.db.execute(sql("UPDATE article SET body = $1 WHERE id = $2").bind(format!("{body}{links}")).bind(id)).await.unwrap();

        let t0 = platform::db::now();
        let check = |now: i64| supervision::linkcheck::run(&app.state, now, Duration::from_secs(1), Duration::ZERO);
        // The monitor's run notes the links; nothing has been checked yet.
        let r = supervision::monitor::run(&app.state, None, t0).await.unwrap();
        assert!(broken(&r, "link_broken_external").is_empty());
        let noted: i64 = app.db.count(sql("SELECT COUNT(*) FROM external_link WHERE host = '127.0.0.1'")).await.unwrap();
        assert_eq!(noted, 4, "each link once, without its #fragment");

        // First check: 404 and no answer are suspect, not broken; 429 is unverifiable.
        let s = check(t0).await.unwrap();
        assert_eq!((s.checked, s.broken, s.unverifiable), (4, 0, 1));
        let r = supervision::monitor::run(&app.state, None, t0).await.unwrap();
        assert!(broken(&r, "link_broken_external").is_empty());
        assert_eq!(broken(&r, "link_unverifiable"), ["busy"]);
        // Half an hour later nothing is due; an hour later the two failures make them broken.
        assert_eq!(check(t0 + 1800).await.unwrap().checked, 0);
        let s = check(t0 + 3600).await.unwrap();
        assert_eq!((s.checked, s.broken), (2, 2));
        let r = supervision::monitor::run(&app.state, None, t0 + 3600).await.unwrap();
        assert_eq!(broken(&r, "link_broken_external"), ["gone", "slow"]);
        let site = r.sites.iter().find(|s| s.findings.iter().any(|f| f.indicator == "link_broken_external")).unwrap();
        let d = site.assessment.deductions.iter().find(|d| d.indicator.key == "link_broken_external").unwrap();
        assert_eq!((d.count, d.points), (2, 2.0));
        assert!(site.findings.iter().any(|f| f.fix_url == format!("/admin/cms/articles/{id}/edit")));

        // The page is back the next day: one good answer clears it.
        fixed.store(true, Ordering::SeqCst);
        let next_day = t0 + 3600 + 86_400;
        check(next_day).await.unwrap();
        let r = supervision::monitor::run(&app.state, None, next_day).await.unwrap();
        assert_eq!(broken(&r, "link_broken_external"), ["slow"]);
    };
}
