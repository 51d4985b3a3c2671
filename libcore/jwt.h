/*
 * jwt.h: JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515).
 *
 * gw_jwt_parse() splits and decodes a token without trusting any of it;
 * gw_jwt_verify() then checks, in this order, the algorithm (never "none",
 * only those allowed), the signature against a key that allows the
 * algorithm (an HMAC token is never checked with an RSA or EC key: no
 * algorithm confusion), and the claims: exp and nbf with leeway, iss, aud,
 * and the claims a route requires.  Each refusal has its own reason, for
 * the log and the tests; the client only learns that it was refused.
 */
#ifndef GW_JWT_H
#define GW_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "err.h"
#include "gw.h"

struct json_object;

/* The longest token taken, bytes. */
#define GW_JWT_MAX_BYTES	(8 * 1024)

enum gw_jwt_why {
	GW_JWT_OK,
	GW_JWT_MALFORMED,	/* not three base64url parts of JSON objects */
	GW_JWT_ALG,		/* "none", unknown, or not allowed */
	GW_JWT_NO_KEY,		/* no key with the token's kid */
	GW_JWT_SIGNATURE,	/* no key allowing alg verified the signature */
	GW_JWT_EXPIRED,
	GW_JWT_NOT_YET,		/* nbf (or iat) in the future */
	GW_JWT_ISSUER,
	GW_JWT_AUDIENCE,
	GW_JWT_CLAIM		/* a required claim is missing */
};

/* A short name of a reason, for logs: "expired", "bad-signature". */
const char *gw_jwt_why_name(enum gw_jwt_why why);

struct gw_jwt;

/*
 * Parse token[0..len): three base64url parts separated by dots, the first
 * two JSON objects (the header with a string "alg", no "crit" we do not
 * know), the last the signature.  Caller frees with gw_jwt_free().  -1
 * with GW_E_PROTO (or GW_E_LIMIT past GW_JWT_MAX_BYTES) if malformed.
 */
int	gw_jwt_parse(const char *token, size_t len, struct gw_jwt **out,
	    struct gw_err *err);
void	gw_jwt_free(struct gw_jwt *t);

/* The header's "alg" as written, and its "kid" (GW_STR_NULL if none). */
struct gw_str	gw_jwt_alg(const struct gw_jwt *t);
struct gw_str	gw_jwt_kid(const struct gw_jwt *t);
/* The payload object, borrowed from t. */
struct json_object *gw_jwt_claims(const struct gw_jwt *t);
/* The payload as it was decoded (JSON text), borrowed from t. */
struct gw_str	gw_jwt_payload(const struct gw_jwt *t);

struct gw_jwt_rules {
	unsigned	 algs;		/* bits (1 << enum gw_alg); 0: any */
	char *const	*issuers;	/* iss must be one of these; NULL: any */
	size_t		 nissuers;
	char *const	*audiences;	/* aud must hold one; NULL: any */
	size_t		 naudiences;
	char *const	*required;	/* claims that must be present */
	size_t		 nrequired;
	int64_t		 leeway_s;	/* for exp, nbf and iat */
	int		 require_exp;	/* a token without exp is refused */
};

/*
 * Check t against the keys and the rules at time now (seconds since the
 * epoch).  Returns GW_JWT_OK, or the reason it is refused with err saying
 * more (for the log: never the token or a key).  With a kid the key is
 * looked up by kid (GW_JWT_NO_KEY if absent); without one, every key that
 * allows the algorithm is tried.
 */
enum gw_jwt_why gw_jwt_verify(const struct gw_jwt *t,
	    const struct gw_keyset *keys, int64_t now,
	    const struct gw_jwt_rules *rules, struct gw_err *err);

/*
 * Make a token (for tests and tools): header {"alg","typ":"JWT"} and kid
 * if not NULL, the payload text given (not checked), signed with k.
 * Caller frees.
 */
char	*gw_jwt_sign(const struct gw_key *k, enum gw_alg alg, const char *kid,
	    const char *payload, struct gw_err *err);

#endif /* GW_JWT_H */
