//! The host's bindings of the plugin contract, one module per contract version it serves, so plugins built
//! against an older contract keep loading when a new one arrives (see `wit/PENDING.md` for what the next
//! version changes).
//!
//! The rest of the crate speaks the newest contract through the re-exports below; serving an older version
//! means linking its module's world and converting its types at this boundary, in that version's module.
//! Private: everything outside converts to and from `keyway_types`.

pub mod v0_1;

pub use v0_1::*;
