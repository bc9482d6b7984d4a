#include "secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void secret_free_str(char *s)
{
	if (s != NULL)
		secret_free(s, strlen(s));
}
