//! keyway's metrics, in the OpenMetrics text format Prometheus scrapes: backend calls and their errors by
//! manager, operation and error kind with latency histograms, the cache's hits, misses, stale answers and
//! evictions per manager, plugin instances busy and idle, the audit writer's queue and failures, the
//! outcomes of renewals, synchronisation and approvals, and the fleet's cache invalidations. Label values are
//! manager names, operations and fixed words: never a secret's name or value.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub use prometheus_client;

/// A backend call's labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The manager.
    pub manager: String,
    /// `get`, `create`, `list`, …
    pub operation: &'static str,
}

/// A failed backend call's labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The manager.
    pub manager: String,
    /// The operation.
    pub operation: &'static str,
    /// The contract's error kind: `not-found`, `access-denied`, `unavailable`, …
    pub kind: &'static str,
}

/// One manager.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ManagerLabel {
    /// The manager.
    pub manager: String,
}

/// An outcome of keyway's own work.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// `ok`, `failed`, `synced`, `drift`, `requested`, `applied`, …
    pub outcome: &'static str,
}

fn latency() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The counters keyway keeps while it runs.
#[derive(Debug, Clone)]
pub struct Metrics {
    backend_calls: Family<CallLabels, Counter>,
    backend_errors: Family<ErrorLabels, Counter>,
    backend_seconds: Family<ManagerLabel, Histogram, fn() -> Histogram>,
    renewals: Family<OutcomeLabel, Counter>,
    sync_copies: Family<OutcomeLabel, Counter>,
    approvals: Family<OutcomeLabel, Counter>,
    fleet_notifications: Family<OutcomeLabel, Counter>,
    fleet_resyncs: Family<OutcomeLabel, Counter>,
    fleet_connected: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            backend_calls: Family::default(),
            backend_errors: Family::default(),
            backend_seconds: Family::new_with_constructor(latency),
            renewals: Family::default(),
            sync_copies: Family::default(),
            approvals: Family::default(),
            fleet_notifications: Family::default(),
            fleet_resyncs: Family::default(),
            fleet_connected: Gauge::default(),
        }
    }
}

/// What keyway reads off its parts when it is scraped.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Per manager: hits, misses, stale answers, evictions of its cache.
    pub cache: Vec<(String, keyway_resolve::CacheCounts)>,
    /// Per connected manager: busy and idle plugin instances.
    pub instances: Vec<(String, usize, usize)>,
    /// The audit writer.
    pub audit: keyway_resolve::AuditStats,
}

impl Metrics {
    /// Counts one backend call and how long it took; `error` is the contract kind of its failure.
    pub fn backend_call(&self, manager: &str, operation: &'static str, seconds: f64, error: Option<&'static str>) {
        let manager = manager.to_owned();
        self.backend_calls.get_or_create(&CallLabels { manager: manager.clone(), operation }).inc();
        self.backend_seconds.get_or_create(&ManagerLabel { manager: manager.clone() }).observe(seconds);
        if let Some(kind) = error {
            self.backend_errors.get_or_create(&ErrorLabels { manager, operation, kind }).inc();
        }
    }

    /// Counts a renewal's outcome (`ok`, `failed`).
    pub fn renewal(&self, outcome: &'static str) {
        self.renewals.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// Counts a synchronised copy's new state (`synced`, `failed`, `drift`, `deleted`).
    pub fn sync_copy(&self, state: &'static str) {
        self.sync_copies.get_or_create(&OutcomeLabel { outcome: state }).inc();
    }

    /// Counts an approval event (`requested`, `approved`, `rejected`, `applied`, `expired`).
    pub fn approval(&self, event: &'static str) {
        self.approvals.get_or_create(&OutcomeLabel { outcome: event }).inc();
    }

    /// Counts a fleet notification of dropped cache entries (`sent`, `unsent`: it could not be sent yet,
    /// `received`: heard from another node).
    pub fn fleet_notification(&self, event: &'static str) {
        self.fleet_notifications.get_or_create(&OutcomeLabel { outcome: event }).inc();
    }

    /// Counts a resynchronisation with the fleet after (re)connecting or a missed notification (`current`:
    /// nothing was missed, `cleared`: the cache was dropped).
    pub fn fleet_resync(&self, outcome: &'static str) {
        self.fleet_resyncs.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// Whether this node hears the fleet's notifications now.
    pub fn fleet_connected(&self, connected: bool) {
        self.fleet_connected.set(i64::from(connected));
    }

    /// Registers everything under `keyway_` in `registry`, with the values of `snapshot`.
    pub fn register(&self, registry: &mut Registry, snapshot: &Snapshot) {
        let keyway = registry.sub_registry_with_prefix("keyway");
        keyway.register("backend_calls", "Calls of secret backends through their plugins", self.backend_calls.clone());
        keyway.register("backend_errors", "Failed backend calls, by contract error kind", self.backend_errors.clone());
        keyway.register_with_unit(
            "backend_call_duration",
            "How long backend calls took",
            prometheus_client::registry::Unit::Seconds,
            self.backend_seconds.clone(),
        );
        keyway.register("renewals", "Renewals, by outcome", self.renewals.clone());
        keyway.register(
            "sync_copies",
            "Synchronised copies written or checked, by resulting state",
            self.sync_copies.clone(),
        );
        keyway.register("approvals", "Approval requests and decisions, by event", self.approvals.clone());
        keyway.register(
            "fleet_notifications",
            "Cache invalidations told to or heard from the fleet, by event",
            self.fleet_notifications.clone(),
        );
        keyway.register(
            "fleet_resyncs",
            "Resynchronisations with the fleet's invalidations",
            self.fleet_resyncs.clone(),
        );
        keyway.register(
            "fleet_connected",
            "1 while this node hears the fleet's invalidations (a PostgreSQL catalog)",
            self.fleet_connected.clone(),
        );
        let counter = |pick: fn(&keyway_resolve::CacheCounts) -> u64| {
            let family = Family::<ManagerLabel, Counter>::default();
            for (manager, counts) in &snapshot.cache {
                family.get_or_create(&ManagerLabel { manager: manager.clone() }).inc_by(pick(counts));
            }
            family
        };
        keyway.register("cache_hits", "Reads served from the cache", counter(|c| c.hits));
        keyway.register("cache_misses", "Reads that went to the backend", counter(|c| c.misses));
        keyway.register("cache_stale", "Stale entries served while the backend failed", counter(|c| c.stale));
        keyway.register(
            "cache_evictions",
            "Entries dropped to keep the cache within its size",
            counter(|c| c.evictions),
        );
        let (busy, idle) = (Family::<ManagerLabel, Gauge>::default(), Family::<ManagerLabel, Gauge>::default());
        for (manager, busy_now, idle_now) in &snapshot.instances {
            busy.get_or_create(&ManagerLabel { manager: manager.clone() }).set(*busy_now as i64);
            idle.get_or_create(&ManagerLabel { manager: manager.clone() }).set(*idle_now as i64);
        }
        keyway.register("plugin_instances_busy", "Plugin instances running a call", busy);
        keyway.register("plugin_instances_idle", "Warm plugin instances waiting for a call", idle);
        let queued = Gauge::<i64>::default();
        queued.set(i64::try_from(snapshot.audit.queued).unwrap_or(i64::MAX));
        keyway.register("audit_queue", "Calls whose audit records wait to be written", queued);
        let failures = Counter::<u64>::default();
        failures.inc_by(snapshot.audit.failures);
        keyway.register("audit_write_failures", "Failed writes of the audit file", failures);
    }
}
