//! Write options a backend cannot keep, refused by name before anything is written: a secret's tags, its
//! description, its expiry, … asked of a backend that has no such thing must fail, not be dropped.
//!
//! ```
//! use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
//! use keyway_plugin_sdk::{ErrorKind, WriteOptions};
//!
//! const UNKEPT: UnkeptOptions = UnkeptOptions::new(
//!     "Acme Vault",
//!     &[(WriteOption::Tags, "its secrets have no tags"), (WriteOption::Expiry, "its secrets never expire")],
//! );
//!
//! let tagged = WriteOptions { tags: [("team".into(), "data".into())].into(), ..WriteOptions::default() };
//! let refused = UNKEPT.check_create(&tagged).err();
//! assert_eq!(refused.as_ref().map(|e| e.kind()), Some(ErrorKind::Unsupported));
//! assert_eq!(
//!     refused.as_ref().map(|e| e.message()),
//!     Some("Acme Vault cannot keep the write option 'tags': its secrets have no tags")
//! );
//! assert!(UNKEPT.check_create(&WriteOptions::default()).is_ok());
//! ```

use keyway_types::{ProviderError, UpdateRequest, WriteOptions};

/// An option of `create` or `update` that a backend may be unable to keep.
///
/// ```
/// use keyway_plugin_sdk::write_options::WriteOption;
///
/// assert_eq!(WriteOption::KmsKey.name(), "kms-key-id");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOption {
    /// Tags: `tags` of a create, `set_tags` and `remove_tags` of an update.
    Tags,
    /// A description.
    Description,
    /// An expiry (`expires_at`).
    Expiry,
    /// A secret type (`secret_type`, only a create has one).
    SecretType,
    /// An encryption key of the caller's choice (`kms_key_id`).
    KmsKey,
    /// Disabling the secret (`enabled: false` of an update).
    Disabling,
}

impl WriteOption {
    /// The option's name in the plugin contract: `tags`, `description`, `expires-at`, `secret-type`,
    /// `kms-key-id`, `enabled`.
    ///
    /// ```
    /// # use keyway_plugin_sdk::write_options::WriteOption;
    /// assert_eq!(WriteOption::Expiry.name(), "expires-at");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Tags => "tags",
            Self::Description => "description",
            Self::Expiry => "expires-at",
            Self::SecretType => "secret-type",
            Self::KmsKey => "kms-key-id",
            Self::Disabling => "enabled",
        }
    }

    /// Whether the options of a `create` ask for this.
    ///
    /// ```
    /// use keyway_plugin_sdk::{write_options::WriteOption, WriteOptions};
    ///
    /// let options = WriteOptions { description: Some("orders database".into()), ..WriteOptions::default() };
    /// assert!(WriteOption::Description.in_create(&options));
    /// assert!(!WriteOption::Tags.in_create(&options));
    /// ```
    pub fn in_create(self, options: &WriteOptions) -> bool {
        match self {
            Self::Tags => !options.tags.is_empty(),
            Self::Description => options.description.is_some(),
            Self::Expiry => options.expires_at.is_some(),
            Self::SecretType => options.secret_type.is_some(),
            Self::KmsKey => options.kms_key_id.is_some(),
            Self::Disabling => false,
        }
    }

    /// Whether an `update` asks for this.
    ///
    /// ```
    /// use keyway_plugin_sdk::{write_options::WriteOption, UpdateRequest};
    ///
    /// let request = UpdateRequest { remove_tags: vec!["team".into()], ..UpdateRequest::default() };
    /// assert!(WriteOption::Tags.in_update(&request));
    /// let disable = UpdateRequest { enabled: Some(false), ..UpdateRequest::default() };
    /// assert!(WriteOption::Disabling.in_update(&disable));
    /// ```
    pub fn in_update(self, request: &UpdateRequest) -> bool {
        match self {
            Self::Tags => !request.set_tags.is_empty() || !request.remove_tags.is_empty(),
            Self::Description => request.description.is_some(),
            Self::Expiry => request.expires_at.is_some(),
            Self::SecretType => false,
            Self::KmsKey => request.kms_key_id.is_some(),
            Self::Disabling => request.enabled == Some(false),
        }
    }
}

/// How a write asking for an option the backend cannot keep is refused.
///
/// ```
/// use keyway_plugin_sdk::write_options::Refusal;
///
/// assert_ne!(Refusal::Unsupported, Refusal::InvalidArgument);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `unsupported`: the backend has no such thing. The usual answer.
    Unsupported,
    /// `invalid-argument`: for a plugin whose callers already rely on this kind for these refusals.
    InvalidArgument,
}

/// The write options a backend cannot keep, each with the reason a caller is told, checked before a write.
/// Declare it once as a constant of your plugin.
///
/// ```
/// use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
/// use keyway_plugin_sdk::{ErrorKind, UpdateRequest};
///
/// const UNKEPT: UnkeptOptions = UnkeptOptions::new(
///     "Vault",
///     &[(WriteOption::KmsKey, "Vault encrypts every secret with its own barrier key")],
/// );
/// let request = UpdateRequest { kms_key_id: Some("alias/app".into()), ..UpdateRequest::default() };
/// assert_eq!(UNKEPT.check_update(&request).err().map(|e| e.kind()), Some(ErrorKind::Unsupported));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct UnkeptOptions {
    backend: &'static str,
    lacks: &'static [(WriteOption, &'static str)],
    refusal: Refusal,
}

impl UnkeptOptions {
    /// The options `lacks` (each with why) that `backend` cannot keep; writes asking for them are refused
    /// as `unsupported`.
    ///
    /// ```
    /// use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
    ///
    /// const UNKEPT: UnkeptOptions = UnkeptOptions::new("Acme Vault", &[(WriteOption::Tags, "its secrets have no tags")]);
    /// # let _ = UNKEPT;
    /// ```
    pub const fn new(backend: &'static str, lacks: &'static [(WriteOption, &'static str)]) -> Self {
        Self { backend, lacks, refusal: Refusal::Unsupported }
    }

    /// The same options, refused as `refusal` instead.
    ///
    /// ```
    /// use keyway_plugin_sdk::write_options::{Refusal, UnkeptOptions, WriteOption};
    /// use keyway_plugin_sdk::{ErrorKind, WriteOptions};
    ///
    /// const UNKEPT: UnkeptOptions = UnkeptOptions::new("Conjur", &[(WriteOption::Expiry, "Conjur's rotators set it")])
    ///     .refused_as(Refusal::InvalidArgument);
    /// let expiring = WriteOptions { expires_at: Some(4_102_444_800_000), ..WriteOptions::default() };
    /// assert_eq!(UNKEPT.check_create(&expiring).err().map(|e| e.kind()), Some(ErrorKind::InvalidArgument));
    /// ```
    pub const fn refused_as(self, refusal: Refusal) -> Self {
        Self { refusal, ..self }
    }

    /// Refuses a `create` whose options ask for one of the options, naming the first.
    ///
    /// ```
    /// use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
    /// use keyway_plugin_sdk::WriteOptions;
    ///
    /// const UNKEPT: UnkeptOptions = UnkeptOptions::new("Acme Vault", &[(WriteOption::SecretType, "it keeps text")]);
    /// let typed = WriteOptions { secret_type: Some("certificate".into()), ..WriteOptions::default() };
    /// assert!(UNKEPT.check_create(&typed).is_err_and(|e| e.message().contains("'secret-type'")));
    /// ```
    pub fn check_create(&self, options: &WriteOptions) -> Result<(), ProviderError> {
        self.check(|option| option.in_create(options))
    }

    /// Refuses an `update` that asks for one of the options, naming the first.
    ///
    /// ```
    /// use keyway_plugin_sdk::write_options::{UnkeptOptions, WriteOption};
    /// use keyway_plugin_sdk::UpdateRequest;
    ///
    /// const UNKEPT: UnkeptOptions =
    ///     UnkeptOptions::new("Secret Server", &[(WriteOption::Disabling, "delete the secret to deactivate it")]);
    /// assert!(UNKEPT.check_update(&UpdateRequest { enabled: Some(true), ..UpdateRequest::default() }).is_ok());
    /// assert!(UNKEPT.check_update(&UpdateRequest { enabled: Some(false), ..UpdateRequest::default() }).is_err());
    /// ```
    pub fn check_update(&self, request: &UpdateRequest) -> Result<(), ProviderError> {
        self.check(|option| option.in_update(request))
    }

    fn check(&self, asked: impl Fn(WriteOption) -> bool) -> Result<(), ProviderError> {
        let Some((option, reason)) = self.lacks.iter().find(|(option, _)| asked(*option)) else {
            return Ok(());
        };
        let message = format!("{} cannot keep the write option '{}': {reason}", self.backend, option.name());
        Err(match self.refusal {
            Refusal::Unsupported => ProviderError::Unsupported(message),
            Refusal::InvalidArgument => ProviderError::InvalidArgument(message),
        })
    }
}
