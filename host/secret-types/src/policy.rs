//! [`GeneratorPolicy`]: how renewal makes new values, read from keyway's configuration.
//!
//! Every part has defaults, so an empty policy (`{}`) is complete:
//!
//! ```yaml
//! password:    { length: 32, lower: 1, upper: 1, digits: 1, symbols: 1,
//!                symbol_set: "!#$%&()*+,-./:;<=>?@[]^_{|}~", exclude_ambiguous: true }
//! api_key:     { length: 40, alphabet: base62, prefix: "" }
//! secret_key:  { bytes: 32, encoding: base64 }     # absent: the previous key's length and encoding
//! private_key: { algorithm: ec-p256 }              # absent: the previous key's algorithm
//! key_value:   { fields: [] }                      # the fields renewal regenerates as passwords
//! ```

use crate::error::TypeError;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// Symbols a password may use by default: printable ASCII punctuation without quotes, backslash,
/// backtick and space, which break shell, JSON and connection-string quoting.
pub const DEFAULT_SYMBOLS: &str = "!#$%&()*+,-./:;<=>?@[]^_{|}~";
/// Characters left out when [`PasswordPolicy::exclude_ambiguous`] is set: easily misread.
pub const AMBIGUOUS: &str = "0Oo1lI|";
/// Password lengths a policy may ask for.
pub const PASSWORD_LENGTHS: RangeInclusive<usize> = 8..=1024;
/// The least randomness an API key must carry, in bits.
pub const API_KEY_MIN_BITS: f64 = 128.0;
/// The longest API key (random part) a policy may ask for.
pub const API_KEY_MAX_LENGTH: usize = 1024;
/// The longest API key prefix.
pub const API_KEY_MAX_PREFIX: usize = 64;

/// How renewal generates each type's values. Deserialized from keyway's configuration; fields
/// left out take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorPolicy {
    /// Passwords: `basic-auth`'s `password`, and the fields `key_value` names.
    pub password: PasswordPolicy,
    /// `api-key` values.
    pub api_key: ApiKeyPolicy,
    /// `secret-key` values.
    pub secret_key: SecretKeyPolicy,
    /// `private-key` values.
    pub private_key: PrivateKeyPolicy,
    /// Which fields of a `key-value` secret are regenerated.
    pub key_value: KeyValuePolicy,
}

impl GeneratorPolicy {
    /// Checks every part, as keyway does when it loads its configuration.
    ///
    /// # Errors
    /// [`TypeError::Policy`] naming the setting that is inconsistent.
    pub fn check(&self) -> Result<(), TypeError> {
        self.password.check()?;
        self.api_key.check()?;
        self.secret_key.check()?;
        self.key_value.check()
    }
}

/// A character class of passwords: whether it may be used, and how many characters of it at least.
///
/// Written as a number (allowed, with that minimum; `0`: allowed, not required) or a boolean
/// (`false`: never used; `true`: allowed, not required).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "ClassRuleRepr")]
pub struct ClassRule {
    /// Whether the class's characters may appear.
    pub allowed: bool,
    /// How many of them at least.
    pub min: usize,
}

impl ClassRule {
    /// Allowed, with at least `min` characters.
    pub const fn at_least(min: usize) -> Self {
        Self { allowed: true, min }
    }

    /// Never used.
    pub const fn excluded() -> Self {
        Self { allowed: false, min: 0 }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ClassRuleRepr {
    Min(usize),
    Allowed(bool),
}

impl From<ClassRuleRepr> for ClassRule {
    fn from(repr: ClassRuleRepr) -> Self {
        match repr {
            ClassRuleRepr::Min(min) => Self::at_least(min),
            ClassRuleRepr::Allowed(true) => Self::at_least(0),
            ClassRuleRepr::Allowed(false) => Self::excluded(),
        }
    }
}

/// How passwords are made: their length and character classes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Characters in all (default 32).
    pub length: usize,
    /// `a`–`z` (default: at least 1).
    pub lower: ClassRule,
    /// `A`–`Z` (default: at least 1).
    pub upper: ClassRule,
    /// `0`–`9` (default: at least 1).
    pub digits: ClassRule,
    /// Characters of `symbol_set` (default: at least 1).
    pub symbols: ClassRule,
    /// The symbols passwords may use: ASCII punctuation (default [`DEFAULT_SYMBOLS`]).
    pub symbol_set: String,
    /// Leave out [`AMBIGUOUS`] characters (default true).
    pub exclude_ambiguous: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: 32,
            lower: ClassRule::at_least(1),
            upper: ClassRule::at_least(1),
            digits: ClassRule::at_least(1),
            symbols: ClassRule::at_least(1),
            symbol_set: DEFAULT_SYMBOLS.to_owned(),
            exclude_ambiguous: true,
        }
    }
}

impl PasswordPolicy {
    /// The allowed classes as (name, alphabet, minimum), ambiguous characters removed if asked.
    pub(crate) fn classes(&self) -> Vec<(&'static str, Vec<u8>, usize)> {
        let keep = |byte: &u8| !(self.exclude_ambiguous && AMBIGUOUS.as_bytes().contains(byte));
        [
            ("lower", self.lower, (b'a'..=b'z').collect::<Vec<u8>>()),
            ("upper", self.upper, (b'A'..=b'Z').collect()),
            ("digits", self.digits, (b'0'..=b'9').collect()),
            ("symbols", self.symbols, self.symbol_set.bytes().collect()),
        ]
        .into_iter()
        .filter(|(_, rule, _)| rule.allowed)
        .map(|(name, rule, alphabet)| (name, alphabet.into_iter().filter(keep).collect(), rule.min))
        .collect()
    }

    /// Checks the length, the symbol set and that the minimums fit.
    ///
    /// # Errors
    /// [`TypeError::Policy`] naming the setting.
    pub fn check(&self) -> Result<(), TypeError> {
        if !PASSWORD_LENGTHS.contains(&self.length) {
            return Err(policy(format!(
                "password.length is {}; use {} to {}",
                self.length,
                PASSWORD_LENGTHS.start(),
                PASSWORD_LENGTHS.end()
            )));
        }
        if !self.symbol_set.bytes().all(|byte| byte.is_ascii_punctuation()) {
            return Err(policy("password.symbol_set may hold only ASCII punctuation"));
        }
        if self.symbol_set.bytes().collect::<BTreeSet<u8>>().len() != self.symbol_set.len() {
            return Err(policy("password.symbol_set repeats a character"));
        }
        let classes = self.classes();
        if classes.is_empty() {
            return Err(policy("password: every character class is excluded"));
        }
        if let Some((name, _, _)) = classes.iter().find(|(_, alphabet, _)| alphabet.is_empty()) {
            return Err(policy(format!("password.{name} is allowed but has no characters left")));
        }
        let required: usize = classes.iter().map(|(_, _, min)| min).sum();
        if required > self.length {
            return Err(policy(format!(
                "password: the class minimums add up to {required}, more than password.length {}",
                self.length
            )));
        }
        Ok(())
    }
}

/// The characters an API key is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiKeyAlphabet {
    /// `0`–`9`, `A`–`Z`, `a`–`z` (default).
    #[default]
    Base62,
    /// `0`–`9`, `a`–`f`.
    Hex,
    /// RFC 4648 base32: `A`–`Z`, `2`–`7`.
    Base32,
    /// RFC 4648 base64url: `A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`.
    Base64url,
}

impl ApiKeyAlphabet {
    /// The alphabet's characters.
    pub fn characters(self) -> &'static [u8] {
        match self {
            Self::Base62 => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            Self::Hex => b"0123456789abcdef",
            Self::Base32 => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            Self::Base64url => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        }
    }
}

/// How API keys are made: a fixed prefix, then random characters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiKeyPolicy {
    /// Random characters after the prefix (default 40); they must carry at least 128 bits.
    pub length: usize,
    /// Their alphabet (default base62).
    pub alphabet: ApiKeyAlphabet,
    /// Text put before them, such as `kw_live_` (default none).
    pub prefix: String,
}

impl Default for ApiKeyPolicy {
    fn default() -> Self {
        Self { length: 40, alphabet: ApiKeyAlphabet::Base62, prefix: String::new() }
    }
}

impl ApiKeyPolicy {
    /// Checks the randomness, the length and the prefix.
    ///
    /// # Errors
    /// [`TypeError::Policy`] naming the setting.
    pub fn check(&self) -> Result<(), TypeError> {
        let symbols = self.alphabet.characters().len() as f64;
        let bits = self.length as f64 * symbols.log2();
        if bits < API_KEY_MIN_BITS {
            let needed = (API_KEY_MIN_BITS / symbols.log2()).ceil();
            return Err(policy(format!(
                "api_key.length {} carries {bits:.0} bits with this alphabet; use at least {needed} characters",
                self.length
            )));
        }
        if self.length > API_KEY_MAX_LENGTH {
            return Err(policy(format!("api_key.length is {}; the most is {API_KEY_MAX_LENGTH}", self.length)));
        }
        if self.prefix.chars().count() > API_KEY_MAX_PREFIX {
            return Err(policy(format!("api_key.prefix is longer than {API_KEY_MAX_PREFIX} characters")));
        }
        if self.prefix.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(policy("api_key.prefix may not hold whitespace or control characters"));
        }
        Ok(())
    }
}

/// How a secret key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKeyEncoding {
    /// Standard base64 with padding, as text.
    Base64,
    /// Lower-case hex, as text.
    Hex,
    /// The raw bytes, as a binary value.
    Binary,
}

/// How secret keys are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretKeyPolicy {
    /// Key length in bytes, 16 to 64; absent: the previous key's length, else 32.
    pub bytes: Option<usize>,
    /// How the key is written; absent: as the previous key was, else base64.
    pub encoding: Option<SecretKeyEncoding>,
}

impl SecretKeyPolicy {
    /// Checks the length.
    ///
    /// # Errors
    /// [`TypeError::Policy`] when `bytes` is outside 16 to 64.
    pub fn check(&self) -> Result<(), TypeError> {
        let range = crate::validate::secret_key::KEY_BYTES;
        match self.bytes {
            Some(bytes) if !range.contains(&bytes) => {
                Err(policy(format!("secret_key.bytes is {bytes}; use {} to {}", range.start(), range.end())))
            }
            _ => Ok(()),
        }
    }
}

/// The private keys renewal can make, written as PKCS#8 PEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum KeyAlgorithm {
    /// RSA, 2048-bit modulus.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// RSA, 3072-bit modulus.
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    /// RSA, 4096-bit modulus.
    #[serde(rename = "rsa-4096")]
    Rsa4096,
    /// ECDSA/ECDH on NIST P-256.
    #[serde(rename = "ec-p256")]
    EcP256,
    /// ECDSA/ECDH on NIST P-384.
    #[serde(rename = "ec-p384")]
    EcP384,
    /// Ed25519.
    #[serde(rename = "ed25519")]
    Ed25519,
}

/// How private keys are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivateKeyPolicy {
    /// The algorithm; absent: the previous key's (an RSA key's size rounded up to 2048, 3072 or
    /// 4096 bits, at most 4096), else `ec-p256`.
    pub algorithm: Option<KeyAlgorithm>,
}

/// Which fields of a `key-value` secret renewal regenerates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyValuePolicy {
    /// Field names given new passwords; the others keep their values. Empty: nothing to generate.
    pub fields: Vec<String>,
}

impl KeyValuePolicy {
    /// Checks that the names are non-empty and distinct.
    ///
    /// # Errors
    /// [`TypeError::Policy`] naming the problem.
    pub fn check(&self) -> Result<(), TypeError> {
        if self.fields.iter().any(String::is_empty) {
            return Err(policy("key_value.fields holds an empty name"));
        }
        if self.fields.iter().collect::<BTreeSet<_>>().len() != self.fields.len() {
            return Err(policy("key_value.fields names a field twice"));
        }
        Ok(())
    }
}

fn policy(problem: impl Into<String>) -> TypeError {
    TypeError::Policy(problem.into())
}
