//! Assertion helpers: each returns a message naming what was expected.

use keyway_runtime::CallError;
use keyway_types::{ErrorKind, SecretValue};

/// The result type of a case.
pub type CaseResult = Result<(), String>;

/// Fails unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> CaseResult {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

/// Unwraps an operation's result, naming the step on failure.
pub fn step<T>(what: &str, result: Result<T, CallError>) -> Result<T, String> {
    result.map_err(|err| format!("{what} failed: {err}"))
}

/// Expects an error of `kind`.
pub fn expect_kind<T>(what: &str, result: Result<T, CallError>, kind: ErrorKind) -> CaseResult {
    match result {
        Ok(_) => Err(format!("{what} succeeded, expected a {kind:?} error")),
        Err(err) if err.kind() == kind => Ok(()),
        Err(err) => Err(format!("{what} failed with {:?} ({err}), expected {kind:?}", err.kind())),
    }
}

/// Compares values without printing them.
pub fn same_value(what: &str, got: &SecretValue, want: &SecretValue) -> CaseResult {
    ensure(got == want, || {
        format!(
            "{what}: the value read back differs from the value written ({} bytes{}, expected {} bytes{})",
            got.len(),
            if got.is_binary() { ", binary" } else { "" },
            want.len(),
            if want.is_binary() { ", binary" } else { "" },
        )
    })
}
