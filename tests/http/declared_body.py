#!/usr/bin/env python3
"""Declares a large request body and sends none of it: the test of a server
that must refuse a body over 64 KiB without reading it.

  declared_body.py URL PATH [--length N] [--origin O] [--timeout S]

Sends "POST PATH" to URL's host (127.0.0.1 only) with Content-Type:
application/json and Content-Length: N (default 10 MiB), no Expect header,
and no body byte, then reads the answer until the server closes the
connection or S seconds (default 5) pass. Prints the status code and the
milliseconds it took on the first line, then the header block (CR removed)
and the body, and exits 0; exits 1 when no complete answer came in time
(the server waited for the body).
"""
import argparse
import socket
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("path")
    ap.add_argument("--length", type=int, default=10 * 1024 * 1024)
    ap.add_argument("--origin", default="")
    ap.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("declared_body.py: only a server on this machine")
    req = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
           "Content-Length: %d\r\n" % (a.path, u.netloc, a.length))
    if a.origin:
        req += "Origin: %s\r\n" % a.origin
    req += "\r\n"
    s = socket.create_connection(("127.0.0.1", u.port or 80), timeout=a.timeout)
    start = time.monotonic()
    s.sendall(req.encode())
    data = b""
    deadline = start + a.timeout
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = None
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is not None and len(body) >= length:
                    break
    except socket.timeout:
        pass
    except OSError as e:
        print("connection error: %s" % e, file=sys.stderr)
    ms = (time.monotonic() - start) * 1000
    s.close()
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        print("no answer within %.1f s (%d bytes)" % (a.timeout, len(data)))
        return 1
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "?"
    print("%s %d" % (status, ms))
    print("\n".join(lines))
    print()
    print(body.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
