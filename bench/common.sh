# Shared by the benchmark scripts (sourced, not run): the release build, fresh PostgreSQL
# databases for the service and for pgbench, a scratch folder, and cleanup of all three and of
# any server the script started ($server, $hello) on exit.
#
#   bench_start DATABASE [BUILD ARGS...]

PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}

bench_start() {
  BENCH_DB=$1
  shift
  cargo build --release --locked --quiet "$@"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS gf_bench_pgbench WITH (FORCE)" -c "CREATE DATABASE gf_bench_pgbench"
  work=$(mktemp -d)
  trap bench_cleanup EXIT
  export DATABASE_URL="$PG/$BENCH_DB" MAIL_DIR="$work/mail" RUST_LOG=warn
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
  ./target/release/grantfund migrate
  echo "== seed scale --applications $1"
  ./target/release/grantfund seed scale --applications "$1" | tee "$work/seed.txt"
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
