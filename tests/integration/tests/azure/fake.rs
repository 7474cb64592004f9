//! The fake Key Vault of `tests/fakes/azure_keyvault`, started per test: vault and token
//! endpoint on HTTPS with a CA generated for the run (trusted by the host's `keyway-azure-auth`
//! and, through the connection's `ca_certificates`, by the runtime's egress client), and the same
//! vault also on plain HTTP (loopback), for the test controls and one plain-HTTP suite run.

use keyway_azure_auth::{AzureAuthSettings, AzureCredentials};
use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use keyway_integration_tests::harness::TempDir;
use std::path::PathBuf;

/// The fake's one service principal (defaults of `identity.py`).
pub const TENANT: &str = "00000000-0000-4000-8000-000000000001";
/// Its client id.
pub const CLIENT: &str = "00000000-0000-4000-8000-000000000002";
/// Its client secret.
pub const SECRET: &str = "fake-client-secret";

/// A running fake, killed on drop; its controls are called on the plain-HTTP URL.
pub struct FakeKeyVault {
    process: FakeProcess,
    dir: TempDir,
    /// The HTTPS URL (token endpoint and vault).
    pub https_url: String,
    /// The plain-HTTP URL of the same vault.
    pub vault_url: String,
}

keyway_integration_tests::impl_fake!(FakeKeyVault);

impl FakeKeyVault {
    /// Starts the fake with extra command-line flags (`--lag-ms`, `--purge-protection`, …). It
    /// picks its own free ports and announces them on its `READY` line, so parallel tests never
    /// race for a port.
    pub async fn start(flags: &[&str]) -> Self {
        let dir = TempDir::new("azure-fake");
        let mut command = python_fake("azure_keyvault/server.py");
        command.args(["--port", "0", "--plain-port", "0", "--cert-dir"]).arg(dir.path()).args(flags);
        let (process, ready) = fakes::start("the fake Key Vault", command).await;
        let vault_url = announced(&ready, "plain_url");
        let process = FakeProcess::new(process, vault_url.clone(), reqwest::Client::new());
        Self { https_url: announced(&ready, "url"), vault_url, process, dir }
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

    /// keyway on a configuration with one manager `azure` on this fake (client-secret identity from its
    /// Entra ID endpoint, its CA trusted) in `home`; `extra` adds lines to the manager (indented by four
    /// spaces).
    pub async fn keyway(&self, home: &TempDir, extra: &str) -> keyway::Keyway {
        let yaml = format!(
            r#"
home: {home}
managers:
  azure:
    plugin: azure
    settings: {{ vault_uri: "{vault}" }}
    auth:
      type: azure
      method: client-secret
      tenant_id: "{TENANT}"
      client_id: "{CLIENT}"
      client_secret: "{SECRET}"
      authority_host: "{vault}"
      ca_certificate: "{ca}"
    tls_ca_file: "{ca}"
{extra}"#,
            home = home.path().display(),
            vault = self.https_url,
            ca = self.ca().display(),
        );
        let config = keyway::Config::from_yaml(&yaml).expect("the configuration parses");
        keyway::Keyway::open(config, keyway::ConfigSource::BuiltInDefault).await.expect("keyway opens")
    }

    /// The host's credentials for this fake.
    pub fn credentials(&self) -> AzureCredentials {
        AzureCredentials::new(&self.auth_settings(SECRET)).expect("Azure credentials")
    }
}
