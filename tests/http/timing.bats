#!/usr/bin/env bats
# forgot-password and resend-otp answer in the same time for an address that
# gets mail and one that does not (docs/CONTRACT.md PW-1, RO-2: the same answer, and the time
# must not tell either): through Apache, with real SMTP delivery to a sink
# that takes 0.25 s to accept each message (a program that delivered before
# answering would show it), 3 interleaved runs of 30 requests of each kind;
# the gap between the kinds' medians must stay within the noise between runs
# of one kind (tests/http/answer_time.py says how). Each mail is still
# delivered exactly once.

# shellcheck disable=SC2154  # set by the helpers
load helpers

RUNS=3
PER_RUN=30

# accounts PREFIX VERIFIED N: N accounts PREFIX1@example.test..., no mail yet.
accounts() {
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     SELECT :'p' || i || '@example.test', 'Timing User', 'x', :'v'::boolean
	       FROM generate_series(1, :'n'::int) AS i" p="$1" v="$2" n="$3" >/dev/null
}

# addresses PREFIX N FILE: writes PREFIX1@example.test ... PREFIXN@... into FILE.
addresses() {
	local i
	for ((i = 1; i <= $2; i++)); do
		printf '%s%d@example.test\n' "$1" "$i"
	done >"$3"
}

# measure PATH KNOWN_PREFIX: runs answer_time.py against PATH with the known
# addresses KNOWN_PREFIX* and unknown ones; prints its report.
measure() {
	local n=$((RUNS * PER_RUN + 3))
	mail_slow 0.25
	addresses "$2" "$n" "$BATS_TEST_TMPDIR/known"
	addresses nobody "$n" "$BATS_TEST_TMPDIR/unknown"
	run "$MC_PYTHON" "$BATS_TEST_DIRNAME/answer_time.py" "$MC_HTTP_URL" "$1" \
	    "$BATS_TEST_TMPDIR/known" "$BATS_TEST_TMPDIR/unknown" "$MC_MAIL_SINK" "$RUNS" "$PER_RUN"
	printf '%s\n' "$output" >&3
	[[ $status == 0 ]] || _fail "answer times tell the addresses apart:"$'\n'"$output"
}

# docs/CONTRACT.md PW-1
@test "forgot-password answers a known and an unknown address in the same time, and mails each known one once" {
	local n=$((RUNS * PER_RUN + 3))
	accounts known "true" "$n"
	measure /auth/forgot-password known
	[[ $(sql "SELECT count(*), count(DISTINCT recipient), bool_and(status = 'sent') FROM mail_outbox") == "$n|$n|t" ]]
	[[ $(mail_count) == "$n" ]]
	[[ $(sql "SELECT count(*) FROM reset_tokens") == "$n" ]]
}

# docs/CONTRACT.md RO-2
@test "resend-otp answers an unverified account and an unknown address in the same time, and mails each account once" {
	local n=$((RUNS * PER_RUN + 3))
	accounts unverified "false" "$n"
	measure /auth/resend-otp unverified
	[[ $(sql "SELECT count(*), count(DISTINCT recipient), bool_and(status = 'sent') FROM mail_outbox") == "$n|$n|t" ]]
	[[ $(mail_count) == "$n" ]]
	[[ $(sql "SELECT count(*) FROM otp_codes") == "$n" ]]
}
