//! The delinea plugin through the wasm runtime against the fake Secret Server over HTTPS (the
//! runtime trusts the fake's test CA as a manager's `tls_ca_file` makes it): the contract suite with
//! the password grant and with an SDK client, and its misbehaving-proxy cases; one field or every
//! field as the value; secrets made by hand, file fields, duplicates; deactivation and restore;
//! tokens; and the failures a user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography`).

#[path = "delinea/fake.rs"]
mod fake;

use fake::FakeSecretServer;
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
pub use keyway_integration_tests::calls::{assert_kind, provider_error, text};
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use serde_json::{json, Value};

#[path = "delinea/behaviour.rs"]
mod behaviour;
#[path = "delinea/failures.rs"]
mod failures;

/// A fake Secret Server, a runtime with the delinea plugin, and connections to it.
pub struct SecretServerUnderTest {
    /// The fake.
    pub fake: FakeSecretServer,
    runtime: Runtime,
}

impl SecretServerUnderTest {
    /// Starts the fake (with `flags`) and a runtime.
    pub async fn start(flags: &[&str]) -> Self {
        Self { fake: FakeSecretServer::start(flags).await, runtime: runtime() }
    }

    /// Opens a connection with exactly these settings, trusting the fake's CA.
    pub async fn connect_with(&self, settings: Value) -> Connection {
        let plugin = load(&self.runtime, "delinea");
        let config = ConnectionConfig { settings, ca_certificates: vec![self.fake.ca.clone()], ..Default::default() };
        self.runtime.connect(&plugin, "delinea", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// Password-grant settings for folder 3 and the Password template, plus `extra`.
    pub fn settings(&self, extra: Value) -> Value {
        let settings = json!({
            "base_url": self.fake.url, "username": "keyway", "password": self.fake.password,
            "folder_id": 3, "template_id": 2,
        });
        with_extra(settings, extra)
    }

    /// A connection with the password grant, folder 3, template 2, the password field as the value.
    pub async fn connect(&self) -> Connection {
        self.connect_with(self.settings(json!({}))).await
    }
}

fn suite_options() -> SuiteOptions {
    SuiteOptions { invalid_name: Some(" leading space".into()), ..SuiteOptions::default() }
}

async fn passes_the_contract_suite(conn: &Connection) {
    let report = run(conn, &suite_options()).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Secret Server:\n{report}");
    // No versions (labels, probe), no tags, no binary values.
    assert_eq!(report.skipped(), 4, "only binary, labels, probe and tag filters may be skipped:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_the_password_grant() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let conn = ss.connect().await;
    passes_the_contract_suite(&conn).await;
    let (_, other) =
        ss.fake.api(reqwest::Method::GET, "secrets?filter.folderId=5&filter.includeInactive=true", None).await;
    assert_eq!(other["records"], json!([]), "nothing was written outside the configured folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let plugin = load(&ss.runtime, "delinea");
    let config = ConnectionConfig {
        settings: ss.settings(json!({})),
        ca_certificates: vec![ss.fake.ca.clone()],
        ..Default::default()
    };
    passes_the_proxy_cases(&ss.runtime, &plugin, config, &suite_options(), &ProxyOptions::default(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_an_sdk_client_in_a_sub_folder() {
    let ss = SecretServerUnderTest::start(&[]).await;
    let settings = json!({
        "base_url": format!("{}/api/v1", ss.fake.url), "client_id": ss.fake.client_id,
        "client_secret": ss.fake.client_secret, "folder_id": 4, "template_id": 2, "field": "password",
    });
    let conn = ss.connect_with(settings).await;
    passes_the_contract_suite(&conn).await;
}
