//! The fake Key Vault of `tests/fakes/azure_keyvault`, started per test: vault and token
//! endpoint on HTTPS with a CA generated for the run (trusted by the host's `keyway-azure-auth`
//! and, through the connection's `ca_certificates`, by the runtime's egress client), and the same
//! vault also on plain HTTP (loopback), for the test controls and one plain-HTTP suite run.

use keyway_azure_auth::{AzureAuthSettings, AzureCredentials};
use keyway_integration_tests::harness::{venv_bin, workspace_root, TempDir};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The fake's one service principal (defaults of `identity.py`).
pub const TENANT: &str = "00000000-0000-4000-8000-000000000001";
/// Its client id.
pub const CLIENT: &str = "00000000-0000-4000-8000-000000000002";
/// Its client secret.
pub const SECRET: &str = "fake-client-secret";

/// A running fake, killed on drop.
pub struct FakeKeyVault {
    process: Child,
    dir: TempDir,
    /// The HTTPS URL (token endpoint and vault).
    pub https_url: String,
    /// The plain-HTTP URL of the same vault.
    pub vault_url: String,
}

impl Drop for FakeKeyVault {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl FakeKeyVault {
    /// Starts the fake with extra command-line flags (`--lag-ms`, `--purge-protection`, …). It
    /// picks its own free ports and announces them on its `READY` line, so parallel tests never
    /// race for a port.
    pub async fn start(flags: &[&str]) -> Self {
        let dir = TempDir::new("azure-fake");
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/azure_keyvault/server.py"))
            .args(["--port", "0", "--plain-port", "0", "--cert-dir"])
            .arg(dir.path())
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if std::env::var_os("KEYWAY_TEST_VERBOSE").is_none() {
            command.stderr(Stdio::null());
        }
        let mut process = command.spawn().unwrap_or_else(|err| panic!("cannot start the fake Key Vault: {err}"));
        let stdout = process.stdout.take().expect("piped stdout");
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(Duration::from_secs(60), reading).await {
            Ok(Ok(Ok(line))) if line.starts_with("READY ") => line,
            other => {
                let _ = process.kill();
                panic!("the fake Key Vault did not start: {other:?}")
            }
        };
        let ready: Value = serde_json::from_str(&line["READY ".len()..]).expect("the READY line is JSON");
        let url = |key: &str| ready[key].as_str().map(str::to_owned).expect("the READY line names its URLs");
        Self { https_url: url("url"), vault_url: url("plain_url"), process, dir }
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
