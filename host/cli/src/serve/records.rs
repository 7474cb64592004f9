//! `/v1/history/...`, `/v1/errors` and `/v1/compliance`: keyway's own records of a secret's versions and of what went wrong,
//! for callers allowed to use the secrets they concern. Never a value: fingerprints are keyed.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{QueryPairs, SecretPath};
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use crate::output::time_ms;
use axum::extract::State as StateOf;
use axum::Json;
use keyway::catalog::{ErrorEntry, ErrorFilter, VersionEntry};
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/history/...`: the secret's recorded versions, newest first.
#[utoipa::path(get, path = "/v1/history/{manager}/{name}", operation_id = "versionHistory", tag = "records", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), responses((status = 200, description = "keyway's records of the secret's versions: number, version id, keyed fingerprint, type, origin, actor", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn history(
    StateOf(state): StateOf<Arc<State>>,
    Caller { identity, .. }: Caller,
    path: SecretPath,
) -> ApiResult<Json<Value>> {
    let history = state.keyway.history(&identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "history": history_json(&history) })))
}

/// `GET /v1/errors?manager=&name=&limit=`: recorded errors, newest first.
#[utoipa::path(get, path = "/v1/errors", operation_id = "listErrors", tag = "records", security(("bearer" = [])), params(("manager" = Option<String>, Query, description = "One manager"), ("name" = Option<String>, Query, description = "One secret"), ("limit" = Option<u32>, Query, description = "The most errors")), responses((status = 200, description = "Recorded errors, newest first", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/v1/compliance", operation_id = "complianceReport", tag = "records", security(("bearer" = [])), params(("profile" = Option<String>, Query, description = "One profile")), responses((status = 200, description = "Compliance findings (never values)", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
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
