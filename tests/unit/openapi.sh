#!/usr/bin/env bash
# docs/openapi.json agrees with the programs: every program in cgi-bin/ is
# documented, every documented program exists, every POST lists the general
# errors of the contract, and every success body of the contract is there.
# It agrees with the web servers too: the paths routed by apache/routes.txt
# (from which apache/render.sh makes every server configuration) are exactly
# its paths, each routed to the program its operation names. And
# cgi-bin/openapi.cgi serves it as stored.
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
		/auth/refresh /auth/logout /user/sessions '/user/sessions/{id}' \
		/health /healthz /user/change-password /user/delete-account /user/mfa/setup /user/mfa/enable /auth/mfa/verify /user/mfa/recovery-codes /user/mfa/disable | sort)
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
		"Password reset successfully. Please log in again." \
		"Account deleted"; do
		jq -e --arg m "$want" '[.. | objects | select(.message? == $m)] | length > 0' "$doc" >/dev/null ||
			{ echo "# missing success message: $want" >&2; return 1; }
	done
}

# The routes of the web servers: "KIND PATH TARGET" lines.
routes() {
	apache/render.sh routes
}

routed_paths_are_the_documented_paths() {
	local routed documented
	routed=$(routes | awk '$1 == "cgi" || $1 == "page" { print $2 }' | sort) || return 1
	documented=$(jq -r '.paths | keys[]' "$doc" | sort)
	[[ -n $routed ]] || return 1
	if [[ $routed != "$documented" ]]; then
		echo "# < routed (apache/routes.txt)   > documented ($doc)" >&2
		diff <(echo "$routed") <(echo "$documented") | grep '^[<>]' | sed 's/^/# /' >&2
		return 1
	fi
}

each_path_is_routed_to_the_program_it_documents() {
	local kind path target bad=0 names
	while read -r kind path target; do
		names=$(jq -r --arg p "$path" '.paths[$p][]? | .description // ""' "$doc" |
			grep -o 'cgi-bin/[a-z-]*\.cgi' | sort -u)
		if [[ $kind == cgi && $names != "cgi-bin/$target" ]]; then
			echo "# $path is routed to cgi-bin/$target, documented as: ${names:-no program}" >&2
			bad=1
		elif [[ $kind == page && -n $names ]]; then
			echo "# $path is a static page, documented as $names" >&2
			bad=1
		fi
	done < <(routes)
	return $bad
}

every_program_is_routed() {
	local p bad=0 routed
	routed=$(routes | awk '$1 == "cgi" { print $3 }')
	for p in cgi-bin/*.c; do
		p=$(basename "$p" .c).cgi
		if ! grep -qx -- "$p" <<<"$routed"; then
			echo "# cgi-bin/$p has no route in apache/routes.txt" >&2
			bad=1
		fi
	done
	return $bad
}

every_static_file_routed_exists() {
	local kind path target bad=0
	while read -r kind path target; do
		[[ $kind == cgi ]] && continue
		if [[ ! -f $target ]]; then
			echo "# $path is routed to $target, which does not exist (./setup.sh installs docs/node_modules)" >&2
			bad=1
		fi
	done < <(routes)
	return $bad
}

# The program of the build variant under test (build/san/cgi-bin for the
# sanitizer build), run in a copy of the project layout: ROOT/cgi-bin/openapi.cgi.
openapi_program() {
	local variant
	variant=$(dirname "${MC_LIB:-build/rel/libmedicalcare.a}")
	if [[ -x $variant/cgi-bin/openapi.cgi ]]; then
		printf '%s\n' "$variant/cgi-bin/openapi.cgi"
	else
		printf '%s\n' cgi-bin/openapi.cgi
	fi
}

# run_openapi ROOT: runs ROOT/cgi-bin/openapi.cgi as a GET; its output in
# ROOT/out, its stderr in ROOT/err. Fails when it does not exit 0 or prints a
# sanitizer report.
run_openapi() {
	local root=$1 rc=0
	env -i PATH=/usr/bin:/bin REQUEST_METHOD=GET MEDICALCARE_ENV_FILE=/dev/null \
		JWT_SECRET_KEY=openapi-test-secret-0123456789-abcdefghij \
		${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
		${LSAN_OPTIONS:+LSAN_OPTIONS=$LSAN_OPTIONS} \
		"$root/cgi-bin/openapi.cgi" </dev/null >"$root/out" 2>"$root/err" || rc=$?
	if [[ $rc -ne 0 ]] || grep -q -e Sanitizer -e 'runtime error' "$root/err"; then
		echo "# openapi.cgi exited $rc:" >&2
		sed 's/^/# /' "$root/err" >&2
		return 1
	fi
}

openapi_cgi_serves_the_stored_document() {
	local t prog ok=1
	prog=$(openapi_program)
	[[ -x $prog ]] || { echo "# $prog is not built" >&2; return 1; }
	t=$(mktemp -d) || return 1
	mkdir -p "$t/cgi-bin" "$t/docs" && cp -- "$prog" "$t/cgi-bin/openapi.cgi" &&
		cp -- "$doc" "$t/docs/openapi.json" && run_openapi "$t" || ok=0
	# Status and type, then the exact bytes of the file after the blank line.
	if [[ $ok -eq 1 ]] && ! { grep -q -x $'Status: 200 OK\r' "$t/out" &&
		grep -q -x $'Content-Type: application/json\r' "$t/out" &&
		sed '1,/^\r$/d' "$t/out" | cmp -s - "$doc"; }; then
		echo "# openapi.cgi did not answer 200 with the document:" >&2
		head -c 400 "$t/out" | sed 's/^/# /' >&2
		ok=0
	fi
	rm -rf -- "$t"
	[[ $ok -eq 1 ]]
}

openapi_cgi_without_the_document_answers_500_and_logs_why() {
	local t prog ok=1
	prog=$(openapi_program)
	[[ -x $prog ]] || { echo "# $prog is not built" >&2; return 1; }
	t=$(mktemp -d) || return 1
	mkdir -p "$t/cgi-bin" && cp -- "$prog" "$t/cgi-bin/openapi.cgi" && run_openapi "$t" || ok=0
	if [[ $ok -eq 1 ]] && ! { grep -q -x $'Status: 500 Internal Server Error\r' "$t/out" &&
		[[ $(sed '1,/^\r$/d' "$t/out") == '{"detail":"Internal server error"}' ]] &&
		grep -q "docs/openapi.json" "$t/err"; }; then
		echo "# expected a 500 and a log line naming the file; got:" >&2
		sed 's/^/# /' "$t/out" "$t/err" >&2
		ok=0
	fi
	rm -rf -- "$t"
	[[ $ok -eq 1 ]]
}

check "openapi.json is an OpenAPI 3 document" is_valid_openapi3
check "every program in cgi-bin is documented" every_program_is_documented
check "every documented program exists" every_documented_program_exists
check "the contract's paths are documented, no more" contract_paths_are_documented
check "every POST lists 400 405 413 415 422 500 503" posts_list_the_general_errors
check "the success messages are the contract's" success_messages_match_the_contract
check "the routed paths (apache/routes.txt) are the documented paths" routed_paths_are_the_documented_paths
check "each path is routed to the program it documents" each_path_is_routed_to_the_program_it_documents
check "every program in cgi-bin is routed" every_program_is_routed
check "every static file routed exists" every_static_file_routed_exists
check "openapi.cgi serves the stored document" openapi_cgi_serves_the_stored_document
check "openapi.cgi without the document answers 500 and logs why" openapi_cgi_without_the_document_answers_500_and_logs_why

echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
