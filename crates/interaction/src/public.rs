//! The citizens' pages, outside the staff shell and working without JavaScript: the list of
//! mailboxes, a mailbox's page (intro, deadlines, yearly figures, published letters with filters),
//! the letter form (multipart, with attachments and the arithmetic captcha), the receipt, a
//! published letter, and the writer's own view by number and query code with rating and reopening.
//! Writers' personal data never reaches these pages except the writer's own letter after the code.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::{Value, context};
use platform::accounts;
use platform::db::Db;
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Action, LetterInput, State as LState};
use crate::service::{self, By, Interaction, Submission};
use crate::store::{self, Mailbox};

type Ext = Extension<Arc<Interaction>>;
use crate::admin::sv;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hudong/", get(index))
        .route("/hudong/query", get(query_page).post(query_submit))
        .route("/hudong/query/act", axum::routing::post(query_act))
        .route("/hudong/letters/{no}", get(letter_page))
        .route("/hudong/letters/by-id/{id}", get(letter_by_id))
        .route("/hudong/{code}/", get(mailbox_page))
        // Three attachments of up to 5 MB each, plus the text fields.
        .route(
            "/hudong/{code}/write",
            get(write_page).post(write_submit).layer(axum::extract::DefaultBodyLimit::max(17 << 20)),
        )
        .route("/hudong/{code}/receipt", get(receipt_page))
        .route("/hudong/query/result", get(query_result))
}

/// The letters' part of the portal.
pub static SECTION: Section =
    Section {
        name: "互动交流", root: "/hudong/", nav: &[("/hudong/", "互动交流"), ("/hudong/query", "来信查询")]
    };

/// A citizens' page inside the portal frame; `private` pages (a writer's own letter) are never
/// kept by shared caches.
async fn html(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    status: StatusCode,
    page: Value,
    private: bool,
) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, page, private).await
}

async fn active_mailbox(db: &Db, code: &str) -> Result<Mailbox, AppError> {
    match store::mailbox_by_code(db, code).await? {
        Some(m) if m.active => Ok(m),
        _ => Err(AppError::NotFound),
    }
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let boxes: Vec<Value> = store::mailboxes(&state.db)
        .await?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| {
            context! { code => m.code.clone(), name => m.name.clone(), kind_label => domain::kind_label(&m.kind),
            accept_days => m.accept_days, reply_days => m.reply_days }
        })
        .collect();
    html(
        &state,
        &ctx,
        "public/index.html",
        StatusCode::OK,
        context! { title => "互动交流", mailboxes => boxes, nav_current => "/hudong/" },
        false,
    )
    .await
}

async fn unit_names(db: &Db) -> Result<BTreeMap<i64, String>, AppError> {
    Ok(accounts::list_orgs(db).await?.into_iter().map(|o| (o.id, o.name)).collect())
}

const PAGE: i64 = 20;

async fn mailbox_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(filter): Query<store::PublicFilter>,
) -> Result<Response, AppError> {
    let m = active_mailbox(&state.db, &code).await?;
    let year = service::today().year();
    let today = service::date_text(service::today());
    let mut counts = domain::Counts::default();
    for (_, _, c) in
        store::counts(&state.db, &format!("{year:04}-01-01"), &format!("{year:04}-12-31"), &[m.id], &today).await?
    {
        counts += c;
    }
    let stats = domain::figures(counts);
    let page = filter.page.unwrap_or(1).max(1);
    let (rows, total) = store::public_list(&state.db, Some(m.id), &filter, PAGE, (page - 1) * PAGE).await?;
    let names = unit_names(&state.db).await?;
    let letters: Vec<Value> = rows
        .iter()
        .map(|l| {
            let unit = l.reply_unit_id.and_then(|u| names.get(&u).cloned()).unwrap_or_default();
            context! { ..sv(l), ..context! { unit_name => unit } }
        })
        .collect();
    let mut units: Vec<(i64, String)> =
        m.units().into_iter().filter_map(|u| names.get(&u).map(|n| (u, n.clone()))).collect();
    if units.is_empty() {
        units = names.into_iter().collect();
    }
    let mut base = format!("/hudong/{}/?", m.code);
    let keep = serde_urlencoded::to_string(store::PublicFilter { page: None, ..filter.clone() }).unwrap_or_default();
    if !keep.is_empty() {
        base.push_str(&keep);
        base.push('&');
    }
    let site_id = m.site_id;
    let categories = store::categories(&state.db, m.id).await?;
    html(
        &state,
        &ctx,
        "public/mailbox.html",
        StatusCode::OK,
        context! {
            title => m.name.clone(), column_name => m.name.clone(), site_id, mailbox => sv(&m), stats => sv(stats), year,
            letters, total, page, pages => (total + PAGE - 1) / PAGE, base, filter => sv(&filter),
            categories => sv(&categories), units, crumbs => vec![(format!("/hudong/{}/", m.code), m.name.clone())], nav_current => "/hudong/",
        },
        false,
    ).await
}

async fn write_page(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let m = active_mailbox(&state.db, &code).await?;
    let form = LetterInput { anonymous_public: true, ..LetterInput::default() };
    write_form(&state, &ctx, &m, &form, &intake::submission_token(), BTreeMap::new(), StatusCode::OK).await
}

async fn write_form(
    state: &AppState,
    ctx: &Ctx,
    m: &Mailbox,
    form: &LetterInput,
    once: &str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let site_id = m.site_id;
    let categories = store::categories(&state.db, m.id).await?;
    let title = format!("给{}写信", m.name);
    html(
        state,
        ctx,
        "public/write.html",
        status,
        context! {
            title, column_name => m.name.clone(), site_id, mailbox => sv(m), form => sv(form), errors,
            categories => sv(&categories), captcha => sv(state.captcha.issue()), once,
            crumbs => vec![(format!("/hudong/{}/", m.code), m.name.clone()), (String::new(), "我要写信".to_owned())],
        },
        true,
    )
    .await
}

fn input_from(fields: &BTreeMap<String, String>) -> LetterInput {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    LetterInput {
        name: get("name"),
        phone: get("phone"),
        email: get("email"),
        id_number: get("id_number"),
        address: get("address"),
        category_id: get("category_id").trim().parse().ok(),
        subject: get("subject"),
        content: get("content"),
        consent_publish: fields.get("consent_publish").is_some_and(|v| v == "true"),
        anonymous_public: fields.get("anonymous_public").is_some_and(|v| v == "true"),
    }
}

async fn write_submit(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    Path(code): Path<String>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let m = active_mailbox(&state.db, &code).await?;
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    let files: Vec<(String, Vec<u8>)> =
        uploads.into_iter().filter(|u| u.field == "attachments").map(|u| (u.name, u.bytes)).collect();
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    // A reload of this POST or a second click lands on the first one's receipt.
    let receipt_url = format!("/hudong/{}/receipt", m.code);
    let once =
        match intake::claim(&state.db, "letter", fields.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, &receipt_url)),
        };
    let input = input_from(&fields);
    let mut errors = BTreeMap::new();
    if let Err(e) = state
        .captcha
        .redeem(
            &state.db,
            fields.get("captcha_token").map_or("", String::as_str),
            fields.get("captcha").map_or("", String::as_str),
        )
        .await?
    {
        errors.insert("captcha".to_owned(), e.to_owned());
    }
    let status = if errors.is_empty() {
        let sub =
            Submission { mailbox: &m, input: input.clone(), attachments: files, ip: &ctx.ip, source: "web".into() };
        match service::submit(&state, &ix, sub).await {
            Ok(receipt) => {
                let has_email = !input.email.trim().is_empty() && state.mailer.is_configured();
                let stored = serde_json::json!({ "mailbox": m.code, "receipt": receipt, "has_email": has_email });
                once.settle(&state.db, &stored).await?;
                return Ok(once.redirect(&state, &receipt_url));
            }
            Err(AppError::TooManyRequests(msg)) => {
                errors.insert("form".to_owned(), msg);
                StatusCode::TOO_MANY_REQUESTS
            }
            Err(e) => {
                let (_, errs) = form_errors(e)?;
                errors = errs;
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    } else {
        // Report the other fields' problems together with the captcha's.
        let cats: Vec<i64> = store::categories(&state.db, m.id).await?.iter().map(|c| c.id).collect();
        for (f, msg) in domain::validate(&input, &cats) {
            errors.entry(f.to_owned()).or_insert(msg);
        }
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // Nothing was filed: the corrected form may be sent with the same token.
    once.release(&state.db).await?;
    write_form(&state, &ctx, &m, &input, &once.token, errors, status).await
}

/// 来信已提交: the receipt of this browser's latest letter (from the submission cookie), as often
/// as it is reloaded within two hours; it never files anything.
async fn receipt_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let m = active_mailbox(&state.db, &code).await?;
    let stored =
        intake::receipt_of_request(&state.db, "letter", &headers).await?.filter(|v| v["mailbox"] == m.code.as_str());
    let site_id = m.site_id;
    let crumbs = vec![(format!("/hudong/{}/", m.code), m.name.clone()), (String::new(), "来信已提交".to_owned())];
    let (status, page) = match stored {
        Some(v) => (
            StatusCode::OK,
            context! { title => "来信已提交", site_id, mailbox => sv(&m), receipt => sv(&v["receipt"]), has_email => v["has_email"].as_bool(), crumbs },
        ),
        None => (
            StatusCode::NOT_FOUND,
            context! { title => "回执已过期", site_id, mailbox => sv(&m), expired => true, crumbs },
        ),
    };
    html(&state, &ctx, "public/receipt.html", status, page, true).await
}

/// A search hit's link: the published letter's page by its number; nothing for any other letter.
async fn letter_by_id(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    let l = store::public_letter_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(platform::web::see_other(&format!("/hudong/letters/{}", l.no)))
}

async fn letter_page(State(state): State<AppState>, ctx: Ctx, Path(no): Path<String>) -> Result<Response, AppError> {
    let l = store::public_letter(&state.db, &no).await?.ok_or(AppError::NotFound)?;
    let m = store::mailbox(&state.db, l.mailbox_id).await?.ok_or(AppError::NotFound)?;
    let names = unit_names(&state.db).await?;
    let category = match l.category_id {
        Some(c) => store::categories(&state.db, m.id).await?.into_iter().find(|x| x.id == c).map(|x| x.name),
        None => None,
    };
    let site_id = m.site_id;
    html(
        &state,
        &ctx,
        "public/letter.html",
        StatusCode::OK,
        context! {
            title => l.public_subject.clone(), column_name => m.name.clone(), site_id, letter => sv(&l), mailbox => sv(&m),
            unit_name => l.reply_unit_id.and_then(|u| names.get(&u).cloned()).unwrap_or_default(), category,
            crumbs => vec![(format!("/hudong/{}/", m.code), m.name.clone()), (String::new(), l.public_subject.clone())],
        },
        false,
    ).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct QueryForm {
    #[serde(default)]
    no: String,
    #[serde(default)]
    code: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    comment: String,
    #[serde(default, rename = "_once")]
    once: String,
}

async fn query_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    state.lookup_page(&ctx, &SECTION, "public/query.html", "来信查询").await
}

async fn writer_view(
    state: &AppState,
    ctx: &Ctx,
    l: &store::Letter,
    code: &str,
    notice: &str,
) -> Result<Response, AppError> {
    let m = store::mailbox(&state.db, l.mailbox_id).await?.ok_or(AppError::NotFound)?;
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let names = unit_names(&state.db).await?;
    let events: Vec<Value> = store::events(&state.db, l.id)
        .await?
        .into_iter()
        // The writer sees the steps, not internal comments or who handled it.
        .filter(|e| {
            !matches!(
                e.action.as_str(),
                "instruct" | "supervise" | "return_reply" | "request_extension" | "deny_extension"
            )
        })
        .map(|e| {
            let label = if e.action == "submit" {
                "提交来信".to_owned()
            } else {
                Action::parse(&e.action).map_or_else(|| e.action.clone(), |a| a.label().to_owned())
            };
            context! { at => e.at, label }
        })
        .collect();
    let f = service::facts(l, &m);
    let can_rate = domain::transition(st, Action::Rate, &f).is_ok();
    let can_reopen = domain::transition(st, Action::Reopen, &f).is_ok();
    let site_id = m.site_id;
    html(
        state,
        ctx,
        "public/query.html",
        StatusCode::OK,
        context! {
            title => "来信查询", site_id, letter => sv(l), mailbox => sv(&m), state_label => st.label(),
            open => st.is_open(), replied => st.is_completed(), unit_name => l.unit_id.and_then(|u| names.get(&u).cloned()),
            satisfaction_label => l.satisfaction.as_deref().and_then(domain::Satisfaction::parse).map(|s| s.label()),
            can_rate, can_reopen, code, events, notice, once => intake::submission_token(), nav_current => "/hudong/query", crumbs => vec![(String::new(), "来信查询".to_owned())],
        },
        true,
    ).await
}

async fn query_submit(State(state): State<AppState>, ctx: Ctx, Form(f): Form<QueryForm>) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    match service::find_for_writer(&state.db, &f.no, &f.code).await {
        Ok(l) => writer_view(&state, &ctx, &l, &f.code, "").await,
        Err(e) => state.lookup_again(&ctx, &SECTION, "public/query.html", "来信查询", &f.no, e).await,
    }
}

async fn query_act(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    Form(f): Form<QueryForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let l = service::find_for_writer(&state.db, &f.no, &f.code).await?;
    let action = match f.action.as_str() {
        "rate" => Action::Rate,
        "reopen" => Action::Reopen,
        _ => return Err(AppError::BadRequest("不支持的操作".into())),
    };
    // A reload or a second click shows the first result; it does not rate or reopen twice.
    let once = match intake::claim(&state.db, "letter_act", Some(&f.once)).await? {
        Claim::First(s) => s,
        Claim::Repeat(s) => return Ok(s.redirect(&state, "/hudong/query/result")),
    };
    let mailbox = store::mailbox(&state.db, l.mailbox_id).await?.ok_or(AppError::NotFound)?;
    let on = service::Opened { letter: l, mailbox, orgs: Vec::new() };
    let input =
        service::ActionInput { comment: f.comment.clone(), satisfaction: f.satisfaction.clone(), ..Default::default() };
    match service::act(&state, &ix, &ctx, By::Writer, &on, action, &input).await {
        Ok(_) => {
            let notice = if action == Action::Rate {
                "感谢您的评价。"
            } else {
                "已申请重新办理，承办单位将重新答复。"
            };
            once.settle_case(&state.db, &f.no, &f.code, notice).await?;
            Ok(once.redirect(&state, "/hudong/query/result"))
        }
        Err(e) => {
            once.release(&state.db).await?;
            let AppError::Invalid(errs) = e else { return Err(e) };
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            writer_view(&state, &ctx, &on.letter, &f.code, &msg).await.map(|mut r| {
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                r
            })
        }
    }
}

/// The writer's view after rating or reopening (the redirect's target): the letter as it is now,
/// with the result of this browser's latest action; an expired result sends back to the lookup.
async fn query_result(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(done) = intake::case_action_of_request(&state.db, "letter_act", &headers).await? else {
        return Ok(platform::web::see_other("/hudong/query"));
    };
    let l = service::find_for_writer(&state.db, &done.no, &done.code).await?;
    writer_view(&state, &ctx, &l, &done.code, &done.notice).await
}
