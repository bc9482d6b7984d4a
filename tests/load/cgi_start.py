#!/usr/bin/python3
"""What it costs to start each program as plain CGI, before any database work.

    tests/load/cgi_start.py [--runs N] [--no-callgrind] [--json FILE] CGI_DIR...

Runs every program of the first CGI_DIR (cgi-bin/*.cgi) RUNS times (default
200) as a web server would (a clean environment, REMOTE_ADDR 127.0.0.1, the
body on stdin), with a request each answers without a database:

    profile.cgi   GET, no Authorization              401
    openapi.cgi   GET                                200 (docs/openapi.json)
    health.cgi    GET, DATABASE_URL nobody listens on 503 (one refused connect)
    the others    POST {} as application/json         422 (fields missing)

The env file is written here (a random JWT_SECRET_KEY, MAIL_TRANSPORT=file
into a temporary directory): nothing else is needed, no PostgreSQL, no mail
server. Every run must answer that status, else the script fails.

Given more than one CGI_DIR (e.g. a build of an older commit, then cgi-bin),
the same programs of each are run in turn, one run of each before the next
round, so all are measured together on a machine whose load changes.

For each program and directory it prints:
  - objects: the shared objects mapped at start (ldd's lines: the libraries,
    the vDSO and ld.so itself), and in all by the end of the run (the same,
    plus the libraries loaded on first use: LD_DEBUG=files);
  - symbol relocs: relocations the loader resolved by symbol lookup, at
    start and on first use (LD_DEBUG=statistics, "final number of
    relocations");
  - instructions: user-space instructions of one run (valgrind --tool=callgrind,
    repeatable from run to run whatever the load; --no-callgrind skips it);
  - CPU: user + system time of one run, median over RUNS (wait4's rusage, what
    /usr/bin/time reports as %U + %S), and the total over all RUNS;
  - wall: elapsed time of one run, median;
  - peak RSS: /usr/bin/time's %M of one more run (this script's own children
    would report Python's size: a process keeps its peak across exec).
Writes the figures to FILE as JSON with --json.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

PATH = "/usr/local/bin:/usr/bin:/bin"
GET_PROGRAMS = {"profile.cgi": "401", "openapi.cgi": "200", "health.cgi": "503"}


def request(program, env_file):
    """(environment, body, wanted status) of the fixed request for program."""
    env = {
        "PATH": PATH,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SCRIPT_NAME": "/" + program,
        "REQUEST_URI": "/" + program,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "MEDICALCARE_ENV_FILE": env_file,
    }
    if program in GET_PROGRAMS:
        env["REQUEST_METHOD"] = "GET"
        return env, b"", GET_PROGRAMS[program]
    body = b"{}"
    env.update(REQUEST_METHOD="POST", CONTENT_TYPE="application/json",
               CONTENT_LENGTH=str(len(body)))
    return env, body, "422"


def run_measured(path, env, body, want):
    """One run: (CPU ms, wall ms); exits when the answer is not want."""
    start = time.monotonic()
    p = subprocess.Popen([path], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
               stderr=subprocess.DEVNULL)
    p.stdin.write(body)
    p.stdin.close()
    out = p.stdout.read()
    p.stdout.close()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    first = out.split(b"\n", 1)[0].decode(errors="replace").strip()
    if p.returncode != 0 or not first.startswith("Status: " + want + " "):
        sys.exit(f"{path}: exit status {p.returncode}, first line '{first}', "
                 f"want Status: {want}")
    return (usage.ru_utime + usage.ru_stime) * 1000.0, elapsed * 1000.0


def peak_rss(path, env, body, tmp):
    """Peak RSS in KiB of one run under /usr/bin/time, or None without it."""
    if not os.path.exists("/usr/bin/time"):
        return None
    out = os.path.join(tmp, "time.out")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, path], env=env, input=body,
                   capture_output=True, check=True)
    with open(out) as f:
        return int(f.read().split()[-1])


def objects(path, env):
    """How many shared objects the loader maps for path (ldd's lines)."""
    e = dict(env, LD_TRACE_LOADED_OBJECTS="1")
    out = subprocess.run([path], env=e, stdin=subprocess.DEVNULL, capture_output=True,
                         check=True).stdout.decode()
    return len([line for line in out.splitlines() if line.strip()])


def loader_trace(path, env, body, tmp):
    """(objects mapped in the run, symbol relocations), from the loader's own trace."""
    out = os.path.join(tmp, "ld")
    for f in os.listdir(tmp):
        if f.startswith("ld."):
            os.unlink(os.path.join(tmp, f))
    # To a file: the programs point stderr at /dev/null once they have answered.
    e = dict(env, LD_DEBUG="files,statistics", LD_DEBUG_OUTPUT=out)
    subprocess.run([path], env=e, input=body, capture_output=True)
    text = ""
    for f in os.listdir(tmp):
        if f.startswith("ld."):
            with open(os.path.join(tmp, f)) as fh:
                text += fh.read()
    files = set(re.findall(r"^\s*\d+:\s+file=(\S+) ", text, re.M))
    relocs = [int(n) for n in re.findall(r"final number of relocations: (\d+)", text)]
    if not relocs:
        relocs = [int(n) for n in re.findall(r"\s number of relocations: (\d+)", text)]
    # ld.so and the vDSO are not "file=" lines; ldd counts them.
    return len(files) + 2, max(relocs) if relocs else None


def instructions(path, env, body, tmp):
    """User-space instructions of one run under callgrind, or None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    out = os.path.join(tmp, "callgrind.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, path],
                       env=env, input=body, capture_output=True)
    m = re.search(r"Collected : (\d+)", r.stderr.decode())
    if os.path.exists(out):
        os.unlink(out)
    return int(m.group(1)) if m else None


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def main():
    ap = argparse.ArgumentParser(description="Start cost of each CGI program.")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("dirs", nargs="+", metavar="CGI_DIR")
    args = ap.parse_args()
    dirs = [os.path.abspath(d) for d in args.dirs]
    programs = sorted(p for p in os.listdir(dirs[0]) if p.endswith(".cgi"))
    if not programs:
        sys.exit(f"no *.cgi in {dirs[0]}")
    for d in dirs[1:]:
        missing = [p for p in programs if not os.path.exists(os.path.join(d, p))]
        if missing:
            sys.exit(f"{d} lacks {' '.join(missing)}")

    with tempfile.TemporaryDirectory(prefix="cgi-start.") as tmp:
        env_file = os.path.join(tmp, "start.env")
        with open(env_file, "w") as f:
            f.write(f"JWT_SECRET_KEY={secrets.token_hex(32)}\n"
                    "FRONTEND_URL=http://localhost:3000\n"
                    "MAIL_TRANSPORT=file\n"
                    f"MAIL_DIR={tmp}/mail\n"
                    # Port 9 (discard) on loopback: nobody listens, refused at once.
                    "DATABASE_URL=postgresql://medicalcare@127.0.0.1:9/medicalcare\n"
                    "DB_CONNECT_TIMEOUT=2\n")
        res = {d: {p: {"cpu": [], "wall": []} for p in programs} for d in dirs}
        for _ in range(args.runs):
            for p in programs:
                env, body, want = request(p, env_file)
                for d in dirs:
                    cpu, wall = run_measured(os.path.join(d, p), env, body, want)
                    res[d][p]["cpu"].append(cpu)
                    res[d][p]["wall"].append(wall)
        figures = {}
        for d in dirs:
            figures[d] = {}
            for p in programs:
                env, body, want = request(p, env_file)
                path = os.path.join(d, p)
                r = res[d][p]
                mapped, relocs = loader_trace(path, env, body, tmp)
                figures[d][p] = {
                    "status": want,
                    "runs": args.runs,
                    "objects": objects(path, env),
                    "objects_in_run": mapped,
                    "symbol_relocations": relocs,
                    "instructions": None if args.no_callgrind
                    else instructions(path, env, body, tmp),
                    "cpu_ms_median": round(median(r["cpu"]), 2),
                    "cpu_ms_total": round(sum(r["cpu"]), 1),
                    "wall_ms_median": round(median(r["wall"]), 2),
                    "max_rss_kib": peak_rss(path, env, body, tmp),
                }

    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"{args.runs} runs of each program, interleaved; CPU = user + system of one run")
    for d in dirs:
        print(f"\n{d}\n")
        print("| program (answer) | objects at start | in the run | symbol relocs | instructions "
              f"| CPU median | CPU, {args.runs} runs | wall median | peak RSS |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for p in programs:
            f = figures[d][p]
            ins = "-" if f["instructions"] is None else f"{f['instructions'] / 1e6:.2f} M"
            rss = "-" if f["max_rss_kib"] is None else f"{f['max_rss_kib'] / 1024:.1f} MiB"
            print(f"| {p} ({f['status']}) | {f['objects']} | {f['objects_in_run']} | "
                  f"{f['symbol_relocations']} | "
                  f"{ins} | {f['cpu_ms_median']:.2f} ms | {f['cpu_ms_total'] / 1000:.2f} s | "
                  f"{f['wall_ms_median']:.2f} ms | {rss} |")


if __name__ == "__main__":
    main()
