//! Spawns the real application on a random port against a fresh database, for black-box HTTP tests.
//!
//! Every test runs on SQLite (a new file) and, when `TEST_DATABASE_URL` is set, on PostgreSQL (a new
//! schema, dropped afterwards). Write a test as `async fn name(app: TestApp)` and list it in
//! `on_both_databases!`. The people, reports and pages tests work with (`app.citizen(…)`,
//! `app.official_of(…)`, `app.file_report(…)`, `app.acted(…)`, …) are typed helpers in `api.rs`.

#![allow(dead_code)]

mod api;
pub mod browser;
pub mod fcm;
pub mod proxy;
pub mod smtp;

pub use api::*;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;

use congdanso::config::Settings;
use congdanso::startup::Application;
use diesel::{Connection, PgConnection, RunQueryDsl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod name { fn sqlite(); fn postgres(); }` for each `async fn name(app: TestApp)`;
/// `with [("CDS_…", "…")] => name, …` spawns those apps with extra settings.
#[macro_export]
macro_rules! on_both_databases {
    (with $env:expr => $($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn_with($crate::common::Backend::Sqlite, &$env).await;
                let app = app.expect("SQLite is always available");
                let servers = app.servers();
                super::$test(app).await;
                servers.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::TestApp::spawn_with($crate::common::Backend::Postgres, &$env).await {
                    let servers = app.servers();
                    super::$test(app).await;
                    servers.stop().await;
                }
            }
        }
    )*};
    ($($test:ident),* $(,)?) => {
        $crate::on_both_databases!(with [] => $($test),*);
    };
}

/// A database of its own for one test, removed when the test ends.
pub struct TestDb {
    pub backend: Backend,
    /// The `DATABASE_URL` the app under test uses.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema {
        admin_url: String,
        schema: String,
    },
    /// Another handle on a database the first one cleans up.
    Nothing,
}

impl TestDb {
    /// A fresh database, or `None` for PostgreSQL when `TEST_DATABASE_URL` is not set (outside CI).
    pub fn create(backend: Backend) -> Option<TestDb> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("congdanso-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}", dir.join("test.db").display());
                Some(TestDb { backend, url, cleanup: Cleanup::File(dir) })
            }
            Backend::Postgres => {
                let admin_url = postgres_url()?;
                let schema = format!("t_{id}");
                let mut conn = PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
                // Once per database, before any test migrates: concurrent CREATE EXTENSIONs can collide.
                static TRIGRAMS: std::sync::Once = std::sync::Once::new();
                TRIGRAMS.call_once(|| {
                    let create = "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public";
                    diesel::sql_query(create).execute(&mut conn).expect("pg_trgm");
                });
                diesel::sql_query(format!("CREATE SCHEMA {schema}")).execute(&mut conn).expect("create schema");
                let url = with_search_path(&admin_url, &schema);
                Some(TestDb { backend, url, cleanup: Cleanup::Schema { admin_url, schema } })
            }
        }
    }

    /// Another handle on the same database, for a second instance of the app; the first one cleans up.
    pub fn shared(&self) -> TestDb {
        TestDb { backend: self.backend, url: self.url.clone(), cleanup: Cleanup::Nothing }
    }

    /// The same database reached through another host and port (used to put a proxy in between).
    pub fn url_via(&self, host_port: &str) -> String {
        let (scheme, rest) = self.url.split_once("://").expect("URL with scheme");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let user = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
        format!("{scheme}://{user}{host_port}/{path}")
    }

    /// `host:port` of the PostgreSQL server.
    pub fn server_address(&self) -> String {
        let rest = self.url.split_once("://").expect("URL with scheme").1;
        let authority = rest.split('/').next().unwrap_or(rest);
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:5432")
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin_url, schema } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut conn);
                }
            }
            Cleanup::Nothing => {}
        }
    }
}

/// `url` with its own schema, and without TLS unless `url` asks for it: a test talks to a local server,
/// and no connection then depends on OpenSSL's state when the test process exits.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    let tls = if url.contains("sslmode=") { "" } else { "&sslmode=disable" };
    format!("{url}{separator}options=-c%20search_path%3D{schema}{tls}")
}

/// `TEST_DATABASE_URL`, or `None` with a plain notice. Under `CI=true` it must be set.
fn postgres_url() -> Option<String> {
    static NOTICE: Once = Once::new();
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half of the suite cannot run")
        }
        _ => {
            // Written to the real stderr, past the test harness's capture, so nobody mistakes a skip for a pass.
            NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\nNOTE: TEST_DATABASE_URL is not set, so the PostgreSQL variants of the tests return \
                     without running.\n      Run them with: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test\n"
                );
            });
            None
        }
    }
}

/// The key tests sign access tokens with (to forge expired or mis-addressed ones).
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// `TEST_S3_ENDPOINT` (an S3-compatible server such as moto's), or `None` with a plain notice.
/// Under `CI=true` it must be set.
pub fn s3_endpoint() -> Option<String> {
    let endpoint = outside_service(
        "TEST_S3_ENDPOINT",
        "the S3 media store test",
        "Run it against moto: python3 -m moto.server -p 5055 & TEST_S3_ENDPOINT=http://127.0.0.1:5055 cargo test",
    )?;
    Some(endpoint.trim_end_matches('/').to_string())
}

/// The setting `var` naming a service the suite does not start itself, or `None` with a notice (once per
/// variable, past the harness's capture, so nobody mistakes a skip for a pass) that `test` did not run and
/// `how` to run it. Under `CI=true` it must be set.
pub fn outside_service(var: &str, test: &str, how: &str) -> Option<String> {
    static NOTICED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Some(value.trim().to_string()),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but {var} is not set: {test} cannot run")
        }
        _ => {
            let mut noticed = NOTICED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !noticed.iter().any(|seen| seen == var) {
                noticed.push(var.to_string());
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\nNOTE: {var} is not set, so {test} returns without running.\n      {how}\n"
                );
            }
            None
        }
    }
}

/// A message in the outbox, as stored (its secret left out).
#[derive(Debug)]
pub struct Message {
    pub user_id: Option<String>,
    pub recipient: String,
    pub body: String,
    pub attempts: i32,
    pub failed: bool,
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// Receives what the app mails.
    pub mail: smtp::SmtpSink,
    pub data_dir: PathBuf,
    /// The servers of this app and of the instances `at` started beside it, stopped when the test is done.
    servers: Servers,
}

/// Servers to stop once a test is done, so that no server thread (with its database connections) is
/// still running when the test process exits.
#[derive(Clone, Default)]
pub struct Servers(std::sync::Arc<std::sync::Mutex<Vec<actix_web::dev::ServerHandle>>>);

impl Servers {
    fn add(&self, handle: actix_web::dev::ServerHandle) {
        self.0.lock().unwrap().push(handle);
    }

    /// Stops them all and waits until they have.
    pub async fn stop(&self) {
        let handles: Vec<_> = self.0.lock().unwrap().drain(..).collect();
        for handle in handles {
            handle.stop(false).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &[]).await
    }

    /// Spawns the app with extra settings (`CDS_PROVINCES`, …) on top of the test defaults.
    pub async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> Option<TestApp> {
        let db = TestDb::create(backend)?;
        let database_url = db.url.clone();
        Some(Self::spawn_on(db, &database_url, env).await)
    }

    /// Spawns the app on `db`, reaching it through `database_url`.
    pub async fn spawn_on(db: TestDb, database_url: &str, env: &[(&str, &str)]) -> TestApp {
        let mail = smtp::SmtpSink::start().await;
        Self::spawn_with_mail(db, database_url, env, mail).await
    }

    /// Spawns the app mailing to `mail` (or, with `CDS_SMTP_URL` in `env`, wherever that says).
    pub async fn spawn_with_mail(
        db: TestDb,
        database_url: &str,
        env: &[(&str, &str)],
        mail: smtp::SmtpSink,
    ) -> TestApp {
        let scratch = std::env::temp_dir().join(format!("congdanso-data-{}", uuid::Uuid::now_v7().simple()));
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), database_url.to_string()),
            ("CDS_BIND".into(), "127.0.0.1:0".into()),
            ("CDS_DATA_DIR".into(), scratch.display().to_string()),
            ("CDS_DB_POOL_SIZE".into(), "4".into()),
            ("CDS_JWT_SECRET".into(), JWT_SECRET.into()),
            ("CDS_PUBLIC_URL".into(), "http://congdanso.test".into()),
            ("CDS_SMTP_URL".into(), format!("smtp://127.0.0.1:{}", mail.port)),
            ("CDS_OUTBOX_RETRY_SECS".into(), "1".into()),
            // High enough for the lock-out tests' bursts; the rate-limit test sets its own.
            ("CDS_AUTH_RATE_LIMIT".into(), "1000".into()),
            ("CDS_ADDRESS_RATE_LIMIT".into(), "100000".into()),
        ]);
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let settings = Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings are valid");
        let data_dir = settings.data_dir.clone();
        // `TEST_LOG=1 cargo test name` shows the app's logs for one test.
        if std::env::var("TEST_LOG").is_ok() {
            congdanso::telemetry::init(settings.log_format);
        }
        let app = Application::build(settings).await.expect("the app starts");
        let port = app.port();
        let servers = Servers::default();
        servers.add(app.handle());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { address: format!("http://127.0.0.1:{port}"), port, client, db, mail, data_dir, servers }
    }

    /// The app's own database, for checks no endpoint shows (stored hashes, outbox rows).
    pub fn database(&self) -> congdanso::db::Db {
        let url = self.db.url.clone();
        let settings =
            congdanso::config::Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone())).unwrap();
        congdanso::db::Db::new(&settings).unwrap()
    }

    /// The messages in the outbox, oldest first.
    pub async fn outbox(&self) -> Vec<Message> {
        self.database()
            .run(|conn| {
                use congdanso::db::schema::outbox;
                use diesel::prelude::*;
                let rows: Vec<(Option<String>, String, String, i32, Option<chrono::NaiveDateTime>)> = outbox::table
                    .order(outbox::id.asc())
                    .select((outbox::user_id, outbox::recipient, outbox::body, outbox::attempts, outbox::failed_at))
                    .load(conn)?;
                Ok(rows
                    .into_iter()
                    .map(|(user_id, recipient, body, attempts, failed_at)| Message {
                        user_id,
                        recipient,
                        body,
                        attempts,
                        failed: failed_at.is_some(),
                    })
                    .collect())
            })
            .await
            .unwrap()
    }

    /// Another instance of the app on the same database whose reports' clock reads `moment` (RFC 3339)
    /// now: "later", or a date to rehearse. It runs no deadline worker, so a test runs its own at the
    /// moments it chooses.
    pub async fn at(&self, moment: &str) -> TestApp {
        let env = [("CDS_CLOCK_START", moment), ("CDS_DEADLINE_CHECK_SECS", "0")];
        let later = TestApp::spawn_on(self.db.shared(), &self.db.url, &env).await;
        for handle in later.servers.0.lock().unwrap().iter() {
            self.servers.add(handle.clone());
        }
        later
    }

    /// Another instance of the app on the same database and mailing to the same sink, as a province
    /// runs several behind a balancer; it stops with this one.
    pub async fn another_instance(&self, env: &[(&str, &str)]) -> TestApp {
        let smtp_url = format!("smtp://127.0.0.1:{}", self.mail.port);
        let mut vars = vec![("CDS_SMTP_URL", smtp_url.as_str())];
        vars.extend_from_slice(env);
        let unused = smtp::SmtpSink::start().await;
        let other = TestApp::spawn_with_mail(self.db.shared(), &self.db.url, &vars, unused).await;
        for handle in other.servers.0.lock().unwrap().iter() {
            self.servers.add(handle.clone());
        }
        other
    }

    /// The servers to stop when the test is done.
    pub fn servers(&self) -> Servers {
        self.servers.clone()
    }

    /// Runs the deadline worker once as of `at`, as the app's own would then.
    pub async fn run_deadlines_at(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> congdanso::workflow::deadlines::DeadlineRun {
        let notifier = congdanso::notify::notifier::Notifier::new("http://app.test");
        self.database()
            .run(move |conn| congdanso::workflow::deadlines::run_once(conn, &notifier, at.naive_utc()))
            .await
            .unwrap()
    }

    pub async fn post_json_as(&self, token: &str, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("request sent")
    }

    pub async fn put_json_as(&self, token: &str, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.put(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    pub async fn patch_json_as(&self, token: &str, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request sent")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request sent")
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post_json("/api/v1/auth/login", &serde_json::json!({"login": login, "password": password})).await
    }

    /// Creates an administrator directly (as `congdanso create-admin` does) and logs in as them.
    pub async fn admin_token(&self) -> String {
        let email = format!("admin-{}@tinh.gov.vn", uuid::Uuid::now_v7().simple());
        let db = self.database();
        let (address, password) = (email.clone(), "quan-tri-vien-2026".to_string());
        db.run(move |conn| {
            let email = congdanso::accounts::Email::parse(&address, "email")?;
            let password = congdanso::auth::password::Password::parse(password, "password")?;
            congdanso::accounts::create_admin(conn, &email, &password, "Quản trị viên")
        })
        .await
        .unwrap();
        let response = self.login(&email, "quan-tri-vien-2026").await;
        assert_eq!(response.status(), 200);
        response.json::<Citizen>().await.unwrap().token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// GET as `token`, which must answer 200, read as `T`.
    pub async fn get_json_as<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let response = self.get_as(token, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request sent")
    }
}

/// Asserts that `response` is a problem document with `status` and `code`, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let problem: serde_json::Value = response.json().await.expect("problem JSON");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status);
    assert_eq!(problem["type"], format!("urn:congdanso:problem:{code}"));
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(problem["errors"].is_array());
    problem
}
