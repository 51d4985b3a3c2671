/*
 * orch-req.c: an incoming request described in JSON (orch.h), for running
 * a script from the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "orch-int.h"
#include "orch.h"
#include "str.h"

/* Path parameters a described request may have. */
#define MAX_REQ_PARAMS	64

struct gw_orch_reqdoc {
	struct gw_arena		*arena;
	struct gw_orch_request	 rq;
	struct gw_http_header	 h[GW_MAX_HEADERS];
	struct gw_orch_param	 p[MAX_REQ_PARAMS];
};

struct gw_orch_reqdoc *
gw_orch_reqdoc_new(void)
{
	struct gw_orch_reqdoc *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->arena = gw_arena_new(0)) == NULL) {
		free(d);
		return NULL;
	}
	d->rq.method = GW_STR("GET");
	d->rq.path = GW_STR("/");
	d->rq.query = GW_STR("");
	d->rq.body = GW_STR("");
	d->rq.headers = d->h;
	d->rq.params = d->p;
	return d;
}

void
gw_orch_reqdoc_free(struct gw_orch_reqdoc *d)
{
	if (d == NULL)
		return;
	gw_arena_free(d->arena);
	free(d);
}

const struct gw_orch_request *
gw_orch_reqdoc_request(const struct gw_orch_reqdoc *d)
{
	return &d->rq;
}

int
gw_orch_reqdoc_param(struct gw_orch_reqdoc *d, const char *name,
    const char *value, struct gw_err *err)
{
	char	*n, *v;
	size_t	 i;

	for (i = 0; i < d->rq.nparams; i++)
		if (gw_str_eq(d->p[i].name, gw_str_cstr(name)))
			break;
	if (i == MAX_REQ_PARAMS)
		return gw_err_set(err, GW_E_LIMIT, "more than %d parameters",
		    MAX_REQ_PARAMS);
	if ((n = gw_arena_strdup(d->arena, name)) == NULL ||
	    (v = gw_arena_strdup(d->arena, value)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	d->p[i].name = gw_str_cstr(n);
	d->p[i].value = gw_str_cstr(v);
	if (i == d->rq.nparams)
		d->rq.nparams++;
	return 0;
}

/* A string member as bytes in the arena: 1, 0 absent, -1 reported. */
static int
get_str(struct gw_jcheck *ck, const struct json_object *obj, const char *key,
    struct gw_str *out)
{
	struct json_object	*v;
	const char		*s;
	size_t			 len, old;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	if ((s = gw_jv_str(v, &len)) == NULL) {
		old = gw_jcheck_push_key(ck, key);
		gw_jcheck_error(ck, obj, key, v, "expected a string, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		gw_jcheck_pop(ck, old);
		return -1;
	}
	*out = gw_str_make(s, len);
	return 1;
}

static int
is_field_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!gw_http_is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

static int
has_ctl(struct gw_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 && s.p[i] != '\t')
			return 1;
	return 0;
}

/* A query given as an object: encode it. */
static int
query_object(struct gw_orch_reqdoc *d, struct gw_jcheck *ck,
    const struct json_object *root, const struct json_object *q)
{
	struct gw_jv_iter	 it;
	const char		*k, *s;
	struct json_object	*v;
	struct gw_buf		 b;
	size_t			 len, old = gw_jcheck_push_key(ck, "query");
	char			*p;
	int			 rc = -1;

	gw_buf_init(&b, GW_MAX_URI_BYTES);
	gw_jv_iter_init(&it, q);
	while (gw_jv_iter_next(&it, &k, &v)) {
		if ((s = gw_jv_str(v, &len)) == NULL) {
			size_t o2 = gw_jcheck_push_key(ck, k);

			gw_jcheck_error(ck, q, k, v, "expected a string");
			gw_jcheck_pop(ck, o2);
			goto out;
		}
		if ((b.len > 0 && gw_buf_putc(&b, '&', NULL) == -1) ||
		    orch_url_encode(&b, k, strlen(k), NULL) == -1 ||
		    gw_buf_putc(&b, '=', NULL) == -1 ||
		    orch_url_encode(&b, s, len, NULL) == -1) {
			gw_jcheck_error(ck, root, "query", q, "too long");
			goto out;
		}
	}
	if ((p = gw_arena_strndup(d->arena, b.p == NULL ? "" : b.p, b.len)) ==
	    NULL) {
		gw_jcheck_error(ck, root, "query", q, "out of memory");
		goto out;
	}
	d->rq.query = gw_str_make(p, b.len);
	rc = 0;
 out:
	gw_buf_release(&b);
	gw_jcheck_pop(ck, old);
	return rc;
}

static void
parse_fields(struct gw_orch_reqdoc *d, struct gw_jcheck *ck,
    const struct json_object *root, const struct json_object *v, int params)
{
	struct gw_jv_iter	 it;
	const char		*k, *s;
	struct json_object	*val;
	size_t			 len, old, max = params ? MAX_REQ_PARAMS :
	    GW_MAX_HEADERS - 1;
	const char		*key = params ? "params" : "headers";

	old = gw_jcheck_push_key(ck, key);
	if (gw_jv_type(v) != GW_JT_OBJECT) {
		gw_jcheck_error(ck, root, key, v, "expected an object of names "
		    "and strings");
		gw_jcheck_pop(ck, old);
		return;
	}
	if (gw_jv_len(v) > max) {
		gw_jcheck_error(ck, root, key, v, "more than %zu", max);
		gw_jcheck_pop(ck, old);
		return;
	}
	gw_jv_iter_init(&it, v);
	while (gw_jv_iter_next(&it, &k, &val)) {
		size_t o2 = gw_jcheck_push_key(ck, k);

		if ((s = gw_jv_str(val, &len)) == NULL)
			gw_jcheck_error(ck, v, k, val, "expected a string");
		else if (!params && !is_field_name(k))
			gw_jcheck_error(ck, v, k, NULL, "'%s' is not a field "
			    "name", k);
		else if (!params && has_ctl(gw_str_make(s, len)))
			gw_jcheck_error(ck, v, k, val, "control character in "
			    "value");
		else if (params) {
			d->p[d->rq.nparams].name = gw_str_cstr(k);
			d->p[d->rq.nparams++].value = gw_str_make(s, len);
		} else {
			d->h[d->rq.nheaders].name = gw_str_cstr(k);
			d->h[d->rq.nheaders++].value = gw_str_make(s, len);
		}
		gw_jcheck_pop(ck, o2);
	}
	gw_jcheck_pop(ck, old);
}

int
gw_orch_reqdoc_parse(const char *buf, size_t len, const char *origin,
    struct gw_orch_reqdoc **out, struct gw_err *err)
{
	static const char *const req_keys[] = { "method", "path", "query",
	    "headers", "params", "body", "body_text", NULL };
	struct gw_orch_reqdoc	*d;
	struct gw_jdoc		*doc = NULL;
	struct gw_jcheck	*ck = NULL;
	struct json_object	*root, *v;
	struct gw_buf		 b;
	const char		*rep, *nl;
	size_t			 rlen;
	int			 rc = -1, has_ctype = 0;

	*out = NULL;
	gw_buf_init(&b, GW_MAX_BODY_BYTES * 16);
	if ((d = gw_orch_reqdoc_new()) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (gw_jdoc_parse(buf, len, origin, GW_JSON_COMMENTS | GW_JSON_BOM,
	    &doc, err) == -1) {
		if (err->code != GW_E_NOMEM)
			err->code = GW_E_PROTO;
		goto out;
	}
	if (gw_arena_defer(d->arena, orch_jdoc_free, doc) == -1) {
		doc = NULL;
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ck = gw_jcheck_new(doc, NULL, err)) == NULL)
		goto out;
	root = gw_jdoc_root(doc);
	if (gw_jcheck_object(ck, NULL, NULL, root, req_keys) == -1)
		goto report;
	if (get_str(ck, root, "method", &d->rq.method) == 1) {
		int ok = d->rq.method.len > 0 && d->rq.method.len <= 16;

		for (size_t i = 0; i < d->rq.method.len; i++)
			if (!gw_http_is_tchar((unsigned char)d->rq.method.p[i]))
				ok = 0;
		if (!ok) {
			(void)gw_jv_get(root, "method", &v);
			gw_jcheck_error(ck, root, "method", v, "not a method");
		}
	}
	if (get_str(ck, root, "path", &d->rq.path) == 1 &&
	    (d->rq.path.len == 0 || d->rq.path.p[0] != '/' ||
	    has_ctl(d->rq.path))) {
		(void)gw_jv_get(root, "path", &v);
		gw_jcheck_error(ck, root, "path", v, "a path starts with '/' "
		    "and has no control character");
	}
	if (gw_jv_get(root, "query", &v)) {
		if (gw_jv_type(v) == GW_JT_OBJECT)
			(void)query_object(d, ck, root, v);
		else
			(void)get_str(ck, root, "query", &d->rq.query);
	}
	if (gw_jv_get(root, "headers", &v))
		parse_fields(d, ck, root, v, 0);
	if (gw_jv_get(root, "params", &v))
		parse_fields(d, ck, root, v, 1);
	for (size_t i = 0; i < d->rq.nheaders; i++)
		if (gw_str_caseeq_cstr(d->h[i].name, "content-type"))
			has_ctype = 1;
	if (gw_jv_get(root, "body", &v)) {
		char *p;

		if (gw_jv_get(root, "body_text", NULL))
			gw_jcheck_error(ck, root, "body_text", NULL, "give "
			    "\"body\" or \"body_text\", not both");
		else if (gw_jv_serialize(v, &b, err) == -1 ||
		    (p = gw_arena_strndup(d->arena, b.p, b.len)) == NULL)
			gw_jcheck_error(ck, root, "body", v, "too large");
		else {
			d->rq.body = gw_str_make(p, b.len);
			if (!has_ctype) {
				d->h[d->rq.nheaders].name =
				    GW_STR("Content-Type");
				d->h[d->rq.nheaders++].value =
				    GW_STR("application/json");
			}
		}
	} else
		(void)get_str(ck, root, "body_text", &d->rq.body);
 report:
	if (gw_jcheck_nerrors(ck) > 0) {
		rep = gw_jcheck_report(ck, &rlen);
		nl = memchr(rep, '\n', rlen);
		gw_err_set(err, GW_E_PROTO, "%.*s", (int)(nl != NULL ?
		    (size_t)(nl - rep) : rlen), rep);
		goto out;
	}
	*out = d;
	d = NULL;
	rc = 0;
 out:
	gw_jcheck_free(ck);
	gw_buf_release(&b);
	gw_orch_reqdoc_free(d);
	return rc;
}
