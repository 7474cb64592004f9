//! Who may use a manager, and which secret names: checked on every call before the backend is touched.

use crate::glob::NamePattern;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The caller of a resolution or capability call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Identity {
    /// The flow's namespace, such as `company.team.sub`.
    pub namespace: Option<String>,
    /// The groups the caller belongs to.
    pub groups: Vec<String>,
    /// The flow's id, recorded in audit records.
    pub flow: Option<String>,
    /// The step's id, recorded in audit records.
    pub step: Option<String>,
    /// The authenticated client the call came through (a front end's caller, such as an engine's worker
    /// pool), recorded in audit records. Set by front ends after authentication; never taken from a request.
    pub client: Option<String>,
    /// Where the call came from (`127.0.0.1:50412`, `uid=1000`), recorded in audit records.
    pub peer: Option<String>,
}

impl Identity {
    /// An identity in `namespace` with no groups.
    pub fn in_namespace(namespace: impl Into<String>) -> Self {
        Self { namespace: Some(namespace.into()), ..Self::default() }
    }

    /// An identity in the given groups, without a namespace.
    pub fn in_groups<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Self { groups: groups.into_iter().map(Into::into).collect(), ..Self::default() }
    }
}

/// A manager's access rules, as written in configuration.
///
/// A caller may use the manager when `groups` and `namespaces` are both empty (an open manager), or when it
/// belongs to one of `groups`, or when its namespace is one of `namespaces` or a child of one (`company.team`
/// admits `company.team.sub` but not `company.teamwork`). Then a secret name must match none of `deny` and,
/// when `allow` is not empty, one of `allow` (patterns: see [`NamePattern`]). With
/// [`KeyRule::Auto`](crate::KeyRule::Auto), `${secret:M/A/B}` can mean the secret `A/B` or key `B` of `A`:
/// both names must be allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessPolicy {
    /// Groups allowed to use the manager.
    pub groups: Vec<String>,
    /// Namespaces (with their children) allowed to use the manager.
    pub namespaces: Vec<String>,
    /// When not empty, only secret names matching one of these patterns.
    pub allow: Vec<String>,
    /// Secret names matching one of these patterns are refused, whatever `allow` says.
    pub deny: Vec<String>,
}

/// Why a call was refused. Names the rule, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The caller's groups and namespace are not among the manager's.
    Caller,
    /// The name matches this deny pattern.
    DeniedName(String),
    /// `allow` patterns are set and the name matches none.
    NotAllowedName,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Caller => f.write_str("the caller's namespace and groups are not allowed to use this manager"),
            Self::DeniedName(pattern) => write!(f, "the secret name matches the deny pattern `{pattern}`"),
            Self::NotAllowedName => f.write_str("the secret name matches none of the manager's allow patterns"),
        }
    }
}

/// An [`AccessPolicy`] with its patterns compiled.
#[derive(Debug, Clone)]
pub(crate) struct AccessRules {
    groups: Vec<String>,
    namespaces: Vec<String>,
    allow: Vec<NamePattern>,
    deny: Vec<NamePattern>,
}

impl AccessRules {
    pub(crate) fn new(policy: &AccessPolicy) -> Self {
        Self {
            groups: policy.groups.clone(),
            namespaces: policy.namespaces.iter().map(|ns| ns.trim_end_matches('.').to_owned()).collect(),
            allow: policy.allow.iter().map(|p| NamePattern::new(p)).collect(),
            deny: policy.deny.iter().map(|p| NamePattern::new(p)).collect(),
        }
    }

    /// Whether the caller may use the manager at all.
    pub(crate) fn check_caller(&self, identity: &Identity) -> Result<(), Denial> {
        if self.groups.is_empty() && self.namespaces.is_empty() {
            return Ok(());
        }
        let in_group = identity.groups.iter().any(|group| self.groups.contains(group));
        let in_namespace = identity
            .namespace
            .as_deref()
            .is_some_and(|namespace| self.namespaces.iter().any(|allowed| namespace_within(namespace, allowed)));
        if in_group || in_namespace {
            Ok(())
        } else {
            Err(Denial::Caller)
        }
    }

    /// Whether the secret name passes the deny and allow patterns.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), Denial> {
        if let Some(pattern) = self.deny.iter().find(|pattern| pattern.matches(name)) {
            return Err(Denial::DeniedName(pattern.as_str().to_owned()));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|pattern| pattern.matches(name)) {
            return Err(Denial::NotAllowedName);
        }
        Ok(())
    }
}

/// Whether `namespace` is `allowed` or one of its children.
fn namespace_within(namespace: &str, allowed: &str) -> bool {
    namespace.strip_prefix(allowed).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(groups: &[&str], namespaces: &[&str], allow: &[&str], deny: &[&str]) -> AccessRules {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        AccessRules::new(&AccessPolicy {
            groups: strings(groups),
            namespaces: strings(namespaces),
            allow: strings(allow),
            deny: strings(deny),
        })
    }

    #[test]
    fn an_open_manager_admits_everyone() {
        assert!(rules(&[], &[], &[], &[]).check_caller(&Identity::default()).is_ok());
    }

    #[test]
    fn namespaces_admit_their_children_only() {
        let rules = rules(&[], &["company.team"], &[], &[]);
        assert!(rules.check_caller(&Identity::in_namespace("company.team")).is_ok());
        assert!(rules.check_caller(&Identity::in_namespace("company.team.sub")).is_ok());
        assert_eq!(rules.check_caller(&Identity::in_namespace("company.teamwork")), Err(Denial::Caller));
        assert_eq!(rules.check_caller(&Identity::in_namespace("company")), Err(Denial::Caller));
        assert_eq!(rules.check_caller(&Identity::default()), Err(Denial::Caller));
    }

    #[test]
    fn a_group_or_a_namespace_suffices() {
        let rules = rules(&["etl"], &["company.team"], &[], &[]);
        assert!(rules.check_caller(&Identity::in_groups(["other", "etl"])).is_ok());
        assert!(rules.check_caller(&Identity::in_namespace("company.team.x")).is_ok());
        assert_eq!(rules.check_caller(&Identity::in_groups(["other"])), Err(Denial::Caller));
    }

    #[test]
    fn deny_wins_over_allow() {
        let rules = rules(&[], &[], &["prod/**"], &["prod/admin/*"]);
        assert!(rules.check_name("prod/db").is_ok());
        assert_eq!(rules.check_name("prod/admin/root"), Err(Denial::DeniedName("prod/admin/*".into())));
        assert_eq!(rules.check_name("dev/db"), Err(Denial::NotAllowedName));
    }
}
