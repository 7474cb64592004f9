"""A small client of `keyway serve`'s JSON API, on the standard library alone.

    client = KeywayClient()                                   # http://127.0.0.1:8750, token from keyway's home
    client = KeywayClient("unix:/run/keyway/keyway.sock")     # the peer's uid authenticates: no token
    client = KeywayClient("http://127.0.0.1:8750", token_file="/etc/keyway/airflow.token",
                          namespace="analytics", groups=["etl"])
    client.get("local", "db/password")                        # the value, or None when there is no such secret
    client.get("aws", "prod/db", key="password")              # one field of a JSON key/value secret

Errors are `KeywayError` subclasses whose messages name the manager, the secret and keyway's error kind, never
a value or the token: keyway's own error messages carry no value either (host/cli/README.md, "Errors").
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import socket
import stat
import sys
import urllib.parse
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8750"
DEFAULT_TIMEOUT = 10.0
TOKEN_FILE_NAME = "serve.token"
# Answers are bounded: a value is at most a manager's max_value_kib (a few MiB at most) plus its metadata.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class KeywayError(Exception):
    """Something went wrong talking to keyway. The message never holds a secret value or the token."""

    def __init__(self, message: str, *, status: int | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


class KeywayConfigError(KeywayError):
    """The client is misconfigured: no token found, a bad URL, an unknown manager (404 `unknown-manager`)."""


class KeywayConnectionError(KeywayError):
    """keyway serve could not be reached, or did not answer within the timeout."""


class KeywayAuthError(KeywayError):
    """401: the service did not accept the credential (missing, wrong or malformed token; unknown uid)."""


class KeywayPermissionError(KeywayError):
    """403: the identity asserted is outside the client's scope (`out-of-scope`), or access rules deny it."""


class KeywayExpiredError(KeywayError):
    """410: the secret is past its expiry (or 409 `not-yet-valid`: before its not-before date)."""


class KeywayServerError(KeywayError):
    """5xx: the backend failed or was unavailable, the audit log could not be written, or keyway's config."""


class KeywayRequestError(KeywayError):
    """Any other refusal (400, 413, ...): the request itself was wrong."""


def default_home() -> Path:
    """keyway's home folder, as keyway finds it: `$KEYWAY_HOME`, else `<user data dir>/keyway`, else `./.keyway`.

    The user data folder is the one of the Rust crate `dirs` keyway uses: `$XDG_DATA_HOME` or
    `~/.local/share` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    """
    home = os.environ.get("KEYWAY_HOME")
    if home:
        return Path(home)
    data = _user_data_dir()
    return data / "keyway" if data is not None else Path(".keyway")


def default_token_file() -> Path:
    """Where `keyway serve` keeps its built-in client's token: `<keyway home>/serve.token`."""
    return default_home() / TOKEN_FILE_NAME


def _user_data_dir() -> Path | None:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) if appdata else None
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    try:
        return Path.home() / ".local" / "share"
    except RuntimeError:  # no home directory
        return None


def read_token_file(path: str | os.PathLike[str]) -> str:
    """The token in `path` (its first line), warning when others than its owner may read the file."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as file:
            mode = os.fstat(file.fileno()).st_mode
            token = file.readline().strip()
    except FileNotFoundError:
        raise KeywayConfigError(
            f"keyway's token file {path} does not exist: start `keyway serve` once (it writes the file), or give "
            "the token, or the token file of a client configured in serve.clients"
        ) from None
    except OSError as err:
        raise KeywayConfigError(f"cannot read keyway's token file {path}: {err.strerror}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("keyway's token file %s can be read by other users (mode %o); chmod 600 it", path, mode & 0o777)
    if not token:
        raise KeywayConfigError(f"keyway's token file {path} is empty")
    return token


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix domain socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class KeywayClient:
    """Reads secrets from a running `keyway serve`.

    - `url`: `http://HOST:PORT` (default `http://127.0.0.1:8750`, or `$KEYWAY_SERVER`), `https://...`, or
      `unix:/path/to.sock`.
    - Credential: `token` if given, else the first line of `token_file`; on TCP with neither, the token file
      `keyway serve` writes, `<keyway home>/serve.token` (`$KEYWAY_HOME`, else the user's data folder). On a
      Unix socket with neither, no token is sent: the service knows the peer's uid (`serve.clients.*.unix_uids`,
      or with no clients configured the service's own user).
    - Identity: `namespace`, `groups`, `flow` are sent as `X-Keyway-Namespace`, `X-Keyway-Groups`,
      `X-Keyway-Flow`; keyway checks them against the client's scope and the managers' access rules.
    - `timeout`: seconds for connecting and for each read of the answer.
    - `ca_file`: a PEM bundle of the private CA of an `https://` service.

    A token file is read at the first request, not when the client is made (Airflow may start before
    `keyway serve` has written it), and read again when the service refuses the token it held (401), so a
    regenerated token file is picked up. The token is kept only in the `Authorization` header it sends.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        namespace: str | None = None,
        groups: Iterable[str] | str | None = None,
        flow: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: str | None = None,
    ) -> None:
        url = url or os.environ.get("KEYWAY_SERVER") or DEFAULT_URL
        self.url = url
        self.timeout = float(timeout)
        self._unix_path: str | None = None
        self._ssl_context = None
        if url.startswith("unix:"):
            path = url[len("unix:") :]
            if path.startswith("//"):  # unix:///run/keyway.sock
                path = path[2:]
            if not path:
                raise KeywayConfigError(f"the URL {url!r} names no socket: use unix:/path/to/keyway.sock")
            self._unix_path = path
            self._host, self._port, self._scheme = "localhost", None, "http"
        else:
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise KeywayConfigError(
                    f"the URL {url!r} is not http://HOST:PORT, https://HOST:PORT or unix:/path/to.sock"
                )
            if parsed.path not in ("", "/") or parsed.query or parsed.username or parsed.password:
                raise KeywayConfigError(f"the URL {url!r} must be only a scheme, a host and a port")
            self._scheme, self._host, self._port = parsed.scheme, parsed.hostname, parsed.port
            if parsed.scheme == "https":
                import ssl

                self._ssl_context = ssl.create_default_context(cafile=ca_file)

        self._authorization: str | None = None
        self._token_file: Path | None = None
        if token is not None:
            token = token.strip()
            if not token:
                raise KeywayConfigError("the keyway token given is empty")
            self._authorization = f"Bearer {token}"
        elif token_file is not None:
            self._token_file = Path(token_file)
        elif self._unix_path is None:
            self._token_file = default_token_file()
        self._headers: dict[str, str] = {"Accept": "application/json", "User-Agent": "keyway-airflow"}
        if namespace:
            self._headers["X-Keyway-Namespace"] = namespace
        if groups:
            if isinstance(groups, str):
                groups = groups.split(",")
            groups = [group.strip() for group in groups if group and group.strip()]
            if groups:
                self._headers["X-Keyway-Groups"] = ",".join(groups)
        if flow:
            self._headers["X-Keyway-Flow"] = flow

    def __repr__(self) -> str:
        # Never the token.
        return f"KeywayClient({self.url!r})"

    # -- reading ------------------------------------------------------------------------------------------------

    def get(self, manager: str, name: str, key: str | None = None) -> str | None:
        """The value of `manager/name` (or of the field `key` of a JSON key/value secret); None when keyway says
        the secret (or the field) does not exist. A binary secret is returned as base64 text."""
        answer = self.get_secret(manager, name, key=key)
        return None if answer is None else answer["value"]

    def get_bytes(self, manager: str, name: str) -> bytes | None:
        """The value of `manager/name` as bytes (decoded from base64 when keyway marks it binary)."""
        answer = self.get_secret(manager, name)
        if answer is None:
            return None
        if answer.get("binary"):
            return base64.b64decode(answer["value"])
        return answer["value"].encode("utf-8")

    def get_secret(self, manager: str, name: str, key: str | None = None) -> dict | None:
        """keyway's whole answer for `manager/name`: `value`, `binary`, `metadata`; None when it does not exist."""
        if not manager or "/" in manager:
            raise KeywayConfigError(f"{manager!r} is not a manager name")
        name = name.strip("/")
        if not name:
            raise KeywayConfigError("the secret name is empty")
        path = f"/v1/secrets/{_quote(manager)}/{_quote(name)}"
        if key is not None:
            path += "?" + urllib.parse.urlencode({"key": key})
        status, body = self._request("GET", path, what=f"{manager}/{name}")
        if status == 200:
            try:
                answer = json.loads(body)
                value = answer["value"]
            except (ValueError, KeyError, TypeError):
                raise KeywayServerError(
                    f"keyway answered {manager}/{name} with something that is not a secret", status=status
                ) from None
            finally:
                del body
            if not isinstance(value, str):
                raise KeywayServerError(f"keyway answered {manager}/{name} without a text value", status=status)
            return answer
        kind, message = _error_of(body)
        if status == 404 and kind in ("not-found", "missing-key", None):
            return None
        raise _exception_for(status, kind, message, what=f"{manager}/{name}")

    def health(self) -> dict:
        """`GET /v1/health`: `{"status": "ok", "version": ..., "uptime_s": ...}` (needs no credential)."""
        status, body = self._send("GET", "/v1/health", what="health", headers=self._headers)
        if status != 200:
            kind, message = _error_of(body)
            raise _exception_for(status, kind, message, what="health")
        return json.loads(body)

    # -- transport ----------------------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._unix_path is not None:
            return _UnixHTTPConnection(self._unix_path, self.timeout)
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=self._ssl_context)
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _headers_with_credential(self, reload: bool = False) -> dict[str, str]:
        if self._token_file is not None and (self._authorization is None or reload):
            self._authorization = f"Bearer {read_token_file(self._token_file)}"
        if self._authorization is None:
            return self._headers
        return {**self._headers, "Authorization": self._authorization}

    def _request(self, method: str, path: str, *, what: str) -> tuple[int, bytes]:
        status, body = self._send(method, path, what=what, headers=self._headers_with_credential())
        if status == 401 and self._token_file is not None:
            # keyway serve writes a new token only when its file was missing; the file may have changed since.
            held = self._authorization
            try:
                headers = self._headers_with_credential(reload=True)
            except KeywayConfigError:
                return status, body
            if self._authorization != held:
                status, body = self._send(method, path, what=what, headers=headers)
        return status, body

    def _send(self, method: str, path: str, *, what: str, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = self._connection()
        where = self.url
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            body = response.read(MAX_ANSWER_BYTES + 1)
            if len(body) > MAX_ANSWER_BYTES:
                raise KeywayServerError(f"keyway's answer for {what} is larger than {MAX_ANSWER_BYTES} bytes")
            return response.status, body
        except (socket.timeout, TimeoutError):
            raise KeywayConnectionError(
                f"keyway at {where} did not answer within {self.timeout:g} s (reading {what})"
            ) from None
        except (ConnectionError, FileNotFoundError, OSError, http.client.HTTPException) as err:
            # Error numbers' texts and TLS reasons (CERTIFICATE_VERIFY_FAILED) only: nothing the service sent.
            reason = getattr(err, "strerror", None) or getattr(err, "reason", None) or type(err).__name__
            raise KeywayConnectionError(
                f"cannot reach keyway at {where} (reading {what}): {reason}; is `keyway serve` running?"
            ) from None
        finally:
            connection.close()


def _quote(text: str) -> str:
    # Slashes separate the parts of a secret's name and stay; everything else special is percent-encoded.
    return urllib.parse.quote(text, safe="/")


def _error_of(body: bytes) -> tuple[str | None, str]:
    """keyway's error answer `{"error": {"kind": ..., "message": ...}}`; the message never holds a value."""
    try:
        error = json.loads(body)["error"]
        kind = error.get("kind")
        message = error.get("message") or ""
        return (kind if isinstance(kind, str) else None), (message if isinstance(message, str) else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, ""


def _exception_for(status: int, kind: str | None, message: str, *, what: str) -> KeywayError:
    detail = f"{kind}: {message}" if message else (kind or "no details")
    if status == 401:
        return KeywayAuthError(
            f"keyway refused the credential when reading {what} (HTTP 401 {detail}); check the token or token "
            "file the backend uses (a token file is rewritten only when missing: restarts keep it)",
            status=status,
            kind=kind,
        )
    if status == 403:
        return KeywayPermissionError(f"keyway denied reading {what} (HTTP 403 {detail})", status=status, kind=kind)
    if status == 410 or (status == 409 and kind == "not-yet-valid"):
        return KeywayExpiredError(f"keyway refused {what}: {detail} (HTTP {status})", status=status, kind=kind)
    if status == 404:
        return KeywayConfigError(f"keyway could not read {what} (HTTP 404 {detail})", status=status, kind=kind)
    if status >= 500:
        return KeywayServerError(f"keyway failed to read {what} (HTTP {status} {detail})", status=status, kind=kind)
    return KeywayRequestError(f"keyway refused to read {what} (HTTP {status} {detail})", status=status, kind=kind)
