"""A fake BeyondTrust Password Safe (Secrets Safe API v3) over HTTPS, for keyway's tests.

Run `python3 bt_server.py --port 0 --cert-dir DIR`: it writes a test CA and a server certificate
into DIR, listens on 127.0.0.1 and prints one line `READY {"port": .., "url": .., "api_url": ..,
"ca": ..}` once it accepts connections. `--plain-http` serves without TLS.

Everything lives under `/BeyondTrust/api/public/v3/` (paths and query names without case, as the
service treats them): `Auth/SignAppin`, `Auth/Signout`, `Auth/connect/token`, `Secrets-Safe/Folders`
and `Secrets-Safe/Secrets` (see bt_store.py). Test controls under `/_fake/` need no sign-in:
`reset`, `stats`, `fail`, `throttle`, `end-sessions`, `config`, `identity`.
"""

from __future__ import annotations

import argparse
import json
import sys
from email import policy
from email.parser import BytesParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, Faults, LoopbackFake, serve_until_stopped  # noqa: E402
from bt_auth import Identity, Sessions  # noqa: E402
from bt_store import VERSIONS, ApiError, Store  # noqa: E402

API_ROOT = "/beyondtrust/api/public/v3/"
COOKIE = "ASP.NET_SessionId"


class FakePasswordSafe(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-password-safe"

    def __init__(self, identity: Identity | None = None, cert_dir: Path | None = None, port: int = 0,
                 plain_http: bool = False) -> None:
        self.identity = identity or Identity()
        self.sessions = Sessions(self.identity)
        self.store = Store(self.identity.user)
        self.faults = Faults()
        fake = self

        class Handler(_Handler):
            app = fake

        if not plain_http and cert_dir is None:
            raise ValueError("HTTPS needs a cert_dir for the generated test CA")
        self.listen(Handler, port, None if plain_http else cert_dir)

    @property
    def api_url(self) -> str:
        return f"{self.url}/BeyondTrust/api/public/v3"

    def control(self, action: str, body: dict) -> tuple[int, object]:
        faults, identity = self.faults, self.identity
        if faults.control(action, body):
            pass
        elif action == "reset":
            self.store.reset()
            faults.clear()
        elif action == "end-sessions":
            self.sessions.end_all()
        elif action == "config":
            if "idle_seconds" in body:
                identity.idle_seconds = float(body["idle_seconds"])
            if "run_as_password" in body:
                identity.run_as_password = body["run_as_password"]
        elif action == "identity":
            return 200, {"api_key": identity.api_key, "run_as": identity.run_as, "client_id": identity.client_id,
                         "client_secret": identity.client_secret, "user_id": identity.user.user_id}
        elif action == "stats":
            stats = faults.snapshot()
            with self.sessions.lock:
                stats.update(self.sessions.stats)
            stats["live_sessions"] = self.sessions.live()
            with self.store.lock:
                stats["secrets"] = len(self.store.secrets)
                stats["folders"] = len(self.store.folders)
            return 200, stats
        else:
            return 404, f"unknown control {action}"
        return 200, {"ok": True}


class _Handler(FakeHandler):
    server_version = "Microsoft-IIS/10.0"
    log_name = "fake-password-safe"
    app: FakePasswordSafe

    def _send(self, status: int, payload: object = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None, content_type: str = "application/json; charset=utf-8") -> None:
        body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        self.send_body(status, body, content_type if body or raw is not None else None, headers)

    def _session(self) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie is no session
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw = self.read_body()
        query = {k.lower(): v for k, v in parse_qsl(url.query, keep_blank_values=True)}
        try:
            if url.path.startswith("/_fake/"):
                status, payload = self.app.control(url.path[len("/_fake/"):], json.loads(raw) if raw else {})
                self._send(status, payload)
            elif url.path.lower().startswith(API_ROOT):
                parts = [unquote(p) for p in url.path[len(API_ROOT):].split("/") if p != ""]
                self._api(parts, query, raw)
            else:
                self._send(404, f"No resource at {url.path}")
        except ApiError as err:
            self._send(err.status, err.message)
        except (ValueError, TypeError, KeyError) as err:
            self._send(400, f"The request is invalid: {err}")

    def _api(self, parts: list[str], query: dict[str, str], raw: bytes) -> None:
        app, method = self.app, self.command
        route = [p.lower() for p in parts]
        if route[:1] == ["auth"]:
            self._auth(route[1:], raw)
            return
        app.sessions.check(self._session())
        fault = app.faults.next()
        if fault is not None:
            status, headers = fault
            self._send(status, "The service is temporarily unavailable" if status != 429 else "Too many requests",
                       headers)
            return
        version = query.get("version", "3.0")
        if version not in VERSIONS:
            raise ApiError(400, f"API version {version} is not supported")
        if route[:1] == ["secrets-safe"] and route[1:2] == ["folders"]:
            self._folders(method, parts[2:], route[2:], query, raw, version)
        elif route[:1] == ["secrets-safe"] and route[1:2] == ["secrets"]:
            self._secrets(method, parts[2:], route[2:], query, raw, version)
        else:
            raise ApiError(404, f"No resource at {'/'.join(parts)}")

    def _auth(self, route: list[str], raw: bytes) -> None:
        app = self.app
        if self.command != "POST":
            raise ApiError(405, "The requested resource does not support this method")
        if route == ["signappin"]:
            user, session = app.sessions.sign_in(self.headers.get("Authorization"))
            cookie = f"{COOKIE}={session}; path=/; secure; HttpOnly; SameSite=Lax"
            self._send(200, user.sign_in_body(), {"Set-Cookie": cookie})
        elif route == ["signout"]:
            app.sessions.sign_out(self._session())
            self._send(200, None)
        elif route == ["connect", "token"]:
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            try:
                self._send(200, app.sessions.issue_token(form))
            except ApiError as err:
                self._send(400, {"error": err.message})
        else:
            raise ApiError(404, f"No resource at Auth/{'/'.join(route)}")

    def _folders(self, method: str, parts: list[str], route: list[str], query: dict, raw: bytes,
                 version: str) -> None:
        store = self.app.store
        if method == "GET" and not route:
            self._send(200, store.list_folders(query))
        elif method == "POST" and not route:
            self._send(201, store.create_folder(json.loads(raw or b"{}")))
        elif method == "GET" and len(route) == 1:
            self._send(200, store.folder(parts[0]).body())
        elif method == "DELETE" and len(route) == 1:
            store.delete_folder(parts[0])
            self._send(204, None)
        elif method == "GET" and len(route) == 2 and route[1] == "secrets":
            self._send(200, store.find_secrets({**query, "folderid": store.folder(parts[0]).id}, version))
        elif method == "POST" and len(route) >= 2 and route[1] == "secrets":
            kind = {(): "Credential", ("text",): "Text", ("file",): "File"}.get(tuple(route[2:]))
            if kind is None:
                raise ApiError(404, "No such secret type")
            body, content = self._secret_body(kind, raw)
            self._send(201, store.create_secret(parts[0], kind, body, version, content))
        else:
            raise ApiError(405, "The requested resource does not support this method")

    def _secrets(self, method: str, parts: list[str], route: list[str], query: dict, raw: bytes,
                 version: str) -> None:
        store = self.app.store
        if method == "GET" and not route:
            self._send(200, store.find_secrets(query, version))
            return
        if not route:
            raise ApiError(405, "The requested resource does not support this method")
        secret_id, rest = parts[0], tuple(route[1:])
        if method == "GET" and rest == ():
            self._send(200, store.secret_body(store.secret(secret_id), version, shape="credential"))
        elif method == "GET" and rest == ("text",):
            secret = self._typed(secret_id, "Text")
            self._send(200, store.secret_body(secret, version, shape="text"))
        elif method == "GET" and rest == ("file",):
            secret = self._typed(secret_id, "File")
            self._send(200, store.secret_body(secret, version, shape="file"))
        elif method == "GET" and rest == ("file", "download"):
            secret = self._typed(secret_id, "File")
            disposition = {"Content-Disposition": f'attachment; filename="{secret.file_name}"'}
            self._send(200, raw=secret.content or b"", headers=disposition, content_type="application/octet-stream")
        elif method == "PUT" and rest in ((), ("text",), ("file",)):
            kind = {(): "Credential", ("text",): "Text", ("file",): "File"}[rest]
            body, content = self._secret_body(kind, raw)
            answer = store.update_secret(secret_id, kind, body, version, content)
            if kind == "File":
                self._send(204, None)
            else:
                self._send(200, answer)
        elif method == "DELETE" and rest == ():
            store.delete_secret(secret_id)
            self._send(200, None)
        else:
            raise ApiError(405, "The requested resource does not support this method")

    def _typed(self, secret_id: str, kind: str):
        secret = self.app.store.secret(secret_id)
        if secret.secret_type != kind:
            raise ApiError(400, f"Secret {secret.id} is not a {kind} secret")
        return secret

    def _secret_body(self, kind: str, raw: bytes) -> tuple[dict, bytes | None]:
        """A JSON body, or for file secrets a multipart form with `secretmetadata` (JSON) and `files`."""
        if kind != "File":
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ApiError(400, "The body must be a JSON object")
            return body, None
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise ApiError(415, "File secrets are sent as multipart/form-data")
        message = BytesParser(policy=policy.default).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        metadata, content, file_name = None, None, None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "secretmetadata":
                metadata = json.loads(part.get_payload(decode=True) or b"{}")
            elif name in ("files", "file"):
                content = part.get_payload(decode=True) or b""
                file_name = part.get_filename()
        if metadata is None:
            raise ApiError(400, "secretmetadata is required")
        if file_name and not metadata.get("FileName"):
            metadata["FileName"] = file_name
        return metadata, content

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--cert-dir", type=Path, help="where to write the test CA and server certificate")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no TLS)")
    parser.add_argument("--run-as-password", default=None, help="require this run-as password at SignAppin")
    parser.add_argument("--idle-seconds", type=float, default=Identity.idle_seconds, help="session timeout")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args()
    if not args.plain_http and args.cert_dir is None:
        parser.error("--cert-dir is required unless --plain-http")
    identity = Identity(run_as_password=args.run_as_password, idle_seconds=args.idle_seconds)
    fake = FakePasswordSafe(identity, args.cert_dir, args.port, args.plain_http)
    fake.server.verbose = args.verbose
    ready = {"port": fake.port, "url": fake.url, "api_url": fake.api_url,
             "ca": str(fake.ca_path) if fake.ca_path else None, "api_key": identity.api_key,
             "run_as": identity.run_as, "client_id": identity.client_id, "client_secret": identity.client_secret}
    serve_until_stopped(fake, ready)


if __name__ == "__main__":
    main()
