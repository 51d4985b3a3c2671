/*
 * authz.c: the "authorize" and "ip" policies.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "authn.h"
#include "authz.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "server.h"
#include "str.h"

#define MAX_CIDRS	100000
#define MAX_XFF_HOPS	32

/* Addresses and networks. */

int
gw_ipaddr_parse(struct gw_str s, struct gw_ipaddr *out)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	struct in_addr	v4;

	if (s.len == 0 || s.len >= sizeof(buf) ||
	    memchr(s.p, '\0', s.len) != NULL)
		return -1;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(out->b, 0, 10);
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1)
		return 0;
	return -1;
}

struct cidr {
	struct gw_ipaddr	net;
	unsigned		bits;	/* of the 128 */
};

struct gw_cidrs {
	struct cidr	*c;
	size_t		 n;
};

void
gw_cidrs_free(struct gw_cidrs *c)
{
	if (c == NULL)
		return;
	free(c->c);
	free(c);
}

size_t
gw_cidrs_len(const struct gw_cidrs *c)
{
	return c->n;
}

static int
prefix_eq(const struct gw_ipaddr *a, const struct gw_ipaddr *net,
    unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a->b, net->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a->b[full] ^ net->b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
gw_cidrs_match(const struct gw_cidrs *c, const struct gw_ipaddr *a)
{
	for (size_t i = 0; i < c->n; i++)
		if (prefix_eq(a, &c->c[i].net, c->c[i].bits))
			return 1;
	return 0;
}

static int
cidr_one(struct gw_str w, struct cidr *out, struct gw_err *err)
{
	const char	*slash = memchr(w.p, '/', w.len);
	struct gw_str	 addr = w;
	uint64_t	 bits;
	int		 v4;

	if (slash != NULL)
		addr.len = (size_t)(slash - w.p);
	if (gw_ipaddr_parse(addr, &out->net) == -1)
		return gw_err_set(err, GW_E_PROTO, "'%.*s' is not an IP "
		    "address or network", (int)GW_MIN(w.len, 64), w.p);
	v4 = memchr(addr.p, ':', addr.len) == NULL;
	if (slash == NULL)
		bits = v4 ? 32 : 128;
	else if (gw_str_to_u64(gw_str_make(slash + 1, w.len - addr.len - 1),
	    v4 ? 32 : 128, &bits) == -1)
		return gw_err_set(err, GW_E_PROTO, "'%.*s': the prefix length "
		    "must be 0 to %d", (int)GW_MIN(w.len, 64), w.p,
		    v4 ? 32 : 128);
	out->bits = (unsigned)bits + (v4 ? 96 : 0);
	/* bits past the prefix: a typo more often than not */
	for (unsigned i = out->bits; i < 128; i++)
		if (out->net.b[i / 8] & (0x80 >> (i % 8)))
			return gw_err_set(err, GW_E_PROTO, "'%.*s' has bits "
			    "set past its prefix length", (int)GW_MIN(w.len,
			    64), w.p);
	return 0;
}

int
gw_cidrs_parse(const char *text, size_t len, struct gw_cidrs **out,
    struct gw_err *err)
{
	struct gw_cidrs	*c;
	size_t		 i = 0, cap = 0;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	while (i < len) {
		size_t s;

		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] == ',' || text[i] == ' ' || text[i] == '\t' ||
		    text[i] == '\n' || text[i] == '\r') {
			i++;
			continue;
		}
		s = i;
		while (i < len && text[i] != ',' && text[i] != ' ' &&
		    text[i] != '\t' && text[i] != '\n' && text[i] != '\r' &&
		    text[i] != '#')
			i++;
		if (c->n == MAX_CIDRS) {
			gw_cidrs_free(c);
			return gw_err_set(err, GW_E_LIMIT, "more than %d "
			    "networks", MAX_CIDRS);
		}
		if (c->n == cap) {
			size_t		 nc = cap == 0 ? 8 : cap * 2;
			struct cidr	*n = realloc(c->c, nc * sizeof(*n));

			if (n == NULL) {
				gw_cidrs_free(c);
				return gw_err_set(err, GW_E_NOMEM,
				    "out of memory");
			}
			c->c = n;
			cap = nc;
		}
		if (cidr_one(gw_str_make(text + s, i - s), &c->c[c->n],
		    err) == -1) {
			gw_cidrs_free(c);
			return -1;
		}
		c->n++;
	}
	*out = c;
	return 0;
}

int
gw_authz_client(struct gw_req *req, const struct gw_cidrs *trusted,
    struct gw_ipaddr *out)
{
	const struct gw_http_head	*h = gw_req_head(req);
	struct gw_ipaddr		 a;
	struct gw_str			 hops[MAX_XFF_HOPS];
	size_t				 nhops = 0;

	if (gw_ipaddr_parse(gw_str_cstr(gw_req_client(req)), &a) == -1)
		return -1;
	if (trusted == NULL || !gw_cidrs_match(trusted, &a)) {
		*out = a;
		return 0;
	}
	/* every X-Forwarded-For field, in order, split at commas */
	for (size_t i = 0; i < h->nheaders; i++) {
		struct gw_str v = h->headers[i].value;
		size_t s = 0;

		if (!gw_str_caseeq_cstr(h->headers[i].name, "x-forwarded-for"))
			continue;
		for (size_t k = 0; k <= v.len; k++)
			if (k == v.len || v.p[k] == ',') {
				if (nhops == MAX_XFF_HOPS)
					memmove(hops, hops + 1,
					    (MAX_XFF_HOPS - 1) * sizeof(*hops));
				else
					nhops++;
				hops[nhops - 1] = gw_str_trim(
				    gw_str_make(v.p + s, k - s));
				s = k + 1;
			}
	}
	/* from the right: the first hop that is not one of ours */
	while (nhops > 0) {
		if (gw_ipaddr_parse(hops[nhops - 1], &a) == -1)
			return -1;
		if (!gw_cidrs_match(trusted, &a))
			break;
		nhops--;
	}
	*out = a;
	return 0;
}

static const char *
ipaddr_text(const struct gw_ipaddr *a, char *buf, size_t size)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(a->b, mapped, 12) == 0)
		return inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size);
	return inet_ntop(AF_INET6, a->b, buf, (socklen_t)size);
}

/* A CIDR list from a string or an array member: 1, 0 absent, -1 reported. */
static int
cidrs_member(struct gw_jcheck *ck, const struct json_object *v,
    const char *key, struct gw_cidrs **out)
{
	char		**list = NULL;
	size_t		  n = 0;
	struct gw_buf	  b;
	struct gw_err	  err;
	int		  r;

	if ((r = gw_jcheck_strs(ck, v, key, &list, &n)) != 1)
		return r;
	gw_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		if (gw_buf_puts(&b, list[i], NULL) == -1 ||
		    gw_buf_putc(&b, '\n', NULL) == -1)
			r = -1;
	gw_jcheck_strs_free(list);
	if (r == 1 && gw_cidrs_parse(b.p == NULL ? "" : b.p, b.len, out,
	    &err) == -1) {
		struct json_object	*jv;
		size_t			 old = gw_jcheck_push_key(ck, key);

		(void)gw_jv_get(v, key, &jv);
		gw_jcheck_error(ck, v, key, jv, "%s", err.msg);
		gw_jcheck_pop(ck, old);
		r = -1;
	}
	gw_buf_release(&b);
	return r;
}

/* ip. */

struct ip_state {
	struct gw_cidrs	*allow;
	struct gw_cidrs	*deny;
	struct gw_cidrs	*trusted;
};

static void
ip_free(void *arg)
{
	struct ip_state *st = arg;

	if (st == NULL)
		return;
	gw_cidrs_free(st->allow);
	gw_cidrs_free(st->deny);
	gw_cidrs_free(st->trusted);
	free(st);
}

static int
ip_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "allow", "deny",
	    "trusted_proxies", NULL };
	struct ip_state	*st;
	int		 rc = 0;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	if (cidrs_member(ck, v, "allow", &st->allow) == -1 ||
	    cidrs_member(ck, v, "deny", &st->deny) == -1 ||
	    cidrs_member(ck, v, "trusted_proxies", &st->trusted) == -1)
		rc = -1;
	if (rc == 0 && st->allow == NULL && st->deny == NULL &&
	    st->trusted == NULL) {
		gw_jcheck_error(ck, parent, key, v, "give \"allow\", \"deny\" "
		    "or \"trusted_proxies\"");
		rc = -1;
	}
	if (rc != 0) {
		ip_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static enum gw_policy_rc
forbid(struct gw_req *req, const char *policy, const char *detail)
{
	gw_log_info("%s: request %s forbidden: %s", policy, gw_req_id(req),
	    detail);
	gw_req_count(req, policy, "refused");
	gw_authn_problem(req, 403, "forbidden", detail, NULL, 0);
	return GW_POLICY_DONE;
}

static enum gw_policy_rc
ip_request(struct gw_req *req, void *arg)
{
	struct ip_state		*st = arg;
	struct gw_ipaddr	 a;
	char			 text[INET6_ADDRSTRLEN];

	if (gw_authz_client(req, st->trusted, &a) == -1) {
		if (st->allow != NULL)
			return forbid(req, "ip", "the client address is not "
			    "known");
		return GW_POLICY_NEXT;
	}
	if (ipaddr_text(&a, text, sizeof(text)) != NULL &&
	    gw_req_var_set(req, "client_ip", gw_str_cstr(text)) == -1) {
		gw_resp_problem(req, 500, "internal", "out of memory");
		return GW_POLICY_DONE;
	}
	if (st->deny != NULL && gw_cidrs_match(st->deny, &a))
		return forbid(req, "ip", "the client address is denied");
	if (st->allow != NULL && !gw_cidrs_match(st->allow, &a))
		return forbid(req, "ip", "the client address is not allowed");
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_ip = {
	.name = "ip",
	.parse = ip_parse,
	.free = ip_free,
	.request = ip_request,
};

/* authorize. */

struct claim_rule {
	char	 *name;		/* "a.b" looks into objects */
	char	**values;	/* JSON text of numbers and booleans */
	size_t	  nvalues;
};

struct authorize_state {
	char			**scopes;
	size_t			  nscopes;
	char			**consumers;
	size_t			  nconsumers;
	char			**groups;
	size_t			  ngroups;
	struct claim_rule	 *claims;
	size_t			  nclaims;
};

static void
authorize_free(void *arg)
{
	struct authorize_state *st = arg;

	if (st == NULL)
		return;
	gw_jcheck_strs_free(st->scopes);
	gw_jcheck_strs_free(st->consumers);
	gw_jcheck_strs_free(st->groups);
	for (size_t i = 0; i < st->nclaims; i++) {
		free(st->claims[i].name);
		for (size_t k = 0; k < st->claims[i].nvalues; k++)
			free(st->claims[i].values[k]);
		free(st->claims[i].values);
	}
	free(st->claims);
	free(st);
}

/* One accepted value of a claim as text: strings bare, others as JSON. */
static char *
value_text(const struct json_object *v)
{
	struct gw_buf	 b;
	const char	*s;

	if ((s = gw_jv_str(v, NULL)) != NULL)
		return strdup(s);
	gw_buf_init(&b, 4096);
	if (gw_jv_serialize(v, &b, NULL) == -1) {
		gw_buf_release(&b);
		return NULL;
	}
	return gw_buf_take(&b, NULL, NULL);
}

static int
scalar(const struct json_object *v)
{
	enum gw_jv_type t = gw_jv_type(v);

	return t == GW_JT_STRING || t == GW_JT_INT || t == GW_JT_DOUBLE ||
	    t == GW_JT_BOOL;
}

static int
parse_claims(struct gw_jcheck *ck, const struct json_object *v,
    struct authorize_state *st)
{
	struct json_object	*c, *val;
	struct gw_jv_iter	 it;
	const char		*name;
	size_t			 old;
	int			 rc = 0;

	if (!gw_jv_get(v, "claims", &c))
		return 0;
	old = gw_jcheck_push_key(ck, "claims");
	if (gw_jv_type(c) != GW_JT_OBJECT) {
		gw_jcheck_error(ck, v, "claims", c, "expected an object of "
		    "claim names and the values they may have");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	if ((st->claims = calloc(gw_jv_len(c) + 1, sizeof(*st->claims))) ==
	    NULL) {
		gw_jcheck_pop(ck, old);
		return -1;
	}
	gw_jv_iter_init(&it, c);
	while (gw_jv_iter_next(&it, &name, &val)) {
		struct claim_rule	*r = &st->claims[st->nclaims];
		size_t			 n = gw_jv_type(val) == GW_JT_ARRAY ?
		    gw_jv_len(val) : 1;
		int			 ok = n > 0;

		if (gw_jv_type(val) == GW_JT_ARRAY)
			for (size_t i = 0; i < n; i++)
				ok &= scalar(gw_jv_at(val, i));
		else
			ok = scalar(val);
		if (!ok) {
			size_t o2 = gw_jcheck_push_key(ck, name);

			gw_jcheck_error(ck, c, name, val, "expected a value, or "
			    "an array of values, one of which the claim must "
			    "have");
			gw_jcheck_pop(ck, o2);
			rc = -1;
			continue;
		}
		if ((r->name = strdup(name)) == NULL ||
		    (r->values = calloc(n, sizeof(char *))) == NULL) {
			free(r->name);
			rc = -1;
			continue;
		}
		st->nclaims++;
		for (size_t i = 0; i < n; i++)
			if ((r->values[r->nvalues++] = value_text(
			    gw_jv_type(val) == GW_JT_ARRAY ? gw_jv_at(val, i) :
			    val)) == NULL)
				rc = -1;
	}
	gw_jcheck_pop(ck, old);
	return rc;
}

static int
authorize_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "scopes", "consumers", "groups",
	    "claims", NULL };
	struct authorize_state	*st;
	int			 rc = 0;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	if (gw_jcheck_strs(ck, v, "scopes", &st->scopes, &st->nscopes) == -1 ||
	    gw_jcheck_strs(ck, v, "consumers", &st->consumers,
	    &st->nconsumers) == -1 ||
	    gw_jcheck_strs(ck, v, "groups", &st->groups, &st->ngroups) == -1 ||
	    parse_claims(ck, v, st) == -1)
		rc = -1;
	for (size_t i = 0; i < st->nscopes; i++)
		if (st->scopes[i][0] == '\0' ||
		    strpbrk(st->scopes[i], " \t") != NULL) {
			gw_jcheck_error(ck, parent, key, v, "scope '%s' cannot "
			    "hold spaces", st->scopes[i]);
			rc = -1;
		}
	if (rc == 0 && st->nscopes == 0 && st->nconsumers == 0 &&
	    st->ngroups == 0 && st->nclaims == 0) {
		gw_jcheck_error(ck, parent, key, v, "give \"scopes\", "
		    "\"consumers\", \"groups\" or \"claims\"");
		rc = -1;
	}
	if (rc != 0) {
		authorize_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* 1 if word is one of the sep-separated words of list. */
static int
has_word(struct gw_str list, const char *word, char sep)
{
	size_t wl = strlen(word), s = 0;

	for (size_t i = 0; i <= list.len; i++)
		if (i == list.len || list.p[i] == sep ||
		    (sep == ' ' && list.p[i] == '\t')) {
			if (i - s == wl && memcmp(list.p + s, word, wl) == 0)
				return 1;
			s = i + 1;
		}
	return 0;
}

/* The claim at a dotted path of the claims object, or NULL. */
static int
claim_at(const struct json_object *claims, const char *path,
    struct json_object **out)
{
	const struct json_object	*o = claims;
	char				 part[256];
	const char			*p = path;

	for (;;) {
		const char	*dot = strchr(p, '.');
		size_t		 n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		struct json_object *next;

		if (n >= sizeof(part))
			return 0;
		memcpy(part, p, n);
		part[n] = '\0';
		/* a claim whose own name has dots wins over the path */
		if (o == claims && gw_jv_get(o, path, out))
			return 1;
		if (!gw_jv_get(o, part, &next))
			return 0;
		if (dot == NULL) {
			*out = next;
			return 1;
		}
		o = next;
		p = dot + 1;
	}
}

static int
value_matches(const struct json_object *v, const struct claim_rule *r)
{
	char	*t;
	int	 ok = 0;

	if (gw_jv_type(v) == GW_JT_ARRAY) {
		for (size_t i = 0; i < gw_jv_len(v) && !ok; i++) {
			struct json_object *e = gw_jv_at(v, i);

			if (scalar(e))
				ok = value_matches(e, r);
		}
		return ok;
	}
	if (!scalar(v) || (t = value_text(v)) == NULL)
		return 0;
	for (size_t i = 0; i < r->nvalues && !ok; i++)
		ok = strcmp(t, r->values[i]) == 0;
	free(t);
	return ok;
}

static enum gw_policy_rc
authorize_request(struct gw_req *req, void *arg)
{
	struct authorize_state	*st = arg;
	struct gw_str		 method = gw_req_var(req, "auth.method");
	struct gw_str		 consumer = gw_req_var(req, "consumer");
	struct gw_str		 groups = gw_req_var(req, "groups");
	struct gw_str		 scope = gw_req_var(req, "scope");
	struct gw_str		 cj = gw_req_var(req, "auth.claims");
	char			 detail[300];
	int			 ok;

	if (method.p == NULL)
		return forbid(req, "authorize", "no authentication step "
		    "ran before authorization");
	for (size_t i = 0; i < st->nscopes; i++)
		if (scope.p == NULL || !has_word(scope, st->scopes[i], ' ')) {
			(void)snprintf(detail, sizeof(detail), "the scope "
			    "'%s' is required", st->scopes[i]);
			return forbid(req, "authorize", detail);
		}
	if (st->nconsumers > 0) {
		ok = 0;
		for (size_t i = 0; i < st->nconsumers && !ok; i++)
			ok = consumer.p != NULL && gw_str_eq(consumer,
			    gw_str_cstr(st->consumers[i]));
		if (!ok)
			return forbid(req, "authorize", "this consumer may "
			    "not use this route");
	}
	if (st->ngroups > 0) {
		ok = 0;
		for (size_t i = 0; i < st->ngroups && !ok; i++)
			ok = groups.p != NULL &&
			    has_word(groups, st->groups[i], ',');
		if (!ok)
			return forbid(req, "authorize", "the consumer is in "
			    "none of the groups this route takes");
	}
	if (st->nclaims > 0) {
		struct gw_jdoc	*doc = NULL;
		struct gw_err	 err;

		if (cj.p == NULL || gw_jdoc_parse(cj.p, cj.len, "claims", 0,
		    &doc, &err) == -1)
			return forbid(req, "authorize", "the credential has "
			    "no claims");
		for (size_t i = 0; i < st->nclaims; i++) {
			struct json_object *v;

			if (!claim_at(gw_jdoc_root(doc), st->claims[i].name,
			    &v) || !value_matches(v, &st->claims[i])) {
				gw_jdoc_free(doc);
				(void)snprintf(detail, sizeof(detail), "the "
				    "claim '%s' does not have a value this "
				    "route takes", st->claims[i].name);
				return forbid(req, "authorize", detail);
			}
		}
		gw_jdoc_free(doc);
	}
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_authorize = {
	.name = "authorize",
	.parse = authorize_parse,
	.free = authorize_free,
	.request = authorize_request,
};
