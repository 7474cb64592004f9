//! Finding and reading the configuration file.

use super::Config;
use crate::error::KeywayError;
use std::path::{Path, PathBuf};

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// No file: one manager `local` on the embedded encrypted store.
    BuiltInDefault,
}

/// keyway's home folder: `$KEYWAY_HOME`, else `<user data dir>/keyway`, else `./.keyway`.
pub fn default_home() -> PathBuf {
    if let Some(home) = std::env::var_os("KEYWAY_HOME") {
        return PathBuf::from(home);
    }
    dirs::data_dir().map(|dir| dir.join("keyway")).unwrap_or_else(|| PathBuf::from(".keyway"))
}

/// The configuration file to use: `explicit`, else `$KEYWAY_CONFIG`, else `./keyway.yaml`,
/// else `<user config dir>/keyway/keyway.yaml`; `None` when there is none.
pub fn find_config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("KEYWAY_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let local = PathBuf::from("keyway.yaml");
    if local.exists() {
        return Some(local);
    }
    dirs::config_dir().map(|dir| dir.join("keyway/keyway.yaml")).filter(|path| path.exists())
}

impl Config {
    /// The configuration with no file: one manager `local` on the embedded store, the default manager.
    pub fn built_in_default() -> Self {
        Self {
            default_manager: Some("local".into()),
            managers: [("local".to_owned(), super::ManagerConfig::built_in_local())].into(),
            ..Self::default()
        }
    }

    /// Reads a YAML (or, by extension, TOML) file.
    pub fn from_file(path: &Path) -> Result<Self, KeywayError> {
        let text = std::fs::read_to_string(path).map_err(|err| KeywayError::Config {
            message: format!("cannot read configuration file {}: {err}", path.display()),
        })?;
        let is_toml = path.extension().is_some_and(|ext| ext == "toml");
        let parsed = if is_toml { Self::from_toml(&text) } else { Self::from_yaml(&text) };
        parsed.map_err(|err| KeywayError::Config { message: format!("{}: {err}", path.display()) })
    }

    /// Parses YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        serde_yaml::from_str(text).map_err(|err| err.to_string())
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|err| err.to_string())
    }

    /// Loads the configuration `find_config_file` picks, or the built-in default.
    pub fn load(explicit: Option<&Path>) -> Result<(Self, ConfigSource), KeywayError> {
        match find_config_file(explicit) {
            Some(path) => Ok((Self::from_file(&path)?, ConfigSource::File(path))),
            None => Ok((Self::built_in_default(), ConfigSource::BuiltInDefault)),
        }
    }

    /// The home folder: the file's `home`, else [`default_home`].
    pub fn home(&self) -> PathBuf {
        self.home.clone().unwrap_or_else(default_home)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_manager() {
        let config = Config::from_yaml(
            r#"
default_manager: mem
cache: { max-entries: 100, expire-after-write: 1m }
managers:
  mem:
    plugin: memory
    settings: { page_size: 10 }
    prefix: "team/"
    default_tags: { owner: ops }
    read_only: true
    visible: { prefixes: ["db/"], tags: { env: prod } }
    egress: ["example.com"]
    access: { namespaces: [company.team], deny: ["*admin*"] }
    limits: { timeout_ms: 500, memory_mib: 32 }
"#,
        )
        .expect("valid configuration");
        let mem = &config.managers["mem"];
        assert_eq!(mem.plugin, "memory");
        assert_eq!(mem.prefix.as_deref(), Some("team/"));
        assert!(mem.read_only);
        assert_eq!(mem.limits.timeout_ms, Some(500));
        assert_eq!(config.cache.max_entries, 100);
    }

    #[test]
    fn a_configuration_file_keeps_the_built_in_local_manager_unless_told_otherwise() {
        let config = Config::from_yaml("managers:\n  m:\n    plugin: memory\n").expect("config");
        let managers = config.effective_managers();
        assert_eq!(managers.keys().collect::<Vec<_>>(), ["local", "m"]);
        assert_eq!(managers["local"].plugin, "local");
        let off = Config::from_yaml("builtin_local: false\nmanagers:\n  m:\n    plugin: memory\n").expect("config");
        assert_eq!(off.effective_managers().keys().collect::<Vec<_>>(), ["m"]);
        let redefined =
            Config::from_yaml("managers:\n  local:\n    plugin: local\n    read_only: true\n").expect("config");
        assert!(redefined.effective_managers()["local"].read_only, "a definition of `local` wins");
    }

    #[test]
    fn unknown_fields_are_named() {
        let err = Config::from_yaml("managers:\n  m:\n    plugin: memory\n    prefx: a\n").expect_err("typo");
        assert!(err.contains("unknown field `prefx`"), "{err}");
    }
}
