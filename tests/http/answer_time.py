#!/usr/bin/env python3
"""Whether an endpoint's answer time tells known addresses from unknown ones.

Usage: answer_time.py URL PATH KNOWN_FILE UNKNOWN_FILE SINK_DIR [RUNS] [PER_RUN]

POSTs {"email": ...} to URL+PATH for addresses of two kinds, one a line in
KNOWN_FILE (accounts that get mail) and UNKNOWN_FILE (no account): RUNS runs
(default 3) of PER_RUN requests (default 30) of each kind. The runs are
interleaved: each step sends one request of every run of both kinds (2 x
RUNS requests) in a random order, each on a new connection as a browser's
first request would be, so the machine's drift weighs on every run alike.
At the end it waits until every known address's mail reached the SMTP sink
(SINK_DIR holds one message more for each), so the mail did go out.

The answer time is from sending the request to the last byte of the answer.
It prints every run's median and then one line

    gap G ms, noise N ms, limit L ms: PASS|FAIL

where G is the difference between the medians of all known and all unknown
requests, and N the largest difference between the medians of two runs of
the same kind: what the machine's noise alone does to a median. The check
fails when G exceeds L = 1.5 N + 0.25 ms (the margin keeps the chance of a
failure without any real gap near 1 in 10,000; delivering the mail before
the answer makes a gap of several times N). Exit status 0 on PASS, 1 on
FAIL, 2 on a usage or request error.
"""

import http.client
import json
import os
import random
import statistics
import sys
import time
import urllib.parse


def post(url, path, email):
    """One request on a new connection; returns (status, seconds)."""
    u = urllib.parse.urlsplit(url)
    body = json.dumps({"email": email}).encode()
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    try:
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0
    finally:
        conn.close()


def messages(sink):
    return sum(1 for n in os.listdir(sink) if n.endswith(".eml"))


def wait_for_mail(sink, want, seconds=15.0):
    end = time.monotonic() + seconds
    while messages(sink) < want:
        if time.monotonic() > end:
            raise RuntimeError("no mail reached the sink within %.0f s" % seconds)
        time.sleep(0.005)


def main(argv):
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    url, path, known_file, unknown_file, sink = argv[1:6]
    runs = int(argv[6]) if len(argv) > 6 else 3
    per_run = int(argv[7]) if len(argv) > 7 else 30
    known = [line.strip() for line in open(known_file) if line.strip()]
    unknown = [line.strip() for line in open(unknown_file) if line.strip()]
    need = runs * per_run + 3
    if len(known) < need or len(unknown) < need:
        print("answer_time: need %d addresses of each kind" % need, file=sys.stderr)
        return 2
    rng = random.Random(os.environ.get("MC_TIMING_SEED"))
    times = {"known": [[] for _ in range(runs)], "unknown": [[] for _ in range(runs)]}
    mails = messages(sink)

    def one(kind, email, run):
        nonlocal mails
        status, secs = post(url, path, email)
        if status != 200:
            raise RuntimeError("%s %s answered %d" % (kind, email, status))
        if kind == "known":
            mails += 1
        if run is not None:
            times[kind][run].append(secs * 1000.0)

    try:
        # Warm-up (the programs' pages, the server's processes): not counted.
        for i in range(3):
            one("known", known.pop(), None)
            one("unknown", unknown.pop(), None)
        for i in range(per_run):
            step = [(kind, r) for kind in ("known", "unknown") for r in range(runs)]
            rng.shuffle(step)
            for kind, r in step:
                one(kind, known.pop() if kind == "known" else unknown.pop(), r)
        wait_for_mail(sink, mails, 60.0)
    except (OSError, RuntimeError, http.client.HTTPException) as e:
        print("answer_time: %s" % e, file=sys.stderr)
        return 2

    med = {k: [statistics.median(run) for run in v] for k, v in times.items()}
    for kind in ("known", "unknown"):
        print("%-7s run medians (ms): %s" % (kind, " ".join("%.2f" % m for m in med[kind])))
    noise = max(abs(a - b) for k in med for i, a in enumerate(med[k]) for b in med[k][i + 1:])
    everything = {k: statistics.median([t for run in v for t in run]) for k, v in times.items()}
    gap = abs(everything["known"] - everything["unknown"])
    limit = 1.5 * noise + 0.25
    ok = gap <= limit
    print("known median %.2f ms, unknown median %.2f ms" % (everything["known"], everything["unknown"]))
    print("gap %.2f ms, noise %.2f ms, limit %.2f ms: %s" % (gap, noise, limit, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
