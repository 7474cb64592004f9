"""Airflow's secrets backend on keyway: connections, variables and configuration from `keyway serve`.

    [secrets]
    backend = keyway_airflow.backend.KeywaySecretsBackend
    backend_kwargs = {"url": "http://127.0.0.1:8750", "manager": "aws", "namespace": "analytics"}

(or `AIRFLOW__SECRETS__BACKEND` and `AIRFLOW__SECRETS__BACKEND_KWARGS`). Connection `my_db` is the secret
`MANAGER/airflow/connections/my_db`, variable `my_var` is `MANAGER/airflow/variables/my_var`, and the
configuration option given as `sql_alchemy_conn_secret = db_url` is `MANAGER/airflow/config/db_url`.

A secret that does not exist is `None`, so Airflow goes on to its next backends (environment variables, then the
metastore). Every other failure raises a `KeywayError` whose message names the secret and keyway's error kind,
never a value nor the token, and is logged on this module's logger at WARNING (Airflow itself logs a backend's
failure only at DEBUG before trying the next one).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from keyway_airflow.client import (
    DEFAULT_TIMEOUT,
    KeywayClient,
    KeywayError,
    KeywayPermissionError,
)

try:  # Airflow 2.x and 3.x with airflow-core installed
    from airflow.secrets import BaseSecretsBackend
except ImportError:  # an Airflow 3 worker with the Task SDK alone
    from airflow.sdk.bases.secrets_backend import BaseSecretsBackend  # type: ignore[no-redef]

try:  # Airflow 3.3+ / Task SDK 1.2.2+: a deny that must not fall through to the next backend.
    from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied as _AccessDenied
except ImportError:
    _AccessDenied = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

# The fields of Airflow's JSON connection format, and names other tools give some of them (AWS RDS secrets:
# username, engine, dbname; others: user, database, type).
_CONNECTION_FIELDS = {"conn_type", "description", "host", "login", "password", "schema", "port", "extra", "uri"}
_ALIASES = {
    "username": "login",
    "user": "login",
    "dbname": "schema",
    "database": "schema",
    "engine": "conn_type",
    "type": "conn_type",
}


if _AccessDenied is not None:

    class KeywayAccessDenied(KeywayPermissionError, _AccessDenied):
        """keyway denied the read (403), as Airflow's authoritative deny: no fall-through to the next backends."""

else:

    class KeywayAccessDenied(KeywayPermissionError):  # type: ignore[no-redef]
        """keyway denied the read (403); Airflow before 3.3 has no authoritative deny and goes on."""


class KeywaySecretsBackend(BaseSecretsBackend):
    """Reads Airflow connections, variables and configuration from keyway.

    :param url: `keyway serve`'s address: `http://127.0.0.1:8750` (default, or `$KEYWAY_SERVER`), `https://...`
        or `unix:/path/to/keyway.sock`
    :param token: the bearer token (better: `token_file`)
    :param token_file: a file whose first line is the token; default on TCP: `$KEYWAY_HOME/serve.token`, else
        the user's data folder (`~/.local/share/keyway/serve.token`); on a Unix socket no token by default
    :param manager: the keyway manager holding Airflow's secrets (default `local`)
    :param connections_prefix: prefix of connections' names (default `airflow/connections`; null: no lookups)
    :param variables_prefix: prefix of variables' names (default `airflow/variables`; null: no lookups)
    :param config_prefix: prefix of configuration values (default `airflow/config`; null: no lookups)
    :param sep: what joins a prefix and an id (default `/`)
    :param namespace: the keyway namespace to act for (`X-Keyway-Namespace`)
    :param groups: keyway groups to act for, a list or a comma-separated string (`X-Keyway-Groups`)
    :param flow: a flow name for keyway's audit records (`X-Keyway-Flow`)
    :param timeout: seconds to wait for keyway (default 10)
    :param ca_file: the private CA of an `https://` keyway
    :param deny_falls_through: when keyway denies a read (403), go on to Airflow's next backends instead of
        failing (default false: a deny is final where Airflow supports that, 3.3+)
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        token_file: str | None = None,
        manager: str = "local",
        connections_prefix: str | None = "airflow/connections",
        variables_prefix: str | None = "airflow/variables",
        config_prefix: str | None = "airflow/config",
        sep: str = "/",
        namespace: str | None = None,
        groups: list[str] | str | None = None,
        flow: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ca_file: str | None = None,
        deny_falls_through: bool = False,
    ) -> None:
        super().__init__()
        if not manager or "/" in manager:
            raise ValueError(f"keyway backend: {manager!r} is not a manager name")
        self.manager = manager
        self.connections_prefix = _clean_prefix(connections_prefix)
        self.variables_prefix = _clean_prefix(variables_prefix)
        self.config_prefix = _clean_prefix(config_prefix)
        self.sep = sep
        self.deny_falls_through = bool(deny_falls_through)
        self.client = KeywayClient(
            url,
            token=token,
            token_file=token_file,
            namespace=namespace,
            groups=groups,
            flow=flow,
            timeout=timeout,
            ca_file=ca_file,
        )

    # -- Airflow's interface ----------------------------------------------------------------------------------

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        """The connection's serialized form, a URI or Airflow's JSON format (Airflow 2.3+ and 3.x parse both).

        A JSON secret is normalised: `username`/`user` become `login`, `dbname`/`database` `schema`,
        `engine`/`type` `conn_type`, and fields Airflow does not know go into `extra`.
        """
        value = self._read("connection", self.connections_prefix, conn_id)
        if value is None:
            return None
        try:
            return _normalise_connection(value)
        except KeywayError as err:
            log.warning("keyway: cannot read Airflow connection %r: %s", conn_id, err)
            raise

    def get_conn_uri(self, conn_id: str) -> str | None:
        """Airflow before 2.3: the connection as a URI (a JSON secret is turned into one)."""
        value = self.get_conn_value(conn_id)
        if value is None or not value.lstrip().startswith("{"):
            return value
        fields = json.loads(value)
        from airflow.models.connection import Connection

        extra = fields.pop("extra", None)
        if isinstance(extra, dict):
            extra = json.dumps(extra)
        port = fields.pop("port", None)
        return Connection(conn_id=conn_id, extra=extra, port=int(port) if port else None, **fields).get_uri()

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        """The variable's value, as text (Airflow deserializes JSON variables itself with `deserialize_json`)."""
        return self._read("variable", self.variables_prefix, key)

    def get_config(self, key: str) -> str | None:
        """A configuration value named by an option's `_secret` form (`sql_alchemy_conn_secret = KEY`)."""
        return self._read("config", self.config_prefix, key)

    # -- keyway -----------------------------------------------------------------------------------------------

    def secret_name(self, prefix: str, secret_id: str) -> str:
        """The name in keyway of `secret_id` under `prefix`."""
        return self.build_path(prefix, secret_id, self.sep) if prefix else secret_id

    def _read(self, what: str, prefix: str | None, secret_id: str) -> str | None:
        if prefix is None or not secret_id:
            return None
        name = self.secret_name(prefix, secret_id)
        try:
            return self.client.get(self.manager, name)
        except KeywayPermissionError as err:
            log.warning("keyway: cannot read Airflow %s %r: %s", what, secret_id, err)
            if self.deny_falls_through:
                raise
            raise KeywayAccessDenied(str(err), status=err.status, kind=err.kind) from None
        except KeywayError as err:
            log.warning("keyway: cannot read Airflow %s %r: %s", what, secret_id, err)
            raise


def _clean_prefix(prefix: str | None) -> str | None:
    return None if prefix is None else prefix.strip("/")


def _normalise_connection(value: str) -> str:
    text = value.strip()
    if not text.startswith("{"):
        return text
    try:
        fields = json.loads(text)
    except ValueError:
        # Never quote the text: it is a secret. Airflow would fail the same way, with the value in its message.
        raise KeywayError("the connection's secret starts with '{' but is not valid JSON") from None
    if not isinstance(fields, dict):
        return text
    if set(fields) <= _CONNECTION_FIELDS:
        return text
    normalised: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, field in fields.items():
        target = _ALIASES.get(key, key)
        if target in _CONNECTION_FIELDS and target not in normalised:
            normalised[target] = field
        else:
            extra[key] = field
    if extra:
        given = normalised.get("extra")
        if isinstance(given, str):
            try:
                given = json.loads(given) if given.strip() else {}
            except ValueError:
                raise KeywayError("the connection's `extra` is not JSON, and the secret has other fields") from None
        merged = dict(given or {}) if isinstance(given, dict) or given is None else None
        if merged is None:
            raise KeywayError("the connection's `extra` is not a JSON object, and the secret has other fields")
        for key, field in extra.items():
            merged.setdefault(key, field)
        normalised["extra"] = merged
    return json.dumps(normalised)
