#!/usr/bin/env bash
# Concurrent award decisions against a PostgreSQL-backed release server, next to pgbench -N
# measured on the same machine in the same run.
#
#   bench/decisions.sh [N decisions] [C connections]
#
# Needs PostgreSQL at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) with a user
# that can create databases, and pgbench. Prints decisions per second, latency, the over-commit
# count (must be 0) and the ratio to pgbench -N TPS. Exits non-zero on any over-commit.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-2000}
C=${2:-64}
PORT=${BENCH_PORT:-18181}
. bench/common.sh
bench_start gf_bench_decisions

export BIND_ADDR="127.0.0.1:$PORT"
export AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE=1000000 AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE=1000000
export UNAUTHENTICATED_WRITES_PER_CLIENT_PER_MINUTE=1000000
export OUTBOX_POLL_SECONDS=86400 DATABASE_POOL_SIZE=${BENCH_POOL_SIZE:-16}
password="bench admin passphrase $(date +%s)"
"$BIN" migrate
printf '%s' "$password" | "$BIN" user create --email bench-admin@fund.example.org \
  --name "Bench Admin" --role administrator --password-stdin >/dev/null
"$BIN" serve >"$work/server.log" 2>&1 &
server=$!
bench_wait_up "$PORT"

echo "== pgbench -N (simple writes), $C clients, 15 s"
pgbench -q -i -s 10 "$PG/gf_bench_pgbench" >/dev/null 2>&1
pgbench_tps=$(pgbench -N -c "$C" -j 2 -T 15 "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
echo "pgbench -N TPS: $pgbench_tps"

echo "== $N concurrent decisions from $C connections"
result=$(python3 bench/decisions.py "http://127.0.0.1:$PORT" bench-admin@fund.example.org "$password" "$N" "$C")
echo "$result"
python3 - "$result" "$pgbench_tps" <<'PY'
import json, sys
r, tps = json.loads(sys.argv[1]), float(sys.argv[2])
print(f"decisions/s {r['decisions_per_second']} = {100 * r['decisions_per_second'] / tps:.1f}% of pgbench -N TPS {tps:.0f}; "
      f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; awarded {r['awarded']}, refused {r['refused_over_limit']}; "
      f"over-commit {r['over_commit']}")
PY
