//! Publishing statistics per department, channel and month, with the annual quota plan per
//! department (年度信息发布指标) and its progress; shown as tables and SVG charts (no script) and
//! exported to xlsx.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{Html, Response};
use minijinja::{Value, context};
use platform::accounts;
use platform::db::{Db, DbResult, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::extract::{Form, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other};
use serde::Deserialize;

use crate::store;

/// Counts for one year: (org id or 0, channel id) → twelve monthly counts.
pub struct YearStats {
    pub year: i32,
    pub cells: BTreeMap<(i64, i64), [i64; 12]>,
    pub quotas: BTreeMap<i64, i64>,
}

fn month_start(year: i32, month: u8) -> i64 {
    let m = time::Month::try_from(month).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, m, 1)
        .map(|d| {
            d.midnight()
                .assume_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
                .unix_timestamp()
        })
        .unwrap_or(0)
}

pub async fn year_stats(db: &Db, year: i32) -> DbResult<YearStats> {
    #[derive(sqlx::FromRow)]
    struct Row {
        org_id: Option<i64>,
        channel_id: i64,
        n: i64,
    }
    let mut cells: BTreeMap<(i64, i64), [i64; 12]> = BTreeMap::new();
    for m in 1..=12u8 {
        let from = month_start(year, m);
        let to = if m == 12 { month_start(year + 1, 1) } else { month_start(year, m + 1) };
        let rows: Vec<Row> = db
            .fetch_all(sql("SELECT org_id, channel_id, COUNT(*) AS n FROM article WHERE published_at >= $1 AND published_at < $2 GROUP BY org_id, channel_id").bind(from).bind(to))
            .await?;
        for r in rows {
            cells.entry((r.org_id.unwrap_or(0), r.channel_id)).or_insert([0; 12])[m as usize - 1] += r.n;
        }
    }
    #[derive(sqlx::FromRow)]
    struct Quota {
        org_id: i64,
        target: i64,
    }
    let quotas: Vec<Quota> =
        db.fetch_all(sql("SELECT org_id, target FROM publish_quota WHERE year = $1").bind(i64::from(year))).await?;
    Ok(YearStats { year, cells, quotas: quotas.into_iter().map(|q| (q.org_id, q.target)).collect() })
}

impl YearStats {
    /// Per department: (org id, published, target).
    pub fn by_department(&self) -> Vec<(i64, i64, Option<i64>)> {
        let mut per: BTreeMap<i64, i64> = BTreeMap::new();
        for ((org, _), months) in &self.cells {
            *per.entry(*org).or_insert(0) += months.iter().sum::<i64>();
        }
        for org in self.quotas.keys() {
            per.entry(*org).or_insert(0);
        }
        per.into_iter().map(|(o, n)| (o, n, self.quotas.get(&o).copied())).collect()
    }

    pub fn by_month(&self) -> [i64; 12] {
        let mut out = [0; 12];
        for months in self.cells.values() {
            for (i, n) in months.iter().enumerate() {
                out[i] += n;
            }
        }
        out
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
}

fn year_of(q: &YearQuery) -> i32 {
    q.year.as_deref().and_then(|y| y.parse().ok()).filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| {
        time::OffsetDateTime::now_utc()
            .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
            .year()
    })
}

fn rate(published: i64, target: Option<i64>) -> (String, i64) {
    match target {
        Some(t) if t > 0 => {
            let r = published as f64 / t as f64;
            (format!("{:.1}%", r * 100.0), (r.min(1.0) * 160.0) as i64)
        }
        _ => ("—".into(), 0),
    }
}

async fn names(state: &AppState) -> Result<(BTreeMap<i64, String>, BTreeMap<i64, String>), AppError> {
    let orgs: BTreeMap<i64, String> =
        accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let chans: BTreeMap<i64, String> =
        store::all_channels(&state.db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok((orgs, chans))
}

pub async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let year = year_of(&q);
    let s = year_stats(&state.db, year).await?;
    let (orgs, chans) = names(&state).await?;
    let dept_name = |o: i64| {
        if o == 0 { "（未指定部门）".to_owned() } else { orgs.get(&o).cloned().unwrap_or_default() }
    };
    let depts: Vec<Value> = s
        .by_department()
        .into_iter()
        .map(|(o, n, t)| {
            let (r, bar) = rate(n, t);
            context! { name => dept_name(o), published => n, target => t, rate => r, bar => bar }
        })
        .collect();
    let months = s.by_month();
    let max = months.iter().copied().max().unwrap_or(0).max(1);
    let months_v: Vec<Value> = months
        .iter()
        .enumerate()
        .map(|(i, n)| context! { label => format!("{}月", i + 1), count => n, h => n * 140 / max })
        .collect();
    let detail: Vec<Value> = s
        .cells
        .iter()
        .map(|((o, c), m)| context! { dept => dept_name(*o), channel => chans.get(c).cloned().unwrap_or_default(), months => m.to_vec(), total => m.iter().sum::<i64>() })
        .collect();
    let mut org_options = vec![(String::new(), "请选择".to_owned())];
    org_options.extend(accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.code, o.name)));
    state.render(&ctx, "admin/cms/stats.html", context! {
        year => year, depts => depts, months => months_v, detail => detail, org_options => org_options,
        can_quota => staff.can(Perm::SiteManage, &ResourceScope::platform()), errors => BTreeMap::<String, String>::new(),
    })
}

pub async fn stats_export(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let year = year_of(&q);
    let s = year_stats(&state.db, year).await?;
    let (orgs, chans) = names(&state).await?;
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let ws = wb.add_worksheet();
        ws.set_name("指标完成情况")?;
        for (c, h) in ["部门", "已发布", "年度指标", "完成率"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, (o, n, t)) in s.by_department().into_iter().enumerate() {
            let r = (i + 1) as u32;
            ws.write_string(
                r,
                0,
                if o == 0 { "（未指定部门）".to_owned() } else { orgs.get(&o).cloned().unwrap_or_default() },
            )?;
            ws.write_number(r, 1, n as f64)?;
            if let Some(t) = t {
                ws.write_number(r, 2, t as f64)?;
            }
            ws.write_string(r, 3, rate(n, t).0)?;
        }
        ws.set_column_width(0, 24)?;
        let ws = wb.add_worksheet();
        ws.set_name("按月明细")?;
        ws.write_string_with_format(0, 0, "部门", &bold)?;
        ws.write_string_with_format(0, 1, "栏目", &bold)?;
        for m in 0..12u16 {
            ws.write_string_with_format(0, 2 + m, format!("{}月", m + 1), &bold)?;
        }
        ws.write_string_with_format(0, 14, "合计", &bold)?;
        for (i, ((o, c), months)) in s.cells.iter().enumerate() {
            let r = (i + 1) as u32;
            ws.write_string(
                r,
                0,
                if *o == 0 { "（未指定部门）".to_owned() } else { orgs.get(o).cloned().unwrap_or_default() },
            )?;
            ws.write_string(r, 1, chans.get(c).cloned().unwrap_or_default())?;
            for (m, n) in months.iter().enumerate() {
                ws.write_number(r, 2 + m as u16, *n as f64)?;
            }
            ws.write_number(r, 14, months.iter().sum::<i64>() as f64)?;
        }
        ws.set_column_width(0, 24)?;
        ws.set_column_width(1, 20)?;
        wb.save_to_buffer()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    state.audit(&ctx, "stats.export", "publishing", "success", format!("导出 {year} 年发布统计")).await;
    Ok(platform::web::download(&format!("publishing-{year}.xlsx"), None, platform::web::XLSX, bytes))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuotaForm {
    year: String,
    org_code: String,
    target: String,
}

/// A department's yearly publishing target as the API writes it. Missing fields default so that the
/// permission is checked before the body.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["year", "org_code", "target"]))]
pub struct QuotaBody {
    /// 年份（2000–2100）
    #[schemars(range(min = 2000, max = 2100))]
    pub year: i64,
    /// 部门的机构编码
    #[schemars(regex(pattern = r"\S"))]
    pub org_code: String,
    /// 年度信息发布指标（条，0–1000000）
    #[schemars(range(min = 0, max = 1_000_000))]
    pub target: i64,
}

/// Sets a department's target for a year, audited.
async fn set_quota(state: &AppState, ctx: &Ctx, staff: &Staff, q: &QuotaBody) -> Result<(), AppError> {
    staff.require(Perm::SiteManage, &ResourceScope::platform())?;
    if !(2000..=2100).contains(&q.year) {
        return Err(AppError::invalid("year", "年份不正确"));
    }
    if !(0..=1_000_000).contains(&q.target) {
        return Err(AppError::invalid("target", "年度指标应为 0 到 1000000 的整数"));
    }
    let org = accounts::org_by_code(&state.db, q.org_code.trim())
        .await?
        .ok_or_else(|| AppError::invalid("org_code", "请选择部门"))?;
    store::set_quota(&state.db, org.id, q.year, q.target).await?;
    state
        .audit(
            ctx,
            "quota.set",
            &format!("org:{}", org.code),
            "success",
            format!("{} 年信息发布指标 {} 条", q.year, q.target),
        )
        .await;
    Ok(())
}

pub async fn quota_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<QuotaForm>,
) -> Result<Response, AppError> {
    let number = |v: &str, field: &str, msg: &str| v.trim().parse::<i64>().map_err(|_| AppError::invalid(field, msg));
    let q = QuotaBody {
        year: number(&f.year, "year", "年份不正确")?,
        org_code: f.org_code.clone(),
        target: number(&f.target, "target", "年度指标应为 0 到 1000000 的整数")?,
    };
    set_quota(&state, &ctx, &staff, &q).await?;
    Ok(see_other(&format!("/admin/cms/stats?year={}", q.year)))
}

/// `PUT /api/v1/publishing-quotas`
pub async fn api_set_quota(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    platform::web::extract::Json(q): platform::web::extract::Json<QuotaBody>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    set_quota(&state, &ctx, &staff, &q).await?;
    Ok(axum::Json(serde_json::json!({"year": q.year, "org_code": q.org_code.trim(), "target": q.target})))
}

/// The website annual report's publishing figures for a period, one site or all: items published
/// (信息发布总数) and by their column's update class (政务动态 = 动态要闻类; 概况类 = columns without an
/// update deadline or updated yearly), special topics kept and opened (专栏专题).
pub async fn annual_figures(db: &Db, q: platform::module::FigureQuery) -> DbResult<Vec<platform::module::Figure>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        total: i64,
        news: i64,
        overview: i64,
    }
    let mut pubs = sql("SELECT COUNT(*) AS total, \
         CAST(COALESCE(SUM(CASE WHEN c.update_class = 'news' THEN 1 ELSE 0 END), 0) AS BIGINT) AS news, \
         CAST(COALESCE(SUM(CASE WHEN c.update_class IN ('plan', 'none') THEN 1 ELSE 0 END), 0) AS BIGINT) AS overview \
         FROM placement p JOIN channel c ON c.id = p.channel_id WHERE p.live AND p.pub_at >= $1 AND p.pub_at < $2")
    .bind(q.from)
    .bind(q.to);
    let mut topics = sql("SELECT COUNT(*) AS total, \
         CAST(COALESCE(SUM(CASE WHEN created_at >= $1 AND created_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS news, \
         CAST(0 AS BIGINT) AS overview FROM channel WHERE kind = 'topic' AND NOT archived")
    .bind(q.from)
    .bind(q.to);
    if let Some(s) = q.site_id {
        pubs = pubs.push(" AND p.site_id = ").push_bind(s);
        topics = topics.push(" AND site_id = ").push_bind(s);
    }
    if let (Some(org), None) = (q.org_id, q.site_id) {
        return department_figures(db, org, q.from, q.to).await;
    }
    let p: Row = db.fetch_one(pubs).await?;
    let t: Row = db.fetch_one(topics).await?;
    let f = |key, label, value: i64, unit| platform::module::Figure { key, label, value: value as f64, unit };
    Ok(vec![
        f("cms.published", "信息发布总数", p.total, "条"),
        f("cms.published_overview", "概况类信息更新量", p.overview, "条"),
        f("cms.published_news", "政务动态信息更新量", p.news, "条"),
        f("cms.topics", "专栏专题维护数量", t.total, "个"),
        f("cms.topics_new", "新开设专栏专题数量", t.news, "个"),
    ])
}

/// A department's publishing in a period (its own and its sub-units' articles) and how much of its
/// annual quota that is, the quota taken pro rata for a period shorter than the year (部门考核).
async fn department_figures(db: &Db, org: i64, from: i64, to: i64) -> DbResult<Vec<platform::module::Figure>> {
    let orgs = accounts::list_orgs(db).await?;
    let units: Vec<i64> =
        orgs.iter().filter(|o| accounts::org_chain(&orgs, o.id).contains(&org)).map(|o| o.id).collect();
    let published = db
        .count(
            sql("SELECT COUNT(*) FROM article WHERE published_at >= $1 AND published_at < $2")
                .bind(from)
                .bind(to)
                .and_within("org_id", Some(&units)),
        )
        .await?;
    let mut out = vec![platform::module::Figure {
        key: "cms.org_published",
        label: "本单位发布信息数",
        value: published as f64,
        unit: "条",
    }];
    let year = time::OffsetDateTime::from_unix_timestamp(from)
        .map(|t| t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC)).year())
        .unwrap_or(1970);
    let target: Option<(i64,)> = db
        .fetch_optional(
            sql("SELECT target FROM publish_quota WHERE year = $1 AND org_id = $2").bind(i64::from(year)).bind(org),
        )
        .await?;
    let year_len = (month_start(year + 1, 1) - month_start(year, 1)).max(1) as f64;
    if let Some((target,)) = target.filter(|t| t.0 > 0) {
        let due = target as f64 * ((to - from) as f64 / year_len).min(1.0);
        out.push(platform::module::Figure {
            key: "cms.quota_rate",
            label: "信息发布指标完成率",
            value: (published as f64 / due * 1000.0).round() / 10.0,
            unit: "%",
        });
    }
    Ok(out)
}
