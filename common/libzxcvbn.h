/*
 * libzxcvbn: the password strength estimator of validate.h, loaded by the
 * first ZxcvbnMatch() (lazy.h): only a request that sets a password (signup,
 * reset-password) makes one, so no other request maps libzxcvbn (1.4 MB,
 * and libm with it).
 *
 * libzxcvbn.c defines ZxcvbnMatch() with the prototype of <zxcvbn.h>,
 * forwarding it to libzxcvbn.so.0 (not linked). If the library cannot be
 * loaded it returns 0 bits (and that is logged): every password is then
 * refused as guessable, never let through unchecked.
 */
#ifndef MC_LIBZXCVBN_H
#define MC_LIBZXCVBN_H

/* The library loaded: libzxcvbn's soname, as -lzxcvbn would have recorded it. */
#define LIBZXCVBN_SONAME "libzxcvbn.so.0"

#endif
