/*
 * crypto_test.c: hashes, base64, keys, signatures and JWK sets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"
#include "test-keys.h"

static void
test_hashes(void)
{
	unsigned char	h[GW_SHA256_LEN], mac[GW_HMAC_MAX], back[4];
	char		hex[2 * GW_HMAC_MAX + 1];
	size_t		n;

	gw_sha256("abc", 3, h);
	gw_hex(h, sizeof(h), hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "SHA-256 of 'abc'");
	/* RFC 4231, test case 2 */
	n = gw_hmac(GW_ALG_HS256, "Jefe", 4, "what do ya want for nothing?",
	    28, mac);
	gw_hex(mac, n, hex);
	is_str(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843", "HMAC-SHA-256 (RFC 4231 2)");
	n = gw_hmac(GW_ALG_HS512, "Jefe", 4, "what do ya want for nothing?",
	    28, mac);
	is_int(n, 64, "HMAC-SHA-512 is 64 bytes");
	is_int(gw_hmac(GW_ALG_RS256, "k", 1, "x", 1, mac), 0,
	    "no HMAC for RS256");
	ok(gw_ct_eq("abcd", "abcd", 4) && !gw_ct_eq("abcd", "abce", 4),
	    "constant-time compare");
	ok(gw_unhex(GW_STR("00fF7a10"), back, 4) == 0 && back[1] == 0xff &&
	    back[3] == 0x10, "unhex");
	ok(gw_unhex(GW_STR("00fF7a1"), back, 4) == -1 &&
	    gw_unhex(GW_STR("00fF7a1g"), back, 4) == -1, "unhex refuses");
}

static void
test_b64(void)
{
	static const struct {
		const char *plain, *std, *url;
	} v[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg" },
		{ "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" },
		{ "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=", "-_8" },
	};
	char		enc[64];
	unsigned char	dec[64];
	size_t		n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t pl = strlen(v[i].plain);

		gw_b64_encode(v[i].plain, pl, enc);
		is_str(enc, v[i].std, "base64 vector %zu", i);
		gw_b64url_encode(v[i].plain, pl, enc);
		is_str(enc, v[i].url, "base64url vector %zu", i);
		ok(gw_b64_decode(v[i].std, strlen(v[i].std), dec, &n) == 0 &&
		    n == pl && memcmp(dec, v[i].plain, n) == 0,
		    "decode base64 vector %zu", i);
		ok(gw_b64url_decode(v[i].url, strlen(v[i].url), dec, &n) == 0 &&
		    n == pl && memcmp(dec, v[i].plain, n) == 0,
		    "decode base64url vector %zu", i);
	}
	ok(gw_b64url_decode("Zg==", 4, dec, &n) == -1, "no padding in url");
	ok(gw_b64url_decode("Zh", 2, dec, &n) == -1, "stray bits refused");
	ok(gw_b64url_decode("Z", 1, dec, &n) == -1, "one char refused");
	ok(gw_b64url_decode("Zm+v", 4, dec, &n) == -1, "'+' not in url");
	ok(gw_b64_decode("Zm9", 3, dec, &n) == -1, "std wants padding");
	ok(gw_b64_decode("Zm-v", 4, dec, &n) == -1, "'-' not in std");
}

/* A key of type; RSA ones come from test-keys.h (second: the other one). */
static int
new_key(const char *type, int second, struct gw_key **k, struct gw_err *err)
{
	const char *pem = second ? TEST_RSA_KEY_B : TEST_RSA_KEY_A;

	if (strcmp(type, "RSA") == 0)
		return gw_key_from_pem(pem, strlen(pem), k, err);
	return gw_key_generate(type, k, err);
}

static void
sign_verify(const char *type, enum gw_alg alg, enum gw_alg other)
{
	struct gw_key	*k = NULL, *pub = NULL, *k2 = NULL;
	struct gw_err	 err = { 0 };
	unsigned char	 sig[GW_SIG_MAX];
	size_t		 siglen;
	char		*pem = NULL;

	if (!ok(new_key(type, 0, &k, &err) == 0, "a %s key", type)) {
		printf("# %s\n", err.msg);
		return;
	}
	ok(gw_sign(k, alg, "message", 7, sig, &siglen, &err) == 0,
	    "%s signs %s", type, gw_alg_name(alg));
	ok(gw_verify(k, alg, "message", 7, sig, siglen), "%s verifies",
	    gw_alg_name(alg));
	ok(!gw_verify(k, alg, "messagE", 7, sig, siglen),
	    "%s: another message fails", gw_alg_name(alg));
	sig[siglen / 2] ^= 1;
	ok(!gw_verify(k, alg, "message", 7, sig, siglen),
	    "%s: a flipped bit fails", gw_alg_name(alg));
	sig[siglen / 2] ^= 1;
	ok(!gw_verify(k, alg, "message", 7, sig, siglen - 1),
	    "%s: a short signature fails", gw_alg_name(alg));
	ok(!gw_verify(k, other, "message", 7, sig, siglen),
	    "%s key refuses %s", type, gw_alg_name(other));
	pem = gw_key_to_pem(k, &err);
	ok(pem != NULL && gw_key_from_pem(pem, strlen(pem), &pub, &err) == 0,
	    "%s public key through PEM", type);
	ok(pub != NULL && !gw_key_can_sign(pub) &&
	    gw_verify(pub, alg, "message", 7, sig, siglen),
	    "the public key verifies");
	ok(new_key(type, 1, &k2, &err) == 0 &&
	    !gw_verify(k2, alg, "message", 7, sig, siglen),
	    "another %s key does not", type);
	free(pem);
	gw_key_free(k);
	gw_key_free(k2);
	gw_key_free(pub);
}

static void
test_signatures(void)
{
	struct gw_key	*h = NULL, *r = NULL;
	struct gw_err	 err = { 0 };
	unsigned char	 sig[GW_SIG_MAX];
	size_t		 siglen;
	char		*pem;

	sign_verify("RSA", GW_ALG_RS256, GW_ALG_HS256);
	sign_verify("RSA", GW_ALG_PS384, GW_ALG_ES256);
	sign_verify("P-256", GW_ALG_ES256, GW_ALG_ES384);
	sign_verify("P-384", GW_ALG_ES384, GW_ALG_ES256);
	sign_verify("P-521", GW_ALG_ES512, GW_ALG_RS512);
	sign_verify("Ed25519", GW_ALG_EDDSA, GW_ALG_ES256);
	sign_verify("Ed448", GW_ALG_EDDSA, GW_ALG_HS512);

	ok(gw_key_from_secret("short", 5, &h, &err) == -1,
	    "a short HMAC secret is refused");
	ok(gw_key_from_secret("0123456789abcdef0123", 20, &h, &err) == 0,
	    "an HMAC key");
	ok(gw_sign(h, GW_ALG_HS384, "m", 1, sig, &siglen, &err) == 0 &&
	    siglen == 48 && gw_verify(h, GW_ALG_HS384, "m", 1, sig, siglen),
	    "HS384 signs and verifies");
	ok(!gw_verify(h, GW_ALG_HS256, "m", 1, sig, siglen),
	    "an HS384 MAC is not an HS256 one");
	/* algorithm confusion: an RSA public key's PEM used as a secret */
	ok(new_key("RSA", 0, &r, &err) == 0 &&
	    (pem = gw_key_to_pem(r, &err)) != NULL, "an RSA key and its PEM");
	siglen = gw_hmac(GW_ALG_HS256, pem, strlen(pem), "m", 1, sig);
	ok(!gw_verify(r, GW_ALG_HS256, "m", 1, sig, siglen),
	    "an RSA key never checks an HMAC");
	ok(!gw_key_allows(r, GW_ALG_HS256) && gw_key_allows(r, GW_ALG_PS512),
	    "an RSA key allows RS and PS only");
	free(pem);
	gw_key_free(r);
	gw_key_free(h);
	ok(gw_key_generate("RSA", &r, &err) == 0 && gw_key_kind(r) == GW_KEY_RSA &&
	    gw_key_can_sign(r), "a new RSA key");
	gw_key_free(r);
	ok(gw_key_from_pem("nonsense", 8, &h, &err) == -1 && h == NULL,
	    "a non-PEM is refused: %s", err.msg);
	is_int(gw_alg_parse(GW_STR("none")), -1, "alg none is unknown");
	is_int(gw_alg_parse(GW_STR("ES512")), GW_ALG_ES512, "alg names");
	is_int(gw_alg_parse(GW_STR("hs256")), -1, "alg names are exact");
}

static void
test_jwk(void)
{
	const char	*types[] = { "RSA", "P-256", "P-384", "P-521",
	    "Ed25519", "Ed448" };
	enum gw_alg	 algs[] = { GW_ALG_RS512, GW_ALG_ES256, GW_ALG_ES384,
	    GW_ALG_ES512, GW_ALG_EDDSA, GW_ALG_EDDSA };
	struct gw_err	 err = { 0 };
	struct gw_keyset *ks;
	size_t		 skipped;

	for (size_t i = 0; i < 6; i++) {
		struct gw_key	*k = NULL;
		char		*jwk, doc[8192];
		unsigned char	 sig[GW_SIG_MAX];
		size_t		 siglen;

		if (new_key(types[i], 0, &k, &err) == -1 ||
		    gw_key_set_kid(k, "k\"1") == -1 ||
		    (jwk = gw_key_to_jwk(k, &err)) == NULL) {
			ok(0, "a %s JWK: %s", types[i], err.msg);
			gw_key_free(k);
			continue;
		}
		(void)snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":"
		    "\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
		    "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\","
		    "\"y\":\"AA\"},%s]}", jwk);
		ok(gw_keyset_parse_jwks(doc, strlen(doc), "jwks", &ks,
		    &skipped, &err) == 0 && gw_keyset_len(ks) == 1 &&
		    skipped == 2, "a JWKS with a %s key (and two skipped)",
		    types[i]);
		ok(gw_sign(k, algs[i], "abc", 3, sig, &siglen, &err) == 0 &&
		    gw_verify(gw_keyset_find(ks, GW_STR("k\"1")), algs[i],
		    "abc", 3, sig, siglen), "its JWK verifies %s",
		    gw_alg_name(algs[i]));
		gw_keyset_free(ks);
		free(jwk);
		gw_key_free(k);
	}
	{
		const char *doc = "{\"kty\":\"oct\",\"kid\":\"h\",\"alg\":"
		    "\"HS256\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-"
		    "EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
		const struct gw_key *k;

		ok(gw_keyset_parse_jwks(doc, strlen(doc), "jwk", &ks, NULL,
		    &err) == 0 && gw_keyset_len(ks) == 1, "one oct JWK");
		k = gw_keyset_at(ks, 0);
		ok(k != NULL && gw_key_kind(k) == GW_KEY_HMAC &&
		    gw_key_allows(k, GW_ALG_HS256) &&
		    !gw_key_allows(k, GW_ALG_HS512),
		    "an oct key with alg HS256 allows HS256 only");
		gw_keyset_free(ks);
	}
	{
		static const char *bad[] = {
			"[]",
			"{\"keys\": {}}",
			"{\"keys\": [1]}",
			"{\"keys\": [{\"kty\": 1}]}",
			"{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\"}]}",
			"{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQ==\", "
			    "\"e\": \"AQAB\"}]}",
			"{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\", "
			    "\"e\": \"AQAB\"}]}",
			"{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", "
			    "\"x\": \"AA\", \"y\": \"AA\"}]}",
			"{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", "
			    "\"x\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			    "\", \"y\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			    "AA\"}]}",
			"{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2hvcnQ\"}]}",
			"{\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", "
			    "\"x\": \"AAAA\"}]}",
			"{\"keys\": [{\"kty\": \"oct\", \"kid\": 5, "
			    "\"k\": \"AyM1SysPpbyDfgZld3umj1qzKObwVMko\"}]}",
			"{\"keys\": [",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ks = NULL;
			ok(gw_keyset_parse_jwks(bad[i], strlen(bad[i]), "jwks",
			    &ks, NULL, &err) == -1 && ks == NULL,
			    "bad JWKS %zu refused: %s", i, err.msg);
		}
	}
}

int
main(void)
{
	test_hashes();
	test_b64();
	test_signatures();
	test_jwk();
	return done_testing();
}
