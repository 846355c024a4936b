//! Catalogue items in the site group's search index (kind `disclosure`), so the portal's search
//! box finds them by title, summary and keywords, and by 文号 and 索引号 exactly. Each node indexes
//! what changed since its last pass and starts over when the index lost the kind (a rebuild).

use std::sync::Arc;

use platform::db::{Db, DbResult, sql};
use search::{SearchDoc, SearchIndex};

use crate::catalogue::Item;

pub const KIND: &str = "disclosure";

/// Disclosure hits open the item's page with its header block.
pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: KIND, label: "政府信息公开", url_prefix: "/gongkai/items/" };

pub fn doc(i: &Item, site: Option<u64>) -> SearchDoc {
    SearchDoc {
        key: format!("{KIND}:{}", i.id),
        kind: KIND.into(),
        id: u64::try_from(i.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: u64::try_from(i.org_id).ok(),
        date: platform::calendar::date(&i.published_on)
            .map_or(i.updated_at, |d| d.midnight().assume_offset(time::macros::offset!(+8)).unix_timestamp()),
        validity: i.validity.clone(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        body: format!("{}\n{}\n{}\n{}", i.topic, i.issuer, i.keywords, i.replaced_by),
        doc_number: i.doc_no.clone(),
        index_number: i.index_no.clone(),
    }
}

/// Applies one batch of the items changed after `(updated_at, id)` (read from the index in that
/// order); returns the new watermark, or none when nothing changed. Each item is applied once: a
/// watermark that re-read its own second would re-index a whole generated catalogue every pass.
pub async fn step(db: &Db, idx: &SearchIndex, after: (i64, i64), site: Option<u64>) -> DbResult<Option<(i64, i64)>> {
    let items: Vec<Item> = db
        .fetch_all(
            sql("SELECT * FROM disclosure_item WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT 2000")
                .bind(after.0)
                .bind(after.1),
        )
        .await?;
    let Some(last) = items.last().map(|i| (i.updated_at, i.id)) else { return Ok(None) };
    let docs: Vec<SearchDoc> = items.iter().map(|i| doc(i, site)).collect();
    if let Err(e) = idx.apply(&docs, &[]) {
        tracing::error!(error = %e, "indexing disclosure items failed");
        return Ok(None);
    }
    Ok(Some(last))
}

/// Every node keeps the index in step with the catalogue (the kernel's follower).
pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    search::follow(idx, KIND, std::time::Duration::from_secs(15), move |idx, mark| {
        let db = db.clone();
        async move {
            let site = platform::web::portal::portal_site_id(&db).await;
            step(&db, &idx, mark, site).await.ok().flatten()
        }
    });
}
