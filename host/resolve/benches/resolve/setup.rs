//! What the benchmarks resolve: ten secrets, a step using each once, the resolvers that read them, and the
//! `HashMap` holding the same keys.

use crate::common::FakeSource;
use keyway_resolve::{AccessPolicy, Auditor, Identity, ManagerOptions, Resolver};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Placeholders in the benchmark step.
pub const PLACEHOLDERS: usize = 10;

/// The secrets' names.
pub fn names() -> Vec<String> {
    (0..PLACEHOLDERS).map(|i| format!("app/secret-{i}")).collect()
}

/// A multi-threaded tokio runtime with `threads` workers.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().expect("runtime")
}

/// How the resolver is configured.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// An open manager, audit records to tracing only (no subscriber listens).
    Plain,
    /// Access rules (groups, namespaces, allow and deny patterns) and a JSON-lines audit file, which is
    /// `/dev/null`: the records are built, sent and serialized, but no disk is measured.
    Production,
}

/// The identity resolving the step under `config`.
pub fn identity(config: Config) -> Identity {
    match config {
        Config::Plain => Identity::default(),
        Config::Production => Identity {
            namespace: Some("company.team.etl".into()),
            groups: vec!["analysts".into(), "etl".into()],
            flow: Some("nightly-load".into()),
            step: Some("extract".into()),
            ..Identity::default()
        },
    }
}

/// A resolver over a backend holding the ten secrets, and a step using each once, already resolved once so
/// every secret is cached.
pub fn resolver(runtime: &tokio::runtime::Runtime, config: Config) -> (Resolver, Value) {
    let source = FakeSource::new(true);
    for name in names() {
        source.put(&name, &format!("value-of-{name}"));
    }
    let resolver = runtime.block_on(async {
        let mut options = ManagerOptions::default();
        let mut builder = Resolver::builder();
        if config == Config::Production {
            options.access = AccessPolicy {
                groups: vec!["etl".into()],
                namespaces: vec!["company.team".into()],
                allow: vec!["app".into(), "app/**".into()],
                deny: vec!["app/admin/*".into(), "**/root".into()],
            };
            builder = builder.auditor(Auditor::to_file(std::path::Path::new("/dev/null")).expect("audit sink"));
        }
        builder.manager("m", source, options).build().expect("resolver")
    });
    let step = step();
    runtime.block_on(resolver.resolve(&identity(config), &step)).expect("warm-up");
    (resolver, step)
}

/// `{"headers": {"field0": "${secret:m/app/secret-0}", …}}`.
pub fn step() -> Value {
    let fields: serde_json::Map<String, Value> = names()
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("field{i}"), json!(format!("${{secret:m/{name}}}"))))
        .collect();
    json!({ "headers": fields })
}

/// The (manager, name) keys of the ten secrets.
pub fn keys() -> Vec<(String, String)> {
    names().into_iter().map(|name| ("m".to_owned(), name)).collect()
}

/// A plain `HashMap` holding the same keys and values.
pub fn hashmap_of_same_keys() -> HashMap<(String, String), String> {
    keys().into_iter().map(|key| (key.clone(), format!("value-of-{}", key.1))).collect()
}

/// The floor of any resolver that returns a new tree: `step` rebuilt with each whole-string placeholder of
/// manager `m` replaced by its value from `values` (by name, borrowed), everything else copied. No cache
/// policy, access rules, audit, masking or zeroizing.
pub fn rebuild_with(step: &Value, values: &HashMap<String, String>) -> Value {
    match step {
        Value::String(text) => {
            let name = text.strip_prefix("${secret:m/").and_then(|rest| rest.strip_suffix('}'));
            Value::String(name.and_then(|name| values.get(name)).unwrap_or(text).clone())
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| rebuild_with(item, values)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(key, item)| (key.clone(), rebuild_with(item, values))).collect())
        }
        other => other.clone(),
    }
}

/// The values by name, for [`rebuild_with`].
pub fn values_by_name() -> HashMap<String, String> {
    names().into_iter().map(|name| (name.clone(), format!("value-of-{name}"))).collect()
}
