//! The portal's 建议提案复文 under `/jianyi/`, inside the portal frame: the replies the office
//! published (only those the 主办 unit marked public), newest first, by kind, and one reply with
//! the item it answers. Nothing about the rating or the handling inside the units is shown.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use platform::db::sql;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::{Deserialize, Serialize};

use super::domain::{self, Kind};

pub static SECTION: Section = Section {
    name: "建议提案复文",
    root: "/jianyi/",
    nav: &[
        ("/jianyi/", "全部"),
        ("/jianyi/?kind=suggestion", "人大代表建议"),
        ("/jianyi/?kind=proposal", "政协委员提案"),
    ],
};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("public/of_replies.html", include_str!("../../templates/public/of_replies.html")),
        ("public/of_reply.html", include_str!("../../templates/public/of_reply.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/jianyi/", get(index)).route("/jianyi/{id}", get(one))
}

/// A published reply as the public reads it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
struct Published {
    id: i64,
    kind: String,
    session: String,
    number: String,
    member_name: String,
    title: String,
    content: String,
    category: String,
    lead_unit_id: Option<i64>,
    result_code: String,
    reply: String,
    published_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, session, number, member_name, title, content, category, lead_unit_id, result_code, reply, published_at";

#[derive(Debug, Default, Deserialize)]
struct IndexQuery {
    #[serde(default)]
    kind: String,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    before: Option<i64>,
}

const PAGE: i64 = 30;

async fn index(State(state): State<AppState>, ctx: Ctx, Query(q): Query<IndexQuery>) -> Result<Response, AppError> {
    let kind = Kind::parse(&q.kind);
    let mut s = sql(format!("SELECT {COLUMNS} FROM office_proposal WHERE published_at IS NOT NULL"));
    if let Some(k) = kind {
        s = s.push(" AND kind = ").push_bind(k.code());
    }
    if let Some(b) = q.before {
        s = s.push(" AND id < ").push_bind(b);
    }
    let rows: Vec<Published> = state.db.fetch_all(s.push(" ORDER BY id DESC LIMIT ").push_bind(PAGE)).await?;
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let list: Vec<_> = rows
        .iter()
        .map(|r| context! { r => sv(r), kind => Kind::parse(&r.kind).map(|k| k.label()), lead => r.lead_unit_id.map(|u| platform::accounts::org_name(&orgs, u)) })
        .collect();
    let title = kind.map_or("建议提案复文", |k| k.label());
    let current = kind.map_or("/jianyi/".to_owned(), |k| format!("/jianyi/?kind={}", k.code()));
    let v = context! { title, list, next, kind => kind.map(|k| k.code()), nav_current => current };
    state.public_response(&ctx, &SECTION, "public/of_replies.html", StatusCode::OK, v, false).await
}

async fn one(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r: Published = state
        .db
        .fetch_optional(
            sql(format!("SELECT {COLUMNS} FROM office_proposal WHERE id = $1 AND published_at IS NOT NULL")).bind(id),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let kind = Kind::parse(&r.kind).unwrap_or(Kind::Suggestion);
    let v = context! {
        title => r.title.clone(), r => sv(&r), kind => kind.label(), member_label => kind.member_label(),
        lead => r.lead_unit_id.map(|u| platform::accounts::org_name(&orgs, u)), result => domain::result_label(&r.result_code),
        nav_current => format!("/jianyi/?kind={}", kind.code()),
        crumbs => vec![("/jianyi/".to_owned(), "建议提案复文".to_owned()), (String::new(), r.title.clone())],
    };
    state.public_response(&ctx, &SECTION, "public/of_reply.html", StatusCode::OK, v, false).await
}

pub const HOME_BLOCK: platform::module::HomeBlockKind =
    platform::module::HomeBlockKind { key: "office.replies", label: "建议提案复文（最新公开的答复）" };

/// The five newest published replies and how many there are.
pub async fn home_block(state: &AppState) -> Result<Option<platform::module::HomeBlock>, AppError> {
    use platform::module::{BlockFigure, BlockItem, HomeBlock};
    let rows: Vec<Published> = state
        .db
        .fetch_all(sql(format!("SELECT {COLUMNS} FROM office_proposal WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC LIMIT 5")))
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let total = state.db.count(sql("SELECT COUNT(*) FROM office_proposal WHERE published_at IS NOT NULL")).await?;
    let items = rows
        .iter()
        .map(|r| BlockItem {
            url: format!("/jianyi/{}", r.id),
            text: r.title.clone(),
            note: r.published_at.map(platform::fmt_date).unwrap_or_default(),
        })
        .collect();
    Ok(Some(HomeBlock {
        title: "建议提案复文".into(),
        url: "/jianyi/".into(),
        items,
        figures: vec![BlockFigure { label: "公开复文".into(), value: format!("{total} 件") }],
    }))
}
