/*
 * gw.h: limits and small value types shared by every libcore module.
 *
 * Every limit the gateway enforces on outside input has a name here, so that
 * the configuration reference, the tests and the code agree on one number.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GW_VERSION		"0.1.0"

/* HTTP request head (request line and header fields), bytes: 431 beyond. */
#define GW_MAX_HEADER_BYTES	(16 * 1024)
/* Request target (URI), bytes: 414 beyond. */
#define GW_MAX_URI_BYTES	(8 * 1024)
/* Header fields in one request or response. */
#define GW_MAX_HEADERS		100
/* Request body default limit when a policy buffers it, bytes: 413 beyond. */
#define GW_MAX_BODY_BYTES	(1024 * 1024)
/* Upstream response head, bytes: 502 beyond. */
#define GW_MAX_RESP_HEADER_BYTES (32 * 1024)
/* Configuration file size, bytes. */
#define GW_MAX_CONFIG_BYTES	(4 * 1024 * 1024)
/* Nesting depth of any JSON document the gateway reads for itself. */
#define GW_MAX_JSON_DEPTH	64
/* Routes in one configuration. */
#define GW_MAX_ROUTES		10000
/* Targets in one upstream pool. */
#define GW_MAX_TARGETS		256
/* Listening sockets. */
#define GW_MAX_LISTENERS	64
/* Worker processes. */
#define GW_MAX_WORKERS		256
/* Path parameters of one route template. */
#define GW_MAX_PARAMS		16

/* A slice of bytes owned by somebody else; not NUL-terminated. */
struct gw_str {
	const char	*p;
	size_t		 len;
};

#define GW_STR(lit)	((struct gw_str){ (lit), sizeof(lit) - 1 })
#define GW_STR_NULL	((struct gw_str){ NULL, 0 })

static inline struct gw_str
gw_str_make(const char *p, size_t len)
{
	struct gw_str s = { p, len };

	return s;
}

static inline struct gw_str
gw_str_cstr(const char *p)
{
	struct gw_str s = { p, p == NULL ? 0 : strlen(p) };

	return s;
}

static inline int
gw_str_eq(struct gw_str a, struct gw_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Equality ignoring ASCII case (header names, tokens). */
int	gw_str_caseeq(struct gw_str a, struct gw_str b);
/* Equality of a slice with a NUL-terminated literal, ignoring ASCII case. */
int	gw_str_caseeq_cstr(struct gw_str a, const char *b);

#define GW_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#define GW_MIN(a, b)	((a) < (b) ? (a) : (b))
#define GW_MAX(a, b)	((a) > (b) ? (a) : (b))

#endif /* GW_GW_H */
