//! The import framework's engine and storage: saved sources (target, field mapping, schedule,
//! watched folder), and runs. A run reads the whole file, checks every row against the target's
//! schema, reports each rejected row (row, column, value, reason) and upserts the rest by the
//! target's key — inserted, updated, unchanged — inside one transaction: a dry run rolls it back, a
//! process stopped mid-run leaves nothing of the file behind (the run is marked interrupted at the
//! next start), and a bad row never stops the good ones.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use platform::audit::{AuditKey, Event};
use platform::db::{Db, DbResult, Exec, sql};
use serde::{Deserialize, Serialize};

use crate::domain::RunState;
use crate::mapping::{Mapping, Record, Reject, Schema};
use tables::Table;

/// What a source's rows become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Enterprise,
    Population,
    Poi,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Enterprise, Target::Population, Target::Poi];

    pub fn code(self) -> &'static str {
        match self {
            Target::Enterprise => "enterprise",
            Target::Population => "population",
            Target::Poi => "poi",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::Enterprise => "企业名录",
            Target::Population => "人口资源库",
            Target::Poi => "地图兴趣点",
        }
    }

    pub fn parse(code: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn schema(self) -> &'static Schema {
        match self {
            Target::Enterprise => &crate::enterprise::SCHEMA,
            Target::Population => &crate::population::SCHEMA,
            Target::Poi => &crate::map::SCHEMA,
        }
    }

    /// The digests stored for these keys (by this source, where the target merges several).
    async fn existing(
        self,
        tx: &mut platform::db::Tx,
        keys: &[&str],
        source_id: i64,
    ) -> DbResult<HashMap<String, String>> {
        match self {
            Target::Enterprise => crate::enterprise::TABLE.existing_hashes(tx, keys).await,
            Target::Poi => crate::map::TABLE.existing_hashes(tx, keys).await,
            Target::Population => crate::population::store::existing_hashes(tx, keys, source_id).await,
        }
    }

    /// Readies a checked record for storage on the reading thread (off the writer's path).
    fn prepare(self, record: &mut Record) {
        match self {
            Target::Enterprise | Target::Poi => {}
            Target::Population => record.others = crate::population::pack_columns(&record.others),
        }
    }

    /// What a run's records refer to besides themselves: the layout of the other columns kept.
    async fn layout(self, tx: &mut platform::db::Tx, source: &Source, headings: &[String]) -> DbResult<Option<i64>> {
        match self {
            Target::Enterprise | Target::Poi => Ok(None),
            Target::Population => crate::population::store::layout(tx, source.id, headings).await,
        }
    }

    /// The tables a run of this target fills.
    fn tables(self) -> &'static [&'static str] {
        match self {
            Target::Enterprise => &["data_enterprise"],
            Target::Population => &["data_person", "data_person_part"],
            Target::Poi => &["data_poi"],
        }
    }

    async fn write(
        self,
        tx: &mut platform::db::Tx,
        records: &[&Record],
        source: &Source,
        layout: Option<i64>,
        now: i64,
    ) -> DbResult<()> {
        match self {
            Target::Enterprise => crate::enterprise::TABLE.upsert(tx, records, source.id, now).await,
            Target::Poi => crate::map::TABLE.upsert(tx, records, source.id, now).await,
            Target::Population => crate::population::store::merge(tx, records, source, layout, now).await,
        }
    }
}

/// A target kept as one table with a column per schema field (named by the field's key), the key
/// field's column unique, and `row_hash`, `source_id`, `created_at`, `updated_at` beside them:
/// the enterprise directory and the map's points.
pub struct FlatTable {
    pub table: &'static str,
    pub schema: &'static Schema,
}

/// Rows per statement: sqlx binds each SQLite parameter by asking its name, which SQLite finds by
/// a linear scan — quadratic in the parameters of one statement (8,000 parameters made 88% of an
/// import's time in `sqlite3_bind_parameter_name`); ~1,000 parameters keep it small.
const PARAMS_PER_STATEMENT: usize = 960;

impl FlatTable {
    /// The stored digests of the records with these keys.
    pub async fn existing_hashes(&self, tx: &mut platform::db::Tx, keys: &[&str]) -> DbResult<HashMap<String, String>> {
        #[derive(sqlx::FromRow)]
        struct H {
            k: String,
            row_hash: String,
        }
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<H> = tx
            .fetch_all(
                sql(format!("SELECT {key} AS k, row_hash FROM {} WHERE {key} IN (", self.table, key = self.schema.key))
                    .push_bind_list(keys.iter().map(|k| (*k).to_owned()))
                    .push(")"),
            )
            .await?;
        Ok(rows.into_iter().map(|h| (h.k, h.row_hash)).collect())
    }

    /// Inserts new records and updates changed ones.
    pub async fn upsert(
        &self,
        tx: &mut platform::db::Tx,
        records: &[&Record],
        source_id: i64,
        now: i64,
    ) -> DbResult<()> {
        let cols: Vec<&str> = self.schema.fields.iter().map(|f| f.key).collect();
        let set: Vec<String> = cols
            .iter()
            .chain(["row_hash", "source_id", "updated_at"].iter())
            .filter(|c| **c != self.schema.key)
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let per_statement = (PARAMS_PER_STATEMENT / (cols.len() + 4)).max(1);
        for chunk in records.chunks(per_statement) {
            let mut q = sql(format!(
                "INSERT INTO {} ({}, row_hash, source_id, created_at, updated_at) VALUES ",
                self.table,
                cols.join(", ")
            ));
            for (i, r) in chunk.iter().enumerate() {
                let mut args: Vec<platform::db::Arg> =
                    r.values.iter().map(|v| platform::db::Arg::from(v.clone())).collect();
                args.extend([r.hash.clone().into(), source_id.into(), now.into(), now.into()]);
                q = q.push_row(i == 0, args);
            }
            q = q.push(&format!(" ON CONFLICT ({}) DO UPDATE SET {}", self.schema.key, set.join(", ")));
            tx.execute(q).await?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Source {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub target: String,
    pub mapping: String,
    pub schedule_days: String,
    pub schedule_time: String,
    pub watch_dir: String,
    /// Where several sources fill one record (the population database), a field ruled 来源优先
    /// takes the value of the source with the higher number.
    pub priority: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Source {
    pub fn target(&self) -> Option<Target> {
        Target::parse(&self.target)
    }

    pub fn mapping(&self) -> Mapping {
        serde_json::from_str(&self.mapping).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub source_id: i64,
    pub state: String,
    pub dry_run: bool,
    pub trigger_kind: String,
    pub file_name: String,
    pub file_sha256: String,
    pub encoding: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub total: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub rejects: String,
    pub message: String,
    pub by_user: String,
    pub node: String,
}

impl Run {
    pub fn rejects(&self) -> Vec<Reject> {
        serde_json::from_str(&self.rejects).unwrap_or_default()
    }

    pub fn state_label(&self) -> &'static str {
        RunState::parse(&self.state).map_or("", RunState::label)
    }
}

pub async fn source(db: &Db, id: i64) -> DbResult<Option<Source>> {
    db.fetch_optional(sql("SELECT * FROM data_source WHERE id = $1").bind(id)).await
}

pub async fn sources(db: &Db, orgs: Option<&[i64]>) -> DbResult<Vec<Source>> {
    db.fetch_all(sql("SELECT * FROM data_source WHERE 1=1").and_within("org_id", orgs).push(" ORDER BY id")).await
}

pub async fn run(db: &Db, id: i64) -> DbResult<Option<Run>> {
    db.fetch_optional(sql("SELECT * FROM data_import_run WHERE id = $1").bind(id)).await
}

pub async fn runs(db: &Db, source_id: i64, limit: i64) -> DbResult<Vec<Run>> {
    db.fetch_all(
        sql("SELECT * FROM data_import_run WHERE source_id = $1 ORDER BY id DESC LIMIT $2").bind(source_id).bind(limit),
    )
    .await
}

/// A new or edited source as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name", "target", "org"]))]
pub struct SourceInput {
    /// 数据源名称
    #[serde(default)]
    pub name: String,
    /// 目标：enterprise（企业名录）、population（人口资源库）、poi（地图兴趣点）
    #[serde(default)]
    pub target: String,
    /// 所属单位代码
    #[serde(default)]
    pub org: String,
    /// 定时运行的星期（1–7，逗号分隔；空表示不定时）
    #[serde(default)]
    pub schedule_days: String,
    /// 定时运行的时间（HH:MM）
    #[serde(default)]
    pub schedule_time: String,
    /// 定时运行时读取的服务器目录
    #[serde(default)]
    pub watch_dir: String,
    /// 来源优先级（0–99，人口资源库中“来源优先”的字段取数值大的来源的值）
    #[serde(default)]
    pub priority: i64,
    /// 字段对照（不填则按列名自动对照）
    #[serde(default)]
    pub mapping: Option<Mapping>,
}

/// Rows reported in a run's stored report (every rejected row is counted; the first ones are kept).
pub const KEPT_REJECTS: usize = 1000;
/// Records written per statement.
const BATCH: usize = 500;

/// How a run was started and by whom.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dry_run: bool,
    /// upload, schedule, command
    pub trigger: &'static str,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
}

/// The node a run is executed on (its host name), so a restart marks only its own runs interrupted.
fn node() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// Records a new run for a file (state running) and returns its id.
pub async fn begin_run(db: &Db, source: &Source, file_name: &str, sha256: &str, opts: &RunOptions) -> DbResult<i64> {
    let row: platform::db::Scalar<i64> = db
        .fetch_one(
            sql("INSERT INTO data_import_run (source_id, state, dry_run, trigger_kind, file_name, file_sha256, started_at, node, by_user) \
                 VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(source.id)
            .bind(opts.dry_run)
            .bind(opts.trigger)
            .bind(file_name.to_owned())
            .bind(sha256.to_owned())
            .bind(platform::db::now())
            .bind(node())
            .bind(opts.username.clone()),
        )
        .await?;
    Ok(row.0)
}

/// Marks this node's runs that were running when the process stopped as interrupted (their
/// transaction rolled back with the process).
pub async fn mark_interrupted(db: &Db) -> DbResult<u64> {
    db.execute(
        sql("UPDATE data_import_run SET state = 'interrupted', finished_at = $1, message = '进程在导入过程中停止，本次导入已整体回滚，没有写入任何记录' WHERE state = 'running' AND node = $2")
            .bind(platform::db::now())
            .bind(node()),
    )
    .await
}

/// Live progress of the runs executing in this process: rows read so far.
static PROGRESS: LazyLock<Mutex<HashMap<i64, u64>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

pub fn progress_of(run_id: i64) -> Option<u64> {
    PROGRESS.lock().ok()?.get(&run_id).copied()
}

fn set_progress(run_id: i64, rows: Option<u64>) {
    if let Ok(mut g) = PROGRESS.lock() {
        match rows {
            Some(n) => g.insert(run_id, n),
            None => g.remove(&run_id),
        };
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub rejects: Vec<Reject>,
}

/// Executes a begun run over an opened file, then records its outcome (and its audit entry).
/// `on_rows` is told how many rows were read (a progress bar). Errors are recorded on the run.
pub async fn execute(
    db: &Db,
    key: &AuditKey,
    source: &Source,
    run_id: i64,
    table: Table,
    opts: &RunOptions,
    on_rows: &(dyn Fn(u64) + Send + Sync),
) -> DbResult<Run> {
    let encoding = table.encoding;
    let outcome = match source.target() {
        None => Err(format!("数据源的目标“{}”不存在", source.target)),
        Some(target) => apply(db, source, target, run_id, table, opts.dry_run, on_rows).await,
    };
    set_progress(run_id, None);
    let now = platform::db::now();
    let (state, summary, message) = match outcome {
        Ok(s) => (RunState::Done, s, String::new()),
        Err(m) => (RunState::Failed, Summary::default(), m),
    };
    let rejects = serde_json::to_string(&summary.rejects).unwrap_or_else(|_| "[]".into());
    db.execute(
        sql("UPDATE data_import_run SET state = $1, finished_at = $2, total = $3, inserted = $4, updated = $5, unchanged = $6, \
             rejected = $7, rejects = $8, message = $9, encoding = $10 WHERE id = $11")
        .bind(state.code())
        .bind(now)
        .bind(summary.total as i64)
        .bind(summary.inserted as i64)
        .bind(summary.updated as i64)
        .bind(summary.unchanged as i64)
        .bind(summary.rejected as i64)
        .bind(rejects)
        .bind(message.clone())
        .bind(encoding)
        .bind(run_id),
    )
    .await?;
    let what = if opts.dry_run { "试运行" } else { "导入" };
    let text = if state == RunState::Done {
        format!(
            "{what}“{}”：共 {} 行，新增 {}，更新 {}，未变 {}，拒绝 {}",
            source.name, summary.total, summary.inserted, summary.updated, summary.unchanged, summary.rejected
        )
    } else {
        format!("{what}“{}”失败：{message}", source.name)
    };
    let ev = Event {
        user_id: opts.user_id,
        username: opts.username.clone(),
        ip: opts.ip.clone(),
        action: if opts.dry_run { "data.import.dry_run".into() } else { "data.import".into() },
        target: format!("data_import_run:{run_id}"),
        outcome: if state == RunState::Done { "success".into() } else { "failure".into() },
        summary: text,
        request_id: String::new(),
    };
    if let Err(e) = platform::audit::record(db, key, ev).await {
        tracing::error!(error = %e, "audit write failed");
    }
    run(db, run_id).await?.ok_or(platform::db::DbError::NotFound)
}

/// What the reading thread hands the writer: checked records, and the rows read so far.
struct Chunk {
    records: Vec<Record>,
    read: u64,
}

/// Reads, checks and (unless a dry run) writes the file in one transaction. The file is read and
/// checked on a blocking thread while the previous batch is written.
async fn apply(
    db: &Db,
    source: &Source,
    target: Target,
    run_id: i64,
    table: Table,
    dry_run: bool,
    on_rows: &(dyn Fn(u64) + Send + Sync),
) -> Result<Summary, String> {
    let schema = target.schema();
    let mut mapping = source.mapping();
    if mapping.0.is_empty() {
        mapping = Mapping::guess(schema, &table.headers);
    }
    let bound = mapping.bind(schema, &table.headers).map_err(|errs| errs.join("；"))?;
    let headings = bound.other_headings();
    let (tx_chunks, mut rx_chunks) = tokio::sync::mpsc::channel::<Chunk>(4);
    let reader = tokio::task::spawn_blocking(move || read_checked(table, &bound, target, &tx_chunks));
    let db_err = |e: platform::db::DbError| format!("数据库写入失败：{e}");
    let mut tx = db.begin().await.map_err(db_err)?;
    // One transaction over a whole file inserts into indexes keyed by hashes, touching their pages
    // at random: with SQLite's default 2 MB page cache every batch spilled those pages into the
    // write-ahead log again (4.3 GB of log after 16 minutes of a 900,000-row file). The run's
    // connection gets a cache that holds the indexes, and its usual one back before commit.
    let sqlite = tx.backend() == platform::db::Backend::Sqlite;
    if sqlite {
        tx.execute(platform::db::sql("PRAGMA cache_size = -262144")).await.map_err(db_err)?;
    }
    let mut s = Summary::default();
    let now = platform::db::now();
    let layout = target.layout(&mut tx, source, &headings).await.map_err(db_err)?;
    let mut next_analysis = FIRST_ANALYSIS;
    while let Some(mut chunk) = rx_chunks.recv().await {
        flush(&mut tx, target, &mut chunk.records, &mut s, (source, layout), now, dry_run).await.map_err(db_err)?;
        set_progress(run_id, Some(chunk.read));
        on_rows(chunk.read);
        if sqlite && s.inserted >= next_analysis {
            refresh_statistics(&mut tx, target).await.map_err(db_err)?;
            next_analysis = next_analysis.saturating_mul(4);
        }
    }
    let read = reader.await.map_err(|e| format!("读取文件失败：{e}"))?;
    s.total = read.total;
    s.rejected = read.rejected;
    s.rejects = read.rejects;
    on_rows(s.total);
    if s.total == 0 {
        return Err("文件中没有数据行（第 1 行是列名，数据从第 2 行开始）".into());
    }
    if sqlite {
        tx.execute(platform::db::sql("PRAGMA cache_size = -2000")).await.map_err(db_err)?;
    }
    if dry_run {
        drop(tx);
    } else {
        tx.commit().await.map_err(db_err)?;
    }
    Ok(s)
}

/// Rows inserted by a run before SQLite's planner statistics of its tables are refreshed (then
/// after four times as many, and so on).
const FIRST_ANALYSIS: u64 = 2_000;

/// Refreshes the planner statistics of the tables a run is filling, inside its transaction. The
/// server runs `PRAGMA optimize` every five minutes; statistics taken while a table held a hundred
/// rows made SQLite answer the run's `key IN (…500 keys…)` lookups by scanning the whole table —
/// quadratic over an import (a 900,000-row population file took 507 s with a server running and
/// 77 s without one). Sampled (`analysis_limit`), so it costs milliseconds; the index samples
/// that would make statements re-plan on every execution are dropped as `Db::optimize` does.
async fn refresh_statistics(tx: &mut platform::db::Tx, target: Target) -> DbResult<()> {
    tx.execute(sql("PRAGMA analysis_limit = 1000")).await?;
    for table in target.tables() {
        tx.execute(sql(format!("ANALYZE {table}"))).await?;
    }
    tx.execute(sql("PRAGMA analysis_limit = 0")).await?;
    let has_samples =
        tx.count(sql("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'")).await? > 0;
    if has_samples {
        tx.execute(sql("DELETE FROM sqlite_stat4")).await?;
        tx.execute(sql("ANALYZE sqlite_schema")).await?;
    }
    Ok(())
}

/// What the reading thread found besides the records it sent.
struct ReadOutcome {
    total: u64,
    rejected: u64,
    rejects: Vec<Reject>,
}

/// Reads every row, checks it and sends the records in batches; a row repeating a key already
/// seen in the file is rejected.
fn read_checked(
    table: Table,
    bound: &crate::mapping::Bound,
    target: Target,
    out: &tokio::sync::mpsc::Sender<Chunk>,
) -> ReadOutcome {
    let schema = bound.schema;
    let mut r = ReadOutcome { total: 0, rejected: 0, rejects: Vec::new() };
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    let reject = |r: &mut ReadOutcome, found: Vec<Reject>| {
        r.rejected += 1;
        for x in found {
            if r.rejects.len() < KEPT_REJECTS {
                r.rejects.push(x);
            }
        }
    };
    for (row, cells) in table {
        let cells = match cells {
            Ok(c) => c,
            Err(reason) => {
                r.total += 1;
                reject(&mut r, vec![Reject { row, column: String::new(), value: String::new(), reason }]);
                continue;
            }
        };
        // A blank line is no record.
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        r.total += 1;
        match bound.record(row, &cells) {
            Err(found) => reject(&mut r, found),
            Ok(mut rec) => {
                let key = rec.key(schema).to_owned();
                if seen.contains(&key) {
                    let label = bound_label(schema);
                    let reason = format!("{label}与文件中前面的一行重复，本行未导入");
                    reject(&mut r, vec![Reject { row, column: label, value: key, reason }]);
                    continue;
                }
                seen.insert(key);
                target.prepare(&mut rec);
                batch.push(rec);
                if batch.len() == BATCH {
                    let records = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if out.blocking_send(Chunk { records, read: r.total }).is_err() {
                        // The writer stopped (a database error): nothing more to read for.
                        return r;
                    }
                }
            }
        }
    }
    let _ = out.blocking_send(Chunk { records: batch, read: r.total });
    r
}

fn bound_label(schema: &Schema) -> String {
    schema.field(schema.key).map_or(String::new(), |f| f.label.to_owned())
}

/// Classifies a batch against what is stored and writes the new and changed records.
async fn flush(
    tx: &mut platform::db::Tx,
    target: Target,
    batch: &mut Vec<Record>,
    s: &mut Summary,
    (source, layout): (&Source, Option<i64>),
    now: i64,
    dry_run: bool,
) -> DbResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let schema = target.schema();
    let keys: Vec<&str> = batch.iter().map(|r| r.key(schema)).collect();
    let stored = target.existing(tx, &keys, source.id).await?;
    let mut changed: Vec<&Record> = Vec::new();
    for r in batch.iter() {
        match stored.get(r.key(schema)) {
            None => {
                s.inserted += 1;
                changed.push(r);
            }
            Some(h) if *h != r.hash => {
                s.updated += 1;
                changed.push(r);
            }
            Some(_) => s.unchanged += 1,
        }
    }
    if !dry_run {
        target.write(tx, &changed, source, layout, now).await?;
    }
    batch.clear();
    Ok(())
}

/// What one streamed pass over a file on disk tells: its SHA-256 and how many lines it has (the
/// command line's progress bar). The file is never held in memory whole: a population file is
/// 1.7 GB.
pub struct FileFacts {
    pub sha256: String,
    pub lines: u64,
}

pub fn file_facts(path: &std::path::Path) -> std::io::Result<FileFacts> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok(FileFacts { sha256: hex::encode(h.finalize()), lines })
}

// ---- scheduled runs -------------------------------------------------------------------------------

/// The newest CSV, XLSX or JSON file in a watched folder.
pub fn newest_file(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_ascii_lowercase();
            n.ends_with(".csv") || n.ends_with(".xlsx") || n.ends_with(".json")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, p)| p)
}

/// Runs a source once from its watched folder: the newest file, unless the last completed import
/// already read that very file. Returns the run, or `None` when there was nothing new.
pub async fn run_watched(db: &Db, key: &AuditKey, source: &Source) -> Result<Option<Run>, String> {
    let dir = std::path::Path::new(source.watch_dir.trim());
    let path = newest_file(dir).ok_or_else(|| format!("目录 {} 中没有 CSV、XLSX 或 JSON 文件", dir.display()))?;
    let sha = file_facts(&path).map_err(|e| format!("读取 {} 失败：{e}", path.display()))?.sha256;
    let last: Option<platform::db::Scalar<String>> = db
        .fetch_optional(
            sql("SELECT file_sha256 FROM data_import_run WHERE source_id = $1 AND state = 'done' AND dry_run = $2 ORDER BY id DESC LIMIT 1")
                .bind(source.id)
                .bind(false),
        )
        .await
        .map_err(|e| e.to_string())?;
    if last.is_some_and(|l| l.0 == sha) {
        return Ok(None);
    }
    let table = tokio::task::spawn_blocking({
        let path = path.clone();
        move || tables::open_path(&path)
    })
    .await
    .map_err(|e| e.to_string())??;
    let opts = RunOptions {
        dry_run: false,
        trigger: "schedule",
        user_id: None,
        username: "定时任务".into(),
        ip: String::new(),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let id = begin_run(db, source, &name, &sha, &opts).await.map_err(|e| e.to_string())?;
    execute(db, key, source, id, table, &opts, &|_| {}).await.map(Some).map_err(|e| e.to_string())
}

/// Every node: marks its interrupted runs once, then every minute starts the sources whose schedule
/// is due (each source's minute is claimed once across nodes).
pub fn spawn_scheduler(db: Db, key: AuditKey) {
    tokio::spawn(async move {
        if let Err(e) = mark_interrupted(&db).await {
            tracing::warn!(error = %e, "marking interrupted imports failed");
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
            let Ok(list) = sources(&db, None).await else { continue };
            for s in list {
                let due = crate::domain::schedule_due(
                    &s.schedule_days,
                    &s.schedule_time,
                    now.weekday().number_from_monday(),
                    now.hour(),
                    now.minute(),
                );
                if due != Some(true) || s.watch_dir.trim().is_empty() {
                    continue;
                }
                let period = format!(
                    "{}-{:04}{:02}{:02}{:02}{:02}",
                    s.id,
                    now.year(),
                    u8::from(now.month()),
                    now.day(),
                    now.hour(),
                    now.minute()
                );
                if !platform::jobs::claim_period(&db, "data.import", &period).await.unwrap_or(false) {
                    continue;
                }
                match run_watched(&db, &key, &s).await {
                    Ok(Some(r)) => tracing::info!(source = s.id, run = r.id, state = %r.state, "scheduled import ran"),
                    Ok(None) => tracing::info!(source = s.id, "scheduled import: no new file"),
                    Err(e) => tracing::warn!(source = s.id, error = %e, "scheduled import failed"),
                }
            }
        }
    });
}
