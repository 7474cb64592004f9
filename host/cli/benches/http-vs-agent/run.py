#!/usr/bin/env python3
"""`keyway serve` against the AWS Secrets Manager Agent: cached GETs of one secret over loopback HTTP.

Both services read the same secret from the same moto, each with its caller check on (keyway: a client's
bearer token, with its audit file, connection cap and default logging; the agent: its SSRF token header, with
its default logging), and `wrk` runs against them in turn (A B, then B A, ...) at each concurrency. The table
gives requests per second, latency percentiles, and the server's CPU time per request.

    python3 host/cli/benches/http-vs-agent/run.py              # builds both, 3 rounds of 10 s at 32 and 256
    python3 host/cli/benches/http-vs-agent/run.py --baseline target/bench-http/keyway-before
                                                               # a saved keyway binary as a third contender
    python3 host/cli/benches/http-vs-agent/run.py --floors     # and servers that answer a constant: the most
                                                               # any server can do on this machine
    python3 host/cli/benches/http-vs-agent/run.py --audit-dir /dev/shm
                                                               # and keyway with its audit file in another
                                                               # directory (here memory: no journal commits)

Everything is built and kept under target/: keyway with `cargo build --release -p keyway-cli`, the agent
with `cargo install aws_secretsmanager_agent --version AGENT_VERSION --locked --root target/bench-agent`.
Needs `moto_server` in ./.venv (tests/run.sh makes it) and `wrk` (installed from Debian when missing and
running as root). Not a test: figures depend on the machine and whatever else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

AGENT_VERSION = "2.1.0"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TARGET = ROOT / "target"
OUT = TARGET / "bench-http"
AGENT_ROOT = TARGET / "bench-agent"
SECRET = "bench/db"
REGION = "us-east-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each service per concurrency (3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--connections", default="32,256", help="concurrencies, comma-separated (32,256)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--keyway", type=Path, help="a keyway binary to use instead of building one")
    parser.add_argument("--baseline", type=Path, help="another keyway binary, run as a third contender")
    parser.add_argument("--floors", action="store_true",
                        help="also the floors: servers answering a constant (examples/http_floor.rs), on hyper "
                             "and on bare sockets")
    parser.add_argument("--audit-dir", type=Path,
                        help="also keyway with its audit file in this directory (a fourth contender)")
    parser.add_argument("--only", choices=["keyway", "agent"], help="run one service only (for profiling)")
    parser.add_argument("--serve", action="store_true", help="start everything, print how to call it, and wait")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    OUT.mkdir(parents=True, exist_ok=True)
    require_wrk()
    keyway_bin = args.keyway or build_keyway()
    agent_bin = build_agent()
    run_dir = OUT / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    processes: list[subprocess.Popen] = []
    audit_file = args.audit_dir and args.audit_dir.resolve() / f"keyway-bench-audit-{os.getpid()}.jsonl"
    try:
        moto = start_moto(run_dir, processes)
        value = seed(moto)
        contenders: list[Contender] = []
        if args.only != "agent":
            contenders.append(start_keyway("keyway", keyway_bin, moto, run_dir / "keyway", processes))
        if args.baseline:
            contenders.append(start_keyway("keyway (baseline)", args.baseline, moto, run_dir / "baseline", processes))
        if args.audit_dir and args.only != "agent":
            contenders.append(start_keyway(f"keyway, audit file in {args.audit_dir}", keyway_bin, moto,
                                           run_dir / "keyway-audit-dir", processes, audit_file))
        if args.only != "keyway":
            contenders.append(start_agent(agent_bin, moto, run_dir / "agent", processes))
        if args.floors:
            floor_bin = build_floor()
            for mode in ("hyper", "socket"):
                contenders.append(start_floor(floor_bin, mode, run_dir / f"floor-{mode}", processes))
        for contender in contenders:
            warm(contender, value)
        if args.serve:
            for contender in contenders:
                print(f"{contender.name}: pid {contender.process.pid}, curl -H '{contender.header}: "
                      f"{contender.credential}' {contender.url}")
            print("serving; Ctrl-C stops")
            signal.pause()
            return 0
        results = measure(contenders, args)
        print_table(contenders, results, args)
    finally:
        for process in reversed(processes):
            stop(process)
        if audit_file:
            audit_file.unlink(missing_ok=True)
    return 0


@dataclass
class Contender:
    """A running service and how to call it."""

    name: str
    url: str
    header: str
    credential: str
    process: subprocess.Popen
    # False for the floors, which answer a constant instead of the secret.
    serves_secret: bool = True


@dataclass
class Run:
    """One wrk run against one contender."""

    requests_per_s: float
    p50_us: int
    p99_us: int
    cpu_us_per_request: float


@dataclass
class Results:
    """Runs by (contender, connections)."""

    runs: dict[tuple[str, int], list[Run]] = field(default_factory=dict)


def require_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        return
    sys.exit("wrk is missing: apt-get install wrk")


def build_keyway() -> Path:
    print("building keyway (release)", flush=True)
    subprocess.run(["nice", "cargo", "build", "--release", "-q", "-p", "keyway-cli"], cwd=ROOT, check=True)
    return TARGET / "release" / "keyway"


def build_floor() -> Path:
    print("building the floor servers (release)", flush=True)
    subprocess.run(["nice", "cargo", "build", "--release", "-q", "-p", "keyway-cli", "--example", "http_floor"],
                   cwd=ROOT, check=True)
    return TARGET / "release" / "examples" / "http_floor"


def build_agent() -> Path:
    binary = AGENT_ROOT / "bin" / "aws_secretsmanager_agent"
    installed = AGENT_ROOT / ".crates.toml"  # cargo's record of what it installed there
    if binary.exists() and installed.exists() and f"aws_secretsmanager_agent {AGENT_VERSION}" in installed.read_text():
        return binary
    print(f"building the AWS Secrets Manager Agent {AGENT_VERSION} from crates.io", flush=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(AGENT_ROOT / "build"))
    subprocess.run(
        ["nice", "cargo", "install", "-q", "aws_secretsmanager_agent", "--version", AGENT_VERSION, "--locked",
         "--root", str(AGENT_ROOT)],
        check=True,
        env=env,
    )
    return binary


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without AWS settings or keyway's own, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "KEYWAY_"))}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, headers: dict[str, str] | None = None, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as answer:
                return answer.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def spawn(command: list, cwd: Path, env: dict[str, str], processes: list) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    log = open(cwd / "output.log", "wb")  # noqa: SIM115 (kept open for the process's life)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    processes.append(process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def start_moto(run_dir: Path, processes: list) -> str:
    moto_server = ROOT / ".venv" / "bin" / "moto_server"
    if not moto_server.exists():
        sys.exit("moto_server is missing from ./.venv: run tests/run.sh once (or pip install -r tests/requirements.txt)")
    port = free_port()
    spawn([str(moto_server), "-H", "127.0.0.1", "-p", str(port)], run_dir / "moto", clean_env(), processes)
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(f"{endpoint}/moto-api/")
    return endpoint


def seed(moto: str) -> str:
    """Creates the secret both services read; returns its value."""
    value = json.dumps({"username": "app", "password": secrets.token_hex(16), "host": "db.internal", "port": 5432})
    script = (
        "import boto3, os, sys\n"
        "client = boto3.client('secretsmanager', endpoint_url=os.environ['MOTO'], region_name=os.environ['REGION'])\n"
        "client.create_secret(Name=os.environ['NAME'], SecretString=sys.stdin.read())\n"
    )
    env = clean_env(MOTO=moto, REGION=REGION, NAME=SECRET, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", script], input=value, text=True, env=env,
                   check=True)
    return value


KEYWAY_CONFIG = """\
builtin_local: false
default_manager: aws
managers:
  aws:
    plugin: aws
    settings: {{ region: {region}, endpoint_override: "{moto}" }}
    auth: {{ type: aws, access_key_id: bench, secret_access_key: bench }}
cache: {{ expire-after-write: 1h }}
audit: {{ file: "{audit}" }}
serve:
  clients:
    bench: {{ token_file: "{home}/bench.token" }}
  limits: {{ max_connections: 1000 }}
"""


def start_keyway(name: str, binary: Path, moto: str, home: Path, processes: list,
                 audit_file: Path | None = None) -> Contender:
    """keyway serve with one client (a bearer token), an audit file (in `home` unless `audit_file` says
    otherwise), a connection cap, default logging."""
    home.mkdir(parents=True)
    token = secrets.token_hex(32)
    token_file = home / "bench.token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    config = home / "keyway.yaml"
    config.write_text(KEYWAY_CONFIG.format(region=REGION, moto=moto, home=home,
                                           audit=audit_file or home / "audit.jsonl"))
    command = [str(binary.resolve()), "--config", str(config), "serve", "--listen", "127.0.0.1:0"]
    process = spawn(command, home, clean_env(KEYWAY_HOME=str(home)), processes)
    log = home / "output.log"
    deadline = time.monotonic() + 120
    address = None
    while address is None:
        for line in log.read_text(errors="replace").splitlines():
            if "listening on http://" in line:
                address = line.split("listening on ", 1)[1].strip()
        if process.poll() is not None:
            sys.exit(f"{name} stopped: see {log}")
        if address is None and time.monotonic() > deadline:
            sys.exit(f"{name} did not start: see {log}")
        time.sleep(0.1)
    url = f"{address}/v1/secrets/aws/{SECRET}"
    return Contender(name, url, "Authorization", f"Bearer {token}", process)


AGENT_CONFIG = """\
http_port = "{port}"
ttl_seconds = "3600"
max_conn = "1000"
region = "{region}"
"""


def start_agent(binary: Path, moto: str, home: Path, processes: list) -> Contender:
    """The agent with its SSRF token (from AWS_TOKEN), its endpoint pointed at moto, default logging (a file)."""
    home.mkdir(parents=True)
    port = free_port()
    (home / "agent.toml").write_text(AGENT_CONFIG.format(port=port, region=REGION))
    token = secrets.token_hex(32)
    env = clean_env(AWS_ENDPOINT_URL=moto, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="bench",
                    AWS_SECRET_ACCESS_KEY="bench", AWS_TOKEN=token, AWS_EC2_METADATA_DISABLED="true")
    process = spawn([str(binary.resolve()), "--config", "agent.toml"], home, env, processes)
    wait_for(f"http://127.0.0.1:{port}/ping")
    url = f"http://127.0.0.1:{port}/v1/{SECRET}"
    return Contender("agent", url, "X-Aws-Parameters-Secrets-Token", token, process)


def start_floor(binary: Path, mode: str, home: Path, processes: list) -> Contender:
    """A server answering every request with the same constant body: what serving costs at least."""
    process = spawn([str(binary.resolve()), mode], home, clean_env(), processes)
    deadline = time.monotonic() + 30
    while "listening on" not in (home / "output.log").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the {mode} floor did not start: {(home / 'output.log').read_text()}")
        time.sleep(0.05)
    address = (home / "output.log").read_text().split("listening on", 1)[1].split()[0]
    return Contender(f"floor: {mode}, a constant answer", f"http://{address}/v1/{SECRET}", "X-Unused", "-", process,
                     serves_secret=False)


def warm(contender: Contender, value: str) -> None:
    """Fills the service's cache, and checks it serves the seeded value."""
    if not contender.serves_secret:
        return
    body = json.loads(wait_for(contender.url, {contender.header: contender.credential}))
    served = body.get("value", body.get("SecretString"))
    if served != value:
        sys.exit(f"{contender.name} does not serve the seeded value")


def cpu_seconds(process: subprocess.Popen) -> float:
    """The process's user and system time so far."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(contender: Contender, connections: int, args: argparse.Namespace, seconds: int) -> Run:
    env = dict(os.environ, BENCH_HEADER=contender.header, BENCH_VALUE=contender.credential)
    command = ["wrk", f"-t{min(args.threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-s", str(HERE / "wrk.lua"), contender.url]
    cpu_before = cpu_seconds(contender.process)
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(contender.process) - cpu_before
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    if result["non_2xx"] or result["socket_errors"]:
        sys.exit(f"{contender.name} at {connections} connections: {result['non_2xx']} answers not 2xx, "
                 f"{result['socket_errors']} socket errors\n{output}")
    requests = max(result["requests"], 1)
    return Run(
        requests_per_s=result["requests"] / (result["duration_us"] / 1e6),
        p50_us=result["p50_us"],
        p99_us=result["p99_us"],
        cpu_us_per_request=cpu * 1e6 / requests,
    )


def measure(contenders: list[Contender], args: argparse.Namespace) -> Results:
    results = Results()
    levels = [int(level) for level in args.connections.split(",")]
    for connections in levels:
        for contender in contenders:
            wrk(contender, connections, args, 2)  # warm-up: connections, caches, CPU frequency
        for round_ in range(args.rounds):
            # Alternate the order, so a drift in the machine's load hits every contender alike.
            order = contenders if round_ % 2 == 0 else list(reversed(contenders))
            for contender in order:
                run = wrk(contender, connections, args, args.duration)
                results.runs.setdefault((contender.name, connections), []).append(run)
                print(f"  {connections:>4} connections, round {round_ + 1}, {contender.name}: "
                      f"{run.requests_per_s:,.0f} req/s, p50 {run.p50_us / 1000:.2f} ms, "
                      f"p99 {run.p99_us / 1000:.2f} ms, {run.cpu_us_per_request:.1f} µs CPU/req", flush=True)
    return results


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(contenders: list[Contender], results: Results, args: argparse.Namespace) -> None:
    levels = [int(level) for level in args.connections.split(",")]
    print()
    print(f"Cached GET of one secret, wrk -t{args.threads} --latency, {args.rounds} alternating rounds of "
          f"{args.duration} s per service and concurrency; {os.cpu_count()} CPUs, load average now {load_average()}")
    print("(medians of the rounds; req/s range in brackets; CPU = the server's user+system time per request)")
    print()
    print("| connections | service | requests/s | p50 | p99 | CPU/request | ÷ agent |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    agent = next((contender.name for contender in contenders if contender.name == "agent"), None)
    for connections in levels:
        agent_rate = None
        if agent:
            agent_rate = statistics.median(run.requests_per_s for run in results.runs[(agent, connections)])
        for contender in contenders:
            runs = results.runs[(contender.name, connections)]
            rate = statistics.median(run.requests_per_s for run in runs)
            low, high = min(run.requests_per_s for run in runs), max(run.requests_per_s for run in runs)
            p50 = statistics.median(run.p50_us for run in runs) / 1000
            p99 = statistics.median(run.p99_us for run in runs) / 1000
            cpu = statistics.median(run.cpu_us_per_request for run in runs)
            ratio = f"{rate / agent_rate:.2f}×" if agent_rate and contender.name != agent else ""
            print(f"| {connections} | {contender.name} | {rate:,.0f} ({low:,.0f}–{high:,.0f}) | {p50:.2f} ms | "
                  f"{p99:.2f} ms | {cpu:.1f} µs | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
