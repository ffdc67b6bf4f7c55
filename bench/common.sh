# Shared by the benchmark scripts (sourced, not run): the release build, fresh PostgreSQL
# databases for the service and for pgbench, a scratch folder, and cleanup of all three and of
# any server the script started ($server, $hello) on exit.
#
#   bench_start DATABASE [BUILD ARGS...]
#
# BENCH_BIN names a grantfund binary to measure instead of building this checkout: two builds
# can then be compared in turns on the same machine in the same hour (`load.sh` still runs the
# baseline server it finds in target/release/examples).

PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
BIN=${BENCH_BIN:-./target/release/grantfund}

bench_start() {
  BENCH_DB=$1
  shift
  if [ -z "${BENCH_BIN:-}" ]; then
    cargo build --release --locked --quiet "$@"
  fi
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS gf_bench_pgbench WITH (FORCE)" -c "CREATE DATABASE gf_bench_pgbench"
  work=$(mktemp -d)
  trap bench_cleanup EXIT
  export DATABASE_URL="$PG/$BENCH_DB" MAIL_DIR="$work/mail" RUST_LOG=warn
  # The benchmark's own staff sign in with a password alone: it measures the requests, not
  # the second factor, which only the sign-in itself checks.
  export MFA_REQUIRED_ROLES=
}

bench_cleanup() {
  for pid in ${server:-} ${hello:-}; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS gf_bench_pgbench WITH (FORCE)" || true
  rm -rf "$work"
}

# Migrates, seeds the scale fund with APPLICATIONS and sets $fund to its id.
bench_seed_scale() {
  "$BIN" migrate
  echo "== seed scale --applications $1"
  "$BIN" seed scale --applications "$1" | tee "$work/seed.txt"
  psql "$PG/$BENCH_DB" -qc "VACUUM ANALYZE"
  fund=$(sed -n 's/^fund \([0-9]*\) .*/\1/p' "$work/seed.txt")
}

# Waits until the server on PORT answers /health.
bench_wait_up() {
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server on port $1 did not come up" >&2
  return 1
}

# wrk's requests/s, p50 and p99 in milliseconds, appended to $work/results.txt as
# name|rps|p50|p99|non-2xx. Uses $C connections for $SECONDS_EACH seconds.
measure() {
  local name=$1
  shift
  wrk -t2 -c"$C" -d"${SECONDS_EACH}s" --latency "$@" >"$work/wrk.txt"
  python3 - "$name" "$work/wrk.txt" <<'PY' | tee -a "$work/results.txt"
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def ms(v):
    found = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not found:
        sys.exit(f"{name}: cannot read wrk's latency {v!r}:\n{text}")
    n, unit = found.groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{name}|{rps:.0f}|{p50:.2f}|{p99:.2f}|{errors.group(1) if errors else 0}")
PY
}
