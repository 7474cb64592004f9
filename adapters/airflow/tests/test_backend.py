"""`KeywaySecretsBackend` in this process (Airflow imported, its home a throw-away folder): names, switched-off
lookups, the JSON connection format and the field names it maps, the URI of Airflow before 2.3, the deny."""

from __future__ import annotations

import json

import pytest

from conftest import AWS_RDS_CONN, LOCAL_DB_URI, LOCAL_JSON_CONN, LOCAL_VARIABLE
from keyway_airflow.backend import KeywayAccessDenied, KeywaySecretsBackend, _normalise_connection
from keyway_airflow.client import KeywayError


@pytest.fixture()
def backend(service, keyway, monkeypatch) -> KeywaySecretsBackend:
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    return KeywaySecretsBackend(url=service.url)


def test_names_in_keyway(backend):
    assert backend.secret_name("airflow/connections", "my_db") == "airflow/connections/my_db"
    custom = KeywaySecretsBackend(url="http://127.0.0.1:1", token="t" * 32, connections_prefix="/teams/data/", sep=":")
    assert custom.secret_name(custom.connections_prefix, "my_db") == "teams/data:my_db"
    assert custom.secret_name("", "my_db") == "my_db"


def test_made_before_keyway_writes_its_token(tmp_path, monkeypatch):
    # Airflow may start before keyway serve: the token file is read at the first lookup.
    monkeypatch.setenv("KEYWAY_HOME", str(tmp_path / "not-yet"))
    backend = KeywaySecretsBackend(url="http://127.0.0.1:1")
    with pytest.raises(KeywayError, match="does not exist"):
        backend.get_variable("my_var")


def test_values_and_missing_ones(backend):
    assert backend.get_conn_value("my_db") == LOCAL_DB_URI
    assert json.loads(backend.get_conn_value("reports_db")) == LOCAL_JSON_CONN
    assert backend.get_variable("my_var") == LOCAL_VARIABLE
    assert backend.get_variable("my_var", team_name="any") == LOCAL_VARIABLE
    assert backend.get_conn_value("nowhere") is None
    assert backend.get_config("nowhere") is None


def test_a_kind_switched_off_is_not_asked(service, keyway, monkeypatch):
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    backend = KeywaySecretsBackend(url=service.url, variables_prefix=None, connections_prefix=None)
    assert backend.get_variable("my_var") is None
    assert backend.get_conn_value("my_db") is None


def test_the_connection_as_airflow_builds_it(backend):
    conn = backend.get_connection("reports_db")
    assert (conn.conn_type, conn.host, conn.login, conn.schema, conn.port) == (
        "mysql", "mysql.internal", "reporter", "reports", 3306
    )
    assert conn.extra_dejson == {"charset": "utf8mb4"}


def test_the_uri_of_airflow_before_2_3(service, keyway, monkeypatch):
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    backend = KeywaySecretsBackend(url=service.url, manager="aws")
    uri = backend.get_conn_uri("rds_db")
    assert uri.startswith("postgres://rds_admin:") and "@rds.internal:5432/sales" in uri
    assert "dbInstanceIdentifier=sales-db" in uri
    assert KeywaySecretsBackend(url=service.url).get_conn_uri("my_db") == LOCAL_DB_URI


def test_json_connections_are_normalised():
    plain = json.dumps({"conn_type": "http", "host": "h", "extra": {"a": 1}})
    assert _normalise_connection(plain) == plain
    assert json.loads(_normalise_connection(json.dumps(AWS_RDS_CONN))) == {
        "conn_type": "postgres",
        "host": "rds.internal",
        "login": "rds_admin",
        "password": AWS_RDS_CONN["password"],
        "schema": "sales",
        "port": 5432,
        "extra": {"dbInstanceIdentifier": "sales-db"},
    }
    merged = _normalise_connection(json.dumps({"user": "u", "extra": '{"a": 1}', "region": "eu"}))
    assert json.loads(merged) == {"login": "u", "extra": {"a": 1, "region": "eu"}}
    assert _normalise_connection("  postgres://u:p@h/db\n") == "postgres://u:p@h/db"


def test_broken_json_is_reported_without_the_value():
    with pytest.raises(KeywayError) as raised:
        _normalise_connection('{"password": "pw-broken-5e1f", ')
    assert "pw-broken" not in str(raised.value)


def test_a_deny_is_airflows_authoritative_deny(unix_service):
    from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied

    backend = KeywaySecretsBackend(url=unix_service.url, manager="team")
    with pytest.raises(AirflowSecretsBackendAccessDenied) as raised:
        backend.get_variable("team_var")
    assert isinstance(raised.value, KeywayAccessDenied) and raised.value.status == 403
    falls_through = KeywaySecretsBackend(url=unix_service.url, manager="team", deny_falls_through=True)
    with pytest.raises(KeywayError) as plain:
        falls_through.get_variable("team_var")
    assert not isinstance(plain.value, AirflowSecretsBackendAccessDenied)
