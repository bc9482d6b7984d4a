/*
 * libcrypt: libxcrypt, for the bcrypt hashes of accounts migrated from the
 * FastAPI version (pw.h), loaded by the first crypt_rn() (lazy.h): only a
 * login against such a hash makes one, so no other request maps libcrypt.
 *
 * libcrypt.c defines crypt_rn() with the prototype of <crypt.h>, forwarding
 * it to libcrypt.so.1 (not linked). If the library cannot be loaded it
 * returns NULL (and that is logged), which pw.c takes as a failed check.
 */
#ifndef MC_LIBCRYPT_H
#define MC_LIBCRYPT_H

/* The library loaded: libxcrypt's soname, as -lcrypt would have recorded it. */
#define LIBCRYPT_SONAME "libcrypt.so.1"

#endif
