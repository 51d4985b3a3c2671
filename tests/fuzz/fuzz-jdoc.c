/*
 * fuzz-jdoc.c: json-c documents with positions (gw_jdoc_parse).
 *
 * The first byte chooses the flags, the rest is the document.  When it
 * parses: every value and key has a position, and the byte there can start
 * it; the tree serialised by gw_jv_serialize() parses again into a tree
 * that serialises the same (number text and all).  When it does not: the
 * message starts with "fuzz:LINE:COL: " or is "out of memory".  A broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const struct gw_jdoc	*d;
	const uint8_t		*doc;
	size_t			 len;
	int			 bom;
};

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-jdoc: %s\n", what);
	abort();
}

/* The byte at line:col, or -1 if there is none. */
static int
byte_at(const struct walk *w, unsigned line, unsigned col)
{
	size_t i = 0;

	if (line == 0 || col == 0)
		return -1;
	for (unsigned l = 1; l < line; l++) {
		const uint8_t *nl = memchr(w->doc + i, '\n', w->len - i);

		if (nl == NULL)
			return -1;
		i = (size_t)(nl - w->doc) + 1;
	}
	if (line == 1 && w->bom)
		i += 3;
	if (col - 1 >= w->len - i)
		return -1;
	return w->doc[i + col - 1];
}

static void
check_value(const struct walk *w, struct json_object *o)
{
	unsigned	line, col;
	int		c;

	if (o == NULL)
		return;
	if (gw_jdoc_pos(w->d, o, &line, &col) == -1)
		fail("a value without a position");
	c = byte_at(w, line, col);
	switch (gw_jv_type(o)) {
	case GW_JT_OBJECT:
		if (c != '{')
			fail("an object's position is not at '{'");
		break;
	case GW_JT_ARRAY:
		if (c != '[')
			fail("an array's position is not at '['");
		break;
	case GW_JT_STRING:
		if (c != '"')
			fail("a string's position is not at '\"'");
		break;
	case GW_JT_INT:
	case GW_JT_DOUBLE:
		if (c != '-' && (c < '0' || c > '9'))
			fail("a number's position is not at a digit");
		break;
	case GW_JT_BOOL:
		if (c != (gw_jv_bool(o) ? 't' : 'f'))
			fail("a boolean's position is not at 't' or 'f'");
		break;
	case GW_JT_NULL:
		fail("a null value that is not NULL");
	}
}

static void
walk(const struct walk *w, struct json_object *o, int depth)
{
	struct gw_jv_iter	 it;
	struct json_object	*v;
	const char		*k;
	unsigned		 line, col;
	size_t			 n = 0;

	if (depth > GW_MAX_JSON_DEPTH + 1)
		fail("tree deeper than the limit");
	check_value(w, o);
	if (gw_jv_type(o) == GW_JT_ARRAY) {
		for (size_t i = 0; i < gw_jv_len(o); i++)
			walk(w, gw_jv_at(o, i), depth + 1);
	} else if (gw_jv_type(o) == GW_JT_OBJECT) {
		gw_jv_iter_init(&it, o);
		while (gw_jv_iter_next(&it, &k, &v)) {
			if (gw_jdoc_key_pos(w->d, o, k, &line, &col) == -1)
				fail("a key without a position");
			if (byte_at(w, line, col) != '"')
				fail("a key's position is not at '\"'");
			if (gw_jv_get(o, k, NULL) != 1)
				fail("a key not found");
			walk(w, v, depth + 1);
			n++;
		}
		if (n != gw_jv_len(o))
			fail("member count");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_jdoc	*d = NULL, *d2 = NULL;
	struct gw_err	 err;
	struct gw_buf	 text, again;
	struct walk	 w;
	unsigned	 flags;
	unsigned	 line, col;
	int		 n;

	if (size < 1)
		return 0;
	flags = data[0] & (GW_JSON_COMMENTS | GW_JSON_MULTI | GW_JSON_BOM);
	if (gw_jdoc_parse((const char *)data + 1, size - 1, "fuzz", flags, &d,
	    &err) == -1) {
		if (d != NULL)
			fail("*out set on error");
		if (err.code != GW_E_NOMEM && (sscanf(err.msg,
		    "fuzz:%u:%u: %n", &line, &col, &n) != 2 || n == 0 ||
		    line == 0 || col == 0))
			fail("an error message without a position");
		return 0;
	}
	if (strcmp(gw_jdoc_origin(d), "fuzz") != 0)
		fail("origin");
	w.d = d;
	w.doc = data + 1;
	w.len = size - 1;
	w.bom = (flags & GW_JSON_BOM) && w.len >= 3 &&
	    memcmp(w.doc, "\xef\xbb\xbf", 3) == 0;
	if (flags & GW_JSON_MULTI) {
		struct json_object *root = gw_jdoc_root(d);

		if (gw_jv_type(root) != GW_JT_ARRAY)
			fail("GW_JSON_MULTI: the root is not an array");
		for (size_t i = 0; i < gw_jv_len(root); i++)
			walk(&w, gw_jv_at(root, i), 1);
	} else
		walk(&w, gw_jdoc_root(d), 0);

	/* Serialise, parse again, serialise again: the same text. */
	gw_buf_init(&text, 0);
	gw_buf_init(&again, 0);
	if (gw_jv_serialize(gw_jdoc_root(d), &text, &err) == -1)
		fail(err.msg);
	if (gw_jdoc_parse(text.p, text.len, "again", 0, &d2, &err) == -1) {
		(void)fprintf(stderr, "%.*s\n%s\n", (int)text.len, text.p,
		    err.msg);
		fail("serialised output does not parse again");
	}
	if (gw_jv_serialize(gw_jdoc_root(d2), &again, &err) == -1)
		fail(err.msg);
	if (!gw_str_eq(gw_buf_str(&text), gw_buf_str(&again))) {
		(void)fprintf(stderr, "%.*s\n%.*s\n", (int)text.len, text.p,
		    (int)again.len, again.p);
		fail("the round trip changed the document");
	}
	gw_buf_release(&text);
	gw_buf_release(&again);
	gw_jdoc_free(d2);
	gw_jdoc_free(d);
	return 0;
}
