//! The generated host bindings of `keyway:store/kv@0.1.0`, and its imports on an instance's host state:
//! each runs on the manager's [`super::PluginStore`] within the call's deadline.

use super::backend::{Condition, StoreError};
use super::grant::KvFailure;
use crate::sandbox::HostState;

wasmtime::component::bindgen!({
    path: "../../wit/store@0.1.0",
    world: "store-user",
    imports: { default: async },
});

use keyway::store::kv;

/// Links the `kv` interface: only into the linker of plugins whose manifest says `storage = true`.
pub(crate) fn add_to_linker(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    kv::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(linker, |state| state)
}

impl From<KvFailure> for kv::Error {
    fn from(failure: KvFailure) -> Self {
        match failure {
            KvFailure::Key(err) => kv::Error::InvalidKey(err.to_string()),
            KvFailure::ValueTooLarge(max) => kv::Error::ValueTooLarge(max),
            KvFailure::StoreFull(max) => kv::Error::StoreFull(max),
            KvFailure::Conflict(current) => kv::Error::Conflict(current),
            KvFailure::Store(StoreError::Unavailable(reason)) => kv::Error::Unavailable(reason),
            KvFailure::Store(err) => kv::Error::Other(err.to_string()),
        }
    }
}

impl HostState {
    fn plugin_store(&self) -> Result<super::PluginStore, kv::Error> {
        self.store.clone().ok_or_else(|| kv::Error::Other("this manager grants no store".into()))
    }

    fn report(&self, operation: &str, failure: KvFailure) -> kv::Error {
        if let KvFailure::Store(err) = &failure {
            tracing::warn!(manager = %self.manager, plugin = %self.plugin, operation, error = %err, "plugin store failed");
        }
        failure.into()
    }
}

impl kv::Host for HostState {
    async fn get(&mut self, key: String) -> Result<Option<kv::Entry>, kv::Error> {
        let store = self.plugin_store()?;
        match store.get(&key).await {
            Ok(entry) => Ok(entry.map(|entry| kv::Entry { value: entry.value, version: entry.version })),
            Err(failure) => Err(self.report("get", failure)),
        }
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<kv::Version, kv::Error> {
        let store = self.plugin_store()?;
        store.write(&key, Condition::Any, &value).await.map_err(|failure| self.report("set", failure))
    }

    async fn compare_and_swap(
        &mut self,
        key: String,
        expected: Option<kv::Version>,
        value: Vec<u8>,
    ) -> Result<kv::Version, kv::Error> {
        let store = self.plugin_store()?;
        let condition = expected.as_deref().map_or(Condition::Absent, Condition::Version);
        store.write(&key, condition, &value).await.map_err(|failure| self.report("compare-and-swap", failure))
    }

    async fn delete(&mut self, key: String) -> Result<bool, kv::Error> {
        let store = self.plugin_store()?;
        store.delete(&key).await.map_err(|failure| self.report("delete", failure))
    }

    async fn list_keys(
        &mut self,
        prefix: String,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<kv::KeyPage, kv::Error> {
        let store = self.plugin_store()?;
        match store.list(&prefix, cursor.as_deref(), limit).await {
            Ok((keys, cursor)) => Ok(kv::KeyPage { keys, cursor }),
            Err(failure) => Err(self.report("list-keys", failure)),
        }
    }
}
