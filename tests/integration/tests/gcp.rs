//! The gcp plugin through the wasm runtime against the fake Secret Manager, with the host's
//! `keyway-gcp-auth` getting tokens from the fake's token endpoint (a service-account key) or its
//! metadata server: the contract suite (global and regional secrets), token caching, the Secret
//! Manager behaviours a user relies on, and the failures a user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography`).

#[path = "gcp/fake.rs"]
mod fake;

#[path = "gcp/behaviour.rs"]
mod behaviour;
#[path = "gcp/failures.rs"]
mod failures;

use fake::{FakeSecretManager, PROJECT};
use keyway_conformance::{run, SuiteOptions};
use keyway_integration_tests::plugins::{load, runtime};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use keyway_types::{
    AccessToken, BoxFuture, CredentialProvider, ErrorKind, ListRequest, ProviderError, SecretValue, Tags,
    VersionSelector, WriteOptions,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fake Secret Manager, a runtime with the gcp plugin, and connections to it.
pub struct GcpUnderTest {
    /// The fake.
    pub fake: FakeSecretManager,
    runtime: Runtime,
}

impl GcpUnderTest {
    /// Starts the fake and a runtime.
    pub async fn start() -> Self {
        Self { fake: FakeSecretManager::start().await, runtime: runtime() }
    }

    /// Opens a connection with these plugin settings and credentials.
    pub async fn connect_with(&self, settings: Value, credentials: Arc<dyn CredentialProvider>) -> Connection {
        let plugin = load(&self.runtime, "gcp");
        let config = ConnectionConfig { settings, credentials, ..ConnectionConfig::default() };
        self.runtime.connect(&plugin, "gcp", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// The settings of a connection to the fake's project, with `extra` settings.
    pub fn settings(&self, extra: Value) -> Value {
        let mut settings = json!({ "project": PROJECT, "endpoint": self.fake.url });
        if let (Some(target), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
            target.extend(extra.clone());
        }
        settings
    }

    /// A connection with the host's service-account credentials and `extra` settings.
    pub async fn connect(&self, extra: Value) -> Connection {
        self.connect_with(self.settings(extra), Arc::new(self.fake.credentials())).await
    }
}

fn suite_options() -> SuiteOptions {
    SuiteOptions { invalid_name: Some("bad.name/with-slash".into()), ..SuiteOptions::default() }
}

async fn passes_the_contract_suite(conn: &Connection) {
    let report = run(conn, &suite_options()).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Secret Manager:\n{report}");
    // Skipped: labels (aliases never move by themselves, so there is no "previous" alias) and
    // delete-and-restore (Secret Manager deletes at once).
    assert_eq!(report.skipped(), 2, "only labels and delete-and-restore may be skipped:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_against_the_fake_secret_manager() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({})).await;
    passes_the_contract_suite(&conn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_regional_secrets_and_a_prefix() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect(json!({ "location": "europe-west1", "prefix": "team_a-" })).await;
    passes_the_contract_suite(&conn).await;
    conn.create("kept", &SecretValue::text("eu"), &WriteOptions::default()).await.expect("create");
    let regional_path = format!("projects/{PROJECT}/locations/europe-west1/secrets");
    let regional = gcp.fake.api(reqwest::Method::GET, &regional_path, json!({})).await;
    let names: Vec<&str> =
        regional["secrets"].as_array().expect("secrets").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, vec!["projects/123456789012/locations/europe-west1/secrets/team_a-kept"]);
    let global = gcp.fake.api(reqwest::Method::GET, &format!("projects/{PROJECT}/secrets"), json!({})).await;
    assert!(global["secrets"].as_array().is_none_or(Vec::is_empty), "nothing was written as a global secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_metadata_server_tokens() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect_with(gcp.settings(json!({})), Arc::new(gcp.fake.metadata_credentials())).await;
    passes_the_contract_suite(&conn).await;
    assert!(gcp.fake.stat("metadata_requests").await >= 1);
    assert_eq!(gcp.fake.stat("token_requests").await, 0, "no key, no token endpoint");
}

/// Counts the plugin's token requests to the host.
struct Counting {
    inner: keyway_gcp_auth::GcpCredentials,
    calls: AtomicU64,
}

impl CredentialProvider for Counting {
    fn access_token<'a>(&'a self, scopes: &'a [String]) -> BoxFuture<'a, Result<AccessToken, ProviderError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.access_token(scopes)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_cached_by_the_host_and_the_plugin() {
    let gcp = GcpUnderTest::start().await;
    let counting = Arc::new(Counting { inner: gcp.fake.credentials(), calls: AtomicU64::new(0) });
    let conn = gcp.connect_with(gcp.settings(json!({})), counting.clone()).await;
    for i in 0..5 {
        let name = format!("cached-{i}");
        conn.create(&name, &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
        conn.get(&name, &VersionSelector::Latest).await.expect("get");
    }
    let instances = conn.idle_instances() as u64;
    assert!(instances >= 1, "the pool keeps the instances that served the calls");
    assert_eq!(counting.calls.load(Ordering::Relaxed), instances, "each instance asks the host once");
    assert_eq!(counting.inner.fetch_count(), 1, "the host fetched one token");
    assert_eq!(gcp.fake.stat("token_requests").await, 1);
}

/// Runs `f`, returning its result and the time it took.
pub async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let result = f.await;
    (result, started.elapsed())
}

/// Tags from pairs.
pub fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A `ListRequest` walked to the end; the names found.
pub async fn list_all(conn: &Connection, mut request: ListRequest) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..100 {
        let page = conn.list(&request).await.expect("list");
        names.extend(page.secrets.into_iter().map(|m| m.name));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => return names,
        }
    }
    panic!("list did not end within 100 pages");
}

/// The contract error of a call.
pub fn provider_error<T: std::fmt::Debug>(result: Result<T, keyway_runtime::CallError>) -> ProviderError {
    let err = result.expect_err("the call must fail");
    err.provider_error().cloned().unwrap_or_else(|| panic!("not a provider error: {err}"))
}

/// Reads the secret's text.
pub async fn text(conn: &Connection, name: &str, selector: &VersionSelector) -> String {
    let secret = conn.get(name, selector).await.expect("get");
    secret.value.expose_text().map(str::to_owned).expect("text value")
}

/// Whether an error is of `kind`, with a readable failure.
pub fn assert_kind(err: &ProviderError, kind: ErrorKind) {
    assert_eq!(err.kind(), kind, "{err}");
}
