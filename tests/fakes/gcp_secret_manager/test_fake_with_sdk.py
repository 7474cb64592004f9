"""Proves the fake speaks Secret Manager's REST API: the official client
(`google-cloud-secret-manager` with `transport="rest"`) drives it over plain HTTP, and
`google-auth` gets its tokens from the fake's token endpoint (service-account key file) and from
its metadata server. Every round trip gives the answers the client expects.
"""

from __future__ import annotations

import datetime

import google.api_core.exceptions as gexc
import pytest
from google.api_core.client_options import ClientOptions
import google.auth.transport.requests
from google.auth import compute_engine
from google.auth.exceptions import RefreshError
from google.auth.compute_engine import _metadata
from google.cloud import secretmanager
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account
from google.protobuf import field_mask_pb2

from checksum import crc32c
from server import PROJECT_ID, PROJECT_NUMBER

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def make_client(fake, creds) -> secretmanager.SecretManagerServiceClient:
    return secretmanager.SecretManagerServiceClient(
        credentials=creds, transport="rest", client_options=ClientOptions(api_endpoint=fake.url)
    )


@pytest.fixture()
def client(fake, controls):
    token = controls("grant-token")["access_token"]
    return make_client(fake, oauth2_credentials.Credentials(token))


def create(client, secret_id: str, **fields) -> secretmanager.Secret:
    secret = secretmanager.Secret(replication={"automatic": {}}, **fields)
    return client.create_secret(parent=f"projects/{PROJECT_ID}", secret_id=secret_id, secret=secret)


def add(client, secret, data: bytes) -> secretmanager.SecretVersion:
    payload = secretmanager.SecretPayload(data=data, data_crc32c=crc32c(data))
    return client.add_secret_version(parent=secret.name, payload=payload)


def test_create_add_access_and_versions(client):
    secret = create(client, "db-password", labels={"team": "data"}, annotations={"keyway-description": "db"})
    assert secret.name == f"projects/{PROJECT_NUMBER}/secrets/db-password", "names carry the project number"
    assert secret.labels == {"team": "data"} and secret.annotations["keyway-description"] == "db"
    assert secret.create_time and secret.etag
    first = add(client, secret, b"s3cret-1")
    assert first.name.endswith("/versions/1") and first.state == secretmanager.SecretVersion.State.ENABLED
    assert first.client_specified_payload_checksum
    second = add(client, secret, b"\x00\xffbinary")
    assert second.name.endswith("/versions/2")

    latest = client.access_secret_version(name=f"{secret.name}/versions/latest")
    assert latest.name == second.name, "latest resolves to the number"
    assert latest.payload.data == b"\x00\xffbinary"
    assert latest.payload.data_crc32c == crc32c(b"\x00\xffbinary")
    by_id = client.access_secret_version(name=f"projects/{PROJECT_ID}/secrets/db-password/versions/1")
    assert by_id.payload.data == b"s3cret-1", "the project id and number address the same secret"

    versions = list(client.list_secret_versions(parent=secret.name))
    assert [v.name.rsplit("/", 1)[1] for v in versions] == ["2", "1"], "newest first"
    with pytest.raises(gexc.NotFound):
        client.access_secret_version(name=f"{secret.name}/versions/9")


def test_a_wrong_checksum_is_refused(client):
    secret = create(client, "guarded")
    with pytest.raises(gexc.BadRequest, match="Checksum mismatch") as caught:
        client.add_secret_version(parent=secret.name, payload={"data": b"x", "data_crc32c": 1})
    assert caught.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_disable_enable_destroy(client):
    secret = create(client, "rotating")
    add(client, secret, b"v1")
    name = f"{secret.name}/versions/1"
    disabled = client.disable_secret_version(name=name)
    assert disabled.state == secretmanager.SecretVersion.State.DISABLED
    with pytest.raises(gexc.BadRequest, match="in DISABLED state"):
        client.access_secret_version(name=name)
    assert client.enable_secret_version(name=name).state == secretmanager.SecretVersion.State.ENABLED
    assert client.access_secret_version(name=name).payload.data == b"v1"
    destroyed = client.destroy_secret_version(name=name)
    assert destroyed.state == secretmanager.SecretVersion.State.DESTROYED and destroyed.destroy_time
    with pytest.raises(gexc.BadRequest, match="in DESTROYED state"):
        client.access_secret_version(name=name)
    assert client.get_secret_version(name=name).state == secretmanager.SecretVersion.State.DESTROYED


def test_update_with_etag_and_aliases(client):
    secret = create(client, "app-key", labels={"env": "dev"})
    add(client, secret, b"one")
    add(client, secret, b"two")
    current = client.get_secret(name=secret.name)
    current.labels["env"] = "prod"
    current.version_aliases["stable"] = 1
    mask = field_mask_pb2.FieldMask(paths=["labels", "version_aliases"])
    updated = client.update_secret(secret=current, update_mask=mask)
    assert updated.labels == {"env": "prod"} and updated.version_aliases == {"stable": 1}
    assert updated.etag != current.etag
    assert client.access_secret_version(name=f"{secret.name}/versions/stable").payload.data == b"one"
    assert client.get_secret_version(name=f"{secret.name}/versions/stable").name.endswith("/versions/1")
    expires = datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc)
    updated.expire_time = expires
    updated.labels["env"] = "stale"
    stale = secretmanager.Secret(name=secret.name, labels={"env": "x"}, etag=current.etag)
    with pytest.raises(gexc.BadRequest, match="etag") as caught:
        client.update_secret(secret=stale, update_mask=field_mask_pb2.FieldMask(paths=["labels"]))
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"
    fresh = client.update_secret(secret=updated, update_mask=field_mask_pb2.FieldMask(paths=["expire_time"]))
    assert fresh.expire_time == expires and fresh.labels == {"env": "prod"}, "only masked fields change"


def test_list_with_filter_and_pages(client):
    for i in range(5):
        create(client, f"svc-a-{i}", labels={"tier": "gold" if i % 2 == 0 else "silver"})
    create(client, "other")
    names = [s.name.rsplit("/", 1)[1] for s in client.list_secrets(request={
        "parent": f"projects/{PROJECT_ID}", "page_size": 2, "filter": "name:svc-a-"})]
    assert names == [f"svc-a-{i}" for i in range(5)], "the pager follows nextPageToken"
    gold = client.list_secrets(request={"parent": f"projects/{PROJECT_ID}", "filter": "labels.tier=gold"})
    assert sorted(s.name.rsplit("/", 1)[1] for s in gold) == ["svc-a-0", "svc-a-2", "svc-a-4"]


def test_delete_is_immediate_and_ids_are_checked(client):
    secret = create(client, "temporary")
    add(client, secret, b"x")
    with pytest.raises(gexc.Conflict, match="already exists"):
        create(client, "temporary")
    client.delete_secret(name=secret.name)
    with pytest.raises(gexc.NotFound):
        client.get_secret(name=secret.name)
    with pytest.raises(gexc.NotFound):
        client.access_secret_version(name=f"{secret.name}/versions/latest")
    with pytest.raises(gexc.BadRequest, match="Secret id"):
        create(client, "bad.name")
    with pytest.raises(gexc.BadRequest, match="label"):
        create(client, "labelled", labels={"Team": "x"})


def test_regional_secrets(client):
    parent = f"projects/{PROJECT_ID}/locations/europe-west1"
    secret = client.create_secret(parent=parent, secret_id="regional", secret=secretmanager.Secret())
    assert secret.name == f"projects/{PROJECT_NUMBER}/locations/europe-west1/secrets/regional"
    add(client, secret, b"eu")
    assert client.access_secret_version(name=f"{secret.name}/versions/latest").payload.data == b"eu"
    assert [s.name for s in client.list_secrets(parent=parent)] == [secret.name]
    assert list(client.list_secrets(parent=f"projects/{PROJECT_ID}")) == [], "global and regional are apart"


def test_authentication_and_project_errors(fake, client, controls):
    # A 401 makes google-auth try to refresh; a bare token cannot be refreshed.
    anonymous = make_client(fake, oauth2_credentials.Credentials("not-a-token"))
    with pytest.raises(RefreshError):
        anonymous.get_secret(name=f"projects/{PROJECT_ID}/secrets/x")
    assert controls("stats")["unauthenticated"] == 1
    with pytest.raises(gexc.Forbidden, match="project nope") as caught:
        client.get_secret(name="projects/nope/secrets/x")
    assert caught.value.reason == "CONSUMER_INVALID"
    controls("revoke-tokens")
    with pytest.raises(RefreshError):
        client.get_secret(name=f"projects/{PROJECT_ID}/secrets/x")
    assert controls("stats")["unauthenticated"] == 2


def test_throttling_and_unavailability(client, controls):
    secret = create(client, "busy")
    add(client, secret, b"v")
    controls("throttle", count=1)
    with pytest.raises(gexc.TooManyRequests, match="Quota exceeded") as caught:
        client.access_secret_version(name=f"{secret.name}/versions/latest")
    assert caught.value.response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    # The client's default retry for access covers 503 UNAVAILABLE.
    controls("fail", count=2, status=503)
    assert client.access_secret_version(name=f"{secret.name}/versions/latest").payload.data == b"v"
    assert controls("stats")["failed"] == 2


def test_service_account_key_file(fake, controls):
    # The client library signs its own JWT with the key (no token request), as against Google.
    creds = service_account.Credentials.from_service_account_file(str(fake.key_file), scopes=[SCOPE])
    client = make_client(fake, creds)
    secret = create(client, "via-key-file")
    add(client, secret, b"ok")
    assert client.access_secret_version(name=f"{secret.name}/versions/1").payload.data == b"ok"
    # google-auth's own refresh uses the key file's token_uri: the JWT-bearer grant.
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token.startswith("ya29.") and controls("stats")["token_requests"] == 1
    assert make_client(fake, oauth2_credentials.Credentials(creds.token)).get_secret(name=secret.name).name



def test_metadata_server_gives_tokens(fake, controls, monkeypatch):
    # google-auth reads GCE_METADATA_HOST when it is imported; set what it derived from it.
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", f"127.0.0.1:{fake.port}")
    creds = compute_engine.Credentials()
    client = make_client(fake, creds)
    create(client, "via-metadata")
    assert creds.service_account_email == fake.account.email
    assert controls("stats")["metadata_requests"] >= 1
