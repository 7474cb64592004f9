#!/usr/bin/env bash
# keyway's main job on the embedded encrypted store, with no account and no server:
# store a secret, read it back, then resolve the placeholders of a flow step.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2 >/dev/null
cargo build --quiet -p keyway-cli
keyway=target/debug/keyway

printf %s 'correct-horse-battery-staple' | $keyway put local/db/password --stdin --overwrite --tag team=payments
printf %s '{"username":"orders_app","password":"hunter2-api"}' | $keyway put local/api/credentials --stdin --overwrite --type key-value

echo "--- keyway get local/db/password"
$keyway get local/db/password
echo
echo "--- keyway resolve examples/flow-step.yaml (values masked; add --reveal to see them)"
$keyway resolve examples/flow-step.yaml --namespace company.team --yaml
echo "--- keyway list local"
$keyway list local
