//! 监督考核 in the JSON API (`/api/v1`): the monitor's reports for the group and one site, a run
//! that keeps today's results, each site's monitor settings, and the 错敏词 dictionary — the same
//! operations as the back office, through `ops`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::annual::{self, ManualInput};
use crate::monitor::{GroupReport, SiteReport};
use crate::ops::{self, SettingsInput, WordInput};
use crate::stats::{self, PeriodQuery};

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("监督考核", m, p, s, Some(Perm::Supervise), body, h);
    vec![
        r("get", "/api/v1/monitor", "网站群监测概况（各站点的结论、得分、否决项和问题数）", None, routing::get(group)),
        r("post", "/api/v1/monitor/run", "立即检测并保存今天的结果", None, routing::post(run)),
        r(
            "get",
            "/api/v1/monitor/sites/{id}",
            "一个站点的监测结果（否决项、扣分项和每个问题）",
            None,
            routing::get(site),
        ),
        r(
            "put",
            "/api/v1/monitor/sites/{id}/settings",
            "站点的探测地址和预警邮箱",
            Some(schema_of::<SettingsInput>),
            routing::put(settings),
        ),
        r("get", "/api/v1/wording-rules", "错敏词词库", None, routing::get(list_words)),
        r("post", "/api/v1/wording-rules", "添加错敏词", Some(schema_of::<WordInput>), routing::post(add_word)),
        r("put", "/api/v1/wording-rules/{id}", "修改错敏词", Some(schema_of::<WordInput>), routing::put(save_word)),
        r("delete", "/api/v1/wording-rules/{id}", "删除错敏词", None, routing::delete(delete_word)),
        r(
            "get",
            "/api/v1/annual-reports/sites/{id}/{year}",
            "站点的政府网站工作年度报表（系统生成项和填报项）",
            None,
            routing::get(annual_get),
        ),
        r(
            "put",
            "/api/v1/annual-reports/sites/{id}/{year}",
            "保存年度报表的填报项（安全防护、移动新媒体、创新发展、签署等）",
            Some(schema_of::<ManualInput>),
            routing::put(annual_put),
        ),
        r(
            "post",
            "/api/v1/annual-reports/sites/{id}/{year}/actions/publish",
            "在网站公开年度报表（以当前数据和填报内容为准，公开时间以首次为准）",
            None,
            routing::post(annual_publish),
        ),
        ApiRoute::new(
            "监督考核",
            "post",
            "/api/v1/sms/replies",
            "短信网关回传的用户回复：回复 TD 等退订词即退订该号码的全部短信订阅（供短信网关调用，需系统设置权限的令牌）",
            Some(Perm::SystemSettings),
            Some(schema_of::<SmsReply>),
            routing::post(sms_reply),
        ),
        r("get", "/api/v1/visits", "各站点的浏览量和独立访客", None, routing::get(visits))
            .with_query(schema_of::<PeriodQuery>),
        r(
            "get",
            "/api/v1/visits/sites/{id}",
            "一个站点的访问统计（趋势、栏目、文章、入口页、来源、搜索词、设备）",
            None,
            routing::get(site_visits),
        )
        .with_query(schema_of::<PeriodQuery>),
    ]
}

fn summary(r: &GroupReport) -> Value {
    json!({
        "at": r.at,
        "sites": r.sites.iter().map(|s| json!({
            "site_id": s.site.id,
            "name": s.site.name,
            "verdict": s.assessment.verdict.code(),
            "verdict_label": s.assessment.verdict.label(),
            "score": s.assessment.score,
            "vetoes": s.assessment.vetoes_reached(),
            "problems": s.assessment.problems,
            "warnings": s.assessment.warnings,
        })).collect::<Vec<_>>(),
    })
}

fn detail(s: &SiteReport) -> Value {
    json!({
        "site_id": s.site.id,
        "name": s.site.name,
        "verdict": s.assessment.verdict.code(),
        "verdict_label": s.assessment.verdict.label(),
        "score": s.assessment.score,
        "vetoes": s.assessment.vetoes,
        "deductions": s.assessment.deductions,
        "findings": s.findings,
    })
}

async fn group(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    Ok(Json(summary(&ops::report(&state, &staff, None).await?)))
}

async fn run(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Json<Value>, AppError> {
    Ok(Json(summary(&ops::run_and_store(&state, &ctx, &staff).await?)))
}

async fn site(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let r = ops::report(&state, &staff, Some(id)).await?;
    r.site(id).map(|s| Json(detail(s))).ok_or(AppError::NotFound)
}

async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<SettingsInput>,
) -> Result<Json<Value>, AppError> {
    ops::save_settings(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "site_id": id, "probe_url": input.probe_url.trim(), "warning_email": input.warning_email.trim() })))
}

async fn list_words(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    Ok(Json(json!({ "items": platform::content_check::word_rules(&state.db).await? })))
}

async fn add_word(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<WordInput>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let id = ops::save_word(&state, &ctx, &staff, None, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn save_word(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<WordInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    ops::save_word(&state, &ctx, &staff, Some(id), &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn delete_word(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    ops::delete_word(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "deleted": id })))
}

async fn visits(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<Value>, AppError> {
    let period = q.period()?;
    let rows = stats::group(&state, &staff, &period).await?;
    Ok(Json(json!({"period": period.key(), "sites": rows})))
}

async fn site_visits(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<Value>, AppError> {
    let period = q.period()?;
    let (site, report) = stats::site(&state, &staff, id, &period).await?;
    Ok(Json(json!({"period": period.key(), "site": site, "report": report})))
}

fn annual_json(r: &annual::Report) -> Value {
    json!({"site_id": r.site.id, "site": r.site.name, "year": r.year, "sections": r.sections, "manual": r.manual})
}

async fn annual_get(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, year)): Path<(i64, i32)>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(annual_json(&annual::report(&state, &staff, id, year, None).await?)))
}

async fn annual_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, year)): Path<(i64, i32)>,
    Json(input): Json<ManualInput>,
) -> Result<Json<Value>, AppError> {
    annual::save(&state, &ctx, &staff, id, year, &input).await?;
    Ok(Json(annual_json(&annual::report(&state, &staff, id, year, None).await?)))
}

async fn annual_publish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, year)): Path<(i64, i32)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let at = annual::publish(&state, &ctx, &staff, id, year).await?;
    Ok(Json(json!({ "site_id": id, "year": year, "published_at": at })))
}

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
struct SmsReply {
    /// 回复短信的手机号码
    #[serde(default)]
    #[schemars(length(max = 20))]
    phone: String,
    /// 回复内容
    #[serde(default)]
    #[schemars(length(max = 500))]
    text: String,
}

async fn sms_reply(
    State(state): State<AppState>,
    staff: Staff,
    Json(b): Json<SmsReply>,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SystemSettings, &platform::roles::ResourceScope::platform())?;
    if b.phone.chars().count() > 20 {
        return Err(AppError::invalid("phone", "手机号码最多 20 个字符"));
    }
    if b.text.chars().count() > 500 {
        return Err(AppError::invalid("text", "回复内容最多 500 字"));
    }
    let ended = crate::subscriptions::sms_reply(&state, &b.phone, &b.text).await?;
    Ok(Json(json!({ "unsubscribed": ended })))
}
