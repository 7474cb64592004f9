"""A fake CyberArk Conjur (Open Source / Enterprise REST API) over HTTPS with a test CA.

Run `python3 conjur_server.py --port 0 --cert-dir DIR --account myorg --admin-api-key KEY`: it
generates a test CA and server certificate in DIR, listens on 127.0.0.1 and prints one line
`READY {"port": .., "url": .., "ca": ..}` when it accepts connections. It serves:

- `POST /authn/{account}/{login}/authenticate` (API key → access token; `Accept-Encoding: base64`),
  `GET /authn/{account}/login` (Basic auth → API key) and, with `--ldap-service ID`,
  `GET /authn-ldap/{ID}/{account}/login` and `POST /authn-ldap/{ID}/{account}/{login}/authenticate`
  (password or API key → access token);
- with `Authorization: Token token="…"`: `GET /whoami`, `GET /resources/{account}[?kind&search&limit&offset&count]`,
  `GET /resources/{account}/{kind}/{id}`, `GET|POST /secrets/{account}/variable/{id}[?version=N]`,
  `GET /secrets?variable_ids=…` (`Accept: base64`), `POST|PATCH|PUT /policies/{account}/policy/{id}`;
- test controls under `/_fake/` (no token): `policy`, `set`, `password`, `revoke-tokens`, `config`, `fail`,
  `stats`.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))  # fakekit

from fakekit import FakeHandler, LoopbackFake, serve_until_stopped  # noqa: E402
from conjur_auth import Tokens  # noqa: E402
from conjur_policy import Loader  # noqa: E402
from conjur_store import ConjurError, Store  # noqa: E402

DEFAULT_ACCOUNT = "myorg"
DEFAULT_ADMIN_KEY = "fake-admin-api-key"
LOAD_MODES = {"POST": "create", "PATCH": "update", "PUT": "replace"}


class FakeConjur(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-conjur"

    def __init__(self, cert_dir: Path, account: str = DEFAULT_ACCOUNT, admin_api_key: str = DEFAULT_ADMIN_KEY,
                 port: int = 0, ldap_service: str | None = None) -> None:
        self.store = Store(account, admin_api_key)
        self.tokens = Tokens(self.store)
        self.ldap_service = ldap_service
        self.admin = self.store.role_id("user", "admin")
        self.lock = threading.Lock()
        self.fail_left, self.fail_status = 0, 503
        self.stats = {"requests": 0, "failed": 0, "batch_requests": 0, "policy_loads": 0, "secret_reads": 0}
        fake = self

        class Handler(_Handler):
            app = fake

        self.listen(Handler, port, cert_dir)

    @property
    def account(self) -> str:
        return self.store.account

    def count(self, name: str) -> None:
        with self.lock:
            self.stats[name] += 1

    def control(self, action: str, body: dict) -> dict:
        if action == "policy":
            mode = LOAD_MODES.get(str(body.get("method", "POST")).upper(), "create")
            return Loader(self.store, self.admin, str(body.get("branch", "root")), mode).load(str(body["policy"]))
        if action == "set":
            self.store.set_secret(self.admin, str(body["variable"]), str(body["value"]).encode())
        elif action == "password":
            with self.store.lock:
                self.store.passwords[self.store.role_id(str(body["kind"]), str(body["id"]))] = str(body["password"])
        elif action == "revoke-tokens":
            self.tokens.revoke_all()
        elif action == "config":
            self.tokens.lifetime = int(body.get("token_lifetime", self.tokens.lifetime))
        elif action == "fail":
            with self.lock:
                self.fail_left = int(body.get("count", 1))
                self.fail_status = int(body.get("status", 503))
        elif action == "stats":
            with self.lock:
                stats = dict(self.stats)
            with self.tokens.lock:
                stats.update(self.tokens.stats)
            return stats
        else:
            raise ConjurError(404, f"unknown control {action}")
        return {"ok": True}

    def injected_failure(self) -> int | None:
        with self.lock:
            self.stats["requests"] += 1
            if self.fail_left > 0:
                self.fail_left -= 1
                self.stats["failed"] += 1
                return self.fail_status
        return None


class _Handler(FakeHandler):
    server_version = "Conjur (fake)"
    log_name = "fake-conjur"
    app: FakeConjur

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        self.send_body(status, body, content_type if body else None, headers)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        try:
            raw = self.read_body()
            if parts and parts[0] == "_fake":
                body = json.loads(raw) if raw else {}
                return self._json(200, self.app.control(parts[1] if len(parts) > 1 else "", body))
            if parts in ([], [""]):
                return self._json(200, {"status": "ok", "version": "1.21.0 (fake)"})
            status = self.app.injected_failure()
            if status is not None:
                return self._json(status, {"error": {"code": "service_unavailable", "message": "injected failure"}})
            self._route(parts, query, raw)
        except ConjurError as err:
            body = err.body()
            self._send(err.status, json.dumps(body).encode() if body else b"", "application/json")
        except (ValueError, KeyError, TypeError) as err:
            self._json(400, {"error": {"code": "bad_request", "message": f"invalid request: {err}"}})

    def _route(self, parts: list[str], query: dict[str, str], raw: bytes) -> None:
        app, method = self.app, self.command
        if parts[0] == "authn" and len(parts) == 4 and parts[3] == "authenticate" and method == "POST":
            return self._token(app.tokens.authenticate(parts[1], parts[2], raw.decode(errors="replace")))
        if parts[0] == "authn" and parts[2:] == ["login"] and method == "GET":
            return self._send(200, app.tokens.login(parts[1], self.headers.get("Authorization")).encode(), "text/plain")
        if parts[0] == "authn-ldap" and len(parts) >= 4 and parts[1] != app.ldap_service:
            raise ConjurError(401, "Authentication failed")
        if parts[0] == "authn-ldap" and len(parts) == 5 and parts[4] == "authenticate" and method == "POST":
            return self._token(app.tokens.authenticate_password(parts[2], parts[3], raw.decode(errors="replace")))
        if parts[0] == "authn-ldap" and parts[3:] == ["login"] and method == "GET":
            return self._send(200, app.tokens.login(parts[2], self.headers.get("Authorization")).encode(), "text/plain")
        role = app.tokens.check(self.headers.get("Authorization"))
        store = app.store
        if parts == ["whoami"] and method == "GET":
            return self._json(200, {"account": store.account, "username": role.split(":", 2)[2],
                                    "client_ip": self.client_address[0], "user_agent": self.headers.get("User-Agent")})
        if parts == ["secrets"] and method == "GET":
            return self._batch(role, query)
        if len(parts) < 2 or parts[1] != store.account:
            raise ConjurError(404, f"Account '{parts[1] if len(parts) > 1 else ''}' not found", "not_found")
        if parts[0] == "resources" and method in ("GET", "HEAD"):
            return self._resources(role, parts[2:], query)
        if parts[0] == "secrets" and len(parts) >= 4 and parts[2] == "variable":
            identifier = "/".join(parts[3:])
            if method == "GET":
                app.count("secret_reads")
                version = int(query["version"]) if "version" in query else None
                value, mime = store.secret(role, identifier, version)
                return self._send(200, value, mime)
            if method == "POST":
                store.set_secret(role, identifier, raw)
                return self._send(201)
        if parts[0] == "policies" and len(parts) >= 4 and parts[2] == "policy" and method in LOAD_MODES:
            app.count("policy_loads")
            result = Loader(store, role, "/".join(parts[3:]), LOAD_MODES[method]).load(raw.decode())
            return self._json(201, result)
        raise ConjurError(404, f"no route for {method} /{'/'.join(parts)}")

    def _token(self, token: str) -> None:
        if self.headers.get("Accept-Encoding", "").strip().lower() == "base64":
            encoded = base64.b64encode(token.encode())
            return self._send(200, encoded, "text/plain", {"Content-Encoding": "base64"})
        self._send(200, token.encode(), "application/json")

    def _batch(self, role: str, query: dict[str, str]) -> None:
        self.app.count("batch_requests")
        ids = [i for i in query.get("variable_ids", "").split(",") if i]
        if not ids:
            raise ConjurError(422, "variable_ids must not be empty", "argument_error")
        values = self.app.store.batch(role, ids)
        if self.headers.get("Accept", "").strip().lower() == "base64":
            body = {k: base64.b64encode(v).decode() for k, v in values.items()}
            return self._send(200, json.dumps(body).encode(), "application/json", {"Content-Encoding": "base64"})
        try:
            body = {k: v.decode("utf-8") for k, v in values.items()}
        except UnicodeDecodeError:
            raise ConjurError(406, "a variable holds binary data: request it with the header Accept: base64",
                              "not_acceptable") from None
        self._json(200, body)

    def _resources(self, role: str, rest: list[str], query: dict[str, str]) -> None:
        store = self.app.store
        if len(rest) >= 2:
            return self._json(200, store.show(role, rest[0], "/".join(rest[1:])))
        found = store.listing(role, rest[0] if rest else query.get("kind"), query.get("search"))
        if query.get("count") == "true":
            return self._json(200, {"count": len(found)})
        offset = int(query.get("offset", 0))
        limit = int(query["limit"]) if "limit" in query else None
        if offset < 0 or (limit is not None and limit < 1):
            raise ConjurError(422, "limit and offset must be positive", "argument_error")
        self._json(200, found[offset:] if limit is None else found[offset:offset + limit])

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--cert-dir", type=Path, required=True, help="where to write the test CA and certificate")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT)
    parser.add_argument("--admin-api-key", default=DEFAULT_ADMIN_KEY)
    parser.add_argument("--ldap-service", default=None, help="enable authn-ldap with this service id")
    parser.add_argument("--token-lifetime", type=int, default=480, help="access token lifetime in seconds")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args()
    fake = FakeConjur(args.cert_dir, args.account, args.admin_api_key, args.port, args.ldap_service)
    fake.tokens.lifetime = args.token_lifetime
    fake.server.verbose = args.verbose
    serve_until_stopped(fake, {"port": fake.port, "url": fake.url, "ca": str(fake.ca_path)})


if __name__ == "__main__":
    main()
