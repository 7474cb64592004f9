"""Proves the fake speaks Conjur's API: the official Python SDK (`conjur-api`, `conjur_api.Client`) talks
to it over HTTPS trusting only the test CA, authenticates with an API key (and with a password, and
through authn-ldap), loads, updates and replaces policies, sets and reads variables (versions, binary
values, batches), lists and shows resources, and sees Conjur's refusals.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conjur_api import Client
from conjur_api.errors.errors import HttpError, HttpStatusError
from conjur_api.models import ConjurConnectionInfo, CredentialsData, SslVerificationMode
from conjur_api.providers import AuthnAuthenticationStrategy, LdapAuthenticationStrategy, SimpleCredentialsProvider

POLICY = """
- !host kestra
- !variable db/password
- !variable
  id: db/cert
  kind: certificate
  mime_type: application/octet-stream
  annotations:
    description: TLS certificate
- !policy
  id: apps
  owner: !host kestra
  body:
    - !variable api-key
- !permit
  role: !host kestra
  privileges: [read, execute]
  resource: !variable db/password
"""


def make_client(fake, login: str, api_key: str | None = None, password: str | None = None,
                ldap: bool = False) -> Client:
    info = ConjurConnectionInfo(conjur_url=fake.url, account=fake.account, cert_file=str(fake.ca_path),
                                service_id="corp" if ldap else None)
    provider = SimpleCredentialsProvider()
    provider.save(CredentialsData(machine=fake.url, username=login, api_key=api_key, password=password))
    strategy = (LdapAuthenticationStrategy if ldap else AuthnAuthenticationStrategy)(provider)
    return Client(info, authn_strategy=strategy, ssl_verification_mode=SslVerificationMode.CA_BUNDLE,
                  async_mode=False)


@pytest.fixture()
def admin(conjur) -> Client:
    return make_client(conjur, "admin", api_key="fake-admin-api-key")


def load(admin: Client, tmp_path: Path, text: str, branch: str = "root", how: str = "load") -> dict:
    path = tmp_path / "policy.yml"
    path.write_text(text)
    return getattr(admin, f"{how}_policy_file")(branch, str(path))


def test_policy_set_get_versions_and_batch(admin, conjur, tmp_path):
    result = load(admin, tmp_path, POLICY)
    host_id = f"{conjur.account}:host:kestra"
    assert result["version"] == 1 and result["created_roles"][host_id]["id"] == host_id
    assert len(result["created_roles"][host_id]["api_key"]) > 20

    admin.set("db/password", "s3cret-1")
    admin.set("db/password", "s3cret-2")
    assert admin.get("db/password") == b"s3cret-2"
    assert admin.get("db/password", version="1") == b"s3cret-1"
    admin.set("apps/api-key", "key-1")
    assert admin.get_many("db/password", "apps/api-key") == {"db/password": "s3cret-2", "apps/api-key": "key-1"}

    with pytest.raises(HttpStatusError) as err:
        admin.get("db/cert")
    assert err.value.status == 404, "a declared variable without a value is not found"
    with pytest.raises(HttpStatusError) as err:
        admin.get_many("db/password", "db/cert")
    assert err.value.status == 404, "a batch fails as a whole"
    with pytest.raises(HttpStatusError) as err:
        admin.get("db/password", version="9")
    assert err.value.status == 404

    resource = admin.get_resource("variable", "db/password")
    assert [s["version"] for s in resource["secrets"]] == [1, 2]
    assert resource["owner"] == f"{conjur.account}:policy:root"
    cert = admin.get_resource("variable", "db/cert")
    annotations = {a["name"]: a["value"] for a in cert["annotations"]}
    assert annotations == {"description": "TLS certificate", "conjur/kind": "certificate",
                           "conjur/mime_type": "application/octet-stream"}
    assert admin.resource_exists("variable", "apps/api-key") is True
    assert admin.resource_exists("variable", "nope") is False


def raw_get(conjur, admin: Client, path: str, headers: dict | None = None) -> tuple[bytes, dict]:
    """A GET with the SDK's own token, for what the SDK cannot read: it decodes every body as UTF-8."""
    token, _ = admin.authenticate()
    request = urllib.request.Request(f"{conjur.url}{path}", headers={
        "Authorization": f'Token token="{base64.b64encode(token.encode()).decode()}"', **(headers or {})})
    context = ssl.create_default_context(cafile=str(conjur.ca_path))
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_binary_values_list_and_whoami(admin, conjur, tmp_path):
    load(admin, tmp_path, POLICY)
    binary = bytes([0, 255, 254, 128]) + b"cert"
    admin.set("db/cert", binary)
    admin.set("db/password", "text")
    body, headers = raw_get(conjur, admin, f"/secrets/{conjur.account}/variable/db%2Fcert")
    assert body == binary and headers["Content-Type"] == "application/octet-stream"
    ids = f"{conjur.account}:variable:db/cert,{conjur.account}:variable:db/password"
    body, headers = raw_get(conjur, admin, f"/secrets?variable_ids={urllib.parse.quote(ids)}", {"Accept": "base64"})
    assert headers["Content-Encoding"] == "base64"
    assert json.loads(body) == {f"{conjur.account}:variable:db/cert": base64.b64encode(binary).decode(),
                                f"{conjur.account}:variable:db/password": base64.b64encode(b"text").decode()}
    with pytest.raises(HttpStatusError) as err:
        admin.get_many("db/cert")
    assert err.value.status == 406, "binary values in a batch need Accept: base64"
    ids = admin.list({"kind": "variable"})
    assert ids == [f"{conjur.account}:variable:apps/api-key", f"{conjur.account}:variable:db/cert",
                   f"{conjur.account}:variable:db/password"]
    page = admin.list({"kind": "variable", "limit": 2, "offset": 1, "inspect": True})
    assert [r["id"].split(":", 2)[2] for r in page] == ["db/cert", "db/password"]
    assert admin.list({"kind": "variable", "search": "tls"}) == [f"{conjur.account}:variable:db/cert"]
    assert admin.whoami()["username"] == "admin"
    token, expires = admin.authenticate()
    assert '"payload"' in token and expires is not None


def test_hosts_see_only_what_they_may(admin, conjur, tmp_path):
    created = load(admin, tmp_path, POLICY)["created_roles"]
    host_key = created[f"{conjur.account}:host:kestra"]["api_key"]
    admin.set("db/password", "s3cret")
    admin.set("db/cert", "cert")
    host = make_client(conjur, "host/kestra", api_key=host_key)
    assert host.get("db/password") == b"s3cret", "permitted: read and execute"
    with pytest.raises(HttpStatusError) as err:
        host.set("db/password", "mine")
    assert err.value.status == 403, "no update privilege"
    with pytest.raises(HttpStatusError) as err:
        host.get("db/cert")
    assert err.value.status == 404, "invisible without any privilege"
    # The host owns policy `apps`: it may declare, set and delete variables there.
    load(host, tmp_path, "- !variable team/token", branch="apps")
    host.set("apps/team/token", "t-1")
    assert host.get("apps/team/token") == b"t-1"
    assert sorted(host.list({"kind": "variable"})) == [f"{conjur.account}:variable:{v}" for v in
                                                       ("apps/api-key", "apps/team/token", "db/password")]
    with pytest.raises(HttpStatusError) as err:
        load(host, tmp_path, "- !variable sneaky", branch="root")
    assert err.value.status == 403
    load(host, tmp_path, "- !delete\n  record: !variable team/token", branch="apps", how="update")
    assert host.resource_exists("variable", "apps/team/token") is False


def test_update_replace_and_policy_errors(admin, conjur, tmp_path):
    load(admin, tmp_path, POLICY)
    load(admin, tmp_path, "- !variable\n  id: db/password\n  annotations: {owner: ops}", how="update")
    annotations = {a["name"]: a["value"] for a in admin.get_resource("variable", "db/password")["annotations"]}
    assert annotations == {"owner": "ops"}
    load(admin, tmp_path, "- !variable\n  id: db/password\n  annotations: {owner: dev}")
    annotations = {a["name"]: a["value"] for a in admin.get_resource("variable", "db/password")["annotations"]}
    assert annotations == {"owner": "ops"}, "POST leaves existing records as they are"
    with pytest.raises(HttpStatusError) as err:
        load(admin, tmp_path, "- !delete\n  record: !variable db/password")
    assert err.value.status == 422
    load(admin, tmp_path, "- !variable other", branch="apps", how="replace")
    assert admin.resource_exists("variable", "apps/api-key") is False
    assert admin.resource_exists("variable", "apps/other") is True
    with pytest.raises(HttpStatusError) as err:
        load(admin, tmp_path, "- !variable x", branch="nowhere")
    assert err.value.status == 404


def test_authentication_methods_and_refusals(admin, conjur, conjur_controls, tmp_path):
    load(admin, tmp_path, "- !user\n  id: alice\n  password: Alice-Passw0rd!")
    alice = make_client(conjur, "alice", password="Alice-Passw0rd!")
    assert alice.whoami()["username"] == "alice", "login with the password, then authenticate with the API key"
    ldap = make_client(conjur, "alice", password="Alice-Passw0rd!", ldap=True)
    assert ldap.whoami()["username"] == "alice"
    with pytest.raises(HttpStatusError) as err:
        make_client(conjur, "admin", api_key="wrong").whoami()
    assert err.value.status == 401
    conjur_controls("revoke-tokens")
    with pytest.raises(HttpStatusError) as err:
        admin.whoami()
    assert err.value.status == 401, "the cached token was revoked"
    stats = conjur_controls("stats")
    assert stats["failed_authentications"] == 1 and stats["rejected_tokens"] == 1


def test_untrusted_certificate_is_refused(conjur):
    info = ConjurConnectionInfo(conjur_url=conjur.url, account=conjur.account)
    provider = SimpleCredentialsProvider()
    provider.save(CredentialsData(machine=conjur.url, username="admin", api_key="fake-admin-api-key"))
    client = Client(info, authn_strategy=AuthnAuthenticationStrategy(provider), async_mode=False)
    with pytest.raises(HttpError):
        client.whoami()
