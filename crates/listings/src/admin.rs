//! 供求信息 in the back office: the moderators' queue and every listing by state, board or number;
//! one listing with its contact (the viewing is audited), reader reports, history and the
//! decisions; the boards' rules; and the statistics by board and kind for the annual report.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, after_post, sv};
use serde::Deserialize;

use crate::domain::{self, Action, Actor, Board, State as St};
use crate::service::{self, BoardInput};
use crate::store;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/gq_list.html", include_str!("../templates/admin/gq_list.html")),
        ("admin/gq_listing.html", include_str!("../templates/admin/gq_listing.html")),
        ("admin/gq_boards.html", include_str!("../templates/admin/gq_boards.html")),
        ("admin/gq_stats.html", include_str!("../templates/admin/gq_stats.html")),
        ("public/gq_index.html", include_str!("../templates/public/gq_index.html")),
        ("public/gq_board.html", include_str!("../templates/public/gq_board.html")),
        ("public/gq_listing.html", include_str!("../templates/public/gq_listing.html")),
        ("public/gq_post.html", include_str!("../templates/public/gq_post.html")),
        ("public/gq_verify.html", include_str!("../templates/public/gq_verify.html")),
        ("public/gq_lookup.html", include_str!("../templates/public/gq_lookup.html")),
        ("public/gq_manage.html", include_str!("../templates/public/gq_manage.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/listings", get(list_page))
        .route("/admin/listings/boards", get(boards_page))
        .route("/admin/listings/boards/{code}", post(board_save))
        .route("/admin/listings/stats", get(stats_page))
        .route("/admin/listings/stats.xlsx", get(stats_xlsx))
        .route("/admin/listings/{id}", get(item_page))
        .route("/admin/listings/{id}/act", post(act))
}

/// The workbench's count: listings waiting for a moderator.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    if crate::require_moderator(state, auth).await.is_err() {
        return Ok(Vec::new());
    }
    Ok(vec![platform::web::Todo {
        section: "供求信息",
        label: "供求信息待审核",
        count: store::queue_count(&state.db).await?,
        href: "/admin/listings".into(),
        urgent: false,
        nav: Some("/admin/listings"),
    }])
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// queue (default), all, or a state code
    #[serde(default)]
    show: String,
    #[serde(default)]
    board: String,
    #[serde(default)]
    q: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 50;

/// The states a list filter names: the queue, everything, or one state.
pub fn states_of(show: &str) -> Vec<St> {
    match show {
        "" | "queue" => vec![St::Pending, St::Hidden],
        "all" => Vec::new(),
        s => St::parse(s).into_iter().collect(),
    }
}

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let board = Board::parse(&q.board);
    let rows = store::staff_list(&state.db, &states_of(&q.show), board, &q.q, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let rows: Vec<Value> = rows
        .iter()
        .map(|l| {
            context! { l => sv(l), kind_label => l.kind().label(), board_label => l.board().label(), state_label => l.state().label(),
                       contact => sv(l.masked_contact()) }
        })
        .collect();
    let page = context! {
        rows, next, show => if q.show.is_empty() { "queue" } else { q.show.as_str() }, board => q.board.clone(), q => q.q.clone(),
        boards => Board::ALL.iter().map(|b| (b.code(), b.label())).collect::<Vec<_>>(),
        states => St::ALL.iter().map(|s| (s.code(), s.label())).collect::<Vec<_>>(),
    };
    Ok(state.render(&ctx, "admin/gq_list.html", page)?.into_response())
}

async fn item_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let l = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let board = store::board(&state.db, l.board()).await?;
    let actions: Vec<(&str, &str, bool)> = domain::actions(l.state(), Actor::Moderator, board.premoderated)
        .into_iter()
        .map(|a| (a.code(), a.label(), a.needs_reason()))
        .collect();
    let history = platform::workflow::events(&state.db, &service::FLOW, id).await?;
    let history: Vec<Value> = history
        .iter()
        .map(|e| {
            context! { at => e.at, actor => e.actor.clone(), comment => e.comment.clone(),
                       action => Action::parse(&e.action).map_or(if e.action == "flagged" { "举报隐藏" } else { "发布" }, |a| a.label()),
                       to => St::parse(&e.to_state).map(|s| s.label()) }
        })
        .collect();
    // Moderators see the contact in full to check it; that viewing is audited.
    state.audit(ctx, "listing.view", &format!("listing:{id}"), "success", l.no.as_str()).await;
    let page = context! {
        l => sv(&l), contact => sv(l.contact()), kind_label => l.kind().label(), board_label => l.board().label(),
        subject_label => l.board().subject_label(), state_label => l.state().label(), pay => l.pay_text(),
        live => l.is_live(platform::db::now()), flags => sv(store::flags(&state.db, id).await?.into_iter()
            .map(|f| context! { at => f.at, reason => domain::flag_reason_label(&f.reason).unwrap_or("其他问题") }).collect::<Vec<_>>()),
        history, actions, errors, verify_label => domain::VerifyBy::parse(&l.verify_by).map(|v| v.label()),
    };
    Ok((status, state.render(ctx, "admin/gq_listing.html", page)?).into_response())
}

async fn item_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    item_view(&state, &ctx, id, BTreeMap::new(), StatusCode::OK).await
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
    crate::require_moderator(&state, &staff).await?;
    let result = async {
        let l = store::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
        let action = Action::parse(&f.action).ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
        service::moderate(&state, &ctx, &l, action, &f.comment).await
    }
    .await;
    after_post(result, &format!("/admin/listings/{id}?ok=saved"), "act", |errors, status| {
        item_view(&state, &ctx, id, errors, status)
    })
    .await
}

async fn boards_view(
    state: &AppState,
    ctx: &Ctx,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let boards = store::boards(&state.db).await?;
    Ok((status, state.render(ctx, "admin/gq_boards.html", context! { boards, errors })?).into_response())
}

async fn boards_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    boards_view(&state, &ctx, BTreeMap::new(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct BoardForm {
    #[serde(default)]
    premoderated: String,
    #[serde(default)]
    hide_threshold: String,
    #[serde(default)]
    max_days: String,
}

async fn board_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<BoardForm>,
) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let board = Board::parse(&code).ok_or(AppError::NotFound)?;
    let input = BoardInput {
        premoderated: f.premoderated == "1",
        hide_threshold: f.hide_threshold.trim().parse().unwrap_or(-1),
        max_days: f.max_days.trim().parse().unwrap_or(0),
    };
    match service::update_board(&state, &ctx, board, &input).await {
        Ok(()) => Ok(platform::web::see_other("/admin/listings/boards?ok=saved")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            boards_view(&state, &ctx, errors, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct StatsQuery {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    year: Option<i64>,
}

/// The year's statistics by board and kind, with totals.
pub async fn year_stats(db: &platform::db::Db, year: i32) -> Result<(Vec<Value>, Value), AppError> {
    let (from, to) = platform::year_bounds(year);
    let rows = store::stats(db, from, to, platform::db::now()).await?;
    let mut total = store::KindCount::default();
    let mut out = Vec::new();
    for b in Board::ALL {
        for k in b.kinds() {
            let r = rows.iter().find(|r| r.kind == k.code()).cloned().unwrap_or_default();
            total.posted += r.posted;
            total.published += r.published;
            total.live += r.live;
            total.reveals += r.reveals;
            out.push(context! { board => b.label(), kind => k.label(), r => sv(r) });
        }
    }
    Ok((out, sv(total)))
}

fn stats_year(q: &StatsQuery) -> i32 {
    let this_year = platform::current_year();
    q.year.and_then(|y| i32::try_from(y).ok()).filter(|y| (2000..=this_year).contains(y)).unwrap_or(this_year)
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let this_year = platform::current_year();
    let year = stats_year(&q);
    let (rows, total) = year_stats(&state.db, year).await?;
    let page = context! { rows, total, year, years => (this_year - 4..=this_year).rev().collect::<Vec<_>>() };
    Ok(state.render(&ctx, "admin/gq_stats.html", page)?.into_response())
}

/// The year's statistics as a workbook (for the website annual report and the board's own
/// records): one row per board and kind, and the totals.
async fn stats_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    crate::require_moderator(&state, &staff).await?;
    let year = stats_year(&q);
    let (from, to) = platform::year_bounds(year);
    let rows = store::stats(&state.db, from, to, platform::db::now()).await?;
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("供求信息统计").map_err(x)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    ws.write_string_with_format(0, 0, format!("{year} 年供求信息统计"), &bold).map_err(x)?;
    let heads = ["栏目", "类别", "发布（已验证）", "公开", "目前在线", "查看联系方式"];
    for (c, h) in (0u16..).zip(heads) {
        ws.write_string_with_format(2, c, h, &bold).map_err(x)?;
    }
    let mut r = 3u32;
    let mut total = [0i64; 4];
    for b in Board::ALL {
        for k in b.kinds() {
            let n = rows.iter().find(|n| n.kind == k.code()).cloned().unwrap_or_default();
            ws.write_string(r, 0, b.label()).map_err(x)?;
            ws.write_string(r, 1, k.label()).map_err(x)?;
            for (c, v) in (2u16..).zip([n.posted, n.published, n.live, n.reveals]) {
                ws.write_number(r, c, v as f64).map_err(x)?;
            }
            for (t, v) in total.iter_mut().zip([n.posted, n.published, n.live, n.reveals]) {
                *t += v;
            }
            r += 1;
        }
    }
    ws.write_string_with_format(r, 0, "合计", &bold).map_err(x)?;
    for (c, v) in (2u16..).zip(total) {
        ws.write_number_with_format(r, c, v as f64, &bold).map_err(x)?;
    }
    ws.set_column_width(0, 16).map_err(x)?;
    ws.set_column_width(1, 12).map_err(x)?;
    let bytes = wb.save_to_buffer().map_err(x)?;
    state.audit(&ctx, "listing.export", "listings", "success", format!("导出 {year} 年供求信息统计")).await;
    Ok(platform::web::download(
        &format!("listings-{year}.xlsx"),
        Some(&format!("供求信息统计{year}.xlsx")),
        platform::web::XLSX,
        bytes,
    ))
}
