//! Online-service operations: checking and saving items, applying (identity checks, the item's
//! form, uploaded materials), who may act on an application, transitions with their time-limit
//! effects (补正 stops the clock; acceptance starts it), mail to the applicant, 好差评 with
//! follow-ups for 差评, and audit. Pages and the API both call these.

use std::collections::BTreeMap;
use std::sync::Arc;

use platform::accounts::{self, OrgUnit};
use platform::calendar::{CachedCalendar, Limit, PausableDeadline, WorkCalendar, date_text, today};
use platform::db::{Arg, Db, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::{AppError, AppState, Auth, Ctx, FieldError};
use platform::workflow::{self, Change, Effect, Transition};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::domain::{self, Action, Material, Position, State};
use crate::store::{self, Application, Item};

pub struct Services {
    pub files_dir: std::path::PathBuf,
    calendar: CachedCalendar,
    /// The site group's search index, where service items are found beside articles.
    pub search: Option<Arc<search::SearchIndex>>,
    /// How fees are taken (一口式收费): the cashier at the window first, then any payment platform
    /// a deployment adds.
    pub fee_providers: Vec<Arc<dyn crate::fees::PaymentProvider>>,
}

impl Services {
    pub fn new(data_dir: &std::path::Path, search: Option<Arc<search::SearchIndex>>) -> Arc<Services> {
        Arc::new(Services {
            files_dir: data_dir.join("files").join("applications"),
            calendar: CachedCalendar::default(),
            search,
            fee_providers: vec![Arc::new(crate::fees::Cashier)],
        })
    }
    pub async fn calendar(&self, db: &Db) -> Arc<WorkCalendar> {
        self.calendar.get(db).await
    }
}

pub use platform::intake::{hash_code, query_code};

pub fn item_scope(orgs: &[OrgUnit], item_org: i64) -> ResourceScope {
    accounts::org_scope(orgs, item_org)
}

/// Org units whose cases `auth` handles (see [`Auth::units_with`]).
pub fn handled_orgs(auth: &Auth, orgs: &[OrgUnit]) -> Option<Vec<i64>> {
    auth.units_with(Perm::ApplicationHandle, orgs)
}

// ---- items --------------------------------------------------------------------------------------

/// An item as the back-office form sends it: the lists as lines (see `domain::parse_*`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["code", "name", "kind", "org_code", "audience", "legal_days", "promised_days"]))]
pub struct ItemForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub impl_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub org_code: String,
    #[serde(default)]
    pub dept: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub conditions: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub materials: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub legal_days: String,
    #[serde(default)]
    pub promised_days: String,
    #[serde(default)]
    pub fee: Option<String>,
    #[serde(default)]
    pub fee_basis: String,
    #[serde(default)]
    pub fee_standard: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub visits: String,
    #[serde(default)]
    pub online_depth: String,
    #[serde(default)]
    pub consult_phone: String,
    #[serde(default)]
    pub complaint_phone: String,
    #[serde(default)]
    pub faq: String,
    #[serde(default)]
    pub themes: String,
    #[serde(default)]
    pub life_events: String,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub review_steps: String,
    /// 须由不同人员办理的审查环节（环节名称，以顿号或换行分隔；缺省为名为「审批」的环节）
    #[serde(default)]
    pub distinct_steps: Option<String>,
    #[serde(default)]
    pub online: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
}

impl ItemForm {
    /// The steps named in `distinct_steps` (separated by 、 , ， or new lines); none when the
    /// form did not say (then the step named 审批 is the default).
    pub fn distinct_step_names(&self) -> Option<Vec<String>> {
        self.distinct_steps.as_deref().map(|text| {
            text.split(['、', ',', '，', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        })
    }

    pub fn from_item(i: &Item, orgs: &[OrgUnit]) -> ItemForm {
        ItemForm {
            code: i.code.clone(),
            impl_code: i.impl_code.clone(),
            name: i.name.clone(),
            kind: i.kind.clone(),
            org_code: orgs.iter().find(|o| o.id == i.org_id).map(|o| o.code.clone()).unwrap_or_default(),
            dept: i.dept.clone(),
            basis: i.basis.clone(),
            conditions: i.conditions.clone(),
            audience: i.audience.clone(),
            materials: domain::format_materials(&i.materials()),
            notes: i.notes.clone(),
            steps: i.steps().join("\n"),
            legal_days: i.legal_days.to_string(),
            promised_days: i.promised_days.to_string(),
            fee: i.fee.then(|| "on".to_owned()),
            fee_basis: i.fee_basis.clone(),
            fee_standard: i.fee_standard.clone(),
            place: i.place.clone(),
            hours: i.hours.clone(),
            visits: i.visits.to_string(),
            online_depth: i.online_depth.to_string(),
            consult_phone: i.consult_phone.clone(),
            complaint_phone: i.complaint_phone.clone(),
            faq: domain::format_faq(&i.faq()),
            themes: i.themes.clone(),
            life_events: i.life_events.clone(),
            form: domain::format_form(&i.form()),
            review_steps: i.review_steps().join("\n"),
            distinct_steps: Some(i.distinct_steps().join("、")),
            online: i.online.then(|| "on".to_owned()),
            published: i.published.then(|| "on".to_owned()),
        }
    }
}

fn num(v: &str, field: &str, label: &str, range: std::ops::RangeInclusive<i64>, errs: &mut Vec<FieldError>) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errs.push(FieldError::new(field, format!("{label}应为 {} 到 {} 的整数", range.start(), range.end())));
            0
        }
    }
}

/// Checks an item form; every problem named by field.
pub fn check_item(f: &ItemForm, orgs: &[OrgUnit]) -> Result<Item, AppError> {
    let mut errs = Vec::new();
    let code = f.code.trim();
    if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errs.push(FieldError::new("code", "事项编码只能由字母、数字和连字符组成，不超过 40 个字符"));
    }
    if f.name.trim().is_empty() || f.name.trim().chars().count() > 60 {
        errs.push(FieldError::new("name", "请填写事项名称（不超过 60 个字）"));
    }
    if !domain::ITEM_KINDS.contains(&f.kind.as_str()) {
        errs.push(FieldError::new("kind", "请选择事项类型"));
    }
    let org = orgs.iter().find(|o| o.code == f.org_code.trim());
    if org.is_none() {
        errs.push(FieldError::new("org_code", "请选择实施机构"));
    }
    if !["person", "org", "both"].contains(&f.audience.as_str()) {
        errs.push(FieldError::new("audience", "请选择服务对象"));
    }
    let materials = domain::parse_materials(&f.materials).unwrap_or_else(|e| {
        errs.push(FieldError::new("materials", e));
        Vec::new()
    });
    let faq = domain::parse_faq(&f.faq).unwrap_or_else(|e| {
        errs.push(FieldError::new("faq", e));
        Vec::new()
    });
    let form = domain::parse_form(&f.form).unwrap_or_else(|e| {
        errs.push(FieldError::new("form", e));
        Vec::new()
    });
    let legal = num(&f.legal_days, "legal_days", "法定办结时限", 0..=365, &mut errs);
    let promised = num(&f.promised_days, "promised_days", "承诺办结时限", 0..=365, &mut errs);
    if promised > legal && legal > 0 {
        errs.push(FieldError::new("promised_days", "承诺时限不能长于法定时限"));
    }
    let visits =
        if f.visits.trim().is_empty() { 0 } else { num(&f.visits, "visits", "到现场次数", 0..=5, &mut errs) };
    let depth = if f.online_depth.trim().is_empty() {
        4
    } else {
        num(&f.online_depth, "online_depth", "网办深度", 1..=4, &mut errs)
    };
    if f.fee.is_some() && f.fee_standard.trim().is_empty() {
        errs.push(FieldError::new("fee_standard", "收费事项请填写收费标准"));
    }
    let review_steps = domain::parse_lines(&f.review_steps);
    let review_steps = if review_steps.is_empty() { vec!["审查".to_owned()] } else { review_steps };
    let distinct: Vec<String> = f
        .distinct_step_names()
        .unwrap_or_else(|| review_steps.iter().filter(|s| s.as_str() == "审批").cloned().collect());
    if let Some(unknown) = distinct.iter().find(|d| !review_steps.contains(d)) {
        errs.push(FieldError::new("distinct_steps", format!("「{unknown}」不是本事项的审查环节")));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok(Item {
        id: 0,
        code: code.to_owned(),
        impl_code: f.impl_code.trim().to_owned(),
        name: f.name.trim().to_owned(),
        kind: f.kind.clone(),
        org_id: org.map_or(0, |o| o.id),
        dept: f.dept.trim().to_owned(),
        basis: f.basis.trim().to_owned(),
        conditions: f.conditions.trim().to_owned(),
        audience: f.audience.clone(),
        materials: json(&materials),
        notes: f.notes.trim().to_owned(),
        steps: json(&domain::parse_lines(&f.steps)),
        legal_days: legal,
        promised_days: promised,
        fee: f.fee.is_some(),
        fee_basis: f.fee_basis.trim().to_owned(),
        fee_standard: f.fee_standard.trim().to_owned(),
        place: f.place.trim().to_owned(),
        hours: f.hours.trim().to_owned(),
        visits,
        online_depth: depth,
        consult_phone: f.consult_phone.trim().to_owned(),
        complaint_phone: f.complaint_phone.trim().to_owned(),
        faq: json(&faq),
        themes: f.themes.trim().to_owned(),
        life_events: f.life_events.trim().to_owned(),
        form: json(&form),
        review_steps: json(&review_steps),
        distinct_steps: json(&distinct),
        online: f.online.is_some(),
        published: f.published.is_some(),
        version: 0,
        updated_at: 0,
    })
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub fn completeness(i: &Item, orgs: &[OrgUnit]) -> Vec<&'static str> {
    let agency = orgs.iter().find(|o| o.id == i.org_id).map(|o| o.name.as_str()).unwrap_or("");
    domain::missing_elements(&domain::GuideCheck {
        name: &i.name,
        basis: &i.basis,
        conditions: &i.conditions,
        materials: i.materials().len(),
        place: &i.place,
        agency,
        fee_stated: !i.fee || !i.fee_standard.trim().is_empty(),
        hours: &i.hours,
        phone: &i.consult_phone,
        steps: i.steps().len(),
    })
}

/// Saves an item from the form (new when `id` is 0), with permission on its department and audit.
pub async fn save_item(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, f: &ItemForm) -> Result<i64, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut item = check_item(f, &orgs)?;
    auth.require(Perm::ServiceManage, &item_scope(&orgs, item.org_id))?;
    if id != 0 {
        let old = store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
        auth.require(Perm::ServiceManage, &item_scope(&orgs, old.org_id))?;
    }
    if let Some(other) = store::item_by_code(&state.db, &item.code).await?
        && other.id != id
    {
        return Err(AppError::invalid("code", format!("事项编码「{}」已被「{}」使用", item.code, other.name)));
    }
    item.id = id;
    let saved = store::save_item(&state.db, &item, &auth.user.username).await?;
    state
        .audit(
            ctx,
            if id == 0 { "service_item.create" } else { "service_item.update" },
            &format!("item:{}", item.code),
            "success",
            item.name.clone(),
        )
        .await;
    Ok(saved)
}

// ---- applications -------------------------------------------------------------------------------

/// What an applicant sends.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApplyInput {
    /// person or org
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_code: String,
    pub phone: String,
    pub email: String,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub id: i64,
    pub no: String,
    pub query_code: String,
}

/// What an application may carry: each declared material up to 10 MB, 20 files and 40 MB in all.
pub const MATERIALS: platform::intake::UploadRules = platform::intake::UploadRules {
    types: platform::intake::MATERIALS,
    max_bytes: 10 << 20,
    max_count: 20,
    max_total_bytes: 40 << 20,
};

/// Applications accepted from one address per hour (an office's shared address files many, so
/// the limit is generous; it stops scripts, not people).
pub const PER_IP_PER_HOUR: i64 = 30;

/// Where an upload of a public form belongs: `mat_{i}` answers the item's i-th material and is
/// stored under that material's name; `v_{name}` is a file field of the item's form. Anything else
/// belongs nowhere and is refused.
pub fn upload_target(item: &Item, field: &str) -> Option<(String, Option<usize>)> {
    if let Some(i) = field.strip_prefix("mat_").and_then(|i| i.parse::<usize>().ok()) {
        return item.materials().get(i).map(|m| (m.file_field(), Some(i)));
    }
    let name = field.strip_prefix("v_")?;
    item.form().iter().any(|f| f.kind == "file" && f.name == name).then(|| (name.to_owned(), None))
}

/// Checks the uploads of a form: each belongs to a slot and passes the type, size and content
/// checks; every material in `wanted` (all required ones for a new application, the requested
/// ones for a 补正) has a file. Problems are named by slot.
pub fn check_uploads(item: &Item, wanted: &[String], files: &[(String, String, Vec<u8>)]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut answered = Vec::new();
    for (field, name, bytes) in files {
        match upload_target(item, field) {
            None => errs.push(FieldError::new("form", format!("「{name}」不是本事项要求的材料，请在对应材料栏上传"))),
            Some((_, slot)) => {
                if let Err(e) = MATERIALS.check(name, bytes) {
                    errs.push(FieldError::new(field, e));
                } else if let Some(i) = slot {
                    answered.push(i);
                }
            }
        }
    }
    for (i, m) in domain::missing_uploads(&item.materials(), wanted, &answered) {
        if !errs.iter().any(|e| e.field == Material::slot(i)) {
            errs.push(FieldError::new(&Material::slot(i), format!("请上传「{m}」")));
        }
    }
    if let Err(e) = MATERIALS.check_all(files.iter().map(|(_, _, b)| b.as_slice())) {
        errs.push(FieldError::new("form", e));
    }
    errs
}

/// Everything wrong with an application before it is stored: identity, contact, the item's form
/// and its materials. Each problem names its field.
pub fn check_application(item: &Item, input: &ApplyInput, files: &[(String, String, Vec<u8>)]) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let kind = input.applicant_kind.as_str();
    let allowed = match item.audience.as_str() {
        "person" => kind == "person",
        "org" => kind == "org",
        _ => kind == "person" || kind == "org",
    };
    if !allowed {
        errs.push(FieldError::new(
            "applicant_kind",
            if item.audience == "org" { "本事项只受理法人申请" } else { "本事项只受理个人申请" },
        ));
    }
    if input.applicant_name.trim().is_empty() || input.applicant_name.trim().chars().count() > 60 {
        errs.push(FieldError::new("applicant_name", if kind == "org" { "请填写单位名称" } else { "请填写申请人姓名" }));
    }
    let code = input.applicant_code.trim().to_ascii_uppercase();
    if kind == "org" {
        if code.chars().count() != 18 || platform::codes::check_org_code(&code).is_some() {
            errs.push(FieldError::new("applicant_code", "统一社会信用代码不正确（18 位，请核对最后一位校验码）"));
        }
    } else if !platform::codes::valid_id_number(&code) {
        errs.push(FieldError::new("applicant_code", "身份证号码不正确（18 位，请核对出生日期和最后一位校验码）"));
    }
    if !platform::codes::valid_phone(input.phone.trim()) {
        errs.push(FieldError::new("phone", "联系电话格式不正确（手机号 11 位，固定电话请带区号）"));
    }
    let email = input.email.trim();
    if !email.is_empty() && (!email.contains('@') || !email.contains('.')) {
        errs.push(FieldError::new("email", "电子邮箱格式不正确"));
    }
    let form = item.form();
    for (f, m) in domain::validate_form(&form, &input.values) {
        errs.push(FieldError::new(&format!("v_{f}"), m));
    }
    for f in form.iter().filter(|f| f.kind == "file" && f.required) {
        let field = format!("v_{}", f.name);
        if !files.iter().any(|(name, _, b)| name == &field && !b.is_empty()) {
            errs.push(FieldError::new(&field, format!("请上传{}", f.label)));
        }
    }
    errs.extend(check_uploads(item, &domain::required_materials(&item.materials()), files));
    errs
}

/// Writes uploads to the application file store; returns (stored field, name, stored file, size).
async fn store_uploads(
    svc: &Services,
    item: &Item,
    files: Vec<(String, String, Vec<u8>)>,
) -> Result<Vec<(String, String, String, i64)>, AppError> {
    let mut stored = Vec::new();
    if !files.is_empty() {
        tokio::fs::create_dir_all(&svc.files_dir).await.map_err(|e| AppError::Internal(e.to_string()))?;
    }
    for (field, name, bytes) in files {
        let Some((target, _)) = upload_target(item, &field) else { continue };
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let file = format!("{}.{ext}", platform::security::random_token(16));
        tokio::fs::write(svc.files_dir.join(&file), &bytes).await.map_err(|e| AppError::Internal(e.to_string()))?;
        stored.push((target, name.chars().take(100).collect(), file, i64::try_from(bytes.len()).unwrap_or(i64::MAX)));
    }
    Ok(stored)
}

/// Checks and stores an application with its materials, and mails the receipt when an address was
/// given. The caller has checked the public form's captcha (the API needs none).
pub async fn apply(
    state: &AppState,
    svc: &Services,
    item: &Item,
    input: &ApplyInput,
    files: Vec<(String, String, Vec<u8>)>,
    ip: &str,
) -> Result<Receipt, AppError> {
    if !item.published || !item.online {
        return Err(AppError::Conflict(format!("「{}」暂不支持网上申请", item.name)));
    }
    let errs = check_application(item, input, &files);
    let kind = input.applicant_kind.as_str();
    let code = input.applicant_code.trim().to_ascii_uppercase();
    let email = input.email.trim();
    let form = item.form();
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let recent = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM application WHERE ip = $1 AND submitted_at >= $2")
                .bind(ip)
                .bind(platform::db::now() - 3600),
        )
        .await?;
    if recent >= PER_IP_PER_HOUR {
        return Err(AppError::TooManyRequests("提交太频繁了，请一小时后再试".into()));
    }
    let stored = store_uploads(svc, item, files).await?;
    let qc = query_code();
    let now = platform::db::now();
    let values: BTreeMap<&String, &String> =
        input.values.iter().filter(|(k, _)| form.iter().any(|f| &f.name == *k && f.kind != "file")).collect();
    let (id, no) = store::insert_application(
        &state.db,
        &store::NewApplication {
            item,
            applicant_kind: kind,
            applicant_name: input.applicant_name.trim(),
            applicant_code: &code,
            phone: input.phone.trim(),
            email,
            form_data: &serde_json::to_string(&values).unwrap_or_else(|_| "{}".into()),
            query_hash: &hash_code(&qc),
            ip,
            day: &date_text(today()).replace('-', ""),
            at: now,
        },
        &stored,
    )
    .await?;
    if !email.is_empty() {
        state.send_mail(
            email,
            &format!("【网上办事】{}申请已提交（受理编号 {no}）", item.name),
            &format!("{}：\n\n您申请的「{}」已提交。\n受理编号：{no}\n查询码：{qc}\n\n凭受理编号和查询码可随时查询办理进度。承诺办结时限：{} 个工作日（自受理之日起）。", input.applicant_name.trim(), item.name, item.promised_days),
        ).await;
    }
    Ok(Receipt { id, no, query_code: qc })
}

pub fn position(a: &Application) -> Position {
    Position {
        state: State::parse(&a.state).unwrap_or(State::Submitted),
        step: u32::try_from(a.step).unwrap_or(0),
        accepted: a.accepted,
        rated: a.rating.is_some(),
    }
}

fn pauses(a: &Application) -> Vec<(String, String)> {
    serde_json::from_str(&a.pauses).unwrap_or_default()
}

/// The application's deadline with its pauses (None before acceptance).
pub fn deadline(a: &Application, item: &Item) -> Option<PausableDeadline> {
    let start = platform::calendar::date(a.accepted_on.as_deref()?)?;
    let mut d = PausableDeadline::new(start, Limit::WorkingDays(u32::try_from(item.promised_days).unwrap_or(0)));
    for (from, to) in pauses(a) {
        if let (Some(f), Some(t)) = (platform::calendar::date(&from), platform::calendar::date(&to)) {
            d.pauses.push((f, Some(t)));
        }
    }
    if let Some(p) = a.paused_on.as_deref().and_then(platform::calendar::date) {
        d.pauses.push((p, None));
    }
    Some(d)
}

/// Due colour: (working days left, warning?, overdue?).
pub fn due_status(cal: &WorkCalendar, a: &Application, today: Date) -> Option<(i64, &'static str)> {
    let due = platform::calendar::date(a.due_date.as_deref()?)?;
    let st = State::parse(&a.state)?;
    if !st.clock_runs() && st != State::Submitted {
        return None;
    }
    let left = cal.workdays_left(today, due);
    Some((
        left,
        if left < 0 {
            "overdue"
        } else if left <= 2 {
            "warning"
        } else {
            "normal"
        },
    ))
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ActInput {
    /// 意见（退回、补正、不予办理须写明理由）
    #[serde(default)]
    pub comment: String,
    /// 法律依据（不予受理、不予办理）
    #[serde(default)]
    pub legal_basis: String,
    /// 好差评（rate）
    #[serde(default)]
    pub rating: String,
    /// Corrected form values (补正) by field name.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// 补正：需重新上传的申请材料名称
    #[serde(default)]
    pub materials: Vec<String>,
    /// The applicant's re-uploaded materials (补正), by upload slot; only from the public form.
    #[serde(skip)]
    #[schemars(skip)]
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// An application with its item (the item's time limit, steps and form decide what happens).
pub struct Case {
    pub app: Application,
    pub item: Item,
}

impl Case {
    pub async fn load(db: &Db, id: i64) -> Result<Case, AppError> {
        let app = store::application(db, id).await?.ok_or(AppError::NotFound)?;
        let item = store::item(db, app.item_id).await?.ok_or(AppError::NotFound)?;
        Ok(Case { app, item })
    }
    pub async fn by_no(db: &Db, no: &str) -> Result<Case, AppError> {
        let app = store::application_by_no(db, no).await?.ok_or(AppError::NotFound)?;
        let item = store::item(db, app.item_id).await?.ok_or(AppError::NotFound)?;
        Ok(Case { app, item })
    }
}

pub enum By<'a> {
    Staff(&'a Auth),
    Applicant,
}

/// Performs `action` on an application: role and state checks, time-limit effects, event, mail,
/// audit; returns the application as it is now.
pub async fn act(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    by: By<'_>,
    case: &Case,
    action: Action,
    input: &ActInput,
) -> Result<Application, AppError> {
    let (a, item) = (&case.app, &case.item);
    match &by {
        By::Staff(auth) => {
            let orgs = accounts::list_orgs(&state.db).await?;
            auth.require(Perm::ApplicationHandle, &item_scope(&orgs, a.org_id))?;
            if action.by_applicant() {
                return Err(AppError::Conflict(format!("「{}」由申请人办理", action.label())));
            }
        }
        By::Applicant => {
            if !action.by_applicant() {
                return Err(AppError::Forbidden(format!("申请人不能执行「{}」", action.label())));
            }
        }
    }
    let steps = u32::try_from(item.review_steps().len()).unwrap_or(1);
    let from = position(a);
    let to = domain::transition(from, action, steps).map_err(|e| AppError::Conflict(e.to_string()))?;
    let comment = input.comment.trim();
    if action.needs_comment() && action != Action::RequestCorrection && comment.is_empty() {
        return Err(AppError::invalid("comment", "请填写理由"));
    }
    let actor_id = match &by {
        By::Staff(auth) => Some(auth.user.id),
        By::Applicant => None,
    };
    if let (Action::Approve | Action::Deny, Some(me)) = (action, actor_id) {
        let history: Vec<domain::Done> = store::events(&state.db, a.id)
            .await?
            .iter()
            .filter_map(|e| {
                Some(domain::Done {
                    action: Action::parse(&e.action)?,
                    step: u32::try_from(e.step).ok()?,
                    actor_id: e.actor_id,
                })
            })
            .collect();
        if !domain::separation_ok(&item.review_steps(), &item.distinct_steps(), &history, from.step, me) {
            let names = item.review_steps();
            let name = names.get(usize::try_from(from.step).unwrap_or(0)).map_or("本环节", String::as_str);
            return Err(AppError::Conflict(format!("「{name}」须由上一环节以外的人员办理，请转交其他同事审批")));
        }
    }
    let mut new_files = Vec::new();
    let cal = svc.calendar(&state.db).await;
    let day = today();
    let now = platform::db::now();
    // Columns the action sets besides the state: (column, value), or assignments written in code.
    let mut set: Vec<(&str, Arg)> = vec![("step", i64::from(to.step).into())];
    let mut exprs: Vec<&str> = Vec::new();
    let mut summary = comment.to_owned();
    let mut mail: Option<String> = None;
    match action {
        Action::Accept => {
            let due = cal.add_workdays(day, u32::try_from(item.promised_days).unwrap_or(0));
            exprs.push("accepted = TRUE");
            set.push(("accepted_on", (date_text(day)).into()));
            set.push(("due_date", (date_text(due)).into()));
            set.push(("step_started_at", now.into()));
            mail = Some(format!("您的申请已受理，承诺于 {} 前办结。", date_text(due)));
        }
        Action::Reject => {
            set.push(("decision_note", comment.into()));
            set.push(("decided_at", now.into()));
            mail = Some(format!("您的申请不予受理，理由：{comment}"));
        }
        Action::RequestCorrection => {
            let (names, note) = domain::correction_request(&item.materials(), &input.materials, comment)
                .map_err(|e| AppError::invalid("comment", e))?;
            summary = note.clone();
            set.push(("correction_note", note.clone().into()));
            set.push(("correction_materials", (serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())).into()));
            let comment = note.as_str();
            if a.accepted {
                // The clock stops while the applicant corrects (补正不计入办理时限).
                set.push(("paused_on", (date_text(day)).into()));
                exprs.push("due_date = NULL");
            }
            mail = Some(format!("您的申请需要补正，请按以下要求一次性补齐后重新提交：\n{comment}"));
        }
        Action::Resubmit => {
            let form = item.form();
            let mut values = a.values();
            for (k, v) in &input.values {
                if form.iter().any(|f| &f.name == k && f.kind != "file") {
                    values.insert(k.clone(), v.clone());
                }
            }
            let mut errs: Vec<FieldError> = domain::validate_form(&form, &values)
                .into_iter()
                .map(|(f, m)| FieldError::new(&format!("v_{f}"), m))
                .collect();
            errs.extend(check_uploads(item, &a.correction_materials(), &input.files));
            if !errs.is_empty() {
                return Err(AppError::Invalid(errs));
            }
            new_files = store_uploads(svc, item, input.files.clone()).await?;
            if !new_files.is_empty() {
                let names: Vec<&str> = new_files.iter().filter_map(|f| domain::material_of(&f.0)).collect();
                summary = format!("补正后重新提交，上传了{}", names.join("、"));
            }
            exprs.push("correction_materials = '[]'");
            set.push((
                "form_data",
                (platform::sealed::seal(&serde_json::to_string(&values).unwrap_or_default())).into(),
            ));
            if a.accepted {
                let mut p = pauses(a);
                p.push((a.paused_on.clone().unwrap_or_else(|| date_text(day)), date_text(day)));
                let resumed =
                    Application { pauses: serde_json::to_string(&p).unwrap_or_default(), paused_on: None, ..a.clone() };
                let due = deadline(&resumed, item).and_then(|d| d.due(&cal));
                set.push(("pauses", resumed.pauses.clone().into()));
                exprs.push("paused_on = NULL");
                set.push(("due_date", (due.map(date_text)).into()));
                if let Some(d) = due {
                    summary = format!(
                        "{}，办结期限顺延至 {}",
                        if summary.is_empty() { "补正后重新提交" } else { &summary },
                        date_text(d)
                    );
                }
            }
        }
        Action::Approve => {
            set.push(("step_started_at", now.into()));
            let names = item.review_steps();
            let step_name = names.get(usize::try_from(from.step).unwrap_or(0)).cloned().unwrap_or_default();
            summary =
                format!("{step_name}通过{}", if comment.is_empty() { String::new() } else { format!("：{comment}") });
            if to.state == State::Approved {
                let no = next_decision_number(&state.db, a.org_id, true).await?;
                set.push(("decided_at", now.into()));
                set.push(("decision_note", comment.into()));
                set.push(("decision_no", no.into()));
                mail = Some("您的申请已审查通过，准予办理。".to_owned());
            }
        }
        Action::Deny => {
            if input.legal_basis.trim().is_empty() {
                return Err(AppError::invalid("legal_basis", "不予办理须写明法律依据"));
            }
            let no = next_decision_number(&state.db, a.org_id, false).await?;
            set.push(("decided_at", now.into()));
            set.push(("decision_note", comment.into()));
            set.push(("legal_basis", input.legal_basis.trim().into()));
            set.push(("decision_no", no.into()));
            mail = Some(format!("您的申请不予办理。理由：{comment}；依据：{}", input.legal_basis.trim()));
        }
        Action::Complete => {
            if crate::fees::outstanding(&state.db, a.id).await? {
                return Err(AppError::Conflict("这件申请的费用尚未缴纳，缴费后才能办结".into()));
            }
            let d = deadline(a, item);
            let start = d.as_ref().map_or(day, |d| d.start);
            let paused: u32 = pauses(a)
                .iter()
                .filter_map(|(f, t)| {
                    Some(cal.workdays_between(platform::calendar::date(f)?, platform::calendar::date(t)?))
                })
                .sum();
            let worked = i64::from(cal.workdays_between(start, day).saturating_sub(paused));
            let on_time = a.due_date.as_deref().and_then(platform::calendar::date).is_none_or(|due| day <= due);
            set.push(("completed_at", now.into()));
            set.push(("workdays", worked.into()));
            set.push(("on_time", on_time.into()));
            mail = Some("您的申请已办结，欢迎对办理服务作出评价。".to_owned());
        }
        Action::Rate => {
            let label =
                domain::rating_label(&input.rating).ok_or_else(|| AppError::invalid("rating", "请选择评价等级"))?;
            set.push(("rating", input.rating.as_str().into()));
            set.push(("rating_comment", comment.into()));
            summary = format!("{label}{}", if comment.is_empty() { String::new() } else { format!("：{comment}") });
        }
    }
    let actor = match &by {
        By::Staff(auth) => auth.user.display_name.clone(),
        By::Applicant => "申请人".to_owned(),
    };
    let transition = Transition {
        action: action.code(),
        from: &a.state,
        to: to.state.code(),
        step: i64::from(to.step),
        actor: &actor,
        actor_id,
        comment: &summary,
    };
    let mut change = Change::new(&store::FLOW, a.id, a.updated_at, transition).tallied(&store::ApplicationTally);
    for (column, value) in set {
        change = change.set(column, value);
    }
    for e in exprs {
        change = change.set_expr(e);
    }
    for q in store::file_rows(a.id, &new_files, now) {
        change = change.also(q);
    }
    if action == Action::Rate && domain::is_bad_rating(&input.rating) {
        let due = cal.add_workdays(day, domain::FOLLOWUP_DAYS);
        change = change.also(store::open_followup(a.id, a.org_id, &input.rating, &date_text(due)));
    }
    if let Some(m) = mail {
        change = change
            .effect(Effect::Mail {
                to: a.email.to_string(),
                subject: format!("【网上办事】{}（受理编号 {}）", item.name, a.no),
                body: format!("{}：\n\n{m}\n\n凭受理编号和查询码可查询详情。", a.applicant_name),
            })
            .effect(Effect::Sms {
                to: a.phone.to_string(),
                text: format!("【网上办事】您申请的{}（{}）：{m}", item.name, a.no),
            });
    }
    // A decision number taken by a concurrent decision fails the unique index: the same answer as
    // a lost race.
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("办件刚被他人处理过，请刷新后再试".into()));
    }
    state
        .audit(
            ctx,
            &format!("application.{}", action.code()),
            &format!("application:{}", a.no),
            "success",
            format!("{}：{summary}", action.label()),
        )
        .await;
    store::application(&state.db, a.id).await?.ok_or(AppError::NotFound)
}

/// The next 文号 of an agency's decisions this year (准予 and 不准 counted apart).
async fn next_decision_number(db: &Db, org_id: i64, granted: bool) -> Result<String, AppError> {
    let orgs = accounts::list_orgs(db).await?;
    let agency = orgs.iter().find(|o| o.id == org_id).map_or("", |o| o.name.as_str());
    let year = today().year();
    let prefix = domain::decision_number(agency, granted, year, 0);
    let stem = prefix.trim_end_matches("第0000号");
    let n =
        db.count(sql("SELECT COUNT(*) FROM application WHERE decision_no LIKE $1").bind(format!("{stem}第%"))).await?;
    Ok(domain::decision_number(agency, granted, year, n + 1))
}

/// Where a decision may be challenged by 行政复议: the people's government above the agency (for a
/// department, its own government; for a government, the one above it).
pub fn review_body(orgs: &[OrgUnit], org_id: i64) -> String {
    let by_id = |id: i64| orgs.iter().find(|o| o.id == id);
    let mut at = by_id(org_id).and_then(|o| o.parent_id).and_then(by_id);
    while let Some(o) = at {
        if o.kind == "government" {
            return o.name.clone();
        }
        at = o.parent_id.and_then(by_id);
    }
    "上一级行政机关".to_owned()
}

pub async fn find_for_applicant(db: &Db, no: &str, code: &str) -> Result<Application, AppError> {
    match store::application_by_no(db, no.trim()).await? {
        Some(a) if hash_code(code) == a.query_hash => Ok(a),
        _ => Err(AppError::invalid("code", "受理编号或查询码不正确")),
    }
}

/// A department appeals a 差评 it considers malicious (恶意差评), with its reason.
pub async fn appeal(state: &AppState, ctx: &Ctx, auth: &Auth, case: &Case, reason: &str) -> Result<(), AppError> {
    let a = &case.app;
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ApplicationHandle, &item_scope(&orgs, a.org_id))?;
    if !a.rating.as_deref().is_some_and(domain::is_bad_rating) {
        return Err(AppError::Conflict("只能对“不满意”或“非常不满意”的评价提出申诉".into()));
    }
    if !a.appeal_state.is_empty() {
        return Err(AppError::Conflict("该评价已经申诉过".into()));
    }
    if reason.trim().chars().count() < 10 {
        return Err(AppError::invalid("reason", "请写明申诉理由和依据（至少 10 个字）"));
    }
    let transition = Transition {
        action: "appeal",
        from: &a.state,
        to: &a.state,
        step: a.step,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: reason.trim(),
    };
    let change = Change::new(&store::FLOW, a.id, a.updated_at, transition)
        .tallied(&store::ApplicationTally)
        .set_expr("appeal_state = 'pending'")
        .set("appeal_reason", reason.trim());
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("办件刚被他人处理过，请刷新后再试".into()));
    }
    state.audit(ctx, "application.appeal", &format!("application:{}", a.no), "success", reason.trim().to_owned()).await;
    Ok(())
}

/// A reviewer decides an appeal: upheld, the rating stops counting and its follow-up closes.
pub async fn decide_appeal(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    case: &Case,
    uphold: bool,
    comment: &str,
) -> Result<(), AppError> {
    let a = &case.app;
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ServiceManage, &item_scope(&orgs, a.org_id))?;
    if a.appeal_state != "pending" {
        return Err(AppError::Conflict("没有待审核的申诉".into()));
    }
    if comment.trim().chars().count() < 5 {
        return Err(AppError::invalid("comment", "请写明审核意见（至少 5 个字）"));
    }
    let decision = if uphold { "upheld" } else { "dismissed" };
    let action = if uphold { "appeal_upheld" } else { "appeal_dismissed" };
    let transition = Transition {
        action,
        from: &a.state,
        to: &a.state,
        step: a.step,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: comment.trim(),
    };
    let mut change = Change::new(&store::FLOW, a.id, a.updated_at, transition)
        .tallied(&store::ApplicationTally)
        .set("appeal_state", decision);
    if uphold {
        // An upheld appeal closes the rating's follow-up in the same transaction.
        change = change.also(
            sql("UPDATE rating_followup SET state = 'closed', response = $1, closed_at = $2 WHERE application_id = $3 AND state = 'open'")
                .bind(format!("申诉成立，不计入评价：{}", comment.trim()))
                .bind(platform::db::now())
                .bind(a.id),
        );
    }
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("办件刚被他人处理过，请刷新后再试".into()));
    }
    state
        .audit(
            ctx,
            &format!("application.{action}"),
            &format!("application:{}", a.no),
            "success",
            comment.trim().to_owned(),
        )
        .await;
    Ok(())
}

/// Closes a 差评 follow-up with what the department did (回访、整改).
pub async fn close_followup(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, response: &str) -> Result<(), AppError> {
    let fu = store::followup(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ApplicationHandle, &item_scope(&orgs, fu.org_id))?;
    if response.trim().chars().count() < 5 {
        return Err(AppError::invalid("response", "请写明回访和整改情况（至少 5 个字）"));
    }
    if store::close_followup(&state.db, id, response.trim()).await? == 0 {
        return Err(AppError::Conflict("该回访已办结".into()));
    }
    state.audit(ctx, "rating_followup.close", &format!("followup:{id}"), "success", response.trim().to_owned()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_cases_say_how_many_working_days_late() {
        let cal = WorkCalendar::shipped();
        let d = |s: &str| platform::calendar::date(s).unwrap();
        let case =
            Application { due_date: Some("2026-11-20".into()), state: "reviewing".into(), ..Application::default() };
        assert_eq!(due_status(&cal, &case, d("2026-11-18")), Some((2, "warning")));
        assert_eq!(due_status(&cal, &case, d("2026-11-13")), Some((5, "normal")));
        assert_eq!(due_status(&cal, &case, d("2026-11-25")), Some((-3, "overdue")), "was always 剩 1 个工作日");
        assert_eq!(due_status(&cal, &case, d("2026-12-02")), Some((-8, "overdue")));
        let paused = Application { state: "correction".into(), ..case.clone() };
        assert_eq!(due_status(&cal, &paused, d("2026-11-25")), None, "补正 stops the clock");
    }
}
