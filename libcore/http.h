/*
 * http.h: HTTP/1.1 messages on the server side.
 *
 * The request head is first scanned strictly here (request line, field
 * syntax, CRLF line ends, no obs-fold, no NUL or bare CR, limits), then
 * handed to libhttp-parser for its semantics; the body is decoded by
 * libhttp-parser (Content-Length or chunked).  Everything points into the
 * caller's buffer: nothing is copied and nothing is allocated.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <http_parser.h>

#include "buf.h"
#include "err.h"
#include "gw.h"

struct gw_http_limits {
	size_t	max_header_bytes;	/* request line + fields: 431 beyond */
	size_t	max_uri_bytes;		/* request target: 414 beyond */
	size_t	max_headers;		/* field lines: 431 beyond */
};

/* The defaults from gw.h. */
void	gw_http_limits_default(struct gw_http_limits *lim);

struct gw_http_header {
	struct gw_str	name;
	struct gw_str	value;	/* without leading/trailing whitespace */
};

enum gw_http_head_flags {
	GW_HTTP_KEEPALIVE = 1 << 0,	/* connection may carry another request */
	GW_HTTP_CHUNKED = 1 << 1,	/* body is chunked */
	GW_HTTP_HAS_LENGTH = 1 << 2,	/* Content-Length was given */
	GW_HTTP_EXPECT_CONTINUE = 1 << 3, /* Expect: 100-continue */
	GW_HTTP_ABSOLUTE_FORM = 1 << 4,	/* target was absolute-form */
	GW_HTTP_ASTERISK_FORM = 1 << 5	/* OPTIONS * */
};

struct gw_http_head {
	struct gw_str		 method;
	int			 method_id;	/* enum http_method */
	struct gw_str		 target;	/* request-target as sent */
	struct gw_str		 path;		/* still percent-encoded; a
						   static "/" for "http://h" */
	struct gw_str		 query;		/* after '?', may be empty */
	struct gw_str		 host;		/* Host, or the absolute-form authority */
	int			 version;	/* 10 or 11 */
	unsigned		 flags;		/* enum gw_http_head_flags */
	uint64_t		 content_length;
	size_t			 head_len;	/* bytes of request line + fields + CRLF */
	size_t			 nheaders;
	struct gw_http_header	 headers[GW_MAX_HEADERS];
};

/*
 * Parse a complete request head at the start of buf[0..len).
 * Returns the head's length (> 0) and fills *h; 0 if more bytes are needed
 * and the limits allow them; -1 on a bad request, with *status set to the
 * status to answer (400, 414, 431, 501, 505, 417) and err saying why.
 * h's slices point into buf.
 */
ssize_t	gw_http_parse_head(const char *buf, size_t len,
	    const struct gw_http_limits *lim, struct gw_http_head *h,
	    int *status, struct gw_err *err);

/* The first header called name (case-insensitive), or NULL. */
const struct gw_http_header *gw_http_head_get(const struct gw_http_head *h,
	    const char *name);

/*
 * Body decoder for Content-Length and chunked request bodies.  Chunked
 * framing is checked strictly here (libhttp-parser as Debian builds it
 * lets a missing CRLF after chunk data, a bare LF in an extension or a
 * trailer, and CR CR at the end through, which are smuggling material):
 * chunk-size is 1 to 16 hex digits, extensions are RFC 9112's
 * *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) within
 * 4 KiB, every line ends with CRLF, trailers are field lines (not
 * passed on) within GW_MAX_HEADER_BYTES.
 */
typedef int gw_http_body_fn(void *arg, const char *p, size_t len);

enum gw_http_body_state {
	GW_BODY_LENGTH,		/* Content-Length bytes */
	GW_BODY_SIZE,		/* chunk-size digits */
	GW_BODY_EXT_BWS,	/* whitespace before a ';' */
	GW_BODY_EXT_NAME0,	/* after ';': the name's first byte */
	GW_BODY_EXT_NAME,	/* a chunk-ext-name */
	GW_BODY_EXT_VAL0,	/* after '=': the value's first byte */
	GW_BODY_EXT_TOKEN,	/* a token value */
	GW_BODY_EXT_QUOTED,	/* a quoted-string value */
	GW_BODY_EXT_ESC,	/* after a backslash in it */
	GW_BODY_EXT_AFTER,	/* after a value: ';' or CRLF */
	GW_BODY_SIZE_LF,	/* the LF after a chunk line's CR */
	GW_BODY_DATA,		/* chunk data */
	GW_BODY_DATA_CR,	/* the CRLF after chunk data */
	GW_BODY_DATA_LF,
	GW_BODY_TRAILER,	/* a trailer line, or the empty last line */
	GW_BODY_TRAILER_LF,
	GW_BODY_DONE,
	GW_BODY_ERROR		/* a framing error: no byte more is taken */
};

struct gw_http_body {
	enum gw_http_body_state	 state;
	gw_http_body_fn		*fn;
	void			*arg;
	uint64_t		 remaining;	/* of the body or the chunk */
	unsigned		 digits;	/* of the chunk-size so far */
	size_t			 line;		/* bytes of this trailer line */
	size_t			 trailers;	/* bytes of trailers so far */
	int			 done;
	int			 failed;	/* fn returned -1 */
	uint64_t		 decoded;	/* content bytes delivered */
};

/*
 * Prepare to decode the body of the request whose head is h.  Requests
 * without a body are done at once (b->done).
 */
void	gw_http_body_init(struct gw_http_body *b, const struct gw_http_head *h,
	    gw_http_body_fn *fn, void *arg);
/*
 * Consume body bytes from buf[0..len).  Returns the bytes consumed (the
 * rest belongs to the next request once b->done is set), or -1 on a
 * framing error (GW_E_PROTO, the message says what) or when fn failed
 * (GW_E_LIMIT).
 */
ssize_t	gw_http_body_feed(struct gw_http_body *b, const char *buf, size_t len,
	    struct gw_err *err);

/* The reason phrase for status ("Not Found"); "Unknown" if none. */
const char *gw_http_reason(int status);

/* 1 if name is a hop-by-hop field that a proxy must not forward. */
int	gw_http_is_hop_by_hop(struct gw_str name);

/* 1 if c may appear in a token (RFC 9110 tchar). */
int	gw_http_is_tchar(unsigned char c);

/*
 * Append an RFC 9457 problem document: {"type","title","status","detail",
 * "request_id"} (detail and request_id left out when NULL).  The type is
 * "urn:gw:problem:" followed by slug.
 */
int	gw_http_problem_json(struct gw_buf *out, int status, const char *slug,
	    const char *detail, const char *request_id, struct gw_err *err);

/* Format an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for t into out. */
void	gw_http_date(long long t, char out[30]);

#endif /* GW_HTTP_H */
