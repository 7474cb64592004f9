//! The result of a suite run.

use serde::Serialize;
use std::fmt;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "kebab-case")]
pub enum CaseOutcome {
    /// Every check held.
    Passed,
    /// A check failed; the message says which and why.
    Failed(String),
    /// Not applicable to this plugin (undeclared capability or missing option).
    Skipped(String),
}

/// One case's name and outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// The case.
    pub name: &'static str,
    /// Its outcome.
    pub outcome: CaseOutcome,
    /// How long it took, in milliseconds.
    pub millis: u128,
}

/// All cases of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The cases in the order they ran.
    pub cases: Vec<CaseReport>,
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Passed))
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Failed(_)))
    }

    /// Cases that were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Skipped(_)))
    }

    /// Whether no case failed.
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }

    fn count(&self, f: impl Fn(&CaseOutcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for case in &self.cases {
            match &case.outcome {
                CaseOutcome::Passed => writeln!(f, "  ok      {:<28} {:>6} ms", case.name, case.millis)?,
                CaseOutcome::Failed(why) => writeln!(f, "  FAILED  {:<28} {why}", case.name)?,
                CaseOutcome::Skipped(why) => writeln!(f, "  skipped {:<28} {why}", case.name)?,
            }
        }
        writeln!(f, "conformance: {} passed, {} failed, {} skipped", self.passed(), self.failed(), self.skipped())
    }
}
