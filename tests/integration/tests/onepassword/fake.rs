//! The fake Connect server of `tests/fakes/onepassword_connect`, started per test on plain HTTP
//! (as a Connect server usually runs, next to its clients) with two vaults, `keyway` and `other`.
//! It picks its own port and announces it.

use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use serde_json::{json, Value};

/// The token the fake grants every vault.
pub const TOKEN: &str = "fake-connect-token-for-keyway";

/// A running fake, stopped on drop.
pub struct FakeConnect {
    process: FakeProcess,
    /// Its URL.
    pub url: String,
}

keyway_integration_tests::impl_fake!(FakeConnect);

impl FakeConnect {
    /// Starts the fake and waits until it announces its URL.
    pub async fn start() -> Self {
        let mut command = python_fake("onepassword_connect/connect_server.py");
        command.args(["--port", "0", "--token", TOKEN, "--vault", "keyway", "--vault", "other"]);
        let (process, ready) = fakes::start("the fake Connect server", command).await;
        let url = announced(&ready, "url");
        Self { process: FakeProcess::new(process, url.clone(), reqwest::Client::new()), url }
    }

    /// The id of the vault named `name`.
    pub async fn vault_id(&self, name: &str) -> String {
        self.process.control("vaults", json!({})).await[name].as_str().expect("vault exists").to_owned()
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
