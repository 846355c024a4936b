//! 动态监测: stations and their metrics, an ingest endpoint with a per-station key (single points
//! or batches, idempotent by metric and time), rollups per hour, day and month (Beijing time) kept
//! at write time with count, mean, min and max, alarms when a value crosses a threshold (a mail to
//! the station's duty address through the outbox, in the same transaction), and the public pages:
//! latest values and AQI (HJ 633-2012) per station, charts over a day, week, month or year with the
//! numbers as a table and CSV. Public pages read the rollups, never the raw points; a missing hour
//! is a gap, not a zero.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use platform::db::{Db, DbResult, Exec, Scalar, sql};
use platform::web::extract::{Path, Query};
use platform::web::{AppError, AppState, Ctx, sv};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aqi;

/// Station kinds: (code, label).
pub const KINDS: [(&str, &str); 4] =
    [("water_level", "水位"), ("storage", "库容"), ("air", "空气质量"), ("emission", "污染源排放")];

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Station {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub org_id: i64,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub key_hash: String,
    pub alarm_email: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Metric {
    pub id: i64,
    pub station_id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub interval_secs: i64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub last_ts: Option<i64>,
    pub last_value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Rollup {
    pub metric_id: i64,
    pub period: String,
    pub start: i64,
    pub n: i64,
    pub total: f64,
    pub min: f64,
    pub max: f64,
}

impl Rollup {
    pub fn mean(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.total / self.n as f64 }
    }
}

// ---- time buckets (pure) --------------------------------------------------------------------------

const BEIJING: i64 = 8 * 3600;

pub fn hour_start(ts: i64) -> i64 {
    ts - ts.rem_euclid(3600)
}

/// The first second of the Beijing day holding `ts`.
pub fn day_start(ts: i64) -> i64 {
    let local = ts + BEIJING;
    local - local.rem_euclid(86_400) - BEIJING
}

/// The first second of the Beijing month holding `ts`, and of the next month.
pub fn month_bounds(ts: i64) -> (i64, i64) {
    let d = time::OffsetDateTime::from_unix_timestamp(ts + BEIJING).map(|t| t.date()).unwrap_or(time::Date::MIN);
    let first = d.replace_day(1).unwrap_or(d);
    let next = if first.month() == time::Month::December {
        time::Date::from_calendar_date(first.year() + 1, time::Month::January, 1)
    } else {
        time::Date::from_calendar_date(first.year(), first.month().next(), 1)
    }
    .unwrap_or(first);
    let at = |d: time::Date| d.midnight().assume_utc().unix_timestamp() - BEIJING;
    (at(first), at(next))
}

/// Beijing time text of a unix second.
fn local(ts: i64, fmt: &[time::format_description::FormatItem<'static>]) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts + BEIJING).ok().and_then(|t| t.format(fmt).ok()).unwrap_or_default()
}

// ---- storage --------------------------------------------------------------------------------------

pub async fn station_by_code(db: &Db, code: &str) -> DbResult<Option<Station>> {
    db.fetch_optional(sql("SELECT * FROM data_station WHERE code = $1").bind(code.to_owned())).await
}

pub async fn stations(db: &Db) -> DbResult<Vec<Station>> {
    db.fetch_all(sql("SELECT * FROM data_station ORDER BY kind, code")).await
}

pub async fn metrics(db: &Db, station_id: i64) -> DbResult<Vec<Metric>> {
    db.fetch_all(sql("SELECT * FROM data_metric WHERE station_id = $1 ORDER BY id").bind(station_id)).await
}

/// A metric as an administrator declares it: `code|名称|单位|采样间隔秒|下限|上限`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub interval_secs: i64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Parses one metric line; errors name the line's problem.
pub fn parse_metric(line: &str) -> Result<MetricSpec, String> {
    let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
    if parts.len() < 3 {
        return Err(format!("“{line}”应写成：代码|名称|单位|采样间隔秒|下限|上限（后三项可省略）"));
    }
    let code = parts[0].to_owned();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(format!("指标代码“{code}”只能用小写字母、数字和下划线"));
    }
    let num = |i: usize, what: &str| -> Result<Option<f64>, String> {
        match parts.get(i).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse::<f64>().map(Some).map_err(|_| format!("指标“{code}”的{what}“{s}”不是数字")),
        }
    };
    let interval = num(3, "采样间隔")?.unwrap_or(3600.0);
    if !(1.0..=86_400.0).contains(&interval) {
        return Err(format!("指标“{code}”的采样间隔应在 1 秒到 86400 秒之间"));
    }
    let (low, high) = (num(4, "下限")?, num(5, "上限")?);
    Ok(MetricSpec {
        code,
        name: parts[1].to_owned(),
        unit: parts[2].to_owned(),
        interval_secs: interval as i64,
        low,
        high,
    })
}

/// A new station as checked by the caller.
pub struct NewStation<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub org_id: i64,
    pub address: &'a str,
    pub alarm_email: &'a str,
    pub metrics: &'a [MetricSpec],
}

/// Creates a station with its metrics; returns its id and its ingest key (shown once).
pub async fn create_station(db: &Db, st: &NewStation<'_>) -> Result<(i64, String), AppError> {
    let NewStation { code, name, kind, org_id, address, alarm_email, metrics: specs } = *st;
    let key = platform::security::random_token(24);
    let now = platform::db::now();
    let mut tx = db.begin().await?;
    let id = match tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO data_station (code, name, kind, org_id, address, key_hash, alarm_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
                .bind(code.to_owned())
                .bind(name.to_owned())
                .bind(kind.to_owned())
                .bind(org_id)
                .bind(address.to_owned())
                .bind(platform::security::sha256_hex(&key))
                .bind(alarm_email.to_owned())
                .bind(now),
        )
        .await
    {
        Ok(id) => id.0,
        Err(e) if e.is_unique_violation() => return Err(AppError::invalid("code", "这个站点代码已被使用")),
        Err(e) => return Err(e.into()),
    };
    for m in specs {
        tx.execute(
            sql("INSERT INTO data_metric (station_id, code, name, unit, interval_secs, low, high) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id)
                .bind(m.code.clone())
                .bind(m.name.clone())
                .bind(m.unit.clone())
                .bind(m.interval_secs)
                .bind(m.low)
                .bind(m.high),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((id, key))
}

/// A new ingest key for a station (the old one stops working); returns it (shown once).
pub async fn rotate_key(db: &Db, station_id: i64) -> DbResult<String> {
    let key = platform::security::random_token(24);
    db.execute(
        sql("UPDATE data_station SET key_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(platform::security::sha256_hex(&key))
            .bind(platform::db::now())
            .bind(station_id),
    )
    .await?;
    Ok(key)
}

// ---- ingest ---------------------------------------------------------------------------------------

/// One point as sent: a metric code, a time (unix seconds or RFC 3339) and a value.
#[derive(Debug, Clone, Deserialize)]
pub struct PointIn {
    pub metric: String,
    pub time: serde_json::Value,
    pub value: f64,
}

fn parse_time(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp()),
        _ => None,
    }
}

/// What an ingest did.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Ingested {
    pub accepted: usize,
    /// (index in the batch, reason)
    pub rejected: Vec<(usize, String)>,
    pub alarms: usize,
}

/// Stores points for a station (a re-sent point replaces the stored one), refreshes the rollups of
/// every hour, day and month they touch, updates each metric's latest value and raises alarms on a
/// threshold crossing — all in one transaction.
pub async fn ingest(db: &Db, station: &Station, points: &[PointIn], now: i64) -> DbResult<Ingested> {
    let ms = metrics(db, station.id).await?;
    let mut out = Ingested::default();
    let mut by_metric: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for (i, p) in points.iter().enumerate() {
        let Some(m) = ms.iter().find(|m| m.code == p.metric) else {
            out.rejected.push((i, format!("站点没有指标“{}”", p.metric)));
            continue;
        };
        let Some(ts) = parse_time(&p.time) else {
            out.rejected.push((i, "时间应为 Unix 秒或 RFC 3339（如 2026-12-06T10:00:00+08:00）".into()));
            continue;
        };
        if ts > now + 600 {
            out.rejected.push((i, "时间晚于当前时间".into()));
            continue;
        }
        if !p.value.is_finite() {
            out.rejected.push((i, "数值无效".into()));
            continue;
        }
        by_metric.entry(m.id).or_default().push((ts, p.value));
    }
    let mut tx = db.begin().await?;
    for (metric_id, pts) in &by_metric {
        let m = ms.iter().find(|m| m.id == *metric_id).expect("grouped by known metrics");
        // ~1,000 parameters a statement (see `import::PARAMS_PER_STATEMENT` for why not more).
        for chunk in pts.chunks(300) {
            let mut q = sql("INSERT INTO data_point (metric_id, ts, value) VALUES ");
            for (i, (ts, v)) in chunk.iter().enumerate() {
                q = q.push_row(i == 0, [(*metric_id).into(), (*ts).into(), (*v).into()]);
            }
            tx.execute(q.push(" ON CONFLICT (metric_id, ts) DO UPDATE SET value = excluded.value")).await?;
        }
        out.accepted += pts.len();
        refresh_rollups(&mut tx, *metric_id, pts.iter().map(|p| p.0)).await?;
        // The latest value, and an alarm when it crosses a threshold.
        let (ts, v) = *pts.iter().max_by_key(|p| p.0).expect("not empty");
        if m.last_ts.is_none_or(|last| ts >= last) {
            let outside = |x: f64| m.high.is_some_and(|h| x > h) || m.low.is_some_and(|l| x < l);
            if outside(v) && !m.last_value.is_some_and(outside) {
                let kind = if m.high.is_some_and(|h| v > h) { "high" } else { "low" };
                tx.execute(
                    sql("INSERT INTO data_alarm (metric_id, ts, value, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(m.id)
                        .bind(ts)
                        .bind(v)
                        .bind(kind)
                        .bind(now),
                )
                .await?;
                out.alarms += 1;
                if !station.alarm_email.is_empty() {
                    let what = if kind == "high" { "超过上限" } else { "低于下限" };
                    let limit = if kind == "high" { m.high } else { m.low }.unwrap_or_default();
                    platform::outbox::enqueue(
                        &mut tx,
                        platform::outbox::Channel::Mail,
                        &station.alarm_email,
                        &format!("【监测告警】{} {}{what}", station.name, m.name),
                        &format!(
                            "{} 的{}在 {} 为 {v} {}，{what}（{limit} {}）。请值班人员核实处置。",
                            station.name,
                            m.name,
                            local(ts, time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]")),
                            m.unit,
                            m.unit
                        ),
                        now,
                    )
                    .await?;
                }
            }
            tx.execute(
                sql("UPDATE data_metric SET last_ts = $1, last_value = $2 WHERE id = $3").bind(ts).bind(v).bind(m.id),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Recomputes the hour rollups of the span the new points touch from the raw points, the day
/// rollups from the hours and the month rollups from the days.
async fn refresh_rollups(tx: &mut platform::db::Tx, metric_id: i64, times: impl Iterator<Item = i64>) -> DbResult<()> {
    let times: BTreeSet<i64> = times.collect();
    let (Some(first), Some(last)) = (times.first().copied(), times.last().copied()) else { return Ok(()) };
    let upsert = " ON CONFLICT (metric_id, period, start) DO UPDATE SET n = excluded.n, total = excluded.total, min = excluded.min, max = excluded.max";
    let (h0, h1) = (hour_start(first), hour_start(last) + 3600);
    tx.execute(
        sql("INSERT INTO data_rollup (metric_id, period, start, n, total, min, max) \
             SELECT metric_id, 'hour', ts - (ts % 3600), COUNT(*), SUM(value), MIN(value), MAX(value) FROM data_point \
             WHERE metric_id = $1 AND ts >= $2 AND ts < $3 GROUP BY metric_id, ts - (ts % 3600)")
        .bind(metric_id)
        .bind(h0)
        .bind(h1)
        .push(upsert),
    )
    .await?;
    let (d0, d1) = (day_start(first), day_start(last) + 86_400);
    tx.execute(
        sql("INSERT INTO data_rollup (metric_id, period, start, n, total, min, max) \
             SELECT metric_id, 'day', (start + 28800) - ((start + 28800) % 86400) - 28800, SUM(n), SUM(total), MIN(min), MAX(max) FROM data_rollup \
             WHERE metric_id = $1 AND period = 'hour' AND start >= $2 AND start < $3 GROUP BY metric_id, (start + 28800) - ((start + 28800) % 86400) - 28800")
        .bind(metric_id)
        .bind(d0)
        .bind(d1)
        .push(upsert),
    )
    .await?;
    let mut m = month_bounds(first);
    while m.0 <= last {
        tx.execute(
            sql("INSERT INTO data_rollup (metric_id, period, start, n, total, min, max) \
                 SELECT metric_id, 'month', $2, SUM(n), SUM(total), MIN(min), MAX(max) FROM data_rollup \
                 WHERE metric_id = $1 AND period = 'day' AND start >= $2 AND start < $3 GROUP BY metric_id")
            .bind(metric_id)
            .bind(m.0)
            .bind(m.1)
            .push(upsert),
        )
        .await?;
        m = month_bounds(m.1);
    }
    Ok(())
}

// ---- reading --------------------------------------------------------------------------------------

/// A chart's span: which rollup and how many slots ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Day,
    Week,
    Month,
    Year,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Day, Range::Week, Range::Month, Range::Year];

    pub fn parse(s: &str) -> Range {
        Range::ALL.into_iter().find(|r| r.code() == s).unwrap_or(Range::Day)
    }

    pub fn code(self) -> &'static str {
        match self {
            Range::Day => "day",
            Range::Week => "week",
            Range::Month => "month",
            Range::Year => "year",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "近 24 小时",
            Range::Week => "近 7 天",
            Range::Month => "近 30 天",
            Range::Year => "近一年",
        }
    }

    /// The rollup period, the slot length and the number of slots.
    fn slots(self) -> (&'static str, i64, i64) {
        match self {
            Range::Day => ("hour", 3600, 24),
            Range::Week => ("hour", 3600, 168),
            Range::Month => ("day", 86_400, 30),
            Range::Year => ("day", 86_400, 365),
        }
    }
}

/// One slot of a series: its start and its rollup (`None`: no data — a gap).
pub struct Slot {
    pub start: i64,
    pub rollup: Option<Rollup>,
}

/// The slots of a range ending at `now`, from the rollups.
pub async fn series(db: &Db, m: &Metric, range: Range, now: i64) -> DbResult<Vec<Slot>> {
    let (period, len, count) = range.slots();
    let last = if period == "hour" { hour_start(now) } else { day_start(now) };
    let first = last - len * (count - 1);
    let rows: Vec<Rollup> = db
        .fetch_all(
            sql("SELECT * FROM data_rollup WHERE metric_id = $1 AND period = $2 AND start >= $3 AND start <= $4 ORDER BY start")
                .bind(m.id)
                .bind(period)
                .bind(first)
                .bind(last),
        )
        .await?;
    let mut by_start: BTreeMap<i64, Rollup> = rows.into_iter().map(|r| (r.start, r)).collect();
    Ok((0..count).map(|i| first + i * len).map(|start| Slot { start, rollup: by_start.remove(&start) }).collect())
}

/// Coverage of a slot: samples received over samples expected.
pub fn coverage(m: &Metric, slot_len: i64, n: i64) -> f64 {
    let expected = (slot_len / m.interval_secs.max(1)).max(1);
    (n as f64 / expected as f64).min(1.0)
}

/// The latest hourly AQI of an air station, from its metrics' latest values.
pub fn station_aqi(ms: &[Metric]) -> Option<(u32, Vec<&'static str>, &'static str, &'static str)> {
    let values: Vec<(&str, f64)> = ms.iter().filter_map(|m| Some((m.code.as_str(), m.last_value?))).collect();
    let (a, primary) = aqi::aqi(&values)?;
    let (label, colour) = aqi::level(a);
    Some((a, primary, label, colour))
}

// ---- pages and the ingest endpoint ----------------------------------------------------------------

/// `POST /api/monitoring/stations/{code}/points` with `X-API-Key`: `{"points": [...]}` or one point.
pub async fn ingest_endpoint(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = |status: StatusCode, v: serde_json::Value| (status, axum::Json(v)).into_response();
    let station = match station_by_code(&state.db, &code).await {
        Ok(Some(s)) => s,
        Ok(None) => return reply(StatusCode::NOT_FOUND, json!({"error": "没有这个监测站点"})),
        Err(_) => return reply(StatusCode::SERVICE_UNAVAILABLE, json!({"error": "数据库暂时不可用，请稍后重发"})),
    };
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or("");
    if key.is_empty() || !platform::security::ct_eq(&platform::security::sha256_hex(key), &station.key_hash) {
        return reply(StatusCode::UNAUTHORIZED, json!({"error": "接入密钥不正确（请求头 X-API-Key）"}));
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Batch { points: Vec<PointIn> },
        One(PointIn),
    }
    let points = match serde_json::from_slice::<Body>(&body) {
        Ok(Body::Batch { points }) => points,
        Ok(Body::One(p)) => vec![p],
        Err(_) => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"error": "请求体应为 {\"points\": [{\"metric\", \"time\", \"value\"}]} 或单个点"}),
            );
        }
    };
    if points.len() > 50_000 {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "一次最多 50000 个点"}));
    }
    match ingest(&state.db, &station, &points, platform::db::now()).await {
        Ok(r) => reply(
            StatusCode::OK,
            json!({"accepted": r.accepted, "alarms": r.alarms, "rejected": r.rejected.iter().map(|(i, m)| json!({"index": i, "reason": m})).collect::<Vec<_>>()}),
        ),
        Err(e) => {
            tracing::error!(error = %e, station = %code, "ingest failed");
            reply(StatusCode::SERVICE_UNAVAILABLE, json!({"error": "写入失败，请稍后重发（同一时间的点重发不会重复）"}))
        }
    }
}

pub async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let mut groups = Vec::new();
    let all = stations(&state.db).await?;
    for (kind, label) in KINDS {
        let mut rows = Vec::new();
        for s in all.iter().filter(|s| s.kind == kind) {
            let ms = metrics(&state.db, s.id).await?;
            let aqi = if kind == "air" { station_aqi(&ms) } else { None };
            let latest: Vec<_> = ms
                .iter()
                .map(|m| context! { name => m.name.clone(), unit => m.unit.clone(), value => m.last_value.map(short),
                    at => m.last_ts.map(|t| local(t, time::macros::format_description!("[month]-[day] [hour]:[minute]"))) })
                .collect();
            rows.push(context! { s => sv(s), latest, aqi => aqi.map(|(a, p, l, c)| context! { value => a, primary => p.join("、"), label => l, colour => c }) });
        }
        if !rows.is_empty() {
            groups.push(context! { label, rows });
        }
    }
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_monitor.html",
            StatusCode::OK,
            context! { title => "动态监测", groups, nav_current => "/shuju/jiance/", crumbs => vec![(String::new(), "动态监测".to_owned())] },
            false,
        )
        .await
}

fn short(v: f64) -> String {
    if v.fract().abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.2}").trim_end_matches('0').to_owned() }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ChartQuery {
    #[serde(default)]
    pub metric: String,
    #[serde(default)]
    pub range: String,
}

struct Table {
    labels: Vec<String>,
    rows: Vec<Vec<String>>,
    values: Vec<Option<f64>>,
}

async fn table(db: &Db, m: &Metric, range: Range, now: i64) -> DbResult<Table> {
    let slots = series(db, m, range, now).await?;
    let hourly = matches!(range, Range::Day | Range::Week);
    let slot_len = if hourly { 3600 } else { 86_400 };
    let label_of = |s: i64| {
        if hourly {
            local(s + 3600, time::macros::format_description!("[month]-[day] [hour]:00"))
        } else {
            local(s, time::macros::format_description!("[year]-[month]-[day]"))
        }
    };
    let mut t = Table { labels: Vec::new(), rows: Vec::new(), values: Vec::new() };
    for s in &slots {
        let label = label_of(s.start);
        t.labels.push(label.clone());
        t.values.push(s.rollup.as_ref().map(Rollup::mean));
        t.rows.push(match &s.rollup {
            Some(r) => vec![
                label,
                short((r.mean() * 100.0).round() / 100.0),
                short(r.min),
                short(r.max),
                format!("{:.0}%", coverage(m, slot_len, r.n) * 100.0),
            ],
            None => vec![label, "无数据".into(), "—".into(), "—".into(), "0%".into()],
        });
    }
    Ok(t)
}

async fn station_and_metric(
    state: &AppState,
    code: &str,
    metric: &str,
) -> Result<(Station, Vec<Metric>, Metric), AppError> {
    let s = station_by_code(&state.db, code).await?.ok_or(AppError::NotFound)?;
    let ms = metrics(&state.db, s.id).await?;
    let m = ms.iter().find(|m| m.code == metric).or(ms.first()).cloned().ok_or(AppError::NotFound)?;
    Ok((s, ms, m))
}

pub async fn station_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ChartQuery>,
) -> Result<Response, AppError> {
    let (s, ms, m) = station_and_metric(&state, &code, &q.metric).await?;
    let range = Range::parse(&q.range);
    let now = platform::db::now();
    let t = table(&state.db, &m, range, now).await?;
    let title = format!("{} {}（{}）", s.name, m.name, range.label());
    let chart = platform::charts::line(&title, &t.labels, &t.values, &m.unit, m.high);
    let gaps = t.values.iter().filter(|v| v.is_none()).count();
    let aqi = if s.kind == "air" { station_aqi(&ms) } else { None };
    let mut rows = t.rows;
    rows.reverse();
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_station.html",
            StatusCode::OK,
            context! { title => s.name.clone(), s => sv(&s), m => sv(&m), metrics => sv(&ms), range => range.code(), range_label => range.label(),
                ranges => Range::ALL.iter().map(|r| (r.code(), r.label())).collect::<Vec<_>>(), chart => minijinja::Value::from_safe_string(chart),
                rows, gaps, hourly => matches!(range, Range::Day | Range::Week),
                aqi => aqi.map(|(a, p, l, c)| context! { value => a, primary => p.join("、"), label => l, colour => c }),
                kind => crate::domain::label(&KINDS, &s.kind), nav_current => "/shuju/jiance/",
                crumbs => vec![("/shuju/jiance/".to_owned(), "动态监测".to_owned()), (String::new(), s.name.clone())] },
            false,
        )
        .await
}

pub async fn station_csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ChartQuery>,
) -> Result<Response, AppError> {
    let (s, _, m) = station_and_metric(&state, &code, &q.metric).await?;
    let range = Range::parse(&q.range);
    let t = table(&state.db, &m, range, platform::db::now()).await?;
    let headers = vec![
        if matches!(range, Range::Day | Range::Week) { "时段（截至）".to_owned() } else { "日期".to_owned() },
        format!("平均（{}）", m.unit),
        format!("最小（{}）", m.unit),
        format!("最大（{}）", m.unit),
        "数据覆盖率".to_owned(),
    ];
    let bytes = crate::catalogue::csv_bytes(&headers, &t.rows);
    let name = format!("{}-{}-{}.csv", s.code, m.code, range.code());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "public, max-age=60".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_beijing_time() {
        // 2026-12-06 00:30 Beijing = 2026-12-05 16:30 UTC.
        let t = time::macros::datetime!(2026-12-05 16:30 UTC).unix_timestamp();
        assert_eq!(hour_start(t), time::macros::datetime!(2026-12-05 16:00 UTC).unix_timestamp());
        assert_eq!(day_start(t), time::macros::datetime!(2026-12-05 16:00 UTC).unix_timestamp(), "Beijing midnight");
        let (a, b) = month_bounds(t);
        assert_eq!(a, time::macros::datetime!(2026-11-30 16:00 UTC).unix_timestamp());
        assert_eq!(b, time::macros::datetime!(2026-12-31 16:00 UTC).unix_timestamp());
        let (_, jan) = month_bounds(b);
        assert_eq!(jan, time::macros::datetime!(2027-01-31 16:00 UTC).unix_timestamp());
    }

    #[test]
    fn metric_lines() {
        let m = parse_metric("pm25|细颗粒物|μg/m³|3600||75").unwrap();
        assert_eq!((m.code.as_str(), m.interval_secs, m.low, m.high), ("pm25", 3600, None, Some(75.0)));
        assert_eq!(parse_metric("level|水位|米").unwrap().interval_secs, 3600);
        assert!(parse_metric("PM25|x|y").is_err());
        assert!(parse_metric("a|b").is_err());
        assert!(parse_metric("a|b|c|0").is_err());
        assert!(parse_metric("a|b|c|60|低").unwrap_err().contains("下限"));
    }

    #[test]
    fn coverage_counts_expected_samples() {
        let m = Metric {
            id: 1,
            station_id: 1,
            code: "x".into(),
            name: "x".into(),
            unit: String::new(),
            interval_secs: 300,
            low: None,
            high: None,
            last_ts: None,
            last_value: None,
        };
        assert_eq!(coverage(&m, 3600, 12), 1.0);
        assert_eq!(coverage(&m, 3600, 3), 0.25);
        assert_eq!(coverage(&m, 86_400, 288), 1.0);
    }
}
