/*
 * client: who sent a request, for the per-address limits (limit.h) and the
 * audit trail (audit.h): the client's address and its user agent.
 *
 * The address is REMOTE_ADDR. Only when REMOTE_ADDR is one of
 * TRUSTED_PROXIES (IPs and CIDRs, IPv4 and IPv6) is X-Forwarded-For read:
 * the client is then its rightmost entry that is not itself a trusted proxy
 * (or, when every entry is one, the leftmost). Entries left of that one are
 * the client's own claims and are never looked at; a malformed entry met on
 * the way from the right means REMOTE_ADDR is used, so garbage is never
 * trusted. Addresses are normalized (inet_ntop; an IPv4-mapped IPv6 address
 * is written as IPv4).
 *
 * Budgets (limit.h) count by a key: an IPv4 address is its own key, an IPv6
 * address counts by its /64 ("2001:db8:1:2::/64"), the block one subscriber
 * gets, so rotating addresses inside it escapes nothing.
 *
 * X-Forwarded-For sent from a private, loopback or link-local REMOTE_ADDR that
 * is not in TRUSTED_PROXIES is almost always a proxy nobody told us about:
 * every client behind it would share one budget. client_resolve() flags it
 * (forwarded_ignored) so the program can warn (notice.h); the header is still
 * not read.
 */
#ifndef MC_CLIENT_H
#define MC_CLIENT_H

#include <stddef.h>

#define CLIENT_ADDR_MAX 46 /* INET6_ADDRSTRLEN */
#define CLIENT_KEY_MAX 50  /* an address, or an IPv6 network with "/64" */
#define CLIENT_UA_MAX 256  /* bytes of user agent kept */

struct client {
	char addr[CLIENT_ADDR_MAX];         /* normalized, "" when unknown */
	char key[CLIENT_KEY_MAX];           /* the budget key (see above), "" when unknown */
	char user_agent[CLIENT_UA_MAX + 1]; /* valid UTF-8, no control characters; "" when absent */
	int forwarded_ignored; /* X-Forwarded-For from an internal, untrusted REMOTE_ADDR */
};

/*
 * Checks a TRUSTED_PROXIES value: comma-separated IPv4 or IPv6 addresses or
 * CIDRs (blanks around entries allowed; NULL or only blanks is an empty
 * list). 0, or -1 with a line naming the setting in err.
 */
int client_proxies_check(const char *list, char *err, size_t errlen);

/*
 * Resolves the client from the raw values (each may be NULL) as the header
 * comment says; trusted is a list that client_proxies_check() accepted.
 * Pure: no I/O.
 */
void client_resolve(struct client *cl, const char *trusted, const char *remote_addr,
                    const char *forwarded_for, const char *user_agent);

#endif
