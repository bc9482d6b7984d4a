#!/usr/bin/env bash
# Runs the libFuzzer harnesses (build/fuzz/fuzz_<name>, from fuzz/fuzz_<name>.c;
# build them first with `make fuzz-build`), each for FUZZ_SECONDS, FUZZ_JOBS at
# a time, and prints one line per harness and then "fuzz: N passed, N failed".
#
#   fuzz/run.sh [NAME...]      all harnesses, or those named (request, jwt, ...)
#
# Each run starts from the committed seeds (fuzz/corpus/<name>/, which are all
# run first: a regression run) and from what earlier runs found
# (build/fuzz/corpus-<name>/, where new inputs go; never the repository), with
# the dictionary fuzz/<name>.dict when there is one. A harness passes when
# libFuzzer finds no crash, leak (LeakSanitizer), undefined behaviour (UBSan),
# broken property, timeout (-timeout=10 s per input) or memory blow-up in its
# time. A failing input is saved as build/fuzz/artifacts/<name>-crash-<sha1>
# (reproduce: build/fuzz/fuzz_<name> that-file); the log stays in
# build/fuzz/logs/<name>.log.
#
# Environment: FUZZ_SECONDS (default 10), FUZZ_JOBS (default 2), FUZZ_MAX_LEN
# (default 8192 bytes per input).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

secs=${FUZZ_SECONDS:-10}
jobs=${FUZZ_JOBS:-2}
max_len=${FUZZ_MAX_LEN:-8192}
out=build/fuzz

if [[ $# -gt 0 ]]; then
	names=("$@")
else
	names=()
	for f in fuzz/fuzz_*.c; do
		f=${f#fuzz/fuzz_}
		names+=("${f%.c}")
	done
fi
if [[ ${#names[@]} -eq 0 ]]; then
	echo "fuzz: no harness in fuzz/"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
mkdir -p "$out/logs" "$out/artifacts" || exit 2

# The dictionary of a harness: its own, or the one it shares.
dict_of() {
	local name=$1
	case $name in
	conf) name=envfile ;;
	esac
	if [[ -f fuzz/$name.dict ]]; then
		printf '%s\n' "-dict=fuzz/$name.dict"
	fi
}

# Runs one harness; its exit status is the result. Writes the log.
run_one() {
	local name=$1 exe=$out/fuzz_$1 log=$out/logs/$1.log
	local -a args
	if [[ ! -x $exe ]]; then
		echo "$exe is not built (make fuzz-build)" >"$log"
		return 1
	fi
	mkdir -p "$out/corpus-$name"
	mapfile -t args < <(dict_of "$name")
	args+=(-max_total_time="$secs" -timeout=10 -max_len="$max_len" -print_final_stats=1
	    -artifact_prefix="$out/artifacts/$name-" "$out/corpus-$name")
	if [[ -d fuzz/corpus/$name ]]; then
		args+=("fuzz/corpus/$name")
	fi
	# The outer timeout only catches a harness that hangs outside libFuzzer's watch.
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    timeout -k 10 $((secs + 120)) "$exe" "${args[@]}" >"$log" 2>&1
}

# One line for a finished harness, from its log.
report() { # NAME RC SECONDS
	local name=$1 rc=$2 t=$3 log=$out/logs/$1.log runs cov f
	runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
	if [[ $rc -eq 0 ]]; then
		printf 'fuzz %-9s ok: %s runs, coverage %s (%d s)\n' "$name" "${runs:-?}" "${cov:-?}" "$t"
	else
		printf 'fuzz %-9s FAILED (exit %d, %d s); log %s:\n' "$name" "$rc" "$t" "$log"
		grep -E -A12 '==ERROR|runtime error|property failed|ERROR: libFuzzer|SUMMARY|not built' "$log" |
		    head -n 40 | sed 's/^/    /'
		for f in "$out/artifacts/$name-"*; do
			[[ -e $f ]] && printf '    saved: %s\n' "$f"
		done
	fi
}

pass=0 fail=0
declare -A pid_name=() pid_start=()
running=0
finish_one() {
	local pid rc=0
	wait -n -p pid || rc=$?
	report "${pid_name[$pid]}" "$rc" $(($(date +%s) - ${pid_start[$pid]}))
	if [[ $rc -eq 0 ]]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
	unset "pid_name[$pid]" "pid_start[$pid]"
	running=$((running - 1))
}

for name in "${names[@]}"; do
	while [[ $running -ge $jobs ]]; do
		finish_one
	done
	run_one "$name" &
	pid_name[$!]=$name
	pid_start[$!]=$(date +%s)
	running=$((running + 1))
done
while [[ $running -gt 0 ]]; do
	finish_one
done

echo "fuzz: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
