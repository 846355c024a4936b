//! Live listings in the site group's search index (kind `listing`), so the portal's search box
//! finds a 求购 of 杨梅 next to articles. Only the public text is indexed, never the contact. Each
//! node follows listing changes in update order from a watermark; a listing that stops showing
//! (expired, withdrawn, hidden by reports) leaves the index with the change that hid it.

use std::sync::Arc;

use platform::db::{Db, DbResult, sql};
use search::{SearchDoc, SearchIndex};

use crate::store::Listing;

pub const KIND: &str = "listing";

/// Listing hits open the listing's page.
pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: KIND, label: "供求信息", url_prefix: "/gongqiu/l/" };

/// The search document of a live listing: its title, subject, area and description.
pub fn doc(l: &Listing, site: Option<u64>) -> SearchDoc {
    let kind = l.kind();
    SearchDoc {
        key: format!("{KIND}:{}", l.id),
        kind: KIND.into(),
        id: u64::try_from(l.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: None,
        date: l.published_at.unwrap_or(l.created_at),
        validity: "valid".into(),
        title: format!("【{}】{}", kind.label(), l.title),
        summary: format!("{} · {} · {}", kind.board().label(), l.area, l.body.chars().take(100).collect::<String>()),
        body: format!("{}\n{}\n{}\n{}\n{}", l.subject, l.area, l.body, l.quantity, l.price),
        doc_number: String::new(),
        index_number: String::new(),
    }
}

/// Applies one batch of listings changed after `(at, id)`; returns the new watermark, or none when
/// nothing changed.
pub async fn step(
    db: &Db,
    idx: &SearchIndex,
    after: (i64, i64),
    site: Option<u64>,
    now: i64,
) -> DbResult<Option<(i64, i64)>> {
    let rows: Vec<Listing> = db
        .fetch_all(
            sql("SELECT * FROM listing WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) ORDER BY updated_at, id LIMIT 2000")
                .bind(after.0)
                .bind(after.1),
        )
        .await?;
    let Some(last) = rows.last().map(|r| (r.updated_at, r.id)) else { return Ok(None) };
    let docs: Vec<SearchDoc> = rows.iter().filter(|l| l.is_live(now)).map(|l| doc(l, site)).collect();
    let gone: Vec<String> = rows.iter().filter(|l| !l.is_live(now)).map(|l| format!("{KIND}:{}", l.id)).collect();
    if let Err(e) = idx.apply(&docs, &gone) {
        tracing::error!(error = %e, "indexing listings failed");
        return Ok(None);
    }
    Ok(Some(last))
}

/// Every node: follow listing changes every few seconds.
pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    search::follow(idx, KIND, std::time::Duration::from_secs(5), move |idx, mark| {
        let db = db.clone();
        async move {
            let site = platform::web::portal::portal_site_id(&db).await;
            step(&db, &idx, mark, site, platform::db::now()).await.ok().flatten()
        }
    });
}
