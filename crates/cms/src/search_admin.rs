//! Search administration and the public search API: hot and zero-result queries from the query
//! log, best bets (推荐结果), the extra dictionary and index rebuilds; `GET /api/v1/search`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use platform::db::{now, sql};
use platform::roles::{Perm, ResourceScope};
use platform::web::extract::{Form, Json, Path, Query};
use platform::web::{AppError, AppState, Ctx, Staff, see_other};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Cms;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
struct QueryStat {
    q: String,
    n: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct BestBet {
    pub id: i64,
    pub keyword: String,
    pub title: String,
    pub url: String,
}

platform::template_value!(QueryStat, BestBet);

fn require(staff: &Staff) -> Result<(), AppError> {
    staff.require(Perm::SiteManage, &ResourceScope::platform())
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    render(&state, &ctx, &staff, BTreeMap::new(), None).await
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    errors: BTreeMap<String, String>,
    notice: Option<&str>,
) -> Result<Html<String>, AppError> {
    require(staff)?;
    let since = now() - 30 * 86_400;
    let hot: Vec<QueryStat> = state
        .db
        .fetch_all(
            sql("SELECT q, COUNT(*) AS n FROM search_log WHERE at >= $1 GROUP BY q ORDER BY n DESC, q LIMIT 20")
                .bind(since),
        )
        .await?;
    let zero: Vec<QueryStat> = state.db.fetch_all(sql("SELECT q, COUNT(*) AS n FROM search_log WHERE at >= $1 AND hits = 0 GROUP BY q ORDER BY n DESC, q LIMIT 20").bind(since)).await?;
    let bets: Vec<BestBet> = state
        .db
        .fetch_all(sql("SELECT id, keyword, title, url FROM search_bestbet ORDER BY keyword, sort_order, id"))
        .await?;
    let words = crate::indexing::extra_words(&state.db).await;
    let synonyms = crate::indexing::extra_synonyms(&state.db).await;
    let shipped = search::understand::Synonyms::parse(search::understand::SHIPPED).len();
    state.render(
        ctx,
        "admin/cms/search.html",
        context! { hot => hot, zero => zero, bets => bets, words => words, synonyms => synonyms, shipped_synonyms => shipped, errors => errors, notice => notice },
    )
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["keyword", "title", "url"]))]
pub struct BetForm {
    /// 检索词（访客输入与之相同时显示）
    #[schemars(regex(pattern = r"\S"))]
    keyword: String,
    /// 推荐结果的标题
    #[schemars(regex(pattern = r"\S"))]
    title: String,
    /// 链接：http(s) 地址或站内路径
    #[schemars(regex(pattern = platform::web::api::LINK))]
    url: String,
}

/// Stores a list setting of the search (as JSON) and audits the change under `action`.
async fn put_list(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    key: &str,
    action: &str,
    summary: String,
    values: &[String],
) -> Result<(), AppError> {
    platform::accounts::put_setting(
        &state.db,
        key,
        &serde_json::to_string(values).unwrap_or_default(),
        &staff.user.username,
    )
    .await?;
    state.audit(ctx, action, key, "success", summary).await;
    Ok(())
}

/// Stores a best bet (推荐结果) after checking it; returns its id.
async fn store_bet(state: &AppState, ctx: &Ctx, staff: &Staff, f: &BetForm) -> Result<i64, AppError> {
    require(staff)?;
    let mut errors = Vec::new();
    if f.keyword.trim().is_empty() {
        errors.push(platform::web::FieldError::new("keyword", "请填写关键词"));
    }
    if f.title.trim().is_empty() {
        errors.push(platform::web::FieldError::new("title", "请填写标题"));
    }
    if let Err(m) = crate::domain::check_link(&f.url) {
        errors.push(platform::web::FieldError::new("url", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let keyword = search::text::normalize(f.keyword.trim());
    let id: platform::db::Scalar<i64> = state
        .db
        .fetch_one(sql("INSERT INTO search_bestbet (keyword, title, url, sort_order, created_by, created_at) VALUES ($1,$2,$3,0,$4,$5) RETURNING id").bind(&keyword).bind(f.title.trim()).bind(f.url.trim()).bind(&staff.user.username).bind(now()))
        .await?;
    state
        .audit(
            ctx,
            "search.bestbet.add",
            &format!("keyword:{keyword}"),
            "success",
            format!("推荐结果“{}”→ {}", f.title.trim(), f.url.trim()),
        )
        .await;
    Ok(id.0)
}

async fn remove_bet(state: &AppState, ctx: &Ctx, staff: &Staff, id: i64) -> Result<(), AppError> {
    require(staff)?;
    let n = state.db.execute(sql("DELETE FROM search_bestbet WHERE id = $1").bind(id)).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    state.audit(ctx, "search.bestbet.delete", &format!("bestbet:{id}"), "success", "删除推荐结果").await;
    Ok(())
}

pub async fn add_bet(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<BetForm>,
) -> Result<Response, AppError> {
    match store_bet(&state, &ctx, &staff, &f).await {
        Ok(_) => Ok(see_other("/admin/cms/search")),
        Err(AppError::Invalid(errs)) => {
            let errors: BTreeMap<String, String> = errs.into_iter().map(|e| (e.field.to_string(), e.message)).collect();
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&state, &ctx, &staff, errors, None).await?)
                .into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn delete_bet(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    remove_bet(&state, &ctx, &staff, id).await?;
    Ok(see_other("/admin/cms/search"))
}

/// `GET /api/v1/search/best-bets`
pub async fn api_bets(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require(&staff)?;
    let bets: Vec<BestBet> = state
        .db
        .fetch_all(sql("SELECT id, keyword, title, url FROM search_bestbet ORDER BY keyword, sort_order, id"))
        .await?;
    Ok(Json(json!({"items": bets})))
}

/// `POST /api/v1/search/best-bets`
pub async fn api_add_bet(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(f): Json<BetForm>,
) -> Result<Response, AppError> {
    let id = store_bet(&state, &ctx, &staff, &f).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// `DELETE /api/v1/search/best-bets/{id}`
pub async fn api_delete_bet(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    remove_bet(&state, &ctx, &staff, id).await?;
    Ok(Json(json!({"id": id, "deleted": true})).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WordsForm {
    words: String,
}

/// The extra dictionary as the API reads and writes it.
#[derive(Deserialize, serde::Serialize, Default, schemars::JsonSchema)]
#[serde(default)]
pub struct WordsBody {
    /// 扩充词典的词语（新的机构名称、政策用语），每个不超过 20 字
    words: Vec<String>,
}

/// Saves the extra dictionary and rebuilds the index in the background (the dictionary changes
/// how text is cut into words, so every document must be re-analysed). Search keeps working on
/// the old index meanwhile; the new dictionary applies after the next restart of other nodes.
async fn store_words(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    staff: &Staff,
    given: &[String],
) -> Result<Vec<String>, AppError> {
    require(staff)?;
    let words: Vec<String> = given
        .iter()
        .flat_map(|w| w.split(['\n', ',', '，', ' ']))
        .map(str::trim)
        .filter(|w| !w.is_empty() && w.chars().count() <= 20)
        .map(str::to_owned)
        .collect();
    let summary = format!("扩充词典 {} 个词：{}", words.len(), words.join("、"));
    put_list(state, ctx, staff, "search_words", "search.dictionary", summary, &words).await?;
    if let Some(idx) = &cms.search {
        idx.set_words(&words);
    }
    cms.rebuild_search(&state.db);
    Ok(words)
}

pub async fn save_words(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<WordsForm>,
) -> Result<Response, AppError> {
    store_words(&state, &cms, &ctx, &staff, &[f.words]).await?;
    Ok(see_other("/admin/cms/search"))
}

/// `GET /api/v1/search/words`
pub async fn api_words(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require(&staff)?;
    Ok(Json(json!({"words": crate::indexing::extra_words(&state.db).await})))
}

/// `PUT /api/v1/search/words`: replaces the extra dictionary and rebuilds the index in the background.
pub async fn api_put_words(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Json(body): Json<WordsBody>,
) -> Result<Json<Value>, AppError> {
    let words = store_words(&state, &cms, &ctx, &staff, &body.words).await?;
    Ok(Json(json!({"words": words, "rebuilding": cms.search.is_some()})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SynonymsForm {
    synonyms: String,
}

/// Administrators' synonym groups as the API reads and writes them.
#[derive(Deserialize, serde::Serialize, Default, schemars::JsonSchema)]
#[serde(default)]
pub struct SynonymsBody {
    /// 同义词组，每组一行、词与词之间用空格分隔，如“公租房 公共租赁住房”
    synonyms: Vec<String>,
}

/// Groups as stored: terms separated by one space (spaces, 、 and commas accepted), at least two
/// terms, at most 200 characters.
fn clean_groups(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            l.split([' ', '\u{3000}', ',', '，', '、']).filter(|w| !w.trim().is_empty()).collect::<Vec<_>>().join(" ")
        })
        .filter(|l| l.split(' ').count() >= 2 && l.chars().count() <= 200)
        .collect()
}

/// Saves administrators' synonym groups and applies them on this node at once (other nodes after
/// their next restart); nothing is re-indexed, because synonyms widen the query, not the text.
async fn store_synonyms(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    staff: &Staff,
    lines: &[String],
) -> Result<Vec<String>, AppError> {
    require(staff)?;
    let groups = clean_groups(lines);
    let summary = format!("同义词 {} 组：{}", groups.len(), groups.join("；"));
    put_list(state, ctx, staff, "search_synonyms", "search.synonyms", summary, &groups).await?;
    // At once on this node; every other node reloads them when the change feed reaches it.
    crate::service::announce(state, cms, vec![crate::SYNONYMS_TAG.to_owned()]).await;
    if let Some(idx) = &cms.search {
        idx.set_synonyms(&groups);
    }
    Ok(groups)
}

pub async fn save_synonyms(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<SynonymsForm>,
) -> Result<Response, AppError> {
    let lines: Vec<String> = f.synonyms.lines().map(str::to_owned).collect();
    store_synonyms(&state, &cms, &ctx, &staff, &lines).await?;
    Ok(see_other("/admin/cms/search?ok=saved"))
}

/// `GET /api/v1/search/synonyms`: administrators' groups and how many the shipped list holds.
pub async fn api_synonyms(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    require(&staff)?;
    let shipped = search::understand::Synonyms::parse(search::understand::SHIPPED).len();
    Ok(Json(json!({"synonyms": crate::indexing::extra_synonyms(&state.db).await, "shipped_groups": shipped})))
}

/// `PUT /api/v1/search/synonyms`: replaces administrators' groups.
pub async fn api_put_synonyms(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Json(body): Json<SynonymsBody>,
) -> Result<Json<Value>, AppError> {
    let groups = store_synonyms(&state, &cms, &ctx, &staff, &body.synonyms).await?;
    Ok(Json(json!({"synonyms": groups})))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
pub struct ApiQuery {
    /// 检索词
    q: String,
    /// 站点编号
    site: Option<u64>,
    /// 栏目编号
    channel: Option<u64>,
    /// 类型：article 信息、attachment 附件、service 办事、letter 信件
    #[serde(rename = "type")]
    kind: String,
    /// 发布部门编号
    dept: Option<u64>,
    /// 起始日期 YYYY-MM-DD
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    from: String,
    /// 截止日期 YYYY-MM-DD
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    to: String,
    /// 有效性
    validity: String,
    /// 排序：relevance 相关度、date 日期
    #[schemars(extend("enum" = ["", "relevance", "date"]))]
    sort: String,
    /// title：只查标题
    #[serde(rename = "in")]
    within: String,
    page: Option<usize>,
}

/// `GET /api/v1/search`: the same engine and ranking as the public page, as JSON. Public.
pub async fn api(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    Query(q): Query<ApiQuery>,
) -> Result<Json<Value>, AppError> {
    let Some(idx) = &cms.search else { return Err(AppError::Internal("search index unavailable".into())) };
    let date = |s: &str, field: &str| -> Result<Option<i64>, AppError> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            platform::parse_date(s).map(Some).ok_or_else(|| AppError::invalid(field, "日期格式应为 YYYY-MM-DD"))
        }
    };
    let page = q.page.filter(|p| (1..=500).contains(p)).unwrap_or(1);
    let sort = match q.sort.as_str() {
        "" | "relevance" => search::Sort::Relevance,
        "date" => search::Sort::Date,
        _ => return Err(AppError::invalid("sort", "sort 只能是 relevance 或 date")),
    };
    let req = search::SearchRequest {
        q: q.q.chars().take(100).collect(),
        title_only: q.within == "title",
        site: q.site,
        channel: q.channel,
        kind: (!q.kind.is_empty()).then(|| q.kind.clone()),
        dept: q.dept,
        from: date(&q.from, "from")?,
        to: date(&q.to, "to")?.map(|d| d + 86_400),
        validity: (!q.validity.is_empty()).then(|| q.validity.clone()),
        sort,
        offset: (page - 1) * 20,
        limit: 20,
    };
    let r = idx.search(&req).map_err(|e| AppError::Internal(e.to_string()))?;
    let sites = cms.sites(&state.db).await?;
    let hits: Vec<Value> = r
        .hits
        .iter()
        .map(|h| {
            let site = q.site.filter(|s| h.sites.contains(s)).or(h.sites.first().copied());
            let prefix = site.and_then(|s| sites.iter().find(|x| x.id as u64 == s)).map(|s| s.path_prefix.clone()).unwrap_or_default();
            // Another module's document opens that module's page.
            let url = match idx.kind_link(&h.kind) {
                Some(k) => format!("{}{}", k.url_prefix, h.id),
                None => format!("{prefix}/a/{}.html", h.id),
            };
            json!({"kind": h.kind, "id": h.id, "url": url, "title_html": h.title_html, "snippet_html": h.snippet_html,
                   "date": platform::fmt_date(h.date), "sites": h.sites, "doc_number": h.doc_number, "validity": h.validity})
        })
        .collect();
    let suggestion = if r.total == 0 || r.relaxed { idx.suggest(&q.q) } else { None };
    Ok(Json(json!({"total": r.total, "page": page, "page_size": 20, "hits": hits, "suggestion": suggestion,
        "relaxed": r.relaxed, "expanded": r.expanded})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

/// Starts rebuilding the index from the database in the background; search keeps answering from
/// the current index until the new one is complete.
async fn start_rebuild(state: &AppState, cms: &Cms, ctx: &Ctx, staff: &Staff) -> Result<(), AppError> {
    require(staff)?;
    if cms.search.is_none() {
        return Err(AppError::Conflict("搜索索引不可用".into()));
    }
    state.audit(ctx, "search.rebuild", "search", "success", "重建搜索索引").await;
    cms.rebuild_search(&state.db);
    Ok(())
}

pub async fn rebuild_now(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
    Form(_f): Form<Empty>,
) -> Result<Response, AppError> {
    start_rebuild(&state, &cms, &ctx, &staff).await?;
    Ok(see_other("/admin/cms/search?rebuilding=1"))
}

/// `POST /api/v1/search/actions/rebuild`
pub async fn api_rebuild(
    State(state): State<AppState>,
    Extension(cms): Extension<Arc<Cms>>,
    ctx: Ctx,
    staff: Staff,
) -> Result<Response, AppError> {
    start_rebuild(&state, &cms, &ctx, &staff).await?;
    Ok(Json(json!({"rebuilding": true})).into_response())
}
