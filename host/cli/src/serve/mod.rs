//! `keyway serve`: the JSON API on HTTP for engines written in other languages. One process holds the shared
//! cache, so every step of every flow that calls it shares it; `keyway cache ...` talks to it.
//!
//! Every request but `/v1/health` is authenticated to a client (`serve.clients`; with none, the built-in
//! client `local`, whose token keyway writes to `<home>/serve.token`), by bearer token or, on a Unix socket,
//! by the peer's uid; the identity it asserts (`X-Keyway-*`) must be within that client's scope. Loopback
//! only unless `--allow-remote`, and then only over TLS unless `--insecure-plain-http`. Endpoints, the
//! security model and examples: `host/cli/README.md`.
//!
//! # Layout
//! - `admin`: the admin page (`serve.admin: true`), its script and style, served with a strict CSP.
//! - `listen`: `--listen` (TCP or `unix:PATH`), Unix sockets, the peer of a connection, allowed `Host`s.
//! - `tls`: the rustls acceptor from the certificate and key files.
//! - `connections`: the connection cap, header/idle and request deadlines, one task per connection.
//! - `front`: where requests enter: plain secret reads answered directly, the rest through the router.
//! - `guard`: the door: `Host`, `Origin`, forwarding headers, content type; `no-store` on every answer.
//! - `caller`: authentication to a client and the identity bound to its scope ([`Caller`](caller::Caller)).
//! - `extract`: paths, query parameters and JSON bodies, with JSON errors; responses wiped after encoding.
//! - `body`: the create and update bodies.
//! - `secrets`: get, create, update, delete, restore, versions, list; `answer`: a read's JSON answer.
//! - `records`: keyway's records: version history and error history.
//! - `resolve`: placeholder resolution of a step.
//! - `operator`: health, managers, the cache view and revocation.
//! - `metrics`: `/metrics` (keyway's and the service's, OpenMetrics text) and `/v1/ready`.
//! - `activity`: what the log says about requests (each at `debug`, failures at `warn`, a summary at `info`).
//! - `openapi`: the OpenAPI 3.1 document of these endpoints (`/v1/openapi.json`), from the handlers' annotations.
//! - `profiles`: approvals, synchronisation, bindings and changes of source.
//! - `error`: [`ApiError`](error::ApiError), the JSON error with its HTTP status.

mod activity;
mod admin;
mod answer;
mod body;
mod caller;
mod connections;
mod error;
mod extract;
mod front;
mod guard;
mod listen;
mod metrics;
mod openapi;
mod operator;
mod profiles;
mod records;
pub use records::{errors_json, history_json};
mod resolve;
mod secrets;
mod tls;

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use axum::extract::{DefaultBodyLimit, Request, State as StateOf};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use connections::{Bounds, Connections};
use error::ApiError;
use guard::Door;
use keyway::config::TlsConfig;
use keyway::error::exit;
use keyway::{ClientRegistry, Keyway, KeywayError};
use listen::{Endpoint, Peer};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often audit records are flushed to their file.
const AUDIT_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What every handler shares.
pub struct State {
    /// keyway, configured: managers, the resolver and its cache.
    pub keyway: Keyway,
    /// Who may call.
    pub clients: ClientRegistry,
    /// What the door admits.
    pub door: Door,
    /// Where the built-in client's token is, said in 401 answers (empty when clients are configured).
    pub token_hint: String,
    /// When the service started.
    pub started: Instant,
    /// The service's request counters.
    pub http: metrics::HttpMetrics,
    /// Requests answered since the log's last summary.
    pub activity: activity::Activity,
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn run(keyway: Keyway, args: &ServeArgs) -> Result<i32> {
    let endpoint = Endpoint::parse(&args.listen).await?;
    let serve = keyway.serve_config().clone();
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert_file), Some(key_file)) => {
            Some(TlsConfig { cert_file: cert_file.clone(), key_file: key_file.clone() })
        }
        (None, None) => serve.tls.clone(),
        _ => return Err(KeywayError::InvalidInput("give both --tls-cert and --tls-key".into()).into()),
    };
    if let Some(remote) = endpoint.remote_address() {
        if !args.allow_remote {
            return Err(KeywayError::InvalidInput(format!(
                "refusing to listen on {remote}: it is not a loopback address; to serve other machines add \
                 --allow-remote, with TLS (serve.tls, or --tls-cert and --tls-key)"
            ))
            .into());
        }
        if tls.is_none() && !args.insecure_plain_http {
            return Err(KeywayError::InvalidInput(format!(
                "refusing to serve {remote} over plain HTTP: tokens and secrets would cross the network in clear; \
                 configure serve.tls (or --tls-cert and --tls-key), or say --insecure-plain-http if a secure \
                 network carries it"
            ))
            .into());
        }
    }
    if matches!(endpoint, Endpoint::Unix(_)) && tls.is_some() {
        return Err(KeywayError::InvalidInput(
            "TLS is for TCP listeners; a Unix socket is served without it (drop --tls-cert/serve.tls or listen on \
             HOST:PORT)"
                .into(),
        )
        .into());
    }
    let clients = keyway.clients(args.token_env.as_deref())?;
    let acceptor = tls.as_ref().map(tls::acceptor).transpose()?;
    let token_hint = clients
        .token_file()
        .map(|path| format!(" (the token is in {}, readable by this user only)", path.display()))
        .unwrap_or_default();
    let bounds = Bounds {
        max_connections: serve.limits.max_connections.max(1),
        header_timeout: Duration::from_millis(serve.limits.header_timeout_ms.max(1)),
        request_timeout: Duration::from_millis(serve.limits.request_timeout_ms.max(1)),
    };
    let (listener, shown, door) = match &endpoint {
        Endpoint::Tcp(addresses) => {
            let listener = tokio::net::TcpListener::bind(addresses.as_slice())
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            let local = listener.local_addr().context("cannot read the listening address")?;
            let scheme = if acceptor.is_some() { "https" } else { "http" };
            let door = Door {
                hosts: Some(listen::allowed_hosts(&[local], &serve.hosts)),
                origins: serve.origins.clone(),
                scheme: Some(scheme),
            };
            (Listener::Tcp(listener), format!("{scheme}://{local}"), door)
        }
        Endpoint::Unix(path) => {
            let listener = listen::bind_unix(path)?;
            let door = Door { hosts: None, origins: serve.origins.clone(), scheme: None };
            (Listener::Unix(listener, path.clone()), format!("unix:{}", path.display()), door)
        }
    };
    let state = Arc::new(State {
        keyway,
        clients,
        door,
        token_hint,
        started: Instant::now(),
        http: Default::default(),
        activity: Default::default(),
    });
    let flusher = tokio::spawn(flush_audit(Arc::clone(&state)));
    let summaries = tokio::spawn(activity::summarize(Arc::clone(&state)));
    let renewer = state.keyway.renewal_tick().map(|tick| tokio::spawn(renew_due(Arc::clone(&state), tick)));
    let profiles_work = tokio::spawn(profiles_due(Arc::clone(&state)));
    // The fleet's cache invalidations (a PostgreSQL catalog), heard until the service stops.
    let _fleet = state.keyway.start_fleet();
    let scheduling = (renewer.is_some() || !state.keyway.profile_names().is_empty())
        .then(|| tokio::spawn(hold_scheduler(Arc::clone(&state))));
    println!("keyway serve: listening on {shown}");
    if let Some(path) = state.clients.token_file() {
        println!("keyway serve: clients authenticate with the token in {}", path.display());
    }
    std::io::stdout().flush().context("cannot write to standard output")?;
    tracing::info!(target: "keyway::serve", address = %shown, max_connections = bounds.max_connections, "listening");
    let connections = Connections::new(bounds);
    let (stop, stopping) = watch::channel(false);
    let app = front::Front::new(router(Arc::clone(&state)), Arc::clone(&state));
    tokio::select! {
        () = accept_loop(&listener, &connections, &app, acceptor, &stopping) => {}
        () = shutdown_signal() => {}
    }
    stop.send_replace(true);
    let deadline = Instant::now() + Duration::from_secs(12);
    while connections.open() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Listener::Unix(_, path) = &listener {
        let _ = std::fs::remove_file(path);
    }
    flusher.abort();
    summaries.abort();
    if let Some(renewer) = renewer {
        renewer.abort();
    }
    profiles_work.abort();
    if let Some(scheduling) = scheduling {
        scheduling.abort();
        state.keyway.release_scheduler().await;
    }
    state.keyway.settle().await;
    state.keyway.flush();
    tracing::info!(target: "keyway::serve", "stopped");
    Ok(exit::OK)
}

enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener, PathBuf),
}

/// Accepts connections until shutdown; each one is served in a task of its own.
async fn accept_loop(
    listener: &Listener,
    connections: &Arc<Connections>,
    app: &front::Front,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    stopping: &watch::Receiver<bool>,
) {
    let mut last_warning: Option<Instant> = None;
    let mut warn = |message: &str| {
        if last_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            tracing::warn!(target: "keyway::serve", "{message}");
            last_warning = Some(Instant::now());
        }
    };
    let header_timeout = connections.bounds().header_timeout;
    loop {
        let admitted = match listener {
            Listener::Tcp(listener) => match listener.accept().await {
                Ok((stream, address)) => {
                    let _ = stream.set_nodelay(true);
                    let peer = Peer { address: address.to_string().into(), uid: None };
                    let (app, stopping, acceptor) = (app.clone(), stopping.clone(), acceptor.clone());
                    connections.admit(move |slot| async move {
                        match acceptor {
                            None => connections::serve(stream, peer, app, slot, stopping).await,
                            Some(acceptor) => {
                                if let Ok(Ok(stream)) =
                                    tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                                {
                                    connections::serve(stream, peer, app, slot, stopping).await;
                                }
                            }
                        }
                    })
                }
                Err(err) => {
                    warn(&format!("cannot accept a connection: {err}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Listener::Unix(listener, _) => match listener.accept().await {
                Ok((stream, _)) => {
                    let uid = stream.peer_cred().ok().map(|credentials| credentials.uid());
                    let address = uid.map_or_else(|| "unix".to_owned(), |uid| format!("uid={uid}"));
                    let peer = Peer { address: address.into(), uid };
                    let (app, stopping) = (app.clone(), stopping.clone());
                    connections.admit(move |slot| connections::serve(stream, peer, app, slot, stopping))
                }
                Err(err) => {
                    warn(&format!("cannot accept a connection: {err}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if !admitted {
            warn("a connection was refused: every connection is busy (serve.limits.max_connections)");
        }
    }
}

/// The routes.
fn router(state: Arc<State>) -> Router {
    let limits = state.keyway.serve_config().limits;
    let resolve_body = limits.max_body_kib.saturating_mul(1024);
    // A value may grow in JSON (escapes, base64): room for twice the largest value a manager takes.
    let largest_value = state
        .keyway
        .manager_names()
        .iter()
        .filter_map(|name| state.keyway.max_value_bytes(name).ok())
        .max()
        .unwrap_or(0);
    let write_body = largest_value.saturating_mul(2).saturating_add(64 * 1024);
    let authenticated = Router::new()
        .route("/v1/managers", get(operator::managers))
        .route("/v1/resolve", post(resolve::resolve).layer(DefaultBodyLimit::max(resolve_body)))
        .route(
            secrets::SECRET_ROUTE,
            get(secrets::get)
                .put(secrets::create)
                .patch(secrets::update)
                .delete(secrets::delete)
                .layer(DefaultBodyLimit::max(write_body)),
        )
        .route("/v1/restore/{manager}/{*name}", post(secrets::restore))
        .route("/v1/versions/{manager}/{*name}", get(secrets::versions))
        .route("/v1/history/{manager}/{*name}", get(records::history))
        .route("/v1/errors", get(records::errors))
        .route("/v1/compliance", get(records::compliance))
        .route("/v1/list/{manager}", get(secrets::list))
        .route("/v1/approvals", get(profiles::list))
        .route("/v1/approvals/{id}", get(profiles::show))
        .route("/v1/approvals/{id}/approve", post(profiles::approve))
        .route("/v1/approvals/{id}/reject", post(profiles::reject))
        .route("/v1/sync", get(profiles::status))
        .route("/v1/sync/run", post(profiles::run))
        .route("/v1/bind/{manager}/{*name}", post(profiles::bind).delete(profiles::unbind))
        .route("/v1/change-source/{manager}/{*name}", post(profiles::change_source))
        .route("/v1/cache", get(operator::list).delete(operator::clear_all))
        .route("/v1/cache/{manager}", delete(operator::clear_manager))
        .route("/v1/cache/{manager}/{*name}", delete(operator::clear_secret))
        .route("/metrics", get(metrics::metrics))
        .route_layer(from_fn_with_state(Arc::clone(&state), caller::authenticate));
    let pages = if state.keyway.serve_config().admin {
        Router::new()
            .route("/admin", get(admin::page))
            .route("/admin/app.js", get(admin::script))
            .route("/admin/app.css", get(admin::style))
    } else {
        Router::new()
    };
    Router::new()
        .route("/v1/health", get(operator::health))
        .merge(pages)
        .route("/v1/ready", get(metrics::ready))
        .route("/v1/openapi.json", get(openapi::openapi))
        .merge(authenticated)
        .route_layer(from_fn(metrics::note_route))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(from_fn_with_state(Arc::clone(&state), guard::check))
        .layer(from_fn_with_state(Arc::clone(&state), log_request))
        .with_state(state)
}

async fn no_route(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no-route",
        format!(
            "no endpoint {} {}; GET /v1/openapi.json lists the endpoints",
            request.method(),
            printable_path(request.uri().path())
        ),
    )
}

async fn wrong_method(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("{} does not accept {}", printable_path(request.uri().path()), request.method()),
    )
}

fn printable_path(path: &str) -> String {
    path.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Every request counted in the metrics under its route's template (`other` for what no route took), and in
/// the log's activity (see `activity`).
async fn log_request(StateOf(state): StateOf<Arc<State>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let peer = request.extensions().get::<Peer>().cloned();
    let response = next.run(request).await.into_response();
    let route = response.extensions().get::<metrics::RouteName>().cloned().unwrap_or_default();
    let (status, elapsed) = (response.status(), started.elapsed());
    activity::observe(
        &state,
        &route,
        &activity::Answered { method: &method, uri: &uri, status, elapsed, peer: peer.as_ref() },
    );
    response
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

/// Takes or renews the fleet's scheduler lease in keyway's records, so the scheduled work below runs on one
/// node of the fleet (every node on its own when there are no records).
async fn hold_scheduler(state: Arc<State>) {
    let mut ticks = tokio::time::interval(keyway::LEASE_RENEW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        state.keyway.scheduler_turn().await;
    }
}

/// The renewal scheduler: every `tick`, on the node holding the scheduler lease, renews what the managers'
/// renewal rules say is due.
async fn renew_due(state: Arc<State>, tick: Duration) {
    tracing::info!(target: "keyway::renewal", tick_ms = tick.as_millis() as u64, "renewal scheduler started");
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if state.keyway.is_scheduler() {
            state.keyway.renew_due().await;
        }
    }
}

/// The profiles' scheduler, on the node holding the scheduler lease: failed and drifted copies, periodic
/// checks of copies, lapsed and approved requests, periodic compliance reports.
async fn profiles_due(state: Arc<State>) {
    let tick = state.keyway.sync_tick().unwrap_or(Duration::from_secs(5));
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if state.keyway.profile_names().is_empty() || !state.keyway.is_scheduler() {
            continue;
        }
        state.keyway.sync_due().await;
        state.keyway.approvals_due().await;
        state.keyway.compliance_due().await;
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
