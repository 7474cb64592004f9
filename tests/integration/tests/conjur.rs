//! The conjur plugin through the wasm runtime against the fake Conjur over HTTPS: the contract suite
//! as a host that owns its policy branch, as the admin at the root policy, and read-only, and its
//! misbehaving-proxy cases; reading
//! what administrators declared (versions, batches, permissions, listing); writing through policy;
//! and the failures a user must tell apart.
//!
//! Needs the venv of `tests/requirements.txt` (Python with `cryptography` and `PyYAML`).

#[path = "conjur/fake.rs"]
mod fake;

use fake::{FakeConjur, ACCOUNT, ADMIN_KEY};
use keyway_conformance::{run, ProxyOptions, SuiteOptions};
pub use keyway_integration_tests::calls::{assert_kind, list_all, provider_error};
use keyway_integration_tests::plugins::{load, passes_the_proxy_cases, runtime, with_extra};
use keyway_runtime::{Connection, ConnectionConfig, Runtime};
use serde_json::{json, Value};

#[path = "conjur/failures.rs"]
mod failures;
#[path = "conjur/reading.rs"]
mod reading;
#[path = "conjur/writing.rs"]
mod writing;

/// The policy giving host `apps/kestra` its own branch `apps/kestra`, Conjur's usual layout.
pub const HOST_POLICY: &str = "
- !policy
  id: apps
  body:
    - !host kestra
    - !policy
      id: kestra
      owner: !host kestra
";

/// A fake Conjur, a runtime with the conjur plugin, and connections to it.
pub struct ConjurUnderTest {
    /// The fake.
    pub fake: FakeConjur,
    runtime: Runtime,
}

impl ConjurUnderTest {
    /// Starts the fake and a runtime.
    pub async fn start() -> Self {
        Self { fake: FakeConjur::start().await, runtime: runtime() }
    }

    /// Opens a connection with these settings, trusting the fake's CA.
    pub async fn connect_with(&self, settings: Value) -> Connection {
        let config = ConnectionConfig { settings, ca_certificates: vec![self.fake.ca.clone()], ..Default::default() };
        self.connect_config(config).await
    }

    /// Opens a connection with this configuration.
    pub async fn connect_config(&self, config: ConnectionConfig) -> Connection {
        let plugin = load(&self.runtime, "conjur");
        self.runtime.connect(&plugin, "conjur", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
    }

    /// Settings for `login` with `api_key`, and `extra` settings.
    pub fn settings(&self, login: &str, api_key: &str, extra: Value) -> Value {
        with_extra(json!({ "url": self.fake.url, "account": ACCOUNT, "login": login, "api_key": api_key }), extra)
    }

    /// The admin, with `extra` settings.
    pub async fn admin(&self, extra: Value) -> Connection {
        self.connect_with(self.settings("admin", ADMIN_KEY, extra)).await
    }

    /// Loads [`HOST_POLICY`] and returns the API key of host `apps/kestra`.
    pub async fn kestra_host_key(&self) -> String {
        let created = self.fake.load_policy("root", HOST_POLICY).await;
        created[format!("{ACCOUNT}:host:apps/kestra")]["api_key"].as_str().expect("the host's API key").to_owned()
    }
}

async fn passes_the_contract_suite(conn: &Connection, options: SuiteOptions, skipped: usize) {
    let report = run(conn, &options).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against the fake Conjur:\n{report}");
    assert_eq!(report.skipped(), skipped, "unexpected skips:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_as_a_host_owning_its_policy_branch() {
    let conjur = ConjurUnderTest::start().await;
    let key = conjur.kestra_host_key().await;
    let conn =
        conjur.connect_with(conjur.settings("host/apps/kestra", &key, json!({ "policy_branch": "apps/kestra" }))).await;
    let options = SuiteOptions {
        name_prefix: "apps/kestra/kwct-".into(),
        invalid_name: Some("apps/kestra//bad".into()),
        ..SuiteOptions::default()
    };
    // Conjur has no version labels, no soft delete, and annotations policy cannot remove (no tags).
    passes_the_contract_suite(&conn, options, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_as_the_admin_at_the_root_policy() {
    let conjur = ConjurUnderTest::start().await;
    let conn = conjur.admin(json!({ "policy_branch": "root" })).await;
    let options = SuiteOptions { invalid_name: Some("bad:name".into()), ..SuiteOptions::default() };
    passes_the_contract_suite(&conn, options, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let conjur = ConjurUnderTest::start().await;
    let plugin = load(&conjur.runtime, "conjur");
    let settings = conjur.settings("admin", ADMIN_KEY, json!({ "policy_branch": "root" }));
    let config = ConnectionConfig { settings, ca_certificates: vec![conjur.fake.ca.clone()], ..Default::default() };
    let (options, proxy) = (SuiteOptions::default(), ProxyOptions::default());
    passes_the_proxy_cases(&conjur.runtime, &plugin, config, &options, &proxy, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_of_a_read_only_manager() {
    let conjur = ConjurUnderTest::start().await;
    let conn = conjur.admin(json!({})).await;
    let caps = conn.capabilities();
    assert!(caps.read && caps.list && caps.versions && caps.probe && !caps.write && !caps.delete);
    let options = SuiteOptions { invalid_name: Some("/absolute".into()), ..SuiteOptions::default() };
    // Every case that writes is skipped; create and delete answer `unsupported`.
    passes_the_contract_suite(&conn, options, 12).await;
}
