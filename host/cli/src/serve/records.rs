//! `/v1/history/...`, `/v1/errors` and `/v1/compliance`: keyway's own records of a secret's versions and of what went wrong,
//! for callers allowed to use the secrets they concern. Never a value: fingerprints are keyed.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{QueryPairs, SecretPath};
use super::State;
use crate::output::time_ms;
use axum::extract::State as StateOf;
use axum::Json;
use keyway::catalog::{ErrorEntry, ErrorFilter, VersionEntry};
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/history/...`: the secret's recorded versions, newest first.
pub async fn history(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    let history = state.keyway.history(&identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "history": history_json(&history) })))
}

/// `GET /v1/errors?manager=&name=&limit=`: recorded errors, newest first.
pub async fn errors(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["manager", "name", "limit"])?;
    let limit = query
        .get("limit")
        .map(|limit| limit.parse::<u32>().map_err(|_| ApiError::invalid(format!("limit={limit} is not a number"))))
        .transpose()?;
    let filter = ErrorFilter {
        manager: query.get("manager").map(str::to_owned),
        name: query.get("name").map(str::to_owned),
        since: None,
        limit,
    };
    let errors = state.keyway.errors(&identity, &filter).await?;
    Ok(Json(json!({ "errors": errors_json(&errors) })))
}

/// `GET /v1/compliance?profile=`: every finding of the bound secrets the caller may use (never a value).
pub async fn compliance(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let findings = state.keyway.compliance_report(&identity, query.get("profile")).await?;
    Ok(Json(json!({ "findings": serde_json::to_value(&findings).unwrap_or_default() })))
}

/// Recorded versions as JSON.
pub fn history_json(history: &[VersionEntry]) -> Value {
    Value::Array(
        history
            .iter()
            .map(|entry| {
                json!({
                    "number": entry.number,
                    "version_id": entry.backend_version,
                    "fingerprint": entry.fingerprint.0,
                    "type": entry.secret_type,
                    "origin": entry.origin.as_str(),
                    "actor": entry.actor,
                    "recorded_at": time_ms(entry.recorded_at),
                })
            })
            .collect(),
    )
}

/// Recorded errors as JSON.
pub fn errors_json(errors: &[ErrorEntry]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|entry| {
                json!({
                    "manager": entry.manager,
                    "name": entry.name,
                    "at": time_ms(entry.at),
                    "operation": entry.operation,
                    "kind": entry.kind,
                    "message": entry.message,
                    "actor": entry.actor,
                })
            })
            .collect(),
    )
}
