"""The service's API as the benchmarks call it: one keep-alive connection a thread, sent again on
a dropped connection; answers checked against the statuses expected; and the bench's
administrator signed in with a second factor, which setting a year's limit needs.

Standard library only. Call `configure(BASE_URL)` first.
"""

import base64
import hashlib
import hmac
import http.client
import json
import struct
import sys
import threading
import time
import urllib.parse

_local = threading.local()
_base = None


def configure(base):
    global _base
    _base = urllib.parse.urlparse(base)


def connection():
    if not hasattr(_local, "conn"):
        _local.conn = http.client.HTTPConnection(_base.hostname, _base.port, timeout=120)
    return _local.conn


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body)
    for attempt in range(3):
        conn = connection()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read()
            return response.status, (json.loads(text) if text else None)
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            del _local.conn
            if attempt == 2:
                raise


def ok(result, *expected):
    status, body = result
    if status not in expected:
        sys.exit(f"unexpected {status}: {body}")
    return body


def login(email, password):
    return ok(call("POST", "/api/v1/auth/login", {"email": email, "password": password}), 200)["access_token"]


def totp(secret):
    """The RFC 6238 code of this moment for a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def admin_with_factor(email, password):
    """Signs the administrator in with a second factor: it enrols one, then waits for the next
    code (each is spent once) and signs in with it."""
    token = login(email, password)
    secret = ok(call("POST", "/api/v1/me/mfa", None, token), 201)["secret"]
    ok(call("POST", "/api/v1/me/mfa/confirm", {"code": totp(secret)}, token), 200)
    time.sleep(30.5 - time.time() % 30)
    challenge = ok(call("POST", "/api/v1/auth/login", {"email": email, "password": password}), 200)["challenge"]
    signed_in = {"challenge": challenge, "code": totp(secret)}
    return ok(call("POST", "/api/v1/auth/login/mfa", signed_in), 200)["access_token"]
