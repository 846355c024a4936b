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

/// Indexes the items changed at or after `since` (in pages of 2,000, by `(updated_at, id)` so each
/// page is read from the index); returns the newest change seen, or `since` when nothing changed.
pub async fn step(db: &Db, idx: &SearchIndex, since: i64, site: Option<u64>) -> DbResult<i64> {
    let mut mark = since;
    let mut after = (since, 0i64);
    loop {
        let items: Vec<Item> = db
            .fetch_all(
                sql("SELECT * FROM disclosure_item WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT 2000")
                    .bind(after.0)
                    .bind(after.1),
            )
            .await?;
        let Some(last) = items.last() else { break };
        after = (last.updated_at, last.id);
        mark = mark.max(last.updated_at);
        let docs: Vec<SearchDoc> = items.iter().map(|i| doc(i, site)).collect();
        if let Err(e) = idx.apply(&docs, &[]) {
            tracing::error!(error = %e, "indexing disclosure items failed");
            return Ok(since);
        }
    }
    Ok(mark)
}

/// Every node: index the catalogue at start, then what changes, every 15 seconds.
pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    tokio::spawn(async move {
        let mut since = i64::MIN;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            tick.tick().await;
            if !idx.is_writable() {
                continue;
            }
            let total = db.count(sql("SELECT COUNT(*) FROM disclosure_item")).await.unwrap_or(0);
            // A rebuilt index lost the items: start again from the beginning.
            if usize::try_from(total).unwrap_or(0) > idx.count_kind(KIND).unwrap_or(0) {
                since = i64::MIN;
            }
            let site = platform::web::portal::portal_site_id(&db).await;
            if let Ok(next) = step(&db, &idx, since, site).await {
                since = next;
            }
        }
    });
}
