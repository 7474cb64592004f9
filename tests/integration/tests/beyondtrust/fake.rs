//! The fake Password Safe of `tests/fakes/beyondtrust`, started per test over HTTPS with a CA made
//! for the run (trusted by the runtime through the connection's `ca_certificates`), with two
//! top-level folders, `keyway` and `other`. It picks its own port and announces it.

use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use keyway_integration_tests::harness::TempDir;
use serde_json::{json, Value};

/// A running fake, stopped on drop.
pub struct FakePasswordSafe {
    process: FakeProcess,
    _dir: TempDir,
    /// The server's URL (`https://127.0.0.1:PORT`).
    pub url: String,
    /// The API's URL (`…/BeyondTrust/api/public/v3`).
    pub api_url: String,
    /// The test CA (PEM).
    pub ca: Vec<u8>,
    /// The API key of the fake's one API registration.
    pub api_key: String,
    /// Its run-as user.
    pub run_as: String,
    /// The fake's OAuth client.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
}

keyway_integration_tests::impl_fake!(FakePasswordSafe);

impl FakePasswordSafe {
    /// Starts the fake with extra flags (`--run-as-password`, `--idle-seconds`).
    pub async fn start(flags: &[&str]) -> Self {
        let dir = TempDir::new("beyondtrust-fake");
        let mut command = python_fake("beyondtrust/bt_server.py");
        command.args(["--port", "0", "--cert-dir"]).arg(dir.path()).args(flags);
        let (process, ready, ca) = fakes::start_https("the fake Password Safe", command).await;
        let field = |key: &str| announced(&ready, key);
        Self {
            process,
            _dir: dir,
            url: field("url"),
            api_url: field("api_url"),
            ca,
            api_key: field("api_key"),
            run_as: field("run_as"),
            client_id: field("client_id"),
            client_secret: field("client_secret"),
        }
    }

    /// Signs in as the API user (as another Password Safe client would) and returns a client of
    /// the API in that session.
    pub async fn client(&self) -> ApiClient {
        let response = self
            .process
            .http()
            .post(format!("{}/Auth/SignAppin", self.api_url))
            .header("authorization", format!("PS-Auth key={}; runas={};", self.api_key, self.run_as))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(response.status().as_u16(), 200, "the test client signs in");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let user: Value = response.json().await.expect("the signed-in user");
        ApiClient {
            http: self.process.http().clone(),
            api_url: self.api_url.clone(),
            cookie,
            user_id: user["UserId"].clone(),
        }
    }
}

/// The Password Safe API in one session, for setting up and checking what the plugin sees.
pub struct ApiClient {
    http: reqwest::Client,
    api_url: String,
    cookie: String,
    user_id: Value,
}

impl ApiClient {
    /// Calls `path` (below the API URL, with its query) and returns the status and JSON body.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}/{path}", self.api_url)).header("cookie", &self.cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("Password Safe API request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The GUID of the folder at `path`.
    pub async fn folder_id(&self, path: &str) -> String {
        let (_, folders) = self.call(reqwest::Method::GET, "Secrets-Safe/Folders", None).await;
        let folders = folders.as_array().cloned().unwrap_or_default();
        let path_of = |id: &Value| {
            let mut names = Vec::new();
            let mut current = folders.iter().find(|f| &f["Id"] == id);
            while let Some(folder) = current {
                names.push(folder["Name"].as_str().unwrap_or_default().to_owned());
                current = folders.iter().find(|f| f["Id"] == folder["ParentId"]);
            }
            names.reverse();
            names.join("/")
        };
        let folder = folders.iter().find(|f| path_of(&f["Id"]) == path).unwrap_or_else(|| panic!("folder {path}"));
        folder["Id"].as_str().expect("folder id").to_owned()
    }

    /// Creates a credential secret in the folder at `path` (as a Password Safe user would).
    pub async fn create_credential(&self, path: &str, title: &str, username: &str, password: &str) -> Value {
        let folder = self.folder_id(path).await;
        let body = json!({
            "Title": title, "Username": username, "Password": password, "Description": "made by hand",
            "Owners": [{ "UserId": self.user_id }], "Notes": "keep", "Urls": [{ "Url": "https://db.example" }],
        });
        let (status, created) = self
            .call(reqwest::Method::POST, &format!("Secrets-Safe/Folders/{folder}/secrets?version=3.1"), Some(body))
            .await;
        assert_eq!(status, 201, "credential created: {created}");
        created
    }

    /// The secrets of the folder at `path`, as the API lists them (3.1 shape, decrypted).
    pub async fn secrets_in(&self, path: &str) -> Vec<Value> {
        let (status, listed) =
            self.call(reqwest::Method::GET, &format!("Secrets-Safe/Secrets?version=3.1&Path={path}"), None).await;
        assert_eq!(status, 200);
        listed.as_array().cloned().unwrap_or_default()
    }
}
