//! Service items in the site group's search index (kind `service`), so the portal's search box
//! finds 办事指南 next to articles. The catalogue is small, so each node simply re-indexes all
//! published items whenever the catalogue changed or the index lost them (after a rebuild).

use std::sync::Arc;

use platform::db::{Db, DbResult};
use search::{SearchDoc, SearchIndex};

use crate::store::{self, Item};

/// Service hits open the item's guide in the hall.
pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: "service", label: "办事指南", url_prefix: "/banshi/items/by-id/" };

pub fn doc(i: &Item, site: Option<u64>) -> SearchDoc {
    let materials: Vec<String> = i.materials().into_iter().map(|m| m.name).collect();
    SearchDoc {
        key: format!("service:{}", i.id),
        kind: "service".into(),
        id: u64::try_from(i.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: u64::try_from(i.org_id).ok(),
        date: i.updated_at,
        validity: "valid".into(),
        title: i.name.clone(),
        summary: format!("{}　{}　承诺 {} 个工作日", i.kind, i.themes, i.promised_days),
        // Themes and life events too: people search by them (企业开办, 生育).
        body: format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            i.themes,
            i.life_events,
            i.conditions,
            i.basis,
            materials.join("、"),
            i.steps().join("、")
        ),
        doc_number: String::new(),
        index_number: String::new(),
    }
}

/// Brings the index's service documents in line with the published catalogue; returns how many
/// items are indexed. `site` is the portal site the hall belongs to (the first site).
pub async fn sync(db: &Db, idx: &SearchIndex, site: Option<u64>) -> DbResult<usize> {
    let items = store::items(db, false).await?;
    let docs: Vec<SearchDoc> = items.iter().filter(|i| i.published).map(|i| doc(i, site)).collect();
    let gone: Vec<String> = items.iter().filter(|i| !i.published).map(|i| format!("service:{}", i.id)).collect();
    if let Err(e) = idx.apply(&docs, &gone) {
        tracing::error!(error = %e, "indexing service items failed");
    }
    Ok(docs.len())
}

/// Every node: index the catalogue at start, then whenever it changes or the index lost it.
pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    tokio::spawn(async move {
        let mut last = (i64::MIN, usize::MAX);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            tick.tick().await;
            if !idx.is_writable() {
                continue;
            }
            #[derive(sqlx::FromRow)]
            struct Mark {
                at: Option<i64>,
                n: i64,
            }
            let Ok(mark) = db
                .fetch_one::<Mark>(platform::db::sql(
                    "SELECT MAX(updated_at) AS at, COUNT(*) AS n FROM service_item WHERE published = TRUE",
                ))
                .await
            else {
                continue;
            };
            let indexed = idx.count_kind("service").unwrap_or(0);
            let now = (mark.at.unwrap_or(0), usize::try_from(mark.n).unwrap_or(0));
            if now != last || indexed != now.1 {
                let site = platform::web::portal::portal_site_id(&db).await;
                if sync(&db, &idx, site).await.is_ok() {
                    last = now;
                }
            }
        }
    });
}
