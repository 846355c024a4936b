//! 数据开放: datasets with their metadata (publisher, theme, keywords, licence, update frequency,
//! spatial and temporal coverage, contact), resources — uploaded files with every version kept,
//! API addresses, and tables published from the import framework's directories with chosen public
//! fields —, previews of tabular resources, download counts, and the same metadata as CKAN
//! packages and DCAT-AP JSON-LD (built here, served by `ckan` and `public`).

use std::collections::BTreeMap;

use platform::accounts::OrgUnit;
use platform::db::{Db, DbResult, Exec, Scalar, sql};
use platform::web::AppError;
use platform::web::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::{self, FREQUENCIES, LICENCES, OPEN_CONDITIONS, THEMES};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Dataset {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub org_id: i64,
    pub theme: String,
    pub keywords: String,
    pub licence: String,
    pub frequency: String,
    pub spatial: String,
    pub temporal_from: String,
    pub temporal_to: String,
    pub open_condition: String,
    pub contact_name: String,
    pub contact_email: String,
    pub state: String,
    pub issued_at: Option<i64>,
    pub downloads: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Dataset {
    pub fn keywords(&self) -> Vec<&str> {
        self.keywords.split([',', '，', '、', ' ']).map(str::trim).filter(|k| !k.is_empty()).collect()
    }

    pub fn is_published(&self) -> bool {
        self.state == "published"
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Resource {
    pub id: i64,
    pub dataset_id: i64,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub format: String,
    pub url: String,
    pub table_name: String,
    pub fields: String,
    pub downloads: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Resource {
    pub fn fields(&self) -> Vec<String> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub resource_id: i64,
    pub version: i64,
    pub file_name: String,
    pub stored: String,
    pub size: i64,
    pub sm3: String,
    pub row_count: Option<i64>,
    pub columns: String,
    pub created_by: String,
    pub created_at: i64,
}

impl Version {
    pub fn columns(&self) -> Vec<String> {
        serde_json::from_str(&self.columns).unwrap_or_default()
    }
}

// ---- storage --------------------------------------------------------------------------------------

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Dataset>> {
    db.fetch_optional(sql("SELECT * FROM data_dataset WHERE id = $1").bind(id)).await
}

/// A dataset by its name or, as CKAN clients may ask, its id.
pub async fn by_name_or_id(db: &Db, key: &str) -> DbResult<Option<Dataset>> {
    if let Some(d) = db.fetch_optional(sql("SELECT * FROM data_dataset WHERE name = $1").bind(key.to_owned())).await? {
        return Ok(Some(d));
    }
    match key.parse::<i64>() {
        Ok(id) => by_id(db, id).await,
        Err(_) => Ok(None),
    }
}

pub async fn resources(db: &Db, dataset_id: i64) -> DbResult<Vec<Resource>> {
    db.fetch_all(sql("SELECT * FROM data_resource WHERE dataset_id = $1 ORDER BY id").bind(dataset_id)).await
}

/// The resources of many datasets at once (a search page), by dataset.
pub async fn resources_of(db: &Db, ids: &[i64]) -> DbResult<BTreeMap<i64, Vec<Resource>>> {
    let mut out: BTreeMap<i64, Vec<Resource>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<Resource> = db
        .fetch_all(
            sql("SELECT * FROM data_resource WHERE dataset_id IN (")
                .push_bind_list(ids.iter().copied())
                .push(") ORDER BY id"),
        )
        .await?;
    for r in rows {
        out.entry(r.dataset_id).or_default().push(r);
    }
    Ok(out)
}

pub async fn resource(db: &Db, id: i64) -> DbResult<Option<Resource>> {
    db.fetch_optional(sql("SELECT * FROM data_resource WHERE id = $1").bind(id)).await
}

/// A resource's versions, newest first.
pub async fn versions(db: &Db, resource_id: i64) -> DbResult<Vec<Version>> {
    db.fetch_all(
        sql("SELECT * FROM data_resource_version WHERE resource_id = $1 ORDER BY version DESC").bind(resource_id),
    )
    .await
}

/// The newest version of each of these resources.
pub async fn latest_versions(db: &Db, resource_ids: &[i64]) -> DbResult<BTreeMap<i64, Version>> {
    if resource_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<Version> = db
        .fetch_all(
            sql("SELECT v.* FROM data_resource_version v WHERE v.resource_id IN (")
                .push_bind_list(resource_ids.iter().copied())
                .push(") AND v.version = (SELECT MAX(version) FROM data_resource_version w WHERE w.resource_id = v.resource_id)"),
        )
        .await?;
    Ok(rows.into_iter().map(|v| (v.resource_id, v)).collect())
}

/// The catalogue's filters (public page, CKAN `package_search`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// 关键词（标题、描述、关键字）
    #[serde(default)]
    pub q: String,
    /// 主题
    #[serde(default)]
    pub theme: String,
    /// 提供单位代码
    #[serde(default)]
    pub org: String,
    /// 关键字（精确）
    #[serde(default)]
    pub tag: String,
    /// 页码
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub page: Option<i64>,
}

/// How a search orders datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Modified,
    Title,
    Name,
}

/// Published datasets matching `f`, `limit` from `offset`, and how many match.
pub async fn search(
    db: &Db,
    orgs: &[OrgUnit],
    f: &Filter,
    order: Order,
    offset: i64,
    limit: i64,
) -> DbResult<(Vec<Dataset>, i64)> {
    let build = |select: &str| {
        let mut s = sql(format!("SELECT {select} FROM data_dataset WHERE state = 'published'"));
        let q = f.q.trim();
        if !q.is_empty() {
            let like = format!("%{}%", q.replace(['%', '_'], ""));
            s = s
                .push(" AND (title LIKE ")
                .push_bind(like.clone())
                .push(" OR notes LIKE ")
                .push_bind(like.clone())
                .push(" OR keywords LIKE ")
                .push_bind(like)
                .push(")");
        }
        if !f.theme.is_empty() {
            s = s.push(" AND theme = ").push_bind(f.theme.clone());
        }
        if !f.org.is_empty() {
            match orgs.iter().find(|o| o.code.eq_ignore_ascii_case(&f.org)) {
                Some(o) => s = s.push(" AND org_id = ").push_bind(o.id),
                None => s = s.push(" AND 1=0"),
            }
        }
        if !f.tag.is_empty() {
            s = s
                .push(" AND (',' || keywords || ',') LIKE ")
                .push_bind(format!("%,{},%", f.tag.replace(['%', '_'], "")));
        }
        s
    };
    let total = db.count(build("COUNT(*)")).await?;
    let order_by = match order {
        Order::Modified => " ORDER BY updated_at DESC, id DESC",
        Order::Title => " ORDER BY title, id",
        Order::Name => " ORDER BY name",
    };
    let rows = db
        .fetch_all(build("*").push(order_by).push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset))
        .await?;
    Ok((rows, total))
}

/// Every published dataset's name (CKAN `package_list`), in name order.
pub async fn published_names(db: &Db, offset: i64, limit: i64) -> DbResult<Vec<String>> {
    let rows: Vec<Scalar<String>> = db
        .fetch_all(
            sql("SELECT name FROM data_dataset WHERE state = 'published' ORDER BY name LIMIT $1 OFFSET $2")
                .bind(limit)
                .bind(offset),
        )
        .await?;
    Ok(rows.into_iter().map(|s| s.0).collect())
}

/// Datasets of some units for the back office (any state), newest change first.
pub async fn managed(db: &Db, orgs: Option<&[i64]>) -> DbResult<Vec<Dataset>> {
    db.fetch_all(
        sql("SELECT * FROM data_dataset WHERE 1=1")
            .and_within("org_id", orgs)
            .push(" ORDER BY updated_at DESC LIMIT 500"),
    )
    .await
}

// ---- writing --------------------------------------------------------------------------------------

/// A dataset's metadata as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name", "title", "org"]))]
pub struct DatasetInput {
    /// 标识（小写字母、数字、-、_；用于网址和 CKAN 接口，创建后不变）
    #[serde(default)]
    pub name: String,
    /// 名称
    #[serde(default)]
    pub title: String,
    /// 描述
    #[serde(default)]
    pub notes: String,
    /// 提供单位代码
    #[serde(default)]
    pub org: String,
    /// 主题
    #[serde(default)]
    pub theme: String,
    /// 关键字（逗号分隔）
    #[serde(default)]
    pub keywords: String,
    /// 许可协议（cc-by-4.0、cc-zero、gov-open）
    #[serde(default)]
    pub licence: String,
    /// 更新频率
    #[serde(default)]
    pub frequency: String,
    /// 空间范围（行政区划代码）
    #[serde(default)]
    pub spatial: String,
    /// 时间范围起
    #[serde(default)]
    pub temporal_from: String,
    /// 时间范围止
    #[serde(default)]
    pub temporal_to: String,
    /// 开放属性（无条件开放、有条件开放）
    #[serde(default)]
    pub open_condition: String,
    /// 联系人
    #[serde(default)]
    pub contact_name: String,
    /// 联系邮箱
    #[serde(default)]
    pub contact_email: String,
}

/// Checks metadata; every problem is named on its field.
pub fn check(input: &DatasetInput, orgs: &[OrgUnit]) -> Result<i64, Vec<FieldError>> {
    let mut errs = Vec::new();
    if let Err(e) = domain::check_dataset_name(input.name.trim()) {
        errs.push(FieldError::new("name", e));
    }
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errs.push(FieldError::new("title", "请填写数据集名称（200 字以内）"));
    }
    if input.notes.chars().count() > 5000 {
        errs.push(FieldError::new("notes", "描述请控制在 5000 字以内"));
    }
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    if org.is_none() {
        errs.push(FieldError::new("org", "请选择提供单位"));
    }
    if !input.theme.is_empty() && !THEMES.contains(&input.theme.as_str()) {
        errs.push(FieldError::new("theme", "请从列表中选择主题"));
    }
    if !input.licence.is_empty() && !LICENCES.iter().any(|l| l.0 == input.licence) {
        errs.push(FieldError::new("licence", "请从列表中选择许可协议"));
    }
    if !input.frequency.is_empty() && !FREQUENCIES.iter().any(|f| f.0 == input.frequency) {
        errs.push(FieldError::new("frequency", "请从列表中选择更新频率"));
    }
    if !input.open_condition.is_empty() && !OPEN_CONDITIONS.contains(&input.open_condition.as_str()) {
        errs.push(FieldError::new("open_condition", "请从列表中选择开放属性"));
    }
    for (field, v) in [("temporal_from", &input.temporal_from), ("temporal_to", &input.temporal_to)] {
        if !v.trim().is_empty() && crate::mapping::parse_date(v).is_none() {
            errs.push(FieldError::new(field, "请填写有效日期，如 2024-01-01"));
        }
    }
    if let (Some(a), Some(b)) =
        (crate::mapping::parse_date(&input.temporal_from), crate::mapping::parse_date(&input.temporal_to))
        && a > b
    {
        errs.push(FieldError::new("temporal_to", "时间范围的结束日期早于开始日期"));
    }
    let email = input.contact_email.trim();
    if !email.is_empty() && (!platform::codes::valid_email(email) || email.len() > 100) {
        errs.push(FieldError::new("contact_email", "邮箱格式不正确"));
    }
    let six_digits = input.spatial.len() == 6 && input.spatial.bytes().all(|b| b.is_ascii_digit());
    if !input.spatial.is_empty() && !six_digits {
        errs.push(FieldError::new("spatial", "空间范围请填写 6 位行政区划代码"));
    }
    match (org, errs.is_empty()) {
        (Some(o), true) => Ok(o.id),
        _ => Err(errs),
    }
}

/// Keywords as stored: separated by “,” whatever was typed (，、 or spaces), so the public tag filter
/// and CKAN's `tags:` find each one.
fn keywords_text(s: &str) -> String {
    s.split([',', '，', '、', ' ']).map(str::trim).filter(|k| !k.is_empty()).collect::<Vec<_>>().join(",")
}

fn date_or_empty(s: &str) -> String {
    crate::mapping::parse_date(s).unwrap_or_default()
}

pub async fn create(db: &Db, input: &DatasetInput, org_id: i64) -> Result<i64, AppError> {
    let now = platform::db::now();
    let r = db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO data_dataset (name, title, notes, org_id, theme, keywords, licence, frequency, spatial, temporal_from, temporal_to, \
                 open_condition, contact_name, contact_email, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'draft', $15, $15) RETURNING id")
            .bind(input.name.trim().to_owned())
            .bind(input.title.trim().to_owned())
            .bind(input.notes.trim().to_owned())
            .bind(org_id)
            .bind(input.theme.clone())
            .bind(keywords_text(&input.keywords))
            .bind(input.licence.clone())
            .bind(input.frequency.clone())
            .bind(input.spatial.trim().to_owned())
            .bind(date_or_empty(&input.temporal_from))
            .bind(date_or_empty(&input.temporal_to))
            .bind(input.open_condition.clone())
            .bind(input.contact_name.trim().to_owned())
            .bind(input.contact_email.trim().to_owned())
            .bind(now),
        )
        .await;
    match r {
        Ok(id) => Ok(id.0),
        Err(e) if e.is_unique_violation() => Err(AppError::invalid("name", "这个标识已被其他数据集使用")),
        Err(e) => Err(e.into()),
    }
}

/// Saves metadata (the name stays: it is the dataset's address).
pub async fn update(db: &Db, id: i64, input: &DatasetInput, org_id: i64) -> DbResult<()> {
    db.execute(
        sql("UPDATE data_dataset SET title = $1, notes = $2, org_id = $3, theme = $4, keywords = $5, licence = $6, frequency = $7, \
             spatial = $8, temporal_from = $9, temporal_to = $10, open_condition = $11, contact_name = $12, contact_email = $13, \
             updated_at = $14 WHERE id = $15")
        .bind(input.title.trim().to_owned())
        .bind(input.notes.trim().to_owned())
        .bind(org_id)
        .bind(input.theme.clone())
        .bind(keywords_text(&input.keywords))
        .bind(input.licence.clone())
        .bind(input.frequency.clone())
        .bind(input.spatial.trim().to_owned())
        .bind(date_or_empty(&input.temporal_from))
        .bind(date_or_empty(&input.temporal_to))
        .bind(input.open_condition.clone())
        .bind(input.contact_name.trim().to_owned())
        .bind(input.contact_email.trim().to_owned())
        .bind(platform::db::now())
        .bind(id),
    )
    .await?;
    Ok(())
}

/// Publishes (开放) or withdraws (撤回) a dataset. A dataset is published only with a resource.
pub async fn set_state(db: &Db, d: &Dataset, state: &str) -> Result<(), AppError> {
    let now = platform::db::now();
    match state {
        "published" => {
            if resources(db, d.id).await?.is_empty() {
                return Err(AppError::invalid("state", "请先为数据集添加至少一个资源（文件、接口或目录数据）再开放"));
            }
            db.execute(
                sql("UPDATE data_dataset SET state = 'published', issued_at = COALESCE(issued_at, $1), updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(d.id),
            )
            .await?;
        }
        "withdrawn" => {
            db.execute(
                sql("UPDATE data_dataset SET state = 'withdrawn', updated_at = $1 WHERE id = $2").bind(now).bind(d.id),
            )
            .await?;
        }
        _ => return Err(AppError::invalid("state", "只能开放或撤回")),
    }
    Ok(())
}

/// A new resource as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name", "kind"]))]
pub struct ResourceInput {
    /// 资源名称
    #[serde(default)]
    pub name: String,
    /// 说明
    #[serde(default)]
    pub description: String,
    /// 类型：file（文件，上传后添加版本）、api（接口地址）、table（目录数据）
    #[serde(default)]
    pub kind: String,
    /// 接口地址（api）
    #[serde(default)]
    pub url: String,
    /// 接口格式（api，如 JSON）
    #[serde(default)]
    pub format: String,
    /// 目录（table：enterprise）
    #[serde(default)]
    pub table_name: String,
    /// 开放的字段（table；须是公开字段）
    #[serde(default)]
    pub fields: Vec<String>,
}

/// The directories a table resource can publish, with their public fields.
pub fn table_fields(table: &str) -> Option<Vec<&'static crate::mapping::FieldSpec>> {
    match table {
        "enterprise" => Some(crate::enterprise::FIELDS.iter().filter(|f| f.public).collect()),
        _ => None,
    }
}

pub fn check_resource(input: &ResourceInput) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errs.push(FieldError::new("name", "请填写资源名称（200 字以内）"));
    }
    match input.kind.as_str() {
        "file" => {}
        "api" => {
            if let Err(e) = platform::web::api::check_link(input.url.trim()) {
                errs.push(FieldError::new("url", e));
            } else if input.url.trim().is_empty() {
                errs.push(FieldError::new("url", "请填写接口地址"));
            }
        }
        "table" => match table_fields(&input.table_name) {
            None => errs.push(FieldError::new("table_name", "请选择要开放的目录")),
            Some(public) => {
                if input.fields.is_empty() {
                    errs.push(FieldError::new("fields", "请至少选择一个开放的字段"));
                }
                // Only public fields can be opened; a non-public one is refused, never silently dropped.
                if let Some(bad) = input.fields.iter().find(|f| !public.iter().any(|p| p.key == f.as_str())) {
                    errs.push(FieldError::new("fields", format!("字段“{bad}”不是公开字段，不能开放")));
                }
            }
        },
        _ => errs.push(FieldError::new("kind", "请选择资源类型")),
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

pub async fn add_resource(db: &Db, dataset_id: i64, input: &ResourceInput) -> DbResult<i64> {
    let now = platform::db::now();
    let format = match input.kind.as_str() {
        "table" => "CSV".to_owned(),
        "api" => input.format.trim().to_uppercase(),
        _ => String::new(),
    };
    let fields =
        if input.kind == "table" { serde_json::to_string(&input.fields).unwrap_or_default() } else { "[]".into() };
    let id = db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO data_resource (dataset_id, name, description, kind, format, url, table_name, fields, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")
            .bind(dataset_id)
            .bind(input.name.trim().to_owned())
            .bind(input.description.trim().to_owned())
            .bind(input.kind.clone())
            .bind(format)
            .bind(if input.kind == "api" { input.url.trim().to_owned() } else { String::new() })
            .bind(if input.kind == "table" { input.table_name.clone() } else { String::new() })
            .bind(fields)
            .bind(now),
        )
        .await?
        .0;
    touch(db, dataset_id).await?;
    Ok(id)
}

async fn touch(db: &Db, dataset_id: i64) -> DbResult<()> {
    db.execute(sql("UPDATE data_dataset SET updated_at = $1 WHERE id = $2").bind(platform::db::now()).bind(dataset_id))
        .await?;
    Ok(())
}

pub fn files_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("files").join("data")
}

/// Stores a new version of a file resource (earlier versions stay downloadable) and returns its
/// number. Tables (CSV, XLSX, JSON) are read for their columns and row count.
pub async fn add_version(
    db: &Db,
    data_dir: &std::path::Path,
    r: &Resource,
    file_name: &str,
    bytes: Vec<u8>,
    by: &str,
) -> Result<i64, AppError> {
    if r.kind != "file" {
        return Err(AppError::invalid("file", "只有文件资源可以上传新版本"));
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "上传的文件是空的"));
    }
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    const ALLOWED: [&str; 9] = ["csv", "xlsx", "json", "xml", "pdf", "zip", "geojson", "txt", "ofd"];
    if !ALLOWED.contains(&ext.as_str()) {
        return Err(AppError::invalid("file", "只能上传 CSV、XLSX、JSON、XML、GeoJSON、PDF、OFD、TXT 或 ZIP 文件"));
    }
    let sm3 = platform::security::sm3_hex(&bytes);
    let size = bytes.len() as i64;
    let stored = format!("{}-{}.{ext}", r.id, &sm3[..16]);
    let (row_count, columns) = if matches!(ext.as_str(), "csv" | "xlsx" | "json") {
        let name = file_name.to_owned();
        let copy = bytes.clone();
        tokio::task::spawn_blocking(move || match tables::open_bytes(&name, copy) {
            Ok(t) => {
                let headers = t.headers.clone();
                (Some(t.count() as i64), headers)
            }
            Err(_) => (None, Vec::new()),
        })
        .await
        .unwrap_or((None, Vec::new()))
    } else {
        (None, Vec::new())
    };
    let dir = files_dir(data_dir);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::fs::write(dir.join(&stored), &bytes).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = db.begin().await?;
    let next: Scalar<i64> = tx
        .fetch_one(
            sql("SELECT COALESCE(MAX(version), 0) + 1 FROM data_resource_version WHERE resource_id = $1").bind(r.id),
        )
        .await?;
    tx.execute(
        sql("INSERT INTO data_resource_version (resource_id, version, file_name, stored, size, sm3, row_count, columns, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(r.id)
        .bind(next.0)
        .bind(file_name.to_owned())
        .bind(stored)
        .bind(size)
        .bind(sm3)
        .bind(row_count)
        .bind(serde_json::to_string(&columns).unwrap_or_default())
        .bind(by.to_owned())
        .bind(platform::db::now()),
    )
    .await?;
    tx.execute(
        sql("UPDATE data_resource SET format = $1, updated_at = $2 WHERE id = $3")
            .bind(ext.to_uppercase())
            .bind(platform::db::now())
            .bind(r.id),
    )
    .await?;
    tx.execute(
        sql("UPDATE data_dataset SET updated_at = $1 WHERE id = $2").bind(platform::db::now()).bind(r.dataset_id),
    )
    .await?;
    tx.commit().await?;
    Ok(next.0)
}

/// Counts a download of a resource (and of its dataset).
pub async fn count_download(db: &Db, r: &Resource) -> DbResult<()> {
    db.execute(sql("UPDATE data_resource SET downloads = downloads + 1 WHERE id = $1").bind(r.id)).await?;
    db.execute(sql("UPDATE data_dataset SET downloads = downloads + 1 WHERE id = $1").bind(r.dataset_id)).await?;
    Ok(())
}

/// A table resource's rows: the chosen public fields of the directory, as a heading and rows
/// (`limit` rows for a preview, all for a download).
pub async fn table_rows(db: &Db, r: &Resource, limit: Option<i64>) -> DbResult<(Vec<String>, Vec<Vec<String>>)> {
    let Some(public) = table_fields(&r.table_name) else { return Ok((Vec::new(), Vec::new())) };
    let chosen: Vec<&crate::mapping::FieldSpec> =
        r.fields().iter().filter_map(|k| public.iter().find(|p| p.key == k.as_str()).copied()).collect();
    let headers = chosen.iter().map(|f| f.label.to_owned()).collect();
    let mut q = sql("SELECT * FROM data_enterprise ORDER BY id");
    if let Some(n) = limit {
        q = q.push(" LIMIT ").push_bind(n);
    }
    let rows: Vec<crate::enterprise::Enterprise> = db.fetch_all(q).await?;
    let rows =
        rows.iter().map(|e| chosen.iter().map(|f| crate::enterprise::display(f, e.value(f.key))).collect()).collect();
    Ok((headers, rows))
}

/// A heading and rows as CSV (UTF-8 with a BOM, so Excel on Chinese Windows opens it right).
pub fn csv_bytes(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(headers);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

// ---- CKAN packages and DCAT-AP ---------------------------------------------------------------------

fn iso(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// CKAN's timestamp form (`2026-12-06T04:50:48`, UTC, no zone).
fn ckan_time(unix: i64) -> String {
    let s = iso(unix);
    s.trim_end_matches('Z').to_owned()
}

/// Where a resource's data is fetched: a file's newest version, a table's CSV, an API's address.
pub fn resource_url(base: &str, r: &Resource) -> String {
    match r.kind.as_str() {
        "api" => r.url.clone(),
        _ => format!("{base}/shuju/resources/{}/download", r.id),
    }
}

fn org_of(orgs: &[OrgUnit], id: i64) -> Option<&OrgUnit> {
    orgs.iter().find(|o| o.id == id)
}

/// A CKAN organization dict.
pub fn ckan_org(o: &OrgUnit, count: Option<i64>) -> Value {
    let mut v = json!({
        "id": o.code, "name": o.code.to_ascii_lowercase(), "title": o.name, "display_name": o.name,
        "type": "organization", "state": "active", "is_organization": true, "approval_status": "approved",
        "description": "", "image_url": "", "created": "",
    });
    if let Some(n) = count {
        v["package_count"] = json!(n);
    }
    v
}

/// A dataset as a CKAN package dict (what `package_show` and `package_search` return).
pub fn ckan_package(
    base: &str,
    d: &Dataset,
    orgs: &[OrgUnit],
    resources: &[Resource],
    latest: &BTreeMap<i64, Version>,
) -> Value {
    let licence = LICENCES.iter().find(|l| l.0 == d.licence);
    let org = org_of(orgs, d.org_id);
    let tags: Vec<Value> = d
        .keywords()
        .iter()
        .map(|k| json!({"name": k, "display_name": k, "state": "active", "vocabulary_id": null}))
        .collect();
    let res: Vec<Value> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let v = latest.get(&r.id);
            json!({
                "id": r.id.to_string(), "package_id": d.id.to_string(), "name": r.name, "description": r.description,
                "format": r.format, "url": resource_url(base, r), "position": i,
                "size": v.map(|v| v.size), "hash": v.map(|v| format!("sm3:{}", v.sm3)).unwrap_or_default(),
                "created": ckan_time(r.created_at), "last_modified": v.map_or_else(|| ckan_time(r.updated_at), |v| ckan_time(v.created_at)),
                "resource_type": r.kind, "state": "active", "url_type": if r.kind == "api" { "" } else { "upload" },
                "version": v.map(|v| v.version),
            })
        })
        .collect();
    let extras: Vec<Value> = [
        ("theme", d.theme.as_str()),
        ("frequency", d.frequency.as_str()),
        ("spatial_code", d.spatial.as_str()),
        ("temporal_start", d.temporal_from.as_str()),
        ("temporal_end", d.temporal_to.as_str()),
        ("open_condition", d.open_condition.as_str()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| json!({"key": k, "value": v}))
    .collect();
    json!({
        "id": d.id.to_string(), "name": d.name, "title": d.title, "notes": d.notes, "type": "dataset",
        "state": "active", "private": false, "isopen": d.open_condition != "有条件开放",
        "license_id": d.licence, "license_title": licence.map(|l| l.1).unwrap_or_default(),
        "license_url": licence.map(|l| l.2).unwrap_or_default(),
        "maintainer": d.contact_name, "maintainer_email": d.contact_email,
        "author": org.map(|o| o.name.clone()).unwrap_or_default(), "author_email": "",
        "metadata_created": ckan_time(d.created_at), "metadata_modified": ckan_time(d.updated_at),
        "owner_org": org.map(|o| o.code.clone()), "organization": org.map(|o| ckan_org(o, None)),
        "tags": tags, "num_tags": d.keywords().len(), "groups": [], "extras": extras,
        "resources": res, "num_resources": resources.len(), "url": format!("{base}/shuju/datasets/{}", d.name), "version": "",
    })
}

const DCAT_CONTEXT: &str = "https://www.w3.org/ns/dcat#";

fn dcat_context() -> Value {
    json!({
        "dcat": DCAT_CONTEXT, "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#",
        "spdx": "http://spdx.org/rdf/terms#", "adms": "http://www.w3.org/ns/adms#",
    })
}

/// A dataset in DCAT-AP (JSON-LD, without the `@context`).
fn dcat_node(
    base: &str,
    d: &Dataset,
    orgs: &[OrgUnit],
    resources: &[Resource],
    latest: &BTreeMap<i64, Version>,
) -> Value {
    let url = format!("{base}/shuju/datasets/{}", d.name);
    let org = org_of(orgs, d.org_id);
    let licence = LICENCES.iter().find(|l| l.0 == d.licence);
    let freq = FREQUENCIES
        .iter()
        .find(|f| f.0 == d.frequency)
        .map(|f| json!({"@id": format!("http://publications.europa.eu/resource/authority/frequency/{}", f.1)}));
    let dists: Vec<Value> = resources
        .iter()
        .map(|r| {
            let v = latest.get(&r.id);
            let mut x = json!({
                "@id": format!("{base}/shuju/resources/{}", r.id), "@type": "dcat:Distribution",
                "dct:title": r.name, "dct:description": r.description, "dct:format": r.format,
                "dcat:accessURL": {"@id": resource_url(base, r)},
            });
            if r.kind != "api" {
                x["dcat:downloadURL"] = json!({"@id": resource_url(base, r)});
            }
            if let Some(v) = v {
                x["dcat:byteSize"] = json!({"@value": v.size.to_string(), "@type": "xsd:nonNegativeInteger"});
                x["spdx:checksum"] =
                    json!({"@type": "spdx:Checksum", "spdx:algorithm": "SM3", "spdx:checksumValue": v.sm3});
                x["dct:modified"] = json!({"@value": iso(v.created_at), "@type": "xsd:dateTime"});
            }
            x
        })
        .collect();
    let mut node = json!({
        "@id": url, "@type": "dcat:Dataset", "dct:identifier": d.name, "dct:title": d.title, "dct:description": d.notes,
        "dcat:keyword": d.keywords(), "dcat:landingPage": {"@id": url},
        "dct:issued": d.issued_at.map(|t| json!({"@value": iso(t), "@type": "xsd:dateTime"})),
        "dct:modified": {"@value": iso(d.updated_at), "@type": "xsd:dateTime"},
        "dct:publisher": org.map(|o| json!({"@type": "foaf:Agent", "foaf:name": o.name, "dct:identifier": o.code})),
        "dcat:distribution": dists,
    });
    if !d.theme.is_empty() {
        node["dcat:theme"] = json!(d.theme);
    }
    if let Some(f) = freq {
        node["dct:accrualPeriodicity"] = f;
    }
    if let Some(l) = licence {
        node["dct:license"] = if l.2.is_empty() { json!(l.1) } else { json!({"@id": l.2}) };
    }
    if !d.spatial.is_empty() {
        node["dct:spatial"] = json!({"@type": "dct:Location", "dct:identifier": d.spatial, "skos:prefLabel": domain::label(&domain::AREAS, &d.spatial)});
    }
    if !d.temporal_from.is_empty() || !d.temporal_to.is_empty() {
        node["dct:temporal"] =
            json!({"@type": "dct:PeriodOfTime", "dcat:startDate": d.temporal_from, "dcat:endDate": d.temporal_to});
    }
    if !d.contact_name.is_empty() || !d.contact_email.is_empty() {
        node["dcat:contactPoint"] = json!({"@type": "vcard:Organization", "vcard:fn": d.contact_name,
            "vcard:hasEmail": if d.contact_email.is_empty() { Value::Null } else { json!({"@id": format!("mailto:{}", d.contact_email)}) }});
    }
    node
}

/// One dataset's DCAT-AP JSON-LD document.
pub fn dcat_dataset(
    base: &str,
    d: &Dataset,
    orgs: &[OrgUnit],
    resources: &[Resource],
    latest: &BTreeMap<i64, Version>,
) -> Value {
    let mut ctx = dcat_context();
    ctx["skos"] = json!("http://www.w3.org/2004/02/skos/core#");
    let mut node = dcat_node(base, d, orgs, resources, latest);
    node["@context"] = ctx;
    node
}

/// The catalogue's DCAT-AP JSON-LD document: the catalogue and a page of its datasets.
pub fn dcat_catalogue(base: &str, title: &str, datasets: Vec<Value>) -> Value {
    let mut ctx = dcat_context();
    ctx["skos"] = json!("http://www.w3.org/2004/02/skos/core#");
    json!({
        "@context": ctx, "@id": format!("{base}/shuju/"), "@type": "dcat:Catalog",
        "dct:title": title, "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
        "dcat:dataset": datasets,
    })
}

/// A dataset node for the catalogue document.
pub fn dcat_entry(
    base: &str,
    d: &Dataset,
    orgs: &[OrgUnit],
    resources: &[Resource],
    latest: &BTreeMap<i64, Version>,
) -> Value {
    dcat_node(base, d, orgs, resources, latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OrgUnit {
        OrgUnit {
            id: 3,
            parent_id: None,
            name: "哈尔滨市市场监督管理局".into(),
            code: "scj".into(),
            kind: "department".into(),
            sort_order: 0,
        }
    }

    fn ds() -> Dataset {
        Dataset {
            id: 7,
            name: "qiye-minglu".into(),
            title: "企业名录".into(),
            notes: "全市登记企业的公开信息".into(),
            org_id: 3,
            theme: "市场监管".into(),
            keywords: "企业，名录,市场主体".into(),
            licence: "cc-by-4.0".into(),
            frequency: "每周两次".into(),
            spatial: "230100".into(),
            temporal_from: "2020-01-01".into(),
            temporal_to: "".into(),
            open_condition: "无条件开放".into(),
            contact_name: "数据科".into(),
            contact_email: "data@example.gov.cn".into(),
            state: "published".into(),
            issued_at: Some(1_700_000_000),
            downloads: 0,
            created_at: 1_700_000_000,
            updated_at: 1_700_000_100,
        }
    }

    #[test]
    fn ckan_package_has_the_fields_harvesters_read() {
        let r = Resource {
            id: 11,
            dataset_id: 7,
            name: "企业名录（CSV）".into(),
            description: String::new(),
            kind: "table".into(),
            format: "CSV".into(),
            url: String::new(),
            table_name: "enterprise".into(),
            fields: "[\"name\"]".into(),
            downloads: 0,
            created_at: 1_700_000_000,
            updated_at: 1_700_000_000,
        };
        let p = ckan_package("http://x", &ds(), &[org()], &[r], &BTreeMap::new());
        assert_eq!(p["name"], "qiye-minglu");
        assert_eq!(p["organization"]["title"], "哈尔滨市市场监督管理局");
        assert_eq!(p["tags"].as_array().unwrap().len(), 3);
        assert_eq!(p["resources"][0]["url"], "http://x/shuju/resources/11/download");
        assert_eq!(p["num_resources"], 1);
        assert_eq!(p["metadata_modified"], "2023-11-14T22:15:00");
        assert_eq!(p["license_url"], "https://creativecommons.org/licenses/by/4.0/");
    }

    #[test]
    fn dcat_dataset_is_json_ld_with_dcat_ap_terms() {
        let d = dcat_dataset("http://x", &ds(), &[org()], &[], &BTreeMap::new());
        assert_eq!(d["@type"], "dcat:Dataset");
        assert_eq!(d["@context"]["dcat"], DCAT_CONTEXT);
        assert_eq!(
            d["dct:accrualPeriodicity"]["@id"],
            "http://publications.europa.eu/resource/authority/frequency/WEEKLY_2"
        );
        assert_eq!(d["dct:publisher"]["foaf:name"], "哈尔滨市市场监督管理局");
        assert_eq!(d["dcat:contactPoint"]["vcard:hasEmail"]["@id"], "mailto:data@example.gov.cn");
        assert_eq!(d["dct:temporal"]["dcat:startDate"], "2020-01-01");
    }

    #[test]
    fn metadata_checks_name_every_field() {
        let orgs = [org()];
        let good =
            DatasetInput { name: "qiye".into(), title: "企业".into(), org: "scj".into(), ..Default::default() };
        assert_eq!(check(&good, &orgs).ok(), Some(3));
        let bad = DatasetInput {
            name: "企业".into(),
            title: String::new(),
            org: "nope".into(),
            theme: "x".into(),
            licence: "x".into(),
            frequency: "x".into(),
            open_condition: "x".into(),
            temporal_from: "2024-02-30".into(),
            contact_email: "a b".into(),
            spatial: "23".into(),
            ..Default::default()
        };
        let errs = check(&bad, &orgs).unwrap_err();
        for f in [
            "name",
            "title",
            "org",
            "theme",
            "licence",
            "frequency",
            "open_condition",
            "temporal_from",
            "contact_email",
            "spatial",
        ] {
            assert!(errs.iter().any(|e| e.field == f), "{f}: {errs:?}");
        }
        let reversed = DatasetInput { temporal_from: "2025-01-01".into(), temporal_to: "2024-01-01".into(), ..good };
        assert!(check(&reversed, &orgs).unwrap_err().iter().any(|e| e.field == "temporal_to"));
    }

    #[test]
    fn table_resources_open_only_public_fields() {
        let mut r = ResourceInput {
            name: "名录".into(),
            kind: "table".into(),
            table_name: "enterprise".into(),
            fields: vec!["name".into()],
            ..Default::default()
        };
        assert!(check_resource(&r).is_ok());
        r.fields.push("phone".into());
        assert!(check_resource(&r).unwrap_err()[0].message.contains("不是公开字段"));
        r.fields.clear();
        assert!(check_resource(&r).is_err());
        let api = ResourceInput {
            name: "接口".into(),
            kind: "api".into(),
            url: "javascript:alert(1)".into(),
            ..Default::default()
        };
        assert!(check_resource(&api).is_err());
        let api = ResourceInput { url: "https://data.example.gov.cn/api/x".into(), ..api };
        assert!(check_resource(&api).is_ok());
    }

    #[test]
    fn csv_has_a_bom_and_quotes() {
        let b = csv_bytes(&["名称".into()], &[vec!["甲,乙".into()]]);
        assert!(b.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(String::from_utf8_lossy(&b[3..]), "名称\n\"甲,乙\"\n");
    }
}
