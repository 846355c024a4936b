//! The population database's operations, shared by the back office and the API: each checks the
//! caller's permission and the stated purpose, writes its audit entry (who, purpose, conditions
//! with personal values masked, result count) and only then answers — masked, unless the caller's
//! role is granted the field and asked to see it.

use platform::roles::{Perm, Role};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use serde::{Deserialize, Serialize};

use super::domain::{self, AGE_BANDS, Suppressed, mask};
use super::store::{self, Dimension, Filter, Person};
use super::{FIELDS, HOUSEHOLDS, OTHER_COLUMNS_REVEAL_TO, POLICIES, SEXES};
use crate::domain::{AREAS, label};

/// Why someone looks: a kind from this list and a note (the case or file number).
pub const PURPOSES: [(&str, &str); 6] = [
    ("household", "户籍核查"),
    ("assistance", "社会救助审核"),
    ("family", "计划生育服务"),
    ("insurance", "社会保险核验"),
    ("statistics", "统计分析"),
    ("other", "其他"),
];

/// A stated purpose as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Purpose {
    /// 查询目的：household、assistance、family、insurance、statistics、other
    #[serde(default)]
    pub purpose: String,
    /// 事由或案卷号（必填）
    #[serde(default)]
    pub purpose_note: String,
}

impl Purpose {
    /// The purpose as the audit log states it, or the errors of the form.
    pub fn check(&self) -> Result<String, Vec<FieldError>> {
        let mut errs = Vec::new();
        let kind = PURPOSES.iter().find(|(c, _)| *c == self.purpose).map(|(_, l)| *l);
        if kind.is_none() {
            errs.push(FieldError::new("purpose", "请选择查询目的"));
        }
        let note = self.purpose_note.trim();
        let n = note.chars().count();
        if !(2..=100).contains(&n) {
            errs.push(FieldError::new(
                "purpose_note",
                "请写明事由或案卷号（2 至 100 字），它将与本次查询一并记入审计日志",
            ));
        }
        match kind {
            Some(k) if errs.is_empty() => Ok(format!("{k}：{note}")),
            _ => Err(errs),
        }
    }
}

fn holds_role(auth: &Auth, roles: &[Role]) -> bool {
    auth.grants.iter().any(|g| roles.contains(&g.role))
}

fn this_year() -> i64 {
    i64::from(platform::current_year())
}

/// One person as a result row: masked values only.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PersonRow {
    pub id: i64,
    /// 公民身份号码（已遮蔽）
    pub id_number: String,
    /// 姓名（已遮蔽）
    pub name: String,
    pub sex: String,
    pub birth_year: i64,
    pub area: String,
    pub household: String,
}

fn row(p: &Person) -> PersonRow {
    let m = |key: &str| POLICIES.iter().find(|x| x.key == key).map_or(String::new(), |x| mask(x.mask, p.value(key)));
    PersonRow {
        id: p.id,
        id_number: m("id_number"),
        name: m("name"),
        sex: label(&SEXES, &p.sex).to_owned(),
        birth_year: p.birth_year,
        area: label(&AREAS, &p.area_code).to_owned(),
        household: label(&HOUSEHOLDS, &p.household_type).to_owned(),
    }
}

/// Checks a filter: one condition at least, each well formed.
fn check_filter(f: &Filter) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if f.is_empty() {
        errs.push(FieldError::new("id_number", "请至少填写一个查询条件（不提供全库浏览）"));
    }
    let id = f.id_number.trim();
    if !id.is_empty() && !platform::codes::valid_id_number(&id.to_ascii_uppercase()) {
        errs.push(FieldError::new("id_number", "公民身份号码应为 18 位且校验位正确（精确查询）"));
    }
    if f.name.trim().chars().count() > 50 {
        errs.push(FieldError::new("name", "姓名不超过 50 个字"));
    }
    let known = |t: &[(&str, &str)], v: &str| v.is_empty() || t.iter().any(|(c, _)| *c == v);
    if !known(&AREAS, &f.area_code) {
        errs.push(FieldError::new("area_code", "请从列表中选择户籍地"));
    }
    if !known(&SEXES, &f.sex) || !known(&HOUSEHOLDS, &f.household_type) {
        errs.push(FieldError::new("sex", "请从列表中选择性别和户别"));
    }
    if !f.age_band.is_empty() && !AGE_BANDS.iter().any(|b| b.0 == f.age_band) {
        errs.push(FieldError::new("age_band", "请从列表中选择年龄段"));
    }
    errs
}

/// A page of people matching a filter (50 at a time after `after`), and how many match.
pub async fn query(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    f: &Filter,
    purpose: &Purpose,
    after: i64,
) -> Result<(Vec<PersonRow>, i64), AppError> {
    auth.require_anywhere(Perm::PopulationQuery)?;
    let mut errs = check_filter(f);
    let stated = purpose.check().map_err(|e| errs.extend(e));
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let stated = stated.unwrap_or_default();
    let (people, count) = store::query(&state.db, f, this_year(), after.max(0), 50).await?;
    let page = if after > 0 { "（翻页）" } else { "" };
    state
        .audit_before_answer(
            ctx,
            "population.query",
            "data_person",
            format!("查询人口信息{page}：目的「{stated}」；条件：{}；结果 {count} 人", f.describe()),
        )
        .await?;
    Ok((people.iter().map(row).collect(), count))
}

/// One field of a person as shown.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    /// Shown in full (the caller's role is granted it and asked).
    pub revealed: bool,
    /// The caller's role may ask to see it in full.
    pub revealable: bool,
    /// 来源数据源和时间
    pub source: String,
    pub since: Option<i64>,
    /// 冲突时的处理规则
    pub rule: &'static str,
}

/// What one source last sent about the person.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PartView {
    pub source: String,
    pub updated_at: i64,
    /// 其他字段的个数
    pub count: usize,
    /// 其他字段（仅在授权并申请显示完整信息时给出）
    pub columns: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PersonView {
    pub id: i64,
    pub birth_year: i64,
    pub fields: Vec<FieldView>,
    pub parts: Vec<PartView>,
    /// 可申请显示完整信息
    pub revealable: bool,
    pub revealed: bool,
}

/// One person's record: masked (`reveal` false) or with the caller's granted fields in full. Both
/// are audited; the unmasking names the fields it showed.
pub async fn view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    purpose: &Purpose,
    reveal: bool,
) -> Result<PersonView, AppError> {
    auth.require_anywhere(Perm::PopulationQuery)?;
    let stated = purpose.check().map_err(AppError::Invalid)?;
    let p = store::person(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let parts = store::parts(&state.db, id).await?;
    let sources = store::sources(&state.db).await?;
    let source_name = |s: i64| sources.iter().find(|x| x.0 == s).map_or_else(|| format!("数据源 {s}"), |x| x.1.clone());
    let prov = p.provenance();
    let others_granted = holds_role(auth, OTHER_COLUMNS_REVEAL_TO);
    let mut shown = Vec::new();
    let fields: Vec<FieldView> = FIELDS
        .iter()
        .zip(&POLICIES)
        .map(|(f, pol)| {
            let granted = pol.mask != domain::Mask::None && holds_role(auth, pol.reveal_to);
            let raw = p.value(f.key);
            let revealed = reveal && granted && !raw.is_empty();
            if revealed {
                shown.push(f.label);
            }
            let value = if revealed || pol.mask == domain::Mask::None {
                crate::enterprise::display(f, raw)
            } else {
                mask(pol.mask, raw)
            };
            let (source, since) = prov.get(f.key).map_or((String::new(), None), |(s, at)| (source_name(*s), Some(*at)));
            FieldView {
                key: f.key,
                label: f.label,
                value,
                revealed,
                revealable: granted,
                source,
                since,
                rule: pol.rule.label(),
            }
        })
        .collect();
    let show_others = reveal && others_granted;
    if show_others && parts.iter().any(|x| !x.columns().is_empty()) {
        shown.push("各来源的其他字段");
    }
    let parts: Vec<PartView> = parts
        .iter()
        .map(|x| {
            let cols = x.columns();
            PartView {
                source: x.source_name.clone(),
                updated_at: x.updated_at,
                count: cols.len(),
                columns: if show_others { cols } else { Vec::new() },
            }
        })
        .collect();
    let masked_id = mask(domain::Mask::IdNumber, &p.id_number);
    let (action, text) = if reveal {
        if shown.is_empty() {
            return Err(AppError::Forbidden("您的角色没有被授予查看这些字段完整内容的权限".into()));
        }
        ("population.reveal", format!("显示 {masked_id} 的完整信息（{}）：目的「{stated}」", shown.join("、")))
    } else {
        ("population.view", format!("查看 {masked_id} 的人口信息（已遮蔽）：目的「{stated}」"))
    };
    state.audit_before_answer(ctx, action, &format!("data_person:{id}"), text).await?;
    let revealable = fields.iter().any(|f| f.revealable) || others_granted;
    Ok(PersonView { id, birth_year: p.birth_year, fields, parts, revealable, revealed: reveal })
}

/// A statistics table as shown and exported.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Statistics {
    pub rows_by: &'static str,
    pub cols_by: Option<&'static str>,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// 空值表示因人数少于阈值（或可由合计推算出）而隐藏
    pub cells: Vec<Vec<Option<u64>>>,
    pub row_totals: Vec<Option<u64>>,
    pub col_totals: Vec<Option<u64>>,
    pub total: Option<u64>,
    pub threshold: u64,
    pub hidden: usize,
    /// 按数据来源统计时为人次
    pub per_source: bool,
}

/// The smallest count shown (`population.min_cell`, default 5).
pub async fn threshold(state: &AppState) -> Result<u64, AppError> {
    Ok(platform::accounts::get_setting(&state.db, "population.min_cell")
        .await?
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n >= 2)
        .unwrap_or(5))
}

pub async fn statistics(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    rows: &str,
    cols: &str,
    purpose: &Purpose,
) -> Result<Statistics, AppError> {
    auth.require_anywhere(Perm::PopulationQuery)?;
    let mut errs = Vec::new();
    let r = Dimension::parse(rows);
    if r.is_none() {
        errs.push(FieldError::new("rows", "请选择按什么分组"));
    }
    let c = if cols.is_empty() { None } else { Dimension::parse(cols) };
    if (!cols.is_empty() && c.is_none()) || (c.is_some() && c == r) {
        errs.push(FieldError::new("cols", "交叉分组请选择另一个维度"));
    }
    let stated = purpose.check().map_err(|e| errs.extend(e));
    let (Some(r), true) = (r, errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    let stated = stated.unwrap_or_default();
    let min = threshold(state).await?;
    let counts = store::counts(&state.db, r, c, this_year()).await?;
    let s: Suppressed = domain::suppress(&counts.cells, min);
    let by = c.map_or_else(|| r.label().to_owned(), |c| format!("{}×{}", r.label(), c.label()));
    state
        .audit_before_answer(
            ctx,
            "population.statistics",
            "data_person",
            format!(
                "人口统计（按{by}）：目的「{stated}」；少于 {min} 人的 {} 格及可推算的 {} 格已隐藏",
                s.primary, s.complementary
            ),
        )
        .await?;
    Ok(Statistics {
        rows_by: r.label(),
        cols_by: c.map(Dimension::label),
        rows: counts.rows.into_iter().map(|x| x.1).collect(),
        cols: counts.cols.into_iter().map(|x| x.1).collect(),
        cells: s.cells,
        row_totals: s.row_totals,
        col_totals: s.col_totals,
        total: s.total,
        threshold: min,
        hidden: s.primary + s.complementary,
        per_source: r == Dimension::Source || c == Some(Dimension::Source),
    })
}

/// The statistics table as CSV (aggregates only; hidden cells as “<阈值”).
pub fn statistics_csv(s: &Statistics) -> String {
    let cell = |v: &Option<u64>| v.map_or_else(|| format!("<{}或已隐藏", s.threshold), |n| n.to_string());
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut head = vec![s.rows_by.to_owned()];
    head.extend(s.cols.iter().cloned());
    if s.cols_by.is_some() {
        head.push("合计".into());
    }
    let _ = w.write_record(&head);
    for (i, name) in s.rows.iter().enumerate() {
        let mut line = vec![name.clone()];
        line.extend(s.cells[i].iter().map(cell));
        if s.cols_by.is_some() {
            line.push(cell(&s.row_totals[i]));
        }
        let _ = w.write_record(&line);
    }
    let mut foot = vec!["合计".to_owned()];
    foot.extend(s.col_totals.iter().map(cell));
    if s.cols_by.is_some() {
        foot.push(cell(&s.total));
    }
    let _ = w.write_record(&foot);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Decides a conflict (`accept`: take the offered value).
pub async fn resolve(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, accept: bool) -> Result<(), AppError> {
    auth.require_anywhere(Perm::PopulationResolve)?;
    let c = store::conflict(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if c.state != "open" {
        return Err(AppError::Conflict("这条冲突已经处理过了".into()));
    }
    if !store::resolve(&state.db, &c, accept, &auth.user.username, platform::db::now()).await? {
        return Err(AppError::Conflict("这条冲突已经处理过了".into()));
    }
    let field = FIELDS.iter().find(|f| f.key == c.field).map_or(c.field.as_str(), |f| f.label);
    let what = if accept { "采用来源数据源的新值" } else { "保留原值" };
    state
        .audit(
            ctx,
            "population.resolve",
            &format!("data_person:{}", c.person_id),
            "success",
            format!("裁决“{field}”的冲突：{what}"),
        )
        .await;
    Ok(())
}
