//! keyway's resident memory with ten plugins and 10,000 cached secrets, stage by stage.
//!
//! `cargo bench -p keyway-integration-tests --bench footprint` (needs `moto_server` in `<repo>/.venv`).
//! The parent starts moto, stores 10,000 secrets in it and compiles every plugin into a plugin cache; then a
//! fresh process (so that nothing compiled or measured before counts) opens keyway as `keyway serve` does,
//! with ten managers, one per plugin, and prints `VmRSS` (`/proc/self/status`) after each stage: keyway
//! opened, the ten plugins loaded, the ten managers connected (one warm instance each), and 10,000 secrets
//! read through the aws manager by eight concurrent callers and kept in the cache.
//! `KEYWAY_FOOTPRINT_MAPPINGS=1` also prints, after each stage, where the resident memory is (by mapping).

#[allow(dead_code)]
#[path = "../tests/aws/moto.rs"]
mod moto;

use futures::stream::{self, StreamExt};
use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_integration_tests::harness::TempDir;
use keyway_types::VersionSelector;
use std::path::Path;
use std::time::Instant;

/// Secrets stored, then read and cached.
const SECRETS: usize = 10_000;
/// What each manager but aws may cache.
const OTHERS_CACHE: usize = 1000;
/// Concurrent callers storing and reading them.
const CALLERS: usize = 8;
/// Set (to the moto endpoint) in the child that measures.
const CHILD: &str = "KEYWAY_FOOTPRINT_MOTO";
/// The keyway home both processes use.
const HOME: &str = "KEYWAY_FOOTPRINT_HOME";

/// A secret's name.
fn name(index: usize) -> String {
    format!("footprint/service-{index:05}/password")
}

/// The configuration: ten managers, one per plugin. Only aws has a backend (moto); the others point at
/// closed loopback ports, which connecting does not touch. aws may cache 10,000 secrets, the others 1,000
/// each (a manager's limit is the global one unless it sets its own, and the global one is shared).
fn config(home: &Path, moto: &str) -> Config {
    // The others: (manager and plugin, settings).
    let others = [
        ("vault", r#"{ address: "http://127.0.0.1:9", token: footprint-token }"#),
        ("azure", r#"{ vault_uri: "http://127.0.0.1:9" }"#),
        ("gcp", r#"{ project: footprint, endpoint: "http://127.0.0.1:9" }"#),
        ("doppler", "{ token: footprint-token, project: footprint, config: dev }"),
        ("onepassword", r#"{ connect_host: "http://127.0.0.1:9", token: footprint-token, vault: footprint }"#),
        (
            "conjur",
            r#"{ url: "http://127.0.0.1:9", account: footprint, login: host/footprint, api_key: footprint-key }"#,
        ),
        ("beyondtrust", r#"{ api_url: "http://127.0.0.1:9", api_key: footprint-key }"#),
        ("delinea", r#"{ base_url: "http://127.0.0.1:9", username: footprint, password: footprint-password }"#),
        ("local", "{}"),
    ];
    let mut yaml = format!(
        r#"home: {home}
cache: {{ max-entries: {total} }}
managers:
  aws:
    plugin: aws
    settings: {{ region: us-east-1, endpoint_override: "{moto}" }}
    auth: {{ type: aws, access_key_id: AKIAKEYWAYTEST, secret_access_key: keyway-test-secret }}
    cache: {{ max-entries: {SECRETS} }}
"#,
        home = home.display(),
        total = SECRETS + others.len() * OTHERS_CACHE,
    );
    for (name, settings) in others {
        yaml.push_str(&format!(
            "  {name}:\n    plugin: {name}\n    settings: {settings}\n    cache: {{ max-entries: {OTHERS_CACHE} }}\n"
        ));
    }
    Config::from_yaml(&yaml).expect("the footprint configuration")
}

/// The resident memory now, in KiB: total, anonymous and file-backed.
fn rss() -> (u64, u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

/// Resident memory by mapping (`/proc/self/smaps`): compiled plugins (`*.cwasm`), this executable, shared
/// libraries, the heap, and anonymous mappings (plugin instances' memories, thread stacks, allocator arenas),
/// largest first, to standard error.
fn print_mappings() {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    let mut by_kind: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
    let mut kind = String::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            let path = line.split_whitespace().nth(5).unwrap_or("[anonymous]");
            let perms = line.split_whitespace().nth(1).unwrap_or_default();
            kind = if path.ends_with(".cwasm") {
                format!("compiled plugins (*.cwasm) {perms}")
            } else {
                format!("{path} {perms}")
            };
        } else if first == "Rss:" || first == "Anonymous:" {
            let kib: u64 = words.next().and_then(|kib| kib.parse().ok()).unwrap_or(0);
            let entry = by_kind.entry(kind.clone()).or_default();
            if first == "Rss:" {
                entry.0 += kib
            } else {
                entry.1 += kib
            }
        }
    }
    let mut kinds: Vec<_> = by_kind.into_iter().filter(|(_, (rss, _))| *rss >= 256).collect();
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1 .0));
    for (kind, (rss, anon)) in kinds {
        eprintln!("  {:>8.1} MiB (anonymous {:>6.1} MiB)  {kind}", rss as f64 / 1024.0, anon as f64 / 1024.0);
    }
}

/// Prints one stage as a tab-separated line for the parent.
fn stage(label: &str) {
    let (total, anon, file) = rss();
    println!("{label}\t{total}\t{anon}\t{file}");
    if std::env::var_os("KEYWAY_FOOTPRINT_MAPPINGS").is_some() {
        eprintln!("{label}:");
        print_mappings();
    }
}

/// In the child: opens keyway and goes through the stages.
async fn measure(moto: &str, home: &Path) {
    stage("process started");
    let keyway = Keyway::open(config(home, moto), ConfigSource::BuiltInDefault).await.expect("keyway opens");
    stage("keyway opened (runtime, keyway's records)");
    let loaded = keyway.plugin_listing().into_iter().filter(|(_, plugin)| plugin.is_ok()).count();
    stage(&format!("{loaded} plugins loaded (precompiled)"));
    let mut connected = 0;
    for manager in keyway.manager_names() {
        match keyway.manager_status(manager).await {
            Ok(_) => connected += 1,
            Err(error) => eprintln!("manager {manager} did not connect: {error}"),
        }
    }
    stage(&format!("{connected} managers connected, one warm instance each"));
    let caller = Identity::default();
    let read = stream::iter(0..SECRETS)
        .map(|index| {
            let (keyway, caller) = (&keyway, &caller);
            async move { keyway.get(caller, "aws", &name(index), &VersionSelector::Latest).await.is_ok() }
        })
        .buffer_unordered(CALLERS)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let cached = keyway.cache_entries(&caller).await.map_or(0, |entries| entries.len());
    stage(&format!("{read} secrets read through aws ({CALLERS} callers), {cached} cached"));
}

/// Stores the secrets in moto with the SDK directly (keyway's own writes would add its records and audit
/// for nothing measured here).
async fn store_secrets(endpoint: &str) {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new("AKIA", "secret", None, None, "bench"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(config);
    let store = |index: usize| {
        let client = &client;
        async move {
            let value = format!("pw-{index:05}-0123456789abcdef0123456789");
            // moto on a busy machine sometimes drops a request: tried again.
            for _ in 0..5 {
                let stored = client.create_secret().name(name(index)).secret_string(&value).send().await;
                if stored.is_ok() || client.describe_secret().secret_id(name(index)).send().await.is_ok() {
                    return;
                }
            }
            panic!("secret {index} could not be stored in moto");
        }
    };
    stream::iter(0..SECRETS).map(store).buffer_unordered(CALLERS).collect::<()>().await;
}

/// In the parent: moto with the secrets, the plugin cache warm, then the child's stages.
async fn prepare_and_run() {
    let moto = moto::Moto::start().await;
    let home = TempDir::new("footprint");
    let started = Instant::now();
    store_secrets(&moto.endpoint()).await;
    Keyway::open(config(home.path(), &moto.endpoint()), ConfigSource::BuiltInDefault)
        .await
        .expect("keyway opens")
        .plugin_listing();
    eprintln!("stored {SECRETS} secrets in {:.1} s", started.elapsed().as_secs_f64());
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = std::process::Command::new(exe)
        .env(CHILD, moto.endpoint())
        .env(HOME, home.path())
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("the measuring process");
    assert!(output.status.success(), "the measuring process failed");
    let mib = |kib: &str| kib.parse::<f64>().map_or_else(|_| "?".to_owned(), |kib| format!("{:.1} MiB", kib / 1024.0));
    println!("| stage | VmRSS | anonymous | file-backed |\n| --- | --- | --- | --- |");
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [label, total, anon, file] = fields.as_slice() {
            println!("| {label} | {} | {} | {} |", mib(total), mib(anon), mib(file));
        }
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with `--test`: nothing to measure then.
    if std::env::args().any(|arg| arg == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match (std::env::var(CHILD), std::env::var(HOME)) {
        (Ok(moto), Ok(home)) => runtime.block_on(measure(&moto, Path::new(&home))),
        _ => runtime.block_on(prepare_and_run()),
    }
}
