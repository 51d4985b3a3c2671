/*
 * arena.h: the request arena.
 *
 * Parsed headers, rewritten URLs, scratch documents: everything that lives as
 * long as one request comes from its arena and goes in one gw_arena_reset()
 * or gw_arena_free().  Foreign objects join through gw_arena_defer(): their
 * destructors run when the arena is reset, last registered first.  Never
 * free arena memory piece by piece, and never keep an arena pointer past the
 * reset.
 */
#ifndef GW_ARENA_H
#define GW_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "gw.h"

struct gw_arena;

typedef void gw_arena_dtor_fn(void *);

/* A new arena whose chunks are chunk bytes (0: a default).  NULL on ENOMEM. */
struct gw_arena	*gw_arena_new(size_t chunk);
/* Run the destructors and free everything, the arena included.  NULL ok. */
void	gw_arena_free(struct gw_arena *a);
/* Run the destructors and free all but the first chunk, for reuse. */
void	gw_arena_reset(struct gw_arena *a);
/* size bytes aligned for any type; NULL on out of memory. */
void	*gw_arena_alloc(struct gw_arena *a, size_t size);
void	*gw_arena_calloc(struct gw_arena *a, size_t n, size_t size);
/* A NUL-terminated copy of p[0..len). */
char	*gw_arena_strndup(struct gw_arena *a, const char *p, size_t len);
char	*gw_arena_strdup(struct gw_arena *a, const char *s);
char	*gw_arena_printf(struct gw_arena *a, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/*
 * Run fn(p) when the arena is reset or freed.  On failure (out of memory)
 * fn(p) is called at once and -1 returned, so the caller never leaks p.
 */
int	gw_arena_defer(struct gw_arena *a, gw_arena_dtor_fn *fn, void *p);
/* Bytes handed out since the last reset (for tests and metrics). */
size_t	gw_arena_used(const struct gw_arena *a);

#endif /* GW_ARENA_H */
