//! A read-only CKAN-compatible Action API (`/api/3/action/{action}`) over the open-data catalogue,
//! so existing harvesters and clients (ckanapi, ckanr, the provincial platforms' CKAN harvesters)
//! read us unchanged: `package_list`, `package_search`, `package_show`, `organization_list`,
//! `organization_show` and `status_show`, each in CKAN's `{help, success, result}` envelope, by
//! GET or POST (JSON or form). Writing actions are refused as CKAN refuses an anonymous caller.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::accounts;
use platform::web::extract::Path;
use platform::web::{AppError, AppState, Ctx};
use serde_json::{Value, json};

use crate::catalogue::{self, Filter, Order};

/// Rows a `package_search` returns at most (CKAN's `ckan.search.rows_max` default).
pub const ROWS_MAX: i64 = 1000;

fn help(base: &str, action: &str) -> String {
    format!("{base}/api/3/action/help_show?name={action}")
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"), (header::CACHE_CONTROL, "public, max-age=60")],
        axum::Json(body),
    )
        .into_response()
}

fn ok(base: &str, action: &str, result: Value) -> Response {
    reply(StatusCode::OK, json!({"help": help(base, action), "success": true, "result": result}))
}

fn fail(base: &str, action: &str, status: StatusCode, kind: &str, message: &str) -> Response {
    reply(status, json!({"help": help(base, action), "success": false, "error": {"__type": kind, "message": message}}))
}

fn validation(base: &str, action: &str, field: &str, message: &str) -> Response {
    reply(
        StatusCode::CONFLICT,
        json!({"help": help(base, action), "success": false, "error": {"__type": "Validation Error", field: [message]}}),
    )
}

/// The request's parameters: the query string, then a JSON or form body (a body wins).
fn params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, Value>, &'static str> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(q) = query {
        for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(q).map_err(|_| "查询参数格式不正确")?
        {
            out.insert(k, Value::String(v));
        }
    }
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if form {
            for (k, v) in serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).map_err(|_| "表单格式不正确")?
            {
                out.insert(k, Value::String(v));
            }
        } else {
            let v: Value = serde_json::from_slice(body).map_err(|_| "请求体应是 JSON 对象")?;
            let obj = v.as_object().ok_or("请求体应是 JSON 对象")?;
            out.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    Ok(out)
}

fn text(p: &BTreeMap<String, Value>, k: &str) -> String {
    match p.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// An integer parameter within bounds, its default when absent; `Err` names a bad one.
fn int(p: &BTreeMap<String, Value>, k: &str, default: i64, max: i64) -> Result<i64, String> {
    let raw = text(p, k);
    if raw.is_empty() {
        return Ok(default);
    }
    match raw.trim().parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(n),
        _ => Err(format!("Invalid integer (0–{max})")),
    }
}

fn truthy(p: &BTreeMap<String, Value>, k: &str) -> bool {
    matches!(p.get(k), Some(Value::Bool(true)))
        || matches!(text(p, k).to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// `fq` terms we filter on: `organization:`, `tags:`, `theme:` (quotes allowed); others are ignored.
pub fn parse_fq(fq: &str, f: &mut Filter) {
    for term in fq.split_whitespace().filter(|t| *t != "AND" && *t != "+") {
        let term = term.trim_start_matches('+');
        let Some((k, v)) = term.split_once(':') else { continue };
        let v = v.trim_matches('"').to_owned();
        match k {
            "organization" | "owner_org" => f.org = v,
            "tags" => f.tag = v,
            "theme" | "groups" => f.theme = v,
            _ => {}
        }
    }
}

pub async fn action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    let base = format!("{scheme}://{}", ctx.host);
    let action = name.as_str();
    let p = match params(query.as_deref(), &headers, &body) {
        Ok(p) => p,
        Err(m) => return Ok(fail(&base, action, StatusCode::BAD_REQUEST, "Bad request", m)),
    };
    let db = &state.db;
    match action {
        "status_show" => Ok(ok(
            &base,
            action,
            json!({"site_title": "政府数据开放", "site_url": base, "ckan_version": "2.10.0", "api_version": 3, "locale_default": "zh_Hans_CN", "extensions": ["dcat"]}),
        )),
        "package_list" => {
            let limit = match int(&p, "limit", ROWS_MAX, ROWS_MAX) {
                Ok(n) => n,
                Err(m) => return Ok(validation(&base, action, "limit", &m)),
            };
            let offset = match int(&p, "offset", 0, i64::MAX) {
                Ok(n) => n,
                Err(m) => return Ok(validation(&base, action, "offset", &m)),
            };
            Ok(ok(&base, action, json!(catalogue::published_names(db, offset, limit).await?)))
        }
        "package_show" => {
            let id = text(&p, "id");
            if id.is_empty() {
                return Ok(validation(&base, action, "id", "Missing value"));
            }
            let d = match catalogue::by_name_or_id(db, &id).await? {
                Some(d) if d.is_published() => d,
                _ => return Ok(fail(&base, action, StatusCode::NOT_FOUND, "Not Found Error", "Not found")),
            };
            let orgs = accounts::list_orgs(db).await?;
            let res = catalogue::resources(db, d.id).await?;
            let latest = catalogue::latest_versions(db, &res.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
            Ok(ok(&base, action, catalogue::ckan_package(&base, &d, &orgs, &res, &latest)))
        }
        "package_search" => {
            let rows = match int(&p, "rows", 10, ROWS_MAX) {
                Ok(n) => n,
                Err(m) => return Ok(validation(&base, action, "rows", &m)),
            };
            let start = match int(&p, "start", 0, 1_000_000) {
                Ok(n) => n,
                Err(m) => return Ok(validation(&base, action, "start", &m)),
            };
            let q = text(&p, "q");
            let mut f = Filter { q: if q.trim() == "*:*" { String::new() } else { q }, ..Filter::default() };
            parse_fq(&text(&p, "fq"), &mut f);
            let sort = text(&p, "sort");
            let order = match sort.trim() {
                "" | "metadata_modified desc" | "score desc, metadata_modified desc" => Order::Modified,
                "title_string asc" | "title asc" => Order::Title,
                "name asc" => Order::Name,
                _ => {
                    return Ok(validation(
                        &base,
                        action,
                        "sort",
                        "Unsupported sort (metadata_modified desc, title_string asc, name asc)",
                    ));
                }
            };
            let orgs = accounts::list_orgs(db).await?;
            let (found, count) = catalogue::search(db, &orgs, &f, order, start, rows).await?;
            let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
            let res = catalogue::resources_of(db, &ids).await?;
            let all_res: Vec<i64> = res.values().flatten().map(|r| r.id).collect();
            let latest = catalogue::latest_versions(db, &all_res).await?;
            let results: Vec<Value> = found
                .iter()
                .map(|d| {
                    catalogue::ckan_package(&base, d, &orgs, res.get(&d.id).map_or(&[][..], Vec::as_slice), &latest)
                })
                .collect();
            Ok(ok(
                &base,
                action,
                json!({"count": count, "sort": if sort.is_empty() { "metadata_modified desc".to_owned() } else { sort }, "facets": {}, "search_facets": {}, "results": results}),
            ))
        }
        "organization_list" => {
            let orgs = accounts::list_orgs(db).await?;
            let counts = publisher_counts(db).await?;
            let list: Vec<Value> = orgs
                .iter()
                .filter(|o| counts.contains_key(&o.id))
                .map(|o| {
                    if truthy(&p, "all_fields") {
                        catalogue::ckan_org(o, counts.get(&o.id).copied())
                    } else {
                        json!(o.code.to_ascii_lowercase())
                    }
                })
                .collect();
            Ok(ok(&base, action, json!(list)))
        }
        "organization_show" => {
            let id = text(&p, "id").to_ascii_lowercase();
            let orgs = accounts::list_orgs(db).await?;
            let counts = publisher_counts(db).await?;
            match orgs.iter().find(|o| o.code.to_ascii_lowercase() == id && counts.contains_key(&o.id)) {
                Some(o) => Ok(ok(&base, action, catalogue::ckan_org(o, counts.get(&o.id).copied()))),
                None => Ok(fail(&base, action, StatusCode::NOT_FOUND, "Not Found Error", "Not found")),
            }
        }
        a if a.ends_with("_create") || a.ends_with("_update") || a.ends_with("_patch") || a.ends_with("_delete") => {
            Ok(fail(
                &base,
                action,
                StatusCode::FORBIDDEN,
                "Authorization Error",
                "Access denied: this catalogue is read-only",
            ))
        }
        _ => Ok(fail(
            &base,
            action,
            StatusCode::BAD_REQUEST,
            "Bad request",
            &format!("Bad request - Action name not known: {action}"),
        )),
    }
}

/// How many published datasets each unit provides.
async fn publisher_counts(db: &platform::db::Db) -> platform::db::DbResult<BTreeMap<i64, i64>> {
    #[derive(sqlx::FromRow)]
    struct C {
        org_id: i64,
        n: i64,
    }
    let rows: Vec<C> = db
        .fetch_all(platform::db::sql(
            "SELECT org_id, COUNT(*) AS n FROM data_dataset WHERE state = 'published' GROUP BY org_id",
        ))
        .await?;
    Ok(rows.into_iter().map(|c| (c.org_id, c.n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fq_terms() {
        let mut f = Filter::default();
        parse_fq("organization:scj +tags:\"企业\" AND res_format:CSV", &mut f);
        assert_eq!((f.org.as_str(), f.tag.as_str()), ("scj", "企业"));
        let mut g = Filter::default();
        parse_fq("theme:市场监管", &mut g);
        assert_eq!(g.theme, "市场监管");
    }

    #[test]
    fn params_from_query_json_and_form() {
        let h = HeaderMap::new();
        let p = params(Some("id=a&rows=5"), &h, br#"{"id":"b","all_fields":true}"#).unwrap();
        assert_eq!(text(&p, "id"), "b");
        assert_eq!(int(&p, "rows", 10, 1000), Ok(5));
        assert!(truthy(&p, "all_fields"));
        let mut form = HeaderMap::new();
        form.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        assert_eq!(text(&params(None, &form, b"id=c").unwrap(), "id"), "c");
        assert!(params(None, &h, b"[1]").is_err());
        let p = params(Some("rows=5000"), &h, b"").unwrap();
        assert!(int(&p, "rows", 10, ROWS_MAX).is_err());
        let p = params(Some("rows=-1"), &h, b"").unwrap();
        assert!(int(&p, "rows", 10, ROWS_MAX).is_err());
    }
}
