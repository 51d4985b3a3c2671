/*
 * mediate-test.c: offline tests of mediations (gw-mediate test).
 *
 * A test file (JSON with comments, gw-mediate(5)) holds cases: an input,
 * the mediation (a file or inline steps), parameters and variables, and
 * what should come out.  JSON is compared structurally (member order does
 * not count, numbers compare by value), XML canonically (C14N, indentation
 * aside), anything else byte for byte; a difference is shown as a path
 * (JSON) or as a line diff of the indented canonical forms (XML).
 *
 * Nothing is printed here: outcomes go to the caller's report buffer, as
 * "ok N - ..." and "not ok N - ..." lines with "#" lines under a failure.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "mediate.h"
#include "str.h"
#include "xml.h"

#define MAX_DIFFS	20
#define MAX_FILES	10000

/*
 * Comparing JSON.
 */

struct jdiff {
	struct gw_buf	*out;
	int		 n;
	char		 path[1024];
};

static void
jd_note(struct jdiff *d, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
jd_note(struct jdiff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n++ >= MAX_DIFFS)
		return;
	(void)gw_buf_printf(d->out, NULL, "#   %s: ", d->path[0] != '\0' ?
	    d->path : "$");
	va_start(ap, fmt);
	(void)gw_buf_vprintf(d->out, NULL, fmt, ap);
	va_end(ap);
	(void)gw_buf_putc(d->out, '\n', NULL);
}

/* A value as short JSON text for a message. */
static void
short_json(const struct json_object *v, char *buf, size_t size)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	if (gw_jv_serialize(v, &b, NULL) == -1 || b.len == 0)
		(void)snprintf(buf, size, "?");
	else if (b.len > 60)
		(void)snprintf(buf, size, "%.57s...", b.p);
	else
		(void)snprintf(buf, size, "%.*s", (int)b.len, b.p);
	gw_buf_release(&b);
}

static int
num_eq(const struct json_object *a, const struct json_object *b)
{
	if (gw_jv_type(a) == GW_JT_INT && gw_jv_type(b) == GW_JT_INT)
		return gw_jv_int(a) == gw_jv_int(b);
	return gw_jv_double(a) == gw_jv_double(b);
}

static void
jcompare(struct jdiff *d, const struct json_object *want,
    const struct json_object *got)
{
	enum gw_jv_type	tw = gw_jv_type(want), tg = gw_jv_type(got);
	size_t		plen = strlen(d->path);
	char		a[80], b[80];

	if ((tw == GW_JT_INT || tw == GW_JT_DOUBLE) &&
	    (tg == GW_JT_INT || tg == GW_JT_DOUBLE)) {
		if (!num_eq(want, got)) {
			short_json(want, a, sizeof(a));
			short_json(got, b, sizeof(b));
			jd_note(d, "expected %s, got %s", a, b);
		}
		return;
	}
	if (tw != tg) {
		short_json(want, a, sizeof(a));
		short_json(got, b, sizeof(b));
		jd_note(d, "expected %s, got %s", a, b);
		return;
	}
	switch (tw) {
	case GW_JT_BOOL:
		if (gw_jv_bool(want) != gw_jv_bool(got))
			jd_note(d, "expected %s, got %s", gw_jv_bool(want) ?
			    "true" : "false", gw_jv_bool(got) ? "true" :
			    "false");
		break;
	case GW_JT_STRING: {
		size_t		 lw, lg;
		const char	*sw = gw_jv_str(want, &lw), *sg = gw_jv_str(got,
				    &lg);

		if (lw != lg || memcmp(sw, sg, lw) != 0) {
			short_json(want, a, sizeof(a));
			short_json(got, b, sizeof(b));
			jd_note(d, "expected %s, got %s", a, b);
		}
		break;
	}
	case GW_JT_ARRAY:
		if (gw_jv_len(want) != gw_jv_len(got))
			jd_note(d, "expected %zu elements, got %zu",
			    gw_jv_len(want), gw_jv_len(got));
		for (size_t i = 0; i < gw_jv_len(want) && i < gw_jv_len(got);
		    i++) {
			(void)snprintf(d->path + plen, sizeof(d->path) - plen,
			    "[%zu]", i);
			jcompare(d, gw_jv_at(want, i), gw_jv_at(got, i));
			d->path[plen] = '\0';
		}
		break;
	case GW_JT_OBJECT: {
		struct gw_jv_iter	 it;
		const char		*k;
		struct json_object	*wv, *gv;

		gw_jv_iter_init(&it, want);
		while (gw_jv_iter_next(&it, &k, &wv)) {
			(void)snprintf(d->path + plen, sizeof(d->path) - plen,
			    "%s%s", plen == 0 ? "$." : ".", k);
			if (!gw_jv_get(got, k, &gv))
				jd_note(d, "missing");
			else
				jcompare(d, wv, gv);
			d->path[plen] = '\0';
		}
		gw_jv_iter_init(&it, got);
		while (gw_jv_iter_next(&it, &k, &gv)) {
			if (gw_jv_get(want, k, NULL))
				continue;
			(void)snprintf(d->path + plen, sizeof(d->path) - plen,
			    "%s%s", plen == 0 ? "$." : ".", k);
			short_json(gv, b, sizeof(b));
			jd_note(d, "not expected, got %s", b);
			d->path[plen] = '\0';
		}
		break;
	}
	default:
		break;
	}
}

/* 0: equal; 1: different (diff lines appended); -1: not JSON. */
static int
diff_json(const char *want, size_t wl, const char *got, size_t gl,
    struct gw_buf *diff, struct gw_err *err)
{
	struct gw_jdoc	*dw = NULL, *dg = NULL;
	struct jdiff	 d;
	int		 rc = -1;

	if (gw_jdoc_parse(want, wl, "expected", 0, &dw, err) == -1)
		goto out;
	if (gw_jdoc_parse(got, gl, "output", 0, &dg, err) == -1)
		goto out;
	memset(&d, 0, sizeof(d));
	d.out = diff;
	jcompare(&d, gw_jdoc_root(dw), gw_jdoc_root(dg));
	if (d.n > MAX_DIFFS)
		(void)gw_buf_printf(diff, NULL, "#   (and %d more)\n",
		    d.n - MAX_DIFFS);
	rc = d.n > 0;
 out:
	gw_jdoc_free(dw);
	gw_jdoc_free(dg);
	return rc;
}

/*
 * Comparing XML and text: a line diff.
 */

struct lines {
	const char	**p;
	size_t		 *len;
	size_t		  n;
};

static int
split_lines(const char *s, size_t len, struct lines *l)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	if ((l->p = calloc(n, sizeof(*l->p))) == NULL ||
	    (l->len = calloc(n, sizeof(*l->len))) == NULL)
		return -1;
	l->n = 0;
	while (len > 0) {
		const char	*nl = memchr(s, '\n', len);
		size_t		 k = nl != NULL ? (size_t)(nl - s) : len;

		l->p[l->n] = s;
		l->len[l->n++] = k;
		if (nl == NULL)
			break;
		s += k + 1;
		len -= k + 1;
	}
	return 0;
}

static void
free_lines(struct lines *l)
{
	free(l->p);
	free(l->len);
}

static int
line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j],
	    a->len[i]) == 0;
}

/* "-" and "+" lines of the difference of want and got (an LCS). */
static void
line_diff(const char *want, size_t wl, const char *got, size_t gl,
    struct gw_buf *out)
{
	struct lines	 a, b;
	uint32_t	*t = NULL;
	size_t		 i, j, shown = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (split_lines(want, wl, &a) == -1 || split_lines(got, gl, &b) == -1)
		goto out;
	(void)gw_buf_puts(out, "#   --- expected\n#   +++ got\n", NULL);
	if (a.n > 0 && b.n > 0 && (a.n + 1) * (b.n + 1) <= 4000000)
		t = calloc((a.n + 1) * (b.n + 1), sizeof(*t));
	if (t == NULL) {
		/* too big for a table: the first line that differs */
		for (i = 0; i < a.n && i < b.n && line_eq(&a, i, &b, i); i++)
			;
		if (i < a.n)
			(void)gw_buf_printf(out, NULL, "#   -%.*s\n",
			    (int)GW_MIN(a.len[i], 200), a.p[i]);
		if (i < b.n)
			(void)gw_buf_printf(out, NULL, "#   +%.*s\n",
			    (int)GW_MIN(b.len[i], 200), b.p[i]);
		goto out;
	}
#define T(x, y)	t[(x) * (b.n + 1) + (y)]
	for (i = a.n; i-- > 0; )
		for (j = b.n; j-- > 0; )
			T(i, j) = line_eq(&a, i, &b, j) ? T(i + 1, j + 1) + 1 :
			    GW_MAX(T(i + 1, j), T(i, j + 1));
	for (i = 0, j = 0; (i < a.n || j < b.n) && shown < 60; ) {
		if (i < a.n && j < b.n && line_eq(&a, i, &b, j)) {
			i++;
			j++;
		} else if (j < b.n && (i == a.n || T(i, j + 1) >=
		    T(i + 1, j))) {
			(void)gw_buf_printf(out, NULL, "#   +%.*s\n",
			    (int)GW_MIN(b.len[j], 200), b.p[j]);
			j++;
			shown++;
		} else {
			(void)gw_buf_printf(out, NULL, "#   -%.*s\n",
			    (int)GW_MIN(a.len[i], 200), a.p[i]);
			i++;
			shown++;
		}
	}
#undef T
 out:
	free(t);
	free_lines(&a);
	free_lines(&b);
}

/* Canonical and indented, for comparing and showing. */
static int
xml_forms(const char *s, size_t len, const char *what, struct gw_buf *c14n,
    struct gw_buf *pretty, struct gw_err *err)
{
	struct gw_xml_doc	*d = NULL, *c = NULL;
	int			 rc = -1;

	if (gw_xml_parse(s, len, what, NULL, &d, err) == -1 ||
	    gw_xml_c14n(d, GW_XML_C14N_TRIM, c14n, err) == -1 ||
	    gw_xml_parse(c14n->p, c14n->len, what, NULL, &c, err) == -1 ||
	    gw_xml_serialize(c, GW_XML_INDENT | GW_XML_NO_DECL, pretty,
	    err) == -1)
		goto out;
	rc = 0;
 out:
	gw_xml_doc_free(d);
	gw_xml_doc_free(c);
	return rc;
}

static int
diff_xml(const char *want, size_t wl, const char *got, size_t gl,
    struct gw_buf *diff, struct gw_err *err)
{
	struct gw_buf	cw, cg, pw, pg;
	int		rc = -1;

	gw_buf_init(&cw, 0);
	gw_buf_init(&cg, 0);
	gw_buf_init(&pw, 0);
	gw_buf_init(&pg, 0);
	if (xml_forms(want, wl, "expected", &cw, &pw, err) == -1 ||
	    xml_forms(got, gl, "output", &cg, &pg, err) == -1)
		goto out;
	rc = !gw_str_eq(gw_buf_str(&cw), gw_buf_str(&cg));
	if (rc == 1)
		line_diff(pw.p, pw.len, pg.p, pg.len, diff);
 out:
	gw_buf_release(&cw);
	gw_buf_release(&cg);
	gw_buf_release(&pw);
	gw_buf_release(&pg);
	return rc;
}

static int
diff_text(const char *want, size_t wl, const char *got, size_t gl,
    struct gw_buf *diff)
{
	if (wl == gl && memcmp(want, got, wl) == 0)
		return 0;
	line_diff(want, wl, got, gl, diff);
	return 1;
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

/*
 * Running a test file.
 */

enum cmp {
	CMP_AUTO,
	CMP_JSON,
	CMP_XML,
	CMP_TEXT
};

struct tvar {
	char	*name;
	char	*value;
};

struct tctx {
	struct tvar	*vars;
	size_t		 nvars;
};

static int
test_var(void *arg, const char *name, struct gw_buf *out, struct gw_err *err)
{
	struct tctx *t = arg;

	for (size_t i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i].name, name) == 0)
			return gw_buf_puts(out, t->vars[i].value, err) == -1 ?
			    -1 : 0;
	return 1;
}

/* Strings of an object member: name -> value pairs, malloc'd. */
static int
string_map(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, struct tvar **out, size_t *n)
{
	struct json_object	*v, *e;
	struct gw_jv_iter	 it;
	const char		*k;
	int			 rc = 0;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	if (gw_jv_type(v) != GW_JT_OBJECT) {
		key_error(ck, obj, key, v, "expected an object of strings");
		return -1;
	}
	if ((*out = reallocarray(*out, *n + gw_jv_len(v) + 1,
	    sizeof(**out))) == NULL) {
		*n = 0;
		return -1;
	}
	gw_jv_iter_init(&it, v);
	while (gw_jv_iter_next(&it, &k, &e)) {
		const char *s = gw_jv_str(e, NULL);

		if (s == NULL) {
			size_t old = gw_jcheck_push_key(ck, key);

			key_error(ck, v, k, e, "expected a string");
			gw_jcheck_pop(ck, old);
			rc = -1;
			continue;
		}
		(*out)[*n].name = strdup(k);
		(*out)[*n].value = strdup(s);
		if ((*out)[*n].name == NULL || (*out)[*n].value == NULL) {
			free((*out)[*n].name);
			free((*out)[*n].value);
			return -1;
		}
		(*n)++;
	}
	return rc;
}

static void
free_map(struct tvar *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].value);
	}
	free(m);
}

/* Text of "<base>" (a file), "<base>_text" or "<base>_json" of c. */
static int
case_text(struct gw_jcheck *ck, const struct json_object *c,
    const char *base, struct gw_buf *out, enum cmp *kind, int *present)
{
	char			 k[64], *data = NULL;
	struct json_object	*v;
	size_t			 len;
	int			 r;

	*present = 0;
	if ((r = gw_jcheck_file(ck, c, base, 64 * 1024 * 1024, &data, &len,
	    NULL)) == -1)
		return -1;
	if (r == 1) {
		const char	*name = NULL;
		struct json_object *f;

		*present = 1;
		if (gw_jv_get(c, base, &f))
			name = gw_jv_str(f, NULL);
		if (kind != NULL && name != NULL) {
			const char *dot = strrchr(name, '.');

			*kind = dot != NULL && strcmp(dot, ".json") == 0 ?
			    CMP_JSON : dot != NULL && (strcmp(dot, ".xml") ==
			    0 || strcmp(dot, ".xsl") == 0 || strcmp(dot,
			    ".wsdl") == 0) ? CMP_XML : CMP_TEXT;
		}
		r = gw_buf_append(out, data, len, NULL);
		free(data);
		return r;
	}
	(void)snprintf(k, sizeof(k), "%s_text", base);
	if (gw_jv_get(c, k, &v)) {
		size_t		 l;
		const char	*s = gw_jv_str(v, &l);

		if (s == NULL) {
			key_error(ck, c, k, v, "expected a string");
			return -1;
		}
		*present = 1;
		if (kind != NULL)
			*kind = CMP_TEXT;
		return gw_buf_append(out, s, l, NULL);
	}
	(void)snprintf(k, sizeof(k), "%s_xml", base);
	if (gw_jv_get(c, k, &v)) {
		size_t		 l;
		const char	*s = gw_jv_str(v, &l);

		if (s == NULL) {
			key_error(ck, c, k, v, "expected a string");
			return -1;
		}
		*present = 1;
		if (kind != NULL)
			*kind = CMP_XML;
		return gw_buf_append(out, s, l, NULL);
	}
	(void)snprintf(k, sizeof(k), "%s_json", base);
	if (gw_jv_get(c, k, &v)) {
		*present = 1;
		if (kind != NULL)
			*kind = CMP_JSON;
		return gw_jv_serialize(v, out, NULL);
	}
	return 0;
}

struct tfile {
	struct gw_jcheck	*ck;
	const struct json_object *root;
	struct gw_buf		*report;
	int			*passed, *failed, *n;
	int			 verbose;
	const char		*path;
};

static void
verdict(struct tfile *tf, int ok, const char *name, const struct gw_buf *why)
{
	(*tf->n)++;
	if (ok)
		(*tf->passed)++;
	else
		(*tf->failed)++;
	(void)gw_buf_printf(tf->report, NULL, "%sok %d - %s: %s\n", ok ? "" :
	    "not ", *tf->n, tf->path, name);
	if (why != NULL && why->len > 0 && (!ok || tf->verbose))
		(void)gw_buf_append_str(tf->report, gw_buf_str(why), NULL);
}

static void
run_case(struct tfile *tf, const struct json_object *c, size_t idx)
{
	static const char *const case_members[] = {
		"name", "input", "input_text", "input_xml", "input_json",
		"mediation", "steps", "params", "xpath_params", "vars",
		"caller_soap", "expect", "expect_text", "expect_xml",
		"expect_json", "expect_fault", "expect_status", "expect_error",
		"expect_content_type", "compare", "detail", NULL
	};
	static const char *const cmps[] = { "json", "xml", "text", NULL };
	struct gw_jcheck	*ck = tf->ck;
	struct gw_mediation	*m = NULL;
	struct gw_mediate_run	 r;
	struct gw_buf		 in, want, out, why;
	struct gw_err		 err;
	struct tctx		 tc;
	struct tvar		*params = NULL;
	struct gw_xslt_param	*xp = NULL;
	size_t			 nparams = 0, nxpath;
	struct json_object	*v;
	char			*name = NULL, *mname = NULL, *ct = NULL;
	char			*cs = NULL, *experr = NULL, label[64];
	enum cmp		 kind = CMP_AUTO;
	int			 present, fault = 0, status = 0, cmp, rc;
	int			 before = gw_jcheck_nerrors(ck), detail = 0;

	memset(&tc, 0, sizeof(tc));
	gw_buf_init(&in, 0);
	gw_buf_init(&want, 0);
	gw_buf_init(&out, 0);
	gw_buf_init(&why, 0);
	(void)snprintf(label, sizeof(label), "case %zu", idx + 1);
	if (gw_jcheck_object(ck, NULL, NULL, c, case_members) == -1)
		goto bad;
	(void)gw_jcheck_str(ck, c, "name", &name);
	/* the mediation: the case's steps or file, else the file's own */
	if (gw_jv_get(c, "steps", &v))
		(void)gw_mediation_from_json(ck, c, "steps", v, &m);
	else if (gw_jcheck_str(ck, c, "mediation", &mname) == 1 ||
	    gw_jcheck_str(ck, tf->root, "mediation", &mname) == 1) {
		char		*p = gw_jcheck_resolve(ck, mname);
		struct gw_buf	 rep;

		gw_buf_init(&rep, 0);
		if (p == NULL || gw_mediation_load(p, &m, &rep, &err) == -1) {
			if (!gw_jv_get(c, "mediation", &v))
				(void)gw_jv_get(tf->root, "mediation", &v);
			key_error(ck, c, "mediation", v, "%s",
			    p == NULL ? "name too long" : err.msg);
		}
		gw_buf_release(&rep);
		free(p);
	} else if (gw_jv_get(tf->root, "steps", &v))
		(void)gw_mediation_from_json(ck, tf->root, "steps", v, &m);
	else
		gw_jcheck_error(ck, NULL, NULL, c, "no mediation: give "
		    "\"steps\" or \"mediation\"");
	if (case_text(ck, c, "input", &in, NULL, &present) == -1)
		goto bad;
	if (!present)
		gw_jcheck_error(ck, NULL, NULL, c, "no input: give \"input\", "
		    "\"input_text\", \"input_xml\" or \"input_json\"");
	if (case_text(ck, c, "expect", &want, &kind, &present) == -1)
		goto bad;
	if (gw_jcheck_enum(ck, c, "compare", cmps, &cmp) == 1)
		kind = cmp == 0 ? CMP_JSON : cmp == 1 ? CMP_XML : CMP_TEXT;
	(void)gw_jcheck_bool(ck, c, "expect_fault", &fault);
	(void)gw_jcheck_bool(ck, c, "detail", &detail);
	{
		uint32_t s32;

		if (gw_jcheck_u32(ck, c, "expect_status", 100, 599, &s32) == 1)
			status = (int)s32;
	}
	(void)gw_jcheck_str(ck, c, "expect_error", &experr);
	(void)gw_jcheck_str(ck, c, "expect_content_type", &ct);
	if (gw_jcheck_str(ck, c, "caller_soap", &cs) == 1 &&
	    gw_soap_version_parse(cs) == GW_SOAP_NONE) {
		(void)gw_jv_get(c, "caller_soap", &v);
		key_error(ck, c, "caller_soap", v, "expected 1.1 or 1.2");
	}
	if (string_map(ck, tf->root, "vars", &tc.vars, &tc.nvars) == -1 ||
	    string_map(ck, c, "vars", &tc.vars, &tc.nvars) == -1 ||
	    string_map(ck, tf->root, "params", &params, &nparams) == -1 ||
	    string_map(ck, c, "params", &params, &nparams) == -1)
		goto bad;
	nxpath = nparams;
	if (string_map(ck, c, "xpath_params", &params, &nparams) == -1)
		goto bad;
	if (gw_jcheck_nerrors(ck) > before)
		goto bad;
	if ((xp = calloc(nparams + 1, sizeof(*xp))) == NULL)
		goto bad;
	for (size_t i = 0; i < nparams; i++) {
		xp[i].name = params[i].name;
		xp[i].value = params[i].value;
		xp[i].literal = i < nxpath;
	}
	memset(&r, 0, sizeof(r));
	r.input = in.p;
	r.len = in.len;
	r.origin = "input";
	r.params = xp;
	r.nparams = nparams;
	r.var = test_var;
	r.var_arg = &tc;
	r.caller_soap = cs != NULL ? gw_soap_version_parse(cs) : GW_SOAP_NONE;
	r.fault_detail = detail;
	r.out = &out;
	rc = gw_mediation_run(m, &r, &err);
	if (experr != NULL) {
		if (rc != -1)
			(void)gw_buf_printf(&why, NULL, "#   expected an error "
			    "with '%s', but the run succeeded\n", experr);
		else if (strstr(err.msg, experr) == NULL)
			(void)gw_buf_printf(&why, NULL, "#   expected an error "
			    "with '%s', got: %s\n", experr, err.msg);
		verdict(tf, why.len == 0, name != NULL ? name : label, &why);
		goto out;
	}
	if (rc == -1) {
		(void)gw_buf_printf(&why, NULL, "#   %s\n", err.msg);
		verdict(tf, 0, name != NULL ? name : label, &why);
		goto out;
	}
	if (rc == 1 && !fault)
		(void)gw_buf_printf(&why, NULL, "#   unexpected SOAP fault: "
		    "%.*s\n", (int)GW_MIN(out.len, 300), out.p);
	else if (rc == 0 && fault)
		(void)gw_buf_puts(&why, "#   expected a SOAP fault\n", NULL);
	if (status != 0 && r.status != status)
		(void)gw_buf_printf(&why, NULL, "#   expected status %d, got "
		    "%d\n", status, r.status);
	if (ct != NULL && strcmp(ct, r.content_type) != 0)
		(void)gw_buf_printf(&why, NULL, "#   expected content type "
		    "'%s', got '%s'\n", ct, r.content_type);
	if (present) {
		if (kind == CMP_AUTO)
			kind = strstr(r.content_type, "json") != NULL ?
			    CMP_JSON : strstr(r.content_type, "xml") != NULL ?
			    CMP_XML : CMP_TEXT;
		gw_err_clear(&err);
		if (kind == CMP_JSON)
			rc = diff_json(want.p, want.len, out.p, out.len, &why,
			    &err);
		else if (kind == CMP_XML)
			rc = diff_xml(want.p, want.len, out.p, out.len, &why,
			    &err);
		else
			rc = diff_text(want.p != NULL ? want.p : "", want.len,
			    out.p != NULL ? out.p : "", out.len, &why);
		if (rc == -1)
			(void)gw_buf_printf(&why, NULL, "#   cannot compare: "
			    "%s\n", err.msg);
		if (rc != 0 && tf->verbose == 0 && out.len < 4096)
			(void)gw_buf_printf(&why, NULL, "#   output: %.*s\n",
			    (int)(out.len > 0 && out.p[out.len - 1] == '\n' ?
			    out.len - 1 : out.len), out.p);
	}
	verdict(tf, why.len == 0, name != NULL ? name : label, &why);
	goto out;
 bad:
	(void)gw_buf_puts(&why, "#   the case is not valid (see above)\n",
	    NULL);
	verdict(tf, 0, name != NULL ? name : label, &why);
 out:
	gw_mediation_free(m);
	free_map(tc.vars, tc.nvars);
	free_map(params, nparams);
	free(xp);
	free(name);
	free(mname);
	free(ct);
	free(cs);
	free(experr);
	gw_buf_release(&in);
	gw_buf_release(&want);
	gw_buf_release(&out);
	gw_buf_release(&why);
}

static int
run_file(const char *path, int verbose, struct gw_buf *report, int *passed,
    int *failed, int *n, struct gw_err *err)
{
	static const char *const file_members[] = {
		"description", "mediation", "steps", "params", "vars", "cases",
		NULL
	};
	struct gw_jdoc		*doc = NULL;
	struct tfile		 tf;
	struct json_object	*root, *cases;
	int			 rc = -1;

	memset(&tf, 0, sizeof(tf));
	if (gw_jdoc_load(path, GW_JSON_COMMENTS | GW_JSON_BOM, 0, &doc,
	    err) == -1) {
		if (err != NULL && err->code == GW_E_PROTO)
			err->code = GW_E_CONFIG;
		return -1;
	}
	if ((tf.ck = gw_jcheck_new(doc, NULL, err)) == NULL)
		goto out;
	tf.root = root = gw_jdoc_root(doc);
	tf.report = report;
	tf.passed = passed;
	tf.failed = failed;
	tf.n = n;
	tf.verbose = verbose;
	tf.path = path;
	if (gw_jcheck_object(tf.ck, NULL, NULL, root, file_members) == -1)
		goto report;
	if (!gw_jv_get(root, "cases", &cases) ||
	    gw_jv_type(cases) != GW_JT_ARRAY || gw_jv_len(cases) == 0) {
		gw_jcheck_error(tf.ck, NULL, "cases", root, "a test file needs "
		    "\"cases\", an array of cases");
		goto report;
	}
	for (size_t i = 0; i < gw_jv_len(cases); i++) {
		size_t o = gw_jcheck_push_key(tf.ck, "cases");
		size_t o2 = gw_jcheck_push_index(tf.ck, i);

		run_case(&tf, gw_jv_at(cases, i), i);
		gw_jcheck_pop(tf.ck, o2);
		gw_jcheck_pop(tf.ck, o);
	}
 report:
	if (gw_jcheck_nerrors(tf.ck) > 0) {
		size_t		 len;
		const char	*rep = gw_jcheck_report(tf.ck, &len);
		const char	*p = rep, *end = rep + len;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = (size_t)((nl != NULL ? nl : end) - p);

			(void)gw_buf_printf(report, NULL, "# %.*s\n", (int)l,
			    p);
			p = nl != NULL ? nl + 1 : end;
		}
		if (!gw_jv_get(root, "cases", NULL)) {
			gw_err_set(err, GW_E_CONFIG, "%s: not a test file",
			    path);
			goto out;
		}
	}
	rc = 0;
 out:
	gw_jcheck_free(tf.ck);
	gw_jdoc_free(doc);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Test files under dir: "*.test.json", in name order, recursively. */
static int
collect(const char *dir, char ***list, size_t *n, struct gw_err *err)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return gw_err_sys(err, "cannot open '%s'", dir);
	while ((de = readdir(d)) != NULL) {
		char		 path[PATH_MAX];
		struct stat	 st;
		size_t		 l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%.*s/%s", (int)(strlen(dir) >
		    1 && dir[strlen(dir) - 1] == '/' ? strlen(dir) - 1 :
		    strlen(dir)), dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (collect(path, list, n, err) == -1) {
				closedir(d);
				return -1;
			}
			continue;
		}
		if (l < 10 || strcmp(de->d_name + l - 10, ".test.json") != 0)
			continue;
		if (*n >= MAX_FILES) {
			closedir(d);
			return gw_err_set(err, GW_E_LIMIT, "more than %d test "
			    "files", MAX_FILES);
		}
		if ((*list = reallocarray(*list, *n + 1, sizeof(**list))) ==
		    NULL || ((*list)[*n] = strdup(path)) == NULL) {
			closedir(d);
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		}
		(*n)++;
	}
	closedir(d);
	return 0;
}

int
gw_mediate_test_path(const char *path, int verbose, struct gw_buf *report,
    int *passed, int *failed, int *n, struct gw_err *err)
{
	struct stat	  st;
	char		**list = NULL;
	size_t		  nl = 0;
	int		  rc = 0;

	if (stat(path, &st) == -1) {
		gw_err_sys(err, "cannot open '%s'", path);
		if (err != NULL)
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, verbose, report, passed, failed, n, err);
	if (collect(path, &list, &nl, err) == -1)
		rc = -1;
	else if (nl == 0) {
		gw_err_set(err, GW_E_NOTFOUND, "no *.test.json file under '%s'",
		    path);
		rc = -1;
	} else {
		qsort(list, nl, sizeof(*list), cmp_names);
		for (size_t i = 0; i < nl; i++)
			if (run_file(list[i], verbose, report, passed, failed,
			    n, err) == -1) {
				(void)gw_buf_printf(report, NULL, "# %s\n",
				    err->msg);
				(*failed)++;
			}
	}
	for (size_t i = 0; i < nl; i++)
		free(list[i]);
	free(list);
	return rc;
}

int
gw_mediate_compare(const char *kind, const char *want, size_t wl,
    const char *got, size_t gl, struct gw_buf *diff, struct gw_err *err)
{
	if (strcmp(kind, "json") == 0)
		return diff_json(want, wl, got, gl, diff, err);
	if (strcmp(kind, "xml") == 0)
		return diff_xml(want, wl, got, gl, diff, err);
	return diff_text(want, wl, got, gl, diff);
}
