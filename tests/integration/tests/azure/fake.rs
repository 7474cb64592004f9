//! The fake Key Vault of `tests/fakes/azure_keyvault`, started per test: vault and token
//! endpoint on HTTPS with a CA generated for the run (trusted by the host's `keyway-azure-auth`
//! and, through the connection's `ca_certificates`, by the runtime's egress client), and the same
//! vault also on plain HTTP (loopback), for the test controls and one plain-HTTP suite run.

use keyway_azure_auth::{AzureAuthSettings, AzureCredentials};
use keyway_integration_tests::harness::{free_port, venv_bin, wait_for_http, workspace_root, ChildGuard, TempDir};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The fake's one service principal (defaults of `identity.py`).
pub const TENANT: &str = "00000000-0000-4000-8000-000000000001";
/// Its client id.
pub const CLIENT: &str = "00000000-0000-4000-8000-000000000002";
/// Its client secret.
pub const SECRET: &str = "fake-client-secret";

/// A running fake, stopped on drop.
pub struct FakeKeyVault {
    _process: ChildGuard,
    dir: TempDir,
    /// The HTTPS URL (token endpoint and vault).
    pub https_url: String,
    /// The plain-HTTP URL of the same vault.
    pub vault_url: String,
}

impl FakeKeyVault {
    /// Starts the fake with extra command-line flags (`--lag-ms`, `--purge-protection`, …).
    pub async fn start(flags: &[&str]) -> Self {
        let dir = TempDir::new("azure-fake");
        let (port, plain_port) = (free_port(), free_port());
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/azure_keyvault/server.py"))
            .args(["--port", &port.to_string(), "--plain-port", &plain_port.to_string(), "--cert-dir"])
            .arg(dir.path())
            .args(flags);
        let process = ChildGuard::spawn("the fake Key Vault", command);
        let vault_url = format!("http://127.0.0.1:{plain_port}");
        wait_for_http("the fake Key Vault", &format!("{vault_url}/_fake/stats"), Duration::from_secs(20)).await;
        Self { _process: process, dir, https_url: format!("https://127.0.0.1:{port}"), vault_url }
    }

    /// The generated CA certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Client-secret settings for the host, pointed at the fake's token endpoint.
    pub fn auth_settings(&self, secret: &str) -> AzureAuthSettings {
        AzureAuthSettings {
            authority_host: Some(self.https_url.clone()),
            ca_certificate: Some(self.ca()),
            ..AzureAuthSettings::client_secret(TENANT, CLIENT, secret)
        }
    }

    /// The host's credentials for this fake.
    pub fn credentials(&self) -> AzureCredentials {
        AzureCredentials::new(&self.auth_settings(SECRET)).expect("Azure credentials")
    }

    /// Calls a `/_fake/` control and returns its JSON answer.
    pub async fn control(&self, action: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/_fake/{action}", self.vault_url))
            .json(&body)
            .send()
            .await
            .expect("fake control request");
        response.json().await.expect("fake control answer")
    }

    /// One counter of `/_fake/stats`.
    pub async fn stat(&self, name: &str) -> u64 {
        self.control("stats", serde_json::json!({})).await[name].as_u64().unwrap_or_default()
    }
}
