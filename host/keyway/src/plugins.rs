//! Where plugins come from: the ones built into keyway, and a folder of third-party plugins; and what the
//! operator grants the third-party ones.
//!
//! A third-party plugin is `NAME.wasm` in the plugins folder, carrying its manifest (`keyway plugin pack`)
//! or with its manifest `NAME.toml` beside it. Its name must be a plain identifier, the manifest must carry
//! the same name, and it may not take a built-in plugin's name. Its manifest only *requests* egress: the
//! plugin gets it when `plugins.grants.NAME` names its exact content, the SHA-256 of the packed file, which
//! covers the code and the manifest (as `keyway plugin trust FILE.wasm` prints it).

use crate::config::PluginGrant;
use crate::error::KeywayError;
use keyway_runtime::{Plugin, PluginManifest, Runtime};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Loads plugins by name on first use and keeps them loaded.
pub struct PluginRegistry {
    dir: Option<PathBuf>,
    grants: BTreeMap<String, PluginGrant>,
    loaded: Mutex<BTreeMap<String, Arc<Plugin>>>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Whether `name` is a plugin built into keyway.
pub fn is_built_in(name: &str) -> bool {
    keyway_plugins::first_party().any(|plugin| plugin.name == name)
}

/// Checks a plugin's name: letters, digits, `-` and `_`, starting with a letter or digit, at most 64.
pub fn valid_plugin_name(name: &str) -> Result<(), String> {
    let valid = name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "plugin name '{}' must start with a letter or digit and hold only letters, digits, '-' and '_'",
            keyway_runtime::sanitize(name, 64)
        ))
    }
}

impl PluginRegistry {
    /// A registry of the built-in plugins plus those in `dir`, with the operator's `grants`.
    pub fn new(dir: Option<PathBuf>, grants: BTreeMap<String, PluginGrant>) -> Self {
        Self { dir, grants, loaded: Mutex::new(BTreeMap::new()) }
    }

    /// The names of every available plugin: built-in first, then the folder's (those with a usable name).
    pub fn available(&self) -> Vec<String> {
        let mut names: Vec<String> = keyway_plugins::first_party().map(|p| p.name.to_owned()).collect();
        for name in self.folder_plugins() {
            if !names.contains(&name) && valid_plugin_name(&name).is_ok() {
                names.push(name);
            }
        }
        names
    }

    /// Every plugin, loaded, or why it cannot be: built-in first, then each `.wasm` of the folder (one
    /// broken plugin does not hide the others).
    pub fn listing(&self, runtime: &Runtime) -> Vec<(String, Result<Arc<Plugin>, KeywayError>)> {
        let mut listing: Vec<(String, Result<Arc<Plugin>, KeywayError>)> = keyway_plugins::first_party()
            .map(|plugin| (plugin.name.to_owned(), self.get(runtime, plugin.name)))
            .collect();
        for name in self.folder_plugins() {
            let result = if is_built_in(&name) { Err(self.shadowing(&name)) } else { self.get(runtime, &name) };
            listing.push((keyway_runtime::sanitize(&name, 64), result));
        }
        listing
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

    fn shadowing(&self, name: &str) -> KeywayError {
        KeywayError::Config {
            message: format!(
                "the plugin file {}.wasm in {} takes the name of a built-in plugin, which it may not replace; \
                 rename it",
                name,
                self.dir.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default()
            ),
        }
    }

    /// The plugin `name`, loading it on first use. Built-in plugins cannot be replaced by the folder's.
    pub fn get(&self, runtime: &Runtime, name: &str) -> Result<Arc<Plugin>, KeywayError> {
        valid_plugin_name(name).map_err(|message| KeywayError::Config { message })?;
        if let Some(plugin) = self.loaded.lock().ok().and_then(|l| l.get(name).cloned()) {
            return Ok(plugin);
        }
        let plugin = if let Some(built) = keyway_plugins::first_party().find(|p| p.name == name) {
            let manifest = PluginManifest::parse(built.manifest, &format!("built-in plugin '{name}'"))?;
            runtime.load_plugin_of(manifest, built.wasm, built.sha256)?
        } else if let Some(path) = self.folder_path(name) {
            let plugin = runtime.load_plugin_file(&path)?;
            if plugin.name() != name {
                return Err(KeywayError::Config {
                    message: format!(
                        "the manifest of {} names the plugin '{}', not '{name}': a plugin's manifest must carry its \
                         file's name",
                        path.display(),
                        keyway_runtime::sanitize(plugin.name(), 64)
                    ),
                });
            }
            plugin
        } else {
            return Err(self.unknown(name));
        };
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(name.to_owned(), plugin.clone());
        }
        Ok(plugin)
    }

    /// The manifest of plugin `name` without compiling it (a folder plugin's file is read); `None` when there
    /// is no such plugin or its manifest does not parse (loading it says why).
    pub fn manifest(&self, name: &str) -> Option<PluginManifest> {
        valid_plugin_name(name).ok()?;
        if let Some(plugin) = self.loaded.lock().ok().and_then(|l| l.get(name).cloned()) {
            return Some(plugin.manifest().clone());
        }
        if let Some(built) = keyway_plugins::first_party().find(|p| p.name == name) {
            return PluginManifest::parse(built.manifest, &format!("built-in plugin '{name}'")).ok();
        }
        keyway_runtime::PluginFile::read(&self.folder_path(name)?).ok().map(|file| file.manifest)
    }

    /// What egress `manager`'s `plugin` gets beyond its settings' URLs and the manager's own `egress`:
    /// whether its manifest's requests count, and the patterns granted instead. Built-in plugins are
    /// trusted as built; a third-party plugin needs a grant for its exact content.
    pub fn egress_grant(&self, manager: &str, plugin: &Plugin) -> Result<(bool, Vec<String>), KeywayError> {
        let name = plugin.name();
        if is_built_in(name) {
            return Ok((true, Vec::new()));
        }
        let requested = &plugin.manifest().egress;
        match self.grants.get(name) {
            Some(grant) if grant.sha256.trim().eq_ignore_ascii_case(plugin.digest()) => match &grant.egress {
                Some(patterns) => Ok((false, patterns.clone())),
                None => Ok((true, Vec::new())),
            },
            Some(_) => Err(KeywayError::Config {
                message: format!(
                    "manager '{manager}': plugin '{name}' is not the build plugins.grants.{name} was given for (its \
                     SHA-256 is {}); check the new build, then run `keyway plugin trust` on it again",
                    plugin.digest()
                ),
            }),
            None => {
                if !requested.is_empty() {
                    tracing::warn!(
                        manager,
                        plugin = name,
                        requested = ?requested,
                        "the plugin's manifest requests egress that is not granted; grant it with `keyway plugin trust`"
                    );
                }
                Ok((false, Vec::new()))
            }
        }
    }

    /// The error for a plugin that is neither built in nor in the folder: where it was looked for.
    fn unknown(&self, name: &str) -> KeywayError {
        let looked = match &self.dir {
            Some(dir) => format!(
                "it is not built in and there is no {} (plugins.dir)",
                dir.join(format!("{name}.wasm")).display()
            ),
            None => "it is not built in, and no plugins folder is configured (set `plugins: {dir: ...}` to add \
                     third-party plugins)"
                .to_owned(),
        };
        KeywayError::Config {
            message: format!("unknown plugin '{name}': {looked}; available plugins: {}", self.available().join(", ")),
        }
    }

    fn folder_path(&self, name: &str) -> Option<PathBuf> {
        let dir: &Path = self.dir.as_deref()?;
        let path = dir.join(format!("{name}.wasm"));
        path.exists().then_some(path)
    }
}
