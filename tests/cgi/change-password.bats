#!/usr/bin/env bats
# POST /user/change-password (cgi-bin/change-password.cgi): the current
# password typed again on login's lockout, a new one chosen by the input
# rules, every earlier token and reset token revoked, the owner told by mail,
# a new token in the answer (docs/CONTRACT.md AS-1, AS-3, AS-5, AS-6, AS-8).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-change-salt1 -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

LOCKED='{"detail":"Too many failed login attempts. Please try again later."}'
INVALID_TOKEN='{"detail":"Invalid or expired token"}'
GUESSABLE='{"detail":[{"loc":["body","new_password"],"msg":"Value error, Password is too easy to guess","type":"value_error"}]}'

# Two verified accounts with the password StrongPass123: bob (id 1) and ann
# (id 2); ANN is a token of ann's.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	ANN=$(user_token 2 ann@example.test)
}

# change TOKEN CURRENT NEW [CONFIRM] [VAR=value]...
change() {
	local tok=$1 cur=$2 new=$3 confirm=$3
	shift 3
	if [[ $# -gt 0 && $1 != *=* ]]; then
		confirm=$1
		shift
	fi
	cgi POST change-password.cgi "$(jobj current_password "$cur" new_password "$new" confirm_password "$confirm")" \
	    HTTP_AUTHORIZATION="Bearer $tok" "$@"
}

# login EMAIL PASSWORD
login() {
	cgi POST login.cgi "$(jobj email "$1" password "$2")"
}

# claims_of TOKEN prints the claims of a JWT, unverified (its iat may lie a
# second ahead: a token is never issued before the account's revocation point).
claims_of() {
	local p=${1#*.}
	p=${p%%.*}
	p=${p//-/+} p=${p//_//}
	while ((${#p} % 4)); do p+='='; done
	base64 -d <<<"$p"
}

# hash_of ID prints the stored password hash of account ID.
hash_of() {
	sql "SELECT password_hash FROM users WHERE id = $1"
}

@test "change-password with the right current password gives 200 and a token; the new password logs in, the old one not" {
	two_users
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	assert_jq 'keys == ["access_token", "expires_in", "refresh_token", "token_type"]
	    and .token_type == "bearer" and .expires_in == 3600'
	assert_std_headers
	[[ $(hash_of 2) == '$argon2id$'* && $(hash_of 2) != "$HASH_STRONG" ]]
	login ann@example.test NewStrongPass123
	assert_status 200
	login ann@example.test StrongPass123
	assert_status 401
	[[ $(hash_of 1) == "$HASH_STRONG" ]]
}

@test "the token of the answer works at once; every earlier token of the account gets 401, other accounts' do not" {
	two_users
	local older bob tok
	older=$(user_token 2 ann@example.test -60)
	bob=$(user_token 1 bob@example.test)
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	tok=$(json_get .access_token)
	[[ $(claims_of "$tok" | jq -r .sub) == 2 ]]
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 200
	assert_json .email ann@example.test
	local t
	for t in "$ANN" "$older"; do
		cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $t"
		assert_status 401
		assert_body --raw "$INVALID_TOKEN"
		assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	done
	change "$ANN" NewStrongPass123 OtherStrongPass456
	assert_status 401
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $bob"
	assert_status 200
}

@test "change-password ends every session of the account and answers with a new one that keeps the caller's start time" {
	# docs/CONTRACT.md AS-6, SE-1
	two_users
	local other bob
	other=$(user_token 2 ann@example.test)
	bob=$(user_token 1 bob@example.test)
	sql "UPDATE sessions SET created_at = now() - interval '2 days' WHERE user_id = 2" >/dev/null
	local before
	before=$(sql "SELECT floor(extract(epoch FROM min(created_at)))::bigint FROM sessions WHERE user_id = 2")
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	local tok rt sid
	tok=$(json_get .access_token)
	rt=$(json_get .refresh_token)
	sid=$(claims_of "$tok" | jq -r .sid)
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 2 AND revoked_at IS NULL") == 1 ]]
	[[ $(sql "SELECT floor(extract(epoch FROM created_at))::bigint FROM sessions
	          WHERE id = :'s' AND user_id = 2 AND revoked_at IS NULL" s="$sid") == "$before" ]] ||
	    _fail "the new session does not keep the start $before: $(sql "SELECT * FROM sessions")"
	[[ $(sql "SELECT count(*) FROM refresh_tokens WHERE session_id = :'s'
	          AND token_hash = sha256(convert_to(:'t', 'UTF8'))" s="$sid" t="$rt") == 1 ]]
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $other"
	assert_status 401
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $bob"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM sessions WHERE user_id = 1 AND revoked_at IS NULL") == 1 ]]
}

@test "change-password kills every outstanding reset token of the account" {
	two_users
	make_token 2
	local ann_reset=$token
	make_token 1
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	cgi POST reset-password.cgi "$(jobj token "$ann_reset" new_password OtherStrongPass456 confirm_password OtherStrongPass456)"
	assert_status 400
	assert_body --raw '{"detail":"Invalid or expired reset token"}'
	[[ $(sql "SELECT user_id || ':' || (used_at IS NOT NULL) FROM reset_tokens ORDER BY id") == $'2:true\n1:false' ]]
}

# docs/CONTRACT.md MF-8
@test "change-password ends every mfa_token of the account and only of it" {
	two_users
	sql "INSERT INTO mfa_tokens (user_id, token_hash, expires_at)
	     VALUES (1, sha256('a'), now() + interval '5 minutes'), (2, sha256('b'), now() + interval '5 minutes')" >/dev/null
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	[[ $(sql "SELECT string_agg(user_id::text, ',') FROM mfa_tokens") == 1 ]]
}

@test "change-password mails the owner that the password was changed, with the reset's template" {
	two_users
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	mail_wait ann@example.test
	[[ $(mail_count) == 1 ]]
	[[ $(mail_header ann@example.test Subject) == "Your MedicalCare password was changed" ]]
	local text
	text=$(mail_text ann@example.test)
	[[ $text == "Hello Ann Example,"* && $text == *"account was just changed"* ]] || _fail "text: $text"
	[[ $text != *NewStrongPass123* && $text != *StrongPass123* ]]
	[[ $(sql "SELECT kind || '|' || status || '|' || user_id FROM mail_outbox") == "password_changed|sent|2" ]]
}

@test "change-password records a password_changed event with the account and the client" {
	two_users
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	[[ $(sql "SELECT event || '|' || user_id || '|' || email || '|' || host(client_address) FROM audit_events") == \
	    "password_changed|2|ann@example.test|127.0.0.1" ]] || _fail "events: $(sql "SELECT * FROM audit_events")"
}

@test "new_password equal to current_password as sent gets 422 on new_password and changes nothing" {
	two_users
	change "$ANN" StrongPass123 StrongPass123
	assert_status 422
	assert_body --raw "$(err422 "$(ferr new_password 'Value error, New password must be different from the current password' value_error)")"
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 && $(mail_count) == 0 ]]
}

@test "the two fields are compared, not the stored hash: a wrong current password equal to new_password gets 422" {
	two_users
	change "$ANN" NewStrongPass123 NewStrongPass123
	assert_status 422
	assert_jq '.detail[0].loc == ["body", "new_password"]'
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

@test "confirm_password different from new_password gets 422 on confirm_password and changes nothing" {
	two_users
	change "$ANN" StrongPass123 NewStrongPass123 NewStrongPass124
	assert_status 422
	assert_body --raw "$(err422 "$(ferr confirm_password 'Value error, Passwords do not match' value_error)")"
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "a guessable new password gets 422 as at signup and reset; one built from the account's own name too" {
	two_users
	local pw
	for pw in Password123 Welcome2024 Qwerty123; do
		change "$ANN" StrongPass123 "$pw"
		assert_status 422
		assert_body --raw "$GUESSABLE"
	done
	change "$ANN" StrongPass123 short1A
	assert_status 422
	assert_body --raw "$(err422 "$(ferr new_password 'String should have at least 8 characters' string_too_short)")"
	sql "UPDATE users SET full_name = 'Zorblax Quintavius' WHERE id = 2" >/dev/null
	change "$ANN" StrongPass123 Zorblax2024
	assert_status 422
	assert_body --raw "$GUESSABLE"
	[[ $(hash_of 2) == "$HASH_STRONG" && $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	# Another account, whose words lack it, may choose it.
	change "$(user_token 1 bob@example.test)" StrongPass123 Zorblax2024
	assert_status 200
}

@test "the account's own words are checked before the password: a wrong one with a guessable new password gets 422, counts nothing" {
	two_users
	sql "UPDATE users SET full_name = 'Zorblax Quintavius' WHERE id = 2" >/dev/null
	change "$ANN" WrongPass123 Zorblax2024
	assert_status 422
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

@test "change-password with a wrong current password gets 400 Incorrect password and counts a failed login" {
	two_users
	change "$ANN" WrongPass123 NewStrongPass123
	assert_status 400
	assert_body --raw "$INCORRECT"
	refute_header WWW-Authenticate
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
	[[ $(sql "SELECT email || '|' || failures FROM login_failures") == "ann@example.test|1" ]]
	[[ $(sql "SELECT event || '|' || user_id || '|' || detail FROM audit_events") == "login_failure|2|re-authentication" ]]
	[[ $(mail_count) == 0 ]]
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 200
}

@test "the 5th wrong current password locks: then 429 here and at login, the right password included" {
	two_users
	local i
	for i in 1 2 3 4 5; do
		change "$ANN" "WrongPass12$i" NewStrongPass123
		assert_status 400
	done
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 429
	assert_body --raw "$LOCKED"
	assert_retry_after 1 900
	login ann@example.test StrongPass123
	assert_status 429
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "a login lock answers 429 before the current password is checked" {
	two_users
	local i
	for i in 1 2 3 4 5; do
		login ann@example.test "WrongPass12$i"
		assert_status 401
	done
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 429
	assert_body --raw "$LOCKED"
	[[ $(sql "SELECT failures FROM login_failures") == 5 && $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "the right current password clears the client's failures, as a login does" {
	two_users
	change "$ANN" WrongPass123 NewStrongPass123
	change "$ANN" WrongPass124 NewStrongPass123 REMOTE_ADDR=192.0.2.7
	[[ $(sql "SELECT count(*) FROM login_failures") == 2 ]]
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 200
	[[ $(sql "SELECT client || '|' || failures FROM login_failures") == "192.0.2.7|1" ]]
}

@test "change-password with no fields gets 422 listing current_password, new_password and confirm_password in order" {
	two_users
	cgi POST change-password.cgi '{}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr current_password 'Field required' missing)" \
	    "$(ferr new_password 'Field required' missing)" "$(ferr confirm_password 'Field required' missing)")"
	cgi POST change-password.cgi '{"current_password":"","new_password":1,"confirm_password":"x"}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr current_password 'String should have at least 1 character' string_too_short)" \
	    "$(ferr new_password 'Input should be a valid string' string_type)")"
}

@test "change-password without a Bearer token gets 401 Not authenticated; a field error comes first" {
	two_users
	cgi POST change-password.cgi "$(jobj current_password StrongPass123 new_password NewStrongPass123 confirm_password NewStrongPass123)"
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	assert_header WWW-Authenticate Bearer
	cgi POST change-password.cgi '{}'
	assert_status 422
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "change-password with a revoked or expired token gets 401 before the password is checked" {
	two_users
	change "$(user_token 2 ann@example.test -7200)" WrongPass123 NewStrongPass123
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	sql "UPDATE users SET token_min_iat = extract(epoch FROM now())::bigint + 10 WHERE id = 2" >/dev/null
	change "$ANN" WrongPass123 NewStrongPass123
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 && $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "change-password checks in order 405, 413, 415, 400, 422" {
	two_users
	cgi GET change-password.cgi 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 405
	assert_header Allow "POST, OPTIONS"
	change "$ANN" StrongPass123 NewStrongPass123 CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain
	assert_status 413
	change "$ANN" StrongPass123 NewStrongPass123 CONTENT_TYPE=text/plain
	assert_status 415
	cgi POST change-password.cgi '"x"' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	change "$ANN" StrongPass123 StrongPass123
	assert_status 422
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
}

@test "change-password with the database unreachable gives 503 and changes nothing" {
	two_users
	change "$ANN" StrongPass123 NewStrongPass123 $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	[[ $(hash_of 2) == "$HASH_STRONG" && $(mail_count) == 0 ]]
}

# ann_mfa: two_users, then ann's two-factor sign-in on (MFA_SECRET, RECOVERY
# as mfa_on) and ANN a token of a session opened after it.
ann_mfa() {
	two_users
	mfa_on 2 ann@example.test StrongPass123
	ANN=$(user_token 2 ann@example.test)
}

# change_code TOKEN CODE: ann's change to NewStrongPass123 with `code` CODE.
change_code() {
	cgi POST change-password.cgi \
	    "$(jobj current_password StrongPass123 new_password NewStrongPass123 confirm_password NewStrongPass123 code "$2")" \
	    HTTP_AUTHORIZATION="Bearer $1"
}

# docs/CONTRACT.md MF-15, MF-6
@test "with two-factor sign-in on change-password without a code or with a wrong one gets 400 Invalid code, counted, and changes nothing; a right TOTP code changes the password" {
	ann_mfa
	change "$ANN" StrongPass123 NewStrongPass123
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
	local code
	code=$(totp "$MFA_SECRET")
	change_code "$ANN" "$(printf '%06d' $(((10#$code + 1) % 1000000)))"
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 2 ]]
	[[ $(sql "SELECT count(*) FROM audit_events WHERE event = 'password_changed'") == 0 ]]
	change_code "$ANN" "$code"
	assert_status 200
	assert_jq '.token_type == "bearer"'
	[[ $(hash_of 2) != "$HASH_STRONG" ]]
	[[ $(sql "SELECT failures, abs(last_step - floor(extract(epoch FROM now()) / 30)) <= 1
	          FROM user_mfa WHERE user_id = 2") == '0|t' ]]
	# Two-factor sign-in stays on.
	[[ $(sql "SELECT enabled_at IS NOT NULL FROM user_mfa WHERE user_id = 2") == t ]]
}

# docs/CONTRACT.md MF-15, MF-11
@test "with two-factor sign-in on a recovery code changes the password once; its notice with the codes left is queued for the outbox" {
	ann_mfa
	local rc
	rc=$(sed -n 2p <<<"$RECOVERY")
	change_code "$ANN" "$rc"
	assert_status 200
	local tok
	tok=$(json_get .access_token)
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = 2 AND used_at IS NOT NULL") == 1 ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'mfa_recovery_used'") == change-password ]]
	mail_wait ann@example.test 3
	[[ $(sql "SELECT string_agg(kind || ':' || status, ',' ORDER BY id) FROM mail_outbox WHERE id > 2") == 'mfa_recovery_used:pending,password_changed:sent' ]]
	sql "UPDATE mail_outbox SET next_attempt_at = now() WHERE status = 'pending'" >/dev/null
	run_outbox
	[[ $outbox_rc == 0 ]]
	mail_wait ann@example.test 4
	[[ $(mail_header ann@example.test Subject) == 'A recovery code was used for your MedicalCare account' ]]
	[[ $(mail_text ann@example.test) == *"Recovery codes left: 9."* ]]
	# Spent: the same code is wrong now.
	cgi POST change-password.cgi \
	    "$(jobj current_password NewStrongPass123 new_password OtherStrongPass456 confirm_password OtherStrongPass456 code "$rc")" \
	    HTTP_AUTHORIZATION="Bearer $tok"
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
}

# docs/CONTRACT.md MF-15, MF-6, AS-5
@test "with two-factor sign-in on the second-factor lock answers 429 before the password is checked" {
	ann_mfa
	sql "UPDATE user_mfa SET locked_until = now() + interval '10 minutes', locks = 1 WHERE user_id = 2" >/dev/null
	cgi POST change-password.cgi \
	    "$(jobj current_password WrongPass123 new_password NewStrongPass123 confirm_password NewStrongPass123 code "$(totp "$MFA_SECRET")")" \
	    HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 429
	assert_body --raw '{"detail":"Too many invalid codes. Please try again later."}'
	assert_retry_after 500 600
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	[[ $(hash_of 2) == "$HASH_STRONG" ]]
}

# docs/CONTRACT.md MF-15, AS-6
@test "with two-factor sign-in off a code sent with change-password is ignored, whatever it holds" {
	two_users
	change_code "$ANN" not-a-code
	assert_status 200
	assert_jq '.token_type == "bearer"'
	[[ $(hash_of 2) != "$HASH_STRONG" ]]
	[[ $(sql "SELECT count(*) FROM user_mfa") == 0 ]]
}
