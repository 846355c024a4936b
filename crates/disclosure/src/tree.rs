//! Each agency's catalogue tree and the feed that fills it: the Art. 20 / 21 categories plus the
//! agency's own (本机关自定义类目), and 目录栏目 — a column of the site group bound to an agency's
//! category, so what an editor first publishes there is catalogued by itself (索引号, category,
//! genre, 文号 and summary from the article) without anyone retyping it. The feed reads the
//! platform's publication record (what every module announces after its publication commits),
//! never the CMS tables; the unique document per item makes two nodes following it harmless.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use minijinja::context;
use platform::accounts::{self, OrgUnit};
use platform::db::{Db, DbResult, Exec, Scalar, sql};
use platform::module::DocumentQuery;
use platform::roles::Perm;
use platform::web::error::{FieldError, form_errors};
use platform::web::extract::{Form, Json, Path};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};
use serde::{Deserialize, Serialize};

use crate::catalogue::{self, ItemInput};
use crate::domain::{GENRES, TOPICS};
use crate::service;

/// What the feed writes as the item's author.
pub const FEED_AUTHOR: &str = "目录栏目自动编目";

/// A category an agency added after the regulation's ones.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LocalTopic {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub created_at: i64,
    pub created_by: String,
}

/// A column bound to an agency's category.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Binding {
    pub id: i64,
    /// The publication topic (`channel:12`).
    pub topic: String,
    /// The column's name when it was bound.
    pub label: String,
    pub site_id: i64,
    pub org_id: i64,
    pub category: String,
    pub genre: String,
    pub created_at: i64,
    pub created_by: String,
}

/// The categories an item of `org` may take: the regulation's, then the agency's own (`None`: the
/// regulation's only).
pub async fn topics_of(db: &Db, org: Option<i64>) -> DbResult<Vec<String>> {
    let mut out: Vec<String> = TOPICS.iter().map(|t| (*t).to_owned()).collect();
    if let Some(org) = org {
        let local: Vec<Scalar<String>> =
            db.fetch_all(sql("SELECT name FROM disclosure_topic WHERE org_id = $1 ORDER BY id").bind(org)).await?;
        out.extend(local.into_iter().map(|s| s.0));
    }
    Ok(out)
}

/// The regulation's categories, then every agency's own once (what the public filter offers).
pub async fn all_topics(db: &Db) -> DbResult<Vec<String>> {
    let mut out: Vec<String> = TOPICS.iter().map(|t| (*t).to_owned()).collect();
    let local: Vec<Scalar<String>> =
        db.fetch_all(sql("SELECT name FROM disclosure_topic GROUP BY name ORDER BY MIN(id)")).await?;
    out.extend(local.into_iter().map(|s| s.0).filter(|n| !TOPICS.contains(&n.as_str())));
    Ok(out)
}

async fn topic_by_id(db: &Db, id: i64) -> DbResult<Option<LocalTopic>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_topic WHERE id = $1").bind(id)).await
}

async fn binding_by_id(db: &Db, id: i64) -> DbResult<Option<Binding>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_binding WHERE id = $1").bind(id)).await
}

pub async fn local_topics(db: &Db, within: Option<&[i64]>) -> DbResult<Vec<LocalTopic>> {
    db.fetch_all(
        sql("SELECT * FROM disclosure_topic WHERE 1=1").and_within("org_id", within).push(" ORDER BY org_id, id"),
    )
    .await
}

pub async fn bindings(db: &Db, within: Option<&[i64]>) -> DbResult<Vec<Binding>> {
    db.fetch_all(
        sql("SELECT * FROM disclosure_binding WHERE 1=1").and_within("org_id", within).push(" ORDER BY org_id, id"),
    )
    .await
}

/// An agency and a category of its own, as the form and the API send them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "name"]))]
pub struct TopicInput {
    /// 机构代码
    #[serde(default)]
    pub org: String,
    /// 类目名称（不超过 20 个字，不能与条例规定的类目重名）
    #[serde(default)]
    #[schemars(length(min = 1, max = 20), regex(pattern = r"\S"))]
    pub name: String,
}

/// A column to bind, as the form and the API send it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "topic", "category"]))]
pub struct BindingInput {
    /// 机构代码（自动编目的发布机构）
    #[serde(default)]
    pub org: String,
    /// 栏目（订阅主题键，如 channel:12）
    #[serde(default)]
    pub topic: String,
    /// 编入的主题分类（条例类目或本机关自定义类目）
    #[serde(default)]
    pub category: String,
    /// 体裁分类（可空）
    #[serde(default)]
    pub genre: String,
}

/// The agency a form names, with the caller's right to manage its catalogue checked; a missing
/// agency is a field error.
fn agency<'a>(auth: &Auth, orgs: &'a [OrgUnit], code: &str) -> Result<&'a OrgUnit, AppError> {
    let Some(org) = orgs.iter().find(|o| o.code == code.trim()) else {
        auth.require_anywhere(Perm::DisclosureManage)?;
        return Err(AppError::Invalid(vec![FieldError::new("org", "请选择机构")]));
    };
    auth.require(Perm::DisclosureManage, &service::scope(orgs, org.id))?;
    Ok(org)
}

/// Adds a category of the agency's own.
pub async fn add_topic(state: &AppState, ctx: &Ctx, auth: &Auth, input: &TopicInput) -> Result<LocalTopic, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = agency(auth, &orgs, &input.org)?;
    let name = input.name.trim();
    let problem = if name.is_empty() {
        Some("请填写类目名称")
    } else if name.chars().count() > 20 {
        Some("类目名称不能超过 20 个字")
    } else if TOPICS.contains(&name) {
        Some("条例规定的类目已有这一项，不必再加")
    } else {
        None
    };
    if let Some(p) = problem {
        return Err(AppError::Invalid(vec![FieldError::new("name", p)]));
    }
    let q =
        sql("INSERT INTO disclosure_topic (org_id, name, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(org.id)
            .bind(name)
            .bind(platform::db::now())
            .bind(&auth.user.username);
    let id: Scalar<i64> = match state.db.fetch_one(q).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Invalid(vec![FieldError::new("name", "本机关已有这个类目")]));
        }
        Err(e) => return Err(e.into()),
    };
    state
        .audit(
            ctx,
            "disclosure.tree",
            &format!("disclosure_topic:{}", id.0),
            "success",
            format!("{}增加公开目录类目：{name}", org.name),
        )
        .await;
    topic_by_id(&state.db, id.0).await?.ok_or(AppError::NotFound)
}

/// Removes a category of the agency's own; refused while an item or a bound column uses it.
pub async fn remove_topic(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    auth.require_anywhere(Perm::DisclosureManage)?;
    let topic = topic_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, topic.org_id))?;
    let used = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM disclosure_item WHERE org_id = $1 AND topic = $2")
                .bind(topic.org_id)
                .bind(&topic.name),
        )
        .await?;
    let bound = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM disclosure_binding WHERE org_id = $1 AND category = $2")
                .bind(topic.org_id)
                .bind(&topic.name),
        )
        .await?;
    if used > 0 || bound > 0 {
        return Err(AppError::Conflict(format!(
            "类目“{}”下还有 {used} 条信息、{bound} 个目录栏目，请先把它们改到其他类目",
            topic.name
        )));
    }
    state.db.execute(sql("DELETE FROM disclosure_topic WHERE id = $1").bind(id)).await?;
    state
        .audit(
            ctx,
            "disclosure.tree",
            &format!("disclosure_topic:{id}"),
            "success",
            format!("删除公开目录类目：{}", topic.name),
        )
        .await;
    Ok(())
}

/// The columns of every site of the group that can be bound: `(site id, site name, topic, name)`.
async fn columns(state: &AppState) -> Result<Vec<(i64, String, String, String)>, AppError> {
    let mut out = Vec::new();
    for site in platform::web::portal::group_sites(&state.db).await? {
        for t in state.modules.subscription_topics(state, site.id).await? {
            // Columns of articles: what the module interface's documents resolve.
            if t.key.starts_with("channel:") {
                out.push((site.id, site.name.clone(), t.key, t.label));
            }
        }
    }
    Ok(out)
}

/// Binds a column to an agency's category; from now on what is first published there is
/// catalogued by itself.
pub async fn bind(state: &AppState, ctx: &Ctx, auth: &Auth, input: &BindingInput) -> Result<Binding, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = agency(auth, &orgs, &input.org)?;
    let mut errs = Vec::new();
    let columns = columns(state).await?;
    let column = columns.iter().find(|c| c.2 == input.topic.trim());
    if column.is_none() {
        errs.push(FieldError::new("topic", "请选择一个列表栏目"));
    }
    if !topics_of(&state.db, Some(org.id)).await?.iter().any(|t| t == input.category.trim()) {
        errs.push(FieldError::new("category", "请选择本机关的主题分类"));
    }
    if !input.genre.trim().is_empty() && !GENRES.contains(&input.genre.trim()) {
        errs.push(FieldError::new("genre", "请从列表中选择体裁"));
    }
    let Some((site_id, _, topic, label)) = column.filter(|_| errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let q =
        sql("INSERT INTO disclosure_binding (topic, label, site_id, org_id, category, genre, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(topic)
        .bind(label)
        .bind(*site_id)
        .bind(org.id)
        .bind(input.category.trim())
        .bind(input.genre.trim())
        .bind(platform::db::now())
        .bind(&auth.user.username);
    let id: Scalar<i64> = match state.db.fetch_one(q).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "topic",
                "这个栏目已绑定到公开目录，请先解除原来的绑定",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    state
        .audit(
            ctx,
            "disclosure.tree",
            &format!("disclosure_binding:{}", id.0),
            "success",
            format!("栏目“{label}”绑定到{}的公开目录类目“{}”", org.name, input.category.trim()),
        )
        .await;
    binding_by_id(&state.db, id.0).await?.ok_or(AppError::NotFound)
}

/// Ends a binding; what it catalogued stays.
pub async fn unbind(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<(), AppError> {
    auth.require_anywhere(Perm::DisclosureManage)?;
    let b = binding_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, b.org_id))?;
    state.db.execute(sql("DELETE FROM disclosure_binding WHERE id = $1").bind(id)).await?;
    state
        .audit(
            ctx,
            "disclosure.tree",
            &format!("disclosure_binding:{id}"),
            "success",
            format!("解除栏目“{}”的公开目录绑定", b.label),
        )
        .await;
    Ok(())
}

// ---- the feed ------------------------------------------------------------------------------------

/// A publication under a bound column.
#[derive(sqlx::FromRow)]
struct Due {
    publication_id: i64,
    source: String,
    org_id: i64,
    category: String,
    genre: String,
}

const FEED_BATCH: i64 = 500;

/// Catalogues what was first published under a bound column since the last pass (and after the
/// column was bound); returns how many items it wrote. A document already catalogued (by hand,
/// by another node, under a second bound column) is skipped.
pub async fn follow(state: &AppState) -> Result<usize, AppError> {
    let db = &state.db;
    let head: Scalar<i64> = db.fetch_one(sql("SELECT COALESCE(MAX(id), 0) FROM publication")).await?;
    let mut cursor = db
        .fetch_optional::<Scalar<i64>>(sql("SELECT last_publication_id FROM disclosure_feed WHERE id = 1"))
        .await?
        .map_or(0, |c| c.0);
    let orgs = accounts::list_orgs(db).await?;
    let mut written = 0;
    while cursor < head.0 {
        let due: Vec<Due> = db
            .fetch_all(
                sql("SELECT p.id AS publication_id, p.source, b.org_id, b.category, b.genre \
                     FROM disclosure_binding b JOIN publication_topic t ON t.topic = b.topic \
                     JOIN publication p ON p.id = t.publication_id \
                     WHERE p.id > $1 AND p.id <= $2 AND p.published_at >= b.created_at ORDER BY p.id LIMIT $3")
                .bind(cursor)
                .bind(head.0)
                .bind(FEED_BATCH),
            )
            .await?;
        let reached =
            if (due.len() as i64) < FEED_BATCH { head.0 } else { due.last().map_or(head.0, |d| d.publication_id) };
        for d in &due {
            if catalogue_one(state, &orgs, d).await? {
                written += 1;
            }
        }
        db.execute(
            sql("INSERT INTO disclosure_feed (id, last_publication_id) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET last_publication_id = excluded.last_publication_id")
            .bind(reached),
        )
        .await?;
        cursor = reached;
    }
    Ok(written)
}

/// Catalogues one publication's document; `false` when there is nothing (or nothing new) to write.
async fn catalogue_one(state: &AppState, orgs: &[OrgUnit], d: &Due) -> Result<bool, AppError> {
    let Some(document_id) = d.source.strip_prefix("article:").and_then(|id| id.parse::<i64>().ok()) else {
        return Ok(false);
    };
    let Some(org) = orgs.iter().find(|o| o.id == d.org_id) else { return Ok(false) };
    let q = DocumentQuery { ids: vec![document_id], limit: 1, ..DocumentQuery::default() };
    // Taken down again before the feed came by: nothing to catalogue.
    let Some(doc) = state.modules.documents(state, &q).await?.into_iter().next() else { return Ok(false) };
    let input = ItemInput {
        document_id,
        org: org.code.clone(),
        topic: d.category.clone(),
        genre: d.genre.clone(),
        doc_no: doc.doc_no.clone(),
        keywords: doc.keywords.clone(),
        summary: doc.summary.chars().take(500).collect(),
        ..ItemInput::default()
    };
    match catalogue::insert(&state.db, org, &doc, &input, FEED_AUTHOR).await {
        Ok(item) => {
            tracing::info!(item = item.id, index_no = %item.index_no, document = document_id, "catalogued from a bound column");
            catalogue::tell_subscribers(state, &item).await;
            Ok(true)
        }
        Err(AppError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Works out the Art. 26 flag of items written before it was kept (once, at start).
pub async fn backfill_late(db: &Db) -> DbResult<u64> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        formed_on: Option<String>,
        published_on: String,
    }
    let cal = platform::calendar::load(db).await?;
    let mut n = 0;
    loop {
        let rows: Vec<Row> = db
            .fetch_all(sql(
                "SELECT id, formed_on, published_on FROM disclosure_item WHERE late IS NULL ORDER BY id LIMIT 1000",
            ))
            .await?;
        if rows.is_empty() {
            return Ok(n);
        }
        let mut tx = db.begin().await?;
        for r in &rows {
            let late = catalogue::late_of(&cal, r.formed_on.as_deref().unwrap_or(""), &r.published_on);
            tx.execute(sql("UPDATE disclosure_item SET late = $1 WHERE id = $2").bind(late).bind(r.id)).await?;
        }
        tx.commit().await?;
        n += rows.len() as u64;
    }
}

/// Every node follows the publication record every 20 seconds.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        if let Err(e) = backfill_late(&state.db).await {
            tracing::error!(error = %e, "disclosure: Art. 26 flags not worked out");
        }
        loop {
            if let Err(e) = follow(&state).await {
                tracing::error!(error = %e, "disclosure: catalogue feed failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(20)).await;
        }
    });
}

// ---- pages ----------------------------------------------------------------------------------------

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/disclosure/tree", routing::get(tree_page))
        .route("/admin/disclosure/tree/topics", routing::post(topic_submit))
        .route("/admin/disclosure/tree/topics/{id}/delete", routing::post(topic_delete))
        .route("/admin/disclosure/tree/bindings", routing::post(binding_submit))
        .route("/admin/disclosure/tree/bindings/{id}/delete", routing::post(binding_delete))
}

/// What the page's two forms hold when one is shown again with its errors.
#[derive(Default)]
struct Typed {
    topic: TopicInput,
    binding: BindingInput,
    errors: BTreeMap<String, String>,
    /// A refusal that is not one field's (a category still in use).
    notice: String,
    /// Which form `errors` belong to (`topic`, `binding`).
    which: &'static str,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    typed: Typed,
    status: StatusCode,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::DisclosureManage, &orgs);
    let name_of = |id: i64| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default();
    let topics: Vec<_> = local_topics(&state.db, mine.as_deref())
        .await?
        .into_iter()
        .map(|t| context! { id => t.id, org => name_of(t.org_id), name => t.name, by => t.created_by })
        .collect();
    let group = platform::web::portal::group_sites(&state.db).await?;
    let site_of = |id: i64| group.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let bound: Vec<_> = bindings(&state.db, mine.as_deref())
        .await?
        .into_iter()
        .map(|b| context! { id => b.id, org => name_of(b.org_id), site => site_of(b.site_id), label => b.label, topic => b.topic, category => b.category, genre => b.genre, since => platform::fmt_date(b.created_at) })
        .collect();
    let managed: Vec<(String, String)> = orgs
        .iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect();
    // Categories offered: the regulation's and every managed agency's own (checked per agency on save).
    let mut categories = topics_of(&state.db, None).await?;
    for t in local_topics(&state.db, mine.as_deref()).await? {
        if !categories.contains(&t.name) {
            categories.push(t.name);
        }
    }
    let mut sites: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (_, site, topic, label) in columns(state).await? {
        match sites.last_mut() {
            Some((s, cols)) if *s == site => cols.push((topic, label)),
            _ => sites.push((site, vec![(topic, label)])),
        }
    }
    Ok((
        status,
        state.render(
            ctx,
            "admin/gk_tree.html",
            context! { topics, bound, managed, categories, genres => GENRES.to_vec(), sites,
            topic_form => sv(&typed.topic), binding_form => sv(&typed.binding), notice => typed.notice,
            berr => if typed.which == "binding" { typed.errors.clone() } else { BTreeMap::new() },
            terr => if typed.which == "topic" { typed.errors } else { BTreeMap::new() } },
        )?,
    )
        .into_response())
}

async fn tree_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    render(&state, &ctx, &staff, Typed::default(), StatusCode::OK).await
}

/// Shows the page again after a refused form, keeping what was typed.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    e: AppError,
    mut typed: Typed,
) -> Result<Response, AppError> {
    if let AppError::Conflict(msg) = e {
        typed.notice = msg;
        return render(state, ctx, staff, typed, StatusCode::CONFLICT).await;
    }
    let (status, errors) = form_errors(e)?;
    typed.errors = errors;
    render(state, ctx, staff, typed, status).await
}

async fn topic_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<TopicInput>,
) -> Result<Response, AppError> {
    match add_topic(&state, &ctx, &staff, &input).await {
        Ok(_) => Ok(see_other("/admin/disclosure/tree")),
        Err(e) => refused(&state, &ctx, &staff, e, Typed { topic: input, which: "topic", ..Typed::default() }).await,
    }
}

async fn topic_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    match remove_topic(&state, &ctx, &staff, id).await {
        Ok(()) => Ok(see_other("/admin/disclosure/tree")),
        Err(e) => refused(&state, &ctx, &staff, e, Typed::default()).await,
    }
}

async fn binding_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<BindingInput>,
) -> Result<Response, AppError> {
    match bind(&state, &ctx, &staff, &input).await {
        Ok(_) => Ok(see_other("/admin/disclosure/tree")),
        Err(e) => {
            refused(&state, &ctx, &staff, e, Typed { binding: input, which: "binding", ..Typed::default() }).await
        }
    }
}

async fn binding_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    unbind(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/disclosure/tree"))
}

// ---- API ------------------------------------------------------------------------------------------

pub fn api_routes() -> Vec<platform::web::api::ApiRoute> {
    use platform::web::api::{ApiRoute, schema_of};
    let r = |m, p, s, perm, body, h| ApiRoute::new("政府信息公开", m, p, s, perm, body, h);
    let manage = Some(Perm::DisclosureManage);
    vec![
        r("get", "/api/v1/disclosure-tree", "本机关自定义类目和目录栏目", manage, None, routing::get(api_tree)),
        r(
            "post",
            "/api/v1/disclosure-topics",
            "增加本机关自定义类目",
            manage,
            Some(schema_of::<TopicInput>),
            routing::post(api_add_topic),
        ),
        r(
            "delete",
            "/api/v1/disclosure-topics/{id}",
            "删除本机关自定义类目（类目下没有信息和目录栏目时）",
            manage,
            None,
            routing::delete(api_remove_topic),
        ),
        r(
            "post",
            "/api/v1/disclosure-bindings",
            "把栏目绑定到公开目录类目（此后在该栏目首次发布的信息自动编目）",
            manage,
            Some(schema_of::<BindingInput>),
            routing::post(api_bind),
        ),
        r(
            "delete",
            "/api/v1/disclosure-bindings/{id}",
            "解除栏目绑定（已编目的信息保留）",
            manage,
            None,
            routing::delete(api_unbind),
        ),
    ]
}

async fn api_tree(State(state): State<AppState>, staff: Staff) -> Result<Json<serde_json::Value>, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::DisclosureManage, &orgs);
    let topics = local_topics(&state.db, mine.as_deref()).await?;
    let bound = bindings(&state.db, mine.as_deref()).await?;
    Ok(Json(serde_json::json!({ "statutory_topics": TOPICS, "topics": topics, "bindings": bound })))
}

async fn api_add_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<TopicInput>,
) -> Result<Json<LocalTopic>, AppError> {
    Ok(Json(add_topic(&state, &ctx, &staff, &input).await?))
}

async fn api_remove_topic(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, AppError> {
    remove_topic(&state, &ctx, &staff, id).await?;
    Ok(Json(serde_json::json!({ "deleted": id })))
}

async fn api_bind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<BindingInput>,
) -> Result<Json<Binding>, AppError> {
    Ok(Json(bind(&state, &ctx, &staff, &input).await?))
}

async fn api_unbind(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, AppError> {
    unbind(&state, &ctx, &staff, id).await?;
    Ok(Json(serde_json::json!({ "deleted": id })))
}
