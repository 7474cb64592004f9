//! One call into a pooled instance: a slot, the deadline, the log budget, and what happens to the instance
//! after a failure.

use super::{CallFn, Connection};
use crate::bindings;
use crate::error::CallError;
use crate::pool::Instance;
use crate::redact::Redactor;
use crate::sandbox::LogBudget;

impl Connection {
    /// Runs one call on a pooled instance under the deadline; discards the instance on failure.
    pub(super) async fn call<T: Send>(&self, operation: &'static str, f: Box<CallFn<T>>) -> Result<T, CallError> {
        self.call_redacting(operation, None, f).await
    }

    /// [`call`](Self::call) with `redactor` (the manager's secrets plus this call's values) applied to what
    /// the plugin logs during the call.
    pub(super) async fn call_redacting<T: Send>(
        &self,
        operation: &'static str,
        redactor: Option<&Redactor>,
        f: Box<CallFn<T>>,
    ) -> Result<T, CallError> {
        let inner = &self.inner;
        let _slot = inner.pool.slots.acquire().await.map_err(|_| CallError::Instantiate {
            plugin: inner.plugin.name().into(),
            reason: "the connection is closed".into(),
        })?;
        let mut instance = inner.pool.take().await?;
        instance.store.data_mut().log = LogBudget::default();
        if let Some(redactor) = redactor {
            instance.store.data_mut().redactor = redactor.clone();
        }
        let outcome = tokio::time::timeout(inner.limits.call_timeout, f(&mut instance)).await;
        let plugin = inner.plugin.name().to_owned();
        match outcome {
            Ok(Ok(value)) => {
                let dropped = instance.store.data().log.dropped;
                if dropped > 0 {
                    tracing::warn!(manager = %inner.manager, %plugin, operation, dropped, "plugin exceeded its log budget; lines dropped");
                }
                if redactor.is_some() {
                    instance.store.data_mut().redactor = inner.pool.factory.redactor.clone();
                }
                if let Some(limit) = self.measure_quota(operation) {
                    // The plugin filled its data directory in this call: its instance goes.
                    return Err(CallError::ResourceLimit { plugin, operation: operation.into(), limit });
                }
                inner.pool.put(instance);
                Ok(value)
            }
            Ok(Err(err)) => {
                let reason = describe_trap(&err);
                tracing::warn!(manager = %inner.manager, %plugin, operation, %reason, "plugin call failed; instance discarded");
                if let Some(limit) = instance.store.data().exceeded_limit(inner.pool.factory.memory_bytes) {
                    return Err(CallError::ResourceLimit { plugin, operation: operation.into(), limit });
                }
                Err(CallError::Crashed { plugin, operation: operation.into(), reason })
            }
            Err(_) => {
                tracing::warn!(manager = %inner.manager, %plugin, operation, "plugin call overran its deadline; instance discarded");
                Err(CallError::Deadline {
                    plugin,
                    operation: operation.into(),
                    limit_ms: inner.limits.call_timeout.as_millis() as u64,
                })
            }
        }
    }
}

/// Splits an instance into its exported `connection` functions, its store and its resource handle.
pub(super) fn parts(
    instance: &mut Instance,
) -> (
    bindings::exports::keyway::provider::provider::GuestConnection<'_>,
    &mut wasmtime::Store<crate::sandbox::HostState>,
    wasmtime::component::ResourceAny,
) {
    let Instance { store, bindings, handle } = instance;
    (bindings::ProviderExports::connection(bindings.keyway_provider_provider()), store, *handle)
}
/// A one-line description of a trap or host error, without guest data: the trap
/// code, or else the root cause (the outer layers are wasm backtraces).
pub(crate) fn describe_trap(err: &wasmtime::Error) -> String {
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        return trap.to_string();
    }
    let text = err.root_cause().to_string();
    text.lines().next().unwrap_or("unknown failure").chars().take(300).collect()
}
