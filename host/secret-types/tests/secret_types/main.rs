//! keyway-secret-types against real keys, tokens and key stores: valid and invalid values of every
//! type, the facts they give, generated values, and messages that never show a value.

mod api_key;
mod common;
mod generate;
mod jwt;
mod key_store;
mod key_value;
mod no_leak;
mod policy;
mod private_key;
mod secret_key;
