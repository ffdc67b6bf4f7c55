#!/usr/bin/env python3
"""Sets up a fund year that fits half of N ready applications, then fires every decision at
once from C connections and prints decisions per second, latency and the over-commit count.

Standard library only. Usage: decisions.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD N C
"""

import concurrent.futures
import datetime
import json
import statistics
import sys
import threading
import time

import bench_api

BASE, ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
N, C = int(sys.argv[4]), int(sys.argv[5])
AMOUNT_PENCE = 100_000  # £1,000.00 a decision
FITS = N // 2
PASSWORD = "a long passphrase for the bench"

bench_api.configure(BASE)
call, connection, ok = bench_api.call, bench_api.connection, bench_api.ok


def login(email):
    return bench_api.login(email, PASSWORD if email != ADMIN_EMAIL else ADMIN_PASSWORD)


def admin_with_factor():
    return bench_api.admin_with_factor(ADMIN_EMAIL, ADMIN_PASSWORD)


def main():
    admin = admin_with_factor()
    now = datetime.datetime.now(datetime.timezone.utc)
    fund = ok(call("POST", "/api/v1/funds", {
        "name": "Bench fund", "code": "BENCH",
        "funder": {"name": "Scottish Government", "org_id": "GB-GOR-PC390"},
        "administrator": {"name": "Inspiring Scotland", "org_id": "GB-SC-SC040887"},
        "currency": "GBP", "programme_start": "2020-08-01", "programme_end": "2023-03-31",
        "reach_target": 11000}, admin), 201)["id"]
    limit = f"{FITS * AMOUNT_PENCE // 100}.00"
    for year, value in (("2021-22", limit), ("2022-23", "1000000.00")):
        ok(call("PUT", f"/api/v1/funds/{fund}/years/{year}", {"limit": value, "approved": True}, admin), 200)
    round_id = ok(call("POST", f"/api/v1/funds/{fund}/rounds", {
        "name": "Bench round", "component": "core",
        "opens_at": (now - datetime.timedelta(days=1)).isoformat(),
        "closes_at": (now + datetime.timedelta(days=30)).isoformat(),
        "financial_years": ["2021-22", "2022-23"], "min_request": "500.00",
        "max_request": "60000.00", "max_applicant_income": None,
        "assessments_required": 1, "return_frequency": "quarterly"}, admin), 201)["id"]
    criterion = ok(call("POST", f"/api/v1/rounds/{round_id}/criteria",
                        {"name": "Merit", "weight": "1", "max_score": 10}, admin), 201)["id"]
    assessor_email = "bench-assessor@panel.example.org"
    assessor = ok(call("POST", "/api/v1/users", {"name": "Bench Assessor", "email": assessor_email,
                                                  "role": "assessor", "password": PASSWORD}, admin), 201)["id"]
    assessor_token = login(assessor_email)

    def ready(n):
        email = f"bench{n}@example.org"
        organisation = ok(call("POST", "/api/v1/auth/register", {
            "organisation": {"name": f"Bench charity {n}", "type": "charity",
                             "charity_number": f"SC{n:06d}", "annual_income": "100000.00",
                             "postcode": "EH1 1AA", "health_boards": ["lothian"],
                             "contact_email": email},
            "user": {"name": "Bench Applicant", "email": email, "password": PASSWORD}}), 201)["organisation"]["id"]
        token = login(email)
        ok(call("POST", f"/api/v1/organisations/{organisation}/verify", {}, admin), 200)
        application = ok(call("POST", f"/api/v1/rounds/{round_id}/applications", {
            "title": f"Bench project {n}", "summary": "Peer support.", "description": "Groups.",
            "requested": {"2021-22": "1000.00"}, "target_groups": ["infants"],
            "health_boards": ["lothian"], "support_types": ["peer_support"], "peer_support": True,
            "expected_reach": {"women": 10, "partners": 2, "infants": 8, "families": 10},
            "equality_impact": "Reaches families in deprived areas."}, token), 201)["id"]
        ok(call("POST", f"/api/v1/applications/{application}/submit", {}, token), 200)
        assignment = ok(call("POST", f"/api/v1/applications/{application}/assignments",
                             {"assessor_id": assessor}, admin), 201)["id"]
        ok(call("POST", f"/api/v1/assignments/{assignment}/conflict-declaration",
                {"has_conflict": False}, assessor_token), 200)
        ok(call("PUT", f"/api/v1/assignments/{assignment}/scores",
                {"scores": [{"criterion_id": criterion, "score": 7}]}, assessor_token), 200)
        ok(call("POST", f"/api/v1/assignments/{assignment}/submit", {}, assessor_token), 200)
        return application

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        applications = list(pool.map(ready, range(1, N + 1)))
    print(f"set up {N} assessed applications in {time.monotonic() - started:.1f} s", file=sys.stderr)

    def decide(application):
        began = time.perf_counter()
        status, body = call("POST", f"/api/v1/applications/{application}/decision",
                            {"decision": "award", "amounts": {"2021-22": "1000.00"}}, admin)
        return status, (body or {}).get("code"), time.perf_counter() - began

    barrier = threading.Barrier(C)

    def warm(_):
        connection()
        barrier.wait()

    with concurrent.futures.ThreadPoolExecutor(C) as pool:
        list(pool.map(warm, range(C)))
        started = time.perf_counter()
        results = list(pool.map(decide, applications))
        elapsed = time.perf_counter() - started

    awarded = sum(1 for s, _, _ in results if s == 201)
    refused = sum(1 for s, c, _ in results if s == 409 and c == "fund_limit_exceeded")
    other = len(results) - awarded - refused
    latencies = sorted(t for _, _, t in results)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    years = ok(call("GET", f"/api/v1/funds/{fund}/years", None, admin), 200)["items"]
    year = next(y for y in years if y["financial_year"] == "2021-22")
    committed = int(year["committed"].replace(".", ""))
    limit_pence = int(year["limit"].replace(".", ""))
    over_commit = max(0, committed - limit_pence) // AMOUNT_PENCE
    mismatch = committed != awarded * AMOUNT_PENCE
    print(json.dumps({
        "decisions": len(results), "connections": C, "seconds": round(elapsed, 3),
        "decisions_per_second": round(len(results) / elapsed, 1),
        "awarded": awarded, "refused_over_limit": refused, "other_answers": other,
        "p50_ms": round(p(0.50), 2), "p99_ms": round(p(0.99), 2),
        "limit": year["limit"], "committed": year["committed"],
        "over_commit": over_commit, "committed_matches_awards": not mismatch,
    }))
    if over_commit or mismatch or awarded != FITS or other:
        sys.exit(1)


if __name__ == "__main__":
    main()
