//! What an operator scrapes and reads: `/metrics` (authenticated, OpenMetrics text, labelled by manager and
//! route template, never by a secret's name or value), `/v1/ready` apart from `/v1/health`, and JSON logs
//! whose lines carry the resolution's span.

use crate::service::{Api, Server};
use crate::support::Sandbox;
use reqwest::Method;
use serde_json::{json, Value};

const VALUE: &str = "metric-value-5c2e9a71";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_cache_and_backend_calls_without_names_or_values() {
    let sandbox = Sandbox::local("operability-metrics");
    let server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    let anonymous = Api::anonymous(&server);
    let path = "/v1/secrets/local/team/db-password";
    api.call(Method::PUT, path, &[], Some(json!({ "value": VALUE }))).await.ok();
    for _ in 0..3 {
        api.call(Method::GET, path, &[], None).await.ok();
    }
    api.call(Method::GET, "/v1/secrets/local/team/missing", &[], None).await.error(404, "not-found");
    anonymous.call(Method::GET, "/metrics", &[], None).await.error(401, "unauthorized");

    let response = reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(server.token.as_deref().expect("a token"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("text").to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text().await.expect("body");
    let value_of = |series: &str| -> f64 {
        text.lines()
            .find(|line| line.starts_with(series))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    };
    assert!(value_of("keyway_cache_hits_total{manager=\"local\"}") >= 2.0, "{text}");
    assert!(value_of("keyway_cache_misses_total{manager=\"local\"}") >= 1.0);
    assert!(value_of("keyway_backend_calls_total{manager=\"local\",operation=\"get\"}") >= 1.0);
    assert!(value_of("keyway_backend_errors_total{manager=\"local\",operation=\"get\",kind=\"not-found\"}") >= 1.0);
    let route = "keyway_http_requests_total{route=\"/v1/secrets/{manager}/{*name}\",method=\"GET\",status=\"200\"}";
    assert_eq!(value_of(route), 3.0);
    assert!(text.contains("keyway_http_request_duration_seconds_bucket"), "latency histograms");
    assert!(text.contains("keyway_plugin_instances_idle{manager=\"local\"}"));
    assert!(text.contains("keyway_audit_queue") && text.contains("keyway_audit_write_failures_total"));
    assert!(text.trim_end().ends_with("# EOF"), "one OpenMetrics document");
    assert!(!text.contains(VALUE) && !text.contains("db-password") && !text.contains("team/"), "no names or values");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_apart_from_liveness() {
    let sandbox = Sandbox::local("operability-ready");
    let server = Server::start(&sandbox, &[]);
    let anonymous = Api::anonymous(&server);
    let ready = anonymous.call(Method::GET, "/v1/ready", &[], None).await;
    assert_eq!((ready.status, &ready.body["status"]), (200, &json!("ready")), "{}", ready.text);
    assert_eq!(ready.body["checks"]["records"], "ok");
    assert_eq!(ready.body["checks"]["fleet"], "alone", "one node on SQLite: no fleet");
    drop(server);

    // keyway's records on a PostgreSQL that is not there: alive, not ready, and no detail to strangers.
    let mut down = Sandbox::new("operability-not-ready");
    let port = keyway_integration_tests::harness::free_port();
    down.configure_text(&format!(
        "catalog: {{ url: \"postgres://keyway:pw-not-shown@127.0.0.1:{port}/keyway\" }}\nmanagers:\n  local:\n    plugin: local\n"
    ));
    let server = Server::start(&down, &[]);
    let anonymous = Api::anonymous(&server);
    assert_eq!(anonymous.call(Method::GET, "/v1/health", &[], None).await.status, 200, "alive");
    let ready = anonymous.call(Method::GET, "/v1/ready", &[], None).await;
    assert_eq!((ready.status, &ready.body["checks"]["records"]), (503, &json!("unreachable")), "{}", ready.text);
    assert!(!ready.text.contains("pw-not-shown") && !ready.text.contains(&port.to_string()), "{}", ready.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_resolution_span() {
    let sandbox = Sandbox::local("operability-json-logs");
    let server = Server::start(&sandbox, &["--log-format", "json"]);
    let api = Api::new(&server);
    api.call(Method::PUT, "/v1/secrets/local/db/password", &[], Some(json!({ "value": VALUE }))).await.ok();
    let step = json!({ "url": "postgres://app:${secret:local/db/password}@db/app" });
    let identity = [("X-Keyway-Namespace", "company.team"), ("X-Keyway-Flow", "nightly")];
    api.resolve("", &identity, step, false).await.ok();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}")))
        .collect();
    assert!(lines.iter().any(|line| line["target"] == "keyway::serve"), "request lines: {log}");
    let in_resolution = lines.iter().find(|line| {
        line["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|span| span["name"] == "resolution" && span["flow"] == "nightly"))
    });
    assert!(in_resolution.is_some(), "an event inside the resolution span: {log}");
    assert!(!log.contains(VALUE), "no value in the log");
}
