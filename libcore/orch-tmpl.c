/*
 * orch-tmpl.c: the template language of orchestration scripts.
 *
 * A template is a string in which "${reference}" stands for a value of the
 * incoming request or of an earlier step's result; "$$" is a lone '$'.  A
 * reference is
 *
 *	source [/json/pointer] [| raw] [?? default]
 *
 * where source is request.method, request.path, request.id,
 * request.query.NAME, request.headers.NAME, request.params.NAME,
 * request.body, item, index, or STEP.status, STEP.ok, STEP.error,
 * STEP.headers.NAME, STEP.body, STEP.xpath("expression"); the JSON Pointer
 * (RFC 6901) goes into a body or an item; filters: "| raw" keeps a value
 * out of percent-encoding in URLs, "| number" makes text a number, "| xml"
 * escapes a value for XML; the default is a JSON value used when the
 * reference finds nothing.
 *
 * Values keep their JSON type: a string that is one reference and nothing
 * else, in a JSON template, becomes the value itself (a number, an object);
 * inside a longer string a value becomes text (strings as they are, the rest
 * as compact JSON).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "orch-int.h"
#include "str.h"
#include "xml.h"

/* Parsing. */

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Characters of a query, field or parameter name. */
static int
is_name(int c)
{
	return is_word(c) || c == '.' || c == '~' || c == ':' || c == '!' ||
	    c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
	    c == '*' || c == '+' || c == '^' || c == '`';
}

static int
why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static int
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Decode a JSON Pointer ("/a/b~1c") into tokens.  p[0] is '/'.
 */
static int
parse_pointer(struct gw_arena *a, const char *p, size_t len,
    struct orch_ref *r, char *why, size_t whylen)
{
	size_t	n = 0, i, k;

	for (i = 0; i < len; i++)
		if (p[i] == '/')
			n++;
	if ((r->ptr = gw_arena_calloc(a, n, sizeof(char *))) == NULL)
		return why_set(why, whylen, "out of memory");
	i = 0;
	while (i < len) {
		size_t	 start = ++i, end;
		char	*tok;

		while (i < len && p[i] != '/')
			i++;
		end = i;
		if ((tok = gw_arena_alloc(a, end - start + 1)) == NULL)
			return why_set(why, whylen, "out of memory");
		k = 0;
		for (size_t j = start; j < end; j++) {
			if (p[j] != '~') {
				tok[k++] = p[j];
				continue;
			}
			if (j + 1 < end &&
			    (p[j + 1] == '0' || p[j + 1] == '1')) {
				tok[k++] = p[j + 1] == '0' ? '~' : '/';
				j++;
				continue;
			}
			return why_set(why, whylen, "bad escape '~' in the "
			    "JSON Pointer '%.*s' (~0 is '~', ~1 is '/')",
			    (int)len, p);
		}
		tok[k] = '\0';
		r->ptr[r->nptr++] = tok;
	}
	return 0;
}

/* The dotted source of a reference, without its pointer. */
static int
parse_source(struct gw_arena *a, const char *s, size_t len,
    struct orch_ref *r, int *ptr_ok, char *why, size_t whylen)
{
	const char	*dot;
	size_t		 wl;

	*ptr_ok = 0;
	if (len == 0)
		return why_set(why, whylen, "empty reference");
	dot = memchr(s, '.', len);
	wl = dot != NULL ? (size_t)(dot - s) : len;
#define IS(w, lit)	((w).len == sizeof(lit) - 1 && \
			    memcmp((w).p, (lit), sizeof(lit) - 1) == 0)
	{
		struct gw_str	head = gw_str_make(s, wl);
		struct gw_str	rest = dot != NULL ?
		    gw_str_make(dot + 1, len - wl - 1) : GW_STR_NULL;
		struct gw_str	w2 = rest, name = GW_STR_NULL;
		const char	*d2;

		if (rest.p != NULL && (d2 = memchr(rest.p, '.', rest.len)) !=
		    NULL) {
			w2 = gw_str_make(rest.p, (size_t)(d2 - rest.p));
			name = gw_str_make(d2 + 1, rest.len - w2.len - 1);
		}
		if (IS(head, "item") || IS(head, "index")) {
			if (dot != NULL)
				return why_set(why, whylen, "'%.*s' has no "
				    "members: use a JSON Pointer, as in "
				    "'item/name'", (int)wl, s);
			r->src = IS(head, "item") ? SRC_ITEM : SRC_INDEX;
			*ptr_ok = r->src == SRC_ITEM;
			return 0;
		}
		if (dot == NULL || rest.len == 0)
			return why_set(why, whylen, "'%.*s' needs a member, "
			    "as in '%.*s.body'", (int)len, s, (int)len, s);
		if (IS(head, "request")) {
			if (IS(w2, "method") || IS(w2, "path") ||
			    IS(w2, "id") || IS(w2, "body")) {
				if (name.p != NULL)
					goto bad_member;
				r->src = IS(w2, "method") ? SRC_REQ_METHOD :
				    IS(w2, "path") ? SRC_REQ_PATH :
				    IS(w2, "id") ? SRC_REQ_ID : SRC_REQ_BODY;
				*ptr_ok = r->src == SRC_REQ_BODY;
				return 0;
			}
			if (IS(w2, "query") || IS(w2, "headers") ||
			    IS(w2, "params")) {
				r->src = IS(w2, "query") ? SRC_REQ_QUERY :
				    IS(w2, "headers") ? SRC_REQ_HEADER :
				    SRC_REQ_PARAM;
				goto named;
			}
			goto bad_member;
		}
		for (size_t i = 0; i < wl; i++)
			if (!is_word((unsigned char)s[i]))
				return why_set(why, whylen, "bad step name "
				    "'%.*s'", (int)wl, s);
		if (wl > ORCH_MAX_NAME)
			return why_set(why, whylen, "step name '%.*s...' is "
			    "too long", 16, s);
		if ((r->stepname = gw_arena_strndup(a, s, wl)) == NULL)
			return why_set(why, whylen, "out of memory");
		if (IS(w2, "status") || IS(w2, "ok") || IS(w2, "error") ||
		    IS(w2, "body")) {
			if (name.p != NULL)
				goto bad_member;
			r->src = IS(w2, "status") ? SRC_STEP_STATUS :
			    IS(w2, "ok") ? SRC_STEP_OK :
			    IS(w2, "error") ? SRC_STEP_ERROR : SRC_STEP_BODY;
			*ptr_ok = r->src == SRC_STEP_BODY;
			return 0;
		}
		if (IS(w2, "headers")) {
			r->src = SRC_STEP_HEADER;
			goto named;
		}
 bad_member:
		return why_set(why, whylen, "unknown member '%.*s' of '%.*s' "
		    "(a step has status, ok, error, headers.NAME and body; "
		    "the request method, path, id, query.NAME, headers.NAME, "
		    "params.NAME and body)", (int)rest.len, rest.p, (int)wl,
		    s);
 named:
		if (name.p == NULL || name.len == 0)
			return why_set(why, whylen, "'%.*s' needs a name, as "
			    "in '%.*s.NAME'", (int)len, s, (int)len, s);
		for (size_t i = 0; i < name.len; i++)
			if (!is_name((unsigned char)name.p[i]))
				return why_set(why, whylen, "bad name '%.*s'",
				    (int)name.len, name.p);
		if ((r->name = gw_arena_strndup(a, name.p, name.len)) == NULL)
			return why_set(why, whylen, "out of memory");
		return 0;
	}
#undef IS
}

/* The default after "??": one JSON value. */
static int
parse_default(struct gw_arena *a, const char *p, size_t len,
    struct orch_ref *r, char *why, size_t whylen)
{
	const struct json_object	*v;
	struct gw_err			 err;

	if (orch_json_parse(a, p, len, "default", &v, &err) == -1)
		return why_set(why, whylen, "the default after '\?\?' is not "
		    "one JSON value: %s", err.msg);
	r->has_default = 1;
	r->deflt = (struct json_object *)(uintptr_t)v;
	return 0;
}

/*
 * STEP.xpath("expression"): s[i..w) is the step, s[w] the '.'; the
 * expression is a JSON string.  *endp gets the index after the ')'.
 */
static int
parse_xpath(struct gw_arena *a, const char *s, size_t len, size_t i, size_t w,
    struct orch_ref *r, size_t *endp, char *why, size_t whylen)
{
	const struct json_object	*v;
	struct gw_err			 err;
	size_t				 q = w + 7, k, elen;
	const char			*e;

	err.msg[0] = '\0';
	for (k = q + 1; k < len && s[k] != '"'; k++)
		if (s[k] == '\\')
			k++;
	if (k >= len || k + 1 >= len || s[k + 1] != ')')
		return why_set(why, whylen, "xpath(\"...\") without its end");
	if (orch_json_parse(a, s + q, k + 1 - q, "xpath", &v, &err) == -1 ||
	    (e = gw_jv_str(v, &elen)) == NULL)
		return why_set(why, whylen, "bad string in xpath(): %s",
		    err.msg);
	if (elen == 0 || strlen(e) != elen)
		return why_set(why, whylen, "an empty XPath expression, or "
		    "one with a NUL byte");
	if (w - i > ORCH_MAX_NAME)
		return why_set(why, whylen, "step name '%.*s...' is too long",
		    16, s + i);
	if ((r->stepname = gw_arena_strndup(a, s + i, w - i)) == NULL)
		return why_set(why, whylen, "out of memory");
	r->src = SRC_STEP_XPATH;
	r->name = (char *)(uintptr_t)e;
	*endp = k + 2;
	return 0;
}

/* One reference, the text between "${" and "}". */
static int
parse_ref(struct gw_arena *a, const char *s, size_t len, struct orch_ref **out,
    char *why, size_t whylen)
{
	struct orch_ref	*r;
	size_t		 i = 0, end, pstart;
	int		 ptr_ok;

	if ((r = gw_arena_calloc(a, 1, sizeof(*r))) == NULL ||
	    (r->text = gw_arena_strndup(a, s, len)) == NULL)
		return why_set(why, whylen, "out of memory");
	while (i < len && is_ws((unsigned char)s[i]))
		i++;
	/* STEP.xpath("expression") */
	for (end = i; end < len && is_word((unsigned char)s[end]); end++)
		;
	if (end > i && len - end > 7 && memcmp(s + end, ".xpath(\"", 8) == 0) {
		if (parse_xpath(a, s, len, i, end, r, &end, why, whylen) == -1)
			return -1;
		i = end;
		goto filters;
	}
	/* the path: up to a space, '|' or "??" */
	end = i;
	while (end < len && !is_ws((unsigned char)s[end]) && s[end] != '|' &&
	    !(s[end] == '?' && end + 1 < len && s[end + 1] == '?'))
		end++;
	pstart = i;
	while (pstart < end && s[pstart] != '/')
		pstart++;
	if (parse_source(a, s + i, pstart - i, r, &ptr_ok, why, whylen) == -1)
		return -1;
	if (pstart < end) {
		if (!ptr_ok)
			return why_set(why, whylen, "a JSON Pointer goes only "
			    "after a body or an item, not after '%.*s'",
			    (int)(pstart - i), s + i);
		if (parse_pointer(a, s + pstart, end - pstart, r, why,
		    whylen) == -1)
			return -1;
	}
	i = end;
 filters:
	for (;;) {
		while (i < len && is_ws((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		if (s[i] == '|') {
			size_t f;

			i++;
			while (i < len && is_ws((unsigned char)s[i]))
				i++;
			f = i;
			while (i < len && is_word((unsigned char)s[i]))
				i++;
			if (i - f == 3 && memcmp(s + f, "raw", 3) == 0) {
				r->raw = 1;
				continue;
			}
			if (i - f == 6 && memcmp(s + f, "number", 6) == 0) {
				r->number = 1;
				continue;
			}
			if (i - f == 3 && memcmp(s + f, "xml", 3) == 0) {
				r->xml = 1;
				continue;
			}
			return why_set(why, whylen, "unknown filter '%.*s' "
			    "(there are raw, number and xml)", (int)(i - f),
			    s + f);
		}
		if (s[i] == '?' && i + 1 < len && s[i + 1] == '?') {
			if (parse_default(a, s + i + 2, len - i - 2, r, why,
			    whylen) == -1)
				return -1;
			break;
		}
		return why_set(why, whylen, "unexpected '%c' in '${%.*s}'",
		    s[i], (int)len, s);
	}
	*out = r;
	return 0;
}

/* The end of a reference starting after "${" at s[i]: the index of '}'. */
static int
ref_end(const char *s, size_t len, size_t i, size_t *endp)
{
	int	in_default = 0, in_str = 0;
	size_t	depth = 0;

	for (; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			continue;
		}
		if (!in_default) {
			if (c == '}') {
				*endp = i;
				return 0;
			}
			if (c == '?' && i + 1 < len && s[i + 1] == '?') {
				in_default = 1;
				i++;
			}
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == ']' && depth > 0)
			depth--;
		else if (c == '}') {
			if (depth == 0) {
				*endp = i;
				return 0;
			}
			depth--;
		}
	}
	return -1;
}

static int
add_part(struct gw_arena *a, struct orch_tmpl *t, size_t *cap,
    const char *lit, size_t len, struct orch_ref *ref)
{
	if (ref == NULL && len == 0)
		return 0;
	if (ref == NULL && t->nparts > 0 &&
	    t->parts[t->nparts - 1].ref == NULL &&
	    t->parts[t->nparts - 1].lit + t->parts[t->nparts - 1].len == lit) {
		t->parts[t->nparts - 1].len += len;
		return 0;
	}
	if (t->nparts == *cap) {
		size_t			 ncap = *cap == 0 ? 4 : *cap * 2;
		struct orch_part	*np;

		if ((np = gw_arena_alloc(a, ncap * sizeof(*np))) == NULL)
			return -1;
		if (t->nparts > 0)
			memcpy(np, t->parts, t->nparts * sizeof(*np));
		t->parts = np;
		*cap = ncap;
	}
	t->parts[t->nparts].lit = lit;
	t->parts[t->nparts].len = len;
	t->parts[t->nparts].ref = ref;
	t->nparts++;
	return 0;
}

int
orch_tmpl_parse(struct gw_arena *a, const char *s, size_t len,
    struct orch_tmpl *t, char *why, size_t whylen)
{
	size_t	i = 0, start = 0, cap = 0, end;

	memset(t, 0, sizeof(*t));
	if (len > ORCH_MAX_TEMPLATE)
		return why_set(why, whylen, "a template of more than %d bytes",
		    ORCH_MAX_TEMPLATE);
	while (i < len) {
		struct orch_ref *r = NULL;

		if (s[i] != '$' || i + 1 == len) {
			i++;
			continue;
		}
		if (s[i + 1] == '$') {
			/* "$$": keep the first, drop the second */
			if (add_part(a, t, &cap, s + start, i + 1 - start,
			    NULL) == -1)
				return why_set(why, whylen, "out of memory");
			i += 2;
			start = i;
			continue;
		}
		if (s[i + 1] != '{') {
			i++;
			continue;
		}
		if (add_part(a, t, &cap, s + start, i - start, NULL) == -1)
			return why_set(why, whylen, "out of memory");
		if (ref_end(s, len, i + 2, &end) == -1)
			return why_set(why, whylen, "'${' without its '}'");
		if (parse_ref(a, s + i + 2, end - i - 2, &r, why, whylen) ==
		    -1)
			return -1;
		if (add_part(a, t, &cap, NULL, 0, r) == -1)
			return why_set(why, whylen, "out of memory");
		i = start = end + 1;
	}
	if (add_part(a, t, &cap, s + start, len - start, NULL) == -1)
		return why_set(why, whylen, "out of memory");
	return 0;
}

/* Values. */

int
orch_pointer_get(const struct json_object *root, const char *const *tok,
    size_t ntok, const struct json_object **out)
{
	const struct json_object *v = root;

	for (size_t i = 0; i < ntok; i++) {
		const char		*t = tok[i];
		struct json_object	*next;

		switch (gw_jv_type(v)) {
		case GW_JT_OBJECT:
			if (!gw_jv_get(v, t, &next))
				return 0;
			v = next;
			break;
		case GW_JT_ARRAY: {
			uint64_t idx;

			if ((t[0] == '0' && t[1] != '\0') ||
			    gw_str_to_u64(gw_str_cstr(t), SIZE_MAX, &idx) ==
			    -1 || idx >= gw_jv_len(v))
				return 0;
			v = gw_jv_at(v, (size_t)idx);
			break;
		}
		default:
			return 0;
		}
	}
	*out = v;
	return 1;
}

static void
jdoc_free(void *d)
{
	gw_jdoc_free(d);
}

int
orch_json_parse(struct gw_arena *a, const char *p, size_t len,
    const char *origin, const struct json_object **out, struct gw_err *err)
{
	struct gw_jdoc *d;

	if (gw_jdoc_parse(p, len, origin, 0, &d, err) == -1)
		return -1;
	if (gw_arena_defer(a, jdoc_free, d) == -1)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	*out = gw_jdoc_root(d);
	return 0;
}

int
orch_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;
	uint32_t		 cp;

	for (size_t i = 0; i < len; i += n)
		if ((n = gw_utf8_decode(p + i, len - i, &cp)) == 0)
			return 0;
	return 1;
}

int
orch_url_encode(struct gw_buf *out, const char *s, size_t len,
    struct gw_err *err)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_word(c) || c == '.' || c == '~') {
			if (gw_buf_putc(out, c, err) == -1)
				return -1;
			continue;
		}
		if (gw_buf_putc(out, '%', err) == -1 ||
		    gw_buf_putc(out, hex[c >> 4], err) == -1 ||
		    gw_buf_putc(out, hex[c & 15], err) == -1)
			return -1;
	}
	return 0;
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

/* Decode a query component (%XX, '+' for space) into the arena. */
static char *
query_decode(struct gw_arena *a, const char *p, size_t len, size_t *outlen)
{
	char	*d;
	size_t	 k = 0;

	if ((d = gw_arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '+')
			d[k++] = ' ';
		else if (p[i] == '%' && i + 2 < len &&
		    hexval((unsigned char)p[i + 1]) >= 0 &&
		    hexval((unsigned char)p[i + 2]) >= 0) {
			d[k++] = (char)(hexval((unsigned char)p[i + 1]) * 16 +
			    hexval((unsigned char)p[i + 2]));
			i += 2;
		} else
			d[k++] = p[i];
	}
	d[k] = '\0';
	*outlen = k;
	return d;
}

/* The first value of query parameter name, decoded: 1, 0 if none, -1. */
static int
query_get(struct gw_arena *a, struct gw_str q, const char *name,
    struct gw_str *out)
{
	size_t i = 0, nl = strlen(name);

	while (i < q.len) {
		size_t	 start = i, eq, nlen, vlen;
		char	*n, *v;

		while (i < q.len && q.p[i] != '&')
			i++;
		for (eq = start; eq < i && q.p[eq] != '='; eq++)
			;
		if ((n = query_decode(a, q.p + start, eq - start, &nlen)) ==
		    NULL)
			return -1;
		if (nlen == nl && memcmp(n, name, nl) == 0) {
			if (eq < i)
				v = query_decode(a, q.p + eq + 1, i - eq - 1,
				    &vlen);
			else
				v = query_decode(a, "", 0, &vlen);
			if (v == NULL)
				return -1;
			*out = gw_str_make(v, vlen);
			return 1;
		}
		i++;
	}
	return 0;
}

static const struct gw_http_header *
header_find(const struct gw_http_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (gw_str_caseeq_cstr(h[i].name, name))
			return &h[i];
	return NULL;
}

static void
pointer_text(const struct orch_ref *r, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nptr && o < size; i++) {
		int n = snprintf(buf + o, size - o, "/%s", r->ptr[i]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int
missing(const struct orch_ref *r, const char *step, struct orch_val *v,
    struct orch_fail *f, const char *fmt, ...)
    __attribute__((__format__(printf, 5, 6)));

static int
missing(const struct orch_ref *r, const char *step, struct orch_val *v,
    struct orch_fail *f, const char *fmt, ...)
{
	va_list	ap;
	char	msg[384];

	if (r->has_default) {
		v->kind = VAL_JSON;
		v->j = r->deflt;
		v->from_default = 1;
		return 0;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(f->msg, sizeof(f->msg), "${%s}: %s", r->text, msg);
	f->step = step;
	return -1;
}

/* The value at r's pointer in root (a JSON document). */
static int
pointer_eval(const struct orch_ref *r, const struct json_object *root,
    const char *what, const char *step, struct orch_val *v,
    struct orch_fail *f)
{
	const struct json_object	*j;
	char				 pt[256];

	if (!orch_pointer_get(root, r->ptr, r->nptr, &j)) {
		pointer_text(r, pt, sizeof(pt));
		return missing(r, step, v, f, "%s has no %s", what, pt);
	}
	v->kind = VAL_JSON;
	v->j = j;
	return 0;
}

/*
 * An XPath expression on an XML answer: its string value.  A node-set that
 * selects nothing finds nothing (and takes the default); other results
 * (strings, numbers, booleans) are found as they are.
 */
static int
xpath_eval(const struct orch_ref *r, const struct orch_scope *sc,
    const struct orch_result *res, const char *name, struct orch_val *v,
    struct orch_fail *f)
{
	struct gw_buf	 b;
	struct gw_err	 err;
	char		*cnt, *s;
	int		 rc = -1;

	if (res->xml == NULL)
		return missing(r, name, v, f, "the body of step '%s' is not "
		    "XML", name);
	gw_buf_init(&b, ORCH_MAX_RENDER);
	if ((cnt = gw_arena_printf(sc->arena, "count(%s)", r->name)) == NULL)
		goto oom;
	if (gw_xml_xpath(res->xml, cnt, sc->o->ns, &b, &err) == 0 &&
	    b.len == 1 && b.p[0] == '0') {
		gw_buf_release(&b);
		return missing(r, name, v, f, "nothing in the body of step "
		    "'%s' matches", name);
	}
	gw_buf_reset(&b);
	if (gw_xml_xpath(res->xml, r->name, sc->o->ns, &b, &err) == -1) {
		if (err.code == GW_E_NOMEM)
			goto oom;
		(void)snprintf(f->msg, sizeof(f->msg), "${%.100s}: %.300s",
		    r->text, err.msg);
		f->step = name;
		goto out;
	}
	if ((s = gw_arena_strndup(sc->arena, b.p == NULL ? "" : b.p,
	    b.len)) == NULL)
		goto oom;
	v->kind = VAL_STR;
	v->s = gw_str_make(s, b.len);
	rc = 0;
	goto out;
 oom:
	(void)snprintf(f->msg, sizeof(f->msg), "out of memory");
	f->step = NULL;
 out:
	gw_buf_release(&b);
	return rc;
}

static int
step_eval(const struct orch_ref *r, const struct orch_scope *sc,
    struct orch_val *v, struct orch_fail *f)
{
	const struct orch_result	*res = &sc->res[r->step];
	const char			*name = sc->o->steps[r->step].name;
	const struct gw_http_header	*h;
	char				 what[160];

	if (res->state == RES_PENDING)
		GW_BUG("a reference to a step that has not finished");
	if (res->state == RES_SKIPPED)
		return missing(r, name, v, f, "step '%s' was skipped (its "
		    "condition was false)", name);
	switch (r->src) {
	case SRC_STEP_OK:
		v->kind = VAL_BOOL;
		v->i = res->state == RES_OK;
		return 0;
	case SRC_STEP_ERROR:
		v->kind = VAL_JSON;
		v->j = NULL;
		if (res->error != NULL) {
			v->kind = VAL_STR;
			v->s = gw_str_cstr(res->error);
		}
		return 0;
	case SRC_STEP_STATUS:
		if (res->foreach) {
			v->kind = VAL_JSON;
			v->j = res->statuses;
			return 0;
		}
		if (!res->has_status)
			return missing(r, name, v, f, "step '%s' got no "
			    "answer: %s", name, res->error != NULL ?
			    res->error : "failed");
		v->kind = VAL_INT;
		v->i = res->status;
		return 0;
	case SRC_STEP_HEADER:
		if (!res->has_status)
			return missing(r, name, v, f, "step '%s' got no "
			    "answer: %s", name, res->error != NULL ?
			    res->error : "failed");
		if ((h = header_find(res->headers, res->nheaders, r->name)) ==
		    NULL)
			return missing(r, name, v, f, "step '%s' answered "
			    "without a '%s' field", name, r->name);
		v->kind = VAL_STR;
		v->s = h->value;
		return 0;
	case SRC_STEP_XPATH:
		return xpath_eval(r, sc, res, name, v, f);
	case SRC_STEP_BODY:
		if (!res->has_body)
			return missing(r, name, v, f, "step '%s' has no body: "
			    "%s", name, res->error != NULL ? res->error :
			    "it failed");
		if (r->nptr == 0) {
			if (res->is_json) {
				v->kind = VAL_JSON;
				v->j = res->json;
			} else {
				v->kind = VAL_STR;
				v->s = res->text;
			}
			return 0;
		}
		if (!res->is_json)
			return missing(r, name, v, f, "the body of step '%s' "
			    "is not JSON", name);
		(void)snprintf(what, sizeof(what), "the body of step '%s'",
		    name);
		return pointer_eval(r, res->json, what, name, v, f);
	default:
		GW_BUG("not a step reference");
	}
}

static int
ref_eval(const struct orch_ref *r, const struct orch_scope *sc,
    struct orch_val *v, struct orch_fail *f)
{
	const struct orch_input		*in = sc->in;
	const struct gw_http_header	*h;
	int				 rc;

	memset(v, 0, sizeof(*v));
	switch (r->src) {
	case SRC_REQ_METHOD:
		v->kind = VAL_STR;
		v->s = in->method;
		return 0;
	case SRC_REQ_PATH:
		v->kind = VAL_STR;
		v->s = in->path;
		return 0;
	case SRC_REQ_ID:
		if (in->id == NULL)
			return missing(r, NULL, v, f, "the request has no id");
		v->kind = VAL_STR;
		v->s = gw_str_cstr(in->id);
		return 0;
	case SRC_REQ_QUERY:
		if ((rc = query_get(sc->arena, in->query, r->name, &v->s)) ==
		    -1) {
			(void)snprintf(f->msg, sizeof(f->msg), "out of memory");
			f->step = NULL;
			return -1;
		}
		if (rc == 0)
			return missing(r, NULL, v, f, "the request has no "
			    "query parameter '%s'", r->name);
		v->kind = VAL_STR;
		return 0;
	case SRC_REQ_HEADER:
		if ((h = header_find(in->headers, in->nheaders, r->name)) ==
		    NULL)
			return missing(r, NULL, v, f, "the request has no "
			    "'%s' field", r->name);
		v->kind = VAL_STR;
		v->s = h->value;
		return 0;
	case SRC_REQ_PARAM:
		for (size_t i = 0; i < in->nparams; i++)
			if (gw_str_eq(in->params[i].name,
			    gw_str_cstr(r->name))) {
				v->kind = VAL_STR;
				v->s = in->params[i].value;
				return 0;
			}
		return missing(r, NULL, v, f, "the request has no parameter "
		    "'%s'", r->name);
	case SRC_REQ_BODY:
		if (in->body.len == 0)
			return missing(r, NULL, v, f, "the request has no "
			    "body");
		if (r->nptr == 0) {
			if (in->body_is_json) {
				v->kind = VAL_JSON;
				v->j = in->body_json;
			} else {
				v->kind = VAL_STR;
				v->s = in->body;
			}
			return 0;
		}
		if (!in->body_is_json)
			return missing(r, NULL, v, f, "the request body is not "
			    "JSON");
		return pointer_eval(r, in->body_json, "the request body", NULL,
		    v, f);
	case SRC_ITEM:
		if (!sc->has_item)
			GW_BUG("item outside of a foreach");
		return pointer_eval(r, sc->item, "the item", NULL, v, f);
	case SRC_INDEX:
		if (!sc->has_item)
			GW_BUG("index outside of a foreach");
		v->kind = VAL_INT;
		v->i = (int64_t)sc->index;
		return 0;
	default:
		return step_eval(r, sc, v, f);
	}
}

/* "| number": text that is a JSON number becomes one. */
static int
to_number(const struct orch_ref *r, const struct orch_scope *sc,
    struct orch_val *v, struct orch_fail *f)
{
	const struct json_object	*j;
	struct gw_err			 err;
	struct gw_str			 t;
	size_t				 len;
	const char			*p;

	if (v->kind == VAL_INT)
		return 0;
	if (v->kind == VAL_JSON && (gw_jv_type(v->j) == GW_JT_INT ||
	    gw_jv_type(v->j) == GW_JT_DOUBLE))
		return 0;
	if (v->kind == VAL_STR)
		t = v->s;
	else if (v->kind == VAL_JSON && (p = gw_jv_str(v->j, &len)) != NULL)
		t = gw_str_make(p, len);
	else
		goto bad;
	t = gw_str_trim(t);
	if (t.len == 0 || t.len > 64 || (t.p[0] != '-' && (t.p[0] < '0' ||
	    t.p[0] > '9')))
		goto bad;
	if (orch_json_parse(sc->arena, t.p, t.len, "number", &j, &err) == -1 ||
	    (gw_jv_type(j) != GW_JT_INT && gw_jv_type(j) != GW_JT_DOUBLE))
		goto bad;
	v->kind = VAL_JSON;
	v->j = j;
	return 0;
 bad:
	memset(v, 0, sizeof(*v));
	return missing(r, r->stepname, v, f, "not a number");
}

int
orch_ref_eval(const struct orch_ref *r, const struct orch_scope *sc,
    struct orch_val *v, struct orch_fail *f)
{
	if (ref_eval(r, sc, v, f) == -1)
		return -1;
	if (r->number && !v->from_default)
		return to_number(r, sc, v, f);
	return 0;
}

int
orch_val_json(const struct orch_val *v, struct gw_buf *out, struct gw_err *err)
{
	switch (v->kind) {
	case VAL_JSON:
		return gw_jv_serialize(v->j, out, err);
	case VAL_STR:
		if (gw_buf_putc(out, '"', err) == -1 ||
		    gw_json_escape_append(out, v->s.p, v->s.len, err) == -1)
			return -1;
		return gw_buf_putc(out, '"', err);
	case VAL_INT:
		return gw_buf_printf(out, err, "%lld", (long long)v->i);
	case VAL_BOOL:
		return gw_buf_puts(out, v->i ? "true" : "false", err);
	}
	return 0;
}

int
orch_val_text(const struct orch_val *v, struct gw_buf *out, struct gw_err *err)
{
	size_t		 len;
	const char	*s;

	if (v->kind == VAL_STR)
		return gw_buf_append_str(out, v->s, err);
	if (v->kind == VAL_JSON && (s = gw_jv_str(v->j, &len)) != NULL)
		return gw_buf_append(out, s, len, err);
	return orch_val_json(v, out, err);
}

static int
buf_fail(struct orch_fail *f, const struct gw_err *err)
{
	(void)snprintf(f->msg, sizeof(f->msg), "%s", err->code == GW_E_LIMIT ?
	    "the rendered text is too large" : err->msg);
	f->step = NULL;
	return -1;
}

int
orch_tmpl_render(const struct orch_tmpl *t, const struct orch_scope *sc,
    enum orch_render_mode mode, struct gw_buf *out, struct orch_fail *f)
{
	struct gw_err	err;
	struct orch_val	v;
	struct gw_buf	tmp;
	int		rc = -1;

	gw_buf_init(&tmp, ORCH_MAX_RENDER);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct orch_part *p = &t->parts[i];

		if (p->ref == NULL) {
			if (gw_buf_append(out, p->lit, p->len, &err) == -1) {
				buf_fail(f, &err);
				goto out;
			}
			continue;
		}
		if (orch_ref_eval(p->ref, sc, &v, f) == -1)
			goto out;
		if (p->ref->xml) {
			gw_buf_reset(&tmp);
			if (orch_val_text(&v, &tmp, &err) == -1) {
				buf_fail(f, &err);
				goto out;
			}
			if (!gw_xml_valid_chars(tmp.p == NULL ? "" : tmp.p,
			    tmp.len)) {
				(void)snprintf(f->msg, sizeof(f->msg),
				    "${%.100s}: a character XML cannot carry",
				    p->ref->text);
				f->step = NULL;
				goto out;
			}
			if (gw_xml_escape_append(out, tmp.p == NULL ? "" :
			    tmp.p, tmp.len, 1, &err) == -1) {
				buf_fail(f, &err);
				goto out;
			}
			continue;
		}
		if (mode == RENDER_PLAIN || p->ref->raw) {
			if (orch_val_text(&v, out, &err) == -1) {
				buf_fail(f, &err);
				goto out;
			}
			continue;
		}
		gw_buf_reset(&tmp);
		if (orch_val_text(&v, &tmp, &err) == -1 ||
		    orch_url_encode(out, tmp.p, tmp.len, &err) == -1) {
			buf_fail(f, &err);
			goto out;
		}
	}
	rc = 0;
 out:
	gw_buf_release(&tmp);
	return rc;
}

int
orch_jt_render(const struct orch_jt *jt, const struct orch_scope *sc,
    struct gw_buf *out, struct orch_fail *f)
{
	struct gw_err	err;
	struct orch_val	v;
	struct gw_buf	tmp;
	int		rc;

	switch (jt->kind) {
	case JT_LIT:
		if (gw_jv_serialize(jt->lit, out, &err) == -1)
			return buf_fail(f, &err);
		return 0;
	case JT_REF:
		if (!jt->t.parts[0].ref->xml) {
			if (orch_ref_eval(jt->t.parts[0].ref, sc, &v, f) == -1)
				return -1;
			if (orch_val_json(&v, out, &err) == -1)
				return buf_fail(f, &err);
			return 0;
		}
		/* FALLTHROUGH */
	case JT_STR:
		gw_buf_init(&tmp, ORCH_MAX_RENDER);
		rc = orch_tmpl_render(&jt->t, sc, RENDER_PLAIN, &tmp, f);
		if (rc == 0 && (gw_buf_putc(out, '"', &err) == -1 ||
		    gw_json_escape_append(out, tmp.p, tmp.len, &err) == -1 ||
		    gw_buf_putc(out, '"', &err) == -1))
			rc = buf_fail(f, &err);
		gw_buf_release(&tmp);
		return rc;
	case JT_OBJ:
	case JT_ARR:
		if (gw_buf_putc(out, jt->kind == JT_OBJ ? '{' : '[', &err) ==
		    -1)
			return buf_fail(f, &err);
		for (size_t i = 0; i < jt->n; i++) {
			if (i > 0 && gw_buf_putc(out, ',', &err) == -1)
				return buf_fail(f, &err);
			if (jt->kind == JT_OBJ && (gw_buf_putc(out, '"',
			    &err) == -1 || gw_json_escape_append(out,
			    jt->keys[i], strlen(jt->keys[i]), &err) == -1 ||
			    gw_buf_puts(out, "\":", &err) == -1))
				return buf_fail(f, &err);
			if (orch_jt_render(&jt->kids[i], sc, out, f) == -1)
				return -1;
		}
		if (gw_buf_putc(out, jt->kind == JT_OBJ ? '}' : ']', &err) ==
		    -1)
			return buf_fail(f, &err);
		return 0;
	}
	return 0;
}

int
orch_jt_value(const struct orch_jt *jt, const struct orch_scope *sc,
    struct orch_val *v, struct orch_fail *f)
{
	struct gw_buf	 b;
	struct gw_err	 err;
	char		*s;
	int		 rc = -1;

	memset(v, 0, sizeof(*v));
	switch (jt->kind) {
	case JT_LIT:
		v->kind = VAL_JSON;
		v->j = jt->lit;
		return 0;
	case JT_REF:
		return orch_ref_eval(jt->t.parts[0].ref, sc, v, f);
	default:
		break;
	}
	gw_buf_init(&b, ORCH_MAX_RENDER);
	if (jt->kind == JT_STR) {
		if (orch_tmpl_render(&jt->t, sc, RENDER_PLAIN, &b, f) == -1)
			goto out;
		if ((s = gw_arena_strndup(sc->arena, b.p == NULL ? "" : b.p,
		    b.len)) == NULL) {
			(void)snprintf(f->msg, sizeof(f->msg), "out of memory");
			goto out;
		}
		v->kind = VAL_STR;
		v->s = gw_str_make(s, b.len);
		rc = 0;
		goto out;
	}
	if (orch_jt_render(jt, sc, &b, f) == -1)
		goto out;
	if (orch_json_parse(sc->arena, b.p, b.len, "template", &v->j,
	    &err) == -1) {
		buf_fail(f, &err);
		goto out;
	}
	v->kind = VAL_JSON;
	rc = 0;
 out:
	gw_buf_release(&b);
	return rc;
}

/* Conditions. */

static int
truthy(const struct orch_val *v)
{
	switch (v->kind) {
	case VAL_STR:
		return v->s.len > 0;
	case VAL_INT:
	case VAL_BOOL:
		return v->i != 0;
	case VAL_JSON:
		switch (gw_jv_type(v->j)) {
		case GW_JT_NULL:
			return 0;
		case GW_JT_BOOL:
			return gw_jv_bool(v->j);
		case GW_JT_INT:
			return gw_jv_int(v->j) != 0;
		case GW_JT_DOUBLE:
			return gw_jv_double(v->j) != 0;
		case GW_JT_STRING: {
			size_t len;

			(void)gw_jv_str(v->j, &len);
			return len > 0;
		}
		case GW_JT_ARRAY:
		case GW_JT_OBJECT:
			return gw_jv_len(v->j) > 0;
		}
	}
	return 0;
}

static int
is_number(const struct orch_val *v, double *d)
{
	if (v->kind == VAL_INT) {
		*d = (double)v->i;
		return 1;
	}
	if (v->kind == VAL_JSON && (gw_jv_type(v->j) == GW_JT_INT ||
	    gw_jv_type(v->j) == GW_JT_DOUBLE)) {
		*d = gw_jv_double(v->j);
		return 1;
	}
	return 0;
}

static int
is_string(const struct orch_val *v, struct gw_str *s)
{
	size_t		 len;
	const char	*p;

	if (v->kind == VAL_STR) {
		*s = v->s;
		return 1;
	}
	if (v->kind == VAL_JSON && (p = gw_jv_str(v->j, &len)) != NULL) {
		*s = gw_str_make(p, len);
		return 1;
	}
	return 0;
}

/* 1 if a and b are equal JSON values, 0 if not, -1 on out of memory. */
static int
val_equal(const struct orch_val *a, const struct orch_val *b)
{
	double		da, db;
	struct gw_str	sa, sb;
	struct gw_buf	ba, bb;
	int		eq = -1;

	if (is_number(a, &da) && is_number(b, &db))
		return da == db;
	if (is_string(a, &sa) && is_string(b, &sb))
		return gw_str_eq(sa, sb);
	gw_buf_init(&ba, ORCH_MAX_RENDER);
	gw_buf_init(&bb, ORCH_MAX_RENDER);
	if (orch_val_json(a, &ba, NULL) == 0 &&
	    orch_val_json(b, &bb, NULL) == 0)
		eq = gw_str_eq(gw_buf_str(&ba), gw_buf_str(&bb));
	gw_buf_release(&ba);
	gw_buf_release(&bb);
	return eq;
}

/* A value for a condition: a missing one is null. */
static void
cond_value(const struct orch_jt *jt, const struct orch_scope *sc,
    struct orch_val *v)
{
	struct orch_fail f;

	if (orch_jt_value(jt, sc, v, &f) == -1) {
		v->kind = VAL_JSON;
		v->j = NULL;
	}
}

int
orch_cond_eval(const struct orch_cond *c, const struct orch_scope *sc,
    int *out, struct orch_fail *f)
{
	struct orch_val	a, b;
	int		r, eq;

	switch (c->kind) {
	case COND_CONST:
		*out = c->value;
		return 0;
	case COND_TRUTH:
		cond_value(&c->a, sc, &a);
		*out = truthy(&a);
		return 0;
	case COND_EQ:
	case COND_NE:
		cond_value(&c->a, sc, &a);
		cond_value(&c->b, sc, &b);
		if ((eq = val_equal(&a, &b)) == -1) {
			(void)snprintf(f->msg, sizeof(f->msg),
			    "cannot compare: out of memory");
			f->step = NULL;
			return -1;
		}
		*out = c->kind == COND_EQ ? eq : !eq;
		return 0;
	case COND_NOT:
		if (orch_cond_eval(&c->kids[0], sc, &r, f) == -1)
			return -1;
		*out = !r;
		return 0;
	case COND_AND:
	case COND_OR:
		for (size_t i = 0; i < c->n; i++) {
			if (orch_cond_eval(&c->kids[i], sc, &r, f) == -1)
				return -1;
			if (c->kind == COND_AND ? !r : r) {
				*out = r;
				return 0;
			}
		}
		*out = c->kind == COND_AND;
		return 0;
	}
	return 0;
}
