/*
 * json.h: JSON for the gateway's own files and for payloads.
 *
 * Four layers, all in this module (the only one that calls json-c):
 *
 *  - gw_json_escape_append() writes the inside of a JSON string.
 *  - struct gw_json_reader is a streaming push reader of RFC 8259 JSON: the
 *    caller feeds bytes in pieces of any size and gets one event per token.
 *    Memory stays bounded whatever the input: the reader keeps at most one
 *    token (bounded by the limits) and one frame per open container (bounded
 *    by max_depth).  Number text is handed over exactly as written, so that
 *    mediation is lossless, and every event carries its position.
 *  - struct gw_jdoc is a json-c tree built by the reader, with the position
 *    of every value and of every object key, for messages such as
 *    "gw.json:12:5: routes[2].upstream: unknown upstream 'catalgo'".
 *  - gw_jv_*() read json-c values (types, members, elements) and write
 *    them, so that other modules need not call json-c.
 *
 * Errors: syntax errors are GW_E_PROTO, limits GW_E_LIMIT, allocation
 * failures GW_E_NOMEM.  The reader's messages say what went wrong
 * ("unexpected '}'") and gw_json_reader_pos() says where; gw_jdoc_parse()
 * puts both together as "origin:line:col: message".
 *
 * Positions: lines and columns count from 1, columns count bytes (not
 * characters), offsets count bytes from 0.  Only '\n' starts a line.  With
 * GW_JSON_BOM a skipped byte order mark does not count in columns (but does
 * in offsets).  Lines and columns stop at UINT_MAX.
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gw.h"

struct json_object;

/*
 * Append s[0..len) as the inside of a JSON string: quotes, backslashes and
 * control characters escaped, bytes >= 0x80 copied (invalid UTF-8 is
 * replaced with U+FFFD so that the output stays valid JSON).
 */
int	gw_json_escape_append(struct gw_buf *out, const char *s, size_t len,
	    struct gw_err *err);

/*
 * Streaming reader.
 */

enum gw_json_type {
	GW_JSON_BEGIN_OBJECT,
	GW_JSON_END_OBJECT,
	GW_JSON_BEGIN_ARRAY,
	GW_JSON_END_ARRAY,
	GW_JSON_KEY,		/* an object member's name; its value follows */
	GW_JSON_STRING,
	GW_JSON_NUMBER,
	GW_JSON_TRUE,
	GW_JSON_FALSE,
	GW_JSON_NULL
};

struct gw_json_event {
	enum gw_json_type type;
	/*
	 * KEY, STRING: the decoded UTF-8 (escapes resolved; may hold NUL
	 * bytes from \u0000).  NUMBER: the text exactly as written.  Other
	 * types: empty (len 0, p not NULL).  Never NUL-terminated; valid only
	 * during the callback.
	 */
	struct gw_str	text;
	/* Nesting depth of the container the event is in (0: top level). */
	size_t		depth;
	/* Position of the token's first byte (the quote of a string). */
	unsigned	line, col;
	uint64_t	offset;
};

/*
 * Called once per event, in document order.  Return 0 to go on, or fill
 * err and return -1 to stop: the feed (or end) call that delivered the
 * event then fails with that error, and gw_json_reader_pos() gives the
 * event's position.  (A callback that returns -1 without filling err gets
 * GW_E_INTERNAL "stopped by the event callback".)  err is never NULL.
 */
typedef int gw_json_event_fn(void *arg, const struct gw_json_event *ev,
    struct gw_err *err);

enum gw_json_flags {
	GW_JSON_COMMENTS = 1 << 0,	/* // and block comments as spaces */
	GW_JSON_MULTI = 1 << 1,		/* any number of top-level values */
	GW_JSON_BOM = 1 << 2	/* skip a leading UTF-8 byte order mark */
};

/* The hard cap on one string, key or number when its limit is 0. */
#define GW_JSON_MAX_TOKEN	(16 * 1024 * 1024)

/*
 * Limits, checked while reading (GW_E_LIMIT).  0 means no limit, except:
 * max_depth 0 means GW_MAX_JSON_DEPTH, and max_string, max_key and
 * max_number 0 mean GW_JSON_MAX_TOKEN, so that memory stays bounded.
 * Lengths of strings and keys count decoded bytes, of numbers their text.
 */
struct gw_json_limits {
	size_t		max_depth;	/* open containers: "[[1]]" is 2 */
	size_t		max_string;	/* bytes in one string value */
	size_t		max_key;	/* bytes in one object key */
	size_t		max_number;	/* bytes of one number's text */
	size_t		max_entries;	/* members of one object */
	size_t		max_items;	/* elements of one array */
	uint64_t	max_bytes;	/* bytes of input in all */
};

struct gw_json_reader;

/*
 * A reader calling fn(arg, ...) for each event; fn may be NULL to check
 * syntax and limits only.  flags are GW_JSON_*; lim NULL means all
 * defaults (it is copied).  Free with gw_json_reader_free().  NULL with
 * GW_E_NOMEM.
 */
struct gw_json_reader *gw_json_reader_new(unsigned flags,
	    const struct gw_json_limits *lim, gw_json_event_fn *fn, void *arg,
	    struct gw_err *err);

/*
 * Read the next len bytes of input, delivering every event they complete.
 * Any split of the input gives the same events and the same verdict.  -1
 * on a syntax error (GW_E_PROTO), a limit (GW_E_LIMIT), out of memory, or
 * an error from the callback; the message has no position, see
 * gw_json_reader_pos().  After an error, later calls fail with the same
 * error.  p is not kept after the call.
 */
int	gw_json_reader_feed(struct gw_json_reader *r, const char *p,
	    size_t len, struct gw_err *err);

/*
 * The input is complete: deliver the last event (a number at the very end)
 * and check that the document is.  -1 with GW_E_PROTO "unexpected end of
 * input" if it is truncated, or "empty input" if it holds no value (with
 * GW_JSON_MULTI, no value at all is fine).  Feeding after this is an error.
 */
int	gw_json_reader_end(struct gw_json_reader *r, struct gw_err *err);

/*
 * Where the error was, or if there was none, where the last event's token
 * began (1, 1, 0 before any).  Any of the pointers may be NULL.
 */
void	gw_json_reader_pos(const struct gw_json_reader *r, unsigned *line,
	    unsigned *col, uint64_t *offset);

/* Free r and everything it holds.  NULL is fine. */
void	gw_json_reader_free(struct gw_json_reader *r);

/*
 * Documents: json-c trees with positions.
 *
 * Objects become json_type_object (duplicate keys are an error, a key
 * holding \u0000 is GW_E_UNSUPPORTED), arrays json_type_array, strings
 * json_type_string, true and false json_type_boolean, null a NULL pointer
 * (as json-c has it).  A number without fraction or exponent that fits in
 * int64_t becomes json_type_int; any other (and "-0") json_type_double made
 * with json_object_new_double_s(), so that serialising it writes the
 * original text.  Nesting is limited to GW_MAX_JSON_DEPTH.  With
 * GW_JSON_MULTI the root is an array of the top-level values (the array
 * itself has no position).
 */
struct gw_jdoc;

/*
 * Parse buf[0..len) (flags GW_JSON_*) into a new document in *out, which
 * the caller frees with gw_jdoc_free().  origin (copied) names the input in
 * messages.  On error *out is NULL and err->msg reads
 * "origin:line:col: message", e.g. "gw.json:3:9: duplicate key 'a'" (at
 * the second key); out of memory has no position.
 */
int	gw_jdoc_parse(const char *buf, size_t len, const char *origin,
	    unsigned flags, struct gw_jdoc **out, struct gw_err *err);

/*
 * Read the file at path and parse it as gw_jdoc_parse() does, path being
 * the origin.  A file larger than max_bytes (0: GW_MAX_CONFIG_BYTES) is
 * GW_E_LIMIT "'path' is larger than N bytes"; a missing file is
 * GW_E_NOTFOUND "cannot open 'path': No such file or directory"; other
 * system errors are GW_E_SYS.
 */
int	gw_jdoc_load(const char *path, unsigned flags, size_t max_bytes,
	    struct gw_jdoc **out, struct gw_err *err);

/* Free d and its tree.  NULL is fine. */
void	gw_jdoc_free(struct gw_jdoc *d);

/*
 * The root value, borrowed: valid until gw_jdoc_free(d); do not
 * json_object_put() it.  NULL when the document is "null".  (To keep a
 * subtree longer, json_object_get() it and put it later.)
 */
struct json_object *gw_jdoc_root(const struct gw_jdoc *d);

/* The origin given to gw_jdoc_parse() (or the path), valid with d. */
const char *gw_jdoc_origin(const struct gw_jdoc *d);

/*
 * The position of value o of d (its first byte).  0 if found, -1 if o is
 * not a value of d (or is NULL: a null value has no object, use
 * gw_jdoc_key_pos() or the array's position).  O(1) on average.
 */
int	gw_jdoc_pos(const struct gw_jdoc *d, const struct json_object *o,
	    unsigned *line, unsigned *col);

/*
 * The position of the key of member key (NUL-terminated) of object obj of
 * d (its opening quote).  0 if found, -1 if obj is not an object of d or
 * has no such member.
 */
int	gw_jdoc_key_pos(const struct gw_jdoc *d, const struct json_object *obj,
	    const char *key, unsigned *line, unsigned *col);

/*
 * Values: reading json-c trees without calling json-c, so that only this
 * module does.  Every pointer is borrowed from the tree (e.g. a gw_jdoc's)
 * and valid as long as the tree.  Only gw_jv_serialize() allocates or
 * fails.  NULL is the null value, as in json-c.
 */

enum gw_jv_type {
	GW_JT_NULL,
	GW_JT_BOOL,
	GW_JT_INT,		/* fits in int64_t */
	GW_JT_DOUBLE,		/* any other number */
	GW_JT_STRING,
	GW_JT_ARRAY,
	GW_JT_OBJECT
};

/* The type of v (GW_JT_NULL for NULL). */
enum gw_jv_type gw_jv_type(const struct json_object *v);

/*
 * The type for messages such as "expected a string, not an array": "null",
 * "a boolean", "an integer", "a number", "a string", "an array",
 * "an object".  A static string.
 */
const char *gw_jv_type_name(enum gw_jv_type t);

/*
 * 1 if object obj has a member key, with its value (NULL for null) in *out
 * (out may be NULL); 0 if it has none or obj is not an object.
 */
int	gw_jv_get(const struct json_object *obj, const char *key,
	    struct json_object **out);

/*
 * A string's bytes, NUL-terminated (but they may hold NUL bytes: *lenp, if
 * lenp is not NULL, gets the length); NULL if v is not a string.
 */
const char *gw_jv_str(const struct json_object *v, size_t *lenp);

/* An integer's value; 0 if v is not GW_JT_INT. */
int64_t	gw_jv_int(const struct json_object *v);

/*
 * A number's value (an integer's converted; 1e400 is HUGE_VAL); 0 if v is
 * not a number.
 */
double	gw_jv_double(const struct json_object *v);

/* 1 for true, 0 for false or if v is not a boolean. */
int	gw_jv_bool(const struct json_object *v);

/* The elements of an array, the members of an object; 0 for the rest. */
size_t	gw_jv_len(const struct json_object *v);

/* Element i of array v; NULL if v is no array, i is too large, or null. */
struct json_object *gw_jv_at(const struct json_object *v, size_t i);

/* The members of an object in document order; see gw_jv_iter_next(). */
struct gw_jv_iter {
	const void	*entry;		/* json-c's; private */
};

/* Start at obj's first member (none if obj is not an object). */
void	gw_jv_iter_init(struct gw_jv_iter *it, const struct json_object *obj);

/*
 * 1 with the next member's key and value (NULL for null) in *key and *val
 * (either may be NULL), or 0 after the last.  The object must not change
 * while it is iterated.
 */
int	gw_jv_iter_next(struct gw_jv_iter *it, const char **key,
	    struct json_object **val);

/*
 * Append v as compact JSON text (no spaces, '/' not escaped, numbers as
 * read) to out.  -1 with GW_E_LIMIT if that would pass out's maximum (out
 * is left as it was) or GW_E_NOMEM.
 */
int	gw_jv_serialize(const struct json_object *v, struct gw_buf *out,
	    struct gw_err *err);

#endif /* GW_JSON_H */
