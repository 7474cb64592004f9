//! The door: checks every request before authentication, and marks every answer not to be stored.
//!
//! - `Host` must be the listen address (or `localhost` with its port on loopback) or a configured name, so a
//!   web page cannot reach the service through DNS rebinding (a Unix socket is out of browsers' reach).
//! - An `Origin` (sent by browsers) must be a configured one, or this service itself (its admin page); none
//!   else is by default. So is a `Sec-Fetch-Site` other than `same-origin` or `none`.
//! - Forwarding headers (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`) are refused: the service is not meant to
//!   sit behind a proxy that would make every caller look alike.
//! - A request with a body must say `Content-Type: application/json`, so a cross-site form or `text/plain`
//!   POST is never processed.
//! - Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.

use super::error::ApiError;
use super::listen::Peer;
use super::State;
use axum::extract::{Request, State as StateOf};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyway::Identity;
use std::sync::Arc;

/// Headers that say a proxy forwarded the request (names made at compile time: no parsing per request).
const FORWARDING: [HeaderName; 6] = [
    header::FORWARDED,
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("x-original-forwarded-for"),
];

/// `Sec-Fetch-Site`, which browsers send.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// What the door admits.
#[derive(Debug, Clone, Default)]
pub struct Door {
    /// `Host` values accepted; `None` on a Unix socket (no check).
    pub hosts: Option<Vec<String>>,
    /// Accepted `Origin` values.
    pub origins: Vec<String>,
    /// `http` or `https` on TCP: an `Origin` that is this service itself (scheme and the checked `Host`) is
    /// accepted, for its own admin page. `None` on a Unix socket.
    pub scheme: Option<&'static str>,
}

/// The middleware.
pub async fn check(StateOf(state): StateOf<Arc<State>>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<Peer>();
    if let Some(refusal) = refuse(&state, request.method(), request.headers(), peer).await {
        return refusal;
    }
    no_store(next.run(request).await)
}

/// The answer to a request the door refuses, audited and logged; `None` when it may come in.
pub async fn refuse(state: &State, method: &Method, headers: &HeaderMap, peer: Option<&Peer>) -> Option<Response> {
    let (refusal, outcome) = state.door.admit(method, headers).err()?;
    let peer = peer.map(|peer| peer.address.to_string());
    tracing::warn!(target: "keyway::serve", peer = peer.as_deref(), reason = %refusal.message(), "request refused at the door");
    let identity = Identity { peer, ..Identity::default() };
    state.keyway.record_refusal(&identity, "request", outcome, "", "").await;
    Some(no_store(refusal.into_response()))
}

/// Marks an answer not to be stored, nor sniffed for another content type.
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

impl Door {
    /// Checks one request; the refusal and its audit outcome.
    pub fn admit(&self, method: &Method, headers: &HeaderMap) -> Result<(), (ApiError, &'static str)> {
        if let Some(name) = FORWARDING.iter().find(|name| headers.contains_key(*name)) {
            return Err((
                ApiError::invalid(format!(
                    "header {name} is refused: keyway serve does not run behind a proxy; call it directly"
                )),
                "refused-forwarded",
            ));
        }
        if let Some(hosts) = &self.hosts {
            let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
            match host {
                Some(host) if super::listen::host_allowed(host, hosts) => {}
                Some(host) => {
                    return Err((
                        ApiError::new(
                            StatusCode::MISDIRECTED_REQUEST,
                            "wrong-host",
                            format!(
                                "Host '{}' is not this service; call it by its listen address, or add the name to \
                                 serve.hosts",
                                printable(host)
                            ),
                        ),
                        "refused-host",
                    ))
                }
                None => {
                    return Err((ApiError::invalid("the request has no Host header"), "refused-host"));
                }
            }
        }
        let origin = headers.get(header::ORIGIN).map(|value| value.to_str().unwrap_or("?"));
        // This service itself: its scheme and the (checked) Host.
        let own_origin = |origin: &str| match (self.scheme, self.hosts.as_ref(), headers.get(header::HOST)) {
            (Some(scheme), Some(_), Some(host)) => host
                .to_str()
                .is_ok_and(|host| origin.strip_prefix(scheme).and_then(|rest| rest.strip_prefix("://")) == Some(host)),
            _ => false,
        };
        let origin_allowed =
            origin.is_some_and(|origin| self.origins.iter().any(|allowed| allowed == origin) || own_origin(origin));
        if let Some(origin) = origin {
            if !origin_allowed {
                return Err((
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "wrong-origin",
                        format!("requests from origin '{}' are refused; allow it in serve.origins", printable(origin)),
                    ),
                    "refused-origin",
                ));
            }
        }
        let site = headers.get(SEC_FETCH_SITE).and_then(|value| value.to_str().ok());
        if site.is_some_and(|site| site != "same-origin" && site != "none") && !origin_allowed {
            return Err((
                ApiError::new(StatusCode::FORBIDDEN, "wrong-origin", "cross-site requests from browsers are refused"),
                "refused-origin",
            ));
        }
        let has_body = headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.to_str().map_or(true, |length| length.trim() != "0"))
            || headers.contains_key(header::TRANSFER_ENCODING);
        if has_body && matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
            let json = headers
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(';').next())
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
            if !json {
                return Err((
                    ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "wrong-content-type",
                        "a request body must be JSON, sent with Content-Type: application/json",
                    ),
                    "refused-content-type",
                ));
            }
        }
        Ok(())
    }
}

/// A header value for an error message: visible ASCII only, at most 100 characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn door() -> Door {
        Door {
            hosts: Some(vec!["127.0.0.1:8750".into(), "localhost:8750".into()]),
            origins: vec!["https://kestra.example.com".into()],
            scheme: Some("http"),
        }
    }

    #[test]
    fn host_origin_forwarding_and_content_type() {
        let door = door();
        assert!(door.admit(&Method::GET, &headers(&[("host", "127.0.0.1:8750")])).is_ok());
        let refused = |method: &Method, pairs: &[(&'static str, &'static str)]| {
            door.admit(method, &headers(pairs)).expect_err("refused").1
        };
        assert_eq!(refused(&Method::GET, &[("host", "evil.example:8750")]), "refused-host");
        assert_eq!(refused(&Method::GET, &[]), "refused-host");
        assert_eq!(
            refused(&Method::GET, &[("host", "localhost:8750"), ("origin", "https://evil.example")]),
            "refused-origin"
        );
        assert_eq!(refused(&Method::GET, &[("host", "localhost:8750"), ("origin", "null")]), "refused-origin");
        assert_eq!(
            refused(&Method::GET, &[("host", "localhost:8750"), ("sec-fetch-site", "cross-site")]),
            "refused-origin"
        );
        assert_eq!(
            refused(&Method::GET, &[("host", "localhost:8750"), ("x-forwarded-for", "10.0.0.1")]),
            "refused-forwarded"
        );
        assert_eq!(
            refused(
                &Method::POST,
                &[("host", "localhost:8750"), ("content-length", "12"), ("content-type", "text/plain")]
            ),
            "refused-content-type"
        );
        assert!(door
            .admit(
                &Method::POST,
                &headers(&[
                    ("host", "localhost:8750"),
                    ("content-length", "2"),
                    ("content-type", "application/json; charset=utf-8")
                ])
            )
            .is_ok());
        assert!(door
            .admit(&Method::POST, &headers(&[("host", "localhost:8750"), ("origin", "https://kestra.example.com")]))
            .is_ok());
        assert!(door.admit(&Method::POST, &headers(&[("host", "localhost:8750"), ("content-length", "0")])).is_ok());
        // The service's own page: its origin is the scheme and the (checked) Host; no other scheme or port.
        assert!(door
            .admit(&Method::POST, &headers(&[("host", "localhost:8750"), ("origin", "http://localhost:8750")]))
            .is_ok());
        assert_eq!(
            refused(&Method::POST, &[("host", "localhost:8750"), ("origin", "https://localhost:8750")]),
            "refused-origin"
        );
        assert_eq!(
            refused(&Method::POST, &[("host", "localhost:8750"), ("origin", "http://localhost:8751")]),
            "refused-origin"
        );
        // A Unix socket has no Host to check, and no page of its own.
        let unix = Door { hosts: None, origins: Vec::new(), scheme: None };
        assert!(unix.admit(&Method::GET, &headers(&[("host", "anything")])).is_ok());
        assert_eq!(
            unix.admit(&Method::POST, &headers(&[("host", "anything"), ("origin", "http://anything")]))
                .expect_err("refused")
                .1,
            "refused-origin"
        );
    }
}
