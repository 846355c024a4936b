//! Pure rules of online services: the guide (办事指南) elements and the completeness check the
//! national monitors apply, per-item application forms defined as data, the application state
//! machine (with 补正 stopping the clock), time-limit colours for 电子监察, and the five 好差评
//! levels. No I/O; every rule is unit-tested here.

use serde::{Deserialize, Serialize};

/// 事项类型.
pub const ITEM_KINDS: [&str; 8] =
    ["行政许可", "行政给付", "行政确认", "行政征收", "行政奖励", "行政裁决", "其他行政权力", "公共服务"];

/// Life events (人生事件) of the hall.
pub const LIFE_EVENTS: [&str; 10] = ["出生", "上学", "就业", "婚育", "住房", "创业", "经营", "医疗", "退休", "身后"];

/// One required material (申请材料).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Material {
    pub name: String,
    /// 原件 / 复印件 / 原件和复印件 / 电子件
    #[serde(default)]
    pub form: String,
    #[serde(default = "one")]
    pub copies: u32,
    #[serde(default = "yes")]
    pub required: bool,
    /// 申请人自备 / 政府部门核发 / …
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub notes: String,
    /// Download of the blank form and of a filled example, when there is one.
    #[serde(default)]
    pub blank_url: String,
    #[serde(default)]
    pub example_url: String,
}

impl Material {
    /// The upload slot's name in a form (`mat_3` for the fourth material); its files are stored
    /// under [`Material::file_field`] so that they keep their material's name when the list is
    /// edited later.
    pub fn slot(index: usize) -> String {
        format!("mat_{index}")
    }
    pub fn file_field(&self) -> String {
        format!("{MATERIAL_FIELD}{}", self.name)
    }
}

/// Prefix of a stored file's field when it answers a required material.
pub const MATERIAL_FIELD: &str = "material:";

/// The material a stored file answers, if it answers one.
pub fn material_of(field: &str) -> Option<&str> {
    field.strip_prefix(MATERIAL_FIELD)
}

/// Which of `wanted` have no upload among `uploaded` slots (material indexes); a 补正 asks only
/// for the listed ones, a new application for every required one.
pub fn missing_uploads<'a>(materials: &'a [Material], wanted: &[String], uploaded: &[usize]) -> Vec<(usize, &'a str)> {
    materials
        .iter()
        .enumerate()
        .filter(|(_, m)| wanted.contains(&m.name))
        .filter(|(i, _)| !uploaded.contains(i))
        .map(|(i, m)| (i, m.name.as_str()))
        .collect()
}

/// The names of the materials every new application must carry.
pub fn required_materials(materials: &[Material]) -> Vec<String> {
    materials.iter().filter(|m| m.required).map(|m| m.name.clone()).collect()
}

/// The materials a 补正 asks for, checked against the item's list; the notice the applicant reads
/// names them, followed by what the handler wrote.
pub fn correction_request(
    materials: &[Material],
    chosen: &[String],
    comment: &str,
) -> Result<(Vec<String>, String), String> {
    let mut names = Vec::new();
    for c in chosen.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !materials.iter().any(|m| m.name == c) {
            return Err(format!("「{c}」不是本事项的申请材料"));
        }
        if !names.iter().any(|n| n == c) {
            names.push(c.to_owned());
        }
    }
    let comment = comment.trim();
    if names.is_empty() && comment.is_empty() {
        return Err("请勾选需要补正的材料，或写明需要补正的内容（一次性告知）".into());
    }
    let note = match (names.is_empty(), comment.is_empty()) {
        (false, true) => format!("请重新上传以下材料：{}。", names.join("、")),
        (false, false) => format!("请重新上传以下材料：{}。{comment}", names.join("、")),
        _ => comment.to_owned(),
    };
    Ok((names, note))
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Faq {
    pub q: String,
    pub a: String,
}

/// A field of an item's online application form, defined by administrators as data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FormField {
    pub name: String,
    pub label: String,
    /// text, textarea, number, date, select, phone, id_number, uscc, email, file
    #[serde(default = "text")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub max_len: Option<usize>,
}

fn text() -> String {
    "text".into()
}

pub const FIELD_KINDS: [&str; 10] =
    ["text", "textarea", "number", "date", "select", "phone", "id_number", "uscc", "email", "file"];

/// The Chinese name of a form field's kind, as the item editor offers it.
pub fn field_kind_label(kind: &str) -> &'static str {
    match kind {
        "text" => "单行文字",
        "textarea" => "多行文字",
        "number" => "数字",
        "date" => "日期",
        "select" => "下拉选择",
        "phone" => "电话号码",
        "id_number" => "身份证号",
        "uscc" => "统一社会信用代码",
        "email" => "电子邮箱",
        "file" => "附件",
        _ => "其他",
    }
}

/// Checks a form definition itself (what an administrator typed).
pub fn check_form(fields: &[FormField]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for f in fields {
        if f.name.is_empty() || !f.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("字段标识「{}」只能由字母、数字和下划线组成", f.name));
        }
        if !seen.insert(f.name.as_str()) {
            return Err(format!("字段标识「{}」重复", f.name));
        }
        if f.label.trim().is_empty() {
            return Err(format!("字段「{}」缺少名称", f.name));
        }
        if !FIELD_KINDS.contains(&f.kind.as_str()) {
            return Err(format!("字段「{}」的类型「{}」不支持，可用：{}", f.label, f.kind, FIELD_KINDS.join("、")));
        }
        if f.kind == "select" && f.options.is_empty() {
            return Err(format!("下拉字段「{}」需要选项", f.label));
        }
    }
    Ok(())
}

/// Checks what an applicant typed into an item's form; every problem named by field.
pub fn validate_form(
    fields: &[FormField],
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    for f in fields.iter().filter(|f| f.kind != "file") {
        let v = values.get(&f.name).map(|s| s.trim()).unwrap_or("");
        if v.is_empty() {
            if f.required {
                errs.push((f.name.clone(), format!("请填写{}", f.label)));
            }
            continue;
        }
        let max = f.max_len.unwrap_or(if f.kind == "textarea" { 2000 } else { 200 });
        if v.chars().count() > max {
            errs.push((f.name.clone(), format!("{}不能超过 {max} 个字", f.label)));
            continue;
        }
        let bad = match f.kind.as_str() {
            "number" => v.parse::<f64>().is_err().then(|| format!("{}应为数字", f.label)),
            "date" => platform::calendar::date(v).is_none().then(|| format!("{}应为日期，如 2026-01-01", f.label)),
            "select" => (!f.options.iter().any(|o| o == v)).then(|| format!("请从列表中选择{}", f.label)),
            "phone" => (!platform::codes::valid_phone(v))
                .then(|| format!("{}格式不正确（手机号 11 位，固定电话请带区号）", f.label)),
            "id_number" => (!platform::codes::valid_id_number(v))
                .then(|| format!("{}不正确（18 位，请核对出生日期和校验码）", f.label)),
            "uscc" => (v.chars().count() != 18 || platform::codes::check_org_code(v).is_some())
                .then(|| format!("{}不正确（18 位统一社会信用代码，请核对校验码）", f.label)),
            "email" => (!v.contains('@') || !v.contains('.')).then(|| format!("{}格式不正确", f.label)),
            _ => None,
        };
        if let Some(m) = bad {
            errs.push((f.name.clone(), m));
        }
    }
    errs
}

/// What the 示范文本 shows in a field: an invented value of the field's kind.
pub fn example_value(f: &FormField) -> String {
    match f.kind.as_str() {
        "select" => f.options.first().cloned().unwrap_or_default(),
        "number" => "100".to_owned(),
        "date" => "2026-06-01".to_owned(),
        "phone" => "0451-8666××××".to_owned(),
        "email" => "service@example.cn".to_owned(),
        "id_number" => "2301**********0021".to_owned(),
        "uscc" => "91230100MA1B2C3D4X".to_owned(),
        "textarea" => format!("（在此写明{}，如实、具体，一般不超过 500 字）", f.label),
        _ if !f.help.is_empty() => f.help.clone(),
        _ => format!("（填写{}）", f.label),
    }
}

/// The guide elements national monitors check (指南要素); missing ones are listed by name.
pub fn missing_elements(g: &GuideCheck<'_>) -> Vec<&'static str> {
    let mut out = Vec::new();
    let blank = |s: &str| s.trim().is_empty();
    if blank(g.name) {
        out.push("事项名称");
    }
    if blank(g.basis) {
        out.push("设定依据");
    }
    if blank(g.conditions) {
        out.push("申请条件");
    }
    if g.materials == 0 {
        out.push("办理材料");
    }
    if blank(g.place) {
        out.push("办理地点");
    }
    if blank(g.agency) {
        out.push("办理机构");
    }
    if !g.fee_stated {
        out.push("收费标准");
    }
    if blank(g.hours) {
        out.push("办理时间");
    }
    if blank(g.phone) {
        out.push("联系电话");
    }
    if g.steps == 0 {
        out.push("办理流程");
    }
    out
}

/// What the completeness check looks at.
pub struct GuideCheck<'a> {
    pub name: &'a str,
    pub basis: &'a str,
    pub conditions: &'a str,
    pub materials: usize,
    pub place: &'a str,
    pub agency: &'a str,
    /// Free of charge, or charged with a stated standard.
    pub fee_stated: bool,
    pub hours: &'a str,
    pub phone: &'a str,
    pub steps: usize,
}

// ---------------------------------------------------------------------------------------------
// The back office edits a guide's lists as lines of text separated by |, which departments can
// paste from their spreadsheets; these turn lines into data and back.

/// A download link of a material: a path on this site (an uploaded file, the generated blank
/// application form) or an https address.
fn download_url(v: Option<&&str>, line: usize, what: &str) -> Result<String, String> {
    let v = v.copied().unwrap_or("").trim();
    if v.is_empty() || (v.starts_with('/') && !v.starts_with("//")) || v.starts_with("https://") {
        Ok(v.to_owned())
    } else {
        Err(format!("申请材料第 {} 行的{what}地址应以 / 或 https:// 开头", line + 1))
    }
}

/// `名称|原件或复印件|份数|必需(是/否)|来源|备注|空白表格地址|示范文本地址` per line.
pub fn parse_materials(text: &str) -> Result<Vec<Material>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let p: Vec<&str> = line.split('|').map(str::trim).collect();
        if p[0].is_empty() {
            return Err(format!("申请材料第 {} 行缺少材料名称", i + 1));
        }
        let copies = match p.get(2).filter(|s| !s.is_empty()) {
            Some(c) => c.parse().map_err(|_| format!("申请材料第 {} 行的份数「{c}」不是数字", i + 1))?,
            None => 1,
        };
        out.push(Material {
            name: p[0].to_owned(),
            form: p.get(1).unwrap_or(&"").to_string(),
            copies,
            required: !matches!(p.get(3).copied(), Some("否" | "no" | "false")),
            source: p.get(4).unwrap_or(&"").to_string(),
            notes: p.get(5).unwrap_or(&"").to_string(),
            blank_url: download_url(p.get(6), i, "空白表格")?,
            example_url: download_url(p.get(7), i, "示范文本")?,
        });
    }
    Ok(out)
}

pub fn format_materials(m: &[Material]) -> String {
    m.iter()
        .map(|m| {
            let line = format!(
                "{}|{}|{}|{}|{}|{}|{}|{}",
                m.name,
                m.form,
                m.copies,
                if m.required { "是" } else { "否" },
                m.source,
                m.notes,
                m.blank_url,
                m.example_url
            );
            line.trim_end_matches('|').to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `标识|名称|类型|必填(是/否)|选项(用;分隔)|说明` per line.
pub fn parse_form(text: &str) -> Result<Vec<FormField>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let p: Vec<&str> = line.split('|').map(str::trim).collect();
        out.push(FormField {
            name: p[0].to_owned(),
            label: p.get(1).unwrap_or(&"").to_string(),
            kind: p.get(2).filter(|s| !s.is_empty()).unwrap_or(&"text").to_string(),
            required: matches!(p.get(3).copied(), Some("是" | "yes" | "true")),
            options: p
                .get(4)
                .map(|o| o.split([';', '；']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            help: p.get(5).unwrap_or(&"").to_string(),
            max_len: None,
        });
    }
    check_form(&out)?;
    Ok(out)
}

pub fn format_form(f: &[FormField]) -> String {
    f.iter()
        .map(|f| {
            format!(
                "{}|{}|{}|{}|{}|{}",
                f.name,
                f.label,
                f.kind,
                if f.required { "是" } else { "否" },
                f.options.join(";"),
                f.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `问题|解答` per line.
pub fn parse_faq(text: &str) -> Result<Vec<Faq>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        match line.split_once('|') {
            Some((q, a)) if !q.trim().is_empty() && !a.trim().is_empty() => {
                out.push(Faq { q: q.trim().to_owned(), a: a.trim().to_owned() })
            }
            _ => return Err(format!("常见问题第 {} 行应为「问题|解答」", i + 1)),
        }
    }
    Ok(out)
}

pub fn format_faq(f: &[Faq]) -> String {
    f.iter().map(|f| format!("{}|{}", f.q, f.a)).collect::<Vec<_>>().join("\n")
}

/// One entry per non-empty line (process steps, review steps).
pub fn parse_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// Applications

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待预审.
    Submitted,
    /// 补正中: waiting for the applicant; the clock is stopped.
    Correction,
    /// 已受理, under review at a step.
    Reviewing,
    /// 准予 (decision made, waiting to be completed / 送达).
    Approved,
    /// 不予许可 / 不予批准 (with reason and legal basis).
    Denied,
    /// 不予受理. Terminal.
    Rejected,
    /// 办结. Terminal (but rateable).
    Completed,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Submitted,
        State::Correction,
        State::Reviewing,
        State::Approved,
        State::Denied,
        State::Rejected,
        State::Completed,
    ];
    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Correction => "correction",
            State::Reviewing => "reviewing",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Rejected => "rejected",
            State::Completed => "completed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "待预审",
            State::Correction => "待补正",
            State::Reviewing => "审查中",
            State::Approved => "准予办理",
            State::Denied => "不予办理",
            State::Rejected => "不予受理",
            State::Completed => "已办结",
        }
    }
    /// The case still waits for someone's work (not yet 办结 or refused).
    pub fn is_open(self) -> bool {
        matches!(self, State::Submitted | State::Correction | State::Reviewing | State::Approved)
    }
    /// The promised time limit runs (accepted and not yet decided).
    pub fn clock_runs(self) -> bool {
        matches!(self, State::Reviewing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    RequestCorrection,
    Resubmit,
    Approve,
    Deny,
    Complete,
    Rate,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Accept,
        Action::Reject,
        Action::RequestCorrection,
        Action::Resubmit,
        Action::Approve,
        Action::Deny,
        Action::Complete,
        Action::Rate,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::RequestCorrection => "request_correction",
            Action::Resubmit => "resubmit",
            Action::Approve => "approve",
            Action::Deny => "deny",
            Action::Complete => "complete",
            Action::Rate => "rate",
        }
    }
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Reject => "不予受理",
            Action::RequestCorrection => "一次性告知补正",
            Action::Resubmit => "补正后重新提交",
            Action::Approve => "审查通过",
            Action::Deny => "不予办理",
            Action::Complete => "办结",
            Action::Rate => "评价",
        }
    }
    /// Done by the applicant (with the query code), not by staff.
    pub fn by_applicant(self) -> bool {
        matches!(self, Action::Resubmit | Action::Rate)
    }
    /// Actions whose comment is the reason and may not be empty.
    pub fn needs_comment(self) -> bool {
        matches!(self, Action::Reject | Action::RequestCorrection | Action::Deny)
    }
}

/// Where an application stands: its state, the review step, and whether it was accepted before
/// (a correction requested during review returns to review; one before acceptance to pre-review).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub state: State,
    pub step: u32,
    pub accepted: bool,
    pub rated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("办件当前状态为「{}」，不能执行「{}」", .0.label(), .1.label())]
    WrongState(State, Action),
    #[error("已经评价过，不能重复评价")]
    AlreadyRated,
}

/// The whole transition table. `steps` is the item's number of review steps (at least one);
/// approving at a step before the last moves to the next step.
pub fn transition(p: Position, action: Action, steps: u32) -> Result<Position, TransitionError> {
    use Action as A;
    use State as S;
    let last = steps.max(1) - 1;
    let to = |state: State, step: u32, accepted: bool| Ok(Position { state, step, accepted, rated: p.rated });
    match (action, p.state) {
        (A::Accept, S::Submitted) => to(S::Reviewing, 0, true),
        (A::Reject, S::Submitted) => to(S::Rejected, 0, false),
        (A::RequestCorrection, S::Submitted | S::Reviewing) => to(S::Correction, p.step, p.accepted),
        (A::Resubmit, S::Correction) => to(if p.accepted { S::Reviewing } else { S::Submitted }, p.step, p.accepted),
        (A::Approve, S::Reviewing) if p.step < last => to(S::Reviewing, p.step + 1, true),
        (A::Approve, S::Reviewing) => to(S::Approved, p.step, true),
        (A::Deny, S::Reviewing) => to(S::Denied, p.step, true),
        (A::Complete, S::Approved | S::Denied) => to(S::Completed, p.step, true),
        (A::Rate, S::Completed | S::Rejected) if p.rated => Err(TransitionError::AlreadyRated),
        (A::Rate, S::Completed | S::Rejected) => Ok(Position { rated: true, ..p }),
        _ => Err(TransitionError::WrongState(p.state, action)),
    }
}

pub fn available(p: Position, steps: u32, applicant: bool) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| a.by_applicant() == applicant && transition(p, *a, steps).is_ok()).collect()
}

/// One recorded step of a case as separation of duties reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub action: Action,
    /// The step the case was at after the action.
    pub step: u32,
    pub actor_id: Option<i64>,
}

/// The person who completed the step before `step` (the acceptance for the first review step):
/// a step that requires a different person may not be decided by them. The latest such action
/// counts (a case can pass a step again after 补正).
pub fn previous_step_actor(history: &[Done], step: u32) -> Option<i64> {
    history
        .iter()
        .rev()
        .find(|d| if step == 0 { d.action == Action::Accept } else { d.action == Action::Approve && d.step == step })
        .and_then(|d| d.actor_id)
}

/// Whether `actor` may decide (approve or deny) at `step`: refused when the step requires a
/// different person and `actor` completed the previous one.
pub fn separation_ok(step_names: &[String], distinct: &[String], history: &[Done], step: u32, actor: i64) -> bool {
    let Some(name) = step_names.get(usize::try_from(step).unwrap_or(usize::MAX)) else { return true };
    !distinct.contains(name) || previous_step_actor(history, step) != Some(actor)
}

/// The abbreviation of an agency in its document numbers (哈尔滨市市场监督管理局 → 哈市监): the
/// locality's first character and the department's customary short form.
pub fn agency_abbr(name: &str) -> String {
    const SHORT: [(&str, &str); 14] = [
        ("市场监督管理", "市监"),
        ("人力资源和社会保障", "人社"),
        ("住房和城乡建设", "住建"),
        ("卫生健康", "卫健"),
        ("发展和改革", "发改"),
        ("科学技术", "科"),
        ("公安", "公"),
        ("教育", "教"),
        ("民政", "民"),
        ("财政", "财"),
        ("自然资源", "自然资源"),
        ("生态环境", "环"),
        ("交通运输", "交"),
        ("政务服务", "政务"),
    ];
    let (place, rest) = match name.char_indices().find(|(_, c)| matches!(c, '市' | '区' | '县' | '省')) {
        Some((i, c)) => (name[..i].chars().next().map(String::from).unwrap_or_default(), &name[i + c.len_utf8()..]),
        None => (String::new(), name),
    };
    let short = SHORT
        .iter()
        .find(|(full, _)| rest.starts_with(full))
        .map(|(_, s)| (*s).to_owned())
        .unwrap_or_else(|| rest.chars().take(2).collect());
    format!("{place}{short}")
}

/// A decision's 文号: `哈市监准字〔2026〕第 0012 号` style, numbered per agency, kind and year.
pub fn decision_number(agency: &str, granted: bool, year: i32, seq: i64) -> String {
    format!("{}{}字〔{year}〕第{seq:04}号", agency_abbr(agency), if granted { "准" } else { "不准" })
}

/// The remedies a decision must state (《行政复议法》第二十条, 《行政诉讼法》第四十六条).
pub fn remedies(agency: &str, reviewer: &str) -> String {
    format!(
        "如不服本决定，可以自收到本决定书之日起六十日内向{reviewer}申请行政复议，也可以自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。（作出决定机关：{agency}）"
    )
}

/// 好差评's five levels, best first (国办发〔2019〕51号).
pub const RATINGS: [(&str, &str, i64); 5] = [
    ("very_satisfied", "非常满意", 5),
    ("satisfied", "满意", 4),
    ("basic", "基本满意", 3),
    ("unsatisfied", "不满意", 2),
    ("very_unsatisfied", "非常不满意", 1),
];

pub fn rating_label(code: &str) -> Option<&'static str> {
    RATINGS.iter().find(|r| r.0 == code).map(|r| r.1)
}

/// 差评 (不满意, 非常不满意) open a follow-up work order for the department.
pub fn is_bad_rating(code: &str) -> bool {
    matches!(code, "unsatisfied" | "very_unsatisfied")
}

/// A 差评 follow-up (回访/整改) is due in this many working days.
pub const FOLLOWUP_DAYS: u32 = 5;

// ---------------------------------------------------------------------------------------------
// Project calls (科技项目申报)

/// One criterion of a call's score sheet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Criterion {
    pub name: String,
    pub max: u32,
}

/// `名称|满分` per line; the maxima must add up to 100.
pub fn parse_sheet(text: &str) -> Result<Vec<Criterion>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let (name, max) = line.split_once('|').ok_or_else(|| format!("评分表第 {} 行应为「指标|满分」", i + 1))?;
        let max: u32 = max.trim().parse().map_err(|_| format!("评分表第 {} 行的满分不是整数", i + 1))?;
        if name.trim().is_empty() || max == 0 {
            return Err(format!("评分表第 {} 行缺少指标名称或满分", i + 1));
        }
        out.push(Criterion { name: name.trim().to_owned(), max });
    }
    let total: u32 = out.iter().map(|c| c.max).sum();
    if total != 100 {
        return Err(format!("评分表各项满分合计应为 100，现为 {total}"));
    }
    Ok(out)
}

/// Checks an expert's scores against the sheet.
pub fn check_scores(sheet: &[Criterion], scores: &[u32]) -> Result<u32, String> {
    if scores.len() != sheet.len() {
        return Err("请为每一项指标打分".into());
    }
    for (c, s) in sheet.iter().zip(scores) {
        if *s > c.max {
            return Err(format!("「{}」不能超过 {} 分", c.name, c.max));
        }
    }
    Ok(scores.iter().sum())
}

/// An expert may not review an application from their own organisation (利益冲突回避).
pub fn conflict_of_interest(expert_org: &str, applicant_org: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    !expert_org.trim().is_empty() && norm(expert_org) == norm(applicant_org)
}

/// A reviewed application for ranking: its experts' totals and first-criterion scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewed {
    pub id: i64,
    pub totals: Vec<u32>,
    pub first: Vec<u32>,
    pub submitted_at: i64,
}

/// Ranks by the average of expert totals; ties go to the higher average on the first criterion,
/// then to the earlier submission. Returns (id, average ×100 rounded) best first.
pub fn rank(list: &[Reviewed]) -> Vec<(i64, i64)> {
    let avg = |v: &[u32]| {
        if v.is_empty() {
            0
        } else {
            (v.iter().map(|x| i64::from(*x)).sum::<i64>() * 100 + v.len() as i64 / 2) / v.len() as i64
        }
    };
    let mut keyed: Vec<(i64, i64, i64, i64)> =
        list.iter().map(|r| (avg(&r.totals), avg(&r.first), -r.submitted_at, r.id)).collect();
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    keyed.into_iter().map(|k| (k.3, k.0)).collect()
}

/// The stages of a project call (科技项目申报): drafted, open for applications, under expert review,
/// results in publicity (异议期), final list published. Each moves only to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStage {
    Draft,
    Open,
    Review,
    Publicity,
    Final,
}

impl CallStage {
    pub const ALL: [CallStage; 5] =
        [CallStage::Draft, CallStage::Open, CallStage::Review, CallStage::Publicity, CallStage::Final];

    pub fn parse(code: &str) -> Option<CallStage> {
        CallStage::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn code(self) -> &'static str {
        match self {
            CallStage::Draft => "draft",
            CallStage::Open => "open",
            CallStage::Review => "review",
            CallStage::Publicity => "publicity",
            CallStage::Final => "final",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CallStage::Draft => "未发布",
            CallStage::Open => "申报中",
            CallStage::Review => "评审中",
            CallStage::Publicity => "公示中",
            CallStage::Final => "已公布",
        }
    }
    /// The stage a manager may move the call to from here (drafts open when published).
    pub fn next(self) -> Option<CallStage> {
        match self {
            CallStage::Open => Some(CallStage::Review),
            CallStage::Review => Some(CallStage::Publicity),
            CallStage::Publicity => Some(CallStage::Final),
            CallStage::Draft | CallStage::Final => None,
        }
    }
    /// Whether moving from `self` to `to` is allowed; the refusal names both stages.
    pub fn check_move(self, to: &str) -> Result<CallStage, String> {
        match (CallStage::parse(to), self.next()) {
            (Some(t), Some(n)) if t == n => Ok(t),
            (Some(t), _) => Err(format!("当前为「{}」，不能进入「{}」", self.label(), t.label())),
            (None, _) => Err(format!("没有「{to}」这个阶段")),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn call_stages_move_only_forward_one_step() {
        use super::CallStage;
        for from in CallStage::ALL {
            assert_eq!(CallStage::parse(from.code()), Some(from));
            for to in CallStage::ALL {
                let ok = from.check_move(to.code()).is_ok();
                assert_eq!(ok, from.next() == Some(to), "{from:?} → {to:?}");
                if !ok {
                    assert!(from.check_move(to.code()).unwrap_err().contains(from.label()));
                }
            }
        }
        assert_eq!(CallStage::Final.next(), None);
        assert!(CallStage::Open.check_move("fly").unwrap_err().contains("fly"));
    }

    use super::*;

    fn pos(state: State, step: u32, accepted: bool) -> Position {
        Position { state, step, accepted, rated: false }
    }

    /// Every (state, action) pair for a two-step item, against a table written out by hand.
    #[test]
    fn transition_table_is_exactly_this() {
        use Action as A;
        use State as S;
        for s in State::ALL {
            for a in Action::ALL {
                for step in 0..2 {
                    for accepted in [false, true] {
                        let p = pos(s, step, accepted);
                        let expected: Option<(S, u32, bool)> = match (s, a) {
                            (S::Submitted, A::Accept) => Some((S::Reviewing, 0, true)),
                            (S::Submitted, A::Reject) => Some((S::Rejected, 0, false)),
                            (S::Submitted | S::Reviewing, A::RequestCorrection) => {
                                Some((S::Correction, step, accepted))
                            }
                            (S::Correction, A::Resubmit) => {
                                Some((if accepted { S::Reviewing } else { S::Submitted }, step, accepted))
                            }
                            (S::Reviewing, A::Approve) if step == 0 => Some((S::Reviewing, 1, true)),
                            (S::Reviewing, A::Approve) => Some((S::Approved, 1, true)),
                            (S::Reviewing, A::Deny) => Some((S::Denied, step, true)),
                            (S::Approved | S::Denied, A::Complete) => Some((S::Completed, step, true)),
                            (S::Completed | S::Rejected, A::Rate) => Some((s, step, accepted)),
                            _ => None,
                        };
                        let got = transition(p, a, 2).ok().map(|p| (p.state, p.step, p.accepted));
                        assert_eq!(got, expected, "{s:?} step {step} accepted {accepted} --{a:?}-->");
                    }
                }
            }
        }
    }

    #[test]
    fn rating_once_and_messages() {
        let p = Position { rated: true, ..pos(State::Completed, 0, true) };
        assert_eq!(transition(p, Action::Rate, 1), Err(TransitionError::AlreadyRated));
        let e = transition(pos(State::Completed, 0, true), Action::Accept, 1).unwrap_err().to_string();
        assert!(e.contains("已办结") && e.contains("受理"), "{e}");
        assert_eq!(
            available(pos(State::Reviewing, 0, true), 1, false),
            vec![Action::RequestCorrection, Action::Approve, Action::Deny]
        );
        assert_eq!(available(pos(State::Correction, 0, true), 1, true), vec![Action::Resubmit]);
        assert!(available(pos(State::Correction, 0, true), 1, false).is_empty());
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        assert!(is_bad_rating("very_unsatisfied") && !is_bad_rating("basic"));
        assert_eq!(rating_label("very_satisfied"), Some("非常满意"));
    }

    #[test]
    fn forms_are_checked_as_data() {
        let f = |name: &str, kind: &str, required: bool| FormField {
            name: name.into(),
            label: name.to_uppercase(),
            kind: kind.into(),
            required,
            options: if kind == "select" { vec!["甲".into(), "乙".into()] } else { vec![] },
            ..FormField::default()
        };
        assert!(check_form(&[f("a", "text", true), f("b", "select", false)]).is_ok());
        assert!(check_form(&[f("a", "text", true), f("a", "text", true)]).unwrap_err().contains("重复"));
        assert!(check_form(&[f("a b", "text", true)]).is_err());
        assert!(check_form(&[f("a", "colour", true)]).unwrap_err().contains("不支持"));
        assert!(check_form(&[FormField { options: vec![], ..f("s", "select", true) }]).unwrap_err().contains("选项"));
        let fields = [
            f("name", "text", true),
            f("id", "id_number", true),
            f("org", "uscc", false),
            f("n", "number", false),
            f("d", "date", false),
            f("s", "select", false),
            f("p", "phone", false),
        ];
        let mut v = std::collections::BTreeMap::new();
        v.insert("id".to_owned(), "110105194912310021".to_owned());
        v.insert("org".to_owned(), "91230100MA1B2C3D4X".to_owned());
        v.insert("n".to_owned(), "十".to_owned());
        v.insert("d".to_owned(), "2026-02-30".to_owned());
        v.insert("s".to_owned(), "丙".to_owned());
        v.insert("p".to_owned(), "123".to_owned());
        let errs: Vec<String> = validate_form(&fields, &v).into_iter().map(|e| e.0).collect();
        assert_eq!(errs, ["name", "id", "org", "n", "d", "s", "p"]);
        v.insert("name".to_owned(), "王建国".to_owned());
        v.insert("id".to_owned(), "11010519491231002X".to_owned());
        v.insert("org".to_owned(), platform_uscc());
        v.insert("n".to_owned(), "12.5".to_owned());
        v.insert("d".to_owned(), "2026-02-28".to_owned());
        v.insert("s".to_owned(), "乙".to_owned());
        v.insert("p".to_owned(), "0451-86661234".to_owned());
        assert!(validate_form(&fields, &v).is_empty(), "{:?}", validate_form(&fields, &v));
    }

    /// A valid 统一社会信用代码 (GB 32100 check character computed by hand).
    fn platform_uscc() -> String {
        let code = "91230100MA1B2C3D4";
        const ALPHA: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        let sum: usize = code.chars().zip(w).map(|(c, w)| ALPHA.find(c).unwrap_or(0) * w).sum();
        format!("{code}{}", ALPHA.chars().nth((31 - sum % 31) % 31).unwrap_or('0'))
    }

    #[test]
    fn guide_lists_round_trip_as_lines() {
        let m = parse_materials("营业执照|复印件|1|是|申请人自备|加盖公章\n身份证明||2|否").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[1].copies, m[1].required), (2, false));
        assert_eq!(parse_materials(&format_materials(&m)).unwrap(), m);
        assert!(parse_materials("|复印件").unwrap_err().contains("第 1 行"));
        assert!(parse_materials("执照|复印件|两份").unwrap_err().contains("不是数字"));
        let with_links =
            parse_materials("申请表|原件|1|是|申请人自备||/banshi/items/A/blank|https://x.gov.cn/e.pdf").unwrap();
        assert_eq!(with_links[0].blank_url, "/banshi/items/A/blank");
        assert_eq!(with_links[0].example_url, "https://x.gov.cn/e.pdf");
        assert_eq!(parse_materials(&format_materials(&with_links)).unwrap(), with_links);
        assert!(parse_materials("申请表|原件|1|是|||javascript:alert(1)").unwrap_err().contains("空白表格"));
        assert!(parse_materials("申请表|原件|1|是||||//evil.example/x").unwrap_err().contains("示范文本"));
        let f = parse_form("name|姓名|text|是||\nkind|类型|select|否|新办;变更|请选择").unwrap();
        assert_eq!(f[1].options, ["新办", "变更"]);
        assert_eq!(parse_form(&format_form(&f)).unwrap(), f);
        assert!(parse_form("a|甲|colour").is_err());
        let q = parse_faq("需要本人到场吗？|不需要，全程网办。").unwrap();
        assert_eq!(parse_faq(&format_faq(&q)).unwrap(), q);
        assert!(parse_faq("只有问题").is_err());
        assert_eq!(parse_lines(" 申请\n\n受理 \n"), ["申请", "受理"]);
    }

    #[test]
    fn separation_of_duties_and_decision_numbers() {
        let names: Vec<String> = ["受理审查", "审核", "审批"].map(String::from).to_vec();
        let distinct = vec!["审批".to_owned()];
        let d = |action, step, actor: i64| Done { action, step, actor_id: Some(actor) };
        // Handler 7 accepted, passed 受理审查 (→ step 1) and 审核 (→ step 2).
        let h = [d(Action::Accept, 0, 7), d(Action::Approve, 1, 7), d(Action::Approve, 2, 7)];
        assert_eq!(previous_step_actor(&h, 0), Some(7));
        assert_eq!(previous_step_actor(&h, 2), Some(7));
        assert!(separation_ok(&names, &distinct, &h, 1, 7), "审核 does not require another person");
        assert!(!separation_ok(&names, &distinct, &h, 2, 7), "审批 by the one who passed 审核");
        assert!(separation_ok(&names, &distinct, &h, 2, 8));
        // After a 补正 the step is passed again by someone else: the latest counts.
        let again =
            [d(Action::Accept, 0, 7), d(Action::Approve, 1, 7), d(Action::Approve, 2, 7), d(Action::Approve, 2, 9)];
        assert!(separation_ok(&names, &distinct, &again, 2, 7));
        assert!(!separation_ok(&names, &distinct, &again, 2, 9));
        assert!(separation_ok(&names, &[], &h, 2, 7));
        assert!(!separation_ok(&names, &["受理审查".to_owned()], &h, 0, 7));
        assert_eq!(agency_abbr("哈尔滨市市场监督管理局"), "哈市监");
        assert_eq!(agency_abbr("哈尔滨市人力资源和社会保障局"), "哈人社");
        assert_eq!(agency_abbr("哈尔滨市道里区人民政府"), "哈道里");
        assert_eq!(agency_abbr("统计局"), "统计");
        assert_eq!(decision_number("哈尔滨市市场监督管理局", true, 2026, 12), "哈市监准字〔2026〕第0012号");
        assert_eq!(decision_number("哈尔滨市公安局", false, 2027, 3), "哈公不准字〔2027〕第0003号");
        let r = remedies("哈尔滨市公安局", "哈尔滨市人民政府");
        assert!(r.contains("六十日内向哈尔滨市人民政府申请行政复议") && r.contains("六个月内"));
    }

    #[test]
    fn material_slots_and_corrections() {
        let m = parse_materials("公司章程|原件|1|是\n住所使用证明|复印件|1|是\n授权委托书|原件|1|否").unwrap();
        assert_eq!(required_materials(&m), ["公司章程", "住所使用证明"]);
        assert_eq!(Material::slot(1), "mat_1");
        assert_eq!(material_of(&m[0].file_field()), Some("公司章程"));
        assert_eq!(material_of("v_photo"), None);
        let req = required_materials(&m);
        assert_eq!(missing_uploads(&m, &req, &[]), [(0, "公司章程"), (1, "住所使用证明")]);
        assert_eq!(missing_uploads(&m, &req, &[1, 2]), [(0, "公司章程")]);
        assert!(missing_uploads(&m, &req, &[0, 1]).is_empty());
        // A 补正 for the articles alone asks for nothing else.
        assert!(missing_uploads(&m, &["公司章程".to_owned()], &[0]).is_empty());
        let (names, note) = correction_request(&m, &["公司章程".into(), "公司章程".into()], "").unwrap();
        assert_eq!((names, note.as_str()), (vec!["公司章程".to_owned()], "请重新上传以下材料：公司章程。"));
        let (_, note) = correction_request(&m, &["公司章程".into()], "须加盖公章").unwrap();
        assert_eq!(note, "请重新上传以下材料：公司章程。须加盖公章");
        assert_eq!(correction_request(&m, &[], "请补充经营范围").unwrap(), (vec![], "请补充经营范围".to_owned()));
        assert!(correction_request(&m, &[], " ").unwrap_err().contains("一次性告知"));
        assert!(correction_request(&m, &["营业执照".into()], "").unwrap_err().contains("不是本事项"));
    }

    #[test]
    fn score_sheets_scores_conflicts_and_ranking() {
        let sheet = parse_sheet("创新性|40\n可行性|30\n预期效益|30").unwrap();
        assert_eq!(sheet.len(), 3);
        assert!(parse_sheet("创新性|40\n可行性|30").unwrap_err().contains("合计应为 100"));
        assert!(parse_sheet("创新性").is_err());
        assert_eq!(check_scores(&sheet, &[35, 25, 20]), Ok(80));
        assert!(check_scores(&sheet, &[41, 25, 20]).unwrap_err().contains("创新性"));
        assert!(check_scores(&sheet, &[35, 25]).is_err());
        assert!(conflict_of_interest("哈尔滨工业大学", "哈尔滨 工业大学"));
        assert!(!conflict_of_interest("哈尔滨工业大学", "哈尔滨工程大学"));
        assert!(!conflict_of_interest("", ""));
        let r = |id, totals: &[u32], first: &[u32], at| Reviewed {
            id,
            totals: totals.to_vec(),
            first: first.to_vec(),
            submitted_at: at,
        };
        // 2 and 3 tie on the average (85.0); 3 has the higher first criterion; 4 ties 3 fully but came later.
        let ranked = rank(&[
            r(1, &[70, 80], &[30, 30], 10),
            r(2, &[85, 85], &[30, 30], 5),
            r(3, &[90, 80], &[36, 34], 20),
            r(4, &[80, 90], &[34, 36], 30),
        ]);
        assert_eq!(ranked.iter().map(|x| x.0).collect::<Vec<_>>(), [3, 4, 2, 1]);
        assert_eq!(ranked[0].1, 8500);
        assert_eq!(ranked[3].1, 7500);
    }

    #[test]
    fn guide_completeness() {
        let full = GuideCheck {
            name: "企业设立登记",
            basis: "《市场主体登记管理条例》",
            conditions: "符合条件的申请人",
            materials: 3,
            place: "市政务服务中心",
            agency: "市市场监督管理局",
            fee_stated: true,
            hours: "工作日 9:00-17:00",
            phone: "0451-12345",
            steps: 4,
        };
        assert!(missing_elements(&full).is_empty());
        let empty = GuideCheck {
            name: "",
            basis: " ",
            conditions: "",
            materials: 0,
            place: "",
            agency: "",
            fee_stated: false,
            hours: "",
            phone: "",
            steps: 0,
        };
        assert_eq!(
            missing_elements(&empty),
            [
                "事项名称",
                "设定依据",
                "申请条件",
                "办理材料",
                "办理地点",
                "办理机构",
                "收费标准",
                "办理时间",
                "联系电话",
                "办理流程"
            ]
        );
    }
}
