#!/usr/bin/env bash
# Documents: upload and download throughput of a 5 MB file at 16 connections, next to `cp` of the
# same file on the same disk in the same run (the ratio is the figure), and the server's peak
# resident memory while 16 uploads of 10 MB run at once, next to its memory before them. The
# service runs in release on SQLite with the filesystem store, in a scratch folder.
#
#   bench/documents.sh [ROUNDS]
#
# ROUNDS (default 4) is how many files each of the 16 connections sends and reads. Run by hand;
# not part of CI, and not a timed test.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-4}
PORT=${BENCH_PORT:-18193}
C=16

cargo build --release --locked --quiet --bin grantfund
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/bench.db" MAIL_DIR="$work/mail" RUST_LOG=warn
export STORAGE_URL="file://$work/documents" BIND_ADDR="127.0.0.1:$PORT"
export MAX_UPLOAD_BYTES=$((11 * 1024 * 1024))
export OUTBOX_POLL_SECONDS=86400 REMINDER_POLL_SECONDS=86400
"$BIN" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done

python3 - "$PORT" "$server" "$work" "$C" "$ROUNDS" <<'PY'
import http.client, json, os, subprocess, sys, threading, time

port, pid, work, connections, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
MB = 1000 * 1000

def call(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    conn.request(method, path, body=body, headers=headers or {})
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, data

email = f"bench-{int(time.time())}@example.org"
status, body = call("POST", "/api/v1/auth/register", json.dumps({
    "organisation": {"name": "Bench Trust", "type": "community_group", "annual_income": "50000.00",
                     "postcode": "KY1 1XX", "health_boards": ["fife"], "contact_email": email},
    "user": {"name": "Bench User", "email": email, "password": "a bench passphrase of length"},
}), {"content-type": "application/json"})
assert status == 201, body
organisation = json.loads(body)["organisation"]["id"]
status, body = call("POST", "/api/v1/auth/login", json.dumps({"email": email, "password": "a bench passphrase of length"}),
                    {"content-type": "application/json"})
token = json.loads(body)["access_token"]

def pdf(size, seed):
    head = b"%PDF-1.7\n%" + seed.to_bytes(4, "big") + b"\n"
    block = os.urandom(64 * 1024)
    data = bytearray(head)
    while len(data) < size:
        data += block
    return bytes(data[:size])

boundary = "benchboundary7MA4YWxkTrZu0gW"
def form(data):
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nconstitution\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()

headers = {"authorization": f"Bearer {token}", "content-type": f"multipart/form-data; boundary={boundary}"}
path = f"/api/v1/organisations/{organisation}/documents"

def rss(field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0

def run_all(work_of):
    errors = []
    def worker(i):
        try:
            work_of(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for t in threads: t.start()
    for t in threads: t.join()
    if errors:
        sys.exit("failures: " + "; ".join(errors[:3]))
    return time.monotonic() - started

# 5 MB: upload, then download, at 16 connections.
five = [form(pdf(5 * MB, i)) for i in range(connections)]
ids = [None] * connections
def upload(i):
    for _ in range(rounds):
        status, body = call("POST", path, five[i], headers)
        assert status == 201, body[:200]
        ids[i] = json.loads(body)["id"]
elapsed = run_all(upload)
upload_mbs = connections * rounds * 5 / elapsed
def download(i):
    for _ in range(rounds):
        status, body = call("GET", f"/api/v1/documents/{ids[i]}/content", None, {"authorization": f"Bearer {token}"})
        assert status == 200 and len(body) == 5 * MB, (status, len(body))
elapsed = run_all(download)
download_mbs = connections * rounds * 5 / elapsed

# cp of the same 5 MB file on the same disk, as many times, one after the other and 16 at once.
source = os.path.join(work, "five.pdf")
with open(source, "wb") as f:
    f.write(pdf(5 * MB, 99))
def copy(i):
    for r in range(rounds):
        subprocess.run(["cp", source, os.path.join(work, f"copy-{i}-{r}.pdf")], check=True)
elapsed = run_all(copy)
cp_mbs = connections * rounds * 5 / elapsed

# Memory: 16 uploads of 10 MB at once.
ten = [form(pdf(10 * MB, 100 + i)) for i in range(connections)]
before_rss, before_peak = rss("VmRSS:"), rss("VmHWM:")
def upload_ten(i):
    status, body = call("POST", path, ten[i], headers)
    assert status == 201, body[:200]
elapsed = run_all(upload_ten)
after_peak = rss("VmHWM:")

print(f"5 MB upload,   {connections} connections: {upload_mbs:7.1f} MB/s   ({upload_mbs / cp_mbs:.2f} of cp)")
print(f"5 MB download, {connections} connections: {download_mbs:7.1f} MB/s   ({download_mbs / cp_mbs:.2f} of cp)")
print(f"cp of the same file, {connections} at once:  {cp_mbs:7.1f} MB/s")
print(f"16 uploads of 10 MB at once: {elapsed:.2f} s; server RSS before {before_rss:.0f} MiB "
      f"(peak so far {before_peak:.0f} MiB), peak during {after_peak:.0f} MiB "
      f"for {connections * 10} MB sent")
PY
