//! The manager's settings for Vault, checked once when a connection opens.

use keyway_plugin_sdk::{settings, ProviderError};
use serde::Deserialize;
use std::fmt;
use zeroize::Zeroizing;

/// Settings exactly as `manifest.toml` declares them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    address: String,
    namespace: Option<String>,
    mount: Option<String>,
    engine_version: Option<i64>,
    auth_method: Option<String>,
    token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    role_id: Option<String>,
    secret_id: Option<String>,
    kubernetes_role: Option<String>,
    kubernetes_jwt: Option<String>,
    auth_mount: Option<String>,
    tls_ca_cert: Option<String>,
    timeout_seconds: Option<u64>,
}

/// How the plugin obtains its Vault token.
pub enum Auth {
    /// A token given in the settings.
    Token {
        /// The token (`s.…` from OpenBao, `hvs.…` from HashiCorp Vault, or any other form).
        token: Zeroizing<String>,
    },
    /// Username and password (`auth/<mount>/login/<username>`).
    Userpass {
        /// Where the method is mounted, `userpass` by default.
        mount: String,
        /// The user.
        username: String,
        /// The password.
        password: Zeroizing<String>,
    },
    /// AppRole (`auth/<mount>/login` with role id and secret id).
    AppRole {
        /// Where the method is mounted, `approle` by default.
        mount: String,
        /// The role id.
        role_id: String,
        /// The secret id; roles created with `bind_secret_id=false` need none.
        secret_id: Option<Zeroizing<String>>,
    },
    /// Kubernetes (`auth/<mount>/login` with role and service-account JWT).
    Kubernetes {
        /// Where the method is mounted, `kubernetes` by default.
        mount: String,
        /// The Vault role bound to the service account.
        role: String,
        /// The service-account token, read by the host from its file.
        jwt: Zeroizing<String>,
    },
}

impl Auth {
    /// The method's name as in the `auth_method` setting.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Token { .. } => "token",
            Self::Userpass { .. } => "userpass",
            Self::AppRole { .. } => "approle",
            Self::Kubernetes { .. } => "kubernetes",
        }
    }

    /// Whether the plugin can log in again to get a fresh token.
    pub fn can_login(&self) -> bool {
        !matches!(self, Self::Token { .. })
    }

    /// The credential strings, so error messages can be scrubbed of them.
    pub fn credentials(&self) -> Vec<&str> {
        match self {
            Self::Token { token } => vec![token.as_str()],
            Self::Userpass { password, .. } => vec![password.as_str()],
            Self::AppRole { secret_id, .. } => secret_id.iter().map(|s| s.as_str()).collect(),
            Self::Kubernetes { jwt, .. } => vec![jwt.as_str()],
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token { .. } => f.write_str("Token"),
            Self::Userpass { mount, username, .. } => {
                f.debug_struct("Userpass").field("mount", mount).field("username", username).finish_non_exhaustive()
            }
            Self::AppRole { mount, role_id, .. } => {
                f.debug_struct("AppRole").field("mount", mount).field("role_id", role_id).finish_non_exhaustive()
            }
            Self::Kubernetes { mount, role, .. } => {
                f.debug_struct("Kubernetes").field("mount", mount).field("role", role).finish_non_exhaustive()
            }
        }
    }
}

/// Validated settings of one Vault connection.
#[derive(Debug)]
pub struct VaultSettings {
    /// `scheme://host:port`, plus an optional path when Vault sits behind a proxy; no trailing slash.
    pub address: String,
    /// The Vault Enterprise / OpenBao namespace sent as `X-Vault-Namespace`.
    pub namespace: Option<String>,
    /// Where the KV version 2 engine is mounted, without slashes around it.
    pub mount: String,
    /// How to obtain a token.
    pub auth: Auth,
    /// The timeout for the first byte of each response.
    pub timeout_seconds: u64,
}

impl VaultSettings {
    /// Parses and checks the settings the host passes to `open`.
    pub fn from_json(settings: &keyway_plugin_sdk::Settings) -> Result<Self, ProviderError> {
        Self::try_from(settings.parse::<RawSettings>()?)
    }
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Configuration(message.into())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A mount path (of the KV engine or of an auth method): segments of
/// letters, digits, `-`, `_`, `.`, separated by single slashes.
fn mount_path(field: &str, value: &str) -> Result<String, ProviderError> {
    let trimmed = value.trim().trim_matches('/');
    let valid_segment = |s: &str| {
        !s.is_empty() && s != "." && s != ".." && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if trimmed.is_empty() || !trimmed.split('/').all(valid_segment) {
        return Err(config(format!(
            "{field} '{}' is not a valid Vault mount path: use letters, digits, '-', '_' and '.', separated by '/'",
            value.escape_debug()
        )));
    }
    Ok(trimmed.to_owned())
}

fn address(text: &str) -> Result<String, ProviderError> {
    let Some(value) = settings::http_url(text) else {
        return Err(config(format!(
            "address '{}' is not a Vault address: use a URL with scheme, host and port, such as https://vault.example.com:8200",
            text.trim().trim_end_matches('/').escape_debug()
        )));
    };
    if value.ends_with("/v1") {
        return Err(config(format!(
            "address '{value}' ends with /v1: give the server's address only; the plugin adds the /v1 API path"
        )));
    }
    Ok(value.to_owned())
}

impl TryFrom<RawSettings> for VaultSettings {
    type Error = ProviderError;

    fn try_from(raw: RawSettings) -> Result<Self, ProviderError> {
        if raw.tls_ca_cert.is_some() {
            return Err(config(
                "tls_ca_cert cannot be honoured by the vault plugin: TLS connections to Vault are made by the keyway \
                 host, which trusts the operating system's root certificates plus the manager's own tls_ca_file. \
                 Move the CA's PEM file to the manager's tls_ca_file (managers.NAME.tls_ca_file) and remove \
                 tls_ca_cert from its settings",
            ));
        }
        match raw.engine_version {
            None | Some(2) => {}
            Some(1) => {
                return Err(config(
                    "engine_version 1 is not supported: this plugin speaks the KV secrets engine version 2 (versions, \
                     soft delete, check-and-set, custom metadata). Upgrade the mount with `vault kv enable-versioning \
                     MOUNT` (or `bao kv enable-versioning MOUNT`), or mount a KV version 2 engine, and set \
                     engine_version to 2",
                ));
            }
            Some(other) => return Err(config(format!("engine_version {other} does not exist: use 2 (KV version 2)"))),
        }
        let auth = auth(&raw)?;
        let timeout_seconds = settings::timeout_seconds(raw.timeout_seconds)?;
        Ok(Self {
            address: address(&raw.address)?,
            namespace: non_empty(raw.namespace).map(|ns| ns.trim().trim_matches('/').to_owned()),
            mount: mount_path("mount", raw.mount.as_deref().unwrap_or("secret"))?,
            auth,
            timeout_seconds,
        })
    }
}

/// The settings each auth method uses, to report the ones given for another method.
const METHOD_FIELDS: [(&str, &[&str]); 4] = [
    ("token", &["token"]),
    ("userpass", &["username", "password"]),
    ("approle", &["role_id", "secret_id"]),
    ("kubernetes", &["kubernetes_role", "kubernetes_jwt"]),
];

fn auth(raw: &RawSettings) -> Result<Auth, ProviderError> {
    let given = |field: &str| -> bool {
        let value = match field {
            "token" => &raw.token,
            "username" => &raw.username,
            "password" => &raw.password,
            "role_id" => &raw.role_id,
            "secret_id" => &raw.secret_id,
            "kubernetes_role" => &raw.kubernetes_role,
            _ => &raw.kubernetes_jwt,
        };
        value.as_deref().is_some_and(|v| !v.trim().is_empty())
    };
    let method = match raw.auth_method.as_deref().map(str::trim) {
        Some(method) => method.to_ascii_lowercase(),
        None => {
            let used: Vec<&str> = METHOD_FIELDS
                .iter()
                .filter(|(_, fields)| fields.iter().any(|f| given(f)))
                .map(|(method, _)| *method)
                .collect();
            match used.as_slice() {
                [one] => (*one).to_owned(),
                [] => {
                    return Err(config(
                        "no credentials: set token, username and password, role_id and secret_id, or \
                         kubernetes_role and kubernetes_jwt (and optionally auth_method)",
                    ))
                }
                several => {
                    return Err(config(format!(
                        "credentials of several auth methods are set ({}): set auth_method to choose one, and remove \
                         the others",
                        several.join(", ")
                    )))
                }
            }
        }
    };
    let Some((_, own_fields)) = METHOD_FIELDS.iter().find(|(name, _)| *name == method) else {
        return Err(config(format!(
            "auth_method '{}' is not supported: use token, userpass, approle or kubernetes",
            method.escape_debug()
        )));
    };
    let foreign: Vec<&str> = METHOD_FIELDS
        .iter()
        .flat_map(|(_, fields)| fields.iter().copied())
        .filter(|f| !own_fields.contains(f) && given(f))
        .collect();
    if !foreign.is_empty() {
        return Err(config(format!(
            "auth_method is {method}, but settings of other methods are set too ({}): remove them",
            foreign.join(", ")
        )));
    }
    if method == "token" && raw.auth_mount.is_some() {
        return Err(config("auth_mount applies to userpass, approle and kubernetes, not to token auth"));
    }
    let require = |field: &str, value: &Option<String>| -> Result<String, ProviderError> {
        non_empty(value.clone()).ok_or_else(|| config(format!("auth_method {method} needs {field}")))
    };
    let auth_mount = |default: &str| mount_path("auth_mount", raw.auth_mount.as_deref().unwrap_or(default));
    Ok(match method.as_str() {
        "token" => Auth::Token { token: Zeroizing::new(require("token", &raw.token)?.trim().to_owned()) },
        "userpass" => Auth::Userpass {
            mount: auth_mount("userpass")?,
            username: require("username", &raw.username)?,
            password: Zeroizing::new(require("password", &raw.password)?),
        },
        "approle" => Auth::AppRole {
            mount: auth_mount("approle")?,
            role_id: require("role_id", &raw.role_id)?,
            secret_id: non_empty(raw.secret_id.clone()).map(Zeroizing::new),
        },
        _ => Auth::Kubernetes {
            mount: auth_mount("kubernetes")?,
            role: require("kubernetes_role", &raw.kubernetes_role)?,
            jwt: Zeroizing::new(require("kubernetes_jwt", &raw.kubernetes_jwt)?.trim().to_owned()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<VaultSettings, ProviderError> {
        VaultSettings::from_json(&keyway_plugin_sdk::Settings::from_json(json)?)
    }

    fn message(result: Result<VaultSettings, ProviderError>) -> String {
        match result {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn token_settings_with_defaults() -> Result<(), ProviderError> {
        let s = parse(r#"{"address":"http://127.0.0.1:8200/","token":"s.abc"}"#)?;
        assert_eq!(s.address, "http://127.0.0.1:8200");
        assert_eq!(s.mount, "secret");
        assert_eq!(s.auth.method(), "token");
        assert_eq!(s.namespace, None);
        let s = parse(r#"{"address":"https://v:8200","token":" hvs.CAESIabc\n","namespace":"/team/"}"#)?;
        assert!(matches!(&s.auth, Auth::Token { token } if token.as_str() == "hvs.CAESIabc"));
        assert_eq!(s.namespace.as_deref(), Some("team"));
        Ok(())
    }

    #[test]
    fn infers_and_checks_the_method() -> Result<(), ProviderError> {
        let s = parse(r#"{"address":"https://v:8200","username":"u","password":"p","mount":"/kv/team/"}"#)?;
        assert!(matches!(&s.auth, Auth::Userpass { mount, .. } if mount == "userpass"));
        assert_eq!(s.mount, "kv/team");
        let s = parse(
            r#"{"address":"https://v:8200","auth_method":"kubernetes","kubernetes_role":"r","kubernetes_jwt":"j","auth_mount":"k8s"}"#,
        )?;
        assert!(matches!(&s.auth, Auth::Kubernetes { mount, role, .. } if mount == "k8s" && role == "r"));
        assert!(message(parse(r#"{"address":"https://v:8200","token":"t","role_id":"r"}"#)).contains("several"));
        assert!(message(parse(r#"{"address":"https://v:8200","auth_method":"token","token":"t","password":"p"}"#))
            .contains("password"));
        assert!(message(parse(r#"{"address":"https://v:8200","auth_method":"userpass","username":"u"}"#))
            .contains("needs password"));
        assert!(message(parse(r#"{"address":"https://v:8200","auth_method":"ldap"}"#)).contains("not supported"));
        assert!(message(parse(r#"{"address":"https://v:8200"}"#)).contains("no credentials"));
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_work() {
        assert!(
            message(parse(r#"{"address":"https://v","token":"t","engine_version":1}"#)).contains("enable-versioning")
        );
        assert!(
            message(parse(r#"{"address":"https://v","token":"t","tls_ca_cert":"/ca.pem"}"#)).contains("tls_ca_file")
        );
        assert!(message(parse(r#"{"address":"vault:8200","token":"t"}"#)).contains("not a Vault address"));
        assert!(message(parse(r#"{"address":"https://v/v1","token":"t"}"#)).contains("/v1"));
        assert!(message(parse(r#"{"address":"https://v","token":"t","mount":"a//b"}"#)).contains("mount"));
        assert!(message(parse(r#"{"address":"https://v","token":"t","colour":"red"}"#)).contains("unknown field"));
    }

    #[test]
    fn debug_hides_credentials() -> Result<(), ProviderError> {
        let s = parse(r#"{"address":"https://v","auth_method":"approle","role_id":"rid","secret_id":"sid-secret"}"#)?;
        let printed = format!("{s:?}");
        assert!(printed.contains("rid") && !printed.contains("sid-secret"));
        let s = parse(r#"{"address":"https://v","token":"s.top-secret"}"#)?;
        assert!(!format!("{s:?}").contains("top-secret"));
        Ok(())
    }
}
