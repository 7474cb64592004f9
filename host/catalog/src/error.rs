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

impl CatalogError {
    /// Whether the database could not be reached (down, restarting, the connection lost or none to be had in
    /// time): retrying later can help. Other errors are the database refusing or failing the query.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Open { .. } => true,
            Self::Query { source, .. } => {
                matches!(
                    source,
                    sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
                ) || source.as_database_error().and_then(|error| error.code()).is_some_and(|code| {
                    // PostgreSQL's classes 08 (connection exception) and 57 (operator intervention: shutting
                    // down, restarting).
                    code.starts_with("08") || code.starts_with("57")
                })
            }
            Self::Key(_) | Self::Sealed => false,
        }
    }
}
