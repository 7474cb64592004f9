//! The beyondtrust plugin through the wasm runtime against the fake Password Safe over HTTPS (the
//! runtime trusts the fake's test CA as a manager's `tls_ca_file` makes it): the contract suite with
//! an API key under a root folder, with OAuth and a root folder id, and with full paths as names, and
//! its misbehaving-proxy cases; credential secrets made by hand; folders; sessions; and the failures
//! a user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography`).

#[path = "beyondtrust/fake.rs"]
mod fake;

use fake::FakePasswordSafe;
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
pub use keyway_integration_tests::calls::{assert_kind, provider_error, text};
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use serde_json::{json, Value};

#[path = "beyondtrust/behaviour.rs"]
mod behaviour;
#[path = "beyondtrust/failures.rs"]
mod failures;

/// A fake Password Safe, a runtime with the beyondtrust plugin, and connections to it.
pub struct PasswordSafeUnderTest {
    /// The fake.
    pub fake: FakePasswordSafe,
    runtime: Runtime,
}

impl PasswordSafeUnderTest {
    /// Starts the fake (with `flags`) and a runtime.
    pub async fn start(flags: &[&str]) -> Self {
        Self { fake: FakePasswordSafe::start(flags).await, runtime: runtime() }
    }

    /// Opens a connection with exactly these settings, trusting the fake's CA.
    pub async fn connect_with(&self, settings: Value) -> Connection {
        let plugin = load(&self.runtime, "beyondtrust");
        let config = ConnectionConfig { settings, ca_certificates: vec![self.fake.ca.clone()], ..Default::default() };
        self.runtime.connect(&plugin, "beyondtrust", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// API-key settings plus `extra`.
    pub fn api_key_settings(&self, extra: Value) -> Value {
        with_extra(json!({ "api_url": self.fake.url, "api_key": self.fake.api_key, "run_as": self.fake.run_as }), extra)
    }

    /// A connection with the API key, names below the folder `keyway`.
    pub async fn connect(&self) -> Connection {
        self.connect_with(self.api_key_settings(json!({ "folder": "keyway" }))).await
    }
}

async fn passes_the_contract_suite(conn: &Connection, options: SuiteOptions) {
    let report = run(conn, &options).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Password Safe:\n{report}");
    // No versions (labels, probe), no tags, no recycle bin.
    assert_eq!(report.skipped(), 4, "only labels, probe, tag filters and restore may be skipped:\n{report}");
}

fn suite_options() -> SuiteOptions {
    SuiteOptions { invalid_name: Some("double//slash".into()), ..SuiteOptions::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_an_api_key_below_a_root_folder() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect().await;
    passes_the_contract_suite(&conn, suite_options()).await;
    let client = bt.fake.client().await;
    assert!(client.secrets_in("other").await.is_empty(), "nothing was written outside the root folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let plugin = load(&bt.runtime, "beyondtrust");
    let settings = bt.api_key_settings(json!({ "folder": "keyway" }));
    let config = ConnectionConfig { settings, ca_certificates: vec![bt.fake.ca.clone()], ..Default::default() };
    passes_the_proxy_cases(&bt.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_oauth_a_root_folder_id_and_version_3_2() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let folder_id = bt.fake.client().await.folder_id("keyway").await;
    let settings = json!({
        "api_url": bt.fake.api_url, "client_id": bt.fake.client_id, "client_secret": bt.fake.client_secret,
        "folder_id": folder_id, "api_version": "3.2",
    });
    let conn = bt.connect_with(settings).await;
    passes_the_contract_suite(&conn, suite_options()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_full_paths_as_names_and_version_3_0() {
    let bt = PasswordSafeUnderTest::start(&[]).await;
    let conn = bt.connect_with(bt.api_key_settings(json!({ "api_version": "3.0" }))).await;
    let options = SuiteOptions { name_prefix: "keyway/kwct-".into(), ..suite_options() };
    passes_the_contract_suite(&conn, options).await;
}
