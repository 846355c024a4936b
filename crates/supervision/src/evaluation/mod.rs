//! 下级网站评估 (seed 003: the yearly evaluation of the cities', counties' and departments' sites —
//! 以评促建): the office creates an evaluation of a set of sites for a year under a score sheet;
//! the monitor fills the automatic indicators from what it kept for the year (average daily
//! score, days with a 单项否决), evaluators type the rest; publishing freezes every point and
//! shows the ranking and each site's sheet on the portal under `/pinggu/`.
//!
//! Layout: `domain` (pure: sheet, automatic points, checks), this file (storage and operations),
//! `admin`, `public`, `api`.

pub mod admin;
pub mod api;
pub mod domain;
pub mod public;

use std::collections::{BTreeMap, HashMap};

use platform::db::{Db, DbResult, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::portal::GroupSite;
use platform::web::{AppError, AppState, Auth, Ctx};

use domain::{Indicator, MonitorYear};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Evaluation {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub indicators: String,
    pub state: String,
    pub created_by: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

impl Evaluation {
    pub fn sheet(&self) -> Vec<Indicator> {
        serde_json::from_str(&self.indicators).unwrap_or_default()
    }
    pub fn published(&self) -> bool {
        self.state == "published"
    }
}

/// One site's row: the points of each indicator (`None`: not scored yet), total and rank.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteRow {
    pub site: GroupSite,
    pub points: Vec<Option<f64>>,
    pub total: f64,
    pub rank: Option<usize>,
    pub monitor_days: i64,
}

/// The evaluation office: a platform-wide 监督考核 grant (an evaluation spans the group).
fn require_office(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::Supervise, &ResourceScope::platform())
        .map_err(|_| AppError::Forbidden("网站评估面向整个网站群，需要全局的监督考核权限".into()))
}

pub async fn get(db: &Db, id: i64) -> DbResult<Option<Evaluation>> {
    db.fetch_optional(sql("SELECT * FROM site_evaluation WHERE id = $1").bind(id)).await
}

pub async fn list(db: &Db, published_only: bool) -> DbResult<Vec<Evaluation>> {
    let q = sql("SELECT * FROM site_evaluation");
    let q = if published_only { q.push(" WHERE state = 'published'") } else { q };
    db.fetch_all(q.push(" ORDER BY year DESC, id DESC")).await
}

/// What the office's form sends to create an evaluation.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct NewEvaluation {
    /// 评估名称（如：2026 年度全市政府网站绩效评估）
    #[schemars(length(min = 1, max = 60))]
    pub name: String,
    /// 评估年度
    #[schemars(range(min = 2000, max = 2100))]
    pub year: i32,
    /// 评估指标，每行“名称|分值|来源”，来源为 监测、否决 或 人工
    #[schemars(length(min = 1, max = 4000))]
    pub indicators: String,
    /// 参评网站的代码
    pub sites: Vec<String>,
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &NewEvaluation) -> Result<i64, AppError> {
    require_office(auth)?;
    let mut errors = BTreeMap::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        errors.insert("name".to_owned(), "请填写评估名称（最多 60 字）".to_owned());
    }
    if !(2000..=2100).contains(&input.year) {
        errors.insert("year".to_owned(), "年度应在 2000 到 2100 之间".to_owned());
    }
    let sheet = domain::parse_sheet(&input.indicators).map_err(|e| errors.insert("indicators".to_owned(), e)).ok();
    let all = platform::web::portal::group_sites(&state.db).await?;
    let sites: Vec<&GroupSite> = all.iter().filter(|s| input.sites.contains(&s.code)).collect();
    if sites.is_empty() || sites.len() != input.sites.len() {
        errors.insert("sites".to_owned(), "请选择参评网站".to_owned());
    }
    let Some(sheet) = sheet.filter(|_| errors.is_empty()) else {
        return Err(crate::ratings::invalid(errors));
    };
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = platform::db::Exec::fetch_one(
        &mut tx,
        sql("INSERT INTO site_evaluation (name, year, indicators, created_by, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id")
            .bind(name)
            .bind(i64::from(input.year))
            .bind(serde_json::to_string(&sheet).unwrap_or_default())
            .bind(auth.user.display_name.as_str())
            .bind(platform::db::now()),
    )
    .await?;
    for s in &sites {
        platform::db::Exec::execute(
            &mut tx,
            sql("INSERT INTO site_evaluation_site (evaluation_id, site_id) VALUES ($1, $2)").bind(id).bind(s.id),
        )
        .await?;
    }
    tx.commit().await?;
    state
        .audit(
            ctx,
            "site_evaluation.create",
            &format!("site_evaluation:{id}"),
            "success",
            format!("新建网站评估“{name}”"),
        )
        .await;
    Ok(id)
}

async fn sites_of(state: &AppState, e: &Evaluation) -> Result<Vec<GroupSite>, AppError> {
    let ids: Vec<(i64,)> =
        state.db.fetch_all(sql("SELECT site_id FROM site_evaluation_site WHERE evaluation_id = $1").bind(e.id)).await?;
    let ids: Vec<i64> = ids.into_iter().map(|r| r.0).collect();
    Ok(platform::web::portal::group_sites(&state.db).await?.into_iter().filter(|s| ids.contains(&s.id)).collect())
}

/// What the monitor kept for each site over the year.
pub async fn monitor_year(db: &Db, year: i64) -> DbResult<HashMap<i64, MonitorYear>> {
    let rows: Vec<(i64, i64, f64, i64)> = db
        .fetch_all(
            sql("SELECT site_id, COUNT(*), CAST(AVG(score) AS DOUBLE PRECISION), \
                 CAST(SUM(CASE WHEN vetoes > 0 THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM monitor_result WHERE day >= $1 AND day <= $2 GROUP BY site_id")
            .bind(format!("{year:04}-01-01"))
            .bind(format!("{year:04}-12-31")),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(site, days, average_score, veto_days)| (site, MonitorYear { days, average_score, veto_days }))
        .collect())
}

async fn stored_points(db: &Db, id: i64) -> DbResult<HashMap<(i64, usize), f64>> {
    let rows: Vec<(i64, i64, f64)> = db
        .fetch_all(sql("SELECT site_id, item, points FROM site_evaluation_score WHERE evaluation_id = $1").bind(id))
        .await?;
    Ok(rows.into_iter().map(|(s, i, p)| ((s, i as usize), p)).collect())
}

/// Every site's row, best first: stored points (all of them once published; the evaluators'
/// while in draft, with the monitor's part computed now).
pub async fn rows(state: &AppState, e: &Evaluation) -> Result<Vec<SiteRow>, AppError> {
    let sheet = e.sheet();
    let stored = stored_points(&state.db, e.id).await?;
    let monitor = if e.published() { HashMap::new() } else { monitor_year(&state.db, e.year).await? };
    let mut rows: Vec<SiteRow> = sites_of(state, e)
        .await?
        .into_iter()
        .map(|site| {
            let m = monitor.get(&site.id).copied().unwrap_or_default();
            let points: Vec<Option<f64>> = sheet
                .iter()
                .enumerate()
                .map(|(i, ind)| match stored.get(&(site.id, i)) {
                    Some(p) => Some(*p),
                    None if !e.published() => domain::auto_points(ind, &m),
                    None => None,
                })
                .collect();
            SiteRow { total: domain::total(&points), points, rank: None, monitor_days: m.days, site }
        })
        .collect();
    let ranks = crate::assessment::domain::ranks(&rows.iter().map(|r| Some(r.total)).collect::<Vec<_>>());
    for (r, rank) in rows.iter_mut().zip(ranks) {
        r.rank = rank;
    }
    rows.sort_by_key(|r| (r.rank, r.site.id));
    Ok(rows)
}

/// An evaluator's points for one site's manual indicators (a draft only).
pub async fn score(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    site_id: i64,
    typed: &BTreeMap<usize, String>,
) -> Result<(), AppError> {
    require_office(auth)?;
    let e = get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if e.published() {
        return Err(AppError::Conflict("评估结果已公布，不能再修改得分".into()));
    }
    if !sites_of(state, &e).await?.iter().any(|s| s.id == site_id) {
        return Err(AppError::NotFound);
    }
    let points = domain::check_manual(&e.sheet(), typed).map_err(|m| AppError::invalid("points", m))?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    for (item, p) in &points {
        platform::db::Exec::execute(
            &mut tx,
            sql("INSERT INTO site_evaluation_score (evaluation_id, site_id, item, points, scored_by, scored_at) \
                 VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (evaluation_id, site_id, item) \
                 DO UPDATE SET points = excluded.points, scored_by = excluded.scored_by, scored_at = excluded.scored_at")
            .bind(id)
            .bind(site_id)
            .bind(*item as i64)
            .bind(*p)
            .bind(auth.user.display_name.as_str())
            .bind(now),
        )
        .await?;
    }
    tx.commit().await?;
    state
        .audit(
            ctx,
            "site_evaluation.score",
            &format!("site_evaluation:{id}"),
            "success",
            format!("网站评估“{}”：为站点 {site_id} 打分 {} 项", e.name, points.len()),
        )
        .await;
    Ok(())
}

/// Publishes: every manual indicator must be scored; the monitor's points are frozen with them.
pub async fn publish(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    require_office(auth)?;
    let e = get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    freeze(state, &e).await?;
    state
        .audit(
            ctx,
            "site_evaluation.publish",
            &format!("site_evaluation:{id}"),
            "success",
            format!("公布网站评估“{}”", e.name),
        )
        .await;
    Ok(())
}

/// Writes the monitor's points next to the evaluators' and marks the evaluation published, in
/// one transaction (the caller has checked who may).
async fn freeze(state: &AppState, e: &Evaluation) -> Result<(), AppError> {
    if e.published() {
        return Err(AppError::Conflict("评估结果已经公布".into()));
    }
    let rows = rows(state, e).await?;
    let sheet = e.sheet();
    let missing: Vec<String> =
        rows.iter().filter(|r| r.points.iter().any(Option::is_none)).map(|r| r.site.name.clone()).collect();
    if !missing.is_empty() {
        return Err(AppError::Conflict(format!("以下网站还有指标未评分（或没有监测记录）：{}", missing.join("、"))));
    }
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    for r in &rows {
        for (i, p) in r.points.iter().enumerate() {
            if sheet[i].source == domain::Source::Manual {
                continue;
            }
            platform::db::Exec::execute(
                &mut tx,
                sql("INSERT INTO site_evaluation_score (evaluation_id, site_id, item, points, scored_by, scored_at) \
                     VALUES ($1,$2,$3,$4,'网站监测',$5)")
                .bind(e.id)
                .bind(r.site.id)
                .bind(i as i64)
                .bind(p.unwrap_or(0.0))
                .bind(now),
            )
            .await?;
        }
    }
    let n = platform::db::Exec::execute(
        &mut tx,
        sql("UPDATE site_evaluation SET state = 'published', published_at = $1 WHERE id = $2 AND state = 'draft'")
            .bind(now)
            .bind(e.id),
    )
    .await?;
    if n != 1 {
        return Err(AppError::Conflict("评估结果刚被其他人公布".into()));
    }
    tx.commit().await?;
    Ok(())
}

/// The demo's published evaluation of this year: today's monitor result for every site, the
/// default sheet, evaluators' points between 70 % and 98 % of each manual indicator.
pub async fn load_demo(state: &AppState) -> anyhow::Result<Option<String>> {
    if state.db.count(sql("SELECT COUNT(*) FROM site_evaluation")).await? > 0 {
        return Ok(None);
    }
    let report = crate::monitor::run(state, None, platform::db::now()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::monitor::store(&state.db, &report).await?;
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let year = platform::calendar::today().year();
    let sheet = domain::parse_sheet(domain::DEFAULT_SHEET).map_err(|e| anyhow::anyhow!(e))?;
    let now = platform::db::now();
    let (id,): (i64,) = state
        .db
        .fetch_one(
            sql("INSERT INTO site_evaluation (name, year, indicators, created_by, created_at) VALUES ($1,$2,$3,'市政府办公厅',$4) RETURNING id")
                .bind(format!("{year} 年度全市政府网站绩效评估"))
                .bind(i64::from(year))
                .bind(serde_json::to_string(&sheet)?)
                .bind(now),
        )
        .await?;
    for (n, s) in sites.iter().skip(1).enumerate() {
        state
            .db
            .execute(
                sql("INSERT INTO site_evaluation_site (evaluation_id, site_id) VALUES ($1, $2)").bind(id).bind(s.id),
            )
            .await?;
        for (i, ind) in sheet.iter().enumerate().filter(|(_, x)| x.source == domain::Source::Manual) {
            // A spread that is the same on every run: 70 % to 98 % of the indicator's points.
            let share = 0.70 + f64::from(((n * 7 + i * 3) % 15) as u32) * 0.02;
            state
                .db
                .execute(
                    sql("INSERT INTO site_evaluation_score (evaluation_id, site_id, item, points, scored_by, scored_at) \
                         VALUES ($1,$2,$3,$4,'评估专家组',$5)")
                    .bind(id)
                    .bind(s.id)
                    .bind(i as i64)
                    .bind((ind.points * share * 10.0).round() / 10.0)
                    .bind(now),
                )
                .await?;
        }
    }
    let e = get(&state.db, id).await?.ok_or_else(|| anyhow::anyhow!("evaluation {id} vanished"))?;
    freeze(state, &e).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(format!("网站评估：{} 个网站的年度评估已公布", sites.len().saturating_sub(1))))
}

// --- the home page ---------------------------------------------------------------------------

pub const HOME_BLOCK: platform::module::HomeBlockKind = platform::module::HomeBlockKind {
    key: "supervision.evaluation",
    label: "网站评估（最新公布的评估排名）",
};

/// The latest published evaluation's top five.
pub async fn home_block(state: &AppState) -> Result<Option<platform::module::HomeBlock>, AppError> {
    use platform::module::{BlockFigure, BlockItem, HomeBlock};
    let Some(e) = list(&state.db, true).await?.into_iter().next() else { return Ok(None) };
    let rows = rows(state, &e).await?;
    let items = rows
        .iter()
        .take(5)
        .map(|r| BlockItem {
            url: format!("/pinggu/{}/sites/{}", e.id, r.site.id),
            text: r.site.name.clone(),
            note: format!("{} 分", r.total),
        })
        .collect();
    Ok(Some(HomeBlock {
        title: e.name.clone(),
        url: format!("/pinggu/{}", e.id),
        items,
        figures: vec![BlockFigure { label: "参评网站".into(), value: format!("{} 个", rows.len()) }],
    }))
}
