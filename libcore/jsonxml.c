/*
 * jsonxml.c: JSON <-> XML, lossless (fn:json-to-xml) and friendly.
 *
 * JSON is read with the streaming reader of json.h and XML with the
 * streaming reader of xml.h, so that neither direction of the lossless
 * convention builds a tree.  Output goes through struct out, which hands
 * it to the caller's flush function as it grows (when there is one) and
 * otherwise stays in the caller's buffer; on error the buffer is put back
 * to where it was.
 *
 * The friendly convention needs to see a whole element before it knows
 * whether its children repeat (XML -> JSON), or a whole object before it
 * knows its attributes (JSON -> XML): see jsonxml-friendly.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "jsonxml-int.h"
#include "jsonxml.h"
#include "xml.h"

/*
 * Output.
 */

void
gw_jxi_out_init(struct gw_jxi_out *o, struct gw_buf *buf,
    const struct gw_jx_opts *opts)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->start = buf->len;
	if (opts != NULL) {
		o->flush = opts->flush;
		o->flush_arg = opts->flush_arg;
	}
}

int
gw_jxi_out_flush(struct gw_jxi_out *o, int force, struct gw_err *err)
{
	size_t pending;

	if (o->flush == NULL)
		return 0;
	pending = o->buf->len - o->start;
	if (pending == 0 || (!force && pending < 64 * 1024))
		return 0;
	if (o->flush(o->flush_arg, o->buf->p + o->start, pending, err) == -1)
		return -1;
	o->buf->len = o->start;
	o->flushed = 1;
	return 0;
}

void
gw_jxi_out_fail(struct gw_jxi_out *o)
{
	o->buf->len = o->start;
}

/*
 * Sets of keys, to find duplicates.
 */

static uint64_t
hash(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
gw_jxi_keys_init(struct gw_jxi_keys *k)
{
	memset(k, 0, sizeof(*k));
	gw_buf_init(&k->text, 0);
}

void
gw_jxi_keys_release(struct gw_jxi_keys *k)
{
	free(k->slots);
	gw_buf_release(&k->text);
	memset(k, 0, sizeof(*k));
}

int
gw_jxi_skip(size_t *skip, enum gw_json_type t)
{
	if (*skip == 0)
		return 0;
	if (t == GW_JSON_BEGIN_OBJECT || t == GW_JSON_BEGIN_ARRAY)
		(*skip)++;
	else if (t == GW_JSON_END_OBJECT || t == GW_JSON_END_ARRAY)
		(*skip)--;
	else if (t == GW_JSON_KEY)
		return 1;
	if (*skip == 1 && t != GW_JSON_BEGIN_OBJECT &&
	    t != GW_JSON_BEGIN_ARRAY)
		*skip = 0;
	return 1;
}

void
gw_jxi_keys_reset(struct gw_jxi_keys *k)
{
	if (k->slots != NULL)
		memset(k->slots, 0, k->cap * sizeof(*k->slots));
	k->n = 0;
	gw_buf_reset(&k->text);
}

/*
 * Add key p[0..len) to k: 1 if it was there already, 0 if added, -1 with
 * GW_E_NOMEM.  Slots hold offset + 1 into text, where each key is stored
 * as a size_t length and its bytes.
 */
int
gw_jxi_keys_add(struct gw_jxi_keys *k, const char *p, size_t len,
    struct gw_err *err)
{
	uint64_t	h;
	size_t		i, off;

	if (k->n * 2 >= k->cap) {
		size_t	 ncap = k->cap == 0 ? 16 : k->cap * 2;
		size_t	*ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		for (i = 0; i < k->cap; i++) {
			size_t		 o = k->slots[i], kl, j;
			const char	*kp;

			if (o == 0)
				continue;
			memcpy(&kl, k->text.p + o - 1, sizeof(kl));
			kp = k->text.p + o - 1 + sizeof(kl);
			for (j = hash(kp, kl) & (ncap - 1); ns[j] != 0;
			    j = (j + 1) & (ncap - 1))
				;
			ns[j] = o;
		}
		free(k->slots);
		k->slots = ns;
		k->cap = ncap;
	}
	h = hash(p, len);
	for (i = h & (k->cap - 1); k->slots[i] != 0; i = (i + 1) & (k->cap - 1)) {
		size_t kl;

		off = k->slots[i] - 1;
		memcpy(&kl, k->text.p + off, sizeof(kl));
		if (kl == len && memcmp(k->text.p + off + sizeof(kl), p, len) ==
		    0)
			return 1;
	}
	off = k->text.len;
	if (gw_buf_append(&k->text, &len, sizeof(len), err) == -1 ||
	    gw_buf_append(&k->text, p, len, err) == -1)
		return -1;
	k->slots[i] = off + 1;
	k->n++;
	return 0;
}

int
gw_jxi_keys_has(const struct gw_jxi_keys *k, const char *p, size_t len)
{
	if (k->cap == 0)
		return 0;
	for (size_t i = hash(p, len) & (k->cap - 1); k->slots[i] != 0;
	    i = (i + 1) & (k->cap - 1)) {
		size_t off = k->slots[i] - 1, kl;

		memcpy(&kl, k->text.p + off, sizeof(kl));
		if (kl == len && memcmp(k->text.p + off + sizeof(kl), p, len) ==
		    0)
			return 1;
	}
	return 0;
}

/*
 * A JSON writer, compact or indented.
 */

int
gw_jxi_jw_init(struct gw_jxi_jw *w, struct gw_jxi_out *o, int indent,
    size_t max_depth, struct gw_err *err)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->indent = indent;
	w->max = max_depth + 2;
	if ((w->first = calloc(w->max, 1)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	w->first[0] = 1;
	return 0;
}

void
gw_jxi_jw_release(struct gw_jxi_jw *w)
{
	free(w->first);
	w->first = NULL;
}

static int
jw_newline(struct gw_jxi_jw *w, struct gw_err *err)
{
	struct gw_buf *b = w->o->buf;

	if (!w->indent)
		return 0;
	if (gw_buf_putc(b, '\n', err) == -1)
		return -1;
	for (size_t i = 0; i < w->depth; i++)
		if (gw_buf_append(b, "  ", 2, err) == -1)
			return -1;
	return 0;
}

/* Before a value or a key: the comma and the line. */
static int
jw_sep(struct gw_jxi_jw *w, struct gw_err *err)
{
	if (w->after_key) {
		w->after_key = 0;
		return 0;
	}
	if (w->depth == 0)
		return 0;
	if (!w->first[w->depth] && gw_buf_putc(w->o->buf, ',', err) == -1)
		return -1;
	w->first[w->depth] = 0;
	return jw_newline(w, err);
}

int
gw_jxi_jw_key(struct gw_jxi_jw *w, const char *k, size_t len,
    struct gw_err *err)
{
	struct gw_buf *b = w->o->buf;

	if (jw_sep(w, err) == -1 || gw_buf_putc(b, '"', err) == -1 ||
	    gw_json_escape_append(b, k, len, err) == -1 ||
	    gw_buf_append(b, w->indent ? "\": " : "\":", w->indent ? 3 : 2,
	    err) == -1)
		return -1;
	w->after_key = 1;
	return 0;
}

int
gw_jxi_jw_open(struct gw_jxi_jw *w, char c, struct gw_err *err)
{
	if (w->depth + 1 >= w->max)
		return gw_err_set(err, GW_E_LIMIT, "nested deeper than %zu",
		    w->max - 2);
	if (jw_sep(w, err) == -1 || gw_buf_putc(w->o->buf, c, err) == -1)
		return -1;
	w->depth++;
	w->first[w->depth] = 1;
	return 0;
}

int
gw_jxi_jw_close(struct gw_jxi_jw *w, char c, struct gw_err *err)
{
	int empty = w->first[w->depth];

	w->depth--;
	if (!empty && jw_newline(w, err) == -1)
		return -1;
	return gw_buf_putc(w->o->buf, c, err);
}

int
gw_jxi_jw_raw(struct gw_jxi_jw *w, const char *p, size_t len,
    struct gw_err *err)
{
	if (jw_sep(w, err) == -1)
		return -1;
	return gw_buf_append(w->o->buf, p, len, err);
}

int
gw_jxi_jw_string(struct gw_jxi_jw *w, const char *p, size_t len,
    struct gw_err *err)
{
	struct gw_buf *b = w->o->buf;

	if (jw_sep(w, err) == -1 || gw_buf_putc(b, '"', err) == -1 ||
	    gw_json_escape_append(b, p, len, err) == -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

/*
 * Numbers.
 */

/* Length of the JSON number at the start of s (0 if there is none). */
size_t
gw_jxi_number_len(const char *s, size_t len)
{
	size_t i = 0, d;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

int
gw_jx_canonical_number(const char *s, size_t len)
{
	size_t	i = 0, digits = 0, lead = 1;
	int	frac = 0;

	if (len == 0 || gw_jxi_number_len(s, len) != len)
		return 0;
	if (s[0] == '-')
		i++;
	if (len - i > 1 && s[i] == '0' && s[i + 1] != '.')
		return 0;
	for (; i < len; i++) {
		if (s[i] == 'e' || s[i] == 'E')
			return 0;
		if (s[i] == '.') {
			frac = 1;
			continue;
		}
		if (s[i] != '0')
			lead = 0;
		if (!lead)
			digits++;
	}
	if (frac && s[len - 1] == '0')
		return 0;
	if (digits > 15)
		return 0;
	/* "-0" and "-0.0..." are not canonical: the sign is lost in a double */
	if (s[0] == '-' && digits == 0)
		return 0;
	return 1;
}

/*
 * Lossless: JSON -> XML.
 */

struct j2x_frame {
	int			is_object;
	int			empty;
	struct gw_jxi_keys	keys;
};

struct j2x {
	const struct gw_jx_opts	*o;
	struct gw_jxi_out	 out;
	struct j2x_frame	*frames;
	size_t			 nframes, cap;
	struct gw_buf		 key;		/* the pending member's */
	int			 have_key;
	size_t			 skip;		/* >0: inside a dropped value */
	int			 root_done;
};

static int
xml_indent(struct gw_buf *b, int on, size_t depth, struct gw_err *err)
{
	if (!on)
		return 0;
	if (gw_buf_putc(b, '\n', err) == -1)
		return -1;
	for (size_t i = 0; i < depth; i++)
		if (gw_buf_append(b, "  ", 2, err) == -1)
			return -1;
	return 0;
}

/*
 * s written as XML text or attribute value; a string XML cannot hold is
 * written with JSON escapes (backslash, and \uXXXX for the characters XML
 * refuses) and *escaped is set.
 */
static int
put_string(struct gw_buf *b, const char *s, size_t len, int attr,
    int *escaped, struct gw_err *err)
{
	static const char	hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, run = 0;

	if (gw_xml_valid_chars(s, len)) {
		*escaped = 0;
		return gw_xml_escape_append(b, s, len, attr, err);
	}
	*escaped = 1;
	for (i = 0; i < len; i++) {
		char	esc[8];
		size_t	n = 0;

		if (p[i] == '\\') {
			esc[n++] = '\\';
			esc[n++] = '\\';
		} else if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r') {
			memcpy(esc, "\\u00", 4);
			n = 4;
			esc[n++] = hex[p[i] >> 4];
			esc[n++] = hex[p[i] & 15];
		} else if (p[i] == 0xef && i + 2 < len && p[i + 1] == 0xbf &&
		    (p[i + 2] == 0xbe || p[i + 2] == 0xbf)) {
			memcpy(esc, p[i + 2] == 0xbe ? "\\uFFFE" : "\\uFFFF", 6);
			n = 6;
		} else {
			run++;
			continue;
		}
		if (gw_xml_escape_append(b, s + i - run, run, attr, err) == -1 ||
		    gw_buf_append(b, esc, n, err) == -1)
			return -1;
		if (n == 6 && esc[1] == 'u' && esc[2] == 'F')
			i += 2;
		run = 0;
	}
	return gw_xml_escape_append(b, s + i - run, run, attr, err);
}

/* "<name" with the namespace on the root and the key in a map. */
static int
j2x_open_tag(struct j2x *c, const char *name, struct gw_err *err)
{
	struct gw_buf	*b = c->out.buf;
	size_t		 depth = c->nframes;
	int		 esc;

	if (depth > 0) {
		c->frames[depth - 1].empty = 0;
		if (xml_indent(b, c->o->flags & GW_JX_INDENT, depth, err) == -1)
			return -1;
	}
	if (gw_buf_putc(b, '<', err) == -1 || gw_buf_puts(b, name, err) == -1)
		return -1;
	if (depth == 0 && gw_buf_puts(b, " xmlns=\"" GW_XML_NS_FN "\"",
	    err) == -1)
		return -1;
	if (c->have_key) {
		if (gw_buf_puts(b, " key=\"", err) == -1)
			return -1;
		if (put_string(b, c->key.p != NULL ? c->key.p : "", c->key.len,
		    1, &esc, err) == -1 || gw_buf_putc(b, '"', err) == -1)
			return -1;
		if (esc && gw_buf_puts(b, " escaped-key=\"true\"", err) == -1)
			return -1;
		c->have_key = 0;
	}
	return 0;
}

static int
j2x_push(struct j2x *c, int is_object, struct gw_err *err)
{
	struct j2x_frame *f;

	if (c->nframes == c->cap) {
		size_t n = c->cap == 0 ? 8 : c->cap * 2;

		if ((f = reallocarray(c->frames, n, sizeof(*f))) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		c->frames = f;
		for (size_t i = c->cap; i < n; i++)
			gw_jxi_keys_init(&c->frames[i].keys);
		c->cap = n;
	}
	f = &c->frames[c->nframes++];
	f->is_object = is_object;
	f->empty = 1;
	gw_jxi_keys_reset(&f->keys);
	return 0;
}

static int
j2x_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct j2x	*c = arg;
	struct gw_buf	*b = c->out.buf;
	const char	*name = NULL;
	int		 esc, indent = c->o->flags & GW_JX_INDENT;

	if (gw_jxi_skip(&c->skip, ev->type))
		return 0;
	switch (ev->type) {
	case GW_JSON_KEY: {
		struct j2x_frame	*f = &c->frames[c->nframes - 1];
		int			 dup;

		if ((dup = gw_jxi_keys_add(&f->keys, ev->text.p, ev->text.len,
		    err)) == -1)
			return -1;
		if (dup && c->o->dup == GW_JX_DUP_REJECT)
			return gw_err_set(err, GW_E_PROTO, "duplicate key "
			    "'%.*s'", (int)GW_MIN(ev->text.len, 64),
			    ev->text.p);
		if (dup && c->o->dup == GW_JX_DUP_FIRST) {
			c->skip = 1;
			return 0;
		}
		gw_buf_reset(&c->key);
		if (gw_buf_append(&c->key, ev->text.p, ev->text.len, err) ==
		    -1)
			return -1;
		c->have_key = 1;
		return 0;
	}
	case GW_JSON_BEGIN_OBJECT:
	case GW_JSON_BEGIN_ARRAY:
		if (j2x_open_tag(c, ev->type == GW_JSON_BEGIN_OBJECT ? "map" :
		    "array", err) == -1 || gw_buf_putc(b, '>', err) == -1)
			return -1;
		return j2x_push(c, ev->type == GW_JSON_BEGIN_OBJECT, err);
	case GW_JSON_END_OBJECT:
	case GW_JSON_END_ARRAY: {
		int empty = c->frames[--c->nframes].empty;

		if (!empty && xml_indent(b, indent, c->nframes, err) == -1)
			return -1;
		if (gw_buf_puts(b, ev->type == GW_JSON_END_OBJECT ? "</map>" :
		    "</array>", err) == -1)
			return -1;
		break;
	}
	case GW_JSON_STRING:
		if (j2x_open_tag(c, "string", err) == -1)
			return -1;
		{
			size_t at;

			if (gw_buf_putc(b, '>', err) == -1)
				return -1;
			at = b->len;
			if (put_string(b, ev->text.p, ev->text.len, 0, &esc,
			    err) == -1)
				return -1;
			if (esc) {
				/* go back and say so in the start tag */
				static const char attr[] = " escaped=\"true\"";

				if (gw_buf_reserve(b, sizeof(attr) - 1, err) ==
				    -1)
					return -1;
				memmove(b->p + at - 1 + sizeof(attr) - 1,
				    b->p + at - 1, b->len - (at - 1));
				memcpy(b->p + at - 1, attr, sizeof(attr) - 1);
				b->len += sizeof(attr) - 1;
			}
		}
		if (gw_buf_puts(b, "</string>", err) == -1)
			return -1;
		break;
	case GW_JSON_NUMBER:
		name = "number";
		/* FALLTHROUGH */
	case GW_JSON_TRUE:
	case GW_JSON_FALSE:
		if (name == NULL)
			name = "boolean";
		if (j2x_open_tag(c, name, err) == -1 ||
		    gw_buf_putc(b, '>', err) == -1)
			return -1;
		if (ev->type == GW_JSON_NUMBER ? gw_buf_append(b, ev->text.p,
		    ev->text.len, err) : gw_buf_puts(b, ev->type ==
		    GW_JSON_TRUE ? "true" : "false", err) == -1)
			return -1;
		if (gw_buf_printf(b, err, "</%s>", name) == -1)
			return -1;
		break;
	case GW_JSON_NULL:
		if (j2x_open_tag(c, "null", err) == -1 ||
		    gw_buf_puts(b, "/>", err) == -1)
			return -1;
		break;
	}
	return gw_jxi_out_flush(&c->out, 0, err);
}

/* "origin:line:col: message" from the reader's position. */
void
gw_jxi_json_error(struct gw_json_reader *r, const char *origin,
    struct gw_err *err)
{
	unsigned	line, col;
	char		msg[GW_ERR_MSG_MAX];

	if (err == NULL || err->code == GW_E_NOMEM)
		return;
	gw_json_reader_pos(r, &line, &col, NULL);
	(void)snprintf(msg, sizeof(msg), "%s", err->msg);
	if (origin != NULL)
		gw_err_set(err, err->code, "%s:%u:%u: %s", origin, line, col,
		    msg);
	else
		gw_err_set(err, err->code, "%u:%u: %s", line, col, msg);
	(void)origin;
}

/* Read json with fn(arg, event) and the conversion limits. */
int
gw_jxi_read_json(const char *json, size_t len, const struct gw_jx_opts *o,
    gw_json_event_fn *fn, void *arg, struct gw_err *err)
{
	struct gw_json_reader	*r;
	struct gw_json_limits	 lim;
	int			 rc = -1;

	memset(&lim, 0, sizeof(lim));
	lim.max_depth = o->max_depth > 0 ? o->max_depth : GW_XML_MAX_DEPTH - 1;
	if ((r = gw_json_reader_new(GW_JSON_BOM, &lim, fn, arg, err)) == NULL)
		return -1;
	if (gw_json_reader_feed(r, json, len, err) == -1 ||
	    gw_json_reader_end(r, err) == -1) {
		gw_jxi_json_error(r, o->origin, err);
		goto out;
	}
	rc = 0;
 out:
	gw_json_reader_free(r);
	return rc;
}

int
gw_jx_json_to_xml(const char *json, size_t len, const struct gw_jx_opts *o,
    struct gw_buf *out, struct gw_err *err)
{
	struct gw_jx_opts	 def;
	struct j2x		 c;
	int			 rc = -1;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	gw_jxi_out_init(&c.out, out, o);
	gw_buf_init(&c.key, 0);
	if (!(o->flags & GW_JX_NO_DECL) && gw_buf_puts(out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", err) == -1)
		goto out;
	if (gw_jxi_read_json(json, len, o, j2x_event, &c, err) == -1)
		goto out;
	if (gw_buf_putc(out, '\n', err) == -1 ||
	    gw_jxi_out_flush(&c.out, 1, err) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		gw_jxi_out_fail(&c.out);
	for (size_t i = 0; i < c.cap; i++)
		gw_jxi_keys_release(&c.frames[i].keys);
	free(c.frames);
	gw_buf_release(&c.key);
	return rc;
}

/*
 * JSON -> JSON, normalized.
 */

struct norm {
	const struct gw_jx_opts	*o;
	struct gw_jxi_out	 out;
	struct gw_jxi_jw	 w;
	struct gw_jxi_keys	*keys;		/* one set per open object */
	size_t			 nkeys, capkeys;
	int			*is_obj;
	size_t			 depth;
	size_t			 skip;
};

static int
norm_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct norm *c = arg;

	if (gw_jxi_skip(&c->skip, ev->type))
		return 0;
	switch (ev->type) {
	case GW_JSON_BEGIN_OBJECT:
	case GW_JSON_BEGIN_ARRAY:
		if (ev->type == GW_JSON_BEGIN_OBJECT) {
			if (c->nkeys == c->capkeys) {
				size_t			 n = c->capkeys * 2 + 8;
				struct gw_jxi_keys	*k;

				if ((k = reallocarray(c->keys, n,
				    sizeof(*k))) == NULL)
					return gw_err_set(err, GW_E_NOMEM,
					    "out of memory");
				for (size_t i = c->capkeys; i < n; i++)
					gw_jxi_keys_init(&k[i]);
				c->keys = k;
				c->capkeys = n;
			}
			gw_jxi_keys_reset(&c->keys[c->nkeys++]);
		}
		if (gw_jxi_jw_open(&c->w, ev->type == GW_JSON_BEGIN_OBJECT ?
		    '{' : '[', err) == -1)
			return -1;
		break;
	case GW_JSON_END_OBJECT:
		c->nkeys--;
		if (gw_jxi_jw_close(&c->w, '}', err) == -1)
			return -1;
		break;
	case GW_JSON_END_ARRAY:
		if (gw_jxi_jw_close(&c->w, ']', err) == -1)
			return -1;
		break;
	case GW_JSON_KEY: {
		int dup;

		if ((dup = gw_jxi_keys_add(&c->keys[c->nkeys - 1], ev->text.p,
		    ev->text.len, err)) == -1)
			return -1;
		if (dup && c->o->dup == GW_JX_DUP_REJECT)
			return gw_err_set(err, GW_E_PROTO, "duplicate key "
			    "'%.*s'", (int)GW_MIN(ev->text.len, 64),
			    ev->text.p);
		if (dup && c->o->dup == GW_JX_DUP_FIRST) {
			c->skip = 1;
			return 0;
		}
		if (gw_jxi_jw_key(&c->w, ev->text.p, ev->text.len, err) == -1)
			return -1;
		break;
	}
	case GW_JSON_STRING:
		if (gw_jxi_jw_string(&c->w, ev->text.p, ev->text.len, err) ==
		    -1)
			return -1;
		break;
	case GW_JSON_NUMBER:
		if (gw_jxi_jw_raw(&c->w, ev->text.p, ev->text.len, err) == -1)
			return -1;
		break;
	case GW_JSON_TRUE:
		if (gw_jxi_jw_raw(&c->w, "true", 4, err) == -1)
			return -1;
		break;
	case GW_JSON_FALSE:
		if (gw_jxi_jw_raw(&c->w, "false", 5, err) == -1)
			return -1;
		break;
	case GW_JSON_NULL:
		if (gw_jxi_jw_raw(&c->w, "null", 4, err) == -1)
			return -1;
		break;
	}
	return gw_jxi_out_flush(&c->out, 0, err);
}

int
gw_jx_json_normalize(const char *json, size_t len, const struct gw_jx_opts *o,
    struct gw_buf *out, struct gw_err *err)
{
	struct gw_jx_opts	 def;
	struct norm		 c;
	int			 rc = -1;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	gw_jxi_out_init(&c.out, out, o);
	if (gw_jxi_jw_init(&c.w, &c.out, o->flags & GW_JX_INDENT,
	    o->max_depth > 0 ? o->max_depth : GW_XML_MAX_DEPTH - 1, err) == -1)
		goto out;
	if (gw_jxi_read_json(json, len, o, norm_event, &c, err) == -1)
		goto out;
	if (gw_buf_putc(out, '\n', err) == -1 ||
	    gw_jxi_out_flush(&c.out, 1, err) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		gw_jxi_out_fail(&c.out);
	gw_jxi_jw_release(&c.w);
	for (size_t i = 0; i < c.capkeys; i++)
		gw_jxi_keys_release(&c.keys[i]);
	free(c.keys);
	return rc;
}

/*
 * Lossless: XML -> JSON.
 */

enum fn_kind {
	FN_MAP,
	FN_ARRAY,
	FN_STRING,
	FN_NUMBER,
	FN_BOOLEAN,
	FN_NULL
};

static const char *const fn_names[] = {
	"map", "array", "string", "number", "boolean", "null", NULL
};

struct x2j_frame {
	enum fn_kind		kind;
	int			escaped;
	int			skipped;	/* a duplicate dropped */
	struct gw_jxi_keys	keys;
};

struct x2j {
	const struct gw_jx_opts	*o;
	struct gw_jxi_out	 out;
	struct gw_jxi_jw	 w;
	struct x2j_frame	*frames;
	size_t			 n, cap;
	struct gw_buf		 text;		/* of the open scalar */
	struct gw_buf		 key;
	size_t			 skip;		/* inside a dropped member */
};

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
all_space(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space((unsigned char)p[i]))
			return 0;
	return 1;
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

static int
put_utf8(struct gw_buf *b, uint32_t c, struct gw_err *err)
{
	char	u[4];
	size_t	n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return gw_buf_append(b, u, n, err);
}

/* Resolve the JSON escapes of an escaped string or key into out. */
int
gw_jxi_unescape(const char *p, size_t len, struct gw_buf *out,
    struct gw_err *err)
{
	size_t i = 0;

	while (i < len) {
		const char	*bs = memchr(p + i, '\\', len - i);
		size_t		 run = (bs == NULL ? p + len : bs) - (p + i);
		uint32_t	 c = 0, lo = 0;

		if (gw_buf_append(out, p + i, run, err) == -1)
			return -1;
		i += run;
		if (bs == NULL)
			break;
		if (i + 1 >= len)
			return gw_err_set(err, GW_E_PROTO, "escaped text ends "
			    "in a backslash");
		i += 2;
		switch (p[i - 1]) {
		case '"':
		case '\\':
		case '/':
			c = (unsigned char)p[i - 1];
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			for (int k = 0; k < 4; k++) {
				int h = i < len ? hexval((unsigned char)p[i]) :
				    -1;

				if (h < 0)
					return gw_err_set(err, GW_E_PROTO,
					    "bad \\u escape in escaped text");
				c = c * 16 + (uint32_t)h;
				i++;
			}
			if (c >= 0xdc00 && c <= 0xdfff)
				return gw_err_set(err, GW_E_PROTO, "lone "
				    "surrogate \\u%04x in escaped text", c);
			if (c >= 0xd800 && c <= 0xdbff) {
				if (i + 6 > len || p[i] != '\\' ||
				    p[i + 1] != 'u')
					return gw_err_set(err, GW_E_PROTO,
					    "lone surrogate \\u%04x in escaped "
					    "text", c);
				for (int k = 2; k < 6; k++) {
					int h = hexval((unsigned char)p[i + k]);

					if (h < 0)
						return gw_err_set(err,
						    GW_E_PROTO, "bad \\u "
						    "escape in escaped text");
					lo = lo * 16 + (uint32_t)h;
				}
				if (lo < 0xdc00 || lo > 0xdfff)
					return gw_err_set(err, GW_E_PROTO,
					    "lone surrogate \\u%04x in escaped "
					    "text", c);
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			break;
		default:
			return gw_err_set(err, GW_E_PROTO, "bad escape '\\%c' "
			    "in escaped text", p[i - 1]);
		}
		if (put_utf8(out, c, err) == -1)
			return -1;
	}
	return 0;
}

static int
x2j_push(struct x2j *c, enum fn_kind kind, struct gw_err *err)
{
	struct x2j_frame *f;

	if (c->n == c->cap) {
		size_t n = c->cap == 0 ? 8 : c->cap * 2;

		if ((f = reallocarray(c->frames, n, sizeof(*f))) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		c->frames = f;
		for (size_t i = c->cap; i < n; i++)
			gw_jxi_keys_init(&c->frames[i].keys);
		c->cap = n;
	}
	f = &c->frames[c->n++];
	f->kind = kind;
	f->escaped = 0;
	f->skipped = 0;
	gw_jxi_keys_reset(&f->keys);
	return 0;
}

static int
true_attr(const char *v, int *out)
{
	size_t		 n;
	const char	*p = v;

	while (is_space((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n > 0 && is_space((unsigned char)p[n - 1]))
		n--;
	if ((n == 4 && memcmp(p, "true", 4) == 0) ||
	    (n == 1 && p[0] == '1'))
		*out = 1;
	else if ((n == 5 && memcmp(p, "false", 5) == 0) ||
	    (n == 1 && p[0] == '0'))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
x2j_start(void *arg, const struct gw_xml_start *e, struct gw_err *err)
{
	struct x2j		*c = arg;
	struct x2j_frame	*parent = c->n > 0 ? &c->frames[c->n - 1] :
				    NULL;
	const char		*key = NULL;
	int			 escaped_key = 0, escaped = 0, has_escaped = 0;
	enum fn_kind		 kind;
	size_t			 k;

	if (c->skip > 0) {
		c->skip++;
		return 0;
	}
	if (e->uri == NULL || strcmp(e->uri, GW_XML_NS_FN) != 0)
		return gw_err_set(err, GW_E_PROTO, "element '%s' is not in the "
		    "namespace " GW_XML_NS_FN, e->local);
	for (k = 0; fn_names[k] != NULL; k++)
		if (strcmp(e->local, fn_names[k]) == 0)
			break;
	if (fn_names[k] == NULL)
		return gw_err_set(err, GW_E_PROTO, "unknown element '%s' (map, "
		    "array, string, number, boolean or null)", e->local);
	kind = (enum fn_kind)k;
	if (parent != NULL && parent->kind != FN_MAP &&
	    parent->kind != FN_ARRAY)
		return gw_err_set(err, GW_E_PROTO, "element '%s' inside a %s",
		    e->local, fn_names[parent->kind]);
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct gw_xml_attr *a = &e->attrs[i];

		if (a->uri != NULL)
			continue;	/* attributes in namespaces: ignored */
		if (strcmp(a->local, "key") == 0)
			key = a->value;
		else if (strcmp(a->local, "escaped-key") == 0) {
			if (true_attr(a->value, &escaped_key) == -1)
				return gw_err_set(err, GW_E_PROTO, "escaped-key "
				    "is '%.32s', not a boolean", a->value);
		} else if (strcmp(a->local, "escaped") == 0) {
			if (kind != FN_STRING)
				return gw_err_set(err, GW_E_PROTO, "attribute "
				    "escaped on a %s", e->local);
			if (true_attr(a->value, &escaped) == -1)
				return gw_err_set(err, GW_E_PROTO, "escaped is "
				    "'%.32s', not a boolean", a->value);
			has_escaped = 1;
		} else
			return gw_err_set(err, GW_E_PROTO, "unknown attribute "
			    "'%s' on %s", a->local, e->local);
	}
	(void)has_escaped;
	if (parent != NULL && parent->kind == FN_MAP) {
		int dup;

		if (key == NULL)
			return gw_err_set(err, GW_E_PROTO, "%s in a map has no "
			    "key attribute", e->local);
		gw_buf_reset(&c->key);
		if (escaped_key) {
			if (gw_jxi_unescape(key, strlen(key), &c->key, err) ==
			    -1)
				return -1;
		} else if (gw_buf_puts(&c->key, key, err) == -1)
			return -1;
		if ((dup = gw_jxi_keys_add(&parent->keys, c->key.p != NULL ?
		    c->key.p : "", c->key.len, err)) == -1)
			return -1;
		if (dup && c->o->dup == GW_JX_DUP_REJECT)
			return gw_err_set(err, GW_E_PROTO, "duplicate key "
			    "'%.*s'", (int)GW_MIN(c->key.len, 64),
			    c->key.p);
		if (dup && c->o->dup == GW_JX_DUP_FIRST) {
			c->skip = 1;
			return 0;
		}
		if (gw_jxi_jw_key(&c->w, c->key.p != NULL ? c->key.p : "",
		    c->key.len, err) == -1)
			return -1;
	} else if (key != NULL)
		return gw_err_set(err, GW_E_PROTO, "%s %s has a key attribute",
		    e->local, parent == NULL ? "at the top" : "in an array");
	if (x2j_push(c, kind, err) == -1)
		return -1;
	c->frames[c->n - 1].escaped = escaped;
	gw_buf_reset(&c->text);
	if (kind == FN_MAP)
		return gw_jxi_jw_open(&c->w, '{', err);
	if (kind == FN_ARRAY)
		return gw_jxi_jw_open(&c->w, '[', err);
	return 0;
}

static int
x2j_text(void *arg, const char *p, size_t len, struct gw_err *err)
{
	struct x2j		*c = arg;
	struct x2j_frame	*f;

	if (c->skip > 0)
		return 0;
	f = &c->frames[c->n - 1];
	if (f->kind == FN_MAP || f->kind == FN_ARRAY) {
		if (!all_space(p, len))
			return gw_err_set(err, GW_E_PROTO, "text in a %s",
			    fn_names[f->kind]);
		return 0;
	}
	return gw_buf_append(&c->text, p, len, err);
}

static int
x2j_end(void *arg, struct gw_err *err)
{
	struct x2j		*c = arg;
	struct x2j_frame	*f;
	const char		*p;
	size_t			 len;
	int			 b;

	if (c->skip > 0) {
		c->skip--;
		return 0;
	}
	f = &c->frames[--c->n];
	p = c->text.p != NULL ? c->text.p : "";
	len = c->text.len;
	switch (f->kind) {
	case FN_MAP:
		if (gw_jxi_jw_close(&c->w, '}', err) == -1)
			return -1;
		break;
	case FN_ARRAY:
		if (gw_jxi_jw_close(&c->w, ']', err) == -1)
			return -1;
		break;
	case FN_STRING:
		if (f->escaped) {
			struct gw_buf u;
			int rc;

			gw_buf_init(&u, 0);
			rc = gw_jxi_unescape(p, len, &u, err) == -1 ? -1 :
			    gw_jxi_jw_string(&c->w, u.p != NULL ? u.p : "",
			    u.len, err);
			gw_buf_release(&u);
			if (rc == -1)
				return -1;
		} else if (gw_jxi_jw_string(&c->w, p, len, err) == -1)
			return -1;
		break;
	case FN_NUMBER:
		while (len > 0 && is_space((unsigned char)*p))
			p++, len--;
		while (len > 0 && is_space((unsigned char)p[len - 1]))
			len--;
		if (len == 0 || gw_jxi_number_len(p, len) != len)
			return gw_err_set(err, GW_E_PROTO, "number '%.*s' is "
			    "not a JSON number", (int)GW_MIN(len, 40), p);
		if (gw_jxi_jw_raw(&c->w, p, len, err) == -1)
			return -1;
		break;
	case FN_BOOLEAN: {
		char tmp[16];

		if (len >= sizeof(tmp))
			return gw_err_set(err, GW_E_PROTO, "boolean is not "
			    "true or false");
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		if (true_attr(tmp, &b) == -1)
			return gw_err_set(err, GW_E_PROTO, "boolean '%s' is not "
			    "true or false", tmp);
		if (gw_jxi_jw_raw(&c->w, b ? "true" : "false", b ? 4 : 5,
		    err) == -1)
			return -1;
		break;
	}
	case FN_NULL:
		if (!all_space(p, len))
			return gw_err_set(err, GW_E_PROTO, "null is not empty");
		if (gw_jxi_jw_raw(&c->w, "null", 4, err) == -1)
			return -1;
		break;
	}
	gw_buf_reset(&c->text);
	return gw_jxi_out_flush(&c->out, 0, err);
}

int
gw_jx_xml_to_json(const char *xml, size_t len, const struct gw_jx_opts *o,
    struct gw_buf *out, struct gw_err *err)
{
	static const struct gw_xml_handler h = { x2j_start, x2j_end, x2j_text };
	struct gw_jx_opts	 def;
	struct gw_xml_limits	 lim;
	struct x2j		 c;
	int			 rc = -1;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	gw_buf_init(&c.text, 0);
	gw_buf_init(&c.key, 0);
	gw_jxi_out_init(&c.out, out, o);
	memset(&lim, 0, sizeof(lim));
	lim.max_depth = o->max_depth > 0 ? o->max_depth + 1 : 0;
	if (gw_jxi_jw_init(&c.w, &c.out, o->flags & GW_JX_INDENT,
	    GW_XML_MAX_DEPTH, err) == -1)
		goto out;
	if ((o->sax != NULL ? o->sax(o->sax_arg, xml, len, o->origin, &lim,
	    &h, &c, err) : gw_xml_sax(xml, len, o->origin, &lim, &h, &c,
	    err)) == -1)
		goto out;
	if (gw_buf_putc(out, '\n', err) == -1 ||
	    gw_jxi_out_flush(&c.out, 1, err) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1)
		gw_jxi_out_fail(&c.out);
	gw_jxi_jw_release(&c.w);
	for (size_t i = 0; i < c.cap; i++)
		gw_jxi_keys_release(&c.frames[i].keys);
	free(c.frames);
	gw_buf_release(&c.text);
	gw_buf_release(&c.key);
	return rc;
}
