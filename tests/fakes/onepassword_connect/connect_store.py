"""The state of the fake 1Password Connect server: vaults, items, fields, versions and tokens.

Written from the Connect server API v1 (`docs/openapi/spec.yaml` of 1Password/connect): items are
addressed by 26-character ids, carry a `version` that every change increments, a category from the
spec's list, tags, sections and fields (`id`, `type`, `purpose`, `label`, `value`). Deleting moves an
item to the trash, where Connect no longer serves it.
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import secrets
import string
import threading

CATEGORIES = (
    "LOGIN", "PASSWORD", "API_CREDENTIAL", "SERVER", "DATABASE", "CREDIT_CARD", "MEMBERSHIP", "PASSPORT",
    "SOFTWARE_LICENSE", "OUTDOOR_LICENSE", "SECURE_NOTE", "WIRELESS_ROUTER", "BANK_ACCOUNT", "DRIVER_LICENSE",
    "IDENTITY", "REWARD_PROGRAM", "DOCUMENT", "EMAIL_ACCOUNT", "SOCIAL_SECURITY_NUMBER", "MEDICAL_RECORD", "SSH_KEY",
    "CUSTOM",
)
FIELD_TYPES = ("STRING", "EMAIL", "CONCEALED", "URL", "OTP", "DATE", "MONTH_YEAR", "MENU", "SSHKEY")
PURPOSES = ("", "USERNAME", "PASSWORD", "NOTES")
FIELD_ATTRIBUTES = ("label", "value", "type", "purpose", "section", "generate", "recipe")
ITEM_ATTRIBUTES = ("title", "category", "urls", "favorite", "tags", "sections", "fields")
_ID_ALPHABET = string.ascii_lowercase + string.digits
_FILTER = re.compile(r'^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$')


class ConnectError(Exception):
    """An API error: the status and Connect's `{"status": .., "message": ..}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict:
        return {"status": self.status, "message": self.message}


def new_id() -> str:
    """A 1Password-style id: 26 lowercase letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_filter(text: str | None, attribute: str) -> str | None:
    """The value of a SCIM `ATTRIBUTE eq "VALUE"` filter, the only form Connect accepts."""
    if text is None:
        return None
    match = _FILTER.match(text)
    if not match or match.group(1) != attribute:
        raise ConnectError(400, f"Invalid filter query: {text}")
    return re.sub(r"\\(.)", r"\1", match.group(2))


def _entropy(value: str) -> float:
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation]
    size = sum(len(pool) for pool in pools if any(c in pool for c in value)) or 1
    return round(len(value) * math.log2(size), 2)


def _generate(recipe: dict | None) -> str:
    recipe = recipe or {}
    length = int(recipe.get("length", 32))
    if not 1 <= length <= 64:
        raise ConnectError(400, "Invalid recipe: length must be between 1 and 64")
    sets = recipe.get("characterSets") or ["LETTERS", "DIGITS"]
    pool = ""
    for name in sets:
        pool += {"LETTERS": string.ascii_letters, "DIGITS": string.digits, "SYMBOLS": "!@#$%^&*.-_"}.get(name, "")
    pool = "".join(c for c in pool if c not in recipe.get("excludeCharacters", ""))
    if not pool:
        raise ConnectError(400, "Invalid recipe: no characters to generate from")
    return "".join(secrets.choice(pool) for _ in range(length))


def _field(raw: object) -> dict:
    """A validated field, with Connect's defaults filled in."""
    if not isinstance(raw, dict):
        raise ConnectError(400, "Invalid item field: expected an object")
    unknown = set(raw) - {"id", "section", "type", "purpose", "label", "value", "generate", "recipe", "entropy",
                          "totp"}
    if unknown:
        raise ConnectError(400, f"Invalid item field: unknown attribute {sorted(unknown)[0]}")
    field = {k: v for k, v in raw.items() if k not in ("generate", "recipe", "entropy", "totp")}
    field["id"] = str(raw.get("id") or new_id())
    field["type"] = str(raw.get("type") or "STRING").upper()
    if field["type"] not in FIELD_TYPES:
        raise ConnectError(400, f"Invalid field type: {raw.get('type')}")
    purpose = str(raw.get("purpose") or "")
    if purpose not in PURPOSES:
        raise ConnectError(400, f"Invalid field purpose: {purpose}")
    if purpose:
        field["purpose"] = purpose
    else:
        field.pop("purpose", None)
    field["label"] = str(raw.get("label") if raw.get("label") is not None else field["id"])
    if raw.get("generate") and not raw.get("value"):
        field["value"] = _generate(raw.get("recipe"))
    if "value" in field and not isinstance(field["value"], str):
        raise ConnectError(400, "Invalid item field: value must be a string")
    if purpose == "PASSWORD" and field.get("value"):
        field["entropy"] = _entropy(field["value"])
    return field


class Store:
    """Vaults and their items, shared by every request (guarded by one lock)."""

    def __init__(self, vault_names: list[str]) -> None:
        self.lock = threading.RLock()
        self.vaults: dict[str, dict] = {}
        self.items: dict[str, dict[str, dict]] = {}
        for name in vault_names:
            self.add_vault(name)

    def add_vault(self, name: str) -> dict:
        with self.lock:
            stamp = now()
            vault = {"id": new_id(), "name": name, "description": "", "attributeVersion": 1, "contentVersion": 1,
                     "items": 0, "type": "USER_CREATED", "createdAt": stamp, "updatedAt": stamp}
            self.vaults[vault["id"]] = vault
            self.items[vault["id"]] = {}
            return vault

    def reset(self) -> None:
        with self.lock:
            for vault_id in self.items:
                self.items[vault_id] = {}
                self.vaults[vault_id]["items"] = 0

    def vault_named(self, name: str) -> dict | None:
        with self.lock:
            return next((v for v in self.vaults.values() if v["name"] == name), None)

    # -- vaults ----------------------------------------------------------------------------

    def list_vaults(self, scope: set[str] | None, filter_text: str | None) -> list[dict]:
        name = parse_filter(filter_text, "name")
        with self.lock:
            found = [v for v in self.vaults.values() if scope is None or v["id"] in scope]
            return [copy.deepcopy(v) for v in found if name is None or v["name"] == name]

    def vault(self, vault_id: str, scope: set[str] | None) -> dict:
        with self.lock:
            if vault_id not in self.vaults:
                raise ConnectError(404, f"vault {vault_id} not found")
            if scope is not None and vault_id not in scope:
                raise ConnectError(403, f"vault {vault_id} is not in scope")
            return self.vaults[vault_id]

    # -- items -----------------------------------------------------------------------------

    def _live(self, vault_id: str) -> list[dict]:
        return [i for i in self.items[vault_id].values() if i.get("state") != "DELETED"]

    def _item(self, vault_id: str, item_id: str) -> dict:
        item = self.items[vault_id].get(item_id)
        if item is None or item.get("state") == "DELETED":
            raise ConnectError(404, f"item {item_id} not found")
        return item

    @staticmethod
    def summary(item: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in item.items() if k not in ("sections", "fields", "files")}

    def list_items(self, vault_id: str, scope: set[str] | None, filter_text: str | None) -> list[dict]:
        title = parse_filter(filter_text, "title")
        with self.lock:
            self.vault(vault_id, scope)
            found = [i for i in self._live(vault_id) if title is None or i["title"] == title]
            return [self.summary(i) for i in sorted(found, key=lambda i: i["createdAt"])]

    def get_item(self, vault_id: str, item_id: str, scope: set[str] | None) -> dict:
        with self.lock:
            self.vault(vault_id, scope)
            return copy.deepcopy(self._item(vault_id, item_id))

    def _check_body(self, vault_id: str, body: object) -> dict:
        if not isinstance(body, dict):
            raise ConnectError(400, "Invalid item: the body must be a JSON object")
        vault = body.get("vault")
        if not isinstance(vault, dict) or not vault.get("id"):
            raise ConnectError(400, "Invalid item: vault.id is required")
        if vault["id"] != vault_id:
            raise ConnectError(400, "Invalid item: the vault in the body does not match the vault in the path")
        if body.get("category") not in CATEGORIES:
            raise ConnectError(400, "Invalid item category")
        return body

    def _content(self, body: dict) -> dict:
        """The writable attributes of an item body, validated."""
        fields = body.get("fields") or []
        if not isinstance(fields, list):
            raise ConnectError(400, "Invalid item: fields must be an array")
        fields = [_field(f) for f in fields]
        ids = [f["id"] for f in fields]
        if len(ids) != len(set(ids)):
            raise ConnectError(400, "Invalid item: two fields have the same id")
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConnectError(400, "Invalid item: tags must be an array of strings")
        sections = body.get("sections") or []
        if not isinstance(sections, list):
            raise ConnectError(400, "Invalid item: sections must be an array")
        section_ids = {s.get("id") for s in sections if isinstance(s, dict)}
        for field in fields:
            section = field.get("section")
            if isinstance(section, dict) and section.get("id") not in section_ids:
                raise ConnectError(400, f"Invalid item: field {field['id']} names an unknown section")
        return {
            "title": str(body.get("title") or ""),
            "category": body["category"],
            "urls": body.get("urls") or [],
            "favorite": bool(body.get("favorite", False)),
            "tags": sorted(set(tags)),
            "sections": copy.deepcopy(sections),
            "fields": fields,
        }

    def create_item(self, vault_id: str, body: object, scope: set[str] | None, actor: str) -> dict:
        with self.lock:
            self.vault(vault_id, scope)
            body = self._check_body(vault_id, body)
            stamp = now()
            item = {"id": new_id(), "vault": {"id": vault_id}, **self._content(body), "version": 1,
                    "createdAt": stamp, "updatedAt": stamp, "lastEditedBy": actor}
            self.items[vault_id][item["id"]] = item
            self._touch_vault(vault_id)
            return copy.deepcopy(item)

    def replace_item(self, vault_id: str, item_id: str, body: object, scope: set[str] | None, actor: str) -> dict:
        with self.lock:
            self.vault(vault_id, scope)
            item = self._item(vault_id, item_id)
            body = self._check_body(vault_id, body)
            if body.get("id") not in (None, "", item_id):
                raise ConnectError(400, "Invalid item: the id in the body does not match the id in the path")
            item.update(self._content(body))
            self._bump(vault_id, item, actor)
            return copy.deepcopy(item)

    def patch_item(self, vault_id: str, item_id: str, ops: object, scope: set[str] | None, actor: str) -> dict:
        from connect_patch import apply_patch

        with self.lock:
            self.vault(vault_id, scope)
            item = self._item(vault_id, item_id)
            if not isinstance(ops, list):
                raise ConnectError(400, "Invalid patch: the body must be a JSON array of operations")
            if not ops:
                return copy.deepcopy(item)
            draft = copy.deepcopy(item)
            apply_patch(draft, ops)
            body = dict(draft, vault={"id": vault_id})
            item.update(self._content(self._check_body(vault_id, body)))
            self._bump(vault_id, item, actor)
            return copy.deepcopy(item)

    def delete_item(self, vault_id: str, item_id: str, scope: set[str] | None) -> None:
        with self.lock:
            self.vault(vault_id, scope)
            item = self._item(vault_id, item_id)
            item["state"] = "DELETED"
            item["updatedAt"] = now()
            self._touch_vault(vault_id)

    def _bump(self, vault_id: str, item: dict, actor: str) -> None:
        item["version"] += 1
        item["updatedAt"] = now()
        item["lastEditedBy"] = actor
        self._touch_vault(vault_id)

    def _touch_vault(self, vault_id: str) -> None:
        vault = self.vaults[vault_id]
        vault["contentVersion"] += 1
        vault["items"] = len(self._live(vault_id))
        vault["updatedAt"] = now()
