//! `/v1/health`, `/v1/managers` and the cache endpoints: the operator's view (names, versions, ages, expiry and
//! hits, never values) and revocation.
//!
//! Access rules apply here too: the cache view lists only entries the caller may read, and a clear needs
//! access to what it clears (everything: every manager). Both are audited.

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ManagerPath, SecretPath};
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use crate::commands::info::manager_json;
use axum::extract::State as StateOf;
use axum::Json;
use keyway::{CacheScope, Identity};
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/health`: the service is up. Open to every caller the door admits, so it tells nothing more.
#[utoipa::path(get, path = "/v1/health", operation_id = "health", tag = "operator", responses((status = 200, description = "The service is up", body = Health)))]
pub async fn health(StateOf(state): StateOf<Arc<State>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs(),
    }))
}

/// `GET /v1/managers`: every configured manager, with whether the caller may use it.
#[utoipa::path(get, path = "/v1/managers", operation_id = "listManagers", tag = "operator", security(("bearer" = [])), responses((status = 200, description = "Every manager: plugin, prefix, access, capabilities, status, and whether the caller may use it", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn managers(StateOf(state): StateOf<Arc<State>>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut items = Vec::new();
    for name in state.keyway.manager_names() {
        let mut item = manager_json(&state.keyway, name).await?;
        item["allowed"] = Value::Bool(state.keyway.may_use(&caller.identity, name));
        items.push(item);
    }
    Ok(Json(json!({ "managers": items })))
}

/// `GET /v1/cache`: what the cache holds, for the secrets the caller may read.
#[utoipa::path(get, path = "/v1/cache", operation_id = "listCache", tag = "operator", security(("bearer" = [])), responses((status = 200, description = "Cached secrets the caller may read: names, versions, ages, expiry, hits; never values", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn list(StateOf(state): StateOf<Arc<State>>, caller: Caller) -> ApiResult<Json<Value>> {
    let entries = state.keyway.cache_entries(&caller.identity).await?;
    Ok(Json(json!({ "entries": entries })))
}

/// `DELETE /v1/cache`: drops every entry; the caller must be allowed on every manager.
#[utoipa::path(delete, path = "/v1/cache", operation_id = "clearCache", tag = "operator", security(("bearer" = [])), responses((status = 200, description = "Everything dropped", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn clear_all(StateOf(state): StateOf<Arc<State>>, caller: Caller) -> ApiResult<Json<Value>> {
    clear(&state, &caller.identity, CacheScope::All).await
}

/// `DELETE /v1/cache/{manager}`: drops one manager's entries.
#[utoipa::path(delete, path = "/v1/cache/{manager}", operation_id = "clearManagerCache", tag = "operator", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager")), responses((status = 200, description = "The manager's entries dropped", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn clear_manager(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    ManagerPath(manager): ManagerPath,
) -> ApiResult<Json<Value>> {
    clear(&state, &caller.identity, CacheScope::Manager(manager)).await
}

/// `DELETE /v1/cache/{manager}/{*name}`: drops one secret's entries, whatever the version.
#[utoipa::path(delete, path = "/v1/cache/{manager}/{name}", operation_id = "clearSecretCache", tag = "operator", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), responses((status = 200, description = "The secret's entries dropped (every version)", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn clear_secret(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    clear(&state, &caller.identity, CacheScope::Secret { manager: path.manager, name: path.name }).await
}

async fn clear(state: &State, identity: &Identity, scope: CacheScope) -> ApiResult<Json<Value>> {
    let mut answer = match &scope {
        CacheScope::All => json!({ "cleared": "all" }),
        CacheScope::Manager(manager) => json!({ "cleared": "manager", "manager": manager }),
        CacheScope::Secret { manager, name } => json!({ "cleared": "secret", "manager": manager, "name": name }),
    };
    let dropped = state.keyway.clear_cache(identity, scope).await?;
    answer["entries_dropped"] = json!(dropped);
    Ok(Json(answer))
}
