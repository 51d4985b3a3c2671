/*
 * crypto.h: hashes, MACs, signatures and keys; the one module that calls
 * OpenSSL.
 *
 * Keys (struct gw_key) come from PEM text (a public key, a certificate or a
 * private key), from a JSON Web Key (RFC 7517), or from raw secret bytes for
 * HMAC.  A key knows its kind and which JWS algorithms (RFC 7518) it may
 * verify: an HMAC token is never checked with an RSA or EC key, whatever the
 * token says, so that "algorithm confusion" cannot happen here.  Sets of
 * keys (struct gw_keyset) come from a JWKS document or are built by hand.
 *
 * OpenSSL objects (EVP_PKEY) are freed with the key that holds them
 * (EVP_PKEY_free); nothing else of OpenSSL leaves this module.  Errors of
 * OpenSSL's queue are turned into gw_err messages and the queue cleared.
 */
#ifndef GW_CRYPTO_H
#define GW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw.h"

#define GW_SHA256_LEN	32
#define GW_HMAC_MAX	64	/* bytes of the longest MAC (SHA-512) */
#define GW_SIG_MAX	1024	/* bytes of the longest signature we take */

/* SHA-256 of p[0..len) into out. */
void	gw_sha256(const void *p, size_t len, unsigned char out[GW_SHA256_LEN]);
/* Lower-case hex of p[0..len) into out (2 * len + 1 bytes, NUL-terminated). */
void	gw_hex(const void *p, size_t len, char *out);
/* Parse exactly 2 * outlen hex digits; -1 if s is anything else. */
int	gw_unhex(struct gw_str s, unsigned char *out, size_t outlen);

/*
 * 1 if a[0..len) and b[0..len) are equal, 0 otherwise, in a time that does
 * not depend on where they differ.
 */
int	gw_ct_eq(const void *a, const void *b, size_t len);

/* len random bytes from the system's generator.  -1 with err if it fails. */
int	gw_random(void *p, size_t len, struct gw_err *err);

/*
 * Base64 (RFC 4648).  The url variant has no padding and the alphabet
 * "-_"; the standard one wants its padding.  Decoders are strict: a
 * character out of the alphabet, bad padding or non-zero bits past the end
 * are -1.  out must hold GW_B64_DECODED_MAX(len) bytes; *outlen gets the
 * decoded length.  Encoders write NUL-terminated text into out, which
 * holds GW_B64_ENCODED_MAX(len) bytes, and return its length.
 */
#define GW_B64_DECODED_MAX(n)	((n) / 4 * 3 + 3)
#define GW_B64_ENCODED_MAX(n)	(((n) + 2) / 3 * 4 + 1)
int	gw_b64url_decode(const char *p, size_t len, unsigned char *out,
	    size_t *outlen);
int	gw_b64_decode(const char *p, size_t len, unsigned char *out,
	    size_t *outlen);
size_t	gw_b64url_encode(const void *p, size_t len, char *out);
size_t	gw_b64_encode(const void *p, size_t len, char *out);

/* JWS algorithms (RFC 7518 section 3, RFC 8037). */
enum gw_alg {
	GW_ALG_HS256,
	GW_ALG_HS384,
	GW_ALG_HS512,
	GW_ALG_RS256,
	GW_ALG_RS384,
	GW_ALG_RS512,
	GW_ALG_PS256,
	GW_ALG_PS384,
	GW_ALG_PS512,
	GW_ALG_ES256,
	GW_ALG_ES384,
	GW_ALG_ES512,
	GW_ALG_EDDSA,
	GW_ALG_COUNT
};

/* The algorithm named s ("RS256"); -1 if unknown ("none" is unknown). */
int	gw_alg_parse(struct gw_str s);
/* Its name: a static string. */
const char *gw_alg_name(enum gw_alg alg);

/*
 * HMAC of p[0..len) with key[0..klen) for an HS* algorithm into out (at
 * least GW_HMAC_MAX bytes); returns the MAC's length, or 0 for an
 * algorithm that is not HS*.
 */
size_t	gw_hmac(enum gw_alg alg, const void *key, size_t klen, const void *p,
	    size_t len, unsigned char *out);

enum gw_key_kind {
	GW_KEY_HMAC,		/* a shared secret */
	GW_KEY_RSA,
	GW_KEY_EC,		/* P-256, P-384, P-521 */
	GW_KEY_OKP		/* Ed25519, Ed448 */
};

struct gw_key;
struct gw_keyset;

/*
 * A key from PEM text: a public key, an X.509 certificate (its public key)
 * or a private key (which can also sign).  RSA keys under 2048 bits are
 * refused.  Caller frees with gw_key_free().  -1 with err if it is none of
 * these.
 */
int	gw_key_from_pem(const char *pem, size_t len, struct gw_key **out,
	    struct gw_err *err);
/* An HMAC key holding a copy of secret[0..len) (at least 16 bytes). */
int	gw_key_from_secret(const void *secret, size_t len,
	    struct gw_key **out, struct gw_err *err);
/*
 * A new key pair, for tests and tools: "RSA" (2048 bits), "P-256",
 * "P-384", "P-521", "Ed25519" or "Ed448".
 */
int	gw_key_generate(const char *type, struct gw_key **out,
	    struct gw_err *err);
void	gw_key_free(struct gw_key *k);

enum gw_key_kind gw_key_kind(const struct gw_key *k);
/* The key's "kid" and "alg" (from its JWK or set by hand), or NULL. */
const char *gw_key_kid(const struct gw_key *k);
const char *gw_key_alg(const struct gw_key *k);
/* Set the kid (copied); -1 on out of memory. */
int	gw_key_set_kid(struct gw_key *k, const char *kid);
/* 1 if the key can have made a signature of alg (kind, curve, its "alg"). */
int	gw_key_allows(const struct gw_key *k, enum gw_alg alg);
/* 1 if the key holds a private part (or is a secret) and can sign. */
int	gw_key_can_sign(const struct gw_key *k);

/*
 * Check sig[0..siglen) over msg[0..len) with key k for alg: 1 good, 0 bad
 * (wrong key, a signature of the wrong size or shape, a key that does not
 * allow alg).  ES* signatures are JWS's R || S, not DER.
 */
int	gw_verify(const struct gw_key *k, enum gw_alg alg, const void *msg,
	    size_t len, const unsigned char *sig, size_t siglen);
/*
 * Sign msg[0..len) with k for alg into sig (GW_SIG_MAX bytes), setting
 * *siglen.  -1 with err if the key cannot.
 */
int	gw_sign(const struct gw_key *k, enum gw_alg alg, const void *msg,
	    size_t len, unsigned char *sig, size_t *siglen, struct gw_err *err);

/*
 * The public part as a JWK (JSON text, caller frees), for tests and
 * tools; kid is left out when NULL.  NULL with err for an HMAC key.
 */
char	*gw_key_to_jwk(const struct gw_key *k, struct gw_err *err);
/* The public part as PEM text (caller frees). */
char	*gw_key_to_pem(const struct gw_key *k, struct gw_err *err);

/*
 * A key set from a JWKS document ({"keys": [...]}, RFC 7517 section 5) or
 * from one JWK.  Keys with "use" other than "sig", or of a kind or curve
 * not supported, are skipped (counted in *skipped when not NULL); a key
 * that is malformed is an error.  origin names the text in messages.
 * Caller frees with gw_keyset_free().
 */
int	gw_keyset_parse_jwks(const char *buf, size_t len, const char *origin,
	    struct gw_keyset **out, size_t *skipped, struct gw_err *err);
struct gw_keyset *gw_keyset_new(void);
/* Add k (the set owns it from now on, even on failure). */
int	gw_keyset_add(struct gw_keyset *ks, struct gw_key *k);
/* Move every key of src into dst and free src (even on failure). */
int	gw_keyset_merge(struct gw_keyset *dst, struct gw_keyset *src);
void	gw_keyset_free(struct gw_keyset *ks);
size_t	gw_keyset_len(const struct gw_keyset *ks);
/* Key i, borrowed from the set. */
const struct gw_key *gw_keyset_at(const struct gw_keyset *ks, size_t i);
/* The first key whose kid is kid, or NULL. */
const struct gw_key *gw_keyset_find(const struct gw_keyset *ks,
	    struct gw_str kid);

#endif /* GW_CRYPTO_H */
