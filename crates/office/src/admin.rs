//! 协同办公 in the back office: 发文 (the units' sent documents with live per-recipient status,
//! the draft with its GB/T 9704 elements and files, 签发, 催办, 撤回), 收文 (the units' inbox,
//! one delivery with 签收 / 退文, 分发 and 办理意见, the receipt and its check) and 统计.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::roles::Perm;
use platform::web::error::{form_errors, form_errors_at};
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use crate::domain::{DeliveryState, DocAction, DocState, Elements, URGENCY};
use crate::exchange::{self, DocumentInput};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/of_sent.html", include_str!("../templates/admin/of_sent.html")),
        ("admin/of_document.html", include_str!("../templates/admin/of_document.html")),
        ("admin/of_inbox.html", include_str!("../templates/admin/of_inbox.html")),
        ("admin/of_delivery.html", include_str!("../templates/admin/of_delivery.html")),
        ("admin/of_stats.html", include_str!("../templates/admin/of_stats.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/office/sent", get(sent_page))
        .route("/admin/office/documents/new", get(new_page).post(create))
        .route("/admin/office/documents/{id}", get(document_page).post(save))
        .route("/admin/office/documents/{id}/parts", post(upload).layer(DefaultBodyLimit::max(64 << 20)))
        .route("/admin/office/documents/{id}/parts/{part}/remove", post(remove_part))
        .route("/admin/office/documents/{id}/parts/{part}", get(download))
        .route("/admin/office/documents/{id}/act", post(act))
        .route("/admin/office/documents/{id}/remind", post(remind))
        .route("/admin/office/inbox", get(inbox_page))
        .route("/admin/office/deliveries/{id}", get(delivery_page).post(receive))
        .route("/admin/office/deliveries/{id}/notes", post(note))
        .route("/admin/office/stats", get(stats_page))
}

/// The workbench's counts: documents waiting to be signed for in one's units, and waiting for 签发.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut out = Vec::new();
    if auth.holds_anywhere(Perm::OfficeExchange) {
        let mine = auth.units_with(Perm::OfficeExchange, &orgs);
        let q = platform::db::sql("SELECT COUNT(*) FROM office_delivery WHERE state = 'pending'")
            .and_within("unit_id", mine.as_deref());
        out.push(platform::web::Todo {
            section: "协同办公",
            label: "来文待签收",
            count: state.db.count(q).await?,
            href: "/admin/office/inbox?state=pending".into(),
            urgent: false,
            nav: Some("/admin/office/inbox"),
        });
    }
    if auth.holds_anywhere(Perm::OfficeSignOff) {
        let mine = auth.units_with(Perm::OfficeSignOff, &orgs);
        let q = platform::db::sql("SELECT COUNT(*) FROM office_document WHERE state = 'pending'")
            .and_within("org_id", mine.as_deref());
        out.push(platform::web::Todo {
            section: "协同办公",
            label: "公文待签发",
            count: state.db.count(q).await?,
            href: "/admin/office/sent".into(),
            urgent: false,
            nav: Some("/admin/office/sent"),
        });
    }
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 50;

async fn sent_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if !staff.holds_anywhere(Perm::OfficeSignOff) {
        staff.require_anywhere(Perm::OfficeExchange)?;
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut mine = staff.units_with(Perm::OfficeExchange, &orgs);
    if let (Some(m), Some(lead)) = (mine.as_mut(), staff.units_with(Perm::OfficeSignOff, &orgs)) {
        m.extend(lead);
    } else if !staff.holds_anywhere(Perm::OfficeExchange) {
        mine = staff.units_with(Perm::OfficeSignOff, &orgs);
    }
    let rows = exchange::outbox(&state.db, mine.as_deref(), q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| context! { r => sv(r), sender => accounts::org_name(&orgs, r.org_id), state_label => DocState::parse(&r.state).map(|s| s.label()) })
        .collect();
    let clerk = staff.holds_anywhere(Perm::OfficeExchange);
    Ok(state.render(&ctx, "admin/of_sent.html", context! { rows, next, clerk })?.into_response())
}

fn form_page(
    orgs: &[OrgUnit],
    auth: &Auth,
    form: &DocumentInput,
    errors: BTreeMap<String, String>,
    doc: Option<Value>,
) -> Value {
    let mine = auth.units_with(Perm::OfficeExchange, orgs);
    let senders: Vec<(String, String)> = orgs
        .iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect();
    let units: Vec<(String, String, bool)> =
        orgs.iter().map(|o| (o.code.clone(), o.name.clone(), form.recipients.contains(&o.code))).collect();
    let urgencies: Vec<&str> = URGENCY.iter().map(|u| u.0).collect();
    context! { form => sv(form), e => sv(&form.elements), errors, senders, units, urgencies, doc }
}

async fn groups_value(state: &AppState, chosen: &[i64]) -> Result<Vec<Value>, AppError> {
    Ok(exchange::groups(&state.db)
        .await?
        .iter()
        .map(|g| context! { id => g.id, name => g.name.clone(), n => g.member_ids().len(), checked => chosen.contains(&g.id) })
        .collect())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::OfficeExchange, &orgs);
    let own = staff.user.org_id.filter(|o| mine.as_ref().is_none_or(|m| m.contains(o)));
    let org = own.and_then(|o| orgs.iter().find(|x| x.id == o)).map(|o| o.code.clone()).unwrap_or_default();
    let form = DocumentInput {
        org,
        elements: Elements { secrecy: crate::domain::UNCLASSIFIED.into(), ..Elements::default() },
        ..DocumentInput::default()
    };
    let mut page = form_page(&orgs, &staff, &form, BTreeMap::new(), None);
    page = context! { ..page, ..context! { groups => groups_value(&state, &[]).await? } };
    Ok(state.render(&ctx, "admin/of_document.html", page)?.into_response())
}

/// Reads the form: the elements, and repeated `recipients` / `groups` checkboxes.
fn input_of(pairs: &[(String, String)]) -> DocumentInput {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    DocumentInput {
        org: get("org"),
        elements: Elements {
            copy_no: get("copy_no"),
            secrecy: get("secrecy"),
            secrecy_term: get("secrecy_term"),
            urgency: get("urgency"),
            issuer_mark: get("issuer_mark"),
            doc_no: get("doc_no"),
            signer: get("signer"),
            title: get("title"),
            main_to: get("main_to"),
            body: get("body"),
            attachment_note: get("attachment_note"),
            sign_org: get("sign_org"),
            written_on: get("written_on"),
            note: get("note"),
            cc: get("cc"),
            printer: get("printer"),
            printed_on: get("printed_on"),
        },
        recipients: pairs.iter().filter(|(k, _)| k == "recipients").map(|(_, v)| v.clone()).collect(),
        groups: pairs.iter().filter(|(k, _)| k == "groups").filter_map(|(_, v)| v.parse().ok()).collect(),
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let input = input_of(&pairs);
    match exchange::create(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/office/documents/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let orgs = accounts::list_orgs(&state.db).await?;
            let page = form_page(&orgs, &staff, &input, errors, None);
            let page = context! { ..page, ..context! { groups => groups_value(&state, &input.groups).await? } };
            Ok((status, state.render(&ctx, "admin/of_document.html", page)?).into_response())
        }
    }
}

async fn document_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    form: Option<(&DocumentInput, BTreeMap<String, String>)>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let d = exchange::get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let scope = accounts::org_scope(&orgs, d.org_id);
    let clerk = auth.can(Perm::OfficeExchange, &scope);
    let leader = auth.can(Perm::OfficeSignOff, &scope);
    if !clerk && !leader {
        return Err(AppError::Forbidden("您没有查看这份发文的权限".into()));
    }
    let parts = exchange::parts(&state.db, id).await?;
    let deliveries: Vec<Value> = exchange::deliveries(&state.db, id)
        .await?
        .iter()
        .map(
            |x| context! { x => sv(x), unit => accounts::org_name(&orgs, x.unit_id), state_label => x.state().label() },
        )
        .collect();
    let st = d.state();
    let actions: Vec<(&str, &str)> = DocAction::ALL
        .into_iter()
        .filter(|a| crate::domain::doc_transition(st, *a, false).is_some())
        .filter(|a| if a.is_leaders() { leader } else { clerk })
        .map(|a| (a.code(), a.label()))
        .collect();
    // The history as people read it: each action by its Chinese name.
    let history: Vec<Value> = platform::workflow::events(&state.db, &exchange::FLOW, id)
        .await?
        .iter()
        .map(|e| {
            let label = match e.action.as_str() {
                "create" => "起草",
                "edit" => "修改",
                "remind" => "催办",
                a => DocAction::parse(a).map_or(a, |a| a.label()),
            };
            context! { at => e.at, actor => e.actor.clone(), action => label, comment => e.comment.clone() }
        })
        .collect();
    let (form, errors) = match form {
        Some((f, e)) => (f.clone(), e),
        None => (stored_form(state, id).await?, BTreeMap::new()),
    };
    let recipients: Vec<String> = d.recipient_ids().iter().map(|o| accounts::org_name(&orgs, *o)).collect();
    let doc = context! { d => sv(&d), sender => accounts::org_name(&orgs, d.org_id), state => st.code(), state_label => st.label(), parts => sv(&parts), deliveries,
    actions, history, editable => clerk && st == DocState::Draft, recipients };
    let page = form_page(&orgs, auth, &form, errors, Some(doc));
    let page = context! { ..page, ..context! { groups => groups_value(state, &form.groups).await? } };
    Ok((status, state.render(ctx, "admin/of_document.html", page)?).into_response())
}

async fn document_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !staff.holds_anywhere(Perm::OfficeSignOff) {
        staff.require_anywhere(Perm::OfficeExchange)?;
    }
    document_view(&state, &ctx, &staff, id, None, axum::http::StatusCode::OK).await
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let input = input_of(&pairs);
    match exchange::update(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/office/documents/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            document_view(&state, &ctx, &staff, id, Some((&input, errors)), status).await
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let (_, files) = platform::web::extract::read_multipart(mp).await?;
    let mut result = Ok(());
    for f in &files {
        let kind = if f.field == "body_file" { "body" } else { "attachment" };
        if let Err(e) = exchange::add_part(&state, &ctx, &staff, id, kind, &f.name, &f.bytes).await {
            result = Err(e);
            break;
        }
    }
    if files.is_empty() {
        result = Err(AppError::invalid("body_file", "请选择要上传的文件"));
    }
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/office/documents/{id}?ok=uploaded#parts"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let form = stored_form(&state, id).await?;
            document_view(&state, &ctx, &staff, id, Some((&form, errors)), status).await
        }
    }
}

async fn remove_part(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, part)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    exchange::remove_part(&state, &ctx, &staff, id, part).await?;
    Ok(see_other(&format!("/admin/office/documents/{id}?ok=removed#parts")))
}

/// A part, for the sender's unit and the recipient units (each download audited).
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, part)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let d = exchange::get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut allowed = staff.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, d.org_id));
    if !allowed && d.state() == DocState::Sent {
        for x in exchange::deliveries(&state.db, id).await? {
            if x.state() != DeliveryState::Recalled
                && staff.can(Perm::OfficeExchange, &accounts::org_scope(&orgs, x.unit_id))
            {
                allowed = true;
            }
        }
    }
    if !allowed {
        return Err(AppError::NotFound);
    }
    let p = exchange::parts(&state.db, id).await?.into_iter().find(|p| p.id == part).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(exchange::files_dir(&state.config.data_dir).join(&p.stored))
        .await
        .map_err(|_| AppError::NotFound)?;
    state.audit(&ctx, "office.part.download", &format!("office_document:{id}"), "success", p.name.clone()).await;
    Ok(platform::web::download(&format!("part-{}", p.id), Some(&p.name), platform::intake::mime_for(&p.name), bytes))
}

#[derive(Debug, Default, Deserialize)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    if !staff.holds_anywhere(Perm::OfficeSignOff) {
        staff.require_anywhere(Perm::OfficeExchange)?;
    }
    let a = DocAction::parse(&f.action).ok_or_else(|| AppError::BadRequest("未知操作".into()))?;
    match exchange::act(&state, &ctx, &staff, id, a, &f.comment).await {
        Ok(_) => Ok(see_other(&format!("/admin/office/documents/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors_at(e, "action")?;
            let form = stored_form(&state, id).await?;
            document_view(&state, &ctx, &staff, id, Some((&form, errors)), status).await
        }
    }
}

/// The document's stored fields as its form shows them.
async fn stored_form(state: &AppState, id: i64) -> Result<DocumentInput, AppError> {
    let d = exchange::get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let code_of = |o: i64| orgs.iter().find(|x| x.id == o).map(|x| x.code.clone()).unwrap_or_default();
    Ok(DocumentInput {
        org: code_of(d.org_id),
        elements: d.elements(),
        recipients: d.recipient_ids().into_iter().map(code_of).collect(),
        groups: Vec::new(),
    })
}

async fn remind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    exchange::remind(&state, &ctx, &staff, id).await?;
    Ok(see_other(&format!("/admin/office/documents/{id}?ok=resend")))
}

async fn inbox_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::OfficeExchange, &orgs);
    let st = DeliveryState::parse(&q.state).map(|s| s.code()).unwrap_or("");
    let rows = exchange::inbox(&state.db, mine.as_deref(), st, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.delivery_id)).flatten();
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| context! { r => sv(r), unit => accounts::org_name(&orgs, r.unit_id), sender => accounts::org_name(&orgs, r.sender_id), state_label => DeliveryState::parse(&r.state).map(|s| s.label()) })
        .collect();
    let states: Vec<(&str, &str)> = DeliveryState::ALL.iter().map(|s| (s.code(), s.label())).collect();
    Ok(state.render(&ctx, "admin/of_inbox.html", context! { rows, next, state => st, states })?.into_response())
}

async fn delivery_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let x = exchange::delivery(&state.db, id).await?;
    let orgs = exchange::require(state, auth, x.unit_id).await?;
    let d = exchange::get(&state.db, x.document_id).await?;
    let parts =
        if x.state() == DeliveryState::Recalled { Vec::new() } else { exchange::parts(&state.db, d.id).await? };
    let notes = exchange::notes(&state.db, id).await?;
    let problems = if x.state() == DeliveryState::Signed {
        Some(exchange::verify_receipt(&state.db, &state.config.data_dir, id).await?)
    } else {
        None
    };
    let page = context! {
        x => sv(&x), d => sv(&d), unit => accounts::org_name(&orgs, x.unit_id), sender => accounts::org_name(&orgs, d.org_id), state => x.state().code(),
        state_label => x.state().label(), parts => sv(&parts), notes => sv(&notes), problems, errors,
    };
    Ok((status, state.render(ctx, "admin/of_delivery.html", page)?).into_response())
}

async fn delivery_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    delivery_view(&state, &ctx, &staff, id, BTreeMap::new(), axum::http::StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct ReceiveForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn receive(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ReceiveForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let sign = match f.decision.as_str() {
        "sign" => true,
        "return" => false,
        _ => return Err(AppError::invalid("decision", "请选择签收或退文")),
    };
    match exchange::receive(&state, &ctx, &staff, id, sign, &f.reason).await {
        Ok(_) => Ok(see_other(&format!("/admin/office/deliveries/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = match e {
                AppError::Conflict(m) => {
                    (axum::http::StatusCode::CONFLICT, BTreeMap::from([("decision".to_owned(), m)]))
                }
                e => form_errors(e)?,
            };
            delivery_view(&state, &ctx, &staff, id, errors, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
}

async fn note(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    match exchange::add_note(&state, &ctx, &staff, id, &f.kind, &f.text).await {
        Ok(()) => Ok(see_other(&format!("/admin/office/deliveries/{id}?ok=saved#notes"))),
        Err(e) => {
            let (status, errors) = form_errors_at(e, "text")?;
            delivery_view(&state, &ctx, &staff, id, errors, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct StatsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::OfficeExchange)?;
    let today = platform::calendar::date_text(platform::calendar::today());
    let year_start = format!("{}-01-01", &today[..4]);
    let from_s = if q.from.is_empty() { year_start } else { q.from.clone() };
    let to_s = if q.to.is_empty() { today } else { q.to.clone() };
    let (Some(from), Some(to)) = (platform::parse_date(&from_s), platform::parse_date(&to_s)) else {
        return Err(AppError::invalid("from", "日期应写作 2026-01-01"));
    };
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::OfficeExchange, &orgs);
    let rows: Vec<exchange::UnitStats> = exchange::stats(&state, from, to + 86_400)
        .await?
        .into_iter()
        .filter(|u| mine.as_ref().is_none_or(|m| m.contains(&u.unit_id)))
        .collect();
    Ok(state
        .render(&ctx, "admin/of_stats.html", context! { rows => sv(&rows), from => from_s, to => to_s })?
        .into_response())
}
