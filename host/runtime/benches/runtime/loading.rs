//! Loading plugins (compiled from scratch or precompiled) and the host's resident memory.

use super::{cache_dir, load, memory, record, runtime, single_thread};
use criterion::{Criterion, SamplingMode};
use keyway_runtime::{Connection, Plugin};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// Set in the child process that measures resident memory.
const FOOTPRINT_CHILD: &str = "KEYWAY_BENCH_FOOTPRINT";

/// Ten plugin loads: the first ten plugins built here (again from the first if there are fewer).
pub fn ten_plugins() -> Vec<&'static str> {
    keyway_plugins::ALL.iter().map(|p| p.name).cycle().take(10).collect()
}

/// Compiles every plugin into the benchmark's cache, so that loads from it are loads of precompiled artifacts.
pub fn warm_cache() {
    let cached = runtime(true, true, cache_dir());
    ten_plugins().iter().for_each(|name| drop(load(&cached, name)));
}

/// One plugin compiled from scratch against the same from the cache, and ten precompiled plugins.
pub fn loading(c: &mut Criterion) {
    let cached = runtime(true, true, cache_dir());
    let uncached = runtime(true, true, None);
    let mut group = c.benchmark_group("loading the memory plugin");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.bench_function("compiled from scratch (Cranelift)", |b| {
        b.iter_custom(|n| {
            let started = Instant::now();
            for _ in 0..n {
                black_box(load(&uncached, "memory"));
            }
            record("load/compile", started.elapsed(), n)
        })
    });
    group.finish();
    let mut group = c.benchmark_group("loading precompiled plugins");
    group.bench_function("the memory plugin", |b| {
        b.iter_custom(|n| {
            let started = Instant::now();
            for _ in 0..n {
                black_box(load(&cached, "memory"));
            }
            record("load/cached", started.elapsed(), n)
        })
    });
    group.sample_size(20);
    group.bench_function("ten plugins", |b| {
        b.iter_custom(|n| {
            let started = Instant::now();
            for _ in 0..n {
                black_box(ten_plugins().iter().map(|name| load(&cached, name)).collect::<Vec<_>>());
            }
            record("load/ten-cached", started.elapsed(), n)
        })
    });
    group.finish();
}

/// The resident memory at one step, in KiB: total, anonymous and file-backed (`/proc/self/status`).
pub struct Footprint {
    /// The step.
    pub label: String,
    total: u64,
    anon: u64,
    file: u64,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

impl Footprint {
    fn now(label: &str) -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|line| line.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        Some(Self { label: label.into(), total: field("VmRSS:")?, anon: field("RssAnon:")?, file: field("RssFile:")? })
    }

    /// VmRSS.
    pub fn total(&self) -> String {
        mib(self.total)
    }

    /// Anonymous and file-backed parts.
    pub fn split(&self) -> String {
        format!("anonymous {}, file-backed {}", mib(self.anon), mib(self.file))
    }
}

/// Whether this process is the child that measures resident memory.
pub fn is_footprint_child() -> bool {
    std::env::var_os(FOOTPRINT_CHILD).is_some()
}

/// In the child: a runtime, ten precompiled plugins, then ten warm memory-plugin instances,
/// printing VmRSS after each step (one tab-separated line each).
pub fn print_footprint() {
    let mut steps = vec![Footprint::now("VmRSS, process started")];
    let runtime = runtime(true, true, cache_dir());
    steps.push(Footprint::now("VmRSS, runtime created (engine, pooling allocator reserved)"));
    let plugins: Vec<Arc<Plugin>> = ten_plugins().iter().map(|name| load(&runtime, name)).collect();
    steps.push(Footprint::now("VmRSS, ten plugins loaded from the cache"));
    let rt = single_thread();
    let connections: Vec<Connection> = (0..10).map(|_| memory(&rt, &runtime)).collect();
    steps.push(Footprint::now("VmRSS, plus ten managers with a warm memory-plugin instance each"));
    for step in steps.into_iter().flatten() {
        println!("{}\t{}\t{}\t{}", step.label, step.total, step.anon, step.file);
    }
    drop((connections, plugins));
}

/// Runs [`print_footprint`] in a fresh process (so nothing this process compiled or benchmarked
/// counts) and reads its lines.
pub fn footprint_in_child() -> Vec<Footprint> {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = std::process::Command::new(exe).env(FOOTPRINT_CHILD, "1").output().expect("footprint process");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let label = parts.next()?.to_owned();
            let mut number = || parts.next()?.parse().ok();
            Some(Footprint { label, total: number()?, anon: number()?, file: number()? })
        })
        .collect()
}
