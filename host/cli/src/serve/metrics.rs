//! `/metrics` (OpenMetrics text, authenticated like every caller) with the service's own request counters and
//! latency histograms beside keyway's, and `/v1/ready`: configuration loaded and keyway's records reachable,
//! apart from `/v1/health` (liveness).
//!
//! Requests are labelled by the route's template (`/v1/secrets/{manager}/{*name}`), never by a secret's name.

use super::caller::Caller;
use super::error::ApiResult;
#[allow(unused_imports)]
use super::openapi::shapes::{
    CreateBody, ErrorBody, Health, MetadataAnswer, PendingApproval, Readiness, SecretAnswer, UpdateBody,
};
use super::State;
use axum::extract::{MatchedPath, Request, State as StateOf};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyway::FleetLink;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A request's labels (nothing to allocate: the route template is shared, the method a constant).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: RouteName,
    method: &'static str,
    status: u16,
}

/// A route.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: RouteName,
}

fn latency() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// The service's request metrics.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    seconds: Family<RouteLabel, Histogram, fn() -> Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self { requests: Family::default(), seconds: Family::new_with_constructor(latency) }
    }
}

/// The route template a request matched (`other` for none), handed from the routed layer to the outer one.
#[derive(Debug, Clone, Default)]
pub enum RouteName {
    /// What no route took.
    #[default]
    Other,
    /// A route the router matched.
    Matched(MatchedPath),
    /// A route served before the router (the same template as the router's).
    Known(&'static str),
}

impl RouteName {
    /// The template, or `other`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other => "other",
            Self::Matched(path) => path.as_str(),
            Self::Known(template) => template,
        }
    }
}

impl PartialEq for RouteName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteName {}

impl Hash for RouteName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteName {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

impl HttpMetrics {
    /// Counts one answered request. Methods outside HTTP's usual ones count as `other`, so no caller can grow
    /// the series (even one refused at the door).
    pub fn observe(&self, route: &RouteName, method: &Method, status: u16, seconds: f64) {
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            _ => "other",
        };
        self.requests.get_or_create(&RequestLabels { route: route.clone(), method, status }).inc();
        self.seconds.get_or_create(&RouteLabel { route: route.clone() }).observe(seconds);
    }

    fn register(&self, registry: &mut Registry) {
        let serve = registry.sub_registry_with_prefix("keyway_http");
        serve.register("requests", "Requests answered, by route template, method and status", self.requests.clone());
        serve.register_with_unit(
            "request_duration",
            "How long requests took to answer, by route template",
            Unit::Seconds,
            self.seconds.clone(),
        );
    }
}

/// Notes the route template a request matched (in the routed layer, where it is known) on its answer.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteName::Matched(route));
    }
    response
}

/// `GET /metrics`: keyway's and the service's metrics, OpenMetrics text.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operator", security(("bearer" = [])), responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"), (status = "4XX", description = "Refused or wrong: see the error kind", body = ErrorBody), (status = "5XX", description = "A backend or keyway's records failed", body = ErrorBody)))]
pub async fn metrics(StateOf(state): StateOf<Arc<State>>, caller: Caller) -> ApiResult<Response> {
    let text = state.keyway.encode_metrics(&caller.identity, |registry| state.http.register(registry)).await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}

/// `GET /v1/ready`: 200 when the configuration is loaded, keyway's records answer (or are disabled) and, on
/// a node of a fleet, the node hears the fleet's invalidations; 503 otherwise. Open to every caller the door admits, like `/v1/health`: it says which part is not ready, never
/// why (that goes to the log).
#[utoipa::path(get, path = "/v1/ready", operation_id = "ready", tag = "operator", responses((status = 200, description = "Ready", body = Readiness), (status = 503, description = "Not ready", body = Readiness)))]
pub async fn ready(StateOf(state): StateOf<Arc<State>>) -> Response {
    let records = match state.keyway.records_ready().await {
        None => "disabled",
        Some(Ok(())) => "ok",
        Some(Err(error)) => {
            tracing::warn!(target: "keyway::serve", error = %error, "not ready: keyway's records do not answer");
            "unreachable"
        }
    };
    // A node of a fleet is ready once it hears the other nodes: before, or when cut off, it could serve a
    // value another node has replaced or revoked (within its cache expiry) and it refuses writes.
    let fleet = state.keyway.fleet_link();
    let ready = records != "unreachable" && matches!(fleet, FleetLink::Alone | FleetLink::Hearing);
    let body: Value = json!({
        "status": if ready { "ready" } else { "not-ready" },
        "checks": { "configuration": "ok", "records": records, "fleet": fleet.as_str() },
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}
