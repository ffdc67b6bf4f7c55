#!/usr/bin/env bash
# What the portal's pages cost next to the API answers they are made from, on the demo fund on
# PostgreSQL, with pgbench -S measured in the same run: the public rounds list and directory as
# a page and as JSON, and the officials' dashboard (session, four reports, four charts) against
# its four report requests over the API. Prints requests/s, p50 and p99, and the ratios.
#
#   bench/portal.sh
#
# Needs PostgreSQL at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) with a user
# that can create databases, pgbench and wrk. Run by hand; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

C=${BENCH_CONNECTIONS:-16}
SECONDS_EACH=${BENCH_SECONDS:-10}
PORT=${BENCH_PORT:-18185}
. bench/common.sh
bench_start gf_bench_portal --bin grantfund

export BIND_ADDR="127.0.0.1:$PORT"
export AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE=1000000 AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE=1000000
export UNAUTHENTICATED_WRITES_PER_CLIENT_PER_MINUTE=1000000
export OUTBOX_POLL_SECONDS=86400 REMINDER_POLL_SECONDS=86400
"$BIN" serve --demo >"$work/logins.txt" 2>"$work/server.log" &
server=$!
bench_wait_up "$PORT"
read -r email password < <(awk '$1 == "official" {print $2, $3}' "$work/logins.txt")
base="http://127.0.0.1:$PORT"

# The official's portal session, signed in through the form as a browser would.
jar="$work/cookies.txt"
curl -sf -c "$jar" -b "$jar" "$base/sign-in" -o /dev/null
csrf=$(awk '$6 == "grantfund_csrf" {print $7}' "$jar")
curl -sf -c "$jar" -b "$jar" -H 'Sec-Fetch-Site: same-origin' --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "email=$email" --data-urlencode "password=$password" --data-urlencode "next=/" \
  "$base/sign-in" -o /dev/null
session=$(awk '$6 == "grantfund_session" {print $7}' "$jar")
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\": \"$email\", \"password\": \"$password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
cat >"$work/reports.lua" <<LUA
paths = {"/api/v1/reports/funds/1/summary", "/api/v1/reports/funds/1/by-health-board",
         "/api/v1/reports/funds/1/by-target-group", "/api/v1/reports/funds/1/reach"}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % 4) + 1], {["Authorization"] = "Bearer $token"})
end
LUA

echo "== baseline: pgbench -S ($C clients, ${SECONDS_EACH} s)"
pgbench -q -i -s 10 "$PG/gf_bench_pgbench" >/dev/null 2>&1
select_tps=$(pgbench -S -c "$C" -j 2 -T "$SECONDS_EACH" "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
echo "pgbench -S $select_tps TPS"

echo "== pages and the API ($C connections, ${SECONDS_EACH} s each)"
measure "GET /api/v1/rounds" "$base/api/v1/rounds?per_page=100"
measure "GET /rounds (page)" "$base/rounds"
measure "GET /api/v1/directory" "$base/api/v1/directory?per_page=100"
measure "GET /directory (page)" "$base/directory"
measure "4 report requests (API)" -s "$work/reports.lua" "$base"
measure "GET /dashboard (page)" -H "Cookie: grantfund_session=$session" "$base/dashboard?fund=1"

python3 - "$work/results.txt" "$select_tps" <<'PY'
import sys
rows = [line.strip().split("|") for line in open(sys.argv[1]) if line.strip()]
select_tps = float(sys.argv[2])
f = {name: (float(rps), float(p50), float(p99), int(errors)) for name, rps, p50, p99, errors in rows}
print()
print(f"{'measure':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs pgbench -S':>14}")
for name, (rps, p50, p99, errors) in f.items():
    print(f"{name:26} {rps:8.0f} {p50:8.2f} {p99:8.2f} {errors:8d} {100 * rps / select_tps:13.1f}%")
pairs = [
    ("rounds page / JSON", f["GET /rounds (page)"][0] / f["GET /api/v1/rounds"][0]),
    ("directory page / JSON", f["GET /directory (page)"][0] / f["GET /api/v1/directory"][0]),
    # One dashboard holds the four reports: compare it with four API requests.
    ("dashboard / its 4 reports", f["GET /dashboard (page)"][0] / (f["4 report requests (API)"][0] / 4)),
]
print()
for name, ratio in pairs:
    print(f"{name:26} {ratio:.2f}")
PY
