//! A keyway provider for CyberArk Conjur (Open Source and Enterprise; Conjur Cloud speaks the same
//! API): variables read by id (latest or a version), read in batches, listed, described with their
//! kept versions and annotations. Conjur creates variables only through policy, so writing is
//! declared only when the manager names a `policy_branch`: new variables are declared there, then
//! given their values; annotations change and variables are deleted through policy too.
//!
//! # Layout
//! - [`settings`]: the manager's settings (URL, account, login, API key or password, branch).
//! - [`login`]: authentication and the short-lived access token (the SDK's session keeps it).
//! - [`api`]: the REST endpoints (resources, secrets, batch, policies).
//! - [`model`]: resource JSON and its metadata; [`policy`]: the policy documents the plugin loads.
//! - [`errors`], [`names`]: Conjur's statuses as contract errors; id and version checks.
//! - `read`, `write`, `listing`: the operations.

pub mod api;
pub mod errors;
pub mod login;
pub mod model;
pub mod names;
pub mod policy;
pub mod settings;

mod listing;
mod read;
mod write;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;

/// One connection to a Conjur account.
pub struct Conjur {
    api: api::Conjur,
    policy_branch: Option<String>,
    page_size: u32,
}

impl Provider for Conjur {
    fn open(settings: Settings) -> Result<Self> {
        let settings = settings::ConjurSettings::from_json(&settings)?;
        host::log(
            Level::Debug,
            "opening conjur connection",
            &[
                ("url", &settings.url),
                ("account", &settings.account),
                ("login", &settings.login),
                ("policy_branch", settings.policy_branch.as_deref().unwrap_or("(read-only)")),
            ],
        );
        let (policy_branch, page_size) = (settings.policy_branch.clone(), settings.page_size);
        Ok(Self { api: api::Conjur::new(login::session(settings)), policy_branch, page_size })
    }

    /// Reading, listing, versions and the probe always; writing and deleting only through a
    /// policy branch. Conjur has no soft delete, no version labels, and annotations that policy
    /// cannot remove, so tags are not declared (annotations are still shown as tags).
    fn capabilities(&self) -> Capabilities {
        let writable = self.policy_branch.is_some();
        Capabilities {
            read: true,
            write: writable,
            delete: writable,
            list: true,
            versions: true,
            binary_values: true,
            probe: true,
            ..Capabilities::default()
        }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read_secret(name, selector)
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        self.read_many(names)
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        self.describe_secret(name, selector)
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        self.create_secret(name, value, options)
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        if self.policy_branch.is_none() {
            return Err(ProviderError::unsupported("update"));
        }
        self.update_secret(name, request)
    }

    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        if self.policy_branch.is_none() {
            return Err(ProviderError::unsupported("delete"));
        }
        self.delete_secret(name, mode)
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_variables(request)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        self.list_versions(name)
    }
}

export_provider!(Conjur);
