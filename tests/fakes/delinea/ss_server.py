"""A fake Delinea Secret Server (REST API v1 with OAuth2 tokens) over HTTPS, for keyway's tests.

Run `python3 ss_server.py --port 0 --cert-dir DIR`: it writes a test CA and a server certificate into
DIR, listens on 127.0.0.1 and prints one line `READY {"port": .., "url": .., "ca": .., ...}` once it
accepts connections. `--plain-http` serves without TLS.

Served: `POST /oauth2/token` (password, client-credentials and refresh-token grants), `GET
/api/v1/healthcheck`, and under `/api/v1` (bearer token required) `secrets` (search, search-total,
stub, get, fields, create, deactivate, restore), `folders` and `secret-templates` (see ss_store.py).
Test controls under `/_fake/` need no token: `reset`, `stats`, `fail`, `throttle`, `revoke-tokens`,
`config`, `attach`.
"""

from __future__ import annotations

import argparse
import json
import secrets as random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, Faults, LoopbackFake, serve_until_stopped  # noqa: E402
from ss_store import TEMPLATES, ApiError, Store  # noqa: E402


@dataclass
class Account:
    """A user (password grant) or an SDK client (client-credentials grant)."""

    password: str
    can_write: bool = True
    domain: str | None = None


@dataclass
class Identity:
    users: dict[str, Account] = field(default_factory=lambda: {
        "keyway": Account("keyway-password-1"),
        "viewer": Account("viewer-password-1", can_write=False),
        "ad-user": Account("ad-password-1", domain="example"),
    })
    clients: dict[str, Account] = field(default_factory=lambda: {
        "sdk-client-5f0d3c1e": Account("sdk-client-secret-0123456789"),
    })
    token_lifetime: int = 1200


class Tokens:
    """Access and refresh tokens."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.lock = threading.Lock()
        self.access: dict[str, tuple[Account, float]] = {}
        self.refresh: dict[str, Account] = {}
        self.stats = {"token_requests": 0, "password_grants": 0, "client_grants": 0, "refresh_grants": 0,
                      "rejected": 0}

    def grant(self, form: dict[str, str]) -> dict:
        with self.lock:
            self.stats["token_requests"] += 1
        kind = form.get("grant_type")
        account = None
        if kind == "password":
            account = self.identity.users.get(form.get("username", "").lower())
            if account is not None and (account.password != form.get("password")
                                        or (account.domain or "") != (form.get("domain") or "").lower()):
                account = None
        elif kind == "client_credentials":
            account = self.identity.clients.get(form.get("client_id", ""))
            if account is not None and account.password != form.get("client_secret"):
                account = None
        elif kind == "refresh_token":
            with self.lock:
                account = self.refresh.pop(form.get("refresh_token", ""), None)
        else:
            raise ApiError(400, "unsupported_grant_type", "unsupported_grant_type")
        if account is None:
            with self.lock:
                self.stats["rejected"] += 1
            raise ApiError(400, "invalid_grant", "Login failed.")
        with self.lock:
            self.stats[{"password": "password_grants", "client_credentials": "client_grants",
                        "refresh_token": "refresh_grants"}[kind]] += 1
            token, refresh = random.token_urlsafe(24), random.token_urlsafe(24)
            self.access[token] = (account, time.monotonic() + self.identity.token_lifetime)
            self.refresh[refresh] = account
        return {"access_token": token, "token_type": "bearer", "expires_in": self.identity.token_lifetime,
                "refresh_token": refresh}

    def check(self, authorization: str | None) -> Account:
        token = (authorization or "")[len("Bearer "):] if (authorization or "").lower().startswith("bearer ") else ""
        with self.lock:
            entry = self.access.get(token)
            if entry is None or entry[1] < time.monotonic():
                self.stats["rejected"] += 1
                raise ApiError(401, "API_AuthenticationFailed", "Authentication failed or expired token")
            return entry[0]

    def revoke_all(self) -> None:
        with self.lock:
            self.access.clear()
            self.refresh.clear()


class FakeSecretServer(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-secret-server"

    def __init__(self, identity: Identity | None = None, cert_dir: Path | None = None, port: int = 0,
                 plain_http: bool = False) -> None:
        self.identity = identity or Identity()
        self.tokens = Tokens(self.identity)
        self.store = Store()
        self.faults = Faults()
        fake = self

        class Handler(_Handler):
            app = fake

        if not plain_http and cert_dir is None:
            raise ValueError("HTTPS needs a cert_dir for the generated test CA")
        self.listen(Handler, port, None if plain_http else cert_dir)


    def control(self, action: str, body: dict) -> tuple[int, object]:
        if self.faults.control(action, body):
            pass
        elif action == "reset":
            self.store.reset()
            self.faults.clear()
        elif action == "revoke-tokens":
            self.tokens.revoke_all()
        elif action == "config":
            if "token_lifetime" in body:
                self.identity.token_lifetime = int(body["token_lifetime"])
        elif action == "attach":
            # A file attachment, as the web UI uploads it: {"secret_id", "slug", "file_name", "content"}.
            self.store.set_field(int(body["secret_id"]), body["slug"],
                                 {"fileName": body["file_name"], "fileAttachment": list(body["content"].encode())})
        elif action == "stats":
            stats = self.faults.snapshot()
            with self.tokens.lock:
                stats.update(self.tokens.stats)
            with self.store.lock:
                stats["secrets"] = len(self.store.secrets)
                stats["inactive"] = sum(1 for s in self.store.secrets.values() if not s.active)
            return 200, stats
        else:
            return 404, {"message": f"unknown control {action}"}
        return 200, {"ok": True}


def paging(records: list[dict], query: dict) -> dict:
    skip = int(query.get("skip") or 0)
    take = int(query.get("take") or 10)
    if skip < 0 or take < 0:
        raise ApiError(400, "API_InvalidPaging", "skip and take must not be negative.")
    page = records[skip:skip + take] if take else []
    total = len(records)
    has_next = skip + take < total and take > 0
    return {"filter": {}, "skip": skip, "take": take, "total": total, "pageCount": -(-total // take) if take else 0,
            "currentPage": skip // take + 1 if take else 1, "batchCount": -(-total // take) if take else 0,
            "prevSkip": max(skip - take, 0), "nextSkip": skip + take if has_next else skip, "hasPrev": skip > 0,
            "hasNext": has_next, "records": page, "sortBy": [], "success": True, "severity": "None"}


class _Handler(FakeHandler):
    server_version = "Microsoft-IIS/10.0"
    log_name = "fake-secret-server"
    app: FakeSecretServer

    def _send(self, status: int, payload: object = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None, content_type: str = "application/json; charset=utf-8") -> None:
        body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        self.send_body(status, body, content_type, headers)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw = self.read_body()
        query = {k.lower(): v for k, v in parse_qsl(url.query, keep_blank_values=True)}
        path = url.path.rstrip("/").lower()
        try:
            if path.startswith("/_fake/"):
                status, payload = self.app.control(url.path[len("/_fake/"):], json.loads(raw) if raw else {})
                self._send(status, payload)
            elif path == "/oauth2/token" and self.command == "POST":
                form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
                try:
                    self._send(200, self.app.tokens.grant(form), {"Cache-Control": "no-store"})
                except ApiError as err:
                    self._send(400, {"error": err.message})
            elif path == "/api/v1/healthcheck":
                self._send(200, {"Healthy": True, "DatabaseHealthy": True, "ServiceBusHealthy": True})
            elif path.startswith("/api/v1/"):
                parts = [unquote(p) for p in url.path.rstrip("/").split("/")[3:]]
                self._api(parts, query, raw)
            else:
                self._send(404, {"message": f"No HTTP resource was found that matches {url.path}"})
        except ApiError as err:
            self._send(err.status, err.body())
        except (ValueError, TypeError, KeyError) as err:
            self._send(400, {"errorCode": "API_BadRequest", "message": f"The request is invalid: {err}"})

    def _api(self, parts: list[str], query: dict, raw: bytes) -> None:
        app = self.app
        account = app.tokens.check(self.headers.get("Authorization"))
        fault = app.faults.next()
        if fault is not None:
            status, headers = fault
            self._send(status, {"message": "The service is temporarily unavailable"}, headers)
            return
        if self.command in ("POST", "PUT", "DELETE") and not account.can_write:
            raise ApiError(403, "API_AccessDenied", "Access Denied")
        body = json.loads(raw) if raw else None
        route = [p.lower() for p in parts]
        if route[:1] == ["secrets"]:
            self._secrets(parts[1:], route[1:], query, body)
        elif route[:1] == ["folders"]:
            self._folders(route[1:], query)
        elif route[:1] == ["secret-templates"] and self.command == "GET":
            if len(route) == 1:
                self._send(200, paging([{"id": t["id"], "name": t["name"], "active": True}
                                        for t in TEMPLATES.values()], query))
            else:
                template = TEMPLATES.get(int(route[1]))
                if template is None:
                    raise ApiError(404, "API_TemplateNotFound", "Secret template not found.")
                self._send(200, template)
        else:
            raise ApiError(404, "API_NotFound", f"No HTTP resource was found that matches /api/v1/{'/'.join(parts)}")

    def _secrets(self, parts: list[str], route: list[str], query: dict, body) -> None:
        store, method = self.app.store, self.command
        if method == "GET" and route == []:
            records = [store.summary(s) for s in store.search(query)]
            self._send(200, paging(records, query))
        elif method == "GET" and route == ["search-total"]:
            self._send(200, len(store.search(query)))
        elif method == "GET" and route == ["stub"]:
            folder = query.get("filter.folderid")
            self._send(200, store.stub(int(query.get("filter.secrettemplateid") or 0),
                                       int(folder) if folder else None))
        elif method == "POST" and route == []:
            if not isinstance(body, dict):
                raise ApiError(400, "API_BodyRequired", "A secret is required.")
            self._send(200, store.create(body))
        elif method == "GET" and len(route) == 1:
            secret_id = int(route[0])
            with store.lock:
                if secret_id == 0 and query.get("secretpath"):
                    secret = store.secret_by_path(query["secretpath"])
                else:
                    secret = store.secret(secret_id)
                self._send(200, store.secret_body(secret))
        elif method == "GET" and len(route) == 3 and route[1] == "fields":
            text, content, file_name = store.field_value(int(route[0]), parts[2])
            if content is not None:
                self._send(200, raw=content, content_type="application/octet-stream",
                           headers={"Content-Disposition": f'attachment; filename="{file_name}"'})
            else:
                self._send(200, text)
        elif method == "PUT" and len(route) == 3 and route[1] == "fields":
            self._send(200, store.set_field(int(route[0]), parts[2], body if isinstance(body, dict) else {}))
        elif method == "DELETE" and len(route) == 1:
            self._send(200, store.deactivate(int(route[0])))
        elif method == "PUT" and len(route) == 2 and route[1] == "restore":
            self._send(200, store.restore(int(route[0])))
        else:
            raise ApiError(405, "API_MethodNotAllowed", "The requested resource does not support this method.")

    def _folders(self, route: list[str], query: dict) -> None:
        store = self.app.store
        if self.command != "GET":
            raise ApiError(405, "API_MethodNotAllowed", "The requested resource does not support this method.")
        with store.lock:
            if route == ["lookup"]:
                folders = list(store.folders.values())
                parent = query.get("filter.parentfolderid")
                if parent:
                    direct = query.get("filter.limittodirectdescendents", "false").lower() == "true"
                    allowed = ([f.id for f in folders if f.parent_id == int(parent)] if direct
                               else store.descendants(int(parent))[1:])
                    folders = [f for f in folders if f.id in allowed]
                text = query.get("filter.searchtext")
                if text:
                    folders = [f for f in folders if text.lower() in f.name.lower()]
                self._send(200, paging([{"id": f.id, "value": f.name} for f in folders], query))
            elif len(route) == 1:
                folder_id = int(route[0])
                folder = (store.folder_by_path(query["folderpath"]) if folder_id == 0 and query.get("folderpath")
                          else store.folder(folder_id))
                children = query.get("getallchildren", "false").lower() == "true"
                self._send(200, store.folder_body(folder, children))
            else:
                raise ApiError(404, "API_NotFound", "No HTTP resource was found.")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--cert-dir", type=Path, help="where to write the test CA and server certificate")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no TLS)")
    parser.add_argument("--token-lifetime", type=int, default=1200, help="seconds an access token lives")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args()
    if not args.plain_http and args.cert_dir is None:
        parser.error("--cert-dir is required unless --plain-http")
    identity = Identity(token_lifetime=args.token_lifetime)
    fake = FakeSecretServer(identity, args.cert_dir, args.port, args.plain_http)
    fake.server.verbose = args.verbose
    client_id, client = next(iter(identity.clients.items()))
    ready = {"port": fake.port, "url": fake.url, "ca": str(fake.ca_path) if fake.ca_path else None,
             "username": "keyway", "password": identity.users["keyway"].password,
             "viewer_password": identity.users["viewer"].password, "client_id": client_id,
             "client_secret": client.password, "folder_id": 3, "other_folder_id": 5, "template_id": 2}
    serve_until_stopped(fake, ready)


if __name__ == "__main__":
    main()
