#!/usr/bin/env bats
# A smoke run of `make bench` (tests/load/bench.sh): every scenario in every
# mode tests/lib/apache.sh offers, 1-second runs, 1 run each, 4 connections,
# 4 accounts, and --until-answered: a wrk thread with no answer after its
# second goes on until it has one (a CGI signup, 0.1 s of CPU, may not
# finish within the second on a busy machine), and wrk stops once nothing is
# in flight. It starts and stops its own PostgreSQL, SMTP sink and Apache
# servers, whatever the suite runs. About 40 s. The figures are printed, not
# judged: what must hold is that every scenario ran in every mode, had
# answers, all of them the scenario's success, no 5xx and no socket error,
# and that the report has them.

setup_file() {
	MC_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export MC_ROOT
	export SMOKE_DIR=$BATS_FILE_TMPDIR/bench
	# No other server: the smoke runs this project only.
	unset BENCH_PEER_URL BENCH_PEER_MAIL_DIR
	run "$MC_ROOT/tests/load/bench.sh" --seconds 1 --runs 1 --connections 4 --accounts 4 \
	    --until-answered --no-build --out "$SMOKE_DIR"
	export BENCH_RC=$status
	printf '%s\n' "$output" >"$BATS_FILE_TMPDIR/bench.txt"
}

@test "make bench runs every scenario in every mode with answers and no 5xx" {
	local s=$SMOKE_DIR/summary.json sc m modes
	if [[ $BENCH_RC -ne 0 || ! -s $s ]]; then
		cat "$BATS_FILE_TMPDIR/bench.txt" >&2
		false
	fi
	modes=$(jq -r '.meta.targets | join(" ")' "$s")
	# Both modes when this tree's Apache offers FastCGI, else CGI alone.
	if grep -q -e '--fastcgi' "$MC_ROOT/tests/lib/apache.sh"; then
		[[ $modes == "fastcgi cgi" ]]
	else
		[[ $modes == cgi ]]
	fi
	for sc in profile401 profile login signup mixed; do
		for m in $modes; do
			if ! jq -e --arg sc "$sc" --arg m "$m" '.scenarios[$sc][$m] as $a
			    | $a.rps_median > 0 and $a.runs[0].requests > 0 and $a.s5xx == 0
			    and $a.unexpected == 0 and $a.socket_errors == 0' "$s" >/dev/null; then
				echo "scenario $sc, mode $m:" >&2
				jq --arg sc "$sc" --arg m "$m" '.scenarios[$sc][$m] | del(.runs[].machine)' "$s" >&2
				false
			fi
		done
	done
	# The report names every scenario, and the printed output is the report.
	for sc in "GET /user/profile without a token (401)" "GET /user/profile with a token (200)" \
	    "POST /auth/login (200)" "POST /auth/signup, a new address each (201)" "signup-heavy mix"; do
		grep -q -F "| $sc" "$SMOKE_DIR/report.md"
		grep -q -F "| $sc" "$BATS_FILE_TMPDIR/bench.txt"
	done
	# It stopped the servers it started.
	local pid
	[[ $(wc -l <"$SMOKE_DIR/pids") -ge 3 ]]
	while read -r pid; do
		! kill -0 "$pid" 2>/dev/null
	done <"$SMOKE_DIR/pids"
}

@test "make bench --db-socket: the programs answer over PostgreSQL's Unix socket, and the report says so" {
	local out=$BATS_TEST_TMPDIR/socket s
	run "$MC_ROOT/tests/load/bench.sh" --seconds 1 --runs 1 --connections 2 --accounts 2 \
	    --until-answered --no-build --db-socket --modes cgi --scenarios profile --out "$out"
	echo "$output" >&3
	[[ $status -eq 0 ]]
	s=$out/summary.json
	jq -e '.scenarios.profile.cgi as $a | $a.rps_median > 0 and $a.s5xx == 0
	    and $a.unexpected == 0 and $a.socket_errors == 0' "$s" >/dev/null
	grep -q -F -- "- the programs' database connection: Unix socket, no password (trust)" "$out/report.md"
	grep -q '^DATABASE_URL=postgresql://mc_test@/medicalcare_test?host=' "$out/bench.env"
}
