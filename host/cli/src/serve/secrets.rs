//! `/v1/secrets/{manager}/{*name}` (get, create, update, delete), `/v1/restore/...`, `/v1/versions/...` and
//! `/v1/list/{manager}`: the flow-node capability API over HTTP.

use super::answer::{Metadata, ReadAnswer};
use super::body;
use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, ManagerPath, QueryPairs, SecretPath};
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use crate::output::{metadata_json, time, versions_json};
use axum::extract::State as StateOf;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyway::types::{DeleteMode, ListRequest};
use keyway::Identity;
use keyway::KeyError;
use keyway::KeywayError;
use serde_json::{json, Value};
use std::sync::Arc;

/// The most secrets one listing gathers across pages; a larger listing is paged by the caller.
const MAX_LIST_ITEMS: usize = 10_000;

/// The most backend pages one listing reads.
const MAX_LIST_PAGES: usize = 1_000;

/// The route of a secret: its reads, writes and deletion.
pub const SECRET_ROUTE: &str = "/v1/secrets/{manager}/{*name}";

/// `GET`: the value (base64 when binary) and the full metadata; `?key=` reads one field of a JSON secret.
#[utoipa::path(get, path = "/v1/secrets/{manager}/{name}", operation_id = "getSecret", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)"), ("version" = Option<String>, Query, description = "A version id"), ("label" = Option<String>, Query, description = "A version label"), ("key" = Option<String>, Query, description = "A field of a JSON key/value secret")), responses((status = 200, description = "The value and metadata", body = SecretAnswer), (status = 410, description = "Past its expiry", body = ErrorBody), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn get(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
    query: QueryPairs,
) -> ApiResult<Response> {
    read(&state, &identity, &path, &query).await
}

/// A read for `identity`: what `GET` answers, through the router or straight from the front door.
pub async fn read(state: &State, identity: &Identity, path: &SecretPath, query: &QueryPairs) -> ApiResult<Response> {
    query.only(&["version", "label", "key"])?;
    let selector = query.selector()?;
    let secret = state.keyway.get(identity, &path.manager, &path.name, &selector).await?;
    let answer = |key: Option<&str>, value: &str, binary: bool| {
        let answer = ReadAnswer {
            binary,
            key,
            manager: &path.manager,
            metadata: Metadata(secret.metadata()),
            name: &path.name,
            value,
        };
        match answer.to_json() {
            Ok(body) => Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response()),
            Err(_) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot encode the answer")),
        }
    };
    if let Some(key) = query.get("key") {
        let field = secret.key(key).map_err(|err| {
            let (manager, name) = (&path.manager, &path.name);
            match err {
                KeyError::MissingKey => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "missing-key",
                    format!("secret '{name}' on manager '{manager}' has no key '{key}'"),
                ),
                _ => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "not-key-value",
                    format!("secret '{name}' on manager '{manager}' is not a JSON key/value secret, so it has no key '{key}'"),
                ),
            }
        })?;
        return answer(Some(key), field, false);
    }
    match secret.value().expose_text() {
        Some(text) => answer(None, text, false),
        None => answer(None, &secret.value().to_text_or_base64(), true),
    }
}

/// `PUT`: creates the secret (or a new version with `"overwrite": true`).
#[utoipa::path(put, path = "/v1/secrets/{manager}/{name}", operation_id = "createSecret", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), request_body = CreateBody, responses((status = 201, description = "Created", body = MetadataAnswer), (status = 202, description = "Waits for approval", body = PendingApproval), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn create(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
    mut body: JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (value, options) = body::create(&mut body.0)?;
    let meta = state.keyway.create(&identity, &path.manager, &path.name, &value, &options).await?;
    Ok((StatusCode::CREATED, Json(json!({ "manager": path.manager, "metadata": metadata_json(&meta) }))))
}

/// `PATCH`: a new value (a new version) and/or attributes.
#[utoipa::path(patch, path = "/v1/secrets/{manager}/{name}", operation_id = "updateSecret", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), request_body = UpdateBody, responses((status = 200, description = "Changed", body = MetadataAnswer), (status = 202, description = "Waits for approval", body = PendingApproval), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn update(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
    mut body: JsonBody,
) -> ApiResult<Json<Value>> {
    let request = body::update(&mut body.0)?;
    let meta = state.keyway.update(&identity, &path.manager, &path.name, &request).await?;
    Ok(Json(json!({ "manager": path.manager, "metadata": metadata_json(&meta) })))
}

/// `DELETE`: recoverable (`?recovery_days=N`, or the backend's default window) or at once (`?force=true`).
#[utoipa::path(delete, path = "/v1/secrets/{manager}/{name}", operation_id = "deleteSecret", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)"), ("recovery_days" = Option<u32>, Query, description = "Days it stays recoverable"), ("force" = Option<bool>, Query, description = "Delete at once, every version")), responses((status = 200, description = "Deleted; when it is purged", body = Object), (status = 202, description = "Waits for approval", body = PendingApproval), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn delete(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["force", "recovery_days"])?;
    let force = query.flag("force")?;
    let days = query
        .get("recovery_days")
        .map(|days| {
            days.parse::<u32>().map_err(|_| ApiError::invalid(format!("recovery_days={days} is not a number of days")))
        })
        .transpose()?;
    let mode = match (force, days) {
        (true, Some(_)) => return Err(ApiError::invalid("give either force=true or recovery_days, not both")),
        (true, None) => DeleteMode::Force,
        (false, days) => DeleteMode::Recoverable(days),
    };
    let purge_at = state.keyway.delete(&identity, &path.manager, &path.name, mode).await?;
    Ok(Json(json!({
        "manager": path.manager,
        "name": path.name,
        "deleted": true,
        "recoverable": purge_at.is_some(),
        "purge_at": purge_at.map(|ms| time(Some(ms))),
    })))
}

/// `POST /v1/restore/...`: recovers a deleted secret.
#[utoipa::path(post, path = "/v1/restore/{manager}/{name}", operation_id = "restoreSecret", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), responses((status = 200, description = "Restored", body = MetadataAnswer), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn restore(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    let meta = state.keyway.restore(&identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "metadata": metadata_json(&meta) })))
}

/// `GET /v1/versions/...`: the secret's versions, newest as the backend orders them.
#[utoipa::path(get, path = "/v1/versions/{manager}/{name}", operation_id = "listVersions", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), responses((status = 200, description = "The secret's versions", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn versions(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    let versions = state.keyway.versions(&identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "versions": versions_json(&versions) })))
}

/// `GET /v1/list/{manager}`: metadata of the secrets the caller may use. `prefix`, `tag=K=V` (repeatable),
/// `include_deleted`; every page by default, or one page with `page_size`/`page_token`.
#[utoipa::path(get, path = "/v1/list/{manager}", operation_id = "listSecrets", tag = "secrets", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("prefix" = Option<String>, Query, description = "Names starting with this"), ("tag" = Option<String>, Query, description = "K=V, repeatable"), ("include_deleted" = Option<bool>, Query, description = "Also recoverably deleted secrets"), ("page_size" = Option<u32>, Query, description = "One page of this size"), ("page_token" = Option<String>, Query, description = "The next page")), responses((status = 200, description = "Metadata of the secrets the caller may use", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn list(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    ManagerPath(manager): ManagerPath,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["prefix", "tag", "include_deleted", "page_size", "page_token"])?;
    let tags: Vec<String> = query.all("tag").map(str::to_owned).collect();
    let page_size = query
        .get("page_size")
        .map(|size| size.parse::<u32>().map_err(|_| ApiError::invalid(format!("page_size={size} is not a number"))))
        .transpose()?;
    let mut request = ListRequest {
        prefix: query.get("prefix").map(str::to_owned),
        tags: crate::input::parse_tags(&tags).map_err(|err| ApiError::from(as_keyway(err)))?,
        include_deleted: query.flag("include_deleted")?,
        page_size,
        page_token: query.get("page_token").map(str::to_owned),
    };
    let one_page = request.page_size.is_some() || request.page_token.is_some();
    let mut secrets = Vec::new();
    let mut pages = 0;
    let next_page = loop {
        let page = state.keyway.list(&identity, &manager, &request).await?;
        secrets.extend(page.secrets.iter().map(metadata_json));
        pages += 1;
        match page.next_page {
            Some(_) if secrets.len() >= MAX_LIST_ITEMS || pages >= MAX_LIST_PAGES => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "too-large",
                    format!(
                        "manager '{manager}' lists more than {} secrets in {pages} pages; page through them with \
                         page_size and page_token",
                        secrets.len()
                    ),
                ));
            }
            Some(token) if !one_page => request.page_token = Some(token),
            next => break next,
        }
    };
    Ok(Json(json!({ "manager": manager, "secrets": secrets, "next_page": next_page })))
}

/// An input error from the CLI's parsers as keyway's error.
fn as_keyway(error: anyhow::Error) -> KeywayError {
    match error.downcast::<KeywayError>() {
        Ok(error) => error,
        Err(other) => KeywayError::InvalidInput(format!("{other:#}")),
    }
}
