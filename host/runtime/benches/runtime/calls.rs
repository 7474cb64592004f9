//! Contract calls on warm instances against native calls, and the cost of a fresh instance.

use super::{cache_dir, memory, record, runtime, single_thread, time_calls, value, NAME};
use criterion::Criterion;
use keyway_plugin_memory::Memory;
use keyway_plugin_sdk::{Provider, Settings};
use keyway_types::{VersionSelector, WriteOptions};
use std::hint::black_box;
use std::time::Instant;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

/// `get` of the 1 KiB value and of a missing name: the memory plugin on a warm instance,
/// and the same `Memory` store code called natively.
pub fn contract_call(c: &mut Criterion) {
    let rt = single_thread();
    let runtime = runtime(true, true, cache_dir());
    let conn = memory(&rt, &runtime);
    let native = Memory::open(Settings::from_json("{}").expect("settings")).expect("open natively");
    native.create(NAME, value(), &WriteOptions::default()).expect("create natively");

    let mut group = c.benchmark_group("contract call: get");
    for (key, label, name) in [("call/wasm", "1 KiB value, wasm", NAME), ("call/wasm-missing", "missing, wasm", "x")] {
        group.bench_function(label, |b| {
            b.iter_custom(|n| {
                let elapsed = time_calls(&rt, n, || async {
                    black_box(conn.get(name, &VersionSelector::Latest).await.map_err(|e| e.kind()).ok());
                });
                record(key, elapsed, n)
            })
        });
    }
    for (key, label, name) in
        [("call/native", "1 KiB value, native", NAME), ("call/native-missing", "missing, native", "x")]
    {
        group.bench_function(label, |b| {
            b.iter_custom(|n| {
                let started = Instant::now();
                for _ in 0..n {
                    black_box(native.get(black_box(name), &VersionSelector::Latest).ok());
                }
                record(key, started.elapsed(), n)
            })
        });
    }
    group.finish();
}

/// The host state an instance gets, as in the runtime's sandbox: a WASI context granting nothing.
struct Bare {
    _wasi: WasiCtx,
    _table: ResourceTable,
}

/// The memory plugin pre-instantiated on `engine` with every import a host function that
/// traps: instantiation costs the same as with the real host functions, which no guest code
/// reaches while instantiating. This is what wasmtime does per instance, without the runtime.
fn bare_pre(engine: &wasmtime::Engine) -> InstancePre<Bare> {
    let (_, wasm) = super::manifest("memory");
    let component = Component::new(engine, wasm).expect("compile");
    let mut linker = Linker::new(engine);
    linker.define_unknown_imports_as_traps(&component).expect("stubs");
    linker.instantiate_pre(&component).expect("pre-instantiate")
}

async fn instantiate_bare(engine: &wasmtime::Engine, pre: &InstancePre<Bare>) {
    let mut wasi = WasiCtxBuilder::new();
    wasi.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
    let mut store = Store::new(engine, Bare { _wasi: wasi.build(), _table: ResourceTable::new() });
    store.set_epoch_deadline(1);
    store.epoch_deadline_async_yield_and_update(1);
    black_box(pre.instantiate_async(&mut store).await.expect("instantiate"));
}

/// Instantiation alone (wasmtime, the runtime's engine settings), and a call on a fresh instance
/// per call (instantiate, `open`, `get`, drop) against the same call on a warm instance.
pub fn instantiation(c: &mut Criterion) {
    let rt = single_thread();
    let mut group = c.benchmark_group("instantiation");
    for (key, label, pooling) in
        [("instantiate/pooling", "pooling allocator", true), ("instantiate/on-demand", "on-demand allocator", false)]
    {
        let runtime = runtime(pooling, true, None);
        let pre = bare_pre(runtime.engine());
        group.bench_function(format!("instantiate the memory plugin, {label}"), |b| {
            b.iter_custom(|n| record(key, time_calls(&rt, n, || instantiate_bare(runtime.engine(), &pre)), n))
        });
    }
    let cases = [
        ("instance/warm", "get (missing) on a warm instance", true, true),
        ("instance/fresh-pooling", "get (missing) on a fresh instance, pooling allocator", true, false),
        ("instance/fresh-on-demand", "get (missing) on a fresh instance, on-demand allocator", false, false),
    ];
    for (key, label, pooling, reuse) in cases {
        let runtime = runtime(pooling, reuse, cache_dir());
        let conn = memory(&rt, &runtime);
        group.bench_function(label, |b| {
            b.iter_custom(|n| {
                let elapsed = time_calls(&rt, n, || async {
                    black_box(conn.get("missing", &VersionSelector::Latest).await.map_err(|e| e.kind()).ok());
                });
                record(key, elapsed, n)
            })
        });
    }
    group.finish();
}
