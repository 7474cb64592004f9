//! The fake Secret Manager of `tests/fakes/gcp_secret_manager`, started per test. It picks its own
//! free port and announces it, with the service-account key file it generated, on its `READY`
//! line. The host's `keyway-gcp-auth` gets tokens from its token endpoint or metadata server.

use keyway_gcp_auth::{GcpAuthMethod, GcpAuthSettings, GcpCredentials};
use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use keyway_integration_tests::harness::TempDir;
use serde_json::Value;
use std::path::PathBuf;

/// The project the fake serves.
pub const PROJECT: &str = "keyway-test";

/// A running fake, stopped on drop.
pub struct FakeSecretManager {
    process: FakeProcess,
    _dir: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The generated service-account key file (its `token_uri` points at the fake).
    pub key_file: PathBuf,
}

keyway_integration_tests::impl_fake!(FakeSecretManager);

impl FakeSecretManager {
    /// Starts the fake.
    pub async fn start() -> Self {
        let dir = TempDir::new("gcp-fake");
        let mut command = python_fake("gcp_secret_manager/server.py");
        command.args(["--port", "0", "--key-dir"]).arg(dir.path());
        let (process, ready) = fakes::start("the fake Secret Manager", command).await;
        let url = announced(&ready, "url");
        let process = FakeProcess::new(process, url.clone(), reqwest::Client::new());
        Self { url, key_file: PathBuf::from(announced(&ready, "key_file")), process, _dir: dir }
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

    /// Sends `method` to `/v1/{path}` with a token the fake grants, as another tool would.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = self.process.control("grant-token", serde_json::json!({})).await["access_token"].clone();
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
