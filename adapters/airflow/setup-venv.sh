#!/usr/bin/env bash
# Creates .venv-airflow at the repository root for the Airflow adapter's tests: Apache Airflow and pytest as
# requirements-test.txt and constraints.txt pin them, and this package (editable). Run from anywhere.
# Does nothing when the environment already holds what those files say (a digest of them is kept in it), so
# .ci/run and tests/run.sh both call it; a change of the pins installs again. PYTHON picks the interpreter
# (default python3; constraints.txt was resolved on CPython 3.11).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.venv-airflow
adapter=adapters/airflow
stamp="$venv/.keyway-airflow-pins"
want=$(cat "$adapter/requirements-test.txt" "$adapter/constraints.txt" "$adapter/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/airflow" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

started=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
"${pip[@]}" -r "$adapter/requirements-test.txt" -c "$adapter/constraints.txt"
"${pip[@]}" --no-deps -e "$adapter"
echo "$want" > "$stamp"
echo "setup-venv.sh: $venv ready in $(( $(date +%s) - started )) s ($("$venv/bin/airflow" version 2>/dev/null | tail -1))"
