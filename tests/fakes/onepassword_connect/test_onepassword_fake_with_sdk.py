"""Proves the fake speaks 1Password Connect's API: the official Python SDK (`onepasswordconnectsdk`,
`new_client(url, token)`) creates, reads (by id and by title), lists, filters, replaces and deletes
items, resolves vaults by name, and sees Connect's errors; PATCH, which the SDK does not wrap, is
driven with the SDK's own HTTP session and read back through the SDK.
"""

from __future__ import annotations

import pytest
from onepasswordconnectsdk import load_dict, new_client
from onepasswordconnectsdk.errors import FailedToRetrieveItemException, FailedToRetrieveVaultException
from onepasswordconnectsdk.models import Field, GeneratorRecipe, Item, ItemVault


@pytest.fixture()
def client(connect):
    return new_client(connect.url, connect.token)


def login_item(vault_id: str, title: str) -> Item:
    return Item(
        vault=ItemVault(id=vault_id), title=title, category="LOGIN", tags=["team=data", "keyway"],
        fields=[
            Field(id="username", label="username", value="app", purpose="USERNAME"),
            Field(id="password", label="password", value="s3cret-1", purpose="PASSWORD", type="CONCEALED"),
            Field(id="notesPlain", label="notesPlain", value="database login", purpose="NOTES"),
        ],
    )


def test_vaults_by_id_and_name(client, connect):
    vaults = {v.name: v for v in client.get_vaults()}
    assert set(vaults) == {"keyway", "other"}
    keyway = vaults["keyway"]
    assert len(keyway.id) == 26 and keyway.id.isalnum() and keyway.id.islower()
    assert client.get_vault(keyway.id).name == "keyway"
    assert client.get_vault_by_title("other").id == vaults["other"].id
    assert keyway.type == "USER_CREATED" and keyway.created_at is not None
    with pytest.raises(FailedToRetrieveVaultException, match="404"):
        client.get_vault("a" * 26)


def test_create_get_update_delete_round_trip(client, connect):
    vault_id = connect.vault_ids()["keyway"]
    created = client.create_item(vault_id, login_item(vault_id, "db-login"))
    assert len(created.id) == 26
    assert created.version == 1
    assert created.category == "LOGIN"
    assert created.vault.id == vault_id
    assert sorted(created.tags) == ["keyway", "team=data"]
    assert created.created_at is not None and created.updated_at is not None
    fields = {f.id: f for f in created.fields}
    assert fields["password"].value == "s3cret-1" and fields["password"].purpose == "PASSWORD"
    assert fields["password"].entropy > 0
    assert fields["notesPlain"].purpose == "NOTES"

    by_id = client.get_item_by_id(created.id, vault_id)
    assert by_id.title == "db-login"
    by_title = client.get_item("db-login", "keyway")  # vault by name, item by title
    assert by_title.id == created.id
    summaries = client.get_items(vault_id)
    assert [s.title for s in summaries] == ["db-login"]
    assert summaries[0].version == 1 and not hasattr(summaries[0], "fields")

    by_title.fields = [f for f in by_title.fields if f.id != "password"] + [
        Field(id="password", label="password", value="s3cret-2", purpose="PASSWORD", type="CONCEALED"),
        Field(label="port", value="5432"),
    ]
    updated = client.update_item(created.id, vault_id, by_title)
    assert updated.version == 2
    assert {f.label: f.value for f in updated.fields}["password"] == "s3cret-2"
    port = next(f for f in updated.fields if f.label == "port")
    assert len(port.id) == 26 and port.type == "STRING", "a field without id gets one"

    client.delete_item(created.id, vault_id)
    with pytest.raises(FailedToRetrieveItemException) as err:
        client.get_item_by_id(created.id, vault_id)
    assert err.value.status_code == 404
    assert client.get_items(vault_id) == []


def test_title_filter_duplicates_and_generated_values(client, connect):
    vault_id = connect.vault_ids()["keyway"]
    for title in ("alpha", "beta", "beta"):
        item = Item(vault=ItemVault(id=vault_id), title=title, category="PASSWORD", fields=[
            Field(id="password", purpose="PASSWORD", type="CONCEALED", generate=True,
                  recipe=GeneratorRecipe(length=20, character_sets=["LETTERS", "DIGITS"]))])
        generated = client.create_item(vault_id, item)
        assert len(generated.fields[0].value) == 20 and generated.fields[0].value.isalnum()
    assert [s.title for s in client.get_items(vault_id, 'title eq "beta"')] == ["beta", "beta"]
    assert client.get_items(vault_id, 'title eq "gamma"') == []
    with pytest.raises(FailedToRetrieveItemException, match="Found 2 items"):
        client.get_item_by_title("beta", vault_id)


def test_patch_fields_tags_and_notes(client, connect):
    vault_id = connect.vault_ids()["keyway"]
    item = client.create_item(vault_id, login_item(vault_id, "patched"))
    ops = [
        {"op": "replace", "path": "/fields/password/value", "value": "s3cret-3"},
        {"op": "replace", "path": "/fields/notesPlain/value", "value": "rotated"},
        {"op": "add", "path": "/fields", "value": {"label": "host", "type": "STRING", "value": "db.internal"}},
        {"op": "replace", "path": "/tags", "value": ["team=ops"]},
    ]
    response = client.session.patch(f"/v1/vaults/{vault_id}/items/{item.id}", json=ops)
    assert response.status_code == 200
    patched = client.get_item_by_id(item.id, vault_id)
    assert patched.version == 2
    values = {f.label: f.value for f in patched.fields}
    assert values["password"] == "s3cret-3" and values["notesPlain"] == "rotated" and values["host"] == "db.internal"
    assert patched.tags == ["team=ops"]
    loaded = load_dict(client, {"pw": {"opitem": "patched", "opfield": ".password", "opvault": vault_id}})
    assert loaded == {"pw": "s3cret-3"}
    bad = client.session.patch(f"/v1/vaults/{vault_id}/items/{item.id}",
                               json=[{"op": "replace", "path": "/fields/nope/value", "value": "x"}])
    assert bad.status_code == 400 and "doesn't have a nope field" in bad.json()["message"]


def test_errors_have_connect_shape(client, connect):
    vault_id = connect.vault_ids()["keyway"]
    bad = new_client(connect.url, "not-the-token")
    with pytest.raises(FailedToRetrieveVaultException, match="401"):
        bad.get_vaults()
    raw = bad.session.get("/v1/vaults")
    assert raw.json() == {"status": 401, "message": "Invalid token signature"}

    connect.control("token", {"token": "scoped", "vaults": ["other"]})
    scoped = new_client(connect.url, "scoped")
    assert [v.name for v in scoped.get_vaults()] == ["other"]
    denied = scoped.session.get(f"/v1/vaults/{vault_id}/items")
    assert denied.status_code == 403 and denied.json()["message"] == f"vault {vault_id} is not in scope"

    with pytest.raises(FailedToRetrieveItemException, match="400"):
        client.create_item(vault_id, Item(vault=ItemVault(id=vault_id), title="x", category="NOPE"))
    missing = client.session.get(f"/v1/vaults/{vault_id}/items/{'b' * 26}")
    assert missing.status_code == 404 and missing.json()["message"] == f"item {'b' * 26} not found"
    assert client.session.get("/heartbeat").text == "."
