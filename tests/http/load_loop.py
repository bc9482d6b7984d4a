#!/usr/bin/env python3
"""A bounded request loop for the FastCGI tests (tests/http/fastcgi.bats).

WORKERS threads each send one request at a time, on a new connection, to
127.0.0.1 for SECONDS seconds (and never more than MAX requests in all), and
every answer is recorded: one JSON line per request on stdout,
  {"start": <unix time>, "status": <code, or 0 when no answer came>,
   "email": <signup's address, or null>}
then exits 0. A request that gets no answer within 30 s counts as status 0.

  load_loop.py URL KIND [--seconds S] [--workers N] [--max N] [--token T]
               [--prefix P]

KIND: profile (GET /user/profile with the bearer token T), health
(GET /health), signup (POST /auth/signup, a new address each time:
P-<worker>-<n>@example.test).
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("kind", choices=["profile", "health", "signup"])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--max", type=int, default=20000)
    ap.add_argument("--token", default="")
    ap.add_argument("--prefix", default="load")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load_loop.py: only a server on this machine")
    port = u.port or 80
    end = time.time() + min(a.seconds, 60.0)
    lock = threading.Lock()
    results = []
    sent = [0]

    def one(worker, n):
        email = None
        headers = {"Connection": "close"}
        body = None
        if a.kind == "profile":
            method, path = "GET", "/user/profile"
            headers["Authorization"] = "Bearer " + a.token
        elif a.kind == "health":
            method, path = "GET", "/health"
        else:
            method, path = "POST", "/auth/signup"
            email = "%s-%d-%d@example.test" % (a.prefix, worker, n)
            body = json.dumps({"full_name": "Load Test", "email": email,
                               "password": "StrongPass123"})
            headers["Content-Type"] = "application/json"
        start = time.time()
        status = 0
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            r.read()
            status = r.status
            c.close()
        except (OSError, http.client.HTTPException):
            status = 0
        return {"start": round(start, 6), "status": status, "email": email}

    def loop(worker):
        n = 0
        while time.time() < end:
            with lock:
                if sent[0] >= a.max:
                    return
                sent[0] += 1
            n += 1
            r = one(worker, n)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in sorted(results, key=lambda r: r["start"]):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
