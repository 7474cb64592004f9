//! The implicit credential chain: environment client secret, workload identity, managed
//! identity, then the developer tools' login (Azure CLI, Azure Developer CLI), in that order.
//!
//! `azure_identity` 1.0 has no `DefaultAzureCredential`; this is its equivalent. The first source
//! that returns a token is remembered and used alone afterwards. A source that is configured
//! explicitly (the environment's client secret, a federated token file) and fails ends the
//! search with its own error: falling through to another identity would hide the mistake.

use crate::error::token_error;
use crate::settings::AzureAuthSettings;
use azure_core::credentials::{AccessToken, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use keyway_types::ProviderError;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Environment variables the chain reads.
pub(crate) type Environment = BTreeMap<String, String>;

struct Source {
    name: &'static str,
    /// Whether a failure of this source is final (it was configured explicitly).
    decisive: bool,
    /// Whether IMDS must answer a quick probe before this source is asked.
    needs_imds: bool,
    credential: Result<Arc<dyn TokenCredential>, String>,
}

/// The ordered sources and the one that worked.
pub(crate) struct Chain {
    sources: Vec<Source>,
    chosen: AtomicUsize,
    /// The IMDS probe's outcome, once made: `None` if IMDS answered.
    imds: tokio::sync::OnceCell<Option<String>>,
}

const NONE: usize = usize::MAX;

impl Chain {
    /// Builds every source; one that cannot be built is kept with the reason, for the error message.
    pub(crate) fn new(settings: &AzureAuthSettings, env: &Environment, options: &ClientOptions) -> Self {
        let var = |key: &str| env.get(key).filter(|v| !v.is_empty()).cloned();
        let describe = |err: azure_core::Error| err.to_string().split_whitespace().collect::<Vec<_>>().join(" ");

        let environment = match (var("AZURE_TENANT_ID"), var("AZURE_CLIENT_ID"), var("AZURE_CLIENT_SECRET")) {
            (Some(tenant), Some(client), Some(secret)) => ClientSecretCredential::new(
                &tenant,
                client,
                secret.into(),
                Some(ClientSecretCredentialOptions { client_options: options.clone() }),
            )
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(describe),
            _ => Err("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set".to_owned()),
        };

        let workload = match var("AZURE_FEDERATED_TOKEN_FILE") {
            Some(path) => {
                let mut workload_options = WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions { client_options: options.clone() },
                    ..Default::default()
                };
                workload_options.client_id = settings.client_id.clone().or_else(|| var("AZURE_CLIENT_ID"));
                workload_options.tenant_id = settings.tenant_id.clone().or_else(|| var("AZURE_TENANT_ID"));
                workload_options.token_file_path = Some(PathBuf::from(path));
                WorkloadIdentityCredential::new(Some(workload_options))
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(describe)
            }
            None => Err("AZURE_FEDERATED_TOKEN_FILE is not set".to_owned()),
        };

        let managed = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id: settings.client_id.clone().map(UserAssignedId::ClientId),
            client_options: options.clone(),
        }))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(describe);

        let developer = DeveloperToolsCredential::new(None).map(|c| c as Arc<dyn TokenCredential>).map_err(describe);

        let needs_imds = crate::imds::uses_imds(var);
        let sources = vec![
            Source { name: "environment", decisive: environment.is_ok(), needs_imds: false, credential: environment },
            Source { name: "workload identity", decisive: workload.is_ok(), needs_imds: false, credential: workload },
            Source { name: "managed identity", decisive: false, needs_imds, credential: managed },
            Source {
                name: "Azure CLI / Azure Developer CLI",
                decisive: false,
                needs_imds: false,
                credential: developer,
            },
        ];
        Self { sources, chosen: AtomicUsize::new(NONE), imds: tokio::sync::OnceCell::new() }
    }

    /// Names of the sources that could be built, in order.
    pub(crate) fn available(&self) -> Vec<&'static str> {
        self.sources.iter().filter(|s| s.credential.is_ok()).map(|s| s.name).collect()
    }

    /// A token from the remembered source, or from the first source that gives one.
    pub(crate) async fn get_token(&self, scopes: &[&str]) -> Result<AccessToken, ProviderError> {
        let chosen = self.chosen.load(Ordering::Acquire);
        if let Some(Source { name, credential: Ok(credential), .. }) = self.sources.get(chosen) {
            return credential.get_token(scopes, None).await.map_err(|err| token_error(name, &err));
        }
        let mut failures = Vec::new();
        for (index, source) in self.sources.iter().enumerate() {
            let credential = match &source.credential {
                Ok(credential) => credential,
                Err(reason) => {
                    failures.push(format!("{}: {reason}", source.name));
                    continue;
                }
            };
            if source.needs_imds {
                if let Some(absent) = self.imds.get_or_init(crate::imds::probe).await {
                    failures.push(format!("{}: {absent}", source.name));
                    continue;
                }
            }
            match credential.get_token(scopes, None).await {
                Ok(token) => {
                    self.chosen.store(index, Ordering::Release);
                    tracing::debug!(source = source.name, "Azure implicit authentication chose its source");
                    return Ok(token);
                }
                Err(err) if source.decisive => return Err(token_error(source.name, &err)),
                Err(err) => failures.push(token_error(source.name, &err).message().to_owned()),
            }
        }
        Err(ProviderError::Configuration(format!(
            "no Azure identity is available to the host (implicit authentication): {}",
            failures.join("; ")
        )))
    }
}
