/*
 * Unit tests of client: X-Forwarded-For counts only from a trusted proxy,
 * chains are read from the right, CIDRs match to the bit, garbage is never
 * trusted, an IPv6 client counts by its /64, X-Forwarded-For from an
 * internal address nobody trusted is flagged, and the user agent is cleaned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"

struct resolve_case {
	const char *trusted;
	const char *remote;
	const char *xff;
	const char *want;
};

static void check_cases(const struct resolve_case *cases, size_t n)
{
	struct client cl;

	for (size_t i = 0; i < n; i++) {
		client_resolve(&cl, cases[i].trusted, cases[i].remote, cases[i].xff, NULL);
		if (strcmp(cl.addr, cases[i].want) != 0)
			fail_msg("case %zu: trusted '%s' remote '%s' xff '%s': want '%s', got '%s'",
			         i, cases[i].trusted ? cases[i].trusted : "(null)",
			         cases[i].remote ? cases[i].remote : "(null)",
			         cases[i].xff ? cases[i].xff : "(null)", cases[i].want, cl.addr);
	}
}

static void forwarded_for_from_an_untrusted_address_is_ignored(void **state)
{
	static const struct resolve_case cases[] = {
	    {NULL, "203.0.113.7", "198.51.100.1", "203.0.113.7"},
	    {"", "203.0.113.7", "198.51.100.1", "203.0.113.7"},
	    {"10.0.0.1", "203.0.113.7", "198.51.100.1", "203.0.113.7"},
	    {"10.0.0.0/8", "11.0.0.1", "198.51.100.1", "11.0.0.1"},
	    {"::1", "127.0.0.1", "198.51.100.1", "127.0.0.1"},
	    {"127.0.0.1", "::1", "198.51.100.1", "::1"},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void a_trusted_proxy_gives_the_rightmost_untrusted_entry(void **state)
{
	static const struct resolve_case cases[] = {
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1", "198.51.100.1"},
	    {"10.0.0.1", "10.0.0.1", " 198.51.100.1 ", "198.51.100.1"},
	    /* The client's own claims left of the real entry are not used. */
	    {"10.0.0.1", "10.0.0.1", "1.1.1.1, 198.51.100.1", "198.51.100.1"},
	    {"10.0.0.0/8", "10.0.0.1", "1.1.1.1, 198.51.100.1, 10.2.3.4", "198.51.100.1"},
	    {"10.0.0.0/8, 192.0.2.9", "10.0.0.1", "198.51.100.1,192.0.2.9,10.9.9.9",
	     "198.51.100.1"},
	    /* Every entry trusted: the leftmost. */
	    {"10.0.0.0/8", "10.0.0.1", "10.1.1.1, 10.2.2.2", "10.1.1.1"},
	    /* No or an empty header: the proxy itself. */
	    {"10.0.0.1", "10.0.0.1", NULL, "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "", "10.0.0.1"},
	    /* Ports and brackets as some proxies write them. */
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1:4711", "198.51.100.1"},
	    {"10.0.0.1", "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"},
	    {"10.0.0.1", "10.0.0.1", "[2001:db8::1]", "2001:db8::1"},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void ipv6_addresses_are_normalized_and_matched(void **state)
{
	static const struct resolve_case cases[] = {
	    {NULL, "2001:DB8:0:0:0:0:0:1", NULL, "2001:db8::1"},
	    {NULL, "::ffff:192.0.2.5", NULL, "192.0.2.5"},
	    {NULL, "fe80::1%eth0", NULL, "fe80::1"},
	    {"2001:db8::/32", "2001:db8:ffff::1", "2001:db8:1::1, 2606:4700::1111",
	     "2606:4700::1111"},
	    {"::1", "::1", "2001:db8::7", "2001:db8::7"},
	    /* An IPv4-mapped REMOTE_ADDR matches an IPv4 proxy entry, and back. */
	    {"127.0.0.1", "::ffff:127.0.0.1", "198.51.100.1", "198.51.100.1"},
	    {"::ffff:10.0.0.0/104", "10.1.2.3", "198.51.100.1", "198.51.100.1"},
	    {"10.0.0.1", "10.0.0.1", "::ffff:198.51.100.1", "198.51.100.1"},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void cidr_edges_match_to_the_bit(void **state)
{
	static const struct resolve_case cases[] = {
	    {"192.168.1.0/24", "192.168.1.0", "198.51.100.1", "198.51.100.1"},
	    {"192.168.1.0/24", "192.168.1.255", "198.51.100.1", "198.51.100.1"},
	    {"192.168.1.0/24", "192.168.2.0", "198.51.100.1", "192.168.2.0"},
	    {"192.168.1.0/24", "192.168.0.255", "198.51.100.1", "192.168.0.255"},
	    {"10.0.0.0/9", "10.127.255.255", "198.51.100.1", "198.51.100.1"},
	    {"10.0.0.0/9", "10.128.0.0", "198.51.100.1", "10.128.0.0"},
	    {"0.0.0.0/0", "203.0.113.1", "198.51.100.1", "198.51.100.1"},
	    {"203.0.113.1/32", "203.0.113.1", "198.51.100.1", "198.51.100.1"},
	    {"203.0.113.1/32", "203.0.113.2", "198.51.100.1", "203.0.113.2"},
	    {"2001:db8::/127", "2001:db8::1", "198.51.100.1", "198.51.100.1"},
	    {"2001:db8::/127", "2001:db8::2", "198.51.100.1", "2001:db8::2"},
	    {"::/0", "2001:db8::2", "198.51.100.1", "198.51.100.1"},
	    /* Families never match each other. */
	    {"0.0.0.0/0", "2001:db8::2", "198.51.100.1", "2001:db8::2"},
	    {"::/0", "203.0.113.1", "198.51.100.1", "203.0.113.1"},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void garbage_falls_back_to_remote_addr(void **state)
{
	static const struct resolve_case cases[] = {
	    {"10.0.0.1", "10.0.0.1", "garbage", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "unknown", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1, garbage", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1,", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1, , 10.0.0.1", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "1.2.3", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "256.1.1.1", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1:99999999", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "[198.51.100.1]", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1\r\nX: y", "10.0.0.1"},
	    {"10.0.0.1", "10.0.0.1", "198.51.100.1/8", "10.0.0.1"},
	    /* Garbage left of the client's entry is the client's own claim. */
	    {"10.0.0.1", "10.0.0.1", "garbage, 198.51.100.1", "198.51.100.1"},
	    /* An unparsable REMOTE_ADDR: no known address. */
	    {NULL, "not an address", NULL, ""},
	    {NULL, NULL, "198.51.100.1", ""},
	    {NULL, "", NULL, ""},
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void trusted_proxies_are_validated(void **state)
{
	static const char *const good[] = {
	    NULL,
	    "",
	    "  ",
	    "127.0.0.1",
	    "10.0.0.0/8, 192.168.0.0/16",
	    "::1",
	    "2001:db8::/32,10.0.0.1",
	    "0.0.0.0/0",
	    "::/0",
	};
	static const char *const bad[] = {
	    "localhost",  "10.0.0.0/33", "::/129", "10.0.0.1,",         ",10.0.0.1",    "10.0.0.0/",
	    "10.0.0.0/x", "10.0.0.0/-1", "1.2.3",  "10.0.0.1 10.0.0.2", "fe80::1%eth0",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (client_proxies_check(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i] ? good[i] : "(null)", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (client_proxies_check(bad[i], err, sizeof(err)) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "TRUSTED_PROXIES"));
	}
}

static void the_user_agent_is_bounded_and_clean(void **state)
{
	struct client cl;
	char long_ua[1000];

	(void)state;
	client_resolve(&cl, NULL, "127.0.0.1", NULL, "curl/8.0\r\nX-Evil: 1\x7f\x01 ok");
	assert_string_equal(cl.user_agent, "curl/8.0X-Evil: 1 ok");
	/* Invalid UTF-8 dropped, valid kept; C1 controls dropped. */
	client_resolve(&cl, NULL, "127.0.0.1", NULL, "caf\xc3\xa9 \xff\xc3 \xc2\x85x \xe2\x82\xac");
	assert_string_equal(cl.user_agent, "caf\xc3\xa9  x \xe2\x82\xac");
	client_resolve(&cl, NULL, "127.0.0.1", NULL, NULL);
	assert_string_equal(cl.user_agent, "");
	/* Truncated to the bound, never inside a character. */
	memset(long_ua, 'a', sizeof(long_ua) - 1);
	long_ua[sizeof(long_ua) - 1] = '\0';
	client_resolve(&cl, NULL, "127.0.0.1", NULL, long_ua);
	assert_int_equal(strlen(cl.user_agent), CLIENT_UA_MAX);
	long_ua[CLIENT_UA_MAX - 1] = '\xc3';
	long_ua[CLIENT_UA_MAX] = '\xa9';
	client_resolve(&cl, NULL, "127.0.0.1", NULL, long_ua);
	assert_int_equal(strlen(cl.user_agent), CLIENT_UA_MAX - 1);
}

/* The budget key: an IPv4 address as it is, an IPv6 address by its /64. */
static void the_budget_key_is_the_ipv4_address_or_the_ipv6_64(void **state)
{
	static const struct {
		const char *trusted, *remote, *xff, *key;
	} cases[] = {
	    {NULL, "203.0.113.7", NULL, "203.0.113.7"},
	    {NULL, "2001:db8:1:2:3:4:5:6", NULL, "2001:db8:1:2::/64"},
	    {NULL, "2001:db8:1:2:ffff:ffff:ffff:ffff", NULL, "2001:db8:1:2::/64"},
	    {NULL, "2001:db8:1:3::1", NULL, "2001:db8:1:3::/64"},
	    {NULL, "::ffff:198.51.100.1", NULL, "198.51.100.1"},
	    {NULL, "::1", NULL, "::/64"},
	    /* From a trusted proxy's header too. */
	    {"10.0.0.1", "10.0.0.1", "2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"},
	    {"10.0.0.1", "10.0.0.1", "[2001:db8:aa:bb::9]:443", "2001:db8:aa:bb::/64"},
	    {NULL, NULL, NULL, ""},
	    {NULL, "garbage", NULL, ""},
	};
	struct client cl;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		client_resolve(&cl, cases[i].trusted, cases[i].remote, cases[i].xff, NULL);
		if (strcmp(cl.key, cases[i].key) != 0)
			fail_msg("case %zu: remote '%s': want key '%s', got '%s'", i,
			         cases[i].remote ? cases[i].remote : "(null)", cases[i].key,
			         cl.key);
	}
	/* Two addresses of one /64 share a key and keep their own address. */
	client_resolve(&cl, NULL, "2001:db8:5:6::a", NULL, NULL);
	assert_string_equal(cl.addr, "2001:db8:5:6::a");
	assert_string_equal(cl.key, "2001:db8:5:6::/64");
}

/* X-Forwarded-For from a private, loopback or link-local REMOTE_ADDR not trusted. */
static void forwarded_for_from_an_internal_untrusted_address_is_flagged(void **state)
{
	static const struct {
		const char *trusted, *remote, *xff;
		int flagged;
	} cases[] = {
	    {NULL, "10.1.2.3", "198.51.100.1", 1},
	    {NULL, "172.16.0.1", "198.51.100.1", 1},
	    {NULL, "172.31.255.255", "198.51.100.1", 1},
	    {NULL, "192.168.1.1", "198.51.100.1", 1},
	    {NULL, "127.0.0.1", "198.51.100.1", 1},
	    {NULL, "169.254.1.1", "198.51.100.1", 1},
	    {NULL, "100.64.0.1", "198.51.100.1", 1},
	    {NULL, "::1", "198.51.100.1", 1},
	    {NULL, "fe80::1", "198.51.100.1", 1},
	    {NULL, "fd00::1", "198.51.100.1", 1},
	    {"192.0.2.1", "10.1.2.3", "198.51.100.1", 1},
	    /* Public, trusted, or no header: nothing to say. */
	    {NULL, "203.0.113.7", "198.51.100.1", 0},
	    {NULL, "172.32.0.1", "198.51.100.1", 0},
	    {NULL, "100.128.0.1", "198.51.100.1", 0},
	    {NULL, "2001:db8::1", "198.51.100.1", 0},
	    {"10.0.0.0/8", "10.1.2.3", "198.51.100.1", 0},
	    {NULL, "10.1.2.3", NULL, 0},
	    {NULL, "10.1.2.3", "", 0},
	};
	struct client cl;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		client_resolve(&cl, cases[i].trusted, cases[i].remote, cases[i].xff, NULL);
		if (cl.forwarded_ignored != cases[i].flagged)
			fail_msg("case %zu: remote '%s': want flagged %d", i, cases[i].remote,
			         cases[i].flagged);
		/* Flagged or not, an untrusted sender's header is never read. */
		if (cases[i].trusted == NULL && strcmp(cl.addr, cases[i].remote) != 0)
			fail_msg("case %zu: the header moved the client to %s", i, cl.addr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(forwarded_for_from_an_untrusted_address_is_ignored),
	    cmocka_unit_test(a_trusted_proxy_gives_the_rightmost_untrusted_entry),
	    cmocka_unit_test(ipv6_addresses_are_normalized_and_matched),
	    cmocka_unit_test(cidr_edges_match_to_the_bit),
	    cmocka_unit_test(garbage_falls_back_to_remote_addr),
	    cmocka_unit_test(trusted_proxies_are_validated),
	    cmocka_unit_test(the_user_agent_is_bounded_and_clean),
	    cmocka_unit_test(the_budget_key_is_the_ipv4_address_or_the_ipv6_64),
	    cmocka_unit_test(forwarded_for_from_an_internal_untrusted_address_is_flagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
