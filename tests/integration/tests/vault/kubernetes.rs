//! A tiny fake of the Kubernetes TokenReview API on a loopback port, and
//! service-account tokens it recognises, for testing Vault's Kubernetes auth.
//!
//! OpenBao parses the service-account JWT for its claims and asks
//! `POST /apis/authentication.k8s.io/v1/tokenreviews` whether it is valid;
//! this server answers "authenticated" only for the tokens it issued.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// OpenBao insists on a CA certificate when `disable_local_ca_jwt` is set, even
/// for a plain-HTTP API server. The fake speaks plain HTTP, so this self-signed
/// certificate (its private key was discarded) is configured but never used.
pub const UNUSED_CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBnjCCAUWgAwIBAgIUUjfjnPka6a8HAybjHPe+38BLNoQwCgYIKoZIzj0EAwIw\n\
JDEiMCAGA1UEAwwZa2V5d2F5IGZha2Uga3ViZXJuZXRlcyBDQTAgFw0yNjExMjIw\n\
ODI0MzhaGA8yMTI2MTAyOTA4MjQzOFowJDEiMCAGA1UEAwwZa2V5d2F5IGZha2Ug\n\
a3ViZXJuZXRlcyBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLbGtjs8NGPv\n\
8xsNgESbRq2gRYC/ZstnLdCV23yq1L0IZ/Pp63G8dxnramkZS42AZh9DwzKDeUCb\n\
AvehG0/mnJ+jUzBRMB0GA1UdDgQWBBSgfTaJA8glyRxPrpeTQgXFt5bKRjAfBgNV\n\
HSMEGDAWgBSgfTaJA8glyRxPrpeTQgXFt5bKRjAPBgNVHRMBAf8EBTADAQH/MAoG\n\
CCqGSM49BAMCA0cAMEQCIDKuMM6eKNjihIhHMZdgzs4D8LL8MqGgnoznHBezVkmL\n\
AiBMjzLsfzQWRjzeHGI3KvIJCK7UjXKOmX5MQHWsalV9cA==\n\
-----END CERTIFICATE-----\n";

/// A service account the fake knows.
#[derive(Clone)]
struct Account {
    jwt: String,
    namespace: String,
    name: String,
    uid: String,
}

/// The running fake API server.
pub struct FakeKubernetes {
    addr: SocketAddr,
    accounts: Arc<Mutex<Vec<Account>>>,
    reviews: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeKubernetes {
    /// Starts serving on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the fake Kubernetes API");
        let addr = listener.local_addr().expect("the fake's address");
        let accounts: Arc<Mutex<Vec<Account>>> = Arc::default();
        let reviews = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (known, count, stopping) = (accounts.clone(), reviews.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    count.fetch_add(1, Ordering::Relaxed);
                    let accounts = known.lock().map(|a| a.clone()).unwrap_or_default();
                    let _ = serve(stream, &accounts);
                }
            }
        });
        Self { addr, accounts, reviews, stop, thread: Some(thread) }
    }

    /// The API server URL to configure as `kubernetes_host`.
    pub fn host(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Issues a token for `namespace/name` that the fake will accept.
    pub fn issue(&self, namespace: &str, name: &str) -> String {
        let uid = format!("uid-{namespace}-{name}");
        let jwt = service_account_jwt(namespace, name, &uid);
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.push(Account { jwt: jwt.clone(), namespace: namespace.into(), name: name.into(), uid });
        }
        jwt
    }

    /// How many requests the fake has served.
    pub fn reviews(&self) -> usize {
        self.reviews.load(Ordering::Relaxed)
    }
}

impl Drop for FakeKubernetes {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A JWT with a legacy service-account token's claims. Its signature is
/// random: without `pem_keys` OpenBao trusts the TokenReview answer only.
pub fn service_account_jwt(namespace: &str, name: &str, uid: &str) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let claims = json!({
        "iss": "kubernetes/serviceaccount",
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": uid,
        "kubernetes.io/serviceaccount/secret.name": format!("{name}-token"),
    });
    let signature: Vec<u8> =
        (0..256u32).map(|i| (i.wrapping_mul(31).wrapping_add(uid.len() as u32) % 251) as u8).collect();
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(&signature)
    )
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn serve(stream: TcpStream, accounts: &[Account]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let review: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let token = review["spec"]["token"].as_str().unwrap_or_default();
    let is_review = request_line.starts_with("POST /apis/authentication.k8s.io/v1/tokenreviews");
    let status = match accounts.iter().find(|a| a.jwt == token) {
        Some(account) if is_review => json!({
            "authenticated": true,
            "user": {
                "username": format!("system:serviceaccount:{}:{}", account.namespace, account.name),
                "uid": account.uid,
                "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{}", account.namespace)],
            },
        }),
        _ => json!({ "authenticated": false, "error": "invalid bearer token" }),
    };
    let answer = json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": { "token": "" },
        "status": status,
    })
    .to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )?;
    stream.flush()
}
