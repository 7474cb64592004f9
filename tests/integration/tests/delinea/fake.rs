//! The fake Secret Server of `tests/fakes/delinea`, started per test over HTTPS with a CA made for
//! the run (trusted by the runtime through the connection's `ca_certificates`), with the folders
//! `\Keyway` (3), `\Keyway\Child` (4) and `\Other` (5) and the templates Password (2), Web Password
//! (9) and SSH Key (6026). It picks its own port and announces it.

use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use keyway_integration_tests::harness::TempDir;
use serde_json::{json, Value};

/// A running fake, stopped on drop.
pub struct FakeSecretServer {
    process: FakeProcess,
    _dir: TempDir,
    /// The server's URL.
    pub url: String,
    /// The test CA (PEM).
    pub ca: Vec<u8>,
    /// The password of the user `keyway`.
    pub password: String,
    /// The password of the read-only user `viewer`.
    pub viewer_password: String,
    /// The SDK client's id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
}

keyway_integration_tests::impl_fake!(FakeSecretServer);

impl FakeSecretServer {
    /// Starts the fake with extra flags (`--token-lifetime`).
    pub async fn start(flags: &[&str]) -> Self {
        let dir = TempDir::new("delinea-fake");
        let mut command = python_fake("delinea/ss_server.py");
        command.args(["--port", "0", "--cert-dir"]).arg(dir.path()).args(flags);
        let (process, ready, ca) = fakes::start_https("the fake Secret Server", command).await;
        let field = |key: &str| announced(&ready, key);
        Self {
            process,
            _dir: dir,
            url: field("url"),
            ca,
            password: field("password"),
            viewer_password: field("viewer_password"),
            client_id: field("client_id"),
            client_secret: field("client_secret"),
        }
    }

    /// Calls the REST API as the user `keyway` (as the web UI or another client would), returning
    /// the status and JSON body.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let form = [("grant_type", "password"), ("username", "keyway"), ("password", self.password.as_str())];
        let grant: Value = self
            .process
            .http()
            .post(format!("{}/oauth2/token", self.url))
            .form(&form)
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token JSON");
        let token = grant["access_token"].as_str().expect("an access token");
        let mut request = self.process.http().request(method, format!("{}/api/v1/{path}", self.url)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("REST request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a secret from a template's stub in a folder, with these field values.
    pub async fn create(&self, template: u32, folder: u32, name: &str, values: &[(&str, &str)]) -> Value {
        let path = format!("secrets/stub?filter.secretTemplateId={template}&filter.folderId={folder}");
        let (_, mut stub) = self.api(reqwest::Method::GET, &path, None).await;
        stub["name"] = json!(name);
        stub["folderId"] = json!(folder);
        for item in stub["items"].as_array_mut().expect("stub items") {
            if let Some((_, value)) = values.iter().find(|(slug, _)| item["slug"] == json!(slug)) {
                item["itemValue"] = json!(value);
            }
        }
        let (status, created) = self.api(reqwest::Method::POST, "secrets", Some(stub)).await;
        assert_eq!(status, 200, "created: {created}");
        created
    }

    /// A field's value as Secret Server holds it.
    pub async fn field(&self, id: &Value, slug: &str) -> Value {
        let (_, secret) = self.api(reqwest::Method::GET, &format!("secrets/{id}"), None).await;
        let items = secret["items"].as_array().cloned().unwrap_or_default();
        items
            .into_iter()
            .find(|item| item["slug"] == json!(slug))
            .map(|item| item["itemValue"].clone())
            .unwrap_or_default()
    }
}
