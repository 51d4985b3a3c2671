/*
 * route_test.c: path patterns, the router's precedence rules, path
 * normalization, method names.
 *
 * Routes are added from a table; a match is described as one string
 * ("#index prefix_len name=value ..." or "none allow=GET, HEAD") so that
 * each case compares one exact expectation.
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

#include "tap.h"

#define BIT(m)	((uint64_t)1 << (m))
#define GET	BIT(HTTP_GET)
#define POST	BIT(HTTP_POST)
#define PUT	BIT(HTTP_PUT)
#define DEL	BIT(HTTP_DELETE)

#define EXACT	GW_ROUTE_EXACT
#define PREFIX	GW_ROUTE_PREFIX

struct rdef {
	const char			*host;
	uint64_t			 methods;
	const char			*path;
	enum gw_route_path_kind		 kind;
	const struct gw_route_header_match *headers;
	size_t				 nheaders;
};

/* A router from a table; each route's data is its index in the table. */
static struct gw_router *
router(const struct rdef *defs, size_t n)
{
	struct gw_router	*r;
	struct gw_err		 err;

	if ((r = gw_router_new()) == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct gw_route_spec spec;

		memset(&spec, 0, sizeof(spec));
		spec.host = defs[i].host;
		spec.methods = defs[i].methods;
		spec.path = defs[i].path;
		spec.kind = defs[i].kind;
		spec.headers = defs[i].headers;
		spec.nheaders = defs[i].nheaders;
		spec.data = (void *)(uintptr_t)(i + 1000);
		if (gw_router_add(r, &spec, &err) == -1) {
			printf("# route %zu '%s': %s\n", i, defs[i].path,
			    err.msg);
			abort();
		}
	}
	return r;
}

/* A request head holding the given header lines ("Name: value"). */
static struct gw_http_head	head;

static const struct gw_http_head *
with_headers(const char *const *lines, size_t n)
{
	memset(&head, 0, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(lines[i], ':');

		head.headers[i].name = gw_str_make(lines[i],
		    (size_t)(colon - lines[i]));
		head.headers[i].value = gw_str_cstr(colon + 2);
	}
	head.nheaders = n;
	return &head;
}

/* The match as a string; valid until the next call. */
static const char *
match_h(const struct gw_router *r, const char *host, int method,
    const char *path, const struct gw_http_head *h)
{
	static char		out[512];
	struct gw_route_match	m;
	uint64_t		allow = 12345;
	struct gw_str		ps = gw_str_cstr(path);
	size_t			n;

	memset(&m, 0xa5, sizeof(m));
	if (gw_router_match(r, gw_str_cstr(host), method, ps, h, &m,
	    &allow) == -1) {
		char list[256];

		gw_route_methods_str(allow, list, sizeof(list));
		(void)snprintf(out, sizeof(out), "none allow=%s", list);
		return out;
	}
	if ((uintptr_t)m.data != m.index + 1000) {
		(void)snprintf(out, sizeof(out), "data %p for index %zu",
		    m.data, m.index);
		return out;
	}
	if (allow != 0) {
		(void)snprintf(out, sizeof(out), "allow set on a match");
		return out;
	}
	n = (size_t)snprintf(out, sizeof(out), "#%zu %zu", m.index,
	    m.prefix_len);
	for (size_t i = 0; i < m.nparams && n < sizeof(out); i++) {
		struct gw_str v = m.params[i].value;

		if (v.p < ps.p || v.p + v.len > ps.p + ps.len)
			return "a parameter outside the path";
		n += (size_t)snprintf(out + n, sizeof(out) - n, " %s=%.*s",
		    m.params[i].name, (int)v.len, v.p);
	}
	return out;
}

static const char *
match(const struct gw_router *r, const char *host, int method,
    const char *path)
{
	return match_h(r, host, method, path, NULL);
}

/*
 * Patterns.
 */

static void
test_patterns(void)
{
	static const char *const good[] = {
		"/", "/a", "/a/", "/a/b/c", "/items/{id}", "/{a}/{b}/c",
		"/a/{x_2}/b/{Y}", "/a//b", "/...", "/.a", "/a.",
		"/~user/%41;x=1,y@:!$&'()*+=-_",
	};
	static const struct {
		const char	*path, *msg;
	} bad[] = {
		{ "", "path must start with '/'" },
		{ "a", "path must start with '/'" },
		{ "*", "path must start with '/'" },
		{ "/a b", "bad character in path" },
		{ "/a?x", "bad character in path" },
		{ "/a#", "bad character in path" },
		{ "/\t", "bad character in path" },
		{ "/\x7f", "bad character in path" },
		{ "/caf\xc3\xa9", "bad character in path" },
		{ "/{}", "a parameter must be a whole segment, as in "
		    "'/items/{id}'" },
		{ "/x{id}", "a parameter must be a whole segment, as in "
		    "'/items/{id}'" },
		{ "/{id}x", "a parameter must be a whole segment, as in "
		    "'/items/{id}'" },
		{ "/{id", "a parameter must be a whole segment, as in "
		    "'/items/{id}'" },
		{ "/{1x}", "bad parameter name '{1x}'" },
		{ "/{a-b}", "bad parameter name '{a-b}'" },
		{ "/{{a}}", "bad parameter name '{{a}}'" },
		{ "/{a}/{a}", "parameter '{a}' appears twice" },
		{ "/a/./b", "'.' and '..' segments never match a normalized "
		    "path" },
		{ "/..", "'.' and '..' segments never match a normalized "
		    "path" },
		{ "/a/.", "'.' and '..' segments never match a normalized "
		    "path" },
	};
	struct gw_err	err;
	char		p[1024];
	size_t		n;

	for (size_t i = 0; i < GW_ARRAY_LEN(good); i++)
		ok(gw_route_check_pattern(good[i], &err) == 0,
		    "pattern %s is good", good[i]);
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		gw_err_clear(&err);
		if (!ok(gw_route_check_pattern(bad[i].path, &err) == -1 &&
		    err.code == GW_E_CONFIG && strcmp(err.msg, bad[i].msg) == 0,
		    "pattern '%s' is refused", bad[i].path))
			printf("#   got '%s'\n", err.msg);
	}
	ok(gw_route_check_pattern(NULL, &err) == -1, "a NULL pattern");

	/* Parameter names of 64 characters, not 65. */
	memcpy(p, "/{", 2);
	memset(p + 2, 'n', 64);
	memcpy(p + 2 + 64, "}", 2);
	ok(gw_route_check_pattern(p, &err) == 0, "a name of 64 characters");
	memset(p + 2, 'n', 65);
	memcpy(p + 2 + 65, "}", 2);
	ok(gw_route_check_pattern(p, &err) == -1 &&
	    strncmp(err.msg, "bad parameter name '{nnn", 24) == 0,
	    "a name of 65 characters is refused");

	/* 16 parameters, not 17; 128 segments, not 129. */
	n = 0;
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(p + n, sizeof(p) - n, "/{p%d}", i);
	ok(gw_route_check_pattern(p, &err) == 0, "16 parameters");
	(void)snprintf(p + n, sizeof(p) - n, "/{p16}");
	ok(gw_route_check_pattern(p, &err) == -1 &&
	    strcmp(err.msg, "more than 16 parameters") == 0,
	    "17 parameters are refused");
	for (n = 0; n < 128; n++)
		memcpy(p + 2 * n, "/a", 2);
	p[2 * n] = '\0';
	ok(gw_route_check_pattern(p, &err) == 0, "128 segments");
	memcpy(p + 2 * n, "/a", 3);
	ok(gw_route_check_pattern(p, &err) == -1 &&
	    strcmp(err.msg, "path has too many segments") == 0,
	    "129 segments are refused");

	{
		struct gw_router	*r = gw_router_new();
		struct gw_route_spec	 spec;

		memset(&spec, 0, sizeof(spec));
		spec.path = "/a/{1}";
		ok(gw_router_add(r, &spec, &err) == -1 &&
		    err.code == GW_E_CONFIG,
		    "gw_router_add checks the pattern");
		is_str(match(r, "", HTTP_GET, "/a/x"), "none allow=",
		    "... and adds nothing");
		gw_router_free(r);
	}
}

/*
 * Paths.
 */

static void
test_exact(void)
{
	static const struct rdef defs[] = {
		{ NULL, 0, "/health", EXACT, NULL, 0 },			/* 0 */
		{ NULL, 0, "/", EXACT, NULL, 0 },			/* 1 */
		{ NULL, 0, "/items/{id}", EXACT, NULL, 0 },		/* 2 */
		{ NULL, 0, "/items/new", EXACT, NULL, 0 },		/* 3 */
		{ NULL, 0, "/u/{uid}/posts/{pid}", EXACT, NULL, 0 },	/* 4 */
		{ NULL, 0, "/a/{x}/c", EXACT, NULL, 0 },		/* 5 */
		{ NULL, 0, "/a/b/d", EXACT, NULL, 0 },			/* 6 */
		{ NULL, 0, "/dir/", EXACT, NULL, 0 },			/* 7 */
		{ NULL, 0, "/{a}/z", EXACT, NULL, 0 },			/* 8 */
		{ NULL, 0, "/q/{b}", EXACT, NULL, 0 },			/* 9 */
	};
	static const struct {
		const char *path, *want;
	} t[] = {
		{ "/health", "#0 7" },
		{ "/health/", "none allow=" },
		{ "/healthz", "none allow=" },
		{ "/Health", "none allow=" },
		{ "/", "#1 1" },
		{ "//", "none allow=" },
		{ "/items/42", "#2 9 id=42" },
		{ "/items/new", "#3 10" },
		{ "/items/news", "#2 11 id=news" },
		{ "/items/", "none allow=" },
		{ "/items", "none allow=" },
		{ "/items/42/x", "none allow=" },
		{ "/items/%2F", "#2 10 id=%2F" },
		{ "/u/7/posts/9", "#4 12 uid=7 pid=9" },
		{ "/a/b/c", "#5 6 x=b" },
		{ "/a/b/d", "#6 6" },
		{ "/a/q/c", "#5 6 x=q" },
		{ "/dir/", "#7 5" },
		{ "/dir", "none allow=" },
		{ "/q/z", "#9 4 b=z" },
		{ "/r/z", "#8 4 a=r" },
	};
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_str(match(r, "example.com", HTTP_GET, t[i].path), t[i].want,
		    "%s", t[i].path);
	is_str(match(r, "", HTTP_GET, ""), "none allow=", "an empty path");
	is_str(match(r, "", HTTP_GET, "health"), "none allow=",
	    "a path without '/'");
	gw_router_free(r);
}

static void
test_prefix(void)
{
	static const struct rdef defs[] = {
		{ NULL, 0, "/api", PREFIX, NULL, 0 },			/* 0 */
		{ NULL, 0, "/api/v2/", PREFIX, NULL, 0 },		/* 1 */
		{ NULL, 0, "/api/v2/x", EXACT, NULL, 0 },		/* 2 */
		{ NULL, 0, "/t/{tenant}", PREFIX, NULL, 0 },		/* 3 */
		{ NULL, 0, "/t/{tenant}/admin", PREFIX, NULL, 0 },	/* 4 */
		{ NULL, 0, "/s/{a}", PREFIX, NULL, 0 },			/* 5 */
		{ NULL, 0, "/s/lit", PREFIX, NULL, 0 },			/* 6 */
		{ NULL, 0, "/s/{b}/deep", PREFIX, NULL, 0 },		/* 7 */
	};
	static const struct {
		const char *path, *want;
	} t[] = {
		{ "/api", "#0 4" },
		{ "/api/", "#0 4" },
		{ "/api/x/y", "#0 4" },
		{ "/apix", "none allow=" },
		{ "/ap", "none allow=" },
		{ "/", "none allow=" },
		{ "/api/v2", "#1 7" },
		{ "/api/v2/", "#1 7" },
		{ "/api/v2/x", "#2 9" },
		{ "/api/v2/x/", "#1 7" },
		{ "/api/v2/xy", "#1 7" },
		{ "/api/v1/x", "#0 4" },
		{ "/api//v2", "#0 4" },
		{ "/t/acme", "#3 7 tenant=acme" },
		{ "/t/acme/x/y", "#3 7 tenant=acme" },
		{ "/t/acme/admin/users", "#4 13 tenant=acme" },
		{ "/t/", "none allow=" },
		{ "/s/lit/x", "#6 6" },
		{ "/s/other/x", "#5 8 a=other" },
		{ "/s/lit/deep/x", "#7 11 b=lit" },
	};
	static const struct rdef root[] = {
		{ NULL, 0, "/", PREFIX, NULL, 0 },			/* 0 */
		{ NULL, 0, "/x", EXACT, NULL, 0 },			/* 1 */
	};
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_str(match(r, "", HTTP_GET, t[i].path), t[i].want, "%s",
		    t[i].path);
	gw_router_free(r);

	r = router(root, GW_ARRAY_LEN(root));
	is_str(match(r, "", HTTP_GET, "/"), "#0 0",
	    "the prefix \"/\" takes \"/\", prefix_len 0");
	is_str(match(r, "", HTTP_GET, "/anything/at/all"), "#0 0",
	    "... and anything");
	is_str(match(r, "", HTTP_GET, "/x"), "#1 2", "... but an exact route");
	is_str(match(r, "", HTTP_GET, "/x/"), "#0 0", "... only exactly");
	gw_router_free(r);
}

/*
 * Hosts.
 */

static void
test_hosts(void)
{
	static const struct rdef defs[] = {
		{ "API.example.com", 0, "/x", EXACT, NULL, 0 },		/* 0 */
		{ "*.example.com", 0, "/x", EXACT, NULL, 0 },		/* 1 */
		{ NULL, 0, "/x", EXACT, NULL, 0 },			/* 2 */
		{ "*.b.example.com", 0, "/x", EXACT, NULL, 0 },		/* 3 */
		{ "*", 0, "/y", EXACT, NULL, 0 },			/* 4 */
		{ "api.example.com:8443", 0, "/only", EXACT, NULL, 0 },	/* 5 */
		{ "[::1]", 0, "/x", EXACT, NULL, 0 },			/* 6 */
		{ "*.example.com", 0, "/w", PREFIX, NULL, 0 },		/* 7 */
		{ NULL, 0, "/w/deeper", PREFIX, NULL, 0 },		/* 8 */
		{ "dot.example.", 0, "/x", EXACT, NULL, 0 },		/* 9 */
	};
	static const struct {
		const char *host, *path, *want;
	} t[] = {
		{ "api.example.com", "/x", "#0 2" },
		{ "API.EXAMPLE.COM", "/x", "#0 2" },
		{ "api.example.com:8080", "/x", "#0 2" },
		{ "api.example.com.", "/x", "#0 2" },
		{ "api.example.com.:80", "/x", "#0 2" },
		{ "www.example.com", "/x", "#1 2" },
		{ "a.b.c.example.com", "/x", "#1 2" },
		{ "a.b.example.com", "/x", "#3 2" },
		{ "b.example.com", "/x", "#1 2" },
		{ "example.com", "/x", "#2 2" },
		{ "xexample.com", "/x", "#2 2" },
		{ ".example.com", "/x", "#2 2" },
		{ "other", "/x", "#2 2" },
		{ "", "/x", "#2 2" },
		{ "api.example.com", "/y", "#4 2" },
		{ "api.example.com", "/only", "#5 5" },
		{ "api.example.com:1", "/only", "#5 5" },
		{ "www.example.com", "/only", "none allow=" },
		{ "[::1]:8080", "/x", "#6 2" },
		{ "[::1]", "/x", "#6 2" },
		{ "[::2]", "/x", "#2 2" },
		{ "a.example.com", "/w/deeper/x", "#7 2" },
		{ "other", "/w/deeper/x", "#8 9" },
		{ "dot.example", "/x", "#9 2" },
	};
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_str(match(r, t[i].host, HTTP_GET, t[i].path), t[i].want,
		    "host '%s' %s", t[i].host, t[i].path);
	gw_router_free(r);
}

/*
 * Methods, headers, ties.
 */

static void
test_methods(void)
{
	static const struct rdef defs[] = {
		{ NULL, GET, "/m", EXACT, NULL, 0 },			/* 0 */
		{ NULL, POST, "/m", EXACT, NULL, 0 },			/* 1 */
		{ NULL, 0, "/z", EXACT, NULL, 0 },			/* 2 */
		{ NULL, GET, "/z", EXACT, NULL, 0 },			/* 3 */
		{ NULL, PUT | DEL, "/p", PREFIX, NULL, 0 },		/* 4 */
		{ NULL, GET, "/p/sub", PREFIX, NULL, 0 },		/* 5 */
		{ NULL, POST, "/e/{id}", EXACT, NULL, 0 },		/* 6 */
		{ NULL, BIT(HTTP_HEAD), "/h", EXACT, NULL, 0 },		/* 7 */
	};
	static const struct {
		int		 method;
		const char	*path, *want;
	} t[] = {
		{ HTTP_GET, "/m", "#0 2" },
		{ HTTP_POST, "/m", "#1 2" },
		{ HTTP_HEAD, "/m", "#0 2" },
		{ HTTP_PUT, "/m", "none allow=GET, HEAD, POST" },
		{ HTTP_OPTIONS, "/m", "none allow=GET, HEAD, POST" },
		{ HTTP_GET, "/z", "#3 2" },
		{ HTTP_HEAD, "/z", "#3 2" },
		{ HTTP_POST, "/z", "#2 2" },
		{ HTTP_PUT, "/p/x", "#4 2" },
		{ HTTP_DELETE, "/p", "#4 2" },
		{ HTTP_GET, "/p/x", "none allow=DELETE, PUT" },
		{ HTTP_GET, "/p/sub/x", "#5 6" },
		{ HTTP_PUT, "/p/sub/x", "#4 2" },
		{ HTTP_POST, "/p/sub/x", "none allow=DELETE, GET, HEAD, PUT" },
		{ HTTP_POST, "/e/1", "#6 4 id=1" },
		{ HTTP_GET, "/e/1", "none allow=POST" },
		{ HTTP_GET, "/e/", "none allow=" },
		{ HTTP_HEAD, "/h", "#7 2" },
		{ HTTP_GET, "/h", "none allow=HEAD" },
		{ HTTP_GET, "/nothing", "none allow=" },
		{ -1, "/m", "none allow=GET, HEAD, POST" },
		{ 64, "/m", "none allow=GET, HEAD, POST" },
		{ 99, "/z", "#2 2" },
	};
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_str(match(r, "", t[i].method, t[i].path), t[i].want,
		    "%s %s", t[i].method >= 0 && t[i].method < 34 ?
		    http_method_str((enum http_method)t[i].method) : "?",
		    t[i].path);
	gw_router_free(r);
}

static void
test_headers(void)
{
	static char n_env[] = "X-Env", v_canary[] = "canary";
	static char n_a[] = "x-a", v_1[] = "1", n_b[] = "X-B";
	static const struct gw_route_header_match canary[] = {
		{ n_env, v_canary },
	};
	static const struct gw_route_header_match two[] = {
		{ n_a, v_1 },
		{ n_b, NULL },
	};
	static const struct rdef defs[] = {
		{ NULL, 0, "/h", EXACT, NULL, 0 },			/* 0 */
		{ NULL, 0, "/h", EXACT, canary, 1 },			/* 1 */
		{ NULL, GET, "/h", EXACT, NULL, 0 },			/* 2 */
		{ NULL, 0, "/two", PREFIX, two, 2 },			/* 3 */
		{ NULL, POST, "/only", EXACT, canary, 1 },		/* 4 */
	};
	static const char *const h_canary[] = { "x-env: canary" };
	static const char *const h_prod[] = { "X-Env: prod" };
	static const char *const h_case[] = { "X-Env: Canary" };
	static const char *const h_many[] = {
		"X-Env: prod", "X-Env: canary"
	};
	static const char *const h_ab[] = { "X-B: ", "X-A: 1" };
	static const char *const h_a[] = { "X-A: 1" };
	static const char *const h_a2[] = { "X-A: 2", "X-B: 1" };
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	is_str(match_h(r, "", HTTP_GET, "/h", with_headers(h_canary, 1)),
	    "#1 2", "a header condition first (name case-insensitive)");
	is_str(match_h(r, "", HTTP_GET, "/h", with_headers(h_prod, 1)),
	    "#2 2", "another value: a route naming methods next");
	is_str(match_h(r, "", HTTP_POST, "/h", with_headers(h_prod, 1)),
	    "#0 2", "... then one for any method");
	is_str(match_h(r, "", HTTP_GET, "/h", with_headers(h_case, 1)),
	    "#2 2", "values compare exactly");
	is_str(match_h(r, "", HTTP_GET, "/h", with_headers(h_many, 2)),
	    "#1 2", "any field of that name will do");
	is_str(match(r, "", HTTP_GET, "/h"), "#2 2",
	    "no head: header conditions fail");
	is_str(match_h(r, "", HTTP_GET, "/two/x", with_headers(h_ab, 2)),
	    "#3 4", "all conditions: a value and a presence");
	is_str(match_h(r, "", HTTP_GET, "/two/x", with_headers(h_a, 1)),
	    "none allow=", "one condition missing");
	is_str(match_h(r, "", HTTP_GET, "/two/x", with_headers(h_a2, 2)),
	    "none allow=", "one value wrong");
	is_str(match_h(r, "", HTTP_GET, "/only", with_headers(h_canary, 1)),
	    "none allow=POST", "405 needs the headers to match");
	is_str(match_h(r, "", HTTP_GET, "/only", with_headers(h_prod, 1)),
	    "none allow=", "... else 404");
	gw_router_free(r);
}

static void
test_ties(void)
{
	static const struct rdef defs[] = {
		{ NULL, GET, "/t", EXACT, NULL, 0 },			/* 0 */
		{ NULL, GET, "/t", EXACT, NULL, 0 },			/* 1 */
		{ NULL, 0, "/u", PREFIX, NULL, 0 },			/* 2 */
		{ NULL, 0, "/u/", PREFIX, NULL, 0 },			/* 3 */
		{ NULL, 0, "/{a}/v", EXACT, NULL, 0 },			/* 4 */
		{ NULL, 0, "/{b}/v", EXACT, NULL, 0 },			/* 5 */
	};
	struct gw_router *r = router(defs, GW_ARRAY_LEN(defs));

	is_str(match(r, "", HTTP_GET, "/t"), "#0 2",
	    "two equal routes: the first listed");
	is_str(match(r, "", HTTP_GET, "/u/x"), "#2 2",
	    "\"/u\" and \"/u/\" are the same prefix: the first listed");
	is_str(match(r, "", HTTP_GET, "/x/v"), "#4 4 a=x",
	    "templates that differ in names only: the first listed");
	gw_router_free(r);
}

static void
test_params(void)
{
	struct gw_router	*r;
	struct gw_route_spec	 spec;
	struct gw_err		 err;
	char			 pat[256], path[512], want[512];
	size_t			 n = 0, np = 0, nw;

	for (int i = 0; i < 16; i++) {
		n += (size_t)snprintf(pat + n, sizeof(pat) - n, "/{p%d}", i);
		np += (size_t)snprintf(path + np, sizeof(path) - np, "/v%d", i);
	}
	nw = (size_t)snprintf(want, sizeof(want), "#0 %zu", np);
	for (int i = 0; i < 16; i++)
		nw += (size_t)snprintf(want + nw, sizeof(want) - nw,
		    " p%d=v%d", i, i);
	r = gw_router_new();
	memset(&spec, 0, sizeof(spec));
	spec.path = pat;
	spec.data = (void *)(uintptr_t)1000;
	ok(gw_router_add(r, &spec, &err) == 0, "a route of 16 parameters");
	/* The router keeps copies: scribble over the pattern. */
	memset(pat, 'x', n);
	is_str(match(r, "", HTTP_GET, path), want, "... matches them all");
	memcpy(path + np, "/x", 3);
	is_str(match(r, "", HTTP_GET, path), "none allow=",
	    "... and not 17 segments");
	gw_router_free(r);

	/* Paths of too many segments never match. */
	r = gw_router_new();
	spec.path = "/";
	spec.kind = PREFIX;
	(void)gw_router_add(r, &spec, &err);
	for (n = 0; n < 128; n++)
		memcpy(path + 2 * n, "/a", 2);
	path[2 * n] = '\0';
	is_str(match(r, "", HTTP_GET, path), "#0 0", "128 segments match");
	memcpy(path + 2 * n, "/a", 3);
	is_str(match(r, "", HTTP_GET, path), "none allow=",
	    "129 segments do not");
	gw_router_free(r);
	gw_router_free(NULL);
	ok(1, "gw_router_free(NULL) is harmless");
}

static void
test_copies(void)
{
	struct gw_router		*r;
	struct gw_route_spec		 spec;
	struct gw_route_header_match	 hm;
	struct gw_err			 err;
	char				 host[32], name[16], value[16];
	static const char *const	 hl[] = { "X-K: v" };

	r = gw_router_new();
	(void)snprintf(host, sizeof(host), "h.example");
	(void)snprintf(name, sizeof(name), "X-K");
	(void)snprintf(value, sizeof(value), "v");
	hm.name = name;
	hm.value = value;
	memset(&spec, 0, sizeof(spec));
	spec.host = host;
	spec.path = "/c";
	spec.headers = &hm;
	spec.nheaders = 1;
	spec.data = (void *)(uintptr_t)1000;
	ok(gw_router_add(r, &spec, &err) == 0, "a route with host and header");
	memset(host, 'z', sizeof(host) - 1);
	memset(name, 'z', sizeof(name) - 1);
	memset(value, 'z', sizeof(value) - 1);
	is_str(match_h(r, "h.example", HTTP_GET, "/c", with_headers(hl, 1)),
	    "#0 2", "the router copied what it keeps");
	gw_router_free(r);
}

/*
 * Normalization.
 */

static void
test_normalize(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "/", "/" },
		{ "/a/b", "/a/b" },
		{ "/a/b/", "/a/b/" },
		{ "/a//b", "/a//b" },
		{ "//", "//" },
		{ "/a/./b", "/a/b" },
		{ "/a/../b", "/b" },
		{ "/../a", "/a" },
		{ "/../../a", "/a" },
		{ "/a/..", "/" },
		{ "/a/b/..", "/a/" },
		{ "/a/b/../", "/a/" },
		{ "/a/.", "/a/" },
		{ "/.", "/" },
		{ "/..", "/" },
		{ "/./", "/" },
		{ "/.//", "//" },
		{ "/a/b/../../../c", "/c" },
		{ "/a/b/c/./../../g", "/a/g" },
		{ "/a//..", "/a/" },
		{ "/a/%2e%2e/b", "/b" },
		{ "/a/%2E%2e", "/" },
		{ "/a/.%2e/b", "/b" },
		{ "/%2e/a", "/a" },
		{ "/api/%2e%2e/admin", "/admin" },
		{ "/api/%2e%2e%2fadmin", "/api/..%2Fadmin" },
		{ "/a%2Fb", "/a%2Fb" },
		{ "/a%2fb", "/a%2Fb" },
		{ "/a/..%2f", "/a/..%2F" },
		{ "/%41%7e%5F%2D%2E%30", "/A~_-.0" },
		{ "/%61%7A", "/az" },
		{ "/%20%3f%23%25", "/%20%3F%23%25" },
		{ "/%252e%252e", "/%252e%252e" },
		{ "/%00", "/%00" },
		{ "/%c3%a9", "/%C3%A9" },
		{ "/caf\xc3\xa9", "/caf\xc3\xa9" },
		{ "/...", "/..." },
		{ "/a/.../b", "/a/.../b" },
		{ "/.a/..b/c.", "/.a/..b/c." },
		{ "/a?b/../c", "/c" },
	};
	static const char *const bad[] = {
		"", "a", "a/b", "%2F", "/%", "/%4", "/%4g", "/%g4", "/a%",
		"/a%2", "/%%41", "/%-1",
	};
	struct gw_arena	*a;
	char		*out, *again;
	size_t		 len, len2;

	a = gw_arena_new(0);
	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		len = 9999;
		out = gw_route_normalize_path(a, gw_str_cstr(t[i].in), &len);
		if (!ok(out != NULL && strcmp(out, t[i].want) == 0 &&
		    len == strlen(t[i].want), "normalize %s", t[i].in))
			printf("#   got '%s' (%zu), want '%s'\n",
			    out == NULL ? "(null)" : out, len, t[i].want);
		if (out == NULL)
			continue;
		again = gw_route_normalize_path(a, gw_str_make(out, len),
		    &len2);
		ok(again != NULL && len2 == len && memcmp(again, out, len) == 0,
		    "... again gives the same");
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		len = 9999;
		ok(gw_route_normalize_path(a, gw_str_cstr(bad[i]), &len) ==
		    NULL && len == 9999, "normalize '%s' fails", bad[i]);
	}
	ok(gw_route_normalize_path(a, gw_str_make("/a\0b", 4), &len) == NULL,
	    "a NUL byte fails");
	out = gw_route_normalize_path(a, gw_str_make("/a/b/c", 4), &len);
	ok(out != NULL && strcmp(out, "/a/b") == 0 && len == 4,
	    "only the slice is read");
	out = gw_route_normalize_path(a, gw_str_make("/%41x", 4), &len);
	ok(out != NULL && strcmp(out, "/A") == 0,
	    "an escape ending the slice");
	ok(gw_route_normalize_path(a, gw_str_make("/%41", 3), &len) == NULL,
	    "an escape cut by the slice's end fails");
	gw_arena_free(a);
}

static void
test_method_names(void)
{
	static const struct {
		const char	*name;
		int		 method;
	} t[] = {
		{ "DELETE", HTTP_DELETE }, { "GET", HTTP_GET },
		{ "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT }, { "OPTIONS", HTTP_OPTIONS },
		{ "PATCH", HTTP_PATCH }, { "M-SEARCH", HTTP_MSEARCH },
		{ "CONNECT", HTTP_CONNECT }, { "SOURCE", HTTP_SOURCE },
	};
	static const char *const unknown[] = {
		"get", "", "FOO", "GET ", "<unknown>", "PURGEX",
	};
	char		out[64];
	uint64_t	bit;

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		bit = 0;
		ok(gw_route_method_bit(t[i].name, &bit) == 0 &&
		    bit == BIT(t[i].method), "gw_route_method_bit(\"%s\")",
		    t[i].name);
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(unknown); i++) {
		bit = 7;
		ok(gw_route_method_bit(unknown[i], &bit) == -1 && bit == 7,
		    "gw_route_method_bit(\"%s\") fails", unknown[i]);
	}
	gw_route_methods_str(GET | POST | DEL | PUT | BIT(HTTP_HEAD), out,
	    sizeof(out));
	is_str(out, "DELETE, GET, HEAD, POST, PUT",
	    "gw_route_methods_str: in enum order");
	gw_route_methods_str(BIT(HTTP_PATCH), out, sizeof(out));
	is_str(out, "PATCH", "gw_route_methods_str: one");
	gw_route_methods_str(0, out, sizeof(out));
	is_str(out, "", "gw_route_methods_str: none");
	memcpy(out, "keep", 5);
	gw_route_methods_str(GET, out, 0);
	is_str(out, "keep", "gw_route_methods_str: size 0 writes nothing");
	gw_route_methods_str(GET | POST, out, 10);
	is_str(out, "GET, POST", "gw_route_methods_str: exactly fits");
	gw_route_methods_str(GET | POST, out, 4);
	is_str(out, "GET", "gw_route_methods_str: the first fits");
}

/*
 * gw_route_methods_str() cut at the buffer's end: whole names only (it
 * once left part of a name, "GET, PO", in a 405's Allow list).
 */
static void
test_methods_str_cut(void)
{
	char out[64];

	gw_route_methods_str(GET | POST, out, 8);
	is_str(out, "GET", "gw_route_methods_str leaves no partial "
	    "name when cut");
	gw_route_methods_str(GET | POST | PUT, out, 12);
	is_str(out, "GET, POST", "gw_route_methods_str cut after a "
	    "whole name");
	gw_route_methods_str(GET, out, 3);
	is_str(out, "", "gw_route_methods_str: nothing fits, nothing "
	    "written");
}

int
main(void)
{
	test_patterns();
	test_exact();
	test_prefix();
	test_hosts();
	test_methods();
	test_headers();
	test_ties();
	test_params();
	test_copies();
	test_normalize();
	test_method_names();
	test_methods_str_cut();
	return done_testing();
}
