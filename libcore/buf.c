/*
 * buf.c: growable buffers with a hard maximum.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"

void
gw_buf_init(struct gw_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max == 0 ? SIZE_MAX - 1 : max;
}

void
gw_buf_release(struct gw_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

int
gw_buf_reserve(struct gw_buf *b, size_t extra, struct gw_err *err)
{
	size_t	need, ncap;
	char	*np;

	if (extra > b->max || b->len > b->max - extra)
		return gw_err_set(err, GW_E_LIMIT,
		    "buffer limit of %zu bytes reached", b->max);
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	/* The NUL of gw_buf_cstr() may take one byte past max. */
	if (ncap > b->max + 1)
		ncap = b->max + 1 > need ? b->max + 1 : need;
	if ((np = realloc(b->p, ncap)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
gw_buf_append(struct gw_buf *b, const void *p, size_t len, struct gw_err *err)
{
	if (len == 0)
		return 0;
	if (gw_buf_reserve(b, len, err) == -1)
		return -1;
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

int
gw_buf_append_str(struct gw_buf *b, struct gw_str s, struct gw_err *err)
{
	return gw_buf_append(b, s.p, s.len, err);
}

int
gw_buf_puts(struct gw_buf *b, const char *s, struct gw_err *err)
{
	return gw_buf_append(b, s, strlen(s), err);
}

int
gw_buf_putc(struct gw_buf *b, int c, struct gw_err *err)
{
	char ch = (char)c;

	return gw_buf_append(b, &ch, 1, err);
}

int
gw_buf_vprintf(struct gw_buf *b, struct gw_err *err, const char *fmt,
    va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return gw_err_set(err, GW_E_INVAL, "bad format");
	/* +1 for the NUL vsnprintf writes; not counted in len. */
	if (gw_buf_reserve(b, (size_t)n, err) == -1)
		return -1;
	if (b->cap < b->len + (size_t)n + 1) {
		char *np;

		if ((np = realloc(b->p, b->len + (size_t)n + 1)) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		b->p = np;
		b->cap = b->len + (size_t)n + 1;
	}
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
gw_buf_printf(struct gw_buf *b, struct gw_err *err, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = gw_buf_vprintf(b, err, fmt, ap);
	va_end(ap);
	return rc;
}

int
gw_buf_put_u64(struct gw_buf *b, uint64_t v, struct gw_err *err)
{
	char	tmp[20];
	size_t	n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return gw_buf_append(b, tmp + sizeof(tmp) - n, n, err);
}

int
gw_buf_put_milli(struct gw_buf *b, uint64_t v, struct gw_err *err)
{
	char frac[4];

	frac[0] = '.';
	frac[1] = (char)('0' + v / 100 % 10);
	frac[2] = (char)('0' + v / 10 % 10);
	frac[3] = (char)('0' + v % 10);
	if (gw_buf_put_u64(b, v / 1000, err) == -1)
		return -1;
	return gw_buf_append(b, frac, 4, err);
}

void
gw_buf_consume(struct gw_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

char *
gw_buf_cstr(struct gw_buf *b, struct gw_err *err)
{
	if (b->cap < b->len + 1) {
		char *np;

		if ((np = realloc(b->p, b->len + 1)) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			return NULL;
		}
		b->p = np;
		b->cap = b->len + 1;
	}
	b->p[b->len] = '\0';
	return b->p;
}

char *
gw_buf_take(struct gw_buf *b, size_t *lenp, struct gw_err *err)
{
	char *p;

	if (gw_buf_cstr(b, err) == NULL)
		return NULL;
	p = b->p;
	if (lenp != NULL)
		*lenp = b->len;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
