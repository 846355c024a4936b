//! 供求信息 for citizens and enterprises under `/gongqiu/`, inside the portal frame and usable
//! without JavaScript: the boards with their filters and RSS feeds, one listing (its contact
//! masked until the visitor asks), the posting form (public intake: captcha, one-time submission,
//! limits), the verification of the contact, and the poster's own page (by number and management
//! code) to renew or withdraw.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;

use crate::domain::{self, Board, Kind, PostInput, State as St};
use crate::service;
use crate::store::{self, Contact, Filter, Listing};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gongqiu/", get(index))
        .route("/gongqiu/l/{id}", get(listing_page))
        .route("/gongqiu/l/{id}/contact", post(contact))
        .route("/gongqiu/l/{id}/flag", post(flag))
        .route("/gongqiu/posted", get(posted))
        .route("/gongqiu/verify", get(verify_page).post(verify))
        .route("/gongqiu/verify/resend", post(resend))
        .route("/gongqiu/manage", get(manage_page).post(manage))
        .route("/gongqiu/manage/act", post(manage_act))
        .route("/gongqiu/manage/done", get(manage_done))
        .route("/gongqiu/{board}/", get(board_page))
        .route("/gongqiu/{board}/rss.xml", get(feed))
        .route("/gongqiu/{board}/post", get(post_page).post(post_submit))
}

/// 供求信息's part of the portal.
pub static SECTION: Section = Section {
    name: "供求信息",
    root: "/gongqiu/",
    nav: &[
        ("/gongqiu/talent/", "人才劳务"),
        ("/gongqiu/agri/", "农产品"),
        ("/gongqiu/startup/", "创业与新办企业"),
        ("/gongqiu/manage", "管理我的信息"),
    ],
};

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

fn board_of(code: &str) -> Result<Board, AppError> {
    Board::parse(code).ok_or(AppError::NotFound)
}

/// A listing as lists and its page show it (never the contact).
fn row(l: &Listing) -> Value {
    let kind = l.kind();
    context! {
        id => l.id, no => l.no.clone(), title => l.title.clone(), subject => l.subject.clone(), area => l.area.clone(),
        kind => kind.code(), kind_label => kind.label(), board => kind.board().code(), board_label => kind.board().label(),
        subject_label => kind.board().subject_label(), pay => l.pay_text(), quantity => l.quantity.clone(), price => l.price.clone(),
        credit_code => l.credit_code.clone(), published_at => l.published_at, expires_at => l.expires_at,
        summary => l.body.chars().take(60).collect::<String>(), views => l.views,
    }
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let now = platform::db::now();
    let mut boards = Vec::new();
    for b in Board::ALL {
        let f = Filter { board: Some(b), ..Filter::default() };
        let items: Vec<Value> = store::live(&state.db, &f, now, 6).await?.iter().map(row).collect();
        boards.push(context! { code => b.code(), label => b.label(), items });
    }
    html(
        &state,
        &ctx,
        "public/gq_index.html",
        StatusCode::OK,
        context! { title => "供求信息", boards, nav_current => "/gongqiu/" },
        false,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct BoardQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    area: String,
    /// Published within this many days.
    #[serde(default)]
    days: String,
    /// Keyset: `published_at-id` of the last listing shown.
    #[serde(default)]
    before: String,
}

const PAGE: i64 = 20;

async fn board_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let board = board_of(&code)?;
    let now = platform::db::now();
    let kind = Kind::parse(&q.kind).filter(|k| k.board() == board);
    let days = q.days.parse::<i64>().ok().filter(|d| [3, 7, 30].contains(d));
    let before = q.before.split_once('-').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    let f = Filter { board: Some(board), kind, area: q.area.clone(), since: days.map(|d| now - d * 86_400), before };
    let rows = store::live(&state.db, &f, now, PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    let rows = &rows[..rows.len().min(PAGE as usize)];
    let next = more.then(|| rows.last().map(|l| format!("{}-{}", l.published_at.unwrap_or(0), l.id))).flatten();
    let keep = |extra: &str| {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in [("kind", kind.map(|k| k.code()).unwrap_or("")), ("area", q.area.trim()), ("days", q.days.trim())]
        {
            if !v.is_empty() && (k != "days" || days.is_some()) {
                pairs.push((k.into(), v.into()));
            }
        }
        if !extra.is_empty() {
            pairs.push(("before".into(), extra.into()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    };
    let page = context! {
        title => board.label(), board => board.code(), board_label => board.label(),
        kinds => board.kinds().iter().map(|k| (k.code(), k.label())).collect::<Vec<_>>(),
        areas => store::areas(&state.db, board, now).await?,
        f => context! { kind => kind.map(|k| k.code()).unwrap_or(""), area => q.area.trim(), days => days.unwrap_or(0) },
        items => rows.iter().map(row).collect::<Vec<_>>(),
        next => next.map(|n| keep(&n)), filtered => kind.is_some() || !q.area.trim().is_empty() || days.is_some() || before.is_some(),
        nav_current => format!("/gongqiu/{}/", board.code()),
        crumbs => vec![("/gongqiu/".to_owned(), "供求信息".to_owned()), (String::new(), board.label().to_owned())],
        feed => format!("/gongqiu/{}/rss.xml", board.code()),
    };
    html(&state, &ctx, "public/gq_board.html", StatusCode::OK, page, false).await
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let board = board_of(&code)?;
    let base = format!("http://{}", platform::web::plain_host(&headers, &uri));
    let now = platform::db::now();
    let rows = store::live(&state.db, &Filter { board: Some(board), ..Filter::default() }, now, 30).await?;
    let items: Vec<platform::feed::Item> = rows
        .iter()
        .map(|l| platform::feed::Item {
            title: format!("【{}】{}", l.kind().label(), l.title),
            link: format!("{base}/gongqiu/l/{}", l.id),
            guid: format!("zhengwu-listing-{}", l.id),
            published_at: l.published_at.unwrap_or(l.created_at),
            description: format!("{} · {}", l.area, l.body.chars().take(120).collect::<String>()),
        })
        .collect();
    let title = format!("供求信息 - {}", board.label());
    let link = format!("{base}/gongqiu/{}/", board.code());
    let xml = platform::feed::rss(
        &platform::feed::Channel {
            title: &title,
            link: &link,
            description: &format!("{}的最新供求信息", board.label()),
        },
        &items,
    );
    Ok((
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        xml,
    )
        .into_response())
}

async fn live_listing(state: &AppState, id: i64) -> Result<Listing, AppError> {
    store::get(&state.db, id).await?.filter(|l| l.is_live(platform::db::now())).ok_or(AppError::NotFound)
}

async fn listing_view(
    state: &AppState,
    ctx: &Ctx,
    l: &Listing,
    shown: Option<Contact>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    sent: &str,
) -> Result<Response, AppError> {
    let board = l.board();
    let private = shown.is_some() || !errors.is_empty() || !sent.is_empty();
    let page = context! {
        title => l.title.clone(), l => row(l), body => l.body.clone(),
        masked => sv(l.masked_contact()), shown => shown.map(sv), errors, sent,
        reasons => domain::FLAG_REASONS.to_vec(),
        nav_current => format!("/gongqiu/{}/", board.code()),
        crumbs => vec![
            ("/gongqiu/".to_owned(), "供求信息".to_owned()),
            (format!("/gongqiu/{}/", board.code()), board.label().to_owned()),
            (String::new(), l.title.clone()),
        ],
    };
    html(state, ctx, "public/gq_listing.html", status, page, private).await
}

#[derive(Debug, Default, Deserialize)]
struct SentQuery {
    #[serde(default)]
    sent: String,
}

async fn listing_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<SentQuery>,
) -> Result<Response, AppError> {
    let l = live_listing(&state, id).await?;
    service::count_view(&state.db, id).await;
    let sent = if q.sent == "flagged" { "已收到您的举报，我们会尽快核实。" } else { "" };
    // The report form's sender is known by the browser's token, set here on a first visit (such
    // a page is then kept by no shared cache).
    let (_, cookie) = intake::browser_voter(&state, &headers);
    let mut res = listing_view(&state, &ctx, &l, None, BTreeMap::new(), StatusCode::OK, sent).await?;
    if let Some(v) = cookie {
        res.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn contact(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let l = live_listing(&state, id).await?;
    let (who, cookie) = intake::voter_or_address(&state, &headers, &ctx.ip);
    let mut resp = match service::reveal(&state, &l, &who).await {
        Ok(c) => listing_view(&state, &ctx, &l, Some(c), BTreeMap::new(), StatusCode::OK, "").await?,
        Err(e) => {
            let (status, errors) = platform::web::error::form_errors_at(e, "contact")?;
            listing_view(&state, &ctx, &l, None, errors, status, "").await?
        }
    };
    if let Some(v) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

async fn flag(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let l = live_listing(&state, id).await?;
    let (who, cookie) = intake::voter_or_address(&state, &headers, &ctx.ip);
    if let Err(e) = service::flag(&state, &l, &who, &f.reason).await {
        let (status, errors) = platform::web::error::form_errors_at(e, "reason")?;
        return listing_view(&state, &ctx, &l, None, errors, status, "").await;
    }
    let mut resp = platform::web::see_other(&format!("/gongqiu/l/{id}?sent=flagged"));
    if let Some(v) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

async fn post_view(
    state: &AppState,
    ctx: &Ctx,
    board: Board,
    form: &PostInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rules = store::board(&state.db, board).await?;
    let page = context! {
        title => format!("发布{}信息", board.label()), board => board.code(), board_label => board.label(),
        subject_label => board.subject_label(), kinds => board.kinds().iter().map(|k| (k.code(), k.label())).collect::<Vec<_>>(),
        periods => domain::periods(rules.max_days), premoderated => rules.premoderated, mail => state.mailer.is_configured(),
        form => sv(form), errors, captcha => sv(state.captcha.issue()), once => intake::submission_token(),
        nav_current => format!("/gongqiu/{}/", board.code()),
        crumbs => vec![
            ("/gongqiu/".to_owned(), "供求信息".to_owned()),
            (format!("/gongqiu/{}/", board.code()), board.label().to_owned()),
            (String::new(), "发布信息".to_owned()),
        ],
    };
    html(state, ctx, "public/gq_post.html", status, page, true).await
}

async fn post_page(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Result<Response, AppError> {
    let board = board_of(&code)?;
    let form = PostInput {
        kind: board.kinds()[0].code().into(),
        verify_by: "sms".into(),
        days: "30".into(),
        ..PostInput::default()
    };
    post_view(&state, &ctx, board, &form, BTreeMap::new(), StatusCode::OK).await
}

async fn post_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let board = board_of(&code)?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let once =
        match intake::claim(&state.db, "listing", fields.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, "/gongqiu/posted")),
        };
    let input = PostInput {
        kind: get("kind"),
        title: get("title"),
        subject: get("subject"),
        body: get("body"),
        area: get("area"),
        pay_min: get("pay_min"),
        pay_max: get("pay_max"),
        quantity: get("quantity"),
        price: get("price"),
        credit_code: get("credit_code"),
        contact_name: get("contact_name"),
        contact_phone: get("contact_phone"),
        contact_email: get("contact_email"),
        verify_by: get("verify_by"),
        days: get("days"),
    };
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            (BTreeMap::from([("captcha".to_owned(), e.to_owned())]), StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            let rules = store::board(&state.db, board).await?;
            match service::post(&state, &rules, &input, &ctx.ip).await {
                Ok(p) => {
                    once.settle(&state.db, &serde_json::to_value(&p).unwrap_or_default()).await?;
                    return Ok(once.redirect(&state, "/gongqiu/posted"));
                }
                Err(e) => {
                    let (status, errors) = form_errors(e)?;
                    (errors, status)
                }
            }
        };
    once.release(&state.db).await?;
    post_view(&state, &ctx, board, &input, errors, status).await
}

#[derive(Debug, Default, Deserialize)]
struct PostedReceipt {
    no: String,
    code: String,
    sent_to: String,
}

/// The posting this browser just filed (named by its receipt cookie), while it is fresh.
async fn posted_receipt(state: &AppState, headers: &HeaderMap) -> Result<Option<PostedReceipt>, AppError> {
    Ok(intake::receipt_of_request(&state.db, "listing", headers)
        .await?
        .and_then(|v| serde_json::from_value::<PostedReceipt>(v).ok()))
}

/// The receipt after posting: the number and management code to keep, and the verification form.
async fn posted(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(r) = posted_receipt(&state, &headers).await? else {
        return Ok(platform::web::see_other("/gongqiu/verify"));
    };
    let l = store::by_no(&state.db, &r.no).await?.ok_or(AppError::NotFound)?;
    verify_view(&state, &ctx, &l.no, Some(&r), Some(&l), BTreeMap::new(), StatusCode::OK, "").await
}

#[allow(clippy::too_many_arguments)]
async fn verify_view(
    state: &AppState,
    ctx: &Ctx,
    no: &str,
    receipt: Option<&PostedReceipt>,
    l: Option<&Listing>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    notice: &str,
) -> Result<Response, AppError> {
    let st = l.map(|l| l.state());
    let page = context! {
        title => "验证并发布", no, receipt => receipt.map(|r| context! { no => r.no.clone(), code => r.code.clone(), sent_to => r.sent_to.clone() }),
        state => st.map(|s| s.code()), state_label => st.map(|s| s.label()), expires_at => l.and_then(|l| l.expires_at),
        listing_id => l.map(|l| l.id), errors, notice, nav_current => "/gongqiu/manage",
        crumbs => vec![("/gongqiu/".to_owned(), "供求信息".to_owned()), (String::new(), "验证并发布".to_owned())],
    };
    html(state, ctx, "public/gq_verify.html", status, page, true).await
}

#[derive(Debug, Default, Deserialize)]
struct VerifyQuery {
    #[serde(default)]
    no: String,
    #[serde(default)]
    resent: String,
}

async fn verify_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    let notice = if q.resent.is_empty() {
        String::new()
    } else {
        format!("新的验证码已发送至 {}，30 分钟内有效。", q.resent)
    };
    let no = q.no.trim().to_ascii_uppercase();
    verify_view(&state, &ctx, &no, None, None, BTreeMap::new(), StatusCode::OK, &notice).await
}

#[derive(Debug, Default, Deserialize)]
struct VerifyForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    no: String,
    #[serde(default)]
    verify_code: String,
}

async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::Form(f): axum::Form<VerifyForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let no = f.no.trim().to_ascii_uppercase();
    let receipt = posted_receipt(&state, &headers).await?.filter(|r| r.no == no);
    let Some(l) = store::by_no(&state.db, &no).await? else {
        let errors = BTreeMap::from([("no".to_owned(), "没有这个编号的信息，请核对".to_owned())]);
        return verify_view(&state, &ctx, &no, None, None, errors, StatusCode::UNPROCESSABLE_ENTITY, "").await;
    };
    match service::verify(&state, &l, &f.verify_code).await {
        Ok(_) => {
            // Shown from the database again, so a reload does not post twice.
            let mut resp = platform::web::see_other(&format!("/gongqiu/verify?no={}", l.no));
            if receipt.is_some() {
                resp = platform::web::see_other("/gongqiu/posted");
            }
            Ok(resp)
        }
        Err(e) => {
            let (status, errors) = platform::web::error::form_errors_at(e, "verify_code")?;
            let l = store::get(&state.db, l.id).await?;
            verify_view(&state, &ctx, &no, receipt.as_ref(), l.as_ref(), errors, status, "").await
        }
    }
}

async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::Form(f): axum::Form<VerifyForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let no = f.no.trim().to_ascii_uppercase();
    let l = store::by_no(&state.db, &no).await?.ok_or(AppError::NotFound)?;
    match service::resend(&state, &l).await {
        Ok(to) => {
            let q = serde_urlencoded::to_string([("no", l.no.as_str()), ("resent", to.as_str())]).unwrap_or_default();
            Ok(platform::web::see_other(&format!("/gongqiu/verify?{q}")))
        }
        Err(e) => {
            let receipt = posted_receipt(&state, &headers).await?.filter(|r| r.no == no);
            let (status, errors) = platform::web::error::form_errors_at(e, "verify_code")?;
            verify_view(&state, &ctx, &no, receipt.as_ref(), Some(&l), errors, status, "").await
        }
    }
}

async fn manage_view(
    state: &AppState,
    ctx: &Ctx,
    l: &Listing,
    code: &str,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    notice: &str,
) -> Result<Response, AppError> {
    let rules = store::board(&state.db, l.board()).await?;
    let actions = domain::actions(l.state(), domain::Actor::Poster, rules.premoderated);
    let page = context! {
        title => "管理我的信息", l => row(l), no => l.no.clone(), code, state => l.state().code(), state_label => l.state().label(),
        live => l.is_live(platform::db::now()), expires_at => l.expires_at, days => l.days,
        can_renew => actions.contains(&domain::Action::Renew), can_withdraw => actions.contains(&domain::Action::Withdraw),
        periods => domain::periods(rules.max_days), premoderated => rules.premoderated,
        history => sv(platform::workflow::events(&state.db, &service::FLOW, l.id).await?.into_iter()
            .map(|e| context! { at => e.at, action => domain::Action::parse(&e.action).map_or("发布", |a| a.label()),
                                to => St::parse(&e.to_state).map(|s| s.label()), actor => e.actor, comment => e.comment })
            .collect::<Vec<_>>()),
        errors, notice, nav_current => "/gongqiu/manage",
        once_renew => intake::submission_token(), once_withdraw => intake::submission_token(),
        crumbs => vec![("/gongqiu/".to_owned(), "供求信息".to_owned()), (String::new(), "管理我的信息".to_owned())],
    };
    html(state, ctx, "public/gq_manage.html", status, page, true).await
}

#[derive(Debug, Default, Deserialize)]
struct ManageQuery {
    #[serde(default)]
    no: String,
}

async fn manage_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ManageQuery>,
) -> Result<Response, AppError> {
    let page = context! {
        title => "管理我的信息", form => context! { no => q.no.trim().to_ascii_uppercase() },
        errors => BTreeMap::<String, String>::new(), nav_current => "/gongqiu/manage",
        crumbs => vec![("/gongqiu/".to_owned(), "供求信息".to_owned()), (String::new(), "管理我的信息".to_owned())],
    };
    html(&state, &ctx, "public/gq_lookup.html", StatusCode::OK, page, true).await
}

async fn manage(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<platform::web::portal::LookupForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    match service::by_code(&state.db, &f.no, &f.code).await {
        Ok(l) => manage_view(&state, &ctx, &l, f.code.trim(), BTreeMap::new(), StatusCode::OK, "").await,
        Err(e) => state.lookup_again(&ctx, &SECTION, "public/gq_lookup.html", "管理我的信息", &f.no, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct ManageActForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    no: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    days: String,
    #[serde(default, rename = "_once")]
    once: String,
}

async fn manage_act(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<ManageActForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let l = match service::by_code(&state.db, &f.no, &f.code).await {
        Ok(l) => l,
        Err(e) => {
            return state.lookup_again(&ctx, &SECTION, "public/gq_lookup.html", "管理我的信息", &f.no, e).await;
        }
    };
    let once = match intake::claim(&state.db, "listing_manage", Some(f.once.as_str()).filter(|s| !s.is_empty())).await?
    {
        Claim::First(s) => s,
        Claim::Repeat(s) => return Ok(s.redirect(&state, "/gongqiu/manage/done")),
    };
    let result = match f.action.as_str() {
        "renew" => service::renew(&state, &l, &f.days).await.map(|to| {
            if to == St::Pending {
                "已申请续期，信息经审核后重新公开。".to_owned()
            } else {
                format!("已续期 {} 天。", f.days.trim())
            }
        }),
        "withdraw" => service::withdraw(&state, &l).await.map(|_| "信息已撤下，不再公开。".to_owned()),
        _ => Err(AppError::BadRequest("未知的操作".into())),
    };
    match result {
        Ok(notice) => {
            once.settle_case(&state.db, &l.no, f.code.trim(), &notice).await?;
            Ok(once.redirect(&state, "/gongqiu/manage/done"))
        }
        Err(e) => {
            once.release(&state.db).await?;
            let (status, errors) = form_errors(e)?;
            manage_view(&state, &ctx, &l, f.code.trim(), errors, status, "").await
        }
    }
}

async fn manage_done(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(done) = intake::case_action_of_request(&state.db, "listing_manage", &headers).await? else {
        return Ok(platform::web::see_other("/gongqiu/manage"));
    };
    let l = service::by_code(&state.db, &done.no, &done.code).await?;
    manage_view(&state, &ctx, &l, &done.code, BTreeMap::new(), StatusCode::OK, &done.notice).await
}
