//! `keyway serve`: the JSON API on local HTTP for engines written in other languages. One process holds the
//! shared cache, so every step of every flow that calls it shares it; `keyway cache ...` talks to it.
//!
//! Loopback only unless `--allow-remote` with a bearer token (`--token-env VAR`); with a token, every request
//! must carry `Authorization: Bearer TOKEN`. The caller's identity comes from the `X-Keyway-*` headers.
//! Endpoints and examples: `host/cli/README.md`.
//!
//! # Layout
//! - `caller`: the token check and the identity headers.
//! - `extract`: paths, query parameters and JSON bodies, with JSON errors; responses wiped after encoding.
//! - `body`: the create and update bodies.
//! - `secrets`: get, create, update, delete, restore, versions, list.
//! - `resolve`: placeholder resolution of a step.
//! - `operator`: health, managers, the cache view and revocation.
//! - `error`: [`ApiError`](error::ApiError), the JSON error with its HTTP status.

mod body;
mod caller;
mod error;
mod extract;
mod operator;
mod resolve;
mod secrets;

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use axum::extract::Request;
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use error::ApiError;
use keyway::error::exit;
use keyway::{Keyway, KeywayError};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The shortest bearer token accepted.
const MIN_TOKEN_LEN: usize = 16;

/// How often audit records are flushed to their file.
const AUDIT_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What every handler shares.
pub struct State {
    /// keyway, configured: managers, the resolver and its cache.
    pub keyway: Keyway,
    /// The bearer token requests must carry, when one is configured.
    pub token: Option<Zeroizing<String>>,
    /// When the service started.
    pub started: Instant,
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn run(keyway: Keyway, args: &ServeArgs) -> Result<i32> {
    let token = args.token_env.as_deref().map(read_token).transpose()?;
    let addresses = listen_addresses(&args.listen).await?;
    if let Some(remote) = addresses.iter().find(|addr| !addr.ip().is_loopback()) {
        if !args.allow_remote || token.is_none() {
            return Err(KeywayError::InvalidInput(format!(
                "refusing to listen on {remote}: it is not a loopback address; to serve other machines add \
                 --allow-remote and --token-env VAR (a bearer token every request must carry)"
            ))
            .into());
        }
    }
    let listener = tokio::net::TcpListener::bind(addresses.as_slice())
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr().context("cannot read the listening address")?;
    let state = Arc::new(State { keyway, token, started: Instant::now() });
    let flusher = tokio::spawn(flush_audit(Arc::clone(&state)));
    println!("keyway serve: listening on http://{local}");
    std::io::stdout().flush().context("cannot write to standard output")?;
    tracing::info!(target: "keyway::serve", address = %local, token = state.token.is_some(), "listening");
    axum::serve(listener, router(Arc::clone(&state)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP service failed")?;
    flusher.abort();
    state.keyway.flush();
    tracing::info!(target: "keyway::serve", "stopped");
    Ok(exit::OK)
}

/// The routes.
fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/health", get(operator::health))
        .route("/v1/managers", get(operator::managers))
        .route("/v1/resolve", post(resolve::resolve))
        .route(
            "/v1/secrets/{manager}/{*name}",
            get(secrets::get).put(secrets::create).patch(secrets::update).delete(secrets::delete),
        )
        .route("/v1/restore/{manager}/{*name}", post(secrets::restore))
        .route("/v1/versions/{manager}/{*name}", get(secrets::versions))
        .route("/v1/list/{manager}", get(secrets::list))
        .route("/v1/cache", get(operator::list).delete(operator::clear_all))
        .route("/v1/cache/{manager}", delete(operator::clear_manager))
        .route("/v1/cache/{manager}/{*name}", delete(operator::clear_secret))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(from_fn_with_state(Arc::clone(&state), caller::require_token))
        .layer(from_fn(log_request))
        .with_state(state)
}

async fn no_route(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no-route",
        format!(
            "no endpoint {} {}; the endpoints are listed in host/cli/README.md",
            request.method(),
            request.uri().path()
        ),
    )
}

async fn wrong_method(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("{} does not accept {}", request.uri().path(), request.method()),
    )
}

/// One log line per request: method, path, status and duration (never bodies or query strings).
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let namespace = caller::identity_from(request.headers()).ok().and_then(|identity| identity.namespace);
    let response = next.run(request).await.into_response();
    tracing::info!(
        target: "keyway::serve",
        %method,
        path = %path,
        status = response.status().as_u16(),
        ms = %format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        namespace = namespace.as_deref(),
        "request"
    );
    response
}

fn read_token(variable: &str) -> Result<Zeroizing<String>> {
    let token = Zeroizing::new(std::env::var(variable).unwrap_or_default());
    if token.trim().len() < MIN_TOKEN_LEN {
        return Err(KeywayError::InvalidInput(format!(
            "--token-env {variable}: the variable must hold a token of at least {MIN_TOKEN_LEN} characters \
             (for example: export {variable}=$(openssl rand -hex 32))"
        ))
        .into());
    }
    Ok(Zeroizing::new(token.trim().to_owned()))
}

async fn listen_addresses(listen: &str) -> Result<Vec<SocketAddr>> {
    let invalid = || KeywayError::InvalidInput(format!("--listen '{listen}' is not HOST:PORT, e.g. 127.0.0.1:8750"));
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host(listen).await.map_err(|_| invalid())?.collect();
    if addresses.is_empty() {
        return Err(invalid().into());
    }
    Ok(addresses)
}

async fn flush_audit(state: Arc<State>) {
    let mut ticks = tokio::time::interval(AUDIT_FLUSH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let state = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || state.keyway.flush()).await;
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!(target: "keyway::serve", "shutting down");
}
