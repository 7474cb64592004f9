//! The fake Conjur of `tests/fakes/conjur`, started per test over HTTPS with a CA generated for the
//! run (the runtime trusts it through the connection's `ca_certificates`), account `myorg`, an
//! `admin` user, and an `authn-ldap/corp` authenticator. It picks its own port and announces it.

use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use keyway_integration_tests::harness::TempDir;
use serde_json::{json, Value};

/// The fake's account.
pub const ACCOUNT: &str = "myorg";
/// The `admin` user's API key.
pub const ADMIN_KEY: &str = "fake-admin-api-key-for-keyway";

/// A running fake, stopped on drop.
pub struct FakeConjur {
    process: FakeProcess,
    _dir: TempDir,
    /// Its HTTPS URL.
    pub url: String,
    /// The test CA's certificate (PEM).
    pub ca: Vec<u8>,
}

keyway_integration_tests::impl_fake!(FakeConjur);

impl FakeConjur {
    /// Starts the fake and waits until it announces its URL.
    pub async fn start() -> Self {
        let dir = TempDir::new("conjur-fake");
        let mut command = python_fake("conjur/conjur_server.py");
        command
            .args(["--port", "0", "--account", ACCOUNT, "--admin-api-key", ADMIN_KEY, "--ldap-service", "corp"])
            .arg("--cert-dir")
            .arg(dir.path());
        let (process, ready, ca) = fakes::start_https("the fake Conjur", command).await;
        Self { process, _dir: dir, url: announced(&ready, "url"), ca }
    }

    /// Loads `policy` into `branch` as the admin (`POST`); returns the created roles.
    pub async fn load_policy(&self, branch: &str, policy: &str) -> Value {
        self.process
            .control("policy", json!({ "branch": branch, "policy": policy }))
            .await
            .get("created_roles")
            .cloned()
            .unwrap_or_default()
    }

    /// Sets a variable's value as the admin.
    pub async fn set(&self, variable: &str, value: &str) {
        self.process.control("set", json!({ "variable": variable, "value": value })).await;
    }
}
