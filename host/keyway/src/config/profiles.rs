//! `profiles:`: secrets bound by name pattern to a profile, and the profile's compliance rules.

use serde::Deserialize;
use std::time::Duration;

/// A secret profile.
///
/// ```yaml
/// profiles:
///   production-db:
///     secrets: ["aws/prod/db/*"]        # MANAGER/NAME patterns
///     compliance:
///       min_length: 24
///       character_classes: [lower, upper, digit]
///       min_strength: 3                 # zxcvbn score, 0 to 4
///       max_age: 30d
///       advisory: [max_age]             # these only record a finding
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// The secrets bound to it: `MANAGER/NAME` patterns (`*` within a segment, `**` across).
    pub secrets: Vec<String>,
    /// Rules every bound secret must follow.
    #[serde(default)]
    pub compliance: Option<ComplianceRules>,
}

/// A character class a value must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CharacterClass {
    /// a–z.
    Lower,
    /// A–Z.
    Upper,
    /// 0–9.
    Digit,
    /// Anything else that is printable.
    Symbol,
}

/// Compliance rules. Each is blocking (a write that breaks it is refused) unless named in `advisory` (a
/// finding is recorded in the secret's error history instead).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplianceRules {
    /// The fewest characters (bytes for binary values).
    pub min_length: Option<usize>,
    /// Character classes the value must contain.
    pub character_classes: Vec<CharacterClass>,
    /// The lowest strength estimate (zxcvbn's score, 0 to 4; common passwords score 0).
    pub min_strength: Option<u8>,
    /// The oldest the current version may be (checked by the report).
    #[serde(with = "humantime_serde")]
    pub max_age: Option<Duration>,
    /// Every secret must have an expiry.
    pub expiry_required: bool,
    /// The furthest an expiry may lie ahead.
    #[serde(with = "humantime_serde")]
    pub max_lifetime: Option<Duration>,
    /// The types allowed.
    pub types: Vec<String>,
    /// Tags every secret must carry.
    pub required_tags: Vec<String>,
    /// A new value must differ from the last N versions (by keyed fingerprint).
    pub no_reuse: Option<usize>,
    /// The smallest RSA key.
    pub min_rsa_bits: Option<u32>,
    /// The elliptic curves allowed (`p-256`, `p-384`, `ed25519`).
    pub curves: Vec<String>,
    /// The longest a JWT may be valid.
    #[serde(with = "humantime_serde")]
    pub jwt_max_lifetime: Option<Duration>,
    /// Rules (by field name) that only record a finding.
    pub advisory: Vec<String>,
}
