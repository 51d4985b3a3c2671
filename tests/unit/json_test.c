/*
 * json_test.c: the streaming JSON reader and json-c documents.
 *
 * json.c is included, not linked, so that the allocations it makes (its
 * own, its gw_buf's and json-c's) can be failed one at a time: see
 * test_nomem().
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"

/* -1: no failure; N: the Nth allocation from now on fails (0 the next). */
static long fail_countdown = -1;

static int
fail_now(void)
{
	return fail_countdown >= 0 && fail_countdown-- == 0;
}

#define NOMEM_PTR(e)	(gw_err_set((e), GW_E_NOMEM, "out of memory"), NULL)
#define malloc(n)	(fail_now() ? NULL : malloc(n))
#define calloc(n, s)	(fail_now() ? NULL : calloc(n, s))
#define reallocarray(p, n, s) (fail_now() ? NULL : reallocarray(p, n, s))
#define strdup(s)	(fail_now() ? NULL : strdup(s))
#define newlocale(m, l, b) (fail_now() ? (locale_t)0 : newlocale(m, l, b))
#define NOMEM_INT(e)	gw_err_set((e), GW_E_NOMEM, "out of memory")
#define gw_buf_append(b, p, n, e) \
	(fail_now() ? NOMEM_INT(e) : gw_buf_append(b, p, n, e))
#define gw_buf_putc(b, c, e) (fail_now() ? NOMEM_INT(e) : gw_buf_putc(b, c, e))
#define gw_buf_cstr(b, e) (fail_now() ? NOMEM_PTR(e) : gw_buf_cstr(b, e))
#define json_object_new_object() \
	(fail_now() ? NULL : json_object_new_object())
#define json_object_new_array() (fail_now() ? NULL : json_object_new_array())
#define json_object_new_string_len(s, n) \
	(fail_now() ? NULL : json_object_new_string_len(s, n))
#define json_object_new_int64(i) (fail_now() ? NULL : json_object_new_int64(i))
#define json_object_new_double_s(d, s) \
	(fail_now() ? NULL : json_object_new_double_s(d, s))
#define json_object_new_boolean(b) \
	(fail_now() ? NULL : json_object_new_boolean(b))
#define json_object_array_add(a, v) \
	(fail_now() ? -1 : json_object_array_add(a, v))
#define json_object_object_add_ex(o, k, v, f) \
	(fail_now() ? -1 : json_object_object_add_ex(o, k, v, f))
#define json_object_to_json_string_length(o, f, l) \
	(fail_now() ? NULL : json_object_to_json_string_length(o, f, l))

#include "../../libcore/json.c"

#undef malloc
#undef calloc
#undef reallocarray
#undef strdup
#undef newlocale
#undef gw_buf_append
#undef gw_buf_putc
#undef gw_buf_cstr
#undef json_object_new_object
#undef json_object_new_array
#undef json_object_new_string_len
#undef json_object_new_int64
#undef json_object_new_double_s
#undef json_object_new_boolean
#undef json_object_array_add
#undef json_object_object_add_ex
#undef json_object_to_json_string_length

#include "tap.h"

#define JSONTESTSUITE	"/work/shared/corpora/jsontestsuite/test_parsing"

/*
 * Tracing: run the reader over an input cut into pieces and describe all
 * that happened in one string, "EVENTS => ok" or "EVENTS => error: MSG",
 * so that tests compare strings and splits compare traces.
 */

struct rec {
	struct gw_buf	out;
	int		pos;		/* add @line:col:offset/depth */
	int		stop_at;	/* fail at this event (1-based) */
	int		set_err;	/* ... filling err */
	int		n;
};

static int
rec_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	static const char *const names[] = {
		[GW_JSON_BEGIN_OBJECT] = "{",
		[GW_JSON_END_OBJECT] = "}",
		[GW_JSON_BEGIN_ARRAY] = "[",
		[GW_JSON_END_ARRAY] = "]",
		[GW_JSON_KEY] = "K",
		[GW_JSON_STRING] = "S",
		[GW_JSON_NUMBER] = "N",
		[GW_JSON_TRUE] = "T",
		[GW_JSON_FALSE] = "F",
		[GW_JSON_NULL] = "Z"
	};
	struct rec *rc = arg;

	if (rc->out.len > 0)
		(void)gw_buf_putc(&rc->out, ' ', NULL);
	(void)gw_buf_puts(&rc->out, names[ev->type], NULL);
	if (ev->text.p == NULL)
		(void)gw_buf_puts(&rc->out, "(NULL)", NULL);
	if (ev->type == GW_JSON_KEY || ev->type == GW_JSON_STRING) {
		(void)gw_buf_putc(&rc->out, '"', NULL);
		for (size_t i = 0; i < ev->text.len; i++) {
			unsigned char c = (unsigned char)ev->text.p[i];

			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				(void)gw_buf_printf(&rc->out, NULL, "\\x%02x",
				    c);
			else
				(void)gw_buf_putc(&rc->out, c, NULL);
		}
		(void)gw_buf_putc(&rc->out, '"', NULL);
	} else if (ev->type == GW_JSON_NUMBER)
		(void)gw_buf_append_str(&rc->out, ev->text, NULL);
	else if (ev->text.len != 0)
		(void)gw_buf_puts(&rc->out, "(TEXT)", NULL);
	if (rc->pos)
		(void)gw_buf_printf(&rc->out, NULL, "@%u:%u:%" PRIu64 "/%zu",
		    ev->line, ev->col, ev->offset, ev->depth);
	if (++rc->n == rc->stop_at) {
		if (rc->set_err)
			return gw_err_set(err, GW_E_CONFIG, "consumer says no");
		return -1;
	}
	return 0;
}

/* in as a test name: control and non-ASCII bytes as \xNN. */
static const char *
shown(const char *in)
{
	static char	buf[4][256];
	static int	k;
	char		*b = buf[k++ & 3];
	size_t		 n = 0;

	for (; *in != '\0' && n < sizeof(buf[0]) - 5; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c >= 0x7f || c == '#')
			n += (size_t)snprintf(b + n, 5, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	b[n] = '\0';
	return b;
}

static char *last_trace;

/*
 * Trace in[0..len) fed in pieces ending at cuts[0..ncuts) (ascending).
 * The string is valid until the next call.
 */
static const char *
trace_cuts(const char *in, size_t len, unsigned flags,
    const struct gw_json_limits *lim, int pos, const size_t *cuts,
    size_t ncuts)
{
	struct gw_json_reader	*r;
	struct gw_err		 err;
	struct rec		 rc;
	size_t			 at = 0;
	int			 res = 0;
	unsigned		 line, col;
	uint64_t		 off;

	memset(&rc, 0, sizeof(rc));
	gw_buf_init(&rc.out, 0);
	rc.pos = pos;
	gw_err_clear(&err);
	if ((r = gw_json_reader_new(flags, lim, rec_event, &rc, &err)) ==
	    NULL)
		abort();
	for (size_t i = 0; i <= ncuts && res == 0; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		res = gw_json_reader_feed(r, in + at, to - at, &err);
		at = to;
	}
	if (res == 0)
		res = gw_json_reader_end(r, &err);
	if (rc.out.len > 0)
		(void)gw_buf_putc(&rc.out, ' ', NULL);
	if (res == 0)
		(void)gw_buf_puts(&rc.out, "=> ok", NULL);
	else {
		gw_json_reader_pos(r, &line, &col, &off);
		(void)gw_buf_printf(&rc.out, NULL, "=> %s: %s @%u:%u:%" PRIu64,
		    gw_err_code_name(err.code), err.msg, line, col, off);
	}
	gw_json_reader_free(r);
	free(last_trace);
	last_trace = gw_buf_take(&rc.out, NULL, NULL);
	return last_trace;
}

/* Trace a C string with flags and limits, no positions. */
static const char *
trace_flags(const char *in, unsigned flags, const struct gw_json_limits *lim)
{
	return trace_cuts(in, strlen(in), flags, lim, 0, NULL, 0);
}

/* Trace a C string with no flags, no positions. */
static const char *
trace(const char *in)
{
	return trace_flags(in, 0, NULL);
}

/* Trace a C string with positions. */
static const char *
trace_pos(const char *in, unsigned flags)
{
	return trace_cuts(in, strlen(in), flags, NULL, 1, NULL, 0);
}

/* 0 if the reader accepts in[0..len) (no callback), -1 if not. */
static int
verdict(const char *in, size_t len, unsigned flags, struct gw_err *err)
{
	struct gw_json_reader	*r;
	int			 res;

	if ((r = gw_json_reader_new(flags, NULL, NULL, NULL, err)) == NULL)
		abort();
	res = gw_json_reader_feed(r, in, len, err);
	if (res == 0)
		res = gw_json_reader_end(r, err);
	gw_json_reader_free(r);
	return res;
}

/*
 * Writing.
 */

static void
test_escape(void)
{
	struct gw_buf	b;
	struct gw_err	err;

	gw_buf_init(&b, 0);
	ok(gw_json_escape_append(&b, "a\"\\\n\r\t\b\f\x01\x1f\x7f/", 12,
	    &err) == 0 && gw_buf_cstr(&b, &err) != NULL,
	    "gw_json_escape_append");
	is_str(b.p, "a\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/",
	    "quotes, backslashes and control characters are escaped");
	gw_buf_reset(&b);
	ok(gw_json_escape_append(&b, "\xc3\xa9\xf0\x9f\x98\x80\xc3(\xed\xa0"
	    "\x80\xe2\x82", 13, &err) == 0 && gw_buf_cstr(&b, &err) != NULL,
	    "gw_json_escape_append with UTF-8");
	is_str(b.p, "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd(\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "invalid UTF-8 becomes U+FFFD");
	gw_buf_release(&b);
	gw_buf_init(&b, 4);
	ok(gw_json_escape_append(&b, "abc\n", 4, &err) == -1 &&
	    err.code == GW_E_LIMIT, "an escape over the buffer's limit");
	gw_buf_reset(&b);
	ok(gw_json_escape_append(&b, "abcd\xff", 5, &err) == -1 &&
	    err.code == GW_E_LIMIT, "U+FFFD over the buffer's limit");
	gw_buf_release(&b);
	/* The reader reads back what gw_json_escape_append writes. */
	{
		const char	*in = "x\"\\\x01\xc3\xa9\n";
		char		*doc;

		gw_buf_init(&b, 0);
		(void)gw_buf_putc(&b, '"', NULL);
		(void)gw_json_escape_append(&b, in, strlen(in), NULL);
		(void)gw_buf_putc(&b, '"', NULL);
		doc = gw_buf_take(&b, NULL, NULL);
		is_str(trace(doc), "S\"x\\x22\\x5c\\x01\\xc3\\xa9\\x0a\" => ok",
		    "an escaped string reads back");
		free(doc);
	}
}

/*
 * Grammar.
 */

static void
test_accept(void)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "12345", "1.5", "-0.0", "0e0", "0E+1",
		"1e-5", "1.25e+300", "-123.456E-7", "1e400",
		"123456789012345678901234567890",
		"true", "false", "null", "\"\"", "\"abc\"",
		"[]", "{}", "[[]]", "[{}]", "{\"a\":{}}", "[1,2,3]",
		"{\"a\":1,\"b\":[true,false,null]}",
		" \t\r\n[ 1 , 2 ]\n\t ",
		"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"{\"\":\"\"}", "[\"\\u0000\"]",
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(good); i++)
		ok(verdict(good[i], strlen(good[i]), 0, NULL) == 0,
		    "accepts %s", shown(good[i]));
}

static void
test_reject(void)
{
	static const struct {
		const char	*in;
		const char	*want;
	} bad[] = {
		/* numbers */
		{ "01", "=> error: leading zero in number @1:2:1" },
		{ "-01", "=> error: leading zero in number @1:3:2" },
		{ "00", "=> error: leading zero in number @1:2:1" },
		{ "1.", "=> error: unexpected end of input @1:3:2" },
		{ "[1.]", "[ => error: expected a digit after '.' @1:4:3" },
		{ "[1.e5]", "[ => error: expected a digit after '.' @1:4:3" },
		{ ".5", "=> error: unexpected '.' @1:1:0" },
		{ "+1", "=> error: unexpected '+' @1:1:0" },
		{ "-", "=> error: unexpected end of input @1:2:1" },
		{ "[-]", "[ => error: expected a digit after '-' @1:3:2" },
		{ "- 1", "=> error: expected a digit after '-' @1:2:1" },
		{ "[1e]", "[ => error: expected a digit in exponent @1:4:3" },
		{ "[1e+]", "[ => error: expected a digit in exponent @1:5:4" },
		{ "[1E-x]", "[ => error: expected a digit in exponent @1:5:4" },
		{ "1e", "=> error: unexpected end of input @1:3:2" },
		{ "1e-", "=> error: unexpected end of input @1:4:3" },
		{ "NaN", "=> error: unexpected 'N' @1:1:0" },
		{ "-NaN", "=> error: expected a digit after '-' @1:2:1" },
		{ "Infinity", "=> error: unexpected 'I' @1:1:0" },
		{ "-Infinity", "=> error: expected a digit after '-' @1:2:1" },
		{ "0x10", "N0 => error: unexpected 'x' @1:2:1" },
		{ "1.5.3", "N1.5 => error: unexpected '.' @1:4:3" },
		{ "1e5e3", "N1e5 => error: unexpected 'e' @1:4:3" },
		{ "[1a]", "[ N1 => error: unexpected 'a' @1:3:2" },
		/* structure */
		{ "", "=> error: empty input @1:1:0" },
		{ " \n ", "=> error: empty input @2:2:3" },
		{ "[", "[ => error: unexpected end of input @1:2:1" },
		{ "[1", "[ N1 => error: unexpected end of input @1:3:2" },
		{ "[1,", "[ N1 => error: unexpected end of input @1:4:3" },
		{ "{", "{ => error: unexpected end of input @1:2:1" },
		{ "{\"a\"",
		    "{ K\"a\" => error: unexpected end of input @1:5:4" },
		{ "{\"a\":",
		    "{ K\"a\" => error: unexpected end of input @1:6:5" },
		{ "]", "=> error: unexpected ']' @1:1:0" },
		{ "}", "=> error: unexpected '}' @1:1:0" },
		{ ",", "=> error: unexpected ',' @1:1:0" },
		{ ":", "=> error: unexpected ':' @1:1:0" },
		{ "[1,]", "[ N1 => error: trailing comma before ']' @1:4:3" },
		{ "{\"a\":1,}",
		    "{ K\"a\" N1 => error: trailing comma before '}' @1:8:7" },
		{ "[,1]", "[ => error: unexpected ',' @1:2:1" },
		{ "[1,,2]", "[ N1 => error: unexpected ',' @1:4:3" },
		{ "[1 2]", "[ N1 => error: unexpected '2' @1:4:3" },
		{ "[1:2]", "[ N1 => error: unexpected ':' @1:3:2" },
		{ "[}", "[ => error: unexpected '}' @1:2:1" },
		{ "{]", "{ => error: unexpected ']' @1:2:1" },
		{ "[1}", "[ N1 => error: unexpected '}' @1:3:2" },
		{ "{\"a\":1]", "{ K\"a\" N1 => error: unexpected ']' @1:7:6" },
		{ "{1:2}", "{ => error: unexpected '1' @1:2:1" },
		{ "{a:2}", "{ => error: unexpected 'a' @1:2:1" },
		{ "{'a':2}", "{ => error: unexpected \"'\" @1:2:1" },
		{ "{\"a\" 1}", "{ K\"a\" => error: unexpected '1' @1:6:5" },
		{ "{\"a\":}", "{ K\"a\" => error: unexpected '}' @1:6:5" },
		{ "{\"a\"::1}", "{ K\"a\" => error: unexpected ':' @1:6:5" },
		{ "{\"a\":1 \"b\":2}",
		    "{ K\"a\" N1 => error: unexpected '\"' @1:8:7" },
		{ "{\"a\":1,,}",
		    "{ K\"a\" N1 => error: unexpected ',' @1:8:7" },
		{ "{,}", "{ => error: unexpected ',' @1:2:1" },
		{ "[\"a\":1]", "[ S\"a\" => error: unexpected ':' @1:5:4" },
		{ "1 2", "N1 => error: unexpected '2' @1:3:2" },
		{ "[] []", "[ ] => error: unexpected '[' @1:4:3" },
		{ "{}x", "{ } => error: unexpected 'x' @1:3:2" },
		{ "'a'", "=> error: unexpected \"'\" @1:1:0" },
		{ "\x01", "=> error: unexpected byte 0x01 @1:1:0" },
		{ "\x7f", "=> error: unexpected byte 0x7f @1:1:0" },
		{ "\xc3\xa9", "=> error: unexpected byte 0xc3 @1:1:0" },
		{ "\xef\xbb\xbf{}", "=> error: unexpected byte 0xef @1:1:0" },
		{ "\f1", "=> error: unexpected byte 0x0c @1:1:0" },
		{ "\v1", "=> error: unexpected byte 0x0b @1:1:0" },
		/* literals */
		{ "tru", "=> error: unexpected end of input @1:4:3" },
		{ "trux", "=> error: unexpected 'x' @1:4:3" },
		{ "True", "=> error: unexpected 'T' @1:1:0" },
		{ "nul", "=> error: unexpected end of input @1:4:3" },
		{ "nulL", "=> error: unexpected 'L' @1:4:3" },
		{ "fals", "=> error: unexpected end of input @1:5:4" },
		{ "falsee", "F => error: unexpected 'e' @1:6:5" },
		{ "[truefalse]", "[ T => error: unexpected 'f' @1:6:5" },
		{ "[nan]", "[ => error: unexpected 'a' @1:3:2" },
		/* strings */
		{ "\"abc", "=> error: unexpected end of input @1:5:4" },
		{ "\"a\tb\"",
		    "=> error: control character 0x09 in string @1:3:2" },
		{ "\"a\nb\"",
		    "=> error: control character 0x0a in string @1:3:2" },
		{ "[\"\x1f\"]",
		    "[ => error: control character 0x1f in string @1:3:2" },
		{ "\"\\x\"", "=> error: invalid escape '\\x' @1:2:1" },
		{ "\"\\'\"", "=> error: invalid escape '\\'' @1:2:1" },
		{ "\"\\U0041\"", "=> error: invalid escape '\\U' @1:2:1" },
		{ "\"ab\\\x01\"",
		    "=> error: invalid escape '\\' and byte 0x01 @1:4:3" },
		{ "\"\\u12\"", "=> error: invalid \\u escape @1:2:1" },
		{ "\"\\u12g4\"", "=> error: invalid \\u escape @1:2:1" },
		{ "\"\\u\"", "=> error: invalid \\u escape @1:2:1" },
		{ "\"\\", "=> error: unexpected end of input @1:3:2" },
		{ "\"\\u00", "=> error: unexpected end of input @1:6:5" },
		{ "'abc'", "=> error: unexpected \"'\" @1:1:0" },
		/* surrogates */
		{ "\"\\ud800\"", "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"x\\uDBFF\"", "=> error: lone surrogate \\udbff @1:3:2" },
		{ "\"\\udc00\"", "=> error: lone surrogate \\udc00 @1:2:1" },
		{ "\"\\uDFFF\\uD800\"",
		    "=> error: lone surrogate \\udfff @1:2:1" },
		{ "\"\\ud800\\u0041\"",
		    "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"\\ud800\\ud800\"",
		    "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"\\ud800x\"", "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"\\ud800\\n\"", "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"\\ud800\\\"", "=> error: lone surrogate \\ud800 @1:2:1" },
		{ "\"\\ud800\\udc0",
		    "=> error: unexpected end of input @1:13:12" },
		{ "\"\\ud800", "=> error: unexpected end of input @1:8:7" },
		{ "\"\\ud800\\", "=> error: unexpected end of input @1:9:8" },
		{ "\"\\ud800\\uzzzz\"", "=> error: invalid \\u escape @1:8:7" },
		/* UTF-8 in strings */
		{ "\"\x80\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xbf\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xc0\x80\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xc1\xbf\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xc3\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xc3x\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xe0\x80\x80\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xe0\x9f\xbf\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xe2\x82\"", "=> error: invalid UTF-8 @1:4:3" },
		{ "\"\xed\xa0\x80\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xed\xbf\xbf\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xf0\x8f\xbf\xbf\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xf4\x90\x80\x80\"", "=> error: invalid UTF-8 @1:3:2" },
		{ "\"\xf5\x80\x80\x80\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xf8\x88\x80\x80\x80\"",
		    "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xfe\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xff\"", "=> error: invalid UTF-8 @1:2:1" },
		{ "\"\xf0\x9f\x98\"", "=> error: invalid UTF-8 @1:5:4" },
		{ "\"\xf0\x9f\x98",
		    "=> error: unexpected end of input @1:5:4" },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		const char	*t = trace(bad[i].in);
		const char	*code = strstr(t, "=> protocol error: ");
		char		 got[512];

		/* "=> protocol error: msg" reads "=> error: msg" here. */
		if (code != NULL)
			(void)snprintf(got, sizeof(got), "%.*s=> error: %s",
			    (int)(code - t), t, code + 19);
		else
			(void)snprintf(got, sizeof(got), "%s", t);
		is_str(got, bad[i].want, "rejects '%s'", shown(bad[i].in));
	}
	/* Syntax errors are GW_E_PROTO. */
	{
		struct gw_err err;

		ok(verdict("[1,]", 4, 0, &err) == -1 &&
		    err.code == GW_E_PROTO, "a syntax error is GW_E_PROTO");
		ok(verdict("\"\0\"", 3, 0, &err) == -1 &&
		    err.code == GW_E_PROTO && strcmp(err.msg,
		    "control character 0x00 in string") == 0,
		    "a NUL byte in a string is rejected");
		ok(verdict("[1]\0", 4, 0, &err) == -1 &&
		    strcmp(err.msg, "unexpected byte 0x00") == 0,
		    "a NUL byte after the value is rejected");
	}
}

/*
 * Events and positions.
 */

static void
test_events(void)
{
	is_str(trace("{\"a\":[1,{\"b\":null}],\"c\":\"x\",\"d\":true,"
	    "\"e\":false}"),
	    "{ K\"a\" [ N1 { K\"b\" Z } ] K\"c\" S\"x\" K\"d\" T K\"e\" F } "
	    "=> ok", "events of a document");
	is_str(trace_pos("{\"a\":[1,{\"b\":null}]}", 0),
	    "{@1:1:0/0 K\"a\"@1:2:1/1 [@1:6:5/1 N1@1:7:6/2 {@1:9:8/2 "
	    "K\"b\"@1:10:9/3 Z@1:14:13/3 }@1:18:17/2 ]@1:19:18/1 "
	    "}@1:20:19/0 => ok", "positions and depths on one line");
	is_str(trace_pos("{\n  \"key\": [\r\n    12.5,\n\t\"s\"\n  ]\n}\n",
	    0),
	    "{@1:1:0/0 K\"key\"@2:3:4/1 [@2:10:11/1 N12.5@3:5:18/2 "
	    "S\"s\"@4:2:25/2 ]@5:3:31/1 }@6:1:33/0 => ok",
	    "positions over lines (CRLF too)");
	is_str(trace_pos("  42  ", 0), "N42@1:3:2/0 => ok",
	    "a top-level number");
	is_str(trace_pos("\n\n   \"x\" ", 0), "S\"x\"@3:4:5/0 => ok",
	    "a top-level string");
	is_str(trace("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	    "S\"\\x22\\x5c/\\x08\\x0c\\x0a\\x0d\\x09\" => ok",
	    "every simple escape");
	is_str(trace("\"\\u0000\\u0041\\u00e9\\u20AC\\uffff\""),
	    "S\"\\x00A\\xc3\\xa9\\xe2\\x82\\xac\\xef\\xbf\\xbf\" => ok",
	    "\\u escapes of 1, 2 and 3 bytes, and NUL");
	is_str(trace("\"\\ud83d\\ude00\\uD834\\uDD1E\\udbff\\udfff\""),
	    "S\"\\xf0\\x9f\\x98\\x80\\xf0\\x9d\\x84\\x9e\\xf4\\x8f\\xbf"
	    "\\xbf\" => ok", "surrogate pairs are combined");
	is_str(trace("{\"\\u0000k\":\"a\\u0000\"}"),
	    "{ K\"\\x00k\" S\"a\\x00\" } => ok", "NUL in keys and strings");
	is_str(trace("[\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
	    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80\"]"),
	    "[ S\"\\xc2\\x80\\xdf\\xbf\\xe0\\xa0\\x80\\xef\\xbf\\xbf\\xf0"
	    "\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf\\xed\\x9f\\xbf\\xee\\x80"
	    "\\x80\" ] => ok", "UTF-8 boundaries are accepted");
	is_str(trace("[1.0,-0,1e400,123456789012345678901234567890,1E+2,"
	    "-0.0e-0,0.1]"),
	    "[ N1.0 N-0 N1e400 N123456789012345678901234567890 N1E+2 "
	    "N-0.0e-0 N0.1 ] => ok", "number text is kept exactly");
	is_str(trace("[\"\",{},[],\"\"]"), "[ S\"\" { } [ ] S\"\" ] => ok",
	    "empty strings and containers");
}

/* Every error position is where the offending byte is. */
static void
test_error_pos(void)
{
	struct gw_json_reader	*r;
	unsigned		 line = 0, col = 0;
	uint64_t		 off = 0;
	struct gw_err		 err;

	r = gw_json_reader_new(0, NULL, NULL, NULL, NULL);
	gw_json_reader_pos(r, &line, &col, &off);
	ok(line == 1 && col == 1 && off == 0, "position before any token");
	ok(gw_json_reader_feed(r, "{\n \"a\": [1,\n", 12, &err) == 0,
	    "feed a first piece");
	gw_json_reader_pos(r, &line, &col, &off);
	ok(line == 2 && col == 8 && off == 9, "position of the last token");
	ok(gw_json_reader_feed(r, "  2 3]}", 7, &err) == -1,
	    "feed a bad piece");
	is_str(err.msg, "unexpected '3'", "the message has no position");
	gw_json_reader_pos(r, &line, &col, NULL);
	gw_json_reader_pos(r, NULL, NULL, &off);
	ok(line == 3 && col == 5 && off == 16, "the error's position");
	ok(gw_json_reader_feed(r, "]", 1, &err) == -1 &&
	    strcmp(err.msg, "unexpected '3'") == 0,
	    "feeding after an error repeats the error");
	gw_err_clear(&err);
	ok(gw_json_reader_end(r, &err) == -1 &&
	    strcmp(err.msg, "unexpected '3'") == 0,
	    "ending after an error repeats the error");
	ok(gw_json_reader_feed(r, "]", 1, NULL) == -1,
	    "err may be NULL");
	gw_json_reader_free(r);

	r = gw_json_reader_new(0, NULL, NULL, NULL, NULL);
	ok(gw_json_reader_feed(r, "1", 1, NULL) == 0 &&
	    gw_json_reader_end(r, &err) == 0, "end after a number");
	ok(gw_json_reader_feed(r, " ", 1, &err) == -1 &&
	    err.code == GW_E_INVAL &&
	    strcmp(err.msg, "input fed after its end") == 0,
	    "feeding after the end is an error");
	ok(gw_json_reader_end(r, &err) == -1 && err.code == GW_E_INVAL &&
	    strcmp(err.msg, "input ended twice") == 0,
	    "ending twice is an error");
	gw_json_reader_free(r);
	gw_json_reader_free(NULL);
}

/*
 * Splits: every way of cutting a document gives the same trace.
 */

static int
same_for_all_splits(const char *in, size_t len, unsigned flags,
    const struct gw_json_limits *lim)
{
	char	*whole;
	size_t	*cuts;
	int	 same = 1;

	whole = strdup(trace_cuts(in, len, flags, lim, 1, NULL, 0));
	if ((cuts = calloc(len + 1, sizeof(*cuts))) == NULL || whole == NULL)
		abort();
	/* Two pieces, cut anywhere (and empty pieces at the ends). */
	for (size_t i = 0; i <= len && same; i++) {
		cuts[0] = i;
		if (strcmp(whole, trace_cuts(in, len, flags, lim, 1, cuts,
		    1)) != 0) {
			printf("# cut at %zu:\n#  %s\n#  %s\n", i, whole,
			    last_trace);
			same = 0;
		}
	}
	/* Pieces of k bytes, k = 1 (every byte alone), 2, 3, 5, 7. */
	for (size_t k = 1; k <= 7 && same; k += k < 3 ? 1 : 2) {
		size_t n = 0;

		for (size_t i = k; i < len; i += k)
			cuts[n++] = i;
		if (strcmp(whole, trace_cuts(in, len, flags, lim, 1, cuts,
		    n)) != 0) {
			printf("# pieces of %zu:\n#  %s\n#  %s\n", k, whole,
			    last_trace);
			same = 0;
		}
	}
	free(cuts);
	free(whole);
	return same;
}

static void
test_splits(void)
{
	static const char *const docs[] = {
		"{\"name\": \"gw\", \"n\": [1, -2.5e+3, 0, true, false, null],"
		    "\n \"s\": \"a\\u00e9\\ud83d\\ude00\\n\xc3\xa9\xe2\x82\xac"
		    "\xf0\x9f\x98\x80\"}",
		"[123456789, 1.0e-10, -0, \"\\\\\\\"\", {\"\": {}}]\n",
		"  \"\\u0041\\u0042C\"  ",
		"3.14159",
		"[1,2",
		"{\"a\":1,}",
		"\"abc\\ud800\\u0041\"",
		"\"bad \xe2\x82 utf8\"",
		"[-01]",
		"[1.e3]",
		"nul",
		"{\"k\" \"v\"}",
		"\xef\xbb\xbf[]",
	};
	static const char *const cdocs[] = {
		"// head\n{/* a */\"a\"/*b*/:/**/1// c\n,\"b\":[/***/]}\n//",
		"/* \xc3\xa9 */ 1 /* *** */",
		"[1] /* open",
		"[1] / x",
		"/* \xc3 */ 1",
		"// \xe2\x82",
	};
	static const char *const mdocs[] = {
		"1 2\n[3]{\"a\":4}\"x\"\"y\"true null -5",
		"{}{}[]",
		"1\"a\"",
		"12 34",
		"",
	};
	struct gw_json_limits lim;

	for (size_t i = 0; i < GW_ARRAY_LEN(docs); i++)
		ok(same_for_all_splits(docs[i], strlen(docs[i]),
		    GW_JSON_BOM, NULL), "every split gives the same events: %s",
		    shown(docs[i]));
	for (size_t i = 0; i < GW_ARRAY_LEN(cdocs); i++)
		ok(same_for_all_splits(cdocs[i], strlen(cdocs[i]),
		    GW_JSON_COMMENTS, NULL),
		    "every split gives the same events with comments: %s",
		    shown(cdocs[i]));
	for (size_t i = 0; i < GW_ARRAY_LEN(mdocs); i++)
		ok(same_for_all_splits(mdocs[i], strlen(mdocs[i]),
		    GW_JSON_MULTI, NULL),
		    "every split gives the same events with MULTI: %s",
		    shown(mdocs[i]));

	/* Limits hit in the middle of a token, whatever the split. */
	memset(&lim, 0, sizeof(lim));
	lim.max_string = 5;
	lim.max_key = 3;
	lim.max_number = 4;
	lim.max_bytes = 40;
	ok(same_for_all_splits("[\"abcde\",\"ab\\u00e9\\n\"]", 23, 0, &lim),
	    "splits: a string one byte over its limit (escapes)");
	ok(same_for_all_splits("[\"abcd\xe2\x82\xac\"]", 11, 0, &lim),
	    "splits: a string over its limit in a UTF-8 sequence");
	ok(same_for_all_splits("[\"abcd\xe2\x28\"]", 10, 0, &lim),
	    "splits: a limit comes before later invalid UTF-8");
	ok(same_for_all_splits("{\"abc\":1,\"abcd\":2}", 18, 0, &lim),
	    "splits: a key over its limit");
	ok(same_for_all_splits("[1234,12345]", 12, 0, &lim),
	    "splits: a number over its limit");
	ok(same_for_all_splits("[12345", 6, 0, &lim),
	    "splits: a number over its limit at the end");
	ok(same_for_all_splits("[1.2e+]", 7, 0, &lim),
	    "splits: a long bad number is a limit first");
	ok(same_for_all_splits("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]",
	    43, 0, &lim), "splits: input over max_bytes");
}

/*
 * Flags.
 */

static void
test_comments(void)
{
	const char *doc = "// config\n{\n  /* the port */ \"port\": 80, "
	    "// http\n  \"x\": /* * / ** */ [1/**/,2]\n}\n// end";

	is_str(trace_pos(doc, GW_JSON_COMMENTS),
	    "{@2:1:10/0 K\"port\"@3:18:29/1 N80@3:26:37/1 K\"x\"@4:3:51/1 "
	    "[@4:21:69/1 N1@4:22:70/2 N2@4:28:76/2 ]@4:29:77/1 }@5:1:79/0 "
	    "=> ok", "comments are whitespace with GW_JSON_COMMENTS");
	is_str(trace(doc), "=> protocol error: unexpected '/' @1:1:0",
	    "comments are an error without the flag");
	is_str(trace_flags("[1]/", GW_JSON_COMMENTS, NULL),
	    "[ N1 ] => protocol error: unexpected end of input @1:5:4",
	    "a lone '/' at the end");
	is_str(trace_flags("[1]/x", GW_JSON_COMMENTS, NULL),
	    "[ N1 ] => protocol error: unexpected 'x' @1:5:4",
	    "'/' that starts no comment");
	is_str(trace_flags("1 /* open\n\n", GW_JSON_COMMENTS, NULL),
	    "N1 => protocol error: unterminated comment @1:3:2",
	    "an unterminated block comment");
	is_str(trace_flags("1 /* open *", GW_JSON_COMMENTS, NULL),
	    "N1 => protocol error: unterminated comment @1:3:2",
	    "an unterminated block comment ending in '*'");
	is_str(trace_flags("1 // no newline", GW_JSON_COMMENTS, NULL),
	    "N1 => ok", "a line comment at the end of input");
	is_str(trace_flags("/**/", GW_JSON_COMMENTS, NULL),
	    "=> protocol error: empty input @1:5:4",
	    "only a comment is empty input");
	is_str(trace_flags("1 /* \xc3\xa9 \xe2\x82\xac */",
	    GW_JSON_COMMENTS, NULL), "N1 => ok", "UTF-8 in a comment");
	is_str(trace_flags("1 /* \xc3( */", GW_JSON_COMMENTS, NULL),
	    "N1 => protocol error: invalid UTF-8 @1:7:6",
	    "invalid UTF-8 in a block comment");
	is_str(trace_flags("1 // \xff\n", GW_JSON_COMMENTS, NULL),
	    "N1 => protocol error: invalid UTF-8 @1:6:5",
	    "invalid UTF-8 in a line comment");
	is_str(trace_flags("1 // \xe2\x82", GW_JSON_COMMENTS, NULL),
	    "N1 => protocol error: invalid UTF-8 @1:8:7",
	    "a truncated UTF-8 sequence ending a line comment");
	is_str(trace_flags("\"a/*b*/\"", GW_JSON_COMMENTS, NULL),
	    "S\"a/*b*/\" => ok", "no comments inside strings");
	is_str(trace_flags("[1//x\n,2]", GW_JSON_COMMENTS, NULL),
	    "[ N1 N2 ] => ok", "a comment right after a number");
}

static void
test_multi(void)
{
	is_str(trace_pos("1 2\n[3]{\"a\":4}\"x\"\"y\" true\nnull -5",
	    GW_JSON_MULTI),
	    "N1@1:1:0/0 N2@1:3:2/0 [@2:1:4/0 N3@2:2:5/1 ]@2:3:6/0 "
	    "{@2:4:7/0 K\"a\"@2:5:8/1 N4@2:9:12/1 }@2:10:13/0 "
	    "S\"x\"@2:11:14/0 S\"y\"@2:14:17/0 T@2:18:21/0 Z@3:1:26/0 "
	    "N-5@3:6:31/0 => ok", "GW_JSON_MULTI: a sequence of values");
	is_str(trace_flags("{\"a\":1}\n{\"a\":2}\n", GW_JSON_MULTI,
	    NULL), "{ K\"a\" N1 } { K\"a\" N2 } => ok", "JSON lines");
	is_str(trace_flags("", GW_JSON_MULTI, NULL), "=> ok",
	    "GW_JSON_MULTI: no value is fine");
	is_str(trace_flags(" \n", GW_JSON_MULTI, NULL), "=> ok",
	    "GW_JSON_MULTI: only whitespace is fine");
	is_str(trace_flags("1\"a\"", GW_JSON_MULTI, NULL),
	    "N1 => protocol error: unexpected '\"' @1:2:1",
	    "GW_JSON_MULTI: a number needs a separator");
	is_str(trace_flags("truefalse", GW_JSON_MULTI, NULL),
	    "T => protocol error: unexpected 'f' @1:5:4",
	    "GW_JSON_MULTI: a literal needs a separator");
	is_str(trace_flags("1-2", GW_JSON_MULTI, NULL),
	    "N1 => protocol error: unexpected '-' @1:2:1",
	    "GW_JSON_MULTI: \"1-2\" is not two numbers");
	is_str(trace_flags("1/**/2", GW_JSON_MULTI | GW_JSON_COMMENTS,
	    NULL), "N1 N2 => ok", "GW_JSON_MULTI: a comment separates");
	is_str(trace_flags("[1] [2", GW_JSON_MULTI, NULL),
	    "[ N1 ] [ N2 => protocol error: unexpected end of input @1:7:6",
	    "GW_JSON_MULTI: a truncated last value");
	is_str(trace_flags("1 ]", GW_JSON_MULTI, NULL),
	    "N1 => protocol error: unexpected ']' @1:3:2",
	    "GW_JSON_MULTI: a stray bracket");
}

static void
test_bom(void)
{
	is_str(trace_pos("\xef\xbb\xbf{}", GW_JSON_BOM),
	    "{@1:1:3/0 }@1:2:4/0 => ok",
	    "GW_JSON_BOM skips the mark; columns start after it");
	is_str(trace_pos("{}", GW_JSON_BOM),
	    "{@1:1:0/0 }@1:2:1/0 => ok", "GW_JSON_BOM: no mark is fine");
	is_str(trace_flags("\xef\xbb\xbf", GW_JSON_BOM, NULL),
	    "=> protocol error: empty input @1:1:3",
	    "GW_JSON_BOM: only the mark is empty input");
	is_str(trace_flags("\xef\xbb", GW_JSON_BOM, NULL),
	    "=> protocol error: unexpected end of input @1:3:2",
	    "GW_JSON_BOM: a truncated mark");
	is_str(trace_flags("\xef\xbb" "1", GW_JSON_BOM, NULL),
	    "=> protocol error: unexpected byte 0xef @1:1:0",
	    "GW_JSON_BOM: a broken mark");
	is_str(trace_flags("\xef\xbb\xbf\xef\xbb\xbf" "1", GW_JSON_BOM,
	    NULL), "=> protocol error: unexpected byte 0xef @1:1:3",
	    "GW_JSON_BOM: only one mark");
	is_str(trace_flags("", GW_JSON_BOM, NULL),
	    "=> protocol error: empty input @1:1:0",
	    "GW_JSON_BOM: empty input");
}

/*
 * Limits.
 */

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t	 hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char	*s, *p;

	if ((s = malloc(hl + ul * n + tl + 1)) == NULL)
		abort();
	memcpy(s, head, hl);
	p = s + hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void
test_limits(void)
{
	struct gw_json_limits	 lim;
	struct gw_err		 err;
	char			*s, *t;

	/* Depth: GW_MAX_JSON_DEPTH by default. */
	s = repeat("", "[", GW_MAX_JSON_DEPTH, "");
	t = repeat(s, "]", GW_MAX_JSON_DEPTH, "");
	ok(verdict(t, strlen(t), 0, NULL) == 0, "depth %d is fine",
	    GW_MAX_JSON_DEPTH);
	free(s);
	free(t);
	s = repeat("", "[", GW_MAX_JSON_DEPTH + 1, "");
	ok(verdict(s, strlen(s), 0, &err) == -1 && err.code == GW_E_LIMIT,
	    "depth %d is over the default limit", GW_MAX_JSON_DEPTH + 1);
	is_str(err.msg, "nesting deeper than 64", "the depth message");
	free(s);
	s = repeat("", "{\"a\":", GW_MAX_JSON_DEPTH + 1, "");
	ok(verdict(s, strlen(s), 0, &err) == -1 && err.code == GW_E_LIMIT,
	    "objects count in the depth too");
	free(s);

	memset(&lim, 0, sizeof(lim));
	lim.max_depth = 2;
	is_str(trace_flags("[{\"a\":[]}]", 0, &lim),
	    "[ { K\"a\" => limit exceeded: nesting deeper than 2 @1:7:6",
	    "max_depth 2");
	is_str(trace_flags("[{},[],{\"a\":1}]", 0, &lim),
	    "[ { } [ ] { K\"a\" N1 } ] => ok", "max_depth 2 allows depth 2");
	lim.max_depth = 1000;
	s = repeat("", "[", 1000, "");
	t = repeat(s, "]", 1000, "");
	ok(verdict(t, strlen(t), 0, NULL) == -1, "depth 1000 by default: no");
	ok(same_for_all_splits("[[[[[[1]]]]]]", 13, 0, &lim),
	    "splits: nesting");
	{
		struct gw_json_reader *r;

		r = gw_json_reader_new(0, &lim, NULL, NULL, NULL);
		ok(gw_json_reader_feed(r, t, strlen(t), NULL) == 0 &&
		    gw_json_reader_end(r, NULL) == 0,
		    "max_depth 1000 allows depth 1000 (the stack grows)");
		gw_json_reader_free(r);
	}
	free(s);
	free(t);

	memset(&lim, 0, sizeof(lim));
	lim.max_string = 4;
	is_str(trace_flags("[\"abcd\",\"\\u00e9\\u00e9\",\"\xc3\xa9\"]", 0,
	    &lim),
	    "[ S\"abcd\" S\"\\xc3\\xa9\\xc3\\xa9\" S\"\\xc3\\xa9\" ] => ok",
	    "max_string 4 allows 4 bytes");
	is_str(trace_flags("[\"abcde\"]", 0, &lim),
	    "[ => limit exceeded: string longer than 4 bytes @1:2:1",
	    "max_string 4 refuses 5 bytes");
	is_str(trace_flags("[\"abc\\n\\n\"]", 0, &lim),
	    "[ => limit exceeded: string longer than 4 bytes @1:2:1",
	    "max_string counts decoded bytes (escapes)");
	is_str(trace_flags("[\"\\ud83d\\ude00x\"]", 0, &lim),
	    "[ => limit exceeded: string longer than 4 bytes @1:2:1",
	    "max_string counts decoded bytes (a pair)");
	is_str(trace_flags("[\"abcd\xe2(\"]", 0, &lim),
	    "[ => limit exceeded: string longer than 4 bytes @1:2:1",
	    "max_string: the limit before invalid UTF-8 after it");
	is_str(trace_flags("[\"abc\xe2(\"]", 0, &lim),
	    "[ => protocol error: invalid UTF-8 @1:7:6",
	    "max_string: invalid UTF-8 within the limit");
	is_str(trace_flags("[\"abc", 0, &lim),
	    "[ => protocol error: unexpected end of input @1:6:5",
	    "max_string: a truncated short string");
	is_str(trace_flags("{\"abcdefgh\":1}", 0, &lim),
	    "{ K\"abcdefgh\" N1 } => ok", "max_string does not bound keys");

	memset(&lim, 0, sizeof(lim));
	lim.max_key = 3;
	is_str(trace_flags("{\"abc\":\"long value\",\"abcd\":1}", 0,
	    &lim), "{ K\"abc\" S\"long value\" => limit exceeded: key longer "
	    "than 3 bytes @1:21:20", "max_key");

	memset(&lim, 0, sizeof(lim));
	lim.max_number = 5;
	is_str(trace_flags("[12345,-1.5e3,123456]", 0, &lim),
	    "[ N12345 => limit exceeded: number longer than 5 bytes @1:8:7",
	    "max_number counts the number's text");
	is_str(trace_flags("123456", 0, &lim),
	    "=> limit exceeded: number longer than 5 bytes @1:1:0",
	    "max_number at the end of input");

	memset(&lim, 0, sizeof(lim));
	lim.max_entries = 2;
	is_str(trace_flags("[{\"a\":1,\"b\":2},{\"a\":1,\"b\":2,\"c\":3}]", 0,
	    &lim),
	    "[ { K\"a\" N1 K\"b\" N2 } { K\"a\" N1 K\"b\" N2 => "
	    "limit exceeded: "
	    "object with more than 2 entries @1:29:28", "max_entries");

	memset(&lim, 0, sizeof(lim));
	lim.max_items = 3;
	is_str(trace_flags("[[1,2,3],[{},[],\"x\",null]]", 0, &lim),
	    "[ [ N1 N2 N3 ] [ { } [ ] S\"x\" => limit exceeded: array with "
	    "more than 3 items @1:21:20", "max_items");
	is_str(trace_flags("[[],[],[],1]", 0, &lim),
	    "[ [ ] [ ] [ ] => limit exceeded: array with more than 3 items "
	    "@1:11:10", "max_items counts every kind of element");

	memset(&lim, 0, sizeof(lim));
	lim.max_bytes = 7;
	is_str(trace_flags("[1, 2] ", 0, &lim), "[ N1 N2 ] => ok",
	    "max_bytes allows exactly max_bytes");
	is_str(trace_flags("[1, 2]  ", 0, &lim),
	    "[ N1 N2 ] => limit exceeded: input longer than 7 bytes @1:8:7",
	    "max_bytes refuses one more");
	is_str(trace_flags("[1,\n2,3]", 0, &lim),
	    "[ N1 N2 => limit exceeded: input longer than 7 bytes @2:4:7",
	    "max_bytes reads up to the limit first");
	is_str(trace_flags("[1,2", GW_JSON_COMMENTS, &lim),
	    "[ N1 N2 => protocol error: unexpected end of input @1:5:4",
	    "max_bytes: a truncated short input");
	is_str(trace_flags("[1,}    ", 0, &lim),
	    "[ N1 => protocol error: unexpected '}' @1:4:3",
	    "max_bytes: an earlier syntax error wins");

	/* The hard cap bounds tokens when no limit is set. */
	s = malloc(GW_JSON_MAX_TOKEN + 3);
	s[0] = '"';
	memset(s + 1, 'a', GW_JSON_MAX_TOKEN + 1);
	s[GW_JSON_MAX_TOKEN + 2] = '"';
	{
		struct gw_json_reader	*r;
		int			 res = 0;

		r = gw_json_reader_new(0, NULL, NULL, NULL, NULL);
		for (size_t i = 0; i < GW_JSON_MAX_TOKEN + 3 && res == 0;
		    i += 65536)
			res = gw_json_reader_feed(r, s + i, GW_MIN(65536,
			    GW_JSON_MAX_TOKEN + 3 - i), &err);
		ok(res == -1 && err.code == GW_E_LIMIT &&
		    strcmp(err.msg, "string longer than 16777216 bytes") == 0,
		    "a string over GW_JSON_MAX_TOKEN is refused by default");
		gw_json_reader_free(r);
		r = gw_json_reader_new(0, NULL, NULL, NULL, NULL);
		ok(gw_json_reader_feed(r, "[", 1, &err) == 0 &&
		    gw_json_reader_feed(r, s, GW_JSON_MAX_TOKEN + 1, &err) ==
		    0 && gw_json_reader_feed(r, "\",\"x\"]", 6, &err) == 0 &&
		    gw_json_reader_end(r, &err) == 0,
		    "a string of GW_JSON_MAX_TOKEN bytes is fine");
		gw_json_reader_free(r);
		memset(&lim, 0, sizeof(lim));
		lim.max_string = GW_JSON_MAX_TOKEN + 1;
		r = gw_json_reader_new(0, &lim, NULL, NULL, NULL);
		ok(gw_json_reader_feed(r, s, GW_JSON_MAX_TOKEN + 3, &err) ==
		    0 && gw_json_reader_end(r, &err) == 0,
		    "an explicit max_string may go past GW_JSON_MAX_TOKEN");
		gw_json_reader_free(r);
	}
	free(s);
}

/*
 * The callback.
 */

static void
test_callback(void)
{
	struct gw_json_reader	*r;
	struct gw_err		 err;
	struct rec		 rc;
	unsigned		 line, col;
	uint64_t		 off;

	memset(&rc, 0, sizeof(rc));
	gw_buf_init(&rc.out, 0);
	rc.stop_at = 3;
	rc.set_err = 1;
	r = gw_json_reader_new(0, NULL, rec_event, &rc, NULL);
	ok(gw_json_reader_feed(r, "{\"a\":\n  [1, 2]}", 15, &err) == -1 &&
	    err.code == GW_E_CONFIG && strcmp(err.msg, "consumer says no") ==
	    0, "a callback's error stops the reader");
	gw_json_reader_pos(r, &line, &col, &off);
	ok(line == 2 && col == 3 && off == 8,
	    "the position is the event's");
	ok(gw_json_reader_end(r, &err) == -1 && err.code == GW_E_CONFIG,
	    "and the error stays");
	gw_json_reader_free(r);
	gw_buf_release(&rc.out);

	memset(&rc, 0, sizeof(rc));
	gw_buf_init(&rc.out, 0);
	rc.stop_at = 2;
	rc.set_err = 1;
	r = gw_json_reader_new(0, NULL, rec_event, &rc, NULL);
	ok(gw_json_reader_feed(r, "[\n]", 3, &err) == -1 &&
	    err.code == GW_E_CONFIG,
	    "a callback stopping at a closing bracket");
	gw_json_reader_pos(r, &line, &col, &off);
	ok(line == 2 && col == 1 && off == 2, "at the bracket's position");
	gw_json_reader_free(r);
	gw_buf_release(&rc.out);

	memset(&rc, 0, sizeof(rc));
	gw_buf_init(&rc.out, 0);
	rc.stop_at = 1;
	r = gw_json_reader_new(0, NULL, rec_event, &rc, NULL);
	ok(gw_json_reader_feed(r, "7", 1, &err) == 0, "a number waits");
	ok(gw_json_reader_end(r, &err) == -1 && err.code == GW_E_INTERNAL &&
	    strcmp(err.msg, "stopped by the event callback") == 0,
	    "a callback failing without an error (in end)");
	gw_json_reader_free(r);
	gw_buf_release(&rc.out);
}

/*
 * Documents.
 */

static const char *
jdoc_error(const char *in, unsigned flags)
{
	static struct gw_err	 err;
	struct gw_jdoc		*d = (struct gw_jdoc *)1;

	gw_err_clear(&err);
	if (gw_jdoc_parse(in, strlen(in), "t.json", flags, &d, &err) == 0) {
		gw_jdoc_free(d);
		return "ok";
	}
	if (d != NULL)
		return "*out not NULL";
	return err.msg;
}

static void
test_jdoc(void)
{
	const char *conf =
	    "// gw.json\n"
	    "{\n"
	    "  \"listen\": [\"127.0.0.1:8080\", null],\n"
	    "  \"routes\": [\n"
	    "    { \"path\": \"/v1\", \"upstream\": \"catalog\",\n"
	    "      \"timeout\": 2000, \"ratio\": 0.5, \"on\": true,\n"
	    "      \"none\": null }\n"
	    "  ]\n"
	    "}\n";
	const char *nums = "[1.0,-0,1e400,123456789012345678901234567890,"
	    "9223372036854775807,-9223372036854775808,9223372036854775808,"
	    "-9223372036854775809,0,-1,1E+2,2.5e-3]";
	struct gw_jdoc		*d;
	struct gw_err		 err;
	struct json_object	*root, *o, *routes, *r0, *v;
	unsigned		 line = 0, col = 0;

	ok(gw_jdoc_parse(conf, strlen(conf), "gw.json", GW_JSON_COMMENTS, &d,
	    &err) == 0, "gw_jdoc_parse a config with comments");
	root = gw_jdoc_root(d);
	is_str(gw_jdoc_origin(d), "gw.json", "the origin");
	ok(gw_jdoc_pos(d, root, &line, &col) == 0 && line == 2 && col == 1,
	    "the root's position");
	ok(json_object_object_get_ex(root, "routes", &routes) &&
	    gw_jdoc_pos(d, routes, &line, &col) == 0 && line == 4 &&
	    col == 13, "an array value's position");
	r0 = json_object_array_get_idx(routes, 0);
	ok(gw_jdoc_pos(d, r0, &line, &col) == 0 && line == 5 && col == 5,
	    "an array element's position");
	ok(json_object_object_get_ex(r0, "upstream", &v) &&
	    gw_jdoc_pos(d, v, &line, &col) == 0 && line == 5 && col == 34,
	    "a string's position");
	is_str(json_object_get_string(v), "catalog", "the string's value");
	ok(gw_jdoc_key_pos(d, r0, "upstream", &line, &col) == 0 &&
	    line == 5 && col == 22, "a key's position");
	ok(json_object_object_get_ex(r0, "timeout", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == 2000 &&
	    gw_jdoc_pos(d, v, &line, &col) == 0 && line == 6 && col == 18,
	    "an integer and its position");
	ok(json_object_object_get_ex(r0, "ratio", &v) &&
	    json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) == 0.5 &&
	    gw_jdoc_pos(d, v, &line, &col) == 0 && line == 6 && col == 33,
	    "a double and its position");
	ok(json_object_object_get_ex(r0, "on", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v) &&
	    gw_jdoc_pos(d, v, &line, &col) == 0 && line == 6 && col == 44,
	    "a boolean and its position");
	ok(json_object_object_get_ex(r0, "none", &v) && v == NULL &&
	    gw_jdoc_pos(d, v, &line, &col) == -1,
	    "a null member has no value position");
	ok(gw_jdoc_key_pos(d, r0, "none", &line, &col) == 0 && line == 7 &&
	    col == 7, "but its key has one");
	ok(json_object_object_get_ex(root, "listen", &o) &&
	    json_object_array_length(o) == 2 &&
	    json_object_array_get_idx(o, 1) == NULL,
	    "null in an array is NULL");
	ok(gw_jdoc_key_pos(d, r0, "nope", &line, &col) == -1,
	    "no position for a missing key");
	ok(gw_jdoc_key_pos(d, routes, "path", &line, &col) == -1,
	    "no key position in an array");
	ok(gw_jdoc_key_pos(d, NULL, "path", &line, &col) == -1,
	    "no key position in NULL");
	json_object_object_add(r0, "added", json_object_new_int(1));
	ok(gw_jdoc_key_pos(d, r0, "added", &line, &col) == -1,
	    "no position for a key added after parsing");
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_int(1));
	ok(gw_jdoc_pos(d, o, &line, &col) == -1 &&
	    gw_jdoc_key_pos(d, o, "path", &line, &col) == -1,
	    "no positions for objects of another tree");
	json_object_put(o);
	gw_jdoc_free(d);
	gw_jdoc_free(NULL);

	/* Numbers. */
	ok(gw_jdoc_parse(nums, strlen(nums), "n", 0, &d, &err) == 0,
	    "parse numbers");
	root = gw_jdoc_root(d);
	is_str(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN),
	    nums, "number text survives the tree");
	{
		static const json_type want[] = {
			json_type_double, json_type_double, json_type_double,
			json_type_double, json_type_int, json_type_int,
			json_type_double, json_type_double, json_type_int,
			json_type_int, json_type_double, json_type_double
		};
		int good = 1;

		for (size_t i = 0; i < GW_ARRAY_LEN(want); i++)
			good &= json_object_get_type(
			    json_object_array_get_idx(root, i)) == want[i];
		ok(good, "int64 when it fits, double otherwise");
	}
	ok(json_object_get_int64(json_object_array_get_idx(root, 5)) ==
	    INT64_MIN, "INT64_MIN");
	ok(json_object_get_double(json_object_array_get_idx(root, 11)) ==
	    2.5e-3, "a double's value");
	gw_jdoc_free(d);

	/* Strings with NUL keep their length. */
	ok(gw_jdoc_parse("[\"a\\u0000b\"]", 12, "s", 0, &d, &err) == 0 &&
	    json_object_get_string_len(json_object_array_get_idx(
	    gw_jdoc_root(d), 0)) == 3, "a string with NUL keeps its length");
	gw_jdoc_free(d);

	/* A scalar root. */
	ok(gw_jdoc_parse(" null ", 6, "s", 0, &d, &err) == 0 &&
	    gw_jdoc_root(d) == NULL, "a null root");
	gw_jdoc_free(d);
	ok(gw_jdoc_parse("\"x\"", 3, "s", 0, &d, &err) == 0 &&
	    gw_jdoc_pos(d, gw_jdoc_root(d), &line, &col) == 0 &&
	    line == 1 && col == 1, "a string root has a position");
	gw_jdoc_free(d);

	/* GW_JSON_MULTI: an array of the values. */
	ok(gw_jdoc_parse("{\"a\":1}\n2\nnull\n", 15, "m", GW_JSON_MULTI, &d,
	    &err) == 0, "parse JSON lines");
	is_str(json_object_to_json_string_ext(gw_jdoc_root(d),
	    JSON_C_TO_STRING_PLAIN), "[{\"a\":1},2,null]",
	    "GW_JSON_MULTI: the root is an array of the values");
	ok(gw_jdoc_pos(d, json_object_array_get_idx(gw_jdoc_root(d), 1),
	    &line, &col) == 0 && line == 2 && col == 1,
	    "GW_JSON_MULTI: values have positions");
	gw_jdoc_free(d);
	ok(gw_jdoc_parse("", 0, "m", GW_JSON_MULTI, &d, &err) == 0 &&
	    json_object_array_length(gw_jdoc_root(d)) == 0,
	    "GW_JSON_MULTI: no value is an empty array");
	gw_jdoc_free(d);

	/* Errors. */
	is_str(jdoc_error("{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}", 0),
	    "t.json:4:3: duplicate key 'a'",
	    "a duplicate key, at the second key");
	{
		struct gw_err e2;

		ok(gw_jdoc_parse("{\"a\":{\"b\":1,\"b\":2}}", 19, "t", 0, &d,
		    &e2) == -1 && e2.code == GW_E_PROTO && d == NULL,
		    "a nested duplicate key is GW_E_PROTO");
		ok(gw_jdoc_parse("{\"a\\u0000\":1}", 13, "t", 0, &d, &e2) ==
		    -1 && e2.code == GW_E_UNSUPPORTED &&
		    strcmp(e2.msg,
		    "t:1:2: key holding \\u0000 not supported") == 0,
		    "a key holding NUL is not supported");
		ok(gw_jdoc_parse("{]", 2, "t", 0, &d, NULL) == -1 && d == NULL,
		    "err may be NULL");
	}
	is_str(jdoc_error("{\"a\":1,\"b\":{\"a\":2},"
	    "\"c\":[{\"a\":1},{\"a\":1}]}", 0), "ok", "the same key in different objects is fine");
	is_str(jdoc_error("{\"\":1,\"\":2}", 0), "t.json:1:7: duplicate key ''",
	    "a duplicate empty key");
	is_str(jdoc_error("{\"a\\nb'c\":1,\"a\\nb'c\":2}", 0),
	    "t.json:1:13: duplicate key 'a?b?c'",
	    "control characters and quotes in a key message");
	is_str(jdoc_error("{\"0123456789012345678901234567890123456789"
	    "01234567890123456789012\xc3\xa9xyz\":1,\"0123456789012345678901"
	    "23456789012345678901234567890123456789012\xc3\xa9xyz\":2}", 0),
	    "t.json:1:75: duplicate key '012345678901234567890123456789"
	    "012345678901234567890123456789012...'",
	    "a long key is cut in a message, at a character boundary");
	is_str(jdoc_error("{\n  \"a\": [1, 2,]\n}", 0),
	    "t.json:2:14: trailing comma before ']'", "a syntax error");
	is_str(jdoc_error("{\"a\": 1} // x", 0),
	    "t.json:1:10: unexpected '/'", "comments need the flag");
	is_str(jdoc_error("{\"a\": 1} // x", GW_JSON_COMMENTS), "ok",
	    "comments with the flag");
	is_str(jdoc_error("{\n  \"a\": [\n", 0),
	    "t.json:3:1: unexpected end of input", "a truncated document");
	is_str(jdoc_error("", 0), "t.json:1:1: empty input", "empty input");
	{
		char *s = repeat("", "[", GW_MAX_JSON_DEPTH + 1, "");

		is_str(jdoc_error(s, 0), "t.json:1:65: nesting deeper than 64",
		    "documents nest at most GW_MAX_JSON_DEPTH");
		free(s);
	}
	ok(gw_jdoc_parse("[1,,", 4, "t", 0, &d, &err) == -1 &&
	    err.code == GW_E_PROTO, "a syntax error is GW_E_PROTO");
}

static void
test_jv(void)
{
	const char		*doc = "{\"s\": \"a\\u0000b/c\", \"i\": -42, "
	    "\"d\": 1.50, \"h\": 1e400, \"t\": true, \"f\": false, "
	    "\"z\": null, \"a\": [1, null, \"x\"], \"o\": {\"k\": {}}}";
	struct gw_jdoc		*d;
	struct gw_err		 err;
	struct gw_buf		 b;
	struct gw_jv_iter	 it;
	struct json_object	*root, *v;
	const char		*k, *str;
	char			 order[64];
	size_t			 len, n;

	ok(gw_jdoc_parse(doc, strlen(doc), "jv", 0, &d, &err) == 0,
	    "parse a document for gw_jv");
	root = gw_jdoc_root(d);
	ok(gw_jv_type(root) == GW_JT_OBJECT && gw_jv_len(root) == 9,
	    "gw_jv_type and gw_jv_len of an object");
	ok(gw_jv_get(root, "s", &v) == 1 && gw_jv_type(v) == GW_JT_STRING &&
	    (str = gw_jv_str(v, &len)) != NULL && len == 5 &&
	    memcmp(str, "a\0b/c", 6) == 0, "a string with NUL and its length");
	ok(gw_jv_str(v, NULL) != NULL, "gw_jv_str without a length");
	ok(gw_jv_int(v) == 0 && gw_jv_double(v) == 0 && gw_jv_bool(v) == 0 &&
	    gw_jv_len(v) == 0 && gw_jv_at(v, 0) == NULL,
	    "a string is no integer, number, boolean or array");
	ok(gw_jv_get(root, "i", &v) == 1 && gw_jv_type(v) == GW_JT_INT &&
	    gw_jv_int(v) == -42 && gw_jv_double(v) == -42.0 &&
	    gw_jv_str(v, &len) == NULL, "an integer");
	ok(gw_jv_get(root, "d", &v) == 1 && gw_jv_type(v) == GW_JT_DOUBLE &&
	    gw_jv_double(v) == 1.5 && gw_jv_int(v) == 0, "a double");
	ok(gw_jv_get(root, "h", &v) == 1 && gw_jv_type(v) == GW_JT_DOUBLE &&
	    gw_jv_double(v) > 1e308, "1e400 is a huge double");
	ok(gw_jv_get(root, "t", &v) == 1 && gw_jv_type(v) == GW_JT_BOOL &&
	    gw_jv_bool(v) == 1, "true");
	ok(gw_jv_get(root, "f", &v) == 1 && gw_jv_type(v) == GW_JT_BOOL &&
	    gw_jv_bool(v) == 0, "false");
	v = root;
	ok(gw_jv_get(root, "z", &v) == 1 && v == NULL &&
	    gw_jv_type(v) == GW_JT_NULL, "a null member is there, as NULL");
	ok(gw_jv_get(root, "nope", &v) == 0, "a missing member");
	ok(gw_jv_get(root, "i", NULL) == 1, "gw_jv_get with out NULL");
	ok(gw_jv_get(root, "a", &v) == 1 && gw_jv_type(v) == GW_JT_ARRAY &&
	    gw_jv_len(v) == 3 && gw_jv_int(gw_jv_at(v, 0)) == 1 &&
	    gw_jv_at(v, 1) == NULL && gw_jv_type(gw_jv_at(v, 2)) ==
	    GW_JT_STRING && gw_jv_at(v, 3) == NULL, "an array");
	ok(gw_jv_get(v, "x", NULL) == 0, "gw_jv_get on an array");
	gw_jv_iter_init(&it, v);
	ok(gw_jv_iter_next(&it, &k, NULL) == 0, "no members in an array");
	ok(gw_jv_get(root, "o", &v) == 1 && gw_jv_get(v, "k", &v) == 1 &&
	    gw_jv_type(v) == GW_JT_OBJECT && gw_jv_len(v) == 0,
	    "an empty object");
	order[0] = '\0';
	n = 0;
	gw_jv_iter_init(&it, root);
	while (gw_jv_iter_next(&it, &k, &v)) {
		(void)strncat(order, k, sizeof(order) - strlen(order) - 1);
		n += v == NULL;
	}
	is_str(order, "sidhtfzao", "members in document order");
	ok(n == 1, "with their values");
	gw_jv_iter_init(&it, root);
	ok(gw_jv_iter_next(&it, NULL, NULL) == 1, "keys and values optional");
	gw_jv_iter_init(&it, NULL);
	ok(gw_jv_iter_next(&it, &k, &v) == 0, "no members in null");
	ok(gw_jv_len(NULL) == 0 && gw_jv_at(NULL, 0) == NULL &&
	    gw_jv_str(NULL, NULL) == NULL && gw_jv_get(NULL, "a", NULL) == 0,
	    "null is none of the containers");
	is_str(gw_jv_type_name(GW_JT_NULL), "null", "type name: null");
	is_str(gw_jv_type_name(GW_JT_BOOL), "a boolean", "type name: bool");
	is_str(gw_jv_type_name(GW_JT_INT), "an integer", "type name: int");
	is_str(gw_jv_type_name(GW_JT_DOUBLE), "a number", "type name: double");
	is_str(gw_jv_type_name(GW_JT_STRING), "a string", "type name: string");
	is_str(gw_jv_type_name(GW_JT_ARRAY), "an array", "type name: array");
	is_str(gw_jv_type_name(GW_JT_OBJECT), "an object", "type name: object");
	is_str(gw_jv_type_name((enum gw_jv_type)99), "unknown",
	    "type name: out of range");

	gw_buf_init(&b, 0);
	ok(gw_jv_serialize(root, &b, &err) == 0 &&
	    gw_buf_cstr(&b, &err) != NULL, "gw_jv_serialize");
	is_str(b.p, "{\"s\":\"a\\u0000b/c\",\"i\":-42,\"d\":1.50,"
	    "\"h\":1e400,\"t\":true,\"f\":false,\"z\":null,"
	    "\"a\":[1,null,\"x\"],\"o\":{\"k\":{}}}",
	    "compact, numbers as read, '/' as is");
	gw_buf_reset(&b);
	ok(gw_jv_serialize(NULL, &b, &err) == 0 && b.len == 4 &&
	    memcmp(b.p, "null", 4) == 0, "gw_jv_serialize of null");
	gw_buf_release(&b);
	gw_buf_init(&b, 10);
	ok(gw_jv_serialize(root, &b, &err) == -1 && err.code == GW_E_LIMIT,
	    "gw_jv_serialize past the buffer's maximum");
	gw_buf_release(&b);
	gw_jdoc_free(d);
}

static void
test_jdoc_many(void)
{
	struct gw_buf		 b;
	struct gw_jdoc		*d;
	struct gw_err		 err;
	struct json_object	*root;
	unsigned		 line, col;
	int			 good = 1;

	/* Enough values and keys to grow the position table a few times. */
	gw_buf_init(&b, 0);
	(void)gw_buf_puts(&b, "{", NULL);
	for (int i = 0; i < 2000; i++)
		(void)gw_buf_printf(&b, NULL, "%s\n\"k%d\": [%d, \"v\"]",
		    i == 0 ? "" : ",", i, i);
	(void)gw_buf_puts(&b, "}", NULL);
	ok(gw_jdoc_parse(b.p, b.len, "big", 0, &d, &err) == 0,
	    "a document with 2000 members");
	root = gw_jdoc_root(d);
	for (int i = 0; i < 2000 && good; i++) {
		char			 k[16];
		struct json_object	*v;

		(void)snprintf(k, sizeof(k), "k%d", i);
		good = json_object_object_get_ex(root, k, &v) &&
		    gw_jdoc_pos(d, v, &line, &col) == 0 &&
		    line == (unsigned)i + 2 && col == strlen(k) + 5 &&
		    gw_jdoc_pos(d, json_object_array_get_idx(v, 1), &line,
		    &col) == 0 && col > strlen(k) + 5 &&
		    gw_jdoc_key_pos(d, root, k, &line, &col) == 0 &&
		    line == (unsigned)i + 2 && col == 1;
	}
	ok(good, "every value and key has its position");
	gw_jdoc_free(d);
	gw_buf_release(&b);
}

static void
test_jdoc_load(void)
{
	char		 dir[] = "/tmp/json_test.XXXXXX";
	char		 path[256], big[256];
	struct gw_jdoc	*d = (struct gw_jdoc *)1;
	struct gw_err	 err;
	FILE		*fp;
	unsigned	 line, col;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/gw.json", dir);
	(void)snprintf(big, sizeof(big), "%s/big.json", dir);
	ok(gw_jdoc_load(path, 0, 0, &d, &err) == -1 && d == NULL &&
	    err.code == GW_E_NOTFOUND, "a missing file is GW_E_NOTFOUND");
	{
		char want[512];

		(void)snprintf(want, sizeof(want),
		    "cannot open '%s': No such file or directory", path);
		is_str(err.msg, want, "the missing file's message");
	}
	ok(gw_jdoc_load(path, 0, 0, &d, NULL) == -1,
	    "a missing file with err NULL");
	fp = fopen(path, "w");
	fputs("{\n  // comment\n  \"a\": [1, 2]\n}\n", fp);
	fclose(fp);
	ok(gw_jdoc_load(path, GW_JSON_COMMENTS, 0, &d, &err) == 0,
	    "gw_jdoc_load a file");
	is_str(gw_jdoc_origin(d), path, "its origin is the path");
	ok(gw_jdoc_key_pos(d, gw_jdoc_root(d), "a", &line, &col) == 0 &&
	    line == 3 && col == 3, "positions in a loaded file");
	gw_jdoc_free(d);
	ok(gw_jdoc_load(path, 0, 0, &d, &err) == -1 &&
	    err.code == GW_E_PROTO, "a syntax error in a file");
	{
		char want[512];

		(void)snprintf(want, sizeof(want), "%s:2:3: unexpected '/'",
		    path);
		is_str(err.msg, want, "its message names the file");
	}
	ok(gw_jdoc_load(path, GW_JSON_COMMENTS, 31, &d, &err) == 0,
	    "a file of exactly max_bytes");
	gw_jdoc_free(d);
	ok(gw_jdoc_load(path, GW_JSON_COMMENTS, 30, &d, &err) == -1 &&
	    err.code == GW_E_LIMIT && d == NULL,
	    "a file over max_bytes is GW_E_LIMIT");
	{
		char want[512];

		(void)snprintf(want, sizeof(want),
		    "'%s' is larger than 30 bytes", path);
		is_str(err.msg, want, "the size message");
	}
	/* Over GW_MAX_CONFIG_BYTES by default. */
	fp = fopen(big, "w");
	fputc('[', fp);
	for (size_t i = 0; i < GW_MAX_CONFIG_BYTES / 2 - 1; i++)
		fputs("0,", fp);
	fputs("0]", fp);
	fclose(fp);
	ok(gw_jdoc_load(big, 0, 0, &d, &err) == -1 &&
	    err.code == GW_E_LIMIT, "max_bytes 0 is GW_MAX_CONFIG_BYTES");
	ok(gw_jdoc_load(big, 0, GW_MAX_CONFIG_BYTES + 1, &d, &err) == 0 &&
	    json_object_array_length(gw_jdoc_root(d)) ==
	    GW_MAX_CONFIG_BYTES / 2, "a large file read in pieces");
	gw_jdoc_free(d);
	/* Not a regular file: the size is counted while reading. */
	ok(gw_jdoc_load("/dev/zero", 0, 100, &d, &err) == -1 &&
	    err.code == GW_E_LIMIT &&
	    strcmp(err.msg, "'/dev/zero' is larger than 100 bytes") == 0,
	    "an endless device is cut at max_bytes");
	ok(gw_jdoc_load("/dev/null", 0, 0, &d, &err) == -1 &&
	    strcmp(err.msg, "/dev/null:1:1: empty input") == 0,
	    "an empty device is empty input");
	ok(gw_jdoc_load(dir, 0, 0, &d, &err) == -1 && err.code == GW_E_SYS &&
	    strstr(err.msg, "cannot read '") == err.msg,
	    "a directory cannot be read");
	(void)unlink(path);
	(void)unlink(big);
	(void)rmdir(dir);
}

/*
 * Out of memory: fail each allocation of an operation in turn.  Each run
 * must fail cleanly with GW_E_NOMEM (valgrind and ASan check the leaks)
 * until the one where no allocation failed.
 */

static int
nomem_reader(struct gw_err *err)
{
	const char		*doc = "[[[[[[[[[[[[[[[[[[[[{\"k\\n\":"
	    "\"a\\u00e9b\", \"n\": 12345.5e1}]]]]]]]]]]]]]]]]]]]]";
	struct gw_json_reader	*r;
	struct rec		 rc;
	size_t			 len = strlen(doc);
	int			 res = 0;

	memset(&rc, 0, sizeof(rc));
	if ((r = gw_json_reader_new(0, NULL, NULL, &rc, err)) == NULL)
		return -1;
	/* Pieces of 3 bytes: tokens are kept across pieces. */
	for (size_t i = 0; i < len && res == 0; i += 3)
		res = gw_json_reader_feed(r, doc + i, GW_MIN(3, len - i), err);
	if (res == 0)
		res = gw_json_reader_end(r, err);
	gw_json_reader_free(r);
	return res;
}

static int
nomem_jdoc(struct gw_err *err)
{
	struct gw_buf	 b;
	struct gw_jdoc	*d = (struct gw_jdoc *)1;
	int		 res;

	gw_buf_init(&b, 0);
	(void)gw_buf_puts(&b, "{\"a\": [1, 2.5, -0, \"s\", true, false, null,"
	    " {}, []], \"n\": null, \"b\": "
	    "[[[[[[[[[[[[[[[[[[[[{\"c\": null}]]]]]]]]]]]]]]]]]]]]",
	    NULL);
	for (int i = 0; i < 60; i++)
		(void)gw_buf_printf(&b, NULL, ", \"k%d\": %d", i, i);
	(void)gw_buf_puts(&b, "}", NULL);
	res = gw_jdoc_parse(b.p, b.len, "t", 0, &d, err);
	gw_buf_reset(&b);
	if (res == -1 && d != NULL)
		abort();
	if (res == 0)
		res = gw_jv_serialize(gw_jdoc_root(d), &b, err);
	gw_buf_release(&b);
	gw_jdoc_free(d);
	return res;
}

static int
nomem_multi(struct gw_err *err)
{
	struct gw_jdoc	*d = NULL;
	int		 res;

	res = gw_jdoc_parse("1 \"x\" [2] 3", 11, "t", GW_JSON_MULTI, &d, err);
	gw_jdoc_free(d);
	return res;
}

static const char *nomem_path;

static int
nomem_load(struct gw_err *err)
{
	struct gw_jdoc	*d = NULL;
	int		 res;

	res = gw_jdoc_load(nomem_path, GW_JSON_COMMENTS, 0, &d, err);
	gw_jdoc_free(d);
	return res;
}

static void
test_nomem(void)
{
	static const struct {
		const char	*name;
		int		(*fn)(struct gw_err *);
	} ops[] = {
		{ "the reader", nomem_reader },
		{ "gw_jdoc_parse", nomem_jdoc },
		{ "gw_jdoc_parse with GW_JSON_MULTI", nomem_multi },
		{ "gw_jdoc_load", nomem_load },
	};
	char	path[] = "/tmp/json_test.XXXXXX";
	int	fd;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "mkstemp: %s", strerror(errno));
		return;
	}
	{
		const char *doc = "// x\n{\"a\": [1, \"b\"]}\n";

		if (write(fd, doc, strlen(doc)) != (ssize_t)strlen(doc))
			ok(0, "write: %s", strerror(errno));
	}
	(void)close(fd);
	nomem_path = path;
	for (size_t i = 0; i < GW_ARRAY_LEN(ops); i++) {
		struct gw_err	err;
		long		n;
		int		res, clean = 1;

		for (n = 0; n < 100000; n++) {
			gw_err_clear(&err);
			fail_countdown = n;
			res = ops[i].fn(&err);
			if (fail_countdown >= 0) {
				/* No allocation failed. */
				fail_countdown = -1;
				break;
			}
			if (res != -1 || err.code != GW_E_NOMEM ||
			    strcmp(err.msg, "out of memory") != 0) {
				printf("# %s: allocation %ld: %d %s\n",
				    ops[i].name, n, res, err.msg);
				clean = 0;
			}
		}
		if (res != 0)
			printf("# %s: %s\n", ops[i].name, err.msg);
		ok(clean && res == 0 && n > 0,
		    "%s: each of its %ld allocations can fail cleanly",
		    ops[i].name, n);
	}
	(void)unlink(path);
}

/*
 * JSONTestSuite: y_ accepted, n_ rejected, i_ either, never a crash.
 */

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf = NULL;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) !=
	    NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n)
		*lenp = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_jsontestsuite(void)
{
	const char	*dir = getenv("JSONTESTSUITE");
	DIR		*dp;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 n = 0, cap = 0;
	int		 ny = 0, nn = 0, ni = 0, bady = 0, badn = 0, badd = 0;

	if (dir == NULL)
		dir = JSONTESTSUITE;
	if ((dp = opendir(dir)) == NULL) {
		printf("ok %d # skip %s: %s\n", ++tap_n, dir, strerror(errno));
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".json") == NULL)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 512 : cap * 2;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char		 path[4096];
		char		*buf;
		size_t		 len = 0;
		int		 v, vd, same;
		struct gw_jdoc	*d;
		struct gw_err	 err, derr;

		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((buf = slurp(path, &len)) == NULL) {
			printf("# cannot read %s\n", path);
			continue;
		}
		v = verdict(buf, len, 0, &err);
		vd = gw_jdoc_parse(buf, len, names[i], 0, &d, &derr);
		gw_jdoc_free(d);
		/* The tree refuses duplicate keys and NUL in keys only. */
		same = v == vd || (v == 0 && (strstr(derr.msg,
		    "duplicate key") != NULL || strstr(derr.msg,
		    "\\u0000") != NULL));
		if (!same) {
			printf("# %s: reader %d, jdoc %d: %s\n", names[i], v,
			    vd, vd == -1 ? derr.msg : "");
			badd++;
		}
		if (names[i][0] == 'y') {
			ny++;
			if (v != 0) {
				printf("# %s rejected: %s\n", names[i],
				    err.msg);
				bady++;
			}
		} else if (names[i][0] == 'n') {
			nn++;
			if (v == 0) {
				printf("# %s accepted\n", names[i]);
				badn++;
			}
		} else
			ni++;
		/* Byte by byte gives the same verdict. */
		{
			struct gw_json_reader	*r;
			int			 res = 0;

			r = gw_json_reader_new(0, NULL, NULL, NULL, NULL);
			for (size_t j = 0; j < len && res == 0; j++)
				res = gw_json_reader_feed(r, buf + j, 1, NULL);
			if (res == 0)
				res = gw_json_reader_end(r, NULL);
			if (res != v) {
				printf("# %s: byte by byte differs\n",
				    names[i]);
				badd++;
			}
			gw_json_reader_free(r);
		}
		free(buf);
		free(names[i]);
	}
	free(names);
	ok(ny > 0 && bady == 0, "JSONTestSuite: %d y_ files accepted",
	    ny - bady);
	ok(nn > 0 && badn == 0, "JSONTestSuite: %d n_ files rejected",
	    nn - badn);
	ok(badd == 0, "JSONTestSuite: %d i_ files read; trees and splits "
	    "agree", ni);
}

int
main(void)
{
	test_escape();
	test_accept();
	test_reject();
	test_events();
	test_error_pos();
	test_splits();
	test_comments();
	test_multi();
	test_bom();
	test_limits();
	test_callback();
	test_jdoc();
	test_jv();
	test_jdoc_many();
	test_jdoc_load();
	test_nomem();
	test_jsontestsuite();
	free(last_trace);
	return done_testing();
}
