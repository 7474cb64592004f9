//! Google Cloud Secret Manager provider for keyway.
//!
//! Hand-written calls to the REST API v1 over the SDK's [`HttpClient`] and `wasi:http`. The OAuth
//! access token comes from the host ([`host::access_token`] for the `cloud-platform` scope), so
//! the plugin never holds a Google credential. Global secrets (`projects/P/secrets`) and regional
//! ones (`projects/P/locations/L/secrets` on the regional endpoint) are served alike.
//!
//! # Layout
//! - `settings`: the manager's settings, the endpoint and the resource parent.
//! - `names`: secret ids and the manager's prefix, version numbers and aliases, labels.
//! - `client`: requests with the host's token, 401 renewal, Google errors to contract errors.
//! - `model`: Secret Manager's JSON shapes, metadata, reserved annotations, payloads.
//! - `checksum`: CRC32C of payloads, sent with writes and checked on reads.
//! - `read`: get, describe (the probe), versions.
//! - `write`: create, update (etag-guarded labels and annotations), delete.
//! - `listing`: list with a server-side filter, exact filtering and paging.

mod checksum;
mod client;
mod listing;
mod model;
mod names;
mod read;
mod settings;
mod write;

use client::SecretManager;
use keyway_plugin_sdk::prelude::*;
use settings::GcpSettings;

/// One manager's connection to its project.
pub struct Gcp {
    sm: SecretManager,
}

impl Gcp {
    /// The secret id of a caller's name (prefix included), or `invalid-argument`.
    fn id(&self, name: &str) -> Result<String> {
        names::secret_id(&self.sm.config.prefix, name)
    }
}

impl Provider for Gcp {
    fn open(settings: Settings) -> Result<Self> {
        let config = settings.parse::<GcpSettings>()?.into_config()?;
        Ok(Self { sm: SecretManager::new(config) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            delete: true,
            delete_with_recovery: false,
            restore: false,
            list: true,
            versions: true,
            labels: true,
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

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_page(request)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        self.list_versions(name)
    }
}

export_provider!(Gcp);
