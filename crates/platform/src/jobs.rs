//! Background jobs across nodes. Every node runs the same job loops; a job that must happen once
//! per period (the day's deadline reminders) first claims that period here, and only the node whose
//! claim lands runs it. A claim is a row keyed by job and period, so it survives restarts: a node
//! restarted at noon does not send the morning's reminders again.

use crate::db::{Db, DbResult, sql};

/// Claims `period` (e.g. `2026-12-03`) of job `name`; `true` for exactly one caller per period.
pub async fn claim_period(db: &Db, name: &str, period: &str) -> DbResult<bool> {
    let q = sql("INSERT INTO job_claim (name, period, claimed_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(period)
        .bind(crate::db::now());
    match db.execute(q).await {
        Ok(n) => Ok(n == 1),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Forgets claims older than `keep_days` days (the table would otherwise grow by a row a day per job).
pub async fn prune(db: &Db, keep_days: i64) -> DbResult<u64> {
    db.execute(sql("DELETE FROM job_claim WHERE claimed_at < $1").bind(crate::db::now() - keep_days * 86_400)).await
}
