//! A manager's resolution settings: access rules, cache overrides and the key rule.

use crate::access::AccessPolicy;
use crate::cache::CacheOverrides;
use serde::{Deserialize, Serialize};

/// How `${secret:MANAGER/A/B/C}` is read when the name part (`A/B/C`) contains a slash: is `C` a key of a
/// JSON key/value secret `A/B`, or part of the name `A/B/C`?
///
/// Explicit keys (`?key=K`, Kestra's `subkey='K'`) are never ambiguous and ignore this rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyRule {
    /// The full path is tried as a name first; when no such secret exists, the part after the last slash
    /// is read as a key of the secret named by the rest. A secret whose name is the full path always wins,
    /// and a missing key of an existing key/value secret is reported as such. Costs one extra (negatively
    /// cached) backend read when the key form is meant.
    #[default]
    Auto,
    /// CloverDX's rule for AWS Secrets Manager: the part after the last slash is always a key
    /// (`A/B/C` is key `C` of secret `A/B`); a path without a slash is a whole secret.
    LastSegment,
    /// The full path is always the name; keys only through `?key=`.
    Never,
}

/// A manager's resolution settings, as written in configuration under the manager.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManagerOptions {
    /// Who may use the manager, and which secret names.
    pub access: AccessPolicy,
    /// How a trailing path segment is read; see [`KeyRule`].
    pub keys: KeyRule,
    /// Overrides of the global cache settings.
    pub cache: CacheOverrides,
    /// Serve secrets past their expiry or before their not-before time instead of refusing them (for
    /// backends whose rotation sets the expiry late). Default: refused.
    pub serve_expired: bool,
    /// Secrets kept by namespace, as Kestra keeps them: where a namespace's secrets are, and whether a flow
    /// also finds those of the namespaces above its own. `None`: names are used as written.
    pub namespaces: Option<NamespaceLayout>,
}

/// How a manager keeps secrets by namespace (Kestra's `{{ secret('NAME', namespace='…') }}`).
///
/// A placeholder's namespace is its `namespace='…'` argument, else the calling flow's namespace. Its secret
/// `NAME` is looked up as `layout` with `{namespace}` and `{name}` filled in; with `inherit`, a flow in
/// `company.team.sub` that has no such secret finds `company.team`'s, then `company`'s — the nearest wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceLayout {
    /// Where a namespace's secret is: `{namespace}` and `{name}` (default `{namespace}/{name}`).
    #[serde(default = "default_layout")]
    pub layout: String,
    /// Whether the namespaces above a flow's are searched too, nearest first (default true, as in Kestra).
    #[serde(default = "inherit_by_default")]
    pub inherit: bool,
}

fn default_layout() -> String {
    "{namespace}/{name}".into()
}

fn inherit_by_default() -> bool {
    true
}

impl NamespaceLayout {
    /// Checks the layout: `{namespace}` once, then `{name}` once, with a separator between them that has no
    /// `.` (so a name never reads as a deeper namespace). Returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let (Some(at_namespace), Some(at_name)) = (self.layout.find("{namespace}"), self.layout.find("{name}")) else {
            return Err(format!("layout '{}' must contain {{namespace}} and {{name}}", self.layout));
        };
        if self.layout.matches("{namespace}").count() != 1 || self.layout.matches("{name}").count() != 1 {
            return Err(format!("layout '{}' must contain {{namespace}} and {{name}} once each", self.layout));
        }
        let between = self.layout.get(at_namespace + "{namespace}".len()..at_name).unwrap_or_default();
        if at_name < at_namespace || between.is_empty() || between.contains('.') {
            return Err(format!(
                "layout '{}' must put {{namespace}} first and separate it from {{name}} by something without '.', \
                 such as '{{namespace}}/{{name}}'",
                self.layout
            ));
        }
        Ok(())
    }

    /// The namespace a backend name belongs to under this layout (`company.team` of `company.team/db`), or
    /// `None` for a name outside the layout.
    pub fn namespace_of<'a>(&self, name: &'a str) -> Option<&'a str> {
        let at_namespace = self.layout.find("{namespace}")?;
        let at_name = self.layout.find("{name}")?;
        let before = self.layout.get(..at_namespace)?;
        let between = self.layout.get(at_namespace + "{namespace}".len()..at_name)?;
        let rest = name.strip_prefix(before)?;
        let (namespace, _) = rest.split_once(between)?;
        let valid = !namespace.is_empty()
            && namespace.split('.').all(|segment| {
                !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        valid.then_some(namespace)
    }

    /// The names `name` of `namespace` is looked up under, nearest namespace first.
    pub fn names(&self, namespace: &str, name: &str) -> Vec<String> {
        let mut levels = vec![namespace];
        if self.inherit {
            let mut rest = namespace;
            while let Some((parent, _)) = rest.rsplit_once('.') {
                levels.push(parent);
                rest = parent;
            }
        }
        levels.into_iter().map(|level| self.layout.replace("{namespace}", level).replace("{name}", name)).collect()
    }
}
