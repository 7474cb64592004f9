//! Vault's HTTP answers mapped to the contract's errors, with messages that
//! say what was attempted and never carry a credential or a value.

use keyway_plugin_sdk::failures::{self, LoginAttempt};
use keyway_plugin_sdk::{ProviderError, Response};

/// Vault's own message ("permission denied", "check-and-set parameter did not
/// match the current version", …), or the bare status.
pub fn vault_message(response: &Response) -> String {
    response.error_message().map(|m| tidy(&m)).unwrap_or_else(|| format!("HTTP {}", response.status))
}

/// Flattens Go's multi-error text (`1 error occurred:\n\t* permission denied\n\n`) to `permission denied`.
fn tidy(message: &str) -> String {
    if !message.contains(" occurred:") {
        return message.trim().to_owned();
    }
    let items: Vec<&str> = message.lines().filter_map(|line| line.trim().strip_prefix("* ")).collect();
    if items.is_empty() {
        message.trim().to_owned()
    } else {
        items.join("; ")
    }
}

/// Whether a 400 is Vault refusing a check-and-set write.
pub fn is_cas_mismatch(response: &Response) -> bool {
    response.status == 400 && vault_message(response).contains("check-and-set")
}

/// Whether a 404 says nothing is mounted at the path, rather than that a secret is missing.
pub fn is_missing_route(response: &Response) -> bool {
    response.status == 404 && vault_message(response).contains("no handler for route")
}

/// The error for a failed KV request. `action` reads like "reading 'app/db' in
/// mount 'secret'"; a 404 here is a missing secret unless the route is missing.
pub fn kv_failure(response: &Response, action: &str, mount: &str) -> ProviderError {
    let message = vault_message(response);
    match response.status {
        404 if is_missing_route(response) => missing_mount(mount),
        404 => ProviderError::NotFound(format!("{action}: not found")),
        401 | 403 => ProviderError::AccessDenied(format!(
            "Vault denied {action}: {message}; the token is invalid or expired, or no policy grants this path"
        )),
        400 if is_cas_mismatch(response) => ProviderError::Conflict(format!(
            "{action}: the secret was changed concurrently (check-and-set failed); read it again and retry"
        )),
        _ => failures::failure(response, "Vault", action, &message),
    }
}

/// The error when the KV mount does not exist.
pub fn missing_mount(mount: &str) -> ProviderError {
    ProviderError::Configuration(format!(
        "no secrets engine is mounted at '{mount}/': check the mount setting (enable one with `bao secrets enable \
         -path={mount} kv-v2`)"
    ))
}

/// The error for a refused login; `what` reads like "the AppRole login at auth/approle", `check` names the
/// settings to check.
pub fn login_failure(response: &Response, what: &str, check: &str) -> ProviderError {
    let attempt = LoginAttempt {
        backend: "Vault",
        action: what,
        check,
        check_address: "no such auth method is enabled there; check auth_mount",
    };
    failures::login_failure(response, &attempt, &vault_message(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("retry-after".into(), "2".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn maps_vault_statuses() {
        let action = "reading 'app/db' in mount 'secret'";
        let denied = kv_failure(&response(403, r#"{"errors":["permission denied"]}"#), action, "secret");
        assert!(matches!(&denied, ProviderError::AccessDenied(m) if m.contains("permission denied")));
        let cas = r#"{"errors":["check-and-set parameter did not match the current version"]}"#;
        assert!(matches!(kv_failure(&response(400, cas), action, "secret"), ProviderError::Conflict(_)));
        let route = r#"{"errors":["no handler for route \"nope/data/x\". route entry not found."]}"#;
        assert!(matches!(kv_failure(&response(404, route), action, "nope"), ProviderError::Configuration(_)));
        assert!(matches!(kv_failure(&response(404, r#"{"errors":[]}"#), action, "s"), ProviderError::NotFound(_)));
        let throttled = kv_failure(&response(429, "{}"), action, "s");
        assert!(matches!(throttled, ProviderError::Throttled { retry_after_ms: Some(2000), .. }));
        let multi = r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#;
        let denied = kv_failure(&response(403, multi), action, "secret");
        assert!(denied.message().starts_with("Vault denied reading 'app/db' in mount 'secret': permission denied;"));
        let sealed = kv_failure(&response(503, r#"{"errors":["Vault is sealed"]}"#), action, "s");
        assert!(matches!(&sealed, ProviderError::Unavailable(m) if m.contains("sealed")));
    }
}
