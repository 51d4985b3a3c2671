/*
 * jwt.c: JWS compact tokens, parsed without trust, then verified.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "jwt.h"

struct gw_jwt {
	char			*text;		/* header.payload, a copy */
	size_t			 signed_len;	/* bytes the signature covers */
	struct gw_jdoc		*header;
	struct gw_jdoc		*payload;
	char			*payload_json;
	size_t			 payload_len;
	unsigned char		*sig;
	size_t			 siglen;
	struct gw_str		 alg;
	struct gw_str		 kid;
};

static const char *const why_names[] = {
	"ok", "malformed", "algorithm", "unknown-kid", "bad-signature",
	"expired", "not-yet-valid", "wrong-issuer", "wrong-audience",
	"missing-claim"
};

const char *
gw_jwt_why_name(enum gw_jwt_why why)
{
	return (unsigned)why < GW_ARRAY_LEN(why_names) ? why_names[why] : "?";
}

void
gw_jwt_free(struct gw_jwt *t)
{
	if (t == NULL)
		return;
	gw_jdoc_free(t->header);
	gw_jdoc_free(t->payload);
	free(t->payload_json);
	free(t->text);
	free(t->sig);
	free(t);
}

/* Decode one part into a new NUL-terminated buffer. */
static int
part_decode(const char *p, size_t len, unsigned char **out, size_t *outlen)
{
	if ((*out = malloc(GW_B64_DECODED_MAX(len) + 1)) == NULL)
		return -1;
	if (gw_b64url_decode(p, len, *out, outlen) == -1) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[*outlen] = '\0';
	return 0;
}

static int
part_json(const char *p, size_t len, const char *what, struct gw_jdoc **doc,
    char **text, size_t *tlen, struct gw_err *err)
{
	unsigned char	*raw;
	size_t		 rl;
	int		 rc;

	*doc = NULL;
	if (part_decode(p, len, &raw, &rl) == -1)
		return gw_err_set(err, GW_E_PROTO, "the %s is not base64url",
		    what);
	rc = gw_jdoc_parse((char *)raw, rl, what, 0, doc, err);
	if (rc == 0 && gw_jv_type(gw_jdoc_root(*doc)) != GW_JT_OBJECT) {
		gw_jdoc_free(*doc);
		*doc = NULL;
		rc = gw_err_set(err, GW_E_PROTO, "the %s is not a JSON object",
		    what);
	}
	if (rc == 0 && text != NULL) {
		*text = (char *)raw;
		*tlen = rl;
	} else
		free(raw);
	return rc;
}

int
gw_jwt_parse(const char *token, size_t len, struct gw_jwt **out,
    struct gw_err *err)
{
	struct gw_jwt		*t;
	const char		*d1, *d2, *s;
	struct json_object	*hdr, *v;
	size_t			 slen;
	int			 rc = -1;

	*out = NULL;
	if (len > GW_JWT_MAX_BYTES)
		return gw_err_set(err, GW_E_LIMIT, "token longer than %d bytes",
		    GW_JWT_MAX_BYTES);
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return gw_err_set(err, GW_E_PROTO, "a token has three parts "
		    "separated by dots");
	if (d1 == token || d2 == d1 + 1)
		return gw_err_set(err, GW_E_PROTO, "empty header or payload");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	t->signed_len = (size_t)(d2 - token);
	if ((t->text = malloc(t->signed_len + 1)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(t->text, token, t->signed_len);
	t->text[t->signed_len] = '\0';
	if (part_json(token, (size_t)(d1 - token), "header", &t->header,
	    NULL, NULL, err) == -1 ||
	    part_json(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &t->payload,
	    &t->payload_json, &t->payload_len, err) == -1)
		goto out;
	if (part_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &t->sig,
	    &t->siglen) == -1) {
		gw_err_set(err, GW_E_PROTO, "the signature is not base64url");
		goto out;
	}
	hdr = gw_jdoc_root(t->header);
	if (!gw_jv_get(hdr, "alg", &v) || (s = gw_jv_str(v, &slen)) == NULL) {
		gw_err_set(err, GW_E_PROTO, "the header has no string \"alg\"");
		goto out;
	}
	t->alg = gw_str_make(s, slen);
	if (gw_jv_get(hdr, "kid", &v)) {
		if ((s = gw_jv_str(v, &slen)) == NULL) {
			gw_err_set(err, GW_E_PROTO, "\"kid\" is not a string");
			goto out;
		}
		t->kid = gw_str_make(s, slen);
	}
	/* extensions we would have to understand: we understand none */
	if (gw_jv_get(hdr, "crit", NULL)) {
		gw_err_set(err, GW_E_PROTO, "the header has \"crit\"");
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
 out:
	gw_jwt_free(t);
	return rc;
}

struct gw_str
gw_jwt_alg(const struct gw_jwt *t)
{
	return t->alg;
}

struct gw_str
gw_jwt_kid(const struct gw_jwt *t)
{
	return t->kid;
}

struct json_object *
gw_jwt_claims(const struct gw_jwt *t)
{
	return gw_jdoc_root(t->payload);
}

struct gw_str
gw_jwt_payload(const struct gw_jwt *t)
{
	return gw_str_make(t->payload_json, t->payload_len);
}

/* A NumericDate claim: 1 present (in *out), 0 absent, -1 not a number. */
static int
numeric_date(const struct json_object *claims, const char *name, double *out)
{
	struct json_object *v;

	if (!gw_jv_get(claims, name, &v))
		return 0;
	if (gw_jv_type(v) != GW_JT_INT && gw_jv_type(v) != GW_JT_DOUBLE)
		return -1;
	*out = gw_jv_double(v);
	if (!isfinite(*out))
		return -1;
	return 1;
}

static int
in_list(const char *s, size_t len, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

static enum gw_jwt_why
check_claims(const struct gw_jwt *t, int64_t now,
    const struct gw_jwt_rules *r, struct gw_err *err)
{
	struct json_object	*c = gw_jdoc_root(t->payload), *v;
	double			 d, lw = (double)r->leeway_s, tn = (double)now;
	const char		*s;
	size_t			 len;
	int			 k;

	if ((k = numeric_date(c, "exp", &d)) == -1) {
		gw_err_set(err, GW_E_PROTO, "\"exp\" is not a number");
		return GW_JWT_MALFORMED;
	}
	if (k == 0 && r->require_exp) {
		gw_err_set(err, GW_E_PROTO, "the token has no \"exp\"");
		return GW_JWT_CLAIM;
	}
	if (k == 1 && tn >= d + lw) {
		gw_err_set(err, GW_E_PROTO, "the token expired %.0f s ago",
		    tn - d);
		return GW_JWT_EXPIRED;
	}
	if ((k = numeric_date(c, "nbf", &d)) == -1) {
		gw_err_set(err, GW_E_PROTO, "\"nbf\" is not a number");
		return GW_JWT_MALFORMED;
	}
	if (k == 1 && tn + lw < d) {
		gw_err_set(err, GW_E_PROTO, "the token is valid only in %.0f s",
		    d - tn);
		return GW_JWT_NOT_YET;
	}
	if ((k = numeric_date(c, "iat", &d)) == -1) {
		gw_err_set(err, GW_E_PROTO, "\"iat\" is not a number");
		return GW_JWT_MALFORMED;
	}
	if (k == 1 && tn + lw < d) {
		gw_err_set(err, GW_E_PROTO, "the token was issued in the "
		    "future");
		return GW_JWT_NOT_YET;
	}
	if (r->issuers != NULL) {
		if (!gw_jv_get(c, "iss", &v) ||
		    (s = gw_jv_str(v, &len)) == NULL ||
		    !in_list(s, len, r->issuers, r->nissuers)) {
			gw_err_set(err, GW_E_PROTO, "the issuer is not one "
			    "the route takes");
			return GW_JWT_ISSUER;
		}
	}
	if (r->audiences != NULL) {
		int found = 0;

		if (gw_jv_get(c, "aud", &v)) {
			if ((s = gw_jv_str(v, &len)) != NULL)
				found = in_list(s, len, r->audiences,
				    r->naudiences);
			else if (gw_jv_type(v) == GW_JT_ARRAY)
				for (size_t i = 0; i < gw_jv_len(v) && !found;
				    i++)
					if ((s = gw_jv_str(gw_jv_at(v, i),
					    &len)) != NULL)
						found = in_list(s, len,
						    r->audiences,
						    r->naudiences);
		}
		if (!found) {
			gw_err_set(err, GW_E_PROTO, "the audience is not one "
			    "the route takes");
			return GW_JWT_AUDIENCE;
		}
	}
	for (size_t i = 0; i < r->nrequired; i++)
		if (!gw_jv_get(c, r->required[i], &v) || v == NULL) {
			gw_err_set(err, GW_E_PROTO, "the token has no \"%s\"",
			    r->required[i]);
			return GW_JWT_CLAIM;
		}
	return GW_JWT_OK;
}

enum gw_jwt_why
gw_jwt_verify(const struct gw_jwt *t, const struct gw_keyset *keys,
    int64_t now, const struct gw_jwt_rules *r, struct gw_err *err)
{
	const struct gw_key	*k;
	int			 alg, tried = 0;

	if ((alg = gw_alg_parse(t->alg)) == -1) {
		gw_err_set(err, GW_E_PROTO, "algorithm '%.*s' is not taken",
		    (int)GW_MIN(t->alg.len, 16), t->alg.p);
		return GW_JWT_ALG;
	}
	if (r->algs != 0 && !(r->algs & (1u << alg))) {
		gw_err_set(err, GW_E_PROTO, "algorithm %s is not allowed here",
		    gw_alg_name((enum gw_alg)alg));
		return GW_JWT_ALG;
	}
	if (t->kid.p != NULL) {
		if ((k = gw_keyset_find(keys, t->kid)) == NULL) {
			gw_err_set(err, GW_E_NOTFOUND, "no key has the "
			    "token's kid");
			return GW_JWT_NO_KEY;
		}
		if (!gw_key_allows(k, (enum gw_alg)alg)) {
			gw_err_set(err, GW_E_PROTO, "the key of that kid is "
			    "not for %s", gw_alg_name((enum gw_alg)alg));
			return GW_JWT_ALG;
		}
		if (!gw_verify(k, (enum gw_alg)alg, t->text, t->signed_len,
		    t->sig, t->siglen)) {
			gw_err_set(err, GW_E_PROTO, "bad signature");
			return GW_JWT_SIGNATURE;
		}
		return check_claims(t, now, r, err);
	}
	for (size_t i = 0; i < gw_keyset_len(keys); i++) {
		k = gw_keyset_at(keys, i);
		if (!gw_key_allows(k, (enum gw_alg)alg))
			continue;
		tried++;
		if (gw_verify(k, (enum gw_alg)alg, t->text, t->signed_len,
		    t->sig, t->siglen))
			return check_claims(t, now, r, err);
	}
	if (tried == 0) {
		gw_err_set(err, GW_E_PROTO, "no key is for %s",
		    gw_alg_name((enum gw_alg)alg));
		return GW_JWT_ALG;
	}
	gw_err_set(err, GW_E_PROTO, "bad signature");
	return GW_JWT_SIGNATURE;
}

char *
gw_jwt_sign(const struct gw_key *k, enum gw_alg alg, const char *kid,
    const char *payload, struct gw_err *err)
{
	struct gw_buf	 hdr, out;
	unsigned char	 sig[GW_SIG_MAX];
	size_t		 siglen, plen = strlen(payload);
	char		*enc = NULL, *res = NULL;

	gw_buf_init(&hdr, 0);
	gw_buf_init(&out, 0);
	if (gw_buf_printf(&hdr, err, "{\"alg\":\"%s\",\"typ\":\"JWT\"",
	    gw_alg_name(alg)) == -1)
		goto out;
	if (kid != NULL && (gw_buf_puts(&hdr, ",\"kid\":\"", err) == -1 ||
	    gw_json_escape_append(&hdr, kid, strlen(kid), err) == -1 ||
	    gw_buf_putc(&hdr, '"', err) == -1))
		goto out;
	if (gw_buf_putc(&hdr, '}', err) == -1)
		goto out;
	if ((enc = malloc(GW_B64_ENCODED_MAX(GW_MAX(hdr.len, plen) +
	    GW_SIG_MAX))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	(void)gw_b64url_encode(hdr.p, hdr.len, enc);
	if (gw_buf_puts(&out, enc, err) == -1 ||
	    gw_buf_putc(&out, '.', err) == -1)
		goto out;
	(void)gw_b64url_encode(payload, plen, enc);
	if (gw_buf_puts(&out, enc, err) == -1)
		goto out;
	if (gw_sign(k, alg, out.p, out.len, sig, &siglen, err) == -1)
		goto out;
	(void)gw_b64url_encode(sig, siglen, enc);
	if (gw_buf_putc(&out, '.', err) == -1 ||
	    gw_buf_puts(&out, enc, err) == -1)
		goto out;
	res = gw_buf_take(&out, NULL, err);
 out:
	free(enc);
	gw_buf_release(&hdr);
	gw_buf_release(&out);
	return res;
}
