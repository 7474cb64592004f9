//! PKCS#12 (RFC 7292) in password-integrity mode, walked without the password.
//!
//! `PFX { version 3, authSafe ContentInfo(data), macData }`; the authSafe holds a sequence of
//! sections, each either plain `data` (its bags visible: usually the shrouded private key) or
//! `encryptedData`/`envelopedData` (its bags hidden: usually the certificates). The bags of plain
//! sections are counted; when any section is hidden, the counts are unknown and the store is
//! reported as encrypted. Bag attributes and the MAC are skipped, not decoded.

use super::{invalid, StoreContents};
use crate::error::TypeError;
use der::asn1::{AnyRef, ObjectIdentifier as Oid};
use der::{Decode, Sequence, Tag, Tagged};

const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
const ENCRYPTED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.3");

#[derive(Sequence)]
struct Pfx<'a> {
    version: u8,
    auth_safe: ContentInfo<'a>,
    mac_data: Option<AnyRef<'a>>,
}

#[derive(Sequence)]
struct ContentInfo<'a> {
    content_type: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    content: Option<AnyRef<'a>>,
}

#[derive(Sequence)]
struct SafeBag<'a> {
    bag_id: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: AnyRef<'a>,
    bag_attributes: Option<AnyRef<'a>>,
}

/// Walks a PKCS#12 file and counts what it shows without the password.
pub(super) fn read(bytes: &[u8]) -> Result<StoreContents, TypeError> {
    let pfx = Pfx::from_der(bytes).map_err(|_| {
        invalid(
            "the bytes are not a DER PKCS#12 file (one in BER, as some older tools write, is not read: \
             re-export it with `openssl pkcs12 -export`)",
        )
    })?;
    if pfx.version != 3 {
        return Err(invalid(format!("the PKCS#12 version is {}; only version 3 exists", pfx.version)));
    }
    if pfx.auth_safe.content_type == SIGNED_DATA {
        return Err(invalid("PKCS#12 files in public-key integrity mode (signed) are not supported"));
    }
    let sections = octets_of(&pfx.auth_safe)?;
    let sections = Vec::<ContentInfo<'_>>::from_der(sections)
        .map_err(|_| invalid("the PKCS#12 file's authenticated safe is not a sequence of sections"))?;
    let (mut bags, mut keys, mut certificates, mut hidden) = (0u32, 0u32, 0u32, 0u32);
    for section in &sections {
        let content_type = section.content_type;
        if content_type == DATA {
            let safe_bags = Vec::<SafeBag<'_>>::from_der(octets_of(section)?)
                .map_err(|_| invalid("a PKCS#12 section's bags are damaged"))?;
            for bag in &safe_bags {
                bags += 1;
                if bag.bag_id == KEY_BAG || bag.bag_id == SHROUDED_KEY_BAG {
                    keys += 1;
                } else if bag.bag_id == CERT_BAG {
                    certificates += 1;
                }
            }
        } else if content_type == ENCRYPTED_DATA || content_type == ENVELOPED_DATA {
            match section.content {
                Some(content) if content.tag() == Tag::Sequence => hidden += 1,
                _ => return Err(invalid("an encrypted PKCS#12 section is damaged")),
            }
        } else {
            return Err(invalid("a PKCS#12 section is neither data nor encrypted data"));
        }
    }
    let visible = |count: u32| (hidden == 0).then_some(count);
    Ok(StoreContents {
        format: "pkcs12",
        entries: visible(bags),
        private_keys: visible(keys),
        certificates: visible(certificates),
        encrypted: hidden > 0,
    })
}

/// The octets of a `data` ContentInfo.
fn octets_of<'a>(info: &ContentInfo<'a>) -> Result<&'a [u8], TypeError> {
    match info.content {
        Some(content) if info.content_type == DATA && content.tag() == Tag::OctetString => Ok(content.value()),
        _ => Err(invalid("a PKCS#12 section that should hold data does not")),
    }
}
