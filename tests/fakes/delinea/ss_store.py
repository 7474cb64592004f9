"""The state of the fake Secret Server: templates, folders and secrets, and their JSON shapes.

Written from Delinea Secret Server's REST API v1 (`/api/v1`) as the official `python-tss-sdk` reads it
and as Delinea documents the write calls:

- a template lists fields (`fieldSlugName`, `isPassword`, `isNotes`, `isFile`, `isRequired`); a secret
  holds one item per template field (`itemId`, `fieldId`, `fieldName`, `slug`, `itemValue`, …);
- secrets are created from a stub (`GET secrets/stub`) with `POST secrets`, a field is changed with
  `PUT secrets/{id}/fields/{slug}`, `DELETE secrets/{id}` deactivates (the secret stays, inactive),
  and `PUT secrets/{id}/restore` makes it active again;
- names are not unique (Secret Server allows duplicates unless an administrator forbids them);
- searches compare names without case; folder paths are `\\Parent\\Child`.
"""

from __future__ import annotations

import copy
import datetime
import threading
from dataclasses import dataclass, field


class ApiError(Exception):
    """An error answer: HTTP status, `errorCode` and `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        return {"errorCode": self.code, "message": self.message}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def template_field(field_id: int, name: str, slug: str, required: bool = False, password: bool = False,
                   notes: bool = False, file: bool = False, url: bool = False) -> dict:
    return {"secretTemplateFieldId": field_id, "name": name, "displayName": name, "fieldSlugName": slug,
            "description": f"The {name.lower()}.", "isRequired": required, "isPassword": password,
            "isNotes": notes, "isFile": file, "isUrl": url, "isExpirationField": False, "editRequires": "Edit",
            "hideOnView": False, "sortOrder": field_id % 100}


TEMPLATES = {
    2: {"id": 2, "name": "Password", "fields": [
        template_field(201, "Resource", "resource"),
        template_field(202, "Username", "username"),
        template_field(203, "Password", "password", required=True, password=True),
        template_field(204, "Notes", "notes", notes=True),
    ]},
    9: {"id": 9, "name": "Web Password", "fields": [
        template_field(901, "URL", "url", required=True, url=True),
        template_field(902, "Username", "username", required=True),
        template_field(903, "Password", "password", required=True, password=True),
        template_field(904, "Notes", "notes", notes=True),
    ]},
    6026: {"id": 6026, "name": "SSH Key", "fields": [
        template_field(2601, "Username", "username", required=True),
        template_field(2602, "Private Key", "private-key", file=True),
        template_field(2603, "Private Key Passphrase", "private-key-passphrase", password=True),
        template_field(2604, "Notes", "notes", notes=True),
    ]},
}


@dataclass
class Folder:
    id: int
    name: str
    parent_id: int


@dataclass
class Secret:
    id: int
    name: str
    template_id: int
    folder_id: int
    site_id: int = 1
    active: bool = True
    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    created: str = field(default_factory=now)
    last_accessed: str | None = None


class Store:
    """Templates, folders and secrets, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.folders = {3: Folder(3, "Keyway", -1), 4: Folder(4, "Child", 3), 5: Folder(5, "Other", -1)}
            self.secrets: dict[int, Secret] = {}
            self.next_id = 100

    # -- folders -------------------------------------------------------------------------------

    def folder_path(self, folder_id: int) -> str:
        names, current = [], self.folders.get(folder_id)
        while current is not None:
            names.append(current.name)
            current = self.folders.get(current.parent_id)
        return "\\" + "\\".join(reversed(names)) if names else ""

    def folder(self, folder_id: int) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None:
            raise ApiError(404, "API_FolderNotFound", f"Folder {folder_id} not found.")
        return folder

    def folder_by_path(self, path: str) -> Folder:
        wanted = "\\" + path.strip("\\").lower()
        for folder in self.folders.values():
            if self.folder_path(folder.id).lower() == wanted:
                return folder
        raise ApiError(404, "API_FolderNotFound", "Folder not found.")

    def descendants(self, folder_id: int) -> list[int]:
        found = [folder_id]
        for candidate in self.folders.values():
            if candidate.parent_id == folder_id:
                found += self.descendants(candidate.id)
        return found

    def folder_body(self, folder: Folder, children: bool) -> dict:
        body = {"id": folder.id, "folderName": folder.name, "folderPath": self.folder_path(folder.id),
                "parentFolderId": folder.parent_id, "folderTypeId": 1, "secretPolicyId": -1,
                "inheritSecretPolicy": True, "inheritPermissions": True, "secretTemplates": []}
        if children:
            body["childFolders"] = [self.folder_body(f, True) for f in self.folders.values()
                                    if f.parent_id == folder.id]
        return body

    # -- secrets -------------------------------------------------------------------------------

    def secret(self, secret_id: int) -> Secret:
        secret = self.secrets.get(secret_id)
        if secret is None:
            raise ApiError(404, "API_SecretNotFound", f"Secret {secret_id} not found.")
        return secret

    def secret_by_path(self, path: str) -> Secret:
        folder_path, _, name = path.strip("\\").rpartition("\\")
        folder_id = self.folder_by_path(folder_path).id if folder_path else -1
        for secret in self.secrets.values():
            if secret.active and secret.folder_id == folder_id and secret.name.lower() == name.lower():
                return secret
        raise ApiError(404, "API_SecretNotFound", "Secret not found.")

    def items(self, secret: Secret) -> list[dict]:
        items = []
        for index, spec in enumerate(TEMPLATES[secret.template_id]["fields"]):
            slug = spec["fieldSlugName"]
            file = secret.files.get(slug)
            items.append({
                "itemId": secret.id * 10 + index if secret.id else 0,
                "fileAttachmentId": (secret.id * 100 + index) if file else None,
                "filename": file[0] if file else None,
                "itemValue": ("*** Not Valid For Display ***" if file else "") if spec["isFile"]
                else secret.values.get(slug, ""),
                "fieldId": spec["secretTemplateFieldId"],
                "fieldName": spec["name"],
                "slug": slug,
                "fieldDescription": spec["description"],
                "isFile": spec["isFile"],
                "isNotes": spec["isNotes"],
                "isPassword": spec["isPassword"],
                "isList": False,
                "listType": "None",
            })
        return items

    def secret_body(self, secret: Secret) -> dict:
        stamp = "0001-01-01T00:00:00"
        return {
            "id": secret.id, "name": secret.name, "secretTemplateId": secret.template_id,
            "secretTemplateName": TEMPLATES[secret.template_id]["name"], "folderId": secret.folder_id,
            "siteId": secret.site_id, "active": secret.active, "checkedOut": False, "checkOutEnabled": False,
            "checkOutUserDisplayName": "", "checkOutUserId": -1, "checkOutMinutesRemaining": 0,
            "isRestricted": False, "isOutOfSync": False, "outOfSyncReason": "", "autoChangeEnabled": False,
            "requiresComment": False, "isDoubleLock": False, "doubleLockId": -1,
            "enableInheritPermissions": True, "enableInheritSecretPolicy": True, "secretPolicyId": -1,
            "lastHeartBeatStatus": "Pending", "lastHeartBeatCheck": stamp, "lastPasswordChangeAttempt": stamp,
            "failedPasswordChangeAttempts": 0, "launcherConnectAsSecretId": -1, "responseCodes": [],
            "items": self.items(secret),
        }

    def summary(self, secret: Secret) -> dict:
        return {
            "id": secret.id, "name": secret.name, "secretTemplateId": secret.template_id,
            "secretTemplateName": TEMPLATES[secret.template_id]["name"], "folderId": secret.folder_id,
            "folderPath": self.folder_path(secret.folder_id), "siteId": secret.site_id, "active": secret.active,
            "checkedOut": False, "isRestricted": False, "isOutOfSync": False, "outOfSyncReason": "",
            "lastHeartBeatStatus": "Pending", "lastPasswordChangeAttemptUtc": None, "responseCodes": [],
            "lastAccessed": secret.last_accessed, "extendedFields": None, "checkOutEnabled": False,
            "autoChangeEnabled": False, "doubleLockEnabled": False, "requiresApproval": False,
            "requiresComment": False, "inheritsPermissions": True, "hidePassword": False,
            "createDate": secret.created, "daysUntilExpiration": None, "hasLauncher": False,
        }

    def search(self, query: dict) -> list[Secret]:
        with self.lock:
            found = sorted(self.secrets.values(), key=lambda s: (s.name.lower(), s.id))
            text = query.get("filter.searchtext")
            if text:
                exact = query.get("filter.isexactmatch", "false").lower() == "true"
                found = [s for s in found
                         if (s.name.lower() == text.lower() if exact else text.lower() in s.name.lower())]
            folder_id = query.get("filter.folderid")
            if folder_id not in (None, ""):
                subfolders = query.get("filter.includesubfolders", "false").lower() == "true"
                folders = self.descendants(int(folder_id)) if subfolders else [int(folder_id)]
                found = [s for s in found if s.folder_id in folders]
            template = query.get("filter.secrettemplateid")
            if template:
                found = [s for s in found if s.template_id == int(template)]
            include_active = query.get("filter.includeactive", "true").lower() != "false"
            include_inactive = query.get("filter.includeinactive", "false").lower() == "true"
            return [s for s in found if (s.active and include_active) or (not s.active and include_inactive)]

    def stub(self, template_id: int, folder_id: int | None) -> dict:
        if template_id not in TEMPLATES:
            raise ApiError(400, "API_InvalidTemplate", f"Secret template {template_id} does not exist.")
        stub = Secret(0, "", template_id, folder_id if folder_id is not None else -1)
        body = self.secret_body(stub)
        body["active"] = True
        return body

    def create(self, body: dict) -> dict:
        with self.lock:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ApiError(400, "API_NameRequired", "Secret name is required.")
            if len(name) > 256:
                raise ApiError(400, "API_NameTooLong", "Secret name must be at most 256 characters.")
            template_id = body.get("secretTemplateId")
            if template_id not in TEMPLATES:
                raise ApiError(400, "API_InvalidTemplate", f"Secret template {template_id} does not exist.")
            folder_id = body.get("folderId")
            folder_id = -1 if folder_id in (None, -1) else self.folder(int(folder_id)).id
            secret = Secret(self.next_id, name, template_id, folder_id, int(body.get("siteId") or 1))
            self._apply_items(secret, body.get("items"))
            self.next_id += 1
            self.secrets[secret.id] = secret
            return self.secret_body(secret)

    def _apply_items(self, secret: Secret, items) -> None:
        if not isinstance(items, list):
            raise ApiError(400, "API_ItemsRequired", "Secret items are required.")
        fields = TEMPLATES[secret.template_id]["fields"]
        by_id = {f["secretTemplateFieldId"]: f for f in fields}
        by_slug = {f["fieldSlugName"]: f for f in fields}
        for item in items:
            spec = by_id.get(item.get("fieldId")) or by_slug.get(item.get("slug"))
            if spec is None:
                raise ApiError(400, "API_InvalidField", f"Field {item.get('slug') or item.get('fieldId')} is not "
                               f"part of template {TEMPLATES[secret.template_id]['name']}.")
            if spec["isFile"]:
                continue
            value = item.get("itemValue") or ""
            if not isinstance(value, str):
                raise ApiError(400, "API_InvalidValue", f"The value of {spec['fieldSlugName']} must be text.")
            secret.values[spec["fieldSlugName"]] = value
        self._check_required(secret)

    def _check_required(self, secret: Secret) -> None:
        for spec in TEMPLATES[secret.template_id]["fields"]:
            if spec["isRequired"] and not spec["isFile"] and not secret.values.get(spec["fieldSlugName"]):
                raise ApiError(400, "API_FieldRequired", f"{spec['name']} is required.")

    def field_value(self, secret_id: int, slug: str) -> tuple[str | None, bytes | None, str | None]:
        """A field's text, or a file field's bytes and file name."""
        with self.lock:
            secret = self.active(secret_id)
            spec = self._spec(secret, slug)
            if spec["isFile"]:
                stored = secret.files.get(spec["fieldSlugName"])
                if stored is None:
                    raise ApiError(404, "API_FileNotFound", f"{spec['name']} has no file.")
                return None, stored[1], stored[0]
            return secret.values.get(spec["fieldSlugName"], ""), None, None

    def set_field(self, secret_id: int, slug: str, body: dict) -> str:
        with self.lock:
            secret = self.active(secret_id)
            spec = self._spec(secret, slug)
            if spec["isFile"]:
                attachment = body.get("fileAttachment")
                if not isinstance(attachment, list) or not body.get("fileName"):
                    raise ApiError(400, "API_FileRequired", "fileName and fileAttachment are required.")
                secret.files[spec["fieldSlugName"]] = (body["fileName"], bytes(attachment))
                return ""
            value = body.get("value")
            if not isinstance(value, str):
                raise ApiError(400, "API_ValueRequired", "value is required.")
            updated = copy.deepcopy(secret)
            updated.values[spec["fieldSlugName"]] = value
            self._check_required(updated)
            secret.values[spec["fieldSlugName"]] = value
            return value

    def _spec(self, secret: Secret, slug: str) -> dict:
        for spec in TEMPLATES[secret.template_id]["fields"]:
            if spec["fieldSlugName"] == slug.lower():
                return spec
        raise ApiError(400, "API_InvalidField", f"Field {slug} is not part of template "
                       f"{TEMPLATES[secret.template_id]['name']}.")

    def active(self, secret_id: int) -> Secret:
        secret = self.secret(secret_id)
        if not secret.active:
            raise ApiError(400, "API_SecretInactive", "The secret is inactive.")
        return secret

    def deactivate(self, secret_id: int) -> dict:
        with self.lock:
            self.active(secret_id).active = False
            return {"id": secret_id, "objectType": "Secret", "responseCodes": []}

    def restore(self, secret_id: int) -> dict:
        with self.lock:
            secret = self.secret(secret_id)
            secret.active = True
            return self.secret_body(secret)
