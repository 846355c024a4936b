//! The operations the back office and the JSON API share: each checks the caller's permission on
//! the unit concerned, does the work and writes its audit entry.

use platform::accounts::{self, OrgUnit};
use platform::roles::Perm;
use platform::web::{AppError, AppState, Auth, Ctx};

use crate::catalogue::{self, Dataset, DatasetInput, Resource, ResourceInput};
use crate::import::{self, RunOptions, Source, SourceInput, Target};
use crate::mapping::Mapping;

/// Refuses (as not found) what lies outside the caller's units.
fn require_unit(auth: &Auth, orgs: &[OrgUnit], org_id: i64) -> Result<(), AppError> {
    if auth.can(Perm::DataManage, &accounts::org_scope(orgs, org_id)) { Ok(()) } else { Err(AppError::NotFound) }
}

/// A source the caller may manage.
pub async fn managed_source(state: &AppState, auth: &Auth, id: i64) -> Result<(Source, Vec<OrgUnit>), AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let s = import::source(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    require_unit(auth, &orgs, s.org_id)?;
    Ok((s, orgs))
}

fn check_source(input: &SourceInput, orgs: &[OrgUnit], auth: &Auth) -> Result<(Target, i64, Mapping), AppError> {
    let mut errs = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(platform::web::error::FieldError::new("name", "请填写数据源名称（100 字以内）"));
    }
    let target = Target::parse(&input.target);
    if target.is_none() {
        errs.push(platform::web::error::FieldError::new("target", "请选择导入到哪里"));
    }
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    match org {
        None => errs.push(platform::web::error::FieldError::new("org", "请选择所属单位")),
        Some(o) if !auth.can(Perm::DataManage, &accounts::org_scope(orgs, o.id)) => {
            errs.push(platform::web::error::FieldError::new("org", "您没有这个单位的数据管理权限"))
        }
        _ => {}
    }
    if let Err(e) = crate::domain::check_schedule(&input.schedule_days, &input.schedule_time) {
        errs.push(platform::web::error::FieldError::new("schedule_time", e));
    }
    if !(0..=99).contains(&input.priority) {
        errs.push(platform::web::error::FieldError::new("priority", "来源优先级应为 0 到 99 之间的整数"));
    }
    if !input.schedule_days.trim().is_empty() && input.watch_dir.trim().is_empty() {
        errs.push(platform::web::error::FieldError::new("watch_dir", "定时运行需要填写服务器上存放文件的目录"));
    }
    let mapping = match (target, &input.mapping) {
        (Some(t), Some(m)) => {
            if let Err(e) = m.check(t.schema()) {
                errs.push(platform::web::error::FieldError::new("mapping", e));
            }
            m.clone()
        }
        // No mapping: each run maps the file's columns by their names (labels and aliases).
        (Some(_), None) => Mapping::default(),
        _ => Mapping::default(),
    };
    match (target, org, errs.is_empty()) {
        (Some(t), Some(o), true) => Ok((t, o.id, mapping)),
        _ => Err(AppError::Invalid(errs)),
    }
}

pub async fn create_source(state: &AppState, ctx: &Ctx, auth: &Auth, input: &SourceInput) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (target, org_id, mapping) = check_source(input, &orgs, auth)?;
    let now = platform::db::now();
    let id: platform::db::Scalar<i64> = state
        .db
        .fetch_one(
            platform::db::sql(
                "INSERT INTO data_source (org_id, name, target, mapping, schedule_days, schedule_time, watch_dir, created_by, created_at, updated_at, priority) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id",
            )
            .bind(org_id)
            .bind(input.name.trim().to_owned())
            .bind(target.code())
            .bind(serde_json::to_string(&mapping).unwrap_or_default())
            .bind(input.schedule_days.trim().to_owned())
            .bind(input.schedule_time.trim().to_owned())
            .bind(input.watch_dir.trim().to_owned())
            .bind(auth.user.username.clone())
            .bind(now)
            .bind(input.priority),
        )
        .await?;
    state
        .audit(
            ctx,
            "data.source.create",
            &format!("data_source:{}", id.0),
            "success",
            format!("新建数据源“{}”", input.name.trim()),
        )
        .await;
    Ok(id.0)
}

pub async fn save_source(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &SourceInput,
) -> Result<(), AppError> {
    let (s, orgs) = managed_source(state, auth, id).await?;
    let input = SourceInput { target: s.target.clone(), ..input.clone() };
    let (_, org_id, mapping) = check_source(&input, &orgs, auth)?;
    state
        .db
        .execute(
            platform::db::sql(
                "UPDATE data_source SET org_id = $1, name = $2, mapping = $3, schedule_days = $4, schedule_time = $5, watch_dir = $6, updated_at = $7, priority = $9 WHERE id = $8",
            )
            .bind(org_id)
            .bind(input.name.trim().to_owned())
            .bind(serde_json::to_string(&mapping).unwrap_or_default())
            .bind(input.schedule_days.trim().to_owned())
            .bind(input.schedule_time.trim().to_owned())
            .bind(input.watch_dir.trim().to_owned())
            .bind(platform::db::now())
            .bind(id)
            .bind(input.priority),
        )
        .await?;
    state
        .audit(
            ctx,
            "data.source.update",
            &format!("data_source:{id}"),
            "success",
            format!("修改数据源“{}”的设置和字段对照", input.name.trim()),
        )
        .await;
    Ok(())
}

/// Starts a run over an uploaded file in the background and returns its id at once (its page
/// shows the progress). A file that cannot be read is refused before any run starts.
pub async fn start_upload(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    file_name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> Result<i64, AppError> {
    let (s, _) = managed_source(state, auth, id).await?;
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "请选择要导入的文件"));
    }
    let sha = platform::security::sha256_hex(&bytes);
    let name = file_name.to_owned();
    let table = tokio::task::spawn_blocking(move || tables::open_bytes(&name, bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::invalid("file", e))?;
    let opts = RunOptions {
        dry_run,
        trigger: "upload",
        user_id: Some(auth.user.id),
        username: auth.user.username.clone(),
        ip: ctx.ip.clone(),
    };
    let run_id = import::begin_run(&state.db, &s, file_name, &sha, &opts).await?;
    state
        .audit(
            ctx,
            "data.import.start",
            &format!("data_import_run:{run_id}"),
            "success",
            format!("上传“{file_name}”{}到数据源“{}”", if dry_run { "试运行" } else { "导入" }, s.name),
        )
        .await;
    let (db, key) = (state.db.clone(), state.audit_key.clone());
    tokio::spawn(async move {
        if let Err(e) = import::execute(&db, &key, &s, run_id, table, &opts, &|_| {}).await {
            tracing::error!(error = %e, run = run_id, "import run failed to record");
        }
    });
    Ok(run_id)
}

// ---- datasets -------------------------------------------------------------------------------------

pub async fn managed_dataset(state: &AppState, auth: &Auth, id: i64) -> Result<(Dataset, Vec<OrgUnit>), AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let d = catalogue::by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    require_unit(auth, &orgs, d.org_id)?;
    Ok((d, orgs))
}

pub async fn create_dataset(state: &AppState, ctx: &Ctx, auth: &Auth, input: &DatasetInput) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let org_id = catalogue::check(input, &orgs).map_err(AppError::Invalid)?;
    if !auth.can(Perm::DataManage, &accounts::org_scope(&orgs, org_id)) {
        return Err(AppError::invalid("org", "您没有这个单位的数据管理权限"));
    }
    let id = catalogue::create(&state.db, input, org_id).await?;
    state
        .audit(
            ctx,
            "data.dataset.create",
            &format!("data_dataset:{id}"),
            "success",
            format!("新建数据集“{}”", input.title.trim()),
        )
        .await;
    Ok(id)
}

pub async fn update_dataset(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &DatasetInput,
) -> Result<(), AppError> {
    let (d, orgs) = managed_dataset(state, auth, id).await?;
    // The name is the dataset's address: it does not change.
    let input = DatasetInput { name: d.name.clone(), ..input.clone() };
    let org_id = catalogue::check(&input, &orgs).map_err(AppError::Invalid)?;
    if !auth.can(Perm::DataManage, &accounts::org_scope(&orgs, org_id)) {
        return Err(AppError::invalid("org", "您没有这个单位的数据管理权限"));
    }
    catalogue::update(&state.db, id, &input, org_id).await?;
    state
        .audit(
            ctx,
            "data.dataset.update",
            &format!("data_dataset:{id}"),
            "success",
            format!("修改数据集“{}”", input.title.trim()),
        )
        .await;
    Ok(())
}

pub async fn set_dataset_state(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, to: &str) -> Result<(), AppError> {
    let (d, _) = managed_dataset(state, auth, id).await?;
    catalogue::set_state(&state.db, &d, to).await?;
    let what = if to == "published" { "开放" } else { "撤回" };
    state
        .audit(
            ctx,
            "data.dataset.state",
            &format!("data_dataset:{id}"),
            "success",
            format!("{what}数据集“{}”", d.title),
        )
        .await;
    Ok(())
}

pub async fn add_resource(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &ResourceInput,
) -> Result<i64, AppError> {
    let (d, _) = managed_dataset(state, auth, id).await?;
    catalogue::check_resource(input).map_err(AppError::Invalid)?;
    let rid = catalogue::add_resource(&state.db, d.id, input).await?;
    state
        .audit(
            ctx,
            "data.resource.create",
            &format!("data_resource:{rid}"),
            "success",
            format!("为数据集“{}”添加资源“{}”", d.title, input.name.trim()),
        )
        .await;
    Ok(rid)
}

pub async fn managed_resource(state: &AppState, auth: &Auth, id: i64) -> Result<(Resource, Dataset), AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let r = catalogue::resource(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (d, _) = managed_dataset(state, auth, r.dataset_id).await?;
    Ok((r, d))
}

pub async fn add_version(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<(Resource, i64), AppError> {
    let (r, d) = managed_resource(state, auth, id).await?;
    let v =
        catalogue::add_version(&state.db, &state.config.data_dir, &r, file_name, bytes, &auth.user.username).await?;
    state
        .audit(
            ctx,
            "data.resource.version",
            &format!("data_resource:{id}"),
            "success",
            format!("为“{}”的资源“{}”上传第 {v} 版（{file_name}）", d.title, r.name),
        )
        .await;
    Ok((r, v))
}

// ---- monitoring stations --------------------------------------------------------------------------

/// A new monitoring station as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["code", "name", "kind", "org", "metrics"]))]
pub struct StationInput {
    /// 站点代码（小写字母、数字、-、_）
    #[serde(default)]
    pub code: String,
    /// 名称
    #[serde(default)]
    pub name: String,
    /// 类型：water_level、storage、air、emission
    #[serde(default)]
    pub kind: String,
    /// 所属单位代码
    #[serde(default)]
    pub org: String,
    /// 位置
    #[serde(default)]
    pub address: String,
    /// 告警邮箱
    #[serde(default)]
    pub alarm_email: String,
    /// 指标，每行：代码|名称|单位|采样间隔秒|下限|上限
    #[serde(default)]
    pub metrics: String,
}

/// Creates a station; returns its id and its ingest key (shown once).
pub async fn create_station(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    input: &StationInput,
) -> Result<(i64, String), AppError> {
    use platform::web::error::FieldError;
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let code = input.code.trim();
    if !(2..=40).contains(&code.len())
        || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        errs.push(FieldError::new("code", "站点代码为 2–40 个小写字母、数字、“-”或“_”"));
    }
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        errs.push(FieldError::new("name", "请填写站点名称（100 字以内）"));
    }
    if !crate::monitor::KINDS.iter().any(|k| k.0 == input.kind) {
        errs.push(FieldError::new("kind", "请选择站点类型"));
    }
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    match org {
        None => errs.push(FieldError::new("org", "请选择所属单位")),
        Some(o) if !auth.can(Perm::DataManage, &accounts::org_scope(&orgs, o.id)) => {
            errs.push(FieldError::new("org", "您没有这个单位的数据管理权限"))
        }
        _ => {}
    }
    let email = input.alarm_email.trim();
    if !email.is_empty() && !platform::codes::valid_email(email) {
        errs.push(FieldError::new("alarm_email", "告警邮箱格式不正确"));
    }
    let mut specs = Vec::new();
    for line in input.metrics.lines().filter(|l| !l.trim().is_empty()) {
        match crate::monitor::parse_metric(line) {
            Ok(m) if specs.iter().any(|x: &crate::monitor::MetricSpec| x.code == m.code) => {
                errs.push(FieldError::new("metrics", format!("指标代码“{}”重复", m.code)))
            }
            Ok(m) => specs.push(m),
            Err(e) => errs.push(FieldError::new("metrics", e)),
        }
    }
    if specs.is_empty() && !errs.iter().any(|e| e.field == "metrics") {
        errs.push(FieldError::new("metrics", "请至少填写一个指标"));
    }
    let Some(org) = org.filter(|_| errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    let station = crate::monitor::NewStation {
        code,
        name: input.name.trim(),
        kind: &input.kind,
        org_id: org.id,
        address: input.address.trim(),
        alarm_email: email,
        metrics: &specs,
    };
    let (id, key) = crate::monitor::create_station(&state.db, &station).await?;
    state
        .audit(
            ctx,
            "data.station.create",
            &format!("data_station:{id}"),
            "success",
            format!("新建监测站点“{}”（{} 个指标）", input.name.trim(), specs.len()),
        )
        .await;
    Ok((id, key))
}

/// A new ingest key for a station of the caller's units; returns the station's code and the key.
pub async fn rotate_station_key(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
) -> Result<(String, String), AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let s: crate::monitor::Station = state
        .db
        .fetch_optional(platform::db::sql("SELECT * FROM data_station WHERE id = $1").bind(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    require_unit(auth, &orgs, s.org_id)?;
    let key = crate::monitor::rotate_key(&state.db, id).await?;
    state
        .audit(
            ctx,
            "data.station.key",
            &format!("data_station:{id}"),
            "success",
            format!("重新生成监测站点“{}”的接入密钥", s.name),
        )
        .await;
    Ok((s.code, key))
}
