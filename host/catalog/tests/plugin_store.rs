//! The plugin store in keyway's records, on SQLite and on a real PostgreSQL: conditional writes, paging in
//! byte order, sizes, and compare-and-swap under many concurrent writers on separate connections (as separate
//! nodes), where no acknowledged write is lost.

use keyway_catalog::{Catalog, CatalogKey, Location, StoreCondition};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;

fn key() -> CatalogKey {
    CatalogKey::from_bytes(&[7; 32]).expect("key")
}

async fn operations(catalog: &Catalog) {
    let m = "vault";
    assert!(catalog.store_get(m, "a/1").await.expect("get").is_none());
    assert!(catalog.store_write(m, "a/1", StoreCondition::Absent, b"one", "v1").await.expect("create"));
    assert!(!catalog.store_write(m, "a/1", StoreCondition::Absent, b"x", "v2").await.expect("conflict"));
    assert!(!catalog.store_write(m, "a/1", StoreCondition::Version("v0"), b"x", "v2").await.expect("conflict"));
    assert!(catalog.store_write(m, "a/1", StoreCondition::Version("v1"), b"two", "v2").await.expect("swap"));
    let entry = catalog.store_get(m, "a/1").await.expect("get").expect("present");
    assert_eq!((entry.value.as_slice(), entry.version.as_str()), (&b"two"[..], "v2"));
    for k in ["a/2", "B/1", "a/10", "b"] {
        assert!(catalog.store_write(m, k, StoreCondition::Any, b"xyz", "v").await.expect("set"));
    }
    assert!(catalog.store_write("other", "a/3", StoreCondition::Any, b"x", "v").await.expect("other manager"));
    assert_eq!(catalog.store_keys(m, "a/", None, 10).await.expect("list"), ["a/1", "a/10", "a/2"]);
    assert_eq!(catalog.store_keys(m, "", None, 2).await.expect("list"), ["B/1", "a/1"]);
    assert_eq!(catalog.store_keys(m, "", Some("a/10"), 10).await.expect("list"), ["a/2", "b"]);
    assert_eq!(catalog.store_size(m).await.expect("size"), 3 + 4 * 3);
    assert!(catalog.store_delete(m, "a/1").await.expect("delete"));
    assert!(!catalog.store_delete(m, "a/1").await.expect("delete"));
    assert_eq!(catalog.store_size("nobody").await.expect("size"), 0);
}

/// `writers` tasks on `catalogs` (round robin) each add `increments` to one counter with compare-and-swap.
async fn race(catalogs: &[Catalog], writers: usize, increments: u64) {
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let catalog = catalogs[writer % catalogs.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut attempt = 0u64;
            while (acknowledged.len() as u64) < increments {
                attempt += 1;
                let current = catalog.store_get("m", "counter").await.expect("get");
                let count = current.as_ref().map_or(0, |e| u64::from_le_bytes(e.value[..8].try_into().expect("8")));
                let condition =
                    current.as_ref().map_or(StoreCondition::Absent, |e| StoreCondition::Version(&e.version));
                let version = format!("w{writer}-{attempt}");
                let value = (count + 1).to_le_bytes();
                if catalog.store_write("m", "counter", condition, &value, &version).await.expect("write") {
                    acknowledged.push(count + 1);
                }
            }
            acknowledged
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    all.sort_unstable();
    let total = writers as u64 * increments;
    assert_eq!(all, (1..=total).collect::<Vec<_>>(), "an acknowledged write was lost or doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_on_sqlite() {
    let tmp = TempDir::new("plugin-store");
    let location = Location::Sqlite(tmp.path().join("c.db"));
    let catalog = Catalog::open(&location, key()).await.expect("open");
    operations(&catalog).await;
    race(&[catalog.clone(), Catalog::open(&location, key()).await.expect("second")], 8, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_on_postgres() {
    let server = Postgres::start();
    let url = server.create_database("plugin_store");
    let location = Location::Postgres(url);
    let catalog = Catalog::open(&location, key()).await.expect("open");
    operations(&catalog).await;
    let nodes = [
        catalog.clone(),
        Catalog::open(&location, key()).await.expect("second"),
        Catalog::open(&location, key()).await.expect("third"),
    ];
    race(&nodes, 12, 10).await;
}
