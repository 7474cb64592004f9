//! Coherent caches across a fleet: the nodes sharing one PostgreSQL catalog drop what any of them changed or
//! cleared, within a second, through PostgreSQL's `LISTEN`/`NOTIFY` (`keyway_catalog::notify`). On SQLite
//! nothing here runs: one node, one cache.
//!
//! - **Telling.** Every local invalidation is announced to the fleet before the call is acknowledged: writes,
//!   deletions and restorations through keyway ([`Keyway::write_announced`], which renewals, synchronised
//!   copies and applied approvals go through too) and operators' cache clears ([`Keyway::announce_cleared`]).
//!   One that cannot be sent fails the call, saying what was done; a node that listens sends it again as
//!   soon as it hears the fleet again.
//! - **Hearing.** [`Keyway::start_fleet`] runs the node's listener ([`FleetTask`], which `keyway serve`
//!   holds): it drops what other nodes announce (its own it dropped already).
//! - **Resynchronising.** Announcements are numbered by a fleet-wide counter. A node that was not listening
//!   (it started, or lost its connection) reads the counter once it listens again and drops its whole cache
//!   unless the counter is the last number it heard: it cannot tell what changed meanwhile, so nothing it
//!   holds is proven fresh. A gap in the numbers it hears, or a heartbeat that comes back with a number it
//!   has not heard, means the same. A heartbeat that does not come back in time means a connection that died
//!   silently: the node listens anew.
//! - **Cut off.** While a node does not hear the fleet it serves what its cache holds, within its bounds
//!   (freshness, stale-if-error), and refuses writes, which it could not tell the other nodes about.

mod verdict;

use super::{Keyway, Shared};
use crate::error::KeywayError;
use keyway_catalog::{Catalog, Heard, Invalidation, NodeId, Notice};
use keyway_resolve::{CacheScope, Identity, Resolver, WriteResult};
use keyway_types::{Operation, ProviderError};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use verdict::Verdict;

/// How often a listening node sends itself a heartbeat through the fleet's channel.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a heartbeat may take to come back before the connection is taken for dead.
const HEARTBEAT_DEADLINE: Duration = Duration::from_secs(5);
/// The first wait before listening again after a failure; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between attempts to listen again.
const RETRY_MAX: Duration = Duration::from_secs(2);
/// Announcements kept to send again, at most; more become one announcement of everything.
const MAX_UNSENT: usize = 256;

/// No number heard yet.
const NEVER: i64 = i64::MIN;

/// Whether the node hears the fleet: not known (it does not listen, or has not connected yet), or yes, or no.
const LINK_UNKNOWN: u8 = 0;
const LINK_UP: u8 = 1;
const LINK_DOWN: u8 = 2;

/// One node's part in the fleet: who it is, whether it hears the fleet, the last announcement number it
/// heard, and what it has yet to tell. Clones share it.
#[derive(Clone)]
pub(crate) struct Fleet {
    state: Arc<State>,
}

struct State {
    node: NodeId,
    /// Whether the listener was started ([`Keyway::start_fleet`]).
    started: AtomicBool,
    link: AtomicU8,
    heard: AtomicI64,
    unsent: Mutex<Vec<Invalidation>>,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            state: Arc::new(State {
                node: NodeId::generate(),
                started: AtomicBool::new(false),
                link: AtomicU8::new(LINK_UNKNOWN),
                heard: AtomicI64::new(NEVER),
                unsent: Mutex::new(Vec::new()),
            }),
        }
    }
}

/// Whether this node hears the fleet's cache invalidations: what `/v1/ready` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FleetLink {
    /// No fleet: keyway's records are on SQLite or disabled, or this node does not listen.
    Alone,
    /// The node has started listening and not yet heard the fleet.
    Connecting,
    /// The node hears the fleet: what others change or clear is dropped here within a second.
    Hearing,
    /// The node lost the fleet: it serves what it holds within its bounds and refuses writes until it hears
    /// the fleet again (and then drops what it cannot prove fresh).
    CutOff,
}

impl FleetLink {
    /// The name `/v1/ready` and logs use: `alone`, `connecting`, `hearing` or `cut-off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alone => "alone",
            Self::Connecting => "connecting",
            Self::Hearing => "hearing",
            Self::CutOff => "cut-off",
        }
    }
}

/// This node's listener on the fleet's invalidations, running until it is dropped.
#[derive(Debug)]
pub struct FleetTask {
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for FleetTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Keyway {
    /// Starts listening to the fleet's cache invalidations, when the catalog is PostgreSQL (`None` on SQLite,
    /// or with records disabled): what `keyway serve` runs for as long as it serves. Needs a Tokio runtime.
    pub fn start_fleet(&self) -> Option<FleetTask> {
        if !self.shared.records.shared_by_fleet() {
            return None;
        }
        self.fleet.state.started.store(true, Ordering::Release);
        let listening = listen(self.fleet.clone(), self.resolver.clone(), Arc::clone(&self.shared));
        Some(FleetTask { handle: tokio::spawn(listening) })
    }

    /// Whether this node hears the fleet (see [`FleetLink`]).
    pub fn fleet_link(&self) -> FleetLink {
        if !self.fleet.state.started.load(Ordering::Acquire) {
            return FleetLink::Alone;
        }
        match self.fleet.state.link.load(Ordering::Acquire) {
            LINK_UP => FleetLink::Hearing,
            LINK_DOWN => FleetLink::CutOff,
            _ => FleetLink::Connecting,
        }
    }

    /// [`Resolver::write`], then the secret's entries dropped on every node of the fleet: the one way keyway
    /// writes to a backend. Refused before anything is written while this node does not hear the fleet.
    pub(crate) async fn write_announced<T, F, Fut>(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
        operation: Operation,
        perform: F,
    ) -> Result<T, KeywayError>
    where
        T: WriteResult,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        if self.fleet.state.link.load(Ordering::Acquire) == LINK_DOWN {
            self.record_refusal(identity, operation_name(operation), "unavailable", manager, name).await;
            return Err(KeywayError::Catalog(
                "this node has lost keyway's catalog (PostgreSQL), which the fleet shares: writes are refused \
                 until it answers again, as the other nodes could not be told to drop their cached copies"
                    .into(),
            ));
        }
        let performed = AtomicBool::new(false);
        let perform = || {
            performed.store(true, Ordering::Relaxed);
            perform()
        };
        let result = self.resolver.write(identity, manager, name, operation, perform).await;
        if performed.load(Ordering::Relaxed) {
            let scope = Invalidation::Secret { manager: manager.to_owned(), name: name.to_owned() };
            let told = self.tell(scope, || format!("the {operation} of '{manager}/{name}' was made")).await;
            if let (Ok(_), Err(error)) = (&result, told) {
                return Err(error);
            }
        }
        result.map_err(KeywayError::from)
    }

    /// After this node's cache was cleared of `scope`: every other node's too.
    pub(crate) async fn announce_cleared(&self, scope: &CacheScope) -> Result<(), KeywayError> {
        let invalidation = match scope {
            CacheScope::All => Invalidation::All,
            CacheScope::Manager(manager) => Invalidation::Manager(manager.clone()),
            CacheScope::Secret { manager, name } => {
                Invalidation::Secret { manager: manager.clone(), name: name.clone() }
            }
        };
        self.tell(invalidation, || "this node's cache was cleared".to_owned()).await
    }

    /// Announces `scope` to the fleet (nothing to do without a PostgreSQL catalog). When it cannot be sent, it
    /// is kept to send again and the error says what was `done` and what follows.
    async fn tell(&self, scope: Invalidation, done: impl FnOnce() -> String) -> Result<(), KeywayError> {
        if !self.shared.records.shared_by_fleet() {
            return Ok(());
        }
        let told = match self.shared.records.catalog().await {
            Ok(Some(catalog)) => catalog.announce(&self.fleet.state.node, &scope).await.map_err(|err| err.to_string()),
            Ok(None) => return Ok(()),
            Err(err) => Err(err.to_string()),
        };
        let Err(reason) = told else {
            self.metrics().fleet_notification("sent");
            return Ok(());
        };
        self.metrics().fleet_notification("unsent");
        tracing::warn!(target: "keyway::fleet", error = %reason, "the fleet could not be told of dropped cache entries");
        let listening = self.fleet.state.link.load(Ordering::Acquire) != LINK_UNKNOWN;
        self.fleet.keep_unsent(scope);
        let then = if listening {
            "this node tells them as soon as keyway's catalog answers again"
        } else {
            "once keyway's catalog answers, `keyway cache clear` on a node of the fleet tells them"
        };
        Err(KeywayError::Catalog(format!(
            "{}, but the fleet's other nodes could not be told to drop their cached copies ({reason}); {then}, and \
             until then they serve what they hold within its cache expiry",
            done()
        )))
    }
}

impl Fleet {
    fn heard(&self) -> Option<i64> {
        Some(self.state.heard.load(Ordering::Acquire)).filter(|&seq| seq != NEVER)
    }

    fn keep_unsent(&self, scope: Invalidation) {
        let mut unsent = self.state.unsent.lock().unwrap_or_else(PoisonError::into_inner);
        unsent.push(scope);
        if unsent.len() > MAX_UNSENT {
            *unsent = vec![Invalidation::All];
        }
    }

    /// Sends what could not be sent before; what fails again is kept.
    async fn send_unsent(&self, catalog: &Catalog, shared: &Shared) -> Result<(), String> {
        let pending = std::mem::take(&mut *self.state.unsent.lock().unwrap_or_else(PoisonError::into_inner));
        for (sent, scope) in pending.iter().enumerate() {
            if let Err(err) = catalog.announce(&self.state.node, scope).await {
                let mut unsent = self.state.unsent.lock().unwrap_or_else(PoisonError::into_inner);
                let failed: Vec<Invalidation> = pending[sent..].iter().cloned().chain(unsent.drain(..)).collect();
                *unsent = failed;
                return Err(err.to_string());
            }
            shared.metrics.fleet_notification("sent");
        }
        if !pending.is_empty() {
            tracing::info!(target: "keyway::fleet", count = pending.len(), "told the fleet of invalidations it had missed");
        }
        Ok(())
    }

    /// After listening again: drops the whole cache unless `counter` is the last number heard.
    async fn catch_up(&self, counter: i64, resolver: &Resolver, shared: &Shared) {
        if verdict::on_listening(self.heard(), counter) == Verdict::Keep {
            shared.metrics.fleet_resync("current");
            tracing::info!(target: "keyway::fleet", seq = counter, "hearing the fleet again; no invalidation was missed");
        } else {
            drop_everything(resolver, shared, counter, self.heard()).await;
        }
        // The counter as it is now, even below what was heard before (a database restored from a backup): the
        // numbers heard from now on follow it.
        self.state.heard.store(counter, Ordering::Release);
    }

    /// An announcement: drops what it names (unless this node sent it), or everything when numbers were
    /// skipped.
    async fn apply(&self, notice: Notice, resolver: &Resolver, shared: &Shared) {
        match verdict::on_announcement(self.heard(), notice.seq, notice.origin == self.state.node) {
            Verdict::Everything => drop_everything(resolver, shared, notice.seq, self.heard()).await,
            Verdict::Keep => {}
            Verdict::Named => {
                shared.metrics.fleet_notification("received");
                let scope = match notice.scope {
                    Invalidation::Manager(manager) => CacheScope::Manager(manager),
                    Invalidation::Secret { manager, name } => CacheScope::Secret { manager, name },
                    _ => CacheScope::All,
                };
                // A manager this node does not configure has nothing cached here.
                let _ = resolver.clear_cache(scope).await;
            }
        }
        self.state.heard.fetch_max(notice.seq, Ordering::AcqRel);
    }
}

/// Drops the whole cache: this node missed announcements `heard + 1 ..= counter` (or heard none yet).
async fn drop_everything(resolver: &Resolver, shared: &Shared, counter: i64, heard: Option<i64>) {
    let _ = resolver.clear_cache(CacheScope::All).await;
    shared.metrics.fleet_resync("cleared");
    match heard {
        Some(heard) => tracing::info!(
            target: "keyway::fleet",
            seq = counter,
            missed = counter.saturating_sub(heard),
            "missed invalidations of the fleet: this node's cache was cleared"
        ),
        None => tracing::info!(
            target: "keyway::fleet",
            seq = counter,
            "hearing the fleet's invalidations; this node's cache was cleared to start from what is fresh"
        ),
    }
}

/// Drops the whole cache after a notification on the fleet's channel that this version cannot read.
async fn drop_on_unreadable(resolver: &Resolver, shared: &Shared) {
    let _ = resolver.clear_cache(CacheScope::All).await;
    shared.metrics.fleet_resync("cleared");
    tracing::info!(
        target: "keyway::fleet",
        "an unreadable notification on the fleet's channel: this node's cache was cleared"
    );
}

/// The listener: hears the fleet, and after every loss of its connection listens again and catches up.
async fn listen(fleet: Fleet, resolver: Resolver, shared: Arc<Shared>) {
    let mut wait = RETRY_FIRST;
    loop {
        let (connected, reason) = match shared.records.catalog().await {
            Ok(Some(catalog)) => hear(&fleet, &resolver, &shared, catalog).await,
            Ok(None) => return,
            Err(err) => (false, err.to_string()),
        };
        if connected {
            wait = RETRY_FIRST;
        }
        shared.metrics.fleet_connected(false);
        if fleet.state.link.swap(LINK_DOWN, Ordering::AcqRel) != LINK_DOWN {
            tracing::info!(
                target: "keyway::fleet",
                error = %reason,
                "no longer hearing the fleet's invalidations: serving cached values within their bounds and \
                 refusing writes until keyway's catalog answers again"
            );
        } else {
            tracing::debug!(target: "keyway::fleet", error = %reason, "keyway's catalog still does not answer");
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RETRY_MAX);
    }
}

/// Hears the fleet until the connection is lost: whether it was connected, and why it stopped.
async fn hear(fleet: &Fleet, resolver: &Resolver, shared: &Shared, catalog: &Catalog) -> (bool, String) {
    let node = &fleet.state.node;
    let mut ear = match catalog.listen(node).await {
        Ok(Some(ear)) => ear,
        Ok(None) => return (false, "the catalog is not shared by a fleet".into()),
        Err(err) => return (false, err.to_string()),
    };
    let counter = match tokio::time::timeout(HEARTBEAT_DEADLINE, catalog.invalidation_counter()).await {
        Ok(Ok(counter)) => counter,
        Ok(Err(err)) => return (false, err.to_string()),
        Err(_) => return (false, "the fleet's invalidation counter could not be read in time".into()),
    };
    fleet.catch_up(counter, resolver, shared).await;
    fleet.state.link.store(LINK_UP, Ordering::Release);
    shared.metrics.fleet_connected(true);
    if let Err(reason) = fleet.send_unsent(catalog, shared).await {
        return (true, reason);
    }
    let mut beats = tokio::time::interval(HEARTBEAT);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beat_sent: Option<Instant> = None;
    loop {
        tokio::select! {
            heard = ear.recv() => match heard {
                Ok(Heard::Announced(notice)) => fleet.apply(notice, resolver, shared).await,
                Ok(Heard::Heartbeat(counter)) => {
                    beat_sent = None;
                    if verdict::on_heartbeat(fleet.heard(), counter) == Verdict::Everything {
                        drop_everything(resolver, shared, counter, fleet.heard()).await;
                        fleet.state.heard.fetch_max(counter, Ordering::AcqRel);
                    }
                }
                Ok(Heard::Lost) => return (true, "the connection to keyway's catalog was lost".into()),
                // Not an announcement this version reads: nothing cached can be proven fresh.
                Ok(_) => drop_on_unreadable(resolver, shared).await,
                Err(err) => return (true, err.to_string()),
            },
            _ = beats.tick() => {
                if beat_sent.is_some_and(|sent| sent.elapsed() >= HEARTBEAT_DEADLINE) {
                    return (true, "a heartbeat did not come back through the fleet's channel in time".into());
                }
                if beat_sent.is_none() {
                    match tokio::time::timeout(HEARTBEAT_DEADLINE, catalog.heartbeat(node)).await {
                        Ok(Ok(())) => beat_sent = Some(Instant::now()),
                        Ok(Err(err)) => return (true, err.to_string()),
                        Err(_) => return (true, "a heartbeat could not be sent in time".into()),
                    }
                }
                if let Err(reason) = fleet.send_unsent(catalog, shared).await {
                    return (true, reason);
                }
            }
        }
    }
}

fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
        Operation::Restore => "restore",
        _ => "write",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_that_could_not_be_sent_are_kept_within_a_bound() {
        let fleet = Fleet::default();
        fleet.keep_unsent(Invalidation::Manager("aws".into()));
        assert_eq!(*fleet.state.unsent.lock().expect("unsent"), [Invalidation::Manager("aws".into())]);
        for n in 0..MAX_UNSENT {
            fleet.keep_unsent(Invalidation::Secret { manager: "aws".into(), name: format!("app/{n}") });
        }
        assert_eq!(*fleet.state.unsent.lock().expect("unsent"), [Invalidation::All], "too many: everything, once");
        assert_ne!(Fleet::default().state.node, fleet.state.node, "every node has an id of its own");
    }
}
