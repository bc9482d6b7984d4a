#!/usr/bin/env bats
# GET /health (cgi-bin/health.cgi): database reachability, no secrets.

load helpers

# docs/CONTRACT.md H-1
@test "health with the database up gives 200 and status ok" {
	cgi GET health.cgi
	assert_status 200
	assert_body '{"status":"ok","database":"ok"}'
	assert_std_headers
}

# docs/CONTRACT.md G-6
@test "health answers POST with 405 and an Allow header listing GET" {
	cgi POST health.cgi '{}'
	assert_status 405
	assert_header_token Allow GET
	assert_header Content-Type application/json
}

# docs/CONTRACT.md H-1, G-9
@test "health with the database unreachable gives 503 and database unreachable" {
	cgi GET health.cgi $(db_down)
	assert_status 503
	assert_body '{"status":"unavailable","database":"unreachable"}'
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
}

# docs/CONTRACT.md H-1, G-9
@test "health with the database server stopped gives 503, and 200 once it is back" {
	pg_down
	cgi GET health.cgi DB_CONNECT_TIMEOUT=2
	pg_up
	assert_status 503
	assert_body '{"status":"unavailable","database":"unreachable"}'
	cgi GET health.cgi
	assert_status 200
}

# docs/CONTRACT.md H-1
@test "health with a password the database refuses gives 503 misconfigured without Retry-After, and 200 with the right one" {
	cgi GET health.cgi DATABASE_URL="postgresql://mc_test:Wrong-Secret-7f3a9c@127.0.0.1:$MC_PG_PORT/medicalcare_test"
	assert_status 503
	assert_body '{"status":"unavailable","database":"misconfigured"}'
	assert_std_headers
	refute_header Retry-After
	[[ $cgi_stderr == *"check DATABASE_URL"* && $cgi_stderr != *Wrong-Secret-7f3a9c* ]]
	cgi GET health.cgi
	assert_status 200
}
