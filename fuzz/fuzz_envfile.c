/*
 * fuzz_envfile: conf.h's envfile_parse() (pure) on arbitrary text.
 *
 * Input: the env file's bytes.
 *
 * Properties: no crash, leak or undefined behaviour; every key matches
 * [A-Za-z_][A-Za-z0-9_]* and there are no more pairs than lines; a failure
 * names a line that exists (or 0 only when out of memory); and a round trip:
 * the pairs written back as KEY="value" lines (escaping '"', '\' and LF) parse
 * again to the same pairs in the same order, as do the same lines with
 * "export " in front and CRLF line ends.
 */
#include "conf.h"
#include "envfile.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

struct pairs {
	char **kv; /* key, value, key, value, ... (owned) */
	size_t n;  /* entries in kv */
	size_t cap;
};

static void pairs_free(struct pairs *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->kv[i]);
	free(p->kv);
	memset(p, 0, sizeof(*p));
}

static int key_ok(const char *k)
{
	if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
		return 0;
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_' ||
		      (*k >= '0' && *k <= '9')))
			return 0;
	return 1;
}

static int collect(void *arg, const char *key, const char *val)
{
	struct pairs *p = arg;
	char *k, *v;

	FUZZ_CHECK(key != NULL && val != NULL && key_ok(key));
	if (p->n + 2 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **kv = realloc(p->kv, cap * sizeof(*kv));

		if (kv == NULL)
			return 1;
		p->kv = kv;
		p->cap = cap;
	}
	k = strdup(key);
	v = strdup(val);
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return 1;
	}
	p->kv[p->n++] = k;
	p->kv[p->n++] = v;
	return 0;
}

/* Writes the pairs as env-file text (the caller frees), or NULL. */
static char *write_back(const struct pairs *p, int export, int crlf, size_t *len)
{
	size_t cap = 1, o = 0;
	char *s;

	for (size_t i = 0; i < p->n; i += 2)
		cap += 7 + strlen(p->kv[i]) + 4 + 2 * strlen(p->kv[i + 1]) + 2;
	s = malloc(cap);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < p->n; i += 2) {
		const char *v = p->kv[i + 1];
		size_t kl = strlen(p->kv[i]);

		if (export) {
			memcpy(s + o, "export ", 7);
			o += 7;
		}
		memcpy(s + o, p->kv[i], kl);
		o += kl;
		s[o++] = '=';
		s[o++] = '"';
		for (; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\') {
				s[o++] = '\\';
				s[o++] = *v;
			} else if (*v == '\n') {
				s[o++] = '\\';
				s[o++] = 'n';
			} else {
				s[o++] = *v;
			}
		}
		s[o++] = '"';
		if (crlf)
			s[o++] = '\r';
		s[o++] = '\n';
	}
	s[o] = '\0';
	*len = o;
	return s;
}

static void check_round_trip(const struct pairs *p, int export, int crlf)
{
	struct pairs q = {0};
	size_t len = 0;
	char *text = write_back(p, export, crlf, &len);
	int bad = -1;

	if (text == NULL)
		return;
	FUZZ_CHECK(envfile_parse(text, len, collect, &q, &bad) == 0 && bad == 0);
	FUZZ_CHECK(q.n == p->n);
	for (size_t i = 0; i < p->n; i++)
		FUZZ_CHECK(strcmp(p->kv[i], q.kv[i]) == 0);
	pairs_free(&q);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pairs p = {0};
	/* A heap copy of exactly the input, so ASan sees any read past its end. */
	char *text = malloc(size ? size : 1);
	size_t lines = 0;
	int bad = -1;
	int rc;

	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\n')
			lines++;
	if (size > 0 && text[size - 1] != '\n')
		lines++;

	rc = envfile_parse(text, size, collect, &p, &bad);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == 1);
	FUZZ_CHECK(p.n / 2 <= lines);
	if (rc == -1)
		FUZZ_CHECK(bad >= 1 && (size_t)bad <= lines);
	if (rc == 0) {
		FUZZ_CHECK(bad == 0);
		check_round_trip(&p, 0, 0);
		check_round_trip(&p, 1, 1);
	}
	pairs_free(&p);
	free(text);
	return 0;
}
