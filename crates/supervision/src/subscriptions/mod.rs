//! 订阅 (subscriptions): citizens subscribe without an account, by mail or SMS, to the topics a
//! site offers (its columns, new consultations — each module names its own through
//! `Module::subscription_topics`), confirm by a link or a code (double opt-in), and hear about
//! what was published at once or in a daily or weekly digest; every message carries a one-click
//! way out (RFC 8058 for mail). Publications arrive as kernel content changes
//! (`platform::changes`); this module matches them to subscribers by topic and queues messages in
//! the outbox together with the records that say they were sent, so no node, retry or restart
//! sends anything twice.
//!
//! Layout: `domain` (pure rules and wording), this file (storage, sending, jobs), `public` (the
//! citizen's pages under `/dingyue/`), `admin` (figures for the site's office).

pub mod admin;
pub mod domain;
pub mod public;

use std::collections::{BTreeMap, HashMap};

use platform::changes::Topic;
use platform::db::{Arg, Db, DbResult, Exec, sql};
use platform::outbox::{Channel, Outgoing};
use platform::sealed::{Sealed, SealedColumns, lookup_hash};
use platform::web::portal::GroupSite;
use platform::web::{AppError, AppState};

use domain::{Frequency, Item, Links, State, Via};

/// Where subscribers' addresses are sealed at rest.
pub static SEALED: SealedColumns =
    SealedColumns { table: "subscriber", columns: &["address"], hashes: &[("address_hash", "address")] };

/// Minutes before another confirmation or management message goes to the same address.
const RESEND_SECONDS: i64 = 600;
/// Subscription requests per client address per hour.
const REQUESTS_PER_HOUR: i64 = 10;
/// Subscribers handled per transaction when sending.
const BATCH: i64 = 1000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscriber {
    pub id: i64,
    pub site_id: i64,
    pub channel: String,
    #[sqlx(try_from = "String")]
    pub address: Sealed,
    pub frequency: String,
    pub state: String,
    pub nonce: String,
    pub code_hash: String,
    pub code_attempts: i64,
    pub contacted_at: i64,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub ended_at: Option<i64>,
}

impl Subscriber {
    pub fn via(&self) -> Via {
        Via::parse(&self.channel).unwrap_or(Via::Mail)
    }
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Ended)
    }
    pub fn frequency(&self) -> Frequency {
        Frequency::parse(&self.frequency).unwrap_or(Frequency::Daily)
    }
    /// The secret in its links: the id and a keyed hash of it with the subscriber's nonce (a new
    /// nonce on every new request makes older links void).
    pub fn token(&self) -> String {
        token(self.id, &self.nonce)
    }
    pub fn masked(&self) -> String {
        domain::mask(self.via(), &self.address.0)
    }
}

fn token(id: i64, nonce: &str) -> String {
    format!("{id}.{}", &lookup_hash(&format!("subscription:{id}:{nonce}"))[..32])
}

/// The subscriber a link's token names, if the token is genuine.
pub async fn by_token(db: &Db, t: &str) -> DbResult<Option<Subscriber>> {
    let Some(id) = t.split_once('.').and_then(|(id, _)| id.parse::<i64>().ok()) else { return Ok(None) };
    let s: Option<Subscriber> = db.fetch_optional(sql("SELECT * FROM subscriber WHERE id = $1").bind(id)).await?;
    Ok(s.filter(|s| platform::security::ct_eq(&s.token(), t)))
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Subscriber>> {
    db.fetch_optional(sql("SELECT * FROM subscriber WHERE id = $1").bind(id)).await
}

pub async fn topics_of(db: &Db, subscriber_id: i64) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(sql("SELECT topic FROM subscription WHERE subscriber_id = $1 ORDER BY topic").bind(subscriber_id))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The topics a site offers, from every module.
pub async fn offered(state: &AppState, site_id: i64) -> Result<Vec<Topic>, AppError> {
    state.modules.subscription_topics(state, site_id).await
}

/// A site and its public address (as the monitor probes it: the configured public address, its
/// own host, or its path under the group's address) — never taken from a request's Host header.
pub async fn site_and_base(state: &AppState, site_id: i64) -> Result<(GroupSite, String), AppError> {
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let site = sites.into_iter().find(|s| s.id == site_id).ok_or(AppError::NotFound)?;
    let setting = crate::monitor::settings(&state.db).await?.into_iter().find(|s| s.site_id == site_id);
    let base = crate::probe::address(
        &site,
        setting.as_ref().map_or("", |s| s.probe_url.as_str()),
        &crate::monitor::group_base(state),
    );
    let base = if base.ends_with('/') { base } else { format!("{base}/") };
    Ok((site, base))
}

/// The group address (the portal's), where `/dingyue/` lives.
async fn group_address(state: &AppState) -> Result<String, AppError> {
    let sites = platform::web::portal::group_sites(&state.db).await?;
    match sites.first() {
        Some(p) if p.path_prefix.is_empty() => Ok(site_and_base(state, p.id).await?.1),
        _ => Ok(format!("{}/", crate::monitor::group_base(state))),
    }
}

fn links(group: &str, s: &Subscriber) -> Links {
    let t = s.token();
    Links { manage: format!("{group}dingyue/manage/{t}"), unsubscribe: format!("{group}dingyue/unsubscribe/{t}") }
}

/// What a subscription request led to, for the page the citizen sees next.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Requested {
    pub subscriber_id: i64,
    pub via: String,
    pub masked: String,
    /// `confirm` (a link or code is on its way), `already` (already subscribed: the management
    /// link was sent), `wait` (a message went out minutes ago; nothing new was sent).
    pub outcome: String,
}

/// Files a checked request: a new or renewed subscriber waiting for confirmation, with the
/// confirmation sent through the outbox.
pub async fn request(
    state: &AppState,
    site_id: i64,
    req: &domain::Request,
    client: &str,
) -> Result<Requested, AppError> {
    let now = platform::db::now();
    let from = lookup_hash(client);
    let recent = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM subscriber WHERE requested_from = $1 AND contacted_at > $2")
                .bind(from.as_str())
                .bind(now - 3600),
        )
        .await?;
    if recent >= REQUESTS_PER_HOUR {
        return Err(AppError::TooManyRequests("订阅申请太频繁了，请一小时后再试".into()));
    }
    let (site, _) = site_and_base(state, site_id).await?;
    let group = group_address(state).await?;
    let hash = lookup_hash(&req.address);
    let existing: Option<Subscriber> = state
        .db
        .fetch_optional(
            sql("SELECT * FROM subscriber WHERE site_id = $1 AND channel = $2 AND address_hash = $3")
                .bind(site_id)
                .bind(req.via.code())
                .bind(hash.as_str()),
        )
        .await?;
    let labels = topic_labels(state, site_id, &req.topics).await?;
    let masked = domain::mask(req.via, &req.address);
    let mut tx = state.db.begin().await?;
    let (sub, outcome) = match existing {
        // Already subscribed: nobody may change it without its links, so send them again.
        Some(s) if s.state() == State::Active => {
            if now - s.contacted_at < RESEND_SECONDS {
                return Ok(Requested {
                    subscriber_id: s.id,
                    via: req.via.code().into(),
                    masked,
                    outcome: "wait".into(),
                });
            }
            let l = links(&group, &s);
            let (subject, body) = (
                format!("【{}】您的订阅", site.name),
                format!(
                    "您已订阅{}的信息（{}）。\n修改订阅：{}\n退订：{}\n如果不是您本人操作，请忽略本邮件。\n",
                    site.name,
                    s.frequency().label(),
                    l.manage,
                    l.unsubscribe
                ),
            );
            let text = format!("【{}】您已订阅本站信息。管理订阅请访问 {}", site.name, l.manage);
            queue_one(&mut tx, req.via, &req.address, &subject, if req.via == Via::Sms { &text } else { &body }, "")
                .await?;
            tx.execute(
                sql("UPDATE subscriber SET contacted_at = $1, requested_from = $2 WHERE id = $3")
                    .bind(now)
                    .bind(from.as_str())
                    .bind(s.id),
            )
            .await?;
            tx.commit().await?;
            state.wake_outbox();
            return Ok(Requested {
                subscriber_id: s.id,
                via: req.via.code().into(),
                masked,
                outcome: "already".into(),
            });
        }
        Some(s) if s.state() == State::Pending && now - s.contacted_at < RESEND_SECONDS => {
            return Ok(Requested { subscriber_id: s.id, via: req.via.code().into(), masked, outcome: "wait".into() });
        }
        Some(s) => {
            tx.execute(
                sql("UPDATE subscriber SET state = 'pending', frequency = $1, nonce = $2, code_hash = '', code_attempts = 0, \
                     created_at = $3, confirmed_at = NULL, ended_at = NULL, ended_how = '' WHERE id = $4")
                .bind(req.frequency.code())
                .bind(platform::security::random_token(12))
                .bind(now)
                .bind(s.id),
            )
            .await?;
            tx.execute(sql("DELETE FROM subscription WHERE subscriber_id = $1").bind(s.id)).await?;
            (s.id, "confirm")
        }
        None => {
            let ids: Vec<(i64,)> = tx
                .fetch_all(
                    sql("INSERT INTO subscriber (site_id, channel, address, address_hash, frequency, state, nonce, created_at) \
                         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id")
                    .bind(site_id)
                    .bind(req.via.code())
                    .bind(platform::sealed::seal(&req.address))
                    .bind(hash.as_str())
                    .bind(req.frequency.code())
                    .bind(platform::security::random_token(12))
                    .bind(now),
                )
                .await?;
            (ids.first().map(|r| r.0).ok_or_else(|| AppError::Internal("订阅未能保存".into()))?, "confirm")
        }
    };
    for t in &req.topics {
        tx.execute(sql("INSERT INTO subscription (subscriber_id, topic) VALUES ($1, $2)").bind(sub).bind(t.as_str()))
            .await?;
    }
    let nonce: (String,) = tx.fetch_one(sql("SELECT nonce FROM subscriber WHERE id = $1").bind(sub)).await?;
    let mut code_hash = String::new();
    match req.via {
        Via::Mail => {
            let url = format!("{group}dingyue/confirm/{}", token(sub, &nonce.0));
            let (subject, body) = domain::confirm_mail(&site.name, &labels, &url);
            queue_one(&mut tx, Via::Mail, &req.address, &subject, &body, "").await?;
        }
        Via::Sms => {
            let code = platform::security::random_digits(6);
            code_hash = lookup_hash(&format!("{sub}:{code}"));
            queue_one(&mut tx, Via::Sms, &req.address, "订阅确认码", &domain::confirm_sms(&site.name, &code), "")
                .await?;
        }
    }
    tx.execute(
        sql("UPDATE subscriber SET contacted_at = $1, requested_from = $2, code_hash = $3 WHERE id = $4")
            .bind(now)
            .bind(from.as_str())
            .bind(code_hash)
            .bind(sub),
    )
    .await?;
    tx.commit().await?;
    state.wake_outbox();
    Ok(Requested { subscriber_id: sub, via: req.via.code().into(), masked, outcome: outcome.into() })
}

async fn queue_one(
    tx: &mut platform::db::Tx,
    via: Via,
    to: &str,
    subject: &str,
    body: &str,
    unsubscribe: &str,
) -> DbResult<()> {
    let channel = if via == Via::Sms { Channel::Sms } else { Channel::Mail };
    platform::outbox::enqueue_many(
        tx,
        &[Outgoing {
            channel,
            to: to.into(),
            subject: subject.into(),
            body: body.into(),
            unsubscribe: unsubscribe.into(),
        }],
    )
    .await
}

/// The labels of topics (for the confirmation and the pages), in the site's order.
pub async fn topic_labels(state: &AppState, site_id: i64, keys: &[String]) -> Result<Vec<String>, AppError> {
    Ok(offered(state, site_id).await?.into_iter().filter(|t| keys.contains(&t.key)).map(|t| t.label).collect())
}

/// Confirms a mail subscription from its link; `false` when the link is too old.
pub async fn confirm(state: &AppState, s: &Subscriber) -> Result<bool, AppError> {
    let now = platform::db::now();
    match s.state() {
        State::Active => Ok(true),
        State::Pending if now - s.created_at <= domain::CONFIRM_DAYS * 86_400 => {
            state
                .db
                .execute(
                    sql(
                        "UPDATE subscriber SET state = 'active', confirmed_at = $1 WHERE id = $2 AND state = 'pending'",
                    )
                    .bind(now)
                    .bind(s.id),
                )
                .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Confirms an SMS subscription with the code sent to the phone.
pub async fn confirm_code(state: &AppState, s: &Subscriber, code: &str) -> Result<(), AppError> {
    let now = platform::db::now();
    if s.state() == State::Active {
        return Ok(());
    }
    if s.state() != State::Pending || now - s.created_at > domain::CONFIRM_DAYS * 86_400 {
        return Err(AppError::invalid("code", "确认码已过期，请重新订阅"));
    }
    if s.code_attempts >= domain::CODE_ATTEMPTS {
        return Err(AppError::invalid("code", "确认码输错次数过多，请重新订阅以获取新的确认码"));
    }
    let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    if code.len() != 6 || !platform::security::ct_eq(&lookup_hash(&format!("{}:{code}", s.id)), &s.code_hash) {
        state
            .db
            .execute(sql("UPDATE subscriber SET code_attempts = code_attempts + 1 WHERE id = $1").bind(s.id))
            .await?;
        let left = domain::CODE_ATTEMPTS - s.code_attempts - 1;
        return Err(AppError::invalid("code", format!("确认码不正确（还可再试 {left} 次）")));
    }
    state
        .db
        .execute(
            sql("UPDATE subscriber SET state = 'active', confirmed_at = $1, code_hash = '' WHERE id = $2")
                .bind(now)
                .bind(s.id),
        )
        .await?;
    Ok(())
}

/// Changes what an active subscriber receives (from the management page).
pub async fn update(state: &AppState, s: &Subscriber, frequency: Frequency, topics: &[String]) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    tx.execute(sql("UPDATE subscriber SET frequency = $1 WHERE id = $2").bind(frequency.code()).bind(s.id)).await?;
    tx.execute(sql("DELETE FROM subscription WHERE subscriber_id = $1").bind(s.id)).await?;
    for t in topics {
        tx.execute(sql("INSERT INTO subscription (subscriber_id, topic) VALUES ($1, $2)").bind(s.id).bind(t.as_str()))
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Ends a subscription (`how`: `link`, `one-click`); nothing more is sent from now on.
pub async fn unsubscribe(db: &Db, s: &Subscriber, how: &str) -> DbResult<()> {
    db.execute(
        sql("UPDATE subscriber SET state = 'ended', ended_at = $1, ended_how = $2 WHERE id = $3 AND state <> 'ended'")
            .bind(platform::db::now())
            .bind(how)
            .bind(s.id),
    )
    .await?;
    Ok(())
}

/// A text message a subscriber sent back through the SMS gateway: a stop word (回复TD退订) ends
/// every SMS subscription of that number and confirms by SMS; anything else is ignored. Returns
/// how many subscriptions ended. The number is matched by its keyed hash, never stored in clear.
pub async fn sms_reply(state: &AppState, phone: &str, text: &str) -> Result<usize, AppError> {
    if !domain::is_stop_reply(text) {
        return Ok(0);
    }
    let phone: String = phone.trim().trim_start_matches("+86").chars().filter(char::is_ascii_digit).collect();
    let hash = lookup_hash(&phone);
    let subs: Vec<Subscriber> = state
        .db
        .fetch_all(
            sql("SELECT * FROM subscriber WHERE channel = 'sms' AND address_hash = $1 AND state <> 'ended'")
                .bind(hash.as_str()),
        )
        .await?;
    for s in &subs {
        unsubscribe(&state.db, s, "sms-reply").await?;
    }
    if !subs.is_empty() {
        let mut tx = state.db.begin().await?;
        platform::outbox::enqueue_many(
            &mut tx,
            &[Outgoing {
                channel: Channel::Sms,
                to: phone.clone(),
                subject: String::new(),
                body: "您已退订政府网站信息订阅，不会再收到订阅短信。".into(),
                unsubscribe: String::new(),
            }],
        )
        .await?;
        tx.commit().await?;
        state.wake_outbox();
    }
    Ok(subs.len())
}

// ---- sending ------------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    site_id: i64,
    title: String,
    path: String,
    summary: String,
    published_at: i64,
}

/// Site names and addresses, looked up once per run.
#[derive(Default)]
struct Sites(HashMap<i64, (String, String)>);

impl Sites {
    async fn get(&mut self, state: &AppState, id: i64) -> Result<(String, String), AppError> {
        if let Some(v) = self.0.get(&id) {
            return Ok(v.clone());
        }
        let (site, base) = site_and_base(state, id).await?;
        self.0.insert(id, (site.name.clone(), base.clone()));
        Ok((site.name, base))
    }
}

async fn item(sites: &mut Sites, state: &AppState, c: &ChangeRow) -> Result<Item, AppError> {
    let (_, base) = sites.get(state, c.site_id).await?;
    Ok(Item {
        title: c.title.clone(),
        summary: c.summary.clone(),
        url: format!("{base}{}", c.path),
        published_at: c.published_at,
    })
}

fn message(via: Via, to: String, subject: String, body: String, sms: String, unsubscribe: &str) -> Outgoing {
    match via {
        Via::Mail => Outgoing { channel: Channel::Mail, to, subject, body, unsubscribe: unsubscribe.into() },
        Via::Sms => {
            Outgoing {
                channel: Channel::Sms, to, subject: "订阅信息".into(), body: sms, unsubscribe: String::new()
            }
        }
    }
}

/// Sends immediate alerts for publications not yet alerted; returns how many messages were
/// queued. Safe on several nodes at once: a subscriber is queued only with its `alert_sent` row.
pub async fn run_immediate(state: &AppState) -> Result<usize, AppError> {
    let changes: Vec<ChangeRow> = state
        .db
        .fetch_all(sql("SELECT id, site_id, title, path, summary, published_at FROM publication WHERE alerted_at IS NULL ORDER BY id LIMIT 20"))
        .await?;
    if changes.is_empty() {
        return Ok(0);
    }
    let group = group_address(state).await?;
    let mut sites = Sites::default();
    let mut queued = 0;
    for c in &changes {
        let it = item(&mut sites, state, c).await?;
        let mut after = 0i64;
        loop {
            let batch: Vec<Subscriber> = state
                .db
                .fetch_all(
                    sql("SELECT * FROM subscriber s WHERE s.state = 'active' AND s.frequency = 'immediate' AND s.id > $1 \
                         AND EXISTS (SELECT 1 FROM subscription t JOIN publication_topic ct ON ct.topic = t.topic \
                                     WHERE t.subscriber_id = s.id AND ct.publication_id = $2) \
                         AND NOT EXISTS (SELECT 1 FROM alert_sent a WHERE a.publication_id = $2 AND a.subscriber_id = s.id) \
                         ORDER BY s.id LIMIT $3")
                    .bind(after)
                    .bind(c.id)
                    .bind(BATCH),
                )
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let mut tx = state.db.begin().await?;
            let fresh = claim(&mut tx, "alert_sent", "publication_id", c.id, &batch).await?;
            let mut out = Vec::new();
            for s in batch.iter().filter(|s| fresh.contains(&s.id)) {
                let (site_name, _) = sites.get(state, s.site_id).await?;
                let l = links(&group, s);
                let (subject, body) = domain::alert_mail(&site_name, &it, &l);
                let text = domain::alert_sms(&site_name, std::slice::from_ref(&it), 1, &l.unsubscribe);
                out.push(message(s.via(), s.address.0.clone(), subject, body, text, &l.unsubscribe));
            }
            platform::outbox::enqueue_many(&mut tx, &out).await?;
            tx.commit().await?;
            queued += out.len();
            state.wake_outbox();
        }
        state
            .db
            .execute(sql("UPDATE publication SET alerted_at = $1 WHERE id = $2").bind(platform::db::now()).bind(c.id))
            .await?;
    }
    Ok(queued)
}

/// Inserts the (key, subscriber) send records; returns the subscribers whose record is new.
async fn claim(
    tx: &mut platform::db::Tx,
    table: &'static str,
    key_column: &'static str,
    key: i64,
    batch: &[Subscriber],
) -> DbResult<std::collections::HashSet<i64>> {
    let mut fresh = std::collections::HashSet::new();
    for chunk in batch.chunks(300) {
        let mut q = sql(format!("INSERT INTO {table} ({key_column}, subscriber_id) VALUES "));
        for (i, s) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, [Arg::Int(key), Arg::Int(s.id)]);
        }
        let rows: Vec<(i64,)> = tx.fetch_all(q.push(" ON CONFLICT DO NOTHING RETURNING subscriber_id")).await?;
        fresh.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(fresh)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct DigestRun {
    pub id: i64,
    pub frequency: String,
    pub period: String,
    pub window_from: i64,
    pub window_to: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub sent: i64,
}

/// Starts the digest runs due at `now` and carries every unfinished run to its end (a run a
/// node left half done is finished by the next tick on any node). Returns messages queued.
pub async fn run_digests(state: &AppState, now: i64) -> Result<usize, AppError> {
    for f in [Frequency::Daily, Frequency::Weekly] {
        let Some((period, slot)) = domain::latest_slot(f, now) else { continue };
        let (from, to) = domain::window(f, slot);
        state
            .db
            .execute(
                sql("INSERT INTO digest_run (frequency, period, window_from, window_to, started_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (frequency, period) DO NOTHING")
                .bind(f.code())
                .bind(period)
                .bind(from)
                .bind(to)
                .bind(now),
            )
            .await?;
    }
    let runs: Vec<DigestRun> =
        state.db.fetch_all(sql("SELECT * FROM digest_run WHERE finished_at IS NULL ORDER BY id")).await?;
    let mut queued = 0;
    for r in runs {
        queued += run_digest(state, &r).await?;
    }
    Ok(queued)
}

async fn run_digest(state: &AppState, run: &DigestRun) -> Result<usize, AppError> {
    let frequency = Frequency::parse(&run.frequency).unwrap_or(Frequency::Daily);
    let group = group_address(state).await?;
    let mut sites = Sites::default();
    let mut queued = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<Subscriber> = state
            .db
            .fetch_all(
                sql("SELECT * FROM subscriber s WHERE s.state = 'active' AND s.frequency = $1 AND s.id > $2 \
                     AND NOT EXISTS (SELECT 1 FROM digest_sent d WHERE d.run_id = $3 AND d.subscriber_id = s.id) \
                     ORDER BY s.id LIMIT $4")
                .bind(run.frequency.as_str())
                .bind(after)
                .bind(run.id)
                .bind(BATCH),
            )
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        // Each subscriber's matching publications in the window, newest first.
        #[derive(sqlx::FromRow)]
        struct Match {
            subscriber_id: i64,
            id: i64,
            site_id: i64,
            title: String,
            path: String,
            summary: String,
            published_at: i64,
        }
        let q = sql("SELECT DISTINCT t.subscriber_id, c.id, c.site_id, c.title, c.path, c.summary, c.published_at \
                     FROM subscription t JOIN publication_topic ct ON ct.topic = t.topic \
                     JOIN publication c ON c.id = ct.publication_id \
                     WHERE c.published_at >= $1 AND c.published_at < $2 AND t.subscriber_id IN (")
        .bind(run.window_from)
        .bind(run.window_to)
        .push_bind_list(batch.iter().map(|s| s.id))
        .push(") ORDER BY t.subscriber_id, c.published_at DESC, c.id DESC");
        let matches: Vec<Match> = state.db.fetch_all(q).await?;
        let mut per: BTreeMap<i64, Vec<ChangeRow>> = BTreeMap::new();
        for m in matches {
            per.entry(m.subscriber_id).or_default().push(ChangeRow {
                id: m.id,
                site_id: m.site_id,
                title: m.title,
                path: m.path,
                summary: m.summary,
                published_at: m.published_at,
            });
        }
        let mut tx = state.db.begin().await?;
        let fresh = claim(&mut tx, "digest_sent", "run_id", run.id, &batch).await?;
        let mut out = Vec::new();
        for s in batch.iter().filter(|s| fresh.contains(&s.id)) {
            let Some(changes) = per.get(&s.id) else { continue };
            let (site_name, _) = sites.get(state, s.site_id).await?;
            let mut items = Vec::new();
            for c in changes.iter().take(domain::DIGEST_ITEMS) {
                items.push(item(&mut sites, state, c).await?);
            }
            let l = links(&group, s);
            let (subject, body) = domain::digest_mail(&site_name, frequency, run.window_to, &items, changes.len(), &l);
            let text = domain::alert_sms(&site_name, &items, changes.len(), &l.unsubscribe);
            out.push(message(s.via(), s.address.0.clone(), subject, body, text, &l.unsubscribe));
        }
        platform::outbox::enqueue_many(&mut tx, &out).await?;
        tx.execute(sql("UPDATE digest_run SET sent = sent + $1 WHERE id = $2").bind(out.len() as i64).bind(run.id))
            .await?;
        tx.commit().await?;
        queued += out.len();
        state.wake_outbox();
    }
    state
        .db
        .execute(
            sql("UPDATE digest_run SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL")
                .bind(platform::db::now())
                .bind(run.id),
        )
        .await?;
    Ok(queued)
}

/// Forgets what need not be kept (as GOV.UK's alerts do): requests never confirmed after
/// [`domain::CONFIRM_DAYS`], the address of those who left after [`domain::ERASE_DAYS`],
/// publications and digest records after a year.
pub async fn prune(db: &Db, now: i64) -> DbResult<()> {
    db.execute(
        sql("DELETE FROM subscriber WHERE state = 'pending' AND created_at < $1")
            .bind(now - domain::CONFIRM_DAYS * 86_400),
    )
    .await?;
    db.execute(
        sql("UPDATE subscriber SET address = '', address_hash = '', requested_from = '' WHERE state = 'ended' AND ended_at < $1 AND address <> ''")
            .bind(now - domain::ERASE_DAYS * 86_400),
    )
    .await?;
    db.execute(sql("DELETE FROM publication WHERE published_at < $1").bind(now - 365 * 86_400)).await?;
    db.execute(sql("DELETE FROM digest_run WHERE started_at < $1").bind(now - 365 * 86_400)).await?;
    Ok(())
}

/// Sends alerts every few seconds, digests when due, and prunes once a day.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = platform::db::now();
            if let Err(e) = run_immediate(&state).await {
                tracing::warn!(error = %e, "subscription alerts failed; will retry");
            }
            if let Err(e) = run_digests(&state, now).await {
                tracing::warn!(error = %e, "subscription digests failed; will retry");
            }
            if let Ok(true) =
                platform::jobs::claim_period(&state.db, "subscriptions.prune", &platform::fmt_date(now)).await
                && let Err(e) = prune(&state.db, now).await
            {
                tracing::warn!(error = %e, "subscription pruning failed");
            }
        }
    });
}
