#!/usr/bin/python3
"""An SMTP sink for the MedicalCare test suite (aiosmtpd 1.4).

Listens on --host/--port (port 0 picks a free port), writes the port that is
actually listening to --port-file once it accepts connections, and stores
every accepted message in --dir as

    DIR/<seq>.eml    the DATA bytes exactly as received (after dot-unstuffing)
    DIR/<seq>.json   {"mail_from": ..., "rcpt_tos": [...], "auth_user": ... or null,
                      "tls": true/false}

with <seq> six digits, counting on from the highest already in DIR. The .json
is written before the .eml, both atomically (temporary name, then rename), so
a test that sees the .eml can read both.

Fault injection: while DIR/.reply exists, its first line (for example
"451 4.3.0 try later" or "550 5.1.1 no such user") is the reply to DATA and
the message is not stored. While DIR/.delay exists, its first line (seconds,
e.g. "0.3") is how long DATA waits before its reply: a slow mail server.

TLS: --tls-cert/--tls-key offer STARTTLS (--require-starttls makes it
mandatory before MAIL); with --implicit-tls the listening socket speaks TLS
from the first byte (SMTPS) instead.

AUTH: with --auth USER:PASS, AUTH PLAIN or LOGIN with exactly those
credentials is required before MAIL (also without TLS). Without --auth any
credentials are accepted and their user recorded.

Runs until SIGTERM or SIGINT, then exits 0. Run it with /usr/bin/python3.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys
import warnings

from aiosmtpd.controller import UnthreadedController
from aiosmtpd.smtp import AuthResult, LoginPassword

SEQ_RE = re.compile(r"^(\d{6})\.eml$")
REPLY_RE = re.compile(r"^[2-5]\d\d[ -]")


def write_atomic(path, data):
    """Writes bytes to path through a temporary name in the same directory."""
    d, base = os.path.split(path)
    tmp = os.path.join(d, ".tmp-%d-%s" % (os.getpid(), base))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class Sink:
    """The aiosmtpd handler: stores messages, or answers DATA from DIR/.reply."""

    def __init__(self, directory, auth=None):
        self.dir = directory
        self.auth = auth  # (user bytes, password bytes) or None
        self.seq = 0
        for name in os.listdir(directory):
            m = SEQ_RE.match(name)
            if m:
                self.seq = max(self.seq, int(m.group(1)))

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if self.auth is not None and (auth_data.login, auth_data.password) != self.auth:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    def injected_reply(self):
        try:
            with open(os.path.join(self.dir, ".reply"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return None
        line = text.splitlines()[0].strip() if text.strip() else ""
        if not REPLY_RE.match(line + " "):
            line = "451 4.3.0 " + (line or "injected failure")
        return line

    def injected_delay(self):
        try:
            with open(os.path.join(self.dir, ".delay"), "rb") as f:
                return max(0.0, min(30.0, float(f.read().split()[0])))
        except (FileNotFoundError, IndexError, ValueError):
            return 0.0

    async def handle_DATA(self, server, session, envelope):
        delay = self.injected_delay()
        if delay > 0:
            await asyncio.sleep(delay)
        reply = self.injected_reply()
        if reply is not None:
            return reply
        auth_user = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            auth_user = session.auth_data.login.decode("utf-8", "replace")
        tls = server.transport is not None and (
            server.transport.get_extra_info("ssl_object") is not None)
        self.seq += 1
        base = os.path.join(self.dir, "%06d" % self.seq)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth_user,
            "tls": tls,
        }
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        write_atomic(base + ".json", (json.dumps(meta) + "\n").encode("utf-8"))
        write_atomic(base + ".eml", content)
        return "250 2.0.0 OK stored as %06d" % self.seq


def parse_args(argv):
    p = argparse.ArgumentParser(description="SMTP sink for the MedicalCare tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    if (a.tls_cert is None) != (a.tls_key is None):
        p.error("--tls-cert and --tls-key go together")
    if (a.implicit_tls or a.require_starttls) and a.tls_cert is None:
        p.error("--implicit-tls and --require-starttls need --tls-cert and --tls-key")
    if a.implicit_tls and a.require_starttls:
        p.error("--implicit-tls and --require-starttls exclude each other")
    if a.auth is not None and ":" not in a.auth:
        p.error("--auth takes USER:PASS")
    return a


def main(argv):
    a = parse_args(argv)
    # AUTH without TLS is what --auth on a plain sink is for.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.basicConfig(level=logging.INFO if a.verbose else logging.ERROR,
                        format="smtp_sink: %(message)s")
    os.makedirs(a.dir, exist_ok=True)

    auth = None
    if a.auth is not None:
        user, _, password = a.auth.partition(":")
        auth = (user.encode("utf-8"), password.encode("utf-8"))
    sink = Sink(a.dir, auth)

    ctx = None
    if a.tls_cert is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)

    kwargs = {
        "hostname": a.host,
        "port": a.port,
        "server_hostname": "sink.localhost",
        "authenticator": sink.authenticator,
        "auth_required": auth is not None,
        "auth_require_tls": False,
        "enable_SMTPUTF8": True,
    }
    if ctx is not None and a.implicit_tls:
        kwargs["ssl_context"] = ctx
    elif ctx is not None:
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = a.require_starttls

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    controller = UnthreadedController(sink, loop=loop, **kwargs)
    controller.begin()
    port = controller.server.sockets[0].getsockname()[1]

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    write_atomic(a.port_file, ("%d\n" % port).encode("ascii"))
    try:
        loop.run_forever()
    finally:
        controller.end()
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
