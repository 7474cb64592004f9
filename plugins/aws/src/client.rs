//! The AWS SDK client, configured for the Wasm sandbox: HTTP and sleeps over
//! WASI, credentials from the host, the SDK's standard retry strategy with
//! keyway's `Retry-After` rule (see `retry`).

use crate::credentials::HostCredentials;
use crate::settings::AwsSettings;
use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::config::{
    BehaviorVersion, IdentityCache, Region, SharedAsyncSleep, StalledStreamProtectionConfig,
};
use aws_sdk_secretsmanager::{Client, Config};
use aws_smithy_wasm::wasi::{WasiHttpClientBuilder, WasiSleep};
use std::future::Future;

/// Builds the client of one connection.
pub(crate) fn build(settings: &AwsSettings) -> Client {
    let mut config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.trim().to_owned()))
        .use_fips(settings.use_fips)
        .credentials_provider(HostCredentials::default())
        // `HostCredentials` caches until near expiry itself; a second cache would only hide host refreshes.
        .identity_cache(IdentityCache::no_cache())
        .http_client(WasiHttpClientBuilder::new().build())
        .sleep_impl(SharedAsyncSleep::new(WasiSleep))
        .retry_config(RetryConfig::standard().with_max_attempts(settings.attempts()))
        .retry_classifier(crate::retry::RetryAfter)
        .timeout_config(TimeoutConfig::builder().operation_timeout(settings.timeout()).build())
        // Bodies are a few KiB; the operation timeout (and the host's per-call deadline) bound a
        // stalled answer, without a throughput timer polled on every read of the body.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(endpoint) = &settings.endpoint_override {
        config = config.endpoint_url(endpoint.trim_end_matches('/'));
    }
    Client::from_conf(config.build())
}

/// Runs one SDK future to completion on the guest's WASI executor.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    wstd::runtime::block_on(future)
}
