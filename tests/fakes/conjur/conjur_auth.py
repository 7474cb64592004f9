"""Conjur authentication: API keys (and passwords) exchanged for short-lived access tokens.

A token is Conjur's JSON `{"protected", "payload", "signature"}`, its payload `{"sub", "iat", "exp"}`
base64-encoded and the whole signed (HMAC here); clients send it base64-encoded as
`Authorization: Token token="…"`. Tokens live eight minutes unless told otherwise; revoking rotates
the signing key, so every issued token stops working at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time

from conjur_store import ConjurError, Store

_HEADER = re.compile(r'^\s*Token\s+token="([^"]+)"\s*$')


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Tokens:
    """Issues and checks access tokens; counts what happens for the tests."""

    def __init__(self, store: Store, lifetime: int = 480) -> None:
        self.store = store
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.key = secrets.token_bytes(32)
        self.stats = {"authentications": 0, "failed_authentications": 0, "rejected_tokens": 0, "logins": 0}

    def revoke_all(self) -> None:
        with self.lock:
            self.key = secrets.token_bytes(32)

    def _count(self, name: str) -> None:
        with self.lock:
            self.stats[name] += 1

    def _role_for_login(self, account: str, login: str) -> str | None:
        """The role of a login: `host/NAME` is a host, anything else a user."""
        if account != self.store.account:
            return None
        if login.startswith("host/"):
            return self.store.role_id("host", login[len("host/"):])
        return self.store.role_id("user", login)

    def issue(self, role: str) -> str:
        login = role.split(":", 2)[2] if ":user:" in role else "host/" + role.split(":", 2)[2]
        issued = int(time.time())
        protected = _b64(json.dumps({"alg": "conjur.org/slosilo/v2", "kid": "fake"}).encode())
        payload = _b64(json.dumps({"sub": login, "iat": issued, "exp": issued + self.lifetime}).encode())
        with self.lock:
            signature = _b64(hmac.new(self.key, f"{protected}.{payload}".encode(), hashlib.sha256).digest())
        return json.dumps({"protected": protected, "payload": payload, "signature": signature})

    def authenticate(self, account: str, login: str, api_key: str) -> str:
        """`POST /authn/{account}/{login}/authenticate`: the token, or 401."""
        role = self._role_for_login(account, login)
        with self.store.lock:
            known = role is not None and self.store.api_keys.get(role)
            valid = bool(known) and hmac.compare_digest(known.encode(), api_key.strip().encode())
        if not valid:
            self._count("failed_authentications")
            raise ConjurError(401, "Authentication failed")
        self._count("authentications")
        return self.issue(role)

    def authenticate_password(self, account: str, login: str, password: str) -> str:
        """An LDAP-style authenticator: the role's password (or its API key)."""
        role = self._role_for_login(account, login)
        with self.store.lock:
            candidates = [self.store.passwords.get(role or ""), self.store.api_keys.get(role or "")]
            valid = any(c and hmac.compare_digest(c.encode(), password.strip().encode()) for c in candidates)
        if not valid:
            self._count("failed_authentications")
            raise ConjurError(401, "Authentication failed")
        self._count("authentications")
        return self.issue(role)

    def login(self, account: str, authorization: str | None) -> str:
        """`GET /authn/{account}/login` with Basic auth: the role's API key."""
        if not authorization or not authorization.startswith("Basic "):
            raise ConjurError(401, "Authentication failed")
        try:
            login, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ConjurError(401, "Authentication failed") from None
        role = self._role_for_login(account, login)
        with self.store.lock:
            known = role is not None and self.store.passwords.get(role)
            if not known or not hmac.compare_digest(known.encode(), password.encode()):
                self._count("failed_authentications")
                raise ConjurError(401, "Authentication failed")
            self._count("logins")
            return self.store.api_keys[role]

    def check(self, authorization: str | None) -> str:
        """The role a request's token belongs to, or 401."""
        match = _HEADER.match(authorization or "")
        try:
            if not match:
                raise ValueError("no token")
            token = json.loads(base64.b64decode(match.group(1), validate=True))
            protected, payload = token["protected"], token["payload"]
            with self.lock:
                expected = _b64(hmac.new(self.key, f"{protected}.{payload}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected, token["signature"]):
                raise ValueError("bad signature")
            claims = json.loads(base64.b64decode(payload))
            if claims["exp"] <= time.time():
                raise ValueError("expired")
        except (ValueError, KeyError, TypeError, binascii.Error):
            self._count("rejected_tokens")
            raise ConjurError(401, "Unauthorized") from None
        role = self._role_for_login(self.store.account, claims["sub"])
        with self.store.lock:
            if role not in self.store.api_keys:
                self._count("rejected_tokens")
                raise ConjurError(401, "Unauthorized")
        return role
