#!/usr/bin/python3
"""Verified accounts for `make bench`, made through the HTTP API as a user would.

    tests/load/bench_accounts.py --url URL --mail-dir DIR --count N --prefix P
                                 [--password PW] [--timeout SECS] --out FILE

For each of P-1@example.com .. P-N@example.com: POST /auth/signup, then the
sign-up code from the mail the server sent (a .eml file in DIR, the SMTP
sink's folder: this project's tests/lib/smtp_sink.py, or the FastAPI
version's mailsink.py), then POST /auth/verify-otp, whose answer carries an
access token. Works against this project and against the FastAPI version of
the same API alike (signup answers 201 here, 200 there). Writes FILE: one
line "email token" per account, in order. Exit status 0 when every account
was made, 1 otherwise (with the answer that went wrong on stderr).
"""
import argparse
import email.parser
import email.policy
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

OTP = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def post(url, path, body, timeout):
    """POST a JSON body; returns (status, parsed JSON or None, raw text)."""
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    # No proxy: the servers are on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


class Mailbox:
    """The sign-up codes in a folder of .eml files, by recipient."""

    def __init__(self, folder):
        self.folder = folder
        self.seen = set()
        self.codes = {}

    def scan(self):
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in sorted(names):
            if not name.endswith(".eml") or name.startswith(".") or name in self.seen:
                continue
            self.seen.add(name)
            try:
                with open(os.path.join(self.folder, name), "rb") as f:
                    msg = email.parser.BytesParser(policy=email.policy.default).parse(f)
            except OSError:
                continue
            to = str(msg.get("To", "")).strip().lower()
            m = re.search(r"<([^>]+)>", to)
            if m:
                to = m.group(1)
            part = msg.get_body(preferencelist=("plain", "html"))
            text = part.get_content() if part is not None else ""
            code = OTP.search(text)
            if code:
                self.codes[to] = code.group(1)

    def ignore_existing(self):
        """Marks the files already there as read (mail of earlier runs)."""
        try:
            self.seen.update(os.listdir(self.folder))
        except FileNotFoundError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--mail-dir", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--password", default="StrongPass123")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    url = a.url.rstrip("/")

    box = Mailbox(a.mail_dir)
    box.ignore_existing()
    emails = [f"{a.prefix}-{i}@example.com" for i in range(1, a.count + 1)]
    for e in emails:
        status, _, text = post(url, "/auth/signup",
                               {"full_name": "Bench User", "email": e, "password": a.password},
                               a.timeout)
        if not 200 <= status < 300:
            print(f"bench_accounts: signup {e}: {status} {text[:300]}", file=sys.stderr)
            return 1

    deadline = time.monotonic() + a.timeout
    while True:
        box.scan()
        missing = [e for e in emails if e not in box.codes]
        if not missing:
            break
        if time.monotonic() > deadline:
            print(f"bench_accounts: no sign-up code in {a.mail_dir} for {len(missing)} of "
                  f"{len(emails)} accounts after {a.timeout:g} s (first: {missing[0]})",
                  file=sys.stderr)
            return 1
        time.sleep(0.1)

    lines = []
    for e in emails:
        status, body, text = post(url, "/auth/verify-otp", {"email": e, "otp": box.codes[e]},
                                  a.timeout)
        token = body.get("access_token") if isinstance(body, dict) else None
        if status != 200 or not token:
            print(f"bench_accounts: verify-otp {e}: {status} {text[:300]}", file=sys.stderr)
            return 1
        lines.append(f"{e} {token}\n")
    with open(a.out, "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
