//! Request extractors whose rejections are `AppError`s, so malformed input (bad JSON, invalid UTF-8,
//! a wrong path parameter) gets a clear Chinese message in the right format instead of axum's
//! plain-text defaults. Handlers use these instead of the axum originals.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use super::AppError;

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// A JSON request body that must be an object: serde would otherwise accept `[…]` for a struct
/// (fields by position), which the API document does not promise and nobody means. Numbers with
/// no fraction (`3.0`) count as integers, as JSON Schema and most JSON writers have it.
pub struct Json<T>(pub T);

/// Reads an API body already parsed as JSON into `T`: it must be an object, and integral floats
/// count as integers. Every JSON body goes through here (the [`Json`] extractor and the optional
/// action bodies).
pub fn decode_object<T: serde::de::DeserializeOwned>(mut v: serde_json::Value) -> Result<T, AppError> {
    integral_floats_as_integers(&mut v);
    if !v.is_object() {
        return Err(AppError::Invalid(vec![super::FieldError::new(
            "body",
            "请求体应为 JSON 对象（{…}），不能是数组或单个值",
        )]));
    }
    serde_json::from_value(v)
        .map_err(|e| AppError::Invalid(vec![super::FieldError::new("body", format!("字段内容有误：{e}"))]))
}

/// Rewrites integral floats (`3.0`) as integers, so an integer field accepts them.
fn integral_floats_as_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: |f| < 2^53, so the conversion loses nothing.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *v = serde_json::Value::from(i);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(v) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        decode_object(v).map(Json)
    }
}

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

/// Deserializes a yes/no from a form (`"1"`, `"on"`, `"true"` are yes; `""`, `"0"` no) or from
/// JSON (`true`/`false`). Use as `#[serde(default, deserialize_with = "platform::web::extract::form_bool")]`.
pub fn form_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum BoolOrText {
        Bool(bool),
        Text(String),
    }
    Ok(match <Option<BoolOrText> as serde::Deserialize>::deserialize(d)? {
        None => false,
        Some(BoolOrText::Bool(b)) => b,
        Some(BoolOrText::Text(s)) => matches!(s.trim(), "1" | "on" | "true"),
    })
}

/// One uploaded file of a multipart form: its form field, the file name as sent (path parts
/// removed, control characters dropped, at most 100 characters) and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads a whole multipart form (the public forms that take attachments): text fields by name and
/// the files, skipping empty file inputs. A body over the route's limit is a Chinese 413.
pub async fn read_multipart(
    mp: axum::extract::Multipart,
) -> Result<(std::collections::BTreeMap<String, String>, Vec<Upload>), AppError> {
    let form = read_multipart_spooled(mp, None).await?;
    Ok((form.fields, form.files))
}

/// A multipart form read with its large files written to disk as they arrive.
pub struct SpooledForm {
    pub fields: std::collections::BTreeMap<String, String>,
    /// The small files, in memory.
    pub files: Vec<Upload>,
    /// The files of the spooled fields, on disk.
    pub spooled: Vec<SpooledFile>,
}

/// Where to write which fields' files: a folder (on the file system the file will be kept on, so
/// keeping it is a rename) and the field names.
pub struct Spool<'a> {
    pub dir: &'a std::path::Path,
    pub fields: &'a [&'a str],
}

/// An uploaded file written to a temporary file while it arrived, hashed on the way: a video of
/// hundreds of megabytes never sits in memory. The temporary file is removed when this is dropped
/// unless [`SpooledFile::keep_as`] moved it.
#[derive(Debug)]
pub struct SpooledFile {
    pub field: String,
    pub name: String,
    pub path: std::path::PathBuf,
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    kept: bool,
}

impl SpooledFile {
    /// Moves the file to `dest` (the same file system); when `dest` already holds it (the same
    /// hash), the temporary copy is dropped.
    pub fn keep_as(mut self, dest: &std::path::Path) -> std::io::Result<()> {
        if dest.exists() {
            std::fs::remove_file(&self.path)?;
        } else {
            std::fs::rename(&self.path, dest)?;
        }
        self.kept = true;
        Ok(())
    }
}

impl Drop for SpooledFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn incomplete(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("上传的文件太大，请减小文件或分次上传".into())
    } else {
        AppError::BadRequest("表单数据不完整，请重新提交".into())
    }
}

/// A file name as a client sent it, made safe to show and store: path parts removed, control
/// characters dropped, at most 100 characters; `附件` when nothing is left.
pub fn clean_file_name(sent: &str) -> String {
    let base: String =
        sent.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(100).collect();
    if base.is_empty() { "附件".into() } else { base }
}

/// Reads a multipart form; the files of `spool`'s fields go to disk chunk by chunk (see
/// [`SpooledFile`]), everything else is read into memory as [`read_multipart`] does.
pub async fn read_multipart_spooled(
    mut mp: axum::extract::Multipart,
    spool: Option<Spool<'_>>,
) -> Result<SpooledForm, AppError> {
    use sha2::Digest;
    use tokio::io::AsyncWriteExt;
    let mut form = SpooledForm { fields: Default::default(), files: Vec::new(), spooled: Vec::new() };
    while let Some(mut field) = mp.next_field().await.map_err(incomplete)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let to_disk = spool.as_ref().filter(|s| file_name.is_some() && s.fields.contains(&name.as_str()));
        if let Some(sp) = to_disk {
            let io = |e: std::io::Error| AppError::Internal(format!("上传文件暂存失败: {e}"));
            tokio::fs::create_dir_all(sp.dir).await.map_err(io)?;
            let path = sp.dir.join(format!(".upload-{}.part", crate::security::random_token(12)));
            let mut file = SpooledFile {
                field: name,
                name: clean_file_name(file_name.as_deref().unwrap_or("")),
                path,
                size: 0,
                sha256: String::new(),
                kept: false,
            };
            let mut out = tokio::fs::File::create(&file.path).await.map_err(io)?;
            let mut hash = sha2::Sha256::new();
            while let Some(chunk) = field.chunk().await.map_err(incomplete)? {
                hash.update(&chunk);
                file.size += chunk.len() as u64;
                out.write_all(&chunk).await.map_err(io)?;
            }
            out.flush().await.map_err(io)?;
            file.sha256 = hex::encode(hash.finalize());
            // An empty file input sends an empty part: nothing was chosen.
            if file.size > 0 || !file_name.as_deref().unwrap_or("").is_empty() {
                form.spooled.push(file);
            }
            continue;
        }
        let bytes = field.bytes().await.map_err(incomplete)?;
        match file_name {
            Some(f) => {
                if !f.is_empty() || !bytes.is_empty() {
                    form.files.push(Upload { field: name, name: clean_file_name(&f), bytes: bytes.to_vec() });
                }
            }
            None => {
                form.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(form)
}

/// Reads a form whose fields named in `lists` may repeat (a group of checkboxes) into `T`: those
/// fields become arrays, every other field keeps its last value. Read a form with
/// `Form<Vec<(String, String)>>` and pass the pairs here.
pub fn form_with_lists<T: serde::de::DeserializeOwned>(
    pairs: Vec<(String, String)>,
    lists: &[&str],
) -> Result<T, AppError> {
    let mut obj = serde_json::Map::new();
    for name in lists {
        obj.insert((*name).to_owned(), serde_json::Value::Array(Vec::new()));
    }
    for (k, v) in pairs {
        match obj.get_mut(&k) {
            Some(serde_json::Value::Array(items)) if lists.contains(&k.as_str()) => {
                items.push(serde_json::Value::String(v))
            }
            _ => {
                obj.insert(k, serde_json::Value::String(v));
            }
        }
    }
    serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|_| AppError::BadRequest("表单内容无法识别（某项内容的格式或编码有误），请返回检查后重新提交".into()))
}
