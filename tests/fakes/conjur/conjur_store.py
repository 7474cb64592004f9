"""The state of the fake Conjur: roles (users, hosts, groups, policies) with API keys and memberships,
resources with owners, annotations and permissions, and variables' secret versions.

Privileges follow Conjur's model closely enough for clients to see the same answers: a role holds a
privilege on a resource when it is (a member of) the resource's owner, or when a `!permit` grants it;
`read` makes a resource visible, `execute` fetches a secret, `update` sets one. Policies own what
they declare and are owned by their declared owner or the policy around them, and a role's owner
holds the role, so the owner of a policy branch controls every record in it. The account's `admin`
user owns the root policy.
"""

from __future__ import annotations

import datetime
import secrets
import threading
from dataclasses import dataclass, field

KEEP_VERSIONS = 20
PRIVILEGES = ("read", "execute", "update", "create")


class ConjurError(Exception):
    """An API error: the status and Conjur's `{"error": {"code", "message"}}` body (none for 401)."""

    CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 406: "not_acceptable",
             409: "conflict", 422: "unprocessable_entity"}

    def __init__(self, status: int, message: str, code: str | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or self.CODES.get(status, "error")
        self.target = target

    def body(self) -> dict | None:
        if self.status == 401:
            return None
        error: dict = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        return {"error": error}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"


def new_api_key() -> str:
    return secrets.token_hex(24)


@dataclass
class Resource:
    """A resource (every record is one); variables carry secret versions."""

    id: str  # account:kind:identifier
    owner: str
    policy: str
    created_at: str = field(default_factory=now)
    annotations: dict[str, str] = field(default_factory=dict)
    permissions: list[tuple[str, str]] = field(default_factory=list)  # (privilege, role)
    secrets: list[tuple[int, bytes]] = field(default_factory=list)
    next_version: int = 1

    @property
    def kind(self) -> str:
        return self.id.split(":", 2)[1]

    def to_json(self) -> dict:
        body = {
            "created_at": self.created_at,
            "id": self.id,
            "owner": self.owner,
            "policy": self.policy,
            "permissions": [{"privilege": p, "role": r, "policy": self.policy} for p, r in self.permissions],
            "annotations": [{"name": k, "value": v, "policy": self.policy} for k, v in self.annotations.items()],
        }
        if self.kind == "variable":
            body["secrets"] = [{"version": v, "expires_at": None} for v, _ in self.secrets]
        if self.kind == "policy":
            body["policy_versions"] = []
        return body


class Store:
    """One account's roles and resources, guarded by one lock."""

    def __init__(self, account: str, admin_api_key: str) -> None:
        self.lock = threading.RLock()
        self.account = account
        self.api_keys: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.resources: dict[str, Resource] = {}
        self.policy_versions: dict[str, int] = {}
        admin, root = self.role_id("user", "admin"), self.role_id("policy", "root")
        self.add_role(admin, admin_api_key)
        self.resources[admin] = Resource(admin, admin, root)
        self.add_role(root, None)
        self.members[root].add(admin)
        self.resources[root] = Resource(root, admin, root)

    def role_id(self, kind: str, identifier: str) -> str:
        return f"{self.account}:{kind}:{identifier}"

    def add_role(self, role: str, api_key: str | None) -> None:
        self.members.setdefault(role, set())
        if api_key is not None:
            self.api_keys[role] = api_key

    # -- privileges ------------------------------------------------------------------------

    def roles_of(self, role: str) -> set[str]:
        """Every role `role` holds: itself and, transitively, the roles it is a member of."""
        held, todo = {role}, [role]
        while todo:
            current = todo.pop()
            for other, members in self.members.items():
                if current in members and other not in held:
                    held.add(other)
                    todo.append(other)
        return held

    def allowed(self, role: str, resource: Resource, privilege: str) -> bool:
        held = self.roles_of(role)
        if resource.owner in held:
            return True
        granted = {p for p, r in resource.permissions if r in held}
        if privilege == "read":
            return bool(granted)
        return privilege in granted

    def visible(self, role: str, kind: str, identifier: str) -> Resource:
        """The resource, or 404 when it does not exist or `role` may not see it."""
        resource = self.resources.get(self.role_id(kind, identifier))
        if resource is None or not self.allowed(role, resource, "read"):
            label = kind.capitalize()
            raise ConjurError(404, f"{label} '{identifier}' not found in account '{self.account}'",
                              "not_found", kind)
        return resource

    def require(self, role: str, resource: Resource, privilege: str) -> None:
        if not self.allowed(role, resource, privilege):
            raise ConjurError(403, "Forbidden")

    # -- resources and secrets -------------------------------------------------------------

    def show(self, role: str, kind: str, identifier: str) -> dict:
        with self.lock:
            return self.visible(role, kind, identifier).to_json()

    def listing(self, role: str, kind: str | None, search: str | None) -> list[dict]:
        with self.lock:
            found = []
            for resource in sorted(self.resources.values(), key=lambda r: r.id):
                if kind and resource.kind != kind:
                    continue
                if not self.allowed(role, resource, "read"):
                    continue
                if search:
                    text = " ".join([resource.id, *resource.annotations.values()]).lower()
                    if search.lower() not in text:
                        continue
                found.append(resource.to_json())
            return found

    def secret(self, role: str, identifier: str, version: int | None) -> tuple[bytes, str]:
        """A variable's value (latest or `version`) and its MIME type."""
        with self.lock:
            variable = self.visible(role, "variable", identifier)
            self.require(role, variable, "execute")
            if not variable.secrets:
                raise ConjurError(404, f"Variable '{identifier}' is empty or not found.", "not_found", "variable")
            if version is None:
                value = variable.secrets[-1][1]
            else:
                value = next((v for n, v in variable.secrets if n == version), None)
                if value is None:
                    raise ConjurError(404, f"Requested version does not exist for variable '{identifier}'",
                                      "not_found", "variable")
            return value, variable.annotations.get("conjur/mime_type", "application/octet-stream")

    def set_secret(self, role: str, identifier: str, value: bytes) -> None:
        with self.lock:
            variable = self.visible(role, "variable", identifier)
            self.require(role, variable, "update")
            if not value:
                raise ConjurError(422, "'value' may not be empty", "argument_error")
            variable.secrets.append((variable.next_version, value))
            variable.next_version += 1
            del variable.secrets[:-KEEP_VERSIONS]

    def batch(self, role: str, full_ids: list[str]) -> dict[str, bytes]:
        with self.lock:
            values: dict[str, bytes] = {}
            for full_id in full_ids:
                account, kind, identifier = (full_id.split(":", 2) + ["", ""])[:3]
                if account != self.account or kind != "variable" or not identifier:
                    raise ConjurError(404, f"Variable '{full_id}' not found in account '{self.account}'",
                                      "not_found", "variable")
                values[full_id] = self.secret(role, identifier, None)[0]
            return values
