"""Real Apache Airflow with `AIRFLOW__SECRETS__BACKEND=keyway_airflow.backend.KeywaySecretsBackend`: the
`airflow connections get` command and `Variable.get` in subprocesses read connections, variables and configuration
from `keyway serve` (its embedded store and moto), fall through to Airflow's other backends when keyway has no
such secret, and fail clearly, without values, on a wrong token or a denied read."""

from __future__ import annotations

import hashlib
import json
import textwrap

import pytest

from conftest import (
    ALL_VALUES,
    AWS_DB_PASSWORD,
    AWS_DB_URI,
    AWS_RDS_CONN,
    AWS_VARIABLE,
    CONFIG_FERNET_KEY,
    LOCAL_DB_PASSWORD,
    LOCAL_JSON_CONN,
    LOCAL_JSON_VARIABLE,
    LOCAL_VARIABLE,
    TEAM_VARIABLE,
)

WRONG_TOKEN = "00000000000000000000000000000000deadbeef"


def connection(airflow, conn_id: str, backend_kwargs: dict, extra_env: dict | None = None) -> dict:
    """`airflow connections get CONN_ID -o json`, parsed."""
    result = airflow.cli("connections", "get", conn_id, "-o", "json", backend_kwargs=backend_kwargs,
                         extra_env=extra_env)
    assert result.returncode == 0, f"airflow connections get {conn_id} failed: {result.stderr[-3000:]}"
    # Airflow may print log lines before the JSON document.
    rows = json.loads(result.stdout[result.stdout.index("["):])
    assert len(rows) == 1 and rows[0]["conn_id"] == conn_id
    return rows[0]


VARIABLES = textwrap.dedent(
    """
    import json, sys
    from airflow.models import Variable
    from airflow.sdk import Variable as SdkVariable
    out = {}
    for key in sys.argv[1:]:
        out[key] = Variable.get(key, default_var=None)
        out["sdk:" + key] = SdkVariable.get(key, default=None)
    print("RESULT " + json.dumps(out))
    """
)


def variables(airflow, keys: list[str], backend_kwargs: dict, extra_env: dict | None = None) -> dict:
    """`Variable.get(key)` for each key, with Airflow's models and with the Task SDK."""
    result = airflow.python(VARIABLES.replace("sys.argv[1:]", json.dumps(keys)), backend_kwargs=backend_kwargs,
                            extra_env=extra_env)
    assert result.returncode == 0, f"Variable.get failed: {result.stderr[-3000:]}"
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_connections_come_from_the_embedded_store(airflow, service):
    kwargs = {"url": service.url}  # the token from $KEYWAY_HOME/serve.token, the manager `local`
    uri = connection(airflow, "my_db", kwargs)
    assert (uri["conn_type"], uri["host"], uri["login"], uri["password"], str(uri["port"]), uri["schema"]) == (
        "postgres", "db.internal", "app_user", LOCAL_DB_PASSWORD, "5432", "orders"
    )
    as_json = connection(airflow, "reports_db", kwargs)
    assert as_json["conn_type"] == "mysql"
    assert (as_json["host"], as_json["login"], as_json["password"], as_json["schema"]) == (
        "mysql.internal", "reporter", LOCAL_JSON_CONN["password"], "reports"
    )
    assert str(as_json["port"]) == "3306"
    assert as_json["extra_dejson"] == {"charset": "utf8mb4"}


def test_connections_come_from_aws_secrets_manager(airflow, service):
    kwargs = {"url": service.url, "manager": "aws"}
    uri = connection(airflow, "my_db", kwargs)
    assert uri["get_uri"] == AWS_DB_URI.replace("postgresql://", "postgres://")
    rds = connection(airflow, "rds_db", kwargs)
    assert (rds["conn_type"], rds["host"], rds["login"], rds["password"], rds["schema"], str(rds["port"])) == (
        "postgres", "rds.internal", "rds_admin", AWS_RDS_CONN["password"], "sales", "5432"
    )
    assert rds["extra_dejson"] == {"dbInstanceIdentifier": "sales-db"}


def test_variables_come_from_keyway(airflow, service):
    local = variables(airflow, ["my_var", "my_json_var"], {"url": service.url})
    assert local["my_var"] == local["sdk:my_var"] == LOCAL_VARIABLE
    assert json.loads(local["my_json_var"]) == LOCAL_JSON_VARIABLE
    aws = variables(airflow, ["my_var"], {"url": service.url, "manager": "aws"})
    assert aws["my_var"] == aws["sdk:my_var"] == AWS_VARIABLE


def test_configuration_secrets_come_from_keyway(airflow, service):
    script = "from airflow.configuration import conf; print('RESULT ' + conf.get('core', 'fernet_key'))"
    result = airflow.python(script, backend_kwargs={"url": service.url},
                            extra_env={"AIRFLOW__CORE__FERNET_KEY_SECRET": "fernet_key"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"RESULT {CONFIG_FERNET_KEY}" in result.stdout.splitlines()


def test_keyway_comes_before_airflows_own_backends_and_missing_secrets_fall_through(airflow, service):
    env = {
        "AIRFLOW_CONN_MY_DB": "postgres://env:pw-env-shadowed@env-host/db",
        "AIRFLOW_CONN_ENV_ONLY": "postgres://env:pw-env-only@env-host:5433/envdb",
        "AIRFLOW_VAR_ENV_ONLY": "value-from-environment",
    }
    assert connection(airflow, "my_db", {"url": service.url}, env)["host"] == "db.internal"
    fallback = connection(airflow, "env_only", {"url": service.url}, env)
    assert (fallback["host"], str(fallback["port"]), fallback["password"]) == ("env-host", "5433", "pw-env-only")
    values = variables(airflow, ["env_only", "nowhere"], {"url": service.url}, env)
    assert values["env_only"] == values["sdk:env_only"] == "value-from-environment"
    assert values["nowhere"] is None and values["sdk:nowhere"] is None
    missing = airflow.cli("connections", "get", "nowhere", backend_kwargs={"url": service.url})
    assert missing.returncode != 0 and "Connection not found" in missing.stdout + missing.stderr


def test_lookups_can_be_switched_off_by_kind(airflow, service):
    values = variables(airflow, ["my_var"], {"url": service.url, "variables_prefix": None},
                       {"AIRFLOW_VAR_MY_VAR": "value-from-environment"})
    assert values["my_var"] == "value-from-environment"


def test_a_wrong_token_fails_clearly_without_a_value(airflow, service):
    kwargs = {"url": service.url, "token": WRONG_TOKEN}
    result = airflow.cli("connections", "get", "my_db", "-o", "json", "--verbose", backend_kwargs=kwargs)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "keyway refused the credential when reading local/airflow/connections/my_db (HTTP 401" in output
    assert "Connection not found" in output
    for value in ALL_VALUES:
        assert value not in output
    assert WRONG_TOKEN not in output

    script = "from airflow.models import Variable\nVariable.get('my_var')"
    result = airflow.python(script, backend_kwargs=kwargs)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "KeyError" in output
    assert "keyway refused the credential when reading local/airflow/variables/my_var (HTTP 401" in output
    for value in ALL_VALUES:
        assert value not in output


def test_an_explicit_token_file(airflow, service, keyway, tmp_path):
    token_file = tmp_path / "airflow.token"
    token_file.write_text((keyway.home / "serve.token").read_text())
    token_file.chmod(0o600)
    kwargs = {"url": service.url, "token_file": str(token_file)}
    # Airflow's home points nowhere near keyway's: only the token file can authenticate.
    assert variables(airflow, ["my_var"], kwargs, {"KEYWAY_HOME": str(tmp_path / "elsewhere")})["my_var"] == (
        LOCAL_VARIABLE
    )


def test_the_unix_socket_with_an_identity(airflow, unix_service):
    kwargs = {"url": unix_service.url, "manager": "team", "namespace": "analytics", "groups": ["etl"]}
    assert variables(airflow, ["team_var"], kwargs)["team_var"] == TEAM_VARIABLE
    local = {"url": unix_service.url, "namespace": "analytics", "groups": "etl"}
    assert connection(airflow, "my_db", local)["password"] == LOCAL_DB_PASSWORD


@pytest.mark.parametrize("falls_through", [False, True])
def test_a_denied_read_is_final_unless_configured_otherwise(airflow, unix_service, falls_through):
    # No namespace: the manager `team` is for analytics only, so keyway denies it (403).
    kwargs = {"url": unix_service.url, "manager": "team", "deny_falls_through": falls_through}
    env = {"AIRFLOW_VAR_TEAM_VAR": "value-from-environment"}
    script = textwrap.dedent(
        """
        from airflow.models import Variable
        try:
            print("RESULT", Variable.get("team_var"))
        except Exception as err:
            print("RAISED", [cls.__name__ for cls in type(err).__mro__])
        """
    )
    result = airflow.python(script, backend_kwargs=kwargs, extra_env=env)
    output = result.stdout + result.stderr
    assert TEAM_VARIABLE not in output
    assert "keyway denied reading team/airflow/variables/team_var (HTTP 403 denied" in output
    if falls_through:
        assert "RESULT value-from-environment" in result.stdout
    else:
        assert "RAISED" in result.stdout and "AirflowSecretsBackendAccessDenied" in result.stdout
        assert "value-from-environment" not in result.stdout


DAG = textwrap.dedent(
    """
    import hashlib

    import pendulum
    from airflow.sdk import BaseHook, Connection, Variable, dag, task


    @dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False)
    def keyway_reads():
        @task
        def read():
            conn = Connection.get("my_db")
            hook_conn = BaseHook.get_connection("rds_db")
            print("TASK-RESULT", conn.host, conn.login, hook_conn.schema, Variable.get("my_var"))
            # `dags test` prints a task's output unmasked (a worker's task log masks it): digests only.
            digest = lambda text: hashlib.sha256(text.encode()).hexdigest()
            print("TASK-PASSWORDS", digest(conn.password), digest(hook_conn.password))

        read()


    keyway_reads()
    """
)


def test_a_dag_task_reads_keyway_through_the_task_sdk(airflow, service, tmp_path):
    """`airflow dags test` runs a task as a worker does: the Task SDK asks its secrets backends."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "keyway_reads.py").write_text(DAG)
    env = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__WORKERS__SECRETS_BACKEND": "keyway_airflow.backend.KeywaySecretsBackend",
        "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS": json.dumps({"url": service.url, "manager": "aws"}),
    }
    kwargs = {"url": service.url, "manager": "aws"}
    migrated = airflow.cli("db", "migrate", backend_kwargs=kwargs, extra_env=env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    result = airflow.cli("dags", "test", "keyway_reads", backend_kwargs=kwargs, extra_env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    printed = [line for line in output.splitlines() if "TASK-" in line]
    assert any("TASK-RESULT aws-db.internal aws_user sales " + AWS_VARIABLE in line for line in printed), printed
    passwords = [AWS_DB_PASSWORD, AWS_RDS_CONN["password"]]
    digests = " ".join(hashlib.sha256(text.encode()).hexdigest() for text in passwords)
    assert any("TASK-PASSWORDS " + digests in line for line in printed), printed
    assert AWS_DB_PASSWORD not in output and AWS_RDS_CONN["password"] not in output
