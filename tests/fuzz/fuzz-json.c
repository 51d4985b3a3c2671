/*
 * fuzz-json.c: the streaming JSON reader.
 *
 * The first two bytes choose the flags, the limits and how to cut the
 * rest, which is the document.  The document is read twice, whole and in
 * pieces of varying sizes (empty ones too); both runs must give the same
 * events, the same verdict, the same error and the same position.  Each
 * event is checked against the input: its position (offset, line, column)
 * points at a byte that can start it, a number's text is the input's,
 * strings are valid UTF-8, depths and offsets are consistent.  A broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gw.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const uint8_t	*doc;
	size_t		 len;
	int		 bom;		/* a byte order mark was skipped */
	/* Where the last event was, and its line's start. */
	uint64_t	 at, line_start;
	unsigned	 line;
	size_t		 depth;		/* open containers */
	char		 kind[GW_MAX_JSON_DEPTH];	/* '{' or '[' */
	size_t		 events;
	uint64_t	 hash;
};

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-json: %s\n", what);
	abort();
}

static void
mix(struct check *c, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		c->hash = (c->hash ^ b[i]) * 0x100000001b3ULL;
}

/* 1 if p[0..n) is valid UTF-8 (NUL allowed). */
static int
valid_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned	c = p[i], need, lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if (p[i + k] < lo || p[i + k] > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
		i += need + 1;
	}
	return 1;
}

static int
on_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct check	*c = arg;
	unsigned char	 first;
	uint64_t	 col;

	(void)err;
	if (ev->offset >= c->len || ev->offset < c->at)
		fail("event offset out of order");
	/* Count lines up to the event. */
	for (; c->at < ev->offset; c->at++)
		if (c->doc[c->at] == '\n') {
			c->line++;
			c->line_start = c->at + 1;
		}
	col = ev->offset - c->line_start + 1;
	if (c->bom && c->line == 1)
		col -= 3;
	if (ev->line != c->line || ev->col != col)
		fail("event line or column wrong");
	first = c->doc[ev->offset];
	if (ev->text.p == NULL)
		fail("NULL text");
	switch (ev->type) {
	case GW_JSON_BEGIN_OBJECT:
	case GW_JSON_BEGIN_ARRAY:
		if (first != (ev->type == GW_JSON_BEGIN_OBJECT ? '{' : '[') ||
		    ev->depth != c->depth || ev->text.len != 0)
			fail("bad begin event");
		if (c->depth >= sizeof(c->kind))
			fail("nesting past the limit");
		c->kind[c->depth++] = (char)first;
		break;
	case GW_JSON_END_OBJECT:
	case GW_JSON_END_ARRAY:
		if (first != (ev->type == GW_JSON_END_OBJECT ? '}' : ']') ||
		    c->depth == 0 || ev->depth != c->depth - 1 ||
		    ev->text.len != 0)
			fail("bad end event");
		if (c->kind[--c->depth] != (first == '}' ? '{' : '['))
			fail("mismatched brackets accepted");
		break;
	case GW_JSON_KEY:
	case GW_JSON_STRING:
		if (first != '"' || ev->depth != c->depth ||
		    (ev->type == GW_JSON_KEY && (c->depth == 0 ||
		    c->kind[c->depth - 1] != '{')))
			fail("bad string event");
		if (!valid_utf8((const unsigned char *)ev->text.p,
		    ev->text.len))
			fail("string is not UTF-8");
		break;
	case GW_JSON_NUMBER:
		if (ev->depth != c->depth || ev->text.len == 0 ||
		    ev->text.len > c->len - ev->offset ||
		    memcmp(ev->text.p, c->doc + ev->offset, ev->text.len) != 0)
			fail("number text differs from the input");
		break;
	case GW_JSON_TRUE:
	case GW_JSON_FALSE:
	case GW_JSON_NULL:
		if (first != "tfn"[ev->type - GW_JSON_TRUE] ||
		    ev->depth != c->depth || ev->text.len != 0)
			fail("bad literal event");
		break;
	default:
		fail("unknown event type");
	}
	c->events++;
	mix(c, &ev->type, sizeof(ev->type));
	mix(c, &ev->depth, sizeof(ev->depth));
	mix(c, &ev->offset, sizeof(ev->offset));
	mix(c, &ev->text.len, sizeof(ev->text.len));
	mix(c, ev->text.p, ev->text.len);
	return 0;
}

struct outcome {
	int		 rc;
	struct gw_err	 err;
	unsigned	 line, col;
	uint64_t	 off;
	size_t		 events;
	uint64_t	 hash;
};

/*
 * Read doc[0..len) cut into pieces by the generator seed (0: whole).
 */
static void
read_doc(const uint8_t *doc, size_t len, unsigned flags,
    const struct gw_json_limits *lim, uint32_t seed, struct outcome *o)
{
	struct gw_json_reader	*r;
	struct check		 c;
	size_t			 at = 0;

	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.len = len;
	c.line = 1;
	c.hash = 0xcbf29ce484222325ULL;
	c.bom = (flags & GW_JSON_BOM) && len >= 3 &&
	    memcmp(doc, "\xef\xbb\xbf", 3) == 0;
	memset(o, 0, sizeof(*o));
	if ((r = gw_json_reader_new(flags, lim, on_event, &c,
	    &o->err)) == NULL)
		fail("gw_json_reader_new");
	o->rc = 0;
	while (o->rc == 0 && at < len) {
		size_t n = len - at;

		if (seed != 0) {
			/* xorshift: pieces of 0 to 16 bytes, or up to 255 */
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			n = seed & 0x100 ? (seed >> 9) % 256 : (seed >> 9) % 17;
			if (n > len - at)
				n = len - at;
		}
		o->rc = gw_json_reader_feed(r, (const char *)doc + at, n,
		    &o->err);
		at += n;
	}
	if (o->rc == 0)
		o->rc = gw_json_reader_end(r, &o->err);
	gw_json_reader_pos(r, &o->line, &o->col, &o->off);
	if (o->rc == 0 && c.depth != 0)
		fail("accepted with containers open");
	if (o->rc == -1 && o->err.code != GW_E_PROTO &&
	    o->err.code != GW_E_LIMIT)
		fail("an error that is neither GW_E_PROTO nor GW_E_LIMIT");
	if (o->off > len)
		fail("error position past the end");
	o->events = c.events;
	o->hash = c.hash;
	gw_json_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_json_limits	lim;
	struct outcome		whole, cut;
	unsigned		flags;
	uint32_t		seed;

	if (size < 2)
		return 0;
	flags = data[0] & (GW_JSON_COMMENTS | GW_JSON_MULTI | GW_JSON_BOM);
	memset(&lim, 0, sizeof(lim));
	if (data[0] & 0x08) {
		/* Small limits, so that each can be hit. */
		lim.max_depth = 1 + (data[1] & 7);
		lim.max_string = 1 + (data[1] >> 3 & 15);
		lim.max_key = 1 + (data[1] >> 2 & 7);
		lim.max_number = 1 + (data[1] >> 4 & 7);
		lim.max_entries = 1 + (data[1] & 3);
		lim.max_items = 1 + (data[1] >> 5);
		lim.max_bytes = data[1] & 0x80 ? size / 2 : 0;
	}
	seed = (uint32_t)data[1] << 8 | (data[0] | 1u) | (uint32_t)size << 16;
	read_doc(data + 2, size - 2, flags, &lim, 0, &whole);
	read_doc(data + 2, size - 2, flags, &lim, seed, &cut);
	if (whole.rc != cut.rc || whole.events != cut.events ||
	    whole.hash != cut.hash)
		fail("pieces give other events or another verdict");
	if (whole.rc == -1 && (whole.err.code != cut.err.code ||
	    strcmp(whole.err.msg, cut.err.msg) != 0 ||
	    whole.line != cut.line || whole.col != cut.col ||
	    whole.off != cut.off))
		fail("pieces give another error");
	return 0;
}
