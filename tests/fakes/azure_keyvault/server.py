"""A fake Azure Key Vault (secrets) with its Entra ID token endpoint, over HTTPS.

Run `python3 server.py --port 0 --cert-dir DIR`: it generates a test CA and a server certificate
in DIR, listens on 127.0.0.1 and prints one line `READY {"port": .., "ca": .., "url": ..}` when it
accepts connections (`--plain-port` adds a plain-HTTP listener on the same state, `plain_url`).
Everything is served on that one port:

- the vault API under `/secrets` and `/deletedsecrets` (bearer token required; a request without
  one gets the service's 401 `WWW-Authenticate: Bearer authorization=.., resource=..` challenge);
- the token endpoint `POST /{tenant}/oauth2/v2.0/token` and the OpenID discovery document;
- test controls under `/_fake/` (no authentication): `throttle`, `fail`, `config`,
  `revoke-tokens`, `grant-token`, `reset`, `stats`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, Faults, LoopbackFake, serve_until_stopped  # noqa: E402
from identity import VAULT_RESOURCE, Identity, TokenError, TokenIssuer  # noqa: E402
from rest import Rest  # noqa: E402
from vault import Vault, VaultError  # noqa: E402


class FakeKeyVault(LoopbackFake):
    """The whole fake; `start()` serves it from background threads."""

    thread_name = "fake-keyvault"

    def __init__(self, identity: Identity | None = None, cert_dir: Path | None = None, port: int = 0,
                 plain_http: bool = False, plain_port: int | None = None) -> None:
        self.identity = identity or Identity()
        self.vault = Vault()
        self.rest = Rest(self.vault)
        self.tokens = TokenIssuer(self.identity)
        self.faults = Faults("vault_requests", "challenges")
        fake = self

        class Handler(_Handler):
            app = fake

        if not plain_http and cert_dir is None:
            raise ValueError("HTTPS needs a cert_dir for the generated test CA")
        self.listen(Handler, port, None if plain_http else cert_dir)
        # An optional second, plain-HTTP listener on the same state, for clients that can reach
        # the vault but cannot be given the test CA (the token endpoint stays on HTTPS).
        self.plain_server = self.add_listener(Handler, plain_port) if plain_port is not None else None

    @property
    def plain_url(self) -> str | None:
        return f"http://127.0.0.1:{self.plain_server.server_address[1]}" if self.plain_server else None

    # -- test controls -----------------------------------------------------------------------

    def control(self, action: str, body: dict) -> tuple[int, dict | None]:
        faults = self.faults
        if faults.control(action, body):
            pass
        elif action == "config":
            vault = self.vault
            with vault.lock:
                vault.purge_protection = bool(body.get("purge_protection", vault.purge_protection))
                vault.lag_seconds = float(body.get("lag_ms", vault.lag_seconds * 1000)) / 1000
                vault.retention_days = int(body.get("retention_days", vault.retention_days))
            if "token_lifetime" in body:
                self.identity.token_lifetime = int(body["token_lifetime"])
        elif action == "revoke-tokens":
            self.tokens.revoke_all()
        elif action == "grant-token":
            token = self.tokens.grant(body.get("audience", VAULT_RESOURCE), body.get("lifetime"))
            return 200, {"access_token": token}
        elif action == "reset":
            self.vault.reset()
            faults.clear()
        elif action == "stats":
            with faults.lock:
                stats = dict(faults.stats, throttle_left=faults.throttle_left, fail_left=faults.fail_left)
            return 200, dict(stats, token_requests=self.tokens.requests)
        else:
            return 404, {"error": {"code": "NotFound", "message": f"unknown control {action}"}}
        return 200, {"ok": True}


class _Handler(FakeHandler):
    server_version = "FakeKeyVault/1.0"
    log_name = "fake-keyvault"
    app: FakeKeyVault

    def _send(self, status: int, payload: dict | None, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        content_type = None if payload is None else "application/json; charset=utf-8"
        self.send_body(status, body, content_type, {**(headers or {}), "x-ms-keyvault-service-version": "1.9.0.0"})

    def _base(self) -> str:
        return f"{self.server.scheme}://{self.headers.get('Host', f'127.0.0.1:{self.app.port}')}"

    def _dispatch(self) -> None:
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self._send(400, {"error": {"code": "BadRequest", "message": "unreadable body"}})
            return
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        try:
            if parts and parts[0] == "_fake":
                body = json.loads(raw) if raw else {}
                status, payload = self.app.control(parts[1] if len(parts) > 1 else "", body)
                self._send(status, payload)
            elif parts and parts[0] in ("secrets", "deletedsecrets"):
                self._vault(parts, query, raw)
            elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and self.command == "POST":
                form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
                try:
                    self._send(200, self.app.tokens.issue(parts[0], form), {"Cache-Control": "no-store"})
                except TokenError as err:
                    self._send(err.status, err.payload)
            elif len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._send(200, self.app.tokens.discovery(self._base(), parts[0]))
            else:
                self._send(404, {"error": {"code": "NotFound", "message": f"no route for {url.path}"}})
        except (ValueError, TypeError) as err:
            self._send(400, {"error": {"code": "BadParameter", "message": f"invalid request: {err}"}})

    def _vault(self, parts: list[str], query: dict[str, str], raw: bytes) -> None:
        app = self.app
        # A trailing empty segment (`/secrets/name/`) addresses the latest version.
        if len(parts) >= 2 and parts[-1] == "":
            parts = parts[:-1]
        problem = app.tokens.check(self.headers.get("Authorization"))
        if problem is not None:
            app.faults.count("challenges")
            tenant = app.identity.tenant_id
            challenge = (
                f'Bearer authorization="https://login.microsoftonline.com/{tenant}", '
                f'resource="{VAULT_RESOURCE}"'
            )
            self._send(401, {"error": {"code": "Unauthorized", "message": problem}},
                       {"WWW-Authenticate": challenge})
            return
        fault = app.faults.next()
        if fault is not None:
            status, headers = fault
            if status == 429:
                error = VaultError(429, "Throttled", "Request was not allowed because of throttling. Retry after the "
                                   "time in the Retry-After header.")
            else:
                error = VaultError(status, "ServiceUnavailable", "The service is temporarily unavailable.")
            self._send(status, error.body(), headers)
            return
        try:
            body = json.loads(raw) if raw else None
            if body is not None and not isinstance(body, dict):
                raise VaultError(400, "BadParameter", "The request body must be a JSON object.")
            status, payload = app.rest.handle(self.command, self._base(), parts, query, body)
        except json.JSONDecodeError:
            status, payload = 400, VaultError(400, "BadParameter", "The request body is not valid JSON.").body()
        except VaultError as err:
            status, payload = err.status, err.body()
        self._send(status, payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--cert-dir", type=Path, help="where to write the test CA and server certificate")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no TLS)")
    parser.add_argument("--plain-port", type=int, default=None,
                        help="also serve the same vault over plain HTTP on this port (0: any free port)")
    parser.add_argument("--tenant-id", default=Identity.tenant_id)
    parser.add_argument("--client-id", default=Identity.client_id)
    parser.add_argument("--client-secret", default=Identity.client_secret)
    parser.add_argument("--federated-token", default=None, help="accept this workload-identity assertion")
    parser.add_argument("--token-lifetime", type=int, default=Identity.token_lifetime)
    parser.add_argument("--lag-ms", type=int, default=0, help="delay before a deletion or recovery completes")
    parser.add_argument("--purge-protection", action="store_true")
    parser.add_argument("--throttle", type=int, default=0, help="answer the first N vault requests with 429")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args()
    if not args.plain_http and args.cert_dir is None:
        parser.error("--cert-dir is required unless --plain-http")
    identity = Identity(args.tenant_id, args.client_id, args.client_secret, args.federated_token, args.token_lifetime)
    fake = FakeKeyVault(identity, args.cert_dir, args.port, args.plain_http, args.plain_port)
    fake.set_verbose(args.verbose)
    fake.vault.lag_seconds = args.lag_ms / 1000
    fake.vault.purge_protection = args.purge_protection
    fake.faults.throttle_left = args.throttle
    ready = {
        "port": fake.port,
        "url": fake.url,
        "plain_url": fake.plain_url,
        "ca": str(fake.ca_path) if fake.ca_path else None,
    }
    serve_until_stopped(fake, ready)


if __name__ == "__main__":
    main()
