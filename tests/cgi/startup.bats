#!/usr/bin/env bats
# What a program is and maps when it starts (docs/BENCHMARKS.md, "Plain CGI
# start"): built with full RELRO, BIND_NOW, PIE, a stack protector and
# FORTIFY; recording only libc and json-c (libcrypto, libpq, libcurl, libfcgi,
# libcrypt, libzxcvbn and liboath are loaded by the first call that needs
# them: common/lazy.h); and, per request, what the loader really maps
# (LD_DEBUG=files, glibc's loader trace).

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
	loaded_order | sort -u
}
# loaded_order: the same, in the order the loader mapped them.
loaded_order() {
	cat "$BATS_TEST_TMPDIR"/ld.* | sed -n 's/^ *[0-9]*:[[:space:]]*file=\([^ ]*\) .*needed by.*/\1/p
	    s/^ *[0-9]*:[[:space:]]*file=\([^ ]*\) .*dynamically loaded by.*/\1/p' | awk '!seen[$0]++'
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
	[[ $n -ge 18 ]] || _fail "expected 14 programs and 4 tools at least, found $n"
}

@test "programs record libc and json-c only, tools libc only" {
	local f lib
	for f in "$CGI_DIR"/*.cgi "$BIN_DIR"/medicalcare-*; do
		while read -r lib; do
			case $lib in
			libc.so.6) ;;
			libjson-c.so.5) [[ $f == *.cgi ]] || _fail "${f##*/} records $lib" ;;
			# The sanitizer build's runtime.
			libasan.so.* | libubsan.so.* | libm.so.6 | libstdc++.so.* | libgcc_s.so.*) ;;
			*) _fail "${f##*/} records $lib" ;;
			esac
		done < <(needed "$f")
	done
}

LAZY_LIBS=(libcrypto.so.3 libpq.so.5 libcurl.so.4 libfcgi.so.0 libcrypt.so.1 libzxcvbn.so.0 liboath.so.0)

@test "a 401 without a token, a 422, OPTIONS and openapi.json map none of the libraries loaded on use" {
	cgi GET profile.cgi $(trace)
	assert_status 401
	refute_loaded "${LAZY_LIBS[@]}" libgssapi_krb5.so.2 libldap-2.5.so.0 libgnutls.so.30
	assert_loaded libc.so.6 libjson-c.so.5

	cgi POST signup.cgi '{}' $(trace)
	assert_status 422
	refute_loaded "${LAZY_LIBS[@]}"

	cgi OPTIONS login.cgi $(trace)
	assert_status 204
	refute_loaded "${LAZY_LIBS[@]}"

	cgi GET openapi.cgi $(trace)
	# The sanitizer build's programs (build/san/cgi-bin) have no docs/ beside them.
	if [[ -f $CGI_DIR/../docs/openapi.json ]]; then
		assert_status 200
	else
		assert_status 500
	fi
	refute_loaded "${LAZY_LIBS[@]}"
}

@test "each library is loaded by the request that needs it: libcrypto before libpq, libcurl by the mail sender" {
	cgi GET health.cgi $(trace)
	assert_status 200
	assert_loaded libcrypto.so.3 libpq.so.5
	refute_loaded libcurl.so.4 libzxcvbn.so.0 libfcgi.so.0 liboath.so.0
	# libcrypto is loaded (and started without openssl.cnf) before libpq.
	[[ $(loaded_order | grep -nxF libcrypto.so.3 | cut -d: -f1) -lt \
	    $(loaded_order | grep -nxF libpq.so.5 | cut -d: -f1) ]] ||
	    _fail "libpq was loaded before libcrypto: $(loaded_order | tr '\n' ' ')"

	cgi POST signup.cgi '{"full_name":"Ann Smith","email":"ann@example.test","password":"StrongPass123"}' $(trace)
	assert_status 201
	assert_loaded libcrypto.so.3 libpq.so.5 libzxcvbn.so.0 libcurl.so.4
	refute_loaded libfcgi.so.0 liboath.so.0
	mail_wait ann@example.test
	[[ $(mail_count ann@example.test) == 1 ]]
}

@test "OpenSSL reads the configuration OPENSSL_CONF names, and only then" {
	local token conf=$BATS_TEST_TMPDIR/null-provider.cnf
	# A configuration that leaves only the null provider: no algorithm at all.
	printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'providers = provider_sect' \
	    '[provider_sect]' 'null = null_sect' '[null_sect]' 'activate = 1' >"$conf"
	token=$(make_jwt '{"sub":"1","email":"ann@example.test","iat":1,"exp":4102444800}' \
	    other-key-0123456789abcdef0123456789abcdef)
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $token"
	assert_status 401
	cgi GET profile.cgi HTTP_AUTHORIZATION="Bearer $token" OPENSSL_CONF="$conf"
	assert_status 500
	[[ $cgi_stderr == *"could not compute hmac-sha256"* ]] || _fail "stderr: $cgi_stderr"
}

@test "started by a FastCGI process manager, a program loads libfcgi and serves requests" {
	local sock=$BATS_TEST_TMPDIR/profile.sock out pid
	command -v spawn-fcgi >/dev/null && command -v cgi-fcgi >/dev/null ||
	    skip "spawn-fcgi and cgi-fcgi (./setup.sh installs them) are not installed"
	out=$(env -i PATH=/usr/bin:/bin "MEDICALCARE_ENV_FILE=$MEDICALCARE_ENV_FILE" \
	    LD_DEBUG=files "LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld" \
	    spawn-fcgi -s "$sock" -- "$CGI_DIR/profile.cgi" 2>&1)
	pid=$(sed -n 's/.*PID: \([0-9]*\).*/\1/p' <<<"$out")
	[[ -n $pid ]] || _fail "spawn-fcgi: $out"
	for _ in 1 2; do
		out=$(env -i REQUEST_METHOD=GET REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$sock")
		[[ $out == "Status: 401 Unauthorized"* ]] || { kill "$pid"; _fail "answer: $out"; }
	done
	kill "$pid"
	assert_loaded libfcgi.so.0
	refute_loaded libcrypto.so.3 libpq.so.5
}
