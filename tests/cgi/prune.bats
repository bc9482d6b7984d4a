#!/usr/bin/env bats
# bin/medicalcare-prune (tools/prune.c): deletes accounts never verified
# within UNVERIFIED_ACCOUNT_DAYS (their audit events keep only the keyed hash
# of the address), audit events past AUDIT_RETENTION_DAYS, expired codes and
# reset tokens, limit and login failure rows that count no more, lapsed
# reservations of password checks, sign-in addresses unused for 30 days,
# finished mail older than two days, expired mfa_tokens (docs/CONTRACT.md
# MF-17), and ended sessions with their refresh tokens; keeps everything
# else; prints its counts; exits non-zero on a fault.

load helpers

# run_prune [ARG]... [VAR=value]...: as cron would run it (run_tool in helpers.bash);
# sets prune_out, prune_err, prune_rc. Fails on a timeout, a signal or a
# sanitizer report.
run_prune() {
	local rc=0
	run_tool prune "$@" || rc=$?
	prune_out=$tool_out prune_err=$tool_err prune_rc=$tool_rc
	return "$rc"
}

# Rows on both sides of every line, each labelled "old" (to go) or "live" (to stay).
seed() {
	insert_verified a@example.test "User A"
	insert_verified b@example.test "User B"
	insert_user old-unverified@example.test "User C" x false >/dev/null
	insert_user live-unverified@example.test "User D" x false >/dev/null
	sql "
	UPDATE users SET created_at = now() - interval '30 days' WHERE id = 1;
	UPDATE users SET created_at = now() - interval '7 days 1 minute' WHERE id = 3;
	UPDATE users SET created_at = now() - interval '6 days 23 hours' WHERE id = 4;
	INSERT INTO audit_events (event, created_at, detail, user_id, email) VALUES
	  ('signup', now() - interval '31 days', 'old', NULL, NULL),
	  ('signup', now() - interval '29 days', 'live', NULL, NULL),
	  ('login_failure', now(), 'of pruned', 3, 'old-unverified@example.test');
	INSERT INTO otp_codes (user_id, code_hash, expires_at) VALUES
	  (1, sha256('a'), now() - interval '1 second'), (2, sha256('b'), now() + interval '5 minutes'),
	  (3, sha256('c'), now() + interval '5 minutes');
	INSERT INTO reset_tokens (user_id, token_hash, expires_at, used_at) VALUES
	  (1, sha256('old unused'), now() - interval '1 minute', NULL),
	  (1, sha256('old used'), now() - interval '1 minute', now() - interval '2 minutes'),
	  (1, sha256('live used'), now() + interval '5 minutes', now()),
	  (2, sha256('live'), now() + interval '5 minutes', NULL);
	INSERT INTO client_limits (scope, address, window_start, hits) VALUES
	  ('login', '198.51.100.1', now() - interval '901 seconds', 3),
	  ('signup', '198.51.100.1', now() - interval '899 seconds', 3);
	INSERT INTO login_failures (email, failures, window_start, locked_until) VALUES
	  ('old-window@example.test', 2, now() - interval '901 seconds', NULL),
	  ('old-lock@example.test', 5, now() - interval '20 minutes', now() - interval '1 second'),
	  ('live-window@example.test', 2, now() - interval '899 seconds', NULL),
	  ('live-lock@example.test', 5, now() - interval '20 minutes', now() + interval '1 minute');
	INSERT INTO login_email_failures (email, failures, window_start, locked_until) VALUES
	  ('old-window@example.test', 2, now() - interval '3601 seconds', NULL),
	  ('old-lock@example.test', 100, now() - interval '20 minutes', now() - interval '1 second'),
	  ('live-window@example.test', 2, now() - interval '3599 seconds', NULL),
	  ('live-lock@example.test', 100, now() - interval '2 hours', now() + interval '1 minute');
	INSERT INTO login_attempts (email, client, started_at) VALUES
	  ('old-attempt@example.test', '', now() - interval '61 seconds'),
	  ('live-attempt@example.test', '', now() - interval '59 seconds');
	INSERT INTO login_known_clients (user_id, client, last_success_at) VALUES
	  (1, 'old', now() - interval '31 days'), (2, 'live', now() - interval '29 days');
	INSERT INTO mail_outbox (kind, recipient, message, status, created_at) VALUES
	  ('otp', 'old-sent@example.test', NULL, 'sent', now() - interval '49 hours'),
	  ('otp', 'old-failed@example.test', NULL, 'failed', now() - interval '49 hours'),
	  ('reset', 'old-expired@example.test', NULL, 'expired', now() - interval '49 hours'),
	  ('otp', 'live-sent@example.test', NULL, 'sent', now() - interval '47 hours'),
	  ('otp', 'live-pending@example.test', '\\x00', 'pending', now() - interval '3 days');
	INSERT INTO mfa_tokens (user_id, token_hash, expires_at) VALUES
	  (1, sha256('old'), now() - interval '1 second'), (2, sha256('live'), now() + interval '1 minute');
	" >/dev/null
}

# survivors prints what is left, one table a line.
survivors() {
	sql "SELECT string_agg(email, ',' ORDER BY id) FROM users;
	     SELECT string_agg(detail, ',' ORDER BY id) FROM audit_events;
	     SELECT string_agg(user_id::text, ',' ORDER BY user_id) FROM otp_codes;
	     SELECT string_agg(user_id::text || ':' || (used_at IS NOT NULL), ',' ORDER BY id) FROM reset_tokens;
	     SELECT string_agg(scope, ',' ORDER BY scope) FROM client_limits;
	     SELECT string_agg(email, ',' ORDER BY email) FROM login_failures;
	     SELECT string_agg(email, ',' ORDER BY email) FROM login_email_failures;
	     SELECT string_agg(email, ',' ORDER BY email) FROM login_attempts;
	     SELECT string_agg(client, ',' ORDER BY client) FROM login_known_clients;
	     SELECT string_agg(recipient, ',' ORDER BY id) FROM mail_outbox;
	     SELECT string_agg(user_id::text, ',' ORDER BY id) FROM mfa_tokens;"
}

# docs/CONTRACT.md MF-17
@test "prune deletes what is over and keeps what is live, printing a count per table" {
	seed
	run_prune AUDIT_RETENTION_DAYS=30
	[[ $prune_rc == 0 ]] || _fail "exit $prune_rc: $prune_err"
	[[ $prune_out == $'users 1\naudit_events 1\notp_codes 1\nreset_tokens 2\nclient_limits 1\nlogin_failures 2\nlogin_email_failures 2\nlogin_attempts 1\nlogin_known_clients 1\nmail_outbox 3\nmfa_tokens 1\nsessions 0\nrefresh_tokens 0' ]] ||
	    _fail "printed: $prune_out"
	[[ -z $prune_err ]] || _fail "stderr: $prune_err"
	local want
	want=$(printf '%s\n' a@example.test,b@example.test,live-unverified@example.test "live,of pruned" 2 \
	    1:true,2:false signup live-lock@example.test,live-window@example.test \
	    live-lock@example.test,live-window@example.test live-attempt@example.test live \
	    live-sent@example.test,live-pending@example.test 2)
	[[ $(survivors) == "$want" ]] || _fail "left: $(survivors)"
	# The pruned account's events keep no address, only its keyed hash.
	[[ $(sql "SELECT coalesce(user_id::text, '-') || '|' || coalesce(email, '-') || '|' || length(email_hmac)
	            FROM audit_events WHERE detail = 'of pruned'") == "-|-|64" ]]
	# A second run finds nothing more.
	run_prune AUDIT_RETENTION_DAYS=30
	[[ $prune_rc == 0 && $prune_out == $'users 0\naudit_events 0\notp_codes 0\nreset_tokens 0\nclient_limits 0\nlogin_failures 0\nlogin_email_failures 0\nlogin_attempts 0\nlogin_known_clients 0\nmail_outbox 0\nmfa_tokens 0\nsessions 0\nrefresh_tokens 0' ]] ||
	    _fail "second run: $prune_rc $prune_out"
}

# docs/CONTRACT.md SE-12
@test "prune deletes sessions revoked, idle or too old with their refresh tokens, and keeps a live one's spent tokens" {
	insert_verified a@example.test "User A"
	sql "
	INSERT INTO sessions (id, user_id, created_at, last_used_at, revoked_at) VALUES
	  ('revoked-revoked-revoked', 1, now(), now(), now()),
	  ('idle-idle-idle-idle-idle', 1, now() - interval '8 days', now() - interval '10081 minutes', NULL),
	  ('old-old-old-old-old-old', 1, now() - interval '43201 minutes', now(), NULL),
	  ('live-live-live-live-live', 1, now() - interval '29 days', now() - interval '6 days', NULL);
	INSERT INTO refresh_tokens (session_id, user_id, token_hash, spent_at) VALUES
	  ('revoked-revoked-revoked', 1, sha256('r1'), NULL),
	  ('idle-idle-idle-idle-idle', 1, sha256('i1'), now() - interval '8 days'),
	  ('idle-idle-idle-idle-idle', 1, sha256('i2'), NULL),
	  ('old-old-old-old-old-old', 1, sha256('o1'), NULL),
	  ('live-live-live-live-live', 1, sha256('l1'), now() - interval '6 days'),
	  ('live-live-live-live-live', 1, sha256('l2'), NULL);" >/dev/null
	run_prune
	[[ $prune_rc == 0 ]] || _fail "exit $prune_rc: $prune_err"
	[[ $prune_out == *$'\nsessions 3\nrefresh_tokens 4' ]] || _fail "printed: $prune_out"
	[[ $(sql "SELECT string_agg(DISTINCT session_id, ',') || '|' || count(*) FROM refresh_tokens") == \
	    "live-live-live-live-live|2" ]]
	[[ $(sql "SELECT string_agg(id, ',') FROM sessions") == live-live-live-live-live ]]
}

# docs/CONTRACT.md SU-7
@test "prune deletes unverified accounts after UNVERIFIED_ACCOUNT_DAYS, in batches, and never a verified one" {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified, created_at)
	     SELECT 'u' || i || '@example.test', 'U', 'x', i % 3 = 0, now() - interval '3 days'
	       FROM generate_series(1, 1200) AS i" >/dev/null
	run_prune
	[[ $prune_rc == 0 && $prune_out == "users 0"* ]] || _fail "default 7 days: $prune_out"
	run_prune UNVERIFIED_ACCOUNT_DAYS=2
	[[ $prune_rc == 0 && $prune_out == "users 800"* ]] || _fail "2 days: $prune_rc $prune_out $prune_err"
	[[ $(sql "SELECT count(*), bool_and(is_verified) FROM users") == "400|t" ]]
}

@test "prune keeps audit events for the default six years, and rows a live service made" {
	sql "INSERT INTO audit_events (event, created_at, detail) VALUES
	       ('signup', now() - interval '2189 days', 'live'), ('signup', now() - interval '2191 days', 'old')" >/dev/null
	signed_up ada@example.com
	cgi POST login.cgi '{"email":"ada@example.com","password":"Wrong12345"}'
	run_prune
	[[ $prune_rc == 0 ]] || _fail "exit $prune_rc: $prune_err"
	[[ $(sql "SELECT string_agg(coalesce(detail, event), ',' ORDER BY id) FROM audit_events") == live,new,wrong\ password ]]
	[[ $(sql "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM otp_codes),
	                 (SELECT count(*) FROM login_failures), (SELECT count(*) FROM login_email_failures),
	                 (SELECT count(*) FROM client_limits), (SELECT count(*) FROM mail_outbox)") == "1|1|1|1|2|1" ]]
}

@test "prune --help prints its usage; a bad argument or an unreachable database exits non-zero" {
	run_prune --help
	[[ $prune_rc == 0 && $prune_out == "usage: medicalcare-prune"* && $prune_out == *"* * * "*medicalcare-prune* ]] ||
	    _fail "--help: $prune_rc $prune_out"
	run_prune --bogus
	[[ $prune_rc == 2 && $prune_err == "usage: medicalcare-prune"* ]] || _fail "--bogus: $prune_rc"
	run_prune DATABASE_URL="$(db_down_url)" DB_CONNECT_TIMEOUT=2
	[[ $prune_rc == 1 && -z $prune_out && -n $prune_err ]] || _fail "db down: $prune_rc $prune_out"
	run_prune AUDIT_RETENTION_DAYS=0
	[[ $prune_rc == 1 && $prune_err == *AUDIT_RETENTION_DAYS* ]] || _fail "bad setting: $prune_rc $prune_err"
}
