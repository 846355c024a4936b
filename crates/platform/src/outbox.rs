//! The outbox: mail and text messages that a committed change asks for. A transition writes its
//! messages in its own transaction (`workflow::apply`), other writes queue them after they commit
//! (`AppState::send_mail`), so a change that fails never tells anyone anything. A worker delivers
//! them, retrying mail with growing pauses while the SMTP relay is down; a message that still fails
//! after [`MAX_ATTEMPTS`] is kept as 失败 for an operator to see and send again. Several nodes may
//! run the worker: each message is claimed with a conditional update before it is sent.

use futures_util::StreamExt;

use crate::db::{self, Arg, Db, DbResult, Exec, sql};
use crate::mail::Mailer;
use crate::sms::Sms;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Mail,
    Sms,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Sms => "sms",
        }
    }
}

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long a claimed message stays with the node that claimed it (longer than one SMTP exchange).
const CLAIM_SECONDS: i64 = 120;

/// Seconds to wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff(attempts: i64) -> i64 {
    (60i64 << attempts.clamp(1, 12).saturating_sub(1)).min(6 * 3600)
}

/// Records a message for delivery from `not_before` on (now, for every message a change asks
/// for), on a pool or inside a transaction.
pub async fn enqueue(
    ex: &mut impl Exec,
    channel: Channel,
    to: &str,
    subject: &str,
    body: &str,
    not_before: i64,
) -> DbResult<()> {
    let now = db::now();
    ex.execute(
        sql("INSERT INTO outbox (channel, recipient, subject, body, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(channel.code())
            .bind(crate::sealed::seal(to))
            .bind(subject)
            .bind(body)
            .bind(not_before.max(now))
            .bind(now),
    )
    .await?;
    Ok(())
}

/// One message of a bulk send (subscription alerts and digests), queued with others in one
/// statement.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The one-click unsubscribe address (RFC 8058 `List-Unsubscribe`); empty for personal mail.
    pub unsubscribe: String,
}

/// Queues many messages for delivery now, 200 rows per statement (inside the caller's
/// transaction, so they go with the records saying they were sent).
pub async fn enqueue_many(ex: &mut impl Exec, messages: &[Outgoing]) -> DbResult<()> {
    let now = db::now();
    for chunk in messages.chunks(200) {
        let mut q =
            sql("INSERT INTO outbox (channel, recipient, subject, body, unsubscribe, next_at, created_at) VALUES ");
        for (i, m) in chunk.iter().enumerate() {
            q = q.push_row(
                i == 0,
                [
                    Arg::from(m.channel.code()),
                    crate::sealed::seal(&m.to).into(),
                    m.subject.as_str().into(),
                    m.body.as_str().into(),
                    m.unsubscribe.as_str().into(),
                    now.into(),
                    now.into(),
                ],
            );
        }
        ex.execute(q).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Message {
    pub id: i64,
    /// `mail` or `sms`.
    pub channel: String,
    #[serde(skip)]
    pub recipient: String,
    pub subject: String,
    #[serde(skip)]
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_error: String,
    #[serde(skip)]
    pub unsubscribe: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Messages per delivery round.
const ROUND: usize = 200;

/// Sends one message of a round (mail only while the relay has not failed in this round).
async fn deliver_one(m: &Message, mailer: &Mailer, sms: &Sms, relay_down: &std::sync::atomic::AtomicBool) -> Outcome {
    use std::sync::atomic::Ordering;
    let to = crate::sealed::open(&m.recipient).unwrap_or_default();
    if m.channel == Channel::Sms.code() {
        sms.send(&to, &m.body);
        return Outcome::Sent;
    }
    if relay_down.load(Ordering::Relaxed) {
        return Outcome::Skipped;
    }
    match mailer.deliver_list(&to, &m.subject, &m.body, &m.unsubscribe).await {
        Ok(()) => Outcome::Sent,
        Err(e) => {
            relay_down.store(true, Ordering::Relaxed);
            Outcome::Failed(e)
        }
    }
}

/// What became of one message in a round.
enum Outcome {
    Sent,
    Failed(String),
    /// Not tried: the relay failed earlier in the round.
    Skipped,
}

/// Delivers the messages due at `now` (at most [`ROUND`] per round), stopping at the first failed mail.
/// Mail waits while no relay is configured; text messages go to the SMS gateway.
pub async fn deliver_due(db: &Db, mailer: &Mailer, sms: &Sms, now: i64) -> DbResult<Round> {
    let due: Vec<Message> = db
        .fetch_all(
            sql("SELECT * FROM outbox WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2")
                .bind(now)
                .bind(ROUND as i64),
        )
        .await?;
    let mut round = Round::default();
    if due.is_empty() {
        return Ok(round);
    }
    // One statement claims the round: a row another node claimed meanwhile has its `next_at`
    // moved past `now` and is not returned, so no message is sent by two nodes.
    let claimed: Vec<(i64,)> = db
        .fetch_all(
            sql("UPDATE outbox SET next_at = $1 WHERE state = 'pending' AND next_at <= $2 AND id IN (")
                .bind(now + CLAIM_SECONDS)
                .bind(now)
                .push_bind_list(due.iter().map(|m| m.id))
                .push(") RETURNING id"),
        )
        .await?;
    let claimed: std::collections::HashSet<i64> = claimed.into_iter().map(|r| r.0).collect();
    let mine: Vec<Message> = due.into_iter().filter(|m| claimed.contains(&m.id)).collect();
    // When the relay fails, it is most likely down for the rest of the mail as well: that mail is
    // left for the next round rather than waiting out a timeout per message (attempts not used
    // up, claims released so it is due again at once) — but text messages, which do not go
    // through the relay, are still sent now (a verification code must not wait for the mail).
    // The round's first mail goes alone, so a relay that is down costs one attempt and one
    // timeout; once it went through, up to `RELAY_CONNECTIONS` mails are in flight at once.
    let relay_down = std::sync::atomic::AtomicBool::new(false);
    let first_mail = mine.iter().position(|m| m.channel != Channel::Sms.code()).unwrap_or(mine.len());
    let mut outcomes: Vec<(&Message, Outcome)> = Vec::with_capacity(mine.len());
    for m in &mine[..(first_mail + 1).min(mine.len())] {
        outcomes.push((m, deliver_one(m, mailer, sms, &relay_down).await));
    }
    let mut waiting = mine[outcomes.len()..].iter();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    loop {
        while in_flight.len() < crate::mail::RELAY_CONNECTIONS {
            let Some(m) = waiting.next() else { break };
            let relay_down = &relay_down;
            in_flight.push(async move { (m, deliver_one(m, mailer, sms, relay_down).await) });
        }
        match in_flight.next().await {
            Some(done) => outcomes.push(done),
            None => break,
        }
    }
    // Sent messages are marked in one statement per round. A node that dies between a send and
    // this write sends those messages again once their claim lapses: at least once, never lost.
    let sent: Vec<i64> = outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Sent)).map(|(m, _)| m.id).collect();
    if !sent.is_empty() {
        db.execute(
            sql("UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id IN (")
                .bind(now)
                .push_bind_list(sent.iter().copied())
                .push(")"),
        )
        .await?;
        round.sent = sent.len();
    }
    let mut skipped: Vec<i64> = Vec::new();
    for (m, outcome) in outcomes {
        match outcome {
            Outcome::Sent => {}
            Outcome::Skipped => skipped.push(m.id),
            Outcome::Failed(e) => {
                let attempts = m.attempts + 1;
                let state = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                // The error text of an SMTP exchange can quote the address; keep only its first line
                // without anything that looks like one.
                let error: String = e
                    .lines()
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter(|w| !w.contains('@'))
                    .collect::<Vec<_>>()
                    .join(" ");
                db.execute(
                    sql("UPDATE outbox SET state = $1, attempts = $2, next_at = $3, last_error = $4 WHERE id = $5")
                        .bind(state)
                        .bind(attempts)
                        .bind(now + backoff(attempts))
                        .bind(error.chars().take(300).collect::<String>())
                        .bind(m.id),
                )
                .await?;
                tracing::warn!(outbox_id = m.id, attempts, state, "mail delivery failed");
                if state == "failed" {
                    round.failed += 1;
                } else {
                    round.retrying += 1;
                }
            }
        }
    }
    if !skipped.is_empty() {
        db.execute(
            sql("UPDATE outbox SET next_at = $1 WHERE state = 'pending' AND id IN (")
                .bind(now)
                .push_bind_list(skipped)
                .push(")"),
        )
        .await?;
    }
    Ok(round)
}

/// Messages not yet delivered (pending and failed), newest first, for the operators' list.
pub async fn undelivered(db: &Db) -> DbResult<Vec<Message>> {
    db.fetch_all(sql("SELECT * FROM outbox WHERE state <> 'sent' ORDER BY id DESC LIMIT 500")).await
}

/// Puts a failed message back in the queue for one more round of attempts.
pub async fn retry(db: &Db, id: i64) -> DbResult<bool> {
    let n = db
        .execute(
            sql("UPDATE outbox SET state = 'pending', attempts = 0, next_at = $1 WHERE id = $2 AND state = 'failed'")
                .bind(db::now())
                .bind(id),
        )
        .await?;
    Ok(n == 1)
}

/// What waits for a system administrator: mail that failed for good (red on the workbench, and
/// beside 待发邮件 in the menu).
pub fn todo_source() -> crate::web::TodoSource {
    std::sync::Arc::new(|state, auth| {
        Box::pin(async move {
            if !auth.holds_anywhere(crate::roles::Perm::SystemSettings) {
                return Ok(Vec::new());
            }
            let count = state.db.count(sql("SELECT COUNT(*) FROM outbox WHERE state = 'failed'")).await?;
            Ok(vec![crate::web::Todo {
                section: "系统管理",
                label: "发送失败的邮件",
                count,
                href: "/admin/outbox".into(),
                urgent: true,
                nav: Some("/admin/outbox"),
            }])
        })
    })
}

/// Runs delivery rounds: when woken by a new message, and every 30 seconds for retries.
pub fn spawn_worker(db: Db, mailer: Mailer, sms: Sms, wake: std::sync::Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        loop {
            match deliver_due(&db, &mailer, &sms, db::now()).await {
                // A full round with nothing failing: more are due (a bulk send), go on at once.
                Ok(r) if r.sent >= ROUND && r.retrying == 0 && r.failed == 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox round failed"),
            }
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), wake.notified()).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_stop_at_six_hours() {
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(2), 120);
        assert_eq!(backoff(4), 480);
        assert_eq!(backoff(20), 6 * 3600);
        assert!((1..MAX_ATTEMPTS).all(|a| backoff(a) < backoff(a + 1) || backoff(a) == 6 * 3600));
    }
}
