//! Where tokens come from: a credential file (the JWT-bearer grant for a service account, the
//! refresh-token grant for gcloud's user credentials) or the metadata server; and how their
//! failures become contract errors.

use crate::key::KeyFile;
use keyway_types::{AccessToken, ProviderError};
use serde::Deserialize;
use zeroize::Zeroizing;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// One source of tokens.
pub(crate) enum Source {
    /// A parsed credential file, and where it came from (for messages).
    Key {
        /// The parsed file.
        key: KeyFile,
        /// `settings`, a path, or `GOOGLE_APPLICATION_CREDENTIALS=…`.
        origin: String,
    },
    /// The metadata server at `host[:port]`.
    Metadata(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Zeroizing<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OAuthError {
    error: String,
    error_description: String,
}

impl Source {
    /// What this source is, for messages and logs.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Key { key, origin } => format!("{key:?} from {origin}"),
            Self::Metadata(host) => format!("the metadata server at {host}"),
        }
    }

    /// A fresh token for `scopes`, obtained at `now_ms`.
    pub(crate) async fn fetch(
        &self,
        client: &reqwest::Client,
        scopes: &[String],
        now_ms: u64,
    ) -> Result<AccessToken, ProviderError> {
        let request = match self {
            Self::Key { key: KeyFile::ServiceAccount(account), .. } => {
                let assertion = account.assertion(scopes, now_ms / 1000).map_err(ProviderError::from)?;
                let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str())];
                client.post(&account.token_uri).form(&form)
            }
            Self::Key { key: KeyFile::AuthorizedUser(user), .. } => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("client_id", user.client_id.as_str()),
                    ("client_secret", user.client_secret.as_str()),
                    ("refresh_token", user.refresh_token.as_str()),
                ];
                client.post(&user.token_uri).form(&form)
            }
            Self::Metadata(host) => {
                let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
                client.get(url).query(&[("scopes", scopes.join(","))]).header("Metadata-Flavor", "Google")
            }
        };
        let response = request.send().await.map_err(|err| {
            let hint = match self {
                Self::Metadata(_) => " (is this host on Google Cloud? otherwise give a service-account key)",
                Self::Key { .. } => "",
            };
            ProviderError::Unavailable(format!("{} could not be reached{hint}: {err}", self.describe()))
        })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|err| {
            ProviderError::Unavailable(format!("reading the answer of {} failed: {err}", self.describe()))
        })?;
        if (200..300).contains(&status) {
            let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|err| {
                ProviderError::Other(format!("{} answered without an access token: {err}", self.describe()))
            })?;
            let lifetime_ms = answer.expires_in.unwrap_or(3600).saturating_mul(1000);
            return Ok(AccessToken { token: answer.access_token, expires_at: Some(now_ms + lifetime_ms) });
        }
        let reason = match serde_json::from_slice::<OAuthError>(&body) {
            Ok(e) if !e.error.is_empty() => format!("{}: {}", e.error, e.error_description),
            _ => String::from_utf8_lossy(&body).chars().take(200).collect::<String>().trim().to_owned(),
        };
        let message = format!("{} refused the token request (HTTP {status}): {reason}", self.describe());
        Err(match status {
            429 => ProviderError::Throttled { message, retry_after_ms: None },
            500..=599 => ProviderError::Unavailable(message),
            _ => ProviderError::AccessDenied(message),
        })
    }
}
