//! Backup and restore of the database: SQLite by `VACUUM INTO` (a consistent copy while the portal
//! keeps serving) and a file copy back into an empty data directory; PostgreSQL by `pg_dump
//! --format=custom` and `pg_restore` into an empty database. Uploaded files, `audit.key` and
//! `pii.key` live outside the database and are backed up with the data directory.

use std::path::Path;

use anyhow::{Context, bail};
use platform::db::Db;
use platform::web::Config;

/// Writes a consistent copy of the database to `out` (which must not exist).
pub async fn backup(db: &Db, cfg: &Config, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} 已存在，请换一个文件名", out.display());
    }
    match db {
        Db::Sqlite(_) => {
            let path = out.to_str().context("备份路径不是有效的 UTF-8")?.replace('\'', "''");
            db.execute(platform::db::sql(format!("VACUUM INTO '{path}'"))).await?;
        }
        Db::Postgres(_) => {
            let url = cfg.database_url.clone().unwrap_or_default();
            pg_tool(
                "pg_dump",
                &["--format=custom".as_ref(), "--no-owner".as_ref(), "--file".as_ref(), out.as_os_str(), url.as_ref()],
            )
            .await?;
        }
    }
    Ok(())
}

/// Restores a backup made by [`backup`] into an empty database: the SQLite file of an empty data
/// directory, or an empty PostgreSQL database. Refuses to overwrite data.
pub async fn restore(cfg: &Config, from: &Path) -> anyhow::Result<()> {
    if !from.is_file() {
        bail!("备份文件 {} 不存在", from.display());
    }
    match cfg.database_url.as_deref() {
        None => {
            let target = cfg.data_dir.join("zhengwu.db");
            if target.exists() {
                bail!("{} 已有数据库，恢复只写入空的数据目录（请先移走现有数据库）", target.display());
            }
            std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("无法创建 {}", cfg.data_dir.display()))?;
            let head = std::fs::read(from).map(|b| b.get(..16).map(<[u8]>::to_vec).unwrap_or_default())?;
            if head != b"SQLite format 3\0" {
                bail!("{} 不是 SQLite 备份文件", from.display());
            }
            std::fs::copy(from, &target).with_context(|| format!("无法写入 {}", target.display()))?;
        }
        Some(url) => {
            let db = Db::connect(Some(url), &cfg.data_dir).await.context("无法连接数据库")?;
            let tables = db
                .count(platform::db::sql(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
                ))
                .await?;
            db.close().await;
            if tables > 0 {
                bail!("目标数据库不是空的（已有 {tables} 张表），恢复只写入空数据库");
            }
            pg_tool(
                "pg_restore",
                &[
                    "--no-owner".as_ref(),
                    "--exit-on-error".as_ref(),
                    "--dbname".as_ref(),
                    url.as_ref(),
                    from.as_os_str(),
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// Runs one of PostgreSQL's client programs (`pg_dump`, `pg_restore`), naming it when it is missing
/// or fails.
async fn pg_tool(program: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new(program)
        .args(args)
        .status()
        .await
        .with_context(|| format!("需要 PostgreSQL 的 {program} 命令（Debian 软件包 postgresql-client）"))?;
    if !status.success() {
        bail!("{program} 失败：{status}");
    }
    Ok(())
}
