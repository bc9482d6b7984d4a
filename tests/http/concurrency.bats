#!/usr/bin/env bats
# Many clients at once through Apache, on loopback, bounded in count and
# time: no 5xx and no dropped connection, and every account made exactly once.
# (Throughput is measured by benchmarks, not here: nothing is timed.)

# shellcheck disable=SC2154  # http_status, http_body, http_token... are set by helpers.bash
load helpers

# Sends one request a line of $1 (METHOD PATH [JSON]) with up to $2 at once;
# prints one status code a line ("000" when the exchange failed).
fan_out() {
	local file=$1 jobs=$2
	# shellcheck disable=SC2016  # expanded by the inner shell
	xargs -d '\n' -n 1 -P "$jobs" -a "$file" bash -c '
		read -r m p b <<<"$0"
		args=(-s -o /dev/null -w "%{http_code}\n" --max-time 60 --noproxy "*" -X "$m")
		[[ -n $b ]] && args+=(-H "Content-Type: application/json" --data "$b")
		curl "${args[@]}" "$MC_HTTP_URL$p" || true'
}

# Fails unless every line of $1 is one of the codes given.
assert_codes() {
	local codes=$1 bad
	shift
	bad=$(grep -v -x -F "${@/#/-e}" <<<"$codes" | sort | uniq -c || true)
	if [[ -n $bad ]]; then
		echo "unexpected status codes (count code):" >&2
		echo "$bad" >&2
		return 1
	fi
}

@test "sixty-four concurrent logins and health checks all succeed" {
	http_account crowd@example.test
	local list=$BATS_TEST_TMPDIR/requests codes
	for i in $(seq 1 32); do
		echo "POST /auth/login {\"email\":\"crowd@example.test\",\"password\":\"StrongPass123\"}"
		echo "GET /health"
	done >"$list"
	codes=$(fan_out "$list" 32)
	[[ $(wc -l <<<"$codes") -eq 64 ]]
	assert_codes "$codes" 200
	# No failure was counted for the right password.
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]
}

# docs/CONTRACT.md SU-1
@test "thirty-two concurrent signups of different emails each make one account" {
	local list=$BATS_TEST_TMPDIR/requests codes
	for i in $(seq 1 32); do
		echo "POST /auth/signup {\"full_name\":\"User $i\",\"email\":\"user$i@example.test\",\"password\":\"StrongPass123\"}"
	done >"$list"
	codes=$(fan_out "$list" 32)
	[[ $(wc -l <<<"$codes") -eq 32 ]]
	assert_codes "$codes" 201
	[[ $(sql "SELECT count(*), count(DISTINCT email) FROM users") == "32|32" ]]
	[[ $(sql "SELECT count(*) FROM otp_codes") == 32 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE kind = 'otp' AND status = 'sent'") == 32 ]]
	mail_wait user32@example.test
	[[ $(mail_count) -eq 32 ]]
}

@test "sixteen concurrent signups of one email make one account and one mail" {
	local list=$BATS_TEST_TMPDIR/requests codes
	for i in $(seq 1 16); do
		echo "POST /auth/signup {\"full_name\":\"Same $i\",\"email\":\"same@example.test\",\"password\":\"StrongPass123\"}"
	done >"$list"
	codes=$(fan_out "$list" 16)
	[[ $(wc -l <<<"$codes") -eq 16 ]]
	# One wins; every other finds the address registered (docs/CONTRACT.md SU-3).
	assert_codes "$codes" 201 409
	[[ $(grep -c -x 201 <<<"$codes") -eq 1 ]]
	[[ $(sql "SELECT count(*) FROM users WHERE email = 'same@example.test'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE recipient = 'same@example.test'") == 1 ]]
	mail_wait same@example.test
	[[ $(mail_count same@example.test) -eq 1 ]]
}
