/*
 * orch-script.c: loading an orchestration script (gw-orchestrate(5)).
 *
 * The script is read as the gateway's configuration is (json.h for syntax
 * and positions, jcheck.h for every semantic error as "file:line:column:
 * path: message").  Step names are collected first, so that every
 * reference can be resolved where it is written; the dependency graph is
 * then checked for cycles (Kahn's algorithm, and a walk of what is left to
 * name one cycle).  Strings of the script are borrowed from its document,
 * which lives as long as the script; everything else is in its arena.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "mediate.h"
#include "orch-int.h"
#include "orch.h"
#include "str.h"
#include "xml.h"

struct ld {
	struct gw_jcheck	*ck;
	struct gw_xml_doc	*dummy;		/* to check XPath expressions */
	struct gw_orch		*o;
	struct gw_arena		*a;
	const char		**names;	/* step names, NULL-ended */
	size_t			 nnames;
	const char		**svcnames;	/* NULL-ended */
	int			 oom;
};

/* Where a template is and what it may refer to. */
struct tctx {
	ssize_t		 step;		/* -1: the response */
	int		 allow_item;
	unsigned char	*deps;		/* one byte per step */
};

static int
why_set_s(char *why, size_t whylen, const char *msg)
{
	(void)snprintf(why, whylen, "%s", msg);
	return -1;
}

static const char *const reserved_names[] = {
	"request", "item", "index", NULL
};

/* Fields a script may not set: the framing is the client's. */
static int
framing_field(const char *name)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "connection", "host",
		"te", "trailer", "upgrade", "keep-alive", NULL
	};

	for (size_t i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!gw_http_is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

static void *
lalloc(struct ld *l, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = gw_arena_calloc(l->a, n, size)) == NULL)
		l->oom = 1;
	return p;
}

#define ERR(l, parent, key, v, ...) \
	gw_jcheck_error((l)->ck, (parent), (key), (v), __VA_ARGS__)

/* A string member as it is in the document; NULL (reported) if not one. */
static const char *
doc_str(struct ld *l, const struct json_object *parent, const char *key,
    const struct json_object *v)
{
	const char	*s;
	size_t		 len;

	if ((s = gw_jv_str(v, &len)) == NULL) {
		ERR(l, parent, key, v, "expected a string, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		return NULL;
	}
	if (strlen(s) != len) {
		ERR(l, parent, key, v, "NUL byte in string");
		return NULL;
	}
	return s;
}

static ssize_t
step_index(const struct ld *l, const char *name)
{
	for (size_t i = 0; i < l->nnames; i++)
		if (strcmp(l->names[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t
service_index(const struct gw_orch *o, const char *name, size_t len)
{
	for (size_t i = 0; i < o->ntargets; i++)
		if (o->targets[i].name != NULL &&
		    strlen(o->targets[i].name) == len &&
		    memcmp(o->targets[i].name, name, len) == 0)
			return (ssize_t)i;
	return -1;
}

/* An XPath expression must compile, with the script's namespaces. */
static int
check_xpath(struct ld *l, const struct orch_ref *r,
    const struct json_object *parent, const char *key,
    const struct json_object *v)
{
	struct gw_buf	b;
	struct gw_err	err;
	int		rc = 0;

	if (l->dummy == NULL && gw_xml_parse("<x/>", 4, NULL, NULL, &l->dummy,
	    &err) == -1) {
		l->oom = err.code == GW_E_NOMEM;
		return -1;
	}
	gw_buf_init(&b, 64 * 1024);
	if (gw_xml_xpath(l->dummy, r->name, l->o->ns, &b, &err) == -1 &&
	    err.code != GW_E_LIMIT) {
		if (err.code == GW_E_NOMEM)
			l->oom = 1;
		else
			ERR(l, parent, key, v, "${%s}: %s", r->text, err.msg);
		rc = -1;
	}
	gw_buf_release(&b);
	return rc;
}

static void
friendly_free(void *f)
{
	gw_jx_friendly_release(f);
}

static void
xslt_unref(void *x)
{
	gw_xslt_unref(x);
}

/* "xml_to_json": true (the defaults) or the options of gw-mediate(5). */
static struct gw_jx_friendly *
parse_friendly(struct ld *l, const struct json_object *parent,
    const char *key, const struct json_object *v)
{
	struct gw_jx_friendly	*f;
	struct gw_err		 err;

	if (gw_jv_type(v) == GW_JT_BOOL && !gw_jv_bool(v))
		return NULL;
	if ((f = lalloc(l, 1, sizeof(*f))) == NULL)
		return NULL;
	if (gw_jv_type(v) == GW_JT_BOOL) {
		if (gw_jx_friendly_init(f, GW_JX_PRESET_APIGEE, &err) == -1) {
			l->oom = 1;
			return NULL;
		}
	} else if (gw_jv_type(v) != GW_JT_OBJECT) {
		ERR(l, parent, key, v, "expected true, or an object of "
		    "conversion options (gw-mediate(5))");
		return NULL;
	} else if (gw_jx_friendly_parse(l->ck, parent, key, v, f) == -1) {
		gw_jx_friendly_release(f);
		return NULL;
	}
	if (gw_arena_defer(l->a, friendly_free, f) == -1) {
		l->oom = 1;
		return NULL;
	}
	return f;
}

/* "xslt": a stylesheet, relative to the script, composes the response. */
static void
parse_xslt(struct ld *l, const struct json_object *rv,
    const struct json_object *v)
{
	struct gw_orch		*o = l->o;
	struct gw_jx_friendly	*f;
	struct gw_err		 err;
	const char		*name;
	char			*path;

	if ((name = doc_str(l, rv, "xslt", v)) == NULL)
		return;
	if ((path = gw_jcheck_resolve(l->ck, name)) == NULL) {
		ERR(l, rv, "xslt", v, "file name too long");
		return;
	}
	if (gw_xslt_load(path, 0, &o->resp.xslt, &err) == -1) {
		ERR(l, rv, "xslt", v, "%s", err.msg);
		free(path);
		return;
	}
	free(path);
	if (gw_arena_defer(l->a, xslt_unref, o->resp.xslt) == -1) {
		o->resp.xslt = NULL;
		l->oom = 1;
		return;
	}
	/* JSON bodies go in as friendly XML, each in a <body> */
	if ((f = lalloc(l, 1, sizeof(*f))) == NULL)
		return;
	if (gw_jx_friendly_init(f, GW_JX_PRESET_APIGEE, &err) == -1) {
		l->oom = 1;
		return;
	}
	free(f->root);
	if ((f->root = strdup("body")) == NULL) {
		gw_jx_friendly_release(f);
		l->oom = 1;
		return;
	}
	f->o.flags |= GW_JX_NO_DECL;
	if (gw_arena_defer(l->a, friendly_free, f) == -1) {
		l->oom = 1;
		return;
	}
	o->to_xml = f;
}

static void
mediation_free(void *m)
{
	gw_mediation_free(m);
}

/*
 * One side of "mediate": a mediation file (gw-mediate(5)), relative to the
 * script, or its "steps" array written here.
 */
static struct gw_mediation *
parse_mediation(struct ld *l, const struct json_object *parent,
    const char *key, const struct json_object *v)
{
	struct gw_mediation	*m = NULL;
	struct gw_buf		 report;
	struct gw_err		 err;
	const char		*name, *p, *nl;
	char			*path;

	if (gw_jv_type(v) == GW_JT_ARRAY) {
		if (gw_mediation_from_json(l->ck, parent, key, v, &m) == -1)
			return NULL;
	} else if ((name = doc_str(l, parent, key, v)) == NULL)
		return NULL;
	else if ((path = gw_jcheck_resolve(l->ck, name)) == NULL) {
		ERR(l, parent, key, v, "file name too long");
		return NULL;
	} else {
		gw_buf_init(&report, 0);
		if (gw_mediation_load(path, &m, &report, &err) == -1) {
			if (err.code != GW_E_CONFIG || report.len == 0)
				ERR(l, parent, key, v, "%s", err.msg);
			else
				for (p = report.p; p < report.p + report.len;
				    p = nl + 1) {
					if ((nl = memchr(p, '\n', (size_t)
					    (report.p + report.len - p))) ==
					    NULL)
						nl = report.p + report.len;
					ERR(l, parent, key, v, "%.*s",
					    (int)(nl - p), p);
				}
			m = NULL;
		}
		gw_buf_release(&report);
		free(path);
		if (m == NULL)
			return NULL;
	}
	if (gw_arena_defer(l->a, mediation_free, m) == -1) {
		l->oom = 1;
		return NULL;
	}
	return m;
}

/* "mediate": { "request": ..., "response": ... } */
static void
parse_mediate(struct ld *l, const struct json_object *sv,
    const struct json_object *v, struct orch_step *st)
{
	static const char *const med_keys[] = { "request", "response", NULL };
	struct json_object	*m;
	size_t			 old;

	if (gw_jcheck_object(l->ck, sv, "mediate", v, med_keys) == -1)
		return;
	if (gw_jv_get(v, "request", &m)) {
		old = gw_jcheck_push_key(l->ck, "request");
		st->med_req = parse_mediation(l, v, "request", m);
		if (st->med_req != NULL && st->body_kind == BODY_NONE)
			ERR(l, v, "request", m, "a request mediation needs a "
			    "body: \"json\" or \"body\"");
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(v, "response", &m)) {
		old = gw_jcheck_push_key(l->ck, "response");
		st->med_resp = parse_mediation(l, v, "response", m);
		gw_jcheck_pop(l->ck, old);
	}
}

/* "namespaces": prefixes for XPath expressions. */
static void
parse_namespaces(struct ld *l, const struct json_object *root,
    const struct json_object *nv)
{
	struct gw_jv_iter	 it;
	const char		*prefix, *uri;
	struct json_object	*v;
	size_t			 n = 0;

	if (gw_jv_type(nv) != GW_JT_OBJECT) {
		ERR(l, root, "namespaces", nv, "expected an object of prefixes "
		    "and namespace URIs");
		return;
	}
	if ((l->o->ns = lalloc(l, 2 * gw_jv_len(nv) + 1, sizeof(char *))) ==
	    NULL)
		return;
	gw_jv_iter_init(&it, nv);
	while (gw_jv_iter_next(&it, &prefix, &v)) {
		size_t old = gw_jcheck_push_key(l->ck, prefix);

		if (!gw_xml_valid_name(prefix, strlen(prefix), 0))
			ERR(l, nv, prefix, NULL, "'%s' is not a prefix",
			    prefix);
		else if ((uri = doc_str(l, nv, prefix, v)) != NULL) {
			if (*uri == '\0')
				ERR(l, nv, prefix, v, "an empty namespace URI");
			else {
				l->o->ns[n++] = prefix;
				l->o->ns[n++] = uri;
			}
		}
		gw_jcheck_pop(l->ck, old);
	}
}

/* Check the references of a template where it is written. */
static int
resolve_refs(struct ld *l, const struct orch_tmpl *t, const struct tctx *tc,
    const struct json_object *parent, const char *key,
    const struct json_object *v)
{
	int rc = 0;

	for (size_t i = 0; i < t->nparts; i++) {
		struct orch_ref	*r = t->parts[i].ref;
		const char	*sug;
		ssize_t		 s;

		if (r == NULL)
			continue;
		if (r->src == SRC_REQ_BODY) {
			l->o->uses_body = 1;
			if (r->nptr > 0)
				l->o->body_pointer = 1;
		}
		if ((r->src == SRC_ITEM || r->src == SRC_INDEX) &&
		    !tc->allow_item) {
			ERR(l, parent, key, v, "${%s}: '%s' is only known in "
			    "the templates of a step with \"foreach\"",
			    r->text, r->src == SRC_ITEM ? "item" : "index");
			rc = -1;
		}
		if (r->stepname == NULL)
			continue;
		if ((s = step_index(l, r->stepname)) == -1) {
			if (l->names != NULL && (sug =
			    gw_jcheck_closest(r->stepname, l->names)) != NULL)
				ERR(l, parent, key, v, "${%s}: unknown step "
				    "'%s'; did you mean '%s'?", r->text,
				    r->stepname, sug);
			else
				ERR(l, parent, key, v, "${%s}: unknown step "
				    "'%s'", r->text, r->stepname);
			rc = -1;
			continue;
		}
		r->step = (size_t)s;
		if ((r->src == SRC_STEP_HEADER || r->src == SRC_STEP_XPATH) &&
		    l->o->steps[s].foreach.nparts > 0) {
			ERR(l, parent, key, v, "${%s}: step '%s' makes one "
			    "call per item: it has no single %s", r->text,
			    r->stepname, r->src == SRC_STEP_HEADER ?
			    "header fields" : "XML body");
			rc = -1;
		}
		if (r->src == SRC_STEP_XPATH && check_xpath(l, r, parent, key,
		    v) == -1)
			rc = -1;
		tc->deps[s] = 1;
	}
	return rc;
}

/* A string template at v (member key of parent). */
static int
compile_tmpl(struct ld *l, const struct json_object *parent, const char *key,
    const struct json_object *v, const struct tctx *tc, struct orch_tmpl *t)
{
	const char	*s;
	char		 why[512];

	if ((s = doc_str(l, parent, key, v)) == NULL)
		return -1;
	if (orch_tmpl_parse(l->a, s, strlen(s), t, why, sizeof(why)) == -1) {
		ERR(l, parent, key, v, "%s", why);
		return -1;
	}
	return resolve_refs(l, t, tc, parent, key, v);
}

static int
jt_has_refs(const struct orch_jt *jt)
{
	return jt->kind != JT_LIT;
}

/* A JSON template: every string in v is a template. */
static int
compile_jt(struct ld *l, const struct json_object *parent, const char *key,
    const struct json_object *v, const struct tctx *tc, struct orch_jt *jt)
{
	struct gw_jv_iter	 it;
	const char		*k;
	struct json_object	*val;
	size_t			 n, i, old;
	int			 rc = 0, any = 0;
	char			 why[512];
	const char		*s;

	memset(jt, 0, sizeof(*jt));
	jt->kind = JT_LIT;
	jt->lit = v;
	switch (gw_jv_type(v)) {
	case GW_JT_STRING:
		if ((s = doc_str(l, parent, key, v)) == NULL)
			return -1;
		if (strstr(s, "$") == NULL)
			return 0;
		if (orch_tmpl_parse(l->a, s, strlen(s), &jt->t, why,
		    sizeof(why)) == -1) {
			ERR(l, parent, key, v, "%s", why);
			return -1;
		}
		if (resolve_refs(l, &jt->t, tc, parent, key, v) == -1)
			return -1;
		if (orch_tmpl_single(&jt->t))
			jt->kind = JT_REF;
		else if (jt->t.nparts == 1 && jt->t.parts[0].ref == NULL &&
		    jt->t.parts[0].len == strlen(s))
			jt->kind = JT_LIT;	/* "$" alone, "a$b" */
		else
			jt->kind = JT_STR;
		return 0;
	case GW_JT_OBJECT:
	case GW_JT_ARRAY:
		n = gw_jv_len(v);
		if ((jt->kids = lalloc(l, n, sizeof(*jt->kids))) == NULL)
			return -1;
		if (gw_jv_type(v) == GW_JT_OBJECT &&
		    (jt->keys = lalloc(l, n, sizeof(char *))) == NULL)
			return -1;
		if (gw_jv_type(v) == GW_JT_OBJECT) {
			gw_jv_iter_init(&it, v);
			for (i = 0; gw_jv_iter_next(&it, &k, &val); i++) {
				old = gw_jcheck_push_key(l->ck, k);
				jt->keys[i] = k;
				if (compile_jt(l, v, k, val, tc,
				    &jt->kids[i]) == -1)
					rc = -1;
				any |= jt_has_refs(&jt->kids[i]);
				gw_jcheck_pop(l->ck, old);
			}
		} else
			for (i = 0; i < n; i++) {
				old = gw_jcheck_push_index(l->ck, i);
				if (compile_jt(l, v, NULL, gw_jv_at(v, i), tc,
				    &jt->kids[i]) == -1)
					rc = -1;
				any |= jt_has_refs(&jt->kids[i]);
				gw_jcheck_pop(l->ck, old);
			}
		jt->n = n;
		if (any)
			jt->kind = gw_jv_type(v) == GW_JT_OBJECT ? JT_OBJ :
			    JT_ARR;
		return rc;
	default:
		return 0;
	}
}

/* "when": true/false, a template, or an object of eq, ne, not, and, or. */
static int
compile_cond(struct ld *l, const struct json_object *parent, const char *key,
    const struct json_object *v, const struct tctx *tc, struct orch_cond *c)
{
	static const char *const ops[] = { "eq", "ne", "not", "and", "or",
	    NULL };
	struct gw_jv_iter	 it;
	const char		*op;
	struct json_object	*arg;
	size_t			 old;
	int			 rc = 0;

	memset(c, 0, sizeof(*c));
	switch (gw_jv_type(v)) {
	case GW_JT_BOOL:
		c->kind = COND_CONST;
		c->value = gw_jv_bool(v);
		return 0;
	case GW_JT_STRING:
		c->kind = COND_TRUTH;
		if (compile_jt(l, parent, key, v, tc, &c->a) == -1)
			return -1;
		if (c->a.kind != JT_REF) {
			ERR(l, parent, key, v, "a condition is one reference, "
			    "as in \"${lookup.ok}\"");
			return -1;
		}
		return 0;
	case GW_JT_OBJECT:
		break;
	default:
		ERR(l, parent, key, v, "expected a condition: true, false, "
		    "\"${reference}\" or an object such as {\"eq\": [a, b]}");
		return -1;
	}
	if (gw_jv_len(v) != 1) {
		ERR(l, parent, key, v, "a condition object has one key: eq, "
		    "ne, not, and or or");
		return -1;
	}
	gw_jv_iter_init(&it, v);
	(void)gw_jv_iter_next(&it, &op, &arg);
	old = gw_jcheck_push_key(l->ck, op);
	if (strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0) {
		c->kind = op[0] == 'e' ? COND_EQ : COND_NE;
		if (gw_jv_type(arg) != GW_JT_ARRAY || gw_jv_len(arg) != 2) {
			ERR(l, v, op, arg, "expected an array of two values");
			rc = -1;
		} else if (compile_jt(l, arg, NULL, gw_jv_at(arg, 0), tc,
		    &c->a) == -1 || compile_jt(l, arg, NULL, gw_jv_at(arg, 1),
		    tc, &c->b) == -1)
			rc = -1;
	} else if (strcmp(op, "not") == 0) {
		c->kind = COND_NOT;
		c->n = 1;
		if ((c->kids = lalloc(l, 1, sizeof(*c->kids))) == NULL ||
		    compile_cond(l, v, op, arg, tc, c->kids) == -1)
			rc = -1;
	} else if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0) {
		c->kind = op[0] == 'a' ? COND_AND : COND_OR;
		if (gw_jv_type(arg) != GW_JT_ARRAY || gw_jv_len(arg) == 0) {
			ERR(l, v, op, arg, "expected an array of conditions");
			rc = -1;
		} else if ((c->kids = lalloc(l, gw_jv_len(arg),
		    sizeof(*c->kids))) == NULL)
			rc = -1;
		else
			for (size_t i = 0; i < gw_jv_len(arg); i++) {
				size_t o2 = gw_jcheck_push_index(l->ck, i);

				if (compile_cond(l, arg, NULL, gw_jv_at(arg, i),
				    tc, &c->kids[c->n++]) == -1)
					rc = -1;
				gw_jcheck_pop(l->ck, o2);
			}
	} else {
		const char *sug = gw_jcheck_closest(op, ops);

		if (sug != NULL)
			ERR(l, v, op, arg, "unknown condition '%s'; did you "
			    "mean '%s'?", op, sug);
		else
			ERR(l, v, op, arg, "unknown condition '%s' (there are "
			    "eq, ne, not, and, or)", op);
		rc = -1;
	}
	gw_jcheck_pop(l->ck, old);
	return rc;
}

/* Header fields: an object of names and string templates. */
static int
compile_fields(struct ld *l, const struct json_object *parent,
    const struct json_object *v, const struct tctx *tc,
    struct orch_field **out, size_t *n)
{
	struct gw_jv_iter	 it;
	const char		*name;
	struct json_object	*val;
	size_t			 old;
	int			 rc = 0;

	if (gw_jv_type(v) != GW_JT_OBJECT) {
		ERR(l, parent, "headers", v, "expected an object of field "
		    "names and values");
		return -1;
	}
	if (gw_jv_len(v) > GW_MAX_HEADERS / 2) {
		ERR(l, parent, "headers", v, "more than %d fields",
		    GW_MAX_HEADERS / 2);
		return -1;
	}
	if ((*out = lalloc(l, gw_jv_len(v), sizeof(**out))) == NULL)
		return -1;
	gw_jv_iter_init(&it, v);
	while (gw_jv_iter_next(&it, &name, &val)) {
		old = gw_jcheck_push_key(l->ck, name);
		if (!is_token(name)) {
			ERR(l, v, name, NULL, "'%s' is not a field name", name);
			rc = -1;
		} else if (framing_field(name)) {
			ERR(l, v, name, NULL, "'%s' is set by the client "
			    "itself", name);
			rc = -1;
		} else if (compile_tmpl(l, v, name, val, tc,
		    &(*out)[*n].value) == -1)
			rc = -1;
		else
			(*out)[(*n)++].name = name;
		gw_jcheck_pop(l->ck, old);
	}
	return rc;
}

/* Origins. */

/*
 * Check the syntax of "scheme://host[:port]" (no path, no user) and fill
 * t without resolving anything.
 */
static int
origin_syntax(const char *url, struct gw_client_target *t, char *why,
    size_t whylen)
{
	const char	*hp, *p, *colon = NULL;
	int		 tls;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "http://", 7) == 0) {
		hp = url + 7;
		tls = 0;
	} else if (strncmp(url, "https://", 8) == 0) {
		hp = url + 8;
		tls = 1;
	} else
		return why_set_s(why, whylen, "must start with http:// or "
		    "https://");
	if (*hp == '\0')
		return why_set_s(why, whylen, "no host");
	if (*hp == '[') {
		if ((p = strchr(hp, ']')) == NULL)
			return why_set_s(why, whylen, "bad IPv6 address");
		for (const char *q = hp + 1; q < p; q++)
			if (!((*q >= '0' && *q <= '9') ||
			    (*q >= 'a' && *q <= 'f') ||
			    (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
				return why_set_s(why, whylen, "bad IPv6 "
				    "address");
		p++;
		if (*p == ':')
			colon = p;
		else if (*p != '\0')
			return why_set_s(why, whylen, "no path may follow "
			    "the host here");
	} else {
		for (p = hp; *p != '\0' && *p != ':'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				return why_set_s(why, whylen, "bad host name "
				    "(no path, user or query may follow it "
				    "here)");
		if (p == hp)
			return why_set_s(why, whylen, "no host");
		if (*p == ':')
			colon = p;
	}
	if (colon != NULL) {
		size_t	 n = strlen(colon + 1);
		uint64_t port;

		if (n == 0 || n > 5 || gw_str_to_u64(gw_str_make(colon + 1, n),
		    65535, &port) == -1 || port == 0)
			return why_set_s(why, whylen, "bad port");
	}
	t->url = url;
	t->tls = tls;
	t->tls_verify = 1;
	t->hostport = gw_str_cstr(hp);
	return 0;
}

/* Add (or find) the target for origin url; -1 reported. */
static ssize_t
add_target(struct ld *l, const char *name, const char *url,
    const struct json_object *parent, const char *key,
    const struct json_object *v)
{
	struct gw_orch		*o = l->o;
	struct orch_target	*t;
	struct gw_err		 err;
	char			 why[256];

	if (name == NULL)
		for (size_t i = 0; i < o->ntargets; i++)
			if (o->targets[i].name == NULL &&
			    strcmp(o->targets[i].url, url) == 0)
				return (ssize_t)i;
	t = &o->targets[o->ntargets];
	t->base = "";
	if (name != NULL) {
		/* a service may have a base path: "http://h:1/books" */
		const char *hp = strstr(url, "://"), *slash;

		if (hp != NULL && (slash = strchr(hp + 3, '/')) != NULL) {
			size_t bl = strlen(slash);

			while (bl > 0 && slash[bl - 1] == '/')
				bl--;
			if (strpbrk(slash, "?#$") != NULL) {
				ERR(l, parent, key, v, "'%s': a service is "
				    "\"http://host:port\" and a path at most: "
				    "no query, fragment or template", url);
				return -1;
			}
			if ((t->base = gw_arena_strndup(l->a, slash, bl)) ==
			    NULL || (t->url = gw_arena_strndup(l->a, url,
			    (size_t)(slash - url))) == NULL) {
				l->oom = 1;
				return -1;
			}
			url = t->url;
		}
	}
	if ((t->url = gw_arena_strdup(l->a, url)) == NULL) {
		l->oom = 1;
		return -1;
	}
	if (origin_syntax(t->url, &t->t, why, sizeof(why)) == -1) {
		ERR(l, parent, key, v, "'%s': %s", url, why);
		return -1;
	}
	if (!(o->flags & GW_ORCH_NORESOLVE)) {
		if (gw_client_target_parse(t->url, &t->t, &err) == -1) {
			ERR(l, parent, key, v, "%s", err.msg);
			return -1;
		}
		t->resolved = 1;
	}
	t->t.keepalive = 256;	/* as gw.conf(5) upstreams */
	t->t.keepalive_ms = 30000;
	t->name = name;
	return (ssize_t)o->ntargets++;
}

/* Steps. */

static int
parse_expect(struct ld *l, struct orch_step *st, const struct json_object *sv,
    const struct json_object *v)
{
	size_t	n = gw_jv_type(v) == GW_JT_ARRAY ? gw_jv_len(v) : 1;
	int	rc = 0;

	if (gw_jv_type(v) != GW_JT_ARRAY && gw_jv_type(v) != GW_JT_INT &&
	    gw_jv_type(v) != GW_JT_STRING) {
		ERR(l, sv, "expect", v, "expected a status, a class such as "
		    "\"2xx\", or an array of them");
		return -1;
	}
	if (n == 0) {
		ERR(l, sv, "expect", v, "expected at least one status");
		return -1;
	}
	if ((st->expect = lalloc(l, n, sizeof(*st->expect))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct json_object *e = gw_jv_type(v) == GW_JT_ARRAY ?
		    gw_jv_at(v, i) : v;
		const char	*s;
		size_t		 len;

		if (gw_jv_type(e) == GW_JT_INT && gw_jv_int(e) >= 100 &&
		    gw_jv_int(e) <= 599) {
			st->expect[i].lo = st->expect[i].hi =
			    (int)gw_jv_int(e);
		} else if ((s = gw_jv_str(e, &len)) != NULL && len == 3 &&
		    s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' ||
		    s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
			st->expect[i].lo = (s[0] - '0') * 100;
			st->expect[i].hi = st->expect[i].lo + 99;
		} else {
			ERR(l, gw_jv_type(v) == GW_JT_ARRAY ? v : sv,
			    gw_jv_type(v) == GW_JT_ARRAY ? NULL : "expect", e,
			    "expected a status from 100 to 599 or a class "
			    "such as \"2xx\"");
			rc = -1;
			continue;
		}
		st->nexpect++;
	}
	return rc;
}

static int
idempotent_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
	    strcmp(m, "OPTIONS") == 0 || strcmp(m, "TRACE") == 0;
}

/* "url": a literal origin, then a templated path and query. */
static int
parse_url(struct ld *l, struct orch_step *st, const struct json_object *sv,
    const struct json_object *v, const struct tctx *tc)
{
	const char	*s, *hp, *end;
	char		*origin, *rest;
	char		 why[512];
	ssize_t		 ti;

	if ((s = doc_str(l, sv, "url", v)) == NULL)
		return -1;
	if (strncmp(s, "http://", 7) == 0)
		hp = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		hp = s + 8;
	else {
		ERR(l, sv, "url", v, "'%s' must start with http:// or "
		    "https:// (or use \"service\" and \"path\")", s);
		return -1;
	}
	end = hp + strcspn(hp, "/?#");
	if (memchr(hp, '$', (size_t)(end - hp)) != NULL) {
		ERR(l, sv, "url", v, "the host of a URL cannot be a template: "
		    "declare the hosts in \"services\" and choose one with "
		    "\"service\"");
		return -1;
	}
	if (*end == '#') {
		ERR(l, sv, "url", v, "a URL for a call has no fragment");
		return -1;
	}
	if ((origin = gw_arena_strndup(l->a, s, (size_t)(end - s))) == NULL ||
	    (rest = gw_arena_printf(l->a, "%s%s", *end == '/' ? "" : "/",
	    end)) == NULL) {
		l->oom = 1;
		return -1;
	}
	if ((ti = add_target(l, NULL, origin, sv, "url", v)) == -1)
		return -1;
	st->target = (size_t)ti;
	st->has_target = 1;
	if (orch_tmpl_parse(l->a, rest, strlen(rest), &st->path, why,
	    sizeof(why)) == -1) {
		ERR(l, sv, "url", v, "%s", why);
		return -1;
	}
	return resolve_refs(l, &st->path, tc, sv, "url", v);
}

static int
parse_service(struct ld *l, struct orch_step *st, const struct json_object *sv,
    const struct json_object *v, const struct tctx *tc)
{
	const char	*sug;
	ssize_t		 ti;

	if (compile_tmpl(l, sv, "service", v, tc, &st->service) == -1)
		return -1;
	if (st->service.nparts == 1 && st->service.parts[0].ref == NULL) {
		const struct orch_part *p = &st->service.parts[0];

		if ((ti = service_index(l->o, p->lit, p->len)) == -1) {
			char name[ORCH_MAX_NAME + 1];

			(void)snprintf(name, sizeof(name), "%.*s",
			    (int)p->len, p->lit);
			if ((sug = gw_jcheck_closest(name, l->svcnames)) !=
			    NULL)
				ERR(l, sv, "service", v, "unknown service "
				    "'%s'; did you mean '%s'?", name, sug);
			else
				ERR(l, sv, "service", v, "unknown service "
				    "'%s' (declare it in \"services\")", name);
			return -1;
		}
		st->target = (size_t)ti;
		st->has_target = 1;
	} else if (st->service.nparts == 0) {
		ERR(l, sv, "service", v, "empty service name");
		return -1;
	}
	return 0;
}

static void
parse_step(struct ld *l, const struct json_object *steps, const char *name,
    const struct json_object *sv, struct orch_step *st)
{
	static const char *const step_keys[] = {
		"description", "method", "url", "service", "path", "headers",
		"json", "body", "when", "foreach", "concurrency", "timeout_ms",
		"retries", "backoff_ms", "max_bytes", "optional", "fallback",
		"expect", "parse", "xml_to_json", "mediate", NULL
	};
	static const char *const parse_words[] = { "auto", "json", "text",
	    "xml", NULL };
	struct gw_orch		*o = l->o;
	struct json_object	*v, *m, *method_t = NULL;
	struct tctx		 tc;
	uint64_t		 u;
	int			 b, e;
	size_t			 nd = 0;

	st->name = name;
	st->method = "GET";
	st->timeout_ms = ORCH_TIMEOUT_MS;
	st->backoff_ms = ORCH_BACKOFF_MS;
	st->concurrency = ORCH_CONCURRENCY;
	st->max_bytes = ORCH_MAX_BYTES;
	if ((tc.deps = lalloc(l, l->nnames, 1)) == NULL)
		return;
	tc.step = (ssize_t)st->idx;
	tc.allow_item = 0;
	if (gw_jcheck_object(l->ck, steps, name, sv, step_keys) == -1)
		return;
	if (gw_jv_get(sv, "method", &m)) {
		const char	*s;
		size_t		 old = gw_jcheck_push_key(l->ck, "method");

		if ((s = doc_str(l, sv, "method", m)) != NULL &&
		    strchr(s, '$') != NULL) {
			/* a template: compiled below, checked when it runs */
			st->method = s;
			method_t = m;
		} else if (s != NULL) {
			int ok = *s != '\0' && strlen(s) <= 16;

			for (const char *p = s; *p != '\0'; p++)
				if (*p < 'A' || *p > 'Z')
					ok = 0;
			if (!ok)
				ERR(l, sv, "method", m, "'%s' is not a method "
				    "(upper-case letters, as GET)", s);
			else
				st->method = s;
		}
		gw_jcheck_pop(l->ck, old);
	}
	/* a templated method is retried only if it renders idempotent */
	st->idempotent = method_t != NULL || idempotent_method(st->method);
	/* foreach first: item and index exist in the other templates */
	if (gw_jv_get(sv, "foreach", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "foreach");

		if (compile_tmpl(l, sv, "foreach", v, &tc, &st->foreach) == 0 &&
		    !orch_tmpl_single(&st->foreach)) {
			ERR(l, sv, "foreach", v, "expected one reference to an "
			    "array, as \"${lookup.body/items}\"");
			st->foreach.nparts = 0;
		}
		gw_jcheck_pop(l->ck, old);
		tc.allow_item = 1;
	}
	if (method_t != NULL) {
		size_t old = gw_jcheck_push_key(l->ck, "method");

		(void)compile_tmpl(l, sv, "method", method_t, &tc,
		    &st->method_t);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(sv, "url", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "url");

		if (gw_jv_get(sv, "service", NULL))
			ERR(l, sv, "url", v, "give \"url\", or \"service\" and "
			    "\"path\", not both");
		else
			(void)parse_url(l, st, sv, v, &tc);
		gw_jcheck_pop(l->ck, old);
		if (gw_jv_get(sv, "path", &v)) {
			old = gw_jcheck_push_key(l->ck, "path");
			ERR(l, sv, "path", v, "\"path\" goes with \"service\"; "
			    "a \"url\" holds its own path");
			gw_jcheck_pop(l->ck, old);
		}
	} else if (gw_jv_get(sv, "service", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "service");

		(void)parse_service(l, st, sv, v, &tc);
		gw_jcheck_pop(l->ck, old);
		old = gw_jcheck_push_key(l->ck, "path");
		if (!gw_jv_get(sv, "path", &v)) {
			if (orch_tmpl_parse(l->a, "/", 1, &st->path, NULL, 0) ==
			    -1)
				l->oom = 1;
		} else if (compile_tmpl(l, sv, "path", v, &tc, &st->path) ==
		    0 && st->path.nparts > 0 && st->path.parts[0].ref ==
		    NULL && st->path.parts[0].lit[0] != '/')
			ERR(l, sv, "path", v, "a path starts with '/'");
		gw_jcheck_pop(l->ck, old);
	} else
		ERR(l, steps, name, sv, "a step needs \"url\", or "
		    "\"service\" and \"path\"");
	if (gw_jv_get(sv, "headers", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "headers");

		(void)compile_fields(l, sv, v, &tc, &st->headers,
		    &st->nheaders);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(sv, "json", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "json");

		st->body_kind = BODY_JSON;
		st->content_type = "application/json";
		(void)compile_jt(l, sv, "json", v, &tc, &st->json);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(sv, "body", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "body");

		if (st->body_kind != BODY_NONE)
			ERR(l, sv, "body", v, "give \"json\" or \"body\", not "
			    "both");
		st->body_kind = BODY_TEXT;
		st->content_type = "text/plain; charset=utf-8";
		(void)compile_tmpl(l, sv, "body", v, &tc, &st->text);
		gw_jcheck_pop(l->ck, old);
	}
	for (size_t i = 0; i < st->nheaders; i++)
		if (strcasecmp(st->headers[i].name, "content-type") == 0)
			st->content_type = NULL;
	if (gw_jv_get(sv, "when", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "when");

		if ((st->when = lalloc(l, 1, sizeof(*st->when))) != NULL &&
		    compile_cond(l, sv, "when", v, &tc, st->when) == -1)
			st->when = NULL;
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jcheck_u32(l->ck, sv, "concurrency", 1, ORCH_MAX_CONCURRENCY,
	    &st->concurrency) == 1 && st->foreach.nparts == 0) {
		size_t old = gw_jcheck_push_key(l->ck, "concurrency");

		(void)gw_jv_get(sv, "concurrency", &v);
		ERR(l, sv, "concurrency", v, "\"concurrency\" goes with "
		    "\"foreach\"");
		gw_jcheck_pop(l->ck, old);
	}
	(void)gw_jcheck_u32(l->ck, sv, "timeout_ms", 1, ORCH_MAX_DEADLINE_MS,
	    &st->timeout_ms);
	if (gw_jcheck_u32(l->ck, sv, "retries", 0, ORCH_MAX_RETRIES,
	    &st->retries) == 1 && st->retries > 0 && !st->idempotent) {
		size_t old = gw_jcheck_push_key(l->ck, "retries");

		(void)gw_jv_get(sv, "retries", &v);
		ERR(l, sv, "retries", v, "only idempotent calls are retried "
		    "(GET, HEAD, PUT, DELETE, OPTIONS), not %s", st->method);
		gw_jcheck_pop(l->ck, old);
	}
	(void)gw_jcheck_u32(l->ck, sv, "backoff_ms", 0, ORCH_MAX_BACKOFF_MS,
	    &st->backoff_ms);
	if (gw_jcheck_u64(l->ck, sv, "max_bytes", 1, ORCH_MAX_MAX_BYTES,
	    &u) == 1)
		st->max_bytes = u;
	if (gw_jcheck_bool(l->ck, sv, "optional", &b) == 1)
		st->optional = b;
	if (gw_jv_get(sv, "fallback", &v)) {
		st->has_fallback = 1;
		st->fallback = v;
		if (!st->optional) {
			size_t old = gw_jcheck_push_key(l->ck, "fallback");

			ERR(l, sv, "fallback", v, "\"fallback\" goes with "
			    "\"optional\": true");
			gw_jcheck_pop(l->ck, old);
		}
	}
	if (gw_jv_get(sv, "expect", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "expect");

		(void)parse_expect(l, st, sv, v);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jcheck_enum(l->ck, sv, "parse", parse_words, &e) == 1)
		st->parse = (enum orch_parse)e;
	if (gw_jv_get(sv, "mediate", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "mediate");

		parse_mediate(l, sv, v, st);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(sv, "xml_to_json", &v)) {
		size_t old = gw_jcheck_push_key(l->ck, "xml_to_json");

		st->to_json = parse_friendly(l, sv, "xml_to_json", v);
		if (st->to_json != NULL && (st->parse == PARSE_JSON ||
		    st->parse == PARSE_TEXT))
			ERR(l, sv, "xml_to_json", v, "\"xml_to_json\" reads "
			    "XML answers: \"parse\" cannot be json or text");
		gw_jcheck_pop(l->ck, old);
	}
	st->uses_item = tc.allow_item;
	for (size_t i = 0; i < l->nnames; i++)
		nd += tc.deps[i];
	if ((st->deps = lalloc(l, nd, sizeof(size_t))) == NULL)
		return;
	for (size_t i = 0; i < l->nnames; i++)
		if (tc.deps[i])
			st->deps[st->ndeps++] = i;
	(void)o;
}

static void
parse_response(struct ld *l, const struct json_object *root,
    const struct json_object *rv)
{
	static const char *const resp_keys[] = {
		"status", "headers", "json", "body", "xslt", NULL
	};
	struct orch_response	*r = &l->o->resp;
	struct json_object	*v;
	struct tctx		 tc;
	size_t			 old, nd = 0;

	r->status = 200;
	r->present = 1;
	if ((tc.deps = lalloc(l, l->nnames, 1)) == NULL)
		return;
	tc.step = -1;
	tc.allow_item = 0;
	if (gw_jcheck_object(l->ck, root, "response", rv, resp_keys) == -1)
		return;
	if (gw_jv_get(rv, "status", &v)) {
		old = gw_jcheck_push_key(l->ck, "status");
		if (gw_jv_type(v) == GW_JT_INT) {
			if (gw_jv_int(v) < 100 || gw_jv_int(v) > 599)
				ERR(l, rv, "status", v, "must be from 100 to "
				    "599");
			else
				r->status = (int)gw_jv_int(v);
		} else if (compile_tmpl(l, rv, "status", v, &tc,
		    &r->status_t) == 0) {
			if (!orch_tmpl_single(&r->status_t))
				ERR(l, rv, "status", v, "expected a status, or "
				    "one reference to one, as "
				    "\"${lookup.status}\"");
			else
				r->status = 0;
		}
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(rv, "headers", &v)) {
		old = gw_jcheck_push_key(l->ck, "headers");
		(void)compile_fields(l, rv, v, &tc, &r->headers, &r->nheaders);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(rv, "json", &v)) {
		old = gw_jcheck_push_key(l->ck, "json");
		r->body_kind = BODY_JSON;
		(void)compile_jt(l, rv, "json", v, &tc, &r->json);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(rv, "body", &v)) {
		old = gw_jcheck_push_key(l->ck, "body");
		if (r->body_kind != BODY_NONE)
			ERR(l, rv, "body", v, "give \"json\" or \"body\", not "
			    "both");
		r->body_kind = BODY_TEXT;
		(void)compile_tmpl(l, rv, "body", v, &tc, &r->text);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(rv, "xslt", &v)) {
		old = gw_jcheck_push_key(l->ck, "xslt");
		if (r->body_kind != BODY_NONE)
			ERR(l, rv, "xslt", v, "give \"json\", \"body\" or "
			    "\"xslt\", one of them");
		else
			parse_xslt(l, rv, v);
		/* the stylesheet sees every result */
		for (size_t i = 0; i < l->nnames; i++)
			tc.deps[i] = 1;
		gw_jcheck_pop(l->ck, old);
	}
	for (size_t i = 0; i < l->nnames; i++)
		nd += tc.deps[i];
	if ((r->deps = lalloc(l, nd, sizeof(size_t))) == NULL)
		return;
	for (size_t i = 0; i < l->nnames; i++)
		if (tc.deps[i])
			r->deps[r->ndeps++] = i;
}

/* A service as an object: { "url": ..., "ca_file": ... }. */
static int
service_object(struct ld *l, const struct json_object *sv, const char *name,
    const struct json_object *v)
{
	static const char *const svc_keys[] = { "url", "ca_file", NULL };
	struct json_object	*u, *ca;
	const char		*url, *file;
	char			*path;
	ssize_t			 ti;
	FILE			*fp;
	size_t			 old;

	if (gw_jcheck_object(l->ck, sv, name, v, svc_keys) == -1)
		return -1;
	if (!gw_jv_get(v, "url", &u)) {
		ERR(l, sv, name, v, "a service needs \"url\"");
		return -1;
	}
	old = gw_jcheck_push_key(l->ck, "url");
	url = doc_str(l, v, "url", u);
	ti = url != NULL ? add_target(l, name, url, v, "url", u) : -1;
	gw_jcheck_pop(l->ck, old);
	if (ti == -1 || !gw_jv_get(v, "ca_file", &ca))
		return ti == -1 ? -1 : 0;
	old = gw_jcheck_push_key(l->ck, "ca_file");
	if ((file = doc_str(l, v, "ca_file", ca)) == NULL)
		goto bad;
	if (!l->o->targets[ti].t.tls) {
		ERR(l, v, "ca_file", ca, "\"ca_file\" goes with an https:// "
		    "service");
		goto bad;
	}
	if ((path = gw_jcheck_resolve(l->ck, file)) == NULL) {
		ERR(l, v, "ca_file", ca, "file name too long");
		goto bad;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		ERR(l, v, "ca_file", ca, "cannot open '%s': %s", path,
		    strerror(errno));
		free(path);
		goto bad;
	}
	fclose(fp);
	l->o->targets[ti].t.ca_file = gw_arena_strdup(l->a, path);
	free(path);
	if (l->o->targets[ti].t.ca_file == NULL)
		l->oom = 1;
	gw_jcheck_pop(l->ck, old);
	return 0;
 bad:
	gw_jcheck_pop(l->ck, old);
	return -1;
}

static void
parse_services(struct ld *l, const struct json_object *root,
    const struct json_object *sv)
{
	struct gw_jv_iter	 it;
	const char		*name;
	struct json_object	*v;
	size_t			 n = 0, old;

	if (gw_jv_type(sv) != GW_JT_OBJECT) {
		ERR(l, root, "services", sv, "expected an object of service "
		    "names and URLs (\"http://host:port\"), or objects with "
		    "\"url\" and \"ca_file\"");
		return;
	}
	if ((l->svcnames = lalloc(l, gw_jv_len(sv) + 1, sizeof(char *))) ==
	    NULL)
		return;
	gw_jv_iter_init(&it, sv);
	while (gw_jv_iter_next(&it, &name, &v)) {
		const char *url;

		old = gw_jcheck_push_key(l->ck, name);
		if (*name == '\0' || strlen(name) > ORCH_MAX_NAME ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
		    strlen(name))
			ERR(l, sv, name, NULL, "bad service name '%s' "
			    "(letters, digits, '_', '-' and '.')", name);
		else if (gw_jv_type(v) == GW_JT_OBJECT) {
			if (service_object(l, sv, name, v) != -1)
				l->svcnames[n++] = name;
		} else if ((url = doc_str(l, sv, name, v)) != NULL &&
		    add_target(l, name, url, sv, name, v) != -1)
			l->svcnames[n++] = name;
		gw_jcheck_pop(l->ck, old);
	}
}

/* Steps that wait for nothing left, until none is left: Kahn. */
static void
check_cycles(struct ld *l, const struct json_object *steps)
{
	struct gw_orch	*o = l->o;
	size_t		*left, *queue, nq = 0, head = 0, done = 0;
	size_t		 at, path[GW_ORCH_MAX_STEPS + 1] = { 0 }, np = 0;
	unsigned char	*seen;
	char		 msg[1024];
	size_t		 mo = 0;

	if ((left = lalloc(l, o->nsteps, sizeof(size_t))) == NULL ||
	    (queue = lalloc(l, o->nsteps, sizeof(size_t))) == NULL ||
	    (seen = lalloc(l, o->nsteps, 1)) == NULL)
		return;
	for (size_t i = 0; i < o->nsteps; i++)
		if ((left[i] = o->steps[i].ndeps) == 0)
			queue[nq++] = i;
	while (head < nq) {
		struct orch_step *s = &o->steps[queue[head++]];

		done++;
		for (size_t k = 0; k < s->nusers; k++)
			if (--left[s->users[k]] == 0)
				queue[nq++] = s->users[k];
	}
	if (done == o->nsteps)
		return;
	/* walk from a step left over along what it waits for: a cycle */
	for (at = 0; at < o->nsteps && left[at] == 0; at++)
		;
	while (!seen[at]) {
		seen[at] = 1;
		path[np++] = at;
		for (size_t k = 0; k < o->steps[at].ndeps; k++)
			if (left[o->steps[at].deps[k]] > 0) {
				at = o->steps[at].deps[k];
				break;
			}
	}
	{
		size_t start = 0;

		while (start + 1 < np && path[start] != at)
			start++;
		for (size_t i = start; i < np && mo < sizeof(msg); i++) {
			int n = snprintf(msg + mo, sizeof(msg) - mo, "%s -> ",
			    o->steps[path[i]].name);

			if (n < 0)
				break;
			mo += (size_t)n;
		}
		if (mo < sizeof(msg))
			(void)snprintf(msg + mo, sizeof(msg) - mo, "%s",
			    o->steps[at].name);
	}
	{
		size_t		old = gw_jcheck_push_key(l->ck,
		    o->steps[at].name);
		struct json_object *sv;

		(void)gw_jv_get(steps, o->steps[at].name, &sv);
		ERR(l, steps, o->steps[at].name, sv, "the steps wait for each "
		    "other in a cycle: %s (each waits for the one after it)",
		    msg);
		gw_jcheck_pop(l->ck, old);
	}
}

static void
link_users(struct ld *l)
{
	struct gw_orch *o = l->o;

	for (size_t i = 0; i < o->nsteps; i++)
		for (size_t k = 0; k < o->steps[i].ndeps; k++)
			o->steps[o->steps[i].deps[k]].nusers++;
	for (size_t i = 0; i < o->nsteps; i++) {
		if ((o->steps[i].users = lalloc(l, o->steps[i].nusers,
		    sizeof(size_t))) == NULL)
			return;
		o->steps[i].nusers = 0;
	}
	for (size_t i = 0; i < o->nsteps; i++)
		for (size_t k = 0; k < o->steps[i].ndeps; k++) {
			struct orch_step *d = &o->steps[o->steps[i].deps[k]];

			d->users[d->nusers++] = i;
		}
}

static void
parse_steps(struct ld *l, const struct json_object *root,
    const struct json_object *steps)
{
	struct gw_orch		*o = l->o;
	struct gw_jv_iter	 it;
	const char		*name;
	struct json_object	*v;
	size_t			 n, old;
	int			 bad = 0;

	if (gw_jv_type(steps) != GW_JT_OBJECT || gw_jv_len(steps) == 0) {
		ERR(l, root, "steps", steps, "expected an object of steps, "
		    "each a name and a call");
		return;
	}
	n = gw_jv_len(steps);
	if (n > GW_ORCH_MAX_STEPS) {
		ERR(l, root, "steps", steps, "more than %d steps",
		    GW_ORCH_MAX_STEPS);
		return;
	}
	if ((l->names = lalloc(l, n + 1, sizeof(char *))) == NULL ||
	    (o->steps = lalloc(l, n, sizeof(*o->steps))) == NULL)
		return;
	gw_jv_iter_init(&it, steps);
	while (gw_jv_iter_next(&it, &name, &v)) {
		size_t k, len = strlen(name);

		old = gw_jcheck_push_key(l->ck, name);
		for (k = 0; k < len && (k > 0 || !(name[k] >= '0' &&
		    name[k] <= '9')) && ((name[k] >= 'a' && name[k] <= 'z') ||
		    (name[k] >= 'A' && name[k] <= 'Z') ||
		    (name[k] >= '0' && name[k] <= '9') || name[k] == '_' ||
		    name[k] == '-'); k++)
			;
		if (len == 0 || k != len || len > ORCH_MAX_NAME) {
			ERR(l, steps, name, NULL, "bad step name '%s' "
			    "(letters, digits, '_' and '-', not starting with "
			    "a digit)", name);
			bad = 1;
		} else
			for (k = 0; reserved_names[k] != NULL; k++)
				if (strcmp(reserved_names[k], name) == 0) {
					ERR(l, steps, name, NULL, "'%s' cannot "
					    "name a step: references use it",
					    name);
					bad = 1;
				}
		l->names[l->nnames++] = name;
		gw_jcheck_pop(l->ck, old);
	}
	if (bad)
		return;
	o->nsteps = n;
	for (size_t i = 0; i < n; i++)
		o->steps[i].idx = i;
	/* a step's templates may refer to later steps: foreach first */
	for (size_t i = 0; i < n; i++) {
		struct json_object *sv, *fe;

		(void)gw_jv_get(steps, l->names[i], &sv);
		if (gw_jv_get(sv, "foreach", &fe))
			o->steps[i].foreach.nparts = 1;	/* a marker for now */
	}
	gw_jv_iter_init(&it, steps);
	for (size_t i = 0; gw_jv_iter_next(&it, &name, &v); i++) {
		old = gw_jcheck_push_key(l->ck, name);
		o->steps[i].foreach.nparts = 0;
		parse_step(l, steps, name, v, &o->steps[i]);
		gw_jcheck_pop(l->ck, old);
	}
}

static void
parse_script(struct ld *l)
{
	static const char *const top_keys[] = {
		"$schema", "description", "deadline_ms", "max_bytes",
		"namespaces", "services", "steps", "response", NULL
	};
	struct gw_orch		*o = l->o;
	struct json_object	*root = gw_jdoc_root(o->doc), *v;
	size_t			 old;
	size_t			 ntargets = 0;

	if (gw_jcheck_object(l->ck, NULL, NULL, root, top_keys) == -1)
		return;
	(void)gw_jcheck_u32(l->ck, root, "deadline_ms", 1,
	    ORCH_MAX_DEADLINE_MS, &o->deadline_ms);
	(void)gw_jcheck_u64(l->ck, root, "max_bytes", 1, ORCH_MAX_MAX_HELD,
	    &o->max_held);
	/* every service, and one target per step at most */
	if (gw_jv_get(root, "services", &v))
		ntargets += gw_jv_len(v);
	if (gw_jv_get(root, "steps", &v))
		ntargets += gw_jv_len(v);
	if ((o->targets = lalloc(l, ntargets, sizeof(*o->targets))) == NULL)
		return;
	if (gw_jv_get(root, "namespaces", &v)) {
		old = gw_jcheck_push_key(l->ck, "namespaces");
		parse_namespaces(l, root, v);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(root, "services", &v)) {
		old = gw_jcheck_push_key(l->ck, "services");
		parse_services(l, root, v);
		gw_jcheck_pop(l->ck, old);
	}
	if (l->svcnames == NULL &&
	    (l->svcnames = lalloc(l, 1, sizeof(char *))) == NULL)
		return;
	if (!gw_jv_get(root, "steps", &v)) {
		ERR(l, NULL, NULL, root, "a script needs \"steps\"");
		return;
	}
	old = gw_jcheck_push_key(l->ck, "steps");
	parse_steps(l, root, v);
	gw_jcheck_pop(l->ck, old);
	if (l->oom)
		return;
	if (gw_jcheck_nerrors(l->ck) == 0 && !l->oom) {
		link_users(l);
		if (l->oom)
			return;
		old = gw_jcheck_push_key(l->ck, "steps");
		check_cycles(l, v);
		gw_jcheck_pop(l->ck, old);
	}
	if (gw_jv_get(root, "response", &v)) {
		old = gw_jcheck_push_key(l->ck, "response");
		parse_response(l, root, v);
		gw_jcheck_pop(l->ck, old);
	} else {
		o->resp.status = 200;
		if ((o->resp.deps = lalloc(l, o->nsteps, sizeof(size_t))) !=
		    NULL)
			for (size_t i = 0; i < o->nsteps; i++)
				o->resp.deps[o->resp.ndeps++] = i;
	}
}

int
gw_orch_parse(const char *buf, size_t len, const char *origin, unsigned flags,
    struct gw_orch **out, struct gw_buf *report, struct gw_err *err)
{
	struct gw_orch	*o = NULL;
	struct ld	 l;
	const char	*rep, *nl;
	size_t		 rlen;
	int		 rc = -1;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->arena = gw_arena_new(0)) == NULL ||
	    (o->origin = strdup(origin)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	o->flags = flags;
	o->deadline_ms = ORCH_DEADLINE_MS;
	o->max_held = ORCH_MAX_HELD;
	if (len > GW_ORCH_MAX_SCRIPT_BYTES) {
		gw_err_set(err, GW_E_CONFIG, "%s: larger than %d bytes", origin,
		    GW_ORCH_MAX_SCRIPT_BYTES);
		goto report;
	}
	if (gw_jdoc_parse(buf, len, origin, GW_JSON_COMMENTS | GW_JSON_BOM,
	    &o->doc, err) == -1) {
		if (err->code != GW_E_NOMEM)
			err->code = GW_E_CONFIG;
		goto report;
	}
	if ((l.ck = gw_jcheck_new(o->doc, NULL, err)) == NULL)
		goto out;
	l.o = o;
	l.a = o->arena;
	parse_script(&l);
	if (l.oom) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (gw_jcheck_nerrors(l.ck) > 0) {
		rep = gw_jcheck_report(l.ck, &rlen);
		nl = memchr(rep, '\n', rlen);
		gw_err_set(err, GW_E_CONFIG, "%.*s", (int)(nl != NULL ?
		    (size_t)(nl - rep) : rlen), rep);
		if (report != NULL)
			(void)gw_buf_append(report, rep, rlen, NULL);
		goto out;
	}
	*out = o;
	o = NULL;
	rc = 0;
	goto out;
 report:
	if (report != NULL)
		(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
 out:
	gw_jcheck_free(l.ck);
	gw_xml_doc_free(l.dummy);
	gw_orch_free(o);
	return rc;
}

int
gw_orch_load_file(const char *path, unsigned flags, struct gw_orch **out,
    struct gw_buf *report, struct gw_err *err)
{
	struct gw_buf	 b;
	char		 chunk[16384];
	FILE		*fp;
	size_t		 n;
	int		 rc = -1;

	*out = NULL;
	gw_buf_init(&b, GW_ORCH_MAX_SCRIPT_BYTES);
	if ((fp = fopen(path, "rb")) == NULL) {
		gw_err_sys(err, "cannot open '%s'", path);
		if (err->sys_errno == ENOENT)
			err->code = GW_E_NOTFOUND;
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (gw_buf_append(&b, chunk, n, err) == -1) {
			if (err->code == GW_E_LIMIT)
				gw_err_set(err, GW_E_LIMIT, "'%s' is larger "
				    "than %d bytes", path,
				    GW_ORCH_MAX_SCRIPT_BYTES);
			goto done;
		}
	if (ferror(fp)) {
		gw_err_sys(err, "cannot read '%s'", path);
		goto done;
	}
	rc = gw_orch_parse(b.p == NULL ? "" : b.p, b.len, path, flags, out,
	    report, err);
 done:
	if (fp != NULL)
		fclose(fp);
	gw_buf_release(&b);
	if (rc == -1 && report != NULL && err->code != GW_E_CONFIG)
		(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
	return rc;
}
