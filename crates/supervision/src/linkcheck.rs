//! The external link checker: every hour the links in the kernel's register that are due (new,
//! failed an hour ago, or last checked a day ago) are fetched — status only, 15 seconds each, one
//! host at a time with a pause between requests to it and a few hosts at once — and the results
//! go back to the register, which applies the two-failure rule. Modules then report their broken
//! links to the monitor from the register; nothing here reads their content.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use platform::db::DbResult;
use platform::links::{self, Check};
use platform::web::AppState;

/// Links checked per run at most (a day's backlog of a large group clears in a few runs).
pub const PER_RUN: i64 = 500;
/// The pause between two requests to the same host.
pub const HOST_GAP: Duration = Duration::from_secs(1);
/// Hosts checked at the same time.
const HOSTS_AT_ONCE: usize = 4;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub checked: usize,
    pub broken: usize,
    pub unverifiable: usize,
}

/// Checks the links due at `now`.
pub async fn run(state: &AppState, now: i64, timeout: Duration, gap: Duration) -> DbResult<Summary> {
    let mut by_host: BTreeMap<String, Vec<links::Due>> = BTreeMap::new();
    for d in links::due(&state.db, now, PER_RUN).await? {
        by_host.entry(d.host.clone()).or_default().push(d);
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(HOSTS_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, list) in by_host {
        let (state, slots) = (state.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let mut summary = Summary::default();
            for (i, link) in list.iter().enumerate() {
                if i > 0 {
                    tokio::time::sleep(gap).await;
                }
                let outcome = crate::probe::status(&link.url, timeout).await;
                let standing = links::record(&state.db, link, &Check::of(outcome.status, &outcome.error), now).await?;
                summary.checked += 1;
                summary.broken += usize::from(standing.state == "broken");
                summary.unverifiable += usize::from(standing.state == "unverifiable");
            }
            DbResult::Ok(summary)
        });
    }
    let mut total = Summary::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(s) = done {
            let s = s?;
            total.checked += s.checked;
            total.broken += s.broken;
            total.unverifiable += s.unverifiable;
        }
    }
    Ok(total)
}
