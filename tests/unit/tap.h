/*
 * tap.h: TAP output for the C unit tests.
 *
 * ok(cond, fmt, ...) evaluates cond exactly once and prints "ok N - ..." or
 * "not ok N - ...".  done_testing() prints the plan and returns the exit
 * status for main().  tests/run.sh counts the lines.
 */
#ifndef GW_TAP_H
#define GW_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((__format__(printf, 2, 3), __unused__))
static int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	tap_ok((cond) ? 1 : 0, __VA_ARGS__)

/* Compare two strings; prints both when they differ. */
#define is_str(got, want, ...) do {					\
	const char *tap_g = (got), *tap_w = (want);			\
	if (!ok(tap_g != NULL && tap_w != NULL &&			\
	    strcmp(tap_g, tap_w) == 0, __VA_ARGS__))			\
		printf("#   got:  '%s'\n#   want: '%s'\n",		\
		    tap_g == NULL ? "(null)" : tap_g,			\
		    tap_w == NULL ? "(null)" : tap_w);			\
} while (0)

/* Compare two integers; prints both when they differ. */
#define is_int(got, want, ...) do {					\
	long long tap_g = (long long)(got), tap_w = (long long)(want);	\
	if (!ok(tap_g == tap_w, __VA_ARGS__))				\
		printf("#   got:  %lld\n#   want: %lld\n", tap_g, tap_w);	\
} while (0)

__attribute__((__unused__))
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}

#endif /* GW_TAP_H */
