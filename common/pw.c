/*
 * pw: Argon2id password hashes as PHC strings, on libargon2's context API
 * (argon2_ctx(), argon2_verify_ctx()) with the working memory of argon2mem.h;
 * the PHC string is written and read here, as libargon2 does. bcrypt hashes
 * of the FastAPI version verified with libxcrypt. Every Argon2 or bcrypt
 * call holds a slot of the hash gate (hashgate.h) while it runs.
 */
#include "pw.h"

#include "argon2mem.h"
#include "b64.h"
#include "hashgate.h"
#include "log.h"
#include "token.h"

#include <inttypes.h>
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
/* What pw_hash() stores, as argon2id_hash_encoded() writes it: version, m, t, p, salt, hash. */
#define PW_PHC_FORMAT PW_PREFIX "v=%d$m=%" PRIu32 ",t=%" PRIu32 ",p=%" PRIu32 "$%s$%s"

/*
 * An Argon2id context for pw (pwlen bytes) and salt at cost m, t, p of
 * version v, its result into out (outlen bytes), its memory from argon2mem.
 * libargon2 reads pw and never writes it (no ARGON2_FLAG_CLEAR_PASSWORD).
 */
static void pw_context(argon2_context *ctx, const char *pw, size_t pwlen, const unsigned char *salt,
                       size_t saltlen, unsigned char *out, size_t outlen, uint32_t m, uint32_t t,
                       uint32_t p, uint32_t v)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->out = out;
	ctx->outlen = (uint32_t)outlen;
	ctx->pwd = (uint8_t *)(uintptr_t)pw;
	ctx->pwdlen = (uint32_t)pwlen;
	ctx->salt = (uint8_t *)(uintptr_t)salt;
	ctx->saltlen = (uint32_t)saltlen;
	ctx->t_cost = t;
	ctx->m_cost = m;
	ctx->lanes = p;
	ctx->threads = p;
	ctx->version = v;
	ctx->allocate_cbk = argon2mem_alloc;
	ctx->free_cbk = argon2mem_free;
	ctx->flags = ARGON2_DEFAULT_FLAGS;
}

int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc)
{
	struct hashgate_slot slot;
	argon2_context ctx;
	unsigned char salt[PW_SALT_LEN];
	unsigned char hash[PW_HASH_LEN];
	char salt64[B64_ENCODED_SIZE(PW_SALT_LEN)];
	char hash64[B64_ENCODED_SIZE(PW_HASH_LEN)];
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
	pw_context(&ctx, pw, pwlen, salt, sizeof(salt), hash, sizeof(hash), cost->memory_kib,
	           cost->iterations, cost->parallelism, ARGON2_VERSION_13);
	hashgate_enter(&slot);
	rc = argon2_ctx(&ctx, Argon2_id);
	hashgate_leave(&slot);
	if (rc != ARGON2_OK) {
		log_error("could not hash password: %s", argon2_error_message(rc));
		goto out;
	}
	if (b64_nopad_encode(salt, sizeof(salt), salt64, sizeof(salt64)) < 0 ||
	    b64_nopad_encode(hash, sizeof(hash), hash64, sizeof(hash64)) < 0) {
		log_error("could not hash password: encoding");
		goto out;
	}
	enclen = (size_t)snprintf(NULL, 0, PW_PHC_FORMAT, ARGON2_VERSION_13, cost->memory_kib,
	                          cost->iterations, cost->parallelism, salt64, hash64) +
	         1;
	enc = malloc(enclen);
	if (enc == NULL) {
		log_error("could not hash password: out of memory");
		goto out;
	}
	(void)snprintf(enc, enclen, PW_PHC_FORMAT, ARGON2_VERSION_13, cost->memory_kib,
	               cost->iterations, cost->parallelism, salt64, hash64);
	*phc = enc;
	enc = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(salt, sizeof(salt));
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(hash64, sizeof(hash64));
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

/* An argon2id PHC string's parts, as pw_argon2id_parse() finds them. */
struct pw_phc {
	unsigned long v, m, t, p;
	const char *salt64, *hash64;   /* the base64 text of salt and hash, in the string */
	size_t salt64_len, hash64_len; /* its characters */
	size_t salt_len, hash_len;     /* the bytes it decodes to */
};

/*
 * Parses an argon2id PHC string the way libargon2's decoder does
 * ("$argon2id$" ["v=" version "$"] "m=" m ",t=" t ",p=" p "$" salt "$" hash,
 * version 16 when absent) and checks what pw_verify() requires beyond that:
 * version 16 or 19, the cost within the settings' bounds, m >= 8 p, a salt of
 * at least 8 bytes and a hash of at least 4. 1 and h filled, or 0.
 */
static int pw_argon2id_parse(const char *s, struct pw_phc *h)
{
	memset(h, 0, sizeof(*h));
	if (strncmp(s, PW_PREFIX, strlen(PW_PREFIX)) != 0)
		return 0;
	s += strlen(PW_PREFIX);
	h->v = ARGON2_VERSION_10;
	if (strncmp(s, "v=", 2) == 0) {
		s = pw_decimal(s + 2, &h->v);
		if (s == NULL || *s++ != '$')
			return 0;
	}
	if (strncmp(s, "m=", 2) != 0 || (s = pw_decimal(s + 2, &h->m)) == NULL ||
	    strncmp(s, ",t=", 3) != 0 || (s = pw_decimal(s + 3, &h->t)) == NULL ||
	    strncmp(s, ",p=", 3) != 0 || (s = pw_decimal(s + 3, &h->p)) == NULL || *s++ != '$')
		return 0;
	h->salt64 = s;
	if ((s = pw_b64(s, &h->salt_len)) == NULL || *s != '$')
		return 0;
	h->salt64_len = (size_t)(s - h->salt64);
	h->hash64 = ++s;
	if ((s = pw_b64(s, &h->hash_len)) == NULL || *s != '\0')
		return 0;
	h->hash64_len = (size_t)(s - h->hash64);
	return (h->v == ARGON2_VERSION_10 || h->v == ARGON2_VERSION_13) && h->p >= 1 &&
	       h->p <= PW_MAX_PARALLELISM && h->m >= 8 * h->p && h->m <= PW_MAX_MEMORY_KIB &&
	       h->t >= 1 && h->t <= PW_MAX_ITERATIONS && h->salt_len >= ARGON2_MIN_SALT_LENGTH &&
	       h->hash_len >= ARGON2_MIN_OUTLEN && h->salt_len <= UINT32_MAX &&
	       h->hash_len <= UINT32_MAX;
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
	struct pw_phc h;
	int cost;

	if (stored == NULL)
		return PW_UNUSABLE;
	cost = pw_bcrypt_cost(stored);
	if (cost >= PW_BCRYPT_MIN_COST && cost <= PW_BCRYPT_MAX_COST)
		return PW_BCRYPT;
	if (pw_argon2id_parse(stored, &h))
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

/*
 * pw_verify() for a string pw_kind() calls PW_ARGON2ID: the hash computed
 * with the string's salt and cost through argon2_verify_ctx(), which compares
 * in constant time.
 */
static int pw_argon2id_verify(const char *phc, const char *pw, size_t pwlen)
{
	struct hashgate_slot slot;
	struct pw_phc h;
	argon2_context ctx;
	unsigned char *salt = NULL;
	unsigned char *want = NULL;
	unsigned char *got = NULL;
	int rc;
	int ret = -1;

	if (!pw_argon2id_parse(phc, &h))
		return 0;
	salt = malloc(h.salt_len);
	want = malloc(h.hash_len);
	got = malloc(h.hash_len);
	if (salt == NULL || want == NULL || got == NULL) {
		log_error("could not verify password: out of memory");
		goto out;
	}
	/* pw_b64() has checked both texts: each decodes to its length. */
	if (b64_nopad_decode(h.salt64, h.salt64_len, salt, h.salt_len) != (long)h.salt_len ||
	    b64_nopad_decode(h.hash64, h.hash64_len, want, h.hash_len) != (long)h.hash_len) {
		log_error("could not verify password: base64");
		goto out;
	}
	pw_context(&ctx, pw, pwlen, salt, h.salt_len, got, h.hash_len, (uint32_t)h.m, (uint32_t)h.t,
	           (uint32_t)h.p, (uint32_t)h.v);
	hashgate_enter(&slot);
	rc = argon2_verify_ctx(&ctx, (const char *)want, Argon2_id);
	hashgate_leave(&slot);
	switch (rc) {
	case ARGON2_OK:
		ret = 1;
		break;
	case ARGON2_VERIFY_MISMATCH:
		ret = 0;
		break;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
	case ARGON2_THREAD_FAIL:
		log_error("could not verify password: %s", argon2_error_message(rc));
		break;
	default:
		/* Anything pw_kind() let through that libargon2 still refuses. */
		log_warn("malformed argon2id hash: %s", argon2_error_message(rc));
		ret = 0;
		break;
	}
out:
	if (got != NULL)
		OPENSSL_cleanse(got, h.hash_len);
	free(got);
	free(want);
	free(salt);
	return ret;
}

int pw_verify(const char *phc, const char *pw, size_t pwlen)
{
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
	return pw_argon2id_verify(phc, pw, pwlen);
}

int pw_needs_rehash(const char *phc, const struct pw_cost *cost)
{
	struct pw_phc h;

	if (phc == NULL || cost == NULL)
		return 0;
	switch (pw_kind(phc)) {
	case PW_BCRYPT:
		return 1;
	case PW_ARGON2ID:
		if (!pw_argon2id_parse(phc, &h))
			return 0;
		return h.v != ARGON2_VERSION_13 || h.m < cost->memory_kib || h.t < cost->iterations;
	case PW_UNUSABLE:
	default:
		return 0;
	}
}

void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost)
{
	static const unsigned char salt[PW_SALT_LEN] = "medicalcare-burn";
	struct hashgate_slot slot;
	argon2_context ctx;
	unsigned char out[PW_HASH_LEN];
	int rc;

	if ((pw == NULL && pwlen > 0) || cost == NULL || pwlen > ARGON2_MAX_PWD_LENGTH)
		return;
	pw_context(&ctx, pw, pwlen, salt, sizeof(salt), out, sizeof(out), cost->memory_kib,
	           cost->iterations, cost->parallelism, ARGON2_VERSION_13);
	hashgate_enter(&slot);
	rc = argon2_ctx(&ctx, Argon2_id);
	hashgate_leave(&slot);
	if (rc != ARGON2_OK)
		log_error("could not hash password: %s", argon2_error_message(rc));
	OPENSSL_cleanse(out, sizeof(out));
}
