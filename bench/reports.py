#!/usr/bin/env python3
"""Measures each officials' report one request at a time (no queueing) and prints, per report
as JSON lines, the first request (the report computed) and p50 and p99 of the rest (the report
kept), with GET /health as the HTTP baseline of the same run.

Standard library only. Usage: reports.py BASE_URL EMAIL PASSWORD FUND_ID YEAR REQUESTS
"""

import http.client
import json
import sys
import time
import urllib.parse

BASE, EMAIL, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
FUND, YEAR, REQUESTS = sys.argv[4], sys.argv[5], int(sys.argv[6])
WARM_UP = 5

url = urllib.parse.urlparse(BASE)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


status, body = call("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
if status != 200:
    sys.exit(f"login: {status} {body[:200]!r}")
token = json.loads(body)["access_token"]


def percentile(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


def measure(name, path):
    timings = []
    first = None
    size = 0
    for i in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        status, body = call("GET", path, token=None if path == "/health" else token)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            sys.exit(f"{name}: {status} {body[:300]!r}")
        if first is None:
            first = elapsed
        if i >= WARM_UP:
            timings.append(elapsed)
        size = len(body)
    timings.sort()
    print(json.dumps({
        "report": name,
        "first_ms": round(first, 2),
        "p50_ms": round(percentile(timings, 50), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "bytes": size,
    }), flush=True)


base = f"/api/v1/reports/funds/{FUND}"
measure("health (baseline)", "/health")
for name, path in [
    ("summary", f"{base}/summary"),
    ("summary one year", f"{base}/summary?financial_year={YEAR}"),
    ("by-health-board", f"{base}/by-health-board"),
    ("by-health-board one year", f"{base}/by-health-board?financial_year={YEAR}"),
    ("by-target-group", f"{base}/by-target-group"),
    ("reach", f"{base}/reach"),
    ("feedback", f"{base}/feedback"),
]:
    measure(name, path)
    measure(name + " csv", path + ("&" if "?" in path else "?") + "format=csv")
