//! Several processes writing one secret of the local store at once: every write a process saw acknowledged
//! is there afterwards, read back by its version id. The host holds a lock file beside the data directory
//! while a write of a plugin that serializes writes runs, so writers take turns across processes too.

use super::{open, TempDir};
use keyway_types::VersionSelector;
use std::process::{Command, Stdio};

/// Runs `writers` processes at once, each writing `writes` versions of `shared/one`; returns every
/// acknowledged (version id, value).
fn write_concurrently(dir: &std::path::Path, writers: u64, writes: u64) -> Vec<(String, String)> {
    let children: Vec<_> = (0..writers)
        .map(|round| {
            Command::new(env!("CARGO_BIN_EXE_local_crash_writer"))
                .arg(dir)
                .arg(round.to_string())
                .arg(writes.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a writer")
        })
        .collect();
    let mut acks = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("a writer ends");
        assert!(output.status.success(), "a writer failed: {}", String::from_utf8_lossy(&output.stderr));
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            if let ["ack", _, version, value] = fields.as_slice() {
                acks.push((version.to_string(), value.to_string()));
            }
        }
    }
    acks
}

async fn every_acknowledged_write_is_read_back(writers: u64) {
    let dir = TempDir::new(&format!("local-processes-{writers}"));
    let data = dir.path().join("data");
    let writes = 20;
    let acks = write_concurrently(&data, writers, writes);
    assert_eq!(acks.len() as u64, writers * writes, "every write was acknowledged");
    let rt = keyway_integration_tests::plugins::runtime();
    let store = open(&rt, &data, serde_json::json!({})).await.expect("the store opens");
    let mut lost = Vec::new();
    for (version, value) in &acks {
        match store.get("shared/one", &VersionSelector::Id(version.clone())).await {
            Ok(secret) if secret.value.expose_text() == Some(value.as_str()) => {}
            other => lost.push(format!("{version} ({value}): {other:?}")),
        }
    }
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost: {lost:?}", lost.len(), acks.len());
    let versions = store.versions("shared/one").await.expect("versions");
    assert_eq!(versions.len(), acks.len(), "one version per acknowledged write");
}

#[tokio::test]
async fn two_processes_lose_no_acknowledged_write() {
    every_acknowledged_write_is_read_back(2).await;
}

#[tokio::test]
async fn four_processes_lose_no_acknowledged_write() {
    every_acknowledged_write_is_read_back(4).await;
}
