#!/usr/bin/env bats
# A smoke run against lighttpd: the configuration apache/render.sh lighttpd
# makes from apache/lighttpd.conf.in and apache/routes.txt, started by this
# file on a free port (tests/lib/lighttpd.sh), over real HTTP, with the same
# PostgreSQL and SMTP sink as the other HTTP tests. It shows that each
# route reaches its program, Authorization reaches profile, OPTIONS and the
# CORS headers are the programs' own (lighttpd adds none), the programs'
# 405/415 get through, a body over 64 KiB gets lighttpd's own JSON 413
# unread, and nothing else of the project is served. The programs run as
# FastCGI processes (apache/fcgi.sh, mod_fastcgi) or, with
# MC_SERVE_MODE=cgi, as CGI programs (mod_cgi).

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers
# shellcheck source=tests/lib/lighttpd.sh
source "$MC_ROOT/tests/lib/lighttpd.sh"

HEALTH_OK='{"status":"ok","database":"ok"}'

# PostgreSQL and the sink are the suite's (tests/run.sh) or this file's own
# (mc_setup_file); lighttpd is always this file's. `http` (helpers.bash)
# sends to MC_HTTP_URL and reads the server's error log at
# MC_APACHE_ERROR_LOG: both point at lighttpd for this file only (bats runs
# each file in a process of its own).
setup_file() {
	mc_setup_file || return 1
	if ! lighttpd_start "$MEDICALCARE_ENV_FILE"; then
		mc_teardown_file
		return 1
	fi
	export MC_HTTP_URL=$MC_LIGHTTPD_URL
	export MC_APACHE_ERROR_LOG=$MC_LIGHTTPD_DIR/lighttpd-error.log
}

teardown_file() {
	lighttpd_stop
	mc_teardown_file
}

setup() {
	reset_state
	_log_start=$(stat -c %s -- "$MC_APACHE_ERROR_LOG" 2>/dev/null || echo 0)
}

# lighttpd logs a program that died ("CGI pid N died with signal 11"), which
# the checks of `http` (written for Apache's wording) do not know.
teardown() {
	local new
	new=$(tail -c +$((_log_start + 1)) -- "$MC_APACHE_ERROR_LOG" 2>/dev/null || true)
	if grep -E 'died with signal|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' <<<"$new" >&2; then
		echo "a program crashed during this test (lighttpd's error log above)" >&2
		return 1
	fi
}

# assert_header_once NAME: header NAME appears exactly once.
assert_header_once() {
	local n
	n=$(grep -c -i "^$1:" <<<"$http_headers" || true)
	if [[ $n != 1 ]]; then
		echo "expected one $1 header, got $n" >&2
		http_dump
		return 1
	fi
}

# docs/CONTRACT.md H-1
@test "health through lighttpd answers 200 with the exact body" {
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_header X-Content-Type-Options nosniff
	refute_access_control

	http GET /healthz
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	http GET /health/
	assert_status 200
	assert_body --raw "$HEALTH_OK"
}

@test "signup, OTP verification, login and profile work through lighttpd" {
	http_account --login Ada@Example.test StrongPass123 "Ada Lovelace"
	token=$http_token

	profile='{"id": 1, "full_name": "Ada Lovelace", "email": "ada@example.test", "is_verified": true}'
	http GET /user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_body "$profile"
	http GET /auth/user/profile -H "authorization: bearer $token"
	assert_status 200
	assert_body "$profile"
}

# docs/CONTRACT.md SE-6, SE-8, SE-10, SE-11
@test "lighttpd routes refresh, logout and a session by its id" {
	assert_session_routes
}

# docs/CONTRACT.md MF-1, MF-7, MF-8, MF-11
@test "lighttpd routes every two-factor path and a whole two-factor sign-in" {
	assert_mfa_routes
}

@test "lighttpd hands Authorization to the profile program" {
	# Without the header the program says "Not authenticated"; with a bad
	# token it says something else, so it saw the header.
	http GET /user/profile
	assert_status 401
	assert_body '{"detail": "Not authenticated"}'
	assert_header WWW-Authenticate Bearer
	http GET /user/profile -H 'Authorization: Bearer not-a-jwt'
	assert_status 401
	assert_body '{"detail": "Invalid or expired token"}'
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
}

# docs/CONTRACT.md C-3
@test "lighttpd passes a preflight from an allowed origin to the program" {
	http OPTIONS /auth/signup -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_once Access-Control-Allow-Origin
	assert_header Vary Origin
	assert_header_token Access-Control-Allow-Methods POST
	assert_header_once Access-Control-Allow-Methods
	assert_header Access-Control-Allow-Headers "Authorization, Content-Type"
	assert_header Access-Control-Max-Age 600

	http OPTIONS /user/profile -H 'Origin: http://app.example.test' \
	    -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://app.example.test
	assert_header_token Access-Control-Allow-Methods GET

	http GET /health -H 'Origin: http://localhost:3000'
	assert_status 200
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header_once Access-Control-Allow-Origin
	assert_header Vary Origin
}

# docs/CONTRACT.md C-4
@test "lighttpd adds no CORS headers for a refused origin" {
	http OPTIONS /auth/signup -H 'Origin: http://evil.example.test' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	refute_access_control

	http POST /auth/login '{"email": "nobody@example.test", "password": "x"}' -H 'Origin: http://evil.example.test'
	assert_status 401
	refute_access_control

	http GET /health -H 'Origin: null'
	assert_status 200
	refute_access_control
}

# docs/CONTRACT.md G-6, G-5
@test "lighttpd passes the programs' 405 and 415" {
	http DELETE /health
	assert_status 405
	assert_header Allow "GET, OPTIONS"
	assert_body '{"detail": "Method Not Allowed"}'
	http PUT /auth/login '{}'
	assert_status 405
	assert_header_token Allow POST

	http POST /auth/login '{"email": "a@example.test", "password": "x"}' -H 'Content-Type: text/plain'
	assert_status 415
}

# docs/CONTRACT.md G-4
@test "lighttpd refuses a body over 64 KiB itself with the JSON 413 and gives chunked bodies a length" {
	local f=$BATS_TEST_TMPDIR/big.json size
	# Over server.max-request-size (64 KiB), declared: lighttpd's own 413,
	# before any program, with the programs' body and type.
	for size in 65537 2000000; do
		head -c "$size" /dev/zero | tr '\0' ' ' >"$f"
		http POST /auth/signup --data-file "$f" -H 'Expect:'
		assert_status 413
		assert_header Content-Type application/json
		assert_body --raw '{"detail":"Request body too large"}'
		if [[ $http_log != *"request-size too long"* ]]; then
			echo "expected lighttpd's own 413 (\"request-size too long\" in its log)" >&2
			http_dump
			return 1
		fi
	done
	# Nothing was read, so nothing happened.
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
	# 64 KiB exactly is the programs' to judge.
	head -c 65536 /dev/zero | tr '\0' ' ' >"$f"
	http POST /auth/signup --data-file "$f"
	assert_status 400
	assert_body '{"detail": "Invalid JSON body"}'

	# A chunked body is collected first, so the program gets CONTENT_LENGTH.
	http POST /auth/login '{"email": "nobody@example.test", "password": "Whatever123"}' \
	    -H 'Transfer-Encoding: chunked'
	assert_status 401
	assert_body '{"detail": "Invalid email or password"}'
}

# docs/CONTRACT.md G-4
@test "lighttpd answers a declared 10 MiB body with 413 before it is sent" {
	run "$MC_PYTHON" "$BATS_TEST_DIRNAME/declared_body.py" "$MC_HTTP_URL" /auth/signup
	[[ $status -eq 0 ]] || { echo "$output" >&2; return 1; }
	[[ $output == "413 "* ]] || { echo "$output" >&2; return 1; }
	[[ $output == *'{"detail":"Request body too large"}'* ]]
}

# docs/CONTRACT.md G-12
@test "lighttpd never serves the env file or sources" {
	local p secret=""
	if [[ -r $MC_ROOT/.env ]]; then
		secret=$(grep -m 1 -E '^JWT_SECRET_KEY=.' "$MC_ROOT/.env" || true)
	fi
	for p in /.env /.git/config /.gitignore /env.sample /Makefile /setup.sh /README.md \
	    /cgi-bin/signup.c /cgi-bin/signup.cgi /common/conf.c /common/conf.h \
	    /sql/001_init.sql /sql/migrate.sh /apache/render.sh /apache/routes.txt \
	    /apache/lighttpd.conf.in /docs/openapi.json /docs/package.json \
	    /docs/node_modules/swagger-ui-dist/package.json /tests/http/helpers.bash \
	    /build/run/lighttpd.conf /mail/ /bin/medicalcare-outbox \
	    /__mc/.env /__mc/env.sample /__mc/cgi-bin/signup.c /__mc/cgi-bin/health.cgi /__mc/404 \
	    /docs/../.env /cgi-bin/../.env /%2e%65nv /auth/signup/../../.env /health/.env; do
		http GET "$p"
		if [[ $http_status != 404 && $http_status != 403 ]]; then
			echo "GET $p: expected 404 or 403, got $http_status" >&2
			return 1
		fi
		if [[ $http_body == *JWT_SECRET* || $http_body == *"#include"* ||
			-n $secret && $http_body == *"$secret"* ]]; then
			echo "GET $p: the body holds project content" >&2
			return 1
		fi
	done
}

# docs/CONTRACT.md G-12
@test "lighttpd answers 404 for an unknown path" {
	local p
	for p in / /nope /auth /auth/ /auth/signupx /auth/signup/x /user /healthzz /health.cgi \
	    /signup.cgi /cgi-bin/ /docsx /openapi.jsonx /AUTH/LOGIN; do
		http GET "$p"
		if [[ $http_status != 404 ]]; then
			echo "GET $p: expected 404, got $http_status" >&2
			return 1
		fi
		# The contract's JSON, as Apache answers (not lighttpd's HTML page).
		assert_body '{"detail":"Not Found"}'
		assert_header Content-Type application/json
		refute_access_control
	done
	http POST /nope '{}' -H 'Origin: http://localhost:3000'
	assert_status 404
	assert_body '{"detail":"Not Found"}'
	refute_access_control
}

# docs/CONTRACT.md H-2
@test "lighttpd serves openapi.json and the docs page" {
	http GET /openapi.json
	assert_status 200
	assert_header Content-Type application/json
	cmp -- "$http_body_file" "$MC_ROOT/docs/openapi.json"

	http GET /docs
	assert_status 200
	assert_header_contains Content-Type text/html
	assert_header X-Content-Type-Options nosniff
	assert_header_contains Content-Security-Policy "script-src 'self'"
	[[ $http_body == *swagger-ui-bundle.js* ]]
	http GET /docs/swagger-ui-bundle.js
	assert_status 200
	assert_header_contains Content-Type javascript
	http GET /docs/swagger-ui.css
	assert_status 200
	assert_header_contains Content-Type text/css
}
