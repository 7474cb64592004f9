//! Conjur's HTTP answers mapped to the contract's errors. Conjur's error bodies
//! (`{"error": {"code", "message"}}`) name ids, never values; the plugin's messages say what was attempted.

use keyway_plugin_sdk::failures::{self, LoginAttempt};
use keyway_plugin_sdk::{ProviderError, Response};

/// Conjur's message, or the bare status.
pub fn conjur_message(response: &Response) -> String {
    response.error_message().unwrap_or_else(|| format!("HTTP {}", response.status))
}

/// The error for a failed request; `action` reads like "reading variable 'db/password'".
pub fn failure(response: &Response, action: &str) -> ProviderError {
    let message = conjur_message(response);
    match response.status {
        401 => ProviderError::AccessDenied(format!(
            "Conjur refused the access token while {action} ({message}), also after authenticating again"
        )),
        403 => ProviderError::AccessDenied(format!(
            "Conjur denied {action} ({message}): the login lacks the privilege (read, execute or update on the \
             variable; create or update on the policy)"
        )),
        404 => ProviderError::NotFound(format!("{action}: {message}")),
        406 => ProviderError::InvalidArgument(format!("Conjur rejected {action}: {message}")),
        _ => failures::failure(response, "Conjur", action, &message),
    }
}

/// The error for a failed authentication of `login` in `account`. Conjur answers 401 alike for a
/// wrong key, an unknown login and an unknown account, so the message names all three.
pub fn authentication_failure(response: &Response, login: &str, account: &str, authenticator: &str) -> ProviderError {
    let action = format!("the request to authenticate '{login}' in account '{account}' with {authenticator}");
    let attempt = LoginAttempt {
        backend: "Conjur",
        action: &action,
        check: "check login, account and the api_key or password (Conjur does not tell which is wrong)",
        check_address: "no such authenticator for this account; check url and authn_service_id",
    };
    failures::login_failure(response, &attempt, &conjur_message(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, message: Option<&str>) -> Response {
        let body = message.map(|m| serde_json::json!({"error": {"code": "x", "message": m}}).to_string());
        Response { status, headers: vec![], body: body.unwrap_or_default().into_bytes() }
    }

    #[test]
    fn maps_conjur_statuses() {
        let action = "reading variable 'db'";
        let missing = failure(&response(404, Some("Variable 'db' not found in account 'myorg'")), action);
        assert!(matches!(&missing, ProviderError::NotFound(m) if m.contains("not found in account")));
        assert!(matches!(failure(&response(403, Some("Forbidden")), action), ProviderError::AccessDenied(_)));
        assert!(matches!(failure(&response(422, Some("bad")), action), ProviderError::InvalidArgument(_)));
        assert!(
            matches!(failure(&response(502, None), action), ProviderError::Unavailable(m) if m.contains("HTTP 502"))
        );
        let refused = authentication_failure(&response(401, None), "host/kestra", "myorg", "authn");
        assert!(matches!(&refused, ProviderError::AccessDenied(m) if m.contains("'myorg'") && m.contains("authn")));
        let missing = authentication_failure(&response(404, None), "host/kestra", "myorg", "authn-ldap/corp");
        assert!(matches!(missing, ProviderError::Configuration(_)));
    }
}
