//! The service hall (办事大厅) under `/banshi/`, without JavaScript: browse items by department,
//! audience, theme and life event, or search; the one-stop item page (guide, materials, process,
//! fees, FAQ, ratings, apply); the application form built from the item's definition; the
//! receipt; status by receipt number and query code with 补正 resubmission, rating and a
//! printable notice; and 办件公示 with masked applicants.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Action, State as AState};
use crate::service::{self, ApplyInput, By, Case, Services};
use crate::store::{self, Item};

type Ext = Extension<Arc<Services>>;

pub(crate) use platform::web::sv;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/banshi/", get(hall))
        .route("/banshi/query", get(query_page).post(query_submit))
        .route("/banshi/query/act", post(query_act))
        .route("/banshi/query/result", get(query_result))
        .route("/banshi/items/{code}/receipt", get(receipt_page))
        .route("/banshi/notice", post(notice))
        .route("/banshi/gongshi", get(gongshi))
        .route("/banshi/items/{code}", get(item_page))
        .route("/banshi/items/by-id/{id}", get(item_by_id))
        .route("/banshi/items/{code}/blank", get(blank_form))
        .route(
            "/banshi/items/{code}/apply",
            get(apply_page).post(apply_submit).layer(axum::extract::DefaultBodyLimit::max(41 << 20)),
        )
}

/// The service hall's part of the portal.
pub static SECTION: Section = Section {
    name: "网上办事",
    root: "/banshi/",
    nav: &[
        ("/banshi/", "办事大厅"),
        ("/banshi/calls/", "项目申报"),
        ("/banshi/query", "办件查询"),
        ("/banshi/gongshi", "办件公示"),
    ],
};

/// A citizens' page inside the portal frame; `private` pages (an applicant's own case) are never
/// kept by shared caches.
pub(crate) async fn html(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    status: StatusCode,
    page: Value,
    private: bool,
) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, page, private).await
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
struct HallQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    dept: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    event: String,
}

async fn hall(State(state): State<AppState>, ctx: Ctx, Query(f): Query<HallQuery>) -> Result<Response, AppError> {
    let items = store::items(&state.db, true).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let name_of = |id: i64| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default();
    let mut depts: Vec<(String, String)> = Vec::new();
    let mut themes: Vec<String> = Vec::new();
    for i in &items {
        if let Some(o) = orgs.iter().find(|o| o.id == i.org_id)
            && !depts.iter().any(|d| d.0 == o.code)
        {
            depts.push((o.code.clone(), o.name.clone()));
        }
        for t in Item::list(&i.themes) {
            if !themes.contains(&t) {
                themes.push(t);
            }
        }
    }
    let q = f.q.trim();
    let shown: Vec<Value> = items
        .iter()
        .filter(|i| q.is_empty() || i.name.contains(q) || i.themes.contains(q))
        .filter(|i| f.dept.is_empty() || orgs.iter().any(|o| o.id == i.org_id && o.code == f.dept))
        .filter(|i| audience_fits(i, &f.audience))
        .filter(|i| f.theme.is_empty() || Item::list(&i.themes).contains(&f.theme))
        .filter(|i| f.event.is_empty() || Item::list(&i.life_events).contains(&f.event))
        .map(|i| {
            context! { code => i.code.clone(), name => i.name.clone(), kind => i.kind.clone(), dept => name_of(i.org_id),
            promised_days => i.promised_days, visits => i.visits, online => i.online }
        })
        .collect();
    // 热门事项: the most applied-for items of the last 90 days (from the statistics tally), shown on
    // the hall's front page.
    let filtered = !(q.is_empty() && f.dept.is_empty() && f.theme.is_empty() && f.event.is_empty());
    let popular: Vec<Value> = if filtered {
        Vec::new()
    } else {
        crate::blocks::popular(&state.db, &items, 6, |i| audience_fits(i, &f.audience))
            .await?
            .into_iter()
            .map(|i| context! { code => i.code.clone(), name => i.name.clone(), dept => name_of(i.org_id), online => i.online })
            .collect()
    };
    // The twelve themes with most items as tiles; the rest stay in the 主题 list.
    let mut theme_tiles: Vec<(String, usize)> = themes
        .iter()
        .map(|t| {
            (
                t.clone(),
                items.iter().filter(|i| audience_fits(i, &f.audience) && Item::list(&i.themes).contains(t)).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    theme_tiles.sort_by_key(|t| std::cmp::Reverse(t.1));
    theme_tiles.truncate(12);
    html(
        &state,
        &ctx,
        "public/bs_hall.html",
        StatusCode::OK,
        context! { title => "办事大厅", items => shown, filter => sv(&f), depts, themes, theme_tiles, popular, filtered,
        events => domain::LIFE_EVENTS.to_vec(), nav_current => "/banshi/" },
        false,
    )
    .await
}

/// Whether an item belongs under the 个人办事 / 法人办事 tab (`""`: all items).
fn audience_fits(i: &Item, audience: &str) -> bool {
    audience.is_empty() || i.audience == audience || i.audience == "both"
}

async fn published_item(state: &AppState, code: &str) -> Result<Item, AppError> {
    match store::item_by_code(&state.db, code).await? {
        Some(i) if i.published => Ok(i),
        _ => Err(AppError::NotFound),
    }
}

/// The item's application form as a printable sheet (空白表格), or filled with invented values
/// as the 示范文本 (`?example=1`); generated from the item's form, so it never goes stale.
async fn blank_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let item = published_item(&state, &code).await?;
    let example = q.get("example").is_some_and(|v| v == "1");
    let fields: Vec<Value> = item
        .form()
        .iter()
        .filter(|f| f.kind != "file")
        .map(|f| context! { label => f.label.clone(), options => f.options.clone(), example => domain::example_value(f) })
        .collect();
    let org = item.audience == "org";
    let sample = context! {
        name => if org { "哈尔滨冰城示例科技有限公司" } else { "王建国" },
        code => if org { "91230100MA1B2C3D4X" } else { "2301**********0021（示例）" },
        phone => "0451-8666××××", address => "哈尔滨市道里区经纬街 99 号",
    };
    let title = format!("{}申请表{}", item.name, if example { "（示范文本）" } else { "" });
    html(
        &state,
        &ctx,
        "public/bs_blank.html",
        StatusCode::OK,
        context! { title, item => sv(&item), fields, materials => sv(item.materials()), example, sample,
        today => platform::calendar::date_text(platform::calendar::today()), nav_current => "/banshi/",
        crumbs => vec![(format!("/banshi/items/{}", item.code), item.name.clone()), (String::new(), if example { "示范文本" } else { "空白表格" }.to_owned())] },
        false,
    ).await
}

async fn item_page(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let item = published_item(&state, &code).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let agency = orgs.iter().find(|o| o.id == item.org_id).map(|o| o.name.clone()).unwrap_or_default();
    let (rated, score_sum) = store::item_rating(&state.db, item.id).await?;
    let rating = (rated > 0).then(|| format!("{:.1}", score_sum as f64 / rated as f64));
    html(
        &state,
        &ctx,
        "public/bs_item.html",
        StatusCode::OK,
        context! {
            title => item.name.clone(), column_name => "办事指南", item => sv(&item), agency, materials => sv(item.materials()),
            steps => item.steps(), faq => sv(item.faq()), review_steps => item.review_steps(), rating, rated,
            audience => match item.audience.as_str() { "person" => "个人", "org" => "法人", _ => "个人、法人" },
            crumbs => vec![(String::new(), item.name.clone())], nav_current => "/banshi/",
        },
        false,
    ).await
}

/// Search results know items by id; the hall's address is by code.
async fn item_by_id(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    match store::item(&state.db, id).await? {
        Some(i) if i.published => Ok(platform::web::see_other(&format!("/banshi/items/{}", i.code))),
        _ => Err(AppError::NotFound),
    }
}

async fn apply_page(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let item = published_item(&state, &code).await?;
    let kind = if item.audience == "org" { "org" } else { "person" };
    let input = ApplyInput { applicant_kind: kind.into(), ..ApplyInput::default() };
    apply_form(&state, &ctx, &item, &input, &intake::submission_token(), BTreeMap::new(), StatusCode::OK).await
}

async fn apply_form(
    state: &AppState,
    ctx: &Ctx,
    item: &Item,
    input: &ApplyInput,
    once: &str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    html(
        state,
        ctx,
        "public/bs_apply.html",
        status,
        context! {
            title => format!("在线申请：{}", item.name), item => sv(item), fields => sv(item.form()), form => sv(input), errors,
            materials => sv(item.materials()), max_mb => service::MATERIALS.max_bytes >> 20,
            captcha => sv(state.captcha.issue()), once,
            crumbs => vec![(format!("/banshi/items/{}", item.code), item.name.clone()), (String::new(), "在线申请".to_owned())], nav_current => "/banshi/",
        },
        true,
    ).await
}

async fn apply_submit(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    Path(code): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let item = published_item(&state, &code).await?;
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    let files: Vec<(String, String, Vec<u8>)> = uploads.into_iter().map(|u| (u.field, u.name, u.bytes)).collect();
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    // A reload of this POST or a second click lands on the first one's receipt.
    let receipt_url = format!("/banshi/items/{}/receipt", item.code);
    let once = match intake::claim(&state.db, "application", fields.get(intake::SUBMISSION_FIELD).map(String::as_str))
        .await?
    {
        Claim::First(s) => s,
        Claim::Repeat(s) => return Ok(s.redirect(&state, &receipt_url)),
    };
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let input = ApplyInput {
        applicant_kind: get("applicant_kind"),
        applicant_name: get("applicant_name"),
        applicant_code: get("applicant_code"),
        phone: get("phone"),
        email: get("email"),
        values: fields.iter().filter_map(|(k, v)| k.strip_prefix("v_").map(|k| (k.to_owned(), v.clone()))).collect(),
    };
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            // Report the other fields' problems together with the captcha's.
            let mut errors: BTreeMap<String, String> = BTreeMap::new();
            for e in service::check_application(&item, &input, &files) {
                errors.entry(e.field).or_insert(e.message);
            }
            errors.insert("captcha".to_owned(), e.to_owned());
            (errors, StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match service::apply(&state, &svc, &item, &input, files, &ctx.ip).await {
                Ok(receipt) => {
                    once.settle(&state.db, &serde_json::json!({ "item": item.code, "receipt": receipt })).await?;
                    return Ok(once.redirect(&state, &receipt_url));
                }
                Err(e) => {
                    let (status, errors) = form_errors(e)?;
                    (errors, status)
                }
            }
        };
    // Nothing was filed: the corrected form may be sent with the same token.
    once.release(&state.db).await?;
    apply_form(&state, &ctx, &item, &input, &once.token, errors, status).await
}

/// 申请已提交: the receipt of this browser's latest application (from the submission cookie), as
/// often as it is reloaded within two hours; it never files anything.
async fn receipt_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let item = published_item(&state, &code).await?;
    let stored = intake::receipt_of_request(&state.db, "application", &headers)
        .await?
        .filter(|v| v["item"] == item.code.as_str());
    let crumbs =
        vec![(format!("/banshi/items/{}", item.code), item.name.clone()), (String::new(), "申请已提交".to_owned())];
    let (status, page) = match stored {
        Some(v) => (
            StatusCode::OK,
            context! { title => "申请已提交", item => sv(&item), receipt => sv(&v["receipt"]), nav_current => "/banshi/", crumbs },
        ),
        None => (
            StatusCode::NOT_FOUND,
            context! { title => "回执已过期", item => sv(&item), expired => true, nav_current => "/banshi/", crumbs },
        ),
    };
    html(&state, &ctx, "public/bs_receipt.html", status, page, true).await
}

async fn query_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    state.lookup_page(&ctx, &SECTION, "public/bs_query.html", "办件查询").await
}

/// What to tell the applicant along with the case: a notice, or the errors of what they sent.
struct Feedback<'a> {
    notice: &'a str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
}

impl Feedback<'_> {
    fn none() -> Self {
        Feedback { notice: "", errors: BTreeMap::new(), status: StatusCode::OK }
    }
}

async fn applicant_view(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    case: &Case,
    code: &str,
    fb: Feedback<'_>,
) -> Result<Response, AppError> {
    let Feedback { notice, errors, status } = fb;
    let (a, item) = (&case.app, &case.item);
    let st = AState::parse(&a.state).unwrap_or(AState::Submitted);
    let pos = service::position(a);
    let steps = u32::try_from(item.review_steps().len()).unwrap_or(1);
    let can = |act: Action| domain::transition(pos, act, steps).is_ok();
    let step_names = item.review_steps();
    let events: Vec<Value> = store::events(&state.db, a.id)
        .await?
        .into_iter()
        .filter_map(|e| {
            let (label, text) = applicant_event(&e, &step_names)?;
            Some(context! { at => e.at, label, text })
        })
        .collect();
    let cal = svc.calendar(&state.db).await;
    let due = service::due_status(&cal, a, platform::calendar::today());
    let values = a.values();
    // The fee notice in force (or the last one), with its lines.
    let fee = match crate::fees::notices_of(&state.db, a.id).await?.into_iter().next() {
        Some(n) => {
            let lines: Vec<Value> = crate::fees::lines(&state.db, n.id)
                .await?
                .iter()
                .map(|l| context! { name => l.name.clone(), amount => crate::fees::domain::yuan(l.amount), basis => l.basis.clone() })
                .collect();
            Some(
                context! { no => n.no.clone(), code => n.payment_code.clone(), total => crate::fees::domain::yuan(n.total),
                state => n.state().code(), label => crate::fees::domain::fee_state_label(Some(n.state())), lines,
                receipt_no => n.receipt_no.clone(), paid_at => n.paid_at, refunded_at => n.refunded_at },
            )
        }
        None => None,
    };
    html(
        state,
        ctx,
        "public/bs_query.html",
        status,
        context! {
            title => "办件查询", app => sv(a), item => sv(item), state_label => st.label(), events, code, notice, errors, fee,
            once => intake::submission_token(),
            correction => st == AState::Correction, can_rate => can(Action::Rate), ratings => domain::RATINGS.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            fields => sv(item.form().into_iter().filter(|f| f.kind != "file").collect::<Vec<_>>()), values,
            correction_slots => correction_slots(a, item), max_mb => service::MATERIALS.max_bytes >> 20,
            due_left => due.map(|d| d.0), rating_label => a.rating.as_deref().and_then(domain::rating_label),
            step_name => item.review_steps().get(usize::try_from(a.step).unwrap_or(0)).cloned(),
            nav_current => "/banshi/query", crumbs => vec![(String::new(), "办件查询".to_owned())],
        },
        true,
    ).await
}

/// How one event reads on the applicant's timeline: each review step by its name, and the
/// decision text the applicant is owed (reasons, 补正 requests, the decision and 办结 comments).
/// Internal events (差评申诉) are not shown.
fn applicant_event(e: &store::Event, step_names: &[String]) -> Option<(String, String)> {
    if e.action == "submit" {
        return Some(("提交申请".to_owned(), String::new()));
    }
    let action = Action::parse(&e.action)?;
    Some(match action {
        Action::Approve => {
            // The event's step is where the case went; the step passed is the one before, or the
            // last one when the case was decided.
            let passed = if e.to_state == AState::Approved.code() { e.step } else { e.step - 1 };
            let name = step_names.get(usize::try_from(passed).unwrap_or(0)).map_or("审查", String::as_str);
            let decided = e.to_state == AState::Approved.code();
            (
                format!("{name}通过{}", if decided { "，准予办理" } else { "" }),
                if decided { comment_of(e) } else { String::new() },
            )
        }
        Action::Rate => (action.label().to_owned(), String::new()),
        _ => (action.label().to_owned(), e.comment.clone()),
    })
}

/// A final approval's own comment (the event summary starts with the step's name).
fn comment_of(e: &store::Event) -> String {
    e.comment.split_once('：').map(|(_, c)| c.to_owned()).unwrap_or_default()
}

/// The upload slots a pending 补正 asks for: (slot, material name, notes).
fn correction_slots(a: &store::Application, item: &Item) -> Vec<(String, String, String)> {
    let wanted = a.correction_materials();
    item.materials()
        .iter()
        .enumerate()
        .filter(|(_, m)| wanted.contains(&m.name))
        .map(|(i, m)| (domain::Material::slot(i), m.name.clone(), m.notes.clone()))
        .collect()
}

async fn query_submit(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    axum::Form(f): axum::Form<platform::web::portal::LookupForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    match service::find_for_applicant(&state.db, &f.no, &f.code).await {
        Ok(a) => {
            let case = Case::load(&state.db, a.id).await?;
            applicant_view(&state, &svc, &ctx, &case, &f.code, Feedback::none()).await
        }
        Err(e) => state.lookup_again(&ctx, &SECTION, "public/bs_query.html", "办件查询", &f.no, e).await,
    }
}

async fn query_act(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let (no, code) = (get("no"), get("code"));
    let a = service::find_for_applicant(&state.db, &no, &code).await?;
    let case = Case::load(&state.db, a.id).await?;
    let action = match get("action").as_str() {
        "resubmit" => Action::Resubmit,
        "rate" => Action::Rate,
        _ => return Err(AppError::BadRequest("不支持的操作".into())),
    };
    let input = service::ActInput {
        comment: get("comment"),
        rating: get("rating"),
        values: fields.iter().filter_map(|(k, v)| k.strip_prefix("v_").map(|k| (k.to_owned(), v.clone()))).collect(),
        files: uploads.into_iter().map(|u| (u.field, u.name, u.bytes)).collect(),
        ..Default::default()
    };
    // A reload or a second click shows the first result; it does not rate or resubmit twice.
    let once = match intake::claim(&state.db, "application_act", Some(&get(intake::SUBMISSION_FIELD))).await? {
        Claim::First(s) => s,
        Claim::Repeat(s) => return Ok(s.redirect(&state, "/banshi/query/result")),
    };
    match service::act(&state, &svc, &ctx, By::Applicant, &case, action, &input).await {
        Ok(_) => {
            let notice =
                if action == Action::Rate { "感谢您的评价。" } else { "已重新提交，请等待审查。" };
            once.settle_case(&state.db, &no, &code, notice).await?;
            Ok(once.redirect(&state, "/banshi/query/result"))
        }
        Err(e) => {
            once.release(&state.db).await?;
            let (status, errors) = form_errors(e)?;
            applicant_view(&state, &svc, &ctx, &case, &code, Feedback { notice: "", errors, status }).await
        }
    }
}

/// The applicant's view after rating or resubmitting (the redirect's target): the case as it is
/// now with the result of this browser's latest action; an expired result sends back to the lookup.
async fn query_result(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(done) = intake::case_action_of_request(&state.db, "application_act", &headers).await? else {
        return Ok(platform::web::see_other("/banshi/query"));
    };
    let a = service::find_for_applicant(&state.db, &done.no, &done.code).await?;
    let case = Case::load(&state.db, a.id).await?;
    applicant_view(&state, &svc, &ctx, &case, &done.code, Feedback { notice: &done.notice, ..Feedback::none() }).await
}

/// The print button's script: shows the button (hidden without script) and prints on a click.
/// The page's policy lets exactly this text run (see `headers::public_policy_with_script`).
const PRINT_SCRIPT: &str =
    "var b=document.getElementById('print');b.hidden=false;b.addEventListener('click',function(){window.print();});";

/// The printable 受理通知书 / 决定书: a print stylesheet, a print button where script runs, and
/// the browser's own print command where it does not.
async fn notice(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<platform::web::portal::LookupForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let a = service::find_for_applicant(&state.db, &f.no, &f.code).await?;
    let case = Case::load(&state.db, a.id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let agency = orgs.iter().find(|o| o.id == a.org_id).map(|o| o.name.clone()).unwrap_or_default();
    let st = AState::parse(&a.state).unwrap_or(AState::Submitted);
    let kind = match st {
        AState::Approved | AState::Completed if a.decided_at.is_some() && a.legal_basis.is_empty() => "准予办理决定书",
        AState::Denied => "不予办理决定书",
        AState::Completed if !a.legal_basis.is_empty() => "不予办理决定书",
        AState::Rejected => "不予受理通知书",
        AState::Correction => "补正材料通知书",
        _ if a.accepted => "受理通知书",
        _ => "申请回执",
    };
    let mut page = html(
        &state,
        &ctx,
        "public/bs_notice.html",
        StatusCode::OK,
        context! { title => kind, kind, app => sv(&a), item => sv(&case.item), agency => agency.clone(), today => platform::calendar::date_text(platform::calendar::today()),
        remedies => domain::remedies(&agency, &service::review_body(&orgs, a.org_id)), decided_on => a.decided_at.map(platform::fmt_date),
        nav_current => "/banshi/query", crumbs => vec![(String::new(), kind.to_owned())], print_script => PRINT_SCRIPT },
        true,
    ).await?;
    if let Ok(v) = header::HeaderValue::from_str(&platform::web::headers::public_policy_with_script(PRINT_SCRIPT)) {
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(page)
}

async fn gongshi(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let page: i64 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let (rows, total) = store::recent(&state.db, 30, (page - 1) * 30).await?;
    let items = store::items(&state.db, false).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|a| {
            context! {
                no => a.no.clone(), item => items.iter().find(|i| i.id == a.item_id).map(|i| i.name.clone()).unwrap_or_default(),
                dept => orgs.iter().find(|o| o.id == a.org_id).map(|o| o.name.clone()).unwrap_or_default(),
                applicant => platform::privacy::mask_party(&a.applicant_name, a.applicant_kind == "org"), submitted_at => a.submitted_at,
                completed_at => a.completed_at, state => AState::parse(&a.state).map(|s| s.label()).unwrap_or_default(),
            }
        })
        .collect();
    let year = platform::calendar::today().year();
    let monthly = store::monthly_by_org(&state.db, year).await?;
    let mut table: BTreeMap<String, [i64; 12]> = BTreeMap::new();
    for (org, month, n) in monthly {
        let name = orgs.iter().find(|o| o.id == org).map(|o| o.name.clone()).unwrap_or_default();
        if let Some(slot) = table.entry(name).or_insert([0; 12]).get_mut(usize::try_from(month - 1).unwrap_or(0)) {
            *slot += n;
        }
    }
    // 好差评 summary per department for the year.
    let mut ratings: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for c in store::item_counts(&state.db, &format!("{year:04}-01-01"), &format!("{year:04}-12-31")).await? {
        let name = orgs.iter().find(|o| o.id == c.org_id).map(|o| o.name.clone()).unwrap_or_default();
        let e = ratings.entry(name).or_default();
        e.0 += c.rated;
        e.1 += c.rating_sum;
        e.2 += c.bad;
    }
    let ratings: Vec<Value> = ratings
        .into_iter()
        .filter(|(_, v)| v.0 > 0)
        .map(|(n, (rated, sum, bad))| context! { dept => n, rated, bad, avg => format!("{:.2}", sum as f64 / rated as f64) })
        .collect();
    html(
        &state,
        &ctx,
        "public/bs_gongshi.html",
        StatusCode::OK,
        context! { title => "办件公示", list, total, page, pages => (total + 29) / 30, year, monthly => table.into_iter().collect::<Vec<_>>(), ratings,
        nav_current => "/banshi/gongshi", crumbs => vec![(String::new(), "办件公示".to_owned())] },
        false,
    ).await
}
