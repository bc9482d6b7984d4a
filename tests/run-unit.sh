#!/usr/bin/env bash
# Runs the unit tests of one build variant and counts them.
#
# Usage: tests/run-unit.sh [DIR]      DIR: build/rel/tests (default) or build/san/tests
#
# For each tests/unit/test_<name>.c it runs DIR/test_<name> (a missing binary,
# say because it did not build, counts as a failure), counting cmocka's tests
# one by one: a test that started and did not report OK or SKIPPED failed (a
# crash included), and an executable that exits non-zero with no failed test
# (a leak report at exit, a crash between tests) counts one failure more.
# Then each executable tests/unit/*.sh: TAP lines ("ok", "not ok") are counted
# when it prints them, else the script counts as one test by its exit status.
#
# The programs get MC_LIB (the static library of the variant), MC_BIN_DIR
# (its tools: bin or build/san/bin), MC_SOURCE_DIR (the repository) and the
# caller's ASAN_OPTIONS/UBSAN_OPTIONS, and run from the repository root.
# MC_UNIT_TIMEOUT (default 300) bounds each in seconds.
#
# The last line is "unit: P passed, F failed, S skipped"; the exit status is 1
# when anything failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

dir=${1:-build/rel/tests}
dir=${dir%/}
case $dir in /*) ;; *) dir=$root/$dir ;; esac
variant=$(dirname "$dir")
export MC_LIB=${MC_LIB:-$variant/libmedicalcare.a}
if [[ -z ${MC_BIN_DIR:-} ]]; then
	if [[ $variant == "$root/build/rel" ]]; then
		MC_BIN_DIR=$root/bin
	else
		MC_BIN_DIR=$variant/bin
	fi
fi
export MC_BIN_DIR
export MC_SOURCE_DIR=$root
timeout_s=${MC_UNIT_TIMEOUT:-300}

pass=0 fail=0 skip=0
failed_names=()
log=$(mktemp "${TMPDIR:-/tmp}/mc-unit.XXXXXX")
trap 'rm -f -- "$log"' EXIT

# Counts cmocka's per-test results in $log into p f s.
count_cmocka() {
	awk '
	/^\[ RUN      \] /  { if (run) f++; run = 1; next }
	/^\[       OK \] /  { if (run) { p++; run = 0 }; next }
	/^\[  SKIPPED \] /  { if (run) { s++; run = 0 }; next }
	/^\[  FAILED  \] /  { if (run) { f++; run = 0 }; next }
	/^\[  ERROR   \] /  { next }
	END { if (run) f++; printf "%d %d %d %d\n", p, f, s, p + f + s }
	' "$log"
}

# Counts TAP results in $log into p f s.
count_tap() {
	awk '
	/^ok / { if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) s++; else p++; next }
	/^not ok / { if ($0 ~ /# *[Tt][Oo][Dd][Oo]/) s++; else f++; next }
	END { printf "%d %d %d %d\n", p, f, s, p + f + s }
	' "$log"
}

record() { # name p f s rc
	local name=$1 p=$2 f=$3 s=$4 rc=$5 verdict=PASS
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		f=1
	fi
	[[ $f -gt 0 ]] && verdict=FAIL
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[[ $f -gt 0 ]] && failed_names+=("$name")
	local why=""
	if [[ $rc -eq 124 ]]; then
		why=", timed out after $timeout_s s"
	elif [[ $rc -gt 128 ]]; then
		why=", killed by signal $((rc - 128))"
	elif [[ $rc -ne 0 ]]; then
		why=", exit status $rc"
	fi
	printf '%s %s (%d passed, %d failed, %d skipped%s)\n' "$verdict" "$name" "$p" "$f" "$s" "$why"
}

run_one() { # display-name command...
	local name=$1 rc=0
	shift
	timeout -k 10 "$timeout_s" env -u CMOCKA_MESSAGE_OUTPUT -u CMOCKA_XML_FILE -u CMOCKA_TEST_ABORT \
	    "$@" </dev/null >"$log" 2>&1 || rc=$?
	cat "$log"
	return $rc
}

shopt -s nullglob
sources=(tests/unit/test_*.c)
scripts=(tests/unit/*.sh)
shopt -u nullglob

for src in "${sources[@]}"; do
	name=$(basename "$src" .c)
	bin=$dir/$name
	rel=${bin#"$root"/}
	if [[ ! -x $bin ]]; then
		echo "FAIL $rel: not built"
		fail=$((fail + 1))
		failed_names+=("$rel (not built)")
		continue
	fi
	if [[ $bin -ot $src ]]; then
		echo "FAIL $rel: older than $src (did not rebuild)"
		fail=$((fail + 1))
		failed_names+=("$rel (stale)")
		continue
	fi
	rc=0
	run_one "$rel" "$bin" || rc=$?
	read -r p f s n < <(count_cmocka)
	if [[ $n -eq 0 ]]; then
		# Not cmocka output: the executable is one test.
		if [[ $rc -eq 0 ]]; then p=1; else p=0; fi
	fi
	record "$rel" "$p" "$f" "$s" "$rc"
done

for script in "${scripts[@]}"; do
	[[ -x $script ]] || continue
	rc=0
	run_one "$script" "$script" || rc=$?
	read -r p f s n < <(count_tap)
	if [[ $n -eq 0 ]]; then
		if [[ $rc -eq 0 ]]; then p=1; else p=0; fi
	fi
	record "$script" "$p" "$f" "$s" "$rc"
done

if [[ ${#failed_names[@]} -gt 0 ]]; then
	echo "failed: ${failed_names[*]}"
fi
echo "unit: $pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
