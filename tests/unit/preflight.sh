#!/usr/bin/env bash
# tests/preflight.sh, which tests/run.sh and `make test` run first: on a
# machine without what the tests need it stops at once, naming each missing
# thing and ./setup.sh; on one set up it says nothing. Each case works on a
# temporary copy (a checkout without node_modules, a PATH without jq).
set -uo pipefail
cd "${MC_SOURCE_DIR:-.}" || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mc-preflight.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
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

# What preflight.sh needs depends on these: the whole suite's needs are
# checked here, whatever the run that runs this test skips.
unset HTTP_TESTS HTTP_CGI_TESTS RUN_FUZZ

# A PATH with every command of this one but jq (symbolic links).
nojq=$tmp/bin
mkdir -p "$nojq"
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[[ -d $d ]] || continue
	for f in "$d"/*; do
		[[ -x $f && ! -d $f && ${f##*/} != jq && ! -e $nojq/${f##*/} ]] && ln -s "$f" "$nojq/${f##*/}"
	done
done

set_up_machine_passes_silently() {
	local out rc=0
	out=$(tests/preflight.sh 2>&1) || rc=$?
	[[ $rc -eq 0 && -z $out ]] || { echo "# exit $rc: $out" >&2; return 1; }
}

missing_npm_packages_are_named_with_setup_sh() {
	local copy=$tmp/checkout out rc=0
	mkdir -p "$copy/docs" "$copy/tests/browser"
	out=$(MC_PREFLIGHT_ROOT=$copy tests/preflight.sh 2>&1) || rc=$?
	[[ $rc -eq 2 ]] || { echo "# exit $rc" >&2; return 1; }
	[[ $out == *"npm package swagger-ui-dist in docs/node_modules"* &&
	    $out == *"npm package playwright-core in tests/browser/node_modules"* &&
	    $out == *"npm package qrcode in tests/browser/node_modules"* &&
	    $out == *"Run ./setup.sh first"* ]] || { echo "# $out" >&2; return 1; }
}

a_missing_command_is_named() {
	local out rc=0
	out=$(PATH=$nojq tests/preflight.sh 2>&1) || rc=$?
	[[ $rc -eq 2 && $out == *"command jq (the tests)"* && $out == *"./setup.sh"* ]] ||
	    { echo "# exit $rc: $out" >&2; return 1; }
}

run_sh_stops_within_seconds_before_any_phase() {
	local out rc=0 t0 t1
	t0=$(date +%s)
	out=$(PATH=$nojq timeout 20 tests/run.sh 2>&1) || rc=$?
	t1=$(date +%s)
	[[ $rc -eq 2 && $((t1 - t0)) -le 5 && $out == *"command jq"* && $out != *"===="* ]] ||
	    { echo "# exit $rc after $((t1 - t0)) s: $out" >&2; return 1; }
}

check "a machine set up by setup.sh passes silently" set_up_machine_passes_silently
check "missing npm packages are named, with ./setup.sh" missing_npm_packages_are_named_with_setup_sh
check "a command missing from PATH is named" a_missing_command_is_named
check "tests/run.sh stops within seconds, before any phase" run_sh_stops_within_seconds_before_any_phase
echo "# $((n - failed)) of $n checks passed"
[[ $failed -eq 0 ]]
