//! moto plus a runtime with the aws plugin loaded: what the aws tests and the
//! aws benchmark share.

use crate::moto::Moto;
use keyway_aws_auth::{AwsAuth, AwsAuthSettings, SecretText};
use keyway_conformance::{ProxyOptions, SuiteOptions};
use keyway_integration_tests::plugins::passes_the_proxy_cases;
use keyway_runtime::{Connection, ConnectionConfig, Plugin, PluginManifest, Runtime, RuntimeConfig, RuntimeError};
use serde_json::{json, Value};
use std::sync::Arc;

/// The Region every test uses.
pub const REGION: &str = "us-east-1";

/// moto and a runtime with the aws plugin loaded.
pub struct AwsUnderTest {
    /// The emulator.
    pub moto: Moto,
    runtime: Runtime,
    plugin: Arc<Plugin>,
}

impl AwsUnderTest {
    /// Starts moto without signature checks and loads the plugin.
    pub async fn start() -> Self {
        Self::with(Moto::start().await)
    }

    /// Starts moto with SigV4 and IAM checks and loads the plugin.
    pub async fn start_with_auth() -> Self {
        Self::with(Moto::start_with_auth().await)
    }

    fn with(moto: Moto) -> Self {
        let cache_dir = keyway_integration_tests::harness::workspace_root().join("target/keyway-test-cache");
        let config = RuntimeConfig { cache_dir: Some(cache_dir), ..RuntimeConfig::default() };
        let runtime = Runtime::new(config).expect("the runtime starts");
        let built = keyway_plugins::find("aws").expect("the aws plugin is built with the workspace");
        let manifest = PluginManifest::parse(built.manifest, "plugins/aws/manifest.toml").expect("manifest parses");
        let plugin = runtime.load_plugin(manifest, built.wasm).expect("the aws plugin loads");
        Self { moto, runtime, plugin }
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &PluginManifest {
        self.plugin.manifest()
    }

    /// Plugin settings pointing at moto.
    pub fn settings(&self) -> Value {
        json!({ "region": REGION, "endpoint_override": self.moto.endpoint(), "max_attempts": 2 })
    }

    /// Explicit keys that moto without auth accepts.
    pub fn any_keys() -> AwsAuthSettings {
        keys("AKIAKEYWAYTEST", "keyway-test-secret")
    }

    /// Opens a connection with these settings and auth, or returns why not.
    pub async fn try_connect(&self, settings: Value, auth: AwsAuthSettings) -> Result<Connection, RuntimeError> {
        let credentials = Arc::new(AwsAuth::new(auth).expect("valid auth settings"));
        let config = ConnectionConfig { settings, credentials, ..ConnectionConfig::default() };
        self.runtime.connect(&self.plugin, "aws", config).await
    }

    /// Opens a connection to moto with explicit keys.
    pub async fn connect(&self) -> Connection {
        self.try_connect(self.settings(), Self::any_keys()).await.expect("the aws plugin connects to moto")
    }

    /// Opens a connection with a custom connection config.
    pub async fn connect_with(&self, config: ConnectionConfig) -> Result<Connection, RuntimeError> {
        self.runtime.connect(&self.plugin, "aws", config).await
    }

    /// The conformance kit's misbehaving-proxy cases, the plugin connecting with `settings` and explicit keys
    /// through a proxy in front of the settings' endpoint; every case must pass.
    pub async fn passes_the_proxy_cases(&self, settings: Value) {
        let credentials = Arc::new(AwsAuth::new(Self::any_keys()).expect("valid auth settings"));
        let config = ConnectionConfig { settings, credentials, ..ConnectionConfig::default() };
        let (options, proxy) = (SuiteOptions::default(), ProxyOptions::default());
        passes_the_proxy_cases(&self.runtime, &self.plugin, config, &options, &proxy, 0).await;
    }
}

/// Explicit-key auth settings.
pub fn keys(access_key_id: &str, secret_access_key: &str) -> AwsAuthSettings {
    AwsAuthSettings {
        access_key_id: Some(access_key_id.to_owned()),
        secret_access_key: Some(SecretText::new(secret_access_key)),
        ..AwsAuthSettings::default()
    }
}
