/*
 * fuzz-jwt.c: JWS compact tokens.
 *
 * The input is a token.  It is parsed, and when it parses, verified
 * against a fixed set of keys (an HMAC secret, an RSA and an EC public key)
 * under rules that take any algorithm.  A token that verifies must be one
 * of ours: its algorithm allowed by one of the keys, never "none"; an
 * unknown algorithm is refused as such.  Any crash, leak or broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "jwt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_keyset *keys;

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-jwt: %s\n", what);
	abort();
}

static void
setup(void)
{
	struct gw_key	*k;
	struct gw_err	 err;

	if ((keys = gw_keyset_new()) == NULL)
		fail("keyset");
	if (gw_key_from_secret("0123456789abcdef0123456789abcdef", 32, &k,
	    &err) == -1 || gw_key_set_kid(k, "h") == -1 ||
	    gw_keyset_add(keys, k) == -1)
		fail("hmac key");
	if (gw_key_generate("P-256", &k, &err) == -1 ||
	    gw_key_set_kid(k, "e") == -1 || gw_keyset_add(keys, k) == -1)
		fail("ec key");
	if (gw_key_generate("Ed25519", &k, &err) == -1 ||
	    gw_keyset_add(keys, k) == -1)
		fail("ed key");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_jwt		*t;
	struct gw_err		 err;
	struct gw_jwt_rules	 r;
	enum gw_jwt_why		 why;
	int			 alg;

	if (keys == NULL)
		setup();
	if (gw_jwt_parse((const char *)data, size, &t, &err) == -1) {
		if (err.code != GW_E_PROTO && err.code != GW_E_LIMIT &&
		    err.code != GW_E_NOMEM && err.code != GW_E_UNSUPPORTED)
			fail("a parse error of an unexpected kind");
		return 0;
	}
	if (gw_jwt_alg(t).p == NULL)
		fail("a parsed token without alg");
	memset(&r, 0, sizeof(r));
	r.leeway_s = 0;
	why = gw_jwt_verify(t, keys, 1700000000, &r, &err);
	alg = gw_alg_parse(gw_jwt_alg(t));
	if (why == GW_JWT_OK) {
		int allowed = 0;

		if (alg == -1)
			fail("verified with an unknown algorithm");
		for (size_t i = 0; i < gw_keyset_len(keys); i++)
			allowed |= gw_key_allows(gw_keyset_at(keys, i),
			    (enum gw_alg)alg);
		if (!allowed)
			fail("verified without a key for its algorithm");
	}
	if (alg == -1 && why != GW_JWT_ALG)
		fail("an unknown algorithm not refused as such");
	(void)gw_jwt_claims(t);
	(void)gw_jwt_payload(t);
	gw_jwt_free(t);
	return 0;
}
