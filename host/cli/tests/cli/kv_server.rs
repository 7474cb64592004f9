//! The key-value API that `keyway plugin new`'s example speaks (its README's table), served in memory on a
//! free loopback port for as long as the value lives.

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A running store; it stops when dropped.
pub struct KvServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

/// One secret: its value, version and description.
#[derive(Clone)]
struct Record {
    value: String,
    version: u64,
    description: Option<String>,
}

#[derive(Clone)]
struct Store {
    token: String,
    secrets: Arc<Mutex<BTreeMap<String, Record>>>,
}

/// The body of `PUT` and `PATCH`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    value: Option<String>,
    description: Option<String>,
}

impl KvServer {
    /// Starts a store that answers requests bearing `token`.
    pub fn start(token: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the key-value store");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port for the key-value store");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let store = Store { token: token.to_owned(), secrets: Arc::default() };
        let app = Router::new()
            .route("/v1/secrets", get(list))
            .route("/v1/secrets/{*name}", any(secret))
            .layer(from_fn_with_state(store.clone(), authorized))
            .with_state(store);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self { url, _runtime: runtime }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn entry(name: &str, record: &Record) -> Value {
    json!({ "name": name, "version": record.version, "description": record.description })
}

/// Lets through only requests bearing the store's token.
async fn authorized(State(store): State<Store>, headers: HeaderMap, request: Request, next: Next) -> Response {
    let bearer = format!("Bearer {}", store.token);
    if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some(bearer.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "a bearer token is required");
    }
    next.run(request).await
}

async fn list(State(store): State<Store>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let limit = query.get("limit").and_then(|limit| limit.parse::<usize>().ok()).unwrap_or(100).clamp(1, 1000);
    let prefix = query.get("prefix").cloned().unwrap_or_default();
    let after = query.get("cursor").cloned().unwrap_or_default();
    let secrets = store.secrets.lock().expect("the store's lock").clone();
    let matching: Vec<(&String, &Record)> =
        secrets.iter().filter(|(name, _)| name.starts_with(&prefix) && **name > after).collect();
    let page: Vec<Value> = matching.iter().take(limit).map(|(name, record)| entry(name, record)).collect();
    let next = (matching.len() > limit).then(|| matching[limit - 1].0.clone());
    Json(json!({ "secrets": page, "next": next })).into_response()
}

/// `GET`, `PUT`, `PATCH` and `DELETE` of one secret.
async fn secret(
    method: Method,
    State(store): State<Store>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let valid = (1..=256).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'));
    if !valid {
        return error(StatusCode::BAD_REQUEST, "names are 1 to 256 of A-Z a-z 0-9 . _ / -");
    }
    let mut secrets = store.secrets.lock().expect("the store's lock");
    let found = secrets.get(&name).cloned();
    let change = || serde_json::from_slice::<Change>(&body);
    match (method, found) {
        (Method::GET, Some(record)) => Json(json!({
            "name": name, "value": record.value, "version": record.version, "description": record.description
        }))
        .into_response(),
        (Method::DELETE, Some(_)) => {
            secrets.remove(&name);
            StatusCode::NO_CONTENT.into_response()
        }
        (Method::PUT, found) => {
            let Ok(Change { value: Some(value), description }) = change() else {
                return error(StatusCode::BAD_REQUEST, "a value is required");
            };
            if found.is_some() && headers.get("if-none-match").is_some_and(|value| value == "*") {
                return error(StatusCode::PRECONDITION_FAILED, "the secret exists");
            }
            let version = found.as_ref().map_or(1, |old| old.version + 1);
            let description = description.or(found.and_then(|old| old.description));
            let record = Record { value, version, description };
            let answer = entry(&name, &record);
            secrets.insert(name, record);
            Json(answer).into_response()
        }
        (Method::PATCH, Some(mut record)) => {
            let Ok(change) = change() else { return error(StatusCode::BAD_REQUEST, "not a change") };
            if let Some(value) = change.value {
                (record.value, record.version) = (value, record.version + 1);
            }
            record.description = change.description.or(record.description);
            let answer = entry(&name, &record);
            secrets.insert(name, record);
            Json(answer).into_response()
        }
        (Method::GET | Method::PATCH | Method::DELETE, None) => error(StatusCode::NOT_FOUND, "no such secret"),
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "GET, PUT, PATCH or DELETE"),
    }
}
