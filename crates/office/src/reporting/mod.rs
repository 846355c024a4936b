//! 信息报送: each unit's 信息员 submits items (text, category, urgency); the office (办公厅信息科)
//! adopts them for 《每日要情》 or 《信息专报》 — numbered issues per year, printable, frozen when
//! 印发 — or for the portal (one action hands a draft to the CMS, which then takes it through the
//! channel's review), or declines them with a reason; leaders' 批示 on adopted items go back to the
//! unit. Each unit's month is scored from the office's rules against its quota, and ranked. Every
//! decision is a transition on the workflow kernel with its mail in the same transaction.
//!
//! Layout: `domain` (pure rules), this file (storage and operations), `admin`, `api`, `demo`.

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use domain::{Counts, Level, Rules, State};

pub static FLOW: Flow = Flow { name: "office_report", table: "office_report", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub urgency: String,
    pub state: String,
    pub level: String,
    pub issue_id: Option<i64>,
    pub article_id: Option<i64>,
    pub decision_note: String,
    pub decided_by: String,
    pub decided_at: Option<i64>,
    pub instructions: i64,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Report);

impl Report {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Submitted)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Issue {
    pub id: i64,
    pub kind: String,
    pub year: i64,
    pub number: i64,
    pub created_by: String,
    pub created_at: i64,
    pub issued_at: Option<i64>,
    pub issued_by: String,
}

platform::template_value!(Issue);

impl Issue {
    pub fn title(&self) -> String {
        domain::issue_title(Level::parse(&self.kind).unwrap_or(Level::Daily), self.year, self.number)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Instruction {
    pub id: i64,
    pub report_id: i64,
    pub leader: String,
    pub text: String,
    pub at: i64,
}

platform::template_value!(Instruction);

pub async fn get(db: &Db, id: i64) -> Result<Report, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_report WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn issue(db: &Db, id: i64) -> Result<Issue, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_report_issue WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn instructions(db: &Db, id: i64) -> Result<Vec<Instruction>, AppError> {
    Ok(db
        .fetch_all(sql("SELECT id, report_id, leader, text, at FROM office_report_instruction WHERE report_id = $1 ORDER BY id").bind(id))
        .await?)
}

pub fn is_office(auth: &Auth) -> bool {
    auth.can(Perm::InfoAdopt, &ResourceScope::platform())
}

pub fn require_office(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::InfoAdopt, &ResourceScope::platform())
}

/// Who may open the lists at all: the office, the units' clerks, leaders.
pub fn may_read(auth: &Auth) -> bool {
    [Perm::InfoAdopt, Perm::OfficeExchange, Perm::LeaderInstruct].into_iter().any(|p| auth.holds_anywhere(p))
}

/// Reads an item for `auth`: the office, the reporting unit's clerks, and leaders once it is
/// adopted; 404 for anyone else.
pub async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<(Report, Vec<OrgUnit>), AppError> {
    let r = get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let unit = auth.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, r.unit_id));
    let leader = auth.holds_anywhere(Perm::LeaderInstruct) && r.state() == State::Adopted;
    if is_office(auth) || unit || leader { Ok((r, orgs)) } else { Err(AppError::NotFound) }
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: &'a str, to: &'a str, comment: &'a str) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor: &auth.user.display_name, actor_id: Some(auth.user.id), comment }
}

fn conflict() -> AppError {
    AppError::Conflict("这条信息已被他人处理，请刷新后查看".into())
}

/// An item as the unit's 信息员 writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["unit", "title", "body"]))]
pub struct ReportInput {
    /// 报送单位（机构代码）
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub title: String,
    /// 正文：时间、地点、事件和数据
    #[serde(default)]
    #[schemars(length(min = 30, max = 20000))]
    pub body: String,
    /// 类别：经济运行、社会民生、工作动态、突发事件、意见建议、基层经验
    #[serde(default)]
    #[schemars(extend("enum" = ["", "经济运行", "社会民生", "工作动态", "突发事件", "意见建议", "基层经验"]))]
    pub category: String,
    /// 紧急程度：空（普通）、急、特急
    #[serde(default)]
    #[schemars(extend("enum" = ["", "急", "特急"]))]
    pub urgency: String,
}

pub async fn submit(state: &AppState, ctx: &Ctx, auth: &Auth, input: &ReportInput) -> Result<i64, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let unit = orgs.iter().find(|o| o.code == input.unit.trim());
    let mut errs: Vec<FieldError> =
        domain::check(&input.title, &input.body, input.category.trim(), input.urgency.trim())
            .into_iter()
            .map(|(f, m)| FieldError::new(f, m))
            .collect();
    if unit.is_none() {
        errs.insert(0, FieldError::new("unit", "请选择报送单位"));
    }
    let Some(unit) = unit.filter(|_| errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    auth.require(Perm::OfficeExchange, &accounts::org_scope(&orgs, unit.id))?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_report (unit_id, title, body, category, urgency, state, submitted_by, submitted_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7, $7) RETURNING id")
            .bind(unit.id)
            .bind(input.title.trim())
            .bind(input.body.trim())
            .bind(input.category.trim())
            .bind(input.urgency.trim())
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    workflow::record(&mut tx, &FLOW, id, &t(auth, "submit", "", "submitted", ""), now).await?;
    tx.commit().await?;
    state.audit(ctx, "report.send", &format!("office_report:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

/// The office's decision: adopt at a level (a bulletin's open issue, or a portal channel), or
/// decline with a reason.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["level"]))]
pub struct AdoptInput {
    /// daily（《每日要情》）、special（《信息专报》）或 portal（门户网站）
    #[serde(default)]
    #[schemars(extend("enum" = ["daily", "special", "portal"]))]
    pub level: String,
    /// 门户网站采用时的栏目编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub channel: Option<i64>,
    /// 编辑说明
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub note: String,
}

/// The open issue of a bulletin, opened with the next number of the year when none is open.
async fn open_issue(tx: &mut platform::db::Tx, level: Level, by: &str) -> Result<i64, AppError> {
    let year = i64::from(platform::calendar::today().year());
    #[derive(sqlx::FromRow)]
    struct Open {
        id: i64,
    }
    let open: Option<Open> = tx
        .fetch_optional(
            sql("SELECT id FROM office_report_issue WHERE kind = $1 AND year = $2 AND issued_at IS NULL ORDER BY number DESC LIMIT 1")
                .bind(level.code())
                .bind(year),
        )
        .await?;
    if let Some(o) = open {
        return Ok(o.id);
    }
    let next = tx
        .fetch_one::<Scalar<i64>>(
            sql("SELECT COALESCE(MAX(number), 0) + 1 FROM office_report_issue WHERE kind = $1 AND year = $2")
                .bind(level.code())
                .bind(year),
        )
        .await?
        .0;
    Ok(tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_report_issue (kind, year, number, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(level.code())
                .bind(year)
                .bind(next)
                .bind(by)
                .bind(platform::db::now()),
        )
        .await?
        .0)
}

pub async fn adopt(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &AdoptInput) -> Result<(), AppError> {
    require_office(auth)?;
    let r = get(&state.db, id).await?;
    let Some(level) = Level::parse(input.level.trim()) else {
        return Err(AppError::invalid("level", "请选择采用到《每日要情》、《信息专报》或门户网站"));
    };
    if !domain::may_decide(r.state()) {
        return Err(AppError::Conflict(format!("这条信息{}，不能再采用", r.state().label())));
    }
    if input.note.trim().chars().count() > 500 {
        return Err(AppError::invalid("note", "编辑说明不能超过 500 字"));
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let unit = accounts::org_name(&orgs, r.unit_id);
    // The portal draft is made first (the CMS owns it); the adoption then records its id.
    let article = if level == Level::Portal {
        let Some(channel) = input.channel else {
            return Err(AppError::invalid("channel", "门户网站采用时请选择栏目"));
        };
        let Some(portal) = state.portal() else {
            return Err(AppError::Conflict("没有门户网站，不能采用到网站".into()));
        };
        let draft = platform::web::portal::Draft {
            channel_id: channel,
            title: r.title.clone(),
            text: r.body.clone(),
            source: unit.clone(),
            org_id: Some(r.unit_id),
            user_id: auth.user.id,
        };
        Some(portal.create_draft(&state.db, &draft).await.map_err(|e| match e {
            AppError::NotFound => AppError::invalid("channel", "所选栏目不存在"),
            e => e,
        })?)
    } else {
        None
    };
    let issue = if level.is_bulletin() {
        let mut tx = state.db.begin().await?;
        let id = open_issue(&mut tx, level, &auth.user.display_name).await?;
        tx.commit().await?;
        Some(id)
    } else {
        None
    };
    let now = platform::db::now();
    let comment = format!(
        "采用到{}{}",
        level.label(),
        if input.note.trim().is_empty() { String::new() } else { format!("：{}", input.note.trim()) }
    );
    let change = Change::new(&FLOW, id, r.updated_at, t(auth, "adopt", "submitted", "adopted", &comment))
        .set("level", level.code())
        .set("issue_id", issue)
        .set("article_id", article)
        .set("decision_note", input.note.trim())
        .set("decided_by", auth.user.display_name.as_str())
        .set("decided_at", now)
        .effect(Effect::UnitMail {
            unit: r.unit_id,
            subject: format!("【信息采用】{}", r.title),
            body: format!("贵单位报送的“{}”已被{}采用。", r.title, level.label()),
        });
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "report.adopt", &format!("office_report:{id}"), "success", comment).await;
    Ok(())
}

pub async fn decline(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, reason: &str) -> Result<(), AppError> {
    require_office(auth)?;
    let r = get(&state.db, id).await?;
    if !domain::may_decide(r.state()) {
        return Err(AppError::Conflict(format!("这条信息{}，不能再处理", r.state().label())));
    }
    let n = reason.trim().chars().count();
    if !(2..=500).contains(&n) {
        return Err(AppError::invalid("reason", "请写明不采用的理由（2 至 500 字），供信息员改进"));
    }
    let change = Change::new(&FLOW, id, r.updated_at, t(auth, "decline", "submitted", "declined", reason.trim()))
        .set("decision_note", reason.trim())
        .set("decided_by", auth.user.display_name.as_str())
        .set("decided_at", platform::db::now());
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "report.decline", &format!("office_report:{id}"), "success", reason.trim()).await;
    Ok(())
}

/// A leader's 批示 on an adopted item; the unit is told by mail and reads it on the item.
pub async fn instruct(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, text: &str) -> Result<(), AppError> {
    auth.require_anywhere(Perm::LeaderInstruct)?;
    let (r, _) = visible(state, auth, id).await?;
    if !domain::may_instruct(r.state()) {
        return Err(AppError::Conflict("只有已采用的信息可以批示".into()));
    }
    let n = text.trim().chars().count();
    if !(2..=2000).contains(&n) {
        return Err(AppError::invalid("text", "请填写批示内容（2 至 2000 字）"));
    }
    let now = platform::db::now();
    let code = r.state().code();
    let change = Change::new(&FLOW, id, r.updated_at, t(auth, "instruct", code, code, text.trim()))
        .set("instructions", r.instructions + 1)
        .also(
            sql("INSERT INTO office_report_instruction (report_id, leader, leader_id, text, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(&auth.user.display_name)
                .bind(auth.user.id)
                .bind(text.trim())
                .bind(now),
        )
        .effect(Effect::UnitMail {
            unit: r.unit_id,
            subject: format!("【领导批示】{}", r.title),
            body: format!("{}对贵单位报送的“{}”作出批示：{}\n请抓好落实。", auth.user.display_name, r.title, text.trim()),
        });
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "report.instruct", &format!("office_report:{id}"), "success", text.trim()).await;
    Ok(())
}

/// 印发 an issue: it is frozen, and the next adoption opens the next number.
pub async fn issue_out(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    require_office(auth)?;
    let i = issue(&state.db, id).await?;
    let items = state.db.count(sql("SELECT COUNT(*) FROM office_report WHERE issue_id = $1").bind(id)).await?;
    if items == 0 {
        return Err(AppError::Conflict("这一期还没有采用任何信息，不能印发".into()));
    }
    let n = state
        .db
        .execute(
            sql("UPDATE office_report_issue SET issued_at = $2, issued_by = $3 WHERE id = $1 AND issued_at IS NULL")
                .bind(id)
                .bind(platform::db::now())
                .bind(&auth.user.display_name),
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict(format!("{}已经印发", i.title())));
    }
    state.audit(ctx, "report.issue", &format!("office_report_issue:{id}"), "success", i.title()).await;
    Ok(())
}

/// A row of the lists.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub category: String,
    pub urgency: String,
    pub state: String,
    pub level: String,
    pub instructions: i64,
    pub submitted_at: i64,
}

platform::template_value!(Row);

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ListFilter {
    /// submitted、adopted 或 declined
    #[serde(default)]
    pub state: String,
    /// 报送单位（机构编号）
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub unit: Option<i64>,
    /// 翻页：上一页最后一条的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

/// The items `auth` may see, newest first: the office all, a unit its own, a leader the adopted.
pub async fn list(state: &AppState, auth: &Auth, f: &ListFilter, limit: i64) -> Result<Vec<Row>, AppError> {
    let mut q = sql(
        "SELECT id, unit_id, title, category, urgency, state, level, instructions, submitted_at FROM office_report WHERE 1 = 1",
    );
    if !is_office(auth) {
        let orgs = accounts::list_orgs(&state.db).await?;
        let units = if auth.holds_anywhere(Perm::OfficeExchange) {
            auth.units_with(Perm::OfficeExchange, &orgs)
        } else {
            Some(Vec::new())
        };
        let leader = auth.holds_anywhere(Perm::LeaderInstruct);
        match (units, leader) {
            (None, _) => {}
            (Some(u), true) if u.is_empty() => q = q.push(" AND state = 'adopted'"),
            (Some(u), true) => q = q.push(" AND (state = 'adopted' OR unit_id IN (").push_bind_list(u).push("))"),
            (Some(u), false) => q = q.and_within("unit_id", Some(&u)),
        }
    }
    if State::parse(&f.state).is_some() {
        q = q.push(" AND state = ").push_bind(f.state.as_str());
    }
    if let Some(u) = f.unit {
        q = q.push(" AND unit_id = ").push_bind(u);
    }
    if let Some(b) = f.before {
        q = q.push(" AND id < ").push_bind(b);
    }
    Ok(state.db.fetch_all(q.push(" ORDER BY id DESC LIMIT ").push_bind(limit)).await?)
}

pub async fn issues(db: &Db) -> Result<Vec<Issue>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_report_issue ORDER BY year DESC, kind, number DESC LIMIT 200")).await?)
}

pub async fn issue_items(db: &Db, issue_id: i64) -> Result<Vec<Report>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_report WHERE issue_id = $1 ORDER BY id").bind(issue_id)).await?)
}

pub async fn rules(db: &Db) -> Result<Vec<(String, String, f64)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct RuleRow {
        code: String,
        label: String,
        points: f64,
    }
    let rows: Vec<RuleRow> = db.fetch_all(sql("SELECT code, label, points FROM office_report_rule")).await?;
    let mut out: Vec<(String, String, f64)> = rows.into_iter().map(|r| (r.code, r.label, r.points)).collect();
    out.sort_by_key(|r| Rules::CODES.iter().position(|c| *c == r.0).unwrap_or(usize::MAX));
    Ok(out)
}

/// The office sets the points of each event (0 to 100).
pub async fn set_rules(state: &AppState, ctx: &Ctx, auth: &Auth, points: &[(String, f64)]) -> Result<(), AppError> {
    require_office(auth)?;
    for (code, p) in points {
        if !Rules::CODES.contains(&code.as_str()) {
            return Err(AppError::invalid("code", format!("没有名为 {code} 的计分项")));
        }
        if !(0.0..=100.0).contains(p) {
            return Err(AppError::invalid(code, "分值应在 0 到 100 之间"));
        }
    }
    let mut tx = state.db.begin().await?;
    for (code, p) in points {
        tx.execute(sql("UPDATE office_report_rule SET points = $2 WHERE code = $1").bind(code.as_str()).bind(*p))
            .await?;
    }
    tx.commit().await?;
    let summary = points.iter().map(|(c, p)| format!("{c}={p}")).collect::<Vec<_>>().join(" ");
    state.audit(ctx, "report.rules", "office_report_rule", "success", summary).await;
    Ok(())
}

/// The office sets a unit's monthly quota (0 removes it).
pub async fn set_quota(state: &AppState, ctx: &Ctx, auth: &Auth, unit: &str, monthly: i64) -> Result<(), AppError> {
    require_office(auth)?;
    let Some(u) = accounts::org_by_code(&state.db, unit.trim()).await? else {
        return Err(AppError::invalid("unit", format!("单位 {unit} 不存在")));
    };
    if !(0..=1000).contains(&monthly) {
        return Err(AppError::invalid("monthly", "每月报送指标应在 0 到 1000 条之间"));
    }
    let mut tx = state.db.begin().await?;
    tx.execute(sql("DELETE FROM office_report_quota WHERE unit_id = $1").bind(u.id)).await?;
    if monthly > 0 {
        tx.execute(sql("INSERT INTO office_report_quota (unit_id, monthly) VALUES ($1, $2)").bind(u.id).bind(monthly))
            .await?;
    }
    tx.commit().await?;
    state
        .audit(ctx, "report.quota", &format!("org:{}", u.id), "success", format!("{} 每月 {monthly} 条", u.name))
        .await;
    Ok(())
}

/// One unit's month (or any period) on the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct UnitScore {
    pub unit_id: i64,
    pub unit: String,
    pub counts: Counts,
    pub score: f64,
    pub quota: i64,
    pub quota_rate: Option<f64>,
    pub adoption_rate: Option<f64>,
}

/// Counts per unit for items submitted in `[from, to)` by `units` (all when `None`), counted in
/// the database.
pub async fn counts(db: &Db, from: i64, to: i64, units: Option<&[i64]>) -> Result<Vec<(i64, Counts)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct C {
        unit_id: i64,
        submitted: i64,
        daily: i64,
        special: i64,
        portal: i64,
        instructed: i64,
    }
    let sum = |cond: &str| format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)");
    let text = format!(
        "SELECT unit_id, COUNT(*) AS submitted, {} AS daily, {} AS special, {} AS portal, CAST(COALESCE(SUM(instructions), 0) AS BIGINT) AS instructed \
         FROM office_report WHERE submitted_at >= $1 AND submitted_at < $2",
        sum("state = 'adopted' AND level = 'daily'"),
        sum("state = 'adopted' AND level = 'special'"),
        sum("state = 'adopted' AND level = 'portal'"),
    );
    let q = sql(text).bind(from).bind(to).and_within("unit_id", units);
    let rows: Vec<C> = db.fetch_all(q.push(" GROUP BY unit_id")).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            (
                c.unit_id,
                Counts {
                    submitted: c.submitted,
                    daily: c.daily,
                    special: c.special,
                    portal: c.portal,
                    instructed: c.instructed,
                },
            )
        })
        .collect())
}

/// The ranking for `[from, to)` (a month): every unit with a quota or an item, best first.
pub async fn ranking(db: &Db, from: i64, to: i64, months: i64) -> Result<Vec<UnitScore>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Q {
        unit_id: i64,
        monthly: i64,
    }
    let rules = Rules::from_pairs(&rules(db).await?.into_iter().map(|(c, _, p)| (c, p)).collect::<Vec<_>>());
    let quotas: Vec<Q> = db.fetch_all(sql("SELECT unit_id, monthly FROM office_report_quota")).await?;
    let mut by_unit: std::collections::BTreeMap<i64, Counts> = counts(db, from, to, None).await?.into_iter().collect();
    for q in &quotas {
        by_unit.entry(q.unit_id).or_default();
    }
    let orgs = accounts::list_orgs(db).await?;
    let mut out: Vec<UnitScore> = by_unit
        .into_iter()
        .map(|(unit_id, c)| {
            let quota = quotas.iter().find(|q| q.unit_id == unit_id).map_or(0, |q| q.monthly * months);
            UnitScore {
                unit_id,
                unit: accounts::org_name(&orgs, unit_id),
                score: domain::score(&c, &rules),
                quota,
                quota_rate: domain::quota_rate(c.submitted, quota),
                adoption_rate: domain::adoption_rate(&c),
                counts: c,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.unit_id.cmp(&b.unit_id)));
    Ok(out)
}

/// The month `YYYY-MM` as `[from, to)` (this month when empty or malformed is refused).
pub fn month_bounds(month: &str) -> Result<(String, i64, i64), AppError> {
    let m = if month.trim().is_empty() {
        platform::calendar::date_text(platform::calendar::today())[..7].to_owned()
    } else {
        month.trim().to_owned()
    };
    let start =
        platform::parse_date(&format!("{m}-01")).ok_or_else(|| AppError::invalid("month", "月份应写作 2026-12"))?;
    let first =
        platform::calendar::date(&format!("{m}-01")).ok_or_else(|| AppError::invalid("month", "月份应写作 2026-12"))?;
    let next = platform::calendar::date_text(platform::calendar::add_months(first, 1));
    let end = platform::parse_date(&next).ok_or_else(|| AppError::invalid("month", "月份应写作 2026-12"))?;
    Ok((m, start, end))
}

/// The figures 部门考核 reads for a department (its sub-units included) or the whole group:
/// items submitted and adopted, and the score under the office's rules.
pub async fn figures(
    state: &AppState,
    q: platform::module::FigureQuery,
) -> Result<Vec<platform::module::Figure>, AppError> {
    use platform::module::Figure;
    let units: Option<Vec<i64>> = match q.org_id {
        Some(root) => {
            let orgs = accounts::list_orgs(&state.db).await?;
            Some(orgs.iter().filter(|o| accounts::org_chain(&orgs, o.id).contains(&root)).map(|o| o.id).collect())
        }
        None => None,
    };
    let rules = Rules::from_pairs(&rules(&state.db).await?.into_iter().map(|(c, _, p)| (c, p)).collect::<Vec<_>>());
    let total =
        counts(&state.db, q.from, q.to, units.as_deref()).await?.into_iter().fold(Counts::default(), |a, (_, c)| {
            Counts {
                submitted: a.submitted + c.submitted,
                daily: a.daily + c.daily,
                special: a.special + c.special,
                portal: a.portal + c.portal,
                instructed: a.instructed + c.instructed,
            }
        });
    Ok(vec![
        Figure { key: "office.info_submitted", label: "报送信息数", value: total.submitted as f64, unit: "条" },
        Figure { key: "office.info_adopted", label: "信息采用数", value: total.adopted() as f64, unit: "条" },
        Figure {
            key: "office.info_score", label: "信息报送得分", value: domain::score(&total, &rules), unit: "分"
        },
    ])
}
