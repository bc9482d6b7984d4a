#!/usr/bin/env bash
# The whole test suite, in phases:
#   1. release build (make -j2 all unit)
#   2. unit tests of the release build (tests/run-unit.sh build/rel/tests)
#   3. CGI tests (bats tests/cgi) against a private PostgreSQL and an SMTP sink
#   4. HTTP tests (bats tests/http): the release programs behind a private
#      Apache (tests/lib/apache.sh) on a free port, same PostgreSQL and sink,
#      twice: every file with the programs as FastCGI processes (the default
#      way to serve them: apache/fcgi.sh, mod_proxy_fcgi; lighttpd with
#      mod_fastcgi), then the main suites again with plain CGI (mod_cgi);
#      then the Debian package (bats tests/deb: make deb's package installed
#      with dpkg, served by the system's Apache on a free port, upgraded,
#      removed and purged; as root only, a few minutes)
#   5. sanitizer build (make -j2 SAN=1 all unit), its unit tests and the CGI
#      tests again (but valgrind.bats and pgbouncer.bats), under ASan + LSan + UBSan
#   6. fuzzing: the libFuzzer harnesses (make fuzz-build, clang, into
#      build/fuzz/), each run from its seed corpus for a bounded time, two at a
#      time (fuzz/run.sh); each harness counts as one test
# then one line "N passed, N failed" (every test of every phase; a build that
# fails counts as one failed test, a build that works as none) and exit
# status 1 if anything failed.
#
# First checks that the machine has what the phases need (tests/preflight.sh)
# and stops at once, exit status 2, naming what is missing and ./setup.sh.
# Starts and stops its own servers (also on failure and Ctrl-C); works from
# any directory. Logs of a failed run stay in tests/tmp/run.XXXXXX (two hours).
#
# Environment:
#   RUN_SAN=0     skip phase 5 (quick local runs; the default runs it)
#   RUN_FUZZ=0    skip phase 6 (the default runs it)
#   MC_LONG=1     long variants: phase 6 fuzzes each harness 120 s, not 10
#   CGI_TESTS     the bats files to run (default: tests/cgi)
#   CGI_JOBS      how many CGI files run at once (default 2; 1: one at a
#                 time), but those about timing, concurrency and the
#                 database going away, which run alone
#   HTTP_TESTS    the bats files of phase 4's FastCGI pass (default: tests/http);
#                 "none" skips it
#   HTTP_CGI_TESTS  the bats files of its CGI pass (default: HTTP_TESTS when
#                 set, else the suites about what the web server passes on:
#                 smoke, contract, hostile, concurrency, load, exposure,
#                 htaccess, lighttpd, faults, deploy); "none" skips that pass
#   DEB_TESTS     the bats files of the package test (default: tests/deb);
#                 "none" skips it
#   BATS_FILTER   passed to bats --filter (a regex on test names)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
# First what the phases need (commands, PostgreSQL, npm packages): without
# it, stop now with what to run (./setup.sh) rather than fail for minutes.
tests/preflight.sh || exit 2
# shellcheck source=tests/lib/pg.sh
source tests/lib/pg.sh
# shellcheck source=tests/lib/apache.sh
source tests/lib/apache.sh

run_san=${RUN_SAN:-1}
run_fuzz=${RUN_FUZZ:-1}
jobs=${MAKE_JOBS:-2}
started=$(date +%s)

mkdir -p tests/tmp
# Logs of failed runs are kept for two hours.
find tests/tmp -mindepth 1 -maxdepth 1 -name 'run.*' -type d -mmin +120 -exec rm -rf -- {} + 2>/dev/null
run_dir=$(mktemp -d "$root/tests/tmp/run.XXXXXX") || exit 2
export MC_KEEP_LOGS_DIR=$run_dir

total_pass=0 total_fail=0 total_skip=0
summary=()

# Runs a command in a process group of its own and waits for it in a way a
# signal interrupts, so the traps below act at once and can stop it all.
# With LOG: its output also goes to LOG (as with tee). Returns its status.
child=""
fg_run() { # LOG|+LOG|- command... (+LOG: appended to)
	local log=$1 rc=0
	shift
	if [[ $log == - ]]; then
		setsid "$@" </dev/null &
	elif [[ $log == +* ]]; then
		setsid bash -c '"${@:2}" 2>&1 | tee -a "$1"; exit "${PIPESTATUS[0]}"' fg_run "${log#+}" "$@" </dev/null &
	else
		setsid bash -c '"${@:2}" 2>&1 | tee "$1"; exit "${PIPESTATUS[0]}"' fg_run "$log" "$@" </dev/null &
	fi
	child=$!
	wait "$child" || rc=$?
	child=""
	return "$rc"
}

cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	if [[ -n $child ]]; then
		kill -TERM -- -"$child" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 -- -"$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- -"$child" 2>/dev/null
	fi
	apache_stop
	sink_stop
	pg_stop
	if [[ $total_fail -eq 0 && $rc -eq 0 ]]; then
		rm -rf -- "$run_dir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

phase() {
	printf '\n==== %s ====\n' "$*"
}

# note NAME PASSED FAILED SKIPPED: one line of the summary, with the seconds
# since the previous note.
last_note=$started
note() {
	local now
	now=$(date +%s)
	total_pass=$((total_pass + $2)) total_fail=$((total_fail + $3)) total_skip=$((total_skip + $4))
	summary+=("$(printf '%-16s %4d passed, %d failed, %d skipped  (%d s)' "$1" "$2" "$3" "$4" $((now - last_note)))")
	last_note=$now
}

build() { # NAME make-args...
	local name=$1 log=$run_dir/$1.log
	shift
	if fg_run - make -j"$jobs" -k "$@" all unit >"$log" 2>&1; then
		echo "build ok"
		note "$name" 0 0 0
		return 0
	fi
	echo "BUILD FAILED: make $* all unit; the errors:"
	grep -E -B3 -A3 ': (fatal )?error:|undefined reference|multiple definition|\*\*\* ' "$log" |
	    grep -v -E '^(cc|gcc|clang) ' | head -n 60
	note "$name" 0 1 0
	return 1
}

unit() { # NAME DIR [VAR=value...]
	local name=$1 dir=$2 log=$run_dir/$1.log line p f s
	shift 2
	fg_run "$log" env "$@" tests/run-unit.sh "$dir"
	line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [[ $line =~ ^unit:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
	else
		echo "tests/run-unit.sh printed no summary"
		p=0 f=1 s=0
	fi
	note "$name" "$p" "$f" "$s"
}

servers_up=0
servers() {
	[[ $servers_up -eq 1 ]] && return 0
	echo "starting a private PostgreSQL and the SMTP sink"
	if ! pg_start; then
		echo "could not start PostgreSQL"
		return 1
	fi
	if ! sink_start "$run_dir/mail"; then
		echo "could not start the SMTP sink"
		return 1
	fi
	echo "postgres on 127.0.0.1:$MC_PG_PORT, smtp sink on 127.0.0.1:$MC_SMTP_PORT"
	export MC_TEST_HARNESS=1
	servers_up=1
}

# The CGI files that run alone (see cgi_tests), and those of the others that
# start first, being the longest (so that the two lanes end together).
CGI_SERIAL='fastcgi|races|pgbouncer|faults|startup'
CGI_FIRST='valgrind|fcgi-soak'

cgi_tests() { # NAME CGI_DIR BIN_DIR [VAR=value...]
	local name=$1 cgi_dir=$2 bin_dir=$3 log=$run_dir/$1.log rc=0 p f s
	local -a files filter=()
	shift 3
	read -r -a files <<<"${CGI_TESTS:-tests/cgi}"
	if [[ -n ${BATS_FILTER:-} ]]; then
		filter=(--filter "$BATS_FILTER")
	fi
	if ! compgen -G 'tests/cgi/*.bats' >/dev/null; then
		echo "no tests/cgi/*.bats"
		note "$name" 0 0 0
		return 0
	fi
	if ! servers; then
		note "$name" 0 1 0
		return 1
	fi
	# The files whose subject is timing, concurrency or the database going
	# away run one at a time, on the shared PostgreSQL and sink; the others
	# two at a time (bats --jobs, GNU parallel), each file with a PostgreSQL
	# and sink of its own (mc_setup_file): their programs mostly wait on the
	# database and the mail, so two share 2 cores well (valgrind's long file
	# first, beside all the others). CGI_JOBS=1 runs them one at a time.
	local -a serial=() parallel=() later=()
	for f in $(for f in "${files[@]}"; do
		if [[ -d $f ]]; then printf '%s\n' "$f"/*.bats; else printf '%s\n' "$f"; fi
	done); do
		if [[ ${CGI_JOBS:-2} -le 1 || $f =~ /($CGI_SERIAL)\.bats$ ]]; then
			serial+=("$f")
		elif [[ $f =~ /($CGI_FIRST)\.bats$ ]]; then
			parallel+=("$f")
		else
			later+=("$f")
		fi
	done
	parallel+=("${later[@]}")
	: >"$log"
	if ((${#serial[@]} > 0)); then
		fg_run "+$log" env CGI_DIR="$root/$cgi_dir" BIN_DIR="$root/$bin_dir" "$@" \
		    bats --tap --timing "${filter[@]}" "${serial[@]}" || rc=$?
	fi
	if ((${#parallel[@]} > 0)); then
		fg_run "+$log" env -u MC_TEST_HARNESS -u MC_PG_DIR CGI_DIR="$root/$cgi_dir" \
		    BIN_DIR="$root/$bin_dir" "$@" bats --tap --timing --jobs "${CGI_JOBS:-2}" \
		    --no-parallelize-within-files "${filter[@]}" "${parallel[@]}" || rc=$?
	fi
	read -r p f s _ < <(awk '
		/^ok / { if ($0 ~ / # skip/) s++; else p++; next }
		/^not ok / { f++; next }
		END { printf "%d %d %d %d\n", p, f, s, p + f + s }' "$log")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "bats exited with status $rc and no failed test"
		f=1
	fi
	note "$name" "$p" "$f" "$s"
}

# The release programs behind a private Apache, with the same PostgreSQL
# and SMTP sink; tests/http/helpers.bash fills the env file it reads.
# MODE: fastcgi or cgi (MC_SERVE_MODE, for Apache and lighttpd alike).
http_tests() { # NAME MODE FILES...
	local name=$1 mode=$2 log=$run_dir/$1.log rc=0 p f s
	local -a files=("${@:3}") filter=()
	if [[ -n ${BATS_FILTER:-} ]]; then
		filter=(--filter "$BATS_FILTER")
	fi
	if ! compgen -G 'tests/http/*.bats' >/dev/null; then
		echo "no tests/http/*.bats"
		note "$name" 0 0 0
		return 0
	fi
	if ! servers; then
		note "$name" 0 1 0
		return 1
	fi
	if ! MC_SERVE_MODE=$mode apache_start; then
		echo "could not start Apache"
		note "$name" 0 1 0
		return 1
	fi
	echo "apache on $MC_HTTP_URL ($mode)"
	fg_run "$log" env CGI_DIR="$root/cgi-bin" BIN_DIR="$root/bin" MC_SERVE_MODE="$mode" \
	    bats --tap --timing "${filter[@]}" "${files[@]}" || rc=$?
	apache_stop
	read -r p f s < <(awk '
		/^ok / { if ($0 ~ / # skip/) s++; else p++; next }
		/^not ok / { f++; next }
		END { printf "%d %d %d\n", p, f, s }' "$log")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "bats exited with status $rc and no failed test"
		f=1
	fi
	note "$name" "$p" "$f" "$s"
}

phase "1/6 release build"
build build-release

phase "2/6 unit tests (release)"
unit unit-release build/rel/tests

phase "3/6 CGI tests (release)"
# Every CGI file; but when the sanitizer phase runs, fcgi-soak.bats runs
# there only (the same 510 requests with LeakSanitizer checking each process
# at its exit; the release processes get valgrind's soak in valgrind.bats and
# 20,000 requests through Apache in tests/http/soak.bats). CGI_TESTS, when
# set, is run as given.
if [[ -z ${CGI_TESTS:-} && $run_san != 0 ]]; then
	CGI_TESTS=$(printf '%s\n' tests/cgi/*.bats | grep -v -E '/fcgi-soak\.bats$' | tr '\n' ' ') \
	    cgi_tests cgi-release cgi-bin bin
else
	cgi_tests cgi-release cgi-bin bin
fi

phase "4/6 HTTP tests (release, Apache and lighttpd, FastCGI)"
if [[ ${HTTP_TESTS:-} != none ]]; then
	read -r -a http_files <<<"${HTTP_TESTS:-tests/http}"
	http_tests http-fastcgi fastcgi "${http_files[@]}"
fi
# The CGI pass: the suites about what the web server passes on, again with
# one process per request (the other files test the programs, which are the
# same in both modes).
http_cgi_files=${HTTP_CGI_TESTS:-${HTTP_TESTS:-}}
if [[ -z $http_cgi_files ]]; then
	for f in smoke contract hostile concurrency load exposure htaccess lighttpd faults deploy; do
		[[ -f tests/http/$f.bats ]] && http_cgi_files+=" tests/http/$f.bats"
	done
fi
if [[ $http_cgi_files != none ]]; then
	phase "4/6 HTTP tests (release, Apache and lighttpd, CGI)"
	read -r -a http_files <<<"$http_cgi_files"
	http_tests http-cgi cgi "${http_files[@]}"
fi

# The Debian package, installed on this machine (tests/deb/package.bats: it
# skips itself when not root), with the same PostgreSQL and SMTP sink.
deb_tests() { # NAME FILES...
	local name=$1 log=$run_dir/$1.log rc=0 p f s
	local -a files=("${@:2}") filter=()
	if [[ -n ${BATS_FILTER:-} ]]; then
		filter=(--filter "$BATS_FILTER")
	fi
	if ! servers; then
		note "$name" 0 1 0
		return 1
	fi
	fg_run "$log" bats --tap --timing "${filter[@]}" "${files[@]}" || rc=$?
	read -r p f s < <(awk '
		/^ok / { if ($0 ~ / # skip/) s++; else p++; next }
		/^not ok / { f++; next }
		END { printf "%d %d %d\n", p, f, s }' "$log")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "bats exited with status $rc and no failed test"
		f=1
	fi
	note "$name" "$p" "$f" "$s"
}
deb_files=${DEB_TESTS:-tests/deb}
if [[ $deb_files != none ]]; then
	phase "4/6 the Debian package (make deb, dpkg, the system's Apache)"
	read -r -a files <<<"$deb_files"
	deb_tests deb "${files[@]}"
fi

if [[ $run_san != 0 ]]; then
	san_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
	# Known leaks of system libraries, if any, are listed there (one
	# "leak:<function or library>" a line).
	if [[ -f tests/lsan.supp ]]; then
		san_env+=("LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0")
	fi
	phase "5/6 sanitizer build, unit and CGI tests (ASan, LSan, UBSan)"
	build build-san SAN=1
	unit unit-san build/san/tests "${san_env[@]}"
	# Every CGI file again, but for two whose subject is around the programs
	# rather than in them: valgrind.bats (valgrind cannot run ASan programs)
	# and pgbouncer.bats (the same requests as the other files, through a
	# pooler). CGI_TESTS, when set, is run as given.
	san_files=${CGI_TESTS:-$(printf '%s\n' tests/cgi/*.bats |
	    grep -v -E '/(valgrind|pgbouncer)\.bats$' | tr '\n' ' ')}
	CGI_TESTS=$san_files cgi_tests cgi-san build/san/cgi-bin build/san/bin "${san_env[@]}"
else
	phase "5/6 sanitizer phase skipped (RUN_SAN=0)"
fi

# The harnesses build with clang into build/fuzz (make fuzz-build); a failed
# build counts as one failed test, each harness as one test.
fuzz_tests() { # NAME
	local name=$1 log=$run_dir/$1.log secs=6 line
	if [[ ${MC_LONG:-0} == 1 ]]; then
		secs=120
	fi
	if ! fg_run - make -j"$jobs" -k fuzz-build >"$run_dir/build-fuzz.log" 2>&1; then
		echo "BUILD FAILED: make fuzz-build; the errors:"
		grep -E -B3 -A3 ': (fatal )?error:|undefined reference|\*\*\* ' "$run_dir/build-fuzz.log" |
		    grep -v -E '^(cc|gcc|clang) ' | head -n 60
		note "$name" 0 1 0
		return 1
	fi
	fg_run "$log" env FUZZ_SECONDS="$secs" FUZZ_JOBS="$jobs" fuzz/run.sh
	line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [[ $line =~ ^fuzz:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		note "$name" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" 0
	else
		echo "fuzz/run.sh printed no summary"
		note "$name" 0 1 0
	fi
}

if [[ $run_fuzz != 0 ]]; then
	phase "6/6 fuzzing (libFuzzer, ASan, UBSan)"
	fuzz_tests fuzz
else
	phase "6/6 fuzzing skipped (RUN_FUZZ=0)"
fi

phase "summary ($(($(date +%s) - started)) s)"
printf '%s\n' "${summary[@]}"
echo "skipped: $total_skip"
if [[ $total_fail -ne 0 ]]; then
	echo "logs: ${run_dir#"$root"/}"
fi
echo "$total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
