#!/usr/bin/env bats
# Mail through the outbox (docs/CONTRACT.md D-4): queued in the transaction,
# sent right after the commit; what failed stays queued, sealed, and
# bin/medicalcare-outbox (cron) resends it with backoff, never twice once
# delivered; permanent failures and expired content are dropped and wiped.

load helpers

SUMMARY_RE='^sent [0-9]+, retried [0-9]+, failed [0-9]+, expired [0-9]+$'

# signup EMAIL [VAR=value]...: signs EMAIL up with StrongPass123; expects 201.
signup() {
	local email=$1
	shift
	cgi POST signup.cgi "{\"full_name\":\"Bob Jones\",\"email\":\"$email\",\"password\":\"StrongPass123\"}" "$@" ||
	    return 1
	assert_status 201
}

# smtp_down: prints SMTP_PORT=<a port nobody listens on>, for a cgi call.
smtp_down() {
	printf 'SMTP_PORT=%s\n' "$(free_port)"
}

# assert_outbox_ok SUMMARY: the last run exited 0 and printed exactly SUMMARY.
assert_outbox_ok() {
	if [[ $outbox_rc -ne 0 || $outbox_out != "$1" ]]; then
		printf 'expected exit 0 and "%s"; got exit %s\n--- stdout:\n%s\n--- stderr:\n%s\n' \
		    "$1" "$outbox_rc" "$outbox_out" "$outbox_err" >&2
		return 1
	fi
}

# row ID COLUMNS: prints the given columns (SQL expressions) of outbox row ID.
row() {
	sql "SELECT $2 FROM mail_outbox WHERE id = $1"
}

# make_due: every pending row is due now.
make_due() {
	sql "UPDATE mail_outbox SET next_attempt_at = now() WHERE status = 'pending'"
}

# docs/CONTRACT.md D-4
@test "a mail is sent right after the commit and its outbox row is marked sent and wiped" {
	signup bob@example.test
	mail_wait bob@example.test
	[[ $(mail_count) == 1 ]]
	[[ $(row 1 "kind, recipient, user_id, status, attempts") == "otp|bob@example.test|1|sent|1" ]]
	[[ $(row 1 "message IS NULL, sent_at IS NOT NULL, last_error IS NULL") == "t|t|t" ]]
}

# docs/CONTRACT.md D-4
@test "with the SMTP server down signup still gives 201 and its mail waits in the outbox" {
	signup bob@example.test "$(smtp_down)"
	assert_body --raw '{"message":"OTP sent to your email for verification"}'
	[[ $(sql "SELECT id, email, is_verified FROM users") == "1|bob@example.test|f" ]]
	[[ $(sql "SELECT count(*) FROM otp_codes WHERE user_id = 1") == 1 ]]
	[[ $(row 1 "kind, recipient, status, attempts") == "otp|bob@example.test|pending|1" ]]
	[[ $(row 1 "message IS NOT NULL, next_attempt_at > now(), sent_at IS NULL") == "t|t|t" ]]
	[[ -n $(row 1 "last_error") ]]
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "the cron program sends nothing before the mail's next_attempt_at" {
	signup bob@example.test "$(smtp_down)"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
	[[ $(row 1 "status, attempts, message IS NOT NULL") == "pending|1|t" ]]
}

# docs/CONTRACT.md D-4
@test "the cron program delivers a due mail once, marks it sent and wipes it, and never sends it again" {
	signup bob@example.test "$(smtp_down)"
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 1 && $(mail_count bob@example.test) == 1 ]]
	[[ $(row 1 "status, attempts, message IS NULL, sent_at IS NOT NULL") == "sent|2|t|t" ]]
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	# Even when the row looks due again, a sent mail is not resent.
	sql "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 hour'"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 1 ]]
}

# docs/CONTRACT.md D-4
@test "the OTP in a mail the cron program delivered late verifies the account" {
	local otp
	signup bob@example.test "$(smtp_down)"
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	otp=$(mail_otp bob@example.test)
	cgi POST verify-otp.cgi "{\"email\":\"bob@example.test\",\"otp\":\"$otp\"}"
	assert_status 200
	assert_json .token_type bearer
	[[ $(sql "SELECT is_verified FROM users") == t ]]
}

# docs/CONTRACT.md D-4
@test "with the SMTP server down forgot-password still gives 200 and the cron program later delivers a working link" {
	local token
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' "$(smtp_down)"
	assert_status 200
	assert_body --raw '{"message":"Password reset link sent to your email"}'
	[[ $(row 1 "kind, status, attempts, message IS NOT NULL, next_attempt_at > now()") == "reset|pending|1|t|t" ]]
	[[ $(mail_count) == 0 ]]
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count ann@example.test) == 1 ]]
	[[ $(row 1 "status, message IS NULL") == "sent|t" ]]
	token=$(mail_reset_token ann@example.test)
	cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"NewStrongPass123\",\"confirm_password\":\"NewStrongPass123\"}"
	assert_status 200
}

# docs/CONTRACT.md D-4
@test "with the SMTP server down a reset still succeeds and the password-changed mail waits in the outbox" {
	local token
	add_user ann@example.test "Ann Smith" StrongPass123 t
	make_token 1
	cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"NewStrongPass123\",\"confirm_password\":\"NewStrongPass123\"}" \
	    "$(smtp_down)"
	assert_status 200
	assert_body --raw '{"message":"Password reset successfully. Please log in again."}'
	[[ $(row 1 "kind, status, attempts, message IS NOT NULL") == "password_changed|pending|1|t" ]]
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	[[ $(mail_count ann@example.test) == 1 ]]
}

# docs/CONTRACT.md D-4
@test "a permanent SMTP failure (550) marks the mail failed and wiped, and the cron program never retries it" {
	mail_reject_with "550 5.1.1 no such user"
	signup bob@example.test
	[[ $(row 1 "status, attempts, message IS NULL, sent_at IS NULL") == "failed|1|t|t" ]]
	[[ $(row 1 "last_error") == *550* ]]
	mail_accept
	sql "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 hour'"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
	[[ $(row 1 "status, attempts") == "failed|1" ]]
}

# docs/CONTRACT.md D-4
@test "a temporary SMTP failure (451) keeps the mail pending with a growing backoff until it goes through" {
	mail_reject_with "451 4.3.0 try later"
	signup bob@example.test
	[[ $(row 1 "status, attempts, message IS NOT NULL") == "pending|1|t" ]]
	[[ $(row 1 "next_attempt_at > now() + interval '30 seconds'") == t ]]
	[[ $(row 1 "last_error") == *451* ]]
	make_due
	run_outbox
	assert_outbox_ok "sent 0, retried 1, failed 0, expired 0"
	[[ $(row 1 "status, attempts, message IS NOT NULL") == "pending|2|t" ]]
	# The second wait is longer than the first one.
	[[ $(row 1 "next_attempt_at > now() + interval '90 seconds'") == t ]]
	[[ $(mail_count) == 0 ]]
	mail_accept
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	[[ $(row 1 "status, attempts, message IS NULL") == "sent|3|t" ]]
	[[ $(mail_count bob@example.test) == 1 ]]
}

# docs/CONTRACT.md D-4
@test "a mail that fails temporarily on its 10th attempt is given up as failed and wiped" {
	signup bob@example.test "$(smtp_down)"
	sql "UPDATE mail_outbox SET attempts = 9, next_attempt_at = now()"
	mail_reject_with "451 4.3.0 try later"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 1, expired 0"
	[[ $(row 1 "status, attempts, message IS NULL") == "failed|10|t" ]]
	mail_accept
	sql "UPDATE mail_outbox SET next_attempt_at = now()"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "a queued mail whose content expired is marked expired and wiped by the cron program, never sent" {
	signup bob@example.test "$(smtp_down)"
	sql "UPDATE mail_outbox SET expires_at = now() - interval '1 second', next_attempt_at = now()"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 1"
	[[ $(row 1 "status, message IS NULL, sent_at IS NULL") == "expired|t|t" ]]
	[[ $(mail_count) == 0 ]]
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "the cron program's summary counts each outcome of one run" {
	signup bob@example.test "$(smtp_down)"
	signup carl@example.test "$(smtp_down)"
	signup dora@example.test "$(smtp_down)"
	# bob's content has expired; carl and dora are due; the server refuses for now.
	sql "UPDATE mail_outbox SET expires_at = now() - interval '1 second' WHERE recipient = 'bob@example.test'"
	make_due
	mail_reject_with "451 4.3.0 try later"
	run_outbox
	assert_outbox_ok "sent 0, retried 2, failed 0, expired 1"
	mail_accept
	make_due
	run_outbox
	assert_outbox_ok "sent 2, retried 0, failed 0, expired 0"
	[[ $(wc -l <<<"$outbox_out") == 1 && $outbox_out =~ $SUMMARY_RE ]]
	[[ $(mail_count) == 2 && $(mail_count bob@example.test) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "two cron runs at once deliver each due mail exactly once" {
	local a b f sent=0
	signup bob@example.test "$(smtp_down)"
	signup carl@example.test "$(smtp_down)"
	signup dora@example.test "$(smtp_down)"
	make_due
	run_outbox &
	a=$!
	run_outbox &
	b=$!
	wait "$a"
	wait "$b"
	# Each run printed its own summary (after the time); together they sent three.
	for f in "$BATS_TEST_TMPDIR"/tool.*.out; do
		[[ $(cat -- "$f") =~ ^[0-9T:-]+Z\ sent\ ([0-9]+),\ retried\ 0,\ failed\ 0,\ expired\ 0$ ]]
		sent=$((sent + BASH_REMATCH[1]))
	done
	[[ $sent == 3 ]]
	[[ $(mail_count) == 3 ]]
	[[ $(mail_count bob@example.test) == 1 && $(mail_count carl@example.test) == 1 && $(mail_count dora@example.test) == 1 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND message IS NULL") == 3 ]]
}

# docs/CONTRACT.md D-4
@test "a mail leased by a sender that died is delivered once the lease runs out" {
	signup bob@example.test "$(smtp_down)"
	sql "UPDATE mail_outbox SET next_attempt_at = now(), locked_until = now() + interval '60 seconds'"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
	sql "UPDATE mail_outbox SET locked_until = now() - interval '1 second'"
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	[[ $(mail_count bob@example.test) == 1 ]]
}

# docs/CONTRACT.md D-4, D-2
@test "a queued OTP mail is sealed: the code and the message text are not readable in the database" {
	local esc hex otp otphex
	signup bob@example.test "$(smtp_down)"
	esc=$(row 1 "encode(message, 'escape')")
	hex=$(row 1 "encode(message, 'hex')")
	[[ ${#hex} -gt 200 ]]
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	otp=$(mail_otp bob@example.test)
	otphex=$(printf '%s' "$otp" | od -An -tx1 | tr -d ' \n')
	[[ $esc != *"$otp"* ]]
	[[ $hex != *"$otphex"* ]]
	[[ $esc != *MIME-Version* && $esc != *bob@example.test* && $esc != *verification* ]]
	[[ $hex != *"$(printf '%s' 'bob@example.test' | od -An -tx1 | tr -d ' \n')"* ]]
}

# docs/CONTRACT.md D-4, D-2
@test "a queued reset mail is sealed: the reset token is not readable in the database" {
	local esc hex token
	add_user ann@example.test "Ann Smith" StrongPass123 t
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}' "$(smtp_down)"
	assert_status 200
	esc=$(row 1 "encode(message, 'escape')")
	hex=$(row 1 "encode(message, 'hex')")
	make_due
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	token=$(mail_reset_token ann@example.test)
	[[ ${#token} -ge 43 ]]
	[[ $esc != *"$token"* && $esc != *reset-password* ]]
	[[ $hex != *"$(printf '%s' "$token" | od -An -tx1 | tr -d ' \n')"* ]]
	# Nor base64 of the link line as the message body would carry it.
	[[ $esc != *"$(printf 'http://localhost:3000/reset-password?token=%s' "$token" | base64 -w0 | cut -c1-40)"* ]]
}

# docs/CONTRACT.md D-4
@test "with the database down the cron program exits 1 and logs one line" {
	pg_down
	run_outbox DB_CONNECT_TIMEOUT=2
	pg_up
	[[ $outbox_rc == 1 ]] || {
		printf 'exit %s\n%s\n%s\n' "$outbox_rc" "$outbox_out" "$outbox_err" >&2
		false
	}
	[[ $(wc -l <<<"$outbox_err") == 1 && -n $outbox_err ]] || {
		printf 'expected one line on stderr, got:\n%s\n' "$outbox_err" >&2
		false
	}
	[[ $outbox_err == *database* ]]
	[[ $outbox_err != *"$MC_PG_PASSWORD"* ]]
}

# Mail and keys (README "Mail and the outbox"): each row carries the id of the
# key that sealed it; an install with another JWT_SECRET_KEY (a rotated key, a
# second install on the same database) leaves it pending, counts no attempt,
# logs it once, and never marks it failed; it ends by delivery by an install
# that holds its key, or by its expiry.

# A second JWT_SECRET_KEY (at least 32 bytes, unlike MC_TEST_JWT_KEY).
OTHER_KEY=mc-other-install-secret-9876543210-zyxwvutsrqpon

# other_env: prints an env file for the other install (test_env_file).
other_env() {
	test_env_file JWT_SECRET_KEY="$OTHER_KEY"
}

# queue_pending EMAIL [VAR=value]...: signs EMAIL up while the sink answers
# 451, so its mail stays pending after one attempt, then makes it due.
queue_pending() {
	mail_reject_with "451 4.3.0 try later"
	signup "$@"
	mail_accept
	[[ $(sql "SELECT status, attempts FROM mail_outbox WHERE recipient = :'e'" e="$1") == "pending|1" ]]
	make_due
}

# assert_log_lines N [PATTERN]: the last outbox run wrote N lines on stderr
# (each matching the glob PATTERN when given).
assert_log_lines() {
	local n=0 line
	if [[ -n $outbox_err ]]; then
		n=$(wc -l <<<"$outbox_err")
	fi
	if [[ $n != "$1" ]]; then
		printf 'expected %s log lines, got %s:\n%s\n' "$1" "$n" "$outbox_err" >&2
		return 1
	fi
	if [[ -n ${2:-} && $n -gt 0 ]]; then
		while IFS= read -r line; do
			# shellcheck disable=SC2053 # $2 is a glob
			[[ $line == $2 ]] || {
				printf 'log line does not match %s:\n%s\n' "$2" "$line" >&2
				return 1
			}
		done <<<"$outbox_err"
	fi
}

# The whole of row ID, to show it unchanged.
whole_row() {
	row "$1" "to_jsonb(mail_outbox)"
}

# docs/CONTRACT.md D-4
@test "every queued mail carries the id of its key, 8 bytes that are not the key, and --key-id prints it without the database" {
	local id other
	signup bob@example.test
	mail_wait bob@example.test
	id=$(row 1 "encode(key_id, 'hex')")
	[[ $id =~ ^[0-9a-f]{16}$ ]]
	run_outbox --key-id "DATABASE_URL=$(db_down_url)" DB_CONNECT_TIMEOUT=2
	assert_outbox_ok "$id"
	[[ -z $outbox_err ]]
	run_outbox --key-id MEDICALCARE_ENV_FILE="$(other_env)"
	[[ $outbox_rc == 0 && $outbox_out =~ ^[0-9a-f]{16}$ && $outbox_out != "$id" ]]
	other=$outbox_out
	signup carl@example.test MEDICALCARE_ENV_FILE="$(other_env)"
	mail_wait carl@example.test
	[[ $(row 2 "encode(key_id, 'hex')") == "$other" ]]
	# Not a piece of the secret, nor of the keys derived from it.
	[[ $(printf '%s' "$MC_TEST_JWT_KEY" | od -An -tx1 | tr -d ' \n') != *"$id"* ]]
}

# docs/CONTRACT.md D-4
@test "a mail sealed under another JWT_SECRET_KEY stays pending, uncounted and logged once by that install, and its own key delivers it once" {
	local other before id
	other=$(other_env)
	queue_pending bob@example.test
	id=$(row 1 "encode(key_id, 'hex')")
	before=$(whole_row 1)
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 1 "*outbox 1: sealed under another key (key id $id)*"
	[[ $(mail_count) == 0 ]]
	[[ $(whole_row 1) == "$before" ]]
	[[ $(row 1 "status, attempts, message IS NOT NULL") == "pending|1|t" ]]
	# A second run logs nothing new and still leaves the row as it is.
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 0
	[[ $(whole_row 1) == "$before" ]]
	# A newly queued mail of that key gets its own one line.
	queue_pending carl@example.test
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 1 "*outbox 2: sealed under another key (key id $id)*"
	# The install of the key delivers both, once.
	run_outbox
	assert_outbox_ok "sent 2, retried 0, failed 0, expired 0"
	[[ $(mail_count bob@example.test) == 1 && $(mail_count carl@example.test) == 1 ]]
	[[ $(row 1 "status, attempts, message IS NULL") == "sent|2|t" ]]
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 2 ]]
}

# docs/CONTRACT.md D-4
@test "many pending mails of another key are logged in one line" {
	local id
	queue_pending bob@example.test
	queue_pending carl@example.test
	queue_pending dora@example.test
	id=$(row 1 "encode(key_id, 'hex')")
	run_outbox MEDICALCARE_ENV_FILE="$(other_env)"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 1 "*outbox: 3 pending mails (ids 1 to 3) sealed under another key (key id $id)*"
	[[ $(sql "SELECT string_agg(status || ':' || attempts, ',' ORDER BY id) FROM mail_outbox") == "pending:1,pending:1,pending:1" ]]
}

# docs/CONTRACT.md D-4
@test "a pending mail of another key past its expiry is marked expired and wiped by the other install" {
	queue_pending bob@example.test
	sql "UPDATE mail_outbox SET expires_at = now() - interval '1 second'"
	run_outbox MEDICALCARE_ENV_FILE="$(other_env)"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 1"
	[[ $(row 1 "status, attempts, message IS NULL, sent_at IS NULL, locked_until IS NULL") == "expired|1|t|t|t" ]]
	[[ $outbox_err != *"another key"* ]]
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "the expiry sweep leaves a mail that a sender has leased to that sender" {
	queue_pending bob@example.test
	sql "UPDATE mail_outbox SET expires_at = now() - interval '1 second', locked_until = now() + interval '60 seconds'"
	run_outbox MEDICALCARE_ENV_FILE="$(other_env)"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	[[ $(row 1 "status, message IS NOT NULL") == "pending|t" ]]
	sql "UPDATE mail_outbox SET locked_until = now() - interval '1 second'"
	run_outbox MEDICALCARE_ENV_FILE="$(other_env)"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 1"
}

# docs/CONTRACT.md D-4
@test "a second install's signup delivers its own mail right after the commit and leaves the first install's rows untouched" {
	local before
	queue_pending bob@example.test
	before=$(whole_row 1)
	signup carl@example.test MEDICALCARE_ENV_FILE="$(other_env)"
	mail_wait carl@example.test
	[[ $cgi_stderr != *unseal* ]]
	[[ $(mail_count) == 1 && $(mail_count bob@example.test) == 0 ]]
	[[ $(whole_row 1) == "$before" ]]
	[[ $(row 2 "status, key_id <> (SELECT key_id FROM mail_outbox WHERE id = 1)") == "sent|t" ]]
}

# docs/CONTRACT.md D-4
@test "a corrupted message of this install's key is not marked failed: it stays pending, uncounted, logged once, until it expires" {
	queue_pending bob@example.test
	# One bit of the ciphertext flipped: the GCM tag no longer verifies.
	sql "UPDATE mail_outbox SET message = set_byte(message, 20, get_byte(message, 20) # 1)"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 1 "*outbox 1 (otp): could not unseal message*"
	[[ $(row 1 "status, attempts, message IS NOT NULL, next_attempt_at <= now(), locked_until IS NULL") == "pending|1|t|t|t" ]]
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 0
	[[ $(row 1 "status, attempts") == "pending|1" ]]
	[[ $(mail_count) == 0 ]]
	sql "UPDATE mail_outbox SET expires_at = now() - interval '1 second'"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 1"
	[[ $(row 1 "status, attempts, message IS NULL") == "expired|1|t" ]]
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "a mail queued before key ids, which another install cannot unseal, is logged once there and then delivered by the key that sealed it" {
	local other
	other=$(other_env)
	queue_pending bob@example.test
	sql "UPDATE mail_outbox SET key_id = NULL"
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 1 "*outbox 1 (otp): could not unseal message*"
	# Given back at once: still due for the install that can read it.
	[[ $(row 1 "status, attempts, next_attempt_at <= now(), locked_until IS NULL") == "pending|1|t|t" ]]
	run_outbox MEDICALCARE_ENV_FILE="$other"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	assert_log_lines 0
	[[ $(row 1 "status, attempts") == "pending|1" ]]
	run_outbox
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	[[ $(mail_count bob@example.test) == 1 ]]
	[[ $(row 1 "status, attempts, message IS NULL") == "sent|2|t" ]]
}

# docs/CONTRACT.md D-4
@test "a password-changed notice expires too: 7 days after it was queued, also one queued without an expiry" {
	local token
	add_user ann@example.test "Ann Smith" StrongPass123 t
	make_token 1
	cgi POST reset-password.cgi "{\"token\":\"$token\",\"new_password\":\"NewStrongPass123\",\"confirm_password\":\"NewStrongPass123\"}" \
	    "$(smtp_down)"
	assert_status 200
	[[ $(row 1 "kind, status, expires_at - created_at") == "password_changed|pending|7 days" ]]
	# A row from before sql/004 has no expiry: it ends 7 days after it was queued.
	sql "UPDATE mail_outbox SET expires_at = NULL, next_attempt_at = now(), created_at = now() - interval '6 days 23 hours'"
	run_outbox SMTP_PORT="$(free_port)"
	assert_outbox_ok "sent 0, retried 1, failed 0, expired 0"
	sql "UPDATE mail_outbox SET next_attempt_at = now(), created_at = now() - interval '7 days 1 second'"
	run_outbox
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 1"
	[[ $(row 1 "status, message IS NULL") == "expired|t" ]]
	[[ $(mail_count) == 0 ]]
}

# docs/CONTRACT.md D-4
@test "rotating JWT_SECRET_KEY as README says loses no mail: the old key's resender delivers what was queued under it" {
	local old=$MEDICALCARE_ENV_FILE new old_id pending
	new=$(other_env)
	run_outbox --key-id MEDICALCARE_ENV_FILE="$old"
	old_id=$outbox_out
	[[ $old_id =~ ^[0-9a-f]{16}$ ]]
	# Queued under the old key while the mail server refused it.
	queue_pending bob@example.test
	# The switch: the programs and the cron job use the new key.
	signup carl@example.test MEDICALCARE_ENV_FILE="$new"
	mail_wait carl@example.test
	run_outbox MEDICALCARE_ENV_FILE="$new"
	assert_outbox_ok "sent 0, retried 0, failed 0, expired 0"
	# The old key's resender, from the kept env file, delivers the rest.
	run_outbox MEDICALCARE_ENV_FILE="$old"
	assert_outbox_ok "sent 1, retried 0, failed 0, expired 0"
	pending=$(sql "SELECT count(*) FROM mail_outbox WHERE status = 'pending'
	                 AND (key_id = decode(:'k', 'hex') OR key_id IS NULL)" k="$old_id")
	[[ $pending == 0 ]]
	[[ $(mail_count bob@example.test) == 1 && $(mail_count carl@example.test) == 1 ]]
}
