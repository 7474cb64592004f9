//! The contract's `host` interface: structured logging into `tracing` (with a
//! per-call budget) and credentials resolved by the host.

use crate::bindings::{error_to_wit, host, types};
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
        // Redact before truncating, so a cut never leaves the start of a secret behind.
        let redact = |text: &str| self.redactor.redact(text).into_owned();
        let message = redact(&message);
        let message = truncate(&message, LOG_MESSAGE_MAX);
        let fields: Vec<String> = fields
            .iter()
            .take(16)
            .map(|(k, v)| format!("{}={}", truncate(&redact(k), 64), truncate(&redact(v), 256)))
            .collect();
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
        let provider = self.credentials.clone();
        let token = provider.access_token(&scopes).await.map_err(error_to_wit)?;
        Ok(host::AccessToken { token: token.token.as_str().to_owned(), expires_at: token.expires_at })
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
