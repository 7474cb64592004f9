//! Profiles over HTTP: approvals (`/v1/approvals…`), synchronisation (`/v1/sync…`), bindings (`/v1/bind/…`)
//! and changes of source (`/v1/change-source/…`). Every call goes through the facade's checks and audit; a
//! proposed value is shown only to an approver whose client may reveal values, when the policy allows it.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{wiped_json, QueryPairs, SecretPath};
use super::State;
use axum::extract::{Path, State as StateOf};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /v1/approvals?state=`: requests (pending unless `state` says otherwise, `all` for every state).
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
pub async fn status(StateOf(state): StateOf<Arc<State>>, caller: Caller, query: QueryPairs) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let rows = state.keyway.sync_status(&caller.identity, query.get("profile")).await?;
    Ok(Json(json!({ "copies": serde_json::to_value(&rows).unwrap_or_default() })))
}

/// `POST /v1/sync/run?profile=`: compare every copy with its source and repair what differs.
pub async fn run(StateOf(state): StateOf<Arc<State>>, caller: Caller, query: QueryPairs) -> ApiResult<Json<Value>> {
    query.only(&["profile"])?;
    let rows = state.keyway.sync_run(&caller.identity, query.get("profile")).await?;
    Ok(Json(json!({ "copies": serde_json::to_value(&rows).unwrap_or_default() })))
}

/// `POST /v1/bind/{manager}/{name}?profile=`: bind the secret to a profile.
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
pub async fn unbind(StateOf(state): StateOf<Arc<State>>, caller: Caller, path: SecretPath) -> ApiResult<Json<Value>> {
    let profile = state.keyway.unbind(&caller.identity, &path.manager, &path.name).await?;
    Ok(Json(json!({ "manager": path.manager, "name": path.name, "unbound_from": profile })))
}

/// `POST /v1/change-source/{manager}/{name}?to=MANAGER`: make another manager the source.
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
