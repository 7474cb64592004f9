//! The host's store (`keyway:store/kv@0.1.0`) through the real sandbox, with the `stored` test plugin: its
//! operations on the folder beside the manager's data directory, compare-and-swap across racing instances and
//! across two runtimes on one folder (as two processes), the key rules, and linking only on the manifest's
//! request.

use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::plugins::{load, runtime, with_settings};
use keyway_runtime::{store_path, CallError, Connection, ConnectionConfig, PluginManifest, Runtime, RuntimeError};
use keyway_types::{ErrorKind, ListRequest, SecretValue, VersionSelector, WriteOptions};
use serde_json::json;
use std::path::Path;

async fn open(rt: &Runtime, data_dir: &Path) -> Connection {
    let plugin = load(rt, "stored");
    let config = ConnectionConfig { data_dir: Some(data_dir.to_path_buf()), ..with_settings(json!({})) };
    rt.connect(&plugin, "stored", config).await.unwrap_or_else(|err| panic!("connect: {err}"))
}

fn overwrite() -> WriteOptions {
    WriteOptions { overwrite: true, ..WriteOptions::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_keeps_its_secrets_in_the_host_store() {
    let dir = TempDir::new("store-operations");
    let data_dir = dir.path().join("data");
    let rt = runtime();
    let store = open(&rt, &data_dir).await;
    let created = store.create("db/password", &SecretValue::text("s3cret"), &WriteOptions::default()).await;
    let created = created.unwrap_or_else(|err| panic!("create: {err}"));
    let secret = store.get("db/password", &VersionSelector::Latest).await.unwrap_or_else(|err| panic!("get: {err}"));
    assert_eq!(secret.value.expose_text(), Some("s3cret"));
    assert_eq!(secret.metadata.version_id, created.version_id);
    let again = store.create("db/password", &SecretValue::text("other"), &WriteOptions::default()).await;
    assert!(matches!(&again, Err(err) if err.kind() == ErrorKind::AlreadyExists), "{again:?}");
    store.create("db/user", &SecretValue::binary(vec![0, 1, 2]), &overwrite()).await.expect("binary");
    let page = store.list(&ListRequest { prefix: Some("db/".into()), ..ListRequest::default() }).await.expect("list");
    let names: Vec<&str> = page.secrets.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["db/password", "db/user"]);
    // The bytes live beside the data directory, out of the plugin's /data.
    let folder = store_path(&data_dir);
    let files = std::fs::read_dir(&folder).expect("store folder").count();
    assert!(files >= 2, "{} holds {files} entries", folder.display());
    store.delete("db/user", keyway_types::DeleteMode::Force).await.expect("delete");
    let gone = store.get("db/user", &VersionSelector::Latest).await;
    assert!(matches!(&gone, Err(err) if err.kind() == ErrorKind::NotFound), "{gone:?}");
    // A name the store's key rules refuse comes back as the plugin's invalid argument, not a crash.
    let refused = store.create("a name with spaces", &SecretValue::text("v"), &overwrite()).await;
    assert!(
        matches!(&refused, Err(CallError::Provider(err)) if err.kind() == ErrorKind::InvalidArgument),
        "{refused:?}"
    );
    let large = store.create("large", &SecretValue::binary(vec![7; (1 << 20) - 8]), &overwrite()).await;
    assert!(large.is_ok(), "{large:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creators_on_two_runtimes_get_exactly_one_success() {
    let dir = TempDir::new("store-race");
    let data_dir = dir.path().join("data");
    let (one, two) = (runtime(), runtime());
    let stores = [open(&one, &data_dir).await, open(&two, &data_dir).await];
    for round in 0..5 {
        let name = format!("race/{round}");
        let mut tasks = Vec::new();
        for writer in 0..12 {
            let store = stores[writer % 2].clone();
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                let value = SecretValue::text(format!("writer-{writer}"));
                store.create(&name, &value, &WriteOptions::default()).await.map(|_| value)
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(value) => won.push(value),
                Err(err) => assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {} creators succeeded", won.len());
        let stored = stores[1].get(&name, &VersionSelector::Latest).await.expect("get");
        assert_eq!(stored.value.expose_text(), won[0].expose_text(), "round {round}");
    }
}

#[tokio::test]
async fn the_store_is_linked_only_for_a_manifest_that_asks() {
    let rt = runtime();
    let built = keyway_plugins::find("stored").expect("stored plugin built");
    let manifest = built.manifest.replace("storage = true", "storage = false");
    let manifest = PluginManifest::parse(&manifest, "stored").expect("manifest");
    match rt.load_plugin(manifest, built.wasm) {
        Err(RuntimeError::InvalidComponent { reason, .. }) => assert!(reason.contains("keyway:store/kv"), "{reason}"),
        other => panic!("expected the missing import to refuse the plugin, got {other:?}"),
    }
    // Without a data directory or a store of its own the manager cannot open.
    let plugin = load(&rt, "stored");
    let err = rt.connect(&plugin, "nowhere", with_settings(json!({}))).await.expect_err("no store");
    assert!(matches!(&err, RuntimeError::Settings { field, .. } if field == "data_dir"), "{err}");
}
