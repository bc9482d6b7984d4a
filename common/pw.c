/*
 * pw: Argon2id password hashes as PHC strings, on libargon2; bcrypt hashes
 * of the FastAPI version verified with libxcrypt. Every Argon2 or bcrypt
 * call holds a slot of the hash gate (hashgate.h) while it runs.
 */
#include "pw.h"

#include "hashgate.h"
#include "log.h"
#include "token.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>

#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define PW_PREFIX "$argon2id$"
#define PW_BCRYPT_LEN 60
#define PW_BCRYPT_KEY_MAX 72

int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc)
{
	struct hashgate_slot slot;
	unsigned char salt[PW_SALT_LEN];
	char *enc = NULL;
	size_t enclen;
	int rc;
	int ret = -1;

	if (phc == NULL)
		return -1;
	*phc = NULL;
	if ((pw == NULL && pwlen > 0) || cost == NULL || pwlen > ARGON2_MAX_PWD_LENGTH) {
		log_error("could not hash password: bad arguments");
		goto out;
	}
	if (token_random(salt, sizeof(salt)) != 0)
		goto out;
	enclen = argon2_encodedlen(cost->iterations, cost->memory_kib, cost->parallelism,
	                           PW_SALT_LEN, PW_HASH_LEN, Argon2_id);
	enc = malloc(enclen);
	if (enc == NULL) {
		log_error("could not hash password: out of memory");
		goto out;
	}
	hashgate_enter(&slot);
	rc = argon2id_hash_encoded(cost->iterations, cost->memory_kib, cost->parallelism, pw, pwlen,
	                           salt, sizeof(salt), PW_HASH_LEN, enc, enclen);
	hashgate_leave(&slot);
	if (rc != ARGON2_OK) {
		log_error("could not hash password: %s", argon2_error_message(rc));
		goto out;
	}
	*phc = enc;
	enc = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(salt, sizeof(salt));
	free(enc);
	return ret;
}

/* libargon2's base64 alphabet (standard, no padding) and bcrypt's. */
static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_bcrypt[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/*
 * A decimal as libargon2 reads it (digits, no sign, no leading zero, no
 * overflow). The end of the number, or NULL.
 */
static const char *pw_decimal(const char *s, unsigned long *v)
{
	const char *p = s;
	unsigned long acc = 0;

	while (*p >= '0' && *p <= '9') {
		unsigned long d = (unsigned long)(*p - '0');

		if (acc > (ULONG_MAX - d) / 10)
			return NULL;
		acc = acc * 10 + d;
		p++;
	}
	if (p == s || (*s == '0' && p != s + 1))
		return NULL;
	*v = acc;
	return p;
}

/*
 * Unpadded standard base64 as libargon2 decodes it: a length that is not 1
 * modulo 4 and zero unused bits in the last character. The end of it (at the
 * first character outside the alphabet), or NULL; *bytes is the decoded size.
 */
static const char *pw_b64(const char *s, size_t *bytes)
{
	size_t n = strspn(s, b64_std);
	size_t rem = n % 4;
	const char *last;
	unsigned bits;

	if (rem == 1)
		return NULL;
	if (rem != 0) {
		last = strchr(b64_std, s[n - 1]);
		bits = (unsigned)(last - b64_std);
		/* 2 characters carry 1 byte (4 bits spare), 3 carry 2 (2 spare). */
		if ((bits & (rem == 2 ? 0x0fu : 0x03u)) != 0)
			return NULL;
	}
	*bytes = n / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	return s + n;
}

/*
 * Parses an argon2id PHC string the way libargon2's decoder does
 * ("$argon2id$" ["v=" version "$"] "m=" m ",t=" t ",p=" p "$" salt "$" hash,
 * version 16 when absent) and checks what pw_verify() requires beyond that:
 * version 16 or 19, the cost within the settings' bounds, m >= 8 p, a salt of
 * at least 8 bytes and a hash of at least 4. 1 and *v, *m, *t filled, or 0.
 */
static int pw_argon2id_parse(const char *s, unsigned long *v, unsigned long *m, unsigned long *t)
{
	unsigned long p = 0;
	size_t salt = 0;
	size_t hash = 0;

	if (strncmp(s, PW_PREFIX, strlen(PW_PREFIX)) != 0)
		return 0;
	s += strlen(PW_PREFIX);
	*v = ARGON2_VERSION_10;
	if (strncmp(s, "v=", 2) == 0) {
		s = pw_decimal(s + 2, v);
		if (s == NULL || *s++ != '$')
			return 0;
	}
	if (strncmp(s, "m=", 2) != 0 || (s = pw_decimal(s + 2, m)) == NULL ||
	    strncmp(s, ",t=", 3) != 0 || (s = pw_decimal(s + 3, t)) == NULL ||
	    strncmp(s, ",p=", 3) != 0 || (s = pw_decimal(s + 3, &p)) == NULL || *s++ != '$' ||
	    (s = pw_b64(s, &salt)) == NULL || *s++ != '$' || (s = pw_b64(s, &hash)) == NULL ||
	    *s != '\0')
		return 0;
	return (*v == ARGON2_VERSION_10 || *v == ARGON2_VERSION_13) && p >= 1 &&
	       p <= PW_MAX_PARALLELISM && *m >= 8 * p && *m <= PW_MAX_MEMORY_KIB && *t >= 1 &&
	       *t <= PW_MAX_ITERATIONS && salt >= ARGON2_MIN_SALT_LENGTH &&
	       hash >= ARGON2_MIN_OUTLEN;
}

/*
 * The cost of a bcrypt hash ("$2a$", "$2b$" or "$2y$", two cost digits, "$",
 * 53 characters of bcrypt's base64: 22 of salt, 31 of hash), or -1 when s is
 * not one. The cost is not checked against the bounds here.
 */
static int pw_bcrypt_cost(const char *s)
{
	if (strlen(s) != PW_BCRYPT_LEN || s[0] != '$' || s[1] != '2' ||
	    (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') || s[3] != '$' || s[4] < '0' ||
	    s[4] > '9' || s[5] < '0' || s[5] > '9' || s[6] != '$' ||
	    strspn(s + 7, b64_bcrypt) != PW_BCRYPT_LEN - 7)
		return -1;
	return (s[4] - '0') * 10 + (s[5] - '0');
}

enum pw_kind pw_kind(const char *stored)
{
	unsigned long v, m, t;
	int cost;

	if (stored == NULL)
		return PW_UNUSABLE;
	cost = pw_bcrypt_cost(stored);
	if (cost >= PW_BCRYPT_MIN_COST && cost <= PW_BCRYPT_MAX_COST)
		return PW_BCRYPT;
	if (pw_argon2id_parse(stored, &v, &m, &t))
		return PW_ARGON2ID;
	return PW_UNUSABLE;
}

/*
 * pw_verify() for a well-formed bcrypt hash (libxcrypt's crypt_rn). As
 * bcrypt itself (and passlib, which truncates silently), only the first 72
 * bytes of the password count; cutting it here also keeps it below
 * crypt_rn's 512-byte limit.
 *
 * crypt_rn() takes a C string, so it would read "StrongPass123\0junk" as
 * "StrongPass123"; passlib and bcrypt refuse a password with a NUL byte. Such
 * a password never matches here: the bcrypt work is still done (on the bytes
 * before the NUL), so that it takes as long as any wrong password, and the
 * result is thrown away.
 */
static int pw_bcrypt_verify(const char *hash, const char *pw, size_t pwlen)
{
	struct hashgate_slot slot;
	struct crypt_data *data = NULL;
	char phrase[PW_BCRYPT_KEY_MAX + 1];
	size_t n = pwlen < PW_BCRYPT_KEY_MAX ? pwlen : PW_BCRYPT_KEY_MAX;
	int has_nul = pwlen > 0 && memchr(pw, '\0', pwlen) != NULL;
	const char *out;
	int ret = -1;

	data = calloc(1, sizeof(*data));
	if (data == NULL) {
		log_error("could not verify password: out of memory");
		return -1;
	}
	if (n > 0)
		memcpy(phrase, pw, n);
	phrase[n] = '\0';
	hashgate_enter(&slot);
	out = crypt_rn(phrase, hash, data, (int)sizeof(*data));
	hashgate_leave(&slot);
	if (out == NULL || out[0] == '*') {
		log_error("could not verify bcrypt password hash");
		goto out;
	}
	ret = strlen(out) == PW_BCRYPT_LEN && CRYPTO_memcmp(out, hash, PW_BCRYPT_LEN) == 0 &&
	      !has_nul;
out:
	OPENSSL_cleanse(phrase, sizeof(phrase));
	OPENSSL_cleanse(data, sizeof(*data));
	free(data);
	return ret;
}

int pw_verify(const char *phc, const char *pw, size_t pwlen)
{
	struct hashgate_slot slot;
	int rc;

	if (phc == NULL || (pw == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH)
		return -1;
	switch (pw_kind(phc)) {
	case PW_BCRYPT:
		return pw_bcrypt_verify(phc, pw, pwlen);
	case PW_ARGON2ID:
		break;
	case PW_UNUSABLE:
	default:
		/* Argon2i, argon2d, $2x$, plain text, a bad syntax, or a cost that
		 * would make one login allocate or compute far more than any
		 * setting allows (or bcrypt's at most 2^16 rounds). */
		if (strncmp(phc, PW_PREFIX, strlen(PW_PREFIX)) == 0)
			log_warn("malformed argon2id hash: bad syntax, or a cost out of bounds");
		else if (strncmp(phc, "$2", 2) == 0)
			log_warn("malformed bcrypt hash: bad syntax, or a cost out of bounds");
		else
			log_warn("stored password hash is neither argon2id nor bcrypt");
		return 0;
	}
	hashgate_enter(&slot);
	rc = argon2id_verify(phc, pw, pwlen);
	hashgate_leave(&slot);
	switch (rc) {
	case ARGON2_OK:
		return 1;
	case ARGON2_VERIFY_MISMATCH:
		return 0;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
	case ARGON2_THREAD_FAIL:
		log_error("could not verify password: %s", argon2_error_message(rc));
		return -1;
	default:
		/* Anything pw_kind() let through that libargon2 still refuses. */
		log_warn("malformed argon2id hash: %s", argon2_error_message(rc));
		return 0;
	}
}

int pw_needs_rehash(const char *phc, const struct pw_cost *cost)
{
	unsigned long v = 0;
	unsigned long m = 0;
	unsigned long t = 0;

	if (phc == NULL || cost == NULL)
		return 0;
	switch (pw_kind(phc)) {
	case PW_BCRYPT:
		return 1;
	case PW_ARGON2ID:
		if (!pw_argon2id_parse(phc, &v, &m, &t))
			return 0;
		return v != ARGON2_VERSION_13 || m < cost->memory_kib || t < cost->iterations;
	case PW_UNUSABLE:
	default:
		return 0;
	}
}

void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost)
{
	static const unsigned char salt[PW_SALT_LEN] = "medicalcare-burn";
	struct hashgate_slot slot;
	unsigned char out[PW_HASH_LEN];
	int rc;

	if ((pw == NULL && pwlen > 0) || cost == NULL || pwlen > ARGON2_MAX_PWD_LENGTH)
		return;
	hashgate_enter(&slot);
	rc = argon2id_hash_raw(cost->iterations, cost->memory_kib, cost->parallelism, pw, pwlen,
	                       salt, sizeof(salt), out, sizeof(out));
	hashgate_leave(&slot);
	if (rc != ARGON2_OK)
		log_error("could not hash password: %s", argon2_error_message(rc));
	OPENSSL_cleanse(out, sizeof(out));
}
