/*
 * fuzz-http-head.c: gw_http_parse_head on arbitrary bytes.
 *
 * The first byte picks small limits (so that 414 and 431 are reached), the
 * second sizes them; the rest is the head, parsed with the default limits
 * and with the small ones.  A broken invariant aborts:
 *
 *   - the result is -1, 0 or a length within the input and the limits;
 *   - -1 comes with one of the documented statuses and a message, 0 with no
 *     status and fewer bytes than max_header_bytes;
 *   - a head ends with CRLF CRLF, and every slice of it (method, target,
 *     path, query, host, field names and values) points inside it, but
 *     the static "/" that http.h documents for "http://host";
 *   - what was accepted is well-formed: a known method that is not
 *     CONNECT, version 1.0 or 1.1, tokens for names, no CR, LF, NUL or
 *     other control bytes in values and no whitespace around them, no
 *     fragment, a host without '/', '?', '@', spaces or control bytes,
 *     consistent framing flags, a Host for HTTP/1.1;
 *   - parsing is a function of the head alone: the head without what
 *     follows gives the same result, and every proper prefix of it needs
 *     more bytes (returns 0).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gw.h"
#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_http_head	head, again;

static void
fail(const char *what, const char *buf, size_t len)
{
	(void)fprintf(stderr, "fuzz-http-head: %s (input of %zu bytes)\n",
	    what, len);
	(void)buf;
	abort();
}

static int
slice_in(struct gw_str s, const char *buf, size_t len)
{
	if (s.len == 0 && s.p == NULL)
		return 1;
	return s.p >= buf && s.p <= buf + len && s.len <= (size_t)(buf + len -
	    s.p);
}

static int
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 if two parses of the same head agree (slices compared by value). */
static int
same_head(const struct gw_http_head *a, const struct gw_http_head *b)
{
	if (!gw_str_eq(a->method, b->method) || a->method_id != b->method_id ||
	    !gw_str_eq(a->target, b->target) || !gw_str_eq(a->path, b->path) ||
	    !gw_str_eq(a->query, b->query) || !gw_str_eq(a->host, b->host) ||
	    a->version != b->version || a->flags != b->flags ||
	    a->content_length != b->content_length ||
	    a->head_len != b->head_len || a->nheaders != b->nheaders)
		return 0;
	for (size_t i = 0; i < a->nheaders; i++)
		if (!gw_str_eq(a->headers[i].name, b->headers[i].name) ||
		    !gw_str_eq(a->headers[i].value, b->headers[i].value))
			return 0;
	return 1;
}

static void
check_head(const char *buf, size_t len, const struct gw_http_limits *lim,
    ssize_t rc)
{
	const struct gw_http_head	*h = &head;
	const char			*m;
	size_t				 hl = (size_t)rc, hostlen;
	int				 has_host = 0, nopath;

	if (hl > len || hl > lim->max_header_bytes || h->head_len != hl)
		fail("head length out of range", buf, len);
	if (hl < 18 || memcmp(buf + hl - 4, "\r\n\r\n", 4) != 0)
		fail("a head that does not end with CRLF CRLF", buf, len);
	/* "http://host": the path is a static "/" (http.h). */
	nopath = (h->flags & GW_HTTP_ABSOLUTE_FORM) && h->path.len == 1 &&
	    h->path.p[0] == '/' && !slice_in(h->path, buf, hl);
	if (!slice_in(h->method, buf, hl) || !slice_in(h->target, buf, hl) ||
	    !slice_in(h->query, buf, hl) || !slice_in(h->host, buf, hl) ||
	    (!slice_in(h->path, buf, hl) && !nopath))
		fail("a slice outside the head", buf, len);
	hostlen = h->host.len;
	for (size_t i = 0; i < hostlen; i++) {
		unsigned char c = (unsigned char)h->host.p[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '@')
			fail("a host with a byte no authority has", buf, len);
	}
	if (memchr(h->target.p, '#', h->target.len) != NULL)
		fail("a fragment accepted", buf, len);
	if (h->nheaders > lim->max_headers || h->nheaders > GW_MAX_HEADERS)
		fail("more fields than the limit", buf, len);
	for (size_t i = 0; i < h->nheaders; i++) {
		struct gw_str n = h->headers[i].name, v = h->headers[i].value;

		if (!slice_in(n, buf, hl) || !slice_in(v, buf, hl) ||
		    n.len == 0)
			fail("a field outside the head", buf, len);
		for (size_t j = 0; j < n.len; j++)
			if (!is_tchar((unsigned char)n.p[j]))
				fail("a field name that is not a token", buf,
				    len);
		for (size_t j = 0; j < v.len; j++) {
			unsigned char c = (unsigned char)v.p[j];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				fail("a control byte in a field value", buf,
				    len);
		}
		if (v.len > 0 && (v.p[0] == ' ' || v.p[0] == '\t' ||
		    v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
			fail("a field value not trimmed", buf, len);
		if (gw_str_caseeq_cstr(n, "host"))
			has_host++;
	}
	if (h->version != 10 && h->version != 11)
		fail("a version other than 1.0 and 1.1", buf, len);
	if (h->version == 11 && has_host != 1)
		fail("HTTP/1.1 without exactly one Host", buf, len);
	m = http_method_str((enum http_method)h->method_id);
	if (h->method_id == HTTP_CONNECT || !gw_str_eq(h->method,
	    gw_str_cstr(m)))
		fail("method name and id disagree", buf, len);
	if (h->target.len == 0 || h->target.len > lim->max_uri_bytes)
		fail("target length out of range", buf, len);
	if (h->path.len == 0 || (h->path.p[0] != '/' &&
	    !((h->flags & GW_HTTP_ASTERISK_FORM) && h->path.len == 1 &&
	    h->path.p[0] == '*' && h->method_id == HTTP_OPTIONS)))
		fail("a path that is neither origin nor asterisk", buf, len);
	if (memchr(h->path.p, '?', h->path.len) != NULL ||
	    memchr(h->path.p, '#', h->path.len) != NULL ||
	    memchr(h->query.p == NULL ? "" : h->query.p, '#', h->query.len) !=
	    NULL)
		fail("a '?' in the path or a fragment", buf, len);
	if ((h->flags & GW_HTTP_CHUNKED) && (h->flags & GW_HTTP_HAS_LENGTH))
		fail("both chunked and Content-Length", buf, len);
	if ((h->flags & (GW_HTTP_CHUNKED | GW_HTTP_EXPECT_CONTINUE)) &&
	    h->version != 11)
		fail("chunked or 100-continue in HTTP/1.0", buf, len);
	if (!(h->flags & GW_HTTP_HAS_LENGTH) && h->content_length != 0)
		fail("a length without Content-Length", buf, len);
	if (h->content_length > INT64_MAX)
		fail("a length over 2^63 - 1", buf, len);
	if ((h->flags & GW_HTTP_ABSOLUTE_FORM) &&
	    (h->flags & GW_HTTP_ASTERISK_FORM))
		fail("both absolute-form and asterisk-form", buf, len);
}

/*
 * Parse buf[0..len) from a copy on the heap of exactly len bytes, so that
 * ASan sees reads past it; the copy lives until the next call.
 */
static ssize_t
parse_copy(const char *buf, size_t len, const struct gw_http_limits *lim,
    struct gw_http_head *h, int *status, struct gw_err *err)
{
	static char	*copy;

	free(copy);
	if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(copy, buf, len);
	return gw_http_parse_head(copy, len, lim, h, status, err);
}

static void
run(const char *buf, size_t len, const struct gw_http_limits *lim,
    uint32_t seed)
{
	struct gw_err	err;
	int		status = -1, status2;
	ssize_t		rc, rc2;

	err.msg[0] = '\0';
	rc = gw_http_parse_head(buf, len, lim, &head, &status, &err);
	if (rc == 0) {
		if (status != 0)
			fail("0 with a status", buf, len);
		if (len >= lim->max_header_bytes)
			fail("need more past max_header_bytes", buf, len);
		return;
	}
	if (rc == -1) {
		switch (status) {
		case 400: case 414: case 417: case 431: case 501: case 505:
			break;
		default:
			fail("-1 with an undocumented status", buf, len);
		}
		if ((err.code != GW_E_PROTO && err.code != GW_E_UNSUPPORTED) ||
		    err.msg[0] == '\0')
			fail("-1 without GW_E_PROTO/UNSUPPORTED and a message",
			    buf, len);
		if (parse_copy(buf, len, lim, &again, &status2, NULL) != -1 ||
		    status2 != status)
			fail("a second parse disagrees", buf, len);
		return;
	}
	if (rc < 0 || status != 0)
		fail("an undocumented result", buf, len);
	check_head(buf, len, lim, rc);
	/* The head alone gives the same head. */
	rc2 = parse_copy(buf, (size_t)rc, lim, &again, &status2, &err);
	if (rc2 != rc || !same_head(&head, &again))
		fail("the head alone parses differently", buf, len);
	/* Its proper prefixes need more: all but the last byte, and one. */
	if (parse_copy(buf, (size_t)rc - 1, lim, &again, &status2, &err) != 0)
		fail("a prefix of a good head is not incomplete", buf, len);
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	if (parse_copy(buf, seed % (size_t)rc, lim, &again, &status2, &err) !=
	    0)
		fail("a prefix of a good head is not incomplete", buf, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_http_limits	lim;
	const char		*buf = (const char *)data + 2;
	size_t			 len;

	if (size < 2)
		return 0;
	len = size - 2;
	gw_http_limits_default(&lim);
	run(buf, len, &lim, (uint32_t)size * 2654435761u | 1);
	if (data[0] & 1) {
		/* Small limits: heads of 16 to 526 bytes, 2 to 9 fields. */
		lim.max_header_bytes = 16 + (size_t)data[1] * 2;
		lim.max_uri_bytes = 1 + (size_t)(data[0] >> 1) % 64;
		lim.max_headers = 2 + (size_t)(data[1] & 7);
		run(buf, len, &lim, (uint32_t)data[1] << 8 | data[0] | 1);
	}
	return 0;
}
