//! Connect's HTTP answers mapped to the contract's errors. Connect's messages (`{"status", "message"}`)
//! name ids and fields, never values; the plugin's messages say what was attempted.

use keyway_plugin_sdk::{failures, ProviderError, Response};

/// Connect's message, or the bare status.
pub fn connect_message(response: &Response) -> String {
    response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status))
}

/// The error for a failed request; `action` reads like "reading item 'db'".
pub fn failure(response: &Response, action: &str) -> ProviderError {
    let message = connect_message(response);
    match response.status {
        401 => ProviderError::AccessDenied(format!(
            "1Password Connect refused the token while {action} ({message}): check the token setting"
        )),
        403 => ProviderError::AccessDenied(format!(
            "1Password Connect denied {action} ({message}): the token has no access to this vault"
        )),
        404 if message.starts_with("vault ") => ProviderError::Configuration(format!(
            "1Password Connect does not know the vault while {action} ({message}): check the vault setting"
        )),
        404 => ProviderError::NotFound(format!("{action}: {message}")),
        _ => failures::failure(response, "1Password Connect", action, &message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, message: &str) -> Response {
        let body = serde_json::json!({ "status": status, "message": message }).to_string();
        Response { status, headers: vec![("retry-after".into(), "3".into())], body: body.into_bytes() }
    }

    #[test]
    fn maps_connect_statuses() {
        let action = "reading item 'db'";
        let denied = failure(&response(401, "Invalid token signature"), action);
        assert!(matches!(&denied, ProviderError::AccessDenied(m) if m.contains("Invalid token signature")));
        let scope = failure(&response(403, "vault abc is not in scope"), action);
        assert!(matches!(&scope, ProviderError::AccessDenied(m) if m.contains("no access to this vault")));
        assert!(matches!(failure(&response(404, "vault abc not found"), action), ProviderError::Configuration(_)));
        assert!(matches!(failure(&response(404, "item abc not found"), action), ProviderError::NotFound(_)));
        assert!(matches!(failure(&response(400, "Invalid item category"), action), ProviderError::InvalidArgument(_)));
        let throttled = failure(&response(429, "slow down"), action);
        assert!(matches!(throttled, ProviderError::Throttled { retry_after_ms: Some(3000), .. }));
        assert!(matches!(failure(&response(503, "sync"), action), ProviderError::Unavailable(_)));
    }
}
