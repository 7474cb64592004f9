//! The fake Secret Manager of `tests/fakes/gcp_secret_manager`, started per test. It picks its own
//! free port and announces it, with the service-account key file it generated, on its `READY`
//! line. The host's `keyway-gcp-auth` gets tokens from its token endpoint or metadata server.

use keyway_gcp_auth::{GcpAuthMethod, GcpAuthSettings, GcpCredentials};
use keyway_integration_tests::harness::{venv_bin, workspace_root, TempDir};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The project the fake serves.
pub const PROJECT: &str = "keyway-test";

/// A running fake, stopped on drop.
pub struct FakeSecretManager {
    process: Child,
    _dir: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The generated service-account key file (its `token_uri` points at the fake).
    pub key_file: PathBuf,
}

impl Drop for FakeSecretManager {
    fn drop(&mut self) {
        self.stop();
    }
}

impl FakeSecretManager {
    /// Starts the fake.
    pub async fn start() -> Self {
        let dir = TempDir::new("gcp-fake");
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/gcp_secret_manager/server.py"))
            .args(["--port", "0", "--key-dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if std::env::var_os("KEYWAY_TEST_VERBOSE").is_none() {
            command.stderr(Stdio::null());
        }
        let mut process = command.spawn().unwrap_or_else(|err| panic!("cannot start the fake Secret Manager: {err}"));
        let stdout = process.stdout.take().expect("piped stdout");
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(Duration::from_secs(60), reading).await {
            Ok(Ok(Ok(line))) if line.starts_with("READY ") => line,
            other => {
                let _ = process.kill();
                panic!("the fake Secret Manager did not start: {other:?}")
            }
        };
        let ready: Value = serde_json::from_str(&line["READY ".len()..]).expect("the READY line is JSON");
        let text = |key: &str| ready[key].as_str().map(str::to_owned).expect("the READY line names url and key_file");
        Self { url: text("url"), key_file: PathBuf::from(text("key_file")), process, _dir: dir }
    }

    /// Stops the server (its port then refuses connections).
    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// The host's credentials from the fake's service-account key (given inline, as Kestra's
    /// `serviceAccount`).
    pub fn credentials(&self) -> GcpCredentials {
        let key = std::fs::read_to_string(&self.key_file).expect("key file");
        GcpCredentials::new(&GcpAuthSettings::service_account_json(&key)).expect("credentials")
    }

    /// The host's credentials from the fake's metadata server.
    pub fn metadata_credentials(&self) -> GcpCredentials {
        let settings = GcpAuthSettings {
            method: GcpAuthMethod::Metadata,
            metadata_host: Some(self.url.trim_start_matches("http://").to_owned()),
            ..GcpAuthSettings::default()
        };
        GcpCredentials::new(&settings).expect("credentials")
    }

    /// Calls a `/_fake/` control and returns its JSON answer.
    pub async fn control(&self, action: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/_fake/{action}", self.url))
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

    /// Sends `method` to `/v1/{path}` with a token the fake grants, as another tool would.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = self.control("grant-token", serde_json::json!({})).await["access_token"].clone();
        let response = reqwest::Client::new()
            .request(method, format!("{}/v1/{path}", self.url))
            .bearer_auth(token.as_str().unwrap_or_default())
            .json(&body)
            .send()
            .await
            .expect("API request");
        assert!(response.status().is_success(), "{path}: HTTP {}", response.status());
        response.json().await.expect("API answer")
    }
}
