//! Test harness: a real onedoor server on a random port over a fresh database (a SQLite file,
//! or a new PostgreSQL database when `ONEDOOR_TEST_DATABASE_URL` names a server), signed
//! tokens, and a GraphQL client over real HTTP.

use anyhow::{Context, Result, bail};
use onedoor::Onedoor;
use onedoor::auth::{AuthSettings, KeyPair, Signer, Verifier};
use onedoor::config::Limits;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    /// Base URL of the GraphQL endpoint, e.g. `http://127.0.0.1:41234/graphql`.
    pub url: String,
    /// The platform behind the server (for set-up that the API does not offer, like root
    /// centres).
    pub od: Onedoor,
    /// Signs tokens the server accepts.
    pub signer: Signer,
    /// The database URL in use.
    pub database_url: String,
    /// The platform's clock: it shows the real time until a test sets it.
    pub clock: std::sync::Arc<onedoor::ManualClock>,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The folder of the Node.js clients the suite drives the server with (`graphql-http`'s audit,
/// `graphql-ws`, graphql-js), with its locked packages installed: `npm ci` runs once per test
/// process, however many tests ask at once.
pub fn node_clients() -> &'static std::path::Path {
    static INSTALLED: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("audit");
        // npm ci leaves node_modules/.package-lock.json; missing or older than the lock file
        // means the packages are not (or no longer) what the lock file says.
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let installed = modified(&dir.join("node_modules/.package-lock.json"));
        if installed.is_none() || installed < modified(&dir.join("package-lock.json")) {
            let status = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir)
                .status()
                .unwrap_or_else(|e| panic!("npm could not start (Node.js is needed for these tests): {e}"));
            assert!(status.success(), "npm ci failed in {}", dir.display());
        }
        dir
    })
}

/// Which database the suite runs on: `ONEDOOR_TEST_DATABASE_URL` (PostgreSQL) or SQLite.
pub fn backend() -> &'static str {
    if std::env::var("ONEDOOR_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) { "postgres" } else { "sqlite" }
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database() -> Result<String> {
    let name = format!("onedoor_t_{}", Uuid::now_v7().simple());
    match std::env::var("ONEDOOR_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let admin = Database::connect(&url).await.with_context(|| format!("connecting to {url}"))?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            admin.close().await?;
            let base =
                url.rsplit_once('/').map(|(b, _)| b).context("ONEDOOR_TEST_DATABASE_URL has no database part")?;
            Ok(format!("{base}/{name}"))
        }
        _ => {
            let dir = std::env::temp_dir().join("onedoor-tests");
            std::fs::create_dir_all(&dir)?;
            Ok(format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display()))
        }
    }
}

/// Drops a database made by [`fresh_database`]: the PostgreSQL database, or the SQLite file.
pub async fn drop_database(db: &str) -> Result<()> {
    if let (Ok(admin_url), Some((_, name))) = (std::env::var("ONEDOOR_TEST_DATABASE_URL"), db.rsplit_once('/'))
        && db.starts_with("postgres")
    {
        let admin = Database::connect(&admin_url).await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        admin.close().await?;
    } else if let Some(path) = db.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Ok(())
}

impl TestServer {
    /// Starts a server with default limits.
    pub async fn start() -> Result<TestServer> {
        Self::start_with(Limits::default()).await
    }

    /// Starts a server with the given limits.
    pub async fn start_with(limits: Limits) -> Result<TestServer> {
        Self::start_on(fresh_database().await?, limits).await
    }

    /// Another replica over this server's database: its own platform (caches, writers) and
    /// keys, sharing nothing with this one but the database. Drop it instead of cleaning it
    /// up (the database is this server's).
    pub async fn replica(&self) -> Result<TestServer> {
        Self::start_on(self.database_url.clone(), Limits::default()).await
    }

    async fn start_on(database_url: String, limits: Limits) -> Result<TestServer> {
        let clock = std::sync::Arc::new(onedoor::ManualClock::new(chrono::Utc::now()));
        let od = Onedoor::open(&database_url).await?.with_clock(clock.clone());
        let keys = KeyPair::generate()?;
        let settings = AuthSettings::default();
        let signer = Signer::from_pem(&keys.private_pem, settings.clone())?;
        let verifier = Verifier::from_pem(&keys.public_pem, settings)?;
        let app = onedoor_graphql::app(od.clone(), verifier, &limits);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // The server runs until the test drops it.
            let _ = axum::serve(listener, app).await;
        });
        Ok(TestServer {
            url: format!("http://{addr}/graphql"),
            od,
            signer,
            database_url,
            clock,
            http: reqwest::Client::new(),
            task,
        })
    }

    /// A token for `staff` of `centre` with `roles`, valid now.
    pub fn token(&self, centre: &str, staff: Uuid, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        self.signer.issue(&staff.to_string(), centre, &roles, chrono_now()).unwrap_or_else(|e| panic!("signing: {e}"))
    }

    /// POSTs a GraphQL request (as `application/json`, accepting
    /// `application/graphql-response+json`) and returns the status and the whole response body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Result<(u16, Value)> {
        let (status, body, _) = self.post_cached(token, query, variables).await?;
        Ok((status, body))
    }

    /// [`TestServer::post`], with the response cache's header (`hit`, `miss`, or none when the
    /// response was not cacheable).
    pub async fn post_cached(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<(u16, Value, Option<String>)> {
        let mut req = self
            .http
            .post(&self.url)
            .header("accept", "application/graphql-response+json, application/json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let cache =
            res.headers().get(onedoor_graphql::http::CACHE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body: Value = res.json().await?;
        Ok((status, body, cache))
    }

    /// Runs a GraphQL operation that must succeed without errors; returns `data`.
    #[track_caller]
    pub fn gql<'a>(
        &'a self,
        token: Option<&'a str>,
        query: &'a str,
        variables: Value,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let at = std::panic::Location::caller();
        async move {
            let (status, body) = self.post(token, query, variables).await.unwrap_or_else(|e| panic!("{at}: {e}"));
            if status != 200 || body.get("errors").is_some() {
                panic!("{at}: expected success, got {status}: {body:#}");
            }
            body["data"].clone()
        }
    }

    /// Runs a mutation that must succeed: no GraphQL errors and empty `userErrors`; returns
    /// the payload (`data.<field>`).
    #[track_caller]
    pub fn mutate<'a>(
        &'a self,
        token: &'a str,
        field: &'a str,
        query: &'a str,
        input: Value,
    ) -> impl std::future::Future<Output = Value> + 'a {
        self.mutate_as(Some(token), field, query, input)
    }

    /// [`TestServer::mutate`] without a token (the public: a kiosk, an applicant).
    #[track_caller]
    pub fn mutate_anonymous<'a>(
        &'a self,
        field: &'a str,
        query: &'a str,
        input: Value,
    ) -> impl std::future::Future<Output = Value> + 'a {
        self.mutate_as(None, field, query, input)
    }

    #[track_caller]
    fn mutate_as<'a>(
        &'a self,
        token: Option<&'a str>,
        field: &'a str,
        query: &'a str,
        input: Value,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let at = std::panic::Location::caller();
        async move {
            let (status, body) =
                self.post(token, query, json!({ "input": input })).await.unwrap_or_else(|e| panic!("{at}: {e}"));
            let payload = &body["data"][field];
            if status != 200 || body.get("errors").is_some() || payload["userErrors"] != json!([]) {
                panic!("{at}: expected {field} to succeed, got {status}: {body:#}");
            }
            payload.clone()
        }
    }

    /// Runs a mutation that must fail with user errors; returns them as `(path, code)` pairs.
    pub async fn user_errors(
        &self,
        token: Option<&str>,
        field: &str,
        query: &str,
        input: Value,
    ) -> Result<Vec<(String, String)>> {
        let (status, body) = self.post(token, query, json!({ "input": input })).await?;
        if status != 200 || body.get("errors").is_some() {
            bail!("expected user errors from {field}, got {status}: {body:#}");
        }
        let errors = body["data"][field]["userErrors"].as_array().cloned().unwrap_or_default();
        if errors.is_empty() {
            bail!("expected user errors from {field}, got none: {body:#}");
        }
        Ok(errors
            .iter()
            .map(|e| {
                let path: Vec<&str> = e["field"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                (path.join("."), e["code"].as_str().unwrap_or_default().to_owned())
            })
            .collect())
    }

    /// Drops the test's database (see [`drop_database`]).
    pub async fn cleanup(self) -> Result<()> {
        let db = self.database_url.clone();
        drop(self);
        drop_database(&db).await
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A real `graphql-ws` client (npm) subscribed to one subscription, one JSON line per message:
/// `{"connected": true}`, `{"event": …}`, `{"error": …}`.
#[derive(Debug)]
pub struct Subscriber {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl TestServer {
    /// Subscribes with `query` (with `token`, or anonymously), for at most `count` events.
    pub fn subscribe(&self, query: &str, token: Option<&str>, count: usize) -> Subscriber {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new("node")
            .arg("subscribe.mjs")
            .arg(self.url.replace("http://", "ws://"))
            .arg(query)
            .arg(token.unwrap_or(""))
            .arg(count.to_string())
            .current_dir(node_clients())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the graphql-ws client");
        let stdout = child.stdout.take().expect("the client's output is piped");
        Subscriber { child, lines: tokio::io::BufReader::new(stdout).lines() }
    }
}

impl Subscriber {
    /// The next message, waiting at most `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.lines.next_line()).await {
            Ok(Ok(Some(l))) => serde_json::from_str(&l).ok(),
            _ => None,
        }
    }

    /// Stops the client.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
