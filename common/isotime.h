/*
 * isotime: a point in time written by an operator in a setting
 * (LEGACY_TOKENS_UNTIL): Unix seconds, or ISO 8601 in UTC or with an offset.
 * Pure, no I/O.
 */
#ifndef MC_ISOTIME_H
#define MC_ISOTIME_H

#include <stdint.h>

/*
 * Parses s into seconds since the epoch: "1767225600" (digits only, at most
 * 12), "2026-12-31" (midnight UTC), "2026-12-31T23:59:59Z",
 * "2026-12-31T23:59:59+01:00" (a space may replace the T; seconds may be
 * left out; fractions of a second are not taken). 0 and *out, or -1 for
 * anything else (an impossible date or time included).
 */
int isotime_parse(const char *s, int64_t *out);

#endif
