//! The gcp plugin through the wasm runtime against the fake Secret Manager, with the host's
//! `keyway-gcp-auth` getting tokens from the fake's token endpoint (a service-account key) or its
//! metadata server: the contract suite (global and regional secrets) and its misbehaving-proxy cases,
//! token caching, the Secret Manager behaviours a user relies on, and the failures a user must tell
//! apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography`).

#[path = "gcp/fake.rs"]
mod fake;

#[path = "gcp/behaviour.rs"]
mod behaviour;
#[path = "gcp/failures.rs"]
mod failures;

use fake::{FakeSecretManager, PROJECT};
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
use keyway_integration_tests::calls::CountingCredentials;
pub use keyway_integration_tests::calls::{assert_kind, list_all, provider_error, tags, text_at as text, timed};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use keyway_types::{CredentialProvider, SecretValue, VersionSelector, WriteOptions};
use serde_json::{json, Value};
use std::sync::Arc;

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
        with_extra(json!({ "project": PROJECT, "endpoint": self.fake.url }), extra)
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
async fn misbehaving_proxy_cases() {
    let gcp = GcpUnderTest::start().await;
    let plugin = load(&gcp.runtime, "gcp");
    let credentials = Arc::new(gcp.fake.credentials());
    let config = ConnectionConfig { settings: gcp.settings(json!({})), credentials, ..ConnectionConfig::default() };
    passes_the_proxy_cases(&gcp.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_metadata_server_tokens() {
    let gcp = GcpUnderTest::start().await;
    let conn = gcp.connect_with(gcp.settings(json!({})), Arc::new(gcp.fake.metadata_credentials())).await;
    passes_the_contract_suite(&conn).await;
    assert!(gcp.fake.stat("metadata_requests").await >= 1);
    assert_eq!(gcp.fake.stat("token_requests").await, 0, "no key, no token endpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_cached_by_the_host_and_the_plugin() {
    let gcp = GcpUnderTest::start().await;
    let counting = Arc::new(CountingCredentials::new(gcp.fake.credentials()));
    let conn = gcp.connect_with(gcp.settings(json!({})), counting.clone()).await;
    for i in 0..5 {
        let name = format!("cached-{i}");
        conn.create(&name, &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
        conn.get(&name, &VersionSelector::Latest).await.expect("get");
    }
    let instances = conn.idle_instances() as u64;
    assert!(instances >= 1, "the pool keeps the instances that served the calls");
    assert_eq!(counting.calls(), instances, "each instance asks the host once");
    assert_eq!(counting.inner.fetch_count(), 1, "the host fetched one token");
    assert_eq!(gcp.fake.stat("token_requests").await, 1);
}
