/*
 * str.c: slices and small strings.
 */
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "str.h"

int
gw_str_caseeq(struct gw_str a, struct gw_str b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++)
		if (gw_tolower((unsigned char)a.p[i]) !=
		    gw_tolower((unsigned char)b.p[i]))
			return 0;
	return 1;
}

int
gw_str_caseeq_cstr(struct gw_str a, const char *b)
{
	return gw_str_caseeq(a, gw_str_cstr(b));
}

struct gw_str
gw_str_trim(struct gw_str s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

int
gw_str_has_prefix(struct gw_str s, struct gw_str prefix)
{
	return s.len >= prefix.len &&
	    (prefix.len == 0 || memcmp(s.p, prefix.p, prefix.len) == 0);
}

int
gw_str_to_u64(struct gw_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return -1;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		d = (unsigned)(s.p[i] - '0');
		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
gw_str_list_has(struct gw_str list, const char *token)
{
	size_t i = 0;

	while (i < list.len) {
		size_t start = i;
		struct gw_str item;

		while (i < list.len && list.p[i] != ',')
			i++;
		item = gw_str_trim(gw_str_make(list.p + start, i - start));
		if (gw_str_caseeq_cstr(item, token))
			return 1;
		i++;
	}
	return 0;
}

int
gw_str_copy(char *dst, size_t dstsize, struct gw_str s)
{
	if (dstsize == 0 || s.len >= dstsize)
		return -1;
	if (s.len > 0)
		memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

char *
gw_str_dup(struct gw_str s)
{
	char *p;

	if ((p = malloc(s.len + 1)) == NULL)
		return NULL;
	if (s.len > 0)
		memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

size_t
gw_str_distance(const char *a, const char *b, size_t cap)
{
	size_t	la = strlen(a), lb = strlen(b);
	size_t	row[65];

	if (la > 64 || lb > 64)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > cap ? cap + 1 : row[lb];
}

size_t
gw_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	uint32_t	c;
	size_t		n;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07u;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}
