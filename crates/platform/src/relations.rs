//! Links between published documents that a module declares — a policy and its interpretations
//! (政策解读) — so the page of either document lists the other, whichever module holds the page.
//! The declaring module writes the rows and then tells the modules through
//! [`crate::module::Modules::documents_changed`], so every node drops the pages it cached.

use serde::Serialize;

use crate::db::{Db, DbResult, Exec, Tx, sql};

/// One link shown on the page of `document_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DocumentLink {
    pub document_id: i64,
    /// What the other document is to this one (图解, 文字解读, 解读的政策文件).
    pub label: String,
    pub title: String,
    /// Its public address.
    pub url: String,
}

/// Adds links declared by `source` (a module's name) inside the declaring change's transaction;
/// one already there stays as it is.
pub async fn add(tx: &mut Tx, source: &str, links: &[DocumentLink]) -> DbResult<()> {
    for l in links {
        tx.execute(
            sql("INSERT INTO document_link (document_id, source, label, title, url, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (document_id, source, url) DO NOTHING")
            .bind(l.document_id)
            .bind(source)
            .bind(l.label.as_str())
            .bind(l.title.as_str())
            .bind(l.url.as_str())
            .bind(crate::db::now()),
        )
        .await?;
    }
    Ok(())
}

/// The links a document's page shows, in the order they were declared.
pub async fn of(db: &Db, document_id: i64) -> DbResult<Vec<DocumentLink>> {
    db.fetch_all(
        sql("SELECT document_id, label, title, url FROM document_link WHERE document_id = $1 ORDER BY id")
            .bind(document_id),
    )
    .await
}
