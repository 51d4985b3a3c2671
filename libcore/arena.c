/*
 * arena.c: a bump allocator with destructors, one per request.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gw.h"

#define ARENA_ALIGN	16
#define ARENA_DEFAULT	4096

struct chunk {
	struct chunk	*next;
	size_t		 size;	/* usable bytes after the header */
	size_t		 used;
	/* data follows, aligned */
};

struct dtor {
	struct dtor		*next;
	gw_arena_dtor_fn	*fn;
	void			*p;
};

struct gw_arena {
	struct chunk	*all;		/* every chunk, newest first */
	struct chunk	*head;		/* the chunk being filled */
	struct chunk	*first;		/* kept across resets */
	struct dtor	*dtors;
	size_t		 chunk_size;
	size_t		 total;
};

#define CHUNK_HDR	((sizeof(struct chunk) + ARENA_ALIGN - 1) & \
			    ~(size_t)(ARENA_ALIGN - 1))

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	if (size > SIZE_MAX - CHUNK_HDR)
		return NULL;
	if ((c = malloc(CHUNK_HDR + size)) == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct gw_arena *
gw_arena_new(size_t chunk)
{
	struct gw_arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->chunk_size = chunk == 0 ? ARENA_DEFAULT : chunk;
	if ((a->first = chunk_new(a->chunk_size)) == NULL) {
		free(a);
		return NULL;
	}
	a->all = a->head = a->first;
	return a;
}

static void
run_dtors(struct gw_arena *a)
{
	while (a->dtors != NULL) {
		struct dtor *d = a->dtors;

		/* The record itself lives in the arena: read it first. */
		a->dtors = d->next;
		d->fn(d->p);
	}
}

void
gw_arena_reset(struct gw_arena *a)
{
	struct chunk *c, *next;

	run_dtors(a);
	for (c = a->all; c != NULL; c = next) {
		next = c->next;
		if (c != a->first)
			free(c);
	}
	a->all = a->head = a->first;
	a->first->used = 0;
	a->first->next = NULL;
	a->total = 0;
}

void
gw_arena_free(struct gw_arena *a)
{
	if (a == NULL)
		return;
	gw_arena_reset(a);
	free(a->first);
	free(a);
}

void *
gw_arena_alloc(struct gw_arena *a, size_t size)
{
	struct chunk	*c = a->head;
	size_t		 need;
	char		*p;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (c->size - c->used < need) {
		/* Big blocks get a chunk of their own; head stays. */
		if ((c = chunk_new(need > a->chunk_size / 4 ? need :
		    a->chunk_size)) == NULL)
			return NULL;
		c->next = a->all;
		a->all = c;
		if (need <= a->chunk_size / 4)
			a->head = c;
	}
	p = (char *)c + CHUNK_HDR + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *
gw_arena_calloc(struct gw_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if ((p = gw_arena_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

char *
gw_arena_strndup(struct gw_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX || (p = gw_arena_alloc(a, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
gw_arena_strdup(struct gw_arena *a, const char *s)
{
	return gw_arena_strndup(a, s, strlen(s));
}

char *
gw_arena_printf(struct gw_arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = gw_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
gw_arena_defer(struct gw_arena *a, gw_arena_dtor_fn *fn, void *p)
{
	struct dtor *d;

	if ((d = gw_arena_alloc(a, sizeof(*d))) == NULL) {
		fn(p);
		return -1;
	}
	d->fn = fn;
	d->p = p;
	d->next = a->dtors;
	a->dtors = d;
	return 0;
}

size_t
gw_arena_used(const struct gw_arena *a)
{
	return a->total;
}
