#!/usr/bin/env bats
# Shared hosting on Debian's stock Apache: a copy of the apache2 package's
# /etc/apache2 (event MPM, mod_cgid and with it serve-cgi-bin.conf's
# ScriptAlias /cgi-bin/, no mod_headers, no mod_buffer, userdir.conf's
# AllowOverride FileInfo AuthConfig Limit Indexes), changed only where a
# private instance must be, plus ExecCGI in userdir.conf's Options as
# DEPLOYMENT_GUIDE.md asks of a host; the site is a user's public_html,
# reached as /~ann/, uploaded and rendered as the guide says
# (tests/lib/apache.sh apache_start_debian). Each route reaches its
# program, Apache's own errors are JSON with a Content-Length, a body over
# 64 KiB gets the JSON 413, and what the host lacks is told, in the error
# log and by apache/check-host.sh.

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

HEALTH_OK='{"status":"ok","database":"ok"}'

setup_file() {
	http_setup_file --debian
	cp -- "$MC_APACHE_CONF/mods-enabled/userdir.conf" "$BATS_FILE_TMPDIR/userdir.conf"
	cp -- "$MC_APACHE_WWW/.htaccess" "$BATS_FILE_TMPDIR/htaccess"
}

# The host's configuration and the .htaccess as setup_file left them.
teardown() {
	local changed=0
	if ! cmp -s -- "$BATS_FILE_TMPDIR/userdir.conf" "$MC_APACHE_CONF/mods-enabled/userdir.conf"; then
		cat -- "$BATS_FILE_TMPDIR/userdir.conf" >"$MC_APACHE_CONF/mods-enabled/userdir.conf"
		changed=1
	fi
	if ! cmp -s -- "$BATS_FILE_TMPDIR/htaccess" "$MC_APACHE_WWW/.htaccess"; then
		cat -- "$BATS_FILE_TMPDIR/htaccess" >"$MC_APACHE_WWW/.htaccess"
	fi
	rm -f -- "$MC_APACHE_WWW/medicalcare/.env"
	if [[ -e $MC_APACHE_CONF/mods-enabled/fcgid.load ]]; then
		rm -f -- "$MC_APACHE_CONF"/mods-enabled/fcgid*
		apache_restart_debian
		changed=0
	fi
	if [[ $changed -eq 1 ]]; then
		debian_reload
	fi
}

# debian_reload: a graceful restart (SIGUSR1), as a host's reload, waited
# for until the new generation serves.
debian_reload() {
	local before n i
	before=$(grep -c 'AH00489' "$MC_APACHE_ERROR_LOG" || true)
	kill -USR1 "$MC_APACHE_PID"
	for ((i = 0; i < 100; i++)); do
		n=$(grep -c 'AH00489' "$MC_APACHE_ERROR_LOG" || true)
		[[ $n -gt $before ]] && return 0
		sleep 0.1
	done
	echo "apache did not restart after SIGUSR1; its log:" >&2
	tail -n 20 "$MC_APACHE_ERROR_LOG" >&2
	return 1
}

@test "the Debian host is stock, with a server-wide /cgi-bin/ alias and no mod_headers or mod_buffer" {
	local m
	for m in mpm_event cgid rewrite userdir alias setenvif env mime; do
		[[ -e $MC_APACHE_CONF/mods-enabled/$m.load ]] || _fail "$m is not enabled"
	done
	for m in headers buffer fcgid cgi mpm_prefork; do
		[[ ! -e $MC_APACHE_CONF/mods-enabled/$m.load ]] || _fail "$m is enabled"
	done
	grep -q '^[[:blank:]]*ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/' "$MC_APACHE_CONF/conf-enabled/serve-cgi-bin.conf"
	grep -q 'AllowOverride FileInfo AuthConfig Limit Indexes$' "$MC_APACHE_CONF/mods-enabled/userdir.conf"
	# The alias is in force: /cgi-bin/ is the host's folder, not the site's.
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MC_APACHE_PORT/cgi-bin/health.cgi"
	[[ $output == 404 ]]
	grep -q '/usr/lib/cgi-bin/health.cgi' "$MC_APACHE_ERROR_LOG"
}

@test "the Debian host routes every API path to its program" {
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	http GET /healthz/
	assert_status 200
	assert_body --raw "$HEALTH_OK"
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
	http GET /user/profile -H 'Authorization: Bearer not-a-jwt'
	assert_status 401
	assert_body '{"detail": "Invalid or expired token"}'
	http POST /auth/forgot-password '{"email": "nobody@example.test"}'
	assert_status 200
	assert_body '{"message": "Password reset link sent to your email"}'
	http OPTIONS /auth/login -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'
	assert_status 204
	assert_header Access-Control-Allow-Origin http://localhost:3000
	http GET /openapi.json
	assert_status 200
	cmp -- "$http_body_file" "$MC_ROOT/docs/openapi.json"
	http GET /docs
	assert_status 200
	assert_header_contains Content-Type text/html
	for p in /docs/swagger-ui.css /docs/swagger-ui-bundle.js /docs/swagger-init.js /docs/favicon-32x32.png; do
		http GET "$p"
		[[ $http_status == 200 ]] || _fail "GET $p: $http_status"
	done
	http GET /docs/
	assert_status 301
	assert_header_contains Location /~ann/docs
}

# docs/CONTRACT.md G-11
@test "the Debian host answers Apache's errors as JSON with a Content-Length, without mod_headers" {
	local p
	for p in /nope / /auth /medicalcare/ /medicalcare/.env /medicalcare/programs/health.cgi \
	    /medicalcare/docs/openapi.json /medicalcare/errors/404.json /cgi-bin/health.cgi /%2eenv; do
		http GET "$p"
		if [[ $http_status != 404 || $http_body != '{"detail":"Not Found"}' ]]; then
			echo "GET $p: expected 404 {\"detail\":\"Not Found\"}, got $http_status" >&2
			http_dump >&2
			return 1
		fi
		assert_header Content-Type application/json
		assert_header Content-Length 22
	done
	# The host's own rule for .ht files (apache2.conf) comes first: 403, as JSON.
	http GET /.htaccess
	assert_status 403
	assert_body --raw '{"detail":"Forbidden"}'
	assert_header Content-Type application/json
}

# docs/CONTRACT.md G-4
@test "the Debian host refuses a 100 KB body under mod_cgid with the JSON 413" {
	head -c 102400 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	# Declared: refused by the .htaccess, unread.
	http POST /auth/login --data-file "$BATS_TEST_TMPDIR/big.json"
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
	assert_header Content-Type application/json
	assert_header Content-Length 35
	# Chunked: the program refuses it past 64 KiB; its answer comes through
	# mod_cgid's socket whole (it reads the rest before closing).
	http POST /auth/login --data-file "$BATS_TEST_TMPDIR/big.json" -H 'Transfer-Encoding: chunked'
	assert_status 413
	assert_body '{"detail": "Request body too large"}'
	! grep -q 'Connection reset by peer' "$MC_APACHE_ERROR_LOG" || _fail "mod_cgid's socket was reset"
}

@test "apache/check-host.sh passes on the Debian host and says mod_headers is off" {
	run "$MC_ROOT/apache/check-host.sh" "$MC_HTTP_URL"
	echo "$output"
	[[ $status -eq 0 ]]
	[[ $output == *"ok    GET /health: 200"* ]]
	[[ $output == *"warn  mod_headers: off."* ]]
	[[ $output == *"ok    POST of a 70,000-byte body: 413"* ]]
	[[ $output == *"ok    Authorization reaches the programs"* ]]
	[[ $output != *FAIL* ]]
	[[ ${lines[-1]} == "All checks passed." ]]
}

@test "the Debian host without ExecCGI in the userdir Options answers a JSON 403 and logs why" {
	# Debian's userdir.conf as shipped: Options without ExecCGI.
	sed -i -E 's/^([[:blank:]]*Options[[:blank:]].*) ExecCGI$/\1/' "$MC_APACHE_CONF/mods-enabled/userdir.conf"
	! grep -q ExecCGI "$MC_APACHE_CONF/mods-enabled/userdir.conf"
	debian_reload
	http GET /health
	assert_status 403
	assert_body --raw '{"detail":"Forbidden"}'
	assert_header Content-Type application/json
	[[ $http_log == *"$MC_APACHE_WWW/medicalcare/programs/health.cgi"*"Options ExecCGI is off in this directory"* ]] ||
		_fail "no 'Options ExecCGI is off' line in the error log"
	# The rest of the .htaccess is in force: no 500 for the site.
	http GET /docs
	assert_status 200
	http GET /nope
	assert_status 404
	assert_body --raw '{"detail":"Not Found"}'
	run "$MC_ROOT/apache/check-host.sh" "$MC_HTTP_URL"
	echo "$output"
	[[ $status -eq 1 ]]
	[[ $output == *"FAIL  GET /health: 403 JSON"*"Options ExecCGI is off in this directory"* ]]
}

@test "the .htaccess on the Debian host needs only AllowOverride FileInfo" {
	sed -i 's/AllowOverride FileInfo AuthConfig Limit Indexes$/AllowOverride FileInfo/' \
	    "$MC_APACHE_CONF/mods-enabled/userdir.conf"
	grep -q 'AllowOverride FileInfo$' "$MC_APACHE_CONF/mods-enabled/userdir.conf"
	debian_reload
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	http GET /nope
	assert_status 404
	assert_body --raw '{"detail":"Not Found"}'
	head -c 70000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	http POST /auth/login --data-file "$BATS_TEST_TMPDIR/big.json"
	assert_status 413
	assert_body --raw '{"detail":"Request body too large"}'
	http GET /docs
	assert_status 200
}

@test "on the Debian host a directive the host does not allow gives 500 and names itself in the log" {
	# What the guide's troubleshooting describes: e.g. Options in a
	# .htaccess under userdir.conf's AllowOverride (no Options).
	printf 'Options +ExecCGI\n' | cat - "$BATS_FILE_TMPDIR/htaccess" >"$MC_APACHE_WWW/.htaccess"
	http GET /health
	assert_status 500
	[[ $http_log == *"$MC_APACHE_WWW/.htaccess: Options not allowed here"* ]] ||
		_fail "no 'Options not allowed here' line in the error log"
}

@test "on the Debian host an env file 0600 of another user is read through an ACL, as the guide says" {
	local env=$MC_APACHE_ENV_FILE
	if [[ $(id -u) -ne 0 ]]; then
		skip "the programs run as www-data only when the server is started by root"
	fi
	cp -- "$env" "$BATS_TEST_TMPDIR/env.orig"
	# A customer's file: theirs, mode 0600, and the server's user is not
	# in its group (no chgrp without root).
	chgrp root "$env"
	chmod 600 "$env"
	http GET /health
	assert_status 500
	assert_body '{"detail": "Internal server error"}'
	[[ $http_log == *"configuration error: could not read MEDICALCARE_ENV_FILE $env: Permission denied"* ]] ||
		_fail "no 'could not read MEDICALCARE_ENV_FILE ...: Permission denied' line in the error log"
	# The guide's fix, which needs no root: an ACL for the server's user.
	setfacl -m u:www-data:r "$env"
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	setfacl -b "$env"
	chgrp www-data "$env"
	chmod 640 "$env"
}

@test "the Debian host runs the programs under mod_fcgid where the host enables it" {
	local app=$MC_APACHE_WWW/medicalcare pids
	# The host enables Debian's mod_fcgid as packaged; only its IPC files
	# move into this private instance's directory.
	ln -s ../mods-available/fcgid.load "$MC_APACHE_CONF/mods-enabled/fcgid.load"
	ln -s ../mods-available/fcgid.conf "$MC_APACHE_CONF/mods-enabled/fcgid.conf"
	mkdir -p "$MC_APACHE_DIR/fcgid"
	chown www-data "$MC_APACHE_DIR/fcgid" 2>/dev/null || true
	printf 'FcgidIPCDir %s\nFcgidProcessTableFile %s\n' "$MC_APACHE_DIR/fcgid" "$MC_APACHE_DIR/fcgid/shm" \
	    >"$MC_APACHE_CONF/mods-enabled/fcgid-private.conf"
	apache_restart_debian
	# The guide: render without --env-file, the settings in medicalcare/.env.
	cp -- "$MC_APACHE_ENV_FILE" "$app/.env"
	chgrp www-data "$app/.env" 2>/dev/null || true
	chmod 640 "$app/.env"
	env -u MEDICALCARE_ENV_FILE "$MC_ROOT/apache/render.sh" htaccess --root "$MC_APACHE_WWW" --base /~ann/ \
	    --out "$MC_APACHE_WWW/.htaccess"
	grep -q 'SetHandler fcgid-script' "$MC_APACHE_WWW/.htaccess"
	http_account fay@example.test
	http GET /user/profile -H "Authorization: Bearer $http_token"
	assert_status 200
	assert_json .email fay@example.test
	http GET /health
	assert_status 200
	assert_body --raw "$HEALTH_OK"
	pids=$(pgrep -f "^$app/programs/health.cgi" || true)
	[[ -n $pids ]] || _fail "no health.cgi process lives on after its answer"
	http GET /medicalcare/.env
	assert_status 404
	assert_body --raw '{"detail":"Not Found"}'
}
