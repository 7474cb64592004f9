//! Benchmarks of keyway's plugin runtime, measured side by side in one run and
//! summed up in a table at the end (copied into `host/runtime/README.md`):
//!
//! - `calls`: a contract call (`get` of a 1 KiB value) on a warm instance of the
//!   memory plugin against the same store code (`keyway_plugin_memory::Memory`)
//!   called natively; instantiating the memory plugin (wasmtime alone) and a call
//!   on a fresh instance (instantiate, `open`, call, drop), with the pooling
//!   allocator and with on-demand allocation;
//! - `loading`: a plugin compiled from scratch against one loaded from the
//!   precompiled cache, ten precompiled plugins, and the host's resident memory
//!   (VmRSS) with ten plugins loaded, measured in a fresh process;
//! - `concurrency`: eight concurrent callers on two threads, the instance pool
//!   against an instance per call.
//!
//! Run: `cargo bench -p keyway-runtime --bench runtime` (add `-- --quick` for a shorter run).

#[path = "runtime/calls.rs"]
mod calls;
#[path = "runtime/concurrency.rs"]
mod concurrency;
#[path = "runtime/loading.rs"]
mod loading;

use criterion::Criterion;
use keyway_runtime::{Connection, ConnectionConfig, Plugin, PluginManifest, Runtime, RuntimeConfig};
use keyway_types::{SecretValue, WriteOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The name of the benchmarked secret.
const NAME: &str = "bench/value";

/// Every sample of every benchmark: the time per iteration of one batch criterion ran.
static SAMPLES: Mutex<BTreeMap<&'static str, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Records a batch of `iterations` that took `elapsed`, and hands `elapsed` back to criterion.
fn record(name: &'static str, elapsed: Duration, iterations: u64) -> Duration {
    if let Ok(mut samples) = SAMPLES.lock() {
        samples.entry(name).or_default().push(elapsed.as_secs_f64() / iterations.max(1) as f64);
    }
    elapsed
}

/// The median time per iteration (robust against the warm-up batches and a busy machine).
fn median(name: &str) -> Duration {
    let samples = SAMPLES.lock().expect("benchmark results");
    let mut times = samples.get(name).cloned().unwrap_or_default();
    times.sort_by(f64::total_cmp);
    Duration::from_secs_f64(times.get(times.len() / 2).copied().unwrap_or(0.0))
}

/// The benchmarked 1 KiB value.
fn value() -> SecretValue {
    SecretValue::text("k".repeat(1024))
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// The precompiled-plugin cache of the benchmark.
fn cache_dir() -> Option<PathBuf> {
    Some(target_dir().join("keyway-bench-cache"))
}

fn runtime(pooling: bool, reuse_instances: bool, cache_dir: Option<PathBuf>) -> Runtime {
    let config = RuntimeConfig { pooling, reuse_instances, cache_dir, ..RuntimeConfig::default() };
    Runtime::new(config).expect("runtime")
}

fn manifest(name: &str) -> (PluginManifest, &'static [u8]) {
    let built = keyway_plugins::find(name).expect("plugin built into keyway-plugins");
    (PluginManifest::parse(built.manifest, name).expect("manifest"), built.wasm)
}

fn load(runtime: &Runtime, name: &str) -> Arc<Plugin> {
    let (manifest, wasm) = manifest(name);
    runtime.load_plugin(manifest, wasm).expect("plugin loads")
}

fn single_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio")
}

/// A memory manager on `runtime` holding the 1 KiB secret.
fn memory(rt: &tokio::runtime::Runtime, runtime: &Runtime) -> Connection {
    let plugin = load(runtime, "memory");
    rt.block_on(async {
        let conn = runtime.connect(&plugin, "bench", ConnectionConfig::default()).await.expect("connect");
        conn.create(NAME, &value(), &WriteOptions::default()).await.expect("create");
        conn
    })
}

/// Times `iterations` runs of `call` on `rt`.
fn time_calls<F, Fut>(rt: &tokio::runtime::Runtime, iterations: u64, call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let started = Instant::now();
        for _ in 0..iterations {
            call().await;
        }
        started.elapsed()
    })
}

fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

/// Prints the side-by-side table of the run.
fn summary(footprint: &[loading::Footprint]) {
    let (wasm, native) = (median("call/wasm"), median("call/native"));
    let (wasm_missing, native_missing) = (median("call/wasm-missing"), median("call/native-missing"));
    let (inst_pooling, inst_on_demand) = (median("instantiate/pooling"), median("instantiate/on-demand"));
    let warm = median("instance/warm");
    let (fresh_pooling, fresh_on_demand) = (median("instance/fresh-pooling"), median("instance/fresh-on-demand"));
    let (compile, cached, ten) = (median("load/compile"), median("load/cached"), median("load/ten-cached"));
    let (pool, per_call) = (median("concurrent/pool"), median("concurrent/per-call"));
    let gets = concurrency::GETS_PER_ITERATION as u32;
    println!("\n| measurement | figure | compared with |");
    println!("| --- | --- | --- |");
    println!(
        "| get of a 1 KiB value, warm instance | {} | native {}: ×{:.1}, overhead {} (target ≤ 2 µs) |",
        micros(wasm),
        micros(native),
        ratio(wasm, native),
        micros(wasm.saturating_sub(native))
    );
    println!(
        "| get of a missing name, warm instance | {} | native {}: overhead {} |",
        micros(wasm_missing),
        micros(native_missing),
        micros(wasm_missing.saturating_sub(native_missing))
    );
    println!(
        "| instantiation, pooling allocator | {} | on-demand allocator {}: ×{:.1} (target ≤ 10 µs) |",
        micros(inst_pooling),
        micros(inst_on_demand),
        ratio(inst_on_demand, inst_pooling)
    );
    println!(
        "| call on a fresh instance (instantiate, open, call, drop), pooling | {} | warm instance {} |",
        micros(fresh_pooling),
        micros(warm)
    );
    println!(
        "| call on a fresh instance, on-demand allocator | {} | warm instance {} |",
        micros(fresh_on_demand),
        micros(warm)
    );
    println!(
        "| load the memory plugin, compiled from scratch | {} | from the precompiled cache {}: ×{:.0} |",
        millis(compile),
        millis(cached),
        ratio(compile, cached)
    );
    println!(
        "| load ten precompiled plugins ({}) | {} | target ≤ 50 ms |",
        loading::ten_plugins().join(", "),
        millis(ten)
    );
    println!(
        "| 8 callers × 25 gets (local plugin), instance pool | {} per get | instance per call {} per get: ×{:.1} |",
        micros(pool / gets),
        micros(per_call / gets),
        ratio(per_call, pool)
    );
    for step in footprint {
        println!("| {} | {} | {} |", step.label, step.total(), step.split());
    }
}

fn main() {
    if loading::is_footprint_child() {
        loading::print_footprint();
        return;
    }
    loading::warm_cache();
    let footprint = loading::footprint_in_child();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    calls::contract_call(&mut criterion);
    calls::instantiation(&mut criterion);
    loading::loading(&mut criterion);
    concurrency::concurrency(&mut criterion);
    criterion.final_summary();
    summary(&footprint);
}
