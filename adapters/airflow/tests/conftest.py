"""Pytest fixtures: a real `keyway serve` (the built binary, `target/debug/keyway`) in a temporary home with the
built-in `local` manager, an `aws` manager on moto (`moto_server` from the repository's test environment
`.venv`, on a free loopback port), a `team` manager only the namespace `analytics` may use, and `aws_down`, an
AWS manager whose endpoint answers nothing; secrets written with the keyway command line; and real Apache
Airflow run in subprocesses (`airflow` from the virtual environment running pytest, `.venv-airflow`).

Two services run on the same home: `service` on TCP with the token file keyway generates
(`$KEYWAY_HOME/serve.token`), and `unix_service` on a Unix socket whose client `airflow` is this process's uid
(no token) and may act for the namespace `analytics` and the group `etl` only.

Overrides: `KEYWAY_BIN` (the keyway binary), `KEYWAY_TEST_MOTO_SERVER` (the `moto_server` executable).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ADAPTER = Path(__file__).resolve().parent.parent
REPO = ADAPTER.parent.parent
SRC = ADAPTER / "src"
sys.path.insert(0, str(SRC))  # the working tree's package, installed or not

# Where the tools under test are (read before the environment is cleaned below).
KEYWAY_BIN = Path(os.environ.get("KEYWAY_BIN") or REPO / "target" / "debug" / "keyway")
MOTO_SERVER = Path(os.environ.get("KEYWAY_TEST_MOTO_SERVER") or REPO / ".venv" / "bin" / "moto_server")

# Airflow, imported by the backend's in-process tests, reads its configuration once, from AIRFLOW_HOME (default
# ~/airflow, which it would create): give this process a throw-away one, and none of the developer's settings.
for _name in [name for name in os.environ if name.startswith(("AIRFLOW_", "AIRFLOW__", "KEYWAY_"))]:
    del os.environ[_name]
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="keyway-airflow-inprocess-")
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

# Values the tests write and then look for: each distinct, so a leak in any output is found by a plain search.
LOCAL_DB_URI = "postgresql://app_user:pw-local-7c1e9a@db.internal:5432/orders"
LOCAL_DB_PASSWORD = "pw-local-7c1e9a"
LOCAL_JSON_CONN = {
    "conn_type": "mysql",
    "host": "mysql.internal",
    "login": "reporter",
    "password": "pw-json-3f82b1",
    "schema": "reports",
    "port": 3306,
    "extra": {"charset": "utf8mb4"},
}
LOCAL_VARIABLE = "value-local-var-55d0"
LOCAL_JSON_VARIABLE = {"threshold": 42, "regions": ["eu", "us"]}
AWS_DB_URI = "postgresql://aws_user:pw-aws-91b4c2@aws-db.internal:5432/warehouse"
AWS_DB_PASSWORD = "pw-aws-91b4c2"
# An RDS-style secret: `username`, `engine`, `dbname` are mapped to Airflow's fields.
AWS_RDS_CONN = {
    "engine": "postgres",
    "host": "rds.internal",
    "username": "rds_admin",
    "password": "pw-rds-0ad7e3",
    "dbname": "sales",
    "port": 5432,
    "dbInstanceIdentifier": "sales-db",
}
AWS_VARIABLE = "value-aws-var-e4a6"
TEAM_VARIABLE = "value-team-var-b03c"
CONFIG_FERNET_KEY = "ZmVybmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ="
ALL_VALUES = [
    LOCAL_DB_PASSWORD,
    LOCAL_JSON_CONN["password"],
    LOCAL_VARIABLE,
    AWS_DB_PASSWORD,
    AWS_RDS_CONN["password"],
    AWS_VARIABLE,
    TEAM_VARIABLE,
    CONFIG_FERNET_KEY,
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, what: str, process: subprocess.Popen, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {url} within {deadline_s:g} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s: only the process this fixture started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def aws_free_environment() -> dict[str, str]:
    """This process's environment without the developer's AWS or keyway settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "KEYWAY_", "AIRFLOW_", "AIRFLOW__"))
    }
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_DEFAULT_REGION="us-east-1")
    return env


@dataclass
class Service:
    """A running `keyway serve`."""

    url: str
    process: subprocess.Popen
    log: Path


@dataclass
class Keyway:
    """keyway's home, configuration and command line, and the secrets' managers."""

    binary: Path
    home: Path
    config: Path
    moto_endpoint: str
    env: dict[str, str] = field(default_factory=dict)

    def put(self, reference: str, value: str, *extra: str, namespace: str | None = None) -> None:
        """`keyway put REFERENCE --stdin` (the value never on a command line)."""
        env = dict(self.env, KEYWAY_CONFIG=str(self.config))
        identity = ["--namespace", namespace] if namespace else []
        result = subprocess.run(
            [str(self.binary), *identity, "put", reference, "--stdin", *extra],
            env=env,
            input=value,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"keyway put {reference} failed ({result.returncode}): {result.stderr.strip()}")

    def serve(self, listen: str, config: Path | None = None, extra_args: list[str] | None = None) -> Service:
        log = self.home.parent / f"serve-{len(list(self.home.parent.glob('serve-*.log')))}.log"
        env = dict(self.env, KEYWAY_CONFIG=str(config or self.config))
        with open(log, "wb") as stderr:
            process = subprocess.Popen(
                [str(self.binary), "serve", "--listen", listen, *(extra_args or [])],
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
            )
        # The first line: `keyway serve: listening on http://127.0.0.1:PORT` (or `unix:PATH`).
        deadline = time.monotonic() + 60
        line = b""
        assert process.stdout is not None
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(process.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
            elif process.poll() is not None:
                break
        text = line.decode().strip()
        prefix = "keyway serve: listening on "
        if not text.startswith(prefix):
            stop(process)
            raise RuntimeError(f"keyway serve did not start: {text!r}; its log: {log.read_text()[-2000:]}")
        return Service(url=text[len(prefix):], process=process, log=log)


@pytest.fixture(scope="session")
def keyway_binary() -> Path:
    if not os.access(KEYWAY_BIN, os.X_OK):
        pytest.fail(f"no keyway binary at {KEYWAY_BIN}: build it with `cargo build -p keyway-cli` (or set KEYWAY_BIN)")
    return KEYWAY_BIN


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    """`moto_server` on a free loopback port; its endpoint URL."""
    executable = MOTO_SERVER
    if not os.access(executable, os.X_OK):
        pytest.fail(
            f"no moto_server at {executable}: run tests/run.sh once (it creates .venv), or set KEYWAY_TEST_MOTO_SERVER"
        )
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)],
            env=aws_free_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{endpoint}/moto-api/", "moto_server", process)
        yield endpoint
    finally:
        stop(process)


def managers_yaml(moto_endpoint: str, dead_endpoint: str) -> str:
    aws_auth = "{ type: aws, access_key_id: AKIAKEYWAYTEST, secret_access_key: keyway-test-secret }"
    return f"""managers:
  aws:
    plugin: aws
    settings: {{ region: us-east-1, endpoint_override: "{moto_endpoint}" }}
    auth: {aws_auth}
  aws_down:
    plugin: aws
    settings: {{ region: us-east-1, endpoint_override: "{dead_endpoint}", max_attempts: 1, timeout_seconds: 3 }}
    auth: {aws_auth}
  team:
    plugin: local
    access: {{ namespaces: [analytics] }}
"""


@pytest.fixture(scope="session")
def keyway(keyway_binary, moto, tmp_path_factory) -> Keyway:
    """keyway's home and configuration, with every secret the tests read written by `keyway put`."""
    root = tmp_path_factory.mktemp("keyway")
    home = root / "home"
    config = root / "keyway.yaml"
    # A loopback port nothing listens on: the backend of `aws_down`.
    config.write_text(managers_yaml(moto, f"http://127.0.0.1:{free_port()}"))
    env = aws_free_environment()
    env["KEYWAY_HOME"] = str(home)
    env["KEYWAY_LOG"] = "warn"
    kw = Keyway(binary=keyway_binary, home=home, config=config, moto_endpoint=moto, env=env)

    kw.put("local/airflow/connections/my_db", LOCAL_DB_URI)
    kw.put("local/airflow/connections/reports_db", json.dumps(LOCAL_JSON_CONN))
    kw.put("local/airflow/variables/my_var", LOCAL_VARIABLE)
    kw.put("local/airflow/variables/my_json_var", json.dumps(LOCAL_JSON_VARIABLE))
    kw.put("local/airflow/config/fernet_key", CONFIG_FERNET_KEY)
    kw.put("local/airflow/variables/expired_var", "value-expired-c1d2", "--expires", "1s")
    kw.put("aws/airflow/connections/my_db", AWS_DB_URI)
    kw.put("aws/airflow/connections/rds_db", json.dumps(AWS_RDS_CONN))
    kw.put("aws/airflow/variables/my_var", AWS_VARIABLE)
    kw.put("team/airflow/variables/team_var", TEAM_VARIABLE, namespace="analytics")
    time.sleep(1.1)  # expired_var is past its expiry
    return kw


@pytest.fixture(scope="session")
def service(keyway) -> Service:
    """`keyway serve` on a free loopback port, with the token file keyway generates in its home."""
    running = keyway.serve("127.0.0.1:0")
    try:
        yield running
    finally:
        stop(running.process)


@pytest.fixture(scope="session")
def unix_service(keyway, service) -> Service:
    """`keyway serve` on a Unix socket; the client `airflow` is this uid, for `analytics` and `etl` only.

    Started after `service`, which has made the home and its catalog."""
    socket_dir = Path(keyway.home.parent / "run")
    socket_dir.mkdir(mode=0o700, exist_ok=True)
    config = keyway.config.with_name("keyway-unix.yaml")
    config.write_text(
        keyway.config.read_text()
        + f"serve:\n  clients:\n    airflow:\n      unix_uids: [{os.geteuid()}]\n"
        "      namespaces: [analytics]\n      groups: [etl]\n"
    )
    running = keyway.serve(f"unix:{socket_dir / 'keyway.sock'}", config=config)
    try:
        yield running
    finally:
        stop(running.process)


@pytest.fixture(scope="session")
def tls_service(keyway, service, tmp_path_factory) -> tuple[Service, Path]:
    """`keyway serve` over HTTPS on loopback, with a throw-away CA (tests/fakes/fakekit.py); and the CA's file."""
    sys.path.append(str(REPO / "tests" / "fakes"))
    from fakekit import generate_test_pki

    pki = generate_test_pki(tmp_path_factory.mktemp("pki"))
    running = keyway.serve(
        "127.0.0.1:0", extra_args=["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    )
    try:
        yield running, pki.ca_cert
    finally:
        stop(running.process)


@dataclass
class Airflow:
    """Real Airflow in subprocesses, with this package as its secrets backend."""

    home: Path
    keyway_home: Path

    def env(self, backend_kwargs: dict | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = aws_free_environment()
        env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            KEYWAY_HOME=str(self.keyway_home),
            PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        )
        if backend_kwargs is not None:
            env["AIRFLOW__SECRETS__BACKEND"] = "keyway_airflow.backend.KeywaySecretsBackend"
            env["AIRFLOW__SECRETS__BACKEND_KWARGS"] = json.dumps(backend_kwargs)
        env.update(extra or {})
        return env

    def cli(self, *args: str, backend_kwargs: dict | None, extra_env: dict[str, str] | None = None):
        """`airflow ARGS...` from the virtual environment running pytest."""
        airflow = Path(sys.executable).with_name("airflow")
        return subprocess.run(
            [str(airflow), *args],
            env=self.env(backend_kwargs, extra_env),
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    def python(self, script: str, *, backend_kwargs: dict | None, extra_env: dict[str, str] | None = None):
        """`python -c SCRIPT` in Airflow's environment."""
        return subprocess.run(
            [sys.executable, "-c", script],
            env=self.env(backend_kwargs, extra_env),
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="session")
def airflow(keyway, tmp_path_factory) -> Airflow:
    if shutil.which("airflow", path=str(Path(sys.executable).parent)) is None:
        pytest.fail(f"no airflow next to {sys.executable}: run pytest with .venv-airflow/bin/python "
                    "(adapters/airflow/setup-venv.sh creates it)")
    return Airflow(home=tmp_path_factory.mktemp("airflow-home"), keyway_home=keyway.home)
