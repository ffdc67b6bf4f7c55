#!/usr/bin/env bash
# Every officials' report at scale on PostgreSQL: seeds a fresh database with `grantfund seed
# scale`, then times each report one request at a time (JSON and CSV), next to GET /health and
# pgbench -S single-client latency measured in the same run.
#
#   bench/reports.sh [APPLICATIONS] [REQUESTS per report]
#
# Needs PostgreSQL at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) with a user
# that can create databases, and pgbench. Exits non-zero when a report's p99 is 50 ms or more.
set -euo pipefail
cd "$(dirname "$0")/.."

APPLICATIONS=${1:-100000}
REQUESTS=${2:-200}
PORT=${BENCH_PORT:-18182}
. bench/common.sh
bench_start gf_bench_reports
export BIND_ADDR="127.0.0.1:$PORT" OUTBOX_POLL_SECONDS=86400 REMINDER_POLL_SECONDS=86400
bench_seed_scale "$APPLICATIONS"
year=$(psql "$PG/$BENCH_DB" -Atc "SELECT max(financial_year) FROM fund_years WHERE fund_id = $fund")
password="bench official passphrase $(date +%s)"
printf '%s' "$password" | "$BIN" user create --email bench-official@gov.example.org \
  --name "Bench Official" --role official --password-stdin >/dev/null
"$BIN" serve >"$work/server.log" 2>&1 &
server=$!
bench_wait_up "$PORT"

echo "== pgbench -S, 1 client, 10 s (latency baseline)"
pgbench -q -i -s 10 "$PG/gf_bench_pgbench" >/dev/null 2>&1
pgbench_ms=$(pgbench -S -c 1 -T 10 "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^latency average/ {print $4; exit}')
echo "pgbench -S latency average: $pgbench_ms ms"

echo "== reports, $REQUESTS sequential requests each"
python3 bench/reports.py "http://127.0.0.1:$PORT" bench-official@gov.example.org "$password" \
  "$fund" "$year" "$REQUESTS" | tee "$work/reports.jsonl"
python3 - "$work/reports.jsonl" "$pgbench_ms" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
pg = float(sys.argv[2])
health = rows[0]
print(f"{'report':32} {'first ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99/health p50':>15} {'p99/pgbench -S':>15}")
worst = 0.0
for r in rows:
    print(f"{r['report']:32} {r['first_ms']:9.2f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['p99_ms'] / health['p50_ms']:15.1f} {r['p99_ms'] / pg:15.1f}")
    if r is not health:
        worst = max(worst, r["p99_ms"])
print(f"worst report p99 {worst:.2f} ms (goal < 50 ms)")
sys.exit(0 if worst < 50 else 1)
PY
