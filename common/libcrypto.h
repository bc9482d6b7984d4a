/*
 * libcrypto: OpenSSL's libcrypto, loaded by the first call that needs it
 * (lazy.h): a request that hashes, signs, seals or draws nothing (a 401
 * without a token, the 4xx of the gates, OPTIONS, openapi.json) never maps
 * it. libcrypto is the largest library the programs use (4.7 MB, 21,000
 * relocations): with it mapped at every start, the loader spent half of a
 * lean start binding it.
 *
 * libcrypto.c defines each libcrypto function the project calls, with the
 * prototype of the OpenSSL headers, forwarding it to libcrypto.so.3 (not
 * linked: a function not listed there fails the link). If the library
 * cannot be loaded (logged), each returns what OpenSSL returns on failure
 * (0, NULL, -1; RAND_bytes() 0: no random bytes), so every caller's error
 * path runs. OPENSSL_cleanse() needs no library: it is explicit_bzero(),
 * which the compiler may not drop either, so wiping a secret never loads it.
 *
 * Once loaded, OpenSSL is started without reading its configuration file
 * (OPENSSL_INIT_NO_LOAD_CONFIG: parsing openssl.cnf was a tenth of a plain
 * CGI start, and the service needs none of it); the TLS of libpq and of the
 * SMTP transport, which load libcrypto too, come after (libcrypto_ready() is
 * their loader's first step), so they do not read it either. An
 * OPENSSL_CONF in the environment asks for a configuration (a FIPS provider,
 * a system-wide TLS policy): then OpenSSL reads that file as usual.
 */
#ifndef MC_LIBCRYPTO_H
#define MC_LIBCRYPTO_H

/* The library loaded: libcrypto's soname, as -lcrypto would have recorded it. */
#define LIBCRYPTO_SONAME "libcrypto.so.3"

/* Loads and starts libcrypto unless it is: 1 when loaded, else 0 (logged). */
int libcrypto_ready(void);

#endif
