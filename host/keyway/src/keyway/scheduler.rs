//! One scheduler per fleet: renewals, repairs of copies, lapsed and approved requests and periodic compliance
//! reports run on the one node holding the `scheduler` lease in keyway's records, not on every node. The
//! holder renews the lease every [`LEASE_RENEW_EVERY`]; when it dies, the lease lapses after
//! [`LEASE_LIFETIME`] and the next node asking takes it over. A node that cannot renew in time (its records
//! are unreachable) stops scheduling before another node may start. Without records every node schedules its
//! own work, as a single node does.

use super::Keyway;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The lease's name in keyway's records.
const SCHEDULER_LEASE: &str = "scheduler";

/// How long a lease holds without renewal: the most time the fleet goes without a scheduler after its
/// holder dies (plus one [`LEASE_RENEW_EVERY`] for the next node to ask).
pub const LEASE_LIFETIME: Duration = Duration::from_secs(6);

/// How often a node takes or renews the lease: the holder renews well within [`LEASE_LIFETIME`].
pub const LEASE_RENEW_EVERY: Duration = Duration::from_secs(2);

/// This node's part in the fleet's scheduling.
#[derive(Debug)]
pub(crate) struct SchedulerLease {
    /// This node's id in the records: random per process, so a restarted node is a new holder.
    node: String,
    /// When this node last renewed the lease (`None`: it does not hold it).
    renewed_at: Mutex<Option<Instant>>,
}

impl Default for SchedulerLease {
    fn default() -> Self {
        let mut bytes = [0u8; 8];
        // A node id need not be secret, only distinct; the process id keeps it so if randomness fails.
        if getrandom::fill(&mut bytes).is_err() {
            bytes[..4].copy_from_slice(&std::process::id().to_be_bytes());
        }
        Self { node: format!("{}-{}", std::process::id(), hex::encode(bytes)), renewed_at: Mutex::new(None) }
    }
}

impl SchedulerLease {
    /// This node's id.
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    fn set(&self, held: Option<Instant>) -> bool {
        let mut renewed_at = self.renewed_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let was = renewed_at.is_some();
        *renewed_at = held;
        was
    }
}

impl Keyway {
    /// This node's id in keyway's records (the scheduler lease's holder when it holds it).
    pub fn node_id(&self) -> &str {
        &self.scheduler.node
    }

    /// Takes or renews the fleet's scheduler lease; true when this node runs the scheduled work now. `keyway
    /// serve` calls it every [`LEASE_RENEW_EVERY`]. Without records, true.
    pub async fn scheduler_turn(&self) -> bool {
        let asked_at = Instant::now();
        let catalog = match self.shared.records.catalog().await {
            Ok(Some(catalog)) => catalog,
            Ok(None) => {
                self.scheduler.set(Some(asked_at));
                return true;
            }
            Err(error) => {
                self.lost_lease(&error.to_string());
                return false;
            }
        };
        match catalog.hold_lease(SCHEDULER_LEASE, &self.scheduler.node, LEASE_LIFETIME).await {
            Ok(true) => {
                if !self.scheduler.set(Some(asked_at)) {
                    tracing::info!(target: "keyway::scheduler", node = %self.scheduler.node, "this node runs the fleet's scheduler");
                }
                true
            }
            Ok(false) => {
                if self.scheduler.set(None) {
                    tracing::info!(target: "keyway::scheduler", node = %self.scheduler.node, "another node runs the fleet's scheduler");
                }
                false
            }
            Err(error) => {
                self.lost_lease(&error.to_string());
                false
            }
        }
    }

    /// Whether this node runs the scheduled work now: it holds the lease, renewed recently enough that no
    /// other node can have taken it over (the lease's lifetime less one renewal interval, counted from when
    /// this node asked).
    pub fn is_scheduler(&self) -> bool {
        let renewed_at = self.scheduler.renewed_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        renewed_at.is_some_and(|at| at.elapsed() < LEASE_LIFETIME.saturating_sub(LEASE_RENEW_EVERY))
    }

    /// Gives the lease up (a node shutting down), so another node takes the scheduler over at its next ask.
    pub async fn release_scheduler(&self) {
        if !self.scheduler.set(None) {
            return;
        }
        if let Ok(Some(catalog)) = self.shared.records.catalog().await {
            if let Err(error) = catalog.release_lease(SCHEDULER_LEASE, &self.scheduler.node).await {
                tracing::warn!(target: "keyway::scheduler", error = %error, "cannot release the scheduler lease; it lapses by itself");
            }
        }
    }

    fn lost_lease(&self, error: &str) {
        if self.scheduler.set(None) {
            tracing::warn!(target: "keyway::scheduler", node = %self.scheduler.node, error, "keyway's records cannot be reached; this node stops scheduling until they can");
        }
    }
}
