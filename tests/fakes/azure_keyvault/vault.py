"""The state of one fake Key Vault: secrets with per-version attributes, soft delete, recover, purge.

Behaviour follows the Key Vault secrets REST API (api-version 7.4/7.5): names are case-insensitive
and limited to letters, digits and dashes; every set writes a new version whose id is 32 hex
characters; attributes, tags and content type belong to a version; times are Unix seconds;
deletion is soft (the vault's recovery level) and, like the real service, takes effect after a
short lag during which the name is neither readable nor reusable.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

NAME_RULE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
MAX_TAGS = 15
MAX_VALUE_BYTES = 25 * 1024


class VaultError(Exception):
    """An error answer in Key Vault's JSON shape."""

    def __init__(self, status: int, code: str, message: str, inner: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.inner = status, code, message, inner

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner}
        return {"error": error}


def not_found(name: str) -> VaultError:
    return VaultError(
        404,
        "SecretNotFound",
        f"A secret with (name/id) {name} was not found in this key vault. If you recently deleted this "
        "secret you may be able to recover it using the correct recovery command. For help resolving "
        "this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def deleted_not_found(name: str) -> VaultError:
    return VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")


@dataclass
class Version:
    id: str
    value: str
    content_type: str | None
    tags: dict[str, str]
    enabled: bool
    nbf: int | None
    exp: int | None
    created: int
    updated: int
    seq: int


@dataclass
class Secret:
    name: str
    versions: list[Version] = field(default_factory=list)
    # active | deleting | deleted | recovering
    state: str = "active"
    state_until: float = 0.0
    deleted_date: int | None = None
    scheduled_purge_date: int | None = None

    def latest(self) -> Version:
        return max(self.versions, key=lambda v: v.seq)


class Vault:
    """Thread-safe store; every public method takes the lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.secrets: dict[str, Secret] = {}
        self.seq = 0
        self.retention_days = 90
        self.purge_protection = False
        self.lag_seconds = 0.0

    # -- helpers -----------------------------------------------------------------------------

    @property
    def recovery_level(self) -> str:
        return "Recoverable" if self.purge_protection else "Recoverable+Purgeable"

    def _settle(self, secret: Secret) -> None:
        """Completes a deletion or recovery whose lag has passed."""
        if secret.state in ("deleting", "recovering") and time.monotonic() >= secret.state_until:
            secret.state = "deleted" if secret.state == "deleting" else "active"

    def _find(self, name: str) -> Secret | None:
        secret = self.secrets.get(name.lower())
        if secret is not None:
            self._settle(secret)
        return secret

    def _active(self, name: str) -> Secret:
        secret = self._find(name)
        if secret is None or secret.state != "active":
            raise not_found(name)
        return secret

    @staticmethod
    def check_name(name: str) -> None:
        if not NAME_RULE.match(name):
            raise VaultError(
                400,
                "BadParameter",
                f"The request URI contains an invalid name: {name}. Secret names may contain only "
                "alphanumeric characters and dashes, 1 to 127 characters.",
            )

    @staticmethod
    def _check_attributes(body: dict) -> None:
        tags = body.get("tags")
        if tags is not None:
            if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
                raise VaultError(400, "BadParameter", "Tags must be a map of strings.")
            if len(tags) > MAX_TAGS:
                raise VaultError(400, "BadParameter", f"The number of tags exceeds the maximum of {MAX_TAGS}.")
        content_type = body.get("contentType")
        if content_type is not None and (not isinstance(content_type, str) or len(content_type) > 255):
            raise VaultError(400, "BadParameter", "contentType must be a string of at most 255 characters.")
        attributes = body.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise VaultError(400, "BadParameter", "attributes must be an object.")
        for key in ("nbf", "exp"):
            if attributes.get(key) is not None and not isinstance(attributes[key], int):
                raise VaultError(400, "BadParameter", f"attributes.{key} must be Unix seconds.")
        if attributes.get("enabled") is not None and not isinstance(attributes["enabled"], bool):
            raise VaultError(400, "BadParameter", "attributes.enabled must be a boolean.")

    # -- operations --------------------------------------------------------------------------

    def set(self, name: str, body: dict) -> tuple[Secret, Version]:
        self.check_name(name)
        value = body.get("value")
        if not isinstance(value, str):
            raise VaultError(400, "BadParameter", "Property value is required and must be a string.")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise VaultError(400, "BadParameter", "The secret value exceeds the maximum size of 25 KB.")
        self._check_attributes(body)
        attributes = body.get("attributes") or {}
        with self.lock:
            secret = self._find(name)
            if secret is not None and secret.state != "active":
                verb = {"deleting": "being deleted", "recovering": "being recovered"}.get(secret.state)
                message = (
                    f"Secret {name} is currently {verb}."
                    if verb
                    else f"Secret {name} is currently in a deleted but recoverable state, and its name cannot "
                    "be reused; in this state, the secret can only be recovered or purged."
                )
                raise VaultError(409, "Conflict", message, "ObjectIsDeletedButRecoverable" if not verb else None)
            if secret is None:
                secret = Secret(name=name)
                self.secrets[name.lower()] = secret
            now = int(time.time())
            self.seq += 1
            version = Version(
                id=uuid.uuid4().hex,
                value=value,
                content_type=body.get("contentType"),
                tags=dict(body.get("tags") or {}),
                enabled=attributes.get("enabled", True),
                nbf=attributes.get("nbf"),
                exp=attributes.get("exp"),
                created=now,
                updated=now,
                seq=self.seq,
            )
            secret.versions.append(version)
            return secret, version

    def get(self, name: str, version_id: str) -> tuple[Secret, Version]:
        with self.lock:
            secret = self._active(name)
            version = self._version(secret, name, version_id)
            if not version.enabled:
                raise VaultError(
                    403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"
                )
            return secret, version

    @staticmethod
    def _version(secret: Secret, name: str, version_id: str) -> Version:
        if not version_id:
            return secret.latest()
        for version in secret.versions:
            if version.id == version_id.lower():
                return version
        raise not_found(f"{name}/{version_id}")

    def update(self, name: str, version_id: str, body: dict) -> tuple[Secret, Version]:
        self._check_attributes(body)
        with self.lock:
            secret = self._active(name)
            version = self._version(secret, name, version_id)
            attributes = body.get("attributes") or {}
            # Like the service, a missing or null field leaves the stored one unchanged.
            for key in ("enabled", "nbf", "exp"):
                if attributes.get(key) is not None:
                    setattr(version, key, attributes[key])
            if "contentType" in body:
                version.content_type = body["contentType"]
            if body.get("tags") is not None:
                version.tags = dict(body["tags"])
            version.updated = int(time.time())
            return secret, version

    def list_active(self) -> list[Secret]:
        with self.lock:
            found = [s for s in (self._find(n) for n in list(self.secrets)) if s and s.state == "active"]
            return sorted(found, key=lambda s: s.name.lower())

    def versions(self, name: str) -> tuple[Secret, list[Version]]:
        with self.lock:
            secret = self._active(name)
            return secret, sorted(secret.versions, key=lambda v: v.seq)

    def delete(self, name: str) -> Secret:
        with self.lock:
            secret = self._active(name)
            now = int(time.time())
            secret.deleted_date = now
            secret.scheduled_purge_date = now + self.retention_days * 86400
            secret.state = "deleting" if self.lag_seconds > 0 else "deleted"
            secret.state_until = time.monotonic() + self.lag_seconds
            return secret

    def get_deleted(self, name: str) -> Secret:
        with self.lock:
            secret = self._find(name)
            if secret is None or secret.state != "deleted":
                raise deleted_not_found(name)
            return secret

    def list_deleted(self) -> list[Secret]:
        with self.lock:
            found = [s for s in (self._find(n) for n in list(self.secrets)) if s and s.state == "deleted"]
            return sorted(found, key=lambda s: s.name.lower())

    def recover(self, name: str) -> Secret:
        with self.lock:
            secret = self._find(name)
            if secret is not None and secret.state == "deleting":
                raise VaultError(409, "Conflict", f"Secret {name} is currently being deleted.")
            if secret is None or secret.state != "deleted":
                raise deleted_not_found(name)
            secret.deleted_date = secret.scheduled_purge_date = None
            secret.state = "recovering" if self.lag_seconds > 0 else "active"
            secret.state_until = time.monotonic() + self.lag_seconds
            return secret

    def purge(self, name: str) -> None:
        with self.lock:
            secret = self._find(name)
            if secret is not None and secret.state == "deleting":
                raise VaultError(409, "Conflict", f"Secret {name} is currently being deleted.")
            if secret is None or secret.state != "deleted":
                raise deleted_not_found(name)
            if self.purge_protection:
                raise VaultError(
                    403,
                    "Forbidden",
                    f"Operation \"purge\" is not allowed because purge protection is enabled for this vault. "
                    f"Key Vault service will automatically purge it after the retention period has passed.",
                    "ForbiddenByPolicy",
                )
            del self.secrets[name.lower()]

    def reset(self) -> None:
        with self.lock:
            self.secrets.clear()
