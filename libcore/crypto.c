/*
 * crypto.c: OpenSSL behind the small interface of crypto.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "json.h"

#define MIN_RSA_BITS	2048
#define MIN_SECRET	16
#define MAX_SECRET	1024
#define MAX_JWKS_KEYS	256

struct gw_key {
	enum gw_key_kind	 kind;
	EVP_PKEY		*pkey;		/* RSA, EC, OKP */
	unsigned char		*secret;	/* HMAC */
	size_t			 slen;
	int			 curve_bits;	/* EC: 256, 384, 521 */
	int			 ed448;		/* OKP: Ed448, else Ed25519 */
	int			 private;
	char			*kid;
	char			*alg;
};

struct gw_keyset {
	struct gw_key	**keys;
	size_t		  n;
	size_t		  cap;
};

/* Put OpenSSL's last error into err, and empty its queue. */
static int
ossl_err(struct gw_err *err, enum gw_err_code code, const char *what)
{
	unsigned long	e = ERR_peek_last_error();
	char		buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		gw_err_set(err, code, "%s: %s", what, buf);
	} else
		gw_err_set(err, code, "%s", what);
	ERR_clear_error();
	return -1;
}

void
gw_sha256(const void *p, size_t len, unsigned char out[GW_SHA256_LEN])
{
	unsigned int n = GW_SHA256_LEN;

	if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1)
		GW_BUG("SHA-256 failed");
}

void
gw_hex(const void *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*b = p;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gw_unhex(struct gw_str s, unsigned char *out, size_t outlen)
{
	if (s.len != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval((unsigned char)s.p[2 * i]);
		int lo = hexval((unsigned char)s.p[2 * i + 1]);

		if (hi == -1 || lo == -1)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
gw_ct_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
gw_random(void *p, size_t len, struct gw_err *err)
{
	if (len > (size_t)INT32_MAX || RAND_bytes(p, (int)len) != 1)
		return ossl_err(err, GW_E_INTERNAL, "no random bytes");
	return 0;
}

/* Base64. */

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64val(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decode len characters (no padding) of one alphabet. */
static int
b64_decode_raw(const char *p, size_t len, int url, unsigned char *out,
    size_t *outlen)
{
	uint32_t	acc = 0;
	size_t		o = 0;
	int		bits = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)p[i], url);

		if (v == -1)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* the bits left over must be zero: one encoding per value */
	if (acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

int
gw_b64url_decode(const char *p, size_t len, unsigned char *out,
    size_t *outlen)
{
	return b64_decode_raw(p, len, 1, out, outlen);
}

int
gw_b64_decode(const char *p, size_t len, unsigned char *out, size_t *outlen)
{
	size_t pad = 0;

	if (len % 4 != 0)
		return -1;
	while (pad < 2 && len > pad && p[len - 1 - pad] == '=')
		pad++;
	return b64_decode_raw(p, len - pad, 0, out, outlen);
}

static size_t
b64_encode(const void *p, size_t len, char *out, const char *alpha, int pad)
{
	const unsigned char	*b = p;
	size_t			 o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 |
		    b[i + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i == 1) {
		out[o++] = alpha[b[i] >> 2];
		out[o++] = alpha[(b[i] & 3) << 4];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		out[o++] = alpha[b[i] >> 2];
		out[o++] = alpha[(b[i] & 3) << 4 | b[i + 1] >> 4];
		out[o++] = alpha[(b[i + 1] & 15) << 2];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

size_t
gw_b64url_encode(const void *p, size_t len, char *out)
{
	return b64_encode(p, len, out, b64url, 0);
}

size_t
gw_b64_encode(const void *p, size_t len, char *out)
{
	return b64_encode(p, len, out, b64std, 1);
}

/* Algorithms. */

static const char *const alg_names[GW_ALG_COUNT] = {
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
};

int
gw_alg_parse(struct gw_str s)
{
	for (int i = 0; i < GW_ALG_COUNT; i++)
		if (s.len == strlen(alg_names[i]) &&
		    memcmp(s.p, alg_names[i], s.len) == 0)
			return i;
	return -1;
}

const char *
gw_alg_name(enum gw_alg alg)
{
	return (unsigned)alg < GW_ALG_COUNT ? alg_names[alg] : "?";
}

static const EVP_MD *
alg_md(enum gw_alg alg)
{
	switch (alg) {
	case GW_ALG_HS256:
	case GW_ALG_RS256:
	case GW_ALG_PS256:
	case GW_ALG_ES256:
		return EVP_sha256();
	case GW_ALG_HS384:
	case GW_ALG_RS384:
	case GW_ALG_PS384:
	case GW_ALG_ES384:
		return EVP_sha384();
	case GW_ALG_HS512:
	case GW_ALG_RS512:
	case GW_ALG_PS512:
	case GW_ALG_ES512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

size_t
gw_hmac(enum gw_alg alg, const void *key, size_t klen, const void *p,
    size_t len, unsigned char *out)
{
	unsigned int n = 0;

	if (alg != GW_ALG_HS256 && alg != GW_ALG_HS384 && alg != GW_ALG_HS512)
		return 0;
	if (klen > (size_t)INT32_MAX ||
	    HMAC(alg_md(alg), key, (int)klen, p, len, out, &n) == NULL) {
		ERR_clear_error();
		return 0;
	}
	return n;
}

/* Keys. */

static struct gw_key *
key_new(enum gw_key_kind kind)
{
	struct gw_key *k;

	if ((k = calloc(1, sizeof(*k))) != NULL)
		k->kind = kind;
	return k;
}

void
gw_key_free(struct gw_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	if (k->secret != NULL) {
		OPENSSL_cleanse(k->secret, k->slen);
		free(k->secret);
	}
	free(k->kid);
	free(k->alg);
	free(k);
}

/* Fill kind and curve from pkey; -1 with err if we cannot use it. */
static int
key_classify(struct gw_key *k, struct gw_err *err)
{
	int bits = EVP_PKEY_get_bits(k->pkey);

	switch (EVP_PKEY_get_base_id(k->pkey)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		k->kind = GW_KEY_RSA;
		if (bits < MIN_RSA_BITS)
			return gw_err_set(err, GW_E_UNSUPPORTED, "RSA key of %d "
			    "bits is too short (at least %d)", bits,
			    MIN_RSA_BITS);
		return 0;
	case EVP_PKEY_EC:
		k->kind = GW_KEY_EC;
		if (bits != 256 && bits != 384 && bits != 521)
			return gw_err_set(err, GW_E_UNSUPPORTED, "EC key of "
			    "%d bits: only P-256, P-384 and P-521 are used", bits);
		{
			char	name[64];
			size_t	nl = 0;

			if (EVP_PKEY_get_utf8_string_param(k->pkey,
			    OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
			    &nl) != 1 || (strcmp(name, "prime256v1") != 0 &&
			    strcmp(name, "secp384r1") != 0 &&
			    strcmp(name, "secp521r1") != 0)) {
				ERR_clear_error();
				return gw_err_set(err, GW_E_UNSUPPORTED,
				    "EC key on a curve other than P-256, "
				    "P-384 or P-521");
			}
		}
		k->curve_bits = bits;
		return 0;
	case EVP_PKEY_ED25519:
		k->kind = GW_KEY_OKP;
		return 0;
	case EVP_PKEY_ED448:
		k->kind = GW_KEY_OKP;
		k->ed448 = 1;
		return 0;
	default:
		return gw_err_set(err, GW_E_UNSUPPORTED, "a key of a type "
		    "that JWS does not use");
	}
}

int
gw_key_from_pem(const char *pem, size_t len, struct gw_key **out,
    struct gw_err *err)
{
	struct gw_key	*k = NULL;
	BIO		*bio = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	*out = NULL;
	if (len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (k = key_new(GW_KEY_RSA)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
		if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
		    (k->pkey = X509_get_pubkey(x)) == NULL) {
			ossl_err(err, GW_E_PROTO, "not a PEM certificate");
			goto out;
		}
	} else if (memmem(pem, len, "PRIVATE KEY-----", 16) != NULL) {
		/* no pass phrase: an encrypted key fails here */
		if ((k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL,
		    (void *)(uintptr_t)"")) == NULL) {
			ossl_err(err, GW_E_PROTO, "not a PEM private key");
			goto out;
		}
		k->private = 1;
	} else if ((k->pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL,
	    NULL)) == NULL) {
		ossl_err(err, GW_E_PROTO, "not a PEM public key, certificate "
		    "or private key");
		goto out;
	}
	if (key_classify(k, err) == -1)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
 out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	gw_key_free(k);
	return rc;
}

int
gw_key_from_secret(const void *secret, size_t len, struct gw_key **out,
    struct gw_err *err)
{
	struct gw_key *k;

	*out = NULL;
	if (len < MIN_SECRET)
		return gw_err_set(err, GW_E_INVAL, "an HMAC secret of %zu bytes "
		    "is too short (at least %d)", len, MIN_SECRET);
	if (len > MAX_SECRET)
		return gw_err_set(err, GW_E_LIMIT, "an HMAC secret of %zu bytes "
		    "is too long (at most %d)", len, MAX_SECRET);
	if ((k = key_new(GW_KEY_HMAC)) == NULL ||
	    (k->secret = malloc(len)) == NULL) {
		gw_key_free(k);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	memcpy(k->secret, secret, len);
	k->slen = len;
	k->private = 1;
	*out = k;
	return 0;
}

int
gw_key_generate(const char *type, struct gw_key **out, struct gw_err *err)
{
	struct gw_key	*k;
	EVP_PKEY	*p = NULL;

	*out = NULL;
	if (strcmp(type, "RSA") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "P-256") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(type, "P-384") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(type, "P-521") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	else if (strcmp(type, "Ed25519") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(type, "Ed448") == 0)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	else
		return gw_err_set(err, GW_E_INVAL, "unknown key type '%s'", type);
	if (p == NULL)
		return ossl_err(err, GW_E_INTERNAL, "cannot make a key");
	if ((k = key_new(GW_KEY_RSA)) == NULL) {
		EVP_PKEY_free(p);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	k->pkey = p;
	k->private = 1;
	if (key_classify(k, err) == -1) {
		gw_key_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

enum gw_key_kind
gw_key_kind(const struct gw_key *k)
{
	return k->kind;
}

const char *
gw_key_kid(const struct gw_key *k)
{
	return k->kid;
}

const char *
gw_key_alg(const struct gw_key *k)
{
	return k->alg;
}

int
gw_key_set_kid(struct gw_key *k, const char *kid)
{
	char *c;

	if ((c = strdup(kid)) == NULL)
		return -1;
	free(k->kid);
	k->kid = c;
	return 0;
}

int
gw_key_can_sign(const struct gw_key *k)
{
	return k->private;
}

int
gw_key_allows(const struct gw_key *k, enum gw_alg alg)
{
	int ok;

	switch (alg) {
	case GW_ALG_HS256:
	case GW_ALG_HS384:
	case GW_ALG_HS512:
		ok = k->kind == GW_KEY_HMAC;
		break;
	case GW_ALG_RS256:
	case GW_ALG_RS384:
	case GW_ALG_RS512:
	case GW_ALG_PS256:
	case GW_ALG_PS384:
	case GW_ALG_PS512:
		ok = k->kind == GW_KEY_RSA;
		break;
	case GW_ALG_ES256:
		ok = k->kind == GW_KEY_EC && k->curve_bits == 256;
		break;
	case GW_ALG_ES384:
		ok = k->kind == GW_KEY_EC && k->curve_bits == 384;
		break;
	case GW_ALG_ES512:
		ok = k->kind == GW_KEY_EC && k->curve_bits == 521;
		break;
	case GW_ALG_EDDSA:
		ok = k->kind == GW_KEY_OKP;
		break;
	default:
		return 0;
	}
	/* a key that names its algorithm is for that one only */
	if (ok && k->alg != NULL && strcmp(k->alg, gw_alg_name(alg)) != 0)
		ok = 0;
	return ok;
}

static int
is_es(enum gw_alg alg)
{
	return alg == GW_ALG_ES256 || alg == GW_ALG_ES384 ||
	    alg == GW_ALG_ES512;
}

static int
is_ps(enum gw_alg alg)
{
	return alg == GW_ALG_PS256 || alg == GW_ALG_PS384 ||
	    alg == GW_ALG_PS512;
}

static size_t
es_coord(enum gw_alg alg)
{
	return alg == GW_ALG_ES256 ? 32 : alg == GW_ALG_ES384 ? 48 : 66;
}

/* R || S into DER for OpenSSL; caller frees *der with OPENSSL_free(). */
static int
es_to_der(enum gw_alg alg, const unsigned char *sig, size_t siglen,
    unsigned char **der, int *derlen)
{
	ECDSA_SIG	*s;
	BIGNUM		*r, *ss;
	size_t		 n = es_coord(alg);

	*der = NULL;
	if (siglen != 2 * n)
		return -1;
	if ((s = ECDSA_SIG_new()) == NULL)
		return -1;
	r = BN_bin2bn(sig, (int)n, NULL);
	ss = BN_bin2bn(sig + n, (int)n, NULL);
	if (r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return -1;
	}
	*derlen = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return *derlen > 0 ? 0 : -1;
}

/* DER from OpenSSL into R || S. */
static int
der_to_es(enum gw_alg alg, const unsigned char *der, size_t derlen,
    unsigned char *sig, size_t *siglen)
{
	ECDSA_SIG	*s;
	const BIGNUM	*r, *ss;
	size_t		 n = es_coord(alg);
	int		 rc = -1;

	if ((s = d2i_ECDSA_SIG(NULL, &der, (long)derlen)) == NULL)
		return -1;
	ECDSA_SIG_get0(s, &r, &ss);
	if (BN_bn2binpad(r, sig, (int)n) == (int)n &&
	    BN_bn2binpad(ss, sig + n, (int)n) == (int)n) {
		*siglen = 2 * n;
		rc = 0;
	}
	ECDSA_SIG_free(s);
	return rc;
}

static int
pss_setup(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

int
gw_verify(const struct gw_key *k, enum gw_alg alg, const void *msg,
    size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*der = NULL, mac[GW_HMAC_MAX];
	const unsigned char *s = sig;
	size_t		 slen = siglen, maclen;
	int		 derlen, ok = 0;

	if (!gw_key_allows(k, alg) || siglen == 0 || siglen > GW_SIG_MAX)
		return 0;
	if (k->kind == GW_KEY_HMAC) {
		maclen = gw_hmac(alg, k->secret, k->slen, msg, len, mac);
		ok = maclen != 0 && maclen == siglen &&
		    gw_ct_eq(mac, sig, siglen);
		OPENSSL_cleanse(mac, sizeof(mac));
		return ok;
	}
	if (is_es(alg)) {
		if (es_to_der(alg, sig, siglen, &der, &derlen) == -1)
			goto out;
		s = der;
		slen = (size_t)derlen;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, &pctx, alg == GW_ALG_EDDSA ? NULL :
	    alg_md(alg), NULL, k->pkey) != 1)
		goto out;
	if (is_ps(alg) && !pss_setup(pctx))
		goto out;
	ok = EVP_DigestVerify(ctx, s, slen, msg, len) == 1;
 out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

int
gw_sign(const struct gw_key *k, enum gw_alg alg, const void *msg, size_t len,
    unsigned char *sig, size_t *siglen, struct gw_err *err)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*der = NULL;
	size_t		 dlen = 0;
	int		 rc = -1;

	if (!k->private || !gw_key_allows(k, alg))
		return gw_err_set(err, GW_E_INVAL, "this key cannot sign %s",
		    gw_alg_name(alg));
	if (k->kind == GW_KEY_HMAC) {
		if ((*siglen = gw_hmac(alg, k->secret, k->slen, msg, len,
		    sig)) == 0)
			return gw_err_set(err, GW_E_INTERNAL, "HMAC failed");
		return 0;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, &pctx, alg == GW_ALG_EDDSA ? NULL :
	    alg_md(alg), NULL, k->pkey) != 1 ||
	    (is_ps(alg) && !pss_setup(pctx)) ||
	    EVP_DigestSign(ctx, NULL, &dlen, msg, len) != 1 ||
	    (der = OPENSSL_malloc(dlen)) == NULL ||
	    EVP_DigestSign(ctx, der, &dlen, msg, len) != 1) {
		ossl_err(err, GW_E_INTERNAL, "cannot sign");
		goto out;
	}
	if (is_es(alg)) {
		if (der_to_es(alg, der, dlen, sig, siglen) == -1) {
			gw_err_set(err, GW_E_INTERNAL, "bad ECDSA signature");
			goto out;
		}
	} else {
		if (dlen > GW_SIG_MAX) {
			gw_err_set(err, GW_E_LIMIT, "signature too long");
			goto out;
		}
		memcpy(sig, der, dlen);
		*siglen = dlen;
	}
	rc = 0;
 out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

/* JWK export (tests and tools). */

static int
put_b64_param(struct gw_buf *b, const char *name, const unsigned char *p,
    size_t n)
{
	char *enc;
	int rc;

	if ((enc = malloc(GW_B64_ENCODED_MAX(n))) == NULL)
		return -1;
	(void)gw_b64url_encode(p, n, enc);
	rc = gw_buf_printf(b, NULL, ",\"%s\":\"%s\"", name, enc);
	free(enc);
	return rc;
}

static int
put_bn_param(struct gw_buf *b, const EVP_PKEY *p, const char *pname,
    const char *name, int pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	*bin;
	int		 n, rc = -1;

	if (EVP_PKEY_get_bn_param(p, pname, &bn) != 1)
		return -1;
	n = pad > 0 ? pad : BN_num_bytes(bn);
	if ((bin = malloc((size_t)n + 1)) != NULL &&
	    BN_bn2binpad(bn, bin, n) == n)
		rc = put_b64_param(b, name, bin, (size_t)n);
	free(bin);
	BN_free(bn);
	return rc;
}

char *
gw_key_to_jwk(const struct gw_key *k, struct gw_err *err)
{
	struct gw_buf	b;
	unsigned char	raw[128];
	size_t		rl = sizeof(raw);
	int		ok = 0;

	gw_buf_init(&b, 0);
	switch (k->kind) {
	case GW_KEY_HMAC:
		gw_err_set(err, GW_E_INVAL, "an HMAC key has no public part");
		return NULL;
	case GW_KEY_RSA:
		ok = gw_buf_puts(&b, "{\"kty\":\"RSA\"", NULL) == 0 &&
		    put_bn_param(&b, k->pkey, OSSL_PKEY_PARAM_RSA_N, "n",
		    0) == 0 &&
		    put_bn_param(&b, k->pkey, OSSL_PKEY_PARAM_RSA_E, "e",
		    0) == 0;
		break;
	case GW_KEY_EC: {
		int cb = (k->curve_bits + 7) / 8;

		ok = gw_buf_printf(&b, NULL, "{\"kty\":\"EC\",\"crv\":\"P-%d\"",
		    k->curve_bits) == 0 &&
		    put_bn_param(&b, k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, "x",
		    cb) == 0 &&
		    put_bn_param(&b, k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, "y",
		    cb) == 0;
		break;
	}
	case GW_KEY_OKP:
		ok = EVP_PKEY_get_raw_public_key(k->pkey, raw, &rl) == 1 &&
		    gw_buf_printf(&b, NULL, "{\"kty\":\"OKP\",\"crv\":\"%s\"",
		    k->ed448 ? "Ed448" : "Ed25519") == 0 &&
		    put_b64_param(&b, "x", raw, rl) == 0;
		break;
	}
	if (ok && k->kid != NULL) {
		ok = gw_buf_puts(&b, ",\"kid\":\"", NULL) == 0 &&
		    gw_json_escape_append(&b, k->kid, strlen(k->kid),
		    NULL) == 0 && gw_buf_putc(&b, '"', NULL) == 0;
	}
	if (ok)
		ok = gw_buf_putc(&b, '}', NULL) == 0;
	if (!ok) {
		gw_buf_release(&b);
		ossl_err(err, GW_E_INTERNAL, "cannot write the JWK");
		return NULL;
	}
	return gw_buf_take(&b, NULL, err);
}

char *
gw_key_to_pem(const struct gw_key *k, struct gw_err *err)
{
	BIO	*bio;
	char	*data, *out = NULL;
	long	 n;

	if (k->kind == GW_KEY_HMAC) {
		gw_err_set(err, GW_E_INVAL, "an HMAC key has no public part");
		return NULL;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(bio, k->pkey) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (out = malloc((size_t)n + 1)) == NULL) {
		ossl_err(err, GW_E_INTERNAL, "cannot write the PEM key");
		BIO_free(bio);
		return NULL;
	}
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	return out;
}

/* JWK import. */

/* A member that must be a base64url string: decoded into a new buffer. */
static int
jwk_b64(const struct json_object *jwk, const char *name, unsigned char **out,
    size_t *outlen, struct gw_err *err)
{
	struct json_object	*v;
	const char		*s;
	size_t			 len;

	*out = NULL;
	if (!gw_jv_get(jwk, name, &v) || (s = gw_jv_str(v, &len)) == NULL)
		return gw_err_set(err, GW_E_PROTO, "\"%s\" must be a string",
		    name);
	if (len == 0 || len > 8192 ||
	    (*out = malloc(GW_B64_DECODED_MAX(len))) == NULL ||
	    gw_b64url_decode(s, len, *out, outlen) == -1) {
		free(*out);
		*out = NULL;
		return gw_err_set(err, GW_E_PROTO, "\"%s\" is not base64url",
		    name);
	}
	return 0;
}

static int
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out,
    struct gw_err *err)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL, *chk = NULL;
	int		 rc = -1;

	*out = NULL;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ossl_err(err, GW_E_PROTO, "not a usable public key");
		goto out;
	}
	/*
	 * A point off the curve is refused here.  RSA keys are not checked:
	 * OpenSSL's check of a modulus is randomized (Miller-Rabin with
	 * random bases), so one key would be taken one time and refused the
	 * next; a bad modulus verifies no signature anyway.
	 */
	if (strcmp(type, "RSA") != 0 &&
	    ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL)) == NULL ||
	    EVP_PKEY_public_check(chk) != 1)) {
		ossl_err(err, GW_E_PROTO, "the public key does not check out");
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
 out:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc;
}

static int
jwk_rsa(const struct json_object *jwk, struct gw_key *k, struct gw_err *err)
{
	unsigned char	*n = NULL, *e = NULL;
	size_t		 nl, el;
	BIGNUM		*bn = NULL, *be = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	int		 rc = -1;

	if (jwk_b64(jwk, "n", &n, &nl, err) == -1 ||
	    jwk_b64(jwk, "e", &e, &el, err) == -1)
		goto out;
	if ((bn = BN_bin2bn(n, (int)nl, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)el, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (pkey_fromdata("RSA", bld, &k->pkey, err) == -1)
		goto out;
	rc = 0;
 out:
	ERR_clear_error();
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return rc;
}

static int
jwk_ec(const struct json_object *jwk, const char *crv, struct gw_key *k,
    struct gw_err *err)
{
	unsigned char	*x = NULL, *y = NULL, *pt = NULL;
	size_t		 xl, yl, cl;
	OSSL_PARAM_BLD	*bld = NULL;
	const char	*group;
	int		 rc = -1;

	if (strcmp(crv, "P-256") == 0) {
		group = "prime256v1";
		cl = 32;
	} else if (strcmp(crv, "P-384") == 0) {
		group = "secp384r1";
		cl = 48;
	} else {
		group = "secp521r1";
		cl = 66;
	}
	if (jwk_b64(jwk, "x", &x, &xl, err) == -1 ||
	    jwk_b64(jwk, "y", &y, &yl, err) == -1)
		goto out;
	if (xl != cl || yl != cl) {
		gw_err_set(err, GW_E_PROTO, "\"x\" and \"y\" of %s must be "
		    "%zu bytes", crv, cl);
		goto out;
	}
	if ((pt = malloc(1 + 2 * cl)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	pt[0] = 0x04;
	memcpy(pt + 1, x, cl);
	memcpy(pt + 1 + cl, y, cl);
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, 1 + 2 * cl) != 1) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (pkey_fromdata("EC", bld, &k->pkey, err) == -1)
		goto out;
	rc = 0;
 out:
	ERR_clear_error();
	OSSL_PARAM_BLD_free(bld);
	free(pt);
	free(x);
	free(y);
	return rc;
}

static int
jwk_okp(const struct json_object *jwk, const char *crv, struct gw_key *k,
    struct gw_err *err)
{
	unsigned char	*x = NULL;
	size_t		 xl;
	int		 ed448 = strcmp(crv, "Ed448") == 0;
	int		 rc = -1;

	if (jwk_b64(jwk, "x", &x, &xl, err) == -1)
		return -1;
	if (xl != (ed448 ? 57u : 32u)) {
		gw_err_set(err, GW_E_PROTO, "\"x\" of %s must be %d bytes",
		    crv, ed448 ? 57 : 32);
		goto out;
	}
	if ((k->pkey = EVP_PKEY_new_raw_public_key(ed448 ? EVP_PKEY_ED448 :
	    EVP_PKEY_ED25519, NULL, x, xl)) == NULL) {
		ossl_err(err, GW_E_PROTO, "not a usable public key");
		goto out;
	}
	rc = 0;
 out:
	free(x);
	return rc;
}

/*
 * One JWK into *out; 0, or 1 if it is to be skipped (another use, an
 * unsupported kind), or -1 with err.
 */
static int
jwk_parse(const struct json_object *jwk, struct gw_key **out,
    struct gw_err *err)
{
	struct json_object	*v;
	const char		*kty, *crv = NULL, *s;
	struct gw_key		*k = NULL;
	int			 rc = -1;

	*out = NULL;
	if (gw_jv_type(jwk) != GW_JT_OBJECT)
		return gw_err_set(err, GW_E_PROTO, "a key must be an object");
	if (!gw_jv_get(jwk, "kty", &v) || (kty = gw_jv_str(v, NULL)) == NULL)
		return gw_err_set(err, GW_E_PROTO, "\"kty\" must be a string");
	if (gw_jv_get(jwk, "use", &v)) {
		if ((s = gw_jv_str(v, NULL)) == NULL)
			return gw_err_set(err, GW_E_PROTO,
			    "\"use\" must be a string");
		if (strcmp(s, "sig") != 0)
			return 1;
	}
	if (gw_jv_get(jwk, "crv", &v) && (crv = gw_jv_str(v, NULL)) == NULL)
		return gw_err_set(err, GW_E_PROTO, "\"crv\" must be a string");
	if (strcmp(kty, "RSA") == 0) {
		if ((k = key_new(GW_KEY_RSA)) == NULL)
			goto nomem;
		if (jwk_rsa(jwk, k, err) == -1)
			goto out;
	} else if (strcmp(kty, "EC") == 0) {
		if (crv == NULL || (strcmp(crv, "P-256") != 0 &&
		    strcmp(crv, "P-384") != 0 && strcmp(crv, "P-521") != 0)) {
			rc = 1;
			goto out;
		}
		if ((k = key_new(GW_KEY_EC)) == NULL)
			goto nomem;
		if (jwk_ec(jwk, crv, k, err) == -1)
			goto out;
	} else if (strcmp(kty, "OKP") == 0) {
		if (crv == NULL || (strcmp(crv, "Ed25519") != 0 &&
		    strcmp(crv, "Ed448") != 0)) {
			rc = 1;
			goto out;
		}
		if ((k = key_new(GW_KEY_OKP)) == NULL)
			goto nomem;
		if (jwk_okp(jwk, crv, k, err) == -1)
			goto out;
	} else if (strcmp(kty, "oct") == 0) {
		unsigned char	*sec;
		size_t		 sl;

		if (jwk_b64(jwk, "k", &sec, &sl, err) == -1)
			goto out;
		rc = gw_key_from_secret(sec, sl, &k, err);
		OPENSSL_cleanse(sec, sl);
		free(sec);
		if (rc == -1)
			goto out;
		rc = -1;
	} else {
		rc = 1;
		goto out;
	}
	if (k->kind != GW_KEY_HMAC && key_classify(k, err) == -1)
		goto out;
	if (gw_jv_get(jwk, "kid", &v)) {
		if ((s = gw_jv_str(v, NULL)) == NULL) {
			gw_err_set(err, GW_E_PROTO, "\"kid\" must be a string");
			goto out;
		}
		if ((k->kid = strdup(s)) == NULL)
			goto nomem;
	}
	if (gw_jv_get(jwk, "alg", &v)) {
		if ((s = gw_jv_str(v, NULL)) == NULL) {
			gw_err_set(err, GW_E_PROTO, "\"alg\" must be a string");
			goto out;
		}
		if (gw_alg_parse(gw_str_cstr(s)) == -1) {
			rc = 1;		/* an algorithm we do not do */
			goto out;
		}
		if ((k->alg = strdup(s)) == NULL)
			goto nomem;
	}
	*out = k;
	k = NULL;
	rc = 0;
	goto out;
 nomem:
	gw_err_set(err, GW_E_NOMEM, "out of memory");
 out:
	gw_key_free(k);
	return rc;
}

struct gw_keyset *
gw_keyset_new(void)
{
	return calloc(1, sizeof(struct gw_keyset));
}

void
gw_keyset_free(struct gw_keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		gw_key_free(ks->keys[i]);
	free(ks->keys);
	free(ks);
}

int
gw_keyset_add(struct gw_keyset *ks, struct gw_key *k)
{
	if (ks->n == ks->cap) {
		size_t		 nc = ks->cap == 0 ? 4 : ks->cap * 2;
		struct gw_key	**nk = realloc(ks->keys, nc * sizeof(*nk));

		if (nk == NULL) {
			gw_key_free(k);
			return -1;
		}
		ks->keys = nk;
		ks->cap = nc;
	}
	ks->keys[ks->n++] = k;
	return 0;
}

int
gw_keyset_merge(struct gw_keyset *dst, struct gw_keyset *src)
{
	int rc = 0;

	for (size_t i = 0; i < src->n; i++)
		if (gw_keyset_add(dst, src->keys[i]) == -1)
			rc = -1;
	src->n = 0;
	gw_keyset_free(src);
	return rc;
}

size_t
gw_keyset_len(const struct gw_keyset *ks)
{
	return ks->n;
}

const struct gw_key *
gw_keyset_at(const struct gw_keyset *ks, size_t i)
{
	return i < ks->n ? ks->keys[i] : NULL;
}

const struct gw_key *
gw_keyset_find(const struct gw_keyset *ks, struct gw_str kid)
{
	for (size_t i = 0; i < ks->n; i++) {
		const char *k = ks->keys[i]->kid;

		if (k != NULL && strlen(k) == kid.len &&
		    memcmp(k, kid.p, kid.len) == 0)
			return ks->keys[i];
	}
	return NULL;
}

int
gw_keyset_parse_jwks(const char *buf, size_t len, const char *origin,
    struct gw_keyset **out, size_t *skipped, struct gw_err *err)
{
	struct gw_jdoc		*doc = NULL;
	struct gw_keyset	*ks = NULL;
	struct json_object	*root, *keys;
	size_t			 nskip = 0, n;
	int			 rc = -1;

	*out = NULL;
	if (gw_jdoc_parse(buf, len, origin, 0, &doc, err) == -1)
		return -1;
	if ((ks = gw_keyset_new()) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	root = gw_jdoc_root(doc);
	if (gw_jv_type(root) != GW_JT_OBJECT) {
		gw_err_set(err, GW_E_PROTO, "%s: a JWKS must be an object",
		    origin);
		goto out;
	}
	if (!gw_jv_get(root, "keys", &keys)) {
		/* one JWK on its own */
		struct gw_key	*k;
		int		 r = jwk_parse(root, &k, err);

		if (r == -1) {
			gw_err_prefix(err, "%s", origin);
			goto out;
		}
		if (r == 1)
			nskip++;
		else if (gw_keyset_add(ks, k) == -1) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto out;
		}
	} else {
		if (gw_jv_type(keys) != GW_JT_ARRAY) {
			gw_err_set(err, GW_E_PROTO, "%s: \"keys\" must be an "
			    "array", origin);
			goto out;
		}
		if ((n = gw_jv_len(keys)) > MAX_JWKS_KEYS) {
			gw_err_set(err, GW_E_LIMIT, "%s: more than %d keys",
			    origin, MAX_JWKS_KEYS);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			struct gw_key	*k;
			int		 r = jwk_parse(gw_jv_at(keys, i), &k,
			    err);

			if (r == -1) {
				gw_err_prefix(err, "%s: keys[%zu]", origin, i);
				goto out;
			}
			if (r == 1) {
				nskip++;
				continue;
			}
			if (gw_keyset_add(ks, k) == -1) {
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	if (skipped != NULL)
		*skipped = nskip;
	*out = ks;
	ks = NULL;
	rc = 0;
 out:
	gw_keyset_free(ks);
	gw_jdoc_free(doc);
	return rc;
}
