/*
 * hex: lower-case hexadecimal text of bytes (digests, key ids, sealed
 * messages in the outbox, Message-IDs), and back.
 */
#ifndef MC_HEX_H
#define MC_HEX_H

#include <stddef.h>

/* Writes 2 * len lower-case hex digits and a NUL into out (2 * len + 1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decodes hex text (either case, an even number of digits): 0 with *out
 * (the caller frees) and *outlen, or -1 for anything else or out of memory.
 */
int hex_decode(const char *in, unsigned char **out, size_t *outlen);

#endif
