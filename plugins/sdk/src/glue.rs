//! The generated bindings of `keyway:provider@0.1.0` and the conversions
//! between them and the SDK's hand-shaped types. Not part of the public API.

use crate::provider::{Provider, Settings};
use bindings::exports::keyway::provider::provider as export;
use bindings::keyway::provider::types as wit;
use keyway_types as kt;
use std::marker::PhantomData;
use wit_convert::*;

keyway_types::wit_conversions!(crate::glue::bindings::keyway::provider::types);

#[allow(missing_docs, clippy::all, unsafe_op_in_unsafe_fn)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/provider@0.1.0",
        world: "secret-provider",
        pub_export_macro: true,
        export_macro_name: "__export_keyway_provider",
        default_bindings_module: "keyway_plugin_sdk::glue::bindings",
    });
}

/// The exported plugin for provider type `P`.
pub struct Plugin<P>(PhantomData<P>);

/// One open connection: the resource the host holds.
pub struct ConnectionOf<P>(P);

impl<P: Provider> export::Guest for Plugin<P> {
    type Connection = ConnectionOf<P>;
}

impl<P: Provider> export::GuestConnection for ConnectionOf<P> {
    fn open(settings: String) -> Result<export::Connection, wit::ProviderError> {
        let settings = Settings::from_json(&settings).map_err(error_to_wit)?;
        let provider = P::open(settings).map_err(error_to_wit)?;
        Ok(export::Connection::new(ConnectionOf(provider)))
    }

    fn capabilities(&self) -> wit::Capabilities {
        capabilities_to_wit(self.0.capabilities())
    }

    fn get(&self, name: String, selector: wit::VersionSelector) -> Result<wit::Secret, wit::ProviderError> {
        self.0.get(&name, &selector_from_wit(selector)).map(secret_to_wit).map_err(error_to_wit)
    }

    fn get_many(&self, names: Vec<String>) -> Vec<Result<wit::Secret, wit::ProviderError>> {
        self.0.get_many(&names).into_iter().map(|r| r.map(secret_to_wit).map_err(error_to_wit)).collect()
    }

    fn describe(
        &self,
        name: String,
        selector: wit::VersionSelector,
    ) -> Result<wit::SecretMetadata, wit::ProviderError> {
        self.0.describe(&name, &selector_from_wit(selector)).map(metadata_to_wit).map_err(error_to_wit)
    }

    fn create(
        &self,
        name: String,
        value: wit::SecretValue,
        options: wit::WriteOptions,
    ) -> Result<wit::SecretMetadata, wit::ProviderError> {
        let options = write_options_from_wit(options);
        self.0.create(&name, value_from_wit(value), &options).map(metadata_to_wit).map_err(error_to_wit)
    }

    fn update(&self, name: String, request: wit::UpdateRequest) -> Result<wit::SecretMetadata, wit::ProviderError> {
        self.0.update(&name, update_from_wit(request)).map(metadata_to_wit).map_err(error_to_wit)
    }

    fn delete(&self, name: String, mode: wit::DeleteMode) -> Result<Option<wit::Timestamp>, wit::ProviderError> {
        self.0.delete(&name, delete_mode_from_wit(mode)).map_err(error_to_wit)
    }

    fn restore(&self, name: String) -> Result<wit::SecretMetadata, wit::ProviderError> {
        self.0.restore(&name).map(metadata_to_wit).map_err(error_to_wit)
    }

    fn list(&self, request: wit::ListRequest) -> Result<wit::ListPage, wit::ProviderError> {
        self.0.list(&list_request_from_wit(request)).map(list_page_to_wit).map_err(error_to_wit)
    }

    fn versions(&self, name: String) -> Result<Vec<wit::VersionInfo>, wit::ProviderError> {
        self.0.versions(&name).map(|versions| versions.into_iter().map(version_to_wit).collect()).map_err(error_to_wit)
    }
}

/// Converts an error returned by a host import.
pub(crate) fn error_from_host(error: wit::ProviderError) -> kt::ProviderError {
    error_from_wit(error)
}
