#!/usr/bin/env bash
# Load at scale on PostgreSQL, with the baselines measured in the same run: seeds a fresh database
# with `grantfund seed scale`, then drives 64 connections with wrk at an authenticated
# GET /awards/{id}, a round's ranking and a report, and fires concurrent award decisions; next to
# pgbench -S and -N TPS and an actix-web hello-world. Prints each figure, its ratio to its
# baseline, the goal, and the server's idle memory.
#
#   bench/load.sh [APPLICATIONS] [DECISIONS]
#
# Needs PostgreSQL at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) with a user
# that can create databases, pgbench and wrk. Run by hand; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

APPLICATIONS=${1:-100000}
DECISIONS=${2:-1000}
C=64
SECONDS_EACH=${BENCH_SECONDS:-15}
PORT=${BENCH_PORT:-18183}
HELLO_PORT=$((PORT + 1))
. bench/common.sh
bench_start gf_bench_load --bin grantfund --example hello_baseline

export BIND_ADDR="127.0.0.1:$PORT"
export AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE=1000000 AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE=1000000
export UNAUTHENTICATED_WRITES_PER_CLIENT_PER_MINUTE=1000000
export OUTBOX_POLL_SECONDS=86400 REMINDER_POLL_SECONDS=86400 DATABASE_POOL_SIZE=${BENCH_POOL_SIZE:-8}
bench_seed_scale "$APPLICATIONS"
award=$(psql "$PG/$BENCH_DB" -Atc "SELECT id FROM awards WHERE fund_id = $fund ORDER BY id OFFSET (SELECT count(*) / 2 FROM awards) LIMIT 1")
round=$(psql "$PG/$BENCH_DB" -Atc "SELECT round_id FROM applications GROUP BY round_id ORDER BY count(*) DESC, round_id LIMIT 1")
password="bench passphrase $(date +%s)"
printf '%s' "$password" | "$BIN" user create --email bench-admin@fund.example.org \
  --name "Bench Admin" --role administrator --password-stdin >/dev/null
printf '%s' "$password" | "$BIN" user create --email bench-official@gov.example.org \
  --name "Bench Official" --role official --password-stdin >/dev/null

"$BIN" serve >"$work/server.log" 2>&1 &
server=$!
bench_wait_up "$PORT"
sleep 2
idle_kb=$(ps -o rss= -p "$server" | tr -d ' ')
token() {
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
admin=$(token bench-admin@fund.example.org)
official=$(token bench-official@gov.example.org)

./target/release/examples/hello_baseline "127.0.0.1:$HELLO_PORT" &
hello=$!
sleep 0.5

echo "== baselines: hello world, pgbench -S, pgbench -N ($C clients, ${SECONDS_EACH} s each)"
measure "hello world" "http://127.0.0.1:$HELLO_PORT/"
pgbench -q -i -s 10 "$PG/gf_bench_pgbench" >/dev/null 2>&1
select_tps=$(pgbench -S -c "$C" -j 2 -T "$SECONDS_EACH" "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
write_tps=$(pgbench -N -c "$C" -j 2 -T "$SECONDS_EACH" "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
echo "pgbench -S $select_tps TPS, pgbench -N $write_tps TPS"

echo "== the service ($C connections, ${SECONDS_EACH} s each)"
measure "GET /awards/{id}" -H "Authorization: Bearer $admin" "http://127.0.0.1:$PORT/api/v1/awards/$award"
measure "GET /rounds/{id}/ranking" -H "Authorization: Bearer $admin" "http://127.0.0.1:$PORT/api/v1/rounds/$round/ranking"
measure "GET /reports/.../summary" -H "Authorization: Bearer $official" "http://127.0.0.1:$PORT/api/v1/reports/funds/$fund/summary"

echo "== $DECISIONS concurrent decisions from $C connections"
decisions=$(python3 bench/decisions.py "http://127.0.0.1:$PORT" bench-admin@fund.example.org "$password" "$DECISIONS" "$C")
echo "$decisions"

python3 - "$work/results.txt" "$select_tps" "$write_tps" "$idle_kb" "$decisions" <<'PY'
import json, sys
rows = [line.strip().split("|") for line in open(sys.argv[1]) if line.strip()]
select_tps, write_tps, idle_kb = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
d = json.loads(sys.argv[5])
figures = {name: (float(rps), float(p50), float(p99), int(errors)) for name, rps, p50, p99, errors in rows}
hello = figures["hello world"][0]
print()
print(f"{'measure':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs hello':>9} {'vs pgbench':>11}  goal")
goals = {
    "GET /awards/{id}": (select_tps, "-S", ">= 50% of pgbench -S, p99 < 10 ms"),
    "GET /rounds/{id}/ranking": (select_tps, "-S", ""),
    "GET /reports/.../summary": (select_tps, "-S", "p99 < 50 ms"),
}
for name, (rps, p50, p99, errors) in figures.items():
    base, which, goal = goals.get(name, (None, "", ""))
    against = f"{100 * rps / base:.1f}% {which}" if base else ""
    print(f"{name:28} {rps:8.0f} {p50:8.2f} {p99:8.2f} {errors:8d} {100 * rps / hello:8.1f}% {against:>11}  {goal}")
print(f"{'decisions':28} {d['decisions_per_second']:8.0f} {d['p50_ms']:8.2f} {d['p99_ms']:8.2f} {'':>8} {100 * d['decisions_per_second'] / hello:8.1f}% "
      f"{100 * d['decisions_per_second'] / write_tps:.1f}% -N  >= 25% of pgbench -N, over-commit 0 (was {d['over_commit']})")
print(f"pgbench -S {select_tps:.0f} TPS, pgbench -N {write_tps:.0f} TPS; idle RSS {idle_kb / 1024:.1f} MB (goal < 20 MB)")
PY
