"""Sign-in of the fake Password Safe: API keys with a run-as user, OAuth client credentials, and the
session cookie `ASP.NET_SessionId` that every other call must carry.

- `POST Auth/SignAppin` with `Authorization: PS-Auth key=KEY; runas=USER; [pwd=[PASSWORD];]`, or
  with `Authorization: Bearer TOKEN` from `POST Auth/connect/token` (form `grant_type=
  client_credentials`, `client_id`, `client_secret`); answers the user and sets the cookie.
- `POST Auth/Signout` ends the session.
- Sessions end after `idle_seconds` without a request, like the service's session timeout.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

from bt_store import ApiError, User


@dataclass
class Identity:
    """The one API registration and the one OAuth client the fake knows."""

    # A Password Safe API key is 128 hexadecimal characters.
    api_key: str = hashlib.sha512(b"keyway-beyondtrust-fake").hexdigest()
    run_as: str = "svc-keyway"
    # When set, SignAppin also needs `pwd=[...]` (an API registration with "User Password Required").
    run_as_password: str | None = None
    client_id: str = "6f1f2a5e-0b7c-4f8e-9a51-3c2d1e0f9a77"
    client_secret: str = "keyway-oauth-client-secret-0123456789abcdef"
    token_lifetime: int = 3600
    idle_seconds: float = 1200
    user: User = field(default_factory=lambda: User(12, "svc-keyway", "Keyway Service", "svc-keyway@example.test"))
    app_user: User = field(default_factory=lambda: User(13, "keyway-app", "Keyway Application",
                                                        "keyway-app@example.test"))


def parse_ps_auth(header: str) -> dict[str, str]:
    """`PS-Auth key=K; runas=U; pwd=[P];` as a dict (names in lower case, brackets stripped)."""
    rest = header.strip()[len("ps-auth"):].strip()
    parts: dict[str, str] = {}
    for piece in rest.split(";"):
        name, sep, value = piece.strip().partition("=")
        if not sep:
            continue
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            value = value[1:-1]
        parts[name.strip().lower()] = value
    return parts


class Sessions:
    """Bearer tokens and session cookies."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.sessions: dict[str, tuple[User, float]] = {}
        self.stats = {"sign_ins": 0, "sign_outs": 0, "token_requests": 0, "rejected": 0}

    def issue_token(self, form: dict[str, str]) -> dict:
        with self.lock:
            self.stats["token_requests"] += 1
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported_grant_type")
        if form.get("client_id") != self.identity.client_id or form.get("client_secret") != self.identity.client_secret:
            raise ApiError(400, "invalid_client")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.identity.token_lifetime
        return {"access_token": token, "expires_in": self.identity.token_lifetime, "token_type": "Bearer",
                "scope": "publicapi"}

    def sign_in(self, authorization: str | None) -> tuple[User, str]:
        """Checks the header and opens a session; returns the user and the session id."""
        user = self._authenticate(authorization or "")
        if user is None:
            with self.lock:
                self.stats["rejected"] += 1
            raise ApiError(401, "User not authorized: check the API key, the run-as user and its password")
        session = secrets.token_hex(12)
        with self.lock:
            self.stats["sign_ins"] += 1
            self.sessions[session] = (user, time.monotonic() + self.identity.idle_seconds)
        return user, session

    def _authenticate(self, authorization: str) -> User | None:
        identity = self.identity
        if authorization.lower().startswith("ps-auth"):
            parts = parse_ps_auth(authorization)
            if not secrets.compare_digest(parts.get("key", ""), identity.api_key):
                return None
            if parts.get("runas", "").lower() != identity.run_as.lower():
                return None
            if identity.run_as_password is not None and parts.get("pwd") != identity.run_as_password:
                return None
            return identity.user
        if authorization.lower().startswith("bearer "):
            token = authorization[len("bearer "):].strip()
            with self.lock:
                expiry = self.tokens.get(token)
            if expiry is None or expiry < time.monotonic():
                return None
            return identity.app_user
        return None

    def check(self, session: str | None) -> User:
        """The user of a live session (and the session's idle timer restarts), or 401."""
        with self.lock:
            entry = self.sessions.get(session or "")
            if entry is None or entry[1] < time.monotonic():
                self.sessions.pop(session or "", None)
                self.stats["rejected"] += 1
                raise ApiError(401, "Session expired or not signed in: call Auth/SignAppin first")
            self.sessions[session] = (entry[0], time.monotonic() + self.identity.idle_seconds)
            return entry[0]

    def sign_out(self, session: str | None) -> None:
        with self.lock:
            if self.sessions.pop(session or "", None) is not None:
                self.stats["sign_outs"] += 1

    def end_all(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.tokens.clear()

    def live(self) -> int:
        now = time.monotonic()
        with self.lock:
            return sum(1 for _, expiry in self.sessions.values() if expiry >= now)
