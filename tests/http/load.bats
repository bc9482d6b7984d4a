#!/usr/bin/env bats
# Load through Apache: wrk (tests/load/mix.lua) sends a mix of login, profile
# and signup requests on 32 connections over loopback for a bounded time, and
# nothing may go wrong: no 5xx, no socket error, every answer the expected
# success, every signup address one account, one code and one mail.
#
# Bounded: requests go out for MC_LOAD_SECONDS (default 15; 50 with
# MC_LONG=1), then none; wrk is stopped as soon as every request sent has its
# answer, and stops by itself MC_LOAD_DRAIN seconds later at the latest (30,
# and wrk -d 60 s at most: 45 s, or 60 s with MC_LONG=1). Also run by
# tests/load/run.sh, which keeps the figures (MC_LOAD_OUT_DIR) for
# docs/BENCHMARKS.md. Nothing is timed: the figures are printed, not asserted.

# shellcheck disable=SC2154  # http_* and outbox_* are set by the helpers
load helpers

if [[ ${MC_LONG:-0} == 1 ]]; then
	: "${MC_LOAD_SECONDS:=50}"
else
	: "${MC_LOAD_SECONDS:=15}"
fi
: "${MC_LOAD_CONNECTIONS:=32}" "${MC_LOAD_THREADS:=2}"
# Seconds wrk may wait for the last answers: 30, but wrk -d 60 at most.
: "${MC_LOAD_DRAIN:=$((60 - MC_LOAD_SECONDS < 30 ? 60 - MC_LOAD_SECONDS : 30))}"
((MC_LOAD_DRAIN >= 5)) || MC_LOAD_DRAIN=5
: "${MC_LOAD_ACCOUNTS:=32}" "${MC_LOAD_MIX:=1:1:1}"

# The value of VAR in the programs' env file, else DEFAULT.
env_value() { # VAR DEFAULT
	local v
	v=$(sed -n -E "s/^(export[[:space:]]+)?$1=//p" "$MC_APACHE_ENV_FILE" | tail -n 1)
	printf '%s\n' "${v:-$2}"
}

# The load accounts load-user-1..N@example.test (password StrongPass123,
# verified) with an Argon2id hash at the configured cost, so that a login
# costs what it costs in production and no login rehashes; one access token a
# line into $1 (line N for account N).
make_load_accounts() { # TOKENS_FILE
	local hash salt
	printf -v salt '%08x%08x' "$SRANDOM" "$SRANDOM"
	hash=$(printf '%s' StrongPass123 | argon2 "$salt" -id -t "$argon2_t" -k "$argon2_m" \
	    -p "$argon2_p" -e) || return 1
	sql "INSERT INTO users (email, full_name, password_hash, is_verified)
	     SELECT 'load-user-' || n || '@example.test', 'Load User ' || n, :'h', true
	       FROM generate_series(1, :n) AS n" h="$hash" n="$MC_LOAD_ACCOUNTS" >/dev/null || return 1
	# A session per account, named by its token's sid (docs/CONTRACT.md SE-5).
	sql "INSERT INTO sessions (id, user_id)
	     SELECT 'load-session-' || lpad(id::text, 10, '0'), id FROM users
	      WHERE email LIKE 'load-user-%'" >/dev/null || return 1
	sql "SELECT id, email FROM users WHERE email LIKE 'load-user-%'
	      ORDER BY split_part(split_part(email, '@', 1), '-', 3)::int" |
	    "$MC_PYTHON" -c '
import sys, time, jwt
now = int(time.time())
for line in sys.stdin:
    uid, email = line.rstrip("\n").split("|")
    print(jwt.encode({"sub": uid, "email": email, "iat": now, "exp": now + 7200,
                      "sid": "load-session-" + uid.zfill(10)},
                     sys.argv[1], algorithm="HS256"))
' "$MC_TEST_JWT_KEY" >"$1"
	[[ $(wc -l <"$1") -eq $MC_LOAD_ACCOUNTS ]]
}

# A wrk left running by a failed test is stopped.
teardown() {
	if [[ -n ${wrk_pid:-} ]]; then
		kill -KILL "$wrk_pid" 2>/dev/null || true
		wait "$wrk_pid" 2>/dev/null || true
	fi
}

@test "a mix of login, profile and signup at 32 connections loses nothing" {
	local out=${MC_LOAD_OUT_DIR:-$BATS_TEST_TMPDIR/load} tag="r$$" t0 idle_at log_at err_at i
	local sent answered accounts dupes
	mkdir -p "$out"
	rm -f -- "$out"/quiet.*
	argon2_m=$(env_value ARGON2_MEMORY_KIB 19456)
	argon2_t=$(env_value ARGON2_ITERATIONS 2)
	argon2_p=$(env_value ARGON2_PARALLELISM 1)
	# Every request comes from 127.0.0.1: the per-address limits would
	# answer 429 after a few signups. Still checked on every request.
	http_setting CLIENT_LIMIT_LOGIN=1000000 CLIENT_LIMIT_SIGNUP=1000000
	make_load_accounts "$BATS_TEST_TMPDIR/tokens.txt"

	log_at=$(stat -c %s -- "$MC_APACHE_DIR/access.log")
	err_at=$(stat -c %s -- "$MC_APACHE_ERROR_LOG")
	# Requests for MC_LOAD_SECONDS, then none: once every thread has its
	# answers (quiet.N), wrk is stopped; -d is the upper bound.
	t0=$(date +%s.%N)
	idle_at=$(awk -v t="$t0" -v d="$MC_LOAD_SECONDS" 'BEGIN { printf "%d", t + d + 0.999 }')
	MC_LOAD_OUT=$out MC_LOAD_TOKENS=$BATS_TEST_TMPDIR/tokens.txt MC_LOAD_ACCOUNTS=$MC_LOAD_ACCOUNTS \
	    MC_LOAD_TAG=$tag MC_LOAD_MIX=$MC_LOAD_MIX MC_LOAD_IDLE_AT=$idle_at \
	    wrk -t "$MC_LOAD_THREADS" -c "$MC_LOAD_CONNECTIONS" -d "$((MC_LOAD_SECONDS + MC_LOAD_DRAIN))s" \
	    --timeout 30s -L -s "$MC_ROOT/tests/load/mix.lua" "$MC_HTTP_URL" >"$out/wrk.txt" 2>&1 3>&- &
	wrk_pid=$!
	local deadline=$((${t0%.*} + MC_LOAD_SECONDS + MC_LOAD_DRAIN + 15)) n
	while kill -0 "$wrk_pid" 2>/dev/null; do
		n=$(find "$out" -maxdepth 1 -name 'quiet.*' | wc -l)
		if [[ $n -ge $MC_LOAD_THREADS ]]; then
			kill -INT "$wrk_pid"
			break
		fi
		if [[ $(date +%s) -gt $deadline ]]; then
			kill -KILL "$wrk_pid"
			echo "wrk did not stop by itself" >&2
			break
		fi
		sleep 0.2
	done
	wait "$wrk_pid" || { cat "$out/wrk.txt" >&2; wrk_pid=""; false; }
	wrk_pid=""
	[[ -s $out/wrk.json ]] || { cat "$out/wrk.txt" >&2; false; }

	# Apache writes a request's log line after its answer: wait for them all.
	tail -c +$((log_at + 1)) -- "$MC_APACHE_DIR/access.log" >"$out/access.log"
	answered=$(jq .requests "$out/wrk.json")
	for ((i = 0; i < 50; i++)); do
		# (Apache's own "OPTIONS *" lines do not count.)
		[[ $(grep -c -E '"(GET|POST) /(auth/login|auth/signup|user/profile) ' "$out/access.log") -ge \
		    $answered ]] && break
		sleep 0.2
		tail -c +$((log_at + 1)) -- "$MC_APACHE_DIR/access.log" >"$out/access.log"
	done
	tail -c +$((err_at + 1)) -- "$MC_APACHE_ERROR_LOG" >"$out/error.log"

	# The accounts the signups made: exactly the addresses sent, once each.
	LC_ALL=C sort "$out/signup-emails.txt" >"$out/sent.sorted"
	sql "SELECT email FROM users WHERE email LIKE :'p' ORDER BY email" p="load-$tag-%" |
	    LC_ALL=C sort >"$out/created.sorted"
	accounts=$(wc -l <"$out/created.sorted")
	dupes=$(sql "SELECT count(*) FROM (SELECT lower(email) FROM users
	              GROUP BY lower(email) HAVING count(*) > 1) AS d")
	local codes outbox sent_inline pending
	codes=$(sql "SELECT count(*), count(DISTINCT o.user_id) FROM otp_codes o
	               JOIN users u ON u.id = o.user_id WHERE u.email LIKE :'p'" p="load-$tag-%")
	outbox=$(sql "SELECT count(*), count(DISTINCT recipient) FROM mail_outbox
	               WHERE kind = 'otp' AND recipient LIKE :'p'" p="load-$tag-%")
	sent_inline=$(sql "SELECT count(*) FROM mail_outbox WHERE recipient LIKE :'p'
	                     AND status = 'sent'" p="load-$tag-%")
	pending=$(sql "SELECT count(*) FROM mail_outbox WHERE recipient LIKE :'p'
	                 AND status = 'pending'" p="load-$tag-%")

	jq -n --argjson seconds "$MC_LOAD_SECONDS" --argjson drain "$MC_LOAD_DRAIN" \
	    --argjson active "$(awk -v t="$t0" -v i="$idle_at" 'BEGIN { printf "%.2f", i - t }')" \
	    --argjson c "$MC_LOAD_CONNECTIONS" --argjson t "$MC_LOAD_THREADS" --arg mix "$MC_LOAD_MIX" \
	    --argjson m "$argon2_m" --argjson it "$argon2_t" --argjson p "$argon2_p" \
	    --argjson acc "$accounts" --argjson dup "$dupes" --argjson si "$sent_inline" \
	    --argjson pe "$pending" --argjson la "$MC_LOAD_ACCOUNTS" \
	    '{seconds: $seconds, drain_seconds: $drain, active_seconds: $active, connections: $c,
	      threads: $t, mix: $mix, argon2_memory_kib: $m, argon2_iterations: $it,
	      argon2_parallelism: $p, login_accounts: $la, accounts_created: $acc,
	      duplicate_emails: $dup, mail_sent_inline: $si, mail_pending: $pe}' >"$out/meta.json"
	# The figures, as TAP comments.
	"$MC_PYTHON" "$MC_ROOT/tests/load/report.py" "$out" | sed 's/^/# /' >&3 || true
	local s=$out/summary.json
	[[ -s $s ]]

	# No socket error (connect, read, write, timeout) and no 5xx.
	if [[ $(jq .socket_errors "$s") != 0 || $(jq .counts.s5xx "$s") != 0 ||
	    $(jq .log_5xx "$s") != 0 ]]; then
		cat "$out/wrk.txt" "$out/unexpected.txt" >&2
		false
	fi
	# No program crashed or printed no header block, no server limit was hit.
	if grep -E -e 'End of script output|malformed header|Premature end of script' \
	    -e 'MaxRequestWorkers|AddressSanitizer|runtime error:|segfault|exit signal' "$out/error.log" >&2; then
		false
	fi
	# Every answer the expected success; something of each kind was sent.
	if [[ $(jq .counts.unexpected "$s") != 0 ]]; then
		echo "unexpected answers (thread, status, body):" >&2
		cat "$out/unexpected.txt" >&2
		false
	fi
	[[ $(jq '.counts.sent_login > 0 and .counts.sent_profile > 0 and .counts.sent_signup > 0' "$s") == true ]]
	# Every request sent was answered (none in flight when wrk stopped), and
	# wrk and Apache's log count the same answers.
	[[ $(jq '.counts as $c | $c.ok_login == $c.sent_login and $c.ok_signup == $c.sent_signup
	         and $c.ok_profile == $c.sent_profile
	         and .wrk.requests == $c.ok_login + $c.ok_profile + $c.ok_signup
	         and .endpoints.login.statuses == {"200": $c.ok_login}
	         and .endpoints.profile.statuses == {"200": $c.ok_profile}
	         and .endpoints.signup.statuses == {"201": $c.ok_signup}' "$s") == true ]]
	# Each signup address sent made exactly one account, code and queued mail.
	sent=$(jq .counts.sent_signup "$s")
	[[ $(wc -l <"$out/sent.sorted") -eq $sent ]]
	[[ $(uniq "$out/sent.sorted" | wc -l) -eq $sent ]]
	if ! cmp -s "$out/sent.sorted" "$out/created.sorted"; then
		echo "signup addresses sent vs accounts created:" >&2
		diff "$out/sent.sorted" "$out/created.sorted" | head -n 20 >&2
		false
	fi
	[[ $accounts -eq $(jq .counts.ok_signup "$s") ]]
	[[ $dupes == 0 ]]
	[[ $codes == "$sent|$sent" ]]
	[[ $outbox == "$sent|$sent" ]]
	# Logins with the right password count no failure.
	[[ $(sql "SELECT count(*) FROM login_failures") == 0 ]]

	# Mail: queued with the account; what the request could not deliver, the
	# outbox program delivers now. Then every code is in the sink once.
	if [[ $pending -gt 0 ]]; then
		run_outbox
		[[ $outbox_rc -eq 0 ]]
	fi
	[[ $(sql "SELECT count(*) FROM mail_outbox WHERE recipient LIKE :'p' AND status = 'sent'" \
	    p="load-$tag-%") -eq $sent ]]
	MC_MAIL_WAIT=10 mail_wait "" "$sent"
	[[ $(mail_count "") -eq $sent ]]
}
