//! `managers.NAME.renewal`: which secrets keyway renews by itself, when, how new values are made, and the
//! rotation hook that sets a new value on the system that uses it before it becomes current.

use keyway_secret_types::GeneratorPolicy;
use serde::Deserialize;
use std::time::Duration;

/// One renewal rule of a manager.
///
/// ```yaml
/// renewal:
///   - names: "app/*/password"   # name pattern (`*` within a segment, `**` across)
///     every: 30d                # renew when the current version is this old ...
///     before_expiry: 7d         # ... or expires within this
///     type: basic-auth          # when the secret's own type is not known
///     policy: { password: { length: 40 } }
///     hook:                     # optional: set, then test, before the new value becomes current
///       set: ["/usr/local/bin/set-db-password", "etl"]   # the new value on standard input
///       test: ["/usr/local/bin/check-db-login", "etl"]
///       timeout_ms: 30000
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalRule {
    /// The names it applies to.
    pub names: String,
    /// Renew when the current version is older than this.
    #[serde(default, with = "humantime_serde")]
    pub every: Option<Duration>,
    /// Renew when the secret expires within this.
    #[serde(default, with = "humantime_serde")]
    pub before_expiry: Option<Duration>,
    /// The type new values are generated for when the secret's own type is not known.
    #[serde(default, rename = "type")]
    pub secret_type: Option<String>,
    /// How values are generated.
    #[serde(default)]
    pub policy: GeneratorPolicy,
    /// Commands that set and test a new value on the system that uses the secret.
    #[serde(default)]
    pub hook: Option<RotationHook>,
}

/// The rotation hook, in the shape of AWS Secrets Manager's rotation: the new value waits (sealed in
/// keyway's catalog) while `set` puts it on the target system and `test` checks it there; only then does it
/// become the secret's current version. When a step fails the current version stays and the failure is
/// recorded in the secret's error history.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationHook {
    /// The command (program and arguments, no shell) that sets the new value, given on its standard input.
    pub set: Vec<String>,
    /// The command that tests the new value, given on its standard input.
    #[serde(default)]
    pub test: Option<Vec<String>>,
    /// How long each command may take (default 60 s).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}
