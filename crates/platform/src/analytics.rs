//! 访问统计 (access statistics) without third-party trackers. Counting lives in the kernel because a
//! page is counted where it is served — the portal's cached-page fast path and the request layer for
//! every other public page — and it must cost the page nothing: a view is pushed to a list in memory
//! and a job writes the list every few seconds, rolled up per day, month and year.
//!
//! Nothing personal is kept. A visitor is a hash of (site, address, user agent) under a random salt
//! of the day that every node reads from the database; the address lives only in memory until the
//! next flush; the day's salt and visitor hashes are deleted once the day is over, so no stored row
//! can be joined back to an address. Unique visitors are therefore counted per day (a month's or a
//! year's figure is the sum of its days, as in GoatCounter). Bots, prefetches and HEAD requests are
//! not views.
//!
//! Layout: the pure part (classification of a request, [`aggregate`]), then the counter and its
//! flush, then the reads the statistics pages use ([`report`], [`group_totals`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, header};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Arg, Db, DbResult, Exec, sql};

/// What a served page is, as the module serving it knows: its site, and for the portal's pages the
/// channel, the article and the title.
#[derive(Debug, Clone, Default)]
pub struct PageFacts {
    pub site_id: i64,
    pub channel: Option<(i64, Arc<str>)>,
    pub article_id: Option<i64>,
    pub title: Arc<str>,
    /// The words of a site search (results page 1 only).
    pub search_term: Option<String>,
}

/// The device class of a visit, from its user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Desktop,
    Phone,
    Tablet,
}

impl Device {
    pub fn of(user_agent: &str) -> Device {
        if user_agent.contains("iPad") || user_agent.contains("Tablet") {
            Device::Tablet
        } else if user_agent.contains("Android") && !user_agent.contains("Mobile") {
            // Android tablets leave "Mobile" out of their user agent.
            Device::Tablet
        } else if ["Mobile", "iPhone", "Android", "HarmonyOS", "Windows Phone"].iter().any(|m| user_agent.contains(m)) {
            Device::Phone
        } else {
            Device::Desktop
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Phone => "phone",
            Device::Tablet => "tablet",
        }
    }
}

/// The Chinese label of a stored device key.
pub fn device_label(key: &str) -> &'static str {
    match key {
        "desktop" => "电脑",
        "phone" => "手机",
        "tablet" => "平板",
        _ => "其他",
    }
}

/// Crawlers, monitors, feed readers and scripts (and requests without a user agent) are not
/// visitors. Our own availability probes say `Zhengwu-Monitor`.
pub fn is_bot(user_agent: &str) -> bool {
    const MARKS: [&str; 16] = [
        "bot",
        "spider",
        "crawl",
        "slurp",
        "curl",
        "wget",
        "python",
        "java/",
        "go-http-client",
        "httpclient",
        "libwww",
        "scrapy",
        "monitor",
        "headlesschrome",
        "feed",
        "preview",
    ];
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || !ua.contains("mozilla/") && !ua.contains("opera") || MARKS.iter().any(|m| ua.contains(m))
}

/// Where a visit came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Referrer {
    /// Typed, bookmarked, or the referring page sent nothing.
    Direct,
    /// Another page of the same host: not an entry.
    Internal,
    /// Another site, by its domain only (never the full address, which can carry personal data).
    External(String),
}

impl Referrer {
    pub fn of(referer: Option<&str>, host: &str) -> Referrer {
        let Some(domain) = referer.and_then(|r| url::Url::parse(r).ok()).and_then(|u| u.host_str().map(str::to_owned))
        else {
            return Referrer::Direct;
        };
        let host = host.split(':').next().unwrap_or(host);
        if domain.eq_ignore_ascii_case(host) {
            Referrer::Internal
        } else {
            Referrer::External(domain.to_ascii_lowercase().trim_start_matches("www.").to_owned())
        }
    }

    /// A visit that starts here (entry page): from outside or from nowhere.
    pub fn is_entry(&self) -> bool {
        !matches!(self, Referrer::Internal)
    }
}

/// A site-search query as kept in the statistics: trimmed and at most 30 characters; a query that
/// may carry personal data (a run of six or more digits — an ID card, a phone, a case number — or
/// an e-mail address) is not kept.
pub fn search_term(q: &str) -> Option<String> {
    let q: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
    if q.is_empty() || q.contains('@') {
        return None;
    }
    let mut run = 0;
    for c in q.chars() {
        run = if c.is_ascii_digit() || ('０'..='９').contains(&c) { run + 1 } else { 0 };
        if run >= 6 {
            return None;
        }
    }
    Some(q.chars().take(30).collect())
}

/// One counted view, in memory until the next flush.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: i64,
    pub facts: Arc<PageFacts>,
    pub path: String,
    pub referrer: Referrer,
    pub device: Device,
    /// The client address: only in memory, hashed under the day's salt at the flush.
    pub address: String,
    pub user_agent: u64,
}

/// Which set of visitors a visitor is counted once in, per day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Site(i64),
    Channel(i64, i64),
    Page(i64, String),
}

impl Scope {
    /// The stored key: 64 bits of a digest (collisions among a day's scopes are negligible).
    fn key(&self) -> i64 {
        let text = match self {
            Scope::Site(s) => format!("s|{s}"),
            Scope::Channel(s, c) => format!("c|{s}|{c}"),
            Scope::Page(s, p) => format!("p|{s}|{p}"),
        };
        first_i64(&Sha256::digest(text.as_bytes()))
    }
}

fn first_i64(digest: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(b)
}

/// A visitor's hash under the day's salt.
pub fn visitor_hash(salt: &str, site_id: i64, address: &str, user_agent: u64) -> i64 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(site_id.to_le_bytes());
    h.update(address.as_bytes());
    h.update([0]);
    h.update(user_agent.to_le_bytes());
    first_i64(&h.finalize())
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageCount {
    pub title: String,
    pub channel_id: Option<i64>,
    pub article_id: Option<i64>,
    pub views: i64,
    pub entries: i64,
}

/// A flush's counts per day, before the visitors already seen today are known.
#[derive(Debug, Default)]
pub struct Batch {
    /// (site, day) → (views, entries)
    pub totals: HashMap<(i64, String), (i64, i64)>,
    pub pages: HashMap<(i64, String, String), PageCount>,
    /// (site, day, channel) → (name, views)
    pub channels: HashMap<(i64, String, i64), (String, i64)>,
    /// (site, day, dim, value) → count
    pub dims: HashMap<(i64, String, &'static str, String), i64>,
    /// (day, scope, visitor) pairs to count once each.
    pub seen: HashSet<(String, Scope, i64)>,
}

/// Counts `hits` per day; `salt` gives each day's salt. Pure.
pub fn aggregate(hits: &[Hit], salt: &dyn Fn(&str) -> String) -> Batch {
    let mut b = Batch::default();
    let mut salts: HashMap<String, String> = HashMap::new();
    // Views arrive in time order, many in the same second: the day's text is formatted once per second.
    let mut last: (i64, String) = (i64::MIN, String::new());
    for h in hits {
        if h.at != last.0 {
            last = (h.at, crate::fmt_date(h.at));
        }
        let day = last.1.clone();
        let site = h.facts.site_id;
        let s = salts.entry(day.clone()).or_insert_with(|| salt(&day));
        let visitor = visitor_hash(s, site, &h.address, h.user_agent);
        let entry = i64::from(h.referrer.is_entry());
        let t = b.totals.entry((site, day.clone())).or_default();
        t.0 += 1;
        t.1 += entry;
        let p = b.pages.entry((site, day.clone(), h.path.clone())).or_default();
        p.views += 1;
        p.entries += entry;
        if p.title.is_empty() {
            p.title = h.facts.title.to_string();
        }
        p.channel_id = h.facts.channel.as_ref().map(|c| c.0);
        p.article_id = h.facts.article_id;
        b.seen.insert((day.clone(), Scope::Site(site), visitor));
        b.seen.insert((day.clone(), Scope::Page(site, h.path.clone()), visitor));
        if let Some((id, name)) = &h.facts.channel {
            let c = b.channels.entry((site, day.clone(), *id)).or_default();
            c.0 = name.to_string();
            c.1 += 1;
            b.seen.insert((day.clone(), Scope::Channel(site, *id), visitor));
        }
        *b.dims.entry((site, day.clone(), "device", h.device.key().to_owned())).or_default() += 1;
        if let Referrer::External(d) = &h.referrer {
            *b.dims.entry((site, day.clone(), "ref", d.clone())).or_default() += 1;
        }
        if let Some(t) = &h.facts.search_term {
            *b.dims.entry((site, day.clone(), "term", t.clone())).or_default() += 1;
        }
    }
    b
}

/// The periods a day counts towards: the day, its month, its year.
pub fn periods(day: &str) -> [String; 3] {
    [day.to_owned(), day.get(..7).unwrap_or(day).to_owned(), day.get(..4).unwrap_or(day).to_owned()]
}

/// Most views kept in memory while the database cannot take them (then the newest are dropped).
const PENDING_LIMIT: usize = 2_000_000;

/// How often a node writes what it counted. A flush's cost is mostly its rollup rows — one per
/// page, column and dimension seen in the interval, three periods each — not its views, so a longer
/// interval folds more views into each row: at 5 s and 4,000 views a second over 5,000 pages a
/// flush wrote about one rollup row per view and took an eighth of a cached page's throughput.
/// A node that dies loses at most this much of its counting.
const FLUSH_SECONDS: u64 = 15;

/// Most (scope, visitor) pairs of a day a node remembers as already stored (about 16 bytes each).
const KNOWN_LIMIT: usize = 4_000_000;

/// The counter every node keeps: views in memory until [`Analytics::flush`].
pub struct Analytics {
    enabled: bool,
    pending: Mutex<Vec<Hit>>,
    salts: Mutex<HashMap<String, String>>,
    /// Per day, the (scope, visitor) pairs this node knows are stored in `analytics_seen` — it
    /// wrote them or found them there. A returning visitor's site and column pairs are then not
    /// offered to the database again: most of a flush's rows otherwise, and exact all the same,
    /// since a pair is only remembered once it is stored (another node's pairs are still found by
    /// the insert's conflict). Forgotten with the day, or when a day outgrows [`KNOWN_LIMIT`].
    known: Mutex<HashMap<String, HashSet<u64>>>,
}

/// The pair's key in [`Analytics::known`]: the scope's stored key and the visitor hash mixed.
fn known_key(scope: i64, visitor: i64) -> u64 {
    (scope as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ visitor as u64
}

impl Analytics {
    pub fn new(enabled: bool) -> Self {
        Analytics {
            enabled,
            pending: Mutex::new(Vec::new()),
            salts: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts a served page if it is a view: a GET answered 200 or 304, from a browser, not a
    /// prefetch. `host` is the request's host as `web::plain_host` reads it (HTTP/2 requests carry
    /// it in the URI, not a `Host` header), to tell internal referrers from other sites.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        facts: Arc<PageFacts>,
        method: &Method,
        status: u16,
        headers: &HeaderMap,
        host: &str,
        path: &str,
        address: &str,
    ) {
        if !self.enabled || method != Method::GET || !(status == 200 || status == 304) {
            return;
        }
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let ua = text(header::USER_AGENT).unwrap_or("");
        if is_bot(ua) || headers.contains_key("purpose") || headers.contains_key("sec-purpose") {
            return;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        ua.hash(&mut hasher);
        let hit = Hit {
            at: crate::db::now(),
            facts,
            path: path.to_owned(),
            referrer: Referrer::of(text(header::REFERER), host),
            device: Device::of(ua),
            address: address.to_owned(),
            user_agent: hasher.finish(),
        };
        self.add(hit);
    }

    /// Counts a view already classified (demo and benchmark generators replaying an access log).
    pub fn add(&self, hit: Hit) {
        if let Ok(mut p) = self.pending.lock()
            && p.len() < PENDING_LIMIT
        {
            p.push(hit);
        }
    }

    /// Views counted but not yet written.
    pub fn pending(&self) -> usize {
        self.pending.lock().map_or(0, |p| p.len())
    }

    /// Writes what was counted since the last flush (and forgets yesterday's salts and visitor
    /// hashes). Returns how many views were written. On a database error the views are kept for the
    /// next flush.
    pub async fn flush(&self, db: &Db) -> DbResult<usize> {
        let hits = match self.pending.lock() {
            Ok(mut p) => Arc::new(std::mem::take(&mut *p)),
            Err(_) => return Ok(0),
        };
        let n = hits.len();
        if n > 0
            && let Err(e) = self.write(db, hits.clone()).await
        {
            let hits = Arc::try_unwrap(hits).unwrap_or_else(|a| (*a).clone());
            if let Ok(mut p) = self.pending.lock() {
                let room = PENDING_LIMIT.saturating_sub(p.len());
                p.extend(hits.into_iter().take(room));
            }
            return Err(e);
        }
        self.forget_past_days(db).await?;
        Ok(n)
    }

    async fn write(&self, db: &Db, hits: Arc<Vec<Hit>>) -> DbResult<()> {
        let days: HashSet<String> = hits.iter().map(|h| crate::fmt_date(h.at)).collect();
        let mut salts = HashMap::new();
        for d in days {
            let s = self.salt(db, &d).await?;
            salts.insert(d, s);
        }
        // Hashing and counting a few seconds of views is CPU work: off the threads serving pages.
        let batch =
            tokio::task::spawn_blocking(move || aggregate(&hits, &|d| salts.get(d).cloned().unwrap_or_default()))
                .await
                .map_err(|e| crate::db::DbError::Sqlx(sqlx::Error::Protocol(format!("统计汇总失败：{e}"))))?;
        // Pairs already stored are not new visitors: only the others go to the database.
        let offered: Vec<(String, i64, i64)> = {
            let known = self.known.lock().ok();
            let is_known = |d: &str, k: u64| known.as_ref().and_then(|m| m.get(d)).is_some_and(|set| set.contains(&k));
            // A scope's key is a digest: one per scope of the batch, not one per pair.
            let mut keys: HashMap<&Scope, i64> = HashMap::new();
            let mut offered = Vec::new();
            for (d, scope, v) in &batch.seen {
                let s = *keys.entry(scope).or_insert_with(|| scope.key());
                if !is_known(d, known_key(s, *v)) {
                    offered.push((d.clone(), s, *v));
                }
            }
            offered
        };
        let mut tx = db.begin().await?;
        let fresh = insert_seen(&mut tx, &offered).await?;
        write_rollups(&mut tx, &batch, &fresh).await?;
        tx.commit().await?;
        if let Ok(mut known) = self.known.lock() {
            for (d, s, v) in offered {
                let day = known.entry(d).or_default();
                if day.len() >= KNOWN_LIMIT {
                    day.clear();
                }
                day.insert(known_key(s, v));
            }
        }
        Ok(())
    }

    /// The day's salt, shared by all nodes (the first to ask makes it).
    async fn salt(&self, db: &Db, day: &str) -> DbResult<String> {
        if let Some(s) = self.salts.lock().ok().and_then(|g| g.get(day).cloned()) {
            return Ok(s);
        }
        db.execute(
            sql("INSERT INTO analytics_salt (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING")
                .bind(day)
                .bind(crate::security::random_token(32)),
        )
        .await?;
        let s: crate::db::Scalar<String> =
            db.fetch_one(sql("SELECT salt FROM analytics_salt WHERE day = $1").bind(day)).await?;
        if let Ok(mut g) = self.salts.lock() {
            g.insert(day.to_owned(), s.0.clone());
        }
        Ok(s.0)
    }

    /// Deletes the salts and visitor hashes of days that are over (ten minutes after midnight, so
    /// another node's last views of the day still find the salt).
    async fn forget_past_days(&self, db: &Db) -> DbResult<()> {
        let keep_from = crate::fmt_date(crate::db::now() - 600);
        if let Ok(mut g) = self.salts.lock() {
            g.retain(|d, _| *d >= keep_from);
        }
        if let Ok(mut k) = self.known.lock() {
            k.retain(|d, _| *d >= keep_from);
        }
        db.execute(sql("DELETE FROM analytics_salt WHERE day < $1").bind(keep_from.as_str())).await?;
        db.execute(sql("DELETE FROM analytics_seen WHERE day < $1").bind(keep_from.as_str())).await?;
        Ok(())
    }

    /// Flushes every [`FLUSH_SECONDS`] until the process ends.
    pub fn spawn(self: Arc<Self>, db: Db) {
        if !self.enabled {
            return;
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(FLUSH_SECONDS));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.flush(&db).await {
                    tracing::warn!(error = %e, "access statistics not written; will retry");
                }
            }
        });
    }
}

/// Inserts the (day, scope key, visitor) pairs not yet seen; returns how many were new per (day, scope).
async fn insert_seen(tx: &mut crate::db::Tx, rows: &[(String, i64, i64)]) -> DbResult<HashMap<(String, i64), i64>> {
    #[derive(sqlx::FromRow)]
    struct New {
        day: String,
        scope: i64,
    }
    let mut fresh: HashMap<(String, i64), i64> = HashMap::new();
    for chunk in rows.chunks(300) {
        let mut q = sql("INSERT INTO analytics_seen (day, scope, visitor) VALUES ");
        for (i, (d, s, v)) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, [Arg::Text(d.clone()), Arg::Int(*s), Arg::Int(*v)]);
        }
        q = q.push(" ON CONFLICT DO NOTHING RETURNING day, scope");
        for r in tx.fetch_all::<New>(q).await? {
            *fresh.entry((r.day, r.scope)).or_default() += 1;
        }
    }
    Ok(fresh)
}

async fn write_rollups(tx: &mut crate::db::Tx, b: &Batch, fresh: &HashMap<(String, i64), i64>) -> DbResult<()> {
    let new_visitors = |day: &str, scope: Scope| fresh.get(&(day.to_owned(), scope.key())).copied().unwrap_or(0);

    let mut totals: BTreeMap<(i64, String), [i64; 3]> = BTreeMap::new();
    for ((site, day), (views, entries)) in &b.totals {
        let v = new_visitors(day, Scope::Site(*site));
        for p in periods(day) {
            let t = totals.entry((*site, p)).or_default();
            t[0] += views;
            t[1] += v;
            t[2] += entries;
        }
    }
    let rows: Vec<Vec<Arg>> = totals
        .into_iter()
        .map(|((s, p), [views, visitors, entries])| {
            vec![Arg::Int(s), Arg::Text(p), Arg::Int(views), Arg::Int(visitors), Arg::Int(entries)]
        })
        .collect();
    upsert(
        tx,
        "analytics_total (site_id, period, views, visitors, entries)",
        "(site_id, period) DO UPDATE SET views = analytics_total.views + excluded.views, \
         visitors = analytics_total.visitors + excluded.visitors, entries = analytics_total.entries + excluded.entries",
        rows,
    )
    .await?;

    let mut pages: BTreeMap<(i64, String, String), (PageCount, i64)> = BTreeMap::new();
    for ((site, day, path), c) in &b.pages {
        let v = new_visitors(day, Scope::Page(*site, path.clone()));
        for p in periods(day) {
            let e = pages
                .entry((*site, p, path.clone()))
                .or_insert_with(|| (PageCount { views: 0, entries: 0, ..c.clone() }, 0));
            e.0.views += c.views;
            e.0.entries += c.entries;
            e.1 += v;
        }
    }
    let rows: Vec<Vec<Arg>> = pages
        .into_iter()
        .map(|((s, p, path), (c, visitors))| {
            vec![
                Arg::Int(s),
                Arg::Text(p),
                Arg::Text(path),
                Arg::Text(c.title),
                c.channel_id.into(),
                c.article_id.into(),
                Arg::Int(c.views),
                Arg::Int(visitors),
                Arg::Int(c.entries),
            ]
        })
        .collect();
    upsert(
        tx,
        "analytics_page (site_id, period, path, title, channel_id, article_id, views, visitors, entries)",
        "(site_id, period, path) DO UPDATE SET views = analytics_page.views + excluded.views, \
         visitors = analytics_page.visitors + excluded.visitors, entries = analytics_page.entries + excluded.entries, \
         title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE analytics_page.title END, \
         channel_id = excluded.channel_id, article_id = excluded.article_id",
        rows,
    )
    .await?;

    let mut channels: BTreeMap<(i64, String, i64), (String, i64, i64)> = BTreeMap::new();
    for ((site, day, ch), (name, views)) in &b.channels {
        let v = new_visitors(day, Scope::Channel(*site, *ch));
        for p in periods(day) {
            let e = channels.entry((*site, p, *ch)).or_default();
            e.0.clone_from(name);
            e.1 += views;
            e.2 += v;
        }
    }
    let rows: Vec<Vec<Arg>> = channels
        .into_iter()
        .map(|((s, p, ch), (name, views, visitors))| {
            vec![Arg::Int(s), Arg::Text(p), Arg::Int(ch), Arg::Text(name), Arg::Int(views), Arg::Int(visitors)]
        })
        .collect();
    upsert(
        tx,
        "analytics_channel (site_id, period, channel_id, name, views, visitors)",
        "(site_id, period, channel_id) DO UPDATE SET views = analytics_channel.views + excluded.views, \
         visitors = analytics_channel.visitors + excluded.visitors, name = excluded.name",
        rows,
    )
    .await?;

    let mut dims: BTreeMap<(i64, String, &'static str, String), i64> = BTreeMap::new();
    for ((site, day, dim, value), n) in &b.dims {
        for p in periods(day) {
            *dims.entry((*site, p, dim, value.clone())).or_default() += n;
        }
    }
    let rows: Vec<Vec<Arg>> = dims
        .into_iter()
        .map(|((s, p, dim, value), n)| {
            vec![Arg::Int(s), Arg::Text(p), Arg::Text(dim.to_owned()), Arg::Text(value), Arg::Int(n)]
        })
        .collect();
    upsert(
        tx,
        "analytics_dim (site_id, period, dim, value, n)",
        "(site_id, period, dim, value) DO UPDATE SET n = analytics_dim.n + excluded.n",
        rows,
    )
    .await
}

/// Multi-row `INSERT … ON CONFLICT …` in chunks (`table_cols` and `conflict` come from code).
async fn upsert(tx: &mut crate::db::Tx, table_cols: &str, conflict: &str, rows: Vec<Vec<Arg>>) -> DbResult<()> {
    for chunk in rows.chunks(200) {
        let mut q = sql(format!("INSERT INTO {table_cols} VALUES "));
        for (i, r) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, r.iter().cloned());
        }
        q = q.push(" ON CONFLICT ").push(conflict);
        tx.execute(q).await?;
    }
    Ok(())
}

// ---- Reads -------------------------------------------------------------------------------------

/// A statistics period: a year, a month or a day (Beijing dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    Year(i32),
    Month(i32, u8),
    Day(time::Date),
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        match s.len() {
            4 => s.parse().ok().filter(|y| (2000..=2100).contains(y)).map(Period::Year),
            7 => {
                let (y, m) = s.split_once('-')?;
                let m: u8 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
                y.parse().ok().filter(|y| (2000..=2100).contains(y)).map(|y| Period::Month(y, m))
            }
            10 => crate::calendar::date(s).map(Period::Day),
            _ => None,
        }
    }

    /// The stored key (`2026`, `2026-12`, `2026-12-06`).
    pub fn key(&self) -> String {
        match self {
            Period::Year(y) => format!("{y:04}"),
            Period::Month(y, m) => format!("{y:04}-{m:02}"),
            Period::Day(d) => crate::calendar::date_text(*d),
        }
    }

    /// How people read it (2026年, 2026年12月, 2026年12月6日).
    pub fn label(&self) -> String {
        match self {
            Period::Year(y) => format!("{y}年"),
            Period::Month(y, m) => format!("{y}年{m}月"),
            Period::Day(d) => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        }
    }

    /// The sub-periods a chart of this period shows (a year's months, a month's days).
    pub fn slots(&self) -> Vec<String> {
        match self {
            Period::Year(y) => (1..=12).map(|m| format!("{y:04}-{m:02}")).collect(),
            Period::Month(y, m) => {
                let month = time::Month::try_from(*m).unwrap_or(time::Month::January);
                (1..=month.length(*y)).map(|d| format!("{y:04}-{m:02}-{d:02}")).collect()
            }
            Period::Day(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Totals {
    pub views: i64,
    pub visitors: i64,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SlotRow {
    pub period: String,
    pub views: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PageRow {
    pub path: String,
    pub title: String,
    pub article_id: Option<i64>,
    pub views: i64,
    pub visitors: i64,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ChannelRow {
    pub channel_id: i64,
    pub name: String,
    pub views: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DimRow {
    pub value: String,
    pub n: i64,
}

/// One site's statistics for a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub totals: Totals,
    /// The chart's slots in order, empty slots as zeros.
    pub slots: Vec<SlotRow>,
    pub pages: Vec<PageRow>,
    pub articles: Vec<PageRow>,
    pub entries: Vec<PageRow>,
    pub channels: Vec<ChannelRow>,
    pub referrers: Vec<DimRow>,
    pub terms: Vec<DimRow>,
    pub devices: Vec<DimRow>,
}

/// A site's statistics for `period`; `top` rows of each list.
pub async fn report(db: &Db, site_id: i64, period: &Period, top: i64) -> DbResult<Report> {
    let key = period.key();
    let totals = db
        .fetch_optional::<Totals>(
            sql("SELECT views, visitors, entries FROM analytics_total WHERE site_id = $1 AND period = $2")
                .bind(site_id)
                .bind(key.as_str()),
        )
        .await?
        .unwrap_or_default();
    let slots = period.slots();
    let mut slot_rows = Vec::with_capacity(slots.len());
    if let (Some(first), Some(last)) = (slots.first(), slots.last()) {
        let stored: HashMap<String, SlotRow> = db
            .fetch_all::<SlotRow>(
                sql("SELECT period, views, visitors FROM analytics_total WHERE site_id = $1 AND period >= $2 AND period <= $3")
                    .bind(site_id)
                    .bind(first.as_str())
                    .bind(last.as_str()),
            )
            .await?
            .into_iter()
            .filter(|r| r.period.len() == first.len())
            .map(|r| (r.period.clone(), r))
            .collect();
        for s in slots {
            slot_rows.push(stored.get(&s).cloned().unwrap_or(SlotRow { period: s, views: 0, visitors: 0 }));
        }
    }
    let pages = |order: &'static str, articles_only: bool| {
        sql(format!(
            "SELECT path, title, article_id, views, visitors, entries FROM analytics_page WHERE site_id = $1 AND period = $2{} \
             ORDER BY {order} DESC, path LIMIT $3",
            if articles_only { " AND article_id IS NOT NULL" } else { "" }
        ))
        .bind(site_id)
        .bind(key.as_str())
        .bind(top)
    };
    let dims = |dim: &'static str| {
        sql("SELECT value, n FROM analytics_dim WHERE site_id = $1 AND period = $2 AND dim = $3 ORDER BY n DESC, value LIMIT $4")
            .bind(site_id)
            .bind(key.as_str())
            .bind(dim)
            .bind(top)
    };
    Ok(Report {
        totals,
        slots: slot_rows,
        pages: db.fetch_all(pages("views", false)).await?,
        articles: db.fetch_all(pages("views", true)).await?,
        entries: db.fetch_all::<PageRow>(pages("entries", false)).await?.into_iter().filter(|p| p.entries > 0).collect(),
        channels: db
            .fetch_all(
                sql("SELECT channel_id, name, views, visitors FROM analytics_channel WHERE site_id = $1 AND period = $2 \
                     ORDER BY views DESC, channel_id LIMIT $3")
                    .bind(site_id)
                    .bind(key.as_str())
                    .bind(top),
            )
            .await?,
        referrers: db.fetch_all(dims("ref")).await?,
        terms: db.fetch_all(dims("term")).await?,
        devices: db.fetch_all(dims("device")).await?,
    })
}

/// Every site's totals for a period (site id → totals), for the group view and the annual report.
pub async fn group_totals(db: &Db, period: &Period) -> DbResult<HashMap<i64, Totals>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        site_id: i64,
        views: i64,
        visitors: i64,
        entries: i64,
    }
    Ok(db
        .fetch_all::<Row>(
            sql("SELECT site_id, views, visitors, entries FROM analytics_total WHERE period = $1").bind(period.key()),
        )
        .await?
        .into_iter()
        .map(|r| (r.site_id, Totals { views: r.views, visitors: r.visitors, entries: r.entries }))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    const IPHONE: &str =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0";
    const PAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1";
    const ANDROID_TAB: &str = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
    const ANDROID_PHONE: &str =
        "Mozilla/5.0 (Linux; Android 14; HUAWEI) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";

    #[test]
    fn devices_are_classed_from_the_user_agent() {
        assert_eq!(Device::of(CHROME), Device::Desktop);
        assert_eq!(Device::of(IPHONE), Device::Phone);
        assert_eq!(Device::of(PAD), Device::Tablet);
        assert_eq!(Device::of(ANDROID_TAB), Device::Tablet);
        assert_eq!(Device::of(ANDROID_PHONE), Device::Phone);
        assert_eq!(device_label(Device::Phone.key()), "手机");
    }

    #[test]
    fn bots_scripts_and_monitors_are_not_visitors() {
        for ua in [
            "",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "Sogou web spider/4.0",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "curl/8.5.0",
            "python-requests/2.31",
            "Zhengwu-Monitor/1.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
            "Go-http-client/1.1",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
        for ua in [CHROME, IPHONE, PAD, ANDROID_PHONE] {
            assert!(!is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn referrers_keep_only_the_domain_of_other_sites() {
        assert_eq!(Referrer::of(None, "www.gov.cn"), Referrer::Direct);
        assert_eq!(Referrer::of(Some("not a url"), "www.gov.cn"), Referrer::Direct);
        assert_eq!(Referrer::of(Some("http://127.0.0.1:8080/c/3/"), "127.0.0.1:8080"), Referrer::Internal);
        assert_eq!(
            Referrer::of(Some("https://www.baidu.com/s?wd=%E5%8A%9E%E4%BA%8B"), "www.hrb.gov.cn"),
            Referrer::External("baidu.com".into())
        );
        assert!(Referrer::of(None, "x").is_entry());
        assert!(!Referrer::Internal.is_entry());
    }

    #[test]
    fn search_terms_that_may_be_personal_are_not_kept() {
        assert_eq!(search_term("  营业执照   办理 "), Some("营业执照 办理".into()));
        assert_eq!(search_term("230102199001011234"), None);
        assert_eq!(search_term("投诉 13812345678"), None);
        assert_eq!(search_term("zhang@example.cn"), None);
        assert_eq!(search_term("２０２６１２０６"), None);
        assert_eq!(search_term("2026年 政府工作报告"), Some("2026年 政府工作报告".into()));
        assert_eq!(search_term(""), None);
        assert_eq!(search_term(&"长".repeat(50)).map(|t| t.chars().count()), Some(30));
    }

    fn hit(at: i64, site: i64, path: &str, address: &str, referrer: Referrer) -> Hit {
        Hit {
            at,
            facts: Arc::new(PageFacts {
                site_id: site,
                channel: Some((7, Arc::from("本地要闻"))),
                article_id: Some(1),
                title: Arc::from("标题"),
                search_term: None,
            }),
            path: path.into(),
            referrer,
            device: Device::Desktop,
            address: address.into(),
            user_agent: 1,
        }
    }

    #[test]
    fn a_visitor_is_counted_once_per_day_and_scope_and_never_by_address() {
        let day1 = 1_780_000_000; // a Beijing afternoon
        let day2 = day1 + 86_400;
        let hits = vec![
            hit(day1, 1, "/a/1.html", "10.0.0.1", Referrer::Direct),
            hit(day1 + 60, 1, "/a/1.html", "10.0.0.1", Referrer::Internal),
            hit(day1 + 90, 1, "/a/2.html", "10.0.0.1", Referrer::Internal),
            hit(day1 + 99, 1, "/a/1.html", "10.0.0.2", Referrer::External("baidu.com".into())),
            hit(day2, 1, "/a/1.html", "10.0.0.1", Referrer::Direct),
        ];
        let b = aggregate(&hits, &|d: &str| format!("salt-{d}"));
        let d1 = crate::fmt_date(day1);
        assert_eq!(b.totals[&(1, d1.clone())], (4, 2));
        assert_eq!(b.pages[&(1, d1.clone(), "/a/1.html".into())].views, 3);
        let site_visitors_day1 = b.seen.iter().filter(|(d, s, _)| *d == d1 && *s == Scope::Site(1)).count();
        assert_eq!(site_visitors_day1, 2);
        assert_eq!(b.seen.iter().filter(|(_, s, _)| *s == Scope::Site(1)).count(), 3);
        assert_eq!(b.dims[&(1, d1.clone(), "ref", "baidu.com".into())], 1);
        // A different day's salt makes the same visitor another hash.
        let v1 = visitor_hash("salt-a", 1, "10.0.0.1", 1);
        assert_ne!(v1, visitor_hash("salt-b", 1, "10.0.0.1", 1));
        assert_ne!(v1, visitor_hash("salt-a", 2, "10.0.0.1", 1));
        assert_eq!(periods("2026-12-06"), ["2026-12-06".to_owned(), "2026-12".into(), "2026".into()]);
    }

    #[test]
    fn periods_parse_and_name_their_slots() {
        assert_eq!(Period::parse("2026"), Some(Period::Year(2026)));
        assert_eq!(Period::parse("2026-02").map(|p| p.slots().len()), Some(28));
        assert_eq!(Period::parse("2024-02").map(|p| p.slots().len()), Some(29));
        assert_eq!(Period::parse("2026-13"), None);
        assert_eq!(Period::parse("1999"), None);
        assert_eq!(Period::parse("2026-12-06").map(|p| p.label()), Some("2026年12月6日".into()));
        assert_eq!(Period::Year(2026).slots()[11], "2026-12");
    }
}
