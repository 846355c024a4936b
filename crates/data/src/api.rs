//! 信息资源 in the JSON API (`/api/v1`): import sources, runs (a file sent base64-encoded, the
//! report read back), datasets, resources and file versions — the same operations as the back
//! office, through `ops`.

use axum::extract::State;
use axum::routing;
use base64::Engine;
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, schema_of};
use platform::web::extract::{Json, Path};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalogue::{self, DatasetInput, ResourceInput};
use crate::import::{self, SourceInput};
use crate::ops;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, body, h| ApiRoute::new("信息资源", m, p, s, Some(Perm::DataManage), body, h);
    vec![
        r("get", "/api/v1/data-sources", "数据源列表", None, routing::get(list_sources)),
        r(
            "post",
            "/api/v1/data-sources",
            "新建数据源（不给字段对照时按列名自动对照）",
            Some(schema_of::<SourceInput>),
            routing::post(create_source),
        ),
        r(
            "put",
            "/api/v1/data-sources/{id}",
            "修改数据源的设置和字段对照",
            Some(schema_of::<SourceInput>),
            routing::put(save_source),
        ),
        r("get", "/api/v1/data-sources/{id}/runs", "数据源的运行记录（最近 100 次）", None, routing::get(list_runs)),
        r(
            "post",
            "/api/v1/data-sources/{id}/runs",
            "上传文件试运行或导入（文件内容 Base64 编码；返回运行编号，报告用 GET 读取）",
            Some(schema_of::<RunInput>),
            routing::post(start_run),
        ),
        r("get", "/api/v1/data-runs/{id}", "一次运行的报告（含被拒绝的行）", None, routing::get(get_run)),
        r("get", "/api/v1/datasets", "本单位的数据集（含草稿）", None, routing::get(list_datasets)),
        r(
            "post",
            "/api/v1/datasets",
            "新建数据集（草稿）",
            Some(schema_of::<DatasetInput>),
            routing::post(create_dataset),
        ),
        r(
            "put",
            "/api/v1/datasets/{id}",
            "修改数据集元数据（标识不变）",
            Some(schema_of::<DatasetInput>),
            routing::put(save_dataset),
        ),
        r(
            "post",
            "/api/v1/datasets/{id}/actions/{action}",
            "开放（publish）或撤回（withdraw）数据集",
            None,
            routing::post(act_dataset),
        ),
        r(
            "post",
            "/api/v1/datasets/{id}/resources",
            "为数据集添加资源（文件、接口或目录数据）",
            Some(schema_of::<ResourceInput>),
            routing::post(add_resource),
        ),
        r(
            "post",
            "/api/v1/stations",
            "新建监测站点及其指标（返回只显示一次的接入密钥）",
            Some(schema_of::<ops::StationInput>),
            routing::post(create_station),
        ),
        r("post", "/api/v1/stations/{id}/key", "重新生成监测站点的接入密钥", None, routing::post(rotate_key)),
        r(
            "post",
            "/api/v1/data-resources/{id}/versions",
            "为文件资源上传新版本（文件内容 Base64 编码）",
            Some(schema_of::<FileInput>),
            routing::post(add_version),
        ),
    ]
}

/// A file sent in a JSON body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["file_name", "content_base64"]))]
pub struct FileInput {
    /// 文件名（含扩展名）
    #[schemars(length(min = 1, max = 200))]
    #[serde(default)]
    pub file_name: String,
    /// 文件内容（Base64）
    #[serde(default)]
    pub content_base64: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["file_name", "content_base64"]))]
pub struct RunInput {
    /// 文件名（含扩展名：.csv、.xlsx、.json）
    #[schemars(length(min = 1, max = 200))]
    #[serde(default)]
    pub file_name: String,
    /// 文件内容（Base64）
    #[serde(default)]
    pub content_base64: String,
    /// 只检查，不写入
    #[serde(default)]
    pub dry_run: bool,
}

fn decode(b64: &str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| AppError::invalid("content_base64", "文件内容不是有效的 Base64"))
}

async fn list_sources(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(Json(
        json!({ "items": import::sources(&state.db, staff.units_with(Perm::DataManage, &orgs).as_deref()).await? }),
    ))
}

async fn create_source(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<SourceInput>,
) -> Result<Json<Value>, AppError> {
    let id = ops::create_source(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!(import::source(&state.db, id).await?)))
}

async fn save_source(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<SourceInput>,
) -> Result<Json<Value>, AppError> {
    ops::save_source(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(import::source(&state.db, id).await?)))
}

async fn list_runs(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    ops::managed_source(&state, &staff, id).await?;
    Ok(Json(json!({ "items": import::runs(&state.db, id, 100).await? })))
}

async fn start_run(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<RunInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let bytes = decode(&input.content_base64)?;
    let run = ops::start_upload(&state, &ctx, &staff, id, &input.file_name, bytes, input.dry_run).await?;
    Ok(Json(json!({ "run_id": run, "report": format!("/api/v1/data-runs/{run}") })))
}

async fn get_run(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let r = import::run(&state.db, id).await?.ok_or(AppError::NotFound)?;
    ops::managed_source(&state, &staff, r.source_id).await?;
    let rejects = r.rejects();
    let mut v = json!(r);
    v["rejects"] = json!(rejects);
    v["progress"] = json!(import::progress_of(id));
    Ok(Json(v))
}

async fn list_datasets(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(Json(
        json!({ "items": catalogue::managed(&state.db, staff.units_with(Perm::DataManage, &orgs).as_deref()).await? }),
    ))
}

async fn create_dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<DatasetInput>,
) -> Result<Json<Value>, AppError> {
    let id = ops::create_dataset(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!(catalogue::by_id(&state.db, id).await?)))
}

async fn save_dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<DatasetInput>,
) -> Result<Json<Value>, AppError> {
    ops::update_dataset(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(catalogue::by_id(&state.db, id).await?)))
}

async fn act_dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let to = match action.as_str() {
        "publish" => "published",
        "withdraw" => "withdrawn",
        _ => return Err(AppError::NotFound),
    };
    ops::set_dataset_state(&state, &ctx, &staff, id, to).await?;
    Ok(Json(json!(catalogue::by_id(&state.db, id).await?)))
}

async fn add_resource(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ResourceInput>,
) -> Result<Json<Value>, AppError> {
    let rid = ops::add_resource(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(catalogue::resource(&state.db, rid).await?)))
}

async fn add_version(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<FileInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let bytes = decode(&input.content_base64)?;
    let (r, v) = ops::add_version(&state, &ctx, &staff, id, &input.file_name, bytes).await?;
    Ok(Json(json!({ "resource": r, "version": v })))
}

async fn create_station(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<ops::StationInput>,
) -> Result<Json<Value>, AppError> {
    let (id, key) = ops::create_station(&state, &ctx, &staff, &input).await?;
    Ok(Json(
        json!({ "id": id, "code": input.code.trim(), "key": key, "ingest": format!("/api/monitoring/stations/{}/points", input.code.trim()) }),
    ))
}

async fn rotate_key(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (code, key) = ops::rotate_station_key(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({ "code": code, "key": key })))
}
