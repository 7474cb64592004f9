//! The fake Conjur of `tests/fakes/conjur`, started per test over HTTPS with a CA generated for the
//! run (the runtime trusts it through the connection's `ca_certificates`), account `myorg`, an
//! `admin` user, and an `authn-ldap/corp` authenticator. It picks its own port and announces it.

use keyway_integration_tests::harness::{spawn_announced, venv_bin, workspace_root, ChildGuard, TempDir};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

/// The fake's account.
pub const ACCOUNT: &str = "myorg";
/// The `admin` user's API key.
pub const ADMIN_KEY: &str = "fake-admin-api-key-for-keyway";

/// A running fake, stopped on drop.
pub struct FakeConjur {
    process: ChildGuard,
    _dir: TempDir,
    /// Its HTTPS URL.
    pub url: String,
    /// The test CA's certificate (PEM).
    pub ca: Vec<u8>,
}

impl FakeConjur {
    /// Starts the fake and waits until it announces its URL.
    pub async fn start() -> Self {
        let dir = TempDir::new("conjur-fake");
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/conjur/conjur_server.py"))
            .args(["--port", "0", "--account", ACCOUNT, "--admin-api-key", ADMIN_KEY, "--ldap-service", "corp"])
            .arg("--cert-dir")
            .arg(dir.path());
        let (process, ready) = spawn_announced("the fake Conjur", command, Duration::from_secs(60)).await;
        let text = |key: &str| ready[key].as_str().expect("the READY line names its URL and CA").to_owned();
        let ca = std::fs::read(text("ca")).expect("the fake wrote its CA");
        Self { process, _dir: dir, url: text("url"), ca }
    }

    /// Stops the server (the next requests find nothing listening).
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Calls a `/_fake/` control and returns its JSON answer.
    pub async fn control(&self, action: &str, body: Value) -> Value {
        let ca = reqwest::Certificate::from_pem(&self.ca).expect("the CA is PEM");
        let client = reqwest::Client::builder().add_root_certificate(ca).build().expect("HTTP client");
        let response = client.post(format!("{}/_fake/{action}", self.url)).json(&body).send().await.expect("control");
        let status = response.status();
        let answer: Value = response.json().await.expect("fake control answer");
        assert!(status.is_success(), "control {action} failed: {answer}");
        answer
    }

    /// Loads `policy` into `branch` as the admin (`POST`); returns the created roles.
    pub async fn load_policy(&self, branch: &str, policy: &str) -> Value {
        self.control("policy", json!({ "branch": branch, "policy": policy }))
            .await
            .get("created_roles")
            .cloned()
            .unwrap_or_default()
    }

    /// Sets a variable's value as the admin.
    pub async fn set(&self, variable: &str, value: &str) {
        self.control("set", json!({ "variable": variable, "value": value })).await;
    }

    /// One counter of `/_fake/stats`.
    pub async fn stat(&self, name: &str) -> u64 {
        self.control("stats", json!({})).await[name].as_u64().unwrap_or_default()
    }
}
