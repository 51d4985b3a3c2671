/*
 * fuzz-http-body.c: the request body decoder (gw_http_body_*).
 *
 * The first byte picks a head from a fixed table (chunked, several
 * Content-Lengths, none), the second seeds the cutting; the rest is what
 * the client sends after the head.  It is decoded three times, as a server
 * would (feeding until done or an error): whole, byte by byte, and in
 * pieces of 0 to 16 or up to 255 bytes.  A broken invariant aborts:
 *
 *   - the three runs agree on the outcome (done, needs more, or the same
 *     error), and unless it is an error on the decoded bytes (count and
 *     content) and on the bytes consumed;
 *   - a feed consumes all it is given unless the body ends in it;
 *   - b->decoded counts what reached the callback; Content-Length bodies
 *     decode min(length, input) bytes and consume exactly that; a chunked
 *     body consumes more than it decodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gw.h"
#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char	*head;
	uint64_t	 length;	/* UINT64_MAX: chunked */
} heads[] = {
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	    UINT64_MAX },
	{ "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
	    "Expect: 100-continue\r\n\r\n", UINT64_MAX },
	{ "POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
	    "Transfer-Encoding:  chunked \r\n\r\n", UINT64_MAX },
	{ "PATCH / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Trailer: X\r\n\r\n", UINT64_MAX },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 5 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n", 100 },
	{ "POST / HTTP/1.0\r\nContent-Length: 65536\r\n\r\n", 65536 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
};

struct outcome {
	int		 rc;		/* 0, or -1 after an error */
	int		 done;
	size_t		 used;		/* bytes consumed */
	uint64_t	 decoded;	/* b.decoded */
	uint64_t	 delivered;	/* bytes the callback saw */
	uint64_t	 hash;
	enum gw_err_code code;
	char		 msg[GW_ERR_MSG_MAX];
};

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-http-body: %s\n", what);
	abort();
}

static int
on_body(void *arg, const char *p, size_t len)
{
	struct outcome *o = arg;

	if (len == 0)
		fail("an empty body callback");
	o->delivered += len;
	for (size_t i = 0; i < len; i++)
		o->hash = (o->hash ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return 0;
}

/* Decode body[0..len) in pieces chosen by mode; see the comment above. */
static void
decode(const struct gw_http_head *h, const char *body, size_t len,
    int mode, uint32_t seed, struct outcome *o)
{
	struct gw_http_body	b;
	struct gw_err		err;
	size_t			at = 0;

	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ULL;
	gw_http_body_init(&b, h, on_body, o);
	while (!b.done) {
		size_t	n = len - at;
		ssize_t	r;
		char	*piece;

		if (mode == 1)
			n = n > 0 ? 1 : 0;
		else if (mode == 2) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			n = GW_MIN(n, seed & 0x100 ? (seed >> 9) % 256 :
			    (seed >> 9) % 17);
		}
		/* Each piece on the heap, so that ASan sees reads past it. */
		if ((piece = malloc(n == 0 ? 1 : n)) == NULL)
			abort();
		memcpy(piece, body + at, n);
		r = gw_http_body_feed(&b, piece, n, &err);
		free(piece);
		if (r == -1) {
			o->rc = -1;
			o->code = err.code;
			(void)snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
			break;
		}
		if (r < 0 || (size_t)r > n)
			fail("a feed consumed more than it was given");
		if ((size_t)r != n && !b.done)
			fail("a feed stopped short of the end of the body");
		o->used += (size_t)r;
		at += (size_t)r;
		if (at == len)
			break;
	}
	o->done = b.done;
	o->decoded = b.decoded;
	if (o->rc == 0 && o->decoded != o->delivered)
		fail("b.decoded differs from what the callback saw");
	if (o->rc == -1 && o->code != GW_E_PROTO)
		fail("an error other than GW_E_PROTO");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_http_head	h;
	struct gw_http_limits		lim;
	struct outcome			o[3];
	const char			*body = (const char *)data + 2;
	size_t				len, k;
	uint64_t			cl;
	int				status;

	if (size < 2)
		return 0;
	len = size - 2;
	k = data[0] % GW_ARRAY_LEN(heads);
	cl = heads[k].length;
	gw_http_limits_default(&lim);
	if (gw_http_parse_head(heads[k].head, strlen(heads[k].head), &lim, &h,
	    &status, NULL) != (ssize_t)strlen(heads[k].head))
		fail("a head of the table does not parse");
	decode(&h, body, len, 0, 0, &o[0]);
	decode(&h, body, len, 1, 0, &o[1]);
	decode(&h, body, len, 2, (uint32_t)data[1] << 8 | data[0] | 1u |
	    (uint32_t)size << 16, &o[2]);
	for (int i = 1; i < 3; i++) {
		if (o[i].rc != o[0].rc || o[i].done != o[0].done)
			fail("pieces change the outcome");
		if (o[0].rc == -1) {
			if (o[i].code != o[0].code ||
			    strcmp(o[i].msg, o[0].msg) != 0)
				fail("pieces change the error");
			continue;
		}
		if (o[i].decoded != o[0].decoded || o[i].hash != o[0].hash)
			fail("pieces change the decoded bytes");
		if (o[i].used != o[0].used)
			fail("pieces change the bytes consumed");
	}
	if (o[0].rc == -1) {
		if (cl != UINT64_MAX)
			fail("a Content-Length body failed");
		return 0;
	}
	if (o[0].decoded > o[0].used || o[0].used > len)
		fail("decoded more than consumed, or consumed more than given");
	if (cl != UINT64_MAX) {
		if (o[0].decoded != GW_MIN(cl, (uint64_t)len) ||
		    o[0].used != o[0].decoded)
			fail("a Content-Length body of the wrong size");
		if (o[0].done != (len >= cl))
			fail("a Content-Length body done at the wrong time");
	} else if (o[0].done && o[0].used < o[0].decoded + 5)
		fail("a chunked body shorter than its framing");
	return 0;
}
