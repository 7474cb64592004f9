//! A misbehaving loopback proxy: plain HTTP on `127.0.0.1` in front of a backend (HTTP or HTTPS), forwarding
//! every request, and switched at any time to answer wrongly the way networks, proxies and caches do: with
//! another secret's answer, a malformed success, an answer cut short, a reset connection, or throttling.
//!
//! The proxy answers each request on its own connection (`connection: close`), so every attempt of a plugin is
//! one request it sees.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A request as the proxy received it.
#[derive(Clone)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The headers, as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// An answer the proxy sends back.
#[derive(Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers (the proxy sets `content-length` and `connection` itself).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Declares the body's full length but sends only its first half, then closes the connection.
    pub cut_short: bool,
}

impl Answer {
    /// An answer with a JSON body.
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            cut_short: false,
        }
    }
}

/// Changes the backend's answer to a request.
pub type Tamper = Arc<dyn Fn(&Request, Answer) -> Answer + Send + Sync>;

/// How the proxy treats the requests it receives.
#[derive(Clone)]
pub enum Mode {
    /// Forwards requests and answers unchanged.
    Forward,
    /// Sends requests that name `asked` (in the target or the body) to the backend naming `answered` instead, so
    /// a read of one secret gets the backend's true answer for another.
    AnotherSecret {
        /// The name as the plugin sends it.
        asked: String,
        /// The name the backend is asked about instead.
        answered: String,
    },
    /// Answers every success with a syntactically broken body of the same kind (JSON that does not parse).
    Malformed,
    /// Cuts the next `times` answers short (see [`Answer::cut_short`]), then forwards.
    CutShort {
        /// How many answers are still to be cut.
        times: u32,
    },
    /// Resets the connection of the next `times` requests once they are read, before any answer; then forwards.
    Reset {
        /// How many requests are still to be reset.
        times: u32,
    },
    /// Answers the next `times` requests with `429 Too Many Requests` and `Retry-After: retry_after_secs`
    /// without forwarding them; then forwards.
    Throttle {
        /// How many requests are still to be throttled.
        times: u32,
        /// The `Retry-After` header's seconds.
        retry_after_secs: u64,
    },
    /// Forwards, and changes every answer with the function.
    Tamper(Tamper),
}

/// What the proxy does with one request, decided when it arrives.
enum Action {
    Forward { rename: Option<(String, String)>, tamper: Option<Tamper> },
    Reset,
    Throttle(u64),
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    mode: Mutex<Mode>,
    requests: AtomicUsize,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy in front of `upstream` (`http(s)://host[:port][/path]`), trusting `ca_certificates` (PEM)
    /// besides the usual roots when the upstream is HTTPS. Its [`url`](Self::url) keeps the upstream's path.
    pub async fn start(upstream: &str, ca_certificates: &[Vec<u8>]) -> Result<Self, String> {
        let upstream = upstream.trim().trim_end_matches('/');
        let rest = upstream
            .strip_prefix("https://")
            .or_else(|| upstream.strip_prefix("http://"))
            .ok_or_else(|| format!("'{upstream}' is not an http:// or https:// URL"))?;
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let origin = &upstream[..upstream.len() - rest.len() + authority.len()];
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(60));
        for pem in ca_certificates {
            let certificate = reqwest::Certificate::from_pem(pem).map_err(|err| format!("a CA certificate: {err}"))?;
            client = client.add_root_certificate(certificate);
        }
        let client = client.build().map_err(|err| format!("no HTTP client for the upstream: {err}"))?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|err| format!("no loopback port: {err}"))?;
        let address = listener.local_addr().map_err(|err| format!("no loopback port: {err}"))?;
        let url = if path.is_empty() { format!("http://{address}") } else { format!("http://{address}/{path}") };
        let shared = Arc::new(Shared {
            upstream: origin.to_owned(),
            client,
            mode: Mutex::new(Mode::Forward),
            requests: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&serving)));
            }
        });
        Ok(Self { url, shared, task })
    }

    /// The URL that stands for the upstream's: `http://127.0.0.1:PORT` and the upstream's path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Switches how the following requests are treated.
    pub fn set(&self, mode: Mode) {
        if let Ok(mut current) = self.shared.mode.lock() {
            *current = mode;
        }
    }

    /// How many requests the proxy has received.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shared {
    fn action(&self) -> Action {
        let Ok(mut mode) = self.mode.lock() else { return Action::Forward { rename: None, tamper: None } };
        let forward = Action::Forward { rename: None, tamper: None };
        match &mut *mode {
            Mode::Forward => forward,
            Mode::AnotherSecret { asked, answered } => {
                Action::Forward { rename: Some((asked.clone(), answered.clone())), tamper: None }
            }
            Mode::Malformed => Action::Forward { rename: None, tamper: Some(Arc::new(malformed)) },
            Mode::CutShort { times } if *times > 0 => {
                *times -= 1;
                Action::Forward { rename: None, tamper: Some(Arc::new(|_: &Request, answer| cut_short(answer))) }
            }
            Mode::Reset { times } if *times > 0 => {
                *times -= 1;
                Action::Reset
            }
            Mode::Throttle { times, retry_after_secs } if *times > 0 => {
                *times -= 1;
                Action::Throttle(*retry_after_secs)
            }
            Mode::Tamper(tamper) => Action::Forward { rename: None, tamper: Some(Arc::clone(tamper)) },
            Mode::CutShort { .. } | Mode::Reset { .. } | Mode::Throttle { .. } => forward,
        }
    }

    async fn forward(&self, request: &Request) -> Answer {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut call = self.client.request(method, format!("{}{}", self.upstream, request.target));
        // The client computes the length of the body sent, which a renamed secret may have changed.
        let own = |name: &str| ["host", "content-length"].iter().any(|own| name.eq_ignore_ascii_case(own));
        for (name, value) in &request.headers {
            if !is_hop_by_hop(name) && !own(name) {
                call = call.header(name.as_str(), value.as_str());
            }
        }
        let answer = async {
            let response = call.body(request.body.clone()).send().await?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| !is_hop_by_hop(name.as_str()))
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(Answer { status, headers, body, cut_short: false })
        };
        answer.await.unwrap_or_else(|err| {
            let message = format!("the proxy could not reach the backend: {err}");
            Answer::json(502, &serde_json::json!({ "message": message }).to_string())
        })
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let mut stream = BufReader::new(stream);
    let Some(mut request) = read_request(&mut stream).await else { return };
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let answer = match shared.action() {
        Action::Reset => {
            // Closing with SO_LINGER 0 sends a reset instead of an orderly close.
            let _ = stream.get_ref().set_zero_linger();
            return;
        }
        Action::Throttle(seconds) => {
            let mut answer = Answer::json(429, r#"{"message":"too many requests, retry later"}"#);
            answer.headers.push(("retry-after".into(), seconds.to_string()));
            answer
        }
        Action::Forward { rename, tamper } => {
            if let Some((asked, answered)) = &rename {
                request.target = request.target.replace(asked.as_str(), answered);
                request.body = replace_bytes(&request.body, asked.as_bytes(), answered.as_bytes());
            }
            let answer = shared.forward(&request).await;
            match tamper {
                Some(tamper) => tamper(&request, answer),
                None => answer,
            }
        }
    };
    let _ = write_answer(stream.get_mut(), &answer).await;
}

/// Reads one request: its head and its body (by `content-length`, or chunked).
async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    stream.read_line(&mut line).await.ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let header = |wanted: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            stream.read_line(&mut size).await.ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                let mut trailer = String::new();
                while stream.read_line(&mut trailer).await.ok()? > 2 {
                    trailer.clear();
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            stream.read_exact(&mut body[start..]).await.ok()?;
            let mut end = [0u8; 2];
            stream.read_exact(&mut end).await.ok()?;
        }
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(length, 0);
        stream.read_exact(&mut body).await.ok()?;
    }
    Some(Request { method, target, headers, body })
}

async fn write_answer(stream: &mut TcpStream, answer: &Answer) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        if !is_hop_by_hop(name) && !name.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", answer.body.len()));
    stream.write_all(head.as_bytes()).await?;
    let sent = if answer.cut_short { &answer.body[..answer.body.len() / 2] } else { &answer.body[..] };
    stream.write_all(sent).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// A success's body broken the way a damaged answer is: its first half, then bytes no JSON parser accepts
/// (a complete body, not one cut short). Other answers are left alone.
fn malformed(_: &Request, mut answer: Answer) -> Answer {
    if (200..300).contains(&answer.status) {
        let half = answer.body.len() / 2;
        answer.body.truncate(half);
        answer.body.extend_from_slice(b"\x00<!-- damaged by the proxy -->}");
    }
    answer
}

fn cut_short(mut answer: Answer) -> Answer {
    answer.cut_short = true;
    answer
}

fn is_hop_by_hop(name: &str) -> bool {
    ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]
        .iter()
        .any(|hop| name.eq_ignore_ascii_case(hop))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(from.len()).position(|window| window == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_replaced_in_bodies() {
        assert_eq!(
            replace_bytes(b"{\"SecretId\":\"a-1\",\"x\":\"a-1\"}", b"a-1", b"bb-2"),
            b"{\"SecretId\":\"bb-2\",\"x\":\"bb-2\"}"
        );
        assert_eq!(replace_bytes(b"abc", b"", b"x"), b"abc");
    }

    #[test]
    fn malformed_successes_do_not_parse_and_are_not_cut_short() {
        let answer = malformed(
            &Request { method: "GET".into(), target: "/".into(), headers: Vec::new(), body: Vec::new() },
            Answer::json(200, r#"{"value":"kw-value-1234","name":"db"}"#),
        );
        let error = serde_json::from_slice::<serde_json::Value>(&answer.body).expect_err("broken");
        assert_eq!(error.classify(), serde_json::error::Category::Syntax);
    }
}
