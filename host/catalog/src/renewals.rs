//! Renewals in flight: a new value waiting, sealed under the catalog key, while a rotation hook sets and
//! tests it on the target system. If keyway stops half-way, the next run finds the value that may already
//! be set there and finishes with it instead of generating another. Wiped when promoted or abandoned.

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::SqlRow;
use keyway_types::SecretValue;
use zeroize::Zeroizing;

/// A renewal in flight.
#[derive(Debug)]
pub struct PendingRenewal {
    /// Where it is: `generated`, `set` (the hook set it on the target system) or `tested`.
    pub state: String,
    /// The new value (opened from its seal).
    pub value: SecretValue,
    /// Its type.
    pub secret_type: Option<String>,
    /// How many attempts were made.
    pub attempts: i64,
    /// When the renewal began (ms since the epoch).
    pub started_at: i64,
    /// When it last moved or failed (ms since the epoch).
    pub updated_at: i64,
}

fn aad(manager: &str, name: &str) -> Vec<u8> {
    format!("keyway-renewal\0{manager}\0{name}").into_bytes()
}

impl Catalog {
    /// Keeps `value` sealed as the pending renewal of a secret, in `state`.
    pub async fn put_pending_renewal(
        &self,
        manager: &str,
        name: &str,
        value: &SecretValue,
        secret_type: Option<&str>,
        state: &str,
    ) -> Result<(), CatalogError> {
        let sealed = self.key.seal_value(&aad(manager, name), value)?;
        let now = now_ms();
        let upsert = "INSERT INTO renewals (manager, name, state, sealed_value, secret_type, attempts, started_at, \
                      updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) \
                      ON CONFLICT (manager, name) DO UPDATE SET state = excluded.state, \
                      sealed_value = excluded.sealed_value, secret_type = excluded.secret_type, \
                      attempts = renewals.attempts + 1, updated_at = excluded.updated_at";
        with_pool!(self, pool => sqlx::query(upsert)
            .bind(manager).bind(name).bind(state).bind(&sealed).bind(secret_type).bind(now)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("keep a pending renewal", source))
    }

    /// Moves a pending renewal to `state`, noting `error` (a failed attempt) when there is one.
    pub async fn mark_pending_renewal(
        &self,
        manager: &str,
        name: &str,
        state: &str,
        error: Option<&str>,
    ) -> Result<(), CatalogError> {
        let update = "UPDATE renewals SET state = $3, last_error = $4, updated_at = $5, \
                      attempts = attempts + CASE WHEN $4 IS NULL THEN 0 ELSE 1 END WHERE manager = $1 AND name = $2";
        with_pool!(self, pool => sqlx::query(update)
            .bind(manager).bind(name).bind(state).bind(error).bind(now_ms())
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("update a pending renewal", source))
    }

    /// The pending renewal of a secret, opened.
    pub async fn pending_renewal(&self, manager: &str, name: &str) -> Result<Option<PendingRenewal>, CatalogError> {
        let query = "SELECT state, sealed_value, secret_type, attempts, started_at, updated_at FROM renewals \
                     WHERE manager = $1 AND name = $2";
        let row = with_pool!(self, pool => {
            let row = sqlx::query(query).bind(manager).bind(name).fetch_optional(pool).await;
            row.and_then(|row| {
                row.as_ref()
                    .map(|row| {
                        Ok((
                            row.text("state")?,
                            Zeroizing::new(row.text("sealed_value")?),
                            row.maybe_text("secret_type")?,
                            row.int("attempts")?,
                            row.int("started_at")?,
                            row.int("updated_at")?,
                        ))
                    })
                    .transpose()
            })
        })
        .map_err(|source| self.query_error("read a pending renewal", source))?;
        let Some((state, sealed, secret_type, attempts, started_at, updated_at)) = row else { return Ok(None) };
        let value = self.key.open_value(&aad(manager, name), &sealed)?;
        Ok(Some(PendingRenewal { state, value, secret_type, attempts, started_at, updated_at }))
    }

    /// Wipes the pending renewal of a secret (promoted or abandoned).
    pub async fn clear_pending_renewal(&self, manager: &str, name: &str) -> Result<(), CatalogError> {
        with_pool!(self, pool => sqlx::query("DELETE FROM renewals WHERE manager = $1 AND name = $2")
            .bind(manager).bind(name)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("wipe a pending renewal", source))
    }
}
