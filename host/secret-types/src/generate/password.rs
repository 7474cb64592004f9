//! Passwords: every required character class represented, the rest drawn from all allowed
//! classes, then shuffled so the required characters sit anywhere.

use crate::error::TypeError;
use crate::policy::PasswordPolicy;
use crate::random::OsRandom;
use zeroize::Zeroizing;

/// A new password under `policy`, which is checked first.
pub(super) fn password(policy: &PasswordPolicy) -> Result<Zeroizing<String>, TypeError> {
    policy.check()?;
    let classes = policy.classes();
    let everything: Vec<u8> = classes.iter().flat_map(|(_, alphabet, _)| alphabet.iter().copied()).collect();
    let mut random = OsRandom::new();
    let mut characters = Zeroizing::new(Vec::with_capacity(policy.length));
    for (_, alphabet, min) in &classes {
        for _ in 0..*min {
            characters.push(random.pick(alphabet)?);
        }
    }
    while characters.len() < policy.length {
        characters.push(random.pick(&everything)?);
    }
    random.shuffle(&mut characters)?;
    let bytes = std::mem::take(&mut *characters);
    String::from_utf8(bytes)
        .map(Zeroizing::new)
        .map_err(|_| TypeError::KeyGeneration("a password came out as invalid UTF-8".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ClassRule, AMBIGUOUS, DEFAULT_SYMBOLS};

    #[test]
    fn defaults_give_every_class() {
        for _ in 0..50 {
            let Ok(made) = password(&PasswordPolicy::default()) else { panic!("the default policy works") };
            assert_eq!(made.len(), 32);
            assert!(made.bytes().any(|b| b.is_ascii_lowercase()));
            assert!(made.bytes().any(|b| b.is_ascii_uppercase()));
            assert!(made.bytes().any(|b| b.is_ascii_digit()));
            assert!(made.bytes().any(|b| DEFAULT_SYMBOLS.as_bytes().contains(&b)));
            assert!(!made.bytes().any(|b| AMBIGUOUS.as_bytes().contains(&b)));
        }
    }

    #[test]
    fn minimums_and_exclusions_hold() {
        let policy = PasswordPolicy {
            length: 12,
            lower: ClassRule::excluded(),
            upper: ClassRule::at_least(0),
            digits: ClassRule::at_least(10),
            symbols: ClassRule::excluded(),
            ..PasswordPolicy::default()
        };
        let Ok(made) = password(&policy) else { panic!("the policy is consistent") };
        assert!(made.bytes().filter(u8::is_ascii_digit).count() >= 10);
        assert!(made.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    }

    #[test]
    fn inconsistent_policies_are_refused() {
        let too_short = PasswordPolicy { length: 3, ..PasswordPolicy::default() };
        assert!(password(&too_short).is_err());
        let minimums = PasswordPolicy { length: 8, digits: ClassRule::at_least(9), ..PasswordPolicy::default() };
        assert!(password(&minimums).is_err_and(|e| e.to_string().contains("add up to 12")));
        let only_ambiguous =
            PasswordPolicy { symbol_set: "|".to_owned(), exclude_ambiguous: true, ..PasswordPolicy::default() };
        assert!(password(&only_ambiguous).is_err_and(|e| e.to_string().contains("password.symbols")));
        let letters = PasswordPolicy { symbol_set: "a".to_owned(), ..PasswordPolicy::default() };
        assert!(password(&letters).is_err());
        let nothing = PasswordPolicy {
            lower: ClassRule::excluded(),
            upper: ClassRule::excluded(),
            digits: ClassRule::excluded(),
            symbols: ClassRule::excluded(),
            ..PasswordPolicy::default()
        };
        assert!(password(&nothing).is_err());
    }
}
