//! The onepassword plugin through the wasm runtime against the fake 1Password Connect server: the
//! contract suite (by vault name and by vault id), items written by other Connect clients, fields
//! as JSON objects, titles and versions, listing, and the failures a user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python; the fake uses only the standard library).

#[path = "onepassword/fake.rs"]
mod fake;

use fake::{FakeConnect, TOKEN};
use keyway_conformance::{run, SuiteOptions};
use keyway_integration_tests::plugins::{load, runtime};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use keyway_types::{ErrorKind, ListRequest, ProviderError, Tags, VersionSelector};
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
async fn contract_suite_with_the_vault_id_leaves_other_vaults_alone() {
    let op = OnePasswordUnderTest::start().await;
    let other = op.fake.vault_id("other").await;
    let conn = op.connect(&op.fake.vault_id("keyway").await).await;
    passes_the_contract_suite(&conn).await;
    let (status, items) = op.fake.api(reqwest::Method::GET, &format!("/v1/vaults/{other}/items"), None).await;
    assert_eq!((status, items), (200, json!([])), "nothing was written outside the configured vault");
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
pub async fn text(conn: &Connection, name: &str) -> String {
    let secret = conn.get(name, &VersionSelector::Latest).await.expect("get");
    secret.value.expose_text().map(str::to_owned).expect("text value")
}

/// Whether an error is of `kind`, with a readable failure.
pub fn assert_kind(err: &ProviderError, kind: ErrorKind) {
    assert_eq!(err.kind(), kind, "{err}");
}
