//! 政府网站工作年度报表 (the website's annual work report, 国办函〔2018〕12号 format): every field
//! generated from stored data — the site's facts, the access statistics, and the figures each
//! module provides for the year (publishing, special topics, interpretations, services, letters,
//! consultations, interviews) — plus what only the site's office knows (安全防护, 移动新媒体,
//! 创新发展, signatures), entered here and kept per site and year. Shown as a printable page and a
//! workbook.

use std::collections::BTreeMap;

use platform::analytics::{self, Period};
use platform::db::{now, sql};
use platform::module::{Figure, FigureQuery};
use platform::roles::{Perm, ResourceScope};
use platform::web::portal::GroupSite;
use platform::web::{AppError, AppState, Auth, Ctx, FieldError};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the office enters by hand. Counts are kept as typed (digits) so a form with an error
/// keeps everything.
#[derive(Debug, Default, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ManualInput {
    /// 回应公众关注热点或重大舆情数量（次）
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub hot_responses: String,
    /// 注册用户数（个）
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub registered_users: String,
    /// 是否使用统一平台（是/否）
    #[schemars(extend("enum" = ["", "是", "否"]))]
    pub unified_platform: String,
    /// 是否提供智能问答功能（是/否）
    #[schemars(extend("enum" = ["", "是", "否"]))]
    pub smart_qa: String,
    /// 安全检测评估次数
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub security_checks: String,
    /// 发现问题数量
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub security_found: String,
    /// 问题整改数量
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub security_fixed: String,
    /// 是否建立安全监测预警机制（是/否）
    #[schemars(extend("enum" = ["", "是", "否"]))]
    pub security_warning: String,
    /// 是否开展应急演练（是/否）
    #[schemars(extend("enum" = ["", "是", "否"]))]
    pub security_drill: String,
    /// 是否明确网站安全责任人（是/否）
    #[schemars(extend("enum" = ["", "是", "否"]))]
    pub security_owner: String,
    /// 微博名称
    #[schemars(length(max = 100))]
    pub weibo_name: String,
    /// 微博信息发布量
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub weibo_posts: String,
    /// 微博关注量
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub weibo_followers: String,
    /// 微信名称
    #[schemars(length(max = 100))]
    pub wechat_name: String,
    /// 微信信息发布量
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub wechat_posts: String,
    /// 微信订阅数
    #[schemars(length(max = 12), regex(pattern = r"^\s*[0-9]*\s*$"))]
    pub wechat_subscribers: String,
    /// 其他移动新媒体
    #[schemars(length(max = 200))]
    pub other_media: String,
    /// 创新发展（搜索即服务、多语言版本、无障碍浏览、千人千网、其他）
    #[schemars(length(max = 500))]
    pub innovations: String,
    /// 单位负责人
    #[schemars(length(max = 50))]
    pub head: String,
    /// 审核人
    #[schemars(length(max = 50))]
    pub reviewer: String,
    /// 填报人
    #[schemars(length(max = 50))]
    pub filler: String,
    /// 联系电话
    #[schemars(length(max = 30), regex(pattern = r"^\s*[0-9 ()（）-]*\s*$"))]
    pub phone: String,
    /// 填报日期（YYYY-MM-DD）
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub filled_on: String,
}

const COUNTS: [(&str, &str); 9] = [
    ("hot_responses", "回应公众关注热点或重大舆情数量"),
    ("registered_users", "注册用户数"),
    ("security_checks", "安全检测评估次数"),
    ("security_found", "发现问题数量"),
    ("security_fixed", "问题整改数量"),
    ("weibo_posts", "微博信息发布量"),
    ("weibo_followers", "微博关注量"),
    ("wechat_posts", "微信信息发布量"),
    ("wechat_subscribers", "微信订阅数"),
];

impl ManualInput {
    fn field(&self, name: &str) -> &str {
        match name {
            "hot_responses" => &self.hot_responses,
            "registered_users" => &self.registered_users,
            "security_checks" => &self.security_checks,
            "security_found" => &self.security_found,
            "security_fixed" => &self.security_fixed,
            "weibo_posts" => &self.weibo_posts,
            "weibo_followers" => &self.weibo_followers,
            "wechat_posts" => &self.wechat_posts,
            "wechat_subscribers" => &self.wechat_subscribers,
            _ => "",
        }
    }

    /// Every problem with what was typed, by field, in Chinese. Pure.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        for (name, label) in COUNTS.iter() {
            let v = self.field(name).trim();
            if !v.is_empty() && (v.len() > 12 || !v.chars().all(|c| c.is_ascii_digit())) {
                errs.push(FieldError::new(name, format!("“{label}”应填写不小于 0 的整数")));
            }
        }
        for (name, v) in [
            ("unified_platform", &self.unified_platform),
            ("smart_qa", &self.smart_qa),
            ("security_warning", &self.security_warning),
            ("security_drill", &self.security_drill),
            ("security_owner", &self.security_owner),
        ] {
            if !["", "是", "否"].contains(&v.as_str()) {
                errs.push(FieldError::new(name, "请选择“是”或“否”"));
            }
        }
        for (name, v, max, label) in [
            ("weibo_name", &self.weibo_name, 100, "微博名称"),
            ("wechat_name", &self.wechat_name, 100, "微信名称"),
            ("other_media", &self.other_media, 200, "其他移动新媒体"),
            ("innovations", &self.innovations, 500, "创新发展"),
            ("head", &self.head, 50, "单位负责人"),
            ("reviewer", &self.reviewer, 50, "审核人"),
            ("filler", &self.filler, 50, "填报人"),
            ("phone", &self.phone, 30, "联系电话"),
        ] {
            if v.chars().count() > max {
                errs.push(FieldError::new(name, format!("“{label}”不能超过 {max} 个字")));
            }
        }
        if !self.phone.trim().is_empty()
            && !self
                .phone
                .trim()
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')' | '（' | '）'))
        {
            errs.push(FieldError::new("phone", "联系电话只能包含数字、空格、括号和“-”"));
        }
        if !self.filled_on.trim().is_empty() && platform::calendar::date(self.filled_on.trim()).is_none() {
            errs.push(FieldError::new("filled_on", "填报日期应写成 2027-01-20 这样的日期"));
        }
        errs
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub label: String,
    pub value: String,
    /// Generated from stored data (`true`) or entered by hand.
    pub generated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: &'static str,
    pub lines: Vec<Line>,
}

/// The report's sections from the site, its year's visits, the modules' figures and what was
/// entered. Pure.
pub fn sections(
    site: &GroupSite,
    address: &str,
    visits: &analytics::Totals,
    figures: &[Figure],
    m: &ManualInput,
) -> Vec<Section> {
    let fig = |key: &str| {
        figures.iter().find(|f| f.key == key).map_or_else(
            || "0".to_owned(),
            |f| if f.value.fract() == 0.0 { format!("{}", f.value as i64) } else { format!("{:.1}", f.value) },
        )
    };
    let auto = |label: &str, value: String| Line { label: label.to_owned(), value, generated: true };
    let hand =
        |label: &str, value: &str| Line { label: label.to_owned(), value: value.trim().to_owned(), generated: false };
    let kind = if site.kind == "portal" { "政府门户网站" } else { "部门网站" };
    vec![
        Section {
            title: "基本信息",
            lines: vec![
                auto("网站名称", site.name.clone()),
                auto("首页网址", address.to_owned()),
                auto("主办单位", site.sponsor.clone()),
                auto("网站类型", kind.to_owned()),
                auto("政府网站标识码", site.site_id_code.clone()),
                auto("ICP备案号", site.icp.clone()),
                auto("公安机关备案号", site.psb.clone()),
                auto("独立用户访问总量（个）", visits.visitors.to_string()),
                auto("网站总访问量（次）", visits.views.to_string()),
            ],
        },
        Section {
            title: "信息发布",
            lines: vec![
                auto("总数（条）", fig("cms.published")),
                auto("概况类信息更新量（条）", fig("cms.published_overview")),
                auto("政务动态信息更新量（条）", fig("cms.published_news")),
                auto("信息公开目录信息更新量（条）", fig("disclosure.catalogue_published")),
            ],
        },
        Section {
            title: "专栏专题",
            lines: vec![auto("维护数量（个）", fig("cms.topics")), auto("新开设数量（个）", fig("cms.topics_new"))],
        },
        Section {
            title: "解读回应",
            lines: vec![
                auto("解读信息发布总数（条）", fig("disclosure.interpretations")),
                hand("回应公众关注热点或重大舆情数量（次）", &m.hot_responses),
            ],
        },
        Section {
            title: "办事服务",
            lines: vec![
                auto("是否发布服务事项目录", if fig("services.items") == "0" { "否" } else { "是" }.to_owned()),
                hand("注册用户数（个）", &m.registered_users),
                auto("政务服务事项数量（项）", fig("services.items")),
                auto("可全程在线办理政务服务事项数量（项）", fig("services.items_online")),
                auto("办件量总数（件）", fig("services.received")),
                auto("自然人办件量（件）", fig("services.applications_person")),
                auto("法人办件量（件）", fig("services.applications_org")),
            ],
        },
        Section {
            title: "互动交流",
            lines: vec![
                hand("是否使用统一平台", &m.unified_platform),
                auto("收到留言数量（条）", fig("letters.received")),
                auto("办结留言数量（条）", fig("letters.completed")),
                auto("平均办理时间（工作日）", fig("letters.avg_workdays")),
                auto("公开答复数量（条）", fig("letters.published")),
                auto("征集调查期数（期）", fig("participation.calls")),
                auto("收到意见数量（条）", fig("participation.opinions")),
                auto("公布调查结果期数（期）", fig("participation.results_published")),
                auto("在线访谈期数（期）", fig("participation.interviews")),
                auto("网民留言数量（条）", fig("participation.questions")),
                auto("答复网民提问数量（条）", fig("participation.answered")),
                hand("是否提供智能问答功能", &m.smart_qa),
            ],
        },
        Section {
            title: "安全防护",
            lines: vec![
                hand("安全检测评估次数（次）", &m.security_checks),
                hand("发现问题数量（个）", &m.security_found),
                hand("问题整改数量（个）", &m.security_fixed),
                hand("是否建立安全监测预警机制", &m.security_warning),
                hand("是否开展应急演练", &m.security_drill),
                hand("是否明确网站安全责任人", &m.security_owner),
            ],
        },
        Section {
            title: "移动新媒体",
            lines: vec![
                hand("微博名称", &m.weibo_name),
                hand("微博信息发布量（条）", &m.weibo_posts),
                hand("微博关注量（个）", &m.weibo_followers),
                hand("微信名称", &m.wechat_name),
                hand("微信信息发布量（条）", &m.wechat_posts),
                hand("微信订阅数（个）", &m.wechat_subscribers),
                hand("其他", &m.other_media),
            ],
        },
        Section { title: "创新发展", lines: vec![hand("创新发展情况", &m.innovations)] },
        Section {
            title: "签署",
            lines: vec![
                hand("单位负责人", &m.head),
                hand("审核人", &m.reviewer),
                hand("填报人", &m.filler),
                hand("联系电话", &m.phone),
                hand("填报日期", &m.filled_on),
            ],
        },
    ]
}

/// A site's report for a year, with what was entered.
pub struct Report {
    pub site: GroupSite,
    pub year: i32,
    pub manual: ManualInput,
    pub sections: Vec<Section>,
}

fn valid_year(year: i32) -> Result<i32, AppError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(AppError::invalid("year", "年份应在 2000 到 2100 之间"))
    }
}

async fn site_for(state: &AppState, auth: &Auth, site_id: i64) -> Result<GroupSite, AppError> {
    auth.require(Perm::Supervise, &ResourceScope::site(site_id))?;
    platform::web::portal::group_sites(&state.db).await?.into_iter().find(|s| s.id == site_id).ok_or(AppError::NotFound)
}

pub async fn stored_manual(state: &AppState, site_id: i64, year: i32) -> Result<ManualInput, AppError> {
    let row: Option<platform::db::Scalar<String>> = state
        .db
        .fetch_optional(
            sql("SELECT manual FROM annual_report WHERE site_id = $1 AND year = $2").bind(site_id).bind(year),
        )
        .await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.0).ok()).unwrap_or_default())
}

/// The report of `site_id` for `year`; `typed` replaces what is stored (a form being corrected).
pub async fn report(
    state: &AppState,
    auth: &Auth,
    site_id: i64,
    year: i32,
    typed: Option<&ManualInput>,
) -> Result<Report, AppError> {
    let site = site_for(state, auth, site_id).await?;
    let year = valid_year(year)?;
    let manual = match typed {
        Some(m) => m.clone(),
        None => stored_manual(state, site_id, year).await?,
    };
    let day = |y: i32| platform::parse_date(&format!("{y:04}-01-01")).unwrap_or(0);
    // The portal reports the whole platform's services and participation; a department's site
    // its own unit's.
    let org_id = if site.kind == "portal" { None } else { site.owner_org_id };
    let q = FigureQuery { from: day(year), to: day(year + 1), org_id, site_id: Some(site.id) };
    let figures = state.modules.figures(state, q).await;
    let visits = analytics::group_totals(&state.db, &Period::Year(year)).await?.remove(&site.id).unwrap_or_default();
    let address = crate::probe::address(&site, "", &crate::monitor::group_base(state));
    let sections = sections(&site, &address, &visits, &figures, &manual);
    Ok(Report { site, year, manual, sections })
}

/// Saves what the office entered for a year (audited).
pub async fn save(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    site_id: i64,
    year: i32,
    input: &ManualInput,
) -> Result<(), AppError> {
    let site = site_for(state, auth, site_id).await?;
    let year = valid_year(year)?;
    let errs = input.check();
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut clean = input.clone();
    for v in [&mut clean.hot_responses, &mut clean.registered_users, &mut clean.phone, &mut clean.filled_on] {
        *v = v.trim().to_owned();
    }
    let json = serde_json::to_string(&clean).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .db
        .execute(
            sql("INSERT INTO annual_report (site_id, year, manual, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5) \
                 ON CONFLICT (site_id, year) DO UPDATE SET manual = excluded.manual, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at")
            .bind(site_id)
            .bind(year)
            .bind(json)
            .bind(ctx.username())
            .bind(now()),
        )
        .await?;
    state
        .audit(
            ctx,
            "annual_report.save",
            &format!("site:{site_id}/{year}"),
            "success",
            format!("{}{year}年度报表填报内容", site.name),
        )
        .await;
    Ok(())
}

/// Makes the report public on the site (audited): what is stored now, generated figures
/// included, is what citizens read until it is published again. The first publication's time is
/// kept — the 31 January duty is judged on it.
pub async fn publish(state: &AppState, ctx: &Ctx, auth: &Auth, site_id: i64, year: i32) -> Result<i64, AppError> {
    let r = report(state, auth, site_id, year, None).await?;
    let snapshot =
        serde_json::json!({ "site": r.site.name, "code": r.site.code, "year": r.year, "sections": r.sections });
    let at = now();
    state
        .db
        .execute(
            sql("INSERT INTO annual_report (site_id, year, manual, updated_by, updated_at, published_at, published) \
                 VALUES ($1,$2,$3,$4,$5,$5,$6) ON CONFLICT (site_id, year) DO UPDATE SET \
                 published_at = COALESCE(annual_report.published_at, excluded.published_at), published = excluded.published")
            .bind(site_id)
            .bind(r.year)
            .bind(serde_json::to_string(&r.manual).map_err(|e| AppError::Internal(e.to_string()))?)
            .bind(ctx.username())
            .bind(at)
            .bind(snapshot.to_string()),
        )
        .await?;
    state
        .audit(
            ctx,
            "annual_report.publish",
            &format!("site:{site_id}/{}", r.year),
            "success",
            format!("公开{}{}年度报表", r.site.name, r.year),
        )
        .await;
    Ok(at)
}

/// A published report as citizens read it: (site name, year, first published, sections).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Published {
    pub site_id: i64,
    pub year: i64,
    pub published_at: i64,
    pub published: String,
}

pub async fn published(db: &platform::db::Db) -> platform::db::DbResult<Vec<Published>> {
    db.fetch_all(sql(
        "SELECT site_id, year, published_at, published FROM annual_report WHERE published_at IS NOT NULL ORDER BY year DESC, site_id",
    ))
    .await
}

/// The 31 January duty for last year's report, for every site that existed last year: a
/// pre-warning in January while it is not public, a deduction from February on.
pub async fn findings(
    state: &AppState,
    sites: &[GroupSite],
    now: i64,
) -> Result<Vec<platform::module::Finding>, AppError> {
    let today = platform::fmt_date(now);
    let (Ok(year), Ok(month)) = (today[..4].parse::<i32>(), today[5..7].parse::<u32>()) else { return Ok(Vec::new()) };
    let due_year = year - 1;
    let year_start = platform::parse_date(&format!("{year:04}-01-01")).unwrap_or(0);
    let public: Vec<(i64,)> = state
        .db
        .fetch_all(sql("SELECT site_id FROM annual_report WHERE year = $1 AND published_at IS NOT NULL").bind(due_year))
        .await?;
    Ok(sites
        .iter()
        .filter(|s| s.created_at < year_start)
        .filter(|s| !public.iter().any(|p| p.0 == s.id))
        .map(|s| platform::module::Finding {
            indicator: "annual_report_late".into(),
            site_id: Some(s.id),
            subject: format!("{due_year}年度政府网站工作年度报表"),
            detail: if month == 1 {
                format!("须于 {year} 年 1 月 31 日前在网站公开，目前尚未公开")
            } else {
                format!("应于 {year} 年 1 月 31 日前在网站公开，至今未公开")
            },
            fix_url: format!("/admin/supervision/annual/sites/{}?year={due_year}", s.id),
            warning: month == 1,
        })
        .collect())
}

/// The report as a workbook: one sheet, section by section, with where each figure came from.
pub fn workbook(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("年度报表")?;
    ws.write_string_with_format(0, 0, format!("{}政府网站工作年度报表（{}年度）", r.site.name, r.year), &bold)?;
    let mut row = 2u32;
    for s in &r.sections {
        ws.write_string_with_format(row, 0, s.title, &bold)?;
        row += 1;
        for l in &s.lines {
            ws.write_string(row, 0, &l.label)?;
            match l.value.parse::<f64>() {
                Ok(n) if l.generated || !l.value.is_empty() => ws.write_number(row, 1, n)?,
                _ => ws.write_string(row, 1, &l.value)?,
            };
            ws.write_string(row, 2, if l.generated { "系统生成" } else { "人工填报" })?;
            row += 1;
        }
        row += 1;
    }
    ws.set_column_width(0, 40)?;
    ws.set_column_width(1, 36)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_checked_field_by_field() {
        let ok = ManualInput {
            hot_responses: "12".into(),
            security_drill: "是".into(),
            phone: "0451-86612345".into(),
            filled_on: "2027-01-20".into(),
            ..Default::default()
        };
        assert!(ok.check().is_empty());
        let bad = ManualInput {
            hot_responses: "十二".into(),
            weibo_posts: "-3".into(),
            smart_qa: "也许".into(),
            phone: "call me".into(),
            filled_on: "2027-02-30".into(),
            head: "长".repeat(51),
            ..Default::default()
        };
        let fields: Vec<String> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["hot_responses", "weibo_posts", "smart_qa", "head", "phone", "filled_on"]);
    }

    #[test]
    fn sections_take_figures_and_mark_what_was_typed() {
        let site = GroupSite { name: "哈尔滨市人民政府".into(), kind: "portal".into(), ..Default::default() };
        let visits = analytics::Totals { views: 1200, visitors: 300, entries: 0 };
        let figs = vec![
            Figure { key: "cms.published", label: "", value: 42.0, unit: "条" },
            Figure { key: "letters.avg_workdays", label: "", value: 4.25, unit: "工作日" },
        ];
        let m = ManualInput { wechat_name: "哈尔滨发布".into(), ..Default::default() };
        let s = sections(&site, "http://x/", &visits, &figs, &m);
        let find = |label: &str| s.iter().flat_map(|s| &s.lines).find(|l| l.label == label).unwrap().clone();
        assert_eq!(find("网站总访问量（次）").value, "1200");
        assert_eq!(find("独立用户访问总量（个）").value, "300");
        assert_eq!(find("总数（条）").value, "42");
        assert_eq!(find("平均办理时间（工作日）").value, "4.2");
        assert_eq!(find("网站类型").value, "政府门户网站");
        assert_eq!(find("是否发布服务事项目录").value, "否");
        assert_eq!(find("微信名称"), Line { label: "微信名称".into(), value: "哈尔滨发布".into(), generated: false });
        assert_eq!(s.iter().map(|s| s.title).collect::<Vec<_>>().len(), 10);
    }
}

// ---- Back office -------------------------------------------------------------------------------

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use platform::web::extract::{Form, Path, Query};
use platform::web::{Staff, see_other, sv};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: Option<i32>,
}

/// The year a report is usually being filled for: last year until the end of March, then this one.
fn default_year() -> i32 {
    let today = platform::calendar::today();
    if u8::from(today.month()) <= 3 { today.year() - 1 } else { today.year() }
}

pub async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::Supervise)?;
    let year = valid_year(q.year.unwrap_or_else(default_year))?;
    let sites = crate::ops::visible(&staff, platform::web::portal::group_sites(&state.db).await?);
    #[derive(sqlx::FromRow)]
    struct Filed {
        site_id: i64,
        updated_at: i64,
    }
    let filed: Vec<Filed> =
        state.db.fetch_all(sql("SELECT site_id, updated_at FROM annual_report WHERE year = $1").bind(year)).await?;
    let rows: Vec<_> = sites
        .iter()
        .map(|s| {
            let f = filed.iter().find(|f| f.site_id == s.id);
            context! { id => s.id, name => s.name.clone(), updated => f.map(|f| platform::fmt_time(f.updated_at)) }
        })
        .collect();
    state.render(
        &ctx,
        "admin/jd_annual_list.html",
        context! { rows, year, years => (2019..=platform::calendar::today().year()).rev().collect::<Vec<_>>() },
    )
}

/// The report page; `rejected` is a form that failed its checks (what was typed, the errors and
/// the status), shown instead of what is stored.
async fn report_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    year: i32,
    rejected: Option<(&ManualInput, BTreeMap<String, String>, StatusCode)>,
) -> Result<Response, AppError> {
    let (typed, errors, status) = match rejected {
        Some((m, e, s)) => (Some(m), e, s),
        None => (None, BTreeMap::new(), StatusCode::OK),
    };
    let r = report(state, staff, id, year, typed).await?;
    let published_at: Option<(Option<i64>,)> = state
        .db
        .fetch_optional(
            sql("SELECT published_at FROM annual_report WHERE site_id = $1 AND year = $2").bind(id).bind(r.year),
        )
        .await?;
    let page = context! { site => sv(&r.site), year => r.year, sections => sv(&r.sections), form => sv(&r.manual), errors,
    deadline => format!("{}年1月31日", r.year + 1), published_at => published_at.and_then(|p| p.0),
    public_url => format!("/nianbao/{}/{}", r.site.code, r.year) };
    Ok((status, state.render(ctx, "admin/jd_annual.html", page)?).into_response())
}

pub async fn report_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    report_view(&state, &ctx, &staff, id, q.year.unwrap_or_else(default_year), None).await
}

pub async fn save_form(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
    Form(input): Form<ManualInput>,
) -> Result<Response, AppError> {
    let year = q.year.unwrap_or_else(default_year);
    match save(&state, &ctx, &staff, id, year, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/supervision/annual/sites/{id}?year={year}&ok=saved"))),
        Err(e) => {
            let (status, errors) = platform::web::error::form_errors(e)?;
            report_view(&state, &ctx, &staff, id, year, Some((&input, errors, status))).await
        }
    }
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let r = report(&state, &staff, id, q.year.unwrap_or_else(default_year), None).await?;
    let bytes = workbook(&r).map_err(|e| AppError::Internal(format!("年度报表生成失败：{e}")))?;
    let name = format!("{}-{}年度政府网站工作年度报表.xlsx", r.site.name, r.year);
    Ok(platform::web::download(&format!("annual-report-{}.xlsx", r.year), Some(&name), platform::web::XLSX, bytes))
}

pub async fn publish_form(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let year = q.year.unwrap_or_else(default_year);
    publish(&state, &ctx, &staff, id, year).await?;
    Ok(see_other(&format!("/admin/supervision/annual/sites/{id}?year={year}&ok=saved")))
}

// --- on the portal ---------------------------------------------------------------------------

pub static SECTION: platform::web::portal::Section =
    platform::web::portal::Section {
        name: "网站年度报表", root: "/nianbao/", nav: &[("/nianbao/", "年度报表")]
    };

pub fn public_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/nianbao/", axum::routing::get(public_index))
        .route("/nianbao/{site}/{year}", axum::routing::get(public_report))
}

async fn public_index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let list: Vec<_> = published(&state.db)
        .await?
        .iter()
        .filter_map(|p| {
            let v: serde_json::Value = serde_json::from_str(&p.published).ok()?;
            Some(context! { site => v["site"].as_str().unwrap_or_default().to_owned(), code => v["code"].as_str().unwrap_or_default().to_owned(),
                year => p.year, published_at => p.published_at })
        })
        .collect();
    let v = context! { title => "政府网站工作年度报表", list, nav_current => "/nianbao/" };
    state.public_response(&ctx, &SECTION, "public/jd_annual_index.html", StatusCode::OK, v, false).await
}

async fn public_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, year)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let site = platform::web::portal::group_sites(&state.db)
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or(AppError::NotFound)?;
    let p = published(&state.db)
        .await?
        .into_iter()
        .find(|p| p.site_id == site.id && p.year == year)
        .ok_or(AppError::NotFound)?;
    let report: serde_json::Value =
        serde_json::from_str(&p.published).map_err(|e| AppError::Internal(e.to_string()))?;
    let title = format!("{}政府网站工作年度报表（{year}年度）", site.name);
    let v = context! {
        title => title.clone(), sections => sv(&report["sections"]), published_at => p.published_at, nav_current => "/nianbao/",
        crumbs => vec![("/nianbao/".to_owned(), "网站年度报表".to_owned()), (String::new(), title)],
    };
    state.public_response(&ctx, &SECTION, "public/jd_annual_report.html", StatusCode::OK, v, false).await
}
