//! Composition of the Zhengwu program: opens the database, loads the audit key, builds the
//! application state with every subsystem's templates, menus, API operations and routers, and runs
//! the background jobs. `main.rs` is only the command line around this; the integration tests
//! build the same application through [`build`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use platform::audit::{AuditKey, MacAlg};
use platform::db::Db;
use platform::module::{Module, Modules};
use platform::web::{self, AppState, Config};

pub mod backup;
pub mod cli;
pub mod demo;
pub mod library;
pub mod tls;

/// Reads the audit MAC key from `ZHENGWU_AUDIT_KEY`, or from `audit.key` in the data directory,
/// creating that file (owner-readable only) on first start. It is deliberately not in the
/// database: whoever can rewrite the database must not also be able to re-sign the audit chain.
pub fn load_audit_key(data_dir: &Path, env_key: Option<&str>, alg: MacAlg) -> anyhow::Result<AuditKey> {
    if let Some(k) = env_key.filter(|k| !k.is_empty()) {
        anyhow::ensure!(k.len() >= 16, "ZHENGWU_AUDIT_KEY 至少需要 16 个字符");
        return Ok(AuditKey { key: k.as_bytes().to_vec(), alg });
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("无法创建数据目录 {}", data_dir.display()))?;
    let path = data_dir.join("audit.key");
    if !path.exists() {
        let key = platform::security::random_token(32);
        write_private(&path, key.as_bytes())?;
    }
    let key = std::fs::read_to_string(&path).with_context(|| format!("无法读取审计密钥 {}", path.display()))?;
    Ok(AuditKey { key: key.trim().as_bytes().to_vec(), alg })
}

fn write_private(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("无法创建 {}", path.display()))?;
    f.write_all(data)?;
    Ok(())
}

/// Reads the key that seals citizens' ID numbers at rest from `ZHENGWU_PII_KEY`, or from
/// `pii.key` in the data directory (created owner-readable on first start). Like the audit key it
/// stays out of the database and out of database backups; every node needs the same value.
pub fn load_pii_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(k) = std::env::var("ZHENGWU_PII_KEY")
        && !k.is_empty()
    {
        anyhow::ensure!(k.len() >= 16, "ZHENGWU_PII_KEY 至少需要 16 个字符");
        return Ok(k.into_bytes());
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("无法创建数据目录 {}", data_dir.display()))?;
    let path = data_dir.join("pii.key");
    if !path.exists() {
        write_private(&path, platform::security::random_token(32).as_bytes())?;
    }
    let key = std::fs::read_to_string(&path).with_context(|| format!("无法读取个人信息密钥 {}", path.display()))?;
    Ok(key.trim().as_bytes().to_vec())
}

/// Opens and migrates the database, and installs the personal-data key before anything can read or
/// write a sealed column.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    platform::sealed::install(&load_pii_key(&config.data_dir)?);
    let db = Db::connect(config.database_url.as_deref(), &config.data_dir)
        .await
        .with_context(|| "无法连接数据库".to_owned())?;
    db.migrate().await.context("数据库迁移失败")?;
    Ok(db)
}

/// The running application: shared state (with the modules) and the router.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    /// A module's own state, by its type.
    pub fn module<M: Module>(&self) -> Arc<M> {
        self.state.modules.get::<M>().unwrap_or_else(|| panic!("module {} is not composed", std::any::type_name::<M>()))
    }

    pub fn cms(&self) -> Arc<cms::Cms> {
        self.module()
    }
}

/// Page cache settings (`--page-cache-mb`; 0 disables it, to measure rendering cost).
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    pub bytes: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { bytes: cms::DEFAULT_CACHE_BYTES }
    }
}

/// The program's subsystems. Adding one is one line here (and its crate).
fn modules(config: &Config, cache: CacheConfig, search: Option<Arc<search::SearchIndex>>) -> Modules {
    Modules::new(vec![
        cms::Cms::new(&config.data_dir, cache.bytes, cache.bytes > 0, search.clone()),
        interaction::Interaction::new(&config.data_dir, search.clone()),
        services::Services::new(&config.data_dir, search.clone()),
        disclosure::Disclosure::new(search.clone()),
        participation::Participation::new(),
        office::Office::new(),
        data::Data::new(search.clone()),
        supervision::Supervision::new(),
        listings::Listings::new(search.clone()),
        courseware::Courseware::new(search.clone()),
        live::Live::new(),
    ])
}

/// Builds the application for a migrated database.
pub async fn build(db: Db, config: Config, key: AuditKey) -> anyhow::Result<App> {
    build_with(db, config, key, CacheConfig::default()).await
}

pub async fn build_with(db: Db, config: Config, key: AuditKey, cache: CacheConfig) -> anyhow::Result<App> {
    let words = cms::indexing::extra_words(&db).await;
    let search = match search::SearchIndex::open(&config.data_dir.join("search"), &words) {
        Ok(s) => {
            s.set_synonyms(&cms::indexing::extra_synonyms(&db).await);
            Some(Arc::new(s))
        }
        Err(e) => {
            tracing::error!(error = %e, "search index unavailable; falling back to title search");
            None
        }
    };
    let modules = modules(&config, cache, search.clone());
    for m in modules.iter() {
        // Where each module's hits lead in the portal search.
        if let Some(idx) = &search {
            for k in m.search_kinds() {
                idx.register_kind(search::KindLink { kind: k.kind, label: k.label, url_prefix: k.url_prefix });
            }
        }
        for spec in m.sealed() {
            let n = platform::sealed::seal_legacy(&db, spec).await.context("加密存量个人信息失败")?;
            if n > 0 {
                tracing::info!(
                    table = spec.table,
                    rows = n,
                    "sealed personal data stored in clear by an earlier version"
                );
            }
        }
    }
    let cms = modules.get::<cms::Cms>().context("内容管理模块缺失")?;
    let state = AppState::new(db, config, key, modules)?;
    let router = web::app(state.clone()).layer(cms::public::CachedPagesLayer::new(cms, &state));
    state.start_outbox();
    Ok(App { state, router })
}

/// Every module's background work, and the platform's housekeeping: expired sessions, old sign-in
/// failures, audit retention. Each node runs it; the statements are idempotent so several nodes
/// doing it does no harm.
pub fn spawn_jobs(app: &App) {
    app.state.analytics.clone().spawn(app.state.db.clone());
    for m in app.state.modules.iter() {
        m.clone().spawn_jobs(app.state.clone());
    }
    let state = app.state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        let mut last_prune = 0i64;
        loop {
            tick.tick().await;
            let policy = state.policy().await;
            let _ = platform::accounts::sweep_sessions(&state.db, i64::from(policy.idle_timeout_minutes) * 60).await;
            let cutoff = platform::db::now() - 86_400;
            let _ = state.db.execute(platform::db::sql("DELETE FROM login_failure WHERE at < $1").bind(cutoff)).await;
            let _ = state.db.optimize().await;
            let _ = platform::jobs::prune(&state.db, 90).await;
            if platform::db::now() - last_prune > 86_400 {
                last_prune = platform::db::now();
                if let Err(e) =
                    platform::audit::prune(&state.db, &state.audit_key, policy.audit_retention_days, "system").await
                {
                    tracing::error!(error = %e, "audit prune failed");
                }
            }
        }
    });
}
