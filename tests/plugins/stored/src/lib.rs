//! A provider that keeps its secrets in the host's store (`keyway:store/kv@0.1.0`), one key per secret
//! (`s/NAME`), the value's bytes after a one-byte kind (0 text, 1 binary), unencrypted: it proves the store
//! through the real sandbox. A create without `overwrite` is a compare-and-swap on "absent", so of many
//! writers racing to create one name exactly one succeeds; the version id is the store's version token.

mod store;

use keyway_plugin_sdk::prelude::*;
use store::{kv, StoreFailure};

const PREFIX: &str = "s/";

struct Stored;

fn key(name: &str) -> String {
    format!("{PREFIX}{name}")
}

fn encode(value: &SecretValue) -> Vec<u8> {
    let mut bytes = vec![u8::from(value.is_binary())];
    bytes.extend_from_slice(value.expose_bytes());
    bytes
}

fn decode(bytes: &[u8]) -> Result<SecretValue> {
    match bytes.split_first() {
        Some((0, text)) => String::from_utf8(text.to_vec())
            .map(SecretValue::text)
            .map_err(|_| ProviderError::Other("a stored text value is not UTF-8".into())),
        Some((1, binary)) => Ok(SecretValue::binary(binary.to_vec())),
        _ => Err(ProviderError::Other("a stored value has an unknown kind".into())),
    }
}

fn metadata(name: &str, version: String) -> SecretMetadata {
    SecretMetadata { version_id: Some(version), ..SecretMetadata::named(name) }
}

impl Provider for Stored {
    fn open(_settings: Settings) -> Result<Self> {
        Ok(Self)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            delete: true,
            list: true,
            binary_values: true,
            ..Capabilities::default()
        }
    }

    fn get(&self, name: &str, selector: &VersionSelector) -> Result<Secret> {
        let entry = kv::get(&key(name)).map_err(|err| StoreFailure(err).into_error(name))?;
        let entry = entry.ok_or_else(|| ProviderError::not_found(name))?;
        if let VersionSelector::Id(id) = selector {
            if *id != entry.version {
                return Err(ProviderError::NotFound(format!("secret '{name}' has no version {selector}")));
            }
        }
        Ok(Secret { value: decode(&entry.value)?, metadata: metadata(name, entry.version) })
    }

    fn create(&self, name: &str, value: SecretValue, options: &WriteOptions) -> Result<SecretMetadata> {
        let bytes = encode(&value);
        let written = if options.overwrite {
            kv::set(&key(name), &bytes)
        } else {
            kv::compare_and_swap(&key(name), None, &bytes)
        };
        match written {
            Ok(version) => Ok(metadata(name, version)),
            Err(kv::Error::Conflict(_)) => Err(ProviderError::AlreadyExists(format!(
                "secret '{name}' exists; write with overwrite to add a version"
            ))),
            Err(err) => Err(StoreFailure(err).into_error(name)),
        }
    }

    fn delete(&self, name: &str, _mode: DeleteMode) -> Result<Option<Timestamp>> {
        match kv::delete(&key(name)) {
            Ok(true) => Ok(None),
            Ok(false) => Err(ProviderError::not_found(name)),
            Err(err) => Err(StoreFailure(err).into_error(name)),
        }
    }

    fn list(&self, request: &ListRequest) -> Result<ListPage> {
        let prefix = key(request.prefix.as_deref().unwrap_or(""));
        let page = kv::list_keys(&prefix, request.page_token.as_deref(), request.page_size.unwrap_or(0))
            .map_err(|err| StoreFailure(err).into_error("the listing"))?;
        let secrets = page.keys.iter().filter_map(|key| key.strip_prefix(PREFIX)).map(SecretMetadata::named).collect();
        Ok(ListPage { secrets, next_page: page.cursor })
    }
}

export_provider!(Stored);
