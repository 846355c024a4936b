//! 企业名录: the enterprise directory the registration authority's files fill through the import
//! framework (keyed by 统一社会信用代码), its public pages under `/shuju/qiye/` (search by name in
//! the site group's index, credit code, industry, area and registration date; only public fields
//! shown) and its documents in the search index (kind `enterprise`).

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use platform::db::{Db, DbResult, sql};
use platform::web::extract::{Path, Query};
use platform::web::{AppError, AppState, Ctx, sv};
use search::{SearchDoc, SearchIndex, SearchRequest};
use serde::{Deserialize, Serialize};

use crate::domain::{AREAS, INDUSTRIES, KINDS, STATUSES, label};
use crate::mapping::{FieldSpec, FieldType, Schema};

/// The directory's fields; each key is its column in `data_enterprise`.
pub static FIELDS: [FieldSpec; 12] = [
    FieldSpec {
        key: "credit_code",
        label: "统一社会信用代码",
        ty: FieldType::CreditCode,
        required: true,
        public: true,
        aliases: &["信用代码", "社会信用代码", "USCC"],
    },
    FieldSpec {
        key: "name",
        label: "企业名称",
        ty: FieldType::Text(200),
        required: true,
        public: true,
        aliases: &["名称", "企业（机构）名称"],
    },
    FieldSpec {
        key: "kind",
        label: "企业类型",
        ty: FieldType::Code(&KINDS),
        required: false,
        public: true,
        aliases: &["类型"],
    },
    FieldSpec {
        key: "legal_rep",
        label: "法定代表人",
        ty: FieldType::Text(50),
        required: false,
        public: true,
        aliases: &["法定代表人（负责人）", "负责人"],
    },
    FieldSpec {
        key: "industry",
        label: "所属行业",
        ty: FieldType::Code(&INDUSTRIES),
        required: false,
        public: true,
        aliases: &["行业门类", "行业"],
    },
    FieldSpec {
        key: "area_code",
        label: "所在区域",
        ty: FieldType::Code(&AREAS),
        required: false,
        public: true,
        aliases: &["行政区划", "行政区划代码", "所属区县"],
    },
    FieldSpec {
        key: "registered_on",
        label: "成立日期",
        ty: FieldType::Date,
        required: false,
        public: true,
        aliases: &["登记日期", "注册日期"],
    },
    FieldSpec {
        key: "capital",
        label: "注册资本（万元）",
        ty: FieldType::Decimal,
        required: false,
        public: true,
        aliases: &["注册资本", "注册资金"],
    },
    FieldSpec {
        key: "address",
        label: "住所",
        ty: FieldType::Text(300),
        required: false,
        public: true,
        aliases: &["地址", "经营场所"],
    },
    FieldSpec {
        key: "scope",
        label: "经营范围",
        ty: FieldType::Text(4000),
        required: false,
        public: true,
        aliases: &[],
    },
    FieldSpec {
        key: "status",
        label: "登记状态",
        ty: FieldType::Code(&STATUSES),
        required: false,
        public: true,
        aliases: &["经营状态", "状态"],
    },
    // The registry's contact phone is for departments, not the public.
    FieldSpec {
        key: "phone",
        label: "联系电话",
        ty: FieldType::Phone,
        required: false,
        public: false,
        aliases: &["电话"],
    },
];

pub static SCHEMA: Schema = Schema { fields: &FIELDS, key: "credit_code", keeps_other_columns: false };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub kind: String,
    pub legal_rep: String,
    pub industry: String,
    pub area_code: String,
    pub registered_on: String,
    pub capital: String,
    pub address: String,
    pub scope: String,
    pub status: String,
    pub phone: String,
    pub row_hash: String,
    pub source_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Enterprise {
    /// A field's value by its key, as stored.
    pub fn value(&self, key: &str) -> &str {
        match key {
            "credit_code" => &self.credit_code,
            "name" => &self.name,
            "kind" => &self.kind,
            "legal_rep" => &self.legal_rep,
            "industry" => &self.industry,
            "area_code" => &self.area_code,
            "registered_on" => &self.registered_on,
            "capital" => &self.capital,
            "address" => &self.address,
            "scope" => &self.scope,
            "status" => &self.status,
            "phone" => &self.phone,
            _ => "",
        }
    }
}

/// A field's value as people read it: a code with its label.
pub fn display(f: &FieldSpec, value: &str) -> String {
    match f.ty {
        FieldType::Code(table) if !value.is_empty() => {
            let l = label(table, value);
            if l.is_empty() { value.to_owned() } else { l.to_owned() }
        }
        _ => value.to_owned(),
    }
}

// ---- the import target ----------------------------------------------------------------------------

/// The directory's table, filled by the import framework's flat-table writer.
pub static TABLE: crate::import::FlatTable = crate::import::FlatTable { table: "data_enterprise", schema: &SCHEMA };

// ---- queries --------------------------------------------------------------------------------------

pub async fn by_id(db: &Db, id: i64) -> DbResult<Option<Enterprise>> {
    db.fetch_optional(sql("SELECT * FROM data_enterprise WHERE id = $1").bind(id)).await
}

/// The directory's filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// 企业名称（检索）
    #[serde(default)]
    pub q: String,
    /// 统一社会信用代码
    #[serde(default)]
    pub code: String,
    /// 行业门类（GB/T 4754）
    #[serde(default)]
    pub industry: String,
    /// 区域（GB/T 2260）
    #[serde(default)]
    pub area: String,
    /// 成立日期起
    #[serde(default)]
    pub from: String,
    /// 成立日期止
    #[serde(default)]
    pub to: String,
    /// 页码
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub page: Option<i64>,
}

/// Ids of enterprises whose names match `q` in the search index (at most 2,000, best first), or
/// `None` when there is no index to ask.
fn name_hits(idx: Option<&SearchIndex>, q: &str) -> Option<Vec<i64>> {
    let idx = idx?;
    let req = SearchRequest { q: q.to_owned(), kind: Some(KIND.into()), limit: 2000, ..SearchRequest::default() };
    let res = idx.search(&req).ok()?;
    Some(res.hits.iter().filter_map(|h| i64::try_from(h.id).ok()).collect())
}

/// A page of the directory (newest registrations first) and how many match.
pub async fn list(db: &Db, idx: Option<&SearchIndex>, f: &Filter, limit: i64) -> DbResult<(Vec<Enterprise>, i64)> {
    let q = f.q.trim();
    let hits = if q.is_empty() { None } else { name_hits(idx, q) };
    let build = |select: &str| {
        let mut s = sql(format!("SELECT {select} FROM data_enterprise WHERE 1=1"));
        if !q.is_empty() {
            s = match &hits {
                Some(ids) => s.and_within("id", Some(ids)),
                None => s.push(" AND name LIKE ").push_bind(format!("%{}%", q.replace(['%', '_'], ""))),
            };
        }
        let code = f.code.trim().to_ascii_uppercase();
        if !code.is_empty() {
            s = s.push(" AND credit_code = ").push_bind(code);
        }
        if !f.industry.is_empty() {
            s = s.push(" AND industry = ").push_bind(f.industry.clone());
        }
        if !f.area.is_empty() {
            s = s.push(" AND area_code = ").push_bind(f.area.clone());
        }
        if let Some(d) = crate::mapping::parse_date(&f.from) {
            s = s.push(" AND registered_on >= ").push_bind(d);
        }
        if let Some(d) = crate::mapping::parse_date(&f.to) {
            s = s.push(" AND registered_on <= ").push_bind(d);
        }
        s
    };
    let total = db.count(build("COUNT(*)")).await?;
    let offset = (platform::web::api::page_of(f.page) - 1) * limit;
    let rows = db
        .fetch_all(
            build("*")
                .push(" ORDER BY registered_on DESC, id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

// ---- search index ---------------------------------------------------------------------------------

pub const KIND: &str = "enterprise";

pub const SEARCH_KIND: platform::module::SearchKind =
    platform::module::SearchKind { kind: KIND, label: "企业名录", url_prefix: "/shuju/qiye/" };

pub fn doc(e: &Enterprise, site: Option<u64>) -> SearchDoc {
    let summary =
        [label(&INDUSTRIES, &e.industry), label(&AREAS, &e.area_code), e.registered_on.as_str(), e.status.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ");
    SearchDoc {
        key: format!("{KIND}:{}", e.id),
        kind: KIND.into(),
        id: u64::try_from(e.id).unwrap_or(0),
        sites: site.into_iter().collect(),
        channels: Vec::new(),
        dept: None,
        date: e.updated_at,
        validity: String::new(),
        title: e.name.clone(),
        summary,
        body: format!("{}\n{}", e.address, e.scope),
        doc_number: String::new(),
        index_number: e.credit_code.clone(),
    }
}

/// Indexes the enterprises changed at or after `since`; returns the newest change seen.
pub async fn index_step(db: &Db, idx: &SearchIndex, since: i64, site: Option<u64>) -> DbResult<i64> {
    let mut mark = since;
    let mut after_id = 0i64;
    loop {
        let rows: Vec<Enterprise> = db
            .fetch_all(
                sql("SELECT * FROM data_enterprise WHERE updated_at >= $1 AND id > $2 ORDER BY id LIMIT 5000")
                    .bind(since)
                    .bind(after_id),
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after_id = last.id;
        mark = mark.max(rows.iter().map(|e| e.updated_at).max().unwrap_or(since));
        let docs: Vec<SearchDoc> = rows.iter().map(|e| doc(e, site)).collect();
        if let Err(e) = idx.apply(&docs, &[]) {
            tracing::error!(error = %e, "indexing enterprises failed");
            return Ok(since);
        }
    }
    Ok(mark)
}

/// Every node: index the directory at start, then what imports change, every 15 seconds.
pub fn spawn_indexing(db: Db, idx: Arc<SearchIndex>) {
    tokio::spawn(async move {
        let mut since = i64::MIN;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            tick.tick().await;
            if !idx.is_writable() {
                continue;
            }
            let total = db.count(sql("SELECT COUNT(*) FROM data_enterprise")).await.unwrap_or(0);
            if usize::try_from(total).unwrap_or(0) > idx.count_kind(KIND).unwrap_or(0) {
                since = i64::MIN;
            }
            let site = platform::web::portal::portal_site_id(&db).await;
            if let Ok(next) = index_step(&db, &idx, since, site).await {
                since = next;
            }
        }
    });
}

// ---- public pages ---------------------------------------------------------------------------------

const PAGE: i64 = 20;

pub async fn public_list(
    State(state): State<AppState>,
    Extension(module): Extension<Arc<crate::Data>>,
    ctx: Ctx,
    Query(f): Query<Filter>,
) -> Result<Response, AppError> {
    let (rows, total) = list(&state.db, module.search.as_deref(), &f, PAGE).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|e| context! { id => e.id, name => e.name.clone(), code => e.credit_code.clone(), industry => label(&INDUSTRIES, &e.industry), area => label(&AREAS, &e.area_code), registered_on => e.registered_on.clone(), status => e.status.clone() })
        .collect();
    let page = platform::web::api::page_of(f.page);
    let keep = serde_urlencoded::to_string(Filter { page: None, ..f.clone() }).unwrap_or_default();
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_enterprises.html",
            StatusCode::OK,
            context! { title => "企业名录", rows, total, page, pages => (total + PAGE - 1) / PAGE, filter => sv(&f),
            industries => INDUSTRIES.to_vec(), areas => AREAS.to_vec(),
            pager_base => format!("/shuju/qiye/?{keep}&"), nav_current => "/shuju/qiye/",
            crumbs => vec![(String::new(), "企业名录".to_owned())] },
            false,
        )
        .await
}

pub async fn public_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, AppError> {
    let e = by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    // Only the fields marked public; the rest never reach the page.
    let fields: Vec<(&str, String)> =
        FIELDS.iter().filter(|f| f.public).map(|f| (f.label, display(f, e.value(f.key)))).collect();
    state
        .public_response(
            &ctx,
            &crate::public::SECTION,
            "public/sj_enterprise.html",
            StatusCode::OK,
            context! { title => e.name.clone(), fields, updated => platform::fmt_time(e.updated_at), nav_current => "/shuju/qiye/",
                crumbs => vec![("/shuju/qiye/".to_owned(), "企业名录".to_owned()), (String::new(), "企业信息".to_owned())] },
            false,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_keys_are_columns_and_the_key_is_public() {
        assert_eq!(SCHEMA.fields[SCHEMA.key_index()].key, "credit_code");
        assert!(FIELDS.iter().all(|f| f.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        assert!(!FIELDS.iter().find(|f| f.key == "phone").unwrap().public);
        assert_eq!(display(&FIELDS[4], "C"), "制造业");
        assert_eq!(display(&FIELDS[1], "冰城"), "冰城");
    }
}
