/*
 * str.h: helpers on struct gw_str slices and on small C strings.
 */
#ifndef GW_STR_H
#define GW_STR_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

/* ASCII lower-case of c. */
static inline int
gw_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* The slice without leading and trailing spaces and tabs. */
struct gw_str	gw_str_trim(struct gw_str s);

/* 1 if s starts with prefix (bytes compared exactly). */
int	gw_str_has_prefix(struct gw_str s, struct gw_str prefix);

/*
 * Parse a decimal unsigned integer that makes up all of s (no sign, no
 * spaces), at most max.  Returns 0 and sets *out, or -1.
 */
int	gw_str_to_u64(struct gw_str s, uint64_t max, uint64_t *out);

/*
 * Look for token (case-insensitive) in a comma-separated header value such
 * as "keep-alive, Upgrade".  Returns 1 if present.
 */
int	gw_str_list_has(struct gw_str list, const char *token);

/*
 * Copy s into dst (size dstsize), NUL-terminated; returns -1 (and copies
 * nothing) if it does not fit.
 */
int	gw_str_copy(char *dst, size_t dstsize, struct gw_str s);

/* strdup of a slice; caller frees.  NULL on out of memory. */
char	*gw_str_dup(struct gw_str s);

/*
 * Levenshtein distance between a and b, capped at cap + 1 (used for "did you
 * mean" suggestions).
 */
size_t	gw_str_distance(const char *a, const char *b, size_t cap);

/*
 * The UTF-8 sequence at p (len > 0 bytes there): its length, with the code
 * point in *cp, or 0 if it is not shortest-form UTF-8 of a Unicode scalar
 * value (overlong, a surrogate, past U+10FFFF, cut short).
 */
size_t	gw_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);

#endif /* GW_STR_H */
