//! Storage of service items (with versions), applications, their events and files, and 差评
//! follow-ups. Reads and writes only; rules are in `domain`, operations in `service`.

use platform::db::{Arg, Db, DbResult, Exec, Q, Scalar, Tx, now, sql};
use platform::module::BoxFuture;
use platform::sealed::{SealedColumns, seal};
use platform::workflow::{self, Contribution, Flow, Tally, TallySource, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{Faq, FormField, Material};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Item {
    pub id: i64,
    pub code: String,
    pub impl_code: String,
    pub name: String,
    pub kind: String,
    pub org_id: i64,
    pub dept: String,
    pub basis: String,
    pub conditions: String,
    pub audience: String,
    pub materials: String,
    pub notes: String,
    pub steps: String,
    pub legal_days: i64,
    pub promised_days: i64,
    pub fee: bool,
    pub fee_basis: String,
    pub fee_standard: String,
    pub place: String,
    pub hours: String,
    pub visits: i64,
    pub online_depth: i64,
    pub consult_phone: String,
    pub complaint_phone: String,
    pub faq: String,
    pub themes: String,
    pub life_events: String,
    pub form: String,
    pub review_steps: String,
    /// Review steps that must be decided by someone other than whoever completed the step before
    /// (JSON list of step names).
    pub distinct_steps: String,
    pub online: bool,
    pub published: bool,
    pub version: i64,
    pub updated_at: i64,
}

impl Item {
    pub fn materials(&self) -> Vec<Material> {
        serde_json::from_str(&self.materials).unwrap_or_default()
    }
    pub fn steps(&self) -> Vec<String> {
        serde_json::from_str(&self.steps).unwrap_or_default()
    }
    pub fn faq(&self) -> Vec<Faq> {
        serde_json::from_str(&self.faq).unwrap_or_default()
    }
    pub fn form(&self) -> Vec<FormField> {
        serde_json::from_str(&self.form).unwrap_or_default()
    }
    pub fn review_steps(&self) -> Vec<String> {
        let v: Vec<String> = serde_json::from_str(&self.review_steps).unwrap_or_default();
        if v.is_empty() { vec!["审查".to_owned()] } else { v }
    }
    pub fn distinct_steps(&self) -> Vec<String> {
        serde_json::from_str(&self.distinct_steps).unwrap_or_default()
    }
    pub fn list(s: &str) -> Vec<String> {
        s.split([',', '，', '、']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
    }
}

const ITEM_COLS: &str = "code, impl_code, name, kind, org_id, dept, basis, conditions, audience, materials, notes, steps, legal_days, \
    promised_days, fee, fee_basis, fee_standard, place, hours, visits, online_depth, consult_phone, complaint_phone, faq, themes, \
    life_events, form, review_steps, online, published, distinct_steps";

fn bind_item(q: Q, i: &Item) -> Q {
    q.bind(&i.code)
        .bind(&i.impl_code)
        .bind(&i.name)
        .bind(&i.kind)
        .bind(i.org_id)
        .bind(&i.dept)
        .bind(&i.basis)
        .bind(&i.conditions)
        .bind(&i.audience)
        .bind(&i.materials)
        .bind(&i.notes)
        .bind(&i.steps)
        .bind(i.legal_days)
        .bind(i.promised_days)
        .bind(i.fee)
        .bind(&i.fee_basis)
        .bind(&i.fee_standard)
        .bind(&i.place)
        .bind(&i.hours)
        .bind(i.visits)
        .bind(i.online_depth)
        .bind(&i.consult_phone)
        .bind(&i.complaint_phone)
        .bind(&i.faq)
        .bind(&i.themes)
        .bind(&i.life_events)
        .bind(&i.form)
        .bind(&i.review_steps)
        .bind(i.online)
        .bind(i.published)
        .bind(&i.distinct_steps)
}

/// Saves an item (new when `id` is 0) and keeps the saved version's full text.
pub async fn save_item(db: &Db, i: &Item, by: &str) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let t = now();
    let placeholders: Vec<String> = (1..=31).map(|n| format!("${n}")).collect();
    let (id, version) = if i.id == 0 {
        let id: Scalar<i64> = tx
            .fetch_one(
                bind_item(
                    sql(format!(
                        "INSERT INTO service_item ({ITEM_COLS}, version, updated_at) VALUES ({}, 1, $32) RETURNING id",
                        placeholders.join(", ")
                    )),
                    i,
                )
                .bind(t),
            )
            .await?;
        (id.0, 1)
    } else {
        let sets: Vec<String> =
            ITEM_COLS.split(',').map(str::trim).zip(&placeholders).map(|(c, p)| format!("{c} = {p}")).collect();
        let n = tx
            .execute(
                bind_item(
                    sql(format!(
                        "UPDATE service_item SET {}, version = version + 1, updated_at = $32 WHERE id = $33",
                        sets.join(", ")
                    )),
                    i,
                )
                .bind(t)
                .bind(i.id),
            )
            .await?;
        if n == 0 {
            return Err(platform::db::DbError::NotFound);
        }
        let v: Scalar<i64> = tx.fetch_one(sql("SELECT version FROM service_item WHERE id = $1").bind(i.id)).await?;
        (i.id, v.0)
    };
    let saved = Item { id, version, updated_at: t, ..i.clone() };
    tx.execute(
        sql("INSERT INTO service_item_version (item_id, version, data, saved_by, saved_at) VALUES ($1,$2,$3,$4,$5)")
            .bind(id)
            .bind(version)
            .bind(serde_json::to_string(&saved).unwrap_or_default())
            .bind(by)
            .bind(t),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn item(db: &Db, id: i64) -> DbResult<Option<Item>> {
    db.fetch_optional(sql("SELECT * FROM service_item WHERE id = $1").bind(id)).await
}

pub async fn item_by_code(db: &Db, code: &str) -> DbResult<Option<Item>> {
    db.fetch_optional(sql("SELECT * FROM service_item WHERE code = $1").bind(code)).await
}

pub async fn items(db: &Db, published_only: bool) -> DbResult<Vec<Item>> {
    let q = if published_only {
        sql("SELECT * FROM service_item WHERE published = TRUE ORDER BY org_id, code")
    } else {
        sql("SELECT * FROM service_item ORDER BY org_id, code")
    };
    db.fetch_all(q).await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Version {
    pub version: i64,
    pub saved_by: String,
    pub saved_at: i64,
}

pub async fn versions(db: &Db, item_id: i64) -> DbResult<Vec<Version>> {
    db.fetch_all(
        sql("SELECT version, saved_by, saved_at FROM service_item_version WHERE item_id = $1 ORDER BY version DESC")
            .bind(item_id),
    )
    .await
}

// ---- applications -------------------------------------------------------------------------------

/// The application columns stored sealed; values written in clear by an older version are sealed at
/// start.
pub const SEALED_APPLICATION: SealedColumns =
    SealedColumns { table: "application", columns: &["applicant_code", "phone", "email", "form_data"], hashes: &[] };

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Application {
    pub id: i64,
    pub no: String,
    #[serde(skip)]
    pub query_hash: String,
    pub item_id: i64,
    pub org_id: i64,
    pub applicant_kind: String,
    pub applicant_name: String,
    /// ID number or 统一社会信用代码, encrypted at rest.
    #[sqlx(try_from = "String")]
    pub applicant_code: platform::sealed::Sealed,
    /// The applicant's contacts and form values (which hold ID numbers, addresses …), encrypted
    /// at rest.
    #[sqlx(try_from = "String")]
    pub phone: platform::sealed::Sealed,
    #[sqlx(try_from = "String")]
    pub email: platform::sealed::Sealed,
    #[sqlx(try_from = "String")]
    pub form_data: platform::sealed::Sealed,
    pub state: String,
    pub step: i64,
    pub accepted: bool,
    pub submitted_at: i64,
    pub accepted_on: Option<String>,
    pub pauses: String,
    pub paused_on: Option<String>,
    pub due_date: Option<String>,
    pub step_started_at: Option<i64>,
    pub correction_note: String,
    pub decision_note: String,
    pub legal_basis: String,
    pub decided_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub workdays: Option<i64>,
    pub on_time: Option<bool>,
    pub rating: Option<String>,
    pub rating_comment: String,
    pub updated_at: i64,
    pub appeal_state: String,
    pub appeal_reason: String,
    #[serde(skip)]
    pub ip: String,
    /// The materials the pending 补正 asks for (JSON list of names).
    pub correction_materials: String,
    /// The 决定书's 文号, once decided.
    pub decision_no: String,
}

impl Application {
    pub fn correction_materials(&self) -> Vec<String> {
        serde_json::from_str(&self.correction_materials).unwrap_or_default()
    }
    pub fn values(&self) -> std::collections::BTreeMap<String, String> {
        serde_json::from_str(&self.form_data).unwrap_or_default()
    }
}

pub struct NewApplication<'a> {
    pub item: &'a Item,
    pub applicant_kind: &'a str,
    pub applicant_name: &'a str,
    pub applicant_code: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub form_data: &'a str,
    pub query_hash: &'a str,
    pub ip: &'a str,
    /// `YYYYMMDD`: the receipt number is this plus the id.
    pub day: &'a str,
    pub at: i64,
}

/// Stores a new application with its files and first event; returns (id, receipt number).
pub async fn insert_application(
    db: &Db,
    a: &NewApplication<'_>,
    files: &[(String, String, String, i64)],
) -> DbResult<(i64, String)> {
    let mut tx = db.begin().await?;
    let temp = platform::intake::temporary_number();
    let id: Scalar<i64> = tx
        .fetch_one(
            sql("INSERT INTO application (no, query_hash, item_id, org_id, applicant_kind, applicant_name, applicant_code, phone, email, form_data, state, submitted_at, updated_at, ip) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'submitted',$11,$11,$12) RETURNING id")
            .bind(&temp).bind(a.query_hash).bind(a.item.id).bind(a.item.org_id).bind(a.applicant_kind).bind(a.applicant_name)
            .bind(seal(a.applicant_code)).bind(seal(a.phone)).bind(seal(a.email)).bind(seal(a.form_data)).bind(a.at).bind(a.ip),
        )
        .await?;
    let no = platform::intake::assign_number(&mut tx, "application", id.0, &format!("BJ{}", a.day), 7).await?;
    for q in file_rows(id.0, files, a.at) {
        tx.execute(q).await?;
    }
    let first = Transition {
        action: "submit",
        from: "",
        to: "submitted",
        step: 0,
        actor: "申请人",
        actor_id: None,
        comment: "",
    };
    workflow::record(&mut tx, &FLOW, id.0, &first, a.at).await?;
    let fresh = Application {
        item_id: a.item.id,
        org_id: a.item.org_id,
        submitted_at: a.at,
        state: "submitted".into(),
        ..Application::default()
    };
    let (key, counts) = counted(&fresh);
    TALLY.add(&mut tx, &key, &counts).await?;
    tx.commit().await?;
    Ok((id.0, no))
}

/// What one application adds to the statistics of its day of receipt, as it stands now.
pub fn contribution(a: &Application) -> [i64; 7] {
    let completed = a.state == "completed";
    // A rating whose appeal was upheld (恶意差评) no longer counts.
    let rating = if a.appeal_state == "upheld" { None } else { a.rating.as_deref() };
    let score = rating.and_then(|r| crate::domain::RATINGS.iter().find(|x| x.0 == r)).map_or(0, |x| x.2);
    [
        1,
        i64::from(completed),
        i64::from(completed && a.on_time == Some(true)),
        if completed { a.workdays.unwrap_or(0) } else { 0 },
        i64::from(rating.is_some()),
        score,
        i64::from(rating.is_some_and(crate::domain::is_bad_rating)),
    ]
}

/// Applications as a workflow: their transitions are recorded and applied by the kernel.
pub static FLOW: Flow = Flow { name: "application", table: "application", versioned: true };

/// The applications' statistics counters: one row per item × org unit × day of receipt.
pub static TALLY: Tally = Tally {
    table: "application_tally",
    keys: &["item_id", "org_id", "day"],
    fields: &["received", "completed", "on_time", "workdays", "rated", "rating_sum", "bad"],
};

fn counted(a: &Application) -> Contribution {
    (
        vec![Arg::Int(a.item_id), Arg::Int(a.org_id), Arg::Text(platform::fmt_date(a.submitted_at))],
        contribution(a).to_vec(),
    )
}

/// An application's contribution to [`TALLY`], read inside a transition.
pub struct ApplicationTally;

impl TallySource for ApplicationTally {
    fn tally(&self) -> &'static Tally {
        &TALLY
    }
    fn contribution<'a>(&'a self, tx: &'a mut Tx, id: i64) -> BoxFuture<'a, DbResult<Option<Contribution>>> {
        Box::pin(async move {
            let a: Option<Application> =
                tx.fetch_optional(sql("SELECT * FROM application WHERE id = $1").bind(id)).await?;
            Ok(a.as_ref().map(counted))
        })
    }
}

/// Recomputes the statistics tally from the applications (after a bulk load, or to repair).
pub async fn rebuild_tally(db: &Db) -> DbResult<usize> {
    let mut sums: std::collections::BTreeMap<(i64, i64, String), [i64; 7]> = Default::default();
    let mut after = 0i64;
    loop {
        let rows: Vec<Application> =
            db.fetch_all(sql("SELECT * FROM application WHERE id > $1 ORDER BY id LIMIT 50000").bind(after)).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for a in &rows {
            let e = sums.entry((a.item_id, a.org_id, platform::fmt_date(a.submitted_at))).or_insert([0; 7]);
            for (t, v) in e.iter_mut().zip(contribution(a)) {
                *t += v;
            }
        }
    }
    TALLY
        .replace(
            db,
            sums.into_iter()
                .map(|((item, org, day), v)| (vec![Arg::Int(item), Arg::Int(org), Arg::Text(day)], v.to_vec())),
        )
        .await
}

pub async fn application(db: &Db, id: i64) -> DbResult<Option<Application>> {
    db.fetch_optional(sql("SELECT * FROM application WHERE id = $1").bind(id)).await
}

pub async fn application_by_no(db: &Db, no: &str) -> DbResult<Option<Application>> {
    db.fetch_optional(sql("SELECT * FROM application WHERE no = $1").bind(no)).await
}

/// An application's recorded transition.
pub type Event = platform::workflow::Event;

pub async fn events(db: &Db, id: i64) -> DbResult<Vec<Event>> {
    workflow::events(db, &FLOW, id).await
}

/// The rows of an application's uploaded files (written with the application or its 补正).
pub fn file_rows(application_id: i64, files: &[(String, String, String, i64)], at: i64) -> Vec<Q> {
    files
        .iter()
        .map(|(field, name, stored, size)| {
            sql("INSERT INTO application_file (application_id, field, name, stored, size, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
                .bind(application_id)
                .bind(field)
                .bind(name)
                .bind(stored)
                .bind(*size)
                .bind(at)
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct File {
    pub id: i64,
    pub application_id: i64,
    pub field: String,
    pub name: String,
    pub stored: String,
    pub size: i64,
    pub created_at: i64,
}

pub async fn files(db: &Db, id: i64) -> DbResult<Vec<File>> {
    db.fetch_all(sql("SELECT id, application_id, field, name, stored, size, created_at FROM application_file WHERE application_id = $1 ORDER BY id").bind(id))
        .await
}

pub async fn file(db: &Db, id: i64) -> DbResult<Option<File>> {
    db.fetch_optional(
        sql("SELECT id, application_id, field, name, stored, size, created_at FROM application_file WHERE id = $1")
            .bind(id),
    )
    .await
}

/// A department's list: open cases by due date (overdue first), or one state newest first.
pub async fn queue(
    db: &Db,
    orgs: Option<&[i64]>,
    state: Option<&str>,
    overdue_before: Option<&str>,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<Application>, i64)> {
    let build = |select: &str| {
        let mut q = sql(format!("SELECT {select} FROM application WHERE "));
        q = match state {
            Some(s) => q.push("state = ").push_bind(s),
            None => q.push("state IN ('submitted','correction','reviewing')"),
        };
        if let Some(d) = overdue_before {
            q = q.push(" AND due_date < ").push_bind(d);
        }
        q = q.and_within("org_id", orgs);
        q
    };
    let total = db.count(build("COUNT(*)")).await?;
    // Cases still running put the longest overdue first; finished ones the newest first.
    let running = state.is_none_or(|s| crate::domain::State::parse(s).is_some_and(crate::domain::State::is_open));
    let order = if running { " ORDER BY due_date, id" } else { " ORDER BY submitted_at DESC, id DESC" };
    let rows = db
        .fetch_all(build("*").push(order).push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset))
        .await?;
    Ok((rows, total))
}

/// What waits in a department's case queue (the workbench). Overdue as in [`queue`]: a running
/// case whose promised date is before today.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CaseOverview {
    pub submitted: i64,
    pub correction: i64,
    pub reviewing: i64,
    pub approved: i64,
    pub overdue: i64,
    pub due_soon: i64,
}

pub async fn case_overview(db: &Db, orgs: Option<&[i64]>, today: &str, horizon: &str) -> DbResult<CaseOverview> {
    let mut q = sql(
        "SELECT COALESCE(SUM(CASE WHEN state = 'submitted' THEN 1 ELSE 0 END), 0) AS submitted, \
         COALESCE(SUM(CASE WHEN state = 'correction' THEN 1 ELSE 0 END), 0) AS correction, \
         COALESCE(SUM(CASE WHEN state = 'reviewing' THEN 1 ELSE 0 END), 0) AS reviewing, \
         COALESCE(SUM(CASE WHEN state = 'approved' THEN 1 ELSE 0 END), 0) AS approved, \
         COALESCE(SUM(CASE WHEN state <> 'approved' AND due_date < $1 THEN 1 ELSE 0 END), 0) AS overdue, \
         COALESCE(SUM(CASE WHEN state <> 'approved' AND due_date >= $1 AND due_date <= $2 THEN 1 ELSE 0 END), 0) AS due_soon \
         FROM application WHERE state IN ('submitted','correction','reviewing','approved')",
    )
    .bind(today)
    .bind(horizon);
    q = q.and_within("org_id", orgs);
    db.fetch_one(q).await
}

/// Open 差评 follow-ups of these departments (`None`: all).
pub async fn open_followups(db: &Db, orgs: Option<&[i64]>) -> DbResult<i64> {
    let mut q = sql("SELECT COUNT(*) FROM rating_followup WHERE state = 'open'");
    q = q.and_within("org_id", orgs);
    db.count(q).await
}

/// 办件公示: recent cases, newest first (the caller masks the applicant).
pub async fn recent(db: &Db, limit: i64, offset: i64) -> DbResult<(Vec<Application>, i64)> {
    // The tally knows the total without counting a million rows.
    let total = db.count(sql("SELECT CAST(COALESCE(SUM(received), 0) AS BIGINT) FROM application_tally")).await?;
    let rows = db
        .fetch_all(
            sql("SELECT * FROM application ORDER BY submitted_at DESC, id DESC LIMIT $1 OFFSET $2")
                .bind(limit)
                .bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Counts per item for received-in-period applications (statistics).
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct ItemCounts {
    pub item_id: i64,
    pub org_id: i64,
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
    pub workdays: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub bad: i64,
}

/// Counts per item for applications received on days `from..=to` (`YYYY-MM-DD`), from the tally.
pub async fn item_counts(db: &Db, from: &str, to: &str) -> DbResult<Vec<ItemCounts>> {
    let sums: Vec<String> = TALLY.fields.iter().map(|f| format!("CAST(SUM({f}) AS BIGINT) AS {f}")).collect();
    db.fetch_all(
        sql(format!(
            "SELECT item_id, org_id, {} FROM application_tally WHERE day >= $1 AND day <= $2 GROUP BY item_id, org_id",
            sums.join(", ")
        ))
        .bind(from)
        .bind(to),
    )
    .await
}

// ---- follow-ups ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Followup {
    pub id: i64,
    pub application_id: i64,
    pub org_id: i64,
    pub rating: String,
    pub due_date: String,
    pub state: String,
    pub response: String,
    pub created_at: i64,
}

/// The statement that opens a 差评 follow-up; it runs inside the rating's transition (see
/// [`apply`]), so a rating that loses a race opens nothing.
pub fn open_followup(application_id: i64, org_id: i64, rating: &str, due: &str) -> Q {
    sql("INSERT INTO rating_followup (application_id, org_id, rating, due_date, state, created_at) VALUES ($1,$2,$3,$4,'open',$5)")
        .bind(application_id)
        .bind(org_id)
        .bind(rating.to_owned())
        .bind(due.to_owned())
        .bind(now())
}

pub async fn followups(db: &Db, orgs: Option<&[i64]>) -> DbResult<Vec<Followup>> {
    let mut q = sql(
        "SELECT id, application_id, org_id, rating, due_date, state, response, created_at FROM rating_followup WHERE 1=1",
    );
    q = q.and_within("org_id", orgs);
    db.fetch_all(q.push(" ORDER BY state DESC, due_date")).await
}

pub async fn close_followup(db: &Db, id: i64, response: &str) -> DbResult<u64> {
    db.execute(
        sql("UPDATE rating_followup SET state = 'closed', response = $1, closed_at = $2 WHERE id = $3 AND state = 'open'")
            .bind(response)
            .bind(now())
            .bind(id),
    )
    .await
}

pub async fn followup(db: &Db, id: i64) -> DbResult<Option<Followup>> {
    db.fetch_optional(sql("SELECT id, application_id, org_id, rating, due_date, state, response, created_at FROM rating_followup WHERE id = $1").bind(id))
        .await
}

/// Applications received per department and month of `year` (Beijing), as (org, month, count),
/// summed from the statistics tally.
pub async fn monthly_by_org(db: &Db, year: i32) -> DbResult<Vec<(i64, i64, i64)>> {
    #[derive(sqlx::FromRow)]
    struct OrgCount {
        org_id: i64,
        n: i64,
    }
    let mut out = Vec::new();
    for m in 1..=12u8 {
        let (from, to) = (format!("{year:04}-{m:02}-01"), format!("{year:04}-{m:02}-31"));
        let rows: Vec<OrgCount> = db
            .fetch_all(
                sql("SELECT org_id, CAST(SUM(received) AS BIGINT) AS n FROM application_tally WHERE day >= $1 AND day <= $2 GROUP BY org_id")
                    .bind(from)
                    .bind(to),
            )
            .await?;
        out.extend(rows.into_iter().map(|r| (r.org_id, i64::from(m), r.n)));
    }
    Ok(out)
}

/// (ratings, sum of scores) of one item, from the statistics tally.
pub async fn item_rating(db: &Db, item_id: i64) -> DbResult<(i64, i64)> {
    #[derive(sqlx::FromRow)]
    struct RatingSum {
        n: i64,
        s: i64,
    }
    let r: RatingSum = db
        .fetch_one(
            sql("SELECT CAST(COALESCE(SUM(rated), 0) AS BIGINT) AS n, CAST(COALESCE(SUM(rating_sum), 0) AS BIGINT) AS s FROM application_tally WHERE item_id = $1")
                .bind(item_id),
        )
        .await?;
    Ok((r.n, r.s))
}
