//! The contract: every case in the order it runs, with what it checks and what it needs. This list is the
//! single source of the suite, of the skip reasons and hints it reports, and of the table in the kit's README
//! ([`markdown_table`]; a test keeps the two the same).

use crate::cases::*;
use crate::misbehaving;
use crate::needs::{Capability as Cap, Need, TestOption};
use crate::suite::CaseFn;

/// A case of the contract.
#[derive(Debug, Clone, Copy)]
pub struct CaseSpec {
    /// Its id, as reports name it (`description-and-tags`).
    pub id: &'static str,
    /// What it checks, in one sentence.
    pub checks: &'static str,
    /// What it needs to run at all; when one is not met the case is skipped, saying why and what to do.
    pub needs: &'static [Need],
    /// Checks it adds when their need is met; when not, the case runs without them and notes so.
    pub parts: &'static [Part],
}

/// A part of a case that runs only when its need is met.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// What it checks.
    pub checks: &'static str,
    /// What it needs.
    pub need: Need,
}

/// A case and the code that runs it.
pub(crate) struct Case {
    pub spec: CaseSpec,
    pub run: CaseFn,
}

const READ: Need = Need::Capability(Cap::Read);
const WRITE: Need = Need::Capability(Cap::Write);
const READ_WRITE: [Need; 2] = [READ, WRITE];

/// Part of `update-and-versions`.
pub(crate) const VERSION_HISTORY: Part = Part {
    checks: "the version list holds both versions, the first reads back by its id, and an unknown version id is \
             not-found",
    need: Need::Capability(Cap::Versions),
};
/// Part of `labels`.
pub(crate) const CURRENT_LABEL: Part =
    Part { checks: "the current label reads the new value", need: Need::Option(TestOption::CurrentLabel) };
/// Part of `description-and-tags`.
pub(crate) const DESCRIPTION: Part =
    Part { checks: "the description is kept", need: Need::Option(TestOption::Descriptions) };
/// Part of `description-and-tags`.
pub(crate) const TAGS: Part =
    Part { checks: "tags are kept, and an update sets and removes tags", need: Need::Capability(Cap::Tags) };

/// The check made after every case of a run.
pub(crate) const LEAK_CHECK: CaseSpec = CaseSpec {
    id: "no-value-in-errors-or-debug",
    checks: "No result, error or debug output of the cases before it contains a value the suite wrote.",
    needs: &[],
    parts: &[],
};

macro_rules! case {
    ($id:literal, $checks:literal, $needs:expr, $parts:expr, $run:ident) => {
        Case { spec: CaseSpec { id: $id, checks: $checks, needs: &$needs, parts: &$parts }, run: |c| Box::pin($run(c)) }
    };
}

/// The contract cases [`crate::run`] runs, in order (the leak check follows them).
pub(crate) fn suite_cases() -> Vec<Case> {
    vec![
        case!("declares-read", "The plugin declares `read`: every provider must.", [], [], declares_read),
        case!("not-found", "Get and describe of a secret that does not exist answer not-found.", [READ], [], not_found),
        case!(
            "text-round-trip",
            "A text value created reads back exactly, as text, under its name, enabled.",
            READ_WRITE,
            [],
            text_round_trip
        ),
        case!(
            "binary-round-trip",
            "A value of bytes that are not UTF-8 reads back exactly, as binary.",
            [READ, WRITE, Need::Capability(Cap::BinaryValues)],
            [],
            binary_round_trip
        ),
        case!(
            "already-exists-and-overwrite",
            "Creating an existing name answers already-exists and keeps the value; with overwrite it replaces it.",
            READ_WRITE,
            [],
            already_exists
        ),
        case!(
            "update-and-versions",
            "An update changes the value read as latest.",
            READ_WRITE,
            [VERSION_HISTORY],
            update_and_versions
        ),
        case!(
            "labels",
            "After an update, the previous label reads the value before it.",
            [READ, WRITE, Need::Capability(Cap::Labels), Need::Option(TestOption::PreviousLabel)],
            [CURRENT_LABEL],
            labels
        ),
        case!(
            "probe-tracks-version",
            "Describe reports the version id get reports, and another one after an update.",
            [READ, WRITE, Need::Capability(Cap::Probe)],
            [],
            probe
        ),
        case!(
            "description-and-tags",
            "What a secret is created with besides its value is read back by describe.",
            [READ, WRITE, Need::AnyOf(&[DESCRIPTION.need, TAGS.need])],
            [DESCRIPTION, TAGS],
            description_and_tags
        ),
        case!(
            "list-prefix-paging",
            "Listing by prefix in pages of 2 finds exactly the secrets created under that prefix.",
            [READ, WRITE, Need::Capability(Cap::List)],
            [],
            list_prefix_paging
        ),
        case!(
            "list-tag-filter",
            "Listing by tag finds only the secret carrying that tag.",
            [READ, WRITE, Need::Capability(Cap::List), Need::Capability(Cap::Tags)],
            [],
            list_tag_filter
        ),
        case!(
            "get-many",
            "Get-many answers one result per name, in order: the value, and not-found for a missing name.",
            READ_WRITE,
            [],
            get_many
        ),
        case!(
            "delete-and-restore",
            "A recoverable delete hides the secret, restore brings its value back, and a create with \
             recover-deleted writes over a deleted one.",
            [READ, WRITE, Need::Capability(Cap::DeleteWithRecovery), Need::Capability(Cap::Restore)],
            [],
            delete_and_restore
        ),
        case!(
            "force-delete",
            "After a forced delete, get answers not-found.",
            [READ, WRITE, Need::Capability(Cap::Delete)],
            [],
            force_delete
        ),
        case!(
            "undeclared-is-unsupported",
            "Every operation the plugin does not declare (create, delete, restore, list, versions) answers \
             unsupported.",
            [],
            [],
            undeclared_unsupported
        ),
        case!(
            "invalid-name",
            "Get of the name test.yaml gives as `invalid_name` answers invalid-argument.",
            [READ, Need::Option(TestOption::InvalidName)],
            [],
            invalid_name
        ),
    ]
}

/// The misbehaving-proxy cases [`crate::run_behind_proxy`] runs, in order (the leak check follows them).
pub(crate) fn proxy_cases() -> Vec<Case> {
    use misbehaving::*;
    const PROXY: [Need; 3] = [Need::Proxy, READ, WRITE];
    vec![
        case!(
            "proxy-another-secrets-answer",
            "A read answered with another secret's true answer fails, not as not-found, and never serves the other \
             value.",
            [Need::Proxy, Need::NamedAnswers, READ, WRITE],
            [],
            another_secrets_answer
        ),
        case!(
            "proxy-malformed-success",
            "A read answered with a success whose body does not parse fails, not as not-found.",
            PROXY,
            [],
            malformed_success
        ),
        case!(
            "proxy-answer-cut-short",
            "A read whose answer is cut short once succeeds on a retry, or fails as unavailable or throttled.",
            PROXY,
            [],
            answer_cut_short
        ),
        case!(
            "proxy-connection-reset",
            "A read whose connection is reset twice succeeds: the plugin retried.",
            PROXY,
            [],
            connection_reset
        ),
        case!(
            "proxy-throttled-retry-after",
            "A read answered once with 429 and `Retry-After: 1` succeeds, after waiting about that second.",
            PROXY,
            [],
            throttled
        ),
    ]
}

/// Every case of the contract: those of [`crate::run`], the leak check, then the misbehaving-proxy cases of
/// [`crate::run_behind_proxy`] (which also end with the leak check).
pub fn cases() -> Vec<CaseSpec> {
    let mut all: Vec<CaseSpec> = suite_cases().into_iter().map(|case| case.spec).collect();
    all.push(LEAK_CHECK);
    all.extend(proxy_cases().into_iter().map(|case| case.spec));
    all
}

/// The contract as a Markdown table: each case, what it checks, what it needs to run (capabilities the plugin
/// declares, test.yaml options), and the checks it adds when their need is met.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "| case | what it checks | needs | also checks |\n\
         | --- | --- | --- | --- |\n",
    );
    for spec in cases() {
        let needs: Vec<String> = spec.needs.iter().map(|need| need.describe()).collect();
        let needs = if needs.is_empty() { "always".to_owned() } else { needs.join(", ") };
        let parts: Vec<String> =
            spec.parts.iter().map(|part| format!("{}, with {}", part.checks, part.need.describe())).collect();
        table.push_str(&format!("| `{}` | {} | {} | {} |\n", spec.id, spec.checks, needs, parts.join("; ")));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn case_ids_are_unique_and_every_case_says_what_it_checks() {
        let specs = cases();
        let ids: BTreeSet<&str> = specs.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), specs.len(), "ids repeat: {:?}", specs.iter().map(|s| s.id).collect::<Vec<_>>());
        for spec in specs {
            assert!(spec.checks.ends_with('.') && !spec.checks.contains('|'), "{}: {}", spec.id, spec.checks);
        }
    }
}
