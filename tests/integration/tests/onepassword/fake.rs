//! The fake Connect server of `tests/fakes/onepassword_connect`, started per test on plain HTTP
//! (as a Connect server usually runs, next to its clients) with two vaults, `keyway` and `other`.
//! It picks its own port and announces it.

use keyway_integration_tests::harness::{spawn_announced, venv_bin, workspace_root, ChildGuard};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

/// The token the fake grants every vault.
pub const TOKEN: &str = "fake-connect-token-for-keyway";

/// A running fake, stopped on drop.
pub struct FakeConnect {
    process: ChildGuard,
    /// Its URL.
    pub url: String,
}

impl FakeConnect {
    /// Starts the fake and waits until it announces its URL.
    pub async fn start() -> Self {
        let mut command = Command::new(venv_bin("python"));
        command
            .arg(workspace_root().join("tests/fakes/onepassword_connect/connect_server.py"))
            .args(["--port", "0", "--token", TOKEN, "--vault", "keyway", "--vault", "other"]);
        let (process, ready) = spawn_announced("the fake Connect server", command, Duration::from_secs(60)).await;
        let url = ready["url"].as_str().expect("the READY line names the URL").to_owned();
        Self { process, url }
    }

    /// Stops the server (the next requests find nothing listening).
    pub fn stop(&mut self) {
        self.process.kill();
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

    /// The id of the vault named `name`.
    pub async fn vault_id(&self, name: &str) -> String {
        self.control("vaults", json!({})).await[name].as_str().expect("vault exists").to_owned()
    }

    /// One counter of `/_fake/stats`.
    pub async fn stat(&self, name: &str) -> u64 {
        self.control("stats", json!({})).await[name].as_u64().unwrap_or_default()
    }

    /// Calls the Connect API directly with the full-access token (as the 1Password apps or another
    /// Connect client would), returning the status and JSON body.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.url)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("Connect API request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
