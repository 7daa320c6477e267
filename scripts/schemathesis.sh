#!/usr/bin/env bash
# Tests the API against its own OpenAPI document with schemathesis (every check, the stateful
# phase included), on a fresh hospital-local with an empty embedded store. Fails on any 5xx,
# response that breaks its schema, undocumented status or content type.
#
#   scripts/schemathesis.sh            (scripts/test.sh runs it after the cargo tests)
#
# Needs `st` (scripts/requirements.txt) and target/debug/hospital-local (cargo build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

bin="${HOSPITAL_LOCAL:-$root/target/debug/hospital-local}"
[ -x "$bin" ] || { echo "schemathesis.sh: $bin not built (cargo build -p hospital-local)" >&2; exit 2; }
command -v st >/dev/null || { echo "schemathesis.sh: st not found (pip install -r scripts/requirements.txt)" >&2; exit 2; }

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HOSPITAL_DATA_DIR="$data" HOSPITAL_ADDR="127.0.0.1:$port" RUST_LOG=warn "$bin" >"$data/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

export API_PORT="$port"
API_TOKEN=$(HOSPITAL_DATA_DIR="$data" "$bin" token --role admin --sub schemathesis)
export API_TOKEN

report="$root/target/schemathesis"
mkdir -p "$report"
cd "$root/tests/schemathesis"
status=0
st --config-file schemathesis.toml run "http://127.0.0.1:$port/v1/openapi.json" \
    --report junit --report-junit-path "$report/junit.xml" --no-color || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis.sh: failed (exit $status); server log:" >&2
    grep -E "ERROR|panicked" "$data/server.log" | head -20 >&2 || true
fi
exit "$status"
