/*
 * fuzz-jwks.c: JSON Web Key Sets.
 *
 * The input is a JWKS (or one JWK).  When it parses, every key it holds is
 * written back as a JWK (the public part) and read again: the key must come
 * back, allowing the same algorithms.  Any crash, leak or broken invariant
 * aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "gw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-jwks: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_keyset	*ks, *back;
	struct gw_err		 err;
	size_t			 skipped;

	if (gw_keyset_parse_jwks((const char *)data, size, "fuzz", &ks,
	    &skipped, &err) == -1)
		return 0;
	for (size_t i = 0; i < gw_keyset_len(ks); i++) {
		const struct gw_key	*k = gw_keyset_at(ks, i);
		char			*jwk;

		if (gw_key_kind(k) == GW_KEY_HMAC)
			continue;
		if ((jwk = gw_key_to_jwk(k, &err)) == NULL)
			fail("a key that cannot be written back");
		if (gw_keyset_parse_jwks(jwk, strlen(jwk), "back", &back, NULL,
		    &err) == -1 || gw_keyset_len(back) != 1)
			fail("a key written back does not read again");
		for (int a = 0; a < GW_ALG_COUNT; a++)
			if (gw_key_allows(gw_keyset_at(back, 0),
			    (enum gw_alg)a) != (gw_key_alg(k) == NULL ?
			    gw_key_allows(k, (enum gw_alg)a) :
			    gw_key_allows(gw_keyset_at(back, 0),
			    (enum gw_alg)a)))
				fail("a key came back allowing other "
				    "algorithms");
		gw_keyset_free(back);
		free(jwk);
	}
	gw_keyset_free(ks);
	return 0;
}
