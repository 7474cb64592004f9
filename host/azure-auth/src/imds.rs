//! A quick check that the instance metadata service (IMDS) is there before the managed-identity
//! step of the implicit chain uses it.
//!
//! `azure_identity`'s virtual-machine credential retries for up to 72 s, as Azure recommends on
//! a VM; off Azure that would stall every implicit authentication before the CLI step. Like the
//! other Azure SDKs' default chains, the host first sends one request without the `Metadata`
//! header and a 1 s timeout: any answer (IMDS says 400) means the service is there.

use std::time::Duration;

/// The IMDS token endpoint.
const IMDS: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Whether managed identity goes through IMDS (and not App Service, Azure ML, Arc, Service
/// Fabric, whose endpoints come from these environment variables).
pub(crate) fn uses_imds(var: impl Fn(&str) -> Option<String>) -> bool {
    var("IDENTITY_ENDPOINT").is_none() && var("MSI_ENDPOINT").is_none()
}

/// `None` when IMDS answered, otherwise why it is considered absent.
pub(crate) async fn probe() -> Option<String> {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(1)).no_proxy().build() {
        Ok(client) => client,
        Err(err) => return Some(format!("cannot build the probe client: {err}")),
    };
    match client.get(IMDS).query(&[("api-version", "2018-02-01")]).send().await {
        Ok(_) => None,
        Err(_) => Some("no instance metadata service answered within 1 s (not on an Azure VM)".into()),
    }
}
