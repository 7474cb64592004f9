//! `POST /v1/resolve`: a flow step's configuration in, resolved for the caller, masked unless asked to reveal
//! (and the caller's client may have values revealed).

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{wiped_json, JsonBody, QueryPairs};
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use axum::extract::State as StateOf;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::sync::Arc;

/// The header telling how many distinct secrets went into the answer.
pub const SECRETS_HEADER: &str = "x-keyway-secrets";

/// Resolves the step. The body is the step itself, or `{"step": STEP, "reveal": BOOL}`; `?reveal=true` works
/// for both. The answer is the resolved step, with every value this call resolved masked unless revealed.
#[utoipa::path(post, path = "/v1/resolve", operation_id = "resolveStep", tag = "resolve", security(("bearer" = [])), params(("reveal" = Option<bool>, Query, description = "Answer with values (when the client may reveal)")), request_body(content = Object, description = "The step, or {\"step\": STEP, \"reveal\": true}"), responses((status = 200, description = "The step resolved; masked unless revealed", body = Object), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn resolve(
    StateOf(state): StateOf<Arc<State>>,
    caller: Caller,
    query: QueryPairs,
    mut body: JsonBody,
) -> ApiResult<Response> {
    query.only(&["reveal"])?;
    let (step, wrapped_reveal) = unwrap(&mut body.0)?;
    let reveal = query.flag("reveal")? || wrapped_reveal;
    if reveal && !caller.client.may_reveal() {
        state.keyway.record_refusal(&caller.identity, "resolve", "reveal-denied", "", "").await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "denied",
            format!(
                "client '{}' may not have values revealed (serve.clients.{}.reveal is false); ask without reveal",
                caller.client.name(),
                caller.client.name()
            ),
        ));
    }
    let (tree, secrets) = if reveal {
        let resolved = state.keyway.resolve(&caller.identity, &step).await?;
        let secrets = resolved.secrets();
        (resolved.into_value(), secrets)
    } else {
        let masked = state.keyway.resolve_masked(&caller.identity, &step).await?;
        (masked.value, masked.secrets)
    };
    let mut response = wiped_json(tree);
    response.headers_mut().insert(SECRETS_HEADER, HeaderValue::from(secrets));
    Ok(response)
}

/// The step and the `reveal` flag of a wrapped body (an object with `step` and at most `reveal` besides);
/// any other body is the step itself.
fn unwrap(body: &mut Value) -> ApiResult<(Value, bool)> {
    let wrapped = body
        .as_object()
        .is_some_and(|object| object.contains_key("step") && object.keys().all(|key| key == "step" || key == "reveal"));
    if !wrapped {
        return Ok((std::mem::take(body), false));
    }
    let reveal = match body.get("reveal") {
        None => false,
        Some(Value::Bool(reveal)) => *reveal,
        Some(_) => return Err(ApiError::invalid("`reveal` must be true or false")),
    };
    Ok((body["step"].take(), reveal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrapped_and_bare_steps() {
        let (step, reveal) = unwrap(&mut json!({"step": {"a": "${secret:m/x}"}, "reveal": true})).expect("wrapped");
        assert_eq!((step, reveal), (json!({"a": "${secret:m/x}"}), true));
        let (step, reveal) = unwrap(&mut json!({"step": "s", "url": "u"})).expect("bare");
        assert_eq!((step, reveal), (json!({"step": "s", "url": "u"}), false));
        assert!(unwrap(&mut json!({"step": {}, "reveal": "yes"})).is_err());
    }
}
