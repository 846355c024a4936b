//! 会议通知: a unit's clerk writes a notice (time, place, agenda, 回执 deadline, invited units) and
//! sends it — every invited unit's row and notice in one transaction on the workflow kernel; each
//! unit returns a 回执 naming its attendees (or 请假 with a reason); the organiser reminds those
//! without one, prints the sign-in sheet, signs people in at the door on a phone, and attaches the
//! minutes; the organiser attaches the materials (paperless: only the organiser and the invited
//! units read them); every meeting has an iCalendar entry.
//!
//! Layout: `domain` (pure rules and the calendar text), this file (storage and operations),
//! `admin`, `api`, `demo`.

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use domain::{Notice, Reply, State};

pub static FLOW: Flow = Flow { name: "office_meeting", table: "office_meeting", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Meeting {
    pub id: i64,
    pub org_id: i64,
    pub title: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub agenda: String,
    pub reply_by: i64,
    pub state: String,
    pub minutes: String,
    pub minutes_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

platform::template_value!(Meeting);

impl Meeting {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Draft)
    }

    pub fn ics(&self) -> String {
        let entry = crate::calendar::Entry {
            uid: format!("office-meeting-{}@zhengwu", self.id),
            summary: self.title.clone(),
            location: self.place.clone(),
            description: self.agenda.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            cancelled: self.state() == State::Cancelled,
        };
        crate::calendar::ics("协同办公会议通知", &[entry])
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Invitation {
    pub id: i64,
    pub meeting_id: i64,
    pub unit_id: i64,
    pub state: String,
    pub attendees: String,
    pub reason: String,
    pub replied_by: String,
    pub replied_at: Option<i64>,
    pub reminders: i64,
}

platform::template_value!(Invitation);

impl Invitation {
    pub fn reply(&self) -> Reply {
        Reply::parse(&self.state).unwrap_or(Reply::Pending)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckIn {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub at: i64,
    pub recorded_by: String,
}

platform::template_value!(CheckIn);

pub async fn get(db: &Db, id: i64) -> Result<Meeting, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_meeting WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn invitations(db: &Db, id: i64) -> Result<Vec<Invitation>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_meeting_unit WHERE meeting_id = $1 ORDER BY id").bind(id)).await?)
}

pub async fn check_ins(db: &Db, id: i64) -> Result<Vec<CheckIn>, AppError> {
    Ok(db
        .fetch_all(sql("SELECT id, unit_id, name, at, recorded_by FROM office_meeting_checkin WHERE meeting_id = $1 ORDER BY id").bind(id))
        .await?)
}

/// A meeting as one person reads it: the organiser's clerks, and the invited units' clerks (once
/// it is sent).
pub struct Seen {
    pub m: Meeting,
    pub units: Vec<Invitation>,
    pub organiser: bool,
    /// The invitation of a unit `auth` answers for.
    pub mine: Option<Invitation>,
    pub orgs: Vec<OrgUnit>,
}

pub async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<Seen, AppError> {
    let m = get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let units = invitations(&state.db, id).await?;
    let can = |unit: i64| auth.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, unit));
    let organiser = can(m.org_id);
    let mine = if m.state() == State::Draft { None } else { units.iter().find(|u| can(u.unit_id)).cloned() };
    if !organiser && mine.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(Seen { m, units, organiser, mine, orgs })
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: &'a str, to: &'a str, comment: &'a str) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor: &auth.user.display_name, actor_id: Some(auth.user.id), comment }
}

fn conflict() -> AppError {
    AppError::Conflict("这份会议通知已被他人更改，请刷新后重试".into())
}

fn when(t: i64) -> String {
    platform::fmt_time(t)
}

/// A notice as the organiser writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "title", "place", "starts_at", "ends_at", "reply_by", "units"]))]
pub struct MeetingInput {
    /// 召集单位（机构代码）
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub title: String,
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub place: String,
    /// 开始时间，如 2026-12-10 09:00
    #[serde(default)]
    pub starts_at: String,
    /// 结束时间
    #[serde(default)]
    pub ends_at: String,
    /// 回执截止时间
    #[serde(default)]
    pub reply_by: String,
    /// 议程
    #[serde(default)]
    #[schemars(length(max = 10000))]
    pub agenda: String,
    /// 参会单位（机构代码）
    #[serde(default)]
    pub units: Vec<String>,
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &MeetingInput) -> Result<i64, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    if org.is_none() {
        errs.push(FieldError::new("org", "请选择召集单位"));
    }
    let mut time = |field: &'static str, v: &str| match platform::parse_datetime(v.trim()) {
        Some(t) => t,
        None => {
            errs.push(FieldError::new(field, "时间应写作 2026-12-10 09:00"));
            0
        }
    };
    let (starts_at, ends_at, reply_by) =
        (time("starts_at", &input.starts_at), time("ends_at", &input.ends_at), time("reply_by", &input.reply_by));
    let mut units = Vec::new();
    for code in &input.units {
        match orgs.iter().find(|o| o.code == code.trim()) {
            Some(o) if Some(o.id) != org.map(|x| x.id) => units.push(o.id),
            Some(_) => {}
            None => errs.push(FieldError::new("units", format!("参会单位 {code} 不存在"))),
        }
    }
    units.sort_unstable();
    units.dedup();
    let notice = Notice {
        title: input.title.clone(),
        place: input.place.clone(),
        starts_at,
        ends_at,
        reply_by,
        agenda: input.agenda.clone(),
        invited: units.len(),
    };
    if errs.is_empty() {
        errs.extend(domain::check(&notice, platform::db::now()).into_iter().map(|(f, m)| FieldError::new(f, m)));
    }
    let Some(org) = org.filter(|_| errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    auth.require(Perm::OfficeExchange, &accounts::org_scope(&orgs, org.id))?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_meeting (org_id, title, place, starts_at, ends_at, agenda, reply_by, state, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING id")
            .bind(org.id)
            .bind(notice.title.trim())
            .bind(notice.place.trim())
            .bind(starts_at)
            .bind(ends_at)
            .bind(notice.agenda.trim())
            .bind(reply_by)
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    let mut q = sql("INSERT INTO office_meeting_unit (meeting_id, unit_id) VALUES ");
    for (i, u) in units.iter().enumerate() {
        q = q.push_row(i == 0, [id.into(), (*u).into()]);
    }
    tx.execute(q).await?;
    workflow::record(&mut tx, &FLOW, id, &t(auth, "create", "", "draft", ""), now).await?;
    tx.commit().await?;
    state.audit(ctx, "meeting.create", &format!("office_meeting:{id}"), "success", notice.title.trim()).await;
    Ok(id)
}

/// 发出通知 (every invited unit told in the same transaction) or 取消 (those already told are told).
pub async fn act(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, action: &str) -> Result<State, AppError> {
    let Seen { m, units, organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("只有召集单位可以发出或取消会议通知".into()));
    }
    let from = m.state();
    let to = match (action, from) {
        ("send", State::Draft) if m.starts_at > platform::db::now() => State::Sent,
        ("cancel", State::Draft | State::Sent) => State::Cancelled,
        ("send" | "cancel", _) => {
            return Err(AppError::Conflict(format!(
                "“{}”的会议通知不能{}",
                from.label(),
                if action == "send" { "发出" } else { "取消" }
            )));
        }
        _ => return Err(AppError::NotFound),
    };
    let orgs = accounts::list_orgs(&state.db).await?;
    let organiser_name = accounts::org_name(&orgs, m.org_id);
    let mut change = Change::new(&FLOW, id, m.updated_at, t(auth, action, from.code(), to.code(), ""));
    if to == State::Sent {
        change = change.set("sent_at", platform::db::now()).effects(units.iter().map(|u| Effect::UnitMail {
            unit: u.unit_id,
            subject: format!("【会议通知】{}", m.title),
            body: format!(
                "{organiser_name}通知：定于 {} 在{}召开{}。请于 {} 前登录协同办公“会议通知”填报参会回执。\n\n{}",
                when(m.starts_at),
                m.place,
                m.title,
                when(m.reply_by),
                m.agenda
            ),
        }));
    } else if from == State::Sent {
        change = change.effects(units.iter().map(|u| Effect::UnitMail {
            unit: u.unit_id,
            subject: format!("【会议取消】{}", m.title),
            body: format!("原定于 {} 召开的{}取消。", when(m.starts_at), m.title),
        }));
    }
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    let verb = if action == "send" { "notify" } else { action };
    state.audit(ctx, &format!("meeting.{verb}"), &format!("office_meeting:{id}"), "success", m.title.as_str()).await;
    Ok(to)
}

/// An invited unit's 回执: who attends (one per line, 姓名 职务) or 请假 with a reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["attending"]))]
pub struct ReplyInput {
    /// true 参会，false 请假
    #[serde(default)]
    pub attending: bool,
    /// 参会人员，每行一人：姓名 职务
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub attendees: String,
    /// 请假理由
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub reason: String,
}

pub async fn reply(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &ReplyInput) -> Result<(), AppError> {
    let Seen { m, mine, .. } = visible(state, auth, id).await?;
    let Some(inv) = mine else { return Err(AppError::Forbidden("只有参会单位可以填报回执".into())) };
    let now = platform::db::now();
    if !domain::may_reply(m.state(), m.starts_at, now) {
        return Err(AppError::Conflict(format!(
            "会议{}，不能再填报回执",
            if m.state() == State::Cancelled { "已取消" } else { "已开始" }
        )));
    }
    let (reply, attendees, reason) = if input.attending {
        let list = domain::attendees(&input.attendees).map_err(|e| AppError::invalid("attendees", e))?;
        let text = list
            .iter()
            .map(|a| if a.post.is_empty() { a.name.clone() } else { format!("{} {}", a.name, a.post) })
            .collect::<Vec<_>>()
            .join("\n");
        (Reply::Attending, text, String::new())
    } else {
        let n = input.reason.trim().chars().count();
        if !(2..=500).contains(&n) {
            return Err(AppError::invalid("reason", "请假时请写明理由（2 至 500 字）"));
        }
        (Reply::Absent, String::new(), input.reason.trim().to_owned())
    };
    let code = m.state().code();
    let comment = format!(
        "{}：{}",
        reply.label(),
        if reply == Reply::Attending { attendees.replace('\n', "、") } else { reason.clone() }
    );
    let change = Change::new(&FLOW, id, m.updated_at, t(auth, "reply", code, code, &comment)).also(
        sql("UPDATE office_meeting_unit SET state = $2, attendees = $3, reason = $4, replied_by = $5, replied_at = $6 WHERE id = $1")
            .bind(inv.id)
            .bind(reply.code())
            .bind(attendees)
            .bind(reason)
            .bind(&auth.user.display_name)
            .bind(now),
    );
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "meeting.reply", &format!("office_meeting:{id}"), "success", comment).await;
    Ok(())
}

/// Reminds the units without a 回执; how many were reminded.
pub async fn remind(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<usize, AppError> {
    let Seen { m, units, organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("只有召集单位可以催报回执".into()));
    }
    if !domain::may_remind(m.state(), m.starts_at, platform::db::now()) {
        return Err(AppError::Conflict("会议未发通知、已取消或已开始，不能催报".into()));
    }
    let pending: Vec<&Invitation> = units.iter().filter(|u| u.reply() == Reply::Pending).collect();
    if pending.is_empty() {
        return Err(AppError::Conflict("各单位都已回执".into()));
    }
    let code = m.state().code();
    let comment = format!("催报 {} 个单位", pending.len());
    let change = Change::new(&FLOW, id, m.updated_at, t(auth, "remind", code, code, &comment))
        .also(
            sql("UPDATE office_meeting_unit SET reminders = reminders + 1 WHERE meeting_id = $1 AND state = 'pending'")
                .bind(id),
        )
        .effects(pending.iter().map(|u| Effect::UnitMail {
            unit: u.unit_id,
            subject: format!("【回执催报】{}", m.title),
            body: format!(
                "{}定于 {} 召开，贵单位尚未填报参会回执，请于 {} 前填报。",
                m.title,
                when(m.starts_at),
                when(m.reply_by)
            ),
        }));
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "meeting.remind", &format!("office_meeting:{id}"), "success", comment).await;
    Ok(pending.len())
}

/// Signs one person in at the door (a name from the unit's 回执, or someone who came instead).
pub async fn check_in(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    unit: i64,
    name: &str,
) -> Result<(), AppError> {
    let Seen { m, units, organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("签到由召集单位登记".into()));
    }
    if !domain::may_check_in(m.state(), m.starts_at, m.ends_at, platform::db::now()) {
        return Err(AppError::Conflict("签到在会议开始前两小时开放，会议结束后关闭".into()));
    }
    if !units.iter().any(|u| u.unit_id == unit) {
        return Err(AppError::invalid("unit", "这个单位不在参会单位之列"));
    }
    let name = name.trim();
    if !(2..=20).contains(&name.chars().count()) {
        return Err(AppError::invalid("name", "请填写签到人姓名（2 至 20 字）"));
    }
    let done = state
        .db
        .execute(
            sql("INSERT INTO office_meeting_checkin (meeting_id, unit_id, name, at, recorded_by) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(unit)
                .bind(name)
                .bind(platform::db::now())
                .bind(&auth.user.display_name),
        )
        .await;
    match done {
        Ok(_) => {}
        // Tapped twice: already signed in, nothing to do.
        Err(e) if e.is_unique_violation() => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    state.audit(ctx, "meeting.checkin", &format!("office_meeting:{id}"), "success", name).await;
    Ok(())
}

/// The minutes, attached after the meeting (replacing earlier ones).
pub async fn set_minutes(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, text: &str) -> Result<(), AppError> {
    let Seen { m, organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("会议纪要由召集单位上传".into()));
    }
    if m.state() != State::Sent || platform::db::now() < m.starts_at {
        return Err(AppError::Conflict("会议开始后才能上传纪要".into()));
    }
    let n = text.trim().chars().count();
    if !(10..=50_000).contains(&n) {
        return Err(AppError::invalid("minutes", "请填写会议纪要（10 至 5 万字）"));
    }
    let code = m.state().code();
    let change = Change::new(&FLOW, id, m.updated_at, t(auth, "minutes", code, code, ""))
        .set("minutes", text.trim())
        .set("minutes_at", platform::db::now());
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "meeting.minutes", &format!("office_meeting:{id}"), "success", m.title.as_str()).await;
    Ok(())
}

/// A material of a paperless meeting.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Material {
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    /// `<sha256>.<ext>` in [`MATERIAL_AREA`].
    #[serde(skip)]
    pub file: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// The file area of meeting materials.
pub const MATERIAL_AREA: &str = "meetings";

/// Materials: documents, scans, spreadsheets and OFD, up to 50 MB each.
pub const MATERIAL_RULES: platform::intake::UploadRules = platform::intake::UploadRules {
    types: platform::intake::MATERIALS,
    max_bytes: 50 << 20,
    max_count: 1,
    max_total_bytes: 50 << 20,
};

pub async fn materials(db: &Db, id: i64) -> Result<Vec<Material>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_meeting_material WHERE meeting_id = $1 ORDER BY id").bind(id)).await?)
}

/// Attaches a material; the organiser's, until the meeting is cancelled.
pub async fn add_material(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let Seen { m, organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("会议材料由召集单位上传".into()));
    }
    if m.state() == State::Cancelled {
        return Err(AppError::Conflict("会议已取消，不能再上传材料".into()));
    }
    if name.trim().is_empty() || bytes.is_empty() {
        return Err(AppError::invalid("material", "请选择要上传的会议材料"));
    }
    let name = platform::web::extract::clean_file_name(name.trim());
    let mime =
        MATERIAL_RULES.check(&name, bytes).map_err(|e| AppError::invalid("material", e.replace("附件", "材料")))?;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let sha = platform::blobs::keep(&state.config.data_dir, MATERIAL_AREA, bytes, &ext)
        .map_err(|e| AppError::Internal(format!("材料保存失败: {e}")))?;
    let mid = state
        .db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_meeting_material (meeting_id, name, mime, size, file, uploaded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(id)
            .bind(name.as_str())
            .bind(mime)
            .bind(bytes.len() as i64)
            .bind(format!("{sha}.{ext}"))
            .bind(&auth.user.display_name)
            .bind(platform::db::now()),
        )
        .await?
        .0;
    state.audit(ctx, "meeting.upload", &format!("office_meeting:{id}"), "success", format!("会议材料“{name}”")).await;
    Ok(mid)
}

/// Removes a material (the organiser's).
pub async fn remove_material(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, mid: i64) -> Result<(), AppError> {
    let Seen { organiser, .. } = visible(state, auth, id).await?;
    if !organiser {
        return Err(AppError::Forbidden("会议材料由召集单位管理".into()));
    }
    let mat = material(&state.db, id, mid).await?;
    state.db.execute(sql("DELETE FROM office_meeting_material WHERE id = $1").bind(mid)).await?;
    state
        .audit(ctx, "meeting.delete", &format!("office_meeting:{id}"), "success", format!("会议材料“{}”", mat.name))
        .await;
    Ok(())
}

async fn material(db: &Db, id: i64, mid: i64) -> Result<Material, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_meeting_material WHERE id = $1 AND meeting_id = $2").bind(mid).bind(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// A material and where its file is, for whoever may read the meeting (the organiser, and the
/// invited units once it is sent); anyone else is told it does not exist.
pub async fn material_file(
    state: &AppState,
    auth: &Auth,
    id: i64,
    mid: i64,
) -> Result<(Material, std::path::PathBuf), AppError> {
    visible(state, auth, id).await?;
    let mat = material(&state.db, id, mid).await?;
    let (sha, ext) = mat.file.split_once('.').ok_or(AppError::NotFound)?;
    let path = platform::blobs::path(&state.config.data_dir, MATERIAL_AREA, sha, ext).ok_or(AppError::NotFound)?;
    Ok((mat, path))
}

/// A row of the list: a meeting a unit called or was invited to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub org_id: i64,
    pub title: String,
    pub place: String,
    pub starts_at: i64,
    pub reply_by: i64,
    pub state: String,
    pub invited: i64,
    pub replied: i64,
}

platform::template_value!(Row);

/// The meetings of `auth`'s units (called or invited to, sent), newest start first.
pub async fn list(state: &AppState, auth: &Auth, before: Option<i64>, limit: i64) -> Result<Vec<Row>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = auth.units_with(Perm::OfficeExchange, &orgs);
    let mut q = sql("SELECT m.id, m.org_id, m.title, m.place, m.starts_at, m.reply_by, m.state, \
         (SELECT COUNT(*) FROM office_meeting_unit u WHERE u.meeting_id = m.id) AS invited, \
         (SELECT COUNT(*) FROM office_meeting_unit u WHERE u.meeting_id = m.id AND u.state <> 'pending') AS replied \
         FROM office_meeting m WHERE 1 = 1");
    if let Some(units) = &mine {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        q = q
            .push(" AND (m.org_id IN (")
            .push_bind_list(units.iter().copied())
            .push(") OR (m.state <> 'draft' AND m.id IN (SELECT meeting_id FROM office_meeting_unit WHERE unit_id IN (")
            .push_bind_list(units.iter().copied())
            .push("))))");
    }
    if let Some(b) = before {
        q = q.push(" AND m.id < ").push_bind(b);
    }
    Ok(state.db.fetch_all(q.push(" ORDER BY m.id DESC LIMIT ").push_bind(limit)).await?)
}
