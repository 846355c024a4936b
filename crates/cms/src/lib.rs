//! Site group CMS (work in progress in this commit: wiring only).

use axum::Router;
use platform::web::api::ApiRoute;
use platform::web::{AppState, Extension};

pub fn extension() -> Extension {
    Extension::default()
}
pub fn api_routes() -> Vec<ApiRoute> {
    Vec::new()
}
pub fn admin_routes() -> Router<AppState> {
    Router::new()
}
pub fn public_routes(_state: AppState) -> Router<AppState> {
    Router::new()
}
pub async fn run_due_jobs(_state: &AppState) {}
