/*
 * mail_seal: a composed message sealed for the outbox (aead.h, AES-256-GCM
 * under conf_keys()->outbox, bound to the label "medicalcare-outbox-v1"), so
 * a queued mail (a code, a reset link) is not readable from the database alone.
 */
#ifndef MC_MAIL_SEAL_H
#define MC_MAIL_SEAL_H

#include <stddef.h>

/* aead_seal() of the message: out = nonce || ciphertext || tag. 0 and *out (caller frees), or -1 (logged). */
int mail_seal(const unsigned char key[32], const void *in, size_t len, unsigned char **out,
              size_t *outlen);
/* The reverse; -1 when the tag does not verify. *out is NUL-terminated; caller frees. */
int mail_unseal(const unsigned char key[32], const unsigned char *in, size_t len, char **out,
                size_t *outlen);

#endif
