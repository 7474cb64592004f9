//! The catalog's suite, run on SQLite and on a real PostgreSQL (Debian's package, started on a free
//! loopback port): version history and fingerprints, observations and races, error history and its
//! retention, lifecycle state, the catalog key, concurrent writers, and no acknowledged record lost when
//! the writing process is killed.

use keyway_catalog::{
    Catalog, CatalogKey, ErrorFilter, Location, NewApproval, NewError, NewVersion, Origin, SyncUpdate,
};
use keyway_integration_tests::harness::TempDir;
use keyway_integration_tests::postgres::Postgres;
use keyway_types::SecretValue;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

fn key(byte: u8) -> CatalogKey {
    CatalogKey::from_bytes(&[byte; 32]).expect("key")
}

fn version<'a>(
    manager: &'a str,
    name: &'a str,
    backend: Option<&'a str>,
    fingerprint: &'a keyway_catalog::Fingerprint,
) -> NewVersion<'a> {
    NewVersion {
        manager,
        name,
        backend_version: backend,
        fingerprint,
        secret_type: Some("api-key"),
        actor: Some("namespace=team.a"),
        expires_at: None,
        not_before: None,
    }
}

/// Every case, on the catalog `open` makes (a fresh, empty one per call).
async fn suite<F, Fut>(open: F)
where
    F: Fn(u8) -> Fut,
    Fut: std::future::Future<Output = Catalog>,
{
    writes_are_numbered_fingerprinted_and_idempotent(open(1).await).await;
    observations_tell_outside_changes_and_writes_win_races(open(1).await).await;
    equal_content_has_equal_fingerprints_across_managers(open(1).await).await;
    errors_are_kept_within_retention(open(1).await).await;
    lifecycle_state_follows_the_latest_version(open(1).await).await;
    concurrent_writers_of_one_secret_lose_nothing(open(1).await).await;
    pending_renewals_are_sealed_and_wiped(open(1).await).await;
    bindings_and_copies_keep_their_state(open(1).await).await;
    approvals_are_sealed_claimed_once_and_wiped(open(1).await).await;
    a_lease_has_one_holder_until_it_lapses_or_is_released(open(1).await).await;
    audit_records_are_appended_in_order_all_or_none(open(1).await).await;
}

async fn audit_records_are_appended_in_order_all_or_none(catalog: Catalog) {
    assert!(catalog.audit_after(0, 10).await.expect("empty").is_empty());
    catalog.append_audit("node-a", &[r#"{"operation":"get","n":1}"#, r#"{"operation":"get","n":2}"#]).await.expect("a");
    catalog.append_audit("node-b", &[r#"{"operation":"create","n":3}"#]).await.expect("b");
    catalog.append_audit("node-b", &[]).await.expect("nothing to append");
    let trail = catalog.audit_after(0, 10).await.expect("read");
    let lines: Vec<(&str, &str)> = trail.iter().map(|entry| (entry.node.as_str(), entry.line.as_str())).collect();
    assert_eq!(
        lines,
        [
            ("node-a", r#"{"operation":"get","n":1}"#),
            ("node-a", r#"{"operation":"get","n":2}"#),
            ("node-b", r#"{"operation":"create","n":3}"#)
        ]
    );
    let rest = catalog.audit_after(trail[0].id, 1).await.expect("paged");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].id, trail[1].id);
}

async fn a_lease_has_one_holder_until_it_lapses_or_is_released(catalog: Catalog) {
    use std::time::Duration;
    let long = Duration::from_secs(60);
    assert!(catalog.hold_lease("scheduler", "node-a", long).await.expect("take"));
    assert!(!catalog.hold_lease("scheduler", "node-b", long).await.expect("refused"), "held by a");
    let held = catalog.lease_holder("scheduler").await.expect("read").expect("held");
    assert_eq!(held.holder, "node-a");
    assert!(catalog.hold_lease("scheduler", "node-a", long).await.expect("renew"), "a renews its own lease");
    let renewed = catalog.lease_holder("scheduler").await.expect("read").expect("held");
    assert_eq!(renewed.acquired_at, held.acquired_at, "a renewal keeps when the holding began");
    assert!(renewed.expires_at >= held.expires_at);
    // Other leases are independent.
    assert!(catalog.hold_lease("other", "node-b", long).await.expect("other"));
    // Released: the next asker takes it at once; a release by a node that does not hold it changes nothing.
    catalog.release_lease("scheduler", "node-b").await.expect("no-op release");
    assert!(!catalog.hold_lease("scheduler", "node-b", long).await.expect("still a's"));
    catalog.release_lease("scheduler", "node-a").await.expect("release");
    assert_eq!(catalog.lease_holder("scheduler").await.expect("read"), None);
    assert!(catalog.hold_lease("scheduler", "node-b", Duration::from_millis(300)).await.expect("b takes it"));
    // Lapsed: b stopped renewing, so a takes it over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(catalog.lease_holder("scheduler").await.expect("read"), None, "a lapsed lease has no holder");
    assert!(catalog.hold_lease("scheduler", "node-a", long).await.expect("a takes over"));
    // Twelve nodes asking at once for a free lease: exactly one gets it.
    let free = Duration::from_secs(60);
    let mut asks = tokio::task::JoinSet::new();
    for node in 0..12 {
        let catalog = catalog.clone();
        asks.spawn(async move { catalog.hold_lease("race", &format!("node-{node}"), free).await.expect("ask") });
    }
    let won = asks.join_all().await.into_iter().filter(|won| *won).count();
    assert_eq!(won, 1, "one holder among concurrent askers");
}

async fn bindings_and_copies_keep_their_state(catalog: Catalog) {
    catalog.bind("prod", "db/pw", "aws", Some("client=ops")).await.expect("bind");
    catalog.bind("prod", "db/pw", "vault", Some("client=ops")).await.expect("change of source");
    let bound = catalog.bindings_of("db/pw").await.expect("bindings");
    assert_eq!(bound.len(), 1, "one binding per profile and name: {bound:?}");
    assert_eq!((bound[0].source.as_str(), bound[0].bound_by.as_deref()), ("vault", Some("client=ops")));
    assert_eq!(catalog.bindings("prod").await.expect("bindings").len(), 1);
    assert!(catalog.unbind("prod", "db/pw").await.expect("unbind"));
    assert!(!catalog.unbind("prod", "db/pw").await.expect("unbind twice"));

    let copy = |state: &'static str, error: Option<&'static str>, fingerprint: Option<&'static str>| SyncUpdate {
        profile: "prod",
        name: "db/pw",
        target: "vault",
        source: "aws",
        state,
        fingerprint,
        source_fingerprint: Some("f1"),
        error,
        next_attempt_at: error.map(|_| 0),
    };
    catalog.set_sync_state(&copy("synced", None, Some("f1"))).await.expect("synced");
    catalog.set_sync_state(&copy("failed", Some("down"), None)).await.expect("failed");
    catalog.set_sync_state(&copy("failed", Some("still down"), None)).await.expect("failed again");
    let rows = catalog.sync_targets_of("prod", "db/pw").await.expect("copies");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.state.as_str(), row.attempts, row.last_error.as_deref()), ("failed", 2, Some("still down")));
    assert_eq!(row.fingerprint.as_deref(), Some("f1"), "a failure keeps the last known fingerprint");
    assert_eq!(catalog.due_sync_targets(1, 10).await.expect("due").len(), 1, "due at its time");
    assert_eq!(catalog.sync_targets_involving("vault", "db/pw").await.expect("involving").len(), 1);
    assert_eq!(catalog.sync_targets_involving("aws", "db/pw").await.expect("involving").len(), 1);
    assert!(catalog.sync_targets_involving("azure", "db/pw").await.expect("involving").is_empty());
    catalog.set_sync_state(&copy("synced", None, Some("f1"))).await.expect("repaired");
    let row = &catalog.sync_targets(Some("prod")).await.expect("copies")[0];
    assert_eq!((row.state.as_str(), row.attempts, row.last_error.as_deref()), ("synced", 0, None));
    assert!(catalog.due_sync_targets(i64::MAX, 10).await.expect("due").is_empty(), "nothing due when synced");
    catalog.forget_sync_target("prod", "db/pw", "vault").await.expect("forget");
    assert!(catalog.sync_targets(None).await.expect("copies").is_empty());
}

async fn approvals_are_sealed_claimed_once_and_wiped(catalog: Catalog) {
    let value = SecretValue::text("proposed-secret-2c9e");
    let fingerprint = catalog.key().fingerprint(None, &value);
    let far = i64::MAX / 2;
    let request = |operation: &'static str, expires_at: i64| NewApproval {
        profile: "prod",
        manager: "aws",
        name: "db/pw",
        operation,
        requester: "client=alice",
        change_json: "{}",
        fingerprint: Some(&fingerprint),
        expires_at,
    };
    let id = catalog.open_approval(&request("update", far), Some(&value)).await.expect("open");
    let pending = catalog.approval(&id).await.expect("read").expect("exists");
    assert_eq!((pending.state.as_str(), pending.holds_value), ("pending", true));
    assert_eq!(pending.fingerprint.as_deref(), Some(fingerprint.0.as_str()));
    assert_eq!(catalog.approval_value(&pending).await.expect("open").expect("a value"), value);
    let mut moved = pending.clone();
    moved.name = "db/other".into();
    assert!(catalog.approval_value(&moved).await.is_err(), "a sealed value opens only for its own request");

    assert!(catalog.vote(&id, "client=bob", "approve", Some("ok")).await.expect("vote"));
    assert!(!catalog.vote(&id, "client=bob", "approve", None).await.expect("vote again"), "one vote per approver");
    assert!(catalog.vote(&id, "client=carol", "approve", None).await.expect("vote"));
    assert_eq!(catalog.approval(&id).await.expect("read").expect("exists").votes.len(), 2);

    // Many callers claim at once: exactly one gets it.
    let mut claims = Vec::new();
    for _ in 0..12 {
        let (catalog, id) = (catalog.clone(), id.clone());
        claims.push(tokio::spawn(async move { catalog.claim_approval(&id).await.expect("claim") }));
    }
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.expect("claimer"));
    }
    assert_eq!(won, 1, "exactly one claim");
    catalog.finish_approval(&id, Some("backend down")).await.expect("failed attempt");
    let retried = catalog.approval(&id).await.expect("read").expect("exists");
    assert_eq!((retried.state.as_str(), retried.holds_value), ("approved", true), "kept for another attempt");
    assert!(catalog.claim_approval(&id).await.expect("claim"), "an approved request is claimed again");
    catalog.finish_approval(&id, None).await.expect("applied");
    let applied = catalog.approval(&id).await.expect("read").expect("exists");
    assert_eq!((applied.state.as_str(), applied.holds_value), ("applied", false), "wiped when applied");
    assert!(catalog.approval_value(&applied).await.expect("read").is_none());
    assert!(!catalog.claim_approval(&id).await.expect("claim"), "applied once");
    assert!(!catalog.reject_approval(&id, None).await.expect("reject"), "only pending requests are rejected");

    let rejected = catalog.open_approval(&request("create", far), Some(&value)).await.expect("open");
    assert!(catalog.reject_approval(&rejected, Some("wrong")).await.expect("reject"));
    let rejected = catalog.approval(&rejected).await.expect("read").expect("exists");
    assert_eq!((rejected.state.as_str(), rejected.holds_value), ("rejected", false));
    assert!(!catalog.claim_approval(&rejected.id).await.expect("claim"));

    tokio::time::sleep(Duration::from_millis(3)).await; // the latest by time, to the millisecond
    let lapsed = catalog.open_approval(&request("delete", 1), None).await.expect("open");
    assert!(!catalog.claim_approval(&lapsed).await.expect("claim"), "a lapsed request is not claimed");
    let expired = catalog.expire_approvals().await.expect("expire");
    assert_eq!(expired.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [lapsed.as_str()]);
    assert!(catalog.expire_approvals().await.expect("expire").is_empty(), "once");
    let latest = catalog.latest_approval_of("aws", "db/pw").await.expect("latest").expect("one");
    assert_eq!(latest.id, lapsed);
    assert_eq!(catalog.approvals(&["pending"], 10).await.expect("list").len(), 0);
    assert_eq!(catalog.approvals(&[], 10).await.expect("list").len(), 3);
    assert_eq!(catalog.approvals(&["applied", "expired"], 10).await.expect("list").len(), 2);
}

async fn pending_renewals_are_sealed_and_wiped(catalog: Catalog) {
    let value = SecretValue::text("new-password-7d1e");
    catalog.put_pending_renewal("local", "db", &value, Some("api-key"), "generated").await.expect("keep");
    catalog.mark_pending_renewal("local", "db", "set", None).await.expect("mark");
    let pending = catalog.pending_renewal("local", "db").await.expect("read").expect("pending");
    assert_eq!(
        (pending.state.as_str(), pending.value.expose_text(), pending.attempts),
        ("set", Some("new-password-7d1e"), 1)
    );
    let binary = SecretValue::binary(vec![0u8, 255, 7]);
    catalog.put_pending_renewal("local", "bin", &binary, None, "generated").await.expect("keep");
    assert_eq!(catalog.pending_renewal("local", "bin").await.expect("read").expect("pending").value, binary);
    catalog.clear_pending_renewal("local", "db").await.expect("wipe");
    assert!(catalog.pending_renewal("local", "db").await.expect("read").is_none());
}

async fn writes_are_numbered_fingerprinted_and_idempotent(catalog: Catalog) {
    let one = catalog.key().fingerprint(Some("api-key"), &SecretValue::text("first-value"));
    let two = catalog.key().fingerprint(Some("api-key"), &SecretValue::text("second-value"));
    let a = catalog.record_write(&version("local", "api", Some("v1-aa"), &one)).await.expect("record");
    let b = catalog.record_write(&version("local", "api", Some("v2-bb"), &two)).await.expect("record");
    let again = catalog.record_write(&version("local", "api", Some("v2-bb"), &two)).await.expect("record again");
    assert_eq!((a.number, b.number, again.number), (1, 2, 2), "the same backend version is recorded once");
    assert_eq!((a.origin, a.actor.as_deref()), (Origin::Keyway, Some("namespace=team.a")));
    let history = catalog.history("local", "api").await.expect("history");
    let numbers: Vec<i64> = history.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [2, 1], "newest first");
    assert_eq!(history[0].fingerprint, two);
    assert_ne!(one, two);
    assert!(!format!("{history:?}").contains("second-value"), "no value is kept");
}

async fn observations_tell_outside_changes_and_writes_win_races(catalog: Catalog) {
    let fp = |text: &str| catalog.key().fingerprint(None, &SecretValue::text(text));
    let (v1, v2, v3) = (fp("one"), fp("two"), fp("three"));
    let first = catalog.observe(&version("aws", "db", Some("AAA"), &v1)).await.expect("observe");
    assert_eq!(first.map(|v| v.origin), Some(Origin::FirstSeen));
    assert!(catalog.observe(&version("aws", "db", Some("AAA"), &v1)).await.expect("observe").is_none());
    let outside = catalog.observe(&version("aws", "db", Some("BBB"), &v2)).await.expect("observe");
    assert_eq!(outside.map(|v| (v.number, v.origin)), Some((2, Origin::Outside)));
    // A read of a new version recorded before the write that made it: the write claims it.
    let raced = catalog.observe(&version("aws", "db", Some("CCC"), &v3)).await.expect("observe");
    assert_eq!(raced.map(|v| v.origin), Some(Origin::Outside));
    let claimed = catalog.record_write(&version("aws", "db", Some("CCC"), &v3)).await.expect("record");
    assert_eq!((claimed.number, claimed.origin), (3, Origin::Keyway));
    // Backends without version ids: a change is a new fingerprint.
    let none = catalog.observe(&version("doppler", "x", None, &v1)).await.expect("observe");
    assert_eq!(none.map(|v| v.origin), Some(Origin::FirstSeen));
    assert!(catalog.observe(&version("doppler", "x", None, &v1)).await.expect("observe").is_none());
    assert!(catalog.observe(&version("doppler", "x", None, &v2)).await.expect("observe").is_some());
}

async fn equal_content_has_equal_fingerprints_across_managers(catalog: Catalog) {
    let fp = catalog.key().fingerprint(Some("api-key"), &SecretValue::text("shared"));
    catalog.record_write(&version("local", "copy", Some("v1"), &fp)).await.expect("record");
    catalog.record_write(&version("aws", "copy", Some("x1"), &fp)).await.expect("record");
    let copies = catalog.with_fingerprint(&fp).await.expect("copies");
    let managers: Vec<&str> = copies.iter().map(|v| v.manager.as_str()).collect();
    assert_eq!(managers, ["aws", "local"]);
    let other_installation = key(99).fingerprint(Some("api-key"), &SecretValue::text("shared"));
    assert_ne!(fp, other_installation, "another installation's key gives another fingerprint");
}

async fn errors_are_kept_within_retention(catalog: Catalog) {
    let catalog = catalog.with_retention(keyway_catalog::pool::Retention { errors_per_secret: 3, error_days: 90 });
    for i in 0..5 {
        let message = format!("backend unavailable, attempt {i}");
        let error = NewError {
            manager: "aws",
            name: "db",
            operation: "get",
            kind: "unavailable",
            message: &message,
            actor: Some("namespace=team.a"),
        };
        catalog.record_error(&error).await.expect("record");
    }
    let other =
        NewError { manager: "aws", name: "other", operation: "renew", kind: "other", message: "x", actor: None };
    catalog.record_error(&other).await.expect("record");
    let filter = ErrorFilter { manager: Some("aws".into()), name: Some("db".into()), ..ErrorFilter::default() };
    let errors = catalog.errors(&filter).await.expect("errors");
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        ["backend unavailable, attempt 4", "backend unavailable, attempt 3", "backend unavailable, attempt 2"]
    );
    let all =
        catalog.errors(&ErrorFilter { manager: Some("aws".into()), ..ErrorFilter::default() }).await.expect("all");
    assert_eq!(all.len(), 4);
    let long = "y".repeat(5000);
    let error = NewError { manager: "aws", name: "long", operation: "get", kind: "other", message: &long, actor: None };
    catalog.record_error(&error).await.expect("record");
    let filter = ErrorFilter { manager: Some("aws".into()), name: Some("long".into()), ..ErrorFilter::default() };
    assert_eq!(catalog.errors(&filter).await.expect("errors")[0].message.len(), 2000);
}

async fn lifecycle_state_follows_the_latest_version(catalog: Catalog) {
    let fp = catalog.key().fingerprint(None, &SecretValue::text("v"));
    let mut new = version("local", "cert", Some("v1"), &fp);
    new.expires_at = Some(1_000);
    catalog.record_write(&new).await.expect("record");
    let far = i64::MAX / 2;
    new.backend_version = Some("v2");
    new.expires_at = Some(far);
    catalog.record_write(&new).await.expect("record");
    let entry = catalog.secret("local", "cert").await.expect("secret").expect("known");
    assert_eq!((entry.latest_version, entry.expires_at, entry.secret_type.as_deref()), (2, Some(far), Some("api-key")));
    assert!(catalog.expiring(far + 1).await.expect("expiring").iter().any(|s| s.name == "cert"));
    assert!(catalog.expiring(far).await.expect("expiring").is_empty());
    catalog.forget("local", "cert").await.expect("forget");
    assert!(catalog.secret("local", "cert").await.expect("secret").is_none());
    assert!(catalog.history("local", "cert").await.expect("history").is_empty());
}

async fn concurrent_writers_of_one_secret_lose_nothing(catalog: Catalog) {
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let catalog = catalog.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let id = format!("w{writer}-{i}");
                let fp = catalog.key().fingerprint(None, &SecretValue::text(id.clone()));
                catalog.record_write(&version("local", "hot", Some(&id), &fp)).await.expect("record");
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    let mut numbers: Vec<i64> =
        catalog.history("local", "hot").await.expect("history").iter().map(|v| v.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=80).collect::<Vec<i64>>());
}

#[tokio::test]
async fn the_suite_on_sqlite() {
    let tmp = TempDir::new("catalog-sqlite");
    let counter = std::sync::atomic::AtomicU32::new(0);
    suite(|byte| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = tmp.path().join(format!("catalog-{n}.db"));
        async move { Catalog::open(&Location::Sqlite(path), key(byte)).await.expect("open") }
    })
    .await;
    let path = tmp.path().join("catalog-0.db");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).expect("file").permissions());
    assert_eq!(mode & 0o777, 0o600, "only its owner reads the catalog");
}

#[tokio::test]
async fn the_suite_on_postgres() {
    let server = Postgres::start();
    let counter = std::sync::atomic::AtomicU32::new(0);
    suite(|byte| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = server.create_database(&format!("catalog_{n}"));
        async move { Catalog::open(&Location::Postgres(url), key(byte)).await.expect("open") }
    })
    .await;
}

#[tokio::test]
async fn another_key_is_refused_on_both_databases() {
    let tmp = TempDir::new("catalog-key");
    let server = Postgres::start();
    for location in [Location::Sqlite(tmp.path().join("c.db")), Location::Postgres(server.create_database("keys"))] {
        Catalog::open(&location, key(1)).await.expect("create").close().await;
        let err = Catalog::open(&location, key(2)).await.expect_err("another key");
        assert!(err.to_string().contains("was created with another catalog key"), "{err}");
        Catalog::open(&location, key(1)).await.expect("the right key");
    }
}

/// The writer process of the kill test: records versions and prints each acknowledged number.
#[tokio::test]
async fn writer_process() {
    let Ok(location) = std::env::var("KEYWAY_CATALOG_WRITER") else {
        return;
    };
    let location = match location.strip_prefix("sqlite:") {
        Some(path) => Location::Sqlite(path.into()),
        None => Location::Postgres(location),
    };
    let catalog = Catalog::open(&location, key(7)).await.expect("open");
    let start = std::env::var("KEYWAY_CATALOG_WRITER_START").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    for i in start.. {
        let id = format!("b{i}");
        let fp = catalog.key().fingerprint(None, &SecretValue::text(id.clone()));
        let entry = catalog.record_write(&version("local", "killed", Some(&id), &fp)).await.expect("record");
        println!("ACK {id} {}", entry.number);
    }
}

/// Kills a writer process again and again: every version it acknowledged is there afterwards.
fn killed_writers_lose_nothing(location: &str) {
    let mut acknowledged = Vec::new();
    for round in 0..6u64 {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "writer_process", "--nocapture", "--test-threads=1"])
            .env("KEYWAY_CATALOG_WRITER", location)
            .env("KEYWAY_CATALOG_WRITER_START", (round * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| line.strip_prefix("ACK ").map(str::to_owned))
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(300 + 150 * round));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        acknowledged.extend(reader.join().expect("reader"));
    }
    assert!(acknowledged.len() > 20, "the writer got going: {}", acknowledged.len());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let location = match location.strip_prefix("sqlite:") {
            Some(path) => Location::Sqlite(path.into()),
            None => Location::Postgres(location.to_owned()),
        };
        let catalog = Catalog::open(&location, key(7)).await.expect("reopen");
        let history = catalog.history("local", "killed").await.expect("history");
        for ack in &acknowledged {
            let (id, number) = ack.split_once(' ').expect("ACK id number");
            let number: i64 = number.parse().expect("number");
            assert!(
                history.iter().any(|v| v.backend_version.as_deref() == Some(id) && v.number == number),
                "acknowledged {id} (number {number}) is lost"
            );
        }
    });
}

#[test]
fn killing_the_writer_loses_no_acknowledged_record_on_sqlite() {
    let tmp = TempDir::new("catalog-kill");
    killed_writers_lose_nothing(&format!("sqlite:{}", tmp.path().join("catalog.db").display()));
}

#[test]
fn killing_the_writer_loses_no_acknowledged_record_on_postgres() {
    let server = Postgres::start();
    killed_writers_lose_nothing(&server.create_database("killed"));
}
