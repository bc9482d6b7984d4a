/*
 * liboath: oath-toolkit's OATH library (HOTP, TOTP, base32), loaded by the
 * first call that needs it (lazy.h): only a request that checks or shows a
 * second factor maps it, never a plain CGI start.
 *
 * liboath.c defines each liboath function the project calls, with the
 * prototype of <oath.h>, forwarding it to liboath.so.0 (not linked: a
 * function not listed there fails the link). If the library cannot be
 * loaded (logged), each returns OATH_CRYPTO_ERROR (no code, no text), so
 * every caller's error path runs. Once loaded, oath_init() is run once, as
 * the library asks before any other call; liboath_ready() says whether both
 * went well. liboath depends on libc alone (its HMAC-SHA1 is its own).
 */
#ifndef MC_LIBOATH_H
#define MC_LIBOATH_H

/* The library loaded: liboath's soname, as -loath would have recorded it. */
#define LIBOATH_SONAME "liboath.so.0"

/* Loads liboath and runs oath_init() unless done: 1 when usable, else 0 (logged). */
int liboath_ready(void);

#endif
