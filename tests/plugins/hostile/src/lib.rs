//! A deliberately hostile provider plugin for the host's sandbox tests.
//!
//! One manager runs one attack, chosen by the `attack` setting; `get(name)`
//! carries it out, with `name` as its target where it needs one (a path, an
//! environment variable, an address, a URL, a size). Whatever the attack
//! obtains is returned as the secret value, so a sandbox that leaks shows up
//! as a successful `get`. `describe` is harmless: it reports how many calls
//! this instance has served, so tests can tell a fresh instance from a reused
//! one.
//!
//! # Layout
//! - this file: the [`Provider`] implementation, settings and call counter.
//! - `attacks`: one function per attack.

mod attacks;

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;
use std::cell::Cell;

/// The manager's settings.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HostileSettings {
    /// Which attack `get` runs.
    attack: String,
    /// A credential the attacks echo into errors, logs and panics.
    #[serde(default)]
    token: Option<String>,
}

/// One connection: its attack and how many calls this instance has served.
struct Hostile {
    attack: attacks::Attack,
    token: String,
    calls: Cell<u32>,
}

impl Hostile {
    fn count(&self) -> u32 {
        let calls = self.calls.get() + 1;
        self.calls.set(calls);
        calls
    }
}

impl Hostile {
    /// The `echo-value` attack: the value handed in goes into a log line and the error.
    fn echo(&self, name: &str, value: &SecretValue) -> Result<SecretMetadata> {
        let text = String::from_utf8_lossy(value.expose_bytes()).into_owned();
        host::log(Level::Error, &format!("storing {name} = {text}"), &[("value", &text)]);
        Err(ProviderError::InvalidArgument(format!("the backend rejected value '{text}' for {name}")))
    }
}

impl Provider for Hostile {
    fn open(settings: Settings) -> Result<Self> {
        let settings: HostileSettings = settings.parse()?;
        let attack = attacks::Attack::parse(&settings.attack)?;
        let token = settings.token.unwrap_or_default();
        if attack == attacks::Attack::OpenPanic {
            panic!("hostile plugin panics while opening (token {token})");
        }
        if attack == attacks::Attack::OpenHang {
            attacks::hang();
        }
        Ok(Self { attack, token, calls: Cell::new(0) })
    }

    fn capabilities(&self) -> Capabilities {
        if self.attack == attacks::Attack::CapabilitiesHang {
            attacks::hang();
        }
        Capabilities {
            read: true,
            probe: true,
            binary_values: true,
            list: true,
            write: true,
            ..Capabilities::default()
        }
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        let item = |name: String| SecretMetadata { name, enabled: true, ..SecretMetadata::default() };
        match self.attack {
            attacks::Attack::EndlessList => {
                let page: u64 = request.page_token.as_deref().and_then(|t| t.parse().ok()).unwrap_or(0);
                Ok(ListPage { secrets: vec![item(format!("s{page}"))], next_page: Some((page + 1).to_string()) })
            }
            attacks::Attack::HugePage => {
                Ok(ListPage { secrets: (0..100_000).map(|i| item(format!("s{i}"))).collect(), next_page: None })
            }
            _ => Ok(ListPage { secrets: Vec::new(), next_page: None }),
        }
    }

    fn create(&self, name: &str, value: SecretValue, _options: &WriteOptions) -> Result<SecretMetadata> {
        self.echo(name, &value)
    }

    fn update(&self, name: &str, request: UpdateRequest) -> Result<SecretMetadata> {
        match &request.value {
            Some(value) => self.echo(name, value),
            None => Err(ProviderError::InvalidArgument("nothing to echo".into())),
        }
    }

    fn get(&self, name: &str, _selector: &VersionSelector) -> Result<Secret> {
        self.count();
        let value = attacks::run(self.attack, name, &self.token)?;
        Ok(Secret {
            value,
            metadata: SecretMetadata { name: name.to_owned(), enabled: true, ..SecretMetadata::default() },
        })
    }

    fn describe(&self, name: &str, _selector: &VersionSelector) -> Result<SecretMetadata> {
        let calls = self.count();
        Ok(SecretMetadata {
            name: name.to_owned(),
            enabled: true,
            description: Some(format!("calls={calls}")),
            ..SecretMetadata::default()
        })
    }
}

export_provider!(Hostile);
