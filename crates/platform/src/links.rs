//! The register of external links: addresses outside the group that published content points to
//! (noted by the module that holds the content), what checking them found, and when each is due
//! again. A link is counted broken only after two failed checks at least an hour apart — a
//! server's bad minute is not a broken link — and a 429 or 403 is kept apart as unverifiable (the
//! server refused the checker, not the reader). The supervision module does the checking; modules
//! read the states back to report their broken links to the compliance monitor.

use std::collections::HashMap;

use crate::db::{Db, DbResult, sql};

/// A failed link is checked again after an hour; everything else daily.
pub const RETRY_SECS: i64 = 3600;
pub const RECHECK_SECS: i64 = 86_400;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Ok,
    /// Not found, a server error, no connection, no answer in time.
    Failed(String),
    /// 429 Too Many Requests or 403 Forbidden: the server would not answer the checker.
    Unverifiable(u16),
}

impl Check {
    /// Classifies an HTTP outcome: a status (redirects count as answering) or a transport error.
    pub fn of(status: Option<u16>, error: &str) -> Check {
        match status {
            Some(429 | 403) => Check::Unverifiable(status.unwrap_or_default()),
            Some(s) if s < 400 => Check::Ok,
            Some(s) => Check::Failed(format!("HTTP {s}")),
            None => Check::Failed(error.to_owned()),
        }
    }
}

/// A link's standing as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Standing {
    /// new, ok, suspect (failed, not yet twice an hour apart), broken, unverifiable
    pub state: String,
    pub failures: i64,
    pub first_failed_at: Option<i64>,
    pub detail: String,
}

/// The standing after a check at `now`. Pure.
pub fn after(prev: &Standing, check: &Check, now: i64) -> Standing {
    match check {
        Check::Ok => Standing { state: "ok".into(), failures: 0, first_failed_at: None, detail: String::new() },
        Check::Unverifiable(code) => Standing {
            state: "unverifiable".into(),
            detail: format!("HTTP {code}：对方网站拒绝了检查请求，无法确认链接是否有效"),
            ..prev.clone()
        },
        Check::Failed(why) => {
            let failures = prev.failures + 1;
            let first = prev.first_failed_at.unwrap_or(now);
            let broken = failures >= 2 && now - first >= RETRY_SECS;
            Standing {
                state: if broken { "broken" } else { "suspect" }.into(),
                failures,
                first_failed_at: Some(first),
                detail: why.clone(),
            }
        }
    }
}

/// Notes the external addresses content points to (new ones wait for their first check).
pub async fn note(db: &Db, urls: &[String], now: i64) -> DbResult<()> {
    for chunk in urls.chunks(200) {
        let mut q = sql("INSERT INTO external_link (url, host, last_seen_at) VALUES ");
        for (i, u) in chunk.iter().enumerate() {
            let host = url::Url::parse(u).ok().and_then(|x| x.host_str().map(str::to_owned)).unwrap_or_default();
            q = q.push_row(i == 0, [u.as_str().into(), host.into(), now.into()]);
        }
        db.execute(q.push(" ON CONFLICT (url) DO UPDATE SET last_seen_at = excluded.last_seen_at")).await?;
    }
    Ok(())
}

/// The standings of `urls` that are broken or unverifiable.
pub async fn troubled(db: &Db, urls: &[String]) -> DbResult<HashMap<String, Standing>> {
    let mut out = HashMap::new();
    for chunk in urls.chunks(400) {
        let rows: Vec<(String, String, i64, Option<i64>, String)> = db
            .fetch_all(
                sql("SELECT url, state, failures, first_failed_at, detail FROM external_link \
                     WHERE state IN ('broken', 'unverifiable') AND url IN (")
                .push_bind_list(chunk.iter().map(String::as_str))
                .push(")"),
            )
            .await?;
        for (url, state, failures, first_failed_at, detail) in rows {
            out.insert(url, Standing { state, failures, first_failed_at, detail });
        }
    }
    Ok(out)
}

/// A link due for checking.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub url: String,
    pub host: String,
    pub state: String,
    pub failures: i64,
    pub first_failed_at: Option<i64>,
    pub detail: String,
}

/// Links due at `now` that content still pointed to in the last 30 days, oldest check first.
pub async fn due(db: &Db, now: i64, limit: i64) -> DbResult<Vec<Due>> {
    db.fetch_all(
        sql("SELECT url, host, state, failures, first_failed_at, detail FROM external_link \
             WHERE last_seen_at >= $1 AND (last_checked_at IS NULL \
               OR (state = 'suspect' AND last_checked_at <= $2) OR last_checked_at <= $3) \
             ORDER BY last_checked_at IS NOT NULL, last_checked_at, url LIMIT $4")
        .bind(now - 30 * 86_400)
        .bind(now - RETRY_SECS)
        .bind(now - RECHECK_SECS)
        .bind(limit),
    )
    .await
}

/// Stores a check's result.
pub async fn record(db: &Db, link: &Due, check: &Check, now: i64) -> DbResult<Standing> {
    let prev = Standing {
        state: link.state.clone(),
        failures: link.failures,
        first_failed_at: link.first_failed_at,
        detail: link.detail.clone(),
    };
    let next = after(&prev, check, now);
    db.execute(
        sql("UPDATE external_link SET state = $1, failures = $2, first_failed_at = $3, detail = $4, last_checked_at = $5 \
             WHERE url = $6")
        .bind(next.state.as_str())
        .bind(next.failures)
        .bind(next.first_failed_at)
        .bind(next.detail.as_str())
        .bind(now)
        .bind(link.url.as_str()),
    )
    .await?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail() -> Check {
        Check::Failed("HTTP 404".into())
    }

    #[test]
    fn a_link_is_broken_only_after_two_failures_an_hour_apart() {
        let t0 = 1_000_000;
        let s1 = after(&Standing::default(), &fail(), t0);
        assert_eq!((s1.state.as_str(), s1.failures, s1.first_failed_at), ("suspect", 1, Some(t0)));
        let s2 = after(&s1, &fail(), t0 + 1800);
        assert_eq!(s2.state, "suspect", "two failures half an hour apart are not enough");
        let s3 = after(&s2, &fail(), t0 + 3600);
        assert_eq!((s3.state.as_str(), s3.failures), ("broken", 3));
        // One good answer clears everything.
        let ok = after(&s3, &Check::Ok, t0 + 7200);
        assert_eq!(ok, Standing { state: "ok".into(), ..Standing::default() });
        // Two failures exactly an hour apart: broken.
        let a = after(&Standing::default(), &fail(), t0);
        assert_eq!(after(&a, &fail(), t0 + RETRY_SECS).state, "broken");
    }

    #[test]
    fn refusals_are_unverifiable_not_broken() {
        assert_eq!(Check::of(Some(429), ""), Check::Unverifiable(429));
        assert_eq!(Check::of(Some(403), ""), Check::Unverifiable(403));
        assert_eq!(Check::of(Some(200), ""), Check::Ok);
        assert_eq!(Check::of(Some(301), ""), Check::Ok);
        assert_eq!(Check::of(Some(404), ""), Check::Failed("HTTP 404".into()));
        assert_eq!(Check::of(Some(503), ""), Check::Failed("HTTP 503".into()));
        assert_eq!(Check::of(None, "15 秒内无响应"), Check::Failed("15 秒内无响应".into()));
        let s = after(&Standing::default(), &Check::Unverifiable(429), 10);
        assert_eq!((s.state.as_str(), s.failures), ("unverifiable", 0));
        assert!(s.detail.contains("429"));
    }
}
