"""A fake Doppler API v3 (the secrets of project configs), over plain HTTP on 127.0.0.1.

Run `python3 server.py --port 0`: it prints one line `READY {"port": .., "url": .., "tokens": ..}`
when it accepts connections. It knows one project (`keyway`, configs `dev` and `prd`), a personal
token with access to everything, a read/write service token and a read-only service token for
`keyway/dev`. Served:

- `GET /v3/configs/config/secret`, `DELETE /v3/configs/config/secret` (`project`, `config`, `name`);
- `GET /v3/configs/config/secrets` (`secrets=A,B`, `include_managed_secrets`), `POST` (`secrets` or
  `change_requests`); `GET .../secrets/names`; `GET .../secrets/download` (`format=json`);
- `POST /v3/configs/config/secrets/note` (notes are per project);
- `/_fake/ACTION` (no authentication): `throttle`, `fail`, `revoke-tokens`, `reset`, `stats`.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import FakeHandler, Faults, LoopbackFake, serve_until_stopped  # noqa: E402

NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
PROJECT = "keyway"
CONFIGS = {"dev": "development", "prd": "production"}
TOKENS = {
    "personal": "dp.pt.fakepersonaltoken0000000000000000000000",
    "service": "dp.st.dev.fakeservicetoken00000000000000000000",
    "read_only": "dp.st.dev.fakereadonlytoken0000000000000000000",
}


class ApiError(Exception):
    """A Doppler error answer: `{"messages": [..], "success": false}`."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"messages": [str(self)], "success": False}


class FakeDoppler(LoopbackFake):
    """The whole fake; `start()` serves it from a background thread."""

    thread_name = "fake-doppler"

    def __init__(self, port: int = 0) -> None:
        self.lock = threading.RLock()
        self.values: dict[str, dict[str, str]] = {config: {} for config in CONFIGS}
        self.notes: dict[str, str] = {}
        self.tokens = dict(TOKENS)
        self.faults = Faults("api_requests", "unauthorized")
        fake = self

        class Handler(_Handler):
            app = fake

        self.listen(Handler, port)

    def control(self, action: str, body: dict) -> tuple[int, dict]:
        if self.faults.control(action, body):
            return 200, {"ok": True}
        with self.lock:
            if action == "revoke-tokens":
                self.tokens = {}
            elif action == "reset":
                self.values = {config: {} for config in CONFIGS}
                self.notes.clear()
                self.faults.clear()
            elif action == "stats":
                return 200, self.faults.snapshot()
            else:
                return 404, {"messages": [f"unknown control {action}"], "success": False}
        return 200, {"ok": True}

    # -- authentication and scope ----------------------------------------------------------

    def authorize(self, authorization: str | None, project: str, config: str, write: bool) -> None:
        token = ""
        if authorization and authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
        elif authorization and authorization.startswith("Basic "):
            token = base64.b64decode(authorization[len("Basic "):]).decode(errors="replace").split(":")[0]
        with self.lock:
            kind = next((k for k, v in self.tokens.items() if v == token), None)
        if kind is None:
            self.faults.count("unauthorized")
            raise ApiError(401, "Invalid Auth token")
        fault = self.faults.next()
        if fault is not None:
            status, headers = fault
            if status == 429:
                raise ApiError(429, "You have exceeded your API rate limit.", headers)
            raise ApiError(status, "Service Unavailable")
        if kind != "personal" and (project, config) != (PROJECT, "dev"):
            raise ApiError(403, "This token does not have access to requested config")
        if kind == "read_only" and write:
            raise ApiError(403, "This token does not have write access to requested config")
        if project != PROJECT:
            raise ApiError(404, "Could not find requested project")
        if config not in CONFIGS:
            raise ApiError(404, "Could not find requested config")

    # -- secrets -----------------------------------------------------------------------------

    def managed(self, config: str) -> dict[str, str]:
        return {"DOPPLER_PROJECT": PROJECT, "DOPPLER_CONFIG": config, "DOPPLER_ENVIRONMENT": config[:3]}

    def entry(self, config: str, name: str) -> dict:
        values = dict(self.managed(config), **self.values[config])
        raw = computed = values[name]
        for _ in range(10):  # references of references, as Doppler resolves them
            resolved = REFERENCE.sub(lambda m: values.get(m.group(1), ""), computed)
            if resolved == computed:
                break
            computed = resolved
        return {"raw": raw, "computed": computed, "note": self.notes.get(name, ""), "rawVisibility": "masked",
                "computedVisibility": "masked", "rawValueType": {"type": "string"},
                "computedValueType": {"type": "string"}}

    def all_names(self, config: str, managed: bool) -> list[str]:
        names = list(self.values[config])
        return sorted(names + (list(self.managed(config)) if managed else []))

    def get_one(self, config: str, name: str) -> dict:
        with self.lock:
            if name not in self.values[config] and name not in self.managed(config):
                raise ApiError(404, "Could not find requested secret")
            return {"name": name, "value": self.entry(config, name), "success": True}

    def list_secrets(self, config: str, only: str | None, managed: bool) -> dict:
        with self.lock:
            names = self.all_names(config, managed)
            if only:
                wanted = set(only.split(","))
                names = [n for n in names if n in wanted]
            return {"secrets": {n: self.entry(config, n) for n in names}, "success": True}

    def update(self, config: str, body: dict) -> dict:
        secrets, changes = body.get("secrets"), body.get("change_requests")
        if (secrets is None) == (changes is None):
            raise ApiError(400, "Either secrets or change_requests is required (but not both)")
        if secrets is not None:
            changes = [{"originalName": n, "name": n, "value": v} for n, v in secrets.items()]
        with self.lock:
            values = dict(self.values[config])
            for change in changes:
                name, original = change.get("name"), change.get("originalName")
                if not isinstance(name, str) or not NAME.match(name):
                    raise ApiError(400, "Secret names must contain only uppercase letters, numbers, and "
                                   f"underscores, and may not start with a number: {name!r}")
                if name.startswith("DOPPLER_"):
                    raise ApiError(400, f"Secret names may not start with DOPPLER_: {name}")
                if "originalValue" in change and change["originalValue"] is not None \
                        and values.get(original or name) != change["originalValue"]:
                    raise ApiError(400, f"The original value of {original or name} does not match")
                if change.get("shouldDelete"):
                    values.pop(name, None)
                    continue
                if original and original != name and original in values:
                    previous = values.pop(original)
                    values.setdefault(name, previous)
                if change.get("value") is not None:
                    if not isinstance(change["value"], str):
                        raise ApiError(400, f"The value of {name} must be a string")
                    values[name] = change["value"]
                elif name not in values:
                    raise ApiError(400, f"A value is required for the new secret {name}")
            self.values[config] = values
            return {"secrets": {n: self.entry(config, n) for n in self.all_names(config, True)}, "success": True}

    def delete(self, config: str, name: str) -> None:
        with self.lock:
            if name not in self.values[config]:
                raise ApiError(404, "Could not find requested secret")
            del self.values[config][name]

    def note(self, body: dict) -> dict:
        secret, note = body.get("secret"), body.get("note")
        if not isinstance(secret, str) or not isinstance(note, str):
            raise ApiError(400, "secret and note are required")
        with self.lock:
            if not any(secret in values for values in self.values.values()):
                raise ApiError(404, "Could not find requested secret")
            self.notes[secret] = note
        return {"secret": secret, "note": note, "success": True}


class _Handler(FakeHandler):
    server_version = "FakeDoppler/1.0"
    log_name = "fake-doppler"
    app: FakeDoppler

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        self.send_body(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _dispatch(self) -> None:
        raw = self.read_body()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        app, method, path = self.app, self.command, url.path
        try:
            if path.startswith("/_fake/"):
                status, payload = app.control(path[len("/_fake/"):], json.loads(raw) if raw else {})
                return self._send(status, payload)
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ApiError(400, "The request body must be a JSON object")
            project = body.get("project") or query.get("project", "")
            config = body.get("config") or query.get("config", "")
            routes = {
                ("GET", "/v3/configs/config/secret"): False, ("DELETE", "/v3/configs/config/secret"): True,
                ("GET", "/v3/configs/config/secrets"): False, ("POST", "/v3/configs/config/secrets"): True,
                ("GET", "/v3/configs/config/secrets/names"): False,
                ("GET", "/v3/configs/config/secrets/download"): False,
                ("POST", "/v3/configs/config/secrets/note"): True,
            }
            if (method, path) not in routes:
                raise ApiError(404, f"No route for {method} {path}")
            if path.endswith("/note"):
                config = config or "dev"
            app.authorize(self.headers.get("Authorization"), project, config, routes[(method, path)])
            managed = query.get("include_managed_secrets", "true") != "false"
            if path == "/v3/configs/config/secret":
                if method == "GET":
                    return self._send(200, app.get_one(config, query.get("name", "")))
                app.delete(config, query.get("name", ""))
                return self._send(200, {"success": True})
            if path == "/v3/configs/config/secrets":
                if method == "GET":
                    return self._send(200, app.list_secrets(config, query.get("secrets"), managed))
                return self._send(200, app.update(config, body))
            if path.endswith("/names"):
                return self._send(200, {"names": app.all_names(config, managed), "success": True})
            if path.endswith("/download"):
                secrets = app.list_secrets(config, query.get("secrets"), True)["secrets"]
                return self._send(200, {name: entry["computed"] for name, entry in secrets.items()})
            return self._send(200, app.note(body))
        except ApiError as err:
            self._send(err.status, err.body(), err.headers)
        except (ValueError, TypeError) as err:
            self._send(400, {"messages": [f"Invalid request: {err}"], "success": False})

    do_GET = do_POST = do_DELETE = _dispatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args()
    fake = FakeDoppler(args.port)
    serve_until_stopped(fake, {"port": fake.port, "url": fake.url, "tokens": fake.tokens})


if __name__ == "__main__":
    sys.exit(main())
