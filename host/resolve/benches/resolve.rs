//! Benchmarks of keyway-resolve, printed side by side at the end of one run:
//! cached resolution per placeholder against a plain `HashMap` lookup of the same keys, throughput on two
//! threads, 1,000 concurrent first resolutions against a 20 ms backend, and refresh-ahead against plain
//! expiry under a rotating backend.
//!
//! Run: `cargo bench -p keyway-resolve --bench resolve` (add `-- --warm-up-time 1 --measurement-time 3` for a
//! shorter run). Instruction counts for callgrind: see `resolve/profile.rs`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "resolve/profile.rs"]
mod profile;
#[path = "resolve/setup.rs"]
mod setup;

use common::FakeSource;
use criterion::{Criterion, Throughput};
use keyway_resolve::{CacheOptions, Identity, ManagerOptions, Resolver};
use keyway_types::VersionSelector;
use serde_json::json;
use setup::{hashmap_of_same_keys, identity, keys, resolver, runtime, Config, PLACEHOLDERS};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn criterion_benches(c: &mut Criterion) {
    let runtime = runtime(1);
    let (resolver, step) = resolver(&runtime, Config::Plain);
    let (production, _) = setup::resolver(&runtime, Config::Production);
    let map = hashmap_of_same_keys();
    let keys = keys();
    let plain_identity = identity(Config::Plain);
    let production_identity = identity(Config::Production);

    let mut group = c.benchmark_group("ten_placeholders");
    group.throughput(Throughput::Elements(PLACEHOLDERS as u64));
    group.bench_function("hashmap_lookup", |b| {
        b.iter(|| keys.iter().map(|key| map.get(black_box(key)).map_or(0, String::len)).sum::<usize>())
    });
    group.bench_function("step_tree_clone", |b| b.iter(|| black_box(&step).clone()));
    group.bench_function("cached_get", |b| {
        b.to_async(&runtime).iter(|| async {
            let mut total = 0;
            for (manager, name) in &keys {
                total += resolver
                    .get(&plain_identity, manager, name, &VersionSelector::Latest)
                    .await
                    .map_or(0, |s| s.value().len());
            }
            total
        })
    });
    group.bench_function("cached_resolve_step", |b| {
        b.to_async(&runtime)
            .iter(|| async { resolver.resolve(&plain_identity, black_box(&step)).await.map(|r| r.secrets()) })
    });
    group.bench_function("cached_resolve_step_production", |b| {
        b.to_async(&runtime)
            .iter(|| async { production.resolve(&production_identity, black_box(&step)).await.map(|r| r.secrets()) })
    });
    group.finish();
}

/// Mean nanoseconds per call of `f` over about `budget`.
fn mean_ns(budget: Duration, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        calls += 100;
    }
    started.elapsed().as_nanos() as f64 / calls as f64
}

/// Mean nanoseconds per run of the async `body` over about `budget`, inside the current async context.
macro_rules! async_mean_ns {
    ($budget:expr, $body:block) => {{
        let started = Instant::now();
        let mut calls = 0u64;
        while started.elapsed() < $budget {
            for _ in 0..100 {
                $body
            }
            calls += 100;
        }
        started.elapsed().as_nanos() as f64 / calls as f64
    }};
}

struct Summary {
    rows: Vec<(String, String)>,
}

impl Summary {
    fn row(&mut self, what: impl Into<String>, value: impl Into<String>) {
        self.rows.push((what.into(), value.into()));
    }

    fn print(&self) {
        println!("\n| measurement | result |\n| --- | --- |");
        for (what, value) in &self.rows {
            println!("| {what} | {value} |");
        }
    }
}

fn per_placeholder(summary: &mut Summary) {
    let runtime = runtime(1);
    let (resolver, step) = resolver(&runtime, Config::Plain);
    let (production, _) = setup::resolver(&runtime, Config::Production);
    let map = hashmap_of_same_keys();
    let keys = keys();
    let identity_plain = identity(Config::Plain);
    let identity_production = identity(Config::Production);
    let budget = Duration::from_secs(2);
    let hashmap = mean_ns(budget, || {
        black_box(keys.iter().map(|key| map.get(black_box(key)).map_or(0, String::len)).sum::<usize>());
    }) / PLACEHOLDERS as f64;
    let clone = mean_ns(budget, || drop(black_box(black_box(&step).clone()))) / PLACEHOLDERS as f64;
    let values = setup::values_by_name();
    let rebuild =
        mean_ns(budget, || drop(black_box(setup::rebuild_with(black_box(&step), &values)))) / PLACEHOLDERS as f64;
    let moka = moka::future::Cache::new(100);
    runtime.block_on(async {
        for key in &keys {
            moka.insert(key.clone(), Arc::new(map[key].clone())).await;
        }
    });
    // Async work is timed inside one `block_on`, as criterion's async bencher does: entering the runtime is
    // not part of a lookup.
    let moka_get = runtime.block_on(async {
        async_mean_ns!(budget, {
            for key in &keys {
                black_box(moka.get(black_box(key)).await.map_or(0, |value| value.len()));
            }
        })
    }) / PLACEHOLDERS as f64;
    let get = runtime.block_on(async {
        async_mean_ns!(budget, {
            for (manager, name) in &keys {
                black_box(resolver.get(&identity_plain, manager, name, &VersionSelector::Latest).await.is_ok());
            }
        })
    }) / PLACEHOLDERS as f64;
    let resolve = runtime.block_on(async {
        async_mean_ns!(budget, {
            black_box(resolver.resolve(&identity_plain, black_box(&step)).await.is_ok());
        })
    }) / PLACEHOLDERS as f64;
    let resolve_production = runtime.block_on(async {
        async_mean_ns!(budget, {
            black_box(production.resolve(&identity_production, black_box(&step)).await.is_ok());
        })
    }) / PLACEHOLDERS as f64;
    // Waits for the writer; /dev/null cannot be synced, so the result is an error to ignore.
    let _ = production.auditor().flush();
    let against = |ns: f64| format!("{ns:.0} ns ({:.1}× HashMap)", ns / hashmap);
    summary.row("HashMap lookup, per placeholder", format!("{hashmap:.0} ns"));
    summary.row("moka future cache `get` alone, per placeholder", against(moka_get));
    summary.row("the step's JSON tree cloned and dropped, per placeholder", against(clone));
    summary.row(
        "the step rebuilt with each placeholder's value from a HashMap, and dropped (the floor of a resolver returning a new tree), per placeholder",
        against(rebuild),
    );
    summary.row("cached `get` (access check, cache, audit), per placeholder", against(get));
    summary.row("cached step resolution, 10 placeholders, per placeholder", against(resolve));
    summary.row(
        "the same with access rules (groups, namespaces, allow and deny patterns) and a JSON-lines audit file",
        against(resolve_production),
    );
}

fn two_threads(summary: &mut Summary) {
    let runtime = runtime(2);
    let (resolver, step) = resolver(&runtime, Config::Plain);
    let steps = 20_000;
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (resolver, step) = (resolver.clone(), step.clone());
                tokio::spawn(async move {
                    for _ in 0..steps / 2 {
                        black_box(resolver.resolve(&Identity::default(), &step).await.is_ok());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    let per_second = steps as f64 / started.elapsed().as_secs_f64();
    summary.row(
        "cached step resolution on 2 threads",
        format!("{per_second:.0} steps/s = {:.0} placeholders/s", per_second * PLACEHOLDERS as f64),
    );
}

fn thousand_first_resolutions(summary: &mut Summary) {
    let runtime = runtime(2);
    let mut calls = Vec::new();
    let mut times = Vec::new();
    for _ in 0..5 {
        let source = FakeSource::new(true);
        source.put("db", "value-1234");
        source.set_delay(Duration::from_millis(20));
        let started = Instant::now();
        runtime.block_on(async {
            let resolver =
                Resolver::builder().manager("m", source.clone(), ManagerOptions::default()).build().expect("resolver");
            let step = json!({"password": "${secret:m/db}"});
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let (resolver, step) = (resolver.clone(), step.clone());
                    tokio::spawn(async move { resolver.resolve(&Identity::default(), &step).await.is_ok() })
                })
                .collect();
            for task in tasks {
                assert!(task.await.expect("task"));
            }
        });
        times.push(started.elapsed());
        calls.push(source.gets());
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    summary.row(
        "1,000 concurrent first resolutions, 20 ms backend (5 runs)",
        format!("backend calls per run: {calls:?}; {:.1} ms per run", mean.as_secs_f64() * 1000.0),
    );
}

/// One simulated minute, compressed 60× into one second: TTL 6 s (100 ms), the secret rotates every 15 s
/// (250 ms), the backend takes 1.2 s (20 ms) per call, and a reader resolves the secret every 0.3 s (5 ms).
fn rotating_backend(summary: &mut Summary, refresh_ahead: Duration, label: &str) {
    let runtime = runtime(2);
    let source = FakeSource::new(true);
    source.put("db", "value-0");
    source.set_delay(Duration::from_millis(20));
    let options = CacheOptions {
        expire_after_write: Duration::from_millis(100),
        refresh_ahead,
        jitter: 0.0,
        ..CacheOptions::default()
    };
    let (waited, reads, stale_reads) = runtime.block_on(async {
        let resolver = Resolver::builder()
            .cache(options)
            .manager("m", source.clone(), ManagerOptions::default())
            .build()
            .expect("resolver");
        resolver.get(&Identity::default(), "m", "db", &VersionSelector::Latest).await.expect("warm-up");
        let stop = Arc::new(AtomicBool::new(false));
        let current = Arc::new(AtomicUsize::new(0));
        let rotator = {
            let (source, stop, current) = (source.clone(), stop.clone(), current.clone());
            tokio::spawn(async move {
                let mut version = 0;
                while !stop.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    version += 1;
                    source.put("db", &format!("value-{version}"));
                    current.store(version, Ordering::SeqCst);
                }
            })
        };
        let (mut waited, mut reads, mut stale) = (0, 0, 0);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            let expected = current.load(Ordering::SeqCst);
            let read_started = Instant::now();
            let value = resolver.get(&Identity::default(), "m", "db", &VersionSelector::Latest).await.expect("read");
            if read_started.elapsed() >= Duration::from_millis(15) {
                waited += 1;
            }
            if value.value().expose_text() != Some(format!("value-{expected}").as_str()) {
                stale += 1;
            }
            reads += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.store(true, Ordering::SeqCst);
        let _ = rotator.await;
        source.set_delay(Duration::ZERO);
        (waited, reads, stale)
    });
    summary.row(
        format!("rotating backend, {label}: backend calls per simulated minute"),
        format!(
            "{} get + {} describe; {waited} of {reads} reads waited for the backend; {stale_reads} served a rotated-out version",
            source.gets() - 1,
            source.describes()
        ),
    );
}

fn main() {
    if let Ok(spec) = std::env::var("KEYWAY_RESOLVE_PROFILE") {
        profile::run(&spec);
        return;
    }
    let mut criterion = Criterion::default().measurement_time(Duration::from_secs(3)).configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();

    let mut summary = Summary { rows: Vec::new() };
    per_placeholder(&mut summary);
    two_threads(&mut summary);
    thousand_first_resolutions(&mut summary);
    rotating_backend(&mut summary, Duration::from_millis(40), "refresh-ahead with probe");
    rotating_backend(&mut summary, Duration::ZERO, "plain TTL expiry");
    summary.print();
}
