//! The azure plugin through the wasm runtime against the fake Key Vault, with the host's
//! `keyway-azure-auth` getting tokens from the fake's Entra ID endpoint, everything over HTTPS
//! with a test CA unless a test says otherwise: the contract suite and its misbehaving-proxy cases,
//! throttling and server-error retries, name rejection, access denied, and the Key Vault
//! behaviours a user relies on (prefix, disabled secrets, purge protection, paging).
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography`).

#[path = "azure/fake.rs"]
mod fake;

use fake::{FakeKeyVault, SECRET};
use keyway_azure_auth::AzureCredentials;
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
use keyway_integration_tests::calls::CountingCredentials;
pub use keyway_integration_tests::calls::{assert_kind, list_all, provider_error, tags, text, timed};
use keyway_integration_tests::fakes::Fake;
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use keyway_types::{
    CredentialProvider, DeleteMode, ErrorKind, SecretValue, UpdateRequest, VersionSelector, WriteOptions,
};
use serde_json::{json, Value};
use std::sync::Arc;

#[path = "azure/behaviour.rs"]
mod behaviour;
#[path = "azure/expiry.rs"]
mod expiry;
#[path = "azure/failures.rs"]
mod failures;
#[path = "azure/placeholders.rs"]
mod placeholders;

/// A fake vault, a runtime with the azure plugin, and connections to it.
pub struct AzureUnderTest {
    /// The fake.
    pub fake: FakeKeyVault,
    runtime: Runtime,
}

impl AzureUnderTest {
    /// Starts the fake (with `flags`) and a runtime.
    pub async fn start(flags: &[&str]) -> Self {
        Self { fake: FakeKeyVault::start(flags).await, runtime: runtime() }
    }

    /// Opens a connection with these plugin settings and credentials; the runtime trusts the
    /// fake's test CA, as a manager's `tls_ca_file` makes it.
    pub async fn connect_with(&self, settings: Value, credentials: Arc<dyn CredentialProvider>) -> Connection {
        let plugin = load(&self.runtime, "azure");
        let ca = std::fs::read(self.fake.ca()).expect("the fake's CA certificate");
        let config =
            ConnectionConfig { settings, credentials, ca_certificates: vec![ca], ..ConnectionConfig::default() };
        self.runtime.connect(&plugin, "azure", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// A connection to the fake's vault over HTTPS, with the host's client-secret credentials
    /// and `extra` settings.
    pub async fn connect(&self, extra: Value) -> Connection {
        self.connect_to(&self.fake.https_url, extra).await
    }

    /// The same over the fake's plain-HTTP listener (allowed to loopback only).
    pub async fn connect_plain(&self, extra: Value) -> Connection {
        self.connect_to(&self.fake.vault_url, extra).await
    }

    async fn connect_to(&self, vault_uri: &str, extra: Value) -> Connection {
        let settings = with_extra(json!({ "vault_uri": vault_uri }), extra);
        self.connect_with(settings, Arc::new(self.fake.credentials())).await
    }
}

fn suite_options() -> SuiteOptions {
    SuiteOptions { invalid_name: Some("bad_name.with-dots".into()), ..SuiteOptions::default() }
}

async fn passes_the_contract_suite(conn: &Connection) {
    let report = run(conn, &suite_options()).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Key Vault:\n{report}");
    assert_eq!(report.skipped(), 1, "only the labels case may be skipped (Key Vault has no labels):\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_against_the_fake_key_vault_over_https() {
    let azure = AzureUnderTest::start(&[]).await;
    let conn = azure.connect(json!({})).await;
    passes_the_contract_suite(&conn).await;
    assert!(azure.fake.stat("challenges").await == 0, "the plugin always sends its bearer token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_when_deletion_and_recovery_take_time() {
    // Like the service, deletion and recovery complete a moment later; the plugin waits.
    // Plain HTTP to loopback, as a local test vault may be served.
    let azure = AzureUnderTest::start(&["--lag-ms", "300"]).await;
    let conn = azure.connect_plain(json!({ "prefix": "lagged-" })).await;
    passes_the_contract_suite(&conn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let azure = AzureUnderTest::start(&[]).await;
    let plugin = load(&azure.runtime, "azure");
    let ca = std::fs::read(azure.fake.ca()).expect("the fake's CA certificate");
    let config = ConnectionConfig {
        settings: json!({ "vault_uri": azure.fake.https_url }),
        credentials: Arc::new(azure.fake.credentials()),
        ca_certificates: vec![ca],
        ..ConnectionConfig::default()
    };
    passes_the_proxy_cases(&azure.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_vault_certificate_is_unavailable() {
    let azure = AzureUnderTest::start(&[]).await;
    let plugin = load(&azure.runtime, "azure");
    let settings = json!({ "vault_uri": azure.fake.https_url });
    let config =
        ConnectionConfig { settings, credentials: Arc::new(azure.fake.credentials()), ..ConnectionConfig::default() };
    let conn = azure.runtime.connect(&plugin, "azure", config).await.expect("connect");
    let err = provider_error(conn.get("anything", &VersionSelector::Latest).await);
    assert_kind(&err, ErrorKind::Unavailable);
    assert_eq!(azure.fake.stat("vault_requests").await, 0, "no request got through TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_cached_by_the_host_and_the_plugin() {
    let azure = AzureUnderTest::start(&[]).await;
    let counting = Arc::new(CountingCredentials::new(azure.fake.credentials()));
    let conn = azure.connect_with(json!({ "vault_uri": azure.fake.https_url }), counting.clone()).await;
    for i in 0..5 {
        let name = format!("cached-{i}");
        conn.create(&name, &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
        conn.get(&name, &VersionSelector::Latest).await.expect("get");
    }
    let host_calls = counting.calls();
    // Each plugin instance asks the host once and keeps the token until near its expiry.
    let instances = conn.idle_instances() as u64;
    assert!(instances >= 1, "the pool keeps the instances that served the calls");
    assert_eq!(
        host_calls, instances,
        "10 sequential calls on {instances} instance(s) asked the host {host_calls} times"
    );
    assert_eq!(counting.inner.fetch_count(), 1, "the host fetched more than one token");
    assert_eq!(azure.fake.stat("token_requests").await, 1);
}

/// Convenience: `UpdateRequest` enabling or disabling.
pub fn enable(enabled: bool) -> UpdateRequest {
    UpdateRequest { enabled: Some(enabled), ..UpdateRequest::default() }
}

/// Convenience: delete modes.
pub const SOFT: DeleteMode = DeleteMode::Recoverable(None);

/// Host credentials with a client secret the fake's Entra ID refuses.
pub fn wrong_secret_credentials(fake: &FakeKeyVault) -> AzureCredentials {
    assert_ne!(SECRET, "definitely-wrong");
    AzureCredentials::new(&fake.auth_settings("definitely-wrong")).expect("credentials")
}
