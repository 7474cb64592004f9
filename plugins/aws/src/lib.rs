//! The AWS Secrets Manager provider: the official `aws-sdk-secretsmanager`
//! running inside the keyway sandbox. HTTP goes through the host's
//! `wasi:http` (and its egress allowlist), credentials come from the host
//! (`get-aws-credentials`), retries of throttling and server errors follow the
//! SDK's standard strategy, honouring `Retry-After` as every keyway plugin does.
//!
//! # Layout
//! - `settings`: the manager settings (`region`, `endpoint_override`, …), validated at open.
//! - `client`: the SDK client for the sandbox: WASI HTTP and sleep, retries, timeout.
//! - `retry`: `Retry-After` and 429 in the SDK's retry strategy.
//! - `credentials`: the SDK's credential provider over the host import, cached until near expiry.
//! - `read`: get (by latest, version id or stage), get-many, describe, list, versions.
//! - `write`: create (overwrite, recover-deleted), update, delete, restore.
//! - `names`: secret names and ids as AWS accepts them.
//! - `convert`: AWS shapes to the contract's values, dates, tags and metadata.
//! - `errors`: AWS error codes and HTTP statuses to the contract's errors.

mod client;
mod convert;
mod credentials;
mod errors;
mod names;
mod read;
mod retry;
mod settings;
mod write;

use keyway_plugin_sdk::prelude::*;

/// One connection to AWS Secrets Manager in one Region (or at one endpoint override).
pub struct AwsSecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl Provider for AwsSecretsManager {
    fn open(settings: Settings) -> Result<Self> {
        let settings: settings::AwsSettings = settings.parse()?;
        settings.validate()?;
        Ok(Self { client: client::build(&settings) })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        names::check_id(name)?;
        self.read(name, selector)
    }

    fn get_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        self.read_many(names)
    }

    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        names::check_id(name)?;
        self.describe_secret(name, selector)
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        names::check_name(name)?;
        self.create_secret(name, value, options)
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        names::check_id(name)?;
        self.update_secret(name, request)
    }

    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        names::check_id(name)?;
        self.delete_secret(name, mode)
    }

    fn restore(&self, name: &str) -> Result<SecretMetadata> {
        names::check_id(name)?;
        self.restore_secret(name)
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        self.list_secrets(request)
    }

    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        names::check_id(name)?;
        self.version_list(name)
    }
}

export_provider!(AwsSecretsManager);
