/*
 * mail_seal: the outbox's use of aead.h (mail_seal.h).
 */
#include "mail_seal.h"

#include "aead.h"
#include "log.h"

/* The associated data of every sealed mail (without its NUL). */
static const char mail_seal_aad[] = "medicalcare-outbox-v1";

int mail_seal(const unsigned char key[32], const void *in, size_t len, unsigned char **out,
              size_t *outlen)
{
	if (aead_seal(key, mail_seal_aad, sizeof(mail_seal_aad) - 1, in, len, out, outlen) != 0) {
		log_error("could not seal a mail message");
		return -1;
	}
	return 0;
}

int mail_unseal(const unsigned char key[32], const unsigned char *in, size_t len, char **out,
                size_t *outlen)
{
	unsigned char *o = NULL;

	*out = NULL;
	if (aead_open(key, mail_seal_aad, sizeof(mail_seal_aad) - 1, in, len, &o, outlen) != 0)
		return -1;
	*out = (char *)o;
	return 0;
}
