//! A keyway provider for BeyondTrust Password Safe's Secrets Safe (public API v3): secrets named
//! `FOLDER/…/TITLE` below an optional root folder; credential secrets read as their password, text
//! secrets as their text, file secrets as bytes. It signs in with an API key and a run-as user (or
//! OAuth client credentials), keeps the session cookie, signs in again when the session ends, and
//! signs out when the connection closes.
//!
//! # Layout
//! - [`settings`]: the manager's settings (URL, credentials, root folder, request version).
//! - [`login`]: sign-in, the session cookie, sign-out (the SDK's session signs in again when needed).
//! - [`folders`]: the folder tree, paths to GUIDs, missing sub-folders created.
//! - [`secrets`]: the calls on secrets (find by path, read by kind, create, replace, delete, list).
//! - [`model`]: the service's JSON and its translation to the contract's metadata.
//! - [`multipart`]: the form that carries a file secret.
//! - [`names`]: keyway names to folder path and title, and back.
//! - [`errors`]: statuses to contract errors, credentials scrubbed from messages.
//! - `read`, `write`, `listing`: the operations.

pub mod errors;
pub mod folders;
pub mod login;
pub mod model;
pub mod multipart;
pub mod names;
pub mod secrets;
pub mod settings;

mod listing;
mod read;
mod write;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;
use settings::Root;
use std::cell::RefCell;

/// One connection to a Password Safe server.
pub struct PasswordSafe {
    session: login::PasswordSafeSession,
    api_version: String,
    root: Root,
    root_path: RefCell<Option<String>>,
    create_folders: bool,
    page_size: u32,
}

impl PasswordSafe {
    fn api(&self) -> secrets::SecretsApi<'_> {
        secrets::SecretsApi { session: &self.session, version: &self.api_version }
    }

    /// The root folder's path: as configured, or looked up once from `folder_id`.
    fn root(&self) -> Result<Option<String>, ProviderError> {
        match &self.root {
            Root::None => Ok(None),
            Root::Path(path) => Ok(Some(path.clone())),
            Root::FolderId(id) => {
                if let Some(path) = self.root_path.borrow().as_ref() {
                    return Ok(Some(path.clone()));
                }
                let path = folders::FolderTree::load(&self.session)?.path_of(id).ok_or_else(|| {
                    ProviderError::Configuration(format!(
                        "folder_id {id} is not a Secrets Safe folder the signed-in user can see"
                    ))
                })?;
                *self.root_path.borrow_mut() = Some(path.clone());
                Ok(Some(path))
            }
        }
    }
}

impl Provider for PasswordSafe {
    fn open(settings: Settings) -> Result<Self> {
        let settings = settings::PasswordSafeSettings::from_json(&settings)?;
        host::log(
            Level::Debug,
            "opening password safe connection",
            &[("api_url", &settings.api_url), ("auth", settings.auth.method()), ("version", &settings.api_version)],
        );
        let settings::PasswordSafeSettings { auth, root, create_folders, api_version, page_size, .. } = settings;
        let session = login::session(&settings.api_url, settings.timeout_seconds, auth);
        Ok(Self { session, api_version, root, root_path: RefCell::new(None), create_folders, page_size })
    }

    /// Secrets Safe keeps no versions, tags, expiry or recycle bin, and a secret's metadata comes
    /// with its value in one answer, so only reads, writes, forced deletes, listing and binary
    /// values (file secrets) are declared.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            delete: true,
            list: true,
            binary_values: true,
            ..Capabilities::default()
        }
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

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_secrets(request)
    }
}

export_provider!(PasswordSafe);
