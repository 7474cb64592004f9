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
    /// The parts of a case that ran without them, and why (`not checked: the description is kept (...)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For a skipped case: which capability to declare or which test.yaml option to set to run it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl CaseReport {
    /// A report of `name` with this outcome, no time, note or hint.
    pub fn new(name: &'static str, outcome: CaseOutcome) -> Self {
        Self { name, outcome, millis: 0, note: None, hint: None }
    }

    /// `passed`, `failed` or `skipped`.
    pub fn result(&self) -> &'static str {
        match self.outcome {
            CaseOutcome::Passed => "passed",
            CaseOutcome::Failed(_) => "failed",
            CaseOutcome::Skipped(_) => "skipped",
        }
    }

    /// The time column: `12 ms`, or `-` for a case that did not run.
    pub fn time(&self) -> String {
        match self.outcome {
            CaseOutcome::Skipped(_) => "-".into(),
            _ => format!("{} ms", self.millis),
        }
    }

    /// The note column: why a case failed, why it was skipped and how to run it, or what it left unchecked.
    pub fn remark(&self) -> String {
        match (&self.outcome, &self.hint) {
            (CaseOutcome::Failed(why), _) => why.clone(),
            (CaseOutcome::Skipped(why), Some(hint)) => format!("{why}; to run it: {hint}"),
            (CaseOutcome::Skipped(why), None) => why.clone(),
            (CaseOutcome::Passed, _) => self.note.clone().unwrap_or_default(),
        }
    }
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

impl Report {
    /// The report's table: a row per case with its name, result, time and note (see [`Report::HEADER`]).
    pub fn rows(&self) -> Vec<Vec<String>> {
        let row = |case: &CaseReport| vec![case.name.to_owned(), case.result().to_owned(), case.time(), case.remark()];
        self.cases.iter().map(row).collect()
    }

    /// The header of [`Report::rows`].
    pub const HEADER: [&'static str; 4] = ["CASE", "RESULT", "TIME", "NOTE"];

    /// The closing line: `conformance: 15 passed, 0 failed, 2 skipped`.
    pub fn summary(&self) -> String {
        format!("conformance: {} passed, {} failed, {} skipped", self.passed(), self.failed(), self.skipped())
    }
}

/// The table of [`Report::rows`], columns aligned, then [`Report::summary`].
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let mut widths = Self::HEADER.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header = Self::HEADER.map(str::to_owned).to_vec();
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
            writeln!(f, "{}", cells.join("  ").trim_end())?;
        }
        writeln!(f, "{}", self.summary())
    }
}
