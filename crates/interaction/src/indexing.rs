//! Published letters in the site group's search index (kind `letter`), so the portal's search box
//! finds 来信选登 next to articles and service guides. Only the redacted public texts are indexed,
//! never the writer. Letters are many, so each node follows changes in update order from a
//! watermark instead of re-indexing them all; a rebuilt (empty) index is caught up from the start.

use std::sync::Arc;

use platform::db::{Db, DbResult, sql};
use search::{SearchDoc, SearchIndex};

use crate::store::PublicLetter;

pub const KIND: &str = "letter";

/// Letter hits open the published letter's page.
pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: KIND, label: "来信选登", url_prefix: "/hudong/letters/by-id/" };

/// The search document of a published letter: its public subject, content and reply.
pub fn doc(l: &PublicLetter, site: Option<u64>) -> SearchDoc {
    SearchDoc {
        key: format!("{KIND}:{}", l.id),
        kind: KIND.into(),
        id: u64::try_from(l.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: l.reply_unit_id.and_then(|u| u64::try_from(u).ok()),
        date: l.replied_at.unwrap_or(l.submitted_at),
        validity: "valid".into(),
        title: l.public_subject.clone(),
        summary: l.public_content.chars().take(120).collect(),
        body: format!("{}\n{}", l.public_content, l.public_reply),
        doc_number: String::new(),
        index_number: String::new(),
    }
}

#[derive(sqlx::FromRow)]
struct Changed {
    updated_at: i64,
    published: bool,
    #[sqlx(flatten)]
    letter: PublicLetter,
}

/// Applies one batch of letters changed after `(at, id)`; returns the new watermark, or none when
/// nothing changed. A letter no longer published leaves the index.
pub async fn step(db: &Db, idx: &SearchIndex, after: (i64, i64), site: Option<u64>) -> DbResult<Option<(i64, i64)>> {
    let rows: Vec<Changed> = db
        .fetch_all(
            sql("SELECT updated_at, published, id, no, mailbox_id, category_id, public_subject, public_content, public_reply, public_writer, \
                 reply_unit_id, submitted_at, replied_at, published_at FROM letter \
                 WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) ORDER BY updated_at, id LIMIT 2000")
            .bind(after.0)
            .bind(after.1),
        )
        .await?;
    let Some(last) = rows.last().map(|r| (r.updated_at, r.letter.id)) else { return Ok(None) };
    let docs: Vec<SearchDoc> = rows.iter().filter(|r| r.published).map(|r| doc(&r.letter, site)).collect();
    let gone: Vec<String> = rows.iter().filter(|r| !r.published).map(|r| format!("{KIND}:{}", r.letter.id)).collect();
    if let Err(e) = idx.apply(&docs, &gone) {
        tracing::error!(error = %e, "indexing letters failed");
        return Ok(None);
    }
    Ok(Some(last))
}

/// Every node: follow letter changes every few seconds.
pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    search::follow(idx, KIND, std::time::Duration::from_secs(10), move |idx, mark| {
        let db = db.clone();
        async move {
            let site = platform::web::portal::portal_site_id(&db).await;
            step(&db, &idx, mark, site).await.ok().flatten()
        }
    });
}
