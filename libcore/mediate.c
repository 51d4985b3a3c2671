/*
 * mediate.c: mediation files and running them.  The "mediate" policy of
 * gw-serve, which runs them on requests and responses, is in
 * mediate-policy.c: nothing here knows the server, so that gw-mediate
 * does not link it.
 *
 * A run carries one payload from step to step, as text or as a parsed
 * document, and converts only when a step needs the other form: two
 * stylesheets in a row pass the tree along, and a result is serialised
 * once, as its last stylesheet's xsl:output says.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "jsonxml.h"
#include "mediate.h"
#include "soap.h"
#include "str.h"
#include "xml.h"

enum step_kind {
	S_JSON2XML,
	S_XML2JSON,
	S_XSLT,
	S_SOAP_WRAP,
	S_SOAP_UNWRAP
};

static const char *const step_names[] = {
	"json2xml", "xml2json", "xslt", "soap_wrap", "soap_unwrap", NULL
};

struct param {
	char	*name;
	char	*value;		/* text, or a variable's name */
	int	 is_var;
	int	 xpath;		/* an XPath expression */
};

struct step {
	enum step_kind		 kind;
	int			 lossless;
	struct gw_jx_opts	 lo;
	struct gw_jx_friendly	 fr;
	int			 have_fr;
	struct gw_xslt		*xslt;
	struct param		*params;
	size_t			 nparams;
	enum gw_soap_version	 version;	/* NONE: the caller's */
	char			*action;
	int			 action_is_var;
	char			*header;
	int			 detail;
	/* soap_unwrap then xml2json: read the payload from the envelope */
	int			 fuse;
};

struct gw_mediation {
	char		*origin;
	struct step	*steps;
	size_t		 nsteps;
	char		*content_type;
	int		 makes_soap, reads_soap;
};

/*
 * Loading.
 */

static void
step_release(struct step *s)
{
	if (s->have_fr)
		gw_jx_friendly_release(&s->fr);
	gw_xslt_unref(s->xslt);
	for (size_t i = 0; i < s->nparams; i++) {
		free(s->params[i].name);
		free(s->params[i].value);
	}
	free(s->params);
	free(s->action);
	free(s->header);
}

void
gw_mediation_free(struct gw_mediation *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nsteps; i++)
		step_release(&m->steps[i]);
	free(m->steps);
	free(m->origin);
	free(m->content_type);
	free(m);
}

const char *
gw_mediation_origin(const struct gw_mediation *m)
{
	return m->origin;
}

int
gw_mediation_makes_soap(const struct gw_mediation *m)
{
	return m->makes_soap;
}

int
gw_mediation_reads_soap(const struct gw_mediation *m)
{
	return m->reads_soap;
}

/* An error about member key of obj: the key joins the path. */
static void
key_error(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const struct json_object *v, const char *fmt, ...)
    __attribute__((__format__(printf, 5, 6)));

static void
key_error(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const struct json_object *v, const char *fmt, ...)
{
	char	msg[768];
	va_list	ap;
	size_t	old;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	old = gw_jcheck_push_key(ck, key);
	gw_jcheck_error(ck, obj, key, v, "%s", msg);
	gw_jcheck_pop(ck, old);
}

/* 1 if name is a variable a run can have. */
static int
valid_var(const char *name)
{
	static const char *const whole[] = {
		"method", "path", "status", "request_id", "soap.action",
		"soap.version", NULL
	};
	static const char *const prefixes[] = {
		"path.", "query.", "header.", "var.", NULL
	};

	for (size_t i = 0; whole[i] != NULL; i++)
		if (strcmp(name, whole[i]) == 0)
			return 1;
	for (size_t i = 0; prefixes[i] != NULL; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0 &&
		    name[strlen(prefixes[i])] != '\0')
			return 1;
	return 0;
}

/*
 * A value that may name a variable: "$x" is variable x, "$$x" the text
 * "$x".  -1 (reported) for an unknown variable.
 */
static int
var_value(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const struct json_object *v, const char *s, char **value,
    int *is_var)
{
	*is_var = 0;
	if (s[0] == '$' && s[1] == '$')
		s++;
	else if (s[0] == '$') {
		if (!valid_var(s + 1)) {
			gw_jcheck_error(ck, obj, key, v, "unknown variable '%s' "
			    "(method, path, path.NAME, query.NAME, header.NAME, "
			    "status, request_id, soap.action, soap.version, "
			    "var.NAME)", s);
			return -1;
		}
		s++;
		*is_var = 1;
	}
	if ((*value = strdup(s)) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "out of memory");
		return -1;
	}
	return 0;
}

static int
parse_params(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, int xpath, struct step *s)
{
	struct json_object	*v, *pv;
	struct gw_jv_iter	 it;
	const char		*name;
	size_t			 old, n;
	int			 rc = 0;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	old = gw_jcheck_push_key(ck, key);
	if (gw_jv_type(v) != GW_JT_OBJECT) {
		gw_jcheck_error(ck, obj, key, v, "expected an object of "
		    "parameter names and values");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	n = s->nparams + gw_jv_len(v);
	if ((s->params = reallocarray(s->params, n + 1,
	    sizeof(*s->params))) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "out of memory");
		gw_jcheck_pop(ck, old);
		s->nparams = 0;
		return -1;
	}
	gw_jv_iter_init(&it, v);
	while (gw_jv_iter_next(&it, &name, &pv)) {
		struct param	*p = &s->params[s->nparams];
		const char	*str = gw_jv_str(pv, NULL);
		size_t		 o2 = gw_jcheck_push_key(ck, name);

		memset(p, 0, sizeof(*p));
		if (!gw_xml_valid_name(name, strlen(name), 1)) {
			gw_jcheck_error(ck, v, name, NULL, "'%s' is not a "
			    "parameter name", name);
			rc = -1;
		} else if (str == NULL) {
			gw_jcheck_error(ck, v, name, pv, "expected a string");
			rc = -1;
		} else if ((p->name = strdup(name)) == NULL ||
		    (xpath ? (p->value = strdup(str)) == NULL :
		    var_value(ck, v, name, pv, str, &p->value,
		    &p->is_var) == -1)) {
			free(p->name);
			rc = -1;
		} else {
			p->xpath = xpath;
			s->nparams++;
		}
		gw_jcheck_pop(ck, o2);
	}
	gw_jcheck_pop(ck, old);
	return rc;
}

static int
parse_conversion(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct step *s)
{
	static const char *const words[] = {
		"lossless", "friendly", "badgerfish", NULL
	};
	static const char *const lossless_members[] = {
		"preset", "duplicates", "indent", NULL
	};
	static const char *const dups[] = { "reject", "first", "all", NULL };
	struct json_object	*pre;
	const char		*str;
	struct gw_err		 err;
	int			 w = -1, d, b = 0;

	if ((str = gw_jv_str(v, NULL)) != NULL) {
		for (int i = 0; words[i] != NULL; i++)
			if (strcmp(str, words[i]) == 0)
				w = i;
		if (w == -1) {
			gw_jcheck_error(ck, parent, key, v, "expected lossless, "
			    "friendly, badgerfish or an object of options");
			return -1;
		}
		if (w == 0) {
			s->lossless = 1;
			return 0;
		}
		if (gw_jx_friendly_init(&s->fr, w == 2 ?
		    GW_JX_PRESET_BADGERFISH : GW_JX_PRESET_APIGEE, &err) == -1) {
			gw_jcheck_error(ck, parent, key, v, "%s", err.msg);
			return -1;
		}
		s->have_fr = 1;
		return 0;
	}
	if (gw_jv_get(v, "preset", &pre) && (str = gw_jv_str(pre, NULL)) !=
	    NULL && strcmp(str, "lossless") == 0) {
		s->lossless = 1;
		if (gw_jcheck_object(ck, parent, key, v, lossless_members) == -1)
			return -1;
		if (gw_jcheck_enum(ck, v, "duplicates", dups, &d) == 1)
			s->lo.dup = d == 2 ? GW_JX_DUP_ALL : d == 1 ?
			    GW_JX_DUP_FIRST : GW_JX_DUP_REJECT;
		if (gw_jcheck_bool(ck, v, "indent", &b) == 1 && b)
			s->lo.flags |= GW_JX_INDENT;
		return 0;
	}
	if (gw_jv_type(v) != GW_JT_OBJECT) {
		gw_jcheck_error(ck, parent, key, v, "expected lossless, "
		    "friendly, badgerfish or an object of options");
		return -1;
	}
	s->have_fr = 1;
	memset(&s->fr, 0, sizeof(s->fr));
	return gw_jx_friendly_parse(ck, parent, key, v, &s->fr);
}

static int
parse_xslt(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct step *s)
{
	static const char *const xslt_members[] = {
		"stylesheet", "params", "xpath_params", "read_any_file",
		"read_network", NULL
	};
	struct json_object	*o = NULL;
	const char		*name;
	char			*owned = NULL, *path;
	struct gw_err		 err;
	unsigned		 flags = 0;
	int			 b, rc = 0;

	if ((name = gw_jv_str(v, NULL)) == NULL) {
		if (gw_jcheck_object(ck, parent, key, v, xslt_members) == -1)
			return -1;
		if (gw_jcheck_str(ck, v, "stylesheet", &owned) != 1) {
			if (!gw_jv_get(v, "stylesheet", NULL))
				gw_jcheck_error(ck, parent, key, v, "a "
				    "stylesheet is needed");
			return -1;
		}
		name = owned;
		(void)gw_jv_get(v, "stylesheet", &o);
		if (gw_jcheck_bool(ck, v, "read_any_file", &b) == 1 && b)
			flags |= GW_XSLT_READ_ANY;
		if (gw_jcheck_bool(ck, v, "read_network", &b) == 1 && b)
			flags |= GW_XSLT_READ_NET;
		if (parse_params(ck, v, "params", 0, s) == -1 ||
		    parse_params(ck, v, "xpath_params", 1, s) == -1)
			rc = -1;
	}
	if ((path = gw_jcheck_resolve(ck, name)) == NULL) {
		if (o != NULL)
			key_error(ck, v, "stylesheet", o, "name too long");
		else
			gw_jcheck_error(ck, parent, key, v, "name too long");
		free(owned);
		return -1;
	}
	if (gw_xslt_load(path, flags, &s->xslt, &err) == -1) {
		if (o != NULL)
			key_error(ck, v, "stylesheet", o, "%s", err.msg);
		else
			gw_jcheck_error(ck, parent, key, v, "%s", err.msg);
		rc = -1;
	}
	free(path);
	free(owned);
	return rc;
}

static int
parse_wrap(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct step *s)
{
	static const char *const wrap_members[] = {
		"version", "action", "header", NULL
	};
	struct json_object	*o;
	const char		*str;
	char			*ver = NULL, *action = NULL;
	int			 rc = 0;

	s->version = GW_SOAP_11;
	if ((str = gw_jv_str(v, NULL)) != NULL) {
		if (strcmp(str, "caller") == 0)
			s->version = GW_SOAP_NONE;
		else if ((s->version = gw_soap_version_parse(str)) ==
		    GW_SOAP_NONE) {
			gw_jcheck_error(ck, parent, key, v, "expected 1.1, 1.2, "
			    "caller or an object");
			return -1;
		}
		return 0;
	}
	if (gw_jcheck_object(ck, parent, key, v, wrap_members) == -1)
		return -1;
	if (gw_jcheck_str(ck, v, "version", &ver) == 1) {
		(void)gw_jv_get(v, "version", &o);
		if (strcmp(ver, "caller") == 0)
			s->version = GW_SOAP_NONE;
		else if ((s->version = gw_soap_version_parse(ver)) ==
		    GW_SOAP_NONE) {
			key_error(ck, v, "version", o, "expected 1.1, 1.2 or "
			    "caller");
			rc = -1;
		}
		free(ver);
	}
	if (gw_jcheck_str(ck, v, "action", &action) == 1) {
		size_t old = gw_jcheck_push_key(ck, "action");

		(void)gw_jv_get(v, "action", &o);
		if (var_value(ck, v, "action", o, action, &s->action,
		    &s->action_is_var) == -1)
			rc = -1;
		gw_jcheck_pop(ck, old);
		free(action);
	}
	if (gw_jcheck_str(ck, v, "header", &s->header) == 1) {
		struct gw_buf		 b;
		struct gw_xml_doc	*d;
		struct gw_err		 err;

		gw_buf_init(&b, 0);
		(void)gw_jv_get(v, "header", &o);
		if (gw_buf_printf(&b, &err, "<h>%s</h>", s->header) == -1 ||
		    gw_xml_parse(b.p, b.len, NULL, NULL, &d, &err) == -1) {
			key_error(ck, v, "header", o, "not well-formed XML: %s",
			    err.msg);
			rc = -1;
		} else
			gw_xml_doc_free(d);
		gw_buf_release(&b);
	}
	return rc;
}

static int
parse_unwrap(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct step *s)
{
	static const char *const unwrap_members[] = { "detail", NULL };

	if (gw_jcheck_object(ck, parent, key, v, unwrap_members) == -1)
		return -1;
	return gw_jcheck_bool(ck, v, "detail", &s->detail) == -1 ? -1 : 0;
}

int
gw_mediation_from_json(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct gw_mediation **out)
{
	struct gw_mediation	*m;
	size_t			 n, old;
	int			 rc = 0;

	*out = NULL;
	if (gw_jv_type(v) != GW_JT_ARRAY) {
		key_error(ck, parent, key, v, "expected an array of steps such "
		    "as [{ \"json2xml\": \"friendly\" }]");
		return -1;
	}
	if ((n = gw_jv_len(v)) > GW_MEDIATE_MAX_STEPS) {
		key_error(ck, parent, key, v, "more than %d steps",
		    GW_MEDIATE_MAX_STEPS);
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->origin = strdup(gw_jdoc_origin(gw_jcheck_doc(ck)))) == NULL ||
	    (m->steps = calloc(n + 1, sizeof(*m->steps))) == NULL) {
		gw_mediation_free(m);
		gw_jcheck_error(ck, parent, key, v, "out of memory");
		return -1;
	}
	old = gw_jcheck_push_key(ck, key);
	for (size_t i = 0; i < n; i++) {
		struct json_object	*e = gw_jv_at(v, i), *body;
		struct gw_jv_iter	 it;
		const char		*name, *sug;
		struct step		*s = &m->steps[m->nsteps];
		size_t			 o2 = gw_jcheck_push_index(ck, i), o3;
		int			 k = -1, r;

		if (gw_jv_type(e) != GW_JT_OBJECT || gw_jv_len(e) != 1) {
			gw_jcheck_error(ck, v, NULL, e, "a step is an object "
			    "with one key, its kind, such as { \"xslt\": "
			    "\"a.xsl\" }");
			rc = -1;
			gw_jcheck_pop(ck, o2);
			continue;
		}
		gw_jv_iter_init(&it, e);
		(void)gw_jv_iter_next(&it, &name, &body);
		for (int j = 0; step_names[j] != NULL; j++)
			if (strcmp(name, step_names[j]) == 0)
				k = j;
		if (k == -1) {
			if ((sug = gw_jcheck_closest(name, step_names)) != NULL)
				gw_jcheck_error(ck, e, name, NULL, "unknown step "
				    "'%s'; did you mean '%s'?", name, sug);
			else
				gw_jcheck_error(ck, e, name, NULL, "unknown step "
				    "'%s' (json2xml, xml2json, xslt, soap_wrap, "
				    "soap_unwrap)", name);
			rc = -1;
			gw_jcheck_pop(ck, o2);
			continue;
		}
		memset(s, 0, sizeof(*s));
		s->kind = (enum step_kind)k;
		o3 = gw_jcheck_push_key(ck, name);
		switch (s->kind) {
		case S_JSON2XML:
		case S_XML2JSON:
			r = parse_conversion(ck, e, name, body, s);
			break;
		case S_XSLT:
			r = parse_xslt(ck, e, name, body, s);
			break;
		case S_SOAP_WRAP:
			r = parse_wrap(ck, e, name, body, s);
			m->makes_soap = 1;
			break;
		default:
			r = parse_unwrap(ck, e, name, body, s);
			m->reads_soap = 1;
			break;
		}
		gw_jcheck_pop(ck, o3);
		m->nsteps++;
		if (r == -1)
			rc = -1;
		gw_jcheck_pop(ck, o2);
	}
	gw_jcheck_pop(ck, old);
	if (rc == -1) {
		gw_mediation_free(m);
		return -1;
	}
	/*
	 * An envelope's payload to JSON needs no tree, unless namespace
	 * declarations are kept: the tree's payload has those of the
	 * Envelope and Body too.
	 */
	for (size_t i = 0; i + 1 < m->nsteps; i++)
		m->steps[i].fuse = m->steps[i].kind == S_SOAP_UNWRAP &&
		    m->steps[i + 1].kind == S_XML2JSON &&
		    (m->steps[i + 1].lossless ||
		    m->steps[i + 1].fr.ns_block == NULL);
	*out = m;
	return 0;
}

int
gw_mediation_load(const char *path, struct gw_mediation **out,
    struct gw_buf *report, struct gw_err *err)
{
	static const char *const file_members[] = {
		"steps", "content_type", "description", NULL
	};
	struct gw_jdoc		*doc = NULL;
	struct gw_jcheck	*ck = NULL;
	struct gw_mediation	*m = NULL;
	struct json_object	*root, *steps;
	char			*ct = NULL;
	int			 rc = -1;

	*out = NULL;
	if (gw_jdoc_load(path, GW_JSON_COMMENTS | GW_JSON_BOM,
	    GW_MEDIATE_MAX_FILE_BYTES, &doc, err) == -1) {
		if (err != NULL && err->code != GW_E_NOTFOUND &&
		    err->code != GW_E_NOMEM)
			err->code = GW_E_CONFIG;
		if (report != NULL && err != NULL)
			(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
		return -1;
	}
	if ((ck = gw_jcheck_new(doc, NULL, err)) == NULL)
		goto out;
	root = gw_jdoc_root(doc);
	if (gw_jcheck_object(ck, NULL, NULL, root, file_members) == 0) {
		if (!gw_jv_get(root, "steps", &steps))
			gw_jcheck_error(ck, NULL, NULL, root, "a mediation needs "
			    "\"steps\"");
		else if (gw_mediation_from_json(ck, root, "steps", steps,
		    &m) == 0) {
			if (gw_jcheck_str(ck, root, "content_type", &ct) == 1) {
				struct gw_str s = gw_str_cstr(ct);

				for (size_t i = 0; i < s.len; i++)
					if ((unsigned char)ct[i] < 0x20) {
						struct json_object *o;

						(void)gw_jv_get(root,
						    "content_type", &o);
						key_error(ck, root,
						    "content_type", o,
						    "control character");
						break;
					}
				m->content_type = ct;
				ct = NULL;
			}
		}
	}
	if (gw_jcheck_nerrors(ck) > 0) {
		size_t		 len;
		const char	*rep = gw_jcheck_report(ck, &len);
		const char	*nl = memchr(rep, '\n', len);

		gw_err_set(err, GW_E_CONFIG, "%.*s", (int)(nl != NULL ?
		    (size_t)(nl - rep) : len), rep);
		if (report != NULL)
			(void)gw_buf_append(report, rep, len, NULL);
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
 out:
	free(ct);
	gw_mediation_free(m);
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
	return rc;
}

/*
 * Running.
 */

struct payload {
	const char		*text;		/* valid when has_text */
	size_t			 len;
	int			 has_text;
	struct gw_buf		 own;		/* text's storage, ours */
	struct gw_xml_doc	*doc;		/* owned */
	struct gw_xslt		*style;		/* doc came from it */
	const char		*origin;	/* for messages */
	char			 ctype[256];
	int			 serialized;	/* text as gw_xml_serialize */
};

static void
pl_set_doc(struct payload *p, struct gw_xml_doc *d, struct gw_xslt *style)
{
	gw_xml_doc_free(p->doc);
	p->doc = d;
	p->style = style;
	p->has_text = 0;
	p->serialized = 0;
}

/* The payload becomes own's text (own is swapped in). */
static void
pl_take_text(struct payload *p, struct gw_buf *own)
{
	struct gw_buf tmp = p->own;

	p->own = *own;
	*own = tmp;
	gw_buf_reset(own);
	gw_xml_doc_free(p->doc);
	p->doc = NULL;
	p->style = NULL;
	p->text = p->own.p != NULL ? p->own.p : "";
	p->len = p->own.len;
	p->has_text = 1;
	p->serialized = 0;
}

static int
pl_text(struct payload *p, struct gw_err *err)
{
	struct gw_buf b;
	int rc;

	if (p->has_text)
		return 0;
	gw_buf_init(&b, 0);
	if (p->doc == NULL)
		rc = 0;
	else if (p->style != NULL)
		rc = gw_xslt_serialize(p->style, p->doc, &b, err);
	else
		rc = gw_xml_serialize(p->doc, 0, &b, err);
	if (rc == 0) {
		struct gw_xml_doc *d = p->doc;

		/* keep the tree: a later step may want it again */
		p->doc = NULL;
		pl_take_text(p, &b);
		p->doc = d;
	}
	gw_buf_release(&b);
	return rc;
}

static int
pl_doc(struct payload *p, int empty_ok, struct gw_err *err)
{
	struct gw_xml_doc *d;

	if (p->doc != NULL)
		return 0;
	if (p->len == 0 && empty_ok)
		return 0;
	if (p->len == 0 && gw_xml_parse("<empty/>", 8, NULL, NULL, &d,
	    err) == 0) {
		p->doc = d;
		return 0;
	}
	if (gw_xml_parse(p->text, p->len, p->origin, NULL, &d, err) == -1)
		return -1;
	p->doc = d;
	p->style = NULL;
	return 0;
}

static int
get_var(const struct gw_mediate_run *r, const char *name, struct gw_buf *out,
    struct gw_err *err)
{
	if (r->var == NULL)
		return 1;
	return r->var(r->var_arg, name, out, err);
}

/* The parameters of an xslt step: the file's, then the run's over them. */
static int
step_params(const struct step *s, const struct gw_mediate_run *r,
    struct gw_xslt_param **out, size_t *n, struct gw_buf *vals,
    struct gw_err *err)
{
	struct gw_xslt_param	*p;
	size_t			*offs, k = 0;

	*out = NULL;
	*n = 0;
	if ((p = calloc(s->nparams + r->nparams + 1, sizeof(*p))) == NULL ||
	    (offs = calloc(s->nparams + 1, sizeof(*offs))) == NULL) {
		free(p);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	/* variable values first (the buffer may move), pointers after */
	for (size_t i = 0; i < s->nparams; i++) {
		offs[i] = vals->len;
		if (s->params[i].is_var) {
			if (get_var(r, s->params[i].value, vals, err) == -1)
				goto fail;
		} else if (gw_buf_puts(vals, s->params[i].value, err) == -1)
			goto fail;
		if (gw_buf_putc(vals, '\0', err) == -1)
			goto fail;
	}
	for (size_t i = 0; i < s->nparams; i++) {
		int over = 0;

		for (size_t j = 0; j < r->nparams; j++)
			if (strcmp(r->params[j].name, s->params[i].name) == 0)
				over = 1;
		if (over)
			continue;
		p[k].name = s->params[i].name;
		p[k].value = vals->p + offs[i];
		p[k].literal = !s->params[i].xpath;
		k++;
	}
	for (size_t j = 0; j < r->nparams; j++)
		p[k++] = r->params[j];
	free(offs);
	*out = p;
	*n = k;
	return 0;
 fail:
	free(offs);
	free(p);
	return -1;
}

static void
set_ctype(char *dst, size_t size, const char *v)
{
	(void)snprintf(dst, size, "%s", v);
}

struct fused {
	enum gw_soap_version	 v;
	int			 none;
};

static int
fused_sax(void *arg, const char *xml, size_t len, const char *origin,
    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
    void *harg, struct gw_err *err)
{
	struct fused	*fu = arg;
	int		 rc;

	rc = gw_soap_sax_payload(xml, len, origin, lim, h, harg, &fu->v, err);
	if (rc == 1) {
		fu->none = 1;
		return gw_err_set(err, GW_E_PROTO, "no payload");
	}
	return rc;
}

/*
 * soap_unwrap and the xml2json after it (s[0], s[1]) in one reading of
 * the envelope.  1 when that cannot be (a fault, an empty Body, anything
 * wrong): the steps then run one by one, and say what is wrong their way.
 */
static int
run_fused(const struct step *s, struct gw_mediate_run *r, struct payload *p,
    struct gw_buf *tmp)
{
	struct fused		 fu;
	struct gw_jx_opts	 lo;
	struct gw_jx_friendly	 fr;
	struct gw_err		 e;
	int			 rc;

	if (!p->has_text || p->len == 0)
		return 1;
	memset(&fu, 0, sizeof(fu));
	gw_buf_reset(tmp);
	if (s[1].lossless) {
		lo = s[1].lo;
		lo.origin = p->origin;
		lo.sax = fused_sax;
		lo.sax_arg = &fu;
		rc = gw_jx_xml_to_json(p->text, p->len, &lo, tmp, &e);
	} else {
		fr = s[1].fr;
		fr.o.origin = p->origin;
		fr.o.sax = fused_sax;
		fr.o.sax_arg = &fu;
		rc = gw_jx_friendly_xml_to_json(p->text, p->len, &fr, tmp, &e);
	}
	if (rc == -1 || fu.none) {
		gw_buf_reset(tmp);
		return 1;
	}
	r->soap_in = fu.v;
	pl_take_text(p, tmp);
	set_ctype(p->ctype, sizeof(p->ctype), "application/json");
	return 0;
}

static int
run_step(const struct step *s, size_t idx, struct gw_mediate_run *r,
    struct payload *p, struct gw_buf *tmp, struct gw_err *err)
{
	struct gw_jx_opts	 lo;
	struct gw_jx_friendly	 fr;

	(void)idx;
	gw_buf_reset(tmp);
	switch (s->kind) {
	case S_JSON2XML:
	case S_XML2JSON:
		if (pl_text(p, err) == -1)
			return -1;
		if (s->lossless) {
			lo = s->lo;
			lo.origin = p->origin;
			if ((s->kind == S_JSON2XML ? gw_jx_json_to_xml(p->text,
			    p->len, &lo, tmp, err) : gw_jx_xml_to_json(p->text,
			    p->len, &lo, tmp, err)) == -1)
				return -1;
		} else {
			fr = s->fr;
			fr.o.origin = p->origin;
			if ((s->kind == S_JSON2XML ?
			    gw_jx_friendly_json_to_xml(p->text, p->len, &fr, tmp,
			    err) : gw_jx_friendly_xml_to_json(p->text, p->len,
			    &fr, tmp, err)) == -1)
				return -1;
		}
		pl_take_text(p, tmp);
		/* friendly XML is written as libxml2 writes it */
		p->serialized = s->kind == S_JSON2XML && !s->lossless;
		set_ctype(p->ctype, sizeof(p->ctype), s->kind == S_JSON2XML ?
		    "application/xml" : "application/json");
		return 0;
	case S_XSLT: {
		struct gw_xslt_param	*params;
		struct gw_xml_doc	*res;
		size_t			 n;
		int			 rc;

		if (pl_doc(p, 0, err) == -1)
			return -1;
		if (step_params(s, r, &params, &n, tmp, err) == -1)
			return -1;
		rc = gw_xslt_apply(s->xslt, p->doc, params, n, &res, err);
		free(params);
		gw_buf_reset(tmp);
		if (rc == -1)
			return -1;
		pl_set_doc(p, res, s->xslt);
		(void)snprintf(p->ctype, sizeof(p->ctype), "%s%s",
		    gw_xslt_media_type(s->xslt),
		    strchr(gw_xslt_media_type(s->xslt), ';') == NULL ?
		    "; charset=utf-8" : "");
		return 0;
	}
	case S_SOAP_WRAP: {
		struct gw_soap_wrap	 w;
		struct gw_buf		 act, ct;
		int			 rc = -1;

		gw_buf_init(&act, 0);
		gw_buf_init(&ct, 0);
		if (!(p->has_text && p->serialized) && pl_doc(p, 1, err) == -1)
			goto wrap_out;
		memset(&w, 0, sizeof(w));
		w.version = s->version != GW_SOAP_NONE ? s->version :
		    r->caller_soap != GW_SOAP_NONE ? r->caller_soap :
		    GW_SOAP_11;
		w.header = s->header;
		if (s->action != NULL && (s->action_is_var ? get_var(r,
		    s->action, &act, err) == -1 : gw_buf_puts(&act, s->action,
		    err) == -1))
			goto wrap_out;
		if (gw_buf_cstr(&act, err) == NULL ||
		    (p->has_text && p->serialized ? gw_soap_wrap_serialized(
		    p->text, p->len, &w, tmp, err) : gw_soap_wrap_doc(p->doc, &w,
		    tmp, err)) == -1 ||
		    gw_soap_content_type(w.version, act.len > 0 ? act.p : NULL,
		    &ct, err) == -1 || gw_buf_cstr(&ct, err) == NULL)
			goto wrap_out;
		pl_take_text(p, tmp);
		set_ctype(p->ctype, sizeof(p->ctype), ct.p);
		(void)snprintf(r->soap_action, sizeof(r->soap_action), "%s",
		    act.len > 0 ? act.p : "");
		r->soap_out = w.version;
		rc = 0;
	wrap_out:
		gw_buf_release(&act);
		gw_buf_release(&ct);
		return rc;
	}
	case S_SOAP_UNWRAP: {
		struct gw_xml_doc	*payload;
		struct gw_soap_fault	*fault;
		enum gw_soap_version	 v;
		int			 rc;

		if (pl_doc(p, 0, err) == -1)
			return -1;
		if ((rc = gw_soap_unwrap_doc(p->doc, &v, &payload, &fault,
		    err)) == -1)
			return -1;
		r->soap_in = v;
		if (rc == 1) {
			r->status = gw_soap_fault_status(fault);
			rc = gw_soap_fault_problem(fault, r->status,
			    s->detail || r->fault_detail, r->request_id, tmp,
			    err);
			gw_soap_fault_free(fault);
			if (rc == -1)
				return -1;
			pl_take_text(p, tmp);
			set_ctype(p->ctype, sizeof(p->ctype),
			    "application/problem+json");
			return 1;
		}
		if (payload == NULL)
			pl_take_text(p, tmp);	/* an empty Body */
		else
			pl_set_doc(p, payload, NULL);
		set_ctype(p->ctype, sizeof(p->ctype), "application/xml");
		return 0;
	}
	}
	return gw_err_set(err, GW_E_INTERNAL, "unknown step");
}

int
gw_mediation_run(const struct gw_mediation *m, struct gw_mediate_run *r,
    struct gw_err *err)
{
	struct payload	p;
	struct gw_buf	tmp;
	int		rc = -1, s;

	memset(&p, 0, sizeof(p));
	gw_buf_init(&p.own, 0);
	gw_buf_init(&tmp, 0);
	p.text = r->input != NULL ? r->input : "";
	p.len = r->input != NULL ? r->len : 0;
	p.has_text = 1;
	p.origin = r->origin;
	r->content_type[0] = '\0';
	r->soap_action[0] = '\0';
	r->soap_out = GW_SOAP_NONE;
	r->soap_in = GW_SOAP_NONE;
	r->status = 0;
	r->failed_step = -1;
	for (size_t i = 0; i < m->nsteps; i++) {
		if (m->steps[i].fuse && run_fused(&m->steps[i], r, &p,
		    &tmp) == 0) {
			i++;
			p.origin = NULL;
			continue;
		}
		if ((s = run_step(&m->steps[i], i, r, &p, &tmp, err)) == -1) {
			r->failed_step = (int)i;
			if (err != NULL && err->code != GW_E_NOMEM)
				gw_err_prefix(err, "step %zu (%s)", i + 1,
				    step_names[m->steps[i].kind]);
			goto out;
		}
		if (s == 1) {
			rc = 1;
			break;
		}
		/* what a step made is named by the step from now on */
		p.origin = NULL;
	}
	if (pl_text(&p, err) == -1 ||
	    gw_buf_append(r->out, p.text, p.len, err) == -1)
		goto out;
	(void)snprintf(r->content_type, sizeof(r->content_type), "%s",
	    rc != 1 && m->content_type != NULL ? m->content_type :
	    p.ctype[0] != '\0' ? p.ctype : "application/octet-stream");
	if (rc != 1)
		rc = 0;
 out:
	gw_xml_doc_free(p.doc);
	gw_buf_release(&p.own);
	gw_buf_release(&tmp);
	return rc;
}
