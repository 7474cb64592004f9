//! A keyway provider for HashiCorp Vault's and OpenBao's KV secrets engine,
//! version 2: read (latest or a version), write with check-and-set, soft
//! delete and restore, versions, tags as custom metadata, listing by prefix,
//! and the metadata endpoint as the cheap version probe. It logs in with a
//! token, userpass, AppRole or Kubernetes, and renews or re-acquires its
//! token by itself.
//!
//! # Layout
//! - [`settings`]: the manager's settings and the auth method they choose.
//! - [`login`]: how the token is obtained (login or lookup) and renewed; the SDK's session keeps it.
//! - [`kv`]: the KV version 2 endpoints of one mount, and the mount check.
//! - [`model`]: Vault's JSON answers and their translation to the contract's metadata.
//! - [`value`]: how text and binary values are stored in a secret's data map.
//! - [`annotations`]: tags, description, type and expiry in custom metadata.
//! - [`errors`]: Vault's statuses mapped to the contract's errors.
//! - [`names`]: name and version checks.
//! - `read`, `write`, `lifecycle`, `listing`: the operations.

pub mod annotations;
pub mod errors;
pub mod kv;
pub mod login;
pub mod model;
pub mod names;
pub mod settings;
pub mod value;

mod lifecycle;
mod listing;
mod read;
mod write;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;

/// One connection to a Vault server's KV version 2 mount.
pub struct Vault {
    kv: kv::Kv,
}

impl Provider for Vault {
    fn open(settings: Settings) -> Result<Self> {
        let settings = settings::VaultSettings::from_json(&settings)?;
        host::log(
            Level::Debug,
            "opening vault connection",
            &[("address", &settings.address), ("mount", &settings.mount), ("auth", settings.auth.method())],
        );
        let mount = settings.mount.clone();
        Ok(Self { kv: kv::Kv::new(login::session(settings), mount) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { labels: false, ..Capabilities::ALL }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read_secret(name, selector)
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        self.describe_secret(name, selector)
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        self.create_secret(name, value, options)
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
        self.list_secrets(request)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        self.list_versions(name)
    }
}

export_provider!(Vault);
