//! Azure Key Vault secrets provider for keyway.
//!
//! Hand-written REST calls (api-version 7.5) over the SDK's [`HttpClient`] and `wasi:http`; the
//! bearer token comes from the host ([`host::access_token`] for the vault's scope), so the plugin
//! never holds an Azure credential. See the README for the choices (REST instead of the official
//! SDK, rejected names, reserved tags).
//!
//! # Layout
//! - `settings`: the manager's settings, the vault URL and token scope.
//! - `names`: Key Vault's name rule and the manager's prefix.
//! - `client`: requests with the host's token, 401 renewal, Key Vault errors to contract errors.
//! - `model`: Key Vault's JSON shapes, metadata, reserved tags, binary values.
//! - `read`: get, describe (the probe), versions.
//! - `write`: create and update.
//! - `lifecycle`: delete (soft, force purges), restore (recover).
//! - `listing`: list with prefix and tag filters, paging over `nextLink`.
//! - `wait`: polling Key Vault's asynchronous deletion, recovery and purge.

mod client;
mod lifecycle;
mod listing;
mod model;
mod names;
mod read;
mod settings;
mod wait;
mod write;

use client::KeyVault;
use keyway_plugin_sdk::prelude::*;
use settings::AzureSettings;

/// One manager's connection to its vault.
pub struct Azure {
    kv: KeyVault,
}

impl Azure {
    /// The Key Vault name of a caller's name (prefix included), or `invalid-argument`.
    fn full_name(&self, name: &str) -> Result<String> {
        names::vault_name(&self.kv.config.prefix, name)
    }
}

impl Provider for Azure {
    fn open(settings: Settings) -> Result<Self> {
        let config = settings.parse::<AzureSettings>()?.into_config()?;
        Ok(Self { kv: KeyVault::new(config) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            delete: true,
            delete_with_recovery: true,
            restore: true,
            list: true,
            versions: true,
            labels: false,
            binary_values: true,
            tags: true,
            probe: true,
        }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read(name, selector)
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        self.metadata(name, selector)
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        self.create_secret(name, &value, options)
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        self.update_secret(name, request)
    }

    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        self.delete_secret(name, mode)
    }

    fn restore(&self, name: &str) -> Result<SecretMetadata> {
        self.restore_secret(name)
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_page(request)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        self.list_versions(name)
    }
}

export_provider!(Azure);
