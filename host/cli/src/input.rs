//! Values, tags and dates from the command line.

use crate::cli::ValueArgs;
use anyhow::{bail, Context, Result};
use keyway::types::{SecretValue, Tags, Timestamp};
use keyway::KeywayError;
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// The value from the argument, `--file` or `--stdin`; `None` when none is given.
pub fn read_value(args: &ValueArgs) -> Result<Option<SecretValue>> {
    if let Some(username) = &args.username {
        return basic_auth(username, args).map(Some);
    }
    let bytes: Zeroizing<Vec<u8>> = if let Some(value) = &args.value {
        Zeroizing::new(value.as_bytes().to_vec())
    } else if let Some(path) = &args.file {
        Zeroizing::new(std::fs::read(path).with_context(|| format!("cannot read the value from {}", path.display()))?)
    } else if args.stdin {
        let mut buf = Zeroizing::new(Vec::new());
        std::io::stdin().read_to_end(&mut buf).context("cannot read the value from standard input")?;
        buf
    } else {
        return Ok(None);
    };
    if args.binary {
        return Ok(Some(SecretValue::binary(bytes.to_vec())));
    }
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Ok(Some(SecretValue::text(text))),
        Err(_) => {
            Err(KeywayError::InvalidInput("the value is not UTF-8 text; add --binary to store it as bytes".into())
                .into())
        }
    }
}

/// A basic-auth value: `{"username": …, "password": …}`, the password from the argument, a file or standard
/// input (one trailing line break dropped).
fn basic_auth(username: &str, args: &ValueArgs) -> Result<SecretValue> {
    let mut password = Zeroizing::new(if let Some(value) = &args.value {
        value.clone()
    } else if let Some(path) = &args.file {
        std::fs::read_to_string(path).with_context(|| format!("cannot read the password from {}", path.display()))?
    } else if args.stdin || args.password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
        text
    } else {
        return Err(KeywayError::InvalidInput(
            "--username needs a password: --password-stdin, --stdin, --file PATH or the argument".into(),
        )
        .into());
    });
    if password.ends_with('\n') {
        password.pop();
        if password.ends_with('\r') {
            password.pop();
        }
    }
    #[derive(serde::Serialize)]
    struct BasicAuth<'a> {
        username: &'a str,
        password: &'a str,
    }
    let document = Zeroizing::new(
        serde_json::to_string(&BasicAuth { username, password: &password })
            .context("cannot build the basic-auth value")?,
    );
    Ok(SecretValue::text(document.as_str()))
}

/// A value that must be present.
pub fn require_value(args: &ValueArgs) -> Result<SecretValue> {
    match read_value(args)? {
        Some(value) => Ok(value),
        None => Err(KeywayError::InvalidInput(
            "no value given: pass it as an argument, with --file PATH, or with --stdin".into(),
        )
        .into()),
    }
}

/// Tags from `KEY=VALUE` arguments.
pub fn parse_tags(tags: &[String]) -> Result<Tags> {
    tags.iter()
        .map(|tag| match tag.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(KeywayError::InvalidInput(format!("tag '{tag}' is not KEY=VALUE")).into()),
        })
        .collect()
}

/// An expiry: RFC 3339, or a duration from now such as `90d`.
pub fn parse_expiry(text: &str) -> Result<Timestamp> {
    let when = match humantime::parse_rfc3339_weak(text) {
        Ok(when) => when,
        Err(_) => match humantime::parse_duration(text) {
            Ok(duration) => SystemTime::now() + duration,
            Err(_) => bail!(KeywayError::InvalidInput(format!(
                "expiry '{text}' is neither an RFC 3339 date (2027-01-31T00:00:00Z) nor a duration (90d)"
            ))),
        },
    };
    Ok(when.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0))
}
