//! Who may call keyway's front ends: [`ClientRegistry`] holds each configured [`Client`] with its
//! credentials (bearer-token digests, Unix uids) and the [`Scope`] of identities it may assert.
//!
//! A front end authenticates the connection or request to a client, then [`Client::bind`]s the identity the
//! request asserts: an identity outside the client's scope is refused, one inside it is stamped with the
//! client's name and the peer, which every audit record then carries.
//!
//! # Layout
//! - `scope`: [`Scope`], the namespaces and groups a client may assert, and [`OutOfScope`].
//! - `token`: token files (the generated one of the built-in client, and configured ones) and digests.

mod scope;
mod token;

pub use scope::{OutOfScope, Scope};
pub use token::{digest, ensure_token_file, read_token_file, TokenDigest, MIN_TOKEN_LEN};

use crate::config::{interpolate, ClientConfig, ServeConfig};
use crate::error::KeywayError;
use keyway_resolve::Identity;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The name of the client keyway makes when none is configured.
pub const BUILT_IN_CLIENT: &str = "local";

/// One client of a front end: a name, the identities it may assert, what it may ask for.
#[derive(Debug)]
pub struct Client {
    name: String,
    scope: Scope,
    reveal: bool,
}

impl Client {
    /// The client's name, as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The identities the client may assert.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether the client may have resolved values revealed to it.
    pub fn may_reveal(&self) -> bool {
        self.reveal
    }

    /// The identity a request of this client acts as: what it asserted, if the client's scope admits it,
    /// with the client's name and the `peer` (an address, or `uid=N`) filled in.
    pub fn bind(&self, asserted: Identity, peer: String) -> Result<Identity, OutOfScope> {
        self.scope.admit(&self.name, &asserted)?;
        Ok(Identity { client: Some(self.name.clone()), peer: Some(peer), ..asserted })
    }
}

/// The configured clients, found by token digest or Unix uid.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    by_token: HashMap<TokenDigest, Arc<Client>>,
    by_uid: HashMap<u32, Arc<Client>>,
    token_file: Option<PathBuf>,
}

impl ClientRegistry {
    /// The clients of `serve`. With none configured: the built-in client `local`, which may assert any
    /// identity, authenticated by the token in the variable `token_env` when given, else by the token file
    /// (`serve.token_file`, default `<home>/serve.token`, created when missing), and by the service's own
    /// Unix user on a Unix socket.
    pub fn from_config(serve: &ServeConfig, home: &Path, token_env: Option<&str>) -> Result<Self, KeywayError> {
        let config_error = |message: String| KeywayError::Config { message };
        let mut registry = Self::default();
        if serve.clients.is_empty() {
            let client = Arc::new(Client { name: BUILT_IN_CLIENT.into(), scope: Scope::any(), reveal: true });
            let token = match token_env {
                Some(variable) => {
                    let token = zeroize::Zeroizing::new(std::env::var(variable).unwrap_or_default());
                    token::check_token(&token, &format!("--token-env {variable}"))
                        .map_err(KeywayError::InvalidInput)?;
                    zeroize::Zeroizing::new(token.trim().to_owned())
                }
                None => {
                    let path = serve.token_path(home);
                    let token = ensure_token_file(&path)?;
                    registry.token_file = Some(path);
                    token
                }
            };
            registry.by_token.insert(digest(&token), Arc::clone(&client));
            registry.by_uid.insert(rustix::process::geteuid().as_raw(), client);
            return Ok(registry);
        }
        if token_env.is_some() {
            return Err(KeywayError::InvalidInput(
                "--token-env cannot be used with configured serve.clients: give each client its own token there".into(),
            ));
        }
        for (name, config) in &serve.clients {
            let at = format!("serve.clients.{name}");
            valid_client_name(name).map_err(|message| config_error(format!("{at}: {message}")))?;
            let scope = Scope::new(&config.namespaces, &config.groups)
                .map_err(|message| config_error(format!("{at}: {message}")))?;
            let client = Arc::new(Client { name: name.clone(), scope, reveal: config.reveal });
            let digests = client_digests(config, &at)?;
            if digests.is_empty() && config.unix_uids.is_empty() {
                return Err(config_error(format!(
                    "{at}: the client has no credential; give it `token`, `token_file`, `token_sha256` or `unix_uids`"
                )));
            }
            for digest in digests {
                if let Some(other) = registry.by_token.insert(digest, Arc::clone(&client)) {
                    return Err(config_error(format!("{at}: the same token as client '{}'", other.name)));
                }
            }
            for uid in &config.unix_uids {
                if let Some(other) = registry.by_uid.insert(*uid, Arc::clone(&client)) {
                    return Err(config_error(format!("{at}: uid {uid} is client '{}' already", other.name)));
                }
            }
        }
        Ok(registry)
    }

    /// The client a bearer token belongs to.
    pub fn by_token(&self, token: &str) -> Option<&Arc<Client>> {
        self.by_token.get(&digest(token.trim()))
    }

    /// The client a Unix peer's uid belongs to.
    pub fn by_uid(&self, uid: u32) -> Option<&Arc<Client>> {
        self.by_uid.get(&uid)
    }

    /// The generated token file of the built-in client, when that is how it authenticates.
    pub fn token_file(&self) -> Option<&Path> {
        self.token_file.as_deref()
    }
}

/// The token digests a client's configuration gives.
fn client_digests(config: &ClientConfig, at: &str) -> Result<Vec<TokenDigest>, KeywayError> {
    let mut digests = Vec::new();
    if let Some(token) = &config.token {
        let mut value = serde_json::Value::String(token.clone());
        interpolate(&mut value, &format!("{at}.token"))?;
        let token = zeroize::Zeroizing::new(value.as_str().unwrap_or_default().trim().to_owned());
        if let serde_json::Value::String(text) = &mut value {
            zeroize::Zeroize::zeroize(text);
        }
        token::check_token(&token, &format!("{at}.token")).map_err(|message| KeywayError::Config { message })?;
        digests.push(digest(&token));
    }
    if let Some(path) = &config.token_file {
        digests.push(digest(&read_token_file(path)?));
    }
    if let Some(hex_text) = &config.token_sha256 {
        digests.push(
            token::parse_digest(hex_text)
                .map_err(|message| KeywayError::Config { message: format!("{at}.token_sha256: {message}") })?,
        );
    }
    Ok(digests)
}

fn valid_client_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(format!("client name '{name}' may use only letters, digits, '-', '_' and '.' (at most 64)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn configured_clients_are_found_by_token_and_uid_and_bound_to_their_scope() {
        let config = Config::from_yaml(
            r#"
serve:
  clients:
    kestra:
      token: kestra-token-0123456789
      namespaces: ["company.team.*"]
      groups: [etl]
    airflow:
      token_sha256: "3f0a1a1a8c9f6c4fd29a1b5a1e7f0e3c6e2c7d9b0a1f2e3d4c5b6a798877665f"
      unix_uids: [4242]
      reveal: false
"#,
        )
        .expect("config");
        let home = tempfile::tempdir().expect("home");
        let registry = ClientRegistry::from_config(&config.serve, home.path(), None).expect("registry");
        assert!(registry.token_file().is_none(), "no generated token when clients are configured");
        let kestra = registry.by_token("kestra-token-0123456789").expect("kestra");
        assert_eq!(kestra.name(), "kestra");
        assert!(registry.by_token("kestra-token-0123456788").is_none());
        let bound = kestra.bind(Identity::in_namespace("company.team.a"), "127.0.0.1:5".into()).expect("in scope");
        assert_eq!((bound.client.as_deref(), bound.peer.as_deref()), (Some("kestra"), Some("127.0.0.1:5")));
        assert!(kestra.bind(Identity::in_namespace("company.other"), String::new()).is_err());
        assert!(kestra.bind(Identity::in_groups(["admins"]), String::new()).is_err());
        let airflow = registry.by_uid(4242).expect("airflow by uid");
        assert!(!airflow.may_reveal());
    }

    #[test]
    fn a_client_needs_a_credential_and_a_valid_scope() {
        let home = tempfile::tempdir().expect("home");
        for (yaml, expected) in [
            ("serve: {clients: {a: {namespaces: [x]}}}", "has no credential"),
            ("serve: {clients: {a: {token: short}}}", "at least 16"),
            ("serve: {clients: {a: {token: 0123456789abcdefgh, namespaces: ['x.*.y']}}}", "namespace pattern"),
            ("serve: {clients: {'a/b': {token: 0123456789abcdefgh}}}", "client name"),
            (
                "serve: {clients: {a: {token: 0123456789abcdefgh}, b: {token: 0123456789abcdefgh}}}",
                "the same token as client 'a'",
            ),
        ] {
            let config = Config::from_yaml(yaml).expect("parses");
            let err = ClientRegistry::from_config(&config.serve, home.path(), None).expect_err(yaml);
            assert!(err.to_string().contains(expected), "{yaml}: {err}");
            assert!(!err.to_string().contains("0123456789abcdefgh"), "no token in errors: {err}");
        }
    }

    #[test]
    fn without_clients_the_built_in_client_has_a_generated_token() {
        let home = tempfile::tempdir().expect("home");
        let registry = ClientRegistry::from_config(&ServeConfig::default(), home.path(), None).expect("registry");
        let path = registry.token_file().expect("generated").to_path_buf();
        assert_eq!(path, home.path().join("serve.token"));
        let token = read_token_file(&path).expect("token");
        assert_eq!(registry.by_token(&token).expect("local").name(), BUILT_IN_CLIENT);
        assert!(registry.by_uid(rustix::process::geteuid().as_raw()).is_some(), "the service's own user");
    }
}
