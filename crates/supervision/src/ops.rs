//! Operations shared by the back office and the API, each with its permission check and audit:
//! running the monitor for the sites a user supervises, each site's monitor settings, and the
//! 错敏词 dictionary (a global grant edits it: it applies to every site's content).

use platform::content_check::{RULE_SEVERITIES, WordRule};
use platform::db::{now, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::portal::GroupSite;
use platform::web::{AppError, AppState, Auth, Ctx, FieldError};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::monitor::{self, GroupReport, SiteSettings};

/// The sites `auth` may supervise.
pub fn visible(auth: &Auth, sites: Vec<GroupSite>) -> Vec<GroupSite> {
    sites.into_iter().filter(|s| auth.can(Perm::Supervise, &ResourceScope::site(s.id))).collect()
}

/// The monitor now, for every site `auth` supervises (or only `site_id`, which must be one).
pub async fn report(state: &AppState, auth: &Auth, site_id: Option<i64>) -> Result<GroupReport, AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    if let Some(id) = site_id {
        auth.require(Perm::Supervise, &ResourceScope::site(id))?;
        if !platform::web::portal::group_sites(&state.db).await?.iter().any(|s| s.id == id) {
            return Err(AppError::NotFound);
        }
    }
    let mut r = monitor::run(state, site_id, now()).await?;
    r.sites.retain(|s| auth.can(Perm::Supervise, &ResourceScope::site(s.site.id)));
    Ok(r)
}

/// 立即检测: runs and keeps today's result of the sites `auth` supervises.
pub async fn run_and_store(state: &AppState, ctx: &Ctx, auth: &Auth) -> Result<GroupReport, AppError> {
    let r = report(state, auth, None).await?;
    monitor::store(&state.db, &r).await?;
    state.audit(ctx, "monitor.run", "monitor", "success", format!("立即检测 {} 个站点", r.sites.len())).await;
    Ok(r)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SettingsInput {
    /// The address the home page is probed at (http:// or https://…); empty: the site's own address.
    #[schemars(regex(pattern = r"^(|https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/\S*)?)$"))]
    pub probe_url: String,
    /// Who receives the pre-warnings by mail.
    #[schemars(regex(pattern = r"^(|[^@\s<>,]+@[^@\s<>,.][^@\s<>,]*\.[^@\s<>,.]+)$"), length(max = 254))]
    pub warning_email: String,
}

pub async fn save_settings(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    site_id: i64,
    input: &SettingsInput,
) -> Result<(), AppError> {
    auth.require(Perm::Supervise, &ResourceScope::site(site_id))?;
    let site = platform::web::portal::group_sites(&state.db)
        .await?
        .into_iter()
        .find(|s| s.id == site_id)
        .ok_or(AppError::NotFound)?;
    let mut errs = Vec::new();
    let probe_url = input.probe_url.trim();
    if !probe_url.is_empty()
        && url::Url::parse(probe_url)
            .map_or(true, |u| !matches!(u.scheme(), "http" | "https") || u.host_str().is_none())
    {
        errs.push(FieldError::new("probe_url", "探测地址须为 http:// 或 https:// 开头的完整网址"));
    }
    let email = input.warning_email.trim();
    if !email.is_empty() && !platform::codes::valid_email(email) {
        errs.push(FieldError::new("warning_email", "预警邮箱格式不正确"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    monitor::save_settings(
        &state.db,
        &SiteSettings { site_id, probe_url: probe_url.to_owned(), warning_email: email.to_owned() },
    )
    .await?;
    state
        .audit(
            ctx,
            "monitor.settings",
            &format!("site:{site_id}"),
            "success",
            format!("{}：探测地址“{probe_url}”，预警邮箱“{email}”", site.name),
        )
        .await;
    Ok(())
}

// ---- 错敏词 -----------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["wrong", "severity"]))]
pub struct WordInput {
    /// The wrong or sensitive wording.
    #[schemars(regex(pattern = r"\S"), length(max = 60))]
    pub wrong: String,
    /// Its correct form (empty: to be deleted or rewritten).
    #[schemars(length(max = 60))]
    pub correct: String,
    /// `serious` (严重表述错误) or `general` (一般错别字).
    #[schemars(extend("enum" = ["serious", "general"]))]
    pub severity: String,
    #[schemars(length(max = 200))]
    pub note: String,
}

fn check_word(input: &WordInput) -> Result<WordInput, AppError> {
    let w = WordInput {
        wrong: input.wrong.trim().to_owned(),
        correct: input.correct.trim().to_owned(),
        severity: input.severity.trim().to_owned(),
        note: input.note.trim().to_owned(),
    };
    let mut errs = Vec::new();
    if w.wrong.is_empty() {
        errs.push(FieldError::new("wrong", "请填写错误或敏感的表述"));
    } else if w.wrong.chars().count() > 60 {
        errs.push(FieldError::new("wrong", "错误表述不能超过 60 个字"));
    }
    if w.correct.chars().count() > 60 {
        errs.push(FieldError::new("correct", "正确表述不能超过 60 个字"));
    }
    if !RULE_SEVERITIES.iter().any(|(k, _)| *k == w.severity) {
        errs.push(FieldError::new("severity", "请选择错误级别"));
    }
    if w.note.chars().count() > 200 {
        errs.push(FieldError::new("note", "说明不能超过 200 个字"));
    }
    if errs.is_empty() { Ok(w) } else { Err(AppError::Invalid(errs)) }
}

fn require_dictionary(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::Supervise, &ResourceScope::platform())
}

/// Adds an entry, or changes the one with `id`.
pub async fn save_word(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: Option<i64>,
    input: &WordInput,
) -> Result<i64, AppError> {
    require_dictionary(auth)?;
    let w = check_word(input)?;
    let t = now();
    let id = match id {
        Some(id) => {
            let n = state
                .db
                .execute(
                    sql("UPDATE wording_rule SET wrong = $1, correct = $2, severity = $3, note = $4, updated_at = $5 WHERE id = $6")
                        .bind(&w.wrong)
                        .bind(&w.correct)
                        .bind(&w.severity)
                        .bind(&w.note)
                        .bind(t)
                        .bind(id),
                )
                .await
                .map_err(|e| duplicate(e, &w.wrong))?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            id
        }
        None => insert_word(&state.db, &w, &auth.user.username).await.map_err(|e| duplicate(e, &w.wrong))?,
    };
    state
        .audit(
            ctx,
            "wording.save",
            &format!("wording_rule:{id}"),
            "success",
            format!("错敏词“{}”→“{}”（{}）", w.wrong, w.correct, if w.severity == "serious" { "严重" } else { "一般" }),
        )
        .await;
    Ok(id)
}

async fn insert_word(db: &platform::db::Db, w: &WordInput, by: &str) -> platform::db::DbResult<i64> {
    let q = sql("INSERT INTO wording_rule (wrong, correct, severity, note, created_by, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$6) RETURNING id")
    .bind(&w.wrong)
    .bind(&w.correct)
    .bind(&w.severity)
    .bind(&w.note)
    .bind(by)
    .bind(now());
    Ok(db.fetch_one::<platform::db::Scalar<i64>>(q).await?.0)
}

fn duplicate(e: platform::db::DbError, wrong: &str) -> AppError {
    if e.is_unique_violation() { AppError::Conflict(format!("词库中已有“{wrong}”")) } else { e.into() }
}

pub async fn delete_word(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    require_dictionary(auth)?;
    let rule = platform::content_check::word_rules(&state.db)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    state.db.execute(sql("DELETE FROM wording_rule WHERE id = $1").bind(id)).await?;
    state
        .audit(ctx, "wording.delete", &format!("wording_rule:{id}"), "success", format!("删除错敏词“{}”", rule.wrong))
        .await;
    Ok(())
}

/// Adds many entries from lines `错误=正确` (or `错误=正确=严重`); a line already in the dictionary
/// is left as it is. Returns (added, skipped, problems by line).
pub async fn import_words(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    text: &str,
    severity: &str,
) -> Result<(usize, usize, Vec<String>), AppError> {
    require_dictionary(auth)?;
    let existing: Vec<WordRule> = platform::content_check::word_rules(&state.db).await?;
    let (mut added, mut skipped, mut problems) = (0, 0, Vec::new());
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split(['=', '＝']).map(str::trim);
        let wrong = parts.next().unwrap_or("").to_owned();
        let correct = parts.next().unwrap_or("").to_owned();
        let sev = match parts.next() {
            Some("严重") => "serious",
            Some("一般") => "general",
            _ => severity,
        };
        if existing.iter().any(|r| r.wrong == wrong) {
            skipped += 1;
            continue;
        }
        let input = WordInput { wrong, correct, severity: sev.to_owned(), note: String::new() };
        match check_word(&input) {
            Ok(w) => {
                let r = insert_word(&state.db, &w, &auth.user.username).await;
                match r {
                    Ok(_) => added += 1,
                    Err(e) if e.is_unique_violation() => skipped += 1,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(AppError::Invalid(errs)) => problems.push(format!(
                "第 {} 行：{}",
                n + 1,
                errs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；")
            )),
            Err(e) => return Err(e),
        }
    }
    state
        .audit(
            ctx,
            "wording.import",
            "wording_rule",
            "success",
            format!("批量导入错敏词：新增 {added}，已有 {skipped}，有误 {}", problems.len()),
        )
        .await;
    Ok((added, skipped, problems))
}
