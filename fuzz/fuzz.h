/*
 * fuzz: small helpers shared by the libFuzzer harnesses in fuzz/ (one
 * fuzz_<name>.c per target, built by `make fuzz-build` into build/fuzz/).
 *
 * FUZZ_CHECK(cond) is the harnesses' assertion: a property that does not hold
 * prints the condition and aborts, which libFuzzer reports as a crash and
 * saves the input. fuzz_line() cuts the input into LF-terminated fields, the
 * framing most harnesses use so that seeds stay readable.
 */
#ifndef MC_FUZZ_H
#define MC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/*
 * Takes the next field of (*data, *size): the bytes up to the next LF (not
 * included), or all that is left. Advances past the LF. Returns a NUL-terminated
 * copy (the caller frees; it ends at the first NUL byte of the field, as an
 * environment variable would), or NULL when out of memory. *len gets the
 * field's length in bytes, NULs included.
 */
static inline char *fuzz_line(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl != NULL ? (size_t)(nl - *data) : *size;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, *data, n);
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	*data += nl != NULL ? n + 1 : n;
	*size -= nl != NULL ? n + 1 : n;
	return s;
}

/* A copy of data[0..size) with a NUL after it (the caller frees), or NULL. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
