//! The OpenAPI document `keyway serve` publishes at `/v1/openapi.json`: OpenAPI 3.1, valid for a real
//! validator (`openapi-spec-validator` from PyPI), naming every route the service answers, and every route it
//! names answered.

use crate::service::{Api, Server};
use crate::support::Sandbox;
use keyway_integration_tests::harness::{venv_bin, workspace_root};
use reqwest::Method;
use std::collections::BTreeSet;

/// Every (method, path) the router declares, read from its source: `.route("PATH", get(..).put(..))`, with
/// axum's `{*name}` written `{name}` as OpenAPI does.
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(workspace_root().join("host/cli/src/serve/mod.rs")).expect("the router");
    let mut routes = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = rest[at + 7..].trim_start();
        // A path named by a constant (the secret route, which the service's entrance shares) or quoted.
        let (path, end) = if let Some(after) = rest.strip_prefix("secrets::SECRET_ROUTE") {
            rest = after;
            (secret_route(), 0)
        } else {
            let Some(quoted) = rest.strip_prefix('"') else { continue };
            rest = quoted;
            let end = rest.find('"').expect("a closing quote");
            (rest[..end].to_owned(), end)
        };
        let path = path.replace("{*", "{");
        // The admin page's files are a web page, not API operations.
        let page = path.starts_with("/admin");
        // The handlers: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut close = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &rest[end..close];
        for method in ["get", "post", "put", "patch", "delete"] {
            let call = format!("{method}(");
            let found = handlers
                .match_indices(&call)
                .any(|(i, _)| i == 0 || !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
            if found && !page {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
        rest = &rest[close..];
    }
    routes
}

/// The value of `secrets::SECRET_ROUTE`, read from its source.
fn secret_route() -> String {
    let source = std::fs::read_to_string(workspace_root().join("host/cli/src/serve/secrets.rs")).expect("secrets.rs");
    let declaration = "pub const SECRET_ROUTE: &str = \"";
    let at = source.find(declaration).expect("the secret route's constant");
    let rest = &source[at + declaration.len()..];
    rest[..rest.find('"').expect("a closing quote")].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_and_covers_every_route() {
    let sandbox = Sandbox::local("openapi");
    let server = Server::start(&sandbox, &[]);
    let api = Api::new(&server);
    let answer = api.call(Method::GET, "/v1/openapi.json", &[], None).await;
    let doc = answer.ok().clone();
    assert_eq!(doc["openapi"], "3.1.0", "{}", answer.text);
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // A real validator.
    let file = sandbox.write("openapi.json", answer.text.as_bytes());
    let validated = std::process::Command::new(venv_bin("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("openapi-spec-validator from tests/requirements.txt");
    assert!(
        validated.status.success(),
        "the validator refused the document: {}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    // Every route the router declares is documented …
    let routes = declared_routes();
    assert!(routes.len() >= 29, "the router's routes were read: {routes:?}");
    for (method, path) in &routes {
        let documented = doc["paths"][path.as_str()][method.as_str()].is_object();
        assert!(documented, "{} {path} is not in the OpenAPI document", method.to_uppercase());
    }
    // … and every documented operation is one the service answers (no `no-route`, no wrong method).
    let paths = doc["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            assert!(routes.contains(&(method.clone(), path.clone())), "{method} {path} is documented but not routed");
            let concrete = path.replace("{manager}", "local").replace("{name}", "no/such").replace("{id}", "none");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            if concrete == "/metrics" {
                // Not JSON: OpenMetrics text (its own test reads it).
                let status = reqwest::Client::new()
                    .get(format!("{}/metrics", server.base))
                    .bearer_auth(server.token.as_deref().expect("a token"))
                    .send()
                    .await
                    .expect("scrape")
                    .status();
                assert_eq!(status, 200);
                continue;
            }
            let answer = api.call(method.clone(), &concrete, &[], None).await;
            assert!(
                answer.status != 405 && !answer.text.contains("no-route"),
                "{method} {concrete} is not answered: {} {}",
                answer.status,
                answer.text
            );
        }
    }
}
