//! 课件库 in the JSON API: the items, one item, creating and changing an item's details (an
//! external stream by address; video files are uploaded through the back office's form), and
//! the categories.

use axum::extract::State;
use axum::routing::{get, post, put};
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::admin::CategoryForm;
use crate::domain::CourseInput;
use crate::store;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("远程教育课件", m, p, s, Some(Perm::ArticleEdit), body, h);
    vec![
        r("get", "/api/v1/courseware", "课件列表（?category= 分类，?before= 翻页）", None, get(list))
            .with_query(schema_of::<ListQuery>),
        r(
            "post",
            "/api/v1/courseware",
            "新建课件（外部视频地址；上传视频文件请用后台表单）",
            Some(schema_of::<CourseInput>),
            post(create),
        ),
        r("get", "/api/v1/courseware/categories", "课件分类及公开课件数", None, get(categories)),
        r("post", "/api/v1/courseware/categories", "新增课件分类", Some(schema_of::<CategoryForm>), post(category_add)),
        r("get", "/api/v1/courseware/{id}", "一个课件：分类、时长、视频、字幕、讲义、观看和评分", None, get(one)),
        r(
            "put",
            "/api/v1/courseware/{id}",
            "修改课件信息（已上传的文件保留）",
            Some(schema_of::<CourseInput>),
            put(update),
        ),
    ]
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    /// 分类编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub category: Option<i64>,
    /// 翻页：上一页最后一个课件的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub before: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let rows = store::list(&state.db, q.category, false, q.before, 100).await?;
    let next = (rows.len() == 100).then(|| rows.last().map(|c| c.id)).flatten();
    Ok(Json(json!({ "items": rows, "next_before": next })))
}

async fn one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    Ok(Json(json!({ "course": store::get(&state.db, id).await? })))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<CourseInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let id = store::save(&state, &ctx, &staff, 0, &input, &[], None).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "course": store::get(&state.db, id).await? }))))
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CourseInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    store::get(&state.db, id).await?;
    store::save(&state, &ctx, &staff, id, &input, &[], None).await?;
    Ok(Json(json!({ "course": store::get(&state.db, id).await? })))
}

async fn categories(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    Ok(Json(json!({ "items": store::categories(&state.db).await? })))
}

async fn category_add(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(f): Json<CategoryForm>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let id = store::add_category(&state, &ctx, &f.name).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({ "id": id, "name": f.name.trim() }))))
}
