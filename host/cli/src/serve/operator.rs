//! `/v1/health`, `/v1/managers` and the cache endpoints: the operator's view (names, versions, ages, expiry and
//! hits, never values) and revocation.
//!
//! Access rules apply here too: the cache view lists only entries the caller may read, and a clear needs
//! access to what it clears (everything: every manager).

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ManagerPath, SecretPath};
use super::State;
use crate::commands::info::manager_json;
use axum::extract::State as StateOf;
use axum::http::StatusCode;
use axum::Json;
use keyway::{CacheScope, CachedSecretInfo, Identity};
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/health`: the service is up.
pub async fn health(StateOf(state): StateOf<Arc<State>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "managers": state.keyway.manager_names().len(),
        "uptime_s": state.started.elapsed().as_secs(),
    }))
}

/// `GET /v1/managers`: every configured manager, with whether the caller may use it.
pub async fn managers(StateOf(state): StateOf<Arc<State>>, Caller(identity): Caller) -> ApiResult<Json<Value>> {
    let mut items = Vec::new();
    for name in state.keyway.manager_names() {
        let mut item = manager_json(&state.keyway, name).await?;
        item["allowed"] = Value::Bool(state.keyway.resolver().authorize(&identity, name, None).is_ok());
        items.push(item);
    }
    Ok(Json(json!({ "managers": items })))
}

/// `GET /v1/cache`: what the cache holds, for the secrets the caller may read.
pub async fn list(StateOf(state): StateOf<Arc<State>>, Caller(identity): Caller) -> Json<Value> {
    let resolver = state.keyway.resolver();
    let entries: Vec<_> = resolver
        .cached_secrets()
        .into_iter()
        .filter(|entry| resolver.authorize(&identity, &entry.manager, Some(&entry.name)).is_ok())
        .collect();
    Json(json!({ "entries": entries }))
}

/// `DELETE /v1/cache`: drops every entry; the caller must be allowed on every manager.
pub async fn clear_all(StateOf(state): StateOf<Arc<State>>, Caller(identity): Caller) -> ApiResult<Json<Value>> {
    let denied: Vec<&str> = state
        .keyway
        .manager_names()
        .into_iter()
        .filter(|name| state.keyway.resolver().authorize(&identity, name, None).is_err())
        .collect();
    if !denied.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "denied",
            format!(
                "clearing the whole cache needs access to every manager; the caller may not use: {} (clear the others one by one)",
                denied.join(", ")
            ),
        ));
    }
    clear(&state, &identity, CacheScope::All).await
}

/// `DELETE /v1/cache/{manager}`: drops one manager's entries.
pub async fn clear_manager(
    StateOf(state): StateOf<Arc<State>>,
    Caller(identity): Caller,
    ManagerPath(manager): ManagerPath,
) -> ApiResult<Json<Value>> {
    clear(&state, &identity, CacheScope::Manager(manager)).await
}

/// `DELETE /v1/cache/{manager}/{*name}`: drops one secret's entries, whatever the version.
pub async fn clear_secret(
    StateOf(state): StateOf<Arc<State>>,
    Caller(identity): Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    clear(&state, &identity, CacheScope::Secret { manager: path.manager, name: path.name }).await
}

async fn clear(state: &State, identity: &Identity, scope: CacheScope) -> ApiResult<Json<Value>> {
    let resolver = state.keyway.resolver();
    let answer = match &scope {
        CacheScope::All => json!({ "cleared": "all" }),
        CacheScope::Manager(manager) => {
            resolver.authorize(identity, manager, None)?;
            json!({ "cleared": "manager", "manager": manager })
        }
        CacheScope::Secret { manager, name } => {
            resolver.authorize(identity, manager, Some(name))?;
            json!({ "cleared": "secret", "manager": manager, "name": name })
        }
    };
    let dropped = resolver.cached_secrets().iter().filter(|entry| in_scope(&scope, entry)).count();
    resolver.clear_cache(scope).await?;
    tracing::info!(
        target: "keyway::audit",
        operation = "cache-clear",
        namespace = identity.namespace.as_deref(),
        groups = ?identity.groups,
        scope = %answer["cleared"],
        "audit"
    );
    let mut answer = answer;
    answer["entries_dropped"] = json!(dropped);
    Ok(Json(answer))
}

fn in_scope(scope: &CacheScope, entry: &CachedSecretInfo) -> bool {
    match scope {
        CacheScope::Manager(manager) => &entry.manager == manager,
        CacheScope::Secret { manager, name } => &entry.manager == manager && &entry.name == name,
        CacheScope::All => true,
    }
}
