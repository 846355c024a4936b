//! Test harness: a fresh database per test (a SQLite file in a temp directory, or a new PostgreSQL
//! database when `ZHENGWU_TEST_POSTGRES_URL` is set), the real router driven in-process, and a small
//! client that keeps cookies and echoes CSRF tokens like a browser.
//!
//! `backend_tests!` turns one async test body into a `sqlite` and a `postgres` test. When
//! `ZHENGWU_TEST_REQUIRE_POSTGRES=1` (CI), a missing or unreachable PostgreSQL fails the test
//! instead of skipping it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use platform::audit::{AuditKey, MacAlg};
use platform::db::Db;
use platform::roles::{Grant, Role, ScopeKind};
use platform::web::{AppState, Config};
use tower::ServiceExt;

pub const PASSWORD: &str = "Test-Pass-2026";

/// Solves the arithmetic question on a public form (letters, applications): (token, answer).
pub fn captcha(page: &str) -> (String, String) {
    let token = {
        let i = page.find("name=\"captcha_token\" value=\"").expect("captcha token") + 28;
        page[i..i + page[i..].find('"').expect("end")].to_owned()
    };
    let i = page.find("等于多少").expect("captcha question");
    let q: String = page[..i].chars().rev().take(12).collect::<String>().chars().rev().collect();
    let q = q.rsplit('>').next().unwrap_or(&q).trim().to_owned();
    let nums: Vec<i64> = q.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let answer = if q.contains('加') { nums[0] + nums[1] } else { nums[0] * nums[1] };
    (token, answer.to_string())
}

pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub state: AppState,
    pub cms: std::sync::Arc<cms::Cms>,
    pub interaction: std::sync::Arc<interaction::Interaction>,
    pub services: std::sync::Arc<services::Services>,
    /// The SMTP server this app sends mail to.
    pub mail: MailSink,
    pub router: Router,
    pub db: Db,
    _dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static TEMPLATE_COPY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The migrated PostgreSQL database every test database is copied from, so a test starts with one
/// `CREATE DATABASE … TEMPLATE` instead of running all migrations. It is named by a hash of the
/// migrations and kept between runs; it is built under a temporary name and renamed when complete,
/// so a run that dies half-way never leaves a half-migrated template behind.
async fn pg_template(admin_url: &str) -> String {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            use std::hash::{Hash, Hasher};
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
            let mut files: Vec<_> = std::fs::read_dir(&dir).expect("migrations").flatten().map(|e| e.path()).collect();
            files.sort();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for f in &files {
                std::fs::read(f).expect("migration").hash(&mut h);
            }
            let name = format!("zwt_template_{:016x}", h.finish());
            let scratch = tempfile::tempdir().expect("tempdir");
            let admin = Db::connect(Some(admin_url), scratch.path()).await.expect("connect to PostgreSQL");
            let exists = admin
                .count(platform::db::sql("SELECT COUNT(*) FROM pg_database WHERE datname = $1").bind(name.clone()))
                .await
                .expect("look for the template");
            if exists == 0 {
                let building = format!("{name}_{}", std::process::id());
                let _ = admin.execute(platform::db::sql(format!("DROP DATABASE IF EXISTS \"{building}\""))).await;
                admin
                    .execute(platform::db::sql(format!("CREATE DATABASE \"{building}\"")))
                    .await
                    .expect("create the template");
                let mut config = Config::for_tests(scratch.path().to_path_buf());
                config.database_url = Some(with_database(admin_url, &building));
                let db = zhengwu::open_db(&config).await.expect("migrate the template");
                db.close().await;
                // Another run may have finished first: then its template stands and ours goes.
                let renamed = admin
                    .execute(platform::db::sql(format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\"")))
                    .await;
                if renamed.is_err() {
                    let _ = admin.execute(platform::db::sql(format!("DROP DATABASE IF EXISTS \"{building}\""))).await;
                }
            }
            admin.close().await;
            name
        })
        .await
        .clone()
}

/// Keeps a scratch database alive; drops it (PostgreSQL) when the test is done.
pub struct ScratchGuard {
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl ScratchGuard {
    pub async fn drop_database(self) {
        if let Some((admin_url, name)) = &self.pg {
            let admin = Db::connect(Some(admin_url), self._dir.path()).await.expect("admin");
            let _ = admin.execute(platform::db::sql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).await;
            admin.close().await;
        }
    }
}

pub fn pg_url() -> Option<String> {
    let url = std::env::var("ZHENGWU_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() && std::env::var("ZHENGWU_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("ZHENGWU_TEST_REQUIRE_POSTGRES=1 but ZHENGWU_TEST_POSTGRES_URL is not set");
    }
    url
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg_drop) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let admin_url = pg_url().expect("postgres url");
                let name = format!(
                    "zwt_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    platform::security::random_token(4).to_lowercase().replace(['-', '_'], "x")
                );
                let template = pg_template(&admin_url).await;
                let admin =
                    Db::connect(Some(&admin_url), dir.path()).await.expect("connect to PostgreSQL admin database");
                {
                    // Copies from one template are made one at a time (PostgreSQL refuses a copy
                    // while another session holds the template).
                    let _one = TEMPLATE_COPY.lock().await;
                    admin
                        .execute(platform::db::sql(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")))
                        .await
                        .expect("create test database");
                }
                admin.close().await;
                (Some(with_database(&admin_url, &name)), Some((admin_url, name)))
            }
        };
        let mut config = Config::for_tests(dir.path().to_path_buf());
        config.database_url = url;
        let mail = MailSink::start().await;
        config.smtp_url = Some(mail.url.clone());
        let db = zhengwu::open_db(&config).await.expect("open database");
        let key = AuditKey { key: b"test-audit-key-0123456789".to_vec(), alg: MacAlg::HmacSha256 };
        let app = zhengwu::build(db.clone(), config, key).await.expect("build app");
        TestApp {
            cms: app.module(),
            interaction: app.module(),
            services: app.module(),
            state: app.state,
            router: app.router,
            mail,
            db,
            _dir: dir,
            pg_drop,
        }
    }

    /// The SMS gateway's log once it holds a line containing `text` (messages go through the
    /// outbox, so they arrive a moment after the change that sent them).
    pub async fn sms_log_with(&self, text: &str) -> String {
        let path = self.state.config.data_dir.join("sms.log");
        for _ in 0..100 {
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            if log.contains(text) {
                return log;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no text message containing {text} within 5 s: {}", std::fs::read_to_string(&path).unwrap_or_default());
    }

    /// A second, empty database on the same backend (a fresh data directory; for PostgreSQL a new
    /// database, dropped with the directory's guard) and its configuration, e.g. to restore into.
    pub async fn scratch_config(&self) -> (Config, ScratchGuard) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path().to_path_buf());
        let mut pg = None;
        if let Some((admin_url, _)) = &self.pg_drop {
            let name = format!("zwt_scratch_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let admin = Db::connect(Some(admin_url), dir.path()).await.expect("admin");
            admin.execute(platform::db::sql(format!("CREATE DATABASE \"{name}\""))).await.expect("create");
            admin.close().await;
            config.database_url = Some(with_database(admin_url, &name));
            pg = Some((admin_url.clone(), name));
        }
        (config, ScratchGuard { _dir: dir, pg })
    }

    /// Loads the demo site group (accounts, sites, channels) with `articles` generated articles.
    pub async fn load_demo(&self, articles: u32, letters: u32) {
        zhengwu::demo::load(
            &self.state,
            zhengwu::demo::Sizes {
                articles,
                sites: 0,
                letters,
                applications: 0,
                disclosure_requests: 0,
                disclosure_items: 0,
                survey_responses: 0,
                office_documents: 0,
                proposals: 0,
                enterprises: 300,
                people: 200,
                pois: 500,
                monitor_days: 2,
                visits: 0,
                subscribers: 0,
                rated_staff: 0,
            },
            |_| {},
        )
        .await
        .expect("demo");
    }

    /// Creates an account with the given roles (global scope) that has already set its password.
    pub async fn user(&self, username: &str, roles: &[Role]) -> i64 {
        let grants: Vec<Grant> =
            roles.iter().map(|r| Grant { role: *r, scope: ScopeKind::Global, scope_id: 0 }).collect();
        self.user_with_grants(username, &grants).await
    }

    pub async fn user_with_grants(&self, username: &str, grants: &[Grant]) -> i64 {
        let id = platform::accounts::create_user(
            &self.db,
            platform::accounts::NewUser {
                username,
                display_name: username,
                email: None,
                org_id: None,
                password_hash: test_hash(),
                must_change_password: false,
            },
        )
        .await
        .expect("create user");
        for g in grants {
            platform::accounts::add_grant(&self.db, id, *g, "test").await.expect("grant");
        }
        id
    }

    /// Creates an account with an e-mail address and the given grants.
    pub async fn user_with_email(&self, username: &str, email: &str, grants: &[Grant]) -> i64 {
        let id = self.user_with_grants(username, grants).await;
        self.db
            .execute(platform::db::sql("UPDATE app_user SET email = $1 WHERE id = $2").bind(email).bind(id))
            .await
            .expect("set email");
        id
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: HashMap::new(),
            ip: format!("10.0.{}.{}", COUNTER.fetch_add(1, Ordering::Relaxed) % 250, 7),
        }
    }

    /// A client already signed in as `username`.
    pub async fn signed_in(&self, username: &str) -> Client {
        let mut c = self.client();
        let res = c.login(username, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login of {username} failed: {}", res.text);
        c
    }

    /// A bearer token for `username`.
    pub async fn token(&self, username: &str) -> String {
        let u = platform::accounts::user_by_name(&self.db, username).await.expect("db").expect("user");
        platform::accounts::create_token(&self.db, u.id, "test").await.expect("token").1
    }
}

/// Hashing with argon2 is slow in debug builds; hash the shared test password once.
fn test_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| platform::security::hash_password(PASSWORD)).clone()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take() {
            // The test's runtime is going away; drop the database from a fresh one.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
                rt.block_on(async move {
                    if let Ok(admin) = Db::connect(Some(&admin_url), std::path::Path::new("/tmp")).await {
                        let _ = admin
                            .execute(platform::db::sql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                            .await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }
    /// The redirect's path without its query (`?ok=saved` …).
    pub fn location_path(&self) -> String {
        self.location().split('?').next().unwrap_or("").to_owned()
    }
    /// The CSRF token embedded in a rendered form.
    pub fn csrf(&self) -> Option<String> {
        self.hidden("_csrf")
    }
    /// The value of the first hidden (or any) input named `name` in a rendered form.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let i = self.text.find(&marker)?;
        let rest = &self.text[i + marker.len()..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
    pub ip: String,
}

impl Client {
    /// A client for another router (a second node in multi-node tests).
    pub fn for_router(router: Router) -> Client {
        Client { router, cookies: HashMap::new(), ip: "10.9.9.9".into() }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> TestResponse {
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        req.headers_mut().insert("x-forwarded-for", self.ip.parse().expect("ip"));
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut().insert(header::HOST, "portal.test".parse().expect("host"));
        }
        let res: Response<Body> = self.router.clone().oneshot(req).await.expect("infallible");
        for v in res.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            if let Some((kv, _)) = s.split_once(';')
                && let Some((k, val)) = kv.split_once('=')
            {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        TestResponse { status, headers, text: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).expect("request")).await
    }

    /// Fetches a page to learn the current CSRF token (session-bound once signed in).
    pub async fn csrf(&mut self) -> String {
        let page = if self.cookies.contains_key("zw_session") { "/admin/password" } else { "/admin/login" };
        let res = self.get(page).await;
        res.csrf().unwrap_or_else(|| panic!("no CSRF token on {page}: {} {}", res.status, res.text))
    }

    /// Posts a form, adding the CSRF token as a browser form would.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &token));
        self.post_form_raw(path, &serde_urlencoded::to_string(&all).expect("encode")).await
    }

    /// Posts `multipart/form-data` as a browser does for a form with file inputs.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> TestResponse {
        let boundary = "----zhengwu-test-boundary-7d1";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn post_form_raw(&mut self, path: &str, body: &str) -> TestResponse {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> TestResponse {
        self.post_form("/admin/login", &[("username", username), ("password", password)]).await
    }

    pub async fn api(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut b =
            Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }
}

/// Percent-encodes a query value.
#[allow(dead_code)]
pub fn urlenc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Expands one async test body into a SQLite test and a PostgreSQL test.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident => $body:expr;)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::new($crate::common::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::pg_url().is_none() {
                    eprintln!("skipped: ZHENGWU_TEST_POSTGRES_URL not set");
                    return;
                }
                let app = $crate::common::TestApp::new($crate::common::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    )+};
}

/// A real SMTP server on a local port that keeps what it receives (the test's mail sink).
#[derive(Clone)]
pub struct MailSink {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Mail>>>,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl MailSink {
    pub async fn start() -> MailSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let port = listener.local_addr().expect("addr").port();
        let received: std::sync::Arc<std::sync::Mutex<Vec<Mail>>> = Default::default();
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink.test ESMTP\r\n").await;
                    let mut to = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            b"250 sink.test\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut raw = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                raw.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
                                raw.push('\n');
                            }
                            if let Ok(mut g) = store.lock() {
                                g.push(parse_mail(std::mem::take(&mut to), &raw));
                            }
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        MailSink { url: format!("smtp://127.0.0.1:{port}"), received }
    }

    pub fn all(&self) -> Vec<Mail> {
        self.received.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Waits (up to 5 s) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> Mail {
        for _ in 0..100 {
            if let Some(m) =
                self.all().into_iter().find(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
            {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} with subject containing {subject}; got {:?}", self.all());
    }
}

impl MailSink {
    /// Waits (up to 5 s) for a message to `to` whose body contains `text`.
    pub async fn wait_for_body(&self, to: &str, text: &str) -> Mail {
        for _ in 0..100 {
            if let Some(m) = self.all().into_iter().find(|m| m.to.iter().any(|t| t == to) && m.body.contains(text)) {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} containing {text}; got {:?}", self.all());
    }
}

/// Headers and a decoded text body (base64 or quoted-printable; RFC 2047 subjects).
fn parse_mail(to: Vec<String>, raw: &str) -> Mail {
    use base64::Engine;
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim_start());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD;
    let decode_word = |w: &str| -> String {
        let parts: Vec<&str> = w.trim_start_matches("=?").trim_end_matches("?=").splitn(3, '?').collect();
        match parts.as_slice() {
            [_, enc, text] if enc.eq_ignore_ascii_case("b") => {
                String::from_utf8_lossy(&b64.decode(text).unwrap_or_default()).into_owned()
            }
            [_, _, text] => String::from_utf8_lossy(&qp(&text.replace('_', " "))).into_owned(),
            _ => w.to_owned(),
        }
    };
    let subject: String = header("subject")
        .split_whitespace()
        .map(|w| if w.starts_with("=?") { decode_word(w) } else { w.to_owned() })
        .collect();
    let body = match header("content-transfer-encoding").to_ascii_lowercase().as_str() {
        "base64" => {
            String::from_utf8_lossy(&b64.decode(body.replace(['\n', '\r'], "")).unwrap_or_default()).into_owned()
        }
        "quoted-printable" => String::from_utf8_lossy(&qp(&body.replace("=\n", ""))).into_owned(),
        _ => body.to_owned(),
    };
    Mail { to, subject, body, headers }
}

fn qp(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Publishes an article in `channel` of the demo world the way its people do: the editor writes
/// it (with `extra` form fields such as `doc_number`) and submits it, and each of `approvers`
/// approves in turn (the department's reviewer, then the office's, for a department's news).
/// Returns its id.
pub async fn publish_article(
    app: &TestApp,
    channel: i64,
    title: &str,
    extra: &[(&str, &str)],
    approvers: &[&'static str],
) -> i64 {
    let login = |user: &'static str| async move {
        let mut c = app.client();
        let res = c.login(user, zhengwu::demo::DEMO_PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{user}: {}", res.text);
        c
    };
    let mut ed = login("editor").await;
    let channel = channel.to_string();
    let mut fields = vec![
        ("channel_id", channel.as_str()),
        ("title", title),
        ("body", "<p>为做好今冬供暖保障工作，现将有关事项通知如下。</p>"),
        ("source", "市住建局"),
    ];
    fields.extend_from_slice(extra);
    let res = ed.post_form("/admin/cms/articles/new", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let id: i64 = res.location_path().rsplit('/').next().unwrap().parse().unwrap();
    let steps = std::iter::once(("editor", "submit")).chain(approvers.iter().map(|u| (*u, "approve")));
    for (user, action) in steps {
        let mut c = login(user).await;
        let path = format!("/admin/cms/articles/{id}/act");
        let res = c.post_form(&path, &[("action", action), ("comment", "同意")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{user} {action}: {}", res.text);
    }
    id
}

/// A department site (冰城市科学技术局, `kjj`) whose new channel holds `n` published policy
/// documents of `org` with 文号 (ids returned).
pub async fn published_policies(app: &TestApp, org: i64, n: usize) -> Vec<i64> {
    let existing = cms::store::site_by_code(&app.db, "kjj").await.unwrap().map(|s| s.id);
    let site = match existing {
        Some(id) => id,
        None => cms::store::insert_site(
            &app.db,
            &cms::store::Site {
                code: "kjj".into(),
                name: "冰城市科学技术局".into(),
                kind: "department".into(),
                site_id_code: "2301000002".into(),
                template_set: "default".into(),
                locale: "zh-CN".into(),
                sponsor: "冰城市科学技术局".into(),
                contact: "0451-86000000".into(),
                icp: "黑ICP备05012234号".into(),
                psb: "黑公网安备23010002000001号".into(),
                error_link: "/".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    };
    let ch = cms::store::insert_channel(
        &app.db,
        &cms::store::Channel {
            site_id: site,
            name: "政策文件".into(),
            slug: format!("zcwj{n}"),
            kind: "list".into(),
            update_class: "none".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let f = cms::store::Fields {
            title: format!("关于印发冰城市科技创新券管理办法的通知（第 {i} 号）"),
            body: "<p>正文</p>".into(),
            ..Default::default()
        };
        let id = cms::store::create_article(&app.db, site, ch, Some(org), &f, 1).await.unwrap();
        app.db
            .execute(
                platform::db::sql(
                    "UPDATE article SET state = 'published', published_at = $1, doc_number = $2 WHERE id = $3",
                )
                .bind(platform::db::now())
                .bind(format!("冰科规〔2026〕{}号", i + 1))
                .bind(id),
            )
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}
