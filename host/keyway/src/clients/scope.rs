//! [`Scope`]: the identities one client may assert.

use keyway_resolve::Identity;
use std::fmt;

/// The namespaces and groups a client may assert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    namespaces: Vec<NamespacePattern>,
    groups: Vec<String>,
}

/// One namespace pattern: `*`, `a.b` (it and its children), `a.b.*` (its children only).
#[derive(Debug, Clone, PartialEq, Eq)]
enum NamespacePattern {
    Any,
    WithChildren(String),
    ChildrenOf(String),
}

/// Why an asserted identity is outside a client's scope. Names what was asserted, which is the caller's own
/// claim, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutOfScope {
    /// The namespace is none of the client's.
    #[error("client '{client}' may not act for namespace '{namespace}'")]
    Namespace {
        /// The client.
        client: String,
        /// The namespace asserted.
        namespace: String,
    },
    /// A group is none of the client's.
    #[error("client '{client}' may not act for group '{group}'")]
    Group {
        /// The client.
        client: String,
        /// The group asserted.
        group: String,
    },
}

impl Scope {
    /// A scope from configuration; each mistake is named.
    pub fn new(namespaces: &[String], groups: &[String]) -> Result<Self, String> {
        let namespaces =
            namespaces.iter().map(|pattern| NamespacePattern::parse(pattern)).collect::<Result<Vec<_>, _>>()?;
        for group in groups {
            if group.is_empty() || group.contains(',') || group.chars().any(char::is_control) {
                return Err(format!("group '{group}' is not a group name (no commas, no control characters)"));
            }
        }
        Ok(Self { namespaces, groups: groups.to_vec() })
    }

    /// The scope of a client that may assert anything.
    pub fn any() -> Self {
        Self { namespaces: vec![NamespacePattern::Any], groups: vec!["*".into()] }
    }

    /// Checks `identity`'s namespace and every group against the scope.
    pub fn admit(&self, client: &str, identity: &Identity) -> Result<(), OutOfScope> {
        if let Some(namespace) = &identity.namespace {
            if !self.namespaces.iter().any(|pattern| pattern.matches(namespace)) {
                return Err(OutOfScope::Namespace { client: client.into(), namespace: namespace.clone() });
            }
        }
        let any_group = self.groups.iter().any(|group| group == "*");
        if let Some(group) = identity.groups.iter().find(|group| !any_group && !self.groups.contains(group)) {
            return Err(OutOfScope::Group { client: client.into(), group: group.clone() });
        }
        Ok(())
    }
}

impl NamespacePattern {
    fn parse(pattern: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "namespace pattern '{pattern}' is not `*`, `name.space` or `name.space.*` (letters, digits, '-', '_', \
                 dots between)"
            )
        };
        if pattern == "*" {
            return Ok(Self::Any);
        }
        let (base, children) = match pattern.strip_suffix(".*") {
            Some(base) => (base, true),
            None => (pattern, false),
        };
        let valid = !base.is_empty()
            && base.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            });
        if !valid {
            return Err(invalid());
        }
        Ok(if children { Self::ChildrenOf(base.into()) } else { Self::WithChildren(base.into()) })
    }

    fn matches(&self, namespace: &str) -> bool {
        match self {
            Self::Any => true,
            Self::WithChildren(base) => {
                namespace.strip_prefix(base.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }
            Self::ChildrenOf(base) => namespace
                .strip_prefix(base.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| !rest.is_empty()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let namespaces: Vec<String> = self
            .namespaces
            .iter()
            .map(|pattern| match pattern {
                NamespacePattern::Any => "*".to_owned(),
                NamespacePattern::WithChildren(base) => base.clone(),
                NamespacePattern::ChildrenOf(base) => format!("{base}.*"),
            })
            .collect();
        write!(f, "namespaces [{}], groups [{}]", namespaces.join(", "), self.groups.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(namespaces: &[&str], groups: &[&str]) -> Scope {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Scope::new(&strings(namespaces), &strings(groups)).expect("valid scope")
    }

    #[test]
    fn namespace_patterns() {
        let team = scope(&["company.team"], &[]);
        assert!(team.admit("c", &Identity::in_namespace("company.team")).is_ok());
        assert!(team.admit("c", &Identity::in_namespace("company.team.sub")).is_ok());
        assert!(team.admit("c", &Identity::in_namespace("company.teamwork")).is_err());
        assert!(team.admit("c", &Identity::in_namespace("company")).is_err());
        let children = scope(&["company.team.*"], &[]);
        assert!(children.admit("c", &Identity::in_namespace("company.team.a")).is_ok());
        assert!(children.admit("c", &Identity::in_namespace("company.team.a.b")).is_ok());
        assert!(children.admit("c", &Identity::in_namespace("company.team")).is_err());
        assert!(children.admit("c", &Identity::in_namespace("company.team.")).is_err());
        assert!(Scope::any().admit("c", &Identity::in_namespace("anything.at.all")).is_ok());
        // Asserting nothing is always within scope: it grants only what open managers grant everyone.
        assert!(scope(&[], &[]).admit("c", &Identity::default()).is_ok());
    }

    #[test]
    fn every_group_must_be_granted() {
        let etl = scope(&["*"], &["etl"]);
        assert!(etl.admit("c", &Identity::in_groups(["etl"])).is_ok());
        let err = etl.admit("c", &Identity::in_groups(["etl", "admins"])).expect_err("admins");
        assert_eq!(err.to_string(), "client 'c' may not act for group 'admins'");
        assert!(Scope::any().admit("c", &Identity::in_groups(["admins"])).is_ok());
    }

    #[test]
    fn malformed_patterns_are_named() {
        for bad in ["", "a..b", "company.*.x", "**", "a b", ".a", "a.*.*"] {
            let err = Scope::new(&[bad.to_string()], &[]).expect_err(bad);
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
        assert!(Scope::new(&[], &["a,b".into()]).is_err());
    }
}
