//! A get through the aws plugin against the same SDK call made natively, side
//! by side against the same moto: what the sandbox costs on a real round trip.
//!
//! `cargo bench -p keyway-integration-tests --bench aws` (needs `moto_server` in `<repo>/.venv`).
//! Both clients run the same `aws-sdk-secretsmanager` with the same settings; the rounds alternate
//! which one goes first, so a drift in moto's speed hits both alike.

#[allow(dead_code)]
#[path = "../tests/aws/moto.rs"]
mod moto;
#[allow(dead_code)]
#[path = "../tests/aws/setup.rs"]
mod setup;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use setup::{AwsUnderTest, REGION};
use std::time::{Duration, Instant};

const WARM_UP: usize = 30;
const ROUNDS: usize = 500;

/// The client the plugin builds in the guest, here with a native HTTPS client and the same keys.
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

struct Stats {
    median: Duration,
    p90: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    Stats { median: at(0.5), p90: at(0.9), mean }
}

async fn bench() {
    let aws = AwsUnderTest::start().await;
    let conn = aws.connect().await;
    let native = native_client(&aws.moto.endpoint());
    let value = SecretValue::text("bench-value-0123456789");
    conn.create("bench/secret", &value, &WriteOptions::default()).await.expect("create");

    let (mut plugin, mut direct) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for round in 0..WARM_UP + ROUNDS {
        let order = if round % 2 == 0 { [true, false] } else { [false, true] };
        for through_plugin in order {
            let started = Instant::now();
            if through_plugin {
                let secret = conn.get("bench/secret", &VersionSelector::Latest).await.expect("plugin get");
                assert_eq!(secret.value, value);
            } else {
                let out = native.get_secret_value().secret_id("bench/secret").send().await.expect("native get");
                assert_eq!(out.secret_string(), value.expose_text());
            }
            let elapsed = started.elapsed();
            if round >= WARM_UP {
                if through_plugin { &mut plugin } else { &mut direct }.push(elapsed);
            }
        }
    }
    let (plugin, direct) = (stats(plugin), stats(direct));
    let ratio = plugin.median.as_secs_f64() / direct.median.as_secs_f64();
    println!("GetSecretValue against moto, {ROUNDS} rounds after {WARM_UP} warm-up rounds, alternating:");
    println!("| client | median | p90 | mean |");
    println!("| --- | --- | --- | --- |");
    for (name, s) in [("aws plugin (wasm, via keyway-runtime)", &plugin), ("native aws-sdk-secretsmanager", &direct)] {
        println!("| {name} | {:.2} ms | {:.2} ms | {:.2} ms |", ms(s.median), ms(s.p90), ms(s.mean));
    }
    println!("ratio of medians (plugin / native): {ratio:.3}");
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --benches` runs bench targets with `--test`: nothing to measure then.
    if std::env::args().any(|arg| arg == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(bench());
}
