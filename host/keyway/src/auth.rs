//! Turns a manager's `auth` settings into the credential provider the host
//! hands its plugin's `get-aws-credentials` / `get-access-token` calls to.

use crate::error::KeywayError;
use keyway_types::{CredentialProvider, NoCredentials};
use std::sync::Arc;

/// The credential provider for `auth` (already interpolated); none when absent.
pub fn credentials_for(
    manager: &str,
    auth: Option<&serde_json::Value>,
) -> Result<Arc<dyn CredentialProvider>, KeywayError> {
    let Some(auth) = auth else { return Ok(Arc::new(NoCredentials)) };
    let error = |message: String| KeywayError::Config { message: format!("manager '{manager}': `auth`: {message}") };
    let kind =
        auth.get("type").and_then(|t| t.as_str()).ok_or_else(|| error("needs a `type`: aws, azure or gcp".into()))?;
    let mut settings = auth.clone();
    if let Some(map) = settings.as_object_mut() {
        map.remove("type");
        // What the manager's plugin may mint: read by `token_scopes`, not by the identity's settings.
        map.remove("scopes");
    }
    match kind {
        #[cfg(feature = "aws")]
        "aws" => {
            let settings: keyway_aws_auth::AwsAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(without_values(&err)))?;
            let provider = keyway_aws_auth::AwsAuth::new(settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        #[cfg(feature = "azure")]
        "azure" => {
            let settings: keyway_azure_auth::AzureAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(without_values(&err)))?;
            let provider = keyway_azure_auth::AzureCredentials::new(&settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        #[cfg(feature = "gcp")]
        "gcp" => {
            let settings: keyway_gcp_auth::GcpAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(without_values(&err)))?;
            let provider = keyway_gcp_auth::GcpCredentials::new(&settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        // Only reached for a type whose feature this build leaves out (the arms above take the others).
        disabled if ["aws", "azure", "gcp"].contains(&disabled) => Err(error(format!(
            "type '{disabled}' needs keyway built with its `{disabled}` feature (cargo install --locked --path \
             host/cli --features keyway/{disabled})"
        ))),
        other => Err(error(format!("unknown type '{other}'; use aws, azure or gcp"))),
    }
}

/// The token scopes a manager's `auth.scopes` allows its plugin (`None`: what the plugin's manifest
/// declares). Its plugin gets tokens only for scopes both allow.
pub fn token_scopes(manager: &str, auth: Option<&serde_json::Value>) -> Result<Option<Vec<String>>, KeywayError> {
    let Some(scopes) = auth.and_then(|auth| auth.get("scopes")) else { return Ok(None) };
    let scopes: Vec<String> = serde_json::from_value(scopes.clone()).map_err(|_| KeywayError::Config {
        message: format!("manager '{manager}': `auth.scopes` must be a list of scopes (strings)"),
    })?;
    Ok(Some(scopes))
}

/// A settings error without the value it quotes: `auth` holds credentials.
#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
fn without_values(err: &serde_json::Error) -> String {
    keyway_types::error::serde_message_without_values(&err.to_string())
}

#[cfg(all(test, feature = "azure", feature = "gcp"))]
mod tests {
    use super::*;

    fn refusal(auth: serde_json::Value) -> String {
        match credentials_for("vault-a", Some(&auth)) {
            Ok(_) => panic!("{auth} must be refused"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_credential_of_the_wrong_type_is_not_quoted() {
        let azure = serde_json::json!({
            "type": "azure", "method": "client-secret", "tenant_id": "t", "client_id": "c", "client_secret": 987654321
        });
        let message = refusal(azure);
        assert!(message.contains("`auth`: invalid type: expected") && !message.contains("987654321"), "{message}");
        let gcp = serde_json::json!({ "type": "gcp", "service_account": 13579246810u64 });
        let message = refusal(gcp);
        assert!(message.contains("invalid type") && !message.contains("13579246810"), "{message}");
    }
}
