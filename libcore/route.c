/*
 * route.c: a segment trie per host group, searched with backtracking.
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
#include "str.h"

#define MAX_SEGMENTS	128

struct rt {
	size_t				 index;
	uint64_t			 methods;
	struct gw_route_header_match	*headers;
	size_t				 nheaders;
	char				*names[GW_MAX_PARAMS];
	size_t				 nparams;
	void				*data;
};

struct entry {
	struct rt	*rt;
	struct entry	*next;
};

struct node {
	char		*seg;		/* literal segment of this child */
	size_t		 seglen;
	struct node	**kids;		/* literal children */
	size_t		 nkids;
	struct node	*param;		/* the child for "{name}" */
	struct entry	*exact;		/* routes whose whole path ends here */
	struct entry	*prefix;	/* routes whose prefix ends here */
};

struct group {
	char		*host;		/* exact host, or the suffix ".x.y" */
	size_t		 hostlen;
	struct node	*root;
};

struct gw_router {
	struct group	*exact;
	size_t		 nexact;
	struct group	*wild;		/* longest suffix first */
	size_t		 nwild;
	struct node	*any;
	struct rt	**rts;
	size_t		 nrts;
};

/* Splitting paths into segments. */

struct segs {
	struct gw_str	s[MAX_SEGMENTS];
	size_t		n;
};

/* "/a/b" -> a, b; "/" -> ""; "/a/" -> a, "".  -1 if too many. */
static int
split(struct gw_str path, struct segs *out)
{
	size_t i = 1;

	out->n = 0;
	if (path.len == 0 || path.p[0] != '/')
		return -1;
	for (;;) {
		size_t start = i;

		while (i < path.len && path.p[i] != '/')
			i++;
		if (out->n == MAX_SEGMENTS)
			return -1;
		out->s[out->n++] = gw_str_make(path.p + start, i - start);
		if (i >= path.len)
			break;
		i++;
	}
	return 0;
}

static int
is_param(struct gw_str seg, struct gw_str *name)
{
	if (seg.len < 3 || seg.p[0] != '{' || seg.p[seg.len - 1] != '}')
		return 0;
	*name = gw_str_make(seg.p + 1, seg.len - 2);
	return 1;
}

static int
valid_name(struct gw_str n)
{
	if (n.len == 0 || n.len > 64)
		return 0;
	for (size_t i = 0; i < n.len; i++) {
		char c = n.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int
gw_route_check_pattern(const char *path, struct gw_err *err)
{
	struct segs	sg;
	struct gw_str	names[GW_MAX_PARAMS];
	size_t		nnames = 0;

	if (path == NULL || path[0] != '/')
		return gw_err_set(err, GW_E_CONFIG, "path must start with '/'");
	if (split(gw_str_cstr(path), &sg) == -1)
		return gw_err_set(err, GW_E_CONFIG, "path has too many segments");
	for (size_t i = 0; i < sg.n; i++) {
		struct gw_str name;

		if (is_param(sg.s[i], &name)) {
			if (!valid_name(name))
				return gw_err_set(err, GW_E_CONFIG,
				    "bad parameter name '{%.*s}'",
				    (int)name.len, name.p);
			for (size_t j = 0; j < nnames; j++)
				if (gw_str_eq(names[j], name))
					return gw_err_set(err, GW_E_CONFIG,
					    "parameter '{%.*s}' appears twice",
					    (int)name.len, name.p);
			if (nnames == GW_MAX_PARAMS)
				return gw_err_set(err, GW_E_CONFIG,
				    "more than %d parameters", GW_MAX_PARAMS);
			names[nnames++] = name;
			continue;
		}
		for (size_t j = 0; j < sg.s[i].len; j++) {
			unsigned char c = (unsigned char)sg.s[i].p[j];

			if (c == '{' || c == '}')
				return gw_err_set(err, GW_E_CONFIG,
				    "a parameter must be a whole segment, "
				    "as in '/items/{id}'");
			if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#')
				return gw_err_set(err, GW_E_CONFIG,
				    "bad character in path");
		}
		if ((sg.s[i].len == 1 && sg.s[i].p[0] == '.') ||
		    (sg.s[i].len == 2 && memcmp(sg.s[i].p, "..", 2) == 0))
			return gw_err_set(err, GW_E_CONFIG,
			    "'.' and '..' segments never match a normalized "
			    "path");
	}
	return 0;
}

/* Building. */

static void
node_free(struct node *n)
{
	struct entry *e, *next;

	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	node_free(n->param);
	for (e = n->exact; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	for (e = n->prefix; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(n->seg);
	free(n);
}

struct gw_router *
gw_router_new(void)
{
	struct gw_router *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->any = calloc(1, sizeof(*r->any))) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
rt_free(struct rt *rt)
{
	if (rt == NULL)
		return;
	for (size_t i = 0; i < rt->nheaders; i++) {
		free(rt->headers[i].name);
		free(rt->headers[i].value);
	}
	free(rt->headers);
	for (size_t i = 0; i < rt->nparams; i++)
		free(rt->names[i]);
	free(rt);
}

void
gw_router_free(struct gw_router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nexact; i++) {
		free(r->exact[i].host);
		node_free(r->exact[i].root);
	}
	free(r->exact);
	for (size_t i = 0; i < r->nwild; i++) {
		free(r->wild[i].host);
		node_free(r->wild[i].root);
	}
	free(r->wild);
	node_free(r->any);
	for (size_t i = 0; i < r->nrts; i++)
		rt_free(r->rts[i]);
	free(r->rts);
	free(r);
}

/* Host names compare lower-case and without a port. */
static struct gw_str
host_key(struct gw_str host)
{
	if (host.len > 0 && host.p[0] == '[') {
		const char *e = memchr(host.p, ']', host.len);

		if (e != NULL)
			host.len = (size_t)(e - host.p) + 1;
		return host;
	}
	for (size_t i = 0; i < host.len; i++)
		if (host.p[i] == ':') {
			host.len = i;
			break;
		}
	while (host.len > 0 && host.p[host.len - 1] == '.')
		host.len--;
	return host;
}

static struct node *
group_root(struct gw_router *r, const char *host, struct gw_err *err)
{
	struct group	*g, **arr;
	size_t		*n;
	int		 wild;
	char		*h;
	size_t		 hl;

	if (host == NULL || strcmp(host, "*") == 0)
		return r->any;
	wild = host[0] == '*' && host[1] == '.';
	if ((h = strdup(wild ? host + 1 : host)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	for (char *p = h; *p != '\0'; p++)
		*p = (char)gw_tolower((unsigned char)*p);
	hl = host_key(gw_str_cstr(h)).len;
	h[hl] = '\0';
	arr = wild ? &r->wild : &r->exact;
	n = wild ? &r->nwild : &r->nexact;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].host, h) == 0) {
			free(h);
			return (*arr)[i].root;
		}
	if ((g = realloc(*arr, (*n + 1) * sizeof(*g))) == NULL) {
		free(h);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	*arr = g;
	g[*n].host = h;
	g[*n].hostlen = hl;
	if ((g[*n].root = calloc(1, sizeof(struct node))) == NULL) {
		free(h);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	(*n)++;
	if (wild) {
		/* keep the longest suffix first */
		for (size_t i = *n - 1; i > 0 && g[i].hostlen >
		    g[i - 1].hostlen; i--) {
			struct group t = g[i];

			g[i] = g[i - 1];
			g[i - 1] = t;
		}
	}
	for (size_t i = 0; i < *n; i++)
		if (g[i].host == h)
			return g[i].root;
	GW_BUG("host group vanished");
}

static struct node *
child(struct node *n, struct gw_str seg, int create)
{
	struct node *c, **kids;

	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->seglen == seg.len &&
		    memcmp(n->kids[i]->seg, seg.p, seg.len) == 0)
			return n->kids[i];
	if (!create)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->seg = gw_str_dup(seg)) == NULL) {
		free(c);
		return NULL;
	}
	c->seglen = seg.len;
	if ((kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids))) == NULL) {
		free(c->seg);
		free(c);
		return NULL;
	}
	n->kids = kids;
	n->kids[n->nkids++] = c;
	return c;
}

/* Order within one terminal: headers first, then methods, then listing. */
static int
rt_before(const struct rt *a, const struct rt *b)
{
	if ((a->nheaders > 0) != (b->nheaders > 0))
		return a->nheaders > 0;
	if ((a->methods != 0) != (b->methods != 0))
		return a->methods != 0;
	return a->index < b->index;
}

static int
entry_insert(struct entry **list, struct rt *rt)
{
	struct entry *e, **pp;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->rt = rt;
	for (pp = list; *pp != NULL && rt_before((*pp)->rt, rt);
	    pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	return 0;
}

int
gw_router_add(struct gw_router *r, const struct gw_route_spec *spec,
    struct gw_err *err)
{
	struct rt	*rt = NULL, **rts;
	struct node	*n;
	struct segs	 sg;
	size_t		 nseg;
	int		 rc = -1;

	if (gw_route_check_pattern(spec->path, err) == -1)
		return -1;
	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		goto nomem;
	rt->index = r->nrts;
	rt->methods = spec->methods;
	rt->data = spec->data;
	if (spec->nheaders > 0) {
		if ((rt->headers = calloc(spec->nheaders,
		    sizeof(*rt->headers))) == NULL)
			goto nomem;
		for (size_t i = 0; i < spec->nheaders; i++) {
			rt->nheaders++;
			if ((rt->headers[i].name =
			    strdup(spec->headers[i].name)) == NULL)
				goto nomem;
			if (spec->headers[i].value != NULL &&
			    (rt->headers[i].value =
			    strdup(spec->headers[i].value)) == NULL)
				goto nomem;
		}
	}
	if ((n = group_root(r, spec->host, err)) == NULL)
		goto out;
	(void)split(gw_str_cstr(spec->path), &sg);
	nseg = sg.n;
	/* A prefix "/api/" is the prefix "/api"; the prefix "/" is the root. */
	if (spec->kind == GW_ROUTE_PREFIX && nseg > 0 && sg.s[nseg - 1].len == 0)
		nseg--;
	for (size_t i = 0; i < nseg; i++) {
		struct gw_str name;

		if (is_param(sg.s[i], &name)) {
			if ((rt->names[rt->nparams] = gw_str_dup(name)) == NULL)
				goto nomem;
			rt->nparams++;
			if (n->param == NULL &&
			    (n->param = calloc(1, sizeof(*n->param))) == NULL)
				goto nomem;
			n = n->param;
		} else if ((n = child(n, sg.s[i], 1)) == NULL)
			goto nomem;
	}
	if ((rts = realloc(r->rts, (r->nrts + 1) * sizeof(*rts))) == NULL)
		goto nomem;
	r->rts = rts;
	if (entry_insert(spec->kind == GW_ROUTE_PREFIX ? &n->prefix : &n->exact,
	    rt) == -1)
		goto nomem;
	r->rts[r->nrts++] = rt;
	rt = NULL;
	rc = 0;
	goto out;
 nomem:
	gw_err_set(err, GW_E_NOMEM, "out of memory");
 out:
	rt_free(rt);
	return rc;
}

/* Matching. */

struct search {
	const struct gw_http_head	*head;
	int				 method;
	uint64_t			 allow;
	struct segs			 sg;
	struct gw_str			 stack[GW_MAX_PARAMS];
	size_t				 depth;		/* params on stack */
	/* best prefix match so far */
	const struct rt			*best;
	size_t				 best_nseg;
	struct gw_str			 best_params[GW_MAX_PARAMS];
	size_t				 best_nparams;
};

static int
headers_ok(const struct rt *rt, const struct gw_http_head *h)
{
	for (size_t i = 0; i < rt->nheaders; i++) {
		const struct gw_http_header *f;
		int found = 0;

		if (h == NULL)
			return 0;
		/* any field of that name with the value will do */
		for (size_t j = 0; j < h->nheaders; j++) {
			f = &h->headers[j];
			if (!gw_str_caseeq_cstr(f->name, rt->headers[i].name))
				continue;
			if (rt->headers[i].value == NULL ||
			    gw_str_eq(f->value,
			    gw_str_cstr(rt->headers[i].value))) {
				found = 1;
				break;
			}
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int
method_ok(uint64_t methods, int method)
{
	if (methods == 0)
		return 1;
	if (method >= 0 && method < 64 && (methods & ((uint64_t)1 << method)))
		return 1;
	return method == HTTP_HEAD && (methods & ((uint64_t)1 << HTTP_GET));
}

static const struct rt *
pick(const struct entry *list, struct search *s)
{
	for (; list != NULL; list = list->next) {
		if (!headers_ok(list->rt, s->head))
			continue;
		if (method_ok(list->rt->methods, s->method))
			return list->rt;
		s->allow |= list->rt->methods;
		if (list->rt->methods & ((uint64_t)1 << HTTP_GET))
			s->allow |= (uint64_t)1 << HTTP_HEAD;
	}
	return NULL;
}

static const struct rt *
search_exact(const struct node *n, struct search *s, size_t i)
{
	const struct rt		*rt;
	const struct node	*c;

	if (i == s->sg.n)
		return pick(n->exact, s);
	for (size_t k = 0; k < n->nkids; k++) {
		c = n->kids[k];
		if (c->seglen == s->sg.s[i].len &&
		    memcmp(c->seg, s->sg.s[i].p, c->seglen) == 0) {
			if ((rt = search_exact(c, s, i + 1)) != NULL)
				return rt;
			break;
		}
	}
	if (n->param != NULL && s->sg.s[i].len > 0 &&
	    s->depth < GW_MAX_PARAMS) {
		s->stack[s->depth++] = s->sg.s[i];
		if ((rt = search_exact(n->param, s, i + 1)) != NULL)
			return rt;
		s->depth--;
	}
	return NULL;
}

static void
search_prefix(const struct node *n, struct search *s, size_t i)
{
	const struct rt *rt;

	if (n->prefix != NULL && (s->best == NULL || i > s->best_nseg) &&
	    (rt = pick(n->prefix, s)) != NULL) {
		s->best = rt;
		s->best_nseg = i;
		s->best_nparams = s->depth;
		memcpy(s->best_params, s->stack, s->depth * sizeof(s->stack[0]));
	}
	if (i == s->sg.n)
		return;
	for (size_t k = 0; k < n->nkids; k++) {
		const struct node *c = n->kids[k];

		if (c->seglen == s->sg.s[i].len &&
		    memcmp(c->seg, s->sg.s[i].p, c->seglen) == 0) {
			search_prefix(c, s, i + 1);
			break;
		}
	}
	if (n->param != NULL && s->sg.s[i].len > 0 &&
	    s->depth < GW_MAX_PARAMS) {
		s->stack[s->depth++] = s->sg.s[i];
		search_prefix(n->param, s, i + 1);
		s->depth--;
	}
}

static int
search_tree(const struct node *root, struct search *s,
    struct gw_route_match *m, struct gw_str path)
{
	const struct rt *rt;

	s->depth = 0;
	if ((rt = search_exact(root, s, 0)) != NULL) {
		m->nparams = s->depth;
		for (size_t i = 0; i < s->depth; i++)
			m->params[i].value = s->stack[i];
		m->prefix_len = path.len;
	} else {
		s->best = NULL;
		s->depth = 0;
		/* the root's prefix ("/") sees zero segments */
		search_prefix(root, s, 0);
		if ((rt = s->best) == NULL)
			return -1;
		m->nparams = s->best_nparams;
		for (size_t i = 0; i < s->best_nparams; i++)
			m->params[i].value = s->best_params[i];
		if (s->best_nseg == 0)
			m->prefix_len = 0;
		else {
			const struct gw_str *last = &s->sg.s[s->best_nseg - 1];

			m->prefix_len = (size_t)(last->p + last->len - path.p);
		}
	}
	for (size_t i = 0; i < m->nparams; i++)
		m->params[i].name = rt->names[i];
	m->data = rt->data;
	m->index = rt->index;
	return 0;
}

int
gw_router_match(const struct gw_router *r, struct gw_str host, int method,
    struct gw_str path, const struct gw_http_head *h,
    struct gw_route_match *m, uint64_t *allow)
{
	struct search	s;
	struct gw_str	hk = host_key(host);

	memset(m, 0, sizeof(*m));
	s.head = h;
	s.method = method;
	s.allow = 0;
	s.best = NULL;
	*allow = 0;
	if (split(path, &s.sg) == -1)
		return -1;
	for (size_t i = 0; i < r->nexact; i++)
		if (gw_str_caseeq(hk, gw_str_make(r->exact[i].host,
		    r->exact[i].hostlen))) {
			if (search_tree(r->exact[i].root, &s, m, path) == 0)
				return 0;
			break;
		}
	for (size_t i = 0; i < r->nwild; i++) {
		struct gw_str suf = gw_str_make(r->wild[i].host,
		    r->wild[i].hostlen);

		if (hk.len > suf.len && gw_str_caseeq(gw_str_make(hk.p +
		    hk.len - suf.len, suf.len), suf) &&
		    search_tree(r->wild[i].root, &s, m, path) == 0)
			return 0;
	}
	if (search_tree(r->any, &s, m, path) == 0)
		return 0;
	*allow = s.allow;
	return -1;
}

/* Path normalization. */

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

static int
unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

char *
gw_route_normalize_path(struct gw_arena *a, struct gw_str path, size_t *lenp)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*dec, *out;
	size_t	 n = 0, o = 0, i = 0;

	if (path.len == 0 || path.p[0] != '/')
		return NULL;
	if ((dec = gw_arena_alloc(a, path.len + 1)) == NULL ||
	    (out = gw_arena_alloc(a, path.len + 2)) == NULL)
		return NULL;
	/* 1. escapes */
	while (i < path.len) {
		int c = (unsigned char)path.p[i];

		if (c == '\0')
			return NULL;
		if (c == '%') {
			int hi, lo;

			if (i + 2 >= path.len)
				return NULL;
			if ((hi = hexval((unsigned char)path.p[i + 1])) == -1 ||
			    (lo = hexval((unsigned char)path.p[i + 2])) == -1)
				return NULL;
			c = hi * 16 + lo;
			if (unreserved(c))
				dec[n++] = (char)c;
			else {
				dec[n++] = '%';
				dec[n++] = hex[c >> 4];
				dec[n++] = hex[c & 15];
			}
			i += 3;
			continue;
		}
		dec[n++] = (char)c;
		i++;
	}
	/* 2. dot segments, on "/"-separated segments of dec[0..n) */
	i = 0;
	while (i < n) {
		size_t s = i + 1, e = s;

		/* dec[i] == '/' here */
		while (e < n && dec[e] != '/')
			e++;
		if (e - s == 1 && dec[s] == '.') {
			if (e == n)
				out[o++] = '/';
		} else if (e - s == 2 && dec[s] == '.' && dec[s + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (e == n)
				out[o++] = '/';
		} else {
			memcpy(out + o, dec + i, e - i);
			o += e - i;
		}
		i = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	*lenp = o;
	return out;
}

int
gw_route_method_bit(const char *name, uint64_t *bit)
{
	for (int m = 0; m < 64; m++) {
		const char *s = http_method_str((enum http_method)m);

		if (s == NULL || strcmp(s, "<unknown>") == 0)
			break;
		if (strcmp(s, name) == 0) {
			*bit = (uint64_t)1 << m;
			return 0;
		}
	}
	return -1;
}

void
gw_route_methods_str(uint64_t methods, char *out, size_t outsize)
{
	size_t o = 0;

	if (outsize == 0)
		return;
	out[0] = '\0';
	for (int m = 0; m < 64; m++) {
		const char	*s;
		size_t		 need;

		if (!(methods & ((uint64_t)1 << m)))
			continue;
		s = http_method_str((enum http_method)m);
		need = strlen(s) + (o > 0 ? 2 : 0);
		if (o + need >= outsize)
			break;	/* whole names only */
		if (o > 0) {
			memcpy(out + o, ", ", 2);
			o += 2;
		}
		memcpy(out + o, s, strlen(s));
		o += strlen(s);
		out[o] = '\0';
	}
}
