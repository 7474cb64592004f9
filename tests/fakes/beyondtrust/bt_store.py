"""The state of the fake Password Safe: Secrets Safe folders and secrets, and their JSON shapes.

Written from BeyondTrust's Secrets Safe API (`/BeyondTrust/api/public/v3/Secrets-Safe/...`,
request versions 3.0, 3.1 and 3.2) as the official `beyondtrust-bips-library` uses it:

- folders have a GUID `Id`, a `Name`, a `Description`, a `ParentId` and a `UserGroupId`; a
  folder's path is its ancestors' names joined by `/`;
- secrets are `Credential` (username and password), `Text` or `File`; titles are unique within a
  folder (compared without case, as the service's database does);
- version 3.0 bodies name one owner with `OwnerId`/`OwnerType` plus `Owners[{OwnerId, Owner,
  Email}]`; 3.1 and later name `Owners[{GroupId, UserId, Name, Email}]`; 3.2 wraps list answers in
  `{"TotalCount": N, "Data": [...]}` and adds `SecretValueModifiedOn`.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import uuid
from dataclasses import dataclass, field

VERSIONS = ("3.0", "3.1", "3.2")


class ApiError(Exception):
    """An error answer: HTTP status and the message the service sends as a JSON string."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """The service's time format: UTC without an offset, milliseconds."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


@dataclass
class User:
    """The user an API registration runs as."""

    user_id: int
    user_name: str
    name: str
    email: str

    def sign_in_body(self) -> dict:
        return {
            "UserId": self.user_id,
            "SID": f"S-1-5-21-1000-{self.user_id}",
            "EmailAddress": self.email,
            "UserName": self.user_name,
            "Name": self.name,
        }


@dataclass
class Folder:
    id: str
    name: str
    description: str
    parent_id: str | None
    user_group_id: int | None = None

    def body(self) -> dict:
        return {
            "Id": self.id,
            "Name": self.name,
            "Description": self.description,
            "ParentId": self.parent_id,
            "UserGroupId": self.user_group_id,
        }


@dataclass
class Secret:
    id: str
    folder_id: str
    title: str
    secret_type: str  # Credential, Text or File
    description: str = ""
    username: str | None = None
    password: str | None = None
    text: str | None = None
    file_name: str | None = None
    content: bytes | None = None
    owners: list[dict] = field(default_factory=list)
    notes: str = ""
    urls: list[dict] = field(default_factory=list)
    created_on: str = field(default_factory=now)
    created_by: str = ""
    modified_on: str = field(default_factory=now)
    modified_by: str = ""
    value_modified_on: str = field(default_factory=now)


def _text(body: dict, key: str, max_len: int, required: bool = False, min_len: int = 0) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"{key} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{key} must be a string")
    if len(value) > max_len or len(value) < (1 if required else min_len):
        raise ApiError(400, f"{key} must be between {1 if required else min_len} and {max_len} characters")
    return value


def _owners(body: dict, version: str) -> list[dict]:
    """Checks the owner fields of a create or update body and returns them in 3.1 shape."""
    owners = body.get("Owners")
    if version == "3.0":
        owner_type = body.get("OwnerType")
        if owner_type is not None and owner_type not in ("User", "Group"):
            raise ApiError(400, "OwnerType must be User or Group")
        if owner_type == "Group" and not isinstance(body.get("OwnerId"), int):
            raise ApiError(400, "OwnerId is required when OwnerType is Group")
        if not isinstance(owners, list) or not owners:
            raise ApiError(400, "Owners is required")
        result = []
        for owner in owners:
            if not isinstance(owner, dict) or not isinstance(owner.get("OwnerId"), int):
                raise ApiError(400, "each owner needs an OwnerId")
            result.append({"GroupId": None, "UserId": owner["OwnerId"], "Name": owner.get("Owner"),
                           "Email": owner.get("Email")})
        return result
    if not isinstance(owners, list) or not owners:
        raise ApiError(400, "Owners is required")
    result = []
    for owner in owners:
        if not isinstance(owner, dict) or not isinstance(owner.get("UserId"), int):
            raise ApiError(400, "each owner needs a UserId")
        result.append({"GroupId": owner.get("GroupId"), "UserId": owner["UserId"], "Name": owner.get("Name"),
                       "Email": owner.get("Email")})
    return result


class Store:
    """Folders and secrets, guarded by one lock."""

    def __init__(self, user: User, folders: tuple[str, ...] = ("keyway", "other")) -> None:
        self.lock = threading.RLock()
        self.user = user
        self.seed_folders = folders
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.folders: dict[str, Folder] = {}
            self.secrets: dict[str, Secret] = {}
            for name in self.seed_folders:
                self.create_folder({"Name": name, "Description": f"{name} safe"})

    # -- folders -------------------------------------------------------------------------------

    def folder_path(self, folder: Folder) -> str:
        names = [folder.name]
        parent = folder.parent_id
        while parent is not None:
            up = self.folders[parent]
            names.append(up.name)
            parent = up.parent_id
        return "/".join(reversed(names))

    def folder(self, folder_id: str) -> Folder:
        folder = self.folders.get(folder_id.lower())
        if folder is None:
            raise ApiError(404, f"Folder {folder_id} not found")
        return folder

    def folder_by_path(self, path: str) -> Folder | None:
        wanted = path.strip("/").lower()
        return next((f for f in self.folders.values() if self.folder_path(f).lower() == wanted), None)

    def list_folders(self, query: dict) -> list[dict]:
        with self.lock:
            folders = list(self.folders.values())
            name = query.get("foldername")
            if name:
                folders = [f for f in folders if name.lower() in f.name.lower()]
            path = query.get("folderpath")
            if path:
                base = path.strip("/").lower()
                subfolders = query.get("includesubfolders", "true").lower() != "false"
                folders = [
                    f for f in folders
                    if self.folder_path(f).lower() == base
                    or (subfolders and self.folder_path(f).lower().startswith(base + "/"))
                ]
            if query.get("rootonly", "false").lower() == "true":
                folders = [f for f in folders if f.parent_id is None]
            return [f.body() for f in _page(folders, query)]

    def create_folder(self, body: dict) -> dict:
        with self.lock:
            name = _text(body, "Name", 256, required=True)
            if "/" in name:
                raise ApiError(400, "Name must not contain the path separator")
            description = _text(body, "Description", 256) or ""
            parent = body.get("ParentId")
            if parent is not None:
                parent = self.folder(str(parent)).id
            if any(f.parent_id == parent and f.name.lower() == name.lower() for f in self.folders.values()):
                raise ApiError(409, f"A folder named {name} already exists at that level")
            folder = Folder(str(uuid.uuid4()), name, description, parent, body.get("UserGroupId"))
            self.folders[folder.id] = folder
            return folder.body()

    def delete_folder(self, folder_id: str) -> None:
        with self.lock:
            folder = self.folder(folder_id)
            if any(f.parent_id == folder.id for f in self.folders.values()) or any(
                s.folder_id == folder.id for s in self.secrets.values()
            ):
                raise ApiError(409, "The folder is not empty")
            del self.folders[folder.id]

    # -- secrets -------------------------------------------------------------------------------

    def secret(self, secret_id: str) -> Secret:
        secret = self.secrets.get(secret_id.lower())
        if secret is None:
            raise ApiError(404, f"Secret {secret_id} not found")
        return secret

    def secret_body(self, secret: Secret, version: str, decrypt: bool = True, shape: str = "list") -> dict:
        folder = self.folders[secret.folder_id]
        body = {
            "Id": secret.id,
            "Title": secret.title,
            "Description": secret.description,
            "FolderId": secret.folder_id,
            "CreatedOn": secret.created_on,
            "CreatedBy": secret.created_by,
            "ModifiedOn": secret.modified_on,
            "ModifiedBy": secret.modified_by,
            "Folder": folder.name,
            "FolderPath": self.folder_path(folder),
            "Owners": secret.owners,
            "Notes": secret.notes,
            "Urls": secret.urls,
        }
        if shape == "list":
            # Text secrets carry their text in Password too: the official library reads it there.
            value = secret.password if secret.secret_type == "Credential" else secret.text
            body["Username"] = secret.username
            body["Password"] = value if decrypt else None
        if shape == "credential":
            body["Username"] = secret.username
            body["Password"] = secret.password
        if shape in ("list", "text"):
            body["Text"] = secret.text if decrypt else None
        if shape in ("list", "file"):
            body["FileName"] = secret.file_name
            body["FileHash"] = hashlib.sha256(secret.content).hexdigest() if secret.content is not None else None
        if shape == "list":
            body["SecretType"] = secret.secret_type
        if version == "3.0":
            first = secret.owners[0] if secret.owners else {}
            body["OwnerId"] = first.get("UserId")
            body["Owner"] = first.get("Name")
            body["OwnerType"] = "User"
            body["Owners"] = [{"OwnerId": o["UserId"], "Owner": o.get("Name"), "Email": o.get("Email")}
                              for o in secret.owners]
        else:
            body["IsFavorite"] = False
        if version == "3.2":
            body["SecretValueModifiedOn"] = secret.value_modified_on
        return body

    def find_secrets(self, query: dict, version: str) -> list[dict] | dict:
        """GET Secrets-Safe/Secrets: `Path` is the folder path of the secrets (with `Separator`),
        `Title` their full title, `FolderId` their folder; `Limit` (default 1000) and `Offset` page."""
        with self.lock:
            separator = query.get("separator") or "/"
            if len(separator) != 1:
                raise ApiError(400, "Separator must be one character")
            secrets = sorted(self.secrets.values(), key=lambda s: (self.folder_path(self.folders[s.folder_id]),
                                                                   s.title.lower()))
            path = query.get("path")
            if path is not None:
                wanted = path.replace(separator, "/").strip("/").lower()
                secrets = [s for s in secrets if self.folder_path(self.folders[s.folder_id]).lower() == wanted]
            title = query.get("title")
            if title is not None:
                secrets = [s for s in secrets if s.title.lower() == title.lower()]
            folder_id = query.get("folderid")
            if folder_id:
                secrets = [s for s in secrets if s.folder_id == folder_id.lower()]
            decrypt = query.get("decrypt", "true").lower() != "false"
            total = len(secrets)
            page = [self.secret_body(s, version, decrypt) for s in _page(secrets, query)]
            return {"TotalCount": total, "Data": page} if version == "3.2" else page

    def create_secret(self, folder_id: str, kind: str, body: dict, version: str, content: bytes | None) -> dict:
        with self.lock:
            folder = self.folder(folder_id)
            secret = Secret(str(uuid.uuid4()), folder.id, "", kind)
            self._apply(secret, body, version, content, creating=True)
            self.secrets[secret.id] = secret
            return self.secret_body(secret, version, shape={"Credential": "credential", "Text": "text",
                                                            "File": "file"}[kind])

    def update_secret(self, secret_id: str, kind: str, body: dict, version: str, content: bytes | None) -> dict:
        with self.lock:
            secret = self.secret(secret_id)
            if secret.secret_type != kind:
                raise ApiError(400, f"Secret {secret.id} is a {secret.secret_type} secret, not a {kind} secret")
            updated = Secret(**{**secret.__dict__})
            self._apply(updated, body, version, content, creating=False)
            self.secrets[secret.id] = updated
            return self.secret_body(updated, version, shape=kind.lower() if kind != "Credential" else "credential")

    def _apply(self, secret: Secret, body: dict, version: str, content: bytes | None, creating: bool) -> None:
        title = _text(body, "Title", 256, required=True)
        folder_id = secret.folder_id
        if not creating and body.get("FolderId") is not None:
            folder_id = self.folder(str(body["FolderId"])).id
        clash = next((s for s in self.secrets.values() if s.folder_id == folder_id and s.id != secret.id
                      and s.title.lower() == title.lower()), None)
        if clash is not None:
            raise ApiError(409, f"A secret titled {title} already exists in the folder")
        description = _text(body, "Description", 256) or ""
        notes = _text(body, "Notes", 4000) or ""
        owners = _owners(body, version)
        urls = body.get("Urls") or []
        if not isinstance(urls, list):
            raise ApiError(400, "Urls must be a list")
        old_value = (secret.password, secret.text, secret.content)
        if secret.secret_type == "Credential":
            secret.username = _text(body, "Username", 1000, required=True)
            secret.password = _text(body, "Password", 256, required=True)
        elif secret.secret_type == "Text":
            secret.text = _text(body, "Text", 4096, required=True)
        else:
            if content is None:
                raise ApiError(400, "A file is required")
            if len(content) > 5 * 1024 * 1024:
                raise ApiError(400, "The file is larger than 5 MB")
            secret.file_name = _text(body, "FileName", 256, required=True)
            secret.content = content
        stamp = now()
        if creating:
            secret.created_on, secret.created_by = stamp, self.user.user_name
        secret.modified_on, secret.modified_by = stamp, self.user.user_name
        if creating or old_value != (secret.password, secret.text, secret.content):
            secret.value_modified_on = stamp
        secret.title, secret.folder_id, secret.description, secret.notes = title, folder_id, description, notes
        secret.owners, secret.urls = owners, urls

    def delete_secret(self, secret_id: str) -> None:
        with self.lock:
            del self.secrets[self.secret(secret_id).id]


def _page(items: list, query: dict) -> list:
    try:
        limit = int(query.get("limit", 1000))
        offset = int(query.get("offset", 0))
    except ValueError as err:
        raise ApiError(400, "Limit and Offset must be numbers") from err
    if limit < 1 or limit > 1000 or offset < 0:
        raise ApiError(400, "Limit must be between 1 and 1000 and Offset not negative")
    return items[offset:offset + limit]
