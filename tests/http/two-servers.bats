#!/usr/bin/env bats
# Two Apache servers in front of the one test database (tests/lib/apache.sh
# apache_start_other): the per-address limit and the per-account login lock
# live in PostgreSQL, so failures spread over both servers count as one.

load helpers

setup_file() {
	http_setup_file || return 1
	apache_start_other --env-file "$MC_APACHE_ENV_FILE"
}

teardown_file() {
	apache_stop_other
	http_teardown_file
}

setup() {
	http_reset
	cat -- "$MC_APACHE_ENV_FILE" >"$MC_APACHE2_ENV_FILE"
}

# on 1|2 METHOD PATH [BODY] [option]...: http against server 1 or 2.
on() {
	local n=$1
	shift
	if [[ $n == 2 ]]; then
		local MC_HTTP_URL=$MC_HTTP_URL2 MC_APACHE_ERROR_LOG=$MC_APACHE2_ERROR_LOG
		http "$@"
	else
		http "$@"
	fi
}

# both VAR=value...: the setting on both servers.
both() {
	http_setting "$@"
	cat -- "$MC_APACHE_ENV_FILE" >"$MC_APACHE2_ENV_FILE"
}

@test "failed logins spread over two servers meet one per-address limit, by X-Forwarded-For from a trusted proxy" {
	both CLIENT_LIMIT_LOGIN=3 TRUSTED_PROXIES=127.0.0.1
	local xff='X-Forwarded-For: 203.0.113.50' n=0 s
	for s in 1 2 1; do
		n=$((n + 1))
		on $s POST /auth/login "{\"email\":\"u$n@example.test\",\"password\":\"Wrong12345\"}" -H "$xff"
		assert_status 401
	done
	[[ $(sql "SELECT hits FROM client_limits WHERE scope = 'login' AND address = '203.0.113.50'") == 3 ]]
	on 2 POST /auth/login '{"email":"u9@example.test","password":"Wrong12345"}' -H "$xff"
	assert_status 429
	assert_body --raw '{"detail":"Too many failed login attempts from this address. Please try again later."}'
	assert_retry_after 1 900
	# Another client behind the same proxy is not limited.
	on 1 POST /auth/login '{"email":"u9@example.test","password":"Wrong12345"}' -H 'X-Forwarded-For: 203.0.113.51'
	assert_status 401
	[[ $(sql "SELECT count(*) FROM login_failures WHERE email = 'u9@example.test'") == 1 ]]
}

@test "five failures for one email spread over two servers lock it on both" {
	http_account ann@example.test
	local s n0
	n0=$(grep -c 'POST /auth/login' "$MC_APACHE2_DIR/access.log" || true)
	for s in 1 2 1 2 1; do
		on $s POST /auth/login '{"email":"ann@example.test","password":"Wrong12345"}'
		assert_status 401
	done
	on 2 POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 429
	assert_body --raw '{"detail":"Too many failed login attempts. Please try again later."}'
	assert_retry_after 1 900
	on 1 POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}'
	assert_status 429
	# Both servers did serve: each logged its share.
	[[ $MC_HTTP_URL2 != "$MC_HTTP_URL" ]]
	local n
	n=$(grep -c 'POST /auth/login' "$MC_APACHE2_DIR/access.log")
	[[ $((n - n0)) == 3 ]] || _fail "server 2 served $((n - n0)) logins, not 3"
}
