/*
 * fuzz-route.c: path normalization and route matching.
 *
 * The first byte picks the method (low 5 bits: the enum http_method plus
 * one) and the Host (high 3 bits), the second how the rest is used (0x80:
 * lines as patterns too, 0x40: every Host, 3: request fields); the rest is
 * a request path.  It is normalized and compared with a
 * plain transcription of RFC 3986 5.2.4 (remove_dot_segments) after
 * decoding the escapes of unreserved characters; the result must start with
 * '/', hold no "." or ".." segment, be at most as long as the input, and
 * normalize to itself.  Then it is matched against a fixed router, and,
 * when the second byte says so, the input's lines are taken as patterns
 * for a router of their own.  Matches are checked: parameters are
 * non-empty segments of the path, prefix_len ends a segment, the route's
 * methods allow the request's, a failed match's Allow set comes from the
 * routes.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "arena.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "route.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIT(m)	((uint64_t)1 << (m))

static char	n_env[] = "X-Env", v_canary[] = "canary", n_dbg[] = "X-Debug";

static const struct gw_route_header_match canary[] = { { n_env, v_canary } };
static const struct gw_route_header_match debug[] = { { n_dbg, NULL } };

static const struct gw_route_spec fixed[] = {
	{ NULL, 0, "/", GW_ROUTE_PREFIX, NULL, 0, NULL },
	{ NULL, BIT(HTTP_GET), "/health", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, 0, "/api", GW_ROUTE_PREFIX, NULL, 0, NULL },
	{ NULL, BIT(HTTP_GET) | BIT(HTTP_PUT), "/api/items/{id}",
	    GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, BIT(HTTP_POST), "/api/items", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, 0, "/api/items/new", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, BIT(HTTP_DELETE), "/api/{ver}/x/{id}", GW_ROUTE_EXACT, NULL,
	    0, NULL },
	{ NULL, 0, "/t/{tenant}", GW_ROUTE_PREFIX, NULL, 0, NULL },
	{ NULL, 0, "/t/{tenant}/admin/", GW_ROUTE_PREFIX, canary, 1, NULL },
	{ "api.example.com", 0, "/api", GW_ROUTE_PREFIX, NULL, 0, NULL },
	{ "*.example.com", BIT(HTTP_GET), "/w/{a}/{b}", GW_ROUTE_EXACT, NULL,
	    0, NULL },
	{ "*.b.example.com", 0, "/w", GW_ROUTE_PREFIX, debug, 1, NULL },
	{ "[::1]", BIT(HTTP_PATCH), "/", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, BIT(HTTP_HEAD), "/head-only", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, 0, "/%2F/%41", GW_ROUTE_EXACT, NULL, 0, NULL },
	{ NULL, 0, "//double", GW_ROUTE_EXACT, NULL, 0, NULL },
};

static const char *const hosts[] = {
	"", "example.com", "api.example.com", "API.EXAMPLE.COM:8080",
	"x.example.com", "a.b.example.com", "[::1]:80", "other.",
};

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-route: %s\n", what);
	abort();
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

/*
 * The reference: decode, then RFC 3986 5.2.4 rules B, C and E (A and D
 * need a relative path).  out has room for len + 2 bytes.  -1 if bad.
 */
static int
reference(const char *p, size_t len, char *out, size_t *outlen)
{
	char	*in;
	size_t	 n = 0, i = 0, o = 0;

	if (len == 0 || p[0] != '/')
		return -1;
	if ((in = malloc(len + 1)) == NULL)
		abort();
	while (i < len) {
		int c = (unsigned char)p[i];

		if (c == '\0' || (c == '%' && (len - i < 3 ||
		    hexval((unsigned char)p[i + 1]) == -1 ||
		    hexval((unsigned char)p[i + 2]) == -1))) {
			free(in);
			return -1;
		}
		if (c == '%') {
			c = hexval((unsigned char)p[i + 1]) * 16 +
			    hexval((unsigned char)p[i + 2]);
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || (c != 0 &&
			    strchr("-._~", c) != NULL))
				in[n++] = (char)c;
			else
				n += (size_t)snprintf(in + n, 4, "%%%02X", c);
			i += 3;
		} else {
			in[n++] = (char)c;
			i++;
		}
	}
	/* in[0..n) is the input buffer; i is where it starts now. */
	i = 0;
	while (i < n) {
		size_t rest = n - i;

		if (rest >= 3 && memcmp(in + i, "/./", 3) == 0)
			i += 2;				/* B: "/./" -> "/" */
		else if (rest == 2 && memcmp(in + i, "/.", 2) == 0) {
			i += 1;				/* B: "/." -> "/" */
			in[i] = '/';
		} else if ((rest >= 4 && memcmp(in + i, "/../", 4) == 0) ||
		    (rest == 3 && memcmp(in + i, "/..", 3) == 0)) {
			i += rest >= 4 ? 3 : 2;		/* C */
			in[i] = '/';
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			size_t e = i + 1;		/* E */

			while (e < n && in[e] != '/')
				e++;
			memcpy(out + o, in + i, e - i);
			o += e - i;
			i = e;
		}
	}
	free(in);
	*outlen = o;
	return 0;
}

/* 1 if the match m of path is consistent with the routes specs[]. */
static void
check_match(const struct gw_route_spec *specs, size_t n,
    const struct gw_route_match *m, struct gw_str path, int method)
{
	const struct gw_route_spec *s;

	if (m->index >= n || m->data != (void *)(uintptr_t)(m->index + 1))
		fail("a match names no route");
	s = &specs[m->index];
	if (s->methods != 0 && !(method >= 0 && method < 64 &&
	    (s->methods & BIT(method))) && !(method == HTTP_HEAD &&
	    (s->methods & BIT(HTTP_GET))))
		fail("a route that does not take the method");
	if (m->nparams > GW_MAX_PARAMS)
		fail("too many parameters");
	for (size_t i = 0; i < m->nparams; i++) {
		struct gw_str v = m->params[i].value;

		if (m->params[i].name == NULL || v.len == 0 || v.p < path.p ||
		    v.p + v.len > path.p + path.len || v.p[-1] != '/' ||
		    memchr(v.p, '/', v.len) != NULL ||
		    (v.p + v.len < path.p + path.len && v.p[v.len] != '/'))
			fail("a parameter that is not a segment of the path");
	}
	if (s->kind == GW_ROUTE_EXACT && m->prefix_len != path.len)
		fail("an exact match with prefix_len short of the path");
	if (m->prefix_len > path.len || (m->prefix_len > 0 &&
	    m->prefix_len < path.len && path.p[m->prefix_len] != '/'))
		fail("prefix_len off a segment boundary");
	if (s->kind == GW_ROUTE_EXACT && strchr(s->path, '{') == NULL &&
	    !gw_str_eq(path, gw_str_cstr(s->path)))
		fail("a literal exact route that differs from the path");
}

static void
match_all(const struct gw_router *r, const struct gw_route_spec *specs,
    size_t n, struct gw_str path, const uint8_t *data,
    const struct gw_http_head *h)
{
	struct gw_route_match	m;
	uint64_t		allow, all = 0;
	int			method = (int)(data[0] & 0x1f) - 1;

	for (size_t i = 0; i < n; i++)
		all |= specs[i].methods;
	if (all & BIT(HTTP_GET))
		all |= BIT(HTTP_HEAD);
	for (size_t k = 0; k < GW_ARRAY_LEN(hosts); k++) {
		if (gw_router_match(r, gw_str_cstr(hosts[((data[0] >> 5) + k) &
		    7]), method, path, h, &m, &allow) == 0) {
			if (allow != 0)
				fail("a match with an Allow set");
			check_match(specs, n, &m, path, method);
		} else if ((allow & ~all) != 0)
			fail("an Allow set with methods no route names");
		if (!(data[1] & 0x40))
			break;
	}
}

static struct gw_router *
build(const struct gw_route_spec *specs, size_t n)
{
	struct gw_router	*r;
	struct gw_err		 err;

	if ((r = gw_router_new()) == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct gw_route_spec s = specs[i];

		s.data = (void *)(uintptr_t)(i + 1);
		if (gw_router_add(r, &s, &err) == -1)
			fail(err.msg);
	}
	return r;
}

/* The input's lines as patterns, for a router of their own. */
static void
patterns(const char *p, size_t len, struct gw_str path, const uint8_t *data,
    const struct gw_http_head *h)
{
	struct gw_route_spec	 specs[8];
	char			 pat[8][128];
	struct gw_router	*r;
	struct gw_err		 err;
	size_t			 n = 0, i = 0;

	memset(specs, 0, sizeof(specs));
	while (i < len && n < GW_ARRAY_LEN(specs)) {
		size_t e = i;

		while (e < len && p[e] != '\n')
			e++;
		if (e - i < sizeof(pat[0]) && memchr(p + i, '\0', e - i) ==
		    NULL) {
			memcpy(pat[n], p + i, e - i);
			pat[n][e - i] = '\0';
			if (gw_route_check_pattern(pat[n], &err) == 0) {
				specs[n].path = pat[n];
				specs[n].kind = (p[i] + n) & 1 ?
				    GW_ROUTE_PREFIX : GW_ROUTE_EXACT;
				specs[n].methods = (e - i) & 2 ? BIT(HTTP_GET) :
				    0;
				n++;
			} else if (err.code != GW_E_CONFIG ||
			    err.msg[0] == '\0')
				fail("a bad pattern without GW_E_CONFIG");
		}
		i = e + 1;
	}
	r = build(specs, n);
	match_all(r, specs, n, path, data, h);
	gw_router_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_router		*r;
	static struct gw_http_head	 h;
	struct gw_arena			*a;
	const char			*in = (const char *)data + 2;
	char				*norm, *again, *ref;
	size_t				 len, nlen, alen, rlen;

	if (size < 2)
		return 0;
	len = size - 2;
	if (r == NULL) {
		r = build(fixed, GW_ARRAY_LEN(fixed));
		h.headers[0].name = GW_STR("x-env");
		h.headers[0].value = GW_STR("canary");
		h.headers[1].name = GW_STR("X-Debug");
		h.headers[1].value = GW_STR("");
	}
	h.nheaders = data[1] & 3;
	if ((a = gw_arena_new(256)) == NULL || (ref = malloc(len + 2)) ==
	    NULL)
		abort();
	norm = gw_route_normalize_path(a, gw_str_make(in, len), &nlen);
	if ((norm == NULL) != (reference(in, len, ref, &rlen) == -1))
		fail("normalization and the reference disagree on failure");
	if (norm != NULL) {
		if (nlen != rlen || memcmp(norm, ref, nlen) != 0)
			fail("normalization differs from the reference");
		if (nlen == 0 || norm[0] != '/' || norm[nlen] != '\0' ||
		    strlen(norm) != nlen || nlen > len)
			fail("a normalized path of the wrong shape");
		if (strstr(norm, "/./") != NULL || strstr(norm, "/../") !=
		    NULL || (nlen >= 2 && memcmp(norm + nlen - 2, "/.", 2) ==
		    0) || (nlen >= 3 && memcmp(norm + nlen - 3, "/..", 3) == 0))
			fail("a dot segment left");
		again = gw_route_normalize_path(a, gw_str_make(norm, nlen),
		    &alen);
		if (again == NULL || alen != nlen ||
		    memcmp(again, norm, nlen) != 0)
			fail("normalizing twice changes the path");
		match_all(r, fixed, GW_ARRAY_LEN(fixed), gw_str_make(norm,
		    nlen), data, &h);
		if (data[1] & 0x80)
			patterns(in, len, gw_str_make(norm, nlen), data, &h);
	}
	/* Raw input must not crash the matcher either. */
	match_all(r, fixed, GW_ARRAY_LEN(fixed), gw_str_make(in, len), data,
	    (data[1] & 4) ? &h : NULL);
	free(ref);
	gw_arena_free(a);
	return 0;
}
