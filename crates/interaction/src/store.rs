//! Storage of mailboxes, categories, letters, their transitions and attachments, and Open311 keys.
//! Reads and writes only; the rules are in `domain`, and `service` combines them with
//! permissions and audit.

use platform::db::{Arg, Db, DbResult, Exec, Q, Scalar, Tx, now, sql};
use platform::module::BoxFuture;
use platform::sealed::{SealedColumns, lookup_hash, seal};
use platform::workflow::{self, Contribution, Flow, Tally, TallySource, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::Counts;

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Mailbox {
    pub id: i64,
    pub site_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub intro: String,
    pub accept_days: i64,
    pub reply_days: i64,
    pub warn_days: i64,
    pub publish_replies: bool,
    pub unit_ids: String,
    pub active: bool,
    pub sort_order: i64,
}

impl Mailbox {
    /// The org units letters of this mailbox may be assigned to (empty: any).
    pub fn units(&self) -> Vec<i64> {
        self.unit_ids.split(',').filter_map(|s| s.trim().parse().ok()).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub mailbox_id: i64,
    pub name: String,
    pub sort_order: i64,
}

/// The letter columns stored sealed; values written in clear by an older version are sealed at start.
pub const SEALED: SealedColumns = SealedColumns {
    table: "letter",
    columns: &["phone", "email", "id_number", "address"],
    hashes: &[("phone_hash", "phone"), ("email_hash", "email")],
};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Letter {
    pub id: i64,
    pub no: String,
    #[serde(skip)]
    pub query_hash: String,
    pub mailbox_id: i64,
    pub category_id: Option<i64>,
    pub state: String,
    pub subject: String,
    pub content: String,
    pub writer_name: String,
    /// The writer's contacts and identity, encrypted at rest (found by `phone_hash`/`email_hash`).
    #[sqlx(try_from = "String")]
    pub phone: platform::sealed::Sealed,
    #[sqlx(try_from = "String")]
    pub email: platform::sealed::Sealed,
    #[sqlx(try_from = "String")]
    pub id_number: platform::sealed::Sealed,
    #[sqlx(try_from = "String")]
    pub address: platform::sealed::Sealed,
    pub consent_publish: bool,
    pub anonymous_public: bool,
    pub ip: String,
    pub flagged_words: String,
    pub source: String,
    pub unit_id: Option<i64>,
    pub co_unit_ids: String,
    pub submitted_at: i64,
    pub accept_due: String,
    pub accepted_at: Option<i64>,
    pub due_date: Option<String>,
    pub extended_days: i64,
    pub extension_days: i64,
    pub extension_reason: String,
    pub reject_reason: String,
    pub reply: String,
    /// The handler's saved draft of the reply (not yet submitted).
    pub reply_draft: String,
    pub reply_unit_id: Option<i64>,
    pub replied_at: Option<i64>,
    pub reply_workdays: Option<i64>,
    pub on_time: Option<bool>,
    pub public_subject: String,
    pub public_content: String,
    pub public_reply: String,
    pub public_writer: String,
    pub published: bool,
    pub published_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub satisfaction: Option<String>,
    pub rating_comment: String,
    pub reopened: bool,
    pub supervised: i64,
    pub updated_at: i64,
}

/// A letter's recorded transition.
pub type Event = platform::workflow::Event;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub letter_id: i64,
    pub name: String,
    pub stored: String,
    pub size: i64,
    pub mime: String,
}

// ---- mailboxes ----------------------------------------------------------------------------------

pub async fn mailboxes(db: &Db) -> DbResult<Vec<Mailbox>> {
    db.fetch_all(sql("SELECT * FROM mailbox ORDER BY sort_order, id")).await
}

pub async fn mailbox(db: &Db, id: i64) -> DbResult<Option<Mailbox>> {
    db.fetch_optional(sql("SELECT * FROM mailbox WHERE id = $1").bind(id)).await
}

pub async fn mailbox_by_code(db: &Db, code: &str) -> DbResult<Option<Mailbox>> {
    db.fetch_optional(sql("SELECT * FROM mailbox WHERE code = $1").bind(code)).await
}

pub async fn save_mailbox(db: &Db, m: &Mailbox) -> DbResult<i64> {
    if m.id == 0 {
        let id: Scalar<i64> = db
            .fetch_one(
                sql("INSERT INTO mailbox (site_id, code, name, kind, intro, accept_days, reply_days, warn_days, publish_replies, unit_ids, active, sort_order, created_at) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id")
                .bind(m.site_id).bind(&m.code).bind(&m.name).bind(&m.kind).bind(&m.intro).bind(m.accept_days).bind(m.reply_days)
                .bind(m.warn_days).bind(m.publish_replies).bind(&m.unit_ids).bind(m.active).bind(m.sort_order).bind(now()),
            )
            .await?;
        Ok(id.0)
    } else {
        db.execute(
            sql("UPDATE mailbox SET site_id=$1, code=$2, name=$3, kind=$4, intro=$5, accept_days=$6, reply_days=$7, warn_days=$8, \
                 publish_replies=$9, unit_ids=$10, active=$11, sort_order=$12 WHERE id=$13")
            .bind(m.site_id).bind(&m.code).bind(&m.name).bind(&m.kind).bind(&m.intro).bind(m.accept_days).bind(m.reply_days)
            .bind(m.warn_days).bind(m.publish_replies).bind(&m.unit_ids).bind(m.active).bind(m.sort_order).bind(m.id),
        )
        .await?;
        Ok(m.id)
    }
}

pub async fn categories(db: &Db, mailbox_id: i64) -> DbResult<Vec<Category>> {
    db.fetch_all(sql("SELECT * FROM mailbox_category WHERE mailbox_id = $1 ORDER BY sort_order, id").bind(mailbox_id))
        .await
}

pub async fn all_categories(db: &Db) -> DbResult<Vec<Category>> {
    db.fetch_all(sql("SELECT * FROM mailbox_category ORDER BY mailbox_id, sort_order, id")).await
}

/// Replaces a mailbox's category list by names, keeping the ids of names that stay (letters refer
/// to them). A removed category that letters use is kept.
pub async fn set_categories(db: &Db, mailbox_id: i64, names: &[String]) -> DbResult<()> {
    let existing = categories(db, mailbox_id).await?;
    let mut tx = db.begin().await?;
    for (i, name) in names.iter().enumerate() {
        let order = i64::try_from(i).unwrap_or(0);
        if let Some(c) = existing.iter().find(|c| &c.name == name) {
            tx.execute(sql("UPDATE mailbox_category SET sort_order = $1 WHERE id = $2").bind(order).bind(c.id)).await?;
        } else {
            tx.execute(
                sql("INSERT INTO mailbox_category (mailbox_id, name, sort_order) VALUES ($1,$2,$3)")
                    .bind(mailbox_id)
                    .bind(name)
                    .bind(order),
            )
            .await?;
        }
    }
    for c in existing.iter().filter(|c| !names.contains(&c.name)) {
        let used = tx.count(sql("SELECT COUNT(*) FROM letter WHERE category_id = $1").bind(c.id)).await?;
        if used == 0 {
            tx.execute(sql("DELETE FROM mailbox_category WHERE id = $1").bind(c.id)).await?;
        }
    }
    tx.commit().await
}

// ---- letters ------------------------------------------------------------------------------------

/// A new letter as the service has checked it.
pub struct NewLetter<'a> {
    pub mailbox_id: i64,
    pub category_id: Option<i64>,
    pub subject: &'a str,
    pub content: &'a str,
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub id_number: &'a str,
    pub address: &'a str,
    pub consent_publish: bool,
    pub anonymous_public: bool,
    pub ip: &'a str,
    pub flagged_words: &'a str,
    pub source: &'a str,
    pub query_hash: &'a str,
    pub accept_due: &'a str,
    /// `YYYYMMDD` of the submission day: the letter number is this plus the id.
    pub day: &'a str,
    pub at: i64,
}

/// Stores a new letter and its first event; returns (id, letter number).
pub async fn insert_letter(
    db: &Db,
    l: &NewLetter<'_>,
    attachments: &[(String, String, i64, String)],
) -> DbResult<(i64, String)> {
    let mut tx = db.begin().await?;
    let temp_no = platform::intake::temporary_number();
    let id: Scalar<i64> = tx
        .fetch_one(
            sql("INSERT INTO letter (no, query_hash, mailbox_id, category_id, state, subject, content, writer_name, phone, email, id_number, address, \
                 consent_publish, anonymous_public, ip, flagged_words, source, submitted_at, accept_due, updated_at, phone_hash, email_hash) \
                 VALUES ($1,$2,$3,$4,'submitted',$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$17,$19,$20) RETURNING id")
            .bind(&temp_no).bind(l.query_hash).bind(l.mailbox_id).bind(l.category_id).bind(l.subject).bind(l.content).bind(l.name)
            .bind(seal(l.phone)).bind(seal(l.email)).bind(seal(l.id_number)).bind(seal(l.address)).bind(l.consent_publish).bind(l.anonymous_public)
            .bind(l.ip).bind(l.flagged_words).bind(l.source).bind(l.at).bind(l.accept_due).bind(lookup_hash(l.phone)).bind(lookup_hash(l.email)),
        )
        .await?;
    let no = platform::intake::assign_number(&mut tx, "letter", id.0, l.day, 6).await?;
    for (name, stored, size, mime) in attachments {
        tx.execute(
            sql("INSERT INTO letter_attachment (letter_id, name, stored, size, mime, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
                .bind(id.0)
                .bind(name)
                .bind(stored)
                .bind(*size)
                .bind(mime)
                .bind(l.at),
        )
        .await?;
    }
    let first =
        Transition {
            action: "submit", from: "", to: "submitted", step: 0, actor: "公众", actor_id: None, comment: ""
        };
    workflow::record(&mut tx, &FLOW, id.0, &first, l.at).await?;
    let c = crate::domain::contribution(crate::domain::State::Submitted, None, None, None, false);
    TALLY.add(&mut tx, &tally_key(l.mailbox_id, None, l.at), &tally_values(&c)).await?;
    tx.commit().await?;
    Ok((id.0, no))
}

pub async fn letter(db: &Db, id: i64) -> DbResult<Option<Letter>> {
    db.fetch_optional(sql("SELECT * FROM letter WHERE id = $1").bind(id)).await
}

pub async fn letter_by_no(db: &Db, no: &str) -> DbResult<Option<Letter>> {
    db.fetch_optional(sql("SELECT * FROM letter WHERE no = $1").bind(no)).await
}

pub async fn events(db: &Db, letter_id: i64) -> DbResult<Vec<Event>> {
    workflow::events(db, &FLOW, letter_id).await
}

pub async fn attachments(db: &Db, letter_id: i64) -> DbResult<Vec<Attachment>> {
    db.fetch_all(sql("SELECT * FROM letter_attachment WHERE letter_id = $1 ORDER BY id").bind(letter_id)).await
}

pub async fn attachment(db: &Db, id: i64) -> DbResult<Option<Attachment>> {
    db.fetch_optional(sql("SELECT * FROM letter_attachment WHERE id = $1").bind(id)).await
}

/// Letters as a workflow: their transitions are recorded and applied by the kernel.
pub static FLOW: Flow = Flow { name: "letter", table: "letter", versioned: true };

/// The letters' statistics counters: one row per mailbox × unit × day of submission.
pub static TALLY: Tally = Tally {
    table: "letter_tally",
    keys: &["mailbox_id", "unit_id", "day"],
    fields: &[
        "received",
        "accepted",
        "rejected",
        "completed",
        "completed_on_time",
        "handling_workdays",
        "rated",
        "satisfied",
        "basic",
        "unsatisfied",
        "published",
        "in_progress",
    ],
};

/// The columns of a letter that its statistics depend on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TallyFacts {
    pub mailbox_id: i64,
    pub unit_id: Option<i64>,
    pub submitted_at: i64,
    pub state: String,
    pub on_time: Option<bool>,
    pub reply_workdays: Option<i64>,
    pub satisfaction: Option<String>,
    pub published: bool,
}

const TALLY_COLS: &str = "mailbox_id, unit_id, submitted_at, state, on_time, reply_workdays, satisfaction, published";

fn tally_key(mailbox_id: i64, unit_id: Option<i64>, submitted_at: i64) -> Vec<Arg> {
    vec![Arg::Int(mailbox_id), Arg::Int(unit_id.unwrap_or(0)), Arg::Text(platform::fmt_date(submitted_at))]
}

impl TallyFacts {
    pub fn contribution(&self) -> Counts {
        let state = crate::domain::State::parse(&self.state).unwrap_or(crate::domain::State::Submitted);
        crate::domain::contribution(
            state,
            self.on_time,
            self.reply_workdays,
            self.satisfaction.as_deref(),
            self.published,
        )
    }

    fn counted(&self) -> Contribution {
        (tally_key(self.mailbox_id, self.unit_id, self.submitted_at), tally_values(&self.contribution()).to_vec())
    }
}

fn tally_values(c: &Counts) -> [i64; 12] {
    [
        c.received,
        c.accepted,
        c.rejected,
        c.completed,
        c.completed_on_time,
        c.handling_workdays,
        c.rated,
        c.satisfied,
        c.basic,
        c.unsatisfied,
        c.published,
        c.in_progress,
    ]
}

/// A letter's contribution to [`TALLY`], read inside a transition.
pub struct LetterTally;

impl TallySource for LetterTally {
    fn tally(&self) -> &'static Tally {
        &TALLY
    }
    fn contribution<'a>(&'a self, tx: &'a mut Tx, id: i64) -> BoxFuture<'a, DbResult<Option<Contribution>>> {
        Box::pin(async move {
            let facts: Option<TallyFacts> =
                tx.fetch_optional(sql(format!("SELECT {TALLY_COLS} FROM letter WHERE id = $1")).bind(id)).await?;
            Ok(facts.map(|f| f.counted()))
        })
    }
}

/// Recomputes the whole tally from the letters (after a bulk load, or to repair), in one
/// transaction, with the same rule as every write ([`crate::domain::contribution`]).
pub async fn rebuild_tally(db: &Db) -> DbResult<usize> {
    let mut sums: std::collections::BTreeMap<(i64, i64, String), Counts> = Default::default();
    let mut after = 0i64;
    loop {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            #[sqlx(flatten)]
            facts: TallyFacts,
        }
        let rows: Vec<Row> = db
            .fetch_all(
                sql(format!("SELECT id, {TALLY_COLS} FROM letter WHERE id > $1 ORDER BY id LIMIT 50000")).bind(after),
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in &rows {
            let f = &r.facts;
            *sums.entry((f.mailbox_id, f.unit_id.unwrap_or(0), platform::fmt_date(f.submitted_at))).or_default() +=
                f.contribution();
        }
    }
    TALLY
        .replace(
            db,
            sums.into_iter()
                .map(|((m, u, d), c)| (vec![Arg::Int(m), Arg::Int(u), Arg::Text(d)], tally_values(&c).to_vec())),
        )
        .await
}

/// Filters of back-office letter lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ListFilter {
    #[serde(default)]
    pub mailbox_id: Option<i64>,
    #[serde(default)]
    pub state: Option<String>,
    /// Only letters assigned to these units (handlers' queues); `None`: every unit.
    #[serde(skip)]
    pub units: Option<Vec<i64>>,
    /// Only letters of these mailboxes (office scoped to sites); `None`: all.
    #[serde(skip)]
    pub mailboxes: Option<Vec<i64>>,
    #[serde(default)]
    pub q: String,
    /// open: still owed a reply, ordered by due date.
    #[serde(default)]
    pub open: bool,
}

fn list_where(base: &str, f: &ListFilter) -> Q {
    let mut q = sql(format!("{base} WHERE 1=1"));
    if let Some(m) = f.mailbox_id {
        q = q.push(" AND mailbox_id = ").push_bind(m);
    }
    q = q.and_within("mailbox_id", f.mailboxes.as_deref());
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        q = q.push(" AND state = ").push_bind(s);
    } else if f.open {
        q = q.push(" AND state IN ('accepted','assigned','reply_review')");
    }
    q = q.and_within("unit_id", f.units.as_deref());
    let text = f.q.trim();
    if !text.is_empty() {
        if text.chars().all(|c| c.is_ascii_digit()) {
            q = q.push(" AND no = ").push_bind(text);
        } else {
            q = q.push(" AND subject LIKE ").push_bind(format!("%{}%", text.replace(['%', '_'], "")));
        }
    }
    q
}

/// Keeps a handler's unfinished reply (an empty text clears it).
pub async fn save_reply_draft(db: &Db, id: i64, text: &str) -> DbResult<()> {
    db.execute(sql("UPDATE letter SET reply_draft = $1 WHERE id = $2").bind(text).bind(id)).await?;
    Ok(())
}

/// The letter states that still owe the citizen something (acceptance or a reply).
pub const OPEN_STATES: [&str; 4] = ["submitted", "accepted", "assigned", "reply_review"];

/// The order of a queue: a list of letters still owed something puts the longest overdue first
/// (the deadline that runs now: acceptance, then reply), so the oldest debt is at the top of every
/// handler's screen; archives of answered letters list the newest first.
pub fn queue_order(f: &ListFilter) -> &'static str {
    if f.open || f.state.as_deref().is_some_and(|s| OPEN_STATES.contains(&s)) {
        " ORDER BY COALESCE(due_date, accept_due), id"
    } else {
        " ORDER BY submitted_at DESC, id DESC"
    }
}

/// One page of letters for a queue, in [`queue_order`].
pub async fn list(db: &Db, f: &ListFilter, limit: i64, offset: i64) -> DbResult<(Vec<Letter>, i64)> {
    let order = queue_order(f);
    let total = db.count(list_where("SELECT COUNT(*) FROM letter", f)).await?;
    let rows = db
        .fetch_all(
            list_where("SELECT * FROM letter", f)
                .push(order)
                .push(" LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Public list filters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PublicFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: Option<i64>,
    #[serde(default)]
    pub unit: Option<i64>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<i64>,
}

/// A published letter as the public sees it: the redacted texts, never the writer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublicLetter {
    pub id: i64,
    pub no: String,
    pub mailbox_id: i64,
    pub category_id: Option<i64>,
    pub public_subject: String,
    pub public_content: String,
    pub public_reply: String,
    pub public_writer: String,
    pub reply_unit_id: Option<i64>,
    pub submitted_at: i64,
    pub replied_at: Option<i64>,
    pub published_at: Option<i64>,
}

const PUBLIC_COLS: &str = "id, no, mailbox_id, category_id, public_subject, public_content, public_reply, public_writer, reply_unit_id, submitted_at, replied_at, published_at";

fn public_where(base: &str, mailbox_id: Option<i64>, f: &PublicFilter) -> Q {
    let mut w = sql(format!("{base} WHERE published = TRUE"));
    if let Some(m) = mailbox_id {
        w = w.push(" AND mailbox_id = ").push_bind(m);
    }
    if let Some(c) = f.category {
        w = w.push(" AND category_id = ").push_bind(c);
    }
    if let Some(u) = f.unit {
        w = w.push(" AND reply_unit_id = ").push_bind(u);
    }
    if let Some(from) = platform::parse_date(&f.from) {
        w = w.push(" AND submitted_at >= ").push_bind(from);
    }
    if let Some(to) = platform::parse_date(&f.to) {
        w = w.push(" AND submitted_at < ").push_bind(to + 86_400);
    }
    let text = f.q.trim();
    if !text.is_empty() {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        w = w
            .push(" AND (public_subject LIKE ")
            .push_bind(like.clone())
            .push(" OR public_content LIKE ")
            .push_bind(like)
            .push(")");
    }
    w
}

pub async fn public_list(
    db: &Db,
    mailbox_id: Option<i64>,
    f: &PublicFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<PublicLetter>, i64)> {
    let total = db.count(public_where("SELECT COUNT(*) FROM letter", mailbox_id, f)).await?;
    let rows = db
        .fetch_all(
            public_where(&format!("SELECT {PUBLIC_COLS} FROM letter"), mailbox_id, f)
                .push(" ORDER BY replied_at DESC, id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

pub async fn public_letter(db: &Db, no: &str) -> DbResult<Option<PublicLetter>> {
    db.fetch_optional(sql(format!("SELECT {PUBLIC_COLS} FROM letter WHERE no = $1 AND published = TRUE")).bind(no))
        .await
}

/// A published letter by id (the search index knows letters by id).
pub async fn public_letter_by_id(db: &Db, id: i64) -> DbResult<Option<PublicLetter>> {
    db.fetch_optional(sql(format!("SELECT {PUBLIC_COLS} FROM letter WHERE id = $1 AND published = TRUE")).bind(id))
        .await
}

/// Letters from one IP address or one contact since `since` (rate limits).
pub async fn recent_from(db: &Db, ip: &str, phone: &str, email: &str, since: i64) -> DbResult<(i64, i64)> {
    let by_ip =
        db.count(sql("SELECT COUNT(*) FROM letter WHERE ip = $1 AND submitted_at >= $2").bind(ip).bind(since)).await?;
    let mut contact = 0;
    if !phone.is_empty() {
        contact += db
            .count(
                sql("SELECT COUNT(*) FROM letter WHERE phone_hash = $1 AND submitted_at >= $2")
                    .bind(lookup_hash(phone))
                    .bind(since),
            )
            .await?;
    }
    if !email.is_empty() {
        contact += db
            .count(
                sql("SELECT COUNT(*) FROM letter WHERE email_hash = $1 AND submitted_at >= $2")
                    .bind(lookup_hash(email))
                    .bind(since),
            )
            .await?;
    }
    Ok((by_ip, contact))
}

// ---- statistics ---------------------------------------------------------------------------------

/// Counts per (mailbox, handling unit) for letters received on days `from..=to` (`YYYY-MM-DD`):
/// the tally's sums, plus the letters overdue on `today` counted from their index. Accepted
/// (有效) = everything screened in; completed = a reply reached the writer.
pub async fn counts(
    db: &Db,
    from: &str,
    to: &str,
    mailboxes: &[i64],
    today: &str,
) -> DbResult<Vec<(i64, i64, Counts)>> {
    #[derive(sqlx::FromRow)]
    struct TallyRow {
        mailbox_id: i64,
        unit_id: i64,
        received: i64,
        accepted: i64,
        rejected: i64,
        completed: i64,
        completed_on_time: i64,
        handling_workdays: i64,
        rated: i64,
        satisfied: i64,
        basic: i64,
        unsatisfied: i64,
        published: i64,
        in_progress: i64,
    }
    let sums: Vec<String> = TALLY.fields.iter().map(|f| format!("CAST(SUM({f}) AS BIGINT) AS {f}")).collect();
    let q =
        sql(format!("SELECT mailbox_id, unit_id, {} FROM letter_tally WHERE day >= $1 AND day <= $2", sums.join(", ")))
            .bind(from)
            .bind(to);
    let q = q.and_within("mailbox_id", Some(mailboxes)).push(" GROUP BY mailbox_id, unit_id");
    let rows: Vec<TallyRow> = db.fetch_all(q).await?;
    let mut out: std::collections::BTreeMap<(i64, i64), Counts> = rows
        .into_iter()
        .map(|r| {
            let c = Counts {
                received: r.received,
                accepted: r.accepted,
                rejected: r.rejected,
                completed: r.completed,
                completed_on_time: r.completed_on_time,
                handling_workdays: r.handling_workdays,
                rated: r.rated,
                satisfied: r.satisfied,
                basic: r.basic,
                unsatisfied: r.unsatisfied,
                published: r.published,
                overdue_now: 0,
                in_progress: r.in_progress,
            };
            ((r.mailbox_id, r.unit_id), c)
        })
        .collect();
    #[derive(sqlx::FromRow)]
    struct Overdue {
        mailbox_id: i64,
        unit: i64,
        n: i64,
    }
    let (Some(f), Some(t)) = (platform::parse_date(from), platform::parse_date(to)) else { return Ok(Vec::new()) };
    let q = sql("SELECT mailbox_id, COALESCE(unit_id, 0) AS unit, COUNT(*) AS n FROM letter \
         WHERE state IN ('submitted','accepted','assigned','reply_review') AND COALESCE(due_date, accept_due) < $1 \
         AND submitted_at >= $2 AND submitted_at < $3")
    .bind(today)
    .bind(f)
    .bind(t + 86_400);
    let q = q.and_within("mailbox_id", Some(mailboxes)).push(" GROUP BY mailbox_id, COALESCE(unit_id, 0)");
    let overdue: Vec<Overdue> = db.fetch_all(q).await?;
    for o in overdue {
        out.entry((o.mailbox_id, o.unit)).or_default().overdue_now += o.n;
    }
    Ok(out.into_iter().filter(|(_, c)| c.received > 0 || c.overdue_now > 0).map(|((m, u), c)| (m, u, c)).collect())
}

/// The office's overview of its mailboxes: letters per state, overdue now, due by `horizon`.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Overview {
    pub submitted: i64,
    pub accepted: i64,
    pub assigned: i64,
    pub reply_review: i64,
    pub overdue: i64,
    pub due_soon: i64,
}

/// Whose letters an overview counts.
pub enum Within<'a> {
    /// The letters of these mailboxes (the letter office).
    Mailboxes(&'a [i64]),
    /// The letters assigned to these units (handlers); `None`: every unit.
    Units(Option<&'a [i64]>),
}

/// What waits at each step, and what is overdue or due by `horizon`. Overdue has one definition
/// everywhere: an open letter whose running deadline (acceptance, then reply) is before today.
pub async fn overview(db: &Db, within: Within<'_>, today: &str, horizon: &str) -> DbResult<Overview> {
    let q = sql(
        "SELECT COALESCE(SUM(CASE WHEN state = 'submitted' THEN 1 ELSE 0 END), 0) AS submitted, \
         COALESCE(SUM(CASE WHEN state = 'accepted' THEN 1 ELSE 0 END), 0) AS accepted, \
         COALESCE(SUM(CASE WHEN state = 'assigned' THEN 1 ELSE 0 END), 0) AS assigned, \
         COALESCE(SUM(CASE WHEN state = 'reply_review' THEN 1 ELSE 0 END), 0) AS reply_review, \
         COALESCE(SUM(CASE WHEN COALESCE(due_date, accept_due) < $1 THEN 1 ELSE 0 END), 0) AS overdue, \
         COALESCE(SUM(CASE WHEN COALESCE(due_date, accept_due) >= $1 AND COALESCE(due_date, accept_due) <= $2 THEN 1 ELSE 0 END), 0) AS due_soon \
         FROM letter WHERE state IN ('submitted','accepted','assigned','reply_review')",
    )
    .bind(today)
    .bind(horizon);
    let q = match within {
        Within::Mailboxes(ids) => q.and_within("mailbox_id", Some(ids)),
        Within::Units(ids) => q.and_within("unit_id", ids),
    };
    db.fetch_one(q).await
}

/// Open letters assigned to units, with their handlers' e-mail addresses come from accounts; this
/// returns (unit id, letter) for open letters due on or before `until`.
pub async fn due_soon(db: &Db, until: &str) -> DbResult<Vec<Letter>> {
    db.fetch_all(
        sql("SELECT * FROM letter WHERE state IN ('assigned','reply_review') AND due_date <= $1 ORDER BY unit_id, due_date").bind(until),
    )
    .await
}

/// (mailbox, received at) of unanswered letters received before `before` in `mailboxes` (the
/// consultation alarm), read from the state index alone.
pub async fn old_open_letters(db: &Db, mailboxes: &[i64], before: i64) -> DbResult<Vec<(i64, i64)>> {
    #[derive(sqlx::FromRow)]
    struct OpenRow {
        mailbox_id: i64,
        submitted_at: i64,
    }
    let q = sql(
        "SELECT mailbox_id, submitted_at FROM letter WHERE state IN ('submitted','accepted','assigned','reply_review') AND submitted_at < $1",
    )
    .bind(before);
    let rows: Vec<OpenRow> = db.fetch_all(q.and_within("mailbox_id", Some(mailboxes))).await?;
    Ok(rows.into_iter().map(|r| (r.mailbox_id, r.submitted_at)).collect())
}

// ---- Open311 keys -------------------------------------------------------------------------------

pub async fn open311_key_name(db: &Db, key_hash: &str) -> DbResult<Option<String>> {
    Ok(db
        .fetch_optional::<Scalar<String>>(
            sql("SELECT name FROM open311_key WHERE key_hash = $1 AND revoked = FALSE").bind(key_hash),
        )
        .await?
        .map(|s| s.0))
}

pub async fn create_open311_key(db: &Db, name: &str, key_hash: &str, by: &str) -> DbResult<i64> {
    let id: Scalar<i64> = db
        .fetch_one(
            sql("INSERT INTO open311_key (name, key_hash, created_by, created_at) VALUES ($1,$2,$3,$4) RETURNING id")
                .bind(name)
                .bind(key_hash)
                .bind(by)
                .bind(now()),
        )
        .await?;
    Ok(id.0)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Open311Key {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked: bool,
}

pub async fn open311_keys(db: &Db) -> DbResult<Vec<Open311Key>> {
    db.fetch_all(sql("SELECT id, name, created_by, created_at, revoked FROM open311_key ORDER BY id")).await
}

pub async fn revoke_open311_key(db: &Db, id: i64) -> DbResult<u64> {
    db.execute(sql("UPDATE open311_key SET revoked = TRUE WHERE id = $1").bind(id)).await
}
