//! Conversions between these types and generated WIT bindings.
//!
//! The guest bindings (wit-bindgen) and the host bindings (wasmtime's
//! `bindgen!`) generate the same type names and shapes for
//! `keyway:provider/types`, so one macro serves both sides.

/// Defines `*_to_wit` / `*_from_wit` conversion functions in the calling
/// module for the generated `keyway:provider/types` module at `$wit`.
#[doc(hidden)]
#[macro_export]
macro_rules! wit_conversions {
    ($wit:path) => {
        #[allow(dead_code)]
        mod wit_convert {
            use $crate as kt;
            use $wit as wit;

            pub fn selector_from_wit(s: wit::VersionSelector) -> kt::VersionSelector {
                match s {
                    wit::VersionSelector::Latest => kt::VersionSelector::Latest,
                    wit::VersionSelector::Id(id) => kt::VersionSelector::Id(id),
                    wit::VersionSelector::Label(label) => kt::VersionSelector::Label(label),
                }
            }

            pub fn selector_to_wit(s: &kt::VersionSelector) -> wit::VersionSelector {
                match s {
                    kt::VersionSelector::Latest => wit::VersionSelector::Latest,
                    kt::VersionSelector::Id(id) => wit::VersionSelector::Id(id.clone()),
                    kt::VersionSelector::Label(label) => wit::VersionSelector::Label(label.clone()),
                }
            }

            pub fn value_from_wit(v: wit::SecretValue) -> kt::SecretValue {
                match v {
                    wit::SecretValue::Text(text) => kt::SecretValue::text(text),
                    wit::SecretValue::Binary(bytes) => kt::SecretValue::binary(bytes),
                }
            }

            pub fn value_to_wit(v: &kt::SecretValue) -> wit::SecretValue {
                match v {
                    kt::SecretValue::Text(text) => wit::SecretValue::Text(text.as_str().to_owned()),
                    kt::SecretValue::Binary(bytes) => wit::SecretValue::Binary(bytes.to_vec()),
                }
            }

            pub fn tags_from_wit(tags: Vec<wit::Tag>) -> kt::Tags {
                tags.into_iter().map(|tag| (tag.key, tag.value)).collect()
            }

            pub fn tags_to_wit(tags: &kt::Tags) -> Vec<wit::Tag> {
                tags.iter().map(|(key, value)| wit::Tag { key: key.clone(), value: value.clone() }).collect()
            }

            pub fn metadata_from_wit(m: wit::SecretMetadata) -> kt::SecretMetadata {
                kt::SecretMetadata {
                    name: m.name,
                    version_id: m.version_id,
                    version_labels: m.version_labels,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                    expires_at: m.expires_at,
                    not_before: m.not_before,
                    enabled: m.enabled,
                    tags: tags_from_wit(m.tags),
                    description: m.description,
                    secret_type: m.secret_type,
                    kms_key_id: m.kms_key_id,
                    deleted_at: m.deleted_at,
                    purge_at: m.purge_at,
                }
            }

            pub fn metadata_to_wit(m: kt::SecretMetadata) -> wit::SecretMetadata {
                wit::SecretMetadata {
                    tags: tags_to_wit(&m.tags),
                    name: m.name,
                    version_id: m.version_id,
                    version_labels: m.version_labels,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                    expires_at: m.expires_at,
                    not_before: m.not_before,
                    enabled: m.enabled,
                    description: m.description,
                    secret_type: m.secret_type,
                    kms_key_id: m.kms_key_id,
                    deleted_at: m.deleted_at,
                    purge_at: m.purge_at,
                }
            }

            pub fn secret_from_wit(s: wit::Secret) -> kt::Secret {
                kt::Secret { value: value_from_wit(s.value), metadata: metadata_from_wit(s.metadata) }
            }

            /// Moves the value's buffer into the WIT value instead of copying it: one copy
            /// fewer to make and to wipe (the WIT buffer is handed to the other side as is).
            pub fn value_into_wit(v: kt::SecretValue) -> wit::SecretValue {
                match v {
                    kt::SecretValue::Text(mut text) => wit::SecretValue::Text(std::mem::take(&mut *text)),
                    kt::SecretValue::Binary(mut bytes) => wit::SecretValue::Binary(std::mem::take(&mut *bytes)),
                }
            }

            pub fn secret_to_wit(s: kt::Secret) -> wit::Secret {
                wit::Secret { value: value_into_wit(s.value), metadata: metadata_to_wit(s.metadata) }
            }

            pub fn write_options_from_wit(o: wit::WriteOptions) -> kt::WriteOptions {
                kt::WriteOptions {
                    tags: tags_from_wit(o.tags),
                    description: o.description,
                    expires_at: o.expires_at,
                    secret_type: o.secret_type,
                    kms_key_id: o.kms_key_id,
                    overwrite: o.overwrite,
                    recover_deleted: o.recover_deleted,
                }
            }

            pub fn write_options_to_wit(o: &kt::WriteOptions) -> wit::WriteOptions {
                wit::WriteOptions {
                    tags: tags_to_wit(&o.tags),
                    description: o.description.clone(),
                    expires_at: o.expires_at,
                    secret_type: o.secret_type.clone(),
                    kms_key_id: o.kms_key_id.clone(),
                    overwrite: o.overwrite,
                    recover_deleted: o.recover_deleted,
                }
            }

            pub fn update_from_wit(r: wit::UpdateRequest) -> kt::UpdateRequest {
                kt::UpdateRequest {
                    value: r.value.map(value_from_wit),
                    description: r.description,
                    expires_at: r.expires_at,
                    enabled: r.enabled,
                    kms_key_id: r.kms_key_id,
                    set_tags: tags_from_wit(r.set_tags),
                    remove_tags: r.remove_tags,
                }
            }

            pub fn update_to_wit(r: &kt::UpdateRequest) -> wit::UpdateRequest {
                wit::UpdateRequest {
                    value: r.value.as_ref().map(value_to_wit),
                    description: r.description.clone(),
                    expires_at: r.expires_at,
                    enabled: r.enabled,
                    kms_key_id: r.kms_key_id.clone(),
                    set_tags: tags_to_wit(&r.set_tags),
                    remove_tags: r.remove_tags.clone(),
                }
            }

            pub fn delete_mode_from_wit(m: wit::DeleteMode) -> kt::DeleteMode {
                match m {
                    wit::DeleteMode::Recoverable(days) => kt::DeleteMode::Recoverable(days),
                    wit::DeleteMode::Force => kt::DeleteMode::Force,
                }
            }

            pub fn delete_mode_to_wit(m: kt::DeleteMode) -> wit::DeleteMode {
                match m {
                    kt::DeleteMode::Recoverable(days) => wit::DeleteMode::Recoverable(days),
                    kt::DeleteMode::Force => wit::DeleteMode::Force,
                }
            }

            pub fn list_request_from_wit(r: wit::ListRequest) -> kt::ListRequest {
                kt::ListRequest {
                    prefix: r.prefix,
                    tags: tags_from_wit(r.tags),
                    include_deleted: r.include_deleted,
                    page_size: r.page_size,
                    page_token: r.page_token,
                }
            }

            pub fn list_request_to_wit(r: &kt::ListRequest) -> wit::ListRequest {
                wit::ListRequest {
                    prefix: r.prefix.clone(),
                    tags: tags_to_wit(&r.tags),
                    include_deleted: r.include_deleted,
                    page_size: r.page_size,
                    page_token: r.page_token.clone(),
                }
            }

            pub fn list_page_from_wit(p: wit::ListPage) -> kt::ListPage {
                kt::ListPage { secrets: p.secrets.into_iter().map(metadata_from_wit).collect(), next_page: p.next_page }
            }

            pub fn list_page_to_wit(p: kt::ListPage) -> wit::ListPage {
                wit::ListPage { secrets: p.secrets.into_iter().map(metadata_to_wit).collect(), next_page: p.next_page }
            }

            pub fn version_from_wit(v: wit::VersionInfo) -> kt::VersionInfo {
                kt::VersionInfo {
                    version_id: v.version_id,
                    labels: v.labels,
                    created_at: v.created_at,
                    state: match v.state {
                        wit::VersionState::Active => kt::VersionState::Active,
                        wit::VersionState::Deleted => kt::VersionState::Deleted,
                        wit::VersionState::Destroyed => kt::VersionState::Destroyed,
                    },
                }
            }

            pub fn version_to_wit(v: kt::VersionInfo) -> wit::VersionInfo {
                wit::VersionInfo {
                    version_id: v.version_id,
                    labels: v.labels,
                    created_at: v.created_at,
                    state: match v.state {
                        kt::VersionState::Active => wit::VersionState::Active,
                        kt::VersionState::Deleted => wit::VersionState::Deleted,
                        kt::VersionState::Destroyed => wit::VersionState::Destroyed,
                    },
                }
            }

            pub fn capabilities_from_wit(c: wit::Capabilities) -> kt::Capabilities {
                kt::Capabilities {
                    read: c.read,
                    write: c.write,
                    delete: c.delete,
                    delete_with_recovery: c.delete_with_recovery,
                    restore: c.restore,
                    list: c.list,
                    versions: c.versions,
                    labels: c.labels,
                    binary_values: c.binary_values,
                    tags: c.tags,
                    probe: c.probe,
                }
            }

            pub fn capabilities_to_wit(c: kt::Capabilities) -> wit::Capabilities {
                wit::Capabilities {
                    read: c.read,
                    write: c.write,
                    delete: c.delete,
                    delete_with_recovery: c.delete_with_recovery,
                    restore: c.restore,
                    list: c.list,
                    versions: c.versions,
                    labels: c.labels,
                    binary_values: c.binary_values,
                    tags: c.tags,
                    probe: c.probe,
                }
            }

            pub fn error_from_wit(e: wit::ProviderError) -> kt::ProviderError {
                use kt::ProviderError as E;
                match e {
                    wit::ProviderError::NotFound(m) => E::NotFound(m),
                    wit::ProviderError::AlreadyExists(m) => E::AlreadyExists(m),
                    wit::ProviderError::AccessDenied(m) => E::AccessDenied(m),
                    wit::ProviderError::InvalidArgument(m) => E::InvalidArgument(m),
                    wit::ProviderError::Conflict(m) => E::Conflict(m),
                    wit::ProviderError::Throttled(t) => {
                        E::Throttled { message: t.message, retry_after_ms: t.retry_after_ms }
                    }
                    wit::ProviderError::Unavailable(m) => E::Unavailable(m),
                    wit::ProviderError::Unsupported(m) => E::Unsupported(m),
                    wit::ProviderError::Configuration(m) => E::Configuration(m),
                    wit::ProviderError::Other(m) => E::Other(m),
                }
            }

            pub fn error_to_wit(e: kt::ProviderError) -> wit::ProviderError {
                use kt::ProviderError as E;
                match e {
                    E::NotFound(m) => wit::ProviderError::NotFound(m),
                    E::AlreadyExists(m) => wit::ProviderError::AlreadyExists(m),
                    E::AccessDenied(m) => wit::ProviderError::AccessDenied(m),
                    E::InvalidArgument(m) => wit::ProviderError::InvalidArgument(m),
                    E::Conflict(m) => wit::ProviderError::Conflict(m),
                    E::Throttled { message, retry_after_ms } => {
                        wit::ProviderError::Throttled(wit::Throttled { message, retry_after_ms })
                    }
                    E::Unavailable(m) => wit::ProviderError::Unavailable(m),
                    E::Unsupported(m) => wit::ProviderError::Unsupported(m),
                    E::Configuration(m) => wit::ProviderError::Configuration(m),
                    other => wit::ProviderError::Other(other.to_string()),
                }
            }
        }
    };
}
