//! Java key stores, JKS (`FEEDFEED`) and JCEKS (`CECECECE`), as `keytool` writes them.
//!
//! Layout (big-endian): magic, version (1 or 2), entry count, then per entry a tag (1 private
//! key, 2 trusted certificate, 3 JCEKS secret key), the alias (`u16` length + modified UTF-8),
//! a timestamp (`u64`), and the entry's data; last, a 20-byte SHA-1 digest keyed by the store's
//! password (not verified: keyway has no password). No maintained Rust crate reads JKS without
//! the password, so this walk is written here; it only counts and never decrypts.
//!
//! A JCEKS secret-key entry is a serialized Java object without a length prefix: the walk stops
//! there, keeping the header's entry count but not the per-kind counts.

use super::{invalid, StoreContents};
use crate::error::TypeError;
use der::{asn1::AnyRef, Decode, Tagged};

const TAG_PRIVATE_KEY: u32 = 1;
const TAG_TRUSTED_CERT: u32 = 2;
const TAG_SECRET_KEY: u32 = 3;
/// The bytes every entry has at least: tag, alias length, timestamp.
const MIN_ENTRY: usize = 4 + 2 + 8;
const DIGEST_LEN: usize = 20;

/// Walks a JKS or JCEKS file (`format`) and counts its entries.
pub(super) fn read(bytes: &[u8], format: &'static str) -> Result<StoreContents, TypeError> {
    let mut reader = Reader { bytes, position: 4 };
    let version = reader.u32()?;
    if version != 1 && version != 2 {
        return Err(invalid(format!("the {format} version is {version}; versions 1 and 2 exist")));
    }
    let count = reader.u32()?;
    if usize::try_from(count).map_or(true, |count| count.saturating_mul(MIN_ENTRY) > reader.remaining()) {
        return Err(invalid(format!("the {format} header counts more entries than the file can hold")));
    }
    let mut contents =
        StoreContents { format, entries: Some(count), private_keys: Some(0), certificates: Some(0), encrypted: false };
    let (mut keys, mut certificates) = (0u32, 0u32);
    for index in 1..=count {
        let tag = reader.u32()?;
        reader.utf()?;
        reader.take(8)?;
        match tag {
            TAG_PRIVATE_KEY => {
                reader.der_block("private key", index)?;
                let chain = reader.u32()?;
                for _ in 0..chain {
                    reader.certificate(version, index)?;
                }
                keys += 1;
                certificates = certificates.saturating_add(chain);
            }
            TAG_TRUSTED_CERT => {
                reader.certificate(version, index)?;
                certificates += 1;
            }
            TAG_SECRET_KEY if format == "jceks" => {
                contents.private_keys = None;
                contents.certificates = None;
                return Ok(contents);
            }
            _ => return Err(invalid(format!("{format} entry number {index} has an unknown kind"))),
        }
    }
    if reader.remaining() != DIGEST_LEN {
        return Err(invalid(format!("the {format} file does not end with its 20-byte digest after the last entry")));
    }
    contents.private_keys = Some(keys);
    contents.certificates = Some(certificates);
    Ok(contents)
}

/// A cursor over the file that refuses to read past its end.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], TypeError> {
        if length > self.remaining() {
            return Err(invalid("the Java key store ends in the middle of an entry; the file is cut short"));
        }
        let taken = &self.bytes[self.position..self.position + length];
        self.position += length;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, TypeError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// Java's `writeUTF`: a `u16` length and that many bytes.
    fn utf(&mut self) -> Result<&'a [u8], TypeError> {
        let length = self.take(2)?;
        self.take(usize::from(u16::from_be_bytes([length[0], length[1]])))
    }

    /// A `u32` length and that many bytes, which must be one DER SEQUENCE.
    fn der_block(&mut self, what: &str, index: u32) -> Result<(), TypeError> {
        let length = self.u32()?;
        let block = self.take(usize::try_from(length).unwrap_or(usize::MAX))?;
        match AnyRef::from_der(block) {
            Ok(any) if any.tag() == der::Tag::Sequence => Ok(()),
            _ => Err(invalid(format!("the {what} of entry number {index} is not DER"))),
        }
    }

    /// A certificate: its type name (version 2 only), then its DER.
    fn certificate(&mut self, version: u32, index: u32) -> Result<(), TypeError> {
        if version == 2 {
            self.utf()?;
        }
        self.der_block("certificate", index)
    }
}
