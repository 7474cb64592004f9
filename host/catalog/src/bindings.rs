//! Explicit bindings of secrets to profiles: a secret bound by `keyway bind`, or one whose source manager
//! was changed from its profile's. A secret bound by a profile's name pattern has no row here until its
//! source changes.

use crate::error::CatalogError;
use crate::now_ms;
use crate::pool::{with_pool, Catalog};
use crate::versions::SqlRow;
use serde::Serialize;

/// A secret bound to a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The profile.
    pub profile: String,
    /// The secret's name (the same in every manager of the profile).
    pub name: String,
    /// The manager holding the secret's source.
    pub source: String,
    /// Who bound it or changed its source.
    pub bound_by: Option<String>,
    /// When (ms since the epoch).
    pub bound_at: i64,
}

fn entry(row: &impl SqlRow) -> Result<Binding, sqlx::Error> {
    Ok(Binding {
        profile: row.text("profile")?,
        name: row.text("name")?,
        source: row.text("source")?,
        bound_by: row.maybe_text("bound_by")?,
        bound_at: row.int("bound_at")?,
    })
}

const COLUMNS: &str = "profile, name, source, bound_by, bound_at";

impl Catalog {
    /// Binds `name` to `profile` with `source` as its source manager (replacing an earlier binding to that
    /// profile, as a change of source does).
    pub async fn bind(&self, profile: &str, name: &str, source: &str, actor: Option<&str>) -> Result<(), CatalogError> {
        let upsert = "INSERT INTO bindings (profile, name, source, bound_by, bound_at) VALUES ($1, $2, $3, $4, $5) \
                      ON CONFLICT (profile, name) DO UPDATE SET source = excluded.source, \
                      bound_by = excluded.bound_by, bound_at = excluded.bound_at";
        with_pool!(self, pool => sqlx::query(upsert)
            .bind(profile).bind(name).bind(source).bind(actor).bind(now_ms())
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|_| ())
        .map_err(|source| self.query_error("bind a secret to a profile", source))
    }

    /// Removes the explicit binding of `name` to `profile`; whether there was one.
    pub async fn unbind(&self, profile: &str, name: &str) -> Result<bool, CatalogError> {
        with_pool!(self, pool => sqlx::query("DELETE FROM bindings WHERE profile = $1 AND name = $2")
            .bind(profile).bind(name)
            .execute(pool).await.map(|done| done.rows_affected()))
        .map(|removed| removed > 0)
        .map_err(|source| self.query_error("unbind a secret", source))
    }

    /// The explicit bindings of secrets named `name`, in any profile.
    pub async fn bindings_of(&self, name: &str) -> Result<Vec<Binding>, CatalogError> {
        let query = format!("SELECT {COLUMNS} FROM bindings WHERE name = $1 ORDER BY profile");
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(name).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read bindings", source))
    }

    /// Every explicit binding to `profile`.
    pub async fn bindings(&self, profile: &str) -> Result<Vec<Binding>, CatalogError> {
        let query = format!("SELECT {COLUMNS} FROM bindings WHERE profile = $1 ORDER BY name LIMIT 100000");
        with_pool!(self, pool => {
            let rows = sqlx::query(&query).bind(profile).fetch_all(pool).await;
            rows.and_then(|rows| rows.iter().map(entry).collect::<Result<Vec<_>, _>>())
        })
        .map_err(|source| self.query_error("read bindings", source))
    }
}
