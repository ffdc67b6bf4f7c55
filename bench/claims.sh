#!/usr/bin/env bash
# Concurrent approvals of families' claims against a PostgreSQL-backed release server, next to
# pgbench -N measured on the same machine in the same run. Every family has two certified
# claims of which only one fits under its cap, and the year's limit fits three quarters of the
# families, so each approval races its family's other claim and every other family's.
#
#   bench/claims.sh [N approvals] [C connections]   # default 256 approvals, all at once
#
# Needs PostgreSQL at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) with a user
# that can create databases, and pgbench. Prints approvals per second, latency, the ratio to
# pgbench -N TPS, and, counted in the database, the families approved past their cap and the
# years committed past their limit (both must be 0). Exits non-zero if either is not 0, and if
# an approval answers other than 200 or 409, or the year ends with other than what it fits.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-256}
C=${2:-$N}
PGBENCH_C=${BENCH_PGBENCH_CLIENTS:-64}
PORT=${BENCH_PORT:-18182}
# shellcheck source=bench/common.sh
. bench/common.sh
bench_start gf_bench_claims

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

# pgbench gets its own client count: PostgreSQL's default max_connections is 100, and the
# server reaches the database through its pool, not one connection per approval.
echo "== pgbench -N (simple writes), $PGBENCH_C clients, 15 s"
pgbench -q -i -s 10 "$PG/gf_bench_pgbench" >/dev/null 2>&1
pgbench_tps=$(pgbench -N -c "$PGBENCH_C" -j 2 -T 15 "$PG/gf_bench_pgbench" 2>/dev/null | awk '/^tps/ {print $3; exit}')
echo "pgbench -N TPS: $pgbench_tps"
[ -n "$pgbench_tps" ] || { echo "pgbench -N did not run" >&2; exit 1; }

echo "== $N concurrent claim approvals from $C connections"
status=0
result=$(python3 bench/claims.py "http://127.0.0.1:$PORT" bench-admin@fund.example.org "$password" "$N" "$C") || status=$?
echo "$result"
[ -n "$result" ] || exit 1

# Counted from the rows, not from the answers: a family is over its cap when its approved claims
# or its stay's running total come to more than the cap; a year is over its limit when its
# committed total or the approved lines of its days come to more.
over_cap=$(psql "$PG/$BENCH_DB" -tAXc "
  SELECT count(*) FROM stays s
  LEFT JOIN (SELECT stay_id, sum(approved_pence) AS approved FROM claims
             WHERE status IN ('approved', 'paid') GROUP BY stay_id) c ON c.stay_id = s.id
  WHERE s.approved_pence > s.cap_pence OR coalesce(c.approved, 0) > s.cap_pence")
over_limit=$(psql "$PG/$BENCH_DB" -tAXc "
  SELECT count(*) FROM fund_years y
  LEFT JOIN (SELECT s.fund_id,
                    to_char(l.spent_on - interval '3 months', 'YYYY') || '-'
                      || to_char(l.spent_on + interval '9 months', 'YY') AS financial_year,
                    sum(l.approved_pence) AS approved
             FROM claim_lines l JOIN claims c ON c.id = l.claim_id JOIN stays s ON s.id = c.stay_id
             WHERE c.status IN ('approved', 'paid') GROUP BY 1, 2) a
    ON a.fund_id = y.fund_id AND a.financial_year = y.financial_year
  WHERE y.committed_pence > y.limit_pence OR coalesce(a.approved, 0) > y.limit_pence")
python3 - "$result" "$pgbench_tps" "$over_cap" "$over_limit" <<'PY'
import json, sys
r, tps, over_cap, over_limit = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"approvals/s {r['approvals_per_second']} = {100 * r['approvals_per_second'] / tps:.1f}% of pgbench -N TPS {tps:.0f}; "
      f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; approved {r['approved']} (200), refused "
      f"{r['refused_family_cap']} for the family cap and {r['refused_fund_limit']} for the year's limit (409); "
      f"families over the cap {over_cap}, fund years over their limit {over_limit}")
PY
[ "$over_cap" = 0 ] && [ "$over_limit" = 0 ] && exit "$status"
exit 1
