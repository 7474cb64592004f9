//! Leases: work one node of a fleet does for all of them (the scheduler of renewals, copies, approvals and
//! compliance). A node holds a lease until it expires and renews it well before; while it holds it no other
//! node gets it, and when it dies the lease lapses and the next node asking takes it over. One conditional
//! upsert decides, so two nodes asking at once never both hold a lease.
//!
//! Expiry is judged by the asking node's clock: a fleet's clocks must agree to well within a lease's lifetime
//! (NTP keeps them within milliseconds; leases last seconds).

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use std::time::Duration;

/// Who holds a lease, as the catalog says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// The holding node's id.
    pub holder: String,
    /// Since when it has held the lease without a break (ms since the epoch).
    pub acquired_at: i64,
    /// When the lease lapses unless renewed (ms since the epoch).
    pub expires_at: i64,
}

impl Catalog {
    /// Takes or renews the lease `name` for `holder` for `lifetime`: true when `holder` holds it now (it was
    /// free, had lapsed, or was already `holder`'s), false when another node holds it.
    pub async fn hold_lease(&self, name: &str, holder: &str, lifetime: Duration) -> Result<bool, CatalogError> {
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX));
        let upsert = "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
                      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
                      acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at \
                      ELSE excluded.acquired_at END \
                      WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at";
        let taken = with_pool!(self, pool => sqlx::query(upsert)
            .bind(name).bind(holder).bind(now).bind(until)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map_err(|source| self.query_error("hold a lease", source))?;
        Ok(taken == 1)
    }

    /// Gives up the lease `name` if `holder` holds it (a node shutting down), so another takes it at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CatalogError> {
        with_pool!(self, pool => sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name).bind(holder)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("release a lease", source))
    }

    /// Who holds the lease `name`, if anyone does and it has not lapsed.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<LeaseHolder>, CatalogError> {
        let select = "SELECT holder, acquired_at, expires_at FROM leases WHERE name = $1 AND expires_at > $2";
        let row: Option<(String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(select)
            .bind(name).bind(now_ms())
            .fetch_optional(pool).await)
        .map_err(|source| self.query_error("read a lease", source))?;
        Ok(row.map(|(holder, acquired_at, expires_at)| LeaseHolder { holder, acquired_at, expires_at }))
    }
}
