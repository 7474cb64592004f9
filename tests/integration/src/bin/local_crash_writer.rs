//! The writing process of the local store's crash test.
//!
//! Opens the embedded `local` plugin on the data directory given as the first
//! argument and writes secrets in a loop through the sandboxed runtime,
//! printing `ready` once the store is open and then one line per acknowledged
//! write: `ack NAME VERSION-ID VALUE`. The test kills it with SIGKILL at
//! arbitrary moments and then checks that every acknowledged write survived.
//!
//! With a third argument `WRITES`, it writes that many versions of the one secret `shared/one` instead and
//! exits: the multi-process test runs several at once on one data directory.
//!
//! Usage: `local_crash_writer DATA_DIR ROUND [WRITES]`

use keyway_integration_tests::plugins::{connect, runtime, with_settings};
use keyway_runtime::ConnectionConfig;
use keyway_types::{SecretValue, WriteOptions};
use std::io::Write as _;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(data_dir) = args.next() else {
        eprintln!("usage: local_crash_writer DATA_DIR ROUND");
        std::process::exit(2);
    };
    let round: u64 = args.next().and_then(|arg| arg.parse().ok()).unwrap_or(0);
    let writes: Option<u64> = args.next().and_then(|arg| arg.parse().ok());
    let rt = runtime();
    let config = ConnectionConfig { data_dir: Some(data_dir.into()), ..with_settings(serde_json::json!({})) };
    let conn = connect(&rt, "local", "crash", config).await;
    say("ready");
    let overwrite = WriteOptions { overwrite: true, ..WriteOptions::default() };
    for i in 0u64.. {
        if writes.is_some_and(|writes| i >= writes) {
            return;
        }
        // Mostly new versions of a few secrets; every fifth write creates a new secret (a new directory).
        let name = match writes {
            Some(_) => "shared/one".to_owned(),
            None if i % 5 == 4 => format!("crash/new/r{round}-w{i}"),
            None => format!("crash/hot/{}", i % 4),
        };
        let value = format!("r{round}-w{i}");
        match conn.create(&name, &SecretValue::text(value.clone()), &overwrite).await {
            Ok(meta) => say(&format!("ack {name} {} {value}", meta.version_id.unwrap_or_default())),
            Err(err) => {
                eprintln!("write {i} failed: {err}");
                std::process::exit(1);
            }
        }
    }
}

/// Prints a line and flushes it, so the parent sees every acknowledgement that happened.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
        std::process::exit(3);
    }
}
