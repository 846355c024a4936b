//! 信息资源 in the back office: 数据导入 (sources with their field mapping and schedule, an upload
//! with 试运行 or 导入, the run's live progress and its report of every rejected row) and 数据开放
//! (datasets, their resources and file versions, 开放 and 撤回).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::roles::Perm;
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};

use crate::catalogue::{self, DatasetInput, ResourceInput};
use crate::domain::{DATASET_STATES, FREQUENCIES, LICENCES, OPEN_CONDITIONS, THEMES, label};
use crate::import::{self, SourceInput, Target};
use crate::mapping::{ColumnMap, FieldType, Mapping};
use crate::ops;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/sj_sources.html", include_str!("../templates/admin/sj_sources.html")),
        ("admin/sj_source.html", include_str!("../templates/admin/sj_source.html")),
        ("admin/sj_run.html", include_str!("../templates/admin/sj_run.html")),
        ("admin/sj_datasets.html", include_str!("../templates/admin/sj_datasets.html")),
        ("admin/sj_dataset.html", include_str!("../templates/admin/sj_dataset.html")),
        ("admin/sj_stations.html", include_str!("../templates/admin/sj_stations.html")),
        ("public/sj_monitor.html", include_str!("../templates/public/sj_monitor.html")),
        ("public/sj_station.html", include_str!("../templates/public/sj_station.html")),
        ("public/sj_index.html", include_str!("../templates/public/sj_index.html")),
        ("public/sj_dataset.html", include_str!("../templates/public/sj_dataset.html")),
        ("public/sj_api.html", include_str!("../templates/public/sj_api.html")),
        ("public/sj_enterprises.html", include_str!("../templates/public/sj_enterprises.html")),
        ("public/sj_enterprise.html", include_str!("../templates/public/sj_enterprise.html")),
        ("public/sj_map.html", include_str!("../templates/public/sj_map.html")),
        ("public/sj_poi.html", include_str!("../templates/public/sj_poi.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/data/sources", get(sources_page).post(create_source))
        .route("/admin/data/sources/{id}", get(source_page).post(save_source))
        .route("/admin/data/sources/{id}/runs", post(upload).layer(DefaultBodyLimit::max(200 << 20)))
        .route("/admin/data/runs/{id}", get(run_page))
        .route("/admin/data/datasets", get(datasets_page))
        .route("/admin/data/datasets/new", get(new_dataset_page).post(create_dataset))
        .route("/admin/data/datasets/{id}", get(dataset_page).post(save_dataset))
        .route("/admin/data/datasets/{id}/state", post(set_state))
        .route("/admin/data/datasets/{id}/resources", post(add_resource))
        .route("/admin/data/resources/{id}/versions", post(add_version).layer(DefaultBodyLimit::max(200 << 20)))
        .route("/admin/data/stations", get(stations_page).post(create_station))
        .route("/admin/data/stations/{id}/key", post(rotate_key))
}

fn my_units(auth: &Auth, orgs: &[OrgUnit]) -> Vec<(String, String)> {
    let mine = auth.units_with(Perm::DataManage, orgs);
    orgs.iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect()
}

fn code_of(orgs: &[OrgUnit], id: i64) -> String {
    orgs.iter().find(|o| o.id == id).map(|o| o.code.clone()).unwrap_or_default()
}

// ---- sources and runs -----------------------------------------------------------------------------

async fn sources_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    form: &SourceInput,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let list = import::sources(&state.db, auth.units_with(Perm::DataManage, &orgs).as_deref()).await?;
    let mut rows = Vec::new();
    for s in &list {
        let last = import::runs(&state.db, s.id, 1).await?.into_iter().next();
        rows.push(
            context! { s => sv(s), unit => accounts::org_name(&orgs, s.org_id), target => s.target().map(Target::label),
            last => last.as_ref().map(sv), last_state => last.as_ref().map(import::Run::state_label) },
        );
    }
    let targets: Vec<(&str, &str)> = Target::ALL.iter().map(|t| (t.code(), t.label())).collect();
    Ok((
        status,
        state.render(
            ctx,
            "admin/sj_sources.html",
            context! { rows, targets, units => my_units(auth, &orgs), form => sv(form), errors },
        )?,
    )
        .into_response())
}

async fn sources_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    sources_view(&state, &ctx, &staff, &SourceInput::default(), BTreeMap::new(), axum::http::StatusCode::OK).await
}

fn source_input(pairs: &[(String, String)]) -> SourceInput {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    // The mapping table: col_<field> and lookup_<field> (lines of 文件中的值=代码).
    let fields: Vec<&str> = pairs.iter().filter_map(|(k, _)| k.strip_prefix("col_")).collect();
    // Every column left blank: map by the file's column names on each run.
    let any_column = fields.iter().any(|f| !get(&format!("col_{f}")).trim().is_empty());
    let mapping = (any_column).then(|| {
        Mapping(
            fields
                .iter()
                .map(|f| ColumnMap {
                    field: (*f).to_owned(),
                    column: get(&format!("col_{f}")).trim().to_owned(),
                    lookup: get(&format!("lookup_{f}"))
                        .lines()
                        .filter_map(|l| {
                            l.split_once(['=', '＝']).map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                        })
                        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                        .collect(),
                })
                .collect(),
        )
    });
    SourceInput {
        name: get("name"),
        target: get("target"),
        org: get("org"),
        schedule_days: get("schedule_days"),
        schedule_time: get("schedule_time"),
        watch_dir: get("watch_dir"),
        // Blank is 0; anything but a whole number is refused by the check (as -1).
        priority: match get("priority").trim() {
            "" => 0,
            p => p.parse().unwrap_or(-1),
        },
        mapping,
    }
}

async fn create_source(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = source_input(&pairs);
    match ops::create_source(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/data/sources/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            sources_view(&state, &ctx, &staff, &input, errors, status).await
        }
    }
}

fn type_label(t: FieldType) -> &'static str {
    match t {
        FieldType::Text(_) => "文本",
        FieldType::Date => "日期",
        FieldType::Decimal => "数字",
        FieldType::CreditCode => "统一社会信用代码",
        FieldType::IdNumber => "公民身份号码",
        FieldType::Phone => "电话",
        FieldType::Code(_) => "代码",
        FieldType::Degrees(..) => "经纬度",
        FieldType::Link => "网址",
    }
}

async fn source_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    edited: Option<&SourceInput>,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let (s, orgs) = ops::managed_source(state, auth, id).await?;
    let Some(target) = s.target() else { return Err(AppError::NotFound) };
    let form = match edited {
        Some(f) => f.clone(),
        None => SourceInput {
            name: s.name.clone(),
            target: s.target.clone(),
            org: code_of(&orgs, s.org_id),
            schedule_days: s.schedule_days.clone(),
            schedule_time: s.schedule_time.clone(),
            watch_dir: s.watch_dir.clone(),
            priority: s.priority,
            mapping: Some(s.mapping()),
        },
    };
    let mapping = form.mapping.clone().unwrap_or_default();
    let fields: Vec<Value> = target
        .schema()
        .fields
        .iter()
        .map(|f| {
            let entry = mapping.0.iter().find(|c| c.field == f.key);
            let lookup: String = entry.map(|c| c.lookup.iter().map(|(a, b)| format!("{a}={b}\n")).collect()).unwrap_or_default();
            context! { key => f.key, label => f.label, required => f.required, public => f.public, kind => type_label(f.ty),
                column => entry.map(|c| c.column.clone()).unwrap_or_default(), lookup, is_code => matches!(f.ty, FieldType::Code(_)) }
        })
        .collect();
    let runs: Vec<Value> = import::runs(&state.db, s.id, 30)
        .await?
        .iter()
        .map(|r| context! { r => sv(r), state_label => r.state_label() })
        .collect();
    let page = context! { s => sv(&s), target => target.label(), fields, runs, form => sv(&form), errors, units => my_units(auth, &orgs),
    kept => import::KEPT_REJECTS };
    Ok((status, state.render(ctx, "admin/sj_source.html", page)?).into_response())
}

async fn source_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    source_view(&state, &ctx, &staff, id, None, BTreeMap::new(), axum::http::StatusCode::OK).await
}

async fn save_source(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = source_input(&pairs);
    match ops::save_source(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/data/sources/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            source_view(&state, &ctx, &staff, id, Some(&input), errors, status).await
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (fields, files) = platform::web::extract::read_multipart(mp).await?;
    let dry_run = fields.get("mode").is_some_and(|m| m == "dry_run");
    let result = match files.into_iter().find(|f| f.field == "file") {
        Some(f) => ops::start_upload(&state, &ctx, &staff, id, &f.name, f.bytes, dry_run).await,
        None => Err(AppError::invalid("file", "请选择要导入的文件")),
    };
    match result {
        Ok(run) => Ok(see_other(&format!("/admin/data/runs/{run}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            source_view(&state, &ctx, &staff, id, None, errors, status).await
        }
    }
}

async fn run_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let r = import::run(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (s, _) = ops::managed_source(&state, &staff, r.source_id).await?;
    let running = r.state == "running";
    let page = context! { r => sv(&r), s => sv(&s), state_label => r.state_label(), rejects => sv(r.rejects()), running,
    progress => import::progress_of(r.id), kept => import::KEPT_REJECTS,
    duration => r.finished_at.map(|f| f - r.started_at) };
    Ok(state.render(&ctx, "admin/sj_run.html", page)?.into_response())
}

// ---- datasets -------------------------------------------------------------------------------------

async fn datasets_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let list = catalogue::managed(&state.db, staff.units_with(Perm::DataManage, &orgs).as_deref()).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|d| context! { d => sv(d), unit => accounts::org_name(&orgs, d.org_id), state_label => label(&DATASET_STATES, &d.state) })
        .collect();
    Ok(state.render(&ctx, "admin/sj_datasets.html", context! { rows })?.into_response())
}

fn options(auth: &Auth, orgs: &[OrgUnit]) -> Value {
    context! { themes => THEMES.to_vec(), licences => LICENCES.iter().map(|l| (l.0, l.1)).collect::<Vec<_>>(),
    frequencies => FREQUENCIES.iter().map(|f| f.0).collect::<Vec<_>>(), conditions => OPEN_CONDITIONS.to_vec(),
    units => my_units(auth, orgs), enterprise_fields => catalogue::table_fields("enterprise").unwrap_or_default().iter().map(|f| (f.key, f.label)).collect::<Vec<_>>() }
}

async fn dataset_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: Option<i64>,
    form: Option<&DatasetInput>,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (d, resources) = match id {
        Some(id) => {
            let (d, _) = ops::managed_dataset(state, auth, id).await?;
            let mut list = Vec::new();
            for r in catalogue::resources(&state.db, d.id).await? {
                let versions: Vec<Value> = catalogue::versions(&state.db, r.id)
                    .await?
                    .iter()
                    .map(|v| context! { v => sv(v), at => platform::fmt_time(v.created_at) })
                    .collect();
                list.push(context! { r => sv(&r), versions });
            }
            (Some(d), list)
        }
        None => (None, Vec::new()),
    };
    let input = match form {
        Some(f) => f.clone(),
        None => d
            .as_ref()
            .map(|d| DatasetInput {
                name: d.name.clone(),
                title: d.title.clone(),
                notes: d.notes.clone(),
                org: code_of(&orgs, d.org_id),
                theme: d.theme.clone(),
                keywords: d.keywords.clone(),
                licence: d.licence.clone(),
                frequency: d.frequency.clone(),
                spatial: d.spatial.clone(),
                temporal_from: d.temporal_from.clone(),
                temporal_to: d.temporal_to.clone(),
                open_condition: d.open_condition.clone(),
                contact_name: d.contact_name.clone(),
                contact_email: d.contact_email.clone(),
            })
            .unwrap_or_else(|| DatasetInput {
                licence: "cc-by-4.0".into(),
                open_condition: "无条件开放".into(),
                ..DatasetInput::default()
            }),
    };
    let page = context! { d => d.as_ref().map(sv), state_label => d.as_ref().map(|d| label(&DATASET_STATES, &d.state)), resources,
    form => sv(&input), errors, opts => options(auth, &orgs) };
    Ok((status, state.render(ctx, "admin/sj_dataset.html", page)?).into_response())
}

async fn new_dataset_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    dataset_view(&state, &ctx, &staff, None, None, BTreeMap::new(), axum::http::StatusCode::OK).await
}

async fn create_dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<DatasetInput>,
) -> Result<Response, AppError> {
    match ops::create_dataset(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/data/datasets/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            dataset_view(&state, &ctx, &staff, None, Some(&input), errors, status).await
        }
    }
}

async fn dataset_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    dataset_view(&state, &ctx, &staff, Some(id), None, BTreeMap::new(), axum::http::StatusCode::OK).await
}

async fn save_dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<DatasetInput>,
) -> Result<Response, AppError> {
    match ops::update_dataset(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/data/datasets/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            dataset_view(&state, &ctx, &staff, Some(id), Some(&input), errors, status).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
struct StateForm {
    #[serde(default)]
    state: String,
}

async fn set_state(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<StateForm>,
) -> Result<Response, AppError> {
    match ops::set_dataset_state(&state, &ctx, &staff, id, &f.state).await {
        Ok(()) => Ok(see_other(&format!("/admin/data/datasets/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            dataset_view(&state, &ctx, &staff, Some(id), None, errors, status).await
        }
    }
}

async fn add_resource(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let input = ResourceInput {
        name: get("name"),
        description: get("description"),
        kind: get("kind"),
        url: get("url"),
        format: get("format"),
        table_name: get("table_name"),
        fields: pairs.iter().filter(|(k, _)| k == "fields").map(|(_, v)| v.clone()).collect(),
    };
    match ops::add_resource(&state, &ctx, &staff, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/data/datasets/{id}?ok=saved#resources"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let errors: BTreeMap<String, String> = errors.into_iter().map(|(k, v)| (format!("res_{k}"), v)).collect();
            dataset_view(&state, &ctx, &staff, Some(id), None, errors, status).await
        }
    }
}

async fn add_version(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (_, files) = platform::web::extract::read_multipart(mp).await?;
    let result = match files.into_iter().find(|f| f.field == "file") {
        Some(f) => ops::add_version(&state, &ctx, &staff, id, &f.name, f.bytes).await,
        None => Err(AppError::invalid("file", "请选择要上传的文件")),
    };
    match result {
        Ok((r, _)) => Ok(see_other(&format!("/admin/data/datasets/{}?ok=uploaded#resources", r.dataset_id))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let (r, _) = ops::managed_resource(&state, &staff, id).await?;
            let errors = errors.into_iter().map(|(k, v)| (format!("res_{k}"), v)).collect();
            dataset_view(&state, &ctx, &staff, Some(r.dataset_id), None, errors, status).await
        }
    }
}

// ---- monitoring stations --------------------------------------------------------------------------

async fn stations_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    form: &ops::StationInput,
    errors: BTreeMap<String, String>,
    new_key: Option<(String, String)>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    auth.require_anywhere(Perm::DataManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = auth.units_with(Perm::DataManage, &orgs);
    let mut rows = Vec::new();
    let mut alarms = Vec::new();
    for s in crate::monitor::stations(&state.db).await? {
        if mine.as_ref().is_some_and(|m| !m.contains(&s.org_id)) {
            continue;
        }
        let ms = crate::monitor::metrics(&state.db, s.id).await?;
        let names: Vec<String> = ms.iter().map(|m| m.name.clone()).collect();
        #[derive(sqlx::FromRow)]
        struct A {
            metric_id: i64,
            ts: i64,
            value: f64,
            kind: String,
        }
        let recent: Vec<A> = state
            .db
            .fetch_all(
                platform::db::sql("SELECT a.metric_id, a.ts, a.value, a.kind FROM data_alarm a JOIN data_metric m ON m.id = a.metric_id WHERE m.station_id = $1 ORDER BY a.ts DESC LIMIT 5")
                    .bind(s.id),
            )
            .await?;
        for a in recent {
            let m = ms.iter().find(|m| m.id == a.metric_id);
            alarms.push(context! { at => platform::fmt_time(a.ts), station => s.name.clone(), metric => m.map(|m| m.name.clone()),
                value => format!("{} {}", a.value, m.map(|m| m.unit.clone()).unwrap_or_default()), kind => if a.kind == "high" { "超过上限" } else { "低于下限" } });
        }
        rows.push(
            context! { kind => label(&crate::monitor::KINDS, &s.kind), metrics => names.join("、"), s => sv(&s) },
        );
    }
    let page = context! { rows, alarms, kinds => crate::monitor::KINDS.to_vec(), units => my_units(auth, &orgs), form => sv(form), errors, new_key };
    Ok((status, state.render(ctx, "admin/sj_stations.html", page)?).into_response())
}

async fn stations_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    let form = ops::StationInput { kind: "air".into(), ..Default::default() };
    stations_view(&state, &ctx, &staff, &form, BTreeMap::new(), None, axum::http::StatusCode::OK).await
}

async fn create_station(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<ops::StationInput>,
) -> Result<Response, AppError> {
    match ops::create_station(&state, &ctx, &staff, &input).await {
        Ok((_, key)) => {
            let blank = ops::StationInput { kind: "air".into(), ..Default::default() };
            stations_view(
                &state,
                &ctx,
                &staff,
                &blank,
                BTreeMap::new(),
                Some((input.code.trim().to_owned(), key)),
                axum::http::StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            stations_view(&state, &ctx, &staff, &input, errors, None, status).await
        }
    }
}

async fn rotate_key(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (code, key) = ops::rotate_station_key(&state, &ctx, &staff, id).await?;
    let blank = ops::StationInput { kind: "air".into(), ..Default::default() };
    stations_view(&state, &ctx, &staff, &blank, BTreeMap::new(), Some((code, key)), axum::http::StatusCode::OK).await
}
