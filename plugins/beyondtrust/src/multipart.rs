//! The `multipart/form-data` body of file secrets: a `secretmetadata` part (JSON) and a `files`
//! part with the file, as `POST …/secrets/file` and `PUT …/{id}/file` take them.

use zeroize::Zeroizing;

/// A form with the metadata and the file; returns the content type (with its boundary) and the body.
pub fn file_form(metadata: &serde_json::Value, file_name: &str, content: &[u8]) -> (String, Zeroizing<Vec<u8>>) {
    let metadata = metadata.to_string();
    let mut boundary = format!("keyway-boundary-{:016x}", keyway_plugin_sdk::time::now_ms());
    // The boundary must not occur in any part.
    while contains(content, boundary.as_bytes()) || metadata.contains(&boundary) {
        boundary.push('x');
    }
    let file_name = file_name.replace(['"', '\\', '\r', '\n'], "_");
    let mut body = Zeroizing::new(Vec::with_capacity(content.len() + metadata.len() + 400));
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"secretmetadata\"\r\n\
             Content-Type: application/json\r\n\r\n{metadata}\r\n--{boundary}\r\n\
             Content-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_has_both_parts_and_a_fresh_boundary() {
        let (content_type, body) = file_form(&serde_json::json!({"Title": "cert"}), "ce\"rt", b"\x00\xffdata");
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap_or_default().to_owned();
        assert!(!boundary.is_empty());
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"secretmetadata\"") && text.contains(r#"{"Title":"cert"}"#));
        assert!(text.contains("filename=\"ce_rt\""));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert!(contains(&body, b"\x00\xffdata"));
    }
}
