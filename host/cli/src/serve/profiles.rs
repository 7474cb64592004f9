//! Profiles over HTTP: approvals (`/v1/approvals…`), synchronisation (`/v1/sync…`), bindings (`/v1/bind/…`)
//! and changes of source (`/v1/change-source/…`). Every call goes through the facade's checks and audit; a
//! proposed value is shown only to an approver whose client may reveal values, when the policy allows it.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{wiped_json, QueryPairs, SecretPath};
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use axum::extract::{Path, State as StateOf};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/approvals?state=`: requests (pending unless `state` says otherwise, `all` for every state).
#[utoipa::path(get, path = "/v1/approvals", operation_id = "listApprovals", tag = "profiles", security(("bearer" = [])), params(("state" = Option<String>, Query, description = "pending (default), approved, applied, rejected, expired, or all")), responses((status = 200, description = "Approval requests", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn list(StateOf(state): StateOf<Arc<State>>, caller: Caller, query: QueryPairs) -> ApiResult<Json<Value>> {
    query.only(&["state"])?;
    let wanted = match query.get("state") {
        None => Some("pending"),
        Some("all") => None,
        Some(other) => Some(other),
    };
    let views = state.keyway.approvals(&caller.identity, wanted).await?;
    Ok(Json(json!({ "approvals": serde_json::to_value(&views).unwrap_or_default() })))
}

/// `GET /v1/approvals/{id}?reveal=true`: one request; the proposed value only for an approver whose client
/// may reveal values, when the profile's policy reveals them to approvers.
#[utoipa::path(get, path = "/v1/approvals/{id}", operation_id = "showApproval", tag = "profiles", security(("bearer" = [])), params(("id" = String, Path, description = "The request"), ("reveal" = Option<bool>, Query, description = "The proposed value too (approvers, when the policy reveals values)")), responses((status = 200, description = "The request", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn show(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    query.only(&["reveal"])?;
    let reveal = query.flag("reveal")?;
    if reveal && !caller.client.may_reveal() {
        state.keyway.record_refusal(&caller.identity, "approval-show", "reveal-denied", "", &id).await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "reveal-denied",
            format!("client '{}' may not reveal values (serve.clients.NAME.reveal)", caller.client.name()),
        ));
    }
    let (view, value) = state.keyway.approval(&caller.identity, &id, reveal).await?;
    let mut body = serde_json::to_value(&view).unwrap_or_default();
    if let (Some(value), Some(object)) = (value, body.as_object_mut()) {
        object.insert("value".into(), value.0.to_text_or_base64().as_str().into());
        object.insert("binary".into(), value.0.is_binary().into());
    }
    Ok(wiped_json(body))
}

/// `POST /v1/approvals/{id}/approve?comment=`: a vote; at quorum the change is applied.
#[utoipa::path(post, path = "/v1/approvals/{id}/approve", operation_id = "approve", tag = "profiles", security(("bearer" = [])), params(("id" = String, Path, description = "The request"), ("comment" = Option<String>, Query, description = "Why")), responses((status = 200, description = "outcome: waiting, applied or applied-elsewhere", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn approve(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["comment"])?;
    let outcome = state.keyway.approve(&caller.identity, &id, query.get("comment")).await?;
    let mut body = serde_json::to_value(&outcome).unwrap_or_default();
    body["request"] = Value::String(id);
    Ok(Json(body))
}

/// `POST /v1/approvals/{id}/reject?comment=`: the request ends, nothing changes.
#[utoipa::path(post, path = "/v1/approvals/{id}/reject", operation_id = "reject", tag = "profiles", security(("bearer" = [])), params(("id" = String, Path, description = "The request"), ("comment" = Option<String>, Query, description = "Why")), responses((status = 200, description = "The rejected request", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn reject(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["comment"])?;
    let request = state.keyway.reject(&caller.identity, &id, query.get("comment")).await?;
    Ok(Json(serde_json::to_value(&request).unwrap_or_default()))
}

/// `GET /v1/sync?profile=`: every copy's state.
#[utoipa::path(get, path = "/v1/sync", operation_id = "syncStatus", tag = "profiles", security(("bearer" = [])), params(("profile" = Option<String>, Query, description = "One profile")), responses((status = 200, description = "Every synchronised copy's state", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn status(StateOf(state): StateOf<Arc<State>>, caller: Caller, query: QueryPairs) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let rows = state.keyway.sync_status(&caller.identity, query.get("profile")).await?;
    Ok(Json(json!({ "copies": serde_json::to_value(&rows).unwrap_or_default() })))
}

/// `POST /v1/sync/run?profile=`: compare every copy with its source and repair what differs.
#[utoipa::path(post, path = "/v1/sync/run", operation_id = "syncRun", tag = "profiles", security(("bearer" = [])), params(("profile" = Option<String>, Query, description = "One profile")), responses((status = 200, description = "Every copy compared with its source and repaired", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn run(StateOf(state): StateOf<Arc<State>>, caller: Caller, query: QueryPairs) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let rows = state.keyway.sync_run(&caller.identity, query.get("profile")).await?;
    Ok(Json(json!({ "copies": serde_json::to_value(&rows).unwrap_or_default() })))
}

/// `POST /v1/bind/{manager}/{name}?profile=`: bind the secret to a profile.
#[utoipa::path(post, path = "/v1/bind/{manager}/{name}", operation_id = "bind", tag = "profiles", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)"), ("profile" = String, Query, description = "The profile")), responses((status = 200, description = "Bound; its copies", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn bind(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    path: SecretPath,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let profile = query.get("profile").ok_or_else(|| ApiError::invalid("say the profile: ?profile=NAME"))?;
    state.keyway.bind(&caller.identity, &path.manager, &path.name, profile).await?;
    let copies = state.keyway.copies_of(&caller.identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "profile": profile, "copies": copies })))
}

/// `DELETE /v1/bind/{manager}/{name}`: remove a binding made by bind.
#[utoipa::path(delete, path = "/v1/bind/{manager}/{name}", operation_id = "unbind", tag = "profiles", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)")), responses((status = 200, description = "Unbound", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn unbind(StateOf(state): StateOf<Arc<State>>, caller: Caller, path: SecretPath) -> ApiResult<Json<Value>> {
    let profile = state.keyway.unbind(&caller.identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "unbound_from": profile })))
}

/// `POST /v1/change-source/{manager}/{name}?to=MANAGER`: make another manager the source.
#[utoipa::path(post, path = "/v1/change-source/{manager}/{name}", operation_id = "changeSource", tag = "profiles", security(("bearer" = [])), params(("manager" = String, Path, description = "The manager"), ("name" = String, Path, description = "The secret's name (may contain /)"), ("to" = String, Query, description = "The new source manager")), responses((status = 200, description = "The new source and its copies", body = Object), (status = 202, description = "Waits for approval", body = PendingApproval), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn change_source(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    path: SecretPath,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    query.only(&["to"])?;
    let to = query.get("to").ok_or_else(|| ApiError::invalid("say the new source: ?to=MANAGER"))?;
    state.keyway.change_source(&caller.identity, &path.manager, &path.name, to).await?;
    let copies = state.keyway.copies_of(&caller.identity, to, &path.name).await?;
    Ok(Json(json!({ "name": path.name, "source": to, "copies": copies })))
}
