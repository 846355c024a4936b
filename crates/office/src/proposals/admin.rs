//! 建议提案 in the back office: the list (each person sees what concerns them: the office all,
//! a unit what it leads or joins, a deputy or member their own), registration, one item with its
//! history and the forms its reader may use (交办, 退回, 会办意见, 答复, 审核, 评价, 督办, 公开), and
//! the statistics per 主办 unit.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, after_post, see_other, sv};
use serde::Deserialize;

use super::domain::{self, Kind, Rating, State as St};
use super::{AssignInput, ListFilter, ProposalInput, ReplyInput, Seen};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/of_proposals.html", include_str!("../../templates/admin/of_proposals.html")),
        ("admin/of_proposal.html", include_str!("../../templates/admin/of_proposal.html")),
        ("admin/of_proposal_new.html", include_str!("../../templates/admin/of_proposal_new.html")),
        ("admin/of_proposal_stats.html", include_str!("../../templates/admin/of_proposal_stats.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/office/proposals", get(list_page))
        .route("/admin/office/proposals/new", get(new_page).post(create))
        .route(
            "/admin/office/proposals/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(IMPORT_MAX_BYTES + (1 << 20))),
        )
        .route("/admin/office/proposals/stats", get(stats_page))
        .route("/admin/office/proposals/{id}", get(item_page))
        .route("/admin/office/proposals/{id}/assign", post(assign))
        .route("/admin/office/proposals/{id}/return", post(give_back))
        .route("/admin/office/proposals/{id}/opinion", post(opinion))
        .route("/admin/office/proposals/{id}/reply", post(reply))
        .route("/admin/office/proposals/{id}/review", post(review))
        .route("/admin/office/proposals/{id}/rate", post(rate))
        .route("/admin/office/proposals/{id}/urge", post(urge))
        .route("/admin/office/proposals/{id}/publish", post(publish))
}

/// The workbench's counts: items to 交办 (office), to answer (units), to review (unit leaders),
/// to rate (deputies).
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut out = Vec::new();
    let mut todo = |label: &'static str, count: i64, href: &str, urgent: bool| {
        out.push(platform::web::Todo {
            section: "协同办公",
            label,
            count,
            href: href.into(),
            urgent,
            nav: Some("/admin/office/proposals"),
        })
    };
    if auth.can(Perm::ProposalManage, &platform::roles::ResourceScope::platform()) {
        let n = state
            .db
            .count(platform::db::sql("SELECT COUNT(*) FROM office_proposal WHERE state IN ('registered', 'returned')"))
            .await?;
        todo("建议提案待交办", n, "/admin/office/proposals?state=registered", false);
    }
    for (perm, label, states, href) in [
        (Perm::OfficeExchange, "建议提案待答复", "('assigned', 'reopened')", "/admin/office/proposals?state=assigned"),
        (Perm::OfficeSignOff, "建议提案答复待审核", "('reviewing')", "/admin/office/proposals?state=reviewing"),
    ] {
        if auth.holds_anywhere(perm) {
            let q = platform::db::sql(format!("SELECT COUNT(*) FROM office_proposal WHERE state IN {states}"))
                .and_within("lead_unit_id", auth.units_with(perm, &orgs).as_deref());
            todo(label, state.db.count(q).await?, href, false);
        }
    }
    if auth.holds_anywhere(Perm::ProposalRate) {
        let q =
            platform::db::sql("SELECT COUNT(*) FROM office_proposal WHERE state = 'replied' AND member_user_id = $1")
                .bind(auth.user.id);
        todo("答复待评价", state.db.count(q).await?, "/admin/office/proposals?state=replied", true);
    }
    Ok(out)
}

fn require_list(staff: &Staff) -> Result<(), AppError> {
    if super::may_list(staff) { Ok(()) } else { staff.require_anywhere(Perm::ProposalManage) }
}

fn states() -> Vec<(&'static str, &'static str)> {
    St::ALL.iter().map(|s| (s.code(), s.label())).collect()
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.code(), k.label())).collect()
}

const PAGE: i64 = 50;

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(f): Query<ListFilter>,
) -> Result<Response, AppError> {
    require_list(&staff)?;
    let rows = super::list(&state, &staff, &f, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let orgs = accounts::list_orgs(&state.db).await?;
    let now = platform::db::now();
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let st = St::parse(&r.state).unwrap_or(St::Registered);
            context! {
                r => sv(r), kind => Kind::parse(&r.kind).map(|k| k.label()), state_label => st.label(),
                lead => r.lead_unit_id.map(|u| accounts::org_name(&orgs, u)),
                overdue => st.in_hand() && r.due_at.is_some_and(|d| d < now),
            }
        })
        .collect();
    let page = context! {
        rows, next, states => states(), kinds => kinds(), sessions => super::sessions(&state.db).await?,
        unit_name => f.unit.map(|u| accounts::org_name(&orgs, u)),
        f => context! { state => f.state, kind => f.kind, session => f.session, overdue => f.overdue, q => f.q, unit => f.unit },
        office => staff.can(Perm::ProposalManage, &platform::roles::ResourceScope::platform()),
    };
    Ok(state.render(&ctx, "admin/of_proposals.html", page)?.into_response())
}

fn new_view(
    state: &AppState,
    ctx: &Ctx,
    form: &ProposalInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    import_view(state, ctx, form, errors, status, Value::UNDEFINED)
}

/// The registration page, with the import form and, after an import, its report.
fn import_view(
    state: &AppState,
    ctx: &Ctx,
    form: &ProposalInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    imported: Value,
) -> Result<Response, AppError> {
    let page = context! { form => sv(form), errors, kinds => kinds(), imported };
    Ok((status, state.render(ctx, "admin/of_proposal_new.html", page)?).into_response())
}

/// The largest spreadsheet the import takes.
const IMPORT_MAX_BYTES: usize = 10 << 20;

/// A session's list from a spreadsheet (xlsx, CSV in UTF-8 or GBK): read, mapped by its headings,
/// registered row by row; the page shows what was created, skipped and refused.
async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let (fields, files) = platform::web::extract::read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let form = ProposalInput { kind: get("kind"), session: get("session"), ..ProposalInput::default() };
    let refuse = |field: &str, message: String| {
        let errors = BTreeMap::from([(field.to_owned(), message)]);
        import_view(&state, &ctx, &form, errors, StatusCode::UNPROCESSABLE_ENTITY, Value::UNDEFINED)
    };
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        return refuse("file", "请选择要导入的表格文件（xlsx 或 CSV）".into());
    };
    let name = file.name.clone();
    // A row that cannot be read is reported with the refused ones; it never stops the others.
    type Read = (Vec<super::import::ImportItem>, Vec<super::import::Problem>);
    let read = tokio::task::spawn_blocking(move || -> Result<Read, String> {
        let table = tables::open_bytes(&file.name, file.bytes)?;
        let at = super::import::columns(&table.headers)?;
        let (mut items, mut unreadable) = (Vec::new(), Vec::new());
        for (row, cells) in table {
            match cells {
                Ok(cells) => items.extend(super::import::item(&at, row, &cells)),
                Err(reason) => unreadable.push(super::import::Problem { row, number: String::new(), reason }),
            }
        }
        Ok((items, unreadable))
    })
    .await
    .map_err(|e| AppError::Internal(format!("读取表格失败: {e}")))?;
    let (items, unreadable) = match read {
        Ok(read) => read,
        Err(e) => return refuse("file", format!("「{name}」{e}")),
    };
    let input = super::import::ImportInput { kind: form.kind.clone(), session: form.session.clone(), items };
    match super::import::import(&state, &ctx, &staff, &input).await {
        Ok(mut report) => {
            report.rejected.extend(unreadable);
            report.rejected.sort_by_key(|p| p.row);
            import_view(&state, &ctx, &form, BTreeMap::new(), StatusCode::OK, sv(&report))
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            import_view(&state, &ctx, &form, errors, status, Value::UNDEFINED)
        }
    }
}

async fn new_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let form = ProposalInput { kind: "suggestion".into(), ..ProposalInput::default() };
    new_view(&state, &ctx, &form, BTreeMap::new(), StatusCode::OK)
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(form): Form<ProposalInput>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    match super::register(&state, &ctx, &staff, &form).await {
        Ok(id) => Ok(see_other(&format!("/admin/office/proposals/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            new_view(&state, &ctx, &form, errors, status)
        }
    }
}

/// What the forms of one item send, and keep when a post is refused (`co` repeats).
#[derive(Debug, Default, serde::Serialize)]
struct ActionForm {
    lead: String,
    co: Vec<String>,
    complex: bool,
    complex_reason: String,
    reason: String,
    text: String,
    result_code: String,
    reply: String,
    public: bool,
    decision: String,
    comment: String,
    rating: String,
    on: String,
}

impl ActionForm {
    fn of(pairs: &[(String, String)]) -> ActionForm {
        let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let has = |k: &str| pairs.iter().any(|(x, _)| x == k);
        ActionForm {
            lead: get("lead"),
            co: pairs.iter().filter(|(k, v)| k == "co" && !v.is_empty()).map(|(_, v)| v.clone()).collect(),
            complex: has("complex"),
            complex_reason: get("complex_reason"),
            reason: get("reason"),
            text: get("text"),
            result_code: get("result_code"),
            reply: get("reply"),
            public: has("public"),
            decision: get("decision"),
            comment: get("comment"),
            rating: get("rating"),
            on: get("on"),
        }
    }
}

async fn item_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    form: &ActionForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Seen { p, co, standing, orgs } = super::visible(state, auth, id).await?;
    // The history as people read it: each action by its Chinese name.
    let history: Vec<Value> = platform::workflow::events(&state.db, &super::FLOW, id)
        .await?
        .iter()
        .map(|e| {
            let label = match e.action.as_str() {
                "create" => "登记",
                "opinion" => "会办意见",
                "urge" => "督办",
                "publish" => "在网站公开答复",
                "unpublish" => "撤下网站上的答复",
                a => domain::Action::parse(a).map_or(a, |a| a.label()),
            };
            context! { at => e.at, actor => e.actor.clone(), action => label, comment => e.comment.clone() }
        })
        .collect();
    let name = |id: i64| accounts::org_name(&orgs, id);
    let co: Vec<Value> = co.iter().map(|c| context! { c => sv(c), unit => name(c.unit_id) }).collect();
    let st = p.state();
    // The reply is the unit's until its leader approves it; the deputy reads it once it is sent.
    let reply_visible =
        standing.office || standing.lead || standing.lead_leader || p.replied_at.is_some() || st == St::Closed;
    let units: Vec<(String, String)> = orgs.iter().map(|o| (o.code.clone(), o.name.clone())).collect();
    let page = context! {
        p => sv(&p), kind => p.kind().label(), member_label => p.kind().member_label(), state => st.code(), state_label => st.label(),
        lead => p.lead_unit_id.map(name), co, history, s => sv(standing), reply_visible,
        result => domain::result_label(&p.result_code), results => domain::RESULT_CODES.to_vec(),
        rating => Rating::parse(&p.rating).map(|r| r.label()), ratings => Rating::ALL.iter().map(|r| (r.code(), r.label())).collect::<Vec<_>>(),
        can_return => standing.lead && domain::transition(p.facts(), domain::Action::Return, None).is_some(),
        in_hand => st.in_hand(), units, form => sv(form), errors,
        overdue => st.in_hand() && p.due_at.is_some_and(|d| d < platform::db::now()),
    };
    Ok((status, state.render(ctx, "admin/of_proposal.html", page)?).into_response())
}

async fn item_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_list(&staff)?;
    item_view(&state, &ctx, &staff, id, &ActionForm::default(), BTreeMap::new(), StatusCode::OK).await
}

/// Runs one action; a refusal shows the item again with the message by the form's field and what
/// was typed kept.
async fn outcome(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    form: &ActionForm,
    field: &str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    // A 会办 opinion returns to the opinions; everything else to the top.
    let anchor = if field == "text" { "#co" } else { "" };
    let ok = format!("/admin/office/proposals/{id}?ok=saved{anchor}");
    after_post(result, &ok, field, |errors, status| item_view(state, ctx, staff, id, form, errors, status)).await
}

async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    super::require_office(&staff)?;
    let input = AssignInput {
        lead: f.lead.clone(),
        co: f.co.clone(),
        complex: f.complex,
        complex_reason: f.complex_reason.clone(),
    };
    let r = super::assign(&state, &ctx, &staff, id, &input).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "lead", r).await
}

async fn give_back(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::give_back(&state, &ctx, &staff, id, &f.reason).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "reason", r).await
}

async fn opinion(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    staff.require_anywhere(Perm::OfficeExchange)?;
    let r = super::add_opinion(&state, &ctx, &staff, id, &f.text).await;
    outcome(&state, &ctx, &staff, id, &f, "text", r).await
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    staff.require_anywhere(Perm::OfficeExchange)?;
    let input = ReplyInput { result_code: f.result_code.clone(), reply: f.reply.clone(), public: f.public };
    let r = super::reply(&state, &ctx, &staff, id, &input).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "reply", r).await
}

async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    staff.require_anywhere(Perm::OfficeSignOff)?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "send_back" => false,
        _ => return Err(AppError::invalid("decision", "请选择审核通过或退回修改")),
    };
    let r = super::review(&state, &ctx, &staff, id, approve, &f.comment).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "comment", r).await
}

async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    staff.require_anywhere(Perm::ProposalRate)?;
    let r = super::rate(&state, &ctx, &staff, id, &f.rating, &f.comment).await.map(drop);
    outcome(&state, &ctx, &staff, id, &f, "rating", r).await
}

async fn urge(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    super::require_office(&staff)?;
    let r = super::urge(&state, &ctx, &staff, id, &f.comment).await;
    outcome(&state, &ctx, &staff, id, &f, "urge", r).await
}

async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f = ActionForm::of(&pairs);
    super::require_office(&staff)?;
    let r = super::publish(&state, &ctx, &staff, id, f.on != "0").await;
    outcome(&state, &ctx, &staff, id, &f, "publish", r).await
}

#[derive(Debug, Default, Deserialize)]
struct StatsQuery {
    #[serde(default)]
    session: String,
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    super::require_office(&staff)?;
    let rows = super::stats(&state.db, &q.session).await?;
    let codes: Vec<&str> = domain::RESULT_CODES.iter().map(|c| c.0).collect();
    let page =
        context! { rows => sv(&rows), session => q.session, sessions => super::sessions(&state.db).await?, codes };
    Ok(state.render(&ctx, "admin/of_proposal_stats.html", page)?.into_response())
}
