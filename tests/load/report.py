#!/usr/bin/python3
"""Figures of one load run (tests/load/mix.lua under wrk), from its output dir.

    tests/load/report.py DIR

Reads DIR/wrk.json and DIR/counts.tsv (written by mix.lua's done()),
DIR/access.log (the Apache access log lines of the run, format "timed" of
apache/local.conf.in: the last field is %D, microseconds) and DIR/meta.json
(the run's settings, written by tests/http/load.bats). Writes DIR/summary.json
(every figure, for the test's assertions) and DIR/report.md (a Markdown table
for docs/BENCHMARKS.md), and prints the report.
"""
import json
import re
import sys
from collections import defaultdict

CLASSES = {"/auth/login": "login", "/user/profile": "profile", "/auth/signup": "signup"}
LINE = re.compile(r'"(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "[^"]*" (\d+)$')


def percentile(values, p):
    """Nearest-rank percentile of sorted values (0 when empty)."""
    if not values:
        return 0
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def main(out):
    with open(f"{out}/wrk.json") as f:
        wrk = json.load(f)
    with open(f"{out}/meta.json") as f:
        meta = json.load(f)
    counts = defaultdict(int)
    with open(f"{out}/counts.tsv") as f:
        for line in f:
            _, key, value = line.rstrip("\n").split("\t")
            counts[key] += int(value)

    per = {c: {"statuses": defaultdict(int), "us": []} for c in CLASSES.values()}
    other = defaultdict(int)
    with open(f"{out}/access.log") as f:
        for line in f:
            m = LINE.search(line.rstrip("\n"))
            if not m:
                other["unparsed"] += 1
                continue
            path, status, us = m.group(2), m.group(3), int(m.group(4))
            c = CLASSES.get(path)
            if c is None:
                other[path] += 1
                continue
            per[c]["statuses"][status] += 1
            per[c]["us"].append(us)

    active = meta["active_seconds"]
    endpoints = {}
    for c, d in per.items():
        us = sorted(d["us"])
        endpoints[c] = {
            "requests": len(us),
            "per_second": round(len(us) / active, 2) if active > 0 else 0,
            "statuses": dict(d["statuses"]),
            "ms": {k: round(percentile(us, p) / 1000.0, 1)
                   for k, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        }
    total = sum(e["requests"] for e in endpoints.values())
    log_5xx = sum(n for e in endpoints.values() for s, n in e["statuses"].items() if s[0] == "5")
    summary = {
        "meta": meta,
        "wrk": wrk,
        "counts": dict(counts),
        "endpoints": endpoints,
        "other_log_lines": dict(other),
        "log_requests": total,
        "log_5xx": log_5xx,
        "log_per_second": round(total / active, 2) if active > 0 else 0,
        "socket_errors": sum(wrk["errors"][k] for k in ("connect", "read", "write", "timeout")),
    }
    with open(f"{out}/summary.json", "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")

    lat = wrk["latency_us"]
    ms = lambda v: f"{v / 1000.0:.0f} ms"
    e = wrk["errors"]
    lines = [
        f"wrk -t {meta['threads']} -c {meta['connections']}, mix login:profile:signup "
        f"{meta['mix']}: requests for {active:.1f} s, then wrk stopped once all were answered "
        f"({wrk['duration_us'] / 1e6:.1f} s in all); Argon2id m={meta['argon2_memory_kib']} KiB "
        f"t={meta['argon2_iterations']} p={meta['argon2_parallelism']}",
        "",
        "| endpoint | requests | req/s | p50 | p90 | p99 | max | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in ("login", "profile", "signup"):
        d = endpoints[c]
        st = ", ".join(f"{k}: {v}" for k, v in sorted(d["statuses"].items()))
        lines.append(f"| {c} | {d['requests']} | {d['per_second']} | {d['ms']['p50']} ms | "
                     f"{d['ms']['p90']} ms | {d['ms']['p99']} ms | {d['ms']['max']} ms | {st} |")
    lines.append(f"| all | {total} | {summary['log_per_second']} | | | | | 5xx: {log_5xx} |")
    lines += [
        "",
        "(per endpoint: req/s over the requests phase; latency = the time Apache took, "
        "%D of its access log)",
        "",
        f"wrk: {wrk['requests']} requests in {wrk['duration_us'] / 1e6:.1f} s; latency "
        f"p50 {ms(lat['p50'])}, p75 {ms(lat['p75'])}, p90 {ms(lat['p90'])}, "
        f"p99 {ms(lat['p99'])}, max {ms(lat['max'])}; socket errors: connect {e['connect']}, "
        f"read {e['read']}, write {e['write']}, timeout {e['timeout']}; "
        f"status >= 400: {e['status']}",
        f"signups: {counts['sent_signup']} sent, {counts['ok_signup']} answered 201, "
        f"{meta.get('accounts_created', '?')} accounts created, "
        f"{meta.get('duplicate_emails', '?')} addresses twice; mail: "
        f"{meta.get('mail_sent_inline', '?')} delivered during the request, "
        f"{meta.get('mail_pending', '?')} left queued",
    ]
    if "cgi_max_rss_kib" in meta:
        lines.append("peak RSS of one run as CGI: " + ", ".join(
            f"{k} {v} KiB" for k, v in sorted(meta["cgi_max_rss_kib"].items())))
    text = "\n".join(lines) + "\n"
    with open(f"{out}/report.md", "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py DIR")
    main(sys.argv[1])
