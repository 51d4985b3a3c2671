/*
 * json.c: JSON escaping, a streaming reader, and json-c trees with
 * positions.
 *
 * The reader is a push state machine.  Between tokens it is in L_WS; a
 * token that does not end in the piece being fed keeps its state in the
 * reader (which lexical state, the grammar state, the number state, a
 * pending \u escape or UTF-8 sequence), and its bytes so far in r->tok.
 * A string without escapes, or a number, that ends in the piece it started
 * in is handed to the callback straight from the input, without a copy.
 * Limits are checked at every point where a run of bytes stops (a stop
 * character, the end of a piece, an error), before anything else is done
 * there, so that every split of the input gives the same verdict.
 *
 * The tree builder is one more consumer of the reader's events: it makes
 * json-c objects and records each value's and each key's position in a
 * hash table keyed by pointer.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <json-c/json.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "str.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
int
gw_json_escape_append(struct gw_buf *out, const char *s, size_t len,
    struct gw_err *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < len) {
		unsigned char	c = p[i];
		char		esc[7];
		size_t		elen = 0, n;
		uint32_t	cp;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80 && (n = gw_utf8_decode(p + i, len - i, &cp)) > 0) {
			i += n;
			run += n;
			continue;
		}
		if (gw_buf_append(out, p + i - run, run, err) == -1)
			return -1;
		run = 0;
		if (c >= 0x80) {
			if (gw_buf_append(out, "\xef\xbf\xbd", 3, err) == -1)
				return -1;
			i++;
			continue;
		}
		esc[elen++] = '\\';
		switch (c) {
		case '"':
			esc[elen++] = '"';
			break;
		case '\\':
			esc[elen++] = '\\';
			break;
		case '\n':
			esc[elen++] = 'n';
			break;
		case '\r':
			esc[elen++] = 'r';
			break;
		case '\t':
			esc[elen++] = 't';
			break;
		case '\b':
			esc[elen++] = 'b';
			break;
		case '\f':
			esc[elen++] = 'f';
			break;
		default:
			esc[elen++] = 'u';
			esc[elen++] = '0';
			esc[elen++] = '0';
			esc[elen++] = hex[c >> 4];
			esc[elen++] = hex[c & 15];
			break;
		}
		if (gw_buf_append(out, esc, elen, err) == -1)
			return -1;
		i++;
	}
	/* s may be NULL when len is 0: no arithmetic on it then */
	return run == 0 ? 0 : gw_buf_append(out, p + i - run, run, err);
}

/*
 * The streaming reader.
 */

/* Lexical states: where in the input the reader is. */
enum lex {
	L_WS,			/* between tokens */
	L_BOM,			/* in a leading byte order mark */
	L_STR,			/* in a string */
	L_ESC,			/* after a backslash in a string */
	L_HEX,			/* in the four hex digits of \u */
	L_PAIR_BS,		/* after a high surrogate: want '\' */
	L_PAIR_U,		/* ... then a 'u' */
	L_NUM,			/* in a number */
	L_LIT,			/* in true, false or null */
	L_SLASH,		/* after the '/' starting a comment */
	L_LINE_CMT,		/* in a // comment */
	L_BLOCK_CMT,		/* in a block comment */
	L_BLOCK_STAR		/* in a block comment, after a '*' */
};

/* Grammar states: what may come next. */
enum gram {
	G_START,		/* the first value (or nothing yet) */
	G_VALUE,		/* a value: after ':', or ',' in an array */
	G_ARR_FIRST,		/* a value or ']': after '[' */
	G_OBJ_FIRST,		/* a key or '}': after '{' */
	G_KEY,			/* a key: after ',' in an object */
	G_COLON,		/* ':' after a key */
	G_ARR_NEXT,		/* ',' or ']' after an element */
	G_OBJ_NEXT,		/* ',' or '}' after a member */
	G_DONE			/* after a top-level value */
};

/* Number states, after what has been read so far. */
enum num {
	N_MINUS,		/* "-" */
	N_ZERO,			/* "0", "-0" */
	N_INT,			/* "1", "-12" */
	N_DOT,			/* "1." */
	N_FRAC,			/* "1.5" */
	N_EXP_MARK,		/* "1e" */
	N_EXP_SIGN,		/* "1e+" */
	N_EXP			/* "1e5" */
};

/* What the token being read is, for limits and messages. */
enum tok {
	T_STRING,
	T_KEY,
	T_NUMBER
};

struct frame {
	size_t	n;		/* members or elements so far */
	int	obj;		/* 1 for an object, 0 for an array */
};

struct gw_json_reader {
	gw_json_event_fn	*fn;
	void			*arg;
	unsigned		 flags;
	struct gw_json_limits	 lim;		/* defaults filled in */

	enum lex		 lex;
	enum gram		 gram;
	enum num		 num;
	enum tok		 tok_kind;
	size_t			 tok_max;	/* the token's limit */
	int			 failed;	/* err holds the failure */
	int			 ended;		/* reader_end() was called */
	int			 need_sep;	/* a top-level scalar ended */

	/* \u escapes and surrogate pairs */
	unsigned		 hex_n;
	uint32_t		 hex_val;
	uint32_t		 hi;		/* high surrogate, or 0 */
	uint64_t		 esc_off;	/* the escape's offset */
	uint64_t		 hi_off;	/* the high surrogate's */

	/* a UTF-8 sequence in a string or comment */
	unsigned		 u8_need;	/* continuation bytes due */
	unsigned char		 u8_lo, u8_hi;	/* the next one's range */

	/* literals (and the byte order mark) */
	const char		*lit;
	unsigned		 lit_len, lit_i;
	enum gw_json_type	 lit_type;

	/* positions */
	uint64_t		 off;		/* the piece's offset */
	uint64_t		 line_start;	/* the line's offset */
	unsigned		 line;
	uint64_t		 tok_off;	/* the token's offset */
	unsigned		 cmt_line, cmt_col; /* a comment's start */
	unsigned		 pos_line, pos_col;
	uint64_t		 pos_off;

	struct gw_buf		 tok;		/* the token so far */
	struct frame		*stack;		/* open containers */
	size_t			 depth, cap;
	struct gw_err		 err;
};

/* Bytes that may stand for themselves in a string, in the fast loop. */
static const unsigned char str_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xf0 */
};

#define IS_DIGIT(c)	((unsigned)(c) - '0' < 10)

/* The first byte at or after p that is not str_plain[], or end. */
static inline const unsigned char *
str_run(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i	quote = _mm_set1_epi8('"');
	const __m128i	bslash = _mm_set1_epi8('\\');
	const __m128i	space = _mm_set1_epi8(' ');

	while (end - p >= 16) {
		__m128i	v, stop;
		int	m;

		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* Signed: bytes >= 0x80 are negative, so below ' ' too. */
		stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
		m = _mm_movemask_epi8(stop);
		if (m != 0)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < end && str_plain[*p])
		p++;
	return p;
}

static unsigned
col_at(const struct gw_json_reader *r, uint64_t off)
{
	uint64_t col;

	if (off < r->line_start)
		return 1;
	col = off - r->line_start + 1;
	return col > UINT_MAX ? UINT_MAX : (unsigned)col;
}

static void
set_pos(struct gw_json_reader *r, uint64_t off)
{
	r->pos_off = off;
	r->pos_line = r->line;
	r->pos_col = col_at(r, off);
}

/* A '\n' at offset off. */
static void
newline(struct gw_json_reader *r, uint64_t off)
{
	if (r->line < UINT_MAX)
		r->line++;
	r->line_start = off + 1;
}

/* Record a failure at offset off.  Returns -1. */
static int __attribute__((__format__(printf, 4, 5)))
fail(struct gw_json_reader *r, uint64_t off, enum gw_err_code code,
    const char *fmt, ...)
{
	va_list	ap;

	r->failed = 1;
	r->err.code = code;
	r->err.sys_errno = 0;
	va_start(ap, fmt);
	(void)vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
	va_end(ap);
	set_pos(r, off);
	return -1;
}

/* Byte c at offset off has no place here. */
static int
unexpected(struct gw_json_reader *r, uint64_t off, unsigned c)
{
	if (c == '\'')
		return fail(r, off, GW_E_PROTO, "unexpected \"'\"");
	if (c > ' ' && c < 0x7f)
		return fail(r, off, GW_E_PROTO, "unexpected '%c'", (int)c);
	return fail(r, off, GW_E_PROTO, "unexpected byte 0x%02x", c);
}

static int
nomem(struct gw_json_reader *r)
{
	r->failed = 1;
	return gw_err_set(&r->err, GW_E_NOMEM, "out of memory");
}

/* The current token is len bytes long: fail if that is over its limit. */
static int
check_len(struct gw_json_reader *r, size_t len)
{
	static const char *const what[] = {
		[T_STRING] = "string",
		[T_KEY] = "key",
		[T_NUMBER] = "number"
	};

	if (len <= r->tok_max)
		return 0;
	return fail(r, r->tok_off, GW_E_LIMIT, "%s longer than %zu bytes",
	    what[r->tok_kind], r->tok_max);
}

/* Append decoded bytes to the current string, within its limit. */
static int
tok_put(struct gw_json_reader *r, const void *p, size_t n)
{
	if (check_len(r, r->tok.len + n) == -1)
		return -1;
	if (gw_buf_append(&r->tok, p, n, &r->err) == -1)
		return nomem(r);
	return 0;
}

/*
 * Start a UTF-8 sequence whose lead byte is c (>= 0x80): -1 if c cannot
 * lead one.
 */
static int
utf8_lead(struct gw_json_reader *r, unsigned c)
{
	r->u8_lo = 0x80;
	r->u8_hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		r->u8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		r->u8_need = 2;
		if (c == 0xe0)
			r->u8_lo = 0xa0;	/* no overlong forms */
		else if (c == 0xed)
			r->u8_hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		r->u8_need = 3;
		if (c == 0xf0)
			r->u8_lo = 0x90;	/* no overlong forms */
		else if (c == 0xf4)
			r->u8_hi = 0x8f;	/* nothing past U+10FFFF */
	} else
		return -1;
	return 0;
}

/*
 * Read the continuation bytes due at *pp.  -1 with *pp at a byte that does
 * not fit.
 */
static int
utf8_cont(struct gw_json_reader *r, const unsigned char **pp,
    const unsigned char *end)
{
	const unsigned char *p = *pp;

	while (r->u8_need > 0 && p < end) {
		if (*p < r->u8_lo || *p > r->u8_hi) {
			*pp = p;
			return -1;
		}
		r->u8_lo = 0x80;
		r->u8_hi = 0xbf;
		r->u8_need--;
		p++;
	}
	*pp = p;
	return 0;
}

static int
emit(struct gw_json_reader *r, enum gw_json_type type, const char *p,
    size_t len, uint64_t off, size_t depth)
{
	struct gw_json_event ev;

	set_pos(r, off);
	if (r->fn == NULL)
		return 0;
	ev.type = type;
	ev.text.p = p;
	ev.text.len = len;
	ev.depth = depth;
	ev.line = r->pos_line;
	ev.col = r->pos_col;
	ev.offset = off;
	r->err.code = GW_E_OK;
	if (r->fn(r->arg, &ev, &r->err) == -1) {
		r->failed = 1;
		if (r->err.code == GW_E_OK)
			(void)gw_err_set(&r->err, GW_E_INTERNAL,
			    "stopped by the event callback");
		return -1;
	}
	return 0;
}

/* A value ended: what may follow it. */
static void
value_done(struct gw_json_reader *r, int scalar)
{
	if (r->depth == 0) {
		r->gram = G_DONE;
		r->need_sep = scalar;
	} else
		r->gram = r->stack[r->depth - 1].obj ? G_OBJ_NEXT : G_ARR_NEXT;
}

/* A value begins with byte c at off: is one allowed here?  Count it. */
static int
value_start(struct gw_json_reader *r, uint64_t off, unsigned c)
{
	struct frame *f;

	switch (r->gram) {
	case G_START:
		return 0;
	case G_DONE:
		if ((r->flags & GW_JSON_MULTI) == 0 || r->need_sep)
			return unexpected(r, off, c);
		return 0;
	case G_VALUE:
		f = &r->stack[r->depth - 1];
		if (f->obj)
			return 0;	/* counted with its key */
		break;
	case G_ARR_FIRST:
		f = &r->stack[r->depth - 1];
		break;
	default:
		return unexpected(r, off, c);
	}
	if (r->lim.max_items > 0 && f->n >= r->lim.max_items)
		return fail(r, off, GW_E_LIMIT,
		    "array with more than %zu items", r->lim.max_items);
	f->n++;
	return 0;
}

static int
push(struct gw_json_reader *r, int obj)
{
	if (r->depth == r->cap) {
		size_t		 ncap = r->cap == 0 ? 16 : r->cap * 2;
		struct frame	*ns;

		if (ncap > r->lim.max_depth)
			ncap = r->lim.max_depth;
		if ((ns = reallocarray(r->stack, ncap, sizeof(*ns))) == NULL)
			return nomem(r);
		r->stack = ns;
		r->cap = ncap;
	}
	r->stack[r->depth].n = 0;
	r->stack[r->depth].obj = obj;
	r->depth++;
	return 0;
}

/* Start a token of kind k and limit max at offset off. */
static void
tok_begin(struct gw_json_reader *r, enum tok k, size_t max, uint64_t off)
{
	r->tok_kind = k;
	r->tok_max = max;
	r->tok_off = off;
	/* Give back the memory of a very long token. */
	if (r->tok.cap > 1024 * 1024)
		gw_buf_release(&r->tok);
	gw_buf_reset(&r->tok);
}

/*
 * The byte at *pp (offset off) starts a token, or is one.  On return *pp
 * is past what was read and *seg is where a string's or number's bytes
 * begin.
 */
static int
token(struct gw_json_reader *r, const unsigned char **pp,
    const unsigned char **seg, uint64_t off)
{
	const unsigned char	*p = *pp;
	unsigned		 c = *p;
	struct frame		*f;

	switch (c) {
	case '{':
	case '[':
		if (value_start(r, off, c) == -1)
			return -1;
		if (r->depth >= r->lim.max_depth)
			return fail(r, off, GW_E_LIMIT,
			    "nesting deeper than %zu", r->lim.max_depth);
		if (push(r, c == '{') == -1)
			return -1;
		r->gram = c == '{' ? G_OBJ_FIRST : G_ARR_FIRST;
		if (emit(r, c == '{' ? GW_JSON_BEGIN_OBJECT :
		    GW_JSON_BEGIN_ARRAY, "", 0, off, r->depth - 1) == -1)
			return -1;
		break;
	case '}':
	case ']':
		if (c == '}' ? r->gram == G_KEY : (r->gram == G_VALUE &&
		    !r->stack[r->depth - 1].obj))
			return fail(r, off, GW_E_PROTO,
			    "trailing comma before '%c'", (int)c);
		if (c == '}' ? (r->gram != G_OBJ_FIRST &&
		    r->gram != G_OBJ_NEXT) : (r->gram != G_ARR_FIRST &&
		    r->gram != G_ARR_NEXT))
			return unexpected(r, off, c);
		r->depth--;
		if (emit(r, c == '}' ? GW_JSON_END_OBJECT : GW_JSON_END_ARRAY,
		    "", 0, off, r->depth) == -1)
			return -1;
		value_done(r, 0);
		break;
	case ',':
		if (r->gram == G_OBJ_NEXT)
			r->gram = G_KEY;
		else if (r->gram == G_ARR_NEXT)
			r->gram = G_VALUE;
		else
			return unexpected(r, off, c);
		break;
	case ':':
		if (r->gram != G_COLON)
			return unexpected(r, off, c);
		r->gram = G_VALUE;
		break;
	case '"':
		if (r->gram == G_OBJ_FIRST || r->gram == G_KEY) {
			f = &r->stack[r->depth - 1];
			if (r->lim.max_entries > 0 &&
			    f->n >= r->lim.max_entries)
				return fail(r, off, GW_E_LIMIT,
				    "object with more than %zu entries",
				    r->lim.max_entries);
			f->n++;
			tok_begin(r, T_KEY, r->lim.max_key, off);
		} else {
			if (value_start(r, off, c) == -1)
				return -1;
			tok_begin(r, T_STRING, r->lim.max_string, off);
		}
		r->lex = L_STR;
		*seg = p + 1;
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (value_start(r, off, c) == -1)
			return -1;
		tok_begin(r, T_NUMBER, r->lim.max_number, off);
		r->lex = L_NUM;
		r->num = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
		*seg = p;
		break;
	case 't':
	case 'f':
	case 'n':
		if (value_start(r, off, c) == -1)
			return -1;
		r->tok_off = off;
		r->lex = L_LIT;
		r->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		r->lit_type = c == 't' ? GW_JSON_TRUE : c == 'f' ?
		    GW_JSON_FALSE : GW_JSON_NULL;
		r->lit_len = (unsigned)strlen(r->lit);
		r->lit_i = 1;
		break;
	case '/':
		if ((r->flags & GW_JSON_COMMENTS) == 0)
			return unexpected(r, off, c);
		r->tok_off = off;
		r->cmt_line = r->line;
		r->cmt_col = col_at(r, off);
		r->lex = L_SLASH;
		break;
	default:
		return unexpected(r, off, c);
	}
	*pp = p + 1;
	return 0;
}

/* The number in r->tok plus seg..p ended at p. */
static int
number_done(struct gw_json_reader *r, const unsigned char *seg,
    const unsigned char *p)
{
	const char	*t = (const char *)seg;
	size_t		 n = (size_t)(p - seg);

	if (r->tok.len > 0) {
		if (gw_buf_append(&r->tok, seg, n, &r->err) == -1)
			return nomem(r);
		t = r->tok.p;
		n = r->tok.len;
	}
	r->lex = L_WS;
	if (emit(r, GW_JSON_NUMBER, t, n, r->tok_off, r->depth) == -1)
		return -1;
	value_done(r, 1);
	return 0;
}

/*
 * Read number bytes from *pp.  Returns with *pp == end if the number may
 * go on, or with L_WS and *pp at the byte after the number.
 */
static int
lex_number(struct gw_json_reader *r, const unsigned char **pp,
    const unsigned char *start, const unsigned char *end,
    const unsigned char *seg)
{
	const unsigned char	*p = *pp;
	const char		*msg;
	unsigned		 c;

	while (p < end) {
		c = *p;
		switch (r->num) {
		case N_MINUS:
			if (!IS_DIGIT(c)) {
				msg = "expected a digit after '-'";
				goto bad;
			}
			r->num = c == '0' ? N_ZERO : N_INT;
			p++;
			break;
		case N_ZERO:
			if (IS_DIGIT(c)) {
				msg = "leading zero in number";
				goto bad;
			}
			/* FALLTHROUGH */
		case N_INT:
			while (IS_DIGIT(c)) {
				if (++p == end)
					goto more;
				c = *p;
			}
			if (c == '.')
				r->num = N_DOT;
			else if (c == 'e' || c == 'E')
				r->num = N_EXP_MARK;
			else
				goto done;
			p++;
			break;
		case N_DOT:
			if (!IS_DIGIT(c)) {
				msg = "expected a digit after '.'";
				goto bad;
			}
			r->num = N_FRAC;
			p++;
			break;
		case N_FRAC:
			while (IS_DIGIT(c)) {
				if (++p == end)
					goto more;
				c = *p;
			}
			if (c != 'e' && c != 'E')
				goto done;
			r->num = N_EXP_MARK;
			p++;
			break;
		case N_EXP_MARK:
			if (c == '+' || c == '-') {
				r->num = N_EXP_SIGN;
				p++;
				break;
			}
			/* FALLTHROUGH */
		case N_EXP_SIGN:
			if (!IS_DIGIT(c)) {
				msg = "expected a digit in exponent";
				goto bad;
			}
			r->num = N_EXP;
			p++;
			break;
		case N_EXP:
			while (IS_DIGIT(c)) {
				if (++p == end)
					goto more;
				c = *p;
			}
			goto done;
		}
	}
 more:
	*pp = p;
	return 0;
 done:
	*pp = p;
	if (check_len(r, r->tok.len + (size_t)(p - seg)) == -1)
		return -1;
	return number_done(r, seg, p);
 bad:
	if (check_len(r, r->tok.len + (size_t)(p - seg)) == -1)
		return -1;
	return fail(r, r->off + (uint64_t)(p - start), GW_E_PROTO, "%s", msg);
}

/* Encode code point cp as UTF-8 in out; returns the length. */
static size_t
utf8_put(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
hex_digit(unsigned c)
{
	if (IS_DIGIT(c))
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

static int
lone_surrogate(struct gw_json_reader *r, uint32_t cp, uint64_t off)
{
	return fail(r, off, GW_E_PROTO, "lone surrogate \\u%04x", cp);
}

/* The string in r->tok plus seg..p ended at p (the closing quote). */
static int
string_done(struct gw_json_reader *r, const unsigned char *seg,
    const unsigned char *p)
{
	const char	*t = (const char *)seg;
	size_t		 n = (size_t)(p - seg);
	int		 key = r->tok_kind == T_KEY;

	if (r->tok.len > 0) {
		if (gw_buf_append(&r->tok, seg, n, &r->err) == -1)
			return nomem(r);
		t = r->tok.p;
		n = r->tok.len;
	}
	r->lex = L_WS;
	if (emit(r, key ? GW_JSON_KEY : GW_JSON_STRING, t, n, r->tok_off,
	    r->depth) == -1)
		return -1;
	if (key)
		r->gram = G_COLON;
	else
		value_done(r, 0);
	return 0;
}

/* Read the piece start..end, whose first byte is at offset r->off. */
static int
run(struct gw_json_reader *r, const unsigned char *const start,
    const unsigned char *const end)
{
	const unsigned char	*p = start, *seg = start, *q;
	unsigned char		 u8[4];
	unsigned		 c;
	int			 d;

#define OFF(x)	(r->off + (uint64_t)((x) - start))
	while (p < end) {
		switch (r->lex) {
		case L_WS:
			q = p;
			for (;;) {
				c = *p;
				if (c > ' ')
					break;
				if (c == '\n')
					newline(r, OFF(p));
				else if (c != ' ' && c != '\t' && c != '\r')
					break;
				if (++p == end)
					break;
			}
			if (p != q)
				r->need_sep = 0;
			if (p == end)
				break;
			if (token(r, &p, &seg, OFF(p)) == -1)
				return -1;
			break;
		case L_STR:
			if (r->u8_need > 0 && utf8_cont(r, &p, end) == -1)
				goto bad_utf8;
			if ((p = str_run(p, end)) == end)
				break;
			c = *p;
			if (check_len(r, r->tok.len + (size_t)(p - seg)) == -1)
				return -1;
			if (c == '"') {
				if (string_done(r, seg, p) == -1)
					return -1;
				p++;
			} else if (c == '\\') {
				if (gw_buf_append(&r->tok, seg,
				    (size_t)(p - seg), &r->err) == -1)
					return nomem(r);
				r->esc_off = OFF(p);
				r->lex = L_ESC;
				p++;
			} else if (c < 0x20)
				return fail(r, OFF(p), GW_E_PROTO,
				    "control character 0x%02x in string", c);
			else if (utf8_lead(r, c) == -1)
				goto bad_utf8;
			else
				p++;
			break;
		case L_ESC:
			c = *p;
			switch (c) {
			case '"':
			case '\\':
			case '/':
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
				r->hex_n = 0;
				r->hex_val = 0;
				r->lex = L_HEX;
				p++;
				continue;
			default:
				if (c > ' ' && c < 0x7f)
					return fail(r, r->esc_off, GW_E_PROTO,
					    "invalid escape '\\%c'", (int)c);
				return fail(r, r->esc_off, GW_E_PROTO,
				    "invalid escape '\\' and byte 0x%02x", c);
			}
			u8[0] = (unsigned char)c;
			if (tok_put(r, u8, 1) == -1)
				return -1;
			r->lex = L_STR;
			seg = ++p;
			break;
		case L_HEX:
			if ((d = hex_digit(*p)) == -1)
				return fail(r, r->esc_off, GW_E_PROTO,
				    "invalid \\u escape");
			r->hex_val = r->hex_val << 4 | (uint32_t)d;
			p++;
			if (++r->hex_n < 4)
				break;
			c = r->hex_val;
			if (r->hi != 0) {
				if (c < 0xdc00 || c > 0xdfff)
					return lone_surrogate(r, r->hi,
					    r->hi_off);
				c = 0x10000 + ((r->hi - 0xd800) << 10) +
				    (c - 0xdc00);
				r->hi = 0;
			} else if (c >= 0xd800 && c <= 0xdbff) {
				r->hi = c;
				r->hi_off = r->esc_off;
				r->lex = L_PAIR_BS;
				break;
			} else if (c >= 0xdc00 && c <= 0xdfff)
				return lone_surrogate(r, c, r->esc_off);
			if (tok_put(r, u8, utf8_put(c, u8)) == -1)
				return -1;
			r->lex = L_STR;
			seg = p;
			break;
		case L_PAIR_BS:
		case L_PAIR_U:
			if (*p != (r->lex == L_PAIR_BS ? '\\' : 'u'))
				return lone_surrogate(r, r->hi, r->hi_off);
			if (r->lex == L_PAIR_BS) {
				r->esc_off = OFF(p);
				r->lex = L_PAIR_U;
			} else {
				r->hex_n = 0;
				r->hex_val = 0;
				r->lex = L_HEX;
			}
			p++;
			break;
		case L_NUM:
			if (lex_number(r, &p, start, end, seg) == -1)
				return -1;
			break;
		case L_LIT:
		case L_BOM:
			c = *p;
			if (c != (unsigned char)r->lit[r->lit_i]) {
				if (r->lex == L_LIT)
					return unexpected(r, OFF(p), c);
				if (r->lit_i > 0)
					return unexpected(r, 0, 0xef);
				r->lex = L_WS;
				break;
			}
			p++;
			if (++r->lit_i < r->lit_len)
				break;
			if (r->lex == L_BOM) {
				/* Columns count from after the mark. */
				r->line_start = OFF(p);
				r->lex = L_WS;
				break;
			}
			r->lex = L_WS;
			if (emit(r, r->lit_type, "", 0, r->tok_off,
			    r->depth) == -1)
				return -1;
			value_done(r, 1);
			break;
		case L_SLASH:
			c = *p;
			if (c == '/')
				r->lex = L_LINE_CMT;
			else if (c == '*')
				r->lex = L_BLOCK_CMT;
			else
				return unexpected(r, OFF(p), c);
			r->need_sep = 0;
			p++;
			break;
		case L_LINE_CMT:
		case L_BLOCK_CMT:
			if (r->u8_need > 0 && utf8_cont(r, &p, end) == -1)
				goto bad_utf8;
			if (r->lex == L_LINE_CMT)
				while (p < end && *p != '\n' && *p < 0x80)
					p++;
			else
				while (p < end && *p != '\n' && *p != '*' &&
				    *p < 0x80)
					p++;
			if (p == end)
				break;
			c = *p;
			if (c == '\n') {
				newline(r, OFF(p));
				if (r->lex == L_LINE_CMT)
					r->lex = L_WS;
			} else if (c == '*')
				r->lex = L_BLOCK_STAR;
			else if (utf8_lead(r, c) == -1)
				goto bad_utf8;
			p++;
			break;
		case L_BLOCK_STAR:
			c = *p;
			if (c == '/') {
				r->lex = L_WS;
				p++;
			} else if (c == '*')
				p++;
			else
				r->lex = L_BLOCK_CMT;
			break;
		}
	}
	/* Keep the bytes of a token that goes on in the next piece. */
	if (r->lex == L_STR || r->lex == L_NUM) {
		if (check_len(r, r->tok.len + (size_t)(end - seg)) == -1)
			return -1;
		if (gw_buf_append(&r->tok, seg, (size_t)(end - seg),
		    &r->err) == -1)
			return nomem(r);
	}
	return 0;

 bad_utf8:
	if (r->lex == L_STR &&
	    check_len(r, r->tok.len + (size_t)(p - seg)) == -1)
		return -1;
	return fail(r, OFF(p), GW_E_PROTO, "invalid UTF-8");
#undef OFF
}

/* Hand the failure to the caller again. */
static int
replay(const struct gw_json_reader *r, struct gw_err *err)
{
	if (err != NULL)
		*err = r->err;
	return -1;
}

struct gw_json_reader *
gw_json_reader_new(unsigned flags, const struct gw_json_limits *lim,
    gw_json_event_fn *fn, void *arg, struct gw_err *err)
{
	struct gw_json_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		(void)gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	r->fn = fn;
	r->arg = arg;
	r->flags = flags;
	if (lim != NULL)
		r->lim = *lim;
	if (r->lim.max_depth == 0)
		r->lim.max_depth = GW_MAX_JSON_DEPTH;
	if (r->lim.max_string == 0)
		r->lim.max_string = GW_JSON_MAX_TOKEN;
	if (r->lim.max_key == 0)
		r->lim.max_key = GW_JSON_MAX_TOKEN;
	if (r->lim.max_number == 0)
		r->lim.max_number = GW_JSON_MAX_TOKEN;
	r->lex = L_WS;
	if (flags & GW_JSON_BOM) {
		r->lex = L_BOM;
		r->lit = "\xef\xbb\xbf";
		r->lit_len = 3;
		r->lit_i = 0;
	}
	r->gram = G_START;
	r->line = 1;
	r->pos_line = 1;
	r->pos_col = 1;
	/* Limits are checked before appending: the buffer's cap is a net. */
	gw_buf_init(&r->tok, GW_MAX(r->lim.max_string,
	    GW_MAX(r->lim.max_key, r->lim.max_number)));
	gw_err_clear(&r->err);
	return r;
}

int
gw_json_reader_feed(struct gw_json_reader *r, const char *p, size_t len,
    struct gw_err *err)
{
	size_t	n = len;
	int	over = 0;

	if (r->failed)
		return replay(r, err);
	if (r->ended)
		return gw_err_set(err, GW_E_INVAL,
		    "input fed after its end");
	if (r->lim.max_bytes > 0 && len > r->lim.max_bytes - r->off) {
		n = (size_t)(r->lim.max_bytes - r->off);
		over = 1;
	}
	if (n > 0 && run(r, (const unsigned char *)p,
	    (const unsigned char *)p + n) == -1)
		return replay(r, err);
	r->off += n;
	if (over) {
		(void)fail(r, r->off, GW_E_LIMIT,
		    "input longer than %llu bytes",
		    (unsigned long long)r->lim.max_bytes);
		return replay(r, err);
	}
	return 0;
}

int
gw_json_reader_end(struct gw_json_reader *r, struct gw_err *err)
{
	const unsigned char *none = (const unsigned char *)"";

	if (r->failed)
		return replay(r, err);
	if (r->ended)
		return gw_err_set(err, GW_E_INVAL, "input ended twice");
	r->ended = 1;
	switch (r->lex) {
	case L_WS:
	case L_BOM:
		if (r->lex == L_BOM && r->lit_i > 0)
			goto truncated;
		break;
	case L_NUM:
		if (r->num != N_ZERO && r->num != N_INT &&
		    r->num != N_FRAC && r->num != N_EXP)
			goto truncated;
		/* Its bytes are all in r->tok already. */
		if (number_done(r, none, none) == -1)
			return replay(r, err);
		break;
	case L_LINE_CMT:
		if (r->u8_need > 0) {
			(void)fail(r, r->off, GW_E_PROTO, "invalid UTF-8");
			return replay(r, err);
		}
		break;
	case L_BLOCK_CMT:
	case L_BLOCK_STAR:
		(void)fail(r, r->tok_off, GW_E_PROTO, "unterminated comment");
		/* A block comment may span lines. */
		r->pos_line = r->cmt_line;
		r->pos_col = r->cmt_col;
		return replay(r, err);
	default:
		goto truncated;
	}
	if (r->gram == G_DONE ||
	    (r->gram == G_START && (r->flags & GW_JSON_MULTI)))
		return 0;
	if (r->gram == G_START) {
		(void)fail(r, r->off, GW_E_PROTO, "empty input");
		return replay(r, err);
	}
 truncated:
	(void)fail(r, r->off, GW_E_PROTO, "unexpected end of input");
	return replay(r, err);
}

void
gw_json_reader_pos(const struct gw_json_reader *r, unsigned *line,
    unsigned *col, uint64_t *offset)
{
	if (line != NULL)
		*line = r->pos_line;
	if (col != NULL)
		*col = r->pos_col;
	if (offset != NULL)
		*offset = r->pos_off;
}

void
gw_json_reader_free(struct gw_json_reader *r)
{
	if (r == NULL)
		return;
	gw_buf_release(&r->tok);
	free(r->stack);
	free(r);
}

/*
 * Documents.
 */

/* Positions keyed by pointer: json-c objects and json-c's copies of keys. */
struct pos_ent {
	const void	*key;		/* NULL: a free slot */
	unsigned	 line, col;
};

struct pos_tab {
	struct pos_ent	*v;
	size_t		 cap;		/* 0 or a power of two */
	size_t		 n;
};

struct gw_jdoc {
	struct json_object	*root;
	char			*origin;
	struct pos_tab		 pos;
};

/* An open container while the tree is built. */
struct bframe {
	struct json_object	*c;
	size_t			 key_off;	/* pending key in b->keys */
	unsigned		 key_line, key_col;
};

struct builder {
	struct gw_jdoc		*d;
	struct gw_json_reader	*r;
	struct bframe		*st;
	size_t			 depth, cap;
	struct gw_buf		 keys;	/* pending keys, each NUL-ended */
	struct gw_buf		 num;		/* a number's text for strtod */
	locale_t		 c_locale;	/* "C", made on demand */
	int			 multi;
};

static size_t
hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int
pos_put(struct pos_tab *t, const void *key, unsigned line, unsigned col)
{
	size_t i;

	if ((t->n + 1) * 4 > t->cap * 3) {
		size_t		 ncap = t->cap == 0 ? 64 : t->cap * 2;
		struct pos_ent	*nv;

		if ((nv = calloc(ncap, sizeof(*nv))) == NULL)
			return -1;
		for (size_t j = 0; j < t->cap; j++) {
			if (t->v[j].key == NULL)
				continue;
			i = hash_ptr(t->v[j].key) & (ncap - 1);
			while (nv[i].key != NULL)
				i = (i + 1) & (ncap - 1);
			nv[i] = t->v[j];
		}
		free(t->v);
		t->v = nv;
		t->cap = ncap;
	}
	i = hash_ptr(key) & (t->cap - 1);
	while (t->v[i].key != NULL && t->v[i].key != key)
		i = (i + 1) & (t->cap - 1);
	if (t->v[i].key == NULL)
		t->n++;
	t->v[i].key = key;
	t->v[i].line = line;
	t->v[i].col = col;
	return 0;
}

static const struct pos_ent *
pos_get(const struct pos_tab *t, const void *key)
{
	size_t i;

	if (t->cap == 0 || key == NULL)
		return NULL;
	i = hash_ptr(key) & (t->cap - 1);
	while (t->v[i].key != NULL) {
		if (t->v[i].key == key)
			return &t->v[i];
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}

/*
 * A key for a message: at most 64 bytes, control characters and quotes
 * shown as '?'.
 */
static void
key_for_msg(char *out, size_t size, const char *k)
{
	size_t n = 0, klen = strlen(k), max = GW_MIN(size - 4, 64);

	for (; n < klen && n < max; n++) {
		unsigned char c = (unsigned char)k[n];

		out[n] = c < 0x20 || c == 0x7f || c == '\'' ? '?' : (char)c;
	}
	if (n < klen) {
		/* Cut at a character boundary. */
		while (n > 0 && ((unsigned char)k[n] & 0xc0) == 0x80)
			n--;
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int
bpush(struct builder *b, struct json_object *c, struct gw_err *err)
{
	if (b->depth == b->cap) {
		size_t		 ncap = b->cap == 0 ? 16 : b->cap * 2;
		struct bframe	*ns;

		if ((ns = reallocarray(b->st, ncap, sizeof(*ns))) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		b->st = ns;
		b->cap = ncap;
	}
	b->st[b->depth].c = c;
	b->st[b->depth].key_off = 0;
	b->depth++;
	return 0;
}

/* Put v (which may be NULL) in its place in the tree; v is taken. */
static int
attach(struct builder *b, struct json_object *v, struct gw_err *err)
{
	struct bframe	*f;
	struct lh_entry	*e;
	const char	*key;

	if (b->depth == 0) {
		if (!b->multi) {
			b->d->root = v;
			return 0;
		}
		if (json_object_array_add(b->d->root, v) != 0)
			goto nomem;
		return 0;
	}
	f = &b->st[b->depth - 1];
	if (json_object_get_type(f->c) == json_type_array) {
		if (json_object_array_add(f->c, v) != 0)
			goto nomem;
		return 0;
	}
	key = b->keys.p + f->key_off;
	if (json_object_object_add_ex(f->c, key, v,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0)
		goto nomem;
	/* Key positions are keyed by json-c's own copy of the key. */
	e = lh_table_lookup_entry(json_object_get_object(f->c), key);
	b->keys.len = f->key_off;
	if (e == NULL || pos_put(&b->d->pos, lh_entry_k(e), f->key_line,
	    f->key_col) == -1)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	return 0;
 nomem:
	json_object_put(v);
	return gw_err_set(err, GW_E_NOMEM, "out of memory");
}

static int
build_key(struct builder *b, const struct gw_json_event *ev,
    struct gw_err *err)
{
	struct bframe	*f = &b->st[b->depth - 1];
	size_t		 off = b->keys.len;
	char		 shown[80];

	if (memchr(ev->text.p, '\0', ev->text.len) != NULL)
		return gw_err_set(err, GW_E_UNSUPPORTED,
		    "key holding \\u0000 not supported");
	if (gw_buf_append(&b->keys, ev->text.p, ev->text.len, err) == -1 ||
	    gw_buf_putc(&b->keys, '\0', err) == -1)
		return -1;
	if (json_object_object_get_ex(f->c, b->keys.p + off, NULL)) {
		key_for_msg(shown, sizeof(shown), b->keys.p + off);
		b->keys.len = off;
		return gw_err_set(err, GW_E_PROTO, "duplicate key '%s'", shown);
	}
	f->key_off = off;
	f->key_line = ev->line;
	f->key_col = ev->col;
	return 0;
}

static struct json_object *
build_number(struct builder *b, struct gw_str t, struct gw_err *err)
{
	struct json_object	*v;
	const char		*s = t.p;
	size_t			 i = 0;
	uint64_t		 mag = 0, lim = INT64_MAX;
	int			 neg = 0;

	if (s[0] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	for (; i < t.len; i++) {
		unsigned dig = (unsigned)(s[i] - '0');

		if (dig > 9 || mag > (lim - dig) / 10)
			break;
		mag = mag * 10 + dig;
	}
	/* An int64 if it is one; "-0" stays a double to keep its sign. */
	if (i == t.len && !(neg && mag == 0)) {
		if (!neg)
			v = json_object_new_int64((int64_t)mag);
		else if (mag == (uint64_t)INT64_MAX + 1)
			v = json_object_new_int64(INT64_MIN);
		else
			v = json_object_new_int64(-(int64_t)mag);
		goto out;
	}
	gw_buf_reset(&b->num);
	if (gw_buf_append(&b->num, t.p, t.len, err) == -1 ||
	    gw_buf_cstr(&b->num, err) == NULL)
		return NULL;
	if (b->c_locale == (locale_t)0 && (b->c_locale =
	    newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)) == (locale_t)0) {
		(void)gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	v = json_object_new_double_s(strtod_l(b->num.p, NULL, b->c_locale),
	    b->num.p);
 out:
	if (v == NULL)
		(void)gw_err_set(err, GW_E_NOMEM, "out of memory");
	return v;
}

static int
build_event(void *arg, const struct gw_json_event *ev, struct gw_err *err)
{
	struct builder		*b = arg;
	struct json_object	*v = NULL;

	switch (ev->type) {
	case GW_JSON_KEY:
		return build_key(b, ev, err);
	case GW_JSON_END_OBJECT:
	case GW_JSON_END_ARRAY:
		b->depth--;
		return 0;
	case GW_JSON_NULL:
		return attach(b, NULL, err);
	case GW_JSON_BEGIN_OBJECT:
		v = json_object_new_object();
		break;
	case GW_JSON_BEGIN_ARRAY:
		v = json_object_new_array();
		break;
	case GW_JSON_STRING:
		/* The reader's limits keep text.len well below INT_MAX. */
		v = json_object_new_string_len(ev->text.p, (int)ev->text.len);
		break;
	case GW_JSON_NUMBER:
		if ((v = build_number(b, ev->text, err)) == NULL)
			return -1;
		break;
	case GW_JSON_TRUE:
	case GW_JSON_FALSE:
		v = json_object_new_boolean(ev->type == GW_JSON_TRUE);
		break;
	}
	if (v == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (pos_put(&b->d->pos, v, ev->line, ev->col) == -1) {
		json_object_put(v);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	if (attach(b, v, err) == -1)
		return -1;
	if (ev->type == GW_JSON_BEGIN_OBJECT ||
	    ev->type == GW_JSON_BEGIN_ARRAY)
		return bpush(b, v, err);
	return 0;
}

static int
builder_init(struct builder *b, const char *origin, unsigned flags,
    struct gw_err *err)
{
	memset(b, 0, sizeof(*b));
	gw_buf_init(&b->keys, 0);
	gw_buf_init(&b->num, 0);
	b->multi = (flags & GW_JSON_MULTI) != 0;
	if ((b->d = calloc(1, sizeof(*b->d))) == NULL ||
	    (b->d->origin = strdup(origin)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (b->multi && (b->d->root = json_object_new_array()) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if ((b->r = gw_json_reader_new(flags, NULL, build_event, b,
	    err)) == NULL)
		return -1;
	return 0;
}

static void
builder_release(struct builder *b)
{
	gw_jdoc_free(b->d);
	gw_json_reader_free(b->r);
	free(b->st);
	gw_buf_release(&b->keys);
	gw_buf_release(&b->num);
	if (b->c_locale != (locale_t)0)
		freelocale(b->c_locale);
}

/* Feed a piece; on error prefix the message with the position. */
static int
builder_feed(struct builder *b, const char *p, size_t len, int end,
    struct gw_err *err)
{
	unsigned line, col;

	if ((end ? gw_json_reader_end(b->r, err) :
	    gw_json_reader_feed(b->r, p, len, err)) == -1) {
		if (err != NULL && err->code != GW_E_NOMEM) {
			gw_json_reader_pos(b->r, &line, &col, NULL);
			(void)gw_err_prefix(err, "%s:%u:%u", b->d->origin,
			    line, col);
		}
		return -1;
	}
	return 0;
}

int
gw_jdoc_parse(const char *buf, size_t len, const char *origin,
    unsigned flags, struct gw_jdoc **out, struct gw_err *err)
{
	struct builder	b;
	int		rc = -1;

	*out = NULL;
	if (builder_init(&b, origin, flags, err) == -1)
		goto out;
	if (builder_feed(&b, buf, len, 0, err) == -1 ||
	    builder_feed(&b, NULL, 0, 1, err) == -1)
		goto out;
	*out = b.d;
	b.d = NULL;
	rc = 0;
 out:
	builder_release(&b);
	return rc;
}

int
gw_jdoc_load(const char *path, unsigned flags, size_t max_bytes,
    struct gw_jdoc **out, struct gw_err *err)
{
	struct builder	 b;
	struct stat	 st;
	char		*chunk = NULL;
	size_t		 total = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	if (max_bytes == 0)
		max_bytes = GW_MAX_CONFIG_BYTES;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)gw_err_sys(err, "cannot open '%s'", path);
		if (errno == ENOENT && err != NULL)
			err->code = GW_E_NOTFOUND;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		(void)gw_err_sys(err, "cannot stat '%s'", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes)
		goto too_big;
	if ((chunk = malloc(65536)) == NULL) {
		(void)gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (builder_init(&b, path, flags, err) == -1)
		goto out;
	for (;;) {
		if ((n = read(fd, chunk, 65536)) == -1) {
			if (errno == EINTR)
				continue;
			(void)gw_err_sys(err, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > max_bytes - total)
			goto too_big;
		total += (size_t)n;
		if (builder_feed(&b, chunk, (size_t)n, 0, err) == -1)
			goto out;
	}
	if (builder_feed(&b, NULL, 0, 1, err) == -1)
		goto out;
	*out = b.d;
	b.d = NULL;
	rc = 0;
	goto out;
 too_big:
	(void)gw_err_set(err, GW_E_LIMIT, "'%s' is larger than %zu bytes",
	    path, max_bytes);
 out:
	builder_release(&b);
	free(chunk);
	if (fd != -1)
		(void)close(fd);
	return rc;
}

void
gw_jdoc_free(struct gw_jdoc *d)
{
	if (d == NULL)
		return;
	json_object_put(d->root);
	free(d->origin);
	free(d->pos.v);
	free(d);
}

struct json_object *
gw_jdoc_root(const struct gw_jdoc *d)
{
	return d->root;
}

const char *
gw_jdoc_origin(const struct gw_jdoc *d)
{
	return d->origin;
}

int
gw_jdoc_pos(const struct gw_jdoc *d, const struct json_object *o,
    unsigned *line, unsigned *col)
{
	const struct pos_ent *e;

	if ((e = pos_get(&d->pos, o)) == NULL)
		return -1;
	*line = e->line;
	*col = e->col;
	return 0;
}

int
gw_jdoc_key_pos(const struct gw_jdoc *d, const struct json_object *obj,
    const char *key, unsigned *line, unsigned *col)
{
	const struct pos_ent	*pe;
	struct lh_entry		*e;

	if (obj == NULL || json_object_get_type(obj) != json_type_object ||
	    pos_get(&d->pos, obj) == NULL)
		return -1;
	if ((e = lh_table_lookup_entry(json_object_get_object(obj),
	    key)) == NULL)
		return -1;
	if ((pe = pos_get(&d->pos, lh_entry_k(e))) == NULL)
		return -1;
	*line = pe->line;
	*col = pe->col;
	return 0;
}

/*
 * Values.
 */

/* json-c's getters that take no const; they do not change the value. */
static struct json_object *
unconst(const struct json_object *v)
{
	return (struct json_object *)(uintptr_t)v;
}

enum gw_jv_type
gw_jv_type(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return GW_JT_BOOL;
	case json_type_int:
		return GW_JT_INT;
	case json_type_double:
		return GW_JT_DOUBLE;
	case json_type_string:
		return GW_JT_STRING;
	case json_type_array:
		return GW_JT_ARRAY;
	case json_type_object:
		return GW_JT_OBJECT;
	case json_type_null:
		break;
	}
	return GW_JT_NULL;
}

const char *
gw_jv_type_name(enum gw_jv_type t)
{
	static const char *const names[] = {
		[GW_JT_NULL] = "null",
		[GW_JT_BOOL] = "a boolean",
		[GW_JT_INT] = "an integer",
		[GW_JT_DOUBLE] = "a number",
		[GW_JT_STRING] = "a string",
		[GW_JT_ARRAY] = "an array",
		[GW_JT_OBJECT] = "an object"
	};

	if ((size_t)t >= GW_ARRAY_LEN(names))
		return "unknown";
	return names[t];
}

int
gw_jv_get(const struct json_object *obj, const char *key,
    struct json_object **out)
{
	struct json_object *v = NULL;

	if (gw_jv_type(obj) != GW_JT_OBJECT ||
	    !json_object_object_get_ex(obj, key, &v))
		return 0;
	if (out != NULL)
		*out = v;
	return 1;
}

const char *
gw_jv_str(const struct json_object *v, size_t *lenp)
{
	if (gw_jv_type(v) != GW_JT_STRING)
		return NULL;
	if (lenp != NULL)
		*lenp = (size_t)json_object_get_string_len(v);
	return json_object_get_string(unconst(v));
}

int64_t
gw_jv_int(const struct json_object *v)
{
	if (gw_jv_type(v) != GW_JT_INT)
		return 0;
	return json_object_get_int64(v);
}

double
gw_jv_double(const struct json_object *v)
{
	if (gw_jv_type(v) != GW_JT_INT && gw_jv_type(v) != GW_JT_DOUBLE)
		return 0;
	return json_object_get_double(v);
}

int
gw_jv_bool(const struct json_object *v)
{
	if (gw_jv_type(v) != GW_JT_BOOL)
		return 0;
	return json_object_get_boolean(v) ? 1 : 0;
}

size_t
gw_jv_len(const struct json_object *v)
{
	switch (gw_jv_type(v)) {
	case GW_JT_ARRAY:
		return json_object_array_length(v);
	case GW_JT_OBJECT:
		return (size_t)json_object_object_length(v);
	default:
		return 0;
	}
}

struct json_object *
gw_jv_at(const struct json_object *v, size_t i)
{
	if (gw_jv_type(v) != GW_JT_ARRAY || i >= json_object_array_length(v))
		return NULL;
	return json_object_array_get_idx(v, i);
}

void
gw_jv_iter_init(struct gw_jv_iter *it, const struct json_object *obj)
{
	it->entry = NULL;
	if (gw_jv_type(obj) == GW_JT_OBJECT)
		it->entry = lh_table_head(json_object_get_object(obj));
}

int
gw_jv_iter_next(struct gw_jv_iter *it, const char **key,
    struct json_object **val)
{
	const struct lh_entry *e = it->entry;

	if (e == NULL)
		return 0;
	if (key != NULL)
		*key = lh_entry_k(e);
	if (val != NULL)
		*val = lh_entry_v(e);
	it->entry = lh_entry_next(e);
	return 1;
}

int
gw_jv_serialize(const struct json_object *v, struct gw_buf *out,
    struct gw_err *err)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(unconst(v),
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	return gw_buf_append(out, s, len, err);
}
