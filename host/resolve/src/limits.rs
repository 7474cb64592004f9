//! [`StepLimits`]: how large one step may be, so that one caller's step cannot occupy the resolver (and the
//! backends) for everyone else.

use serde::{Deserialize, Serialize};

/// How many placeholders, and how many distinct secrets, one step may hold. A larger step is refused before
/// any secret is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepLimits {
    /// Placeholders in the whole step, counting repeats (default 1,000).
    pub max_placeholders: usize,
    /// Distinct secrets the step reads (default 200).
    pub max_secrets: usize,
}

impl Default for StepLimits {
    fn default() -> Self {
        Self { max_placeholders: 1_000, max_secrets: 200 }
    }
}
