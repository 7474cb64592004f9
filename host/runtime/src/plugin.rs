//! A loaded plugin: its manifest and pre-instantiated component; [`file`]: a plugin as a file on disk.

pub mod file;

use crate::bindings::SecretProviderPre;
use crate::compile_cache::LoadSource;
use crate::manifest::PluginManifest;
use crate::sandbox::HostState;
use std::time::Duration;

/// A plugin ready to be instantiated for any number of managers.
pub struct Plugin {
    manifest: PluginManifest,
    pub(crate) pre: SecretProviderPre<HostState>,
    source: LoadSource,
    load_time: Duration,
    digest: String,
    size: usize,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub(crate) fn new(
        manifest: PluginManifest,
        pre: SecretProviderPre<HostState>,
        source: LoadSource,
        load_time: Duration,
        size: usize,
        digest: String,
    ) -> Self {
        Self { manifest, pre, source, load_time, digest, size }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The manifest.
    pub fn manifest(&self) -> &PluginManifest {
        &self.manifest
    }

    /// Whether it was compiled now or loaded precompiled.
    pub fn load_source(&self) -> LoadSource {
        self.source
    }

    /// How long loading took.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// SHA-256, hex, of the plugin as it ships: for a plugin file, of the packed file, which covers its
    /// manifest (see [`file::PluginFile::digest`]); for a plugin loaded from bytes, of the component.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Size of the component in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}
