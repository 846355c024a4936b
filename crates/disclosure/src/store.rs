//! Disclosure's tables: requests (with their personal data sealed), guides and the annual
//! reports' hand-entered parts; the queue and overdue queries; the grouped counts table 三 is
//! made from.

use platform::db::{Db, DbResult, Exec, Scalar, sql};
use platform::sealed::{SealedColumns, seal};
use platform::workflow::{self, Flow, Transition};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::domain::{ApplicantKind, ClockEvent, Counted, Outcome, State};

/// Requests as a workflow: their transitions are recorded and applied by the kernel.
pub static FLOW: Flow = Flow { name: "disclosure_request", table: "disclosure_request", versioned: true };

pub const SEALED_REQUEST: SealedColumns =
    SealedColumns { table: "disclosure_request", columns: &["id_number", "phone", "email", "address"], hashes: &[] };

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Request {
    pub id: i64,
    pub no: String,
    #[serde(skip)]
    pub query_hash: String,
    pub org_id: i64,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub id_type: String,
    pub id_number: String,
    #[serde(skip)]
    pub applicant_hash: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub description: String,
    pub purpose: String,
    pub delivery: String,
    pub channel: String,
    pub state: String,
    pub submitted_at: i64,
    pub submitted_on: String,
    pub received_on: Option<String>,
    pub clock: String,
    pub due_on: Option<String>,
    pub correction_note: String,
    pub corrected_once: bool,
    pub extended_once: bool,
    pub fee_state: String,
    pub fee_yuan: i64,
    pub outcome: String,
    pub basis: String,
    pub reply: String,
    pub decided_on: Option<String>,
    pub delivered_on: Option<String>,
    pub earlier_no: String,
    pub review_kind: String,
    pub review_result: String,
    pub review_on: Option<String>,
    pub review_note: String,
    #[serde(skip)]
    pub ip: String,
    pub updated_at: i64,
}

platform::template_value!(Request);

impl Request {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Submitted)
    }

    pub fn kind(&self) -> ApplicantKind {
        ApplicantKind::parse(&self.applicant_kind).unwrap_or(ApplicantKind::Person)
    }

    pub fn outcome(&self) -> Option<Outcome> {
        Outcome::parse(&self.outcome)
    }

    /// The clock's events as stored.
    pub fn clock_events(&self) -> Vec<ClockEvent> {
        serde_json::from_str::<Vec<StoredClockEvent>>(&self.clock)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.event())
            .collect()
    }

    /// The personal data opened for a full view (audited by the caller).
    pub fn opened(&self) -> Request {
        let open = |s: &str| platform::sealed::open(s).unwrap_or_else(|| platform::sealed::UNREADABLE.to_owned());
        Request {
            id_number: open(&self.id_number),
            phone: open(&self.phone),
            email: open(&self.email),
            address: open(&self.address),
            ..self.clone()
        }
    }
}

/// One clock event as JSON: `{"kind": "received", "day": "2026-09-18"}`, `{"kind": "extended",
/// "days": 15}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredClockEvent {
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub day: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl StoredClockEvent {
    pub fn of(e: ClockEvent) -> StoredClockEvent {
        let at = |kind: &str, d: Date| StoredClockEvent {
            kind: kind.to_owned(),
            day: platform::calendar::date_text(d),
            days: 0,
        };
        match e {
            ClockEvent::Received(d) => at("received", d),
            ClockEvent::CorrectionRequested(d) => at("correction_requested", d),
            ClockEvent::Corrected(d) => at("corrected", d),
            ClockEvent::ConsultationStarted(d) => at("consultation_started", d),
            ClockEvent::ConsultationEnded(d) => at("consultation_ended", d),
            ClockEvent::FeeNotified(d) => at("fee_notified", d),
            ClockEvent::FeeSettled(d) => at("fee_settled", d),
            ClockEvent::Extended(n) => StoredClockEvent { kind: "extended".into(), day: String::new(), days: n },
        }
    }

    pub fn event(&self) -> Option<ClockEvent> {
        let day = || platform::calendar::date(&self.day);
        Some(match self.kind.as_str() {
            "received" => ClockEvent::Received(day()?),
            "correction_requested" => ClockEvent::CorrectionRequested(day()?),
            "corrected" => ClockEvent::Corrected(day()?),
            "consultation_started" => ClockEvent::ConsultationStarted(day()?),
            "consultation_ended" => ClockEvent::ConsultationEnded(day()?),
            "fee_notified" => ClockEvent::FeeNotified(day()?),
            "fee_settled" => ClockEvent::FeeSettled(day()?),
            "extended" => ClockEvent::Extended(self.days),
            _ => return None,
        })
    }
}

/// The clock's events as stored, with `next` appended.
pub fn clock_with(r: &Request, next: ClockEvent) -> String {
    let mut events: Vec<StoredClockEvent> = r.clock_events().into_iter().map(StoredClockEvent::of).collect();
    events.push(StoredClockEvent::of(next));
    serde_json::to_string(&events).unwrap_or_else(|_| "[]".into())
}

/// A new request as the form gave it, checked.
pub struct NewRequest<'a> {
    pub org_id: i64,
    pub applicant_kind: ApplicantKind,
    pub applicant_name: &'a str,
    pub id_type: &'a str,
    pub id_number: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub address: &'a str,
    pub description: &'a str,
    pub purpose: &'a str,
    pub delivery: &'a str,
    pub channel: &'a str,
    pub query_hash: &'a str,
    pub ip: &'a str,
    pub at: i64,
    pub day: Date,
}

/// Files a request with its first event; returns its id and receipt number (`YSQ` + day + id).
pub async fn insert(db: &Db, r: &NewRequest<'_>) -> DbResult<(i64, String)> {
    let mut tx = db.begin().await?;
    let temp = platform::intake::temporary_number();
    let day = platform::calendar::date_text(r.day);
    let id: Scalar<i64> = tx
        .fetch_one(
            sql("INSERT INTO disclosure_request (no, query_hash, org_id, applicant_kind, applicant_name, id_type, id_number, applicant_hash, \
                 phone, email, address, description, purpose, delivery, channel, state, submitted_at, submitted_on, updated_at, ip) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,'submitted',$16,$17,$16,$18) RETURNING id")
                .bind(&temp)
                .bind(r.query_hash)
                .bind(r.org_id)
                .bind(r.applicant_kind.code())
                .bind(r.applicant_name)
                .bind(r.id_type)
                .bind(seal(r.id_number))
                .bind(platform::sealed::lookup_hash(r.id_number))
                .bind(seal(r.phone))
                .bind(seal(r.email))
                .bind(seal(r.address))
                .bind(r.description)
                .bind(r.purpose)
                .bind(r.delivery)
                .bind(r.channel)
                .bind(r.at)
                .bind(&day)
                .bind(r.ip),
        )
        .await?;
    let no = platform::intake::assign_number(
        &mut tx,
        "disclosure_request",
        id.0,
        &format!("YSQ{}", day.replace('-', "")),
        6,
    )
    .await?;
    let first = Transition {
        action: "submit",
        from: "",
        to: "submitted",
        step: 0,
        actor: "申请人",
        actor_id: None,
        comment: "",
    };
    workflow::record(&mut tx, &FLOW, id.0, &first, r.at).await?;
    tx.commit().await?;
    Ok((id.0, no))
}

pub async fn get(db: &Db, id: i64) -> DbResult<Option<Request>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_request WHERE id = $1").bind(id)).await
}

pub async fn by_no(db: &Db, no: &str) -> DbResult<Option<Request>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_request WHERE no = $1").bind(no)).await
}

pub async fn events(db: &Db, id: i64) -> DbResult<Vec<workflow::Event>> {
    workflow::events(db, &FLOW, id).await
}

/// Requests from one address in the last hour, and from one applicant (ID number or credit code)
/// in the last day.
pub async fn recent(db: &Db, ip: &str, applicant_hash: &str, now: i64) -> DbResult<(i64, i64)> {
    let by_ip = db
        .count(
            sql("SELECT COUNT(*) FROM disclosure_request WHERE ip = $1 AND submitted_at >= $2")
                .bind(ip)
                .bind(now - 3600),
        )
        .await?;
    let by_applicant = db
        .count(
            sql("SELECT COUNT(*) FROM disclosure_request WHERE applicant_hash = $1 AND submitted_at >= $2")
                .bind(applicant_hash)
                .bind(now - 86_400),
        )
        .await?;
    Ok((by_ip, by_applicant))
}

/// The applicant's requests to one agency since `month_start` (the 按件 fee counts them).
pub async fn applicant_month_count(db: &Db, applicant_hash: &str, org_id: i64, month_start: &str) -> DbResult<i64> {
    db.count(
        sql("SELECT COUNT(*) FROM disclosure_request WHERE applicant_hash = $1 AND org_id = $2 AND submitted_on >= $3")
            .bind(applicant_hash)
            .bind(org_id)
            .bind(month_start),
    )
    .await
}

/// Which requests a queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter<'a> {
    /// The units the reader handles (`None`: all).
    pub orgs: Option<&'a [i64]>,
    /// One state, or every open state.
    pub state: Option<&'a str>,
    /// Only those due before this day (the overdue list).
    pub due_before: Option<&'a str>,
    /// Keyset for the lists of closed requests (newest first, long): those submitted before this
    /// `(submitted_at, id)`, instead of an offset that walks every earlier page.
    pub before: Option<(i64, i64)>,
}

/// A page of the queue, the longest overdue first for open requests, the newest first otherwise;
/// and the count of all that match.
pub async fn queue(db: &Db, f: &QueueFilter<'_>, limit: i64, offset: i64) -> DbResult<(Vec<Request>, i64)> {
    let build = |select: &str| {
        let mut q = sql(format!("SELECT {select} FROM disclosure_request WHERE "));
        q = match f.state {
            Some(s) => q.push("state = ").push_bind(s),
            None => q.push("state IN ('submitted','received','correcting','consulting','fee_notified')"),
        };
        if let Some(d) = f.due_before {
            q = q.push(" AND due_on < ").push_bind(d);
        }
        q = q.and_within("org_id", f.orgs);
        q
    };
    let total = db.count(build("COUNT(*)")).await?;
    let open = f.state.is_none_or(|s| State::parse(s).is_some_and(State::is_open));
    let rows = match f.before.filter(|_| !open) {
        Some((at, id)) => {
            let q = build("*").push(" AND (submitted_at < ").push_bind(at).push(" OR (submitted_at = ").push_bind(at);
            db.fetch_all(
                q.push(" AND id < ")
                    .push_bind(id)
                    .push(")) ORDER BY submitted_at DESC, id DESC LIMIT ")
                    .push_bind(limit),
            )
            .await?
        }
        None => {
            let order = if open { " ORDER BY due_on, id" } else { " ORDER BY submitted_at DESC, id DESC" };
            db.fetch_all(build("*").push(order).push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset))
                .await?
        }
    };
    Ok((rows, total))
}

/// Counts per state for the units (the queue's tabs and the workbench).
pub async fn state_counts(db: &Db, orgs: Option<&[i64]>, today: &str) -> DbResult<(Vec<(String, i64)>, i64)> {
    let scope = |mut q: platform::db::Q| {
        q = q.and_within("org_id", orgs);
        q
    };
    let by_state: Vec<(String, i64)> = db
        .fetch_all(
            scope(sql("SELECT state, COUNT(*) FROM disclosure_request WHERE 1=1"))
                .push(" GROUP BY state ORDER BY state"),
        )
        .await?;
    let overdue = db
        .count(scope(
            sql("SELECT COUNT(*) FROM disclosure_request WHERE state IN ('received','fee_notified') AND due_on < ")
                .push_bind(today),
        ))
        .await?;
    Ok((by_state, overdue))
}

/// Requests to `org` grouped as table 三 counts them, for `year`: received in or before the year
/// and not decided before it.
pub async fn counted(db: &Db, org_id: i64, year: i32) -> DbResult<Vec<(Counted, i64)>> {
    let first = format!("{year}-01-01");
    let next = format!("{}-01-01", year + 1);
    let rows: Vec<(String, String, String, Option<String>, i64)> = db
        .fetch_all(
            sql("SELECT applicant_kind, SUBSTR(COALESCE(received_on, submitted_on), 1, 4) AS received_year, outcome, \
                 SUBSTR(decided_on, 1, 4) AS decided_year, COUNT(*) FROM disclosure_request \
                 WHERE org_id = $1 AND COALESCE(received_on, submitted_on) < $2 AND (decided_on IS NULL OR decided_on >= $3) \
                 GROUP BY applicant_kind, SUBSTR(COALESCE(received_on, submitted_on), 1, 4), outcome, SUBSTR(decided_on, 1, 4)")
            .bind(org_id)
            .bind(&next)
            .bind(&first),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, received, outcome, decided, n)| {
            let decided = match (Outcome::parse(&outcome), decided.and_then(|y| y.parse().ok())) {
                (Some(o), Some(y)) => Some((o, y)),
                _ => None,
            };
            Some((
                Counted { applicant: ApplicantKind::parse(&kind)?, received_year: received.parse().ok()?, decided },
                n,
            ))
        })
        .collect())
}

/// 复议/诉讼 entered against `org`'s requests in `year`: (kind, result, count).
pub async fn review_counts(db: &Db, org_id: i64, year: i32) -> DbResult<Vec<(String, String, i64)>> {
    db.fetch_all(
        sql("SELECT review_kind, review_result, COUNT(*) FROM disclosure_request WHERE org_id = $1 AND review_kind <> '' \
             AND SUBSTR(review_on, 1, 4) = $2 GROUP BY review_kind, review_result")
        .bind(org_id)
        .bind(year.to_string()),
    )
    .await
}

/// 信息处理费 collected from `org` in `year` (section 六).
pub async fn fees_collected(db: &Db, org_id: i64, year: i32) -> DbResult<i64> {
    let v: Scalar<Option<i64>> = db
        .fetch_one(
            sql("SELECT SUM(fee_yuan) FROM disclosure_request WHERE org_id = $1 AND fee_state = 'paid' AND SUBSTR(COALESCE(decided_on, submitted_on), 1, 4) = $2")
                .bind(org_id)
                .bind(year.to_string()),
        )
        .await?;
    Ok(v.0.unwrap_or(0))
}

// ---- guides -------------------------------------------------------------------------------------

/// An agency's 政府信息公开指南 (Art. 12).
#[derive(Debug, Clone, Default, Serialize, Deserialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct Guide {
    #[serde(default)]
    pub org_id: i64,
    /// 受理机构（政府信息公开工作机构名称）
    #[serde(default)]
    pub office: String,
    /// 办公地址
    #[serde(default)]
    pub address: String,
    /// 邮政编码
    #[serde(default)]
    pub postcode: String,
    /// 联系电话
    #[serde(default)]
    pub phone: String,
    /// 传真号码
    #[serde(default)]
    pub fax: String,
    /// 电子邮箱（互联网联系方式）
    #[serde(default)]
    pub email: String,
    /// 办公时间
    #[serde(default)]
    pub hours: String,
    /// 信息分类、编排体系和获取方式
    #[serde(default)]
    pub classification: String,
    /// 申请方式（网上、信函、当面）
    #[serde(default)]
    pub methods: String,
    /// 处理流程
    #[serde(default)]
    pub process: String,
    /// 收费（信息处理费）
    #[serde(default)]
    pub fees: String,
    /// 答复告知书模板（可用 {申请人}{收到日期}{申请编号}{所需信息}{审查意见}{依据}{机关}；留空用系统默认）
    #[serde(default)]
    pub reply_template: String,
    /// 最近审核日期（YYYY-MM-DD，保存时更新）
    #[serde(default)]
    pub reviewed_on: String,
    #[serde(default)]
    pub updated_at: i64,
    #[serde(default)]
    pub updated_by: String,
}

platform::template_value!(Guide);

pub async fn guide(db: &Db, org_id: i64) -> DbResult<Option<Guide>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_guide WHERE org_id = $1").bind(org_id)).await
}

pub async fn guides(db: &Db) -> DbResult<Vec<Guide>> {
    db.fetch_all(sql("SELECT * FROM disclosure_guide ORDER BY org_id")).await
}

pub async fn save_guide(db: &Db, g: &Guide) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO disclosure_guide (org_id, office, address, postcode, phone, fax, email, hours, classification, methods, process, fees, reviewed_on, updated_at, updated_by, reply_template) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (org_id) DO UPDATE SET reply_template = excluded.reply_template, \
             office = excluded.office, address = excluded.address, postcode = excluded.postcode, phone = excluded.phone, fax = excluded.fax, \
             email = excluded.email, hours = excluded.hours, classification = excluded.classification, methods = excluded.methods, \
             process = excluded.process, fees = excluded.fees, reviewed_on = excluded.reviewed_on, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(g.org_id).bind(&g.office).bind(&g.address).bind(&g.postcode).bind(&g.phone).bind(&g.fax).bind(&g.email).bind(&g.hours)
        .bind(&g.classification).bind(&g.methods).bind(&g.process).bind(&g.fees).bind(&g.reviewed_on).bind(g.updated_at).bind(&g.updated_by).bind(&g.reply_template),
    )
    .await?;
    Ok(())
}

// ---- annual reports -----------------------------------------------------------------------------

/// A report's hand-entered parts (JSON columns) and publication.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub org_id: i64,
    pub year: i64,
    pub sections: String,
    pub table2: String,
    pub table3_extra: String,
    pub table4: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub updated_by: String,
}

pub async fn report(db: &Db, org_id: i64, year: i32) -> DbResult<Option<ReportRow>> {
    db.fetch_optional(
        sql("SELECT * FROM disclosure_report WHERE org_id = $1 AND year = $2").bind(org_id).bind(i64::from(year)),
    )
    .await
}

/// Published reports, the newest year first.
pub async fn published_reports(db: &Db, org_id: Option<i64>) -> DbResult<Vec<ReportRow>> {
    let mut q = sql("SELECT * FROM disclosure_report WHERE published_at IS NOT NULL");
    if let Some(o) = org_id {
        q = q.push(" AND org_id = ").push_bind(o);
    }
    db.fetch_all(q.push(" ORDER BY year DESC, org_id")).await
}

/// Saves a report's hand-entered parts (JSON text, checked by the caller).
pub async fn save_report(db: &Db, r: &ReportRow) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO disclosure_report (org_id, year, sections, table2, table3_extra, table4, published_at, updated_at, updated_by) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (org_id, year) DO UPDATE SET sections = excluded.sections, \
             table2 = excluded.table2, table3_extra = excluded.table3_extra, table4 = excluded.table4, published_at = excluded.published_at, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(r.org_id).bind(r.year).bind(&r.sections).bind(&r.table2).bind(&r.table3_extra).bind(&r.table4)
        .bind(r.published_at).bind(r.updated_at).bind(&r.updated_by),
    )
    .await?;
    Ok(())
}
