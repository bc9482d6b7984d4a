#!/usr/bin/env bash
# docs/openapi.json agrees with the programs: every program in cgi-bin/ is
# documented, every documented program exists, every POST lists the general
# errors of the contract, and every success body of the contract is there.
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2
doc=docs/openapi.json
n=0 failed=0

check() { # NAME COMMAND...
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

is_valid_openapi3() {
	jq -e '.openapi | startswith("3.")' "$doc" >/dev/null
}

documented_programs() {
	jq -r '.paths[][] | .description // "" ' "$doc" |
		grep -o 'cgi-bin/[a-z-]*\.cgi' | sed 's|cgi-bin/||; s|\.cgi$||' | sort -u
}

every_program_is_documented() {
	local p missing=0
	for p in cgi-bin/*.c; do
		p=$(basename "$p" .c)
		if ! documented_programs | grep -qx "$p"; then
			echo "# cgi-bin/$p.cgi is in no operation of $doc" >&2
			missing=1
		fi
	done
	return $missing
}

every_documented_program_exists() {
	local p missing=0
	for p in $(documented_programs); do
		if [[ ! -f cgi-bin/$p.c ]]; then
			echo "# $doc names cgi-bin/$p.cgi, which has no source" >&2
			missing=1
		fi
	done
	return $missing
}

contract_paths_are_documented() {
	local want got
	want=$(printf '%s\n' /auth/signup /auth/verify-otp /auth/resend-otp /auth/login \
		/auth/forgot-password /auth/reset-password /user/profile /auth/user/profile \
		/health /healthz | sort)
	got=$(jq -r '.paths | keys[]' "$doc" | grep -v -e '^/openapi.json$' -e '^/docs$' | sort)
	if [[ $want != "$got" ]]; then
		diff <(echo "$want") <(echo "$got") >&2
		return 1
	fi
}

posts_list_the_general_errors() {
	jq -e '[.paths[] | select(.post) | .post.responses | has("400") and has("405") and has("413")
		and has("415") and has("422") and has("500") and has("503")] | all' "$doc" >/dev/null
}

success_messages_match_the_contract() {
	local want
	for want in "OTP sent to your email for verification" \
		"If the account exists and is not verified, a new OTP has been sent" \
		"Password reset link sent to your email" \
		"Password reset successfully. Please log in again."; do
		jq -e --arg m "$want" '[.. | objects | select(.message? == $m)] | length > 0' "$doc" >/dev/null ||
			{ echo "# missing success message: $want" >&2; return 1; }
	done
}

check "openapi.json is an OpenAPI 3 document" is_valid_openapi3
check "every program in cgi-bin is documented" every_program_is_documented
check "every documented program exists" every_documented_program_exists
check "the contract's paths are documented, no more" contract_paths_are_documented
check "every POST lists 400 405 413 415 422 500 503" posts_list_the_general_errors
check "the success messages are the contract's" success_messages_match_the_contract

echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
