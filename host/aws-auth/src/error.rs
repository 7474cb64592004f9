//! Errors of the settings, and how credential failures become the contract's errors.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use keyway_types::ProviderError;
use std::error::Error as StdError;

/// Settings that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AwsAuthError {
    /// A field is missing, empty, out of range or conflicts with another.
    #[error("AWS auth setting `{field}` {problem}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl AwsAuthError {
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid { field, problem: problem.into() }
    }
}

impl From<AwsAuthError> for ProviderError {
    fn from(error: AwsAuthError) -> Self {
        ProviderError::Configuration(error.to_string())
    }
}

/// The `Display` texts of an error and its sources, joined. Never `Debug`: the SDK's
/// `Debug` of a failed call includes the raw response, and STS responses carry credentials.
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

/// The contract error for a credential provider's failure.
pub(crate) fn from_credentials_error(error: &CredentialsError) -> ProviderError {
    let detail = describe_chain(error);
    match error {
        CredentialsError::CredentialsNotLoaded(_) => ProviderError::Configuration(format!(
            "no AWS credentials found ({detail}); set access_key_id and secret_access_key, a profile, \
             or credentials in the environment"
        )),
        CredentialsError::InvalidConfiguration(_) => {
            ProviderError::Configuration(format!("the AWS credential configuration is invalid: {detail}"))
        }
        CredentialsError::ProviderTimedOut(_) => {
            ProviderError::Unavailable(format!("resolving AWS credentials timed out: {detail}"))
        }
        CredentialsError::ProviderError(_) => assume_role_error(error)
            .unwrap_or_else(|| ProviderError::Unavailable(format!("resolving AWS credentials failed: {detail}"))),
        _ => ProviderError::Other(format!("resolving AWS credentials failed: {detail}")),
    }
}

/// STS's refusal of `AssumeRole`, found in the error's chain.
fn assume_role_error(error: &(dyn StdError + 'static)) -> Option<ProviderError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(sts) = error.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
            return Some(from_sts(sts));
        }
        current = error.source();
    }
    None
}

fn from_sts(error: &SdkError<AssumeRoleError, HttpResponse>) -> ProviderError {
    let status = error.raw_response().map(|response| response.status().as_u16());
    let said = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        (None, _) => describe_chain(error),
    };
    let detail = match status {
        Some(status) => format!("STS AssumeRole failed (HTTP {status}): {said}"),
        None => format!("STS AssumeRole failed: {said}"),
    };
    let denied = matches!(
        error.code(),
        Some(
            "AccessDenied"
                | "AccessDeniedException"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "UnrecognizedClientException"
        )
    );
    match error {
        _ if denied || matches!(status, Some(401 | 403)) => ProviderError::AccessDenied(detail),
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ProviderError::Unavailable(detail),
        _ if status.is_some_and(|s| s >= 500) => ProviderError::Unavailable(detail),
        _ if error.code() == Some("Throttling") => ProviderError::Throttled { message: detail, retry_after_ms: None },
        _ => ProviderError::Other(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyway_types::ErrorKind;

    #[test]
    fn missing_credentials_are_a_configuration_error() {
        let error = CredentialsError::not_loaded("no providers in chain provided credentials");
        let mapped = from_credentials_error(&error);
        assert_eq!(mapped.kind(), ErrorKind::Configuration);
        assert!(mapped.message().contains("no AWS credentials found"));
    }

    #[test]
    fn descriptions_use_display_only() {
        let error = CredentialsError::provider_error(std::io::Error::other("metadata endpoint refused"));
        let text = describe_chain(&error);
        assert!(text.contains("metadata endpoint refused"), "{text}");
        assert!(!text.contains("Custom {"), "Debug output in {text}");
    }

    #[test]
    fn timeouts_are_unavailable() {
        let error = CredentialsError::provider_timed_out(std::time::Duration::from_secs(5));
        assert_eq!(from_credentials_error(&error).kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn settings_errors_name_the_field() {
        let error: ProviderError = AwsAuthError::invalid("role_arn", "must be an ARN").into();
        assert_eq!(error, ProviderError::Configuration("AWS auth setting `role_arn` must be an ARN".into()));
    }
}
