//! 订阅统计 for a site's office: who subscribes to what (counts only; addresses are never shown
//! here), what went out for each publication and each digest run. Scoped by 监督考核 per site.

use axum::extract::State;
use axum::response::Html;
use minijinja::context;
use platform::db::sql;
use platform::roles::Perm;
use platform::web::{AppError, AppState, Ctx, Staff, sv};

#[derive(Debug, Default, Clone, serde::Serialize, sqlx::FromRow)]
struct SiteCounts {
    site_id: i64,
    active_mail: i64,
    active_sms: i64,
    immediate: i64,
    daily: i64,
    weekly: i64,
    pending: i64,
    ended: i64,
}

#[derive(Debug, serde::Serialize, sqlx::FromRow)]
struct TopicCount {
    topic: String,
    n: i64,
}

#[derive(Debug, serde::Serialize, sqlx::FromRow)]
struct Sent {
    id: i64,
    site_id: i64,
    title: String,
    published_at: i64,
    alerted_at: Option<i64>,
    recipients: i64,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let sites = crate::ops::visible(&staff, platform::web::portal::group_sites(&state.db).await?);
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let counts: Vec<SiteCounts> = state
        .db
        .fetch_all(
            sql("SELECT site_id, \
                 CAST(SUM(CASE WHEN state = 'active' AND channel = 'mail' THEN 1 ELSE 0 END) AS BIGINT) AS active_mail, \
                 CAST(SUM(CASE WHEN state = 'active' AND channel = 'sms' THEN 1 ELSE 0 END) AS BIGINT) AS active_sms, \
                 CAST(SUM(CASE WHEN state = 'active' AND frequency = 'immediate' THEN 1 ELSE 0 END) AS BIGINT) AS immediate, \
                 CAST(SUM(CASE WHEN state = 'active' AND frequency = 'daily' THEN 1 ELSE 0 END) AS BIGINT) AS daily, \
                 CAST(SUM(CASE WHEN state = 'active' AND frequency = 'weekly' THEN 1 ELSE 0 END) AS BIGINT) AS weekly, \
                 CAST(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS BIGINT) AS pending, \
                 CAST(SUM(CASE WHEN state = 'ended' THEN 1 ELSE 0 END) AS BIGINT) AS ended \
                 FROM subscriber WHERE 1=1")
            .and_within("site_id", Some(&ids))
            .push(" GROUP BY site_id"),
        )
        .await?;
    let mut rows = Vec::new();
    let mut topics = Vec::new();
    for s in &sites {
        let c = counts
            .iter()
            .find(|c| c.site_id == s.id)
            .cloned()
            .unwrap_or(SiteCounts { site_id: s.id, ..Default::default() });
        rows.push(context! { site => sv(s), c => sv(&c) });
        let by_topic: Vec<TopicCount> = state
            .db
            .fetch_all(
                sql("SELECT t.topic, COUNT(*) AS n FROM subscription t JOIN subscriber s ON s.id = t.subscriber_id \
                     WHERE s.state = 'active' AND s.site_id = $1 GROUP BY t.topic")
                .bind(s.id),
            )
            .await?;
        for t in super::offered(&state, s.id).await? {
            let n = by_topic.iter().find(|c| c.topic == t.key).map_or(0, |c| c.n);
            if n > 0 {
                topics.push(context! { site => s.name.clone(), label => t.label, group => t.group, n });
            }
        }
    }
    let sent: Vec<Sent> = state
        .db
        .fetch_all(
            sql("SELECT c.id, c.site_id, c.title, c.published_at, c.alerted_at, \
                 (SELECT COUNT(*) FROM alert_sent a WHERE a.publication_id = c.id) AS recipients \
                 FROM publication c WHERE 1=1")
            .and_within("c.site_id", Some(&ids))
            .push(" ORDER BY c.id DESC LIMIT 20"),
        )
        .await?;
    let runs: Vec<super::DigestRun> =
        state.db.fetch_all(sql("SELECT * FROM digest_run ORDER BY id DESC LIMIT 10")).await?;
    let runs: Vec<_> = runs
        .iter()
        .map(|r| {
            let f = super::domain::Frequency::parse(&r.frequency).map_or("", |f| f.label());
            context! { r => sv(r), label => f }
        })
        .collect();
    state.render(&ctx, "admin/jd_subscriptions.html", context! { rows, topics, sent => sv(&sent), runs })
}
