//! The `zhengwu` command line: serve the portal, migrate, load demo data, manage accounts and API
//! tokens, verify the audit log, back up. Every flag also reads `ZHENGWU_<FLAG>` from the
//! environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use platform::audit::{self, Event, MacAlg};
use platform::roles::Role;
use platform::web::Config;

#[derive(Parser)]
#[command(name = "zhengwu", version, about = "政务门户平台 Zhengwu — government portal site group")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct Global {
    /// Data directory (SQLite database, audit key, uploaded files).
    #[arg(long, env = "ZHENGWU_DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…); SQLite under the data directory when absent.
    #[arg(long, env = "ZHENGWU_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Audit log MAC: hmac-sha256 (default) or hmac-sm3 (for 密评 deployments).
    #[arg(long, env = "ZHENGWU_AUDIT_MAC", default_value = "hmac-sha256", global = true)]
    audit_mac: String,
    /// Outgoing mail relay, smtp://host:port (no TLS: a relay on the local network).
    #[arg(long, env = "ZHENGWU_SMTP_URL", global = true)]
    smtp_url: Option<String>,
    /// From address of outgoing mail.
    #[arg(long, env = "ZHENGWU_MAIL_FROM", default_value = "noreply@zhengwu.local", global = true)]
    mail_from: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ZHENGWU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Trust X-Forwarded-For from the reverse proxy in front of Zhengwu (the address it appended).
    #[arg(long, env = "ZHENGWU_TRUST_PROXY")]
    trust_proxy: bool,
    /// With --trust-proxy: how many proxies append to X-Forwarded-For (e.g. 2 for SLB → nginx).
    #[arg(long, env = "ZHENGWU_PROXY_HOPS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    proxy_hops: u8,
    /// Client addresses (comma-separated) allowed to read /metrics; direct loopback requests always may.
    #[arg(long, env = "ZHENGWU_METRICS_ALLOW", value_delimiter = ',')]
    metrics_allow: Vec<std::net::IpAddr>,
    /// A bearer token that allows reading /metrics from any address (for a Prometheus elsewhere).
    #[arg(long, env = "ZHENGWU_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "ZHENGWU_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Size of the in-memory page cache in MB; 0 disables it (to measure rendering cost).
    #[arg(long, env = "ZHENGWU_PAGE_CACHE_MB", default_value_t = 128)]
    page_cache_mb: usize,
    /// PEM certificate chain: serve HTTPS with HTTP/2 and HTTP/1.1 (needs --tls-key; cookies
    /// become Secure).
    #[arg(long, env = "ZHENGWU_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ZHENGWU_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Back office only (an intranet node for 协同办公): no public site, no public pages or public
    /// API endpoints — they answer 404.
    #[arg(long, env = "ZHENGWU_NO_PUBLIC")]
    no_public: bool,
    /// Do not count page views for the access statistics (to measure what counting costs).
    #[arg(long)]
    no_visit_counting: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the portal and back office.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo site group and demo accounts (one per role); --serve keeps serving.
    Demo {
        #[command(flatten)]
        opts: ServeArgs,
        /// Keep serving after loading.
        #[arg(long, env = "ZHENGWU_SERVE")]
        serve: bool,
        /// Number of demo articles.
        #[arg(long, env = "ZHENGWU_ARTICLES", default_value_t = 3000)]
        articles: u32,
        /// Generated district and department sites besides the demo's five, each with its own
        /// columns sharing the articles (a large site group, e.g. for the monitor benchmark).
        #[arg(long, env = "ZHENGWU_SITES", default_value_t = 0)]
        sites: u32,
        /// Number of generated citizens' letters over the past year (互动交流).
        #[arg(long, env = "ZHENGWU_LETTERS", default_value_t = 2000)]
        letters: u32,
        /// Number of generated online-service applications over the past half year (网上办事).
        #[arg(long, env = "ZHENGWU_APPLICATIONS", default_value_t = 600)]
        applications: u32,
        /// Number of generated disclosure requests over the past year, besides the demo's own (政府信息公开).
        #[arg(long, env = "ZHENGWU_DISCLOSURE_REQUESTS", default_value_t = 0)]
        disclosure_requests: u32,
        /// Number of generated 主动公开 catalogue items over eight years, besides the demo's own.
        #[arg(long, env = "ZHENGWU_DISCLOSURE_ITEMS", default_value_t = 0)]
        disclosure_items: u32,
        /// Number of generated responses to the demo's closed survey, besides its own 600 (公众参与).
        #[arg(long, env = "ZHENGWU_SURVEY_RESPONSES", default_value_t = 0)]
        survey_responses: u32,
        /// Number of generated exchanged documents over the past year (协同办公, benchmarks).
        #[arg(long, env = "ZHENGWU_OFFICE_DOCUMENTS", default_value_t = 0)]
        office_documents: u32,
        /// Number of generated suggestions and proposals besides the demo session's 400 (协同办公,
        /// benchmarks).
        #[arg(long, env = "ZHENGWU_PROPOSALS", default_value_t = 0)]
        proposals: u32,
        /// Number of enterprises in the registry file the demo imports (信息资源共享, 企业名录).
        #[arg(long, env = "ZHENGWU_ENTERPRISES", default_value_t = 30_000)]
        enterprises: u32,
        /// Number of people in the departments' files the demo's population database merges
        /// (人口资源库: 公安, 卫健, 民政, 人社).
        #[arg(long, env = "ZHENGWU_PEOPLE", default_value_t = 6_000)]
        people: u32,
        /// Number of points of interest in the register the demo's map imports (地图服务).
        #[arg(long, env = "ZHENGWU_POIS", default_value_t = 12_000)]
        pois: u32,
        /// Days of hourly history at the demo's monitoring stations (信息资源共享, 动态监测).
        #[arg(long, env = "ZHENGWU_MONITOR_DAYS", default_value_t = 365)]
        monitor_days: u32,
        /// Page views replayed into the access statistics (访问统计): 120 days, or a year from
        /// 1,000,000 views on.
        #[arg(long, env = "ZHENGWU_VISITS", default_value_t = 150_000)]
        visits: u32,
        /// Confirmed subscribers of the portal's columns (信息订阅; 100,000 for the alert benchmark).
        #[arg(long, env = "ZHENGWU_SUBSCRIBERS", default_value_t = 120)]
        subscribers: u32,
        /// Staff in the 机关效能评价窗口 (78 units), each with a year of citizens' ratings.
        #[arg(long, env = "ZHENGWU_RATED_STAFF", default_value_t = 2_500)]
        rated_staff: u32,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage personal API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Check a signed-for document's receipt (协同办公): the document's elements and every part
    /// re-read from disk against the digests the recipient signed for, and the audit chain's copy.
    /// Exit status 1 when it does not hold.
    Receipt {
        /// The delivery (one recipient unit's copy) whose receipt to check.
        #[arg(long)]
        delivery: i64,
    },
    /// Import a file through a saved source (信息资源共享): every row checked, the rest upserted by
    /// the source's key, a report of each rejected row; the run is in the back office's history.
    Import {
        /// The source (数据导入) whose target and field mapping to use.
        #[arg(long)]
        source: i64,
        /// Check only: report what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The CSV (UTF-8 or GBK), XLSX or JSON file.
        file: std::path::PathBuf,
    },
    /// Import documents into a 文库 (a channel; its sub-channels are the categories): a
    /// folder of PDF, DOCX or OFD files and a mapping file (CSV in UTF-8 or GBK, or XLSX) with the
    /// columns 文件名, 标题, 文号, 发文机关, 成文日期, 分类 and 摘要. Files already in the library are
    /// skipped, so a run can be repeated; every row left out is listed with its reason.
    Library {
        /// The library's channel (its number in 站点与栏目): a list channel, or a link channel
        /// to /wenku/; its sub-channels are the categories (made when a mapping names a new one).
        #[arg(long)]
        channel: i64,
        /// The account the documents are written by.
        #[arg(long, default_value = "siteadmin")]
        user: String,
        /// Publish at once (documents already issued; the account needs the right to publish)
        /// instead of sending each for review.
        #[arg(long)]
        publish: bool,
        /// Check only: report what would be imported and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The folder holding the files.
        #[arg(long)]
        dir: std::path::PathBuf,
        /// The mapping file.
        mapping: std::path::PathBuf,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Rebuild the search index from the database (progress shown; searching continues meanwhile).
    Reindex,
    /// Write a site's public pages as static files with relative links (for nginx or a CDN).
    Export {
        /// Site code, e.g. kjj.
        #[arg(long, env = "ZHENGWU_SITE")]
        site: String,
        #[arg(long, env = "ZHENGWU_OUT")]
        out: PathBuf,
        /// Public origin of the live portal (used for feeds, sitemap and the search box).
        #[arg(long, env = "ZHENGWU_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Back up the database to a file.
    Backup {
        #[arg(long, env = "ZHENGWU_OUT")]
        out: PathBuf,
    },
    /// Restore a backup into an empty database (stop the portal first; SQLite: an empty data
    /// directory, PostgreSQL: an empty database).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account; it must change its password at first sign-in.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, env = "ZHENGWU_PASSWORD")]
        password: String,
        /// Role code: sysadmin, secadmin, auditor, site_admin, editor, reviewer, handler, leader.
        #[arg(long)]
        role: Option<String>,
        /// Org unit code the account belongs to.
        #[arg(long)]
        org: Option<String>,
        /// Where the role applies: global, org:<单位代码>, site:<站点代码> or channel:<栏目编号>.
        /// Without it the three administrators and site_admin are global and every other role
        /// applies to the account's own unit (--org).
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List accounts.
    List,
    /// Set a new temporary password (must be changed at next sign-in).
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "ZHENGWU_PASSWORD")]
        password: String,
    },
    /// Disable an account, ending its sessions and revoking its tokens.
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create a personal API token and print it (shown once).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "命令行创建")]
        name: String,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Verify the hash chain; exits non-zero and names the first broken entry if tampered.
    Verify,
    /// Delete entries older than the retention period (the prune is itself audited).
    Prune,
}

fn config(g: &Global, s: Option<&ServeArgs>) -> Config {
    Config {
        listen: s.map_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)), |s| s.listen),
        data_dir: g.data_dir.clone(),
        database_url: g.database_url.clone(),
        trusted_proxy_hops: s.filter(|s| s.trust_proxy).map_or(0, |s| s.proxy_hops),
        secure_cookies: s.is_some_and(|s| s.secure_cookies || s.tls_cert.is_some()),
        smtp_url: g.smtp_url.clone(),
        mail_from: g.mail_from.clone(),
        metrics_allow: s.map(|s| s.metrics_allow.clone()).unwrap_or_default(),
        metrics_token: s.and_then(|s| s.metrics_token.clone()),
        public_site: !s.is_some_and(|s| s.no_public),
        count_visits: !s.is_some_and(|s| s.no_visit_counting),
    }
}

fn cli_event(action: &str, target: &str, summary: String) -> Event {
    Event {
        username: "cli".into(),
        ip: "local".into(),
        action: action.into(),
        target: target.into(),
        outcome: "success".into(),
        summary,
        ..Event::default()
    }
}

fn bar(len: u64, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(msg.to_owned());
    pb
}

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

/// glibc gives every thread that allocates its own arena (up to eight per core); with two tokio
/// workers and a thread per SQLite connection, freed page memory stayed spread over a dozen
/// arenas and the serving process grew ~30% past its live data at a million articles. Two arenas
/// keep memory close to what is live at no measurable cost in throughput. Must run before any
/// thread starts. The one `unsafe` in the workspace (the lint denies it everywhere else).
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Structured logs: key=value text by default, one JSON object per line with ZHENGWU_LOG_FORMAT=json.
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZHENGWU_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    if std::env::var("ZHENGWU_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
    }
    let alg = MacAlg::parse(&cli.global.audit_mac).context("--audit-mac 只能是 hmac-sha256 或 hmac-sm3")?;
    let env_key = std::env::var("ZHENGWU_AUDIT_KEY").ok();
    match cli.cmd {
        Cmd::Version => println!("zhengwu {}", env!("CARGO_PKG_VERSION")),
        Cmd::Migrate => {
            let cfg = config(&cli.global, None);
            zhengwu::open_db(&cfg).await?;
            println!("数据库已迁移到最新版本。");
        }
        Cmd::Serve(s) => {
            let cfg = config(&cli.global, Some(&s));
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            serve(db, cfg, key, &s).await?;
        }
        Cmd::Demo {
            opts: s,
            serve: serve_after,
            articles,
            sites,
            letters,
            applications,
            disclosure_requests,
            disclosure_items,
            survey_responses,
            office_documents,
            proposals,
            enterprises,
            people,
            pois,
            monitor_days,
            visits,
            subscribers,
            rated_staff,
        } => {
            let cfg = config(&cli.global, Some(&s));
            let tls = if serve_after { tls_of(&s)? } else { None };
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            let listen = cfg.listen;
            let app = zhengwu::build_with(db, cfg, key, cache_config(&s)).await?;
            let pb = bar(u64::from(articles), "生成演示信息");
            let progress = pb.clone();
            let demo = zhengwu::demo::load(
                &app.state,
                zhengwu::demo::Sizes {
                    articles,
                    sites,
                    letters,
                    applications,
                    disclosure_requests,
                    disclosure_items,
                    survey_responses,
                    office_documents,
                    proposals,
                    enterprises,
                    people,
                    pois,
                    monitor_days,
                    visits,
                    subscribers,
                    rated_staff,
                },
                move |done| progress.set_position(done),
            )
            .await?;
            pb.finish_and_clear();
            for line in &demo.lines {
                println!("{line}");
            }
            println!("演示账号（密码均为 {}）：", zhengwu::demo::DEMO_PASSWORD);
            for (user, role) in &demo.accounts {
                println!("  {user:<12} {role}");
            }
            println!("门户首页：http://{}/    管理后台：http://{}/admin", s.listen, s.listen);
            if serve_after {
                serve_app(app, listen, tls).await?;
            }
        }
        Cmd::User { cmd } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            user_cmd(&db, &key, cmd).await?;
        }
        Cmd::Receipt { delivery } => {
            let cfg = config(&cli.global, None);
            let db = zhengwu::open_db(&cfg).await?;
            let problems = office::exchange::verify_receipt(&db, &cfg.data_dir, delivery)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let x = office::exchange::delivery(&db, delivery).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "签收回执 {}（{} {}）",
                x.receipt_digest,
                x.signed_by,
                x.signed_at.map(platform::fmt_time).unwrap_or_default()
            );
            if problems.is_empty() {
                println!("核验通过：公文要素和每个文件都与签收时一致，回执已记入审计日志。");
            } else {
                for p in &problems {
                    println!("核验未通过：{p}");
                }
                std::process::exit(1);
            }
        }
        Cmd::Import { source, dry_run, file } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            let src =
                data::import::source(&db, source).await?.with_context(|| format!("没有编号为 {source} 的数据源"))?;
            let facts = data::import::file_facts(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let sha = facts.sha256;
            // Lines in the file, for the bar (a CSV row per line; close enough for XLSX/JSON too).
            let lines = facts.lines;
            let path = file.clone();
            let table =
                tokio::task::spawn_blocking(move || tables::open_path(&path)).await?.map_err(anyhow::Error::msg)?;
            let opts = data::import::RunOptions {
                dry_run,
                trigger: "command",
                user_id: None,
                username: "命令行".into(),
                ip: String::new(),
            };
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let run = data::import::begin_run(&db, &src, &name, &sha, &opts).await?;
            let pb = bar(lines.saturating_sub(1), if dry_run { "试运行" } else { "导入" });
            let progress = pb.clone();
            let r =
                data::import::execute(&db, &key, &src, run, table, &opts, &move |n| progress.set_position(n)).await?;
            pb.finish_and_clear();
            println!(
                "{}：{}（{}），{} 行：新增 {}，更新 {}，未变 {}，拒绝 {}",
                r.state_label(),
                r.file_name,
                r.encoding,
                r.total,
                r.inserted,
                r.updated,
                r.unchanged,
                r.rejected
            );
            if !r.message.is_empty() {
                println!("{}", r.message);
            }
            for x in r.rejects().iter().take(20) {
                println!("  第 {} 行 {}「{}」：{}", x.row, x.column, x.value, x.reason);
            }
            if r.rejected > 20 {
                println!("  ……其余被拒绝的行见管理后台的运行报告（编号 {}）", r.id);
            }
            if r.state != "done" {
                std::process::exit(1);
            }
        }
        Cmd::Token { cmd } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            match cmd {
                TokenCmd::Create { username, name } => {
                    let u = platform::accounts::user_by_name(&db, &username)
                        .await?
                        .with_context(|| format!("没有账号 {username}"))?;
                    if u.disabled {
                        bail!("账号 {username} 已停用");
                    }
                    let (id, token) = platform::accounts::create_token(&db, u.id, &name).await?;
                    audit::record(
                        &db,
                        &key,
                        cli_event(
                            "token.create",
                            &format!("token:{id}"),
                            format!("为 {username} 生成 API 令牌“{name}”"),
                        ),
                    )
                    .await?;
                    println!("{token}");
                }
                TokenCmd::Revoke { id } => {
                    platform::accounts::token_by_id(&db, id)
                        .await?
                        .with_context(|| format!("没有编号为 {id} 的令牌"))?;
                    platform::accounts::revoke_token(&db, id).await?;
                    audit::record(
                        &db,
                        &key,
                        cli_event("token.revoke", &format!("token:{id}"), "命令行吊销令牌".into()),
                    )
                    .await?;
                    println!("令牌 {id} 已吊销。");
                }
            }
        }
        Cmd::Audit { cmd } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            match cmd {
                AuditCmd::Verify => {
                    let pb = bar(0, "校验审计日志");
                    let report = audit::verify(&db, &key.key, |done, total| {
                        pb.set_length(total as u64);
                        pb.set_position(done as u64);
                    })
                    .await?;
                    pb.finish_and_clear();
                    match report.first_broken {
                        None => println!("审计日志完整：已校验 {} 条记录。", report.checked),
                        Some((seq, why)) => {
                            eprintln!("审计日志被篡改：第 {seq} 条记录——{why}（此前 {} 条完好）。", report.checked);
                            std::process::exit(2);
                        }
                    }
                }
                AuditCmd::Prune => {
                    let policy = platform::accounts::load_policy(&db).await?;
                    let n = audit::prune(&db, &key, policy.audit_retention_days, "cli").await?;
                    println!("已清理 {n} 条超过 {} 天的审计记录。", policy.audit_retention_days);
                }
            }
        }
        Cmd::Library { channel, user, publish, dry_run, dir, mapping } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            let app = zhengwu::build_with(db, cfg, key, zhengwu::CacheConfig::default()).await?;
            let pb = bar(0, if dry_run { "检查文库文件" } else { "导入文库" });
            let progress = pb.clone();
            let opts = zhengwu::library::LibraryImport {
                channel,
                username: &user,
                mapping: &mapping,
                dir: &dir,
                dry_run,
                publish,
            };
            let r = zhengwu::library::import(&app.state, &opts, &move |n, total| {
                progress.set_length(total);
                progress.set_position(n);
            })
            .await?;
            pb.finish_and_clear();
            if dry_run {
                println!("试运行：可导入 {}，已在文库中 {}，有误 {}", r.checked, r.skipped, r.rejected.len());
            } else {
                println!(
                    "文库导入完成：发布 {}，送审 {}，已在文库中（跳过）{}，未导入 {}",
                    r.published,
                    r.in_review,
                    r.skipped,
                    r.rejected.len()
                );
            }
            for x in &r.rejected {
                println!("  第 {} 行 {} “{}”：{}", x.line, x.column, x.value, x.reason);
            }
        }
        Cmd::Reindex => {
            let cfg = config(&cli.global, None);
            let db = zhengwu::open_db(&cfg).await?;
            let words = cms::indexing::extra_words(&db).await;
            let idx = search::SearchIndex::open(&cfg.data_dir.join("search"), &words)?;
            let started = std::time::Instant::now();
            let pb = bar(0, "重建搜索索引");
            let n = cms::indexing::rebuild(&db, &idx, |done, total| {
                pb.set_length(total);
                pb.set_position(done);
            })
            .await
            .map_err(anyhow::Error::msg)?;
            pb.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "搜索索引已重建：{n} 篇，用时 {secs:.1} 秒（{:.0} 篇/秒），已切换到新索引。",
                n as f64 / secs.max(0.001)
            );
        }
        Cmd::Export { site, out, base_url } => {
            let cfg = config(&cli.global, None);
            let db = zhengwu::open_db(&cfg).await?;
            let started = std::time::Instant::now();
            let pb = bar(0, "导出信息页");
            let base = base_url.trim_end_matches('/').to_owned();
            let search = format!("{base}/search");
            let report = cms::export::export_site(
                &db,
                &cfg.data_dir.join("files"),
                &site,
                &out,
                &search,
                &base,
                |done, total| {
                    pb.set_length(total);
                    pb.set_position(done);
                },
            )
            .await?;
            pb.finish_and_clear();
            println!(
                "已导出站点 {site} 到 {}：{} 个栏目页，{} 篇信息，{} 个文件，用时 {:.1} 秒。",
                out.display(),
                report.pages,
                report.articles,
                report.files,
                started.elapsed().as_secs_f64()
            );
        }
        Cmd::Backup { out } => {
            let cfg = config(&cli.global, None);
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            let spinner = ProgressBar::new_spinner();
            spinner.set_message("正在备份…");
            spinner.enable_steady_tick(Duration::from_millis(120));
            zhengwu::backup::backup(&db, &cfg, &out).await?;
            spinner.finish_and_clear();
            audit::record(&db, &key, cli_event("backup", &out.display().to_string(), "命令行备份数据库".into()))
                .await?;
            println!(
                "已备份到 {}（上传的附件在数据目录 files/ 下，请一并备份；审计密钥 audit.key 和个人信息密钥 pii.key 请另行妥善保管）。",
                out.display()
            );
        }
        Cmd::Restore { from } => {
            let cfg = config(&cli.global, None);
            zhengwu::backup::restore(&cfg, &from).await?;
            let key = zhengwu::load_audit_key(&cfg.data_dir, env_key.as_deref(), alg)?;
            let db = zhengwu::open_db(&cfg).await?;
            audit::record(
                &db,
                &key,
                cli_event("restore", &from.display().to_string(), "命令行从备份恢复数据库".into()),
            )
            .await?;
            println!("已从 {} 恢复。请用 zhengwu audit verify 核对审计日志，然后启动服务。", from.display());
        }
    }
    Ok(())
}

fn cache_config(s: &ServeArgs) -> zhengwu::CacheConfig {
    zhengwu::CacheConfig { bytes: s.page_cache_mb << 20 }
}

/// The HTTPS configuration when `--tls-cert` and `--tls-key` are given; read before anything
/// starts, so a bad file fails at once with its name.
fn tls_of(s: &ServeArgs) -> anyhow::Result<Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>> {
    Ok(match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => Some(zhengwu::tls::server_config(cert, key)?),
        _ => None,
    })
}

async fn serve(db: platform::db::Db, cfg: Config, key: audit::AuditKey, s: &ServeArgs) -> anyhow::Result<()> {
    let tls = tls_of(s)?;
    let listen = cfg.listen;
    let app = zhengwu::build_with(db, cfg, key, cache_config(s)).await?;
    serve_app(app, listen, tls).await
}

async fn serve_app(
    app: zhengwu::App,
    listen: SocketAddr,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
) -> anyhow::Result<()> {
    zhengwu::spawn_jobs(&app);
    let state = app.state.clone();
    let app = app.router;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("无法监听 {listen}"))?;
    match tls {
        Some(tls) => {
            tracing::info!("zhengwu listening on https://{listen} (HTTP/2 and HTTP/1.1)");
            println!("正在服务：https://{listen}/ （HTTP/2，管理后台 https://{listen}/admin），按 Ctrl+C 停止。");
            zhengwu::tls::serve(listener, app, tls, shutdown_signal()).await?;
        }
        None => {
            tracing::info!("zhengwu listening on http://{listen}");
            println!("正在服务：http://{listen}/ （管理后台 http://{listen}/admin），按 Ctrl+C 停止。");
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    state.db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn user_cmd(db: &platform::db::Db, key: &audit::AuditKey, cmd: UserCmd) -> anyhow::Result<()> {
    use platform::accounts;
    match cmd {
        UserCmd::Create { username, password, role, org, scope, display_name } => {
            let policy = accounts::load_policy(db).await?;
            if let Err(m) = platform::security::check_password(&policy, &username, &password) {
                bail!("密码不符合策略：{m}");
            }
            let role = match role.as_deref() {
                Some(r) => Some(Role::parse(r).with_context(|| format!("未知角色 {r}"))?),
                None => None,
            };
            let org_id = match org.as_deref() {
                Some(code) => Some(
                    accounts::org_by_code(db, code).await?.with_context(|| format!("没有代码为 {code} 的单位"))?.id,
                ),
                None => None,
            };
            let grant = match role {
                Some(r) => Some(zhengwu::cli::grant_for(db, r, scope.as_deref(), org.as_deref()).await?),
                None if scope.is_some() => bail!("--scope 需要与 --role 一起使用"),
                None => None,
            };
            if let Some(g) = grant {
                platform::roles::check_grant_allowed(&[], g).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let id = accounts::create_user(
                db,
                accounts::NewUser {
                    username: &username,
                    display_name: display_name.as_deref().unwrap_or(&username),
                    email: None,
                    org_id,
                    password_hash: platform::security::hash_password(&password),
                    must_change_password: true,
                },
            )
            .await?;
            if let Some(g) = grant {
                accounts::add_grant(db, id, g, "cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let granted = grant.map_or_else(
                || "无".to_owned(),
                |g| format!("{}（{}:{}）", g.role.label(), g.scope.code(), scope.as_deref().unwrap_or("默认")),
            );
            audit::record(
                db,
                key,
                cli_event("user.create", &format!("user:{username}"), format!("命令行创建账号，角色 {granted}")),
            )
            .await?;
            println!("授权：{granted}");
            println!("已创建账号 {username}（首次登录须修改密码）。");
        }
        UserCmd::List => {
            let (users, _) = accounts::list_users(db, "", 10_000, 0).await?;
            let grants = accounts::all_grants(db).await?;
            for u in users {
                let roles: Vec<String> = grants.iter().filter(|g| g.user_id == u.id).map(|g| g.role.clone()).collect();
                println!(
                    "{:<6} {:<16} {:<12} {:<8} {}",
                    u.id,
                    u.username,
                    u.display_name,
                    if u.disabled { "停用" } else { "正常" },
                    roles.join(",")
                );
            }
        }
        UserCmd::ResetPassword { username, password } => {
            let u = accounts::user_by_name(db, &username).await?.with_context(|| format!("没有账号 {username}"))?;
            let policy = accounts::load_policy(db).await?;
            if let Err(m) = platform::security::check_password(&policy, &username, &password) {
                bail!("密码不符合策略：{m}");
            }
            accounts::set_password(db, u.id, platform::security::hash_password(&password), true).await?;
            audit::record(
                db,
                key,
                cli_event("user.reset_password", &format!("user:{username}"), "命令行重置密码".into()),
            )
            .await?;
            println!("已重置 {username} 的密码，下次登录须修改。");
        }
        UserCmd::Disable { username } => {
            let u = accounts::user_by_name(db, &username).await?.with_context(|| format!("没有账号 {username}"))?;
            accounts::set_disabled(db, u.id, true).await?;
            audit::record(db, key, cli_event("user.disable", &format!("user:{username}"), "命令行停用账号".into()))
                .await?;
            println!("已停用 {username}。");
        }
    }
    Ok(())
}
