#!/usr/bin/env bash
# The portal in a real browser: serves the release binary with the demo on DATABASE_URL and runs
# web/tests/portal.mjs (playwright-core driving Debian's Chromium, axe-core on every page).
# Exits non-zero on any failure.
#
#   scripts/browser-tests.sh DATABASE_URL PORT
#
# DATABASE_URL must name an empty database. Needs a release build (its build script installs
# web/node_modules, which the tests use too, and builds the assets into the binary) and
# /usr/bin/chromium. SCREENSHOTS=dir keeps a picture of each main page; GRANTFUND_BIN serves another
# build than target/release/grantfund.
set -euo pipefail
cd "$(dirname "$0")/.."

URL=$1
PORT=$2
work=$(mktemp -d)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$URL BIND_ADDR="127.0.0.1:$PORT" MAIL_DIR="$work/mail" STORAGE_URL="file://$work/documents" RUST_LOG=warn \
  "${GRANTFUND_BIN:-./target/release/grantfund}" serve --demo >"$work/logins.txt" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$work/server.log"; exit 1; }

status=0
BASE_URL="http://127.0.0.1:$PORT" LOGINS="$work/logins.txt" node web/tests/portal.mjs || status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:"
  grep -B2 -A10 "panicked" "$work/server.log"
  status=1
fi
[ "$status" -eq 0 ] || tail -n 40 "$work/server.log"
exit $status
