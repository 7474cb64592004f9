//! What a case, or a part of one, needs to run: a capability the plugin declares, an option of the test
//! configuration, or the misbehaving proxy. Each need says, when it is not met, why and what to do about it.

use crate::suite::{ProxyOptions, SuiteOptions};
use keyway_types::Capabilities;

/// What a run offers the cases: the capabilities the plugin declares, the suite's options, and the proxy's
/// options when it runs behind the misbehaving proxy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run<'a> {
    pub caps: Capabilities,
    pub options: &'a SuiteOptions,
    pub proxy: Option<&'a ProxyOptions>,
}

/// A capability a plugin declares in `capabilities()`, named as the field of [`Capabilities`] it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// `read`: get, get-many and describe.
    Read,
    /// `write`: create and update.
    Write,
    /// `delete`: at least a forced delete.
    Delete,
    /// `delete_with_recovery`: a delete that keeps the secret restorable.
    DeleteWithRecovery,
    /// `restore`.
    Restore,
    /// `list`.
    List,
    /// `versions`: the version list and reads by version id.
    Versions,
    /// `labels`: reads by version label.
    Labels,
    /// `binary_values`.
    BinaryValues,
    /// `tags`.
    Tags,
    /// `probe`: describe is cheap and reports the current version id.
    Probe,
}

impl Capability {
    /// Every capability, in the order of [`Capabilities`]' fields.
    pub const ALL: [Capability; 11] = [
        Self::Read,
        Self::Write,
        Self::Delete,
        Self::DeleteWithRecovery,
        Self::Restore,
        Self::List,
        Self::Versions,
        Self::Labels,
        Self::BinaryValues,
        Self::Tags,
        Self::Probe,
    ];

    /// The names (as [`Capability::name`]) of the capabilities `caps` declares.
    pub fn declared(caps: &Capabilities) -> Vec<&'static str> {
        Self::ALL.into_iter().filter(|capability| capability.declared_in(caps)).map(Self::name).collect()
    }

    /// The field of [`Capabilities`] a plugin sets to declare it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Delete => "delete",
            Self::DeleteWithRecovery => "delete_with_recovery",
            Self::Restore => "restore",
            Self::List => "list",
            Self::Versions => "versions",
            Self::Labels => "labels",
            Self::BinaryValues => "binary_values",
            Self::Tags => "tags",
            Self::Probe => "probe",
        }
    }

    /// Whether `caps` declares it.
    pub fn declared_in(self, caps: &Capabilities) -> bool {
        match self {
            Self::Read => caps.read,
            Self::Write => caps.write,
            Self::Delete => caps.delete,
            Self::DeleteWithRecovery => caps.delete_with_recovery,
            Self::Restore => caps.restore,
            Self::List => caps.list,
            Self::Versions => caps.versions,
            Self::Labels => caps.labels,
            Self::BinaryValues => caps.binary_values,
            Self::Tags => caps.tags,
            Self::Probe => caps.probe,
        }
    }
}

/// An option of the test configuration (`test.yaml`) that a case depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOption {
    /// `invalid_name:` a name the backend refuses.
    InvalidName,
    /// `current_label:` the label of the current version.
    CurrentLabel,
    /// `previous_label:` the label of the version before it.
    PreviousLabel,
    /// `descriptions:` whether the backend keeps descriptions; met unless `false`.
    Descriptions,
}

impl TestOption {
    /// The option's key in `test.yaml`.
    pub fn key(self) -> &'static str {
        match self {
            Self::InvalidName => "invalid_name",
            Self::CurrentLabel => "current_label",
            Self::PreviousLabel => "previous_label",
            Self::Descriptions => "descriptions",
        }
    }

    fn is_met(self, c: &Run<'_>) -> bool {
        match self {
            Self::InvalidName => c.options.invalid_name.is_some(),
            Self::CurrentLabel => c.options.current_label.is_some(),
            Self::PreviousLabel => c.options.previous_label.is_some(),
            Self::Descriptions => c.options.descriptions,
        }
    }

    fn unmet(self) -> Unmet {
        let (reason, hint) = match self {
            Self::InvalidName => {
                ("no `invalid_name:` in test.yaml", "set `invalid_name:` in test.yaml to a name the backend refuses")
            }
            Self::CurrentLabel => (
                "no `current_label:` in test.yaml",
                "set `current_label:` in test.yaml to the label the backend gives the newest version",
            ),
            Self::PreviousLabel => (
                "no `previous_label:` in test.yaml",
                "set `previous_label:` in test.yaml to the label the backend gives the version before the newest",
            ),
            Self::Descriptions => (
                "`descriptions: false` in test.yaml",
                "leave `descriptions:` out of test.yaml for a backend that keeps descriptions",
            ),
        };
        Unmet { reason: reason.into(), hint: hint.into() }
    }
}

/// What a case, or a part of a case, needs to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The plugin declares this capability.
    Capability(Capability),
    /// The test configuration sets this option (for `descriptions`: does not set it `false`).
    Option(TestOption),
    /// At least one of these is met.
    AnyOf(&'static [Need]),
    /// The suite runs behind the misbehaving proxy ([`crate::run_behind_proxy`]).
    Proxy,
    /// The backend's answers name the secret they are about ([`crate::ProxyOptions::unnamed_answers`] unset).
    NamedAnswers,
}

/// Why a need is not met, and what would meet it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    /// Why, e.g. "the plugin does not declare `labels`".
    pub reason: String,
    /// What to do, e.g. "declare `labels` in `capabilities()` if the backend supports it".
    pub hint: String,
}

impl Need {
    /// How the contract's table names it: "`labels`" for a capability, "test.yaml `invalid_name`" for an option.
    pub fn describe(self) -> String {
        match self {
            Self::Capability(capability) => format!("`{}`", capability.name()),
            Self::Option(TestOption::Descriptions) => "test.yaml `descriptions` not `false`".into(),
            Self::Option(option) => format!("test.yaml `{}`", option.key()),
            Self::AnyOf(needs) => needs.iter().map(|need| need.describe()).collect::<Vec<_>>().join(" or "),
            Self::Proxy => "the misbehaving proxy".into(),
            Self::NamedAnswers => "answers naming their secret".into(),
        }
    }

    /// `None` when the need is met in this run; otherwise why not and what to do.
    pub(crate) fn unmet(self, c: &Run<'_>) -> Option<Unmet> {
        match self {
            Self::Capability(capability) => (!capability.declared_in(&c.caps)).then(|| Unmet {
                reason: format!("the plugin does not declare `{}`", capability.name()),
                hint: format!("declare `{}` in `capabilities()` if the backend supports it", capability.name()),
            }),
            Self::Option(option) => (!option.is_met(c)).then(|| option.unmet()),
            Self::AnyOf(needs) => {
                let unmet: Option<Vec<Unmet>> = needs.iter().map(|need| need.unmet(c)).collect();
                unmet.map(|all| join(&all, " and ", " or "))
            }
            Self::Proxy => c.proxy.is_none().then(|| Unmet {
                reason: "runs only behind the misbehaving proxy".into(),
                hint: "run the plugin with `keyway_conformance::run_behind_proxy`".into(),
            }),
            Self::NamedAnswers => c.proxy.and_then(|options| options.unnamed_answers.clone()).map(|why| Unmet {
                reason: format!("the backend's answers do not name the secret: {why}"),
                hint: "nothing: a plugin cannot tell another secret's answer from its own".into(),
            }),
        }
    }
}

/// Every unmet need of `needs`, joined (the capabilities missing named together); `None` when all are met.
pub(crate) fn unmet_all(needs: &[Need], c: &Run<'_>) -> Option<Unmet> {
    let missing: Vec<String> = needs
        .iter()
        .filter_map(|need| match need {
            Need::Capability(capability) if !capability.declared_in(&c.caps) => {
                Some(format!("`{}`", capability.name()))
            }
            _ => None,
        })
        .collect();
    let mut unmet = Vec::new();
    if !missing.is_empty() {
        let (names, them) = (missing.join(", "), if missing.len() == 1 { "it" } else { "them" });
        unmet.push(Unmet {
            reason: format!("the plugin does not declare {names}"),
            hint: format!("declare {names} in `capabilities()` if the backend supports {them}"),
        });
    }
    let others = needs.iter().filter(|need| !matches!(need, Need::Capability(_)));
    unmet.extend(others.filter_map(|need| need.unmet(c)));
    (!unmet.is_empty()).then(|| join(&unmet, "; ", "; "))
}

fn join(unmet: &[Unmet], reasons: &str, hints: &str) -> Unmet {
    let why: Vec<&str> = unmet.iter().map(|u| u.reason.as_str()).collect();
    let what: Vec<&str> = unmet.iter().map(|u| u.hint.as_str()).collect();
    Unmet { reason: why.join(reasons), hint: what.join(hints) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIBED_OR_TAGGED: Need =
        Need::AnyOf(&[Need::Option(TestOption::Descriptions), Need::Capability(Capability::Tags)]);

    fn run(caps: Capabilities, options: &SuiteOptions) -> Run<'_> {
        Run { caps, options, proxy: None }
    }

    #[test]
    fn missing_capabilities_are_named_together_with_what_to_declare() {
        let options = SuiteOptions::default();
        let read_only = run(Capabilities { read: true, ..Capabilities::default() }, &options);
        let needs = [
            Need::Capability(Capability::Read),
            Need::Capability(Capability::Write),
            Need::Capability(Capability::BinaryValues),
        ];
        let unmet = unmet_all(&needs, &read_only).expect("write and binary values are missing");
        assert_eq!(unmet.reason, "the plugin does not declare `write`, `binary_values`");
        assert_eq!(unmet.hint, "declare `write`, `binary_values` in `capabilities()` if the backend supports them");
        assert_eq!(unmet_all(&needs[..1], &read_only), None);
        assert_eq!(Capability::declared(&Capabilities::ALL).len(), Capability::ALL.len());
        assert_eq!(Capability::declared(&read_only.caps), ["read"]);
    }

    #[test]
    fn options_say_which_key_of_test_yaml_to_set() {
        let options = SuiteOptions::default();
        let all = run(Capabilities::ALL, &options);
        let unmet = unmet_all(&[Need::Option(TestOption::InvalidName)], &all).expect("no invalid_name");
        assert!(unmet.hint.starts_with("set `invalid_name:` in test.yaml"), "{unmet:?}");
        assert_eq!(unmet_all(&[DESCRIBED_OR_TAGGED], &all), None);
        let undescribed = SuiteOptions { descriptions: false, ..SuiteOptions::default() };
        assert_eq!(unmet_all(&[DESCRIBED_OR_TAGGED], &run(Capabilities::ALL, &undescribed)), None, "tags suffice");
        let untagged = run(Capabilities { tags: false, ..Capabilities::ALL }, &undescribed);
        let unmet = unmet_all(&[DESCRIBED_OR_TAGGED], &untagged).expect("neither descriptions nor tags");
        assert_eq!(unmet.reason, "`descriptions: false` in test.yaml and the plugin does not declare `tags`");
        assert!(unmet.hint.contains("leave `descriptions:` out") && unmet.hint.contains(" or declare `tags`"));
    }

    #[test]
    fn proxy_needs() {
        let options = SuiteOptions::default();
        let proxy = ProxyOptions { unnamed_answers: Some("KV answers carry no path".into()) };
        let direct = run(Capabilities::ALL, &options);
        assert!(unmet_all(&[Need::Proxy], &direct).is_some_and(|u| u.hint.contains("run_behind_proxy")));
        let behind = Run { proxy: Some(&proxy), ..direct };
        assert_eq!(unmet_all(&[Need::Proxy], &behind), None);
        let unmet = unmet_all(&[Need::NamedAnswers], &behind).expect("unnamed answers");
        assert!(unmet.reason.ends_with("KV answers carry no path"), "{unmet:?}");
        assert_eq!(DESCRIBED_OR_TAGGED.describe(), "test.yaml `descriptions` not `false` or `tags`");
    }
}
