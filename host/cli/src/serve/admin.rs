//! The admin page (`serve.admin: true`): one HTML page, its script and its style, compiled into the binary and
//! served at `/admin`. The page holds no data: it signs in with a client's token (kept in the tab's session
//! storage, sent as a bearer header, never as a cookie, so another site cannot make the browser use it) and
//! calls the same API as every caller, so access rules and audit apply unchanged. A strict Content Security
//! Policy allows only this page's own script and style and connections to this origin; framing is refused.
//! It never asks for a secret's value.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("admin/index.html");
const SCRIPT: &str = include_str!("admin/app.js");
const STYLE: &str = include_str!("admin/app.css");

/// Content Security Policy of the page and its files.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                      base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}

/// `GET /admin`: the page.
pub async fn page() -> Response {
    file(PAGE, "text/html; charset=utf-8")
}

/// `GET /admin/app.js`: its script.
pub async fn script() -> Response {
    file(SCRIPT, "text/javascript; charset=utf-8")
}

/// `GET /admin/app.css`: its style.
pub async fn style() -> Response {
    file(STYLE, "text/css; charset=utf-8")
}
