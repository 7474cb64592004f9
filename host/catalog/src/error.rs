//! The catalog's errors. Messages name the database and what to do; never a value.

/// What went wrong with the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The database could not be opened, created or migrated.
    #[error("cannot open the catalog {location}: {message}")]
    Open {
        /// The database (a file, or a PostgreSQL URL without its password).
        location: String,
        /// What failed, and what to do.
        message: String,
    },
    /// The catalog key is malformed, or is not the key this catalog was created with.
    #[error("catalog key: {0}")]
    Key(String),
    /// A query failed.
    #[error("the catalog {location} failed to {action}: {source}")]
    Query {
        /// The database.
        location: String,
        /// What the catalog was doing, e.g. `record a version`.
        action: &'static str,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// Sealed data that does not open under the catalog key (changed, or sealed under another key).
    #[error("sealed catalog data does not open: it was changed, or sealed under another catalog key")]
    Sealed,
}
