//! 建议提案办理: the office registers a session's suggestions (人大代表建议) and proposals (政协委员
//! 提案), 交办 each to one 主办 unit with 会办 units; a unit not responsible returns it within 5
//! working days; 会办 units send their opinions; the 主办 unit replies with a result code, its
//! leader reviews the reply; the deputy or member rates it and 不满意 reopens it once; the office
//! 督办 and publishes the replies marked public on the portal. Every change is a transition on
//! the workflow kernel, with its mail in the outbox of the same transaction.
//!
//! Layout: `domain` (pure rules), this file (storage and operations), `import` (a session's list
//! from a spreadsheet), `admin`, `api`, `public` (the portal's list of published replies), `demo`.

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;
pub mod import;
pub mod public;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use domain::{Action, Facts, Kind, Rating, State};

pub static FLOW: Flow = Flow { name: "office_proposal", table: "office_proposal", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Proposal {
    pub id: i64,
    pub kind: String,
    pub session: String,
    pub number: String,
    pub member_name: String,
    #[serde(skip)]
    pub member_user_id: Option<i64>,
    pub title: String,
    pub content: String,
    pub category: String,
    pub state: String,
    pub lead_unit_id: Option<i64>,
    pub complex: i64,
    pub complex_reason: String,
    pub assigned_at: Option<i64>,
    pub due_on: String,
    pub due_at: Option<i64>,
    pub return_by: String,
    pub return_reason: String,
    pub result_code: String,
    pub reply: String,
    pub reply_public: i64,
    pub replied_by: String,
    pub replied_at: Option<i64>,
    pub rating: String,
    pub rating_comment: String,
    pub rated_at: Option<i64>,
    pub reopened: i64,
    pub urged: i64,
    pub published_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Proposal);

impl Proposal {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Registered)
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Suggestion)
    }

    pub fn facts(&self) -> Facts {
        let today = platform::calendar::date_text(platform::calendar::today());
        Facts {
            state: self.state(),
            reopened: self.reopened,
            within_return_window: !self.return_by.is_empty() && today <= self.return_by,
        }
    }
}

/// A 会办 unit of an item with its opinion (empty until sent).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CoUnit {
    pub id: i64,
    pub proposal_id: i64,
    pub unit_id: i64,
    pub opinion: String,
    pub opinion_by: String,
    pub opinion_at: Option<i64>,
}

platform::template_value!(CoUnit);

pub async fn get(db: &Db, id: i64) -> Result<Proposal, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_proposal WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn co_units(db: &Db, id: i64) -> Result<Vec<CoUnit>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_proposal_co_unit WHERE proposal_id = $1 ORDER BY id").bind(id)).await?)
}

/// What one person may do with one item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// The office: register, 交办, 督办, publish.
    pub office: bool,
    /// Clerk of the 主办 unit.
    pub lead: bool,
    /// Leader of the 主办 unit (reviews the reply).
    pub lead_leader: bool,
    /// Clerk of a 会办 unit that may send an opinion.
    pub co_unit: Option<i64>,
    /// The deputy or member who wrote it.
    pub member: bool,
}

impl Standing {
    pub fn sees(&self) -> bool {
        self.office || self.lead || self.lead_leader || self.co_unit.is_some() || self.member
    }
}

pub fn standing(auth: &Auth, orgs: &[OrgUnit], p: &Proposal, co: &[CoUnit]) -> Standing {
    let unit = |perm: Perm, id: i64| auth.can(perm, &accounts::org_scope(orgs, id));
    Standing {
        office: auth.can(Perm::ProposalManage, &ResourceScope::platform()),
        lead: p.lead_unit_id.is_some_and(|u| unit(Perm::OfficeExchange, u)),
        lead_leader: p.lead_unit_id.is_some_and(|u| unit(Perm::OfficeSignOff, u)),
        co_unit: co.iter().map(|c| c.unit_id).find(|u| unit(Perm::OfficeExchange, *u)),
        member: auth.holds_anywhere(Perm::ProposalRate) && p.member_user_id == Some(auth.user.id),
    }
}

/// An item as one person reads it.
pub struct Seen {
    pub p: Proposal,
    pub co: Vec<CoUnit>,
    pub standing: Standing,
    pub orgs: Vec<OrgUnit>,
}

/// Reads an item for `auth`: 404 for those it does not concern, so numbers are not probed.
pub async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<Seen, AppError> {
    let p = get(&state.db, id).await?;
    let co = co_units(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let standing = standing(auth, &orgs, &p, &co);
    if !standing.sees() {
        return Err(AppError::NotFound);
    }
    Ok(Seen { p, co, standing, orgs })
}

fn not_yours(what: &str) -> AppError {
    AppError::Forbidden(format!("只有{what}可以执行此操作"))
}

/// Who may open the list at all (each then sees the rows that concern them).
pub fn may_list(auth: &Auth) -> bool {
    [Perm::ProposalManage, Perm::ProposalRate, Perm::OfficeExchange, Perm::OfficeSignOff]
        .into_iter()
        .any(|p| auth.holds_anywhere(p))
}

pub fn require_office(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::ProposalManage, &ResourceScope::platform())
}

/// A new item as the office registers it (or a row of an imported session list).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["kind", "session", "number", "member_name", "title"]))]
pub struct ProposalInput {
    /// suggestion（人大代表建议）或 proposal（政协委员提案）
    #[serde(default)]
    #[schemars(extend("enum" = ["suggestion", "proposal"]))]
    pub kind: String,
    /// 届次会议，如“市十六届人大五次会议”
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub session: String,
    /// 编号，如“第 0123 号”
    #[serde(default)]
    #[schemars(length(max = 40))]
    pub number: String,
    /// 领衔代表或委员
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub member_name: String,
    /// 代表或委员的系统账号（可选；有账号的可在线查看答复并评价）
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub member_account: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: String,
    #[serde(default)]
    #[schemars(length(max = 20000))]
    pub content: String,
    /// 类别，如“城乡建设”“教育卫生”
    #[serde(default)]
    #[schemars(length(max = 40))]
    pub category: String,
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: &'a str, to: &'a str, comment: &'a str) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor: &auth.user.display_name, actor_id: Some(auth.user.id), comment }
}

fn too_long(v: &str, max: usize) -> bool {
    v.trim().chars().count() > max
}

pub async fn register(state: &AppState, ctx: &Ctx, auth: &Auth, input: &ProposalInput) -> Result<i64, AppError> {
    require_office(auth)?;
    let mut errs = Vec::new();
    let kind = Kind::parse(input.kind.trim());
    if kind.is_none() {
        errs.push(FieldError::new("kind", "请选择类别：人大代表建议或政协委员提案"));
    }
    for (field, v, max, msg) in [
        ("session", &input.session, 100, "请填写届次会议，如“市十六届人大五次会议”"),
        ("number", &input.number, 40, "请填写编号"),
        ("member_name", &input.member_name, 100, "请填写领衔代表或委员姓名"),
        ("title", &input.title, 200, "请填写标题（200 字以内）"),
    ] {
        if v.trim().is_empty() || too_long(v, max) {
            errs.push(FieldError::new(field, msg));
        }
    }
    if too_long(&input.content, 20_000) {
        errs.push(FieldError::new("content", "内容不能超过 2 万字"));
    }
    if too_long(&input.category, 40) {
        errs.push(FieldError::new("category", "类别不能超过 40 字"));
    }
    let mut member = None;
    let account = input.member_account.trim();
    if !account.is_empty() {
        match accounts::user_by_name(&state.db, account).await? {
            Some(u) => member = Some(u.id),
            None => errs.push(FieldError::new("member_account", format!("账号 {account} 不存在"))),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let kind = kind.unwrap_or(Kind::Suggestion);
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let inserted = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_proposal (kind, session, number, member_name, member_user_id, title, content, category, state, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'registered', $9, $10, $10) RETURNING id")
            .bind(kind.code())
            .bind(input.session.trim())
            .bind(input.number.trim())
            .bind(input.member_name.trim())
            .bind(member)
            .bind(input.title.trim())
            .bind(input.content.trim())
            .bind(input.category.trim())
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok(v) => v.0,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "number",
                format!("{}中已有编号 {} 的{}", input.session.trim(), input.number.trim(), kind.label()),
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    workflow::record(&mut tx, &FLOW, id, &t(auth, "create", "", "registered", ""), now).await?;
    tx.commit().await?;
    state.audit(ctx, "proposal.create", &format!("office_proposal:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

/// 交办: the 主办 unit, 会办 units and, for a complex item, the approved reason for six months.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["lead"]))]
pub struct AssignInput {
    /// 主办单位（机构代码）
    #[serde(default)]
    pub lead: String,
    /// 会办单位（机构代码）
    #[serde(default)]
    pub co: Vec<String>,
    /// 复杂事项：办理时限 6 个月（须写明理由）
    #[serde(default)]
    pub complex: bool,
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub complex_reason: String,
}

/// The item as a rules fact, refused with the state's name when `action` does not apply.
fn next(p: &Proposal, action: Action, rating: Option<Rating>) -> Result<State, AppError> {
    domain::transition(p.facts(), action, rating).ok_or_else(|| {
        let why = if action == Action::Return && p.state() == State::Assigned {
            format!("已超过退回期限（{}），请与督查室联系调整", p.return_by)
        } else {
            format!("“{}”的{}不能{}", p.state().label(), p.kind().label(), action.label())
        };
        AppError::Conflict(why)
    })
}

fn conflict() -> AppError {
    AppError::Conflict("这件建议提案已被他人更改，请刷新后重试".into())
}

pub async fn assign(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &AssignInput) -> Result<State, AppError> {
    require_office(auth)?;
    let p = get(&state.db, id).await?;
    let to = next(&p, Action::Assign, None)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let lead = orgs.iter().find(|o| o.code == input.lead.trim());
    if lead.is_none() {
        errs.push(FieldError::new("lead", "请选择主办单位"));
    }
    let mut co = Vec::new();
    for code in &input.co {
        match orgs.iter().find(|o| o.code == code.trim()) {
            Some(o) if Some(o.id) != lead.map(|l| l.id) => co.push(o.id),
            Some(_) => {}
            None => errs.push(FieldError::new("co", format!("会办单位 {code} 不存在"))),
        }
    }
    co.sort_unstable();
    co.dedup();
    if input.complex && input.complex_reason.trim().is_empty() {
        errs.push(FieldError::new("complex_reason", "复杂事项延长至 6 个月，须写明理由"));
    }
    if too_long(&input.complex_reason, 500) {
        errs.push(FieldError::new("complex_reason", "理由不能超过 500 字"));
    }
    let Some(lead) = lead.filter(|_| errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    let cal = platform::calendar::load(&state.db).await?;
    let today = platform::calendar::today();
    let (due, return_by) = domain::deadlines(&cal, today, input.complex);
    let due_on = platform::calendar::date_text(due);
    let now = platform::db::now();
    let reason = if input.complex { input.complex_reason.trim() } else { "" };
    let comment = format!(
        "主办：{}{}",
        lead.name,
        if co.is_empty() {
            String::new()
        } else {
            format!("；会办：{}", co.iter().map(|c| accounts::org_name(&orgs, *c)).collect::<Vec<_>>().join("、"))
        }
    );
    let subject = format!("【{}交办】{}", p.kind().label(), p.title);
    let body = |role: &str| {
        format!(
            "{}（{}，{}）已交办贵单位{role}，请于 {due_on} 前办复{}。请登录协同办公“建议提案”查看。",
            p.title,
            p.session,
            p.number,
            if role == "主办" {
                format!("；如不属贵单位职责，请于 {} 前退回并说明理由", platform::calendar::date_text(return_by))
            } else {
                "，会办意见请尽早送主办单位".to_owned()
            }
        )
    };
    let mut effects = vec![Effect::UnitMail { unit: lead.id, subject: subject.clone(), body: body("主办") }];
    effects.extend(co.iter().map(|c| Effect::UnitMail { unit: *c, subject: subject.clone(), body: body("会办") }));
    let change = Change::new(&FLOW, id, p.updated_at, t(auth, "assign", p.state().code(), to.code(), &comment))
        .set("lead_unit_id", lead.id)
        .set("complex", i64::from(input.complex))
        .set("complex_reason", reason)
        .set("assigned_at", now)
        .set("due_on", due_on.as_str())
        .set("due_at", platform::parse_date(&due_on).map(|d| d + 86_400))
        .set("return_by", platform::calendar::date_text(return_by))
        .set("return_reason", "")
        .also(sql("DELETE FROM office_proposal_co_unit WHERE proposal_id = $1").bind(id))
        .effects(effects);
    let change = if co.is_empty() {
        change
    } else {
        let mut q = sql("INSERT INTO office_proposal_co_unit (proposal_id, unit_id) VALUES ");
        for (i, u) in co.iter().enumerate() {
            q = q.push_row(i == 0, [id.into(), (*u).into()]);
        }
        change.also(q)
    };
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.assign", &format!("office_proposal:{id}"), "success", comment).await;
    Ok(to)
}

/// The 主办 unit's clerk: 退回 (not its business), with the reason the office reads.
pub async fn give_back(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, reason: &str) -> Result<State, AppError> {
    let Seen { p, standing, .. } = visible(state, auth, id).await?;
    if !standing.lead {
        return Err(not_yours("主办单位"));
    }
    let to = next(&p, Action::Return, None)?;
    if reason.trim().chars().count() < 5 || too_long(reason, 1000) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "reason",
            "请写明退回理由，并建议应由哪个单位办理（5 至 1000 字）",
        )]));
    }
    let change = Change::new(&FLOW, id, p.updated_at, t(auth, "return", p.state().code(), to.code(), reason.trim()))
        .set("return_reason", reason.trim());
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.return", &format!("office_proposal:{id}"), "success", reason.trim()).await;
    Ok(to)
}

/// A 会办 unit's opinion to the 主办 unit (a later one replaces its earlier one).
pub async fn add_opinion(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, text: &str) -> Result<(), AppError> {
    let Seen { p, standing, orgs, .. } = visible(state, auth, id).await?;
    let Some(unit) = standing.co_unit else { return Err(not_yours("会办单位")) };
    if !matches!(p.state(), State::Assigned | State::Reopened) {
        return Err(AppError::Conflict(format!("“{}”时不再收会办意见", p.state().label())));
    }
    let n = text.trim().chars().count();
    if !(5..=5000).contains(&n) {
        return Err(AppError::Invalid(vec![FieldError::new("text", "请填写会办意见（5 至 5000 字）")]));
    }
    let who = accounts::org_name(&orgs, unit);
    let comment = format!("{who}会办意见");
    let code = p.state().code();
    let mut change = Change::new(&FLOW, id, p.updated_at, t(auth, "opinion", code, code, &comment)).also(
        sql("UPDATE office_proposal_co_unit SET opinion = $3, opinion_by = $4, opinion_at = $5 WHERE proposal_id = $1 AND unit_id = $2")
            .bind(id)
            .bind(unit)
            .bind(text.trim())
            .bind(&auth.user.display_name)
            .bind(platform::db::now()),
    );
    if let Some(lead) = p.lead_unit_id {
        change = change.effect(Effect::UnitMail {
            unit: lead,
            subject: format!("【会办意见】{}", p.title),
            body: format!("{who}已送来对《{}》的会办意见，请登录协同办公查看。", p.title),
        });
    }
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.opinion", &format!("office_proposal:{id}"), "success", comment).await;
    Ok(())
}

/// The 主办 unit's reply, sent to its leader for review.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["result_code", "reply"]))]
pub struct ReplyInput {
    /// 办理结果：A 已解决或采纳，B 正在解决或列入计划，C 因条件限制暂时不能解决，D 留作参考
    #[serde(default)]
    #[schemars(extend("enum" = ["A", "B", "C", "D"]))]
    pub result_code: String,
    /// 答复内容
    #[serde(default)]
    #[schemars(length(min = 20, max = 20000))]
    pub reply: String,
    /// 答复可在门户网站公开
    #[serde(default)]
    pub public: bool,
}

pub async fn reply(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &ReplyInput) -> Result<State, AppError> {
    let Seen { p, standing, .. } = visible(state, auth, id).await?;
    if !standing.lead {
        return Err(not_yours("主办单位"));
    }
    let to = next(&p, Action::Reply, None)?;
    let errs = domain::check_reply(input.result_code.trim(), &input.reply);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs.into_iter().map(|(f, m)| FieldError::new(f, m)).collect()));
    }
    let comment = format!("{}类", input.result_code.trim());
    let change = Change::new(&FLOW, id, p.updated_at, t(auth, "reply", p.state().code(), to.code(), &comment))
        .set("result_code", input.result_code.trim())
        .set("reply", input.reply.trim())
        .set("reply_public", i64::from(input.public))
        .set("replied_by", auth.user.display_name.as_str());
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.reply", &format!("office_proposal:{id}"), "success", comment).await;
    Ok(to)
}

/// The unit leader's review of the reply: approve (it goes to the deputy or member) or send back.
pub async fn review(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    approve: bool,
    comment: &str,
) -> Result<State, AppError> {
    let Seen { p, standing, .. } = visible(state, auth, id).await?;
    if !standing.lead_leader {
        return Err(not_yours("主办单位的领导"));
    }
    let action = if approve { Action::Approve } else { Action::SendBack };
    let to = next(&p, action, None)?;
    if !approve && comment.trim().is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "退回修改时请写明意见")]));
    }
    if too_long(comment, 1000) {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "意见不能超过 1000 字")]));
    }
    let now = platform::db::now();
    let mut change =
        Change::new(&FLOW, id, p.updated_at, t(auth, action.code(), p.state().code(), to.code(), comment.trim()));
    if approve {
        change = change.set("replied_at", now);
        if let Some(email) = member_email(&state.db, &p).await? {
            change = change.effect(Effect::Mail {
                to: email,
                subject: format!("【答复】{}", p.title),
                body: format!(
                    "您领衔的{}《{}》（{}）已有答复，办理结果为 {} 类（{}）。请登录系统查看答复全文并评价。",
                    p.kind().label(),
                    p.title,
                    p.number,
                    p.result_code,
                    domain::result_label(&p.result_code).unwrap_or("")
                ),
            });
        }
    } else if let Some(lead) = p.lead_unit_id {
        change = change.effect(Effect::UnitMail {
            unit: lead,
            subject: format!("【答复退回修改】{}", p.title),
            body: format!("单位领导退回了《{}》的答复：{}", p.title, comment.trim()),
        });
    }
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state
        .audit(ctx, &format!("proposal.{}", action.code()), &format!("office_proposal:{id}"), "success", comment.trim())
        .await;
    Ok(to)
}

async fn member_email(db: &Db, p: &Proposal) -> Result<Option<String>, AppError> {
    let Some(uid) = p.member_user_id else { return Ok(None) };
    Ok(accounts::user_by_id(db, uid).await?.and_then(|u| u.email).filter(|e| !e.trim().is_empty()))
}

/// The deputy's or member's verdict; 不满意 needs a reason and reopens the item once.
pub async fn rate(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    rating: &str,
    comment: &str,
) -> Result<State, AppError> {
    let Seen { p, standing, .. } = visible(state, auth, id).await?;
    if !standing.member {
        return Err(not_yours("领衔的代表或委员本人"));
    }
    let Some(r) = Rating::parse(rating) else {
        return Err(AppError::Invalid(vec![FieldError::new("rating", "请选择满意、基本满意或不满意")]));
    };
    let to = next(&p, Action::Rate, Some(r))?;
    if r == Rating::Unsatisfied && comment.trim().chars().count() < 5 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "comment",
            "不满意时请写明理由（至少 5 字），承办单位将据此重新办理",
        )]));
    }
    if too_long(comment, 2000) {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "意见不能超过 2000 字")]));
    }
    let now = platform::db::now();
    let mut change = Change::new(&FLOW, id, p.updated_at, t(auth, "rate", p.state().code(), to.code(), comment.trim()))
        .set("rating", r.code())
        .set("rating_comment", comment.trim())
        .set("rated_at", now);
    if to == State::Reopened {
        change = change.set("reopened", p.reopened + 1).set("replied_at", Option::<i64>::None);
        if let Some(lead) = p.lead_unit_id {
            change = change.effect(Effect::UnitMail {
                unit: lead,
                subject: format!("【重新办理】{}", p.title),
                body: format!("{}对《{}》的答复不满意：{}。请重新办理并答复。", p.member_name, p.title, comment.trim()),
            });
        }
    }
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.rate", &format!("office_proposal:{id}"), "success", r.label()).await;
    Ok(to)
}

/// 督办: the office presses the 主办 unit (recorded in the history, mailed to the unit).
pub async fn urge(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, comment: &str) -> Result<(), AppError> {
    require_office(auth)?;
    let p = get(&state.db, id).await?;
    let (true, Some(lead)) = (p.state().in_hand(), p.lead_unit_id) else {
        return Err(AppError::Conflict(format!("“{}”的{}无需督办", p.state().label(), p.kind().label())));
    };
    if too_long(comment, 1000) {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "督办意见不能超过 1000 字")]));
    }
    let note = if comment.trim().is_empty() { "请抓紧办理，按期答复" } else { comment.trim() };
    let code = p.state().code();
    let change = Change::new(&FLOW, id, p.updated_at, t(auth, "urge", code, code, note))
        .set("urged", p.urged + 1)
        .effect(Effect::UnitMail {
            unit: lead,
            subject: format!("【督办】{}", p.title),
            body: format!("《{}》（{}）办理期限 {}。督办意见：{note}", p.title, p.number, p.due_on),
        });
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state.audit(ctx, "proposal.urge", &format!("office_proposal:{id}"), "success", note).await;
    Ok(())
}

/// Publishes the reply on the portal (only a reply the unit marked public, once it is given), or
/// withdraws it.
pub async fn publish(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, on: bool) -> Result<(), AppError> {
    require_office(auth)?;
    let p = get(&state.db, id).await?;
    if on && !(matches!(p.state(), State::Replied | State::Closed) && p.reply_public == 1) {
        return Err(AppError::Conflict("只有已答复且承办单位同意公开的答复可以在网站公开".into()));
    }
    let code = p.state().code();
    let (action, at) = if on { ("publish", Some(platform::db::now())) } else { ("unpublish", None) };
    let change = Change::new(&FLOW, id, p.updated_at, t(auth, action, code, code, "")).set("published_at", at);
    if !workflow::apply(state, change).await? {
        return Err(conflict());
    }
    state
        .audit(ctx, &format!("proposal.{action}"), &format!("office_proposal:{id}"), "success", p.title.as_str())
        .await;
    Ok(())
}

/// A row of the list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub kind: String,
    pub session: String,
    pub number: String,
    pub member_name: String,
    pub title: String,
    pub category: String,
    pub state: String,
    pub lead_unit_id: Option<i64>,
    pub due_on: String,
    pub due_at: Option<i64>,
    pub result_code: String,
    pub rating: String,
    pub urged: i64,
    pub published_at: Option<i64>,
}

platform::template_value!(Row);

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ListFilter {
    /// 状态代码
    #[serde(default)]
    pub state: String,
    /// suggestion 或 proposal
    #[serde(default)]
    pub kind: String,
    /// 届次会议
    #[serde(default)]
    pub session: String,
    /// 仅看已超期未答复的
    #[serde(default)]
    pub overdue: bool,
    /// 编号或标题中的文字
    #[serde(default)]
    pub q: String,
    /// 主办单位（机构编号）
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub unit: Option<i64>,
    /// 翻页：上一页最后一条的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

/// The rows `auth` may see, newest first, keyset-paged by id.
pub async fn list(state: &AppState, auth: &Auth, f: &ListFilter, limit: i64) -> Result<Vec<Row>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut q = sql(
        "SELECT id, kind, session, number, member_name, title, category, state, lead_unit_id, due_on, due_at, result_code, rating, urged, published_at FROM office_proposal WHERE 1 = 1",
    );
    if !auth.can(Perm::ProposalManage, &ResourceScope::platform()) {
        // A unit sees what it leads or joins, a deputy what they wrote.
        let mut units: Option<Vec<i64>> = Some(Vec::new());
        for perm in [Perm::OfficeExchange, Perm::OfficeSignOff].into_iter().filter(|p| auth.holds_anywhere(*p)) {
            match (auth.units_with(perm, &orgs), units.as_mut()) {
                (None, _) => units = None,
                (Some(more), Some(u)) => u.extend(more),
                (Some(_), None) => {}
            }
        }
        let member = if auth.holds_anywhere(Perm::ProposalRate) { auth.user.id } else { -1 };
        q = q.push(" AND (member_user_id = ").push_bind(member);
        match units {
            None => q = q.push(" OR lead_unit_id IS NOT NULL"),
            Some(u) if u.is_empty() => {}
            Some(u) => {
                q = q
                    .push(" OR lead_unit_id IN (")
                    .push_bind_list(u.iter().copied())
                    .push(") OR id IN (SELECT proposal_id FROM office_proposal_co_unit WHERE unit_id IN (")
                    .push_bind_list(u.iter().copied())
                    .push("))");
            }
        }
        q = q.push(")");
    }
    if State::parse(&f.state).is_some() {
        q = q.push(" AND state = ").push_bind(f.state.as_str());
    }
    if Kind::parse(&f.kind).is_some() {
        q = q.push(" AND kind = ").push_bind(f.kind.as_str());
    }
    if !f.session.trim().is_empty() {
        q = q.push(" AND session = ").push_bind(f.session.trim());
    }
    if let Some(u) = f.unit {
        q = q.push(" AND lead_unit_id = ").push_bind(u);
    }
    if f.overdue {
        q = q.push(" AND state IN ('assigned', 'reopened', 'reviewing') AND due_at < ").push_bind(platform::db::now());
    }
    if !f.q.trim().is_empty() {
        let like = format!("%{}%", f.q.trim().replace(['%', '_'], ""));
        q = q.push(" AND (title LIKE ").push_bind(like.clone()).push(" OR number LIKE ").push_bind(like).push(")");
    }
    if let Some(b) = f.before {
        q = q.push(" AND id < ").push_bind(b);
    }
    Ok(state.db.fetch_all(q.push(" ORDER BY id DESC LIMIT ").push_bind(limit)).await?)
}

/// The sessions on record, newest first (for the filter).
pub async fn sessions(db: &Db) -> Result<Vec<String>, AppError> {
    #[derive(sqlx::FromRow)]
    struct S {
        session: String,
    }
    let rows: Vec<S> =
        db.fetch_all(sql("SELECT session FROM office_proposal GROUP BY session ORDER BY MAX(id) DESC")).await?;
    Ok(rows.into_iter().map(|s| s.session).collect())
}

/// One 主办 unit's figures for a session (or all sessions).
#[derive(Debug, Clone, Serialize)]
pub struct UnitStats {
    pub unit_id: i64,
    pub unit: String,
    #[serde(flatten)]
    pub figures: domain::UnitFigures,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub code_shares: [f64; 4],
}

/// Counted in the database, grouped by 主办 unit.
pub async fn stats(db: &Db, session: &str) -> Result<Vec<UnitStats>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Counted {
        lead_unit_id: i64,
        n: i64,
        replied: i64,
        on_time: i64,
        due_or_replied: i64,
        rated: i64,
        satisfied: i64,
        a: i64,
        b: i64,
        c: i64,
        d: i64,
    }
    let now = platform::db::now();
    let sum = |cond: &str| format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)");
    let text = format!(
        "SELECT lead_unit_id, COUNT(*) AS n, {} AS replied, {} AS on_time, {} AS due_or_replied, {} AS rated, {} AS satisfied, \
         {} AS a, {} AS b, {} AS c, {} AS d FROM office_proposal WHERE lead_unit_id IS NOT NULL",
        sum("replied_at IS NOT NULL OR state = 'closed'"),
        sum("replied_at IS NOT NULL AND replied_at < due_at"),
        sum("replied_at IS NOT NULL OR state = 'closed' OR due_at < $1"),
        sum("rating <> ''"),
        sum("rating IN ('satisfied', 'basic')"),
        sum("result_code = 'A' AND replied_at IS NOT NULL"),
        sum("result_code = 'B' AND replied_at IS NOT NULL"),
        sum("result_code = 'C' AND replied_at IS NOT NULL"),
        sum("result_code = 'D' AND replied_at IS NOT NULL"),
    );
    let mut q = sql(text).bind(now);
    if !session.trim().is_empty() {
        q = q.push(" AND session = ").push_bind(session.trim());
    }
    let rows: Vec<Counted> = db.fetch_all(q.push(" GROUP BY lead_unit_id")).await?;
    let orgs = accounts::list_orgs(db).await?;
    let mut out: Vec<UnitStats> = rows
        .into_iter()
        .map(|r| {
            let figures = domain::UnitFigures {
                count: r.n,
                on_time: r.on_time,
                replied: r.replied,
                rated: r.rated,
                satisfied: r.satisfied,
                codes: [r.a, r.b, r.c, r.d],
            };
            UnitStats {
                unit_id: r.lead_unit_id,
                unit: accounts::org_name(&orgs, r.lead_unit_id),
                on_time_rate: figures.on_time_rate(r.due_or_replied),
                satisfaction_rate: figures.satisfaction_rate(),
                code_shares: figures.code_shares(),
                figures,
            }
        })
        .collect();
    out.sort_by(|a, b| b.figures.count.cmp(&a.figures.count).then(a.unit_id.cmp(&b.unit_id)));
    Ok(out)
}

/// The figures 部门考核 reads for a department (its sub-units included) or the whole group, over
/// the items 交办 in the period: the on-time reply rate and the deputies' satisfaction. A rate of
/// nothing is left out rather than reported as 0 %.
pub async fn figures(
    state: &AppState,
    q: platform::module::FigureQuery,
) -> Result<Vec<platform::module::Figure>, AppError> {
    use platform::module::Figure;
    #[derive(sqlx::FromRow)]
    struct Counted {
        on_time: i64,
        due_or_replied: i64,
        rated: i64,
        satisfied: i64,
    }
    let units: Option<Vec<i64>> = match q.org_id {
        Some(root) => {
            let orgs = accounts::list_orgs(&state.db).await?;
            Some(orgs.iter().filter(|o| accounts::org_chain(&orgs, o.id).contains(&root)).map(|o| o.id).collect())
        }
        None => None,
    };
    let sum = |cond: &str| format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let text = format!(
        "SELECT {} AS on_time, {} AS due_or_replied, {} AS rated, {} AS satisfied FROM office_proposal \
         WHERE assigned_at >= $1 AND assigned_at < $2",
        sum("replied_at IS NOT NULL AND replied_at < due_at"),
        sum("replied_at IS NOT NULL OR state = 'closed' OR due_at < $3"),
        sum("rating <> ''"),
        sum("rating IN ('satisfied', 'basic')"),
    );
    let c: Counted = state
        .db
        .fetch_one(
            sql(text).bind(q.from).bind(q.to).bind(platform::db::now()).and_within("lead_unit_id", units.as_deref()),
        )
        .await?;
    let f = domain::UnitFigures { on_time: c.on_time, rated: c.rated, satisfied: c.satisfied, ..Default::default() };
    let mut out = Vec::new();
    if let Some(v) = f.on_time_rate(c.due_or_replied) {
        out.push(Figure {
            key: "office.proposal_on_time_rate", label: "建议提案按期答复率", value: v, unit: "%"
        });
    }
    if let Some(v) = f.satisfaction_rate() {
        out.push(Figure {
            key: "office.proposal_satisfaction_rate", label: "建议提案办理满意率", value: v, unit: "%"
        });
    }
    Ok(out)
}
