#!/bin/bash
# Interoperability of our HS256 tokens with a standard JWT library (PyJWT):
# tokens PyJWT makes verify with jwt_verify(), tokens jwt_sign() makes verify
# with PyJWT, and our header is exactly {"alg":"HS256","typ":"JWT"}.
#
# Needs /usr/bin/python3 with PyJWT (Debian python3-jwt) and the built library:
#   MC_LIB  the static library to link (default build/rel/libmedicalcare.a,
#           relative to the repository root); a sanitizer build is detected.
# Prints one line per check and "N passed, N failed"; exits 0 only if all pass.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
MC_LIB=${MC_LIB:-build/rel/libmedicalcare.a}
PY=/usr/bin/python3

if ! "$PY" -c 'import jwt' 2>/dev/null; then
	echo "jwt_interop: $PY cannot import jwt: install python3-jwt (PyJWT)" >&2
	exit 1
fi
if [ ! -f "$MC_LIB" ]; then
	echo "jwt_interop: library $MC_LIB not found: run make lib (or set MC_LIB)" >&2
	exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The C side: "sign SUB EMAIL IAT EXP" prints a token; "verify TOKEN NOW"
# prints "ok SUB EMAIL IAT EXP" or the error and exits 1. The key comes from
# the environment (JWT_TEST_KEY), never from the command line.
cat >"$TMP/driver.c" <<'EOF'
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

static int64_t num(const char *s)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "driver: bad number\n");
		exit(2);
	}
	return (int64_t)v;
}

int main(int argc, char **argv)
{
	const char *key = getenv("JWT_TEST_KEY");

	if (key == NULL)
		return 2;
	if (argc == 6 && strcmp(argv[1], "sign") == 0) {
		struct jwt_claims c;
		char *tok = NULL;
		enum jwt_err e;

		memset(&c, 0, sizeof(c));
		c.sub = num(argv[2]);
		snprintf(c.email, sizeof(c.email), "%s", argv[3]);
		c.iat = num(argv[4]);
		c.exp = num(argv[5]);
		e = jwt_sign(&c, (const unsigned char *)key, strlen(key), &tok);
		if (e != JWT_OK) {
			printf("%s\n", jwt_strerror(e));
			return 1;
		}
		printf("%s\n", tok);
		free(tok);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "verify") == 0) {
		struct jwt_claims c;
		enum jwt_err e;

		e = jwt_verify(argv[2], (const unsigned char *)key, strlen(key),
			       (time_t)num(argv[3]), &c);
		if (e != JWT_OK) {
			printf("%s\n", jwt_strerror(e));
			return 1;
		}
		printf("ok %" PRId64 " %s %" PRId64 " %" PRId64 "\n", c.sub, c.email, c.iat,
		       c.exp);
		return 0;
	}
	fprintf(stderr, "usage: driver sign SUB EMAIL IAT EXP | verify TOKEN NOW\n");
	return 2;
}
EOF

SANFLAGS=""
if nm "$MC_LIB" 2>/dev/null | grep -q '__asan_'; then
	SANFLAGS="-fsanitize=address,undefined"
fi
PKGS="libpq json-c libcrypto libcurl libargon2 libxcrypt"
# shellcheck disable=SC2046,SC2086
if ! cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror $SANFLAGS -Icommon \
	$(pkg-config --cflags $PKGS) -o "$TMP/driver" "$TMP/driver.c" "$MC_LIB" \
	$(pkg-config --libs $PKGS) -lzxcvbn -lm; then
	echo "jwt_interop: could not build the driver against $MC_LIB" >&2
	exit 1
fi
DRIVER=$TMP/driver

export JWT_TEST_KEY="interop-test-key-0123456789abcdef0123456789abcdef"
NOW=$(date +%s)
EXP=$((NOW + 3600))
EMAIL="patient.one@example.com"

passed=0
failed=0
check() {
	# check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
		passed=$((passed + 1))
	else
		echo "not ok - $1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
		failed=$((failed + 1))
	fi
}

# PyJWT encodes; jwt.encode returns str in PyJWT 2.
pyjwt() {
	# pyjwt ALG KEY: reads the claims as JSON on stdin, prints the token
	"$PY" -c '
import json, sys, jwt
alg, key = sys.argv[1], sys.argv[2]
claims = json.load(sys.stdin)
print(jwt.encode(claims, None if alg == "none" else key, algorithm=alg))
' "$1" "$2"
}

CLAIMS="{\"sub\": \"42\", \"email\": \"$EMAIL\", \"iat\": $NOW, \"exp\": $EXP}"

echo "# PyJWT $("$PY" -c 'import jwt; print(jwt.__version__)'), library $MC_LIB"

# 1. A PyJWT token verifies with jwt_verify and gives back its claims.
tok=$(printf '%s' "$CLAIMS" | pyjwt HS256 "$JWT_TEST_KEY")
check "pyjwt hs256 token verifies with jwt_verify" \
	"ok 42 $EMAIL $NOW $EXP" "$("$DRIVER" verify "$tok" "$NOW")"

# 2. The same token under another key is refused (the driver can say no).
check "pyjwt token under another key is refused" \
	"bad signature" "$(JWT_TEST_KEY="another-key-0123456789abcdef0123456789abcdef" \
		"$DRIVER" verify "$tok" "$NOW")"

# 3. PyJWT tokens with other algorithms are refused on the algorithm.
tok=$(printf '%s' "$CLAIMS" | pyjwt HS512 "$JWT_TEST_KEY")
check "pyjwt hs512 token is refused" "unsupported algorithm" "$("$DRIVER" verify "$tok" "$NOW")"
tok=$(printf '%s' "$CLAIMS" | pyjwt none "")
check "pyjwt alg none token is refused" "unsupported algorithm" \
	"$("$DRIVER" verify "$tok" "$NOW")"

# 4. An expired PyJWT token is refused as expired.
tok=$(printf '%s' "{\"sub\": \"42\", \"iat\": $((NOW - 7200)), \"exp\": $((NOW - 3600))}" |
	pyjwt HS256 "$JWT_TEST_KEY")
check "expired pyjwt token is refused" "token expired" "$("$DRIVER" verify "$tok" "$NOW")"

# 5. A jwt_sign token verifies with PyJWT, pinned to HS256, with our claims.
ours=$("$DRIVER" sign 42 "$EMAIL" "$NOW" "$EXP")
check "jwt_sign token verifies with pyjwt" \
	"{\"sub\": \"42\", \"email\": \"$EMAIL\", \"iat\": $NOW, \"exp\": $EXP}" \
	"$("$PY" -c '
import json, sys, jwt
try:
    claims = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
    print(json.dumps(claims))
except Exception as e:
    print("pyjwt refused: %s" % type(e).__name__)
' "$ours" "$JWT_TEST_KEY")"

# 6. PyJWT refuses our token under another key (PyJWT really checks).
check "pyjwt refuses jwt_sign token under another key" "InvalidSignatureError" \
	"$("$PY" -c '
import sys, jwt
try:
    jwt.decode(sys.argv[1], "another-key-0123456789abcdef0123456789abcdef", algorithms=["HS256"])
    print("accepted")
except Exception as e:
    print(type(e).__name__)
' "$ours")"

# 7. Our header is byte for byte {"alg":"HS256","typ":"JWT"}.
check "jwt_sign header is exactly {\"alg\":\"HS256\",\"typ\":\"JWT\"}" \
	'{"alg":"HS256","typ":"JWT"}' \
	"$("$PY" -c '
import base64, sys
h = sys.argv[1].split(".")[0]
print(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)).decode())
' "$ours")"

# 8. And PyJWT reads the same header.
check "pyjwt reads the jwt_sign header" "{'alg': 'HS256', 'typ': 'JWT'}" \
	"$("$PY" -c 'import sys, jwt; print(jwt.get_unverified_header(sys.argv[1]))' "$ours")"

echo "jwt_interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
