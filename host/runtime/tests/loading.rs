//! Loading a plugin by the digest it was built with: from the precompiled cache without reading the
//! component, and never under a digest that is not the component's.

use keyway_runtime::{LoadSource, PluginManifest, Runtime, RuntimeConfig};
use std::path::PathBuf;

/// A fresh cache folder under the target directory, removed when dropped.
struct CacheDir(PathBuf);

impl CacheDir {
    fn new(label: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("keyway-runtime-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cache folder");
        Self(dir)
    }

    fn runtime(&self) -> Runtime {
        Runtime::new(RuntimeConfig { cache_dir: Some(self.0.clone()), ..RuntimeConfig::default() }).expect("runtime")
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_plugin_named_by_its_build_digest_loads_precompiled_and_a_wrong_digest_is_refused() {
    let built = keyway_plugins::find("memory").expect("the memory plugin is built with the workspace");
    let manifest = PluginManifest::parse(built.manifest, "memory").expect("manifest");
    assert_eq!(built.sha256.len(), 64, "the build records each plugin's SHA-256");
    let cache = CacheDir::new("digest");

    let wrong = "0".repeat(64);
    let refused = cache.runtime().load_plugin_of(manifest.clone(), built.wasm, &wrong).expect_err("wrong digest");
    assert!(refused.to_string().contains("SHA-256"), "{refused}");

    let first = cache.runtime().load_plugin_of(manifest.clone(), built.wasm, built.sha256).expect("loads");
    assert_eq!((first.load_source(), first.digest()), (LoadSource::Compiled, built.sha256));
    let again = cache.runtime().load_plugin_of(manifest.clone(), built.wasm, built.sha256).expect("loads");
    assert_eq!(again.load_source(), LoadSource::Precompiled);
    // Loading by content finds the same artifact, under the same digest.
    let by_content = cache.runtime().load_plugin(manifest, built.wasm).expect("loads");
    assert_eq!((by_content.load_source(), by_content.digest()), (LoadSource::Precompiled, built.sha256));
}
