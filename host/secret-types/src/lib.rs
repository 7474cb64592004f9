//! Typed secrets: the rule each secret type's value must follow, the facts worth recording about a
//! valid value, and generators of new values for renewal.
//!
//! keyway's facade calls [`validate`] on every create and update of a typed secret before any
//! backend sees the value, records the [`TypeFacts`] it returns (a JWT's `exp` as the secret's
//! expiry, a key's type and size as `keyway-…` tags), and its renewal scheduler calls
//! [`generate`] for new values. Neither ever puts any part of a value in an error or a `Debug`
//! output.
//!
//! ```
//! use keyway_secret_types::{generate, validate, GeneratorPolicy, SecretType};
//! use keyway_types::SecretValue;
//!
//! let secret_type: SecretType = "basic-auth".parse()?;
//! let value = SecretValue::text(r#"{"username":"etl","password":"old"}"#);
//! let facts = validate(&secret_type, &value)?;
//! assert_eq!(facts.tags().get("keyway-type").map(String::as_str), Some("basic-auth"));
//!
//! let renewed = generate(&secret_type, &GeneratorPolicy::default(), Some(&value))?;
//! assert!(renewed.expose_text().is_some_and(|json| json.starts_with(r#"{"username":"etl","password":""#)));
//!
//! let missing = validate(&secret_type, &SecretValue::text(r#"{"username":"etl"}"#));
//! assert_eq!(
//!     missing.err().map(|e| e.to_string()).as_deref(),
//!     Some("type basic-auth needs a JSON object with string fields `username` and `password`; field `password` is missing")
//! );
//! # Ok::<(), keyway_secret_types::TypeError>(())
//! ```
//!
//! # Layout
//! - [`types`]: [`SecretType`], the type names (`generic`, `key-value`, `basic-auth`, `api-key`,
//!   `jwt`, `private-key`, `secret-key`, `key-store`) and the rule of each.
//! - [`mod@validate`]: [`validate()`], with one module per type family: `key_value` (JSON
//!   objects of strings, also `basic-auth`), `api_key`, `jwt`, `secret_key`, `private_key`
//!   (`pem`, `der`, `openssh`) and `key_store` (`pkcs12`, `jks`); `json` reads JSON for them.
//! - [`facts`]: [`TypeFacts`] and their tags.
//! - [`policy`]: [`GeneratorPolicy`] and its parts, as keyway's configuration writes them.
//! - [`mod@generate`]: [`generate()`], with `password`, `fields` (`basic-auth`, `key-value`),
//!   `text` (`api-key`, `secret-key`) and `keys` (`private-key`).
//! - `random`: uniform choices from the OS random source by rejection sampling.
//! - [`error`]: [`TypeError`], whose messages never quote a value.

pub mod error;
pub mod facts;
pub mod generate;
pub mod policy;
mod random;
pub mod types;
pub mod validate;

pub use error::TypeError;
pub use facts::{TypeFacts, TAG_PREFIX};
pub use generate::generate;
pub use policy::{
    ApiKeyAlphabet, ApiKeyPolicy, ClassRule, GeneratorPolicy, KeyAlgorithm, KeyValuePolicy, PasswordPolicy,
    PrivateKeyPolicy, SecretKeyEncoding, SecretKeyPolicy,
};
pub use types::SecretType;
pub use validate::validate;
