/*
 * arena_test.c: the request arena.
 *
 * arena.c is included, not linked, so that its mallocs can be counted and
 * failed one at a time: that is how gw_arena_defer()'s failure path (the
 * destructor runs at once) is reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "gw.h"

/* -1: no failure; N: the Nth allocation from now on fails (0 the next). */
static long	fail_countdown = -1;
static long	nmalloc;

static int
fail_now(void)
{
	nmalloc++;
	return fail_countdown >= 0 && fail_countdown-- == 0;
}

#define malloc(n)	(fail_now() ? NULL : malloc(n))
#define calloc(n, s)	(fail_now() ? NULL : calloc(n, s))

#include "../../libcore/arena.c"

#undef malloc
#undef calloc

#include "tap.h"

/* Destructors write their mark into a log, to check the order. */
static char	dlog[64];
static size_t	ndlog;
static char	marks[] = "0123456789abcdefghijklmnopqrstuvwxyz";

#define M(c)	(strchr(marks, (c)))

static void
mark(void *p)
{
	if (ndlog < sizeof(dlog) - 1)
		dlog[ndlog++] = *(const char *)p;
	dlog[ndlog] = '\0';
}

static void
dlog_clear(void)
{
	ndlog = 0;
	dlog[0] = '\0';
}

static void
free_it(void *p)
{
	free(p);
}

static void
test_alloc(void)
{
	struct gw_arena	*a;
	char		*p[40];
	int		 aligned = 1, intact = 1;

	ok((a = gw_arena_new(0)) != NULL, "gw_arena_new(0)");
	is_int(a->chunk_size, 4096, "the default chunk is 4096 bytes");
	is_int(gw_arena_used(a), 0, "nothing used yet");
	for (size_t i = 0; i < GW_ARRAY_LEN(p); i++) {
		p[i] = gw_arena_alloc(a, i + 1);
		if (p[i] == NULL || (uintptr_t)p[i] % 16 != 0)
			aligned = 0;
		else
			memset(p[i], (int)i, i + 1);
	}
	ok(aligned, "every block is aligned on 16 bytes");
	for (size_t i = 0; i < GW_ARRAY_LEN(p); i++)
		for (size_t j = 0; j <= i; j++)
			if (p[i] == NULL || p[i][j] != (char)i)
				intact = 0;
	ok(intact, "blocks do not overlap");
	/* 1..16 take 16, 17..32 take 32, 33..40 take 48. */
	is_int(gw_arena_used(a), 16 * 16 + 16 * 32 + 8 * 48,
	    "gw_arena_used counts rounded sizes");
	gw_arena_reset(a);
	is_int(gw_arena_used(a), 0, "reset: nothing used");
	ok(gw_arena_alloc(a, 0) != NULL && gw_arena_used(a) == 16,
	    "a zero-size block still takes 16 bytes");
	gw_arena_free(a);
}

static void
test_chunks(void)
{
	struct gw_arena	*a;
	char		*first, *p, *big, *big2;
	long		 before;
	int		 same = 1;

	ok((a = gw_arena_new(256)) != NULL, "gw_arena_new(256)");
	first = gw_arena_alloc(a, 16);
	before = nmalloc;
	for (int i = 1; i < 16; i++)
		if ((p = gw_arena_alloc(a, 16)) != first + 16 * i)
			same = 0;
	ok(same && nmalloc == before,
	    "16 blocks of 16 fill a 256-byte chunk without a malloc");
	p = gw_arena_alloc(a, 16);
	ok(p != NULL && nmalloc == before + 1 && a->head != a->first,
	    "the 17th needs a new chunk, which becomes the head");
	ok(a->head->size == 256, "... of the arena's chunk size");

	/*
	 * A block that does not fit in the head chunk: if it is big (over a
	 * quarter of a chunk) it gets a chunk of its own and the head stays.
	 */
	gw_arena_reset(a);
	ok(a->head == a->first && a->all == a->first && a->first->next == NULL,
	    "reset keeps the first chunk only");
	ok(gw_arena_alloc(a, 16) == first, "... and reuses it from its start");
	before = nmalloc;
	ok(gw_arena_alloc(a, 200) == first + 16 && nmalloc == before,
	    "a big block that fits comes from the head chunk");
	big = gw_arena_alloc(a, 65);
	ok(big != NULL && nmalloc == before + 1 && a->head == a->first,
	    "a 65-byte block (> 256 / 4) that does not fit: own chunk");
	memset(big, 'B', 65);
	ok(gw_arena_alloc(a, 16) == first + 224 && nmalloc == before + 1,
	    "small blocks still come from the head chunk");
	big2 = gw_arena_alloc(a, 10000);
	ok(big2 != NULL && a->head == a->first && a->all->size == 10000,
	    "a block of 10000 bytes: a chunk of exactly that size");
	memset(big2, 'C', 10000);
	ok(big[0] == 'B' && big[64] == 'B', "big blocks do not overlap");
	ok(gw_arena_alloc(a, 16) == first + 240, "the head chunk is full now");
	before = nmalloc;
	p = gw_arena_alloc(a, 64);
	ok(p != NULL && nmalloc == before + 1 && a->head != a->first &&
	    a->head->size == 256,
	    "a 64-byte block (= 256 / 4) is small: a new head chunk");
	is_int(gw_arena_used(a), 16 + 208 + 80 + 16 + 10000 + 16 + 64,
	    "big blocks count in gw_arena_used");
	gw_arena_reset(a);
	ok(gw_arena_alloc(a, 32) == first, "reset after big blocks");
	gw_arena_free(a);

	/* An arena with tiny chunks: everything is big. */
	ok((a = gw_arena_new(1)) != NULL, "gw_arena_new(1)");
	p = gw_arena_alloc(a, 100);
	ok(p != NULL && (uintptr_t)p % 16 == 0, "allocates with 1-byte chunks");
	memset(p, 0, 100);
	gw_arena_free(a);
}

static void
test_strings(void)
{
	struct gw_arena	*a;
	char		*s, *longs;

	a = gw_arena_new(128);
	is_str(gw_arena_strdup(a, "hello"), "hello", "gw_arena_strdup");
	is_str(gw_arena_strndup(a, "abcdef", 3), "abc", "gw_arena_strndup");
	s = gw_arena_strndup(a, "a\0b", 3);
	ok(s != NULL && memcmp(s, "a\0b", 4) == 0,
	    "gw_arena_strndup copies NULs and terminates");
	is_str(gw_arena_strndup(a, NULL, 0), "", "strndup of nothing");
	is_str(gw_arena_printf(a, "%s-%d-%c", "x", 42, 'z'), "x-42-z",
	    "gw_arena_printf");
	is_str(gw_arena_printf(a, "%s", ""), "", "gw_arena_printf: empty");
	longs = gw_arena_printf(a, "%0500d", 5);
	ok(longs != NULL && strlen(longs) == 500 && longs[499] == '5',
	    "gw_arena_printf: longer than a chunk");
	ok(gw_arena_strndup(a, "x", SIZE_MAX) == NULL,
	    "strndup of SIZE_MAX bytes fails");
	gw_arena_free(a);
}

static void
test_calloc(void)
{
	struct gw_arena	*a;
	unsigned char	*p;
	int		 zero = 1;

	a = gw_arena_new(256);
	p = gw_arena_alloc(a, 64);
	memset(p, 0xaa, 64);
	gw_arena_reset(a);
	p = gw_arena_calloc(a, 8, 8);
	ok(p != NULL, "gw_arena_calloc on reused memory");
	for (int i = 0; i < 64; i++)
		if (p[i] != 0)
			zero = 0;
	ok(zero, "... is zeroed");
	ok(gw_arena_calloc(a, SIZE_MAX / 2 + 1, 2) == NULL,
	    "gw_arena_calloc: n * size overflow fails");
	ok(gw_arena_calloc(a, 0, 8) != NULL, "gw_arena_calloc of 0 elements");
	ok(gw_arena_calloc(a, 8, 0) != NULL, "gw_arena_calloc of 0 bytes");
	gw_arena_free(a);
}

static void
test_defer(void)
{
	struct gw_arena	*a;
	char		*heap;

	a = gw_arena_new(256);
	dlog_clear();
	ok(gw_arena_defer(a, mark, M('1')) == 0 &&
	    gw_arena_defer(a, mark, M('2')) == 0 &&
	    gw_arena_defer(a, mark, M('3')) == 0, "three destructors");
	is_str(dlog, "", "none has run yet");
	gw_arena_reset(a);
	is_str(dlog, "321", "reset runs them last registered first");
	dlog_clear();
	gw_arena_reset(a);
	is_str(dlog, "", "each runs once");
	/* Destructors registered among big blocks and several chunks. */
	(void)gw_arena_defer(a, mark, M('a'));
	(void)gw_arena_alloc(a, 1000);
	(void)gw_arena_defer(a, mark, M('b'));
	for (int i = 0; i < 40; i++)
		(void)gw_arena_alloc(a, 16);
	(void)gw_arena_defer(a, mark, M('c'));
	heap = malloc(100);
	ok(gw_arena_defer(a, free_it, heap) == 0,
	    "the arena takes a heap block (valgrind checks that it is freed)");
	gw_arena_free(a);
	is_str(dlog, "cba", "gw_arena_free runs them too, in order");
	gw_arena_free(NULL);
	ok(1, "gw_arena_free(NULL) is harmless");
}

/* Destructors that use the arena's memory while it still exists. */
struct node {
	struct node	*next;
	char		 tag;
};

static void
node_dtor(void *p)
{
	struct node *n = p;

	mark(&n->tag);
	if (n->next != NULL)
		mark(&n->next->tag);
}

static void
test_defer_arena_memory(void)
{
	struct gw_arena	*a;
	struct node	*x, *y;

	a = gw_arena_new(64);
	x = gw_arena_calloc(a, 1, sizeof(*x));
	y = gw_arena_calloc(a, 1, sizeof(*y));
	x->tag = 'x';
	y->tag = 'y';
	x->next = y;
	(void)gw_arena_defer(a, node_dtor, x);
	for (int i = 0; i < 10; i++)
		(void)gw_arena_alloc(a, 16);
	dlog_clear();
	gw_arena_reset(a);
	is_str(dlog, "xy", "destructors run before the memory goes");
	gw_arena_free(a);
}

static void
test_nomem(void)
{
	struct gw_arena	*a;
	char		*heap;
	int		 ok_all = 1;

	fail_countdown = 0;
	ok(gw_arena_new(0) == NULL, "gw_arena_new: the struct fails");
	fail_countdown = 1;
	ok(gw_arena_new(0) == NULL, "gw_arena_new: the first chunk fails");
	fail_countdown = -1;

	a = gw_arena_new(64);
	fail_countdown = 0;
	ok(gw_arena_alloc(a, 100) == NULL, "a big block fails");
	fail_countdown = 0;
	ok(gw_arena_alloc(a, 8) != NULL && fail_countdown == 0,
	    "a block that fits needs no malloc");
	fail_countdown = -1;
	for (int i = 0; i < 3; i++)
		(void)gw_arena_alloc(a, 16);
	/* The chunk is full: the destructor's record needs a new one. */
	dlog_clear();
	(void)gw_arena_defer(a, mark, M('k'));
	heap = malloc(10);
	fail_countdown = 0;
	is_int(gw_arena_defer(a, free_it, heap), -1,
	    "gw_arena_defer fails when its record cannot be allocated");
	ok(fail_countdown == -1, "... after trying one malloc");
	fail_countdown = 0;
	is_int(gw_arena_defer(a, mark, M('f')), -1,
	    "gw_arena_defer fails again");
	is_str(dlog, "f", "... and has run the destructor at once");
	fail_countdown = -1;
	ok(gw_arena_strdup(a, "still usable") != NULL,
	    "the arena works after failures");
	gw_arena_reset(a);
	is_str(dlog, "fk", "... and runs only what was registered");
	ok(gw_arena_alloc(a, SIZE_MAX) == NULL, "alloc(SIZE_MAX) fails");
	ok(gw_arena_alloc(a, SIZE_MAX - 16) == NULL,
	    "alloc(SIZE_MAX - 16) fails");
	ok(gw_arena_alloc(a, SIZE_MAX - 32) == NULL,
	    "alloc(SIZE_MAX - 32) fails (rounding does not wrap)");
	/* Every allocation of a busy sequence failing in turn. */
	for (long n = 0; n < 20; n++) {
		size_t used = gw_arena_used(a);

		fail_countdown = n;
		for (int i = 0; i < 10; i++) {
			char *p = gw_arena_alloc(a, i % 3 == 0 ? 100 : 20);

			if (p != NULL)
				memset(p, 1, i % 3 == 0 ? 100 : 20);
		}
		fail_countdown = -1;
		if (gw_arena_used(a) <= used)
			ok_all = 0;
		gw_arena_reset(a);
	}
	ok(ok_all, "failing the Nth malloc of a sequence, N = 0..19");
	gw_arena_free(a);
}

int
main(void)
{
	test_alloc();
	test_chunks();
	test_strings();
	test_calloc();
	test_defer();
	test_defer_arena_memory();
	test_nomem();
	return done_testing();
}
