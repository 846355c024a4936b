//! 文库 (seed 002's 党政文库, 4,748 documents): a library is a channel whose sub-channels are its
//! categories (a list channel, or a link channel leading to `/wenku/`); each document (文件) is an ordinary article there — 文号, 发文机关 (the
//! article's source), the date it was written, a summary — with the file (PDF, DOCX or OFD)
//! attached and its text extracted for the site search, as any attachment's is. Documents arrive
//! in bulk from a folder and a mapping file (one row per file: 文件名, 标题, 文号, 发文机关,
//! 成文日期, 分类, 摘要); every row is checked and a bad one never stops the rest; a file already in
//! the library is skipped, so a run can be repeated; each document goes through the channel's own
//! workflow (the pre-publication gate, then review or publication). The public page `/wenku/`
//! browses a library by category, year, 发文机关 and 文号 or title.

use std::collections::BTreeMap;
use std::path::Path;

use platform::db::{Db, Scalar, sql};
use platform::web::{AppError, AppState};
use serde::Serialize;

use crate::store::{self, Channel, Fields, NewAttachment};
use crate::{Cms, files, sanitize, service};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Library {
    pub id: i64,
    pub site_id: i64,
    pub channel_id: i64,
    pub name: String,
}

pub async fn all(db: &Db) -> Result<Vec<Library>, AppError> {
    Ok(db.fetch_all(sql("SELECT id, site_id, channel_id, name FROM library ORDER BY id")).await?)
}

/// Makes the channel `channel_id` a library (once); its name is the channel's. A list channel
/// lists the documents itself; a link channel (to `/wenku/`) leads readers to the library page.
pub async fn ensure(db: &Db, channel_id: i64) -> Result<Library, AppError> {
    let c = store::channel(db, channel_id).await?.ok_or(AppError::NotFound)?;
    if !matches!(c.kind.as_str(), "list" | "link") {
        return Err(AppError::invalid("channel", "文库应为列表栏目或指向文库页的链接栏目"));
    }
    if let Some(l) = db
        .fetch_optional::<Library>(
            sql("SELECT id, site_id, channel_id, name FROM library WHERE channel_id = $1").bind(channel_id),
        )
        .await?
    {
        return Ok(l);
    }
    db.execute(
        sql("INSERT INTO library (site_id, channel_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(c.site_id)
            .bind(c.id)
            .bind(&c.name)
            .bind(platform::db::now()),
    )
    .await?;
    Box::pin(ensure(db, channel_id)).await
}

/// The library's categories (its sub-channels).
pub async fn categories(db: &Db, lib: &Library) -> Result<Vec<Channel>, AppError> {
    let mut v: Vec<Channel> = store::channels_of(db, lib.site_id)
        .await?
        .into_iter()
        .filter(|c| c.parent_id == Some(lib.channel_id))
        .collect();
    v.sort_by_key(|c| (c.sort_order, c.id));
    Ok(v)
}

// ---- the mapping file (pure) ----------------------------------------------------------------------

/// One document as its mapping row gives it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DocRow {
    pub line: u64,
    pub file: String,
    pub title: String,
    pub doc_number: String,
    pub issuer: String,
    /// 成文日期 (midnight, Beijing time).
    pub date: i64,
    pub category: String,
    pub summary: String,
}

/// A row (or file) left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// Column headings accepted for each field (the first is the one to use).
const COLUMNS: [(&str, &[&str]); 7] = [
    ("file", &["文件名", "文件", "文件名称"]),
    ("title", &["标题", "题名", "文件标题"]),
    ("doc_number", &["文号", "发文字号"]),
    ("issuer", &["发文机关", "发文单位"]),
    ("date", &["成文日期", "日期", "发文日期"]),
    ("category", &["分类", "类别", "文件分类"]),
    ("summary", &["摘要", "内容概述"]),
];

/// A date as offices type it: 2024-03-15, 2024/3/15, 2024.3.15 or 2024年3月15日.
pub fn parse_date_cn(s: &str) -> Option<i64> {
    let digits: Vec<&str> = s.trim().split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
    let [y, m, d] = digits.as_slice() else { return None };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1949..=2100).contains(&y) {
        return None;
    }
    platform::parse_date(&format!("{y:04}-{m:02}-{d:02}"))
}

/// Reads the mapping's rows: every row checked, each problem named by its line and column.
/// Fails only when a required column is missing.
pub fn read_rows(
    headers: &[String],
    rows: impl Iterator<Item = (u64, Result<Vec<String>, String>)>,
) -> Result<(Vec<DocRow>, Vec<Rejected>), String> {
    let find = |field: &str| {
        let names = COLUMNS.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
        headers.iter().position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
    };
    let mut at = BTreeMap::new();
    for (field, names) in COLUMNS {
        match find(field) {
            Some(i) => {
                at.insert(field, i);
            }
            None if matches!(field, "file" | "title" | "date" | "category") => {
                return Err(format!("对照表缺少“{}”列", names[0]));
            }
            None => {}
        }
    }
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for (line, cells) in rows {
        let cells = match cells {
            Ok(c) => c,
            Err(reason) => {
                bad.push(Rejected { line, column: String::new(), value: String::new(), reason });
                continue;
            }
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |f: &str| at.get(f).and_then(|i| cells.get(*i)).map(|s| s.trim().to_owned()).unwrap_or_default();
        let mut reject = |column: &str, value: String, reason: &str| {
            bad.push(Rejected { line, column: column.into(), value, reason: reason.into() });
        };
        let file = cell("file");
        let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        if file.is_empty() || file.contains("..") || file.starts_with('/') || file.contains('\\') {
            reject("文件名", file, "请填写文件夹中的文件名（不含路径）");
            continue;
        }
        if !matches!(ext.as_str(), "pdf" | "docx" | "ofd") {
            reject("文件名", file, "文库只收 PDF、DOCX 或 OFD 文件");
            continue;
        }
        let title = cell("title");
        if title.is_empty() || title.chars().count() > 200 {
            reject("标题", title, "请填写标题（200 字以内）");
            continue;
        }
        let Some(date) = parse_date_cn(&cell("date")) else {
            reject("成文日期", cell("date"), "请按“2024-03-15”或“2024年3月15日”填写成文日期");
            continue;
        };
        let category = cell("category");
        if category.is_empty() || category.chars().count() > 30 {
            reject("分类", category, "请填写分类（30 字以内）");
            continue;
        }
        ok.push(DocRow {
            line,
            file,
            title,
            doc_number: platform::codes::normalise_doc_no(&cell("doc_number")),
            issuer: cell("issuer"),
            date,
            category,
            summary: cell("summary"),
        });
    }
    Ok((ok, bad))
}

// ---- the import ------------------------------------------------------------------------------------

/// Who imports, into which library, from where.
pub struct ImportOptions<'a> {
    pub library: &'a Library,
    pub dir: &'a Path,
    pub user_id: i64,
    pub username: &'a str,
    /// Check the rows and files only; write nothing.
    pub dry_run: bool,
    /// Publish at once (documents already issued; the caller checked the right to publish),
    /// rather than through the channel's review.
    pub publish: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Published at once (a library channel without review steps).
    pub published: u64,
    /// Waiting for review (the channel has review steps).
    pub in_review: u64,
    /// Already in the library (the same file), left as they are.
    pub skipped: u64,
    pub rejected: Vec<Rejected>,
    /// Dry run: would be imported.
    pub checked: u64,
}

/// The category's channel under the library, made when first named.
async fn category_channel(
    db: &Db,
    lib: &Library,
    name: &str,
    made: &mut BTreeMap<String, i64>,
) -> Result<i64, AppError> {
    if let Some(id) = made.get(name) {
        return Ok(*id);
    }
    let cats = categories(db, lib).await?;
    let id = match cats.iter().find(|c| c.name == name) {
        Some(c) => c.id,
        None => {
            let root = store::channel(db, lib.channel_id).await?.ok_or(AppError::NotFound)?;
            let taken: Vec<String> = store::channels_of(db, lib.site_id).await?.into_iter().map(|c| c.slug).collect();
            let slug = (1..).map(|n| format!("{}-{n}", root.slug)).find(|s| !taken.contains(s)).unwrap_or_default();
            store::insert_channel(
                db,
                &Channel {
                    site_id: lib.site_id,
                    parent_id: Some(lib.channel_id),
                    name: name.to_owned(),
                    slug,
                    kind: "list".into(),
                    sort_order: cats.len() as i64 * 10,
                    update_class: root.update_class.clone(),
                    workflow: root.workflow.clone(),
                    dept_org_id: root.dept_org_id,
                    ..Channel::default()
                },
            )
            .await?
        }
    };
    made.insert(name.to_owned(), id);
    Ok(id)
}

/// Imports the rows' files from the folder; `progress` is told each row done.
pub async fn import(
    state: &AppState,
    cms: &Cms,
    opts: &ImportOptions<'_>,
    rows: Vec<DocRow>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Report, AppError> {
    let db = &state.db;
    let lib = opts.library;
    let mut report = Report::default();
    let mut made = BTreeMap::new();
    for (n, row) in rows.into_iter().enumerate() {
        progress(n as u64 + 1);
        let mut reject = |column: &str, value: &str, reason: String| {
            report.rejected.push(Rejected { line: row.line, column: column.into(), value: value.into(), reason });
        };
        let bytes = match std::fs::read(opts.dir.join(&row.file)) {
            Ok(b) => b,
            Err(_) => {
                reject("文件名", &row.file, "文件夹中没有这个文件".into());
                continue;
            }
        };
        let mime = match files::sniff(&row.file, &bytes) {
            Ok(m) => m,
            Err(e) => {
                reject("文件名", &row.file, e);
                continue;
            }
        };
        let sha = files::sha256(&bytes);
        let already = db
            .count(
                sql("SELECT COUNT(*) FROM attachment t JOIN article a ON a.id = t.article_id WHERE t.sha256 = $1 AND a.channel_id IN (SELECT channel_id FROM library WHERE id = $2 UNION SELECT id FROM channel WHERE parent_id = (SELECT channel_id FROM library WHERE id = $2))")
                    .bind(&sha)
                    .bind(lib.id),
            )
            .await?;
        if already > 0 {
            report.skipped += 1;
            continue;
        }
        if opts.dry_run {
            report.checked += 1;
            continue;
        }
        let channel = category_channel(db, lib, &row.category, &mut made).await?;
        let text = doctext::text_of(mime, &bytes);
        files::store_attachment(&cms.files_dir, &bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut body = sanitize::paragraphs_html(&row.summary);
        if !text.is_empty() {
            body.push_str(&sanitize::paragraphs_html(&text.chars().take(50_000).collect::<String>()));
        }
        let fields = Fields {
            title: row.title.clone(),
            source: row.issuer.clone(),
            summary: row.summary.chars().take(500).collect(),
            body,
            doc_number: row.doc_number.clone(),
            pub_at: Some(row.date),
            ..Fields::default()
        };
        let org = store::channel(db, channel).await?.and_then(|c| c.dept_org_id);
        let id = store::create_article(db, lib.site_id, channel, org, &fields, opts.user_id).await?;
        store::insert_attachment(
            db,
            &NewAttachment {
                article_id: Some(id),
                filename: &row.file,
                mime,
                size: bytes.len() as i64,
                sha: &sha,
                user: opts.user_id,
                // The text is the article's body already (read on the page, found by the
                // search once); the attachment need not carry it twice.
                text: "",
            },
        )
        .await?;
        match service::submit_imported(state, cms, id, opts.user_id, opts.username, opts.publish).await {
            Ok(s) if s.publication == crate::domain::PubState::Published => report.published += 1,
            Ok(_) => report.in_review += 1,
            Err(e) => {
                // The draft stays for an editor to fix; the row says why it did not go on.
                let reason = match e {
                    AppError::Invalid(errs) => errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"),
                    other => other.to_string(),
                };
                reject("标题", &row.title, format!("已存为草稿（编号 {id}），未能提交：{reason}"));
            }
        }
    }
    Ok(report)
}

/// The number of published documents in a library.
pub async fn count(db: &Db, lib: &Library) -> Result<i64, AppError> {
    Ok(db
        .fetch_one::<Scalar<i64>>(
            sql("SELECT COUNT(*) FROM article WHERE state = 'published' AND (channel_id = $1 OR channel_id IN (SELECT id FROM channel WHERE parent_id = $1))")
                .bind(lib.channel_id),
        )
        .await?
        .0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dates_as_offices_type_them() {
        let d = platform::parse_date("2024-03-15");
        for s in ["2024-03-15", "2024/3/15", "2024.3.15", "2024年3月15日", " 2024年03月15日 "] {
            assert_eq!(parse_date_cn(s), d, "{s}");
        }
        for s in ["2024", "2024年3月", "15/3/2024", "2024-13-01", ""] {
            assert_eq!(parse_date_cn(s), None, "{s}");
        }
    }

    #[test]
    fn every_bad_row_is_named_and_the_good_ones_kept() {
        let headers = h(&["\u{feff}文件名", "标题", "文号", "发文机关", "成文日期", "分类", "摘要"]);
        let row = |v: &[&str]| Ok(h(v));
        let rows = vec![
            (
                2,
                row(&[
                    "哈政发2024-3.pdf",
                    "关于印发冰城市优化营商环境若干措施的通知",
                    "哈政发[2024]3号",
                    "冰城市人民政府",
                    "2024年3月15日",
                    "规范性文件",
                    "",
                ]),
            ),
            (3, row(&["../etc/passwd", "x", "", "", "2024-01-01", "其他", ""])),
            (4, row(&["通知.doc", "x", "", "", "2024-01-01", "其他", ""])),
            (5, row(&["a.ofd", "", "", "", "2024-01-01", "其他", ""])),
            (6, row(&["b.docx", "标题", "", "", "三月", "其他", ""])),
            (7, row(&["c.docx", "标题", "", "", "2024-01-01", "", ""])),
            (8, row(&["", "", "", "", "", "", ""])),
            (9, Err("这一行有无法识别的字符（文件编码不一致）".to_owned())),
        ];
        let (ok, bad) = read_rows(&headers, rows.into_iter()).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].doc_number, "哈政发〔2024〕3号", "文号 kept normalised");
        let lines: Vec<(u64, &str)> = bad.iter().map(|r| (r.line, r.column.as_str())).collect();
        assert_eq!(lines, [(3, "文件名"), (4, "文件名"), (5, "标题"), (6, "成文日期"), (7, "分类"), (9, "")]);
        assert_eq!(
            read_rows(&h(&["文件名", "标题", "分类"]), std::iter::empty()).unwrap_err(),
            "对照表缺少“成文日期”列"
        );
    }
}

// ---- the public page -------------------------------------------------------------------------------

pub static SECTION: platform::web::portal::Section =
    platform::web::portal::Section { name: "文库", root: "/wenku/", nav: &[("/wenku/", "文库")] };

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub lib: Option<i64>,
    /// 分类 (a category channel)
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub c: Option<i64>,
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub year: Option<i64>,
    #[serde(default)]
    pub issuer: String,
    /// 标题或文号中的词
    #[serde(default)]
    pub q: String,
    /// The next page: after the document with this date and id (`pub_at-id`).
    #[serde(default)]
    pub after: String,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct DocItem {
    id: i64,
    channel_id: i64,
    title: String,
    doc_number: String,
    source: String,
    pub_at: i64,
}

const PAGE: i64 = 30;

pub async fn page(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: platform::web::Ctx,
    platform::web::extract::Query(q): platform::web::extract::Query<PageQuery>,
) -> Result<axum::response::Response, AppError> {
    use minijinja::context;
    let db = &state.db;
    let libs = all(db).await?;
    let Some(lib) = libs.iter().find(|l| q.lib.is_none_or(|id| id == l.id)) else {
        return Err(AppError::NotFound);
    };
    let site = store::site(db, lib.site_id).await?.ok_or(AppError::NotFound)?;
    let cats = categories(db, lib).await?;
    let channels: Vec<i64> = match q.c {
        Some(c) if cats.iter().any(|x| x.id == c) => vec![c],
        Some(_) => return Err(AppError::NotFound),
        None => std::iter::once(lib.channel_id).chain(cats.iter().map(|c| c.id)).collect(),
    };
    let mut s = sql(
        "SELECT id, channel_id, title, doc_number, source, pub_at FROM article WHERE state = 'published' AND channel_id IN (",
    );
    for (i, c) in channels.iter().enumerate() {
        s = s.push(if i == 0 { "" } else { ", " }).push_bind(*c);
    }
    s = s.push(")");
    if let Some(y) = q.year.filter(|y| (1949..=2100).contains(y)) {
        let (from, to) = platform::year_bounds(y as i32);
        s = s.push(" AND pub_at >= ").push_bind(from).push(" AND pub_at < ").push_bind(to);
    }
    if !q.issuer.trim().is_empty() {
        s = s.push(" AND source = ").push_bind(q.issuer.trim().to_owned());
    }
    let words = q.q.trim().replace(['%', '_'], "");
    if !words.is_empty() {
        let like = format!("%{}%", words.chars().take(50).collect::<String>());
        let doc = format!("%{}%", platform::codes::normalise_doc_no(&words));
        s = s.push(" AND (title LIKE ").push_bind(like).push(" OR doc_number LIKE ").push_bind(doc).push(")");
    }
    if let Some((t, id)) =
        q.after.split_once('-').and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.parse::<i64>().ok()?)))
    {
        s = s
            .push(" AND (pub_at < ")
            .push_bind(t)
            .push(" OR (pub_at = ")
            .push_bind(t)
            .push(" AND id < ")
            .push_bind(id)
            .push("))");
    }
    let docs: Vec<DocItem> = db.fetch_all(s.push(" ORDER BY pub_at DESC, id DESC LIMIT ").push_bind(PAGE)).await?;
    let next = (docs.len() as i64 == PAGE).then(|| docs.last().map(|d| format!("{}-{}", d.pub_at, d.id))).flatten();
    // The filters' choices, counted by the database: each 发文机关 with its documents, and the
    // years from the earliest document to the latest.
    let mut facets =
        sql("SELECT source, CAST(COUNT(*) AS BIGINT) AS n, MIN(pub_at) AS first, MAX(pub_at) AS last FROM article \
         WHERE state = 'published' AND channel_id IN (");
    for (i, c) in std::iter::once(lib.channel_id).chain(cats.iter().map(|c| c.id)).enumerate() {
        facets = facets.push(if i == 0 { "" } else { ", " }).push_bind(c);
    }
    #[derive(sqlx::FromRow)]
    struct Facet {
        source: String,
        n: i64,
        first: i64,
        last: i64,
    }
    let by_issuer: Vec<Facet> = db.fetch_all(facets.push(") GROUP BY source")).await?;
    let year_of = |t: i64| platform::fmt_date(t).get(..4).and_then(|y| y.parse::<i64>().ok());
    let first = by_issuer.iter().map(|f| f.first).min().and_then(year_of);
    let last = by_issuer.iter().map(|f| f.last).max().and_then(year_of);
    let years: Vec<i64> = match (first, last) {
        (Some(a), Some(b)) => (a..=b).rev().collect(),
        _ => Vec::new(),
    };
    let total: i64 = by_issuer.iter().map(|f| f.n).sum();
    let issuers: BTreeMap<String, i64> =
        by_issuer.into_iter().filter(|f| !f.source.is_empty()).map(|f| (f.source, f.n)).collect();
    let mut per_cat: BTreeMap<i64, i64> = BTreeMap::new();
    let counts: Vec<(i64, i64)> = {
        #[derive(sqlx::FromRow)]
        struct C {
            channel_id: i64,
            n: i64,
        }
        let mut cq = sql(
            "SELECT channel_id, CAST(COUNT(*) AS BIGINT) AS n FROM article WHERE state = 'published' AND channel_id IN (",
        );
        for (i, c) in cats.iter().enumerate() {
            cq = cq.push(if i == 0 { "" } else { ", " }).push_bind(c.id);
        }
        if cats.is_empty() {
            cq = cq.push("0");
        }
        let rows: Vec<C> = db.fetch_all(cq.push(") GROUP BY channel_id")).await?;
        rows.into_iter().map(|c| (c.channel_id, c.n)).collect()
    };
    per_cat.extend(counts);
    let cat_name = |id: i64| cats.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_default();
    let items: Vec<minijinja::Value> = docs
        .iter()
        .map(|d| {
            context! { url => format!("{}/a/{}.html", site.path_prefix, d.id), title => d.title.clone(),
            doc_number => d.doc_number.clone(), issuer => d.source.clone(), date => platform::fmt_date(d.pub_at),
            category => cat_name(d.channel_id) }
        })
        .collect();
    let filtered = q.c.is_some() || q.year.is_some() || !q.issuer.trim().is_empty() || !words.is_empty();
    let page = context! {
        title => lib.name.clone(), lib => platform::web::sv(lib), total,
        categories => cats.iter().map(|c| context! { id => c.id, name => c.name.clone(), count => per_cat.get(&c.id).copied().unwrap_or(0) }).collect::<Vec<_>>(),
        years, issuers => issuers.into_iter().collect::<Vec<_>>(), items, next, filtered,
        form => context! { c => q.c, year => q.year, issuer => q.issuer.trim(), q => q.q.trim(), lib => q.lib },
        libraries => if libs.len() > 1 { libs.iter().map(|l| (l.id, l.name.clone())).collect::<Vec<_>>() } else { Vec::new() },
        nav_current => "/wenku/",
    };
    state.public_response(&ctx, &SECTION, "public/wk_index.html", axum::http::StatusCode::OK, page, false).await
}
