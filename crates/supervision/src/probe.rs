//! Availability probes (站点可访问性): each site's home page fetched (http or https) from inside the
//! process at its public address every hour — 24 probes a day, above the inspection's 20 — with the inspection's
//! 15-second limit, stored, and read back as the week's failure share for the unreachable veto.

use std::time::{Duration, Instant};

use platform::db::{Db, DbResult, sql};
use platform::fetch::Read;
use platform::module::Finding;
use platform::web::portal::GroupSite;

use crate::indicators;

pub const TIMEOUT: Duration = Duration::from_secs(15);
pub const INTERVAL_SECS: i64 = 3600;
const WEEK: i64 = 7 * 86_400;

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub ok: bool,
    pub millis: i64,
    pub error: String,
}

/// Fetches `url` once (HTTP/1.1 over plain TCP or TLS, no redirects followed: a 3xx answers, so it
/// counts as up) and reads the whole page: a home page that starts and then hangs is not available.
pub async fn fetch(url: &str, timeout: Duration) -> Outcome {
    fetch_with(url, timeout, Read::Whole).await
}

/// Whether `url` answers, by its status alone (the external link checker: a linked file may be
/// large, and its status says whether it is there).
pub async fn status(url: &str, timeout: Duration) -> Outcome {
    fetch_with(url, timeout, Read::Status).await
}

async fn fetch_with(url: &str, timeout: Duration, read: Read) -> Outcome {
    let started = Instant::now();
    let result = platform::fetch::get(url, timeout, read, "Zhengwu-Monitor/1 (政府网站监测)").await;
    let millis = started.elapsed().as_millis() as i64;
    match result {
        Err(error) => Outcome { status: None, ok: false, millis, error },
        Ok(f) => Outcome {
            status: Some(f.status),
            ok: f.status < 400,
            millis,
            error: if f.status < 400 { String::new() } else { format!("HTTP {}", f.status) },
        },
    }
}

pub async fn record(db: &Db, site_id: i64, url: &str, at: i64, o: &Outcome) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO monitor_probe (site_id, at, url, status, ok, millis, error) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(site_id)
            .bind(at)
            .bind(url)
            .bind(o.status.map(i64::from))
            .bind(o.ok)
            .bind(o.millis)
            .bind(&o.error),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Probe {
    pub at: i64,
    pub url: String,
    pub status: Option<i64>,
    pub ok: bool,
    pub millis: i64,
    pub error: String,
}

pub async fn recent(db: &Db, site_id: i64, since: i64) -> DbResult<Vec<Probe>> {
    db.fetch_all(
        sql("SELECT at, url, status, ok, millis, error FROM monitor_probe WHERE site_id = $1 AND at >= $2 ORDER BY at DESC")
            .bind(site_id)
            .bind(since),
    )
    .await
}

/// The address a site is probed at: its setting, else its own host, else the group's address.
pub fn address(site: &GroupSite, setting: &str, group_base: &str) -> String {
    if !setting.trim().is_empty() {
        return setting.trim().to_owned();
    }
    match &site.host {
        Some(h) if !h.is_empty() => format!("http://{h}/"),
        _ => format!("{}{}/", group_base.trim_end_matches('/'), site.path_prefix),
    }
}

/// The week's probes of a site as findings: the unreachable veto when failures reach 5%, and one
/// deduction per day with failures.
pub fn findings(site_id: i64, probes: &[Probe]) -> Vec<Finding> {
    let failed: Vec<&Probe> = probes.iter().filter(|p| !p.ok).collect();
    let mut out = Vec::new();
    let fix_url = format!("/admin/supervision/sites/{site_id}#probes");
    if indicators::unreachable(probes.len(), failed.len()) {
        out.push(Finding {
            indicator: "site_unreachable".into(),
            site_id: Some(site_id),
            subject: "首页可访问性".into(),
            detail: format!(
                "近 7 天探测 {} 次，失败 {} 次（{:.1}%）",
                probes.len(),
                failed.len(),
                failed.len() as f64 * 100.0 / probes.len() as f64
            ),
            fix_url: fix_url.clone(),
            warning: false,
        });
    }
    let mut days: Vec<(String, usize)> = Vec::new();
    for p in &failed {
        let d = platform::fmt_date(p.at);
        match days.iter_mut().find(|(x, _)| *x == d) {
            Some((_, n)) => *n += 1,
            None => days.push((d, 1)),
        }
    }
    for (d, n) in days {
        out.push(Finding {
            indicator: "probe_failed".into(),
            site_id: Some(site_id),
            subject: format!("首页访问失败 {d}"),
            detail: format!("当天 {n} 次探测失败"),
            fix_url: fix_url.clone(),
            warning: false,
        });
    }
    out
}

/// The probes of the past week that count (from `now`).
pub async fn week(db: &Db, site_id: i64, now: i64) -> DbResult<Vec<Probe>> {
    let mut v = recent(db, site_id, now - WEEK).await?;
    v.retain(|p| p.at <= now);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ok: bool, at: i64) -> Probe {
        Probe { at, url: String::new(), status: ok.then_some(200), ok, millis: 5, error: String::new() }
    }

    #[test]
    fn findings_from_a_week_of_probes() {
        let day = 86_400;
        let good: Vec<Probe> = (0..160).map(|i| p(true, 1_800_000_000 + i * 3600)).collect();
        assert!(findings(1, &good).is_empty());
        let mut some = good.clone();
        some.extend((0..3).map(|i| p(false, 1_800_000_000 + i)));
        some.push(p(false, 1_800_000_000 + 2 * day));
        let f = findings(1, &some);
        assert_eq!(f.iter().filter(|x| x.indicator == "probe_failed").count(), 2, "one per day with failures");
        assert!(!f.iter().any(|x| x.indicator == "site_unreachable"), "4 of 164 is under 5%");
        some.extend((0..5).map(|i| p(false, 1_800_000_000 + i)));
        assert!(findings(1, &some).iter().any(|x| x.indicator == "site_unreachable"), "9 of 169 is over 5%");
    }

    #[test]
    fn probe_address() {
        let s = GroupSite {
            id: 2,
            code: "kjj".into(),
            name: "科技局".into(),
            kind: "department".into(),
            host: None,
            path_prefix: "/kjj".into(),
            ..GroupSite::default()
        };
        assert_eq!(address(&s, "", "http://127.0.0.1:8080"), "http://127.0.0.1:8080/kjj/");
        assert_eq!(address(&s, " http://x/ ", "http://127.0.0.1:8080"), "http://x/");
        let h = GroupSite { host: Some("kjj.harbin.gov.cn".into()), ..s };
        assert_eq!(address(&h, "", "http://127.0.0.1:8080/"), "http://kjj.harbin.gov.cn/");
    }
}
