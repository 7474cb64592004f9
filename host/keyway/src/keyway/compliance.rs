//! Compliance: the rules of the profiles a secret is bound to, checked on every write through keyway
//! (blocking rules refuse it, naming the rule and what would satisfy it; advisory rules record a finding)
//! and over every bound secret by [`Keyway::compliance_report`]. Findings never hold a value.

use super::records::millis;
use super::Keyway;
use crate::config::{CharacterClass, ComplianceRules};
use crate::error::KeywayError;
use keyway_catalog::NewError;
use keyway_resolve::{Identity, NamePattern};
use keyway_secret_types::{validate, SecretType, TypeFacts};
use keyway_types::{SecretValue, Tags, Timestamp, VersionSelector};
use std::time::Duration;

/// One rule a secret breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The profile.
    pub profile: String,
    /// The manager.
    pub manager: String,
    /// The secret.
    pub name: String,
    /// The rule, as configured (`min_length`, `max_age`, …).
    pub rule: &'static str,
    /// What is wrong and what would satisfy the rule (never the value).
    pub problem: String,
    /// Whether the rule refuses writes (otherwise advisory).
    pub blocking: bool,
}

/// What the rules look at.
pub(crate) struct Candidate<'a> {
    pub value: &'a SecretValue,
    pub secret_type: Option<&'a str>,
    pub tags: &'a Tags,
    pub expires_at: Option<Timestamp>,
    /// When the current version was written, for `max_age` (reports only).
    pub changed_at: Option<Timestamp>,
    /// Whether the value repeats one of the last `no_reuse` versions.
    pub reused: bool,
}

/// How often `keyway serve` reports on a profile's secrets unless the profile says otherwise.
const DEFAULT_CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The identity the periodic compliance report runs as: group `keyway-compliance` (managers with access
/// rules must allow it to be checked).
pub fn compliance_identity() -> Identity {
    Identity {
        groups: vec!["keyway-compliance".into()],
        client: Some("keyway-compliance".into()),
        ..Identity::default()
    }
}

/// The most secrets of one manager a report looks at.
const MAX_SCANNED: usize = 10_000;

fn human(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms / 1000 * 1000)).to_string()
}

/// The text the strength and character rules look at: a basic-auth secret's password, else the value.
fn checked_text(value: &SecretValue, secret_type: Option<&str>) -> Option<String> {
    let text = value.expose_text()?;
    if secret_type == Some("basic-auth") {
        let document: serde_json::Value = serde_json::from_str(text).ok()?;
        return document.get("password").and_then(serde_json::Value::as_str).map(str::to_owned);
    }
    Some(text.to_owned())
}

/// Every rule `candidate` breaks, as (rule, problem).
pub(crate) fn evaluate(rules: &ComplianceRules, candidate: &Candidate<'_>, now: u64) -> Vec<(&'static str, String)> {
    let mut broken = Vec::new();
    let text = zeroize::Zeroizing::new(checked_text(candidate.value, candidate.secret_type).unwrap_or_default());
    let length = if candidate.value.is_binary() { candidate.value.len() } else { text.chars().count() };
    if let Some(min) = rules.min_length.filter(|min| length < *min) {
        broken.push(("min_length", format!("the value has {length} characters; at least {min} are required")));
    }
    for class in &rules.character_classes {
        let (present, label) = match class {
            CharacterClass::Lower => (text.chars().any(|c| c.is_ascii_lowercase()), "a lower-case letter"),
            CharacterClass::Upper => (text.chars().any(|c| c.is_ascii_uppercase()), "an upper-case letter"),
            CharacterClass::Digit => (text.chars().any(|c| c.is_ascii_digit()), "a digit"),
            CharacterClass::Symbol => (text.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()), "a symbol"),
        };
        if !present {
            broken.push(("character_classes", format!("the value has no {label}; it must have one")));
        }
    }
    if let Some(min) = rules.min_strength {
        let score = if text.is_empty() { 0 } else { u8::from(zxcvbn::zxcvbn(&text, &[]).score()) };
        if score < min {
            broken.push((
                "min_strength",
                format!("the value is too easy to guess (strength {score} of 4; at least {min} is required): use a longer, generated one"),
            ));
        }
    }
    if rules.expiry_required && candidate.expires_at.is_none() {
        broken.push(("expiry_required", "the secret has no expiry; give it one (--expires 90d)".into()));
    }
    if let (Some(max), Some(at)) = (rules.max_lifetime, candidate.expires_at) {
        if at.saturating_sub(now) > millis(max) {
            broken.push((
                "max_lifetime",
                format!(
                    "it expires in {}; at most {} ahead is allowed",
                    human(at.saturating_sub(now)),
                    human(millis(max))
                ),
            ));
        }
    }
    if let (Some(max), Some(at)) = (rules.max_age, candidate.changed_at) {
        if now.saturating_sub(at) > millis(max) {
            broken.push((
                "max_age",
                format!(
                    "its current version is {} old; renew it at least every {}",
                    human(now.saturating_sub(at)),
                    human(millis(max))
                ),
            ));
        }
    }
    let type_name = candidate.secret_type.unwrap_or("generic");
    if !rules.types.is_empty() && !rules.types.iter().any(|allowed| allowed == type_name) {
        broken.push(("types", format!("it has type {type_name}; allowed: {}", rules.types.join(", "))));
    }
    for tag in &rules.required_tags {
        if !candidate.tags.contains_key(tag) {
            broken.push(("required_tags", format!("it has no tag `{tag}`; add it (--tag {tag}=…)")));
        }
    }
    if candidate.reused {
        let n = rules.no_reuse.unwrap_or(0);
        broken.push(("no_reuse", format!("the value repeats one of the secret's last {n} versions; use a new one")));
    }
    let facts: Option<TypeFacts> = candidate
        .secret_type
        .and_then(|name| name.parse::<SecretType>().ok())
        .and_then(|t| validate(&t, candidate.value).ok());
    if let Some(facts) = &facts {
        if let (Some(min), Some("rsa"), Some(bits)) = (rules.min_rsa_bits, facts.key_type, facts.bits) {
            if bits < min {
                broken.push(("min_rsa_bits", format!("the RSA key has {bits} bits; at least {min} are required")));
            }
        }
        if let Some(curve) = facts.curve.filter(|_| !rules.curves.is_empty()) {
            if !rules.curves.iter().any(|allowed| allowed == curve) {
                broken.push(("curves", format!("the key's curve is {curve}; allowed: {}", rules.curves.join(", "))));
            }
        }
        if let (Some(max), Some(exp)) = (rules.jwt_max_lifetime, facts.expires_at) {
            let lifetime = exp.saturating_sub(facts.not_before.unwrap_or(now));
            if lifetime > millis(max) {
                broken.push((
                    "jwt_max_lifetime",
                    format!("the token is valid for {}; at most {} is allowed", human(lifetime), human(millis(max))),
                ));
            }
        }
    }
    broken
}

impl Keyway {
    /// The profiles `manager/name` is bound to, with their rules: those whose patterns match it, and the one
    /// `keyway bind` bound it to.
    async fn bound_rules(&self, manager: &str, name: &str) -> Vec<(&str, &ComplianceRules)> {
        let reference = format!("{manager}/{name}");
        let mut rules: Vec<(&str, &ComplianceRules)> = self
            .profiles
            .iter()
            .filter(|(_, profile)| profile.secrets.iter().any(|pattern| NamePattern::new(pattern).matches(&reference)))
            .filter_map(|(profile, config)| config.compliance.as_ref().map(|rules| (profile.as_str(), rules)))
            .collect();
        if let Ok(Some(bound)) = self.bound(manager, name).await {
            if let Some((profile, config)) = self.profiles.get_key_value(&bound.profile) {
                if let Some(compliance) = &config.compliance {
                    if !bound.is_copy && !rules.iter().any(|(name, _)| *name == profile.as_str()) {
                        rules.push((profile.as_str(), compliance));
                    }
                }
            }
        }
        rules
    }

    /// Checks a write against the rules of the secret's profiles: blocking rules refuse it (before any
    /// backend call), advisory ones are recorded as findings.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn check_compliance(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        value: &SecretValue,
        secret_type: Option<&str>,
        tags: &Tags,
        expires_at: Option<Timestamp>,
    ) -> Result<(), KeywayError> {
        let profiles = self.bound_rules(manager, name).await;
        if profiles.is_empty() {
            return Ok(());
        }
        let now = super::records::now_ms();
        let mut refused = Vec::new();
        for (profile, rules) in profiles {
            let reused = self.reuses(manager, name, value, secret_type, rules.no_reuse).await;
            let candidate = Candidate { value, secret_type, tags, expires_at, changed_at: None, reused };
            for (rule, problem) in evaluate(rules, &candidate, now) {
                if rules.advisory.iter().any(|advisory| advisory == rule) {
                    self.record_finding(identity, manager, name, profile, rule, &problem).await;
                } else {
                    refused.push(format!("profile {profile}, rule `{rule}`: {problem}"));
                }
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(KeywayError::InvalidInput(format!("refused by compliance: {}", refused.join("; "))))
        }
    }

    /// [`check_compliance`](Self::check_compliance) for an update: the secret's type, tags and expiry as they
    /// will be after it.
    pub(crate) async fn check_update_compliance(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        value: &SecretValue,
        request: &keyway_types::UpdateRequest,
    ) -> Result<(), KeywayError> {
        if self.bound_rules(manager, name).await.is_empty() {
            return Ok(());
        }
        let current = match self.shared.connected(manager).await {
            Ok(target) => target.describe(name, &VersionSelector::Latest).await.ok(),
            Err(_) => None,
        };
        let mut tags = current.as_ref().map(|meta| meta.tags.clone()).unwrap_or_default();
        tags.extend(request.set_tags.clone());
        for key in &request.remove_tags {
            tags.remove(key);
        }
        let expires_at = request.expires_at.or(current.as_ref().and_then(|meta| meta.expires_at));
        let secret_type = match current.and_then(|meta| meta.secret_type) {
            Some(secret_type) => Some(secret_type),
            None => match self.shared.records.catalog().await {
                Ok(Some(catalog)) => {
                    catalog.secret(manager, name).await.ok().flatten().and_then(|entry| entry.secret_type)
                }
                _ => None,
            },
        };
        self.check_compliance(identity, manager, name, value, secret_type.as_deref(), &tags, expires_at).await
    }

    /// Whether `value` repeats one of the last `window` recorded versions of the secret.
    async fn reuses(
        &self,
        manager: &str,
        name: &str,
        value: &SecretValue,
        secret_type: Option<&str>,
        window: Option<usize>,
    ) -> bool {
        let Some(window) = window.filter(|window| *window > 0) else { return false };
        let Ok(Some(catalog)) = self.shared.records.catalog().await else { return false };
        let fingerprint = catalog.key().fingerprint(secret_type, value);
        catalog
            .history(manager, name)
            .await
            .is_ok_and(|history| history.iter().take(window).any(|version| version.fingerprint == fingerprint))
    }

    async fn record_finding(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        profile: &str,
        rule: &str,
        problem: &str,
    ) {
        let Ok(Some(catalog)) = self.shared.records.catalog().await else { return };
        let (message, actor) =
            (format!("profile {profile}, rule `{rule}`: {problem}"), super::records::actor(identity));
        let record = NewError {
            manager,
            name,
            operation: "compliance",
            kind: "finding",
            message: &message,
            actor: Some(&actor),
        };
        if let Err(err) = catalog.record_error(&record).await {
            tracing::warn!(target: "keyway::catalog", error = %err, "a compliance finding could not be recorded");
        }
    }

    /// The periodic report, run by `keyway serve`: each profile with compliance rules is reported on every
    /// `check_every` (first when the service starts), its findings recorded in each secret's error history.
    pub async fn compliance_due(&self) {
        for (name, profile) in &self.profiles {
            let Some(rules) = &profile.compliance else { continue };
            let every = rules.check_every.unwrap_or(DEFAULT_CHECK_EVERY);
            if !self.sync.due(&format!("compliance/{name}"), every, true) {
                continue;
            }
            match self.compliance_report(&compliance_identity(), Some(name)).await {
                Ok(findings) => tracing::info!(
                    target: "keyway::compliance",
                    profile = name.as_str(),
                    findings = findings.len(),
                    "compliance report"
                ),
                Err(error) => {
                    tracing::warn!(target: "keyway::compliance", profile = name.as_str(), error = %error, "the periodic compliance report failed");
                }
            }
        }
    }

    /// Every rule every bound secret breaks (of `profile`, or of all profiles), reading the secrets from their
    /// backends; each finding is also recorded in the secret's error history. Never holds a value.
    pub async fn compliance_report(
        &self,
        identity: &Identity,
        profile: Option<&str>,
    ) -> Result<Vec<Finding>, KeywayError> {
        if let Some(wanted) = profile {
            if !self.profiles.contains_key(wanted) {
                return Err(KeywayError::InvalidInput(format!(
                    "no profile '{wanted}'; configured profiles: {}",
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let now = super::records::now_ms();
        let mut findings = Vec::new();
        for (profile_name, config) in &self.profiles {
            if profile.is_some_and(|wanted| wanted != profile_name) {
                continue;
            }
            let Some(rules) = &config.compliance else { continue };
            for pattern in &config.secrets {
                let Some((manager, _)) = pattern.split_once('/') else { continue };
                if self.shared.slot(manager).is_err() || self.authorize_name(identity, manager, None).is_err() {
                    continue;
                }
                let secrets = self.list_up_to(manager, MAX_SCANNED).await?;
                let matcher = NamePattern::new(pattern);
                for metadata in &secrets {
                    if !matcher.matches(&format!("{manager}/{}", metadata.name))
                        || self.authorize_name(identity, manager, Some(&metadata.name)).is_err()
                    {
                        continue;
                    }
                    let Ok(secret) = self.read_for(identity, "compliance-read", manager, &metadata.name).await else {
                        continue;
                    };
                    let secret = self.shared.with_lifecycle(manager, secret).await;
                    let changed_at = match self.shared.records.catalog().await {
                        Ok(Some(catalog)) => catalog
                            .latest(manager, &metadata.name)
                            .await
                            .ok()
                            .flatten()
                            .and_then(|v| u64::try_from(v.recorded_at).ok()),
                        _ => None,
                    }
                    .or(secret.metadata.updated_at)
                    .or(secret.metadata.created_at);
                    let candidate = Candidate {
                        value: &secret.value,
                        secret_type: secret.metadata.secret_type.as_deref(),
                        tags: &secret.metadata.tags,
                        expires_at: secret.metadata.expires_at,
                        changed_at,
                        reused: false,
                    };
                    for (rule, problem) in evaluate(rules, &candidate, now) {
                        self.record_finding(identity, manager, &metadata.name, profile_name, rule, &problem).await;
                        findings.push(Finding {
                            profile: profile_name.clone(),
                            manager: manager.to_owned(),
                            name: metadata.name.clone(),
                            rule,
                            problem,
                            blocking: !rules.advisory.iter().any(|advisory| advisory == rule),
                        });
                    }
                }
            }
        }
        Ok(findings)
    }
}
