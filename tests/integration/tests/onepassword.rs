//! The onepassword plugin through the wasm runtime against the fake 1Password Connect server: the
//! contract suite (by vault name and by vault id) and its misbehaving-proxy cases, items written by
//! other Connect clients, fields as JSON objects, titles and versions, listing, and the failures a
//! user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python; the fake uses only the standard library).

#[path = "onepassword/fake.rs"]
mod fake;

use fake::{FakeConnect, TOKEN};
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
pub use keyway_integration_tests::calls::{assert_kind, list_all, provider_error, tags, text};
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use serde_json::{json, Value};

#[path = "onepassword/behaviour.rs"]
mod behaviour;
#[path = "onepassword/failures.rs"]
mod failures;

/// A fake Connect server, a runtime with the onepassword plugin, and connections to it.
pub struct OnePasswordUnderTest {
    /// The fake.
    pub fake: FakeConnect,
    runtime: Runtime,
}

impl OnePasswordUnderTest {
    /// Starts the fake and a runtime.
    pub async fn start() -> Self {
        Self { fake: FakeConnect::start().await, runtime: runtime() }
    }

    /// Opens a connection with exactly these settings.
    pub async fn connect_with(&self, settings: Value) -> Connection {
        let plugin = load(&self.runtime, "onepassword");
        let config = ConnectionConfig { settings, ..ConnectionConfig::default() };
        self.runtime.connect(&plugin, "1password", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// A connection to the fake's vault `vault` (name or id) with the full-access token.
    pub async fn connect(&self, vault: &str) -> Connection {
        self.connect_with(json!({ "connect_host": self.fake.url, "token": TOKEN, "vault": vault })).await
    }
}

fn suite_options() -> SuiteOptions {
    SuiteOptions { invalid_name: Some("bad\"title".into()), ..SuiteOptions::default() }
}

async fn passes_the_contract_suite(conn: &Connection) {
    let report = run(conn, &suite_options()).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Connect server:\n{report}");
    // Connect stores text only, keeps no readable history (no labels), cannot restore, and its
    // `describe` is no cheaper than `get`.
    assert_eq!(report.skipped(), 4, "only binary, labels, probe and restore may be skipped:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_the_vault_named() {
    let op = OnePasswordUnderTest::start().await;
    let conn = op.connect("keyway").await;
    passes_the_contract_suite(&conn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let op = OnePasswordUnderTest::start().await;
    let plugin = load(&op.runtime, "onepassword");
    let settings = json!({ "connect_host": op.fake.url, "token": TOKEN, "vault": "keyway" });
    let config = ConnectionConfig { settings, ..ConnectionConfig::default() };
    passes_the_proxy_cases(&op.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_the_vault_id_leaves_other_vaults_alone() {
    let op = OnePasswordUnderTest::start().await;
    let other = op.fake.vault_id("other").await;
    let conn = op.connect(&op.fake.vault_id("keyway").await).await;
    passes_the_contract_suite(&conn).await;
    let (status, items) = op.fake.api(reqwest::Method::GET, &format!("/v1/vaults/{other}/items"), None).await;
    assert_eq!((status, items), (200, json!([])), "nothing was written outside the configured vault");
}
