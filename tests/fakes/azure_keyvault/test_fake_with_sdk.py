"""Proves the fake speaks Key Vault's protocol: the official Azure SDK for Python
(`azure-keyvault-secrets` + `azure-identity`) drives it over HTTPS, through the bearer challenge
and the client-credentials token flow, and every round trip gives the answers the SDK expects.
"""

from __future__ import annotations

import datetime
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

API_VERSION = "7.5"


def make_client(fake, secret: str | None = None) -> SecretClient:
    ca = str(fake.ca_path)
    credential = ClientSecretCredential(
        fake.identity.tenant_id,
        fake.identity.client_id,
        secret or fake.identity.client_secret,
        authority=fake.url,
        disable_instance_discovery=True,
        connection_verify=ca,
    )
    # The challenge names resource https://vault.azure.net while the vault is at 127.0.0.1,
    # so the SDK's check that they share a domain is turned off.
    return SecretClient(
        fake.url, credential, api_version=API_VERSION, verify_challenge_resource=False, connection_verify=ca
    )


@pytest.fixture()
def client(fake) -> SecretClient:
    return make_client(fake)


def test_set_get_and_versions(client: SecretClient, fake):
    expires = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    not_before = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    first = client.set_secret(
        "db-password", "s3cret-1", content_type="text/plain", tags={"team": "data"},
        expires_on=expires, not_before=not_before,
    )
    assert first.name == "db-password"
    assert first.value == "s3cret-1"
    assert len(first.properties.version) == 32
    assert first.properties.content_type == "text/plain"
    assert first.properties.tags == {"team": "data"}
    assert first.properties.expires_on == expires
    assert first.properties.not_before == not_before
    assert first.properties.enabled is True
    assert first.properties.recovery_level == "Recoverable+Purgeable"
    assert first.properties.recoverable_days == 90
    assert first.properties.created_on is not None and first.properties.updated_on is not None
    assert first.properties.vault_url == fake.url

    second = client.set_secret("db-password", "s3cret-2")
    assert second.properties.version != first.properties.version
    # Attributes belong to a version: the new one has no tags or content type.
    assert second.properties.tags in (None, {})
    assert client.get_secret("db-password").value == "s3cret-2"
    assert client.get_secret("DB-PASSWORD").value == "s3cret-2", "names are case-insensitive"
    old = client.get_secret("db-password", first.properties.version)
    assert old.value == "s3cret-1" and old.properties.tags == {"team": "data"}

    versions = {p.version for p in client.list_properties_of_secret_versions("db-password")}
    assert versions == {first.properties.version, second.properties.version}


def test_update_properties_and_disabled_secret(client: SecretClient):
    written = client.set_secret("api-key", "k1")
    updated = client.update_secret_properties(
        "api-key", content_type="application/json", tags={"env": "prod"}, enabled=False
    )
    assert updated.version == written.properties.version
    assert updated.content_type == "application/json"
    assert updated.tags == {"env": "prod"}
    assert updated.enabled is False
    with pytest.raises(HttpResponseError) as denied:
        client.get_secret("api-key")
    assert denied.value.status_code == 403
    assert denied.value.error.code == "Forbidden"

    client.update_secret_properties("api-key", written.properties.version, enabled=True)
    assert client.get_secret("api-key").properties.tags == {"env": "prod"}


def test_list_pages_with_next_link(client: SecretClient, fake, controls):
    names = [f"page-{i:02d}" for i in range(7)]
    for name in names:
        client.set_secret(name, "v", tags={"n": name})
    before = controls("stats")["vault_requests"]
    pages = list(client.list_properties_of_secrets(max_page_size=3).by_page())
    listed = [p.name for page in pages for p in page]
    assert listed == names
    assert [len(list(page)) for page in client.list_properties_of_secrets(max_page_size=3).by_page()] == [3, 3, 1]
    assert controls("stats")["vault_requests"] - before >= 3, "each page is its own request"
    one = next(iter(client.list_properties_of_secrets()))
    assert one.tags == {"n": "page-00"} and one.version is None


def test_delete_recover_purge(client: SecretClient):
    client.set_secret("to-delete", "v1", tags={"a": "b"})
    deleted = client.begin_delete_secret("to-delete").result()
    assert deleted.name == "to-delete"
    assert deleted.recovery_id.endswith("/deletedsecrets/to-delete")
    assert deleted.deleted_date is not None
    assert deleted.scheduled_purge_date - deleted.deleted_date == datetime.timedelta(days=90)

    with pytest.raises(ResourceNotFoundError) as missing:
        client.get_secret("to-delete")
    assert missing.value.error.code == "SecretNotFound"
    with pytest.raises(ResourceExistsError) as conflict:
        client.set_secret("to-delete", "v2")
    assert conflict.value.status_code == 409

    assert client.get_deleted_secret("to-delete").properties.tags == {"a": "b"}
    assert [d.name for d in client.list_deleted_secrets()] == ["to-delete"]

    recovered = client.begin_recover_deleted_secret("to-delete").result()
    assert recovered.name == "to-delete"
    assert client.get_secret("to-delete").value == "v1"

    client.begin_delete_secret("to-delete").wait()
    client.purge_deleted_secret("to-delete")
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_secret("to-delete")
    fresh = client.set_secret("to-delete", "v3")
    assert [p.version for p in client.list_properties_of_secret_versions("to-delete")] == [fresh.properties.version]


def test_deletion_lag_is_polled_by_the_sdk(client: SecretClient, controls):
    controls("config", lag_ms=400)
    client.set_secret("slow", "v")
    poller = client.begin_delete_secret("slow", _polling_interval=0.1)
    with pytest.raises(ResourceExistsError):
        client.set_secret("slow", "v2")
    with pytest.raises(ResourceExistsError) as early:
        client.purge_deleted_secret("slow")
    assert "being deleted" in early.value.message
    # As with the service, result() returns at once; wait() polls until the deletion is done.
    poller.wait()
    client.purge_deleted_secret("slow")
    client.set_secret("slow", "v3")
    client.begin_delete_secret("slow", _polling_interval=0.1).wait()
    recovering = client.begin_recover_deleted_secret("slow", _polling_interval=0.1)
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("slow")
    recovering.wait()
    assert client.get_secret("slow").value == "v3"


def test_purge_protection_forbids_purge(client: SecretClient, controls):
    controls("config", purge_protection=True)
    client.set_secret("kept", "v")
    deleted = client.begin_delete_secret("kept").result()
    assert deleted.properties.recovery_level == "Recoverable"
    with pytest.raises(HttpResponseError) as forbidden:
        client.purge_deleted_secret("kept")
    assert forbidden.value.status_code == 403


def test_throttling_is_retried_after_retry_after(client: SecretClient, controls):
    client.set_secret("busy", "v")
    controls("throttle", count=2, retry_after=1)
    started = datetime.datetime.now()
    assert client.get_secret("busy").value == "v"
    assert (datetime.datetime.now() - started).total_seconds() >= 1.5, "the SDK waited Retry-After twice"
    assert controls("stats")["throttled"] == 2


def test_errors_have_the_key_vault_shape(client: SecretClient):
    with pytest.raises(ResourceNotFoundError) as missing:
        client.get_secret("missing")
    assert missing.value.error.code == "SecretNotFound"
    assert "missing" in missing.value.error.message
    with pytest.raises(HttpResponseError) as bad:
        client.set_secret("bad_name", "v")
    assert bad.value.status_code == 400 and bad.value.error.code == "BadParameter"


def test_wrong_client_secret_is_an_authentication_error(fake):
    client = make_client(fake, secret="not-the-secret")
    with pytest.raises(ClientAuthenticationError) as failed:
        client.get_secret("anything")
    assert "AADSTS7000215" in str(failed.value)


def test_challenge_and_token_endpoint_on_the_wire(fake):
    context = ssl.create_default_context(cafile=str(fake.ca_path))
    request = urllib.request.Request(f"{fake.url}/secrets/x?api-version={API_VERSION}")
    with pytest.raises(urllib.error.HTTPError) as challenged:
        urllib.request.urlopen(request, context=context, timeout=10)
    assert challenged.value.code == 401
    header = challenged.value.headers["WWW-Authenticate"]
    assert header == (
        f'Bearer authorization="https://login.microsoftonline.com/{fake.identity.tenant_id}", '
        'resource="https://vault.azure.net"'
    )
    assert json.loads(challenged.value.read())["error"]["code"] == "Unauthorized"

    form = urllib.parse.urlencode({
        "client_id": fake.identity.client_id, "client_secret": fake.identity.client_secret,
        "grant_type": "client_credentials", "scope": "https://vault.azure.net/.default",
    }).encode()
    token_url = f"{fake.url}/{fake.identity.tenant_id}/oauth2/v2.0/token"
    with urllib.request.urlopen(urllib.request.Request(token_url, data=form), context=context) as response:
        token = json.loads(response.read())
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3599
    authorized = urllib.request.Request(
        f"{fake.url}/secrets/x?api-version={API_VERSION}",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(authorized, context=context, timeout=10)
    assert missing.value.code == 404


def test_plain_listener_serves_the_same_vault(tmp_path):
    from server import FakeKeyVault

    fake = FakeKeyVault(cert_dir=tmp_path / "pki", plain_port=0).start()
    try:
        client = make_client(fake)
        client.set_secret("shared", "v")
        token = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"{fake.plain_url}/_fake/grant-token", data=b"{}", method="POST")).read())["access_token"]
        request = urllib.request.Request(
            f"{fake.plain_url}/secrets/shared?api-version={API_VERSION}",
            headers={"Authorization": f"Bearer {token}"},
        )
        bundle = json.loads(urllib.request.urlopen(request, timeout=10).read())
        assert bundle["value"] == "v"
        assert bundle["id"].startswith(f"{fake.plain_url}/secrets/shared/"), "ids use the listener's own URL"
    finally:
        fake.stop()
