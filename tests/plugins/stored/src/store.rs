//! The host's store, imported (`keyway:store/kv@0.1.0`), and its errors as the contract's.

wit_bindgen::generate!({
    path: "../../../wit/store@0.1.0",
    world: "store-user",
});

pub use keyway::store::kv;
use keyway_plugin_sdk::prelude::ProviderError;

/// A store error on its way to the contract's error.
pub struct StoreFailure(pub kv::Error);

impl StoreFailure {
    /// The contract's error for an operation on `name`.
    pub fn into_error(self, name: &str) -> ProviderError {
        match self.0 {
            kv::Error::InvalidKey(why) => ProviderError::InvalidArgument(format!("'{name}' cannot be a key: {why}")),
            kv::Error::ValueTooLarge(max) => {
                ProviderError::InvalidArgument(format!("the value is larger than the store's {max} bytes"))
            }
            kv::Error::StoreFull(max) => ProviderError::Other(format!("the store is full ({max} bytes)")),
            kv::Error::Conflict(_) => ProviderError::Conflict(format!("'{name}' changed meanwhile")),
            kv::Error::Unavailable(why) => ProviderError::Unavailable(why),
            kv::Error::Other(why) => ProviderError::Other(why),
        }
    }
}
