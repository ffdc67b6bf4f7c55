#!/usr/bin/env python3
"""Sets up a family-expenses fund with N/2 families, each with two certified claims of £300
against a cap of £500, so that only one of each pair can be approved, in a year whose limit fits
three quarters of the families; then fires all N approvals at once from C connections, as four
cash office users of each unit's board, and prints approvals per second, latency and the
answers.

Standard library only. Usage: claims.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD N C
"""

import concurrent.futures
import datetime
import json
import sys
import threading
import time

import bench_api

BASE, ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
N, C = int(sys.argv[4]), int(sys.argv[5])
FAMILIES = N // 2
CLAIM_PENCE = 30_000  # £300.00 a claim: four days of 450 miles at 15p and £7.50 of food
CAP = "500.00"
FITS = FAMILIES * 3 // 4  # families the year's limit pays one claim each
PASSWORD = "a long passphrase for the bench"
BOARDS = ("lothian", "greater_glasgow_and_clyde")
HOMES = ("lothian", "fife", "borders", "greater_glasgow_and_clyde", "lanarkshire",
         "ayrshire_and_arran", "highland", "western_isles")
CASH_OFFICES_PER_BOARD = 4

bench_api.configure(BASE)
call, connection, ok = bench_api.call, bench_api.connection, bench_api.ok


def login(email):
    return bench_api.login(email, PASSWORD)


def admin_with_factor():
    return bench_api.admin_with_factor(ADMIN_EMAIL, ADMIN_PASSWORD)


def days():
    """The admission and the eight days of visits: the last yesterday, all in one financial
    year (before 1 April's tenth day, the end of the year before), and that year."""
    end = datetime.date.today() - datetime.timedelta(days=1)
    year_start = datetime.date(end.year if end.month >= 4 else end.year - 1, 4, 1)
    if end - datetime.timedelta(days=9) < year_start:
        end = year_start - datetime.timedelta(days=1)
        year_start = datetime.date(year_start.year - 1, 4, 1)
    admitted = end - datetime.timedelta(days=9)
    visits = [admitted + datetime.timedelta(days=d) for d in range(1, 9)]
    return admitted, visits, end, year_start


def main():
    admitted, visits, end, year_start = days()
    year = f"{year_start.year}-{(year_start.year + 1) % 100:02d}"
    admin = admin_with_factor()
    fund = ok(call("POST", "/api/v1/funds", {
        "name": "Bench family fund", "code": "BENCHF", "kind": "family_expenses",
        "funder": {"name": "Scottish Government", "org_id": "GB-GOR-PC390"},
        "administrator": {"name": "Scottish Government", "org_id": "GB-GOR-PC390"},
        "currency": "GBP", "programme_start": f"{year_start.year - 1}-04-01",
        "programme_end": f"{year_start.year + 2}-03-31", "reach_target": 690}, admin), 201)["id"]
    limit = f"{FITS * CLAIM_PENCE // 100}.00"
    ok(call("PUT", f"/api/v1/funds/{fund}/years/{year}", {"limit": limit, "approved": True}, admin), 200)
    ok(call("PUT", f"/api/v1/funds/{fund}/rates/{year}", {
        "mileage_rate": "0.15", "food_rate": "7.50", "family_cap": CAP,
        "claim_window_months": 3, "flights_per_week": 2}, admin), 200)
    units, clinicians, cash_offices = [], [], []
    for b, board in enumerate(BOARDS):
        unit = ok(call("POST", f"/api/v1/funds/{fund}/units", {
            "name": f"Bench unit {b + 1}", "health_board": board,
            "wards": ["Mother and Baby Unit"], "provides_meals": False}, admin), 201)["id"]
        units.append(unit)
        email = f"bench-clinician{b + 1}@nhs.example.org"
        ok(call("POST", "/api/v1/users", {"name": f"Bench Clinician {b + 1}", "email": email,
                                          "role": "clinician", "unit_id": unit, "password": PASSWORD}, admin), 201)
        clinicians.append(login(email))
        offices = []
        for k in range(CASH_OFFICES_PER_BOARD):
            email = f"bench-cash{b + 1}-{k + 1}@nhs.example.org"
            ok(call("POST", "/api/v1/users", {"name": f"Bench Cash Office {b + 1}.{k + 1}", "email": email,
                                              "role": "cash_office", "health_board": board,
                                              "password": PASSWORD}, admin), 201)
            offices.append(login(email))
        cash_offices.append(offices)

    def family(n):
        """A claimant, the stay and two certified claims of four days each; gives the bodies of
        the two approvals, every line in full."""
        email = f"bench-family{n}@example.org"
        ok(call("POST", "/api/v1/auth/register-claimant",
                {"name": f"Bench Claimant {n}", "email": email, "password": PASSWORD}), 201)
        token = login(email)
        b = n % len(BOARDS)
        stay = ok(call("POST", "/api/v1/stays", {
            "unit_id": units[b], "woman": {"name": f"Bench Mother {n}", "date_of_birth": "1993-03-14"},
            "ward": "Mother and Baby Unit", "consultant": "Dr A. Reid",
            "admitted_on": admitted.isoformat(), "home_board": HOMES[n % len(HOMES)]}, token), 201)
        me = stay["visitors"][0]["id"]
        approvals = []
        for half in (visits[:4], visits[4:]):
            lines = []
            for day in half:
                lines.append({"visitor_id": me, "spent_on": day.isoformat(), "kind": "car", "miles": 450,
                              "together": True, "description": "Home to the unit and back"})
                lines.append({"visitor_id": me, "spent_on": day.isoformat(), "kind": "food"})
            claim = ok(call("POST", f"/api/v1/stays/{stay['id']}/claims", {"lines": lines}, token), 201)
            if claim["claimed"] != f"{CLAIM_PENCE // 100}.00":
                sys.exit(f"a claim came to £{claim['claimed']}, not £{CLAIM_PENCE // 100}.00")
            ok(call("POST", f"/api/v1/claims/{claim['id']}/submit", {}, token), 200)
            certified = ok(call("POST", f"/api/v1/claims/{claim['id']}/certify", {
                "resident_from": admitted.isoformat(), "resident_to": end.isoformat()}, clinicians[b]), 200)
            decision = {"lines": [{"line_id": line["id"], "outcome": "full"} for line in certified["lines"]]}
            approvals.append((claim["id"], b, decision))
        return approvals

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        pairs = list(pool.map(family, range(1, FAMILIES + 1)))
    print(f"set up {FAMILIES} families with {2 * FAMILIES} certified claims in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    # A family's two claims side by side, so that they are in flight at once, each approved by
    # another of the board's cash office users.
    approvals = [approval for pair in pairs for approval in pair]
    approvals = [(claim, cash_offices[b][k % CASH_OFFICES_PER_BOARD], decision)
                 for k, (claim, b, decision) in enumerate(approvals)]

    def approve(job):
        claim, token, decision = job
        began = time.perf_counter()
        status, body = call("POST", f"/api/v1/claims/{claim}/approve", decision, token)
        return status, (body or {}).get("code"), time.perf_counter() - began

    barrier = threading.Barrier(C)

    def warm(_):
        connection()
        barrier.wait()

    with concurrent.futures.ThreadPoolExecutor(C) as pool:
        list(pool.map(warm, range(C)))
        started = time.perf_counter()
        results = list(pool.map(approve, approvals))
        elapsed = time.perf_counter() - started

    approved = sum(1 for s, _, _ in results if s == 200)
    over_cap = sum(1 for s, c, _ in results if s == 409 and c == "family_cap_exceeded")
    over_limit = sum(1 for s, c, _ in results if s == 409 and c == "fund_limit_exceeded")
    other = len(results) - approved - over_cap - over_limit
    latencies = sorted(t for _, _, t in results)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    years = ok(call("GET", f"/api/v1/funds/{fund}/years", None, admin), 200)["items"]
    row = next(y for y in years if y["financial_year"] == year)
    committed = int(row["committed"].replace(".", ""))
    print(json.dumps({
        "approvals": len(results), "connections": C, "families": FAMILIES,
        "seconds": round(elapsed, 3), "approvals_per_second": round(len(results) / elapsed, 1),
        "approved": approved, "refused_family_cap": over_cap, "refused_fund_limit": over_limit,
        "other_answers": other, "p50_ms": round(p(0.50), 2), "p99_ms": round(p(0.99), 2),
        "fund": fund, "financial_year": year, "limit": row["limit"], "committed": row["committed"],
        "committed_matches_approvals": committed == approved * CLAIM_PENCE,
        "expected_approved": FITS,
    }))
    if other or approved != FITS or committed != approved * CLAIM_PENCE:
        sys.exit(1)


if __name__ == "__main__":
    main()
