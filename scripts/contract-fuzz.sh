#!/usr/bin/env bash
# Contract fuzzing: serves the release binary with the demo on DATABASE_URL and runs schemathesis
# over every operation of openapi/openapi.json as each kind of caller (nobody, applicant,
# assessor, administrator, official, and the family fund's claimant, clinician and cash office;
# FUZZ_ROLES names fewer), with positive and negative data and the checks
# not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance and negative_data_rejection. Exits non-zero on any failure.
#
#   scripts/contract-fuzz.sh DATABASE_URL PORT
#
# DATABASE_URL must name an empty database. Needs schemathesis (`st` on the PATH, or its path in
# $ST) and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

URL=$1
PORT=$2
EXAMPLES=${FUZZ_EXAMPLES:-10}
work=$(mktemp -d)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$URL BIND_ADDR="127.0.0.1:$PORT" MAIL_DIR="$work/mail" STORAGE_URL="file://$work/documents" RUST_LOG=warn \
  AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE=1000000 AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE=1000000 \
  FEEDBACK_RESPONSES_PER_LINK_PER_MINUTE=1000000 OUTBOX_POLL_SECONDS=3600 \
  ./target/release/grantfund serve --demo >"$work/logins.txt" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$work/server.log"; exit 1; }

# Signs in as the demo's account of a role, with the code of its printed secret when the role
# signs in with a second factor.
token() {
  local email password secret
  read -r email password secret < <(awk -v role="$1" '$1 == role {print $2, $3, $4}' "$work/logins.txt")
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" |
    python3 -c '
import base64, hashlib, hmac, json, struct, sys, time, urllib.request
answer = json.load(sys.stdin)
if answer.get("status") == "mfa_required":
    secret = sys.argv[2].upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    code = "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)
    body = json.dumps({"challenge": answer["challenge"], "code": code}).encode()
    request = urllib.request.Request(sys.argv[1] + "/api/v1/auth/login/mfa", data=body,
                                     headers={"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
print(answer["access_token"])
' "http://127.0.0.1:$PORT" "${secret:-}"
}

# Callers are given here, one run each; schemathesis is not to register accounts of its own.
printf '[auth]\nauto-signup = false\n' >"$work/schemathesis.toml"

failed=0
for role in ${FUZZ_ROLES:-nobody applicant assessor official administrator claimant clinician cash_office}; do
  headers=()
  if [ "$role" != nobody ]; then
    headers=(-H "Authorization: Bearer $(token "$role")")
  fi
  echo "== schemathesis as $role ($URL)"
  if ! "${ST:-st}" --config-file "$work/schemathesis.toml" run openapi/openapi.json --url "http://127.0.0.1:$PORT" "${headers[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
    --mode all --phases examples,fuzzing --max-examples "$EXAMPLES" --seed "${FUZZ_SEED:-2021}" \
    --generation-database none --workers 2 --no-color --warnings off \
    >"$work/$role.txt" 2>&1; then
    cat "$work/$role.txt"
    failed=1
  else
    tail -n 3 "$work/$role.txt"
  fi
done
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:"
  grep -B2 -A10 "panicked" "$work/server.log"
  failed=1
fi
exit $failed
