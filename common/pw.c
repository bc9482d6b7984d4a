/*
 * pw: Argon2id password hashes as PHC strings, on libargon2.
 */
#include "pw.h"

#include "log.h"
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>

#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define PW_PREFIX "$argon2id$"

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

int pw_verify(const char *phc, const char *pw, size_t pwlen)
{
	int rc;

	if (phc == NULL || (pw == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH)
		return -1;
	/* Only our own scheme: bcrypt, argon2i, argon2d and plain text never match. */
	if (strncmp(phc, PW_PREFIX, strlen(PW_PREFIX)) != 0) {
		log_warn("stored password hash is not argon2id");
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
