//! Who is calling: the bearer token check (a middleware on every route) and the caller's identity from the
//! `X-Keyway-*` headers (an extractor).

use super::error::ApiError;
use super::State;
use axum::extract::{FromRequestParts, Request, State as StateOf};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyway::Identity;
use std::sync::Arc;

/// The caller's namespace (`company.team`).
pub const NAMESPACE: &str = "x-keyway-namespace";
/// The caller's groups, comma-separated.
pub const GROUPS: &str = "x-keyway-groups";
/// The flow, recorded in audit records.
pub const FLOW: &str = "x-keyway-flow";
/// The step, recorded in audit records.
pub const STEP: &str = "x-keyway-step";

/// The caller's identity, from the `X-Keyway-Namespace`, `X-Keyway-Groups`, `X-Keyway-Flow` and
/// `X-Keyway-Step` headers; every header is optional.
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        identity_from(&parts.headers).map(Caller)
    }
}

/// Reads the identity headers.
pub fn identity_from(headers: &HeaderMap) -> Result<Identity, ApiError> {
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match headers.get(name) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map(|text| Some(text.trim().to_owned()).filter(|text| !text.is_empty()))
                .map_err(|_| ApiError::invalid(format!("header {name} is not visible ASCII text"))),
        }
    };
    let groups = text(GROUPS)?
        .map(|list| list.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(Identity { namespace: text(NAMESPACE)?, groups, flow: text(FLOW)?, step: text(STEP)? })
}

/// Refuses a request without the configured bearer token (when one is configured).
pub async fn require_token(StateOf(state): StateOf<Arc<State>>, request: Request, next: Next) -> Response {
    let Some(expected) = &state.token else { return next.run(request).await };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::unauthorized("the bearer token is wrong").into_response(),
        None => ApiError::unauthorized("this service requires `Authorization: Bearer TOKEN`").into_response(),
    }
}

/// Compares without an early exit, so the time taken does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn identity_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(NAMESPACE, HeaderValue::from_static("company.team"));
        headers.insert(GROUPS, HeaderValue::from_static(" etl, ops ,,"));
        headers.insert(STEP, HeaderValue::from_static("load"));
        let identity = identity_from(&headers).expect("valid headers");
        assert_eq!(identity.namespace.as_deref(), Some("company.team"));
        assert_eq!(identity.groups, ["etl", "ops"]);
        assert_eq!(identity.flow, None);
        assert_eq!(identity.step.as_deref(), Some("load"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
