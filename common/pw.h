/*
 * pw: password hashing with Argon2id (libargon2), stored as PHC strings
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") with a 16-byte CSPRNG salt
 * and a 32-byte hash. Verification reads the cost from the stored string, so
 * hashes made with another cost (or by another tool) verify.
 *
 * Accounts migrated from the FastAPI version carry bcrypt hashes ("$2a$",
 * "$2b$", "$2y$", as passlib writes them): they verify too (libxcrypt), and
 * pw_needs_rehash() tells login to replace them with an Argon2id hash.
 */
#ifndef MC_PW_H
#define MC_PW_H

#include <stddef.h>
#include <stdint.h>

/* The most a stored hash may ask of pw_verify() (the settings' upper bounds). */
#define PW_MAX_MEMORY_KIB 4194304
#define PW_MAX_ITERATIONS 100
#define PW_MAX_PARALLELISM 64

/* The bcrypt costs a stored hash may have (passlib's default is 12). */
#define PW_BCRYPT_MIN_COST 4
#define PW_BCRYPT_MAX_COST 16

struct pw_cost {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

/* Hashes pw. On success returns 0 and *phc is the PHC string; caller frees. -1 on failure (logged). */
int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc);

/*
 * 1 if pw matches the stored hash (an argon2id PHC string or a bcrypt hash), 0
 * if not (also for any other scheme, a malformed hash or a cost out of bounds),
 * -1 on failure (logged). The comparison is constant-time.
 */
int pw_verify(const char *phc, const char *pw, size_t pwlen);

/*
 * 1 if a stored hash that verified should be replaced by pw_hash() at cost:
 * it is bcrypt, or argon2id of another version or with less memory or fewer
 * iterations than cost. 0 otherwise (also for an unknown scheme).
 */
int pw_needs_rehash(const char *phc, const struct pw_cost *cost);

/*
 * Does the same work as a pw_verify() against a hash of this cost, and throws
 * the result away: login calls it for an unknown email so that its timing
 * does not tell whether the account exists.
 */
void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost);

#endif
