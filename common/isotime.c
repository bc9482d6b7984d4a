#include "isotime.h"

#include <string.h>

/* n decimal digits at s into *v. 0, or -1. */
static int isotime_digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
static int64_t isotime_days(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int isotime_month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int isotime_parse(const char *s, int64_t *out)
{
	size_t len;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len > 0 && len <= 12 && strspn(s, "0123456789") == len) {
		int64_t v = 0;

		for (size_t i = 0; i < len; i++)
			v = v * 10 + (s[i] - '0');
		*out = v;
		return 0;
	}
	if (len < 10 || isotime_digits(s, 4, &y) != 0 || s[4] != '-' ||
	    isotime_digits(s + 5, 2, &mo) != 0 || s[7] != '-' || isotime_digits(s + 8, 2, &d) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > isotime_month_days(y, mo))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (isotime_digits(p + 1, 2, &h) != 0 || p[3] != ':' ||
		    isotime_digits(p + 4, 2, &mi) != 0)
			return -1;
		p += 6;
		if (*p == ':') {
			if (isotime_digits(p + 1, 2, &sec) != 0)
				return -1;
			p += 3;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if (isotime_digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
			    isotime_digits(p + 4, 2, &om) != 0 || oh > 23 || om > 59)
				return -1;
			p += 6;
		} else {
			return -1;
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*out = isotime_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return 0;
}
