//! The contract's `host` interface: structured logging into `tracing` (with a
//! per-call budget, redacted and escaped) and credentials resolved by the host,
//! only those the plugin's grant names.

use crate::bindings::{error_to_wit, host, types};
use crate::redact::sanitize;
use crate::sandbox::{HostState, LOG_LINES_CUTOFF, LOG_LINES_PER_CALL, LOG_MESSAGE_MAX};

impl types::Host for HostState {}

impl host::Host for HostState {
    async fn log(
        &mut self,
        level: host::LogLevel,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        if self.log.flooded() {
            // A flood: stop the call instead of dropping lines at the guest's pace.
            return Err(wasmtime::Error::msg(format!(
                "the plugin tried to write more than {LOG_LINES_CUTOFF} log lines in one call"
            )));
        }
        if self.log.written >= LOG_LINES_PER_CALL {
            self.log.dropped += 1;
            return Ok(());
        }
        self.log.written += 1;
        // Redact before cutting, so a cut never leaves the start of a secret behind; escape newlines and
        // control characters, so the line cannot pass for another (an audit record) or drive a terminal.
        let clean = |text: &str, max: usize| sanitize(&self.redactor.redact(text), max);
        let message = clean(&message, LOG_MESSAGE_MAX);
        let fields: Vec<String> =
            fields.iter().take(16).map(|(k, v)| format!("{}={}", clean(k, 64), clean(v, 256))).collect();
        let fields = fields.join(" ");
        let (manager, plugin) = (&*self.manager, &*self.plugin);
        match level {
            host::LogLevel::Trace => tracing::trace!(target: "keyway::plugin", manager, plugin, fields, "{message}"),
            host::LogLevel::Debug => tracing::debug!(target: "keyway::plugin", manager, plugin, fields, "{message}"),
            host::LogLevel::Info => tracing::info!(target: "keyway::plugin", manager, plugin, fields, "{message}"),
            host::LogLevel::Warn => tracing::warn!(target: "keyway::plugin", manager, plugin, fields, "{message}"),
            host::LogLevel::Error => tracing::error!(target: "keyway::plugin", manager, plugin, fields, "{message}"),
        }
        Ok(())
    }

    async fn get_aws_credentials(&mut self) -> Result<host::AwsCredentials, types::ProviderError> {
        if !self.grant.aws {
            tracing::warn!(manager = %self.manager, plugin = %self.plugin, "plugin asked for AWS credentials its manifest does not declare; refused");
            return Err(error_to_wit(keyway_types::ProviderError::AccessDenied(format!(
                "plugin '{}' does not declare AWS credentials in its manifest ([credentials] aws = true)",
                self.plugin
            ))));
        }
        let provider = self.credentials.clone();
        let creds = provider.aws_credentials().await.map_err(error_to_wit)?;
        Ok(host::AwsCredentials {
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.as_str().to_owned(),
            session_token: creds.session_token.as_ref().map(|t| t.as_str().to_owned()),
            expires_at: creds.expires_at,
        })
    }

    async fn get_access_token(&mut self, scopes: Vec<String>) -> Result<host::AccessToken, types::ProviderError> {
        if let Some(scope) = scopes.iter().find(|scope| !self.grant.scopes.contains(scope)) {
            let scope = sanitize(scope, 200);
            tracing::warn!(manager = %self.manager, plugin = %self.plugin, %scope, "plugin asked for a token outside its grant; refused");
            return Err(error_to_wit(keyway_types::ProviderError::AccessDenied(format!(
                "manager '{}' does not grant tokens for scope '{scope}' (granted: {})",
                self.manager,
                if self.grant.scopes.is_empty() { "none".to_owned() } else { self.grant.scopes.join(", ") }
            ))));
        }
        if scopes.is_empty() {
            return Err(error_to_wit(keyway_types::ProviderError::InvalidArgument(
                "an access token needs at least one scope".into(),
            )));
        }
        let provider = self.credentials.clone();
        let token = provider.access_token(&scopes).await.map_err(error_to_wit)?;
        Ok(host::AccessToken { token: token.token.as_str().to_owned(), expires_at: token.expires_at })
    }
}
