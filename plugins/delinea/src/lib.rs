//! A keyway provider for Delinea Secret Server (REST API v1): the secrets of one folder, addressed
//! by name. A secret's value is one field (the password by default), or every field as a JSON object
//! so `/KEY` placeholders pick one; the notes field is the description. Deleting deactivates a
//! secret, which `restore` makes active again. It logs in with the OAuth2 password grant (with an
//! optional domain) or the client-credentials grant of an SDK client, and renews its token itself.
//!
//! # Layout
//! - [`settings`]: the manager's settings (URL, grant, folder, template, field).
//! - [`login`]: the OAuth2 grants and the refresh token (the SDK's session keeps and renews the token).
//! - [`server`]: the REST calls on secrets (search, read, stub, create, fields, deactivate, restore).
//! - [`model`]: Secret Server's JSON and its translation to the contract's metadata.
//! - [`value`]: fields as one value, and back.
//! - [`errors`], [`names`]: statuses as contract errors; name and version checks.
//! - `read`, `write`, `lifecycle`, `listing`: the operations.

pub mod errors;
pub mod login;
pub mod model;
pub mod names;
pub mod server;
pub mod settings;
pub mod value;

mod lifecycle;
mod listing;
mod read;
mod write;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;
use settings::FieldChoice;

/// One connection to a Secret Server.
pub struct SecretServer {
    session: login::SecretServerSession,
    folder_id: Option<i64>,
    template_id: Option<i64>,
    site_id: Option<i64>,
    field: FieldChoice,
    page_size: u32,
}

impl SecretServer {
    fn api(&self) -> server::SecretsApi<'_> {
        server::SecretsApi { session: &self.session, folder_id: self.folder_id }
    }
}

impl Provider for SecretServer {
    fn open(settings: Settings) -> Result<Self> {
        let settings = settings::SecretServerSettings::from_json(&settings)?;
        let folder = settings.folder_id.map(|f| f.to_string()).unwrap_or_else(|| "any".into());
        host::log(
            Level::Debug,
            "opening secret server connection",
            &[("base_url", &settings.base_url), ("folder", &folder), ("login", &settings.grant.who())],
        );
        let settings::SecretServerSettings {
            base_url,
            grant,
            folder_id,
            template_id,
            field,
            site_id,
            page_size,
            timeout_seconds,
        } = settings;
        let session = login::session(&base_url, timeout_seconds, grant);
        Ok(Self { session, folder_id, template_id, site_id, field, page_size })
    }

    /// Deactivation is a recoverable delete (`restore` reactivates); Secret Server keeps no
    /// readable versions through its REST API, has no tags, stores text fields, and a secret's
    /// metadata needs the same read as its value.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            delete: true,
            delete_with_recovery: true,
            restore: true,
            list: true,
            ..Capabilities::default()
        }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read_secret(name, selector)
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
}

export_provider!(SecretServer);
