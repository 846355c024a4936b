//! The live stream of an interview: every viewer's page receives new, edited and withdrawn
//! messages through server-sent events, whichever node they are connected to.
//!
//! Each change to an interview's stream raises the interview's `rev` in the writing transaction
//! (the row lock orders writers, so revisions commit in order) and stamps the message with it. A
//! node keeps one [`Channel`] per interview that has viewers: when woken it reads the messages
//! with `rev` above the last it saw and broadcasts them to its viewers. Wakes come from this
//! node's own writes at once, from other nodes through PostgreSQL's `LISTEN`/`NOTIFY` (the
//! writing transaction notifies, so the notice arrives only once the change is visible), and
//! from a short poll of the watched interviews' `rev` (every 250 ms on SQLite, where several
//! processes may share one file; every second on PostgreSQL as a safety net). A viewer first
//! catches up from the database from the revision its page was rendered at (or its
//! `Last-Event-ID`), so a late or reconnecting viewer misses nothing and one message is never
//! sent twice.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use platform::db::{Db, Scalar, sql};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::interview::{self, Message};

/// The PostgreSQL notification channel that carries interview ids between nodes.
pub const NOTIFY_CHANNEL: &str = "zhengwu_interview";

/// One change as viewers receive it (the SSE event's data and id).
#[derive(Debug, Clone, Serialize)]
pub struct Wire {
    pub id: i64,
    pub rev: i64,
    /// The position in the stream (when it was first shown).
    pub order: i64,
    /// `shown`, or `gone` (withdrawn, or never shown): the viewer drops it.
    pub state: &'static str,
    pub speaker: String,
    pub speaker_label: String,
    pub name: String,
    pub body: String,
    /// The photo's public address, or empty.
    pub photo: String,
    pub photo_alt: String,
    pub at: String,
    pub followup: bool,
    pub answer: bool,
}

impl Wire {
    pub fn of(m: &Message) -> Wire {
        let shown = m.state == "shown";
        let speaker = crate::domain::Speaker::parse(&m.speaker);
        Wire {
            id: m.id,
            rev: m.rev,
            order: m.shown_rev.unwrap_or(m.rev),
            state: if shown { "shown" } else { "gone" },
            speaker: m.speaker.clone(),
            speaker_label: speaker.map(|s| s.label()).unwrap_or("").to_owned(),
            name: if shown { m.public_name() } else { String::new() },
            body: if shown { m.public_body() } else { String::new() },
            photo: if shown && !m.photo.is_empty() {
                format!("/canyu/interviews/photos/{}", m.photo)
            } else {
                String::new()
            },
            photo_alt: if shown { m.photo_alt.clone() } else { String::new() },
            at: platform::fmt_time(m.created_at).get(11..).unwrap_or("").to_owned(),
            followup: m.followup,
            answer: m.reply_to.is_some(),
        }
    }
}

struct Channel {
    tx: broadcast::Sender<Arc<Wire>>,
    /// The highest revision broadcast (or current when the channel was made).
    seen: tokio::sync::Mutex<i64>,
}

/// This node's live channels.
pub struct Hub {
    channels: Mutex<HashMap<i64, Arc<Channel>>>,
    started: AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { channels: Mutex::new(HashMap::new()), started: AtomicBool::new(false) }
    }
}

impl Hub {
    fn channel(&self, id: i64, current_rev: i64) -> Arc<Channel> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(id)
            .or_insert_with(|| {
                let (tx, _) = broadcast::channel(1024);
                Arc::new(Channel { tx, seen: tokio::sync::Mutex::new(current_rev) })
            })
            .clone()
    }

    fn watched(&self) -> Vec<(i64, Arc<Channel>)> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, c| c.tx.receiver_count() > 0);
        map.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// Reads what changed in an interview since this node last looked and tells its viewers.
    pub async fn wake(&self, db: &Db, id: i64) {
        let ch = {
            let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(&id) {
                Some(c) => c.clone(),
                None => return,
            }
        };
        let mut seen = ch.seen.lock().await;
        match interview::messages_since(db, id, *seen).await {
            Ok(list) => {
                for m in &list {
                    *seen = (*seen).max(m.rev);
                    let _ = ch.tx.send(Arc::new(Wire::of(m)));
                }
            }
            Err(e) => tracing::warn!(error = %e, interview = id, "live stream read failed"),
        }
    }

    /// Starts this node's listener and poller (once, on the first viewer).
    fn start(self: &Arc<Self>, db: &Db) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let poll = match db {
            Db::Postgres(pool) => {
                let hub = self.clone();
                let (pool, db2) = (pool.clone(), db.clone());
                tokio::spawn(async move {
                    loop {
                        match sqlx::postgres::PgListener::connect_with(&pool).await {
                            Ok(mut l) => {
                                if l.listen(NOTIFY_CHANNEL).await.is_ok() {
                                    while let Ok(n) = l.recv().await {
                                        if let Ok(id) = n.payload().parse::<i64>() {
                                            hub.wake(&db2, id).await;
                                        }
                                    }
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "interview listener could not connect"),
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                });
                Duration::from_secs(1)
            }
            Db::Sqlite(_) => Duration::from_millis(250),
        };
        let hub = self.clone();
        let db = db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for (id, ch) in hub.watched() {
                    let current = db
                        .fetch_optional::<Scalar<i64>>(sql("SELECT rev FROM interview WHERE id = $1").bind(id))
                        .await
                        .ok()
                        .flatten()
                        .map_or(0, |s| s.0);
                    if current > *ch.seen.lock().await {
                        hub.wake(&db, id).await;
                    }
                }
            }
        });
    }

    /// The event stream of one viewer: everything after `since`, then each change as it comes.
    pub fn stream(
        self: &Arc<Self>,
        db: Db,
        id: i64,
        since: i64,
        current_rev: i64,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        self.start(&db);
        let rx = self.channel(id, current_rev).tx.subscribe();
        struct S {
            db: Db,
            id: i64,
            sent: i64,
            backlog: std::collections::VecDeque<Arc<Wire>>,
            rx: broadcast::Receiver<Arc<Wire>>,
            caught_up: bool,
        }
        let start = S { db, id, sent: since, backlog: Default::default(), rx, caught_up: false };
        let events = futures_util::stream::unfold(start, |mut s| async move {
            loop {
                if !s.caught_up {
                    s.caught_up = true;
                    if let Ok(list) = interview::messages_since(&s.db, s.id, s.sent).await {
                        s.backlog.extend(list.iter().map(|m| Arc::new(Wire::of(m))));
                    }
                }
                if let Some(w) = s.backlog.pop_front() {
                    if w.rev <= s.sent {
                        continue;
                    }
                    s.sent = w.rev;
                    return Some((Ok(event(&w)), s));
                }
                match s.rx.recv().await {
                    Ok(w) => s.backlog.push_back(w),
                    // Too slow to keep up: read what was missed from the database.
                    Err(broadcast::error::RecvError::Lagged(_)) => s.caught_up = false,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}

fn event(w: &Wire) -> Event {
    Event::default()
        .event("message")
        .id(w.rev.to_string())
        .data(serde_json::to_string(w).unwrap_or_else(|_| "{}".to_owned()))
}
