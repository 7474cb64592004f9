//! Synchronised copies: for each secret of a profile with sync managers, the state of its copy in each of
//! them — `synced` (equal fingerprints), `pending`, `failed` (tried again at `next_attempt_at`), `drift` (the
//! copy or the source changed outside keyway), `deleted` (the source was deleted and so was the copy).

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::SqlRow;
use serde::Serialize;

/// Where a synchronised copy stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncTarget {
    /// The profile.
    pub profile: String,
    /// The secret's name.
    pub name: String,
    /// The manager holding the copy.
    pub target: String,
    /// The manager holding the source.
    pub source: String,
    /// `synced`, `pending`, `failed`, `drift` or `deleted`.
    pub state: String,
    /// The copy's fingerprint when last written or checked.
    pub fingerprint: Option<String>,
    /// The source's fingerprint the copy should have.
    pub source_fingerprint: Option<String>,
    /// Failed attempts since the last success.
    pub attempts: i64,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When a failed copy is tried again (ms since the epoch).
    pub next_attempt_at: Option<i64>,
    /// When the state last changed (ms since the epoch).
    pub updated_at: i64,
}

/// A new state of one copy.
#[derive(Debug, Clone)]
pub struct SyncUpdate<'a> {
    /// The profile.
    pub profile: &'a str,
    /// The secret's name.
    pub name: &'a str,
    /// The manager holding the copy.
    pub target: &'a str,
    /// The manager holding the source.
    pub source: &'a str,
    /// The new state.
    pub state: &'a str,
    /// The copy's fingerprint, when known.
    pub fingerprint: Option<&'a str>,
    /// The source's fingerprint, when known.
    pub source_fingerprint: Option<&'a str>,
    /// What went wrong (a failed attempt: counted, and tried again at `next_attempt_at`).
    pub error: Option<&'a str>,
    /// When to try again.
    pub next_attempt_at: Option<i64>,
}

const COLUMNS: &str = "profile, name, target, source, state, fingerprint, source_fingerprint, attempts, last_error, \
                       next_attempt_at, updated_at";

fn entry(row: &impl SqlRow) -> Result<SyncTarget, sqlx::Error> {
    Ok(SyncTarget {
        profile: row.text("profile")?,
        name: row.text("name")?,
        target: row.text("target")?,
        source: row.text("source")?,
        state: row.text("state")?,
        fingerprint: row.maybe_text("fingerprint")?,
        source_fingerprint: row.maybe_text("source_fingerprint")?,
        attempts: row.int("attempts")?,
        last_error: row.maybe_text("last_error")?,
        next_attempt_at: row.maybe_int("next_attempt_at")?,
        updated_at: row.int("updated_at")?,
    })
}

impl Catalog {
    /// Records the state of one copy. A failure (`error`) counts an attempt; anything else starts the count
    /// again. Fingerprints left out keep their recorded values.
    pub async fn set_sync_state(&self, update: &SyncUpdate<'_>) -> Result<(), CatalogError> {
        let upsert =
            "INSERT INTO sync_targets (profile, name, target, source, state, fingerprint, source_fingerprint, \
                      attempts, last_error, next_attempt_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 IS NULL THEN 0 ELSE 1 END, $8, $9, $10) \
                      ON CONFLICT (profile, name, target) DO UPDATE SET source = excluded.source, \
                      state = excluded.state, \
                      fingerprint = COALESCE(excluded.fingerprint, sync_targets.fingerprint), \
                      source_fingerprint = COALESCE(excluded.source_fingerprint, sync_targets.source_fingerprint), \
                      attempts = CASE WHEN excluded.last_error IS NULL THEN 0 ELSE sync_targets.attempts + 1 END, \
                      last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at, \
                      updated_at = excluded.updated_at";
        with_pool!(self, pool => sqlx::query(upsert)
            .bind(update.profile).bind(update.name).bind(update.target).bind(update.source).bind(update.state)
            .bind(update.fingerprint).bind(update.source_fingerprint).bind(update.error)
            .bind(update.next_attempt_at).bind(now_ms())
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("record a synchronised copy", source))
    }

    /// Every copy of `profile` (all profiles when `None`), by profile, name and target.
    pub async fn sync_targets(&self, profile: Option<&str>) -> Result<Vec<SyncTarget>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM sync_targets WHERE ($1 IS NULL OR profile = $1) \
             ORDER BY profile, name, target LIMIT 100000"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(profile).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read synchronised copies", source))
    }

    /// The copies of one secret of `profile`.
    pub async fn sync_targets_of(&self, profile: &str, name: &str) -> Result<Vec<SyncTarget>, CatalogError> {
        let query = format!("SELECT {COLUMNS} FROM sync_targets WHERE profile = $1 AND name = $2 ORDER BY target");
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(profile).bind(name).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read synchronised copies", source))
    }

    /// The copies involving `manager`/`name`, as the copy or as the source: what a read of it can show drifted.
    pub async fn sync_targets_involving(&self, manager: &str, name: &str) -> Result<Vec<SyncTarget>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM sync_targets WHERE name = $2 AND (target = $1 OR source = $1) ORDER BY profile, target"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(manager).bind(name).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read synchronised copies", source))
    }

    /// Copies due for another attempt at `now`: pending or failed ones whose time has come, and drifted ones.
    pub async fn due_sync_targets(&self, now: i64, limit: i64) -> Result<Vec<SyncTarget>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM sync_targets WHERE (state IN ('pending', 'failed') \
             AND COALESCE(next_attempt_at, 0) <= $1) OR state = 'drift' ORDER BY updated_at LIMIT $2"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(now).bind(limit).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read synchronised copies", source))
    }

    /// Forgets one copy (its manager became the source, or the secret left the profile).
    pub async fn forget_sync_target(&self, profile: &str, name: &str, target: &str) -> Result<(), CatalogError> {
        with_pool!(self, pool => sqlx::query("DELETE FROM sync_targets WHERE profile = $1 AND name = $2 AND target = $3")
            .bind(profile).bind(name).bind(target)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("forget a synchronised copy", source))
    }
}
