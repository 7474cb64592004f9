//! The shared cache: single-flight, refresh-ahead, stale-if-error, negative caching, expiry, invalidation
//! and the operator listing.

mod common;

use common::{short_cache, FakeSource};
use keyway_resolve::{CacheOptions, CacheScope, EntryState, Identity, ManagerOptions, Resolver};
use keyway_types::{Operation, ProviderError, SecretMetadata, VersionSelector};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn resolver(source: &Arc<FakeSource>, cache: CacheOptions) -> Resolver {
    Resolver::builder()
        .cache(cache)
        .manager("m", source.clone(), ManagerOptions::default())
        .build()
        .expect("valid configuration")
}

async fn read(resolver: &Resolver, name: &str) -> Result<String, keyway_resolve::SecretError> {
    let shared = resolver.get(&Identity::default(), "m", name, &VersionSelector::Latest).await?;
    Ok(shared.value().expose_text().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_reads_make_one_backend_call() {
    let source = FakeSource::new(true);
    source.put("db", "value-1234");
    source.set_delay(Duration::from_millis(20));
    let resolver = resolver(&source, CacheOptions::default());
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let resolver = resolver.clone();
            tokio::spawn(async move { read(&resolver, "db").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("read"), "value-1234");
    }
    assert_eq!(source.gets(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_of_an_expired_entry_make_one_backend_call() {
    let source = FakeSource::new(false);
    source.put("db", "value-1234");
    let resolver = resolver(&source, short_cache(Duration::from_millis(100)));
    read(&resolver, "db").await.expect("first read");
    tokio::time::sleep(Duration::from_millis(150)).await;
    source.set_delay(Duration::from_millis(20));
    let reads = (0..200).map(|_| read(&resolver, "db"));
    for value in futures::future::join_all(reads).await {
        assert_eq!(value.expect("read"), "value-1234");
    }
    assert_eq!(source.gets(), 2);
}

#[tokio::test]
async fn refresh_ahead_probes_and_reads_the_value_only_when_the_version_changed() {
    let source = FakeSource::new(true);
    source.put("db", "old-value-1");
    let options = CacheOptions { refresh_ahead: Duration::from_millis(300), ..short_cache(Duration::from_millis(600)) };
    let resolver = resolver(&source, options);
    assert_eq!(read(&resolver, "db").await.expect("read"), "old-value-1");

    // In the refresh window, unchanged: one probe, no value read.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(read(&resolver, "db").await.expect("read"), "old-value-1");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!((source.describes(), source.gets()), (1, 1));

    // Rotated: the next probe sees a new version and reads the value, before the entry expires.
    source.put("db", "new-value-2");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(read(&resolver, "db").await.expect("read"), "old-value-1", "served while refreshing");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!((source.describes(), source.gets()), (2, 2));
    assert_eq!(read(&resolver, "db").await.expect("read"), "new-value-2");
    assert_eq!(source.gets(), 2, "the refreshed entry is served from the cache");
}

#[tokio::test]
async fn without_probe_refresh_ahead_reads_the_value() {
    let source = FakeSource::new(false);
    source.put("db", "old-value-1");
    let options = CacheOptions { refresh_ahead: Duration::from_millis(300), ..short_cache(Duration::from_millis(600)) };
    let resolver = resolver(&source, options);
    read(&resolver, "db").await.expect("read");
    source.put("db", "new-value-2");
    tokio::time::sleep(Duration::from_millis(350)).await;
    read(&resolver, "db").await.expect("read");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!((source.describes(), source.gets()), (0, 2));
    assert_eq!(read(&resolver, "db").await.expect("read"), "new-value-2");
}

#[tokio::test]
async fn stale_values_are_served_within_the_grace_period_when_the_backend_fails_transiently() {
    let source = FakeSource::new(false);
    source.put("db", "value-1234");
    let options = CacheOptions {
        stale_if_error: Duration::from_millis(800),
        error_ttl: Duration::from_millis(200),
        ..short_cache(Duration::from_millis(200))
    };
    let resolver = resolver(&source, options);
    read(&resolver, "db").await.expect("read");
    source.fail_with(Some(ProviderError::Unavailable("down".into())));
    tokio::time::sleep(Duration::from_millis(250)).await;

    assert_eq!(read(&resolver, "db").await.expect("stale"), "value-1234");
    assert_eq!(source.gets(), 2);
    assert_eq!(read(&resolver, "db").await.expect("stale"), "value-1234");
    assert_eq!(source.gets(), 2, "no new attempt during the back-off");
    assert_eq!(resolver.cached_secrets()[0].state, EntryState::Stale);

    // Past the grace period the failure shows.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let error = read(&resolver, "db").await.expect_err("grace over");
    assert!(matches!(error, keyway_resolve::SecretError::Backend { .. }), "{error}");
}

#[tokio::test]
async fn a_wrong_or_malformed_answer_never_evicts_a_good_value() {
    let source = FakeSource::new(false);
    source.put("db", "value-1234");
    let options = CacheOptions { stale_if_error: Duration::from_secs(30), ..short_cache(Duration::from_millis(100)) };
    let resolver = resolver(&source, options);
    read(&resolver, "db").await.expect("read");
    source.fail_with(Some(ProviderError::Other("AWS answered for secret 'other/db'; not served".into())));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(read(&resolver, "db").await.expect("the good value stays"), "value-1234");
    assert_eq!(resolver.cached_secrets()[0].state, EntryState::Stale);
}

#[tokio::test]
async fn permanent_failures_are_not_hidden_by_stale_values() {
    let source = FakeSource::new(false);
    source.put("db", "value-1234");
    let options = CacheOptions { stale_if_error: Duration::from_secs(30), ..short_cache(Duration::from_millis(100)) };
    let resolver = resolver(&source, options);
    read(&resolver, "db").await.expect("read");
    source.fail_with(Some(ProviderError::AccessDenied("revoked".into())));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(read(&resolver, "db").await.is_err());
}

#[tokio::test]
async fn not_found_is_remembered_briefly_and_cleared_by_invalidation() {
    let source = FakeSource::new(false);
    let options = CacheOptions { not_found_ttl: Duration::from_millis(300), ..short_cache(Duration::from_secs(60)) };
    let resolver = resolver(&source, options);
    assert!(read(&resolver, "db").await.expect_err("missing").is_not_found());
    assert!(read(&resolver, "db").await.expect_err("missing").is_not_found());
    assert_eq!(source.gets(), 1);
    assert_eq!(resolver.cached_secrets()[0].state, EntryState::NotFound);

    source.put("db", "value-1234");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(read(&resolver, "db").await.expect("found after the negative TTL"), "value-1234");

    source.remove("db");
    resolver.clear_cache(CacheScope::Secret { manager: "m".into(), name: "db".into() }).await.expect("clear");
    assert!(read(&resolver, "db").await.expect_err("gone").is_not_found());
    assert_eq!(source.gets(), 3);
}

#[tokio::test]
async fn a_secrets_own_expiry_cuts_its_freshness() {
    let source = FakeSource::new(false);
    source.put("db", "value-1234");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as u64;
    source.expire_at("db", now + 300);
    let resolver = resolver(&source, short_cache(Duration::from_secs(60)));
    read(&resolver, "db").await.expect("read");
    read(&resolver, "db").await.expect("read");
    assert_eq!(source.gets(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The cache asks the backend again once the secret's expiry has passed; the backend still says it is
    // expired, so the read is refused rather than served.
    let err = read(&resolver, "db").await.expect_err("expired");
    assert!(err.to_string().contains("expired at"), "{err}");
    assert_eq!(source.gets(), 2);
}

#[tokio::test]
async fn writes_and_clears_invalidate_at_once() {
    let source = FakeSource::new(false);
    source.put("db", "value-0001");
    source.put("api", "api-value-1");
    let resolver = resolver(&source, short_cache(Duration::from_secs(60)));
    let identity = Identity::default();
    read(&resolver, "db").await.expect("read");
    let old = resolver.get(&identity, "m", "db", &VersionSelector::Id("v1".into())).await.expect("pinned");
    assert_eq!(old.value().expose_text(), Some("value-0001"));

    // A write through keyway drops every selector of that name.
    let written = resolver
        .write(&identity, "m", "db", Operation::Update, || async {
            let version = source.put("db", "value-0002");
            Ok(SecretMetadata { version_id: Some(version), ..SecretMetadata::named("db") })
        })
        .await
        .expect("written");
    assert_eq!(written.version_id.as_deref(), Some("v3"));
    assert_eq!(resolver.cached_secrets().iter().filter(|entry| entry.name == "db").count(), 0);
    assert_eq!(read(&resolver, "db").await.expect("read"), "value-0002");

    read(&resolver, "api").await.expect("read");
    let before = source.gets();
    resolver.clear_cache(CacheScope::from_arg(Some("m"))).await.expect("clear manager");
    assert!(resolver.cached_secrets().is_empty());
    read(&resolver, "api").await.expect("read");
    resolver.clear_cache(CacheScope::from_arg(None)).await.expect("clear all");
    read(&resolver, "api").await.expect("read");
    assert_eq!(source.gets(), before + 2);
    assert!(resolver.clear_cache(CacheScope::Manager("nope".into())).await.is_err());
}

#[tokio::test]
async fn a_read_in_flight_during_an_invalidation_is_not_kept() {
    let source = FakeSource::new(false);
    source.put("db", "value-0001");
    source.set_delay(Duration::from_millis(300));
    let resolver = resolver(&source, short_cache(Duration::from_secs(60)));
    let in_flight = {
        let resolver = resolver.clone();
        tokio::spawn(async move { read(&resolver, "db").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    source.put("db", "value-0002");
    resolver.clear_cache(CacheScope::Secret { manager: "m".into(), name: "db".into() }).await.expect("clear");
    assert_eq!(in_flight.await.expect("task").expect("read"), "value-0001", "the read answers as of its start");
    assert_eq!(read(&resolver, "db").await.expect("read"), "value-0002", "the older read is not served");
    assert_eq!(source.gets(), 2);
}

#[tokio::test]
async fn operators_see_names_versions_and_hits_but_no_values() {
    let source = FakeSource::new(false);
    source.put("db", "very-secret-value");
    let resolver = resolver(&source, short_cache(Duration::from_secs(60)));
    for _ in 0..3 {
        read(&resolver, "db").await.expect("read");
    }
    let _ = read(&resolver, "missing").await;
    let entries = resolver.cached_secrets();
    assert_eq!(entries.len(), 2);
    let db = &entries[0];
    assert_eq!((db.manager.as_str(), db.name.as_str(), db.selector.as_str()), ("m", "db", "latest"));
    assert_eq!((db.version_id.as_deref(), db.state, db.hits), (Some("v1"), EntryState::Fresh, 2));
    assert!(db.expires_in > Duration::from_secs(50) && db.age < Duration::from_secs(5));
    let json = serde_json::to_string(&entries).expect("serializes");
    assert!(json.contains("\"age_ms\"") && json.contains("\"not-found\""), "{json}");
    assert!(!json.contains("very-secret-value") && !format!("{entries:?}").contains("very-secret-value"));
}

#[tokio::test]
async fn the_cache_never_grows_past_its_maximum() {
    let source = FakeSource::new(false);
    for i in 0..50 {
        source.put(&format!("s{i}"), "value-1234");
    }
    let options = CacheOptions { max_entries: 10, ..short_cache(Duration::from_secs(60)) };
    let resolver = resolver(&source, options);
    for i in 0..50 {
        read(&resolver, &format!("s{i}")).await.expect("read");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(resolver.cached_secrets().len() <= 10, "{} entries", resolver.cached_secrets().len());
}
