//! Keeping the search index in step with publication. Every change announces `a:ID` tags (locally
//! and through the change feed, so each node's index follows the database); the ids are queued
//! and indexed on the next job tick (≤ 200 ms). At start a node reconciles its index with the
//! database: public articles missing from the index are added, withdrawn ones removed, and recent
//! changes (a crash may have lost an uncommitted index write) are re-indexed.

use std::collections::BTreeSet;

use platform::db::{Db, DbResult, now, sql};
use search::{SearchDoc, SearchIndex};

use crate::domain::PubState;
use crate::store;

/// Extracted attachment text per article, for the given articles.
async fn attachment_texts(db: &Db, ids: &[i64]) -> DbResult<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let q = sql("SELECT article_id, text FROM attachment WHERE text <> '' AND article_id IN (")
        .push_bind_list(ids.iter().copied());
    #[derive(sqlx::FromRow)]
    struct Row {
        article_id: i64,
        text: String,
    }
    let rows: Vec<Row> = db.fetch_all(q.push(") ORDER BY id")).await?;
    for r in rows {
        let t: &mut String = out.entry(r.article_id).or_default();
        t.push('\n');
        t.push_str(&r.text);
    }
    Ok(out)
}

/// An article's searchable body: its text, then its attachments' text.
fn body_text(html: &str, attachments: Option<&String>) -> String {
    let mut body = crate::sanitize::plain_text(html);
    if let Some(t) = attachments {
        body.push_str(t);
    }
    body
}

/// The search document for an article, or `None` when the public cannot see it.
pub async fn article_doc(db: &Db, id: i64) -> DbResult<Option<SearchDoc>> {
    let Some(a) = store::article(db, id).await? else { return Ok(None) };
    if !PubState::parse(&a.state).is_some_and(PubState::is_public) {
        return Ok(None);
    }
    let places = store::placements(db, id).await?;
    if places.is_empty() {
        return Ok(None);
    }
    let mut sites: Vec<u64> = places.iter().map(|p| p.site_id as u64).collect();
    sites.dedup();
    let texts = attachment_texts(db, &[id]).await?;
    Ok(Some(SearchDoc {
        key: format!("article:{id}"),
        kind: "article".into(),
        id: id as u64,
        sites,
        channels: places.iter().map(|p| p.channel_id as u64).collect(),
        dept: a.org_id.map(|o| o as u64),
        date: a.pub_at,
        validity: a.validity.clone(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        body: body_text(&a.body, texts.get(&id)),
        doc_number: a.doc_number.clone(),
        index_number: String::new(),
    }))
}

/// Indexes the given article ids (adds, replaces or removes each).
pub async fn index_articles(db: &Db, idx: &SearchIndex, ids: &BTreeSet<i64>) -> Result<(), String> {
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for id in ids {
        match article_doc(db, *id).await.map_err(|e| e.to_string())? {
            Some(d) => upserts.push(d),
            None => deletes.push(format!("article:{id}")),
        }
    }
    idx.apply(&upserts, &deletes).map_err(|e| e.to_string())
}

/// Ids of articles the public can see.
/// Ids of every public article, ascending; read in slices so a million articles cost 8 MB of ids
/// rather than a million driver rows at once.
async fn public_ids(db: &Db) -> DbResult<Vec<i64>> {
    let mut out = Vec::new();
    loop {
        let batch: Vec<(i64,)> = db
            .fetch_all(
                sql("SELECT id FROM article WHERE state IN ('published', 'archived') AND id > $1 ORDER BY id LIMIT 50000")
                    .bind(out.last().copied().unwrap_or(0)),
            )
            .await?;
        if batch.is_empty() {
            return Ok(out);
        }
        out.extend(batch.into_iter().map(|(id,)| id));
    }
}

/// Compares the index with the database and returns the ids to (re)index or remove: public
/// articles missing from the index, indexed ones no longer public, and anything changed in the
/// last day (an index write may have been lost with a crash). Both id lists are sorted, so the
/// comparison is one merge pass.
pub async fn reconcile(db: &Db, idx: &SearchIndex) -> Result<BTreeSet<i64>, String> {
    let in_db = public_ids(db).await.map_err(|e| e.to_string())?;
    let in_index = idx.ids_of_kind("article").map_err(|e| e.to_string())?;
    let mut todo = BTreeSet::new();
    let (mut i, mut j) = (0, 0);
    while i < in_db.len() || j < in_index.len() {
        let a = in_db.get(i).copied();
        let b = in_index.get(j).map(|&b| b as i64);
        match (a, b) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                todo.insert(a);
                i += 1;
            }
            (Some(a), None) => {
                todo.insert(a);
                i += 1;
            }
            (_, Some(b)) => {
                todo.insert(b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    let recent: Vec<(i64,)> = db
        .fetch_all(sql("SELECT id FROM article WHERE updated_at > $1").bind(now() - 86_400))
        .await
        .map_err(|e| e.to_string())?;
    todo.extend(recent.into_iter().map(|(id,)| id));
    Ok(todo)
}

/// Search documents for up to `limit` public articles with id > `after`, in two queries.
pub async fn article_docs_batch(db: &Db, after: i64, limit: i64) -> DbResult<(Vec<SearchDoc>, Option<i64>)> {
    let arts: Vec<store::Article> = db
        .fetch_all(
            sql("SELECT * FROM article WHERE id > $1 AND state IN ('published', 'archived') ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit),
        )
        .await?;
    let Some(last_id) = arts.last().map(|a| a.id) else { return Ok((Vec::new(), None)) };
    let q = sql("SELECT * FROM placement WHERE article_id IN (").push_bind_list(arts.iter().map(|a| a.id));
    let places: Vec<store::Placement> = db.fetch_all(q.push(")")).await?;
    let texts = attachment_texts(db, &arts.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
    let docs = arts
        .into_iter()
        .filter_map(|a| {
            let mine: Vec<&store::Placement> = places.iter().filter(|p| p.article_id == a.id).collect();
            if mine.is_empty() {
                return None;
            }
            let mut sites: Vec<u64> = mine.iter().map(|p| p.site_id as u64).collect();
            sites.sort_unstable();
            sites.dedup();
            Some(SearchDoc {
                key: format!("article:{}", a.id),
                kind: "article".into(),
                id: a.id as u64,
                sites,
                channels: mine.iter().map(|p| p.channel_id as u64).collect(),
                dept: a.org_id.map(|o| o as u64),
                date: a.pub_at,
                validity: a.validity.clone(),
                summary: a.summary.clone(),
                body: body_text(&a.body, texts.get(&a.id)),
                doc_number: a.doc_number.clone(),
                index_number: String::new(),
                title: a.title,
            })
        })
        .collect();
    Ok((docs, Some(last_id)))
}

/// Rebuilds the whole index from the database (`zhengwu reindex`, or after a dictionary change)
/// in batches; searches keep using the old index until the new one is complete.
pub async fn rebuild(db: &Db, idx: &SearchIndex, progress: impl Fn(u64, u64)) -> Result<usize, String> {
    let total = db
        .count(sql("SELECT COUNT(*) FROM article WHERE state IN ('published', 'archived')"))
        .await
        .map_err(|e| e.to_string())? as u64;
    let mut r = idx.start_rebuild().map_err(|e| e.to_string())?;
    let mut after = 0i64;
    let mut done = 0u64;
    loop {
        let (batch, last) = article_docs_batch(db, after, 2_000).await.map_err(|e| e.to_string())?;
        let Some(last) = last else { break };
        after = last;
        r.add(&batch).map_err(|e| e.to_string())?;
        done += batch.len() as u64;
        progress(done, total);
    }
    r.finish().map_err(|e| e.to_string())
}

/// A search setting stored as a JSON list (empty when unset or unreadable).
async fn list_setting(db: &Db, key: &str) -> Vec<String> {
    platform::accounts::get_setting(db, key)
        .await
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Synonym groups administrators added (setting `search_synonyms`, one group per entry).
pub async fn extra_synonyms(db: &Db) -> Vec<String> {
    list_setting(db, "search_synonyms").await
}

/// Extra dictionary words administrators added (setting `search_words`).
pub async fn extra_words(db: &Db) -> Vec<String> {
    list_setting(db, "search_words").await
}
