#!/usr/bin/env bash
# Checks, in about a tenth of a second, that this machine has what the test
# command (tests/run.sh, `make test`) needs, before any of it runs: the
# commands, the PostgreSQL server binaries, the Python modules, the C
# libraries of the build, and the npm packages of docs/ and tests/browser/
# that ./setup.sh installs. When something is missing it prints every missing
# thing and what to run (./setup.sh), and exits 2; else it prints nothing
# and exits 0.
#
# Environment (as tests/run.sh reads it): RUN_FUZZ=0 skips the fuzzing
# needs (clang's libFuzzer runtime); HTTP_TESTS=none with HTTP_CGI_TESTS=none
# skips those of the HTTP phase (Apache, lighttpd, Chromium, playwright-core);
# MC_PREFLIGHT_ROOT looks at another checkout (for its own test).
set -euo pipefail

root=${MC_PREFLIGHT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
missing=()

need_cmd() { # COMMAND WHAT
	command -v "$1" >/dev/null 2>&1 || missing+=("command $1 ($2)")
}

need_file() { # PATH WHAT
	[[ -e $1 ]] || missing+=("$2")
}

# The build and the unit tests.
need_cmd make "the build"
need_cmd cc "the build"
need_cmd pkg-config "the build"
need_cmd clang-format "make test's format check"
need_cmd bats "the CGI and HTTP tests"
need_cmd parallel "the CGI tests, two files at once (bats --jobs, GNU parallel)"
need_cmd jq "the tests"
need_cmd curl "the tests"
need_cmd openssl "the tests"
# The tests' Python (tests/lib/common.sh): Debian's, with its modules.
python=${MC_PYTHON:-/usr/bin/python3}
need_file "$python" "Python 3 at $python (python3), for the SMTP sink and JWT tests"
need_cmd argon2 "the password hash tests"
need_cmd valgrind "tests/cgi/valgrind.bats"
need_cmd pgbouncer "tests/cgi/pgbouncer.bats"
need_cmd cgi-fcgi "the FastCGI tests (libfcgi-bin)"
need_cmd spawn-fcgi "the FastCGI processes"
need_cmd multiwatch "the FastCGI processes"
need_cmd pgrep "the FastCGI launcher (procps)"
if command -v pkg-config >/dev/null 2>&1; then
	for pc in libpq json-c libcrypto libcurl libargon2 libxcrypt fcgi liboath cmocka; do
		pkg-config --exists "$pc" 2>/dev/null || missing+=("C library $pc (pkg-config)")
	done
fi
if [[ -x $python ]]; then
	for mod in aiosmtpd jwt bcrypt; do
		"$python" -c "import $mod" 2>/dev/null || missing+=("Python module $mod of $python")
	done
fi
# The private PostgreSQL of the tests (tests/lib/pg.sh): the server's binaries.
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do
	[[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && pg_bin=$d
done
[[ -n $pg_bin ]] || missing+=("PostgreSQL server binaries (initdb, pg_ctl, postgres under /usr/lib/postgresql)")
need_cmd psql "the tests' SQL"
# docs/openapi.json's test and /docs serve Swagger UI from npm.
need_file "$root/docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js" \
    "npm package swagger-ui-dist in docs/node_modules"

if [[ ${HTTP_TESTS:-} != none || ${HTTP_CGI_TESTS:-} != none ]]; then
	need_file /usr/sbin/apache2 "Apache (apache2-bin), the HTTP tests' server"
	need_cmd lighttpd "tests/http/lighttpd.bats"
	need_cmd wrk "tests/http/load.bats"
	need_cmd chromium "tests/http/browser.bats"
	need_cmd node "tests/http/browser.bats"
	need_file "$root/tests/browser/node_modules/playwright-core/package.json" \
	    "npm package playwright-core in tests/browser/node_modules"
	need_file "$root/tests/browser/node_modules/qrcode/package.json" \
	    "npm package qrcode in tests/browser/node_modules"
fi
if [[ ${RUN_FUZZ:-1} != 0 ]]; then
	need_cmd clang "the fuzzing phase"
	fuzzer=""
	for f in /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a; do
		[[ -e $f ]] && fuzzer=$f
	done
	[[ -n $fuzzer ]] || missing+=("clang's libFuzzer runtime (libclang-rt-14-dev)")
fi

if [[ ${#missing[@]} -gt 0 ]]; then
	{
		echo "tests: this machine lacks what the tests need:"
		printf '  - %s\n' "${missing[@]}"
		echo "Run ./setup.sh first (as root or with sudo: it installs the Debian and npm"
		echo "packages), then the tests again."
	} >&2
	exit 2
fi
