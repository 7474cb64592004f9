//! Per-secret lifecycle state: type, expiry, not-before and the latest
//! recorded version, kept current by every recorded version.

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::{NewVersion, SqlRow};
use serde::Serialize;

/// What the catalog knows of one secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretEntry {
    /// The manager holding it.
    pub manager: String,
    /// Its name.
    pub name: String,
    /// Its type, when known.
    pub secret_type: Option<String>,
    /// When it expires (ms since the epoch).
    pub expires_at: Option<i64>,
    /// When it becomes valid (ms since the epoch).
    pub not_before: Option<i64>,
    /// keyway's number of its latest recorded version.
    pub latest_version: i64,
    /// When keyway first recorded it.
    pub created_at: i64,
    /// When keyway last recorded a change.
    pub updated_at: i64,
}

const COLUMNS: &str = "manager, name, secret_type, expires_at, not_before, latest_version, created_at, updated_at";

fn entry(row: &impl SqlRow) -> Result<SecretEntry, sqlx::Error> {
    Ok(SecretEntry {
        manager: row.text("manager")?,
        name: row.text("name")?,
        secret_type: row.maybe_text("secret_type")?,
        expires_at: row.maybe_int("expires_at")?,
        not_before: row.maybe_int("not_before")?,
        latest_version: row.int("latest_version")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

impl Catalog {
    /// The catalog's record of a secret.
    pub async fn secret(&self, manager: &str, name: &str) -> Result<Option<SecretEntry>, CatalogError> {
        let query = format!("SELECT {COLUMNS} FROM secrets WHERE manager = $1 AND name = $2");
        with_pool!(self, pool => {
            let row = sqlx::query(&query).bind(manager).bind(name).fetch_optional(pool).await;
            row.and_then(|row| row.as_ref().map(entry).transpose())
        })
        .map_err(|source| self.query_error("read a secret's record", source))
    }

    /// Secrets that expire before `before` (ms since the epoch), soonest first; expired ones included.
    pub async fn expiring(&self, before: i64) -> Result<Vec<SecretEntry>, CatalogError> {
        let query = format!(
            "SELECT {COLUMNS} FROM secrets WHERE expires_at IS NOT NULL AND expires_at < $1 \
             ORDER BY expires_at LIMIT 10000"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(before).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read expiring secrets", source))
    }

    /// Forgets a secret's record and history (after the secret was deleted for good).
    pub async fn forget(&self, manager: &str, name: &str) -> Result<(), CatalogError> {
        for query in [
            "DELETE FROM versions WHERE manager = $1 AND name = $2",
            "DELETE FROM secrets WHERE manager = $1 AND name = $2",
        ] {
            with_pool!(self, pool => sqlx::query(query).bind(manager).bind(name).execute(pool).await.map(|done| done.rows_affected()))
                .map_err(|source| self.query_error("forget a secret", source))?;
        }
        Ok(())
    }

    /// Brings the secret's record up to a newly recorded version `number`.
    pub(crate) async fn touch_secret(&self, version: &NewVersion<'_>, number: i64) -> Result<(), CatalogError> {
        let upsert = "INSERT INTO secrets (manager, name, secret_type, expires_at, not_before, latest_version, \
                      created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                      ON CONFLICT (manager, name) DO UPDATE SET \
                      secret_type = COALESCE(excluded.secret_type, secrets.secret_type), \
                      expires_at = excluded.expires_at, not_before = excluded.not_before, \
                      latest_version = CASE WHEN excluded.latest_version > secrets.latest_version \
                                       THEN excluded.latest_version ELSE secrets.latest_version END, \
                      updated_at = excluded.updated_at";
        with_pool!(self, pool => sqlx::query(upsert)
            .bind(version.manager).bind(version.name).bind(version.secret_type)
            .bind(version.expires_at).bind(version.not_before).bind(number).bind(now_ms())
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("record a secret", source))
    }
}
