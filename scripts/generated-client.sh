#!/usr/bin/env bash
# A client generated from the contract runs the grant cycle: generates a Python client from
# openapi/openapi.json with openapi-python-client, fails on any warning of the generator,
# type-checks tests/client/grant_cycle.py against it with mypy (strict, no error allowed), and
# runs that script against the demo on a fresh SQLite database: sign in, read rounds without a
# token, register, apply, submit, and read CSV and the 360Giving package.
#
#   scripts/generated-client.sh [BINARY]
#
# BINARY defaults to target/debug/grantfund (cargo build first). The generator and mypy are
# installed at the versions pinned here, in a virtual environment at $CLIENT_VENV (default
# ${TMPDIR:-/tmp}/grantfund-client-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

GENERATOR="openapi-python-client==0.29.1"
MYPY="mypy==2.4.1"
binary=${1:-target/debug/grantfund}
venv=${CLIENT_VENV:-${TMPDIR:-/tmp}/grantfund-client-venv}

installed=$("$venv/bin/pip" freeze 2>/dev/null || true)
if ! grep -qix "$GENERATOR" <<<"$installed" || ! grep -qix "$MYPY" <<<"$installed"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "$GENERATOR" "$MYPY"
fi

# shellcheck source=scripts/demo-server.sh
source scripts/demo-server.sh
work=$(mktemp -d)
trap 'demo_stop; rm -rf "$work"' EXIT
export PYTHONDONTWRITEBYTECODE=1

echo "== generating a Python client with $GENERATOR"
# No post hooks: they run a formatter this machine need not have, and warn when it is missing.
printf 'post_hooks: []\n' >"$work/config.yaml"
if ! "$venv/bin/openapi-python-client" generate --path openapi/openapi.json --meta none \
  --output-path "$work/grantfund_client" --config "$work/config.yaml" >"$work/generate.log" 2>&1; then
  cat "$work/generate.log"
  echo "the generator failed" >&2
  exit 1
fi
cat "$work/generate.log"
warnings=$(grep -ciE 'warning|error' "$work/generate.log" || true)
echo "generator warnings: $warnings"
if [ "$warnings" != 0 ]; then
  echo "the generator warned about the contract" >&2
  exit 1
fi
echo "generated model classes: $(find "$work/grantfund_client/models" -name '*.py' ! -name '__init__.py' | wc -l)"

echo "== mypy $MYPY"
MYPYPATH="$work" "$venv/bin/mypy" --config-file tests/client/mypy.ini --cache-dir "$work/mypy-cache" \
  tests/client/grant_cycle.py

echo "== the grant cycle against the demo"
demo_start "$binary"
PYTHONPATH="$work" "$venv/bin/python" tests/client/grant_cycle.py "$demo_url" "$demo_dir/out.log"
