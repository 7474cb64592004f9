//! Instruction counts, reproducible where timings are not: with `KEYWAY_RESOLVE_PROFILE=WHAT:N` the benchmark
//! only sets up and runs `N` iterations of one measurement, for `valgrind --tool=callgrind`. The difference
//! between a run with `N` iterations and one with none, divided by `N × 10`, is the count per placeholder.
//!
//! `WHAT` is `hashmap`, `moka`, `clone` (the step's tree), `rebuild` (the step rebuilt with a `HashMap`'s
//! values), `get`, `step` or `step-production` (see [`Config`]).

use crate::setup::{hashmap_of_same_keys, identity, keys, resolver, runtime, Config};
use keyway_types::VersionSelector;
use std::hint::black_box;
use std::sync::Arc;

/// Runs the measurement `spec` names (`WHAT:N`).
pub fn run(spec: &str) {
    let (what, iterations) = spec.split_once(':').unwrap_or((spec, "10000"));
    let iterations: usize = iterations.parse().expect("KEYWAY_RESOLVE_PROFILE=WHAT:ITERATIONS");
    let runtime = runtime(1);
    let keys = keys();
    match what {
        "hashmap" => {
            let map = hashmap_of_same_keys();
            for _ in 0..iterations {
                black_box(keys.iter().map(|key| map.get(black_box(key)).map_or(0, String::len)).sum::<usize>());
            }
        }
        "moka" => {
            let map = hashmap_of_same_keys();
            let moka = moka::future::Cache::new(100);
            runtime.block_on(async {
                for key in &keys {
                    moka.insert(key.clone(), Arc::new(map[key].clone())).await;
                }
                for _ in 0..iterations {
                    for key in &keys {
                        black_box(moka.get(black_box(key)).await.map_or(0, |value| value.len()));
                    }
                }
            });
        }
        "rebuild" => {
            let (step, values) = (crate::setup::step(), crate::setup::values_by_name());
            for _ in 0..iterations {
                drop(black_box(crate::setup::rebuild_with(black_box(&step), &values)));
            }
        }
        "clone" => {
            let step = crate::setup::step();
            for _ in 0..iterations {
                drop(black_box(black_box(&step).clone()));
            }
        }
        "get" => {
            let (resolver, _) = resolver(&runtime, Config::Plain);
            let identity = identity(Config::Plain);
            runtime.block_on(async {
                for _ in 0..iterations {
                    for (manager, name) in &keys {
                        black_box(resolver.get(&identity, manager, name, &VersionSelector::Latest).await.is_ok());
                    }
                }
            });
        }
        "step" | "step-production" => {
            let config = if what == "step" { Config::Plain } else { Config::Production };
            let (resolver, step) = resolver(&runtime, config);
            let identity = identity(config);
            runtime.block_on(async {
                for _ in 0..iterations {
                    black_box(resolver.resolve(&identity, black_box(&step)).await.map(|r| r.secrets()).is_ok());
                }
            });
            // Waits until the writer has serialized every record (/dev/null cannot be synced: ignored).
            let _ = resolver.auditor().flush();
        }
        other => panic!("unknown measurement '{other}': hashmap, moka, clone, rebuild, get, step or step-production"),
    }
}
