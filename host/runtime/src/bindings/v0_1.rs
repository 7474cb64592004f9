//! The generated host bindings of `keyway:provider@0.1.0`, and their conversions to and from `keyway_types`.

/// The contract these bindings serve, as a plugin's manifest names it.
pub const CONTRACT: &str = "keyway:provider@0.1.0";

wasmtime::component::bindgen!({
    path: "../../wit/provider@0.1.0",
    world: "secret-provider",
    // `log` may trap: a plugin that floods the log is stopped (see `host_api`).
    imports: { "keyway:provider/host.log": async | trappable, default: async },
    exports: { default: async },
});

pub use exports::keyway::provider::provider::Guest as ProviderExports;
pub use keyway::provider::host;
pub use keyway::provider::types;

keyway_types::wit_conversions!(crate::bindings::v0_1::keyway::provider::types);
pub use wit_convert::*;
