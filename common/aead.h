/*
 * aead: sealing a short message (a queued mail, a two-factor secret) with
 * AES-256-GCM under a 32-byte key, bound to associated data (a label, a user
 * id) that must be given again to open it: a sealed value copied to another
 * purpose or another row does not open.
 *
 * The sealed form is nonce || ciphertext || tag: a random 12-byte nonce
 * (CSPRNG), the ciphertext as long as the message, a 16-byte tag.
 */
#ifndef MC_AEAD_H
#define MC_AEAD_H

#include <stddef.h>

#define AEAD_KEY_LEN 32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16
/* What sealing adds to a message's length. */
#define AEAD_OVERHEAD (AEAD_NONCE_LEN + AEAD_TAG_LEN)

/*
 * Seals len bytes of in (len may be 0) bound to aadlen bytes of aad: 0 and
 * *out (AEAD_OVERHEAD + len bytes in *outlen; caller frees, with
 * secret_free() if it likes), or -1 (nothing in *out).
 */
int aead_seal(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const void *in,
              size_t len, unsigned char **out, size_t *outlen);

/*
 * Opens what aead_seal() made with the same key and aad: 0 and *out (the
 * message, *outlen bytes and a NUL after them; caller frees, with
 * secret_free() since it is clear text), or -1 when it is too short, the tag
 * does not verify (another key, other aad, a changed byte) or on out of memory.
 */
int aead_open(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
              const unsigned char *in, size_t len, unsigned char **out, size_t *outlen);

#endif
