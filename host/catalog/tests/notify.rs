//! Cache invalidations announced through a real PostgreSQL (Debian's package, started on a free loopback
//! port): every listener hears every announcement in commit order with a counter that has no gaps, its own
//! heartbeat after them, a name too long for a notification as its manager; a listener that was not
//! listening learns from the counter what it missed; the counter survives a restart of the server, and a
//! listener hears that it lost its connection. On SQLite there is no fleet.

use keyway_catalog::{Catalog, CatalogKey, Heard, Invalidation, Location, NodeId, Notice};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use std::time::Duration;

fn key() -> CatalogKey {
    CatalogKey::from_bytes(&[3; 32]).expect("key")
}

fn secret(manager: &str, name: &str) -> Invalidation {
    Invalidation::Secret { manager: manager.into(), name: name.into() }
}

async fn hear(listener: &mut keyway_catalog::FleetListener) -> Heard {
    tokio::time::timeout(Duration::from_secs(20), listener.recv())
        .await
        .expect("heard within 20 s")
        .expect("the listener works")
}

#[tokio::test]
async fn announcements_reach_listeners_in_order_and_the_counter_tells_what_was_missed() {
    let mut server = Postgres::start();
    let url = server.create_database("fleet");
    let location = Location::Postgres(url);
    let (a, b) = (
        Catalog::open(&location, key()).await.expect("node a"),
        Catalog::open(&location, key()).await.expect("node b"),
    );
    let (node_a, node_b) = (NodeId::generate(), NodeId::generate());
    assert!(a.shared_by_fleet());
    assert_eq!(a.invalidation_counter().await.expect("counter"), 0);
    let mut ear = b.listen(&node_b).await.expect("listen").expect("a fleet catalog");

    // One announcement: its counter, its origin, its scope.
    assert_eq!(a.announce(&node_a, &secret("aws", "prod/db")).await.expect("announce"), Some(1));
    let first = Notice { seq: 1, origin: node_a.clone(), scope: secret("aws", "prod/db") };
    assert_eq!(hear(&mut ear).await, Heard::Announced(first));

    // Concurrent announcers on two nodes: heard in commit order, numbered without gaps.
    let mut announcers = tokio::task::JoinSet::new();
    for n in 0..24 {
        let (catalog, node) = if n % 2 == 0 { (a.clone(), node_a.clone()) } else { (b.clone(), node_b.clone()) };
        announcers.spawn(async move {
            catalog.announce(&node, &secret("vault", &format!("app/{n}"))).await.expect("announce")
        });
    }
    let mut acknowledged: Vec<i64> = announcers.join_all().await.into_iter().map(|seq| seq.expect("a seq")).collect();
    acknowledged.sort_unstable();
    assert_eq!(acknowledged, (2..=25).collect::<Vec<_>>(), "each announcement has its own number");
    for expected in 2..=25 {
        match hear(&mut ear).await {
            Heard::Announced(notice) => assert_eq!(notice.seq, expected, "in commit order, no gap"),
            other => panic!("an announcement, not {other:?}"),
        }
    }

    // The heartbeat comes back after them, with the counter.
    b.heartbeat(&node_b).await.expect("heartbeat");
    assert_eq!(hear(&mut ear).await, Heard::Heartbeat(25));

    // Too long for a notification: the whole manager; a manager and everything as sent.
    a.announce(&node_a, &secret("aws", &"x".repeat(9000))).await.expect("announce a long name");
    a.announce(&node_a, &Invalidation::Manager("aws".into())).await.expect("announce a manager");
    a.announce(&node_a, &Invalidation::All).await.expect("announce everything");
    let scopes: Vec<Invalidation> = [hear(&mut ear).await, hear(&mut ear).await, hear(&mut ear).await]
        .into_iter()
        .map(|heard| match heard {
            Heard::Announced(notice) => notice.scope,
            other => panic!("an announcement, not {other:?}"),
        })
        .collect();
    assert_eq!(scopes, [Invalidation::Manager("aws".into()), Invalidation::Manager("aws".into()), Invalidation::All]);

    // What a node not listening missed, the counter tells: 28 announcements, the last heard is 28.
    drop(ear);
    a.announce(&node_a, &secret("aws", "while-away")).await.expect("announce");
    let mut ear = b.listen(&node_b).await.expect("listen again").expect("a fleet catalog");
    assert_eq!(b.invalidation_counter().await.expect("counter"), 29, "one missed: 29 > 28");

    // A restart of the server: the listener hears it lost its connection; the counter survived it.
    server.restart();
    let lost = tokio::time::timeout(Duration::from_secs(20), ear.recv()).await.expect("noticed within 20 s");
    assert!(matches!(lost, Ok(Heard::Lost) | Err(_)), "a lost connection is reported: {lost:?}");
    let mut counter = None;
    for _ in 0..100 {
        if let Ok(seq) = a.invalidation_counter().await {
            counter = Some(seq);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counter, Some(29), "every acknowledged announcement is counted after a restart");
    let mut ear = b.listen(&node_b).await.expect("listen after the restart").expect("a fleet catalog");
    assert_eq!(a.announce(&node_a, &Invalidation::All).await.expect("announce"), Some(30));
    assert!(matches!(hear(&mut ear).await, Heard::Announced(Notice { seq: 30, .. })));
}

#[tokio::test]
async fn a_sqlite_catalog_has_no_fleet() {
    let tmp = TempDir::new("catalog-notify");
    let catalog = Catalog::open(&Location::Sqlite(tmp.path().join("c.db")), key()).await.expect("open");
    let node = NodeId::generate();
    assert!(!catalog.shared_by_fleet());
    assert_eq!(catalog.announce(&node, &Invalidation::All).await.expect("nothing to do"), None);
    assert!(catalog.listen(&node).await.expect("nothing to listen to").is_none());
    assert_eq!(catalog.invalidation_counter().await.expect("counter"), 0);
    catalog.heartbeat(&node).await.expect("nothing to send");
}
