//! Writers killed with SIGKILL mid-write: no acknowledged write may be lost,
//! and the store must open afterwards.
//!
//! Each round starts `local_crash_writer` (the `local` plugin in the sandboxed
//! runtime, writing in a loop and printing every acknowledged write), lets it
//! write for a varying while and kills it without warning. The next round's
//! writer must open the store again. At the end every acknowledged version is
//! read back by id, and each secret's current version is the last acknowledged
//! one or the write that was in flight when the process died.

use super::{open, TempDir};
use keyway_types::VersionSelector;
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROUNDS: u64 = 12;

/// One acknowledged write, parsed from `ack NAME VERSION VALUE`.
#[derive(Debug, Clone)]
struct Ack {
    name: String,
    version: String,
    value: String,
}

/// `rR-wI` as (R, I): the order in which the writers wrote.
fn order(value: &str) -> Option<(u64, u64)> {
    let (round, write) = value.strip_prefix('r')?.split_once("-w")?;
    Some((round.parse().ok()?, write.parse().ok()?))
}

/// Kills the writer if the test fails while it runs.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs one writer until it has written for `write_for`, then kills it with SIGKILL.
fn run_round(data_dir: &std::path::Path, round: u64, write_for: Duration) -> Vec<Ack> {
    let child = Command::new(env!("CARGO_BIN_EXE_local_crash_writer"))
        .arg(data_dir)
        .arg(round.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");
    let mut writer = Writer(child);
    let stdout = writer.0.stdout.take().expect("piped stdout");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            // A line cut by the kill has no newline and is not returned by `lines()` as complete;
            // it fails UTF-8 or parsing at worst and is dropped below.
            match line {
                Ok(line) => {
                    if lines_tx.send(line).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let ready = lines.recv_timeout(Duration::from_secs(120));
    assert_eq!(ready.as_deref(), Ok("ready"), "round {round}: the writer did not open the store");
    std::thread::sleep(write_for);
    // `Child::kill` sends SIGKILL on Unix: no destructor, no flush, no chance to finish the write.
    writer.0.kill().expect("SIGKILL the writer");
    let status = writer.0.wait().expect("reap the writer");
    assert!(!status.success(), "round {round}: the writer exited by itself ({status})");
    reader.join().expect("reader thread");
    lines
        .try_iter()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("ack"), Some(name), Some(version), Some(value), None) if order(value).is_some() => {
                    Some(Ack { name: name.into(), version: version.into(), value: value.into() })
                }
                _ => None,
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writers_lose_no_acknowledged_write() {
    let tmp = TempDir::new("local-crash");
    let data = tmp.path().join("data");
    let started = Instant::now();
    let mut acks: Vec<Ack> = Vec::new();
    for round in 0..ROUNDS {
        // Vary how long each writer lives, so the kills land in different phases of a write.
        let write_for = Duration::from_millis(40 + (round * 137 + started.elapsed().subsec_millis() as u64) % 400);
        let data = data.clone();
        let round_acks = tokio::task::spawn_blocking(move || run_round(&data, round, write_for)).await.expect("round");
        println!("round {round}: killed after {write_for:?} and {} acknowledged writes", round_acks.len());
        acks.extend(round_acks);
    }
    assert!(acks.len() as u64 >= ROUNDS, "the writers acknowledged only {} writes", acks.len());
    let leftovers = super::files_under(&data)
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".tmp-")))
        .count();

    let rt = keyway_integration_tests::plugins::runtime();
    let conn = open(&rt, &data, serde_json::json!({})).await.expect("the store opens after the crashes");
    let mut last: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for ack in &acks {
        let secret = conn
            .get(&ack.name, &VersionSelector::Id(ack.version.clone()))
            .await
            .unwrap_or_else(|err| panic!("acknowledged write {} of {} is lost: {err}", ack.value, ack.name));
        assert_eq!(secret.value.expose_text(), Some(ack.value.as_str()), "{} {}", ack.name, ack.version);
        let written = order(&ack.value).expect("parsed");
        last.entry(&ack.name).and_modify(|seen| *seen = (*seen).max(written)).or_insert(written);
    }
    for (name, acknowledged) in &last {
        let current = conn.get(name, &VersionSelector::Latest).await.expect("current version");
        let current = current.value.expose_text().and_then(order).expect("a value the writers wrote");
        assert!(current >= *acknowledged, "{name}: current {current:?} is older than acknowledged {acknowledged:?}");
    }
    let listed = conn.list(&keyway_types::ListRequest { page_size: Some(1000), ..Default::default() }).await;
    assert!(listed.expect("list").secrets.len() >= last.len());
    println!(
        "{ROUNDS} writers killed, {} acknowledged writes all readable, {leftovers} temporary files left by the kills, {:?}",
        acks.len(),
        started.elapsed()
    );
}
