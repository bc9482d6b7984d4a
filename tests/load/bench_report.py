#!/usr/bin/python3
"""The figures of one sitting of `make bench` (tests/load/bench.sh).

    tests/load/bench_report.py DIR

Reads DIR/meta.json, DIR/state.before and DIR/state.after (the machine's
/proc/stat and load average around the sitting) and DIR/runs/*.json (one
run each: wrk's figures from tests/load/bench.lua, the processes' CPU and
memory from tests/load/bench_sample.py, /proc/stat around the run). Writes
DIR/summary.json (every figure, per scenario and target) and DIR/report.md
(Markdown: the ratios to the other server first when there is one, then
each scenario's figures), and prints the report.

Per scenario and target, over its runs: req/s median and range, the medians
of p50 and p99 latency (wrk's, at the client), socket errors, 5xx and
unexpected answers (other than the scenario's success) summed, the median
CPU of the server's processes and of PostgreSQL in cores (CPU seconds per
second of the run), the median CPU per request (server + PostgreSQL), and
the highest peak resident memory of the server's processes, as RSS (the sum
of each process's resident pages, shared ones in every process) and as PSS
(shared pages divided among the processes that map them).
"""
import glob
import json
import os
import statistics
import sys

SCENARIOS = {
    "profile401": "GET /user/profile without a token (401)",
    "profile": "GET /user/profile with a token (200)",
    "login": "POST /auth/login (200)",
    "signup": "POST /auth/signup, a new address each (201)",
    "mixed": "signup-heavy mix (signup 2 : login 1 : profile 1)",
}
OURS = ("fastcgi", "cgi")


def cpu_fields(state):
    """(busy, steal, total) jiffies of a "cpu ..." line of /proc/stat."""
    f = [int(x) for x in state.split("|")[0].split()[1:9]]
    total = sum(f)
    idle = f[3] + f[4]
    return total - idle, f[7], total


def machine_between(before, after):
    b, a = cpu_fields(before), cpu_fields(after)
    total = max(1, a[2] - b[2])
    return {"busy_pct": round(100.0 * (a[0] - b[0]) / total, 1),
            "steal_pct": round(100.0 * (a[1] - b[1]) / total, 1),
            "load_before": before.split("|")[1], "load_after": after.split("|")[1],
            "seconds": round(float(after.split("|")[2]) - float(before.split("|")[2]), 1)}


def one_run(d):
    w, s = d["wrk"], d["sample"]
    st = {int(k): v for k, v in w["statuses"].items()}
    wall = max(s["wall_s"], 1e-3)
    elapsed, user, system, _ = d["wrk_time"].split()
    return {
        "run": d["run"],
        "requests": w["requests"],
        "rps": w["requests_per_s"],
        "p50_ms": w["latency_us"]["p50"] / 1000.0,
        "p90_ms": w["latency_us"]["p90"] / 1000.0,
        "p99_ms": w["latency_us"]["p99"] / 1000.0,
        "socket_errors": sum(w["socket_errors"].values()),
        "socket_errors_by_kind": w["socket_errors"],
        "statuses": w["statuses"],
        "non2xx": sum(v for k, v in st.items() if not 200 <= k < 300),
        "s5xx": sum(v for k, v in st.items() if 500 <= k < 600),
        "unexpected": w["unexpected"],
        "unexpected_samples": w["unexpected_samples"],
        "server_cores": s["server"]["cpu_s"] / wall,
        "pg_cores": s["pg"]["cpu_s"] / wall,
        "cpu_ms_per_request": 1000.0 * (s["server"]["cpu_s"] + s["pg"]["cpu_s"]) / max(1, w["requests"]),
        "server_rss_peak_mib": s["server"]["rss_peak_kib"] / 1024.0,
        "server_pss_peak_mib": s["server"].get("pss_peak_kib", 0) / 1024.0,
        "server_rss_by_name": s["server"].get("rss_by_name", {}),
        "server_pss_by_name": s["server"].get("pss_by_name", {}),
        "server_procs_peak": s["server"]["procs_peak"],
        "pg_rss_peak_mib": s["pg"]["rss_peak_kib"] / 1024.0,
        "wrk_cpu_s": float(user) + float(system),
        "machine": machine_between(d["before"], d["after"]),
    }


def aggregate(runs):
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {
        "runs": runs,
        "rps_median": med("rps"),
        "rps_min": min(r["rps"] for r in runs),
        "rps_max": max(r["rps"] for r in runs),
        "p50_ms": med("p50_ms"),
        "p99_ms": med("p99_ms"),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "s5xx": sum(r["s5xx"] for r in runs),
        "unexpected": sum(r["unexpected"] for r in runs),
        "server_cores": med("server_cores"),
        "pg_cores": med("pg_cores"),
        "cpu_ms_per_request": med("cpu_ms_per_request"),
        "server_rss_peak_mib": max(r["server_rss_peak_mib"] for r in runs),
        "server_pss_peak_mib": max(r["server_pss_peak_mib"] for r in runs),
        "pg_rss_peak_mib": max(r["pg_rss_peak_mib"] for r in runs),
        "steal_pct_median": statistics.median(r["machine"]["steal_pct"] for r in runs),
        "busy_pct_median": statistics.median(r["machine"]["busy_pct"] for r in runs),
    }


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ms(x):
    return f"{x:.0f} ms" if x >= 100 else f"{x:.1f} ms" if x >= 1 else f"{x:.2f} ms"


def ratio(x):
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def main(out):
    with open(f"{out}/meta.json") as f:
        meta = json.load(f)
    with open(f"{out}/state.before") as f:
        before = f.read().strip()
    with open(f"{out}/state.after") as f:
        after = f.read().strip()
    by = {}
    labels = {}
    for path in sorted(glob.glob(f"{out}/runs/*.json")):
        with open(path) as f:
            d = json.load(f)
        labels[d["target"]] = d["label"]
        by.setdefault(d["scenario"], {}).setdefault(d["target"], []).append(one_run(d))
    targets = [t for t in meta["targets"] if any(t in v for v in by.values())]
    summary = {"meta": meta, "machine": machine_between(before, after), "scenarios": {}}
    for sc, per in by.items():
        summary["scenarios"][sc] = {t: aggregate(sorted(r, key=lambda x: x["run"]))
                                    for t, r in per.items()}
    order = [s for s in SCENARIOS if s in by]
    peer = "peer" in targets
    ours = [t for t in OURS if t in targets]

    m = summary["machine"]
    lines = [f"# make bench, {meta['stamp']} (commit {meta['commit']}"
             f"{', with uncommitted changes' if meta['dirty'] == 'yes' else ''})", ""]
    lines.append(f"- machine: {meta['machine']}; load average {m['load_before']} before, "
                 f"{m['load_after']} after; over the sitting ({m['seconds']:.0f} s) CPU busy "
                 f"{m['busy_pct']} %, steal {m['steal_pct']} %")
    lines.append(f"- `wrk -t{meta['threads']} -c{meta['connections']} -d{meta['seconds']}s "
                 f"--timeout {meta['timeout']}s`"
                 f"{' (each thread on until it had an answer)' if meta.get('until_answered') else ''}, "
                 f"{meta['runs']} run(s) of each scenario, "
                 f"targets interleaved run by run; {meta['accounts']} accounts; "
                 f"{meta.get('fcgi_processes', '?')} FastCGI processes per program; "
                 f"{meta['apache']}, {meta['postgres']}, {meta['wrk']}")
    lines.append(f"- the programs' database connection: {meta.get('database', 'TCP, SCRAM-SHA-256')}")
    if peer:
        lines.append(f"- {meta['peer_name']}: {meta['peer_url']}")
    if meta.get("hash_ms"):
        cap = meta["cores"] * 1000.0 / meta["hash_ms"]
        login = [f"{labels[t]} {summary['scenarios']['login'][t]['rps_median'] / cap:.0%}"
                 for t in ours if t in summary["scenarios"].get("login", {})]
        lines.append(f"- one Argon2id hash at the default cost: {meta['hash_ms']} ms (argon2 CLI, "
                     f"median of 9), so {meta['cores']} cores hash at most {cap:.0f} per second"
                     + (f"; login req/s as a share of that: {', '.join(login)}" if login else ""))
    lines.append("")

    if peer and ours:
        pn = meta["peer_name"]
        lines += [f"## Ratios to {pn} (medians; above 1x is better for this project)", ""]
        head = "| scenario |" + "".join(f" {labels[t]} req/s |" for t in ours) + \
               "".join(f" {labels[t]} p99 |" for t in ours)
        lines += [head, "|---|" + "---:|" * (2 * len(ours))]
        ratios = {}
        for sc in order:
            p = summary["scenarios"][sc].get("peer")
            if not p:
                continue
            cells, rs = [], {}
            for t in ours:
                o = summary["scenarios"][sc].get(t)
                r = o["rps_median"] / p["rps_median"] if o and p["rps_median"] else None
                rs[f"{t}_rps"] = r
                cells.append(ratio(r) if r is not None else "-")
            for t in ours:
                o = summary["scenarios"][sc].get(t)
                r = p["p99_ms"] / o["p99_ms"] if o and o["p99_ms"] else None
                rs[f"{t}_p99"] = r
                cells.append(ratio(r) if r is not None else "-")
            ratios[sc] = rs
            lines.append(f"| {SCENARIOS[sc]} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(f"req/s: this project's / {pn}'s; p99: {pn}'s / this project's.")
        pr = summary["scenarios"].get("profile", {})
        if "peer" in pr:
            cells = []
            for t in ours:
                if t in pr:
                    r = pr[t]["server_rss_peak_mib"] / pr["peer"]["server_rss_peak_mib"]
                    ratios.setdefault("profile", {})[f"{t}_rss"] = r
                    rp = pr[t]["server_pss_peak_mib"] / max(1e-9, pr["peer"]["server_pss_peak_mib"])
                    ratios["profile"][f"{t}_pss"] = rp
                    cells.append(f"{labels[t]} {pr[t]['server_rss_peak_mib']:.0f} MiB "
                                 f"({r:.2f} of it; PSS {pr[t]['server_pss_peak_mib']:.0f} MiB, "
                                 f"{rp:.2f})")
            lines.append(f"Peak RSS of the server's processes under the profile run: {pn} "
                         f"{pr['peer']['server_rss_peak_mib']:.0f} MiB (PSS "
                         f"{pr['peer']['server_pss_peak_mib']:.0f} MiB); " + ", ".join(cells) + ".")
        summary["ratios"] = ratios
        lines.append("")

    lines += ["## Figures", "",
              "| scenario | server | req/s median [range] | p50 | p99 | socket errors | non-2xx "
              "| 5xx | unexpected | server CPU | PostgreSQL CPU | CPU per request | peak RSS | peak PSS |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for sc in order:
        for t in targets:
            a = summary["scenarios"][sc].get(t)
            if not a:
                continue
            lines.append(
                f"| {SCENARIOS[sc]} | {labels[t]} | {fmt_rate(a['rps_median'])} "
                f"[{fmt_rate(a['rps_min'])}-{fmt_rate(a['rps_max'])}] | {fmt_ms(a['p50_ms'])} "
                f"| {fmt_ms(a['p99_ms'])} | {a['socket_errors']} | {a['non2xx']} | {a['s5xx']} "
                f"| {a['unexpected']} | {a['server_cores']:.2f} | {a['pg_cores']:.2f} "
                f"| {a['cpu_ms_per_request']:.2f} ms | {a['server_rss_peak_mib']:.0f} MiB "
                f"| {a['server_pss_peak_mib']:.0f} MiB |")
    lines += ["",
              "Latency at the client (wrk). CPU in cores (CPU seconds per second of run) of the "
              "server's processes (Apache and the programs; for the other server, its processes) "
              "and of PostgreSQL (postmaster and backends); CPU per request: both together per "
              "answer. Peak RSS: the largest sum of the server's processes' resident memory at "
              "one sample (every 0.1 s), PostgreSQL apart, shared pages counted in every process "
              "that maps them; peak PSS: the same with each shared page divided among them "
              "(every 0.5 s), the memory they take together. Non-2xx includes the expected 401s; "
              "unexpected: answers other than the scenario's success."]
    # What the memory peak of the profile run is made of, per server.
    pr = summary["scenarios"].get("profile", {})
    if pr:
        lines += ["", "Peak memory of the profile run by process (the run with the highest peak): "
                  "command, processes, RSS / PSS:"]
        for t in targets:
            if t not in pr:
                continue
            run = max(pr[t]["runs"], key=lambda x: x["server_rss_peak_mib"])
            rss, pss = run["server_rss_by_name"], run["server_pss_by_name"]
            parts = []
            for name in sorted(rss, key=lambda n: -rss[n][1]):
                p = pss.get(name, [0, 0])[1] / 1024.0
                parts.append(f"{name} {rss[name][0]}, {rss[name][1] / 1024.0:.0f} / {p:.0f} MiB")
            lines.append(f"- {labels[t]}: " + "; ".join(parts))
    bad = [(sc, t, a["unexpected_samples"]) for sc in order for t in targets
           for a in summary["scenarios"][sc].get(t, {"runs": []})["runs"] if a["unexpected_samples"]]
    if bad:
        lines += ["", "Unexpected answers (first of each run):"]
        for sc, t, samples in bad:
            lines.append(f"- {sc} {labels[t]}: {samples[0]}")
    text = "\n".join(lines) + "\n"
    with open(f"{out}/report.md", "w") as f:
        f.write(text)
    with open(f"{out}/summary.json", "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("usage: bench_report.py DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
