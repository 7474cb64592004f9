"""The fake's state: secrets and their versions, as Secret Manager keeps them, with the service's
rules (ids, labels, aliases, annotations, etags, version states, CRC32C) and its JSON shapes.

Every method raises `ApiError` with Google's status (`NOT_FOUND`, `ALREADY_EXISTS`,
`FAILED_PRECONDITION`, ...) and returns resources as the REST API writes them.
"""

from __future__ import annotations

import base64
import datetime
import re
import secrets
import threading
from dataclasses import dataclass, field

from checksum import crc32c

SECRET_ID = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
ALIAS = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}$")
ANNOTATION_KEY = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$")
MAX_PAYLOAD = 64 * 1024
STATE_NUMBERS = {"ENABLED": 1, "DISABLED": 2, "DESTROYED": 3}
HTTP_CODES = {"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "UNAUTHENTICATED": 401,
              "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "ABORTED": 409,
              "RESOURCE_EXHAUSTED": 429, "INTERNAL": 500, "UNAVAILABLE": 503}


class ApiError(Exception):
    """A Google API error: `{"error": {"code", "message", "status", "details"}}`."""

    def __init__(self, status: str, message: str, details: list | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = HTTP_CODES[status]
        self.details = details or []

    def body(self) -> dict:
        error = {"code": self.code, "message": str(self), "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("INVALID_ARGUMENT", f"Invalid value at 'secret.expire_time' ({text})") from None


@dataclass
class Version:
    number: int
    data: bytes | None
    create_time: str
    state: str = "ENABLED"
    destroy_time: str | None = None
    etag: str = field(default_factory=lambda: f'"{secrets.token_hex(8)}"')
    client_checksum: bool = False


@dataclass
class StoredSecret:
    secret_id: str
    parent: str  # projects/NUMBER[/locations/L]
    create_time: str
    replication: dict | None
    labels: dict[str, str]
    annotations: dict[str, str]
    aliases: dict[str, int]
    expire_time: str | None
    cmek: dict | None
    versions: list[Version] = field(default_factory=list)
    etag: str = field(default_factory=lambda: f'"{secrets.token_hex(8)}"')

    @property
    def name(self) -> str:
        return f"{self.parent}/secrets/{self.secret_id}"


def check_labels(labels: dict) -> None:
    if len(labels) > 64:
        raise ApiError("INVALID_ARGUMENT", "The number of labels on a resource cannot exceed 64.")
    for key, value in labels.items():
        if not LABEL_KEY.match(key) or not isinstance(value, str) or not LABEL_VALUE.match(value):
            raise ApiError("INVALID_ARGUMENT", f"Invalid label: key '{key}' or value '{value}' does not match the "
                           "label rules (lowercase letters, digits, '_' and '-', up to 63 characters).")


def check_annotations(annotations: dict) -> None:
    total = 0
    for key, value in annotations.items():
        if not ANNOTATION_KEY.match(key):
            raise ApiError("INVALID_ARGUMENT", f"Invalid annotation key '{key}'.")
        total += len(key.encode()) + len(str(value).encode())
    if total >= 16 * 1024:
        raise ApiError("INVALID_ARGUMENT", "The total size of annotations must be less than 16KiB.")


class Store:
    """All secrets of all locations of the fake's one project."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.secrets: dict[str, StoredSecret] = {}  # by full name

    def reset(self) -> None:
        with self.lock:
            self.secrets.clear()

    # -- resources -------------------------------------------------------------------------

    def secret_json(self, s: StoredSecret) -> dict:
        out = {"name": s.name, "createTime": s.create_time, "etag": s.etag}
        if s.replication is not None:
            out["replication"] = s.replication
        if s.labels:
            out["labels"] = dict(s.labels)
        if s.annotations:
            out["annotations"] = dict(s.annotations)
        if s.aliases:
            out["versionAliases"] = {k: str(v) for k, v in s.aliases.items()}
        if s.expire_time:
            out["expireTime"] = s.expire_time
        if s.cmek:
            out["customerManagedEncryption"] = s.cmek
        return out

    def version_json(self, s: StoredSecret, v: Version, int_enums: bool) -> dict:
        out = {"name": f"{s.name}/versions/{v.number}", "createTime": v.create_time,
               "state": STATE_NUMBERS[v.state] if int_enums else v.state, "etag": v.etag,
               "clientSpecifiedPayloadChecksum": v.client_checksum}
        if s.replication is not None:
            out["replicationStatus"] = {"automatic": {}} if "automatic" in s.replication else {"userManaged": {
                "replicas": [{"location": r["location"]} for r in s.replication["userManaged"]["replicas"]]}}
        if v.destroy_time:
            out["destroyTime"] = v.destroy_time
        return out

    def _expire(self) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        for name in [n for n, s in self.secrets.items() if s.expire_time and parse_time(s.expire_time) <= now]:
            del self.secrets[name]

    def get(self, name: str) -> StoredSecret:
        with self.lock:
            self._expire()
            secret = self.secrets.get(name)
        if secret is None:
            raise ApiError("NOT_FOUND", f"Secret [{name}] not found.")
        return secret

    def version(self, secret: StoredSecret, ref: str) -> Version:
        if ref == "latest":
            if not secret.versions:
                raise ApiError("NOT_FOUND", f"Secret [{secret.name}] not found or has no versions.")
            return secret.versions[-1]
        if ref.isdigit():
            number = int(ref)
        elif ref in secret.aliases:
            number = secret.aliases[ref]
        else:
            raise ApiError("NOT_FOUND", f"Secret Version [{secret.name}/versions/{ref}] not found.")
        for version in secret.versions:
            if version.number == number:
                return version
        raise ApiError("NOT_FOUND", f"Secret Version [{secret.name}/versions/{ref}] not found.")

    # -- secrets ---------------------------------------------------------------------------

    def create(self, parent: str, secret_id: str, body: dict, regional: bool) -> StoredSecret:
        if not SECRET_ID.match(secret_id or ""):
            raise ApiError("INVALID_ARGUMENT", "Secret id must match [a-zA-Z0-9_-]{1,255}: " + repr(secret_id))
        replication = body.get("replication")
        if regional and replication:
            raise ApiError("INVALID_ARGUMENT", "Regional secrets cannot have a replication policy.")
        if not regional:
            if not replication or not (replication.get("automatic") is not None or replication.get("userManaged")):
                raise ApiError("INVALID_ARGUMENT", "Secret.replication is required.")
            if replication.get("userManaged") and not replication["userManaged"].get("replicas"):
                raise ApiError("INVALID_ARGUMENT", "Secret.replication.user_managed.replicas must not be empty.")
        labels, annotations = body.get("labels") or {}, body.get("annotations") or {}
        check_labels(labels)
        check_annotations(annotations)
        expire = body.get("expireTime")
        if expire and parse_time(expire) <= datetime.datetime.now(datetime.timezone.utc):
            raise ApiError("INVALID_ARGUMENT", "The expire_time must be in the future.")
        if body.get("versionAliases"):
            raise ApiError("INVALID_ARGUMENT", "Version aliases cannot point at versions of a new secret.")
        secret = StoredSecret(secret_id, parent, now_rfc3339(), replication, dict(labels), dict(annotations), {},
                              expire, body.get("customerManagedEncryption"))
        with self.lock:
            self._expire()
            if secret.name in self.secrets:
                raise ApiError("ALREADY_EXISTS", f"Secret [{secret.name}] already exists.")
            self.secrets[secret.name] = secret
        return secret

    def patch(self, name: str, body: dict, update_mask: str) -> StoredSecret:
        fields = [re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), f.strip())
                  for f in update_mask.split(",") if f.strip()]
        if not fields:
            raise ApiError("INVALID_ARGUMENT", "update_mask is required.")
        with self.lock:
            secret = self.get(name)
            if body.get("etag") and body["etag"] != secret.etag:
                raise ApiError("FAILED_PRECONDITION", "The etag provided in the request does not match the etag of "
                               f"Secret [{name}].")
            for f in fields:
                if f == "labels":
                    check_labels(body.get("labels") or {})
                elif f == "annotations":
                    check_annotations(body.get("annotations") or {})
                elif f == "version_aliases":
                    aliases = body.get("versionAliases") or {}
                    if len(aliases) > 50:
                        raise ApiError("INVALID_ARGUMENT", "A secret can have at most 50 version aliases.")
                    for alias, number in aliases.items():
                        if not ALIAS.match(alias) or alias in ("latest", "NEW"):
                            raise ApiError("INVALID_ARGUMENT", f"Invalid version alias '{alias}'.")
                        self.version(secret, str(int(number)))
                elif f == "expire_time":
                    if body.get("expireTime"):
                        parse_time(body["expireTime"])
                elif f not in ("customer_managed_encryption", "topics", "rotation", "ttl"):
                    raise ApiError("INVALID_ARGUMENT", f"Invalid update_mask field '{f}'.")
            for f in fields:
                if f == "labels":
                    secret.labels = dict(body.get("labels") or {})
                elif f == "annotations":
                    secret.annotations = dict(body.get("annotations") or {})
                elif f == "version_aliases":
                    secret.aliases = {k: int(v) for k, v in (body.get("versionAliases") or {}).items()}
                elif f == "expire_time":
                    secret.expire_time = body.get("expireTime")
                elif f == "customer_managed_encryption":
                    secret.cmek = body.get("customerManagedEncryption")
            secret.etag = f'"{secrets.token_hex(8)}"'
            return secret

    def delete(self, name: str, etag: str | None) -> None:
        with self.lock:
            secret = self.get(name)
            if etag and etag != secret.etag:
                raise ApiError("FAILED_PRECONDITION", f"The etag provided does not match the etag of Secret [{name}].")
            del self.secrets[name]

    def list(self, parent: str, filter_text: str, page_size: int, page_token: str) -> tuple[list[StoredSecret], str]:
        matcher = Filter(filter_text)
        with self.lock:
            self._expire()
            found = sorted((s for s in self.secrets.values() if s.parent == parent and matcher.matches(s)),
                           key=lambda s: s.secret_id)
        return paginate(found, page_size, page_token)

    # -- versions --------------------------------------------------------------------------

    def add_version(self, name: str, payload: dict) -> tuple[StoredSecret, Version]:
        try:
            data = base64.b64decode(payload.get("data", ""), validate=True)
        except ValueError:
            raise ApiError("INVALID_ARGUMENT", "Invalid value at 'payload.data' (TYPE_BYTES), Base64 decoding "
                           "failed") from None
        if len(data) > MAX_PAYLOAD:
            raise ApiError("INVALID_ARGUMENT", "Secret payload data cannot be larger than 65536 bytes.")
        checksum = payload.get("dataCrc32c")
        if checksum is not None and int(checksum) != crc32c(data):
            raise ApiError("INVALID_ARGUMENT", "Checksum mismatch: the payload's data_crc32c does not match its data.")
        with self.lock:
            secret = self.get(name)
            number = max((v.number for v in secret.versions), default=0) + 1
            version = Version(number, data, now_rfc3339(), client_checksum=checksum is not None)
            secret.versions.append(version)
            return secret, version

    def access(self, name: str, ref: str) -> tuple[StoredSecret, Version]:
        with self.lock:
            secret = self.get(name)
            version = self.version(secret, ref)
        if version.state != "ENABLED":
            raise ApiError("FAILED_PRECONDITION", f"Secret Version [{secret.name}/versions/{version.number}] is in "
                           f"{version.state} state.")
        return secret, version

    def transition(self, name: str, ref: str, action: str, etag: str | None) -> tuple[StoredSecret, Version]:
        with self.lock:
            secret = self.get(name)
            version = self.version(secret, ref)
            if etag and etag != version.etag:
                raise ApiError("FAILED_PRECONDITION", "The etag provided does not match the etag of the version.")
            if version.state == "DESTROYED":
                raise ApiError("FAILED_PRECONDITION", f"Secret Version [{secret.name}/versions/{version.number}] is "
                               "in DESTROYED state.")
            if action == "destroy":
                version.state, version.data, version.destroy_time = "DESTROYED", None, now_rfc3339()
                secret.aliases = {k: v for k, v in secret.aliases.items() if v != version.number}
            else:
                version.state = "ENABLED" if action == "enable" else "DISABLED"
            version.etag = f'"{secrets.token_hex(8)}"'
            return secret, version

    def versions(self, name: str, page_size: int, page_token: str, filter_text: str) -> tuple[list, str, StoredSecret]:
        wanted = None
        match = re.fullmatch(r"\s*state\s*[:=]\s*(\w+)\s*", filter_text or "")
        if filter_text and match is None:
            raise ApiError("INVALID_ARGUMENT", f"Unsupported filter: {filter_text}")
        if match:
            wanted = match.group(1).upper()
        with self.lock:
            secret = self.get(name)
            found = [v for v in reversed(secret.versions) if wanted is None or v.state == wanted]
        page, token = paginate(found, page_size, page_token)
        return page, token, secret


def paginate(items: list, page_size: int, page_token: str) -> tuple[list, str]:
    """One page and the next page's token (an opaque base64 offset; empty at the end)."""
    if page_size < 0:
        raise ApiError("INVALID_ARGUMENT", "page_size must not be negative.")
    size = min(page_size or 25, 25000)
    try:
        start = int(base64.urlsafe_b64decode(page_token.encode()).decode().split(":")[1]) if page_token else 0
    except (ValueError, IndexError):
        raise ApiError("INVALID_ARGUMENT", "The page token is invalid.") from None
    end = start + size
    token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], token


class Filter:
    """The list filter's subset the fake knows: terms joined by AND (or OR), each `name:TEXT`
    (substring of the resource name), `name=ID`, `labels.KEY=VALUE`, `labels.KEY:VALUE`,
    `labels.KEY:*` (has the label), optionally negated with NOT or `-`."""

    TERM = re.compile(r"^(NOT\s+|-)?(name|labels\.[a-z][a-z0-9_-]*)\s*([:=])\s*\"?([^\"]*)\"?$")

    def __init__(self, text: str) -> None:
        self.groups: list[list[tuple[bool, str, str, str]]] = []
        text = (text or "").strip()
        if not text:
            return
        for group in re.split(r"\s+OR\s+", text):
            terms = []
            for term in re.split(r"\s+AND\s+", group):
                match = self.TERM.match(term.strip())
                if match is None:
                    raise ApiError("INVALID_ARGUMENT", f"Invalid filter: {text}")
                negate, field_name, op, value = match.groups()
                terms.append((bool(negate), field_name, op, value))
            self.groups.append(terms)

    def matches(self, secret: StoredSecret) -> bool:
        if not self.groups:
            return True
        return any(all(self._term(secret, *term) for term in group) for group in self.groups)

    @staticmethod
    def _term(secret: StoredSecret, negate: bool, field_name: str, op: str, value: str) -> bool:
        if field_name == "name":
            hit = value in secret.name if op == ":" else secret.secret_id == value or secret.name == value
        else:
            actual = secret.labels.get(field_name[len("labels."):])
            if op == ":" and value == "*":
                hit = actual is not None
            else:
                hit = actual is not None and (value in actual if op == ":" else actual == value)
        return hit != negate
