# Serves the demo on a fresh SQLite database in a temporary folder, for the steps and scripts
# that drive it over HTTP. Source it, then:
#
#   demo_start BINARY   # sets demo_dir, demo_url and demo_pid; the demo's output, with the
#                       # sign-in details of each demo account, is in $demo_dir/out.log
#   demo_login ROLE     # prints that demo account's email and password
#   demo_code ROLE      # prints the code a staff account's authenticator app shows now
#   demo_token ROLE     # signs that demo account in (password, then code) and prints its
#                       # access token
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

# Staff lines carry a fourth column, the account's TOTP secret (base32); the code is RFC 6238's:
# HMAC-SHA-1 of the 30-second step, truncated to six digits.
demo_code() {
  local secret
  secret=$(awk -v role="$1" '$1 == role {print $4}' "$demo_dir/out.log")
  python3 - "$secret" <<'PY'
import base64, hashlib, hmac, struct, sys, time
secret = sys.argv[1].upper()
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
offset = digest[-1] & 15
print("%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}

demo_token() {
  local email password answer
  read -r email password < <(demo_login "$1")
  answer=$(curl -sf "$demo_url/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}")
  if [ "$(printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')" = mfa_required ]; then
    answer=$(curl -sf "$demo_url/api/v1/auth/login/mfa" -H 'content-type: application/json' \
      -d "{\"challenge\": $(printf '%s' "$answer" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["challenge"]))'), \"code\": \"$(demo_code "$1")\"}")
  fi
  printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
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
