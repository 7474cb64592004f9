//! A keyway provider for 1Password through a Connect server (REST API v1): the items of one vault
//! are the secrets, addressed by title. An item's value is its password (or credential, or a
//! secure note's text), or a JSON object of its fields when it has several; its notes are the
//! description, its tags the tags, its category the secret type, and its `version` the version id.
//!
//! # Layout
//! - [`settings`]: the manager's settings (server URL, token, vault name or id).
//! - [`connect`]: the Connect API for one vault: vault resolution, items by title, reads and writes.
//! - [`model`]: Connect's JSON (vaults, items, fields), keeping attributes the plugin does not use.
//! - [`value`]: an item's fields as one secret value, and back.
//! - [`categories`], [`tags`]: item categories and the contract's secret types; tags as `key=value`.
//! - [`errors`], [`names`]: Connect's statuses as contract errors; title and version checks.
//! - `read`, `write`, `listing`: the operations.

pub mod categories;
pub mod connect;
pub mod errors;
pub mod model;
pub mod names;
pub mod settings;
pub mod tags;
pub mod value;

mod listing;
mod read;
mod write;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;

/// One connection to a vault of a 1Password Connect server.
pub struct OnePassword {
    connect: connect::Connect,
    page_size: u32,
}

impl Provider for OnePassword {
    fn open(settings: Settings) -> Result<Self> {
        let settings = settings::ConnectSettings::from_json(&settings)?;
        host::log(
            Level::Debug,
            "opening 1Password Connect connection",
            &[("connect_host", &settings.connect_host), ("vault", &settings.vault)],
        );
        let page_size = settings.page_size;
        Ok(Self { connect: connect::Connect::new(settings), page_size })
    }

    /// Connect keeps no readable history (only the current version number), cannot restore deleted
    /// items, stores text only, and `describe` costs as much as `get`, so those are not declared.
    fn capabilities(&self) -> Capabilities {
        Capabilities { read: true, write: true, delete: true, list: true, tags: true, ..Capabilities::default() }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read_secret(name, selector)
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        self.read_many(names)
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

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_secrets(request)
    }
}

export_provider!(OnePassword);
