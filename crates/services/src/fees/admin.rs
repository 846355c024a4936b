//! 一口式收费 in the back office: an item's fee standard, issuing the notice from the case page,
//! the notices of one's units, one notice as the printable 缴款通知书 with the cashier's entry,
//! 作废 and 退费, the statistics by department and fee item, and the reconciliation workbook.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other, sv};
use serde::Deserialize;

use super::domain::{self, Action, FeeLineInput, State as FState};
use super::{ActInput, Notice};
use crate::Services;
use crate::service::{Case, item_scope};

type Ext = Extension<std::sync::Arc<Services>>;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/bs_fee_item.html", include_str!("../../templates/admin/bs_fee_item.html")),
        ("admin/bs_fee_notices.html", include_str!("../../templates/admin/bs_fee_notices.html")),
        ("admin/bs_fee_notice.html", include_str!("../../templates/admin/bs_fee_notice.html")),
        ("admin/bs_fee_stats.html", include_str!("../../templates/admin/bs_fee_stats.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/services/items/{id}/fees", get(item_fees_page).post(item_fees_save))
        .route("/admin/services/cases/{id}/fee-notice", post(issue))
        .route("/admin/services/fees", get(list_page))
        .route("/admin/services/fees/stats", get(stats_page))
        .route("/admin/services/fees/reconciliation.xlsx", get(reconciliation))
        .route("/admin/services/fees/{id}", get(notice_page))
        .route("/admin/services/fees/{id}/act", post(act))
}

async fn item_fees_view(
    state: &AppState,
    ctx: &Ctx,
    item: &crate::store::Item,
    rows: Vec<FeeLineInput>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = context! { item => sv(item), rows => sv(rows), errors };
    Ok((status, state.render(ctx, "admin/bs_fee_item.html", page)?).into_response())
}

/// The editor shows the standard and three empty rows to add lines.
fn editable(mut rows: Vec<FeeLineInput>) -> Vec<FeeLineInput> {
    rows.extend(std::iter::repeat_n(FeeLineInput::default(), 3));
    rows
}

async fn item_fees_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let item = crate::store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ServiceManage, &item_scope(&orgs, item.org_id))?;
    let rows = super::fees_of(&state.db, id)
        .await?
        .into_iter()
        .map(|f| FeeLineInput { name: f.name, amount: domain::yuan(f.amount), basis: f.basis })
        .collect();
    item_fees_view(&state, &ctx, &item, editable(rows), BTreeMap::new(), StatusCode::OK).await
}

/// The rows as the form sends them (`name`, `amount`, `basis` repeated in order).
fn rows_of(fields: &[(String, String)]) -> Vec<FeeLineInput> {
    let col = |k: &str| fields.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (names, amounts, bases) = (col("name"), col("amount"), col("basis"));
    (0..names.len().max(amounts.len()).max(bases.len()))
        .map(|i| FeeLineInput {
            name: names.get(i).cloned().unwrap_or_default(),
            amount: amounts.get(i).cloned().unwrap_or_default(),
            basis: bases.get(i).cloned().unwrap_or_default(),
        })
        .collect()
}

async fn item_fees_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let item = crate::store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ServiceManage, &item_scope(&orgs, item.org_id))?;
    let rows = rows_of(&fields);
    // Every wrong row named at the head of the form.
    if let Err(list) = domain::check_lines(&rows) {
        let errors = list.iter().enumerate().map(|(i, e)| (format!("fees{i}"), e.message.clone())).collect();
        return item_fees_view(&state, &ctx, &item, rows, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match super::set_fees(&state, &ctx, &staff, &item, &rows).await {
        Ok(_) => Ok(see_other(&format!("/admin/services/items/{id}/fees?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            item_fees_view(&state, &ctx, &item, rows, errors, status).await
        }
    }
}

async fn issue(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let case = Case::load(&state.db, id).await?;
    match super::issue(&state, &ctx, &staff, &case).await {
        Ok(n) => Ok(see_other(&format!("/admin/services/fees/{}?ok=saved", n.id))),
        Err(AppError::Conflict(m)) => {
            let errors = BTreeMap::from([("fee".to_owned(), m)]);
            crate::admin::case_response(&state, &svc, &ctx, &case, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 50;

fn notice_row(n: &Notice, orgs: &[accounts::OrgUnit]) -> Value {
    context! { n => sv(n), total => domain::yuan(n.total), state_label => n.state().label(), org => accounts::org_name(orgs, n.org_id) }
}

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let units = super::readable(&staff, &orgs)?;
    let st = FState::parse(&q.state);
    let rows = super::list(&state.db, units.as_deref(), st, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|n| n.id)).flatten();
    let rows: Vec<Value> = rows.iter().map(|n| notice_row(n, &orgs)).collect();
    let states: Vec<(&str, &str)> = FState::ALL.iter().map(|s| (s.code(), s.label())).collect();
    let page = context! { rows, next, state => q.state.clone(), states };
    Ok(state.render(&ctx, "admin/bs_fee_notices.html", page)?.into_response())
}

async fn notice_view(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    refused: Option<(BTreeMap<String, String>, &ActInput, StatusCode)>,
) -> Result<Response, AppError> {
    let (errors, typed, status) = match refused {
        Some((e, t, s)) => (e, Some(t), s),
        None => (BTreeMap::new(), None, StatusCode::OK),
    };
    let n = super::notice(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ApplicationHandle, &item_scope(&orgs, n.org_id))?;
    let app = crate::store::application(&state.db, n.application_id).await?.ok_or(AppError::NotFound)?;
    let item = crate::store::item(&state.db, n.item_id).await?.ok_or(AppError::NotFound)?;
    let lines: Vec<Value> = super::lines(&state.db, id)
        .await?
        .iter()
        .map(|l| context! { name => l.name.clone(), amount => domain::yuan(l.amount), basis => l.basis.clone() })
        .collect();
    let history: Vec<Value> = platform::workflow::events(&state.db, &super::FLOW, id)
        .await?
        .iter()
        .map(|e| {
            context! { at => e.at, actor => e.actor.clone(), comment => e.comment.clone(),
                       action => Action::parse(&e.action).map_or("开具", |a| a.label()), to => FState::parse(&e.to_state).map(|s| s.label()) }
        })
        .collect();
    let page = context! {
        n => sv(&n), total => domain::yuan(n.total), state => n.state().code(), state_label => n.state().label(),
        org => accounts::org_name(&orgs, n.org_id), app_no => app.no.clone(), applicant => app.applicant_name.clone(),
        item_name => item.name.clone(), lines, history, errors, methods => domain::METHODS.to_vec(),
        method_label => domain::method_label(&n.method),
        actions => domain::actions(n.state()).iter().map(|a| (a.code(), a.label())).collect::<Vec<_>>(),
        providers => svc.fee_providers.iter().map(|p| (p.code(), p.label())).collect::<Vec<_>>(),
        typed => typed.map(sv),
    };
    Ok((status, state.render(ctx, "admin/bs_fee_notice.html", page)?).into_response())
}

async fn notice_page(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    notice_view(&state, &svc, &ctx, &staff, id, None).await
}

async fn act(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let input = ActInput {
        method: get("method"),
        received: get("received"),
        provider: get("provider"),
        comment: get("comment"),
    };
    let result = async {
        let n = super::notice(&state.db, id).await?;
        let action = Action::parse(&get("action")).ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
        super::act(&state, &ctx, &staff, &svc.fee_providers, &n, action, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/services/fees/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            notice_view(&state, &svc, &ctx, &staff, id, Some((errors, &input, status))).await
        }
    }
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<crate::admin::StatsQuery>,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let units = super::readable(&staff, &orgs)?;
    let (from, to, errors, rows) = match super::period(&q) {
        Ok((from, to, f, t)) => (from, to, BTreeMap::new(), super::stats(&state.db, units.as_deref(), f, t).await?),
        Err(e) => {
            let (_, errors) = form_errors(e)?;
            (q.from.clone(), q.to.clone(), errors, Vec::new())
        }
    };
    let sum = |f: fn(&super::StatRow) -> i64| domain::yuan(rows.iter().map(f).sum());
    let total = context! { notices => rows.iter().map(|r| r.notices).sum::<i64>(), collected => sum(|r| r.collected),
    refunded => sum(|r| r.refunded), outstanding => sum(|r| r.outstanding) };
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! { org => accounts::org_name(&orgs, r.org_id), name => r.name.clone(), notices => r.notices,
                       collected => domain::yuan(r.collected), refunded => domain::yuan(r.refunded), outstanding => domain::yuan(r.outstanding) }
        })
        .collect();
    let page = context! { rows, total, from, to, errors };
    Ok(state.render(&ctx, "admin/bs_fee_stats.html", page)?.into_response())
}

async fn reconciliation(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<crate::admin::StatsQuery>,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let units = super::readable(&staff, &orgs)?;
    let (from, to, f, t) = super::period(&q)?;
    let notices = super::settled(&state.db, units.as_deref(), f, t).await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    ws.write_string(0, 0, format!("收费对账（{from} 至 {to}）")).map_err(x)?;
    let heads = [
        "缴款通知书编号",
        "缴款码",
        "部门",
        "金额（元）",
        "状态",
        "收款方式",
        "收据号",
        "收款时间",
        "收款人",
        "退费时间",
        "退费原因",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string(2, u16::try_from(c).unwrap_or(0), *h).map_err(x)?;
    }
    let mut total = 0i64;
    for (r, n) in (3u32..).zip(&notices) {
        // Net takings: a payment in the period counts in, a refund in the period counts out.
        let within = |at: Option<i64>| at.is_some_and(|at| at >= f && at < t);
        let signed = if within(n.paid_at) { n.total } else { 0 } - if within(n.refunded_at) { n.total } else { 0 };
        total += signed;
        ws.write_string(r, 0, &n.no).map_err(x)?;
        ws.write_string(r, 1, &n.payment_code).map_err(x)?;
        ws.write_string(r, 2, accounts::org_name(&orgs, n.org_id)).map_err(x)?;
        ws.write_number(r, 3, n.total as f64 / 100.0).map_err(x)?;
        ws.write_string(r, 4, n.state().label()).map_err(x)?;
        ws.write_string(r, 5, domain::method_label(&n.method).unwrap_or("")).map_err(x)?;
        ws.write_string(r, 6, &n.receipt_no).map_err(x)?;
        ws.write_string(r, 7, n.paid_at.map(platform::fmt_time).unwrap_or_default()).map_err(x)?;
        ws.write_string(r, 8, &n.paid_by).map_err(x)?;
        ws.write_string(r, 9, n.refunded_at.map(platform::fmt_time).unwrap_or_default()).map_err(x)?;
        ws.write_string(r, 10, &n.reason).map_err(x)?;
    }
    let last = 3 + u32::try_from(notices.len()).unwrap_or(0);
    ws.write_string(last, 2, "本期净收款").map_err(x)?;
    ws.write_number(last, 3, total as f64 / 100.0).map_err(x)?;
    let bytes = wb.save_to_buffer().map_err(x)?;
    state.audit(&ctx, "fee_notice.export", "fee_notices", "success", format!("导出收费对账 {from} 至 {to}")).await;
    Ok(platform::web::download(&format!("fees-{from}-{to}.xlsx"), None, platform::web::XLSX, bytes))
}
