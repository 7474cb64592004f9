//! The shared encrypted store against the local file store: one keyway, its catalog on PostgreSQL (Debian's
//! package, on a free loopback port), three managers on the built-in `local` plugin sealed with one key that
//! differ only in where the encrypted records live:
//!
//! - `files`: files in the manager's data directory (the default);
//! - `folder`: the host's store in a folder beside it (`store: host`, `storage: data_dir`);
//! - `records`: the host's store in keyway's records on PostgreSQL (`storage: records`), as a fleet shares it.
//!
//! For each: N secrets created (a new secret), N versions added to one secret (a compare-and-swap of its
//! record on the shared store), and N first reads, one of each secret, so that every read misses keyway's cache
//! and goes to the plugin and its store. Prints p50, p99 and the mean of each, side by side.
//!
//! ```sh
//! cargo bench -p keyway-cli --bench store                        # 200 of each
//! KEYWAY_STORE_OPS=1000 cargo bench -p keyway-cli --bench store
//! ```

mod latency;

use keyway::{Config, ConfigSource, Identity, Keyway};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use latency::{mean, ms, percentiles};
use std::time::{Duration, Instant};

/// The managers, as the table's columns.
const MANAGERS: [&str; 3] = ["files", "folder", "records"];
/// One key for every manager's store (32 bytes, base64): the benchmark's own, sealing throw-away values.
const STORE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ops: usize = std::env::var("KEYWAY_STORE_OPS").ok().and_then(|n| n.parse().ok()).unwrap_or(200).max(2);
    let postgres = Postgres::start();
    let url = postgres.create_database("store_bench");
    let home = TempDir::new("store-bench");
    let catalog_key = keyway::catalog::CatalogKey::generate_base64().expect("a catalog key");
    let yaml = format!(
        "home: {home}\nbuiltin_local: false\ncatalog: {{ url: \"{url}\", key: \"{catalog_key}\" }}\n\
         managers:\n\
         \x20 files:\n    plugin: local\n    settings: {{ key: \"{STORE_KEY}\" }}\n\
         \x20 folder:\n    plugin: local\n    storage: data_dir\n    settings: {{ key: \"{STORE_KEY}\", store: host }}\n\
         \x20 records:\n    plugin: local\n    storage: records\n    settings: {{ key: \"{STORE_KEY}\" }}\n",
        home = home.path().display(),
        catalog_key = &*catalog_key,
    );
    let keyway = Keyway::open(Config::from_yaml(&yaml).expect("the configuration"), ConfigSource::BuiltInDefault)
        .await
        .expect("keyway opens");
    let caller = Identity::default();
    let value = SecretValue::text("v".repeat(64));
    let overwrite = WriteOptions { overwrite: true, ..WriteOptions::default() };

    let mut rows: Vec<(&str, Vec<Vec<Duration>>)> =
        vec![("create a secret", Vec::new()), ("add a version", Vec::new()), ("read (cache miss)", Vec::new())];
    for manager in MANAGERS {
        // Warm up: the plugin compiled and instantiated, the store and its keyring set up.
        keyway.create(&caller, manager, "warm-up", &value, &overwrite).await.expect("warm-up");
        keyway.get(&caller, manager, "warm-up", &VersionSelector::Latest).await.expect("warm-up read");
        let (mut created, mut versions, mut reads) = (Vec::new(), Vec::new(), Vec::new());
        for index in 0..ops {
            let started = Instant::now();
            keyway
                .create(&caller, manager, &format!("bench/{index}"), &value, &WriteOptions::default())
                .await
                .expect("create");
            created.push(started.elapsed());
        }
        for _ in 0..ops {
            let started = Instant::now();
            keyway.create(&caller, manager, "bench/hot", &value, &overwrite).await.expect("a new version");
            versions.push(started.elapsed());
        }
        for index in 0..ops {
            let started = Instant::now();
            keyway.get(&caller, manager, &format!("bench/{index}"), &VersionSelector::Latest).await.expect("read");
            reads.push(started.elapsed());
        }
        rows[0].1.push(created);
        rows[1].1.push(versions);
        rows[2].1.push(reads);
    }
    keyway.settle().await;

    println!();
    println!(
        "the local plugin's store, {ops} operations of each kind through keyway (its catalog on PostgreSQL for all \
         three): files in the data directory, the host's store in a folder, the host's store in keyway's records \
         on PostgreSQL (p50 / p99 / mean)"
    );
    print!("{:<20}", "");
    for manager in MANAGERS {
        print!(" {manager:>30}");
    }
    println!();
    for (label, columns) in &rows {
        print!("{label:<20}");
        for samples in columns {
            let (p50, p99, _) = percentiles(samples);
            print!(" {:>30}", format!("{} / {} / {}", ms(p50), ms(p99), ms(mean(samples))));
        }
        println!();
    }
}
