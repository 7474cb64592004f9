"""Key Vault secrets REST routes: request paths and JSON bodies in, (status, JSON) out.

The shapes are the service's: `SecretBundle`, `SecretItem` lists with `nextLink`,
`DeletedSecretBundle`, and errors as `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from vault import Secret, Vault, VaultError, Version

API_VERSIONS = {"7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"}
DEFAULT_PAGE = 25
MAX_PAGE = 25


class Rest:
    """Serves one vault; `base` is the vault URL as clients address it."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # -- shapes ------------------------------------------------------------------------------

    def _attributes(self, version: Version) -> dict:
        attributes: dict = {"enabled": version.enabled}
        if version.nbf is not None:
            attributes["nbf"] = version.nbf
        if version.exp is not None:
            attributes["exp"] = version.exp
        attributes.update(
            created=version.created,
            updated=version.updated,
            recoveryLevel=self.vault.recovery_level,
            recoverableDays=self.vault.retention_days,
        )
        return attributes

    def _bundle(self, base: str, secret: Secret, version: Version, with_value: bool) -> dict:
        bundle: dict = {}
        if with_value:
            bundle["value"] = version.value
        if version.content_type is not None:
            bundle["contentType"] = version.content_type
        bundle["id"] = f"{base}/secrets/{secret.name}/{version.id}"
        bundle["attributes"] = self._attributes(version)
        if version.tags:
            bundle["tags"] = dict(version.tags)
        return bundle

    def _item(self, base: str, secret: Secret, version: Version, with_version: bool) -> dict:
        item: dict = {}
        if version.content_type is not None:
            item["contentType"] = version.content_type
        suffix = f"/{version.id}" if with_version else ""
        item["id"] = f"{base}/secrets/{secret.name}{suffix}"
        item["attributes"] = self._attributes(version)
        if version.tags:
            item["tags"] = dict(version.tags)
        return item

    def _deleted(self, base: str, secret: Secret, item: bool) -> dict:
        shaped = (self._item(base, secret, secret.latest(), False) if item
                  else self._bundle(base, secret, secret.latest(), False))
        shaped.update(
            recoveryId=f"{base}/deletedsecrets/{secret.name}",
            deletedDate=secret.deleted_date,
            scheduledPurgeDate=secret.scheduled_purge_date,
        )
        return shaped

    # -- paging ------------------------------------------------------------------------------

    @staticmethod
    def _page_size(query: dict[str, str]) -> int:
        raw = query.get("maxresults")
        if raw is None or raw == "":
            return DEFAULT_PAGE
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE:
            raise VaultError(400, "BadParameter", f"maxresults must be between 1 and {MAX_PAGE}; got {raw}.")
        return size

    @staticmethod
    def _marker(query: dict[str, str]) -> str:
        token = query.get("$skiptoken")
        if not token:
            return ""
        try:
            return json.loads(base64.b64decode(token))["NextMarker"]
        except (ValueError, KeyError, TypeError):
            raise VaultError(400, "BadParameter", "The $skiptoken is not valid.") from None

    def _page(self, base: str, path: str, query: dict, keyed: list[tuple[str, dict]]) -> dict:
        """One page of `keyed` (sort key, item) after the skip marker, with a `nextLink`."""
        size, marker = self._page_size(query), self._marker(query)
        rest = [(key, item) for key, item in keyed if key > marker]
        page = rest[:size]
        next_link = None
        if len(rest) > size:
            token = base64.b64encode(json.dumps({"NextMarker": page[-1][0]}).encode()).decode()
            next_link = (
                f"{base}{path}?api-version={query['api-version']}&$skiptoken={quote(token, safe='')}"
                f"&maxresults={size}"
            )
        return {"value": [item for _, item in page], "nextLink": next_link}

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, method: str, base: str, parts: list[str], query: dict[str, str], body: dict | None):
        """Routes a vault request; `parts` are the decoded path segments."""
        if query.get("api-version") not in API_VERSIONS:
            raise VaultError(
                400, "BadParameter", f"The request URI contains an invalid api-version: {query.get('api-version')}."
            )
        collection = parts[0]
        if collection == "secrets":
            return self._secrets(method, base, parts[1:], query, body or {})
        if collection == "deletedsecrets":
            return self._deleted_secrets(method, base, parts[1:], query)
        raise VaultError(404, "NotFound", f"Unknown collection {collection}.")

    def _secrets(self, method: str, base: str, rest: list[str], query: dict, body: dict):
        vault = self.vault
        if not rest:
            if method != "GET":
                raise _not_allowed(method)
            keyed = [
                (s.name.lower(), self._item(base, s, s.latest(), False)) for s in vault.list_active()
            ]
            return 200, self._page(base, "/secrets", query, keyed)
        name = rest[0]
        version = rest[1] if len(rest) > 1 else ""
        if len(rest) > 2:
            raise VaultError(404, "NotFound", "Unknown path.")
        if version == "versions" and method == "GET":
            secret, versions = vault.versions(name)
            keyed = [(f"{v.seq:012d}", self._item(base, secret, v, True)) for v in versions]
            return 200, self._page(base, f"/secrets/{name}/versions", query, keyed)
        if method == "PUT" and not version:
            secret, written = vault.set(name, body)
            return 200, self._bundle(base, secret, written, True)
        if method == "GET":
            secret, found = vault.get(name, version)
            return 200, self._bundle(base, secret, found, True)
        if method == "PATCH":
            secret, changed = vault.update(name, version, body)
            return 200, self._bundle(base, secret, changed, False)
        if method == "DELETE" and not version:
            secret = vault.delete(name)
            return 200, self._deleted(base, secret, item=False)
        raise _not_allowed(method)

    def _deleted_secrets(self, method: str, base: str, rest: list[str], query: dict):
        vault = self.vault
        if not rest:
            if method != "GET":
                raise _not_allowed(method)
            keyed = [(s.name.lower(), self._deleted(base, s, item=True)) for s in vault.list_deleted()]
            return 200, self._page(base, "/deletedsecrets", query, keyed)
        name = rest[0]
        if len(rest) == 2 and rest[1] == "recover" and method == "POST":
            secret = vault.recover(name)
            return 200, self._bundle(base, secret, secret.latest(), False)
        if len(rest) != 1:
            raise VaultError(404, "NotFound", "Unknown path.")
        if method == "GET":
            return 200, self._deleted(base, vault.get_deleted(name), item=False)
        if method == "DELETE":
            vault.purge(name)
            return 204, None
        raise _not_allowed(method)


def _not_allowed(method: str) -> VaultError:
    return VaultError(405, "MethodNotAllowed", f"The requested method {method} is not allowed here.")
