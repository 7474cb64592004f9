"""A fake Google Cloud Secret Manager (REST API v1) with Google's OAuth token endpoint and the GCE
metadata server's token endpoint, over plain HTTP on 127.0.0.1.

Run `python3 server.py --port 0 --key-dir DIR`: it generates a service account's key, writes
`DIR/service-account.json` (its `token_uri` points at this fake) and prints one line
`READY {"port": .., "url": .., "key_file": ..}` when it accepts connections. Served on one port:

- `/v1/projects/P[/locations/L]/secrets...`: the API (bearer token required);
- `POST /token`: the JWT-bearer grant for the generated service account;
- `GET /computeMetadata/v1/instance/service-accounts/default/` (`?recursive=true`) and `.../token`
  (`Metadata-Flavor: Google`): the GCE metadata server's account and token;
- `/_fake/ACTION` (no authentication): `throttle`, `fail`, `revoke-tokens`, `grant-token`, `reset`, `stats`.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, Faults, LoopbackFake, serve_until_stopped  # noqa: E402
from checksum import crc32c  # noqa: E402
from identity import ServiceAccount, TokenError, TokenIssuer  # noqa: E402
from store import ApiError, Store  # noqa: E402

PROJECT_ID = "keyway-test"
PROJECT_NUMBER = "123456789012"


class FakeSecretManager(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-secretmanager"

    def __init__(self, port: int = 0, project_id: str = PROJECT_ID, key_dir: Path | None = None) -> None:
        self.project_id = project_id
        self.store = Store()
        self.account = ServiceAccount(project_id)
        self.tokens = TokenIssuer(self.account)
        self.faults = Faults("api_requests", "unauthenticated")
        fake = self

        class Handler(_Handler):
            app = fake

        self.listen(Handler, port)
        self.key_file = self.account.write_key_file(key_dir / "service-account.json", self.token_uri) \
            if key_dir else None

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def control(self, action: str, body: dict) -> tuple[int, dict]:
        faults = self.faults
        if faults.control(action, body):
            pass
        elif action == "revoke-tokens":
            self.tokens.revoke_all()
        elif action == "grant-token":
            return 200, {"access_token": self.tokens.grant(body.get("lifetime"))}
        elif action == "reset":
            self.store.reset()
            faults.clear()
        elif action == "stats":
            return 200, dict(faults.snapshot(), token_requests=self.tokens.requests,
                             metadata_requests=self.tokens.metadata_requests, secrets=len(self.store.secrets))
        else:
            return 404, {"error": {"code": 404, "message": f"unknown control {action}", "status": "NOT_FOUND"}}
        return 200, {"ok": True}


class _Handler(FakeHandler):
    server_version = "FakeSecretManager/1.0"
    log_name = "fake-secretmanager"
    app: FakeSecretManager

    def _send(self, status: int, payload, content_type: str = "application/json; charset=UTF-8",
              metadata: bool = False) -> None:
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_body(status, body, content_type, {"Metadata-Flavor": "Google"} if metadata else None)

    def _dispatch(self) -> None:
        raw = self.read_body()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        path = unquote(url.path)
        app = self.app
        if path.startswith("/_fake/"):
            status, payload = app.control(path[len("/_fake/"):], json.loads(raw) if raw else {})
            self._send(status, payload)
        elif path == "/token" and self.command == "POST":
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            try:
                self._send(200, app.tokens.token_endpoint(form, app.token_uri))
            except TokenError as err:
                self._send(err.status, err.payload)
        elif path.startswith("/computeMetadata/v1/instance/service-accounts/default/") and self.command == "GET":
            if path.endswith("/token"):
                status, payload = app.tokens.metadata_token(self.headers)
            else:
                status, payload = app.tokens.metadata_info(self.headers)
            self._send(status, payload, "application/json" if status == 200 else "text/html", metadata=True)
        elif path.startswith("/v1/projects/"):
            try:
                self._api(path[len("/v1/"):].split("/"), query, raw)
            except ApiError as err:
                self._send(err.code, err.body())
            except (ValueError, KeyError, TypeError) as err:
                self._send(400, ApiError("INVALID_ARGUMENT", f"Invalid request: {err}").body())
        else:
            self._send(404, ApiError("NOT_FOUND", f"no route for {path}").body())

    def _api(self, parts: list[str], query: dict[str, str], raw: bytes) -> None:
        app = self.app
        problem = app.tokens.check(self.headers.get("Authorization"))
        if problem is not None:
            app.faults.count("unauthenticated")
            raise ApiError("UNAUTHENTICATED", problem)
        fault = app.faults.next()
        if fault is not None:
            status, _ = fault
            if status == 429:
                raise ApiError("RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Access requests' and limit "
                               "'Access requests per minute per project' of service 'secretmanager.googleapis.com'.")
            raise ApiError("UNAVAILABLE" if status == 503 else "INTERNAL", "The service is currently unavailable.")
        project = parts[1]
        if project not in (app.project_id, PROJECT_NUMBER):
            raise ApiError("PERMISSION_DENIED", f"Permission denied on resource project {project}.", [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CONSUMER_INVALID",
                "domain": "googleapis.com",
                "metadata": {"consumer": f"projects/{project}", "service": "secretmanager.googleapis.com"}}])
        rest, parent, regional = parts[2:], f"projects/{PROJECT_NUMBER}", False
        if rest[:1] == ["locations"] and len(rest) >= 2:
            parent, rest, regional = f"{parent}/locations/{rest[1]}", rest[2:], True
        if not rest or rest[0] != "secrets":
            raise ApiError("NOT_FOUND", "Unknown resource.")
        body = json.loads(raw) if raw else {}
        int_enums = "enum-encoding=int" in query.get("$alt", "")
        store, method = app.store, self.command
        if len(rest) == 1:
            if method == "GET":
                found, token = store.list(parent, query.get("filter", ""), int(query.get("pageSize") or 0),
                                          query.get("pageToken", ""))
                out = {"secrets": [store.secret_json(s) for s in found], "totalSize": len(found)}
                if token:
                    out["nextPageToken"] = token
                return self._send(200, out)
            if method == "POST":
                return self._send(200, store.secret_json(store.create(parent, query.get("secretId", ""), body,
                                                                      regional)))
        secret_part, _, verb = rest[1].partition(":")
        name = f"{parent}/secrets/{secret_part}"
        if len(rest) == 2:
            if verb == "addVersion" and method == "POST":
                secret, version = store.add_version(name, body.get("payload") or {})
                return self._send(200, store.version_json(secret, version, int_enums))
            if verb:
                raise ApiError("NOT_FOUND", f"Method :{verb} is not served by this fake.")
            if method == "GET":
                return self._send(200, store.secret_json(store.get(name)))
            if method == "PATCH":
                return self._send(200, store.secret_json(store.patch(name, body, query.get("updateMask", ""))))
            if method == "DELETE":
                store.delete(name, query.get("etag"))
                return self._send(200, {})
        if len(rest) == 3 and rest[2] == "versions" and method == "GET":
            found, token, secret = store.versions(name, int(query.get("pageSize") or 0), query.get("pageToken", ""),
                                                  query.get("filter", ""))
            out = {"versions": [store.version_json(secret, v, int_enums) for v in found], "totalSize": len(found)}
            if token:
                out["nextPageToken"] = token
            return self._send(200, out)
        if len(rest) == 4 and rest[2] == "versions":
            ref, _, verb = rest[3].partition(":")
            if verb == "access" and method == "GET":
                secret, version = store.access(name, ref)
                data = version.data or b""
                return self._send(200, {"name": f"{secret.name}/versions/{version.number}", "payload": {
                    "data": base64.b64encode(data).decode(), "dataCrc32c": str(crc32c(data))}})
            if verb in ("enable", "disable", "destroy") and method == "POST":
                secret, version = store.transition(name, ref, verb, body.get("etag"))
                return self._send(200, store.version_json(secret, version, int_enums))
            if not verb and method == "GET":
                secret = store.get(name)
                return self._send(200, store.version_json(secret, store.version(secret, ref), int_enums))
        raise ApiError("NOT_FOUND", f"No method {method} for this resource.")

    do_GET = do_POST = do_PATCH = do_DELETE = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--key-dir", type=Path, required=True, help="where to write service-account.json")
    parser.add_argument("--project", default=PROJECT_ID, help="the project id the fake serves")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="seconds an access token lives")
    args = parser.parse_args()
    fake = FakeSecretManager(args.port, args.project, args.key_dir)
    fake.tokens.lifetime = args.token_lifetime
    serve_until_stopped(fake, {"port": fake.port, "url": fake.url, "key_file": str(fake.key_file)})


if __name__ == "__main__":
    main()
