//! Secret Server's HTTP answers mapped to the contract's errors, with messages that say what was
//! attempted and never carry a credential or a field value.

use keyway_plugin_sdk::failures::{self, LoginAttempt};
use keyway_plugin_sdk::{ProviderError, Response};

/// Secret Server's own message (`{"errorCode", "message"}`, or the token endpoint's `{"error"}`).
pub fn server_message(response: &Response) -> String {
    match response.error_message() {
        Some(message) => format!("HTTP {}: {message}", response.status),
        None => format!("HTTP {}", response.status),
    }
}

/// The error for a failed REST call; `action` reads like "reading 'db'".
pub fn api_failure(response: &Response, action: &str) -> ProviderError {
    let message = server_message(response);
    match response.status {
        401 => ProviderError::AccessDenied(format!(
            "Secret Server refused {action} ({message}): the token was not accepted after logging in again"
        )),
        403 => ProviderError::AccessDenied(format!(
            "Secret Server denied {action} ({message}): the account needs the permission on the folder or secret"
        )),
        _ => failures::failure(response, "Secret Server", action, &message),
    }
}

/// The error for a refused login; `who` reads like "user 'keyway'", `hint` names the settings to check.
pub fn login_failure(response: &Response, who: &str, hint: &str) -> ProviderError {
    let action = format!("the login of {who}");
    let attempt = LoginAttempt {
        backend: "Secret Server",
        action: &action,
        check: hint,
        check_address: "no Secret Server token endpoint at base_url/oauth2/token; check base_url",
    };
    failures::login_failure(response, &attempt, &server_message(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("retry-after".into(), "2".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn maps_statuses_and_messages() {
        let action = "reading 'db'";
        let denied =
            api_failure(&response(403, r#"{"errorCode":"API_AccessDenied","message":"Access Denied"}"#), action);
        assert!(matches!(&denied, ProviderError::AccessDenied(m) if m.contains("Access Denied")));
        let bad = api_failure(
            &response(400, r#"{"errorCode":"API_FieldRequired","message":"Password is required."}"#),
            action,
        );
        assert!(matches!(&bad, ProviderError::InvalidArgument(m) if m.contains("Password is required.")));
        assert!(matches!(api_failure(&response(404, "{}"), action), ProviderError::NotFound(_)));
        assert!(matches!(
            api_failure(&response(429, ""), action),
            ProviderError::Throttled { retry_after_ms: Some(2000), .. }
        ));
        assert!(matches!(api_failure(&response(503, ""), action), ProviderError::Unavailable(_)));
        let login = login_failure(&response(400, r#"{"error":"Login failed."}"#), "user 'u'", "check the password");
        assert!(matches!(&login, ProviderError::AccessDenied(m) if m.contains("Login failed.") && m.contains("check")));
        assert!(matches!(login_failure(&response(404, ""), "user 'u'", ""), ProviderError::Configuration(_)));
    }
}
