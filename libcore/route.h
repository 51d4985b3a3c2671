/*
 * route.h: choosing the route of a request.
 *
 * Routes match on host, method, path and optionally header values.  Paths
 * are exact ("/health"), templates with named parameters ("/items/{id}"),
 * or prefixes on a segment boundary ("/api" matches "/api", "/api/x", not
 * "/apix"); prefixes may hold parameters too.  The most specific route wins:
 * an exact host before a wildcard host ("*.example.com") before any host;
 * then a full-path match before a prefix, a literal segment before a
 * parameter, a longer prefix before a shorter one; then routes with header
 * conditions before those without, and routes naming methods before those
 * that take any.  Ties go to the route listed first.
 *
 * Matching is done on the normalized path (gw_route_normalize_path):
 * percent-encoded unreserved characters decoded, dot segments removed, so
 * that "/api/%2e%2e/admin" cannot reach around a route.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "gw.h"
#include "http.h"

enum gw_route_path_kind {
	GW_ROUTE_EXACT,		/* the whole path, literal or template */
	GW_ROUTE_PREFIX		/* the path starts with these segments */
};

struct gw_route_header_match {
	char	*name;
	char	*value;		/* NULL: the header must be present */
};

/* What a route matches; the router copies what it keeps. */
struct gw_route_spec {
	const char			*host;	/* NULL: any */
	uint64_t			 methods; /* bit (1 << enum http_method); 0: any */
	const char			*path;
	enum gw_route_path_kind		 kind;
	const struct gw_route_header_match *headers;
	size_t				 nheaders;
	void				*data;	/* returned on a match */
};

struct gw_router;

struct gw_route_param {
	const char	*name;		/* owned by the router */
	struct gw_str	 value;		/* slice of the matched path */
};

struct gw_route_match {
	void			*data;		/* the spec's data */
	size_t			 index;		/* the spec's position */
	size_t			 nparams;
	struct gw_route_param	 params[GW_MAX_PARAMS];
	size_t			 prefix_len;	/* bytes of the path the prefix took */
};

/* An empty router.  NULL on out of memory. */
struct gw_router *gw_router_new(void);
void	gw_router_free(struct gw_router *r);
/*
 * Add a route; routes keep the order they are added in for ties.  -1 with
 * GW_E_CONFIG for a bad path pattern (the message says what is wrong).
 */
int	gw_router_add(struct gw_router *r, const struct gw_route_spec *spec,
	    struct gw_err *err);
/*
 * Find the route for a request.  path must be normalized.  Returns 0 and
 * fills *m, or -1 if nothing matches: then *allow gets the methods of the
 * routes that matched everything but the method (0 if none), for a 405.
 */
int	gw_router_match(const struct gw_router *r, struct gw_str host,
	    int method, struct gw_str path, const struct gw_http_head *h,
	    struct gw_route_match *m, uint64_t *allow);

/*
 * Normalize a request path into the arena: decode %XX of unreserved
 * characters, upper-case the hex of the other escapes, remove "." and ".."
 * segments (RFC 3986 5.2.4).  NULL on out of memory or for a path that is
 * not well-formed (a bad escape, a NUL byte).
 */
char	*gw_route_normalize_path(struct gw_arena *a, struct gw_str path,
	    size_t *lenp);
/* Check a path pattern without adding it; -1 with a message if bad. */
int	gw_route_check_pattern(const char *path, struct gw_err *err);
/* Parse a method name ("GET") into its enum http_method bit; -1 if unknown. */
int	gw_route_method_bit(const char *name, uint64_t *bit);
/* Write the names in a method set as "GET, HEAD, POST" into out. */
void	gw_route_methods_str(uint64_t methods, char *out, size_t outsize);

#endif /* GW_ROUTE_H */
