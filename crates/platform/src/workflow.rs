//! The workflow kernel every case-handling module shares (letters, applications, project calls;
//! disclosure requests, proposals and document exchange next). A module's pure domain decides
//! whether an action is allowed and what it changes; this module makes the change happen:
//!
//! - one transition record ([`Transition`], stored in `workflow_event` for every flow), so every
//!   module's history reads the same way;
//! - one atomic [`apply`]: the conditional update of the subject's row (its state and, for
//!   versioned flows, the version it was read at — a concurrent edit loses with `false`), the
//!   event, the statistics tally moved from the row's old contribution to its new one, any further
//!   statements, and the side effects ([`Effect`]: mail, unit notices, SMS) written to the outbox —
//!   all in one transaction, so a transition that fails tells nobody anything and one that commits
//!   cannot lose its mail;
//! - tallies ([`Tally`]): counter rows per key (mailbox × unit × day …) that statistics read
//!   instead of scanning a million rows.

use crate::db::{Arg, Db, DbResult, Exec, Q, Tx, sql};
use crate::module::BoxFuture;
use crate::web::AppState;

/// A kind of case with its own state machine, stored in `table` (with `id` and `state` columns,
/// and `updated_at` when `versioned`).
#[derive(Debug)]
pub struct Flow {
    /// Stable name (`letter`, `application`, `project_call`): the events' `flow`.
    pub name: &'static str,
    pub table: &'static str,
    /// Whether rows carry `updated_at`, checked so that an edit made since the row was read (even
    /// one that kept the state) makes the transition lose.
    pub versioned: bool,
}

/// One transition as it is recorded: who did what, from which state to which, at which review
/// step, with what comment.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// The review step reached (0 for flows without steps).
    pub step: i64,
    /// The actor's name as the history shows it (王芳, 来信人, 申请人).
    pub actor: &'a str,
    pub actor_id: Option<i64>,
    pub comment: &'a str,
}

/// A recorded transition.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Event {
    pub id: i64,
    pub flow: String,
    pub subject_id: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub step: i64,
    pub actor: String,
    pub actor_id: Option<i64>,
    pub comment: String,
    pub at: i64,
}

crate::template_value!(Event);

/// What a committed transition tells people. Written to the outbox in the transition's own
/// transaction and delivered by the outbox worker (with retries).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A mail to one address (the citizen who wrote or applied).
    Mail { to: String, subject: String, body: String },
    /// A mail to every handler of an org unit (new assignments, supervision, instructions).
    UnitMail { unit: i64, subject: String, body: String },
    /// A text message to a phone number.
    Sms { to: String, text: String },
}

/// A module's statistics counters: one row per key with one column per counted figure.
#[derive(Debug)]
pub struct Tally {
    pub table: &'static str,
    pub keys: &'static [&'static str],
    pub fields: &'static [&'static str],
}

/// What a row contributes to its tally: the key it counts under and one figure per field.
pub type Contribution = (Vec<Arg>, Vec<i64>);

/// Reads a case's contribution to its tally inside the transition's transaction (before and after
/// the change).
pub trait TallySource: Send + Sync {
    fn tally(&self) -> &'static Tally;
    fn contribution<'a>(&'a self, tx: &'a mut Tx, id: i64) -> BoxFuture<'a, DbResult<Option<Contribution>>>;
}

impl Tally {
    /// Adds `counts` to the row of `key` (made when missing). All-zero counts write nothing.
    pub async fn add(&self, ex: &mut impl Exec, key: &[Arg], counts: &[i64]) -> DbResult<()> {
        if let Some(q) = self.add_q(key, counts) {
            ex.execute(q).await?;
        }
        Ok(())
    }

    /// The statement that adds `counts` to the row of `key` (for a [`Change::also`]), or `None`
    /// when they are all zero.
    pub fn add_q(&self, key: &[Arg], counts: &[i64]) -> Option<Q> {
        if counts.iter().all(|c| *c == 0) {
            return None;
        }
        let cols: Vec<&str> = self.keys.iter().chain(self.fields).copied().collect();
        let q = sql(format!("INSERT INTO {} ({}) VALUES ", self.table, cols.join(", ")))
            .push_row(true, key.iter().cloned().chain(counts.iter().map(|c| Arg::Int(*c))));
        let updates: Vec<String> =
            self.fields.iter().map(|f| format!("{f} = {t}.{f} + excluded.{f}", t = self.table)).collect();
        Some(q.push(&format!(" ON CONFLICT ({}) DO UPDATE SET {}", self.keys.join(", "), updates.join(", "))))
    }

    /// Moves a row's contribution from what it was to what it is; unchanged keys net out in one
    /// write.
    pub async fn shift(&self, ex: &mut impl Exec, before: &Contribution, after: &Contribution) -> DbResult<()> {
        if before.0 == after.0 {
            let delta: Vec<i64> = after.1.iter().zip(&before.1).map(|(a, b)| a - b).collect();
            self.add(ex, &after.0, &delta).await
        } else {
            let negated: Vec<i64> = before.1.iter().map(|c| -c).collect();
            self.add(ex, &before.0, &negated).await?;
            self.add(ex, &after.0, &after.1).await
        }
    }

    /// Replaces the whole tally with `sums` (a rebuild from the cases, after a bulk load or to
    /// repair), in one transaction.
    pub async fn replace(&self, db: &Db, sums: impl IntoIterator<Item = Contribution>) -> DbResult<usize> {
        let mut tx = db.begin().await?;
        tx.execute(sql(format!("DELETE FROM {}", self.table))).await?;
        let cols: Vec<&str> = self.keys.iter().chain(self.fields).copied().collect();
        let rows: Vec<Contribution> = sums.into_iter().collect();
        // Several hundred rows a statement: a rebuild over a million cases writes tens of
        // thousands of counter rows.
        for chunk in rows.chunks(400) {
            let mut q = sql(format!("INSERT INTO {} ({}) VALUES ", self.table, cols.join(", ")));
            for (i, (key, counts)) in chunk.iter().enumerate() {
                q = q.push_row(i == 0, key.iter().cloned().chain(counts.iter().map(|c| Arg::Int(*c))));
            }
            tx.execute(q).await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }
}

/// A transition about to be applied: the case, what it was read as, the record, the columns it
/// sets besides the state, further statements and effects.
pub struct Change<'a> {
    flow: &'static Flow,
    id: i64,
    version: Option<i64>,
    transition: Transition<'a>,
    set: Q,
    also: Vec<Q>,
    effects: Vec<Effect>,
    tally: Option<&'a dyn TallySource>,
}

impl<'a> Change<'a> {
    /// A transition of case `id` of `flow`, read at `version` (its `updated_at`; ignored for
    /// flows that are not versioned).
    pub fn new(flow: &'static Flow, id: i64, version: i64, transition: Transition<'a>) -> Change<'a> {
        Change {
            flow,
            id,
            version: flow.versioned.then_some(version),
            transition,
            set: sql(format!("UPDATE {} SET state = ", flow.table)).push_bind(transition.to),
            also: Vec::new(),
            effects: Vec::new(),
            tally: None,
        }
    }

    /// Sets a column (a name from the module's code, never from input) to a value.
    pub fn set(mut self, column: &str, value: impl Into<Arg>) -> Self {
        self.set = self.set.push(&format!(", {column} = ")).push_bind(value);
        self
    }

    /// Sets columns by an expression of code, e.g. `extended_days = extended_days + extension_days`.
    pub fn set_expr(mut self, assignment: &str) -> Self {
        self.set = self.set.push(", ").push(assignment);
        self
    }

    /// Runs one more statement in the transition's transaction.
    pub fn also(mut self, q: Q) -> Self {
        self.also.push(q);
        self
    }

    pub fn effect(mut self, e: Effect) -> Self {
        self.effects.push(e);
        self
    }

    pub fn effects(mut self, e: impl IntoIterator<Item = Effect>) -> Self {
        self.effects.extend(e);
        self
    }

    /// Keeps the flow's tally in step with the case.
    pub fn tallied(mut self, source: &'a dyn TallySource) -> Self {
        self.tally = Some(source);
        self
    }
}

/// Applies a transition atomically (see the module comment). `Ok(false)`: the case changed since
/// it was read (or a unique index refused a value it sets), and nothing was written.
pub async fn apply(state: &AppState, change: Change<'_>) -> DbResult<bool> {
    let Change { flow, id, version, transition: t, set, also, effects, tally } = change;
    let mut tx = state.db.begin().await?;
    let before = match tally {
        Some(s) => s.contribution(&mut tx, id).await?,
        None => None,
    };
    let at = crate::db::now();
    let mut q = set;
    if let Some(v) = version {
        q = q.push(", updated_at = ").push_bind(at.max(v + 1));
    }
    q = q.push(" WHERE id = ").push_bind(id).push(" AND state = ").push_bind(t.from);
    if let Some(v) = version {
        q = q.push(" AND updated_at = ").push_bind(v);
    }
    match tx.execute(q).await {
        Ok(1) => {}
        Ok(_) => return Ok(false),
        Err(e) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e),
    }
    record(&mut tx, flow, id, &t, at).await?;
    if let (Some(s), Some(before)) = (tally, before)
        && let Some(after) = s.contribution(&mut tx, id).await?
    {
        s.tally().shift(&mut tx, &before, &after).await?;
    }
    for q in also {
        match tx.execute(q).await {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    let queued = queue_effects(state, &mut tx, &effects).await?;
    tx.commit().await?;
    if queued {
        state.wake_outbox();
    }
    Ok(true)
}

/// Records a transition that is not a state change of an existing row (a case's first event,
/// written with the row it creates).
pub async fn record(tx: &mut Tx, flow: &Flow, id: i64, t: &Transition<'_>, at: i64) -> DbResult<()> {
    tx.execute(
        sql("INSERT INTO workflow_event (flow, subject_id, action, from_state, to_state, step, actor, actor_id, comment, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(flow.name)
        .bind(id)
        .bind(t.action)
        .bind(t.from)
        .bind(t.to)
        .bind(t.step)
        .bind(t.actor)
        .bind(t.actor_id)
        .bind(t.comment)
        .bind(at),
    )
    .await?;
    Ok(())
}

/// A case's history, oldest first.
pub async fn events(db: &Db, flow: &Flow, id: i64) -> DbResult<Vec<Event>> {
    db.fetch_all(
        sql("SELECT * FROM workflow_event WHERE flow = $1 AND subject_id = $2 ORDER BY id").bind(flow.name).bind(id),
    )
    .await
}

/// Writes effects to the outbox inside `tx` (a transition's, or a new case's first event); true when
/// anything was queued, and the caller wakes the outbox after commit. Mail is queued only
/// when a relay is configured (without one it is logged as not sent, as everywhere).
pub async fn queue_effects(state: &AppState, tx: &mut Tx, effects: &[Effect]) -> DbResult<bool> {
    let mut queued = false;
    let now = crate::db::now();
    for e in effects {
        match e {
            Effect::Mail { to, subject, body } => {
                if state.mailer.is_configured() && !to.trim().is_empty() {
                    crate::outbox::enqueue(tx, crate::outbox::Channel::Mail, to, subject, body, now).await?;
                    queued = true;
                } else {
                    tracing::info!(subject, "mail not sent: no SMTP relay configured");
                }
            }
            Effect::UnitMail { unit, subject, body } => {
                if !state.mailer.is_configured() {
                    tracing::info!(subject, "mail not sent: no SMTP relay configured");
                    continue;
                }
                for to in crate::accounts::handler_emails(tx, *unit).await? {
                    crate::outbox::enqueue(tx, crate::outbox::Channel::Mail, &to, subject, body, now).await?;
                    queued = true;
                }
            }
            Effect::Sms { to, text } => {
                if !to.trim().is_empty() {
                    crate::outbox::enqueue(tx, crate::outbox::Channel::Sms, to, "短信", text, now).await?;
                    queued = true;
                }
            }
        }
    }
    Ok(queued)
}
