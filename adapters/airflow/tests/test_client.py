"""`KeywayClient` against a real `keyway serve`: values from the embedded store and from moto, the token file
keyway generates, a Unix socket without a token, identity headers, and errors that say what happened without a
value or the token."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from conftest import (
    AWS_DB_URI,
    AWS_RDS_CONN,
    LOCAL_DB_URI,
    LOCAL_VARIABLE,
    TEAM_VARIABLE,
)
from keyway_airflow.client import (
    KeywayAuthError,
    KeywayClient,
    KeywayConfigError,
    KeywayConnectionError,
    KeywayExpiredError,
    KeywayPermissionError,
    KeywayRequestError,
    KeywayServerError,
    default_home,
    default_token_file,
)


@pytest.fixture()
def client(service, keyway, monkeypatch) -> KeywayClient:
    """A client that finds its token where keyway serve wrote it: `$KEYWAY_HOME/serve.token`."""
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    return KeywayClient(service.url)


def token_of(keyway) -> str:
    return (keyway.home / "serve.token").read_text().strip()


def test_reads_values_from_the_embedded_store_and_from_aws(client):
    assert client.get("local", "airflow/connections/my_db") == LOCAL_DB_URI
    assert client.get("local", "airflow/variables/my_var") == LOCAL_VARIABLE
    assert client.get("aws", "airflow/connections/my_db") == AWS_DB_URI


def test_reads_one_field_of_a_json_secret(client):
    assert client.get("aws", "airflow/connections/rds_db", key="password") == AWS_RDS_CONN["password"]
    assert client.get("aws", "airflow/connections/rds_db", key="no_such_field") is None


def test_the_whole_answer_carries_metadata(client):
    answer = client.get_secret("local", "airflow/variables/my_var")
    assert answer["value"] == LOCAL_VARIABLE
    assert answer["binary"] is False
    assert answer["metadata"]["name"] == "airflow/variables/my_var"
    assert client.get_bytes("local", "airflow/variables/my_var") == LOCAL_VARIABLE.encode()


def test_a_missing_secret_is_none(client):
    assert client.get("local", "airflow/connections/nowhere") is None
    assert client.get("aws", "airflow/connections/nowhere") is None


def test_names_with_special_characters_are_percent_encoded(client):
    # Not found, rather than a malformed request: the name reached keyway intact.
    assert client.get("local", "airflow/variables/with space?and=query#frag") is None


def test_an_unknown_manager_is_a_configuration_error(client):
    with pytest.raises(KeywayConfigError) as raised:
        client.get("nope", "airflow/variables/my_var")
    assert raised.value.status == 404
    assert raised.value.kind == "unknown-manager"
    with pytest.raises(KeywayConfigError):
        client.get("a/b", "x")


def test_a_wrong_token_is_refused_without_a_value_or_the_token(service):
    wrong = "0123456789abcdef0123456789abcdef"
    client = KeywayClient(service.url, token=wrong)
    with pytest.raises(KeywayAuthError) as raised:
        client.get("local", "airflow/connections/my_db")
    message = str(raised.value)
    assert raised.value.status == 401
    assert "401" in message and "local/airflow/connections/my_db" in message
    assert "pw-local" not in message and wrong not in message
    assert wrong not in repr(client)


def test_no_token_on_tcp_is_refused(service):
    client = KeywayClient(service.url, token="x" * 32)
    client._authorization = None  # what no public option does on TCP
    with pytest.raises(KeywayAuthError):
        client.get("local", "airflow/variables/my_var")


def test_the_default_token_file_is_in_keyway_home(service, keyway, monkeypatch):
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    assert default_token_file() == keyway.home / "serve.token"
    assert KeywayClient(service.url).get("local", "airflow/variables/my_var") == LOCAL_VARIABLE


def test_without_keyway_home_the_token_file_is_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KEYWAY_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "keyway"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_token_file() == tmp_path / "user" / ".local" / "share" / "keyway" / "serve.token"


def test_keyway_server_gives_the_default_url(service, keyway, monkeypatch):
    monkeypatch.setenv("KEYWAY_HOME", str(keyway.home))
    monkeypatch.setenv("KEYWAY_SERVER", service.url)
    assert KeywayClient().get("local", "airflow/variables/my_var") == LOCAL_VARIABLE


def test_an_explicit_token_or_token_file(service, keyway, tmp_path):
    token = token_of(keyway)
    assert KeywayClient(service.url, token=token).get("local", "airflow/variables/my_var") == LOCAL_VARIABLE
    token_file = tmp_path / "airflow.token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    client = KeywayClient(service.url, token_file=token_file)
    assert client.get("local", "airflow/variables/my_var") == LOCAL_VARIABLE


def test_a_token_file_others_may_read_is_warned_about(keyway, tmp_path, caplog):
    token_file = tmp_path / "loose.token"
    token_file.write_text(token_of(keyway))
    token_file.chmod(0o644)
    with pytest.raises(KeywayConnectionError):
        KeywayClient("http://127.0.0.1:1", token_file=token_file).get("local", "x")
    assert "can be read by other users" in caplog.text
    assert token_of(keyway) not in caplog.text


def test_a_missing_or_empty_token_file_says_so_at_the_first_read(tmp_path, monkeypatch):
    # Made before keyway serve has written its token file, a client works once the file is there.
    client = KeywayClient("http://127.0.0.1:1", token_file=tmp_path / "nope.token")
    with pytest.raises(KeywayConfigError, match="does not exist"):
        client.get("local", "x")
    monkeypatch.setenv("KEYWAY_HOME", str(tmp_path / "empty-home"))
    with pytest.raises(KeywayConfigError, match=str(tmp_path / "empty-home" / "serve.token")):
        KeywayClient("http://127.0.0.1:1").get("local", "x")
    (tmp_path / "empty.token").write_text("\n")
    with pytest.raises(KeywayConfigError, match="is empty"):
        KeywayClient("http://127.0.0.1:1", token_file=tmp_path / "empty.token").get("local", "x")


def test_a_token_file_that_changes_is_read_again(service, keyway, tmp_path):
    token_file = tmp_path / "rotating.token"
    token_file.write_text("0123456789abcdef0123456789abcdef\n")
    token_file.chmod(0o600)
    client = KeywayClient(service.url, token_file=token_file)
    with pytest.raises(KeywayAuthError):
        client.get("local", "airflow/variables/my_var")
    token_file.write_text(token_of(keyway) + "\n")
    assert client.get("local", "airflow/variables/my_var") == LOCAL_VARIABLE


def test_bad_urls_are_refused():
    for url in ["ftp://127.0.0.1:1", "127.0.0.1:8750", "http://127.0.0.1:8750/v1", "unix:"]:
        with pytest.raises(KeywayConfigError):
            KeywayClient(url, token="t" * 32)


def test_the_unix_socket_needs_no_token(unix_service):
    client = KeywayClient(unix_service.url, namespace="analytics", groups=["etl"])
    assert client._authorization is None and client._token_file is None
    assert client.get("local", "airflow/connections/my_db") == LOCAL_DB_URI
    assert client.get("team", "airflow/variables/team_var") == TEAM_VARIABLE
    assert unix_service.url.startswith("unix:")
    socket_path = Path(unix_service.url[len("unix:"):])
    assert stat.S_ISSOCK(os.stat(socket_path).st_mode)
    assert KeywayClient(f"unix://{socket_path}").health()["status"] == "ok"


def test_identity_headers_reach_the_access_rules(unix_service):
    # `team` may be used by the namespace analytics only.
    with pytest.raises(KeywayPermissionError) as denied:
        KeywayClient(unix_service.url).get("team", "airflow/variables/team_var")
    assert denied.value.status == 403 and denied.value.kind == "denied"
    assert TEAM_VARIABLE not in str(denied.value)
    # The client `airflow` may act for analytics and etl only: anything else is out of its scope.
    with pytest.raises(KeywayPermissionError) as out_of_scope:
        KeywayClient(unix_service.url, namespace="finance").get("local", "airflow/variables/my_var")
    assert out_of_scope.value.kind == "out-of-scope"
    with pytest.raises(KeywayPermissionError):
        admins = KeywayClient(unix_service.url, namespace="analytics", groups="etl,admins")
        admins.get("local", "airflow/variables/my_var")
    assert KeywayClient(unix_service.url, namespace="analytics.reports", groups="etl").get(
        "team", "airflow/variables/team_var"
    ) == TEAM_VARIABLE


def test_an_expired_secret_is_refused_without_its_value(client):
    with pytest.raises(KeywayExpiredError) as raised:
        client.get("local", "airflow/variables/expired_var")
    assert raised.value.status == 410
    assert "expired" in str(raised.value)
    assert "value-expired" not in str(raised.value)


def test_a_failing_backend_is_a_server_error(client):
    with pytest.raises(KeywayServerError) as raised:
        client.get("aws_down", "airflow/variables/my_var")
    assert raised.value.status >= 500


def test_a_bad_request_is_a_request_error(client):
    with pytest.raises(KeywayRequestError) as raised:
        client.get("local", "airflow/variables/my_var", key="field")  # not a JSON key/value secret
    assert raised.value.status == 400
    assert LOCAL_VARIABLE not in str(raised.value)


def test_an_unreachable_service_says_so(tmp_path):
    from conftest import free_port

    with pytest.raises(KeywayConnectionError, match="is `keyway serve` running"):
        KeywayClient(f"http://127.0.0.1:{free_port()}", token="t" * 32).get("local", "x")
    with pytest.raises(KeywayConnectionError):
        KeywayClient(f"unix:{tmp_path / 'none.sock'}").get("local", "x")


def test_a_service_that_does_not_answer_times_out():
    # A listener that accepts and never answers.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        client = KeywayClient(f"http://127.0.0.1:{port}", token="t" * 32, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(KeywayConnectionError, match="did not answer within 0.5 s"):
            client.get("local", "airflow/variables/my_var")
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_https_with_a_private_ca(tls_service, keyway):
    service, ca_file = tls_service
    assert service.url.startswith("https://127.0.0.1:")
    client = KeywayClient(service.url, token=token_of(keyway), ca_file=str(ca_file))
    assert client.get("local", "airflow/variables/my_var") == LOCAL_VARIABLE
    # Without the CA the service's certificate is not trusted, and nothing is sent.
    with pytest.raises(KeywayConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        KeywayClient(service.url, token=token_of(keyway)).get("local", "airflow/variables/my_var")
