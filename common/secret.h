/*
 * secret: freeing memory that held a secret (a password, code, token, key,
 * a sealed or clear message) only after wiping it (OPENSSL_cleanse, which
 * the compiler may not drop), so nothing of it lingers in freed memory.
 */
#ifndef MC_SECRET_H
#define MC_SECRET_H

#include <stddef.h>

/* Wipes len bytes at p, then frees p. NULL: nothing. */
void secret_free(void *p, size_t len);

/* secret_free() of a NUL-terminated string, its bytes up to the NUL. NULL: nothing. */
void secret_free_str(char *s);

#endif
