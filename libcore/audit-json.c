/*
 * audit-json.c: JSON structure limits and rules, over the streaming reader.
 *
 * The reader (json.h) checks the syntax, the encoding (invalid UTF-8, lone
 * surrogates) and the limits that bound its memory: the length of one
 * string, key or number.  Depth, members per object and elements per array
 * are counted here, so that a document over them is reported once per
 * limit and still read to the end for its well-formedness (a scan asked to
 * stop at the first finding stops there).  Memory stays bounded: the reader
 * holds one token, this file one frame per open container (with the
 * hashes of its keys when duplicates are refused), and the JSON Pointer of
 * the current value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"

/* Containers deeper than this are counted but not tracked. */
#define TRACK_MAX	256
/* The reader's own cap on nesting, past every sane limit. */
#define HARD_DEPTH	(1024 * 1024)
/* Bytes of a key kept in a JSON Pointer. */
#define SEG_MAX		256

enum jonce {
	ONCE_DEPTH = 1 << 0,
	ONCE_ENTRIES = 1 << 1,
	ONCE_ITEMS = 1 << 2
};

struct jframe {
	int		 obj;
	uint64_t	 n;		/* members or elements so far */
	size_t		 mark;		/* pointer length at this container */
	uint64_t	*keys;		/* hashes, open addressing; 0 empty */
	size_t		 nkeys, capkeys;
};

struct audit_json {
	struct gw_json_reader	*r;
	struct jframe		*st;
	size_t			 depth;	/* open containers */
	size_t			 cap;
	unsigned		 once;
	uint64_t		 seed;
};

static uint64_t
key_hash(uint64_t seed, const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h == 0 ? 1 : h;
}

/* 1 if the key was already there; -1 on out of memory. */
static int
key_seen(struct jframe *f, uint64_t h)
{
	size_t i;

	if ((f->nkeys + 1) * 2 > f->capkeys) {
		size_t		 nc = f->capkeys == 0 ? 16 : f->capkeys * 2;
		uint64_t	*nk = calloc(nc, sizeof(*nk));

		if (nk == NULL)
			return -1;
		for (size_t k = 0; k < f->capkeys; k++) {
			if (f->keys[k] == 0)
				continue;
			for (i = f->keys[k] & (nc - 1); nk[i] != 0;
			    i = (i + 1) & (nc - 1))
				;
			nk[i] = f->keys[k];
		}
		free(f->keys);
		f->keys = nk;
		f->capkeys = nc;
	}
	for (i = h & (f->capkeys - 1); f->keys[i] != 0;
	    i = (i + 1) & (f->capkeys - 1))
		if (f->keys[i] == h)
			return 1;
	f->keys[i] = h;
	f->nkeys++;
	return 0;
}

/* Append one JSON Pointer segment (~ and / escaped, long keys cut). */
static int
ptr_seg(struct gw_buf *b, const char *p, size_t n)
{
	if (gw_buf_putc(b, '/', NULL) == -1)
		return -1;
	if (n > SEG_MAX)
		n = SEG_MAX;
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (p[i] == '~')
			rc = gw_buf_append(b, "~0", 2, NULL);
		else if (p[i] == '/')
			rc = gw_buf_append(b, "~1", 2, NULL);
		else if (p[i] == '\0')
			rc = gw_buf_append(b, "\\u0000", 6, NULL);
		else
			rc = gw_buf_putc(b, p[i], NULL);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static const char *
ptr(struct gw_audit_scan *s)
{
	const char *p = gw_buf_cstr(&s->where, NULL);

	return p == NULL ? "" : p;
}

/* Set the pointer to the value that starts now in the current container. */
static void
ptr_value(struct gw_audit_scan *s, struct audit_json *j,
    const struct gw_json_event *ev)
{
	struct jframe *f;

	if (j->depth == 0 || j->depth > TRACK_MAX)
		return;
	f = &j->st[j->depth - 1];
	s->where.len = f->mark;
	if (!f->obj) {
		char num[24];
		int n = snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)(f->n - 1));

		(void)ptr_seg(&s->where, num, (size_t)n);
	} else if (ev != NULL)
		(void)ptr_seg(&s->where, ev->text.p, ev->text.len);
}

static int
on_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct gw_audit_scan	*s = arg;
	struct audit_json	*j = s->json;
	struct jframe		*f = j->depth > 0 && j->depth <= TRACK_MAX ?
				    &j->st[j->depth - 1] : NULL;
	const struct gw_audit_limits *l = &s->lim;

	if (s->stopped)
		return gw_err_set(err, GW_E_INTERNAL, "stopped");
	/* every value of an array is an element */
	if (f != NULL && !f->obj && ev->type != GW_JSON_END_ARRAY &&
	    ev->type != GW_JSON_END_OBJECT && ev->type != GW_JSON_KEY) {
		f->n++;
		ptr_value(s, j, NULL);
		if (l->max_json_items > 0 && f->n > l->max_json_items &&
		    !(j->once & ONCE_ITEMS)) {
			j->once |= ONCE_ITEMS;
			if (audit_limit(s, "json-items", ptr(s), ev->line,
			    ev->col, "array with more than %llu elements",
			    (unsigned long long)l->max_json_items) == -1)
				goto stop;
		}
	}
	switch (ev->type) {
	case GW_JSON_BEGIN_OBJECT:
	case GW_JSON_BEGIN_ARRAY:
		if (l->max_json_depth > 0 && ev->depth + 1 > l->max_json_depth &&
		    !(j->once & ONCE_DEPTH)) {
			j->once |= ONCE_DEPTH;
			if (audit_limit(s, "json-depth", ptr(s), ev->line,
			    ev->col, "nesting deeper than %llu",
			    (unsigned long long)l->max_json_depth) == -1)
				goto stop;
		}
		if (j->depth < TRACK_MAX) {
			if (j->depth == j->cap) {
				size_t		 nc = j->cap == 0 ? 8 :
						    j->cap * 2;
				struct jframe	*ns;

				if ((ns = reallocarray(j->st, nc,
				    sizeof(*ns))) == NULL)
					return gw_err_set(err, GW_E_NOMEM,
					    "out of memory");
				memset(ns + j->cap, 0, (nc - j->cap) *
				    sizeof(*ns));
				j->st = ns;
				j->cap = nc;
			}
			f = &j->st[j->depth];
			f->obj = ev->type == GW_JSON_BEGIN_OBJECT;
			f->n = 0;
			f->mark = s->where.len;
			f->nkeys = 0;
			if (f->keys != NULL)
				memset(f->keys, 0, f->capkeys *
				    sizeof(*f->keys));
		}
		j->depth++;
		break;
	case GW_JSON_END_OBJECT:
	case GW_JSON_END_ARRAY:
		if (j->depth > 0)
			j->depth--;
		if (j->depth < TRACK_MAX) {
			s->where.len = j->st[j->depth].mark;
			if (j->st[j->depth].capkeys > 1024) {
				free(j->st[j->depth].keys);
				j->st[j->depth].keys = NULL;
				j->st[j->depth].capkeys = 0;
			}
		}
		break;
	case GW_JSON_KEY:
		if (f == NULL)
			break;
		f->n++;
		ptr_value(s, j, ev);
		if (l->max_json_entries > 0 && f->n > l->max_json_entries &&
		    !(j->once & ONCE_ENTRIES)) {
			j->once |= ONCE_ENTRIES;
			if (audit_limit(s, "json-entries", ptr(s), ev->line,
			    ev->col, "object with more than %llu members",
			    (unsigned long long)l->max_json_entries) == -1)
				goto stop;
		}
		if (!l->json_duplicate_keys && (l->max_json_entries == 0 ||
		    f->n <= l->max_json_entries)) {
			int seen = key_seen(f, key_hash(j->seed, ev->text.p,
			    ev->text.len));

			if (seen == -1)
				return gw_err_set(err, GW_E_NOMEM,
				    "out of memory");
			if (seen && audit_report(s, GW_AUDIT_LIMIT,
			    "json-duplicate-key", GW_AUDIT_ERROR, 400, ptr(s),
			    ev->line, ev->col, GW_STR_NULL,
			    "duplicate member name") == -1)
				goto stop;
		}
		audit_value_begin(s);
		if (audit_match(s, AT_JSON_KEY, ev->text, ev->text.p,
		    ev->text.len, ptr(s), ev->line, ev->col) == -1)
			goto stop;
		break;
	case GW_JSON_STRING:
		audit_value_begin(s);
		if (audit_match(s, AT_JSON_VALUE, GW_STR_NULL, ev->text.p,
		    ev->text.len, ptr(s), ev->line, ev->col) == -1)
			goto stop;
		break;
	default:
		break;
	}
	return 0;
 stop:
	if (s->failed)
		*err = s->ferr;
	else
		gw_err_set(err, GW_E_INTERNAL, "stopped");
	return -1;
}

int
audit_json_new(struct gw_audit_scan *s, struct gw_err *err)
{
	struct gw_json_limits	 jl;
	struct audit_json	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	memset(&jl, 0, sizeof(jl));
	jl.max_depth = s->lim.max_json_depth > 0 && (s->o.flags &
	    GW_AUDIT_FIRST) ? s->lim.max_json_depth + 1 : HARD_DEPTH;
	jl.max_string = s->lim.max_json_string;
	jl.max_key = s->lim.max_json_key;
	jl.max_number = s->lim.max_json_number;
	j->seed = (uint64_t)(uintptr_t)j * 0x9e3779b97f4a7c15ULL;
	if ((j->r = gw_json_reader_new(GW_JSON_BOM, &jl, on_event, s,
	    err)) == NULL) {
		free(j);
		return -1;
	}
	s->json = j;
	gw_buf_reset(&s->where);
	return 0;
}

/* The reader failed: say why, as a finding. */
static int
reader_failed(struct gw_audit_scan *s, const struct gw_err *e)
{
	static const struct {
		const char	*prefix;
		const char	*id;
	} map[] = {
		{ "string longer", "json-string-length" },
		{ "key longer", "json-key-length" },
		{ "number longer", "json-number-length" },
		{ "nesting deeper", "json-depth" },
		{ "object with more", "json-entries" },
		{ "array with more", "json-items" },
		{ "input longer", "size" },
	};
	unsigned	line, col;
	const char	*id = NULL;

	if (s->stopped)
		return s->failed ? -1 : 0;
	if (e->code == GW_E_NOMEM)
		return audit_fail(s, e);
	gw_json_reader_pos(s->json->r, &line, &col, NULL);
	if (e->code == GW_E_LIMIT) {
		for (size_t i = 0; i < GW_ARRAY_LEN(map); i++)
			if (strncmp(e->msg, map[i].prefix,
			    strlen(map[i].prefix)) == 0)
				id = map[i].id;
		if (id == NULL)
			id = "json-limit";
		(void)audit_limit(s, id, ptr(s), line, col, "%s", e->msg);
	} else {
		if (strstr(e->msg, "UTF-8") != NULL ||
		    strstr(e->msg, "surrogate") != NULL)
			id = "json-encoding";
		else
			id = "json-malformed";
		(void)audit_report(s, GW_AUDIT_MALFORMED, id, GW_AUDIT_ERROR,
		    400, ptr(s), line, col, GW_STR_NULL, "not well-formed "
		    "JSON: %s", e->msg);
	}
	s->stopped = 1;
	s->res.stopped = 1;
	return 0;
}

int
audit_json_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	struct gw_err err;

	if (gw_json_reader_feed(s->json->r, p, len, &err) == -1)
		return reader_failed(s, &err);
	return 0;
}

int
audit_json_end(struct gw_audit_scan *s)
{
	struct gw_err err;

	if (gw_json_reader_end(s->json->r, &err) == -1)
		return reader_failed(s, &err);
	return 0;
}

void
audit_json_free(struct audit_json *j)
{
	if (j == NULL)
		return;
	gw_json_reader_free(j->r);
	for (size_t i = 0; i < j->cap; i++)
		free(j->st[i].keys);
	free(j->st);
	free(j);
}
