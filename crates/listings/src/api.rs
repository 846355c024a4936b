//! 供求信息 in the JSON API: the moderators' lists, one listing with its state, the actions the
//! caller may take and its history, the decisions, the boards' rules and the year's statistics.

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, CommentBody, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{self, Action, Actor, Board};
use crate::service::{self, BoardInput};
use crate::store;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("供求信息", m, p, s, Some(Perm::ListingModerate), body, h);
    vec![
        r(
            "get",
            "/api/v1/listings",
            "供求信息列表（默认待审核与被举报隐藏的；?show=all 全部，或按状态、栏目、编号或标题）",
            None,
            get(list),
        )
        .with_query(schema_of::<ListQuery>),
        r("get", "/api/v1/listings/boards", "三个栏目的审核方式、举报隐藏次数和最长有效期", None, get(boards)),
        r(
            "put",
            "/api/v1/listings/boards/{code}",
            "修改栏目规则（talent 人才劳务，agri 农产品，startup 创业与新办企业）",
            Some(schema_of::<BoardInput>),
            put(board_save),
        ),
        r(
            "get",
            "/api/v1/listings/stats",
            "年度统计：按栏目和类别的发布数、公开数、在线数和联系方式查看次数",
            None,
            get(stats),
        )
        .with_query(schema_of::<StatsQuery>),
        r("get", "/api/v1/listings/{id}", "一条供求信息：内容、联系人、状态、可进行的操作和处理过程", None, get(one)),
        r(
            "post",
            "/api/v1/listings/{id}/actions/{action}",
            "approve 审核通过，reject 不予发布（须填理由），hide 下架待查（须填理由）",
            Some(schema_of::<CommentBody>),
            post(act),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    /// queue 待处理（默认），all 全部，或状态：unverified、pending、visible、hidden、rejected、expired、withdrawn
    #[serde(default)]
    pub show: String,
    /// 栏目：talent、agri、startup
    #[serde(default)]
    pub board: String,
    /// 编号或标题中的文字
    #[serde(default)]
    pub q: String,
    /// 翻页：上一页最后一条的 id
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct StatsQuery {
    /// 年份（默认今年）
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub year: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let rows =
        store::staff_list(&state.db, &crate::admin::states_of(&q.show), Board::parse(&q.board), &q.q, q.before, 100)
            .await?;
    let next = (rows.len() == 100).then(|| rows.last().map(|l| l.id)).flatten();
    let items: Vec<Value> = rows
        .iter()
        .map(|l| {
            let mut v = serde_json::to_value(l).unwrap_or_default();
            v["contact"] = serde_json::to_value(l.masked_contact()).unwrap_or_default();
            v
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_before": next })))
}

async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let l = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let board = store::board(&state.db, l.board()).await?;
    let actions: Vec<&str> =
        domain::actions(l.state(), Actor::Moderator, board.premoderated).iter().map(|a| a.code()).collect();
    state.audit(&ctx, "listing.view", &format!("listing:{id}"), "success", l.no.as_str()).await;
    Ok(Json(json!({
        "listing": l, "state": l.state().code(), "state_label": l.state().label(), "contact": l.contact(),
        "flags": store::flags(&state.db, id).await?, "actions": actions,
        "history": platform::workflow::events(&state.db, &service::FLOW, id).await?,
    })))
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let action = Action::parse(&action).ok_or(AppError::NotFound)?;
    let l = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let d: CommentBody = parse_optional_body(&raw)?;
    service::moderate(&state, &ctx, &l, action, &d.comment).await?;
    let l = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "id": id, "state": l.state().code() })))
}

async fn boards(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    Ok(Json(json!({ "items": store::boards(&state.db).await? })))
}

async fn board_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(code): Path<String>,
    Json(input): Json<BoardInput>,
) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let board = Board::parse(&code).ok_or(AppError::NotFound)?;
    service::update_board(&state, &ctx, board, &input).await?;
    Ok(Json(json!({ "board": store::board(&state.db, board).await? })))
}

async fn stats(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let year = q.year.and_then(|y| i32::try_from(y).ok()).unwrap_or_else(platform::current_year);
    let (from, to) = platform::year_bounds(year);
    Ok(Json(json!({ "year": year, "items": store::stats(&state.db, from, to, platform::db::now()).await? })))
}
