#include "hex.h"

#include <stdlib.h>
#include <string.h>

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(in);
	unsigned char *o;

	*out = NULL;
	if (n % 2 != 0)
		return -1;
	o = malloc(n / 2 + 1);
	if (o == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(o);
			return -1;
		}
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = o;
	*outlen = n / 2;
	return 0;
}
