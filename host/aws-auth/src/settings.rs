//! The `auth` settings of a manager that authenticates to AWS, and the
//! checks that turn them into one [`AuthSource`].

use crate::error::AwsAuthError;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use zeroize::Zeroizing;

/// How a manager authenticates to AWS (its `auth: {type: aws, ...}` section).
///
/// With no field set, the AWS default chain applies: environment variables,
/// the shared config and credentials files, web identity, ECS container and
/// EC2 instance metadata. `access_key_id` with `secret_access_key` (and
/// `session_token` for temporary keys) are explicit keys; `profile` picks a
/// named profile of the shared files; `role_arn` assumes a role with STS on
/// top of any of these.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsAuthSettings {
    /// The Region STS is called in (and the default chain's Region); otherwise the
    /// default chain's Region (`AWS_REGION`, the profile), or `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// The access key id of explicit keys; needs `secret_access_key`.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The secret access key of explicit keys; needs `access_key_id`.
    #[serde(default)]
    pub secret_access_key: Option<SecretText>,
    /// The session token of temporary explicit keys.
    #[serde(default)]
    pub session_token: Option<SecretText>,
    /// A role to assume with STS `AssumeRole`, e.g. `arn:aws:iam::123456789012:role/keyway-reader`.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The session name of the assumed role; `keyway` by default.
    #[serde(default)]
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy requires.
    #[serde(default)]
    pub external_id: Option<String>,
    /// How long assumed-role sessions last, 900 to 43200 seconds; STS's default (3600) otherwise.
    #[serde(default)]
    pub role_duration_seconds: Option<u32>,
    /// A named profile of the shared config and credentials files, instead of the default one.
    #[serde(default)]
    pub profile: Option<String>,
    /// An STS endpoint URL used instead of the regional one (a VPC endpoint, or a test server).
    #[serde(default)]
    pub sts_endpoint: Option<String>,
}

impl fmt::Debug for AwsAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsAuthSettings")
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("external_id", &self.external_id)
            .field("role_duration_seconds", &self.role_duration_seconds)
            .field("profile", &self.profile)
            .field("sts_endpoint", &self.sts_endpoint)
            .finish()
    }
}

/// A credential in the settings: wiped from memory on drop, never printed.
#[derive(Clone)]
pub struct SecretText(Zeroizing<String>);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl SecretText {
    /// Wraps a credential.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The credential itself.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Explicit keys from the settings.
#[derive(Clone, Debug)]
pub struct ExplicitKeys {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretText,
    /// The session token, for temporary keys.
    pub session_token: Option<SecretText>,
}

/// Where the base credentials come from, before any assumed role.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AuthSource {
    /// Keys written in the settings.
    Explicit(ExplicitKeys),
    /// A named profile of the shared files.
    Profile(String),
    /// The AWS default chain.
    DefaultChain,
}

/// The settings of STS `AssumeRole`.
#[derive(Clone, Debug)]
pub struct RoleToAssume {
    /// The role's ARN.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The external id, when the trust policy wants one.
    pub external_id: Option<String>,
    /// The session length, when not STS's default.
    pub duration: Option<Duration>,
}

impl AwsAuthSettings {
    /// The session name used when `role_session_name` is not set.
    pub const DEFAULT_SESSION_NAME: &'static str = "keyway";

    /// Checks the settings' consistency ("all or none" of the explicit keys, role
    /// options only with a role) and returns the credential source and role.
    pub fn resolve(&self) -> Result<(AuthSource, Option<RoleToAssume>), AwsAuthError> {
        for (field, value) in [
            ("region", self.region.as_deref()),
            ("access_key_id", self.access_key_id.as_deref()),
            ("role_arn", self.role_arn.as_deref()),
            ("role_session_name", self.role_session_name.as_deref()),
            ("external_id", self.external_id.as_deref()),
            ("profile", self.profile.as_deref()),
            ("sts_endpoint", self.sts_endpoint.as_deref()),
        ] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                return Err(AwsAuthError::invalid(field, "is empty; remove it or give a value"));
            }
        }
        let source = self.source()?;
        let role = self.role()?;
        if let Some(endpoint) = &self.sts_endpoint {
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                return Err(AwsAuthError::invalid("sts_endpoint", "must be an http:// or https:// URL"));
            }
        }
        Ok((source, role))
    }

    fn source(&self) -> Result<AuthSource, AwsAuthError> {
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => {
                if self.profile.is_some() {
                    return Err(AwsAuthError::invalid("profile", "cannot be combined with explicit access keys"));
                }
                if secret_access_key.expose().trim().is_empty() {
                    return Err(AwsAuthError::invalid("secret_access_key", "is empty"));
                }
                Ok(AuthSource::Explicit(ExplicitKeys {
                    access_key_id: access_key_id.trim().to_owned(),
                    secret_access_key: secret_access_key.clone(),
                    session_token: self.session_token.clone(),
                }))
            }
            (Some(_), None) => Err(AwsAuthError::invalid("secret_access_key", "is missing: set it with access_key_id")),
            (None, Some(_)) => Err(AwsAuthError::invalid("access_key_id", "is missing: set it with secret_access_key")),
            (None, None) if self.session_token.is_some() => {
                Err(AwsAuthError::invalid("session_token", "needs access_key_id and secret_access_key"))
            }
            (None, None) => Ok(match &self.profile {
                Some(profile) => AuthSource::Profile(profile.trim().to_owned()),
                None => AuthSource::DefaultChain,
            }),
        }
    }

    fn role(&self) -> Result<Option<RoleToAssume>, AwsAuthError> {
        let Some(role_arn) = &self.role_arn else {
            let stray = [
                ("role_session_name", self.role_session_name.is_some()),
                ("external_id", self.external_id.is_some()),
                ("role_duration_seconds", self.role_duration_seconds.is_some()),
            ];
            if let Some((field, _)) = stray.iter().find(|(_, set)| *set) {
                return Err(AwsAuthError::invalid(field, "only applies with role_arn"));
            }
            return Ok(None);
        };
        if !role_arn.starts_with("arn:") {
            return Err(AwsAuthError::invalid(
                "role_arn",
                "must be a role ARN such as arn:aws:iam::123456789012:role/NAME",
            ));
        }
        if let Some(seconds) = self.role_duration_seconds {
            if !(900..=43_200).contains(&seconds) {
                return Err(AwsAuthError::invalid("role_duration_seconds", "must be 900 to 43200"));
            }
        }
        Ok(Some(RoleToAssume {
            role_arn: role_arn.trim().to_owned(),
            session_name: self.role_session_name.clone().unwrap_or_else(|| Self::DEFAULT_SESSION_NAME.to_owned()),
            external_id: self.external_id.clone(),
            duration: self.role_duration_seconds.map(|s| Duration::from_secs(u64::from(s))),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<(AuthSource, Option<RoleToAssume>), String> {
        let settings: AwsAuthSettings = serde_json::from_str(json).map_err(|e| e.to_string())?;
        settings.resolve().map_err(|e| e.to_string())
    }

    #[test]
    fn no_fields_means_the_default_chain() {
        assert!(matches!(parse("{}"), Ok((AuthSource::DefaultChain, None))));
        assert!(matches!(parse(r#"{"profile":"ops"}"#), Ok((AuthSource::Profile(p), None)) if p == "ops"));
    }

    #[test]
    fn explicit_keys_come_in_pairs() {
        let keys = parse(r#"{"access_key_id":"AKIA1","secret_access_key":"s","session_token":"t"}"#);
        assert!(matches!(keys, Ok((AuthSource::Explicit(k), None)) if k.access_key_id == "AKIA1"));
        assert!(parse(r#"{"access_key_id":"AKIA1"}"#).is_err_and(|e| e.contains("secret_access_key")));
        assert!(parse(r#"{"secret_access_key":"s"}"#).is_err_and(|e| e.contains("access_key_id")));
        assert!(parse(r#"{"session_token":"t"}"#).is_err());
        assert!(parse(r#"{"access_key_id":"A","secret_access_key":"s","profile":"p"}"#).is_err());
    }

    #[test]
    fn role_options_need_a_role() {
        let role = parse(r#"{"role_arn":"arn:aws:iam::123456789012:role/r","external_id":"x"}"#);
        assert!(matches!(role, Ok((AuthSource::DefaultChain, Some(r))) if r.session_name == "keyway"));
        assert!(parse(r#"{"external_id":"x"}"#).is_err_and(|e| e.contains("external_id")));
        assert!(parse(r#"{"role_arn":"reader"}"#).is_err());
        assert!(parse(r#"{"role_arn":"arn:aws:iam::1:role/r","role_duration_seconds":60}"#).is_err());
    }

    #[test]
    fn typos_and_bad_values_are_reported() {
        assert!(parse(r#"{"acess_key_id":"A"}"#).is_err_and(|e| e.contains("unknown field")));
        assert!(parse(r#"{"sts_endpoint":"localhost:5000"}"#).is_err());
        assert!(parse(r#"{"region":" "}"#).is_err());
    }

    #[test]
    fn works_inside_a_type_tagged_auth_section() {
        #[derive(Deserialize)]
        #[serde(tag = "type", rename_all = "kebab-case")]
        enum Auth {
            Aws(AwsAuthSettings),
        }
        let auth: Result<Auth, _> = serde_json::from_str(r#"{"type":"aws","region":"eu-west-1"}"#);
        assert!(matches!(auth, Ok(Auth::Aws(s)) if s.region.as_deref() == Some("eu-west-1")));
    }

    #[test]
    fn debug_hides_the_secrets() {
        let settings: AwsAuthSettings = serde_json::from_str(
            r#"{"access_key_id":"AKIA1","secret_access_key":"wJalrXUtnFEMI","session_token":"tok"}"#,
        )
        .unwrap_or_default();
        let debug = format!("{settings:?}");
        assert!(debug.contains("AKIA1"));
        assert!(!debug.contains("wJalrXUtnFEMI") && !debug.contains("tok\""));
    }
}
