#!/usr/bin/env bash
# Smoke test of funds, years, rounds, criteria and applications against a running binary, over
# HTTP, on an empty database. Prints each failed check and a count; exits non-zero on a failure.
#
#   cargo build --release
#   scripts/smoke-applications.sh sqlite:///tmp/smoke.db 18091
#   scripts/smoke-applications.sh postgres://postgres@127.0.0.1:5432/smoke 18092
#
# GRANTFUND names the binary (default target/release/grantfund). Needs curl, jq, and psql or
# python3 to stand in for an award's commitment, which the API cannot make yet.
set -u
BIN=${GRANTFUND:-target/release/grantfund}
WORK=$(mktemp -d)
export DATABASE_URL="$1" BIND_ADDR="127.0.0.1:$2" MAIL_DIR="$WORK/mail" RUST_LOG=warn
BASE="http://127.0.0.1:$2/api/v1"
pass=0; fail=0
ok() { if [ "$1" = "$2" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $3: got [$1] want [$2]"; fi; }
req() { # method path token body -> prints "status body"
  local m=$1 p=$2 t=${3:-} d=${4:-}
  local args=(-s -o $WORK/body -w '%{http_code}' -X "$m" "$BASE$p")
  [ -n "$t" ] && args+=(-H "authorization: Bearer $t")
  [ -n "$d" ] && args+=(-H 'content-type: application/json' -d "$d")
  STATUS=$(curl "${args[@]}"); BODY=$(cat $WORK/body)
}
j() { echo "$BODY" | jq -r "$1"; }

$BIN migrate >/dev/null
echo 'an admin passphrase 42' | $BIN user create --email admin@fund.example.org --name Admin --role administrator --password-stdin >/dev/null
echo 'an official passphrase 42' | $BIN user create --email off@gov.example.org --name Off --role official --password-stdin >/dev/null
$BIN serve > $WORK/serve.log 2>&1 & PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && break; sleep 0.1; done
login() { req POST /auth/login "" "{\"email\":\"$1\",\"password\":\"$2\"}"; j .access_token; }
ADMIN=$(login admin@fund.example.org 'an admin passphrase 42')
OFF=$(login off@gov.example.org 'an official passphrase 42')

# 1. Funds
req POST /funds "$ADMIN" '{"name":"Perinatal and Infant Mental Health Third Sector Fund","code":"PIMH","funder":{"name":"Scottish Government","org_id":"GB-GOR-PC390"},"administrator":{"name":"Inspiring Scotland","org_id":"GB-SC-SC040887"},"currency":"GBP","programme_start":"2020-08-01","programme_end":"2027-03-31","reach_target":11000}'
ok "$STATUS" 201 "create fund"; FUND=$(j .id); FUNDBODY=$(echo "$BODY" | jq -c '{name,code,funder,administrator,currency,programme_start,programme_end,reach_target}')
req POST /funds "$ADMIN" "$(echo "$BODY" | jq -c '{name,code,funder,administrator,currency,programme_start,programme_end,reach_target}')"
ok "$STATUS $(j .code)" "409 fund_code_taken" "duplicate code"
req POST /funds "$OFF" "$(echo "$FUNDBODY" | jq -c '.code="OTHER"')"; ok "$STATUS" 403 "official cannot create"
req GET "/funds/$FUND" "$OFF"; ok "$STATUS $(j .funder.org_id)" "200 GB-GOR-PC390" "official reads fund"
# 2. Years
for y in 2020-21 2021-22 2022-23 2025-26 2026-27; do req PUT "/funds/$FUND/years/$y" "$ADMIN" '{"limit":"1000000.00","approved":true}'; ok "$STATUS" 200 "year $y"; done
ok "$(j .remaining)" "1000000.00" "remaining"
for y in 2021-23 21-22 2027-28; do req PUT "/funds/$FUND/years/$y" "$ADMIN" '{"limit":"1.00","approved":true}'; ok "$STATUS $(j '.errors[0].field')" "422 financial_year" "bad year $y"; done
req PUT "/funds/$FUND/years/2021-22" "$ADMIN" '{"limit":"1.001","approved":true}'; ok "$STATUS $(j '.errors[0].field')" "422 limit" "3-place limit"
req GET "/funds/$FUND/years" "$OFF"; ok "$STATUS $(j .total) $(j '.items[0].committed')" "200 5 0.00" "years list"
# 3. Rounds, one open now, one upcoming
NOW=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
round() { echo "{\"name\":\"$1\",\"component\":\"$2\",\"opens_at\":\"$(iso $3)\",\"closes_at\":\"$(iso $4)\",\"financial_years\":[\"2025-26\",\"2026-27\"],\"min_request\":\"5000.00\",\"max_request\":\"60000.00\",\"max_applicant_income\":$5,\"assessments_required\":2,\"return_frequency\":\"quarterly\"}"; }
req POST "/funds/$FUND/rounds" "$ADMIN" "$(round Core core $((NOW-86400)) $((NOW+86400*30)) null)"; ok "$STATUS $(j .status)" "201 open" "open round"; ROUND=$(j .id)
req POST "/funds/$FUND/rounds" "$ADMIN" "$(round Small innovation $((NOW-86400)) $((NOW+86400*30)) '"100000.00"')"; SMALL=$(j .id)
req POST "/funds/$FUND/rounds" "$ADMIN" "$(round Later extension $((NOW+86400*10)) $((NOW+86400*40)) null)"; ok "$STATUS $(j .status)" "201 upcoming" "upcoming round"; LATER=$(j .id)
req POST "/funds/$FUND/rounds" "$ADMIN" "$(round Bad core $((NOW-86400)) $((NOW+86400)) null | jq -c '.financial_years=["2019-20"]')"; ok "$STATUS $(j '.errors[0].field')" "422 financial_years[0]" "round year not on fund"
req GET "/rounds"; ok "$STATUS $(j .total)" "200 2" "public lists open rounds"
req GET "/rounds?component=innovation"; ok "$(j '.items[0].id')" "$SMALL" "public component filter"
req GET "/rounds/$LATER"; ok "$STATUS" 404 "upcoming hidden from public"
req GET "/rounds" "$OFF"; ok "$(j .total)" 3 "staff see all"
req PATCH "/rounds/$ROUND" "$ADMIN" '{"name":"Renamed"}'; ok "$STATUS $(j .code)" "409 round_open" "open round name fixed"
req PATCH "/rounds/$ROUND" "$ADMIN" "{\"closes_at\":\"$(iso $((NOW+3600)))\"}"; ok "$STATUS $(j .code)" "409 round_open" "closing earlier refused"
req PATCH "/rounds/$ROUND" "$ADMIN" "{\"closes_at\":\"$(iso $((NOW+86400*35)))\",\"guidance\":\"Extended\"}"; ok "$STATUS $(j .guidance)" "200 Extended" "later close + guidance"
req PATCH "/rounds/$LATER" "$ADMIN" '{"name":"Extension 2026"}'; ok "$STATUS" 200 "upcoming round editable"
# 4. Criteria
req POST "/rounds/$ROUND/criteria" "$ADMIN" '{"name":"Need","weight":"0","max_score":101}'; ok "$STATUS $(j '[.errors[].field]|join(",")')" "422 weight,max_score" "criterion validation"
req POST "/rounds/$ROUND/criteria" "$ADMIN" '{"name":"Need and reach","weight":"0.40","max_score":5}'; ok "$STATUS $(j .weight)" "201 0.40" "criterion"; CRIT=$(j .id)
req PATCH "/criteria/$CRIT" "$ADMIN" '{"weight":"0.125"}'; ok "$(j .weight)" "0.125" "criterion edit"
req GET "/rounds/$ROUND/criteria"; ok "$STATUS $(j .total)" "200 1" "public criteria"
# 5. Applications
reg() { req POST /auth/register "" "{\"organisation\":{\"name\":\"$1\",\"type\":\"scio\",\"charity_number\":\"$2\",\"annual_income\":\"180000.00\",\"postcode\":\"KY1 1XX\",\"health_boards\":[\"fife\"],\"contact_email\":\"info@$3.example.org\"},\"user\":{\"name\":\"A\",\"email\":\"a@$3.example.org\",\"password\":\"a long passphrase 42\"}}"; login "a@$3.example.org" 'a long passphrase 42'; }
A=$(reg "Bumps Fife" SC012345 bumps); OTHER=$(reg "Other Org" SC054321 other)
req POST "/rounds/$ROUND/applications" "$A" '{"title":"Peer support"}'; ok "$STATUS $(j .status)" "201 draft" "draft"; APP=$(j .id)
req POST "/rounds/$ROUND/applications" "$A" '{"title":"Second"}'; ok "$STATUS $(j .code)" "409 application_exists" "one live per round"
req POST "/applications/$APP/submit" "$A"; ok "$STATUS $(j '.errors|length')" "422 12" "incomplete submit lists every field"
req PATCH "/applications/$APP" "$A" '{"summary":"s","description":"d","requested":{"2025-26":"4000.00","2024-25":"10000.00","2026-27":"70000.00"},"target_groups":["infants"],"health_boards":["fife"],"support_types":["peer_support"],"peer_support":true,"expected_reach":{"women":1,"partners":1,"infants":1,"families":1},"equality_impact":"e"}'; ok "$STATUS" 200 "fix draft"
req POST "/applications/$APP/submit" "$A"; ok "$STATUS $(j '[.errors[].field]|join(",")')" "422 requested.2024-25,requested.2025-26,requested.2026-27" "years and bounds at once"
req PATCH "/applications/$APP" "$A" '{"requested":{"2025-26":"40000.00","2026-27":"42000.00"}}'
req POST "/applications/$APP/submit" "$A"; ok "$STATUS $(j .status)" "200 submitted" "submit"
req PATCH "/applications/$APP" "$A" '{"title":"x"}'; ok "$STATUS $(j .code) $(j .detail | grep -c submitted)" "409 invalid_state 1" "edit after submit names state"
req POST "/rounds/$SMALL/applications" "$A" '{"title":"Small","summary":"s","description":"d","requested":{"2025-26":"10000.00"},"target_groups":["infants"],"health_boards":["fife"],"support_types":["digital"],"peer_support":false,"expected_reach":{"women":1,"partners":1,"infants":1,"families":1},"equality_impact":"e"}'; SAPP=$(j .id)
req POST "/applications/$SAPP/submit" "$A"; ok "$STATUS $(j '.errors[0].field')" "422 organisation.annual_income" "income ceiling"
for r in "GET /applications/$APP" "PATCH /applications/$APP" "POST /applications/$APP/submit" "POST /applications/$APP/withdraw"; do set -- $r; req $1 $2 "$OTHER" '{"title":"mine"}'; ok "$STATUS" 404 "other org: $r"; done
req GET "/applications?organisation_id=1" "$OTHER"; ok "$(j .total)" 0 "other org list"
req GET /applications "$OFF"; ok "$STATUS" 403 "officials none"
req GET "/applications?status=submitted&round_id=$ROUND" "$ADMIN"; ok "$(j .total)" 1 "admin filters"
req GET "/applications?per_page=101" "$ADMIN"; ok "$STATUS $(j '.errors[0].field')" "422 per_page" "per_page bound"
req POST "/applications/$APP/withdraw" "$A"; ok "$STATUS $(j .status)" "200 withdrawn" "withdraw"
req POST "/applications/$APP/withdraw" "$A"; ok "$STATUS $(j .code)" "409 invalid_state" "withdraw twice"
# 2 again: limit below committed (no awards yet: committed set in the database)
case "$DATABASE_URL" in
  postgres*) psql -q "$DATABASE_URL" -c "UPDATE fund_years SET committed_pence = 60000000 WHERE fund_id = $FUND AND financial_year = '2025-26'";;
  *) python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE fund_years SET committed_pence=60000000 WHERE fund_id=$FUND AND financial_year='2025-26'\"); c.commit()" "${DATABASE_URL#sqlite://}";;
esac
req PUT "/funds/$FUND/years/2025-26" "$ADMIN" '{"limit":"599999.99","approved":true}'; ok "$STATUS $(j .code)" "409 limit_below_committed" "limit below committed"
req PUT "/funds/$FUND/years/2025-26" "$ADMIN" '{"limit":"600000.00","approved":true}'; ok "$STATUS $(j .remaining)" "200 0.00" "limit equal to committed"
# 6, 7. Outbox and audit
req GET "/outbox?per_page=100" "$ADMIN"; ok "$(j '[.items[]|select(.kind=="application_received")|.recipient]|sort|join(",")')" "a@bumps.example.org,info@bumps.example.org" "receipts"
ok "$(j '[.items[]|select(.kind=="application_withdrawn")]|length')" 2 "withdrawal notices"
req GET "/audit?entity=application&entity_id=$APP" "$ADMIN"; ok "$(j '[.items[].action]|reverse|join(",")')" "created,updated,updated,submitted,withdrawn" "application audit"
req GET "/audit?entity=round&entity_id=$ROUND" "$ADMIN"; ok "$(j '[.items[].action]|reverse|join(",")')" "created,updated" "round audit"
req GET "/audit?entity=fund&entity_id=$FUND" "$ADMIN"; ok "$(j '[.items[].action]|map(select(.=="year_set"))|length')" 6 "limit changes audited (5 set, 1 refused, 1 equal)"
$BIN jobs run-once >/dev/null 2>&1; ok "$(ls "$MAIL_DIR" | wc -l)" 6 "mails written (2 welcomes, 2 receipts, 2 notices)"
kill -TERM $PID; wait $PID 2>/dev/null
echo "$DATABASE_URL: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
