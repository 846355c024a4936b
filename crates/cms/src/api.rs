//! The CMS's JSON API operations (registered into the platform's `/api/v1` registry). State
//! changes go through `POST /api/v1/articles/{id}/actions/{action}`; `GET /api/v1/articles/{id}`
//! returns the `state`, the `actions` the caller may take now, and the `history`.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use platform::roles::{Perm, ResourceScope};
use platform::web::api::{ApiRoute, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Cms;
use crate::domain::Action;
use crate::service::{self, ArticleInput, ChannelInput, SiteInput};
use crate::store;

type Ext = Extension<Arc<Cms>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("内容管理", m, p, s, perm, body, h);
    vec![
        r("get", "/api/v1/sites", "站点列表", Some(Perm::ChannelManage), None, get(sites_list)),
        r("post", "/api/v1/sites", "新建站点", Some(Perm::SiteManage), Some(schema_of::<SiteInput>), post(site_create)),
        r("get", "/api/v1/sites/{id}", "站点详情与栏目树", Some(Perm::ChannelManage), None, get(site_get)),
        r("patch", "/api/v1/sites/{id}", "修改站点", Some(Perm::SiteManage), Some(schema_of::<SiteInput>), patch(site_update)),
        r(
            "post",
            "/api/v1/sites/{id}/channels",
            "新建栏目",
            Some(Perm::ChannelManage),
            Some(schema_of::<ChannelInput>),
            post(channel_create),
        ),
        r(
            "patch",
            "/api/v1/channels/{id}",
            "修改栏目",
            Some(Perm::ChannelManage),
            Some(schema_of::<ChannelInput>),
            patch(channel_update),
        ),
        r(
            "get",
            "/api/v1/articles",
            "信息列表（channel_id、state、review_state、q、mine、page）",
            Some(Perm::ArticleEdit),
            None,
            get(articles_list),
        )
        .with_query(schema_of::<ListQuery>),
        r("post", "/api/v1/articles", "新建信息", Some(Perm::ArticleEdit), Some(schema_of::<ArticleInput>), post(article_create)),
        r(
            "get",
            "/api/v1/articles/{id}",
            "信息详情：状态、可执行操作、处理记录",
            Some(Perm::ArticleEdit),
            None,
            get(article_get),
        ),
        r(
            "patch",
            "/api/v1/articles/{id}",
            "保存新修订（线上版本不变）",
            Some(Perm::ArticleEdit),
            Some(schema_of::<ArticleInput>),
            patch(article_save),
        ),
        r(
            "post",
            "/api/v1/articles/{id}/actions/{action}",
            "状态操作：submit、approve、reject、withdraw、archive",
            Some(Perm::ArticleEdit),
            Some(schema_of::<ActionBody>),
            post(article_action),
        ),
        r("get", "/api/v1/articles/{id}/revisions", "修订版本", Some(Perm::ArticleEdit), None, get(article_revisions)),
        r(
            "post",
            "/api/v1/articles/{id}/placements",
            "推送到其他栏目（引用/推送）",
            Some(Perm::ArticleEdit),
            Some(schema_of::<PlaceBody>),
            post(article_place),
        ),
        r(
            "delete",
            "/api/v1/articles/{id}/placements/{channel}",
            "撤销推送到某栏目",
            Some(Perm::ArticleEdit),
            None,
            delete(article_unplace),
        ),
        r(
            "post",
            "/api/v1/articles/{id}/attachments",
            "上传附件：请求体为文件内容，?name=文件名（类型按文件内容核对，大小以系统设置为限）",
            Some(Perm::ArticleEdit),
            None,
            post(attachment_upload).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .with_query(schema_of::<AttachmentQuery>),
        r("delete", "/api/v1/attachments/{id}", "删除附件", Some(Perm::ArticleEdit), None, delete(attachment_delete)),
        r(
            "put",
            "/api/v1/sites/{id}/templates/{name}",
            "保存站点模板（先编译并试渲染，出错则不保存并说明原因）",
            Some(Perm::TemplateManage),
            Some(schema_of::<TemplateBody>),
            put(template_save),
        ),
        r(
            "post",
            "/api/v1/sites/{id}/templates/{name}/versions/{version}/actions/restore",
            "把站点模板恢复为某个历史版本（保存为新版本）",
            Some(Perm::TemplateManage),
            None,
            post(template_restore),
        ),
        r(
            "post",
            "/api/v1/articles/{id}/revisions/{rev}/actions/restore",
            "恢复到某个修订版本（作为新的草稿内容）",
            Some(Perm::ArticleEdit),
            None,
            post(article_restore),
        ),
        r("get", "/api/v1/review-queue", "待我审核的信息", Some(Perm::ArticleReview), None, get(review_queue)),
        r(
            "put",
            "/api/v1/publishing-quotas",
            "设置部门年度信息发布指标",
            Some(Perm::SiteManage),
            Some(schema_of::<crate::stats::QuotaBody>),
            put(crate::stats::api_set_quota),
        ),
        r("get", "/api/v1/search/best-bets", "站内检索的推荐结果", Some(Perm::SiteManage), None, get(crate::search_admin::api_bets)),
        r(
            "post",
            "/api/v1/search/best-bets",
            "添加推荐结果（访客检索该词时显示在结果之前）",
            Some(Perm::SiteManage),
            Some(schema_of::<crate::search_admin::BetForm>),
            post(crate::search_admin::api_add_bet),
        ),
        r("delete", "/api/v1/search/best-bets/{id}", "删除推荐结果", Some(Perm::SiteManage), None, delete(crate::search_admin::api_delete_bet)),
        r(
            "post",
            "/api/v1/search/actions/rebuild",
            "在后台重建搜索索引（期间检索照常）",
            Some(Perm::SiteManage),
            None,
            post(crate::search_admin::api_rebuild),
        ),
        r("get", "/api/v1/search/words", "站内检索的扩充词典", Some(Perm::SiteManage), None, get(crate::search_admin::api_words)),
        r(
            "put",
            "/api/v1/search/words",
            "设置扩充词典（随后在后台重建索引，期间检索照常）",
            Some(Perm::SiteManage),
            Some(schema_of::<crate::search_admin::WordsBody>),
            put(crate::search_admin::api_put_words),
        ),
        r("get", "/api/v1/search/synonyms", "站内检索的同义词（管理员添加的各组与内置组数）", Some(Perm::SiteManage), None, get(crate::search_admin::api_synonyms)),
        r(
            "put",
            "/api/v1/search/synonyms",
            "设置站内检索的同义词（立即生效，无需重建索引）",
            Some(Perm::SiteManage),
            Some(schema_of::<crate::search_admin::SynonymsBody>),
            put(crate::search_admin::api_put_synonyms),
        ),
        r(
            "get",
            "/api/v1/search",
            "站内检索（公开接口，无需令牌）：q、site、channel、type、dept、from、to、validity、sort=relevance|date、in=title、page",
            None,
            None,
            get(crate::search_admin::api),
        )
        .with_query(schema_of::<crate::search_admin::ApiQuery>)
        .public(),
    ]
}

async fn sites_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ChannelManage)?;
    let sites: Vec<store::Site> = store::sites(&state.db)
        .await?
        .into_iter()
        .filter(|s| {
            staff.can(Perm::ChannelManage, &ResourceScope::site(s.id))
                || staff.can(Perm::SiteManage, &ResourceScope::site(s.id))
        })
        .collect();
    Ok(Json(json!({"items": sites})))
}

async fn site_create(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<SiteInput>,
) -> Result<Response, AppError> {
    let id = service::create_site(&state, &cms, &ctx, &staff, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(store::site(&state.db, id).await?))).into_response())
}

async fn site_get(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    staff.require(Perm::ChannelManage, &ResourceScope::site(id))?;
    Ok(Json(json!({"site": site, "channels": store::channels_of(&state.db, id).await?})))
}

async fn site_update(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<SiteInput>,
) -> Result<Json<Value>, AppError> {
    service::update_site(&state, &cms, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(store::site(&state.db, id).await?)))
}

async fn channel_create(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(site_id): Path<i64>,
    Json(input): Json<ChannelInput>,
) -> Result<Response, AppError> {
    let id = service::create_channel(&state, &cms, &ctx, &staff, site_id, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(store::channel(&state.db, id).await?))).into_response())
}

async fn channel_update(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ChannelInput>,
) -> Result<Json<Value>, AppError> {
    service::update_channel(&state, &cms, &ctx, &staff, id, &input).await?;
    Ok(Json(json!(store::channel(&state.db, id).await?)))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
struct ListQuery {
    /// 栏目
    channel_id: Option<i64>,
    /// 发布状态：draft 未发布、scheduled 定时发布、published 已发布、withdrawn 已撤稿
    state: String,
    /// 审核状态：editing 编辑中、in_review 审核中、approved 审核通过、rejected 已退回
    review_state: String,
    /// 标题关键词
    q: String,
    /// 只看我创建的
    mine: Option<bool>,
    /// 页码
    page: Option<i64>,
}

async fn articles_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    if let Some(cid) = q.channel_id {
        let c = store::channel(&state.db, cid).await?.ok_or(AppError::NotFound)?;
        staff.require(Perm::ArticleEdit, &service::channel_scope(&state, &c).await?)?;
    }
    let page = platform::web::api::page_of(q.page);
    let editable = crate::admin::channels_with(&state, &staff, Perm::ArticleEdit).await?;
    let filter = service::article_list_filter(
        &staff,
        service::list_scope(&staff, &editable),
        q.channel_id,
        q.mine.unwrap_or(false),
        q.state,
        q.review_state,
        q.q,
    );
    let (rows, total) = store::admin_list(&state.db, &filter, 20, (page - 1) * 20).await?;
    Ok(Json(json!({"items": rows, "total": total, "page": page, "page_size": 20})))
}

async fn article_create(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<ArticleInput>,
) -> Result<Response, AppError> {
    let id = service::create_article(&state, &cms, &ctx, &staff, &input).await?;
    Ok((StatusCode::CREATED, Json(article_json(&state, &staff, id).await?)).into_response())
}

async fn article_json(state: &AppState, staff: &Staff, id: i64) -> Result<Value, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let scope = service::article_scope(state, &a).await?;
    let actions = service::available_actions(state, staff, &a).await?;
    if !staff.can(Perm::ArticleEdit, &scope)
        && !staff.can(Perm::ArticleReview, &scope)
        && !staff.can(Perm::ArticlePublish, &scope)
        && actions.is_empty()
    {
        return Err(AppError::Forbidden("您没有查看该信息的权限".into()));
    }
    let latest = Some(store::latest_fields(&state.db, &a).await?);
    let history = store::events(&state.db, id).await?;
    let placements = store::placements(&state.db, id).await?;
    let status = service::status_of(&a)?;
    Ok(json!({
        "id": a.id,
        "state": a.state,
        "review_state": a.review_state,
        "review_step": a.review_step,
        "status": service::status_label(status),
        "actions": actions.iter().map(|x| x.code()).collect::<Vec<_>>(),
        "live": a,
        "latest": latest,
        "placements": placements,
        "history": history,
    }))
}

async fn article_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(article_json(&state, &staff, id).await?))
}

async fn article_save(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ArticleInput>,
) -> Result<Json<Value>, AppError> {
    service::save_article(&state, &cms, &ctx, &staff, id, &input).await?;
    Ok(Json(article_json(&state, &staff, id).await?))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
struct ActionBody {
    /// 审核意见或理由
    comment: String,
}

async fn article_action(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let body: ActionBody = parse_optional_body(&raw)?;
    let action = Action::parse(&action).filter(|a| a.is_manual() && *a != Action::Save).ok_or_else(|| {
        AppError::Conflict(format!("不支持的操作“{action}”，可用：submit、approve、reject、withdraw、archive"))
    })?;
    store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::act(&state, &cms, &ctx, &staff, id, action, body.comment.trim()).await?;
    Ok(Json(article_json(&state, &staff, id).await?))
}

async fn article_revisions(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    staff.require(Perm::ArticleEdit, &service::article_scope(&state, &a).await?)?;
    let revs: Vec<Value> = store::revisions(&state.db, id).await?.iter().map(|r| json!({"id": r.id, "rev_no": r.rev_no, "created_by": r.created_by, "created_at": r.created_at, "note": r.note, "fields": r.fields()})).collect();
    Ok(Json(json!({"items": revs})))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["channel_id"]))]
struct PlaceBody {
    // Optional to serde, so that the permission check answers before a missing field does.
    /// 同时发布到的栏目
    #[schemars(with = "i64", range(min = 1))]
    channel_id: Option<i64>,
}

async fn article_place(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<PlaceBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let cid = b.channel_id.filter(|c| *c > 0).ok_or_else(|| AppError::invalid("channel_id", "请指定栏目"))?;
    service::place(&state, &cms, &ctx, &staff, id, cid).await?;
    Ok(Json(json!({"placements": store::placements(&state.db, id).await?})))
}

async fn article_unplace(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, channel)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    service::unplace(&state, &cms, &ctx, &staff, id, channel).await?;
    Ok(Json(json!({"placements": store::placements(&state.db, id).await?})))
}

async fn article_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, rev)): Path<(i64, i64)>,
) -> Result<Json<Value>, AppError> {
    service::restore(&state, &ctx, &staff, id, rev).await?;
    Ok(Json(json!({"id": id, "restored_revision": rev})))
}

async fn review_queue(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ArticleReview)?;
    let items: Vec<Value> = crate::admin::review_queue(&state, &staff).await?.into_iter().map(|(a, step)| json!({"id": a.id, "title": a.title, "site_id": a.site_id, "channel_id": a.channel_id, "step": step, "updated_at": a.updated_at})).collect();
    Ok(Json(json!({"items": items})))
}

// ---- attachments and site templates ---------------------------------------------------------------

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name"]))]
struct AttachmentQuery {
    /// 文件名（含扩展名）
    #[serde(default)]
    name: String,
}

async fn attachment_upload(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<AttachmentQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let aid = crate::admin::add_attachment(&state, &cms, &ctx, &staff, id, &q.name, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": aid, "article_id": id }))))
}

async fn attachment_delete(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let article_id = crate::admin::remove_attachment(&state, &cms, &ctx, &staff, id).await?;
    Ok(Json(json!({ "id": id, "article_id": article_id, "deleted": true })))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["source"]))]
struct TemplateBody {
    /// 模板源码（MiniJinja）
    #[serde(default)]
    #[schemars(length(max = 200000))]
    source: String,
}

async fn template_save(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Path((id, name)): Path<(i64, String)>,
    Json(b): Json<TemplateBody>,
) -> Result<Json<Value>, AppError> {
    let version = crate::admin::save_template(&state, &cms, &ctx, &staff, id, &name, &b.source).await?;
    Ok(Json(json!({ "site_id": id, "name": name, "version": version })))
}

async fn template_restore(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Path((id, name, version)): Path<(i64, String, i64)>,
) -> Result<Json<Value>, AppError> {
    let saved = crate::admin::restore_template(&state, &cms, &ctx, &staff, id, &name, version).await?;
    Ok(Json(json!({ "site_id": id, "name": name, "version": saved, "restored_from": version })))
}
