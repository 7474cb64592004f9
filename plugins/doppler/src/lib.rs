//! Doppler provider for keyway.
//!
//! Hand-written calls to Doppler's API v3 over the SDK's [`HttpClient`] and `wasi:http`, for the
//! secrets of one project config, with a service token (scoped to that config) or a personal
//! token. Doppler keeps one text value per UPPER_SNAKE_CASE name: no versions, tags or soft delete,
//! and the plugin declares exactly that (read, write, delete, list).
//!
//! # Layout
//! - `settings`: the manager's settings (token, project, config, endpoint, prefix).
//! - `names`: Doppler's UPPER_SNAKE_CASE rule, the prefix, the reserved `DOPPLER_` names.
//! - `client`: requests with the token, Doppler's errors to contract errors.
//! - `secrets`: get, get-many (one request), create, update, delete, list.

mod client;
mod names;
mod secrets;
mod settings;

use client::DopplerApi;
use keyway_plugin_sdk::prelude::*;
use settings::DopplerSettings;

/// One manager's connection to its Doppler config.
pub struct Doppler {
    api: DopplerApi,
}

impl Provider for Doppler {
    fn open(settings: Settings) -> Result<Self> {
        let config = settings.parse::<DopplerSettings>()?.into_config()?;
        Ok(Self { api: DopplerApi::new(config) })
    }

    fn capabilities(&self) -> Capabilities {
        // `probe` stays off: Doppler has no call cheaper than reading the value that tells
        // whether it changed (no version, hash or timestamp per secret).
        Capabilities { read: true, write: true, delete: true, list: true, ..Capabilities::default() }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        self.read(name, selector)
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        self.read_many(names)
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
}

export_provider!(Doppler);
