//! 一口式收费 in the JSON API: an item's fee standard, issuing an application's notice, the
//! notices of one's units, one notice with its lines, actions and history, its actions, and the
//! statistics by department and fee item.

use axum::extract::{Extension, State};
use axum::routing::{get, post, put};
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use super::domain::{self, Action, FeeLineInput, State as FState};
use super::{ActInput, Notice};
use crate::Services;
use crate::service::{Case, item_scope};

type Ext = Extension<std::sync::Arc<Services>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("一口式收费", m, p, s, Some(perm), body, h);
    vec![
        r(
            "get",
            "/api/v1/service-items/{id}/fees",
            "事项的收费标准（收费项目、金额、依据）",
            Perm::ServiceManage,
            None,
            get(item_fees),
        ),
        r(
            "put",
            "/api/v1/service-items/{id}/fees",
            "修改事项的收费标准（空列表表示不收费）",
            Perm::ServiceManage,
            Some(schema_of::<FeesBody>),
            put(item_fees_save),
        ),
        r(
            "post",
            "/api/v1/applications/{id}/fee-notice",
            "按收费标准开具缴款通知书（受理后、办结前；通知申请人金额和缴款码）",
            Perm::ApplicationHandle,
            None,
            post(issue),
        ),
        r(
            "get",
            "/api/v1/fee-notices",
            "本单位的缴款通知书（?state= unpaid、paid、refunded、cancelled；?before= 翻页）",
            Perm::ApplicationHandle,
            None,
            get(list),
        )
        .with_query(schema_of::<ListQuery>),
        r(
            "get",
            "/api/v1/fee-notices/stats",
            "按部门和收费项目统计（?from=&to= 日期，含当日）",
            Perm::ApplicationHandle,
            None,
            get(stats),
        )
        .with_query(schema_of::<crate::admin::StatsQuery>),
        r(
            "get",
            "/api/v1/fee-notices/{id}",
            "一份缴款通知书：收费明细、状态、可进行的操作和处理过程",
            Perm::ApplicationHandle,
            None,
            get(one),
        ),
        r(
            "post",
            "/api/v1/fee-notices/{id}/actions/{action}",
            "pay 登记收款（收款方式、实收金额），cancel 作废（须填理由），refund 退费（须填理由）",
            Perm::ApplicationHandle,
            Some(schema_of::<ActInput>),
            post(act),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct FeesBody {
    /// 收费项目
    #[serde(default)]
    pub fees: Vec<FeeLineInput>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    /// 状态：unpaid、paid、refunded、cancelled
    #[serde(default)]
    pub state: String,
    /// 翻页：上一页最后一份的 id
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

async fn item_of(state: &AppState, staff: &Staff, id: i64) -> Result<crate::store::Item, AppError> {
    let item = crate::store::item(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ServiceManage, &item_scope(&orgs, item.org_id))?;
    Ok(item)
}

async fn item_fees(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let item = item_of(&state, &staff, id).await?;
    let fees = super::fees_of(&state.db, item.id).await?;
    let total: i64 = fees.iter().map(|f| f.amount).sum();
    Ok(Json(json!({ "item": item.code, "fees": fees, "total": domain::yuan(total) })))
}

async fn item_fees_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(body): Json<FeesBody>,
) -> Result<Json<Value>, AppError> {
    let item = item_of(&state, &staff, id).await?;
    let lines = super::set_fees(&state, &ctx, &staff, &item, &body.fees).await?;
    Ok(Json(json!({ "item": item.code, "fees": lines })))
}

async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let case = Case::load(&state.db, id).await?;
    let n = super::issue(&state, &ctx, &staff, &case).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(
            json!({ "id": n.id, "no": n.no, "payment_code": n.payment_code, "total": domain::yuan(n.total), "state": n.state }),
        ),
    ))
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let rows =
        super::list(&state.db, super::readable(&staff, &orgs)?.as_deref(), FState::parse(&q.state), q.before, 100)
            .await?;
    let next = (rows.len() == 100).then(|| rows.last().map(|n| n.id)).flatten();
    Ok(Json(json!({ "items": rows, "next_before": next })))
}

async fn view(state: &AppState, staff: &Staff, n: &Notice) -> Result<Value, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::ApplicationHandle, &item_scope(&orgs, n.org_id))?;
    let actions: Vec<&str> = domain::actions(n.state()).iter().map(|a| a.code()).collect();
    Ok(json!({
        "notice": n, "state": n.state().code(), "state_label": n.state().label(), "total": domain::yuan(n.total),
        "lines": super::lines(&state.db, n.id).await?, "actions": actions,
        "history": platform::workflow::events(&state.db, &super::FLOW, n.id).await?,
    }))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let n = super::notice(&state.db, id).await?;
    Ok(Json(view(&state, &staff, &n).await?))
}

async fn act(
    State(state): State<AppState>,
    Extension(svc): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let input: ActInput = parse_optional_body(&raw)?;
    let action = Action::parse(&action).ok_or(AppError::NotFound)?;
    let n = super::notice(&state.db, id).await?;
    let n = super::act(&state, &ctx, &staff, &svc.fee_providers, &n, action, &input).await?;
    Ok(Json(view(&state, &staff, &n).await?))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<crate::admin::StatsQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ApplicationHandle)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (from, to, f, t) = super::period(&q)?;
    let rows = super::stats(&state.db, super::readable(&staff, &orgs)?.as_deref(), f, t).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "org": accounts::org_name(&orgs, r.org_id), "name": r.name, "notices": r.notices,
                         "collected": domain::yuan(r.collected), "refunded": domain::yuan(r.refunded), "outstanding": domain::yuan(r.outstanding) }))
        .collect();
    Ok(Json(json!({ "from": from, "to": to, "items": items })))
}
