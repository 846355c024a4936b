//! The one error type of the HTTP layer and how it is shown.
//!
//! Handlers return `Result<_, AppError>`. An `AppError` becomes an `application/problem+json`
//! response naming the problem (and the fields, for validation errors). For back-office and public
//! pages, `context_layer` then turns any error response that is not already an HTML page into one
//! in the site style (`ensure_error_body`), so a bad request never shows a bare text body, and a 5xx
//! never shows internal details — only the request id to quote to the operator.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{AppState, Ctx};
use crate::db::DbError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("请先登录")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("您访问的页面不存在或已被删除")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("提交的内容有误，请按提示修改")]
    Invalid(Vec<FieldError>),
    #[error("首次登录或密码已被重置，请先修改密码")]
    MustChangePassword,
    #[error("请完成双因素认证")]
    NeedMfa,
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("服务器内部错误")]
    Internal(String),
}

/// What the error middleware needs to know about an error response.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub title: String,
    pub detail: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::MustChangePassword | AppError::NeedMfa => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::MustChangePassword => "must_change_password",
            AppError::NeedMfa => "mfa_required",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Field errors as a map from field name to message, as forms show them.
pub fn errors_map(errs: &[FieldError]) -> std::collections::BTreeMap<String, String> {
    errs.iter().map(|e| (e.field.clone(), e.message.clone())).collect()
}

/// Splits an error into form errors to show again with the form (422 for bad fields; 409 for a
/// conflict and 429 for a public form sent too often, both shown at the form's top as `form`) or an
/// error to return as is.
pub fn form_errors(e: AppError) -> Result<(StatusCode, std::collections::BTreeMap<String, String>), AppError> {
    form_errors_at(e, "form")
}

/// As [`form_errors`], with a conflict or a rate limit shown at `field` (the form that was posted
/// on a page with several).
pub fn form_errors_at(
    e: AppError,
    field: &str,
) -> Result<(StatusCode, std::collections::BTreeMap<String, String>), AppError> {
    match e {
        AppError::Invalid(errs) => Ok((StatusCode::UNPROCESSABLE_ENTITY, errors_map(&errs))),
        AppError::Conflict(m) => Ok((StatusCode::CONFLICT, std::collections::BTreeMap::from([(field.to_owned(), m)]))),
        AppError::TooManyRequests(m) => {
            Ok((StatusCode::TOO_MANY_REQUESTS, std::collections::BTreeMap::from([(field.to_owned(), m)])))
        }
        other => Err(other),
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Conflict(m) => AppError::Conflict(m),
            e if e.is_unique_violation() => AppError::Conflict("与已有记录重复".into()),
            e => AppError::Internal(e.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let detail = match &self {
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                "服务器内部错误，请稍后重试；如问题持续，请把页面上的请求编号告诉管理员".to_owned()
            }
            other => other.to_string(),
        };
        let errors = match &self {
            AppError::Invalid(f) => f.clone(),
            _ => Vec::new(),
        };
        let body = Problem {
            kind: format!("https://zhengwu.invalid/problems/{}", self.code()),
            title,
            status: status.as_u16(),
            detail: detail.clone(),
            code: self.code(),
            errors,
        };
        let mut res = (status, [(header::CONTENT_TYPE, "application/problem+json")], Json(body)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        res.extensions_mut().insert(ErrorInfo { code: self.code(), title: title.to_owned(), detail });
        res
    }
}

fn default_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求格式有误，无法处理",
        401 => "请先登录",
        403 => "您没有访问此页面的权限",
        404 => "您访问的页面不存在或已被删除",
        405 => "不支持此请求方式",
        408 => "请求超时，请重试",
        413 => "提交的内容过大",
        415 => "不支持的内容类型",
        422 => "提交的内容有误",
        429 => "操作过于频繁，请稍后再试",
        _ => "服务器内部错误，请稍后重试",
    }
}

/// Gives every error response a body in the right form: problem+json for the API, an HTML page in
/// the site style elsewhere (sign-in redirects for the back office).
pub(super) fn ensure_error_body(state: &AppState, ctx: &Ctx, is_api: bool, res: Response) -> Response {
    let status = res.status();
    let ct = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let info = res.extensions().get::<ErrorInfo>().cloned();
    if is_api {
        if ct.starts_with("application/problem+json") {
            return res;
        }
        let err = match status.as_u16() {
            401 => AppError::Unauthorized,
            404 => AppError::NotFound,
            413 => AppError::PayloadTooLarge(default_detail(status).into()),
            s if s >= 500 => AppError::Internal(format!("HTTP {s}")),
            _ => AppError::BadRequest(default_detail(status).into()),
        };
        let mut r = err.into_response();
        *r.status_mut() = status;
        return r;
    }
    // A machine interface outside /api (Open311) answers errors in its own format.
    if ct.starts_with("text/html")
        || (info.is_none() && (ct.starts_with("application/json") || ct.starts_with("text/xml")))
    {
        return res;
    }
    let is_admin = ctx.path.starts_with("/admin");
    if is_admin {
        match info.as_ref().map(|i| i.code) {
            Some("unauthorized") => {
                let next = url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect::<String>();
                return super::see_other(&format!("/admin/login?next={next}"));
            }
            Some("must_change_password") => return super::see_other("/admin/password"),
            Some("mfa_required") => return super::see_other("/admin/mfa"),
            _ => {}
        }
    }
    let detail = info.as_ref().map_or_else(|| default_detail(status).to_owned(), |i| i.detail.clone());
    let page = minijinja::context! {
        status => status.as_u16(),
        detail => detail,
        request_id => ctx.request_id.clone(),
        admin => is_admin,
    };
    // Signed-in staff keep the back-office frame and its menu, so the way on is one click away.
    let template = if is_admin && ctx.auth.is_some() { "admin/error.html" } else { "error.html" };
    match state.render(ctx, template, page) {
        Ok(html) => {
            let mut r = (status, html).into_response();
            if let Some(i) = info {
                r.extensions_mut().insert(i);
            }
            r
        }
        Err(_) => (status, default_detail(status)).into_response(),
    }
}
