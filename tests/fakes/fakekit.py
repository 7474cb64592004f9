"""What every vendor fake under `tests/fakes/` shares, written once.

- `LoopbackFake`: the base of a fake app, served on 127.0.0.1 from daemon threads by one or more
  `FakeServer`s (plain HTTP, or HTTPS with a throw-away CA), with `url`, `start`, `stop`.
- `FakeHandler`: the request handler base (HTTP/1.1, request lines on stderr only with
  `--verbose`, `read_body` that also reads chunked bodies).
- `generate_test_pki`: the throw-away CA and server certificate for 127.0.0.1/localhost.
- `serve_until_stopped`: prints the `READY {json}` line tests wait for, then serves until killed.
- `Faults`: the failures tests inject with the `throttle` and `fail` controls, and their counters.
- `Controls`: calls a running fake's `/_fake/ACTION` test controls (pytest fixtures).

A fake's folder holds plain modules, some with the same names as another fake's, so `tests/run.sh`
runs pytest once per folder; each server and conftest puts `tests/fakes` on `sys.path` first:

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import fakekit
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import sys
import threading
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


# -- the throw-away certificate authority ---------------------------------------------------------


@dataclass(frozen=True)
class TestPki:
    """Paths of the generated PEM files."""

    __test__ = False  # not a pytest test class

    ca_cert: Path
    server_cert: Path
    server_key: Path


def generate_test_pki(directory: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> TestPki:
    """Writes `ca.pem`, `server.pem` (leaf then CA) and `server-key.pem` into `directory`.

    Generated at test time, never committed: clients under test trust `ca.pem` and nothing else.
    """
    # Imported here: fakes served over plain HTTP need no `cryptography`.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("keyway test CA"))
        .issuer_name(name("keyway test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pki = TestPki(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    pki.ca_cert.write_bytes(ca_pem)
    pki.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    pki.server_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    pki.server_key.chmod(0o600)
    return pki


# -- serving ------------------------------------------------------------------------------------


class FakeServer(ThreadingHTTPServer):
    """A threading HTTP server whose request threads are daemons and which stays quiet about
    clients that drop the connection or fail the TLS handshake (not the fake's problem)."""

    daemon_threads = True
    verbose = False
    scheme = "http"

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeHandler(BaseHTTPRequestHandler):
    """Base of a fake's request handler; subclasses set `server_version`, `log_name` and `app`."""

    protocol_version = "HTTP/1.1"
    log_name = "fake"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        # Request lines only (never bodies), and only when asked for.
        if getattr(self.server, "verbose", False):
            sys.stderr.write(f"{self.log_name}: " + (format % args) + "\n")

    def send_body(self, status: int, body: bytes, content_type: str | None = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answers `status` with `headers`, `body` and its length, and `content_type` when given."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self) -> bytes:
        """The request body, sent with `Content-Length` or chunked."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class LoopbackFake:
    """Base of a fake app served on 127.0.0.1. A subclass calls `listen` once for its main server
    (HTTPS when given a `cert_dir`), and may call `add_listener` for more; `start()` serves them
    all from daemon threads."""

    thread_name = "fake"

    def listen(self, handler: type[FakeHandler], port: int = 0, cert_dir: Path | None = None) -> FakeServer:
        """Binds the main server; with `cert_dir`, it serves HTTPS with a CA generated there."""
        self.servers: list[FakeServer] = []
        self.threads: list[threading.Thread] = []
        self.ca_path: Path | None = None
        self.server = self.add_listener(handler, port)
        if cert_dir is not None:
            pki = generate_test_pki(Path(cert_dir))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pki.server_cert, pki.server_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                     do_handshake_on_connect=False)
            self.server.scheme = "https"
            self.ca_path = pki.ca_cert
        self.scheme = self.server.scheme
        self.port = self.server.server_address[1]
        return self.server

    def add_listener(self, handler: type[FakeHandler], port: int = 0) -> FakeServer:
        """Another plain-HTTP server on the same state."""
        server = FakeServer(("127.0.0.1", port), handler)
        self.servers.append(server)
        return server

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def set_verbose(self, verbose: bool) -> None:
        """Whether request lines go to stderr."""
        for server in self.servers:
            server.verbose = verbose

    def start(self):
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, name=self.thread_name, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def serve_until_stopped(fake: LoopbackFake, ready: dict) -> None:
    """Starts `fake`, prints `READY {ready as JSON}` (what the Rust tests wait for) and serves
    until the process is killed or interrupted."""
    fake.start()
    print("READY " + json.dumps(ready), flush=True)
    try:
        for thread in fake.threads:
            thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


# -- injected failures ------------------------------------------------------------------------


class Faults:
    """Failures a test injects through the `throttle` (`{count, retry_after}`) and `fail`
    (`{count, status}`) controls: the next counted requests answer 429 with `Retry-After`, or a 5xx.
    `stats` counts the requests (under the name `counted`), the throttled and the failed answers,
    and the fake's own `extra` counters."""

    def __init__(self, counted: str = "api_requests", *extra: str) -> None:
        self.lock = threading.Lock()
        self.throttle_left = 0
        self.retry_after = 1
        self.fail_left = 0
        self.fail_status = 503
        self.counted = counted
        self.stats = {counted: 0, "throttled": 0, "failed": 0, **{name: 0 for name in extra}}

    def control(self, action: str, body: dict) -> bool:
        """Handles the `throttle` and `fail` controls; False for any other action."""
        with self.lock:
            if action == "throttle":
                self.throttle_left, self.retry_after = int(body.get("count", 1)), int(body.get("retry_after", 1))
            elif action == "fail":
                self.fail_left, self.fail_status = int(body.get("count", 1)), int(body.get("status", 503))
            else:
                return False
        return True

    def clear(self) -> None:
        """Drops the failures still to come (the `reset` control)."""
        with self.lock:
            self.throttle_left = self.fail_left = 0

    def count(self, name: str) -> None:
        """Adds one to the fake's own counter `name`."""
        with self.lock:
            self.stats[name] += 1

    def snapshot(self) -> dict:
        """The counters, for the `stats` control."""
        with self.lock:
            return dict(self.stats)

    def next(self) -> tuple[int, dict[str, str]] | None:
        """Counts a request; the status and headers it must answer with, or None to serve it."""
        with self.lock:
            self.stats[self.counted] += 1
            if self.throttle_left > 0:
                self.throttle_left -= 1
                self.stats["throttled"] += 1
                return 429, {"Retry-After": str(self.retry_after)}
            if self.fail_left > 0:
                self.fail_left -= 1
                self.stats["failed"] += 1
                return self.fail_status, {}
        return None


# -- the test controls, from pytest ----------------------------------------------------------------


class Controls:
    """Calls the `/_fake/ACTION` test controls of a running fake (trusting its test CA when it
    serves HTTPS) and returns the JSON answer; a non-2xx answer raises `HTTPError`."""

    def __init__(self, fake: LoopbackFake) -> None:
        self.fake = fake

    def __call__(self, action: str, **body) -> dict:
        ca_path = getattr(self.fake, "ca_path", None)
        context = ssl.create_default_context(cafile=str(ca_path)) if ca_path else None
        request = urllib.request.Request(
            f"{self.fake.url}/_fake/{action}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.loads(response.read())
