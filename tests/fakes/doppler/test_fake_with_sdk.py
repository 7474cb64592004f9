"""Proves the fake speaks Doppler's API v3: the official Python SDK (`doppler-sdk`, pointed at the
fake with `set_base_url`) writes, reads, lists, downloads, annotates and deletes secrets, and gets
Doppler's answers and errors.
"""

from __future__ import annotations

import pytest
from dopplersdk import DopplerSDK
from dopplersdk.models import SecretsUpdateRequest, UpdateNoteRequest
from http_exceptions import client_exceptions

from server import PROJECT, TOKENS


def plain(obj):
    """The SDK returns models or dicts depending on the answer's shape; compare as dicts."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    if hasattr(obj, "__dict__"):
        return {k: plain(v) for k, v in vars(obj).items() if v is not None}
    return obj


def sdk_for(fake, token: str = TOKENS["personal"]) -> DopplerSDK:
    sdk = DopplerSDK(access_token=token)
    sdk.set_base_url(fake.url)
    return sdk


@pytest.fixture()
def sdk(fake) -> DopplerSDK:
    return sdk_for(fake)


def write(sdk: DopplerSDK, config: str, secrets: dict) -> dict:
    return plain(sdk.secrets.update(SecretsUpdateRequest(project=PROJECT, config=config, secrets=secrets)))


def test_write_read_list_and_delete(sdk):
    answer = write(sdk, "dev", {"DB_PASSWORD": "s3cret", "DB_URL": "postgres://app:${DB_PASSWORD}@db"})
    assert answer["secrets"]["DB_PASSWORD"]["raw"] == "s3cret", "the update answers with the config's secrets"
    got = plain(sdk.secrets.get(name="DB_URL", config="dev", project=PROJECT))
    assert got["name"] == "DB_URL"
    assert got["value"]["raw"] == "postgres://app:${DB_PASSWORD}@db"
    assert got["value"]["computed"] == "postgres://app:s3cret@db", "references are resolved in computed"
    # The SDK sends include_managed_secrets only when true; Doppler's default lists its own secrets.
    names = plain(sdk.secrets.names(config="dev", project=PROJECT))["names"]
    assert names == ["DB_PASSWORD", "DB_URL", "DOPPLER_CONFIG", "DOPPLER_ENVIRONMENT", "DOPPLER_PROJECT"]
    listed = plain(sdk.secrets.list(config="dev", project=PROJECT, secrets="DB_URL,MISSING"))["secrets"]
    assert list(listed) == ["DB_URL"], "a name list reads only those that exist"
    # The SDK's download model keeps only the names of its example (STRIPE, DATABASE, ...).
    write(sdk, "dev", {"DATABASE": "${DB_URL}", "STRIPE": "sk_test"})
    downloaded = plain(sdk.secrets.download(config="dev", project=PROJECT, format="json"))
    assert downloaded == {"DATABASE": "postgres://app:s3cret@db", "STRIPE": "sk_test"}
    sdk.secrets.delete(name="DB_URL", config="dev", project=PROJECT)
    with pytest.raises(client_exceptions.NotFoundException):
        sdk.secrets.get(name="DB_URL", config="dev", project=PROJECT)
    with pytest.raises(client_exceptions.NotFoundException):
        sdk.secrets.get(name="DB_PASSWORD", config="prd", project=PROJECT)


def test_configs_are_apart_and_notes_are_per_project(sdk):
    write(sdk, "dev", {"API_KEY": "dev-key"})
    write(sdk, "prd", {"API_KEY": "prd-key"})
    assert plain(sdk.secrets.get(name="API_KEY", config="prd", project=PROJECT))["value"]["raw"] == "prd-key"
    note = plain(sdk.secrets.update_note(UpdateNoteRequest(note="rotated monthly", secret="API_KEY", project=PROJECT)))
    assert note["note"] == "rotated monthly"
    for config in ("dev", "prd"):
        assert plain(sdk.secrets.get(name="API_KEY", config=config, project=PROJECT))["value"]["note"] == \
            "rotated monthly"


def test_change_requests_rename_and_delete(sdk):
    write(sdk, "dev", {"OLD_NAME": "v"})
    request = SecretsUpdateRequest(project=PROJECT, config="dev", change_requests=[
        {"originalName": "OLD_NAME", "name": "NEW_NAME", "value": None},
    ])
    secrets = plain(sdk.secrets.update(request))["secrets"]
    assert "NEW_NAME" in secrets and "OLD_NAME" not in secrets
    assert plain(sdk.secrets.get(name="NEW_NAME", config="dev", project=PROJECT))["value"]["raw"] == "v"
    with pytest.raises(client_exceptions.BadRequestException):
        sdk.secrets.update(SecretsUpdateRequest(project=PROJECT, config="dev", change_requests=[
            {"originalName": "NEW_NAME", "name": "NEW_NAME", "value": "x", "originalValue": "stale"}]))
    sdk.secrets.update(SecretsUpdateRequest(project=PROJECT, config="dev", change_requests=[
        {"originalName": "NEW_NAME", "name": "NEW_NAME", "value": None, "shouldDelete": True}]))
    assert not [n for n in plain(sdk.secrets.names(config="dev", project=PROJECT))["names"] if "NAME" in n]


def test_names_must_be_upper_snake_and_doppler_names_are_reserved(sdk):
    for bad in ("db_password", "DB-PASSWORD", "1ST", "DOPPLER_CONFIG"):
        with pytest.raises(client_exceptions.BadRequestException):
            write(sdk, "dev", {bad: "v"})


def test_tokens_scopes_and_missing_projects(fake, sdk, controls):
    with pytest.raises(client_exceptions.UnauthorizedException):
        sdk_for(fake, "dp.st.dev.wrong").secrets.names(config="dev", project=PROJECT)
    service = sdk_for(fake, TOKENS["service"])
    write(service, "dev", {"FROM_SERVICE": "v"})
    with pytest.raises(client_exceptions.ForbiddenException):
        service.secrets.names(config="prd", project=PROJECT)
    with pytest.raises(client_exceptions.ForbiddenException):
        write(sdk_for(fake, TOKENS["read_only"]), "dev", {"NOPE": "v"})
    with pytest.raises(client_exceptions.NotFoundException):
        sdk.secrets.names(config="dev", project="no-such-project")
    with pytest.raises(client_exceptions.NotFoundException):
        sdk.secrets.names(config="stg", project=PROJECT)
    controls("revoke-tokens")
    with pytest.raises(client_exceptions.UnauthorizedException):
        sdk.secrets.names(config="dev", project=PROJECT)


def test_rate_limits_and_server_errors(sdk, controls):
    controls("throttle", count=1, retry_after=2)
    with pytest.raises(client_exceptions.TooManyRequestsException, match="Retry-After: 2"):
        sdk.secrets.names(config="dev", project=PROJECT)
    # The SDK retries 500, 503 and 504 by itself.
    controls("fail", count=2)
    assert not [n for n in plain(sdk.secrets.names(config="dev", project=PROJECT))["names"] if "NAME" in n]
    assert controls("stats")["failed"] == 2
