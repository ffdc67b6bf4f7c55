#!/usr/bin/env bash
# Drives a built binary over HTTP through the officials' reports, the 360Giving export and the
# public directory on the demo, on an empty database, and checks that the figures reconcile.
#
#   scripts/smoke-reports.sh DATABASE_URL PORT
#
# Needs a release build (cargo build --release) and, for the export, shared/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
URL=$1
PORT=$2
work=$(mktemp -d)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
DATABASE_URL=$URL BIND_ADDR="127.0.0.1:$PORT" MAIL_DIR="$work/mail" RUST_LOG=warn \
  ./target/release/grantfund serve --demo >"$work/logins.txt" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
python3 - "http://127.0.0.1:$PORT" "$work/logins.txt" "$work" <<'PY'
import csv, io, json, sys, urllib.request, urllib.error
base, logins, work = sys.argv[1], sys.argv[2], sys.argv[3]
accounts = {line.split()[0]: line.split()[1:4] for line in open(logins) if line.startswith("  ")}
def totp(secret):
    import base64, hashlib, hmac, struct, time
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)
checks = 0
def call(method, path, token=None, body=None, accept=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token: req.add_header("Authorization", f"Bearer {token}")
    if accept: req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req) as r: return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e: return e.code, e.headers, e.read().decode()
def check(ok, what):
    global checks
    checks += 1
    if not ok: sys.exit(f"FAILED: {what}")
def login(role):
    email, password, *secret = accounts[role]
    answer = json.loads(call("POST", "/api/v1/auth/login", body={"email": email, "password": password})[2])
    if answer.get("status") == "mfa_required":
        answer = json.loads(call("POST", "/api/v1/auth/login/mfa", body={"challenge": answer["challenge"], "code": totp(secret[0])})[2])
    return answer["access_token"]
official, admin = login("official"), login("administrator")
def money(s): whole, _, frac = s.partition("."); return int(whole) * 100 + int((frac + "00")[:2])
r = "/api/v1/reports/funds/1"
years = json.loads(call("GET", "/api/v1/funds/1/years", admin)[2])["items"]
committed = sum(money(y["committed"]) for y in years); paid = sum(money(y["paid"]) for y in years)
s, h, body = call("GET", f"{r}/summary", official); summary = json.loads(body)
check(s == 200, "summary 200")
check(money(summary["total"]["committed"]) == committed and money(summary["total"]["paid"]) == paid, "summary equals the fund years")
for y in summary["years"]:
    fy = next(x for x in years if x["financial_year"] == y["financial_year"])
    check(y["committed"] == fy["committed"] and y["limit"] == fy["limit"], f"summary {y['financial_year']}")
    check(sum(money(c["committed"]) for c in y["by_component"]) == money(y["committed"]), "components add up")
for split, rows in (("by-health-board", "health_boards"), ("by-target-group", "target_groups")):
    s, _, body = call("GET", f"{r}/{split}", official); rep = json.loads(body)
    check(s == 200 and rep["total"]["committed"] == summary["total"]["committed"], f"{split} total")
    check(sum(money(x["committed"]) for x in rep[rows]) == committed, f"{split} rows add up to the penny")
    s, h, text = call("GET", f"{r}/{split}?format=csv", official)
    check(s == 200 and h["Content-Type"].startswith("text/csv"), f"{split} csv")
    table = list(csv.DictReader(io.StringIO(text)))
    check(len(table) >= (14 if rows == "health_boards" else 10), f"{split} csv rows")
awards = json.loads(call("GET", "/api/v1/awards?fund_id=1&per_page=100", official)[2])["items"]
held = sum(money(i["amount"]) for a in awards for i in a["instalments"] if i["status"] != "cancelled")
check(held == committed, "awards' instalments equal committed")
for report in ("summary", "reach", "feedback"):
    s, h, text = call("GET", f"{r}/{report}", official, accept="text/csv")
    check(s == 200 and h["Content-Type"].startswith("text/csv") and text.count("\n") > 1, f"{report} csv by Accept")
reach = json.loads(call("GET", f"{r}/reach", official)[2])
check(reach["target"] == 11000 and reach["reached"] > 0, "reach against the target")
fb = json.loads(call("GET", f"{r}/feedback", official)[2])
check(all(g["responses"] is None or g["responses"] >= 5 for d in ("by_year", "by_component", "by_health_board") for g in fb[d]), "feedback suppression")
s, h, body = call("GET", "/api/v1/exports/360giving?fund_id=1", official)
check(s == 200 and len(json.loads(body)["grants"]) > 0, "360Giving export")
open(f"{work}/360.json", "w").write(body)
s, h, text = call("GET", "/api/v1/exports/360giving?fund_id=1&format=csv", official)
check(s == 200 and text.startswith("Identifier,"), "360Giving csv titles")
s, _, body = call("GET", "/api/v1/directory?per_page=100"); d = json.loads(body)
check(s == 200 and d["total"] > 0, "directory without login")
s, _, body = call("GET", "/api/v1/directory?health_board=fife&per_page=100")
check(all("fife" in e["health_boards"] for e in json.loads(body)["items"]), "directory board filter")
s, _, body = call("GET", "/api/v1/directory?support_type=counselling&per_page=100")
check(all("counselling" in e["support_types"] for e in json.loads(body)["items"]), "directory support filter")
for method, path, payload in (("POST", "/api/v1/funds", {}), ("PATCH", "/api/v1/funds/1", {"reach_target": 1}), ("PUT", "/api/v1/funds/1/years/2021-22", {"limit": "1.00", "approved": True}), ("POST", "/api/v1/awards/1/terminate", {"reason": "x"})):
    check(call(method, path, official, payload)[0] == 403, f"official {method} {path} refused")
print(f"{checks} checks passed")
PY
for dir in "${SHARED_DIR:-}" ../shared /work/shared; do
  if [ -n "$dir" ] && [ -f "$dir/tools/validate_360giving.py" ]; then python3 "$dir/tools/validate_360giving.py" "$work/360.json"; break; fi
done
