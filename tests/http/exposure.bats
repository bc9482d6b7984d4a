#!/usr/bin/env bats
# What the web server must never serve: the env file (.env, env.sample), the
# sources (common/, cgi-bin/*.c, Makefile, .git/), SQL, setup.sh and tests/,
# through every URL form we could think of (encoded dots, double slashes,
# "..", path info after a program, trailing dots and spaces, case variants,
# double encoding). Three servers, each on its own port:
#   local     apache/render.sh local, on a copy of the project holding a fake
#             .env and build/secret.txt with a marker secret (apache_start --copy)
#   htaccess  a shared host's web root holding the whole project and a fake
#             .env, routed by the rendered .htaccess (apache_start --htaccess)
#   lighttpd  apache/render.sh lighttpd, on the project itself
# Every probe must get 403 or 404 (400 for a URL Apache cannot parse), with
# Apache's answer the JSON {"detail": ...} of that status, and no answer may
# hold the marker or any text of those files. Also here: unknown API paths get
# a JSON 404, HEAD works where GET does, and answers are framed alike
# (Content-Length) whatever path the program took.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers
# shellcheck source=tests/lib/lighttpd.sh
source "$MC_ROOT/tests/lib/lighttpd.sh"

MARKER=this-fake-file-must-never-be-served-0123456789

# _save PREFIX: keeps the MC_APACHE_* and MC_HTTP_URL of the server just started
# as PREFIX_*; _use PREFIX: makes them current again (for http and apache_stop).
_save() {
	local v
	for v in MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
	    MC_APACHE_ERROR_LOG; do
		export "${1}_$v=${!v:-}"
	done
}

_use() {
	local v n
	for v in MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
	    MC_APACHE_ERROR_LOG; do
		n=${1}_$v
		export "$v=${!n:-}"
	done
	export MEDICALCARE_ENV_FILE=$MC_APACHE_ENV_FILE
}

setup_file() {
	mc_setup_file || return 1
	# This file's own servers; the suite's (if any) is left alone.
	unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
	    MC_APACHE_ERROR_LOG
	local env=$MEDICALCARE_ENV_FILE
	apache_start --copy --env-file "$env" || return 1
	_save LOCAL
	unset MC_HTTP_URL MC_APACHE_PID MC_APACHE_PORT MC_APACHE_DIR MC_APACHE_ENV_FILE \
	    MC_APACHE_ERROR_LOG
	apache_start --htaccess --env-file "$env" || return 1
	_save HTACCESS
	lighttpd_start "$env" || return 1
	_use LOCAL
}

teardown_file() {
	lighttpd_stop
	_use HTACCESS
	apache_stop
	_use LOCAL
	apache_stop
	mc_teardown_file
}

setup() {
	reset_state
	_use LOCAL
}

# The probes, one "METHOD PATH" a line: each names something that must not be
# served, in some spelling.
read -r -d '' PROBES <<'EOF' || true
GET /.env
GET /.env.
GET /.env%20
GET /.env~
GET /.env.bak
GET /.env/
GET //.env
GET ///.env
GET /./.env
GET /%2eenv
GET /%2Eenv
GET /.%65nv
GET /%252eenv
GET /.ENV
GET /.Env
GET /.env%00
GET /.env%00.html
GET /.env::$DATA
GET /.env?x=1
GET /../.env
GET /%2e%2e/.env
GET /..%2f.env
GET /cgi-bin/../.env
GET /cgi-bin/%2e%2e/.env
GET /cgi-bin/..%2f.env
GET /cgi-bin/%2e%2e%2f.env
GET /docs/../.env
GET /docs/..%2f.env
GET /docs/%2e%2e/.env
GET /health/../.env
GET /health/.env
GET /health/..;/.env
GET /health%2f..%2f.env
GET /auth/login/.env
GET /auth/login/../../.env
GET /cgi-bin/health.cgi/.env
GET /cgi-bin/health.cgi/../../.env
GET /cgi-bin/health.cgi%2f..%2f..%2f.env
POST /.env
HEAD /.env
OPTIONS /.env
GET /env.sample
GET /env.sample.
GET /ENV.SAMPLE
GET /env.sample%20
GET /docs/../env.sample
GET /common/app.c
GET /common/app.c.
GET /common/APP.C
GET /COMMON/app.c
GET /common/app.h
GET /common/
GET /common
GET /common/app.c%00.html
GET /common/app.c::$DATA
GET /docs/../common/app.c
GET /cgi-bin/health.c
GET /cgi-bin/health.c.
GET /cgi-bin/HEALTH.C
GET /cgi-bin/health.c/
GET /cgi-bin/
GET /cgi-bin
GET //cgi-bin//health.c
GET /Makefile
GET /makefile
GET /Makefile.
GET /Makefile%20
GET /Dockerfile
GET /setup.sh
GET /setup.sh.
GET /SETUP.SH
GET /sql/001_init.sql
GET /sql/001_init.sql.
GET /sql/
GET /sql/migrate.sh
GET /tests/
GET /tests/run.sh
GET /tests/http/helpers.bash
GET /tests/lib/smtp_sink.py
GET /.git/HEAD
GET /.git/config
GET /.git/
GET /.git
GET /%2egit/HEAD
GET /.git%2fHEAD
GET /.GIT/HEAD
GET /.gitignore
GET /.htaccess
GET /.htaccess.
GET /.HTACCESS
GET /apache/render.sh
GET /apache/routes.txt
GET /apache/local.conf.in
GET /README.md
GET /build/secret.txt
GET /build/
GET /bin/medicalcare-outbox
GET /docs/node_modules/swagger-ui-dist/package.json
GET /docs/node_modules/
GET /__mc/.env
GET /__mc/cgi-bin/health.c
GET /__mc/
EOF

# probe SERVER_URL MODE: sends every probe, and prints one line per answer
# that breaks the rules (nothing when all is well). MODE apache: the body
# must be exactly the JSON {"detail": ...} of its status (nothing for HEAD);
# MODE htaccess: the same, or the host's own error page for a URL refused
# before any .htaccess is read (an encoded slash or NUL, ".." above the
# root); MODE any: any body. Never one holding a signature below.
probe() {
	local list=$BATS_TEST_TMPDIR/probes
	printf '%s\n' "$PROBES" >"$list"
	"$MC_PYTHON" - "$1" "$2" "$MARKER" "$MC_ROOT" "$list" <<-'EOF'
		import http.client, os, sys, urllib.parse
		base, mode, marker, root, listfile = sys.argv[1:6]
		u = urllib.parse.urlsplit(base)
		want = {400: b'{"detail":"Bad Request"}', 403: b'{"detail":"Forbidden"}',
		        404: b'{"detail":"Not Found"}'}
		# What would show that a file leaked: the marker, and text from the
		# top of each kind of file probed.
		sigs = [marker.encode(), b"JWT_SECRET_KEY", b"DATABASE_URL", b"#include",
		        b"CREATE TABLE", b"ref: refs/", b"[core]", b"#!/usr/bin/env", b"set -euo",
		        b"CFLAGS", b"apt-get", b"swagger-ui-dist\"", b"@test", b"RewriteRule"]
		# And any line of 16+ characters of the project's own .env, if it has one.
		try:
		    with open(os.path.join(root, ".env"), "rb") as f:
		        sigs += [l.strip() for l in f if len(l.strip()) >= 16]
		except OSError:
		    pass
		bad = 0
		for line in open(listfile).read().splitlines():
		    if not line.strip():
		        continue
		    method, path = line.split(" ", 1)
		    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
		    c.putrequest(method, path, skip_accept_encoding=True)
		    if method == "POST":
		        c.putheader("Content-Length", "0")
		    c.endheaders()
		    r = c.getresponse()
		    body = r.read()
		    c.close()
		    why = []
		    if r.status not in (400, 403, 404):
		        why.append("status %d" % r.status)
		    hit = [i for i, s in enumerate(sigs) if s and s in body]
		    if hit:
		        why.append("holds signature #%d" % hit[0])
		    stock = (r.getheader("Content-Type", "").startswith("text/html") and
		             b"<title>%d " % r.status in body)
		    if mode in ("apache", "htaccess") and r.status in want and not (
		            mode == "htaccess" and stock):
		        expect = b"" if method == "HEAD" else want[r.status]
		        if body != expect:
		            why.append("body is not %r (%d bytes)" % (expect, len(body)))
		        if r.getheader("Content-Type") != "application/json":
		            why.append("Content-Type %s" % r.getheader("Content-Type"))
		    if why:
		        bad += 1
		        print("%s %s: %s" % (method, path, "; ".join(why)))
		sys.exit(1 if bad else 0)
	EOF
}

# docs/CONTRACT.md G-12
@test "the local configuration serves its routes and nothing of the project" {
	http GET /health
	assert_status 200
	[[ -f $MC_APACHE_DIR/www/.env && -f $MC_APACHE_DIR/www/common/app.c ]]
	grep -q "$MARKER" "$MC_APACHE_DIR/www/.env"
	probe "$MC_HTTP_URL" apache
}

# docs/CONTRACT.md G-12
@test "the .htaccess configuration serves its routes and nothing of the project" {
	_use HTACCESS
	http GET /health
	assert_status 200
	grep -q "$MARKER" "$MC_APACHE_DIR/www/.env"
	probe "$MC_HTTP_URL" htaccess
}

# docs/CONTRACT.md G-12
@test "lighttpd serves its routes and nothing of the project" {
	MC_HTTP_URL=$MC_LIGHTTPD_URL MC_APACHE_ERROR_LOG='' http GET /health
	assert_status 200
	probe "$MC_LIGHTTPD_URL" any
}

# ---------------------------------------------------------------------------
# Unknown paths, HEAD, framing

# docs/CONTRACT.md G-12
@test "unknown paths get a JSON 404 Not Found" {
	local p c
	for c in LOCAL HTACCESS; do
		_use "$c"
		for p in /auth/nothing /auth /user /user/profile/x /nothing /auth/login/x /health/x \
		    /docs/nothing.js /index.html /; do
			http GET "$p"
			assert_status 404
			assert_body --raw '{"detail":"Not Found"}'
			assert_std_headers
		done
		http POST /auth/nothing '{"email":"a@b.test"}'
		assert_status 404
		assert_body --raw '{"detail":"Not Found"}'
		assert_std_headers
	done
}

# docs/CONTRACT.md G-6
@test "HEAD works where GET does, with GET's headers and no body" {
	local p get_h
	http_account ann@example.test
	for p in /health /healthz /openapi.json "/user/profile"; do
		http GET "$p" -H "Authorization: Bearer $http_token"
		assert_status 200
		# The framing is Apache's (Content-Length, or chunked when the answer
		# came to it in parts, as on a busy machine), and it drops
		# Content-Length from a HEAD answer (RFC 9110 lets it): the other
		# headers must be the same.
		get_h=$(grep -v -i -E '^(date|content-length|transfer-encoding):' <<<"$http_headers")
		http HEAD "$p" -H "Authorization: Bearer $http_token"
		assert_status 200
		# curl --head writes the header block as its output: nothing more came.
		cmp "$http_headers_file" "$http_body_file"
		diff <(echo "$get_h") <(grep -v -i -E '^(date|content-length|transfer-encoding):' <<<"$http_headers")
	done
	http HEAD /user/profile
	assert_status 401
	assert_header WWW-Authenticate Bearer
	cmp "$http_headers_file" "$http_body_file"
	# A POST endpoint still refuses HEAD.
	http HEAD /auth/login
	assert_status 405
	assert_header Allow "POST, OPTIONS"
}

# docs/CONTRACT.md PW-1
@test "forgot-password is framed alike for a known and an unknown email" {
	local i known unknown
	add_user ann@example.test "Ann Smith" StrongPass123 t >/dev/null
	for i in 1 2 3; do
		# A mail each time (no cooldown): the slow path.
		sql "DELETE FROM mail_outbox" >/dev/null
		http POST /auth/forgot-password '{"email":"ann@example.test"}'
		assert_status 200
		known=$(grep -v -i '^date:' <<<"$http_headers")
		http POST /auth/forgot-password '{"email":"nobody@example.test"}'
		assert_status 200
		unknown=$(grep -v -i '^date:' <<<"$http_headers")
		diff <(echo "$known") <(echo "$unknown")
		assert_header Content-Length 52
		refute_header Transfer-Encoding
	done
	[[ $(mail_count ann@example.test) == 3 ]]
}
