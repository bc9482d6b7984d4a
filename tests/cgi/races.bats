#!/usr/bin/env bats
# Every budget is checked and counted in one atomic step (common/limit.h):
# N requests at once against a budget of B let exactly B through, and the
# other N-B get 429 without any password or code work (no failure recorded,
# no audit event, nothing counted). Per-address budgets (CLIENT_LIMIT_*) and
# per-account ones (the login lock, the code-mail cap) alike.
#
# No password is hashed in a transaction or under a lock: a login reserves
# its check, hashes with nothing held, then settles. The tests that show it
# hold the slots of the hash gate (common/hashgate.h) themselves, so that
# logins stop right where they hash, and look at what they hold there.

load helpers

setup_file() {
	mc_setup_file
	# A cheap Argon2id hash (its cost is read from the string).
	HASH_STRONG=$(printf '%s' StrongPass123 | argon2 mc-race-salt-0001 -id -t 1 -m 10 -p 1 -e)
	export HASH_STRONG
}

A=198.51.100.7

teardown() { release_gate; }

# race N PROGRAM BODY [VAR=value]...: runs PROGRAM N times at once, each
# from a subshell waiting on one start signal; BODY may hold %d, replaced by
# the run's number (1..N). Sets statuses to the sorted answers, as
# "COUNTxSTATUS" words ("30x401 15x429").
race() {
	local n=$1 prog=$2 body=$3 d=$BATS_TEST_TMPDIR/race i
	local -a pids=()
	shift 3
	mkdir -p "$d"
	for ((i = 1; i <= n; i++)); do
		mkdir "$d/$i"
		(
			BATS_TEST_TMPDIR=$d/$i
			while [[ ! -e $d/go ]]; do sleep 0.01; done
			# shellcheck disable=SC2059 # the body is the format
			cgi POST "$prog" "$(printf "$body" "$i")" "$@" || exit 1
			printf '%s\n' "$cgi_status" >"$d/$i/status"
		) &
		pids+=($!)
	done
	touch "$d/go"
	for i in "${pids[@]}"; do
		wait "$i" || return 1
	done
	statuses=$(cat "$d"/*/status | sort | uniq -c | awk '{ print $1 "x" $2 }' | paste -s -d ' ')
}

# attempts_are N: exactly N password checks are reserved and not settled.
attempts_are() {
	[[ $(sql "SELECT count(*) FROM login_attempts") == "$1" ]]
}

# login_bg NAME BODY [VAR=value]...: runs login.cgi in the background; its
# status goes to $BATS_TEST_TMPDIR/NAME/status.
login_bg() {
	local name=$1 body=$2 d=$BATS_TEST_TMPDIR/$1
	shift 2
	mkdir -p "$d"
	(
		BATS_TEST_TMPDIR=$d
		cgi POST login.cgi "$body" "$@" || exit 1
		printf '%s\n' "$cgi_status" >"$d/status"
	) &
	bg_pids+=($!)
}

# wait_bg: waits for every login_bg.
wait_bg() {
	local p
	for p in "${bg_pids[@]}"; do
		wait "$p" || return 1
	done
	bg_pids=()
}

# hits SCOPE ADDRESS prints the hits of that budget ("" if none).
hits() {
	sql "SELECT hits FROM client_limits WHERE scope = :'s' AND address = :'a'" s="$1" a="$2"
}

# events NAME prints how many audit events of that name there are.
events() {
	sql "SELECT count(*) FROM audit_events WHERE event = :'e'" e="$1"
}

# docs/CONTRACT.md CL-3, G-10
@test "45 failed logins at once from one address against a budget of 30: exactly 30 are checked (401) and 15 get 429 unchecked" {
	race 45 login.cgi '{"email":"x%d@example.test","password":"Wrong12345"}' \
	    REMOTE_ADDR=$A CLIENT_LIMIT_LOGIN=30
	[[ $statuses == "30x401 15x429" ]] || _fail "answers: $statuses"
	# One failure (and one event) per checked password, none for the others.
	[[ $(hits login $A) == 30 ]]
	[[ $(events login_failure) == 30 ]]
	[[ $(sql "SELECT count(*), sum(failures) FROM login_failures") == "30|30" ]]
	[[ $(events client_limited) == 1 ]]
}

# docs/CONTRACT.md CL-3, LI-4
@test "12 wrong passwords at once for one email from one address: exactly 5 are checked (401), then the lock answers 429" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	race 12 login.cgi '{"email":"ann@example.test","password":"Wrong%d345"}' REMOTE_ADDR=$A
	[[ $statuses == "5x401 7x429" ]] || _fail "answers: $statuses"
	[[ $(sql "SELECT failures FROM login_failures") == 5 ]]
	[[ $(events login_failure) == 5 && $(events lockout) == 1 ]]
	# The lock took no hit from the address's budget: only the 5 checked did.
	[[ $(hits login $A) == 5 ]]
}

# docs/CONTRACT.md CL-3, G-10
@test "20 wrong codes at once from one address against a budget of 8: exactly 8 are checked (400) and 12 get 429" {
	race 20 verify-otp.cgi '{"email":"n%d@example.test","otp":"123456"}' \
	    REMOTE_ADDR=$A CLIENT_LIMIT_VERIFY_OTP=8
	[[ $statuses == "8x400 12x429" ]] || _fail "answers: $statuses"
	[[ $(hits verify_otp $A) == 8 ]]
}

# docs/CONTRACT.md CL-3
@test "15 signups, resend-otp and forgot-password requests at once against a budget of 6: exactly 6 of each are served" {
	race 15 signup.cgi '{"full_name":"Ann","email":"s%d@example.test","password":"StrongPass123"}' \
	    REMOTE_ADDR=$A CLIENT_LIMIT_SIGNUP=6
	[[ $statuses == "6x201 9x429" ]] || _fail "signup answers: $statuses"
	[[ $(sql "SELECT count(*) FROM users") == 6 && $(hits signup $A) == 6 ]]
	mail_wait "" 6
	rm -rf -- "$BATS_TEST_TMPDIR/race"
	race 15 resend-otp.cgi '{"email":"r%d@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_RESEND_OTP=6
	[[ $statuses == "6x200 9x429" ]] || _fail "resend-otp answers: $statuses"
	[[ $(hits resend_otp $A) == 6 ]]
	rm -rf -- "$BATS_TEST_TMPDIR/race"
	race 15 forgot-password.cgi '{"email":"f%d@example.test"}' REMOTE_ADDR=$A CLIENT_LIMIT_FORGOT_PASSWORD=6
	[[ $statuses == "6x200 9x429" ]] || _fail "forgot-password answers: $statuses"
	[[ $(hits forgot_password $A) == 6 ]]
	[[ $(events reset_requested) == 6 ]]
}

# docs/CONTRACT.md CL-3, SU-6
@test "10 resend-otp at once for one unverified account: exactly one code mail, 9 get 429" {
	signed_up ada@example.com
	age_mail ada@example.com 61
	race 10 resend-otp.cgi '{"email":"ada@example.com"}'
	[[ $statuses == "1x200 9x429" ]] || _fail "answers: $statuses"
	[[ $(sql "SELECT count(*) FROM mail_outbox") == 2 ]]
	mail_wait ada@example.com 2
	sleep 0.3
	[[ $(mail_count ada@example.com) == 2 ]]
}

# docs/CONTRACT.md CL-3, PW-2
@test "8 forgot-password at once for one account: one reset mail; all answer the same 200" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	race 8 forgot-password.cgi '{"email":"ann@example.test"}'
	[[ $statuses == "8x200" ]] || _fail "answers: $statuses"
	[[ $(sql "SELECT count(*) FROM reset_tokens") == 1 && $(sql "SELECT count(*) FROM mail_outbox") == 1 ]]
}

# docs/CONTRACT.md CL-3
@test "4 right passwords at once for one account: all 4 reserve their check and wait for the hash together, then all get 200" {
	local i
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	hold_gate 4
	bg_pids=()
	for i in 1 2 3 4; do
		login_bg "l$i" '{"email":"ann@example.test","password":"StrongPass123"}' HASH_CONCURRENCY=4
	done
	# All four stand at the hash at once: none holds a transaction or the
	# email's lock there (the old code checked one password at a time under it).
	wait_for "4 reserved checks" attempts_are 4
	[[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	          AND pid <> pg_backend_pid() AND state <> 'idle'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0 ]]
	release_gate
	wait_bg
	[[ $(cat "$BATS_TEST_TMPDIR"/l*/status | sort | uniq -c | awk '{ print $1 "x" $2 }') == 4x200 ]]
	attempts_are 0
	[[ $(events login_success) == 4 && $(events login_failure) == 0 ]]
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md CL-3
@test "12 right passwords at once for one account from one address: all get 200, none waits into a 429" {
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	race 12 login.cgi '{"email":"ann@example.test","password":"StrongPass123"}' REMOTE_ADDR=$A \
	    CLIENT_LIMIT_LOGIN=30
	[[ $statuses == "12x200" ]] || _fail "answers: $statuses"
	[[ $(events login_success) == 12 ]]
	attempts_are 0
	# Every hit of the address's budget was given back.
	[[ $(hits login $A) == 0 ]]
}

# docs/CONTRACT.md PW-5
@test "a reset committed while a login checks the old password: the login gets 401, not a token" {
	local token
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	token=$(mail_reset_token ann@example.test)
	hold_gate 1
	bg_pids=()
	login_bg old '{"email":"ann@example.test","password":"StrongPass123"}' HASH_CONCURRENCY=1
	wait_for "the login's reserved check" attempts_are 1
	# The reset hashes through a gate of its own, while the login waits at this one.
	cgi POST reset-password.cgi \
	    "$(jobj token "$token" new_password NewStrongPass456 confirm_password NewStrongPass456)" \
	    HASH_LOCK_FILE="$BATS_TEST_TMPDIR/other.lock"
	assert_status 200
	release_gate
	wait_bg
	[[ $(cat "$BATS_TEST_TMPDIR/old/status") == 401 ]]
	[[ $(events login_success) == 0 ]]
	[[ $(sql "SELECT detail FROM audit_events WHERE event = 'login_failure'") == "wrong password" ]]
	attempts_are 0
	cgi POST login.cgi '{"email":"ann@example.test","password":"NewStrongPass456"}'
	assert_status 200
}

# docs/CONTRACT.md PW-5
@test "a reset committed while a login checks the new password against the old hash: the login checks again and gets 200" {
	local token
	insert_user ann@example.test "Ann Example" "$HASH_STRONG" true >/dev/null
	cgi POST forgot-password.cgi '{"email":"ann@example.test"}'
	assert_status 200
	mail_wait ann@example.test
	token=$(mail_reset_token ann@example.test)
	hold_gate 1
	bg_pids=()
	login_bg new '{"email":"ann@example.test","password":"NewStrongPass456"}' HASH_CONCURRENCY=1
	wait_for "the login's reserved check" attempts_are 1
	cgi POST reset-password.cgi \
	    "$(jobj token "$token" new_password NewStrongPass456 confirm_password NewStrongPass456)" \
	    HASH_LOCK_FILE="$BATS_TEST_TMPDIR/other.lock"
	assert_status 200
	release_gate
	wait_bg
	[[ $(cat "$BATS_TEST_TMPDIR/new/status") == 200 ]]
	[[ $(events login_failure) == 0 && $(events login_success) == 1 ]]
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
	attempts_are 0
}
