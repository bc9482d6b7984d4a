#!/usr/bin/env bats
# The fixes of the security review, as an attacker and the owner meet them
# over HTTP through Apache: a second sign-up cannot take an account over, a
# stranger's failed logins do not lock the owner out, reset mails to one
# address are capped, an IPv6 client counts by its /64, and X-Forwarded-For
# from a proxy nobody trusted is warned about once. Clients are told apart
# by X-Forwarded-For with TRUSTED_PROXIES=127.0.0.1 (Apache's REMOTE_ADDR
# here), as behind a real proxy.

# shellcheck disable=SC2154  # http_status, http_body, http_log are set by http
load helpers

OWNER='X-Forwarded-For: 203.0.113.20'
STRANGER='X-Forwarded-For: 198.51.100.66'

# docs/CONTRACT.md SU-2
@test "a stranger's second sign-up of an unverified address gets 409 and the owner alone sets the password, by the mailed link" {
	local code token
	http POST /auth/signup '{"full_name":"Ada Lovelace","email":"ada@example.com","password":"StrongPass123"}'
	assert_status 201
	mail_wait ada@example.com
	code=$(mail_otp ada@example.com)
	sql "UPDATE users SET created_at = created_at - interval '2 minutes'" >/dev/null
	age_mail ada@example.com 120
	# The stranger, with the owner's address and a password of his own.
	http POST /auth/signup '{"full_name":"Mallory","email":"ada@example.com","password":"MalloryPass2024x"}'
	assert_status 409
	assert_body --raw '{"detail":"Email already registered"}'
	# The owner's code no longer opens the account; resending gives none.
	http POST /auth/verify-otp "$(jobj email ada@example.com otp "$code")"
	assert_status 400
	assert_body --raw '{"detail":"Invalid or expired OTP"}'
	age_mail ada@example.com 61
	http POST /auth/resend-otp '{"email":"ada@example.com"}'
	assert_status 200
	sleep 0.5
	[[ $(mail_count ada@example.com) == 2 ]]
	[[ $(mail_text ada@example.com) != *Mallory* ]]
	# The mailed link: whoever reads the address chooses the password.
	token=$(mail_reset_token ada@example.com)
	http POST /auth/reset-password "$(jobj token "$token" new_password OwnersOwn4Pass confirm_password OwnersOwn4Pass)"
	assert_status 200
	http POST /auth/login '{"email":"ada@example.com","password":"MalloryPass2024x"}'
	assert_status 401
	http POST /auth/login '{"email":"ada@example.com","password":"StrongPass123"}'
	assert_status 401
	http POST /auth/login '{"email":"ada@example.com","password":"OwnersOwn4Pass"}'
	assert_status 200
	http GET /user/profile -H "Authorization: Bearer $(json_get .access_token)"
	assert_json .full_name "Ada Lovelace"
	assert_json .is_verified true
}

# docs/CONTRACT.md LI-4
@test "a stranger's five wrong passwords lock only the stranger; the owner signs in from their own address" {
	http_setting TRUSTED_PROXIES=127.0.0.1
	http_account ann@example.test
	for _ in 1 2 3 4 5; do
		http POST /auth/login '{"email":"ann@example.test","password":"Guess12345"}' -H "$STRANGER"
		assert_status 401
	done
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}' -H "$STRANGER"
	assert_status 429
	assert_retry_after 1 900
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}' -H "$OWNER"
	assert_status 200
	# 100 failures within an hour from anywhere: everyone else is locked, not
	# the address the owner just signed in from.
	sql "UPDATE login_email_failures SET failures = 99" >/dev/null
	http POST /auth/login '{"email":"ann@example.test","password":"Guess12345"}' -H 'X-Forwarded-For: 198.51.100.67'
	assert_status 401
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}' -H 'X-Forwarded-For: 198.51.100.68'
	assert_status 429
	http POST /auth/login '{"email":"ann@example.test","password":"StrongPass123"}' -H "$OWNER"
	assert_status 200
}

# docs/CONTRACT.md CL-2
@test "an IPv6 client behind the proxy counts by its /64" {
	http_setting TRUSTED_PROXIES=127.0.0.1 CLIENT_LIMIT_FORGOT_PASSWORD=2
	http POST /auth/forgot-password '{"email":"n1@example.test"}' -H 'X-Forwarded-For: 2001:db8:4:5::1'
	assert_status 200
	http POST /auth/forgot-password '{"email":"n2@example.test"}' -H 'X-Forwarded-For: [2001:db8:4:5:9::9]:4711'
	assert_status 200
	http POST /auth/forgot-password '{"email":"n3@example.test"}' -H 'X-Forwarded-For: 2001:db8:4:5:ffff::1'
	assert_status 429
	http POST /auth/forgot-password '{"email":"n3@example.test"}' -H 'X-Forwarded-For: 2001:db8:4:6::1'
	assert_status 200
	[[ $(sql "SELECT string_agg(address || '=' || hits, ' ' ORDER BY address) FROM client_limits") == \
	    "2001:db8:4:5::/64=2 2001:db8:4:6::/64=1" ]]
}

# docs/CONTRACT.md PW-2
@test "five reset mails a day to one address, then the same 200 and no mail" {
	local i
	http_account ann@example.test
	for i in 1 2 3 4 5; do
		http POST /auth/forgot-password '{"email":"ann@example.test"}'
		assert_status 200
		mail_wait ann@example.test $((i + 1))
		age_mail ann@example.test 61
	done
	http POST /auth/forgot-password '{"email":"ann@example.test"}'
	assert_status 200
	assert_body --raw '{"message":"Password reset link sent to your email"}'
	sleep 0.5
	[[ $(mail_count ann@example.test) == 6 ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 5 ]]
}

# docs/CONTRACT.md CL-2
@test "X-Forwarded-For through a proxy not in TRUSTED_PROXIES: one warning naming the setting in the error log, not one per request" {
	local i n=0
	sql "DELETE FROM log_notices" >/dev/null
	for i in 1 2 3; do
		http POST /auth/resend-otp '{"email":"n@example.test"}' -H "$STRANGER"
		assert_status 200
		if [[ $http_log == *"warning: X-Forwarded-For came from 127.0.0.1, which is not in TRUSTED_PROXIES"* ]]; then
			n=$((n + 1))
		fi
	done
	[[ $n == 1 ]] || _fail "$n warnings in 3 requests"
	# The header was not believed: Apache's peer was counted.
	[[ $(sql "SELECT string_agg(host(address), ',') FROM client_limits") == 127.0.0.1 ]]
}
