#!/usr/bin/env bats
# What a program is and maps when it starts (docs/BENCHMARKS.md, "Plain CGI
# start"): built with full RELRO, BIND_NOW, PIE, a stack protector and
# FORTIFY; recording only small libraries (never libpq or libcurl, which are
# loaded by the first call that needs them: common/lazy.h); and, per request,
# what the loader really maps (LD_DEBUG=files, glibc's loader trace).

load helpers

# needed FILE prints the libraries FILE records (DT_NEEDED), one a line, sorted.
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort
}

# loaded: the libraries the loader mapped in the last cgi run started with
# $(trace), and in any process it started (the mail sender), one a line.
trace() {
	rm -f "$BATS_TEST_TMPDIR"/ld.*
	printf '%s\n' LD_DEBUG=files "LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld"
}
loaded() {
	cat "$BATS_TEST_TMPDIR"/ld.* | sed -n 's/^ *[0-9]*:[[:space:]]*file=\([^ ]*\) .*/\1/p' | sort -u
}

# assert_loaded LIB... / refute_loaded LIB...: LIB was (was not) mapped.
assert_loaded() {
	local lib
	for lib in "$@"; do
		loaded | grep -qxF "$lib" || _fail "$lib was not loaded; loaded: $(loaded | tr '\n' ' ')"
	done
}
refute_loaded() {
	local lib
	for lib in "$@"; do
		! loaded | grep -qxF "$lib" || _fail "$lib was loaded"
	done
}

@test "every program and tool has full RELRO, BIND_NOW, PIE, a stack protector and FORTIFY" {
	local f n=0
	for f in "$CGI_DIR"/*.cgi "$BIN_DIR"/medicalcare-*; do
		readelf -d "$f" | grep -qE '\(FLAGS\)[[:space:]]+BIND_NOW' || _fail "$f: no BIND_NOW"
		readelf -d "$f" | grep -qE '\(FLAGS_1\)[[:space:]]+Flags: NOW PIE' ||
		    _fail "$f: FLAGS_1 is not NOW PIE"
		readelf -lW "$f" | grep -q GNU_RELRO || _fail "$f: no GNU_RELRO segment"
		readelf -hW "$f" | grep -qE 'Type:[[:space:]]+DYN' || _fail "$f: not position-independent"
		readelf -sW --dyn-syms "$f" | grep -q ' __stack_chk_fail' || _fail "$f: no stack protector"
		readelf -sW --dyn-syms "$f" | grep -qE ' __[a-z]+_chk(@|$)' || _fail "$f: no FORTIFY call"
		n=$((n + 1))
	done
	[[ $n -ge 12 ]] || _fail "expected 9 programs and 3 tools at least, found $n"
}

@test "no program records libpq or libcurl: only the small libraries it calls" {
	local f lib
	for f in "$CGI_DIR"/*.cgi "$BIN_DIR"/medicalcare-*; do
		while read -r lib; do
			case $lib in
			libc.so.6 | libjson-c.so.5 | libcrypto.so.3 | libfcgi.so.0 | libargon2.so.1 | \
			    libcrypt.so.1 | libzxcvbn.so.0) ;;
			# The sanitizer build's runtime.
			libasan.so.* | libubsan.so.* | libm.so.6 | libstdc++.so.* | libgcc_s.so.*) ;;
			*) _fail "${f##*/} records $lib" ;;
			esac
		done < <(needed "$f")
	done
	# And only those it calls (--as-needed): no password hashing in these.
	! needed "$CGI_DIR/openapi.cgi" | grep -qx 'libargon2.so.1' || _fail "openapi.cgi records libargon2"
	! needed "$BIN_DIR/medicalcare-prune" | grep -qx 'libargon2.so.1' || _fail "prune records libargon2"
}

@test "a 401 without a token, a 422 and openapi.json map neither libpq nor libcurl" {
	cgi GET profile.cgi $(trace)
	assert_status 401
	refute_loaded libpq.so.5 libcurl.so.4 libgssapi_krb5.so.2 libldap-2.5.so.0 libgnutls.so.30
	assert_loaded libc.so.6 libjson-c.so.5

	cgi POST signup.cgi '{}' $(trace)
	assert_status 422
	refute_loaded libpq.so.5 libcurl.so.4

	cgi GET openapi.cgi $(trace)
	assert_status 200
	refute_loaded libpq.so.5 libcurl.so.4
}

@test "the first connection loads libpq, and only the mail sender loads libcurl" {
	cgi GET health.cgi $(trace)
	assert_status 200
	assert_loaded libpq.so.5
	refute_loaded libcurl.so.4

	cgi POST signup.cgi '{"full_name":"Ann Smith","email":"ann@example.test","password":"StrongPass123"}' $(trace)
	assert_status 201
	assert_loaded libpq.so.5 libcurl.so.4
	mail_wait ann@example.test
	[[ $(mail_count ann@example.test) == 1 ]]
}
