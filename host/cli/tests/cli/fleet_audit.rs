//! One audit trail for a fleet: two `keyway serve` nodes on one PostgreSQL (Debian's package, on a free
//! loopback port) with `audit: {records: true}` write every audit record to the catalog's `audit` table, each
//! row naming its node, and no row holds a value.

use crate::service::{Api, Server};
use crate::support::{random_key, Sandbox};
use keyway::catalog::{Catalog, CatalogKey, Location};
use keyway_integration_tests::postgres::Postgres;
use reqwest::Method;
use serde_json::json;

const VALUE: &str = "fleet-trail-value-4b7e0d";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_nodes_audit_into_one_trail() {
    let postgres = Postgres::start();
    let url = postgres.create_database("trail");
    let key = random_key();
    let mut sandbox = Sandbox::new("fleet-audit");
    let config = sandbox.configure("  local:\n    plugin: local\n");
    let text = std::fs::read_to_string(&config).expect("the configuration");
    let text = text.replacen("audit:\n", "audit:\n  records: true\n", 1);
    std::fs::write(&config, format!("catalog: {{ url: \"{url}\", key: \"{key}\" }}\n{text}")).expect("configured");
    let (mut a, mut b) = (Server::start(&sandbox, &[]), Server::start(&sandbox, &[]));
    let secret = "/v1/secrets/local/app/token";
    Api::new(&a).call(Method::PUT, secret, &[], Some(json!({"value": VALUE}))).await.ok();
    let read = Api::new(&b).call(Method::GET, secret, &[], None).await;
    assert_eq!(read.ok()["value"], VALUE);
    a.stop();
    b.stop();

    let catalog = Catalog::open(&Location::Postgres(url), CatalogKey::from_base64(&key).expect("a key"))
        .await
        .expect("the records");
    let trail = catalog.audit_after(0, 1000).await.expect("the trail");
    let nodes: std::collections::BTreeSet<&str> = trail.iter().map(|entry| entry.node.as_str()).collect();
    assert_eq!(nodes.len(), 2, "each node wrote its own rows: {nodes:?}");
    let operation = |line: &str| serde_json::from_str::<serde_json::Value>(line).expect("JSON")["operation"].clone();
    assert!(trail.iter().any(|entry| operation(&entry.line) == "create"), "the write is in the trail");
    assert!(trail.iter().any(|entry| operation(&entry.line) == "get"), "the read is in the trail");
    assert!(!trail.iter().any(|entry| entry.line.contains(VALUE)), "never a value");
    let in_file = std::fs::read_to_string(sandbox.path().join("audit.jsonl")).expect("the nodes' file");
    assert_eq!(in_file.lines().count(), trail.len(), "every line of the file is in the trail");
}
