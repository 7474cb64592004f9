//! PEM text: finds the blocks (text between them, such as OpenSSL's "Bag Attributes", is
//! ignored), requires exactly one private key, and hands its DER to the right reader.

use super::{der, invalid, openssh, KeyInfo};
use crate::error::TypeError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

/// One `-----BEGIN LABEL-----` … `-----END LABEL-----` block.
struct Block<'a> {
    label: &'a str,
    /// The block's text, boundaries included.
    text: &'a str,
}

/// What a PEM label says the block holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Content {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1,
    Sec1,
    OpenSsh,
    Dsa,
    /// `EC PARAMETERS`, which `openssl ecparam -genkey` writes before a SEC1 key.
    EcParameters,
    Other,
}

impl Content {
    fn of(label: &str) -> Self {
        match label {
            "PRIVATE KEY" => Self::Pkcs8,
            "ENCRYPTED PRIVATE KEY" => Self::EncryptedPkcs8,
            "RSA PRIVATE KEY" => Self::Pkcs1,
            "EC PRIVATE KEY" => Self::Sec1,
            "OPENSSH PRIVATE KEY" => Self::OpenSsh,
            "DSA PRIVATE KEY" => Self::Dsa,
            "EC PARAMETERS" => Self::EcParameters,
            _ => Self::Other,
        }
    }

    fn is_key(self) -> bool {
        !matches!(self, Self::EcParameters | Self::Other)
    }
}

/// Reads PEM text holding one private key.
pub(super) fn read(text: &str) -> Result<KeyInfo, TypeError> {
    let blocks = blocks(text)?;
    let keys: Vec<&Block<'_>> = blocks.iter().filter(|block| Content::of(block.label).is_key()).collect();
    let others = blocks.iter().filter(|block| Content::of(block.label) == Content::Other).count();
    let key = match keys.as_slice() {
        [key] => *key,
        [] => return Err(invalid("the PEM holds no private key block (a certificate or a public key?)")),
        many => {
            return Err(invalid(format!("the PEM holds {} private keys; store one key per secret", many.len())));
        }
    };
    if others > 0 {
        return Err(invalid(format!(
            "the PEM holds {others} other block(s) besides the private key (certificates?); store the key alone, \
             or the bundle as generic"
        )));
    }
    let content = Content::of(key.label);
    if content == Content::OpenSsh {
        return openssh::read(key.text);
    }
    if content == Content::Dsa {
        return Err(invalid("DSA keys are not supported (RSA, EC P-256/P-384 and Ed25519 are); store it as generic"));
    }
    if key.text.contains("Proc-Type:") {
        return legacy_encrypted(key, content);
    }
    let der = decode(key)?;
    let (format, kind) = match content {
        Content::Pkcs8 => ("pkcs8", Some(der::pkcs8(&der)?)),
        Content::EncryptedPkcs8 => {
            der::encrypted_pkcs8(&der)?;
            ("pkcs8", None)
        }
        Content::Pkcs1 => ("pkcs1", Some(der::rsa(&der)?)),
        _ => ("sec1", Some(der::sec1(&der)?)),
    };
    Ok(KeyInfo { format, encoding: "pem", kind, encrypted: kind.is_none() })
}

/// The blocks of `text`, in order.
fn blocks(text: &str) -> Result<Vec<Block<'_>>, TypeError> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let from_begin = &rest[begin..];
        let label_end = from_begin[11..]
            .find("-----")
            .ok_or_else(|| invalid("a PEM `-----BEGIN` line is not closed by `-----`"))?;
        let label = &from_begin[11..11 + label_end];
        if label.contains(['\n', '\r']) {
            return Err(invalid("a PEM `-----BEGIN` line is not closed by `-----`"));
        }
        let end_line = format!("-----END {label}-----");
        let end = from_begin.find(&end_line).ok_or_else(|| invalid("a PEM block has no matching `-----END` line"))?;
        let block_end = end + end_line.len();
        blocks.push(Block { label, text: &from_begin[..block_end] });
        rest = &from_begin[block_end..];
    }
    Ok(blocks)
}

/// The DER inside a block, in a buffer sized once and wiped when dropped.
fn decode(block: &Block<'_>) -> Result<Zeroizing<Vec<u8>>, TypeError> {
    let bad = || invalid("the PEM block's base64 is damaged");
    let mut decoder = pem_rfc7468::Decoder::new_detect_wrap(block.text.as_bytes()).map_err(|_| bad())?;
    let mut der = Zeroizing::new(vec![0u8; decoder.remaining_len()]);
    decoder.decode(&mut der).map_err(|_| bad())?;
    if !decoder.is_finished() {
        return Err(bad());
    }
    Ok(der)
}

/// OpenSSL's legacy encryption (`Proc-Type: 4,ENCRYPTED` and `DEK-Info` headers over encrypted
/// PKCS#1 or SEC1): the headers and the base64 are checked; the key inside cannot be.
fn legacy_encrypted(block: &Block<'_>, content: Content) -> Result<KeyInfo, TypeError> {
    let format = match content {
        Content::Pkcs1 => "pkcs1",
        Content::Sec1 => "sec1",
        _ => return Err(invalid("only RSA and EC PEM keys may carry `Proc-Type` headers")),
    };
    let mut lines = block.text.lines().skip(1).map(str::trim_end);
    let proc_type = lines.next().unwrap_or_default();
    let dek_info = lines.next().unwrap_or_default();
    if proc_type != "Proc-Type: 4,ENCRYPTED" || !dek_info.starts_with("DEK-Info: ") {
        return Err(invalid("the PEM headers are not `Proc-Type: 4,ENCRYPTED` and `DEK-Info`"));
    }
    let body: Zeroizing<String> = Zeroizing::new(lines.take_while(|line| !line.starts_with("-----END ")).collect());
    let decoded = STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| invalid("the encrypted PEM's base64 is damaged"))?;
    if decoded.is_empty() {
        return Err(invalid("the encrypted PEM holds no data"));
    }
    Ok(KeyInfo { format, encoding: "pem", kind: None, encrypted: true })
}
