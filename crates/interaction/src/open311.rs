//! Open311 GeoReport v2 over mailboxes and letters, so 12345 hotline systems and mobile apps can
//! file letters and follow them. Services are mailbox categories (`{mailbox}_{category}`, or the
//! mailbox code when it has none); a service request is a letter, its id the letter number.
//! Every path answers in JSON or XML by its extension. Filing needs an API key issued in the back
//! office. Reading without a key shows exactly what the public letter pages show: letters the
//! writer agreed to publish and the office published, with the office's redacted public text. A key
//! holder additionally sees the status of the requests it filed itself (never their text: it has
//! that already), and nothing of anyone else's unpublished letters.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::accounts;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Ctx};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::domain::{self, LetterInput, State as LState};
use crate::service::{self, Interaction, Submission};
use crate::store::{self, Category, Letter, Mailbox};

type Ext = Extension<Arc<Interaction>>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top_get).post(top_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(request_get))
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

fn split_file(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// Writes a JSON value as GeoReport XML: arrays become a root of repeated `item` elements.
fn to_xml(root: &str, item: &str, v: &Value) -> String {
    fn node(name: &str, v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str(&format!("<{name}/>")),
            Value::Object(map) => {
                out.push_str(&format!("<{name}>"));
                for (k, v) in map {
                    match v {
                        // Nested lists (service attribute values, discovery endpoints) repeat their singular tag.
                        Value::Array(items) => {
                            out.push_str(&format!("<{k}>"));
                            let single = k.strip_suffix('s').unwrap_or(k);
                            for i in items {
                                node(single, i, out);
                            }
                            out.push_str(&format!("</{k}>"));
                        }
                        _ => node(k, v, out),
                    }
                }
                out.push_str(&format!("</{name}>"));
            }
            Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", platform::feed::xml_escape(s))),
            other => out.push_str(&format!("<{name}>{other}</{name}>")),
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    match v {
        Value::Array(items) => {
            out.push_str(&format!("<{root}>"));
            for i in items {
                node(item, i, &mut out);
            }
            out.push_str(&format!("</{root}>"));
        }
        other => node(root, other, &mut out),
    }
    out
}

fn respond(fmt: Format, status: StatusCode, root: &str, item: &str, v: Value) -> Response {
    match fmt {
        Format::Json => {
            (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], v.to_string()).into_response()
        }
        Format::Xml => {
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], to_xml(root, item, &v)).into_response()
        }
    }
}

fn error(fmt: Format, status: StatusCode, description: &str) -> Response {
    respond(fmt, status, "errors", "error", json!([{"code": status.as_u16(), "description": description}]))
}

fn iso(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            let t = t.to_offset(offset);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_default()
}

fn parse_iso(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn service_code(m: &Mailbox, c: Option<&Category>) -> String {
    c.map_or_else(|| m.code.clone(), |c| format!("{}_{}", m.code, c.id))
}

/// Every active mailbox's services: (code, mailbox, category).
async fn services(state: &AppState) -> Result<Vec<(String, Mailbox, Option<Category>)>, AppError> {
    let boxes = store::mailboxes(&state.db).await?;
    let cats = store::all_categories(&state.db).await?;
    let mut out = Vec::new();
    for m in boxes.into_iter().filter(|m| m.active) {
        let mine: Vec<&Category> = cats.iter().filter(|c| c.mailbox_id == m.id).collect();
        if mine.is_empty() {
            out.push((service_code(&m, None), m, None));
        } else {
            for c in mine {
                out.push((service_code(&m, Some(c)), m.clone(), Some(c.clone())));
            }
        }
    }
    Ok(out)
}

fn service_json(code: &str, m: &Mailbox, c: Option<&Category>) -> Value {
    json!({
        "service_code": code,
        "service_name": c.map_or_else(|| m.name.clone(), |c| format!("{}－{}", m.name, c.name)),
        "description": m.intro.lines().next().unwrap_or(&m.name),
        "metadata": false,
        "type": "realtime",
        "keywords": domain::kind_label(&m.kind),
        "group": m.name,
    })
}

async fn top_get(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let Some((name, fmt)) = split_file(&file) else { return Err(AppError::NotFound) };
    match name {
        "discovery" => Ok(respond(
            fmt,
            StatusCode::OK,
            "discovery",
            "discovery",
            json!({
                "changeset": "2026-12-01T00:00:00+08:00",
                "contact": "信箱管理部门",
                "key_service": "在管理后台“信箱设置”中为接入系统申请密钥",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": "/open311/v2",
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }],
            }),
        )),
        "services" => {
            let list: Vec<Value> =
                services(&state).await?.iter().map(|(code, m, c)| service_json(code, m, c.as_ref())).collect();
            Ok(respond(fmt, StatusCode::OK, "services", "service", Value::Array(list)))
        }
        "requests" => list_requests(&state, fmt, &q).await,
        _ => Err(AppError::NotFound),
    }
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let Some((code, fmt)) = split_file(&file) else { return Err(AppError::NotFound) };
    let all = services(&state).await?;
    match all.iter().find(|(c, _, _)| c == code) {
        Some((c, _, _)) => Ok(respond(
            fmt,
            StatusCode::OK,
            "service_definition",
            "service_definition",
            json!({"service_code": c, "attributes": []}),
        )),
        None => Ok(error(fmt, StatusCode::NOT_FOUND, "没有这个服务代码")),
    }
}

/// Who is reading: the public, or the system that holds an API key (its requests' `source`).
async fn reader(state: &AppState, q: &BTreeMap<String, String>) -> Result<Option<String>, AppError> {
    let key = q.get("api_key").map(|k| k.trim()).unwrap_or_default();
    if key.is_empty() {
        return Ok(None);
    }
    Ok(store::open311_key_name(&state.db, &service::hash_code(key)).await?.map(|name| format!("open311:{name}")))
}

/// A letter as a service request. A published letter shows its public (redacted) texts; a key
/// holder's own unpublished request shows only where it stands.
fn request_json(l: &Letter, boxes: &[Mailbox], cats: &[Category], units: &BTreeMap<i64, String>) -> Value {
    let m = boxes.iter().find(|m| m.id == l.mailbox_id);
    let c = l.category_id.and_then(|id| cats.iter().find(|c| c.id == id));
    let st = LState::parse(&l.state).unwrap_or(LState::Submitted);
    let open = matches!(st, LState::Submitted | LState::Accepted | LState::Assigned | LState::ReplyReview);
    let description = if l.published { l.public_content.clone() } else { String::new() };
    let notes = match st {
        LState::Rejected => format!("不予受理：{}", l.reject_reason),
        s if s.is_completed() && l.published => l.public_reply.clone(),
        s => s.label().to_owned(),
    };
    // Expected by the end of the due day's working hours (18:00 Beijing).
    let expected = if open {
        let due = l.due_date.clone().unwrap_or_else(|| l.accept_due.clone());
        platform::parse_date(&due).map(|d| iso(d + 18 * 3600))
    } else {
        None
    };
    json!({
        "service_request_id": l.no,
        "status": if open { "open" } else { "closed" },
        "status_notes": notes,
        "service_name": m.map(|m| c.map_or_else(|| m.name.clone(), |c| format!("{}－{}", m.name, c.name))).unwrap_or_default(),
        "service_code": m.map(|m| service_code(m, c)).unwrap_or_default(),
        "description": description,
        "agency_responsible": l.unit_id.or(l.reply_unit_id).and_then(|u| units.get(&u).cloned()).unwrap_or_default(),
        "service_notice": format!("受理时限 {} 个工作日", m.map_or(3, |m| m.accept_days)),
        "requested_datetime": iso(l.submitted_at),
        "updated_datetime": iso(l.updated_at),
        "expected_datetime": expected,
        "address": "",
        "zipcode": "",
        "media_url": "",
    })
}

/// The letters this reader may see: published ones, and a key holder's own.
fn visible_to(reader: Option<&str>) -> platform::db::Q {
    let w = platform::db::sql("SELECT * FROM letter WHERE (published = TRUE");
    match reader {
        Some(source) => w.push(" OR source = ").push_bind(source.to_owned()).push(")"),
        None => w.push(")"),
    }
}

async fn list_requests(state: &AppState, fmt: Format, q: &BTreeMap<String, String>) -> Result<Response, AppError> {
    let boxes = store::mailboxes(&state.db).await?;
    let cats = store::all_categories(&state.db).await?;
    let units: BTreeMap<i64, String> =
        accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let reader = reader(state, q).await?;
    let mut w = visible_to(reader.as_deref());
    if let Some(ids) = q.get("service_request_id").filter(|s| !s.is_empty()) {
        let nos: Vec<String> =
            ids.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).take(100).collect();
        w = w.push(" AND no IN (").push_bind_list(nos).push(")");
    } else {
        if let Some(code) = q.get("service_code").filter(|s| !s.is_empty()) {
            let all = services(state).await?;
            let Some((_, m, c)) = all.iter().find(|(c, _, _)| c == code) else {
                return Ok(error(fmt, StatusCode::BAD_REQUEST, "没有这个服务代码"));
            };
            w = w.push(" AND mailbox_id = ").push_bind(m.id);
            if let Some(c) = c {
                w = w.push(" AND category_id = ").push_bind(c.id);
            }
        }
        match q.get("status").map(String::as_str) {
            Some("open") => w = w.push(" AND state IN ('submitted','accepted','assigned','reply_review')"),
            Some("closed") => w = w.push(" AND state NOT IN ('submitted','accepted','assigned','reply_review')"),
            _ => {}
        }
        // GeoReport's default window is the last 90 days.
        let end = q.get("end_date").and_then(|s| parse_iso(s)).unwrap_or_else(|| platform::db::now() + 1);
        let start = q.get("start_date").and_then(|s| parse_iso(s)).unwrap_or(end - 90 * 86_400);
        w = w.push(" AND submitted_at >= ").push_bind(start).push(" AND submitted_at < ").push_bind(end);
    }
    let rows: Vec<Letter> = state.db.fetch_all(w.push(" ORDER BY submitted_at DESC, id DESC LIMIT 1000")).await?;
    let mut list = Vec::with_capacity(rows.len());
    for l in &rows {
        list.push(request_json(l, &boxes, &cats, &units));
    }
    Ok(respond(fmt, StatusCode::OK, "service_requests", "request", Value::Array(list)))
}

async fn request_get(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let Some((no, fmt)) = split_file(&file) else { return Err(AppError::NotFound) };
    let reader = reader(&state, &q).await?;
    let found: Option<Letter> =
        state.db.fetch_optional(visible_to(reader.as_deref()).push(" AND no = ").push_bind(no.to_owned())).await?;
    // An unpublished letter answers exactly like one that does not exist.
    let Some(l) = found else {
        return Ok(error(fmt, StatusCode::NOT_FOUND, "没有这个服务请求"));
    };
    let boxes = store::mailboxes(&state.db).await?;
    let cats = store::all_categories(&state.db).await?;
    let units: BTreeMap<i64, String> =
        accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let v = request_json(&l, &boxes, &cats, &units);
    Ok(respond(fmt, StatusCode::OK, "service_requests", "request", json!([v])))
}

async fn top_post(
    State(state): State<AppState>,
    Extension(ix): Ext,
    ctx: Ctx,
    Path(file): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let Some(("requests", fmt)) = split_file(&file) else { return Err(AppError::NotFound) };
    let get = |k: &str| f.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let key = get("api_key");
    let key_name =
        if key.is_empty() { None } else { store::open311_key_name(&state.db, &service::hash_code(&key)).await? };
    let Some(key_name) = key_name else {
        return Ok(error(fmt, StatusCode::FORBIDDEN, "api_key 无效或已吊销"));
    };
    let code = get("service_code");
    let all = services(&state).await?;
    let Some((_, m, c)) = all.iter().find(|(c, _, _)| *c == code) else {
        return Ok(error(fmt, StatusCode::BAD_REQUEST, "service_code 无效：请先查询 services 列表"));
    };
    let description = get("description");
    let subject = {
        let s = get("attribute[subject]");
        if s.is_empty() {
            description.lines().next().unwrap_or("").chars().take(domain::SUBJECT_MAX).collect()
        } else {
            s
        }
    };
    let input = LetterInput {
        name: format!("{}{}", get("last_name"), get("first_name")),
        phone: get("phone"),
        email: get("email"),
        id_number: String::new(),
        address: get("address_string"),
        category_id: c.as_ref().map(|c| c.id),
        subject,
        content: description,
        consent_publish: get("attribute[consent_publish]") == "true",
        anonymous_public: true,
    };
    let sub =
        Submission { mailbox: m, input, attachments: Vec::new(), ip: &ctx.ip, source: format!("open311:{key_name}") };
    match service::submit(&state, &ix, sub).await {
        Ok(r) => Ok(respond(
            fmt,
            StatusCode::CREATED,
            "service_requests",
            "request",
            json!([{"service_request_id": r.no, "service_notice": format!("已收到，查询码 {}（请转告来信人）", r.query_code), "account_id": null}]),
        )),
        Err(AppError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；");
            Ok(error(fmt, StatusCode::BAD_REQUEST, &msg))
        }
        Err(AppError::TooManyRequests(m)) => Ok(error(fmt, StatusCode::TOO_MANY_REQUESTS, &m)),
        Err(AppError::Conflict(m)) => Ok(error(fmt, StatusCode::BAD_REQUEST, &m)),
        Err(e) => Err(e),
    }
}
