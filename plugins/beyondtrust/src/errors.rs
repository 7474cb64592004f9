//! Password Safe's HTTP answers mapped to the contract's errors, with messages that say what was
//! attempted and never carry a credential or a secret value.

use keyway_plugin_sdk::failures::{self, LoginAttempt};
use keyway_plugin_sdk::{ProviderError, Response};

/// The service's own message: its errors are a JSON string (`"Folder … not found"`) or an object
/// with `Message`; anything else is reported by status only, as it could echo a request.
pub fn service_message(response: &Response) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(&response.body) {
        Ok(serde_json::Value::String(text)) => Some(text),
        Ok(serde_json::Value::Object(map)) => ["Message", "message", "error_description", "error"]
            .iter()
            .find_map(|key| map.get(*key).and_then(|m| m.as_str()).map(str::to_owned)),
        _ => None,
    };
    match text.map(|t| t.trim().chars().take(300).collect::<String>()).filter(|t| !t.is_empty()) {
        Some(text) => format!("HTTP {}: {text}", response.status),
        None => format!("HTTP {}", response.status),
    }
}

/// The error for a failed Secrets Safe call; `action` reads like "reading 'app/db'".
pub fn api_failure(response: &Response, action: &str) -> ProviderError {
    let message = service_message(response);
    match response.status {
        401 => ProviderError::AccessDenied(format!(
            "Password Safe refused {action} ({message}): the session was not accepted after signing in again"
        )),
        403 => ProviderError::AccessDenied(format!(
            "Password Safe denied {action} ({message}): the user needs Secrets Safe permissions on the folder"
        )),
        _ => failures::failure(response, "Password Safe", action, &message),
    }
}

/// The error for a failed sign-in or token request; `what` reads like "the sign-in with the API key as
/// 'svc'", `hint` names what to check.
pub fn sign_in_failure(response: &Response, what: &str, hint: &str) -> ProviderError {
    let attempt = LoginAttempt {
        backend: "Password Safe",
        action: what,
        check: hint,
        check_address: "no Password Safe API answers at this api_url; check it names the server",
    };
    failures::login_failure(response, &attempt, &service_message(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("retry-after".into(), "3".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn maps_statuses_and_messages() {
        let action = "reading 'app/db'";
        let missing = api_failure(&response(404, r#""Secret 1 not found""#), action);
        assert!(matches!(&missing, ProviderError::NotFound(m) if m.contains("Secret 1 not found")), "{missing}");
        let denied = api_failure(&response(403, r#"{"Message":"Forbidden"}"#), action);
        assert!(matches!(&denied, ProviderError::AccessDenied(m) if m.contains("Forbidden")));
        assert!(matches!(api_failure(&response(409, "\"dup\""), action), ProviderError::Conflict(_)));
        assert!(matches!(
            api_failure(&response(400, "\"Title is required\""), action),
            ProviderError::InvalidArgument(_)
        ));
        let throttled = api_failure(&response(429, ""), action);
        assert!(matches!(throttled, ProviderError::Throttled { retry_after_ms: Some(3000), .. }));
        assert!(
            matches!(api_failure(&response(503, "<html>"), action), ProviderError::Unavailable(m) if m.ends_with("HTTP 503"))
        );
        let login = sign_in_failure(&response(401, "\"User not authorized\""), "sign-in", "check api_key");
        assert!(matches!(&login, ProviderError::AccessDenied(m) if m.contains("check api_key")));
        assert!(matches!(sign_in_failure(&response(404, ""), "sign-in", ""), ProviderError::Configuration(_)));
    }
}
