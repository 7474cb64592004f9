//! A get through the aws plugin against the same SDK call made natively, side
//! by side against the same moto: what the sandbox costs on a real round trip.
//!
//! `cargo bench -p keyway-integration-tests --bench aws` (needs `moto_server` in `<repo>/.venv`).
//! Both clients run the same `aws-sdk-secretsmanager` with the same settings; the rounds rotate
//! which one goes first, so a drift in moto's speed hits both alike. Then each client alone makes the
//! same calls while this process's CPU time is counted: what the sandbox costs the client, moto aside.
//!
//! `KEYWAY_AWS_PLUGIN_WASM=FILE` adds a third client: the aws plugin built otherwise (another profile),
//! measured in the same rounds. `KEYWAY_AWS_PROFILE=plugin:N` (or `native:N`) makes only `N` calls of one
//! client, for a profiler (`perf record`).

#[allow(dead_code)]
#[path = "../tests/aws/moto.rs"]
mod moto;
#[allow(dead_code)]
#[path = "../tests/aws/setup.rs"]
mod setup;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use keyway_aws_auth::AwsAuth;
use keyway_runtime::{Connection, ConnectionConfig, Runtime, RuntimeConfig};
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use setup::{AwsUnderTest, REGION};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARM_UP: usize = 30;
const ROUNDS: usize = 500;
/// Calls per client in each of the two CPU-time phases.
const CPU_CALLS: usize = 250;

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

/// One way of making the call.
enum Client {
    Plugin(Connection),
    Native(aws_sdk_secretsmanager::Client),
}

impl Client {
    async fn get(&self, value: &SecretValue) {
        match self {
            Self::Plugin(conn) => {
                let secret = conn.get("bench/secret", &VersionSelector::Latest).await.expect("plugin get");
                assert_eq!(&secret.value, value);
            }
            Self::Native(native) => {
                let out = native.get_secret_value().secret_id("bench/secret").send().await.expect("native get");
                assert_eq!(out.secret_string(), value.expose_text());
            }
        }
    }
}

/// The aws plugin in `path` (with the embedded build's manifest), connected to moto like the embedded one.
async fn plugin_from_file(aws: &AwsUnderTest, path: &str) -> (Runtime, Connection) {
    let wasm = std::fs::read(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let manifest = aws.manifest().clone();
    let runtime = Runtime::new(RuntimeConfig::default()).expect("the runtime starts");
    let plugin = runtime.load_plugin(manifest, &wasm).expect("the plugin file loads");
    let credentials = Arc::new(AwsAuth::new(AwsUnderTest::any_keys()).expect("valid auth settings"));
    let config = ConnectionConfig { settings: aws.settings(), credentials, ..ConnectionConfig::default() };
    let conn = runtime.connect(&plugin, "aws", config).await.expect("the plugin file connects to moto");
    (runtime, conn)
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

/// The CPU time this process has used so far, all threads together (`/proc/self/task/*/schedstat`);
/// moto runs in its own process and is not counted.
fn process_cpu() -> Duration {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

async fn bench() {
    let aws = AwsUnderTest::start().await;
    let value = SecretValue::text("bench-value-0123456789");
    let mut clients = vec![
        ("aws plugin (wasm, via keyway-runtime)".to_owned(), Client::Plugin(aws.connect().await)),
        ("native aws-sdk-secretsmanager".to_owned(), Client::Native(native_client(&aws.moto.endpoint()))),
    ];
    let mut _other_runtime = None;
    if let Ok(path) = std::env::var("KEYWAY_AWS_PLUGIN_WASM") {
        let (runtime, conn) = plugin_from_file(&aws, &path).await;
        _other_runtime = Some(runtime);
        clients.push((format!("aws plugin from {path}"), Client::Plugin(conn)));
    }
    if let Client::Plugin(conn) = &clients[0].1 {
        conn.create("bench/secret", &value, &WriteOptions::default()).await.expect("create");
    }
    if let Ok(spec) = std::env::var("KEYWAY_AWS_PROFILE") {
        let (side, calls) = spec.split_once(':').expect("KEYWAY_AWS_PROFILE=plugin:N or native:N");
        let client = &clients[usize::from(side != "plugin")].1;
        for _ in 0..calls.parse::<usize>().expect("a number of calls") {
            client.get(&value).await;
        }
        return;
    }

    let mut samples: Vec<Vec<Duration>> = clients.iter().map(|_| Vec::with_capacity(ROUNDS)).collect();
    for round in 0..WARM_UP + ROUNDS {
        for turn in 0..clients.len() {
            let index = (round + turn) % clients.len();
            let started = Instant::now();
            clients[index].1.get(&value).await;
            if round >= WARM_UP {
                samples[index].push(started.elapsed());
            }
        }
    }
    // Each client alone for CPU_CALLS calls, twice, the second time in reverse order.
    let mut cpu = vec![Duration::ZERO; clients.len()];
    let order: Vec<usize> = (0..clients.len()).chain((0..clients.len()).rev()).collect();
    for index in order {
        let before = process_cpu();
        for _ in 0..CPU_CALLS {
            clients[index].1.get(&value).await;
        }
        cpu[index] += process_cpu() - before;
    }

    let stats: Vec<Stats> = samples.into_iter().map(stats).collect();
    let native = stats[1].median.as_secs_f64();
    let native_cpu = cpu[1] / (2 * CPU_CALLS) as u32;
    println!("GetSecretValue against moto, {ROUNDS} rounds after {WARM_UP} warm-up rounds, rotating:");
    println!("| client | median | p90 | mean | median / native | client CPU per call (moto not counted) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for ((name, _), (s, cpu)) in clients.iter().zip(stats.iter().zip(&cpu)) {
        let cpu = *cpu / (2 * CPU_CALLS) as u32;
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {:.3} | {:.3} ms ({:+.3} ms) |",
            ms(s.median),
            ms(s.p90),
            ms(s.mean),
            s.median.as_secs_f64() / native,
            ms(cpu),
            ms(cpu) - ms(native_cpu)
        );
    }
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
