//! The shared encrypted store: three `keyway serve` nodes whose `local` manager keeps its encrypted records in
//! keyway's records on one PostgreSQL (`storage: records`), all writing one secret at once. A node is killed
//! (SIGKILL) while it writes, and PostgreSQL is stopped (`pg_ctl stop -m fast`) while the others write and
//! started again: every write a node acknowledged is a version of the secret that reads back with its value,
//! and the table holds no value in the clear.

use crate::fleet_nodes::{Fleet, DATABASE, TOKEN};
use reqwest::Method;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const NAME: &str = "shared/db";

/// The writes the nodes acknowledged: version id and value.
type Acknowledged = Mutex<Vec<(String, String)>>;

/// Writes a new value of the secret through `base`; the version id when the node acknowledged it.
async fn write(client: &reqwest::Client, base: &str, value: &str) -> Option<String> {
    let response = client
        .patch(format!("{base}/v1/secrets/local/{NAME}"))
        .bearer_auth(TOKEN)
        .json(&json!({ "value": value }))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    body["metadata"]["version_id"].as_str().map(str::to_owned)
}

/// Writes `node-N-LABEL-i` values through node `node` until `stop`, keeping what was acknowledged.
async fn writer(base: String, node: usize, label: &str, stop: &AtomicBool, acknowledged: &Acknowledged) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client");
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) {
        let value = format!("node-{node}-{label}-{round}");
        round += 1;
        match write(&client, &base, &value).await {
            Some(version) => acknowledged.lock().expect("acknowledged").push((version, value)),
            None => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits until `acknowledged` holds more than `count` writes (panics after two minutes).
async fn until_more_than(acknowledged: &Acknowledged, count: usize) {
    let started = Instant::now();
    while acknowledged.lock().expect("acknowledged").len() <= count {
        assert!(started.elapsed() < Duration::from_secs(120), "no more than {count} writes were acknowledged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn count(acknowledged: &Acknowledged) -> usize {
    acknowledged.lock().expect("acknowledged").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_writing_one_secret_of_the_shared_store_lose_nothing_acknowledged() {
    let mut fleet = Fleet::start_with(3, "    storage: records\n").await;
    let first = fleet.write(A, NAME, "node-0-first").await.expect("create");
    let acknowledged: Acknowledged = Mutex::new(vec![(first, "node-0-first".to_owned())]);
    let bases: Vec<String> = fleet.nodes.iter().map(|node| node.base.clone()).collect();

    // Three nodes write at once; c is killed in the middle of its writes, a and b go on.
    let stop = AtomicBool::new(false);
    let kill_c = async {
        until_more_than(&acknowledged, 15).await;
        let pid = fleet.nodes[C].pid().to_string();
        let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().expect("kill");
        assert!(killed.success());
        let at_kill = count(&acknowledged);
        until_more_than(&acknowledged, at_kill + 15).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(
        writer(bases[A].clone(), A, "race", &stop, &acknowledged),
        writer(bases[B].clone(), B, "race", &stop, &acknowledged),
        writer(bases[C].clone(), C, "race", &stop, &acknowledged),
        kill_c,
    );
    let from_c = acknowledged.lock().expect("acknowledged").iter().filter(|(_, v)| v.starts_with("node-2-")).count();
    assert!(from_c > 0, "c wrote before it was killed");

    // PostgreSQL stops (fast shutdown) while a and b write, and starts again.
    let stop = AtomicBool::new(false);
    let stop_postgres = async {
        let before = count(&acknowledged);
        until_more_than(&acknowledged, before + 5).await;
        fleet.postgres.stop_fast();
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(
        writer(bases[A].clone(), A, "stopping", &stop, &acknowledged),
        writer(bases[B].clone(), B, "stopping", &stop, &acknowledged),
        stop_postgres,
    );
    fleet.postgres.start_after_stop();
    for node in [A, B] {
        fleet.until_hearing(node, true, Duration::from_secs(60)).await;
    }
    let stop = AtomicBool::new(false);
    let after_restart = async {
        let before = count(&acknowledged);
        until_more_than(&acknowledged, before + 10).await;
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(
        writer(bases[A].clone(), A, "restarted", &stop, &acknowledged),
        writer(bases[B].clone(), B, "restarted", &stop, &acknowledged),
        after_restart,
    );

    // Every acknowledged write is a version of the secret, and reads back with its value, on either node.
    let acknowledged = acknowledged.into_inner().expect("acknowledged");
    let versions = fleet.apis[B].call(Method::GET, &format!("/v1/versions/local/{NAME}"), &[], None).await;
    let listed: Vec<String> = versions.ok()["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|version| version["version_id"].as_str().map(str::to_owned))
        .collect();
    for (index, (version, value)) in acknowledged.iter().enumerate() {
        assert!(listed.contains(version), "acknowledged version {version} is listed");
        let node = [A, B][index % 2];
        let read =
            fleet.apis[node].call(Method::GET, &format!("/v1/secrets/local/{NAME}?version={version}"), &[], None).await;
        assert_eq!(read.ok()["value"].as_str(), Some(value.as_str()), "version {version}");
    }
    println!("{} acknowledged writes, {} versions listed, all read back", acknowledged.len(), listed.len());

    // PostgreSQL holds ciphertext only.
    let rows = fleet.postgres.sql(DATABASE, "SELECT encode(value, 'escape') FROM plugin_store WHERE manager = 'local'");
    assert!(rows.lines().count() > acknowledged.len(), "a row per value, the record and the keyring");
    assert!(
        !rows.contains("node-0-") && !rows.contains("node-1-") && !rows.contains("node-2-"),
        "no value in the clear"
    );
}
