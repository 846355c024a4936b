//! Request extractors whose rejections are `AppError`s, so malformed input (bad JSON, invalid UTF-8,
//! a wrong path parameter) gets a clear Chinese message in the right format instead of axum's
//! plain-text defaults. Handlers use these instead of the axum originals.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use super::AppError;

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<FormRejection> for AppError {
    fn from(r: FormRejection) -> Self {
        match r {
            // The decoder's own message is English and technical; a person at a form gets plain words.
            FormRejection::FailedToDeserializeForm(_) | FormRejection::FailedToDeserializeFormBody(_) => {
                AppError::BadRequest("表单内容无法识别（某项内容的格式或编码有误），请返回检查后重新提交".into())
            }
            FormRejection::InvalidFormContentType(_) => AppError::BadRequest("请以表单格式提交".into()),
            other if other.status().as_u16() == 413 => AppError::PayloadTooLarge("提交的内容过大".into()),
            _ => AppError::BadRequest("表单内容无法读取".into()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                AppError::Invalid(vec![super::FieldError::new("body", format!("字段内容有误：{}", e.body_text()))])
            }
            JsonRejection::JsonSyntaxError(_) => AppError::BadRequest("请求体不是有效的 JSON".into()),
            JsonRejection::MissingJsonContentType(_) => {
                AppError::BadRequest("请设置 Content-Type: application/json".into())
            }
            other if other.status().as_u16() == 413 => AppError::PayloadTooLarge("提交的内容过大".into()),
            _ => AppError::BadRequest("请求体无法读取".into()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::BadRequest(format!("查询参数有误：{}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::NotFound
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserializes an optional id from a form (`""` → `None`, `"12"`) or from JSON (`12`, `"12"`,
/// `null`). Use as `#[serde(default, deserialize_with = "platform::web::extract::opt_i64")]`.
pub fn opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(i64),
        Text(String),
    }
    match <Option<NumOrText> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrText::Num(n)) => Ok(Some(n)),
        Some(NumOrText::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(NumOrText::Text(s)) => {
            s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("「{s}」不是有效的编号")))
        }
    }
}
