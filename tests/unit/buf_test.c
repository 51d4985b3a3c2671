/*
 * buf_test.c: growable buffers with a maximum (buf.c) and slices and small
 * strings (str.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "str.h"

#include "tap.h"

/* The contents of b as a C string, for comparisons. */
static const char *
contents(struct gw_buf *b)
{
	const char *s;

	if ((s = gw_buf_cstr(b, NULL)) == NULL)
		return "(cstr failed)";
	return s;
}

static void
test_init(void)
{
	struct gw_buf	b;
	struct gw_err	err;

	gw_buf_init(&b, 100);
	ok(b.p == NULL && b.len == 0 && b.cap == 0 && b.max == 100,
	    "gw_buf_init: empty, nothing allocated, max kept");
	gw_buf_init(&b, 0);
	is_int(b.max, SIZE_MAX - 1, "gw_buf_init(0): no practical maximum");
	ok(gw_buf_append(&b, "x", 0, &err) == 0 && b.p == NULL,
	    "appending nothing allocates nothing");
	is_str(contents(&b), "", "an empty buffer is the empty string");
	ok(b.p != NULL && b.len == 0, "gw_buf_cstr allocated room for the NUL");
	gw_buf_release(&b);
	ok(b.p == NULL && b.len == 0 && b.cap == 0 && b.max == SIZE_MAX - 1,
	    "gw_buf_release: empty again, max kept");
	gw_buf_release(&b);
	ok(b.p == NULL, "gw_buf_release twice is harmless");
}

static void
test_append(void)
{
	struct gw_buf	b;
	struct gw_err	err;
	char		big[300];

	gw_buf_init(&b, 0);
	ok(gw_buf_append(&b, "abc", 3, &err) == 0, "gw_buf_append");
	is_int(b.len, 3, "len counts the bytes");
	is_int(b.cap, 64, "the first allocation is 64 bytes");
	ok(gw_buf_puts(&b, "de", &err) == 0 &&
	    gw_buf_putc(&b, 'f', &err) == 0 &&
	    gw_buf_append_str(&b, GW_STR("gh"), &err) == 0, "puts, putc, str");
	is_str(contents(&b), "abcdefgh", "appended in order");
	ok(gw_buf_putc(&b, 0x1ff, &err) == 0 && b.p[b.len - 1] == '\xff',
	    "gw_buf_putc stores the low byte");
	ok(gw_buf_putc(&b, '\0', &err) == 0 && b.len == 10 && b.p[9] == '\0',
	    "gw_buf_putc stores a NUL as a byte");
	gw_buf_reset(&b);
	ok(b.len == 0 && b.p != NULL && b.cap == 64,
	    "gw_buf_reset keeps the allocation");
	memset(big, 'x', sizeof(big));
	ok(gw_buf_append(&b, big, 65, &err) == 0 && b.cap == 128,
	    "growing past 64 doubles");
	ok(gw_buf_append(&b, big, 200, &err) == 0 && b.cap == 512 &&
	    b.len == 265, "doubling until it fits");
	ok(memcmp(b.p, big, 265) == 0, "contents survive reallocation");
	gw_buf_release(&b);
}

static void
test_limit(void)
{
	struct gw_buf	b;
	struct gw_err	err;
	char		big[200];

	memset(big, 'y', sizeof(big));
	gw_buf_init(&b, 100);
	gw_err_clear(&err);
	ok(gw_buf_append(&b, big, 100, &err) == 0, "up to max fits");
	ok(b.cap <= 101, "capacity never exceeds max + 1 (got %zu)", b.cap);
	ok(gw_buf_putc(&b, 'z', &err) == -1, "one byte past max fails");
	is_int(err.code, GW_E_LIMIT, "... with GW_E_LIMIT");
	is_str(err.msg, "buffer limit of 100 bytes reached", "... and says so");
	is_int(b.len, 100, "a failed append changes nothing");
	big[100] = '\0';
	is_str(contents(&b), big,
	    "gw_buf_cstr works on a full buffer (the NUL is past max)");
	big[100] = 'y';
	ok(b.cap <= 101, "... without growing past max + 1");
	gw_buf_reset(&b);
	ok(gw_buf_append(&b, big, 101, NULL) == -1 && b.len == 0,
	    "one append larger than max fails whole (err may be NULL)");
	ok(gw_buf_reserve(&b, SIZE_MAX, &err) == -1 && err.code == GW_E_LIMIT,
	    "reserving SIZE_MAX fails with GW_E_LIMIT");
	ok(gw_buf_append(&b, big, 60, &err) == 0 &&
	    gw_buf_reserve(&b, 41, &err) == -1 &&
	    gw_buf_reserve(&b, 40, &err) == 0,
	    "gw_buf_reserve checks len + extra against max");
	ok(gw_buf_printf(&b, &err, "%041d", 7) == -1 &&
	    err.code == GW_E_LIMIT && b.len == 60,
	    "gw_buf_printf past max fails and changes nothing");
	ok(gw_buf_printf(&b, &err, "%040d", 7) == 0 && b.len == 100 &&
	    b.p[99] == '7', "gw_buf_printf up to max fits");
	gw_buf_release(&b);

	gw_buf_init(&b, 1);
	ok(gw_buf_putc(&b, 'a', &err) == 0 && gw_buf_putc(&b, 'b', &err) == -1,
	    "a buffer of max 1 holds one byte");
	is_str(contents(&b), "a", "... and its string");
	gw_buf_release(&b);
}

static void
test_printf(void)
{
	struct gw_buf	b;
	struct gw_err	err;
	char		want[200];

	gw_buf_init(&b, 0);
	ok(gw_buf_printf(&b, &err, "%s=%d;", "a", 42) == 0, "gw_buf_printf");
	ok(gw_buf_printf(&b, &err, "%s", "") == 0, "an empty format result");
	ok(gw_buf_printf(&b, &err, "[%5.2f]", 3.14159) == 0, "a float");
	is_str(contents(&b), "a=42;[ 3.14]", "formatted and appended");
	is_int(b.len, 12, "the NUL is not counted");
	/* Exactly filling the capacity: the NUL needs one more byte. */
	gw_buf_reset(&b);
	memset(want, 'q', 60);
	ok(gw_buf_append(&b, want, 60, &err) == 0 && b.cap == 64,
	    "60 bytes in 64");
	ok(gw_buf_printf(&b, &err, "%s", "wxyz") == 0 && b.len == 64,
	    "printf that fills the capacity exactly");
	memcpy(want + 60, "wxyz", 5);
	is_str(contents(&b), want, "... keeps every byte");
	/* Long output. */
	gw_buf_reset(&b);
	ok(gw_buf_printf(&b, &err, "%0150d", 1) == 0 && b.len == 150 &&
	    b.p[149] == '1' && b.p[0] == '0', "150 bytes of output");
	gw_buf_release(&b);
}

static void
test_numbers(void)
{
	static const struct {
		uint64_t	 v;
		const char	*u64, *milli;
	} t[] = {
		{ 0, "0", "0.000" },
		{ 5, "5", "0.005" },
		{ 42, "42", "0.042" },
		{ 999, "999", "0.999" },
		{ 1000, "1000", "1.000" },
		{ 1234, "1234", "1.234" },
		{ 1000001, "1000001", "1000.001" },
		{ UINT64_MAX, "18446744073709551615", "18446744073709551.615" },
	};
	struct gw_buf	b;
	struct gw_err	err;

	gw_buf_init(&b, 0);
	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		gw_buf_reset(&b);
		ok(gw_buf_put_u64(&b, t[i].v, &err) == 0, "gw_buf_put_u64(%s)",
		    t[i].u64);
		is_str(contents(&b), t[i].u64, "... decimal");
		gw_buf_reset(&b);
		ok(gw_buf_put_milli(&b, t[i].v, &err) == 0,
		    "gw_buf_put_milli(%s)", t[i].u64);
		is_str(contents(&b), t[i].milli, "... with three decimals");
	}
	gw_buf_release(&b);
	gw_buf_init(&b, 3);
	ok(gw_buf_put_u64(&b, 1234, &err) == -1 && b.len == 0 &&
	    err.code == GW_E_LIMIT, "gw_buf_put_u64 over max fails whole");
	ok(gw_buf_put_milli(&b, 1234, &err) == -1 && err.code == GW_E_LIMIT,
	    "gw_buf_put_milli over max fails");
	gw_buf_release(&b);
}

static void
test_consume_take(void)
{
	struct gw_buf	b;
	struct gw_err	err;
	char		*p;
	size_t		 n = 99;

	gw_buf_init(&b, 0);
	(void)gw_buf_puts(&b, "0123456789", &err);
	gw_buf_consume(&b, 3);
	is_str(contents(&b), "3456789", "gw_buf_consume drops the front");
	gw_buf_consume(&b, 0);
	is_str(contents(&b), "3456789", "consuming 0 bytes changes nothing");
	gw_buf_consume(&b, 7);
	ok(b.len == 0 && b.p != NULL, "consuming all empties, keeps memory");
	(void)gw_buf_puts(&b, "ab", &err);
	gw_buf_consume(&b, 100);
	is_int(b.len, 0, "consuming more than len empties");

	(void)gw_buf_puts(&b, "taken", &err);
	p = gw_buf_take(&b, &n, &err);
	is_str(p, "taken", "gw_buf_take hands over the contents");
	is_int(n, 5, "... and their length");
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "... leaving it empty");
	free(p);
	p = gw_buf_take(&b, NULL, &err);
	ok(p != NULL && p[0] == '\0', "taking an empty buffer gives \"\"");
	free(p);
	ok(gw_buf_puts(&b, "again", &err) == 0, "usable after a take");
	{
		struct gw_str s = gw_buf_str(&b);

		ok(s.p == b.p && s.len == 5, "gw_buf_str is a slice of it");
	}
	gw_buf_release(&b);
}

/*
 * str.c
 */

static void
test_trim(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "a", "a" },
		{ "  a", "a" },
		{ "a \t", "a" },
		{ " \t a b \t ", "a b" },
		{ "   ", "" },
		{ "\t", "" },
		{ "\ra\r", "\ra\r" },
		{ "\na\n", "\na\n" },
	};
	char out[32];

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		struct gw_str s = gw_str_trim(gw_str_cstr(t[i].in));

		ok(gw_str_copy(out, sizeof(out), s) == 0, "trim case %zu", i);
		is_str(out, t[i].want, "... only spaces and tabs go");
	}
	{
		const char	*in = "  xy  ";
		struct gw_str	 s = gw_str_trim(gw_str_cstr(in));

		ok(s.p == in + 2 && s.len == 2, "trim returns a sub-slice");
	}
}

static void
test_to_u64(void)
{
	static const struct {
		const char	*in;
		uint64_t	 max;
		int		 rc;
		uint64_t	 want;
	} t[] = {
		{ "0", UINT64_MAX, 0, 0 },
		{ "7", UINT64_MAX, 0, 7 },
		{ "00012", UINT64_MAX, 0, 12 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -1, 0 },
		{ "99999999999999999999", UINT64_MAX, -1, 0 },
		{ "184467440737095516150", UINT64_MAX, -1, 0 },
		{ "100", 100, 0, 100 },
		{ "101", 100, -1, 0 },
		{ "65535", 65535, 0, 65535 },
		{ "65536", 65535, -1, 0 },
		{ "9223372036854775807", INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808", INT64_MAX, -1, 0 },
		{ "", UINT64_MAX, -1, 0 },
		{ "-1", UINT64_MAX, -1, 0 },
		{ "+1", UINT64_MAX, -1, 0 },
		{ " 1", UINT64_MAX, -1, 0 },
		{ "1 ", UINT64_MAX, -1, 0 },
		{ "1a", UINT64_MAX, -1, 0 },
		{ "0x10", UINT64_MAX, -1, 0 },
		{ "1.0", UINT64_MAX, -1, 0 },
		{ "5", 5, 0, 5 },
		{ "0", 0, 0, 0 },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		uint64_t	v = 12345;
		int		rc;

		rc = gw_str_to_u64(gw_str_cstr(t[i].in), t[i].max, &v);

		if (t[i].rc == 0)
			ok(rc == 0 && v == t[i].want,
			    "gw_str_to_u64(\"%s\", max %llu) = %llu", t[i].in,
			    (unsigned long long)t[i].max,
			    (unsigned long long)t[i].want);
		else
			ok(rc == -1 && v == 12345,
			    "gw_str_to_u64(\"%s\", max %llu) fails, "
			    "*out untouched",
			    t[i].in, (unsigned long long)t[i].max);
	}
	{
		uint64_t v = 0;

		ok(gw_str_to_u64(GW_STR("12"), UINT64_MAX, &v) == 0 && v == 12,
		    "a slice is parsed up to its length only");
		ok(gw_str_to_u64(gw_str_make("123", 2), UINT64_MAX, &v) == 0 &&
		    v == 12, "... not to the NUL");
	}
}

/*
 * gw_str_to_u64 with a maximum below 9: a digit larger than max once made
 * "max - d" wrap around, so that values above max were accepted.
 */
static void
test_to_u64_small_max(void)
{
	static const struct {
		const char	*in;
		uint64_t	 max;
	} t[] = {
		{ "7", 5 },
		{ "17", 5 },
		{ "99999", 8 },
		{ "1", 0 },
		{ "9", 0 },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		uint64_t	v = 0;
		int		rc;

		rc = gw_str_to_u64(gw_str_cstr(t[i].in), t[i].max, &v);

		ok(rc == -1, "gw_str_to_u64(\"%s\", max %llu) fails "
		    "(got rc %d, value %llu)", t[i].in,
		    (unsigned long long)t[i].max, rc, (unsigned long long)v);
	}
}

static void
test_list_has(void)
{
	static const struct {
		const char	*list, *tok;
		int		 want;
	} t[] = {
		{ "keep-alive, Upgrade", "upgrade", 1 },
		{ "keep-alive, Upgrade", "keep-alive", 1 },
		{ "keep-alive,close", "close", 1 },
		{ "  close  ", "close", 1 },
		{ "\tCLOSE\t", "close", 1 },
		{ ",,close,,", "close", 1 },
		{ "close", "clos", 0 },
		{ "clos", "close", 0 },
		{ "xclose", "close", 0 },
		{ "close-ish", "close", 0 },
		{ "keep alive", "keep", 0 },
		{ "", "close", 0 },
		{ ",", "close", 0 },
		{ "a,,b", "", 1 },
		{ "a,b", "", 0 },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_int(gw_str_list_has(gw_str_cstr(t[i].list), t[i].tok),
		    t[i].want, "gw_str_list_has(\"%s\", \"%s\")", t[i].list,
		    t[i].tok);
}

static void
test_small(void)
{
	char	 dst[4];
	char	*p;

	ok(gw_str_eq(GW_STR("abc"), gw_str_make("abcd", 3)), "gw_str_eq");
	ok(!gw_str_eq(GW_STR("abc"), GW_STR("abd")), "gw_str_eq: differ");
	ok(!gw_str_eq(GW_STR("abc"), GW_STR("ab")), "gw_str_eq: lengths");
	ok(gw_str_eq(GW_STR_NULL, gw_str_make("x", 0)),
	    "gw_str_eq: empty slices are equal, NULL or not");
	ok(gw_str_cstr(NULL).len == 0 && gw_str_cstr(NULL).p == NULL,
	    "gw_str_cstr(NULL) is the empty slice");
	ok(gw_str_caseeq(GW_STR("Content-LENGTH"), GW_STR("content-length")),
	    "gw_str_caseeq ignores ASCII case");
	ok(!gw_str_caseeq(GW_STR("\xc4"), GW_STR("\xe4")),
	    "gw_str_caseeq: only ASCII letters fold");
	ok(!gw_str_caseeq(GW_STR("@"), GW_STR("`")),
	    "gw_str_caseeq: '@' and '`' are not a case pair");
	ok(!gw_str_caseeq(GW_STR("["), GW_STR("{")),
	    "gw_str_caseeq: '[' and '{' are not a case pair");
	ok(!gw_str_caseeq_cstr(GW_STR("Host"), "hos"),
	    "gw_str_caseeq_cstr: lengths differ");
	ok(gw_str_caseeq_cstr(GW_STR("HOST"), "host"), "gw_str_caseeq_cstr");
	is_int(gw_tolower('A'), 'a', "gw_tolower('A')");
	is_int(gw_tolower('Z'), 'z', "gw_tolower('Z')");
	is_int(gw_tolower('['), '[', "gw_tolower('[')");
	is_int(gw_tolower(0xc4), 0xc4, "gw_tolower(0xc4)");

	ok(gw_str_has_prefix(GW_STR("/api/x"), GW_STR("/api")), "has_prefix");
	ok(gw_str_has_prefix(GW_STR("/api"), GW_STR("/api")),
	    "has_prefix: the whole string");
	ok(gw_str_has_prefix(GW_STR("x"), GW_STR_NULL),
	    "has_prefix: the empty prefix");
	ok(!gw_str_has_prefix(GW_STR("/ap"), GW_STR("/api")),
	    "has_prefix: longer prefix");
	ok(!gw_str_has_prefix(GW_STR("/API"), GW_STR("/api")),
	    "has_prefix: bytes compare exactly");

	ok(gw_str_copy(dst, sizeof(dst), GW_STR("abc")) == 0, "copy fits");
	is_str(dst, "abc", "... NUL-terminated");
	memcpy(dst, "zzz", 4);
	ok(gw_str_copy(dst, sizeof(dst), GW_STR("abcd")) == -1,
	    "copy: one byte too many");
	is_str(dst, "zzz", "... copies nothing");
	ok(gw_str_copy(dst, 0, GW_STR("")) == -1, "copy: size 0");
	ok(gw_str_copy(dst, 1, GW_STR_NULL) == 0 && dst[0] == '\0',
	    "copy: empty into 1 byte");

	p = gw_str_dup(gw_str_make("a\0b", 3));
	ok(p != NULL && memcmp(p, "a\0b", 4) == 0, "gw_str_dup keeps NULs");
	free(p);
	p = gw_str_dup(GW_STR_NULL);
	is_str(p, "", "gw_str_dup of the empty slice");
	free(p);
}

static void
test_distance(void)
{
	static const struct {
		const char	*a, *b;
		size_t		 cap, want;
	} t[] = {
		{ "", "", 3, 0 },
		{ "abc", "abc", 3, 0 },
		{ "kitten", "sitting", 5, 3 },
		{ "kitten", "sitting", 2, 3 },
		{ "flaw", "lawn", 5, 2 },
		{ "", "abc", 5, 3 },
		{ "abc", "", 5, 3 },
		{ "upstream", "upstreams", 2, 1 },
		{ "timeout", "timeuot", 2, 2 },
		{ "listen", "routes", 2, 3 },
		{ "a", "abcdef", 2, 3 },
		{ "abc", "xyz", 0, 1 },
	};
	char	long1[70], long2[70];

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_int(gw_str_distance(t[i].a, t[i].b, t[i].cap), t[i].want,
		    "gw_str_distance(\"%s\", \"%s\", %zu)", t[i].a, t[i].b,
		    t[i].cap);
	memset(long1, 'a', 64);
	long1[64] = '\0';
	memcpy(long2, long1, 65);
	long2[0] = 'b';
	is_int(gw_str_distance(long1, long2, 3), 1, "64 characters are fine");
	long1[64] = 'a';
	long1[65] = '\0';
	is_int(gw_str_distance(long1, long1, 3), 4,
	    "longer than 64: cap + 1");
}

int
main(void)
{
	test_init();
	test_append();
	test_limit();
	test_printf();
	test_numbers();
	test_consume_take();
	test_trim();
	test_to_u64();
	test_to_u64_small_max();
	test_list_has();
	test_small();
	test_distance();
	return done_testing();
}
