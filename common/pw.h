/*
 * pw: password hashing with Argon2id (libargon2), stored as PHC strings
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") with a 16-byte CSPRNG salt
 * and a 32-byte hash. Verification reads the cost from the stored string, so
 * hashes made with another cost (or by another tool) verify.
 */
#ifndef MC_PW_H
#define MC_PW_H

#include <stddef.h>
#include <stdint.h>

/* The most a stored hash may ask of pw_verify() (the settings' upper bounds). */
#define PW_MAX_MEMORY_KIB 4194304
#define PW_MAX_ITERATIONS 100
#define PW_MAX_PARALLELISM 64

struct pw_cost {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

/* Hashes pw. On success returns 0 and *phc is the PHC string; caller frees. -1 on failure (logged). */
int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc);

/* 1 if pw matches the PHC string, 0 if not (or the string is not an argon2id hash), -1 on failure. */
int pw_verify(const char *phc, const char *pw, size_t pwlen);

/*
 * Does the same work as a pw_verify() against a hash of this cost, and throws
 * the result away: login calls it for an unknown email so that its timing
 * does not tell whether the account exists.
 */
void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost);

#endif
