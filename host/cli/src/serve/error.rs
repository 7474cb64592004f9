//! Errors of the HTTP service: `{"error": {"kind": "...", "message": "..."}}` with a status mapped from the
//! kind. Messages come from keyway's errors, which name managers, secrets and fields, never a value.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyway::types::{ErrorKind, ProviderError};
use keyway::KeywayError;
use keyway::SecretError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    retry_after_ms: Option<u64>,
    /// For a change waiting for approval (202): the request's id.
    request: Option<String>,
}

impl ApiError {
    /// An error with an explicit status and kind.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), retry_after_ms: None, request: None }
    }

    /// What the error says.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 400: the request is malformed.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    /// 401: the bearer token is missing or wrong.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    fn from_provider(error: &ProviderError, message: String) -> Self {
        let (status, kind) = match error.kind() {
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not-found"),
            ErrorKind::AlreadyExists => (StatusCode::CONFLICT, "already-exists"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorKind::AccessDenied => (StatusCode::FORBIDDEN, "denied"),
            ErrorKind::InvalidArgument => (StatusCode::BAD_REQUEST, "invalid"),
            ErrorKind::Unsupported => (StatusCode::NOT_IMPLEMENTED, "unsupported"),
            ErrorKind::Throttled => (StatusCode::SERVICE_UNAVAILABLE, "throttled"),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ErrorKind::Configuration => (StatusCode::INTERNAL_SERVER_ERROR, "config"),
            _ => (StatusCode::BAD_GATEWAY, "backend"),
        };
        let retry_after_ms = match error {
            ProviderError::Throttled { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        };
        Self { status, kind, message, retry_after_ms, request: None }
    }

    fn from_secret(error: &SecretError, message: String) -> Self {
        match error {
            SecretError::Backend { error, .. } => Self::from_provider(error, message),
            SecretError::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not-found", message),
            SecretError::MissingKey { .. } => Self::new(StatusCode::NOT_FOUND, "missing-key", message),
            SecretError::UnknownManager { .. } => Self::new(StatusCode::NOT_FOUND, "unknown-manager", message),
            SecretError::Denied { .. } => Self::new(StatusCode::FORBIDDEN, "denied", message),
            SecretError::Malformed(_) => Self::new(StatusCode::BAD_REQUEST, "malformed", message),
            SecretError::NoDefaultManager => Self::new(StatusCode::BAD_REQUEST, "unknown-manager", message),
            SecretError::NotKeyValue { .. } => Self::new(StatusCode::BAD_REQUEST, "not-key-value", message),
            SecretError::BinaryEmbedded { .. } => Self::new(StatusCode::BAD_REQUEST, "binary-embedded", message),
            SecretError::StepTooLarge { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message),
            SecretError::Expired { .. } => Self::new(StatusCode::GONE, "expired", message),
            SecretError::NotYetValid { .. } => Self::new(StatusCode::CONFLICT, "not-yet-valid", message),
            _ => Self::new(StatusCode::BAD_REQUEST, "invalid", message),
        }
    }
}

impl From<KeywayError> for ApiError {
    fn from(error: KeywayError) -> Self {
        let message = error.to_string();
        match &error {
            KeywayError::Config { .. } | KeywayError::Runtime(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "config", message)
            }
            KeywayError::UnknownManager { .. } => Self::new(StatusCode::NOT_FOUND, "unknown-manager", message),
            KeywayError::InvalidInput(_) => Self::invalid(message),
            KeywayError::Backend { source, .. } => Self::from_provider(source, message),
            KeywayError::Secret(error) => Self::from_secret(error, message),
            KeywayError::Resolve(error) => Self::from_secret(error.cause(), message),
            KeywayError::OutOfScope(_) => Self::new(StatusCode::FORBIDDEN, "out-of-scope", message),
            KeywayError::TooLarge { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message),
            KeywayError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "denied", message),
            KeywayError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", message),
            KeywayError::PendingApproval { request, .. } => {
                let request = Some(request.clone());
                Self { request, ..Self::new(StatusCode::ACCEPTED, "pending-approval", message) }
            }
            KeywayError::AuditUnavailable(_) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "audit-unavailable", message)
            }
            // keyway's records (the catalog) cannot be reached: a fleet node refuses writes it could not announce.
            KeywayError::Catalog(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "records-unavailable", message),
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        }
    }
}

impl From<SecretError> for ApiError {
    fn from(error: SecretError) -> Self {
        let message = error.to_string();
        Self::from_secret(&error, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(target: "keyway::serve", kind = self.kind, message = %self.message, "request failed");
        }
        let body = match &self.request {
            // Not an error: the change waits for approval as this request.
            Some(request) => serde_json::json!({ "status": self.kind, "request": request, "message": self.message }),
            None => serde_json::json!({ "error": { "kind": self.kind, "message": self.message } }),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(ms) = self.retry_after_ms {
            if let Ok(value) = HeaderValue::from_str(&ms.div_ceil(1000).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_statuses() {
        let cases = [
            (ProviderError::not_found("a"), StatusCode::NOT_FOUND, "not-found"),
            (ProviderError::AlreadyExists("a".into()), StatusCode::CONFLICT, "already-exists"),
            (ProviderError::AccessDenied("a".into()), StatusCode::FORBIDDEN, "denied"),
            (ProviderError::InvalidArgument("a".into()), StatusCode::BAD_REQUEST, "invalid"),
            (ProviderError::Unsupported("a".into()), StatusCode::NOT_IMPLEMENTED, "unsupported"),
            (ProviderError::Unavailable("a".into()), StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            (ProviderError::Other("a".into()), StatusCode::BAD_GATEWAY, "backend"),
        ];
        for (error, status, kind) in cases {
            let api = ApiError::from(KeywayError::Backend { manager: "m".into(), source: error });
            assert_eq!((api.status, api.kind), (status, kind));
        }
    }

    #[test]
    fn throttling_carries_retry_after_in_seconds() {
        let error = ProviderError::Throttled { message: "slow down".into(), retry_after_ms: Some(1500) };
        let response = ApiError::from(KeywayError::Backend { manager: "m".into(), source: error }).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("2"));
    }
}
