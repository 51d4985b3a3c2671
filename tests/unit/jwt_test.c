/*
 * jwt_test.c: parsing and verifying tokens, and every way one is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "json.h"
#include "jwt.h"
#include "tap.h"
#include "test-keys.h"

#define NOW	1700000000

static struct gw_keyset *keys;
static struct gw_key *rsa, *hmac, *ec;

/* Verify token text with rules r: the reason. */
static enum gw_jwt_why
check(const char *tok, const struct gw_jwt_rules *r, const struct gw_keyset *ks)
{
	struct gw_jwt	*t;
	struct gw_err	 err = { 0 };
	enum gw_jwt_why	 why;

	if (gw_jwt_parse(tok, strlen(tok), &t, &err) == -1)
		return GW_JWT_MALFORMED;
	why = gw_jwt_verify(t, ks, NOW, r, &err);
	gw_jwt_free(t);
	return why;
}

static char *
make(const struct gw_key *k, enum gw_alg alg, const char *kid,
    const char *payload)
{
	struct gw_err	 err = { 0 };
	char		*t = gw_jwt_sign(k, alg, kid, payload, &err);

	if (t == NULL)
		printf("# cannot sign: %s\n", err.msg);
	return t;
}

/* The example of RFC 7515, appendix A.1. */
static void
test_rfc7515(void)
{
	const char *tok = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	const char *jwk = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKO"
	    "bwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
	struct gw_keyset	*ks;
	struct gw_jwt		*t;
	struct gw_err		 err = { 0 };
	struct gw_jwt_rules	 r;
	char			 joe[] = "joe", *iss[] = { joe };

	memset(&r, 0, sizeof(r));
	ok(gw_keyset_parse_jwks(jwk, strlen(jwk), "jwk", &ks, NULL, &err) == 0,
	    "the RFC 7515 key");
	ok(gw_jwt_parse(tok, strlen(tok), &t, &err) == 0, "the RFC 7515 token "
	    "parses");
	ok(gw_str_eq(gw_jwt_alg(t), GW_STR("HS256")) &&
	    gw_jwt_kid(t).p == NULL, "alg HS256, no kid");
	r.issuers = iss;
	r.nissuers = 1;
	is_int(gw_jwt_verify(t, ks, 1300819379, &r, &err), GW_JWT_OK,
	    "it verifies a second before it expires");
	is_int(gw_jwt_verify(t, ks, 1300819380, &r, &err), GW_JWT_EXPIRED,
	    "and is expired at exp");
	r.leeway_s = 60;
	is_int(gw_jwt_verify(t, ks, 1300819430, &r, &err), GW_JWT_OK,
	    "leeway takes it 50 s late");
	gw_jwt_free(t);
	gw_keyset_free(ks);
}

static void
test_refusals(void)
{
	struct gw_jwt_rules	 r;
	char			 i0[] = "https://idp.example", a0[] = "shop";
	char			 a1[] = "api", s0[] = "sub";
	char			*iss[] = { i0 }, *aud[] = { a0, a1 };
	char			*req[] = { s0 };
	char			*t, buf[4096];
	struct gw_keyset	*only_rsa;
	struct gw_err		 err = { 0 };
	struct gw_key		*pub;
	char			*pem;
	const char		*good = "{\"sub\":\"alice\",\"iss\":"
	    "\"https://idp.example\",\"aud\":[\"x\",\"shop\"],\"exp\":1700000100,"
	    "\"nbf\":1699999900,\"iat\":1699999900}";

	memset(&r, 0, sizeof(r));
	r.issuers = iss;
	r.nissuers = 1;
	r.audiences = aud;
	r.naudiences = 2;
	r.required = req;
	r.nrequired = 1;
	r.require_exp = 1;

	t = make(rsa, GW_ALG_RS256, "r1", good);
	is_int(check(t, &r, keys), GW_JWT_OK, "RS256 with kid: ok");
	free(t);
	t = make(rsa, GW_ALG_PS256, NULL, good);
	is_int(check(t, &r, keys), GW_JWT_OK, "PS256 without kid: ok");
	free(t);
	t = make(ec, GW_ALG_ES256, "e1", good);
	is_int(check(t, &r, keys), GW_JWT_OK, "ES256: ok");
	free(t);
	t = make(hmac, GW_ALG_HS512, "h1", good);
	is_int(check(t, &r, keys), GW_JWT_OK, "HS512: ok");
	free(t);

	/* alg none, with and without a signature */
	(void)snprintf(buf, sizeof(buf), "%s",
	    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
	    "eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDEwMH0.");
	is_int(check(buf, &r, keys), GW_JWT_ALG,
	    "alg none with an empty signature: refused");
	(void)snprintf(buf, sizeof(buf), "%s",
	    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
	    "eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDEwMH0.AAAA");
	is_int(check(buf, &r, keys), GW_JWT_ALG, "alg none: refused");

	/* algorithm confusion: HS256 keyed with the RSA public key's PEM */
	pem = gw_key_to_pem(rsa, &err);
	ok(pem != NULL, "the RSA public key as PEM");
	only_rsa = gw_keyset_new();
	ok(gw_key_from_pem(pem, strlen(pem), &pub, &err) == 0 &&
	    gw_key_set_kid(pub, "r1") == 0 && gw_keyset_add(only_rsa, pub) == 0,
	    "a set with the RSA public key only");
	{
		struct gw_key *conf;

		ok(gw_key_from_secret(pem, strlen(pem), &conf, &err) == 0,
		    "the PEM as an HMAC secret");
		t = make(conf, GW_ALG_HS256, "r1", good);
		is_int(check(t, &r, only_rsa), GW_JWT_ALG,
		    "HS256 signed with the RSA public key (kid): refused");
		free(t);
		t = make(conf, GW_ALG_HS256, NULL, good);
		is_int(check(t, &r, only_rsa), GW_JWT_ALG,
		    "HS256 signed with the RSA public key (no kid): refused");
		free(t);
		gw_key_free(conf);
	}
	free(pem);

	/* wrong key, bad signature */
	{
		struct gw_key *other;

		ok(gw_key_from_pem(TEST_RSA_KEY_B, strlen(TEST_RSA_KEY_B), &other,
		    &err) == 0, "another key");
		t = make(other, GW_ALG_RS256, "r1", good);
		is_int(check(t, &r, keys), GW_JWT_SIGNATURE,
		    "signed by another key: refused");
		free(t);
		t = make(other, GW_ALG_RS256, NULL, good);
		is_int(check(t, &r, keys), GW_JWT_SIGNATURE,
		    "another key, no kid: refused");
		free(t);
		gw_key_free(other);
	}
	t = make(rsa, GW_ALG_RS256, "r1", good);
	/* another base64url character, so the token stays well-formed */
	t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
	is_int(check(t, &r, keys), GW_JWT_SIGNATURE,
	    "a changed signature: refused");
	free(t);
	{
		/* another payload under the first token's signature */
		char *t2 = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"admin\","
		    "\"iss\":\"https://idp.example\",\"aud\":\"api\","
		    "\"exp\":1800000000}");
		char *p1, *p2;

		t = make(rsa, GW_ALG_RS256, "r1", good);
		p1 = strchr(t, '.');
		p2 = strchr(t2, '.');
		(void)snprintf(buf, sizeof(buf), "%.*s%.*s%s", (int)(p1 - t), t,
		    (int)(strchr(p2 + 1, '.') - p2), p2, strrchr(t, '.'));
		is_int(check(buf, &r, keys), GW_JWT_SIGNATURE,
		    "a changed payload: refused");
		free(t);
		free(t2);
	}
	t = make(rsa, GW_ALG_RS256, "nope", good);
	is_int(check(t, &r, keys), GW_JWT_NO_KEY, "an unknown kid: refused");
	free(t);
	t = make(rsa, GW_ALG_RS512, "h1", good);
	is_int(check(t, &r, keys), GW_JWT_ALG,
	    "an RS512 token naming the HMAC key's kid: refused");
	free(t);
	r.algs = 1u << GW_ALG_RS256;
	t = make(rsa, GW_ALG_PS256, "r1", good);
	is_int(check(t, &r, keys), GW_JWT_ALG,
	    "PS256 when only RS256 is allowed: refused");
	free(t);
	r.algs = 0;

	/* times */
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":1699999999,"
	    "\"iss\":\"https://idp.example\",\"aud\":\"shop\"}");
	is_int(check(t, &r, keys), GW_JWT_EXPIRED, "expired: refused");
	r.leeway_s = 5;
	is_int(check(t, &r, keys), GW_JWT_OK, "within the leeway: ok");
	r.leeway_s = 0;
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":1800000000,"
	    "\"nbf\":1700000010,\"iss\":\"https://idp.example\",\"aud\":\"api\"}");
	is_int(check(t, &r, keys), GW_JWT_NOT_YET, "not yet valid: refused");
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":\"soon\","
	    "\"iss\":\"https://idp.example\",\"aud\":\"api\"}");
	is_int(check(t, &r, keys), GW_JWT_MALFORMED, "exp a string: refused");
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\","
	    "\"iss\":\"https://idp.example\",\"aud\":\"api\"}");
	is_int(check(t, &r, keys), GW_JWT_CLAIM, "no exp: refused");
	free(t);

	/* issuer, audience, required claims */
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":1800000000,"
	    "\"iss\":\"https://evil.example\",\"aud\":\"api\"}");
	is_int(check(t, &r, keys), GW_JWT_ISSUER, "wrong issuer: refused");
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":1800000000,"
	    "\"iss\":\"https://idp.example\",\"aud\":[\"other\",7]}");
	is_int(check(t, &r, keys), GW_JWT_AUDIENCE, "wrong audience: refused");
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"sub\":\"a\",\"exp\":1800000000,"
	    "\"iss\":\"https://idp.example\"}");
	is_int(check(t, &r, keys), GW_JWT_AUDIENCE, "no audience: refused");
	free(t);
	t = make(rsa, GW_ALG_RS256, "r1", "{\"exp\":1800000000,"
	    "\"iss\":\"https://idp.example\",\"aud\":\"api\"}");
	is_int(check(t, &r, keys), GW_JWT_CLAIM, "no sub: refused");
	free(t);
	gw_keyset_free(only_rsa);
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",
		"abc",
		"a.b",
		"a.b.c.d",
		".eyJ9.",
		"eyJhbGciOiJIUzI1NiJ9..sig",
		"eyJhbGciOiJIUzI1NiJ9.e30.s!g",
		"eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA",
		"eyJhbGciOiJIUzI1NiJ9.WzFd.AAAA",
		"eyJhbGciOjF9.e30.AAAA",
		"e30.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiYjY0Il19.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6M30.e30.AAAA",
		"eyJhbGciOiJIUzI1NiJ9=.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsImFsZyI6IkhTMjU2In0.e30.AAAA",
	};
	struct gw_jwt	*t;
	struct gw_err	 err = { 0 };
	char		*big;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = NULL;
		ok(gw_jwt_parse(bad[i], strlen(bad[i]), &t, &err) == -1 &&
		    t == NULL, "malformed %zu: %s", i, err.msg);
	}
	big = malloc(GW_JWT_MAX_BYTES + 2);
	memset(big, 'A', GW_JWT_MAX_BYTES + 1);
	big[10] = big[20] = '.';
	ok(gw_jwt_parse(big, GW_JWT_MAX_BYTES + 1, &t, &err) == -1 &&
	    err.code == GW_E_LIMIT, "a token over the limit");
	free(big);
}

int
main(void)
{
	struct gw_err	err = { 0 };
	struct gw_key	*pub;
	char		*pem;

	keys = gw_keyset_new();
	if (gw_key_from_pem(TEST_RSA_KEY_A, strlen(TEST_RSA_KEY_A), &rsa,
	    &err) == -1 ||
	    gw_key_generate("P-256", &ec, &err) == -1 ||
	    gw_key_from_secret("0123456789abcdef0123456789abcdef", 32, &hmac,
	    &err) == -1) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	/* the set holds public keys (and the secret) */
	pem = gw_key_to_pem(rsa, &err);
	(void)gw_key_from_pem(pem, strlen(pem), &pub, &err);
	(void)gw_key_set_kid(pub, "r1");
	(void)gw_keyset_add(keys, pub);
	free(pem);
	pem = gw_key_to_pem(ec, &err);
	(void)gw_key_from_pem(pem, strlen(pem), &pub, &err);
	(void)gw_key_set_kid(pub, "e1");
	(void)gw_keyset_add(keys, pub);
	free(pem);
	{
		struct gw_key *h;

		(void)gw_key_from_secret("0123456789abcdef0123456789abcdef",
		    32, &h, &err);
		(void)gw_key_set_kid(h, "h1");
		(void)gw_keyset_add(keys, h);
	}
	test_rfc7515();
	test_refusals();
	test_malformed();
	gw_keyset_free(keys);
	gw_key_free(rsa);
	gw_key_free(ec);
	gw_key_free(hmac);
	return done_testing();
}
