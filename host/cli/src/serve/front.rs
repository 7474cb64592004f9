//! Where every request enters: the read of a secret by a plain name (`GET /v1/secrets/MANAGER/NAME`, the
//! call engines make most) is answered here directly, everything else through the router. Both go through
//! the same steps, the same functions: the door (`guard::refuse`), authentication and the identity bound to
//! the client (`caller::caller_of`), the read (`secrets::read`, checked and audited by keyway), `no-store`,
//! the metrics under the route's template and the log's activity. What the shortcut skips is only the
//! router's machinery (matching, boxed middleware, extractors), which costs more than the read itself.
//!
//! A path with anything a router would decode or match otherwise (`%`, an empty segment, a trailing
//! slash) takes the router.

use super::activity::{self, Answered};
use super::caller::caller_of;
use super::extract::{QueryPairs, SecretPath};
use super::guard::{no_store, refuse};
use super::listen::Peer;
use super::metrics::RouteName;
use super::secrets::{read, SECRET_ROUTE};
use super::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// The path of secret reads, before the manager.
const SECRETS: &str = "/v1/secrets/";

/// The service's entrance: the router and what the shortcut needs.
#[derive(Clone)]
pub struct Front {
    router: Router,
    state: Arc<State>,
}

impl Front {
    /// The entrance to `router`, whose state is `state`.
    pub fn new(router: Router, state: Arc<State>) -> Self {
        Self { router, state }
    }

    /// Answers one request.
    pub async fn answer(&self, request: hyper::Request<Incoming>) -> Response {
        match plain_read(&request) {
            Some(path) => self.read(request, path).await,
            None => match self.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            },
        }
    }

    /// `GET /v1/secrets/MANAGER/NAME`, as the router would answer it.
    async fn read(&self, request: hyper::Request<Incoming>, path: SecretPath) -> Response {
        let started = Instant::now();
        let (parts, _body) = request.into_parts();
        let state = &*self.state;
        let peer = parts.extensions.get::<Peer>();
        // A request refused at the door was never routed: it counts as `other`, as through the router.
        let (route, response) = match refuse(state, &parts.method, &parts.headers, peer).await {
            Some(refusal) => (RouteName::Other, refusal),
            None => {
                let answer = match caller_of(state, &parts.method, &parts.uri, &parts.headers, peer).await {
                    Ok(caller) => {
                        let query = QueryPairs::parse(parts.uri.query());
                        read(state, &caller.identity, &path, &query).await.into_response()
                    }
                    Err(refusal) => refusal,
                };
                (RouteName::Known(SECRET_ROUTE), no_store(answer))
            }
        };
        let answered = Answered {
            method: &parts.method,
            uri: &parts.uri,
            status: response.status(),
            elapsed: started.elapsed(),
            peer,
        };
        activity::observe(state, &route, &answered);
        response
    }
}

/// The secret a `GET` names, when its path is plain: a manager and a name of letters, digits and `-_.+=@`
/// (the name also `/` between non-empty segments), so that it means the same with or without the router.
fn plain_read<B>(request: &hyper::Request<B>) -> Option<SecretPath> {
    if request.method() != Method::GET {
        return None;
    }
    let (manager, name) = request.uri().path().strip_prefix(SECRETS)?.split_once('/')?;
    let plain = |byte: u8| byte.is_ascii_alphanumeric() || b"-_.+=@".contains(&byte);
    let manager_plain = !manager.is_empty() && manager.bytes().all(plain);
    let name_plain = name.split('/').all(|segment| !segment.is_empty() && segment.bytes().all(plain));
    (manager_plain && name_plain).then(|| SecretPath { manager: manager.to_owned(), name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_of(method: Method, uri: &str) -> Option<(String, String)> {
        let request = hyper::Request::builder().method(method).uri(uri).body(()).expect("request");
        plain_read(&request).map(|path| (path.manager, path.name))
    }

    #[test]
    fn only_plain_reads_take_the_shortcut() {
        let pair = |manager: &str, name: &str| Some((manager.to_owned(), name.to_owned()));
        assert_eq!(read_of(Method::GET, "/v1/secrets/aws/prod/db"), pair("aws", "prod/db"));
        assert_eq!(read_of(Method::GET, "/v1/secrets/local/db?key=password"), pair("local", "db"));
        assert_eq!(read_of(Method::GET, "/v1/secrets/aws/a.b@c+d=e_f-g"), pair("aws", "a.b@c+d=e_f-g"));
        for routed in [
            "/v1/secrets/aws/prod%2Fdb",
            "/v1/secrets/aws/prod//db",
            "/v1/secrets/aws/prod/",
            "/v1/secrets/aws/",
            "/v1/secrets/aws",
            "/v1/secrets//db",
            "/v1/secrets/a%77s/db",
            "/v1/versions/aws/db",
            "/v1/secrets/aws/d%C3%A9j%C3%A0",
        ] {
            assert_eq!(read_of(Method::GET, routed), None, "{routed}");
        }
        for method in [Method::HEAD, Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            assert_eq!(read_of(method.clone(), "/v1/secrets/aws/db"), None, "{method}");
        }
    }
}
