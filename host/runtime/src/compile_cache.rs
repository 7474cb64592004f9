//! Precompiled plugin artifacts on disk.
//!
//! Compiling a component with Cranelift takes seconds; loading its
//! precompiled artifact takes about a millisecond. Artifacts are keyed by the
//! SHA-256 of the component's bytes and by the engine's compatibility hash
//! (wasmtime version and settings), so a changed plugin or engine never loads
//! a stale artifact.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Where artifacts live.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// Compiled now (and stored, when a cache is configured).
    Compiled,
    /// Loaded from a precompiled artifact.
    Precompiled,
}

impl CompileCache {
    /// A cache in `dir`, created on first store.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The artifact path for `wasm` on `engine`.
    pub fn artifact_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut engine_hash);
        let mut digest = Sha256::new();
        digest.update(wasm);
        digest.update(engine_hash.finish().to_le_bytes());
        digest.update(env!("CARGO_PKG_VERSION").as_bytes());
        self.dir.join(format!("{}.cwasm", hex::encode(digest.finalize())))
    }

    /// Loads the artifact for `wasm`, or compiles it and stores the artifact.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<(Component, LoadSource)> {
        let path = self.artifact_path(engine, wasm);
        if path.exists() {
            // SAFETY: the file is an artifact this cache wrote with `Component::serialize`
            // under a name derived from the component's hash and the engine's compatibility
            // hash; wasmtime also checks the engine compatibility header when loading.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, LoadSource::Precompiled)),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "discarding unusable precompiled plugin")
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(err) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), error = %err, "cannot store precompiled plugin; it will be compiled again next time");
        }
        Ok((component, LoadSource::Compiled))
    }

    fn store(&self, path: &Path, component: &Component) -> std::io::Result<()> {
        let bytes = component.serialize().map_err(|err| std::io::Error::other(err.to_string()))?;
        std::fs::create_dir_all(&self.dir)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}
