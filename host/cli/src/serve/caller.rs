//! Who is calling: every request (but `/v1/health`) is authenticated to a configured client, by its bearer
//! token or, on a Unix socket, by the peer's uid; the identity the request asserts in the `X-Keyway-*`
//! headers must lie within that client's scope. Refusals are answered 401 or 403 and audited.

use super::error::ApiError;
use super::listen::Peer;
use super::State;
use axum::extract::{FromRequestParts, Request, State as StateOf};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyway::{Client, Identity};
use std::sync::Arc;

/// The caller's namespace (`company.team`).
pub const NAMESPACE: HeaderName = HeaderName::from_static("x-keyway-namespace");
/// The caller's groups, comma-separated.
pub const GROUPS: HeaderName = HeaderName::from_static("x-keyway-groups");
/// The flow, recorded in audit records.
pub const FLOW: HeaderName = HeaderName::from_static("x-keyway-flow");
/// The step, recorded in audit records.
pub const STEP: HeaderName = HeaderName::from_static("x-keyway-step");

/// An authenticated request: its client, and the identity it acts as (within the client's scope, with the
/// client and the peer filled in for audit records).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The identity every check and audit record uses.
    pub identity: Identity,
    /// The client the credential belongs to.
    pub client: Arc<Client>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Taken, not cloned: a handler asks for its caller once.
        parts.extensions.remove::<Caller>().ok_or_else(|| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the request was not authenticated")
        })
    }
}

/// Reads the identity headers (every one is optional).
pub fn identity_from(headers: &HeaderMap) -> Result<Identity, ApiError> {
    let text = |name: HeaderName| -> Result<Option<String>, ApiError> {
        match headers.get(&name) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map(|text| Some(text.trim().to_owned()).filter(|text| !text.is_empty()))
                .map_err(|_| ApiError::invalid(format!("header {name} is not visible ASCII text"))),
        }
    };
    let groups = text(GROUPS)?
        .map(|list| list.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let (namespace, flow, step) = (text(NAMESPACE)?, text(FLOW)?, text(STEP)?);
    Ok(Identity { namespace, groups, flow, step, ..Identity::default() })
}

/// The bearer token of `Authorization`: `None` when there is no such header, `Some(Err)` when it is not a
/// bearer token.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(()),
    )
}

/// The middleware: authenticates, binds the asserted identity, audits refusals.
pub async fn authenticate(StateOf(state): StateOf<Arc<State>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<Peer>();
    match caller_of(&state, request.method(), request.uri(), request.headers(), peer).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refusal) => refusal,
    }
}

/// The caller of a request: its client (by bearer token, or the uid of a Unix peer) and the identity it
/// asserts, bound to the client's scope; or the answer refusing it (401, 403, 400), audited.
pub async fn caller_of(
    state: &State,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<&Peer>,
) -> Result<Caller, Response> {
    let unknown = Peer { address: "unknown".into(), uid: None };
    let peer = peer.unwrap_or(&unknown);
    let peer_address = || peer.address.to_string();
    // What the request is about, named in the audit record of a refusal (only worked out then).
    let refused = || target(method, uri.path());
    let asserted = identity_from(headers).map_err(IntoResponse::into_response)?;
    let presented = bearer(headers);
    let client = match presented {
        Some(Ok(token)) => state.clients.by_token(token).cloned(),
        Some(Err(())) => None,
        // The kernel vouches for a Unix peer's uid.
        None => peer.uid.and_then(|uid| state.clients.by_uid(uid).cloned()),
    };
    let Some(client) = client else {
        let identity = Identity { peer: Some(peer_address()), ..asserted };
        let (operation, manager, name) = refused();
        state.keyway.record_refusal(&identity, operation, "unauthenticated", &manager, &name).await;
        let message = match presented {
            Some(Ok(_)) => "the bearer token is not a client's token".to_owned(),
            Some(Err(())) => "the Authorization header is not `Bearer TOKEN`".to_owned(),
            None => format!("this service requires `Authorization: Bearer TOKEN`{}", state.token_hint),
        };
        return Err(ApiError::unauthorized(message).into_response());
    };
    // The scope is checked before the asserted identity moves into the bound one: a refusal's record names it.
    let bound = match client.scope().admit(client.name(), &asserted) {
        Ok(()) => client.bind(asserted, peer_address()).map_err(|out_of_scope| (out_of_scope, Identity::default())),
        Err(out_of_scope) => Err((out_of_scope, asserted)),
    };
    match bound {
        Ok(identity) => Ok(Caller { identity, client }),
        Err((out_of_scope, asserted)) => {
            let identity = Identity { client: Some(client.name().to_owned()), peer: Some(peer_address()), ..asserted };
            let (operation, manager, name) = refused();
            state.keyway.record_refusal(&identity, operation, "out-of-scope", &manager, &name).await;
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "out-of-scope",
                format!("{out_of_scope} (its scope: {})", client.scope()),
            )
            .into_response())
        }
    }
}

/// The operation, manager and secret a request is about, for the audit record of a refusal.
fn target(method: &Method, path: &str) -> (&'static str, String, String) {
    let mut parts = path.trim_start_matches('/').splitn(4, '/');
    let (_, route, manager, name) = (parts.next(), parts.next(), parts.next(), parts.next());
    let operation = match (route.unwrap_or(""), method) {
        ("secrets", &Method::GET) => "get",
        ("secrets", &Method::PUT) => "create",
        ("secrets", &Method::PATCH) => "update",
        ("secrets", &Method::DELETE) => "delete",
        ("restore", _) => "restore",
        ("versions", _) => "versions",
        ("list", _) => "list",
        ("resolve", _) => "resolve",
        ("cache", &Method::GET) => "cache-view",
        ("cache", _) => "cache-clear",
        ("managers", _) => "managers",
        _ => "request",
    };
    let text = |part: Option<&str>| part.unwrap_or("").chars().filter(|c| !c.is_control()).take(256).collect();
    (operation, text(manager), text(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn identity_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(NAMESPACE, HeaderValue::from_static("company.team"));
        headers.insert(GROUPS, HeaderValue::from_static(" etl, ops ,,"));
        headers.insert(STEP, HeaderValue::from_static("load"));
        let identity = identity_from(&headers).expect("valid headers");
        assert_eq!(identity.namespace.as_deref(), Some("company.team"));
        assert_eq!(identity.groups, ["etl", "ops"]);
        assert_eq!(identity.flow, None);
        assert_eq!(identity.step.as_deref(), Some("load"));
        assert_eq!(identity.client, None, "a request cannot name its client");
    }

    #[test]
    fn bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert!(bearer(&headers).is_none());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer(&headers), Some(Ok("abc")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), Some(Err(())));
    }

    #[test]
    fn targets_of_refused_requests() {
        assert_eq!(
            target(&Method::GET, "/v1/secrets/local/db/password"),
            ("get", "local".into(), "db/password".into())
        );
        assert_eq!(target(&Method::POST, "/v1/resolve"), ("resolve", String::new(), String::new()));
        assert_eq!(target(&Method::DELETE, "/v1/cache/aws"), ("cache-clear", "aws".into(), String::new()));
    }
}
