"""The fake Password Safe driven by BeyondTrust's official Python library (`beyondtrust-bips-library`),
over HTTPS with the fake's test CA: API-key and OAuth sign-in with the session cookie, folders,
credential, text and file secrets by path, updates, listing in request versions 3.1 and 3.2,
deletion, sign-out, and the failures the library reports.
"""

from __future__ import annotations

import pytest
from fakekit import Controls
from secrets_safe_library import exceptions
from secrets_safe_library.authentication import Authentication
from secrets_safe_library.folders import Folder
from secrets_safe_library.secrets_safe import SecretsSafe


def sign_in(fake, api_version: str | None = "3.1", oauth: bool = False, api_key: str | None = None):
    identity = fake.identity
    if oauth:
        auth = Authentication(api_url=fake.api_url, client_id=identity.client_id,
                              client_secret=identity.client_secret, verify_ca=str(fake.ca_path),
                              api_version=api_version)
    else:
        key = api_key or f"{identity.api_key};runas={identity.run_as};"
        auth = Authentication(api_url=fake.api_url, api_key=key, verify_ca=str(fake.ca_path),
                              api_version=api_version)
    response = auth.get_api_access()
    return auth, response


def control(fake, action: str, **body) -> dict:
    return Controls(fake)(action, **body)


def folder_id(auth, name: str) -> str:
    folders = Folder(auth).list_folders(folder_name=name)
    return next(f["Id"] for f in folders if f["Name"] == name)


def owners(fake) -> list[dict]:
    return [{"user_id": fake.identity.user.user_id, "name": fake.identity.user.name}]


def test_api_key_sign_in_sets_a_session_cookie(password_safe):
    auth, response = sign_in(password_safe)
    assert response.status_code == 200
    user = response.json()
    assert (user["UserId"], user["UserName"]) == (12, "svc-keyway")
    assert "ASP.NET_SessionId" in auth._req.cookies
    assert auth.sign_app_out() is True
    assert control(password_safe, "stats")["live_sessions"] == 0


def test_oauth_client_credentials_then_sign_in(password_safe):
    auth, response = sign_in(password_safe, oauth=True)
    assert response.status_code == 200
    assert response.json()["UserName"] == "keyway-app"
    assert Folder(auth).list_folders(folder_name="keyway")


def test_wrong_api_key_or_run_as_user_is_refused(password_safe):
    identity = password_safe.identity
    wrong_key = "0" * 128 + f";runas={identity.run_as};"
    _, response = sign_in(password_safe, api_key=wrong_key)
    assert response.status_code == 401
    _, response = sign_in(password_safe, api_key=f"{identity.api_key};runas=somebody-else;")
    assert response.status_code == 401
    auth = Authentication(api_url=password_safe.api_url, client_id=identity.client_id,
                          client_secret="x" * 40, verify_ca=str(password_safe.ca_path))
    with pytest.raises(exceptions.AuthenticationFailure):
        auth.get_api_access()


def test_credential_text_and_file_secrets_by_path(password_safe, tmp_path):
    auth, _ = sign_in(password_safe)
    safe = SecretsSafe(auth)
    keyway = folder_id(auth, "keyway")
    created = safe.create_secret(title="db", folder_id=keyway, description="database login",
                                 username="app", password="s3cr3t-pass", owners=owners(password_safe))
    assert created["Title"] == "db" and created["Password"] == "s3cr3t-pass"
    safe.create_secret(title="token", folder_id=keyway, text="text-value", owners=owners(password_safe))
    certificate = tmp_path / "cert.bin"
    certificate.write_bytes(b"file-secret-content")
    safe.create_secret(title="cert", folder_id=keyway, file_path=str(certificate), owners=owners(password_safe))

    assert safe.get_secret("keyway/db") == "s3cr3t-pass"
    assert safe.get_secret("keyway/token") == "text-value"
    assert safe.get_secret("keyway/cert") == "file-secret-content"
    with_metadata = safe.get_secret_with_metadata("keyway/db")
    assert with_metadata["keyway/db-metadata"]["Description"] == "database login"
    assert with_metadata["keyway/db-metadata"]["FolderPath"] == "keyway"
    everything = safe.get_all_secrets_by_folder_path("keyway")
    assert everything["keyway/token"] == "text-value" and everything["keyway/cert"] == "file-secret-content"
    with pytest.raises(exceptions.LookupError):
        safe.get_secret("keyway/missing")


def test_nested_folders_and_duplicate_titles(password_safe):
    auth, _ = sign_in(password_safe)
    folders = Folder(auth)
    app = folders.create_folder(name="app", parent_id=folder_id(auth, "keyway"))
    assert app["ParentId"] == folder_id(auth, "keyway")
    safe = SecretsSafe(auth)
    safe.create_secret(title="db", folder_id=app["Id"], text="nested", owners=owners(password_safe))
    assert safe.get_secret("keyway/app/db") == "nested"
    assert [f["Name"] for f in folders.list_folders(folder_path="keyway")] == ["keyway", "app"]
    with pytest.raises(exceptions.CreationError) as duplicate:
        safe.create_secret(title="DB", folder_id=app["Id"], text="again", owners=owners(password_safe))
    assert "409" in str(duplicate.value)


def test_updates_keep_the_type(password_safe, tmp_path):
    auth, _ = sign_in(password_safe)
    safe = SecretsSafe(auth)
    keyway = folder_id(auth, "keyway")
    login = safe.create_secret(title="login", folder_id=keyway, username="u", password="p1",
                               owners=owners(password_safe))
    note = safe.create_secret(title="note", folder_id=keyway, text="t1", owners=owners(password_safe))
    safe.update_secret(login["Id"], title="login", folder_id=keyway, username="u", password="p2",
                       owners=owners(password_safe))
    safe.update_secret(note["Id"], title="note", folder_id=keyway, text="t2", description="changed",
                       owners=owners(password_safe))
    new_file = tmp_path / "f.txt"
    new_file.write_bytes(b"v1")
    stored = safe.create_secret(title="file", folder_id=keyway, file_path=str(new_file), owners=owners(password_safe))
    new_file.write_bytes(b"v2")
    assert safe.update_secret(stored["Id"], title="file", folder_id=keyway, file_path=str(new_file),
                              owners=owners(password_safe)) is None
    assert safe.get_secret("keyway/login") == "p2"
    assert safe.get_secret("keyway/note") == "t2"
    assert safe.get_text_secret_by_id(note["Id"])["Description"] == "changed"
    assert safe.get_file_secret_data(stored["Id"]) == "v2"
    with pytest.raises(exceptions.UpdateError):
        safe.update_secret(note["Id"], title="note", folder_id=keyway, username="u", password="x",
                           owners=owners(password_safe))


@pytest.mark.parametrize("version", ["3.1", "3.2"])
def test_listing_and_paging(password_safe, version):
    auth, _ = sign_in(password_safe, api_version=version)
    safe = SecretsSafe(auth)
    keyway, other = folder_id(auth, "keyway"), folder_id(auth, "other")
    for i in range(3):
        safe.create_secret(title=f"s{i}", folder_id=keyway, text=f"v{i}", owners=owners(password_safe))
    safe.create_secret(title="elsewhere", folder_id=other, text="x", owners=owners(password_safe))
    listed = safe.list_secrets()
    if version == "3.2":
        assert listed["TotalCount"] == 4 and len(listed["Data"]) == 4
        assert "SecretValueModifiedOn" in listed["Data"][0]
    else:
        assert [s["Title"] for s in listed] == ["s0", "s1", "s2", "elsewhere"]
    page = safe.list_secrets(path="keyway", limit=2, offset=2)
    titles = [s["Title"] for s in (page["Data"] if version == "3.2" else page)]
    assert titles == ["s2"]
    by_folder = safe.list_secrets_by_folder_id(other)
    by_folder = by_folder["Data"] if version == "3.2" else by_folder
    assert [s["Title"] for s in by_folder] == ["elsewhere"]
    # The library unwraps 3.2's {"TotalCount", "Data"} itself when reading by path.
    assert safe.get_secret("keyway/s1") == "v1"


def test_version_3_0_owner_fields(password_safe):
    auth, _ = sign_in(password_safe, api_version="3.0")
    safe = SecretsSafe(auth)
    created = safe.create_secret(title="old", folder_id=folder_id(auth, "keyway"), text="v",
                                 owner_type="User", owners=[{"owner_id": 12, "owner": "Keyway Service"}])
    assert created["OwnerId"] == 12 and created["Owners"] == [
        {"OwnerId": 12, "Owner": "Keyway Service", "Email": None}
    ]
    with pytest.raises(exceptions.CreationError):
        safe._run_post_request(f"/secrets-safe/folders/{folder_id(auth, 'keyway')}/secrets/text",
                               {"Title": "no-owner", "Text": "v"})


def test_delete_then_lookup_fails(password_safe):
    auth, _ = sign_in(password_safe)
    safe = SecretsSafe(auth)
    created = safe.create_secret(title="gone", folder_id=folder_id(auth, "keyway"), text="v",
                                 owners=owners(password_safe))
    safe.delete_secret_by_id(created["Id"])
    with pytest.raises(exceptions.LookupError):
        safe.get_secret("keyway/gone")
    with pytest.raises(exceptions.LookupError):
        safe.get_secret_by_id(created["Id"])


def test_requests_after_sign_out_or_session_end_are_unauthorized(password_safe):
    auth, _ = sign_in(password_safe)
    folders = Folder(auth)
    assert folders.list_folders()
    control(password_safe, "end-sessions")
    with pytest.raises(exceptions.LookupError) as failure:
        folders.list_folders()
    assert "401" in str(failure.value)


def test_injected_faults(password_safe):
    auth, _ = sign_in(password_safe)
    folders = Folder(auth)
    control(password_safe, "fail", count=1, status=503)
    with pytest.raises(exceptions.LookupError) as failure:
        folders.list_folders()
    assert "503" in str(failure.value)
