//! The floor of the HTTP benchmark (`benches/http-vs-agent/run.py --floors`): servers that answer every
//! request with the same fixed body and do nothing else, on the same runtime as `keyway serve` (tokio,
//! multi-threaded, one task per connection).
//!
//!     http_floor hyper    # hyper's HTTP/1 server, as keyway and the agent use it, answering a constant
//!     http_floor socket   # no HTTP library: reads until the end of a request's headers, writes a constant
//!
//! Each prints `listening on ADDRESS` and serves until killed. What they cost per request is what any server
//! built that way costs at least on this machine: the socket floor is the kernel's loopback TCP and tokio's
//! reactor, the hyper floor adds HTTP/1 parsing and encoding. Not part of keyway: a measuring stick only.

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The body: as long as the agent's answer for the benchmark's secret.
const BODY: &str = concat!(
    r#"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/db-floor0","Name":"bench/db","#,
    r#""VersionId":"8413f960-a0a5-4c9f-8062-803559a50d38","SecretString":"{\"username\": \"app\", "#,
    r#"\"password\": \"582e091537f67695f0b646e140d2b3d4\", \"host\": \"db.internal\", \"port\": 5432}","#,
    r#""VersionStages":["AWSCURRENT"],"CreatedDate":"1796381723"}"#
);

fn main() -> std::io::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode != "hyper" && mode != "socket" {
        eprintln!("usage: http_floor hyper|socket");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            if mode == "hyper" {
                tokio::spawn(serve_hyper(stream));
            } else {
                tokio::spawn(serve_socket(stream));
            }
        }
    })
}

/// One connection through hyper.
async fn serve_hyper(stream: TcpStream) {
    let service = service_fn(|_request: Request<Incoming>| async {
        let mut response = Response::new(BODY.to_owned());
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok::<_, Infallible>(response)
    });
    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
}

/// One connection without an HTTP library: every `\r\n\r\n` ends a request (no bodies are sent).
async fn serve_socket(mut stream: TcpStream) {
    let answer =
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}", BODY.len());
    let mut buffer = vec![0u8; 8192];
    let mut filled = 0;
    loop {
        let read = match stream.read(&mut buffer[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        filled += read;
        let mut start = 0;
        while let Some(end) = buffer[start..filled].windows(4).position(|window| window == b"\r\n\r\n") {
            start += end + 4;
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
        if filled == buffer.len() {
            return;
        }
    }
}
