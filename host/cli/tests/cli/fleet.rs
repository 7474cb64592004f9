//! Coherent caches across a fleet: three `keyway serve` nodes on one PostgreSQL catalog (Debian's package, on
//! a free loopback port), caching values for an hour. A write, delete or restore on one node, or on the command
//! line, is served by the others at once; a cache clear on one node clears them all; a node cut off from
//! PostgreSQL serves what it holds, refuses writes, and catches up when it hears the fleet again; a restart of
//! PostgreSQL loses no acknowledged write and makes no node serve an old value.
//!
//! The deadlines are generous for a loaded machine; the benchmark (`cargo bench -p keyway-cli --bench
//! fleet`) measures the real latency.

use crate::fleet_nodes::{within, Fleet, TOKEN};
use crate::support::code;
use reqwest::Method;
use std::time::Duration;

/// How long a node may take to serve what another node wrote, here: the design's bound is one second.
const LIMIT: Duration = Duration::from_secs(3);
const A: usize = 0;
const B: usize = 1;
const C: usize = 2;

/// Node `index`'s `/v1/ready`: its status code and its fleet check.
async fn readiness(fleet: &Fleet, index: usize) -> (u16, String) {
    let ready = fleet.apis[index].call(Method::GET, "/v1/ready", &[], None).await;
    (ready.status, ready.body["checks"]["fleet"].as_str().unwrap_or_default().to_owned())
}

/// Waits until node `index` serves `expected` for `local/NAME`; returns how long that took.
async fn served(fleet: &Fleet, index: usize, name: &str, expected: Option<&str>) -> Duration {
    within(LIMIT, &format!("node {index} serving {expected:?} for {name}"), || async {
        fleet.value(index, name).await.as_deref() == expected
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_clears_on_one_node_reach_every_node() {
    let fleet = Fleet::start(3).await;
    fleet.write(A, "db", "first-value-7c41").await.expect("create on a");
    for node in [A, B, C] {
        assert_eq!(fleet.value(node, "db").await.as_deref(), Some("first-value-7c41"));
    }
    for node in [B, C] {
        assert!(fleet.cached(node).await.contains(&"db".to_owned()), "node {node} holds db for an hour");
    }

    // Changed on a: b and c serve the new value at once, not when their copies expire.
    fleet.write(A, "db", "second-value-93be").await.expect("update on a");
    for node in [B, C] {
        let took = served(&fleet, node, "db", Some("second-value-93be")).await;
        eprintln!("node {node} served the update {took:?} after it was acknowledged");
    }

    // Deleted on b, restored on c.
    let deleted = fleet.apis[B].call(Method::DELETE, "/v1/secrets/local/db", &[], None).await;
    deleted.ok();
    served(&fleet, A, "db", None).await;
    served(&fleet, C, "db", None).await;
    fleet.apis[C].call(Method::POST, "/v1/restore/local/db", &[], None).await.ok();
    served(&fleet, A, "db", Some("second-value-93be")).await;
    served(&fleet, B, "db", Some("second-value-93be")).await;

    // Written on the command line, a process of its own that announces but does not listen.
    let cli = fleet.sandboxes[A].run_with_stdin(&["update", "local/db", "--stdin"], b"third-value-52d0");
    assert_eq!(cli.code, code::OK, "{}", cli.stderr);
    for node in [A, B, C] {
        served(&fleet, node, "db", Some("third-value-52d0")).await;
    }

    // One secret cleared on b: gone from every node's cache, the others stay.
    fleet.write(A, "api", "api-token-1f9a").await.expect("create api");
    for node in [A, C] {
        assert_eq!(fleet.value(node, "api").await.as_deref(), Some("api-token-1f9a"));
        assert_eq!(fleet.value(node, "db").await.as_deref(), Some("third-value-52d0"));
    }
    fleet.apis[B].call(Method::DELETE, "/v1/cache/local/api", &[], None).await.ok();
    for node in [A, C] {
        within(LIMIT, &format!("api dropped from node {node}'s cache"), || async {
            let cached = fleet.cached(node).await;
            !cached.contains(&"api".to_owned()) && cached.contains(&"db".to_owned())
        })
        .await;
    }

    // `keyway cache clear` against b: every node's cache is empty.
    for node in [A, C] {
        fleet.value(node, "api").await;
        assert!(!fleet.cached(node).await.is_empty());
    }
    let mut operator = fleet.sandboxes[B].command(&["cache", "clear", "--server", &fleet.nodes[B].base]);
    operator.args(["--token-env", "FLEET_TOKEN"]).env("FLEET_TOKEN", TOKEN);
    let cleared = operator.output().expect("run keyway cache clear");
    assert!(cleared.status.success(), "{}", String::from_utf8_lossy(&cleared.stderr));
    for node in [A, C] {
        within(LIMIT, &format!("node {node}'s cache empty"), || async { fleet.cached(node).await.is_empty() }).await;
    }

    // Counted: what a sent and what b and c heard; each cleared its cache once on joining.
    assert!(fleet.metric(A, "keyway_fleet_notifications_total", "outcome=\"sent\"").await >= Some(3.0));
    for node in [B, C] {
        assert!(fleet.metric(node, "keyway_fleet_notifications_total", "outcome=\"received\"").await >= Some(5.0));
        assert!(fleet.metric(node, "keyway_fleet_resyncs_total", "outcome=\"cleared\"").await >= Some(1.0));
    }
    for node in &fleet.nodes {
        assert!(node.log().contains("hearing the fleet's invalidations"), "an info line on joining");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_catch_up_after_losing_postgresql_and_nothing_acknowledged_is_lost() {
    let mut fleet = Fleet::start(3).await;
    let mut acknowledged = vec![fleet.write(A, "db", "before-cut-0b6e").await.expect("create")];
    for node in [B, C] {
        assert_eq!(fleet.value(node, "db").await.as_deref(), Some("before-cut-0b6e"));
    }

    // b is cut off: it serves what it holds, and refuses writes it could not tell the fleet about.
    assert_eq!(readiness(&fleet, B).await, (200, "hearing".to_owned()));
    fleet.cut_off(B);
    fleet.until_hearing(B, false, Duration::from_secs(30)).await;
    assert_eq!(readiness(&fleet, B).await, (503, "cut-off".to_owned()), "a node cut off is not ready");
    assert_eq!(readiness(&fleet, C).await, (200, "hearing".to_owned()));
    let refused = fleet.write(B, "db", "refused-value").await.expect_err("b refuses writes");
    assert!(refused.contains("writes are refused until it answers again"), "{refused}");
    assert!(refused.contains("\"records-unavailable\""), "answered 503 records-unavailable: {refused}");
    // Changed on a while b hears nothing: c serves it, b still serves what it held.
    acknowledged.push(fleet.write(A, "db", "while-cut-4a7d").await.expect("update on a"));
    served(&fleet, C, "db", Some("while-cut-4a7d")).await;
    assert_eq!(fleet.value(B, "db").await.as_deref(), Some("before-cut-0b6e"), "b serves its copy meanwhile");
    // b hears the fleet again: the counter shows it missed an announcement, so it drops its cache.
    fleet.let_in(B);
    fleet.until_hearing(B, true, Duration::from_secs(30)).await;
    assert_eq!(readiness(&fleet, B).await, (200, "hearing".to_owned()), "ready again");
    assert_eq!(fleet.value(B, "db").await.as_deref(), Some("while-cut-4a7d"), "b caught up on reconnecting");
    assert!(fleet.metric(B, "keyway_fleet_resyncs_total", "outcome=\"cleared\"").await >= Some(2.0));
    assert!(fleet.nodes[B].log().contains("missed invalidations of the fleet"), "an info line on catching up");

    // PostgreSQL restarts: every node loses it, refuses writes meanwhile, and hears the fleet again after.
    for node in [A, B, C] {
        fleet.value(node, "db").await;
    }
    fleet.postgres.kill();
    for node in [A, B, C] {
        fleet.until_hearing(node, false, Duration::from_secs(30)).await;
    }
    assert_eq!(fleet.value(C, "db").await.as_deref(), Some("while-cut-4a7d"), "cached values are served");
    fleet.write(A, "db", "refused-while-down").await.expect_err("no write while PostgreSQL is down");
    fleet.postgres.restart();
    for node in [A, B, C] {
        fleet.until_hearing(node, true, Duration::from_secs(30)).await;
        // Nothing was announced meanwhile: the caches are kept.
        assert!(fleet.metric(node, "keyway_fleet_resyncs_total", "outcome=\"current\"").await >= Some(1.0));
    }
    for (round, value) in ["after-restart-1c3f", "after-restart-2e8a", "after-restart-3d5b"].iter().enumerate() {
        let writer = [A, C, A][round];
        acknowledged.push(fleet.write(writer, "db", value).await.expect("a write after the restart"));
        for node in [A, B, C] {
            served(&fleet, node, "db", Some(value)).await;
        }
    }

    // Every acknowledged write is in keyway's records, read by any node.
    let history = fleet.apis[B].call(Method::GET, "/v1/history/local/db", &[], None).await;
    let recorded: Vec<&str> =
        history.ok()["history"].as_array().expect("history").iter().filter_map(|e| e["version_id"].as_str()).collect();
    for version in &acknowledged {
        assert!(!version.is_empty() && recorded.contains(&version.as_str()), "{version} in {recorded:?}");
    }
}
