//! Concurrent calls to one manager: the instance pool against an instance per call.
//!
//! The `local` plugin (AES-256-GCM files in a data directory) serves the calls: it is
//! stateless between calls, so both strategies give the same answers, and its `open`
//! (reading and checking the key) is the kind of work a fresh instance repeats per call.

use super::{cache_dir, load, record, runtime, target_dir, value, NAME};
use criterion::Criterion;
use keyway_runtime::{Connection, ConnectionConfig, Limits, Runtime};
use keyway_types::{VersionSelector, WriteOptions};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

/// Concurrent callers, and the gets each makes per iteration.
const CALLERS: usize = 8;
const CALLS_PER_CALLER: usize = 25;
/// Gets per iteration, over all callers.
pub const GETS_PER_ITERATION: usize = CALLERS * CALLS_PER_CALLER;

/// A `local` manager holding the 1 KiB secret, serving up to [`CALLERS`] calls at once.
fn local(rt: &tokio::runtime::Runtime, runtime: &Runtime, dir: PathBuf) -> Connection {
    let plugin = load(runtime, "local");
    let config = ConnectionConfig {
        settings: json!({ "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }),
        data_dir: Some(dir),
        limits: Limits { max_instances: CALLERS as u32, ..Limits::default() },
        ..ConnectionConfig::default()
    };
    rt.block_on(async {
        let conn = runtime.connect(&plugin, "bench-local", config).await.expect("connect local");
        let overwrite = WriteOptions { overwrite: true, ..WriteOptions::default() };
        conn.create(NAME, &value(), &overwrite).await.expect("create");
        conn
    })
}

/// [`CALLERS`] tasks on a two-thread runtime, each making [`CALLS_PER_CALLER`] gets.
pub fn concurrency(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    let mut group = c.benchmark_group("8 concurrent callers x 25 gets, local plugin, 2 threads");
    for (key, label, reuse) in
        [("concurrent/pool", "instance pool", true), ("concurrent/per-call", "instance per call", false)]
    {
        let runtime = runtime(true, reuse, cache_dir());
        let conn = local(&rt, &runtime, target_dir().join(format!("keyway-bench-local-{reuse}")));
        group.bench_function(label, |b| {
            b.iter_custom(|n| {
                let elapsed = rt.block_on(async {
                    let started = Instant::now();
                    for _ in 0..n {
                        let callers = (0..CALLERS).map(|_| {
                            let conn = conn.clone();
                            tokio::spawn(async move {
                                for _ in 0..CALLS_PER_CALLER {
                                    black_box(conn.get(NAME, &VersionSelector::Latest).await.expect("get"));
                                }
                            })
                        });
                        futures::future::join_all(callers).await.into_iter().for_each(|r| r.expect("caller"));
                    }
                    started.elapsed()
                });
                record(key, elapsed, n)
            })
        });
    }
    group.finish();
}
