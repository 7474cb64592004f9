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
    }
    match kind {
        #[cfg(feature = "aws")]
        "aws" => {
            let settings: keyway_aws_auth::AwsAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(err.to_string()))?;
            let provider = keyway_aws_auth::AwsAuth::new(settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        #[cfg(feature = "azure")]
        "azure" => {
            let settings: keyway_azure_auth::AzureAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(err.to_string()))?;
            let provider = keyway_azure_auth::AzureCredentials::new(&settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        #[cfg(feature = "gcp")]
        "gcp" => {
            let settings: keyway_gcp_auth::GcpAuthSettings =
                serde_json::from_value(settings).map_err(|err| error(err.to_string()))?;
            let provider = keyway_gcp_auth::GcpCredentials::new(&settings).map_err(|err| error(err.to_string()))?;
            Ok(Arc::new(provider))
        }
        other => Err(error(format!("unknown type '{other}'; use aws, azure or gcp"))),
    }
}
