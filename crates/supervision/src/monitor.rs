//! The compliance monitor: every module's findings plus the probes, weighed per site under the
//! indicators, kept as one result per site and day (the score history), and the day's new
//! pre-warnings mailed to each site's administrator once. Runs live when a dashboard is opened and
//! on the hour from a job, so the history and the warnings do not depend on anyone looking.

use std::collections::BTreeMap;

use platform::db::{Db, DbResult, sql};
use platform::module::{ComplianceQuery, Finding};
use platform::web::portal::{GroupSite, group_sites};
use platform::web::{AppError, AppState};
use serde::Serialize;

use crate::indicators::{self, Assessment};
use crate::probe;

/// One site's monitor settings.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct SiteSettings {
    pub site_id: i64,
    pub probe_url: String,
    pub warning_email: String,
}

pub async fn settings(db: &Db) -> DbResult<Vec<SiteSettings>> {
    db.fetch_all(sql("SELECT site_id, probe_url, warning_email FROM monitor_site ORDER BY site_id")).await
}

pub async fn save_settings(db: &Db, s: &SiteSettings) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO monitor_site (site_id, probe_url, warning_email, updated_at) VALUES ($1,$2,$3,$4) \
             ON CONFLICT (site_id) DO UPDATE SET probe_url = excluded.probe_url, warning_email = excluded.warning_email, updated_at = excluded.updated_at")
        .bind(s.site_id)
        .bind(&s.probe_url)
        .bind(&s.warning_email)
        .bind(platform::db::now()),
    )
    .await?;
    Ok(())
}

/// One site's state now.
#[derive(Debug, Clone, Serialize)]
pub struct SiteReport {
    pub site: GroupSite,
    pub assessment: Assessment,
    /// Problems first in the order to fix them, then warnings.
    pub findings: Vec<Finding>,
}

/// The whole group's state: each site's report (the portal first).
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub at: i64,
    pub sites: Vec<SiteReport>,
}

impl GroupReport {
    pub fn site(&self, id: i64) -> Option<&SiteReport> {
        self.sites.iter().find(|s| s.site.id == id)
    }
}

/// Findings for the group (or one site) as of `now`, with the probes of the past week.
pub async fn run(state: &AppState, site_id: Option<i64>, now: i64) -> Result<GroupReport, AppError> {
    let group = group_sites(&state.db).await?;
    let Some(portal) = group.first().map(|s| s.id) else {
        return Ok(GroupReport { at: now, sites: Vec::new() });
    };
    let sites: Vec<GroupSite> = group.into_iter().filter(|s| site_id.is_none_or(|id| id == s.id)).collect();
    let mut all = state.modules.compliance(state, ComplianceQuery { site_id, now }).await?;
    for s in &sites {
        all.extend(probe::findings(s.id, &probe::week(&state.db, s.id, now).await?));
    }
    all.extend(crate::annual::findings(state, &sites, now).await?);
    let mut by_site: BTreeMap<i64, Vec<Finding>> = BTreeMap::new();
    for mut f in all {
        // What belongs to the group as a whole counts for the portal.
        let id = *f.site_id.get_or_insert(portal);
        by_site.entry(id).or_default().push(f);
    }
    let reports = sites
        .into_iter()
        .map(|site| {
            let mut findings = by_site.remove(&site.id).unwrap_or_default();
            indicators::fix_order(&mut findings);
            SiteReport { assessment: indicators::assess(&findings), site, findings }
        })
        .collect();
    Ok(GroupReport { at: now, sites: reports })
}

/// A stored day's result.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DayResult {
    pub site_id: i64,
    pub day: String,
    pub at: i64,
    pub verdict: String,
    pub score: f64,
    pub vetoes: i64,
    pub problems: i64,
    pub warnings: i64,
}

/// Keeps the day's result of every site in the report (the last run of a day wins).
pub async fn store(db: &Db, report: &GroupReport) -> DbResult<()> {
    let day = platform::fmt_date(report.at);
    for s in &report.sites {
        let a = &s.assessment;
        db.execute(
            sql("INSERT INTO monitor_result (site_id, day, at, verdict, score, vetoes, problems, warnings, findings) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (site_id, day) DO UPDATE SET at = excluded.at, \
                 verdict = excluded.verdict, score = excluded.score, vetoes = excluded.vetoes, problems = excluded.problems, \
                 warnings = excluded.warnings, findings = excluded.findings")
            .bind(s.site.id)
            .bind(&day)
            .bind(report.at)
            .bind(a.verdict.code())
            .bind(a.score)
            .bind(a.vetoes_reached() as i64)
            .bind(a.problems as i64)
            .bind(a.warnings as i64)
            .bind(serde_json::to_string(&s.findings).unwrap_or_default()),
        )
        .await?;
    }
    Ok(())
}

pub async fn history(db: &Db, site_id: i64, limit: i64) -> DbResult<Vec<DayResult>> {
    db.fetch_all(
        sql("SELECT site_id, day, at, verdict, score, vetoes, problems, warnings FROM monitor_result WHERE site_id = $1 ORDER BY day DESC LIMIT $2")
            .bind(site_id)
            .bind(limit),
    )
    .await
}

/// Each warning of the day once per site, indicator and subject: records it and says whether it
/// is new.
async fn first_time(db: &Db, site_id: i64, f: &Finding, day: &str) -> DbResult<bool> {
    let r = db
        .execute(
            sql("INSERT INTO monitor_warning_sent (site_id, indicator, subject, day) VALUES ($1,$2,$3,$4)")
                .bind(site_id)
                .bind(&f.indicator)
                .bind(&f.subject)
                .bind(day),
        )
        .await;
    match r {
        Ok(n) => Ok(n == 1),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The pre-warning mail for one site: what will become a problem and where to fix it.
pub fn warning_mail(site: &GroupSite, warnings: &[&Finding]) -> (String, String) {
    let subject = format!("【网站监测预警】{}：{} 项即将超出考核要求", site.name, warnings.len());
    let mut body = format!(
        "{}管理员：\n\n以下事项尚未扣分，但即将达到《政府网站与政务新媒体检查指标》的扣分或否决标准，请及时处理：\n\n",
        site.name
    );
    for (n, f) in warnings.iter().enumerate() {
        let label = indicators::indicator(&f.indicator).map_or(f.indicator.as_str(), |i| i.label);
        body.push_str(&format!("{}. 【{label}】{}：{}\n   处理：{}\n", n + 1, f.subject, f.detail, f.fix_url));
    }
    body.push_str("\n本邮件由政务门户平台监测系统自动发送，每项预警每天只发送一次。\n");
    (subject, body)
}

/// Mails the day's new pre-warnings to each site's warning address (through the outbox).
pub async fn send_warnings(state: &AppState, report: &GroupReport) -> DbResult<usize> {
    let day = platform::fmt_date(report.at);
    let settings = settings(&state.db).await?;
    let mut sent = 0;
    for s in &report.sites {
        let Some(to) = settings.iter().find(|x| x.site_id == s.site.id).map(|x| x.warning_email.trim().to_owned())
        else {
            continue;
        };
        if to.is_empty() {
            continue;
        }
        let mut fresh = Vec::new();
        for f in s.findings.iter().filter(|f| f.warning) {
            if first_time(&state.db, s.site.id, f, &day).await? {
                fresh.push(f);
            }
        }
        if !fresh.is_empty() {
            let (subject, body) = warning_mail(&s.site, &fresh);
            state.send_mail(&to, &subject, &body).await;
            sent += fresh.len();
        }
    }
    Ok(sent)
}

/// The hourly job: probe every site, then run the monitor, keep the results and send warnings.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = platform::db::now();
            let hour = now - now.rem_euclid(probe::INTERVAL_SECS);
            if !platform::jobs::claim_period(&state.db, "supervision.monitor", &hour.to_string()).await.unwrap_or(false)
            {
                continue;
            }
            if let Err(e) = hourly(&state, now).await {
                tracing::warn!(error = %e, "compliance monitor run failed");
            }
            // After the run: the monitor reads what earlier checks found, and a slow host never
            // delays it.
            match crate::linkcheck::run(&state, now, probe::TIMEOUT, crate::linkcheck::HOST_GAP).await {
                Ok(s) if s.checked > 0 => {
                    tracing::info!(checked = s.checked, broken = s.broken, "external links checked")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "external link check failed"),
            }
        }
    });
}

/// The group's address as seen from inside (the listening socket).
pub fn group_base(state: &AppState) -> String {
    platform::web::portal::listen_origin(&state.config)
}

/// Probes every site once, then runs, stores and warns.
pub async fn hourly(state: &AppState, now: i64) -> Result<GroupReport, AppError> {
    let settings = settings(&state.db).await?;
    let base = group_base(state);
    for site in group_sites(&state.db).await? {
        let setting = settings.iter().find(|s| s.site_id == site.id).map_or("", |s| s.probe_url.as_str());
        let url = probe::address(&site, setting, &base);
        if url::Url::parse(&url).is_ok_and(|u| u.port() == Some(0)) {
            // No address to probe (a node started without a listening port, as in tests).
            continue;
        }
        let outcome = probe::fetch(&url, probe::TIMEOUT).await;
        probe::record(&state.db, site.id, &url, now, &outcome).await?;
    }
    let report = run(state, None, now).await?;
    store(&state.db, &report).await?;
    send_warnings(state, &report).await?;
    forget(&state.db, now).await?;
    Ok(report)
}

/// How long probes and sent-warning marks are kept: the veto reads a week of probes, the site page
/// a day; a quarter's self-check reads the stored daily results, which are kept.
const KEEP_DAYS: i64 = 35;

/// Drops probes and warning marks older than [`KEEP_DAYS`] (an hourly probe of 100 sites is
/// 876,000 rows a year otherwise).
async fn forget(db: &Db, now: i64) -> DbResult<()> {
    let cutoff = now - KEEP_DAYS * 86_400;
    db.execute(sql("DELETE FROM monitor_probe WHERE at < $1").bind(cutoff)).await?;
    db.execute(sql("DELETE FROM monitor_warning_sent WHERE day < $1").bind(platform::fmt_date(cutoff))).await?;
    Ok(())
}
