#!/usr/bin/env bats
# Shared hosting: the .htaccess of apache/render.sh htaccess, in a web root
# that holds medicalcare/ as DEPLOYMENT_GUIDE.md uploads it and the rest of
# the project (cgi-bin, docs, sql, apache, common and a .env, as a careless
# upload would), read by an Apache with AllowOverride FileInfo, Options
# ExecCGI and a server-wide ScriptAlias /cgi-bin/ (apache_start --htaccess).
# Each route reaches its program, Authorization reaches profile (SetEnvIf),
# Apache's own errors are JSON, and nothing else is served. Debian's stock
# configuration: tests/http/debian-host.bats.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

setup_file() {
	http_setup_file --htaccess
	cp -- "$MC_APACHE_DIR/www/.htaccess" "$BATS_FILE_TMPDIR/htaccess.orig"
}

setup() {
	http_reset
	cat -- "$BATS_FILE_TMPDIR/htaccess.orig" >"$MC_APACHE_DIR/www/.htaccess"
}

HEALTH_OK='{"status":"ok","database":"ok"}'

# docs/CONTRACT.md H-1
@test "the .htaccess routes /health and /healthz" {
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	assert_header Content-Type application/json
	http GET /healthz/
	assert_status 200
	assert_body --raw "$HEALTH_OK"
}

@test "signup, verify-otp, login and profile work through the .htaccess" {
	http_account ann@example.test StrongPass123 "Ann Example"
	http POST /auth/login '{"email": "ann@example.test", "password": "StrongPass123"}'
	assert_status 200
	token=$(json_get .access_token)
	http GET /user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_body '{"id": 1, "full_name": "Ann Example", "email": "ann@example.test", "is_verified": true}'
	http GET /auth/user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_json .email ann@example.test
}

# docs/CONTRACT.md SE-6, SE-8, SE-10, SE-11
@test "the .htaccess routes refresh, logout and a session by its id" {
	assert_session_routes
}

# docs/CONTRACT.md MF-1, MF-7, MF-8, MF-11
@test "the .htaccess routes every two-factor path and a whole two-factor sign-in" {
	assert_mfa_routes
}

@test "the .htaccess passes Authorization through SetEnvIf without CGIPassAuth" {
	local f=$MC_APACHE_DIR/www/.htaccess
	# CGIPassAuth needs AllowOverride AuthConfig; SetEnvIf does with FileInfo.
	if grep -q "^ *CGIPassAuth" "$f"; then
		echo "CGIPassAuth is in $f" >&2
		return 1
	fi
	grep -q 'SetEnvIf Authorization' "$f"
	http_account bob@example.test
	http GET /user/profile -H "Authorization: Bearer $http_token"
	assert_status 200
	assert_json .email bob@example.test
	http GET /user/profile -H 'Authorization: Bearer not-a-jwt'
	assert_status 401
	assert_body '{"detail": "Invalid or expired token"}'
}

# docs/CONTRACT.md C-2, C-3, G-4
@test "the .htaccess leaves OPTIONS, CORS and the 413 to the programs" {
	http OPTIONS /auth/login -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Max-Age 600
	http OPTIONS /auth/login -H 'Origin: http://evil.example.test' -H 'Access-Control-Request-Method: POST'
	refute_header Access-Control-Allow-Origin

	head -c 70000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	http POST /auth/login --data-file "$BATS_TEST_TMPDIR/big.json"
	assert_status 413
	assert_body '{"detail": "Request body too large"}'
}

# docs/CONTRACT.md H-2
@test "the .htaccess serves openapi.json and the docs page" {
	http GET /openapi.json
	assert_status 200
	cmp -- "$http_body_file" "$MC_ROOT/docs/openapi.json"
	http GET /docs
	assert_status 200
	assert_header_contains Content-Type text/html
	assert_header X-Content-Type-Options nosniff
	local p
	for p in /docs/swagger-ui.css /docs/swagger-ui-bundle.js /docs/swagger-init.js /docs/favicon-32x32.png; do
		http GET "$p"
		if [[ $http_status != 200 ]]; then
			echo "GET $p: $http_status" >&2
			return 1
		fi
	done
	http GET /docs/
	assert_status 301
	assert_header_contains Location /docs
}

# docs/CONTRACT.md G-12
@test "the .htaccess serves nothing else of the project" {
	local p
	for p in /.env /common/conf.c /sql/001_init.sql /sql/ /apache/render.sh /apache/routes.txt \
	    /apache/htaccess.in /docs/openapi.json /docs/package.json /docs/index.html \
	    /docs/node_modules/swagger-ui-dist/index.html /docs/node_modules/swagger-ui-dist/package.json \
	    / /nope /auth /auth/signup/extra /%2eenv /medicalcare /medicalcare/ /medicalcare/.env \
	    /medicalcare/programs/signup.cgi /medicalcare/programs/ /medicalcare/docs/openapi.json \
	    /medicalcare/docs/index.html /medicalcare/errors/404.json /medicalcare/errors/; do
		http GET "$p"
		if [[ $http_status != 404 || $http_body != '{"detail":"Not Found"}' ]]; then
			echo "GET $p: expected 404 {\"detail\":\"Not Found\"}, got $http_status" >&2
			http_dump >&2
			return 1
		fi
		assert_header Content-Type application/json
	done
	# The server's own rules (dot files, the host's /cgi-bin/) come before
	# the .htaccess: refused, with nothing of the project.
	for p in /.htaccess /cgi-bin/signup.c /cgi-bin/signup.cgi /cgi-bin/; do
		http GET "$p"
		if [[ $http_status != 404 && $http_status != 403 ]]; then
			echo "GET $p: expected 404 or 403, got $http_status" >&2
			return 1
		fi
		if [[ $http_body == *JWT_SECRET* || $http_body == *"#include"* || $http_body == *RewriteRule* ]]; then
			echo "GET $p: the body holds project content" >&2
			return 1
		fi
	done
}

# The web root's .env as the stand-in host had it, put back after a test
# that replaced it.
teardown() {
	if [[ -f $BATS_FILE_TMPDIR/fake.env ]]; then
		cat -- "$BATS_FILE_TMPDIR/fake.env" >"$MC_APACHE_DIR/www/medicalcare/.env"
	fi
}

@test "the .htaccess runs the programs under mod_fcgid where the host has it" {
	local www=$MC_APACHE_DIR/www app=$MC_APACHE_DIR/www/medicalcare pids
	if [[ ${MC_APACHE_SERVE:-} != fastcgi ]]; then
		skip "the stand-in host has no mod_fcgid in CGI mode (MC_SERVE_MODE=cgi)"
	fi
	# Rendered without --env-file: the programs read medicalcare/.env,
	# which holds the test settings now.
	[[ -f $BATS_FILE_TMPDIR/fake.env ]] || cp -- "$app/.env" "$BATS_FILE_TMPDIR/fake.env"
	cat -- "$MC_APACHE_ENV_FILE" >"$app/.env"
	chgrp "$(id -gn "$(mc_apache_run_user)")" "$app/.env"
	chmod 640 "$app/.env"
	"$MC_ROOT/apache/render.sh" htaccess --root "$www" --env-file "$app/.env" --out "$www/.htaccess"
	grep -q 'SetHandler fcgid-script' "$www/.htaccess"
	http_account ann@example.test StrongPass123 "Ann Example"
	http GET /user/profile -H "Authorization: Bearer $http_token"
	assert_status 200
	assert_json .email ann@example.test
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	# FastCGI: the process that answered is still there, waiting for the next
	# request (a CGI program has exited by the time its answer is in).
	pids=$(pgrep -f "^$app/programs/health.cgi" || true)
	[[ -n $pids ]] || _fail "no health.cgi process lives on after its answer"
	# Its settings came from medicalcare/.env, which is never served.
	http GET /medicalcare/.env
	assert_status 404
	assert_body --raw '{"detail":"Not Found"}'
	[[ $http_body != *JWT_SECRET* ]]
	# A declared body over 64 KiB: refused unread.
	http POST /auth/login -H 'Content-Type: application/json' -H 'Content-Length: 10485760' -H 'Expect:' \
	    --data-file /dev/null
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
}
