//! The keyway retry rules ([`keyway_plugin_sdk::retry`]) inside the AWS SDK's standard retry strategy: the SDK
//! retries throttling by AWS error code (`ThrottlingException`, answered with 400) and reads only AWS's own
//! `x-amz-retry-after`. This classifier runs after the SDK's own, so that any throttling answer (429
//! included, as proxies and gateways send it) is retried as throttling, and a `Retry-After` header sets the
//! wait before the next attempt, as for every keyway plugin.

use aws_sdk_secretsmanager::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryClassifierPriority, RetryReason};
use aws_smithy_types::retry::ErrorKind;
use keyway_plugin_sdk::retry;
use std::time::Duration;

/// Honours `Retry-After` and retries 429 as throttling.
#[derive(Debug, Default)]
pub(crate) struct RetryAfter;

/// The wait a failed answer's `Retry-After` asks for, capped as the SDK's rules cap it.
pub(crate) fn asked_wait(response: &HttpResponse) -> Option<Duration> {
    let asked = response.headers().get("retry-after").and_then(retry::retry_after)?;
    Some(retry::wait(Some(asked), 0))
}

impl ClassifyRetry for RetryAfter {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        self.classify_retry_v2(ctx, &RetryAction::NoActionIndicated)
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        let (Some(Err(_)), Some(response)) = (ctx.output_or_error(), ctx.response()) else {
            return RetryAction::NoActionIndicated;
        };
        let asked = asked_wait(response);
        let kind = match previous {
            RetryAction::RetryIndicated(RetryReason::RetryableError { kind, .. }) => *kind,
            _ if response.status().as_u16() == 429 => ErrorKind::ThrottlingError,
            _ => return RetryAction::NoActionIndicated,
        };
        match asked {
            Some(wait) => RetryAction::retryable_error_with_explicit_delay(kind, wait),
            None if matches!(previous, RetryAction::NoActionIndicated) => RetryAction::retryable_error(kind),
            None => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "keyway Retry-After"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
