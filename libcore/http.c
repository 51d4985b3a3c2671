/*
 * http.c: strict HTTP/1.1 request heads, body decoding, response helpers.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <http_parser.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "str.h"

/* Character classes for the strict scan. */
enum {
	C_TCHAR = 1 << 0,	/* token character */
	C_VCHAR = 1 << 1,	/* visible ASCII 0x21-0x7e */
	C_FIELD = 1 << 2,	/* allowed inside a field value: VCHAR SP HT obs-text */
	C_HEX = 1 << 3
};

static unsigned char	cclass[256];
static int		cclass_ready;

static void
cclass_init(void)
{
	const char *t = "!#$%&'*+-.^_`|~";

	for (int c = 0x21; c <= 0x7e; c++)
		cclass[c] |= C_VCHAR | C_FIELD;
	for (int c = 0x80; c <= 0xff; c++)
		cclass[c] |= C_FIELD;
	cclass[' '] |= C_FIELD;
	cclass['\t'] |= C_FIELD;
	for (int c = '0'; c <= '9'; c++)
		cclass[c] |= C_TCHAR | C_HEX;
	for (int c = 'a'; c <= 'z'; c++)
		cclass[c] |= C_TCHAR;
	for (int c = 'A'; c <= 'Z'; c++)
		cclass[c] |= C_TCHAR;
	for (int c = 'a'; c <= 'f'; c++)
		cclass[c] |= C_HEX;
	for (int c = 'A'; c <= 'F'; c++)
		cclass[c] |= C_HEX;
	for (; *t != '\0'; t++)
		cclass[(unsigned char)*t] |= C_TCHAR;
	cclass_ready = 1;
}

int
gw_http_is_tchar(unsigned char c)
{
	if (!cclass_ready)
		cclass_init();
	return (cclass[c] & C_TCHAR) != 0;
}

void
gw_http_limits_default(struct gw_http_limits *lim)
{
	lim->max_header_bytes = GW_MAX_HEADER_BYTES;
	lim->max_uri_bytes = GW_MAX_URI_BYTES;
	lim->max_headers = GW_MAX_HEADERS;
}

static int
bad(int *status, int code, struct gw_err *err, const char *msg)
{
	*status = code;
	return gw_err_set(err, GW_E_PROTO, "%s", msg);
}

/*
 * Scan the request line at buf[0..len) (which holds a '\n' at or after the
 * line's end).  Returns the length of the line including CRLF, or -1.
 */
static ssize_t
scan_request_line(const char *buf, size_t len, const struct gw_http_limits *lim,
    int *status, struct gw_err *err)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, t0;

	while (i < len && (cclass[p[i]] & C_TCHAR))
		i++;
	if (i == 0 || i > 32 || i >= len || p[i] != ' ')
		return bad(status, 400, err, "malformed request line");
	t0 = ++i;
	while (i < len && (cclass[p[i]] & C_VCHAR))
		i++;
	if (i == t0 || i >= len || p[i] != ' ') {
		if (i - t0 > lim->max_uri_bytes)
			return bad(status, 414, err, "request target too long");
		return bad(status, 400, err, "malformed request line");
	}
	if (i - t0 > lim->max_uri_bytes)
		return bad(status, 414, err, "request target too long");
	i++;
	if (len - i < 10 || memcmp(p + i, "HTTP/", 5) != 0 ||
	    p[i + 5] < '0' || p[i + 5] > '9' || p[i + 6] != '.' ||
	    p[i + 7] < '0' || p[i + 7] > '9')
		return bad(status, 400, err, "malformed request line");
	if (p[i + 8] != '\r' || p[i + 9] != '\n')
		return bad(status, 400, err,
		    "request line must end with CRLF");
	if (p[i + 5] != '1') {
		*status = 505;
		return gw_err_set(err, GW_E_UNSUPPORTED,
		    "HTTP version not supported");
	}
	return (ssize_t)(i + 10);
}

/*
 * Find the end of the head and check its syntax strictly.  Returns the head
 * length, 0 for "need more", -1 on error.  *nfields counts field lines.
 */
static ssize_t
scan_head(const char *buf, size_t len, const struct gw_http_limits *lim,
    size_t *nfields, int *status, struct gw_err *err)
{
	const unsigned char	*p = (const unsigned char *)buf;
	const unsigned char	*nl;
	size_t			 avail = len, i, n = 0;
	ssize_t			 rl;

	if (avail > lim->max_header_bytes)
		avail = lim->max_header_bytes;
	/* Request line. */
	if ((nl = memchr(p, '\n', avail)) == NULL) {
		/* A target that already runs past the limit: 414 now. */
		const unsigned char *sp = memchr(p, ' ', avail);

		if (sp != NULL && (size_t)(p + avail - sp) > lim->max_uri_bytes
		    + 1 && memchr(sp + 1, ' ', (size_t)(p + avail - sp - 1))
		    == NULL)
			return bad(status, 414, err, "request target too long");
		if (len >= lim->max_header_bytes)
			return bad(status, 431, err,
			    "request header section too large");
		/* Reject early what can never become a request line. */
		for (i = 0; i < avail; i++)
			if (p[i] == '\0' || (p[i] == '\r' && i + 1 < avail))
				return bad(status, 400, err,
				    "malformed request line");
		return 0;
	}
	if ((rl = scan_request_line(buf, (size_t)(nl - p) + 1, lim, status,
	    err)) == -1)
		return -1;
	i = (size_t)rl;
	/* Field lines, then the empty line. */
	for (;;) {
		size_t start = i, colon;

		if (i >= avail)
			break;
		if ((nl = memchr(p + i, '\n', avail - i)) == NULL)
			break;
		if (nl == p + i || nl[-1] != '\r')
			return bad(status, 400, err,
			    "header line must end with CRLF");
		if ((size_t)(nl - p) == i + 1) {
			/* the empty line */
			*nfields = n;
			return (ssize_t)(i + 2);
		}
		if (p[i] == ' ' || p[i] == '\t')
			return bad(status, 400, err,
			    "obsolete line folding is not allowed");
		while (cclass[p[i]] & C_TCHAR)
			i++;
		if (i == start || p[i] != ':') {
			if (p[i] == ' ' || p[i] == '\t')
				return bad(status, 400, err,
				    "whitespace before colon in header field");
			return bad(status, 400, err, "malformed header field");
		}
		colon = i++;
		(void)colon;
		for (; p + i < nl - 1; i++)
			if (!(cclass[p[i]] & C_FIELD))
				return bad(status, 400, err,
				    "control character in header field value");
		i += 2;
		if (++n > lim->max_headers || n > GW_MAX_HEADERS)
			return bad(status, 431, err, "too many header fields");
	}
	if (len >= lim->max_header_bytes)
		return bad(status, 431, err, "request header section too large");
	/* Incomplete: what is there can already be refused. */
	for (size_t k = i; k < avail; k++)
		if (p[k] == '\0' || (p[k] == '\r' && k + 1 < avail &&
		    p[k + 1] != '\n'))
			return bad(status, 400, err,
			    "control character in header field");
	return 0;
}

/* Collecting fields from libhttp-parser's callbacks. */
struct collect {
	struct gw_http_head	*h;
	int			 in_value;
	int			 complete;
};

static int
on_url(http_parser *hp, const char *at, size_t len)
{
	struct collect *c = hp->data;

	c->h->target = gw_str_make(at, len);
	return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct collect		*c = hp->data;
	struct gw_http_head	*h = c->h;

	if (h->nheaders >= GW_MAX_HEADERS)
		return -1;
	h->headers[h->nheaders].name = gw_str_make(at, len);
	h->headers[h->nheaders].value = gw_str_make(at + len, 0);
	h->nheaders++;
	return 0;
}

static int
on_header_value(http_parser *hp, const char *at, size_t len)
{
	struct collect		*c = hp->data;
	struct gw_http_head	*h = c->h;

	if (h->nheaders == 0)
		return -1;
	h->headers[h->nheaders - 1].value =
	    gw_str_trim(gw_str_make(at, len));
	return 0;
}

static int
on_headers_complete(http_parser *hp)
{
	struct collect *c = hp->data;

	c->complete = 1;
	/* Stop here: the body is decoded by a parser of its own. */
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings head_settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
};

const struct gw_http_header *
gw_http_head_get(const struct gw_http_head *h, const char *name)
{
	struct gw_str n = gw_str_cstr(name);

	for (size_t i = 0; i < h->nheaders; i++)
		if (gw_str_caseeq(h->headers[i].name, n))
			return &h->headers[i];
	return NULL;
}

/* Check an authority "host[:port]" as in a Host field. */
static int
valid_authority(struct gw_str a)
{
	size_t i = 0;

	if (a.len == 0 || a.len > 255)
		return a.len == 0;	/* empty Host is allowed by RFC 9112 */
	if (a.p[0] == '[') {
		while (i < a.len && a.p[i] != ']')
			i++;
		if (i == a.len)
			return 0;
		for (size_t j = 1; j < i; j++)
			if (!(cclass[(unsigned char)a.p[j]] & C_HEX) &&
			    a.p[j] != ':' && a.p[j] != '.')
				return 0;
		i++;
	} else {
		for (; i < a.len && a.p[i] != ':'; i++) {
			unsigned char ch = (unsigned char)a.p[i];

			if (!(cclass[ch] & C_TCHAR) || ch == '#' || ch == '^' ||
			    ch == '`' || ch == '|')
				return 0;
		}
	}
	if (i < a.len) {
		if (a.p[i] != ':')
			return 0;
		for (i++; i < a.len; i++)
			if (a.p[i] < '0' || a.p[i] > '9')
				return 0;
	}
	return 1;
}

/*
 * 1 if name is not lit but reads as lit once each '_' is read as '-', as
 * servers that map fields to CGI-style variables read it.
 */
static int
underscore_alias(struct gw_str name, const char *lit)
{
	size_t	n = strlen(lit);
	int	under = 0;

	if (name.len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = gw_tolower((unsigned char)name.p[i]);

		if (c == '_' && lit[i] == '-')
			under = 1;
		else if (c != lit[i])
			return 0;
	}
	return under;
}

/* Semantic checks on the fields that decide framing and routing. */
static int
check_fields(struct gw_http_head *h, int *status, struct gw_err *err)
{
	const struct gw_http_header *host = NULL, *cl = NULL, *te = NULL;
	const struct gw_http_header *conn = NULL, *expect = NULL;

	for (size_t i = 0; i < h->nheaders; i++) {
		const struct gw_http_header *f = &h->headers[i];

		switch (gw_tolower((unsigned char)f->name.p[0])) {
		case 'h':
			if (gw_str_caseeq_cstr(f->name, "host")) {
				if (host != NULL)
					return bad(status, 400, err,
					    "more than one Host field");
				host = f;
			}
			break;
		case 'c':
			if (underscore_alias(f->name, "content-length"))
				return bad(status, 400, err,
				    "Content_Length is not a field we pass on");
			if (gw_str_caseeq_cstr(f->name, "content-length")) {
				if (cl != NULL)
					return bad(status, 400, err,
					    "more than one Content-Length");
				cl = f;
			} else if (gw_str_caseeq_cstr(f->name, "connection")) {
				if (conn == NULL)
					conn = f;
				else if (gw_str_list_has(f->value, "close"))
					conn = f;
			}
			break;
		case 't':
			if (underscore_alias(f->name, "transfer-encoding"))
				return bad(status, 400, err,
				    "Transfer_Encoding is not a field we pass on");
			if (gw_str_caseeq_cstr(f->name, "transfer-encoding")) {
				if (te != NULL)
					return bad(status, 400, err,
					    "more than one Transfer-Encoding");
				te = f;
			}
			break;
		case 'e':
			if (gw_str_caseeq_cstr(f->name, "expect"))
				expect = f;
			break;
		default:
			break;
		}
	}
	if (te != NULL) {
		if (cl != NULL)
			return bad(status, 400, err,
			    "Content-Length together with Transfer-Encoding");
		if (h->version == 10)
			return bad(status, 400, err,
			    "Transfer-Encoding in an HTTP/1.0 request");
		if (!gw_str_caseeq_cstr(te->value, "chunked")) {
			/*
			 * RFC 9112 6.3: chunked not last (or a list with it
			 * elsewhere) leaves the length unknown: 400.  Any
			 * other coding is not implemented: 501.
			 */
			struct gw_str	v = te->value, last;
			const char	*comma = NULL;

			for (size_t i = v.len; i > 0; i--)
				if (v.p[i - 1] == ',') {
					comma = v.p + i - 1;
					break;
				}
			last = comma != NULL ? gw_str_trim(gw_str_make(
			    comma + 1, (size_t)(v.p + v.len - comma - 1))) : v;
			if (!gw_str_caseeq_cstr(last, "chunked") &&
			    gw_str_list_has(v, "chunked"))
				return bad(status, 400, err,
				    "chunked is not the last transfer coding");
			*status = 501;
			return gw_err_set(err, GW_E_UNSUPPORTED,
			    "transfer coding not implemented");
		}
		h->flags |= GW_HTTP_CHUNKED;
	}
	if (cl != NULL) {
		if (gw_str_to_u64(cl->value, UINT64_MAX / 2,
		    &h->content_length) == -1)
			return bad(status, 400, err, "bad Content-Length");
		h->flags |= GW_HTTP_HAS_LENGTH;
	}
	if (h->version == 11 && host == NULL)
		return bad(status, 400, err, "missing Host field");
	if (host != NULL) {
		if (!valid_authority(host->value))
			return bad(status, 400, err, "bad Host field");
		if (!(h->flags & GW_HTTP_ABSOLUTE_FORM))
			h->host = host->value;
	}
	if (expect != NULL) {
		if (!gw_str_caseeq_cstr(expect->value, "100-continue")) {
			*status = 417;
			return gw_err_set(err, GW_E_UNSUPPORTED,
			    "expectation not supported");
		}
		if (h->version == 11)
			h->flags |= GW_HTTP_EXPECT_CONTINUE;
	}
	if (h->version == 11)
		h->flags |= GW_HTTP_KEEPALIVE;
	if (conn != NULL) {
		if (gw_str_list_has(conn->value, "close"))
			h->flags &= ~(unsigned)GW_HTTP_KEEPALIVE;
		else if (h->version == 10 &&
		    gw_str_list_has(conn->value, "keep-alive"))
			h->flags |= GW_HTTP_KEEPALIVE;
	}
	return 0;
}

/* Split the request target into path and query; absolute-form too. */
static int
split_target(struct gw_http_head *h, int *status, struct gw_err *err)
{
	struct gw_str	t = h->target;
	const char	*q;

	if (t.len == 1 && t.p[0] == '*') {
		if (h->method_id != HTTP_OPTIONS)
			return bad(status, 400, err,
			    "asterisk-form is only for OPTIONS");
		h->flags |= GW_HTTP_ASTERISK_FORM;
		h->path = t;
		h->query = gw_str_make(t.p + 1, 0);
		return 0;
	}
	if (t.p[0] != '/') {
		struct http_parser_url	u;
		struct gw_str		scheme;

		http_parser_url_init(&u);
		if (http_parser_parse_url(t.p, t.len, 0, &u) != 0 ||
		    !(u.field_set & (1 << UF_SCHEMA)) ||
		    !(u.field_set & (1 << UF_HOST)) ||
		    (u.field_set & (1 << UF_USERINFO)))
			return bad(status, 400, err, "bad request target");
		scheme = gw_str_make(t.p + u.field_data[UF_SCHEMA].off,
		    u.field_data[UF_SCHEMA].len);
		if (!gw_str_caseeq_cstr(scheme, "http") &&
		    !gw_str_caseeq_cstr(scheme, "https"))
			return bad(status, 400, err, "bad request target");
		/* the authority: from the host to the path, query or end */
		if (memchr(t.p, '#', t.len) != NULL)
			return bad(status, 400, err, "fragment in request target");
		{
			size_t a0 = u.field_data[UF_HOST].off, a1 = a0;

			/* keep IPv6 brackets */
			if (a0 > 0 && t.p[a0 - 1] == '[')
				a0--;
			while (a1 < t.len && t.p[a1] != '/' && t.p[a1] != '?')
				a1++;
			h->host = gw_str_make(t.p + a0, a1 - a0);
		}
		h->flags |= GW_HTTP_ABSOLUTE_FORM;
		if (!(u.field_set & (1 << UF_PATH))) {
			/* "http://host?q": the path is "/" (not in buf) */
			const char *qm = memchr(t.p, '?', t.len);

			h->path = gw_str_make("/", 1);
			h->query = qm != NULL ? gw_str_make(qm + 1,
			    (size_t)(t.p + t.len - qm - 1)) :
			    gw_str_make(t.p + t.len, 0);
			return 0;
		}
		t = gw_str_make(t.p + u.field_data[UF_PATH].off,
		    t.len - u.field_data[UF_PATH].off);
	}
	if (memchr(t.p, '#', t.len) != NULL)
		return bad(status, 400, err, "fragment in request target");
	if ((q = memchr(t.p, '?', t.len)) != NULL) {
		h->path = gw_str_make(t.p, (size_t)(q - t.p));
		h->query = gw_str_make(q + 1, t.len - h->path.len - 1);
	} else {
		h->path = t;
		h->query = gw_str_make(t.p + t.len, 0);
	}
	return 0;
}

ssize_t
gw_http_parse_head(const char *buf, size_t len,
    const struct gw_http_limits *lim, struct gw_http_head *h, int *status,
    struct gw_err *err)
{
	http_parser	hp;
	struct collect	c;
	size_t		nfields = 0, n;
	ssize_t		hl;
	enum http_errno	e;

	if (!cclass_ready)
		cclass_init();
	*status = 0;
	if ((hl = scan_head(buf, len, lim, &nfields, status, err)) <= 0)
		return hl;
	memset(h, 0, offsetof(struct gw_http_head, headers));
	c.h = h;
	c.in_value = 0;
	c.complete = 0;
	http_parser_init(&hp, HTTP_REQUEST);
	hp.data = &c;
	n = http_parser_execute(&hp, &head_settings, buf, (size_t)hl);
	e = HTTP_PARSER_ERRNO(&hp);
	if (!c.complete || (e != HPE_OK && e != HPE_PAUSED)) {
		if (e == HPE_INVALID_METHOD) {
			*status = 501;
			return gw_err_set(err, GW_E_UNSUPPORTED,
			    "method not implemented");
		}
		if (e == HPE_INVALID_TRANSFER_ENCODING ||
		    e == HPE_UNEXPECTED_CONTENT_LENGTH)
			return bad(status, 400, err,
			    "conflicting message framing");
		*status = 400;
		return gw_err_set(err, GW_E_PROTO, "bad request: %s",
		    http_errno_description(e));
	}
	(void)n;
	h->head_len = (size_t)hl;
	h->method_id = (int)hp.method;
	h->method = gw_str_make(buf, strcspn(buf, " "));
	h->version = hp.http_major * 10 + hp.http_minor;
	if (h->version != 10 && h->version != 11) {
		*status = 505;
		return gw_err_set(err, GW_E_UNSUPPORTED,
		    "HTTP version not supported");
	}
	if (h->method_id == HTTP_CONNECT) {
		*status = 501;
		return gw_err_set(err, GW_E_UNSUPPORTED,
		    "CONNECT not implemented");
	}
	if (split_target(h, status, err) == -1)
		return -1;
	if (check_fields(h, status, err) == -1)
		return -1;
	return hl;
}

/* Body decoding. */

void
gw_http_body_init(struct gw_http_body *b, const struct gw_http_head *h,
    gw_http_body_fn *fn, void *arg)
{
	memset(b, 0, sizeof(*b));
	b->fn = fn;
	b->arg = arg;
	if (!cclass_ready)
		cclass_init();
	if (h->flags & GW_HTTP_CHUNKED)
		b->state = GW_BODY_SIZE;
	else if ((h->flags & GW_HTTP_HAS_LENGTH) && h->content_length > 0) {
		b->state = GW_BODY_LENGTH;
		b->remaining = h->content_length;
	} else {
		b->state = GW_BODY_DONE;
		b->done = 1;
	}
}

static int
hexval(unsigned char c)
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
deliver(struct gw_http_body *b, const char *p, size_t n, struct gw_err *err)
{
	if (n == 0)
		return 0;
	b->decoded += n;
	if (b->fn(b->arg, p, n) == -1) {
		b->failed = 1;
		return gw_err_set(err, GW_E_LIMIT, "request body refused");
	}
	return 0;
}

static int
body_bad(struct gw_http_body *b, struct gw_err *err, const char *msg)
{
	b->state = GW_BODY_ERROR;
	return gw_err_set(err, GW_E_PROTO, "bad chunked body: %s", msg);
}

ssize_t
gw_http_body_feed(struct gw_http_body *b, const char *buf, size_t len,
    struct gw_err *err)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0;

	if (b->state == GW_BODY_ERROR)
		return gw_err_set(err, GW_E_PROTO, "bad chunked body");
	while (i < len && !b->done) {
		unsigned char	c = p[i];
		int		v;

		if (b->state >= GW_BODY_EXT_BWS && b->state <= GW_BODY_EXT_AFTER &&
		    c != '\r' && ++b->line > 4096)
			return body_bad(b, err, "chunk extension too long");
		switch (b->state) {
		case GW_BODY_LENGTH:
		case GW_BODY_DATA: {
			size_t n = len - i;

			if (n > b->remaining)
				n = (size_t)b->remaining;
			if (deliver(b, buf + i, n, err) == -1)
				return -1;
			i += n;
			b->remaining -= n;
			if (b->remaining == 0) {
				if (b->state == GW_BODY_LENGTH) {
					b->state = GW_BODY_DONE;
					b->done = 1;
				} else
					b->state = GW_BODY_DATA_CR;
			}
			continue;
		}
		case GW_BODY_SIZE:
			if ((v = hexval(c)) >= 0) {
				if (++b->digits > 16)
					return body_bad(b, err,
					    "chunk size too large");
				b->remaining = b->remaining * 16 + (uint64_t)v;
			} else if (b->digits == 0)
				return body_bad(b, err, "chunk size expected");
			else if (c == ';')
				b->state = GW_BODY_EXT_NAME0;
			else if (c == ' ' || c == '\t')
				b->state = GW_BODY_EXT_BWS;
			else if (c == '\r')
				b->state = GW_BODY_SIZE_LF;
			else
				return body_bad(b, err, "bad chunk size");
			break;
		case GW_BODY_EXT_BWS:
		case GW_BODY_EXT_AFTER:
			if (c == ';')
				b->state = GW_BODY_EXT_NAME0;
			else if (c == '\r' && b->state == GW_BODY_EXT_AFTER)
				b->state = GW_BODY_SIZE_LF;
			else if (c != ' ' && c != '\t')
				return body_bad(b, err, "bad chunk extension");
			break;
		case GW_BODY_EXT_NAME0:
			if (cclass[c] & C_TCHAR)
				b->state = GW_BODY_EXT_NAME;
			else if (c != ' ' && c != '\t')
				return body_bad(b, err,
				    "chunk extension name expected");
			break;
		case GW_BODY_EXT_NAME:
		case GW_BODY_EXT_TOKEN:
			if (cclass[c] & C_TCHAR)
				break;
			if (c == '=' && b->state == GW_BODY_EXT_NAME)
				b->state = GW_BODY_EXT_VAL0;
			else if (c == ';')
				b->state = GW_BODY_EXT_NAME0;
			else if (c == ' ' || c == '\t')
				b->state = b->state == GW_BODY_EXT_NAME ?
				    GW_BODY_EXT_NAME : GW_BODY_EXT_AFTER;
			else if (c == '\r')
				b->state = GW_BODY_SIZE_LF;
			else
				return body_bad(b, err, "bad chunk extension");
			break;
		case GW_BODY_EXT_VAL0:
			if (c == '"')
				b->state = GW_BODY_EXT_QUOTED;
			else if (cclass[c] & C_TCHAR)
				b->state = GW_BODY_EXT_TOKEN;
			else if (c != ' ' && c != '\t')
				return body_bad(b, err,
				    "chunk extension value expected");
			break;
		case GW_BODY_EXT_QUOTED:
			if (c == '"')
				b->state = GW_BODY_EXT_AFTER;
			else if (c == '\\')
				b->state = GW_BODY_EXT_ESC;
			else if (!(cclass[c] & C_FIELD))
				return body_bad(b, err,
				    "control byte in chunk extension");
			break;
		case GW_BODY_EXT_ESC:
			if (!(cclass[c] & C_FIELD))
				return body_bad(b, err,
				    "control byte in chunk extension");
			b->state = GW_BODY_EXT_QUOTED;
			break;
		case GW_BODY_SIZE_LF:
			if (c != '\n')
				return body_bad(b, err, "CR without LF");
			b->line = 0;
			b->digits = 0;
			b->state = b->remaining > 0 ? GW_BODY_DATA :
			    GW_BODY_TRAILER;
			break;
		case GW_BODY_DATA_CR:
			if (c != '\r')
				return body_bad(b, err,
				    "chunk data not followed by CRLF");
			b->state = GW_BODY_DATA_LF;
			break;
		case GW_BODY_DATA_LF:
			if (c != '\n')
				return body_bad(b, err,
				    "chunk data not followed by CRLF");
			b->state = GW_BODY_SIZE;
			b->remaining = 0;
			break;
		case GW_BODY_TRAILER:
			/* a field line: token ':' value; digits: colon seen */
			if (c == '\r') {
				if (b->line > 0 && b->digits == 0)
					return body_bad(b, err,
					    "bad trailer field");
				b->state = GW_BODY_TRAILER_LF;
				break;
			}
			if (b->digits == 0) {
				if (c == ':' && b->line > 0)
					b->digits = 1;
				else if (!(cclass[c] & C_TCHAR))
					return body_bad(b, err,
					    "bad trailer field");
			} else if (!(cclass[c] & C_FIELD))
				return body_bad(b, err,
				    "control byte in trailer field");
			b->line++;
			if (++b->trailers > GW_MAX_HEADER_BYTES)
				return body_bad(b, err, "trailers too large");
			break;
		case GW_BODY_TRAILER_LF:
			if (c != '\n')
				return body_bad(b, err, "CR without LF");
			if (b->line == 0) {
				b->state = GW_BODY_DONE;
				b->done = 1;
			} else {
				b->line = 0;
				b->digits = 0;
				b->state = GW_BODY_TRAILER;
			}
			break;
		case GW_BODY_DONE:
			b->done = 1;
			continue;
		case GW_BODY_ERROR:
			return gw_err_set(err, GW_E_PROTO, "bad chunked body");
		}
		i++;
	}
	return (ssize_t)i;
}

const char *
gw_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 425: return "Too Early";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

int
gw_http_is_hop_by_hop(struct gw_str name)
{
	/* by length first: most fields are not hop-by-hop */
	switch (name.len) {
	case 2:
		return gw_str_caseeq_cstr(name, "te");
	case 7:
		return gw_str_caseeq_cstr(name, "trailer") ||
		    gw_str_caseeq_cstr(name, "upgrade");
	case 10:
		return gw_str_caseeq_cstr(name, "connection") ||
		    gw_str_caseeq_cstr(name, "keep-alive");
	case 16:
		return gw_str_caseeq_cstr(name, "proxy-connection");
	case 17:
		return gw_str_caseeq_cstr(name, "transfer-encoding");
	case 18:
		return gw_str_caseeq_cstr(name, "proxy-authenticate");
	case 19:
		return gw_str_caseeq_cstr(name, "proxy-authorization");
	default:
		return 0;
	}
}

int
gw_http_problem_json(struct gw_buf *out, int status, const char *slug,
    const char *detail, const char *request_id, struct gw_err *err)
{
	if (gw_buf_printf(out, err,
	    "{\"type\":\"urn:gw:problem:%s\",\"title\":\"%s\",\"status\":%d",
	    slug, gw_http_reason(status), status) == -1)
		return -1;
	if (detail != NULL) {
		if (gw_buf_puts(out, ",\"detail\":\"", err) == -1 ||
		    gw_json_escape_append(out, detail, strlen(detail),
		    err) == -1 || gw_buf_putc(out, '"', err) == -1)
			return -1;
	}
	if (request_id != NULL) {
		if (gw_buf_puts(out, ",\"request_id\":\"", err) == -1 ||
		    gw_json_escape_append(out, request_id, strlen(request_id),
		    err) == -1 || gw_buf_putc(out, '"', err) == -1)
			return -1;
	}
	return gw_buf_puts(out, "}\n", err);
}

void
gw_http_date(long long t, char out[30])
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		(void)snprintf(out, 30, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	(void)snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT",
	    days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 32u,
	    months[tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
	    (unsigned)tm.tm_sec % 61u);
}
