/*
 * pw: password hashing with Argon2id (libargon2), stored as PHC strings
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") with a 16-byte CSPRNG salt
 * and a 32-byte hash. Verification reads the cost from the stored string, so
 * hashes made with another cost (or by another tool) verify.
 *
 * Accounts migrated from the FastAPI version carry bcrypt hashes ("$2a$",
 * "$2b$", "$2y$", as passlib writes them): they verify too (libxcrypt), and
 * pw_needs_rehash() tells login to replace them with an Argon2id hash. As
 * with bcrypt anywhere, only the first 72 bytes of a password count against
 * a bcrypt hash; the Argon2id hash that replaces it takes the whole password.
 *
 * pw_hash(), pw_verify() and pw_burn() wait for a slot of the hash gate
 * (hashgate.h: at most HASH_CONCURRENCY hashes at once across the install)
 * and hold it only while Argon2 or bcrypt runs. Call them with no
 * transaction open and no lock held: the wait and the hash take long.
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

/* What a stored hash is, by its syntax alone (no hashing). */
enum pw_kind {
	PW_UNUSABLE = 0, /* anything pw_verify() never matches: another scheme (argon2i,
	                    argon2d, $2x$, plain text), bad syntax, a cost out of bounds */
	PW_ARGON2ID,     /* "$argon2id$[v=16|19$]m=..,t=..,p=..$<salt>$<hash>", cost in bounds */
	PW_BCRYPT,       /* "$2a$", "$2b$" or "$2y$", cost 4 to 16, 60 characters */
};

/*
 * The kind of a stored hash (NULL is PW_UNUSABLE). Pure and cheap: the
 * import of accounts checks every hash with it, and pw_verify() runs it
 * first. An argon2id string is parsed as libargon2 does (base64 without
 * padding and with zero unused bits, decimals without leading zeros, salt
 * >= 8 bytes, hash >= 4 bytes, m >= 8 p).
 */
enum pw_kind pw_kind(const char *stored);

/* Hashes pw. On success returns 0 and *phc is the PHC string; caller frees. -1 on failure (logged). */
int pw_hash(const char *pw, size_t pwlen, const struct pw_cost *cost, char **phc);

/*
 * 1 if pw (pwlen bytes) matches the stored hash (an argon2id PHC string or a
 * bcrypt hash), 0 if not (also whenever pw_kind() says PW_UNUSABLE: a warning
 * is logged, never the password; and against bcrypt for a password with a
 * NUL byte), -1 on failure (out of memory; logged). The comparison is
 * constant-time.
 */
int pw_verify(const char *phc, const char *pw, size_t pwlen);

/*
 * 1 if a stored hash that verified should be replaced by pw_hash() at cost:
 * it is bcrypt, or argon2id of version 16 (v= absent or 16) or with less
 * memory or fewer iterations than cost (parallelism is not compared). 0
 * otherwise: argon2id at cost or above, NULL, or PW_UNUSABLE.
 */
int pw_needs_rehash(const char *phc, const struct pw_cost *cost);

/*
 * Does the same work as a pw_verify() against a hash of this cost, and throws
 * the result away: login calls it for an unknown email so that its timing
 * does not tell whether the account exists.
 */
void pw_burn(const char *pw, size_t pwlen, const struct pw_cost *cost);

#endif
