//! Published 网站评估 on the portal under `/pinggu/`: the evaluations, one evaluation's ranking,
//! and each site's score sheet — what 以评促建 asks to be public.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use platform::web::extract::Path;
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};

pub static SECTION: Section = Section { name: "网站评估", root: "/pinggu/", nav: &[("/pinggu/", "评估结果")] };

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pinggu/", get(index))
        .route("/pinggu/{id}", get(ranking))
        .route("/pinggu/{id}/sites/{site}", get(sheet))
}

async fn published(state: &AppState, id: i64) -> Result<super::Evaluation, AppError> {
    super::get(&state.db, id).await?.filter(super::Evaluation::published).ok_or(AppError::NotFound)
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let list = super::list(&state.db, true).await?;
    let v = context! { title => "政府网站评估结果", list => sv(&list), nav_current => "/pinggu/" };
    state.public_response(&ctx, &SECTION, "public/jd_evaluations.html", StatusCode::OK, v, false).await
}

async fn ranking(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let e = published(&state, id).await?;
    let rows = super::rows(&state, &e).await?;
    let v = context! {
        title => e.name.clone(), e => sv(&e), rows => sv(&rows), sheet => sv(e.sheet()),
        total => e.sheet().iter().map(|i| i.points).sum::<f64>(), nav_current => "/pinggu/",
        crumbs => vec![("/pinggu/".to_owned(), "网站评估".to_owned()), (String::new(), e.name.clone())],
    };
    state.public_response(&ctx, &SECTION, "public/jd_evaluation.html", StatusCode::OK, v, false).await
}

async fn sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, site)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let e = published(&state, id).await?;
    let rows = super::rows(&state, &e).await?;
    let row = rows.into_iter().find(|r| r.site.id == site).ok_or(AppError::NotFound)?;
    let lines: Vec<_> = e
        .sheet()
        .iter()
        .zip(&row.points)
        .map(|(i, p)| context! { label => i.label.clone(), points => i.points, source => i.source.label(), got => p.unwrap_or(0.0) })
        .collect();
    let v = context! {
        title => format!("{}：{}", e.name, row.site.name), e => sv(&e), row => sv(&row), lines, nav_current => "/pinggu/",
        crumbs => vec![
            ("/pinggu/".to_owned(), "网站评估".to_owned()),
            (format!("/pinggu/{id}"), e.name.clone()),
            (String::new(), row.site.name.clone()),
        ],
    };
    state.public_response(&ctx, &SECTION, "public/jd_evaluation_site.html", StatusCode::OK, v, false).await
}
