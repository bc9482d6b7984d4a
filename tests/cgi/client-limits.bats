#!/usr/bin/env bats
# Per-client-address limits (common/limit.h, common/client.h): past its
# budget an address gets 429 with Retry-After and the request changes
# nothing; other addresses are unaffected; X-Forwarded-For counts only from
# a trusted proxy. Each test lowers one limit to 2 with a VAR=value to cgi
# (the test env file keeps them out of the way).

load helpers

setup_file() {
	mc_setup_file
	# A cheap Argon2id hash (its cost is read from the string).
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-limit-salt-01 -id -t 1 -m 10 -p 1 -e)
	export HASH_STRONG
}

A=198.51.100.7
B=198.51.100.8
REQUESTS='{"detail":"Too many requests from this address. Please try again later."}'
LOGINS='{"detail":"Too many failed login attempts from this address. Please try again later."}'
CODES='{"detail":"Too many failed verification attempts from this address. Please try again later."}'

# assert_limited BODY: 429, exactly BODY, Retry-After within the 900 s window.
assert_limited() {
	assert_status 429
	assert_body --raw "$1"
	assert_retry_after 890 900
	assert_std_headers
}

# hits SCOPE ADDRESS prints the hits of that limit row ("" if none).
hits() {
	sql "SELECT hits FROM client_limits WHERE scope = :'s' AND address = :'a'" s="$1" a="$2"
}

# snapshot prints every row count the endpoints touch, one line.
snapshot() {
	sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE is_verified),
	            (SELECT count(*) FROM otp_codes), (SELECT coalesce(sum(attempts), 0) FROM otp_codes),
	            (SELECT count(*) FROM reset_tokens), (SELECT count(*) FROM mail_outbox),
	            (SELECT count(*) FROM login_failures), (SELECT count(*) FROM audit_events),
	            (SELECT coalesce(sum(hits), 0) FROM client_limits)"
}

# docs/CONTRACT.md CL-1, G-10
@test "the 3rd signup from one address within the window gets 429 and makes nothing; another address signs up" {
	local before
	cgi POST signup.cgi "$(jobj full_name 'Ada One' email one@example.test password StrongPass123)" \
	    REMOTE_ADDR=$A CLIENT_LIMIT_SIGNUP=2
	assert_status 201
	cgi POST signup.cgi "$(jobj full_name 'Ada Two' email two@example.test password StrongPass123)" \
	    REMOTE_ADDR=$A CLIENT_LIMIT_SIGNUP=2
	assert_status 201
	[[ $(hits signup $A) == 2 ]]
	before=$(snapshot)
	cgi POST signup.cgi "$(jobj full_name 'Ada Three' email three@example.test password StrongPass123)" \
	    REMOTE_ADDR=$A CLIENT_LIMIT_SIGNUP=2
	assert_limited "$REQUESTS"
	[[ $(snapshot) == "$before" ]] || _fail "the refused signup changed rows: $before -> $(snapshot)"
	[[ $(mail_count three@example.test) == 0 ]]
	cgi POST signup.cgi "$(jobj full_name 'Ada Three' email three@example.test password StrongPass123)" \
	    REMOTE_ADDR=$B CLIENT_LIMIT_SIGNUP=2
	assert_status 201
	[[ $(hits signup $B) == 1 ]]
}

# docs/CONTRACT.md CL-1, G-10
@test "after 2 failed logins from one address even the right password gets 429 without a password check; another address logs in" {
	local before
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST login.cgi '{"email":"x1@example.test","password":"Wrong12345"}' REMOTE_ADDR=$A CLIENT_LIMIT_LOGIN=2
	assert_status 401
	cgi POST login.cgi '{"email":"ann@example.test","password":"Wrong12345"}' REMOTE_ADDR=$A CLIENT_LIMIT_LOGIN=2
	assert_status 401
	[[ $(hits login $A) == 2 ]]
	before=$(snapshot)
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' REMOTE_ADDR=$A CLIENT_LIMIT_LOGIN=2
	assert_limited "$LOGINS"
	refute_header WWW-Authenticate
	# No failure counted, no lock cleared, no hash upgraded, no event.
	[[ $(snapshot) == "$before" ]] || _fail "the refused login changed rows: $before -> $(snapshot)"
	[[ $(sql "SELECT password_hash FROM users") == "$HASH_STRONG" ]]
	cgi POST login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' REMOTE_ADDR=$B CLIENT_LIMIT_LOGIN=2
	assert_status 200
	# A right password is no failure: its hit was given back.
	[[ $(hits login $B) == 0 ]] || _fail "a success counted against $B"
}

# docs/CONTRACT.md CL-1, G-10
@test "after 2 wrong codes from one address even the right code gets 429 and verifies nothing; another address verifies" {
	local before bad
	signed_up ada@example.com
	bad=$(printf '%06d' $(((10#$code + 1) % 1000000)))
	verify ada@example.com "$bad" REMOTE_ADDR=$A CLIENT_LIMIT_VERIFY_OTP=2
	assert_status 400
	verify nobody@example.com 123456 REMOTE_ADDR=$A CLIENT_LIMIT_VERIFY_OTP=2
	assert_status 400
	[[ $(hits verify_otp $A) == 2 ]]
	before=$(snapshot)
	verify ada@example.com "$code" REMOTE_ADDR=$A CLIENT_LIMIT_VERIFY_OTP=2
	assert_limited "$CODES"
	[[ $(snapshot) == "$before" ]] || _fail "the refused verify changed rows: $before -> $(snapshot)"
	verify ada@example.com "$code" REMOTE_ADDR=$B CLIENT_LIMIT_VERIFY_OTP=2
	assert_status 200
	[[ $(sql "SELECT is_verified FROM users") == t ]]
}

# docs/CONTRACT.md CL-1, G-10
@test "the 3rd resend-otp from one address gets 429 and sends nothing; another address is answered" {
	local before
	signed_up ada@example.com
	age_mail ada@example.com
	cgi POST resend-otp.cgi '{"email":"nobody1@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=2
	assert_status 200
	cgi POST resend-otp.cgi '{"email":"nobody2@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=2
	assert_status 200
	before=$(snapshot)
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=2
	assert_limited "$REQUESTS"
	[[ $(snapshot) == "$before" ]] || _fail "the refused resend changed rows: $before -> $(snapshot)"
	[[ $(mail_count ada@example.com) == 1 ]]
	cgi POST resend-otp.cgi '{"email":"ada@example.com"}' REMOTE_ADDR=$B CLIENT_LIMIT_RESEND_OTP=2
	assert_status 200
	mail_wait ada@example.com 2
}

# docs/CONTRACT.md CL-1, G-10
@test "the 3rd forgot-password from one address gets 429 and mails nothing; another address gets its link" {
	local before
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST forgot-password.cgi '{"email":"nobody1@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_FORGOT_PASSWORD=2
	assert_status 200
	cgi POST forgot-password.cgi '{"email":"nobody2@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_FORGOT_PASSWORD=2
	assert_status 200
	before=$(snapshot)
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_FORGOT_PASSWORD=2
	assert_limited "$REQUESTS"
	[[ $(snapshot) == "$before" ]] || _fail "the refused request changed rows: $before -> $(snapshot)"
	[[ $(mail_count ann@example.test) == 0 ]]
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' REMOTE_ADDR=$B CLIENT_LIMIT_FORGOT_PASSWORD=2
	assert_status 200
	mail_wait ann@example.test
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 1 ]]
}

# docs/CONTRACT.md CL-2
@test "X-Forwarded-For names the client only when REMOTE_ADDR is a trusted proxy" {
	local -a lim=(CLIENT_LIMIT_RESEND_OTP=2 TRUSTED_PROXIES="10.0.0.0/8, ::1")
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR="1.1.1.1, $A" "${lim[@]}"
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=::1 HTTP_X_FORWARDED_FOR="$A, 10.9.9.9" "${lim[@]}"
	assert_status 200
	[[ $(hits resend_otp $A) == 2 ]]
	[[ $(sql "SELECT count(*) FROM client_limits") == 1 ]] || _fail "the proxies were counted"
	# Through another proxy: still that client.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.200.0.1 HTTP_X_FORWARDED_FOR=$A "${lim[@]}"
	assert_limited "$REQUESTS"
	# Another client behind the proxy is unaffected.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$B "${lim[@]}"
	assert_status 200
	# Spoofed from an untrusted address: counted against that address, not A or B.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=203.0.113.9 HTTP_X_FORWARDED_FOR=$B "${lim[@]}"
	assert_status 200
	[[ $(hits resend_otp 203.0.113.9) == 1 && $(hits resend_otp $B) == 1 ]]
	# Garbage from a proxy: the proxy's own address is counted.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR="$A, bogus" "${lim[@]}"
	assert_status 200
	[[ $(hits resend_otp 10.1.2.3) == 1 ]]
}

# docs/CONTRACT.md CL-1
@test "a window that is over starts afresh; no address or a limit of 0 means no limit" {
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=1
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=1
	assert_status 429
	sql "UPDATE client_limits SET window_start = window_start - interval '901 seconds'" >/dev/null
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=1
	assert_status 200
	[[ $(hits resend_otp $A) == 1 ]]
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=0
	assert_status 200
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' -REMOTE_ADDR CLIENT_LIMIT_RESEND_OTP=1
	assert_status 200
	[[ $(sql "SELECT count(*) FROM client_limits") == 1 && $(hits resend_otp $A) == 1 ]]
}

# docs/CONTRACT.md CL-2, G-9
@test "a malformed TRUSTED_PROXIES is a configuration error naming the setting" {
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' TRUSTED_PROXIES=10.0.0.0/33
	assert_status 500
	assert_body --raw '{"detail":"Internal server error"}'
	[[ $cgi_stderr == *"TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDRs"* ]] ||
	    _fail "no line naming TRUSTED_PROXIES"
}

# docs/CONTRACT.md CL-2
@test "an IPv6 client counts by its /64: rotating addresses inside it escapes no budget" {
	local -a lim=(CLIENT_LIMIT_RESEND_OTP=2)
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=2001:db8:1:2::1 "${lim[@]}"
	assert_status 200
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=2001:db8:1:2:aaaa:bbbb:cccc:dddd "${lim[@]}"
	assert_status 200
	[[ $(sql "SELECT address || '|' || hits FROM client_limits") == "2001:db8:1:2::/64|2" ]]
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=2001:db8:1:2::99 "${lim[@]}"
	assert_limited "$REQUESTS"
	# Through a trusted proxy too.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.0.0.1 \
	    HTTP_X_FORWARDED_FOR=2001:db8:1:2::77 TRUSTED_PROXIES=10.0.0.0/8 "${lim[@]}"
	assert_limited "$REQUESTS"
	# The next /64 is another client; an IPv4 client counts by its address.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=2001:db8:1:3::1 "${lim[@]}"
	assert_status 200
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=$A "${lim[@]}"
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=198.51.100.9 "${lim[@]}"
	[[ $(hits resend_otp $A) == 1 && $(hits resend_otp 198.51.100.9) == 1 ]]
}

# The line a private sender of X-Forwarded-For is warned with (common/app.c).
WARNING='warning: X-Forwarded-For came from 10.1.2.3, which is not in TRUSTED_PROXIES: every client behind that proxy shares one address budget; set TRUSTED_PROXIES'

# docs/CONTRACT.md CL-2
@test "X-Forwarded-For from a private address with TRUSTED_PROXIES unset logs one warning naming the setting, not one per request" {
	local i n=0
	for i in 1 2 3 4; do
		cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$A
		assert_status 200
		if [[ $cgi_stderr == *"$WARNING"* ]]; then
			n=$((n + 1))
			[[ $i == 1 ]] || _fail "the warning came at request $i"
		fi
	done
	[[ $n == 1 ]] || _fail "$n warnings in 4 requests"
	# The header was not believed: the proxy's address was counted.
	[[ $(hits resend_otp 10.1.2.3) == 4 && $(hits resend_otp $A) == "" ]]
	# Other programs share the "once": no new warning from login either.
	cgi POST login.cgi '{"email":"n@example.test","password":"Wrong12345"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$A
	[[ $cgi_stderr != *"TRUSTED_PROXIES"* ]]
	# A day later it is said again.
	sql "UPDATE log_notices SET logged_at = logged_at - interval '1 day'" >/dev/null
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$A
	[[ $cgi_stderr == *"$WARNING"* ]]
}

# docs/CONTRACT.md CL-2
@test "no proxy warning for a trusted proxy, a public sender, or a request without X-Forwarded-For" {
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$A TRUSTED_PROXIES=10.0.0.0/8
	[[ $cgi_stderr != *"TRUSTED_PROXIES"* ]]
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=203.0.113.9 HTTP_X_FORWARDED_FOR=$A
	[[ $cgi_stderr != *"TRUSTED_PROXIES"* ]]
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3
	[[ $cgi_stderr != *"TRUSTED_PROXIES"* ]]
	[[ $(sql "SELECT count(*) FROM log_notices") == 0 ]]
	# A private sender missing from a TRUSTED_PROXIES that is set is warned about too.
	cgi POST resend-otp.cgi '{"email":"n@example.test"}' REMOTE_ADDR=10.1.2.3 HTTP_X_FORWARDED_FOR=$A TRUSTED_PROXIES=192.0.2.1
	[[ $cgi_stderr == *"$WARNING"* ]]
}
