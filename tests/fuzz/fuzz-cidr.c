/*
 * fuzz-cidr.c: CIDR lists and IP addresses.
 *
 * The input is a list.  When it parses, each address of a fixed set is
 * matched against it, and against the list written again through
 * inet_ntop-free means (each entry parsed alone): a list matches an
 * address exactly when one of its entries does.  The input is also read
 * as one address.  Any crash or broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "err.h"
#include "gw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-cidr: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*probes[] = { "0.0.0.0", "10.1.2.3",
	    "127.0.0.1", "255.255.255.255", "::", "::1", "2001:db8::1",
	    "fe80::1", "::ffff:10.1.2.3", "ffff:ffff:ffff:ffff:ffff:ffff:"
	    "ffff:ffff" };
	struct gw_cidrs		*c;
	struct gw_err		 err;
	struct gw_ipaddr	 a;
	const char		*p = (const char *)data;

	(void)gw_ipaddr_parse(gw_str_make(p, size), &a);
	if (gw_cidrs_parse(p, size, &c, &err) == -1) {
		if (err.code != GW_E_PROTO && err.code != GW_E_LIMIT &&
		    err.code != GW_E_NOMEM)
			fail("an error of an unexpected kind");
		return 0;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int		 whole, any = 0;
		size_t		 s = 0;

		if (gw_ipaddr_parse(gw_str_cstr(probes[i]), &a) == -1)
			fail("a probe does not parse");
		whole = gw_cidrs_match(c, &a);
		/* entry by entry */
		for (size_t k = 0; k <= size && !any; k++)
			if (k == size || memchr(", \t\r\n#", p[k], 6) != NULL) {
				struct gw_cidrs *one;

				if (k > s && gw_cidrs_parse(p + s, k - s, &one,
				    &err) == 0) {
					any = gw_cidrs_match(one, &a);
					gw_cidrs_free(one);
				}
				if (k < size && p[k] == '#')
					while (k + 1 < size && p[k + 1] != '\n')
						k++;
				s = k + 1;
			}
		if (whole != any)
			fail("the list and its entries disagree");
	}
	gw_cidrs_free(c);
	return 0;
}
