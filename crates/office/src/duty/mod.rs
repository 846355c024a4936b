//! 政务值班: the roster (a 带班领导 and a 值班员 each day, filled by rotation, overridden by hand,
//! traded between two people with the duty office's approval — `swaps`),
//! each unit's 零报告 by 16:00 (units that miss it are listed in red on the duty page and on their
//! own workbench), the duty log (calls, events, handovers), and emergency events: the duty office
//! opens one for a unit, the unit reports 初报 → 续报 → 终报 against the level's time limits, and a
//! job alerts the day's 带班领导 by SMS (and the unit by mail) once per missed deadline — in the
//! transaction that records it. Each person has an iCalendar feed of their duties.
//!
//! Layout: `domain` (pure rules), this file (storage and operations), `swaps`, `admin`, `api`,
//! `demo`.

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;
pub mod swaps;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use domain::{Level, Role, Stage};

pub static FLOW: Flow = Flow { name: "office_duty_incident", table: "office_duty_incident", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Shift {
    pub id: i64,
    pub day: String,
    pub role: String,
    pub person: String,
    pub phone: String,
    pub user_id: Option<i64>,
    pub updated_by: String,
    pub updated_at: i64,
}

platform::template_value!(Shift);

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LogEntry {
    pub id: i64,
    pub day: String,
    pub kind: String,
    pub text: String,
    pub recorded_by: String,
    pub at: i64,
}

platform::template_value!(LogEntry);

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Incident {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub level: String,
    pub occurred_at: i64,
    pub state: String,
    pub last_report_at: Option<i64>,
    pub escalated: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Incident);

impl Incident {
    pub fn level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::General)
    }

    pub fn closed(&self) -> bool {
        self.state == "closed"
    }

    pub fn next_due(&self) -> Option<(Stage, i64)> {
        domain::next_due(self.level(), self.occurred_at, self.last_report_at, self.closed())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub incident_id: i64,
    pub stage: String,
    pub text: String,
    pub reported_by: String,
    pub at: i64,
}

platform::template_value!(Report);

pub fn today() -> String {
    platform::calendar::date_text(platform::calendar::today())
}

pub fn is_office(auth: &Auth) -> bool {
    auth.can(Perm::DutyManage, &ResourceScope::platform())
}

pub fn require_office(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::DutyManage, &ResourceScope::platform())
}

/// The duty office and the units' clerks open the duty pages.
pub fn may_read(auth: &Auth) -> bool {
    auth.holds_anywhere(Perm::DutyManage) || auth.holds_anywhere(Perm::OfficeExchange)
}

/// A person's next duties, from today.
pub async fn upcoming_shifts(db: &Db, user_id: i64, limit: i64) -> Result<Vec<Shift>, AppError> {
    Ok(db
        .fetch_all(
            sql("SELECT * FROM office_duty_shift WHERE user_id = $1 AND day >= $2 ORDER BY day LIMIT $3")
                .bind(user_id)
                .bind(today())
                .bind(limit),
        )
        .await?)
}

pub async fn shifts(db: &Db, from: &str, to: &str) -> Result<Vec<Shift>, AppError> {
    Ok(db
        .fetch_all(
            sql("SELECT * FROM office_duty_shift WHERE day >= $1 AND day <= $2 ORDER BY day, role").bind(from).bind(to),
        )
        .await?)
}

/// Fills the roster for `role` from `start` for `days` days with the listed people in turn
/// (replacing what those days held for that role).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["role", "people", "start", "days"]))]
pub struct RotationInput {
    /// leader（带班领导）或 officer（值班员）
    #[serde(default)]
    #[schemars(extend("enum" = ["leader", "officer"]))]
    pub role: String,
    /// 轮值人员，每行一人：姓名 电话 账号（电话、账号可省）
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub people: String,
    /// 起始日期
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub start: String,
    /// 天数（1–366）
    #[serde(default)]
    #[schemars(range(min = 1, max = 366))]
    pub days: u32,
}

pub async fn rotate(state: &AppState, ctx: &Ctx, auth: &Auth, input: &RotationInput) -> Result<usize, AppError> {
    require_office(auth)?;
    let mut errs = Vec::new();
    let role = Role::parse(&input.role);
    if role.is_none() {
        errs.push(FieldError::new("role", "请选择带班领导或值班员"));
    }
    let list = domain::people(&input.people).map_err(|e| errs.push(FieldError::new("people", e))).ok();
    let start = platform::calendar::date(input.start.trim());
    if start.is_none() {
        errs.push(FieldError::new("start", "起始日期应写作 2026-12-01"));
    }
    if !(1..=366).contains(&input.days) {
        errs.push(FieldError::new("days", "天数应在 1 到 366 之间"));
    }
    let mut users = Vec::new();
    for p in list.iter().flatten() {
        if p.account.is_empty() {
            users.push(None);
        } else {
            match accounts::user_by_name(&state.db, &p.account).await? {
                Some(u) => users.push(Some(u.id)),
                None => errs.push(FieldError::new("people", format!("账号 {} 不存在", p.account))),
            }
        }
    }
    let (Some(role), Some(list), Some(start)) = (role, list, start) else { return Err(AppError::Invalid(errs)) };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let names: Vec<String> = (0..list.len()).map(|i| i.to_string()).collect();
    let plan = domain::rotation(&names, start, input.days);
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    for (day, idx) in &plan {
        let i: usize = idx.parse().unwrap_or(0);
        let day = platform::calendar::date_text(*day);
        tx.execute(
            sql("DELETE FROM office_duty_shift WHERE day = $1 AND role = $2").bind(day.as_str()).bind(role.code()),
        )
        .await?;
        tx.execute(
            sql("INSERT INTO office_duty_shift (day, role, person, phone, user_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(day.as_str())
                .bind(role.code())
                .bind(list[i].name.as_str())
                .bind(list[i].phone.as_str())
                .bind(users[i])
                .bind(&auth.user.display_name)
                .bind(now),
        )
        .await?;
    }
    tx.commit().await?;
    let summary = format!("{}：{} 起 {} 天，{} 人轮值", role.label(), input.start.trim(), input.days, list.len());
    state.audit(ctx, "duty.rotate", "office_duty_shift", "success", summary).await;
    Ok(plan.len())
}

/// One day's duty for one role, set by hand (an override or a swap the office approved).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["person"]))]
pub struct ShiftInput {
    /// 姓名
    #[serde(default)]
    #[schemars(length(min = 2, max = 20))]
    pub person: String,
    /// 电话
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9-]{0,20}$"))]
    pub phone: String,
    /// 系统账号（可选）
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub account: String,
}

pub async fn set_shift(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    day: &str,
    role: &str,
    input: &ShiftInput,
) -> Result<(), AppError> {
    require_office(auth)?;
    let Some(role) = Role::parse(role) else {
        return Err(AppError::invalid("role", "请选择带班领导或值班员"));
    };
    let Some(date) = platform::calendar::date(day.trim()) else {
        return Err(AppError::invalid("day", "日期应写作 2026-12-01"));
    };
    let line = format!("{} {} {}", input.person.trim(), input.phone.trim(), input.account.trim());
    let p = domain::people(&line).map_err(|e| AppError::invalid("person", e))?.remove(0);
    let user = if p.account.is_empty() {
        None
    } else {
        Some(
            accounts::user_by_name(&state.db, &p.account)
                .await?
                .ok_or_else(|| AppError::invalid("account", format!("账号 {} 不存在", p.account)))?
                .id,
        )
    };
    let day = platform::calendar::date_text(date);
    let mut tx = state.db.begin().await?;
    tx.execute(sql("DELETE FROM office_duty_shift WHERE day = $1 AND role = $2").bind(day.as_str()).bind(role.code()))
        .await?;
    tx.execute(
        sql("INSERT INTO office_duty_shift (day, role, person, phone, user_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(day.as_str())
            .bind(role.code())
            .bind(p.name.as_str())
            .bind(p.phone.as_str())
            .bind(user)
            .bind(&auth.user.display_name)
            .bind(platform::db::now()),
    )
    .await?;
    tx.commit().await?;
    state.audit(ctx, "duty.shift", "office_duty_shift", "success", format!("{day} {}：{}", role.label(), p.name)).await;
    Ok(())
}

/// A unit's 零报告 for today (once a day; a second one changes nothing).
pub async fn zero_report(state: &AppState, ctx: &Ctx, auth: &Auth, unit: &str, note: &str) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let Some(u) = orgs.iter().find(|o| o.code == unit.trim()) else {
        return Err(AppError::invalid("unit", "请选择报告单位"));
    };
    auth.require(Perm::OfficeExchange, &accounts::org_scope(&orgs, u.id))?;
    if note.trim().chars().count() > 500 {
        return Err(AppError::invalid("note", "说明不能超过 500 字"));
    }
    let done = state
        .db
        .execute(
            sql("INSERT INTO office_duty_zero (unit_id, day, note, reported_by, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(u.id)
                .bind(today())
                .bind(note.trim())
                .bind(&auth.user.display_name)
                .bind(platform::db::now()),
        )
        .await;
    match done {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    state.audit(ctx, "duty.zero", &format!("org:{}", u.id), "success", today()).await;
    Ok(())
}

/// Units expected to give a 零报告 (the top-level units under the group's root) and, after the
/// cut-off, those that have not today.
pub async fn zero_status(db: &Db, orgs: &[OrgUnit]) -> Result<(Vec<(i64, Option<i64>)>, bool), AppError> {
    #[derive(sqlx::FromRow)]
    struct Z {
        unit_id: i64,
        at: i64,
    }
    let done: Vec<Z> =
        db.fetch_all(sql("SELECT unit_id, at FROM office_duty_zero WHERE day = $1").bind(today())).await?;
    let root = orgs.iter().find(|o| o.parent_id.is_none()).map(|o| o.id);
    let units: Vec<(i64, Option<i64>)> = orgs
        .iter()
        .filter(|o| o.parent_id.is_some() && o.parent_id == root && o.kind != "division")
        .map(|o| (o.id, done.iter().find(|z| z.unit_id == o.id).map(|z| z.at)))
        .collect();
    let midnight = platform::parse_date(&today()).unwrap_or(0);
    let past_cutoff = platform::db::now() >= midnight + domain::ZERO_CUTOFF_MINUTES * 60;
    Ok((units, past_cutoff))
}

/// A duty-log entry (calls, events, handovers).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["kind", "text"]))]
pub struct LogInput {
    /// call 来电，event 事件，handover 交接班
    #[serde(default)]
    #[schemars(extend("enum" = ["call", "event", "handover"]))]
    pub kind: String,
    /// 内容：时间、来电单位和人员、事由、处理和通知了谁
    #[serde(default)]
    #[schemars(length(min = 2, max = 5000))]
    pub text: String,
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "call" => "来电",
        "event" => "事件",
        "handover" => "交接班",
        "alarm" => "提醒",
        _ => "记录",
    }
}

pub async fn log(state: &AppState, ctx: &Ctx, auth: &Auth, input: &LogInput) -> Result<i64, AppError> {
    require_office(auth)?;
    if !["call", "event", "handover"].contains(&input.kind.as_str()) {
        return Err(AppError::invalid("kind", "请选择来电、事件或交接班"));
    }
    let n = input.text.trim().chars().count();
    if !(2..=5000).contains(&n) {
        return Err(AppError::invalid("text", "请填写值班记录（2 至 5000 字）"));
    }
    let id = state
        .db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_duty_log (day, kind, text, recorded_by, at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(today())
                .bind(input.kind.as_str())
                .bind(input.text.trim())
                .bind(&auth.user.display_name)
                .bind(platform::db::now()),
        )
        .await?
        .0;
    state.audit(ctx, "duty.log", &format!("office_duty_log:{id}"), "success", kind_label(&input.kind)).await;
    Ok(id)
}

pub async fn log_of(db: &Db, day: &str) -> Result<Vec<LogEntry>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_duty_log WHERE day = $1 ORDER BY id").bind(day)).await?)
}

/// An emergency event the duty office opens for a unit (from a call or the unit's own word).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["unit", "title", "level", "occurred_at"]))]
pub struct IncidentInput {
    /// 事发单位（机构代码）
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    #[schemars(length(min = 2, max = 100))]
    pub title: String,
    /// extraordinary 特别重大，major 重大，large 较大，general 一般
    #[serde(default)]
    #[schemars(extend("enum" = ["extraordinary", "major", "large", "general"]))]
    pub level: String,
    /// 事发时间，如 2026-12-06 14:30
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub occurred_at: String,
}

pub async fn open_incident(state: &AppState, ctx: &Ctx, auth: &Auth, input: &IncidentInput) -> Result<i64, AppError> {
    require_office(auth)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let unit = orgs.iter().find(|o| o.code == input.unit.trim());
    if unit.is_none() {
        errs.push(FieldError::new("unit", "请选择事发单位"));
    }
    if !(2..=100).contains(&input.title.trim().chars().count()) {
        errs.push(FieldError::new("title", "请填写事件名称（2 至 100 字）"));
    }
    let level = Level::parse(&input.level);
    if level.is_none() {
        errs.push(FieldError::new("level", "请选择事件等级"));
    }
    let occurred = platform::parse_datetime(&input.occurred_at).filter(|t| *t <= platform::db::now() + 60);
    if occurred.is_none() {
        errs.push(FieldError::new("occurred_at", "事发时间应写作 2026-12-06 14:30，且不晚于现在"));
    }
    let (Some(unit), Some(level), Some(occurred)) = (unit, level, occurred) else {
        return Err(AppError::Invalid(errs));
    };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_duty_incident (unit_id, title, level, occurred_at, state, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6, $6) RETURNING id")
            .bind(unit.id)
            .bind(input.title.trim())
            .bind(level.code())
            .bind(occurred)
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    let t = Transition {
        action: "open",
        from: "",
        to: "open",
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: "",
    };
    workflow::record(&mut tx, &FLOW, id, &t, now).await?;
    tx.commit().await?;
    state.audit(ctx, "duty.incident", &format!("office_duty_incident:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

pub async fn incident(db: &Db, id: i64) -> Result<Incident, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_duty_incident WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn reports(db: &Db, id: i64) -> Result<Vec<Report>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_duty_report WHERE incident_id = $1 ORDER BY id").bind(id)).await?)
}

/// The duty office and the unit's clerks read an event.
pub async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<(Incident, Vec<OrgUnit>, bool), AppError> {
    let i = incident(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let unit = auth.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, i.unit_id));
    if !is_office(auth) && !unit {
        return Err(AppError::NotFound);
    }
    Ok((i, orgs, unit))
}

/// The unit's written report at a stage; 终报 closes the event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["stage", "text"]))]
pub struct ReportInput {
    /// initial 初报，followup 续报，final 终报
    #[serde(default)]
    #[schemars(extend("enum" = ["initial", "followup", "final"]))]
    pub stage: String,
    /// 报告内容：时间、地点、性质、范围、伤亡和损失、趋势、已采取的措施
    #[serde(default)]
    #[schemars(length(min = 10, max = 10000))]
    pub text: String,
}

pub async fn report(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &ReportInput) -> Result<(), AppError> {
    let (i, _, unit) = visible(state, auth, id).await?;
    if !unit {
        return Err(AppError::Forbidden("事件报告由事发单位填报".into()));
    }
    let Some(stage) = Stage::parse(&input.stage) else {
        return Err(AppError::invalid("stage", "请选择初报、续报或终报"));
    };
    if !domain::may_report(i.last_report_at.is_some(), i.closed(), stage) {
        let why = if i.closed() {
            "事件已终报".to_owned()
        } else if i.last_report_at.is_none() {
            "请先报送初报".to_owned()
        } else {
            "初报已报送".to_owned()
        };
        return Err(AppError::Conflict(why));
    }
    let n = input.text.trim().chars().count();
    if !(10..=10_000).contains(&n) {
        return Err(AppError::invalid("text", "请写明时间、地点、性质、伤亡和损失、已采取的措施（至少 10 字）"));
    }
    let now = platform::db::now();
    let to = if stage == Stage::Final { "closed" } else { "open" };
    let t = Transition {
        action: stage.code(),
        from: &i.state,
        to,
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: "",
    };
    let change = Change::new(&FLOW, id, i.updated_at, t).set("last_report_at", now).also(
        sql("INSERT INTO office_duty_report (incident_id, stage, text, reported_by, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(stage.code())
            .bind(input.text.trim())
            .bind(&auth.user.display_name)
            .bind(now),
    );
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这个事件刚被更新，请刷新后重试".into()));
    }
    state
        .audit(
            ctx,
            &format!("duty.{}", stage.code()),
            &format!("office_duty_incident:{id}"),
            "success",
            i.title.as_str(),
        )
        .await;
    Ok(())
}

pub async fn open_incidents(db: &Db) -> Result<Vec<Incident>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_duty_incident WHERE state = 'open' ORDER BY id DESC LIMIT 200")).await?)
}

pub async fn recent_incidents(db: &Db, units: Option<&[i64]>) -> Result<Vec<Incident>, AppError> {
    let q = sql("SELECT * FROM office_duty_incident WHERE 1 = 1").and_within("unit_id", units);
    Ok(db.fetch_all(q.push(" ORDER BY id DESC LIMIT 50")).await?)
}

/// Alerts the day's 带班领导 (SMS) and the unit (mail) about each missed report deadline, once per
/// deadline; returns how many were escalated. Run every minute by the module's job.
pub async fn escalate(state: &AppState) -> Result<usize, AppError> {
    let now = platform::db::now();
    let leader = shifts(&state.db, &today(), &today()).await?.into_iter().find(|s| s.role == "leader");
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut n = 0;
    for i in open_incidents(&state.db).await? {
        let Some((stage, due)) = i.next_due() else { continue };
        let key = domain::escalation_key(stage, due);
        if due > now || i.escalated == key {
            continue;
        }
        let unit = accounts::org_name(&orgs, i.unit_id);
        let text = format!(
            "【值班提醒】{unit}“{}”（{}）{}已超时（应于 {} 前报送）。",
            i.title,
            i.level().label(),
            stage.label(),
            platform::fmt_time(due)
        );
        let mut effects = vec![Effect::UnitMail {
            unit: i.unit_id,
            subject: format!("【{}超时】{}", stage.label(), i.title),
            body: text.clone(),
        }];
        if let Some(l) = leader.as_ref().filter(|l| !l.phone.is_empty()) {
            effects.push(Effect::Sms { to: l.phone.clone(), text: text.clone() });
        }
        let t = Transition {
            action: "escalate",
            from: "open",
            to: "open",
            step: 0,
            actor: "值班系统",
            actor_id: None,
            comment: &text,
        };
        let change = Change::new(&FLOW, i.id, i.updated_at, t)
            .set("escalated", key.as_str())
            .also(
                sql("INSERT INTO office_duty_log (day, kind, text, recorded_by, at) VALUES ($1, 'alarm', $2, '值班系统', $3)")
                    .bind(today())
                    .bind(format!("{text}已提醒{}", leader.as_ref().map_or("事发单位".to_owned(), |l| format!("带班领导{}和事发单位", l.person))))
                    .bind(now),
            )
            .effects(effects);
        if workflow::apply(state, change).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// Runs [`escalate`] every minute.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = escalate(&state).await {
                tracing::warn!(error = %e, "duty escalation failed");
            }
        }
    });
}

/// A person's duties as an iCalendar feed (each from 08:30 to 08:30 the next day, Beijing time).
pub async fn ics_for(db: &Db, user_id: i64) -> Result<String, AppError> {
    let list: Vec<Shift> =
        db.fetch_all(sql("SELECT * FROM office_duty_shift WHERE user_id = $1 ORDER BY day").bind(user_id)).await?;
    let entries: Vec<crate::calendar::Entry> = list
        .iter()
        .filter_map(|s| {
            // Local midnight plus 08:30.
            let starts_at = platform::parse_date(&s.day)? + 8 * 3600 + 1800;
            let role = Role::parse(&s.role).map_or("值班", |r| r.label());
            Some(crate::calendar::Entry {
                uid: format!("office-duty-{}@zhengwu", s.id),
                summary: format!("政务值班（{role}）"),
                location: "总值班室".into(),
                starts_at,
                ends_at: starts_at + 86_400,
                ..Default::default()
            })
        })
        .collect();
    Ok(crate::calendar::ics("政务值班", &entries))
}
