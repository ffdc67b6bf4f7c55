# Serves the demo on a fresh SQLite database in a temporary folder, for the steps and scripts
# that drive it over HTTP. Source it, then:
#
#   demo_start BINARY   # sets demo_dir, demo_url and demo_pid; the demo's output, with the
#                       # sign-in details of each demo account, is in $demo_dir/out.log
#   demo_login ROLE     # prints that demo account's email and password
#   demo_stop           # stops the server and removes the folder (safe to call twice)

demo_start() {
  local binary port
  binary=$(realpath "$1")
  demo_dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  demo_url="http://127.0.0.1:$port"
  (cd "$demo_dir" && DATABASE_URL="sqlite://$demo_dir/demo.db" BIND_ADDR="127.0.0.1:$port" MAIL_DIR="$demo_dir/mail" STORAGE_URL="file://$demo_dir/documents" \
    RUST_LOG=warn exec "$binary" serve --demo >"$demo_dir/out.log" 2>&1) &
  demo_pid=$!
  for _ in $(seq 1 120); do
    if grep -q "administrator" "$demo_dir/out.log" 2>/dev/null && curl -sf "$demo_url/health" >/dev/null; then
      return 0
    fi
    kill -0 "$demo_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "the demo server did not start:" >&2
  cat "$demo_dir/out.log" >&2
  return 1
}

demo_login() {
  awk -v role="$1" '$1 == role {print $2, $3}' "$demo_dir/out.log"
}

demo_stop() {
  if [ -n "${demo_pid:-}" ]; then
    kill "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
    demo_pid=""
  fi
  if [ -n "${demo_dir:-}" ]; then
    rm -rf "$demo_dir"
    demo_dir=""
  fi
}
