//! The host's store (`keyway:store/kv@0.1.0`) as a [`Kv`]: linked by the host when the manifest says
//! `storage = true`.

use super::Kv;
use crate::error::{StoreError, StoreResult};

/// The generated bindings of `keyway:store/kv@0.1.0`.
#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/store@0.1.0",
        world: "store-user",
    });
}

use bindings::keyway::store::kv;

/// The host's store.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostKv;

fn failure(operation: &str, key: &str, error: kv::Error) -> StoreError {
    match error {
        kv::Error::Unavailable(why) => StoreError::Unavailable(why),
        kv::Error::InvalidKey(why) => StoreError::InvalidArgument(format!("key {key} is refused: {why}")),
        kv::Error::ValueTooLarge(max) => {
            StoreError::InvalidArgument(format!("the host's store keeps values up to {max} bytes"))
        }
        kv::Error::StoreFull(max) => StoreError::Unavailable(format!("the host's store is full ({max} bytes)")),
        kv::Error::Conflict(_) => StoreError::Unavailable(format!("{operation} of {key} conflicted")),
        kv::Error::Other(why) => StoreError::Unavailable(format!("{operation} of {key}: {why}")),
    }
}

impl Kv for HostKv {
    fn get(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>> {
        kv::get(key).map(|entry| entry.map(|entry| (entry.value, entry.version))).map_err(|e| failure("get", key, e))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &[u8],
    ) -> StoreResult<Result<String, Option<String>>> {
        match kv::compare_and_swap(key, expected, value) {
            Ok(version) => Ok(Ok(version)),
            Err(kv::Error::Conflict(current)) => Ok(Err(current)),
            Err(error) => Err(failure("compare-and-swap", key, error)),
        }
    }

    fn delete(&self, key: &str) -> StoreResult<bool> {
        kv::delete(key).map_err(|e| failure("delete", key, e))
    }

    fn list(&self, prefix: &str, cursor: Option<&str>) -> StoreResult<(Vec<String>, Option<String>)> {
        kv::list_keys(prefix, cursor, 0).map(|page| (page.keys, page.cursor)).map_err(|e| failure("list", prefix, e))
    }
}
