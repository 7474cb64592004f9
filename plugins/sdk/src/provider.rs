//! The trait a plugin implements, and its settings.

use keyway_types::error::serde_message_without_values;
use keyway_types::{
    Capabilities, DeleteMode, ListPage, ListRequest, ProviderError, Secret, SecretMetadata, SecretValue, Timestamp,
    UpdateRequest, VersionInfo, VersionSelector, WriteOptions,
};
use serde::de::DeserializeOwned;

/// The result of every provider operation.
pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

/// A manager's settings for this plugin, as the host passes them to [`Provider::open`]: a JSON
/// object already checked against the plugin's manifest (every field declared there, required
/// ones present, each of its declared type). Read them into your own type with [`Settings::parse`].
///
/// Name your own settings type something other than `Settings` (`Config`, say): the prelude
/// imports this one, and `open` takes it.
#[derive(Clone)]
pub struct Settings {
    raw: serde_json::Value,
}

impl Settings {
    /// Wraps settings given as JSON text (the host's form; also handy in a plugin's unit tests).
    ///
    /// ```
    /// use keyway_plugin_sdk::Settings;
    ///
    /// let settings = Settings::from_json(r#"{"url": "https://vault.acme.example"}"#)?;
    /// assert_eq!(settings.as_json()["url"], "https://vault.acme.example");
    /// assert!(Settings::from_json("not json").is_err());
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        let raw = serde_json::from_str(text)
            .map_err(|err| ProviderError::Configuration(format!("settings are not a JSON object: {err}")))?;
        Ok(Self { raw })
    }

    /// Deserializes the settings into the plugin's own type; use
    /// `#[serde(deny_unknown_fields)]` on it so typos are reported. The error never quotes a
    /// setting's value (it may be a credential).
    ///
    /// ```
    /// use keyway_plugin_sdk::{ErrorKind, Settings};
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(deny_unknown_fields)]
    /// struct Config {
    ///     url: String,
    ///     #[serde(default)]
    ///     page_size: Option<i64>,
    /// }
    ///
    /// let config: Config = Settings::from_json(r#"{"url": "https://vault.acme.example"}"#)?.parse()?;
    /// assert_eq!((config.url.as_str(), config.page_size), ("https://vault.acme.example", None));
    ///
    /// let typo = Settings::from_json(r#"{"ulr": "https://vault.acme.example"}"#)?.parse::<Config>();
    /// let error = typo.err().expect("an unknown field");
    /// assert_eq!(error.kind(), ErrorKind::Configuration);
    /// assert!(error.message().contains("unknown field `ulr`"));
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.raw).map_err(|err| {
            ProviderError::Configuration(format!(
                "invalid settings: {}",
                serde_message_without_values(&err.to_string())
            ))
        })
    }

    /// The raw JSON value.
    ///
    /// ```
    /// let settings = keyway_plugin_sdk::Settings::from_json(r#"{"page_size": 50}"#)?;
    /// assert_eq!(settings.as_json()["page_size"].as_u64(), Some(50));
    /// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
    /// ```
    pub fn as_json(&self) -> &serde_json::Value {
        &self.raw
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Settings can hold credentials: show only the field names.
        let keys: Vec<&str> = self.raw.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        f.debug_struct("Settings").field("fields", &keys).finish()
    }
}

/// A secret backend. Every operation but [`Provider::open`] and
/// [`Provider::capabilities`] has a default body answering `unsupported`;
/// implement the ones you declare in [`Capabilities`].
///
/// One value serves one manager; the host may open several per manager to
/// serve concurrent calls, so keep shared state in the backend.
///
/// Errors are [`ProviderError`]s: `not-found` for a missing secret (never for an answer the plugin
/// cannot read), `unsupported` for what the plugin does not do, and the error for a backend's HTTP
/// answer from [`Response::to_error`](crate::http::Response::to_error) or
/// [`failures::failure`](crate::failures::failure).
///
/// ```
/// use keyway_plugin_sdk::prelude::*;
/// use keyway_plugin_sdk::ErrorKind;
/// use std::collections::BTreeMap;
///
/// /// A read-only provider over a fixed map (a real one asks its backend).
/// struct Fixed(BTreeMap<String, String>);
///
/// impl Provider for Fixed {
///     fn open(settings: Settings) -> Result<Self> {
///         Ok(Fixed(settings.parse()?))
///     }
///
///     fn capabilities(&self) -> Capabilities {
///         Capabilities { read: true, list: true, ..Capabilities::default() }
///     }
///
///     fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
///         if *selector != VersionSelector::Latest {
///             return Err(ProviderError::Unsupported("no versions".into()));
///         }
///         let value = self.0.get(name).ok_or_else(|| ProviderError::not_found(name))?;
///         Ok(Secret { value: SecretValue::text(value.clone()), metadata: SecretMetadata::named(name) })
///     }
///
///     fn list(&self, request: &ListRequest) -> Result<ListPage> {
///         let secrets = self.0.keys().map(SecretMetadata::named).filter(|m| request.matches(m)).collect();
///         Ok(ListPage { secrets, next_page: None })
///     }
/// }
///
/// let fixed = Fixed::open(Settings::from_json(r#"{"db": "s3cr3t"}"#)?)?;
/// assert_eq!(fixed.get("db", &VersionSelector::Latest)?.value, SecretValue::text("s3cr3t"));
/// assert_eq!(fixed.describe("nope", &VersionSelector::Latest).err().map(|e| e.kind()), Some(ErrorKind::NotFound));
/// assert!(fixed.create("db", SecretValue::text("x"), &WriteOptions::default()).is_err(), "unsupported");
/// # Ok::<(), ProviderError>(())
/// ```
pub trait Provider: Sized + 'static {
    /// Opens a connection from the manager's settings.
    fn open(settings: Settings) -> Result<Self>;

    /// What this connection supports.
    fn capabilities(&self) -> Capabilities;

    /// Reads a secret's value and metadata.
    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        let _ = (name, selector);
        Err(ProviderError::unsupported("get"))
    }

    /// Reads several secrets' latest versions; one result per name, in order.
    fn get_many(&self, names: &[String]) -> Vec<Result<Secret>> {
        names.iter().map(|name| self.get(name, &VersionSelector::Latest)).collect()
    }

    /// Reads metadata only. The default reads the whole secret and drops the
    /// value; override it when the backend has a cheaper call, and declare `probe`.
    fn describe(&self, name: &str, selector: &VersionSelector) -> Result<SecretMetadata> {
        self.get(name, selector).map(|secret| secret.metadata)
    }

    /// Creates a secret, or a new version of an existing one with `overwrite`.
    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        let _ = (name, value, options);
        Err(ProviderError::unsupported("create"))
    }

    /// Changes a secret's value (as a new version) and/or attributes.
    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        let _ = (name, request);
        Err(ProviderError::unsupported("update"))
    }

    /// Deletes a secret; returns when a recoverable deletion becomes permanent.
    fn delete(&self, name: &str, mode: DeleteMode) -> Result<Option<Timestamp>> {
        let _ = (name, mode);
        Err(ProviderError::unsupported("delete"))
    }

    /// Recovers a deleted secret.
    fn restore(&self, name: &str) -> Result<SecretMetadata> {
        let _ = name;
        Err(ProviderError::unsupported("restore"))
    }

    /// Lists secrets' metadata, one page at a time.
    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        let _ = request;
        Err(ProviderError::unsupported("list"))
    }

    /// Lists a secret's versions, newest first.
    fn versions(&self, name: &str) -> Result<Vec<VersionInfo>> {
        let _ = name;
        Err(ProviderError::unsupported("versions"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Backend {
        password: String,
    }

    #[test]
    fn settings_errors_never_quote_a_value() -> Result<()> {
        assert_eq!(Settings::from_json(r#"{"password": "x"}"#)?.parse::<Backend>()?.password, "x");
        let err = Settings::from_json(r#"{"password": 987654321}"#)?.parse::<Backend>().expect_err("a number");
        assert_eq!(err.kind(), keyway_types::ErrorKind::Configuration);
        assert!(err.message().contains("invalid type: expected a string") && !err.message().contains("987654321"));
        let err = Settings::from_json(r#"{"pasword": "x"}"#)?.parse::<Backend>().expect_err("a typo");
        assert!(err.message().contains("unknown field `pasword`"), "{err}");
        assert!(!format!("{:?}", Settings::from_json(r#"{"password": "hunter2"}"#)?).contains("hunter2"));
        Ok(())
    }
}
