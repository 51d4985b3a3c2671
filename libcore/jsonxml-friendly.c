/*
 * jsonxml-friendly.c: the friendly JSON <-> XML convention (Apigee's
 * options, a Badgerfish preset).
 *
 * JSON -> XML reads events and keeps one frame per open object or array;
 * an element is written into its parent's buffer when its object ends,
 * because a member that makes an attribute may come after members that
 * make children.  Output is compact; with GW_JX_INDENT (or when a name has
 * a namespace prefix) it is parsed again, which indents it (and proves
 * every prefix declared).
 *
 * XML -> JSON builds a compact tree from the streaming reader (a node is
 * a few integers; names are interned; text lives in one buffer), then
 * walks it: children with the same key are grouped in order of first
 * appearance, and a group is an array when it has more than one member,
 * when its path is listed, or when the schema lets it repeat.
 */
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
#include "jsonxml-int.h"
#include "jsonxml.h"
#include "xml.h"

/*
 * Options.
 */

static int
set_str(char **dst, const char *v, struct gw_err *err)
{
	char *c = NULL;

	if (v != NULL && (c = strdup(v)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

int
gw_jx_friendly_init(struct gw_jx_friendly *f, enum gw_jx_preset p,
    struct gw_err *err)
{
	memset(f, 0, sizeof(*f));
	if (set_str(&f->object_root, "Root", err) == -1 ||
	    set_str(&f->array_root, "Array", err) == -1 ||
	    set_str(&f->array_item, "Item", err) == -1 ||
	    set_str(&f->invalid_char, "_", err) == -1 ||
	    set_str(&f->attr_prefix, "@", err) == -1)
		goto fail;
	if (p == GW_JX_PRESET_BADGERFISH) {
		if (set_str(&f->text_name, "$", err) == -1 ||
		    set_str(&f->ns_block, "@xmlns", err) == -1 ||
		    set_str(&f->ns_default, "$", err) == -1 ||
		    set_str(&f->ns_separator, ":", err) == -1)
			goto fail;
		f->text_always = 1;
	} else if (set_str(&f->text_name, "#text", err) == -1 ||
	    set_str(&f->ns_default, "$default", err) == -1)
		goto fail;
	return 0;
 fail:
	gw_jx_friendly_release(f);
	return -1;
}

void
gw_jx_friendly_release(struct gw_jx_friendly *f)
{
	free(f->attr_prefix);
	free(f->attr_block);
	free(f->text_name);
	free(f->ns_block);
	free(f->ns_default);
	free(f->ns_separator);
	free(f->root);
	free(f->ns);
	free(f->object_root);
	free(f->array_root);
	free(f->array_item);
	free(f->null_value);
	free(f->invalid_char);
	gw_jcheck_strs_free(f->array_paths);
	gw_jx_schema_free(f->schema);
	memset(f, 0, sizeof(*f));
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

/* A string option: "" turns it off (NULL). */
static int
opt_str(struct gw_jcheck *ck, const struct json_object *v, const char *key,
    char **dst)
{
	char	*s = NULL;
	int	 rc;

	if ((rc = gw_jcheck_str(ck, v, key, &s)) != 1)
		return rc;
	free(*dst);
	*dst = s;
	if (s[0] == '\0') {
		free(s);
		*dst = NULL;
	}
	return 1;
}

/* An element name option: must be an XML name. */
static int
opt_name(struct gw_jcheck *ck, const struct json_object *v, const char *key,
    char **dst)
{
	struct json_object	*o;
	int			 rc;

	if ((rc = opt_str(ck, v, key, dst)) != 1)
		return rc;
	if (*dst != NULL && !gw_xml_valid_name(*dst, strlen(*dst), 1)) {
		(void)gw_jv_get(v, key, &o);
		key_error(ck, v, key, o, "'%s' is not an XML name", *dst);
		return -1;
	}
	return 1;
}

int
gw_jx_friendly_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct gw_jx_friendly *f)
{
	static const char *const keys[] = {
		"preset", "attribute_prefix", "attribute_block",
		"text_node_name", "text_always", "namespace_block",
		"default_namespace_name", "namespace_separator", "root",
		"namespace", "object_root", "array_root", "array_item",
		"null_value", "invalid_char_replacement", "nil",
		"strip_levels", "recognize_number", "recognize_boolean",
		"recognize_null", "array_paths", "schema", "duplicates",
		"indent", NULL
	};
	static const char *const presets[] = { "apigee", "badgerfish", NULL };
	static const char *const dups[] = { "reject", "first", "all", NULL };
	struct gw_err	 err;
	struct json_object *o;
	int		 preset = 0, rc = 0, d, b;
	char		*schema = NULL;
	size_t		 n;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if (gw_jcheck_enum(ck, v, "preset", presets, &preset) == -1)
		rc = -1;
	gw_jx_friendly_release(f);
	if (gw_jx_friendly_init(f, preset == 1 ? GW_JX_PRESET_BADGERFISH :
	    GW_JX_PRESET_APIGEE, &err) == -1) {
		gw_jcheck_error(ck, parent, key, v, "%s", err.msg);
		return -1;
	}
	if (opt_str(ck, v, "attribute_prefix", &f->attr_prefix) == -1 ||
	    opt_str(ck, v, "attribute_block", &f->attr_block) == -1 ||
	    opt_str(ck, v, "text_node_name", &f->text_name) == -1 ||
	    opt_str(ck, v, "namespace_block", &f->ns_block) == -1 ||
	    opt_str(ck, v, "default_namespace_name", &f->ns_default) == -1 ||
	    opt_str(ck, v, "namespace_separator", &f->ns_separator) == -1 ||
	    opt_name(ck, v, "root", &f->root) == -1 ||
	    opt_str(ck, v, "namespace", &f->ns) == -1 ||
	    opt_name(ck, v, "object_root", &f->object_root) == -1 ||
	    opt_name(ck, v, "array_root", &f->array_root) == -1 ||
	    opt_name(ck, v, "array_item", &f->array_item) == -1 ||
	    opt_str(ck, v, "null_value", &f->null_value) == -1 ||
	    opt_str(ck, v, "invalid_char_replacement", &f->invalid_char) == -1)
		rc = -1;
	if (f->invalid_char != NULL &&
	    !gw_xml_valid_name(f->invalid_char, strlen(f->invalid_char), 0)) {
		(void)gw_jv_get(v, "invalid_char_replacement", &o);
		key_error(ck, v, "invalid_char_replacement", o, "'%s' cannot "
		    "start an XML name", f->invalid_char);
		rc = -1;
	}
	if (f->text_name == NULL && (gw_jv_get(v, "text_node_name", NULL))) {
		(void)gw_jv_get(v, "text_node_name", &o);
		key_error(ck, v, "text_node_name", o, "text needs a name");
		rc = -1;
	}
	if (gw_jcheck_bool(ck, v, "text_always", &f->text_always) == -1 ||
	    gw_jcheck_bool(ck, v, "nil", &f->nil) == -1 ||
	    gw_jcheck_u32(ck, v, "strip_levels", 0, 64, &f->strip_levels) ==
	    -1 ||
	    gw_jcheck_bool(ck, v, "recognize_number", &f->recognize_number) ==
	    -1 ||
	    gw_jcheck_bool(ck, v, "recognize_boolean",
	    &f->recognize_boolean) == -1 ||
	    gw_jcheck_bool(ck, v, "recognize_null", &f->recognize_null) == -1 ||
	    gw_jcheck_strs(ck, v, "array_paths", &f->array_paths, &n) == -1)
		rc = -1;
	if (gw_jcheck_enum(ck, v, "duplicates", dups, &d) == 1)
		f->o.dup = d == 2 ? GW_JX_DUP_ALL : d == 1 ? GW_JX_DUP_FIRST :
		    GW_JX_DUP_REJECT;
	else if (gw_jv_get(v, "duplicates", NULL))
		rc = -1;
	if ((b = 0, gw_jcheck_bool(ck, v, "indent", &b)) == -1)
		rc = -1;
	else if (b)
		f->o.flags |= GW_JX_INDENT;
	if (gw_jcheck_str(ck, v, "schema", &schema) == 1) {
		char *path = gw_jcheck_resolve(ck, schema);

		(void)gw_jv_get(v, "schema", &o);
		if (path == NULL) {
			key_error(ck, v, "schema", o, "out of memory");
			rc = -1;
		} else if (gw_jx_schema_load(path, &f->schema, &err) == -1) {
			key_error(ck, v, "schema", o, "%s", err.msg);
			rc = -1;
		}
		free(path);
		free(schema);
	} else if (gw_jv_get(v, "schema", NULL))
		rc = -1;
	return rc;
}

/*
 * Names.
 */

/* Decode one UTF-8 character of a valid string: its length. */
static size_t
u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* s[0..len) as an NCName: invalid characters replaced, or -1. */
static int
ncname(const char *s, size_t len, const char *rep, struct gw_buf *out,
    struct gw_err *err)
{
	size_t	i = 0, n, start = out->len;

	if (len == 0) {
		if (rep == NULL)
			return gw_err_set(err, GW_E_PROTO, "an empty key is not "
			    "an XML name");
		return gw_buf_puts(out, rep, err);
	}
	while (i < len) {
		n = u8len((unsigned char)s[i]);
		if (n > len - i)
			n = len - i;
		/* a character that may continue a name: is "a" + it a name? */
		{
			char	probe[8];
			int	ok;

			probe[0] = 'a';
			memcpy(probe + 1, s + i, n);
			ok = s[i] != ':' && gw_xml_valid_name(probe, n + 1, 0);
			if (ok && out->len == start &&
			    !gw_xml_valid_name(s + i, n, 0)) {
				/* cannot start a name: put rep before it */
				if (rep == NULL)
					return gw_err_set(err, GW_E_PROTO, "key "
					    "'%.*s' is not an XML name",
					    (int)GW_MIN(len, 64), s);
				if (gw_buf_puts(out, rep, err) == -1)
					return -1;
			}
			if (ok) {
				if (gw_buf_append(out, s + i, n, err) == -1)
					return -1;
			} else {
				if (rep == NULL)
					return gw_err_set(err, GW_E_PROTO, "key "
					    "'%.*s' is not an XML name",
					    (int)GW_MIN(len, 64), s);
				if (gw_buf_puts(out, rep, err) == -1)
					return -1;
			}
		}
		i += n;
	}
	return 0;
}

/*
 * A JSON key as an element or attribute name: "p<sep>local" keeps its
 * prefix when the options have a separator.  *prefixed says so.
 */
static int
xml_name(const struct gw_jx_friendly *f, const char *k, size_t len,
    struct gw_buf *out, int *prefixed, struct gw_err *err)
{
	const char	*sep = f->ns_separator;
	const char	*at = NULL;

	gw_buf_reset(out);
	if (sep != NULL && sep[0] != '\0' && len > 0)
		at = memmem(k, len, sep, strlen(sep));
	if (at != NULL && at > k && (size_t)(at - k) + strlen(sep) < len) {
		size_t pl = (size_t)(at - k), sl = strlen(sep);

		if (ncname(k, pl, f->invalid_char, out, err) == -1 ||
		    gw_buf_putc(out, ':', err) == -1 ||
		    ncname(at + sl, len - pl - sl, f->invalid_char, out,
		    err) == -1)
			return -1;
		*prefixed = 1;
	} else if (ncname(k, len, f->invalid_char, out, err) == -1)
		return -1;
	return gw_buf_cstr(out, err) == NULL ? -1 : 0;
}

/*
 * JSON -> XML.
 */

enum fkind {
	K_ELEM,		/* an object: one element */
	K_DOC,		/* the top object: unwrapped if it holds one element */
	K_ARRAY,	/* items, each an element named item */
	K_NSBLOCK,	/* members are namespace declarations */
	K_ATTRBLOCK	/* members are attributes */
};

enum role {
	R_CHILD,
	R_ATTR,
	R_TEXT,
	R_NSBLOCK,
	R_ATTRBLOCK
};

struct fframe {
	enum fkind		 kind;
	struct gw_buf		 name;		/* element; array: item name */
	struct gw_buf		 wrap;		/* array: wrapping element */
	struct gw_buf		 head;		/* namespaces and attributes */
	struct gw_buf		 text;
	struct gw_buf		 body;
	struct gw_jxi_keys	 keys;		/* members */
	struct gw_jxi_keys	 attrs;		/* attribute names */
	size_t			 nelems;	/* elements written in body */
	int			 closes_parent;	/* array in a made-up root */
	int			 root;		/* gets the ns option */
	enum role		 role;
	struct gw_buf		 member;	/* pending member's name */
};

struct fj {
	const struct gw_jx_friendly	*f;
	struct fframe			*fr;
	size_t				 n, cap;
	struct gw_buf			*out;
	struct gw_buf			 tmp;
	size_t				 skip;
	int				 prefixed;
	int				 done;
};

static void
frame_release(struct fframe *fr)
{
	gw_buf_release(&fr->name);
	gw_buf_release(&fr->wrap);
	gw_buf_release(&fr->head);
	gw_buf_release(&fr->text);
	gw_buf_release(&fr->body);
	gw_buf_release(&fr->member);
	gw_jxi_keys_release(&fr->keys);
	gw_jxi_keys_release(&fr->attrs);
}

static struct fframe *
fj_push(struct fj *c, enum fkind kind, const char *name, struct gw_err *err)
{
	struct fframe *fr;

	if (c->n == c->cap) {
		size_t n = c->cap == 0 ? 8 : c->cap * 2;

		if ((fr = reallocarray(c->fr, n, sizeof(*fr))) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			return NULL;
		}
		memset(fr + c->cap, 0, (n - c->cap) * sizeof(*fr));
		for (size_t i = c->cap; i < n; i++) {
			gw_buf_init(&fr[i].name, 0);
			gw_buf_init(&fr[i].wrap, 0);
			gw_buf_init(&fr[i].head, 0);
			gw_buf_init(&fr[i].text, 0);
			gw_buf_init(&fr[i].body, 0);
			gw_buf_init(&fr[i].member, 0);
			gw_jxi_keys_init(&fr[i].keys);
			gw_jxi_keys_init(&fr[i].attrs);
		}
		c->fr = fr;
		c->cap = n;
	}
	fr = &c->fr[c->n++];
	fr->kind = kind;
	gw_buf_reset(&fr->name);
	gw_buf_reset(&fr->wrap);
	gw_buf_reset(&fr->head);
	gw_buf_reset(&fr->text);
	gw_buf_reset(&fr->body);
	gw_buf_reset(&fr->member);
	gw_jxi_keys_reset(&fr->keys);
	gw_jxi_keys_reset(&fr->attrs);
	fr->nelems = 0;
	fr->closes_parent = 0;
	fr->root = 0;
	fr->role = R_CHILD;
	if (name != NULL && (gw_buf_puts(&fr->name, name, err) == -1 ||
	    gw_buf_cstr(&fr->name, err) == NULL)) {
		c->n--;
		return NULL;
	}
	return fr;
}

/* Where finished elements of the frame at index i go. */
static struct gw_buf *
dest_of(struct fj *c, size_t i, size_t **count)
{
	if (i == 0) {
		*count = NULL;
		return c->out;
	}
	*count = &c->fr[i - 1].nelems;
	return &c->fr[i - 1].body;
}

/* "<name a b>text body</name>" (or "<name a b/>") into dest. */
static int
put_elem(struct gw_buf *dest, const char *name, const struct gw_buf *a,
    const struct gw_buf *b, const struct gw_buf *text,
    const struct gw_buf *body, struct gw_err *err)
{
	if (gw_buf_putc(dest, '<', err) == -1 ||
	    gw_buf_puts(dest, name, err) == -1 ||
	    (a != NULL && gw_buf_append_str(dest, gw_buf_str(a), err) == -1) ||
	    (b != NULL && gw_buf_append_str(dest, gw_buf_str(b), err) == -1))
		return -1;
	if ((text == NULL || text->len == 0) && (body == NULL ||
	    body->len == 0))
		return gw_buf_puts(dest, "/>", err);
	if (gw_buf_putc(dest, '>', err) == -1 ||
	    (text != NULL && gw_buf_append_str(dest, gw_buf_str(text),
	    err) == -1) ||
	    (body != NULL && gw_buf_append_str(dest, gw_buf_str(body),
	    err) == -1))
		return -1;
	return gw_buf_printf(dest, err, "</%s>", name);
}

/* The ns option as a declaration, for the root element. */
static int
ns_attr(const struct gw_jx_friendly *f, struct gw_buf *b, struct gw_err *err)
{
	if (f->ns == NULL)
		return 0;
	if (gw_buf_puts(b, " xmlns=\"", err) == -1 ||
	    gw_xml_escape_append(b, f->ns, strlen(f->ns), 1, err) == -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

/* The text of a scalar event (0 and an empty slice for null). */
static int
scalar_text(const struct gw_json_event *ev, struct gw_str *s)
{
	switch (ev->type) {
	case GW_JSON_STRING:
	case GW_JSON_NUMBER:
		*s = ev->text;
		return 1;
	case GW_JSON_TRUE:
		*s = GW_STR("true");
		return 1;
	case GW_JSON_FALSE:
		*s = GW_STR("false");
		return 1;
	default:
		*s = GW_STR_NULL;
		return 0;
	}
}

static int
check_chars(struct gw_str s, struct gw_err *err)
{
	if (!gw_xml_valid_chars(s.p != NULL ? s.p : "", s.len))
		return gw_err_set(err, GW_E_PROTO, "string holds a character "
		    "XML cannot carry");
	return 0;
}

/* A scalar as an element: "<name>text</name>" into dest. */
static int
put_scalar_elem(struct fj *c, struct gw_buf *dest, size_t *count,
    const char *name, const struct gw_json_event *ev, int root,
    struct gw_err *err)
{
	const struct gw_jx_friendly	*f = c->f;
	struct gw_str			 s;
	struct gw_buf			 a, body;
	int				 rc = -1;

	gw_buf_init(&a, 0);
	gw_buf_init(&body, 0);
	if (root && ns_attr(f, &a, err) == -1)
		goto out;
	if (scalar_text(ev, &s)) {
		if (check_chars(s, err) == -1 ||
		    gw_xml_escape_append(&body, s.p, s.len, 0, err) == -1)
			goto out;
	} else if (f->nil) {
		/* declarations first, as libxml2 writes them */
		if (gw_buf_puts(&a, " xmlns:xsi=\"" GW_XML_NS_XSI "\" "
		    "xsi:nil=\"true\"", err) == -1)
			goto out;
	} else if (f->null_value != NULL && gw_xml_escape_append(&body,
	    f->null_value, strlen(f->null_value), 0, err) == -1)
		goto out;
	if (put_elem(dest, name, &a, NULL, NULL, &body, err) == -1)
		goto out;
	if (count != NULL)
		(*count)++;
	rc = 0;
 out:
	gw_buf_release(&a);
	gw_buf_release(&body);
	return rc;
}

/* An attribute (or xmlns declaration) into an element frame's head. */
static int
put_attr(struct fj *c, struct fframe *el, const char *key, size_t klen,
    const struct gw_json_event *ev, struct gw_err *err)
{
	struct gw_str	 s;
	int		 prefixed = 0, dup;
	const char	*name;

	if (ev->type == GW_JSON_BEGIN_OBJECT || ev->type == GW_JSON_BEGIN_ARRAY)
		return gw_err_set(err, GW_E_PROTO, "attribute '%.*s' must be a "
		    "string, number, boolean or null", (int)GW_MIN(klen, 64),
		    key);
	if ((klen == 5 && memcmp(key, "xmlns", 5) == 0) ||
	    (klen > 6 && memcmp(key, "xmlns:", 6) == 0)) {
		if (!gw_xml_valid_name(key, klen, 1))
			return gw_err_set(err, GW_E_PROTO, "'%.*s' is not a "
			    "namespace declaration", (int)GW_MIN(klen, 64),
			    key);
		gw_buf_reset(&c->tmp);
		if (gw_buf_append(&c->tmp, key, klen, err) == -1 ||
		    gw_buf_cstr(&c->tmp, err) == NULL)
			return -1;
	} else if (xml_name(c->f, key, klen, &c->tmp, &prefixed, err) == -1)
		return -1;
	c->prefixed |= prefixed;
	name = c->tmp.p;
	if ((dup = gw_jxi_keys_add(&el->attrs, name, strlen(name), err)) == -1)
		return -1;
	if (dup)
		return gw_err_set(err, GW_E_PROTO, "attribute '%s' given twice",
		    name);
	(void)scalar_text(ev, &s);
	if (s.p == NULL && c->f->null_value != NULL)
		s = gw_str_cstr(c->f->null_value);
	if (check_chars(s, err) == -1)
		return -1;
	if (gw_buf_printf(&el->head, err, " %s=\"", name) == -1 ||
	    gw_xml_escape_append(&el->head, s.p != NULL ? s.p : "", s.len, 1,
	    err) == -1 || gw_buf_putc(&el->head, '"', err) == -1)
		return -1;
	return 0;
}

/*
 * Moving a finished frame's output up without copying it when we can: a
 * large document would otherwise be copied once per level, and held as
 * many times.
 */

/* src's bytes into dest: dest takes src's memory when it is empty. */
static int
move_into(struct gw_buf *dest, struct gw_buf *src, struct gw_err *err)
{
	if (dest->len == 0) {
		struct gw_buf	tmp = *dest;
		size_t		max = dest->max;

		*dest = *src;
		*src = tmp;
		dest->max = max;
		gw_buf_reset(src);
		if (dest->len > dest->max)
			return gw_err_set(err, GW_E_LIMIT, "buffer limit of %zu "
			    "bytes reached", dest->max);
		return 0;
	}
	if (gw_buf_append_str(dest, gw_buf_str(src), err) == -1)
		return -1;
	if (src->cap > 64 * 1024)
		gw_buf_release(src);
	return 0;
}

/* Put p[0..len) before the bytes of b. */
static int
prepend(struct gw_buf *b, const char *p, size_t len, struct gw_err *err)
{
	if (len == 0)
		return 0;
	if (gw_buf_reserve(b, len, err) == -1)
		return -1;
	if (b->len > 0)
		memmove(b->p + len, b->p, b->len);
	memcpy(b->p, p, len);
	b->len += len;
	return 0;
}

/*
 * The element "<name a b>text body</name>" into dest, made around body in
 * its own memory (then moved), as put_elem() would write it.
 */
static int
wrap_into(struct gw_buf *dest, const char *name, const struct gw_buf *a,
    const struct gw_buf *b, const struct gw_buf *text, struct gw_buf *body,
    struct gw_err *err)
{
	struct gw_buf	head;
	int		rc = -1;

	if (body->len < 64 * 1024 || dest->len > 0)
		return put_elem(dest, name, a, b, text, body, err);
	gw_buf_init(&head, 0);
	if (gw_buf_putc(&head, '<', err) == -1 ||
	    gw_buf_puts(&head, name, err) == -1 ||
	    (a != NULL && gw_buf_append_str(&head, gw_buf_str(a), err) == -1) ||
	    (b != NULL && gw_buf_append_str(&head, gw_buf_str(b), err) == -1) ||
	    gw_buf_putc(&head, '>', err) == -1 ||
	    (text != NULL && gw_buf_append_str(&head, gw_buf_str(text),
	    err) == -1))
		goto out;
	if (prepend(body, head.p, head.len, err) == -1 ||
	    gw_buf_printf(body, err, "</%s>", name) == -1 ||
	    move_into(dest, body, err) == -1)
		goto out;
	rc = 0;
 out:
	gw_buf_release(&head);
	return rc;
}

/* Finish the frame on top: write it where it goes and pop it. */
static int
fj_finish(struct fj *c, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = c->f;
	size_t				 i = c->n - 1, *count;
	struct fframe			*fr = &c->fr[i];
	struct gw_buf			*dest = dest_of(c, i, &count);
	struct gw_buf			 nsb;
	int				 rc = 0, closes;

	gw_buf_init(&nsb, 0);
	switch (fr->kind) {
	case K_ELEM:
		if ((fr->root && ns_attr(f, &nsb, err) == -1) ||
		    wrap_into(dest, fr->name.p, &nsb, &fr->head, &fr->text,
		    &fr->body, err) == -1)
			rc = -1;
		else if (count != NULL)
			(*count)++;
		break;
	case K_ARRAY:
		if (fr->wrap.len > 0) {
			if (wrap_into(dest, fr->wrap.p, NULL, NULL, NULL,
			    &fr->body, err) == -1)
				rc = -1;
			else if (count != NULL)
				(*count)++;
		} else if (move_into(dest, &fr->body, err) == -1)
			rc = -1;
		else if (count != NULL)
			*count += fr->nelems;
		break;
	case K_DOC:
		if (fr->head.len == 0 && fr->text.len == 0 &&
		    fr->nelems == 1) {
			/* one element: it is the root, the namespace on it */
			size_t at = strcspn(fr->body.p, " />");

			if (ns_attr(f, &nsb, err) == -1 ||
			    gw_buf_reserve(&fr->body, nsb.len, err) == -1) {
				rc = -1;
				break;
			}
			memmove(fr->body.p + at + nsb.len, fr->body.p + at,
			    fr->body.len - at);
			if (nsb.len > 0)
				memcpy(fr->body.p + at, nsb.p, nsb.len);
			fr->body.len += nsb.len;
			if (move_into(dest, &fr->body, err) == -1)
				rc = -1;
		} else if (ns_attr(f, &nsb, err) == -1 ||
		    wrap_into(dest, f->object_root, &nsb, &fr->head, &fr->text,
		    &fr->body, err) == -1)
			rc = -1;
		break;
	case K_NSBLOCK:
	case K_ATTRBLOCK:
		break;
	}
	gw_buf_release(&nsb);
	if (rc == -1)
		return -1;
	closes = fr->closes_parent;
	c->n--;
	if (closes)
		return fj_finish(c, err);
	return 0;
}

static int
eq(const char *k, size_t len, const char *s)
{
	return s != NULL && strlen(s) == len && memcmp(k, s, len) == 0;
}

static int
fj_key(struct fj *c, struct fframe *top, const struct gw_json_event *ev,
    struct gw_err *err)
{
	const struct gw_jx_friendly	*f = c->f;
	const char			*k = ev->text.p;
	size_t				 len = ev->text.len, pl;
	int				 dup;

	if ((dup = gw_jxi_keys_add(&top->keys, k, len, err)) == -1)
		return -1;
	if (dup && f->o.dup == GW_JX_DUP_REJECT)
		return gw_err_set(err, GW_E_PROTO, "duplicate key '%.*s'",
		    (int)GW_MIN(len, 64), k);
	if (dup && f->o.dup == GW_JX_DUP_FIRST) {
		c->skip = 1;
		return 0;
	}
	gw_buf_reset(&top->member);
	pl = f->attr_prefix != NULL ? strlen(f->attr_prefix) : 0;
	if (top->kind == K_ELEM || top->kind == K_DOC) {
		if (eq(k, len, f->ns_block))
			top->role = R_NSBLOCK;
		else if (eq(k, len, f->attr_block))
			top->role = R_ATTRBLOCK;
		else if (eq(k, len, f->text_name))
			top->role = R_TEXT;
		else if (pl > 0 && len > pl && memcmp(k, f->attr_prefix, pl) ==
		    0) {
			top->role = R_ATTR;
			k += pl;
			len -= pl;
		} else
			top->role = R_CHILD;
	}
	if (gw_buf_append(&top->member, k, len, err) == -1 ||
	    gw_buf_cstr(&top->member, err) == NULL)
		return -1;
	return 0;
}

/* Push an element frame named name (copied first: it may be ours). */
static int
push_elem(struct fj *c, enum fkind kind, const char *name, const char *wrap,
    int root, int closes, struct gw_err *err)
{
	struct gw_buf	 copy, wcopy;
	struct fframe	*fr;
	int		 rc = -1;

	gw_buf_init(&copy, 0);
	gw_buf_init(&wcopy, 0);
	if ((name != NULL && (gw_buf_puts(&copy, name, err) == -1 ||
	    gw_buf_cstr(&copy, err) == NULL)) ||
	    (wrap != NULL && (gw_buf_puts(&wcopy, wrap, err) == -1 ||
	    gw_buf_cstr(&wcopy, err) == NULL)))
		goto out;
	if ((fr = fj_push(c, kind, name != NULL ? copy.p : NULL, err)) == NULL)
		goto out;
	if (wrap != NULL && (gw_buf_puts(&fr->wrap, wcopy.p, err) == -1 ||
	    gw_buf_cstr(&fr->wrap, err) == NULL))
		goto out;
	fr->root = root;
	fr->closes_parent = closes;
	rc = 0;
 out:
	gw_buf_release(&copy);
	gw_buf_release(&wcopy);
	return rc;
}

static int
fj_value(struct fj *c, const struct gw_json_event *ev, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = c->f;
	struct fframe			*top = &c->fr[c->n - 1];
	struct fframe			*el;
	int				 obj = ev->type == GW_JSON_BEGIN_OBJECT;
	int				 arr = ev->type == GW_JSON_BEGIN_ARRAY;
	int				 prefixed = 0;
	struct gw_str			 s;

	switch (top->kind) {
	case K_ELEM:
	case K_DOC:
		switch (top->role) {
		case R_CHILD:
			if (xml_name(f, top->member.p, top->member.len, &c->tmp,
			    &prefixed, err) == -1)
				return -1;
			c->prefixed |= prefixed;
			if (obj)
				return push_elem(c, K_ELEM, c->tmp.p, NULL, 0,
				    0, err);
			if (arr)
				return push_elem(c, K_ARRAY, c->tmp.p, NULL, 0,
				    0, err);
			return put_scalar_elem(c, &top->body, &top->nelems,
			    c->tmp.p, ev, 0, err);
		case R_ATTR:
			return put_attr(c, top, top->member.p, top->member.len,
			    ev, err);
		case R_TEXT:
			if (obj || arr)
				return gw_err_set(err, GW_E_PROTO, "'%s' must "
				    "be a string, number, boolean or null",
				    f->text_name);
			if (!scalar_text(ev, &s))
				return 0;
			if (check_chars(s, err) == -1)
				return -1;
			return gw_xml_escape_append(&top->text, s.p, s.len, 0,
			    err);
		case R_NSBLOCK:
		case R_ATTRBLOCK:
			if (!obj)
				return gw_err_set(err, GW_E_PROTO, "'%s' must "
				    "be an object", top->member.p);
			return push_elem(c, top->role == R_NSBLOCK ?
			    K_NSBLOCK : K_ATTRBLOCK, NULL, NULL, 0, 0, err);
		}
		break;
	case K_ARRAY:
		if (obj)
			return push_elem(c, K_ELEM, top->name.p, NULL, 0, 0,
			    err);
		if (arr)
			return push_elem(c, K_ARRAY, f->array_item,
			    top->name.p, 0, 0, err);
		return put_scalar_elem(c, &top->body, &top->nelems,
		    top->name.p, ev, 0, err);
	case K_NSBLOCK:
		el = &c->fr[c->n - 2];
		if (ev->type != GW_JSON_STRING)
			return gw_err_set(err, GW_E_PROTO, "namespace '%s' must "
			    "be a string", top->member.p);
		gw_buf_reset(&c->tmp);
		if (eq(top->member.p, top->member.len, f->ns_default)) {
			if (gw_buf_puts(&c->tmp, "xmlns", err) == -1)
				return -1;
		} else if (gw_buf_printf(&c->tmp, err, "xmlns:%s",
		    top->member.p) == -1)
			return -1;
		{
			struct gw_buf name;
			int rc;

			gw_buf_init(&name, 0);
			rc = gw_buf_append_str(&name, gw_buf_str(&c->tmp),
			    err) == -1 ? -1 : put_attr(c, el, name.p, name.len,
			    ev, err);
			gw_buf_release(&name);
			return rc;
		}
	case K_ATTRBLOCK:
		el = &c->fr[c->n - 2];
		return put_attr(c, el, top->member.p, top->member.len, ev, err);
	}
	return 0;
}

static int
fj_top(struct fj *c, const struct gw_json_event *ev, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = c->f;
	const char			*root = f->root;

	if (ev->type == GW_JSON_BEGIN_OBJECT) {
		if (root != NULL)
			return push_elem(c, K_ELEM, root, NULL, 1, 0, err);
		return push_elem(c, K_DOC, f->object_root, NULL, 0, 0, err);
	}
	if (ev->type == GW_JSON_BEGIN_ARRAY) {
		if (push_elem(c, K_ELEM, root != NULL ? root : f->array_root,
		    NULL, 1, 0, err) == -1)
			return -1;
		return push_elem(c, K_ARRAY, f->array_item, NULL, 0, 1, err);
	}
	return put_scalar_elem(c, c->out, NULL, root != NULL ? root :
	    f->object_root, ev, 1, err);
}

static int
fj_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct fj *c = arg;

	if (gw_jxi_skip(&c->skip, ev->type))
		return 0;
	if (ev->type == GW_JSON_END_OBJECT || ev->type == GW_JSON_END_ARRAY)
		return fj_finish(c, err);
	if (c->n == 0)
		return fj_top(c, ev, err);
	if (ev->type == GW_JSON_KEY)
		return fj_key(c, &c->fr[c->n - 1], ev, err);
	return fj_value(c, ev, err);
}

int
gw_jx_friendly_json_to_xml(const char *json, size_t len,
    const struct gw_jx_friendly *f, struct gw_buf *out, struct gw_err *err)
{
	struct fj		c;
	struct gw_buf		doc;
	struct gw_jxi_out	o;
	int			rc = -1;

	memset(&c, 0, sizeof(c));
	c.f = f;
	gw_buf_init(&doc, 0);
	gw_buf_init(&c.tmp, 0);
	c.out = &doc;
	gw_jxi_out_init(&o, out, &f->o);
	if (gw_jxi_read_json(json, len, &f->o, fj_event, &c, err) == -1)
		goto out;
	if ((f->o.flags & GW_JX_INDENT) || c.prefixed) {
		/* indent, and prove prefixes declared, by parsing again */
		struct gw_xml_doc *d;

		if (gw_xml_parse(doc.p, doc.len, NULL, NULL, &d, err) == -1) {
			gw_err_prefix(err, "the XML made from the JSON is not "
			    "well-formed (an undeclared prefix?)");
			goto out;
		}
		rc = gw_xml_serialize(d, ((f->o.flags & GW_JX_INDENT) ?
		    GW_XML_INDENT : 0) | ((f->o.flags & GW_JX_NO_DECL) ?
		    GW_XML_NO_DECL : 0), out, err);
		gw_xml_doc_free(d);
		if (rc == -1)
			goto out;
		rc = -1;
		if ((f->o.flags & GW_JX_NO_DECL) && gw_buf_putc(out, '\n',
		    err) == -1)
			goto out;
	} else {
		static const char decl[] =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

		if (!(f->o.flags & GW_JX_NO_DECL) && prepend(&doc, decl,
		    sizeof(decl) - 1, err) == -1)
			goto out;
		if (gw_buf_putc(&doc, '\n', err) == -1 ||
		    move_into(out, &doc, err) == -1)
			goto out;
	}
	if (gw_jxi_out_flush(&o, 1, err) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		gw_jxi_out_fail(&o);
	for (size_t i = 0; i < c.cap; i++)
		frame_release(&c.fr[i]);
	free(c.fr);
	gw_buf_release(&c.tmp);
	gw_buf_release(&doc);
	return rc;
}

/*
 * XML -> JSON.
 */

/* Interned byte strings, numbered from 1 in order of arrival. */
struct intern {
	uint32_t	*slots;		/* id, 0 empty */
	size_t		 cap;
	size_t		*off;		/* per id - 1: offset of len + bytes */
	size_t		 n, capoff;
	struct gw_buf	 strs;
};

static void
intern_release(struct intern *t)
{
	free(t->slots);
	free(t->off);
	gw_buf_release(&t->strs);
}

static const char *
intern_str(const struct intern *t, uint32_t id, size_t *len)
{
	const char *p = t->strs.p + t->off[id - 1];

	memcpy(len, p, sizeof(*len));
	return p + sizeof(*len);
}

static uint64_t
fnv(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
intern(struct intern *t, const char *p, size_t len, uint32_t *id,
    struct gw_err *err)
{
	size_t i;

	if (t->n * 2 >= t->cap) {
		size_t		 ncap = t->cap == 0 ? 64 : t->cap * 2;
		uint32_t	*ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		for (i = 0; i < t->cap; i++) {
			size_t		 l;
			const char	*s;
			size_t		 j;

			if (t->slots[i] == 0)
				continue;
			s = intern_str(t, t->slots[i], &l);
			for (j = fnv(s, l) & (ncap - 1); ns[j] != 0;
			    j = (j + 1) & (ncap - 1))
				;
			ns[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	for (i = fnv(p, len) & (t->cap - 1); t->slots[i] != 0;
	    i = (i + 1) & (t->cap - 1)) {
		size_t		 l;
		const char	*s = intern_str(t, t->slots[i], &l);

		if (l == len && memcmp(s, p, len) == 0) {
			*id = t->slots[i];
			return 0;
		}
	}
	if (t->n == t->capoff) {
		size_t	 n = t->capoff == 0 ? 64 : t->capoff * 2;
		size_t	*o = reallocarray(t->off, n, sizeof(*o));

		if (o == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		t->off = o;
		t->capoff = n;
	}
	t->off[t->n] = t->strs.len;
	if (gw_buf_append(&t->strs, &len, sizeof(len), err) == -1 ||
	    gw_buf_append(&t->strs, p, len, err) == -1 ||
	    gw_buf_putc(&t->strs, '\0', err) == -1)
		return -1;
	*id = t->slots[i] = (uint32_t)++t->n;
	return 0;
}

/*
 * A node is seven integers (28 bytes): documents made of many small
 * elements are common, and the tree is most of the memory used.  Text
 * offsets are 32 bits: the text of a document converted this way stays
 * under 4 GiB.
 */
#define TL_NIL		0x80000000u	/* xsi:nil="true" */
#define TL_BLANK	0x40000000u	/* its text is white space */
#define TL_LEN		0x3fffffffu

struct tnode {
	uint32_t	key, qn;
	uint32_t	first, next;
	uint32_t	extra;		/* 1 + index into xt->x; 0: none */
	uint32_t	text;		/* offset in xt->text */
	uint32_t	tl;		/* length | TL_NIL | TL_BLANK */
};

/* Attributes and namespace declarations of the nodes that have any. */
struct textra {
	uint32_t	attr0, nattr, ns0, nns;
};

struct tattr {
	uint32_t	key;
	uint32_t	val, len;
};

struct group {
	uint32_t	first, last, count;
};

struct xt {
	const struct gw_jx_friendly	*f;
	struct intern			 keys, qns;
	struct tnode			*n;
	size_t				 nn, capn;
	struct tattr			*a;
	size_t				 na, capa;
	struct tattr			*ns;	/* key: prefix; val: uri */
	size_t				 nns, capns;
	struct textra			*x;
	size_t				 nx, capx;
	struct gw_buf			 text;
	uint32_t			*stack;	/* open elements */
	uint32_t			*lastc;	/* their last child so far */
	size_t				 depth, capstack;
	struct gw_buf			*scratch;
	size_t				 capscratch;
	struct gw_buf			 name;
	/* the walk */
	int8_t				*rep;	/* per qn: -1 unknown */
	uint32_t			*stamp, *gidx, *nextsame;
	struct group			*groups;
	size_t				 ngroups, capgroups;
	struct gw_buf			 path;
	struct gw_jxi_out		 out;
	struct gw_jxi_jw		 w;
};

static int
grow(void **p, size_t *cap, size_t need, size_t size, struct gw_err *err)
{
	void	*np;
	size_t	 n;

	if (need <= *cap)
		return 0;
	n = *cap == 0 ? 64 : *cap;
	while (n < need)
		n *= 2;
	if ((np = reallocarray(*p, n, size)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	*p = np;
	*cap = n;
	return 0;
}

static const struct textra no_extra;

static const struct textra *
xof(const struct xt *t, const struct tnode *nd)
{
	return nd->extra != 0 ? &t->x[nd->extra - 1] : &no_extra;
}

/* The offset the next text will have, if it fits in 32 bits. */
static int
text_at(struct xt *t, size_t len, uint32_t *off, struct gw_err *err)
{
	if (t->text.len > UINT32_MAX - len)
		return gw_err_set(err, GW_E_LIMIT, "more than 4 GiB of text");
	*off = (uint32_t)t->text.len;
	return 0;
}

/* The JSON key of a name: "p<sep>local" or "local". */
static int
key_of(struct xt *t, const char *prefix, const char *local, uint32_t *id,
    struct gw_err *err)
{
	const char *sep = t->f->ns_separator;

	gw_buf_reset(&t->name);
	if (prefix != NULL && sep != NULL && sep[0] != '\0' &&
	    (gw_buf_puts(&t->name, prefix, err) == -1 ||
	    gw_buf_puts(&t->name, sep, err) == -1))
		return -1;
	if (gw_buf_puts(&t->name, local, err) == -1)
		return -1;
	return intern(&t->keys, t->name.p, t->name.len, id, err);
}

static int
truthy(const char *v)
{
	return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static int
xt_start(void *arg, const struct gw_xml_start *e, struct gw_err *err)
{
	struct xt			*t = arg;
	const struct gw_jx_friendly	*f = t->f;
	struct tnode			*nd;
	struct textra			 x;
	uint32_t			 id;
	size_t				 oldcap = t->capstack;

	if (t->nn == 0)
		t->nn = 1;	/* node 0 means none */
	if (t->nn >= UINT32_MAX - 1)
		return gw_err_set(err, GW_E_LIMIT, "too many elements");
	if (grow((void **)&t->n, &t->capn, t->nn + 1, sizeof(*t->n),
	    err) == -1 ||
	    grow((void **)&t->lastc, &t->capstack, t->depth + 1,
	    sizeof(*t->lastc), err) == -1)
		return -1;
	/* lastc grew: stack grows alike (the same capacity) */
	if (t->capstack != oldcap && (t->stack = reallocarray(t->stack,
	    t->capstack, sizeof(*t->stack))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (t->depth + 1 > t->capscratch) {
		size_t		 old = t->capscratch;
		struct gw_buf	*s;

		if (grow((void **)&t->scratch, &t->capscratch, t->depth + 1,
		    sizeof(*t->scratch), err) == -1)
			return -1;
		for (s = t->scratch + old; s < t->scratch + t->capscratch; s++)
			gw_buf_init(s, 0);
	}
	id = (uint32_t)t->nn++;
	nd = &t->n[id];
	memset(nd, 0, sizeof(*nd));
	if (key_of(t, e->prefix, e->local, &nd->key, err) == -1)
		return -1;
	gw_buf_reset(&t->name);
	if (gw_buf_puts(&t->name, e->uri != NULL ? e->uri : "", err) == -1 ||
	    gw_buf_putc(&t->name, '\0', err) == -1 ||
	    gw_buf_puts(&t->name, e->local, err) == -1 ||
	    intern(&t->qns, t->name.p, t->name.len, &nd->qn, err) == -1)
		return -1;
	memset(&x, 0, sizeof(x));
	x.attr0 = (uint32_t)t->na;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct gw_xml_attr	*a = &e->attrs[i];
		struct tattr			*ta;
		size_t				 vl;

		if (f->nil && a->uri != NULL && strcmp(a->uri,
		    GW_XML_NS_XSI) == 0 && strcmp(a->local, "nil") == 0) {
			if (truthy(a->value))
				nd->tl |= TL_NIL;
			continue;
		}
		if (grow((void **)&t->a, &t->capa, t->na + 1, sizeof(*t->a),
		    err) == -1)
			return -1;
		ta = &t->a[t->na];
		if (key_of(t, a->prefix, a->local, &ta->key, err) == -1)
			return -1;
		vl = strlen(a->value);
		if (text_at(t, vl, &ta->val, err) == -1)
			return -1;
		ta->len = (uint32_t)vl;
		if (gw_buf_append(&t->text, a->value, vl, err) == -1)
			return -1;
		t->na++;
		x.nattr++;
	}
	x.ns0 = (uint32_t)t->nns;
	for (size_t i = 0; f->ns_block != NULL && i < e->nnsdecl; i++) {
		const char	*pfx = e->nsdecl[2 * i];
		const char	*uri = e->nsdecl[2 * i + 1];
		struct tattr	*ta;
		size_t		 ul;

		if (pfx == NULL && f->ns_default == NULL)
			continue;
		if (grow((void **)&t->ns, &t->capns, t->nns + 1,
		    sizeof(*t->ns), err) == -1)
			return -1;
		ta = &t->ns[t->nns];
		pfx = pfx != NULL ? pfx : f->ns_default;
		if (intern(&t->keys, pfx, strlen(pfx), &ta->key, err) == -1)
			return -1;
		ul = uri != NULL ? strlen(uri) : 0;
		if (text_at(t, ul, &ta->val, err) == -1)
			return -1;
		ta->len = (uint32_t)ul;
		if (gw_buf_append(&t->text, uri != NULL ? uri : "", ul,
		    err) == -1)
			return -1;
		t->nns++;
		x.nns++;
	}
	if (x.nattr > 0 || x.nns > 0) {
		if (grow((void **)&t->x, &t->capx, t->nx + 1, sizeof(*t->x),
		    err) == -1)
			return -1;
		t->x[t->nx++] = x;
		nd->extra = (uint32_t)t->nx;
	}
	if (t->depth > 0) {
		uint32_t parent = t->stack[t->depth - 1];

		if (t->lastc[t->depth - 1] != 0)
			t->n[t->lastc[t->depth - 1]].next = id;
		else
			t->n[parent].first = id;
		t->lastc[t->depth - 1] = id;
	}
	gw_buf_reset(&t->scratch[t->depth]);
	t->lastc[t->depth] = 0;
	t->stack[t->depth++] = id;
	return 0;
}

static int
xt_text(void *arg, const char *p, size_t len, struct gw_err *err)
{
	struct xt *t = arg;

	return gw_buf_append(&t->scratch[t->depth - 1], p, len, err);
}

static int
xt_end(void *arg, struct gw_err *err)
{
	struct xt	*t = arg;
	uint32_t	 id = t->stack[--t->depth];
	struct gw_buf	*s = &t->scratch[t->depth];
	struct tnode	*nd = &t->n[id];
	int		 blank = 1;

	if (s->len > TL_LEN)
		return gw_err_set(err, GW_E_LIMIT, "an element's text is over "
		    "1 GiB");
	if (text_at(t, s->len, &nd->text, err) == -1)
		return -1;
	for (size_t i = 0; i < s->len; i++)
		if (s->p[i] != ' ' && s->p[i] != '\t' && s->p[i] != '\n' &&
		    s->p[i] != '\r') {
			blank = 0;
			break;
		}
	nd->tl = (nd->tl & TL_NIL) | (uint32_t)s->len | (blank ? TL_BLANK : 0);
	if (s->cap > 64 * 1024) {
		/* a large text: give its memory back */
		int rc = gw_buf_append(&t->text, s->p, s->len, err);

		gw_buf_release(s);
		return rc;
	}
	return gw_buf_append(&t->text, s->p, s->len, err);
}

/* A text value: null, a boolean, a number or a string, as asked. */
static int
emit_scalar(struct xt *t, const char *p, size_t len, struct gw_err *err)
{
	const struct gw_jx_friendly *f = t->f;

	if (f->recognize_null && (len == 0 || eq(p, len, f->null_value)))
		return gw_jxi_jw_raw(&t->w, "null", 4, err);
	if (f->recognize_boolean && (eq(p, len, "true") || eq(p, len, "false")))
		return gw_jxi_jw_raw(&t->w, p, len, err);
	if (f->recognize_number && gw_jx_canonical_number(p, len))
		return gw_jxi_jw_raw(&t->w, p, len, err);
	return gw_jxi_jw_string(&t->w, p, len, err);
}

static int
emit_key(struct xt *t, const char *prefix, uint32_t key, struct gw_err *err)
{
	size_t		 len;
	const char	*k = intern_str(&t->keys, key, &len);

	if (prefix == NULL || prefix[0] == '\0')
		return gw_jxi_jw_key(&t->w, k, len, err);
	gw_buf_reset(&t->name);
	if (gw_buf_puts(&t->name, prefix, err) == -1 ||
	    gw_buf_append(&t->name, k, len, err) == -1)
		return -1;
	return gw_jxi_jw_key(&t->w, t->name.p, t->name.len, err);
}

/* 1 if the group of key under path t->path must be an array. */
static int
forced(struct xt *t, uint32_t key, uint32_t qn)
{
	const struct gw_jx_friendly	*f = t->f;
	size_t				 kl, pl = t->path.len;
	const char			*k = intern_str(&t->keys, key, &kl);

	if (f->schema != NULL) {
		if (t->rep[qn] < 0) {
			size_t		 ql;
			const char	*q = intern_str(&t->qns, qn, &ql);
			size_t		 ul = strlen(q);

			t->rep[qn] = (int8_t)gw_jx_schema_repeats(f->schema,
			    ul > 0 ? q : NULL, q + ul + 1);
		}
		if (t->rep[qn])
			return 1;
	}
	for (size_t i = 0; f->array_paths != NULL && f->array_paths[i] != NULL;
	    i++) {
		const char *ap = f->array_paths[i];

		if (strlen(ap) == pl + 1 + kl && memcmp(ap, t->path.p, pl) ==
		    0 && ap[pl] == '/' && memcmp(ap + pl + 1, k, kl) == 0)
			return 1;
	}
	return 0;
}

static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t' || **p == '\n' ||
	    **p == '\r'))
		(*p)++, (*len)--;
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' ||
	    (*p)[*len - 1] == '\n' || (*p)[*len - 1] == '\r'))
		(*len)--;
}

/* Group the children of id: groups[base..ngroups) in first-seen order. */
static int
group_children(struct xt *t, uint32_t id, size_t *base, struct gw_err *err)
{
	*base = t->ngroups;
	for (uint32_t c = t->n[id].first; c != 0; c = t->n[c].next) {
		uint32_t	 k = t->n[c].key;
		struct group	*g;

		t->nextsame[c] = 0;
		if (t->stamp[k] != id) {
			if (grow((void **)&t->groups, &t->capgroups,
			    t->ngroups + 1, sizeof(*t->groups), err) == -1)
				return -1;
			t->stamp[k] = id;
			t->gidx[k] = (uint32_t)(t->ngroups - *base);
			g = &t->groups[t->ngroups++];
			g->first = g->last = c;
			g->count = 1;
			continue;
		}
		g = &t->groups[*base + t->gidx[k]];
		t->nextsame[g->last] = c;
		g->last = c;
		g->count++;
	}
	return 0;
}

static int	emit_value(struct xt *, uint32_t, struct gw_err *);

static int
emit_members(struct xt *t, uint32_t id, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = t->f;
	struct tnode			*nd = &t->n[id];
	const struct textra		*x = xof(t, nd);
	const char			*txt = t->text.p != NULL ?
					    t->text.p + nd->text : "";
	size_t				 tl = nd->tl & TL_LEN, base, pl;

	if (f->ns_block != NULL && x->nns > 0) {
		if (gw_jxi_jw_key(&t->w, f->ns_block, strlen(f->ns_block),
		    err) == -1 || gw_jxi_jw_open(&t->w, '{', err) == -1)
			return -1;
		for (uint32_t i = 0; i < x->nns; i++) {
			struct tattr *a = &t->ns[x->ns0 + i];

			if (emit_key(t, NULL, a->key, err) == -1 ||
			    gw_jxi_jw_string(&t->w, t->text.p + a->val, a->len,
			    err) == -1)
				return -1;
		}
		if (gw_jxi_jw_close(&t->w, '}', err) == -1)
			return -1;
	}
	if (x->nattr > 0) {
		if (f->attr_block != NULL && (gw_jxi_jw_key(&t->w,
		    f->attr_block, strlen(f->attr_block), err) == -1 ||
		    gw_jxi_jw_open(&t->w, '{', err) == -1))
			return -1;
		for (uint32_t i = 0; i < x->nattr; i++) {
			struct tattr *a = &t->a[x->attr0 + i];

			if (emit_key(t, f->attr_block != NULL ? NULL :
			    f->attr_prefix, a->key, err) == -1 ||
			    emit_scalar(t, t->text.p + a->val, a->len,
			    err) == -1)
				return -1;
		}
		if (f->attr_block != NULL && gw_jxi_jw_close(&t->w, '}',
		    err) == -1)
			return -1;
	}
	if (nd->first != 0) {
		if (!(nd->tl & TL_BLANK)) {
			trim(&txt, &tl);
			if (gw_jxi_jw_key(&t->w, f->text_name,
			    strlen(f->text_name), err) == -1 ||
			    emit_scalar(t, txt, tl, err) == -1)
				return -1;
		}
	} else if (tl > 0 && (gw_jxi_jw_key(&t->w, f->text_name,
	    strlen(f->text_name), err) == -1 ||
	    emit_scalar(t, txt, tl, err) == -1))
		return -1;
	if (group_children(t, id, &base, err) == -1)
		return -1;
	pl = t->path.len;
	for (size_t g = base; g < t->ngroups; g++) {
		struct group	gr = t->groups[g];
		uint32_t	key = t->n[gr.first].key;
		size_t		kl;
		const char	*k = intern_str(&t->keys, key, &kl);
		int		arr = gr.count > 1 || forced(t, key,
				    t->n[gr.first].qn);

		if (emit_key(t, NULL, key, err) == -1)
			return -1;
		if (gw_buf_putc(&t->path, '/', err) == -1 ||
		    gw_buf_append(&t->path, k, kl, err) == -1)
			return -1;
		if (arr && gw_jxi_jw_open(&t->w, '[', err) == -1)
			return -1;
		for (uint32_t c = gr.first; c != 0; c = t->nextsame[c])
			if (emit_value(t, c, err) == -1)
				return -1;
		if (arr && gw_jxi_jw_close(&t->w, ']', err) == -1)
			return -1;
		t->path.len = pl;
		if (gw_jxi_out_flush(&t->out, 0, err) == -1)
			return -1;
	}
	t->ngroups = base;
	return 0;
}

static int
emit_value(struct xt *t, uint32_t id, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = t->f;
	struct tnode			*nd = &t->n[id];
	const struct textra		*x = xof(t, nd);
	int				 members;

	if (nd->tl & TL_NIL)
		return gw_jxi_jw_raw(&t->w, "null", 4, err);
	members = (f->ns_block != NULL && x->nns > 0) || x->nattr > 0 ||
	    nd->first != 0 || f->text_always;
	if (!members)
		return emit_scalar(t, t->text.p != NULL ? t->text.p +
		    nd->text : "", nd->tl & TL_LEN, err);
	if (gw_jxi_jw_open(&t->w, '{', err) == -1 ||
	    emit_members(t, id, err) == -1)
		return -1;
	return gw_jxi_jw_close(&t->w, '}', err);
}

/* strip_levels: from the root, down single-member objects. */
static uint32_t
strip(struct xt *t, int *at_top, struct gw_err *err)
{
	const struct gw_jx_friendly	*f = t->f;
	uint32_t			 cur = 1;
	size_t				 kl;
	const char			*k;

	*at_top = 1;
	k = intern_str(&t->keys, t->n[1].key, &kl);
	if (gw_buf_append(&t->path, k, kl, err) == -1)
		return 0;
	for (unsigned level = 0; level < f->strip_levels; level++) {
		struct tnode		*nd = &t->n[cur];
		const struct textra	*x = xof(t, nd);
		uint32_t		 c = nd->first;

		if (*at_top) {
			*at_top = 0;
			continue;
		}
		if ((nd->tl & TL_NIL) || x->nattr > 0 || (f->ns_block != NULL &&
		    x->nns > 0) || !(nd->tl & TL_BLANK) || c == 0 ||
		    t->n[c].next != 0)
			break;
		if (forced(t, t->n[c].key, t->n[c].qn))
			break;
		k = intern_str(&t->keys, t->n[c].key, &kl);
		if (gw_buf_putc(&t->path, '/', err) == -1 ||
		    gw_buf_append(&t->path, k, kl, err) == -1)
			return 0;
		cur = c;
	}
	return cur;
}

static void
xt_release(struct xt *t)
{
	intern_release(&t->keys);
	intern_release(&t->qns);
	free(t->n);
	free(t->a);
	free(t->ns);
	free(t->x);
	gw_buf_release(&t->text);
	free(t->stack);
	free(t->lastc);
	for (size_t i = 0; i < t->capscratch; i++)
		gw_buf_release(&t->scratch[i]);
	free(t->scratch);
	gw_buf_release(&t->name);
	free(t->rep);
	free(t->stamp);
	free(t->gidx);
	free(t->nextsame);
	free(t->groups);
	gw_buf_release(&t->path);
	gw_jxi_jw_release(&t->w);
}

int
gw_jx_friendly_xml_to_json(const char *xml, size_t len,
    const struct gw_jx_friendly *f, struct gw_buf *out, struct gw_err *err)
{
	static const struct gw_xml_handler h = { xt_start, xt_end, xt_text };
	struct xt		 t;
	struct gw_xml_limits	 lim;
	uint32_t		 cur;
	int			 at_top, rc = -1;

	memset(&t, 0, sizeof(t));
	t.f = f;
	gw_buf_init(&t.keys.strs, 0);
	gw_buf_init(&t.qns.strs, 0);
	gw_buf_init(&t.text, 0);
	gw_buf_init(&t.name, 0);
	gw_buf_init(&t.path, 0);
	gw_jxi_out_init(&t.out, out, &f->o);
	memset(&lim, 0, sizeof(lim));
	lim.max_depth = f->o.max_depth;
	if ((f->o.sax != NULL ? f->o.sax(f->o.sax_arg, xml, len, f->o.origin,
	    &lim, &h, &t, err) : gw_xml_sax(xml, len, f->o.origin, &lim, &h,
	    &t, err)) == -1)
		goto out;
	if (gw_jxi_jw_init(&t.w, &t.out, f->o.flags & GW_JX_INDENT,
	    GW_XML_MAX_DEPTH * 2 + 2, err) == -1)
		goto out;
	if ((t.rep = malloc(t.qns.n + 1)) == NULL ||
	    (t.stamp = calloc(t.keys.n + 1, sizeof(*t.stamp))) == NULL ||
	    (t.gidx = calloc(t.keys.n + 1, sizeof(*t.gidx))) == NULL ||
	    (t.nextsame = calloc(t.nn + 1, sizeof(*t.nextsame))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	memset(t.rep, -1, t.qns.n + 1);
	if ((cur = strip(&t, &at_top, err)) == 0)
		goto out;
	if (at_top) {
		if (gw_jxi_jw_open(&t.w, '{', err) == -1 ||
		    emit_key(&t, NULL, t.n[1].key, err) == -1 ||
		    emit_value(&t, 1, err) == -1 ||
		    gw_jxi_jw_close(&t.w, '}', err) == -1)
			goto out;
	} else if (emit_value(&t, cur, err) == -1)
		goto out;
	if (gw_buf_putc(out, '\n', err) == -1 ||
	    gw_jxi_out_flush(&t.out, 1, err) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		gw_jxi_out_fail(&t.out);
	xt_release(&t);
	return rc;
}
