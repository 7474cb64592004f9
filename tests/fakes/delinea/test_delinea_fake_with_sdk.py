"""The fake Secret Server driven by Delinea's official Python SDK (`python-tss-sdk`) over HTTPS with the
fake's test CA: server detection, the password and domain grants, secrets by id and by path with
their items and file attachments, searches, folders, and the errors the SDK reports. The SDK has no
write calls: creating from a stub, changing a field, deactivating and restoring are sent as Delinea's
REST API documents them, and their effect is read back with the SDK.
"""

from __future__ import annotations

import pytest
import requests
from delinea.secrets.server import (
    AccessTokenAuthorizer,
    DomainPasswordGrantAuthorizer,
    PasswordGrantAuthorizer,
    SecretServer,
    SecretServerClientError,
    ServerSecret,
)


def sdk(fake, username="keyway", password=None):
    password = password or fake.identity.users[username].password
    return SecretServer(fake.url, PasswordGrantAuthorizer(fake.url, username, password))


def rest(fake, server: SecretServer, method: str, path: str, **kwargs) -> requests.Response:
    """A REST call with the SDK's token, as Delinea documents the calls the SDK does not make."""
    return requests.request(method, f"{fake.url}/api/v1/{path}", headers=server.headers(), timeout=10, **kwargs)


def create(fake, server, name: str, values: dict, template_id: int = 2, folder_id: int = 3) -> dict:
    stub = rest(fake, server, "GET", "secrets/stub",
                params={"filter.secretTemplateId": template_id, "filter.folderId": folder_id}).json()
    stub["name"] = name
    stub["folderId"] = folder_id
    for item in stub["items"]:
        item["itemValue"] = values.get(item["slug"], item["itemValue"])
    answer = rest(fake, server, "POST", "secrets", json=stub)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_password_grant_and_secret_with_items(secret_server):
    server = sdk(secret_server)
    created = create(secret_server, server, "db", {"username": "app", "password": "s3cret", "notes": "n"})
    secret = server.get_secret(created["id"])
    assert secret["name"] == "db" and secret["active"] is True
    typed = ServerSecret(**secret)
    assert typed.fields["password"].value == "s3cret" and typed.fields["username"].value == "app"
    assert typed.secret_template_name == "Password" and typed.folder_id == 3
    assert server.authorizer._server_type == "secret_server"


def test_domain_grant_and_wrong_passwords(secret_server):
    domain = SecretServer(secret_server.url, DomainPasswordGrantAuthorizer(
        secret_server.url, "ad-user", "example", "ad-password-1"))
    assert domain.search_secrets() is not None
    with pytest.raises(SecretServerClientError) as failure:
        sdk(secret_server, password="wrong-password").search_secrets()
    assert failure.value.message == "Login failed."
    with pytest.raises(SecretServerClientError):
        SecretServer(secret_server.url, DomainPasswordGrantAuthorizer(
            secret_server.url, "ad-user", "other-domain", "ad-password-1")).search_secrets()


def test_client_credentials_token_with_the_access_token_authorizer(secret_server):
    client_id, client = next(iter(secret_server.identity.clients.items()))
    grant = requests.post(f"{secret_server.url}/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": client.password})
    assert grant.status_code == 200 and grant.json()["token_type"] == "bearer"
    server = SecretServer(secret_server.url, AccessTokenAuthorizer(grant.json()["access_token"], secret_server.url))
    assert server.lookup_folders() is not None
    refreshed = requests.post(f"{secret_server.url}/oauth2/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": grant.json()["refresh_token"]})
    assert refreshed.status_code == 200


def test_search_paths_and_folders(secret_server):
    server = sdk(secret_server)
    create(secret_server, server, "db", {"password": "a"})
    create(secret_server, server, "db-replica", {"password": "b"})
    create(secret_server, server, "db", {"password": "c"}, folder_id=4)
    create(secret_server, server, "elsewhere", {"password": "d"}, folder_id=5)
    import json

    found = json.loads(server.search_secrets({"filter.searchText": "db", "filter.folderId": 3}))
    assert [r["name"] for r in found["records"]] == ["db", "db-replica"]
    assert found["records"][0]["folderPath"] == "\\Keyway"
    exact = json.loads(server.search_secrets({"filter.searchText": "DB", "filter.isExactMatch": "true",
                                              "filter.folderId": 3, "filter.includeSubFolders": "true"}))
    assert [r["folderId"] for r in exact["records"]] == [3, 4]
    paged = json.loads(server.search_secrets({"take": 1, "skip": 1}))
    assert paged["total"] == 4 and len(paged["records"]) == 1 and paged["hasNext"] is True
    assert server.get_secret_by_path("\\Keyway\\Child\\db")["items"][2]["itemValue"] == "c"
    assert server.get_secret_by_path("Keyway/db")["folderId"] == 3
    assert sorted(server.get_secret_ids_by_folderid(3)) == [100, 101]
    assert server.get_child_folder_ids_by_folderid(3) == [4]
    assert server.get_child_folder_ids_by_folderid(4) == []
    assert server.get_folder(3)["folderName"] == "Keyway"
    assert server.get_folder_by_path("Keyway")["childFolders"][0]["folderName"] == "Child"


def test_file_attachments_are_fetched_by_the_sdk(secret_server):
    server = sdk(secret_server)
    created = create(secret_server, server, "deploy key", {"username": "deploy"}, template_id=6026)
    secret_server.control("attach", {"secret_id": created["id"], "slug": "private-key", "file_name": "id_ed25519",
                                     "content": "-----BEGIN OPENSSH PRIVATE KEY-----"})
    secret = server.get_secret(created["id"])
    key = next(item for item in secret["items"] if item["slug"] == "private-key")
    assert key["itemValue"].content == b"-----BEGIN OPENSSH PRIVATE KEY-----"
    without = server.get_secret(created["id"], fetch_file_attachments=False)
    assert next(i for i in without["items"] if i["slug"] == "private-key")["filename"] == "id_ed25519"


def test_documented_writes_read_back_with_the_sdk(secret_server):
    server = sdk(secret_server)
    created = create(secret_server, server, "api", {"password": "v1"})
    changed = rest(secret_server, server, "PUT", f"secrets/{created['id']}/fields/password", json={"value": "v2"})
    assert changed.status_code == 200
    assert ServerSecret(**server.get_secret(created["id"])).fields["password"].value == "v2"
    assert rest(secret_server, server, "GET", f"secrets/{created['id']}/fields/password").json() == "v2"
    missing = rest(secret_server, server, "PUT", f"secrets/{created['id']}/fields/password", json={"value": ""})
    assert missing.status_code == 400 and missing.json()["message"] == "Password is required."

    assert rest(secret_server, server, "DELETE", f"secrets/{created['id']}").json()["objectType"] == "Secret"
    import json

    assert json.loads(server.search_secrets({"filter.searchText": "api"}))["records"] == []
    inactive = json.loads(server.search_secrets({"filter.searchText": "api", "filter.includeInactive": "true"}))
    assert [r["active"] for r in inactive["records"]] == [False]
    assert rest(secret_server, server, "PUT", f"secrets/{created['id']}/restore").json()["active"] is True
    assert ServerSecret(**server.get_secret(created["id"])).active is True


def test_errors_the_sdk_reports(secret_server):
    server = sdk(secret_server)
    with pytest.raises(SecretServerClientError) as missing:
        server.get_secret(999)
    assert missing.value.message == "Secret 999 not found."
    stale = SecretServer(secret_server.url, AccessTokenAuthorizer("not-a-token", secret_server.url))
    with pytest.raises(SecretServerClientError) as denied:
        stale.get_secret(1)
    assert denied.value.message == "Authentication failed or expired token"
    viewer = sdk(secret_server, username="viewer")
    created = create(secret_server, server, "ro", {"password": "x"})
    assert viewer.get_secret(created["id"])["name"] == "ro"
    refused = rest(secret_server, viewer, "DELETE", f"secrets/{created['id']}")
    assert refused.status_code == 403 and refused.json()["message"] == "Access Denied"
    bad = rest(secret_server, server, "POST", "secrets",
               json={"name": "x", "secretTemplateId": 2, "folderId": 3, "items": [{"slug": "nope"}]})
    assert bad.status_code == 400 and "not part of template" in bad.json()["message"]
