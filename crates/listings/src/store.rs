//! The listings' rows and the queries over them: boards and their rules, one listing, the public
//! lists with their filters (keyset-paged by publication), the moderator's queue, reader reports,
//! contact requests and the statistics by board and kind.

use platform::db::{Db, DbResult, Scalar, sql};
use serde::Serialize;

use crate::domain::{Board, Kind, State};

/// A board's rules as the moderators set them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BoardRow {
    pub code: String,
    pub name: String,
    pub premoderated: bool,
    pub hide_threshold: i64,
    pub max_days: i64,
    pub updated_at: i64,
}

platform::template_value!(BoardRow);

impl BoardRow {
    pub fn board(&self) -> Board {
        Board::parse(&self.code).unwrap_or(Board::Talent)
    }
}

pub async fn boards(db: &Db) -> DbResult<Vec<BoardRow>> {
    let mut rows: Vec<BoardRow> = db.fetch_all(sql("SELECT * FROM listing_board")).await?;
    rows.sort_by_key(|b| Board::ALL.iter().position(|x| x.code() == b.code));
    Ok(rows)
}

pub async fn board(db: &Db, board: Board) -> DbResult<BoardRow> {
    db.fetch_one(sql("SELECT * FROM listing_board WHERE code = $1").bind(board.code())).await
}

/// A listing row. The contact columns are sealed; [`Listing::contact`] opens them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Listing {
    pub id: i64,
    pub no: String,
    pub board: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub area: String,
    pub subject: String,
    pub pay_min: Option<i64>,
    pub pay_max: Option<i64>,
    pub quantity: String,
    pub price: String,
    pub credit_code: String,
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub contact_name: platform::sealed::Sealed,
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub contact_phone: platform::sealed::Sealed,
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub contact_email: platform::sealed::Sealed,
    #[serde(skip)]
    pub contact_hash: String,
    pub verify_by: String,
    #[serde(skip)]
    pub verify_hash: String,
    #[serde(skip)]
    pub verify_tries: i64,
    #[serde(skip)]
    pub verify_sent_at: i64,
    #[serde(skip)]
    pub code_hash: String,
    pub days: i64,
    pub state: String,
    pub expires_at: Option<i64>,
    pub reminded: bool,
    pub flags: i64,
    pub views: i64,
    pub reveals: i64,
    #[serde(skip)]
    pub ip: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

platform::template_value!(Listing);

/// A listing's contact, opened.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl Listing {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Unverified)
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Hire)
    }

    pub fn board(&self) -> Board {
        self.kind().board()
    }

    /// Whether the public sees it now: published and within its period.
    pub fn is_live(&self, now: i64) -> bool {
        self.state() == State::Visible && self.expires_at.is_some_and(|e| e > now)
    }

    pub fn contact(&self) -> Contact {
        Contact {
            name: self.contact_name.to_string(),
            phone: self.contact_phone.to_string(),
            email: self.contact_email.to_string(),
        }
    }

    /// The contact as it shows before a visitor asks for it.
    pub fn masked_contact(&self) -> Contact {
        let c = self.contact();
        let (name, phone, email) = crate::domain::masked_contact(&c.name, &c.phone, &c.email);
        Contact { name, phone, email }
    }

    pub fn pay_text(&self) -> String {
        crate::domain::pay_text(self.pay_min, self.pay_max)
    }
}

pub async fn get(db: &Db, id: i64) -> DbResult<Option<Listing>> {
    db.fetch_optional(sql("SELECT * FROM listing WHERE id = $1").bind(id)).await
}

pub async fn by_no(db: &Db, no: &str) -> DbResult<Option<Listing>> {
    db.fetch_optional(sql("SELECT * FROM listing WHERE no = $1").bind(no.trim().to_ascii_uppercase())).await
}

/// What the public lists filter by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub board: Option<Board>,
    pub kind: Option<Kind>,
    pub area: String,
    /// Published at or after (unix seconds).
    pub since: Option<i64>,
    /// Keyset: listings published before this `(published_at, id)`.
    pub before: Option<(i64, i64)>,
}

/// Live listings, newest first, `limit` at a time.
pub async fn live(db: &Db, f: &Filter, now: i64, limit: i64) -> DbResult<Vec<Listing>> {
    let mut q = sql("SELECT * FROM listing WHERE state = 'visible' AND expires_at > ").push_bind(now);
    if let Some(b) = f.board {
        q = q.push(" AND board = ").push_bind(b.code());
    }
    if let Some(k) = f.kind {
        q = q.push(" AND kind = ").push_bind(k.code());
    }
    if !f.area.trim().is_empty() {
        q = q.push(" AND area = ").push_bind(f.area.trim());
    }
    if let Some(s) = f.since {
        q = q.push(" AND published_at >= ").push_bind(s);
    }
    if let Some((at, id)) = f.before {
        q = q.push(" AND (published_at < ").push_bind(at).push(" OR (published_at = ").push_bind(at);
        q = q.push(" AND id < ").push_bind(id).push("))");
    }
    db.fetch_all(q.push(" ORDER BY published_at DESC, id DESC LIMIT ").push_bind(limit)).await
}

/// The areas live listings of a board name, for the filter.
pub async fn areas(db: &Db, board: Board, now: i64) -> DbResult<Vec<String>> {
    let rows: Vec<Scalar<String>> = db
        .fetch_all(
            sql("SELECT DISTINCT area FROM listing WHERE board = $1 AND state = 'visible' AND expires_at > $2 ORDER BY area")
                .bind(board.code())
                .bind(now),
        )
        .await?;
    Ok(rows.into_iter().map(|s| s.0).collect())
}

/// The back office's lists: by state (the queue: pending and hidden), board and number or title.
pub async fn staff_list(
    db: &Db,
    states: &[State],
    board: Option<Board>,
    text: &str,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Listing>> {
    let mut q = sql("SELECT * FROM listing WHERE 1=1");
    if !states.is_empty() {
        q = q.push(" AND state IN (").push_bind_list(states.iter().map(|s| s.code())).push(")");
    }
    if let Some(b) = board {
        q = q.push(" AND board = ").push_bind(b.code());
    }
    let text = text.trim();
    if !text.is_empty() {
        q = q.push(" AND (no = ").push_bind(text.to_ascii_uppercase()).push(" OR title LIKE ");
        q = q.push_bind(format!("%{}%", text.replace(['%', '_'], ""))).push(")");
    }
    if let Some(b) = before {
        q = q.push(" AND id < ").push_bind(b);
    }
    db.fetch_all(q.push(" ORDER BY id DESC LIMIT ").push_bind(limit)).await
}

/// How many listings wait for a moderator.
pub async fn queue_count(db: &Db) -> DbResult<i64> {
    db.count(sql("SELECT COUNT(*) FROM listing WHERE state IN ('pending', 'hidden')")).await
}

/// One reader's reports of a listing, with their reasons, for the moderator.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Flag {
    pub reason: String,
    pub at: i64,
}

pub async fn flags(db: &Db, id: i64) -> DbResult<Vec<Flag>> {
    db.fetch_all(sql("SELECT reason, at FROM listing_flag WHERE listing_id = $1 ORDER BY id").bind(id)).await
}

/// Statistics by board and kind over a period: posted (contact verified: the code's hash is
/// cleared then), published, live now, contact requests. The annual report and the supervision module read the totals as figures.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct KindCount {
    pub board: String,
    pub kind: String,
    pub posted: i64,
    pub published: i64,
    pub live: i64,
    pub reveals: i64,
}

pub async fn stats(db: &Db, from: i64, to: i64, now: i64) -> DbResult<Vec<KindCount>> {
    db.fetch_all(
        sql("SELECT board, kind, \
                CAST(SUM(CASE WHEN verify_hash = '' THEN 1 ELSE 0 END) AS BIGINT) AS posted, \
                CAST(SUM(CASE WHEN published_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS published, \
                CAST(SUM(CASE WHEN state = 'visible' AND expires_at > $3 THEN 1 ELSE 0 END) AS BIGINT) AS live, \
                CAST(SUM(reveals) AS BIGINT) AS reveals \
             FROM listing WHERE created_at >= $1 AND created_at < $2 GROUP BY board, kind ORDER BY board, kind")
        .bind(from)
        .bind(to)
        .bind(now),
    )
    .await
}
