//! Request parts as handlers want them, with every rejection answered as a JSON error: the secret's path,
//! query parameters, and JSON bodies held in memory that is wiped after parsing.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use keyway::types::VersionSelector;
use zeroize::Zeroizing;

/// `{manager}` and `{*name}` from the path, percent-decoded.
#[derive(Debug)]
pub struct SecretPath {
    /// The manager.
    pub manager: String,
    /// The secret's name (may contain slashes).
    pub name: String,
}

impl<S: Send + Sync> FromRequestParts<S> for SecretPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((manager, name)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|err| ApiError::invalid(format!("bad path: {err}")))?;
        Ok(Self { manager, name })
    }
}

/// `{manager}` alone from the path.
#[derive(Debug)]
pub struct ManagerPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ManagerPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(manager) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|err| ApiError::invalid(format!("bad path: {err}")))?;
        Ok(Self(manager))
    }
}

/// The query string as `(name, value)` pairs, in order, repeated names kept (`?tag=a=1&tag=b=2`).
#[derive(Debug, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query()))
    }
}

impl QueryPairs {
    /// The pairs of a query string (none without one).
    pub fn parse(query: Option<&str>) -> Self {
        Self(form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect())
    }

    /// Fails on a parameter not in `known`, so a misspelt one is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(name, _)| !known.contains(&name.as_str())) {
            Some((name, _)) => Err(ApiError::invalid(format!(
                "unknown query parameter '{name}'; this endpoint takes: {}",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// A boolean parameter: absent is false; `true`/`1`/empty are true, `false`/`0` false.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") | Some("") => Ok(true),
            Some(other) => Err(ApiError::invalid(format!("query parameter {name}={other} is not true or false"))),
        }
    }

    /// The version selector from `version=ID` or `label=L` (not both).
    pub fn selector(&self) -> Result<VersionSelector, ApiError> {
        match (self.get("version"), self.get("label")) {
            (Some(_), Some(_)) => Err(ApiError::invalid("give either version or label, not both")),
            (Some(id), None) => Ok(VersionSelector::Id(id.to_owned())),
            (None, Some(label)) => Ok(VersionSelector::Label(label.to_owned())),
            (None, None) => Ok(VersionSelector::Latest),
        }
    }
}

/// A JSON body that may carry secret values: the raw bytes are wiped once parsed, and parse errors never
/// quote the body.
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|err| {
            ApiError::new(err.status(), "invalid", format!("cannot read the body: {}", err.body_text()))
        })?;
        let raw = Zeroizing::new(Vec::from(bytes));
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("the body is empty; send a JSON object"));
        }
        serde_json::from_slice(&raw)
            .map(JsonBody)
            .map_err(|err| ApiError::invalid(format!("the body is not valid JSON: {}", syntax_position(&err))))
    }
}

impl Drop for JsonBody {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Where a JSON syntax error is, without the error's own wording (which may quote a value).
fn syntax_position(err: &serde_json::Error) -> String {
    match err.classify() {
        serde_json::error::Category::Eof => "it ends too early".into(),
        _ => format!("error at line {} column {}", err.line(), err.column()),
    }
}

/// Zeroizes every string in a JSON tree.
pub fn wipe(value: &mut serde_json::Value) {
    use zeroize::Zeroize;
    match value {
        serde_json::Value::String(text) => text.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe),
        serde_json::Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

/// A JSON response built from a tree that holds secret values: serialized, then the tree is wiped.
pub fn wiped_json(mut value: serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = serde_json::to_vec(&value);
    wipe(&mut value);
    match body {
        Ok(body) => ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot encode the answer")
            .into_response(),
    }
}
