//! Consultations on drafts (意见征集): the editor's draft and its review on the workflow kernel,
//! opening and closing by the clock, citizens' comments on the whole draft or on a passage,
//! reader flags and the moderator's queue, the agency's adoption decisions and the published
//! 意见采纳情况 report, statistics and the spreadsheet of all opinions.

use std::collections::BTreeMap;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Flow, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{
    self, Adoption, AdoptionCounts, Anchor, CAction, CState, CommentState, ConsultationKind, Paragraph,
};

pub static FLOW: Flow = Flow { name: "consultation", table: "consultation", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Consultation {
    pub id: i64,
    pub org_id: i64,
    pub title: String,
    pub kind: String,
    pub short_reason: String,
    pub draft: String,
    pub explanation: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub premoderated: bool,
    pub name_required: bool,
    pub contact_required: bool,
    pub hide_threshold: i64,
    pub survey_id: Option<i64>,
    pub state: String,
    pub report_intro: String,
    pub reported_at: Option<i64>,
    pub final_url: String,
    pub revised_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Consultation);

impl Consultation {
    pub fn stored_state(&self) -> CState {
        CState::parse(&self.state).unwrap_or(CState::Draft)
    }

    /// The state readers see now (the clock counts before its job records it).
    pub fn state_now(&self) -> CState {
        domain::c_effective(self.stored_state(), self.opens_at, self.closes_at, platform::db::now())
    }

    pub fn kind(&self) -> ConsultationKind {
        ConsultationKind::parse(&self.kind).unwrap_or(ConsultationKind::General)
    }

    pub fn paragraphs(&self) -> Vec<Paragraph> {
        domain::paragraphs(&self.draft)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub consultation_id: i64,
    pub anchor: String,
    pub body: String,
    pub author_name: String,
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub contact: platform::sealed::Sealed,
    pub state: String,
    pub flags: i64,
    pub adoption: String,
    pub adoption_reason: String,
    #[serde(skip)]
    pub ip: String,
    pub created_at: i64,
    pub moderated_by: String,
    pub moderated_at: Option<i64>,
}

impl Comment {
    pub fn anchor(&self) -> Anchor {
        serde_json::from_str(&self.anchor).unwrap_or_default()
    }

    pub fn adoption(&self) -> Option<Adoption> {
        Adoption::parse(&self.adoption)
    }

    /// The name the public reads (masked; 网友 when none was given).
    pub fn public_name(&self) -> String {
        if self.author_name.trim().is_empty() {
            "网友".to_owned()
        } else {
            platform::privacy::mask_name(&self.author_name)
        }
    }

    /// The text the public reads, personal data redacted.
    pub fn public_body(&self) -> String {
        platform::privacy::redact(&self.body, &[&self.author_name])
    }
}

pub const SEALED_COMMENT: platform::sealed::SealedColumns =
    platform::sealed::SealedColumns { table: "consultation_comment", columns: &["contact"], hashes: &[] };

pub async fn get(db: &Db, id: i64) -> Result<Consultation, AppError> {
    db.fetch_optional(sql("SELECT * FROM consultation WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// Consultations, newest first: `public` keeps those the public can see (open by the clock
/// included), `orgs` limits to some units.
pub async fn list(db: &Db, public: bool, orgs: Option<&[i64]>, limit: i64) -> Result<Vec<Consultation>, AppError> {
    let mut q = sql("SELECT * FROM consultation WHERE 1 = 1");
    if public {
        q = q
            .push(" AND (state IN ('open', 'closed', 'reported') OR (state = 'approved' AND opens_at <= ")
            .push_bind(platform::db::now())
            .push("))");
    }
    q = q.and_within("org_id", orgs).push(" ORDER BY opens_at DESC, id DESC LIMIT ").push_bind(limit);
    Ok(db.fetch_all(q).await?)
}

/// The draft as the editor writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "title", "draft", "opens_at", "closes_at"]))]
pub struct ConsultationInput {
    /// 起草单位（机构代码）
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: String,
    /// general 一般征集、major 重大行政决策（征求意见一般不少于 30 日）
    #[serde(default)]
    pub kind: String,
    /// 期限少于 30 日的理由（重大行政决策；向公众公开）
    #[serde(default)]
    pub short_reason: String,
    /// 草案正文：每段一行；“第一章”“一、”开头的行作为标题，段落自动编号
    #[serde(default)]
    #[schemars(length(max = 100000))]
    pub draft: String,
    /// 起草说明
    #[serde(default)]
    pub explanation: String,
    /// 开始时间 YYYY-MM-DD HH:MM（北京时间）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub opens_at: String,
    /// 截止时间 YYYY-MM-DD HH:MM
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub closes_at: String,
    /// 先审后发：意见经审核后才公开
    #[serde(default)]
    pub premoderated: bool,
    /// 须填写姓名
    #[serde(default)]
    pub name_required: bool,
    /// 须填写联系方式
    #[serde(default)]
    pub contact_required: bool,
    /// 被举报多少次自动隐藏（0 为不自动隐藏）
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub hide_threshold: i64,
    /// 嵌入的问卷编号（可空）
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub survey_id: Option<i64>,
    /// 正式文件发布后的链接（可空）
    #[serde(default)]
    pub final_url: String,
}

impl ConsultationInput {
    pub fn blank(org: &str) -> ConsultationInput {
        ConsultationInput {
            org: org.to_owned(),
            kind: "general".into(),
            premoderated: true,
            hide_threshold: 3,
            ..Default::default()
        }
    }

    pub fn of(c: &Consultation, orgs: &[OrgUnit]) -> ConsultationInput {
        ConsultationInput {
            org: orgs.iter().find(|o| o.id == c.org_id).map(|o| o.code.clone()).unwrap_or_default(),
            title: c.title.clone(),
            kind: c.kind.clone(),
            short_reason: c.short_reason.clone(),
            draft: c.draft.clone(),
            explanation: c.explanation.clone(),
            opens_at: platform::format_datetime(Some(c.opens_at)),
            closes_at: platform::format_datetime(Some(c.closes_at)),
            premoderated: c.premoderated,
            name_required: c.name_required,
            contact_required: c.contact_required,
            hide_threshold: c.hide_threshold,
            survey_id: c.survey_id,
            final_url: c.final_url.clone(),
        }
    }
}

struct Checked {
    org_id: i64,
    kind: ConsultationKind,
    opens_at: i64,
    closes_at: i64,
}

async fn check(state: &AppState, auth: &Auth, input: &ConsultationInput) -> Result<Checked, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let org = crate::check_owner_and_title(&orgs, &input.org, &input.title, "起草单位", &mut errs);
    let kind = ConsultationKind::parse(if input.kind.is_empty() { "general" } else { &input.kind });
    if kind.is_none() {
        errs.push(FieldError::new("kind", "征集类型只能是一般征集或重大行政决策"));
    }
    if domain::paragraphs(&input.draft).is_empty() {
        errs.push(FieldError::new("draft", "请填写草案正文"));
    } else if input.draft.chars().count() > 100_000 {
        errs.push(FieldError::new("draft", "草案正文不能超过 10 万字"));
    }
    let opens_at = platform::parse_datetime(&input.opens_at);
    let closes_at = platform::parse_datetime(&input.closes_at);
    if opens_at.is_none() {
        errs.push(FieldError::new("opens_at", "请按“2026-12-10 09:00”的格式填写开始时间"));
    }
    if closes_at.is_none() {
        errs.push(FieldError::new("closes_at", "请按“2027-01-10 17:00”的格式填写截止时间"));
    }
    if let (Some(k), Some(o), Some(c)) = (kind, opens_at, closes_at)
        && let Err(e) = domain::check_period(k, o, c, &input.short_reason)
    {
        errs.push(FieldError::new(e.field(), e.message()));
    }
    if !(0..=100).contains(&input.hide_threshold) {
        errs.push(FieldError::new("hide_threshold", "自动隐藏的举报次数应在 0 到 100 之间"));
    }
    if !input.final_url.trim().is_empty() && platform::web::api::check_link(input.final_url.trim()).is_err() {
        errs.push(FieldError::new("final_url", "正式文件链接应以 http://、https:// 或 / 开头"));
    }
    if let Some(sid) = input.survey_id
        && crate::survey::get(&state.db, sid).await.is_err()
    {
        errs.push(FieldError::new("survey_id", "所选问卷不存在"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let (Some(org), Some(kind), Some(opens_at), Some(closes_at)) = (org, kind, opens_at, closes_at) else {
        return Err(AppError::BadRequest("表单不完整".into()));
    };
    auth.require(Perm::ParticipationEdit, &accounts::org_scope(&orgs, org.id))?;
    Ok(Checked { org_id: org.id, kind, opens_at, closes_at })
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: CState, to: CState, comment: &'a str) -> Transition<'a> {
    Transition {
        action,
        from: from.code(),
        to: to.code(),
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment,
    }
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &ConsultationInput) -> Result<i64, AppError> {
    let c = check(state, auth, input).await?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO consultation (org_id, title, kind, short_reason, draft, explanation, opens_at, closes_at, premoderated, \
                 name_required, contact_required, hide_threshold, survey_id, state, final_url, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'draft', $14, $15, $16, $16) RETURNING id")
            .bind(c.org_id)
            .bind(input.title.trim())
            .bind(c.kind.code())
            .bind(input.short_reason.trim())
            .bind(input.draft.trim())
            .bind(input.explanation.trim())
            .bind(c.opens_at)
            .bind(c.closes_at)
            .bind(input.premoderated)
            .bind(input.name_required)
            .bind(input.contact_required)
            .bind(input.hide_threshold)
            .bind(input.survey_id)
            .bind(input.final_url.trim())
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    workflow::record(&mut tx, &FLOW, id, &t(auth, "create", CState::Draft, CState::Draft, "新建"), now).await?;
    tx.commit().await?;
    state
        .audit(ctx, "participation.consultation.create", &format!("consultation:{id}"), "success", input.title.trim())
        .await;
    Ok(id)
}

/// Saves the editor's changes: anything while a draft; while open, corrections of the text and
/// the close date (recorded as a revision the public page states) — comments stay attached to
/// their passages.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &ConsultationInput,
) -> Result<(), AppError> {
    let old = get(&state.db, id).await?;
    require(state, auth, &old, Perm::ParticipationEdit).await?;
    let st = old.stored_state();
    if !matches!(st, CState::Draft | CState::Open) {
        return Err(AppError::Conflict(format!("“{}”状态的征集不能修改（草稿或征集中可以修改）", st.label())));
    }
    let c = check(state, auth, input).await?;
    let revised = st == CState::Open && old.draft.trim() != input.draft.trim();
    let (action, comment) = if revised { ("revise", "修订草案") } else { ("edit", "修改") };
    let change = Change::new(&FLOW, id, old.updated_at, t(auth, action, st, st, comment))
        .set("org_id", c.org_id)
        .set("title", input.title.trim())
        .set("kind", c.kind.code())
        .set("short_reason", input.short_reason.trim())
        .set("draft", input.draft.trim())
        .set("explanation", input.explanation.trim())
        .set("opens_at", if st == CState::Open { old.opens_at } else { c.opens_at })
        .set("closes_at", c.closes_at)
        .set("premoderated", input.premoderated)
        .set("name_required", input.name_required)
        .set("contact_required", input.contact_required)
        .set("hide_threshold", input.hide_threshold)
        .set("survey_id", input.survey_id)
        .set("final_url", input.final_url.trim());
    let change = if revised { change.set("revised_at", platform::db::now()) } else { change };
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这期征集已被他人修改，请刷新后重试".into()));
    }
    state
        .audit(ctx, &format!("participation.consultation.{action}"), &format!("consultation:{id}"), "success", comment)
        .await;
    Ok(())
}

pub async fn require(state: &AppState, auth: &Auth, c: &Consultation, perm: Perm) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(perm, &accounts::org_scope(&orgs, c.org_id))
}

/// Staff actions: 送审 and 结束征集 by the editor, 审核通过 and 退回修改 by the reviewer,
/// 发布采纳情况 once every opinion has a decision.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    action: CAction,
    comment: &str,
) -> Result<CState, AppError> {
    let c = get(&state.db, id).await?;
    let perm = if action.is_review() { Perm::ParticipationReview } else { Perm::ParticipationEdit };
    require(state, auth, &c, perm).await?;
    if action == CAction::Open {
        return Err(AppError::Conflict("征集到开始时间后自动开始".into()));
    }
    let from = c.state_now();
    let Some(to) = domain::c_transition(from, action) else {
        return Err(AppError::Conflict(format!("“{}”状态的征集不能{}", from.label(), action.label())));
    };
    if action == CAction::Return && comment.trim().is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "退回时请写明修改意见")]));
    }
    if action == CAction::PublishReport {
        let counts = adoption_counts(&state.db, id).await?;
        if !counts.complete() {
            return Err(AppError::Conflict(format!(
                "还有 {} 条意见没有填写采纳情况，全部处理后才能发布",
                counts.received - counts.decided()
            )));
        }
    }
    // The clock may have opened it already; record that first so the history reads in order.
    if from != c.stored_state() {
        run_clock_one(state, &c).await?;
    }
    let c = get(&state.db, id).await?;
    let mut change = Change::new(&FLOW, id, c.updated_at, t(auth, action.code(), from, to, comment.trim()));
    if action == CAction::Close {
        change = change.set("closes_at", c.closes_at.min(platform::db::now()));
    }
    if action == CAction::PublishReport {
        change = change.set("reported_at", platform::db::now());
    }
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这期征集已被他人更改，请刷新后重试".into()));
    }
    if action == CAction::PublishReport {
        link_final_document(state, &c).await?;
    }
    state
        .audit(
            ctx,
            &format!("participation.consultation.{}", action.code()),
            &format!("consultation:{id}"),
            "success",
            action.label(),
        )
        .await;
    Ok(to)
}

/// Once the report is published: the final policy (when its link is a document of the group) lists
/// the report on its own page, as 国务院令第713号 asks that how opinions were taken up be public.
async fn link_final_document(state: &AppState, c: &Consultation) -> Result<(), AppError> {
    if c.final_url.trim().is_empty() {
        return Ok(());
    }
    let q = platform::module::DocumentQuery { at: c.final_url.clone(), limit: 1, ..Default::default() };
    let Some(doc) = state.modules.documents(state, &q).await?.into_iter().next() else { return Ok(()) };
    let link = platform::relations::DocumentLink {
        document_id: doc.id,
        label: "意见采纳情况".into(),
        title: format!("《{}》公开征求意见采纳情况", c.title),
        url: format!("/canyu/consultations/{}", c.id),
    };
    let mut tx = state.db.begin().await?;
    platform::relations::add(&mut tx, "participation", &[link]).await?;
    tx.commit().await?;
    state.modules.documents_changed(state, &[doc.id]).await;
    Ok(())
}

/// The agency's introduction to its report (what was done with the opinions overall).
pub async fn save_report_intro(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    intro: &str,
    final_url: &str,
) -> Result<(), AppError> {
    let c = get(&state.db, id).await?;
    require(state, auth, &c, Perm::ParticipationEdit).await?;
    if !final_url.trim().is_empty() && platform::web::api::check_link(final_url.trim()).is_err() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "final_url",
            "正式文件链接应以 http://、https:// 或 / 开头",
        )]));
    }
    state
        .db
        .execute(
            sql("UPDATE consultation SET report_intro = $1, final_url = $2, updated_at = $3 WHERE id = $4")
                .bind(intro.trim())
                .bind(final_url.trim())
                .bind(platform::db::now().max(c.updated_at + 1))
                .bind(id),
        )
        .await?;
    // A link given after the report went out reaches the final policy's page too.
    if c.reported_at.is_some() {
        link_final_document(state, &get(&state.db, id).await?).await?;
    }
    state
        .audit(ctx, "participation.consultation.report", &format!("consultation:{id}"), "success", "保存采纳情况说明")
        .await;
    Ok(())
}

/// The subscription topic of new consultations (on the portal, where `/canyu/` lives).
pub const TOPIC: &str = "participation:consultations";

/// Tells the subscribers of 意见征集 that a consultation has opened.
async fn tell_subscribers(state: &AppState, c: &Consultation) {
    let Some(site_id) = platform::web::portal::portal_site_id(&state.db).await else { return };
    let change = platform::changes::Change {
        source: format!("consultation:{}", c.id),
        site_id: site_id as i64,
        path: format!("canyu/consultations/{}", c.id),
        title: format!("意见征集：{}", c.title),
        summary: format!(
            "征集期 {} 至 {}。{}",
            platform::fmt_date(c.opens_at),
            platform::fmt_date(c.closes_at),
            platform::content_check::visible_text(&c.explanation).chars().take(100).collect::<String>()
        ),
        topics: vec![TOPIC.into()],
        published_at: platform::db::now(),
    };
    if let Err(e) = platform::changes::announce(&state.db, &change).await {
        tracing::error!(error = %e, consultation = c.id, "subscription announcement failed");
    }
}

async fn run_clock_one(state: &AppState, c: &Consultation) -> Result<bool, AppError> {
    let Some(action) = domain::clock_action(c.stored_state(), c.opens_at, c.closes_at, platform::db::now()) else {
        return Ok(false);
    };
    let from = c.stored_state();
    let Some(to) = domain::c_transition(from, action) else { return Ok(false) };
    let tr = Transition {
        action: action.code(),
        from: from.code(),
        to: to.code(),
        step: 0,
        actor: "系统",
        actor_id: None,
        comment: "按设定时间",
    };
    let done = workflow::apply(state, Change::new(&FLOW, c.id, c.updated_at, tr)).await?;
    if done && to == CState::Open {
        tell_subscribers(state, c).await;
    }
    // An approved consultation whose whole period has passed opens and closes at once.
    if done && to == CState::Open {
        let c = get(&state.db, c.id).await?;
        Box::pin(run_clock_one(state, &c)).await?;
    }
    Ok(done)
}

/// Opens and closes consultations whose time has come (the job runs it every half minute; it
/// reads only stored times, so a restart loses nothing).
pub async fn run_clock(state: &AppState) -> Result<usize, AppError> {
    let now = platform::db::now();
    let due: Vec<Consultation> = state
        .db
        .fetch_all(
            sql("SELECT * FROM consultation WHERE (state = 'approved' AND opens_at <= $1) OR (state = 'open' AND closes_at <= $1)")
                .bind(now),
        )
        .await?;
    let mut n = 0;
    for c in &due {
        if run_clock_one(state, c).await? {
            n += 1;
        }
    }
    Ok(n)
}

// ---- comments ---------------------------------------------------------------------------------

/// A citizen's opinion as the form sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CommentInput {
    /// The paragraph's number (0 or empty: the whole draft).
    #[serde(default)]
    pub para: String,
    /// The selected words (with JavaScript).
    #[serde(default)]
    pub quote: String,
    /// Where in the paragraph the selection started (characters), to pick between repeats.
    #[serde(default)]
    pub offset: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub contact: String,
}

pub const COMMENT_MAX: usize = 3000;
/// Opinions per address per hour.
pub const COMMENTS_PER_HOUR: i64 = 10;

/// Files an opinion; returns its state (pending when premoderated).
pub async fn add_comment(
    state: &AppState,
    c: &Consultation,
    input: &CommentInput,
    ip: &str,
) -> Result<CommentState, AppError> {
    if c.state_now() != CState::Open {
        return Err(AppError::Conflict("本次征集不在征集期内，不能提交意见".into()));
    }
    let paras = c.paragraphs();
    let mut errs = Vec::new();
    let para_no: usize = input.para.trim().parse().unwrap_or(0);
    let anchor = if para_no == 0 {
        Some(Anchor::default())
    } else {
        match paras.get(para_no - 1) {
            None => {
                errs.push(FieldError::new("para", "所选段落不存在"));
                None
            }
            Some(p) => {
                let a = Anchor::selection(p, &input.quote, input.offset.trim().parse().unwrap_or(0));
                if a.is_none() {
                    errs.push(FieldError::new("quote", "所选文字不在该段中，请重新选择"));
                }
                a
            }
        }
    };
    let body = input.body.trim();
    if body.is_empty() {
        errs.push(FieldError::new("body", "请填写您的意见"));
    } else if body.chars().count() > COMMENT_MAX {
        errs.push(FieldError::new("body", format!("意见不能超过 {COMMENT_MAX} 字")));
    }
    if c.name_required && input.name.trim().is_empty() {
        errs.push(FieldError::new("name", "本次征集须填写姓名"));
    } else if input.name.chars().count() > 30 {
        errs.push(FieldError::new("name", "姓名不能超过 30 字"));
    }
    if c.contact_required && input.contact.trim().is_empty() {
        errs.push(FieldError::new("contact", "本次征集须填写联系方式（不公开）"));
    } else if input.contact.chars().count() > 60 {
        errs.push(FieldError::new("contact", "联系方式不能超过 60 字"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let recent = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM consultation_comment WHERE ip = $1 AND created_at > $2")
                .bind(ip)
                .bind(platform::db::now() - 3600),
        )
        .await?;
    if recent >= COMMENTS_PER_HOUR {
        return Err(AppError::TooManyRequests("提交太频繁了，请一小时后再试".into()));
    }
    let st = CommentState::initial(c.premoderated);
    state
        .db
        .execute(
            sql("INSERT INTO consultation_comment (consultation_id, anchor, body, author_name, contact, state, ip, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(c.id)
            .bind(serde_json::to_string(&anchor.unwrap_or_default()).unwrap_or_default())
            .bind(body)
            .bind(input.name.trim())
            .bind(if input.contact.trim().is_empty() { String::new() } else { platform::sealed::seal(input.contact.trim()) })
            .bind(st.code())
            .bind(ip)
            .bind(platform::db::now()),
        )
        .await?;
    Ok(st)
}

pub async fn comment(db: &Db, id: i64) -> Result<Comment, AppError> {
    db.fetch_optional(sql("SELECT * FROM consultation_comment WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// A consultation's comments in the order they came; `visible_only` for the public page.
pub async fn comments(db: &Db, cid: i64, visible_only: bool) -> Result<Vec<Comment>, AppError> {
    let mut q = sql("SELECT * FROM consultation_comment WHERE consultation_id = $1").bind(cid);
    if visible_only {
        q = q.push(" AND state = 'visible'");
    }
    Ok(db.fetch_all(q.push(" ORDER BY id")).await?)
}

/// The moderator's queue: comments waiting (premoderated, or hidden by flags) in the units given.
pub async fn queue(db: &Db, orgs: Option<&[i64]>, limit: i64) -> Result<Vec<(Comment, String)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        c: Comment,
        title: String,
    }
    let q = sql("SELECT cc.*, c.title FROM consultation_comment cc JOIN consultation c ON c.id = cc.consultation_id \
                 WHERE cc.state IN ('pending', 'hidden')")
    .and_within("c.org_id", orgs)
    .push(" ORDER BY cc.id LIMIT ")
    .push_bind(limit);
    Ok(db.fetch_all::<Row>(q).await?.into_iter().map(|r| (r.c, r.title)).collect())
}

/// One reader's flag (once per reader); hides the comment at the threshold.
pub async fn flag(state: &AppState, c: &Consultation, comment_id: i64, voter: &str) -> Result<(), AppError> {
    let cm = comment(&state.db, comment_id).await?;
    if cm.consultation_id != c.id || cm.state != CommentState::Visible.code() {
        return Err(AppError::NotFound);
    }
    let mut tx = state.db.begin().await?;
    let added = match tx
        .execute(
            sql("INSERT INTO consultation_flag (comment_id, voter, at) VALUES ($1, $2, $3)")
                .bind(comment_id)
                .bind(voter)
                .bind(platform::db::now()),
        )
        .await
    {
        Ok(n) => n,
        Err(e) if e.is_unique_violation() => 0,
        Err(e) => return Err(e.into()),
    };
    if added == 1 {
        let flags = cm.flags + 1;
        let st = domain::after_flag(CommentState::Visible, flags, c.hide_threshold);
        tx.execute(
            sql("UPDATE consultation_comment SET flags = flags + 1, state = CASE WHEN state = 'visible' THEN $2 ELSE state END WHERE id = $1")
                .bind(comment_id)
                .bind(st.code()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A moderator's decision: `visible` (publish, or restore a flagged one) or `rejected`.
pub async fn moderate(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    comment_id: i64,
    decision: &str,
) -> Result<Comment, AppError> {
    let cm = comment(&state.db, comment_id).await?;
    let c = get(&state.db, cm.consultation_id).await?;
    require(state, auth, &c, Perm::ParticipationEdit).await?;
    let to = match decision {
        "visible" => CommentState::Visible,
        "rejected" => CommentState::Rejected,
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "decision",
                "审核结果只能是公开（visible）或不予公开（rejected）",
            )]));
        }
    };
    state
        .db
        .execute(
            sql("UPDATE consultation_comment SET state = $1, moderated_by = $2, moderated_at = $3 WHERE id = $4")
                .bind(to.code())
                .bind(&auth.user.display_name)
                .bind(platform::db::now())
                .bind(comment_id),
        )
        .await?;
    state
        .audit(
            ctx,
            "participation.comment.moderate",
            &format!("consultation_comment:{comment_id}"),
            "success",
            to.label(),
        )
        .await;
    Ok(cm)
}

/// One adoption decision applied to a group of similar opinions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["comments", "adoption"]))]
pub struct AdoptionInput {
    /// 意见编号（同类意见可一并处理）
    #[serde(default)]
    pub comments: Vec<i64>,
    /// adopted 采纳、partial 部分采纳、not_adopted 未采纳
    #[serde(default)]
    pub adoption: String,
    /// 理由（部分采纳、未采纳时必填）
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub reason: String,
}

pub async fn decide(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    cid: i64,
    input: &AdoptionInput,
) -> Result<usize, AppError> {
    let c = get(&state.db, cid).await?;
    require(state, auth, &c, Perm::ParticipationEdit).await?;
    if !matches!(c.state_now(), CState::Closed) {
        return Err(AppError::Conflict("征集截止后、发布采纳情况前才能填写采纳情况".into()));
    }
    let mut errs = Vec::new();
    let adoption = Adoption::parse(&input.adoption);
    match adoption {
        None => errs.push(FieldError::new("adoption", "请选择采纳、部分采纳或未采纳")),
        Some(a) if a.needs_reason() && input.reason.trim().is_empty() => {
            errs.push(FieldError::new("reason", format!("{}的意见须说明理由", a.label())));
        }
        _ => {}
    }
    if input.comments.is_empty() {
        errs.push(FieldError::new("comments", "请至少选择一条意见"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let q = sql(
        "UPDATE consultation_comment SET adoption = $1, adoption_reason = $2 WHERE consultation_id = $3 AND id IN (",
    )
    .bind(adoption.map(|a| a.code()).unwrap_or_default())
    .bind(input.reason.trim())
    .bind(cid)
    .push_bind_list(input.comments.iter().copied())
    .push(")");
    let n = state.db.execute(q).await? as usize;
    let summary = format!("{} {} 条意见", adoption.map(|a| a.label()).unwrap_or(""), n);
    state.audit(ctx, "participation.consultation.adoption", &format!("consultation:{cid}"), "success", summary).await;
    Ok(n)
}

pub async fn adoption_counts(db: &Db, cid: i64) -> Result<AdoptionCounts, AppError> {
    let mut counts = AdoptionCounts::default();
    for c in comments(db, cid, false).await? {
        counts.add(c.adoption());
    }
    Ok(counts)
}

/// Where each comment sits in the draft as it is now: paragraph number (0: the whole draft or a
/// passage since removed) for each comment id.
pub fn placed(c: &Consultation, list: &[Comment]) -> BTreeMap<i64, usize> {
    let paras = c.paragraphs();
    list.iter()
        .map(|cm| {
            let a = cm.anchor();
            let at = if a.para_no == 0 { 0 } else { domain::locate(&paras, &a).unwrap_or(0) };
            (cm.id, at)
        })
        .collect()
}

/// A group of opinions sharing one decision and reason, as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ReportGroup {
    pub adoption: &'static str,
    pub reason: String,
    pub count: usize,
    pub excerpts: Vec<String>,
}

pub fn report_groups(list: &[Comment]) -> Vec<ReportGroup> {
    let mut groups: Vec<ReportGroup> = Vec::new();
    for a in Adoption::ALL {
        let mut by_reason: BTreeMap<String, Vec<&Comment>> = BTreeMap::new();
        for cm in list.iter().filter(|cm| cm.adoption() == Some(a)) {
            by_reason.entry(cm.adoption_reason.clone()).or_default().push(cm);
        }
        for (reason, cms) in by_reason {
            groups.push(ReportGroup {
                adoption: a.label(),
                reason,
                count: cms.len(),
                excerpts: cms.iter().take(3).map(|cm| excerpt(&cm.public_body(), 80)).collect(),
            });
        }
    }
    groups
}

fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() > n { format!("{}…", s.chars().take(n).collect::<String>()) } else { s.to_owned() }
}

/// Every opinion of a consultation as a spreadsheet (staff only: includes contacts).
pub fn export_xlsx(c: &Consultation, list: &[Comment]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let placed = placed(c, list);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    let heads = [
        "编号",
        "提交时间",
        "针对段落",
        "引用原文",
        "意见内容",
        "姓名",
        "联系方式",
        "状态",
        "举报次数",
        "采纳情况",
        "理由",
    ];
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    for (i, h) in heads.iter().enumerate() {
        ws.write_with_format(0, i as u16, *h, &bold).map_err(err)?;
    }
    for (r, cm) in list.iter().enumerate() {
        let row = r as u32 + 1;
        let a = cm.anchor();
        let at = placed.get(&cm.id).copied().unwrap_or(0);
        let cells = [
            cm.id.to_string(),
            platform::fmt_time(cm.created_at),
            if a.para_no == 0 {
                "全文".to_owned()
            } else if at == 0 {
                "（原段落已删除）".to_owned()
            } else {
                format!("第 {at} 段")
            },
            a.quote.clone(),
            cm.body.clone(),
            cm.author_name.clone(),
            cm.contact.0.clone(),
            CommentState::parse(&cm.state).map(|s| s.label()).unwrap_or("").to_owned(),
            cm.flags.to_string(),
            cm.adoption().map(|a| a.label()).unwrap_or("未处理").to_owned(),
            cm.adoption_reason.clone(),
        ];
        for (i, v) in cells.iter().enumerate() {
            ws.write(row, i as u16, v.as_str()).map_err(err)?;
        }
    }
    ws.set_column_width(4, 60).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// Figures for a period: consultations opened, opinions received, reports published.
pub async fn counts(db: &Db, from: i64, to: i64) -> Result<(i64, i64, i64), AppError> {
    let opened = db
        .count(
            sql("SELECT COUNT(*) FROM consultation WHERE state IN ('open', 'closed', 'reported') AND opens_at >= $1 AND opens_at < $2")
                .bind(from)
                .bind(to),
        )
        .await?;
    let opinions = db
        .count(
            sql("SELECT COUNT(*) FROM consultation_comment WHERE created_at >= $1 AND created_at < $2")
                .bind(from)
                .bind(to),
        )
        .await?;
    let reported = db
        .count(
            sql("SELECT COUNT(*) FROM consultation WHERE reported_at >= $1 AND reported_at < $2").bind(from).bind(to),
        )
        .await?;
    Ok((opened, opinions, reported))
}
