#!/usr/bin/python3
"""Single-request cost of the programs run directly as CGI (no web server).

    tests/load/cgi_cost.py CGI_DIR ENV_FILE TOKEN RUNS OUT_JSON

Runs login.cgi (account load-user-1@example.test, password StrongPass123),
profile.cgi (Bearer TOKEN) and signup.cgi (a new address each run) RUNS times
each, one after the other, as a web server would (a clean environment,
REMOTE_ADDR 127.0.0.1, MEDICALCARE_ENV_FILE=ENV_FILE, the body on stdin).
For each program: the wall time of each run (median, p90, min), its CPU time
(user + system, median) and the peak resident memory of the process
(ru_maxrss of wait4, the largest over the runs).
Every run must answer its success status (login 200, profile 200, signup 201),
else the script fails. Writes OUT_JSON and prints a Markdown table.
"""
import json
import os
import subprocess
import sys
import time


def run(cgi_dir, env_file, program, method, body, extra):
    """One run: (stdout, seconds, peak RSS in KiB from wait4)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "/cgi-bin/" + program,
        "REQUEST_URI": "/cgi-bin/" + program,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "MEDICALCARE_ENV_FILE": env_file,
    }
    env.update(extra)
    data = body.encode() if body is not None else b""
    if body is not None:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(data))
    start = time.monotonic()
    p = subprocess.Popen([os.path.join(cgi_dir, program)], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(data)
    p.stdin.close()
    out = p.stdout.read()
    p.stdout.close()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{program}: exit status {p.returncode}")
    return out, elapsed, usage.ru_maxrss, (usage.ru_utime + usage.ru_stime) * 1000.0


def main(cgi_dir, env_file, token, runs, out_json):
    results = {}
    stamp = f"{os.getpid()}-{int(time.time())}"
    cases = {
        "login.cgi": ("POST", lambda i: '{"email":"load-user-1@example.test",'
                      '"password":"StrongPass123"}', {}, "200"),
        "profile.cgi": ("GET", lambda i: None, {"HTTP_AUTHORIZATION": "Bearer " + token}, "200"),
        "signup.cgi": ("POST", lambda i: '{"full_name":"Cost Test","email":"cost-%s-%d@example.test",'
                       '"password":"StrongPass123"}' % (stamp, i), {}, "201"),
    }
    for program, (method, body, extra, want) in cases.items():
        times, cpu, rss = [], [], 0
        for i in range(runs):
            out, elapsed, kib, cpu_ms = run(cgi_dir, env_file, program, method, body(i), extra)
            rss = max(rss, kib)
            cpu.append(cpu_ms)
            first = out.split(b"\n", 1)[0].decode(errors="replace").strip()
            if not first.startswith("Status: " + want + " "):
                sys.exit(f"{program}: run {i}: got '{first}', want Status: {want}")
            times.append(elapsed * 1000.0)
        times.sort()
        cpu.sort()
        results[program] = {
            "runs": runs,
            "ms_median": round(times[len(times) // 2], 1),
            "ms_p90": round(times[min(len(times) - 1, int(len(times) * 0.9))], 1),
            "ms_min": round(times[0], 1),
            "cpu_ms_median": round(cpu[len(cpu) // 2], 1),
            "max_rss_kib": rss,
        }
    with open(out_json, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    lines = ["| program (run as CGI, no server) | median | p90 | min | CPU (median) | peak RSS |",
             "|---|---:|---:|---:|---:|---:|"]
    for program, r in results.items():
        lines.append(f"| {program} | {r['ms_median']} ms | {r['ms_p90']} ms | {r['ms_min']} ms | "
                     f"{r['cpu_ms_median']} ms | {r['max_rss_kib'] / 1024:.1f} MiB |")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: cgi_cost.py CGI_DIR ENV_FILE TOKEN RUNS OUT_JSON")
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
