//! What a recorded version costs: `record_write` (a write through keyway, durable before it is
//! acknowledged), `observe` of a version already known (every read from a backend), and `history`, on
//! SQLite (WAL, synchronous=FULL, in the target folder's file system) and on a local PostgreSQL (Debian's,
//! started here). Prints one table.
//!
//! ```sh
//! cargo bench -p keyway-catalog --bench record
//! ```

use keyway_catalog::{Catalog, CatalogKey, Location, NewVersion};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use keyway_types::SecretValue;
use std::time::{Duration, Instant};

const WRITES: usize = 400;
const READS: usize = 2000;

struct Row {
    database: &'static str,
    write: Duration,
    observe_known: Duration,
    history: Duration,
}

async fn measure(database: &'static str, catalog: &Catalog) -> Row {
    let fingerprints: Vec<_> =
        (0..WRITES).map(|i| catalog.key().fingerprint(None, &SecretValue::text(format!("value-{i}")))).collect();
    let ids: Vec<String> = (0..WRITES).map(|i| format!("v{i}")).collect();
    let version = |i: usize| NewVersion {
        manager: "bench",
        name: "secret",
        backend_version: Some(&ids[i]),
        fingerprint: &fingerprints[i],
        secret_type: Some("generic"),
        actor: Some("namespace=bench"),
        expires_at: None,
        not_before: None,
    };
    let started = Instant::now();
    for i in 0..WRITES {
        catalog.record_write(&version(i)).await.expect("record");
    }
    let write = started.elapsed() / WRITES as u32;
    let started = Instant::now();
    for i in 0..READS {
        catalog.observe(&version(i % WRITES)).await.expect("observe");
    }
    let observe_known = started.elapsed() / READS as u32;
    let started = Instant::now();
    for _ in 0..100 {
        catalog.history("bench", "secret").await.expect("history");
    }
    let history = started.elapsed() / 100;
    Row { database, write, observe_known, history }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let rows = runtime.block_on(async {
        let tmp = TempDir::new("catalog-bench");
        let key = || CatalogKey::from_bytes(&[5; 32]).expect("key");
        let sqlite = Catalog::open(&Location::Sqlite(tmp.path().join("bench.db")), key()).await.expect("sqlite");
        let server = Postgres::start();
        let postgres = Catalog::open(&Location::Postgres(server.create_database("bench")), key()).await.expect("pg");
        vec![
            measure("SQLite (WAL, synchronous=FULL)", &sqlite).await,
            measure("PostgreSQL (loopback)", &postgres).await,
        ]
    });
    let history = format!("history ({WRITES} versions)");
    println!("{:<32} {:>22} {:>24} {:>22}", "catalog", "record_write/version", "observe (known version)", history);
    for row in rows {
        println!("{:<32} {:>22.1?} {:>24.1?} {:>22.1?}", row.database, row.write, row.observe_known, row.history);
    }
}
