#!/usr/bin/env bats
# The programs behind Apache (apache/local.conf.in, the routing of
# apache/routes.txt), over real HTTP: each route reaches its program,
# Authorization reaches profile (CGIPassAuth), OPTIONS and a large body get
# the program's own answers, nothing else of the project is served, and
# /openapi.json and /docs work.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

HEALTH_OK='{"status":"ok","database":"ok"}'

# docs/CONTRACT.md H-1, G-1
@test "health over HTTP answers 200 with the exact body and headers" {
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_header X-Content-Type-Options nosniff
	refute_header Access-Control-Allow-Origin
}

# docs/CONTRACT.md H-1
@test "/healthz and a trailing slash reach the health program" {
	http GET /healthz
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	http GET /health/
	assert_status 200
	assert_body --raw "$HEALTH_OK"
}

# docs/CONTRACT.md SU-1, VO-1, LI-1
@test "signup, OTP verification, login and profile work over HTTP" {
	http_account --login Ada@Example.test StrongPass123 "Ada Lovelace"
	token=$http_token

	profile='{"id": 1, "full_name": "Ada Lovelace", "email": "ada@example.test", "is_verified": true}'
	http GET /user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_body "$profile"
	http GET /auth/user/profile -H "Authorization: Bearer $token"
	assert_status 200
	assert_body "$profile"
}

# docs/CONTRACT.md TK-1
@test "Authorization reaches the profile program" {
	# Without the header: "Not authenticated"; with a bad token the program
	# saw the header, or it would say the same.
	http GET /user/profile
	assert_status 401
	assert_body '{"detail": "Not authenticated"}'
	http GET /user/profile -H 'Authorization: Bearer not-a-jwt'
	assert_status 401
	assert_body '{"detail": "Invalid or expired token"}'
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
}

@test "an account made over HTTP as a user would is verified and its token works" {
	http_account grace@example.test
	http GET /auth/user/profile -H "Authorization: Bearer $http_token"
	assert_status 200
	assert_json .email grace@example.test
	assert_json .is_verified true
}

# docs/CONTRACT.md C-2, C-3
@test "OPTIONS and CORS are the programs' answers, not Apache's" {
	http OPTIONS /auth/signup -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	assert_header Access-Control-Max-Age 600
	assert_header_token Access-Control-Allow-Methods POST

	http OPTIONS /auth/signup -H 'Origin: http://evil.example.test' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	refute_header Access-Control-Allow-Origin
	refute_header Access-Control-Allow-Methods

	http GET /health -H 'Origin: http://app.example.test'
	assert_status 200
	assert_header Access-Control-Allow-Origin http://app.example.test
	assert_header Vary Origin
}

# docs/CONTRACT.md G-6
@test "a method the program does not serve gets its 405" {
	http DELETE /health
	assert_status 405
	assert_header Allow "GET, OPTIONS"
	assert_body '{"detail": "Method Not Allowed"}'
}

# docs/CONTRACT.md G-4
@test "a body over 64 KiB gets the JSON 413" {
	local f=$BATS_TEST_TMPDIR/big.json size
	for size in 70000 2000000; do
		head -c "$size" /dev/zero | tr '\0' ' ' >"$f"
		http POST /auth/signup --data-file "$f"
		assert_status 413
		assert_header Content-Type application/json
		assert_header Cache-Control no-store
		assert_header X-Content-Type-Options nosniff
		assert_body '{"detail": "Request body too large"}'
	done
	# Nothing was read, so nothing happened.
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
}

# docs/CONTRACT.md G-12
@test "an unknown path is 404" {
	local p
	for p in / /nope /auth /auth/ /auth/signupx /auth/signup/x /user /healthzz /docsx \
	    /docs/index.html /cgi-bin/signup.cgi /cgi-bin/ /signup.cgi /health.cgi; do
		http GET "$p"
		if [[ $http_status != 404 ]]; then
			echo "GET $p: expected 404, got $http_status" >&2
			return 1
		fi
	done
}

# docs/CONTRACT.md G-12
@test "project files are never served" {
	local p
	for p in /.env /.git/config /.gitignore /env.sample /Makefile /setup.sh /README.md \
	    /cgi-bin/signup.c /common/conf.c /common/conf.h /sql/001_init.sql /sql/migrate.sh \
	    /apache/render.sh /apache/routes.txt /apache/local.conf.in /docs/openapi.json \
	    /docs/package.json /docs/package-lock.json /docs/node_modules/swagger-ui-dist/package.json \
	    /tests/cgi/helpers.bash /build/run/httpd.conf /mail/ /bin/medicalcare-outbox \
	    /cgi-bin/../.env /docs/../.env /%2e%65nv; do
		http GET "$p"
		if [[ $http_status != 404 && $http_status != 403 ]]; then
			echo "GET $p: expected 404 or 403, got $http_status" >&2
			return 1
		fi
		if [[ $http_body == *JWT_SECRET* || $http_body == *"#include"* ]]; then
			echo "GET $p: the body holds project content" >&2
			return 1
		fi
	done
}

# docs/CONTRACT.md H-2
@test "openapi.json is the document of the repository" {
	http GET /openapi.json
	assert_status 200
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	cmp -- "$http_body_file" "$MC_ROOT/docs/openapi.json"
	assert_jq '.openapi | startswith("3.")'
	assert_jq '.paths | has("/auth/signup") and has("/user/profile") and has("/openapi.json") and has("/docs")'
}

# docs/CONTRACT.md H-2
@test "the docs page links the document itself for a server without Swagger UI" {
	# A plain make without npm has no swagger-ui-bundle.js: the page then
	# shows its paragraph docs-fallback (a link to /openapi.json), which
	# swagger-init.js unhides when SwaggerUIBundle is not defined.
	http GET /docs
	assert_status 200
	grep -q -E '<p id="docs-fallback" hidden>[^<]*<a href="openapi.json">' <<<"$http_body"
	http GET /docs/swagger-init.js
	assert_status 200
	grep -q -F 'typeof SwaggerUIBundle === "undefined"' "$http_body_file"
	grep -q -F 'getElementById("docs-fallback").hidden = false' "$http_body_file"
}

# docs/CONTRACT.md H-2
@test "/docs renders Swagger UI from assets served here" {
	local refs ref n=0
	http GET /docs
	assert_status 200
	assert_header_contains Content-Type text/html
	assert_header X-Content-Type-Options nosniff
	assert_header_contains Content-Security-Policy "script-src 'self'"
	[[ $http_body == *swagger-ui-bundle.js* && $http_body == *swagger-ui.css* ]]
	# Nothing from another host: every src and href is relative.
	if grep -o -E '(src|href)="[a-z]+:' <<<"$http_body"; then
		echo "the page loads something from another origin" >&2
		return 1
	fi
	refs=$(grep -o -E '(src|href)="[^"]+"' <<<"$http_body" | sed -E 's/^(src|href)="//; s/"$//')
	for ref in $refs; do
		# Relative to /docs, i.e. to /.
		http GET "/$ref"
		if [[ $http_status != 200 ]]; then
			echo "/docs loads $ref, which answers $http_status" >&2
			return 1
		fi
		n=$((n + 1))
	done
	[[ $n -ge 4 ]]
	http GET /docs/swagger-ui-bundle.js
	assert_header_contains Content-Type javascript
	[[ $(stat -c %s "$http_body_file") -gt 100000 ]]
	http GET /docs/swagger-init.js
	assert_header_contains Content-Type javascript
	[[ $http_body == *SwaggerUIBundle* && $http_body == *openapi.json* || $http_body == *data-url* ]]
}

# docs/CONTRACT.md H-2
@test "/docs/ with a trailing slash redirects to /docs" {
	http GET /docs/
	assert_status 301
	assert_header_contains Location /docs
	[[ $(http_header Location) != */docs/ ]]
}
