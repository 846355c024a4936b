//! 部门考核 (department assessment): for a year or a quarter, every department (the government's
//! bureaus and district governments, each with its sub-units) is scored under the office's rules
//! from the figures the modules provide through `Module::figures` — publishing quota met, letters
//! on time and satisfied, service applications on time and 差评, disclosure requests answered on
//! time, the staff-evaluation window's satisfaction — never by reading their tables. A ranking,
//! each department's breakdown and a workbook.
//!
//! Layout: `domain` (pure scoring and rule checks), this file (rules, periods, the run, the
//! workbook), `admin`, `api`.

pub mod admin;
pub mod api;
pub mod domain;

use std::collections::HashMap;

use platform::accounts::OrgUnit;
use platform::db::{Db, DbResult, sql};
use platform::module::FigureQuery;
use platform::roles::Perm;
use platform::web::{AppError, AppState, Auth, Ctx};

use domain::{Rule, RuleInput, Score};

/// The figures modules provide per department, as the rule form offers them (key, label, unit).
pub const ASSESSABLE: [(&str, &str, &str); 15] = [
    ("cms.quota_rate", "信息发布指标完成率", "%"),
    ("cms.org_published", "本单位发布信息数", "条"),
    ("letters.on_time_rate", "来信按期办结率", "%"),
    ("letters.satisfaction_rate", "来信办理满意率", "%"),
    ("letters.overdue", "当前超期来信", "件"),
    ("services.on_time_rate", "办件按期办结率", "%"),
    ("services.bad", "办件差评数", "件"),
    ("disclosure.on_time_rate", "依申请公开按期答复率", "%"),
    ("disclosure.catalogue_published", "信息公开目录信息更新量", "条"),
    ("ratings.satisfaction_rate", "机关效能评价满意率", "%"),
    ("office.info_submitted", "报送信息数", "条"),
    ("office.info_adopted", "信息采用数", "条"),
    ("office.info_score", "信息报送得分", "分"),
    ("office.proposal_on_time_rate", "建议提案按期答复率", "%"),
    ("office.proposal_satisfaction_rate", "建议提案办理满意率", "%"),
];

pub fn figure_keys() -> Vec<&'static str> {
    ASSESSABLE.iter().map(|f| f.0).collect()
}

/// A period assessed: a year, or one quarter of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    /// 1–4, or `None` for the whole year.
    pub quarter: Option<u8>,
}

impl Period {
    pub fn new(year: i32, quarter: Option<u8>) -> Result<Period, AppError> {
        if !(2000..=2100).contains(&year) {
            return Err(AppError::invalid("year", "年份应在 2000 到 2100 之间"));
        }
        if quarter.is_some_and(|q| !(1..=4).contains(&q)) {
            return Err(AppError::invalid("quarter", "季度应为 1 到 4"));
        }
        Ok(Period { year, quarter })
    }
    /// Unix seconds `[from, to)` in Beijing time.
    pub fn bounds(&self) -> (i64, i64) {
        let day = |y: i32, m: u8| platform::parse_date(&format!("{y:04}-{m:02}-01")).unwrap_or(0);
        match self.quarter {
            None => (day(self.year, 1), day(self.year + 1, 1)),
            Some(4) => (day(self.year, 10), day(self.year + 1, 1)),
            Some(q) => (day(self.year, 3 * q - 2), day(self.year, 3 * q + 1)),
        }
    }
    pub fn label(&self) -> String {
        match self.quarter {
            None => format!("{} 年度", self.year),
            Some(q) => format!("{} 年第{}季度", self.year, ["一", "二", "三", "四"][usize::from(q - 1)]),
        }
    }
}

pub async fn rules(db: &Db) -> DbResult<Vec<Rule>> {
    db.fetch_all(sql(
        "SELECT id, figure_key, label, kind, points, target, sort_order FROM assessment_rule ORDER BY sort_order, id",
    ))
    .await
}

/// The departments assessed: units directly under the government (bureaus and district
/// governments), each counted with its sub-units.
pub fn departments(orgs: &[OrgUnit]) -> Vec<&OrgUnit> {
    let roots: Vec<i64> = orgs.iter().filter(|o| o.parent_id.is_none()).map(|o| o.id).collect();
    orgs.iter().filter(|o| o.parent_id.is_some_and(|p| roots.contains(&p))).collect()
}

/// One department's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DepartmentResult {
    pub org_id: i64,
    pub org: String,
    pub rank: Option<usize>,
    pub score: Score,
}

/// Scores every department `auth` may see for the period (a platform-wide grant sees all, a unit
/// grant its own units), best first.
pub async fn run(state: &AppState, auth: &Auth, period: Period) -> Result<Vec<DepartmentResult>, AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let mine = auth.units_with(Perm::Supervise, &orgs);
    let rules = rules(&state.db).await?;
    let (from, to) = period.bounds();
    let mut out = Vec::new();
    for o in departments(&orgs) {
        if mine.as_ref().is_some_and(|m| !m.contains(&o.id)) {
            continue;
        }
        let q = FigureQuery { from, to, org_id: Some(o.id), site_id: None };
        let figures: HashMap<String, f64> =
            state.modules.figures(state, q).await.into_iter().map(|f| (f.key.to_owned(), f.value)).collect();
        out.push(DepartmentResult {
            org_id: o.id,
            org: o.name.clone(),
            rank: None,
            score: domain::score(&rules, &figures),
        });
    }
    let ranks = domain::ranks(&out.iter().map(|r| r.score.score).collect::<Vec<_>>());
    for (r, rank) in out.iter_mut().zip(ranks) {
        r.rank = rank;
    }
    out.sort_by_key(|r| (r.rank.is_none(), r.rank, r.org_id));
    Ok(out)
}

/// Adds (`id` None) or changes a rule. The sheet applies to every department: a platform-wide
/// 监督考核 grant edits it.
pub async fn save_rule(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: Option<i64>,
    input: &RuleInput,
) -> Result<i64, AppError> {
    require_sheet(auth)?;
    let r = domain::check_rule(input, &figure_keys()).map_err(crate::ratings::invalid)?;
    let now = platform::db::now();
    let by = auth.user.display_name.as_str();
    let verb = if id.is_some() { "update" } else { "create" };
    let id = match id {
        Some(id) => {
            let n = state
                .db
                .execute(
                    sql(
                        "UPDATE assessment_rule SET figure_key = $1, label = $2, kind = $3, points = $4, target = $5, \
                         sort_order = $6, updated_by = $7, updated_at = $8 WHERE id = $9",
                    )
                    .bind(r.figure_key.as_str())
                    .bind(r.label.as_str())
                    .bind(r.kind.as_str())
                    .bind(r.points)
                    .bind(r.target)
                    .bind(r.sort_order)
                    .bind(by)
                    .bind(now)
                    .bind(id),
                )
                .await?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            id
        }
        None => {
            let row: (i64,) = state
                .db
                .fetch_one(
                    sql("INSERT INTO assessment_rule (figure_key, label, kind, points, target, sort_order, updated_by, updated_at) \
                         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
                    .bind(r.figure_key.as_str())
                    .bind(r.label.as_str())
                    .bind(r.kind.as_str())
                    .bind(r.points)
                    .bind(r.target)
                    .bind(r.sort_order)
                    .bind(by)
                    .bind(now),
                )
                .await?;
            row.0
        }
    };
    state
        .audit(
            ctx,
            &format!("assessment_rule.{verb}"),
            &format!("assessment_rule:{id}"),
            "success",
            format!("考核规则“{}”：{} 分", r.label, r.points),
        )
        .await;
    Ok(id)
}

pub async fn delete_rule(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    require_sheet(auth)?;
    let n = state.db.execute(sql("DELETE FROM assessment_rule WHERE id = $1").bind(id)).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    state
        .audit(ctx, "assessment_rule.delete", &format!("assessment_rule:{id}"), "success", "删除考核规则".to_owned())
        .await;
    Ok(())
}

fn require_sheet(auth: &Auth) -> Result<(), AppError> {
    auth.require(Perm::Supervise, &platform::roles::ResourceScope::platform())
        .map_err(|_| AppError::Forbidden("考核规则适用于全部单位，需要全局的监督考核权限".into()))
}

/// The ranking and every department's lines as a workbook.
pub fn xlsx(
    period: &Period,
    rules: &[Rule],
    results: &[DepartmentResult],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("考核排名")?;
    ws.write_string_with_format(0, 0, format!("部门考核（{}）", period.label()), &bold)?;
    let mut head = vec![
        "名次".to_owned(),
        "单位".to_owned(),
        "得分（百分制）".to_owned(),
        "实得分".to_owned(),
        "适用分值".to_owned(),
    ];
    head.extend(rules.iter().map(|r| format!("{}（{} 分）", r.label, r.points)));
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, h, &bold)?;
    }
    for (i, r) in results.iter().enumerate() {
        let row = 3 + i as u32;
        match r.rank {
            Some(n) => ws.write_number(row, 0, n as f64)?,
            None => ws.write_string(row, 0, "—")?,
        };
        ws.write_string(row, 1, &r.org)?;
        match r.score.score {
            Some(s) => ws.write_number(row, 2, s)?,
            None => ws.write_string(row, 2, "无适用项")?,
        };
        ws.write_number(row, 3, r.score.earned)?;
        ws.write_number(row, 4, r.score.applicable)?;
        for (j, line) in r.score.lines.iter().enumerate() {
            let col = 5 + j as u16;
            match line.value {
                Some(_) => ws.write_number(row, col, line.earned)?,
                None => ws.write_string(row, col, "不适用")?,
            };
        }
    }
    ws.set_column_width(1, 30)?;
    wb.save_to_buffer()
}
