#!/usr/bin/env bash
# keyway's main job on the embedded encrypted store, with no account and no server:
# store a secret, read it back, then resolve the placeholders of a flow step.
#
# It works in a temporary keyway home, removed at the end, and ignores any keyway configuration of yours;
# set KEYWAY_HOME (and, if you like, KEYWAY_CONFIG) to run it against a home of your choosing instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KEYWAY_HOME:-}" ]; then
  KEYWAY_HOME=$(mktemp -d "${TMPDIR:-/tmp}/keyway-quickstart.XXXXXX")
  trap 'rm -rf "$KEYWAY_HOME"' EXIT
  # Your own keyway.yaml (in ~/.config/keyway or set by KEYWAY_CONFIG) could name another home: not here.
  printf 'default_manager: local\n' > "$KEYWAY_HOME/keyway.yaml"
  export KEYWAY_CONFIG="$KEYWAY_HOME/keyway.yaml"
  echo "--- a temporary keyway home: $KEYWAY_HOME (removed at the end)"
fi
export KEYWAY_HOME

rustup target add wasm32-wasip2 >/dev/null
cargo build --quiet -p keyway-cli
keyway=target/debug/keyway

printf %s 'correct-horse-battery-staple' | $keyway put local/db/password --stdin --overwrite --tag team=payments
printf %s '{"username":"orders_app","password":"hunter2-api"}' | $keyway put local/api/credentials --stdin --overwrite --type key-value

echo "--- keyway get local/db/password"
$keyway get local/db/password
echo
echo "--- keyway get local/api/credentials/username (a key of a JSON secret, as in a placeholder)"
$keyway get local/api/credentials/username
echo
echo "--- keyway resolve examples/flow-step.yaml (values masked; add --reveal to see them)"
$keyway resolve examples/flow-step.yaml --namespace company.team --yaml
echo "--- keyway list local"
$keyway list local
echo "--- keyway check (each manager's backend asked for real; expiring secrets listed)"
$keyway check
