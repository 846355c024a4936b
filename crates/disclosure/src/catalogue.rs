//! The 主动公开 catalogue (政府信息公开目录): any published document (a CMS article, reached through
//! the module interface, never its tables) catalogued with 索引号, 主题分类, 体裁, 发文机关, 文号,
//! dates, 有效性, 公开方式 and 范围; the index number given once per agency and year from a counter
//! row updated atomically, so concurrent cataloguing never hands out one number twice, and kept
//! through every edit. Public pages list it by agency, year, category, validity and 文号 and show
//! each item with the standard header block; the back office catalogues and edits; the API does
//! both.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::calendar::{date_text, today};
use platform::db::{Db, DbResult, Exec, Q, Scalar, sql};
use platform::module::DocumentQuery;
use platform::roles::Perm;
use platform::web::error::{FieldError, form_errors};
use platform::web::extract::{Form, Path, Query};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};
use serde::{Deserialize, Serialize};

use crate::domain::{self, GENRES, TOPICS, VALIDITY};
use crate::service;

#[derive(Debug, Clone, Default, Serialize, Deserialize, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub document_id: i64,
    pub org_id: i64,
    pub index_no: String,
    pub title: String,
    pub url: String,
    pub topic: String,
    pub genre: String,
    pub issuer: String,
    pub doc_no: String,
    pub written_on: Option<String>,
    pub published_on: String,
    pub formed_on: Option<String>,
    pub keywords: String,
    pub summary: String,
    pub validity: String,
    pub invalid_on: Option<String>,
    pub replaced_by: String,
    pub method: String,
    pub scope: String,
    pub year: i64,
    pub updated_at: i64,
    pub updated_by: String,
    /// Published more than 20 working days after it was formed (Art. 26); `None` until worked out.
    pub late: Option<bool>,
}

platform::template_value!(Item);

/// An item as the form and the API send it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["document_id", "org", "topic"]))]
pub struct ItemInput {
    /// 信息（文章）编号；编辑时不可改
    #[serde(default)]
    pub document_id: i64,
    /// 发布机构（公开主体）的机构代码；编辑时不可改
    #[serde(default)]
    pub org: String,
    /// 主题分类
    #[serde(default)]
    pub topic: String,
    /// 体裁分类
    #[serde(default)]
    pub genre: String,
    /// 发文机关（默认为发布机构名称）
    #[serde(default)]
    pub issuer: String,
    /// 文号，如 哈科规〔2024〕3号（括号写法不限）
    #[serde(default)]
    pub doc_no: String,
    /// 成文日期 YYYY-MM-DD
    #[serde(default)]
    pub written_on: String,
    /// 形成或变更日期 YYYY-MM-DD（条例第二十六条：20 个工作日内公开）
    #[serde(default)]
    pub formed_on: String,
    /// 主题词（空格分隔）
    #[serde(default)]
    pub keywords: String,
    /// 内容概述
    #[serde(default)]
    pub summary: String,
    /// 有效性：valid 有效、invalid 失效、repealed 废止
    #[serde(default)]
    pub validity: String,
    /// 失效或废止日期
    #[serde(default)]
    pub invalid_on: String,
    /// 替代文件（名称或文号）
    #[serde(default)]
    pub replaced_by: String,
    /// 公开方式
    #[serde(default)]
    pub method: String,
    /// 公开范围
    #[serde(default)]
    pub scope: String,
}

fn optional_date(errs: &mut Vec<FieldError>, field: &str, v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match platform::calendar::date(v) {
        Some(d) => Some(date_text(d)),
        None => {
            errs.push(FieldError::new(field, "日期格式应为 YYYY-MM-DD"));
            None
        }
    }
}

/// Checks an item's metadata against the agency's categories (`topics`: Art. 20 / 21 and its
/// own); every problem at once.
fn check(input: &ItemInput, topics: &[String]) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    if !topics.iter().any(|t| t == input.topic.trim()) {
        errs.push(FieldError::new("topic", "请选择主题分类"));
    }
    if !input.genre.trim().is_empty() && !GENRES.contains(&input.genre.trim()) {
        errs.push(FieldError::new("genre", "请从列表中选择体裁"));
    }
    let validity = if input.validity.trim().is_empty() { "valid" } else { input.validity.trim() };
    if !VALIDITY.iter().any(|(c, _)| *c == validity) {
        errs.push(FieldError::new("validity", "有效性只能是有效、失效或废止"));
    }
    optional_date(&mut errs, "written_on", &input.written_on);
    optional_date(&mut errs, "formed_on", &input.formed_on);
    let invalid_on = optional_date(&mut errs, "invalid_on", &input.invalid_on);
    if validity != "valid" && invalid_on.is_none() && !errs.iter().any(|e| e.field == "invalid_on") {
        errs.push(FieldError::new("invalid_on", "失效或废止的文件请填写失效日期"));
    }
    if input.summary.trim().chars().count() > 500 {
        errs.push(FieldError::new("summary", "内容概述不能超过 500 个字"));
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// The next sequence number of `org` in `year`, taken inside `tx` (one counter row per agency and
/// year, incremented atomically on both databases).
async fn next_seq(tx: &mut platform::db::Tx, org_id: i64, year: i32) -> DbResult<i64> {
    let seq: Scalar<i64> = tx
        .fetch_one(
            sql("INSERT INTO disclosure_index_seq (org_id, year, last_seq) VALUES ($1, $2, 1) \
                 ON CONFLICT (org_id, year) DO UPDATE SET last_seq = disclosure_index_seq.last_seq + 1 RETURNING last_seq")
            .bind(org_id)
            .bind(i64::from(year)),
        )
        .await?;
    Ok(seq.0)
}

/// The metadata columns an insert and an update both set, in this order.
fn meta(q: Q, input: &ItemInput, issuer: &str) -> Q {
    let mut errs = Vec::new();
    let validity = if input.validity.trim().is_empty() { "valid" } else { input.validity.trim() };
    q.bind(input.topic.trim())
        .bind(input.genre.trim())
        .bind(issuer)
        .bind(domain::normalise_doc_no(&input.doc_no))
        .bind(optional_date(&mut errs, "", &input.written_on))
        .bind(optional_date(&mut errs, "", &input.formed_on))
        .bind(input.keywords.trim())
        .bind(input.summary.trim())
        .bind(validity)
        .bind(if validity == "valid" { None } else { optional_date(&mut errs, "", &input.invalid_on) })
        .bind(input.replaced_by.trim())
        .bind(if input.method.trim().is_empty() { "政府网站" } else { input.method.trim() })
        .bind(if input.scope.trim().is_empty() { "面向社会" } else { input.scope.trim() })
}

/// Whether an item formed on `formed_on` (empty: not known) and published on `published_on` missed
/// Art. 26's 20 working days on the calendar as it stands.
pub fn late_of(cal: &platform::calendar::WorkCalendar, formed_on: &str, published_on: &str) -> bool {
    match (platform::calendar::date(formed_on.trim()), platform::calendar::date(published_on)) {
        (Some(f), Some(p)) => domain::published_late(cal, f, p),
        _ => false,
    }
}

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Item>> {
    db.fetch_optional(sql("SELECT * FROM disclosure_item WHERE id = $1").bind(id)).await
}

/// Catalogues a published document; returns the new item with its index number.
pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &ItemInput) -> Result<Item, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let org = orgs.iter().find(|o| o.code == input.org.trim()).cloned();
    match &org {
        Some(o) => auth.require(Perm::DisclosureManage, &service::scope(&orgs, o.id))?,
        None => auth.require_anywhere(Perm::DisclosureManage)?,
    }
    let topics = crate::tree::topics_of(&state.db, org.as_ref().map(|o| o.id)).await?;
    let mut errs = check(input, &topics).err().unwrap_or_default();
    if org.is_none() {
        errs.insert(0, FieldError::new("org", "请选择发布机构"));
    }
    let q = DocumentQuery { ids: vec![input.document_id], limit: 1, ..DocumentQuery::default() };
    let doc = state.modules.documents(state, &q).await?.into_iter().next();
    if doc.is_none() {
        errs.insert(0, FieldError::new("document_id", "没有这篇已发布的信息"));
    }
    let (Some(org), Some(doc), true) = (org, doc, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let item = insert(&state.db, &org, &doc, input, &auth.user.username).await?;
    state
        .audit(
            ctx,
            "disclosure.catalogue",
            &format!("disclosure_item:{}", item.index_no),
            "success",
            format!("编入公开目录：{}", doc.title),
        )
        .await;
    tell_subscribers(state, &item).await;
    Ok(item)
}

/// The subscription topic of one 主题分类 (on the portal, where `/gongkai/` lives).
pub fn topic_key(topic: &str) -> String {
    format!("disclosure:topic:{topic}")
}

/// The portal's 信息公开 topics: one per 主题分类.
pub async fn subscription_topics(state: &AppState, site_id: i64) -> Vec<platform::changes::Topic> {
    if platform::web::portal::portal_site_id(&state.db).await != Some(site_id as u64) {
        return Vec::new();
    }
    crate::tree::all_topics(&state.db)
        .await
        .unwrap_or_else(|_| TOPICS.iter().map(|t| (*t).to_owned()).collect())
        .into_iter()
        .map(|t| platform::changes::Topic { key: topic_key(&t), label: t, group: "政府信息公开".into() })
        .collect()
}

/// Tells the subscribers of an item's 主题分类 that it was catalogued (once per item; an edit
/// tells nobody again).
pub(crate) async fn tell_subscribers(state: &AppState, item: &Item) {
    let Some(site_id) = platform::web::portal::portal_site_id(&state.db).await else { return };
    let change = platform::changes::Change {
        source: format!("disclosure_item:{}", item.id),
        site_id: site_id as i64,
        path: format!("gongkai/items/{}", item.id),
        title: item.title.clone(),
        summary: format!("索引号 {}。{}", item.index_no, item.summary.chars().take(100).collect::<String>()),
        topics: vec![topic_key(&item.topic)],
        published_at: platform::db::now(),
    };
    if let Err(e) = platform::changes::announce(&state.db, &change).await {
        tracing::error!(error = %e, item = item.id, "subscription announcement failed");
    }
}

/// Writes a checked item for `doc` with the agency's next index number (one transaction).
pub async fn insert(
    db: &Db,
    org: &OrgUnit,
    doc: &platform::module::Document,
    input: &ItemInput,
    by: &str,
) -> Result<Item, AppError> {
    let published = platform::fmt_date(doc.published_at);
    let year: i32 = published.get(..4).and_then(|y| y.parse().ok()).unwrap_or_else(|| today().year());
    let issuer = if input.issuer.trim().is_empty() { org.name.clone() } else { input.issuer.trim().to_owned() };
    let late = late_of(&platform::calendar::load(db).await?, &input.formed_on, &published);
    let mut tx = db.begin().await?;
    let seq = next_seq(&mut tx, org.id, year).await?;
    let index_no = domain::index_number(&org.code, year, seq);
    let insert = sql(
        "INSERT INTO disclosure_item (document_id, org_id, index_no, title, url, published_on, year, updated_at, updated_by, late, \
         topic, genre, issuer, doc_no, written_on, formed_on, keywords, summary, validity, invalid_on, replaced_by, method, scope) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23) RETURNING id",
    )
    .bind(doc.id)
    .bind(org.id)
    .bind(&index_no)
    .bind(&doc.title)
    .bind(&doc.url)
    .bind(&published)
    .bind(i64::from(year))
    .bind(platform::db::now())
    .bind(by)
    .bind(late);
    let id: Scalar<i64> = match tx.fetch_one(meta(insert, input, &issuer)).await {
        Ok(id) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict("这篇信息已编入公开目录".into()));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    by_id(db, id.0).await?.ok_or(AppError::NotFound)
}

/// Edits an item's metadata; its index number, document and agency stay.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    item: &Item,
    input: &ItemInput,
) -> Result<Item, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, item.org_id))?;
    let topics = crate::tree::topics_of(&state.db, Some(item.org_id)).await?;
    check(input, &topics).map_err(AppError::Invalid)?;
    let issuer = if input.issuer.trim().is_empty() { item.issuer.clone() } else { input.issuer.trim().to_owned() };
    let late = late_of(&platform::calendar::load(&state.db).await?, &input.formed_on, &item.published_on);
    let q = sql(
        "UPDATE disclosure_item SET topic = $1, genre = $2, issuer = $3, doc_no = $4, written_on = $5, formed_on = $6, keywords = $7, \
         summary = $8, validity = $9, invalid_on = $10, replaced_by = $11, method = $12, scope = $13, updated_at = $14, updated_by = $15, \
         late = $16 WHERE id = $17",
    );
    state
        .db
        .execute(meta(q, input, &issuer).bind(platform::db::now()).bind(&auth.user.username).bind(late).bind(item.id))
        .await?;
    state
        .audit(
            ctx,
            "disclosure.catalogue",
            &format!("disclosure_item:{}", item.index_no),
            "success",
            format!("修改公开目录：{}", item.title),
        )
        .await;
    by_id(&state.db, item.id).await?.ok_or(AppError::NotFound)
}

// ---- 政策解读 --------------------------------------------------------------------------------------

/// An interpretation and the policy it explains, as either page shows the other.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    pub title: String,
    pub index_no: String,
    pub form: String,
}

platform::template_value!(Link);

/// The interpretations of `id` (when it is a policy) and the policies it interprets.
pub async fn links(db: &Db, id: i64) -> DbResult<(Vec<Link>, Vec<Link>)> {
    let interpretations = db
        .fetch_all(
            sql("SELECT i.id, i.title, i.index_no, l.form FROM disclosure_interpretation l JOIN disclosure_item i ON i.id = l.interpretation_id \
                 WHERE l.policy_id = $1 ORDER BY i.published_on")
            .bind(id),
        )
        .await?;
    let policies = db
        .fetch_all(
            sql("SELECT i.id, i.title, i.index_no, l.form FROM disclosure_interpretation l JOIN disclosure_item i ON i.id = l.policy_id \
                 WHERE l.interpretation_id = $1 ORDER BY i.published_on")
            .bind(id),
        )
        .await?;
    Ok((interpretations, policies))
}

/// Links an interpretation (named by its index number) to a policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["index_no", "form"]))]
pub struct LinkInput {
    /// 解读信息的索引号
    #[serde(default)]
    pub index_no: String,
    /// 解读形式：文字解读、图解、视频解读、问答
    #[serde(default)]
    pub form: String,
}

pub async fn link(state: &AppState, ctx: &Ctx, auth: &Auth, policy: &Item, input: &LinkInput) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::DisclosureManage, &service::scope(&orgs, policy.org_id))?;
    if !domain::INTERPRETATION_FORMS.contains(&input.form.trim()) {
        return Err(AppError::invalid("form", "请选择解读形式"));
    }
    let other: Option<Item> = state
        .db
        .fetch_optional(sql("SELECT * FROM disclosure_item WHERE index_no = $1").bind(input.index_no.trim()))
        .await?;
    let other = match other {
        Some(o) if o.id != policy.id => o,
        _ => return Err(AppError::invalid("index_no", "没有这个索引号的目录信息（解读本身须先编入目录）")),
    };
    insert_link(&state.db, policy.id, other.id, input.form.trim()).await?;
    state.modules.documents_changed(state, &[policy.document_id, other.document_id]).await;
    state
        .audit(
            ctx,
            "disclosure.interpretation",
            &format!("disclosure_item:{}", policy.index_no),
            "success",
            format!("关联政策解读：{}", other.title),
        )
        .await;
    Ok(())
}

/// Links an interpretation to a policy, and declares the link for both documents' own pages (the
/// CMS article of the policy lists its interpretations and the other way round).
pub async fn insert_link(db: &Db, policy: i64, interpretation: i64, form: &str) -> Result<(), AppError> {
    let (Some(p), Some(i)) = (by_id(db, policy).await?, by_id(db, interpretation).await?) else {
        return Err(AppError::NotFound);
    };
    let mut tx = db.begin().await?;
    match tx
        .execute(
            sql("INSERT INTO disclosure_interpretation (policy_id, interpretation_id, form) VALUES ($1, $2, $3)")
                .bind(policy)
                .bind(interpretation)
                .bind(form),
        )
        .await
    {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => return Err(AppError::Conflict("这条解读已经关联".into())),
        Err(e) => return Err(e.into()),
    }
    let link = |document_id, label: &str, other: &Item| platform::relations::DocumentLink {
        document_id,
        label: label.to_owned(),
        title: other.title.clone(),
        url: other.url.clone(),
    };
    platform::relations::add(
        &mut tx,
        "disclosure",
        &[link(p.document_id, form, &i), link(i.document_id, "解读的政策文件", &p)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Per agency: policy documents (主题 法规规章和规范性文件) with and without an interpretation.
pub async fn interpretation_counts(db: &Db) -> DbResult<Vec<(i64, i64, i64)>> {
    db.fetch_all(sql(
        "SELECT org_id, COUNT(*) AS policies, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM disclosure_interpretation l WHERE l.policy_id = disclosure_item.id) THEN 1 ELSE 0 END) AS interpreted \
         FROM disclosure_item WHERE topic = '法规规章和规范性文件' GROUP BY org_id ORDER BY org_id",
    ))
    .await
}

/// What the catalogue is filtered by.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// 发布机构代码
    #[serde(default)]
    pub org: String,
    /// 年度
    #[serde(default)]
    pub year: String,
    /// 主题分类
    #[serde(default)]
    pub topic: String,
    /// 有效性
    #[serde(default)]
    pub validity: String,
    /// 文号（括号写法不限，精确匹配）
    #[serde(default)]
    pub doc_no: String,
    /// 页码
    #[serde(default)]
    pub page: Option<i64>,
}

/// A page of the catalogue, newest first, and the count of all that match; `within`: only these
/// agencies' items (the office's own).
pub async fn list(
    db: &Db,
    orgs: &[OrgUnit],
    within: Option<&[i64]>,
    f: &Filter,
    limit: i64,
) -> DbResult<(Vec<Item>, i64)> {
    let build = |select: &str| {
        let mut q = sql(format!("SELECT {select} FROM disclosure_item WHERE 1=1")).and_within("org_id", within);
        if let Some(o) = orgs.iter().find(|o| o.code == f.org) {
            q = q.push(" AND org_id = ").push_bind(o.id);
        } else if !f.org.is_empty() {
            q = q.push(" AND 1=0");
        }
        if let Ok(y) = f.year.trim().parse::<i64>() {
            q = q.push(" AND year = ").push_bind(y);
        }
        if !f.topic.is_empty() {
            q = q.push(" AND topic = ").push_bind(f.topic.clone());
        }
        if !f.validity.is_empty() {
            q = q.push(" AND validity = ").push_bind(f.validity.clone());
        }
        let doc_no = domain::normalise_doc_no(&f.doc_no);
        if !doc_no.is_empty() {
            q = q.push(" AND doc_no = ").push_bind(doc_no);
        }
        q
    };
    let total = db.count(build("COUNT(*)")).await?;
    let offset = (platform::web::api::page_of(f.page) - 1) * limit;
    let rows = db
        .fetch_all(
            build("*")
                .push(" ORDER BY published_on DESC, id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Items the office should look at: published more than 20 working days after they were formed
/// (Art. 26, the flag kept when an item is written), and valid documents written more than five
/// years ago (有效性 to review).
pub async fn attention(db: &Db, orgs: Option<&[i64]>) -> DbResult<(Vec<Item>, Vec<Item>)> {
    let late = db
        .fetch_all(
            sql("SELECT * FROM disclosure_item WHERE late = ")
                .push_bind(true)
                .and_within("org_id", orgs)
                .push(" ORDER BY published_on DESC LIMIT 50"),
        )
        .await?;
    let five_years_ago = format!("{}-{}", today().year() - 5, &date_text(today())[5..]);
    let review = db
        .fetch_all(
            sql("SELECT * FROM disclosure_item WHERE validity = 'valid' AND written_on < ")
                .push_bind(five_years_ago)
                .and_within("org_id", orgs)
                .push(" ORDER BY written_on LIMIT 50"),
        )
        .await?;
    Ok((late, review))
}

// ---- pages ----------------------------------------------------------------------------------------

pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/gongkai/catalogue", routing::get(public_list))
        .route("/gongkai/items/{id}", routing::get(public_item))
}

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/disclosure/catalogue", routing::get(admin_list))
        .route("/admin/disclosure/catalogue/new", routing::get(new_page).post(new_submit))
        .route("/admin/disclosure/catalogue/{id}", routing::get(edit_page).post(edit_submit))
        .route("/admin/disclosure/catalogue/{id}/interpretations", routing::post(link_submit))
}

/// The choices of the catalogue's filters and forms; `topics`: the categories offered.
fn options(orgs: &[OrgUnit], topics: Vec<String>) -> Value {
    let years: Vec<i32> = ((today().year() - 9)..=today().year()).rev().collect();
    context! {
        topics, genres => GENRES.to_vec(), validity => VALIDITY.to_vec(), years,
        orgs => orgs.iter().map(|o| (o.code.clone(), o.name.clone())).collect::<Vec<_>>(),
    }
}

fn validity_label(code: &str) -> &'static str {
    service::label_of(&VALIDITY, code)
}

async fn public_list(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filter>) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let (items, total) = list(&state.db, &orgs, None, &f, 20).await?;
    let rows: Vec<Value> = items
        .iter()
        .map(|i| context! { id => i.id, index_no => i.index_no.clone(), title => i.title.clone(), doc_no => i.doc_no.clone(), published_on => i.published_on.clone(), validity => validity_label(&i.validity), topic => i.topic.clone() })
        .collect();
    let page = platform::web::api::page_of(f.page);
    let keep = serde_urlencoded::to_string(Filter { page: None, ..f.clone() }).unwrap_or_default();
    // Agencies that have catalogued something.
    let with_items: Vec<i64> = state
        .db
        .fetch_all::<Scalar<i64>>(sql("SELECT DISTINCT org_id FROM disclosure_item"))
        .await?
        .into_iter()
        .map(|s| s.0)
        .collect();
    let agencies: Vec<OrgUnit> = orgs.iter().filter(|o| with_items.contains(&o.id)).cloned().collect();
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/gk_catalogue.html",
            StatusCode::OK,
            context! { title => "政府信息公开目录", rows, total, page, pages => (total + 19) / 20, filter => sv(&f), opts => options(&agencies, crate::tree::all_topics(&state.db).await?),
            pager_base => format!("/gongkai/catalogue?{keep}&"), nav_current => "/gongkai/catalogue", crumbs => vec![(String::new(), "公开目录".to_owned())] },
            false,
        )
        .await
}

async fn public_item(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let item = by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let agency = orgs.iter().find(|o| o.id == item.org_id).map(|o| o.name.clone()).unwrap_or_default();
    let (interpretations, policies) = links(&state.db, item.id).await?;
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/gk_item.html",
            StatusCode::OK,
            context! { title => item.title.clone(), validity => validity_label(&item.validity), agency, item, interpretations, policies,
            nav_current => "/gongkai/catalogue", crumbs => vec![("/gongkai/catalogue".to_owned(), "公开目录".to_owned()), (String::new(), "目录信息".to_owned())] },
            false,
        )
        .await
}

async fn admin_list(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(f): Query<Filter>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::DisclosureManage, &orgs);
    let (items, total) = list(&state.db, &orgs, mine.as_deref(), &f, 30).await?;
    let (late, review) = attention(&state.db, mine.as_deref()).await?;
    // Published documents with a 文号 not yet in the catalogue, to catalogue next.
    let docs = state
        .modules
        .documents(&state, &DocumentQuery { with_doc_no: true, limit: 200, ..DocumentQuery::default() })
        .await?;
    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    let done: Vec<i64> = if ids.is_empty() {
        Vec::new()
    } else {
        state
            .db
            .fetch_all::<Scalar<i64>>(
                sql("SELECT document_id FROM disclosure_item WHERE 1=1").and_within("document_id", Some(&ids)),
            )
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect()
    };
    let pending: Vec<_> = docs.into_iter().filter(|d| !done.contains(&d.id)).take(20).collect();
    let page = platform::web::api::page_of(f.page);
    let keep = serde_urlencoded::to_string(Filter { page: None, ..f.clone() }).unwrap_or_default();
    let interpreted: Vec<(String, i64, i64)> = interpretation_counts(&state.db)
        .await?
        .into_iter()
        .filter(|(org, _, _)| mine.as_ref().is_none_or(|m| m.contains(org)))
        .map(|(org, policies, with)| {
            (orgs.iter().find(|o| o.id == org).map(|o| o.name.clone()).unwrap_or_default(), policies, with)
        })
        .collect();
    Ok(state
        .render(
            &ctx,
            "admin/gk_catalogue.html",
            context! { items => sv(&items), total, late, review, pending => sv(&pending), interpreted, filter => sv(&f), opts => options(&orgs, crate::tree::all_topics(&state.db).await?), page,
            pages => (total + 29) / 30, pager_base => format!("/admin/disclosure/catalogue?{keep}&") },
        )?
        .into_response())
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    orgs: &[OrgUnit],
    item: Option<&Item>,
    input: &ItemInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (interpretations, policies) = match item {
        Some(i) => links(&state.db, i.id).await?,
        None => (Vec::new(), Vec::new()),
    };
    let topics = match item {
        Some(i) => crate::tree::topics_of(&state.db, Some(i.org_id)).await?,
        None => crate::tree::all_topics(&state.db).await?,
    };
    let page = context! { item, form => sv(input), errors, opts => options(orgs, topics), interpretations, policies, forms => domain::INTERPRETATION_FORMS.to_vec() };
    Ok((status, state.render(ctx, "admin/gk_item_form.html", page)?).into_response())
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    document: i64,
}

async fn new_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let doc = state
        .modules
        .documents(&state, &DocumentQuery { ids: vec![q.document], limit: 1, ..DocumentQuery::default() })
        .await?
        .into_iter()
        .next();
    let org = doc.as_ref().and_then(|d| d.org_id).and_then(|id| orgs.iter().find(|o| o.id == id));
    let input = ItemInput {
        document_id: q.document,
        org: org.map(|o| o.code.clone()).unwrap_or_default(),
        doc_no: doc.as_ref().map(|d| d.doc_no.clone()).unwrap_or_default(),
        keywords: doc.as_ref().map(|d| d.keywords.clone()).unwrap_or_default(),
        summary: doc.as_ref().map(|d| d.summary.clone()).unwrap_or_default(),
        topic: TOPICS[0].into(),
        genre: "通知".into(),
        validity: "valid".into(),
        ..ItemInput::default()
    };
    form_page(&state, &ctx, &orgs, None, &input, BTreeMap::new(), StatusCode::OK).await
}

async fn new_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<ItemInput>,
) -> Result<Response, AppError> {
    match create(&state, &ctx, &staff, &input).await {
        Ok(item) => Ok(see_other(&format!("/admin/disclosure/catalogue/{}", item.id))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let orgs = accounts::list_orgs(&state.db).await?;
            form_page(&state, &ctx, &orgs, None, &input, errors, status).await
        }
    }
}

fn input_of(i: &Item, orgs: &[OrgUnit]) -> ItemInput {
    ItemInput {
        document_id: i.document_id,
        org: orgs.iter().find(|o| o.id == i.org_id).map(|o| o.code.clone()).unwrap_or_default(),
        topic: i.topic.clone(),
        genre: i.genre.clone(),
        issuer: i.issuer.clone(),
        doc_no: i.doc_no.clone(),
        written_on: i.written_on.clone().unwrap_or_default(),
        formed_on: i.formed_on.clone().unwrap_or_default(),
        keywords: i.keywords.clone(),
        summary: i.summary.clone(),
        validity: i.validity.clone(),
        invalid_on: i.invalid_on.clone().unwrap_or_default(),
        replaced_by: i.replaced_by.clone(),
        method: i.method.clone(),
        scope: i.scope.clone(),
    }
}

async fn managed_item(state: &AppState, staff: &Staff, id: i64) -> Result<(Item, Vec<OrgUnit>), AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let item = by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    staff.require(Perm::DisclosureManage, &service::scope(&orgs, item.org_id))?;
    Ok((item, orgs))
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, orgs) = managed_item(&state, &staff, id).await?;
    form_page(&state, &ctx, &orgs, Some(&item), &input_of(&item, &orgs), BTreeMap::new(), StatusCode::OK).await
}

async fn edit_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<ItemInput>,
) -> Result<Response, AppError> {
    let (item, orgs) = managed_item(&state, &staff, id).await?;
    match update(&state, &ctx, &staff, &item, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/disclosure/catalogue/{id}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            form_page(&state, &ctx, &orgs, Some(&item), &input, errors, status).await
        }
    }
}

async fn link_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<LinkInput>,
) -> Result<Response, AppError> {
    let (item, orgs) = managed_item(&state, &staff, id).await?;
    match link(&state, &ctx, &staff, &item, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/disclosure/catalogue/{id}"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            form_page(&state, &ctx, &orgs, Some(&item), &input_of(&item, &orgs), errors, status).await
        }
    }
}

// ---- API ------------------------------------------------------------------------------------------

pub fn api_routes() -> Vec<platform::web::api::ApiRoute> {
    use platform::web::api::{ApiRoute, schema_of};
    let r = |m, p, s, perm, body, h| ApiRoute::new("政府信息公开", m, p, s, perm, body, h);
    vec![
        r(
            "get",
            "/api/v1/disclosure-items",
            "公开目录（?org=、year=、topic=、validity=、doc_no=、page=）",
            Some(Perm::DisclosureManage),
            None,
            routing::get(api_list),
        )
        .with_query(schema_of::<Filter>),
        r(
            "post",
            "/api/v1/disclosure-items",
            "把一篇已发布的信息编入公开目录（生成索引号）",
            Some(Perm::DisclosureManage),
            Some(schema_of::<ItemInput>),
            axum::routing::post(api_create),
        ),
        r(
            "put",
            "/api/v1/disclosure-items/{id}",
            "修改目录信息（索引号不变）",
            Some(Perm::DisclosureManage),
            Some(schema_of::<ItemInput>),
            axum::routing::put(api_update),
        ),
        r(
            "post",
            "/api/v1/disclosure-items/{id}/interpretations",
            "为政策文件关联一条解读（按解读的索引号）",
            Some(Perm::DisclosureManage),
            Some(schema_of::<LinkInput>),
            axum::routing::post(api_link),
        ),
    ]
}

async fn api_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Filter>,
) -> Result<platform::web::extract::Json<serde_json::Value>, AppError> {
    staff.require_anywhere(Perm::DisclosureManage)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (items, total) = list(&state.db, &orgs, None, &f, 100).await?;
    Ok(platform::web::extract::Json(serde_json::json!({ "items": items, "total": total })))
}

async fn api_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    platform::web::extract::Json(input): platform::web::extract::Json<ItemInput>,
) -> Result<platform::web::extract::Json<Item>, AppError> {
    Ok(platform::web::extract::Json(create(&state, &ctx, &staff, &input).await?))
}

async fn api_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    platform::web::extract::Json(input): platform::web::extract::Json<ItemInput>,
) -> Result<platform::web::extract::Json<Item>, AppError> {
    let (item, _) = managed_item(&state, &staff, id).await?;
    Ok(platform::web::extract::Json(update(&state, &ctx, &staff, &item, &input).await?))
}

async fn api_link(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    platform::web::extract::Json(input): platform::web::extract::Json<LinkInput>,
) -> Result<platform::web::extract::Json<serde_json::Value>, AppError> {
    let (item, _) = managed_item(&state, &staff, id).await?;
    link(&state, &ctx, &staff, &item, &input).await?;
    let (interpretations, policies) = links(&state.db, id).await?;
    Ok(platform::web::extract::Json(serde_json::json!({ "interpretations": interpretations, "policies": policies })))
}
