//! The embedded local store plugin through the wasm runtime, on a data
//! directory the test grants it: the shared contract suite, the sandbox's file
//! boundaries, wrong keys and tampered files as the host sees them, concurrent
//! instances, and writers killed with SIGKILL in the middle of their writes.

#[path = "local/crash.rs"]
mod crash;
#[path = "local/processes.rs"]
mod processes;

use keyway_conformance::{run, SuiteOptions};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::plugins::{load, runtime, with_settings};
use keyway_runtime::{CallError, Connection, ConnectionConfig, Limits, RuntimeError};
use keyway_types::{ErrorKind, SecretValue, VersionSelector, WriteOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A `key` setting: 32 copies of `byte`, base64.
fn key(byte: u8) -> Value {
    Value::String(SecretValue::binary(vec![byte; 32]).to_text_or_base64().to_string())
}

/// Connects manager `local` on `data_dir` with `settings`.
async fn open(rt: &keyway_runtime::Runtime, data_dir: &Path, settings: Value) -> Result<Connection, RuntimeError> {
    let plugin = load(rt, "local");
    let config = ConnectionConfig { data_dir: Some(data_dir.to_path_buf()), ..with_settings(settings) };
    rt.connect(&plugin, "local", config).await
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test]
async fn local_plugin_passes_the_contract_suite() {
    let rt = runtime();
    let tmp = TempDir::new("local-suite");
    let conn = open(&rt, &tmp.path().join("data"), json!({ "key": key(1) })).await.expect("connect");
    let options = SuiteOptions {
        current_label: Some("current".into()),
        previous_label: Some("previous".into()),
        invalid_name: Some(String::new()),
        ..SuiteOptions::default()
    };
    let report = run(&conn, &options).await;
    println!("{report}");
    assert!(report.is_success(), "{report}");
    assert_eq!(report.skipped(), 0, "the local store declares every capability:\n{report}");
}

#[tokio::test]
async fn the_store_stays_inside_its_private_data_directory() {
    let rt = runtime();
    let tmp = TempDir::new("local-sandbox");
    let data = tmp.path().join("data");
    let conn = open(&rt, &data, json!({})).await.expect("connect with the key file");
    let names = ["db/prod/password", "../../outside", "/etc/passwd", "a/../../b", ".."];
    for name in names {
        conn.create(name, &SecretValue::text(format!("value of {name}")), &WriteOptions::default()).await.expect(name);
    }
    for name in names {
        let secret = conn.get(name, &VersionSelector::Latest).await.expect(name);
        assert_eq!(secret.value.expose_text(), Some(format!("value of {name}").as_str()));
    }
    let mut beside: Vec<_> = std::fs::read_dir(tmp.path()).expect("list").flatten().map(|e| e.file_name()).collect();
    beside.sort();
    // Beside the data directory only the host's write lock (the store serializes writes across processes).
    let expected: Vec<std::ffi::OsString> = vec!["data".into(), "data.lock".into()];
    assert_eq!(beside, expected, "nothing was written outside the data directory");
    let files = files_under(&data);
    let inside = |f: &PathBuf| f.strip_prefix(&data).is_ok_and(|rel| !rel.to_string_lossy().contains(".."));
    assert!(files.iter().all(inside), "{files:?}");
    assert!(data.join("master.key").exists(), "a new store creates its key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&data).expect("data dir").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the host creates the data directory for its owner only");
    }
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        assert!(!String::from_utf8_lossy(&bytes).contains("value of"), "{} holds a value in clear", file.display());
    }
}

#[tokio::test]
async fn a_wrong_key_fails_the_connection_with_one_clear_message() {
    let rt = runtime();
    let tmp = TempDir::new("local-key");
    let data = tmp.path().join("data");
    let conn = open(&rt, &data, json!({ "key": key(1) })).await.expect("connect");
    conn.create("x", &SecretValue::text("v"), &WriteOptions::default()).await.expect("create");
    drop(conn);
    let err = open(&rt, &data, json!({ "key": key(2) })).await.expect_err("wrong key");
    let message = err.to_string();
    let real = data.display();
    let expected = format!("wrong master key for store at {real}: it does not decrypt {real}/keyring");
    assert!(message.contains(&expected), "the real folder, not the sandbox's /data: {message}");
    assert!(matches!(&err, RuntimeError::Open { source, .. } if source.kind() == ErrorKind::Configuration), "{err:?}");
    let err = open(&rt, &data, json!({ "key": "not a key" })).await.expect_err("malformed key");
    assert!(err.to_string().contains("setting `key` is not base64") && !err.to_string().contains("not a key"), "{err}");
    assert!(open(&rt, &data, json!({ "key": key(1) })).await.is_ok(), "the right key still opens the store");
}

#[tokio::test]
async fn a_tampered_file_is_named_and_its_content_never_returned() {
    let rt = runtime();
    let tmp = TempDir::new("local-tamper");
    let data = tmp.path().join("data");
    let conn = open(&rt, &data, json!({})).await.expect("connect");
    conn.create("victim", &SecretValue::text("tamper-me-4711"), &WriteOptions::default()).await.expect("create");
    let value_file =
        files_under(&data).into_iter().find(|f| f.extension().is_some_and(|ext| ext == "val")).expect("a value file");
    let mut envelope: Value = serde_json::from_slice(&std::fs::read(&value_file).expect("read")).expect("JSON");
    let sealed = SecretValue::from_base64(envelope["data"].as_str().expect("data")).expect("base64");
    let mut data_bytes = sealed.expose_bytes().to_vec();
    data_bytes[3] ^= 0x40;
    envelope["data"] = Value::String(SecretValue::binary(data_bytes).to_text_or_base64().to_string());
    std::fs::write(&value_file, serde_json::to_vec(&envelope).expect("JSON")).expect("write");

    let err = conn.get("victim", &VersionSelector::Latest).await.expect_err("tampered");
    let relative = value_file.strip_prefix(&data).expect("inside data");
    let message = err.to_string();
    assert!(message.contains(&format!("/data/{} is corrupted or was tampered with", relative.display())), "{message}");
    assert!(matches!(err, CallError::Provider(_)) && err.kind() == ErrorKind::Other, "{err:?}");
    assert!(!format!("{message} {err:?}").contains("tamper-me"));
    let meta = conn.describe("victim", &VersionSelector::Latest).await.expect("metadata is intact");
    assert_eq!(meta.name, "victim");
}

#[tokio::test]
async fn concurrent_instances_read_whole_values_while_writes_are_serialized() {
    let rt = runtime();
    let tmp = TempDir::new("local-concurrent");
    let plugin = load(&rt, "local");
    let limits = Limits { max_instances: 6, ..Limits::default() };
    let config =
        ConnectionConfig { data_dir: Some(tmp.path().join("data")), limits, ..with_settings(json!({ "key": key(5) })) };
    let conn = rt.connect(&plugin, "local", config).await.expect("connect");
    conn.create("shared", &SecretValue::text("w0-0"), &WriteOptions::default()).await.expect("create");
    let overwrite = WriteOptions { overwrite: true, ..WriteOptions::default() };
    let mut tasks = Vec::new();
    for writer in 0..3 {
        let (conn, overwrite) = (conn.clone(), overwrite.clone());
        tasks.push(tokio::spawn(async move {
            for i in 1..=15 {
                let value = SecretValue::text(format!("w{writer}-{i}"));
                conn.create("shared", &value, &overwrite).await.map(|_| ())?;
            }
            Ok::<_, CallError>(())
        }));
    }
    for _ in 0..3 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..30 {
                let secret = conn.get("shared", &VersionSelector::Latest).await?;
                let text = secret.value.expose_text().unwrap_or_default().to_owned();
                assert!(text.starts_with('w') && text.contains('-'), "a read saw a partial value");
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("every call succeeds");
    }
    let versions = conn.versions("shared").await.expect("versions");
    assert_eq!(versions.len(), 46, "every serialized write added exactly one version");
    assert!(conn.idle_instances() > 1, "calls ran on several instances");
}
