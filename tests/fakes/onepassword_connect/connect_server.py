"""A fake 1Password Connect server (REST API v1) over plain HTTP, like a Connect server on localhost:8080.

Run `python3 connect_server.py --port 0 --token TOKEN --vault NAME [--vault NAME ..]`: it listens on
127.0.0.1 and prints one line `READY {"port": .., "url": .., "vaults": {name: id}}` when it accepts
connections. It serves:

- `GET /heartbeat` and `GET /health` without a token;
- `/v1/vaults`, `/v1/vaults/{id}`, `/v1/vaults/{id}/items` (GET with `filter=title eq "..."`, POST) and
  `/v1/vaults/{id}/items/{id}` (GET, PUT, PATCH, DELETE) with `Authorization: Bearer TOKEN`;
- test controls under `/_fake/` (no token): `token`, `revoke-tokens`, `vault`, `vaults`, `fail`, `reset`,
  `stats`.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, LoopbackFake, serve_until_stopped  # noqa: E402
from connect_store import ConnectError, Store, new_id  # noqa: E402

DEFAULT_TOKEN = "fake-connect-token"


class Tokens:
    """Connect tokens: each grants every vault (`None`) or a set of vault ids."""

    def __init__(self, token: str) -> None:
        self.lock = threading.Lock()
        self.scopes: dict[str, set[str] | None] = {token: None}
        self.actors: dict[str, str] = {token: new_id()}

    def add(self, token: str, vaults: set[str] | None) -> None:
        with self.lock:
            self.scopes[token] = vaults
            self.actors[token] = new_id()

    def revoke_all(self) -> None:
        with self.lock:
            self.scopes.clear()

    def check(self, header: str | None) -> tuple[set[str] | None, str]:
        """The token's scope and actor id, or a 401."""
        if not header or not header.startswith("Bearer "):
            raise ConnectError(401, "Invalid bearer token")
        token = header[len("Bearer "):].strip()
        with self.lock:
            if token not in self.scopes:
                raise ConnectError(401, "Invalid token signature")
            return self.scopes[token], self.actors[token]


class FakeConnect(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-connect"

    def __init__(self, token: str = DEFAULT_TOKEN, vaults: list[str] | None = None, port: int = 0) -> None:
        self.store = Store(vaults or ["keyway"])
        self.tokens = Tokens(token)
        self.token = token
        self.lock = threading.Lock()
        self.fail_left, self.fail_status, self.retry_after = 0, 503, None
        self.stats: dict[str, int] = {"requests": 0, "failed": 0, "GET": 0, "POST": 0, "PUT": 0, "PATCH": 0,
                                      "DELETE": 0}
        fake = self

        class Handler(_Handler):
            app = fake

        self.listen(Handler, port)

    def vault_ids(self) -> dict[str, str]:
        with self.store.lock:
            return {v["name"]: v["id"] for v in self.store.vaults.values()}

    def control(self, action: str, body: dict) -> dict:
        if action == "token":
            names = body.get("vaults")
            scope = None if names is None else {self._vault_id(name) for name in names}
            self.tokens.add(str(body["token"]), scope)
        elif action == "revoke-tokens":
            self.tokens.revoke_all()
        elif action == "vault":
            return self.store.add_vault(str(body["name"]))
        elif action == "vaults":
            return self.vault_ids()
        elif action == "fail":
            with self.lock:
                self.fail_left = int(body.get("count", 1))
                self.fail_status = int(body.get("status", 503))
                self.retry_after = body.get("retry_after")
        elif action == "reset":
            self.store.reset()
            with self.lock:
                self.fail_left = 0
        elif action == "stats":
            with self.lock:
                return dict(self.stats)
        else:
            raise ConnectError(404, f"unknown control {action}")
        return {"ok": True}

    def _vault_id(self, name: str) -> str:
        vault = self.store.vault_named(name)
        if vault is None:
            raise ConnectError(400, f"no vault named {name}")
        return vault["id"]

    def count(self, method: str) -> tuple[int, dict[str, str]] | None:
        """Counts an API request; returns an injected failure when one is pending."""
        with self.lock:
            self.stats["requests"] += 1
            self.stats[method] = self.stats.get(method, 0) + 1
            if self.fail_left > 0:
                self.fail_left -= 1
                self.stats["failed"] += 1
                headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
                return self.fail_status, headers
        return None

    def api(self, method: str, parts: list[str], query: dict[str, str], body: object, auth: str | None):
        """Routes one `/v1/...` request; returns (status, JSON payload or None)."""
        scope, actor = self.tokens.check(auth)
        store = self.store
        if parts == ["vaults"] and method == "GET":
            return 200, store.list_vaults(scope, query.get("filter"))
        if len(parts) == 2 and parts[0] == "vaults" and method == "GET":
            return 200, store.vault(parts[1], scope)
        if len(parts) == 3 and parts[0] == "vaults" and parts[2] == "items":
            if method == "GET":
                return 200, store.list_items(parts[1], scope, query.get("filter"))
            if method == "POST":
                return 200, store.create_item(parts[1], body, scope, actor)
        if len(parts) == 4 and parts[0] == "vaults" and parts[2] == "items":
            vault_id, item_id = parts[1], parts[3]
            if method == "GET":
                return 200, store.get_item(vault_id, item_id, scope)
            if method == "PUT":
                return 200, store.replace_item(vault_id, item_id, body, scope, actor)
            if method == "PATCH":
                return 200, store.patch_item(vault_id, item_id, body, scope, actor)
            if method == "DELETE":
                store.delete_item(vault_id, item_id, scope)
                return 204, None
        raise ConnectError(404, f"no route for {method} /v1/{'/'.join(parts)}")


class _Handler(FakeHandler):
    server_version = "1Password Connect (fake)"
    log_name = "fake-connect"
    app: FakeConnect

    def _send(self, status: int, payload: object, headers: dict[str, str] | None = None, text: str | None = None):
        if text is not None:
            body, kind = text.encode(), "text/plain; charset=utf-8"
        else:
            body, kind = (b"" if payload is None else json.dumps(payload).encode()), "application/json"
        self.send_body(status, body, kind if body else None, headers)

    def _dispatch(self) -> None:
        app = self.app
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        try:
            raw = self.read_body()
            if parts == ["heartbeat"] and self.command == "GET":
                return self._send(200, None, text=".")
            if parts == ["health"] and self.command == "GET":
                return self._send(200, {"name": "1Password Connect API", "version": "1.7.3", "dependencies": [
                    {"service": "sync", "status": "ACTIVE"}, {"service": "sqlite", "status": "ACTIVE"}]})
            if parts and parts[0] == "_fake":
                body = json.loads(raw) if raw else {}
                return self._send(200, app.control(parts[1] if len(parts) > 1 else "", body))
            if not parts or parts[0] != "v1":
                raise ConnectError(404, f"no route for {url.path}")
            fault = app.count(self.command)
            if fault is not None:
                status, headers = fault
                return self._send(status, {"status": status, "message": "injected failure"}, headers)
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                raise ConnectError(400, "Invalid request body: not valid JSON") from None
            status, payload = app.api(self.command, parts[1:], query, body, self.headers.get("Authorization"))
            self._send(status, payload)
        except ConnectError as err:
            self._send(err.status, err.body())
        except (ValueError, TypeError, KeyError) as err:
            self._send(400, {"status": 400, "message": f"Invalid request: {err}"})

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the Connect token granting every vault")
    parser.add_argument("--vault", action="append", help="a vault to create (repeatable; default: keyway)")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args()
    fake = FakeConnect(args.token, args.vault, args.port)
    fake.server.verbose = args.verbose
    serve_until_stopped(fake, {"port": fake.port, "url": fake.url, "vaults": fake.vault_ids()})


if __name__ == "__main__":
    main()
