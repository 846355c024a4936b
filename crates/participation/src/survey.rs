//! Surveys (网上调查): the questionnaire and its publication on the workflow kernel, one response
//! per browser (and a daily limit per address), counters per choice moved in the response's own
//! transaction so results never scan responses, results when the survey closes (or live), and
//! the responses as a spreadsheet.

use std::collections::BTreeMap;

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Flow, Tally, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Answers, Question, QuestionResult, SState};

pub static FLOW: Flow = Flow { name: "survey", table: "survey", versioned: true };

/// The per-choice counters (`choice` `*`: respondents who answered the question).
pub static TALLY: Tally = Tally { table: "survey_tally", keys: &["survey_id", "question", "choice"], fields: &["n"] };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Survey {
    pub id: i64,
    pub org_id: i64,
    pub title: String,
    pub intro: String,
    pub questions: String,
    pub state: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub live_results: bool,
    pub per_address_daily: i64,
    pub responses: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Survey);

impl Survey {
    pub fn state(&self) -> SState {
        SState::parse(&self.state).unwrap_or(SState::Draft)
    }

    pub fn question_list(&self) -> Vec<Question> {
        serde_json::from_str(&self.questions).unwrap_or_default()
    }

    pub fn accepting(&self) -> bool {
        domain::s_accepting(self.state(), self.opens_at, self.closes_at, platform::db::now())
    }

    pub fn phase(&self) -> &'static str {
        domain::s_phase(self.state(), self.opens_at, self.closes_at, platform::db::now())
    }

    pub fn results_public(&self) -> bool {
        domain::results_public(self.live_results, self.state(), platform::db::now(), self.closes_at)
    }
}

pub async fn get(db: &Db, id: i64) -> Result<Survey, AppError> {
    db.fetch_optional(sql("SELECT * FROM survey WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn list(db: &Db, public: bool, orgs: Option<&[i64]>, limit: i64) -> Result<Vec<Survey>, AppError> {
    let mut q = sql("SELECT * FROM survey WHERE 1 = 1");
    if public {
        q = q.push(" AND state <> 'draft'");
    }
    q = q.and_within("org_id", orgs).push(" ORDER BY opens_at DESC, id DESC LIMIT ").push_bind(limit);
    Ok(db.fetch_all(q).await?)
}

/// A survey as staff write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "title", "questions", "opens_at", "closes_at"]))]
pub struct SurveyInput {
    /// 主办单位（机构代码）
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: String,
    /// 调查说明
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// 开始时间 YYYY-MM-DD HH:MM
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub opens_at: String,
    /// 截止时间 YYYY-MM-DD HH:MM
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub closes_at: String,
    /// 调查期间即公布结果（否则截止后公布）
    #[serde(default)]
    pub live_results: bool,
    /// 同一网络地址每天最多提交份数（另有每个浏览器一份的限制）
    #[serde(default)]
    #[schemars(range(min = 0, max = 10000))]
    pub per_address_daily: i64,
}

impl SurveyInput {
    pub fn of(s: &Survey, orgs: &[OrgUnit]) -> SurveyInput {
        SurveyInput {
            org: orgs.iter().find(|o| o.id == s.org_id).map(|o| o.code.clone()).unwrap_or_default(),
            title: s.title.clone(),
            intro: s.intro.clone(),
            questions: s.question_list(),
            opens_at: platform::format_datetime(Some(s.opens_at)),
            closes_at: platform::format_datetime(Some(s.closes_at)),
            live_results: s.live_results,
            per_address_daily: s.per_address_daily,
        }
    }
}

struct Checked {
    org_id: i64,
    opens_at: i64,
    closes_at: i64,
    questions: String,
}

async fn check(state: &AppState, auth: &Auth, input: &SurveyInput) -> Result<Checked, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let org = crate::check_owner_and_title(&orgs, &input.org, &input.title, "主办单位", &mut errs);
    let opens_at = platform::parse_datetime(&input.opens_at);
    let closes_at = platform::parse_datetime(&input.closes_at);
    if opens_at.is_none() {
        errs.push(FieldError::new("opens_at", "请按“2026-12-10 09:00”的格式填写开始时间"));
    }
    match (opens_at, closes_at) {
        (_, None) => errs.push(FieldError::new("closes_at", "请按“2027-01-10 17:00”的格式填写截止时间")),
        (Some(o), Some(c)) if c <= o => errs.push(FieldError::new("closes_at", "截止时间须晚于开始时间")),
        _ => {}
    }
    if !(0..=10_000).contains(&input.per_address_daily) {
        errs.push(FieldError::new("per_address_daily", "每个网络地址每天的份数应在 0 到 10000 之间（0 为不限）"));
    }
    let mut questions = input.questions.clone();
    for q in &mut questions {
        q.title = q.title.trim().to_owned();
        q.options = q.options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        q.rows = q.rows.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    }
    for (n, msg) in domain::check_questions(&questions) {
        errs.push(FieldError::new(&if n == 0 { "questions".to_owned() } else { format!("q{n}") }, msg));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let (Some(org), Some(opens_at), Some(closes_at)) = (org, opens_at, closes_at) else {
        return Err(AppError::BadRequest("表单不完整".into()));
    };
    auth.require(Perm::ParticipationEdit, &accounts::org_scope(&orgs, org.id))?;
    Ok(Checked {
        org_id: org.id,
        opens_at,
        closes_at,
        questions: serde_json::to_string(&questions).unwrap_or_default(),
    })
}

pub async fn require(state: &AppState, auth: &Auth, s: &Survey) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ParticipationEdit, &accounts::org_scope(&orgs, s.org_id))
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: SState, to: SState) -> Transition<'a> {
    Transition {
        action,
        from: from.code(),
        to: to.code(),
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: "",
    }
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &SurveyInput) -> Result<i64, AppError> {
    let c = check(state, auth, input).await?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO survey (org_id, title, intro, questions, state, opens_at, closes_at, live_results, per_address_daily, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $10) RETURNING id")
            .bind(c.org_id)
            .bind(input.title.trim())
            .bind(input.intro.trim())
            .bind(c.questions)
            .bind(c.opens_at)
            .bind(c.closes_at)
            .bind(input.live_results)
            .bind(input.per_address_daily)
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    workflow::record(&mut tx, &FLOW, id, &t(auth, "create", SState::Draft, SState::Draft), now).await?;
    tx.commit().await?;
    state.audit(ctx, "participation.survey.create", &format!("survey:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

/// Saves changes. The questions are fixed once the survey is published (the counters refer to
/// them); the texts, dates and the results setting can still change.
pub async fn update(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &SurveyInput) -> Result<(), AppError> {
    let old = get(&state.db, id).await?;
    require(state, auth, &old).await?;
    let st = old.state();
    let mut input = input.clone();
    if st != SState::Draft {
        input.questions = old.question_list();
    }
    let c = check(state, auth, &input).await?;
    let change = Change::new(&FLOW, id, old.updated_at, t(auth, "edit", st, st))
        .set("org_id", c.org_id)
        .set("title", input.title.trim())
        .set("intro", input.intro.trim())
        .set("questions", c.questions)
        .set("opens_at", c.opens_at)
        .set("closes_at", c.closes_at)
        .set("live_results", input.live_results)
        .set("per_address_daily", input.per_address_daily);
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份问卷已被他人修改，请刷新后重试".into()));
    }
    state.audit(ctx, "participation.survey.edit", &format!("survey:{id}"), "success", input.title.trim()).await;
    Ok(())
}

/// `publish` (草稿 → 进行中) or `close` (进行中 → 已结束, now).
pub async fn act(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, action: &str) -> Result<SState, AppError> {
    let s = get(&state.db, id).await?;
    require(state, auth, &s).await?;
    let from = s.state();
    let to = match (from, action) {
        (SState::Draft, "publish") => SState::Open,
        (SState::Open, "close") => SState::Closed,
        (_, "publish" | "close") => return Err(AppError::Conflict(format!("“{}”的问卷不能执行此操作", from.label()))),
        _ => return Err(AppError::BadRequest("操作只能是 publish 或 close".into())),
    };
    let mut change = Change::new(&FLOW, id, s.updated_at, t(auth, action, from, to));
    if to == SState::Closed {
        change = change.set("closes_at", s.closes_at.min(platform::db::now()));
    }
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份问卷已被他人更改，请刷新后重试".into()));
    }
    state.audit(ctx, &format!("participation.survey.{action}"), &format!("survey:{id}"), "success", to.label()).await;
    Ok(to)
}

/// Files one response: one per browser (`voter`, a hash of its token), at most the survey's
/// daily number per address; the response, its counters and the survey's count in one
/// transaction. `Ok(false)`: this browser has answered already.
pub async fn respond(state: &AppState, s: &Survey, answers: &Answers, voter: &str, ip: &str) -> Result<bool, AppError> {
    if !s.accepting() {
        return Err(AppError::Conflict("本次调查不在进行中，不能提交".into()));
    }
    let now = platform::db::now();
    if s.per_address_daily > 0 {
        let today = state
            .db
            .count(
                sql("SELECT COUNT(*) FROM survey_response WHERE survey_id = $1 AND ip = $2 AND created_at > $3")
                    .bind(s.id)
                    .bind(ip)
                    .bind(now - 86_400),
            )
            .await?;
        if today >= s.per_address_daily {
            return Err(AppError::TooManyRequests("同一网络地址今天提交的问卷已达上限，请明天再试".into()));
        }
    }
    store_response(&state.db, s, answers, voter, ip, now).await
}

/// Writes a checked response with its counters and the survey's count, in one transaction
/// (the demo loads past responses through here). `Ok(false)`: this voter has answered already.
pub async fn store_response(
    db: &Db,
    s: &Survey,
    answers: &Answers,
    voter: &str,
    ip: &str,
    at: i64,
) -> Result<bool, AppError> {
    let qs = s.question_list();
    let mut tx = db.begin().await?;
    match tx
        .execute(
            sql("INSERT INTO survey_response (survey_id, answers, voter, ip, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(s.id)
                .bind(serde_json::to_string(answers).unwrap_or_default())
                .bind(voter)
                .bind(ip)
                .bind(at),
        )
        .await
    {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let mut keys = domain::tally_keys(&qs, answers);
    keys.extend(answers.0.keys().map(|n| (*n, "*".to_owned())));
    for (n, choice) in keys {
        TALLY.add(&mut tx, &[s.id.into(), (n as i64).into(), choice.into()], &[1]).await?;
    }
    tx.execute(sql("UPDATE survey SET responses = responses + 1 WHERE id = $1").bind(s.id)).await?;
    tx.commit().await?;
    Ok(true)
}

/// The results from the counters.
pub async fn results(db: &Db, s: &Survey) -> Result<Vec<QuestionResult>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        question: i64,
        choice: String,
        n: i64,
    }
    let rows: Vec<Row> =
        db.fetch_all(sql("SELECT question, choice, n FROM survey_tally WHERE survey_id = $1").bind(s.id)).await?;
    let mut counts = BTreeMap::new();
    let mut answered = BTreeMap::new();
    for r in rows {
        if r.choice == "*" {
            answered.insert(r.question as usize, r.n);
        } else {
            counts.insert((r.question as usize, r.choice), r.n);
        }
    }
    Ok(domain::results(&s.question_list(), &counts, &answered))
}

/// Every response as a spreadsheet: one row per response, one column per question.
pub async fn export_xlsx(db: &Db, s: &Survey) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        answers: String,
        created_at: i64,
    }
    let qs = s.question_list();
    let rows: Vec<Row> = db
        .fetch_all(
            sql("SELECT id, answers, created_at FROM survey_response WHERE survey_id = $1 ORDER BY id").bind(s.id),
        )
        .await?;
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    ws.write_with_format(0, 0, "编号", &bold).map_err(err)?;
    ws.write_with_format(0, 1, "提交时间", &bold).map_err(err)?;
    for (i, q) in qs.iter().enumerate() {
        ws.write_with_format(0, i as u16 + 2, format!("{}. {}", i + 1, q.title), &bold).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let line = r as u32 + 1;
        ws.write(line, 0, row.id as f64).map_err(err)?;
        ws.write(line, 1, platform::fmt_time(row.created_at)).map_err(err)?;
        let a: Answers = serde_json::from_str(&row.answers).unwrap_or_default();
        for (i, q) in qs.iter().enumerate() {
            if let Some(ans) = a.0.get(&(i + 1)) {
                ws.write(line, i as u16 + 2, answer_text(q, ans)).map_err(err)?;
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// An answer as words (the export).
pub fn answer_text(q: &Question, a: &domain::Answer) -> String {
    use domain::{Answer, QuestionKind as K};
    let opt = |i: usize| q.options.get(i.wrapping_sub(1)).cloned().unwrap_or_default();
    match (q.kind, a) {
        (_, Answer::Text(t)) => t.clone(),
        (K::Scale, Answer::Choices(c)) => c.first().map(|v| format!("{v} 分")).unwrap_or_default(),
        (K::Matrix, Answer::Choices(c)) => q
            .rows
            .iter()
            .zip(c)
            .map(|(row, x)| format!("{row}：{}", if *x == 0 { "—".to_owned() } else { opt(*x) }))
            .collect::<Vec<_>>()
            .join("；"),
        (K::Ranking, Answer::Choices(c)) => {
            let mut by_rank: Vec<(usize, String)> = c.iter().enumerate().map(|(i, r)| (*r, opt(i + 1))).collect();
            by_rank.sort();
            by_rank.into_iter().map(|(_, o)| o).collect::<Vec<_>>().join(" > ")
        }
        (_, Answer::Choices(c)) => c.iter().map(|x| opt(*x)).collect::<Vec<_>>().join("；"),
    }
}

/// Figures for a period: surveys opened, responses received, results published (surveys closed).
pub async fn counts(db: &Db, from: i64, to: i64) -> Result<(i64, i64, i64), AppError> {
    let opened = db
        .count(
            sql("SELECT COUNT(*) FROM survey WHERE state <> 'draft' AND opens_at >= $1 AND opens_at < $2")
                .bind(from)
                .bind(to),
        )
        .await?;
    let responses = db
        .count(
            sql("SELECT COUNT(*) FROM survey_response WHERE created_at >= $1 AND created_at < $2").bind(from).bind(to),
        )
        .await?;
    let published = db
        .count(
            sql("SELECT COUNT(*) FROM survey WHERE state <> 'draft' AND closes_at >= $1 AND closes_at < $2 AND closes_at <= $3")
                .bind(from)
                .bind(to)
                .bind(platform::db::now()),
        )
        .await?;
    Ok((opened, responses, published))
}
