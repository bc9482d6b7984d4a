/*
 * names: the closest name to a misspelt one (names.h).
 */
#include "names.h"

#include <string.h>

static int lower_ascii(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Levenshtein distance of a and b ignoring ASCII case, capped at 64 characters each. */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 64), lb = strnlen(b, 64);
	size_t row[65];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (lower_ascii(a[i - 1]) != lower_ascii(b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *names_closest(const char *name, const char *(*at)(size_t i), size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t limit = strlen(name) < 12 ? 2 : 3;

	for (size_t i = 0; i < n; i++) {
		const char *cand = at(i);
		size_t d;

		if (cand == NULL)
			continue;
		d = name_distance(name, cand);
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best_d <= limit ? best : NULL;
}
