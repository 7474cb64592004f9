//! `profiles:`: secrets bound by name pattern (or `keyway bind`) to a profile: its source manager and sync
//! managers, its approval policy and its compliance rules.

use serde::Deserialize;
use std::time::Duration;

/// A secret profile.
///
/// ```yaml
/// profiles:
///   production-db:
///     secrets: ["aws/prod/db/*"]        # MANAGER/NAME patterns
///     source: aws                       # where bound secrets are written
///     sync: {to: [vault]}               # copies kept equal to the source
///     approval: {groups: [admins], quorum: 2}
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
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The manager bound secrets are written to; the managers of `sync.to` hold copies of it. Without it the
    /// profile neither synchronises nor changes sources (patterns' managers are where secrets live).
    #[serde(default)]
    pub source: Option<String>,
    /// Synchronisation of bound secrets from the source to other managers.
    #[serde(default)]
    pub sync: Option<SyncPolicy>,
    /// Which changes need approval, and by whom.
    #[serde(default)]
    pub approval: Option<ApprovalPolicy>,
    /// Rules every bound secret must follow.
    #[serde(default)]
    pub compliance: Option<ComplianceRules>,
}

impl ProfileConfig {
    /// The managers of the profile: its source, then its sync managers.
    pub fn managers(&self) -> Vec<&str> {
        let mut managers: Vec<&str> = self.source.iter().map(String::as_str).collect();
        for target in self.sync.iter().flat_map(|sync| &sync.to) {
            if !managers.contains(&target.as_str()) {
                managers.push(target);
            }
        }
        managers
    }
}

/// How bound secrets are copied from their source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncPolicy {
    /// The managers that hold copies.
    pub to: Vec<String>,
    /// Whether drift (a copy or source changed outside keyway) is repaired by itself (`auto`, the default) or
    /// only reported until `keyway sync run` (`manual`). Failed copies are always tried again.
    #[serde(default)]
    pub repair: RepairMode,
    /// How often `keyway serve` compares every copy with its source (default 15 minutes).
    #[serde(default, with = "humantime_serde")]
    pub check_every: Option<Duration>,
}

/// Whether drift is repaired by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepairMode {
    /// The periodic check repairs what it finds.
    #[default]
    Auto,
    /// Drift is reported; `keyway sync run` repairs it.
    Manual,
}

/// An operation an approval policy can gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatedOperation {
    /// Creating a bound secret.
    Create,
    /// A new value or attributes.
    Update,
    /// Deleting it.
    Delete,
    /// Changing its source manager.
    ChangeSource,
}

impl GatedOperation {
    /// The name used in requests and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::ChangeSource => "change-source",
        }
    }
}

/// Which changes of bound secrets need approval, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// The operations that wait for approval (default: all four).
    #[serde(default = "all_operations")]
    pub operations: Vec<GatedOperation>,
    /// The groups whose members approve (a caller in any of them).
    pub groups: Vec<String>,
    /// How many distinct approvers it takes (default 1).
    #[serde(default = "one")]
    pub quorum: usize,
    /// Whether requesters may approve their own requests (default: no).
    #[serde(default)]
    pub self_approval: bool,
    /// How long a request waits before it lapses (default 24 hours).
    #[serde(default, with = "humantime_serde")]
    pub lifetime: Option<Duration>,
    /// Whether approvers may see the proposed value (default: no; they see its fingerprint).
    #[serde(default)]
    pub reveal: bool,
}

fn all_operations() -> Vec<GatedOperation> {
    vec![GatedOperation::Create, GatedOperation::Update, GatedOperation::Delete, GatedOperation::ChangeSource]
}

fn one() -> usize {
    1
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
    /// How often `keyway serve` reports on every bound secret, findings going to each secret's error history
    /// (default 24 hours).
    #[serde(with = "humantime_serde")]
    pub check_every: Option<Duration>,
}
