//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' annotations (utoipa) and served at
//! `/v1/openapi.json`. The shapes below document the JSON the handlers write; the handlers build it
//! themselves. Secret names may contain `/`: `{name}` in a path takes the rest of the path, unencoded.

use super::State;
use axum::extract::State as StateOf;
use shapes::{
    CreateBody, ErrorBody, ErrorDetail, Health, Metadata, MetadataAnswer, PendingApproval, Readiness, SecretAnswer,
    UpdateBody,
};
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyway",
        description = "Secrets for workflow engines from any secret manager, through sandboxed plugins: the HTTP API \
                       of `keyway serve`. Every endpoint but /v1/health, /v1/ready and this document needs a client's \
                       bearer token (or, on a Unix socket, a configured uid); X-Keyway-Namespace, X-Keyway-Groups, \
                       X-Keyway-Flow and X-Keyway-Step assert the caller's identity within the client's scope.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        super::operator::health,
        super::metrics::ready,
        openapi,
        super::metrics::metrics,
        super::operator::managers,
        super::resolve::resolve,
        super::secrets::get,
        super::secrets::create,
        super::secrets::update,
        super::secrets::delete,
        super::secrets::restore,
        super::secrets::versions,
        super::secrets::list,
        super::records::history,
        super::records::errors,
        super::records::compliance,
        super::profiles::list,
        super::profiles::show,
        super::profiles::approve,
        super::profiles::reject,
        super::profiles::status,
        super::profiles::run,
        super::profiles::bind,
        super::profiles::unbind,
        super::profiles::change_source,
        super::operator::list,
        super::operator::clear_all,
        super::operator::clear_manager,
        super::operator::clear_secret,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, PendingApproval, Metadata, SecretAnswer, MetadataAnswer, CreateBody, UpdateBody,
        Health, Readiness
    )),
    modifiers(&BearerToken),
    tags(
        (name = "secrets", description = "Reading and writing secrets"),
        (name = "resolve", description = "Placeholders in flow steps"),
        (name = "records", description = "keyway's own records: versions, errors, compliance"),
        (name = "profiles", description = "Approvals, synchronisation, bindings"),
        (name = "operator", description = "Health, readiness, managers, the cache, metrics")
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The document as JSON text.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default()
}

/// `GET /v1/openapi.json`: this document.
#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "openapi", tag = "operator",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi(StateOf(_state): StateOf<Arc<State>>) -> axum::response::Response {
    let mut response = axum::response::IntoResponse::into_response(document());
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    response
}

/// The JSON shapes the handlers write, for the document only (the handlers build their answers themselves).
#[allow(dead_code)]
pub mod shapes {
    use std::collections::BTreeMap;
    use utoipa::ToSchema;

    /// An error answer.
    #[derive(ToSchema)]
    pub struct ErrorBody {
        /// What went wrong.
        pub error: ErrorDetail,
    }

    /// What went wrong.
    #[derive(ToSchema)]
    pub struct ErrorDetail {
        /// `unauthorized`, `denied`, `out-of-scope`, `not-found`, `invalid`, `too-large`, `expired`, `conflict`,
        /// `unavailable`, `audit-unavailable`, `records-unavailable`, …
        pub kind: String,
        /// What went wrong and what to do; never a secret's value.
        pub message: String,
    }

    /// A change a profile's approval policy gates (202): nothing changed yet.
    #[derive(ToSchema)]
    pub struct PendingApproval {
        /// `pending-approval`.
        pub status: String,
        /// The request's id.
        pub request: String,
        /// Who must approve it, and how.
        pub message: String,
    }

    /// A secret's metadata (times in RFC 3339).
    #[derive(ToSchema)]
    pub struct Metadata {
        /// The name.
        pub name: String,
        /// The backend's id of the version.
        pub version_id: Option<String>,
        /// Labels of the version (`current`, `previous`, AWS stages).
        pub version_labels: Vec<String>,
        /// Whether the secret may be read.
        pub enabled: bool,
        /// Its type (`generic`, `basic-auth`, `private-key`, …).
        pub secret_type: Option<String>,
        /// A description.
        pub description: Option<String>,
        /// Tags.
        pub tags: BTreeMap<String, String>,
        /// When it was created.
        pub created_at: Option<String>,
        /// When it last changed.
        pub updated_at: Option<String>,
        /// When it stops being valid.
        pub expires_at: Option<String>,
        /// When it becomes valid.
        pub not_before: Option<String>,
        /// When it was deleted (recoverably).
        pub deleted_at: Option<String>,
        /// When a recoverable deletion becomes permanent.
        pub purge_at: Option<String>,
        /// The encryption key the backend uses.
        pub kms_key_id: Option<String>,
        /// `enabled`, `disabled`, `expired`, `not-yet-valid` or `deleted`.
        pub state: String,
    }

    /// A secret's value and metadata.
    #[derive(ToSchema)]
    pub struct SecretAnswer {
        /// The manager.
        pub manager: String,
        /// The secret's name.
        pub name: String,
        /// The field read with `?key=`.
        pub key: Option<String>,
        /// The value (standard base64 when `binary`).
        pub value: String,
        /// Whether the value is binary.
        pub binary: bool,
        /// The metadata.
        pub metadata: Metadata,
    }

    /// The metadata after a write.
    #[derive(ToSchema)]
    pub struct MetadataAnswer {
        /// The manager.
        pub manager: String,
        /// The metadata.
        pub metadata: Metadata,
    }

    /// A new secret.
    #[derive(ToSchema)]
    pub struct CreateBody {
        /// Text; standard base64 with `binary`; or a JSON object or array, stored as its JSON text.
        pub value: serde_json::Value,
        /// Whether `value` is base64 of binary content.
        pub binary: Option<bool>,
        /// Tags.
        pub tags: Option<BTreeMap<String, String>>,
        /// A description.
        pub description: Option<String>,
        /// When it stops being valid (RFC 3339 or ms since the epoch).
        pub expires_at: Option<serde_json::Value>,
        /// Its type, checked before any backend sees the value.
        pub secret_type: Option<String>,
        /// The encryption key the backend should use.
        pub kms_key_id: Option<String>,
        /// Write a new version when the name exists.
        pub overwrite: Option<bool>,
        /// Restore a recoverably deleted name before writing.
        pub recover_deleted: Option<bool>,
    }

    /// Changes of a secret; fields left out stay as they are.
    #[derive(ToSchema)]
    pub struct UpdateBody {
        /// A new value (a new version), as in [`CreateBody`].
        pub value: Option<serde_json::Value>,
        /// Whether `value` is base64 of binary content.
        pub binary: Option<bool>,
        /// A new description.
        pub description: Option<String>,
        /// A new expiry.
        pub expires_at: Option<serde_json::Value>,
        /// Enable or disable it.
        pub enabled: Option<bool>,
        /// A new encryption key.
        pub kms_key_id: Option<String>,
        /// Tags added or replaced.
        pub tags: Option<BTreeMap<String, String>>,
        /// Tag keys removed.
        pub remove_tags: Option<Vec<String>>,
    }

    /// Liveness.
    #[derive(ToSchema)]
    pub struct Health {
        /// `ok`.
        pub status: String,
        /// keyway's version.
        pub version: String,
        /// Seconds since the service started.
        pub uptime_s: u64,
    }

    /// Readiness.
    #[derive(ToSchema)]
    pub struct Readiness {
        /// `ready` or `not-ready`.
        pub status: String,
        /// Each part: `configuration`, `records` (`ok`, `disabled`, `unreachable`), `fleet` (`alone`, `connecting`,
        /// `hearing`, `cut-off`: ready when `alone` or `hearing`).
        pub checks: BTreeMap<String, String>,
    }
}
