//! The disclosure office's back-office pages: the request queue with deadline colours and the
//! overdue list, one request (its applicant's data opened and the view audited) with the actions
//! the rules allow now, the printable reply letter, each agency's guide, and the annual report
//! with its balance check, publication and xlsx.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::calendar::{date_text, today};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};
use serde::{Deserialize, Serialize};

use crate::domain::{Action, FEE_STATES, Outcome, State as RState, TABLE4_BLOCKS, TABLE4_COLUMNS, Table3};
use crate::report::{self, Written};
use crate::service::{self, ActInput, CHANNELS, DELIVERY, Disclosure};
use crate::store::{self, Request};

type Ext = Extension<Arc<Disclosure>>;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/gk_requests.html", include_str!("../templates/admin/gk_requests.html")),
        ("admin/gk_request.html", include_str!("../templates/admin/gk_request.html")),
        ("admin/gk_reply.html", include_str!("../templates/admin/gk_reply.html")),
        ("admin/gk_guides.html", include_str!("../templates/admin/gk_guides.html")),
        ("admin/gk_guide_form.html", include_str!("../templates/admin/gk_guide_form.html")),
        ("admin/gk_report_form.html", include_str!("../templates/admin/gk_report_form.html")),
        ("admin/gk_catalogue.html", include_str!("../templates/admin/gk_catalogue.html")),
        ("admin/gk_item_form.html", include_str!("../templates/admin/gk_item_form.html")),
        ("admin/gk_tree.html", include_str!("../templates/admin/gk_tree.html")),
        ("public/gk_catalogue.html", include_str!("../templates/public/gk_catalogue.html")),
        ("public/gk_item.html", include_str!("../templates/public/gk_item.html")),
        ("public/gk_index.html", include_str!("../templates/public/gk_index.html")),
        ("public/gk_guide.html", include_str!("../templates/public/gk_guide.html")),
        ("public/gk_apply.html", include_str!("../templates/public/gk_apply.html")),
        ("public/gk_receipt.html", include_str!("../templates/public/gk_receipt.html")),
        ("public/gk_query.html", include_str!("../templates/public/gk_query.html")),
        ("public/gk_reports.html", include_str!("../templates/public/gk_reports.html")),
        ("public/gk_report.html", include_str!("../templates/public/gk_report.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/disclosure/requests", get(requests_page))
        .route("/admin/disclosure/requests/{id}", get(request_page).post(request_act))
        .route("/admin/disclosure/requests/{id}/reply", get(reply_page))
        .route("/admin/disclosure/requests/{id}/review", axum::routing::post(review_submit))
        .route("/admin/disclosure/guides", get(guides_page))
        .route("/admin/disclosure/guides/{org}", get(guide_edit).post(guide_save))
        .route("/admin/disclosure/reports/{org}/{year}", get(report_edit).post(report_save))
        .route("/admin/disclosure/reports/{org}/{year}/report.xlsx", get(report_xlsx))
}

/// The workbench's counts: requests for handlers; from 10 January, last year's reports not yet
/// published for those who manage them (they are due by 31 January, Art. 49).
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut out = Vec::new();
    let todo = |label, count, href: String, urgent, nav| platform::web::Todo {
        section: "政府信息公开",
        label,
        count,
        href,
        urgent,
        nav,
    };
    if auth.holds_anywhere(Perm::DisclosureHandle) {
        let mine = service::handled_orgs(auth, &orgs);
        let (by_state, overdue) = store::state_counts(&state.db, mine.as_deref(), &date_text(today())).await?;
        let n = |s: &str| by_state.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        let base = "/admin/disclosure/requests";
        out.extend([
            todo("公开申请待确认收到", n("submitted"), format!("{base}?state=submitted"), false, Some(base)),
            todo("公开申请办理中", n("received"), format!("{base}?state=received"), false, None),
            todo("公开申请已答复待送达", n("decided"), format!("{base}?state=decided"), false, None),
            todo("公开申请已超期", overdue, format!("{base}?overdue=1"), true, None),
        ]);
    }
    let day = today();
    if auth.holds_anywhere(Perm::DisclosureManage) && day.month() == time::Month::January && day.day() >= 10 {
        let year = day.year() - 1;
        let published = store::published_reports(&state.db, None).await?;
        // Agencies with a guide are the ones that report.
        let guided: Vec<i64> = store::guides(&state.db).await?.iter().map(|g| g.org_id).collect();
        let missing = managed(auth, &orgs)
            .iter()
            .filter(|o| {
                guided.contains(&o.id) && !published.iter().any(|r| r.org_id == o.id && r.year == i64::from(year))
            })
            .count();
        out.push(todo(
            "上年度政府信息公开年度报告待发布（1 月 31 日前）",
            i64::try_from(missing).unwrap_or(0),
            "/admin/disclosure/guides".to_owned(),
            true,
            Some("/admin/disclosure/guides"),
        ));
    }
    Ok(out)
}

fn org_name(orgs: &[OrgUnit], id: i64) -> String {
    orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: Option<i64>,
    /// Keyset of a closed state's list: `submitted_at-id` of the last request shown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    before: String,
}

const QUEUE_PAGE: i64 = 30;

async fn requests_page(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = service::handled_orgs(&staff, &orgs);
    let day = today();
    let today_text = date_text(day);
    let page = platform::web::api::page_of(q.page);
    let st = Some(q.state.as_str()).filter(|s| RState::parse(s).is_some());
    let filter = store::QueueFilter {
        orgs: mine.as_deref(),
        state: st,
        due_before: (q.overdue == "1").then_some(today_text.as_str()),
        before: q.before.split_once('-').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?))),
    };
    // Closed requests pile up by the ten thousand: their list goes on by keyset, not by offset.
    let closed = st.and_then(RState::parse).is_some_and(|s| !s.is_open());
    let (rows, total) = store::queue(&state.db, &filter, QUEUE_PAGE, (page - 1) * QUEUE_PAGE).await?;
    let next = (closed && page * QUEUE_PAGE < total)
        .then(|| rows.last().map(|r| format!("{}-{}", r.submitted_at, r.id)))
        .flatten();
    let cal = svc.calendar(&state.db).await;
    let list: Vec<Value> = rows.iter().map(|r| row(r, &orgs, &cal, day)).collect();
    let (_, overdue_total) = store::state_counts(&state.db, mine.as_deref(), &today_text).await?;
    let tabs: Vec<(&str, &str)> = RState::ALL.iter().map(|s| (s.code(), s.label())).collect();
    let keep =
        serde_urlencoded::to_string(QueueQuery { page: None, before: String::new(), ..q.clone() }).unwrap_or_default();
    Ok(state
        .render(
            &ctx,
            "admin/gk_requests.html",
            context! { list, total, overdue_total, tabs, query => sv(&q), page, pages => (total + QUEUE_PAGE - 1) / QUEUE_PAGE, closed, next,
            pager_base => format!("/admin/disclosure/requests?{keep}&") },
        )?
        .into_response())
}

/// A queue row: the applicant masked (lists never show personal data in full).
fn row(r: &Request, orgs: &[OrgUnit], cal: &platform::calendar::WorkCalendar, day: time::Date) -> Value {
    let due = service::due_status(cal, r, day);
    context! {
        id => r.id, no => r.no.clone(), agency => org_name(orgs, r.org_id), applicant => platform::privacy::mask_party(&r.applicant_name, !r.kind().is_person()),
        kind => r.kind().label(), description => r.description.chars().take(40).collect::<String>(), state => r.state().label(),
        submitted_on => r.submitted_on.clone(), due => r.due_on.clone(), due_left => due.map(|d| d.0), due_status => due.map(|d| d.1),
    }
}

async fn load(state: &AppState, staff: &Staff, id: i64) -> Result<(Request, Vec<OrgUnit>), AppError> {
    staff.require_anywhere(Perm::DisclosureHandle)?;
    let r = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::DisclosureHandle, &service::scope(&orgs, r.org_id))?;
    Ok((r, orgs))
}

async fn request_page(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (r, orgs) = load(&state, &staff, id).await?;
    state
        .audit(
            &ctx,
            "disclosure.view",
            &format!("disclosure_request:{}", r.no),
            "success",
            "查看公开申请（含申请人信息）",
        )
        .await;
    let notice = q.get("done").and_then(|a| Action::parse(a)).map(|a| format!("已{}", a.label()));
    let draft = q.get("draft").and_then(|c| Outcome::parse(c));
    let page = request_view(&state, &svc, &r, &orgs, Shown { notice, draft, ..Shown::default() }).await?;
    Ok(state.render(&ctx, "admin/gk_request.html", page)?.into_response())
}

/// What a request page shows besides the request: a notice, or a refused action with what was
/// typed and why; and which outcome's reply draft fills the decision form.
#[derive(Default)]
struct Shown<'a> {
    errors: BTreeMap<String, String>,
    notice: Option<String>,
    typed: Option<(&'a str, &'a ActInput)>,
    draft: Option<Outcome>,
}

async fn request_view(
    state: &AppState,
    svc: &Disclosure,
    r: &Request,
    orgs: &[OrgUnit],
    shown: Shown<'_>,
) -> Result<Value, AppError> {
    let Shown { errors, notice, typed, draft } = shown;
    let cal = svc.calendar(&state.db).await;
    let day = today();
    let actions: Vec<(&str, &str)> = service::available(r, &cal, day).iter().map(|a| (a.code(), a.label())).collect();
    let events: Vec<Value> = store::events(&state.db, r.id)
        .await?
        .iter()
        .map(|e| {
            context! { at => e.at, label => Action::parse(&e.action).map_or("提交申请", Action::label), actor => e.actor.clone(),
            to => RState::parse(&e.to_state).map(RState::label).unwrap_or_default(), comment => e.comment.clone() }
        })
        .collect();
    let clock = crate::domain::clock(&r.clock_events(), &cal);
    let due = service::due_status(&cal, r, day);
    let agency = org_name(orgs, r.org_id);
    let outcomes: Vec<(&str, String)> = Outcome::ALL
        .iter()
        .filter(|o| o.is_decision())
        .map(|o| (o.code(), format!("{} · {}", o.group(), o.label())))
        .collect();
    // The reply letter starts from the chosen outcome's draft (a GET with ?draft=, no script).
    let draft_outcome = draft.filter(|o| o.is_decision()).unwrap_or(Outcome::Disclosed);
    let template = store::guide(&state.db, r.org_id).await?.map(|g| g.reply_template).unwrap_or_default();
    let draft = service::reply_draft(r, &agency, draft_outcome, &template);
    let (typed_action, typed_input) = match typed {
        Some((a, i)) => (a.to_owned(), sv(i)),
        None => (String::new(), sv(ActInput::default())),
    };
    let opened = r.opened();
    Ok(context! {
        req => sv(&opened), agency, state_label => r.state().label(), kind => r.kind().label(),
        delivery => service::label_of(&DELIVERY, &r.delivery), channel => service::label_of(&CHANNELS, &r.channel),
        actions, events, errors, notice, typed_action, typed => typed_input, outcomes, draft, draft_outcome => draft_outcome.code(),
        outcome => r.outcome().map(|o| format!("{} · {}", o.group(), o.label())),
        fee_state => service::label_of(&FEE_STATES, &r.fee_state), fee_states => FEE_STATES[1..3].to_vec(),
        correction_by => clock.correction_notice_by.map(date_text), extended => clock.extended_workdays,
        due_left => due.map(|d| d.0), due_status => due.map(|d| d.1), today => date_text(day),
        review_kinds => crate::domain::REVIEW_KINDS.to_vec(), review_results => crate::domain::REVIEW_RESULTS.to_vec(),
        review => (!r.review_kind.is_empty()).then(|| format!("{}：{}（{}登记）{}", service::label_of(&crate::domain::REVIEW_KINDS, &r.review_kind),
            service::label_of(&crate::domain::REVIEW_RESULTS, &r.review_result), r.review_on.clone().unwrap_or_default(), r.review_note)),
    })
}

async fn request_act(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let (r, orgs) = load(&state, &staff, id).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let code = get("action");
    let action = Action::parse(&code).ok_or_else(|| AppError::BadRequest(format!("未知的操作「{code}」")))?;
    let input = ActInput {
        comment: get("comment"),
        on: get("on"),
        days: get("days").trim().parse().unwrap_or(0),
        fee_yuan: get("fee_yuan").trim().parse().unwrap_or(0),
        fee_state: get("fee_state"),
        outcome: get("outcome"),
        basis: get("basis"),
        reply: get("reply"),
        earlier_no: get("earlier_no"),
    };
    match service::act(&state, &svc, &ctx, &staff, &r, action, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/disclosure/requests/{id}?done={}", action.code()))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let shown =
                Shown { errors, notice: None, typed: Some((&code, &input)), draft: Outcome::parse(&input.outcome) };
            let page = request_view(&state, &svc, &r, &orgs, shown).await?;
            Ok((status, state.render(&ctx, "admin/gk_request.html", page)?).into_response())
        }
    }
}

async fn review_submit(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<service::ReviewInput>,
) -> Result<Response, AppError> {
    let (r, orgs) = load(&state, &staff, id).await?;
    match service::record_review(&state, &ctx, &staff, &r, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/disclosure/requests/{id}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let page = request_view(&state, &svc, &r, &orgs, Shown { errors, ..Shown::default() }).await?;
            Ok((status, state.render(&ctx, "admin/gk_request.html", page)?).into_response())
        }
    }
}

/// The reply letter (告知书) as a printable page.
async fn reply_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (r, orgs) = load(&state, &staff, id).await?;
    if r.reply.is_empty() {
        return Err(AppError::Conflict("该申请尚未作出答复".into()));
    }
    state.audit(&ctx, "disclosure.print", &format!("disclosure_request:{}", r.no), "success", "打印答复告知书").await;
    Ok(state
        .render(
            &ctx,
            "admin/gk_reply.html",
            context! { req => sv(&r), agency => org_name(&orgs, r.org_id), outcome => r.outcome().map(|o| o.label()) },
        )?
        .into_response())
}

// ---- guides ---------------------------------------------------------------------------------------

/// The units whose guides and reports `staff` manages.
fn managed(staff: &Auth, orgs: &[OrgUnit]) -> Vec<OrgUnit> {
    orgs.iter().filter(|o| staff.can(Perm::DisclosureManage, &service::scope(orgs, o.id))).cloned().collect()
}

async fn guides_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let guides = store::guides(&state.db).await?;
    let year = today().year() - 1;
    let rows: Vec<Value> = managed(&staff, &orgs)
        .iter()
        .map(|o| {
            let g = guides.iter().find(|g| g.org_id == o.id);
            context! { id => o.id, code => o.code.clone(), name => o.name.clone(), reviewed_on => g.map(|g| g.reviewed_on.clone()), office => g.map(|g| g.office.clone()) }
        })
        .collect();
    Ok(state.render(&ctx, "admin/gk_guides.html", context! { rows, year })?.into_response())
}

async fn managed_org(state: &AppState, staff: &Staff, org_id: i64) -> Result<OrgUnit, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = orgs.iter().find(|o| o.id == org_id).cloned().ok_or(AppError::NotFound)?;
    staff.require(Perm::DisclosureManage, &service::scope(&orgs, org_id))?;
    Ok(org)
}

async fn guide_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(org_id): Path<i64>,
) -> Result<Response, AppError> {
    let org = managed_org(&state, &staff, org_id).await?;
    let guide = store::guide(&state.db, org_id).await?.unwrap_or_else(|| crate::demo::default_guide(&org));
    Ok(state
        .render(
            &ctx,
            "admin/gk_guide_form.html",
            context! { org => sv(&org), guide, errors => BTreeMap::<String, String>::new() },
        )?
        .into_response())
}

/// Checks and saves a guide; the review date becomes today.
pub async fn save_guide(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    org: &OrgUnit,
    mut g: store::Guide,
) -> Result<store::Guide, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, org.id))?;
    let mut errs = Vec::new();
    if g.office.trim().is_empty() {
        errs.push(platform::web::error::FieldError::new("office", "请填写受理机构（政府信息公开工作机构）名称"));
    }
    if g.methods.trim().is_empty() {
        errs.push(platform::web::error::FieldError::new("methods", "请写明申请方式"));
    }
    let unknown: Vec<&str> = g
        .reply_template
        .match_indices('{')
        .filter_map(|(i, _)| g.reply_template[i..].find('}').map(|j| &g.reply_template[i..=i + j]))
        .filter(|p| !service::REPLY_PLACEHOLDERS.contains(p))
        .collect();
    if !unknown.is_empty() {
        errs.push(platform::web::error::FieldError::new(
            "reply_template",
            format!(
                "告知书模板中的 {} 不是可用的占位符（可用：{}）",
                unknown.join("、"),
                service::REPLY_PLACEHOLDERS.join("")
            ),
        ));
    }
    if !g.phone.trim().is_empty() && !platform::codes::valid_phone(g.phone.trim()) {
        errs.push(platform::web::error::FieldError::new("phone", "联系电话应为手机号或带区号的固定电话"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    g.org_id = org.id;
    g.reviewed_on = date_text(today());
    g.updated_at = platform::db::now();
    g.updated_by = auth.user.username.clone();
    store::save_guide(&state.db, &g).await?;
    state
        .audit(
            ctx,
            "disclosure.guide",
            &format!("org:{}", org.code),
            "success",
            format!("保存{}政府信息公开指南", org.name),
        )
        .await;
    Ok(g)
}

async fn guide_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(org_id): Path<i64>,
    Form(g): Form<store::Guide>,
) -> Result<Response, AppError> {
    let org = managed_org(&state, &staff, org_id).await?;
    match save_guide(&state, &ctx, &staff, &org, g.clone()).await {
        Ok(_) => Ok(see_other("/admin/disclosure/guides")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((
                status,
                state.render(&ctx, "admin/gk_guide_form.html", context! { org => sv(&org), guide => g, errors })?,
            )
                .into_response())
        }
    }
}

// ---- annual reports -------------------------------------------------------------------------------

async fn report_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((org_id, year)): Path<(i64, i32)>,
) -> Result<Response, AppError> {
    let org = managed_org(&state, &staff, org_id).await?;
    let rep = report::build(&state.db, org.id, &org.name, year).await?;
    let page = report_form(&org, &rep, &rep.written, BTreeMap::new(), None, None);
    Ok(state.render(&ctx, "admin/gk_report_form.html", page)?.into_response())
}

fn report_form(
    org: &OrgUnit,
    rep: &report::Report,
    written: &Written,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
    typed_extra: Option<&str>,
) -> Value {
    let t3_keys: Vec<(&str, String)> = Table3::row_keys()
        .into_iter()
        .map(|k| {
            let label = match k {
                "new" => "一、本年新收".to_owned(),
                "carried_in" => "二、上年结转".to_owned(),
                "carried_out" => "四、结转下年度".to_owned(),
                code => Outcome::parse(code).map(|o| format!("{} · {}", o.group(), o.label())).unwrap_or_default(),
            };
            (k, label)
        })
        .collect();
    let extra_text: String = written
        .table3_extra
        .iter()
        .map(|(k, v)| format!("{k} {}", v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")))
        .collect::<Vec<_>>()
        .join("\n");
    let extra_text = typed_extra.map_or(extra_text, str::to_owned);
    let (y, m, _) = today().to_calendar_date();
    let deadline_near = y == rep.year + 1 && m == time::Month::January && rep.published_at.is_none();
    context! {
        org => sv(org), rep => sv(rep), written => sv(written), errors, notice, sections => report::SECTIONS.to_vec(),
        table2_rows => report::TABLE2_ROWS.to_vec(), t3_columns => report::table3_columns(), t3_keys, extra_text,
        t4_blocks => TABLE4_BLOCKS.to_vec(), t4_columns => TABLE4_COLUMNS.to_vec(), deadline_near,
    }
}

/// Parses the hand-entered table 三 rows: one per line, the row key then six numbers.
fn parse_extra(text: &str) -> Result<BTreeMap<String, [i64; 6]>, String> {
    let keys = Table3::row_keys();
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()) {
        let mut parts = line.split_whitespace();
        let key = parts.next().unwrap_or_default();
        if !keys.contains(&key) {
            return Err(format!("第 {} 行：表三没有“{key}”这一行", i + 1));
        }
        let nums: Vec<i64> =
            parts.map(str::parse).collect::<Result<_, _>>().map_err(|_| format!("第 {} 行：数字格式不正确", i + 1))?;
        let row: [i64; 6] = nums.try_into().map_err(|_| format!("第 {} 行：应有 6 个数字（各类申请人）", i + 1))?;
        out.insert(key.to_owned(), row);
    }
    Ok(out)
}

/// Reads the report form's fields into the written parts.
fn written_of(fields: &BTreeMap<String, String>) -> Result<Written, AppError> {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let mut w = Written::default();
    for (key, _) in report::SECTIONS {
        w.sections.insert(key.to_owned(), get(&format!("s_{key}")).trim().to_owned());
    }
    for (key, _, _) in report::TABLE2_ROWS {
        let v: Vec<String> = (0..3).map(|i| get(&format!("t2_{key}_{i}")).trim().to_owned()).collect();
        if v.iter().any(|x| !x.is_empty() && x.parse::<f64>().is_err()) {
            return Err(AppError::invalid(&format!("t2_{key}_0"), "表二只能填写数字"));
        }
        w.table2.rows.insert(key.to_owned(), v);
    }
    for b in 0..3 {
        for c in 0..4 {
            let v = get(&format!("t4_{b}_{c}"));
            w.table4.blocks[b][c] = if v.trim().is_empty() {
                0
            } else {
                v.trim().parse().map_err(|_| AppError::invalid(&format!("t4_{b}_{c}"), "表四只能填写非负整数"))?
            };
        }
    }
    w.table3_extra = parse_extra(&get("table3_extra")).map_err(|e| AppError::invalid("table3_extra", e))?;
    Ok(w)
}

/// Saves the written parts; `publish` also publishes, refused while table 三 does not balance.
pub async fn save_report(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    org: &OrgUnit,
    year: i32,
    written: &Written,
    publish: Option<bool>,
) -> Result<report::Report, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, org.id))?;
    let current = store::report(&state.db, org.id, year).await?;
    let mut published_at = current.as_ref().and_then(|r| r.published_at);
    let row = store::ReportRow {
        id: 0,
        org_id: org.id,
        year: i64::from(year),
        sections: report::json_text(&written.sections),
        table2: report::json_text(&written.table2),
        table3_extra: report::json_text(&written.table3_extra),
        table4: report::json_text(&written.table4),
        published_at,
        updated_at: platform::db::now(),
        updated_by: auth.user.username.clone(),
    };
    store::save_report(&state.db, &row).await?;
    let rep = report::build(&state.db, org.id, &org.name, year).await?;
    match publish {
        Some(true) => {
            if !rep.errors.is_empty() {
                return Err(AppError::Conflict(format!("表三数据校验未通过，不能发布：{}", rep.errors.join("；"))));
            }
            published_at = Some(platform::db::now());
        }
        Some(false) => published_at = None,
        None => {}
    }
    if publish.is_some() {
        store::save_report(&state.db, &store::ReportRow { published_at, ..row }).await?;
    }
    let what = match publish {
        Some(true) => "发布",
        Some(false) => "撤回",
        None => "保存",
    };
    state
        .audit(
            ctx,
            "disclosure.report",
            &format!("org:{}:{year}", org.code),
            "success",
            format!("{what}{}{year}年政府信息公开工作年度报告", org.name),
        )
        .await;
    Ok(report::build(&state.db, org.id, &org.name, year).await?)
}

async fn report_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((org_id, year)): Path<(i64, i32)>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let org = managed_org(&state, &staff, org_id).await?;
    let publish = match fields.get("do").map(String::as_str) {
        Some("publish") => Some(true),
        Some("unpublish") => Some(false),
        _ => None,
    };
    let result = match written_of(&fields) {
        Ok(w) => save_report(&state, &ctx, &staff, &org, year, &w, publish).await.map(|r| (r, w)),
        Err(e) => Err(e),
    };
    match result {
        Ok((rep, w)) => {
            let notice = match publish {
                Some(true) => "已发布",
                Some(false) => "已撤回",
                None => "已保存",
            };
            let page = report_form(&org, &rep, &w, BTreeMap::new(), Some(notice), None);
            Ok(state.render(&ctx, "admin/gk_report_form.html", page)?.into_response())
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let rep = report::build(&state.db, org.id, &org.name, year).await?;
            // What was typed stays in the form.
            let mut typed = rep.written.clone();
            for (key, _) in report::SECTIONS {
                typed.sections.insert(key.to_owned(), fields.get(&format!("s_{key}")).cloned().unwrap_or_default());
            }
            let page = report_form(&org, &rep, &typed, errors, None, fields.get("table3_extra").map(String::as_str));
            Ok((status, state.render(&ctx, "admin/gk_report_form.html", page)?).into_response())
        }
    }
}

async fn report_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((org_id, year)): Path<(i64, i32)>,
) -> Result<Response, AppError> {
    let org = managed_org(&state, &staff, org_id).await?;
    let rep = report::build(&state.db, org.id, &org.name, year).await?;
    let bytes = report::xlsx(&rep).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .audit(&ctx, "disclosure.report_export", &format!("org:{}:{year}", org.code), "success", "导出年度报告表格")
        .await;
    Ok(platform::web::download(
        &format!("disclosure-report-{}-{year}.xlsx", org.code),
        Some(&format!("{}{}年政府信息公开工作年度报告.xlsx", org.name, year)),
        platform::web::XLSX,
        bytes,
    ))
}
