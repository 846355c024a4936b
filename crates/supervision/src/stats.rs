//! 访问统计 in the back office and the API: the group's page views and visitors for a year, month or
//! day, and one site's chart, channels, articles, pages, entry pages, referrer domains, site-search
//! terms and devices, as a page and a workbook. The kernel counts (`platform::analytics`); this
//! module shows what was counted, to users who supervise the site.

use axum::extract::State;
use axum::response::{Html, Response};
use minijinja::context;
use platform::analytics::{self, Period, Report};
use platform::roles::{Perm, ResourceScope};
use platform::web::extract::{Path, Query};
use platform::web::portal::GroupSite;
use platform::web::{AppError, AppState, Auth, Ctx, Staff, sv};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which period to show.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PeriodQuery {
    /// 统计期：年（2026）、月（2026-12）或日（2026-12-06）；默认本月
    #[schemars(regex(pattern = concat!(r"^$|^20\d\d(-(0[1-9]|1[0-2]))?$|^", platform::calendar_day_pattern!(), "$")))]
    pub period: String,
}

impl PeriodQuery {
    pub fn period(&self) -> Result<Period, AppError> {
        if self.period.trim().is_empty() {
            let today = platform::calendar::today();
            return Ok(Period::Month(today.year(), u8::from(today.month())));
        }
        Period::parse(&self.period).ok_or_else(|| {
            AppError::BadRequest(format!("统计期“{}”无法识别，请写成 2026、2026-12 或 2026-12-06", self.period))
        })
    }
}

/// Each visible site with its totals for a period.
#[derive(Debug, Serialize)]
pub struct SiteTotals {
    pub site: GroupSite,
    pub totals: analytics::Totals,
}

/// The group's totals for `period`, over the sites `auth` supervises.
pub async fn group(state: &AppState, auth: &Auth, period: &Period) -> Result<Vec<SiteTotals>, AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let sites = crate::ops::visible(auth, platform::web::portal::group_sites(&state.db).await?);
    let mut totals = analytics::group_totals(&state.db, period).await?;
    Ok(sites.into_iter().map(|s| SiteTotals { totals: totals.remove(&s.id).unwrap_or_default(), site: s }).collect())
}

/// One site's statistics, if `auth` supervises it.
pub async fn site(state: &AppState, auth: &Auth, id: i64, period: &Period) -> Result<(GroupSite, Report), AppError> {
    auth.require(Perm::Supervise, &ResourceScope::site(id))?;
    let site = platform::web::portal::group_sites(&state.db)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let report = analytics::report(&state.db, id, period, 20).await?;
    Ok((site, report))
}

/// Quick links to neighbouring periods (今天, 本月, 上月, 今年, 去年).
fn shortcuts() -> Vec<(String, &'static str)> {
    let today = platform::calendar::today();
    let (y, m) = (today.year(), u8::from(today.month()));
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    vec![
        (Period::Day(today).key(), "今天"),
        (Period::Month(y, m).key(), "本月"),
        (Period::Month(py, pm).key(), "上月"),
        (Period::Year(y).key(), "今年"),
        (Period::Year(y - 1).key(), "去年"),
    ]
}

pub async fn group_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let period = q.period()?;
    let rows = group(&state, &staff, &period).await?;
    let views: i64 = rows.iter().map(|r| r.totals.views).sum();
    let visitors: i64 = rows.iter().map(|r| r.totals.visitors).sum();
    state.render(
        &ctx,
        "admin/jd_stats_group.html",
        context! { rows => sv(&rows), period => period.key(), period_label => period.label(), views, visitors,
        shortcuts => shortcuts() },
    )
}

pub async fn site_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let period = q.period()?;
    let (site, r) = site(&state, &staff, id, &period).await?;
    let chart = (!r.slots.is_empty()).then(|| {
        let labels: Vec<String> = r.slots.iter().map(|s| s.period.clone()).collect();
        let values: Vec<Option<f64>> = r.slots.iter().map(|s| Some(s.views as f64)).collect();
        platform::charts::line(
            &format!("{} 每{}浏览量", period.label(), slot_name(&period)),
            &labels,
            &values,
            "次",
            None,
        )
    });
    let devices: Vec<_> =
        r.devices.iter().map(|d| context! { label => analytics::device_label(&d.value), n => d.n }).collect();
    state.render(
        &ctx,
        "admin/jd_stats_site.html",
        context! { site => sv(&site), r => sv(&r), devices, chart, slot_name => slot_name(&period),
        period => period.key(), period_label => period.label(), shortcuts => shortcuts() },
    )
}

fn slot_name(p: &Period) -> &'static str {
    match p {
        Period::Year(_) => "月",
        _ => "日",
    }
}

pub async fn site_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let period = q.period()?;
    let (site, r) = site(&state, &staff, id, &period).await?;
    let bytes = workbook(&site, &period, &r).map_err(|e| AppError::Internal(format!("访问统计表生成失败：{e}")))?;
    let name = format!("{}-{}访问统计.xlsx", site.name, period.label());
    Ok(platform::web::download(&format!("visits-{}.xlsx", period.key()), Some(&name), platform::web::XLSX, bytes))
}

/// The statistics as a workbook: totals and the series, then one sheet per list.
pub fn workbook(site: &GroupSite, period: &Period, r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("概况")?;
    let facts = [
        ("网站名称", site.name.clone()),
        ("统计期", period.label()),
        ("浏览量（次）", r.totals.views.to_string()),
        ("独立访客（按日计，人次）", r.totals.visitors.to_string()),
        ("入口访问（次）", r.totals.entries.to_string()),
    ];
    for (i, (k, v)) in facts.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, *k, &bold)?;
        ws.write_string(i as u32, 1, v)?;
    }
    let start = facts.len() as u32 + 1;
    for (c, h) in ["时间", "浏览量", "独立访客"].iter().enumerate() {
        ws.write_string_with_format(start, c as u16, *h, &bold)?;
    }
    for (i, s) in r.slots.iter().enumerate() {
        let row = start + 1 + i as u32;
        ws.write_string(row, 0, &s.period)?;
        ws.write_number(row, 1, s.views as f64)?;
        ws.write_number(row, 2, s.visitors as f64)?;
    }
    ws.set_column_width(0, 26)?;
    let mut sheet = |name: &str, head: &[&str], rows: Vec<Vec<String>>| -> Result<(), XlsxError> {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in head.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v.parse::<f64>() {
                    Ok(n) if c > 0 => ws.write_number(i as u32 + 1, c as u16, n)?,
                    _ => ws.write_string(i as u32 + 1, c as u16, v)?,
                };
            }
        }
        ws.set_column_width(0, 50)?;
        Ok(())
    };
    let page_rows = |v: &[analytics::PageRow]| {
        v.iter()
            .map(|p| {
                let name = if p.title.is_empty() { p.path.clone() } else { format!("{}（{}）", p.title, p.path) };
                vec![name, p.views.to_string(), p.visitors.to_string(), p.entries.to_string()]
            })
            .collect::<Vec<_>>()
    };
    sheet(
        "栏目",
        &["栏目", "浏览量", "独立访客"],
        r.channels.iter().map(|c| vec![c.name.clone(), c.views.to_string(), c.visitors.to_string()]).collect(),
    )?;
    sheet("热门文章", &["文章", "浏览量", "独立访客", "入口访问"], page_rows(&r.articles))?;
    sheet("热门页面", &["页面", "浏览量", "独立访客", "入口访问"], page_rows(&r.pages))?;
    sheet("入口页面", &["页面", "浏览量", "独立访客", "入口访问"], page_rows(&r.entries))?;
    let dim = |v: &[analytics::DimRow], label: fn(&str) -> String| {
        v.iter().map(|d| vec![label(&d.value), d.n.to_string()]).collect::<Vec<_>>()
    };
    sheet("来源网站", &["来源网站", "次数"], dim(&r.referrers, str::to_owned))?;
    sheet("站内搜索词", &["搜索词", "次数"], dim(&r.terms, str::to_owned))?;
    sheet("设备", &["设备", "浏览量"], dim(&r.devices, |d| analytics::device_label(d).to_owned()))?;
    wb.save_to_buffer()
}
