#!/usr/bin/env bats
# POST /user/delete-account (cgi-bin/delete-account.cgi): the password typed
# again on login's lockout, then the account and everything of it deleted in
# one transaction, a last mail to the owner, the audit trail kept without the
# address (docs/CONTRACT.md AS-1, AS-4, AS-5, AS-7, AS-8).

load helpers

setup_file() {
	mc_setup_file
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-delete-salt1 -id -t 2 -m 10 -p 1 -e)
	export HASH_STRONG
}

DELETED='{"message":"Account deleted"}'
LOCKED='{"detail":"Too many failed login attempts. Please try again later."}'
INVALID_TOKEN='{"detail":"Invalid or expired token"}'

# Two verified accounts with the password StrongPass123: bob (id 1) and ann
# (id 2); ANN is a token of ann's.
two_users() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     VALUES ('bob@example.test', 'Bob Other', :'h', true),
	            ('ann@example.test', 'Ann Example', :'h', true)" h="$HASH_STRONG" >/dev/null
	ANN=$(user_token 2 ann@example.test)
}

# delete_account TOKEN PASSWORD [VAR=value]...
delete_account() {
	local tok=$1 pw=$2
	shift 2
	cgi POST delete-account.cgi "$(jobj password "$pw")" HTTP_AUTHORIZATION="Bearer $tok" "$@"
}

# login EMAIL PASSWORD
login() {
	cgi POST login.cgi "$(jobj email "$1" password "$2")"
}

# owned_by_ann: rows of ann (id 2) in every table that can hold one: a code,
# a reset token, a known client, login failures and locks, a check in
# progress, outbox rows queued and sent, a second factor (a setup pending:
# once it is on, a deletion needs a code, MF-15) with recovery codes and a
# login's MFA token.
owned_by_ann() {
	sql "INSERT INTO otp_codes (user_id, code_hash, expires_at)
	       VALUES (2, sha256('x'), now() + interval '10 minutes');
	     INSERT INTO user_mfa (user_id, pending_sealed, pending_code_hash, pending_expires_at,
	                           last_step, failures)
	       VALUES (2, decode(repeat('ab', 48), 'hex'), sha256('p'), now() + interval '10 minutes',
	               59000000, 3);
	     INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (2, sha256('r1')), (2, sha256('r2'));
	     INSERT INTO mfa_tokens (user_id, token_hash, expires_at)
	       VALUES (2, sha256('m'), now() + interval '5 minutes');
	     INSERT INTO reset_tokens (user_id, token_hash, expires_at)
	       VALUES (2, sha256('y'), now() + interval '15 minutes');
	     INSERT INTO login_known_clients (user_id, client, last_success_at) VALUES (2, '192.0.2.1', now());
	     INSERT INTO login_failures (email, client, failures, window_start)
	       VALUES ('ann@example.test', '192.0.2.9', 2, now());
	     INSERT INTO login_email_failures (email, failures, window_start)
	       VALUES ('ann@example.test', 2, now());
	     INSERT INTO login_attempts (email, client, started_at)
	       VALUES ('ann@example.test', '192.0.2.9', now() - interval '2 minutes');
	     INSERT INTO mail_outbox (kind, recipient, user_id, message, status)
	       VALUES ('reset', 'ann@example.test', 2, '\\x00', 'pending'),
	              ('otp', 'ann@example.test', NULL, NULL, 'sent');
	     INSERT INTO mail_outbox_unreadable (outbox_id, key_id)
	       SELECT id, '\\x0102030405060708' FROM mail_outbox WHERE status = 'pending';
	     INSERT INTO audit_events (event, user_id, email, detail)
	       VALUES ('login_success', 2, 'ann@example.test', NULL)" >/dev/null
}

# bob_rows prints a fingerprint of bob's account and what belongs to it.
bob_rows() {
	sql "SELECT (SELECT full_name || password_hash FROM users WHERE id = 1),
	            (SELECT count(*) FROM reset_tokens WHERE user_id = 1),
	            (SELECT count(*) FROM audit_events WHERE email = 'bob@example.test')"
}

@test "delete-account with the right password gives 200 Account deleted and leaves no row of the account but its audit events" {
	two_users
	owned_by_ann
	sql "INSERT INTO reset_tokens (user_id, token_hash, expires_at)
	       VALUES (1, sha256('z'), now() + interval '15 minutes');
	     INSERT INTO audit_events (event, user_id, email) VALUES ('login_success', 1, 'bob@example.test')" >/dev/null
	local bob
	bob=$(bob_rows)
	[[ -n $(rows_of_account 2 ann@example.test) ]]
	delete_account "$ANN" StrongPass123
	assert_status 200
	assert_body --raw "$DELETED"
	assert_std_headers
	mail_wait ann@example.test
	local left
	left=$(rows_of_account 2 ann@example.test)
	[[ -z $left ]] || _fail "left of the account: $left"
	[[ $(bob_rows) == "$bob" ]] || _fail "bob's rows changed: $(bob_rows)"
	[[ $(sql "SELECT count(*) FROM users") == 1 ]]
}

@test "delete-account mails the owner a last time, though the account row is gone" {
	two_users
	delete_account "$ANN" StrongPass123
	assert_status 200
	mail_wait ann@example.test
	[[ $(mail_count) == 1 ]]
	[[ $(mail_header ann@example.test Subject) == "Your MedicalCare account was deleted" ]]
	local text
	text=$(mail_text ann@example.test)
	[[ $text == "Hello Ann Example,"* ]] || _fail "text: $text"
	[[ $text == *"were just deleted"* && $text == *"sign up again with this address"* ]] || _fail "text: $text"
	[[ $text != *StrongPass123* ]]
	# Sent, its content and its address wiped: nothing names the address.
	[[ $(sql "SELECT kind || '|' || status || '|' || recipient || '|' || coalesce(user_id::text, '-')
	            || '|' || (message IS NULL) FROM mail_outbox") == "account_deleted|sent||-|true" ]]
}

@test "the last mail waits in the outbox when the mail server fails and goes out later" {
	two_users
	mail_reject_with '451 4.3.0 try later'
	delete_account "$ANN" StrongPass123
	assert_status 200
	[[ $(mail_count) == 0 ]]
	[[ $(sql "SELECT kind || '|' || status || '|' || recipient FROM mail_outbox") == "account_deleted|pending|ann@example.test" ]]
	mail_accept
	sql "UPDATE mail_outbox SET next_attempt_at = now()" >/dev/null
	run_outbox
	[[ $outbox_rc == 0 ]] || _fail "outbox: $outbox_err"
	mail_wait ann@example.test
	[[ $(mail_header ann@example.test Subject) == "Your MedicalCare account was deleted" ]]
	[[ -z $(rows_of_account 2 ann@example.test) ]] || _fail "left: $(rows_of_account 2 ann@example.test)"
}

@test "after delete-account the account's tokens get 401 and its password no longer logs in" {
	two_users
	delete_account "$ANN" StrongPass123
	assert_status 200
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	delete_account "$ANN" StrongPass123
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	login ann@example.test StrongPass123
	assert_status 401
	assert_body --raw '{"detail":"Invalid email or password"}'
}

@test "after delete-account the address can sign up again, as a new account" {
	two_users
	delete_account "$ANN" StrongPass123
	assert_status 200
	signed_up ann@example.test "Ann Again" NewStrongPass123
	[[ $uid == 3 ]]
	verify ann@example.test "$code"
	assert_status 200
	login ann@example.test NewStrongPass123
	assert_status 200
}

@test "the audit trail keeps the deletion and the account's events with its id and without its address" {
	two_users
	sql "INSERT INTO audit_events (event, user_id, email, detail)
	     VALUES ('login_success', 2, 'ann@example.test', NULL),
	            ('login_failure', NULL, NULL, 'unknown email')" >/dev/null
	delete_account "$ANN" StrongPass123
	assert_status 200
	[[ $(sql "SELECT event || '|' || user_id || '|' || coalesce(email, '-') || '|' || coalesce(length(email_hmac), 0)
	            || '|' || coalesce(host(client_address), '-')
	            FROM audit_events WHERE user_id = 2 ORDER BY id") == \
	    $'login_success|2|-|64|-\naccount_deleted|2|-|0|127.0.0.1' ]] ||
	    _fail "events: $(sql "SELECT * FROM audit_events")"
	[[ $(sql "SELECT count(*) FROM audit_events WHERE email IS NOT NULL OR detail ILIKE '%ann@%'") == 0 ]]
	# The keyed hash is the one every other event of the address without an account gets.
	login ann@example.test StrongPass123
	[[ $(sql "SELECT count(DISTINCT email_hmac) FROM audit_events WHERE email_hmac IS NOT NULL") == 1 ]]
}

@test "delete-account with a wrong password gets 400 Incorrect password, keeps the account and counts a failed login" {
	two_users
	delete_account "$ANN" WrongPass123
	assert_status 400
	assert_body --raw "$INCORRECT"
	refute_header WWW-Authenticate
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 1 ]]
	[[ $(sql "SELECT email || '|' || client || '|' || failures FROM login_failures") == "ann@example.test|127.0.0.1|1" ]]
	[[ $(sql "SELECT event || '|' || user_id || '|' || detail FROM audit_events") == "login_failure|2|re-authentication" ]]
	[[ $(mail_count) == 0 ]]
}

@test "the 5th wrong password locks: then 429 at delete-account and at login, the right password included" {
	two_users
	local i
	for i in 1 2 3 4 5; do
		delete_account "$ANN" "WrongPass12$i"
		assert_status 400
		assert_body --raw "$INCORRECT"
	done
	delete_account "$ANN" StrongPass123
	assert_status 429
	assert_body --raw "$LOCKED"
	assert_retry_after 1 900
	login ann@example.test StrongPass123
	assert_status 429
	assert_body --raw "$LOCKED"
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 1 ]]
	[[ $(sql "SELECT string_agg(DISTINCT detail, ',') FROM audit_events WHERE event = 'lockout'") == "this address" ]]
}

@test "failed logins and wrong passwords here count on one lockout, checked before the password" {
	two_users
	local i
	for i in 1 2 3; do
		login ann@example.test "WrongPass12$i"
		assert_status 401
	done
	delete_account "$ANN" WrongPass124
	assert_status 400
	login ann@example.test WrongPass125
	assert_status 401
	delete_account "$ANN" StrongPass123
	assert_status 429
	assert_body --raw "$LOCKED"
	[[ $(sql "SELECT failures FROM login_failures") == 5 ]]
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 1 ]]
}

@test "delete-account without password, with an empty one or one that is not a string gets 422 and changes nothing" {
	two_users
	cgi POST delete-account.cgi '{}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Field required' missing)")"
	cgi POST delete-account.cgi '{"password":""}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'String should have at least 1 character' string_too_short)")"
	cgi POST delete-account.cgi '{"password":12345678}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	assert_body --raw "$(err422 "$(ferr password 'Input should be a valid string' string_type)")"
	[[ $(sql "SELECT count(*) FROM users") == 2 && $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

@test "delete-account without a Bearer token gets 401 Not authenticated; a field error comes first" {
	two_users
	cgi POST delete-account.cgi '{"password":"StrongPass123"}'
	assert_status 401
	assert_body --raw '{"detail":"Not authenticated"}'
	assert_header WWW-Authenticate Bearer
	cgi POST delete-account.cgi '{}'
	assert_status 422
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
}

@test "delete-account with a revoked token gets 401 before the password is checked" {
	two_users
	sql "UPDATE users SET token_min_iat = extract(epoch FROM now())::bigint + 10 WHERE id = 2" >/dev/null
	delete_account "$ANN" WrongPass123
	assert_status 401
	assert_body --raw "$INVALID_TOKEN"
	[[ $(sql "SELECT count(*) FROM users") == 2 && $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

@test "delete-account checks in order 405, 413, 415, 400, 422" {
	two_users
	cgi GET delete-account.cgi 'not json' CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 405
	assert_header Allow "POST, OPTIONS"
	delete_account "$ANN" StrongPass123 CONTENT_LENGTH=70000 CONTENT_TYPE=text/plain
	assert_status 413
	delete_account "$ANN" StrongPass123 CONTENT_TYPE=text/plain
	assert_status 415
	cgi POST delete-account.cgi '[1]' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 400
	assert_body --raw '{"detail":"Invalid JSON body"}'
	cgi POST delete-account.cgi '{"password":null}' HTTP_AUTHORIZATION="Bearer $ANN"
	assert_status 422
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
}

@test "delete-account with the database unreachable gives 503 and deletes nothing" {
	two_users
	delete_account "$ANN" StrongPass123 $(db_down)
	assert_status 503
	assert_body --raw '{"detail":"Service temporarily unavailable"}'
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
	[[ $(mail_count) == 0 ]]
}

# ann_mfa: two_users, then ann's two-factor sign-in on (MFA_SECRET, RECOVERY
# as mfa_on) and ANN a token of a session opened after it.
ann_mfa() {
	two_users
	mfa_on 2 ann@example.test StrongPass123
	ANN=$(user_token 2 ann@example.test)
}

# delete_code TOKEN CODE: delete-account with the right password and `code` CODE.
delete_code() {
	cgi POST delete-account.cgi "$(jobj password StrongPass123 code "$2")" HTTP_AUTHORIZATION="Bearer $1"
}

# docs/CONTRACT.md MF-15, MF-6, AS-7
@test "with two-factor sign-in on delete-account without a code or with a wrong one gets 400 Invalid code, counted, and deletes nothing; a right TOTP code deletes the account" {
	ann_mfa
	delete_account "$ANN" StrongPass123
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
	delete_code "$ANN" 12345
	assert_status 400
	assert_body --raw '{"detail":"Invalid code"}'
	[[ $(sql "SELECT failures FROM user_mfa WHERE user_id = 2") == 2 ]]
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
	delete_code "$ANN" "$(totp "$MFA_SECRET")"
	assert_status 200
	assert_body --raw "$DELETED"
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 0 ]]
	[[ $(sql "SELECT count(*) FROM user_mfa WHERE user_id = 2") == 0 ]]
}

# docs/CONTRACT.md MF-15, AS-7
@test "with two-factor sign-in on a recovery code deletes the account; the use is an event and the last mail, the only one queued, says so" {
	ann_mfa
	delete_code "$ANN" "$(sed -n 7p <<<"$RECOVERY")"
	assert_status 200
	assert_body --raw "$DELETED"
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 0 ]]
	[[ $(sql "SELECT count(*) FROM mfa_recovery_codes") == 0 ]]
	[[ $(sql "SELECT user_id, email IS NULL, detail FROM audit_events WHERE event = 'mfa_recovery_used'") == '2|t|delete-account' ]]
	[[ $(sql "SELECT string_agg(kind, ',' ORDER BY id) FROM mail_outbox") == account_deleted ]]
	# After mfa_on's setup code and enable notice, the deletion's mail.
	mail_wait ann@example.test 3
	[[ $(mail_text ann@example.test) == *"One of your recovery codes was used to confirm this. Recovery codes left: 0."* ]]
}

# docs/CONTRACT.md MF-15, MF-6
@test "with two-factor sign-in on the second-factor lock answers 429 before the password is checked and deletes nothing" {
	ann_mfa
	sql "UPDATE user_mfa SET locked_until = now() + interval '10 minutes', locks = 1 WHERE user_id = 2" >/dev/null
	delete_code "$ANN" "$(totp "$MFA_SECRET")"
	assert_status 429
	assert_body --raw '{"detail":"Too many invalid codes. Please try again later."}'
	assert_retry_after 500 600
	[[ $(sql "SELECT count(*) FROM users") == 2 ]]
}

# docs/CONTRACT.md MF-15, AS-7
@test "with two-factor sign-in off a code sent with delete-account is ignored" {
	two_users
	delete_code "$ANN" 000000
	assert_status 200
	assert_body --raw "$DELETED"
	[[ $(sql "SELECT count(*) FROM users WHERE id = 2") == 0 ]]
}
