//! The checks of camera points: every five minutes each point's stream is fetched from inside the
//! process (its first bytes must be the stream its address names: an HLS playlist with segments,
//! an FLV header, an MP4 box) and its snapshot address read into the file store, so the public
//! pages show whether a point is live and a picture no older than the last check. On several
//! nodes a point is claimed by one of them per round (the claim is the `checked_at` update).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use platform::db::sql;
use platform::fetch::{self, Read};
use platform::web::{AppError, AppState};

use crate::domain::{self, StreamKind};
use crate::store::{self, CheckResult};

/// How often each point is checked.
pub const INTERVAL_SECS: i64 = 300;
/// How long a stream or snapshot may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Points checked at once.
const PARALLEL: usize = 4;
/// Enough of a stream to know what it is.
const HEAD_BYTES: usize = 64 << 10;
const AGENT: &str = "Zhengwu-Live/1 (视频点位检查)";

/// Fetches one point's stream and snapshot (pure of the database).
pub async fn probe(stream_url: &str, snapshot_url: &str, data_dir: &std::path::Path) -> CheckResult {
    let started = Instant::now();
    let kind = StreamKind::of(stream_url);
    let outcome = match fetch::get(stream_url, TIMEOUT, Read::First(HEAD_BYTES), AGENT).await {
        Err(e) => Err(e),
        Ok(f) if f.status >= 400 => Err(format!("直播流地址返回 HTTP {}", f.status)),
        Ok(f) if f.status >= 300 => Err(format!("直播流地址返回 HTTP {}（跳转），请填写最终地址", f.status)),
        Ok(f) => domain::stream_starts(kind, &f.body),
    };
    let millis = started.elapsed().as_millis() as i64;
    let mut r =
        CheckResult { ok: outcome.is_ok(), millis, error: outcome.err().unwrap_or_default(), ..CheckResult::default() };
    if !snapshot_url.is_empty() {
        match fetch::get(snapshot_url, TIMEOUT, Read::First(domain::SNAPSHOT_MAX_BYTES + 1), AGENT).await {
            Ok(f) if f.status == 200 => match domain::snapshot_kind(&f.body) {
                Ok(ext) => match platform::blobs::keep(data_dir, store::AREA, &f.body, ext) {
                    Ok(sha) => r.snapshot_sha = Some(format!("{sha}.{ext}")),
                    Err(e) => tracing::warn!(error = %e, "snapshot could not be kept"),
                },
                Err(m) => r.snapshot_error = m.to_owned(),
            },
            Ok(f) => r.snapshot_error = format!("截图地址返回 HTTP {}", f.status),
            Err(e) => r.snapshot_error = format!("截图：{e}"),
        }
    }
    r
}

/// Checks one point now and records the result.
pub async fn check_point(state: &AppState, id: i64) -> Result<CheckResult, AppError> {
    let p = store::get(&state.db, id).await?;
    let now = platform::db::now();
    let r = probe(&p.stream_url, &p.snapshot_url, &state.config.data_dir).await;
    store::record(&state.db, id, now, &r).await?;
    Ok(r)
}

/// One round: every point not checked in the last interval, claimed and checked.
pub async fn run_round(state: &AppState) -> Result<usize, AppError> {
    let now = platform::db::now();
    let due: Vec<i64> = store::list(&state.db, false)
        .await?
        .into_iter()
        .filter(|p| p.checked_at.is_none_or(|t| t <= now - INTERVAL_SECS + 5))
        .map(|p| p.id)
        .collect();
    let mut claimed = Vec::new();
    for id in due {
        let n = state
            .db
            .execute(
                sql("UPDATE camera_point SET checked_at = $1 WHERE id = $2 AND (checked_at IS NULL OR checked_at <= $3)")
                    .bind(now)
                    .bind(id)
                    .bind(now - INTERVAL_SECS + 5),
            )
            .await?;
        if n > 0 {
            claimed.push(id);
        }
    }
    let count = claimed.len();
    futures_util::stream::iter(claimed)
        .for_each_concurrent(PARALLEL, |id| async move {
            if let Err(e) = check_point(state, id).await {
                tracing::warn!(error = %e, point = id, "camera point check failed");
            }
        })
        .await;
    Ok(count)
}
