/*
 * recovery: recovery codes drawn, normalized and hashed (recovery.h).
 */
#include "recovery.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* RFC 4648's base32 alphabet, lower case. */
static const char recovery_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void recovery_from_bytes(const unsigned char r[RECOVERY_SYMBOLS], char out[RECOVERY_LEN + 1])
{
	size_t o = 0;

	for (size_t i = 0; i < RECOVERY_SYMBOLS; i++) {
		if (i == RECOVERY_SYMBOLS / 2)
			out[o++] = '-';
		out[o++] = recovery_alphabet[r[i] & 0x1f];
	}
	out[o] = '\0';
}

int recovery_new_set(char out[RECOVERY_COUNT][RECOVERY_LEN + 1])
{
	unsigned char r[RECOVERY_SYMBOLS];
	int rc = -1;

	for (size_t i = 0; i < RECOVERY_COUNT; i++) {
		int again;

		do {
			if (token_random(r, sizeof(r)) != 0)
				goto out;
			recovery_from_bytes(r, out[i]);
			again = 0;
			for (size_t j = 0; j < i; j++)
				if (strcmp(out[i], out[j]) == 0)
					again = 1;
		} while (again);
	}
	rc = 0;
out:
	OPENSSL_cleanse(r, sizeof(r));
	if (rc != 0)
		OPENSSL_cleanse(out, sizeof(char[RECOVERY_COUNT][RECOVERY_LEN + 1]));
	return rc;
}

int recovery_normalize(const char *typed, char out[RECOVERY_SYMBOLS + 1])
{
	size_t n = 0;

	if (typed == NULL || strnlen(typed, RECOVERY_TYPED_MAX + 1) > RECOVERY_TYPED_MAX)
		goto bad;
	for (const char *p = typed; *p != '\0'; p++) {
		char ch = *p;

		if (ch == ' ' || ch == '\t' || ch == '-')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) ||
		    n == RECOVERY_SYMBOLS)
			goto bad;
		out[n++] = ch;
	}
	if (n != RECOVERY_SYMBOLS)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	OPENSSL_cleanse(out, RECOVERY_SYMBOLS + 1);
	out[0] = '\0';
	return -1;
}

int recovery_digest(const unsigned char key[32], int64_t user_id, const char *typed,
                    unsigned char out[TOKEN_DIGEST_LEN])
{
	char code[RECOVERY_SYMBOLS + 1];
	char msg[64];
	int n, rc = -1;

	if (recovery_normalize(typed, code) != 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "%" PRId64 ":%s", user_id, code);
	if (n < 0 || (size_t)n >= sizeof(msg))
		goto out;
	if (token_hmac(key, 32, msg, (size_t)n, out) != 0)
		goto out; /* logged */
	rc = 0;
out:
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(msg, sizeof(msg));
	return rc;
}
