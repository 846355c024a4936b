//! Published courseware in the site group's search index (kind `course`): title, summary, the
//! teacher and the words of the captions, so a farmer's search for 番茄 底肥 finds the lesson that
//! says it. Each node follows course changes in update order from a watermark.

use std::sync::Arc;

use platform::db::{Db, DbResult, sql};
use search::{SearchDoc, SearchIndex};

use crate::store::Course;

pub const KIND: &str = "course";

pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: KIND, label: "远程教育课件", url_prefix: "/kejian/" };

pub fn doc(c: &Course, site: Option<u64>) -> SearchDoc {
    SearchDoc {
        key: format!("{KIND}:{}", c.id),
        kind: KIND.into(),
        id: u64::try_from(c.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: None,
        date: c.created_at,
        validity: "valid".into(),
        title: c.title.clone(),
        summary: c.summary.chars().take(120).collect(),
        body: format!("{}\n{}\n{}", c.teacher, c.summary, crate::domain::caption_words(&c.captions)),
        doc_number: String::new(),
        index_number: String::new(),
    }
}

/// Applies one batch of items changed after `(at, id)`; returns the new watermark, or none.
pub async fn step(db: &Db, idx: &SearchIndex, after: (i64, i64), site: Option<u64>) -> DbResult<Option<(i64, i64)>> {
    let rows: Vec<Course> = db
        .fetch_all(
            sql("SELECT * FROM course WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) ORDER BY updated_at, id LIMIT 2000")
                .bind(after.0)
                .bind(after.1),
        )
        .await?;
    let Some(last) = rows.last().map(|r| (r.updated_at, r.id)) else { return Ok(None) };
    let docs: Vec<SearchDoc> = rows.iter().filter(|c| c.published).map(|c| doc(c, site)).collect();
    let gone: Vec<String> = rows.iter().filter(|c| !c.published).map(|c| format!("{KIND}:{}", c.id)).collect();
    if let Err(e) = idx.apply(&docs, &gone) {
        tracing::error!(error = %e, "indexing courseware failed");
        return Ok(None);
    }
    Ok(Some(last))
}

pub fn spawn(db: Db, idx: Arc<SearchIndex>) {
    search::follow(idx, KIND, std::time::Duration::from_secs(10), move |idx, mark| {
        let db = db.clone();
        async move {
            let site = platform::web::portal::portal_site_id(&db).await;
            step(&db, &idx, mark, site).await.ok().flatten()
        }
    });
}
