//! `storage: records`: a manager's plugin store (`keyway:store/kv@0.1.0`) kept in keyway's records, with the
//! `stored` test plugin from a plugins folder: on SQLite, the rows in the catalog's `plugin_store` table and no
//! folder beside the data directory; on a real PostgreSQL, two keyway instances seeing each other's writes and
//! racing creators of one name across them getting exactly one success (compare-and-swap in the database);
//! and the configurations refused when keyway opens.

use keyway::catalog::{Catalog, CatalogKey, Location};
use keyway::{Config, ConfigSource, Identity, Keyway, KeywayError};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use keyway_types::{SecretValue, VersionSelector, WriteOptions};
use std::path::Path;

/// A plugins folder holding the `stored` test plugin, its manifest beside it.
fn plugins_folder(dir: &Path) -> std::path::PathBuf {
    let built = keyway_plugins::find("stored").expect("the stored plugin is built");
    let folder = dir.join("plugins");
    std::fs::create_dir_all(&folder).expect("plugins folder");
    std::fs::write(folder.join("stored.wasm"), built.wasm).expect("stored.wasm");
    std::fs::write(folder.join("stored.toml"), built.manifest).expect("stored.toml");
    folder
}

/// keyway in `home` with one manager `shared` on the `stored` plugin, its store in the records at `catalog`.
fn config(home: &Path, plugins: &Path, catalog: &str, storage: &str) -> String {
    format!(
        "home: {home}\nbuiltin_local: false\nplugins: {{ dir: {plugins} }}\ncatalog: {catalog}\n\
         managers:\n  shared:\n    plugin: stored\n    storage: {storage}\n",
        home = home.display(),
        plugins = plugins.display(),
    )
}

async fn open(yaml: &str) -> Result<Keyway, KeywayError> {
    Keyway::open(Config::from_yaml(yaml).expect("the configuration parses"), ConfigSource::BuiltInDefault).await
}

fn overwrite() -> WriteOptions {
    WriteOptions { overwrite: true, ..WriteOptions::default() }
}

async fn read(keyway: &Keyway, name: &str) -> Option<String> {
    match keyway.get(&Identity::default(), "shared", name, &VersionSelector::Latest).await {
        Ok(secret) => Some(secret.value().expose_text().expect("a text value").to_owned()),
        Err(err) if err.to_string().contains("not found") => None,
        Err(err) => panic!("get {name}: {err}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_keeps_its_store_in_sqlite_records() {
    let dir = TempDir::new("store-records-sqlite");
    let plugins = plugins_folder(dir.path());
    let db = dir.path().join("records.db");
    let key = CatalogKey::generate_base64().expect("a key");
    let catalog = format!("{{ url: \"sqlite:{}\", key: \"{}\" }}", db.display(), &*key);
    let keyway = open(&config(dir.path(), &plugins, &catalog, "records")).await.expect("keyway opens");
    let caller = Identity::default();
    keyway
        .create(&caller, "shared", "db/password", &SecretValue::text("records-value-4c1d"), &WriteOptions::default())
        .await
        .expect("create");
    keyway.create(&caller, "shared", "db/user", &SecretValue::text("admin"), &overwrite()).await.expect("create");
    assert_eq!(read(&keyway, "db/password").await.as_deref(), Some("records-value-4c1d"));
    let again =
        keyway.create(&caller, "shared", "db/password", &SecretValue::text("x"), &WriteOptions::default()).await;
    assert!(again.as_ref().is_err_and(|err| err.to_string().contains("exists")), "{again:?}");
    keyway.delete(&caller, "shared", "db/user", keyway_types::DeleteMode::Force).await.expect("delete");
    assert_eq!(read(&keyway, "db/user").await, None);

    // The rows are in the catalog's table, and no folder was made beside the data directory.
    let catalog =
        Catalog::open(&Location::Sqlite(db), CatalogKey::from_base64(&key).expect("key")).await.expect("open");
    let row = catalog.store_get("shared", "s/db/password").await.expect("read").expect("a row");
    assert_eq!(row.value, b"\0records-value-4c1d", "the stored plugin's bytes, as it wrote them");
    assert!(catalog.store_get("shared", "s/db/user").await.expect("read").is_none(), "deleted");
    assert_eq!(catalog.store_keys("shared", "", None, 10).await.expect("keys"), ["s/db/password"]);
    let data_dir = dir.path().join("data/shared");
    assert!(!keyway_runtime::store_path(&data_dir).exists(), "no store folder with storage: records");
}

#[tokio::test]
async fn storage_that_cannot_work_is_refused_when_keyway_opens() {
    let dir = TempDir::new("store-records-refused");
    let plugins = plugins_folder(dir.path());
    let without = config(dir.path(), &plugins, "{ enabled: false }", "records");
    let err = open(&without).await.expect_err("records without keyway's records");
    let text = err.to_string();
    assert!(text.contains("managers.shared.storage") && text.contains("catalog:"), "{text}");

    // A plugin that keeps no store: `storage:` is refused, whichever it says.
    for storage in ["records", "data_dir"] {
        let yaml = format!(
            "home: {}\nbuiltin_local: false\nmanagers:\n  vault:\n    plugin: vault\n    storage: {storage}\n    \
             settings: {{ address: \"http://127.0.0.1:1\", auth_method: token, token: t }}\n",
            dir.path().display()
        );
        let err = open(&yaml).await.expect_err("storage on a plugin without a store");
        let text = err.to_string();
        assert!(text.contains("managers.vault.storage") && text.contains("storage = true"), "{text}");
    }
    // The local plugin told to keep files while its manager keeps its store in the records: refused at first use.
    let files = format!(
        "home: {}\nmanagers:\n  local:\n    plugin: local\n    storage: records\n    \
         settings: {{ key: \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\", store: files }}\n",
        dir.path().display()
    );
    let keyway = open(&files).await.expect("opens: managers connect on first use");
    let refused = keyway.get(&Identity::default(), "local", "any", &VersionSelector::Latest).await;
    let text = refused.expect_err("store: files with storage: records").to_string();
    assert!(text.contains("managers.local") && text.contains("store: files"), "{text}");
    let rekey = keyway
        .rekey_store(
            &Identity::default(),
            "local",
            keyway::NewStoreKey::Key(CatalogKey::generate_base64().expect("key")),
        )
        .await;
    assert!(rekey.is_err_and(|err| err.to_string().contains("does not re-key yet")));
    let unknown = config(dir.path(), &plugins, "{}", "elsewhere");
    assert!(Config::from_yaml(&unknown).is_err(), "storage is data_dir or records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_the_store() {
    let postgres = Postgres::start();
    postgres.create_database("store");
    let key = CatalogKey::generate_base64().expect("a key");
    let catalog = format!("{{ url: \"{}\", key: \"{}\" }}", postgres.url("store"), &*key);
    let (dir_a, dir_b) = (TempDir::new("store-records-pg-a"), TempDir::new("store-records-pg-b"));
    let a = open(&config(dir_a.path(), &plugins_folder(dir_a.path()), &catalog, "records")).await.expect("a opens");
    let b = open(&config(dir_b.path(), &plugins_folder(dir_b.path()), &catalog, "records")).await.expect("b opens");
    let caller = Identity::default();

    a.create(&caller, "shared", "from-a", &SecretValue::text("written-on-a"), &WriteOptions::default())
        .await
        .expect("create on a");
    assert_eq!(read(&b, "from-a").await.as_deref(), Some("written-on-a"), "b reads a's write");
    b.create(&caller, "shared", "from-b", &SecretValue::text("written-on-b"), &WriteOptions::default())
        .await
        .expect("create on b");
    assert_eq!(read(&a, "from-b").await.as_deref(), Some("written-on-b"), "a reads b's write");

    // Creators of one name racing on both instances: the database's compare-and-swap lets exactly one win.
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    for round in 0..4 {
        let name = format!("race/{round}");
        let mut tasks = Vec::new();
        for writer in 0..8 {
            let keyway = if writer % 2 == 0 { a.clone() } else { b.clone() };
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                let value = format!("writer-{writer}");
                let created = keyway
                    .create(&Identity::default(), "shared", &name, &SecretValue::text(&value), &WriteOptions::default())
                    .await;
                created.map(|_| value)
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(value) => won.push(value),
                Err(err) => assert!(err.to_string().contains("exists"), "{err}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        for keyway in [&a, &b] {
            assert_eq!(read(keyway, &name).await.as_deref(), Some(won[0].as_str()), "round {round}");
        }
    }
    let rows = postgres.sql("store", "SELECT count(*) FROM plugin_store WHERE manager = 'shared'");
    assert_eq!(rows.trim(), "6", "two names and four races");
}

/// keyway with the built-in `local` manager keeping its encrypted records in keyway's records at `catalog`.
fn local_config(home: &Path, catalog: &str) -> String {
    format!(
        "home: {home}\ncatalog: {catalog}\nmanagers:\n  local:\n    plugin: local\n    storage: records\n    \
         settings: {{ key: \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\" }}\n",
        home = home.display(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_store_on_postgresql_records_shares_ciphertext_and_loses_no_version() {
    let postgres = Postgres::start();
    postgres.create_database("local");
    let key = CatalogKey::generate_base64().expect("a key");
    let catalog = format!("{{ url: \"{}\", key: \"{}\" }}", postgres.url("local"), &*key);
    let dirs: Vec<TempDir> = (0..3).map(|node| TempDir::new(&format!("store-records-local-{node}"))).collect();
    let mut nodes = Vec::new();
    for dir in &dirs {
        nodes.push(std::sync::Arc::new(open(&local_config(dir.path(), &catalog)).await.expect("a node opens")));
    }
    let caller = Identity::default();
    let plaintext = "local-plaintext-5b7e2a";
    nodes[0]
        .create(&caller, "local", "db/password", &SecretValue::text(plaintext), &WriteOptions::default())
        .await
        .expect("create");
    let read =
        nodes[1].get(&caller, "local", "db/password", &VersionSelector::Latest).await.expect("another node reads");
    assert_eq!(read.value().expose_text(), Some(plaintext));

    // Three nodes writing one secret at once: every acknowledged version reads back, with its value.
    let mut writers = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let node = node.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for round in 0..8 {
                let value = format!("node-{index}-round-{round}");
                let written = node
                    .create(&Identity::default(), "local", "shared", &SecretValue::text(&value), &overwrite())
                    .await
                    .unwrap_or_else(|err| panic!("node {index} round {round}: {err}"));
                acknowledged.push((written.version_id.expect("a version id"), value));
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.expect("a writer"));
    }
    assert_eq!(acknowledged.len(), 24);
    let versions = nodes[2].versions(&caller, "local", "shared").await.expect("versions");
    assert_eq!(versions.len(), 24, "one version per acknowledged write");
    for (version, value) in &acknowledged {
        let read = nodes[2]
            .get(&caller, "local", "shared", &VersionSelector::Id(version.clone()))
            .await
            .unwrap_or_else(|err| panic!("version {version}: {err}"));
        assert_eq!(read.value().expose_text(), Some(value.as_str()), "{version}");
    }

    // The host holds ciphertext only: no value appears in the table, and no file in any data directory.
    let catalog =
        Catalog::open(&Location::Postgres(postgres.url("local")), CatalogKey::from_base64(&key).expect("key"))
            .await
            .expect("the records");
    let keys = catalog.store_keys("local", "", None, 1000).await.expect("keys");
    assert!(keys.len() > 24, "{} keys", keys.len());
    for key in &keys {
        let row = catalog.store_get("local", key).await.expect("a row").expect("present");
        let text = String::from_utf8_lossy(&row.value);
        assert!(!text.contains(plaintext) && !text.contains("-round-"), "{key} holds a value in the clear");
    }
    for dir in &dirs {
        assert!(!dir.path().join("data/local/secrets").exists(), "nothing in the data directory");
    }
}
