/*
 * pw: Argon2id password hashes as PHC strings, on libargon2; bcrypt hashes
 * of the FastAPI version verified with libxcrypt.
 */
#include "pw.h"

#include "log.h"
#include "token.h"

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

int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc)
{
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
	rc = argon2id_hash_encoded(cost->iterations, cost->memory_kib, cost->parallelism, pw, pwlen,
	                           salt, sizeof(salt), PW_HASH_LEN, enc, enclen);
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

/* 1 if the m, t and p of an argon2id PHC string are within the settings' bounds. */
static int pw_cost_in_bounds(const char *phc)
{
	unsigned long m = 0;
	unsigned long t = 0;
	unsigned long p = 0;
	const char *params = strstr(phc, "$m=");

	if (params == NULL || sscanf(params, "$m=%lu,t=%lu,p=%lu$", &m, &t, &p) != 3)
		return 0;
	return m >= 8 && m <= PW_MAX_MEMORY_KIB && t >= 1 && t <= PW_MAX_ITERATIONS && p >= 1 &&
	       p <= PW_MAX_PARALLELISM;
}

/*
 * The cost of a bcrypt hash ("$2a$", "$2b$" or "$2y$", two cost digits, "$",
 * 53 characters of bcrypt's base64), or -1 when s is not one.
 */
static int pw_bcrypt_cost(const char *s)
{
	static const char alphabet[] =
	    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	if (strlen(s) != PW_BCRYPT_LEN || s[0] != '$' || s[1] != '2' ||
	    (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') || s[3] != '$' || s[4] < '0' ||
	    s[4] > '9' || s[5] < '0' || s[5] > '9' || s[6] != '$')
		return -1;
	for (i = 7; i < PW_BCRYPT_LEN; i++)
		if (strchr(alphabet, s[i]) == NULL)
			return -1;
	return (s[4] - '0') * 10 + (s[5] - '0');
}

/* pw_verify() for a bcrypt hash (libxcrypt's crypt_rn). */
static int pw_bcrypt_verify(const char *hash, const char *pw, size_t pwlen)
{
	struct crypt_data *data = NULL;
	char *phrase = NULL;
	const char *out;
	int cost = pw_bcrypt_cost(hash);
	int ret = -1;

	if (cost < PW_BCRYPT_MIN_COST || cost > PW_BCRYPT_MAX_COST) {
		log_warn("malformed bcrypt hash: bad syntax, or a cost out of bounds");
		return 0;
	}
	/* crypt() takes a C string: a password with a NUL byte cannot match. */
	if (memchr(pw, '\0', pwlen) != NULL)
		return 0;
	phrase = malloc(pwlen + 1);
	data = calloc(1, sizeof(*data));
	if (phrase == NULL || data == NULL) {
		log_error("could not verify password: out of memory");
		goto out;
	}
	memcpy(phrase, pw, pwlen);
	phrase[pwlen] = '\0';
	out = crypt_rn(phrase, hash, data, (int)sizeof(*data));
	if (out == NULL || out[0] == '*') {
		log_error("could not verify bcrypt password hash");
		goto out;
	}
	ret = strlen(out) == PW_BCRYPT_LEN && CRYPTO_memcmp(out, hash, PW_BCRYPT_LEN) == 0;
out:
	if (phrase != NULL) {
		OPENSSL_cleanse(phrase, pwlen + 1);
		free(phrase);
	}
	if (data != NULL) {
		OPENSSL_cleanse(data, sizeof(*data));
		free(data);
	}
	return ret;
}

int pw_verify(const char *phc, const char *pw, size_t pwlen)
{
	int rc;

	if (phc == NULL || (pw == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH)
		return -1;
	if (strncmp(phc, "$2", 2) == 0)
		return pw_bcrypt_verify(phc, pw != NULL ? pw : "", pwlen);
	/* Otherwise only our own scheme: argon2i, argon2d and plain text never match. */
	if (strncmp(phc, PW_PREFIX, strlen(PW_PREFIX)) != 0) {
		log_warn("stored password hash is neither argon2id nor bcrypt");
		return 0;
	}
	/* The cost is read from the stored string: refuse one that would make a
	 * single login allocate or compute far more than any setting allows. */
	if (!pw_cost_in_bounds(phc)) {
		log_warn("malformed argon2id hash: no cost, or a cost out of bounds");
		return 0;
	}
	rc = argon2id_verify(phc, pw, pwlen);
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
		/* The string itself is bad (syntax, lengths, cost out of range). */
		log_warn("malformed argon2id hash: %s", argon2_error_message(rc));
		return 0;
	}
}

int pw_needs_rehash(const char *phc, const struct pw_cost *cost)
{
	unsigned long v = 0;
	unsigned long m = 0;
	unsigned long t = 0;
	unsigned long p = 0;

	if (phc == NULL || cost == NULL)
		return 0;
	if (pw_bcrypt_cost(phc) >= 0)
		return 1;
	if (strncmp(phc, PW_PREFIX, strlen(PW_PREFIX)) != 0 ||
	    sscanf(phc + strlen(PW_PREFIX), "v=%lu$m=%lu,t=%lu,p=%lu$", &v, &m, &t, &p) != 4)
		return 0;
	return v != ARGON2_VERSION_13 || m < cost->memory_kib || t < cost->iterations;
}

void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost)
{
	static const unsigned char salt[PW_SALT_LEN] = "medicalcare-burn";
	unsigned char out[PW_HASH_LEN];
	int rc;

	if ((pw == NULL && pwlen > 0) || cost == NULL || pwlen > ARGON2_MAX_PWD_LENGTH)
		return;
	rc = argon2id_hash_raw(cost->iterations, cost->memory_kib, cost->parallelism, pw, pwlen,
	                       salt, sizeof(salt), out, sizeof(out));
	if (rc != ARGON2_OK)
		log_error("could not hash password: %s", argon2_error_message(rc));
	OPENSSL_cleanse(out, sizeof(out));
}
