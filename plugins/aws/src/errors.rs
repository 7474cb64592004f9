//! How the SDK's errors become the contract's [`ProviderError`].
//!
//! Service errors map by their AWS error code; responses the SDK could not
//! read (moto answers signature failures in XML) map by HTTP status, 403 being
//! access-denied; errors before any response (refused connection, timeout)
//! are `unavailable`. Messages name the secret and repeat AWS's own message,
//! which never holds a secret value.

use crate::credentials::HostCredentialsError;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use keyway_plugin_sdk::ProviderError;
use std::error::Error as StdError;

/// Whether `error` says the secret is scheduled for deletion (AWS's `InvalidRequestException`).
pub(crate) fn is_pending_deletion<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error.code() == Some("InvalidRequestException") && error.message().is_some_and(mentions_deletion)
}

fn mentions_deletion(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("deletion") || message.contains("deleted")
}

/// The conflict reported for a secret scheduled for deletion; `detail` says what AWS answered.
pub(crate) fn pending_deletion(name: &str, detail: &str) -> ProviderError {
    ProviderError::Conflict(format!(
        "secret '{name}' is scheduled for deletion: restore it first, or create it with recover-deleted ({detail})"
    ))
}

/// The contract error for a failed call of `operation` on secret `name` (empty when no single secret).
pub(crate) fn map_error<E>(error: SdkError<E, HttpResponse>, operation: &str, name: &str) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    if let Some(host_error) = host_credentials_error(&error) {
        return host_error;
    }
    let subject = if name.is_empty() { operation.to_owned() } else { format!("{operation} of secret '{name}'") };
    let status = error.raw_response().map(|response| response.status().as_u16());
    match &error {
        // A success the SDK could not read (cut short, not JSON; AWS never fails with a 2xx): retryable, and a
        // cached value survives it.
        SdkError::ServiceError(_) | SdkError::ResponseError(_)
            if status.is_some_and(|status| (200..300).contains(&status)) =>
        {
            ProviderError::Unavailable(format!("{subject}: AWS's answer could not be read (cut short or malformed)"))
        }
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            match from_code(error.code(), error.message(), status, &subject, name) {
                // The wait the answer asked for, so a caller does not come back sooner.
                ProviderError::Throttled { message, retry_after_ms: None } => ProviderError::Throttled {
                    message,
                    retry_after_ms: error
                        .raw_response()
                        .and_then(crate::retry::asked_wait)
                        .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
                },
                other => other,
            }
        }
        SdkError::DispatchFailure(failure) => {
            let detail =
                failure.as_connector_error().map_or_else(|| "the connection failed".to_owned(), |e| describe_chain(e));
            ProviderError::Unavailable(format!("{subject}: AWS Secrets Manager could not be reached: {detail}"))
        }
        SdkError::TimeoutError(_) => {
            ProviderError::Unavailable(format!("{subject}: no answer from AWS Secrets Manager within the timeout"))
        }
        SdkError::ConstructionFailure(_) => {
            ProviderError::InvalidArgument(format!("{subject}: the request is invalid: {}", describe_chain(&error)))
        }
        _ => ProviderError::Other(format!("{subject}: {}", describe_chain(&error))),
    }
}

/// Maps an AWS error code (from a service error or a `BatchGetSecretValue` entry).
pub(crate) fn from_code(
    code: Option<&str>,
    message: Option<&str>,
    status: Option<u16>,
    subject: &str,
    name: &str,
) -> ProviderError {
    let aws = message.map(str::trim).filter(|m| !m.is_empty()).unwrap_or("no message");
    let detail = format!("{subject}: {aws}");
    match code.unwrap_or_default() {
        "ResourceNotFoundException" => ProviderError::NotFound(detail),
        "ResourceExistsException" => ProviderError::AlreadyExists(detail),
        "InvalidRequestException" if mentions_deletion(aws) => pending_deletion(name, aws),
        "InvalidRequestException" | "PreconditionNotMetException" | "LimitExceededException" => {
            ProviderError::Conflict(detail)
        }
        "InvalidParameterException"
        | "InvalidNextTokenException"
        | "ValidationException"
        | "MalformedPolicyDocumentException"
        | "SerializationException" => ProviderError::InvalidArgument(detail),
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "AuthFailure"
        | "NotAuthorized" => ProviderError::AccessDenied(detail),
        "DecryptionFailure" | "EncryptionFailure" => {
            ProviderError::AccessDenied(format!("{detail} (check the KMS key's state and its key policy)"))
        }
        "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
            ProviderError::Throttled { message: detail, retry_after_ms: None }
        }
        "InternalServiceError" | "InternalFailure" | "ServiceUnavailable" => ProviderError::Unavailable(detail),
        _ => from_status(status, subject, aws),
    }
}

fn from_status(status: Option<u16>, subject: &str, aws: &str) -> ProviderError {
    match status {
        Some(401 | 403) => ProviderError::AccessDenied(format!(
            "{subject}: AWS refused the credentials or the permission (HTTP {}); check the access key, \
             the secret key and the IAM policy",
            status.unwrap_or(403)
        )),
        Some(404) => ProviderError::NotFound(format!("{subject}: {aws} (HTTP 404)")),
        Some(429) => ProviderError::Throttled { message: format!("{subject}: {aws} (HTTP 429)"), retry_after_ms: None },
        Some(status @ 500..=599) => ProviderError::Unavailable(format!("{subject}: {aws} (HTTP {status})")),
        Some(status @ 400..=499) => ProviderError::InvalidArgument(format!("{subject}: {aws} (HTTP {status})")),
        Some(status) => ProviderError::Other(format!("{subject}: unexpected answer (HTTP {status}): {aws}")),
        None => ProviderError::Other(format!("{subject}: {aws}")),
    }
}

/// The `Display` texts of an error and its sources, joined. Never `Debug`: the SDK's
/// `Debug` of a failed call includes the raw response, whose body can be a secret value.
fn describe_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// The host's own error when the failure is that the host gave no credentials.
fn host_credentials_error(error: &(dyn StdError + 'static)) -> Option<ProviderError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(host) = error.downcast_ref::<HostCredentialsError>() {
            return Some(host.0.clone());
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyway_plugin_sdk::ErrorKind;

    fn kind(code: &str, message: &str, status: u16) -> ErrorKind {
        from_code(Some(code), Some(message), Some(status), "get of secret 'a'", "a").kind()
    }

    #[test]
    fn codes_map_to_the_contract() {
        assert_eq!(kind("ResourceNotFoundException", "Secrets Manager can't find it", 400), ErrorKind::NotFound);
        assert_eq!(kind("ResourceExistsException", "exists", 400), ErrorKind::AlreadyExists);
        assert_eq!(kind("AccessDeniedException", "no", 400), ErrorKind::AccessDenied);
        assert_eq!(kind("UnrecognizedClientException", "bad token", 400), ErrorKind::AccessDenied);
        assert_eq!(kind("ThrottlingException", "slow down", 400), ErrorKind::Throttled);
        assert_eq!(kind("InvalidParameterException", "bad", 400), ErrorKind::InvalidArgument);
        assert_eq!(kind("InternalServiceError", "oops", 500), ErrorKind::Unavailable);
    }

    #[test]
    fn pending_deletion_gets_a_clear_conflict() {
        let message = "You can't perform this operation on the secret because it was marked for deletion.";
        let error = from_code(Some("InvalidRequestException"), Some(message), Some(400), "get of secret 'db'", "db");
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert!(error.message().contains("scheduled for deletion: restore it"));
        assert_eq!(kind("InvalidRequestException", "rotation is not configured", 400), ErrorKind::Conflict);
    }

    #[test]
    fn unreadable_answers_map_by_status() {
        assert_eq!(from_code(None, None, Some(403), "get", "").kind(), ErrorKind::AccessDenied);
        assert_eq!(from_code(None, None, Some(503), "get", "").kind(), ErrorKind::Unavailable);
        assert_eq!(from_code(Some("SomethingNew"), None, Some(400), "get", "").kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn host_errors_are_found_in_the_chain() {
        let inner = HostCredentialsError(ProviderError::Configuration("no auth".into()));
        let wrapped = aws_credential_types::provider::error::CredentialsError::provider_error(inner);
        assert_eq!(host_credentials_error(&wrapped), Some(ProviderError::Configuration("no auth".into())));
    }
}
