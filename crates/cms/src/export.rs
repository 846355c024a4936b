//! `zhengwu export --site CODE --out DIR`: writes a whole public site as static files with links
//! relative to each file, for serving by nginx or a CDN outside the intranet (内外网分离). Uses
//! the same renderer and templates as the live site, so the two never diverge.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use platform::db::Db;

use crate::render::{Links, PageReq, Renderer, Variant};
use crate::store;

#[derive(Debug, Default)]
pub struct ExportReport {
    pub pages: u64,
    pub articles: u64,
    pub files: u64,
}

fn write(out: &Path, rel: &str, body: &[u8]) -> anyhow::Result<()> {
    let path = out.join(rel);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, body)?;
    Ok(())
}

/// Exports site `code` into `out`. `search_url` is where the search box points (the live portal's
/// search, since a static site cannot search); `progress(done, total)` reports articles.
pub async fn export_site(
    db: &Db,
    files_dir: &Path,
    code: &str,
    out: &Path,
    search_url: &str,
    base: &str,
    progress: impl Fn(u64, u64),
) -> anyhow::Result<ExportReport> {
    let site = store::site_by_code(db, code).await?.ok_or_else(|| anyhow::anyhow!("没有代码为 {code} 的站点"))?;
    let renderer = Renderer::new(files_dir);
    let mut report = ExportReport::default();
    std::fs::create_dir_all(out)?;
    let render = |depth: usize, req: PageReq| {
        let links = Links::export(depth, search_url, base);
        let renderer = &renderer;
        let site = &site;
        async move { renderer.render(db, site, "", &links, &req, Variant::default()).await }
    };
    write(out, "index.html", render(0, PageReq::Home(Vec::new())).await?.body.as_bytes())?;
    write(out, "sitemap.html", render(0, PageReq::Sitemap).await?.body.as_bytes())?;
    write(out, "404.html", render(0, PageReq::NotFound).await?.body.as_bytes())?;
    write(out, "static/site.css", include_str!("../static/site.css").as_bytes())?;
    report.pages += 3;
    let absolute = Links::serving("");
    write(out, "sitemap.xml", crate::render::sitemap_xml(db, &site, &absolute, base).await?.as_bytes())?;
    write(out, "robots.txt", format!("User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n").as_bytes())?;
    for c in store::channels_of(db, site.id).await? {
        if c.kind == "link" {
            continue;
        }
        let total = store::channel_count(db, c.id).await?;
        let pages = ((total + crate::render::PAGE_SIZE - 1) / crate::render::PAGE_SIZE).max(1);
        for p in 1..=pages {
            let rel = if p == 1 { format!("c/{}/index.html", c.id) } else { format!("c/{}/{p}.html", c.id) };
            write(out, &rel, render(2, PageReq::Channel { id: c.id, page: p }).await?.body.as_bytes())?;
            report.pages += 1;
        }
        write(
            out,
            &format!("c/{}/rss.xml", c.id),
            crate::render::channel_feed(db, &site, &c, &absolute, base).await?.as_bytes(),
        )?;
    }
    // Every live article placed in this site, rendered by a few workers at once: rendering is
    // CPU work on the runtime's threads while each worker's database reads overlap the others'.
    let ids: Vec<i64> = db
        .fetch_all::<(i64,)>(
            platform::db::sql(
                "SELECT DISTINCT p.article_id FROM placement p JOIN article a ON a.id = p.article_id \
                 WHERE p.site_id = $1 AND p.live = TRUE AND a.link_url = '' ORDER BY p.article_id",
            )
            .bind(site.id),
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let total = ids.len() as u64;
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let files_written = Arc::new(AtomicU64::new(0));
    let renderer = Arc::new(renderer);
    let site = Arc::new(site);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (db, ids, next, done, files_written) =
            (db.clone(), ids.clone(), next.clone(), done.clone(), files_written.clone());
        let (renderer, site, out, files_dir, links) = (
            renderer.clone(),
            site.clone(),
            out.to_path_buf(),
            files_dir.to_path_buf(),
            Links::export(1, search_url, base),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { return anyhow::Ok(()) };
                let page =
                    renderer.render(&db, &site, "", &links, &PageReq::Article { id }, Variant::default()).await?;
                write(&out, &format!("a/{id}.html"), page.body.as_bytes())?;
                for f in store::attachments(&db, id).await? {
                    if let Ok(bytes) = std::fs::read(crate::files::attachment_path(&files_dir, &f.sha256)) {
                        write(&out, &format!("files/{}/{}", f.id, f.filename), &bytes)?;
                        files_written.fetch_add(1, Ordering::Relaxed);
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(r) => r??,
                None => break,
            },
            _ = tick.tick() => progress(done.load(Ordering::Relaxed), total),
        }
    }
    progress(total, total);
    report.articles = done.load(Ordering::Relaxed);
    report.files += files_written.load(Ordering::Relaxed);
    // Images pasted into bodies.
    let inline = files_dir.join("inline");
    if inline.is_dir() {
        for entry in std::fs::read_dir(&inline)?.flatten() {
            let name: PathBuf = entry.file_name().into();
            std::fs::create_dir_all(out.join("files/inline"))?;
            std::fs::copy(entry.path(), out.join("files/inline").join(name))?;
            report.files += 1;
        }
    }
    Ok(report)
}
