//! Checks that a backend's answer is about what was asked. A proxy, a cache or a bug that answers a read with
//! another secret's (or another version's) valid response must not have that value served as the secret asked
//! for, nor have its absence taken for a missing secret: such an answer is refused with
//! [`not_served`], an `other` error a caller neither retries blindly nor caches as "not found".

use keyway_types::ProviderError;

/// How names compare on a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Exactly, byte for byte.
    Exact,
    /// Without regard to ASCII case (Key Vault, Secret Server, Password Safe).
    IgnoreCase,
}

impl Names {
    /// Whether `a` and `b` name the same thing.
    ///
    /// ```
    /// use keyway_plugin_sdk::answers::Names;
    ///
    /// assert!(Names::IgnoreCase.same("DB", "db"));
    /// assert!(!Names::Exact.same("DB", "db"));
    /// ```
    pub fn same(self, a: &str, b: &str) -> bool {
        match self {
            Self::Exact => a == b,
            Self::IgnoreCase => a.eq_ignore_ascii_case(b),
        }
    }
}

/// The refusal of an answer from `backend` ("Vault") about `answered` ("secret 'b'") to a request about
/// `asked` ("secret 'a'"). Never quote a value in either.
///
/// ```
/// use keyway_plugin_sdk::{answers::not_served, ErrorKind};
///
/// let error = not_served("Acme Vault", "version 2", "version 3");
/// assert_eq!(error.kind(), ErrorKind::Other);
/// assert_eq!(error.message(), "Acme Vault answered for version 2 when asked for version 3; the answer is not served");
/// ```
pub fn not_served(backend: &str, answered: &str, asked: &str) -> ProviderError {
    ProviderError::Other(format!("{backend} answered for {answered} when asked for {asked}; the answer is not served"))
}

/// Checks that an answer about a secret names `asked` (compared as `names` says); `answered` is the name the
/// answer carries, `None` when it carries none.
///
/// ```
/// use keyway_plugin_sdk::answers::{expect_name, Names};
///
/// #[derive(serde::Deserialize)]
/// struct Record {
///     name: String,
/// }
///
/// let record: Record = serde_json::from_str(r#"{"name": "db"}"#).expect("JSON");
/// assert!(expect_name("Acme Vault", "db", Some(&record.name), Names::Exact).is_ok());
/// assert!(expect_name("Acme Vault", "api-key", Some(&record.name), Names::Exact).is_err());
/// ```
pub fn expect_name(backend: &str, asked: &str, answered: Option<&str>, names: Names) -> Result<(), ProviderError> {
    match answered {
        Some(answered) if names.same(asked, answered) => Ok(()),
        Some(answered) => Err(not_served(backend, &format!("secret '{answered}'"), &format!("secret '{asked}'"))),
        None => Err(not_served(backend, "an unnamed secret", &format!("secret '{asked}'"))),
    }
}

/// The records of a search for the exact name `asked` that carry that name (per `name_of`). A search by exact
/// name answers records of that name or none; an answer holding records, none of them so named, answers
/// another search and is refused, rather than taken for "no such secret".
///
/// ```
/// use keyway_plugin_sdk::answers::{named, Names};
///
/// let records = vec![("DB".to_owned(), 7), ("db-old".to_owned(), 3)];
/// let found = named("Secret Server", "db", records, |(name, _)| name.as_str(), Names::IgnoreCase)?;
/// assert_eq!(found, [("DB".to_owned(), 7)]);
/// assert!(named("Secret Server", "db", vec!["api-key".to_owned()], String::as_str, Names::Exact).is_err());
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn named<T>(
    backend: &str,
    asked: &str,
    records: Vec<T>,
    name_of: impl Fn(&T) -> &str,
    names: Names,
) -> Result<Vec<T>, ProviderError> {
    if let Some(other) = records.first().filter(|_| !records.iter().any(|r| names.same(name_of(r), asked))) {
        return Err(not_served(backend, &format!("secret '{}'", name_of(other)), &format!("secret '{asked}'")));
    }
    Ok(records.into_iter().filter(|r| names.same(name_of(r), asked)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyway_types::ErrorKind;

    #[test]
    fn answers_about_another_secret_are_refused() {
        assert_eq!(expect_name("Doppler", "DB", Some("DB"), Names::Exact), Ok(()));
        assert_eq!(expect_name("Key Vault", "db", Some("DB"), Names::IgnoreCase), Ok(()));
        let err = expect_name("Doppler", "DB", Some("OTHER"), Names::Exact).expect_err("another secret");
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(
            err.message(),
            "Doppler answered for secret 'OTHER' when asked for secret 'DB'; the answer is not served"
        );
        assert!(expect_name("Doppler", "db", Some("DB"), Names::Exact).is_err());
        assert!(expect_name("Doppler", "DB", None, Names::Exact).is_err());
    }

    #[test]
    fn searches_answered_with_other_names_are_refused() {
        let search = |records: &[&str], names| {
            let records: Vec<String> = records.iter().map(|r| r.to_string()).collect();
            named("1Password", "db", records, String::as_str, names)
        };
        assert_eq!(search(&["db", "DB"], Names::Exact), Ok(vec!["db".to_owned()]));
        assert_eq!(search(&[], Names::Exact), Ok(vec![]));
        assert_eq!(search(&["DB"], Names::IgnoreCase), Ok(vec!["DB".to_owned()]));
        let err = search(&["other"], Names::Exact).expect_err("another search");
        assert!(err.message().contains("secret 'other' when asked for secret 'db'"), "{err}");
    }
}
