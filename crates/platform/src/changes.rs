//! Content changes: what a module published that citizens can subscribe to (a new article in a
//! column, a consultation opening), announced once by the module that published it, under the
//! subscription topics it falls in (`channel:12`, `participation:consultations`). The
//! subscriptions service matches changes to subscribers by topic; it never reads the publishing
//! module's tables, and a module never learns who subscribed.

use crate::db::{Db, DbResult, Exec, sql};

/// A topic a citizen can subscribe to on a site, as the module owning it names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Topic {
    /// Stable key (`channel:12`); what subscriptions store.
    pub key: String,
    pub label: String,
    /// The heading it is listed under (栏目, 公众参与).
    pub group: String,
}

/// One publication to tell subscribers about.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// What was published, unique across modules (`article:12`): announcing it again (an edit
    /// republished) tells nobody twice.
    pub source: String,
    /// The site it belongs to and its address there (`/a/12.html`, below the site's own address).
    pub site_id: i64,
    pub path: String,
    pub title: String,
    pub summary: String,
    pub topics: Vec<String>,
    pub published_at: i64,
}

/// Records a publication for subscribers; `false` when it was announced before. Runs after the
/// publishing change committed (a failed publication tells nobody).
pub async fn announce(db: &Db, c: &Change) -> DbResult<bool> {
    if c.topics.is_empty() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = tx
        .fetch_all(
            sql("INSERT INTO publication (source, site_id, title, path, summary, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source) DO NOTHING RETURNING id")
            .bind(c.source.as_str())
            .bind(c.site_id)
            .bind(c.title.as_str())
            .bind(c.path.as_str())
            .bind(c.summary.chars().take(300).collect::<String>())
            .bind(c.published_at),
        )
        .await?;
    let Some(id) = ids.first().map(|r| r.id) else { return Ok(false) };
    let mut topics = c.topics.clone();
    topics.sort();
    topics.dedup();
    for t in &topics {
        tx.execute(
            sql("INSERT INTO publication_topic (publication_id, topic) VALUES ($1, $2)").bind(id).bind(t.as_str()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}
