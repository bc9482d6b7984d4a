#!/usr/bin/env bats
# The browser test: Debian's chromium, headless, driven by playwright-core
# (tests/browser/browser-test.mjs; setup.sh installs chromium and runs npm ci
# in tests/browser). A small page (tests/browser/page/) served from another
# origin (http://127.0.0.1:<free port>) runs the frontend's fetch calls
# against the API behind Apache: from an origin in CORS_ORIGINS it signs up,
# verifies with the OTP from the captured mail, logs in and shows the profile,
# and reads the WWW-Authenticate: Bearer error="invalid_token" of an expired
# or malformed token's 401 (exposed to it by Access-Control-Expose-Headers);
# from an origin not in CORS_ORIGINS every call fails in the browser. A
# second flow turns two-factor sign-in on from the QR code the page draws
# (npm package qrcode) and signs in with a TOTP code computed in node, then
# with a recovery code. /docs lists the endpoints. Each run of the script takes a minute at most
# (MC_BROWSER_TOTAL_MS), each of its steps a few seconds (MC_BROWSER_STEP_MS).

# shellcheck disable=SC2154  # http_status, http_body... are set by http (helpers.bash)
load helpers

# browser MODE ARG...: runs the browser script; on failure prints its output
# and fails. Closes fd 3 so that a chromium left behind cannot hang bats.
browser() {
	local out rc=0
	if [[ ! -x ${MC_CHROMIUM:-/usr/bin/chromium} ]]; then
		echo "browser: no ${MC_CHROMIUM:-/usr/bin/chromium} (setup.sh: apt-get install chromium)" >&2
		return 1
	fi
	if [[ ! -f $MC_ROOT/tests/browser/node_modules/playwright-core/package.json ]]; then
		echo "browser: no playwright-core in tests/browser/node_modules (setup.sh: npm ci in tests/browser)" >&2
		return 1
	fi
	out=$(timeout -k 5 90 node "$MC_ROOT/tests/browser/browser-test.mjs" "$@" 2>&1 3>&-) || rc=$?
	if [[ $rc -ne 0 ]]; then
		printf '%s\n' "$out" >&2
		[[ $rc -eq 124 ]] && echo "browser: killed after 90 s" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# two_free_ports: sets port_a and port_b to two different free ports.
two_free_ports() {
	port_a=$(free_port) || return 1
	port_b=$(free_port) || return 1
	while [[ $port_b == "$port_a" ]]; do
		port_b=$(free_port) || return 1
	done
}

# The access log lines Apache wrote since access_mark.
access_mark() {
	access_from=$(stat -c %s -- "$MC_APACHE_DIR/access.log" 2>/dev/null || echo 0)
}
access_since() {
	tail -c +$((access_from + 1)) -- "$MC_APACHE_DIR/access.log" 2>/dev/null
}

@test "a browser page from an allowed origin signs up, verifies, logs in, shows the profile, refreshes, lists its sessions, logs out everywhere and deletes the account" {
	two_free_ports
	# The page's origin, exactly as the browser sends it; port_b is unused.
	http_setting "CORS_ORIGINS=http://localhost:3000,http://127.0.0.1:$port_a"
	access_mark

	# Signed with the server's key, expired 2 minutes ago (past the leeway).
	local now expired
	now=$(date +%s)
	expired=$(make_jwt "{\"sub\":\"1\",\"email\":\"ada@example.test\",\"iat\":$((now - 3720)),\"exp\":$((now - 120))}")
	browser allowed --api "$MC_HTTP_URL" --port "$port_a" \
	    --name 'Ada Lovelace' --email Ada@Example.test --password StrongPass123 \
	    --expired-token "$expired"

	# The account the browser made was verified (its verification is in the
	# audit trail) and then deleted with everything of it; the calls were
	# real cross-origin ones: the browser sent preflights and got 204.
	[[ $(sql "SELECT count(*) FROM users") == 0 ]]
	[[ $(sql "SELECT count(*) FROM sessions") == 0 ]]
	[[ $(sql "SELECT string_agg(event, ',' ORDER BY id) FROM audit_events WHERE event IN ('otp_verified', 'account_deleted')") == 'otp_verified,account_deleted' ]]
	log=$(access_since)
	for p in /auth/signup /auth/verify-otp /auth/login /user/profile; do
		if ! grep -q -E "\"OPTIONS $p HTTP/1\.1\" 204 " <<<"$log"; then
			printf 'no 204 preflight for %s in the access log:\n%s\n' "$p" "$log" >&2
			false
		fi
	done
	grep -q -E '"GET /user/profile HTTP/1\.1" 200 ' <<<"$log"
	grep -q -E '"GET /user/profile HTTP/1\.1" 401 ' <<<"$log"
	# docs/CONTRACT.md SE-6, SE-8, SE-10: it refreshed, listed its sessions
	# and logged out everywhere, each a real cross-origin call.
	grep -q -E '"POST /auth/refresh HTTP/1\.1" 200 ' <<<"$log"
	grep -q -E '"GET /user/sessions HTTP/1\.1" 200 ' <<<"$log"
	grep -q -E '"POST /auth/logout HTTP/1\.1" 200 ' <<<"$log"
	# docs/CONTRACT.md AS-7: then it deleted the account.
	grep -q -E '"OPTIONS /user/delete-account HTTP/1\.1" 204 ' <<<"$log"
	grep -q -E '"POST /user/delete-account HTTP/1\.1" 200 ' <<<"$log"
}

@test "a browser page from a refused origin fails on CORS and shows nothing" {
	two_free_ports
	# port_a is allowed (and unused), the page is served from port_b.
	http_setting "CORS_ORIGINS=http://localhost:3000,http://127.0.0.1:$port_a"
	# An account whose credentials the page tries (login must fail too).
	http_account grace@example.test
	access_mark

	browser refused --api "$MC_HTTP_URL" --port "$port_b" \
	    --email eve@example.test --password StrongPass123 --login-email grace@example.test

	# The browser stopped at the preflights: no POST reached the API, no
	# account and no mail for the refused signup.
	log=$(access_since)
	grep -q -E '"OPTIONS /auth/signup HTTP/1\.1" ' <<<"$log"
	grep -q -E '"OPTIONS /auth/login HTTP/1\.1" ' <<<"$log"
	if grep -E '"POST ' <<<"$log"; then
		echo "a POST reached the API from a refused origin" >&2
		false
	fi
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'eve@example.test'") == 0 ]]
	[[ $(mail_count eve@example.test) == 0 ]]
}

# docs/CONTRACT.md MF-1, MF-2, MF-7, MF-8, MF-10, MF-11, C-3
@test "a browser page turns two-factor sign-in on from a QR code, then signs in with a TOTP code and again with a recovery code" {
	two_free_ports
	http_setting "CORS_ORIGINS=http://localhost:3000,http://127.0.0.1:$port_a"
	access_mark

	browser mfa --api "$MC_HTTP_URL" --port "$port_a" \
	    --name 'Ada Lovelace' --email Ada@Example.test --password StrongPass123 --issuer MedicalCare

	# Two-factor sign-in is on with the secret that was pending; one
	# recovery code of the 10 is spent, and its owner told how many are left.
	[[ $(sql "SELECT u.email, m.enabled_at IS NOT NULL, m.secret_sealed IS NOT NULL, m.failures
	            FROM users u JOIN user_mfa m ON m.user_id = u.id") == 'ada@example.test|t|t|0' ]]
	[[ $(sql "SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FILTER (WHERE used_at IS NOT NULL)
	            FROM mfa_recovery_codes") == '9|1' ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'mfa_recovery_used'") == 1 ]]
	# verify-otp's session and one of each mfa/verify; no mfa_token left.
	[[ $(sql "SELECT count(*) FROM sessions WHERE revoked_at IS NULL") == 3 ]]
	[[ $(sql "SELECT count(*) FROM mfa_tokens") == 0 ]]
	[[ $(sql "SELECT string_agg(event, ',' ORDER BY id) FROM audit_events WHERE event LIKE 'mfa%'") == \
	    'mfa_setup,mfa_enabled,mfa_verified,mfa_recovery_used,mfa_verified' ]]
	# Real cross-origin calls: a preflight (204) before each two-factor POST.
	log=$(access_since)
	for p in /user/mfa/setup /user/mfa/enable /auth/mfa/verify; do
		grep -q -E "\"OPTIONS $p HTTP/1\.1\" 204 " <<<"$log"
		[[ $(grep -c -E "\"POST $p HTTP/1\.1\" 200 " <<<"$log") -ge 1 ]]
	done
	[[ $(grep -c -E '"POST /auth/mfa/verify HTTP/1\.1" 200 ' <<<"$log") == 2 ]]
}

@test "the docs page in a browser lists every endpoint of openapi.json" {
	browser docs --api "$MC_HTTP_URL"
}
