//! A get through the plugin against the same SDK call made natively, side by
//! side against the same moto: the cost of the sandbox on a real round trip.
//!
//! Timing is not asserted in the regular run (the machine is shared); run it with
//! `cargo test --release -p keyway-integration-tests --test aws -- --ignored --nocapture bench`.

use crate::{AwsUnderTest, REGION};
use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use std::time::{Duration, Instant};

const WARM_UP: usize = 20;
const ROUNDS: usize = 300;

/// The same client the plugin builds in the guest, here with a native HTTPS client.
fn native_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    let http = aws_smithy_http_client::Builder::new().tls_provider(TlsProvider::Rustls(CryptoMode::Ring)).build_https();
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIAKEYWAYTEST", "keyway-test-secret", None, None, "bench"))
        .http_client(http)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn mean(samples: &[Duration]) -> Duration {
    samples.iter().sum::<Duration>() / samples.len().max(1) as u32
}

#[tokio::test]
#[ignore = "benchmark: run explicitly with --ignored"]
async fn bench_get_through_the_plugin_against_the_native_sdk() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let native = native_client(&aws.moto.endpoint());
    conn.create("bench/secret", &SecretValue::text("bench-value"), &WriteOptions::default()).await.expect("create");

    let (mut plugin, mut direct) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for round in 0..WARM_UP + ROUNDS {
        // Alternate which goes first, so drift in moto's speed hits both alike.
        for plugin_turn in if round % 2 == 0 { [true, false] } else { [false, true] } {
            let started = Instant::now();
            if plugin_turn {
                let secret = conn.get("bench/secret", &VersionSelector::Latest).await.expect("plugin get");
                assert_eq!(secret.value, SecretValue::text("bench-value"));
            } else {
                let out = native.get_secret_value().secret_id("bench/secret").send().await.expect("native get");
                assert_eq!(out.secret_string(), Some("bench-value"));
            }
            if round >= WARM_UP {
                if plugin_turn { &mut plugin } else { &mut direct }.push(started.elapsed());
            }
        }
    }
    let (plugin_mean, direct_mean) = (mean(&plugin), mean(&direct));
    let (plugin_median, direct_median) = (median(&mut plugin), median(&mut direct));
    let ratio = plugin_median.as_secs_f64() / direct_median.as_secs_f64();
    println!(
        "get against moto, {ROUNDS} rounds: plugin median {plugin_median:?} (mean {plugin_mean:?}), \
         native SDK median {direct_median:?} (mean {direct_mean:?}); ratio of medians {ratio:.3}"
    );
    assert!(ratio < 3.0, "the plugin is {ratio:.2}x slower than the native SDK");
}
