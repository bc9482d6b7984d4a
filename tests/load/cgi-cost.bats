#!/usr/bin/env bats
# The cost of one request of login, profile and signup run directly as CGI
# programs (no web server): wall time over MC_CGI_COST_RUNS runs (default 20)
# and the peak resident memory of the process. Run by tests/load/run.sh for
# docs/BENCHMARKS.md, not by `make test` (it lives outside tests/http). Checks
# that each run answers its success status; times are printed, not asserted.

# shellcheck disable=SC2154  # set by the helpers
load ../http/helpers

@test "login, profile and signup as plain CGI cost this much" {
	local out=${MC_LOAD_OUT_DIR:-$BATS_TEST_TMPDIR} id token
	http_setting CLIENT_LIMIT_LOGIN=1000000 CLIENT_LIMIT_SIGNUP=1000000
	id=$(add_user load-user-1@example.test "Load User 1" StrongPass123)
	# A session of the account, named by the token's sid (docs/CONTRACT.md SE-5).
	sql "INSERT INTO sessions (id, user_id) VALUES ('cgi-cost-session-000001', :'u')" u="$id" >/dev/null
	token=$(make_jwt "{\"sub\":\"$id\",\"email\":\"load-user-1@example.test\",\"iat\":$(date +%s),\"exp\":$(($(date +%s) + 3600)),\"sid\":\"cgi-cost-session-000001\"}")
	"$MC_PYTHON" "$MC_ROOT/tests/load/cgi_cost.py" "$CGI_DIR" "$MEDICALCARE_ENV_FILE" "$token" \
	    "${MC_CGI_COST_RUNS:-20}" "$out/cgi-cost.json" >"$out/cgi-cost.md"
	cat "$out/cgi-cost.md" >&3
}
