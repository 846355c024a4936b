//! The citizen's subscription pages under `/dingyue/`, inside the portal frame and usable without
//! JavaScript: the form (a site's topics, mail or SMS, frequency, captcha), the page after it (with
//! the SMS code form), confirmation, management and unsubscribing — the last also as RFC 8058's
//! one-click POST that mail programs send without cookies or a form token. Pages reached by a
//! subscriber's link carry its secret in the address: they are never cached nor counted.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::{GroupSite, Section};
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;

use super::domain::{self, Form, Frequency, State as SubState};
use super::{Requested, Subscriber};

pub static SECTION: Section =
    Section { name: "信息订阅", root: "/dingyue/", nav: &[("/dingyue/", "订阅信息")] };

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dingyue/", get(form_page).post(submit))
        .route("/dingyue/sent", get(sent_page))
        .route("/dingyue/sms/{id}", post(sms_code))
        .route("/dingyue/confirm/{token}", get(confirm_page).post(confirm_submit))
        .route("/dingyue/manage/{token}", get(manage_page).post(manage_submit))
        .route("/dingyue/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe_submit))
}

#[derive(Debug, Default, Deserialize)]
struct SiteQuery {
    #[serde(default)]
    site: String,
}

/// The site a form is for: `?site=` by code, else the portal.
async fn site_of(state: &AppState, code: &str) -> Result<GroupSite, AppError> {
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let code = code.trim();
    let found = if code.is_empty() { sites.into_iter().next() } else { sites.into_iter().find(|s| s.code == code) };
    found.ok_or(AppError::NotFound)
}

async fn page(state: &AppState, ctx: &Ctx, name: &str, status: StatusCode, v: Value) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, v, true).await
}

/// The topics of a site grouped under their headings, each marked when chosen.
async fn topic_groups(state: &AppState, site_id: i64, chosen: &[String]) -> Result<Vec<Value>, AppError> {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for t in super::offered(state, site_id).await? {
        let item = context! { key => t.key.clone(), label => t.label, checked => chosen.contains(&t.key) };
        match groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, items)) => items.push(item),
            None => groups.push((t.group, vec![item])),
        }
    }
    Ok(groups.into_iter().map(|(name, items)| context! { name, items }).collect())
}

fn frequencies() -> Vec<Value> {
    Frequency::ALL.iter().map(|f| context! { code => f.code(), label => f.label() }).collect()
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    site: &GroupSite,
    form: &Form,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let sites = platform::web::portal::group_sites(&state.db).await?;
    let v = context! {
        title => format!("订阅{}的信息", site.name), site => sv(site), site_id => site.id,
        sites => sites.iter().map(|s| context! { code => s.code.clone(), name => s.name.clone(), current => s.id == site.id }).collect::<Vec<_>>(),
        groups => topic_groups(state, site.id, &form.topics).await?, frequencies => frequencies(),
        form => sv(form), errors, captcha => sv(state.captcha.issue()), once => intake::submission_token(),
        nav_current => "/dingyue/",
    };
    page(state, ctx, "public/jd_subscribe.html", status, v).await
}

async fn form_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SiteQuery>) -> Result<Response, AppError> {
    let site = site_of(&state, &q.site).await?;
    let form = Form { via: "mail".into(), frequency: "daily".into(), ..Form::default() };
    form_view(&state, &ctx, &site, &form, BTreeMap::new(), StatusCode::OK).await
}

/// The form's fields (`topics` repeats, so a map would keep only one).
fn fields(pairs: &[(String, String)]) -> (Form, BTreeMap<String, String>) {
    let mut form = Form::default();
    let mut rest = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            "via" => form.via = v.clone(),
            "email" => form.email = v.clone(),
            "phone" => form.phone = v.clone(),
            "frequency" => form.frequency = v.clone(),
            "topics" => form.topics.push(v.clone()),
            _ => {
                rest.insert(k.clone(), v.clone());
            }
        }
    }
    (form, rest)
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (form, rest) = fields(&pairs);
    let get = |k: &str| rest.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let site = site_of(&state, &get("site")).await?;
    let once =
        match intake::claim(&state.db, "subscription", rest.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, "/dingyue/sent")),
        };
    let offered: Vec<String> = super::offered(&state, site.id).await?.into_iter().map(|t| t.key).collect();
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            (BTreeMap::from([("captcha".to_owned(), e.to_owned())]), StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match domain::check(&form, &offered) {
                Err(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
                Ok(req) => match super::request(&state, site.id, &req, &ctx.ip).await {
                    Ok(r) => {
                        once.settle(&state.db, &serde_json::to_value(&r).unwrap_or_default()).await?;
                        return Ok(once.redirect(&state, "/dingyue/sent"));
                    }
                    Err(e) => {
                        let (status, errors) = form_errors(e)?;
                        (errors, status)
                    }
                },
            }
        };
    once.release(&state.db).await?;
    form_view(&state, &ctx, &site, &form, errors, status).await
}

/// A message page: what happened, and optionally a form (a code to type, a button to press).
async fn message(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    text: String,
    action: Value,
) -> Result<Response, AppError> {
    let v = context! { title, text, action, nav_current => "/dingyue/" };
    let mut res = page(state, ctx, "public/jd_subscribe_message.html", status, v).await?;
    res.headers_mut().insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    Ok(res)
}

fn sms_form(id: i64, error: &str) -> Value {
    context! { kind => "code", url => format!("/dingyue/sms/{id}"), error }
}

async fn sent_page(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(r) = intake::receipt_of_request(&state.db, "subscription", &headers)
        .await?
        .and_then(|v| serde_json::from_value::<Requested>(v).ok())
    else {
        return Ok(platform::web::see_other("/dingyue/"));
    };
    let sms = r.via == "sms";
    let (title, text) = match (r.outcome.as_str(), sms) {
        ("already", _) => (
            "您已订阅",
            format!(
                "{} 已经订阅了本站信息。我们已把管理订阅的链接发送到该地址，可用它修改订阅内容、频率或退订。",
                r.masked
            ),
        ),
        ("wait", _) => (
            "请查收",
            format!(
                "几分钟前已向 {} 发送过消息，请先查收（也请查看垃圾邮件箱）。如未收到，请 10 分钟后再试。",
                r.masked
            ),
        ),
        (_, true) => {
            ("请输入短信确认码", format!("确认码已发送到 {}，7 天内有效。输入确认码后订阅才会生效。", r.masked))
        }
        _ => (
            "请到邮箱确认",
            format!(
                "确认邮件已发送到 {}。请在 7 天内打开邮件中的链接完成订阅；确认之前我们不会发送任何信息。",
                r.masked
            ),
        ),
    };
    let action = if sms && r.outcome == "confirm" { sms_form(r.subscriber_id, "") } else { Value::from(()) };
    message(&state, &ctx, StatusCode::OK, title, text, action).await
}

async fn sms_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let s = super::by_id(&state.db, id).await?.filter(|s| s.via() == domain::Via::Sms).ok_or(AppError::NotFound)?;
    match super::confirm_code(&state, &s, f.get("code").map_or("", String::as_str)).await {
        Ok(()) => subscribed(&state, &ctx, &s).await,
        Err(AppError::Invalid(e)) => {
            let msg = e.first().map(|e| e.message.clone()).unwrap_or_default();
            let text = format!("请输入发送到 {} 的 6 位确认码。", s.masked());
            message(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, "请输入短信确认码", text, sms_form(id, &msg)).await
        }
        Err(e) => Err(e),
    }
}

/// The page after confirming: what is now subscribed, and the management link to keep.
async fn subscribed(state: &AppState, ctx: &Ctx, s: &Subscriber) -> Result<Response, AppError> {
    let labels = super::topic_labels(state, s.site_id, &super::topics_of(&state.db, s.id).await?).await?;
    let text = format!(
        "订阅成功。您将{}收到以下栏目的新信息：{}。每条消息都附有退订方法；也可随时通过本页下方的链接修改或退订（请收藏）。",
        match s.frequency() {
            Frequency::Immediate => "在发布后立即",
            Frequency::Daily => "每天 8:00",
            Frequency::Weekly => "每周一 8:00",
        },
        labels.join("、")
    );
    let action = context! { kind => "link", url => format!("/dingyue/manage/{}", s.token()), label => "管理我的订阅" };
    message(state, ctx, StatusCode::OK, "订阅成功", text, action).await
}

async fn subscriber(state: &AppState, token: &str) -> Result<Subscriber, AppError> {
    super::by_token(&state.db, token).await?.ok_or(AppError::NotFound)
}

async fn confirm_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let s = subscriber(&state, &token).await?;
    if s.state() == SubState::Active {
        return subscribed(&state, &ctx, &s).await;
    }
    // A button, not the link itself: mail scanners open links, and only a person should confirm.
    let action = context! { kind => "button", url => format!("/dingyue/confirm/{token}"), label => "确认订阅" };
    message(&state, &ctx, StatusCode::OK, "确认订阅", format!("请确认用 {} 订阅本站信息。", s.masked()), action).await
}

async fn confirm_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    ctx.require_form_token(f.get("_csrf").map_or("", String::as_str))?;
    let s = subscriber(&state, &token).await?;
    if super::confirm(&state, &s).await? {
        let s = subscriber(&state, &token).await?;
        subscribed(&state, &ctx, &s).await
    } else {
        let action = context! { kind => "link", url => "/dingyue/", label => "重新订阅" };
        message(
            &state,
            &ctx,
            StatusCode::GONE,
            "链接已失效",
            "确认链接已超过 7 天或订阅已退订，请重新订阅。".into(),
            action,
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn manage_view(
    state: &AppState,
    ctx: &Ctx,
    s: &Subscriber,
    token: &str,
    form: &Form,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    notice: &str,
) -> Result<Response, AppError> {
    let (site, _) = super::site_and_base(state, s.site_id).await?;
    let v = context! {
        title => "管理我的订阅", site => sv(&site), site_id => site.id, masked => s.masked(), via_label => s.via().label(),
        state => s.state().code(), state_label => s.state().label(), token,
        groups => topic_groups(state, s.site_id, &form.topics).await?, frequencies => frequencies(),
        form => sv(form), errors, notice, nav_current => "/dingyue/",
    };
    let mut res = page(state, ctx, "public/jd_subscribe_manage.html", status, v).await?;
    res.headers_mut().insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    Ok(res)
}

async fn manage_page(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Result<Response, AppError> {
    let s = subscriber(&state, &token).await?;
    let form =
        Form { frequency: s.frequency.clone(), topics: super::topics_of(&state.db, s.id).await?, ..Form::default() };
    manage_view(&state, &ctx, &s, &token, &form, BTreeMap::new(), StatusCode::OK, "").await
}

async fn manage_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (mut form, rest) = fields(&pairs);
    ctx.require_form_token(rest.get("_csrf").map_or("", String::as_str))?;
    let s = subscriber(&state, &token).await?;
    if s.state() != SubState::Active {
        return manage_view(
            &state,
            &ctx,
            &s,
            &token,
            &form,
            BTreeMap::new(),
            StatusCode::CONFLICT,
            "该订阅未生效或已退订，请重新订阅。",
        )
        .await;
    }
    let offered: Vec<String> = super::offered(&state, s.site_id).await?.into_iter().map(|t| t.key).collect();
    // The address is not changed here: it was confirmed; a new one is a new subscription.
    form.via = s.channel.clone();
    form.email = if s.via() == domain::Via::Mail { s.address.0.clone() } else { String::new() };
    form.phone = if s.via() == domain::Via::Sms { s.address.0.clone() } else { String::new() };
    match domain::check(&form, &offered) {
        Ok(req) => {
            super::update(&state, &s, req.frequency, &req.topics).await?;
            let s = subscriber(&state, &token).await?;
            let form = Form { frequency: s.frequency.clone(), topics: req.topics, ..Form::default() };
            manage_view(&state, &ctx, &s, &token, &form, BTreeMap::new(), StatusCode::OK, "已保存。").await
        }
        Err(errors) => {
            let form = Form { via: String::new(), email: String::new(), phone: String::new(), ..form };
            manage_view(&state, &ctx, &s, &token, &form, errors, StatusCode::UNPROCESSABLE_ENTITY, "").await
        }
    }
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let s = subscriber(&state, &token).await?;
    if s.state() == SubState::Ended {
        return message(
            &state,
            &ctx,
            StatusCode::OK,
            "已退订",
            "您已退订，不会再收到本站的订阅信息。".into(),
            Value::from(()),
        )
        .await;
    }
    let action = context! { kind => "button", url => format!("/dingyue/unsubscribe/{token}"), label => "确认退订" };
    message(&state, &ctx, StatusCode::OK, "退订", format!("确认后，{} 将不再收到本站的订阅信息。", s.masked()), action)
        .await
}

/// Unsubscribes: from the page's button, or RFC 8058's one-click POST (`List-Unsubscribe=One-Click`,
/// sent by mail programs without cookies — the token in the address is the proof).
async fn unsubscribe_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let s = subscriber(&state, &token).await?;
    let one_click = f.get("List-Unsubscribe").is_some_and(|v| v == "One-Click");
    super::unsubscribe(&state.db, &s, if one_click { "one-click" } else { "link" }).await?;
    if one_click {
        return Ok((StatusCode::OK, [(axum::http::header::CACHE_CONTROL, "no-store")], "已退订").into_response());
    }
    let action = context! { kind => "link", url => format!("/dingyue/?site={}", site_code(&state, s.site_id).await), label => "重新订阅" };
    message(&state, &ctx, StatusCode::OK, "已退订", "您已退订，不会再收到本站的订阅信息。".into(), action).await
}

async fn site_code(state: &AppState, site_id: i64) -> String {
    super::site_and_base(state, site_id).await.map(|(s, _)| s.code).unwrap_or_default()
}
