#!/usr/bin/env bash
# Checks a deployed site from the outside, as DEPLOYMENT_GUIDE.md's
# shared-hosting section sets it up, and prints what the host lacks: one
# line a check, "ok", "warn" (works, with less) or "FAIL", with what to do.
#
# Usage: apache/check-host.sh URL
#   URL: the site's address, with the path of the web root if any
#   (https://example.com, https://example.com/~me). Needs curl only, so it
#   runs anywhere (your machine, the host over SSH).
#
# Exit status: 0 when nothing failed (warnings allowed), 1 when a check
# failed, 2 on bad usage. Nothing is changed on the site: the requests are
# GETs, one POST whose too large body is refused unread, and a GET with an
# invalid token.
set -euo pipefail

prog=apache/check-host.sh
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	[[ $# -eq 1 && ( $1 == -h || $1 == --help ) ]] && exit 0
	exit 2
fi
url=${1%/}
[[ $url =~ ^https?://[^/[:space:]]+(/[^[:space:]]*)?$ ]] || {
	printf '%s: %s is not an http(s) URL\n' "$prog" "$1" >&2
	exit 2
}
command -v curl >/dev/null 2>&1 || {
	printf '%s: needs curl\n' "$prog" >&2
	exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mc-check-host.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
failed=0

ok() { printf 'ok    %s\n' "$*"; }
warn() { printf 'warn  %s\n' "$*"; }
fail() {
	printf 'FAIL  %s\n' "$*"
	failed=1
}

# req METHOD PATH [curl options]: sets status, ctype, body; headers in
# $tmp/h. status is 000 when no answer came.
req() {
	local method=$1 path=$2
	shift 2
	: >"$tmp/h"
	: >"$tmp/b"
	status=$(curl -s -S -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' --max-time 20 -X "$method" \
	    "$@" -- "$url$path" 2>"$tmp/err") || true
	[[ $status =~ ^[0-9]{3}$ ]] || status=000
	ctype=$(header Content-Type)
	body=$(head -c 2000 -- "$tmp/b")
}

# header NAME: the value of response header NAME (the last one), or nothing.
header() {
	tr -d '\r' <"$tmp/h" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } }
		END { if (v != "") print v }'
}

is_json() { [[ $ctype == application/json* ]]; }

# 1. The routes reach the programs.
req GET /health
case $status in
200)
	if is_json && [[ $body == *'"status"'*'"ok"'* ]]; then
		ok "GET /health: 200, the routes reach the programs and the database answers"
	else
		fail "GET /health: 200 but not the API's JSON ($ctype): another site answers at $url"
	fi
	;;
503)
	if is_json && [[ $body == *'"database"'* ]]; then
		fail "GET /health: 503, the programs run but the database does not answer: check DATABASE_URL (the error log says why)"
	else
		fail "GET /health: 503 from the server itself: the host is overloaded or down"
	fi
	;;
403)
	if is_json; then
		fail "GET /health: 403 JSON: the programs may not run. The error log says \"Options ExecCGI is off in this directory\": ask the host for Options ExecCGI in medicalcare/programs (or AllowOverride Options=ExecCGI, then add \"Options +ExecCGI\" to the .htaccess); \"client denied by server configuration\": the host refuses the method or the folder"
	else
		fail "GET /health: 403 (not JSON): the .htaccess is not in effect and the host refuses the folder"
	fi
	;;
404)
	if is_json; then
		fail "GET /health: 404 JSON: the .htaccess is read but does not route /health: render it again with this version of apache/render.sh"
	else
		fail "GET /health: 404 (not JSON): the .htaccess is not read (AllowOverride None), or mod_rewrite is off, or it is not in the web root of $url (the error log has no line for it)"
	fi
	;;
500)
	fail "GET /health: 500: a line of the .htaccess is not allowed or unknown here. The error log names it: \"<directive> not allowed here\" (AllowOverride lacks FileInfo: ask the host for it), \"Invalid command 'RewriteEngine'\" (no mod_rewrite), \"Invalid command 'SetEnv'\" or 'SetEnvIf' (no mod_env / mod_setenvif); or the program could not start (\"End of script output before headers\": a build for another system, or a missing library: run it over SSH)"
	;;
000)
	fail "GET /health: no answer ($(head -c 200 "$tmp/err"))"
	;;
*)
	fail "GET /health: $status"
	;;
esac
if [[ $status == 200 || $status == 503 ]] && is_json; then
	if [[ -n $(header Content-Length) ]]; then
		ok "the programs' answers have a Content-Length"
	else
		warn "GET /health came chunked (no Content-Length): the host has no mod_buffer, and Apache ignores a program's own Content-Length; the API works, but the framing of an answer can differ with its timing (ask the host for mod_buffer)"
	fi
fi

# 2. Apache's own errors: JSON from medicalcare/errors/, with or without
# mod_headers.
req GET /medicalcare-check-host-no-such-path
if [[ $status == 404 ]] && is_json && [[ $body == '{"detail":"Not Found"}' ]]; then
	ok "GET of an unknown path: 404 {\"detail\":\"Not Found\"} (the error documents are in place)"
	if [[ $(header Cache-Control) == *no-store* && $(header X-Content-Type-Options) == nosniff ]]; then
		ok "mod_headers: on (the server's own errors have Cache-Control: no-store and X-Content-Type-Options: nosniff)"
	else
		warn "mod_headers: off. The server's own errors (404 of unknown paths, 413) come without Cache-Control: no-store and X-Content-Type-Options: nosniff, its 413 without CORS headers, and /docs without its Content-Security-Policy; the programs' own answers have theirs. Ask the host to enable mod_headers to have them"
	fi
elif [[ $status == 404 ]]; then
	fail "GET of an unknown path: 404 but not the JSON error document ($ctype): upload medicalcare/errors/ (apache/render.sh errors), and render the .htaccess with --base set to the URL path of the web root"
else
	fail "GET of an unknown path: $status instead of 404"
fi

# 3. A declared body over 64 KiB: 413, unread.
head -c 70000 /dev/zero | tr '\0' ' ' >"$tmp/big"
req POST /auth/login -H 'Content-Type: application/json' -H 'Expect:' --data-binary "@$tmp/big"
if [[ $status == 413 ]] && is_json && [[ $body == *'Request body too large'* ]]; then
	ok "POST of a 70,000-byte body: 413 {\"detail\":\"Request body too large\"}"
elif [[ $status == 000 ]]; then
	fail "POST of a 70,000-byte body: no answer ($(head -c 200 "$tmp/err"))"
else
	fail "POST of a 70,000-byte body: $status ($ctype), not the JSON 413"
fi

# 4. Authorization reaches the programs.
req GET /user/profile -H 'Authorization: Bearer not-a-token'
if [[ $status == 401 && $body == *'Invalid or expired token'* ]]; then
	ok "Authorization reaches the programs"
elif [[ $status == 401 && $body == *'Not authenticated'* ]]; then
	fail "Authorization does not reach the programs: the host lacks mod_setenvif (SetEnvIf Authorization in the .htaccess)"
else
	fail "GET /user/profile with a token: $status"
fi

# 5. Nothing else is served.
for p in /.env /medicalcare/.env /medicalcare/programs/health.cgi /medicalcare/docs/openapi.json; do
	req GET "$p"
	if [[ $status == 404 || $status == 403 ]]; then
		ok "GET $p: $status"
	else
		fail "GET $p: $status, should be 404: the .htaccess is not in effect for it"
	fi
done

if [[ $failed -ne 0 ]]; then
	echo "Some checks failed: see DEPLOYMENT_GUIDE.md, \"Shared hosting\", Troubleshooting."
	exit 1
fi
echo "All checks passed."
