//! Project calls (科技项目申报): the managing department publishes a call with its guide, window
//! and score sheet; organisations apply online (drafts kept; they return with the application
//! number and query code); staff screen (形式审查) and assign experts from the pool, never one from
//! the applicant's own organisation; experts score only what is assigned to them; the ranking is
//! published for objections for a set number of days, staff answer every objection, and the final
//! list is published. Storage, operations and pages live together here; the rules (score sheets,
//! conflicts, ranking) are pure in `domain`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::calendar::{date_text, today};
use platform::db::{Db, DbResult, Scalar, now, sql};
use platform::intake;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path};
use platform::web::{AppError, AppState, Ctx, FieldError, Staff, see_other};
use serde::{Deserialize, Serialize};

use crate::domain::{self, CallStage, Criterion};
use crate::public::sv;
use crate::service::{hash_code, item_scope};

// ---- storage ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Call {
    pub id: i64,
    pub title: String,
    pub org_id: i64,
    pub guide: String,
    pub opens_on: String,
    pub closes_on: String,
    pub score_sheet: String,
    pub state: String,
    pub publicity_days: i64,
    pub publicity_until: Option<String>,
}

impl Call {
    pub fn sheet(&self) -> Vec<Criterion> {
        serde_json::from_str(&self.score_sheet).unwrap_or_default()
    }
    pub fn window_open(&self, day: &str) -> bool {
        self.stage() == CallStage::Open && day >= self.opens_on.as_str() && day <= self.closes_on.as_str()
    }
    /// The stored stage (an unknown code reads as a draft: never public).
    pub fn stage(&self) -> CallStage {
        CallStage::parse(&self.state).unwrap_or(CallStage::Draft)
    }
    pub fn state_label(&self) -> &'static str {
        self.stage().label()
    }
}

/// The project application columns stored sealed (see `platform::sealed::seal_legacy`).
pub const SEALED_PROJECT_APP: platform::sealed::SealedColumns =
    platform::sealed::SealedColumns { table: "project_application", columns: &["phone"], hashes: &[] };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectApp {
    pub id: i64,
    pub call_id: i64,
    pub no: String,
    #[serde(skip)]
    pub query_hash: String,
    pub org_name: String,
    pub org_code: String,
    pub contact: String,
    /// Encrypted at rest.
    #[sqlx(try_from = "String")]
    pub phone: platform::sealed::Sealed,
    pub title: String,
    pub budget: String,
    pub summary: String,
    pub state: String,
    pub screen_note: String,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Expert {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub org_name: String,
    pub field: String,
    pub specialties: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Assignment {
    pub id: i64,
    pub application_id: i64,
    pub expert_id: i64,
    pub scores: Option<String>,
    pub comment: String,
    pub submitted_at: Option<i64>,
}

impl Assignment {
    pub fn scores(&self) -> Vec<u32> {
        self.scores.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Objection {
    pub id: i64,
    pub call_id: i64,
    pub text: String,
    #[serde(skip)]
    pub contact: String,
    pub answer: String,
    pub answered_by: String,
    pub created_at: i64,
    pub answered_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectFile {
    pub id: i64,
    pub call_id: i64,
    pub application_id: Option<i64>,
    pub name: String,
    pub stored: String,
    pub size: i64,
}

pub async fn files_of(db: &Db, call_id: i64, application_id: Option<i64>) -> DbResult<Vec<ProjectFile>> {
    let q = match application_id {
        Some(a) => sql("SELECT id, call_id, application_id, name, stored, size FROM project_file WHERE call_id = $1 AND application_id = $2 ORDER BY id").bind(call_id).bind(a),
        None => sql("SELECT id, call_id, application_id, name, stored, size FROM project_file WHERE call_id = $1 AND application_id IS NULL ORDER BY id").bind(call_id),
    };
    db.fetch_all(q).await
}

/// A call's documents and applicants' files: materials of up to 10 MB, five at a time.
const CALL_FILES: platform::intake::UploadRules =
    platform::intake::UploadRules { max_count: 5, ..crate::service::MATERIALS };

/// Checks uploaded files for a call (and an application) by type, content and size; names the bad one.
fn check_files(files: &[(String, Vec<u8>)]) -> Result<(), AppError> {
    CALL_FILES.check_all(files.iter().map(|(_, b)| b.as_slice())).map_err(|e| AppError::invalid("files", e))?;
    for (name, bytes) in files {
        CALL_FILES.check(name, bytes).map_err(|e| AppError::invalid("files", e))?;
    }
    Ok(())
}

async fn store_files(
    db: &Db,
    dir: &std::path::Path,
    call_id: i64,
    application_id: Option<i64>,
    files: Vec<(String, Vec<u8>)>,
) -> Result<(), AppError> {
    check_files(&files)?;
    if files.is_empty() {
        return Ok(());
    }
    tokio::fs::create_dir_all(dir).await.map_err(|e| AppError::Internal(e.to_string()))?;
    for (name, bytes) in files {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let stored = format!("{}.{ext}", platform::security::random_token(16));
        tokio::fs::write(dir.join(&stored), &bytes).await.map_err(|e| AppError::Internal(e.to_string()))?;
        db.execute(
            sql("INSERT INTO project_file (call_id, application_id, name, stored, size, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
                .bind(call_id)
                .bind(application_id)
                .bind(name.chars().take(100).collect::<String>())
                .bind(stored)
                .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                .bind(now()),
        )
        .await?;
    }
    Ok(())
}

/// Text fields and files of a multipart form (files under the field name `files`).
async fn read_multipart(
    mp: axum::extract::Multipart,
) -> Result<(BTreeMap<String, String>, Vec<(String, Vec<u8>)>), AppError> {
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    Ok((fields, uploads.into_iter().filter(|u| u.field == "files").map(|u| (u.name, u.bytes)).collect()))
}

fn files_dir(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join("files").join("calls")
}

async fn send_file(state: &AppState, f: &ProjectFile) -> Result<Response, AppError> {
    let bytes = tokio::fs::read(files_dir(state).join(&f.stored)).await.map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, platform::web::attachment_disposition(&f.name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

async fn file_row(db: &Db, id: i64) -> Result<ProjectFile, AppError> {
    db.fetch_optional(
        sql("SELECT id, call_id, application_id, name, stored, size FROM project_file WHERE id = $1").bind(id),
    )
    .await?
    .ok_or(AppError::NotFound)
}

/// The call's own documents are public.
async fn public_file(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    let f = file_row(&state.db, id).await?;
    if f.application_id.is_some() {
        return Err(AppError::NotFound);
    }
    send_file(&state, &f).await
}

/// An application's files: the managing department, or an expert assigned to that application.
async fn staff_file(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let f = file_row(&state.db, id).await?;
    let c = call(&state.db, f.call_id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let manager = staff.can(Perm::ServiceManage, &item_scope(&orgs, c.org_id));
    let assigned = match f.application_id {
        Some(a) => {
            state
                .db
                .count(sql("SELECT COUNT(*) FROM expert_assignment x JOIN expert e ON e.id = x.expert_id WHERE x.application_id = $1 AND e.user_id = $2").bind(a).bind(staff.user.id))
                .await?
                > 0
        }
        None => true,
    };
    if !manager && !assigned {
        return Err(AppError::NotFound);
    }
    send_file(&state, &f).await
}

pub async fn call(db: &Db, id: i64) -> DbResult<Option<Call>> {
    db.fetch_optional(sql("SELECT id, title, org_id, guide, opens_on, closes_on, score_sheet, state, publicity_days, publicity_until FROM project_call WHERE id = $1").bind(id)).await
}

pub async fn calls(db: &Db) -> DbResult<Vec<Call>> {
    db.fetch_all(sql("SELECT id, title, org_id, guide, opens_on, closes_on, score_sheet, state, publicity_days, publicity_until FROM project_call ORDER BY id DESC")).await
}

pub async fn apps_of(db: &Db, call_id: i64) -> DbResult<Vec<ProjectApp>> {
    db.fetch_all(sql("SELECT * FROM project_application WHERE call_id = $1 ORDER BY id").bind(call_id)).await
}

pub async fn experts(db: &Db) -> DbResult<Vec<Expert>> {
    db.fetch_all(sql("SELECT * FROM expert ORDER BY id")).await
}

pub async fn assignments_of_call(db: &Db, call_id: i64) -> DbResult<Vec<Assignment>> {
    db.fetch_all(
        sql(
            "SELECT a.id, a.application_id, a.expert_id, a.scores, a.comment, a.submitted_at FROM expert_assignment a \
             JOIN project_application p ON p.id = a.application_id WHERE p.call_id = $1 ORDER BY a.id",
        )
        .bind(call_id),
    )
    .await
}

pub async fn objections(db: &Db, call_id: i64) -> DbResult<Vec<Objection>> {
    db.fetch_all(sql("SELECT * FROM project_objection WHERE call_id = $1 ORDER BY id").bind(call_id)).await
}

// ---- ranking ------------------------------------------------------------------------------------

/// Applications in review ranked by their experts' scores (only submitted scores count).
pub async fn ranking(db: &Db, c: &Call) -> DbResult<Vec<(ProjectApp, i64, usize)>> {
    let apps = apps_of(db, c.id).await?;
    let asg = assignments_of_call(db, c.id).await?;
    let reviewed: Vec<domain::Reviewed> = apps
        .iter()
        .filter(|a| a.state == "in_review")
        .map(|a| {
            let mine: Vec<Vec<u32>> = asg
                .iter()
                .filter(|x| x.application_id == a.id && x.submitted_at.is_some())
                .map(Assignment::scores)
                .collect();
            domain::Reviewed {
                id: a.id,
                totals: mine.iter().map(|s| s.iter().sum()).collect(),
                first: mine.iter().map(|s| s.first().copied().unwrap_or(0)).collect(),
                submitted_at: a.submitted_at.unwrap_or(0),
            }
        })
        .collect();
    Ok(domain::rank(&reviewed)
        .into_iter()
        .filter_map(|(id, score)| {
            let n = reviewed.iter().find(|r| r.id == id).map_or(0, |r| r.totals.len());
            apps.iter().find(|a| a.id == id).map(|a| (a.clone(), score, n))
        })
        .collect())
}

// ---- routes -------------------------------------------------------------------------------------

pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/banshi/calls/", get(public_calls))
        .route("/banshi/calls/{id}", get(public_call))
        .route("/banshi/calls/{id}/apply", post(public_apply).layer(axum::extract::DefaultBodyLimit::max(41 << 20)))
        .route("/banshi/calls/{id}/objection", post(public_objection))
        .route("/banshi/calls/resume", post(public_resume))
        .route("/banshi/calls/{id}/result", get(public_result))
        .route("/banshi/calls/files/{id}", get(public_file))
}

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/services/calls",
            get(admin_calls).post(admin_call_create).layer(axum::extract::DefaultBodyLimit::max(41 << 20)),
        )
        .route("/admin/services/calls/{id}", get(admin_call))
        .route("/admin/services/calls/files/{id}", get(staff_file))
        .route("/admin/services/calls/{id}/state", post(admin_call_state))
        .route("/admin/services/calls/{id}/screen", post(admin_screen))
        .route("/admin/services/calls/{id}/assign", post(admin_assign))
        .route("/admin/services/calls/{id}/answer", post(admin_answer))
        .route("/admin/services/experts", post(admin_expert_create))
        .route("/admin/services/review", get(expert_page))
        .route("/admin/services/review/{id}", post(expert_score))
}

// ---- public -------------------------------------------------------------------------------------

async fn public_calls(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let list: Vec<Value> = calls(&state.db)
        .await?
        .iter()
        .filter(|c| c.state != "draft")
        .map(|c| context! { ..sv(c), ..context! { label => c.state_label() } })
        .collect();
    crate::public::html(
        &state,
        &ctx,
        "public/bs_calls.html",
        StatusCode::OK,
        context! { title => "项目申报", list, nav_current => "/banshi/calls/", crumbs => vec![(String::new(), "项目申报".to_owned())] }, true).await
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct ApplyForm {
    #[serde(default, rename = "_csrf", skip_serializing)]
    csrf: String,
    #[serde(default)]
    no: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_code: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    budget: String,
    #[serde(default)]
    summary: String,
    /// "draft" keeps it editable; "submit" hands it in.
    #[serde(default)]
    intent: String,
    #[serde(default, rename = "_once", skip_serializing)]
    once: String,
}

async fn call_page(
    state: &AppState,
    ctx: &Ctx,
    c: &Call,
    form: &ApplyForm,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let day = date_text(today());
    let ranked: Vec<Value> = if matches!(c.state.as_str(), "publicity" | "final") {
        ranking(&state.db, c).await?.iter().enumerate().map(|(i, (a, score, n))| context! { rank => i + 1, title => a.title.clone(), org => a.org_name.clone(), score => format!("{:.2}", *score as f64 / 100.0), experts => n }).collect()
    } else {
        Vec::new()
    };
    let objections: Vec<Value> = if c.state == "publicity" || c.state == "final" {
        objections(&state.db, c.id).await?.iter().map(sv).collect()
    } else {
        Vec::new()
    };
    let docs = files_of(&state.db, c.id, None).await?;
    crate::public::html(
        state,
        ctx,
        "public/bs_call.html",
        status,
        context! { title => c.title.clone(), call => sv(c), label => c.state_label(), docs => sv(&docs), sheet => sv(c.sheet()), open => c.window_open(&day), form => sv(form), errors, notice, ranked, objections,
        once => platform::intake::submission_token(),
        publicity_open => c.state == "publicity" && c.publicity_until.as_deref().is_some_and(|u| day.as_str() <= u), nav_current => "/banshi/calls/",
        crumbs => vec![("/banshi/calls/".to_owned(), "项目申报".to_owned()), (String::new(), c.title.clone())] }, true).await
}

async fn public_call(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let c = call(&state.db, id).await?.filter(|c| c.state != "draft").ok_or(AppError::NotFound)?;
    call_page(&state, &ctx, &c, &ApplyForm::default(), BTreeMap::new(), None, StatusCode::OK).await
}

fn check_apply(f: &ApplyForm, submit: bool) -> Vec<FieldError> {
    let mut e = Vec::new();
    if f.org_name.trim().is_empty() {
        e.push(FieldError::new("org_name", "请填写申报单位名称"));
    }
    if f.org_code.trim().chars().count() != 18 || platform::codes::check_org_code(f.org_code.trim()).is_some() {
        e.push(FieldError::new("org_code", "统一社会信用代码不正确（18 位，请核对最后一位校验码）"));
    }
    if f.title.trim().is_empty() || f.title.trim().chars().count() > 60 {
        e.push(FieldError::new("title", "请填写项目名称（不超过 60 个字）"));
    }
    if submit {
        if f.contact.trim().is_empty() {
            e.push(FieldError::new("contact", "请填写项目联系人"));
        }
        if !platform::codes::valid_phone(f.phone.trim()) {
            e.push(FieldError::new("phone", "联系电话格式不正确"));
        }
        if f.budget.trim().parse::<f64>().map_or(true, |b| b <= 0.0) {
            e.push(FieldError::new("budget", "申请经费应为大于 0 的数字（万元）"));
        }
        if f.summary.trim().chars().count() < 20 {
            e.push(FieldError::new("summary", "项目摘要至少 20 个字"));
        }
    }
    e
}

async fn public_apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (fields, files) = read_multipart(mp).await?;
    let f: ApplyForm = serde_json::from_value(serde_json::to_value(&fields).unwrap_or_default()).unwrap_or_default();
    ctx.require_form_token(&f.csrf)?;
    let c = call(&state.db, id).await?.filter(|c| c.state != "draft").ok_or(AppError::NotFound)?;
    // A reload or a second click shows the first save's result instead of filing a second one.
    let result_url = format!("/banshi/calls/{id}/result");
    let once = match intake::claim(&state.db, "project_application", Some(&f.once)).await? {
        intake::Claim::First(s) => s,
        intake::Claim::Repeat(s) => return Ok(s.redirect(&state, &result_url)),
    };
    match save_application(&state, &c, &f, files).await {
        Ok((no, code, submitted)) => {
            let notice = if submitted {
                format!("申报书已提交。申报编号 {no}，查询码 {code}，请现在记下：查询码不会再发送。")
            } else {
                format!("草稿已保存。申报编号 {no}，查询码 {code}，请现在记下，凭它们可继续填写。")
            };
            let stored = serde_json::json!({ "call": id, "no": no, "code": code, "notice": notice });
            once.settle(&state.db, &stored).await?;
            Ok(once.redirect(&state, &result_url))
        }
        Err(e) => {
            once.release(&state.db).await?;
            let (status, errors) = form_errors(e)?;
            call_page(&state, &ctx, &c, &f, errors, None, status).await
        }
    }
}

/// The call's page after a save or an objection (the redirect's target), with this browser's latest
/// result; the draft opens for further editing. Without a fresh result it is the plain call page.
async fn public_result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let c = call(&state.db, id).await?.filter(|c| c.state != "draft").ok_or(AppError::NotFound)?;
    let saved = intake::receipt_of_request(&state.db, "project_application", &headers).await?;
    let objected = intake::receipt_of_request(&state.db, "project_objection", &headers).await?;
    match (saved, objected) {
        (Some(v), _) if v["call"] == id => {
            let (no, code) = (v["no"].as_str().unwrap_or_default(), v["code"].as_str().unwrap_or_default());
            let a = own_application(&state.db, no, code).await?;
            let notice = v["notice"].as_str().map(str::to_owned);
            call_page(&state, &ctx, &c, &resumed_form(&a, code), BTreeMap::new(), notice, StatusCode::OK).await
        }
        (_, Some(v)) if v["call"] == id => {
            let notice = v["notice"].as_str().map(str::to_owned);
            call_page(&state, &ctx, &c, &ApplyForm::default(), BTreeMap::new(), notice, StatusCode::OK).await
        }
        _ => Ok(see_other(&format!("/banshi/calls/{id}"))),
    }
}

/// Creates or updates an application (the draft's number and code identify it); returns
/// (number, query code, submitted?).
async fn save_application(
    state: &AppState,
    c: &Call,
    f: &ApplyForm,
    files: Vec<(String, Vec<u8>)>,
) -> Result<(String, String, bool), AppError> {
    let day = date_text(today());
    if !c.window_open(&day) {
        return Err(AppError::Conflict(format!("不在申报期内（{} 至 {}）", c.opens_on, c.closes_on)));
    }
    let submit = f.intent == "submit";
    let mut errs = check_apply(f, submit);
    if let Err(AppError::Invalid(mut e)) = check_files(&files) {
        errs.append(&mut e);
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let t = now();
    let new_state = if submit { "submitted" } else { "draft" };
    if !f.no.trim().is_empty() {
        let existing: Option<ProjectApp> = state
            .db
            .fetch_optional(
                sql("SELECT * FROM project_application WHERE no = $1 AND call_id = $2").bind(f.no.trim()).bind(c.id),
            )
            .await?;
        let a = match existing {
            Some(a) if a.query_hash == hash_code(&f.code) => a,
            _ => return Err(AppError::invalid("code", "申报编号或查询码不正确")),
        };
        if a.state != "draft" {
            return Err(AppError::Conflict("申报书已提交，不能再修改".into()));
        }
        state
            .db
            .execute(
                sql("UPDATE project_application SET org_name=$1, org_code=$2, contact=$3, phone=$4, title=$5, budget=$6, summary=$7, state=$8, submitted_at=$9, updated_at=$10 WHERE id=$11")
                    .bind(f.org_name.trim()).bind(f.org_code.trim().to_ascii_uppercase()).bind(f.contact.trim()).bind(platform::sealed::seal(f.phone.trim())).bind(f.title.trim())
                    .bind(f.budget.trim()).bind(f.summary.trim()).bind(new_state).bind(submit.then_some(t)).bind(t).bind(a.id),
            )
            .await?;
        store_files(&state.db, &files_dir(state), c.id, Some(a.id), files).await?;
        return Ok((a.no, f.code.trim().to_owned(), submit));
    }
    let code = platform::security::random_token(6).to_ascii_uppercase().replace(['-', '_'], "X");
    let temp = format!("T{}", platform::security::random_token(10));
    let id: Scalar<i64> = state
        .db
        .fetch_one(
            sql("INSERT INTO project_application (call_id, no, query_hash, org_name, org_code, contact, phone, title, budget, summary, state, submitted_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id")
            .bind(c.id).bind(&temp).bind(hash_code(&code)).bind(f.org_name.trim()).bind(f.org_code.trim().to_ascii_uppercase()).bind(f.contact.trim())
            .bind(platform::sealed::seal(f.phone.trim())).bind(f.title.trim()).bind(f.budget.trim()).bind(f.summary.trim()).bind(new_state).bind(submit.then_some(t)).bind(t),
        )
        .await?;
    let no = format!("XM{}{:05}", c.id, id.0);
    state.db.execute(sql("UPDATE project_application SET no = $1 WHERE id = $2").bind(&no).bind(id.0)).await?;
    store_files(&state.db, &files_dir(state), c.id, Some(id.0), files).await?;
    Ok((no, code, submit))
}

/// Opens a saved draft again with its number and query code.
/// The application a number and query code open.
async fn own_application(db: &Db, no: &str, code: &str) -> Result<ProjectApp, AppError> {
    let a: Option<ProjectApp> =
        db.fetch_optional(sql("SELECT * FROM project_application WHERE no = $1").bind(no.trim())).await?;
    a.filter(|a| a.query_hash == hash_code(code)).ok_or_else(|| AppError::invalid("code", "申报编号或查询码不正确"))
}

/// The application form filled from what is stored, to continue a draft.
fn resumed_form(a: &ProjectApp, code: &str) -> ApplyForm {
    ApplyForm {
        no: a.no.clone(),
        code: code.to_owned(),
        org_name: a.org_name.clone(),
        org_code: a.org_code.clone(),
        contact: a.contact.clone(),
        phone: a.phone.0.clone(),
        title: a.title.clone(),
        budget: a.budget.clone(),
        summary: a.summary.clone(),
        ..ApplyForm::default()
    }
}

async fn public_resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ApplyForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let a = own_application(&state.db, &f.no, &f.code).await?;
    let c = call(&state.db, a.call_id).await?.ok_or(AppError::NotFound)?;
    let form = resumed_form(&a, &f.code);
    let notice = match a.state.as_str() {
        "draft" => "已打开草稿，可继续填写后提交。".to_owned(),
        "submitted" => "申报书已提交，等待形式审查。".to_owned(),
        "screened_out" => format!("形式审查未通过：{}", a.screen_note),
        _ => "已通过形式审查，正在专家评审。".to_owned(),
    };
    call_page(&state, &ctx, &c, &form, BTreeMap::new(), Some(notice), StatusCode::OK).await
}

#[derive(Deserialize)]
struct ObjectionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    contact: String,
}

async fn public_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let c = call(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let day = date_text(today());
    let mut errors = BTreeMap::new();
    if !(c.state == "publicity" && c.publicity_until.as_deref().is_some_and(|u| day.as_str() <= u)) {
        errors.insert("objection".to_owned(), "不在公示期内，不能提出异议".to_owned());
    } else if f.text.trim().chars().count() < 10 {
        errors.insert("objection".to_owned(), "异议内容至少 10 个字，请写明对象和理由".to_owned());
    } else if f.contact.trim().is_empty() {
        errors.insert("objection".to_owned(), "请留下联系方式，以便答复".to_owned());
    }
    if !errors.is_empty() {
        return call_page(&state, &ctx, &c, &ApplyForm::default(), errors, None, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let result_url = format!("/banshi/calls/{id}/result");
    let once = match intake::claim(&state.db, "project_objection", Some(&f.once)).await? {
        intake::Claim::First(s) => s,
        intake::Claim::Repeat(s) => return Ok(s.redirect(&state, &result_url)),
    };
    state
        .db
        .execute(
            sql("INSERT INTO project_objection (call_id, text, contact, created_at) VALUES ($1,$2,$3,$4)")
                .bind(id)
                .bind(f.text.trim())
                .bind(f.contact.trim())
                .bind(now()),
        )
        .await?;
    let stored = serde_json::json!({ "call": id, "notice": "异议已收到，答复将在本页公布。" });
    once.settle(&state.db, &stored).await?;
    Ok(once.redirect(&state, &result_url))
}

// ---- back office --------------------------------------------------------------------------------

async fn admin_calls(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    calls_page(&state, &ctx, &staff, &BTreeMap::new(), BTreeMap::new()).await
}

/// The calls page; after a refused form, with what was typed into it (`typed`, by field name) and
/// the problems next to their fields.
async fn calls_page(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    typed: &BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let list: Vec<Value> =
        calls(&state.db).await?.iter().map(|c| context! { ..sv(c), ..context! { label => c.state_label() } }).collect();
    let orgs = accounts::list_orgs(&state.db).await?;
    let org_opts: Vec<(String, String)> = orgs.iter().map(|o| (o.code.clone(), o.name.clone())).collect();
    let experts: Vec<Value> = experts(&state.db).await?.iter().map(sv).collect();
    Ok((status, state.render(ctx, "admin/bs_calls.html", context! { list, orgs => org_opts, experts, errors, typed })?)
        .into_response())
}

/// A new project call (form and API; attachments only through the form).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct CallForm {
    /// 申报通知标题
    #[serde(default)]
    pub title: String,
    /// 主管部门的单位代码
    #[serde(default)]
    pub org_code: String,
    /// 申报指南
    #[serde(default)]
    pub guide: String,
    /// 开始日期 YYYY-MM-DD
    #[serde(default)]
    pub opens_on: String,
    /// 截止日期 YYYY-MM-DD
    #[serde(default)]
    pub closes_on: String,
    /// 评分表：每行「指标|分值」
    #[serde(default)]
    pub sheet: String,
    /// 公示天数（1–30，默认 5）
    #[serde(default)]
    pub publicity_days: String,
}

async fn admin_call_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (fields, files) = read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let f: CallForm = serde_json::from_value(serde_json::to_value(&fields).unwrap_or_default())
        .unwrap_or_else(|_| CallForm::default());
    match create_call(&state, &ctx, &staff, &f, files).await {
        Ok(id) => Ok(see_other(&format!("/admin/services/calls/{id}"))),
        Err(e) => {
            let (_, errors) = form_errors(e)?;
            calls_page(&state, &ctx, &staff, &fields, errors).await
        }
    }
}

pub(crate) async fn create_call(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    f: &CallForm,
    files: Vec<(String, Vec<u8>)>,
) -> Result<i64, AppError> {
    check_files(&files)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let org =
        orgs.iter().find(|o| o.code == f.org_code).ok_or_else(|| AppError::invalid("org_code", "请选择主管部门"))?;
    staff.require(Perm::ServiceManage, &item_scope(&orgs, org.id))?;
    let mut errs = Vec::new();
    if f.title.trim().is_empty() {
        errs.push(FieldError::new("title", "请填写申报通知标题"));
    }
    let (Some(o), Some(c)) = (platform::calendar::date(&f.opens_on), platform::calendar::date(&f.closes_on)) else {
        return Err(AppError::invalid("opens_on", "申报起止日期格式应为 2026-01-01"));
    };
    if o > c {
        errs.push(FieldError::new("closes_on", "截止日期不能早于开始日期"));
    }
    let sheet = domain::parse_sheet(&f.sheet).unwrap_or_else(|e| {
        errs.push(FieldError::new("sheet", e));
        Vec::new()
    });
    let days: i64 = f.publicity_days.trim().parse().unwrap_or(5).clamp(1, 30);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let id: Scalar<i64> = state
        .db
        .fetch_one(
            sql("INSERT INTO project_call (title, org_id, guide, opens_on, closes_on, score_sheet, state, publicity_days, created_at) VALUES ($1,$2,$3,$4,$5,$6,'open',$7,$8) RETURNING id")
                .bind(f.title.trim()).bind(org.id).bind(f.guide.trim()).bind(date_text(o)).bind(date_text(c)).bind(serde_json::to_string(&sheet).unwrap_or_default()).bind(days).bind(now()),
        )
        .await?;
    store_files(&state.db, &files_dir(state), id.0, None, files).await?;
    state.audit(ctx, "project_call.create", &format!("call:{}", id.0), "success", f.title.trim().to_owned()).await;
    Ok(id.0)
}

pub(crate) async fn staff_call(state: &AppState, staff: &Staff, id: i64) -> Result<Call, AppError> {
    let c = call(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ServiceManage, &item_scope(&orgs, c.org_id))?;
    Ok(c)
}

async fn admin_call(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let c = staff_call(&state, &staff, id).await?;
    render_call(&state, &ctx, &c, BTreeMap::new(), StatusCode::OK).await
}

async fn render_call(
    state: &AppState,
    ctx: &Ctx,
    c: &Call,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let apps = apps_of(&state.db, c.id).await?;
    let asg = assignments_of_call(&state.db, c.id).await?;
    let ex = experts(&state.db).await?;
    let rows: Vec<Value> = apps
        .iter()
        .filter(|a| a.state != "draft")
        .map(|a| {
            let mine: Vec<Value> = asg
                .iter()
                .filter(|x| x.application_id == a.id)
                .map(|x| context! { expert => ex.iter().find(|e| e.id == x.expert_id).map(|e| e.name.clone()).unwrap_or_default(), total => x.submitted_at.map(|_| x.scores().iter().sum::<u32>()) })
                .collect();
            context! { ..sv(a), ..context! { assigned => mine, state_label => application_state_label(&a.state) } }
        })
        .collect();
    let mut files: BTreeMap<i64, Vec<ProjectFile>> = BTreeMap::new();
    for f in state.db.fetch_all::<ProjectFile>(sql("SELECT id, call_id, application_id, name, stored, size FROM project_file WHERE call_id = $1 ORDER BY id").bind(c.id)).await? {
        files.entry(f.application_id.unwrap_or(0)).or_default().push(f);
    }
    let ranked: Vec<Value> = ranking(&state.db, c).await?.iter().enumerate().map(|(i, (a, s, n))| context! { rank => i + 1, title => a.title.clone(), org => a.org_name.clone(), score => format!("{:.2}", *s as f64 / 100.0), experts => n }).collect();
    let objections: Vec<Value> = objections(&state.db, c.id)
        .await?
        .iter()
        .map(|o| context! { ..sv(o), ..context! { contact => o.contact.clone() } })
        .collect();
    let events: Vec<Value> = call_events(&state.db, c.id)
        .await?
        .iter()
        .map(|e| context! { at => e.at, actor => e.actor.clone(), from => stage_label(&e.from_state), to => stage_label(&e.to_state) })
        .collect();
    let body = state.render(ctx, "admin/bs_call.html", context! { call => sv(c), label => c.state_label(), apps => rows, files => sv(&files), experts => sv(&ex), ranked, objections, errors, sheet => sv(c.sheet()), events })?;
    Ok((status, body).into_response())
}

fn stage_label(code: &str) -> &'static str {
    CallStage::parse(code).unwrap_or(CallStage::Draft).label()
}

/// What an application's stored state means to a person.
pub fn application_state_label(code: &str) -> &'static str {
    match code {
        "draft" => "草稿",
        "submitted" => "待形式审查",
        "screened_out" => "形式审查未通过",
        "in_review" => "专家评审中",
        _ => "其他",
    }
}

/// Project calls as a workflow: each stage change is a recorded transition (who, when, from, to).
pub static FLOW: platform::workflow::Flow =
    platform::workflow::Flow { name: "project_call", table: "project_call", versioned: false };

pub async fn call_events(db: &Db, call_id: i64) -> DbResult<Vec<platform::workflow::Event>> {
    platform::workflow::events(db, &FLOW, call_id).await
}

/// Moves a call to stage `to` (the admin form and the API): the stage rule, open objections before
/// the final list, then the conditional update and its event in one transaction, and the audit.
/// A refused move is `AppError::Conflict` with the reason in words (the move is not allowed, or the
/// call moved meanwhile).
pub(crate) async fn advance(state: &AppState, ctx: &Ctx, staff: &Staff, c: &Call, to: &str) -> Result<Call, AppError> {
    let to = c.stage().check_move(to).map_err(AppError::Conflict)?;
    if to == CallStage::Final {
        let open = objections(&state.db, c.id).await?.iter().filter(|o| o.answer.is_empty()).count();
        if open > 0 {
            return Err(AppError::Conflict(format!("还有 {open} 条异议未答复，答复后才能公布最终名单")));
        }
    }
    let until = (to == CallStage::Publicity).then(|| date_text(today() + time::Duration::days(c.publicity_days)));
    let transition = platform::workflow::Transition {
        action: "stage",
        from: &c.state,
        to: to.code(),
        step: 0,
        actor: &staff.user.display_name,
        actor_id: Some(staff.user.id),
        comment: "",
    };
    let mut change = platform::workflow::Change::new(&FLOW, c.id, 0, transition);
    if let Some(until) = until {
        change = change.set("publicity_until", until);
    }
    if !platform::workflow::apply(state, change).await? {
        return Err(AppError::Conflict("申报通知刚被他人推进到下一阶段，请刷新后再试".into()));
    }
    state
        .audit(ctx, "project_call.stage", &format!("call:{}", c.id), "success", format!("进入「{}」", to.label()))
        .await;
    call(&state.db, c.id).await?.ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
struct StateForm {
    #[serde(default)]
    to: String,
}

async fn admin_call_state(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<StateForm>,
) -> Result<Response, AppError> {
    let c = staff_call(&state, &staff, id).await?;
    match advance(&state, &ctx, &staff, &c, &f.to).await {
        Ok(_) => {}
        Err(AppError::Conflict(reason)) => {
            return render_call(&state, &ctx, &c, BTreeMap::from([("form".to_owned(), reason)]), StatusCode::CONFLICT)
                .await;
        }
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/admin/services/calls/{id}")))
}

/// What the back office's forms and the API report the same way: done, or the reason in words.
async fn call_outcome(
    state: &AppState,
    ctx: &Ctx,
    c: &Call,
    outcome: Result<(), AppError>,
) -> Result<Response, AppError> {
    let Err(e) = outcome else { return Ok(see_other(&format!("/admin/services/calls/{}", c.id))) };
    let (status, reason) = refusal(e)?;
    render_call(state, ctx, c, BTreeMap::from([("form".to_owned(), reason)]), status).await
}

/// A refused call operation as the page shows it: the status and the reason in words (a conflict,
/// or the first field error); any other error is passed on.
fn refusal(e: AppError) -> Result<(StatusCode, String), AppError> {
    match e {
        AppError::Conflict(m) => Ok((StatusCode::CONFLICT, m)),
        AppError::Invalid(errs) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, errs.into_iter().next().map(|e| e.message).unwrap_or_default()))
        }
        e => Err(e),
    }
}

/// 形式审查 of one submitted application (form and API).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct ScreenInput {
    /// 申报书编号
    #[serde(default)]
    pub application_id: i64,
    /// 是否通过形式审查
    #[serde(default, deserialize_with = "platform::web::extract::form_bool")]
    pub pass: bool,
    /// 审查意见（不通过时必填）
    #[serde(default)]
    pub note: String,
}

pub(crate) async fn screen(state: &AppState, ctx: &Ctx, c: &Call, f: &ScreenInput) -> Result<(), AppError> {
    if !f.pass && f.note.trim().is_empty() {
        return Err(AppError::invalid("note", "形式审查不通过须写明理由"));
    }
    let n = state
        .db
        .execute(sql("UPDATE project_application SET state = $1, screen_note = $2, updated_at = $3 WHERE id = $4 AND call_id = $5 AND state = 'submitted'")
            .bind(if f.pass { "in_review" } else { "screened_out" }).bind(f.note.trim()).bind(now()).bind(f.application_id).bind(c.id))
        .await?;
    if n == 0 {
        return Err(AppError::Conflict("该申报书不在待审查状态".into()));
    }
    state
        .audit(
            ctx,
            "project_application.screen",
            &format!("project_application:{}", f.application_id),
            "success",
            if f.pass { "形式审查通过".to_owned() } else { format!("形式审查不通过：{}", f.note.trim()) },
        )
        .await;
    Ok(())
}

async fn admin_screen(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ScreenInput>,
) -> Result<Response, AppError> {
    let c = staff_call(&state, &staff, id).await?;
    let outcome = screen(&state, &ctx, &c, &f).await;
    call_outcome(&state, &ctx, &c, outcome).await
}

/// Assigns an expert to an application that passed screening (form and API).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct AssignInput {
    /// 申报书编号
    #[serde(default)]
    pub application_id: i64,
    /// 专家编号
    #[serde(default)]
    pub expert_id: i64,
}

pub(crate) async fn assign(state: &AppState, ctx: &Ctx, c: &Call, f: &AssignInput) -> Result<(), AppError> {
    let app: Option<ProjectApp> = state
        .db
        .fetch_optional(
            sql("SELECT * FROM project_application WHERE id = $1 AND call_id = $2").bind(f.application_id).bind(c.id),
        )
        .await?;
    let app = app.ok_or(AppError::NotFound)?;
    let expert = experts(&state.db).await?.into_iter().find(|e| e.id == f.expert_id).ok_or(AppError::NotFound)?;
    if app.state != "in_review" {
        return Err(AppError::Conflict("只能为通过形式审查的申报书分配专家".into()));
    }
    if domain::conflict_of_interest(&expert.org_name, &app.org_name) {
        state
            .audit(
                ctx,
                "project_application.assign",
                &format!("project_application:{}", app.id),
                "refused",
                format!("专家{}与申报单位同属{}，回避", expert.name, expert.org_name),
            )
            .await;
        return Err(AppError::Conflict(format!(
            "利益冲突：专家「{}」与申报单位同属「{}」，须回避",
            expert.name, expert.org_name
        )));
    }
    let r = state
        .db
        .execute(
            sql("INSERT INTO expert_assignment (application_id, expert_id) VALUES ($1,$2)")
                .bind(app.id)
                .bind(expert.id),
        )
        .await;
    if let Err(e) = r {
        if e.is_unique_violation() {
            return Err(AppError::Conflict("该专家已分配给这份申报书".into()));
        }
        return Err(e.into());
    }
    state
        .audit(
            ctx,
            "project_application.assign",
            &format!("project_application:{}", app.id),
            "success",
            format!("分配专家{}", expert.name),
        )
        .await;
    Ok(())
}

async fn admin_assign(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<AssignInput>,
) -> Result<Response, AppError> {
    let c = staff_call(&state, &staff, id).await?;
    let outcome = assign(&state, &ctx, &c, &f).await;
    call_outcome(&state, &ctx, &c, outcome).await
}

/// Answers an objection raised during publicity (form and API).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["objection_id", "answer"]))]
pub struct AnswerInput {
    /// 异议编号
    #[serde(default)]
    pub objection_id: i64,
    /// 答复（至少 5 个字）
    #[serde(default)]
    #[schemars(regex(pattern = r"\S[\s\S]{3,}\S"))]
    pub answer: String,
}

pub(crate) async fn answer(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    c: &Call,
    f: &AnswerInput,
) -> Result<(), AppError> {
    if f.answer.trim().chars().count() < 5 {
        return Err(AppError::invalid("answer", "答复至少 5 个字"));
    }
    let n = state
        .db
        .execute(sql("UPDATE project_objection SET answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND call_id = $5")
            .bind(f.answer.trim()).bind(staff.user.display_name.as_str()).bind(now()).bind(f.objection_id).bind(c.id))
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    state
        .audit(
            ctx,
            "project_objection.answer",
            &format!("objection:{}", f.objection_id),
            "success",
            f.answer.trim().to_owned(),
        )
        .await;
    Ok(())
}

async fn admin_answer(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<AnswerInput>,
) -> Result<Response, AppError> {
    let c = staff_call(&state, &staff, id).await?;
    let outcome = answer(&state, &ctx, &staff, &c, &f).await;
    call_outcome(&state, &ctx, &c, outcome).await
}

/// An account added to the expert pool (form and API).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["username", "org_name", "field"]))]
pub struct ExpertForm {
    /// 已有账号的用户名
    #[serde(default)]
    #[schemars(regex(pattern = r"\S"))]
    pub username: String,
    /// 专家所在单位（分配时据此回避）
    #[serde(default)]
    #[schemars(regex(pattern = r"\S"))]
    pub org_name: String,
    /// 领域
    #[serde(default)]
    #[schemars(regex(pattern = r"\S"))]
    pub field: String,
    /// 专长
    #[serde(default)]
    pub specialties: String,
}

/// Adds an existing account to the expert pool.
async fn admin_expert_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<ExpertForm>,
) -> Result<Response, AppError> {
    match add_expert(&state, &ctx, &staff, &f).await {
        Ok(()) => Ok(see_other("/admin/services/calls")),
        Err(e) => {
            let (_, errors) = form_errors(e)?;
            let typed = BTreeMap::from([
                ("username".to_owned(), f.username.clone()),
                ("org_name".to_owned(), f.org_name.clone()),
                ("field".to_owned(), f.field.clone()),
                ("specialties".to_owned(), f.specialties.clone()),
            ]);
            calls_page(&state, &ctx, &staff, &typed, errors).await
        }
    }
}

pub(crate) async fn add_expert(state: &AppState, ctx: &Ctx, staff: &Staff, f: &ExpertForm) -> Result<(), AppError> {
    staff.require_anywhere(Perm::ServiceManage)?;
    let u = accounts::user_by_name(&state.db, f.username.trim())
        .await?
        .ok_or_else(|| AppError::invalid("username", "找不到该账号，请先在用户管理中创建"))?;
    if f.org_name.trim().is_empty() || f.field.trim().is_empty() {
        return Err(AppError::invalid("org_name", "请填写专家所在单位和领域"));
    }
    state
        .db
        .execute(
            sql("INSERT INTO expert (user_id, name, org_name, field, specialties) VALUES ($1,$2,$3,$4,$5)")
                .bind(u.id)
                .bind(u.display_name.as_str())
                .bind(f.org_name.trim())
                .bind(f.field.trim())
                .bind(f.specialties.trim()),
        )
        .await?;
    state.audit(ctx, "expert.create", &format!("expert:{}", u.username), "success", f.org_name.trim().to_owned()).await;
    Ok(())
}

/// An expert's own page: only the applications assigned to them.
async fn expert_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    render_expert(&state, &ctx, &staff, BTreeMap::new(), StatusCode::OK).await
}

async fn render_expert(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let me: Expert = state
        .db
        .fetch_optional(sql("SELECT * FROM expert WHERE user_id = $1").bind(staff.user.id))
        .await?
        .ok_or_else(|| AppError::Forbidden("您不在评审专家库中".into()))?;
    let asg: Vec<Assignment> = state.db.fetch_all(sql("SELECT id, application_id, expert_id, scores, comment, submitted_at FROM expert_assignment WHERE expert_id = $1 ORDER BY id").bind(me.id)).await?;
    let mut rows = Vec::new();
    for a in &asg {
        let app: Option<ProjectApp> = state
            .db
            .fetch_optional(sql("SELECT * FROM project_application WHERE id = $1").bind(a.application_id))
            .await?;
        let Some(app) = app else { continue };
        let c = call(&state.db, app.call_id).await?.ok_or(AppError::NotFound)?;
        let files = files_of(&state.db, c.id, Some(app.id)).await?;
        rows.push(context! { id => a.id, files => sv(&files), title => app.title.clone(), org => app.org_name.clone(), summary => app.summary.clone(), budget => app.budget.clone(),
            call => c.title.clone(), sheet => sv(c.sheet()), scores => a.scores(), comment => a.comment.clone(), done => a.submitted_at.is_some(), reviewing => c.state == "review" });
    }
    let body = state.render(ctx, "admin/bs_review.html", context! { me => sv(&me), rows, errors })?;
    Ok((status, body).into_response())
}

/// An expert's scores for an assigned application, one per criterion of the call's sheet in its
/// order (form and API).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct ScoreInput {
    /// 各项得分（整数，按评分表顺序）
    #[serde(default)]
    pub scores: Vec<u32>,
    /// 评审意见
    #[serde(default)]
    pub comment: String,
}

/// Saves the signed-in expert's scores for assignment `id` while the call is in review.
pub(crate) async fn score(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64, f: &ScoreInput) -> Result<(), AppError> {
    let me: Expert = state
        .db
        .fetch_optional(sql("SELECT * FROM expert WHERE user_id = $1").bind(staff.user.id))
        .await?
        .ok_or_else(|| AppError::Forbidden("您不在评审专家库中".into()))?;
    let a: Option<Assignment> = state.db.fetch_optional(sql("SELECT id, application_id, expert_id, scores, comment, submitted_at FROM expert_assignment WHERE id = $1").bind(id)).await?;
    // Another expert's assignment is not found, not forbidden: experts see only their own.
    let a = a.filter(|a| a.expert_id == me.id).ok_or(AppError::NotFound)?;
    let app: ProjectApp =
        state.db.fetch_one(sql("SELECT * FROM project_application WHERE id = $1").bind(a.application_id)).await?;
    let c = call(&state.db, app.call_id).await?.ok_or(AppError::NotFound)?;
    if c.state != "review" {
        return Err(AppError::Conflict("评审阶段已结束，不能再修改评分".into()));
    }
    let sheet = c.sheet();
    if let Some(missing) = sheet.get(f.scores.len()) {
        return Err(AppError::invalid("scores", format!("请为「{}」打分（整数）", missing.name)));
    }
    domain::check_scores(&sheet, &f.scores).map_err(|m| AppError::invalid("scores", m))?;
    state
        .db
        .execute(
            sql("UPDATE expert_assignment SET scores = $1, comment = $2, submitted_at = $3 WHERE id = $4")
                .bind(serde_json::to_string(&f.scores).unwrap_or_default())
                .bind(f.comment.trim())
                .bind(now())
                .bind(id),
        )
        .await?;
    state
        .audit(
            ctx,
            "expert.score",
            &format!("project_application:{}", app.id),
            "success",
            format!("评分 {}", f.scores.iter().sum::<u32>()),
        )
        .await;
    Ok(())
}

async fn expert_score(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |k: &str| f.iter().find(|(name, _)| name == k).map(|(_, v)| v.trim());
    // s0, s1, … in the sheet's order; the first one missing or not a whole number ends the list,
    // and `score` names that criterion.
    let scores = (0..).map_while(|i| field(&format!("s{i}")).and_then(|v| v.parse::<u32>().ok())).collect();
    let input = ScoreInput { scores, comment: field("comment").unwrap_or("").to_owned() };
    let Err(e) = score(&state, &ctx, &staff, id, &input).await else { return Ok(see_other("/admin/services/review")) };
    let (status, reason) = refusal(e)?;
    render_expert(&state, &ctx, &staff, BTreeMap::from([("form".to_owned(), reason)]), status).await
}
