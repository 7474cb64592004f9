//! Version selectors of backends that number their versions 1, 2, 3, … and have no labels.

use keyway_types::{ProviderError, VersionSelector};

/// The version number `selector` asks for, `None` for the latest. An id that is not a number
/// from 1 is an invalid argument (`'v2' is not a Vault version: versions are numbers from 1`, with
/// `noun` = `Vault version`); a label is unsupported, with the message `no_labels` writes for it.
///
/// ```
/// use keyway_plugin_sdk::{versions::version_number, VersionSelector};
///
/// let number = |selector| version_number(&selector, "Acme version", |label| format!("Acme has no labels ('{label}')"));
/// assert_eq!(number(VersionSelector::Latest)?, None);
/// assert_eq!(number(VersionSelector::Id("3".into()))?, Some(3));
/// assert!(number(VersionSelector::Id("v3".into())).is_err()); // invalid argument
/// assert!(number(VersionSelector::Label("current".into())).is_err()); // unsupported
/// # Ok::<(), keyway_plugin_sdk::ProviderError>(())
/// ```
pub fn version_number(
    selector: &VersionSelector,
    noun: &str,
    no_labels: impl FnOnce(&str) -> String,
) -> Result<Option<u64>, ProviderError> {
    match selector {
        VersionSelector::Latest => Ok(None),
        VersionSelector::Id(id) => match id.trim().parse::<u64>() {
            Ok(version) if version > 0 => Ok(Some(version)),
            _ => Err(ProviderError::InvalidArgument(format!(
                "'{}' is not a {noun}: versions are numbers from 1",
                id.escape_debug()
            ))),
        },
        VersionSelector::Label(label) => Err(ProviderError::Unsupported(no_labels(label))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(selector: VersionSelector) -> Result<Option<u64>, ProviderError> {
        version_number(&selector, "Vault version", |label| format!("no labels, not even '{label}'"))
    }

    #[test]
    fn numbers_from_one() {
        assert_eq!(number(VersionSelector::Latest), Ok(None));
        assert_eq!(number(VersionSelector::Id(" 12 ".into())), Ok(Some(12)));
        for bad in ["0", "-1", "v2", "", "1.5"] {
            assert_eq!(
                number(VersionSelector::Id(bad.into())),
                Err(ProviderError::InvalidArgument(format!(
                    "'{bad}' is not a Vault version: versions are numbers from 1"
                ))),
            );
        }
        assert_eq!(
            number(VersionSelector::Label("prod".into())),
            Err(ProviderError::Unsupported("no labels, not even 'prod'".into()))
        );
    }
}
