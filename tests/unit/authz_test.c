/*
 * authz_test.c: addresses and CIDR lists.
 */
#include <stdio.h>
#include <string.h>

#include "authz.h"
#include "err.h"
#include "tap.h"

static int
in(const struct gw_cidrs *c, const char *addr)
{
	struct gw_ipaddr a;

	if (gw_ipaddr_parse(gw_str_cstr(addr), &a) == -1)
		return -1;
	return gw_cidrs_match(c, &a);
}

int
main(void)
{
	struct gw_cidrs		*c;
	struct gw_err		 err = { 0 };
	struct gw_ipaddr	 a, b;
	const char		*list = "10.0.0.0/8, 192.168.1.7\n"
	    "2001:db8::/32 # documentation\n fe80::1/128,0.0.0.0/32";
	static const char	*bad[] = {
		"10.0.0.0/33", "10.0.0.1/8", "2001:db8::/129", "300.1.1.1",
		"10.0.0.0/", "10.0.0.0/-1", "/8", "::1/1x", "example.com",
		"10.0.0.0/08x", "1.2.3.4/32/1",
	};

	ok(gw_ipaddr_parse(GW_STR("192.0.2.1"), &a) == 0 &&
	    gw_ipaddr_parse(GW_STR("::ffff:192.0.2.1"), &b) == 0 &&
	    memcmp(&a, &b, sizeof(a)) == 0, "IPv4 and IPv4-mapped are one");
	ok(gw_ipaddr_parse(GW_STR("2001:db8::1"), &a) == 0, "IPv6");
	ok(gw_ipaddr_parse(GW_STR("[::1]"), &a) == -1 &&
	    gw_ipaddr_parse(GW_STR("1.2.3.4:80"), &a) == -1 &&
	    gw_ipaddr_parse(GW_STR("unix"), &a) == -1 &&
	    gw_ipaddr_parse(GW_STR(""), &a) == -1 &&
	    gw_ipaddr_parse(GW_STR("::\0garbage"), &a) == -1,
	    "not addresses (nor one with a NUL in it)");

	ok(gw_cidrs_parse(list, strlen(list), &c, &err) == 0, "a list: %s",
	    err.msg);
	is_int(gw_cidrs_len(c), 5, "five networks");
	is_int(in(c, "10.1.2.3"), 1, "10.1.2.3 in 10/8");
	is_int(in(c, "11.0.0.0"), 0, "11.0.0.0 not");
	is_int(in(c, "9.255.255.255"), 0, "9.255.255.255 not");
	is_int(in(c, "192.168.1.7"), 1, "an address alone");
	is_int(in(c, "192.168.1.8"), 0, "its neighbour not");
	is_int(in(c, "::ffff:10.9.9.9"), 1, "IPv4-mapped in 10/8");
	is_int(in(c, "2001:db8:ffff::1"), 1, "in 2001:db8::/32");
	is_int(in(c, "2001:db9::1"), 0, "2001:db9:: not");
	is_int(in(c, "fe80::1"), 1, "fe80::1/128");
	is_int(in(c, "fe80::2"), 0, "fe80::2 not");
	is_int(in(c, "0.0.0.0"), 1, "0.0.0.0/32");
	gw_cidrs_free(c);

	ok(gw_cidrs_parse("0.0.0.0/0", 9, &c, &err) == 0 &&
	    in(c, "1.2.3.4") == 1 && in(c, "2001:db8::1") == 0,
	    "0.0.0.0/0 is every IPv4 address, no IPv6 one");
	gw_cidrs_free(c);
	ok(gw_cidrs_parse("::/0", 4, &c, &err) == 0 &&
	    in(c, "1.2.3.4") == 1 && in(c, "2001:db8::1") == 1,
	    "::/0 is everything");
	gw_cidrs_free(c);
	ok(gw_cidrs_parse("10.128.0.0/9", 12, &c, &err) == 0 &&
	    in(c, "10.128.0.1") == 1 && in(c, "10.127.255.255") == 0,
	    "a prefix that is not a multiple of 8");
	gw_cidrs_free(c);
	ok(gw_cidrs_parse(" # nothing\n", 11, &c, &err) == 0 &&
	    gw_cidrs_len(c) == 0 && in(c, "1.2.3.4") == 0, "an empty list");
	gw_cidrs_free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		ok(gw_cidrs_parse(bad[i], strlen(bad[i]), &c, &err) == -1 &&
		    c == NULL, "bad entry %zu refused: %s", i, err.msg);
	}
	return done_testing();
}
