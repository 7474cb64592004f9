//! Where plugins come from: the ones built into keyway, and a folder of third-party plugins.

use crate::error::KeywayError;
use keyway_runtime::{Plugin, PluginManifest, Runtime};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Loads plugins by name on first use and keeps them loaded.
pub struct PluginRegistry {
    dir: Option<PathBuf>,
    loaded: Mutex<BTreeMap<String, Arc<Plugin>>>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl PluginRegistry {
    /// A registry of the built-in plugins plus those in `dir`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir, loaded: Mutex::new(BTreeMap::new()) }
    }

    /// The names of every available plugin: built-in first, then the folder's.
    pub fn available(&self) -> Vec<String> {
        let mut names: Vec<String> = keyway_plugins::first_party().map(|p| p.name.to_owned()).collect();
        for name in self.folder_plugins() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    fn folder_plugins(&self) -> Vec<String> {
        let Some(dir) = &self.dir else { return Vec::new() };
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names
    }

    /// The plugin `name`, loading it on first use (built-in plugins win over the folder's).
    pub fn get(&self, runtime: &Runtime, name: &str) -> Result<Arc<Plugin>, KeywayError> {
        if let Some(plugin) = self.loaded.lock().ok().and_then(|l| l.get(name).cloned()) {
            return Ok(plugin);
        }
        let plugin = if let Some(built) = keyway_plugins::first_party().find(|p| p.name == name) {
            let manifest = PluginManifest::parse(built.manifest, &format!("built-in plugin '{name}'"))?;
            runtime.load_plugin(manifest, built.wasm)?
        } else if let Some(path) = self.folder_path(name) {
            runtime.load_plugin_file(&path)?
        } else {
            return Err(KeywayError::Config {
                message: format!(
                    "unknown plugin '{name}'; available plugins: {}{}",
                    self.available().join(", "),
                    if self.dir.is_none() { " (set `plugins: {dir: ...}` to add third-party plugins)" } else { "" }
                ),
            });
        };
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(name.to_owned(), plugin.clone());
        }
        Ok(plugin)
    }

    fn folder_path(&self, name: &str) -> Option<PathBuf> {
        let dir: &Path = self.dir.as_deref()?;
        let path = dir.join(format!("{name}.wasm"));
        path.exists().then_some(path)
    }
}
