#include "client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address: family 4 (first 4 bytes used) or 6. */
struct ip {
	int family;
	unsigned char b[16];
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trims blanks off s[0..*n): returns the new start, *n updated. */
static const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && is_blank(s[0])) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address. */
static void ip_unmap(struct ip *ip)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (ip->family == 6 && memcmp(ip->b, prefix, sizeof(prefix)) == 0) {
		memmove(ip->b, ip->b + 12, 4);
		memset(ip->b + 4, 0, 12);
		ip->family = 4;
	}
}

/* Parses exactly s[0..n) as a plain IPv4 or IPv6 address. 0, or -1. */
static int ip_parse(const char *s, size_t n, struct ip *out)
{
	char buf[CLIENT_ADDR_MAX];

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1) {
		out->family = 6;
		ip_unmap(out);
		return 0;
	}
	return -1;
}

/* 1 if port text s[0..n) is 1 to 5 digits. */
static int is_port(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Parses one X-Forwarded-For entry s[0..n) (blanks trimmed): an IPv4 or IPv6
 * address, "[IPv6]", "[IPv6]:port" or "IPv4:port". 0, or -1.
 */
static int xff_entry_parse(const char *s, size_t n, struct ip *out)
{
	const char *colon;

	s = trim(s, &n);
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t rest;

		if (close == NULL)
			return -1;
		rest = n - (size_t)(close + 1 - s);
		if (rest != 0 && (close[1] != ':' || !is_port(close + 2, rest - 1)))
			return -1;
		/* Only IPv6 goes in brackets ([::ffff:a.b.c.d] comes out as IPv4). */
		if (memchr(s + 1, ':', (size_t)(close - s - 1)) == NULL)
			return -1;
		return ip_parse(s + 1, (size_t)(close - s - 1), out);
	}
	colon = memchr(s, ':', n);
	if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) == NULL) {
		/* One colon: IPv4 with a port. */
		if (!is_port(colon + 1, n - (size_t)(colon + 1 - s)))
			return -1;
		if (ip_parse(s, (size_t)(colon - s), out) != 0 || out->family != 4)
			return -1;
		return 0;
	}
	return ip_parse(s, n, out);
}

/* Parses a proxy entry s[0..n): an address, or an address "/" prefix length. 0, or -1. */
static int cidr_parse(const char *s, size_t n, struct ip *net, int *bits)
{
	const char *slash;
	char *end = NULL;
	char pbuf[8];
	size_t plen;
	long v;

	s = trim(s, &n);
	slash = memchr(s, '/', n);
	if (slash == NULL) {
		if (ip_parse(s, n, net) != 0)
			return -1;
		*bits = net->family == 4 ? 32 : 128;
		return 0;
	}
	plen = n - (size_t)(slash + 1 - s);
	if (plen == 0 || plen >= sizeof(pbuf))
		return -1;
	memcpy(pbuf, slash + 1, plen);
	pbuf[plen] = '\0';
	if (pbuf[0] < '0' || pbuf[0] > '9')
		return -1;
	v = strtol(pbuf, &end, 10);
	if (*end != '\0')
		return -1;
	memset(net, 0, sizeof(*net));
	{
		char abuf[CLIENT_ADDR_MAX];
		size_t alen = (size_t)(slash - s);

		if (alen == 0 || alen >= sizeof(abuf))
			return -1;
		memcpy(abuf, s, alen);
		abuf[alen] = '\0';
		if (inet_pton(AF_INET, abuf, net->b) == 1) {
			net->family = 4;
			if (v > 32)
				return -1;
		} else if (inet_pton(AF_INET6, abuf, net->b) == 1) {
			net->family = 6;
			if (v > 128)
				return -1;
			/* ::ffff:0:0/96 and narrower cover IPv4 addresses. */
			if (v >= 96) {
				struct ip m = *net;

				ip_unmap(&m);
				if (m.family == 4) {
					*net = m;
					v -= 96;
				}
			}
		} else {
			return -1;
		}
	}
	*bits = (int)v;
	return 0;
}

/* 1 if ip is inside net/bits. */
static int cidr_has(const struct ip *net, int bits, const struct ip *ip)
{
	int full = bits / 8, rest = bits % 8;

	if (net->family != ip->family)
		return 0;
	if (memcmp(net->b, ip->b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->b[full] ^ ip->b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * Walks the comma-separated list: for each entry calls parse; with match,
 * returns 1 as soon as an entry holds *match. Returns 0 (no match, or a
 * valid list), or -1 at the first malformed entry.
 */
static int proxies_walk(const char *list, const struct ip *match)
{
	const char *p = list;
	size_t n;

	if (list == NULL)
		return 0;
	n = strlen(list);
	list = trim(list, &n);
	if (n == 0)
		return 0;
	p = list;
	for (;;) {
		const char *comma = memchr(p, ',', n - (size_t)(p - list));
		size_t len = comma != NULL ? (size_t)(comma - p) : n - (size_t)(p - list);
		struct ip net;
		int bits;

		if (cidr_parse(p, len, &net, &bits) != 0)
			return -1;
		if (match != NULL && cidr_has(&net, bits, match))
			return 1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

int client_proxies_check(const char *list, char *err, size_t errlen)
{
	if (proxies_walk(list, NULL) != 0) {
		snprintf(err, errlen,
		         "TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDRs");
		return -1;
	}
	return 0;
}

static void ip_format(const struct ip *ip, char *out, size_t outlen)
{
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->b, out, (socklen_t)outlen) == NULL)
		out[0] = '\0';
}

/* REMOTE_ADDR, with a zone ("fe80::1%eth0") dropped. 0, or -1. */
static int remote_parse(const char *s, struct ip *out)
{
	size_t n;
	const char *pct;

	if (s == NULL)
		return -1;
	n = strlen(s);
	pct = memchr(s, '%', n);
	if (pct != NULL)
		n = (size_t)(pct - s);
	s = trim(s, &n);
	return ip_parse(s, n, out);
}

/*
 * The client from a trusted proxy's X-Forwarded-For: 0 and *out, or -1 when
 * it is absent, empty or a malformed entry comes first from the right.
 */
static int xff_client(const char *trusted, const char *xff, struct ip *out)
{
	size_t end;
	struct ip ip;

	if (xff == NULL)
		return -1;
	end = strlen(xff);
	for (;;) {
		size_t start = end;

		while (start > 0 && xff[start - 1] != ',')
			start--;
		if (xff_entry_parse(xff + start, end - start, &ip) != 0)
			return -1;
		if (proxies_walk(trusted, &ip) != 1 || start == 0) {
			*out = ip; /* not a proxy, or the leftmost entry */
			return 0;
		}
		end = start - 1;
	}
}

/* Copies user agent s into out: valid UTF-8 only, no control characters, at most max bytes. */
static void ua_clean(const char *s, char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	out[0] = '\0';
	if (s == NULL)
		return;
	while (*p != '\0') {
		unsigned int cp;
		size_t len, i;

		if (p[0] < 0x80) {
			cp = p[0];
			len = 1;
		} else if ((p[0] & 0xe0) == 0xc0) {
			cp = p[0] & 0x1fu;
			len = 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			cp = p[0] & 0x0fu;
			len = 3;
		} else if ((p[0] & 0xf8) == 0xf0) {
			cp = p[0] & 0x07u;
			len = 4;
		} else {
			p++; /* a stray continuation or invalid lead byte */
			continue;
		}
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (p[i] & 0x3fu);
		}
		if (i < len) {
			p += i; /* truncated sequence: dropped */
			continue;
		}
		p += len;
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			continue; /* overlong, surrogate or out of range */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			continue; /* control characters */
		if (o + len > max)
			break;
		memcpy(out + o, p - len, len);
		o += len;
	}
	out[o] = '\0';
}

/*
 * 1 if ip is private (RFC 1918, RFC 6598 shared space, IPv6 unique local),
 * loopback or link-local: where a proxy in front of this server would be.
 */
static int ip_is_internal(const struct ip *ip)
{
	const unsigned char *b = ip->b;

	if (ip->family == 4)
		return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
		       (b[0] == 100 && (b[1] & 0xc0) == 64);
	if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return 1; /* fc00::/7, fe80::/10 */
	for (int i = 0; i < 15; i++)
		if (b[i] != 0)
			return 0;
	return b[15] == 1; /* ::1 */
}

/* Writes ip's budget key: the IPv4 address, or the IPv6 /64 network. */
static void ip_key(const struct ip *ip, char *out, size_t outlen)
{
	struct ip net = *ip;
	char buf[CLIENT_ADDR_MAX];

	out[0] = '\0';
	if (ip->family == 4) {
		ip_format(ip, out, outlen);
		return;
	}
	memset(net.b + 8, 0, 8);
	ip_format(&net, buf, sizeof(buf));
	if (buf[0] != '\0' && (size_t)snprintf(out, outlen, "%s/64", buf) >= outlen)
		out[0] = '\0';
}

void client_resolve(struct client *cl, const char *trusted, const char *remote_addr,
                    const char *forwarded_for, const char *user_agent)
{
	struct ip remote, fwd;
	const struct ip *who = &remote;

	memset(cl, 0, sizeof(*cl));
	ua_clean(user_agent, cl->user_agent, CLIENT_UA_MAX);
	if (remote_parse(remote_addr, &remote) != 0)
		return; /* unknown: no per-address limit */
	if (proxies_walk(trusted, &remote) == 1) {
		if (xff_client(trusted, forwarded_for, &fwd) == 0)
			who = &fwd;
	} else if (forwarded_for != NULL && forwarded_for[0] != '\0' && ip_is_internal(&remote)) {
		cl->forwarded_ignored = 1;
	}
	ip_format(who, cl->addr, sizeof(cl->addr));
	ip_key(who, cl->key, sizeof(cl->key));
}
