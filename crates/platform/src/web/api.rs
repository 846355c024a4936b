//! The JSON API under `/api/v1`, and the registry that generates its OpenAPI 3.1 document.
//!
//! Every API operation is declared once as an [`ApiRoute`]: method, path, summary, the permission it
//! needs, its request-body schema, and the handler. The router and `/api/v1/openapi.json` are both
//! built from that list ([`build`]), so the document cannot drift from the routes. Feature crates
//! contribute their own lists.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Json, Path, Query};
use super::ops::{self, GrantInput, OrgInput, ProfileInput, SystemSettings, UserInput};
use super::pages::{self, AuditQuery, PAGE_SIZE};
use super::{AppError, AppState, Ctx, Staff};
use crate::accounts;
use crate::audit;
use crate::roles::{Perm, ResourceScope};
use crate::security::SecurityPolicy;

/// One API operation.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// The permission checked by the handler (documented; the handler enforces it). `None` means any
    /// signed-in user.
    pub perm: Option<Perm>,
    pub body: Option<fn() -> Value>,
    /// The query parameters' schema (an object schema; each property becomes a parameter).
    pub query: Option<fn() -> Value>,
    pub handler: MethodRouter<AppState>,
    /// Answered without a token (documented with `security: []`).
    pub public: bool,
}

impl ApiRoute {
    /// An operation of a subsystem's tag that needs a token (see [`Self::public`]).
    pub fn new(
        tag: &'static str,
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        perm: Option<Perm>,
        body: Option<fn() -> Value>,
        handler: MethodRouter<AppState>,
    ) -> Self {
        ApiRoute { method, path, summary, tag, perm, body, query: None, handler, public: false }
    }

    /// Documents the query parameters from the handler's query type.
    pub fn with_query(mut self, schema: fn() -> Value) -> Self {
        self.query = Some(schema);
        self
    }

    /// Marks an operation that anyone may call without a token.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }
}

macro_rules! op {
    ($m:ident, $path:expr, $tag:expr, $summary:expr, $perm:expr, $body:expr, $h:expr) => {
        ApiRoute {
            method: stringify!($m),
            path: $path,
            summary: $summary,
            tag: $tag,
            perm: $perm,
            body: $body,
            query: None,
            handler: $m($h),
            public: false,
        }
    };
}

/// A module's operations with the module's own state reachable by their handlers
/// (`Extension<Arc<M>>`).
pub fn with_extension<M: Send + Sync + 'static>(routes: Vec<ApiRoute>, module: std::sync::Arc<M>) -> Vec<ApiRoute> {
    routes
        .into_iter()
        .map(|mut r| {
            r.handler = r.handler.layer(axum::extract::Extension(module.clone()));
            r
        })
        .collect()
}

/// Builds the `/api/v1` router and the OpenAPI document from the registered operations.
pub fn build(routes: Vec<ApiRoute>) -> (Router<AppState>, Value) {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    let mut paths = serde_json::Map::new();
    for r in routes {
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                // A handler refuses a year outside 2000–2100, so the document says so.
                let schema = match name {
                    "action" | "decision" | "org" | "name" => json!({"type": "string"}),
                    "year" => json!({"type": "integer", "format": "int32", "minimum": 2000, "maximum": 2100}),
                    _ => json!({"type": "integer", "format": "int64"}),
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        if let Some(q) = r.query {
            let q = q();
            let required: Vec<&str> =
                q["required"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            for (name, schema) in q["properties"].as_object().into_iter().flatten() {
                let mut schema = schema.clone();
                let description = schema.as_object_mut().and_then(|o| o.remove("description"));
                // A query string has no null: an `Option` field is simply an optional parameter.
                if let Some(o) = schema.as_object_mut() {
                    if o.get("default").is_some_and(Value::is_null) {
                        o.remove("default");
                    }
                    if let Some(Value::Array(types)) = o.get_mut("type") {
                        types.retain(|t| t != "null");
                        if types.len() == 1 {
                            let only = types[0].clone();
                            o.insert("type".into(), only);
                        }
                    }
                }
                let mut p = json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": schema});
                if let Some(d) = description {
                    p["description"] = d;
                }
                params.push(p);
            }
        }
        let mut operation = json!({
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": format!("{}_{}", r.method, r.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '-'], "_")),
            "parameters": params,
            "x-permission": r.perm.map(|p| serde_json::to_value(p).unwrap_or(Value::Null)),
            "responses": {
                "200": {"description": "成功", "content": {"application/json": {}}},
                "400": {"$ref": "#/components/responses/Problem"},
                "401": {"$ref": "#/components/responses/Problem"},
                "403": {"$ref": "#/components/responses/Problem"},
                "404": {"$ref": "#/components/responses/Problem"},
                "409": {"$ref": "#/components/responses/Problem"},
                "422": {"$ref": "#/components/responses/Problem"}
            }
        });
        if r.public {
            operation["security"] = json!([]);
        }
        if r.method == "post" {
            operation["responses"]["201"] = json!({"description": "已创建", "content": {"application/json": {}}});
        }
        if r.body.is_some() {
            operation["responses"]["413"] = json!({"$ref": "#/components/responses/Problem"});
        }
        if let Some(schema) = r.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema()}}});
        }
        entry[r.method] = operation;
        let mr = match by_path.remove(r.path) {
            Some(existing) => existing.merge(r.handler),
            None => r.handler,
        };
        by_path.insert(r.path, mr);
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Zhengwu 政务门户平台 API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "后台的每项操作均可通过本接口完成。使用个人 API 令牌：Authorization: Bearer <令牌>。错误以 application/problem+json 返回，字段错误列在 errors 中。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "code": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}},
            "responses": {"Problem": {"description": "错误", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
        }
    });
    (router, doc)
}

/// The optional body of an action that may carry a comment (an opinion, the reason for 退回).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct CommentBody {
    /// 意见或理由（退回时必填）
    #[serde(default)]
    pub comment: String,
}

/// The regular expression of a calendar day `YYYY-MM-DD` that exists (30-day months, February,
/// 29 February in leap years), as a literal for `concat!` in schema patterns: the handlers refuse
/// `06-31`, and a schema-valid request must be accepted.
#[macro_export]
macro_rules! calendar_day_pattern {
    () => {
        r"(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
    };
}

/// A calendar day `YYYY-MM-DD`, or empty (no bound): the pattern query and body schemas declare.
pub const DATE_OR_EMPTY: &str = concat!(r"^$|^", calendar_day_pattern!(), "$");
/// A link field: `http(s)://…` or a path on this site (`/…`, not `//…`), as `check_link` accepts.
pub const LINK: &str = r"^(https?://\S+|/([^/\s]\S*)?)$";
/// External links must be http(s): a `javascript:` URL in a link field is an XSS vector.
pub fn check_link(url: &str) -> Result<(), String> {
    let u = url.trim();
    if u.starts_with("https://") || u.starts_with("http://") || (u.starts_with('/') && !u.starts_with("//")) {
        Ok(())
    } else {
        Err("链接应以 http:// 、https:// 或 / 开头".into())
    }
}

/// A Beijing time `YYYY-MM-DD HH:MM` (or with `T`, as `datetime-local` sends), or empty.
pub const DATETIME_OR_EMPTY: &str = concat!(r"^$|^", calendar_day_pattern!(), r"[ T]([01]\d|2[0-3]):[0-5]\d$");

/// The JSON Schema of a request body or query, generated from the handler's input type (draft 2020-12 as
/// OpenAPI 3.1 uses, subschemas inlined), so the document says exactly which fields, types, lengths
/// and ranges the server accepts.
pub fn schema_of<T: schemars::JsonSchema>() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut v = settings.into_generator().into_root_schema_for::<T>().to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    v
}

/// The platform's API operations.
pub fn platform_routes() -> Vec<ApiRoute> {
    vec![
        op!(get, "/api/v1/me", "账号", "当前用户及其角色", None, None, me),
        op!(get, "/api/v1/users", "账号", "账号列表", Some(Perm::UserManage), None, users_list)
            .with_query(schema_of::<ListQuery>),
        op!(
            post,
            "/api/v1/users",
            "账号",
            "新建账号",
            Some(Perm::UserManage),
            Some(schema_of::<UserInput>),
            user_create
        ),
        op!(get, "/api/v1/users/{id}", "账号", "账号详情", Some(Perm::UserManage), None, user_get),
        op!(
            patch,
            "/api/v1/users/{id}",
            "账号",
            "修改账号资料",
            Some(Perm::UserManage),
            Some(schema_of::<ProfileInput>),
            user_update
        ),
        op!(
            post,
            "/api/v1/users/{id}/actions/{action}",
            "账号",
            "账号操作：disable、enable、reset-password",
            Some(Perm::UserManage),
            Some(schema_of::<ActionBody>),
            user_action
        ),
        op!(get, "/api/v1/orgs", "机构", "单位列表（树形顺序）", Some(Perm::OrgManage), None, orgs_list),
        op!(post, "/api/v1/orgs", "机构", "新建单位", Some(Perm::OrgManage), Some(schema_of::<OrgInput>), org_create),
        op!(
            patch,
            "/api/v1/orgs/{id}",
            "机构",
            "修改单位",
            Some(Perm::OrgManage),
            Some(schema_of::<OrgInput>),
            org_update
        ),
        op!(get, "/api/v1/users/{id}/grants", "授权", "账号的角色授权", Some(Perm::RoleGrant), None, grants_list),
        op!(
            post,
            "/api/v1/users/{id}/grants",
            "授权",
            "授予角色",
            Some(Perm::RoleGrant),
            Some(schema_of::<GrantInput>),
            grant_create
        ),
        op!(delete, "/api/v1/grants/{id}", "授权", "收回授权", Some(Perm::RoleGrant), None, grant_delete),
        op!(get, "/api/v1/security-policy", "安全", "安全策略", Some(Perm::SecurityPolicy), None, policy_get),
        op!(
            put,
            "/api/v1/security-policy",
            "安全",
            "修改安全策略",
            Some(Perm::SecurityPolicy),
            Some(schema_of::<SecurityPolicy>),
            policy_put
        ),
        op!(get, "/api/v1/settings", "系统", "系统设置", Some(Perm::SystemSettings), None, settings_get),
        op!(
            put,
            "/api/v1/settings",
            "系统",
            "修改系统设置",
            Some(Perm::SystemSettings),
            Some(schema_of::<SystemSettings>),
            settings_put
        ),
        op!(
            get,
            "/api/v1/audit",
            "审计",
            "查询审计日志（username、action、outcome、from、to、page）",
            Some(Perm::AuditRead),
            None,
            audit_list
        )
        .with_query(schema_of::<AuditQuery>),
        op!(
            get,
            "/api/v1/audit/export",
            "审计",
            "导出审计日志（format=csv|xlsx）",
            Some(Perm::AuditRead),
            None,
            audit_export
        )
        .with_query(schema_of::<ExportQuery>),
        op!(post, "/api/v1/audit/actions/verify", "审计", "校验审计日志链", Some(Perm::AuditRead), None, audit_verify),
        op!(
            get,
            "/api/v1/calendar",
            "系统",
            "节假日安排（各年的休息日与调休上班日）",
            Some(Perm::SystemSettings),
            None,
            calendar_get
        ),
        op!(
            post,
            "/api/v1/calendar",
            "系统",
            "录入节假日安排（lines：每行“日期 休|班 名称”）",
            Some(Perm::SystemSettings),
            Some(schema_of::<CalendarBody>),
            calendar_post
        ),
        op!(
            get,
            "/api/v1/outbox",
            "系统",
            "待发和发送失败的邮件、短信（标题、尝试次数、失败原因；不含收件人与正文）",
            Some(Perm::SystemSettings),
            None,
            outbox_list
        ),
        op!(
            post,
            "/api/v1/outbox/{id}/actions/retry",
            "系统",
            "重新发送一封发送失败的邮件或短信",
            Some(Perm::SystemSettings),
            None,
            outbox_retry
        ),
        op!(
            get,
            "/api/v1/figures",
            "统计",
            "各模块一年的统计数（网站年度报表、考核用：来信、依申请公开、征集调查、在线访谈等），year=YYYY",
            Some(Perm::ContentStats),
            None,
            figures_get
        )
        .with_query(schema_of::<FiguresQuery>),
        op!(get, "/api/v1/tokens", "令牌", "我的 API 令牌", None, None, tokens_list),
        op!(
            post,
            "/api/v1/tokens",
            "令牌",
            "生成 API 令牌（只返回一次）",
            None,
            Some(schema_of::<TokenBody>),
            token_create
        ),
        op!(post, "/api/v1/tokens/{id}/actions/revoke", "令牌", "吊销 API 令牌", None, None, token_revoke),
    ]
}

async fn me(staff: Staff) -> Json<Value> {
    Json(json!({"user": staff.user, "grants": staff.grants}))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct ListQuery {
    /// 按用户名或姓名查找
    #[serde(default)]
    q: String,
    /// 页码（超出 1–100000 时按第 1 页）
    #[serde(default)]
    page: Option<i64>,
}

/// The page number a list was asked for: 1 when absent or out of range (1–100 000), so a huge
/// page can never overflow an offset.
pub fn page_of(p: Option<i64>) -> i64 {
    p.filter(|p| (1..=100_000).contains(p)).unwrap_or(1)
}

async fn users_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let page = page_of(q.page);
    let (users, total) = accounts::list_users(&state.db, q.q.trim(), PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok(Json(json!({"items": users, "total": total, "page": page, "page_size": PAGE_SIZE})))
}

async fn user_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<UserInput>,
) -> Result<Response, AppError> {
    let u = ops::create_user(&state, &ctx, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(u))).into_response())
}

async fn user_get(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let u = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let actions = if u.disabled { vec!["enable", "reset-password"] } else { vec!["disable", "reset-password"] };
    Ok(Json(json!({"user": u, "actions": actions})))
}

async fn user_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ProfileInput>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(ops::update_user(&state, &ctx, &staff, id, &input).await?)))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct ActionBody {
    /// reset-password 的新密码（须符合安全策略；空则生成临时密码）
    #[serde(default)]
    password: String,
}

async fn user_action(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::UserManage, &ResourceScope::platform())?;
    let body: ActionBody = parse_optional_body(&raw)?;
    match action.as_str() {
        "disable" => ops::set_disabled(&state, &ctx, &staff, id, true).await?,
        "enable" => ops::set_disabled(&state, &ctx, &staff, id, false).await?,
        "reset-password" => ops::reset_password(&state, &ctx, &staff, id, &body.password).await?,
        other => {
            return Err(AppError::Conflict(format!("不支持的操作“{other}”，可用：disable、enable、reset-password")));
        }
    }
    let u = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({"user": u})))
}

/// Action bodies are optional: an empty body means no comment or extra fields.
pub fn parse_optional_body<T: serde::de::DeserializeOwned + Default>(raw: &[u8]) -> Result<T, AppError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let v = serde_json::from_slice(raw).map_err(|e| AppError::BadRequest(format!("请求体不是有效的 JSON：{e}")))?;
    super::extract::decode_object(v)
}

async fn orgs_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::OrgManage, &ResourceScope::platform())?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let items: Vec<Value> =
        pages::org_tree(&orgs).into_iter().map(|(o, depth)| json!({"org": o, "depth": depth})).collect();
    Ok(Json(json!({"items": items})))
}

async fn org_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<OrgInput>,
) -> Result<Response, AppError> {
    let id = ops::create_org(&state, &ctx, &staff, &input).await?;
    let o = accounts::org_by_id(&state.db, id).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(o))).into_response())
}

async fn org_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<OrgInput>,
) -> Result<Json<Value>, AppError> {
    ops::update_org(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(accounts::org_by_id(&state.db, id).await?)))
}

async fn grants_list(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::RoleGrant, &ResourceScope::platform())?;
    accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({"items": accounts::grants_of(&state.db, id).await?})))
}

async fn grant_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<GrantInput>,
) -> Result<Response, AppError> {
    let gid = ops::grant_role(&state, &ctx, &staff, id, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": gid}))).into_response())
}

async fn grant_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    ops::revoke_grant(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({"deleted": id})))
}

async fn policy_get(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SecurityPolicy, &ResourceScope::platform())?;
    Ok(Json(json!(state.policy().await)))
}

async fn policy_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(p): Json<SecurityPolicy>,
) -> Result<Json<Value>, AppError> {
    ops::set_policy(&state, &ctx, &staff, &p).await?;
    Ok(Json(json!(p)))
}

async fn settings_get(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    Ok(Json(json!(ops::load_settings(&state).await)))
}

async fn settings_put(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(s): Json<SystemSettings>,
) -> Result<Json<Value>, AppError> {
    ops::save_settings(&state, &ctx, &staff, &s).await?;
    Ok(Json(json!(s)))
}

async fn audit_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let page = page_of(q.page.as_deref().and_then(|p| p.parse().ok()));
    let (items, total) = audit::search(&state.db, &q.filter()?, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok(Json(json!({"items": items, "total": total, "page": page, "page_size": PAGE_SIZE})))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct ExportQuery {
    #[serde(flatten)]
    filter: AuditQuery,
    /// 导出格式：csv 或 xlsx（默认 csv）
    #[serde(default)]
    #[schemars(extend("enum" = ["", "csv", "xlsx"]))]
    format: String,
}

async fn audit_export(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let format = match q.format.as_str() {
        "" | "csv" => "csv",
        "xlsx" => "xlsx",
        _ => return Err(AppError::invalid("format", "format 只能是 csv 或 xlsx")),
    };
    let (entries, _) = audit::search(&state.db, &q.filter.filter()?, 100_000, 0).await?;
    state.audit(&ctx, "audit.export", "audit_log", "success", format!("API 导出 {format}，{} 条", entries.len())).await;
    let (body, ct) = if format == "xlsx" {
        (
            audit::to_xlsx(&entries).map_err(|e| AppError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (audit::to_csv(&entries), "text/csv; charset=utf-8")
    };
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}

async fn audit_verify(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::AuditRead, &ResourceScope::platform())?;
    let r = audit::verify(&state.db, &state.audit_key.key, |_, _| {}).await?;
    state
        .audit(
            &ctx,
            "audit.verify",
            "audit_log",
            if r.first_broken.is_none() { "success" } else { "failure" },
            format!("{r:?}"),
        )
        .await;
    Ok(Json(json!({
        "checked": r.checked,
        "ok": r.first_broken.is_none(),
        "first_broken_seq": r.first_broken.as_ref().map(|b| b.0),
        "reason": r.first_broken.as_ref().map(|b| b.1.clone()),
    })))
}

async fn tokens_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({"items": accounts::tokens_of(&state.db, staff.user.id).await?})))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["name"]))]
struct TokenBody {
    /// 用途说明
    #[serde(default)]
    #[schemars(length(min = 1, max = 60), regex(pattern = r"\S"))]
    name: String,
}

async fn token_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<TokenBody>,
) -> Result<Response, AppError> {
    let (id, token) = pages::create_token_op(&state, &ctx, &staff, &b.name).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"id": id, "token": token})),
    )
        .into_response())
}

async fn token_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    pages::revoke_token_op(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({"revoked": id})))
}

async fn calendar_get(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let cal = crate::calendar::load(&state.db).await?;
    let days: Vec<Value> = cal
        .special_days()
        .map(|(d, kind, name)| {
            let kind = if kind == crate::calendar::DayKind::Workday { "workday" } else { "holiday" };
            json!({"day": d.to_string(), "kind": kind, "name": name})
        })
        .collect();
    Ok(Json(json!({"years": cal.known_years(), "days": days})))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct FiguresQuery {
    /// 年份（默认今年）
    #[serde(default)]
    #[schemars(range(min = 2000, max = 2100))]
    year: Option<i32>,
}

/// Every module's figures for one calendar year (Beijing time), as the annual reports and the
/// supervision module read them.
async fn figures_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ContentStats)?;
    let year = q.year.unwrap_or_else(|| crate::calendar::today().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年份应在 2000 到 2100 之间"));
    }
    let day = |y: i32| crate::parse_date(&format!("{y:04}-01-01"));
    let (Some(from), Some(to)) = (day(year), day(year + 1)) else {
        return Err(AppError::invalid("year", "年份应在 2000 到 2100 之间"));
    };
    let figures = state.modules.figures(&state, crate::module::FigureQuery { from, to, ..Default::default() }).await;
    Ok(Json(json!({ "year": year, "figures": figures })))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["lines"]))]
struct CalendarBody {
    /// 每行“日期 休|班 名称”，如“2027-01-01 休 元旦”
    #[serde(default)]
    lines: String,
}

async fn outbox_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    Ok(Json(json!({"items": crate::outbox::undelivered(&state.db).await?})))
}

async fn outbox_retry(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    ops::retry_message(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({"id": id, "state": "pending"})))
}

async fn calendar_post(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(b): Json<CalendarBody>,
) -> Result<Json<Value>, AppError> {
    staff.require(Perm::SystemSettings, &ResourceScope::platform())?;
    let days = crate::calendar::parse_lines(&b.lines).map_err(|m| AppError::invalid("lines", m))?;
    crate::calendar::save(&state.db, &days, &staff.user.username).await?;
    state.audit(&ctx, "calendar.update", "calendar", "success", format!("API 录入节假日安排 {} 天", days.len())).await;
    Ok(Json(json!({"saved": days.len()})))
}

#[cfg(test)]
mod tests {
    use super::{DATE_OR_EMPTY, DATETIME_OR_EMPTY};

    /// The pattern admits exactly the days `parse_date` accepts, over ordinary, leap and century years.
    #[test]
    fn the_date_pattern_admits_exactly_the_days_that_exist() {
        let pattern = regex::Regex::new(DATE_OR_EMPTY).unwrap();
        let datetime = regex::Regex::new(DATETIME_OR_EMPTY).unwrap();
        assert!(pattern.is_match(""));
        for year in [1900, 1999, 2000, 2023, 2024, 2100, 2400] {
            for month in 1..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let exists = time::Month::try_from(month as u8)
                        .and_then(|m| time::Date::from_calendar_date(year, m, day as u8))
                        .is_ok();
                    assert_eq!(pattern.is_match(&text), exists, "{text}");
                    assert_eq!(crate::parse_date(&text).is_some(), exists, "{text}");
                    let at = format!("{text} 08:30");
                    assert_eq!(datetime.is_match(&at), exists, "{at}");
                    assert_eq!(crate::parse_datetime(&at).is_some(), exists, "{at}");
                }
            }
        }
    }
}
