#!/usr/bin/env bash
# Runs keyway's whole test suite on a fresh machine: installs the Wasm target the
# plugins compile for and the Python test servers (moto, OpenBao, the Azure SDK that
# proves the Key Vault fake) into ./.venv, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt

# Every host crate's tests (the workspace's default members); building them compiles the plugins.
# Tests start their own servers on free loopback ports and stop them.
cargo test "$@"
# The plugins' own unit tests, natively (they ship as wasm32-wasip2 components).
# shellcheck disable=SC2046
cargo test $(python3 tests/plugin_packages.py first-party) "$@"

# The fakes of vendor APIs, each proven with the vendor's official SDK (one pytest run per fake:
# each is a folder of plain modules, some with the same names).
for fake in tests/fakes/*/; do
  .venv/bin/python -m pytest -q "$fake"
done

# The Airflow secrets backend (adapters/airflow) against real Apache Airflow in .venv-airflow, a `keyway serve`
# of the binary `cargo test` built above and moto from .venv (setup-venv.sh is a no-op when the environment is
# up to date).
bash adapters/airflow/setup-venv.sh
.venv-airflow/bin/python -m pytest -q adapters/airflow/tests
