#!/usr/bin/python3
"""CPU and memory of a server's processes during one run of `make bench`.

    tests/load/bench_sample.py --out FILE [--interval SECS] [--pss-every N]
        [--pid PID]... [--exe-dir DIR]... [--pg-pid PID]

Samples /proc every --interval seconds (default 0.1) until SIGTERM or SIGINT,
then writes FILE (JSON) and exits 0. It writes FILE.ready after its first
sample, so a caller can start the load only then.

The server's processes: every --pid and its descendants, plus any process
whose executable lies in an --exe-dir (e.g. FastCGI processes that a
supervisor outside the server's tree started, and the parent of such a
process unless that parent is an ancestor of this sampler, as init is).
PostgreSQL's: --pg-pid (the postmaster) and its descendants (backends,
walwriter, ...), counted apart.

FILE holds, for "server" and "pg":
  cpu_s        CPU time (user + system) used between the first and the last
               sample: the processes alive at either sample, each with its
               children already waited for (so a CGI program or a backend
               that ran and ended in between counts, through its parent),
               plus processes found only through --exe-dir (orphans: their
               parent is init) by their own time while seen
  rss_peak_kib the largest sum of VmRSS over the processes at one sample
               (shared pages counted once per process, as `ps` does)
  pss_peak_kib the largest sum of their Pss (/proc/PID/smaps_rollup: each
               shared page divided among the processes that map it, so the
               sum is the memory they take together), read every
               --pss-every samples (default 5: it costs more to read)
  procs_peak   the most processes at one sample
  rss_by_name  at the sample of the peak RSS: {command name: [processes,
               KiB]}, what the peak is made of (pss_by_name: the same for
               the peak PSS)
and wall_s (first to last sample), samples.
"""
import argparse
import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def read_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def by_name(values):
    """{comm: [processes, KiB]} of {pid: KiB}."""
    out = {}
    for pid, kib in values.items():
        e = out.setdefault(read_comm(pid), [0, 0])
        e[0] += 1
        e[1] += kib
    return out


def read_stat(pid):
    """(ppid, own ticks, children's ticks) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces or ")".
    rest = data[data.rindex(b")") + 2:].split()
    # Fields from 3 (state): ppid is 4, utime 14, stime 15, cutime 16, cstime 17.
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def read_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def read_pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def exe_in(pid, dirs):
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return any(exe.startswith(d) for d in dirs)


def ancestors(pid):
    out = set()
    while pid > 1:
        s = read_stat(pid)
        if s is None:
            break
        out.add(pid)
        pid = s[0]
    out.add(1)
    return out


class Group:
    """The processes of one side (server or PostgreSQL) over the run."""

    def __init__(self):
        self.first = 0  # ticks of the tree (incl. waited-for children) at the first sample
        self.last = 0
        self.orphans = {}  # pid -> [ticks when first seen, ticks when last seen]
        self.rss_peak = 0
        self.pss_peak = 0
        self.rss_by_name = {}
        self.pss_by_name = {}
        self.procs_peak = 0


def scan():
    """pid -> (ppid, ticks, child ticks) of every process now."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            s = read_stat(int(name))
            if s is not None:
                procs[int(name)] = s
    return procs


def tree_of(roots, procs, children):
    """roots that are alive and all their descendants."""
    tree = set()
    todo = [p for p in roots if p in procs]
    while todo:
        p = todo.pop()
        if p not in tree:
            tree.add(p)
            todo.extend(children.get(p, []))
    return tree


def exe_extra(procs, tree, exe_dirs, mine):
    """The --exe-dir processes outside tree, and their parents (unless the
    parent is ours, as init is)."""
    extra = set()
    for pid, (ppid, _, _) in procs.items():
        if pid in tree or pid in mine or not exe_in(pid, exe_dirs):
            continue
        extra.add(pid)
        if ppid not in mine and ppid not in tree:
            extra.add(ppid)
    return extra


def sample(group, procs, tree, extra, first, pss):
    ticks = sum(procs[p][1] + procs[p][2] for p in tree)
    if first:
        group.first = ticks
    group.last = ticks
    for p in extra:
        own = procs[p][1]
        if p in group.orphans:
            group.orphans[p][1] = own
        else:
            # Alive at the first sample: counted from there; appearing
            # later: all its time is of the run.
            group.orphans[p] = [own if first else 0, own]
    every = tree | extra
    rss = {p: read_rss_kib(p) for p in every}
    if sum(rss.values()) > group.rss_peak:
        group.rss_peak = sum(rss.values())
        group.rss_by_name = by_name(rss)
    group.procs_peak = max(group.procs_peak, len(every))
    if pss:
        v = {p: read_pss_kib(p) for p in every}
        if sum(v.values()) > group.pss_peak:
            group.pss_peak = sum(v.values())
            group.pss_by_name = by_name(v)


def result(group):
    ticks = (group.last - group.first) + sum(b - a for a, b in group.orphans.values())
    return {"cpu_s": round(ticks / TICK, 3), "rss_peak_kib": group.rss_peak,
            "pss_peak_kib": group.pss_peak, "procs_peak": group.procs_peak,
            "rss_by_name": group.rss_by_name, "pss_by_name": group.pss_by_name}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--pid", type=int, action="append", default=[])
    ap.add_argument("--exe-dir", action="append", default=[])
    ap.add_argument("--pg-pid", type=int, action="append", default=[])
    ap.add_argument("--pss-every", type=int, default=5)
    a = ap.parse_args()
    exe_dirs = [os.path.realpath(d).rstrip("/") + "/" for d in a.exe_dir]
    mine = ancestors(os.getpid())

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    server, pg = Group(), Group()
    t0 = time.monotonic()
    n = 0
    while True:
        procs = scan()
        children = {}
        for pid, (ppid, _, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        tree = tree_of(a.pid, procs, children)
        extra = exe_extra(procs, tree, exe_dirs, mine) if exe_dirs else set()
        pss = n % max(1, a.pss_every) == 0 or bool(stop)
        sample(server, procs, tree, extra, n == 0, pss)
        sample(pg, procs, tree_of(a.pg_pid, procs, children), set(), n == 0, pss)
        n += 1
        t1 = time.monotonic()
        if n == 1:
            with open(a.out + ".ready", "w") as f:
                f.write("1\n")
        if stop:
            break
        time.sleep(max(0.0, a.interval - (time.monotonic() - t1)))
    with open(a.out, "w") as f:
        json.dump({"wall_s": round(t1 - t0, 3), "samples": n, "server": result(server),
                   "pg": result(pg)}, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
